#include "vmgr-dispatch.h"

#include "vmgr-error.h"
#include "vmgr-generated.h"

#define VM_PATH_PREFIX "/org/vmgr/vm/"
#define CUSTOMER_PATH_PREFIX "/org/vmgr/customer/"
#define JOB_PATH_PREFIX "/org/vmgr/job/"
#define OBJECT_MANAGER_PATH "/org/vmgr"
#define PROPERTIES_IFACE "org.freedesktop.DBus.Properties"
#define INTROSPECTABLE_IFACE "org.freedesktop.DBus.Introspectable"
#define OBJECT_MANAGER_IFACE "org.freedesktop.DBus.ObjectManager"
#define PEER_IFACE "org.freedesktop.DBus.Peer"
#define VM_IFACE "org.vmgr.VM"
/* An owner nobody has: only callers who may see any VM see it. */
#define OWNER_NOBODY G_MAXUINT32

struct _VmgrDispatch {
  GObject parent_instance;
  GDBusConnection *connection;
  VmgrAuth *auth;
  VmgrPeers *peers;
  GDBusObjectManagerServer *objects;
  VmgrDispatchFindTarget find_target;
  gpointer find_data;
  GHashTable *owners;       /* object path -> owner uid (main thread only) */
  GHashTable *removed;      /* paths whose InterfacesRemoved is pending */
  guint filter_id;
  GMainContext *context;
};

G_DEFINE_FINAL_TYPE (VmgrDispatch, vmgr_dispatch, G_TYPE_OBJECT)

/* A message handed from GDBus's worker thread to the main thread. */
typedef struct {
  VmgrDispatch *dispatch;
  GDBusMessage *message;
} Handoff;

static void
handoff_free (Handoff *handoff)
{
  g_object_unref (handoff->dispatch);
  g_object_unref (handoff->message);
  g_free (handoff);
}

static guint32
number_after (const char *path, const char *prefix)
{
  guint64 id;
  const char *digits;

  if (path == NULL || !g_str_has_prefix (path, prefix))
    return 0;
  digits = path + strlen (prefix);
  if (*digits == '\0' || *digits == '0' ||
      !g_ascii_string_to_unsigned (digits, 10, 1, G_MAXUINT32 - 1, &id, NULL))
    return 0;
  return (guint32) id;
}

guint32
vmgr_dispatch_vm_id_from_path (const char *path)
{
  return number_after (path, VM_PATH_PREFIX);
}

/* A path under which objects belong to somebody: unknown members there
 * answer as if nothing were there. */
static gboolean
is_tenant_path (const char *path)
{
  return g_str_has_prefix (path, VM_PATH_PREFIX) || g_str_has_prefix (path, CUSTOMER_PATH_PREFIX) ||
         g_str_has_prefix (path, JOB_PATH_PREFIX);
}

static void
send_error (VmgrDispatch *self, GDBusMessage *call, const GError *error)
{
  g_autofree char *name = g_dbus_error_encode_gerror (error);
  g_autoptr(GDBusMessage) reply = g_dbus_message_new_method_error_literal (call, name,
                                                                          error->message);

  g_dbus_connection_send_message (self->connection, reply, G_DBUS_SEND_MESSAGE_FLAGS_NONE,
                                  NULL, NULL);
}

static void
send_reply (VmgrDispatch *self, GDBusMessage *call, GVariant *body)
{
  g_autoptr(GDBusMessage) reply = g_dbus_message_new_method_reply (call);

  g_dbus_message_set_body (reply, body);
  g_dbus_connection_send_message (self->connection, reply, G_DBUS_SEND_MESSAGE_FLAGS_NONE,
                                  NULL, NULL);
}

static void
send_no_such_object (VmgrDispatch *self, GDBusMessage *call)
{
  g_autoptr(GError) error =
    vmgr_auth_no_such_object_error (g_dbus_message_get_interface (call),
                                    g_dbus_message_get_path (call));
  send_error (self, call, error);
}

/* ---- Properties -------------------------------------------------------- */

typedef struct {
  Handoff *handoff;
  GDBusInterfaceSkeleton *skeleton;   /* NULL when the object lacks the interface */
  char *interface;
  gboolean valid;                     /* the arguments have the member's types */
} PropertyRead;

static void
property_read_free (PropertyRead *read)
{
  handoff_free (read->handoff);
  g_clear_object (&read->skeleton);
  g_free (read->interface);
  g_free (read);
}

static void
answer_property_read (VmgrDispatch *self, GDBusMessage *call, GDBusInterfaceSkeleton *skeleton,
                      const char *interface)
{
  g_autoptr(GVariant) properties = NULL;
  const char *member = g_dbus_message_get_member (call);
  const char *name = NULL;
  g_autoptr(GVariant) value = NULL;

  if (skeleton == NULL)
    {
      g_autoptr(GError) error = g_error_new (G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS,
                                             "No such interface “%s”", interface);
      send_error (self, call, error);
      return;
    }
  /* A full, non-floating reference. */
  properties = g_dbus_interface_skeleton_get_properties (skeleton);
  if (g_strcmp0 (member, "GetAll") == 0)
    {
      send_reply (self, call, g_variant_new_tuple (&properties, 1));
      return;
    }
  g_variant_get (g_dbus_message_get_body (call), "(&s&s)", NULL, &name);
  value = g_variant_lookup_value (properties, name, NULL);
  if (value == NULL)
    {
      g_autoptr(GError) error = g_error_new (G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS,
                                             "No such property “%s”", name);
      send_error (self, call, error);
      return;
    }
  send_reply (self, call, g_variant_new ("(v)", value));
}

static void
on_property_read_decided (VmgrAuthResult result, const VmgrCaller *caller,
                          const char *action, const GError *error, gpointer user_data)
{
  PropertyRead *read = user_data;
  VmgrDispatch *self = read->handoff->dispatch;
  GDBusMessage *call = read->handoff->message;

  if (result != VMGR_AUTH_ALLOWED)
    send_error (self, call, error);
  else if (!read->valid)
    {
      g_autoptr(GError) invalid = g_error_new (G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS,
                                               "Invalid arguments for %s",
                                               g_dbus_message_get_member (call));
      send_error (self, call, invalid);
    }
  else
    answer_property_read (self, call, read->skeleton, read->interface);
  property_read_free (read);
}

static char *
first_interface_name (GDBusObject *object)
{
  g_autolist(GDBusInterface) interfaces = g_dbus_object_get_interfaces (object);

  if (interfaces == NULL)
    return g_strdup ("");
  return g_strdup (g_dbus_interface_get_info (interfaces->data)->name);
}

/* The interface whose properties are read: the argument, or for GetAll
 * with "" the object's first interface. */
static char *
property_interface (GDBusMessage *call, GDBusObject *object)
{
  const char *interface = NULL;
  GVariant *body = g_dbus_message_get_body (call);

  if (body != NULL && g_variant_n_children (body) >= 1)
    g_variant_get_child (body, 0, "&s", &interface);
  if (interface != NULL && *interface != '\0')
    return g_strdup (interface);
  return first_interface_name (object);
}

static gboolean
properties_call_valid (GDBusMessage *call)
{
  const char *member = g_dbus_message_get_member (call);
  GVariant *body = g_dbus_message_get_body (call);
  const char *signature = body != NULL ? g_variant_get_type_string (body) : "()";

  if (g_strcmp0 (member, "Get") == 0)
    return g_strcmp0 (signature, "(ss)") == 0;
  if (g_strcmp0 (member, "GetAll") == 0)
    return g_strcmp0 (signature, "(s)") == 0;
  return g_strcmp0 (member, "Set") == 0 && g_strcmp0 (signature, "(ssv)") == 0;
}

static void
handle_properties (Handoff *handoff)
{
  VmgrDispatch *self = handoff->dispatch;
  GDBusMessage *call = handoff->message;
  const char *path = g_dbus_message_get_path (call);
  g_autoptr(GDBusObject) object = g_dbus_object_manager_get_object (G_DBUS_OBJECT_MANAGER (self->objects), path);
  const VmgrVmSpec *vm = NULL;
  const VmgrCustomerInfo *customer = NULL;
  gboolean found = self->find_target (path, &vm, &customer, self->find_data);
  PropertyRead *read;
  VmgrAuthRequest request = { 0 };
  g_autofree char *object_interface = NULL;

  if (object == NULL || !found)
    {
      send_no_such_object (self, call);
      handoff_free (handoff);
      return;
    }
  /* Bad arguments are refused only to callers who may see the object. */
  read = g_new0 (PropertyRead, 1);
  read->handoff = handoff;
  read->valid = properties_call_valid (call);
  read->interface = read->valid ? property_interface (call, object)
                                : first_interface_name (object);
  read->skeleton = (GDBusInterfaceSkeleton *) g_dbus_object_get_interface (object, read->interface);
  request.sender = g_dbus_message_get_sender (call);
  request.interactive = vmgr_auth_message_is_interactive (call);
  /* Keyed by the interface read; an interface the object lacks is decided
   * as a view of the object, so that nothing is revealed before that. */
  object_interface = first_interface_name (object);
  request.interface = read->skeleton != NULL ? read->interface : object_interface;
  request.member = g_dbus_message_get_member (call);
  request.vm = vm;
  request.customer = customer;
  request.target = path;
  vmgr_auth_check (self->auth, &request, on_property_read_decided, read);
}

/* ---- What a caller may see: Introspect and GetManagedObjects ----------- */

#define INTROSPECT_DOCTYPE                                                    \
  "<!DOCTYPE node PUBLIC \"-//freedesktop//DTD D-BUS Object Introspection 1.0//EN\"\n" \
  "\"http://www.freedesktop.org/standards/dbus/1.0/introspect.dtd\">\n"

static const char standard_interfaces_xml[] =
  "  <interface name=\"org.freedesktop.DBus.Properties\">\n"
  "    <method name=\"Get\">\n"
  "      <arg type=\"s\" name=\"interface_name\" direction=\"in\"/>\n"
  "      <arg type=\"s\" name=\"property_name\" direction=\"in\"/>\n"
  "      <arg type=\"v\" name=\"value\" direction=\"out\"/>\n"
  "    </method>\n"
  "    <method name=\"GetAll\">\n"
  "      <arg type=\"s\" name=\"interface_name\" direction=\"in\"/>\n"
  "      <arg type=\"a{sv}\" name=\"properties\" direction=\"out\"/>\n"
  "    </method>\n"
  "    <method name=\"Set\">\n"
  "      <arg type=\"s\" name=\"interface_name\" direction=\"in\"/>\n"
  "      <arg type=\"s\" name=\"property_name\" direction=\"in\"/>\n"
  "      <arg type=\"v\" name=\"value\" direction=\"in\"/>\n"
  "    </method>\n"
  "    <signal name=\"PropertiesChanged\">\n"
  "      <arg type=\"s\" name=\"interface_name\"/>\n"
  "      <arg type=\"a{sv}\" name=\"changed_properties\"/>\n"
  "      <arg type=\"as\" name=\"invalidated_properties\"/>\n"
  "    </signal>\n"
  "  </interface>\n"
  "  <interface name=\"org.freedesktop.DBus.Introspectable\">\n"
  "    <method name=\"Introspect\">\n"
  "      <arg type=\"s\" name=\"xml_data\" direction=\"out\"/>\n"
  "    </method>\n"
  "  </interface>\n"
  "  <interface name=\"org.freedesktop.DBus.Peer\">\n"
  "    <method name=\"Ping\"/>\n"
  "    <method name=\"GetMachineId\">\n"
  "      <arg type=\"s\" name=\"machine_uuid\" direction=\"out\"/>\n"
  "    </method>\n"
  "  </interface>\n";

static const char object_manager_xml[] =
  "  <interface name=\"org.freedesktop.DBus.ObjectManager\">\n"
  "    <method name=\"GetManagedObjects\">\n"
  "      <arg type=\"a{oa{sa{sv}}}\" name=\"object_paths_interfaces_and_properties\" direction=\"out\"/>\n"
  "    </method>\n"
  "    <signal name=\"InterfacesAdded\">\n"
  "      <arg type=\"o\" name=\"object_path\"/>\n"
  "      <arg type=\"a{sa{sv}}\" name=\"interfaces_and_properties\"/>\n"
  "    </signal>\n"
  "    <signal name=\"InterfacesRemoved\">\n"
  "      <arg type=\"o\" name=\"object_path\"/>\n"
  "      <arg type=\"as\" name=\"interfaces\"/>\n"
  "    </signal>\n"
  "  </interface>\n";

/* The owner that decides whether @path is visible; OWNER_NOBODY for
 * objects only callers who may see any VM see. Non-VM objects are
 * visible to all (G_MAXUINT32 - 1 marks them). */
#define OWNER_PUBLIC (G_MAXUINT32 - 1)

static guint32
owner_of_path (VmgrDispatch *self, const char *path)
{
  gpointer owner;

  if (g_hash_table_lookup_extended (self->owners, path, NULL, &owner))
    return GPOINTER_TO_UINT (owner);
  if (g_str_has_prefix (path, "/org/vmgr/Manager"))
    return OWNER_PUBLIC;
  return OWNER_NOBODY;
}

static gboolean
path_visible (VmgrDispatch *self, VmgrAuthView view, const VmgrCaller *caller,
              const char *path)
{
  guint32 owner = owner_of_path (self, path);

  return owner == OWNER_PUBLIC || vmgr_auth_view_includes (view, caller, owner);
}

/* Object paths the caller may see, sorted. */
static GPtrArray *
visible_objects (VmgrDispatch *self, VmgrAuthView view, const VmgrCaller *caller)
{
  GPtrArray *visible = g_ptr_array_new_with_free_func (g_object_unref);
  g_autolist(GDBusObject) objects =
    g_dbus_object_manager_get_objects (G_DBUS_OBJECT_MANAGER (self->objects));

  for (GList *l = objects; l != NULL; l = l->next)
    if (path_visible (self, view, caller, g_dbus_object_get_object_path (l->data)))
      g_ptr_array_add (visible, g_object_ref (l->data));
  return visible;
}

static void
append_child_node (GHashTable *children, const char *parent, const char *path)
{
  size_t len = strlen (parent);
  const char *rest;
  const char *slash;

  if (strcmp (parent, "/") == 0)
    len = 0;
  else if (!g_str_has_prefix (path, parent) || path[len] != '/')
    return;
  rest = path + len + 1;
  slash = strchr (rest, '/');
  g_hash_table_add (children, slash != NULL ? g_strndup (rest, slash - rest) : g_strdup (rest));
}

static void
append_object_interfaces (GString *xml, GDBusObject *object)
{
  g_autolist(GDBusInterface) interfaces = g_dbus_object_get_interfaces (object);

  for (GList *l = interfaces; l != NULL; l = l->next)
    g_dbus_interface_info_generate_xml (g_dbus_interface_get_info (l->data), 2, xml);
}

static char *
introspection_xml (VmgrDispatch *self, const char *path, GPtrArray *visible)
{
  GString *xml = g_string_new (INTROSPECT_DOCTYPE "<node>\n");
  g_autoptr(GHashTable) children = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autofree const char **names = NULL;

  g_string_append (xml, standard_interfaces_xml);
  if (strcmp (path, OBJECT_MANAGER_PATH) == 0)
    g_string_append (xml, object_manager_xml);
  for (guint i = 0; i < visible->len; i++)
    {
      GDBusObject *object = g_ptr_array_index (visible, i);
      const char *object_path = g_dbus_object_get_object_path (object);

      if (strcmp (object_path, path) == 0)
        append_object_interfaces (xml, object);
      append_child_node (children, path, object_path);
    }
  names = (const char **) g_hash_table_get_keys_as_array (children, NULL);
  for (guint i = 0; names[i] != NULL; i++)
    g_string_append_printf (xml, "  <node name=\"%s\"/>\n", names[i]);
  g_string_append (xml, "</node>\n");
  return g_string_free (xml, FALSE);
}

/* Whether anything the caller may see lives at or below @path. */
static gboolean
path_known (const char *path, GPtrArray *visible)
{
  for (guint i = 0; i < visible->len; i++)
    {
      const char *object_path = g_dbus_object_get_object_path (g_ptr_array_index (visible, i));
      size_t len = strlen (path);

      if (strcmp (path, "/") == 0 || strcmp (object_path, path) == 0 ||
          (g_str_has_prefix (object_path, path) && object_path[len] == '/'))
        return TRUE;
    }
  return strcmp (path, OBJECT_MANAGER_PATH) == 0;
}

static GVariant *
managed_objects (GPtrArray *visible)
{
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a{oa{sa{sv}}}"));
  for (guint i = 0; i < visible->len; i++)
    {
      GDBusObject *object = g_ptr_array_index (visible, i);
      g_autolist(GDBusInterface) interfaces = g_dbus_object_get_interfaces (object);

      g_variant_builder_open (&builder, G_VARIANT_TYPE ("{oa{sa{sv}}}"));
      g_variant_builder_add (&builder, "o", g_dbus_object_get_object_path (object));
      g_variant_builder_open (&builder, G_VARIANT_TYPE ("a{sa{sv}}"));
      for (GList *l = interfaces; l != NULL; l = l->next)
        {
          g_autoptr(GVariant) properties = g_dbus_interface_skeleton_get_properties (l->data);

          g_variant_builder_add (&builder, "{s@a{sv}}",
                                 g_dbus_interface_get_info (l->data)->name, properties);
        }
      g_variant_builder_close (&builder);
      g_variant_builder_close (&builder);
    }
  return g_variant_new ("(@a{oa{sa{sv}}})", g_variant_builder_end (&builder));
}

static void
on_view_decided (VmgrAuthView view, const VmgrCaller *caller, const GError *error,
                 gpointer user_data)
{
  Handoff *handoff = user_data;
  VmgrDispatch *self = handoff->dispatch;
  GDBusMessage *call = handoff->message;
  const char *path = g_dbus_message_get_path (call);
  g_autoptr(GPtrArray) visible = NULL;

  if (error != NULL)
    {
      send_error (self, call, error);
      handoff_free (handoff);
      return;
    }
  visible = visible_objects (self, view, caller);
  if (g_strcmp0 (g_dbus_message_get_interface (call), INTROSPECTABLE_IFACE) == 0 &&
      path_known (path, visible))
    {
      g_autofree char *xml = introspection_xml (self, path, visible);

      send_reply (self, call, g_variant_new ("(s)", xml));
    }
  else if (g_strcmp0 (g_dbus_message_get_member (call), "GetManagedObjects") == 0 &&
           strcmp (path, OBJECT_MANAGER_PATH) == 0)
    send_reply (self, call, managed_objects (visible));
  else
    send_no_such_object (self, call);
  handoff_free (handoff);
}

static void
handle_view_call (Handoff *handoff)
{
  GDBusMessage *call = handoff->message;

  vmgr_auth_check_view (handoff->dispatch->auth, g_dbus_message_get_sender (call),
                        vmgr_auth_message_is_interactive (call), on_view_decided, handoff);
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
  if (strcmp (path, OBJECT_MANAGER_PATH) == 0 && body != NULL &&
      g_variant_n_children (body) > 0)
    {
      g_variant_get_child (body, 0, "&o", &object_path);
      if (g_strcmp0 (g_dbus_message_get_member (signal), "InterfacesRemoved") == 0)
        *removed_path = object_path;
    }
  return owner_of_path (self, object_path);
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
    g_hash_table_remove (self->owners, removed_path);
  handoff_free (handoff);
  return G_SOURCE_REMOVE;
}

void
vmgr_dispatch_set_owner (VmgrDispatch *self, const char *path, guint32 owner)
{
  g_hash_table_insert (self->owners, g_strdup (path), GUINT_TO_POINTER (owner));
  g_hash_table_remove (self->removed, path);
}

void
vmgr_dispatch_path_removed (VmgrDispatch *self, const char *path)
{
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
  signal = g_dbus_message_new_signal (OBJECT_MANAGER_PATH, OBJECT_MANAGER_IFACE,
                                      added ? "InterfacesAdded" : "InterfacesRemoved");
  g_variant_builder_init (&builder, added ? G_VARIANT_TYPE ("a{sa{sv}}") : G_VARIANT_TYPE ("as"));
  for (GList *l = interfaces; l != NULL; l = l->next)
    {
      const char *name = g_dbus_interface_get_info (l->data)->name;
      g_autoptr(GVariant) properties = added ? g_dbus_interface_skeleton_get_properties (l->data)
                                             : NULL;

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

static Route
route_standard_call (const char *interface, const char *member)
{
  if (strcmp (interface, PROPERTIES_IFACE) == 0)
    return ROUTE_PROPERTIES;
  if ((strcmp (interface, INTROSPECTABLE_IFACE) == 0 && g_strcmp0 (member, "Introspect") == 0) ||
      (strcmp (interface, OBJECT_MANAGER_IFACE) == 0 && g_strcmp0 (member, "GetManagedObjects") == 0))
    return ROUTE_VIEW;
  if (strcmp (interface, PEER_IFACE) == 0)
    return ROUTE_PASS;
  return ROUTE_NO_SUCH_OBJECT;
}

static GDBusInterfaceInfo *
tenant_interface_info (const char *interface)
{
  if (g_strcmp0 (interface, "org.vmgr.VM") == 0)
    return vmgr_dbus_vm_interface_info ();
  if (g_strcmp0 (interface, "org.vmgr.Customer") == 0)
    return vmgr_dbus_customer_interface_info ();
  if (g_strcmp0 (interface, "org.vmgr.Job") == 0)
    return vmgr_dbus_job_interface_info ();
  return NULL;
}

/* Whether the arguments have the member's types. GDBus would check them
 * itself, but before anyone asked whether the caller may see the object. */
static gboolean
arguments_match (GDBusMessage *message, GDBusInterfaceInfo *info, const char *member)
{
  GDBusMethodInfo *method = info != NULL ? g_dbus_interface_info_lookup_method (info, member)
                                         : NULL;
  g_autoptr(GString) expected = g_string_new ("");
  const char *signature = g_dbus_message_get_signature (message);

  if (method == NULL)
    return TRUE;
  for (guint i = 0; method->in_args != NULL && method->in_args[i] != NULL; i++)
    g_string_append (expected, method->in_args[i]->signature);
  return g_strcmp0 (expected->str, signature != NULL ? signature : "") == 0;
}

static Route
route_call (GDBusMessage *message)
{
  const char *interface = g_dbus_message_get_interface (message);
  const char *member = g_dbus_message_get_member (message);
  const char *path = g_dbus_message_get_path (message);
  gboolean vm_path = is_tenant_path (path);

  if (interface == NULL)
    return vm_path ? ROUTE_NO_SUCH_OBJECT : ROUTE_DENY;
  if (g_str_has_prefix (interface, "org.freedesktop.DBus."))
    return route_standard_call (interface, member);
  if (vmgr_auth_lookup_rule (interface, member) != NULL)
    return !vm_path || arguments_match (message, tenant_interface_info (interface), member)
             ? ROUTE_PASS : ROUTE_BAD_ARGUMENTS;
  /* A member vmgr does not know: on a VM path, the answer must not tell
   * whether the VM exists. */
  return vm_path ? ROUTE_NO_SUCH_OBJECT : ROUTE_DENY;
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
      handle_properties (handoff);
      break;
    case ROUTE_VIEW:
      handle_view_call (handoff);
      break;
    case ROUTE_NO_SUCH_OBJECT:
      send_no_such_object (handoff->dispatch, call);
      handoff_free (handoff);
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
        send_error (handoff->dispatch, call, error);
        handoff_free (handoff);
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

static void
on_bad_arguments_view (VmgrAuthResult result, const VmgrCaller *caller, const char *action,
                       const GError *error, gpointer user_data)
{
  Handoff *handoff = user_data;
  GDBusMessage *call = handoff->message;
  g_autoptr(GError) invalid = NULL;

  if (result != VMGR_AUTH_ALLOWED)
    send_error (handoff->dispatch, call, error);
  else
    {
      invalid = g_error_new (G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS,
                             "Type of message “(%s)” does not match the expected type of %s.%s",
                             g_dbus_message_get_signature (call),
                             g_dbus_message_get_interface (call),
                             g_dbus_message_get_member (call));
      send_error (handoff->dispatch, call, invalid);
    }
  handoff_free (handoff);
}

static void
handle_bad_arguments (Handoff *handoff)
{
  VmgrDispatch *self = handoff->dispatch;
  GDBusMessage *call = handoff->message;
  const VmgrVmSpec *vm = NULL;
  const VmgrCustomerInfo *customer = NULL;
  VmgrAuthRequest request = { 0 };

  if (!self->find_target (g_dbus_message_get_path (call), &vm, &customer, self->find_data) ||
      (vm == NULL && customer == NULL))
    {
      send_no_such_object (self, call);
      handoff_free (handoff);
      return;
    }
  request.sender = g_dbus_message_get_sender (call);
  request.interface = g_dbus_message_get_interface (call);
  request.member = "Get";
  request.vm = vm;
  request.customer = customer;
  vmgr_auth_check (self->auth, &request, on_bad_arguments_view, handoff);
}

static GDBusMessage *
filter (GDBusConnection *connection, GDBusMessage *message, gboolean incoming,
        gpointer user_data)
{
  VmgrDispatch *self = VMGR_DISPATCH (user_data);
  GDBusMessageType type = g_dbus_message_get_message_type (message);

  if (!incoming)
    {
      if (type != G_DBUS_MESSAGE_TYPE_SIGNAL || g_dbus_message_get_destination (message) != NULL)
        return message;
      hand_to_main (self, message, fan_out_signal);
      g_object_unref (message);
      return NULL;
    }
  if (type != G_DBUS_MESSAGE_TYPE_METHOD_CALL || route_call (message) == ROUTE_PASS)
    return message;
  hand_to_main (self, message, handle_on_main);
  g_object_unref (message);
  return NULL;
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
  self->peers = g_object_ref (peers);
  self->objects = g_object_ref (objects);
  self->find_target = find_target;
  self->find_data = find_data;
  /* The filter may still run in GDBus's worker thread after removal: it
   * holds a reference, dropped once GDBus is done with it. */
  self->filter_id = g_dbus_connection_add_filter (connection, filter, g_object_ref (self),
                                                  g_object_unref);
  return self;
}
