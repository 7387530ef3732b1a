/* A template's volumes and a VM's own on a host with a pool, made through
 * libvirt's storage API in a worker thread (see vmgr-backend-volumes.h). */
#include "vmgr-backend-volumes.h"

#include "vmgr-backend-stream.h"
#include "vmgr-backend-volumes-private.h"
#include "vmgr-error.h"
#include "vmgr-image.h"

#define DEFAULT_DISK_SIZE (G_GUINT64_CONSTANT (1) << 30)

/* Two VMs made at once from a template new on a host would both upload
 * it: uploads of template volumes run one at a time. */
static GMutex template_lock;

typedef struct {
  VmgrBackendProgress *progress;  /* NULL without a callback */
  double from, span;              /* the part of 0..1 the current step fills */
} Steps;

static void
steps_report (Steps *steps, double fraction)
{
  if (steps->progress != NULL)
    vmgr_backend_progress_post_fraction (steps->progress,
                                         steps->from + steps->span * CLAMP (fraction, 0.0, 1.0));
}

static void
steps_copied (guint64 copied, guint64 total, gpointer user_data)
{
  steps_report (user_data, total != 0 ? (double) copied / (double) total : 1.0);
}

static void
steps_local (double fraction, gpointer user_data)
{
  steps_report (user_data, fraction);
}

/* The local files of @template_source that go to volumes, and their names. */
static void
template_files (const char *scheme, const char *template_source, GPtrArray *paths,
                GPtrArray *names)
{
  static const char *const kernel_files[] = {
    VMGR_TEMPLATE_KERNEL_NAME, VMGR_TEMPLATE_INITRD_NAME, NULL
  };

  if (!g_str_equal (scheme, "qemu") || !vmgr_provision_needed (scheme, template_source))
    return;
  if (!vmgr_provision_is_kernel_template (template_source))
    {
      g_ptr_array_add (paths, g_strdup (template_source));
      g_ptr_array_add (names, vmgr_volume_template_name (template_source, NULL));
      return;
    }
  for (guint i = 0; kernel_files[i] != NULL; i++)
    {
      g_ptr_array_add (paths, g_build_filename (template_source, kernel_files[i], NULL));
      g_ptr_array_add (names, vmgr_volume_template_name (template_source, kernel_files[i]));
    }
}

/* Uploads the template's files the pool lacks; the path of the image
 * volume (for a template that is one image file) in @image_path. */
static gboolean
template_volumes (VmgrBackend *self, virConnectPtr conn, const char *template_source,
                  Steps *steps, GCancellable *cancellable, char **image_path, GError **error)
{
  g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(VmgrVirPool) pool = NULL;
  g_autoptr(GMutexLocker) locker = NULL;
  double from = steps->from, span = steps->span;

  template_files (vmgr_backend_get_scheme (self), template_source, paths, names);
  if (paths->len == 0)
    return TRUE;
  pool = vmgr_volumes_lookup_pool (self, conn, error);
  if (pool == NULL)
    return FALSE;
  locker = g_mutex_locker_new (&template_lock);
  for (guint i = 0; i < paths->len; i++)
    {
      g_autoptr(VmgrVirVolume) vol = virStorageVolLookupByName (pool, names->pdata[i]);
      g_autofree char *path = NULL;

      steps->from = from + span * i / paths->len;
      steps->span = span / paths->len;
      if (vol != NULL)
        {
          char *found = virStorageVolGetPath (vol);

          path = g_strdup (found);
          free (found);
        }
      else
        {
          virResetLastError ();
          g_debug ("Uploading %s to %s as %s", (char *) paths->pdata[i],
                   vmgr_backend_get_uri (self), (char *) names->pdata[i]);
          path = vmgr_volumes_upload (self, conn, paths->pdata[i], names->pdata[i],
                                      steps_copied, steps, cancellable, error);
          if (path == NULL)
            return FALSE;
        }
      if (image_path != NULL && paths->len == 1)
        *image_path = g_steal_pointer (&path);
    }
  steps->from = from;
  steps->span = span;
  return TRUE;
}

/* The container's root image, built locally in @staging_dir (as for the
 * configured host), then uploaded and removed. */
static gboolean
lxc_root_volume (VmgrBackend *self, virConnectPtr conn, const char *template_source,
                 const char *staging_dir, const VmgrVmSpec *spec, Steps *steps,
                 GCancellable *cancellable, GError **error)
{
  g_autofree char *dir_name = g_strdup_printf ("vmgr-%u", spec->id);
  g_autofree char *dir = g_build_filename (staging_dir, dir_name, NULL);
  g_autofree char *image = g_build_filename (dir, VMGR_IMAGE_NAME, NULL);
  g_autofree char *name = vmgr_volume_root_name (spec->id);
  g_autofree char *path = NULL;

  /* what a crash left */
  vmgr_provision_remove_tree (dir, NULL);
  steps->span = 0.5;
  if (!vmgr_provision_sync ("lxc", template_source, dir, spec, steps_local, steps,
                            cancellable, error))
    return FALSE;
  steps->from = 0.5;
  path = vmgr_volumes_upload (self, conn, image, name, steps_copied, steps,
                              cancellable, error);
  vmgr_provision_remove_tree (dir, NULL);
  return path != NULL;
}

typedef struct {
  char *scheme;
  char *template_source;
  char *staging_dir;
  VmgrVmSpec *spec;
  Steps steps;
} ProvisionOp;

static void
provision_op_free (gpointer p)
{
  ProvisionOp *op = p;

  g_free (op->scheme);
  g_free (op->template_source);
  g_free (op->staging_dir);
  g_clear_pointer (&op->spec, vmgr_vm_spec_free);
  vmgr_backend_progress_release_later (op->steps.progress);
  g_free (op);
}

static gboolean
provision_volumes (VmgrBackend *self, virConnectPtr conn, ProvisionOp *op,
                   GCancellable *cancellable, GError **error)
{
  g_autofree char *image = NULL;
  g_autofree char *name = NULL;
  g_autofree char *disk = NULL;
  guint64 size = op->spec->disk_hard_limit != 0 ? op->spec->disk_hard_limit : DEFAULT_DISK_SIZE;

  if (!vmgr_provision_needed (op->scheme, op->template_source))
    return TRUE;
  if (g_str_equal (op->scheme, "lxc"))
    return lxc_root_volume (self, conn, op->template_source, op->staging_dir, op->spec,
                            &op->steps, cancellable, error);
  op->steps.span = 0.95;
  if (!template_volumes (self, conn, op->template_source, &op->steps, cancellable, &image,
                         error) ||
      g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;
  name = vmgr_volume_disk_name (op->spec->id);
  disk = vmgr_volumes_create (self, conn, name, "qcow2", size, image, error);
  steps_report (&(Steps) { op->steps.progress, 0.0, 1.0 }, 1.0);
  return disk != NULL;
}

static void
provision_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  ProvisionOp *op = task_data;
  g_autoptr(VmgrVirConnect) conn = NULL;
  GError *error = NULL;

  if (vmgr_backend_task_return_if_cancelled (task))
    return;
  conn = vmgr_backend_ref_connection (source, &error);
  if (conn != NULL && provision_volumes (source, conn, op, cancellable, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

void
vmgr_backend_provision_volumes_async (VmgrBackend *self, const char *template_source,
                                      const char *staging_dir, const VmgrVmSpec *spec,
                                      VmgrProgressFunc progress, gpointer progress_data,
                                      GDestroyNotify progress_destroy,
                                      GCancellable *cancellable,
                                      GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = NULL;
  ProvisionOp *op = g_new0 (ProvisionOp, 1);

  g_return_if_fail (VMGR_IS_BACKEND (self));
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, vmgr_backend_provision_volumes_async);
  g_task_set_check_cancellable (task, FALSE);
  op->scheme = g_strdup (vmgr_backend_get_scheme (self));
  op->template_source = g_strdup (template_source != NULL ? template_source : "");
  op->staging_dir = g_strdup (staging_dir);
  op->spec = vmgr_vm_spec_copy (spec);
  if (progress != NULL)
    op->steps.progress = vmgr_backend_progress_new (G_CALLBACK (progress), progress_data,
                                                    progress_destroy);
  else if (progress_destroy != NULL)
    progress_destroy (progress_data);
  g_task_set_task_data (task, op, provision_op_free);
  g_task_run_in_thread (task, provision_thread);
}

gboolean
vmgr_backend_provision_volumes_finish (VmgrBackend *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
template_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  g_autoptr(VmgrVirConnect) conn = NULL;
  Steps steps = { NULL, 0.0, 1.0 };
  GError *error = NULL;

  if (vmgr_backend_task_return_if_cancelled (task))
    return;
  conn = vmgr_backend_ref_connection (source, &error);
  if (conn != NULL &&
      template_volumes (source, conn, task_data, &steps, cancellable, NULL, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

void
vmgr_backend_template_volumes_async (VmgrBackend *self, const char *scheme,
                                     const char *template_source, GCancellable *cancellable,
                                     GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (VMGR_IS_BACKEND (self));
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, vmgr_backend_template_volumes_async);
  if (scheme != NULL && !g_str_equal (scheme, vmgr_backend_get_scheme (self)))
    {
      g_task_return_new_error (task, VMGR_ERROR, VMGR_ERROR_INVALID_ARGUMENT,
                               "A %s template does not fit the %s host %s", scheme,
                               vmgr_backend_get_scheme (self), vmgr_backend_get_uri (self));
      return;
    }
  g_task_set_task_data (task, g_strdup (template_source != NULL ? template_source : ""), g_free);
  g_task_run_in_thread (task, template_thread);
}

gboolean
vmgr_backend_template_volumes_finish (VmgrBackend *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}
