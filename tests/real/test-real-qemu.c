/* vmgrd on QEMU (TCG) through a private libvirtd: the shipped tiny guest
 * is provisioned (its own qcow2 disk, the disk hard limit as its virtual
 * size), boots (seen on its console), shuts down gracefully (ACPI) and is
 * deleted without residue; is saved and restored where it was; and is
 * snapshotted running and reverted to the snapshot. Run under
 * testbus.sh -- libvirtd.sh. */
#include <string.h>
#include <unistd.h>

#include "real-helpers.h"

#define MiB (G_GUINT64_CONSTANT (1) << 20)
#define BOOT_MS 120000

static VmgrTestDaemon *daemon_under_test;
static gboolean with_network;

/* Asks the guest's shell for its address until @address shows (DHCP takes
 * a few seconds on a fresh bridge). */
static gboolean
address_shows (int fd, const char *address)
{
  for (guint attempt = 0; attempt < 15; attempt++)
    {
      const char *command = "ip -4 addr\n";

      if (vmgr_test_console_shows (fd, command, address, 2000))
        return TRUE;
    }
  return FALSE;
}

/* A VM NAME of the tiny guest (template TEMPLATE, added here), 256 MiB of
 * memory and a 512 MiB disk, provisioned; with @address when given. */
static VmgrDBusVM *
create_tiny_guest (VmgrTestClient *client, const char *template_name, const char *name,
                   const char *address)
{
  g_autofree char *source = vmgr_test_ensure_template ("tiny-qemu", "qemu");
  g_autofree char *path = NULL;
  g_autoptr(GError) error = NULL;
  VmgrDBusVM *vm;
  GVariantDict options;

  vmgr_real_add_template (client, template_name, NULL, source);
  g_variant_dict_init (&options, NULL);
  g_variant_dict_insert (&options, "memory_limit", "t", 256 * MiB);
  g_variant_dict_insert (&options, "disk_hard_limit", "t", 512 * MiB);
  if (address != NULL)
    g_variant_dict_insert_value (&options, "addresses",
                                 g_variant_new_strv ((const char * const[]) { address, NULL },
                                                     -1));
  vmgr_dbus_manager_call_create_vm_sync (client->manager, name, template_name, "",
                                         g_variant_dict_end (&options), &path, NULL, &error);
  g_assert_no_error (error);
  vm = vmgr_test_client_vm (client, path);
  g_assert_true (vmgr_test_wait (vmgr_real_provisioned, vm, 30000));
  return vm;
}

static void
test_tiny_guest_boots_and_shuts_down (void)
{
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  g_autoptr(VmgrDBusVM) vm = create_tiny_guest (client, "tiny", "tiny1",
                                                with_network ? "192.168.122.50/24" : NULL);
  g_autofree char *guest_dir = NULL;
  g_autoptr(GError) error = NULL;
  gint64 started;
  int fd;

  guest_dir = vmgr_real_guest_dir (daemon_under_test, vm);
  g_assert_true (g_file_test (guest_dir, G_FILE_TEST_IS_DIR));

  started = g_get_monotonic_time ();
  vmgr_dbus_vm_call_start_sync (vm, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (vmgr_test_wait_state (vm, "running", 30000));
  fd = vmgr_real_open_console (vm);
  g_assert_true (vmgr_test_console_shows (fd, NULL, "vmgr-guest: booted", BOOT_MS));
  g_test_message ("guest booted in %" G_GINT64_FORMAT " ms",
                  (g_get_monotonic_time () - started) / 1000);
  /* The address set for the VM is what the network's DHCP server gives it. */
  if (with_network)
    g_assert_true (address_shows (fd, "192.168.122.50"));
  close (fd);

  started = g_get_monotonic_time ();
  vmgr_dbus_vm_call_shutdown_sync (vm, 60, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (vmgr_test_wait_state (vm, "stopped", 90000));
  g_test_message ("guest stopped in %" G_GINT64_FORMAT " ms (%s)",
                  (g_get_monotonic_time () - started) / 1000, vmgr_dbus_vm_get_state_reason (vm));
  /* Gracefully: ACPI reached the guest, nothing was forced off. */
  g_assert_cmpstr (vmgr_dbus_vm_get_state_reason (vm), !=, "destroyed");

  vmgr_dbus_vm_call_delete_sync (vm, NULL, &error);
  g_assert_no_error (error);
  g_assert_false (g_file_test (guest_dir, G_FILE_TEST_EXISTS));
}

/* A tiny guest of its own template @template_name, provisioned, started
 * and booted (seen on its console, whose descriptor is returned in @fd). */
static VmgrDBusVM *
boot_tiny_guest (VmgrTestClient *client, const char *template_name, const char *vm_name,
                 int *fd)
{
  VmgrDBusVM *vm = create_tiny_guest (client, template_name, vm_name, NULL);
  g_autoptr(GError) error = NULL;

  vmgr_dbus_vm_call_start_sync (vm, NULL, &error);
  g_assert_no_error (error);
  *fd = vmgr_real_open_console (vm);
  g_assert_true (vmgr_test_console_shows (*fd, NULL, "vmgr-guest: booted", BOOT_MS));
  return vm;
}

/* Save and Start: the guest comes back where it was, not rebooted: its
 * shell still holds what it was told before, and its uptime goes on from
 * where it stood (the tiny guest lives in RAM: a boot would lose both). */
static void
test_tiny_guest_saved_and_restored (void)
{
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  int fd;
  g_autoptr(VmgrDBusVM) vm = boot_tiny_guest (client, "tiny-save", "tiny-saved", &fd);
  g_autoptr(GError) error = NULL;
  gint64 started;

  g_assert_true (vmgr_test_console_shows (fd, "MARK=kept-in-ram; U0=$(cut -d. -f1 /proc/uptime); "
                                              "echo up-since-$U0-marked\n",
                                          "-marked", 5000));
  close (fd);

  started = g_get_monotonic_time ();
  vmgr_dbus_vm_call_save_sync (vm, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (vmgr_test_wait_state (vm, "suspended", 60000));
  g_assert_cmpstr (vmgr_dbus_vm_get_state_reason (vm), ==, "saved");
  g_test_message ("guest saved in %" G_GINT64_FORMAT " ms",
                  (g_get_monotonic_time () - started) / 1000);

  started = g_get_monotonic_time ();
  vmgr_dbus_vm_call_start_sync (vm, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (vmgr_test_wait_state (vm, "running", 60000));
  g_assert_true (vmgr_test_wait_reason (vm, "restored", 5000));
  g_test_message ("guest restored in %" G_GINT64_FORMAT " ms",
                  (g_get_monotonic_time () - started) / 1000);
  fd = vmgr_real_open_console (vm);
  g_assert_true (vmgr_test_console_shows (fd, "echo still-$MARK; U1=$(cut -d. -f1 /proc/uptime); "
                                              "[ \"$U1\" -ge \"$U0\" ] && echo uptime-went-on\n",
                                          "uptime-went-on", 10000));
  close (fd);

  vmgr_dbus_vm_call_stop_sync (vm, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (vmgr_test_wait_state (vm, "stopped", 30000));
  vmgr_dbus_vm_call_delete_sync (vm, NULL, &error);
  g_assert_no_error (error);
}

static gboolean
reason_is_from_snapshot (gpointer vm)
{
  return g_strcmp0 (vmgr_dbus_vm_get_state_reason (vm), "from-snapshot") == 0 &&
         g_strcmp0 (vmgr_dbus_vm_get_state (vm), "running") == 0;
}

static gboolean
snapshot_exported (gpointer path)
{
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = vmgr_test_call (client, path, "org.freedesktop.DBus.Properties",
                                              "Get", g_variant_new ("(ss)", "org.vmgr.Snapshot",
                                                                    "Name"), &error);

  return reply != NULL;
}

/* The domain's persistent definition as libvirtd has it. */
static char *
inactive_definition (VmgrDBusVM *vm)
{
  const char *argv[] = { "virsh", "-q", "-c", "qemu:///system", "dumpxml", "--inactive",
                         vmgr_dbus_vm_get_uuid (vm), NULL };
  g_autofree char *out = NULL;
  int status = -1;

  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                               &out, NULL, &status, NULL));
  g_assert_cmpint (status, ==, 0);
  return g_steal_pointer (&out);
}

/* A running guest's snapshot holds its memory: after the shell changed a
 * variable and a file in its RAM root, Revert brings both back as they
 * were, while the CPU weight set after the snapshot stays vmgr's; the
 * snapshot is still there after vmgrd restarts (libvirt keeps it);
 * deleting it and the VM leaves nothing. */
static void
test_tiny_guest_snapshot_and_revert (void)
{
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  int fd;
  g_autoptr(VmgrDBusVM) vm = boot_tiny_guest (client, "tiny-snap", "tiny-snapped", &fd);
  g_autofree char *path = g_strdup (g_dbus_proxy_get_object_path (G_DBUS_PROXY (vm)));
  g_autofree char *guest_dir = vmgr_real_guest_dir (daemon_under_test, vm);
  g_autofree char *snapshot_path = NULL;
  g_autoptr(VmgrDBusSnapshot) snapshot = NULL;
  g_autoptr(GError) error = NULL;
  GVariantDict options;
  gint64 started;

  g_assert_true (vmgr_test_console_shows (fd, "MARK=before; echo before > /tmp/mark; "
                                              "echo marked-$MARK\n",
                                          "marked-before", 5000));

  started = g_get_monotonic_time ();
  g_variant_dict_init (&options, NULL);
  g_variant_dict_insert (&options, "description", "s", "shell marked 'before'");
  vmgr_dbus_vm_call_create_snapshot_sync (vm, "before", g_variant_dict_end (&options),
                                          &snapshot_path, NULL, &error);
  g_assert_no_error (error);
  g_test_message ("running guest snapshotted in %" G_GINT64_FORMAT " ms",
                  (g_get_monotonic_time () - started) / 1000);
  snapshot = vmgr_dbus_snapshot_proxy_new_sync (client->bus, G_DBUS_PROXY_FLAGS_NONE, "org.vmgr",
                                                snapshot_path, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (vmgr_dbus_snapshot_get_state (snapshot), ==, "running");
  /* The guest runs on (the proxy learns its state from signals, which
   * only a turn of the main loop brings). */
  g_assert_true (vmgr_test_wait_state (vm, "running", 10000));

  vmgr_dbus_vm_call_set_cpu_sync (vm, vmgr_dbus_vm_get_vcpus (vm), 300, 0, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (vmgr_test_console_shows (fd, "MARK=after; echo after > /tmp/mark; "
                                              "echo now-$MARK-$(cat /tmp/mark)\n",
                                          "now-after-after", 5000));
  close (fd);

  started = g_get_monotonic_time ();
  vmgr_dbus_snapshot_call_revert_sync (snapshot, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (vmgr_test_wait (reason_is_from_snapshot, vm, 60000));
  g_test_message ("guest reverted in %" G_GINT64_FORMAT " ms",
                  (g_get_monotonic_time () - started) / 1000);
  fd = vmgr_real_open_console (vm);
  g_assert_true (vmgr_test_console_shows (fd, "\necho back-$MARK-$(cat /tmp/mark)\n",
                                          "back-before-before", 10000));
  close (fd);
  {
    g_autofree char *definition = inactive_definition (vm);

    /* weight 300 is cgroup-v1 shares 3072 */
    g_assert_nonnull (strstr (definition, "<shares>3072</shares>"));
  }

  /* libvirt keeps the snapshot: a restarted vmgrd exports it again. */
  g_clear_object (&snapshot);
  g_clear_object (&vm);
  g_clear_pointer (&client, vmgr_test_client_free);
  vmgr_test_daemon_restart (daemon_under_test);
  g_assert_true (vmgr_test_wait (snapshot_exported, snapshot_path, 20000));
  client = vmgr_test_client_new ();
  vm = vmgr_test_client_vm (client, path);
  snapshot = vmgr_dbus_snapshot_proxy_new_sync (client->bus, G_DBUS_PROXY_FLAGS_NONE, "org.vmgr",
                                                snapshot_path, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (vmgr_dbus_snapshot_get_description (snapshot), ==, "shell marked 'before'");

  vmgr_dbus_snapshot_call_delete_sync (snapshot, NULL, &error);
  g_assert_no_error (error);
  g_assert_false (snapshot_exported (snapshot_path));
  vmgr_dbus_vm_call_stop_sync (vm, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (vmgr_test_wait_state (vm, "stopped", 30000));
  vmgr_dbus_vm_call_delete_sync (vm, NULL, &error);
  g_assert_no_error (error);
  g_assert_false (g_file_test (guest_dir, G_FILE_TEST_EXISTS));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/real-qemu/tiny-guest-boots-and-shuts-down",
                   test_tiny_guest_boots_and_shuts_down);
  g_test_add_func ("/real-qemu/tiny-guest-saved-and-restored",
                   test_tiny_guest_saved_and_restored);
  g_test_add_func ("/real-qemu/tiny-guest-snapshot-and-revert",
                   test_tiny_guest_snapshot_and_revert);
  with_network = g_strcmp0 (g_getenv ("VMGR_LIBVIRT_NETWORK"), "default") == 0;
  return vmgr_real_test_run ("qemu", &daemon_under_test);
}
