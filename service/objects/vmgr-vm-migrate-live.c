/* The live path of VM.Migrate (QEMU): onto an added host the template's
 * volumes on the target (a kernel and initramfs, idempotent) and the VM's
 * disk volume made there empty (qcow2 of the same virtual size); onto the
 * configured host that disk a local file in the guest directory (the
 * template's files are here already); then
 * libvirt's managed migration with the disk copied (NBD) and the target's
 * own definition (its paths), the guest running on meanwhile. libvirt
 * leaves a failed or cancelled migration running on its source; the disk
 * volume (or guest directory) made on the target then goes again. */
#include "vmgr-vm-migrate-private.h"

#include <glib/gstdio.h>

#include "vmgr-backend-migrate.h"
#include "vmgr-backend-volumes.h"
#include "vmgr-error.h"
#include "vmgr-tool.h"

/* As provisioning's when the spec has no disk limit. */
#define DEFAULT_DISK_SIZE (G_GUINT64_CONSTANT (1) << 30)

static void
on_progress (const VmgrMigrationStats *stats, gpointer data)
{
  Migration *migration = data;

  if (stats->data_total > 0)
    vmgr_job_set_progress (migration->job, 0.1 + 0.85 * (double) stats->data_processed /
                                                 (double) stats->data_total);
}

static void
on_migrated (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Migration *migration = user_data;
  VmgrVm *self = migration->vm;
  GError *error = NULL;
  VmgrMigrationStats stats = { 0 };

  if (!vmgr_backend_migrate_finish (VMGR_BACKEND (source), result, &stats, &error))
    {
      vmgr_vm_migration_failed (migration, error);
      return;
    }
  g_message ("VM %u (%s) moved live: %" G_GUINT64_FORMAT " ms in libvirt, downtime %s%"
             G_GUINT64_FORMAT " ms, %" G_GUINT64_FORMAT " bytes of memory, %" G_GUINT64_FORMAT
             " of disk", self->spec->id, self->spec->name, stats.elapsed_ms,
             stats.has_downtime ? "" : "(not reported) ", stats.downtime_ms,
             stats.memory_processed, stats.disk_processed);
  /* Its disk there is the VM's now, and the source has nothing left. */
  migration->copied = FALSE;
  migration->source_gone = TRUE;
  vmgr_vm_migration_commit (migration);
}

static void
migrate (Migration *migration)
{
  VmgrVm *self = migration->vm;
  GError *error = NULL;

  if (vmgr_vm_migration_failed (migration, NULL))
    return;
  migration->domain_xml = vmgr_context_build_definition (self->context, migration->moved, &error);
  if (migration->domain_xml == NULL)
    {
      vmgr_vm_migration_failed (migration, error);
      return;
    }
  vmgr_job_set_progress (migration->job, 0.1);
  vmgr_backend_migrate_async (migration->source, migration->target, self->spec->uuid,
                              VMGR_MIGRATE_LIVE | VMGR_MIGRATE_COPY_STORAGE,
                              migration->domain_xml, on_progress, migration, NULL,
                              vmgr_job_get_cancellable (migration->job), on_migrated, migration);
}

static void
on_disk_made (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Migration *migration = user_data;
  GError *error = NULL;
  char *path = vmgr_backend_volume_create_finish (VMGR_BACKEND (source), result, &error);

  if (path == NULL)
    {
      g_prefix_error (&error, "cannot make the disk on host %s: ",
                      vmgr_context_host_name (migration->vm->context, migration->moved));
      vmgr_vm_migration_failed (migration, error);
      return;
    }
  g_free (migration->target_root);
  migration->target_root = path;
  migration->copied = TRUE;
  migrate (migration);
}

static void
on_template_volumes (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Migration *migration = user_data;
  const VmgrVmSpec *spec = migration->vm->spec;
  GError *error = NULL;
  g_autofree char *name = vmgr_volume_disk_name (spec->id);

  if (!vmgr_backend_template_volumes_finish (VMGR_BACKEND (source), result, &error))
    {
      g_prefix_error (&error, "cannot bring the template to host %s: ",
                      vmgr_context_host_name (migration->vm->context, migration->moved));
      vmgr_vm_migration_failed (migration, error);
      return;
    }
  if (vmgr_vm_migration_failed (migration, NULL))
    return;
  vmgr_job_set_progress (migration->job, 0.05);
  vmgr_backend_volume_create_async (migration->target, name, "qcow2",
                                    spec->disk_hard_limit != 0 ? spec->disk_hard_limit
                                                               : DEFAULT_DISK_SIZE,
                                    NULL, vmgr_job_get_cancellable (migration->job),
                                    on_disk_made, migration);
}

typedef struct {
  char *dir;
  char *disk;
  guint64 size;
} LocalDisk;

static void
local_disk_free (LocalDisk *local)
{
  g_free (local->dir);
  g_free (local->disk);
  g_free (local);
}

static void
local_disk_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  LocalDisk *local = data;
  g_autofree char *size = g_strdup_printf ("%" G_GUINT64_FORMAT, local->size);
  const char *argv[] = { "qemu-img", "create", "-q", "-f", "qcow2", local->disk, size, NULL };
  GError *error = NULL;

  if (!vmgr_provision_make_guest_dir (local->dir, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  if (!vmgr_tool_run_checked (argv, NULL, cancellable, &error))
    {
      g_unlink (local->disk);
      g_rmdir (local->dir);
      g_task_return_error (task, error);
      return;
    }
  g_task_return_boolean (task, TRUE);
}

static void
on_local_disk_made (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Migration *migration = user_data;
  GError *error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_prefix_error (&error, "cannot make the disk on host %s: ",
                      vmgr_context_host_name (migration->vm->context, migration->moved));
      vmgr_vm_migration_failed (migration, error);
      return;
    }
  /* The guest directory is the copy's: a failure removes it. */
  migration->copied = TRUE;
  migrate (migration);
}

static void
make_local_disk (Migration *migration)
{
  const VmgrContext *context = migration->vm->context;
  const VmgrVmSpec *spec = migration->vm->spec;
  g_autoptr(VmgrGuestFiles) files = vmgr_context_guest_files (context, migration->moved);
  g_autoptr(GTask) task = g_task_new (NULL, vmgr_job_get_cancellable (migration->job),
                                      on_local_disk_made, migration);
  LocalDisk *local = g_new0 (LocalDisk, 1);

  local->dir = vmgr_context_guest_dir (context, migration->moved);
  local->disk = g_strdup (files->disk);
  local->size = spec->disk_hard_limit != 0 ? spec->disk_hard_limit : DEFAULT_DISK_SIZE;
  g_free (migration->target_root);
  migration->target_root = g_strdup (files->disk);
  vmgr_job_set_progress (migration->job, 0.05);
  g_task_set_task_data (task, local, (GDestroyNotify) local_disk_free);
  g_task_run_in_thread (task, local_disk_thread);
}

void
vmgr_vm_migration_start_live (Migration *migration)
{
  g_autofree char *source = vmgr_context_template_source (migration->vm->context,
                                                          migration->vm->spec);

  if (migration->target == migration->vm->context->backend)
    {
      make_local_disk (migration);
      return;
    }
  vmgr_backend_template_volumes_async (migration->target, "qemu", source,
                                       vmgr_job_get_cancellable (migration->job),
                                       on_template_volumes, migration);
}
