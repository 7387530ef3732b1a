/* create NAME --template T [OPTION...]: Manager.CreateVM; and its
 * self-service sibling, contract PLAN TEMPLATE NAME: Manager.Contract. */
#include "vmgrctl-commands.h"

#include "vmgrctl-errors.h"
#include "vmgrctl-job.h"
#include "vmgrctl-options.h"
#include "vmgrctl-wait.h"

typedef struct {
  char *template;
  char *plan;
  char *id;
  char *owner;
  char *host;
  char *hostname;
  char *gateway;
  GStrv addresses;
  GStrv nameservers;
  gboolean autostart;
  gboolean start;
  VmgrctlResources resources;
} CreateOptions;

static void
create_options_clear (CreateOptions *self)
{
  g_free (self->template);
  g_free (self->plan);
  g_free (self->id);
  g_free (self->owner);
  g_free (self->host);
  g_free (self->hostname);
  g_free (self->gateway);
  g_strfreev (self->addresses);
  g_strfreev (self->nameservers);
  vmgrctl_resources_clear (&self->resources);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (CreateOptions, create_options_clear)

static int
parse_create (VmgrctlContext *ctx, const VmgrctlCommand *cmd, char **argv,
              CreateOptions *opts, GStrv *args)
{
  const GOptionEntry entries[] = {
    { "template", 0, 0, G_OPTION_ARG_STRING, &opts->template, "Template (required)", "TEMPLATE" },
    { "plan", 0, 0, G_OPTION_ARG_STRING, &opts->plan, "Plan giving the resources", "PLAN" },
    { "id", 0, 0, G_OPTION_ARG_STRING, &opts->id, "Numeric id (default: the next free one)", "N" },
    { "owner", 0, 0, G_OPTION_ARG_STRING, &opts->owner, "Owner", "UID|USER" },
    { "host", 0, 0, G_OPTION_ARG_STRING, &opts->host, "The host to create it on", "HOST" },
    { "hostname", 0, 0, G_OPTION_ARG_STRING, &opts->hostname, "Host name", "NAME" },
    { "address", 0, 0, G_OPTION_ARG_STRING_ARRAY, &opts->addresses,
      "Address, repeatable", "CIDR" },
    { "gateway", 0, 0, G_OPTION_ARG_STRING, &opts->gateway, "Default gateway", "IP" },
    { "nameserver", 0, 0, G_OPTION_ARG_STRING_ARRAY, &opts->nameservers,
      "Name server, repeatable", "IP" },
    { "autostart", 0, 0, G_OPTION_ARG_NONE, &opts->autostart, "Start with the host", NULL },
    { "start", 0, 0, G_OPTION_ARG_NONE, &opts->start, "Start the VM once created", NULL },
    { NULL }
  };
  g_autofree GOptionEntry *resource_entries = vmgrctl_resources_entries (&opts->resources, FALSE);
  int status = vmgrctl_command_parse (ctx, cmd, entries, resource_entries, argv, args);

  if (status == VMGRCTL_EXIT_OK && opts->template == NULL)
    return vmgrctl_command_usage_error (cmd, "--template is required");
  return status;
}

static gboolean
add_ids (VmgrctlContext *ctx, const CreateOptions *opts, GVariantDict *dict, GError **error)
{
  guint32 value;

  if (opts->id != NULL)
    {
      if (!vmgrctl_parse_option_uint32 ("id", opts->id, &value, error))
        return FALSE;
      g_variant_dict_insert (dict, "id", "u", value);
    }
  if (opts->owner != NULL)
    {
      if (!vmgrctl_context_resolve_user (ctx, opts->owner, &value, error))
        return FALSE;
      g_variant_dict_insert (dict, "owner", "u", value);
    }
  if (opts->host != NULL)
    g_variant_dict_insert (dict, "host", "s", opts->host);
  return TRUE;
}

static void
add_network (const CreateOptions *opts, GVariantDict *dict)
{
  if (opts->hostname != NULL)
    g_variant_dict_insert (dict, "hostname", "s", opts->hostname);
  if (opts->addresses != NULL)
    g_variant_dict_insert_value (dict, "addresses",
                                 g_variant_new_strv ((const char *const *) opts->addresses, -1));
  if (opts->gateway != NULL)
    g_variant_dict_insert (dict, "gateway", "s", opts->gateway);
  if (opts->nameservers != NULL)
    g_variant_dict_insert_value (dict, "nameservers",
                                 g_variant_new_strv ((const char *const *) opts->nameservers, -1));
}

/* The CreateVM options a{sv}, or NULL on a malformed value. */
static GVariant *
create_options_to_variant (VmgrctlContext *ctx, const CreateOptions *opts, GError **error)
{
  g_auto(GVariantDict) dict = G_VARIANT_DICT_INIT (NULL);

  if (!vmgrctl_resources_add_to (&opts->resources, &dict, error)
      || !add_ids (ctx, opts, &dict, error))
    return NULL;
  add_network (opts, &dict);
  if (opts->autostart)
    g_variant_dict_insert (&dict, "autostart", "b", TRUE);
  if (opts->start)
    g_variant_dict_insert (&dict, "start", "b", TRUE);
  return g_variant_ref_sink (g_variant_dict_end (&dict));
}

/* Until running with --start, else until provisioning is over; a
 * provisioning job's progress is shown meanwhile. */
static int
wait_created (VmgrctlContext *ctx, gboolean start, const char *path, const char *name)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VmgrDBusVM) vm = vmgrctl_context_get_vm (ctx, path, &error);
  g_autoptr(VmgrctlWait) wait = NULL;
  int status;

  if (vm == NULL)
    return vmgrctl_fail (error, "cannot read the new VM '%s'", name);
  wait = start ? vmgrctl_wait_new (vm, NULL, VMGRCTL_WAIT_FOR_STATE, "running")
                     : vmgrctl_wait_new (vm, NULL, VMGRCTL_WAIT_FOR_LEAVING, "provisioning");
  status = vmgrctl_follow_provisioning (ctx, vm, name);
  if (status != VMGRCTL_EXIT_OK)
    return status;
  if (!vmgrctl_wait_run (wait, ctx->timeout_s, &error))
    return vmgrctl_fail (error, "%s", name);
  return VMGRCTL_EXIT_OK;
}

int
vmgrctl_cmd_create (VmgrctlContext *ctx, const VmgrctlCommand *cmd, char **argv)
{
  g_auto(CreateOptions) opts = { NULL };
  g_auto(GStrv) args = NULL;
  g_autoptr(GVariant) options = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  g_autofree char *id = NULL;
  VmgrDBusManager *manager;
  int status = parse_create (ctx, cmd, argv, &opts, &args);

  if (status != VMGRCTL_EXIT_OK)
    return status;
  options = create_options_to_variant (ctx, &opts, &error);
  if (options == NULL)
    return vmgrctl_command_fail (cmd, error);
  status = vmgrctl_context_connect (ctx, &manager);
  if (status != VMGRCTL_EXIT_OK)
    return status;
  if (!vmgr_dbus_manager_call_create_vm_sync (manager, args[0], opts.template,
                                              opts.plan != NULL ? opts.plan : "", options,
                                              &path, NULL, &error))
    {
      vmgrctl_error_use_option_names (error, vmgrctl_vm_option_keys ());
      return vmgrctl_fail (error, "cannot create '%s'", args[0]);
    }
  id = g_path_get_basename (path);
  if (!ctx->quiet)
    g_print ("Created VM %s with id %s\n", args[0], id);
  return ctx->no_wait ? VMGRCTL_EXIT_OK : wait_created (ctx, opts.start, path, args[0]);
}

int
vmgrctl_cmd_contract (VmgrctlContext *ctx, const VmgrctlCommand *cmd, char **argv)
{
  g_auto(GStrv) args = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  g_autofree char *id = NULL;
  VmgrDBusManager *manager;
  int status = vmgrctl_command_parse_and_connect (ctx, cmd, NULL, argv, &args, &manager);

  if (status != VMGRCTL_EXIT_OK)
    return status;
  /* args: PLAN TEMPLATE NAME, as Contract takes them. */
  if (!vmgr_dbus_manager_call_contract_sync (manager, args[0], args[1], args[2], &path, NULL,
                                             &error))
    return vmgrctl_fail (error, "cannot contract '%s'", args[2]);
  id = g_path_get_basename (path);
  if (!ctx->quiet)
    g_print ("Created VM %s with id %s\n", args[2], id);
  return ctx->no_wait ? VMGRCTL_EXIT_OK : wait_created (ctx, FALSE, path, args[2]);
}
