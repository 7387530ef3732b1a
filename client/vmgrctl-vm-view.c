/* A VM as a table row, as "key: value" lines and as JSON. */
#include "vmgrctl-vm-view.h"

#include <string.h>

#include "vmgrctl-stats-view.h"
#include "vmgrctl-pending.h"
#include "vmgrctl-units.h"

enum { ID_COLUMN, VCPUS_COLUMN = 6, MEMORY_COLUMN, DISK_COLUMN };

VmgrctlTable *
vmgrctl_vm_table_new (void)
{
  static const char *const headers[] = {
    "ID", "NAME", "STATE", "OWNER", "PLAN", "TEMPLATE", "VCPUS", "MEMORY", "DISK", NULL
  };

  return vmgrctl_table_new (headers, 1 << ID_COLUMN | 1 << VCPUS_COLUMN | 1 << MEMORY_COLUMN
                                     | 1 << DISK_COLUMN);
}

VmgrctlTable *
vmgrctl_vm_table_new_with_host (void)
{
  static const char *const headers[] = {
    "ID", "NAME", "STATE", "HOST", "OWNER", "PLAN", "TEMPLATE", "VCPUS", "MEMORY", "DISK", NULL
  };

  return vmgrctl_table_new (headers, 1 << ID_COLUMN | 1 << (VCPUS_COLUMN + 1)
                                     | 1 << (MEMORY_COLUMN + 1) | 1 << (DISK_COLUMN + 1));
}

/* NULL (shown as "-") for 0, which means "no limit". */
static char *
limit_text (guint64 bytes)
{
  return bytes != 0 ? vmgrctl_format_size (bytes) : NULL;
}

static char *
owner_text (VmgrDBusVM *vm)
{
  const char *name = vmgr_dbus_vm_get_owner_name (vm);

  if (name != NULL && name[0] != '\0')
    return g_strdup (name);
  return g_strdup_printf ("%u", vmgr_dbus_vm_get_owner (vm));
}

static void
table_add (VmgrctlTable *table, VmgrDBusVM *vm, gboolean with_host)
{
  g_autofree char *id = g_strdup_printf ("%u", vmgr_dbus_vm_get_id (vm));
  g_autofree char *owner = owner_text (vm);
  g_autofree char *vcpus = g_strdup_printf ("%u", vmgr_dbus_vm_get_vcpus (vm));
  g_autofree char *memory = limit_text (vmgr_dbus_vm_get_memory_limit (vm));
  g_autofree char *disk = limit_text (vmgr_dbus_vm_get_disk_hard_limit (vm));
  const char *cells[] = {
    id, vmgr_dbus_vm_get_name (vm), vmgr_dbus_vm_get_state (vm), vmgr_dbus_vm_get_host (vm),
    owner, vmgr_dbus_vm_get_plan (vm), vmgr_dbus_vm_get_template (vm), vcpus, memory, disk,
  };

  if (!with_host)
    memmove (&cells[3], &cells[4], sizeof cells - 4 * sizeof cells[0]);
  vmgrctl_table_add_row (table, cells);
}

void
vmgrctl_vm_table_add (VmgrctlTable *table, VmgrDBusVM *vm)
{
  table_add (table, vm, FALSE);
}

void
vmgrctl_vm_table_add_with_host (VmgrctlTable *table, VmgrDBusVM *vm)
{
  table_add (table, vm, TRUE);
}

static void
add_size (VmgrctlFields *fields, const char *key, guint64 bytes)
{
  g_autofree char *text = limit_text (bytes);

  vmgrctl_fields_add (fields, key, text);
}

static void
add_list (VmgrctlFields *fields, const char *key, const char *const *items)
{
  g_autofree char *text = items != NULL ? g_strjoinv (", ", (char **) items) : NULL;

  vmgrctl_fields_add (fields, key, text);
}

static void
add_usage_size (VmgrctlFields *fields, GVariant *usage, const char *key, const char *label)
{
  g_autofree char *text = NULL;
  guint64 bytes;

  if (!vmgrctl_vardict_lookup_uint64 (usage, key, &bytes))
    return;
  text = vmgrctl_format_size (bytes);
  vmgrctl_fields_add (fields, label, text);
}

static void
add_usage_duration (VmgrctlFields *fields, GVariant *usage, const char *key,
                    guint64 units_per_second, const char *label)
{
  g_autofree char *text = NULL;
  guint64 value;

  if (!vmgrctl_vardict_lookup_uint64 (usage, key, &value))
    return;
  text = vmgrctl_format_duration (value / units_per_second);
  vmgrctl_fields_add (fields, label, text);
}

static void
add_usage_sampled_at (VmgrctlFields *fields, GVariant *usage)
{
  g_autofree char *text = NULL;
  gint64 usec;

  if (!g_variant_lookup (usage, "sampled_at", "x", &usec))
    return;
  text = vmgrctl_format_time_local (usec);
  vmgrctl_fields_add (fields, "  Sampled at", text);
}

/* On the scale of `stats` (vmgrctl_stats_cpu_percent_of_vm()), and as
 * vmgrd gives it, in percent of one host CPU. */
static void
add_usage_cpu (VmgrctlFields *fields, VmgrDBusVM *vm, GVariant *usage)
{
  VmgrctlStatsRow row = {
    .vcpus = vmgr_dbus_vm_get_vcpus (vm),
    .cpu_limit = vmgr_dbus_vm_get_cpu_limit (vm),
    .stats = usage,
  };
  g_autofree char *of_vm_text = NULL;
  g_autofree char *cpu_text = NULL;
  double of_vm, cpu;

  if (!vmgrctl_stats_cpu_percent_of_vm (&row, &of_vm)
      || !g_variant_lookup (usage, "cpu_percent", "d", &cpu))
    return;
  of_vm_text = vmgrctl_format_percent (of_vm);
  cpu_text = vmgrctl_format_percent (cpu);
  vmgrctl_fields_add_printf (fields, "  CPU", "%s of what the VM may use (%s of one host CPU)",
                             of_vm_text, cpu_text);
}

static void
add_usage (VmgrctlFields *fields, VmgrDBusVM *vm, GVariant *usage)
{
  if (usage == NULL || g_variant_n_children (usage) == 0)
    {
      vmgrctl_fields_add (fields, "Usage", "not sampled");
      return;
    }
  vmgrctl_fields_add_heading (fields, "Usage");
  add_usage_cpu (fields, vm, usage);
  add_usage_duration (fields, usage, "cpu_time_ns", 1000000000, "  CPU time");
  add_usage_duration (fields, usage, "uptime_s", 1, "  Uptime");
  add_usage_size (fields, usage, "memory_used", "  Memory used");
  add_usage_size (fields, usage, "disk_used", "  Disk used");
  add_usage_size (fields, usage, "net_rx_bytes", "  Received");
  add_usage_size (fields, usage, "net_tx_bytes", "  Sent");
  add_usage_sampled_at (fields, usage);
}

static void
add_identity (VmgrctlFields *fields, VmgrDBusVM *vm)
{
  g_autofree char *owner = owner_text (vm);
  const char *reason = vmgr_dbus_vm_get_state_reason (vm);
  const char *job = vmgr_dbus_vm_get_job (vm);

  vmgrctl_fields_add (fields, "Name", vmgr_dbus_vm_get_name (vm));
  vmgrctl_fields_add_printf (fields, "Id", "%u", vmgr_dbus_vm_get_id (vm));
  vmgrctl_fields_add (fields, "UUID", vmgr_dbus_vm_get_uuid (vm));
  if (reason != NULL && reason[0] != '\0')
    vmgrctl_fields_add_printf (fields, "State", "%s (%s)", vmgr_dbus_vm_get_state (vm), reason);
  else
    vmgrctl_fields_add (fields, "State", vmgr_dbus_vm_get_state (vm));
  vmgrctl_fields_add (fields, "Job", g_strcmp0 (job, "/") != 0 ? job : NULL);
  vmgrctl_fields_add_printf (fields, "Owner", "%s (uid %u)", owner, vmgr_dbus_vm_get_owner (vm));
  vmgrctl_fields_add (fields, "Template", vmgr_dbus_vm_get_template (vm));
  vmgrctl_fields_add (fields, "Plan", vmgr_dbus_vm_get_plan (vm));
  vmgrctl_fields_add (fields, "Autostart", vmgr_dbus_vm_get_autostart (vm) ? "yes" : "no");
}

static void
add_resources (VmgrctlFields *fields, VmgrDBusVM *vm)
{
  guint cpu_limit = vmgr_dbus_vm_get_cpu_limit (vm);
  g_autofree char *pending = NULL;

  vmgrctl_fields_add_printf (fields, "VCPUs", "%u", vmgr_dbus_vm_get_vcpus (vm));
  vmgrctl_fields_add_printf (fields, "CPU weight", "%u", vmgr_dbus_vm_get_cpu_weight (vm));
  if (cpu_limit != 0)
    vmgrctl_fields_add_printf (fields, "CPU limit", "%u%% of one host CPU", cpu_limit);
  else
    vmgrctl_fields_add (fields, "CPU limit", NULL);
  add_size (fields, "Memory", vmgr_dbus_vm_get_memory_limit (vm));
  add_size (fields, "Memory guarantee", vmgr_dbus_vm_get_memory_guarantee (vm));
  add_size (fields, "Memory soft limit", vmgr_dbus_vm_get_memory_soft_limit (vm));
  add_size (fields, "Disk", vmgr_dbus_vm_get_disk_hard_limit (vm));
  add_size (fields, "Disk soft limit", vmgr_dbus_vm_get_disk_soft_limit (vm));
  pending = vmgrctl_pending_describe (vmgr_dbus_vm_get_pending_changes (vm));
  if (pending != NULL)
    vmgrctl_fields_add_printf (fields, "Pending", "%s (takes effect at next start)", pending);
}

static void
add_network (VmgrctlFields *fields, VmgrDBusVM *vm)
{
  vmgrctl_fields_add (fields, "Hostname", vmgr_dbus_vm_get_hostname (vm));
  add_list (fields, "Addresses", vmgr_dbus_vm_get_addresses (vm));
  vmgrctl_fields_add (fields, "Gateway", vmgr_dbus_vm_get_gateway (vm));
  add_list (fields, "Nameservers", vmgr_dbus_vm_get_nameservers (vm));
}

char *
vmgrctl_vm_describe (VmgrDBusVM *vm)
{
  g_autoptr(VmgrctlFields) fields = vmgrctl_fields_new ();

  add_identity (fields, vm);
  add_resources (fields, vm);
  add_network (fields, vm);
  add_usage (fields, vm, vmgr_dbus_vm_get_usage (vm));
  return vmgrctl_fields_render (fields);
}

static const VmgrctlJsonMember json_members[] = {
  { "Id", "id" }, { "Name", "name" }, { "UUID", "uuid" }, { "State", "state" },
  { "StateReason", "state_reason" }, { "Job", "job" }, { "Owner", "owner" },
  { "OwnerName", "owner_name" }, { "Template", "template" }, { "Plan", "plan" },
  { "Host", "host" },
  { "Autostart", "autostart" }, { "Vcpus", "vcpus" }, { "CpuWeight", "cpu_weight" },
  { "CpuLimit", "cpu_limit" }, { "MemoryGuarantee", "memory_guarantee" },
  { "MemorySoftLimit", "memory_soft_limit" }, { "MemoryLimit", "memory_limit" },
  { "DiskSoftLimit", "disk_soft_limit" }, { "DiskHardLimit", "disk_hard_limit" },
  { "Hostname", "hostname" }, { "Addresses", "addresses" }, { "Gateway", "gateway" },
  { "Nameservers", "nameservers" }, { "Usage", "usage" },
  { "PendingChanges", "pending_changes" },
};

JsonNode *
vmgrctl_vm_to_json (VmgrDBusVM *vm)
{
  return vmgrctl_json_from_properties (G_DBUS_PROXY (vm), json_members,
                                       G_N_ELEMENTS (json_members));
}
