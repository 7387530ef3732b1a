/* vmgrctl: command-line client of vmgrd (org.vmgr).
 *
 *   vmgrctl [GLOBAL OPTION...] COMMAND [ARG...] [OPTION...]
 *
 * Global options, the command table and dispatch. The exit statuses are
 * listed in vmgrctl-errors.h. */
#include <locale.h>
#include <string.h>

#include "vmgr-build-config.h"
#include "vmgrctl-commands.h"
#include "vmgrctl-errors.h"
#include "vmgrctl-units.h"

static const VmgrctlCommand commands[] = {
  { "list", NULL, 0, VMGRCTL_COMMAND_READ,
    "List the VMs (--state, --owner, --plan filter; -H: no header)", vmgrctl_cmd_list },
  { "show", "VM", 1, VMGRCTL_COMMAND_READ, "Show a VM's settings and usage", vmgrctl_cmd_show },
  { "create", "NAME --template TEMPLATE", 1,
    VMGRCTL_COMMAND_WAITS | VMGRCTL_COMMAND_PROVISIONS,
    "Create a VM; waits until provisioned (with --start: running)", vmgrctl_cmd_create },
  { "start", "VM", 1, VMGRCTL_COMMAND_WAITS, "Start a VM; waits until running",
    vmgrctl_cmd_lifecycle },
  { "shutdown", "VM", 1, VMGRCTL_COMMAND_WAITS,
    "Shut a VM down gracefully (--grace SECONDS, then forced off); waits until stopped",
    vmgrctl_cmd_lifecycle },
  { "stop", "VM", 1, VMGRCTL_COMMAND_WAITS, "Force a VM off; waits until stopped",
    vmgrctl_cmd_lifecycle },
  { "restart", "VM", 1, VMGRCTL_COMMAND_WAITS, "Restart a VM; waits until running again",
    vmgrctl_cmd_lifecycle },
  { "suspend", "VM", 1, VMGRCTL_COMMAND_WAITS, "Pause a VM; waits until paused",
    vmgrctl_cmd_lifecycle },
  { "resume", "VM", 1, VMGRCTL_COMMAND_WAITS, "Resume a paused VM; waits until running",
    vmgrctl_cmd_lifecycle },
  { "save", "VM", 1, VMGRCTL_COMMAND_WAITS,
    "Save a running VM's state to a file and turn it off (start restores it); waits until suspended",
    vmgrctl_cmd_lifecycle },
  { "delete", "VM [--force]", 1, VMGRCTL_COMMAND_WAITS,
    "Delete a stopped VM (no confirmation; --force stops it first); waits until gone",
    vmgrctl_cmd_delete },
  { "clone", "SOURCE NAME [--snapshot SNAP]", 2,
    VMGRCTL_COMMAND_WAITS | VMGRCTL_COMMAND_PROVISIONS,
    "Clone a stopped VM (or one of its snapshots) into a new VM (--owner, --hostname, "
    "--address, ...); waits until copied", vmgrctl_cmd_clone },
  { "snapshot create", "VM NAME", 2, 0,
    "Take a snapshot of a VM (--description TEXT); prints its object path",
    vmgrctl_cmd_snapshot_create },
  { "snapshot list", "VM", 1, VMGRCTL_COMMAND_READ, "List a VM's snapshots, oldest first",
    vmgrctl_cmd_snapshot_list },
  { "snapshot revert", "VM NAME", 2, 0, "Bring a VM back to one of its snapshots",
    vmgrctl_cmd_snapshot_change },
  { "snapshot delete", "VM NAME", 2, 0, "Delete a snapshot of a VM", vmgrctl_cmd_snapshot_change },
  /* Backups (issue 13). */
  { "backup", "VM", 1, VMGRCTL_COMMAND_WAITS,
    "Back a VM up into the backup directory (--description TEXT); shows progress, prints the archive",
    vmgrctl_cmd_backup },
  { "backups", NULL, 0, VMGRCTL_COMMAND_READ, "List the backup archives", vmgrctl_cmd_backups },
  { "restore", "ARCHIVE [NAME]", 1, VMGRCTL_COMMAND_WAITS | VMGRCTL_COMMAND_MORE_ARGS,
    "Create a VM from a backup (--owner USER); shows progress, prints the VM's path",
    vmgrctl_cmd_restore },
  { "backup-delete", "ARCHIVE", 1, 0, "Delete a backup archive", vmgrctl_cmd_backup_delete },
  /* Several hosts (issue 14). */
  { "migrate", "VM HOST", 2, VMGRCTL_COMMAND_WAITS,
    "Move a VM to another host (live for a running QEMU guest; --offline); shows progress",
    vmgrctl_cmd_migrate },
  { "wait", "VM --state STATE", 1, 0,
    "Wait until a VM is in STATE (--timeout SECONDS gives up)", vmgrctl_cmd_wait },
  { "monitor", "[VM...]", 0, VMGRCTL_COMMAND_READ | VMGRCTL_COMMAND_MORE_ARGS,
    "Print events about the VMs one may see, one line each, until Ctrl-C", vmgrctl_cmd_monitor },
  { "set-memory", "VM", 1, 0,
    "Set memory (--memory, --memory-guarantee, --memory-soft-limit; others kept)",
    vmgrctl_cmd_set_memory },
  { "set-cpu", "VM", 1, 0, "Set CPUs (--vcpus, --cpu-weight, --cpu-limit; others kept)",
    vmgrctl_cmd_set_cpu },
  { "set-disk", "VM", 1, 0, "Set disk limits (--disk, --disk-soft; others kept)",
    vmgrctl_cmd_set_disk },
  { "set-network", "VM", 1, 0,
    "Set network keys (--hostname, --address, --gateway, --nameserver)", vmgrctl_cmd_set_network },
  { "autostart", "VM on|off", 2, 0, "Start a VM with the host, or not", vmgrctl_cmd_autostart },
  { "chown", "VM USER|UID", 2, 0, "Give a VM to another owner", vmgrctl_cmd_chown },
  { "stats", "[VM...]", 0, VMGRCTL_COMMAND_READ | VMGRCTL_COMMAND_MORE_ARGS,
    "Show usage (default: running VMs); --watch [SECONDS] refreshes; VM --history [--day] over time", vmgrctl_cmd_stats },
  { "console", "VM", 1, 0, "Attach to a VM's console (escape: Ctrl-])", vmgrctl_cmd_console },
  { "contract", "PLAN TEMPLATE NAME", 3,
    VMGRCTL_COMMAND_WAITS | VMGRCTL_COMMAND_PROVISIONS,
    "Create an own VM from a plan (self-service); waits until provisioned",
    vmgrctl_cmd_contract },
  { "host", NULL, 0, VMGRCTL_COMMAND_READ, "Show the host's resources and allocation",
    vmgrctl_cmd_host },
  { "hosts", NULL, 0, VMGRCTL_COMMAND_READ, "List the hosts (administrators)", vmgrctl_cmd_hosts },
  { "host-add", "NAME URI", 2, 0, "Add a libvirt host by its URI", vmgrctl_cmd_host_add },
  { "host-remove", "NAME", 1, 0, "Remove a host that has no VM", vmgrctl_cmd_host_remove },
  { "templates", NULL, 0, VMGRCTL_COMMAND_READ, "List the templates", vmgrctl_cmd_templates },
  { "template-add", "NAME", 1, 0, "Register a template (--os, --description, --source)",
    vmgrctl_cmd_template_add },
  { "template-remove", "NAME", 1, 0, "Remove an unused template", vmgrctl_cmd_template_remove },
  { "plans", NULL, 0, VMGRCTL_COMMAND_READ, "List the plans", vmgrctl_cmd_plans },
  { "plan-set", "NAME", 1, 0, "Create or update a plan (--memory, --vcpus, --max-vms, ...)",
    vmgrctl_cmd_plan_set },
  { "plan-remove", "NAME", 1, 0, "Remove an unused plan", vmgrctl_cmd_plan_remove },
  { "unmanaged", NULL, 0, VMGRCTL_COMMAND_READ,
    "List the libvirt domains vmgr does not manage (to adopt)", vmgrctl_cmd_unmanaged },
  { "adopt", "DOMAIN", 1, 0,
    "Bring a libvirt domain under vmgr (--name, --owner, --plan, --id)", vmgrctl_cmd_adopt },
  { "audit", NULL, 0, VMGRCTL_COMMAND_READ,
    "Show the audit log (--since, --until, --uid, --target, --verb, --limit)", vmgrctl_cmd_audit },
  { "customers", NULL, 0, VMGRCTL_COMMAND_READ, "List the customers", vmgrctl_cmd_customers },
  { "customer add", "USER|UID", 1, 0,
    "Register a customer (--name, --email, --national-id required)", vmgrctl_cmd_customer_add },
  { "customer show", "USER|UID", 1, VMGRCTL_COMMAND_READ,
    "Show a customer with quota and allocation", vmgrctl_cmd_customer_show },
  { "customer update", "USER|UID", 1, 0, "Change a customer (options as for add)",
    vmgrctl_cmd_customer_update },
  { "customer suspend", "USER|UID", 1, 0, "Suspend a customer (--reason TEXT required)",
    vmgrctl_cmd_customer_state },
  { "customer unsuspend", "USER|UID", 1, 0, "Lift a customer's suspension",
    vmgrctl_cmd_customer_state },
  { "customer remove", "USER|UID", 1, 0, "Remove a customer", vmgrctl_cmd_customer_state },
};

/* The command named by @args (one word, or two for a group such as
 * "customer add"); *@n_words says how many it took. NULL with *@n_words
 * 1 when @args[0] names a group but not one of its commands. */
static const VmgrctlCommand *
find_command (char **args, guint *n_words)
{
  *n_words = 0;
  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    {
      const char *name = commands[i].name;
      const char *space = strchr (name, ' ');

      if (space == NULL && g_str_equal (name, args[0]))
        {
          *n_words = 1;
          return &commands[i];
        }
      if (space != NULL && strncmp (name, args[0], space - name) == 0
          && args[0][space - name] == '\0')
        {
          *n_words = 1;
          if (args[1] != NULL && g_str_equal (space + 1, args[1]))
            {
              *n_words = 2;
              return &commands[i];
            }
        }
    }
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
                   "bytes or binary units: 512M, 1G, 1.5GiB, 1024K. USER|UID is a user name\n"
                   "or a numeric uid; a name this host does not know is looked up among\n"
                   "vmgrd's customers and VM owners. Read commands take -H (--no-header)\n"
                   "for tables without their header row; their JSON is described in\n"
                   "docs/json.md.\n\n");
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
    { "wait-timeout", 0, 0, G_OPTION_ARG_STRING, timeout,
      "Wait at most SECONDS for a VM to reach its new state (default 60, 0: no limit)",
      "SECONDS" },
    /* The older name of --wait-timeout, kept for scripts; hidden, since
     * shutdown's --timeout is something else. */
    { "timeout", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_STRING, timeout, NULL, "SECONDS" },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &ctx->quiet,
      "Print nothing on success (lifecycle commands, create)", NULL },
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
      g_autofree char *message = g_strdup_printf ("invalid --wait-timeout: %s", error->message);
      return usage_error (message);
    }
  if (timeout != NULL)
    ctx->timeout_s = (guint) seconds;
  return VMGRCTL_EXIT_OK;
}

/* "customer --help": the group's commands. */
static int
group_help (const char *group)
{
  gsize group_len = strlen (group);

  g_print ("Usage:\n  vmgrctl [OPTION…] %s COMMAND [ARG…]\n\nCommands:\n", group);
  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    if (strncmp (commands[i].name, group, group_len) == 0 && commands[i].name[group_len] == ' ')
      {
        g_autofree char *usage = g_strjoin (" ", commands[i].name, commands[i].usage, NULL);
        g_print ("  %-34s %s\n", usage, commands[i].summary);
      }
  g_print ("\n'vmgrctl %s COMMAND --help' shows a command's options.\n", group);
  return VMGRCTL_EXIT_OK;
}

/* "customer" alone, or with a word that is none of its commands. */
static int
group_usage_error (const char *group, const char *word)
{
  g_autoptr(GString) message = g_string_new (NULL);
  gsize group_len = strlen (group);
  const char *separator = "";

  if (word == NULL || word[0] == '-')
    g_string_printf (message, "'%s' needs one of: ", group);
  else
    g_string_printf (message, "unknown command '%s %s'; '%s' has: ", group, word, group);
  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    if (strncmp (commands[i].name, group, group_len) == 0 && commands[i].name[group_len] == ' ')
      {
        g_string_append_printf (message, "%s%s", separator, commands[i].name + group_len + 1);
        separator = ", ";
      }
  return usage_error (message->str);
}

int
main (int argc, char **argv)
{
  g_autoptr(VmgrctlContext) ctx = vmgrctl_context_new ();
  g_auto(GStrv) args = g_strdupv (argv);
  const VmgrctlCommand *cmd;
  guint n_words;
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
  cmd = find_command (args + 1, &n_words);
  if (cmd == NULL && n_words == 1
      && (g_strcmp0 (args[2], "--help") == 0 || g_strcmp0 (args[2], "-h") == 0))
    return group_help (args[1]);
  if (cmd == NULL && n_words == 1)
    return group_usage_error (args[1], args[2]);
  if (cmd == NULL)
    {
      g_autofree char *message = g_strdup_printf ("unknown command '%s'", args[1]);
      return usage_error (message);
    }
  return cmd->run (ctx, cmd, args + n_words);
}
