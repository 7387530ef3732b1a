/* The volume operations in the calling worker thread (see
 * vmgr-backend-volumes-private.h): sparse streams between local files and
 * volumes, volumes created and deleted. */
#include "vmgr-backend-volumes.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmgr-backend-stream.h"
#include "vmgr-backend-volumes-private.h"
#include "vmgr-error.h"

/* ---- sparse streams from and to local files ---- */

typedef struct {
  int fd;
  guint64 offset;
  guint64 total;
  VmgrVolumesCopied copied;
  gpointer copied_data;
  gint64 last_report;
  GCancellable *cancellable;
  gboolean cancelled;
  int saved_errno;
} LocalFile;

static gboolean
local_step (LocalFile *file, guint64 advanced)
{
  gint64 now = g_get_monotonic_time ();

  file->offset += advanced;
  if (file->copied != NULL && now - file->last_report >= VMGR_BACKEND_PROGRESS_INTERVAL_US)
    {
      file->copied (file->offset, file->total, file->copied_data);
      file->last_report = now;
    }
  if (g_cancellable_is_cancelled (file->cancellable))
    {
      file->cancelled = TRUE;
      return FALSE;
    }
  return TRUE;
}

static int
source_read (virStreamPtr st, char *data, size_t nbytes, void *opaque)
{
  LocalFile *file = opaque;
  ssize_t n;

  do
    n = pread (file->fd, data, nbytes, (off_t) file->offset);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    {
      file->saved_errno = errno;
      return -1;
    }
  return local_step (file, (guint64) n) ? (int) n : -1;
}

static int
source_hole (virStreamPtr st, int *in_data, long long *length, void *opaque)
{
  LocalFile *file = opaque;
  off_t cur = (off_t) file->offset;
  off_t data = lseek (file->fd, cur, SEEK_DATA);
  off_t hole;

  if (data < 0 && errno == ENXIO)
    {
      *in_data = 0;
      *length = (long long) (file->total - file->offset);
      return 0;
    }
  if (data < 0)
    return file->saved_errno = errno, -1;
  if (data > cur)
    {
      *in_data = 0;
      *length = data - cur;
      return 0;
    }
  hole = lseek (file->fd, cur, SEEK_HOLE);
  if (hole < 0)
    return file->saved_errno = errno, -1;
  *in_data = 1;
  *length = hole - cur;
  return 0;
}

static int
source_skip (virStreamPtr st, long long length, void *opaque)
{
  return local_step (opaque, (guint64) length) ? 0 : -1;
}

static int
sink_write (virStreamPtr st, const char *data, size_t nbytes, void *opaque)
{
  LocalFile *file = opaque;
  size_t done = 0;

  while (done < nbytes)
    {
      ssize_t n = pwrite (file->fd, data + done, nbytes - done, (off_t) (file->offset + done));

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return file->saved_errno = errno, -1;
      done += (size_t) n;
    }
  return local_step (file, nbytes) ? (int) nbytes : -1;
}

static int
sink_hole (virStreamPtr st, long long length, void *opaque)
{
  return local_step (opaque, (guint64) length) ? 0 : -1;
}

/* The error of a stream that failed: the cancel, the local file's, or
 * libvirt's. */
static void
stream_error (LocalFile *file, const char *path, GError **error)
{
  if (file->cancelled)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, "Operation was cancelled");
  else if (file->saved_errno != 0)
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (file->saved_errno),
                 "%s: %s", path, g_strerror (file->saved_errno));
  else
    vmgr_backend_set_error_from_libvirt (error);
  virResetLastError ();
}

static char *
volume_path (virStorageVolPtr vol, GError **error)
{
  char *path = virStorageVolGetPath (vol);
  char *copy;

  if (path == NULL)
    {
      vmgr_backend_set_error_from_libvirt (error);
      return NULL;
    }
  copy = g_strdup (path);
  free (path);
  return copy;
}

char *
vmgr_volumes_upload (VmgrBackend *self, virConnectPtr conn, const char *path, const char *name,
                     VmgrVolumesCopied copied, gpointer copied_data,
                     GCancellable *cancellable, GError **error)
{
  LocalFile file = { .fd = -1, .cancellable = cancellable };
  g_autoptr(VmgrVirPool) pool = NULL;
  g_autoptr(VmgrVirVolume) vol = NULL;
  g_autoptr(VmgrVirStream) stream = NULL;
  g_autofree char *escaped = g_markup_escape_text (name, -1);
  g_autofree char *xml = NULL;
  struct stat st;
  gboolean ok;

  file.fd = open (path, O_RDONLY | O_CLOEXEC);
  if (file.fd < 0 || fstat (file.fd, &st) != 0)
    {
      int saved = errno;

      if (file.fd >= 0)
        close (file.fd);
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "Cannot read %s: %s",
                   path, g_strerror (saved));
      return NULL;
    }
  file.total = (guint64) st.st_size;
  file.copied = copied;
  file.copied_data = copied_data;
  pool = vmgr_volumes_lookup_pool (self, conn, error);
  if (pool != NULL && (vol = virStorageVolLookupByName (pool, name)) != NULL)
    {
      g_set_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_ARGUMENT,
                   "The pool '%s' of %s already has a volume '%s'",
                   vmgr_backend_get_pool (self), vmgr_backend_get_uri (self), name);
      g_clear_pointer (&vol, virStorageVolFree);
    }
  else if (pool != NULL)
    {
      virResetLastError ();
      xml = g_strdup_printf ("<volume><name>%s</name>"
                             "<capacity unit='bytes'>%" G_GUINT64_FORMAT "</capacity>"
                             "<allocation>0</allocation>"
                             "<target><format type='raw'/></target></volume>",
                             escaped, file.total);
      vol = virStorageVolCreateXML (pool, xml, 0);
      if (vol == NULL)
        vmgr_backend_set_error_from_libvirt (error);
    }
  if (vol == NULL)
    {
      close (file.fd);
      return NULL;
    }
  stream = virStreamNew (conn, 0);
  ok = stream != NULL &&
       virStorageVolUpload (vol, stream, 0, 0, VIR_STORAGE_VOL_UPLOAD_SPARSE_STREAM) == 0 &&
       virStreamSparseSendAll (stream, source_read, source_hole, source_skip, &file) == 0 &&
       virStreamFinish (stream) == 0;
  close (file.fd);
  if (!ok)
    {
      stream_error (&file, path, error);
      if (stream != NULL)
        virStreamAbort (stream);
      virStorageVolDelete (vol, 0);
      virResetLastError ();
      return NULL;
    }
  if (copied != NULL)
    copied (file.total, file.total, copied_data);
  return volume_path (vol, error);
}

gboolean
vmgr_volumes_download (virConnectPtr conn, const char *volume_path, const char *path,
                       VmgrVolumesCopied copied, gpointer copied_data,
                       GCancellable *cancellable, GError **error)
{
  LocalFile file = { .fd = -1, .cancellable = cancellable };
  g_autoptr(VmgrVirVolume) vol = virStorageVolLookupByPath (conn, volume_path);
  g_autoptr(VmgrVirStream) stream = NULL;
  virStorageVolInfo info;
  gboolean ok;

  if (vol == NULL || virStorageVolGetInfo (vol, &info) < 0)
    {
      virResetLastError ();
      g_set_error (error, VMGR_ERROR, VMGR_ERROR_NOT_FOUND, "No storage volume at '%s'",
                   volume_path);
      return FALSE;
    }
  file.fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (file.fd < 0)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "Cannot create %s: %s",
                   path, g_strerror (saved));
      return FALSE;
    }
  file.total = info.capacity;
  file.copied = copied;
  file.copied_data = copied_data;
  stream = virStreamNew (conn, 0);
  ok = stream != NULL &&
       virStorageVolDownload (vol, stream, 0, 0, VIR_STORAGE_VOL_DOWNLOAD_SPARSE_STREAM) == 0 &&
       virStreamSparseRecvAll (stream, sink_write, sink_hole, &file) == 0 &&
       virStreamFinish (stream) == 0;
  /* a file that ends in a hole gets its length */
  if (ok && ftruncate (file.fd, (off_t) file.offset) != 0)
    {
      file.saved_errno = errno;
      ok = FALSE;
    }
  close (file.fd);
  if (!ok)
    {
      stream_error (&file, path, error);
      if (stream != NULL)
        virStreamAbort (stream);
      virResetLastError ();
      unlink (path);
      return FALSE;
    }
  if (copied != NULL)
    copied (file.offset, file.offset, copied_data);
  return TRUE;
}

char *
vmgr_volumes_create (VmgrBackend *self, virConnectPtr conn, const char *name,
                     const char *format, guint64 capacity, const char *backing_path,
                     GError **error)
{
  g_autoptr(VmgrVirPool) pool = vmgr_volumes_lookup_pool (self, conn, error);
  g_autoptr(VmgrVirVolume) vol = NULL;
  g_autofree char *escaped = g_markup_escape_text (name, -1);
  g_autofree char *backing = NULL;
  g_autofree char *xml = NULL;

  if (pool == NULL)
    return NULL;
  if (backing_path != NULL && *backing_path != '\0')
    {
      g_autofree char *escaped_path = g_markup_escape_text (backing_path, -1);

      backing = g_strdup_printf ("<backingStore><path>%s</path><format type='%s'/>"
                                 "</backingStore>", escaped_path,
                                 g_str_has_suffix (backing_path, ".qcow2") ? "qcow2" : "raw");
    }
  xml = g_strdup_printf ("<volume><name>%s</name>"
                         "<capacity unit='bytes'>%" G_GUINT64_FORMAT "</capacity>"
                         "<allocation>0</allocation>"
                         "<target><format type='%s'/></target>%s</volume>",
                         escaped, capacity, g_str_equal (format, "qcow2") ? "qcow2" : "raw",
                         backing != NULL ? backing : "");
  vol = virStorageVolCreateXML (pool, xml, 0);
  if (vol == NULL)
    {
      vmgr_backend_set_error_from_libvirt (error);
      return NULL;
    }
  return volume_path (vol, error);
}

gboolean
vmgr_volumes_delete (virConnectPtr conn, const char *const *paths, GError **error)
{
  for (guint i = 0; paths != NULL && paths[i] != NULL; i++)
    {
      g_autoptr(VmgrVirVolume) vol = NULL;

      if (*paths[i] == '\0')
        continue;
      vol = virStorageVolLookupByPath (conn, paths[i]);
      if (vol == NULL)
        {
          virErrorPtr last = virGetLastError ();

          if (last != NULL && last->code != VIR_ERR_NO_STORAGE_VOL)
            {
              vmgr_backend_set_error_from_libvirt (error);
              return FALSE;
            }
          virResetLastError ();
          continue;
        }
      if (virStorageVolDelete (vol, 0) < 0)
        {
          vmgr_backend_set_error_from_libvirt (error);
          return FALSE;
        }
    }
  return TRUE;
}
