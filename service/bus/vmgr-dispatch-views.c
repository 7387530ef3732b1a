#include "vmgr-dispatch-private.h"

#include "vmgr-error.h"
#include "vmgr-generated.h"
#include "vmgr-names.h"
#include "vmgr-property-cache.h"

/* ---- Properties -------------------------------------------------------- */

typedef struct {
  Handoff *handoff;
  GDBusInterfaceSkeleton *skeleton;   /* NULL when the object lacks the interface */
  char *interface;
  gboolean valid;                     /* the arguments have the member's types */
  guint64 memo_epoch;                 /* the read memo's when the read arrived */
  VmgrAuthAllowance allowance;
} PropertyRead;

static void
property_read_free (PropertyRead *read)
{
  vmgr_dispatch_handoff_free (read->handoff);
  g_clear_object (&read->skeleton);
  g_free (read->interface);
  g_free (read->allowance.target);
  g_free (read);
}

/* An allowed Get or GetAll: the filter may answer it again itself. */
static void
remember_read (VmgrDispatch *self, PropertyRead *read)
{
  GDBusMessage *call = read->handoff->message;
  const char *member = g_dbus_message_get_member (call);
  g_autoptr(GDBusObject) object = NULL;
  g_autoptr(GVariant) properties = NULL;

  /* Only peers vmgr-peers watches: their grants go when they leave. */
  if (read->skeleton == NULL || read->allowance.target == NULL ||
      (g_strcmp0 (member, "Get") != 0 && g_strcmp0 (member, "GetAll") != 0) ||
      vmgr_peers_get (self->peers, g_dbus_message_get_sender (call)) == NULL)
    return;
  object = g_dbus_interface_dup_object (G_DBUS_INTERFACE (read->skeleton));
  if (object == NULL)
    return;
  vmgr_property_cache_watch_object (object);
  properties = vmgr_property_cache_interface (read->skeleton);
  vmgr_read_memo_remember (self->memo, read->memo_epoch, g_dbus_message_get_sender (call),
                           g_dbus_message_get_path (call), read->interface, member,
                           read->allowance.target, read->allowance.valid_until, properties);
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
      vmgr_dispatch_send_error (self, call, error);
      return;
    }
  properties = vmgr_property_cache_interface (skeleton);
  if (g_strcmp0 (member, "GetAll") == 0)
    {
      vmgr_dispatch_send_reply (self, call, g_variant_new_tuple (&properties, 1));
      return;
    }
  g_variant_get_child (g_dbus_message_get_body (call), 1, "&s", &name);
  value = g_variant_lookup_value (properties, name, NULL);
  if (value == NULL)
    {
      g_autoptr(GError) error = g_error_new (G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS,
                                             "No such property “%s”", name);
      vmgr_dispatch_send_error (self, call, error);
      return;
    }
  /* Every property of vmgr is read-only: the methods change things. */
  if (g_strcmp0 (member, "Set") == 0)
    {
      g_autoptr(GError) error = g_error_new (G_DBUS_ERROR, G_DBUS_ERROR_PROPERTY_READ_ONLY,
                                             "Property “%s” of %s is read-only", name,
                                             interface);
      vmgr_dispatch_send_error (self, call, error);
      return;
    }
  vmgr_dispatch_send_reply (self, call, g_variant_new ("(v)", value));
}

static void
on_property_read_decided (VmgrAuthResult result, const VmgrCaller *caller,
                          const char *action, const GError *error, gpointer user_data)
{
  PropertyRead *read = user_data;
  VmgrDispatch *self = read->handoff->dispatch;
  GDBusMessage *call = read->handoff->message;

  if (result != VMGR_AUTH_ALLOWED)
    vmgr_dispatch_send_error (self, call, error);
  else if (!read->valid)
    {
      g_autoptr(GError) invalid = g_error_new (G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS,
                                               "Invalid arguments for %s",
                                               g_dbus_message_get_member (call));
      vmgr_dispatch_send_error (self, call, invalid);
    }
  else
    {
      remember_read (self, read);
      answer_property_read (self, call, read->skeleton, read->interface);
    }
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

void
vmgr_dispatch_handle_properties (Handoff *handoff)
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
  guint64 memo_epoch = vmgr_read_memo_epoch (self->memo);

  if (object == NULL || !found)
    {
      vmgr_dispatch_send_no_such_object (self, call);
      vmgr_dispatch_handoff_free (handoff);
      return;
    }
  /* Bad arguments are refused only to callers who may see the object. */
  read = g_new0 (PropertyRead, 1);
  read->handoff = handoff;
  read->valid = properties_call_valid (call);
  read->memo_epoch = memo_epoch;
  read->interface = read->valid ? property_interface (call, object)
                                : first_interface_name (object);
  /* Not a name at all ("x y"): an interface the object lacks. */
  if (g_dbus_is_interface_name (read->interface))
    read->skeleton = (GDBusInterfaceSkeleton *) g_dbus_object_get_interface (object,
                                                                             read->interface);
  request.sender = g_dbus_message_get_sender (call);
  request.interactive = vmgr_auth_message_is_interactive (call);
  /* Keyed by the interface read; an interface the object lacks is decided
   * as a view of the object, so that nothing is revealed before that. */
  object_interface = first_interface_name (object);
  request.interface = read->skeleton != NULL ? read->interface : object_interface;
  /* Set is decided as a read (who may see the property hears that it is
   * read-only; anyone else that nothing is there). */
  request.member = g_strcmp0 (g_dbus_message_get_member (call), "Set") == 0
                     ? "Get" : g_dbus_message_get_member (call);
  request.vm = vm;
  request.customer = customer;
  request.host = vmgr_dispatch_host_of_path (path);
  request.target = path;
  request.allowance = &read->allowance;
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


static gboolean
path_visible (VmgrDispatch *self, VmgrAuthView view, const VmgrCaller *caller,
              const char *path)
{
  guint32 owner = vmgr_dispatch_owner_of_path (self, path);

  return owner == OWNER_PUBLIC || vmgr_auth_view_includes (view, caller, owner);
}

static void
add_objects_at (VmgrDispatch *self, GHashTable *paths, GPtrArray *objects)
{
  GHashTableIter iter;
  const char *path;

  if (paths == NULL)
    return;
  g_hash_table_iter_init (&iter, paths);
  while (g_hash_table_iter_next (&iter, (gpointer *) &path, NULL))
    {
      GDBusObject *object =
        g_dbus_object_manager_get_object (G_DBUS_OBJECT_MANAGER (self->objects), path);

      if (object != NULL)
        g_ptr_array_add (objects, object);
    }
}

/* What a caller who sees only their own may see: their objects and the
 * public ones, looked up rather than found among everybody's. Nothing but
 * the Manager is public without an owner (vmgr_dispatch_owner_of_path). */
static GPtrArray *
own_and_public_objects (VmgrDispatch *self, VmgrAuthView view, const VmgrCaller *caller)
{
  GPtrArray *visible = g_ptr_array_new_with_free_func (g_object_unref);
  GDBusObject *manager = g_dbus_object_manager_get_object (G_DBUS_OBJECT_MANAGER (self->objects),
                                                           VMGR_MANAGER_PATH);

  if (manager != NULL && vmgr_dispatch_owner_of_path (self, VMGR_MANAGER_PATH) == OWNER_PUBLIC)
    g_ptr_array_add (visible, manager);
  else
    g_clear_object (&manager);
  add_objects_at (self, vmgr_dispatch_paths_owned_by (self, OWNER_PUBLIC), visible);
  if (vmgr_auth_view_includes (view, caller, caller->uid))
    add_objects_at (self, vmgr_dispatch_paths_owned_by (self, caller->uid), visible);
  return visible;
}

/* Object paths the caller may see. */
static GPtrArray *
visible_objects (VmgrDispatch *self, VmgrAuthView view, const VmgrCaller *caller)
{
  GPtrArray *visible;
  g_autolist(GDBusObject) objects = NULL;

  if ((view & VMGR_AUTH_VIEW_ANY) == 0)
    return own_and_public_objects (self, view, caller);
  visible = g_ptr_array_new_with_free_func (g_object_unref);
  objects = g_dbus_object_manager_get_objects (G_DBUS_OBJECT_MANAGER (self->objects));
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
  if (strcmp (path, VMGR_ROOT_PATH) == 0)
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
  return strcmp (path, VMGR_ROOT_PATH) == 0;
}

static GVariant *
managed_objects (GPtrArray *visible)
{
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a{oa{sa{sv}}}"));
  for (guint i = 0; i < visible->len; i++)
    {
      g_autoptr(GVariant) entry = vmgr_property_cache_object (g_ptr_array_index (visible, i));

      g_variant_builder_add_value (&builder, entry);
    }
  return g_variant_new ("(@a{oa{sa{sv}}})", g_variant_builder_end (&builder));
}

/* The reply to GetManagedObjects; for a caller who sees everything, the
 * one kept serialized while nothing changed (a reply with thousands of
 * objects then costs what carrying it costs). A full reference. */
static GVariant *
inventory_for (VmgrDispatch *self, VmgrAuthView view, GPtrArray *visible)
{
  const VmgrAuthView everything = VMGR_AUTH_VIEW_OWN | VMGR_AUTH_VIEW_ANY;

  if ((view & everything) != everything)
    return g_variant_ref_sink (managed_objects (visible));
  if (self->inventory == NULL ||
      self->inventory_objects_generation != self->objects_generation ||
      self->inventory_properties_generation != vmgr_property_cache_generation ())
    {
      g_clear_pointer (&self->inventory, g_variant_unref);
      self->inventory = g_variant_ref_sink (managed_objects (visible));
      g_variant_get_data (self->inventory);  /* serialized once, here */
      self->inventory_objects_generation = self->objects_generation;
      self->inventory_properties_generation = vmgr_property_cache_generation ();
    }
  return g_variant_ref (self->inventory);
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
      vmgr_dispatch_send_error (self, call, error);
      vmgr_dispatch_handoff_free (handoff);
      return;
    }
  visible = visible_objects (self, view, caller);
  if (g_strcmp0 (g_dbus_message_get_interface (call), INTROSPECTABLE_IFACE) == 0 &&
      path_known (path, visible))
    {
      g_autofree char *xml = introspection_xml (self, path, visible);

      vmgr_dispatch_send_reply (self, call, g_variant_new ("(s)", xml));
    }
  else if (g_strcmp0 (g_dbus_message_get_member (call), "GetManagedObjects") == 0 &&
           strcmp (path, VMGR_ROOT_PATH) == 0)
    {
      g_autoptr(GVariant) inventory = inventory_for (self, view, visible);

      vmgr_dispatch_send_reply (self, call, inventory);
    }
  else
    vmgr_dispatch_send_no_such_object (self, call);
  vmgr_dispatch_handoff_free (handoff);
}

void
vmgr_dispatch_handle_view_call (Handoff *handoff)
{
  GDBusMessage *call = handoff->message;

  vmgr_auth_check_view (handoff->dispatch->auth, g_dbus_message_get_sender (call),
                        vmgr_auth_message_is_interactive (call), on_view_decided, handoff);
}
