/* vmgrd on QEMU (TCG) through a private libvirtd: the shipped tiny guest
 * is provisioned (its own qcow2 disk, the disk hard limit as its virtual
 * size), boots (seen on its console), shuts down gracefully (ACPI) and is
 * deleted without residue. Run under testbus.sh -- libvirtd.sh. */
#include <gio/gunixfdlist.h>
#include <glib-unix.h>
#include <unistd.h>

#include "vmgr-test-client.h"
#include "vmgr-test-env.h"

#define MiB (G_GUINT64_CONSTANT (1) << 20)
#define BOOT_MS 120000

static VmgrTestDaemon *daemon_under_test;

static gboolean
provisioned (gpointer vm)
{
  return g_strcmp0 (vmgr_dbus_vm_get_state (vm), "stopped") == 0 &&
         g_strcmp0 (vmgr_dbus_vm_get_job (vm), "/") == 0;
}


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

static void
test_tiny_guest_boots_and_shuts_down (void)
{
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  g_autofree char *source = vmgr_test_ensure_template ("tiny-qemu", "qemu");
  g_autofree char *path = NULL;
  g_autofree char *guest_dir = NULL;
  g_autoptr(VmgrDBusVM) vm = NULL;
  g_autoptr(GUnixFDList) fds = NULL;
  g_autoptr(GVariant) handle = NULL;
  g_autoptr(GError) error = NULL;
  GVariantDict props, options;
  gint64 started;
  int fd;

  g_variant_dict_init (&props, NULL);
  g_variant_dict_insert (&props, "source", "s", source);
  vmgr_dbus_manager_call_add_template_sync (client->manager, "tiny",
                                            g_variant_dict_end (&props), NULL, &error);
  g_assert_no_error (error);
  g_variant_dict_init (&options, NULL);
  g_variant_dict_insert (&options, "memory_limit", "t", 256 * MiB);
  g_variant_dict_insert (&options, "disk_hard_limit", "t", 512 * MiB);
  if (with_network)
    g_variant_dict_insert_value (&options, "addresses",
                                 g_variant_new_strv ((const char * const[]) {
                                                       "192.168.122.50/24", NULL }, -1));
  vmgr_dbus_manager_call_create_vm_sync (client->manager, "tiny1", "tiny", "",
                                         g_variant_dict_end (&options), &path, NULL, &error);
  g_assert_no_error (error);
  vm = vmgr_test_client_vm (client, path);
  g_assert_true (vmgr_test_wait (provisioned, vm, 30000));
  guest_dir = g_strdup_printf ("%s/guests/%u", vmgr_test_daemon_get_state_dir (daemon_under_test),
                               vmgr_dbus_vm_get_id (vm));
  g_assert_true (g_file_test (guest_dir, G_FILE_TEST_IS_DIR));

  started = g_get_monotonic_time ();
  vmgr_dbus_vm_call_start_sync (vm, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (vmgr_test_wait_state (vm, "running", 30000));
  vmgr_dbus_vm_call_open_console_sync (vm, NULL, &handle, &fds, NULL, &error);
  g_assert_no_error (error);
  fd = g_unix_fd_list_get (fds, g_variant_get_handle (handle), &error);
  g_assert_no_error (error);
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

int
main (int argc, char **argv)
{
  g_autofree char *config = NULL;
  const char *network = g_getenv ("VMGR_LIBVIRT_NETWORK");

  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/real-qemu/tiny-guest-boots-and-shuts-down",
                   test_tiny_guest_boots_and_shuts_down);
  if (g_getenv ("VMGR_LIBVIRT_QEMU_URI") == NULL || *g_getenv ("VMGR_LIBVIRT_QEMU_URI") == '\0')
    g_error ("no QEMU driver (%s): run under tests/harness/libvirtd.sh",
             g_getenv ("VMGR_LIBVIRT_QEMU_ERROR"));
  with_network = g_strcmp0 (network, "default") == 0;
  g_setenv ("VMGR_TEST_DAEMON_URI", "qemu:///system", TRUE);
  config = g_strdup_printf ("[daemon]\nnetwork=%s\n",
                            g_strcmp0 (network, "default") == 0 ? "default" : "");
  return vmgr_test_run_with_daemon (config, NULL, &daemon_under_test);
}
