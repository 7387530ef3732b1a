/* Manager.RestoreBackup (issue 13): reads the archive's manifest (worker
 * thread), settles the new VM's identity (its old id, UUID and so MAC when
 * they are free), checks it as CreateVM does, exports it as provisioning
 * and replies with a job that unpacks the guest files into the VM's guest
 * directory, defines the domain through the usual definition of its spec
 * and stores it. A failed or cancelled restore removes what it made. */
#include "vmgr-manager-private.h"

#include <errno.h>
#include <glib/gstdio.h>

#include "vmgr-audit.h"
#include "vmgr-backup-archive.h"
#include "vmgr-error.h"
#include "vmgr-names.h"
#include "vmgr-peers.h"

typedef struct {
  VmgrManager *manager;
  GDBusMethodInvocation *invocation;
  VmgrGrant *grant;
  char *archive;            /* full path */
  char *name;               /* "" = the backed-up one */
  gboolean has_owner;
  guint32 owner;
  VmgrBackupManifest *manifest;
  VmgrVmSpec *spec;         /* the new VM's */
  char *domain_xml;
  char *guest_dir;
  char *staging;
  gboolean reserved;
  gboolean defined;
  gboolean files_moved;     /* the guest directory is the restore's own */
  gboolean reuse_id;        /* the VM takes back the id it had when deleted */
  VmgrVm *vm;
  VmgrJob *job;
} Restore;

static void
restore_free (Restore *restore)
{
  const VmgrContext *context = restore->manager->context;

  if (restore->reserved)
    vmgr_ledger_release (context->ledger, restore->spec->id);
  g_object_unref (restore->manager);
  g_object_unref (restore->invocation);
  vmgr_grant_free (restore->grant);
  g_free (restore->archive);
  g_free (restore->name);
  vmgr_backup_manifest_free (restore->manifest);
  vmgr_vm_spec_free (restore->spec);
  g_free (restore->domain_xml);
  g_free (restore->guest_dir);
  g_free (restore->staging);
  g_clear_object (&restore->vm);
  g_clear_object (&restore->job);
  g_free (restore);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Restore, restore_free)

/* Before the job: the caller gets the error; frees @restore. */
static void
refuse (Restore *restore, const GError *error)
{
  vmgr_manager_finish (restore->manager, restore->invocation, restore->grant, NULL, error);
  restore_free (restore);
}

/* ---- The job ------------------------------------------------------------- */

static void
on_restore_progress (double fraction, gpointer data)
{
  vmgr_job_set_progress (VMGR_JOB (data), fraction);
}

/* Unpacks the archive beside the guest directories and moves its files in
 * as the VM's guest directory. */
static gboolean
unpack (Restore *restore, GCancellable *cancellable, GError **error)
{
  const char *state_dir = restore->manager->context->config->state_dir;
  g_autofree char *template = g_build_filename (state_dir, ".restore-XXXXXX", NULL);
  g_autofree char *files = NULL;
  g_autofree char *parent = g_path_get_dirname (restore->guest_dir);

  if (g_mkdtemp_full (template, 0700) == NULL)
    return g_set_error (error, VMGR_ERROR, VMGR_ERROR_FAILED, "cannot make a staging "
                        "directory in %s: %s", state_dir, g_strerror (errno)), FALSE;
  restore->staging = g_steal_pointer (&template);
  if (!vmgr_backup_archive_extract (restore->archive, restore->staging,
                                    restore->manifest->files_bytes, on_restore_progress,
                                    restore->job, cancellable, error))
    return FALSE;
  files = g_build_filename (restore->staging, VMGR_BACKUP_FILES, NULL);
  if (!g_file_test (files, G_FILE_TEST_IS_DIR))
    return g_set_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_ARGUMENT,
                        "the archive has no files/ directory"), FALSE;
  if (g_file_test (restore->guest_dir, G_FILE_TEST_EXISTS))
    return g_set_error (error, VMGR_ERROR, VMGR_ERROR_ALREADY_EXISTS,
                        "%s is in the way of the restored VM's files", restore->guest_dir),
           FALSE;
  if (g_mkdir_with_parents (parent, 0755) != 0 || g_rename (files, restore->guest_dir) != 0)
    return g_set_error (error, VMGR_ERROR, VMGR_ERROR_FAILED, "cannot move the files to %s: %s",
                        restore->guest_dir, g_strerror (errno)), FALSE;
  restore->files_moved = TRUE;
  return !g_cancellable_set_error_if_cancelled (cancellable, error);
}

static void
unpack_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  GError *error = NULL;

  if (unpack (data, cancellable, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
on_undefined (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GError) error = NULL;

  if (!vmgr_backend_op_finish (VMGR_BACKEND (source), result, &error))
    g_warning ("could not undefine a VM whose restore failed: %s", error->message);
}

typedef struct {
  Restore *restore;
  GError *error;
} Failure;

static void
end_failure (Failure *failure)
{
  g_autoptr(Restore) restore = failure->restore;
  g_autoptr(GError) error = failure->error;

  g_free (failure);
  vmgr_registry_remove_vm (restore->manager->registry, restore->spec->id);
  vmgr_job_complete (restore->job, error);
}

static void
on_guest_dir_removed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GError) remove_error = NULL;

  if (!vmgr_provision_remove_finish (result, &remove_error))
    g_warning ("cannot remove the files of a failed restore: %s", remove_error->message);
  end_failure (user_data);
}

static void
restore_failed (Restore *restore, GError *error)
{
  const VmgrContext *context = restore->manager->context;
  Failure *failure = g_new0 (Failure, 1);

  g_message ("restoring VM %u (%s) from %s failed: %s", restore->spec->id, restore->spec->name,
             restore->archive, error->message);
  vmgr_grant_audit (context->auth, restore->grant, error);
  if (restore->defined)
    vmgr_backend_op_async (context->backend, restore->spec->uuid, VMGR_BACKEND_OP_UNDEFINE, NULL,
                           on_undefined, NULL);
  failure->restore = restore;
  failure->error = error;
  /* The VM goes once its files are gone, and the job ends with it. */
  if (restore->files_moved)
    vmgr_provision_remove_async (restore->guest_dir, NULL, on_guest_dir_removed, failure);
  else
    end_failure (failure);
}

static void
on_defined (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(Restore) restore = user_data;
  const VmgrContext *context = restore->manager->context;
  GError *error = NULL;

  restore->defined = vmgr_backend_define_finish (VMGR_BACKEND (source), result, &error);
  if (!restore->defined ||
      !(restore->reuse_id
          ? vmgr_store_insert_restored_vm (context->store, restore->spec, restore->domain_xml,
                                           NULL, &error)
          : vmgr_store_insert_vm (context->store, restore->spec, restore->domain_xml, NULL,
                                  &error)))
    {
      restore_failed (g_steal_pointer (&restore), error);
      return;
    }
  {
    g_autofree char *archive = g_path_get_basename (restore->archive);

    vmgr_grant_add_change (restore->grant, "restored_from", NULL, archive);
  }
  vmgr_grant_audit (context->auth, restore->grant, NULL);
  vmgr_vm_provisioned (restore->vm);
  vmgr_vm_apply_state (restore->vm, VMGR_VM_STATE_STOPPED, "restored");
  vmgr_context_reserve_address (context, restore->spec, TRUE);
  if (restore->spec->autostart)
    vmgr_backend_set_autostart_async (context->backend, restore->spec->uuid, TRUE, NULL, NULL,
                                      NULL);
  g_message ("VM %u (%s) restored from %s", restore->spec->id, restore->spec->name,
             restore->archive);
  vmgr_job_complete (restore->job, NULL);
}

typedef struct {
  Restore *restore;
  GError *error;            /* the unpacking's */
} Unpacked;

/* The staging directory is gone, whatever the unpacking did. */
static void
on_staging_removed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Unpacked *unpacked = user_data;
  Restore *restore = unpacked->restore;
  GError *error = unpacked->error;
  g_autoptr(GError) remove_error = NULL;

  g_free (unpacked);
  if (!vmgr_provision_remove_finish (result, &remove_error))
    g_warning ("cannot remove the restore staging directory %s: %s", restore->staging,
               remove_error->message);
  if (error != NULL)
    {
      restore_failed (restore, error);
      return;
    }
  vmgr_backend_define_async (restore->manager->context->backend, restore->domain_xml,
                             vmgr_job_get_cancellable (restore->job), on_defined, restore);
}

static void
on_unpacked (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Unpacked *unpacked = g_new0 (Unpacked, 1);
  GError *error = NULL;

  unpacked->restore = user_data;
  if (!g_task_propagate_boolean (G_TASK (result), &error))
    unpacked->error = error;
  if (unpacked->restore->staging == NULL)
    {
      g_autoptr(GTask) done = g_task_new (NULL, NULL, on_staging_removed, unpacked);

      g_task_return_boolean (done, TRUE);
      return;
    }
  vmgr_provision_remove_async (unpacked->restore->staging, NULL, on_staging_removed, unpacked);
}

static void
start_job (Restore *restore)
{
  const VmgrContext *context = restore->manager->context;
  VmgrRegistry *registry = restore->manager->registry;
  g_autoptr(GTask) task = NULL;
  const char *path;

  vmgr_ledger_release (context->ledger, restore->spec->id);
  restore->reserved = FALSE;
  restore->vm = vmgr_vm_new (context, restore->spec, VMGR_VM_STATE_PROVISIONING, "restoring");
  vmgr_registry_add_vm (registry, restore->vm);
  restore->job = g_object_ref (vmgr_registry_start_job (registry, restore->spec->id,
                                                        restore->spec->owner, "restore",
                                                        restore->grant->caller.uid));
  path = vmgr_job_get_path (restore->job);
  vmgr_vm_set_job (restore->vm, path);
  g_dbus_method_invocation_return_value (restore->invocation, g_variant_new ("(o)", path));
  task = g_task_new (NULL, vmgr_job_get_cancellable (restore->job), on_unpacked, restore);
  g_task_set_task_data (task, restore, NULL);
  g_task_run_in_thread (task, unpack_thread);
}

/* ---- The new VM's identity ----------------------------------------------- */

/* Whether the retired @id was that of the backed-up VM itself (its UUID),
 * as the audit log's row of its deletion says. */
static gboolean
retired_by_same_vm (Restore *restore, guint32 id)
{
  const VmgrContext *context = restore->manager->context;
  const char *uuid = restore->manifest->spec->uuid;
  VmgrAuditFilter filter = { .uid = -1, .target = uuid, .verb = "Delete", .limit = 100 };
  g_autoptr(GPtrArray) rows = vmgr_store_query_audit_filtered (context->store, &filter, NULL);
  g_autofree char *path = vmgr_vm_path (id);

  for (guint i = 0; rows != NULL && i < rows->len; i++)
    {
      const VmgrAuditEntry *row = g_ptr_array_index (rows, i);

      if (g_strcmp0 (row->result, "allowed") == 0 && g_strcmp0 (row->target, path) == 0 &&
          g_strcmp0 (row->target_uuid, uuid) == 0)
        return TRUE;
    }
  return FALSE;
}

static gboolean
resolve_spec (Restore *restore, GHashTable *domains, GError **error)
{
  const VmgrContext *context = restore->manager->context;
  VmgrVmSpec *spec = restore->spec = vmgr_vm_spec_copy (restore->manifest->spec);
  g_autoptr(VmgrTemplate) tmpl = NULL;
  g_autoptr(VmgrPlan) plan = NULL;

  if (*restore->name != '\0')
    {
      g_free (spec->name);
      spec->name = g_strdup (restore->name);
    }
  /* The manifest is input like any other. */
  if (!vmgr_validate_name (spec->name, "VM name", error) ||
      !vmgr_validate_name (spec->template_name, "template name", error) ||
      !vmgr_spec_check_resources (spec, error))
    return g_prefix_error (error, "the backup's manifest: "), FALSE;
  if (restore->has_owner)
    spec->owner = restore->owner;
  else if (!vmgr_user_exists (spec->owner))
    return g_set_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_ARGUMENT,
                        "the backed-up owner (uid %u) no longer exists: give the option owner",
                        spec->owner), FALSE;
  if (vmgr_ledger_name_taken (context->ledger, spec->owner, spec->name))
    return g_set_error (error, VMGR_ERROR, VMGR_ERROR_ALREADY_EXISTS,
                        "uid %u already has a VM named '%s'", spec->owner, spec->name), FALSE;
  tmpl = vmgr_store_get_template (context->store, spec->template_name, error);
  if (tmpl == NULL)
    return g_prefix_error (error, "the backed-up VM's template: "), FALSE;
  /* A plan removed since is no longer the VM's: its resources stay. */
  if (*spec->plan != '\0' && (plan = vmgr_store_get_plan (context->store, spec->plan, NULL)) == NULL)
    {
      g_free (spec->plan);
      spec->plan = g_strdup ("");
    }
  if (vmgr_ledger_id_retired (context->ledger, spec->id) &&
      !vmgr_ledger_id_taken (context->ledger, spec->id))
    restore->reuse_id = retired_by_same_vm (restore, spec->id);
  if (vmgr_ledger_id_taken (context->ledger, spec->id) ||
      (vmgr_ledger_id_retired (context->ledger, spec->id) && !restore->reuse_id))
    spec->id = vmgr_ledger_next_vm_id (context->ledger);
  if (vmgr_registry_find_vm_by_uuid (restore->manager->registry, spec->uuid) != NULL ||
      g_hash_table_contains (domains, spec->uuid))
    {
      g_free (spec->uuid);
      spec->uuid = g_uuid_string_random ();
    }
  if (!vmgr_ledger_check (context->ledger, NULL, spec, error))
    return FALSE;
  restore->domain_xml = vmgr_context_build_definition (context, spec, error);
  if (restore->domain_xml == NULL)
    return FALSE;
  restore->guest_dir = vmgr_context_guest_dir (context, spec);
  return TRUE;
}

static void
on_domains_listed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Restore *restore = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) domains = vmgr_backend_list_states_finish (VMGR_BACKEND (source), result,
                                                                   &error);
  const VmgrContext *context = restore->manager->context;

  if (domains == NULL || !resolve_spec (restore, domains, &error))
    {
      refuse (restore, error);
      return;
    }
  g_free (restore->grant->target_name);
  restore->grant->target_name = g_strdup (restore->spec->name);
  g_free (restore->grant->target_uuid);
  restore->grant->target_uuid = g_strdup (restore->spec->uuid);
  if (restore->reuse_id)
    vmgr_ledger_unretire_vm_id (context->ledger, restore->spec->id);
  vmgr_ledger_reserve (context->ledger, restore->spec);
  restore->reserved = TRUE;
  start_job (restore);
}

static void
read_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  Restore *restore = data;
  GError *error = NULL;
  VmgrBackupManifest *manifest = vmgr_backup_archive_read_manifest (restore->archive, NULL,
                                                                    &error);

  if (manifest != NULL)
    g_task_return_pointer (task, manifest, (GDestroyNotify) vmgr_backup_manifest_free);
  else
    g_task_return_error (task, error);
}

static void
on_manifest_read (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Restore *restore = user_data;
  const VmgrContext *context = restore->manager->context;
  const char *scheme = vmgr_backend_get_scheme (context->backend);
  g_autoptr(GError) error = NULL;

  restore->manifest = g_task_propagate_pointer (G_TASK (result), &error);
  if (restore->manifest == NULL)
    {
      refuse (restore, error);
      return;
    }
  if (!g_str_equal (restore->manifest->backend, scheme))
    {
      g_set_error (&error, VMGR_ERROR, VMGR_ERROR_INVALID_ARGUMENT,
                   "the backup was made on the %s backend; this vmgrd runs %s",
                   restore->manifest->backend, scheme);
      refuse (restore, error);
      return;
    }
  vmgr_backend_list_states_async (context->backend, NULL, on_domains_listed, restore);
}

static void
on_restore_allowed (GDBusMethodInvocation *invocation, VmgrGrant *grant, gpointer user_data)
{
  Restore *restore = user_data;
  g_autoptr(GTask) task = g_task_new (NULL, NULL, on_manifest_read, restore);

  restore->grant = grant;
  g_task_set_task_data (task, restore, NULL);
  g_task_run_in_thread (task, read_thread);
}

static gboolean
read_options (GVariant *options, Restore *restore, GError **error)
{
  GVariantIter iter;
  const char *key;
  g_autoptr(GVariant) value = NULL;

  g_variant_iter_init (&iter, options);
  while (g_variant_iter_next (&iter, "{&sv}", &key, &value))
    {
      if (!g_str_equal (key, "owner"))
        return g_set_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_ARGUMENT,
                            "unknown restore option '%s' (known: owner)", key), FALSE;
      if (!g_variant_is_of_type (value, G_VARIANT_TYPE_UINT32))
        return g_set_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_ARGUMENT,
                            "the restore option owner is a uid (u), not %s",
                            g_variant_get_type_string (value)), FALSE;
      restore->has_owner = TRUE;
      restore->owner = g_variant_get_uint32 (value);
      if (!vmgr_user_exists (restore->owner))
        return g_set_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_ARGUMENT,
                            "option 'owner': no user with uid %u", restore->owner), FALSE;
      g_clear_pointer (&value, g_variant_unref);
    }
  return TRUE;
}

gboolean
vmgr_manager_handle_restore_backup (VmgrDBusManager *object, GDBusMethodInvocation *invocation,
                                    const char *archive, const char *name, GVariant *options)
{
  VmgrManager *self = VMGR_MANAGER (object);
  g_autoptr(GError) error = NULL;
  g_autoptr(Restore) restore = g_new0 (Restore, 1);
  g_autoptr(GHashTable) details = NULL;
  g_autofree char *dir = vmgr_config_get_backup_dir (self->context->config);

  restore->manager = g_object_ref (self);
  restore->invocation = g_object_ref (invocation);
  restore->name = g_strdup (name);
  if (!vmgr_backup_check_archive_name (archive, &error) ||
      (*name != '\0' && !vmgr_validate_name (name, "VM name", &error)) ||
      !read_options (options, restore, &error))
    {
      g_dbus_method_invocation_return_gerror (invocation, error);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
  restore->archive = g_build_filename (dir, archive, NULL);
  details = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  g_hash_table_insert (details, (gpointer) "backup.archive", g_strdup (archive));
  g_hash_table_insert (details, (gpointer) "vm.name", g_strdup (name));
  vmgr_auth_authorize (self->context->auth, invocation, NULL, details, on_restore_allowed,
                       g_steal_pointer (&restore), (GDestroyNotify) restore_free);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}
