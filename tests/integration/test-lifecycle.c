/* vmgrd end to end as root (who polkit always authorizes): lifecycle,
 * signals, configuration, catalogue, bad input for every method, audit,
 * and a daemon restart in the middle. Through the generated proxies. */
#include "vmgr-test-client.h"
#include "vmgr-test-env.h"

#define MiB (G_GUINT64_CONSTANT (1) << 20)
#define GiB (G_GUINT64_CONSTANT (1) << 30)
#define WAIT_MS 10000

static VmgrTestDaemon *daemon_under_test;

static void
test_first_id_and_plan_defaults (void)
{
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  g_autofree char *path = vmgr_test_create_vm (client, "first", "debian-12", "basic", NULL);
  g_autoptr(VmgrDBusVM) vm = vmgr_test_client_vm (client, path);

  g_assert_cmpstr (path, ==, "/org/vmgr/vm/101");
  g_assert_cmpuint (vmgr_dbus_vm_get_id (vm), ==, 101);
  g_assert_cmpstr (vmgr_dbus_vm_get_name (vm), ==, "first");
  g_assert_cmpstr (vmgr_dbus_vm_get_template (vm), ==, "debian-12");
  g_assert_cmpstr (vmgr_dbus_vm_get_plan (vm), ==, "basic");
  g_assert_cmpuint (vmgr_dbus_vm_get_memory_limit (vm), ==, 64 * MiB);
  g_assert_cmpuint (vmgr_dbus_vm_get_disk_hard_limit (vm), ==, 1 * GiB);
  g_assert_cmpuint (vmgr_dbus_vm_get_vcpus (vm), ==, 1);
  g_assert_cmpuint (vmgr_dbus_vm_get_cpu_weight (vm), ==, 100);
  g_assert_cmpuint (vmgr_dbus_vm_get_owner (vm), ==, 0);
  g_assert_cmpstr (vmgr_dbus_vm_get_owner_name (vm), ==, "root");
  g_assert_cmpstr (vmgr_dbus_vm_get_state (vm), ==, "stopped");
  g_assert_cmpuint (strlen (vmgr_dbus_vm_get_uuid (vm)), ==, 36);
  g_assert_cmpstr (vmgr_dbus_vm_get_job (vm), ==, "/");
}

static GVariant *
full_options (guint32 id)
{
  GVariantDict dict;
  const char *addresses[] = { "192.0.2.10/24", "2001:db8::10/64", NULL };
  const char *nameservers[] = { "192.0.2.53", NULL };

  g_variant_dict_init (&dict, NULL);
  g_variant_dict_insert (&dict, "id", "u", id);
  g_variant_dict_insert (&dict, "owner", "u", 60002);
  g_variant_dict_insert (&dict, "memory_guarantee", "t", 128 * MiB);
  g_variant_dict_insert (&dict, "memory_soft_limit", "t", 256 * MiB);
  g_variant_dict_insert (&dict, "memory_limit", "t", 512 * MiB);
  g_variant_dict_insert (&dict, "vcpus", "u", 2);
  g_variant_dict_insert (&dict, "cpu_weight", "u", 300);
  g_variant_dict_insert (&dict, "disk_soft_limit", "t", 3 * GiB);
  g_variant_dict_insert (&dict, "disk_hard_limit", "t", 4 * GiB);
  g_variant_dict_insert (&dict, "hostname", "s", "web.example.org");
  g_variant_dict_insert_value (&dict, "addresses", g_variant_new_strv (addresses, -1));
  g_variant_dict_insert (&dict, "gateway", "s", "192.0.2.1");
  g_variant_dict_insert_value (&dict, "nameservers", g_variant_new_strv (nameservers, -1));
  g_variant_dict_insert (&dict, "autostart", "b", TRUE);
  return g_variant_dict_end (&dict);
}

static void
assert_full_options (VmgrDBusVM *vm, guint32 id)
{
  const char * const *addresses = vmgr_dbus_vm_get_addresses (vm);

  g_assert_cmpuint (vmgr_dbus_vm_get_id (vm), ==, id);
  g_assert_cmpuint (vmgr_dbus_vm_get_owner (vm), ==, 60002);
  g_assert_cmpstr (vmgr_dbus_vm_get_owner_name (vm), ==, "alice");
  g_assert_cmpuint (vmgr_dbus_vm_get_memory_guarantee (vm), ==, 128 * MiB);
  g_assert_cmpuint (vmgr_dbus_vm_get_memory_soft_limit (vm), ==, 256 * MiB);
  g_assert_cmpuint (vmgr_dbus_vm_get_memory_limit (vm), ==, 512 * MiB);
  g_assert_cmpuint (vmgr_dbus_vm_get_vcpus (vm), ==, 2);
  g_assert_cmpuint (vmgr_dbus_vm_get_cpu_weight (vm), ==, 300);
  g_assert_cmpuint (vmgr_dbus_vm_get_cpu_limit (vm), ==, 0);
  g_assert_cmpuint (vmgr_dbus_vm_get_disk_soft_limit (vm), ==, 3 * GiB);
  g_assert_cmpuint (vmgr_dbus_vm_get_disk_hard_limit (vm), ==, 4 * GiB);
  g_assert_cmpstr (vmgr_dbus_vm_get_hostname (vm), ==, "web.example.org");
  g_assert_cmpuint (g_strv_length ((char **) addresses), ==, 2);
  g_assert_cmpstr (addresses[1], ==, "2001:db8::10/64");
  g_assert_cmpstr (vmgr_dbus_vm_get_gateway (vm), ==, "192.0.2.1");
  g_assert_cmpstr (vmgr_dbus_vm_get_nameservers (vm)[0], ==, "192.0.2.53");
  g_assert_true (vmgr_dbus_vm_get_autostart (vm));
}

static void
test_create_with_options (void)
{
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  g_autoptr(VmgrDBusVM) vm = vmgr_test_create_and_open (client, "full", full_options (500));

  assert_full_options (vm, 500);
}

static void
test_state_signals (void)
{
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  g_autoptr(VmgrDBusVM) vm = vmgr_test_create_and_open (client, "signals", NULL);
  g_autoptr(VmgrTestStateRecorder) recorder = vmgr_test_state_recorder_new (vm);
  g_autoptr(GError) error = NULL;

  vmgr_dbus_vm_call_start_sync (vm, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (vmgr_test_state_recorder_wait (recorder, "running", "booted", WAIT_MS));
  g_assert_true (vmgr_test_wait_state (vm, "running", WAIT_MS));

  vmgr_dbus_vm_call_suspend_sync (vm, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (vmgr_test_state_recorder_wait (recorder, "paused", NULL, WAIT_MS));
  g_assert_true (vmgr_test_wait_state (vm, "paused", WAIT_MS));

  vmgr_dbus_vm_call_resume_sync (vm, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (vmgr_test_wait_state (vm, "running", WAIT_MS));
  g_assert_cmpuint (recorder->events->len, ==, 3);
  g_assert_cmpstr (g_ptr_array_index (recorder->events, 2), ==, "running/user");

  vmgr_dbus_vm_call_shutdown_sync (vm, 0, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (vmgr_test_state_recorder_wait (recorder, "stopped", NULL, WAIT_MS));
  g_assert_true (vmgr_test_wait_state (vm, "stopped", WAIT_MS));
  g_assert_cmpstr (vmgr_dbus_vm_get_state_reason (vm), !=, "");
}

static void
test_stop_and_restart (void)
{
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  g_autoptr(VmgrDBusVM) vm = vmgr_test_create_and_open (client, "restarts", NULL);
  g_autoptr(VmgrTestStateRecorder) recorder = vmgr_test_state_recorder_new (vm);
  g_autoptr(GError) error = NULL;

  vmgr_dbus_vm_call_start_sync (vm, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (vmgr_test_wait_state (vm, "running", WAIT_MS));
  vmgr_dbus_vm_call_restart_sync (vm, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (vmgr_test_state_recorder_wait (recorder, "running", "restarted", WAIT_MS));
  /* The property says what the signal said. */
  g_assert_true (vmgr_test_wait_reason (vm, "restarted", WAIT_MS));
  vmgr_dbus_vm_call_stop_sync (vm, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (vmgr_test_state_recorder_wait (recorder, "stopped", "destroyed", WAIT_MS));
  g_assert_true (vmgr_test_wait_state (vm, "stopped", WAIT_MS));
}

static void
test_delete (void)
{
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  g_autofree char *path = vmgr_test_create_vm (client, "doomed", "debian-12", "basic", NULL);
  g_autoptr(VmgrDBusVM) vm = vmgr_test_client_vm (client, path);
  guint before = vmgr_test_count_vms (client);
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autofree char *again = NULL;

  vmgr_dbus_vm_call_start_sync (vm, NULL, &error);
  g_assert_no_error (error);
  /* Up: refused (test-safety tells more); stopped, deleted. */
  vmgr_dbus_vm_call_delete_sync (vm, NULL, &error);
  vmgr_test_assert_dbus_error (error, "org.vmgr.Error.InvalidState", "stop it first");
  g_clear_error (&error);
  vmgr_dbus_vm_call_stop_sync (vm, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (vmgr_test_wait_state (vm, "stopped", WAIT_MS));
  vmgr_dbus_vm_call_delete_sync (vm, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (vmgr_test_count_vms (client), ==, before - 1);
  reply = g_dbus_connection_call_sync (client->bus, "org.vmgr", path,
                                       "org.freedesktop.DBus.Properties", "Get",
                                       g_variant_new ("(ss)", "org.vmgr.VM", "Name"), NULL,
                                       G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
  vmgr_test_assert_dbus_error (error, "org.freedesktop.DBus.Error.UnknownMethod",
                               "Object does not exist");
  again = vmgr_test_create_vm (client, "doomed", "debian-12", "basic", NULL);
  g_assert_nonnull (again);
}

static void
test_find_vm (void)
{
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  g_autofree char *path = vmgr_test_create_vm (client, "findme", "debian-12", "basic", NULL);
  g_autoptr(VmgrDBusVM) vm = vmgr_test_client_vm (client, path);
  g_autofree char *id = g_strdup_printf ("%u", vmgr_dbus_vm_get_id (vm));
  g_autofree char *by_name = NULL;
  g_autofree char *by_id = NULL;
  g_autofree char *missing = NULL;
  g_autoptr(GError) error = NULL;

  vmgr_dbus_manager_call_find_vm_sync (client->manager, "findme", &by_name, NULL, &error);
  g_assert_no_error (error);
  vmgr_dbus_manager_call_find_vm_sync (client->manager, id, &by_id, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (by_name, ==, path);
  g_assert_cmpstr (by_id, ==, path);
  vmgr_dbus_manager_call_find_vm_sync (client->manager, "nosuchvm", &missing, NULL, &error);
  vmgr_test_assert_dbus_error (error, "org.vmgr.Error.NotFound", "nosuchvm");
  g_clear_error (&error);
  vmgr_dbus_manager_call_find_vm_sync (client->manager, "", &missing, NULL, &error);
  vmgr_test_assert_dbus_error (error, "org.vmgr.Error.InvalidArgument", NULL);
}

static void
expect_create_error (VmgrTestClient *client, const char *name, const char *template_name,
                     const char *plan, GVariant *options, const char *error_name,
                     const char *fragment)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;

  vmgr_dbus_manager_call_create_vm_sync (client->manager, name, template_name, plan,
                                         options != NULL ? options : g_variant_new ("a{sv}", NULL),
                                         &path, NULL, &error);
  vmgr_test_assert_dbus_error (error, error_name, fragment);
}

static GVariant *
one_option (const char *key, GVariant *value)
{
  GVariantDict dict;

  g_variant_dict_init (&dict, NULL);
  g_variant_dict_insert_value (&dict, key, value);
  return g_variant_dict_end (&dict);
}

static void
test_create_bad_input (void)
{
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  g_autofree char *taken G_GNUC_UNUSED = vmgr_test_create_vm (client, "taken", "debian-12", "basic",
                                                one_option ("id", g_variant_new_uint32 (700)));
  guint before = vmgr_test_count_vms (client);
  const char *bad_cidr[] = { "10.0.0.1/33", NULL };

  expect_create_error (client, "bad name", "debian-12", "basic", NULL,
                       "org.vmgr.Error.InvalidArgument", "bad name");
  expect_create_error (client, "", "debian-12", "basic", NULL,
                       "org.vmgr.Error.InvalidArgument", NULL);
  expect_create_error (client, "-dash", "debian-12", "basic", NULL,
                       "org.vmgr.Error.InvalidArgument", NULL);
  expect_create_error (client, "ok", "no-such-template", "basic", NULL,
                       "org.vmgr.Error.NotFound", "no-such-template");
  expect_create_error (client, "ok", "debian-12", "no-such-plan", NULL,
                       "org.vmgr.Error.NotFound", "no-such-plan");
  expect_create_error (client, "ok", "debian-12", "basic",
                       one_option ("colour", g_variant_new_string ("red")),
                       "org.vmgr.Error.InvalidArgument", "colour");
  expect_create_error (client, "ok", "debian-12", "basic",
                       one_option ("vcpus", g_variant_new_string ("2")),
                       "org.vmgr.Error.InvalidArgument", "vcpus");
  expect_create_error (client, "ok", "debian-12", "basic",
                       one_option ("addresses", g_variant_new_strv (bad_cidr, -1)),
                       "org.vmgr.Error.InvalidArgument", "10.0.0.1/33");
  expect_create_error (client, "ok", "debian-12", "basic",
                       one_option ("owner", g_variant_new_uint32 (4242424)),
                       "org.vmgr.Error.InvalidArgument", "4242424");
  expect_create_error (client, "ok", "debian-12", "",
                       NULL, "org.vmgr.Error.InvalidArgument", "memory_limit");
  expect_create_error (client, "ok", "debian-12", "basic",
                       one_option ("memory_guarantee", g_variant_new_uint64 (GiB)),
                       "org.vmgr.Error.InvalidArgument", "memory_guarantee");
  expect_create_error (client, "taken", "debian-12", "basic", NULL,
                       "org.vmgr.Error.AlreadyExists", "taken");
  expect_create_error (client, "other", "debian-12", "basic",
                       one_option ("id", g_variant_new_uint32 (700)),
                       "org.vmgr.Error.AlreadyExists", "700");
  g_assert_cmpuint (vmgr_test_count_vms (client), ==, before);
}

typedef gboolean (*VmCall) (VmgrDBusVM *vm, GCancellable *cancellable, GError **error);

static void
expect_vm_error (VmgrDBusVM *vm, VmCall call, const char *error_name)
{
  g_autoptr(GError) error = NULL;

  call (vm, NULL, &error);
  vmgr_test_assert_dbus_error (error, error_name, NULL);
}

static gboolean
call_shutdown_default (VmgrDBusVM *vm, GCancellable *cancellable, GError **error)
{
  return vmgr_dbus_vm_call_shutdown_sync (vm, 0, cancellable, error);
}

static void
test_impossible_transitions (void)
{
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  g_autoptr(VmgrDBusVM) vm = vmgr_test_create_and_open (client, "transitions", NULL);
  g_autoptr(GError) error = NULL;

  expect_vm_error (vm, vmgr_dbus_vm_call_resume_sync, "org.vmgr.Error.InvalidState");
  expect_vm_error (vm, vmgr_dbus_vm_call_suspend_sync, "org.vmgr.Error.InvalidState");
  expect_vm_error (vm, vmgr_dbus_vm_call_restart_sync, "org.vmgr.Error.InvalidState");
  expect_vm_error (vm, vmgr_dbus_vm_call_stop_sync, "org.vmgr.Error.InvalidState");
  expect_vm_error (vm, call_shutdown_default, "org.vmgr.Error.InvalidState");
  vmgr_dbus_vm_call_shutdown_sync (vm, 100000, NULL, &error);
  vmgr_test_assert_dbus_error (error, "org.vmgr.Error.InvalidArgument", "100000");
  g_clear_error (&error);
  vmgr_dbus_vm_call_start_sync (vm, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (vmgr_test_wait_state (vm, "running", WAIT_MS));
  expect_vm_error (vm, vmgr_dbus_vm_call_start_sync, "org.vmgr.Error.InvalidState");
  expect_vm_error (vm, vmgr_dbus_vm_call_resume_sync, "org.vmgr.Error.InvalidState");
  /* One sentence that says why, without the method's name: vmgrctl and
   * the web panel say what was asked. */
  vmgr_dbus_vm_call_start_sync (vm, NULL, &error);
  g_assert_nonnull (error);
  g_assert_cmpstr (strstr (error->message, "VM 'transitions'"), ==,
                   "VM 'transitions' is running, and only a stopped or saved VM can be started");
  g_clear_error (&error);
  g_assert_cmpstr (vmgr_dbus_vm_get_state (vm), ==, "running");
}

static gboolean
owner_is_bob (gpointer vm)
{
  return vmgr_dbus_vm_get_owner (vm) == 60003;
}

static void
test_setters (void)
{
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  g_autoptr(VmgrDBusVM) vm = vmgr_test_create_and_open (client, "configured", NULL);
  g_autoptr(GError) error = NULL;
  const char *addresses[] = { "198.51.100.7/24", NULL };
  GVariantDict network;

  vmgr_dbus_vm_call_set_memory_sync (vm, 32 * MiB, 64 * MiB, 128 * MiB, NULL, &error);
  g_assert_no_error (error);
  vmgr_dbus_vm_call_set_cpu_sync (vm, 2, 250, 0, NULL, &error);
  g_assert_no_error (error);
  /* The test driver has no CPU cap (no cpu-limit capability). */
  vmgr_dbus_vm_call_set_cpu_sync (vm, 2, 250, 120, NULL, &error);
  vmgr_test_assert_dbus_error (error, "org.vmgr.Error.NotSupported", "cpu-limit");
  g_clear_error (&error);
  vmgr_dbus_vm_call_set_disk_sync (vm, GiB, 2 * GiB, NULL, &error);
  g_assert_no_error (error);
  g_variant_dict_init (&network, NULL);
  g_variant_dict_insert (&network, "hostname", "s", "db1");
  g_variant_dict_insert_value (&network, "addresses", g_variant_new_strv (addresses, -1));
  g_variant_dict_insert (&network, "gateway", "s", "198.51.100.1");
  vmgr_dbus_vm_call_set_network_sync (vm, g_variant_dict_end (&network), NULL, &error);
  g_assert_no_error (error);
  vmgr_dbus_vm_call_set_autostart_sync (vm, TRUE, NULL, &error);
  g_assert_no_error (error);
  vmgr_dbus_vm_call_set_owner_sync (vm, 60003, NULL, &error);
  g_assert_no_error (error);

  /* PropertiesChanged brings every value to the proxy's cache. */
  g_assert_true (vmgr_test_wait (owner_is_bob, vm, WAIT_MS));
  g_assert_cmpuint (vmgr_dbus_vm_get_memory_guarantee (vm), ==, 32 * MiB);
  g_assert_cmpuint (vmgr_dbus_vm_get_memory_soft_limit (vm), ==, 64 * MiB);
  g_assert_cmpuint (vmgr_dbus_vm_get_memory_limit (vm), ==, 128 * MiB);
  g_assert_cmpuint (vmgr_dbus_vm_get_vcpus (vm), ==, 2);
  g_assert_cmpuint (vmgr_dbus_vm_get_cpu_weight (vm), ==, 250);
  g_assert_cmpuint (vmgr_dbus_vm_get_cpu_limit (vm), ==, 0);
  g_assert_cmpuint (vmgr_dbus_vm_get_disk_soft_limit (vm), ==, GiB);
  g_assert_cmpuint (vmgr_dbus_vm_get_disk_hard_limit (vm), ==, 2 * GiB);
  g_assert_cmpstr (vmgr_dbus_vm_get_hostname (vm), ==, "db1");
  g_assert_cmpstr (vmgr_dbus_vm_get_addresses (vm)[0], ==, "198.51.100.7/24");
  g_assert_cmpstr (vmgr_dbus_vm_get_gateway (vm), ==, "198.51.100.1");
  g_assert_true (vmgr_dbus_vm_get_autostart (vm));
  g_assert_cmpuint (vmgr_dbus_vm_get_owner (vm), ==, 60003);
  g_assert_cmpstr (vmgr_dbus_vm_get_owner_name (vm), ==, "bob");
}

static void
test_setters_bad_input (void)
{
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  g_autoptr(VmgrDBusVM) vm = vmgr_test_create_and_open (client, "guarded", NULL);
  g_autoptr(GError) error = NULL;
  const char *bad_cidr[] = { "300.1.1.1/24", NULL };

  vmgr_dbus_vm_call_set_memory_sync (vm, 2 * GiB, GiB, 512 * MiB, NULL, &error);
  vmgr_test_assert_dbus_error (error, "org.vmgr.Error.InvalidArgument", NULL);
  g_clear_error (&error);
  vmgr_dbus_vm_call_set_memory_sync (vm, 0, 0, 0, NULL, &error);
  vmgr_test_assert_dbus_error (error, "org.vmgr.Error.InvalidArgument", "memory_limit");
  g_clear_error (&error);
  /* A byte of memory, a byte of disk: below what any guest can have. */
  vmgr_dbus_vm_call_set_memory_sync (vm, 0, 0, 1, NULL, &error);
  vmgr_test_assert_dbus_error (error, "org.vmgr.Error.InvalidArgument", "minimum of 16 MiB");
  g_clear_error (&error);
  vmgr_dbus_vm_call_set_disk_sync (vm, 0, 1, NULL, &error);
  vmgr_test_assert_dbus_error (error, "org.vmgr.Error.InvalidArgument", "minimum of 64 MiB");
  g_clear_error (&error);
  vmgr_dbus_vm_call_set_cpu_sync (vm, 0, 100, 0, NULL, &error);
  vmgr_test_assert_dbus_error (error, "org.vmgr.Error.InvalidArgument", "vcpus");
  g_clear_error (&error);
  vmgr_dbus_vm_call_set_cpu_sync (vm, 1, 0, 0, NULL, &error);
  vmgr_test_assert_dbus_error (error, "org.vmgr.Error.InvalidArgument", "weight");
  g_clear_error (&error);
  vmgr_dbus_vm_call_set_cpu_sync (vm, 1, 100, 500, NULL, &error);
  vmgr_test_assert_dbus_error (error, "org.vmgr.Error.InvalidArgument", "cpu_limit");
  g_clear_error (&error);
  vmgr_dbus_vm_call_set_disk_sync (vm, 2 * GiB, GiB, NULL, &error);
  vmgr_test_assert_dbus_error (error, "org.vmgr.Error.InvalidArgument", "disk");
  g_clear_error (&error);
  vmgr_dbus_vm_call_set_network_sync (vm, one_option ("addresses",
                                                      g_variant_new_strv (bad_cidr, -1)),
                                      NULL, &error);
  vmgr_test_assert_dbus_error (error, "org.vmgr.Error.InvalidArgument", "300.1.1.1/24");
  g_clear_error (&error);
  vmgr_dbus_vm_call_set_network_sync (vm, one_option ("vcpus", g_variant_new_uint32 (2)),
                                      NULL, &error);
  vmgr_test_assert_dbus_error (error, "org.vmgr.Error.InvalidArgument", "vcpus");
  g_clear_error (&error);
  vmgr_dbus_vm_call_set_owner_sync (vm, 4242424, NULL, &error);
  vmgr_test_assert_dbus_error (error, "org.vmgr.Error.InvalidArgument", "4242424");

  /* Nothing changed. */
  g_assert_cmpuint (vmgr_dbus_vm_get_memory_limit (vm), ==, 64 * MiB);
  g_assert_cmpuint (vmgr_dbus_vm_get_vcpus (vm), ==, 1);
  g_assert_cmpuint (vmgr_dbus_vm_get_disk_hard_limit (vm), ==, GiB);
  g_assert_cmpuint (g_strv_length ((char **) vmgr_dbus_vm_get_addresses (vm)), ==, 0);
  g_assert_cmpuint (vmgr_dbus_vm_get_owner (vm), ==, 0);
}

static gboolean
list_has (GVariant *list, const char *name)
{
  GVariantIter iter;
  const char *entry;

  g_variant_iter_init (&iter, list);
  while (g_variant_iter_next (&iter, "(&s@a{sv})", &entry, NULL))
    if (g_str_equal (entry, name))
      return TRUE;
  return FALSE;
}

static void
test_templates (void)
{
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  g_autoptr(GVariant) before = NULL;
  g_autoptr(GVariant) after = NULL;
  g_autoptr(GError) error = NULL;
  GVariantDict props;
  g_autofree char *path = NULL;

  vmgr_dbus_manager_call_list_templates_sync (client->manager, &before, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (list_has (before, "debian-12"));
  g_assert_true (list_has (before, "centos-9"));
  g_variant_dict_init (&props, NULL);
  g_variant_dict_insert (&props, "os", "s", "Alpine 3.20");
  g_variant_dict_insert (&props, "description", "s", "tiny");
  vmgr_dbus_manager_call_add_template_sync (client->manager, "alpine",
                                            g_variant_dict_end (&props), NULL, &error);
  g_assert_no_error (error);
  vmgr_dbus_manager_call_add_template_sync (client->manager, "alpine",
                                            g_variant_new ("a{sv}", NULL), NULL, &error);
  vmgr_test_assert_dbus_error (error, "org.vmgr.Error.AlreadyExists", "alpine");
  g_clear_error (&error);
  vmgr_dbus_manager_call_add_template_sync (client->manager, "x",
                                            one_option ("flavour", g_variant_new_string ("y")),
                                            NULL, &error);
  vmgr_test_assert_dbus_error (error, "org.vmgr.Error.InvalidArgument", "flavour");
  g_clear_error (&error);
  vmgr_dbus_manager_call_add_template_sync (client->manager, "x",
                                            one_option ("source", g_variant_new_string ("rel/p")),
                                            NULL, &error);
  vmgr_test_assert_dbus_error (error, "org.vmgr.Error.InvalidArgument", "absolute");
  g_clear_error (&error);
  vmgr_dbus_manager_call_add_template_sync (client->manager, "x",
                                            one_option ("source",
                                                        g_variant_new_string ("/nonexistent/rootfs")),
                                            NULL, &error);
  vmgr_test_assert_dbus_error (error, "org.vmgr.Error.InvalidArgument", "does not exist");
  g_clear_error (&error);
  vmgr_dbus_manager_call_add_template_sync (client->manager, "bad name",
                                            g_variant_new ("a{sv}", NULL), NULL, &error);
  vmgr_test_assert_dbus_error (error, "org.vmgr.Error.InvalidArgument", NULL);
  g_clear_error (&error);

  path = vmgr_test_create_vm (client, "on-alpine", "alpine", "basic", NULL);
  vmgr_dbus_manager_call_remove_template_sync (client->manager, "alpine", NULL, &error);
  vmgr_test_assert_dbus_error (error, "org.vmgr.Error.InvalidState", "alpine");
  g_clear_error (&error);
  vmgr_dbus_manager_call_remove_template_sync (client->manager, "never-was", NULL, &error);
  vmgr_test_assert_dbus_error (error, "org.vmgr.Error.NotFound", "never-was");
  g_clear_error (&error);
  vmgr_dbus_manager_call_remove_template_sync (client->manager, "ubuntu-24.04", NULL, &error);
  g_assert_no_error (error);
  vmgr_dbus_manager_call_list_templates_sync (client->manager, &after, NULL, &error);
  g_assert_no_error (error);
  g_assert_false (list_has (after, "ubuntu-24.04"));
  g_assert_true (list_has (after, "alpine"));
}

static GVariant *
plan_limits (const char *name, GVariant *plans)
{
  GVariantIter iter;
  const char *entry;
  GVariant *limits;

  g_variant_iter_init (&iter, plans);
  while (g_variant_iter_next (&iter, "(&s@a{sv})", &entry, &limits))
    {
      if (g_str_equal (entry, name))
        return limits;
      g_variant_unref (limits);
    }
  return NULL;
}

static guint64
plan_value (GVariant *plans, const char *name, const char *key)
{
  g_autoptr(GVariant) limits = plan_limits (name, plans);
  guint64 value = 0;

  g_assert_nonnull (limits);
  g_assert_true (g_variant_lookup (limits, key, "t", &value));
  return value;
}

static void
test_plans (void)
{
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  g_autoptr(GVariant) plans = NULL;
  g_autoptr(GVariant) updated = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;

  vmgr_dbus_manager_call_list_plans_sync (client->manager, &plans, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (plan_value (plans, "basic", "memory_limit"), ==, 64 * MiB);
  g_assert_cmpuint (plan_value (plans, "basic", "disk_hard_limit"), ==, GiB);
  g_assert_cmpuint (plan_value (plans, "complete", "memory_limit"), ==, 128 * MiB);
  g_assert_cmpuint (plan_value (plans, "complete", "disk_hard_limit"), ==, 2 * GiB);
  g_assert_cmpuint (plan_value (plans, "professional", "memory_limit"), ==, 256 * MiB);
  g_assert_cmpuint (plan_value (plans, "professional", "disk_hard_limit"), ==, 4 * GiB);

  vmgr_dbus_manager_call_set_plan_sync (client->manager, "huge",
                                        one_option ("memory_limit", g_variant_new_uint64 (GiB)),
                                        NULL, &error);
  g_assert_no_error (error);
  vmgr_dbus_manager_call_set_plan_sync (client->manager, "huge",
                                        one_option ("memory_limit",
                                                    g_variant_new_uint64 (2 * GiB)),
                                        NULL, &error);
  g_assert_no_error (error);
  vmgr_dbus_manager_call_list_plans_sync (client->manager, &updated, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (plan_value (updated, "huge", "memory_limit"), ==, 2 * GiB);
  /* An update keeps what it does not name. */
  vmgr_dbus_manager_call_set_plan_sync (client->manager, "huge",
                                        one_option ("vcpus", g_variant_new_uint32 (2)),
                                        NULL, &error);
  g_assert_no_error (error);
  g_clear_pointer (&updated, g_variant_unref);
  vmgr_dbus_manager_call_list_plans_sync (client->manager, &updated, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (plan_value (updated, "huge", "memory_limit"), ==, 2 * GiB);
  {
    g_autoptr(GVariant) limits = plan_limits ("huge", updated);
    guint32 vcpus = 0;

    g_assert_true (g_variant_lookup (limits, "vcpus", "u", &vcpus));
    g_assert_cmpuint (vcpus, ==, 2);
  }
  vmgr_dbus_manager_call_set_plan_sync (client->manager, "huge",
                                        one_option ("memory_limit", g_variant_new_uint64 (0)),
                                        NULL, &error);
  vmgr_test_assert_dbus_error (error, "org.vmgr.Error.InvalidArgument", "memory_limit");
  g_clear_error (&error);

  vmgr_dbus_manager_call_set_plan_sync (client->manager, "nomem",
                                        one_option ("vcpus", g_variant_new_uint32 (2)),
                                        NULL, &error);
  vmgr_test_assert_dbus_error (error, "org.vmgr.Error.InvalidArgument", "memory_limit");
  g_clear_error (&error);
  vmgr_dbus_manager_call_set_plan_sync (client->manager, "typo",
                                        one_option ("memory_limit", g_variant_new_uint32 (1)),
                                        NULL, &error);
  vmgr_test_assert_dbus_error (error, "org.vmgr.Error.InvalidArgument", "memory_limit");
  g_clear_error (&error);

  path = vmgr_test_create_vm (client, "on-huge", "debian-12", "huge", NULL);
  vmgr_dbus_manager_call_remove_plan_sync (client->manager, "huge", NULL, &error);
  vmgr_test_assert_dbus_error (error, "org.vmgr.Error.InvalidState", "huge");
  g_clear_error (&error);
  vmgr_dbus_manager_call_remove_plan_sync (client->manager, "never-was", NULL, &error);
  vmgr_test_assert_dbus_error (error, "org.vmgr.Error.NotFound", "never-was");
  g_clear_error (&error);
  vmgr_dbus_manager_call_set_plan_sync (client->manager, "spare",
                                        one_option ("memory_limit", g_variant_new_uint64 (GiB)),
                                        NULL, &error);
  g_assert_no_error (error);
  vmgr_dbus_manager_call_remove_plan_sync (client->manager, "spare", NULL, &error);
  g_assert_no_error (error);
}

static GVariant *
raw_call (VmgrTestClient *client, const char *path, const char *interface,
          const char *member, GVariant *args, GError **error)
{
  return g_dbus_connection_call_sync (client->bus, "org.vmgr", path, interface, member, args,
                                      NULL, G_DBUS_CALL_FLAGS_NONE, -1, NULL, error);
}

static void
test_unknown_members_denied (void)
{
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  g_autofree char *path = vmgr_test_create_vm (client, "members", "debian-12", "basic", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) missing_error = NULL;
  GVariant *reply;

  reply = raw_call (client, "/org/vmgr/Manager", "org.vmgr.Manager", "Bogus", NULL, &error);
  g_assert_null (reply);
  vmgr_test_assert_dbus_error (error, "org.vmgr.Error.NotAuthorized", "Bogus");
  g_clear_error (&error);
  reply = raw_call (client, path, "org.freedesktop.DBus.Properties", "Set",
                    g_variant_new ("(ssv)", "org.vmgr.VM", "Name", g_variant_new_string ("x")),
                    &error);
  g_assert_null (reply);
  /* Properties change through the methods: the property says so. */
  vmgr_test_assert_dbus_error (error, "org.freedesktop.DBus.Error.PropertyReadOnly", "Name");
  g_clear_error (&error);
  reply = raw_call (client, "/org/vmgr/Manager", "org.freedesktop.DBus.Properties", "Set",
                    g_variant_new ("(ssv)", "org.vmgr.Manager", "Version",
                                   g_variant_new_string ("x")), &error);
  g_assert_null (reply);
  vmgr_test_assert_dbus_error (error, "org.freedesktop.DBus.Error.PropertyReadOnly", "Version");
  g_clear_error (&error);
  /* An unknown member on a VM answers like a VM that does not exist. */
  reply = raw_call (client, path, "org.vmgr.VM", "Bogus", NULL, &error);
  g_assert_null (reply);
  reply = raw_call (client, "/org/vmgr/vm/99999", "org.vmgr.VM", "Start", NULL, &missing_error);
  g_assert_null (reply);
  vmgr_test_assert_dbus_error (error, "org.freedesktop.DBus.Error.UnknownMethod", NULL);
  vmgr_test_assert_dbus_error (missing_error, "org.freedesktop.DBus.Error.UnknownMethod", NULL);
  g_clear_error (&error);
  /* Wrongly typed arguments on a VM the caller sees: InvalidArgs. */
  reply = raw_call (client, path, "org.vmgr.VM", "Start", g_variant_new ("(i)", 1), &error);
  g_assert_null (reply);
  vmgr_test_assert_dbus_error (error, "org.freedesktop.DBus.Error.InvalidArgs", NULL);
}

static void
test_query_audit (void)
{
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  g_autofree char *path G_GNUC_UNUSED = vmgr_test_create_vm (client, "audited", "debian-12", "basic", NULL);
  g_autoptr(GVariant) entries = NULL;
  g_autoptr(GError) error = NULL;
  GVariantDict filter;
  GVariantIter iter;
  gint64 time;
  guint32 uid;
  const char *caller, *action, *target, *result, *message;
  gboolean found = FALSE;

  g_variant_dict_init (&filter, NULL);
  g_variant_dict_insert (&filter, "target", "s", "/org/vmgr/Manager");
  g_variant_dict_insert (&filter, "limit", "u", 1000);
  vmgr_dbus_manager_call_query_audit_sync (client->manager, g_variant_dict_end (&filter),
                                           &entries, NULL, &error);
  g_assert_no_error (error);
  g_variant_iter_init (&iter, entries);
  while (g_variant_iter_next (&iter, "(xu&s&s&s&s&s)", &time, &uid, &caller, &action, &target,
                              &result, &message))
    if (g_str_equal (action, "org.vmgr.vm.create") && g_str_equal (result, "allowed"))
      found = TRUE;
  g_assert_true (found);
  vmgr_dbus_manager_call_query_audit_sync (client->manager,
                                           one_option ("colour", g_variant_new_string ("x")),
                                           NULL, NULL, &error);
  vmgr_test_assert_dbus_error (error, "org.vmgr.Error.InvalidArgument", "colour");
  g_clear_error (&error);
  vmgr_dbus_manager_call_query_audit_sync (client->manager,
                                           one_option ("limit", g_variant_new_string ("x")),
                                           NULL, NULL, &error);
  vmgr_test_assert_dbus_error (error, "org.vmgr.Error.InvalidArgument", "limit");
}

static void
test_restart_keeps_everything (void)
{
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  g_autofree char *kept = vmgr_test_create_vm (client, "kept", "debian-12", "complete",
                                               full_options (501));
  g_autofree char *plain = vmgr_test_create_vm (client, "plain", "debian-12", "basic", NULL);
  g_auto(GStrv) before = NULL;
  g_auto(GStrv) after = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(VmgrTestClient) again = NULL;
  g_autoptr(VmgrDBusVM) kept_vm = NULL;
  g_autoptr(VmgrDBusVM) plain_vm = NULL;

  g_assert_cmpstr (kept, ==, "/org/vmgr/vm/501");
  vmgr_dbus_manager_call_list_vms_sync (client->manager, &before, NULL, &error);
  g_assert_no_error (error);
  g_clear_pointer (&client, vmgr_test_client_free);

  vmgr_test_daemon_restart (daemon_under_test);

  again = vmgr_test_client_new ();
  vmgr_dbus_manager_call_list_vms_sync (again->manager, &after, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_strv_equal ((const char * const *) before, (const char * const *) after));
  kept_vm = vmgr_test_client_vm (again, kept);
  assert_full_options (kept_vm, 501);
  g_assert_cmpstr (vmgr_dbus_vm_get_plan (kept_vm), ==, "complete");
  /* Autostart VMs are started when the daemon starts. */
  g_assert_true (vmgr_test_wait_state (kept_vm, "running", WAIT_MS));
  plain_vm = vmgr_test_client_vm (again, plain);
  g_assert_cmpstr (vmgr_dbus_vm_get_state (plain_vm), ==, "stopped");
  g_assert_cmpstr (vmgr_dbus_vm_get_name (plain_vm), ==, "plain");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/lifecycle/first-id-and-plan-defaults", test_first_id_and_plan_defaults);
  g_test_add_func ("/lifecycle/create-with-options", test_create_with_options);
  g_test_add_func ("/lifecycle/state-signals", test_state_signals);
  g_test_add_func ("/lifecycle/stop-and-restart", test_stop_and_restart);
  g_test_add_func ("/lifecycle/delete", test_delete);
  g_test_add_func ("/lifecycle/find-vm", test_find_vm);
  g_test_add_func ("/lifecycle/create-bad-input", test_create_bad_input);
  g_test_add_func ("/lifecycle/impossible-transitions", test_impossible_transitions);
  g_test_add_func ("/lifecycle/setters", test_setters);
  g_test_add_func ("/lifecycle/setters-bad-input", test_setters_bad_input);
  g_test_add_func ("/lifecycle/templates", test_templates);
  g_test_add_func ("/lifecycle/plans", test_plans);
  g_test_add_func ("/lifecycle/unknown-members-denied", test_unknown_members_denied);
  g_test_add_func ("/lifecycle/query-audit", test_query_audit);
  g_test_add_func ("/lifecycle/restart-keeps-everything", test_restart_keeps_everything);

  /* Many VMs on the test driver's 3 GiB host: overcommit memory. */
  return vmgr_test_run_with_daemon ("[resources]\nmemory_overcommit=1000\n", NULL,
                                    &daemon_under_test);
}
