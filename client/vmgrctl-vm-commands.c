/* Commands on VMs: list, show, the lifecycle commands (delete: vmgrctl-delete-command.c). */
#include "vmgrctl-commands.h"

#include "vmgrctl-errors.h"
#include "vmgrctl-listing.h"
#include "vmgrctl-options.h"
#include "vmgrctl-vm-view.h"
#include "vmgrctl-wait.h"

/* Extra wait for shutdown beyond its graceful timeout: the forced off. */
#define SHUTDOWN_WAIT_MARGIN_S 30

/* A VM's proxy from @objects, the object manager client (which read
 * every VM's properties with one GetManagedObjects), or one of its own
 * for a VM that @objects did not list. */
static gpointer
open_vm (VmgrctlContext *ctx, const char *path, gpointer objects, GError **error)
{
  GDBusInterface *iface = objects != NULL
    ? g_dbus_object_manager_get_interface (objects, path, "org.vmgr.VM") : NULL;

  return iface != NULL ? VMGR_DBUS_VM (iface) : vmgrctl_context_get_vm (ctx, path, error);
}

static const VmgrctlListing vm_listing = {
  "VMs", open_vm, (VmgrctlToJson) vmgrctl_vm_to_json, vmgrctl_vm_table_new,
  (VmgrctlListingTableAdd) vmgrctl_vm_table_add,
};

/* VMs gone since ListVMs are left out. */
int
vmgrctl_cmd_list (VmgrctlContext *ctx, const VmgrctlCommand *cmd, char **argv)
{
  g_auto(GStrv) args = NULL;
  g_auto(GStrv) paths = NULL;
  g_autoptr(GDBusObjectManager) objects = NULL;
  g_autoptr(GError) error = NULL;
  VmgrDBusManager *manager;
  int status = vmgrctl_command_parse_and_connect (ctx, cmd, NULL, argv, &args, &manager);

  if (status != VMGRCTL_EXIT_OK)
    return status;
  if (!vmgr_dbus_manager_call_list_vms_sync (manager, &paths, NULL, &error))
    return vmgrctl_fail (error, "cannot list VMs");
  objects = vmgr_dbus_object_manager_client_new_sync (
    ctx->connection, G_DBUS_OBJECT_MANAGER_CLIENT_FLAGS_DO_NOT_AUTO_START, VMGRCTL_BUS_NAME,
    VMGRCTL_OBJECT_MANAGER_PATH, NULL, NULL);
  return vmgrctl_listing_show (ctx, &vm_listing, paths, objects);
}

int
vmgrctl_cmd_show (VmgrctlContext *ctx, const VmgrctlCommand *cmd, char **argv)
{
  g_auto(GStrv) args = NULL;
  g_autoptr(VmgrDBusVM) vm = NULL;
  int status = vmgrctl_command_parse (ctx, cmd, NULL, NULL, argv, &args);

  if (status == VMGRCTL_EXIT_OK)
    status = vmgrctl_context_lookup_vm (ctx, args[0], &vm);
  if (status != VMGRCTL_EXIT_OK)
    return status;
  vmgrctl_print_json_or_text (ctx->json, vm, (VmgrctlToJson) vmgrctl_vm_to_json,
                              (VmgrctlToText) vmgrctl_vm_describe);
  return VMGRCTL_EXIT_OK;
}

/* A VM method without arguments, as gdbus-codegen generates it. */
typedef gboolean (*VmCall) (VmgrDBusVM *vm, GCancellable *cancellable, GError **error);

/* The commands that make one call on a VM and wait for its outcome. */
typedef struct {
  const char *command;
  const char *verb;
  VmCall call;  /* NULL for shutdown, the one call with an argument */
  VmgrctlWaitKind wait_kind;
  const char *state;
} Lifecycle;

static const Lifecycle lifecycles[] = {
  { "start", "start", vmgr_dbus_vm_call_start_sync, VMGRCTL_WAIT_FOR_STATE, "running" },
  { "shutdown", "shut down", NULL, VMGRCTL_WAIT_FOR_STATE, "stopped" },
  { "stop", "stop", vmgr_dbus_vm_call_stop_sync, VMGRCTL_WAIT_FOR_STATE, "stopped" },
  { "restart", "restart", vmgr_dbus_vm_call_restart_sync, VMGRCTL_WAIT_FOR_NEW_STATE, "running" },
  { "suspend", "suspend", vmgr_dbus_vm_call_suspend_sync, VMGRCTL_WAIT_FOR_STATE, "paused" },
  { "resume", "resume", vmgr_dbus_vm_call_resume_sync, VMGRCTL_WAIT_FOR_STATE, "running" },
};

static const Lifecycle *
find_lifecycle (const char *command)
{
  for (gsize i = 0; i < G_N_ELEMENTS (lifecycles); i++)
    if (g_str_equal (lifecycles[i].command, command))
      return &lifecycles[i];
  g_assert_not_reached ();
}

static int
finish_wait (VmgrctlWait *wait, guint timeout_s, const char *name)
{
  g_autoptr(GError) error = NULL;

  if (wait != NULL && !vmgrctl_wait_run (wait, timeout_s, &error))
    return vmgrctl_fail (error, "%s", name);
  return VMGRCTL_EXIT_OK;
}

/* A shutdown is given its graceful timeout and the forced off after it. */
static guint
wait_timeout (VmgrctlContext *ctx, guint graceful_s)
{
  if (ctx->timeout_s == 0 || graceful_s == 0)
    return ctx->timeout_s;
  return MAX (ctx->timeout_s, graceful_s + SHUTDOWN_WAIT_MARGIN_S);
}

static int
parse_lifecycle (VmgrctlContext *ctx, const VmgrctlCommand *cmd, char **argv,
                 GStrv *args, guint *graceful_s)
{
  g_autofree char *graceful = NULL;
  g_autoptr(GError) error = NULL;
  const GOptionEntry shutdown_entries[] = {
    { "timeout", 0, 0, G_OPTION_ARG_STRING, &graceful,
      "Seconds before the VM is forced off (default: vmgrd's)", "SECONDS" },
    { NULL }
  };
  gboolean shutdown = g_str_equal (cmd->name, "shutdown");
  int status = vmgrctl_command_parse (ctx, cmd, shutdown ? shutdown_entries : NULL, NULL,
                                      argv, args);

  *graceful_s = 0;
  if (status == VMGRCTL_EXIT_OK && graceful != NULL
      && !vmgrctl_parse_option_uint32 ("timeout", graceful, graceful_s, &error))
    return vmgrctl_command_fail (cmd, error);
  return status;
}

static gboolean
call_lifecycle (const Lifecycle *lifecycle, VmgrDBusVM *vm, guint graceful_s, GError **error)
{
  if (lifecycle->call == NULL)
    return vmgr_dbus_vm_call_shutdown_sync (vm, graceful_s, NULL, error);
  return lifecycle->call (vm, NULL, error);
}

int
vmgrctl_cmd_lifecycle (VmgrctlContext *ctx, const VmgrctlCommand *cmd, char **argv)
{
  const Lifecycle *lifecycle = find_lifecycle (cmd->name);
  g_auto(GStrv) args = NULL;
  g_autoptr(VmgrDBusVM) vm = NULL;
  g_autoptr(VmgrctlWait) wait = NULL;
  g_autoptr(GError) error = NULL;
  guint graceful_s;
  int status = parse_lifecycle (ctx, cmd, argv, &args, &graceful_s);

  if (status == VMGRCTL_EXIT_OK)
    status = vmgrctl_context_lookup_vm (ctx, args[0], &vm);
  if (status != VMGRCTL_EXIT_OK)
    return status;
  if (!ctx->no_wait)
    wait = vmgrctl_wait_new (vm, ctx->manager, lifecycle->wait_kind, lifecycle->state);
  if (!call_lifecycle (lifecycle, vm, graceful_s, &error))
    return vmgrctl_fail (error, "cannot %s '%s'", lifecycle->verb, args[0]);
  return finish_wait (wait, wait_timeout (ctx, graceful_s), args[0]);
}

/* ---- wait VM --state STATE [--timeout S] ------------------------------- */

static const char * const vm_states[] = {
  "provisioning", "stopped", "starting", "running", "paused", "stopping", "crashed",
  "suspended", "unknown", NULL
};

static int
parse_wait (VmgrctlContext *ctx, const VmgrctlCommand *cmd, char **argv, GStrv *args,
            char **state, guint *timeout_s)
{
  g_autofree char *timeout = NULL;
  g_autoptr(GError) error = NULL;
  const GOptionEntry entries[] = {
    { "state", 0, 0, G_OPTION_ARG_STRING, state, "The state to wait for (required)", "STATE" },
    { "timeout", 0, 0, G_OPTION_ARG_STRING, &timeout,
      "Give up after SECONDS (exit status 10; default: no limit)", "SECONDS" },
    { NULL }
  };
  int status = vmgrctl_command_parse (ctx, cmd, entries, NULL, argv, args);

  *timeout_s = 0;
  if (status != VMGRCTL_EXIT_OK)
    return status;
  if (*state == NULL)
    return vmgrctl_command_usage_error (cmd, "--state is required");
  if (!g_strv_contains (vm_states, *state))
    {
      g_autofree char *known = g_strjoinv (", ", (char **) vm_states);
      g_autofree char *message = g_strdup_printf ("unknown state '%s' (one of %s)", *state,
                                                  known);

      return vmgrctl_command_usage_error (cmd, message);
    }
  if (timeout != NULL && !vmgrctl_parse_option_uint32 ("timeout", timeout, timeout_s, &error))
    return vmgrctl_command_fail (cmd, error);
  return VMGRCTL_EXIT_OK;
}

/* Until the VM is in the state (at once if it is already); fails if it
 * crashes meanwhile (unless waiting for that), is deleted, or vmgrd goes. */
int
vmgrctl_cmd_wait (VmgrctlContext *ctx, const VmgrctlCommand *cmd, char **argv)
{
  g_auto(GStrv) args = NULL;
  g_autofree char *state = NULL;
  g_autoptr(VmgrDBusVM) vm = NULL;
  g_autoptr(VmgrctlWait) wait = NULL;
  guint timeout_s;
  int status = parse_wait (ctx, cmd, argv, &args, &state, &timeout_s);

  if (status == VMGRCTL_EXIT_OK)
    status = vmgrctl_context_lookup_vm (ctx, args[0], &vm);
  if (status != VMGRCTL_EXIT_OK)
    return status;
  wait = vmgrctl_wait_new (vm, ctx->manager, VMGRCTL_WAIT_FOR_STATE, state);
  return finish_wait (wait, timeout_s, args[0]);
}
