#include "vmgr-manager.h"

#include "vmgr-build-config.h"
#include "vmgr-error.h"
#include "vmgr-vm.h"

struct _VmgrManager {
  VmgrDBusManagerSkeleton parent_instance;
  VmgrDaemon *daemon;       /* not owned */
};

static void vmgr_manager_iface_init (VmgrDBusManagerIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (VmgrManager, vmgr_manager, VMGR_DBUS_TYPE_MANAGER_SKELETON,
                               G_IMPLEMENT_INTERFACE (VMGR_DBUS_TYPE_MANAGER,
                                                      vmgr_manager_iface_init))

VmgrDaemon *
vmgr_manager_get_daemon (VmgrManager *self)
{
  return self->daemon;
}

void
vmgr_manager_finish (VmgrManager *self, GDBusMethodInvocation *invocation,
                     const VmgrGrant *grant, GVariant *value, const GError *error)
{
  if (grant != NULL)
    vmgr_grant_audit (vmgr_daemon_get_auth (self->daemon), grant, error);
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

static VmgrVm *
find_by_name_or_id (VmgrDaemon *daemon, const char *name_or_id)
{
  guint64 id;

  if (g_ascii_string_to_unsigned (name_or_id, 10, 1, G_MAXUINT32, &id, NULL))
    return vmgr_daemon_find_vm (daemon, (guint32) id);
  return vmgr_daemon_find_vm_by_name (daemon, name_or_id);
}

static GVariant *
visible_paths (VmgrDaemon *daemon, VmgrAuthView view, const VmgrCaller *caller)
{
  g_autoptr(GPtrArray) vms = vmgr_daemon_list_vms (daemon);
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
on_view_decided (VmgrAuthView view, const VmgrCaller *caller, const GError *error,
                 gpointer user_data)
{
  g_autoptr(ViewCall) call = user_data;
  VmgrDaemon *daemon = call->manager->daemon;
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
                                             visible_paths (daemon, view, caller));
      return;
    }
  vm = find_by_name_or_id (daemon, call->name_or_id);
  if (vm == NULL || !vmgr_auth_view_includes (view, caller, vmgr_vm_get_spec (vm)->owner))
    {
      g_dbus_method_invocation_return_error (call->invocation, VMGR_ERROR, VMGR_ERROR_NOT_FOUND,
                                             "no VM named or numbered '%s'", call->name_or_id);
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
  vmgr_auth_check_view (vmgr_daemon_get_auth (self->daemon),
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

/* ---- QueryAudit -------------------------------------------------------- */

typedef struct {
  VmgrManager *manager;
  GDBusMethodInvocation *invocation;
  gint64 since, until, uid;
  char *target;
  guint32 limit;
} AuditQuery;

static void
audit_query_free (AuditQuery *query)
{
  g_object_unref (query->manager);
  g_object_unref (query->invocation);
  g_free (query->target);
  g_free (query);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AuditQuery, audit_query_free)

static gboolean
parse_audit_filter (GVariant *filter, AuditQuery *query, GError **error)
{
  GVariantIter iter;
  const char *key;
  GVariant *child;

  query->uid = -1;
  g_variant_iter_init (&iter, filter);
  while (g_variant_iter_next (&iter, "{&sv}", &key, &child))
    {
      g_autoptr(GVariant) value = child;
      const char *expected = g_str_equal (key, "since") || g_str_equal (key, "until") ? "x"
                             : g_str_equal (key, "uid") || g_str_equal (key, "limit") ? "u"
                             : g_str_equal (key, "target") ? "s" : NULL;

      if (expected == NULL)
        return g_set_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_ARGUMENT,
                            "unknown filter key '%s' (since, until, uid, target, limit)", key),
               FALSE;
      if (!g_variant_is_of_type (value, G_VARIANT_TYPE (expected)))
        return g_set_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_ARGUMENT,
                            "filter key '%s' must be of type '%s', not '%s'", key, expected,
                            g_variant_get_type_string (value)),
               FALSE;
      if (g_str_equal (key, "since"))
        query->since = g_variant_get_int64 (value);
      else if (g_str_equal (key, "until"))
        query->until = g_variant_get_int64 (value);
      else if (g_str_equal (key, "uid"))
        query->uid = g_variant_get_uint32 (value);
      else if (g_str_equal (key, "limit"))
        query->limit = g_variant_get_uint32 (value);
      else
        {
          g_free (query->target);
          query->target = g_variant_dup_string (value, NULL);
        }
    }
  return TRUE;
}

static GVariant *
audit_entries (GPtrArray *entries)
{
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a(xusssss)"));
  for (guint i = 0; i < entries->len; i++)
    {
      VmgrAuditEntry *entry = g_ptr_array_index (entries, i);

      g_variant_builder_add (&builder, "(xusssss)", entry->time, entry->uid, entry->caller,
                             entry->action, entry->target, entry->result, entry->message);
    }
  return g_variant_new ("(a(xusssss))", &builder);
}

static void
on_audit_decided (VmgrAuthResult result, const VmgrCaller *caller, const char *action,
                  const GError *error, gpointer user_data)
{
  g_autoptr(AuditQuery) query = user_data;
  g_autoptr(GPtrArray) entries = NULL;
  g_autoptr(GError) store_error = NULL;

  if (result != VMGR_AUTH_ALLOWED && result != VMGR_AUTH_DENIED)
    {
      g_dbus_method_invocation_return_gerror (query->invocation, error);
      return;
    }
  /* Without org.vmgr.audit.read a caller reads its own entries only. */
  if (result == VMGR_AUTH_DENIED && query->uid >= 0 && query->uid != caller->uid)
    {
      g_dbus_method_invocation_return_value (query->invocation,
                                             g_variant_new ("(a(xusssss))", NULL));
      return;
    }
  if (result == VMGR_AUTH_DENIED)
    query->uid = caller->uid;
  entries = vmgr_store_query_audit (vmgr_daemon_get_store (query->manager->daemon),
                                    query->since, query->until, query->uid, query->target,
                                    query->limit, &store_error);
  if (entries == NULL)
    g_dbus_method_invocation_return_gerror (query->invocation, store_error);
  else
    g_dbus_method_invocation_return_value (query->invocation, audit_entries (entries));
}

static gboolean
handle_query_audit (VmgrDBusManager *object, GDBusMethodInvocation *invocation,
                    GVariant *filter)
{
  VmgrManager *self = VMGR_MANAGER (object);
  AuditQuery *query = g_new0 (AuditQuery, 1);
  g_autoptr(GError) error = NULL;
  VmgrAuthRequest request = {
    .sender = g_dbus_method_invocation_get_sender (invocation),
    .interactive = vmgr_auth_message_is_interactive (
      g_dbus_method_invocation_get_message (invocation)),
    .interface = "org.vmgr.Manager",
    .member = "QueryAudit",
    .target = "audit",
  };

  query->manager = g_object_ref (self);
  query->invocation = g_object_ref (invocation);
  if (!parse_audit_filter (filter, query, &error))
    {
      g_dbus_method_invocation_return_gerror (invocation, error);
      audit_query_free (query);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
  vmgr_auth_check (vmgr_daemon_get_auth (self->daemon), &request, on_audit_decided, query);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

/* ---- Object ------------------------------------------------------------ */

static void
vmgr_manager_iface_init (VmgrDBusManagerIface *iface)
{
  iface->handle_list_vms = handle_list_vms;
  iface->handle_find_vm = handle_find_vm;
  iface->handle_query_audit = handle_query_audit;
  iface->handle_create_vm = vmgr_manager_handle_create_vm;
  iface->handle_list_templates = vmgr_manager_handle_list_templates;
  iface->handle_add_template = vmgr_manager_handle_add_template;
  iface->handle_remove_template = vmgr_manager_handle_remove_template;
  iface->handle_list_plans = vmgr_manager_handle_list_plans;
  iface->handle_set_plan = vmgr_manager_handle_set_plan;
  iface->handle_remove_plan = vmgr_manager_handle_remove_plan;
  iface->handle_add_customer = vmgr_manager_handle_add_customer;
  iface->handle_list_customers = vmgr_manager_handle_list_customers;
  iface->handle_contract = vmgr_manager_handle_contract;
  iface->handle_get_host_info = vmgr_manager_handle_get_host_info;
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
vmgr_manager_new (VmgrDaemon *daemon)
{
  VmgrManager *self = g_object_new (VMGR_TYPE_MANAGER, NULL);
  VmgrBackend *backend = vmgr_daemon_get_backend (daemon);

  self->daemon = daemon;
  vmgr_dbus_manager_set_version (VMGR_DBUS_MANAGER (self), VMGR_VERSION);
  vmgr_dbus_manager_set_backend (VMGR_DBUS_MANAGER (self), vmgr_backend_get_scheme (backend));
  vmgr_dbus_manager_set_capabilities (VMGR_DBUS_MANAGER (self),
                                      vmgr_backend_get_capabilities (backend));
  return self;
}
