/* Unit tests of vmgrctl's pure parts: sizes, numbers, times, exit codes,
 * the one-line error report and table/field rendering. The newer parts
 * (usage bars, host lines, option mappings, the console relay) are in
 * test-units-extras.c. */
#include <gio/gio.h>

#include "test-units-extras.h"
#include "vmgrctl-errors.h"
#include "vmgrctl-output.h"
#include "vmgrctl-units.h"

#define KiB G_GUINT64_CONSTANT (1024)
#define MiB (KiB * 1024)
#define GiB (MiB * 1024)
#define TiB (GiB * 1024)

static void
test_parse_size_valid (void)
{
  static const struct { const char *text; guint64 bytes; } cases[] = {
    { "0", 0 }, { "4096", 4096 }, { "10B", 10 }, { "10b", 10 },
    { "1024K", 1024 * KiB }, { "1KiB", KiB }, { "1kb", KiB },
    { "512M", 512 * MiB }, { "512m", 512 * MiB }, { "512MiB", 512 * MiB }, { "512MB", 512 * MiB },
    { "1G", GiB }, { "1.5GiB", GiB + GiB / 2 }, { "1.5 GiB", GiB + GiB / 2 },
    { "0.5G", GiB / 2 }, { "2T", 2 * TiB }, { "1.25T", TiB + TiB / 4 },
    { "18446744073709551615", G_MAXUINT64 }, { "16777215T", 16777215 * TiB },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      guint64 bytes = 1;

      g_test_message ("parsing '%s'", cases[i].text);
      g_assert_true (vmgrctl_parse_size (cases[i].text, &bytes, &error));
      g_assert_no_error (error);
      g_assert_cmpuint (bytes, ==, cases[i].bytes);
    }
}

static void
test_parse_size_invalid (void)
{
  static const char *const cases[] = {
    "", "abc", "G", ".5G", "1.", "1.5", "-1", "+1", "1X", "1GiBs", "1GG", "1..5G", " 1G",
    "1G ", "1iB", "1.1234567G", "18446744073709551616", "16777216T", "0x10",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      guint64 bytes = 7;

      g_test_message ("parsing '%s'", cases[i]);
      g_assert_false (vmgrctl_parse_size (cases[i], &bytes, &error));
      g_assert_error (error, VMGRCTL_ERROR, VMGRCTL_EXIT_USAGE);
      g_assert_cmpuint (bytes, ==, 7);
    }
}

static void
test_format_size (void)
{
  static const struct { guint64 bytes; const char *text; } cases[] = {
    { 0, "0 B" }, { 1023, "1023 B" }, { KiB, "1.0 KiB" }, { 1536, "1.5 KiB" },
    { 64 * MiB, "64 MiB" }, { 512 * MiB, "512 MiB" }, { GiB, "1.0 GiB" },
    { GiB + GiB / 2, "1.5 GiB" }, { 10 * GiB, "10 GiB" }, { GiB - 1, "1.0 GiB" },
    { 9 * GiB + 96 * GiB / 100, "10 GiB" }, { 9 * GiB + 94 * GiB / 100, "9.9 GiB" },
    { 2048 * TiB, "2048 TiB" }, { G_MAXUINT64, "16777216 TiB" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *text = vmgrctl_format_size (cases[i].bytes);
      g_assert_cmpstr (text, ==, cases[i].text);
    }
}

/* What the tables print can be typed back. */
static void
test_size_round_trip (void)
{
  static const guint64 sizes[] = { 0, 512, KiB, 64 * MiB, 512 * MiB, GiB, 3 * GiB / 2, 20 * GiB, TiB };

  for (gsize i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      g_autofree char *text = vmgrctl_format_size (sizes[i]);
      guint64 parsed;

      g_assert_true (vmgrctl_parse_size (text, &parsed, NULL));
      g_assert_cmpuint (parsed, ==, sizes[i]);
    }
}

static void
test_parse_numbers (void)
{
  g_autoptr(GError) error = NULL;
  guint64 value;
  guint32 percent;

  g_assert_true (vmgrctl_parse_uint ("150", G_MAXUINT32, &value, NULL));
  g_assert_cmpuint (value, ==, 150);
  g_assert_false (vmgrctl_parse_uint ("-1", G_MAXUINT32, &value, &error));
  g_assert_error (error, VMGRCTL_ERROR, VMGRCTL_EXIT_USAGE);
  g_clear_error (&error);
  g_assert_false (vmgrctl_parse_uint ("4294967296", G_MAXUINT32, &value, NULL));
  g_assert_false (vmgrctl_parse_uint ("", G_MAXUINT32, &value, NULL));

  g_assert_true (vmgrctl_parse_percent ("150", &percent, NULL));
  g_assert_cmpuint (percent, ==, 150);
  g_assert_true (vmgrctl_parse_percent ("50%", &percent, NULL));
  g_assert_cmpuint (percent, ==, 50);
  g_assert_false (vmgrctl_parse_percent ("%", &percent, NULL));
  g_assert_false (vmgrctl_parse_percent ("1.5", &percent, &error));
  g_assert_error (error, VMGRCTL_ERROR, VMGRCTL_EXIT_USAGE);
}

static void
test_format_duration (void)
{
  static const struct { guint64 seconds; const char *text; } cases[] = {
    { 0, "0s" }, { 59, "59s" }, { 65, "1m 5s" }, { 3700, "1h 1m" }, { 90060, "1d 1h 1m" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *text = vmgrctl_format_duration (cases[i].seconds);
      g_assert_cmpstr (text, ==, cases[i].text);
    }
}

/* main() sets TZ=UTC. */
static void
test_times (void)
{
  g_autofree char *iso = NULL;
  g_autofree char *local = NULL;
  gint64 usec;

  g_assert_true (vmgrctl_parse_time ("2024-05-01T12:00:00Z", &usec, NULL));
  g_assert_cmpint (usec, ==, G_GINT64_CONSTANT (1714564800) * G_USEC_PER_SEC);
  g_assert_true (vmgrctl_parse_time ("2024-05-01T14:00:00+02:00", &usec, NULL));
  g_assert_cmpint (usec, ==, G_GINT64_CONSTANT (1714564800) * G_USEC_PER_SEC);
  g_assert_true (vmgrctl_parse_time ("2024-05-01", &usec, NULL));
  g_assert_cmpint (usec, ==, G_GINT64_CONSTANT (1714521600) * G_USEC_PER_SEC);
  g_assert_false (vmgrctl_parse_time ("yesterday", &usec, NULL));
  g_assert_false (vmgrctl_parse_time ("2024-13-01", &usec, NULL));

  iso = vmgrctl_format_time_iso8601 (G_GINT64_CONSTANT (1714564800) * G_USEC_PER_SEC + 5);
  g_assert_cmpstr (iso, ==, "2024-05-01T12:00:00.000005Z");
  local = vmgrctl_format_time_local (G_GINT64_CONSTANT (1714564800) * G_USEC_PER_SEC);
  g_assert_cmpstr (local, ==, "2024-05-01 12:00:00");
}

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

static void
test_table (void)
{
  static const char *const headers[] = { "ID", "NAME", "MEMORY", NULL };
  g_autoptr(VmgrctlTable) table = vmgrctl_table_new (headers, 1 << 0 | 1 << 2);
  g_autofree char *text = NULL;

  vmgrctl_table_add_row (table, (const char *const[]) { "7", "web-server", "1.0 GiB" });
  vmgrctl_table_add_row (table, (const char *const[]) { "101", "", "64 MiB" });
  vmgrctl_table_add_row (table, (const char *const[]) { "2", "näme", NULL });
  text = vmgrctl_table_render (table);
  g_assert_cmpstr (text, ==,
                   " ID  NAME         MEMORY\n"
                   "  7  web-server  1.0 GiB\n"
                   "101  -            64 MiB\n"
                   "  2  näme              -\n");
}

static void
test_fields (void)
{
  g_autoptr(VmgrctlFields) fields = vmgrctl_fields_new ();
  g_autofree char *text = NULL;

  vmgrctl_fields_add (fields, "Name", "web");
  vmgrctl_fields_add (fields, "Plan", "");
  vmgrctl_fields_add_heading (fields, "Usage");
  vmgrctl_fields_add_printf (fields, "  Memory used", "%d MiB", 64);
  text = vmgrctl_fields_render (fields);
  g_assert_cmpstr (text, ==,
                   "Name:          web\n"
                   "Plan:          -\n"
                   "Usage:\n"
                   "  Memory used: 64 MiB\n");
}

int
main (int argc, char **argv)
{
  g_setenv ("TZ", "UTC", TRUE);
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/vmgrctl/units/parse-size/valid", test_parse_size_valid);
  g_test_add_func ("/vmgrctl/units/parse-size/invalid", test_parse_size_invalid);
  g_test_add_func ("/vmgrctl/units/format-size", test_format_size);
  g_test_add_func ("/vmgrctl/units/size-round-trip", test_size_round_trip);
  g_test_add_func ("/vmgrctl/units/parse-numbers", test_parse_numbers);
  g_test_add_func ("/vmgrctl/units/format-duration", test_format_duration);
  g_test_add_func ("/vmgrctl/units/times", test_times);
  g_test_add_func ("/vmgrctl/errors/exit-code-names", test_exit_code_names);
  g_test_add_func ("/vmgrctl/errors/exit-code-errors", test_exit_code_errors);
  g_test_add_func ("/vmgrctl/errors/fail-report", test_fail_report);
  g_test_add_func ("/vmgrctl/output/table", test_table);
  g_test_add_func ("/vmgrctl/output/fields", test_fields);
  test_units_extras_add ();

  return g_test_run ();
}
