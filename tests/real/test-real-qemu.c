/* vmgrd on QEMU (TCG) through a private libvirtd: the shipped tiny guest
 * is provisioned (its own qcow2 disk, the disk hard limit as its virtual
 * size), boots (seen on its console), shuts down gracefully (ACPI) and is
 * deleted without residue; and is saved and restored where it was. Run under testbus.sh -- libvirtd.sh. */
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

/* Save and Start: the guest comes back where it was, not rebooted: its
 * shell still holds what it was told before, and its uptime goes on from
 * where it stood (the tiny guest lives in RAM: a boot would lose both). */
static void
test_tiny_guest_saved_and_restored (void)
{
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  g_autoptr(VmgrDBusVM) vm = create_tiny_guest (client, "tiny-save", "tiny-saved", NULL);
  g_autoptr(GError) error = NULL;
  gint64 started;
  int fd;

  vmgr_dbus_vm_call_start_sync (vm, NULL, &error);
  g_assert_no_error (error);
  fd = vmgr_real_open_console (vm);
  g_assert_true (vmgr_test_console_shows (fd, NULL, "vmgr-guest: booted", BOOT_MS));
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

  vmgr_dbus_vm_call_delete_sync (vm, NULL, &error);
  g_assert_no_error (error);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/real-qemu/tiny-guest-boots-and-shuts-down",
                   test_tiny_guest_boots_and_shuts_down);
  g_test_add_func ("/real-qemu/tiny-guest-saved-and-restored",
                   test_tiny_guest_saved_and_restored);
  with_network = g_strcmp0 (g_getenv ("VMGR_LIBVIRT_NETWORK"), "default") == 0;
  return vmgr_real_test_run ("qemu", &daemon_under_test);
}
