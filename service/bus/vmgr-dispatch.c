#include "vmgr-dispatch-private.h"

#include "vmgr-error.h"
#include "vmgr-generated.h"
#include "vmgr-names.h"
#include "vmgr-property-cache.h"

G_DEFINE_FINAL_TYPE (VmgrDispatch, vmgr_dispatch, G_TYPE_OBJECT)

void
vmgr_dispatch_handoff_free (Handoff *handoff)
{
  g_object_unref (handoff->dispatch);
  g_object_unref (handoff->message);
  g_free (handoff);
}

void
vmgr_dispatch_send_error (VmgrDispatch *self, GDBusMessage *call, const GError *error)
{
  g_autofree char *name = g_dbus_error_encode_gerror (error);
  g_autoptr(GDBusMessage) reply = g_dbus_message_new_method_error_literal (call, name,
                                                                          error->message);

  g_dbus_connection_send_message (self->connection, reply, G_DBUS_SEND_MESSAGE_FLAGS_NONE,
                                  NULL, NULL);
}

void
vmgr_dispatch_send_reply (VmgrDispatch *self, GDBusMessage *call, GVariant *body)
{
  g_autoptr(GDBusMessage) reply = g_dbus_message_new_method_reply (call);

  g_dbus_message_set_body (reply, body);
  g_dbus_connection_send_message (self->connection, reply, G_DBUS_SEND_MESSAGE_FLAGS_NONE,
                                  NULL, NULL);
}

void
vmgr_dispatch_send_no_such_object (VmgrDispatch *self, GDBusMessage *call)
{
  g_autoptr(GError) error =
    vmgr_auth_no_such_object_error (g_dbus_message_get_interface (call),
                                    g_dbus_message_get_path (call));
  vmgr_dispatch_send_error (self, call, error);
}

guint32
vmgr_dispatch_owner_of_path (VmgrDispatch *self, const char *path)
{
  gpointer owner;

  if (g_hash_table_lookup_extended (self->owners, path, NULL, &owner))
    return GPOINTER_TO_UINT (owner);
  if (g_str_has_prefix (path, VMGR_MANAGER_PATH))
    return OWNER_PUBLIC;
  return OWNER_NOBODY;
}

const char *
vmgr_dispatch_host_of_path (const char *path)
{
  return g_str_has_prefix (path, VMGR_HOST_PATH_PREFIX) ? path + strlen (VMGR_HOST_PATH_PREFIX)
                                                         : NULL;
}

GHashTable *
vmgr_dispatch_paths_owned_by (VmgrDispatch *self, guint32 owner)
{
  return g_hash_table_lookup (self->owned, GUINT_TO_POINTER (owner));
}

static void
forget_owner (VmgrDispatch *self, const char *path)
{
  gpointer owner;
  GHashTable *paths;

  if (!g_hash_table_lookup_extended (self->owners, path, NULL, &owner))
    return;
  paths = g_hash_table_lookup (self->owned, owner);
  if (paths != NULL && g_hash_table_remove (paths, path) && g_hash_table_size (paths) == 0)
    g_hash_table_remove (self->owned, owner);
  g_hash_table_remove (self->owners, path);
}

/* ---- Signals: unicast copies to the peers that may see them ------------ */

/* The owner deciding who gets @signal; *@removed_path is set to the path
 * an InterfacesRemoved is about (its last signal). */
static guint32
signal_owner (VmgrDispatch *self, GDBusMessage *signal, const char **removed_path)
{
  const char *path = g_dbus_message_get_path (signal);
  GVariant *body = g_dbus_message_get_body (signal);
  const char *object_path = path;

  *removed_path = NULL;
  if (strcmp (path, VMGR_ROOT_PATH) == 0 && body != NULL &&
      g_variant_n_children (body) > 0)
    {
      g_variant_get_child (body, 0, "&o", &object_path);
      if (g_strcmp0 (g_dbus_message_get_member (signal), "InterfacesRemoved") == 0)
        *removed_path = object_path;
    }
  return vmgr_dispatch_owner_of_path (self, object_path);
}

static void
send_copy (VmgrDispatch *self, GDBusMessage *signal, const char *destination)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDBusMessage) copy = g_dbus_message_copy (signal, &error);

  if (copy == NULL)
    {
      g_warning ("cannot copy a signal: %s", error->message);
      return;
    }
  g_dbus_message_set_destination (copy, destination);
  if (!g_dbus_connection_send_message (self->connection, copy,
                                       G_DBUS_SEND_MESSAGE_FLAGS_NONE, NULL, &error))
    g_debug ("cannot send a signal to %s: %s", destination, error->message);
}

static gboolean
fan_out_signal (gpointer user_data)
{
  Handoff *handoff = user_data;
  VmgrDispatch *self = handoff->dispatch;
  const char *removed_path;
  guint32 owner = signal_owner (self, handoff->message, &removed_path);
  g_autoptr(GPtrArray) peers = vmgr_peers_list (self->peers);

  for (guint i = 0; i < peers->len; i++)
    {
      const VmgrCaller *peer = g_ptr_array_index (peers, i);

      if (owner == OWNER_PUBLIC || vmgr_auth_cached_visible (self->auth, peer, owner))
        send_copy (self, handoff->message, peer->bus_name);
    }
  if (removed_path != NULL && g_hash_table_remove (self->removed, removed_path))
    forget_owner (self, removed_path);
  vmgr_dispatch_handoff_free (handoff);
  return G_SOURCE_REMOVE;
}

void
vmgr_dispatch_set_owner (VmgrDispatch *self, const char *path, guint32 owner)
{
  GHashTable *paths;

  vmgr_read_memo_forget_path (self->memo, path);
  forget_owner (self, path);
  g_hash_table_insert (self->owners, g_strdup (path), GUINT_TO_POINTER (owner));
  paths = g_hash_table_lookup (self->owned, GUINT_TO_POINTER (owner));
  if (paths == NULL)
    {
      paths = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
      g_hash_table_insert (self->owned, GUINT_TO_POINTER (owner), paths);
    }
  g_hash_table_add (paths, g_strdup (path));
  g_hash_table_remove (self->removed, path);
  self->objects_generation++;
}

void
vmgr_dispatch_path_removed (VmgrDispatch *self, const char *path)
{
  vmgr_read_memo_forget_path (self->memo, path);
  self->objects_generation++;
  g_hash_table_add (self->removed, g_strdup (path));
}

/* What an ObjectManager client of a peer must hear when the object at
 * @path appears to it or vanishes from its view. */
static GDBusMessage *
view_change_signal (VmgrDispatch *self, const char *path, gboolean added)
{
  g_autoptr(GDBusObject) object =
    g_dbus_object_manager_get_object (G_DBUS_OBJECT_MANAGER (self->objects), path);
  g_autolist(GDBusInterface) interfaces = NULL;
  GDBusMessage *signal;
  GVariantBuilder builder;

  if (object == NULL)
    return NULL;
  interfaces = g_dbus_object_get_interfaces (object);
  signal = g_dbus_message_new_signal (VMGR_ROOT_PATH, OBJECT_MANAGER_IFACE,
                                      added ? "InterfacesAdded" : "InterfacesRemoved");
  g_variant_builder_init (&builder, added ? G_VARIANT_TYPE ("a{sa{sv}}") : G_VARIANT_TYPE ("as"));
  for (GList *l = interfaces; l != NULL; l = l->next)
    {
      const char *name = g_dbus_interface_get_info (l->data)->name;
      g_autoptr(GVariant) properties = added ? vmgr_property_cache_interface (l->data) : NULL;

      if (added)
        g_variant_builder_add (&builder, "{s@a{sv}}", name, properties);
      else
        g_variant_builder_add (&builder, "s", name);
    }
  g_dbus_message_set_body (signal, g_variant_new (added ? "(oa{sa{sv}})" : "(oas)", path,
                                                  &builder));
  return signal;
}

void
vmgr_dispatch_owner_changed (VmgrDispatch *self, const char *path, guint32 old_owner,
                             guint32 new_owner)
{
  g_autoptr(GPtrArray) peers = vmgr_peers_list (self->peers);
  g_autoptr(GDBusMessage) added = view_change_signal (self, path, TRUE);
  g_autoptr(GDBusMessage) removed = view_change_signal (self, path, FALSE);

  vmgr_dispatch_set_owner (self, path, new_owner);
  for (guint i = 0; added != NULL && i < peers->len; i++)
    {
      const VmgrCaller *peer = g_ptr_array_index (peers, i);
      gboolean before = vmgr_auth_cached_visible (self->auth, peer, old_owner);
      gboolean after = vmgr_auth_cached_visible (self->auth, peer, new_owner);

      if (before && !after)
        send_copy (self, removed, peer->bus_name);
      else if (!before && after)
        send_copy (self, added, peer->bus_name);
    }
}

/* ---- The filter (runs in GDBus's worker thread) ------------------------ */

typedef enum {
  ROUTE_PASS,          /* on to GDBus and the skeletons */
  ROUTE_PROPERTIES,
  ROUTE_VIEW,          /* Introspect, GetManagedObjects */
  ROUTE_NO_SUCH_OBJECT,
  ROUTE_BAD_ARGUMENTS, /* on an object someone owns: only who may see it hears so */
  ROUTE_DENY,
} Route;

static GDBusInterfaceInfo *
tenant_interface_info (const char *interface)
{
  if (g_strcmp0 (interface, VMGR_VM_INTERFACE) == 0)
    return vmgr_dbus_vm_interface_info ();
  if (g_strcmp0 (interface, VMGR_CUSTOMER_INTERFACE) == 0)
    return vmgr_dbus_customer_interface_info ();
  if (g_strcmp0 (interface, VMGR_JOB_INTERFACE) == 0)
    return vmgr_dbus_job_interface_info ();
  if (g_strcmp0 (interface, VMGR_SNAPSHOT_INTERFACE) == 0)
    return vmgr_dbus_snapshot_interface_info ();
  if (g_strcmp0 (interface, VMGR_HOST_INTERFACE) == 0)
    return vmgr_dbus_host_interface_info ();
  return NULL;
}

/* Whether the arguments have the method's types. GDBus would check them
 * itself, but before anyone asked whether the caller may see the object. */
static gboolean
arguments_match (GDBusMessage *message, GDBusMethodInfo *method)
{
  g_autoptr(GString) expected = g_string_new ("");
  const char *signature = g_dbus_message_get_signature (message);

  for (guint i = 0; method->in_args != NULL && method->in_args[i] != NULL; i++)
    g_string_append (expected, method->in_args[i]->signature);
  return g_strcmp0 (expected->str, signature != NULL ? signature : "") == 0;
}

/* A call on a path where a tenant's object is, or would be: the route
 * depends on the message alone, never on whether the object exists or who
 * may see it, so that a foreign object and a missing one answer alike.
 * Anything but the object's own methods (with a rule), its properties,
 * Introspect and Peer answers as if no object were there, to everyone. */
static Route
route_tenant_call (GDBusMessage *message, const char *path, const char *interface,
                   const char *member)
{
  const char *own = vmgr_tenant_interface (path);
  GDBusMethodInfo *method;

  if (interface == NULL)
    return ROUTE_NO_SUCH_OBJECT;
  if (strcmp (interface, PROPERTIES_IFACE) == 0)
    return ROUTE_PROPERTIES;
  if ((strcmp (interface, INTROSPECTABLE_IFACE) == 0 && g_strcmp0 (member, "Introspect") == 0) ||
      (strcmp (interface, OBJECT_MANAGER_IFACE) == 0 && g_strcmp0 (member, "GetManagedObjects") == 0))
    return ROUTE_VIEW;
  /* GDBus answers these two alike on every path, existing or not, but
   * only without arguments: with any, it looks for the interface on the
   * object, and "No such interface" would tell an object from none. */
  if (strcmp (interface, PEER_IFACE) == 0 &&
      (g_strcmp0 (member, "Ping") == 0 || g_strcmp0 (member, "GetMachineId") == 0))
    {
      const char *signature = g_dbus_message_get_signature (message);

      return signature == NULL || *signature == '\0' ? ROUTE_PASS : ROUTE_NO_SUCH_OBJECT;
    }
  if (g_strcmp0 (interface, own) != 0 || vmgr_auth_lookup_rule (interface, member) == NULL)
    return ROUTE_NO_SUCH_OBJECT;
  method = g_dbus_interface_info_lookup_method (tenant_interface_info (own), member);
  if (method == NULL)
    return ROUTE_NO_SUCH_OBJECT;
  return arguments_match (message, method) ? ROUTE_PASS : ROUTE_BAD_ARGUMENTS;
}

static Route
route_call (GDBusMessage *message)
{
  const char *interface = g_dbus_message_get_interface (message);
  const char *member = g_dbus_message_get_member (message);
  const char *path = g_dbus_message_get_path (message);

  if (vmgr_is_tenant_path (path))
    return route_tenant_call (message, path, interface, member);
  if (interface == NULL)
    return ROUTE_DENY;
  if (strcmp (interface, PROPERTIES_IFACE) == 0)
    return ROUTE_PROPERTIES;
  if ((strcmp (interface, INTROSPECTABLE_IFACE) == 0 && g_strcmp0 (member, "Introspect") == 0) ||
      (strcmp (interface, OBJECT_MANAGER_IFACE) == 0 && g_strcmp0 (member, "GetManagedObjects") == 0))
    return ROUTE_VIEW;
  if (strcmp (interface, PEER_IFACE) == 0)
    return ROUTE_PASS;
  if (g_str_has_prefix (interface, "org.freedesktop.DBus."))
    return ROUTE_NO_SUCH_OBJECT;
  return vmgr_auth_lookup_rule (interface, member) != NULL ? ROUTE_PASS : ROUTE_DENY;
}

static void handle_bad_arguments (Handoff *handoff);

static gboolean
handle_on_main (gpointer user_data)
{
  Handoff *handoff = user_data;
  GDBusMessage *call = handoff->message;

  switch (route_call (call))
    {
    case ROUTE_PROPERTIES:
      vmgr_dispatch_handle_properties (handoff);
      break;
    case ROUTE_VIEW:
      vmgr_dispatch_handle_view_call (handoff);
      break;
    case ROUTE_NO_SUCH_OBJECT:
      vmgr_dispatch_send_no_such_object (handoff->dispatch, call);
      vmgr_dispatch_handoff_free (handoff);
      break;
    case ROUTE_BAD_ARGUMENTS:
      handle_bad_arguments (handoff);
      break;
    case ROUTE_DENY:
    case ROUTE_PASS:
    default:
      {
        g_autoptr(GError) error = g_error_new (VMGR_ERROR, VMGR_ERROR_NOT_AUTHORIZED,
                                               "%s.%s is not allowed",
                                               g_dbus_message_get_interface (call),
                                               g_dbus_message_get_member (call));
        vmgr_dispatch_send_error (handoff->dispatch, call, error);
        vmgr_dispatch_handoff_free (handoff);
      }
    }
  return G_SOURCE_REMOVE;
}

static void
hand_to_main (VmgrDispatch *self, GDBusMessage *message, GSourceFunc func)
{
  Handoff *handoff = g_new0 (Handoff, 1);

  handoff->dispatch = g_object_ref (self);
  handoff->message = g_object_ref (message);
  g_main_context_invoke (self->context, func, handoff);
}

/* A call that fails whatever the object: the caller hears why only if it
 * may see the object; anyone else hears what a missing object answers. */
typedef struct {
  Handoff *handoff;
  GError *answer;
} VisibleAnswer;

static void
on_answer_view (VmgrAuthResult result, const VmgrCaller *caller, const char *action,
                const GError *error, gpointer user_data)
{
  VisibleAnswer *visible = user_data;

  vmgr_dispatch_send_error (visible->handoff->dispatch, visible->handoff->message,
                            result == VMGR_AUTH_ALLOWED ? visible->answer : error);
  vmgr_dispatch_handoff_free (visible->handoff);
  g_error_free (visible->answer);
  g_free (visible);
}

static void
answer_if_visible (Handoff *handoff, GError *answer)
{
  VmgrDispatch *self = handoff->dispatch;
  GDBusMessage *call = handoff->message;
  const char *path = g_dbus_message_get_path (call);
  const VmgrVmSpec *vm = NULL;
  const VmgrCustomerInfo *customer = NULL;
  VmgrAuthRequest request = { 0 };
  VisibleAnswer *visible;

  if (!self->find_target (path, &vm, &customer, self->find_data) ||
      (vm == NULL && customer == NULL && vmgr_dispatch_host_of_path (path) == NULL))
    {
      vmgr_dispatch_send_no_such_object (self, call);
      vmgr_dispatch_handoff_free (handoff);
      g_error_free (answer);
      return;
    }
  visible = g_new0 (VisibleAnswer, 1);
  visible->handoff = handoff;
  visible->answer = answer;
  request.sender = g_dbus_message_get_sender (call);
  request.interface = vmgr_tenant_interface (path);
  request.member = "Get";
  request.vm = vm;
  request.customer = customer;
  request.host = vmgr_dispatch_host_of_path (path);
  request.called_path = path;
  vmgr_auth_check (self->auth, &request, on_answer_view, visible);
}

/* Arguments of the wrong types, in GDBus's words. */
static void
handle_bad_arguments (Handoff *handoff)
{
  GDBusMessage *call = handoff->message;

  answer_if_visible (handoff,
                     g_error_new (G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS,
                                  "Type of message “(%s)” does not match the expected type of %s.%s",
                                  g_dbus_message_get_signature (call),
                                  g_dbus_message_get_interface (call),
                                  g_dbus_message_get_member (call)));
}

/* A reply going out may free reads held behind the call it answers. */
static void
release_held_reads (VmgrDispatch *self, GDBusMessage *reply)
{
  g_autoptr(GPtrArray) released = vmgr_read_memo_replied (self->memo, reply);

  for (guint i = 0; released != NULL && i < released->len; i++)
    hand_to_main (self, g_ptr_array_index (released, i), handle_on_main);
}

/* Properties calls: answered here from the read memo when it can, held
 * behind the caller's earlier calls, or handed to the main thread. */
static gboolean
read_from_memo (VmgrDispatch *self, GDBusMessage *call)
{
  g_autoptr(GDBusMessage) reply = NULL;

  switch (vmgr_read_memo_read (self->memo, call, &reply))
    {
    case VMGR_READ_MEMO_ANSWERED:
      g_dbus_connection_send_message (self->connection, reply, G_DBUS_SEND_MESSAGE_FLAGS_NONE,
                                      NULL, NULL);
      return TRUE;
    case VMGR_READ_MEMO_HELD:
      return TRUE;
    case VMGR_READ_MEMO_MISS:
    default:
      return FALSE;
    }
}

/* polkit's Changed, which reaches vmgr-auth only through the main loop:
 * reads arriving after it must not be answered from grants made before. */
static gboolean
is_authority_changed (GDBusMessage *message)
{
  return g_strcmp0 (g_dbus_message_get_interface (message),
                    "org.freedesktop.PolicyKit1.Authority") == 0 &&
         g_strcmp0 (g_dbus_message_get_member (message), "Changed") == 0;
}

static GDBusMessage *
filter (GDBusConnection *connection, GDBusMessage *message, gboolean incoming,
        gpointer user_data)
{
  VmgrDispatch *self = VMGR_DISPATCH (user_data);
  GDBusMessageType type = g_dbus_message_get_message_type (message);
  Route route;

  if (!incoming)
    {
      if (type == G_DBUS_MESSAGE_TYPE_METHOD_RETURN || type == G_DBUS_MESSAGE_TYPE_ERROR)
        release_held_reads (self, message);
      if (type != G_DBUS_MESSAGE_TYPE_SIGNAL || g_dbus_message_get_destination (message) != NULL)
        return message;
      hand_to_main (self, message, fan_out_signal);
      g_object_unref (message);
      return NULL;
    }
  if (type == G_DBUS_MESSAGE_TYPE_SIGNAL && is_authority_changed (message))
    vmgr_read_memo_authority_changing (self->memo);
  if (type != G_DBUS_MESSAGE_TYPE_METHOD_CALL)
    return message;
  route = route_call (message);
  if (route != ROUTE_PROPERTIES)
    vmgr_read_memo_call (self->memo, message);
  else if (read_from_memo (self, message))
    {
      g_object_unref (message);
      return NULL;
    }
  if (route == ROUTE_PASS)
    return message;
  hand_to_main (self, message, handle_on_main);
  g_object_unref (message);
  return NULL;
}

static void
on_properties_dropped (const char *path, const char *interface, gpointer user_data)
{
  vmgr_read_memo_forget_value (VMGR_DISPATCH (user_data)->memo, path, interface);
}

void
vmgr_dispatch_close (VmgrDispatch *self)
{
  if (self->filter_id != 0)
    {
      g_dbus_connection_remove_filter (self->connection, self->filter_id);
      self->filter_id = 0;
    }
}

static void
vmgr_dispatch_dispose (GObject *object)
{
  VmgrDispatch *self = VMGR_DISPATCH (object);

  vmgr_dispatch_close (self);
  vmgr_property_cache_clear_dropped_func (self);
  g_clear_object (&self->memo);
  g_clear_object (&self->auth);
  g_clear_object (&self->peers);
  g_clear_object (&self->objects);
  g_clear_object (&self->connection);
  G_OBJECT_CLASS (vmgr_dispatch_parent_class)->dispose (object);
}

static void
vmgr_dispatch_finalize (GObject *object)
{
  VmgrDispatch *self = VMGR_DISPATCH (object);

  g_hash_table_unref (self->owners);
  g_hash_table_unref (self->owned);
  g_clear_pointer (&self->inventory, g_variant_unref);
  g_hash_table_unref (self->removed);
  g_main_context_unref (self->context);
  G_OBJECT_CLASS (vmgr_dispatch_parent_class)->finalize (object);
}

static void
vmgr_dispatch_class_init (VmgrDispatchClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = vmgr_dispatch_dispose;
  object_class->finalize = vmgr_dispatch_finalize;
}

static void
vmgr_dispatch_init (VmgrDispatch *self)
{
  self->owners = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->owned = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) g_hash_table_unref);
  self->removed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->context = g_main_context_ref_thread_default ();
}

VmgrDispatch *
vmgr_dispatch_new (GDBusConnection *connection, VmgrAuth *auth, VmgrPeers *peers,
                   GDBusObjectManagerServer *objects, VmgrDispatchFindTarget find_target,
                   gpointer find_data)
{
  VmgrDispatch *self = g_object_new (VMGR_TYPE_DISPATCH, NULL);

  self->connection = g_object_ref (connection);
  self->auth = g_object_ref (auth);
  self->memo = g_object_ref (vmgr_auth_get_read_memo (auth));
  self->peers = g_object_ref (peers);
  self->objects = g_object_ref (objects);
  self->find_target = find_target;
  self->find_data = find_data;
  vmgr_property_cache_set_dropped_func (on_properties_dropped, self);
  /* The filter may still run in GDBus's worker thread after removal: it
   * holds a reference, dropped once GDBus is done with it. */
  self->filter_id = g_dbus_connection_add_filter (connection, filter, g_object_ref (self),
                                                  g_object_unref);
  return self;
}
