/* VM.Migrate (issue 14): moves a VM to another host as a job, offline:
 * stopped on the source when it runs (gracefully, forced off after the
 * shutdown timeout), its files copied to the target (a container's root
 * image: uploaded to an added host's pool, streamed from pool to
 * pool, or downloaded into the guest directory here, all through
 * libvirt's storage volumes), defined on the target from its spec (with
 * the target's paths), started there if it ran, recorded in the store,
 * then undefined on the source and its files there removed. Any failure
 * or a Cancel before the store has the new host undoes what was done on
 * the target and brings the VM back up on its source. VMs of the test
 * driver have no files: the same without the copy. A QEMU guest moves
 * offline the same way, its disk copied (vmgr-vm-migrate-files.c); a
 * running one moves live by default (vmgr-vm-migrate-live.c). */
#include "vmgr-vm-migrate-private.h"

#include <errno.h>

#include "vmgr-backend-volumes.h"
#include "vmgr-error.h"


static void
migration_free (Migration *migration)
{
  g_object_unref (migration->vm);
  vmgr_grant_free (migration->grant);
  g_clear_object (&migration->job);
  g_clear_object (&migration->source);
  g_clear_object (&migration->target);
  vmgr_vm_spec_free (migration->moved);
  g_free (migration->domain_xml);
  g_free (migration->reason_before);
  g_free (migration->source_root);
  g_free (migration->target_root);
  if (migration->staging != NULL)
    vmgr_vm_migration_remove_staging (g_steal_pointer (&migration->staging));
  g_free (migration->old_backing);
  g_free (migration->new_backing);
  g_clear_handle_id (&migration->stop_poll, g_source_remove);
  g_clear_error (&migration->error);
  g_free (migration);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Migration, migration_free)

void
vmgr_vm_migration_fail (Migration *migration, GError *error)
{
  if (migration->error == NULL)
    migration->error = error;
  else
    g_error_free (error);
}

static gboolean
cancelled (Migration *migration)
{
  GError *error = NULL;

  if (!g_cancellable_set_error_if_cancelled (vmgr_job_get_cancellable (migration->job), &error))
    return FALSE;
  vmgr_vm_migration_fail (migration, error);
  return TRUE;
}

/* ---- The end ------------------------------------------------------------ */

static void
finish (Migration *migration)
{
  VmgrVm *self = migration->vm;
  const char *target = vmgr_context_host_name (self->context, migration->moved);

  self->held_by = VMGR_VM_HELD_BY_NOTHING;
  if (migration->error == NULL)
    {
      g_message ("VM %u (%s) migrated to host %s", self->spec->id, self->spec->name, target);
      vmgr_vm_apply_state (self, migration->was_up ? VMGR_VM_STATE_RUNNING
                                                   : migration->state_before, "migrated");
    }
  else
    {
      g_message ("migration of VM %u (%s) to host %s failed: %s", self->spec->id,
                 self->spec->name, target, migration->error->message);
      if (migration->source_stopped)
        vmgr_vm_apply_state (self, VMGR_VM_STATE_STOPPED, "destroyed");
      else
        vmgr_vm_apply_state (self, migration->state_before, migration->reason_before);
    }
  vmgr_grant_audit (self->context->auth, migration->grant, migration->error);
  vmgr_vm_set_job (self, "/");
  vmgr_job_complete (migration->job, migration->error);
  migration_free (migration);
}

static void roll_back (Migration *migration);

static void
on_rolled_back (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Migration *migration = user_data;
  g_autoptr(GError) error = NULL;

  if (!vmgr_backend_op_finish (VMGR_BACKEND (source), result, &error))
    g_warning ("VM %u (%s): undoing its migration: %s", migration->vm->spec->id,
               migration->vm->spec->name, error->message);
  roll_back (migration);
}

static void
on_copy_removed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Migration *migration = user_data;
  g_autoptr(GError) error = NULL;
  gboolean removed = VMGR_IS_BACKEND (source)
                       ? vmgr_backend_volume_delete_finish (VMGR_BACKEND (source), result, &error)
                       : vmgr_provision_remove_finish (result, &error);

  if (!removed)
    g_warning ("VM %u (%s): cannot remove its copy %s on the target: %s",
               migration->vm->spec->id, migration->vm->spec->name, migration->target_root,
               error->message);
  roll_back (migration);
}

static void
remove_copy (Migration *migration)
{
  const char *paths[] = { migration->target_root, NULL };
  g_autofree char *guest_dir = NULL;

  if (migration->target != migration->vm->context->backend)
    {
      vmgr_backend_volume_delete_async (migration->target, paths, NULL, on_copy_removed,
                                        migration);
      return;
    }
  guest_dir = vmgr_context_guest_dir (migration->vm->context, migration->moved);
  vmgr_provision_remove_async (guest_dir, NULL, on_copy_removed, migration);
}

/* Undoes one step at a time, the last first, then ends the job. */
static void
roll_back (Migration *migration)
{
  const char *uuid = migration->vm->spec->uuid;

  if (migration->started)
    {
      migration->started = FALSE;
      vmgr_backend_op_async (migration->target, uuid, VMGR_BACKEND_OP_DESTROY, NULL,
                             on_rolled_back, migration);
    }
  else if (migration->defined)
    {
      migration->defined = FALSE;
      vmgr_backend_op_async (migration->target, uuid, VMGR_BACKEND_OP_UNDEFINE, NULL,
                             on_rolled_back, migration);
    }
  else if (migration->copied)
    {
      migration->copied = FALSE;
      remove_copy (migration);
    }
  else if (migration->source_stopped)
    {
      migration->source_stopped = FALSE;
      vmgr_backend_op_async (migration->source, uuid, VMGR_BACKEND_OP_START, NULL,
                             on_rolled_back, migration);
    }
  else
    finish (migration);
}

gboolean
vmgr_vm_migration_failed (Migration *migration, GError *error)
{
  if (error != NULL)
    vmgr_vm_migration_fail (migration, error);
  else if (!cancelled (migration))
    return FALSE;
  roll_back (migration);
  return TRUE;
}

/* ---- After the store has it: the source's part goes ------------------------ */

static void
on_source_files_removed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Migration *migration = user_data;
  g_autoptr(GError) error = NULL;

  if (!vmgr_context_remove_files_finish (result, &error))
    g_warning ("VM %u (%s) migrated, but its files on the source stay: %s",
               migration->vm->spec->id, migration->vm->spec->name, error->message);
  finish (migration);
}

/* The VM is on the target: the object follows it there. */
static void
moved_over (Migration *migration)
{
  VmgrVm *self = migration->vm;
  g_autoptr(VmgrVmSpec) old = self->spec;
  guint32 owner = old->owner;

  self->spec = vmgr_vm_spec_copy (migration->moved);
  vmgr_vm_sync_properties (self);
  vmgr_vm_emit_changed (self, owner);
  vmgr_context_reserve_address (self->context, old, FALSE);
  vmgr_context_reserve_address (self->context, self->spec, TRUE);
  if (self->spec->autostart)
    vmgr_backend_set_autostart_async (migration->target, self->spec->uuid, TRUE, NULL, NULL,
                                      NULL);
  if (migration->source_root == NULL && !migration->live)
    {
      finish (migration);
      return;
    }
  vmgr_context_remove_files_async (self->context, old, on_source_files_removed, migration);
}

static void
on_source_undefined (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Migration *migration = user_data;
  g_autoptr(GError) error = NULL;

  /* The VM is on the target now, whatever the source says. */
  if (!vmgr_backend_op_finish (VMGR_BACKEND (source), result, &error))
    g_warning ("VM %u (%s) migrated, but its definition stays on the source: %s",
               migration->vm->spec->id, migration->vm->spec->name, error->message);
  moved_over (migration);
}

/* The store says where the VM is: from here on the migration is done. */
void
vmgr_vm_migration_commit (Migration *migration)
{
  VmgrVm *self = migration->vm;
  g_autoptr(VmgrAuditEntry) audit = NULL;
  GError *error = NULL;

  /* Once libvirt moved it, a Cancel comes too late. */
  if (!migration->source_gone && vmgr_vm_migration_failed (migration, NULL))
    return;
  vmgr_job_set_progress (migration->job, 0.95);
  vmgr_grant_add_change (migration->grant, "host",
                         vmgr_context_host_name (self->context, self->spec),
                         vmgr_context_host_name (self->context, migration->moved));
  audit = vmgr_grant_audit_entry (migration->grant);
  if (!vmgr_store_update_vm (self->context->store, migration->moved, migration->domain_xml,
                             audit, &error))
    {
      if (migration->source_gone)
        g_critical ("VM %u (%s) runs on host %s, but the store cannot say so: %s",
                    self->spec->id, self->spec->name,
                    vmgr_context_host_name (self->context, migration->moved), error->message);
      vmgr_vm_migration_failed (migration, error);
      return;
    }
  migration->defined = migration->started = migration->source_stopped = FALSE;
  migration->copied = FALSE;
  if (migration->source_gone)
    {
      moved_over (migration);
      return;
    }
  vmgr_backend_op_async (migration->source, self->spec->uuid, VMGR_BACKEND_OP_UNDEFINE, NULL,
                         on_source_undefined, migration);
}

/* ---- The steps ---------------------------------------------------------- */

static void
on_target_started (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Migration *migration = user_data;
  GError *error = NULL;

  if (!vmgr_backend_op_finish (VMGR_BACKEND (source), result, &error))
    {
      g_prefix_error (&error, "cannot start the VM on host %s: ",
                      vmgr_context_host_name (migration->vm->context, migration->moved));
      vmgr_vm_migration_failed (migration, error);
      return;
    }
  migration->started = TRUE;
  vmgr_vm_migration_commit (migration);
}

static void
on_target_defined (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Migration *migration = user_data;
  GError *error = NULL;

  if (!vmgr_backend_define_finish (VMGR_BACKEND (source), result, &error))
    {
      g_prefix_error (&error, "cannot define the VM on host %s: ",
                      vmgr_context_host_name (migration->vm->context, migration->moved));
      vmgr_vm_migration_failed (migration, error);
      return;
    }
  migration->defined = TRUE;
  vmgr_job_set_progress (migration->job, 0.85);
  if (vmgr_vm_migration_failed (migration, NULL))
    return;
  if (migration->was_up)
    vmgr_backend_op_async (migration->target, migration->vm->spec->uuid, VMGR_BACKEND_OP_START,
                           NULL, on_target_started, migration);
  else
    vmgr_vm_migration_commit (migration);
}

void
vmgr_vm_migration_define (Migration *migration)
{
  GError *error = NULL;

  if (vmgr_vm_migration_failed (migration, NULL))
    return;
  migration->domain_xml = vmgr_context_build_definition (migration->vm->context,
                                                         migration->moved, &error);
  if (migration->domain_xml == NULL)
    {
      vmgr_vm_migration_failed (migration, error);
      return;
    }
  vmgr_backend_define_async (migration->target, migration->domain_xml, NULL, on_target_defined,
                             migration);
}

static void
on_source_stopped (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Migration *migration = user_data;
  GError *error = NULL;

  if (!vmgr_backend_op_finish (VMGR_BACKEND (source), result, &error) &&
      !g_error_matches (error, VMGR_ERROR, VMGR_ERROR_INVALID_STATE))
    {
      g_prefix_error (&error, "cannot stop the VM on its source: ");
      vmgr_vm_migration_failed (migration, error);
      return;
    }
  g_clear_error (&error);
  migration->source_stopped = TRUE;
  vmgr_vm_migration_copy_files (migration);
}

static void
force_off (Migration *migration)
{
  vmgr_backend_op_async (migration->source, migration->vm->spec->uuid, VMGR_BACKEND_OP_DESTROY,
                         NULL, on_source_stopped, migration);
}

static gboolean poll_stopped (gpointer data);

static void
on_states (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Migration *migration = user_data;
  g_autoptr(GHashTable) states = vmgr_backend_list_states_finish (VMGR_BACKEND (source), result,
                                                                  NULL);
  VmgrBackendDomainState *state = states != NULL
                                    ? g_hash_table_lookup (states, migration->vm->spec->uuid)
                                    : NULL;

  if (state != NULL && (state->state == VMGR_VM_STATE_STOPPED ||
                        state->state == VMGR_VM_STATE_CRASHED))
    {
      migration->source_stopped = TRUE;
      vmgr_vm_migration_copy_files (migration);
    }
  else if (g_get_monotonic_time () >= migration->stop_deadline ||
           g_cancellable_is_cancelled (vmgr_job_get_cancellable (migration->job)))
    force_off (migration);
  else
    migration->stop_poll = g_timeout_add (500, poll_stopped, migration);
}

static gboolean
poll_stopped (gpointer data)
{
  Migration *migration = data;

  migration->stop_poll = 0;
  vmgr_backend_list_states_async (migration->source, NULL, on_states, migration);
  return G_SOURCE_REMOVE;
}

static void
on_shutdown_asked (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Migration *migration = user_data;
  g_autoptr(GError) error = NULL;

  if (!vmgr_backend_op_finish (VMGR_BACKEND (source), result, &error))
    {
      g_message ("VM %u (%s): no graceful shutdown for its migration (%s): forcing it off",
                 migration->vm->spec->id, migration->vm->spec->name, error->message);
      force_off (migration);
      return;
    }
  migration->stop_deadline = g_get_monotonic_time () +
                             migration->vm->context->config->shutdown_timeout_s * G_USEC_PER_SEC;
  migration->stop_poll = g_timeout_add (500, poll_stopped, migration);
}

static void
start (Migration *migration)
{
  if (migration->live)
    vmgr_vm_migration_start_live (migration);
  else if (!migration->was_up)
    vmgr_vm_migration_copy_files (migration);
  else if (migration->source_root != NULL)
    vmgr_backend_op_async (migration->source, migration->vm->spec->uuid,
                           VMGR_BACKEND_OP_SHUTDOWN, NULL, on_shutdown_asked, migration);
  else
    force_off (migration);
}

/* ---- The call ------------------------------------------------------------ */

typedef struct {
  VmgrVm *vm;
  char *host;
  int live;                 /* -1: not given */
  VmgrVmStartJob start_job;
  gpointer start_job_data;
} Request;

static void
request_free (Request *request)
{
  g_object_unref (request->vm);
  g_free (request->host);
  g_free (request);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Request, request_free)

/* The backend of host @name, NULL when there is no such host. */
static VmgrBackend *
host_backend (const VmgrContext *context, const char *name)
{
  if (g_strcmp0 (name, context->config->host_name) == 0)
    return context->backend;
  return context->host_backends != NULL ? g_hash_table_lookup (context->host_backends, name)
                                        : NULL;
}

/* What of the VM's files can move: none (test driver), a container's root
 * image. */
static gboolean
check_files (VmgrVm *self, VmgrBackend *source, VmgrBackend *target, const char *name,
             gboolean live, GError **error)
{
  const char *scheme = vmgr_backend_get_scheme (target);
  g_autoptr(VmgrGuestFiles) files = NULL;

  if (live && !g_str_equal (scheme, "qemu"))
    return g_set_error (error, VMGR_ERROR, VMGR_ERROR_NOT_SUPPORTED,
                        "the %s backend cannot migrate a VM live: use live false", scheme),
           FALSE;
  if (g_str_equal (scheme, "test"))
    return TRUE;
  if (vmgr_vm_spec_is_adopted (self->spec))
    return g_set_error (error, VMGR_ERROR, VMGR_ERROR_NOT_SUPPORTED,
                        "VM '%s' was adopted: its files are not vmgr's to move",
                        self->spec->name), FALSE;
  if (g_str_equal (scheme, "qemu"))
    {
      g_autofree char *template_source = vmgr_context_template_source (self->context,
                                                                       self->spec);

      /* Its disk needs the template's files on the target. */
      if (*template_source == '\0')
        return g_set_error (error, VMGR_ERROR, VMGR_ERROR_NOT_SUPPORTED,
                            "the template '%s' of VM '%s' is gone: its files cannot move",
                            self->spec->template_name, self->spec->name), FALSE;
    }
  if (source != self->context->backend && vmgr_backend_get_pool_dir (source) == NULL)
    return g_set_error (error, VMGR_ERROR, VMGR_ERROR_HYPERVISOR,
                        "the storage pool '%s' of host %s, where VM '%s' has its files, is not "
                        "known yet", vmgr_backend_get_pool (source),
                        vmgr_context_host_name (self->context, self->spec), self->spec->name),
           FALSE;
  files = vmgr_context_guest_files (self->context, self->spec);
  if (*files->root != '\0' && !g_str_has_suffix (files->root, ".img"))
    return g_set_error (error, VMGR_ERROR, VMGR_ERROR_NOT_SUPPORTED,
                        "VM '%s' has a root directory, not a root image: it cannot move",
                        self->spec->name), FALSE;
  if (target != self->context->backend && vmgr_backend_get_pool_dir (target) == NULL)
    return g_set_error (error, VMGR_ERROR, VMGR_ERROR_NOT_FOUND,
                        "host %s has no active storage pool '%s' for the VM's files", name,
                        vmgr_backend_get_pool (target) != NULL ? vmgr_backend_get_pool (target)
                                                               : ""), FALSE;
  return TRUE;
}

static gboolean
check_host (VmgrVm *self, const char *name, gboolean live, GError **error)
{
  VmgrBackend *target = host_backend (self->context, name);
  VmgrBackend *source = vmgr_context_backend_for (self->context, self->spec);

  if (target == NULL)
    return g_set_error (error, VMGR_ERROR, VMGR_ERROR_NOT_FOUND, "there is no host '%s'", name),
           FALSE;
  if (g_str_equal (name, vmgr_context_host_name (self->context, self->spec)))
    return g_set_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_ARGUMENT,
                        "VM '%s' is on host %s already", self->spec->name, name), FALSE;
  if (!vmgr_backend_is_connected (target))
    return g_set_error (error, VMGR_ERROR, VMGR_ERROR_HYPERVISOR,
                        "host %s is disconnected: libvirt at %s does not answer", name,
                        vmgr_backend_get_uri (target)), FALSE;
  if (!g_str_equal (vmgr_backend_get_scheme (source), vmgr_backend_get_scheme (target)))
    return g_set_error (error, VMGR_ERROR, VMGR_ERROR_NOT_SUPPORTED,
                        "host %s runs %s guests and VM '%s' is a %s guest", name,
                        vmgr_backend_get_scheme (target), self->spec->name,
                        vmgr_backend_get_scheme (source)), FALSE;
  return check_files (self, source, target, name, live, error);
}

static gboolean
check_state (VmgrVm *self, gboolean live, GError **error)
{
  if (!vmgr_vm_check_not_deleted (self, error) ||
      !vmgr_vm_check_not_provisioning (self, error) ||
      !vmgr_vm_check_not_busy (self, error) ||
      !vmgr_vm_check_files_not_held (self, error))
    return FALSE;
  if (self->snapshot_busy ||
      !g_str_equal (vmgr_dbus_vm_get_job (VMGR_DBUS_VM (self)), "/"))
    return g_set_error (error, VMGR_ERROR, VMGR_ERROR_BUSY,
                        "VM '%s' has a job running (%s): try again when it is done",
                        self->spec->name, vmgr_dbus_vm_get_job (VMGR_DBUS_VM (self))), FALSE;
  if (self->state != VMGR_VM_STATE_RUNNING && self->state != VMGR_VM_STATE_STOPPED &&
      self->state != VMGR_VM_STATE_CRASHED)
    return g_set_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_STATE,
                        "VM '%s' is %s, and only a running or stopped VM can be migrated",
                        self->spec->name, vmgr_vm_state_to_string (self->state)), FALSE;
  if (g_hash_table_size (self->snapshots) > 0)
    return g_set_error (error, VMGR_ERROR, VMGR_ERROR_NOT_SUPPORTED,
                        "VM '%s' has snapshots, which do not move between hosts: delete "
                        "them first", self->spec->name), FALSE;
  if (live && self->state != VMGR_VM_STATE_RUNNING)
    return g_set_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_STATE,
                        "VM '%s' is %s, and only a running VM migrates live",
                        self->spec->name, vmgr_vm_state_to_string (self->state)), FALSE;
  return TRUE;
}

static Migration *
migration_new (VmgrVm *self, VmgrGrant *grant, const char *host, gboolean live)
{
  Migration *migration = g_new0 (Migration, 1);

  migration->vm = g_object_ref (self);
  migration->grant = grant;
  migration->source = g_object_ref (vmgr_context_backend_for (self->context, self->spec));
  migration->target = g_object_ref (host_backend (self->context, host));
  migration->moved = vmgr_vm_spec_copy (self->spec);
  g_free (migration->moved->host);
  /* The configured host is "" in the store, whatever its name. */
  migration->moved->host = g_strdup (migration->target == self->context->backend ? "" : host);
  migration->state_before = self->state;
  migration->reason_before = g_strdup (vmgr_dbus_vm_get_state_reason (VMGR_DBUS_VM (self)));
  migration->was_up = vmgr_vm_is_up (self->state);
  migration->live = live;
  if (g_str_equal (vmgr_backend_get_scheme (migration->source), "lxc"))
    {
      g_autoptr(VmgrGuestFiles) files = vmgr_context_guest_files (self->context, self->spec);

      if (*files->root != '\0')
        migration->source_root = g_strdup (files->root);
    }
  else if (g_str_equal (vmgr_backend_get_scheme (migration->source), "qemu"))
    {
      g_autoptr(VmgrGuestFiles) files = vmgr_context_guest_files (self->context, self->spec);

      if (*files->disk != '\0')
        migration->source_root = g_strdup (files->disk);
    }
  return migration;
}

static void
on_migrate_allowed (GDBusMethodInvocation *invocation, VmgrGrant *grant, gpointer user_data)
{
  g_autoptr(Request) request = user_data;
  VmgrVm *self = request->vm;
  g_autoptr(GError) error = NULL;
  Migration *migration;
  const char *path;
  gboolean live;

  /* Live by default for a running QEMU guest only. */
  live = request->live != -1 ? request->live
         : self->state == VMGR_VM_STATE_RUNNING &&
           g_str_equal (vmgr_backend_get_scheme (vmgr_context_backend_for (self->context,
                                                                           self->spec)), "qemu");
  if (!check_host (self, request->host, live, &error) || !check_state (self, live, &error))
    {
      vmgr_grant_audit (self->context->auth, grant, error);
      vmgr_grant_free (grant);
      g_dbus_method_invocation_return_gerror (invocation, error);
      return;
    }
  migration = migration_new (self, grant, request->host, live);
  migration->job = g_object_ref (request->start_job (request->start_job_data, self->spec->id,
                                                     self->spec->owner, "migrate",
                                                     grant->caller.uid));
  path = vmgr_job_get_path (migration->job);
  vmgr_vm_set_job (self, path);
  self->held_by = VMGR_VM_HELD_BY_MIGRATION;
  g_dbus_method_invocation_return_value (invocation, g_variant_new ("(o)", path));
  start (migration);
}

static gboolean
read_options (GVariant *options, int *live, GError **error)
{
  GVariantIter iter;
  const char *key;
  g_autoptr(GVariant) value = NULL;

  g_variant_iter_init (&iter, options);
  while (g_variant_iter_next (&iter, "{&sv}", &key, &value))
    {
      if (!g_str_equal (key, "live"))
        return g_set_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_ARGUMENT,
                            "unknown migrate option '%s' (known: live)", key), FALSE;
      if (!g_variant_is_of_type (value, G_VARIANT_TYPE_BOOLEAN))
        return g_set_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_ARGUMENT,
                            "the migrate option live is a boolean (b), not %s",
                            g_variant_get_type_string (value)), FALSE;
      *live = g_variant_get_boolean (value);
      g_clear_pointer (&value, g_variant_unref);
    }
  return TRUE;
}

gboolean
vmgr_vm_handle_migrate (VmgrVm *self, GDBusMethodInvocation *invocation, const char *host,
                        GVariant *options, VmgrVmStartJob start_job, gpointer start_job_data)
{
  GError *error = NULL;
  int live = -1;
  Request *request;
  g_autoptr(GHashTable) details = NULL;

  if (!read_options (options, &live, &error))
    return vmgr_vm_return_invalid_input (self, invocation, error);
  request = g_new0 (Request, 1);
  request->vm = g_object_ref (self);
  request->host = g_strdup (host);
  request->live = live;
  request->start_job = start_job;
  request->start_job_data = start_job_data;
  details = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  g_hash_table_insert (details, (gpointer) "migrate.host", g_strdup (host));
  vmgr_auth_authorize (self->context->auth, invocation, self->spec, details, on_migrate_allowed,
                       request, (GDestroyNotify) request_free);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}
