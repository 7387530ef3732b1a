/* Backup and restore of a real LXC container (issue 13), through a
 * private libvirtd (run under tests/harness/testbus.sh --
 * tests/harness/libvirtd.sh): a file written in the running container is
 * in its backup (the container stays running), the VM is deleted,
 * restored from the archive, started, and the file is there. The times
 * of the backup and the restore of the shipped busybox template are
 * printed. The cases build on each other: run the whole program. */
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "real-helpers.h"
#include "vmgr-test-jobs.h"

#define MiB (G_GUINT64_CONSTANT (1) << 20)
#define WAIT_MS 60000
#define VM_NAME "kept"
/* What the guest writes, and the command that writes it: the command
 * line echoed on the console does not contain the text. */
#define MARKER "kept-42-file"
#define WRITE_MARKER "echo kept-$((6*7))-file > /root/marker\n"

static VmgrTestDaemon *daemon_under_test;
static char *vm_path;
static char *archive;
static char *uuid;

static const char *
wait_job (VmgrTestJobWatch *watch, const char *path)
{
  return vmgr_test_job_watch_wait (watch, path, 300000);
}

/* The guest's shell answers (it may not, the moment the container runs). */
static gboolean
console_ready (int fd)
{
  for (guint i = 0; i < 12; i++)
    if (vmgr_test_console_shows (fd, "echo ready-$((6*7))\n", "ready-42", 5000))
      return TRUE;
  return FALSE;
}

static void
test_create_and_write (void)
{
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  g_autofree char *source = vmgr_test_ensure_template ("busybox-lxc", "lxc");
  g_autoptr(GError) error = NULL;
  g_autoptr(VmgrDBusVM) vm = NULL;
  GVariantDict options;
  int fd;

  vmgr_real_add_template (client, "busybox", "busybox", source);
  g_variant_dict_init (&options, NULL);
  g_variant_dict_insert (&options, "owner", "u", VMGR_TEST_UID_ALICE);
  g_variant_dict_insert (&options, "memory_limit", "t", 128 * MiB);
  g_variant_dict_insert (&options, "hostname", "s", "kept.example.org");
  vmgr_dbus_manager_call_create_vm_sync (client->manager, VM_NAME, "busybox", "",
                                         g_variant_dict_end (&options), &vm_path, NULL, &error);
  g_assert_no_error (error);
  vm = vmgr_test_client_vm (client, vm_path);
  g_assert_true (vmgr_test_wait (vmgr_real_provisioned, vm, WAIT_MS));
  uuid = g_strdup (vmgr_dbus_vm_get_uuid (vm));
  vmgr_test_start_and_wait (vm);
  fd = vmgr_real_open_console (vm);
  g_assert_true (console_ready (fd));
  g_assert_true (vmgr_test_console_shows (fd, WRITE_MARKER, "", 0));
  g_assert_true (vmgr_test_console_shows (fd, "cat /root/marker\n", MARKER, 15000));
  /* Written through to the root's file system before the copy. */
  g_assert_true (vmgr_test_console_shows (fd, "sync; echo synced-$((40+2))\n", "synced-42",
                                          60000));
  close (fd);
}

static void
test_backup_running (void)
{
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  g_autoptr(VmgrTestJobWatch) watch = vmgr_test_job_watch_new (client);
  g_autoptr(VmgrDBusVM) vm = vmgr_test_client_vm (client, vm_path);
  g_autoptr(GVariant) list = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *job = NULL;
  GVariantIter iter;
  GVariant *entry;
  gint64 started = g_get_monotonic_time ();
  guint64 size = 0;

  vmgr_dbus_vm_call_backup_sync (vm, g_variant_new_parsed ("{'description': <'real'>}"), &job,
                                 NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (wait_job (watch, job), ==, "ok");
  g_test_message ("TIMING backup of the running busybox container: %" G_GINT64_FORMAT " ms",
                  (g_get_monotonic_time () - started) / 1000);
  g_assert_true (vmgr_test_wait_state (vm, "running", WAIT_MS));

  vmgr_dbus_manager_call_list_backups_sync (client->manager, &list, NULL, &error);
  g_assert_no_error (error);
  g_variant_iter_init (&iter, list);
  while ((entry = g_variant_iter_next_value (&iter)) != NULL)
    {
      const char *name = NULL;
      const char *state = NULL;

      g_variant_lookup (entry, "archive", "&s", &name);
      if (g_str_has_prefix (name, VM_NAME "-"))
        {
          archive = g_strdup (name);
          g_assert_true (g_variant_lookup (entry, "state", "&s", &state));
          g_assert_cmpstr (state, ==, "running");
          g_variant_lookup (entry, "size", "t", &size);
        }
      g_variant_unref (entry);
    }
  g_assert_nonnull (archive);
  g_test_message ("TIMING archive %s: %" G_GUINT64_FORMAT " bytes", archive, size);
}

static void
test_delete_restore_start (void)
{
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  g_autoptr(VmgrTestJobWatch) watch = vmgr_test_job_watch_new (client);
  g_autoptr(VmgrDBusVM) vm = vmgr_test_client_vm (client, vm_path);
  g_autoptr(VmgrDBusVM) back = NULL;
  const char *announced;
  g_autoptr(GError) error = NULL;
  g_autofree char *old_dir = vmgr_real_guest_dir (daemon_under_test, vm);
  g_autofree char *job = NULL;
  g_autofree char *target = NULL;
  gint64 started;
  int fd;

  vmgr_dbus_vm_call_stop_sync (vm, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (vmgr_test_wait_state (vm, "stopped", WAIT_MS));
  vmgr_dbus_vm_call_delete_sync (vm, NULL, &error);
  g_assert_no_error (error);
  g_assert_false (g_file_test (old_dir, G_FILE_TEST_EXISTS));

  started = g_get_monotonic_time ();
  vmgr_dbus_manager_call_restore_backup_sync (client->manager, archive, "",
                                              g_variant_new ("a{sv}", NULL), &job, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (wait_job (watch, job), ==, "ok");
  announced = vmgr_test_job_watch_announced (watch, job);
  g_assert_true (g_str_has_prefix (announced, "restore /org/vmgr/vm/"));
  target = g_strdup (announced + strlen ("restore "));
  g_test_message ("TIMING restore of the busybox container: %" G_GINT64_FORMAT " ms",
                  (g_get_monotonic_time () - started) / 1000);
  back = vmgr_test_client_vm (client, target);
  g_assert_cmpstr (vmgr_dbus_vm_get_name (back), ==, VM_NAME);
  g_assert_cmpuint (vmgr_dbus_vm_get_owner (back), ==, VMGR_TEST_UID_ALICE);
  g_assert_cmpstr (vmgr_dbus_vm_get_uuid (back), ==, uuid);
  g_assert_cmpstr (vmgr_dbus_vm_get_hostname (back), ==, "kept.example.org");
  g_assert_true (vmgr_test_wait_state (back, "stopped", WAIT_MS));

  vmgr_test_start_and_wait (back);
  fd = vmgr_real_open_console (back);
  g_assert_true (console_ready (fd));
  g_assert_true (vmgr_test_console_shows (fd, "cat /root/marker\n", MARKER, 15000));
  close (fd);

  vmgr_dbus_vm_call_stop_sync (back, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (vmgr_test_wait_state (back, "stopped", WAIT_MS));
  vmgr_dbus_vm_call_delete_sync (back, NULL, &error);
  g_assert_no_error (error);
  vmgr_dbus_manager_call_delete_backup_sync (client->manager, archive, NULL, &error);
  g_assert_no_error (error);
}

int
main (int argc, char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/real-backup/create-and-write", test_create_and_write);
  g_test_add_func ("/real-backup/backup-running", test_backup_running);
  g_test_add_func ("/real-backup/delete-restore-start", test_delete_restore_start);

  status = vmgr_real_test_run ("lxc", &daemon_under_test);
  g_free (vm_path);
  g_free (archive);
  g_free (uuid);
  return status;
}
