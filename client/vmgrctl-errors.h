/* vmgrctl's exit status and error reporting: the one place that maps a
 * D-Bus error name to an exit status.
 *
 * Exit status (also printed by `vmgrctl --help`):
 *
 *   0  success
 *   1  failure of another kind (org.vmgr.Error.Failed, .Hypervisor, ...)
 *   2  usage error: the command line is wrong
 *   3  not found (org.vmgr.Error.NotFound, UnknownObject, and UnknownMethod
 *      "Object does not exist at path ...": no object, or none the caller
 *      may see, e.g. a customer that is not registered)
 *   4  not authorized (org.vmgr.Error.NotAuthorized, the bus's AccessDenied)
 *   5  invalid state (org.vmgr.Error.InvalidState, .Busy)
 *   6  already exists (org.vmgr.Error.AlreadyExists)
 *   7  invalid argument (org.vmgr.Error.InvalidArgument, InvalidArgs, an
 *      unknown user name)
 *   8  quota exceeded (org.vmgr.Error.QuotaExceeded)
 *   9  not supported (org.vmgr.Error.NotSupported, UnknownMethod)
 *  10  timed out waiting for the VM to reach the expected state
 *  11  cannot connect to the bus, or vmgrd is not running
 * 130  interrupted (Ctrl-C) while vmgrd provisioned a new VM: the
 *      provisioning job was cancelled
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef enum {
  VMGRCTL_EXIT_OK = 0,
  VMGRCTL_EXIT_FAILURE = 1,
  VMGRCTL_EXIT_USAGE = 2,
  VMGRCTL_EXIT_NOT_FOUND = 3,
  VMGRCTL_EXIT_NOT_AUTHORIZED = 4,
  VMGRCTL_EXIT_INVALID_STATE = 5,
  VMGRCTL_EXIT_ALREADY_EXISTS = 6,
  VMGRCTL_EXIT_INVALID_ARGUMENT = 7,
  VMGRCTL_EXIT_QUOTA_EXCEEDED = 8,
  VMGRCTL_EXIT_NOT_SUPPORTED = 9,
  VMGRCTL_EXIT_TIMEOUT = 10,
  VMGRCTL_EXIT_NO_BUS = 11,
  VMGRCTL_EXIT_INTERRUPTED = 130,  /* 128 + SIGINT, as shells report it */
} VmgrctlExit;

/* Errors vmgrctl raises itself; the code is the exit status. */
#define VMGRCTL_ERROR (vmgrctl_error_quark ())
GQuark vmgrctl_error_quark (void);

/* The "Exit status:" section of --help. */
extern const char vmgrctl_exit_status_help[];

VmgrctlExit vmgrctl_exit_code_for_error_name (const char *dbus_error_name);
VmgrctlExit vmgrctl_exit_code_for_error (const GError *error);

/* An option-dictionary key as vmgrd names it and the option of the
 * command line that sends it. */
typedef struct {
  const char *key;     /* "memory_limit" */
  const char *option;  /* "memory", without "--" */
} VmgrctlKeyOption;

/* Rewrites the message of an invalid-argument error from vmgrd so that it
 * names the options the user typed: each key of @pairs (ended by {NULL,
 * NULL}) becomes "--OPTION". Keys that are ordinary words ("plan",
 * "owner", "start", ...) are rewritten only where the message quotes
 * them ('plan'). Other errors are left as they are. */
void vmgrctl_error_use_option_names (GError *error, const VmgrctlKeyOption *pairs);

/* @message with the keys of @pairs named as options (see above). */
char *vmgrctl_message_use_option_names (const char *message, const VmgrctlKeyOption *pairs);

/* Prints "vmgrctl: WHAT: MESSAGE" (or "vmgrctl: not authorized: MESSAGE")
 * as one line on stderr and returns the exit status for @error. A
 * message from vmgrd that already says what failed ("cannot Start VM
 * 'web': ...") is printed alone, "vmgrctl: cannot start VM 'web': ...",
 * so that nothing is said twice. */
VmgrctlExit vmgrctl_fail (GError *error, const char *what_format, ...) G_GNUC_PRINTF (2, 3);

G_END_DECLS
