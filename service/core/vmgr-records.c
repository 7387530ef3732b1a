#include "vmgr-records.h"

VmgrVmSpec *
vmgr_vm_spec_new (void)
{
  VmgrVmSpec *spec = g_new0 (VmgrVmSpec, 1);

  spec->name = g_strdup ("");
  spec->uuid = g_strdup ("");
  spec->template_name = g_strdup ("");
  spec->plan = g_strdup ("");
  spec->vcpus = 1;
  spec->cpu_weight = 100;
  spec->hostname = g_strdup ("");
  spec->addresses = g_new0 (char *, 1);
  spec->gateway = g_strdup ("");
  spec->nameservers = g_new0 (char *, 1);
  spec->host = g_strdup ("");
  return spec;
}

gboolean
vmgr_vm_spec_is_adopted (const VmgrVmSpec *spec)
{
  return spec->template_name == NULL || *spec->template_name == '\0';
}

VmgrVmSpec *
vmgr_vm_spec_copy (const VmgrVmSpec *spec)
{
  VmgrVmSpec *copy = g_new0 (VmgrVmSpec, 1);

  *copy = *spec;
  copy->name = g_strdup (spec->name);
  copy->uuid = g_strdup (spec->uuid);
  copy->template_name = g_strdup (spec->template_name);
  copy->plan = g_strdup (spec->plan);
  copy->hostname = g_strdup (spec->hostname);
  copy->addresses = g_strdupv (spec->addresses);
  copy->gateway = g_strdup (spec->gateway);
  copy->nameservers = g_strdupv (spec->nameservers);
  copy->host = g_strdup (spec->host);
  return copy;
}

void
vmgr_vm_spec_free (VmgrVmSpec *spec)
{
  if (spec == NULL)
    return;
  g_free (spec->name);
  g_free (spec->uuid);
  g_free (spec->template_name);
  g_free (spec->plan);
  g_free (spec->hostname);
  g_strfreev (spec->addresses);
  g_free (spec->gateway);
  g_strfreev (spec->nameservers);
  g_free (spec->host);
  g_free (spec);
}

static gboolean
strv_equal0 (char **a, char **b)
{
  if (a == NULL || b == NULL)
    return a == b;
  return g_strv_equal ((const char * const *) a, (const char * const *) b);
}

gboolean
vmgr_vm_spec_equal (const VmgrVmSpec *a, const VmgrVmSpec *b)
{
  return a->id == b->id && a->owner == b->owner &&
         g_strcmp0 (a->name, b->name) == 0 &&
         g_strcmp0 (a->uuid, b->uuid) == 0 &&
         g_strcmp0 (a->template_name, b->template_name) == 0 &&
         g_strcmp0 (a->plan, b->plan) == 0 &&
         a->memory_guarantee == b->memory_guarantee &&
         a->memory_soft_limit == b->memory_soft_limit &&
         a->memory_limit == b->memory_limit &&
         a->vcpus == b->vcpus && a->cpu_weight == b->cpu_weight &&
         a->cpu_limit == b->cpu_limit &&
         a->disk_soft_limit == b->disk_soft_limit &&
         a->disk_hard_limit == b->disk_hard_limit &&
         g_strcmp0 (a->hostname, b->hostname) == 0 &&
         strv_equal0 (a->addresses, b->addresses) &&
         g_strcmp0 (a->gateway, b->gateway) == 0 &&
         strv_equal0 (a->nameservers, b->nameservers) &&
         a->autostart == b->autostart &&
         g_strcmp0 (a->host != NULL ? a->host : "", b->host != NULL ? b->host : "") == 0;
}

VmgrPlan *
vmgr_plan_new (const char *name)
{
  VmgrPlan *plan = g_new0 (VmgrPlan, 1);

  plan->name = g_strdup (name);
  return plan;
}

VmgrPlan *
vmgr_plan_copy (const VmgrPlan *plan)
{
  VmgrPlan *copy = g_new0 (VmgrPlan, 1);

  *copy = *plan;
  copy->name = g_strdup (plan->name);
  return copy;
}

void
vmgr_plan_free (VmgrPlan *plan)
{
  if (plan == NULL)
    return;
  g_free (plan->name);
  g_free (plan);
}

VmgrTemplate *
vmgr_template_new (const char *name)
{
  VmgrTemplate *tmpl = g_new0 (VmgrTemplate, 1);

  tmpl->name = g_strdup (name);
  tmpl->os = g_strdup ("");
  tmpl->description = g_strdup ("");
  tmpl->source = g_strdup ("");
  return tmpl;
}

void
vmgr_template_free (VmgrTemplate *tmpl)
{
  if (tmpl == NULL)
    return;
  g_free (tmpl->name);
  g_free (tmpl->os);
  g_free (tmpl->description);
  g_free (tmpl->source);
  g_free (tmpl);
}

static void
audit_change_free (VmgrAuditChange *change)
{
  g_free (change->field);
  g_free (change->old_value);
  g_free (change->new_value);
  g_free (change);
}

VmgrAuditEntry *
vmgr_audit_entry_new (void)
{
  VmgrAuditEntry *entry = g_new0 (VmgrAuditEntry, 1);

  entry->pid = -1;
  entry->changes = vmgr_audit_changes_new ();
  return entry;
}

void
vmgr_audit_entry_free (VmgrAuditEntry *entry)
{
  if (entry == NULL)
    return;
  g_free (entry->caller);
  g_free (entry->action);
  g_free (entry->target);
  g_free (entry->result);
  g_free (entry->message);
  g_free (entry->verb);
  g_free (entry->target_name);
  g_free (entry->target_uuid);
  g_ptr_array_unref (entry->changes);
  g_free (entry);
}

GPtrArray *
vmgr_audit_changes_new (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify) audit_change_free);
}

void
vmgr_audit_changes_add (GPtrArray *changes, const char *field, const char *old_value,
                        const char *new_value)
{
  VmgrAuditChange *change = g_new0 (VmgrAuditChange, 1);

  change->field = g_strdup (field);
  change->old_value = g_strdup (old_value);
  change->new_value = g_strdup (new_value);
  g_ptr_array_add (changes, change);
}

void
vmgr_audit_entry_add_change (VmgrAuditEntry *entry, const char *field, const char *old_value,
                             const char *new_value)
{
  vmgr_audit_changes_add (entry->changes, field, old_value, new_value);
}

VmgrCustomerInfo *
vmgr_customer_info_new (guint32 uid)
{
  VmgrCustomerInfo *info = g_new0 (VmgrCustomerInfo, 1);

  info->uid = uid;
  info->full_name = g_strdup ("");
  info->email = g_strdup ("");
  info->phone = g_strdup ("");
  info->address = g_strdup ("");
  info->province = g_strdup ("");
  info->national_id = g_strdup ("");
  info->plan = g_strdup ("");
  info->suspend_reason = g_strdup ("");
  return info;
}

VmgrCustomerInfo *
vmgr_customer_info_copy (const VmgrCustomerInfo *info)
{
  VmgrCustomerInfo *copy = g_new0 (VmgrCustomerInfo, 1);

  *copy = *info;
  copy->full_name = g_strdup (info->full_name);
  copy->email = g_strdup (info->email);
  copy->phone = g_strdup (info->phone);
  copy->address = g_strdup (info->address);
  copy->province = g_strdup (info->province);
  copy->national_id = g_strdup (info->national_id);
  copy->plan = g_strdup (info->plan);
  copy->suspend_reason = g_strdup (info->suspend_reason);
  return copy;
}

void
vmgr_customer_info_free (VmgrCustomerInfo *info)
{
  if (info == NULL)
    return;
  g_free (info->full_name);
  g_free (info->email);
  g_free (info->phone);
  g_free (info->address);
  g_free (info->province);
  g_free (info->national_id);
  g_free (info->plan);
  g_free (info->suspend_reason);
  g_free (info);
}

gboolean
vmgr_customer_info_equal (const VmgrCustomerInfo *a, const VmgrCustomerInfo *b)
{
  return a->uid == b->uid && g_str_equal (a->full_name, b->full_name) &&
         g_str_equal (a->email, b->email) && g_str_equal (a->phone, b->phone) &&
         g_str_equal (a->address, b->address) && g_str_equal (a->province, b->province) &&
         g_str_equal (a->national_id, b->national_id) && g_str_equal (a->plan, b->plan) &&
         a->max_vms == b->max_vms && a->max_vcpus == b->max_vcpus &&
         a->max_memory == b->max_memory && a->max_disk == b->max_disk &&
         a->max_snapshots == b->max_snapshots &&
         a->suspended == b->suspended && g_str_equal (a->suspend_reason, b->suspend_reason) &&
         a->created_at == b->created_at;
}

static const char *const state_names[] = {
  [VMGR_VM_STATE_PROVISIONING] = "provisioning",
  [VMGR_VM_STATE_STOPPED] = "stopped",
  [VMGR_VM_STATE_STARTING] = "starting",
  [VMGR_VM_STATE_RUNNING] = "running",
  [VMGR_VM_STATE_PAUSED] = "paused",
  [VMGR_VM_STATE_STOPPING] = "stopping",
  [VMGR_VM_STATE_CRASHED] = "crashed",
  [VMGR_VM_STATE_SUSPENDED] = "suspended",
  [VMGR_VM_STATE_UNKNOWN] = "unknown",
};

const char *
vmgr_vm_state_to_string (VmgrVmState state)
{
  if ((guint) state >= G_N_ELEMENTS (state_names))
    return "unknown";
  return state_names[state];
}
