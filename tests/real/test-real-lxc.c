/* vmgrd on real LXC containers through a private libvirtd (run under
 * tests/harness/testbus.sh -- tests/harness/libvirtd.sh): provisioning as
 * a job, limits in the container's cgroup files (at start and live),
 * real usage, the console for its owner only, libvirtd going away and
 * coming back, a daemon restart that re-adopts the running container,
 * graceful shutdown, and deletion that leaves nothing behind; its root
 * image full at the limit, grown, snapshotted and reverted. */
#include <signal.h>
#include <unistd.h>

#include "real-helpers.h"

#define MiB (G_GUINT64_CONSTANT (1) << 20)
#define WAIT_MS 30000
#define VM_NAME "ct1"

static VmgrTestDaemon *daemon_under_test;
static char *vm_path;

/* libvirt's name of the container: NAME-ID (see vmgr_domain_name). */
static char *
domain_name (void)
{
  g_assert_nonnull (vm_path);
  return g_strdup_printf ("%s-%s", VM_NAME, strrchr (vm_path, '/') + 1);
}
static char *guest_dir;

static char *
container_cgroup (const char *controller)
{
  g_autofree char *machine = g_build_filename ("/sys/fs/cgroup", controller, "machine", NULL);
  g_autofree char *domain = domain_name ();
  g_autofree char *suffix = g_strdup_printf ("-%s.libvirt-lxc", domain);
  g_autoptr(GDir) dir = g_dir_open (machine, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (machine, name, NULL);
      g_autofree char *procs_file = g_build_filename (path, "cgroup.procs", NULL);
      g_autofree char *procs = NULL;

      if (g_str_has_prefix (name, "lxc-") && g_str_has_suffix (name, suffix) &&
          g_file_get_contents (procs_file, &procs, NULL, NULL) && *procs != '\0')
        return g_steal_pointer (&path);
    }
  return NULL;
}

static const char *
cgroup_text (const char *controller, const char *file)
{
  static char text[64];
  g_autofree char *dir = container_cgroup (controller);
  g_autofree char *path = NULL;
  g_autofree char *contents = NULL;

  g_assert_nonnull (dir);
  path = g_build_filename (dir, file, NULL);
  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  g_strlcpy (text, g_strstrip (contents), sizeof text);
  return text;
}

static guint64
cgroup_value (const char *controller, const char *file)
{
  g_autofree char *dir = container_cgroup (controller);
  g_autofree char *path = NULL;
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_nonnull (dir);
  path = g_build_filename (dir, file, NULL);
  g_file_get_contents (path, &text, NULL, &error);
  g_assert_no_error (error);
  return g_ascii_strtoull (text, NULL, 10);
}

static VmgrDBusVM *
open_vm (VmgrTestClient *client)
{
  return vmgr_test_client_vm (client, vm_path);
}

/* The output of the /bin/sh command @format, which must succeed. */
static G_GNUC_PRINTF (1, 2) char *
sh_output (const char *format, ...)
{
  va_list args;
  g_autofree char *command = NULL;
  char *out = NULL;
  int status = -1;

  va_start (args, format);
  command = g_strdup_vprintf (format, args);
  va_end (args);
  g_assert_true (g_spawn_sync (NULL, (char *[]) { "/bin/sh", "-c", command, NULL }, NULL,
                               G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, &out, NULL, &status, NULL));
  g_assert_cmpint (status, ==, 0);
  return out;
}

/* A file of the stopped container's root image. */
#define image_file(path) sh_output ("debugfs -R 'cat %s' %s/root.img", path, guest_dir)

static guint64
image_size (gboolean filesystem)
{
  g_autofree char *out = filesystem
    ? sh_output ("dumpe2fs -h %s/root.img | awk -F: '/^Block count/{c=$2} "
                 "/^Block size/{b=$2} END{print c*b}'", guest_dir)
    : sh_output ("stat -c %%s %s/root.img", guest_dir);

  return g_ascii_strtoull (out, NULL, 10);
}

static void
test_provision_as_job (void)
{
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  g_autofree char *source = vmgr_test_ensure_template ("busybox-lxc", "lxc");
  g_autoptr(GError) error = NULL;
  g_autoptr(VmgrDBusVM) vm = NULL;
  g_autoptr(VmgrDBusJob) job = NULL;
  g_autofree char *hostname_file = NULL;
  g_autofree char *hostname = NULL;
  GVariantDict options;
  gint64 started;

  vmgr_real_add_template (client, "busybox", "busybox", source);
  g_variant_dict_init (&options, NULL);
  g_variant_dict_insert (&options, "owner", "u", VMGR_TEST_UID_ALICE);
  g_variant_dict_insert (&options, "memory_limit", "t", 128 * MiB);
  g_variant_dict_insert (&options, "memory_soft_limit", "t", 64 * MiB);
  g_variant_dict_insert (&options, "cpu_weight", "u", 200);
  g_variant_dict_insert (&options, "cpu_limit", "u", 50);
  g_variant_dict_insert (&options, "disk_hard_limit", "t", 128 * MiB);
  g_variant_dict_insert (&options, "hostname", "s", "ct1.example.org");
  g_variant_dict_insert_value (&options, "addresses",
                               g_variant_new_strv ((const char * const[]) { "10.77.0.7/24", NULL },
                                                   -1));
  started = g_get_monotonic_time ();
  vmgr_dbus_manager_call_create_vm_sync (client->manager, VM_NAME, "busybox", "",
                                         g_variant_dict_end (&options), &vm_path, NULL, &error);
  g_assert_no_error (error);
  g_setenv ("VMGR_TEST_VM_PATH", vm_path, TRUE);   /* for the subprocesses */
  vm = open_vm (client);
  /* CreateVM answered at once: the VM provisions under a job. */
  if (g_strcmp0 (vmgr_dbus_vm_get_job (vm), "/") != 0)
    {
      job = vmgr_dbus_job_proxy_new_sync (client->bus, G_DBUS_PROXY_FLAGS_NONE, "org.vmgr",
                                          vmgr_dbus_vm_get_job (vm), NULL, NULL);
      if (job != NULL && vmgr_dbus_job_get_operation (job) != NULL)
        {
          g_assert_cmpstr (vmgr_dbus_job_get_operation (job), ==, "provision");
          g_assert_cmpstr (vmgr_dbus_job_get_target (job), ==, vm_path);
        }
    }
  g_assert_true (vmgr_test_wait (vmgr_real_provisioned, vm, WAIT_MS));
  g_test_message ("provisioned in %" G_GINT64_FORMAT " ms",
                  (g_get_monotonic_time () - started) / 1000);
  guest_dir = vmgr_real_guest_dir (daemon_under_test, vm);
  hostname_file = g_build_filename (guest_dir, "rootfs", NULL);
  g_assert_false (g_file_test (hostname_file, G_FILE_TEST_EXISTS));
  g_assert_cmpuint (image_size (FALSE), ==, 128 * MiB);
  g_assert_cmpuint (image_size (TRUE), ==, 128 * MiB);
  hostname = image_file ("/etc/hostname");
  g_assert_cmpstr (g_strstrip (hostname), ==, "ct1.example.org");
}

static void
test_vmgrctl_container (void)
{
  g_autofree char *out = NULL, *err = NULL, *show = NULL, *gone = NULL;
  int status;

  status = vmgr_test_run_vmgrctl_as (VMGR_TEST_UID_ROOT, &out, &err, "create", "ct2",
                                     "--template", "busybox", "--memory", "64M", "--start",
                                     NULL);
  g_assert_cmpint (status, ==, 0);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  status = vmgr_test_run_vmgrctl_as (VMGR_TEST_UID_ROOT, &show, &err, "show", "ct2", NULL);
  g_assert_cmpint (status, ==, 0);
  g_assert_nonnull (strstr (show, "running"));
  g_clear_pointer (&err, g_free);
  status = vmgr_test_run_vmgrctl_as (VMGR_TEST_UID_ROOT, &out, &err, "delete", "ct2", "--force",
                                     NULL);
  g_assert_cmpint (status, ==, 0);
  g_clear_pointer (&err, g_free);
  status = vmgr_test_run_vmgrctl_as (VMGR_TEST_UID_ROOT, &gone, &err, "show", "ct2", NULL);
  g_assert_cmpint (status, ==, 3);
}

typedef struct {
  gboolean done;
  gboolean success;
  char *error;
} Completion;

static void
on_job_completed (VmgrDBusJob *job, gboolean success, const char *error, gpointer data)
{
  Completion *completion = data;

  completion->done = TRUE;
  completion->success = success;
  completion->error = g_strdup (error);
}

static gboolean
completed (gpointer data)
{
  return ((Completion *) data)->done;
}

/* A template big enough that copying it takes a while. */
static char *
make_big_template (void)
{
  g_autofree char *source = vmgr_test_ensure_template ("busybox-lxc", "lxc");
  char *big = g_build_filename (g_getenv ("VMGR_TESTBUS_DIR"), "big-template", NULL);
  g_autofree char *command = g_strdup_printf ("cp -a %s %s && mkdir %s/filler && "
                                              "for i in $(seq 1 400); do head -c 262144 "
                                              "/dev/zero > %s/filler/$i; done",
                                              source, big, big, big);

  g_free (sh_output ("%s", command));
  return big;
}

static void
test_cancelled_provisioning_leaves_nothing (void)
{
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  g_autofree char *big = make_big_template ();
  g_autofree char *path = NULL;
  g_autofree char *dir = NULL;
  g_autoptr(VmgrDBusVM) vm = NULL;
  g_autoptr(VmgrDBusJob) job = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) vms = NULL;
  Completion completion = { 0 };

  vmgr_real_add_template (client, "big", NULL, big);
  vmgr_dbus_manager_call_create_vm_sync (client->manager, "doomed", "big", "basic",
                                         g_variant_new ("a{sv}", NULL), &path, NULL, &error);
  g_assert_no_error (error);
  vm = vmgr_test_client_vm (client, path);
  g_assert_cmpstr (vmgr_dbus_vm_get_state (vm), ==, "provisioning");
  job = vmgr_dbus_job_proxy_new_sync (client->bus, G_DBUS_PROXY_FLAGS_NONE, "org.vmgr",
                                      vmgr_dbus_vm_get_job (vm), NULL, &error);
  g_assert_no_error (error);
  g_signal_connect (job, "completed", G_CALLBACK (on_job_completed), &completion);
  vmgr_dbus_job_call_cancel_sync (job, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (vmgr_test_wait (completed, &completion, WAIT_MS));
  g_assert_false (completion.success);
  g_test_message ("job completed: %s", completion.error);
  /* No VM, no files. */
  dir = vmgr_real_guest_dir (daemon_under_test, vm);
  g_assert_false (g_file_test (dir, G_FILE_TEST_EXISTS));
  vmgr_dbus_manager_call_list_vms_sync (client->manager, &vms, NULL, &error);
  g_assert_no_error (error);
  g_assert_false (g_strv_contains ((const char * const *) vms, path));
  g_free (completion.error);
}

/* A container whose init ignores TERM: only the timeout stops it. */
static char *
make_stubborn_template (void)
{
  g_autofree char *source = vmgr_test_ensure_template ("busybox-lxc", "lxc");
  char *stubborn = g_build_filename (g_getenv ("VMGR_TESTBUS_DIR"), "stubborn-template", NULL);
  g_autofree char *command = g_strdup_printf (
    "cp -a %s %s && rm -f %s/sbin/init && printf '%%s\\n' '#!/bin/sh' "
    "\"trap '' TERM INT\" 'while :; do sleep 1; done' > %s/sbin/init && chmod 755 %s/sbin/init",
    source, stubborn, stubborn, stubborn, stubborn);

  g_free (sh_output ("%s", command));
  return stubborn;
}

static void
test_forced_off_after_timeout_and_autostart (void)
{
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  g_autofree char *stubborn = make_stubborn_template ();
  g_autofree char *path = NULL;
  g_autoptr(VmgrDBusVM) vm = NULL;
  g_autoptr(VmgrTestClient) again = NULL;
  g_autoptr(VmgrDBusVM) again_vm = NULL;
  g_autoptr(GError) error = NULL;
  GVariantDict options;
  gint64 started;

  vmgr_real_add_template (client, "stubborn", NULL, stubborn);
  g_variant_dict_init (&options, NULL);
  g_variant_dict_insert (&options, "autostart", "b", TRUE);
  vmgr_dbus_manager_call_create_vm_sync (client->manager, "stubborn1", "stubborn", "basic",
                                         g_variant_dict_end (&options), &path, NULL, &error);
  g_assert_no_error (error);
  vm = vmgr_test_client_vm (client, path);
  g_assert_true (vmgr_test_wait (vmgr_real_provisioned, vm, WAIT_MS));
  vmgr_dbus_vm_call_start_sync (vm, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (vmgr_test_wait_state (vm, "running", WAIT_MS));
  /* Its init ignores TERM: the graceful request goes unheard, the timeout wins. */
  started = g_get_monotonic_time ();
  vmgr_dbus_vm_call_shutdown_sync (vm, 2, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (vmgr_test_wait_state (vm, "stopped", WAIT_MS));
  g_assert_cmpint (g_get_monotonic_time () - started, >=, 2 * G_USEC_PER_SEC);
  g_assert_cmpstr (vmgr_dbus_vm_get_state_reason (vm), ==, "destroyed");
  /* Autostart: a restarted vmgrd starts it. */
  g_clear_object (&vm);
  g_clear_pointer (&client, vmgr_test_client_free);
  vmgr_test_daemon_restart (daemon_under_test);
  again = vmgr_test_client_new ();
  again_vm = vmgr_test_client_vm (again, path);
  g_assert_true (vmgr_test_wait_state (again_vm, "running", WAIT_MS));
  /* vmgrd deletes only a VM that is down. */
  vmgr_dbus_vm_call_stop_sync (again_vm, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (vmgr_test_wait_state (again_vm, "stopped", WAIT_MS));
  vmgr_dbus_vm_call_delete_sync (again_vm, NULL, &error);
  g_assert_no_error (error);
}

static void
test_limits_reach_cgroup (void)
{
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  g_autoptr(VmgrDBusVM) vm = open_vm (client);
  g_autoptr(GError) error = NULL;
  gint64 started = g_get_monotonic_time ();

  vmgr_dbus_vm_call_start_sync (vm, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (vmgr_test_wait_state (vm, "running", WAIT_MS));
  g_test_message ("started in %" G_GINT64_FORMAT " ms", (g_get_monotonic_time () - started) / 1000);
  g_assert_cmpuint (cgroup_value ("memory", "memory.limit_in_bytes"), ==, 128 * MiB);
  g_assert_cmpuint (cgroup_value ("memory", "memory.soft_limit_in_bytes"), ==, 64 * MiB);
  g_assert_cmpuint (cgroup_value ("cpu", "cpu.shares"), ==, 2048);
  g_assert_cmpuint (cgroup_value ("cpu", "cpu.cfs_period_us"), ==, 100000);
  g_assert_cmpuint (cgroup_value ("cpu", "cpu.cfs_quota_us"), ==, 50000);
  /* Live changes reach the running container. */
  vmgr_dbus_vm_call_set_memory_sync (vm, 0, 32 * MiB, 96 * MiB, NULL, &error);
  g_assert_no_error (error);
  vmgr_dbus_vm_call_set_cpu_sync (vm, 1, 400, 25, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (cgroup_value ("memory", "memory.limit_in_bytes"), ==, 96 * MiB);
  g_assert_cmpuint (cgroup_value ("memory", "memory.soft_limit_in_bytes"), ==, 32 * MiB);
  g_assert_cmpuint (cgroup_value ("cpu", "cpu.shares"), ==, 4096);
  g_assert_cmpuint (cgroup_value ("cpu", "cpu.cfs_quota_us"), ==, 25000);
}

static void
test_usage_is_real (void)
{
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  g_autoptr(VmgrDBusVM) vm = open_vm (client);
  g_autoptr(GVariant) stats = NULL;
  g_autoptr(GError) error = NULL;
  guint64 memory = 0, cpu = 0;

  vmgr_dbus_vm_call_get_stats_sync (vm, &stats, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_variant_lookup (stats, "memory_used", "t", &memory));
  g_assert_true (g_variant_lookup (stats, "cpu_time_ns", "t", &cpu));
  g_assert_cmpuint (memory, >, 0);
  g_assert_cmpuint (memory, <, 96 * MiB);
  g_assert_cmpuint (cpu, >, 0);
}

static void
test_console_owner_only (void)
{
  if (g_test_subprocess ())
    {
      gboolean owner = g_str_has_suffix (g_test_get_path (), "alice");
      g_autoptr(VmgrTestClient) client = NULL;
      g_autoptr(VmgrDBusVM) vm = NULL;
      g_autoptr(GError) error = NULL;
      g_autoptr(GVariant) reply = NULL;
      int fd;

      vmgr_test_become_user (owner ? VMGR_TEST_UID_ALICE : VMGR_TEST_UID_BOB);
      client = vmgr_test_client_new ();
      if (!owner)
        {
          reply = g_dbus_connection_call_with_unix_fd_list_sync (
            client->bus, "org.vmgr", vm_path, "org.vmgr.VM", "OpenConsole", NULL, NULL,
            G_DBUS_CALL_FLAGS_NONE, -1, NULL, NULL, NULL, &error);
          vmgr_test_assert_dbus_error (error, "org.freedesktop.DBus.Error.UnknownMethod",
                                       "Object does not exist");
          return;
        }
      vm = open_vm (client);
      fd = vmgr_real_open_console (vm);
      g_assert_true (vmgr_test_console_shows (fd, "echo vmgr-$((6*7))\n", "vmgr-42", 15000));
      /* The address set for the VM is the one the guest has. */
      g_assert_true (vmgr_test_console_shows (fd, "ip -4 addr show eth0\n", "10.77.0.7/24", 15000));
      close (fd);
      return;
    }
  g_test_trap_subprocess (NULL, 60 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
}

static gboolean
state_is_paused (gpointer vm)
{
  return g_strcmp0 (vmgr_dbus_vm_get_state (vm), "paused") == 0;
}

static void
test_freezer_and_outside_changes (void)
{
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  g_autoptr(VmgrDBusVM) vm = open_vm (client);
  g_autoptr(GError) error = NULL;
  g_autofree char *domain = domain_name ();
  const char *argv[] = { "virsh", "-q", "-c", "lxc:///system", "suspend", domain, NULL };
  int status = -1;

  /* A change made with virsh reaches vmgrd's clients as well. */
  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH |
                               G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL, NULL, &status, NULL));
  g_assert_cmpint (status, ==, 0);
  g_assert_true (vmgr_test_wait (state_is_paused, vm, WAIT_MS));
  g_assert_cmpstr (cgroup_text ("freezer", "freezer.state"), ==, "FROZEN");
  vmgr_dbus_vm_call_resume_sync (vm, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (vmgr_test_wait_state (vm, "running", WAIT_MS));
  g_assert_cmpstr (cgroup_text ("freezer", "freezer.state"), ==, "THAWED");

  /* libvirt's LXC driver has no managed save: no "save" capability, and
   * Save is refused with the container left running. */
  g_assert_false (g_strv_contains (vmgr_dbus_manager_get_capabilities (client->manager), "save"));
  vmgr_dbus_vm_call_save_sync (vm, NULL, &error);
  vmgr_test_assert_dbus_error (error, "org.vmgr.Error.NotSupported", "cannot save");
  g_clear_error (&error);
  g_assert_cmpstr (vmgr_dbus_vm_get_state (vm), ==, "running");

  /* Snapshots and a disk quota: its root is an image. */
  g_assert_true (g_strv_contains (vmgr_dbus_manager_get_capabilities (client->manager),
                                  "snapshots"));
  g_assert_true (g_strv_contains (vmgr_dbus_manager_get_capabilities (client->manager),
                                  "disk-quota"));
}

#define console_run(fd, command, marker) vmgr_test_console_shows (fd, command, marker, 30000)

/* Runs @command every second until @marker shows (20 s at most). */
static gboolean
console_until (int fd, const char *command, const char *marker)
{
  for (int i = 0; i < 20; i++)
    if (vmgr_test_console_shows (fd, command, marker, 1000))
      return TRUE;
  return FALSE;
}

/* The console of the running VM, once its shell answers (what is typed
 * while the container boots is lost). */
static int
open_shell (VmgrDBusVM *vm)
{
  int fd = vmgr_real_open_console (vm);

  g_assert_true (console_until (fd, "echo ready-$((5*5))\n", "ready-25"));
  return fd;
}

static void
test_disk_full_at_limit (void)
{
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  g_autoptr(VmgrDBusVM) vm = open_vm (client);
  g_autoptr(GVariant) stats = NULL;
  g_autoptr(GError) error = NULL;
  guint64 used = 0;
  int fd = open_shell (vm);

  g_assert_true (console_run (fd, "dd if=/dev/zero of=/fill bs=1M 2>&1 | tail -n 3\n",
                              "No space left on device"));
  vmgr_dbus_vm_call_get_stats_sync (vm, &stats, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_variant_lookup (stats, "disk_used", "t", &used));
  g_test_message ("disk_used with the disk full: %" G_GUINT64_FORMAT " bytes", used);
  g_assert_cmpuint (used, >, 100 * MiB);
  g_assert_cmpuint (used, <=, 128 * MiB);
  vmgr_dbus_vm_call_set_disk_sync (vm, 0, 64 * MiB, NULL, &error);   /* no shrinking */
  vmgr_test_assert_dbus_error (error, "org.vmgr.Error.InvalidArgument", NULL);
  g_clear_error (&error);
  g_assert_true (console_run (fd, "rm /fill; sync; echo freed-$((2+1))\n", "freed-3"));
  close (fd);
}

static void
set_hostname (VmgrDBusVM *vm, const char *hostname)
{
  g_autoptr(GError) error = NULL;
  GVariantDict settings;

  g_variant_dict_init (&settings, NULL);
  g_variant_dict_insert (&settings, "hostname", "s", hostname);
  vmgr_dbus_vm_call_set_network_sync (vm, g_variant_dict_end (&settings), NULL, &error);
  g_assert_no_error (error);
}

static gboolean
disk_limit_is_256m (gpointer vm)
{
  return vmgr_dbus_vm_get_disk_hard_limit (vm) == 256 * MiB;
}

/* Online where the kernel lets vmgrd (CAP_SYS_RESOURCE), else at the next
 * start (PendingChanges shows it meanwhile). */
static void
test_disk_grows_running (void)
{
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  g_autoptr(VmgrDBusVM) vm = open_vm (client);
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) pending = NULL;
  guint64 pending_limit = 0;
  int fd = open_shell (vm);
  gint64 started;

  g_assert_true (console_run (fd, "df -k / | awk 'NR==2{print \"big-\" ($2>200000)}'\n", "big-0"));
  started = g_get_monotonic_time ();
  vmgr_dbus_vm_call_set_disk_sync (vm, 0, 256 * MiB, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (vmgr_test_wait (disk_limit_is_256m, vm, WAIT_MS));
  pending = vmgr_dbus_vm_dup_pending_changes (vm);
  if (g_variant_lookup (pending, "disk_hard_limit", "t", &pending_limit))
    {
      g_test_message ("not grown online (no CAP_SYS_RESOURCE?): at the next start");
      g_assert_cmpuint (pending_limit, ==, 256 * MiB);
      g_assert_cmpuint (image_size (FALSE), ==, 128 * MiB);
      close (fd);
      vmgr_dbus_vm_call_stop_sync (vm, NULL, &error);
      g_assert_no_error (error);
      g_assert_true (vmgr_test_wait_state (vm, "stopped", WAIT_MS));
      vmgr_dbus_vm_call_start_sync (vm, NULL, &error);
      g_assert_no_error (error);
      g_assert_true (vmgr_test_wait_state (vm, "running", WAIT_MS));
      fd = open_shell (vm);
    }
  g_test_message ("grown in %" G_GINT64_FORMAT " ms",
                  (g_get_monotonic_time () - started) / 1000);
  g_assert_cmpuint (image_size (FALSE), ==, 256 * MiB);
  g_assert_true (console_run (fd, "df -k / | awk 'NR==2{print \"big-\" ($2>200000)}'\n", "big-1"));
  g_assert_true (console_run (fd, "dd if=/dev/zero of=/fill bs=1M count=150 2>&1 && "
                              "echo wrote-$((3+4)); rm -f /fill\n", "wrote-7"));
  set_hostname (vm, "live.example.org");   /* through its root, seen at once */
  g_assert_true (console_until (fd, "cat /etc/hostname\n", "live.example.org"));
  close (fd);
}

static void
test_snapshot_and_revert (void)
{
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  g_autoptr(VmgrDBusVM) vm = open_vm (client);
  g_autoptr(VmgrDBusSnapshot) snapshot = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  g_autofree char *snapshots = g_build_filename (guest_dir, "snapshots", NULL);
  g_autofree char *copy = g_build_filename (snapshots, "before.img", NULL);
  int fd = open_shell (vm);
  gint64 started;

  g_assert_true (console_run (fd, "echo old-content > /root/mark; sync; echo ok-$((4+4))\n",
                              "ok-8"));
  started = g_get_monotonic_time ();
  vmgr_dbus_vm_call_create_snapshot_sync (vm, "before", g_variant_new ("a{sv}", NULL), &path,
                                          NULL, &error);
  g_assert_no_error (error);
  g_test_message ("snapshot of the running container in %" G_GINT64_FORMAT " ms",
                  (g_get_monotonic_time () - started) / 1000);
  g_assert_true (g_file_test (copy, G_FILE_TEST_IS_REGULAR));
  g_assert_cmpstr (vmgr_dbus_vm_get_state (vm), ==, "running");   /* thawed */
  snapshot = vmgr_dbus_snapshot_proxy_new_sync (client->bus, G_DBUS_PROXY_FLAGS_NONE,
                                                "org.vmgr", path, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (vmgr_dbus_snapshot_get_state (snapshot), ==, "running");
  g_assert_cmpuint (vmgr_dbus_snapshot_get_size (snapshot), >, 0);
  g_test_message ("its file: %" G_GUINT64_FORMAT " bytes", vmgr_dbus_snapshot_get_size (snapshot));
  g_assert_true (console_run (fd, "echo new-content > /root/mark; cat /root/mark\n",
                              "new-content\r"));
  close (fd);

  started = g_get_monotonic_time ();
  vmgr_dbus_snapshot_call_revert_sync (snapshot, NULL, &error);
  g_assert_no_error (error);
  g_test_message ("revert (stop, copy back, start) in %" G_GINT64_FORMAT " ms",
                  (g_get_monotonic_time () - started) / 1000);
  g_assert_true (vmgr_test_wait_state (vm, "running", WAIT_MS));
  fd = open_shell (vm);
  g_assert_true (console_run (fd, "cat /root/mark\n", "old-content"));
  close (fd);

  vmgr_dbus_snapshot_call_delete_sync (snapshot, NULL, &error);
  g_assert_no_error (error);
  g_assert_false (g_file_test (snapshots, G_FILE_TEST_EXISTS));   /* nothing left */
}

static gboolean
image_renamed (gpointer data)
{
  g_autofree char *hostname = image_file ("/etc/hostname");

  return g_str_equal (g_strstrip (hostname), "renamed.example.org");
}

static void
test_disk_grows_stopped (void)
{
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  g_autoptr(VmgrDBusVM) vm = open_vm (client);
  g_autoptr(GError) error = NULL;

  g_assert_cmpstr (vmgr_dbus_vm_get_state (vm), ==, "stopped");
  vmgr_dbus_vm_call_set_disk_sync (vm, 0, 320 * MiB, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (image_size (FALSE), ==, 320 * MiB);
  g_assert_cmpuint (image_size (TRUE), ==, 320 * MiB);
  set_hostname (vm, "renamed.example.org");   /* into the stopped container's image */
  g_assert_true (vmgr_test_wait (image_renamed, NULL, WAIT_MS));
}

static void
test_restart (void)
{
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  g_autoptr(VmgrDBusVM) vm = open_vm (client);
  g_autoptr(VmgrTestStateRecorder) recorder = vmgr_test_state_recorder_new (vm);
  g_autoptr(GError) error = NULL;

  vmgr_dbus_vm_call_restart_sync (vm, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (vmgr_test_state_recorder_wait (recorder, "running", "restarted", WAIT_MS));
  g_assert_true (vmgr_test_wait_state (vm, "running", WAIT_MS));
  g_assert_nonnull (container_cgroup ("memory"));
}

static GPid
libvirtd_pid (void)
{
  g_autofree char *text = NULL;

  g_assert_true (g_file_get_contents (g_getenv ("VMGR_LIBVIRTD_PIDFILE"), &text, NULL, NULL));
  return (GPid) g_ascii_strtoll (text, NULL, 10);
}

static gboolean
state_is_unknown (gpointer vm)
{
  return g_strcmp0 (vmgr_dbus_vm_get_state (vm), "unknown") == 0;
}

static void
start_libvirtd (void)
{
  g_autofree char *command = g_strdup_printf ("libvirtd -d -p %s </dev/null >>%s 2>&1",
                                              g_getenv ("VMGR_LIBVIRTD_PIDFILE"),
                                              g_getenv ("VMGR_LIBVIRTD_LOG"));

  g_free (sh_output ("%s", command));
}

static void
test_libvirtd_goes_away (void)
{
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  g_autoptr(VmgrDBusVM) vm = open_vm (client);
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;

  g_assert_cmpint (kill (libvirtd_pid (), SIGKILL), ==, 0);
  g_assert_true (vmgr_test_wait (state_is_unknown, vm, WAIT_MS));
  /* vmgrd keeps answering; what needs the hypervisor says it is away. */
  vmgr_dbus_vm_call_suspend_sync (vm, NULL, &error);
  g_assert_nonnull (error);
  g_clear_error (&error);
  reply = g_dbus_connection_call_sync (client->bus, "org.vmgr", "/org/vmgr/Manager",
                                       "org.freedesktop.DBus.Properties", "Get",
                                       g_variant_new ("(ss)", "org.vmgr.Manager", "Version"),
                                       NULL, G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
  g_assert_no_error (error);
  start_libvirtd ();
  /* Reconnected with backoff, the container still running. */
  g_assert_true (vmgr_test_wait_state (vm, "running", 60000));
  g_assert_nonnull (container_cgroup ("memory"));
}

static void
test_daemon_restart_readopts (void)
{
  g_autofree char *before = container_cgroup ("memory");
  g_autofree char *after = NULL;
  g_autoptr(VmgrTestClient) client = NULL;
  g_autoptr(VmgrDBusVM) vm = NULL;

  vmgr_test_daemon_restart (daemon_under_test);
  client = vmgr_test_client_new ();
  vm = open_vm (client);
  g_assert_cmpstr (vmgr_dbus_vm_get_state (vm), ==, "running");
  /* The same container (its cgroup names its init's pid): not restarted. */
  after = container_cgroup ("memory");
  g_assert_cmpstr (before, ==, after);
}

static void
test_graceful_shutdown (void)
{
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  g_autoptr(VmgrDBusVM) vm = open_vm (client);
  g_autoptr(GError) error = NULL;
  gint64 started = g_get_monotonic_time ();

  vmgr_dbus_vm_call_shutdown_sync (vm, 20, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (vmgr_test_wait_state (vm, "stopped", WAIT_MS));
  g_test_message ("stopped in %" G_GINT64_FORMAT " ms", (g_get_monotonic_time () - started) / 1000);
  g_assert_cmpstr (vmgr_dbus_vm_get_state_reason (vm), !=, "destroyed");
  g_assert_null (container_cgroup ("memory"));
}

static void
test_delete_leaves_nothing (void)
{
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  g_autoptr(VmgrDBusVM) vm = open_vm (client);
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *memory_cgroup = NULL;
  g_autofree char *cpu_cgroup = NULL;
  const char *argv[] = { "virsh", "-q", "-c", "lxc:///system", "list", "--all", "--name", NULL };
  g_autofree char *domain = domain_name ();

  vmgr_dbus_vm_call_start_sync (vm, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (vmgr_test_wait_state (vm, "running", WAIT_MS));
  memory_cgroup = container_cgroup ("memory");
  cpu_cgroup = container_cgroup ("cpu");
  g_assert_nonnull (memory_cgroup);
  vmgr_dbus_vm_call_stop_sync (vm, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (vmgr_test_wait_state (vm, "stopped", WAIT_MS));
  vmgr_dbus_vm_call_delete_sync (vm, NULL, &error);
  g_assert_no_error (error);
  g_assert_false (g_file_test (guest_dir, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (memory_cgroup, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (cpu_cgroup, G_FILE_TEST_EXISTS));
  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out,
                               NULL, NULL, NULL));
  g_assert_null (strstr (out, domain));
}

int
main (int argc, char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/real-lxc/provision-as-job", test_provision_as_job);
  g_test_add_func ("/real-lxc/vmgrctl-container", test_vmgrctl_container);
  g_test_add_func ("/real-lxc/cancelled-provisioning-leaves-nothing",
                   test_cancelled_provisioning_leaves_nothing);
  g_test_add_func ("/real-lxc/forced-off-after-timeout-and-autostart",
                   test_forced_off_after_timeout_and_autostart);
  g_test_add_func ("/real-lxc/limits-reach-cgroup", test_limits_reach_cgroup);
  g_test_add_func ("/real-lxc/usage-is-real", test_usage_is_real);
  g_test_add_func ("/real-lxc/snapshot-and-revert", test_snapshot_and_revert);
  g_test_add_func ("/real-lxc/disk-full-at-limit", test_disk_full_at_limit);
  g_test_add_func ("/real-lxc/disk-grows-running", test_disk_grows_running);
  g_test_add_func ("/real-lxc/freezer-and-outside-changes", test_freezer_and_outside_changes);
  g_test_add_func ("/real-lxc/restart", test_restart);
  g_test_add_func ("/real-lxc/console-alice", test_console_owner_only);
  g_test_add_func ("/real-lxc/console-bob", test_console_owner_only);
  g_test_add_func ("/real-lxc/libvirtd-goes-away", test_libvirtd_goes_away);
  g_test_add_func ("/real-lxc/daemon-restart-readopts", test_daemon_restart_readopts);
  g_test_add_func ("/real-lxc/graceful-shutdown", test_graceful_shutdown);
  g_test_add_func ("/real-lxc/disk-grows-stopped", test_disk_grows_stopped);
  g_test_add_func ("/real-lxc/delete-leaves-nothing", test_delete_leaves_nothing);

  if (g_test_subprocess ())
    vm_path = g_strdup (g_getenv ("VMGR_TEST_VM_PATH"));
  status = vmgr_real_test_run ("lxc", &daemon_under_test);
  g_free (vm_path);
  g_free (guest_dir);
  return status;
}
