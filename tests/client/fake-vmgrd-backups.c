/* The fake vmgrd's backups (see fake-vmgrd.h): VM.Backup and
 * Manager.RestoreBackup answer with an org.vmgr.Job that stays at 0 until
 * fake_vmgrd_run_backup_jobs(), then goes 0.5, 1 and completes (a backup
 * of "db" fails at 0.5 with "no space left on device"; one of "stuck", or
 * a restore of "hang.vmgr-backup.tar.zst", waits for Cancel() and then
 * completes as cancelled). ListBackups has one valid archive of "web" and
 * one broken file; DeleteBackup and RestoreBackup know only these names. */
#include "fake-vmgrd.h"

#define STEP_MS 20
#define WEB_ARCHIVE "web-101-20231114T221320Z.vmgr-backup.tar.zst"
#define BROKEN_ARCHIVE "broken.vmgr-backup.tar.zst"
#define HANG_ARCHIVE "hang.vmgr-backup.tar.zst"

typedef enum { BACKUP_OK, BACKUP_FAIL, BACKUP_HANG } BackupKind;

typedef struct {
  FakeVmgrd *fake;
  char *path;
  BackupKind kind;
  VmgrDBusObjectSkeleton *object;
  VmgrDBusJob *job;
  gboolean running;
  guint step;
} BackupJob;

/* The jobs that wait for fake_vmgrd_run_backup_jobs() or Cancel(). */
static GPtrArray *waiting;

static void
backup_job_free (BackupJob *job)
{
  g_dbus_object_manager_server_unexport (job->fake->objects, job->path);
  g_object_unref (job->job);
  g_object_unref (job->object);
  g_free (job->path);
  g_free (job);
}

static gboolean
on_step (gpointer data)
{
  BackupJob *job = data;
  const char *error = NULL;

  job->step++;
  if (job->kind == BACKUP_HANG)
    error = "cancelled";
  else if (job->step == 1)
    {
      vmgr_dbus_job_set_progress (job->job, 0.5);
      return G_SOURCE_CONTINUE;
    }
  else if (job->kind == BACKUP_FAIL)
    error = "no space left on device";
  else if (job->step == 2)
    {
      vmgr_dbus_job_set_progress (job->job, 1.0);
      return G_SOURCE_CONTINUE;
    }
  vmgr_dbus_job_emit_completed (job->job, error == NULL, error != NULL ? error : "");
  job->fake->pending--;
  backup_job_free (job);
  return G_SOURCE_REMOVE;
}

static void
run (BackupJob *job)
{
  if (job->running)
    return;
  job->running = TRUE;
  job->fake->pending++;
  g_ptr_array_remove (waiting, job);
  g_timeout_add (STEP_MS, on_step, job);
}

static gboolean
handle_cancel (VmgrDBusJob *object, GDBusMethodInvocation *invocation, gpointer data)
{
  BackupJob *job = data;

  fake_vmgrd_record (job->fake, invocation);
  vmgr_dbus_job_complete_cancel (object, invocation);
  if (job->kind == BACKUP_HANG)
    run (job);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static char *
start_job (FakeVmgrd *self, const char *operation, const char *target, BackupKind kind)
{
  BackupJob *job = g_new0 (BackupJob, 1);

  if (waiting == NULL)
    waiting = g_ptr_array_new ();
  job->fake = self;
  job->kind = kind;
  job->path = g_strdup_printf ("/org/vmgr/job/%u", self->next_job++);
  job->object = vmgr_dbus_object_skeleton_new (job->path);
  job->job = vmgr_dbus_job_skeleton_new ();
  vmgr_dbus_job_set_operation (job->job, operation);
  vmgr_dbus_job_set_target (job->job, target);
  vmgr_dbus_job_set_progress (job->job, 0.0);
  vmgr_dbus_job_set_cancellable (job->job, TRUE);
  g_signal_connect (job->job, "handle-cancel", G_CALLBACK (handle_cancel), job);
  vmgr_dbus_object_skeleton_set_job (job->object, job->job);
  g_dbus_object_manager_server_export (self->objects, G_DBUS_OBJECT_SKELETON (job->object));
  g_ptr_array_add (waiting, job);
  return g_strdup (job->path);
}

void
fake_vmgrd_run_backup_jobs (FakeVmgrd *self)
{
  g_autoptr(GPtrArray) jobs = waiting != NULL ? g_ptr_array_copy (waiting, NULL, NULL) : NULL;

  for (guint i = 0; jobs != NULL && i < jobs->len; i++)
    if (((BackupJob *) g_ptr_array_index (jobs, i))->kind != BACKUP_HANG)
      run (g_ptr_array_index (jobs, i));
}

void
fake_vmgrd_backups_clear (FakeVmgrd *self)
{
  while (waiting != NULL && waiting->len > 0)
    {
      backup_job_free (g_ptr_array_index (waiting, 0));
      g_ptr_array_remove_index (waiting, 0);
    }
  g_clear_pointer (&waiting, g_ptr_array_unref);
}

static gboolean
handle_backup (VmgrDBusVM *vm, GDBusMethodInvocation *invocation, GVariant *options,
               gpointer data)
{
  FakeVmgrd *self = data;
  const char *name = vmgr_dbus_vm_get_name (vm);
  g_autofree char *target = fake_vmgrd_vm_path (vmgr_dbus_vm_get_id (vm));
  g_autofree char *path = NULL;

  fake_vmgrd_record (self, invocation);
  if (fake_vmgrd_refuse_secret (vm, invocation, "back up"))
    return G_DBUS_METHOD_INVOCATION_HANDLED;
  path = start_job (self, "backup", target,
                    g_str_equal (name, "db") ? BACKUP_FAIL
                    : g_str_equal (name, "stuck") ? BACKUP_HANG : BACKUP_OK);
  vmgr_dbus_vm_complete_backup (vm, invocation, path);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static GVariant *
backups (void)
{
  GVariantBuilder list;
  GVariantDict web, broken;

  g_variant_dict_init (&web, NULL);
  g_variant_dict_insert (&web, "archive", "s", WEB_ARCHIVE);
  g_variant_dict_insert (&web, "valid", "b", TRUE);
  g_variant_dict_insert (&web, "size", "t", (guint64) 1048576);
  g_variant_dict_insert (&web, "vm_id", "u", 101);
  g_variant_dict_insert (&web, "vm_name", "s", "web");
  g_variant_dict_insert (&web, "vm_uuid", "s", "5b1f06c4-9f4c-4a57-a3c1-8d8a2c6f7e10");
  g_variant_dict_insert (&web, "owner", "u", 1000);
  g_variant_dict_insert (&web, "backend", "s", "test");
  g_variant_dict_insert (&web, "template", "s", "debian-12");
  g_variant_dict_insert (&web, "plan", "s", "");
  g_variant_dict_insert (&web, "created", "x", G_GINT64_CONSTANT (1700000000000000));
  g_variant_dict_insert (&web, "state", "s", "running");
  g_variant_dict_insert (&web, "description", "s", "nightly");
  g_variant_dict_init (&broken, NULL);
  g_variant_dict_insert (&broken, "archive", "s", BROKEN_ARCHIVE);
  g_variant_dict_insert (&broken, "valid", "b", FALSE);
  g_variant_dict_insert (&broken, "size", "t", (guint64) 15);
  g_variant_dict_insert (&broken, "reason", "s", "it has no readable manifest");
  g_variant_builder_init (&list, G_VARIANT_TYPE ("aa{sv}"));
  g_variant_builder_add_value (&list, g_variant_dict_end (&broken));
  g_variant_builder_add_value (&list, g_variant_dict_end (&web));
  return g_variant_builder_end (&list);
}

static gboolean
handle_list_backups (VmgrDBusManager *manager, GDBusMethodInvocation *invocation, gpointer data)
{
  fake_vmgrd_record (data, invocation);
  vmgr_dbus_manager_complete_list_backups (manager, invocation, backups ());
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
known_archive (GDBusMethodInvocation *invocation, const char *archive)
{
  if (g_str_equal (archive, WEB_ARCHIVE) || g_str_equal (archive, BROKEN_ARCHIVE) ||
      g_str_equal (archive, HANG_ARCHIVE))
    return TRUE;
  g_dbus_method_invocation_return_dbus_error (invocation, "org.vmgr.Error.NotFound",
                                              "there is no backup 'absent'");
  return FALSE;
}

static gboolean
handle_restore_backup (VmgrDBusManager *manager, GDBusMethodInvocation *invocation,
                       const char *archive, const char *name, GVariant *options, gpointer data)
{
  FakeVmgrd *self = data;
  g_autofree char *path = NULL;

  fake_vmgrd_record (self, invocation);
  if (!known_archive (invocation, archive))
    return G_DBUS_METHOD_INVOCATION_HANDLED;
  path = start_job (self, "restore", "/org/vmgr/vm/200",
                    g_str_equal (archive, HANG_ARCHIVE) ? BACKUP_HANG : BACKUP_OK);
  vmgr_dbus_manager_complete_restore_backup (manager, invocation, path);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
handle_delete_backup (VmgrDBusManager *manager, GDBusMethodInvocation *invocation,
                      const char *archive, gpointer data)
{
  fake_vmgrd_record (data, invocation);
  if (known_archive (invocation, archive))
    vmgr_dbus_manager_complete_delete_backup (manager, invocation);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

void
fake_vmgrd_backups_connect_manager (FakeVmgrd *self, VmgrDBusManager *manager)
{
  g_signal_connect (manager, "handle-list-backups", G_CALLBACK (handle_list_backups), self);
  g_signal_connect (manager, "handle-restore-backup", G_CALLBACK (handle_restore_backup), self);
  g_signal_connect (manager, "handle-delete-backup", G_CALLBACK (handle_delete_backup), self);
}

void
fake_vmgrd_backups_connect_vm (FakeVmgrd *self, VmgrDBusVM *vm)
{
  g_signal_connect (vm, "handle-backup", G_CALLBACK (handle_backup), self);
}
