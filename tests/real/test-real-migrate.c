/* vmgr-backend-migrate.c on two real hosts: two VmgrBackend objects on
 * the hosts of tests/real/with-hosts.sh (qemu+tcp://10.77.0.1/system and
 * .2), no vmgrd. The tiny QEMU guest boots on host 1; a migration is
 * cancelled once its progress shows (the guest stays whole, running, on
 * host 1); a live migration with progress then moves it to host 2; a
 * volume streamed from host 1's pool to host 2's arrives byte for byte;
 * a container on an image root moves offline with the backend's calls;
 * host 1's libvirtd killed and started again, only its backend notices.
 * The guest has a data disk in a pool of each host's own (storage not
 * shared): the migrations copy it (VMGR_MIGRATE_COPY_STORAGE).
 *
 *   tests/harness/libvirtd.sh --no-network -- tests/real/with-hosts.sh 2 -- \
 *     build/tests/real/test-real-migrate --tap */
#include <fcntl.h>
#include <glib/gstdio.h>
#include <libvirt/libvirt.h>
#include <unistd.h>

#include "vmgr-backend-migrate.h"
#include "vmgr-backend-private.h"   /* vmgr_backend_ref_connection () */
#include "vmgr-error.h"

#define BOOT_TIMEOUT_S 120

typedef virStorageVol VmgrVirVolume;
static inline void vmgr_vir_volume_release (VmgrVirVolume *v) { virStorageVolFree (v); }
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VmgrVirVolume, vmgr_vir_volume_release)
#define MIGRATE_TIMEOUT_S 300

static struct {
  VmgrBackend *host[2];
  char *uuid;
  char *work;
  char *serial_log;
  char *hosts_dir;
  char *disk;               /* the data volume's name (pool "images") */
} s;

static gboolean
on_timeout (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

static void
on_done (GObject *object, GAsyncResult *result, gpointer data)
{
  *(GAsyncResult **) data = g_object_ref (result);
}

static GAsyncResult *
wait_result (GAsyncResult **slot, guint seconds)
{
  gboolean timed_out = FALSE;
  guint timeout = g_timeout_add_seconds (seconds, on_timeout, &timed_out);

  while (*slot == NULL && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (timed_out)
    g_error ("timed out after %u s", seconds);
  g_source_remove (timeout);
  return *slot;
}

static void
sleep_ms (guint ms)
{
  gboolean done = FALSE;

  g_timeout_add (ms, on_timeout, &done);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
}

/* The domain's state on host @i, or -1 when that host does not have it. */
static int
state_on (guint i, int *reason)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VmgrVirConnect) conn = vmgr_backend_ref_connection (s.host[i], &error);
  g_autoptr(VmgrVirDomain) domain = NULL;
  int state = -1;

  g_assert_no_error (error);
  domain = virDomainLookupByUUIDString (conn, s.uuid);
  if (domain == NULL)
    {
      virResetLastError ();
      return -1;
    }
  g_assert_cmpint (virDomainGetState (domain, &state, reason, 0), ==, 0);
  return state;
}

/* How much CPU time the domain used on host @i during @ms. */
static guint64
cpu_time_on (guint i, guint ms)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VmgrVirConnect) conn = vmgr_backend_ref_connection (s.host[i], &error);
  g_autoptr(VmgrVirDomain) domain = virDomainLookupByUUIDString (conn, s.uuid);
  virDomainInfo a, b;

  g_assert_nonnull (domain);
  g_assert_cmpint (virDomainGetInfo (domain, &a), ==, 0);
  sleep_ms (ms);
  g_assert_cmpint (virDomainGetInfo (domain, &b), ==, 0);
  return b.cpuTime - a.cpuTime;
}

static void
run_virsh_free (char **argv)
{
  g_autoptr(GError) error = NULL;
  int status = 0;

  g_spawn_sync (NULL, argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL,
                NULL, NULL, NULL, NULL, &status, &error);
  g_assert_no_error (error);
  g_strfreev (argv);
}

/* A dir pool "images" at /var/lib/libvirt/images (per host) on both. */
static void
define_pools (void)
{
  for (guint i = 0; i < 2; i++)
    {
      const char *uri = vmgr_backend_get_uri (s.host[i]);

      run_virsh_free (g_strsplit_set (g_strdup_printf (
        "virsh -q -c %s pool-define-as images dir --target /var/lib/libvirt/images", uri),
        " ", -1));
      run_virsh_free (g_strsplit_set (g_strdup_printf ("virsh -q -c %s pool-start images", uri),
                                      " ", -1));
    }
}

static void
test_boot (void)
{
  const char *templates = g_getenv ("VMGR_TEMPLATE_DIR");
  g_autofree char *kernel = NULL, *initrd = NULL, *xml = NULL, *contents = NULL;
  g_autofree char *name = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  gint64 t0 = g_get_monotonic_time ();

  g_assert_nonnull (templates);
  for (const char *const *f = (const char *const[]) { "vmlinuz", "initramfs.cpio.gz", NULL };
       *f != NULL; f++)
    {
      g_autofree char *from = g_build_filename (templates, "tiny-qemu", *f, NULL);
      g_autofree char *to = g_build_filename (s.work, *f, NULL);
      gsize len;

      g_file_get_contents (from, &contents, &len, &error);
      g_assert_no_error (error);
      g_file_set_contents (to, contents, (gssize) len, &error);
      g_assert_no_error (error);
      g_clear_pointer (&contents, g_free);
    }
  kernel = g_build_filename (s.work, "vmlinuz", NULL);
  initrd = g_build_filename (s.work, "initramfs.cpio.gz", NULL);
  s.serial_log = g_build_filename (s.work, "serial.log", NULL);
  s.uuid = g_uuid_string_random ();
  name = g_strdup_printf ("vmgr-real-migrate-%.8s", s.uuid);
  xml = g_strdup_printf (
    "<domain type='qemu'><name>%s</name><uuid>%s</uuid>"
    "<memory unit='MiB'>256</memory><vcpu>1</vcpu>"
    "<os><type arch='x86_64' machine='pc'>hvm</type><kernel>%s</kernel><initrd>%s</initrd>"
    "<cmdline>console=ttyS0 panic=-1 vmgr.hostname=migc</cmdline></os>"
    "<on_poweroff>destroy</on_poweroff><devices>"
    "<disk type='file' device='disk'><driver name='qemu' type='raw'/>"
    "<source file='/var/lib/libvirt/images/%s.raw'/><target dev='vda' bus='virtio'/></disk>"
    "<serial type='pty'><log file='%s' append='on'/><target port='0'/></serial>"
    "<console type='pty'><target type='serial' port='0'/></console>"
    "</devices></domain>", name, s.uuid, kernel, initrd, name, s.serial_log);
  s.disk = g_strdup_printf ("%s.raw", name);
  run_virsh_free (g_strsplit_set (g_strdup_printf (
    "virsh -q -c %s vol-create-as images %s 32M --format raw",
    vmgr_backend_get_uri (s.host[0]), s.disk), " ", -1));

  vmgr_backend_define_async (s.host[0], xml, NULL, on_done, &result);
  g_assert_true (vmgr_backend_define_finish (s.host[0], wait_result (&result, 60), &error));
  g_assert_no_error (error);
  g_clear_object (&result);
  vmgr_backend_op_async (s.host[0], s.uuid, VMGR_BACKEND_OP_START, NULL, on_done, &result);
  g_assert_true (vmgr_backend_op_finish (s.host[0], wait_result (&result, 60), &error));
  g_assert_no_error (error);

  for (;;)
    {
      if (g_file_get_contents (s.serial_log, &contents, NULL, NULL) &&
          strstr (contents, "vmgr-guest: booted") != NULL)
        break;
      g_clear_pointer (&contents, g_free);
      if (g_get_monotonic_time () - t0 > BOOT_TIMEOUT_S * G_TIME_SPAN_SECOND)
        g_error ("the guest did not boot within %d s", BOOT_TIMEOUT_S);
      sleep_ms (200);
    }
  g_test_message ("guest booted on host 1 in %" G_GINT64_FORMAT " ms",
                  (g_get_monotonic_time () - t0) / 1000);
}

typedef struct {
  guint reports;
  guint64 max_processed;
  GCancellable *cancel_at_first;
} Seen;

static void
on_progress (const VmgrMigrationStats *stats, gpointer data)
{
  Seen *seen = data;

  seen->reports++;
  seen->max_processed = MAX (seen->max_processed, stats->data_processed);
  if (seen->reports == 1)
    g_test_message ("first progress: %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT
                    " bytes, %" G_GUINT64_FORMAT " ms", stats->data_processed,
                    stats->data_total, stats->elapsed_ms);
  if (seen->cancel_at_first != NULL)
    g_cancellable_cancel (seen->cancel_at_first);
}

static gboolean
target_has_disk (void)
{
  g_autofree char *path = g_build_filename (s.hosts_dir, "h2", "lib", "images", s.disk, NULL);

  return g_file_test (path, G_FILE_TEST_EXISTS);
}

static void
test_cancel (void)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  Seen seen = { .cancel_at_first = cancellable };
  gint64 t0 = g_get_monotonic_time ();
  int reason = 0;

  vmgr_backend_migrate_async (s.host[0], s.host[1], s.uuid,
                              VMGR_MIGRATE_LIVE | VMGR_MIGRATE_COPY_STORAGE, NULL, on_progress,
                              &seen, NULL, cancellable, on_done, &result);
  g_assert_false (vmgr_backend_migrate_finish (s.host[0], wait_result (&result, MIGRATE_TIMEOUT_S),
                                               NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_test_message ("cancelled after %u progress reports, %" G_GINT64_FORMAT " ms: %s",
                  seen.reports, (g_get_monotonic_time () - t0) / 1000, error->message);
  g_assert_cmpuint (seen.reports, >=, 1);
  g_assert_cmpint (state_on (0, &reason), ==, VIR_DOMAIN_RUNNING);
  g_assert_cmpint (state_on (1, &reason), ==, -1);
  g_test_message ("after the cancel, host 2 %s the volume libvirt made for the disk copy",
                  target_has_disk () ? "still has" : "no longer has");
  g_assert_false (target_has_disk ());
}

static void
test_live (void)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  VmgrMigrationStats stats = { 0 };
  Seen seen = { 0 };
  gint64 t0 = g_get_monotonic_time ();
  int reason = 0;

  vmgr_backend_migrate_async (s.host[0], s.host[1], s.uuid,
                              VMGR_MIGRATE_LIVE | VMGR_MIGRATE_COPY_STORAGE, NULL, on_progress,
                              &seen, NULL, NULL, on_done, &result);
  g_assert_true (vmgr_backend_migrate_finish (s.host[0], wait_result (&result, MIGRATE_TIMEOUT_S),
                                              &stats, &error));
  g_assert_no_error (error);
  g_test_message ("live migration: %" G_GINT64_FORMAT " ms here, libvirt: %" G_GUINT64_FORMAT
                  " ms elapsed, downtime %s%" G_GUINT64_FORMAT " ms, %" G_GUINT64_FORMAT
                  " bytes of memory, %" G_GUINT64_FORMAT " of disk; %u progress reports",
                  (g_get_monotonic_time () - t0) / 1000, stats.elapsed_ms,
                  stats.has_downtime ? "" : "(not reported) ", stats.downtime_ms,
                  stats.memory_processed, stats.disk_processed, seen.reports);
  g_assert_true (target_has_disk ());
  g_assert_cmpuint (seen.reports, >=, 1);
  g_assert_cmpint (state_on (1, &reason), ==, VIR_DOMAIN_RUNNING);
  g_assert_cmpint (reason, ==, VIR_DOMAIN_RUNNING_MIGRATED);
  g_assert_cmpint (state_on (0, &reason), ==, -1);   /* undefined on the source */

  /* the guest goes on: its CPU time grows on host 2 */
  g_assert_cmpuint (cpu_time_on (1, 1000), >, 0);
}

static void
on_copy_progress (guint64 copied, guint64 total, gpointer data)
{
  guint64 *last = data;

  g_assert_cmpuint (copied, >=, *last);
  g_assert_cmpuint (copied, <=, total);
  *last = copied;
}

/* A sparse 64 MiB volume (4 MiB of data at its start, 1 MiB in the
 * middle) streamed to host 2: the same bytes, and the holes stay holes. */
#define VOL_SIZE (64 << 20)
static void
test_volume_copy (void)
{
  g_autofree char *src = g_build_filename (s.hosts_dir, "h1", "lib", "images", "vol.img", NULL);
  g_autofree char *dst = g_build_filename (s.hosts_dir, "h2", "lib", "images", "copy.img", NULL);
  g_autofree char *data = g_malloc0 (VOL_SIZE), *copied = NULL, *path = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  gsize len = 0;
  guint64 last = 0;
  GStatBuf st;
  gint64 t0;
  int fd;

  for (gsize i = 0; i < (4 << 20); i++)
    data[i] = (char) (i * 7 + i / 4096);
  for (gsize i = 32 << 20; i < (33 << 20); i++)
    data[i] = (char) (i * 3 + 1);
  fd = g_open (src, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (pwrite (fd, data, 4 << 20, 0), ==, 4 << 20);
  g_assert_cmpint (pwrite (fd, data + (32 << 20), 1 << 20, 32 << 20), ==, 1 << 20);
  g_assert_cmpint (ftruncate (fd, VOL_SIZE), ==, 0);
  close (fd);
  run_virsh_free (g_strsplit_set (g_strdup_printf ("virsh -q -c %s pool-refresh images",
                                                   vmgr_backend_get_uri (s.host[0])), " ", -1));
  t0 = g_get_monotonic_time ();
  vmgr_backend_volume_copy_async (s.host[0], "/var/lib/libvirt/images/vol.img", s.host[1],
                                  "images", "copy.img", on_copy_progress, &last, NULL,
                                  NULL, on_done, &result);
  path = vmgr_backend_volume_copy_finish (s.host[0], wait_result (&result, 120), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (path, ==, "/var/lib/libvirt/images/copy.img");
  g_file_get_contents (dst, &copied, &len, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_stat (dst, &st), ==, 0);
  g_test_message ("64 MiB sparse volume (5 MiB of data) streamed host 1 -> host 2 in %"
                  G_GINT64_FORMAT " ms; %" G_GINT64_FORMAT " KiB allocated on host 2",
                  (g_get_monotonic_time () - t0) / 1000, (gint64) st.st_blocks / 2);
  g_assert_cmpuint (len, ==, VOL_SIZE);
  g_assert_true (memcmp (copied, data, len) == 0);
  g_assert_cmpuint (last, ==, VOL_SIZE);
  g_assert_cmpint ((gint64) st.st_blocks * 512, <, 16 << 20);
}

static void
on_signal (VmgrBackend *backend, gpointer data)
{
  (*(guint *) data)++;
}

static void
hosts_ctl (const char *what)
{
  g_autofree char *cmd = g_strdup_printf ("%s %s", g_getenv ("VMGR_HOSTS_CTL"), what);
  g_autoptr(GError) error = NULL;
  int status = -1;

  g_spawn_command_line_sync (cmd, NULL, NULL, &status, &error);
  g_assert_no_error (error);
  g_assert_cmpint (status, ==, 0);
}

static void
wait_count (guint *count, guint seconds)
{
  gboolean timed_out = FALSE;
  guint timeout = g_timeout_add_seconds (seconds, on_timeout, &timed_out);

  while (*count == 0 && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (timed_out)
    g_error ("no signal within %u s", seconds);
  g_source_remove (timeout);
}

static GHashTable *
list_states (guint i, GError **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  vmgr_backend_list_states_async (s.host[i], NULL, on_done, &result);
  return vmgr_backend_list_states_finish (s.host[i], wait_result (&result, 60), error);
}

/* Host 1's libvirtd killed: its backend loses the connection alone, host
 * 2's goes on (the migrated guest runs there); started again, host 1's
 * backend reconnects by itself. */
static void
test_host_fails_alone (void)
{
  guint lost = 0, restored = 0;
  gulong lost_id = g_signal_connect (s.host[0], "connection-lost", G_CALLBACK (on_signal), &lost);
  gulong restored_id = g_signal_connect (s.host[0], "connection-restored",
                                         G_CALLBACK (on_signal), &restored);
  g_autoptr(GHashTable) states = NULL;
  g_autoptr(GError) error = NULL;
  VmgrBackendDomainState *guest;
  gint64 t0 = g_get_monotonic_time ();

  hosts_ctl ("kill 1");
  wait_count (&lost, 30);
  g_test_message ("host 1's backend saw its connection lost after %" G_GINT64_FORMAT " ms",
                  (g_get_monotonic_time () - t0) / 1000);
  states = list_states (0, &error);
  g_assert_null (states);
  g_assert_error (error, VMGR_ERROR, VMGR_ERROR_HYPERVISOR);
  g_clear_error (&error);

  states = list_states (1, &error);
  g_assert_no_error (error);
  guest = g_hash_table_lookup (states, s.uuid);
  g_assert_nonnull (guest);
  g_assert_cmpint (guest->state, ==, VMGR_VM_STATE_RUNNING);
  g_clear_pointer (&states, g_hash_table_unref);

  t0 = g_get_monotonic_time ();
  hosts_ctl ("start 1");
  wait_count (&restored, 60);
  g_test_message ("host 1's backend reconnected %" G_GINT64_FORMAT " ms after its libvirtd "
                  "was started again", (g_get_monotonic_time () - t0) / 1000);
  states = list_states (0, &error);
  g_assert_no_error (error);
  g_assert_null (g_hash_table_lookup (states, s.uuid));
  g_signal_handler_disconnect (s.host[0], lost_id);
  g_signal_handler_disconnect (s.host[0], restored_id);
}

static char *
run_out (const char *cmd)
{
  g_autoptr(GError) error = NULL;
  char *out = NULL;
  int status = -1;

  g_spawn_command_line_sync (cmd, &out, NULL, &status, &error);
  g_assert_no_error (error);
  g_assert_cmpint (status, ==, 0);
  return out;
}

static void
backend_op (VmgrBackend *backend, const char *uuid, VmgrBackendOp op)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  vmgr_backend_op_async (backend, uuid, op, NULL, on_done, &result);
  g_assert_true (vmgr_backend_op_finish (backend, wait_result (&result, 60), &error));
  g_assert_no_error (error);
}

static void
backend_define (VmgrBackend *backend, const char *xml)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  vmgr_backend_define_async (backend, xml, NULL, on_done, &result);
  g_assert_true (vmgr_backend_define_finish (backend, wait_result (&result, 60), &error));
  g_assert_no_error (error);
}

/* The offline move of a container as the objects layer will make it, with
 * the backend's calls only: stopped on host 1, its root image streamed to
 * host 2's pool, its definition moved, started there; the marker file in
 * its root is read back from the copy (debugfs). */
static void
test_container_offline (void)
{
  const char *templates = g_getenv ("VMGR_TEMPLATE_DIR");
  g_auto(GStrv) uris = g_strsplit (g_getenv ("VMGR_HOST_LXC_URIS"), " ", -1);
  g_autoptr(VmgrBackend) lxc1 = NULL, lxc2 = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autofree char *uuid = g_uuid_string_random ();
  g_autofree char *token = g_uuid_string_random ();
  g_autofree char *root = g_build_filename (s.work, "ct-root", NULL);
  g_autofree char *marker = g_build_filename (root, "root", "marker", NULL);
  g_autofree char *image = g_build_filename (s.hosts_dir, "h1", "lib", "images", "ct.img", NULL);
  g_autofree char *copy = g_build_filename (s.hosts_dir, "h2", "lib", "images", "ct.img", NULL);
  g_autofree char *xml = NULL, *moved_xml = NULL, *path = NULL, *out = NULL, *cmd = NULL;
  g_autoptr(VmgrVirConnect) conn1 = NULL;
  g_autoptr(VmgrVirDomain) domain = NULL;
  int reason = 0;
  gint64 t0;

  lxc1 = vmgr_backend_new (uris[0], &error);
  g_assert_no_error (error);
  lxc2 = vmgr_backend_new (uris[1], &error);
  g_assert_no_error (error);

  cmd = g_strdup_printf ("cp -a %s/busybox-lxc %s", templates, root);
  g_free (run_out (cmd));
  g_file_set_contents (marker, token, -1, &error);
  g_assert_no_error (error);
  g_free (cmd);
  cmd = g_strdup_printf ("mkfs.ext4 -q -F -d %s -L root %s 64M", root, image);
  g_free (run_out (cmd));
  g_free (cmd);
  cmd = g_strdup_printf ("virsh -q -c %s pool-refresh images", uris[0]);
  g_free (run_out (cmd));

  xml = g_strdup_printf (
    "<domain type='lxc'><name>vmgr-real-ct-%.8s</name><uuid>%s</uuid>"
    "<memory unit='MiB'>64</memory><os><type>exe</type><init>/sbin/init</init></os>"
    "<features><privnet/></features><devices>"
    "<filesystem type='file' accessmode='passthrough'><driver type='loop' format='raw'/>"
    "<source file='/var/lib/libvirt/images/ct.img'/><target dir='/'/></filesystem>"
    "<console type='pty'/></devices></domain>", uuid, uuid);
  backend_define (lxc1, xml);
  backend_op (lxc1, uuid, VMGR_BACKEND_OP_START);
  sleep_ms (1000);

  /* containers do not migrate live, and not to another driver */
  vmgr_backend_migrate_async (lxc1, lxc2, uuid, VMGR_MIGRATE_LIVE, NULL, NULL, NULL, NULL, NULL,
                              on_done, &result);
  g_assert_false (vmgr_backend_migrate_finish (lxc1, wait_result (&result, 60), NULL, &error));
  g_assert_error (error, VMGR_ERROR, VMGR_ERROR_NOT_SUPPORTED);
  g_clear_error (&error);
  g_clear_object (&result);
  vmgr_backend_migrate_async (lxc1, s.host[1], uuid, VMGR_MIGRATE_LIVE, NULL, NULL, NULL, NULL,
                              NULL, on_done, &result);
  g_assert_false (vmgr_backend_migrate_finish (lxc1, wait_result (&result, 60), NULL, &error));
  g_assert_error (error, VMGR_ERROR, VMGR_ERROR_NOT_SUPPORTED);
  g_clear_error (&error);
  g_clear_object (&result);

  t0 = g_get_monotonic_time ();
  backend_op (lxc1, uuid, VMGR_BACKEND_OP_DESTROY);
  conn1 = vmgr_backend_ref_connection (lxc1, &error);
  g_assert_no_error (error);
  domain = virDomainLookupByUUIDString (conn1, uuid);
  g_assert_nonnull (domain);
  moved_xml = virDomainGetXMLDesc (domain, VIR_DOMAIN_XML_INACTIVE);
  g_assert_nonnull (moved_xml);

  vmgr_backend_volume_copy_async (lxc1, "/var/lib/libvirt/images/ct.img", lxc2, "images",
                                  "ct.img", NULL, NULL, NULL, NULL, on_done, &result);
  path = vmgr_backend_volume_copy_finish (lxc1, wait_result (&result, 120), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (path, ==, "/var/lib/libvirt/images/ct.img");
  g_free (cmd);
  cmd = g_strdup_printf ("debugfs -R 'cat /root/marker' %s", copy);
  out = run_out (cmd);
  g_assert_nonnull (strstr (out, token));

  backend_define (lxc2, moved_xml);
  backend_op (lxc1, uuid, VMGR_BACKEND_OP_UNDEFINE);
  {
    g_autoptr(VmgrVirVolume) vol = virStorageVolLookupByPath (conn1, "/var/lib/libvirt/images/ct.img");

    g_assert_nonnull (vol);
    g_assert_cmpint (virStorageVolDelete (vol, 0), ==, 0);
    g_assert_false (g_file_test (image, G_FILE_TEST_EXISTS));
  }
  backend_op (lxc2, uuid, VMGR_BACKEND_OP_START);
  g_test_message ("container moved offline (stop, 64 MiB image streamed, define, start): %"
                  G_GINT64_FORMAT " ms", (g_get_monotonic_time () - t0) / 1000);
  {
    g_autoptr(VmgrVirConnect) conn2 = vmgr_backend_ref_connection (lxc2, &error);
    g_autoptr(VmgrVirDomain) there = virDomainLookupByUUIDString (conn2, uuid);
    int state = -1;

    g_assert_nonnull (there);
    g_assert_cmpint (virDomainGetState (there, &state, &reason, 0), ==, 0);
    g_assert_cmpint (state, ==, VIR_DOMAIN_RUNNING);
  }
  backend_op (lxc2, uuid, VMGR_BACKEND_OP_UNDEFINE);
}

int
main (int argc, char **argv)
{
  const char *uris = g_getenv ("VMGR_HOST_QEMU_URIS");
  g_auto(GStrv) list = NULL;
  g_autoptr(GError) error = NULL;
  int rc;

  g_test_init (&argc, &argv, NULL);
  if (uris == NULL || g_getenv ("VMGR_HOSTS_DIR") == NULL)
    {
      g_test_skip ("run me under tests/real/with-hosts.sh 2");
      return g_test_run ();
    }
  list = g_strsplit (uris, " ", -1);
  g_assert_cmpuint (g_strv_length (list), >=, 2);
  s.hosts_dir = g_strdup (g_getenv ("VMGR_HOSTS_DIR"));
  for (guint i = 0; i < 2; i++)
    {
      s.host[i] = vmgr_backend_new (list[i], &error);
      g_assert_no_error (error);
    }
  s.work = g_build_filename (s.hosts_dir, "migrate-work", NULL);
  g_mkdir_with_parents (s.work, 0755);
  define_pools ();

  g_test_add_func ("/real-migrate/boot", test_boot);
  g_test_add_func ("/real-migrate/cancel-stays-on-source", test_cancel);
  g_test_add_func ("/real-migrate/live", test_live);
  g_test_add_func ("/real-migrate/volume-copy", test_volume_copy);
  g_test_add_func ("/real-migrate/container-offline", test_container_offline);
  g_test_add_func ("/real-migrate/host-fails-alone", test_host_fails_alone);
  rc = g_test_run ();

  g_clear_object (&s.host[0]);
  g_clear_object (&s.host[1]);
  g_free (s.uuid);
  g_free (s.work);
  g_free (s.serial_log);
  g_free (s.hosts_dir);
  g_free (s.disk);
  return rc;
}
