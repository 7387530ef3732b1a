/* Manager.GetHostInfo: the host, what it offers VMs, what they take. */
#include "vmgr-manager-private.h"

static void
add_counts_by_state (VmgrRegistry *registry, GVariantDict *dict)
{
  g_autoptr(GPtrArray) vms = vmgr_registry_list_vms (registry);
  guint counts[VMGR_VM_STATE_UNKNOWN + 1] = { 0 };

  for (guint i = 0; i < vms->len; i++)
    counts[vmgr_vm_get_state (g_ptr_array_index (vms, i))]++;
  g_variant_dict_insert (dict, "vms", "u", vms->len);
  for (guint state = 0; state <= VMGR_VM_STATE_UNKNOWN; state++)
    {
      g_autofree char *key = g_strdup_printf ("vms_%s", vmgr_vm_state_to_string (state));

      g_variant_dict_insert (dict, key, "u", counts[state]);
    }
}

static void
add_disk (const VmgrConfig *config, GVariantDict *dict)
{
  g_autoptr(GFile) dir = g_file_new_for_path (config->state_dir);
  g_autoptr(GFileInfo) fs = g_file_query_filesystem_info (dir, "filesystem::*", NULL, NULL);

  if (fs == NULL)
    return;
  g_variant_dict_insert (dict, "disk_total", "t",
                         g_file_info_get_attribute_uint64 (fs, G_FILE_ATTRIBUTE_FILESYSTEM_SIZE));
  g_variant_dict_insert (dict, "disk_free", "t",
                         g_file_info_get_attribute_uint64 (fs, G_FILE_ATTRIBUTE_FILESYSTEM_FREE));
}

static GVariant *
host_info_variant (VmgrManager *self, const VmgrHostInfo *host)
{
  const VmgrCapacity *capacity = vmgr_ledger_get_capacity (self->context->ledger);
  VmgrAllocation allocated = vmgr_ledger_allocation (self->context->ledger, G_MAXUINT32);
  GVariantDict dict;

  g_variant_dict_init (&dict, NULL);
  g_variant_dict_insert (&dict, "cpus", "u", host->cpus);
  g_variant_dict_insert (&dict, "cpu_model", "s", host->cpu_model != NULL ? host->cpu_model : "");
  g_variant_dict_insert (&dict, "memory_total", "t", host->memory_total);
  g_variant_dict_insert (&dict, "memory_free", "t", host->memory_free);
  add_disk (self->context->config, &dict);
  g_variant_dict_insert (&dict, "capacity_vcpus", "t", capacity->vcpus);
  g_variant_dict_insert (&dict, "capacity_memory", "t", capacity->memory);
  g_variant_dict_insert (&dict, "capacity_disk", "t", capacity->disk);
  g_variant_dict_insert (&dict, "allocated_vcpus", "t", (guint64) allocated.vcpus);
  g_variant_dict_insert (&dict, "allocated_memory", "t", allocated.memory);
  g_variant_dict_insert (&dict, "allocated_disk", "t", allocated.disk);
  add_counts_by_state (self->registry, &dict);
  return g_variant_dict_end (&dict);
}

static void
on_fresh_host_info (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GDBusMethodInvocation) invocation = user_data;
  VmgrManager *self = VMGR_MANAGER (g_dbus_method_invocation_get_user_data (invocation));
  g_autoptr(GError) error = NULL;
  g_autoptr(VmgrHostInfo) host = vmgr_backend_get_host_info_finish (VMGR_BACKEND (source),
                                                                     result, &error);

  if (host == NULL)
    {
      g_dbus_method_invocation_return_gerror (invocation, error);
      return;
    }
  g_dbus_method_invocation_return_value (
    invocation, g_variant_new ("(@a{sv})", host_info_variant (self, host)));
}

static void
on_host_info_allowed (GDBusMethodInvocation *invocation, VmgrGrant *grant, gpointer data)
{
  g_autoptr(VmgrGrant) owned_grant G_GNUC_UNUSED = grant;
  VmgrManager *self = VMGR_MANAGER (g_dbus_method_invocation_get_user_data (invocation));

  vmgr_backend_get_host_info_async (self->context->backend,
                                    NULL, on_fresh_host_info, g_object_ref (invocation));
}

gboolean
vmgr_manager_handle_get_host_info (VmgrDBusManager *object, GDBusMethodInvocation *invocation)
{
  VmgrManager *self = VMGR_MANAGER (object);

  vmgr_auth_authorize (self->context->auth, invocation, NULL, NULL,
                       on_host_info_allowed, NULL, NULL);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}
