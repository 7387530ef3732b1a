/* The choke point as the skeletons' handlers use it: a method invocation
 * decided by vmgr_auth_check, answered with an error or handed on with a
 * grant; and bad input answered only to who may see its object. */
#include "vmgr-auth.h"

#include "vmgr-audit.h"

void
vmgr_grant_free (VmgrGrant *grant)
{
  if (grant == NULL)
    return;
  g_free (grant->caller.bus_name);
  g_free (grant->caller.user_name);
  g_free (grant->action);
  g_free (grant->verb);
  g_free (grant->target);
  g_free (grant->target_name);
  g_free (grant->target_uuid);
  g_clear_pointer (&grant->changes, g_ptr_array_unref);
  g_free (grant);
}

void
vmgr_grant_add_change (VmgrGrant *grant, const char *field, const char *old_value,
                       const char *new_value)
{
  vmgr_audit_changes_add (grant->changes, field, old_value, new_value);
}

static VmgrAuditEntry *
grant_entry (const VmgrGrant *grant, const char *result, const char *message)
{
  VmgrAuditTarget target = {
    .path = grant->target, .name = grant->target_name, .uuid = grant->target_uuid,
  };
  VmgrAuditEntry *entry = vmgr_audit_entry_for (&grant->caller, grant->verb,
                                                grant->action != NULL ? grant->action : "",
                                                &target, result, message);

  for (guint i = 0; i < grant->changes->len; i++)
    {
      const VmgrAuditChange *change = g_ptr_array_index (grant->changes, i);

      vmgr_audit_entry_add_change (entry, change->field, change->old_value, change->new_value);
    }
  return entry;
}

void
vmgr_grant_audit (VmgrAuth *self, const VmgrGrant *grant, const GError *error)
{
  g_autoptr(VmgrAuditEntry) entry = grant_entry (grant, error == NULL ? "allowed" : "failed",
                                                 error != NULL ? error->message : "");

  if (grant->row_taken && error == NULL)
    vmgr_audit_log (entry);
  else
    vmgr_auth_audit_entry (self, entry);
}

VmgrAuditEntry *
vmgr_grant_audit_entry (VmgrGrant *grant)
{
  grant->row_taken = TRUE;
  return grant_entry (grant, "allowed", "");
}

typedef struct {
  VmgrAuth *auth;
  GDBusMethodInvocation *invocation;
  char *target;
  char *target_name;
  char *target_uuid;
  VmgrAuthorizedFunc func;
  gpointer user_data;
  GDestroyNotify destroy;
} Authorization;

static void
on_invocation_decided (VmgrAuthResult result, const VmgrCaller *caller, const char *action,
                       const GError *error, gpointer data)
{
  Authorization *authz = data;

  if (result == VMGR_AUTH_ALLOWED)
    {
      VmgrGrant *grant = g_new0 (VmgrGrant, 1);

      grant->caller.bus_name = g_strdup (caller->bus_name);
      grant->caller.uid = caller->uid;
      grant->caller.pid = caller->pid;
      grant->caller.user_name = g_strdup (caller->user_name);
      grant->action = g_strdup (action);
      grant->verb = g_strdup (g_dbus_method_invocation_get_method_name (authz->invocation));
      grant->target = g_steal_pointer (&authz->target);
      grant->target_name = g_steal_pointer (&authz->target_name);
      grant->target_uuid = g_steal_pointer (&authz->target_uuid);
      grant->changes = vmgr_audit_changes_new ();
      authz->func (authz->invocation, grant, authz->user_data);
    }
  else
    {
      g_dbus_method_invocation_return_gerror (authz->invocation, error);
      if (authz->destroy != NULL)
        authz->destroy (authz->user_data);
    }
  g_object_unref (authz->auth);
  g_object_unref (authz->invocation);
  g_free (authz->target);
  g_free (authz->target_name);
  g_free (authz->target_uuid);
  g_free (authz);
}

gboolean
vmgr_auth_message_is_interactive (GDBusMessage *message)
{
  return (g_dbus_message_get_flags (message) &
          G_DBUS_MESSAGE_FLAGS_ALLOW_INTERACTIVE_AUTHORIZATION) != 0;
}

void
vmgr_auth_authorize (VmgrAuth *self, GDBusMethodInvocation *invocation, const VmgrVmSpec *vm,
                     GHashTable *details, VmgrAuthorizedFunc func, gpointer user_data,
                     GDestroyNotify destroy)
{
  vmgr_auth_authorize_about (self, invocation, vm, NULL, details, func, user_data, destroy);
}

void
vmgr_auth_authorize_about (VmgrAuth *self, GDBusMethodInvocation *invocation,
                           const VmgrVmSpec *vm, const VmgrCustomerInfo *customer,
                           GHashTable *details, VmgrAuthorizedFunc func, gpointer user_data,
                           GDestroyNotify destroy)
{
  Authorization *authz = g_new0 (Authorization, 1);
  VmgrAuthRequest request = {
    .sender = g_dbus_method_invocation_get_sender (invocation),
    .interactive = vmgr_auth_message_is_interactive (
      g_dbus_method_invocation_get_message (invocation)),
    .interface = g_dbus_method_invocation_get_interface_name (invocation),
    .member = g_dbus_method_invocation_get_method_name (invocation),
    .vm = vm,
    .customer = customer,
    .target = g_dbus_method_invocation_get_object_path (invocation),
    .details = details,
  };

  authz->auth = g_object_ref (self);
  authz->invocation = g_object_ref (invocation);
  authz->target = g_strdup (request.target);
  authz->target_name = vm != NULL ? g_strdup (vm->name)
                       : customer != NULL ? vmgr_user_name_for_uid (customer->uid) : NULL;
  authz->target_uuid = vm != NULL ? g_strdup (vm->uuid) : NULL;
  authz->func = func;
  authz->user_data = user_data;
  authz->destroy = destroy;
  vmgr_auth_check (self, &request, on_invocation_decided, authz);
}

/* Bad input about an object the caller may not see must not reveal that
 * the object exists: the error goes out only to callers who may see it. */
typedef struct {
  GDBusMethodInvocation *invocation;
  GError *error;
} InvalidInput;

static void
on_invalid_input_view (VmgrAuthResult result, const VmgrCaller *caller, const char *action,
                       const GError *error, gpointer user_data)
{
  InvalidInput *input = user_data;

  g_dbus_method_invocation_return_gerror (input->invocation,
                                          result == VMGR_AUTH_ALLOWED ? input->error : error);
  g_object_unref (input->invocation);
  g_error_free (input->error);
  g_free (input);
}

void
vmgr_auth_return_invalid_input (VmgrAuth *self, GDBusMethodInvocation *invocation,
                                const VmgrVmSpec *vm, const VmgrCustomerInfo *customer,
                                GError *error)
{
  InvalidInput *input = g_new0 (InvalidInput, 1);
  VmgrAuthRequest request = {
    .sender = g_dbus_method_invocation_get_sender (invocation),
    .interface = g_dbus_method_invocation_get_interface_name (invocation),
    .member = "Get",
    .vm = vm,
    .customer = customer,
    .called_path = g_dbus_method_invocation_get_object_path (invocation),
  };

  input->invocation = g_object_ref (invocation);
  input->error = error;
  vmgr_auth_check (self, &request, on_invalid_input_view, input);
}
