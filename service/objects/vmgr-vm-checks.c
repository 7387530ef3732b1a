/* What VM methods share (declared in vmgr-vm-private.h): their refusals
 * and the reader of a lone description option. */
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
  if (!vmgr_vm_check_not_held (self, error))
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

gboolean
vmgr_vm_check_not_held (VmgrVm *self, GError **error)
{
  switch (self->held_by)
    {
    case VMGR_VM_HELD_BY_MIGRATION:
      g_set_error (error, VMGR_ERROR, VMGR_ERROR_BUSY,
                   "VM '%s' is being migrated: try again when that is done", self->spec->name);
      return FALSE;
    case VMGR_VM_HELD_BY_DEFINITION:
      g_set_error (error, VMGR_ERROR, VMGR_ERROR_BUSY,
                   "VM '%s' is being defined again in libvirt after vmgrd started: "
                   "try again in a moment", self->spec->name);
      return FALSE;
    case VMGR_VM_HELD_BY_NOTHING:
    default:
      return TRUE;
    }
}

gboolean
vmgr_vm_read_description_option (GVariant *options, const char *what, char **description,
                                 GError **error)
{
  GVariantIter iter;
  const char *key;
  g_autoptr(GVariant) value = NULL;

  g_variant_iter_init (&iter, options);
  while (g_variant_iter_next (&iter, "{&sv}", &key, &value))
    {
      if (!g_str_equal (key, "description"))
        return g_set_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_ARGUMENT,
                            "unknown %s option '%s' (known: description)", what, key), FALSE;
      if (!g_variant_is_of_type (value, G_VARIANT_TYPE_STRING))
        return g_set_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_ARGUMENT,
                            "the %s option description is a string (s), not %s", what,
                            g_variant_get_type_string (value)), FALSE;
      if (g_utf8_strlen (g_variant_get_string (value, NULL), -1) > VMGR_VM_DESCRIPTION_MAX)
        return g_set_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_ARGUMENT,
                            "a %s description has at most %d characters", what,
                            VMGR_VM_DESCRIPTION_MAX), FALSE;
      g_free (*description);
      *description = g_variant_dup_string (value, NULL);
      g_clear_pointer (&value, g_variant_unref);
    }
  return TRUE;
}
