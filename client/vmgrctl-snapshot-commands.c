/* snapshot create|list|revert|delete: VM.CreateSnapshot, and the
 * org.vmgr.Snapshot objects at VM_PATH/snapshot/NAME (listed from the
 * ObjectManager, which shows the caller only what it may see). */
#include "vmgrctl-commands.h"

#include <string.h>

#include "vmgrctl-errors.h"
#include "vmgrctl-output.h"
#include "vmgrctl-units.h"

#define SNAPSHOT_INTERFACE "org.vmgr.Snapshot"

/* Parses the command line, connects and looks the VM up (the first
 * argument). */
static int
parse_and_find_vm (VmgrctlContext *ctx, const VmgrctlCommand *cmd, const GOptionEntry *entries,
                   char **argv, GStrv *args, VmgrDBusVM **vm)
{
  int status = vmgrctl_command_parse (ctx, cmd, entries, NULL, argv, args);

  if (status != VMGRCTL_EXIT_OK)
    return status;
  return vmgrctl_context_lookup_vm (ctx, (*args)[0], vm);
}

int
vmgrctl_cmd_snapshot_create (VmgrctlContext *ctx, const VmgrctlCommand *cmd, char **argv)
{
  g_autofree char *description = NULL;
  const GOptionEntry entries[] = {
    { "description", 0, 0, G_OPTION_ARG_STRING, &description, "What the snapshot is for", "TEXT" },
    { NULL }
  };
  g_auto(GStrv) args = NULL;
  g_autoptr(VmgrDBusVM) vm = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  GVariantDict options;
  int status = parse_and_find_vm (ctx, cmd, entries, argv, &args, &vm);

  if (status != VMGRCTL_EXIT_OK)
    return status;
  g_variant_dict_init (&options, NULL);
  if (description != NULL)
    g_variant_dict_insert (&options, "description", "s", description);
  if (!vmgr_dbus_vm_call_create_snapshot_sync (vm, args[1], g_variant_dict_end (&options), &path,
                                               NULL, &error))
    return vmgrctl_fail (error, "cannot snapshot VM '%s'", args[0]);
  vmgrctl_print (path);
  vmgrctl_print ("\n");
  return VMGRCTL_EXIT_OK;
}

/* The properties of the VM's snapshots (a{sv} each), oldest first. */
static GPtrArray *
list_snapshots (VmgrctlContext *ctx, VmgrDBusVM *vm, GError **error)
{
  g_autofree char *prefix = g_strconcat (g_dbus_proxy_get_object_path (G_DBUS_PROXY (vm)),
                                         "/snapshot/", NULL);
  g_autoptr(GVariant) reply =
    g_dbus_connection_call_sync (ctx->connection, VMGRCTL_BUS_NAME, VMGRCTL_OBJECT_MANAGER_PATH,
                                 "org.freedesktop.DBus.ObjectManager", "GetManagedObjects",
                                 NULL, G_VARIANT_TYPE ("(a{oa{sa{sv}}})"),
                                 G_DBUS_CALL_FLAGS_NONE, -1, NULL, error);
  g_autoptr(GVariantIter) objects = NULL;
  GPtrArray *snapshots;
  const char *path;
  GVariant *interfaces;

  if (reply == NULL)
    return NULL;
  snapshots = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);
  g_variant_get (reply, "(a{oa{sa{sv}}})", &objects);
  while (g_variant_iter_loop (objects, "{&o@a{sa{sv}}}", &path, &interfaces))
    {
      GVariant *properties = NULL;

      if (g_str_has_prefix (path, prefix) &&
          g_variant_lookup (interfaces, SNAPSHOT_INTERFACE, "@a{sv}", &properties))
        g_ptr_array_add (snapshots, properties);
    }
  return snapshots;
}

static gint64
creation_time (GVariant *properties)
{
  gint64 time = 0;

  g_variant_lookup (properties, "CreationTime", "x", &time);
  return time;
}

static int
compare_creation (gconstpointer a, gconstpointer b)
{
  gint64 first = creation_time (*(GVariant **) a);
  gint64 second = creation_time (*(GVariant **) b);

  return first < second ? -1 : first > second;
}

static const char *
text_property (GVariant *properties, const char *name)
{
  const char *value = "";

  g_variant_lookup (properties, name, "&s", &value);
  return value;
}

/* The parent's name: the last element of its path ("" for "/"). */
static char *
parent_name (GVariant *properties)
{
  g_autofree char *parent = NULL;

  if (!g_variant_lookup (properties, "Parent", "o", &parent))
    return g_strdup ("");
  return g_strdup (strrchr (parent, '/') + 1);
}

static JsonNode *
snapshot_to_json (GVariant *properties)
{
  JsonObject *object = json_object_new ();
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);
  guint64 size = 0;
  g_autofree char *parent = parent_name (properties);
  g_autofree char *created_at = vmgrctl_format_time_iso8601 (creation_time (properties));

  g_variant_lookup (properties, "Size", "t", &size);
  vmgrctl_json_set_text (object, "name", text_property (properties, "Name"));
  vmgrctl_json_set_text (object, "description", text_property (properties, "Description"));
  vmgrctl_json_set_text (object, "created_at", created_at);
  json_object_set_int_member (object, "created_at_usec", creation_time (properties));
  vmgrctl_json_set_text (object, "state", text_property (properties, "State"));
  /* libvirt does not tell every snapshot's size: 0 is "not known". */
  if (size != 0)
    json_object_set_int_member (object, "size", (gint64) size);
  else
    json_object_set_null_member (object, "size");
  vmgrctl_json_set_text (object, "parent", parent);
  json_node_take_object (node, object);
  return node;
}

static void
print_table (GPtrArray *snapshots)
{
  const char *const headers[] = { "NAME", "CREATED", "STATE", "PARENT", "DESCRIPTION", NULL };
  g_autoptr(VmgrctlTable) table = vmgrctl_table_new (headers, 0);
  g_autofree char *text = NULL;

  for (guint i = 0; i < snapshots->len; i++)
    {
      GVariant *properties = g_ptr_array_index (snapshots, i);
      g_autoptr(GDateTime) time =
        g_date_time_new_from_unix_local (creation_time (properties) / G_USEC_PER_SEC);
      g_autofree char *created = time != NULL ? g_date_time_format (time, "%Y-%m-%d %H:%M:%S")
                                              : NULL;
      g_autofree char *parent = parent_name (properties);
      const char *cells[] = {
        text_property (properties, "Name"), created, text_property (properties, "State"),
        parent, text_property (properties, "Description"),
      };

      vmgrctl_table_add_row (table, cells);
    }
  text = vmgrctl_table_render (table);
  vmgrctl_print (text);
}

int
vmgrctl_cmd_snapshot_list (VmgrctlContext *ctx, const VmgrctlCommand *cmd, char **argv)
{
  g_auto(GStrv) args = NULL;
  g_autoptr(VmgrDBusVM) vm = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) snapshots = NULL;
  int status = parse_and_find_vm (ctx, cmd, NULL, argv, &args, &vm);

  if (status != VMGRCTL_EXIT_OK)
    return status;
  snapshots = list_snapshots (ctx, vm, &error);
  if (snapshots == NULL)
    return vmgrctl_fail (error, "cannot list the snapshots of VM '%s'", args[0]);
  g_ptr_array_sort (snapshots, compare_creation);
  if (ctx->json)
    {
      g_autoptr(JsonArray) array = json_array_new ();
      g_autoptr(JsonNode) node = json_node_new (JSON_NODE_ARRAY);

      for (guint i = 0; i < snapshots->len; i++)
        json_array_add_element (array, snapshot_to_json (g_ptr_array_index (snapshots, i)));
      json_node_set_array (node, array);
      vmgrctl_print_json (node);
    }
  else
    print_table (snapshots);
  return VMGRCTL_EXIT_OK;
}

/* revert and delete: by cmd->name. */
int
vmgrctl_cmd_snapshot_change (VmgrctlContext *ctx, const VmgrctlCommand *cmd, char **argv)
{
  g_auto(GStrv) args = NULL;
  g_autoptr(VmgrDBusVM) vm = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  g_autoptr(GVariant) reply = NULL;
  gboolean revert = g_str_has_suffix (cmd->name, "revert");
  int status = parse_and_find_vm (ctx, cmd, NULL, argv, &args, &vm);

  if (status != VMGRCTL_EXIT_OK)
    return status;
  path = g_strconcat (g_dbus_proxy_get_object_path (G_DBUS_PROXY (vm)), "/snapshot/", args[1],
                      NULL);
  /* A name no snapshot can have: as vmgrd answers for one that is not there. */
  if (!g_variant_is_object_path (path))
    {
      g_autoptr(GError) missing = g_error_new (VMGRCTL_ERROR, VMGRCTL_EXIT_NOT_FOUND,
                                               "no such snapshot");
      return vmgrctl_fail (missing, "cannot %s snapshot '%s' of VM '%s'",
                           revert ? "revert to" : "delete", args[1], args[0]);
    }
  reply = g_dbus_connection_call_sync (ctx->connection, VMGRCTL_BUS_NAME, path,
                                       SNAPSHOT_INTERFACE, revert ? "Revert" : "Delete",
                                       NULL, NULL, G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
  if (reply == NULL)
    return vmgrctl_fail (error, "cannot %s snapshot '%s' of VM '%s'",
                         revert ? "revert to" : "delete", args[1], args[0]);
  return VMGRCTL_EXIT_OK;
}
