/* The refusals VM methods share (declared in vmgr-vm-private.h). */
#include "vmgr-vm-private.h"

#include "vmgr-error.h"

gboolean
vmgr_vm_check_not_deleted (VmgrVm *self, GError **error)
{
  if (!self->deleting)
    return TRUE;
  g_set_error (error, VMGR_ERROR, VMGR_ERROR_NOT_FOUND, "VM %u (%s) is being deleted",
               self->spec->id, self->spec->name);
  return FALSE;
}

/* One definition change at a time: two would each start from the same
 * spec and the second to finish would undo the first. */
gboolean
vmgr_vm_check_not_busy (VmgrVm *self, GError **error)
{
  if (!vmgr_vm_check_not_migrating (self, error))
    return FALSE;
  if (!self->reconfiguring)
    return TRUE;
  g_set_error (error, VMGR_ERROR, VMGR_ERROR_BUSY,
               "VM '%s' is being reconfigured: try again when that is done", self->spec->name);
  return FALSE;
}

gboolean
vmgr_vm_check_not_provisioning (VmgrVm *self, GError **error)
{
  if (self->state != VMGR_VM_STATE_PROVISIONING)
    return TRUE;
  g_set_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_STATE,
               "VM '%s' is being provisioned: cancel its job %s first", self->spec->name,
               vmgr_dbus_vm_get_job (VMGR_DBUS_VM (self)));
  return FALSE;
}

/* A guest brought up while a clone or a backup copies its files would
 * change them under the copy. */
gboolean
vmgr_vm_check_files_not_held (VmgrVm *self, GError **error)
{
  if (self->files_held == 0)
    return TRUE;
  g_set_error (error, VMGR_ERROR, VMGR_ERROR_BUSY,
               "VM '%s' is being copied by a clone or a backup: try again when that is done",
               self->spec->name);
  return FALSE;
}

/* While it moves, the VM is on two hosts at once: nothing else touches it. */
gboolean
vmgr_vm_check_not_migrating (VmgrVm *self, GError **error)
{
  if (!self->migrating)
    return TRUE;
  g_set_error (error, VMGR_ERROR, VMGR_ERROR_BUSY,
               "VM '%s' is being migrated: try again when that is done", self->spec->name);
  return FALSE;
}
