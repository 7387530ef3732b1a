#include "vmgr-manager-private.h"

#include "vmgr-build-config.h"
#include "vmgr-error.h"
#include "vmgr-peers.h"

static void vmgr_manager_iface_init (VmgrDBusManagerIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (VmgrManager, vmgr_manager, VMGR_DBUS_TYPE_MANAGER_SKELETON,
                               G_IMPLEMENT_INTERFACE (VMGR_DBUS_TYPE_MANAGER,
                                                      vmgr_manager_iface_init))

void
vmgr_manager_finish (VmgrManager *self, GDBusMethodInvocation *invocation,
                     const VmgrGrant *grant, GVariant *value, const GError *error)
{
  if (grant != NULL)
    vmgr_grant_audit (self->context->auth, grant, error);
  if (error != NULL)
    {
      if (value != NULL)
        g_variant_unref (g_variant_ref_sink (value));
      g_dbus_method_invocation_return_gerror (invocation, error);
    }
  else
    g_dbus_method_invocation_return_value (invocation, value);
}

/* ---- ListVMs and FindVM: what the caller may see ----------------------- */

typedef struct {
  VmgrManager *manager;
  GDBusMethodInvocation *invocation;
  char *name_or_id;         /* NULL for ListVMs */
} ViewCall;

static void
view_call_free (ViewCall *call)
{
  g_object_unref (call->manager);
  g_object_unref (call->invocation);
  g_free (call->name_or_id);
  g_free (call);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ViewCall, view_call_free)

static GVariant *
visible_paths (VmgrRegistry *registry, VmgrAuthView view, const VmgrCaller *caller)
{
  /* Who may see only their own is answered from their VMs alone. */
  g_autoptr(GPtrArray) vms = (view & VMGR_AUTH_VIEW_ANY) != 0
                               ? vmgr_registry_list_vms (registry)
                               : vmgr_registry_list_vms_owned_by (registry, caller->uid);
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("ao"));
  for (guint i = 0; i < vms->len; i++)
    {
      VmgrVm *vm = g_ptr_array_index (vms, i);
      g_autofree char *path = vmgr_vm_dup_path (vm);

      if (vmgr_auth_view_includes (view, caller, vmgr_vm_get_spec (vm)->owner))
        g_variant_builder_add (&builder, "o", path);
    }
  return g_variant_new ("(ao)", &builder);
}

static void
set_not_found (GError **error, const char *name_or_id)
{
  g_set_error (error, VMGR_ERROR, VMGR_ERROR_NOT_FOUND, "no VM named or numbered '%s'",
               name_or_id);
}

/* The VM @caller may see that answers to @name_or_id: an id, NAME, or
 * OWNER/NAME (a user name or uid). VM names are unique per owner only, so
 * a bare name may match several VMs: the caller's own comes first, and
 * several others are ambiguous. */
static VmgrVm *
find_visible (VmgrRegistry *registry, const char *name_or_id, VmgrAuthView view,
              const VmgrCaller *caller, GError **error)
{
  g_auto(GStrv) parts = g_strsplit (name_or_id, "/", 2);
  gboolean qualified = parts[1] != NULL;
  const char *name = qualified ? parts[1] : parts[0];
  g_autoptr(GPtrArray) vms = vmgr_registry_list_vms_named (registry, name);
  VmgrVm *found = NULL;
  guint matches = 0;
  guint32 owner = 0;
  guint64 id;
  g_autoptr(GString) ids = g_string_new ("");

  if (!qualified && g_ascii_string_to_unsigned (name_or_id, 10, 1, G_MAXUINT32, &id, NULL))
    {
      found = vmgr_registry_find_vm (registry, (guint32) id);
      if (found == NULL || !vmgr_auth_view_includes (view, caller, vmgr_vm_get_spec (found)->owner))
        return set_not_found (error, name_or_id), NULL;
      return found;
    }
  if (qualified && !vmgr_uid_for_user (parts[0], &owner))
    return set_not_found (error, name_or_id), NULL;
  for (guint i = 0; i < vms->len; i++)
    {
      VmgrVm *vm = g_ptr_array_index (vms, i);
      const VmgrVmSpec *spec = vmgr_vm_get_spec (vm);

      if (!g_str_equal (spec->name, name) || (qualified && spec->owner != owner) ||
          !vmgr_auth_view_includes (view, caller, spec->owner))
        continue;
      if (!qualified && spec->owner == caller->uid)
        return vm;
      found = vm;
      matches++;
      g_string_append_printf (ids, "%s%u", ids->len > 0 ? ", " : "", spec->id);
    }
  if (matches == 1)
    return found;
  if (matches == 0)
    set_not_found (error, name_or_id);
  else
    g_set_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_ARGUMENT,
                 "%u VMs are named '%s' (ids %s): give the id, or OWNER/%s", matches, name,
                 ids->str, name);
  return NULL;
}

static void
on_view_decided (VmgrAuthView view, const VmgrCaller *caller, const GError *error,
                 gpointer user_data)
{
  g_autoptr(ViewCall) call = user_data;
  VmgrRegistry *registry = call->manager->registry;
  g_autoptr(GError) not_found = NULL;
  VmgrVm *vm;
  g_autofree char *path = NULL;

  if (error != NULL)
    {
      g_dbus_method_invocation_return_gerror (call->invocation, error);
      return;
    }
  if (call->name_or_id == NULL)
    {
      g_dbus_method_invocation_return_value (call->invocation,
                                             visible_paths (registry, view, caller));
      return;
    }
  vm = find_visible (registry, call->name_or_id, view, caller, &not_found);
  if (vm == NULL)
    {
      g_dbus_method_invocation_return_gerror (call->invocation, not_found);
      return;
    }
  path = vmgr_vm_dup_path (vm);
  g_dbus_method_invocation_return_value (call->invocation, g_variant_new ("(o)", path));
}

static gboolean
check_view (VmgrManager *self, GDBusMethodInvocation *invocation, const char *name_or_id)
{
  ViewCall *call = g_new0 (ViewCall, 1);

  call->manager = g_object_ref (self);
  call->invocation = g_object_ref (invocation);
  call->name_or_id = g_strdup (name_or_id);
  vmgr_auth_check_view (self->context->auth,
                        g_dbus_method_invocation_get_sender (invocation),
                        vmgr_auth_message_is_interactive (
                          g_dbus_method_invocation_get_message (invocation)),
                        on_view_decided, call);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
handle_list_vms (VmgrDBusManager *object, GDBusMethodInvocation *invocation)
{
  return check_view (VMGR_MANAGER (object), invocation, NULL);
}

static gboolean
handle_find_vm (VmgrDBusManager *object, GDBusMethodInvocation *invocation,
                const char *name_or_id)
{
  if (*name_or_id == '\0' || strlen (name_or_id) > 255)
    {
      g_dbus_method_invocation_return_error (invocation, VMGR_ERROR,
                                             VMGR_ERROR_INVALID_ARGUMENT,
                                             "give a VM name or a numeric id");
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
  return check_view (VMGR_MANAGER (object), invocation, name_or_id);
}

/* ---- Object ------------------------------------------------------------ */

static void
vmgr_manager_iface_init (VmgrDBusManagerIface *iface)
{
  iface->handle_list_vms = handle_list_vms;
  iface->handle_find_vm = handle_find_vm;
  iface->handle_query_audit = vmgr_manager_handle_query_audit;
  iface->handle_query_audit_records = vmgr_manager_handle_query_audit_records;
  iface->handle_create_vm = vmgr_manager_handle_create_vm;
  iface->handle_list_templates = vmgr_manager_handle_list_templates;
  iface->handle_add_template = vmgr_manager_handle_add_template;
  iface->handle_remove_template = vmgr_manager_handle_remove_template;
  iface->handle_list_plans = vmgr_manager_handle_list_plans;
  iface->handle_set_plan = vmgr_manager_handle_set_plan;
  iface->handle_remove_plan = vmgr_manager_handle_remove_plan;
  iface->handle_add_customer = vmgr_manager_handle_add_customer;
  iface->handle_add_host = vmgr_manager_handle_add_host;
  iface->handle_remove_host = vmgr_manager_handle_remove_host;
  iface->handle_list_customers = vmgr_manager_handle_list_customers;
  iface->handle_contract = vmgr_manager_handle_contract;
  iface->handle_get_host_info = vmgr_manager_handle_get_host_info;
  iface->handle_get_permissions = vmgr_manager_handle_get_permissions;
  iface->handle_list_unmanaged_domains = vmgr_manager_handle_list_unmanaged_domains;
  iface->handle_adopt_vm = vmgr_manager_handle_adopt_vm;
  iface->handle_clone_vm = vmgr_manager_handle_clone_vm;
  /* Backups (issue 13). */
  iface->handle_list_backups = vmgr_manager_handle_list_backups;
  iface->handle_delete_backup = vmgr_manager_handle_delete_backup;
  iface->handle_restore_backup = vmgr_manager_handle_restore_backup;
}

static void
vmgr_manager_class_init (VmgrManagerClass *klass)
{
}

static void
vmgr_manager_init (VmgrManager *self)
{
}

VmgrManager *
vmgr_manager_new (const VmgrContext *context, VmgrRegistry *registry)
{
  VmgrManager *self = g_object_new (VMGR_TYPE_MANAGER, NULL);
  VmgrBackend *backend = context->backend;

  self->context = context;
  self->registry = registry;
  vmgr_dbus_manager_set_version (VMGR_DBUS_MANAGER (self), VMGR_VERSION);
  vmgr_dbus_manager_set_backend (VMGR_DBUS_MANAGER (self), vmgr_backend_get_scheme (backend));
  vmgr_dbus_manager_set_capabilities (VMGR_DBUS_MANAGER (self),
                                      vmgr_backend_get_capabilities (backend));
  return self;
}
