/* VMs with files on added hosts (issue 14, vmgr-backend-volumes.h): vmgrd
 * on the harness's QEMU driver gets the two libvirtd hosts of
 * tests/real/with-hosts.sh by AddHost (qemu+tcp://10.77.0.1 and .2, each
 * with a dir pool "default" of its own /var/lib/libvirt/images, storage
 * not shared). The tiny QEMU guest is made on host 1 (its template's
 * kernel and initramfs uploaded as volumes, the disk a volume) and on
 * host 2, boots there (seen on its console and in that host's virsh), and
 * Delete removes the domain and the disk volume; a second VM of the
 * template on host 1 uploads nothing again. Then lxc+tcp://10.77.0.1 as a
 * host: a busybox container is placed there without the option host (the
 * only host the LXC template fits), its root image built here, uploaded,
 * runs with the right host name, and is deleted with its volume. The
 * provisioning times are printed.
 *
 *   VMGR_SOURCE_ROOT=$PWD VMGR_BUILD_ROOT=$PWD/build VMGR_TEMPLATE_DIR=$PWD/build/templates \
 *     tests/harness/testbus.sh -- tests/harness/libvirtd.sh --no-network -- \
 *     tests/real/with-hosts.sh 2 -- build/tests/real/test-real-host-volumes --tap */
#include <string.h>
#include <unistd.h>

#include "real-helpers.h"

#define MiB (G_GUINT64_CONSTANT (1) << 20)
#define BOOT_MS 120000
#define PROVISION_MS 120000

static VmgrTestDaemon *daemon_under_test;
static char **qemu_uris;
static char **lxc_uris;

static char *
virsh (const char *uri, const char *args)
{
  g_autofree char *command = g_strdup_printf ("virsh -q -c %s %s", uri, args);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(GError) error = NULL;
  int status = 0;

  g_assert_true (g_spawn_command_line_sync (command, &out, &err, &status, &error));
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("%s failed: %s", command, err);
  return g_steal_pointer (&out);
}

/* A dir pool "default" at the host's own /var/lib/libvirt/images. */
static void
define_pool (const char *uri)
{
  g_autofree char *pools = virsh (uri, "pool-list --all --name");
  g_autofree char *active = virsh (uri, "pool-list --name");

  if (strstr (pools, "default") == NULL)
    g_free (virsh (uri, "pool-define-as default dir --target /var/lib/libvirt/images"));
  if (strstr (active, "default") == NULL)
    g_free (virsh (uri, "pool-start default"));
}

static void
add_host (VmgrTestClient *client, const char *name, const char *uri)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;

  define_pool (uri);
  vmgr_dbus_manager_call_add_host_sync (client->manager, name, uri,
                                        g_variant_new_parsed ("{'pool': <'default'>}"), &path,
                                        NULL, &error);
  g_assert_no_error (error);
  g_assert_true (vmgr_test_wait_host_connected (client, name, 30000));
}

/* Creates the VM, waits for its provisioning; how long that took in @ms. */
static VmgrDBusVM *
create_vm (VmgrTestClient *client, const char *name, const char *template_name,
           const char *host, guint64 memory, guint64 disk, const char *hostname, gint64 *ms)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  GVariantDict options;
  gint64 started = g_get_monotonic_time ();
  VmgrDBusVM *vm;

  g_variant_dict_init (&options, NULL);
  g_variant_dict_insert (&options, "memory_limit", "t", memory);
  g_variant_dict_insert (&options, "disk_hard_limit", "t", disk);
  if (host != NULL)
    g_variant_dict_insert (&options, "host", "s", host);
  if (hostname != NULL)
    g_variant_dict_insert (&options, "hostname", "s", hostname);
  vmgr_dbus_manager_call_create_vm_sync (client->manager, name, template_name, "",
                                         g_variant_dict_end (&options), &path, NULL, &error);
  g_assert_no_error (error);
  vm = vmgr_test_client_vm (client, path);
  g_assert_true (vmgr_test_wait (vmgr_real_provisioned, vm, PROVISION_MS));
  *ms = (g_get_monotonic_time () - started) / 1000;
  return vm;
}

static gboolean
domain_listed (const char *uri, const char *uuid)
{
  g_autofree char *list = virsh (uri, "list --all --uuid");

  return strstr (list, uuid) != NULL;
}

static gboolean
volume_listed (const char *uri, const char *name)
{
  g_autofree char *list = virsh (uri, "vol-list default");

  return strstr (list, name) != NULL;
}

static gboolean
domain_runs_on (const char *uri, const char *uuid)
{
  g_autofree char *list = virsh (uri, "list --uuid");

  return strstr (list, uuid) != NULL;
}

static void
delete_vm (VmgrDBusVM *vm)
{
  g_autoptr(GError) error = NULL;

  if (!g_str_equal (vmgr_dbus_vm_get_state (vm), "stopped"))
    {
      vmgr_dbus_vm_call_stop_sync (vm, NULL, &error);
      g_assert_no_error (error);
      g_assert_true (vmgr_test_wait_state (vm, "stopped", 60000));
    }
  vmgr_dbus_vm_call_delete_sync (vm, NULL, &error);
  g_assert_no_error (error);
}

static void
boot_and_check (VmgrDBusVM *vm, const char *uri, const char *other_uri)
{
  g_autoptr(GError) error = NULL;
  gint64 started = g_get_monotonic_time ();
  int fd;

  vmgr_dbus_vm_call_start_sync (vm, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (vmgr_test_wait_state (vm, "running", 60000));
  g_assert_true (domain_runs_on (uri, vmgr_dbus_vm_get_uuid (vm)));
  g_assert_false (domain_listed (other_uri, vmgr_dbus_vm_get_uuid (vm)));
  g_assert_false (domain_listed ("qemu:///system", vmgr_dbus_vm_get_uuid (vm)));
  fd = vmgr_real_open_console (vm);
  g_assert_true (vmgr_test_console_shows (fd, NULL, "vmgr-guest: booted", BOOT_MS));
  g_assert_true (vmgr_test_console_shows (fd, "echo vmgr-$((6*7))\n", "vmgr-42", 15000));
  close (fd);
  g_test_message ("%s booted on %s in %" G_GINT64_FORMAT " ms", vmgr_dbus_vm_get_name (vm), uri,
                  (g_get_monotonic_time () - started) / 1000);
}

static void
test_qemu_on_added_hosts (void)
{
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  g_autofree char *source = vmgr_test_ensure_template ("tiny-qemu", "qemu");
  g_autoptr(VmgrDBusVM) first = NULL;
  g_autoptr(VmgrDBusVM) second = NULL;
  g_autoptr(VmgrDBusVM) other = NULL;
  g_autofree char *disk = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *backup = NULL;
  gint64 ms_first, ms_second, ms_other;

  vmgr_real_add_template (client, "tiny", NULL, source);
  add_host (client, "h1", qemu_uris[0]);
  add_host (client, "h2", qemu_uris[1]);

  first = create_vm (client, "q1", "tiny", "h1", 256 * MiB, 512 * MiB, NULL, &ms_first);
  g_assert_cmpstr (vmgr_dbus_vm_get_host (first), ==, "h1");
  second = create_vm (client, "q1b", "tiny", "h1", 256 * MiB, 512 * MiB, NULL, &ms_second);
  other = create_vm (client, "q2", "tiny", "h2", 256 * MiB, 512 * MiB, NULL, &ms_other);
  g_test_message ("provisioning on an added host: first VM of the template %" G_GINT64_FORMAT
                  " ms (with the template upload), second %" G_GINT64_FORMAT
                  " ms (without), first on host 2 %" G_GINT64_FORMAT " ms",
                  ms_first, ms_second, ms_other);
  disk = g_strdup_printf ("vmgr-%u.qcow2", vmgr_dbus_vm_get_id (first));
  g_assert_true (volume_listed (qemu_uris[0], disk));
  g_assert_true (volume_listed (qemu_uris[0], "vmgr-template-tiny-qemu-"));
  g_assert_false (volume_listed (qemu_uris[1], disk));
  /* Nothing of it in vmgrd's state directory. */
  {
    g_autofree char *dir = vmgr_real_guest_dir (daemon_under_test, first);

    g_assert_false (g_file_test (dir, G_FILE_TEST_EXISTS));
  }
  /* What needs its files here is refused, saying why. */
  vmgr_dbus_vm_call_backup_sync (first, g_variant_new ("a{sv}", NULL), &backup, NULL, &error);
  vmgr_test_assert_dbus_error (error, "org.vmgr.Error.NotSupported", "added host");
  g_clear_error (&error);

  boot_and_check (first, qemu_uris[0], qemu_uris[1]);
  boot_and_check (other, qemu_uris[1], qemu_uris[0]);

  delete_vm (first);
  g_assert_false (domain_listed (qemu_uris[0], vmgr_dbus_vm_get_uuid (first)));
  g_assert_false (volume_listed (qemu_uris[0], disk));
  g_clear_pointer (&disk, g_free);
  disk = g_strdup_printf ("vmgr-%u.qcow2", vmgr_dbus_vm_get_id (second));
  g_assert_true (volume_listed (qemu_uris[0], disk));
  delete_vm (second);
  g_assert_false (volume_listed (qemu_uris[0], disk));
  g_clear_pointer (&disk, g_free);
  disk = g_strdup_printf ("vmgr-%u.qcow2", vmgr_dbus_vm_get_id (other));
  delete_vm (other);
  g_assert_false (domain_listed (qemu_uris[1], vmgr_dbus_vm_get_uuid (other)));
  g_assert_false (volume_listed (qemu_uris[1], disk));
  /* the template's volumes stay for the next VM */
  g_assert_true (volume_listed (qemu_uris[0], "vmgr-template-tiny-qemu-"));
}

static gboolean
console_until (int fd, const char *command, const char *marker)
{
  for (guint attempt = 0; attempt < 20; attempt++)
    if (vmgr_test_console_shows (fd, command, marker, 1500))
      return TRUE;
  return FALSE;
}

static void
test_lxc_on_added_host (void)
{
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  g_autofree char *source = vmgr_test_ensure_template ("busybox-lxc", "lxc");
  g_autoptr(VmgrDBusVM) vm = NULL;
  g_autofree char *root = NULL;
  g_autofree char *refused = NULL;
  g_autoptr(GError) error = NULL;
  gint64 ms;
  int fd;

  /* added after the host: AddTemplate checks the template for the driver
   * of a host it fits */
  add_host (client, "l1", lxc_uris[0]);
  vmgr_real_add_template (client, "busybox", "busybox", source);
  /* The LXC template does not fit a QEMU host. */
  vmgr_dbus_manager_call_create_vm_sync (client->manager, "ct-wrong", "busybox", "",
                                         g_variant_new_parsed ("{'host': <'h2'>}"), &refused,
                                         NULL, &error);
  vmgr_test_assert_dbus_error (error, "org.vmgr.Error.InvalidArgument", "does not fit host 'h2'");
  g_clear_error (&error);

  vm = create_vm (client, "ct1", "busybox", NULL, 64 * MiB, 256 * MiB, "ct1.example.org", &ms);
  g_test_message ("provisioning a container on an added host (root image built and uploaded): "
                  "%" G_GINT64_FORMAT " ms", ms);
  g_assert_cmpstr (vmgr_dbus_vm_get_host (vm), ==, "l1");
  root = g_strdup_printf ("vmgr-%u-root.img", vmgr_dbus_vm_get_id (vm));
  g_assert_true (volume_listed (lxc_uris[0], root));
  {
    g_autofree char *staging = g_build_filename (vmgr_test_daemon_get_state_dir (daemon_under_test),
                                                 "staging", NULL);
    g_autofree char *local = g_strdup_printf ("%s/vmgr-%u", staging, vmgr_dbus_vm_get_id (vm));

    g_assert_false (g_file_test (local, G_FILE_TEST_EXISTS));
  }
  /* A snapshot would copy its root image here: refused. */
  {
    g_autofree char *snapshot = NULL;

    vmgr_dbus_vm_call_create_snapshot_sync (vm, "s1", g_variant_new ("a{sv}", NULL), &snapshot,
                                            NULL, &error);
    vmgr_test_assert_dbus_error (error, "org.vmgr.Error.NotSupported", "added host");
    g_clear_error (&error);
  }

  vmgr_dbus_vm_call_start_sync (vm, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (vmgr_test_wait_state (vm, "running", 60000));
  g_assert_true (domain_runs_on (lxc_uris[0], vmgr_dbus_vm_get_uuid (vm)));
  fd = vmgr_real_open_console (vm);
  g_assert_true (console_until (fd, "cat /etc/hostname\n", "ct1.example.org"));
  close (fd);

  delete_vm (vm);
  g_assert_false (domain_listed (lxc_uris[0], vmgr_dbus_vm_get_uuid (vm)));
  g_assert_false (volume_listed (lxc_uris[0], root));
}

int
main (int argc, char **argv)
{
  const char *qemu = g_getenv ("VMGR_HOST_QEMU_URIS");
  const char *lxc = g_getenv ("VMGR_HOST_LXC_URIS");
  int status;

  g_test_init (&argc, &argv, NULL);
  if (qemu == NULL || lxc == NULL)
    g_error ("run under tests/real/with-hosts.sh 2");
  qemu_uris = g_strsplit (qemu, " ", -1);
  lxc_uris = g_strsplit (lxc, " ", -1);
  g_assert_cmpuint (g_strv_length (qemu_uris), >=, 2);
  /* The cases build on each other (hosts h1 and h2 of the first). */
  g_test_add_func ("/real-host-volumes/qemu-on-added-hosts", test_qemu_on_added_hosts);
  g_test_add_func ("/real-host-volumes/lxc-on-added-host", test_lxc_on_added_host);
  status = vmgr_real_test_run ("qemu", &daemon_under_test);
  g_strfreev (qemu_uris);
  g_strfreev (lxc_uris);
  return status;
}
