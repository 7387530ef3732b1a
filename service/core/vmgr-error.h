/* The org.vmgr.Error.* error domain, registered with GDBus so that a GError
 * in VMGR_ERROR travels as its D-Bus name and back. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  VMGR_ERROR_NOT_AUTHORIZED,
  VMGR_ERROR_NOT_FOUND,
  VMGR_ERROR_INVALID_ARGUMENT,
  VMGR_ERROR_ALREADY_EXISTS,
  VMGR_ERROR_INVALID_STATE,
  VMGR_ERROR_QUOTA_EXCEEDED,
  VMGR_ERROR_NOT_SUPPORTED,
  VMGR_ERROR_BUSY,
  VMGR_ERROR_HYPERVISOR,
  VMGR_ERROR_FAILED,
} VmgrError;

#define VMGR_ERROR (vmgr_error_quark ())
GQuark vmgr_error_quark (void);

/* The D-Bus name of @code, e.g. "org.vmgr.Error.NotFound". */
const char *vmgr_error_dbus_name (VmgrError code);

G_END_DECLS
