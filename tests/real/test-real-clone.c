/* Manager.CloneVM on real guests through a private libvirtd (run under
 * tests/harness/testbus.sh -- tests/harness/libvirtd.sh). Built twice:
 * test-real-clone (LXC) and test-real-clone-qemu (CLONE_DRIVER "qemu").
 * LXC: a file written inside a container is in its clone, both run side by
 * side, each with its own host name; the clone's copy is timed. QEMU: the
 * tiny guest's disk, marked, snapshotted and marked again, cloned from the
 * snapshot: the clone's disk holds the first mark and no snapshot. Checked
 * from inside the guests (their consoles), so that it holds whatever the
 * root's layout (a directory or an image). */
#include <string.h>
#include <unistd.h>

#include "real-helpers.h"

#define MiB (G_GUINT64_CONSTANT (1) << 20)
#define WAIT_MS 30000
#define CONSOLE_MS 20000
#define BOOT_MS 120000

#ifndef CLONE_DRIVER
#define CLONE_DRIVER "lxc"
#endif

static VmgrTestDaemon *daemon_under_test;

typedef struct {
  gboolean done;
  char *outcome;   /* "ok" or the error */
} Completion;

static void
on_completed (GDBusConnection *bus, const char *sender, const char *path,
              const char *interface, const char *member, GVariant *parameters, gpointer data)
{
  Completion *completion = data;
  gboolean success;
  const char *error;

  g_variant_get (parameters, "(b&s)", &success, &error);
  completion->done = TRUE;
  completion->outcome = g_strdup (success ? "ok" : error);
}

static gboolean
completed (gpointer data)
{
  return ((Completion *) data)->done;
}

static VmgrDBusVM *
create_container (VmgrTestClient *client, const char *name)
{
  g_autofree char *path = NULL;
  g_autoptr(VmgrDBusVM) vm = NULL;
  g_autoptr(GError) error = NULL;
  GVariantDict options;

  g_variant_dict_init (&options, NULL);
  g_variant_dict_insert (&options, "memory_limit", "t", 64 * MiB);
  vmgr_dbus_manager_call_create_vm_sync (client->manager, name, "busybox", "",
                                         g_variant_dict_end (&options), &path, NULL, &error);
  g_assert_no_error (error);
  vm = vmgr_test_client_vm (client, path);
  g_assert_true (vmgr_test_wait (vmgr_real_provisioned, vm, WAIT_MS));
  return g_steal_pointer (&vm);
}

static void
start (VmgrDBusVM *vm)
{
  g_autoptr(GError) error = NULL;

  vmgr_dbus_vm_call_start_sync (vm, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (vmgr_test_wait_state (vm, "running", WAIT_MS));
}

static void
stop (VmgrDBusVM *vm)
{
  g_autoptr(GError) error = NULL;

  vmgr_dbus_vm_call_stop_sync (vm, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (vmgr_test_wait_state (vm, "stopped", WAIT_MS));
}

/* Whether the guest's console answers @command with @marker, once its
 * shell answers at all (a guest just started may not have one yet). */
static gboolean
console_shows (VmgrDBusVM *vm, const char *command, const char *marker)
{
  int fd = vmgr_real_open_console (vm);
  gboolean ready = FALSE;
  gboolean shown;

  for (guint tries = 0; tries < CONSOLE_MS / 1000 && !ready; tries++)
    ready = vmgr_test_console_shows (fd, "echo ready-$((2*3))\n", "ready-6", 1000);
  shown = ready && vmgr_test_console_shows (fd, command, marker, CONSOLE_MS);
  close (fd);
  return shown;
}

/* CloneVM, timed until its job completed; the clone's path. */
static char *
clone_timed (VmgrTestClient *client, const char *source, const char *name, gint64 *elapsed_ms)
{
  Completion completion = { FALSE, NULL };
  guint subscription = g_dbus_connection_signal_subscribe (client->bus, NULL, "org.vmgr.Job",
                                                           "Completed", NULL, NULL,
                                                           G_DBUS_SIGNAL_FLAGS_NONE,
                                                           on_completed, &completion, NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *job = NULL;
  char *path = NULL;
  gint64 started = g_get_monotonic_time ();

  vmgr_dbus_manager_call_clone_vm_sync (client->manager, source, name,
                                        g_variant_new ("a{sv}", NULL), &job, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (vmgr_test_wait (completed, &completion, WAIT_MS));
  *elapsed_ms = (g_get_monotonic_time () - started) / 1000;
  g_dbus_connection_signal_unsubscribe (client->bus, subscription);
  g_assert_cmpstr (completion.outcome, ==, "ok");
  g_free (completion.outcome);
  vmgr_dbus_manager_call_find_vm_sync (client->manager, name, &path, NULL, &error);
  g_assert_no_error (error);
  return path;
}

static void
test_clone_container (void)
{
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  g_autofree char *template = vmgr_test_ensure_template ("busybox-lxc", "lxc");
  g_autoptr(VmgrDBusVM) source = NULL;
  g_autoptr(VmgrDBusVM) clone = NULL;
  g_autofree char *clone_path = NULL;
  g_autofree char *clone_dir = NULL;
  g_autofree char *du = g_strdup_printf ("du -sh --apparent-size %s", template);
  g_autofree char *size = NULL;
  gint64 elapsed_ms;

  vmgr_real_add_template (client, "busybox", "busybox", template);
  source = create_container (client, "origin");
  start (source);
  g_assert_true (console_shows (source, "echo written-$((6*7)) > /etc/clone-marker && "
                                        "chown 1234:567 /etc/clone-marker && "
                                        "chmod 4751 /etc/clone-marker && sync; "
                                        "echo rc-$?-end\n", "rc-0-end"));
  stop (source);

  clone_path = clone_timed (client, g_dbus_proxy_get_object_path (G_DBUS_PROXY (source)),
                            "copy", &elapsed_ms);
  clone = vmgr_test_client_vm (client, clone_path);
  g_assert_true (g_spawn_command_line_sync (du, &size, NULL, NULL, NULL));
  g_test_message ("TIMING clone of a busybox-lxc container (template: %s): %" G_GINT64_FORMAT
                  " ms from CloneVM to Completed", g_strstrip (size), elapsed_ms);
  g_assert_true (vmgr_test_wait_reason (clone, "cloned", WAIT_MS));
  g_assert_cmpstr (vmgr_dbus_vm_get_uuid (clone), !=, vmgr_dbus_vm_get_uuid (source));
  clone_dir = vmgr_real_guest_dir (daemon_under_test, clone);
  g_assert_true (g_file_test (clone_dir, G_FILE_TEST_IS_DIR));

  /* Both run at once; the file is in the clone; each has its own name. */
  start (source);
  start (clone);
  g_assert_true (console_shows (clone, "cat /etc/clone-marker\n", "written-42"));
  /* With its owner and mode (set-id bits too). */
  g_assert_true (console_shows (clone, "echo own-$(stat -c %u:%g:%a /etc/clone-marker)-end\n",
                                "own-1234:567:4751-end"));
  g_assert_true (console_shows (clone, "echo host-$(hostname)-end\n", "host-copy-end"));
  g_assert_true (console_shows (source, "echo host-$(hostname)-end\n", "host-origin-end"));
  g_assert_cmpstr (vmgr_dbus_vm_get_state (source), ==, "running");
  g_assert_cmpstr (vmgr_dbus_vm_get_state (clone), ==, "running");
}

/* ---- QEMU: from a qcow2 internal snapshot -------------------------------- */

static VmgrDBusVM *
create_tiny_guest (VmgrTestClient *client, const char *name)
{
  g_autofree char *path = NULL;
  g_autoptr(VmgrDBusVM) vm = NULL;
  g_autoptr(GError) error = NULL;
  GVariantDict options;

  g_variant_dict_init (&options, NULL);
  g_variant_dict_insert (&options, "memory_limit", "t", 256 * MiB);
  g_variant_dict_insert (&options, "disk_hard_limit", "t", 512 * MiB);
  vmgr_dbus_manager_call_create_vm_sync (client->manager, name, "tiny", "",
                                         g_variant_dict_end (&options), &path, NULL, &error);
  g_assert_no_error (error);
  vm = vmgr_test_client_vm (client, path);
  g_assert_true (vmgr_test_wait (vmgr_real_provisioned, vm, WAIT_MS));
  return g_steal_pointer (&vm);
}

/* Starts the tiny guest and waits for its boot; its console. */
static int
boot (VmgrDBusVM *vm)
{
  int fd;

  start (vm);
  fd = vmgr_real_open_console (vm);
  g_assert_true (vmgr_test_console_shows (fd, NULL, "vmgr-guest: booted", BOOT_MS));
  return fd;
}

/* Writes @mark at the start of the guest's disk, through to the image. */
static void
mark_disk (int fd, const char *mark)
{
  g_autofree char *command = g_strdup_printf ("echo %s > /dev/vda; sync; echo marked-$((5*5))\n",
                                              mark);

  g_assert_true (vmgr_test_console_shows (fd, command, "marked-25", 10000));
}

static void
test_clone_snapshot (void)
{
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  g_autofree char *template = vmgr_test_ensure_template ("tiny-qemu", "qemu");
  g_autoptr(VmgrDBusVM) source = NULL;
  g_autoptr(VmgrDBusVM) clone = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *snapshot = NULL;
  g_autofree char *clone_path = NULL;
  g_autofree char *clone_dir = NULL;
  g_autofree char *disk = NULL;
  g_autofree char *list = NULL;
  g_autofree char *listing = NULL;
  gint64 elapsed_ms;
  int fd;

  vmgr_real_add_template (client, "tiny", NULL, template);
  source = create_tiny_guest (client, "tiny-source");
  fd = boot (source);
  mark_disk (fd, "disk-mark-first");
  vmgr_dbus_vm_call_create_snapshot_sync (source, "first", g_variant_new ("a{sv}", NULL),
                                          &snapshot, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (vmgr_test_wait_state (source, "running", WAIT_MS));
  mark_disk (fd, "disk-mark-later");
  close (fd);

  /* A QEMU guest's snapshots are in the disk it writes: not while it runs. */
  vmgr_dbus_manager_call_clone_vm_sync (client->manager, snapshot, "tiny-copy",
                                        g_variant_new ("a{sv}", NULL), NULL, NULL, &error);
  vmgr_test_assert_dbus_error (error, "org.vmgr.Error.InvalidState", "only while");
  g_clear_error (&error);
  stop (source);

  clone_path = clone_timed (client, snapshot, "tiny-copy", &elapsed_ms);
  g_test_message ("TIMING clone of the tiny QEMU guest from a snapshot: %" G_GINT64_FORMAT
                  " ms from CloneVM to Completed", elapsed_ms);
  clone = vmgr_test_client_vm (client, clone_path);
  g_assert_true (vmgr_test_wait_reason (clone, "cloned", WAIT_MS));

  /* The clone's disk has no snapshot of its own. */
  clone_dir = vmgr_real_guest_dir (daemon_under_test, clone);
  disk = g_build_filename (clone_dir, "disk.qcow2", NULL);
  list = g_strdup_printf ("qemu-img snapshot -l %s", disk);
  g_assert_true (g_spawn_command_line_sync (list, &listing, NULL, NULL, NULL));
  g_assert_null (strstr (listing, "first"));

  /* It holds what the source's held at the snapshot; the source keeps
   * what it wrote later. */
  fd = boot (clone);
  g_assert_true (vmgr_test_console_shows (fd, "echo got-$(head -c 15 /dev/vda)-end\n",
                                          "got-disk-mark-first-end", 10000));
  close (fd);
  fd = boot (source);
  g_assert_true (vmgr_test_console_shows (fd, "echo got-$(head -c 15 /dev/vda)-end\n",
                                          "got-disk-mark-later-end", 10000));
  close (fd);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  if (g_str_equal (CLONE_DRIVER, "qemu"))
    g_test_add_func ("/real-clone/qemu/from-snapshot", test_clone_snapshot);
  else
    g_test_add_func ("/real-clone/lxc/container", test_clone_container);
  return vmgr_real_test_run (CLONE_DRIVER, &daemon_under_test);
}
