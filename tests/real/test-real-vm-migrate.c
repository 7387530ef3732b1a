/* VM.Migrate of vmgrd on real containers between two libvirtd hosts (run
 * under tests/harness/testbus.sh -- tests/harness/libvirtd.sh --no-network
 * -- tests/real/with-hosts.sh 2): a busybox container created by vmgrd on
 * added host 1 (lxc+tcp, its files in a storage pool there), a marker file
 * written inside, migrated offline to host 2 (its root image streamed pool
 * to pool): running there with the marker, nothing left on host 1; a
 * migration cancelled during the copy leaves it running on its source;
 * one to the configured host (the image downloaded into its guest
 * directory) and back to an added host (uploaded). Built once more as
 * test-real-vm-migrate-qemu (MIGRATE_DRIVER "qemu"): the tiny QEMU guest
 * made by vmgrd on qemu+tcp host 1, its disk marked, stopped and moved
 * offline to host 2 (boots there with the mark); a live migration back
 * cancelled while copying leaves it on host 2; migrated live to the
 * configured host while a client reads its properties in a loop (the
 * reads keep answering, the guest's uptime goes on, its console answers
 * with the mark); moved offline (live false) to host 1, where it boots
 * again with the mark and nothing stays here; live to host 2 again. A
 * stopped VM whose disk is backed by a template image moves offline h1 ->
 * h2 -> configured -> h1, its backing file the template's image at each
 * stop; once the template changed, its move fails and leaves it whole.
 * The cases build on each other: run the whole program. */
#include <string.h>
#include <unistd.h>

#include "real-helpers.h"

#define MiB (G_GUINT64_CONSTANT (1) << 20)
#define WAIT_MS 30000
#define CONSOLE_MS 20000
#define POOL "vmgrmig"
#define BOOT_MS 120000

#ifndef MIGRATE_DRIVER
#define MIGRATE_DRIVER "lxc"
#endif

static VmgrTestDaemon *daemon_under_test;
static char *vm_path;

static char *
host_uri (guint i)
{
  g_auto(GStrv) uris = g_strsplit (g_getenv (g_str_equal (MIGRATE_DRIVER, "qemu")
                                             ? "VMGR_HOST_QEMU_URIS" : "VMGR_HOST_LXC_URIS"),
                                   " ", -1);

  g_assert_cmpuint (g_strv_length (uris), >=, i);
  return g_strdup (uris[i - 1]);
}

static char *
virsh (guint host, const char *a, const char *b, const char *c, const char *d, const char *e)
{
  g_autofree char *uri = host_uri (host);
  const char *argv[] = { "virsh", "-q", "-c", uri, a, b, c, d, e, NULL };
  char *out = NULL;

  g_assert_cmpint (vmgr_test_run_as_argv (0, &out, NULL, argv), ==, 0);
  return out;
}

/* A directory pool on host @i, as an administrator makes one. */
static void
make_pool (guint i)
{
  g_free (virsh (i, "pool-define-as", POOL, "dir", "--target", "/var/lib/libvirt/vmgrmig"));
  g_free (virsh (i, "pool-build", POOL, NULL, NULL, NULL));
  g_free (virsh (i, "pool-start", POOL, NULL, NULL, NULL));
}

static gboolean
pool_has (guint i, const char *name)
{
  g_autofree char *list = virsh (i, "vol-list", POOL, NULL, NULL, NULL);

  return strstr (list, name) != NULL;
}

static void
add_host (VmgrTestClient *client, const char *name, guint i)
{
  g_autofree char *uri = host_uri (i);
  g_autofree char *path = NULL;
  g_autoptr(GError) error = NULL;

  vmgr_dbus_manager_call_add_host_sync (client->manager, name, uri,
                                        g_variant_new_parsed ("{'pool': <%s>}", POOL), &path,
                                        NULL, &error);
  g_assert_no_error (error);
  g_assert_true (vmgr_test_wait_host_connected (client, name, WAIT_MS));
}

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

typedef struct {
  char *path;
  char *outcome;
} Completion;

static void
on_completed (GDBusConnection *bus, const char *sender, const char *path,
              const char *interface, const char *member, GVariant *parameters, gpointer data)
{
  Completion *completion = data;
  gboolean success;
  const char *error;

  if (completion->path == NULL || !g_str_equal (path, completion->path))
    return;
  g_variant_get (parameters, "(b&s)", &success, &error);
  completion->outcome = g_strdup (success ? "ok" : error);
}

static gboolean
completed (gpointer data)
{
  return ((Completion *) data)->outcome != NULL;
}

/* Migrate to @host; with @cancel, Cancel once the job has made progress.
 * The job's outcome ("ok" or its error) and its time in @ms. */
static char *
migrate (VmgrTestClient *client, VmgrDBusVM *vm, const char *host, GVariant *options,
         gboolean cancel, gint64 *ms)
{
  Completion completion = { 0 };
  guint id = g_dbus_connection_signal_subscribe (client->bus, NULL, "org.vmgr.Job", "Completed",
                                                 NULL, NULL, G_DBUS_SIGNAL_FLAGS_NONE,
                                                 on_completed, &completion, NULL);
  g_autoptr(GError) error = NULL;
  gint64 t0 = g_get_monotonic_time ();

  vmgr_dbus_vm_call_migrate_sync (vm, host,
                                  options != NULL ? options : g_variant_new ("a{sv}", NULL),
                                  &completion.path, NULL, &error);
  g_assert_no_error (error);
  if (cancel)
    {
      g_autoptr(GVariant) reply = NULL;

      /* Once the copy starts (the container is down, or QEMU's memory and
       * disk about to go): 0.1 is where both paths set it then. */
      for (guint i = 0; i < 200 && completion.outcome == NULL; i++)
        {
          g_autoptr(GVariant) progress =
            vmgr_test_call (client, completion.path, "org.freedesktop.DBus.Properties", "Get",
                            g_variant_new ("(ss)", "org.vmgr.Job", "Progress"), NULL);
          g_autoptr(GVariant) value = NULL;

          if (progress != NULL)
            {
              g_variant_get (progress, "(v)", &value);
              if (g_variant_get_double (value) >= 0.1)
                break;
            }
          g_usleep (5000);
          g_main_context_iteration (NULL, FALSE);
        }
      reply = vmgr_test_call (client, completion.path, "org.vmgr.Job", "Cancel", NULL, NULL);
    }
  g_assert_true (vmgr_test_wait (completed, &completion, 300000));
  *ms = (g_get_monotonic_time () - t0) / 1000;
  g_dbus_connection_signal_unsubscribe (client->bus, id);
  g_free (completion.path);
  return completion.outcome;
}

static char *
host_of_vm (VmgrTestClient *client, const char *path)
{
  g_autoptr(GVariant) value = vmgr_test_read_vm_property (client, path, "Host");

  return g_variant_dup_string (value, NULL);
}

static char *
host_of (VmgrTestClient *client)
{
  return host_of_vm (client, vm_path);
}

static void
test_setup (void)
{
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  g_autofree char *template = vmgr_test_ensure_template ("busybox-lxc", "lxc");
  g_autoptr(GError) error = NULL;
  g_autoptr(VmgrDBusVM) vm = NULL;
  GVariantDict options;

  make_pool (1);
  make_pool (2);
  add_host (client, "h1", 1);
  add_host (client, "h2", 2);
  vmgr_real_add_template (client, "busybox", "busybox", template);
  g_variant_dict_init (&options, NULL);
  g_variant_dict_insert (&options, "memory_limit", "t", 64 * MiB);
  g_variant_dict_insert (&options, "host", "s", "h1");
  vmgr_dbus_manager_call_create_vm_sync (client->manager, "mover", "busybox", "",
                                         g_variant_dict_end (&options), &vm_path, NULL, &error);
  g_assert_no_error (error);
  vm = vmgr_test_client_vm (client, vm_path);
  g_assert_true (vmgr_test_wait (vmgr_real_provisioned, vm, WAIT_MS));
  vmgr_dbus_vm_call_start_sync (vm, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (vmgr_test_wait_state (vm, "running", WAIT_MS));
  g_assert_true (console_shows (vm, "echo moved-$((6*7)) > /etc/migrate-marker && sync; "
                                    "cat /etc/migrate-marker\n", "moved-42"));
}

static void
test_offline (void)
{
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  g_autoptr(VmgrDBusVM) vm = vmgr_test_client_vm (client, vm_path);
  g_autofree char *root = g_strdup_printf ("vmgr-%u-root.img", vmgr_dbus_vm_get_id (vm));
  g_autofree char *outcome = NULL;
  g_autofree char *host = NULL;
  gint64 ms = 0;

  g_assert_true (pool_has (1, root));
  outcome = migrate (client, vm, "h2", NULL, FALSE, &ms);
  g_assert_cmpstr (outcome, ==, "ok");
  g_test_message ("TIMING offline migration of a running busybox container h1 -> h2: "
                  "%" G_GINT64_FORMAT " ms", ms);
  host = host_of (client);
  g_assert_cmpstr (host, ==, "h2");
  g_assert_true (vmgr_test_wait_state (vm, "running", WAIT_MS));
  g_assert_cmpstr (vmgr_dbus_vm_get_state_reason (vm), ==, "migrated");
  g_assert_true (console_shows (vm, "cat /etc/migrate-marker\n", "moved-42"));
  g_assert_true (pool_has (2, root));
  g_assert_false (pool_has (1, root));
}

static void
test_cancel (void)
{
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  g_autoptr(VmgrDBusVM) vm = vmgr_test_client_vm (client, vm_path);
  g_autofree char *root = g_strdup_printf ("vmgr-%u-root.img", vmgr_dbus_vm_get_id (vm));
  g_autofree char *outcome = NULL;
  g_autofree char *host = NULL;
  gint64 ms = 0;

  outcome = migrate (client, vm, "h1", NULL, TRUE, &ms);
  g_test_message ("cancelled migration after %" G_GINT64_FORMAT " ms: %s", ms, outcome);
  g_assert_cmpstr (outcome, !=, "ok");
  host = host_of (client);
  g_assert_cmpstr (host, ==, "h2");
  g_assert_true (vmgr_test_wait_state (vm, "running", WAIT_MS));
  g_assert_false (pool_has (1, root));
  g_assert_true (pool_has (2, root));
  g_assert_true (console_shows (vm, "cat /etc/migrate-marker\n", "moved-42"));
}

static void
test_to_configured (void)
{
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  g_autoptr(VmgrDBusVM) vm = vmgr_test_client_vm (client, vm_path);
  g_autofree char *root = g_strdup_printf ("vmgr-%u-root.img", vmgr_dbus_vm_get_id (vm));
  g_autofree char *dir = vmgr_real_guest_dir (daemon_under_test, vm);
  g_autofree char *image = g_build_filename (dir, "root.img", NULL);
  g_autofree char *outcome = NULL;
  g_autofree char *host = NULL;
  gint64 ms = 0;

  outcome = migrate (client, vm, "local", NULL, FALSE, &ms);
  g_assert_cmpstr (outcome, ==, "ok");
  g_test_message ("TIMING offline migration h2 -> the configured host: %" G_GINT64_FORMAT " ms",
                  ms);
  host = host_of (client);
  g_assert_cmpstr (host, ==, "local");
  g_assert_true (g_file_test (image, G_FILE_TEST_IS_REGULAR));
  g_assert_false (pool_has (2, root));
  g_assert_true (vmgr_test_wait_state (vm, "running", WAIT_MS));
  g_assert_true (console_shows (vm, "cat /etc/migrate-marker\n", "moved-42"));
}

/* Back to an added host: the image uploaded, the guest directory here gone. */
static void
test_from_configured (void)
{
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  g_autoptr(VmgrDBusVM) vm = vmgr_test_client_vm (client, vm_path);
  g_autofree char *root = g_strdup_printf ("vmgr-%u-root.img", vmgr_dbus_vm_get_id (vm));
  g_autofree char *dir = vmgr_real_guest_dir (daemon_under_test, vm);
  g_autofree char *outcome = NULL;
  g_autofree char *host = NULL;
  gint64 ms = 0;

  outcome = migrate (client, vm, "h1", NULL, FALSE, &ms);
  g_assert_cmpstr (outcome, ==, "ok");
  g_test_message ("TIMING offline migration the configured host -> h1: %" G_GINT64_FORMAT " ms",
                  ms);
  host = host_of (client);
  g_assert_cmpstr (host, ==, "h1");
  g_assert_true (pool_has (1, root));
  g_assert_false (g_file_test (dir, G_FILE_TEST_EXISTS));
  g_assert_true (vmgr_test_wait_state (vm, "running", WAIT_MS));
  g_assert_true (console_shows (vm, "cat /etc/migrate-marker\n", "moved-42"));
}

/* ---- QEMU, live ----------------------------------------------------------- */

typedef struct {
  VmgrTestClient *client;
  guint reads;
  gint64 slowest_us;
  gboolean failed;
} Reader;

/* One property read, as a client polling the VM does. */
static gboolean
read_once (gpointer data)
{
  Reader *reader = data;
  gint64 t0 = g_get_monotonic_time ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply =
    vmgr_test_call (reader->client, vm_path, "org.freedesktop.DBus.Properties", "GetAll",
                    g_variant_new ("(s)", "org.vmgr.VM"), &error);

  if (reply == NULL)
    reader->failed = TRUE;
  reader->reads++;
  reader->slowest_us = MAX (reader->slowest_us, g_get_monotonic_time () - t0);
  return G_SOURCE_CONTINUE;
}

static int
boot (VmgrDBusVM *vm)
{
  g_autoptr(GError) error = NULL;
  int fd;

  vmgr_dbus_vm_call_start_sync (vm, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (vmgr_test_wait_state (vm, "running", WAIT_MS));
  fd = vmgr_real_open_console (vm);
  g_assert_true (vmgr_test_console_shows (fd, NULL, "vmgr-guest: booted", BOOT_MS));
  return fd;
}

static void
test_qemu_setup (void)
{
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  g_autofree char *template = vmgr_test_ensure_template ("tiny-qemu", "qemu");
  g_autoptr(GError) error = NULL;
  g_autoptr(VmgrDBusVM) vm = NULL;
  GVariantDict options;
  int fd;

  make_pool (1);
  make_pool (2);
  add_host (client, "h1", 1);
  add_host (client, "h2", 2);
  vmgr_real_add_template (client, "tiny", NULL, template);
  g_variant_dict_init (&options, NULL);
  g_variant_dict_insert (&options, "memory_limit", "t", 256 * MiB);
  g_variant_dict_insert (&options, "disk_hard_limit", "t", 256 * MiB);
  g_variant_dict_insert (&options, "host", "s", "h1");
  vmgr_dbus_manager_call_create_vm_sync (client->manager, "flyer", "tiny", "",
                                         g_variant_dict_end (&options), &vm_path, NULL, &error);
  g_assert_no_error (error);
  vm = vmgr_test_client_vm (client, vm_path);
  g_assert_true (vmgr_test_wait (vmgr_real_provisioned, vm, WAIT_MS));
  fd = boot (vm);
  g_assert_true (vmgr_test_console_shows (fd, "echo flying-mark > /dev/vda; sync; "
                                              "echo marked-$((5*5))\n", "marked-25", 10000));
  /* The guest's own clock: its uptime goes on across the migration. */
  g_assert_true (vmgr_test_console_shows (fd, "touch /tmp/before-migration; "
                                              "echo stamped-$((4*4))\n", "stamped-16", 10000));
  close (fd);
}

/* Live to @data (a host name); from an added host onto the configured
 * one, the disk ends in the guest directory here. */
static void
test_live (gconstpointer data)
{
  const char *target = data;
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  g_autoptr(VmgrTestClient) other = vmgr_test_client_new ();
  g_autoptr(VmgrDBusVM) vm = vmgr_test_client_vm (client, vm_path);
  g_autofree char *disk = g_strdup_printf ("vmgr-%u.qcow2", vmgr_dbus_vm_get_id (vm));
  g_autofree char *outcome = NULL;
  g_autofree char *host = NULL;
  g_autofree char *from = host_of (client);
  g_autofree char *dir = vmgr_real_guest_dir (daemon_under_test, vm);
  g_autofree char *local_disk = g_build_filename (dir, "disk.qcow2", NULL);
  g_autofree char *log = NULL;
  const char *line;
  Reader reader = { other, 0, 0, FALSE };
  guint poll;
  gint64 ms = 0;
  int fd;

  poll = g_timeout_add (50, read_once, &reader);
  outcome = migrate (client, vm, target, NULL, FALSE, &ms);
  g_source_remove (poll);
  g_assert_cmpstr (outcome, ==, "ok");
  g_assert_false (reader.failed);
  g_test_message ("TIMING live migration of the tiny QEMU guest %s -> %s: %" G_GINT64_FORMAT
                  " ms from Migrate to Completed; %u property reads meanwhile, the slowest "
                  "%" G_GINT64_FORMAT " ms", from, target, ms, reader.reads,
                  reader.slowest_us / 1000);
  g_assert_cmpuint (reader.reads, >, 0);
  g_assert_true (g_file_get_contents (vmgr_test_daemon_get_log_path (daemon_under_test), &log,
                                      NULL, NULL));
  line = g_strrstr (log, "moved live:");
  g_assert_nonnull (line);
  {
    g_autofree char *text = g_strndup (line, strcspn (line, "\n"));

    g_test_message ("TIMING vmgrd: %s", text);
  }
  host = host_of (client);
  g_assert_cmpstr (host, ==, target);
  g_assert_cmpstr (vmgr_dbus_vm_get_state (vm), ==, "running");
  g_assert_true (vmgr_test_wait_reason (vm, "migrated", WAIT_MS));
  g_assert_true (pool_has (1, disk) == g_str_equal (target, "h1"));
  g_assert_true (pool_has (2, disk) == g_str_equal (target, "h2"));
  g_assert_true (g_file_test (local_disk, G_FILE_TEST_IS_REGULAR) ==
                 g_str_equal (target, "local"));
  /* The same guest: not booted again (the file it made in its tmpfs is
   * there), its disk with the mark. */
  fd = vmgr_real_open_console (vm);
  g_assert_true (vmgr_test_console_shows (fd, "ls /tmp/before-migration && echo still-$((3*3))\n",
                                          "still-9", 10000));
  g_assert_true (vmgr_test_console_shows (fd, "echo got-$(head -c 11 /dev/vda)-end\n",
                                          "got-flying-mark-end", 10000));
  close (fd);
}

static void
test_live_cancel (void)
{
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  g_autoptr(VmgrDBusVM) vm = vmgr_test_client_vm (client, vm_path);
  g_autofree char *disk = g_strdup_printf ("vmgr-%u.qcow2", vmgr_dbus_vm_get_id (vm));
  g_autofree char *outcome = NULL;
  g_autofree char *host = NULL;
  gint64 ms = 0;
  int fd;

  outcome = migrate (client, vm, "h1", NULL, TRUE, &ms);
  g_test_message ("cancelled live migration after %" G_GINT64_FORMAT " ms: %s", ms, outcome);
  g_assert_cmpstr (outcome, !=, "ok");
  host = host_of (client);
  g_assert_cmpstr (host, ==, "h2");
  g_assert_cmpstr (vmgr_dbus_vm_get_state (vm), ==, "running");
  g_assert_false (pool_has (1, disk));
  g_assert_true (pool_has (2, disk));
  fd = vmgr_real_open_console (vm);
  g_assert_true (vmgr_test_console_shows (fd, "ls /tmp/before-migration && echo still-$((3*3))\n",
                                          "still-9", 10000));
  close (fd);
}

/* Stopped on h1, moved offline to h2: its disk there with the mark, it
 * boots there, nothing of it left on h1. */
static void
test_offline_stopped (void)
{
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  g_autoptr(VmgrDBusVM) vm = vmgr_test_client_vm (client, vm_path);
  g_autofree char *disk = g_strdup_printf ("vmgr-%u.qcow2", vmgr_dbus_vm_get_id (vm));
  g_autoptr(GError) error = NULL;
  g_autofree char *outcome = NULL;
  g_autofree char *host = NULL;
  gint64 ms = 0;
  int fd;

  vmgr_dbus_vm_call_stop_sync (vm, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (vmgr_test_wait_state (vm, "stopped", WAIT_MS));
  outcome = migrate (client, vm, "h2", NULL, FALSE, &ms);
  g_assert_cmpstr (outcome, ==, "ok");
  g_test_message ("TIMING offline migration of the stopped tiny QEMU guest h1 -> h2: "
                  "%" G_GINT64_FORMAT " ms", ms);
  host = host_of (client);
  g_assert_cmpstr (host, ==, "h2");
  g_assert_cmpstr (vmgr_dbus_vm_get_state (vm), ==, "stopped");
  g_assert_true (pool_has (2, disk));
  g_assert_false (pool_has (1, disk));
  fd = boot (vm);
  g_assert_true (vmgr_test_console_shows (fd, "echo got-$(head -c 11 /dev/vda)-end\n",
                                          "got-flying-mark-end", 10000));
  g_assert_true (vmgr_test_console_shows (fd, "touch /tmp/before-migration; "
                                              "echo stamped-$((4*4))\n", "stamped-16", 10000));
  close (fd);
}

/* Running on the configured host, moved offline (live false) to h1:
 * stopped, its disk uploaded, started there (booted again, with the
 * mark); the guest directory here gone. */
static void
test_offline_running (void)
{
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  g_autoptr(VmgrDBusVM) vm = vmgr_test_client_vm (client, vm_path);
  g_autofree char *disk = g_strdup_printf ("vmgr-%u.qcow2", vmgr_dbus_vm_get_id (vm));
  g_autofree char *dir = vmgr_real_guest_dir (daemon_under_test, vm);
  g_autofree char *outcome = NULL;
  g_autofree char *host = NULL;
  gint64 ms = 0;
  int fd;

  g_assert_true (g_file_test (dir, G_FILE_TEST_IS_DIR));
  outcome = migrate (client, vm, "h1", g_variant_new_parsed ("{'live': <false>}"), FALSE, &ms);
  g_assert_cmpstr (outcome, ==, "ok");
  g_test_message ("TIMING offline migration (live false) of the running tiny QEMU guest the "
                  "configured host -> h1: %" G_GINT64_FORMAT " ms", ms);
  host = host_of (client);
  g_assert_cmpstr (host, ==, "h1");
  g_assert_true (vmgr_test_wait_state (vm, "running", WAIT_MS));
  g_assert_cmpstr (vmgr_dbus_vm_get_state_reason (vm), ==, "migrated");
  g_assert_true (pool_has (1, disk));
  g_assert_false (pool_has (2, disk));
  g_assert_false (g_file_test (dir, G_FILE_TEST_EXISTS));
  fd = vmgr_real_open_console (vm);
  g_assert_true (vmgr_test_console_shows (fd, NULL, "vmgr-guest: booted", BOOT_MS));
  g_assert_true (vmgr_test_console_shows (fd, "echo got-$(head -c 11 /dev/vda)-end\n",
                                          "got-flying-mark-end", 10000));
  g_assert_true (vmgr_test_console_shows (fd, "ls /tmp/before-migration || echo fresh-$((2*4))\n",
                                          "fresh-8", 10000));
  g_assert_true (vmgr_test_console_shows (fd, "touch /tmp/before-migration; "
                                              "echo stamped-$((4*4))\n", "stamped-16", 10000));
  close (fd);
}

/* A disk backed by a template image (not booted: only its files move):
 * stopped on h1, moved offline to h2, to the configured host and back to
 * h1; at each stop its backing file is the template's image there. */
static char *
backing_on_host (guint i, const char *disk)
{
  g_autofree char *refreshed G_GNUC_UNUSED = virsh (i, "pool-refresh", POOL, NULL, NULL, NULL);
  g_autofree char *xml = virsh (i, "vol-dumpxml", "--pool", POOL, disk, NULL);
  const char *store = strstr (xml, "<backingStore>");
  const char *path = store != NULL ? strstr (store, "<path>") : NULL;

  g_assert_nonnull (path);
  path += strlen ("<path>");
  return g_strndup (path, strcspn (path, "<"));
}

static char *
backing_of_file (const char *file)
{
  const char *argv[] = { "qemu-img", "info", "-U", file, NULL };
  g_autofree char *out = NULL;
  const char *line;

  g_assert_cmpint (vmgr_test_run_as_argv (0, &out, NULL, argv), ==, 0);
  line = strstr (out, "\nbacking file: ");
  g_assert_nonnull (line);
  line += strlen ("\nbacking file: ");
  return g_strndup (line, strcspn (line, " \n"));
}

static void
test_image_template (void)
{
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  g_autofree char *state_parent = g_path_get_dirname (vmgr_test_daemon_get_state_dir (daemon_under_test));
  g_autofree char *base_dir = g_build_filename (state_parent, "image-template", NULL);
  g_autofree char *base = g_build_filename (base_dir, "plain.qcow2", NULL);
  const char *make_argv[] = { "qemu-img", "create", "-q", "-f", "qcow2", base, "64M", NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(VmgrDBusVM) vm = NULL;
  g_autofree char *path = NULL;
  g_autofree char *disk = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *local_disk = NULL;
  GVariantDict options;
  const char *hops[] = { "h2", "local", "h1" };

  g_assert_cmpint (g_mkdir_with_parents (base_dir, 0755), ==, 0);
  g_assert_cmpint (vmgr_test_run_as_argv (0, NULL, NULL, make_argv), ==, 0);
  vmgr_real_add_template (client, "plain", NULL, base);
  g_variant_dict_init (&options, NULL);
  g_variant_dict_insert (&options, "memory_limit", "t", 128 * MiB);
  g_variant_dict_insert (&options, "disk_hard_limit", "t", 64 * MiB);
  g_variant_dict_insert (&options, "host", "s", "h1");
  vmgr_dbus_manager_call_create_vm_sync (client->manager, "imaged", "plain", "",
                                         g_variant_dict_end (&options), &path, NULL, &error);
  g_assert_no_error (error);
  vm = vmgr_test_client_vm (client, path);
  g_assert_true (vmgr_test_wait (vmgr_real_provisioned, vm, WAIT_MS));
  disk = g_strdup_printf ("vmgr-%u.qcow2", vmgr_dbus_vm_get_id (vm));
  dir = vmgr_real_guest_dir (daemon_under_test, vm);
  local_disk = g_build_filename (dir, "disk.qcow2", NULL);
  for (guint i = 0; i < G_N_ELEMENTS (hops); i++)
    {
      g_autofree char *outcome = NULL;
      g_autofree char *backing = NULL;
      g_autofree char *host = NULL;
      gint64 ms = 0;

      outcome = migrate (client, vm, hops[i], NULL, FALSE, &ms);
      g_assert_cmpstr (outcome, ==, "ok");
      g_test_message ("TIMING offline migration of a stopped QEMU VM with a template image "
                      "-> %s: %" G_GINT64_FORMAT " ms", hops[i], ms);
      host = host_of_vm (client, path);
      g_assert_cmpstr (host, ==, hops[i]);
      g_assert_cmpstr (vmgr_dbus_vm_get_state (vm), ==, "stopped");
      g_assert_true (pool_has (1, disk) == g_str_equal (hops[i], "h1"));
      g_assert_true (pool_has (2, disk) == g_str_equal (hops[i], "h2"));
      g_assert_true (g_file_test (dir, G_FILE_TEST_EXISTS) == g_str_equal (hops[i], "local"));
      if (g_str_equal (hops[i], "local"))
        {
          backing = backing_of_file (local_disk);
          g_assert_cmpstr (backing, ==, base);
        }
      else
        {
          backing = backing_on_host (hops[i][1] - '0', disk);
          g_assert_true (g_str_has_prefix (backing, "/var/lib/libvirt/vmgrmig/vmgr-template-plain-"));
          g_assert_true (g_str_has_suffix (backing, ".qcow2"));
        }
    }
  /* The template changed (its STAMP does) while its disks keep the old
   * image: the move fails, and the VM stays whole on h1, nothing of it on
   * h2, no staging file left. */
  {
    const char *touch_argv[] = { "touch", "-d", "2001-02-03", base, NULL };
    g_autofree char *outcome = NULL;
    g_autofree char *host = NULL;
    g_autofree char *staging = g_strdup_printf ("%s/staging/migrate-%u.qcow2",
                                                vmgr_test_daemon_get_state_dir (daemon_under_test),
                                                vmgr_dbus_vm_get_id (vm));
    gint64 ms = 0;

    g_assert_cmpint (vmgr_test_run_as_argv (0, NULL, NULL, touch_argv), ==, 0);
    outcome = migrate (client, vm, "h2", NULL, FALSE, &ms);
    g_test_message ("failed migration after %" G_GINT64_FORMAT " ms: %s", ms, outcome);
    g_assert_nonnull (strstr (outcome, "template changed"));
    host = host_of_vm (client, path);
    g_assert_cmpstr (host, ==, "h1");
    g_assert_cmpstr (vmgr_dbus_vm_get_state (vm), ==, "stopped");
    g_assert_true (pool_has (1, disk));
    g_assert_false (pool_has (2, disk));
    for (guint i = 0; i < 100 && g_file_test (staging, G_FILE_TEST_EXISTS); i++)
      g_usleep (50000);
    g_assert_false (g_file_test (staging, G_FILE_TEST_EXISTS));
  }
  vmgr_dbus_vm_call_delete_sync (vm, NULL, &error);
  g_assert_no_error (error);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  if (g_str_equal (MIGRATE_DRIVER, "qemu"))
    {
      g_test_add_func ("/real-vm-migrate-qemu/setup", test_qemu_setup);
      g_test_add_func ("/real-vm-migrate-qemu/offline-stopped", test_offline_stopped);
      g_test_add_func ("/real-vm-migrate-qemu/live-cancel", test_live_cancel);
      g_test_add_data_func ("/real-vm-migrate-qemu/live-to-configured", "local", test_live);
      g_test_add_func ("/real-vm-migrate-qemu/offline-from-configured", test_offline_running);
      g_test_add_data_func ("/real-vm-migrate-qemu/live", "h2", test_live);
      g_test_add_func ("/real-vm-migrate-qemu/image-template", test_image_template);
      return vmgr_real_test_run ("qemu", &daemon_under_test);
    }
  g_test_add_func ("/real-vm-migrate/setup", test_setup);
  g_test_add_func ("/real-vm-migrate/offline", test_offline);
  g_test_add_func ("/real-vm-migrate/cancel", test_cancel);
  g_test_add_func ("/real-vm-migrate/to-configured", test_to_configured);
  g_test_add_func ("/real-vm-migrate/from-configured", test_from_configured);
  return vmgr_real_test_run ("lxc", &daemon_under_test);
}
