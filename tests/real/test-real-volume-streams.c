/* vmgr-backend-volumes.h's streams on a real host (tests/real/with-hosts.sh
 * 1, qemu+tcp://10.77.0.1/system, its dir pool "default" at its own
 * /var/lib/libvirt/images), no vmgrd: a sparse local file uploaded arrives
 * with its holes (the volume allocates about its data), downloaded back
 * byte for byte and sparse, with progress; an upload onto an existing
 * volume is refused, a cancelled one leaves no volume, a download does not
 * overwrite a local file; deleted volumes are gone.
 *
 *   tests/harness/libvirtd.sh --no-network -- tests/real/with-hosts.sh 1 -- \
 *     build/tests/real/test-real-volume-streams --tap */
#include <fcntl.h>
#include <glib/gstdio.h>
#include <libvirt/libvirt.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmgr-backend-private.h"   /* vmgr_backend_ref_connection () */
#include "vmgr-backend-volumes.h"
#include "vmgr-error.h"

#define MiB (1 << 20)
#define FILE_SIZE (64 * MiB)
#define TIMEOUT_S 120

static struct {
  VmgrBackend *host;
  char *uri;
  char *work;
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
wait_result (GAsyncResult **slot)
{
  gboolean timed_out = FALSE;
  guint timeout = g_timeout_add_seconds (TIMEOUT_S, on_timeout, &timed_out);

  while (*slot == NULL && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (timed_out)
    g_error ("timed out after %u s", TIMEOUT_S);
  g_source_remove (timeout);
  return *slot;
}

static char *
virsh (const char *args)
{
  g_autofree char *command = g_strdup_printf ("virsh -q -c %s %s", s.uri, args);
  g_autofree char *err = NULL;
  char *out = NULL;
  int status = 0;

  g_assert_true (g_spawn_command_line_sync (command, &out, &err, &status, NULL));
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("%s failed: %s", command, err);
  return out;
}

/* 1 MiB of data at 0 and at 32 MiB, holes elsewhere (also at the end). */
static char *
make_sparse_file (void)
{
  char *path = g_build_filename (s.work, "sparse.img", NULL);
  g_autofree char *data = g_malloc (MiB);
  int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

  g_assert_cmpint (fd, >=, 0);
  for (guint i = 0; i < MiB; i++)
    data[i] = (char) (i * 7 + i / 4096);
  g_assert_cmpint (pwrite (fd, data, MiB, 0), ==, MiB);
  g_assert_cmpint (pwrite (fd, data, MiB, 32 * MiB), ==, MiB);
  g_assert_cmpint (ftruncate (fd, FILE_SIZE), ==, 0);
  close (fd);
  return path;
}

static guint64
allocated (const char *path)
{
  struct stat st;

  g_assert_cmpint (stat (path, &st), ==, 0);
  return (guint64) st.st_blocks * 512;
}

static void
on_progress (guint64 copied, guint64 total, gpointer data)
{
  guint64 *last = data;

  g_assert_cmpuint (copied, <=, total);
  *last = copied;
}

static char *
upload (const char *path, const char *name, guint64 *progress, GCancellable *cancellable,
        GError **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  vmgr_backend_volume_upload_async (s.host, path, name, progress != NULL ? on_progress : NULL,
                                    progress, NULL, cancellable, on_done, &result);
  return vmgr_backend_volume_upload_finish (s.host, wait_result (&result), error);
}

static gboolean
volume_listed (const char *name)
{
  g_autofree char *list = virsh ("vol-list default");

  return strstr (list, name) != NULL;
}

static void
test_round_trip (void)
{
  g_autofree char *local = make_sparse_file ();
  g_autofree char *back = g_build_filename (s.work, "back.img", NULL);
  g_autofree char *volume = NULL;
  g_autofree char *info = NULL;
  g_autofree char *original = NULL;
  g_autofree char *copy = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  gsize original_len = 0, copy_len = 0;
  guint64 progress = 0;
  gint64 started = g_get_monotonic_time ();

  volume = upload (local, "vmgr-stream-test", &progress, NULL, &error);
  g_assert_no_error (error);
  g_test_message ("uploaded %d MiB (2 MiB of data) in %" G_GINT64_FORMAT " ms to %s", FILE_SIZE / MiB,
                  (g_get_monotonic_time () - started) / 1000, volume);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_cmpuint (progress, ==, FILE_SIZE);
  g_assert_cmpstr (volume, ==, "/var/lib/libvirt/images/vmgr-stream-test");
  info = virsh ("vol-info --bytes --pool default vmgr-stream-test");
  g_test_message ("%s", info);
  g_assert_nonnull (strstr (info, "67108864 bytes"));
  /* the holes stayed holes on the host (allocation well below 64 MiB) */
  {
    g_auto(GStrv) lines = g_strsplit (info, "\n", -1);

    for (guint i = 0; lines[i] != NULL; i++)
      if (g_str_has_prefix (lines[i], "Allocation:"))
        g_assert_cmpuint (g_ascii_strtoull (lines[i] + strlen ("Allocation:"), NULL, 10), <,
                          8 * MiB);
  }

  progress = 0;
  started = g_get_monotonic_time ();
  vmgr_backend_volume_download_async (s.host, volume, back, on_progress, &progress, NULL, NULL,
                                      on_done, &result);
  g_assert_true (vmgr_backend_volume_download_finish (s.host, wait_result (&result), &error));
  g_assert_no_error (error);
  g_test_message ("downloaded in %" G_GINT64_FORMAT " ms",
                  (g_get_monotonic_time () - started) / 1000);
  g_assert_true (g_file_get_contents (local, &original, &original_len, NULL));
  g_assert_true (g_file_get_contents (back, &copy, &copy_len, NULL));
  g_assert_cmpuint (copy_len, ==, FILE_SIZE);
  g_assert_true (memcmp (original, copy, original_len) == 0);
  g_assert_cmpuint (allocated (back), <, 8 * MiB);
  g_clear_object (&result);

  /* not over an existing file */
  vmgr_backend_volume_download_async (s.host, volume, back, NULL, NULL, NULL, NULL, on_done,
                                      &result);
  g_assert_false (vmgr_backend_volume_download_finish (s.host, wait_result (&result), &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS);
  g_clear_error (&error);
  g_assert_cmpuint (allocated (back), >, 0);
  g_clear_object (&result);

  /* not over an existing volume */
  g_assert_null (upload (local, "vmgr-stream-test", NULL, NULL, &error));
  g_assert_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  {
    const char *paths[] = { volume, NULL };

    vmgr_backend_volume_delete_async (s.host, paths, NULL, on_done, &result);
    g_assert_true (vmgr_backend_volume_delete_finish (s.host, wait_result (&result), &error));
    g_assert_no_error (error);
  }
  g_assert_false (volume_listed ("vmgr-stream-test"));
  g_unlink (local);
  g_unlink (back);
}

static void
cancel_soon (guint64 copied, guint64 total, gpointer data)
{
  g_cancellable_cancel (data);
}

static void
test_cancelled_upload (void)
{
  g_autofree char *local = make_sparse_file ();
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *volume = NULL;

  /* cancelled at its first progress report, from the caller's context */
  vmgr_backend_volume_upload_async (s.host, local, "vmgr-stream-cancelled", cancel_soon,
                                    cancellable, NULL, cancellable, on_done, &result);
  volume = vmgr_backend_volume_upload_finish (s.host, wait_result (&result), &error);
  if (volume != NULL)
    g_test_message ("the upload finished before the cancel reached it");
  else
    {
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
      g_assert_false (volume_listed ("vmgr-stream-cancelled"));
    }
  if (volume != NULL)
    {
      const char *paths[] = { volume, NULL };

      g_clear_object (&result);
      vmgr_backend_volume_delete_async (s.host, paths, NULL, on_done, &result);
      g_assert_true (vmgr_backend_volume_delete_finish (s.host, wait_result (&result), NULL));
    }
  g_unlink (local);
}

static gboolean
is_connected (void)
{
  return vmgr_backend_is_connected (s.host);
}

int
main (int argc, char **argv)
{
  const char *uris = g_getenv ("VMGR_HOST_QEMU_URIS");
  g_auto(GStrv) list = NULL;
  g_autoptr(GError) error = NULL;
  gboolean timed_out = FALSE;
  int status;

  g_test_init (&argc, &argv, NULL);
  if (uris == NULL)
    g_error ("run under tests/real/with-hosts.sh");
  list = g_strsplit (uris, " ", -1);
  s.uri = g_strdup (list[0]);
  g_free (virsh ("pool-define-as default dir --target /var/lib/libvirt/images"));
  g_free (virsh ("pool-start default"));
  s.work = g_dir_make_tmp ("vmgr-streams-XXXXXX", &error);
  g_assert_no_error (error);
  s.host = vmgr_backend_new_with_pool (s.uri, "default");
  g_timeout_add_seconds (30, on_timeout, &timed_out);
  while (!is_connected () && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (is_connected ());
  g_assert_cmpstr (vmgr_backend_get_pool_dir (s.host), ==, "/var/lib/libvirt/images");
  g_test_add_func ("/real-volume-streams/round-trip", test_round_trip);
  g_test_add_func ("/real-volume-streams/cancelled-upload", test_cancelled_upload);
  status = g_test_run ();
  g_clear_object (&s.host);
  g_rmdir (s.work);
  g_free (s.work);
  g_free (s.uri);
  return status;
}
