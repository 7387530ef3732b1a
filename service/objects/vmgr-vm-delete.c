/* VM.Delete: undefined in libvirt, removed from the store (libvirt put
 * back as it was when the store refuses), its files removed, then the VM
 * announces its end. */
#include "vmgr-vm-private.h"

#include "vmgr-error.h"

typedef struct {
  VmgrVm *vm;
  GDBusMethodInvocation *invocation;
  VmgrGrant *grant;
  GError *store_error;      /* the store refused, after libvirt undefined */
} Deletion;

static void
deletion_free (Deletion *deletion)
{
  g_object_unref (deletion->vm);
  g_object_unref (deletion->invocation);
  vmgr_grant_free (deletion->grant);
  g_clear_error (&deletion->store_error);
  g_free (deletion);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Deletion, deletion_free)

static void
finish_deletion (Deletion *deletion, const GError *error)
{
  VmgrVm *self = deletion->vm;

  vmgr_grant_audit (self->context->auth, deletion->grant, error);
  if (error != NULL)
    {
      self->deleting = FALSE;
      g_dbus_method_invocation_return_gerror (deletion->invocation, error);
      return;
    }
  g_clear_handle_id (&self->force_off_id, g_source_remove);
  vmgr_context_reserve_address (self->context, self->spec, FALSE);
  vmgr_vm_emit_deleted (self);
  g_dbus_method_invocation_return_value (deletion->invocation, NULL);
}

static void
on_files_removed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(Deletion) deletion = user_data;
  g_autoptr(GError) error = NULL;

  /* The VM is gone from libvirt and the store: leftovers are only logged. */
  if (!vmgr_context_remove_files_finish (result, &error))
    g_warning ("VM %u: cannot remove its files: %s", deletion->vm->spec->id, error->message);
  finish_deletion (deletion, NULL);
}

void
vmgr_vm_restore_definition_async (VmgrVm *self, GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *domain_xml = vmgr_store_get_vm_domain_xml (self->context->store,
                                                              self->spec->id, &error);

  if (domain_xml == NULL)
    {
      g_debug ("VM %u: no stored definition (%s): building it again", self->spec->id,
               error->message);
      domain_xml = vmgr_context_build_definition (self->context, self->spec, NULL);
    }
  vmgr_backend_define_async (vmgr_context_backend_for (self->context, self->spec), domain_xml != NULL ? domain_xml : "", NULL,
                             callback, user_data);
}

static void
on_defined_again (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(Deletion) deletion = user_data;
  g_autoptr(GError) error = NULL;

  if (!vmgr_backend_define_finish (VMGR_BACKEND (source), result, &error))
    g_warning ("VM %u: the store kept it, but libvirt could not define it again: %s",
               deletion->vm->spec->id, error->message);
  finish_deletion (deletion, deletion->store_error);
}

static void
on_undefined (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(Deletion) deletion = user_data;
  VmgrVm *self = deletion->vm;
  g_autoptr(GError) error = NULL;
  g_autoptr(VmgrAuditEntry) audit = NULL;

  /* A domain libvirt already lost is gone as far as vmgr is concerned. */
  if (!vmgr_backend_op_finish (VMGR_BACKEND (source), result, &error) &&
      !g_error_matches (error, VMGR_ERROR, VMGR_ERROR_NOT_FOUND))
    {
      finish_deletion (deletion, error);
      return;
    }
  g_clear_error (&error);
  audit = vmgr_grant_audit_entry (deletion->grant);
  if (!vmgr_store_delete_vm (self->context->store, self->spec->id, audit, &error))
    {
      /* The store keeps the VM (e.g. its disk is full): so does libvirt,
       * again (stopped, if it was running). */
      g_message ("VM %u: not deleted from the store (%s): defining it again", self->spec->id,
                 error->message);
      deletion->store_error = g_steal_pointer (&error);
      vmgr_vm_restore_definition_async (self, on_defined_again, g_steal_pointer (&deletion));
      return;
    }
  /* The VM's own files (or volumes) go with it; the reply waits for that. */
  vmgr_context_remove_files_async (self->context, self->spec, on_files_removed,
                                   g_steal_pointer (&deletion));
}

/* Like incus, a guest that is up is not deleted under its users: it is
 * stopped first, on purpose (vmgrctl delete --force). */
static gboolean
check_down (VmgrVm *self, GError **error)
{
  if (!vmgr_vm_is_up (self->state) && self->state != VMGR_VM_STATE_STARTING)
    return TRUE;
  g_set_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_STATE,
               "VM '%s' is %s: stop it first (vmgrctl delete --force stops it, then deletes it)",
               self->spec->name, vmgr_vm_state_to_string (self->state));
  return FALSE;
}

static void
on_delete_allowed (GDBusMethodInvocation *invocation, VmgrGrant *grant, gpointer user_data)
{
  Deletion *deletion = g_new0 (Deletion, 1);
  VmgrVm *self = user_data;
  g_autoptr(GError) error = NULL;

  deletion->vm = self;
  deletion->invocation = g_object_ref (invocation);
  deletion->grant = grant;
  if (!vmgr_vm_check_not_deleted (self, &error) || !vmgr_vm_check_not_provisioning (self, &error) ||
      !vmgr_vm_check_not_busy (self, &error) || !check_down (self, &error))
    {
      vmgr_grant_audit (self->context->auth, grant, error);
      g_dbus_method_invocation_return_gerror (invocation, error);
      deletion_free (deletion);
      return;
    }
  self->deleting = TRUE;
  vmgr_backend_op_async (vmgr_context_backend_for (self->context, self->spec), self->spec->uuid,
                         VMGR_BACKEND_OP_UNDEFINE, NULL, on_undefined, deletion);
}

gboolean
vmgr_vm_handle_delete (VmgrDBusVM *object, GDBusMethodInvocation *invocation)
{
  VmgrVm *self = VMGR_VM (object);

  vmgr_auth_authorize (self->context->auth, invocation, self->spec, NULL,
                       on_delete_allowed, g_object_ref (self), g_object_unref);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}
