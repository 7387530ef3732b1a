/* Unit tests of vmgrctl's errors (vmgrctl-errors.c): the exit status of
 * each D-Bus and local error, and the one-line error report. */
#include <gio/gio.h>

#include "vmgrctl-errors.h"

static void
test_exit_code_names (void)
{
  static const struct { const char *name; VmgrctlExit code; } cases[] = {
    { "org.vmgr.Error.NotAuthorized", VMGRCTL_EXIT_NOT_AUTHORIZED },
    { "org.vmgr.Error.NotFound", VMGRCTL_EXIT_NOT_FOUND },
    { "org.vmgr.Error.InvalidArgument", VMGRCTL_EXIT_INVALID_ARGUMENT },
    { "org.vmgr.Error.AlreadyExists", VMGRCTL_EXIT_ALREADY_EXISTS },
    { "org.vmgr.Error.InvalidState", VMGRCTL_EXIT_INVALID_STATE },
    { "org.vmgr.Error.Busy", VMGRCTL_EXIT_INVALID_STATE },
    { "org.vmgr.Error.QuotaExceeded", VMGRCTL_EXIT_QUOTA_EXCEEDED },
    { "org.vmgr.Error.NotSupported", VMGRCTL_EXIT_NOT_SUPPORTED },
    { "org.vmgr.Error.Hypervisor", VMGRCTL_EXIT_FAILURE },
    { "org.vmgr.Error.Failed", VMGRCTL_EXIT_FAILURE },
    { "org.vmgr.Error.SomethingNew", VMGRCTL_EXIT_FAILURE },
    { "org.freedesktop.DBus.Error.InvalidArgs", VMGRCTL_EXIT_INVALID_ARGUMENT },
    { "org.freedesktop.DBus.Error.AccessDenied", VMGRCTL_EXIT_NOT_AUTHORIZED },
    { "org.freedesktop.DBus.Error.UnknownObject", VMGRCTL_EXIT_NOT_FOUND },
    { "org.freedesktop.DBus.Error.UnknownMethod", VMGRCTL_EXIT_NOT_SUPPORTED },
    { "org.freedesktop.DBus.Error.ServiceUnknown", VMGRCTL_EXIT_NO_BUS },
    { "org.freedesktop.DBus.Error.NameHasNoOwner", VMGRCTL_EXIT_NO_BUS },
    { "org.freedesktop.DBus.Error.Spawn.ExecFailed", VMGRCTL_EXIT_NO_BUS },
    { "org.freedesktop.DBus.Error.NoReply", VMGRCTL_EXIT_FAILURE },
    { NULL, VMGRCTL_EXIT_FAILURE },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    g_assert_cmpint (vmgrctl_exit_code_for_error_name (cases[i].name), ==, cases[i].code);
}

static void
test_exit_code_errors (void)
{
  g_autoptr(GError) remote = g_dbus_error_new_for_dbus_error ("org.vmgr.Error.QuotaExceeded",
                                                              "no more VMs");
  g_autoptr(GError) known = g_dbus_error_new_for_dbus_error ("org.freedesktop.DBus.Error.ServiceUnknown",
                                                             "not activatable");
  g_autoptr(GError) local = g_error_new_literal (VMGRCTL_ERROR, VMGRCTL_EXIT_TIMEOUT, "late");
  g_autoptr(GError) closed = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CLOSED, "closed");
  g_autoptr(GError) no_object = g_dbus_error_new_for_dbus_error (
    "org.freedesktop.DBus.Error.UnknownMethod", "Object does not exist at path “/org/vmgr/customer/7”");
  g_autoptr(GError) no_method = g_dbus_error_new_for_dbus_error (
    "org.freedesktop.DBus.Error.UnknownMethod", "No such method “Frob”");
  g_autoptr(GError) other = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED, "odd");

  g_assert_cmpint (vmgrctl_exit_code_for_error (remote), ==, VMGRCTL_EXIT_QUOTA_EXCEEDED);
  g_assert_cmpint (vmgrctl_exit_code_for_error (known), ==, VMGRCTL_EXIT_NO_BUS);
  g_assert_cmpint (vmgrctl_exit_code_for_error (local), ==, VMGRCTL_EXIT_TIMEOUT);
  g_assert_cmpint (vmgrctl_exit_code_for_error (closed), ==, VMGRCTL_EXIT_NO_BUS);
  g_assert_cmpint (vmgrctl_exit_code_for_error (other), ==, VMGRCTL_EXIT_FAILURE);
  g_assert_cmpint (vmgrctl_exit_code_for_error (no_object), ==, VMGRCTL_EXIT_NOT_FOUND);
  g_assert_cmpint (vmgrctl_exit_code_for_error (no_method), ==, VMGRCTL_EXIT_NOT_SUPPORTED);
}

static void
test_fail_report (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr(GError) state = g_dbus_error_new_for_dbus_error ("org.vmgr.Error.InvalidState",
                                                                 "web is running\nalready");
      g_autoptr(GError) denied = g_dbus_error_new_for_dbus_error ("org.vmgr.Error.NotAuthorized",
                                                                  "you do not own web");

      g_assert_cmpint (vmgrctl_fail (state, "cannot start '%s'", "web"), ==,
                       VMGRCTL_EXIT_INVALID_STATE);
      g_assert_cmpint (vmgrctl_fail (denied, "cannot start '%s'", "web"), ==,
                       VMGRCTL_EXIT_NOT_AUTHORIZED);
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stdout ("");
  g_test_trap_assert_stderr ("vmgrctl: cannot start 'web': web is running already\n"
                             "vmgrctl: not authorized: you do not own web\n");
}

/* vmgrd's keys become the options typed; ordinary words only when quoted. */
static void
test_option_names (void)
{
  static const VmgrctlKeyOption pairs[] = {
    { "memory_limit", "memory" }, { "vcpus", "vcpus" }, { "plan", "plan" },
    { "full_name", "name" }, { NULL, NULL },
  };
  static const struct { const char *message; const char *expected; } cases[] = {
    { "no memory_limit: choose a plan or give memory_limit",
      "no --memory: choose a plan or give --memory" },
    { "vcpus 600 is out of range (use 1 to 512)", "--vcpus 600 is out of range (use 1 to 512)" },
    { "unknown option 'plan'", "unknown option '--plan'" },
    { "plan 'x' has no memory_limit", "plan 'x' has no --memory" },
    { "full_name must not be empty; my_full_name stays", "--name must not be empty; my_full_name stays" },
    { "", "" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *message = vmgrctl_message_use_option_names (cases[i].message, pairs);

      g_assert_cmpstr (message, ==, cases[i].expected);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/vmgrctl/errors/exit-code-names", test_exit_code_names);
  g_test_add_func ("/vmgrctl/errors/exit-code-errors", test_exit_code_errors);
  g_test_add_func ("/vmgrctl/errors/fail-report", test_fail_report);
  g_test_add_func ("/vmgrctl/errors/option-names", test_option_names);

  return g_test_run ();
}
