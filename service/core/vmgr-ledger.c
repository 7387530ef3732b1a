#include "vmgr-ledger.h"

#include "vmgr-error.h"
#include "vmgr-validate.h"

/* A sum that cannot wrap: the 64-bit part and how often it carried. */
typedef struct {
  guint64 low;
  guint64 carries;
} WideSum;

/* What the VMs of one owner (or of everybody) take, kept as VMs come and
 * go so that no check walks every VM: exact, so that a VM leaving takes
 * away exactly what it added (VmgrAllocation saturates). */
typedef struct {
  guint64 vms;
  guint64 vcpus;
  WideSum memory;
  WideSum disk;
} Totals;

struct _VmgrLedger {
  char **capabilities;
  char *backend_name;
  VmgrCapacity capacity;
  GHashTable *vms;          /* id -> VmgrVmSpec* of existing VMs */
  GHashTable *reserved;     /* id -> VmgrVmSpec* of creations under way */
  GHashTable *retired_ids;  /* ids of deleted VMs (a set) */
  GHashTable *customers;    /* uid -> VmgrCustomerInfo* */
  /* Over vms and reserved together: */
  GHashTable *names;        /* "OWNER/NAME" -> how many specs have it */
  GHashTable *owners;       /* owner uid -> Totals* */
  Totals everyone;
  Totals configured_host;   /* of the VMs on the configured host (spec->host "") */
  guint32 lowest_free_id;   /* every id from VMGR_VM_ID_FIRST below it is taken or retired */
  GHashTable *snapshots;    /* id -> number of snapshots of that existing VM */
};

static void
wide_add (WideSum *sum, guint64 value, gint sign)
{
  guint64 before = sum->low;

  if (sign > 0)
    {
      sum->low += value;
      sum->carries += sum->low < before;
    }
  else
    {
      sum->low -= value;
      sum->carries -= sum->low > before;
    }
}

static guint64
wide_value (const WideSum *sum)
{
  return sum->carries > 0 ? G_MAXUINT64 : sum->low;
}

static void
totals_add (Totals *totals, const VmgrVmSpec *spec, gint sign)
{
  totals->vms += (guint64) (gint64) sign;
  totals->vcpus += (guint64) (gint64) sign * spec->vcpus;
  wide_add (&totals->memory, spec->memory_limit, sign);
  wide_add (&totals->disk, spec->disk_hard_limit, sign);
}

static gboolean
on_configured_host (const VmgrVmSpec *spec)
{
  return spec->host == NULL || *spec->host == '\0';
}

static char *
name_key (guint32 owner, const char *name)
{
  return g_strdup_printf ("%u/%s", owner, name);
}

/* Counts @spec in (@sign 1) or out of (-1) the names and totals. */
static void
account (VmgrLedger *self, const VmgrVmSpec *spec, gint sign)
{
  g_autofree char *key = name_key (spec->owner, spec->name);
  guint count = GPOINTER_TO_UINT (g_hash_table_lookup (self->names, key));
  Totals *owned = g_hash_table_lookup (self->owners, GUINT_TO_POINTER (spec->owner));

  if (sign > 0)
    g_hash_table_replace (self->names, g_steal_pointer (&key), GUINT_TO_POINTER (count + 1));
  else if (count > 1)
    g_hash_table_replace (self->names, g_steal_pointer (&key), GUINT_TO_POINTER (count - 1));
  else
    g_hash_table_remove (self->names, key);

  if (owned == NULL)
    {
      owned = g_new0 (Totals, 1);
      g_hash_table_insert (self->owners, GUINT_TO_POINTER (spec->owner), owned);
    }
  totals_add (owned, spec, sign);
  if (owned->vms == 0)
    g_hash_table_remove (self->owners, GUINT_TO_POINTER (spec->owner));
  totals_add (&self->everyone, spec, sign);
  if (on_configured_host (spec))
    totals_add (&self->configured_host, spec, sign);
}

/* What the ledger keeps of @spec (see vmgr_ledger_get_vm): a copy per VM,
 * so nothing it does not read. */
static VmgrVmSpec *
ledger_copy (const VmgrVmSpec *spec)
{
  VmgrVmSpec *copy = g_new0 (VmgrVmSpec, 1);

  copy->id = spec->id;
  copy->name = g_strdup (spec->name);
  copy->uuid = g_strdup (spec->uuid);
  copy->owner = spec->owner;
  copy->plan = g_strdup (spec->plan);
  copy->resources = spec->resources;
  copy->autostart = spec->autostart;
  copy->host = g_strdup (spec->host);
  return copy;
}

/* Puts a copy of @spec into @table (vms or reserved) in place of its id's. */
static void
table_put (VmgrLedger *self, GHashTable *table, const VmgrVmSpec *spec)
{
  const VmgrVmSpec *old = g_hash_table_lookup (table, GUINT_TO_POINTER (spec->id));

  if (old != NULL)
    account (self, old, -1);
  g_hash_table_insert (table, GUINT_TO_POINTER (spec->id), ledger_copy (spec));
  account (self, spec, 1);
}

/* FALSE when @table had nothing under @id. */
static gboolean
table_remove (VmgrLedger *self, GHashTable *table, guint32 id)
{
  const VmgrVmSpec *old = g_hash_table_lookup (table, GUINT_TO_POINTER (id));

  if (old == NULL)
    return FALSE;
  account (self, old, -1);
  g_hash_table_remove (table, GUINT_TO_POINTER (id));
  if (id >= VMGR_VM_ID_FIRST && id < self->lowest_free_id)
    self->lowest_free_id = id;
  return TRUE;
}

VmgrLedger *
vmgr_ledger_new (const char * const *capabilities, const char *backend_name)
{
  VmgrLedger *self = g_new0 (VmgrLedger, 1);

  self->capabilities = g_strdupv ((char **) capabilities);
  self->backend_name = g_strdup (backend_name);
  self->vms = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) vmgr_vm_spec_free);
  self->reserved = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) vmgr_vm_spec_free);
  self->retired_ids = g_hash_table_new (NULL, NULL);
  self->customers = g_hash_table_new_full (NULL, NULL, NULL,
                                           (GDestroyNotify) vmgr_customer_info_free);
  self->names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->owners = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  self->lowest_free_id = VMGR_VM_ID_FIRST;
  self->snapshots = g_hash_table_new (NULL, NULL);
  return self;
}

void
vmgr_ledger_free (VmgrLedger *self)
{
  g_strfreev (self->capabilities);
  g_free (self->backend_name);
  g_hash_table_unref (self->vms);
  g_hash_table_unref (self->reserved);
  g_hash_table_unref (self->retired_ids);
  g_hash_table_unref (self->customers);
  g_hash_table_unref (self->names);
  g_hash_table_unref (self->owners);
  g_hash_table_unref (self->snapshots);
  g_free (self);
}

void
vmgr_ledger_set_capacity (VmgrLedger *self, const VmgrCapacity *capacity)
{
  self->capacity = *capacity;
}

const VmgrCapacity *
vmgr_ledger_get_capacity (VmgrLedger *self)
{
  return &self->capacity;
}

void
vmgr_ledger_put_vm (VmgrLedger *self, const VmgrVmSpec *spec)
{
  table_put (self, self->vms, spec);
}

void
vmgr_ledger_remove_vm (VmgrLedger *self, guint32 id)
{
  if (table_remove (self, self->vms, id))
    vmgr_ledger_retire_vm_id (self, id);
  g_hash_table_remove (self->snapshots, GUINT_TO_POINTER (id));
}

void
vmgr_ledger_retire_vm_id (VmgrLedger *self, guint32 id)
{
  g_hash_table_add (self->retired_ids, GUINT_TO_POINTER (id));
}

void
vmgr_ledger_unretire_vm_id (VmgrLedger *self, guint32 id)
{
  g_hash_table_remove (self->retired_ids, GUINT_TO_POINTER (id));
}

gboolean
vmgr_ledger_id_retired (VmgrLedger *self, guint32 id)
{
  return g_hash_table_contains (self->retired_ids, GUINT_TO_POINTER (id));
}

void
vmgr_set_vm_id_retired_error (GError **error, guint32 id)
{
  g_set_error (error, VMGR_ERROR, VMGR_ERROR_ALREADY_EXISTS,
               "VM id %u belonged to a deleted VM and is never given again", id);
}

void
vmgr_ledger_set_snapshot_count (VmgrLedger *self, guint32 vm_id, guint count)
{
  g_hash_table_insert (self->snapshots, GUINT_TO_POINTER (vm_id), GUINT_TO_POINTER (count));
}

guint
vmgr_ledger_snapshot_count (VmgrLedger *self, guint32 owner)
{
  GHashTableIter iter;
  gpointer id;
  gpointer count;
  guint total = 0;

  g_hash_table_iter_init (&iter, self->snapshots);
  while (g_hash_table_iter_next (&iter, &id, &count))
    {
      const VmgrVmSpec *spec = vmgr_ledger_get_vm (self, GPOINTER_TO_UINT (id));

      if (spec != NULL && spec->owner == owner)
        total += GPOINTER_TO_UINT (count);
    }
  return total;
}

gboolean
vmgr_ledger_check_new_snapshot (VmgrLedger *self, guint32 owner, GError **error)
{
  const VmgrCustomerInfo *customer = vmgr_ledger_get_customer (self, owner);
  guint taken = vmgr_ledger_snapshot_count (self, owner);

  if (customer == NULL || customer->max_snapshots == 0 || taken < customer->max_snapshots)
    return TRUE;
  g_set_error (error, VMGR_ERROR, VMGR_ERROR_QUOTA_EXCEEDED,
               "quota exceeded: max_snapshots is %u and the VMs of uid %u have %u snapshots",
               customer->max_snapshots, owner, taken);
  return FALSE;
}

const VmgrVmSpec *
vmgr_ledger_get_vm (VmgrLedger *self, guint32 id)
{
  return g_hash_table_lookup (self->vms, GUINT_TO_POINTER (id));
}

void
vmgr_ledger_reserve (VmgrLedger *self, const VmgrVmSpec *spec)
{
  table_put (self, self->reserved, spec);
}

void
vmgr_ledger_release (VmgrLedger *self, guint32 id)
{
  table_remove (self, self->reserved, id);
}

gboolean
vmgr_ledger_host_reserved (VmgrLedger *self, const char *host)
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->reserved);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      const VmgrVmSpec *spec = value;

      if (g_str_equal (spec->host != NULL ? spec->host : "", host))
        return TRUE;
    }
  return FALSE;
}

gboolean
vmgr_ledger_name_taken (VmgrLedger *self, guint32 owner, const char *name)
{
  g_autofree char *key = name_key (owner, name);

  return g_hash_table_contains (self->names, key);
}

gboolean
vmgr_ledger_id_taken (VmgrLedger *self, guint32 id)
{
  return g_hash_table_contains (self->vms, GUINT_TO_POINTER (id)) ||
         g_hash_table_contains (self->reserved, GUINT_TO_POINTER (id));
}

guint32
vmgr_ledger_next_vm_id (VmgrLedger *self)
{
  while (vmgr_ledger_id_taken (self, self->lowest_free_id) ||
         vmgr_ledger_id_retired (self, self->lowest_free_id))
    self->lowest_free_id++;
  return self->lowest_free_id;
}

void
vmgr_ledger_put_customer (VmgrLedger *self, const VmgrCustomerInfo *info)
{
  g_hash_table_insert (self->customers, GUINT_TO_POINTER (info->uid),
                       vmgr_customer_info_copy (info));
}

void
vmgr_ledger_remove_customer (VmgrLedger *self, guint32 uid)
{
  g_hash_table_remove (self->customers, GUINT_TO_POINTER (uid));
}

const VmgrCustomerInfo *
vmgr_ledger_get_customer (VmgrLedger *self, guint32 uid)
{
  return g_hash_table_lookup (self->customers, GUINT_TO_POINTER (uid));
}

static VmgrAllocation
totals_allocation (const Totals *totals)
{
  VmgrAllocation allocation = { 0 };

  if (totals == NULL)
    return allocation;
  allocation.vms = (guint32) MIN (totals->vms, G_MAXUINT32);
  allocation.vcpus = (guint32) MIN (totals->vcpus, G_MAXUINT32);
  allocation.memory = wide_value (&totals->memory);
  allocation.disk = wide_value (&totals->disk);
  return allocation;
}

VmgrAllocation
vmgr_ledger_allocation (VmgrLedger *self, guint32 owner)
{
  return totals_allocation (owner == G_MAXUINT32
                              ? &self->everyone
                              : g_hash_table_lookup (self->owners, GUINT_TO_POINTER (owner)));
}

VmgrAllocation
vmgr_ledger_configured_host_allocation (VmgrLedger *self)
{
  return totals_allocation (&self->configured_host);
}

static void
allocation_remove (VmgrAllocation *allocation, const VmgrVmSpec *old)
{
  allocation->vms--;
  allocation->vcpus -= old->vcpus;
  allocation->memory -= old->memory_limit;
  allocation->disk -= old->disk_hard_limit;
}

/* What everybody but @old's VM takes, among the VMs of @owner. */
static VmgrAllocation
allocation_of_others (VmgrLedger *self, guint32 owner, const VmgrVmSpec *old)
{
  VmgrAllocation allocation = vmgr_ledger_allocation (self, owner);

  if (old != NULL && (owner == G_MAXUINT32 || old->owner == owner))
    allocation_remove (&allocation, old);
  return allocation;
}

gboolean
vmgr_ledger_check (VmgrLedger *self, const VmgrVmSpec *old, const VmgrVmSpec *spec,
                   GError **error)
{
  VmgrAllocation here = totals_allocation (&self->configured_host);
  VmgrAllocation owners = allocation_of_others (self, spec->owner, old);
  const VmgrCustomerInfo *customer = vmgr_ledger_get_customer (self, spec->owner);
  /* A VM moving to another owner is new to that owner's quota. */
  const VmgrVmSpec *owner_old = old != NULL && old->owner == spec->owner ? old : NULL;
  const VmgrVmSpec *here_old = old != NULL && on_configured_host (old) ? old : NULL;

  if (here_old != NULL)
    allocation_remove (&here, here_old);

  return vmgr_limits_check_capabilities ((const char * const *) self->capabilities,
                                         self->backend_name, old, spec, error) &&
         vmgr_limits_check_minimums ((const char * const *) self->capabilities,
                                     self->backend_name, old, spec, error) &&
         /* The capacity is the configured host's; another host's is
          * checked where its VMs are placed. */
         (!on_configured_host (spec) ||
          vmgr_limits_check_host (&self->capacity, &here, here_old, spec, error)) &&
         (customer == NULL ||
          vmgr_limits_check_quota (customer, &owners, owner_old, spec, error));
}
