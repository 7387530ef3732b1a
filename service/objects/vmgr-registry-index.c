/* vmgr-registry-index.c: VMs by name and by owner (see the header). */
#include "vmgr-registry-index.h"

typedef struct {
  char *name;
  guint32 owner;
} Filing;

/* Most names belong to one VM: a set each would cost about 0.2 KiB per
 * VM, so a name gets a set only while two or more VMs have it. */
struct _VmgrRegistryIndex {
  GHashTable *filings;       /* VmgrVm* -> Filing* */
  GHashTable *by_name_one;   /* name -> the VmgrVm* of that name, when only one */
  GHashTable *by_name_many;  /* name -> set of VmgrVm*, when two or more */
  GHashTable *by_owner;      /* owner uid -> set of VmgrVm* */
};

static void
filing_free (Filing *filing)
{
  g_free (filing->name);
  g_free (filing);
}

VmgrRegistryIndex *
vmgr_registry_index_new (void)
{
  VmgrRegistryIndex *self = g_new0 (VmgrRegistryIndex, 1);

  self->filings = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) filing_free);
  self->by_name_one = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->by_name_many = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                              (GDestroyNotify) g_hash_table_unref);
  self->by_owner = g_hash_table_new_full (NULL, NULL, NULL,
                                          (GDestroyNotify) g_hash_table_unref);
  return self;
}

void
vmgr_registry_index_free (VmgrRegistryIndex *self)
{
  if (self == NULL)
    return;
  g_hash_table_unref (self->filings);
  g_hash_table_unref (self->by_name_one);
  g_hash_table_unref (self->by_name_many);
  g_hash_table_unref (self->by_owner);
  g_free (self);
}

/* Adds @vm to the set under @key; a new set is filed under @copy_key
 * (@key) when given, @key itself otherwise. */
static void
set_add (GHashTable *table, gpointer key, gpointer (*copy_key) (gconstpointer key), VmgrVm *vm)
{
  GHashTable *set = g_hash_table_lookup (table, key);

  if (set == NULL)
    {
      set = g_hash_table_new (NULL, NULL);
      g_hash_table_insert (table, copy_key != NULL ? copy_key (key) : key, set);
    }
  g_hash_table_add (set, vm);
}

static gpointer
copy_name (gconstpointer name)
{
  return g_strdup (name);
}

static void
name_add (VmgrRegistryIndex *self, const char *name, VmgrVm *vm)
{
  VmgrVm *other;

  if (g_hash_table_contains (self->by_name_many, name))
    {
      set_add (self->by_name_many, (gpointer) name, copy_name, vm);
      return;
    }
  other = g_hash_table_lookup (self->by_name_one, name);
  if (other == NULL)
    {
      g_hash_table_insert (self->by_name_one, g_strdup (name), vm);
      return;
    }
  set_add (self->by_name_many, (gpointer) name, copy_name, other);
  set_add (self->by_name_many, (gpointer) name, copy_name, vm);
  g_hash_table_remove (self->by_name_one, name);
}

static void
set_remove (GHashTable *table, gconstpointer key, VmgrVm *vm)
{
  GHashTable *set = g_hash_table_lookup (table, key);

  if (set != NULL && g_hash_table_remove (set, vm) && g_hash_table_size (set) == 0)
    g_hash_table_remove (table, key);
}

static void
name_remove (VmgrRegistryIndex *self, const char *name, VmgrVm *vm)
{
  GHashTable *set = g_hash_table_lookup (self->by_name_many, name);
  GHashTableIter iter;
  gpointer last;

  if (set == NULL)
    {
      if (g_hash_table_lookup (self->by_name_one, name) == vm)
        g_hash_table_remove (self->by_name_one, name);
      return;
    }
  if (!g_hash_table_remove (set, vm) || g_hash_table_size (set) != 1)
    return;
  g_hash_table_iter_init (&iter, set);
  g_hash_table_iter_next (&iter, &last, NULL);
  g_hash_table_insert (self->by_name_one, g_strdup (name), last);
  g_hash_table_remove (self->by_name_many, name);
}

void
vmgr_registry_index_remove (VmgrRegistryIndex *self, VmgrVm *vm)
{
  Filing *filing = g_hash_table_lookup (self->filings, vm);

  if (filing == NULL)
    return;
  name_remove (self, filing->name, vm);
  set_remove (self->by_owner, GUINT_TO_POINTER (filing->owner), vm);
  g_hash_table_remove (self->filings, vm);
}

void
vmgr_registry_index_put (VmgrRegistryIndex *self, VmgrVm *vm)
{
  const VmgrVmSpec *spec = vmgr_vm_get_spec (vm);
  Filing *filing = g_hash_table_lookup (self->filings, vm);

  if (filing != NULL && filing->owner == spec->owner && g_str_equal (filing->name, spec->name))
    return;
  vmgr_registry_index_remove (self, vm);
  filing = g_new0 (Filing, 1);
  filing->name = g_strdup (spec->name);
  filing->owner = spec->owner;
  g_hash_table_insert (self->filings, vm, filing);
  name_add (self, filing->name, vm);
  set_add (self->by_owner, GUINT_TO_POINTER (filing->owner), NULL, vm);
}

static int
compare_vm_ids (gconstpointer a, gconstpointer b)
{
  guint32 id_a = vmgr_vm_get_spec (*(VmgrVm **) a)->id;
  guint32 id_b = vmgr_vm_get_spec (*(VmgrVm **) b)->id;

  return id_a < id_b ? -1 : id_a > id_b;
}

void
vmgr_registry_sort_by_id (GPtrArray *vms)
{
  g_ptr_array_sort (vms, compare_vm_ids);
}

static GPtrArray *
sorted_members (GHashTable *set)
{
  GPtrArray *vms = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer vm;

  if (set == NULL)
    return vms;
  g_hash_table_iter_init (&iter, set);
  while (g_hash_table_iter_next (&iter, &vm, NULL))
    g_ptr_array_add (vms, vm);
  vmgr_registry_sort_by_id (vms);
  return vms;
}

GPtrArray *
vmgr_registry_index_named (VmgrRegistryIndex *self, const char *name)
{
  VmgrVm *one = g_hash_table_lookup (self->by_name_one, name);
  GPtrArray *vms;

  if (one == NULL)
    return sorted_members (g_hash_table_lookup (self->by_name_many, name));
  vms = g_ptr_array_new ();
  g_ptr_array_add (vms, one);
  return vms;
}

GPtrArray *
vmgr_registry_index_owned_by (VmgrRegistryIndex *self, guint32 owner)
{
  return sorted_members (g_hash_table_lookup (self->by_owner, GUINT_TO_POINTER (owner)));
}
