/* vmgrctl: command-line client of vmgrd (org.vmgr).
 *
 *   vmgrctl [GLOBAL OPTION...] COMMAND [ARG...] [OPTION...]
 *
 * Global options, the command table and dispatch. The exit statuses are
 * listed in vmgrctl-errors.h. */
#include <locale.h>

#include "vmgr-build-config.h"
#include "vmgrctl-commands.h"
#include "vmgrctl-errors.h"
#include "vmgrctl-units.h"

static const VmgrctlCommand commands[] = {
  { "list", NULL, 0, VMGRCTL_COMMAND_READ, "List the VMs", vmgrctl_cmd_list },
  { "show", "VM", 1, VMGRCTL_COMMAND_READ, "Show a VM's settings and usage", vmgrctl_cmd_show },
  { "create", "NAME --template TEMPLATE", 1, VMGRCTL_COMMAND_WAITS,
    "Create a VM; waits until provisioned (with --start: running)", vmgrctl_cmd_create },
  { "start", "VM", 1, VMGRCTL_COMMAND_WAITS, "Start a VM; waits until running",
    vmgrctl_cmd_lifecycle },
  { "shutdown", "VM", 1, VMGRCTL_COMMAND_WAITS,
    "Shut a VM down gracefully; waits until stopped",
    vmgrctl_cmd_lifecycle },
  { "stop", "VM", 1, VMGRCTL_COMMAND_WAITS, "Force a VM off; waits until stopped",
    vmgrctl_cmd_lifecycle },
  { "restart", "VM", 1, VMGRCTL_COMMAND_WAITS, "Restart a VM; waits until running again",
    vmgrctl_cmd_lifecycle },
  { "suspend", "VM", 1, VMGRCTL_COMMAND_WAITS, "Pause a VM; waits until paused",
    vmgrctl_cmd_lifecycle },
  { "resume", "VM", 1, VMGRCTL_COMMAND_WAITS, "Resume a paused VM; waits until running",
    vmgrctl_cmd_lifecycle },
  { "delete", "VM", 1, VMGRCTL_COMMAND_WAITS, "Delete a VM (no confirmation); waits until gone",
    vmgrctl_cmd_delete },
  { "templates", NULL, 0, VMGRCTL_COMMAND_READ, "List the templates", vmgrctl_cmd_templates },
  { "template-add", "NAME", 1, 0, "Register a template (--os, --description, --source)",
    vmgrctl_cmd_template_add },
  { "template-remove", "NAME", 1, 0, "Remove an unused template", vmgrctl_cmd_template_remove },
  { "plans", NULL, 0, VMGRCTL_COMMAND_READ, "List the plans", vmgrctl_cmd_plans },
  { "plan-set", "NAME", 1, 0, "Create or update a plan (--memory, --vcpus, --max-vms, ...)",
    vmgrctl_cmd_plan_set },
  { "plan-remove", "NAME", 1, 0, "Remove an unused plan", vmgrctl_cmd_plan_remove },
  { "audit", NULL, 0, VMGRCTL_COMMAND_READ,
    "Show the audit log (--since, --until, --uid, --target, --limit)", vmgrctl_cmd_audit },
};

static const VmgrctlCommand *
find_command (const char *name)
{
  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    if (g_str_equal (commands[i].name, name))
      return &commands[i];
  return NULL;
}

static char *
help_description (void)
{
  GString *text = g_string_new ("Commands:\n");

  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    {
      g_autofree char *usage = g_strjoin (" ", commands[i].name, commands[i].usage, NULL);
      g_string_append_printf (text, "  %-34s %s\n", usage, commands[i].summary);
    }
  g_string_append (text,
                   "\nVM is a name or a numeric id. 'vmgrctl COMMAND --help' shows a command's\n"
                   "options; read commands also accept --json after the command. Sizes are\n"
                   "bytes or binary units: 512M, 1G, 1.5GiB, 1024K.\n\n");
  g_string_append (text, vmgrctl_exit_status_help);
  return g_string_free (text, FALSE);
}

static int
usage_error (const char *message)
{
  g_printerr ("vmgrctl: %s (see 'vmgrctl --help')\n", message);
  return VMGRCTL_EXIT_USAGE;
}

static GOptionContext *
global_option_context (VmgrctlContext *ctx, char **timeout, gboolean *version)
{
  const GOptionEntry entries[] = {
    { "system", 0, 0, G_OPTION_ARG_NONE, &ctx->system, "Talk to vmgrd on the system bus (default)", NULL },
    { "session", 0, 0, G_OPTION_ARG_NONE, &ctx->session, "Talk to vmgrd on the session bus", NULL },
    { "address", 0, 0, G_OPTION_ARG_STRING, &ctx->address, "Talk to vmgrd on the bus at ADDR", "ADDR" },
    { "no-ask-password", 0, 0, G_OPTION_ARG_NONE, &ctx->no_ask_password,
      "Do not let polkit ask for a password", NULL },
    { "json", 0, 0, G_OPTION_ARG_NONE, &ctx->json, "Print JSON (read commands)", NULL },
    { "no-wait", 0, 0, G_OPTION_ARG_NONE, &ctx->no_wait,
      "Return once vmgrd accepted a request, without waiting for its result", NULL },
    { "timeout", 0, 0, G_OPTION_ARG_STRING, timeout,
      "Wait at most SECONDS for a VM to change state (default 60, 0: no limit)", "SECONDS" },
    { "version", 0, 0, G_OPTION_ARG_NONE, version, "Print the version", NULL },
    { NULL }
  };
  g_autofree char *description = help_description ();
  GOptionContext *context = g_option_context_new ("COMMAND [ARG…]");

  g_option_context_set_summary (context, "Manage virtual machines and containers through vmgrd.");
  g_option_context_set_description (context, description);
  g_option_context_set_strict_posix (context, TRUE);
  g_option_context_add_main_entries (context, entries, NULL);
  return context;
}

/* On success @argv holds the program name, then the command and its arguments. */
static int
parse_global (VmgrctlContext *ctx, GStrv *argv, gboolean *version)
{
  g_autofree char *timeout = NULL;
  g_autoptr(GOptionContext) context = global_option_context (ctx, &timeout, version);
  g_autoptr(GError) error = NULL;
  guint64 seconds;

  if (!g_option_context_parse_strv (context, argv, &error))
    return usage_error (error->message);
  if ((ctx->system ? 1 : 0) + (ctx->session ? 1 : 0) + (ctx->address != NULL ? 1 : 0) > 1)
    return usage_error ("--system, --session and --address exclude each other");
  if (timeout != NULL && !vmgrctl_parse_uint (timeout, G_MAXUINT32, &seconds, &error))
    {
      g_autofree char *message = g_strdup_printf ("invalid --timeout: %s", error->message);
      return usage_error (message);
    }
  if (timeout != NULL)
    ctx->timeout_s = (guint) seconds;
  return VMGRCTL_EXIT_OK;
}

int
main (int argc, char **argv)
{
  g_autoptr(VmgrctlContext) ctx = vmgrctl_context_new ();
  g_auto(GStrv) args = g_strdupv (argv);
  const VmgrctlCommand *cmd;
  gboolean version = FALSE;
  int status;

  setlocale (LC_ALL, "");
  g_set_prgname ("vmgrctl");
  status = parse_global (ctx, &args, &version);
  if (status != VMGRCTL_EXIT_OK)
    return status;
  if (version)
    {
      g_print ("vmgrctl %s\n", VMGR_VERSION);
      return VMGRCTL_EXIT_OK;
    }
  if (args[0] == NULL || args[1] == NULL)
    return usage_error ("no command given");
  cmd = find_command (args[1]);
  if (cmd == NULL)
    {
      g_autofree char *message = g_strdup_printf ("unknown command '%s'", args[1]);
      return usage_error (message);
    }
  return cmd->run (ctx, cmd, args + 1);
}
