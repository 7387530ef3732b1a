/* Resources and monitoring on the test driver: live changes reach the
 * running guest (seen in fresh samples), every change persists across a
 * daemon restart, what the driver cannot do is refused, the host's
 * capacity bounds what VMs get, usage is sampled on an interval and only
 * while VMs run, and GetHostInfo counts and sums. */
#include "vmgr-test-client.h"
#include "vmgr-test-env.h"

#define MiB (G_GUINT64_CONSTANT (1) << 20)
#define GiB (G_GUINT64_CONSTANT (1) << 30)
#define WAIT_MS 10000

static VmgrTestDaemon *daemon_under_test;

static VmgrDBusVM *
running_vm (VmgrTestClient *client, const char *name)
{
  g_autofree char *path = vmgr_test_create_vm (client, name, "debian-12", "basic", NULL);
  VmgrDBusVM *vm = vmgr_test_client_vm (client, path);
  g_autoptr(GError) error = NULL;

  vmgr_dbus_vm_call_start_sync (vm, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (vmgr_test_wait_state (vm, "running", WAIT_MS));
  return vm;
}

static GVariant *
stats (VmgrDBusVM *vm)
{
  g_autoptr(GError) error = NULL;
  GVariant *result = NULL;

  vmgr_dbus_vm_call_get_stats_sync (vm, &result, NULL, &error);
  g_assert_no_error (error);
  return result;
}

static guint64
lookup_t (GVariant *dict, const char *key)
{
  guint64 value = 0;

  if (!g_variant_lookup (dict, key, "t", &value))
    g_error ("no '%s' in %s", key, g_variant_print (dict, FALSE));
  return value;
}

static void
test_capabilities (void)
{
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  const char * const *capabilities = vmgr_dbus_manager_get_capabilities (client->manager);

  g_assert_cmpstr (vmgr_dbus_manager_get_backend (client->manager), ==, "test");
  /* Only what the API does: the test driver cannot grow a running VM's
   * memory; it has snapshots (VM.CreateSnapshot). */
  g_assert_false (g_strv_contains (capabilities, "live-memory"));
  g_assert_true (g_strv_contains (capabilities, "snapshots"));
  g_assert_true (g_strv_contains (capabilities, "stats-cpu"));
  g_assert_false (g_strv_contains (capabilities, "cpu-limit"));
  g_assert_false (g_strv_contains (capabilities, "console"));
}

static void
test_refusals_name_the_setting (void)
{
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  g_autoptr(VmgrDBusVM) vm = running_vm (client, "refused");
  g_autoptr(GError) error = NULL;
  GVariantDict options;
  g_autofree char *path = NULL;
  GUnixFDList *fds = NULL;
  GVariant *fd = NULL;

  vmgr_dbus_vm_call_set_cpu_sync (vm, 1, 100, 50, NULL, &error);
  vmgr_test_assert_dbus_error (error, "org.vmgr.Error.NotSupported", "cpu-limit");
  g_clear_error (&error);
  g_variant_dict_init (&options, NULL);
  g_variant_dict_insert (&options, "cpu_limit", "u", 50);
  vmgr_dbus_manager_call_create_vm_sync (client->manager, "capped", "debian-12", "basic",
                                         g_variant_dict_end (&options), &path, NULL, &error);
  vmgr_test_assert_dbus_error (error, "org.vmgr.Error.NotSupported", "cpu-limit");
  g_clear_error (&error);
  vmgr_dbus_vm_call_open_console_sync (vm, NULL, &fd, &fds, NULL, &error);
  vmgr_test_assert_dbus_error (error, "org.vmgr.Error.NotSupported", "console");
  g_assert_cmpuint (vmgr_dbus_vm_get_cpu_limit (vm), ==, 0);
}

static void
test_live_memory_reaches_guest (void)
{
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  g_autoptr(VmgrDBusVM) vm = running_vm (client, "balloon");
  g_autoptr(GVariant) before = stats (vm);
  g_autoptr(GVariant) after = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_cmpuint (lookup_t (before, "memory_used"), ==, 64 * MiB);
  vmgr_dbus_vm_call_set_memory_sync (vm, 0, 32 * MiB, 48 * MiB, NULL, &error);
  g_assert_no_error (error);
  after = stats (vm);
  /* The running guest has the new size, not only the stored definition. */
  g_assert_cmpuint (lookup_t (after, "memory_used"), ==, 48 * MiB);
  vmgr_dbus_vm_call_set_cpu_sync (vm, 2, 300, 0, NULL, &error);
  g_assert_no_error (error);
}

typedef struct {
  VmgrDBusVM *vm;
  gint64 after;
} UsageWait;

static gint64
usage_time (VmgrDBusVM *vm)
{
  GVariant *usage = vmgr_dbus_vm_get_usage (vm);
  gint64 sampled_at = 0;

  if (usage != NULL)
    g_variant_lookup (usage, "sampled_at", "x", &sampled_at);
  return sampled_at;
}

static gboolean
usage_newer (gpointer data)
{
  UsageWait *wait = data;

  return usage_time (wait->vm) > wait->after;
}

static void
test_usage_sampled_while_running (void)
{
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  g_autoptr(VmgrDBusVM) vm = running_vm (client, "sampled");
  UsageWait wait = { vm, 0 };
  GVariant *usage;
  guint64 cpu_first, cpu_second;
  double percent = -1;
  g_autoptr(GError) error = NULL;
  g_autofree char *stopped_path = vmgr_test_create_vm (client, "idle", "debian-12", "basic", NULL);
  g_autoptr(VmgrDBusVM) stopped = vmgr_test_client_vm (client, stopped_path);

  /* The interval is 1 s here: two samples arrive by themselves. */
  g_assert_true (vmgr_test_wait (usage_newer, &wait, WAIT_MS));
  usage = vmgr_dbus_vm_get_usage (vm);
  cpu_first = lookup_t (usage, "cpu_time_ns");
  g_assert_cmpuint (lookup_t (usage, "memory_used"), ==, 64 * MiB);
  wait.after = usage_time (vm);
  g_assert_true (vmgr_test_wait (usage_newer, &wait, WAIT_MS));
  usage = vmgr_dbus_vm_get_usage (vm);
  cpu_second = lookup_t (usage, "cpu_time_ns");
  g_assert_cmpuint (cpu_second, >, cpu_first);
  g_assert_true (g_variant_lookup (usage, "cpu_percent", "d", &percent));
  g_assert_cmpfloat (percent, >, 0.0);
  g_assert_true (g_variant_lookup (usage, "uptime_s", "t", NULL));
  /* A stopped VM is never sampled. */
  g_assert_cmpint (usage_time (stopped), ==, 0);
  vmgr_dbus_vm_call_stop_sync (vm, NULL, &error);
  g_assert_no_error (error);
}

static void
test_host_capacity (void)
{
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  GVariantDict options;

  g_variant_dict_init (&options, NULL);
  g_variant_dict_insert (&options, "memory_limit", "t", 64 * GiB);
  vmgr_dbus_manager_call_create_vm_sync (client->manager, "too-big", "debian-12", "",
                                         g_variant_dict_end (&options), &path, NULL, &error);
  vmgr_test_assert_dbus_error (error, "org.vmgr.Error.QuotaExceeded", "memory");
  g_clear_error (&error);
  g_variant_dict_init (&options, NULL);
  g_variant_dict_insert (&options, "vcpus", "u", 64);
  vmgr_dbus_manager_call_create_vm_sync (client->manager, "too-wide", "debian-12", "basic",
                                         g_variant_dict_end (&options), &path, NULL, &error);
  vmgr_test_assert_dbus_error (error, "org.vmgr.Error.InvalidArgument", "vcpus");
}

static guint32
lookup_u (GVariant *dict, const char *key)
{
  guint32 value = 0;

  g_assert_true (g_variant_lookup (dict, key, "u", &value));
  return value;
}

static void
test_host_info (void)
{
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  g_autoptr(GVariant) info = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) vms = NULL;
  guint64 memory = 0;

  vmgr_dbus_manager_call_get_host_info_sync (client->manager, &info, NULL, &error);
  g_assert_no_error (error);
  vmgr_dbus_manager_call_list_vms_sync (client->manager, &vms, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (lookup_u (info, "cpus"), >, 0);
  g_assert_cmpuint (lookup_t (info, "memory_total"), >, 0);
  g_assert_cmpuint (lookup_u (info, "vms"), ==, g_strv_length (vms));
  g_assert_cmpuint (lookup_u (info, "vms_running") + lookup_u (info, "vms_stopped"), ==,
                    g_strv_length (vms));
  for (guint i = 0; vms[i] != NULL; i++)
    {
      g_autoptr(VmgrDBusVM) vm = vmgr_test_client_vm (client, vms[i]);

      memory += vmgr_dbus_vm_get_memory_limit (vm);
    }
  g_assert_cmpuint (lookup_t (info, "allocated_memory"), ==, memory);
  g_assert_cmpuint (lookup_t (info, "disk_total"), >, 0);
}

static void
test_changes_persist (void)
{
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  g_autofree char *path = vmgr_test_create_vm (client, "kept", "debian-12", "basic", NULL);
  g_autoptr(VmgrDBusVM) vm = vmgr_test_client_vm (client, path);
  g_autoptr(VmgrDBusVM) again_vm = NULL;
  g_autoptr(VmgrTestClient) again = NULL;
  g_autoptr(GVariant) sample = NULL;
  g_autoptr(GError) error = NULL;

  vmgr_dbus_vm_call_set_memory_sync (vm, 16 * MiB, 40 * MiB, 80 * MiB, NULL, &error);
  g_assert_no_error (error);
  vmgr_dbus_vm_call_set_disk_sync (vm, GiB, 3 * GiB, NULL, &error);
  g_assert_no_error (error);
  vmgr_dbus_vm_call_set_cpu_sync (vm, 2, 400, 0, NULL, &error);
  g_assert_no_error (error);
  g_clear_pointer (&client, vmgr_test_client_free);
  g_clear_object (&vm);

  vmgr_test_daemon_restart (daemon_under_test);

  again = vmgr_test_client_new ();
  again_vm = vmgr_test_client_vm (again, path);
  g_assert_cmpuint (vmgr_dbus_vm_get_memory_guarantee (again_vm), ==, 16 * MiB);
  g_assert_cmpuint (vmgr_dbus_vm_get_memory_soft_limit (again_vm), ==, 40 * MiB);
  g_assert_cmpuint (vmgr_dbus_vm_get_memory_limit (again_vm), ==, 80 * MiB);
  g_assert_cmpuint (vmgr_dbus_vm_get_disk_soft_limit (again_vm), ==, GiB);
  g_assert_cmpuint (vmgr_dbus_vm_get_disk_hard_limit (again_vm), ==, 3 * GiB);
  g_assert_cmpuint (vmgr_dbus_vm_get_vcpus (again_vm), ==, 2);
  g_assert_cmpuint (vmgr_dbus_vm_get_cpu_weight (again_vm), ==, 400);
  /* libvirt got the definition again from the store: the guest boots with it. */
  vmgr_dbus_vm_call_start_sync (again_vm, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (vmgr_test_wait_state (again_vm, "running", WAIT_MS));
  sample = stats (again_vm);
  g_assert_cmpuint (lookup_t (sample, "memory_used"), ==, 80 * MiB);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/resources/capabilities", test_capabilities);
  g_test_add_func ("/resources/refusals-name-the-setting", test_refusals_name_the_setting);
  g_test_add_func ("/resources/live-memory-reaches-guest", test_live_memory_reaches_guest);
  g_test_add_func ("/resources/usage-sampled-while-running", test_usage_sampled_while_running);
  g_test_add_func ("/resources/host-capacity", test_host_capacity);
  g_test_add_func ("/resources/host-info", test_host_info);
  g_test_add_func ("/resources/changes-persist", test_changes_persist);

  return vmgr_test_run_with_daemon ("[monitoring]\ninterval=1\n", NULL, &daemon_under_test);
}
