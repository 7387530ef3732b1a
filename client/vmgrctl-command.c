/* Parsing one command's options and positional arguments. */
#include "vmgrctl-command.h"

#include "vmgrctl-errors.h"
#include "vmgrctl-output.h"

static void
add_common_entries (GOptionContext *context, VmgrctlContext *ctx, VmgrctlCommandFlags flags)
{
  const GOptionEntry json_entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &ctx->json, "Print JSON", NULL },
    { "no-header", 'H', 0, G_OPTION_ARG_NONE, &ctx->no_header,
      "Print tables without their header row (for scripts)", NULL },
    { NULL }
  };
  const GOptionEntry wait_entries[] = {
    { "no-wait", 0, 0, G_OPTION_ARG_NONE, &ctx->no_wait,
      "Return once vmgrd accepted the request", NULL },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &ctx->quiet, "Print nothing on success", NULL },
    { NULL }
  };

  if (flags & VMGRCTL_COMMAND_READ)
    g_option_context_add_main_entries (context, json_entries, NULL);
  if (flags & VMGRCTL_COMMAND_WAITS)
    g_option_context_add_main_entries (context, wait_entries, NULL);
}

static GOptionContext *
command_option_context (VmgrctlContext *ctx, const VmgrctlCommand *cmd,
                        const GOptionEntry *entries, const GOptionEntry *more_entries)
{
  g_autofree char *usage = g_strjoin (" ", cmd->name, cmd->usage, NULL);
  GOptionContext *context = g_option_context_new (usage);

  g_option_context_set_summary (context, cmd->summary);
  if (entries != NULL)
    g_option_context_add_main_entries (context, entries, NULL);
  if (more_entries != NULL)
    g_option_context_add_main_entries (context, more_entries, NULL);
  add_common_entries (context, ctx, cmd->flags);
  if (cmd->flags & VMGRCTL_COMMAND_PROVISIONS)
    g_option_context_set_description (context,
      "While vmgrd provisions the new VM (a job), a progress bar is shown on\n"
      "stderr. Ctrl-C meanwhile cancels the provisioning and exits with\n"
      "status 130; a failed provisioning exits with status 1.");
  return context;
}

int
vmgrctl_command_usage_error (const VmgrctlCommand *cmd, const char *message)
{
  g_printerr ("vmgrctl: %s: %s (see 'vmgrctl %s --help')\n", cmd->name, message, cmd->name);
  return VMGRCTL_EXIT_USAGE;
}

int
vmgrctl_command_parse (VmgrctlContext *ctx, const VmgrctlCommand *cmd,
                       const GOptionEntry *entries, const GOptionEntry *more_entries,
                       char **argv, GStrv *args)
{
  g_autoptr(GOptionContext) context = command_option_context (ctx, cmd, entries, more_entries);
  g_auto(GStrv) parsed = g_strdupv (argv);
  g_autoptr(GError) error = NULL;
  guint n_args;

  if (!g_option_context_parse_strv (context, &parsed, &error))
    return vmgrctl_command_usage_error (cmd, error->message);
  vmgrctl_tables_show_headers (!ctx->no_header);
  n_args = g_strv_length (parsed) - 1;
  if (n_args < cmd->n_args)
    return vmgrctl_command_usage_error (cmd, "missing argument");
  if (n_args > cmd->n_args && !(cmd->flags & VMGRCTL_COMMAND_MORE_ARGS))
    {
      g_autofree char *message = g_strdup_printf ("unexpected argument '%s'",
                                                  parsed[cmd->n_args + 1]);
      return vmgrctl_command_usage_error (cmd, message);
    }
  *args = g_strdupv (parsed + 1);
  return VMGRCTL_EXIT_OK;
}

int
vmgrctl_command_parse_and_connect (VmgrctlContext *ctx, const VmgrctlCommand *cmd,
                                   const GOptionEntry *entries, char **argv, GStrv *args,
                                   VmgrDBusManager **manager)
{
  int status = vmgrctl_command_parse (ctx, cmd, entries, NULL, argv, args);

  if (status != VMGRCTL_EXIT_OK)
    return status;
  return vmgrctl_context_connect (ctx, manager);
}

int
vmgrctl_command_fail (const VmgrctlCommand *cmd, GError *error)
{
  return vmgrctl_fail (error, "%s", cmd->name);
}
