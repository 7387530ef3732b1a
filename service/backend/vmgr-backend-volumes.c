/* Volumes of a host's pool: names, the pool's directory, and the
 * tasks that upload, download, create and delete single volumes in a worker
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

VmgrBackend *
vmgr_backend_new_with_pool (const char *uri, const char *pool)
{
  return vmgr_backend_new_unconnected_with_pool (uri, pool);
}

void
vmgr_backend_set_pool (VmgrBackend *self, const char *pool)
{
  VmgrBackendPool *state;

  g_return_if_fail (VMGR_IS_BACKEND (self));
  state = vmgr_backend_get_pool_state (self);
  g_mutex_lock (&state->lock);
  g_free (state->name);
  state->name = pool != NULL && *pool != '\0' ? g_strdup (pool) : NULL;
  g_mutex_unlock (&state->lock);
}

const char *
vmgr_backend_get_pool (VmgrBackend *self)
{
  g_return_val_if_fail (VMGR_IS_BACKEND (self), NULL);
  return vmgr_backend_get_pool_state (self)->name;
}

static char *
dup_pool (VmgrBackend *self)
{
  VmgrBackendPool *state = vmgr_backend_get_pool_state (self);
  char *pool;

  g_mutex_lock (&state->lock);
  pool = g_strdup (state->name);
  g_mutex_unlock (&state->lock);
  return pool;
}

const char *
vmgr_backend_get_pool_dir (VmgrBackend *self)
{
  VmgrBackendPool *state;
  const char *dir;

  g_return_val_if_fail (VMGR_IS_BACKEND (self), NULL);
  state = vmgr_backend_get_pool_state (self);
  g_mutex_lock (&state->lock);
  dir = state->dir;
  g_mutex_unlock (&state->lock);
  return dir;
}

static void
set_pool_dir (VmgrBackend *self, const char *dir)
{
  VmgrBackendPool *state = vmgr_backend_get_pool_state (self);

  g_mutex_lock (&state->lock);
  if (g_strcmp0 (dir, state->dir) != 0)
    {
      if (state->dir != NULL)
        g_ptr_array_add (state->old_dirs, state->dir);
      state->dir = g_strdup (dir);
    }
  g_mutex_unlock (&state->lock);
}

void
vmgr_backend_read_pool_dir (VmgrBackend *self, virConnectPtr conn)
{
  g_autofree char *name = dup_pool (self);
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
  set_pool_dir (self, dir);
}

virStoragePoolPtr
vmgr_volumes_lookup_pool (VmgrBackend *self, virConnectPtr conn, GError **error)
{
  g_autofree char *name = dup_pool (self);
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
