/* VM.GetUsageHistory: the usage kept from the samples of the VM, under
 * the same authorization as GetStats (view-own or view-any). */
#include "vmgr-vm-private.h"

VmgrUsageHistory *
vmgr_vm_usage_history (VmgrVm *self)
{
  /* Made at first use: most of many VMs are never sampled nor asked. */
  if (self->history == NULL)
    self->history = vmgr_usage_history_new (self->context->config->sample_interval_s);
  return self->history;
}

static void
on_history_allowed (GDBusMethodInvocation *invocation, VmgrGrant *grant, gpointer user_data)
{
  g_autoptr(VmgrGrant) owned_grant G_GNUC_UNUSED = grant;
  g_autoptr(VmgrVm) self = user_data;

  g_dbus_method_invocation_return_value (
    invocation, vmgr_usage_history_to_variant (vmgr_vm_usage_history (self)));
}

gboolean
vmgr_vm_handle_get_usage_history (VmgrDBusVM *object, GDBusMethodInvocation *invocation)
{
  VmgrVm *self = VMGR_VM (object);

  vmgr_auth_authorize (self->context->auth, invocation, self->spec, NULL,
                       on_history_allowed, g_object_ref (self), g_object_unref);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}
