/* VM.Migrate (issue 14) between two test-driver hosts ("local", the
 * configured test:///default, and "second", a test:///FILE.xml node of its
 * own): stopped and running VMs move with their owner, id, path and
 * settings, Host and StateReason change, the store keeps the new host
 * across a restart of vmgrd; bad input, a customer and the VM's state are
 * refused and change nothing; a failed or cancelled migration leaves the
 * VM whole on its source; vmgrctl migrate. */
#include <string.h>

#include "vmgr-test-client.h"
#include "vmgr-test-env.h"
#include "vmgr-test-jobs.h"

#define WAIT_MS 10000
#define UNREACHABLE_URI "qemu+tcp://127.0.0.1:1/system"

static VmgrTestDaemon *daemon_under_test;

static const char node_xml[] =
  "<node><cpu><mhz>2000</mhz><model>i686</model><active>4</active><nodes>1</nodes>"
  "<sockets>1</sockets><cores>4</cores><threads>1</threads></cpu>"
  "<memory>67108864</memory>%s</node>\n";

/* Adds the test-driver host @name with @domains in its node (once). */
static void
ensure_host (VmgrTestClient *client, const char *name, const char *domains)
{
  g_autofree char *file = g_strdup_printf ("%s/%s-node.xml",
                                           vmgr_test_daemon_get_state_dir (daemon_under_test),
                                           name);
  g_autofree char *uri = g_strconcat ("test://", file, NULL);
  g_autofree char *xml = g_strdup_printf (node_xml, domains != NULL ? domains : "");
  g_autofree char *path = NULL;
  g_autoptr(GError) error = NULL;

  if (!g_file_test (file, G_FILE_TEST_EXISTS))
    {
      g_assert_true (g_file_set_contents (file, xml, -1, NULL));
      vmgr_dbus_manager_call_add_host_sync (client->manager, name, uri,
                                            g_variant_new ("a{sv}", NULL), &path, NULL, &error);
      g_assert_no_error (error);
    }
  if (!vmgr_test_wait_host_connected (client, name, WAIT_MS))
    {
      g_autofree char *state = vmgr_test_host_string (client, name, "State");

      g_test_message ("host %s is %s", name, state != NULL ? state : "(unreadable)");
      vmgr_test_daemon_dump_log (daemon_under_test);
      g_assert_not_reached ();
    }
}

static char *
migrate (VmgrDBusVM *vm, const char *host, GVariant *options, GError **error)
{
  char *job = NULL;

  if (options == NULL)
    options = g_variant_new ("a{sv}", NULL);
  vmgr_dbus_vm_call_migrate_sync (vm, host, options, &job, NULL, error);
  return job;
}

/* Migrates @vm to @host and waits for the job: "ok" or its error. */
static char *
migrate_and_wait (VmgrTestClient *client, VmgrDBusVM *vm, const char *host, GVariant *options)
{
  g_autoptr(VmgrTestJobWatch) watch = vmgr_test_job_watch_new (client);
  g_autoptr(GError) error = NULL;
  g_autofree char *job = migrate (vm, host, options, &error);

  g_assert_no_error (error);
  return g_strdup (vmgr_test_job_watch_wait (watch, job, 60000));
}

static char *
property_string (VmgrTestClient *client, VmgrDBusVM *vm, const char *name)
{
  g_autoptr(GVariant) value =
    vmgr_test_read_vm_property (client, g_dbus_proxy_get_object_path (G_DBUS_PROXY (vm)), name);

  return g_variant_dup_string (value, NULL);
}

static void
assert_host (VmgrTestClient *client, VmgrDBusVM *vm, const char *host)
{
  g_autofree char *now = property_string (client, vm, "Host");

  g_assert_cmpstr (now, ==, host);
}

/* ---- What moves --------------------------------------------------------- */

static void
test_stopped (void)
{
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  g_autoptr(VmgrDBusVM) vm = NULL;
  g_autofree char *path = NULL;
  g_autofree char *result = NULL;
  g_autofree char *job = NULL;
  guint32 id;
  guint64 memory;

  ensure_host (client, "second", NULL);
  vm = vmgr_test_create_and_open (client, "still",
                                  g_variant_new_parsed ("{'host': <'local'>, 'owner': <%u>, "
                                                        "'hostname': <'still-host'>}",
                                                        VMGR_TEST_UID_ALICE));
  path = g_strdup (g_dbus_proxy_get_object_path (G_DBUS_PROXY (vm)));
  id = vmgr_dbus_vm_get_id (vm);
  memory = vmgr_dbus_vm_get_memory_limit (vm);
  g_assert_true (vmgr_test_wait_state (vm, "stopped", WAIT_MS));

  result = migrate_and_wait (client, vm, "second", NULL);
  g_assert_cmpstr (result, ==, "ok");
  assert_host (client, vm, "second");
  g_assert_true (vmgr_test_wait_reason (vm, "migrated", WAIT_MS));
  g_assert_cmpstr (vmgr_dbus_vm_get_state (vm), ==, "stopped");
  g_assert_cmpstr (vmgr_dbus_vm_get_host (vm), ==, "second");
  g_assert_cmpuint (vmgr_dbus_vm_get_id (vm), ==, id);
  g_assert_cmpuint (vmgr_dbus_vm_get_owner (vm), ==, VMGR_TEST_UID_ALICE);
  g_assert_cmpuint (vmgr_dbus_vm_get_memory_limit (vm), ==, memory);
  g_assert_cmpstr (vmgr_dbus_vm_get_hostname (vm), ==, "still-host");
  job = property_string (client, vm, "Job");
  g_assert_cmpstr (job, ==, "/");

  /* It works there, and comes back. */
  vmgr_test_start_and_wait (vm);
  g_clear_pointer (&result, g_free);
  result = migrate_and_wait (client, vm, "local", g_variant_new_parsed ("{'live': <false>}"));
  g_assert_cmpstr (result, ==, "ok");
  assert_host (client, vm, "local");
  g_assert_cmpstr (g_dbus_proxy_get_object_path (G_DBUS_PROXY (vm)), ==, path);
  g_assert_true (vmgr_test_wait_reason (vm, "migrated", WAIT_MS));
  g_assert_cmpstr (vmgr_dbus_vm_get_state (vm), ==, "running");
}

/* A running VM runs on the target; the store has its host after a restart. */
static void
test_running (void)
{
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  g_autoptr(VmgrDBusVM) vm = NULL;
  g_autoptr(VmgrTestStateRecorder) recorder = NULL;
  g_autofree char *result = NULL;
  g_autofree char *path = NULL;
  g_autoptr(GError) error = NULL;

  ensure_host (client, "second", NULL);
  vm = vmgr_test_create_and_open (client, "busy-bee", g_variant_new_parsed ("{'host': <'local'>}"));
  vmgr_test_start_and_wait (vm);
  recorder = vmgr_test_state_recorder_new (vm);
  result = migrate_and_wait (client, vm, "second", NULL);
  g_assert_cmpstr (result, ==, "ok");
  g_assert_true (vmgr_test_state_recorder_wait (recorder, "running", "migrated", WAIT_MS));
  assert_host (client, vm, "second");
  /* It answers on its new host. */
  vmgr_dbus_vm_call_suspend_sync (vm, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (vmgr_test_wait_state (vm, "paused", WAIT_MS));
  vmgr_dbus_vm_call_resume_sync (vm, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (vmgr_test_wait_state (vm, "running", WAIT_MS));
  path = g_strdup (g_dbus_proxy_get_object_path (G_DBUS_PROXY (vm)));
  g_clear_pointer (&recorder, vmgr_test_state_recorder_free);
  g_clear_object (&vm);

  vmgr_test_daemon_restart (daemon_under_test);
  {
    g_autoptr(VmgrTestClient) after = vmgr_test_client_new ();
    g_autoptr(VmgrDBusVM) again = NULL;

    ensure_host (after, "second", NULL);
    again = vmgr_test_client_vm (after, path);
    g_assert_cmpstr (vmgr_dbus_vm_get_host (again), ==, "second");
    /* The test driver's node forgot it: defined there again, stopped. */
    g_assert_true (vmgr_test_wait_state (again, "stopped", WAIT_MS));
    vmgr_test_start_and_wait (again);
  }
}

/* ---- Refusals ------------------------------------------------------------ */

static void
assert_refused (VmgrDBusVM *vm, const char *host, GVariant *options, const char *name,
                const char *fragment)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *job = migrate (vm, host, options, &error);

  g_assert_null (job);
  vmgr_test_assert_dbus_error (error, name, fragment);
}

static void
test_bad_input (void)
{
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  g_autoptr(VmgrDBusVM) vm = NULL;
  g_autofree char *job = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *far = NULL;

  ensure_host (client, "second", NULL);
  vm = vmgr_test_create_and_open (client, "stay", g_variant_new_parsed ("{'host': <'local'>}"));
  vmgr_test_start_and_wait (vm);
  assert_refused (vm, "nowhere", NULL, "org.vmgr.Error.NotFound", "nowhere");
  assert_refused (vm, "", NULL, "org.vmgr.Error.NotFound", NULL);
  assert_refused (vm, "local", NULL, "org.vmgr.Error.InvalidArgument", "local");
  assert_refused (vm, "second", g_variant_new_parsed ("{'speed': <5>}"),
                  "org.vmgr.Error.InvalidArgument", "speed");
  assert_refused (vm, "second", g_variant_new_parsed ("{'live': <'yes'>}"),
                  "org.vmgr.Error.InvalidArgument", "live");
  /* The test driver has no live migration. */
  assert_refused (vm, "second", g_variant_new_parsed ("{'live': <true>}"),
                  "org.vmgr.Error.NotSupported", "live");
  /* A host that does not answer. */
  vmgr_dbus_manager_call_add_host_sync (client->manager, "far", UNREACHABLE_URI,
                                        g_variant_new ("a{sv}", NULL), &far, NULL, &error);
  g_assert_no_error (error);
  g_assert_false (vmgr_test_host_connected (client, "far"));
  assert_refused (vm, "far", NULL, "org.vmgr.Error.Hypervisor", "far");
  vmgr_dbus_manager_call_remove_host_sync (client->manager, "far", NULL, &error);
  g_assert_no_error (error);

  assert_host (client, vm, "local");
  g_assert_cmpstr (vmgr_dbus_vm_get_state (vm), ==, "running");
  job = property_string (client, vm, "Job");
  g_assert_cmpstr (job, ==, "/");
}

/* A saved VM (InvalidState), one whose files a backup holds (Busy). */
static void
test_state (void)
{
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  g_autoptr(VmgrDBusVM) vm = NULL;
  g_autoptr(VmgrTestJobWatch) watch = vmgr_test_job_watch_new (client);
  g_autoptr(GError) error = NULL;
  g_autofree char *backup = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *of = NULL;

  ensure_host (client, "second", NULL);
  vm = vmgr_test_create_and_open (client, "napping", g_variant_new_parsed ("{'host': <'local'>}"));
  vmgr_test_start_and_wait (vm);
  vmgr_dbus_vm_call_save_sync (vm, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (vmgr_test_wait_state (vm, "suspended", WAIT_MS));
  assert_refused (vm, "second", NULL, "org.vmgr.Error.InvalidState", "suspended");
  vmgr_dbus_vm_call_stop_sync (vm, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (vmgr_test_wait_state (vm, "stopped", WAIT_MS));

  /* A backup copying a big guest directory: its job is the VM's. */
  dir = g_strdup_printf ("%s/guests/%u", vmgr_test_daemon_get_state_dir (daemon_under_test),
                         vmgr_dbus_vm_get_id (vm));
  of = g_strdup_printf ("of=%s/data.img", dir);
  {
    const char *argv[] = { "dd", "if=/dev/urandom", of, "bs=1M", "count=256", "status=none",
                           NULL };

    g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
    g_assert_cmpint (vmgr_test_run_as_argv (0, NULL, NULL, argv), ==, 0);
  }
  vmgr_dbus_vm_call_backup_sync (vm, g_variant_new ("a{sv}", NULL), &backup, NULL, &error);
  g_assert_no_error (error);
  assert_refused (vm, "second", NULL, "org.vmgr.Error.Busy", NULL);
  g_assert_cmpstr (vmgr_test_job_watch_wait (watch, backup, 120000), ==, "ok");
  assert_host (client, vm, "local");
}

/* The same answer for an unknown host and a known one: nothing about hosts
 * is learnt; another's VM answers like a path where nothing is. */
static void
test_customer (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr(VmgrTestClient) client = NULL;
      g_autoptr(GError) error = NULL;
      g_autoptr(GError) other = NULL;
      g_autoptr(GError) missing = NULL;
      g_autofree char *own_path = NULL;
      g_autofree char *job = NULL;
      g_autoptr(VmgrDBusVM) own = NULL;
      g_autoptr(VmgrDBusVM) theirs = NULL;
      g_autoptr(VmgrDBusVM) nothing = NULL;
      g_autoptr(GError) unknown_host = NULL;

      vmgr_test_become_user (VMGR_TEST_UID_ALICE);
      client = vmgr_test_client_new ();
      vmgr_dbus_manager_call_find_vm_sync (client->manager, "alices", &own_path, NULL, &error);
      g_assert_no_error (error);
      own = vmgr_test_client_vm (client, own_path);
      job = migrate (own, "second", NULL, &error);
      g_assert_null (job);
      vmgr_test_assert_dbus_error (error, "org.vmgr.Error.NotAuthorized", NULL);
      g_assert_null (strstr (error->message, "second"));
      job = migrate (own, "nowhere", NULL, &unknown_host);
      vmgr_test_assert_dbus_error (unknown_host, "org.vmgr.Error.NotAuthorized", NULL);
      g_assert_cmpstr (unknown_host->message, ==, error->message);

      theirs = vmgr_dbus_vm_proxy_new_sync (client->bus, G_DBUS_PROXY_FLAGS_DO_NOT_LOAD_PROPERTIES
                                            | G_DBUS_PROXY_FLAGS_DO_NOT_CONNECT_SIGNALS,
                                            "org.vmgr", g_getenv ("VMGR_TEST_THEIRS"), NULL,
                                            &other);
      g_assert_no_error (other);
      nothing = vmgr_dbus_vm_proxy_new_sync (client->bus, G_DBUS_PROXY_FLAGS_DO_NOT_LOAD_PROPERTIES
                                             | G_DBUS_PROXY_FLAGS_DO_NOT_CONNECT_SIGNALS,
                                             "org.vmgr", "/org/vmgr/vm/999999", NULL, &missing);
      g_assert_no_error (missing);
      job = migrate (theirs, "second", NULL, &other);
      job = migrate (nothing, "second", NULL, &missing);
      g_assert_nonnull (other);
      g_assert_nonnull (missing);
      {
        g_autofree char *a = g_dbus_error_get_remote_error (other);
        g_autofree char *b = g_dbus_error_get_remote_error (missing);
        g_auto(GStrv) pa = g_strsplit (other->message, g_getenv ("VMGR_TEST_THEIRS"), -1);
        g_auto(GStrv) pb = g_strsplit (missing->message, "/org/vmgr/vm/999999", -1);
        g_autofree char *ma = g_strjoinv ("PATH", pa);
        g_autofree char *mb = g_strjoinv ("PATH", pb);

        g_assert_cmpstr (a, ==, b);
        g_assert_cmpstr (ma, ==, mb);
      }
      return;
    }
  {
    g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
    g_autoptr(VmgrDBusVM) alices = NULL;
    g_autoptr(VmgrDBusVM) theirs = NULL;

    ensure_host (client, "second", NULL);
    alices = vmgr_test_create_and_open (client, "alices",
                                        g_variant_new_parsed ("{'host': <'local'>, 'owner': <%u>}",
                                                              VMGR_TEST_UID_ALICE));
    theirs = vmgr_test_create_and_open (client, "bobs",
                                        g_variant_new_parsed ("{'host': <'local'>, 'owner': <%u>}",
                                                              VMGR_TEST_UID_MALLORY));
    g_setenv ("VMGR_TEST_THEIRS", g_dbus_proxy_get_object_path (G_DBUS_PROXY (theirs)), TRUE);
    g_test_trap_subprocess (NULL, 60 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_passed ();
    assert_host (client, alices, "local");
    assert_host (client, theirs, "local");
  }
}

/* ---- Failure and cancel ------------------------------------------------ */

/* The target refuses the definition (a domain of that name is there):
 * the VM runs on, on its source, and the target keeps only its own. */
static void
test_failure (void)
{
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  g_autoptr(VmgrDBusVM) vm = NULL;
  g_autofree char *domain = NULL;
  g_autofree char *result = NULL;
  g_autofree char *job = NULL;

  vm = vmgr_test_create_and_open (client, "clash", g_variant_new_parsed ("{'host': <'local'>}"));
  vmgr_test_start_and_wait (vm);
  domain = g_strdup_printf ("<domain type='test'><name>clash-%u</name>"
                            "<memory>65536</memory><os><type>hvm</type></os></domain>",
                            vmgr_dbus_vm_get_id (vm));
  ensure_host (client, "third", domain);
  result = migrate_and_wait (client, vm, "third", NULL);
  g_assert_cmpstr (result, !=, "ok");
  g_assert_nonnull (strstr (result, "third"));
  assert_host (client, vm, "local");
  g_assert_cmpstr (vmgr_dbus_vm_get_state (vm), ==, "running");
  job = property_string (client, vm, "Job");
  g_assert_cmpstr (job, ==, "/");
  /* Still whole where it was. */
  {
    g_autoptr(GError) error = NULL;

    vmgr_dbus_vm_call_suspend_sync (vm, NULL, &error);
    g_assert_no_error (error);
    g_assert_true (vmgr_test_wait_state (vm, "paused", WAIT_MS));
  }
}

/* Cancel at once: the test driver's steps are fast, so the job may be
 * done before the Cancel arrives; either way the VM is whole on one host,
 * the one the job's outcome says. */
static void
test_cancel (void)
{
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  g_autoptr(VmgrTestJobWatch) watch = vmgr_test_job_watch_new (client);
  g_autoptr(VmgrDBusVM) vm = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *job = NULL;
  g_autoptr(GVariant) reply = NULL;
  const char *result;

  ensure_host (client, "second", NULL);
  vm = vmgr_test_create_and_open (client, "quitter", g_variant_new_parsed ("{'host': <'local'>}"));
  vmgr_test_start_and_wait (vm);
  job = migrate (vm, "second", NULL, &error);
  g_assert_no_error (error);
  reply = vmgr_test_call (client, job, "org.vmgr.Job", "Cancel", NULL, &error);
  g_clear_error (&error);
  result = vmgr_test_job_watch_wait (watch, job, 60000);
  g_test_message ("cancelled migration: %s", result);
  assert_host (client, vm, g_str_equal (result, "ok") ? "second" : "local");
  if (!g_str_equal (result, "ok"))
    g_assert_nonnull (strstr (result, "ancel"));
  g_assert_true (vmgr_test_wait_state (vm, "running", WAIT_MS));
  vmgr_dbus_vm_call_stop_sync (vm, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (vmgr_test_wait_state (vm, "stopped", WAIT_MS));
}

/* ---- vmgrctl -------------------------------------------------------------- */

static void
test_vmgrctl (void)
{
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  g_autoptr(VmgrDBusVM) vm = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  ensure_host (client, "second", NULL);
  vm = vmgr_test_create_and_open (client, "by-cli", g_variant_new_parsed ("{'host': <'local'>}"));
  vmgr_test_start_and_wait (vm);
  g_assert_cmpint (vmgr_test_run_vmgrctl_as (VMGR_TEST_UID_ADMIN, &out, &err, "migrate",
                                             "by-cli", "second", "--offline", NULL), ==, 0);
  g_test_message ("vmgrctl migrate: %s%s", out, err);
  assert_host (client, vm, "second");
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (vmgr_test_run_vmgrctl_as (VMGR_TEST_UID_ADMIN, &out, &err, "migrate",
                                             "by-cli", "second", NULL), !=, 0);
  g_assert_nonnull (strstr (err, "second"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (vmgr_test_run_vmgrctl_as (VMGR_TEST_UID_ADMIN, &out, &err, "migrate",
                                             "by-cli", "nowhere", NULL), !=, 0);
  g_assert_nonnull (strstr (err, "nowhere"));
  assert_host (client, vm, "second");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/migrate/stopped", test_stopped);
  g_test_add_func ("/migrate/running", test_running);
  g_test_add_func ("/migrate/bad-input", test_bad_input);
  g_test_add_func ("/migrate/state", test_state);
  g_test_add_func ("/migrate/customer", test_customer);
  g_test_add_func ("/migrate/failure", test_failure);
  g_test_add_func ("/migrate/cancel", test_cancel);
  g_test_add_func ("/migrate/vmgrctl", test_vmgrctl);
  return vmgr_test_run_with_daemon (NULL, NULL, &daemon_under_test);
}
