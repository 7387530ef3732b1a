#include "vmgr-error.h"

#include <gio/gio.h>

static const GDBusErrorEntry vmgr_error_entries[] = {
  { VMGR_ERROR_NOT_AUTHORIZED, "org.vmgr.Error.NotAuthorized" },
  { VMGR_ERROR_NOT_FOUND, "org.vmgr.Error.NotFound" },
  { VMGR_ERROR_INVALID_ARGUMENT, "org.vmgr.Error.InvalidArgument" },
  { VMGR_ERROR_ALREADY_EXISTS, "org.vmgr.Error.AlreadyExists" },
  { VMGR_ERROR_INVALID_STATE, "org.vmgr.Error.InvalidState" },
  { VMGR_ERROR_QUOTA_EXCEEDED, "org.vmgr.Error.QuotaExceeded" },
  { VMGR_ERROR_NOT_SUPPORTED, "org.vmgr.Error.NotSupported" },
  { VMGR_ERROR_BUSY, "org.vmgr.Error.Busy" },
  { VMGR_ERROR_HYPERVISOR, "org.vmgr.Error.Hypervisor" },
  { VMGR_ERROR_FAILED, "org.vmgr.Error.Failed" },
};

G_STATIC_ASSERT (G_N_ELEMENTS (vmgr_error_entries) == VMGR_ERROR_FAILED + 1);

GQuark
vmgr_error_quark (void)
{
  static gsize quark = 0;

  g_dbus_error_register_error_domain ("vmgr-error-quark", &quark,
                                      vmgr_error_entries,
                                      G_N_ELEMENTS (vmgr_error_entries));
  return (GQuark) quark;
}

const char *
vmgr_error_dbus_name (VmgrError code)
{
  g_return_val_if_fail (code <= VMGR_ERROR_FAILED, NULL);
  return vmgr_error_entries[code].dbus_error_name;
}
