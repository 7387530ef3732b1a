/* Volumes of a host's pool: names, the pool's directory, and the
 * upload, download, create and delete of single volumes, each in a worker
 * thread (see vmgr-backend-volumes.h; provisioning is in
 * vmgr-backend-volumes-provision.c). */
#include "vmgr-backend-volumes.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmgr-backend-stream.h"
#include "vmgr-backend-volumes-private.h"
#include "vmgr-error.h"

/* ---- names ---- */

static char *
safe_name (const char *name)
{
  return g_strcanon (g_strdup (name),
                     "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._+-", '_');
}

static char *
file_stamp (const char *path)
{
  struct stat st;

  if (stat (path, &st) != 0)
    return g_strdup ("0-0");
  return g_strdup_printf ("%" G_GINT64_MODIFIER "x-%" G_GINT64_MODIFIER "x",
                          (gint64) st.st_size, (gint64) st.st_mtime);
}

char *
vmgr_volume_template_name (const char *template_source, const char *file)
{
  g_autofree char *base = g_path_get_basename (template_source);
  g_autofree char *name = safe_name (base);

  if (file != NULL)
    {
      g_autofree char *path = g_build_filename (template_source, file, NULL);
      g_autofree char *stamp = file_stamp (path);

      return g_strdup_printf ("vmgr-template-%s-%s-%s", name, stamp, file);
    }
  else
    {
      g_autofree char *stamp = file_stamp (template_source);
      char *dot = strrchr (name, '.');
      g_autofree char *ext = NULL;

      if (dot != NULL && dot != name)
        {
          ext = g_strdup (dot);
          *dot = '\0';
        }
      return g_strdup_printf ("vmgr-template-%s-%s%s", name, stamp, ext != NULL ? ext : "");
    }
}

char *
vmgr_volume_disk_name (guint32 id)
{
  return g_strdup_printf ("vmgr-%u.qcow2", id);
}

char *
vmgr_volume_root_name (guint32 id)
{
  return g_strdup_printf ("vmgr-%u-root.img", id);
}

VmgrGuestFiles *
vmgr_volume_guest_files (const char *scheme, const char *template_source,
                         const char *pool_dir, guint32 id)
{
  VmgrGuestFiles *files = g_new0 (VmgrGuestFiles, 1);
  gboolean needed = vmgr_provision_needed (scheme, template_source);
  gboolean lxc = g_str_equal (scheme, "lxc");
  const char *dir = pool_dir != NULL ? pool_dir : "";
  g_autofree char *disk = vmgr_volume_disk_name (id);
  g_autofree char *root = vmgr_volume_root_name (id);

  files->root = needed && lxc ? g_build_filename (dir, root, NULL) : g_strdup ("");
  files->disk = needed && !lxc ? g_build_filename (dir, disk, NULL) : g_strdup ("");
  if (needed && !lxc && vmgr_provision_is_kernel_template (template_source))
    {
      g_autofree char *kernel = vmgr_volume_template_name (template_source,
                                                           VMGR_TEMPLATE_KERNEL_NAME);
      g_autofree char *initrd = vmgr_volume_template_name (template_source,
                                                           VMGR_TEMPLATE_INITRD_NAME);

      files->kernel = g_build_filename (dir, kernel, NULL);
      files->initrd = g_build_filename (dir, initrd, NULL);
    }
  else
    {
      files->kernel = g_strdup ("");
      files->initrd = g_strdup ("");
    }
  return files;
}

/* ---- the pool ---- */

void
vmgr_backend_read_pool_dir (VmgrBackend *self, virConnectPtr conn)
{
  g_autofree char *name = vmgr_backend_dup_pool (self);
  g_autoptr(VmgrVirPool) pool = NULL;
  g_autofree char *xml = NULL;
  g_autoptr(GRegex) re = NULL;
  g_autoptr(GMatchInfo) match = NULL;
  g_autofree char *dir = NULL;

  if (name == NULL)
    return;
  pool = virStoragePoolLookupByName (conn, name);
  if (pool != NULL && virStoragePoolIsActive (pool) == 1)
    xml = virStoragePoolGetXMLDesc (pool, 0);
  virResetLastError ();
  re = g_regex_new ("<target>\\s*<path>([^<]+)</path>", 0, 0, NULL);
  if (xml != NULL && g_regex_match (re, xml, 0, &match))
    dir = g_match_info_fetch (match, 1);
  if (dir == NULL)
    g_debug ("%s has no active storage pool '%s'", vmgr_backend_get_uri (self), name);
  vmgr_backend_set_pool_dir (self, dir);
}

virStoragePoolPtr
vmgr_volumes_lookup_pool (VmgrBackend *self, virConnectPtr conn, GError **error)
{
  g_autofree char *name = vmgr_backend_dup_pool (self);
  virStoragePoolPtr pool = NULL;

  if (name != NULL)
    pool = virStoragePoolLookupByName (conn, name);
  if (pool == NULL)
    {
      virResetLastError ();
      g_set_error (error, VMGR_ERROR, VMGR_ERROR_NOT_FOUND, "The host %s has no storage pool '%s'",
                   vmgr_backend_get_uri (self), name != NULL ? name : "");
    }
  return pool;
}

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

/* ---- the tasks ---- */

typedef struct {
  char *path;
  char *name;
  char *format;
  char *backing;
  guint64 capacity;
  GStrv paths;
  VmgrBackendProgress *progress;
} VolumeOp;

static void
volume_op_free (gpointer p)
{
  VolumeOp *op = p;

  g_free (op->path);
  g_free (op->name);
  g_free (op->format);
  g_free (op->backing);
  g_strfreev (op->paths);
  vmgr_backend_progress_release_later (op->progress);
  g_free (op);
}

static GTask *
volume_task_new (VmgrBackend *self, gpointer tag, GCallback progress, gpointer progress_data,
                 GDestroyNotify progress_destroy, GCancellable *cancellable,
                 GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  VolumeOp *op = g_new0 (VolumeOp, 1);

  g_task_set_source_tag (task, tag);
  /* the worker tells what a late cancel did (a volume made stays made) */
  g_task_set_check_cancellable (task, FALSE);
  if (progress != NULL)
    op->progress = vmgr_backend_progress_new (progress, progress_data, progress_destroy);
  else if (progress_destroy != NULL)
    progress_destroy (progress_data);
  g_task_set_task_data (task, op, volume_op_free);
  return task;
}

static void
post_copied (guint64 copied, guint64 total, gpointer user_data)
{
  vmgr_backend_progress_post_copy (user_data, copied, total);
}

static void
upload_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  VolumeOp *op = task_data;
  g_autoptr(VmgrVirConnect) conn = NULL;
  GError *error = NULL;
  char *path = NULL;

  if (vmgr_backend_task_return_if_cancelled (task))
    return;
  conn = vmgr_backend_ref_connection (source, &error);
  if (conn != NULL)
    path = vmgr_volumes_upload (source, conn, op->path, op->name,
                                op->progress != NULL ? post_copied : NULL, op->progress,
                                cancellable, &error);
  if (path != NULL)
    g_task_return_pointer (task, path, g_free);
  else
    g_task_return_error (task, error);
}

void
vmgr_backend_volume_upload_async (VmgrBackend *self, const char *path, const char *name,
                                  VmgrVolumeCopyProgress progress, gpointer progress_data,
                                  GDestroyNotify progress_destroy, GCancellable *cancellable,
                                  GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = NULL;
  VolumeOp *op;

  g_return_if_fail (VMGR_IS_BACKEND (self));
  g_return_if_fail (path != NULL && name != NULL);
  task = volume_task_new (self, vmgr_backend_volume_upload_async, G_CALLBACK (progress),
                          progress_data, progress_destroy, cancellable, callback, user_data);
  op = g_task_get_task_data (task);
  op->path = g_strdup (path);
  op->name = g_strdup (name);
  g_task_run_in_thread (task, upload_thread);
}

char *
vmgr_backend_volume_upload_finish (VmgrBackend *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
download_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  VolumeOp *op = task_data;
  g_autoptr(VmgrVirConnect) conn = NULL;
  GError *error = NULL;

  if (vmgr_backend_task_return_if_cancelled (task))
    return;
  conn = vmgr_backend_ref_connection (source, &error);
  if (conn != NULL &&
      vmgr_volumes_download (conn, op->name, op->path,
                             op->progress != NULL ? post_copied : NULL, op->progress,
                             cancellable, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

void
vmgr_backend_volume_download_async (VmgrBackend *self, const char *volume_path,
                                    const char *path,
                                    VmgrVolumeCopyProgress progress, gpointer progress_data,
                                    GDestroyNotify progress_destroy, GCancellable *cancellable,
                                    GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = NULL;
  VolumeOp *op;

  g_return_if_fail (VMGR_IS_BACKEND (self));
  g_return_if_fail (volume_path != NULL && path != NULL);
  task = volume_task_new (self, vmgr_backend_volume_download_async, G_CALLBACK (progress),
                          progress_data, progress_destroy, cancellable, callback, user_data);
  op = g_task_get_task_data (task);
  op->name = g_strdup (volume_path);
  op->path = g_strdup (path);
  g_task_run_in_thread (task, download_thread);
}

gboolean
vmgr_backend_volume_download_finish (VmgrBackend *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
create_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  VolumeOp *op = task_data;
  g_autoptr(VmgrVirConnect) conn = NULL;
  GError *error = NULL;
  char *path = NULL;

  if (vmgr_backend_task_return_if_cancelled (task))
    return;
  conn = vmgr_backend_ref_connection (source, &error);
  if (conn != NULL)
    path = vmgr_volumes_create (source, conn, op->name, op->format, op->capacity, op->backing,
                                &error);
  if (path != NULL)
    g_task_return_pointer (task, path, g_free);
  else
    g_task_return_error (task, error);
}

void
vmgr_backend_volume_create_async (VmgrBackend *self, const char *name, const char *format,
                                  guint64 capacity, const char *backing_path,
                                  GCancellable *cancellable,
                                  GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = NULL;
  VolumeOp *op;

  g_return_if_fail (VMGR_IS_BACKEND (self));
  g_return_if_fail (name != NULL && format != NULL);
  task = volume_task_new (self, vmgr_backend_volume_create_async, NULL, NULL, NULL,
                          cancellable, callback, user_data);
  op = g_task_get_task_data (task);
  op->name = g_strdup (name);
  op->format = g_strdup (format);
  op->capacity = capacity;
  op->backing = g_strdup (backing_path);
  g_task_run_in_thread (task, create_thread);
}

char *
vmgr_backend_volume_create_finish (VmgrBackend *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
delete_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  VolumeOp *op = task_data;
  g_autoptr(VmgrVirConnect) conn = NULL;
  GError *error = NULL;

  if (vmgr_backend_task_return_if_cancelled (task))
    return;
  conn = vmgr_backend_ref_connection (source, &error);
  if (conn != NULL && vmgr_volumes_delete (conn, (const char *const *) op->paths, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

void
vmgr_backend_volume_delete_async (VmgrBackend *self, const char *const *paths,
                                  GCancellable *cancellable,
                                  GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = NULL;
  VolumeOp *op;

  g_return_if_fail (VMGR_IS_BACKEND (self));
  task = volume_task_new (self, vmgr_backend_volume_delete_async, NULL, NULL, NULL,
                          cancellable, callback, user_data);
  op = g_task_get_task_data (task);
  op->paths = g_strdupv ((char **) paths);
  g_task_run_in_thread (task, delete_thread);
}

gboolean
vmgr_backend_volume_delete_finish (VmgrBackend *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}
