/* delete VM [--force]: vmgrd refuses to delete a VM that is up; --force
 * stops it first (as incus delete --force does), then deletes it. */
#include "vmgrctl-commands.h"

#include "vmgrctl-errors.h"
#include "vmgrctl-wait.h"

static gboolean
is_up (const char *state)
{
  static const char * const up_states[] = { "starting", "running", "paused", "stopping", NULL };

  return state != NULL && g_strv_contains (up_states, state);
}

static int
force_off (VmgrctlContext *ctx, VmgrDBusVM *vm, const char *name)
{
  g_autoptr(VmgrctlWait) wait = vmgrctl_wait_new (vm, ctx->manager, VMGRCTL_WAIT_FOR_STATE,
                                                  "stopped");
  g_autoptr(GError) error = NULL;

  if (!vmgr_dbus_vm_call_stop_sync (vm, NULL, &error))
    return vmgrctl_fail (error, "cannot stop '%s' before deleting it", name);
  if (!vmgrctl_wait_run (wait, ctx->timeout_s, &error))
    return vmgrctl_fail (error, "%s", name);
  return VMGRCTL_EXIT_OK;
}

int
vmgrctl_cmd_delete (VmgrctlContext *ctx, const VmgrctlCommand *cmd, char **argv)
{
  gboolean force = FALSE;
  const GOptionEntry entries[] = {
    { "force", 0, 0, G_OPTION_ARG_NONE, &force,
      "Force a VM that is up off first (otherwise vmgrd refuses)", NULL },
    { NULL }
  };
  g_auto(GStrv) args = NULL;
  g_autoptr(VmgrDBusVM) vm = NULL;
  g_autoptr(VmgrctlWait) wait = NULL;
  g_autoptr(GError) error = NULL;
  int status = vmgrctl_command_parse (ctx, cmd, entries, NULL, argv, &args);

  if (status == VMGRCTL_EXIT_OK)
    status = vmgrctl_context_lookup_vm (ctx, args[0], &vm);
  if (status == VMGRCTL_EXIT_OK && force && is_up (vmgr_dbus_vm_get_state (vm)))
    status = force_off (ctx, vm, args[0]);
  if (status != VMGRCTL_EXIT_OK)
    return status;
  if (!ctx->no_wait)
    wait = vmgrctl_wait_new (vm, ctx->manager, VMGRCTL_WAIT_FOR_REMOVAL, NULL);
  if (!vmgr_dbus_vm_call_delete_sync (vm, NULL, &error))
    return vmgrctl_fail (error, "cannot delete '%s'", args[0]);
  if (wait != NULL && !vmgrctl_wait_run (wait, ctx->timeout_s, &error))
    return vmgrctl_fail (error, "%s", args[0]);
  if (!ctx->quiet)
    g_print (wait != NULL ? "%s deleted\n" : "%s: delete requested\n", args[0]);
  return VMGRCTL_EXIT_OK;
}
