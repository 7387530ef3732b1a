/* VM.Backup (issue 13): a job that copies the VM's guest directory aside
 * (the VM suspended meanwhile when it runs), resumes it, and archives the
 * copy with its manifest and definition (vmgr-backup-archive.h). The
 * staging copy lives in the state directory, beside the guest files, so
 * that image files are reflinked where the filesystem can. A failed or
 * cancelled backup leaves neither the archive nor the staging copy. */
#include "vmgr-vm-private.h"

#include <errno.h>
#include <glib/gstdio.h>

#include "vmgr-backup-archive.h"
#include "vmgr-error.h"
#include "vmgr-file-copy.h"

/* The share of the job's progress that copying the files aside takes. */
#define STAGING_SHARE 0.4

/* The VMs with a backup under way (ids). */
static GHashTable *backing_up;

typedef struct {
  VmgrVm *vm;
  VmgrGrant *grant;
  VmgrJob *job;
  VmgrBackupManifest *manifest;
  char *domain_xml;
  char *guest_dir;
  char *staging;            /* set once made */
  char *archive;
  gboolean suspended;       /* the backup suspended the VM: it resumes it */
  gboolean holding_files;   /* the VM's files_held counts this backup */
  GError *error;            /* the first failure */
} Backup;

static void
backup_free (Backup *backup)
{
  g_hash_table_remove (backing_up, GUINT_TO_POINTER (backup->vm->spec->id));
  g_object_unref (backup->vm);
  vmgr_grant_free (backup->grant);
  g_clear_object (&backup->job);
  vmgr_backup_manifest_free (backup->manifest);
  g_free (backup->domain_xml);
  g_free (backup->guest_dir);
  g_free (backup->staging);
  g_free (backup->archive);
  g_clear_error (&backup->error);
  g_free (backup);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Backup, backup_free)

/* ---- Worker threads ----------------------------------------------------- */

typedef struct {
  VmgrJob *job;
  double base;              /* the job's progress before this part */
  double share;             /* and how much of it this part is */
  guint64 total;
  guint64 done;             /* bytes of the entries copied before this one */
  guint64 current;          /* bytes of the entry being copied */
} Progress;

static void
on_copy_progress (double fraction, gpointer data)
{
  Progress *p = data;
  double copied = (double) p->done + fraction * (double) p->current;

  vmgr_job_set_progress (p->job, p->base + p->share * (p->total > 0 ? copied / p->total : 0));
}

static guint64
entry_bytes (const char *path)
{
  guint entries = 0;
  guint64 bytes = 0;

  vmgr_provision_measure_tree (path, &entries, &bytes);
  return bytes;
}

/* Copies what @from holds, but its snapshots, into the new directory @to. */
static gboolean
copy_guest_dir (const char *from, const char *to, Progress *progress,
                GCancellable *cancellable, GError **error)
{
  g_autoptr(GDir) dir = NULL;
  g_autoptr(GError) open_error = NULL;
  const char *name;

  if (g_mkdir (to, 0700) != 0)
    return g_set_error (error, VMGR_ERROR, VMGR_ERROR_FAILED, "cannot make %s: %s", to,
                        g_strerror (errno)), FALSE;
  dir = g_dir_open (from, 0, &open_error);
  if (dir == NULL)
    return g_error_matches (open_error, G_FILE_ERROR, G_FILE_ERROR_NOENT) ||
           (g_propagate_error (error, g_steal_pointer (&open_error)), FALSE);
  progress->total = 0;
  while ((name = g_dir_read_name (dir)) != NULL)
    if (!g_str_equal (name, "snapshots"))
      {
        g_autofree char *path = g_build_filename (from, name, NULL);

        progress->total += entry_bytes (path);
      }
  g_dir_rewind (dir);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *source = g_build_filename (from, name, NULL);
      g_autofree char *target = g_build_filename (to, name, NULL);
      g_autofree char *link = NULL;
      GStatBuf st;
      gboolean ok = TRUE;

      if (g_str_equal (name, "snapshots") || g_lstat (source, &st) != 0)
        continue;
      progress->current = entry_bytes (source);
      if (S_ISDIR (st.st_mode))
        ok = vmgr_provision_copy_tree (source, target, on_copy_progress, progress, cancellable,
                                       error);
      else if (S_ISREG (st.st_mode))
        ok = vmgr_file_copy (source, target, st.st_mode & 07777, on_copy_progress, progress,
                             cancellable, error);
      else if (S_ISLNK (st.st_mode) && (link = g_file_read_link (source, error)) != NULL)
        ok = symlink (link, target) == 0 ||
             (g_set_error (error, VMGR_ERROR, VMGR_ERROR_FAILED, "cannot make %s: %s", target,
                           g_strerror (errno)), FALSE);
      else if (S_ISLNK (st.st_mode))
        ok = FALSE;
      if (!ok)
        return FALSE;
      progress->done += progress->current;
    }
  return !g_cancellable_set_error_if_cancelled (cancellable, error);
}

static gboolean
write_text (const char *dir, const char *name, const char *text, GError **error)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);

  return g_file_set_contents_full (path, text, -1, G_FILE_SET_CONTENTS_NONE, 0600, error);
}

static gboolean
stage (Backup *backup, GCancellable *cancellable, GError **error)
{
  const char *state_dir = backup->vm->context->config->state_dir;
  g_autofree char *template = g_build_filename (state_dir, ".backup-XXXXXX", NULL);
  g_autofree char *files = NULL;
  g_autofree char *manifest = NULL;
  Progress progress = { .job = backup->job, .base = 0.0, .share = STAGING_SHARE };

  if (g_mkdtemp_full (template, 0700) == NULL)
    return g_set_error (error, VMGR_ERROR, VMGR_ERROR_FAILED, "cannot make a staging "
                        "directory in %s: %s", state_dir, g_strerror (errno)), FALSE;
  backup->staging = g_steal_pointer (&template);
  files = g_build_filename (backup->staging, VMGR_BACKUP_FILES, NULL);
  if (!copy_guest_dir (backup->guest_dir, files, &progress, cancellable, error))
    return FALSE;
  backup->manifest->files_bytes = progress.total;
  manifest = vmgr_backup_manifest_to_json (backup->manifest);
  return write_text (backup->staging, VMGR_BACKUP_MANIFEST, manifest, error) &&
         write_text (backup->staging, VMGR_BACKUP_DOMAIN, backup->domain_xml, error);
}

static void
stage_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  GError *error = NULL;

  if (stage (data, cancellable, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
on_archive_progress (double fraction, gpointer data)
{
  vmgr_job_set_progress (VMGR_JOB (data), STAGING_SHARE + (1.0 - STAGING_SHARE) * fraction);
}

static void
archive_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  Backup *backup = data;
  g_autofree char *dir = g_path_get_dirname (backup->archive);
  GError *error = NULL;

  if (g_mkdir_with_parents (dir, 0700) != 0)
    g_task_return_new_error (task, VMGR_ERROR, VMGR_ERROR_FAILED,
                             "cannot make the backup directory %s: %s", dir,
                             g_strerror (errno));
  else if (vmgr_backup_archive_write (backup->staging, backup->archive,
                                      backup->manifest->files_bytes, on_archive_progress,
                                      backup->job, cancellable, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
run_in_thread (Backup *backup, GTaskThreadFunc func, GAsyncReadyCallback callback)
{
  g_autoptr(GTask) task = g_task_new (NULL, vmgr_job_get_cancellable (backup->job), callback,
                                      backup);

  g_task_set_task_data (task, backup, NULL);
  g_task_run_in_thread (task, func);
}

/* ---- The steps, on the main loop ----------------------------------------- */

static void
release_files (Backup *backup)
{
  if (!backup->holding_files)
    return;
  backup->holding_files = FALSE;
  backup->vm->files_held--;
}

/* Ends the job and frees @backup. */
static void
finish (Backup *backup)
{
  VmgrVm *self = backup->vm;

  release_files (backup);
  g_autofree char *name = g_path_get_basename (backup->archive);

  if (backup->error == NULL)
    {
      vmgr_grant_add_change (backup->grant, "backup", NULL, name);
      g_message ("VM %u (%s) backed up to %s", self->spec->id, self->spec->name,
                 backup->archive);
    }
  else
    g_message ("backup of VM %u (%s) failed: %s", self->spec->id, self->spec->name,
               backup->error->message);
  vmgr_grant_audit (self->context->auth, backup->grant, backup->error);
  vmgr_vm_set_job (self, "/");
  vmgr_job_complete (backup->job, backup->error);
  backup_free (backup);
}

static void
on_staging_removed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Backup *backup = user_data;
  g_autoptr(GError) error = NULL;

  if (!vmgr_provision_remove_finish (result, &error))
    g_warning ("cannot remove the backup staging directory %s: %s", backup->staging,
               error->message);
  finish (backup);
}

static void
clean_up (Backup *backup)
{
  if (backup->staging == NULL)
    {
      finish (backup);
      return;
    }
  vmgr_provision_remove_async (backup->staging, NULL, on_staging_removed, backup);
}

static void
fail (Backup *backup, GError *error)
{
  if (backup->error == NULL)
    backup->error = error;
  else
    g_error_free (error);
}

static void
on_archived (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Backup *backup = user_data;
  GError *error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    fail (backup, error);
  clean_up (backup);
}

static void
archive (Backup *backup)
{
  if (backup->error != NULL)
    clean_up (backup);
  else
    run_in_thread (backup, archive_thread, on_archived);
}

static void
on_resumed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Backup *backup = user_data;
  g_autoptr(GError) error = NULL;

  /* The copy is complete: a VM that does not come back is told in the
   * log, and the backup goes on. */
  if (!vmgr_backend_op_finish (VMGR_BACKEND (source), result, &error))
    g_warning ("VM %u (%s) stays paused after its backup: %s", backup->vm->spec->id,
               backup->vm->spec->name, error->message);
  archive (backup);
}

static void
resume (Backup *backup)
{
  vmgr_backend_op_async (vmgr_context_backend_for (backup->vm->context, backup->vm->spec), backup->vm->spec->uuid,
                         VMGR_BACKEND_OP_RESUME, NULL, on_resumed, backup);
}

static void
on_staged (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Backup *backup = user_data;
  GError *error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    fail (backup, error);
  release_files (backup);
  if (!backup->suspended)
    {
      archive (backup);
      return;
    }
  resume (backup);
}

static void
on_synced (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Backup *backup = user_data;
  GError *error = NULL;

  if (vmgr_backend_guest_image_finish (VMGR_BACKEND (source), result, NULL, NULL, &error) ||
      g_error_matches (error, VMGR_ERROR, VMGR_ERROR_NOT_SUPPORTED))
    {
      g_clear_error (&error);
      run_in_thread (backup, stage_thread, on_staged);
      return;
    }
  g_prefix_error (&error, "cannot flush the container's root image for a consistent copy: ");
  fail (backup, error);
  resume (backup);
}

static void
on_suspended (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Backup *backup = user_data;
  GError *error = NULL;

  if (!vmgr_backend_op_finish (VMGR_BACKEND (source), result, &error))
    {
      g_prefix_error (&error, "cannot suspend the VM for a consistent copy: ");
      fail (backup, error);
      clean_up (backup);
      return;
    }
  backup->suspended = TRUE;
  /* Freezing stops the container's processes, not its page cache: what they
   * wrote must reach a root image before the image is copied. */
  vmgr_backend_guest_image_async (vmgr_context_backend_for (backup->vm->context, backup->vm->spec), backup->vm->spec,
                                  VMGR_GUEST_IMAGE_SYNC, NULL, on_synced, backup);
}

/* ---- The call ------------------------------------------------------------ */

typedef struct {
  VmgrVm *vm;
  VmgrVmStartJob start_job;
  gpointer start_job_data;  /* the registry, which outlives the VMs */
  char *description;
} Request;

static void
request_free (Request *request)
{
  g_object_unref (request->vm);
  g_free (request->description);
  g_free (request);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Request, request_free)

static gboolean
check_may_back_up (VmgrVm *self, GError **error)
{
  if (!vmgr_vm_check_not_deleted (self, error) || !vmgr_vm_check_not_provisioning (self, error) ||
      !vmgr_vm_check_not_held (self, error))
    return FALSE;
  if (vmgr_vm_spec_is_adopted (self->spec))
    return g_set_error (error, VMGR_ERROR, VMGR_ERROR_NOT_SUPPORTED,
                        "VM '%s' was adopted: its disks are not vmgr's to back up",
                        self->spec->name), FALSE;
  if (!vmgr_context_check_local_files (self->context, self->spec, "a backup", error))
    return FALSE;
  if (backing_up != NULL && g_hash_table_contains (backing_up, GUINT_TO_POINTER (self->spec->id)))
    return g_set_error (error, VMGR_ERROR, VMGR_ERROR_BUSY,
                        "VM '%s' is being backed up: try again when that is done",
                        self->spec->name), FALSE;
  return TRUE;
}

static Backup *
backup_new (VmgrVm *self, VmgrGrant *grant, const char *description)
{
  const VmgrContext *context = self->context;
  Backup *backup = g_new0 (Backup, 1);
  g_autofree char *dir = vmgr_config_get_backup_dir (context->config);
  g_autofree char *name = NULL;

  backup->vm = g_object_ref (self);
  backup->grant = grant;
  backup->manifest = vmgr_backup_manifest_new (self->spec);
  g_free (backup->manifest->backend);
  backup->manifest->backend = g_strdup (vmgr_backend_get_scheme (vmgr_context_backend_for (context, self->spec)));
  g_free (backup->manifest->state);
  backup->manifest->state = g_strdup (vmgr_vm_state_to_string (self->state));
  g_free (backup->manifest->description);
  backup->manifest->description = g_strdup (description);
  backup->manifest->created = g_get_real_time ();
  backup->guest_dir = vmgr_context_guest_dir (context, self->spec);
  name = vmgr_backup_archive_name (self->spec, backup->manifest->created);
  backup->archive = g_build_filename (dir, name, NULL);
  backup->domain_xml = vmgr_store_get_vm_domain_xml (context->store, self->spec->id, NULL);
  if (backup->domain_xml == NULL)
    backup->domain_xml = vmgr_context_build_definition (context, self->spec, NULL);
  if (backup->domain_xml == NULL)
    backup->domain_xml = g_strdup ("");
  if (backing_up == NULL)
    backing_up = g_hash_table_new (NULL, NULL);
  g_hash_table_add (backing_up, GUINT_TO_POINTER (self->spec->id));
  return backup;
}

static void
on_backup_allowed (GDBusMethodInvocation *invocation, VmgrGrant *grant, gpointer user_data)
{
  g_autoptr(Request) request = user_data;
  VmgrVm *self = request->vm;
  g_autoptr(GError) error = NULL;
  Backup *backup;
  const char *path;

  if (!check_may_back_up (self, &error))
    {
      vmgr_grant_audit (self->context->auth, grant, error);
      vmgr_grant_free (grant);
      g_dbus_method_invocation_return_gerror (invocation, error);
      return;
    }
  backup = backup_new (self, grant, request->description);
  backup->job = g_object_ref (request->start_job (request->start_job_data, self->spec->id,
                                                  self->spec->owner, "backup",
                                                  grant->caller.uid));
  path = vmgr_job_get_path (backup->job);
  vmgr_vm_set_job (self, path);
  g_dbus_method_invocation_return_value (invocation, g_variant_new ("(o)", path));
  backup->holding_files = TRUE;
  self->files_held++;
  if (self->state == VMGR_VM_STATE_RUNNING)
    vmgr_backend_op_async (vmgr_context_backend_for (self->context, self->spec), self->spec->uuid, VMGR_BACKEND_OP_SUSPEND,
                           NULL, on_suspended, backup);
  else
    run_in_thread (backup, stage_thread, on_staged);
}

gboolean
vmgr_vm_handle_backup (VmgrVm *self, GDBusMethodInvocation *invocation, GVariant *options,
                       VmgrVmStartJob start_job, gpointer start_job_data)
{
  g_autofree char *description = NULL;
  GError *error = NULL;
  Request *request;
  g_autoptr(GHashTable) details = NULL;

  if (!vmgr_vm_read_description_option (options, "backup", &description, &error))
    return vmgr_vm_return_invalid_input (self, invocation, error);
  request = g_new0 (Request, 1);
  request->vm = g_object_ref (self);
  request->start_job = start_job;
  request->start_job_data = start_job_data;
  request->description = description != NULL ? g_steal_pointer (&description) : g_strdup ("");
  details = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  g_hash_table_insert (details, (gpointer) "backup.description",
                       g_strdup (request->description));
  vmgr_auth_authorize (self->context->auth, invocation, self->spec, details, on_backup_allowed,
                       request, (GDestroyNotify) request_free);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}
