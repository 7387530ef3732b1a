/* Administration: templates and plans. */
#include "vmgrctl-commands.h"

#include "vmgrctl-errors.h"
#include "vmgrctl-options.h"
#include "vmgrctl-output.h"
#include "vmgrctl-units.h"

/* The Manager's calls on templates and plans, by their shape. */
typedef gboolean (*ListCall) (VmgrDBusManager *manager, GVariant **list,
                              GCancellable *cancellable, GError **error);
typedef gboolean (*NameCall) (VmgrDBusManager *manager, const char *name,
                              GCancellable *cancellable, GError **error);
typedef gboolean (*NameDictCall) (VmgrDBusManager *manager, const char *name, GVariant *dict,
                                  GCancellable *cancellable, GError **error);

/* templates, plans: the a(sa{sv}) list as a table or JSON. */
typedef struct {
  const char *what;  /* "templates" */
  ListCall list;
  const char *const *headers;
  guint right_aligned;
  void (*add_row) (VmgrctlTable *table, const char *name, GVariant *props);
} NamedList;

/* A JSON array of {"name": NAME, ...PROPS} from a(sa{sv}). */
static JsonNode *
named_vardicts_to_json (GVariant *list)
{
  g_autoptr(JsonArray) array = json_array_new ();
  JsonNode *node = json_node_new (JSON_NODE_ARRAY);
  GVariantIter iter;
  const char *name;
  GVariant *props;

  g_variant_iter_init (&iter, list);
  while (g_variant_iter_loop (&iter, "(&s@a{sv})", &name, &props))
    {
      g_autoptr(JsonObject) object = json_object_new ();

      json_object_set_string_member (object, "name", name);
      vmgrctl_json_add_vardict (object, props);
      json_array_add_object_element (array, g_steal_pointer (&object));
    }
  return json_node_init_array (node, array);
}

static void
print_named_vardicts (VmgrctlContext *ctx, GVariant *list, const NamedList *kind)
{
  g_autoptr(VmgrctlTable) table = NULL;
  g_autofree char *text = NULL;
  GVariantIter iter;
  const char *name;
  GVariant *props;

  if (ctx->json)
    {
      g_autoptr(JsonNode) node = named_vardicts_to_json (list);
      vmgrctl_print_json (node);
      return;
    }
  table = vmgrctl_table_new (kind->headers, kind->right_aligned);
  g_variant_iter_init (&iter, list);
  while (g_variant_iter_loop (&iter, "(&s@a{sv})", &name, &props))
    kind->add_row (table, name, props);
  text = vmgrctl_table_render (table);
  vmgrctl_print (text);
}

static int
run_named_list (VmgrctlContext *ctx, const VmgrctlCommand *cmd, char **argv,
                const NamedList *kind)
{
  g_auto(GStrv) args = NULL;
  g_autoptr(GVariant) list = NULL;
  g_autoptr(GError) error = NULL;
  VmgrDBusManager *manager;
  int status = vmgrctl_command_parse_and_connect (ctx, cmd, NULL, argv, &args, &manager);

  if (status != VMGRCTL_EXIT_OK)
    return status;
  if (!kind->list (manager, &list, NULL, &error))
    return vmgrctl_fail (error, "cannot list %s", kind->what);
  print_named_vardicts (ctx, list, kind);
  return VMGRCTL_EXIT_OK;
}

/* template remove, plan remove: NAME. */
static int
run_remove (VmgrctlContext *ctx, const VmgrctlCommand *cmd, char **argv, NameCall call,
            const char *what)
{
  g_auto(GStrv) args = NULL;
  g_autoptr(GError) error = NULL;
  VmgrDBusManager *manager;
  int status = vmgrctl_command_parse_and_connect (ctx, cmd, NULL, argv, &args, &manager);

  if (status != VMGRCTL_EXIT_OK)
    return status;
  if (!call (manager, args[0], NULL, &error))
    return vmgrctl_fail (error, "cannot remove %s '%s'", what, args[0]);
  return VMGRCTL_EXIT_OK;
}

/* Calls @call with @name and @dict; on failure reports "cannot DOING 'NAME'". */
static int
call_name_dict (VmgrDBusManager *manager, NameDictCall call, const char *name,
                GVariantDict *dict, const char *doing)
{
  g_autoptr(GError) error = NULL;

  if (!call (manager, name, g_variant_dict_end (dict), NULL, &error))
    return vmgrctl_fail (error, "cannot %s '%s'", doing, name);
  return VMGRCTL_EXIT_OK;
}

static void
add_template_row (VmgrctlTable *table, const char *name, GVariant *props)
{
  const char *os = NULL, *source = NULL, *description = NULL;
  g_autofree char *in_use = NULL;
  guint64 count;

  g_variant_lookup (props, "os", "&s", &os);
  g_variant_lookup (props, "source", "&s", &source);
  g_variant_lookup (props, "description", "&s", &description);
  if (vmgrctl_vardict_lookup_uint64 (props, "in_use", &count))
    in_use = g_strdup_printf ("%" G_GUINT64_FORMAT, count);
  vmgrctl_table_add_row (table, (const char *const[]) { name, os, in_use, source, description });
}

static const char *const template_headers[] = {
  "NAME", "OS", "IN_USE", "SOURCE", "DESCRIPTION", NULL
};

static const NamedList templates = {
  "templates", vmgr_dbus_manager_call_list_templates_sync,
  template_headers, 1 << 2 /* IN_USE */, add_template_row,
};

int
vmgrctl_cmd_templates (VmgrctlContext *ctx, const VmgrctlCommand *cmd, char **argv)
{
  return run_named_list (ctx, cmd, argv, &templates);
}

int
vmgrctl_cmd_template_add (VmgrctlContext *ctx, const VmgrctlCommand *cmd, char **argv)
{
  g_autofree char *os = NULL;
  g_autofree char *description = NULL;
  g_autofree char *source = NULL;
  const GOptionEntry entries[] = {
    { "os", 0, 0, G_OPTION_ARG_STRING, &os, "Operating system", "OS" },
    { "description", 0, 0, G_OPTION_ARG_STRING, &description, "Description", "TEXT" },
    { "source", 0, 0, G_OPTION_ARG_STRING, &source,
      "Where the backend finds the image or root file system", "SOURCE" },
    { NULL }
  };
  g_auto(GVariantDict) props = G_VARIANT_DICT_INIT (NULL);
  g_auto(GStrv) args = NULL;
  VmgrDBusManager *manager;
  int status = vmgrctl_command_parse_and_connect (ctx, cmd, entries, argv, &args, &manager);

  if (status != VMGRCTL_EXIT_OK)
    return status;
  if (os != NULL)
    g_variant_dict_insert (&props, "os", "s", os);
  if (description != NULL)
    g_variant_dict_insert (&props, "description", "s", description);
  if (source != NULL)
    g_variant_dict_insert (&props, "source", "s", source);
  return call_name_dict (manager, vmgr_dbus_manager_call_add_template_sync, args[0], &props,
                         "add template");
}

int
vmgrctl_cmd_template_remove (VmgrctlContext *ctx, const VmgrctlCommand *cmd, char **argv)
{
  return run_remove (ctx, cmd, argv, vmgr_dbus_manager_call_remove_template_sync, "template");
}

/* A size limit from @props as text, NULL (shown "-") when absent or 0. */
static char *
plan_size (GVariant *props, const char *key)
{
  guint64 bytes;

  if (!vmgrctl_vardict_lookup_uint64 (props, key, &bytes) || bytes == 0)
    return NULL;
  return vmgrctl_format_size (bytes);
}

static char *
plan_number (GVariant *props, const char *key, const char *suffix)
{
  guint64 number;

  if (!vmgrctl_vardict_lookup_uint64 (props, key, &number) || number == 0)
    return NULL;
  return g_strdup_printf ("%" G_GUINT64_FORMAT "%s", number, suffix);
}

static void
add_plan_row (VmgrctlTable *table, const char *name, GVariant *props)
{
  g_autofree char *vcpus = plan_number (props, "vcpus", "");
  g_autofree char *memory = plan_size (props, "memory_limit");
  g_autofree char *disk = plan_size (props, "disk_hard_limit");
  g_autofree char *cpu_limit = plan_number (props, "cpu_limit", "%");
  g_autofree char *max_vms = plan_number (props, "max_vms", "");

  vmgrctl_table_add_row (table, (const char *const[]) {
    name, vcpus, memory, disk, cpu_limit, max_vms });
}

static const char *const plan_headers[] = {
  "NAME", "VCPUS", "MEMORY", "DISK", "CPU_LIMIT", "MAX_VMS", NULL
};

/* Numbers right-aligned: every column but NAME. */
static const NamedList plans = {
  "plans", vmgr_dbus_manager_call_list_plans_sync, plan_headers, 0x3e, add_plan_row,
};

int
vmgrctl_cmd_plans (VmgrctlContext *ctx, const VmgrctlCommand *cmd, char **argv)
{
  return run_named_list (ctx, cmd, argv, &plans);
}

int
vmgrctl_cmd_plan_set (VmgrctlContext *ctx, const VmgrctlCommand *cmd, char **argv)
{
  g_auto(VmgrctlResources) resources = { { NULL } };
  g_autofree GOptionEntry *entries = vmgrctl_resources_entries (&resources, TRUE);
  g_auto(GVariantDict) limits = G_VARIANT_DICT_INIT (NULL);
  g_auto(GStrv) args = NULL;
  g_autoptr(GError) error = NULL;
  VmgrDBusManager *manager;
  int status = vmgrctl_command_parse (ctx, cmd, entries, NULL, argv, &args);

  if (status != VMGRCTL_EXIT_OK)
    return status;
  if (!vmgrctl_resources_add_to (&resources, &limits, &error))
    return vmgrctl_command_fail (cmd, error);
  status = vmgrctl_context_connect (ctx, &manager);
  if (status != VMGRCTL_EXIT_OK)
    return status;
  if (!vmgr_dbus_manager_call_set_plan_sync (manager, args[0], g_variant_dict_end (&limits), NULL,
                                             &error))
    {
      vmgrctl_error_use_option_names (error, vmgrctl_vm_option_keys ());
      return vmgrctl_fail (error, "cannot set plan '%s'", args[0]);
    }
  return VMGRCTL_EXIT_OK;
}

int
vmgrctl_cmd_plan_remove (VmgrctlContext *ctx, const VmgrctlCommand *cmd, char **argv)
{
  return run_remove (ctx, cmd, argv, vmgr_dbus_manager_call_remove_plan_sync, "plan");
}
