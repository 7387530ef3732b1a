#include "vmgr-ledger.h"

#include "vmgr-error.h"
#include "vmgr-validate.h"

struct _VmgrLedger {
  char **capabilities;
  char *backend_name;
  VmgrCapacity capacity;
  GHashTable *vms;          /* id -> VmgrVmSpec* of existing VMs */
  GHashTable *reserved;     /* id -> VmgrVmSpec* of creations under way */
  GHashTable *customers;    /* uid -> VmgrCustomerInfo* */
  GHashTable *snapshots;    /* id -> number of snapshots of that existing VM */
};

VmgrLedger *
vmgr_ledger_new (const char * const *capabilities, const char *backend_name)
{
  VmgrLedger *self = g_new0 (VmgrLedger, 1);

  self->capabilities = g_strdupv ((char **) capabilities);
  self->backend_name = g_strdup (backend_name);
  self->vms = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) vmgr_vm_spec_free);
  self->reserved = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) vmgr_vm_spec_free);
  self->customers = g_hash_table_new_full (NULL, NULL, NULL,
                                           (GDestroyNotify) vmgr_customer_info_free);
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
  g_hash_table_unref (self->customers);
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
  g_hash_table_insert (self->vms, GUINT_TO_POINTER (spec->id), vmgr_vm_spec_copy (spec));
}

void
vmgr_ledger_remove_vm (VmgrLedger *self, guint32 id)
{
  g_hash_table_remove (self->vms, GUINT_TO_POINTER (id));
  g_hash_table_remove (self->snapshots, GUINT_TO_POINTER (id));
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
  g_hash_table_insert (self->reserved, GUINT_TO_POINTER (spec->id), vmgr_vm_spec_copy (spec));
}

void
vmgr_ledger_release (VmgrLedger *self, guint32 id)
{
  g_hash_table_remove (self->reserved, GUINT_TO_POINTER (id));
}

static gboolean
table_has_name (GHashTable *specs, guint32 owner, const char *name)
{
  GHashTableIter iter;
  const VmgrVmSpec *spec;

  g_hash_table_iter_init (&iter, specs);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &spec))
    if (spec->owner == owner && g_str_equal (spec->name, name))
      return TRUE;
  return FALSE;
}

gboolean
vmgr_ledger_name_taken (VmgrLedger *self, guint32 owner, const char *name)
{
  return table_has_name (self->vms, owner, name) ||
         table_has_name (self->reserved, owner, name);
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
  guint32 id = VMGR_VM_ID_FIRST;

  while (vmgr_ledger_id_taken (self, id))
    id++;
  return id;
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

static void
add_owned (VmgrAllocation *allocation, GHashTable *specs, guint32 owner)
{
  GHashTableIter iter;
  const VmgrVmSpec *spec;

  g_hash_table_iter_init (&iter, specs);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &spec))
    if (owner == G_MAXUINT32 || spec->owner == owner)
      vmgr_allocation_add (allocation, spec);
}

VmgrAllocation
vmgr_ledger_allocation (VmgrLedger *self, guint32 owner)
{
  VmgrAllocation allocation = { 0 };

  add_owned (&allocation, self->vms, owner);
  add_owned (&allocation, self->reserved, owner);
  return allocation;
}

/* What everybody but @old's VM takes, among the VMs of @owner. */
static VmgrAllocation
allocation_of_others (VmgrLedger *self, guint32 owner, const VmgrVmSpec *old)
{
  VmgrAllocation allocation = vmgr_ledger_allocation (self, owner);

  if (old != NULL && (owner == G_MAXUINT32 || old->owner == owner))
    {
      allocation.vms--;
      allocation.vcpus -= old->vcpus;
      allocation.memory -= old->memory_limit;
      allocation.disk -= old->disk_hard_limit;
    }
  return allocation;
}

gboolean
vmgr_ledger_check (VmgrLedger *self, const VmgrVmSpec *old, const VmgrVmSpec *spec,
                   GError **error)
{
  VmgrAllocation everyone = allocation_of_others (self, G_MAXUINT32, old);
  VmgrAllocation owners = allocation_of_others (self, spec->owner, old);
  const VmgrCustomerInfo *customer = vmgr_ledger_get_customer (self, spec->owner);
  /* A VM moving to another owner is new to that owner's quota. */
  const VmgrVmSpec *owner_old = old != NULL && old->owner == spec->owner ? old : NULL;

  return vmgr_limits_check_capabilities ((const char * const *) self->capabilities,
                                         self->backend_name, old, spec, error) &&
         vmgr_limits_check_minimums ((const char * const *) self->capabilities,
                                     self->backend_name, old, spec, error) &&
         vmgr_limits_check_host (&self->capacity, &everyone, old, spec, error) &&
         (customer == NULL ||
          vmgr_limits_check_quota (customer, &owners, owner_old, spec, error));
}
