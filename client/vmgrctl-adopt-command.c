/* unmanaged: the libvirt domains vmgr does not manage; adopt DOMAIN:
 * brings one under vmgr (Manager.ListUnmanagedDomains, AdoptVM). */
#include "vmgrctl-commands.h"

#include "vmgrctl-errors.h"
#include "vmgrctl-options.h"
#include "vmgrctl-output.h"
#include "vmgrctl-units.h"

static JsonNode *
domains_to_json (GVariant *domains)
{
  g_autoptr(JsonArray) array = json_array_new ();
  JsonNode *node = json_node_new (JSON_NODE_ARRAY);
  GVariantIter iter;
  const char *name, *uuid;
  GVariant *info;

  g_variant_iter_init (&iter, domains);
  while (g_variant_iter_loop (&iter, "(&s&s@a{sv})", &name, &uuid, &info))
    {
      g_autoptr(JsonObject) object = json_object_new ();

      json_object_set_string_member (object, "name", name);
      json_object_set_string_member (object, "uuid", uuid);
      vmgrctl_json_add_vardict (object, info);
      json_array_add_object_element (array, g_steal_pointer (&object));
    }
  return json_node_init_array (node, array);
}

static const char *const domain_headers[] = { "DOMAIN", "UUID", "STATE", "MEMORY", "VCPUS", NULL };

static char *
domains_to_text (GVariant *domains)
{
  g_autoptr(VmgrctlTable) table = vmgrctl_table_new (domain_headers, 1 << 3 | 1 << 4);
  GVariantIter iter;
  const char *name, *uuid;
  GVariant *info;

  g_variant_iter_init (&iter, domains);
  while (g_variant_iter_loop (&iter, "(&s&s@a{sv})", &name, &uuid, &info))
    {
      const char *state = NULL;
      guint64 memory = 0;
      guint32 vcpus = 0;
      g_autofree char *memory_text = NULL;
      g_autofree char *vcpus_text = NULL;

      g_variant_lookup (info, "state", "&s", &state);
      g_variant_lookup (info, "memory_limit", "t", &memory);
      g_variant_lookup (info, "vcpus", "u", &vcpus);
      memory_text = vmgrctl_format_size (memory);
      vcpus_text = g_strdup_printf ("%u", vcpus);
      vmgrctl_table_add_row (table, (const char *const[]) { name, uuid, state, memory_text,
                                                            vcpus_text });
    }
  return vmgrctl_table_render (table);
}

int
vmgrctl_cmd_unmanaged (VmgrctlContext *ctx, const VmgrctlCommand *cmd, char **argv)
{
  g_auto(GStrv) args = NULL;
  g_autoptr(GVariant) domains = NULL;
  g_autoptr(GError) error = NULL;
  VmgrDBusManager *manager;
  int status = vmgrctl_command_parse_and_connect (ctx, cmd, NULL, argv, &args, &manager);

  if (status != VMGRCTL_EXIT_OK)
    return status;
  if (!vmgr_dbus_manager_call_list_unmanaged_domains_sync (manager, &domains, NULL, &error))
    return vmgrctl_fail (error, "cannot list the unmanaged domains");
  if (ctx->json)
    {
      g_autoptr(JsonNode) node = domains_to_json (domains);

      vmgrctl_print_json (node);
    }
  else
    {
      g_autofree char *text = domains_to_text (domains);

      vmgrctl_print (text);
    }
  return VMGRCTL_EXIT_OK;
}

typedef struct {
  char *name;
  char *owner;
  char *plan;
  char *id;
} AdoptTexts;

static void
adopt_texts_clear (AdoptTexts *texts)
{
  g_free (texts->name);
  g_free (texts->owner);
  g_free (texts->plan);
  g_free (texts->id);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (AdoptTexts, adopt_texts_clear)

/* The AdoptVM options, or NULL after an invalid value (reported). */
static gboolean
adopt_options (const AdoptTexts *texts, GVariantDict *options, GError **error)
{
  guint32 number;

  if (texts->owner != NULL)
    {
      if (!vmgrctl_parse_user (texts->owner, &number, error))
        return FALSE;
      g_variant_dict_insert (options, "owner", "u", number);
    }
  if (texts->id != NULL)
    {
      if (!vmgrctl_parse_option_uint32 ("id", texts->id, &number, error))
        return FALSE;
      g_variant_dict_insert (options, "id", "u", number);
    }
  if (texts->plan != NULL)
    g_variant_dict_insert (options, "plan", "s", texts->plan);
  return TRUE;
}

int
vmgrctl_cmd_adopt (VmgrctlContext *ctx, const VmgrctlCommand *cmd, char **argv)
{
  g_auto(AdoptTexts) texts = { NULL };
  const GOptionEntry entries[] = {
    { "name", 0, 0, G_OPTION_ARG_STRING, &texts.name,
      "The VM's name (default: the domain's)", "NAME" },
    { "owner", 0, 0, G_OPTION_ARG_STRING, &texts.owner, "Its owner (default: you)", "USER" },
    { "plan", 0, 0, G_OPTION_ARG_STRING, &texts.plan, "Its plan, recorded", "PLAN" },
    { "id", 0, 0, G_OPTION_ARG_STRING, &texts.id, "Its id (default: the next free)", "N" },
    { NULL }
  };
  g_auto(GStrv) args = NULL;
  g_auto(GVariantDict) options = G_VARIANT_DICT_INIT (NULL);
  g_autofree char *path = NULL;
  g_autoptr(GError) error = NULL;
  VmgrDBusManager *manager;
  int status = vmgrctl_command_parse (ctx, cmd, entries, NULL, argv, &args);

  if (status != VMGRCTL_EXIT_OK)
    return status;
  if (!adopt_options (&texts, &options, &error))
    return vmgrctl_command_fail (cmd, error);
  status = vmgrctl_context_connect (ctx, &manager);
  if (status != VMGRCTL_EXIT_OK)
    return status;
  if (!vmgr_dbus_manager_call_adopt_vm_sync (manager, args[0],
                                             texts.name != NULL ? texts.name : "",
                                             g_variant_dict_end (&options), &path, NULL, &error))
    return vmgrctl_fail (error, "cannot adopt '%s'", args[0]);
  {
    g_autofree char *line = g_strdup_printf ("%s\n", path);

    vmgrctl_print (line);
  }
  return VMGRCTL_EXIT_OK;
}
