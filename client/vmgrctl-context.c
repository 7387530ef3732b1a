/* The bus connection, the Manager proxy and VM lookup. */
#include "vmgrctl-context.h"

#include "vmgrctl-errors.h"

VmgrctlContext *
vmgrctl_context_new (void)
{
  VmgrctlContext *ctx = g_new0 (VmgrctlContext, 1);

  ctx->timeout_s = VMGRCTL_DEFAULT_TIMEOUT_S;
  return ctx;
}

void
vmgrctl_context_free (VmgrctlContext *ctx)
{
  g_free (ctx->address);
  g_clear_object (&ctx->manager);
  g_clear_object (&ctx->connection);
  g_free (ctx);
}

/* The generated vmgr_dbus_*_call_*_sync() functions always pass
 * G_DBUS_CALL_FLAGS_NONE, so the interaction flag is added here, to every
 * method call leaving the connection (the proxies' own GetAll and
 * GetManagedObjects included: property reads are authorized too). */
static GDBusMessage *
allow_interactive_authorization (GDBusConnection *connection, GDBusMessage *message,
                                 gboolean incoming, gpointer user_data)
{
  GDBusMessage *copy;

  if (incoming || g_dbus_message_get_message_type (message) != G_DBUS_MESSAGE_TYPE_METHOD_CALL)
    return message;
  copy = g_dbus_message_copy (message, NULL);
  if (copy == NULL)
    return message;
  g_dbus_message_set_flags (copy, g_dbus_message_get_flags (copy)
                                  | G_DBUS_MESSAGE_FLAGS_ALLOW_INTERACTIVE_AUTHORIZATION);
  g_object_unref (message);
  return copy;
}

static GDBusConnection *
open_connection (VmgrctlContext *ctx, GError **error)
{
  if (ctx->address != NULL)
    return g_dbus_connection_new_for_address_sync (ctx->address,
                                                   G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT
                                                   | G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                                   NULL, NULL, error);
  return g_bus_get_sync (ctx->session ? G_BUS_TYPE_SESSION : G_BUS_TYPE_SYSTEM, NULL, error);
}

static const char *
bus_description (VmgrctlContext *ctx)
{
  if (ctx->address != NULL)
    return ctx->address;
  return ctx->session ? "the session bus" : "the system bus";
}

static gboolean
connect_bus (VmgrctlContext *ctx, GError **error)
{
  g_autoptr(GError) local_error = NULL;

  ctx->connection = open_connection (ctx, &local_error);
  if (ctx->connection == NULL)
    {
      g_set_error_literal (error, VMGRCTL_ERROR, VMGRCTL_EXIT_NO_BUS, local_error->message);
      return FALSE;
    }
  g_dbus_connection_set_exit_on_close (ctx->connection, FALSE);
  if (!ctx->no_ask_password)
    g_dbus_connection_add_filter (ctx->connection, allow_interactive_authorization, NULL, NULL);
  return TRUE;
}

static gboolean
create_manager (VmgrctlContext *ctx, GError **error)
{
  g_autofree char *owner = NULL;

  /* Without G_DBUS_PROXY_FLAGS_DO_NOT_AUTO_START this activates vmgrd. */
  ctx->manager = vmgr_dbus_manager_proxy_new_sync (ctx->connection, G_DBUS_PROXY_FLAGS_NONE,
                                                   VMGRCTL_BUS_NAME, VMGRCTL_MANAGER_PATH,
                                                   NULL, error);
  if (ctx->manager == NULL)
    return FALSE;
  owner = g_dbus_proxy_get_name_owner (G_DBUS_PROXY (ctx->manager));
  if (owner == NULL)
    {
      g_clear_object (&ctx->manager);
      g_set_error (error, VMGRCTL_ERROR, VMGRCTL_EXIT_NO_BUS,
                   "nobody owns %s (is vmgrd installed and running?)", VMGRCTL_BUS_NAME);
      return FALSE;
    }
  return TRUE;
}

gboolean
vmgrctl_context_ensure_manager (VmgrctlContext *ctx, GError **error)
{
  return (ctx->connection != NULL || connect_bus (ctx, error))
         && (ctx->manager != NULL || create_manager (ctx, error));
}

int
vmgrctl_context_connect (VmgrctlContext *ctx, VmgrDBusManager **manager)
{
  g_autoptr(GError) error = NULL;

  if (ctx->connection == NULL && !connect_bus (ctx, &error))
    return vmgrctl_fail (error, "cannot connect to %s", bus_description (ctx));
  if (ctx->manager == NULL && !create_manager (ctx, &error))
    return vmgrctl_fail (error, "cannot reach vmgrd on %s", bus_description (ctx));
  *manager = ctx->manager;
  return VMGRCTL_EXIT_OK;
}

/* GDBusProxy ignores a failing GetAll at construction and leaves the cache
 * empty; ask again to get the daemon's error, or the properties. */
static gboolean
load_properties (GDBusProxy *proxy, GError **error)
{
  g_auto(GStrv) cached = g_dbus_proxy_get_cached_property_names (proxy);
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) properties = NULL;
  GVariantIter iter;
  const char *name;
  GVariant *value;

  if (cached != NULL && cached[0] != NULL)
    return TRUE;
  reply = g_dbus_connection_call_sync (g_dbus_proxy_get_connection (proxy),
                                       g_dbus_proxy_get_name (proxy),
                                       g_dbus_proxy_get_object_path (proxy),
                                       "org.freedesktop.DBus.Properties", "GetAll",
                                       g_variant_new ("(s)", g_dbus_proxy_get_interface_name (proxy)),
                                       G_VARIANT_TYPE ("(a{sv})"), G_DBUS_CALL_FLAGS_NONE, -1,
                                       NULL, error);
  if (reply == NULL)
    return FALSE;
  properties = g_variant_get_child_value (reply, 0);
  g_variant_iter_init (&iter, properties);
  while (g_variant_iter_loop (&iter, "{&sv}", &name, &value))
    g_dbus_proxy_set_cached_property (proxy, name, value);
  return TRUE;
}

VmgrDBusVM *
vmgrctl_context_get_vm (VmgrctlContext *ctx, const char *path, GError **error)
{
  g_autoptr(VmgrDBusVM) vm = NULL;

  vm = vmgr_dbus_vm_proxy_new_sync (ctx->connection, G_DBUS_PROXY_FLAGS_NONE,
                                    VMGRCTL_BUS_NAME, path, NULL, error);
  if (vm == NULL || !load_properties (G_DBUS_PROXY (vm), error))
    return NULL;
  return g_steal_pointer (&vm);
}

VmgrDBusCustomer *
vmgrctl_context_get_customer (VmgrctlContext *ctx, const char *path, GError **error)
{
  g_autoptr(VmgrDBusCustomer) customer = NULL;

  customer = vmgr_dbus_customer_proxy_new_sync (ctx->connection, G_DBUS_PROXY_FLAGS_NONE,
                                                VMGRCTL_BUS_NAME, path, NULL, error);
  if (customer == NULL || !load_properties (G_DBUS_PROXY (customer), error))
    return NULL;
  return g_steal_pointer (&customer);
}

char *
vmgrctl_customer_path (guint32 uid)
{
  return g_strdup_printf ("/org/vmgr/customer/%u", uid);
}

int
vmgrctl_context_lookup_vm (VmgrctlContext *ctx, const char *name_or_id, VmgrDBusVM **vm)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  VmgrDBusManager *manager;
  int status = vmgrctl_context_connect (ctx, &manager);

  if (status != VMGRCTL_EXIT_OK)
    return status;
  if (!vmgr_dbus_manager_call_find_vm_sync (manager, name_or_id, &path, NULL, &error))
    return vmgrctl_fail (error, "cannot find VM '%s'", name_or_id);
  *vm = vmgrctl_context_get_vm (ctx, path, &error);
  if (*vm == NULL)
    return vmgrctl_fail (error, "cannot read VM '%s'", name_or_id);
  return VMGRCTL_EXIT_OK;
}
