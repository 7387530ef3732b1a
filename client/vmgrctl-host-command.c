/* host: Manager.GetHostInfo (see vmgrctl-host-view.h for the output). */
#include "vmgrctl-commands.h"

#include "vmgrctl-errors.h"
#include "vmgrctl-host-view.h"
#include "vmgrctl-output.h"

int
vmgrctl_cmd_host (VmgrctlContext *ctx, const VmgrctlCommand *cmd, char **argv)
{
  g_auto(GStrv) args = NULL;
  g_autoptr(GVariant) info = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  const char *backend;
  VmgrDBusManager *manager;
  int status = vmgrctl_command_parse_and_connect (ctx, cmd, NULL, argv, &args, &manager);

  if (status != VMGRCTL_EXIT_OK)
    return status;
  if (!vmgr_dbus_manager_call_get_host_info_sync (manager, &info, NULL, &error))
    return vmgrctl_fail (error, "cannot read the host's information");
  backend = vmgr_dbus_manager_get_backend (manager);
  if (ctx->json)
    {
      g_autoptr(JsonNode) node = vmgrctl_host_to_json (info, backend);

      vmgrctl_print_json (node);
      return VMGRCTL_EXIT_OK;
    }
  text = vmgrctl_host_describe (info);
  vmgrctl_print (text);
  if (vmgrctl_backend_note (backend) != NULL)
    vmgrctl_print (vmgrctl_backend_note (backend));
  return VMGRCTL_EXIT_OK;
}
