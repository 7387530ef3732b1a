/* The offline copy of a VM's files for VM.Migrate (issue 14), all through
 * libvirt's storage volumes on added hosts:
 *
 * a container's root image: uploaded to an added host's pool, streamed
 * from pool to pool, or downloaded into the guest directory here;
 *
 * a QEMU disk (qcow2 backed by its template's image, or without backing
 * for a kernel template): the template's files made ready on an added
 * target, the disk brought to a local file (downloaded into the guest
 * directory when the target is the configured host, else a staging file
 * under STATE/staging: copied here or downloaded), its backing reference
 * rewritten to the template image on the target (qemu-img rebase -u:
 * metadata only), then uploaded to an added target.
 *
 * Whatever was made on the target is the migration's to undo (copied). */
#include "vmgr-vm-migrate-private.h"

#include <errno.h>
#include <string.h>
#include <glib/gstdio.h>

#include "vmgr-backend-volumes.h"
#include "vmgr-error.h"
#include "vmgr-file-copy.h"
#include "vmgr-tool.h"

static const char *
target_name (Migration *migration)
{
  return vmgr_context_host_name (migration->vm->context, migration->moved);
}

static void
copy_phase (Migration *migration, double base, double span)
{
  migration->copy_base = base;
  migration->copy_span = span;
  vmgr_job_set_progress (migration->job, base);
}

static void
on_copy_progress (guint64 copied, guint64 total, gpointer data)
{
  Migration *migration = data;

  if (total > 0)
    vmgr_job_set_progress (migration->job, migration->copy_base +
                                             migration->copy_span * (double) copied /
                                               (double) total);
}

static void
remove_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  if (g_unlink (data) != 0 && errno != ENOENT)
    g_warning ("cannot remove %s: %s", (const char *) data, g_strerror (errno));
  g_task_return_boolean (task, TRUE);
}

void
vmgr_vm_migration_remove_staging (char *path)
{
  g_autoptr(GTask) task = g_task_new (NULL, NULL, NULL, NULL);

  g_task_set_task_data (task, path, g_free);
  g_task_run_in_thread (task, remove_thread);
}

/* ---- A container's root image ------------------------------------------ */

static void
on_copied (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Migration *migration = user_data;
  GError *error = NULL;
  g_autofree char *path = NULL;
  gboolean ok;

  if (migration->target == migration->vm->context->backend)
    ok = vmgr_backend_volume_download_finish (migration->source, result, &error);
  else if (migration->source == migration->vm->context->backend)
    ok = (path = vmgr_backend_volume_upload_finish (migration->target, result, &error)) != NULL;
  else
    ok = (path = vmgr_backend_volume_copy_finish (migration->source, result, &error)) != NULL;
  if (!ok)
    {
      g_prefix_error (&error, "cannot copy the root image to host %s: ",
                      target_name (migration));
      vmgr_vm_migration_failed (migration, error);
      return;
    }
  if (path != NULL)
    {
      g_free (migration->target_root);
      migration->target_root = g_steal_pointer (&path);
    }
  migration->copied = TRUE;
  vmgr_vm_migration_define (migration);
}

static void
mkdir_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  GError *error = NULL;

  if (vmgr_provision_make_guest_dir (data, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void on_disk_downloaded (GObject *source, GAsyncResult *result, gpointer user_data);

static void
on_guest_dir_made (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Migration *migration = user_data;
  GError *error = NULL;
  gboolean qemu = g_str_equal (vmgr_backend_get_scheme (migration->source), "qemu");

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      vmgr_vm_migration_failed (migration, error);
      return;
    }
  /* The directory is the copy's from here: a failure removes it. */
  migration->copied = TRUE;
  vmgr_backend_volume_download_async (migration->source, migration->source_root,
                                      migration->target_root, on_copy_progress, migration, NULL,
                                      vmgr_job_get_cancellable (migration->job),
                                      qemu ? on_disk_downloaded : on_copied, migration);
}

/* The VM's own file, into its guest directory here (made first). */
static void
download_into_guest_dir (Migration *migration, const char *file)
{
  const VmgrContext *context = migration->vm->context;
  g_autoptr(GTask) task = g_task_new (NULL, NULL, on_guest_dir_made, migration);

  g_free (migration->target_root);
  migration->target_root = g_strdup (file);
  g_task_set_task_data (task, vmgr_context_guest_dir (context, migration->moved), g_free);
  g_task_run_in_thread (task, mkdir_thread);
}

static void
copy_root (Migration *migration)
{
  const VmgrContext *context = migration->vm->context;
  GCancellable *cancellable = vmgr_job_get_cancellable (migration->job);
  g_autofree char *name = vmgr_volume_root_name (migration->moved->id);

  copy_phase (migration, 0.1, 0.7);
  if (migration->target == context->backend)
    {
      g_autoptr(VmgrGuestFiles) files = vmgr_context_guest_files (context, migration->moved);

      download_into_guest_dir (migration, files->root);
    }
  else if (migration->source == context->backend)
    vmgr_backend_volume_upload_async (migration->target, migration->source_root, name,
                                      on_copy_progress, migration, NULL, cancellable, on_copied,
                                      migration);
  else
    vmgr_backend_volume_copy_async (migration->source, migration->source_root,
                                    migration->target, vmgr_backend_get_pool (migration->target),
                                    name, on_copy_progress, migration, NULL, cancellable,
                                    on_copied, migration);
}

/* ---- A QEMU disk ---------------------------------------------------------- */

typedef struct {
  char *path;
  char *old_backing;
  char *new_backing;
} Rebase;

static void
rebase_free (Rebase *rebase)
{
  g_free (rebase->path);
  g_free (rebase->old_backing);
  g_free (rebase->new_backing);
  g_free (rebase);
}

/* The "backing file:" of qemu-img info's text, NULL when there is none. */
static char *
backing_of (const char *info)
{
  const char *line = strstr (info, "\nbacking file: ");
  g_autofree char *value = NULL;
  char *actual;

  if (line == NULL)
    return NULL;
  line += strlen ("\nbacking file: ");
  value = g_strndup (line, strcspn (line, "\n"));
  actual = strstr (value, " (actual path: ");
  if (actual != NULL)
    *actual = '\0';
  return g_steal_pointer (&value);
}

static void
rebase_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  Rebase *rebase = data;
  const char *info_argv[] = { "qemu-img", "info", "-U", rebase->path, NULL };
  const char *format = g_str_has_suffix (rebase->new_backing, ".qcow2") ? "qcow2" : "raw";
  const char *rebase_argv[] = { "qemu-img", "rebase", "-u", "-f", "qcow2", "-F", format, "-b",
                                rebase->new_backing, rebase->path, NULL };
  g_autofree char *info = NULL;
  g_autofree char *backing = NULL;
  GError *error = NULL;

  if (!vmgr_tool_run_checked (info_argv, &info, cancellable, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  backing = backing_of (info);
  /* A disk backed by another image than the template's one of today (the
   * template changed since) would read other data under the new one. */
  if (g_strcmp0 (backing, rebase->old_backing) != 0)
    {
      g_task_return_new_error (task, VMGR_ERROR, VMGR_ERROR_NOT_SUPPORTED,
                               "the disk is backed by %s, not by its template's image %s "
                               "(the template changed since the VM was made): it cannot move "
                               "offline", backing != NULL ? backing : "nothing",
                               rebase->old_backing);
      return;
    }
  if (!vmgr_tool_run_checked (rebase_argv, NULL, cancellable, &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
on_uploaded (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Migration *migration = user_data;
  GError *error = NULL;
  char *path = vmgr_backend_volume_upload_finish (VMGR_BACKEND (source), result, &error);

  if (path == NULL)
    {
      g_prefix_error (&error, "cannot upload the disk to host %s: ", target_name (migration));
      vmgr_vm_migration_failed (migration, error);
      return;
    }
  g_free (migration->target_root);
  migration->target_root = path;
  migration->copied = TRUE;
  vmgr_vm_migration_define (migration);
}

/* The local file has the target's backing reference: on the configured
 * host it is the VM's disk already, else it goes up. */
static void
rebased (Migration *migration)
{
  g_autofree char *name = vmgr_volume_disk_name (migration->moved->id);

  if (vmgr_vm_migration_failed (migration, NULL))
    return;
  if (migration->target == migration->vm->context->backend)
    {
      vmgr_job_set_progress (migration->job, 0.8);
      vmgr_vm_migration_define (migration);
      return;
    }
  copy_phase (migration, 0.45, 0.35);
  vmgr_backend_volume_upload_async (migration->target, migration->staging, name,
                                    on_copy_progress, migration, NULL,
                                    vmgr_job_get_cancellable (migration->job), on_uploaded,
                                    migration);
}

static void
on_rebased (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Migration *migration = user_data;
  GError *error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_prefix_error (&error, "cannot point the disk at the template on host %s: ",
                      target_name (migration));
      vmgr_vm_migration_failed (migration, error);
      return;
    }
  rebased (migration);
}

static void
rebase_local (Migration *migration, const char *path)
{
  g_autoptr(GTask) task = NULL;
  Rebase *rebase;

  if (vmgr_vm_migration_failed (migration, NULL))
    return;
  if (migration->new_backing == NULL)
    {
      rebased (migration);
      return;
    }
  rebase = g_new0 (Rebase, 1);
  rebase->path = g_strdup (path);
  rebase->old_backing = g_strdup (migration->old_backing);
  rebase->new_backing = g_strdup (migration->new_backing);
  task = g_task_new (NULL, vmgr_job_get_cancellable (migration->job), on_rebased, migration);
  g_task_set_task_data (task, rebase, (GDestroyNotify) rebase_free);
  g_task_run_in_thread (task, rebase_thread);
}

static void
on_disk_downloaded (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Migration *migration = user_data;
  GError *error = NULL;

  if (!vmgr_backend_volume_download_finish (VMGR_BACKEND (source), result, &error))
    {
      g_prefix_error (&error, "cannot download the disk from its source: ");
      vmgr_vm_migration_failed (migration, error);
      return;
    }
  rebase_local (migration, migration->target == migration->vm->context->backend
                             ? migration->target_root : migration->staging);
}

typedef struct {
  char *from;     /* a local disk to copy, or NULL */
  char *to;
} Staging;

static void
staging_free (Staging *staging)
{
  g_free (staging->from);
  g_free (staging->to);
  g_free (staging);
}

/* The staging directory made and a stale file of an earlier run gone;
 * the local disk copied into it. */
static void
staging_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  Staging *staging = data;
  g_autofree char *dir = g_path_get_dirname (staging->to);
  GError *error = NULL;

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      g_task_return_new_error (task, VMGR_ERROR, VMGR_ERROR_FAILED, "cannot make %s: %s", dir,
                               g_strerror (errno));
      return;
    }
  if (g_unlink (staging->to) != 0 && errno != ENOENT)
    {
      g_task_return_new_error (task, VMGR_ERROR, VMGR_ERROR_FAILED, "cannot remove %s: %s",
                               staging->to, g_strerror (errno));
      return;
    }
  if (staging->from != NULL &&
      !vmgr_file_copy (staging->from, staging->to, 0600, NULL, NULL, cancellable, &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
on_staging_ready (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Migration *migration = user_data;
  GError *error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      vmgr_vm_migration_failed (migration, error);
      return;
    }
  if (migration->source == migration->vm->context->backend)
    {
      rebase_local (migration, migration->staging);
      return;
    }
  copy_phase (migration, 0.1, 0.35);
  vmgr_backend_volume_download_async (migration->source, migration->source_root,
                                      migration->staging, on_copy_progress, migration, NULL,
                                      vmgr_job_get_cancellable (migration->job),
                                      on_disk_downloaded, migration);
}

static void
copy_disk (Migration *migration)
{
  const VmgrContext *context = migration->vm->context;
  g_autoptr(GTask) task = NULL;
  Staging *staging;

  if (vmgr_vm_migration_failed (migration, NULL))
    return;
  if (migration->target == context->backend)
    {
      g_autoptr(VmgrGuestFiles) files = vmgr_context_guest_files (context, migration->moved);

      copy_phase (migration, 0.1, 0.7);
      download_into_guest_dir (migration, files->disk);
      return;
    }
  vmgr_job_set_progress (migration->job, 0.1);
  staging = g_new0 (Staging, 1);
  if (migration->source == context->backend)
    staging->from = g_strdup (migration->source_root);
  migration->staging = g_strdup_printf ("%s/staging/migrate-%u.qcow2", context->config->state_dir,
                                        migration->moved->id);
  staging->to = g_strdup (migration->staging);
  task = g_task_new (NULL, vmgr_job_get_cancellable (migration->job), on_staging_ready,
                     migration);
  g_task_set_task_data (task, staging, (GDestroyNotify) staging_free);
  g_task_run_in_thread (task, staging_thread);
}

static void
on_template_volumes (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Migration *migration = user_data;
  GError *error = NULL;

  if (!vmgr_backend_template_volumes_finish (VMGR_BACKEND (source), result, &error))
    {
      g_prefix_error (&error, "cannot bring the template to host %s: ", target_name (migration));
      vmgr_vm_migration_failed (migration, error);
      return;
    }
  copy_disk (migration);
}

/* Where the template image is on @backend (a kernel template: none). */
static char *
template_image (Migration *migration, VmgrBackend *backend, const char *template_source)
{
  g_autofree char *name = NULL;

  if (vmgr_provision_is_kernel_template (template_source))
    return NULL;
  if (backend == migration->vm->context->backend)
    return g_strdup (template_source);
  name = vmgr_volume_template_name (template_source, NULL);
  return g_build_filename (vmgr_backend_get_pool_dir (backend), name, NULL);
}

static void
move_disk (Migration *migration)
{
  g_autofree char *template_source = vmgr_context_template_source (migration->vm->context,
                                                                   migration->vm->spec);

  migration->old_backing = template_image (migration, migration->source, template_source);
  migration->new_backing = template_image (migration, migration->target, template_source);
  vmgr_job_set_progress (migration->job, 0.05);
  if (migration->target == migration->vm->context->backend)
    copy_disk (migration);
  else
    vmgr_backend_template_volumes_async (migration->target, "qemu", template_source,
                                         vmgr_job_get_cancellable (migration->job),
                                         on_template_volumes, migration);
}

void
vmgr_vm_migration_copy_files (Migration *migration)
{
  if (vmgr_vm_migration_failed (migration, NULL))
    return;
  if (migration->source_root == NULL)
    vmgr_vm_migration_define (migration);
  else if (g_str_equal (vmgr_backend_get_scheme (migration->source), "qemu"))
    move_disk (migration);
  else
    copy_root (migration);
}
