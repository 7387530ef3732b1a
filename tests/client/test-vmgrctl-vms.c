/* vmgrctl against a fake vmgrd (fake-vmgrd*.c) on a private bus: listing
 * and showing VMs (tables and JSON), the lifecycle commands and their
 * waiting, delete, the exit status of errors, the bus to use, and the
 * console. */
#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "fake-fixture.h"
#include "vmgrctl-errors.h"

/* ---- list and show ---- */

static void
test_list (Fixture *f, gconstpointer data)
{
  vmgrctl (f, "list");
  g_assert_cmpint (f->run.status, ==, VMGRCTL_EXIT_OK);
  g_assert_true (g_str_has_prefix (f->run.out,
                                   " ID  NAME    STATE    OWNER  PLAN   TEMPLATE   VCPUS   MEMORY    DISK\n"
                                   "101  web     stopped  alice  small  debian-12      2  1.0 GiB  10 GiB\n"
                                   "102  db      running  alice"));
  g_assert_cmpstr (f->run.err, ==, "");
}

static void
test_list_json (Fixture *f, gconstpointer data)
{
  g_autoptr(JsonNode) root = NULL;
  JsonArray *vms;
  JsonObject *web;

  vmgrctl (f, "list", "--json");
  g_assert_cmpint (f->run.status, ==, VMGRCTL_EXIT_OK);
  root = parse_json (f->run.out);
  vms = json_node_get_array (root);
  g_assert_cmpuint (json_array_get_length (vms), ==, 4);
  web = json_array_get_object_element (vms, 0);
  g_assert_cmpint (json_object_get_int_member (web, "id"), ==, 101);
  g_assert_cmpstr (json_object_get_string_member (web, "name"), ==, "web");
  g_assert_cmpint (json_object_get_int_member (web, "memory_limit"), ==, GiB);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (web, "addresses")), ==, 2);

  vmgrctl (f, "--json", "list");
  g_assert_cmpint (f->run.status, ==, VMGRCTL_EXIT_OK);
  g_clear_pointer (&root, json_node_unref);
  root = parse_json (f->run.out);
}

/* list --state, --owner, --plan, in tables and JSON; -H for scripts. */
static void
test_list_filters (Fixture *f, gconstpointer data)
{
  VmgrDBusVM *stuck = fake_vmgrd_get_vm (f->fake, "stuck");
  g_autoptr(JsonNode) root = NULL;

  vmgr_dbus_vm_set_owner (stuck, 1001);
  vmgr_dbus_vm_set_owner_name (stuck, "bob");
  vmgr_dbus_vm_set_plan (stuck, "");

  vmgrctl (f, "list", "--state", "running", "-H");
  assert_ok (f);
  g_assert_true (g_str_has_prefix (f->run.out, "102  db  running  alice  small  debian-12  2  "));
  g_assert_null (strchr (strchr (f->run.out, '\n') + 1, '\n'));

  vmgrctl (f, "list", "--owner", "bob", "--no-header");
  assert_ok (f);
  g_assert_true (g_str_has_prefix (f->run.out, "104  stuck  stopped  bob  -  "));
  vmgrctl (f, "list", "--owner", "1001", "-H");
  g_assert_true (g_str_has_prefix (f->run.out, "104  stuck"));
  vmgrctl (f, "list", "--plan", "-", "-H");
  g_assert_true (g_str_has_prefix (f->run.out, "104  stuck"));

  vmgrctl (f, "list", "--plan", "small", "--owner", "alice", "--state", "stopped", "--json");
  assert_ok (f);
  root = parse_json (f->run.out);
  g_assert_cmpuint (json_array_get_length (json_node_get_array (root)), ==, 2);

  vmgrctl (f, "list", "--state", "sleeping");
  g_assert_cmpint (f->run.status, ==, VMGRCTL_EXIT_USAGE);
  vmgrctl (f, "list", "--owner", "nobody-anywhere");
  g_assert_cmpint (f->run.status, ==, VMGRCTL_EXIT_INVALID_ARGUMENT);
}

static void
test_show (Fixture *f, gconstpointer data)
{
  vmgrctl (f, "show", "101");
  g_assert_cmpint (f->run.status, ==, VMGRCTL_EXIT_OK);
  g_assert_true (g_str_has_prefix (f->run.out, "Name:              web\nId:                101\n"));
  g_assert_nonnull (strstr (f->run.out, "\nState:             stopped (user)\n"));
  g_assert_nonnull (strstr (f->run.out, "\nOwner:             alice (uid 1000)\n"));
  g_assert_nonnull (strstr (f->run.out, "\nMemory:            1.0 GiB\n"));
  g_assert_nonnull (strstr (f->run.out, "\nMemory guarantee:  512 MiB\n"));
  g_assert_nonnull (strstr (f->run.out, "\nCPU limit:         150% of one host CPU\n"));
  g_assert_nonnull (strstr (f->run.out, "\nAddresses:         10.0.0.5/24, fd00::5/64\n"));
  g_assert_nonnull (strstr (f->run.out, "\nUsage:\n  CPU:             8.3% of what the VM may use "
                                   "(12.5% of one host CPU)\n"));
  g_assert_nonnull (strstr (f->run.out, "\n  Uptime:          1h 1m\n"));
  g_assert_nonnull (strstr (f->run.out, "\n  Memory used:     256 MiB\n"));
}

static void
test_show_json (Fixture *f, gconstpointer data)
{
  g_autoptr(JsonNode) root = NULL;
  JsonObject *vm, *usage;

  vmgrctl (f, "show", "web", "--json");
  g_assert_cmpint (f->run.status, ==, VMGRCTL_EXIT_OK);
  root = parse_json (f->run.out);
  vm = json_node_get_object (root);
  g_assert_cmpstr (json_object_get_string_member (vm, "state"), ==, "stopped");
  g_assert_cmpint (json_object_get_int_member (vm, "memory_guarantee"), ==, GiB / 2);
  /* Missing values are null: no job, no gateway, no usage sampled. */
  g_assert_true (json_object_get_null_member (vm, "job"));
  g_assert_true (json_object_get_null_member (vm, "gateway"));
  usage = json_object_get_object_member (vm, "usage");
  g_assert_cmpfloat (json_object_get_double_member (usage, "cpu_percent"), ==, 12.5);
  g_assert_cmpint (json_object_get_int_member (usage, "uptime_s"), ==, 3700);

  vmgr_dbus_vm_set_usage (fake_vmgrd_get_vm (f->fake, "web"),
                          g_variant_new_parsed ("@a{sv} {}"));
  vmgrctl (f, "show", "web", "--json");
  g_clear_pointer (&root, json_node_unref);
  root = parse_json (f->run.out);
  g_assert_true (json_object_get_null_member (json_node_get_object (root), "usage"));
}

static void
test_not_found (Fixture *f, gconstpointer data)
{
  vmgrctl (f, "show", "nope");
  g_assert_cmpint (f->run.status, ==, VMGRCTL_EXIT_NOT_FOUND);
  g_assert_cmpstr (f->run.out, ==, "");
  g_assert_cmpstr (f->run.err, ==,
                   "vmgrctl: cannot find VM 'nope': There is no VM by that name or id.\n");
}

/* ---- lifecycle and waiting ---- */

static void
test_start_waits (Fixture *f, gconstpointer data)
{
  vmgrctl (f, "start", "web");
  g_assert_cmpint (f->run.status, ==, VMGRCTL_EXIT_OK);
  g_assert_cmpstr (f->run.err, ==, "");
  g_assert_cmpstr (f->fake->last_method, ==, "Start");
  g_assert_true (f->fake->last_interactive);
  /* It returned only once the VM was running. */
  g_assert_cmpstr (vmgr_dbus_vm_get_state (fake_vmgrd_get_vm (f->fake, "web")), ==, "running");
}

static void
test_no_ask_password (Fixture *f, gconstpointer data)
{
  vmgrctl (f, "--no-ask-password", "start", "web");
  g_assert_cmpint (f->run.status, ==, VMGRCTL_EXIT_OK);
  g_assert_cmpstr (f->fake->last_method, ==, "Start");
  g_assert_false (f->fake->last_interactive);
}

static void
test_no_wait (Fixture *f, gconstpointer data)
{
  vmgrctl (f, "start", "stuck", "--no-wait");
  g_assert_cmpint (f->run.status, ==, VMGRCTL_EXIT_OK);
  vmgrctl (f, "--no-wait", "shutdown", "db");
  g_assert_cmpint (f->run.status, ==, VMGRCTL_EXIT_OK);
}

static void
test_wait_timeout (Fixture *f, gconstpointer data)
{
  vmgrctl (f, "--wait-timeout", "1", "start", "stuck");
  g_assert_cmpint (f->run.status, ==, VMGRCTL_EXIT_TIMEOUT);
  g_assert_cmpstr (f->run.err, ==, "vmgrctl: stuck: timed out waiting for state 'running' "
                                   "(the VM is 'starting')\n");

  /* Its older name, before the command (0: no limit). */
  vmgrctl (f, "--timeout", "0", "start", "web");
  assert_ok (f);
}

/* Each lifecycle command says what happened, unless -q. */
static void
test_lifecycle_says_what_happened (Fixture *f, gconstpointer data)
{
  vmgrctl (f, "start", "101");
  assert_ok (f);
  g_assert_cmpstr (f->run.out, ==, "web started\n");
  vmgrctl (f, "suspend", "web");
  g_assert_cmpstr (f->run.out, ==, "web suspended\n");
  vmgrctl (f, "resume", "web", "-q");
  assert_ok (f);
  g_assert_cmpstr (f->run.out, ==, "");
  vmgrctl (f, "shutdown", "web", "--grace", "5");
  g_assert_cmpstr (f->run.out, ==, "web shut down\n");
  vmgrctl (f, "--quiet", "start", "web");
  assert_ok (f);
  g_assert_cmpstr (f->run.out, ==, "");
  vmgrctl (f, "stop", "web", "--no-wait");
  assert_ok (f);
  g_assert_cmpstr (f->run.out, ==, "web: stop requested\n");
  vmgrctl (f, "save", "db");
  assert_ok (f);
  g_assert_cmpstr (f->run.out, ==, "db saved\n");
  vmgrctl (f, "delete", "db");
  g_assert_cmpstr (f->run.out, ==, "db deleted\n");
}

static void
test_lifecycle (Fixture *f, gconstpointer data)
{
  static const struct { const char *command; const char *state; } steps[] = {
    { "suspend", "paused" }, { "resume", "running" }, { "restart", "running" },
    { "shutdown", "stopped" }, { "start", "running" }, { "stop", "stopped" },
  };
  VmgrDBusVM *db = fake_vmgrd_get_vm (f->fake, "db");

  for (gsize i = 0; i < G_N_ELEMENTS (steps); i++)
    {
      vmgrctl (f, steps[i].command, "102");
      g_assert_cmpint (f->run.status, ==, VMGRCTL_EXIT_OK);
      g_assert_cmpstr (vmgr_dbus_vm_get_state (db), ==, steps[i].state);
    }
}

static void
test_shutdown_timeout (Fixture *f, gconstpointer data)
{
  guint32 timeout_s = 0;

  vmgrctl (f, "shutdown", "db", "--grace", "90");
  g_assert_cmpint (f->run.status, ==, VMGRCTL_EXIT_OK);
  g_assert_cmpstr (f->fake->last_method, ==, "Shutdown");
  g_variant_get (f->fake->last_args, "(u)", &timeout_s);
  g_assert_cmpuint (timeout_s, ==, 90);

  /* --timeout, its older name. */
  vmgrctl (f, "start", "db");
  vmgrctl (f, "shutdown", "db", "--timeout", "80");
  g_assert_cmpint (f->run.status, ==, VMGRCTL_EXIT_OK);
  g_variant_get (f->fake->last_args, "(u)", &timeout_s);
  g_assert_cmpuint (timeout_s, ==, 80);
}

static void
test_errors (Fixture *f, gconstpointer data)
{
  vmgrctl (f, "start", "secret");
  g_assert_cmpint (f->run.status, ==, VMGRCTL_EXIT_NOT_AUTHORIZED);
  g_assert_cmpstr (f->run.err, ==, "vmgrctl: not authorized: You may not control VM 'secret'.\n");

  vmgrctl (f, "resume", "web");
  g_assert_cmpint (f->run.status, ==, VMGRCTL_EXIT_INVALID_STATE);
  /* vmgrd's message says what failed: it is not said twice. */
  g_assert_cmpstr (f->run.err, ==, "vmgrctl: cannot resume VM 'web': it is stopped, and must be "
                                   "paused\n");

  vmgrctl (f, "create", "web", "--template", "debian-12");
  g_assert_cmpint (f->run.status, ==, VMGRCTL_EXIT_ALREADY_EXISTS);
  test_assert_one_error_line (&f->run, "vmgrctl: cannot create 'web': ");
}

static void
test_delete (Fixture *f, gconstpointer data)
{
  vmgrctl (f, "delete", "web");
  g_assert_cmpint (f->run.status, ==, VMGRCTL_EXIT_OK);
  g_assert_cmpstr (f->run.err, ==, "");
  g_assert_null (fake_vmgrd_get_vm (f->fake, "web"));
}

/* ---- the bus ---- */

static void
test_session_bus (Fixture *f, gconstpointer data)
{
  /* GTestDBus exported its address as DBUS_SESSION_BUS_ADDRESS. */
  test_run_vmgrctl (&f->run, "--session", "show", "db", NULL);
  g_assert_cmpint (f->run.status, ==, VMGRCTL_EXIT_OK);
}

static void
test_daemon_not_running (Fixture *f, gconstpointer data)
{
  vmgrctl (f, "list");
  g_assert_cmpint (f->run.status, ==, VMGRCTL_EXIT_NO_BUS);
  test_assert_one_error_line (&f->run, "vmgrctl: cannot reach vmgrd on unix:");
}

/* ---- the console ---- */

/* Not a terminal: stdin goes to the console as it is; its end shuts the
 * console down, whose echo comes back before its end. */
static void
test_console (Fixture *f, gconstpointer data)
{
  test_run_vmgrctl_input (&f->run, "ls -l\n", "--address", f->address, "console", "db", NULL);
  assert_ok (f);
  g_assert_cmpstr (f->run.out, ==, "login: ls -l\n");
  g_assert_cmpstr (f->fake->last_method, ==, "OpenConsole");

  /* The escape byte ends it at once; what came before it is sent. */
  test_run_vmgrctl_input (&f->run, "root\035more", "--address", f->address, "console", "db",
                          NULL);
  assert_ok (f);
  g_assert_false (strstr (f->run.out, "more") != NULL);
}

static void
test_console_not_supported (Fixture *f, gconstpointer data)
{
  test_run_vmgrctl_input (&f->run, "", "--address", f->address, "console", "web", NULL);
  g_assert_cmpint (f->run.status, ==, VMGRCTL_EXIT_NOT_SUPPORTED);
  g_assert_cmpstr (f->run.out, ==, "");
  g_assert_cmpstr (f->run.err, ==,
                   "vmgrctl: cannot open the console of 'web': the test backend has no console\n");
}

int
main (int argc, char **argv)
{
  fixture_test_init (&argc, &argv);

  add_test ("/vmgrctl/fake/list", test_list);
  add_test ("/vmgrctl/fake/list-json", test_list_json);
  add_test ("/vmgrctl/fake/list-filters", test_list_filters);
  add_test ("/vmgrctl/fake/show", test_show);
  add_test ("/vmgrctl/fake/show-json", test_show_json);
  add_test ("/vmgrctl/fake/not-found", test_not_found);
  add_test ("/vmgrctl/fake/start-waits", test_start_waits);
  add_test ("/vmgrctl/fake/no-ask-password", test_no_ask_password);
  add_test ("/vmgrctl/fake/no-wait", test_no_wait);
  add_test ("/vmgrctl/fake/wait-timeout", test_wait_timeout);
  add_test ("/vmgrctl/fake/lifecycle", test_lifecycle);
  add_test ("/vmgrctl/fake/lifecycle-says-what-happened", test_lifecycle_says_what_happened);
  add_test ("/vmgrctl/fake/shutdown-timeout", test_shutdown_timeout);
  add_test ("/vmgrctl/fake/errors", test_errors);
  add_test ("/vmgrctl/fake/delete", test_delete);
  add_test ("/vmgrctl/fake/session-bus", test_session_bus);
  g_test_add ("/vmgrctl/fake/daemon-not-running", Fixture, NULL, fixture_setup_bus,
              test_daemon_not_running, fixture_teardown);
  add_test ("/vmgrctl/fake/console", test_console);
  add_test ("/vmgrctl/fake/console-not-supported", test_console_not_supported);

  return g_test_run ();
}
