/* vmgrctl against a fake vmgrd (test-fake-vmgrd.c) on a private bus:
 * output, JSON, what is sent, waiting (with provisioning jobs: their
 * progress bar, failure, Ctrl-C) and the exit status of errors. */
#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "test-fake-fixture.h"
#include "vmgrctl-errors.h"

#define GiB (G_GUINT64_CONSTANT (1) << 30)
#define MiB (G_GUINT64_CONSTANT (1) << 20)

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
  g_assert_nonnull (strstr (f->run.out, "\nCPU limit:         150%\n"));
  g_assert_nonnull (strstr (f->run.out, "\nAddresses:         10.0.0.5/24, fd00::5/64\n"));
  g_assert_nonnull (strstr (f->run.out, "\nUsage:\n  CPU:             12.5%\n"));
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
  g_assert_cmpstr (json_object_get_string_member (vm, "job"), ==, "/");
  usage = json_object_get_object_member (vm, "usage");
  g_assert_cmpfloat (json_object_get_double_member (usage, "cpu_percent"), ==, 12.5);
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
  vmgrctl (f, "--timeout", "1", "start", "stuck");
  g_assert_cmpint (f->run.status, ==, VMGRCTL_EXIT_TIMEOUT);
  g_assert_cmpstr (f->run.err, ==, "vmgrctl: stuck: timed out waiting for state 'running' "
                                   "(the VM is 'starting')\n");
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

  vmgrctl (f, "shutdown", "db", "--timeout", "90");
  g_assert_cmpint (f->run.status, ==, VMGRCTL_EXIT_OK);
  g_assert_cmpstr (f->fake->last_method, ==, "Shutdown");
  g_variant_get (f->fake->last_args, "(u)", &timeout_s);
  g_assert_cmpuint (timeout_s, ==, 90);
}

static void
test_errors (Fixture *f, gconstpointer data)
{
  vmgrctl (f, "start", "secret");
  g_assert_cmpint (f->run.status, ==, VMGRCTL_EXIT_NOT_AUTHORIZED);
  g_assert_cmpstr (f->run.err, ==, "vmgrctl: not authorized: You may not control VM 'secret'.\n");

  vmgrctl (f, "resume", "web");
  g_assert_cmpint (f->run.status, ==, VMGRCTL_EXIT_INVALID_STATE);
  g_assert_cmpstr (f->run.err, ==, "vmgrctl: cannot resume 'web': The VM is not in the right state.\n");

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

static void
test_create (Fixture *f, gconstpointer data)
{
  g_autoptr(GVariant) options = NULL;
  g_autofree const char **addresses = NULL;
  const char *name, *template, *plan;
  guint64 memory;
  guint32 vcpus, owner, cpu_limit;
  gboolean start;

  vmgrctl (f, "create", "new", "--template", "debian-12", "--memory", "1.5G", "--vcpus", "2",
           "--cpu-limit", "150%", "--owner", "root", "--address", "10.0.0.9/24",
           "--address", "fd00::9/64", "--start");
  g_assert_cmpint (f->run.status, ==, VMGRCTL_EXIT_OK);
  g_assert_cmpstr (f->run.out, ==, "Created VM new with id 200\n");
  g_assert_cmpstr (f->fake->last_method, ==, "CreateVM");
  g_variant_get (f->fake->last_args, "(&s&s&s@a{sv})", &name, &template, &plan, &options);
  g_assert_cmpstr (plan, ==, "");
  g_assert_true (g_variant_lookup (options, "memory_limit", "t", &memory));
  g_assert_cmpuint (memory, ==, GiB + GiB / 2);
  g_assert_true (g_variant_lookup (options, "vcpus", "u", &vcpus));
  g_assert_cmpuint (vcpus, ==, 2);
  g_assert_true (g_variant_lookup (options, "cpu_limit", "u", &cpu_limit));
  g_assert_cmpuint (cpu_limit, ==, 150);
  g_assert_true (g_variant_lookup (options, "owner", "u", &owner));
  g_assert_cmpuint (owner, ==, 0);
  g_assert_true (g_variant_lookup (options, "addresses", "^a&s", &addresses));
  g_assert_cmpuint (g_strv_length ((char **) addresses), ==, 2);
  g_assert_true (g_variant_lookup (options, "start", "b", &start));
  g_assert_cmpstr (vmgr_dbus_vm_get_state (fake_vmgrd_get_vm (f->fake, "new")), ==, "running");
}

static void
test_create_waits_for_provisioning (Fixture *f, gconstpointer data)
{
  vmgrctl (f, "create", "fresh", "--template", "debian-12", "--plan", "small");
  g_assert_cmpint (f->run.status, ==, VMGRCTL_EXIT_OK);
  g_assert_cmpstr (vmgr_dbus_vm_get_state (fake_vmgrd_get_vm (f->fake, "fresh")), ==, "stopped");
}

/* ---- provisioning in a job: the progress bar (stderr is no tty here:
 * a line at first and at each 25% step), its end, Ctrl-C ---- */

#define BAR_0 " [--------------------] 0%\n"
#define BAR_50 " [##########----------] 50%\n"
#define BAR_100 " [####################] 100%\n"

static void
test_create_job (Fixture *f, gconstpointer data)
{
  VmgrDBusVM *vm;

  vmgrctl_hook (f, "Provisioning fresh ", hook_run_jobs,
                "create", "fresh", "--template", "job-ok");
  g_assert_cmpint (f->run.status, ==, VMGRCTL_EXIT_OK);
  g_assert_cmpstr (f->run.out, ==, "Created VM fresh with id 200\n");
  g_assert_cmpstr (f->run.err, ==, "Provisioning fresh" BAR_0 "Provisioning fresh" BAR_50
                                   "Provisioning fresh" BAR_100);
  vm = fake_vmgrd_get_vm (f->fake, "fresh");
  g_assert_cmpstr (vmgr_dbus_vm_get_state (vm), ==, "stopped");
  g_assert_cmpstr (vmgr_dbus_vm_get_job (vm), ==, "/");

  /* Then the wait goes on as without a job: --start waits for running. */
  vmgrctl_hook (f, "Provisioning up ", hook_run_jobs,
                "create", "up", "--template", "job-ok", "--start");
  g_assert_cmpint (f->run.status, ==, VMGRCTL_EXIT_OK);
  g_assert_cmpstr (f->run.err, ==, "Provisioning up" BAR_0 "Provisioning up" BAR_50
                                   "Provisioning up" BAR_100);
  g_assert_cmpstr (vmgr_dbus_vm_get_state (fake_vmgrd_get_vm (f->fake, "up")), ==, "running");

  /* --no-wait: no bar. */
  vmgrctl (f, "create", "later", "--template", "job-ok", "--no-wait");
  g_assert_cmpint (f->run.status, ==, VMGRCTL_EXIT_OK);
  g_assert_cmpstr (f->run.err, ==, "");
}

static void
test_create_job_failed (Fixture *f, gconstpointer data)
{
  vmgrctl_hook (f, "Provisioning broken ", hook_run_jobs,
                "create", "broken", "--template", "job-fail");
  g_assert_cmpint (f->run.status, ==, VMGRCTL_EXIT_FAILURE);
  g_assert_cmpstr (f->run.out, ==, "Created VM broken with id 200\n");
  g_assert_cmpstr (f->run.err, ==, "Provisioning broken" BAR_0 "Provisioning broken" BAR_50
                                   "vmgrctl: provisioning failed: no space left on device\n");
  g_assert_null (fake_vmgrd_get_vm (f->fake, "broken"));
}

/* Ctrl-C: Job.Cancel(), exit 130. */
static void
test_create_job_interrupted (Fixture *f, gconstpointer data)
{
  vmgrctl_hook (f, "Provisioning slow ", hook_interrupt,
                "create", "slow", "--template", "job-hang");
  g_assert_cmpint (f->run.status, ==, VMGRCTL_EXIT_INTERRUPTED);
  g_assert_cmpstr (f->run.err, ==, "Provisioning slow" BAR_0
                                   "vmgrctl: provisioning of 'slow' cancelled\n");
  g_assert_cmpstr (f->fake->last_method, ==, "Cancel");
  /* The job ends as cancelled, and the VM with it. */
  while (fake_vmgrd_get_vm (f->fake, "slow") != NULL)
    g_main_context_iteration (NULL, TRUE);
}

/* The job goes away without Completed: the VM's state tells. */
static void
test_create_job_vanished (Fixture *f, gconstpointer data)
{
  vmgrctl_hook (f, "Provisioning odd ", hook_run_jobs,
                "create", "odd", "--template", "job-vanish", "--start");
  g_assert_cmpint (f->run.status, ==, VMGRCTL_EXIT_OK);
  g_assert_cmpstr (f->run.err, ==, "Provisioning odd" BAR_0 "Provisioning odd" BAR_50);
  g_assert_cmpstr (vmgr_dbus_vm_get_state (fake_vmgrd_get_vm (f->fake, "odd")), ==, "running");
}

static void
close_bus (GSubprocess *process, gpointer fixture)
{
  Fixture *f = fixture;

  g_dbus_connection_close_sync (f->connection, NULL, NULL);
}

/* vmgrd leaves the bus while provisioning: as for any wait. */
static void
test_create_job_daemon_gone (Fixture *f, gconstpointer data)
{
  vmgrctl_hook (f, "Provisioning alone ", close_bus,
                "create", "alone", "--template", "job-hang");
  g_assert_cmpint (f->run.status, ==, VMGRCTL_EXIT_NO_BUS);
  g_assert_cmpstr (f->run.err, ==, "Provisioning alone" BAR_0
                                   "vmgrctl: alone: vmgrd left the bus\n");
}

static void
test_templates (Fixture *f, gconstpointer data)
{
  g_autoptr(JsonNode) root = NULL;
  JsonObject *debian;

  vmgrctl (f, "templates");
  g_assert_cmpint (f->run.status, ==, VMGRCTL_EXIT_OK);
  g_assert_cmpstr (f->run.out, ==,
                   "NAME       OS      IN_USE  SOURCE                 DESCRIPTION\n"
                   "debian-12  debian       2  /srv/images/debian-12  Debian 12 \"bookworm\"\n"
                   "empty      -            -  -                      -\n");
  vmgrctl (f, "templates", "--json");
  root = parse_json (f->run.out);
  debian = json_array_get_object_element (json_node_get_array (root), 0);
  g_assert_cmpstr (json_object_get_string_member (debian, "name"), ==, "debian-12");
  g_assert_cmpstr (json_object_get_string_member (debian, "description"), ==,
                   "Debian 12 \"bookworm\"");
  g_assert_cmpint (json_object_get_int_member (debian, "in_use"), ==, 2);
}

static void
test_template_add (Fixture *f, gconstpointer data)
{
  g_autoptr(GVariant) props = NULL;
  const char *name, *os;

  vmgrctl (f, "template-add", "alpine", "--os", "alpine", "--source", "/srv/alpine");
  g_assert_cmpint (f->run.status, ==, VMGRCTL_EXIT_OK);
  g_assert_cmpstr (f->fake->last_method, ==, "AddTemplate");
  g_variant_get (f->fake->last_args, "(&s@a{sv})", &name, &props);
  g_assert_cmpstr (name, ==, "alpine");
  g_assert_true (g_variant_lookup (props, "os", "&s", &os));
  g_assert_cmpstr (os, ==, "alpine");
  g_assert_false (g_variant_lookup (props, "description", "&s", &os));

  vmgrctl (f, "template-remove", "alpine");
  g_assert_cmpint (f->run.status, ==, VMGRCTL_EXIT_OK);
  g_assert_cmpstr (f->fake->last_method, ==, "RemoveTemplate");
}

static void
test_plans (Fixture *f, gconstpointer data)
{
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GVariant) limits = NULL;
  const char *name;
  guint64 disk;
  guint32 max_vms;

  vmgrctl (f, "plans");
  g_assert_cmpstr (f->run.out, ==,
                   "NAME   VCPUS   MEMORY    DISK  CPU_LIMIT  MAX_VMS\n"
                   "small      1  512 MiB  10 GiB          -        3\n");
  vmgrctl (f, "plans", "--json");
  root = parse_json (f->run.out);
  g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (json_node_get_array (root), 0),
                                               "memory_limit"), ==, 512 * MiB);

  vmgrctl (f, "plan-set", "big", "--disk", "100G", "--max-vms", "5");
  g_assert_cmpint (f->run.status, ==, VMGRCTL_EXIT_OK);
  g_variant_get (f->fake->last_args, "(&s@a{sv})", &name, &limits);
  g_assert_true (g_variant_lookup (limits, "disk_hard_limit", "t", &disk));
  g_assert_cmpuint (disk, ==, 100 * GiB);
  g_assert_true (g_variant_lookup (limits, "max_vms", "u", &max_vms));
  g_assert_cmpuint (max_vms, ==, 5);
  g_assert_cmpuint (g_variant_n_children (limits), ==, 2);
}

static void
test_audit (Fixture *f, gconstpointer data)
{
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GVariant) filter = NULL;
  JsonObject *entry;
  gint64 since;
  guint32 uid, limit;

  vmgrctl (f, "audit", "--json", "--since", "2024-05-01T00:00:00Z", "--uid", "0", "--limit", "10");
  g_assert_cmpint (f->run.status, ==, VMGRCTL_EXIT_OK);
  g_variant_get (f->fake->last_args, "(@a{sv})", &filter);
  g_assert_true (g_variant_lookup (filter, "since", "x", &since));
  g_assert_cmpint (since, ==, G_GINT64_CONSTANT (1714521600000000));
  g_assert_true (g_variant_lookup (filter, "uid", "u", &uid));
  g_assert_true (g_variant_lookup (filter, "limit", "u", &limit));
  g_assert_cmpuint (limit, ==, 10);
  root = parse_json (f->run.out);
  entry = json_array_get_object_element (json_node_get_array (root), 1);
  g_assert_cmpstr (json_object_get_string_member (entry, "time"), ==, "2024-05-01T12:01:00.000000Z");
  g_assert_cmpstr (json_object_get_string_member (entry, "result"), ==, "denied");

  vmgrctl (f, "audit");
  g_assert_cmpint (f->run.status, ==, VMGRCTL_EXIT_OK);
  g_assert_true (g_str_has_prefix (f->run.out, "TIME  "));
  g_assert_nonnull (strstr (f->run.out, "  bob   org.vmgr.vm.control-any  db      denied   not an administrator\n"));
}

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


int
main (int argc, char **argv)
{
  g_setenv ("TZ", "UTC", TRUE);
  g_test_init (&argc, &argv, NULL);

  add_test ("/vmgrctl/fake/list", test_list);
  add_test ("/vmgrctl/fake/list-json", test_list_json);
  add_test ("/vmgrctl/fake/show", test_show);
  add_test ("/vmgrctl/fake/show-json", test_show_json);
  add_test ("/vmgrctl/fake/not-found", test_not_found);
  add_test ("/vmgrctl/fake/start-waits", test_start_waits);
  add_test ("/vmgrctl/fake/no-ask-password", test_no_ask_password);
  add_test ("/vmgrctl/fake/no-wait", test_no_wait);
  add_test ("/vmgrctl/fake/wait-timeout", test_wait_timeout);
  add_test ("/vmgrctl/fake/lifecycle", test_lifecycle);
  add_test ("/vmgrctl/fake/shutdown-timeout", test_shutdown_timeout);
  add_test ("/vmgrctl/fake/errors", test_errors);
  add_test ("/vmgrctl/fake/delete", test_delete);
  add_test ("/vmgrctl/fake/create", test_create);
  add_test ("/vmgrctl/fake/create-waits-for-provisioning", test_create_waits_for_provisioning);
  add_test ("/vmgrctl/fake/create-job", test_create_job);
  add_test ("/vmgrctl/fake/create-job-failed", test_create_job_failed);
  add_test ("/vmgrctl/fake/create-job-interrupted", test_create_job_interrupted);
  add_test ("/vmgrctl/fake/create-job-vanished", test_create_job_vanished);
  add_test ("/vmgrctl/fake/create-job-daemon-gone", test_create_job_daemon_gone);
  add_test ("/vmgrctl/fake/templates", test_templates);
  add_test ("/vmgrctl/fake/template-add", test_template_add);
  add_test ("/vmgrctl/fake/plans", test_plans);
  add_test ("/vmgrctl/fake/audit", test_audit);
  add_test ("/vmgrctl/fake/session-bus", test_session_bus);
  g_test_add ("/vmgrctl/fake/daemon-not-running", Fixture, NULL, fixture_setup_bus,
              test_daemon_not_running, fixture_teardown);

  return g_test_run ();
}
