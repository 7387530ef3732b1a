/* Manager.ListBackups and DeleteBackup (issue 13): the archives of the
 * backup directory, read in a worker thread. RestoreBackup is in
 * vmgr-manager-restore.c. */
#include "vmgr-manager-private.h"

#include <errno.h>
#include <glib/gstdio.h>

#include "vmgr-backup-archive.h"
#include "vmgr-error.h"

typedef struct {
  VmgrManager *manager;
  GDBusMethodInvocation *invocation;
  VmgrGrant *grant;
  char *dir;
  char *archive;            /* DeleteBackup's */
} BackupCall;

static void
backup_call_free (BackupCall *call)
{
  g_object_unref (call->manager);
  g_object_unref (call->invocation);
  vmgr_grant_free (call->grant);
  g_free (call->dir);
  g_free (call->archive);
  g_free (call);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BackupCall, backup_call_free)

static BackupCall *
backup_call_new (VmgrManager *self, GDBusMethodInvocation *invocation, const char *archive)
{
  BackupCall *call = g_new0 (BackupCall, 1);

  call->manager = g_object_ref (self);
  call->invocation = g_object_ref (invocation);
  call->dir = vmgr_config_get_backup_dir (self->context->config);
  call->archive = g_strdup (archive);
  return call;
}

/* ---- ListBackups --------------------------------------------------------- */

static void
add_entry (GVariantBuilder *list, const char *dir, const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(VmgrBackupManifest) manifest = vmgr_backup_archive_read_manifest (path, NULL,
                                                                             &error);
  GVariantBuilder entry;
  GStatBuf st;

  if (g_lstat (path, &st) != 0 || !S_ISREG (st.st_mode))
    return;
  g_variant_builder_init (&entry, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&entry, "{sv}", "archive", g_variant_new_string (name));
  g_variant_builder_add (&entry, "{sv}", "size", g_variant_new_uint64 ((guint64) st.st_size));
  g_variant_builder_add (&entry, "{sv}", "valid", g_variant_new_boolean (manifest != NULL));
  if (manifest == NULL)
    g_variant_builder_add (&entry, "{sv}", "reason", g_variant_new_string (error->message));
  else
    {
      const VmgrVmSpec *spec = manifest->spec;

      g_variant_builder_add (&entry, "{sv}", "vm_id", g_variant_new_uint32 (spec->id));
      g_variant_builder_add (&entry, "{sv}", "vm_name", g_variant_new_string (spec->name));
      g_variant_builder_add (&entry, "{sv}", "vm_uuid", g_variant_new_string (spec->uuid));
      g_variant_builder_add (&entry, "{sv}", "owner", g_variant_new_uint32 (spec->owner));
      g_variant_builder_add (&entry, "{sv}", "backend", g_variant_new_string (manifest->backend));
      g_variant_builder_add (&entry, "{sv}", "template",
                             g_variant_new_string (spec->template_name));
      g_variant_builder_add (&entry, "{sv}", "plan", g_variant_new_string (spec->plan));
      g_variant_builder_add (&entry, "{sv}", "created", g_variant_new_int64 (manifest->created));
      g_variant_builder_add (&entry, "{sv}", "state", g_variant_new_string (manifest->state));
      g_variant_builder_add (&entry, "{sv}", "description",
                             g_variant_new_string (manifest->description));
    }
  g_variant_builder_add_value (list, g_variant_builder_end (&entry));
}

static int
compare_names (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(const char * const *) a, *(const char * const *) b);
}

static void
list_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  BackupCall *call = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GDir) dir = g_dir_open (call->dir, 0, &error);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  GVariantBuilder list;
  const char *name;

  g_variant_builder_init (&list, G_VARIANT_TYPE ("aa{sv}"));
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    if (vmgr_backup_check_archive_name (name, NULL))
      g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_names);
  for (guint i = 0; i < names->len; i++)
    add_entry (&list, call->dir, g_ptr_array_index (names, i));
  /* No directory yet: no backups. */
  if (dir == NULL && !g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
    {
      g_variant_builder_clear (&list);
      g_task_return_new_error (task, VMGR_ERROR, VMGR_ERROR_FAILED,
                               "cannot read the backup directory: %s", error->message);
      return;
    }
  g_task_return_pointer (task, g_variant_ref_sink (g_variant_new ("(@aa{sv})",
                                                                  g_variant_builder_end (&list))),
                         (GDestroyNotify) g_variant_unref);
}

static void
on_listed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(BackupCall) call = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) value = g_task_propagate_pointer (G_TASK (result), &error);

  /* A value that is not floating is not consumed: ours is freed here. */
  vmgr_manager_finish (call->manager, call->invocation, NULL, value, error);
}

static void
on_list_allowed (GDBusMethodInvocation *invocation, VmgrGrant *grant, gpointer user_data)
{
  BackupCall *call = user_data;
  g_autoptr(GTask) task = g_task_new (NULL, NULL, on_listed, call);

  vmgr_grant_free (grant);
  g_task_set_task_data (task, call, NULL);
  g_task_run_in_thread (task, list_thread);
}

gboolean
vmgr_manager_handle_list_backups (VmgrDBusManager *object, GDBusMethodInvocation *invocation)
{
  VmgrManager *self = VMGR_MANAGER (object);

  vmgr_auth_authorize (self->context->auth, invocation, NULL, NULL, on_list_allowed,
                       backup_call_new (self, invocation, NULL),
                       (GDestroyNotify) backup_call_free);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

/* ---- DeleteBackup -------------------------------------------------------- */

static void
delete_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  BackupCall *call = data;
  g_autofree char *path = g_build_filename (call->dir, call->archive, NULL);
  GStatBuf st;

  if (g_lstat (path, &st) != 0 || !S_ISREG (st.st_mode))
    g_task_return_new_error (task, VMGR_ERROR, VMGR_ERROR_NOT_FOUND,
                             "there is no backup '%s'", call->archive);
  else if (g_unlink (path) != 0)
    g_task_return_new_error (task, VMGR_ERROR, VMGR_ERROR_FAILED, "cannot remove %s: %s",
                             path, g_strerror (errno));
  else
    g_task_return_boolean (task, TRUE);
}

static void
on_deleted (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(BackupCall) call = user_data;
  g_autoptr(GError) error = NULL;

  if (g_task_propagate_boolean (G_TASK (result), &error))
    vmgr_grant_add_change (call->grant, "backup", call->archive, NULL);
  vmgr_manager_finish (call->manager, call->invocation, call->grant, NULL, error);
}

static void
on_delete_allowed (GDBusMethodInvocation *invocation, VmgrGrant *grant, gpointer user_data)
{
  BackupCall *call = user_data;
  g_autoptr(GTask) task = g_task_new (NULL, NULL, on_deleted, call);

  call->grant = grant;
  g_task_set_task_data (task, call, NULL);
  g_task_run_in_thread (task, delete_thread);
}

gboolean
vmgr_manager_handle_delete_backup (VmgrDBusManager *object, GDBusMethodInvocation *invocation,
                                   const char *archive)
{
  VmgrManager *self = VMGR_MANAGER (object);
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) details = NULL;

  if (!vmgr_backup_check_archive_name (archive, &error))
    {
      g_dbus_method_invocation_return_gerror (invocation, error);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
  details = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  g_hash_table_insert (details, (gpointer) "backup.archive", g_strdup (archive));
  vmgr_auth_authorize (self->context->auth, invocation, NULL, details, on_delete_allowed,
                       backup_call_new (self, invocation, archive),
                       (GDestroyNotify) backup_call_free);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}
