/* Manager.GetPermissions: which vmgr actions the caller holds without
 * interaction, for clients that show only what their user may do. */
#include "vmgr-manager-private.h"

#include "vmgr-names.h"

static const char * const all_actions[] = {
  VMGR_ACTION_VIEW_OWN, VMGR_ACTION_VIEW_ANY,
  VMGR_ACTION_CONTROL_OWN, VMGR_ACTION_CONTROL_ANY,
  VMGR_ACTION_CONSOLE_OWN, VMGR_ACTION_CONSOLE_ANY,
  VMGR_ACTION_CONFIGURE, VMGR_ACTION_CREATE, VMGR_ACTION_DELETE, VMGR_ACTION_CONTRACT,
  VMGR_ACTION_TEMPLATES_MANAGE, VMGR_ACTION_PLANS_MANAGE,
  VMGR_ACTION_CUSTOMERS_MANAGE, VMGR_ACTION_AUDIT_READ, VMGR_ACTION_ADOPT,
  VMGR_ACTION_SNAPSHOT_OWN, VMGR_ACTION_SNAPSHOT_ANY,
  VMGR_ACTION_CLONE,
  VMGR_ACTION_BACKUP, VMGR_ACTION_RESTORE,
  VMGR_ACTION_HOSTS_MANAGE, VMGR_ACTION_MIGRATE,
  NULL,
};

static void
on_held (GStrv held, const GError *error, gpointer user_data)
{
  g_autoptr(GDBusMethodInvocation) invocation = user_data;

  if (error != NULL)
    {
      g_dbus_method_invocation_return_gerror (invocation, error);
      return;
    }
  g_dbus_method_invocation_return_value (invocation,
                                         g_variant_new ("(^as)", (const char * const *) held));
}

static void
on_permissions_allowed (GDBusMethodInvocation *invocation, VmgrGrant *grant, gpointer data)
{
  g_autoptr(VmgrGrant) owned_grant G_GNUC_UNUSED = grant;
  VmgrManager *self = VMGR_MANAGER (g_dbus_method_invocation_get_user_data (invocation));

  vmgr_auth_check_held (self->context->auth, g_dbus_method_invocation_get_sender (invocation),
                        all_actions, on_held, g_object_ref (invocation));
}

gboolean
vmgr_manager_handle_get_permissions (VmgrDBusManager *object, GDBusMethodInvocation *invocation)
{
  VmgrManager *self = VMGR_MANAGER (object);

  vmgr_auth_authorize (self->context->auth, invocation, NULL, NULL,
                       on_permissions_allowed, NULL, NULL);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}
