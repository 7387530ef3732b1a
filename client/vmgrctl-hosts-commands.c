/* hosts, host-add, host-remove (issue 14): the org.vmgr.Host objects (read
 * from the ObjectManager: administrators see them, nobody else does) and
 * Manager.AddHost, RemoveHost. */
#include "vmgrctl-commands.h"

#include <json-glib/json-glib.h>

#include "vmgrctl-errors.h"
#include "vmgrctl-output.h"
#include "vmgrctl-units.h"

static const char *
host_string (GVariant *props, const char *key)
{
  const char *value = NULL;

  g_variant_lookup (props, key, "&s", &value);
  return value != NULL ? value : "";
}

static int
compare_host_names (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (host_string (*(GVariant **) a, "Name"),
                    host_string (*(GVariant **) b, "Name"));
}

/* Every org.vmgr.Host's properties (a{sv}) the caller sees, by name. */
static GPtrArray *
list_hosts (VmgrctlContext *ctx, GError **error)
{
  g_autoptr(GVariant) reply = g_dbus_connection_call_sync (
    ctx->connection, "org.vmgr", "/org/vmgr", "org.freedesktop.DBus.ObjectManager",
    "GetManagedObjects", NULL, G_VARIANT_TYPE ("(a{oa{sa{sv}}})"), G_DBUS_CALL_FLAGS_NONE, -1,
    NULL, error);
  g_autoptr(GVariant) objects = NULL;
  GPtrArray *hosts;
  GVariantIter iter;
  GVariant *interfaces;

  if (reply == NULL)
    return NULL;
  hosts = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);
  objects = g_variant_get_child_value (reply, 0);
  g_variant_iter_init (&iter, objects);
  while (g_variant_iter_loop (&iter, "{&o@a{sa{sv}}}", NULL, &interfaces))
    {
      GVariant *props = g_variant_lookup_value (interfaces, "org.vmgr.Host",
                                                G_VARIANT_TYPE ("a{sv}"));

      if (props != NULL)
        g_ptr_array_add (hosts, props);
    }
  g_ptr_array_sort (hosts, compare_host_names);
  return hosts;
}

static guint64
dict_number (GVariant *props, const char *property, const char *key)
{
  g_autoptr(GVariant) dict = g_variant_lookup_value (props, property, G_VARIANT_TYPE ("a{st}"));
  guint64 value = 0;

  if (dict != NULL)
    g_variant_lookup (dict, key, "t", &value);
  return value;
}

static JsonNode *
hosts_to_json (GPtrArray *hosts)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_array (builder);
  for (guint i = 0; i < hosts->len; i++)
    {
      GVariant *props = g_ptr_array_index (hosts, i);
      guint32 vms = 0;

      g_variant_lookup (props, "VMCount", "u", &vms);
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "name");
      json_builder_add_string_value (builder, host_string (props, "Name"));
      json_builder_set_member_name (builder, "uri");
      json_builder_add_string_value (builder, host_string (props, "URI"));
      json_builder_set_member_name (builder, "pool");
      json_builder_add_string_value (builder, host_string (props, "Pool"));
      json_builder_set_member_name (builder, "state");
      json_builder_add_string_value (builder, host_string (props, "State"));
      json_builder_set_member_name (builder, "vms");
      json_builder_add_int_value (builder, vms);
      json_builder_set_member_name (builder, "capacity_vcpus");
      json_builder_add_int_value (builder, (gint64) dict_number (props, "Capacity", "vcpus"));
      json_builder_set_member_name (builder, "capacity_memory");
      json_builder_add_int_value (builder, (gint64) dict_number (props, "Capacity", "memory"));
      json_builder_set_member_name (builder, "allocated_vcpus");
      json_builder_add_int_value (builder, (gint64) dict_number (props, "Allocation", "vcpus"));
      json_builder_set_member_name (builder, "allocated_memory");
      json_builder_add_int_value (builder, (gint64) dict_number (props, "Allocation", "memory"));
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  return json_builder_get_root (builder);
}

static const char *const host_headers[] = {
  "NAME", "STATE", "VMS", "VCPUS", "MEMORY", "POOL", "URI", NULL
};

int
vmgrctl_cmd_hosts (VmgrctlContext *ctx, const VmgrctlCommand *cmd, char **argv)
{
  g_auto(GStrv) args = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) hosts = NULL;
  g_autoptr(VmgrctlTable) table = NULL;
  g_autofree char *text = NULL;
  VmgrDBusManager *manager;
  int status = vmgrctl_command_parse_and_connect (ctx, cmd, NULL, argv, &args, &manager);

  if (status != VMGRCTL_EXIT_OK)
    return status;
  hosts = list_hosts (ctx, &error);
  if (hosts == NULL)
    return vmgrctl_fail (error, "cannot list the hosts");
  if (ctx->json)
    {
      g_autoptr(JsonNode) node = hosts_to_json (hosts);

      vmgrctl_print_json (node);
      return VMGRCTL_EXIT_OK;
    }
  table = vmgrctl_table_new (host_headers, 1 << 2 | 1 << 3 | 1 << 4);
  for (guint i = 0; i < hosts->len; i++)
    {
      GVariant *props = g_ptr_array_index (hosts, i);
      guint32 vms = 0;
      g_autofree char *count = NULL;
      g_autofree char *vcpus = NULL;
      g_autofree char *memory = NULL;
      g_autofree char *memory_used = NULL;
      g_autofree char *memory_total = NULL;

      g_variant_lookup (props, "VMCount", "u", &vms);
      count = g_strdup_printf ("%u", vms);
      vcpus = g_strdup_printf ("%" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT,
                               dict_number (props, "Allocation", "vcpus"),
                               dict_number (props, "Capacity", "vcpus"));
      memory_used = vmgrctl_format_size (dict_number (props, "Allocation", "memory"));
      memory_total = vmgrctl_format_size (dict_number (props, "Capacity", "memory"));
      memory = g_strdup_printf ("%s/%s", memory_used, memory_total);
      vmgrctl_table_add_row (table, (const char *const[]) {
        host_string (props, "Name"), host_string (props, "State"), count, vcpus, memory,
        *host_string (props, "Pool") != '\0' ? host_string (props, "Pool") : "-",
        host_string (props, "URI") });
    }
  text = vmgrctl_table_render (table);
  vmgrctl_print (text);
  return VMGRCTL_EXIT_OK;
}

int
vmgrctl_cmd_host_add (VmgrctlContext *ctx, const VmgrctlCommand *cmd, char **argv)
{
  g_autofree char *pool = NULL;
  const GOptionEntry entries[] = {
    { "pool", 0, 0, G_OPTION_ARG_STRING, &pool,
      "The host's libvirt storage pool for its VMs' files (default: default)", "POOL" },
    { NULL }
  };
  g_auto(GVariantDict) options = G_VARIANT_DICT_INIT (NULL);
  g_auto(GStrv) args = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  VmgrDBusManager *manager;
  int status = vmgrctl_command_parse_and_connect (ctx, cmd, entries, argv, &args, &manager);

  if (status != VMGRCTL_EXIT_OK)
    return status;
  if (pool != NULL)
    g_variant_dict_insert (&options, "pool", "s", pool);
  if (!vmgr_dbus_manager_call_add_host_sync (manager, args[0], args[1],
                                             g_variant_dict_end (&options), &path, NULL, &error))
    return vmgrctl_fail (error, "cannot add host '%s'", args[0]);
  return VMGRCTL_EXIT_OK;
}

int
vmgrctl_cmd_host_remove (VmgrctlContext *ctx, const VmgrctlCommand *cmd, char **argv)
{
  g_auto(GStrv) args = NULL;
  g_autoptr(GError) error = NULL;
  VmgrDBusManager *manager;
  int status = vmgrctl_command_parse_and_connect (ctx, cmd, NULL, argv, &args, &manager);

  if (status != VMGRCTL_EXIT_OK)
    return status;
  if (!vmgr_dbus_manager_call_remove_host_sync (manager, args[0], NULL, &error))
    return vmgrctl_fail (error, "cannot remove host '%s'", args[0]);
  return VMGRCTL_EXIT_OK;
}
