/* vmgrd and a real systemd: vmgr-vm@ID.target follows VM ID whoever drives
 * it (vmgrctl, or virsh on the same libvirt behind vmgrd's back), units
 * attached to it start and stop with it, vmgr-vm-crashed@ID.target runs
 * its units once per unexpected stop, a failing hook fails nothing, a
 * restarted vmgrd puts the targets right, and vmgrd without systemd works.
 *
 * Runs under tests/harness/testbus.sh -- tests/harness/systemd-user.sh
 * --libvirtd --units data/systemd --units tests/systemd/units (see
 * meson.build): a systemd user instance on $VMGR_SYSTEMD_ADDRESS, the test
 * units of units/ (which write to $VMGR_SYSTEMD_RUNTIME_DIR/hooks.log),
 * and libvirtd's test driver shared by vmgrd and virsh. */
#include <string.h>

#include "vmgr-test-env.h"

#define WAIT_S 15

static VmgrTestDaemon *daemon_under_test;
static GDBusConnection *systemd_bus;

/* ---- systemd ----------------------------------------------------------- */

static GVariant *
manager_call (const char *method, GVariant *parameters, const char *reply_type)
{
  g_autoptr(GError) error = NULL;
  GVariant *reply = g_dbus_connection_call_sync (systemd_bus, "org.freedesktop.systemd1",
                                                 "/org/freedesktop/systemd1",
                                                 "org.freedesktop.systemd1.Manager", method,
                                                 parameters, G_VARIANT_TYPE (reply_type),
                                                 G_DBUS_CALL_FLAGS_NONE, 30000, NULL, &error);

  g_assert_no_error (error);
  return reply;
}

/* The unit's active state; "inactive" for a unit systemd has not loaded. */
static char *
unit_state (const char *unit)
{
  const char * const patterns[] = { unit, NULL };
  const char * const no_states[] = { NULL };
  g_autoptr(GVariant) reply = manager_call ("ListUnitsByPatterns",
                                            g_variant_new ("(^as^as)", no_states, patterns),
                                            "(a(ssssssouso))");
  g_autoptr(GVariant) units = g_variant_get_child_value (reply, 0);
  const char *state = "inactive";

  if (g_variant_n_children (units) > 0)
    g_variant_get_child (units, 0, "(&s&s&s&s&s&s&ou&s&o)", NULL, NULL, NULL, &state, NULL,
                         NULL, NULL, NULL, NULL, NULL);
  return g_strdup (state);
}

static void
wait_unit_state (const char *unit, const char *state)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_S * G_USEC_PER_SEC;
  g_autofree char *now = unit_state (unit);

  while (!g_str_equal (now, state) && g_get_monotonic_time () < deadline)
    {
      g_usleep (50000);
      g_free (now);
      now = unit_state (unit);
    }
  if (!g_str_equal (now, state))
    {
      vmgr_test_daemon_dump_log (daemon_under_test);
      g_error ("%s is %s after %d s, expected %s", unit, now, WAIT_S, state);
    }
}

static void
unit_job (const char *method, const char *unit)
{
  g_autoptr(GVariant) reply G_GNUC_UNUSED = manager_call (method, g_variant_new ("(ss)", unit, "replace"),
                                            "(o)");
}

/* systemctl enable UNIT... (as an administrator would, through the
 * manager), then daemon-reload. */
static void
enable_units (const char * const *units)
{
  g_autoptr(GVariant) enabled G_GNUC_UNUSED = manager_call ("EnableUnitFiles",
                                              g_variant_new ("(^asbb)", units, FALSE, TRUE),
                                              "(ba(sss))");
  g_autoptr(GVariant) reloaded G_GNUC_UNUSED = manager_call ("Reload", NULL, "()");
}

#define ENABLE(...) enable_units ((const char * const[]) { __VA_ARGS__, NULL })

/* ---- What the hooks wrote ---------------------------------------------- */

static guint
hook_count (const char *line)
{
  g_autofree char *path = g_build_filename (g_getenv ("VMGR_SYSTEMD_RUNTIME_DIR"), "hooks.log",
                                            NULL);
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  guint count = 0;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return 0;
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    count += g_str_equal (lines[i], line);
  return count;
}

static void
wait_hook_count (const char *line, guint expected)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_S * G_USEC_PER_SEC;

  while (hook_count (line) < expected && g_get_monotonic_time () < deadline)
    g_usleep (50000);
  if (hook_count (line) != expected)
    {
      vmgr_test_daemon_dump_log (daemon_under_test);
      g_error ("'%s' is in hooks.log %u times, expected %u", line, hook_count (line), expected);
    }
}

/* Waits a moment, then asserts @line is still there @expected times
 * (nothing more was started late). */
static void
assert_hook_count_stays (const char *line, guint expected)
{
  g_usleep (500000);
  g_assert_cmpuint (hook_count (line), ==, expected);
}

/* ---- Drivers: vmgrctl and virsh ---------------------------------------- */

static void
run_ok (const char * const *argv)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int status = g_str_equal (argv[0], "vmgrctl")
    ? vmgr_test_run_vmgrctl_as_argv (VMGR_TEST_UID_ROOT, &out, &err, argv + 1)
    : vmgr_test_run_as_argv (VMGR_TEST_UID_ROOT, &out, &err, argv);

  if (status != 0)
    g_error ("%s %s exited %d\nstdout: %s\nstderr: %s", argv[0], argv[1], status, out, err);
}

#define VMGRCTL(...) run_ok ((const char * const[]) { "vmgrctl", __VA_ARGS__, NULL })
/* virsh names a domain NAME-ID (see vmgr_domain_name). */
#define VIRSH(...) \
  run_ok ((const char * const[]) { "virsh", "-q", "-c", g_getenv ("VMGR_TEST_DAEMON_URI"), \
                                   __VA_ARGS__, NULL })

static void
create_vm (const char *name, const char *id)
{
  VMGRCTL ("create", name, "--template", "debian-12", "--plan", "basic", "--id", id);
}

/* ---- Tests ------------------------------------------------------------- */

static void
test_vmgrctl_drives_target (void)
{
  ENABLE ("vmgr-test-hook@201.service", "vmgr-test-crash@201.service");
  create_vm ("sd1", "201");
  wait_unit_state ("vmgr-vm@201.target", "inactive");

  VMGRCTL ("start", "sd1");
  wait_unit_state ("vmgr-vm@201.target", "active");
  wait_unit_state ("vmgr-test-hook@201.service", "active");
  wait_hook_count ("start 201", 1);

  /* Paused is still up. */
  VMGRCTL ("suspend", "sd1");
  assert_hook_count_stays ("stop 201", 0);
  wait_unit_state ("vmgr-vm@201.target", "active");
  VMGRCTL ("resume", "sd1");

  VMGRCTL ("stop", "sd1");
  wait_unit_state ("vmgr-vm@201.target", "inactive");
  wait_unit_state ("vmgr-test-hook@201.service", "inactive");
  wait_hook_count ("stop 201", 1);

  /* A graceful shutdown asked through vmgr is no crash either. */
  VMGRCTL ("start", "sd1");
  wait_hook_count ("start 201", 2);
  VMGRCTL ("shutdown", "sd1");
  wait_hook_count ("stop 201", 2);
  assert_hook_count_stays ("crashed 201", 0);
}

static void
test_backend_drives_target (void)
{
  ENABLE ("vmgr-test-hook@202.service", "vmgr-test-crash@202.service");
  create_vm ("sd2", "202");

  VIRSH ("start", "sd2-202");
  wait_unit_state ("vmgr-vm@202.target", "active");
  wait_hook_count ("start 202", 1);

  /* Forced off behind vmgrd's back: an unexpected stop, reported once. */
  VIRSH ("destroy", "sd2-202");
  wait_unit_state ("vmgr-vm@202.target", "inactive");
  wait_hook_count ("stop 202", 1);
  wait_hook_count ("crashed 202", 1);
  assert_hook_count_stays ("crashed 202", 1);

  VIRSH ("start", "sd2-202");
  wait_hook_count ("start 202", 2);
  VIRSH ("destroy", "sd2-202");
  wait_hook_count ("crashed 202", 2);
  assert_hook_count_stays ("crashed 202", 2);

  /* The same through vmgr: expected, not reported. */
  VMGRCTL ("start", "sd2");
  wait_hook_count ("start 202", 3);
  VMGRCTL ("stop", "sd2");
  wait_hook_count ("stop 202", 3);
  assert_hook_count_stays ("crashed 202", 2);
}

static void
test_failing_hook (void)
{
  ENABLE ("vmgr-test-failing@203.service", "vmgr-test-hook@203.service");
  create_vm ("sd3", "203");

  VMGRCTL ("start", "sd3");
  wait_unit_state ("vmgr-vm@203.target", "active");
  wait_unit_state ("vmgr-test-failing@203.service", "failed");
  wait_hook_count ("start 203", 1);
  VMGRCTL ("stop", "sd3");
  wait_unit_state ("vmgr-vm@203.target", "inactive");
  wait_hook_count ("stop 203", 1);
}

/* A virsh session that keeps libvirtd's test driver (and so the VMs'
 * states) alive while vmgrd, its only other client, restarts. */
static GSubprocess *
hold_libvirt (void)
{
  g_autoptr(GError) error = NULL;
  GSubprocess *virsh = g_subprocess_new (G_SUBPROCESS_FLAGS_STDIN_PIPE |
                                         G_SUBPROCESS_FLAGS_STDOUT_SILENCE, &error,
                                         "virsh", "-q", "-c", g_getenv ("VMGR_TEST_DAEMON_URI"),
                                         NULL);

  g_assert_no_error (error);
  return virsh;
}

static void
release_libvirt (GSubprocess *virsh)
{
  g_autoptr(GError) error = NULL;

  g_output_stream_close (g_subprocess_get_stdin_pipe (virsh), NULL, NULL);
  g_subprocess_wait (virsh, NULL, &error);
  g_assert_no_error (error);
  g_object_unref (virsh);
}

static void
test_restart_reconciles (void)
{
  GSubprocess *virsh = hold_libvirt ();

  create_vm ("sd4", "204");
  create_vm ("sd5", "205");
  VMGRCTL ("start", "sd4");
  VMGRCTL ("start", "sd5");
  wait_unit_state ("vmgr-vm@204.target", "active");
  wait_unit_state ("vmgr-vm@205.target", "active");

  /* Targets out of step while vmgrd is away: one of a running VM stopped,
   * one of a VM that does not exist started, and a VM stopped behind its
   * back. */
  unit_job ("StopUnit", "vmgr-vm@204.target");
  unit_job ("StartUnit", "vmgr-vm@999.target");
  wait_unit_state ("vmgr-vm@204.target", "inactive");
  wait_unit_state ("vmgr-vm@999.target", "active");
  vmgr_test_daemon_stop (daemon_under_test);
  VIRSH ("destroy", "sd5-205");

  vmgr_test_daemon_restart (daemon_under_test);
  wait_unit_state ("vmgr-vm@204.target", "active");
  wait_unit_state ("vmgr-vm@205.target", "inactive");
  wait_unit_state ("vmgr-vm@999.target", "inactive");

  VMGRCTL ("stop", "sd4");
  wait_unit_state ("vmgr-vm@204.target", "inactive");
  release_libvirt (virsh);
}

static guint
count_in_log (const char *text)
{
  g_autofree char *log = NULL;
  guint count = 0;

  g_assert_true (g_file_get_contents (vmgr_test_daemon_get_log_path (daemon_under_test), &log,
                                      NULL, NULL));
  for (const char *p = strstr (log, text); p != NULL; p = strstr (p + 1, text))
    count++;
  return count;
}

static void
test_without_systemd (void)
{
  const char *absent = "systemd's manager is not on the bus";
  g_autofree char *address = g_strdup (g_getenv ("VMGR_TEST_DAEMON_SYSTEMD_ADDRESS"));
  g_autofree char *state = NULL;

  g_assert_cmpuint (count_in_log (absent), ==, 0);
  /* On the test system bus, where no systemd is. */
  g_unsetenv ("VMGR_TEST_DAEMON_SYSTEMD_ADDRESS");
  vmgr_test_daemon_restart (daemon_under_test);
  create_vm ("sd6", "206");
  VMGRCTL ("start", "sd6");
  VMGRCTL ("stop", "sd6");
  VMGRCTL ("start", "sd6");
  VMGRCTL ("delete", "sd6", "--force");
  state = unit_state ("vmgr-vm@206.target");
  g_assert_cmpstr (state, ==, "inactive");
  g_assert_cmpuint (count_in_log (absent), ==, 1);

  g_setenv ("VMGR_TEST_DAEMON_SYSTEMD_ADDRESS", address, TRUE);
  vmgr_test_daemon_restart (daemon_under_test);
}

static void
test_delete_stops_target (void)
{
  create_vm ("sd7", "207");
  VMGRCTL ("start", "sd7");
  wait_unit_state ("vmgr-vm@207.target", "active");
  VMGRCTL ("delete", "sd7", "--force");
  wait_unit_state ("vmgr-vm@207.target", "inactive");
}

static void
connect_systemd (void)
{
  g_autoptr(GError) error = NULL;

  systemd_bus = g_dbus_connection_new_for_address_sync (
    g_getenv ("VMGR_SYSTEMD_ADDRESS"),
    G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
    G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION, NULL, NULL, &error);
  g_assert_no_error (error);
}

int
main (int argc, char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  if (g_getenv ("VMGR_SYSTEMD_ADDRESS") == NULL || g_getenv ("VMGR_TEST_DAEMON_URI") == NULL)
    {
      g_printerr ("run under tests/harness/systemd-user.sh --libvirtd\n");
      return 77;
    }
  g_setenv ("VMGR_TEST_DAEMON_SYSTEMD_ADDRESS", g_getenv ("VMGR_SYSTEMD_ADDRESS"), TRUE);
  connect_systemd ();
  g_test_add_func ("/systemd/vmgrctl-drives-target", test_vmgrctl_drives_target);
  g_test_add_func ("/systemd/backend-drives-target", test_backend_drives_target);
  g_test_add_func ("/systemd/failing-hook", test_failing_hook);
  g_test_add_func ("/systemd/delete-stops-target", test_delete_stops_target);
  g_test_add_func ("/systemd/restart-reconciles", test_restart_reconciles);
  g_test_add_func ("/systemd/without-systemd", test_without_systemd);
  status = vmgr_test_run_with_daemon (NULL, NULL, &daemon_under_test);
  g_object_unref (systemd_bus);
  return status;
}
