/* VM.CreateSnapshot and its snapshots' Revert and Delete. libvirt keeps the
 * snapshots; after every change the VM lists them again and its snapshot
 * objects follow that list (announced with "snapshot-added" and
 * "snapshot-removed" for the registry to export). One snapshot operation
 * at a time per VM: libvirt serializes them anyway, and the quota check
 * then counts what is there. */
#include "vmgr-vm-private.h"

#include "vmgr-error.h"
#include "vmgr-names.h"
#include "vmgr-snapshot.h"
#include "vmgr-validate.h"


/* ---- The objects follow libvirt's list ---------------------------------- */

static void
add_snapshot (VmgrVm *self, const VmgrBackendSnapshot *info)
{
  g_autoptr(VmgrSnapshot) snapshot = vmgr_snapshot_new (self->spec->id, info);

  g_signal_connect_object (snapshot, "handle-revert", G_CALLBACK (vmgr_vm_handle_snapshot_call),
                           self, 0);
  g_signal_connect_object (snapshot, "handle-delete", G_CALLBACK (vmgr_vm_handle_snapshot_call),
                           self, 0);
  g_hash_table_insert (self->snapshots, g_strdup (info->name), g_object_ref (snapshot));
  vmgr_vm_emit_snapshot_added (self, snapshot);
}

static gboolean
listed (GPtrArray *snapshots, const char *name)
{
  for (guint i = 0; i < snapshots->len; i++)
    if (g_str_equal (((VmgrBackendSnapshot *) g_ptr_array_index (snapshots, i))->name, name))
      return TRUE;
  return FALSE;
}

/* Snapshots named so that they cannot be a path element (made with virsh)
 * are left out. With @complete FALSE, none is removed. */
static void
follow_list (VmgrVm *self, GPtrArray *snapshots, gboolean complete)
{
  GHashTableIter iter;
  gpointer snapshot;

  for (guint i = 0; i < snapshots->len; i++)
    {
      const VmgrBackendSnapshot *info = g_ptr_array_index (snapshots, i);
      VmgrSnapshot *known = g_hash_table_lookup (self->snapshots, info->name);

      if (known != NULL)
        vmgr_snapshot_update (known, info);
      else if (vmgr_validate_snapshot_name (info->name, NULL))
        add_snapshot (self, info);
    }
  g_hash_table_iter_init (&iter, self->snapshots);
  while (complete && g_hash_table_iter_next (&iter, NULL, &snapshot))
    if (!listed (snapshots, vmgr_snapshot_get_name (snapshot)))
      {
        g_autoptr(VmgrSnapshot) gone = g_object_ref (snapshot);

        g_hash_table_iter_remove (&iter);
        g_signal_handlers_disconnect_by_data (gone, self);
        vmgr_vm_emit_snapshot_removed (self, gone);
      }
  vmgr_ledger_set_snapshot_count (self->context->ledger, self->spec->id,
                                  g_hash_table_size (self->snapshots));
}

typedef struct {
  VmgrVm *vm;
  guint changes;            /* self->snapshot_changes when the listing began */
} Loading;

static void
on_snapshots_loaded (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Loading *loading = user_data;
  g_autoptr(VmgrVm) self = loading->vm;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) snapshots = vmgr_backend_snapshot_finish (VMGR_BACKEND (source), result,
                                                                 NULL, NULL, &error);

  /* A change that finished meanwhile listed them after this listing did. */
  if (snapshots != NULL && !self->deleting && loading->changes == self->snapshot_changes)
    follow_list (self, snapshots, FALSE);
  else if (snapshots == NULL && !g_error_matches (error, VMGR_ERROR, VMGR_ERROR_NOT_FOUND))
    g_warning ("VM %u: cannot list its snapshots: %s", self->spec->id, error->message);
  g_free (loading);
}

void
vmgr_vm_load_snapshots (VmgrVm *self)
{
  Loading *loading;

  /* libvirt has no domain to ask yet: vmgr_vm_set_defining asks once it has. */
  if (self->held_by == VMGR_VM_HELD_BY_DEFINITION)
    return;
  loading = g_new0 (Loading, 1);
  loading->vm = g_object_ref (self);
  loading->changes = self->snapshot_changes;
  vmgr_backend_snapshot_async (vmgr_context_backend_for (self->context, self->spec), self->spec->uuid,
                               VMGR_BACKEND_SNAPSHOT_LIST, NULL, NULL, NULL,
                               on_snapshots_loaded, loading);
}

/* ---- Calls -------------------------------------------------------------- */

typedef struct {
  VmgrVm *vm;
  GDBusMethodInvocation *invocation;
  VmgrGrant *grant;
  VmgrBackendSnapshotOp op;
  char *name;
  char *description;
} SnapshotCall;

static void
snapshot_call_free (SnapshotCall *call)
{
  g_object_unref (call->vm);
  g_object_unref (call->invocation);
  vmgr_grant_free (call->grant);
  g_free (call->name);
  g_free (call->description);
  g_free (call);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SnapshotCall, snapshot_call_free)

static SnapshotCall *
snapshot_call_new (VmgrVm *self, GDBusMethodInvocation *invocation, VmgrBackendSnapshotOp op,
                   const char *name, const char *description)
{
  SnapshotCall *call = g_new0 (SnapshotCall, 1);

  call->vm = g_object_ref (self);
  call->invocation = g_object_ref (invocation);
  call->op = op;
  call->name = g_strdup (name);
  call->description = g_strdup (description);
  return call;
}

static void
finish_call (SnapshotCall *call, const GError *error)
{
  g_autofree char *path = NULL;

  vmgr_grant_audit (call->vm->context->auth, call->grant, error);
  if (error != NULL)
    g_dbus_method_invocation_return_gerror (call->invocation, error);
  else if (call->op == VMGR_BACKEND_SNAPSHOT_CREATE)
    {
      path = vmgr_snapshot_path (call->vm->spec->id, call->name);
      g_dbus_method_invocation_return_value (call->invocation, g_variant_new ("(o)", path));
    }
  else
    g_dbus_method_invocation_return_value (call->invocation, NULL);
}

static void
on_definition_restored (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(SnapshotCall) call = user_data;
  g_autoptr(GError) error = NULL;

  if (!vmgr_backend_define_finish (VMGR_BACKEND (source), result, &error))
    g_warning ("VM %u: reverted to snapshot '%s', but its definition could not be defined "
               "again: %s", call->vm->spec->id, call->name, error->message);
  finish_call (call, NULL);
}

static void
on_snapshot_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(SnapshotCall) call = user_data;
  VmgrVm *self = call->vm;
  g_autoptr(GError) error = NULL;
  VmgrVmState state = VMGR_VM_STATE_UNKNOWN;
  g_autofree char *reason = NULL;
  g_autoptr(GPtrArray) snapshots = vmgr_backend_snapshot_finish (VMGR_BACKEND (source), result,
                                                                 &state, &reason, &error);

  self->snapshot_busy = FALSE;
  self->snapshot_changes++;
  if (snapshots != NULL && !self->deleting)
    follow_list (self, snapshots, TRUE);
  if (reason != NULL && !self->deleting)
    {
      vmgr_vm_apply_state (self, state, reason);
      /* libvirt brought back the definition the snapshot holds; vmgr's
       * record of the VM's resources (what its quota counts) stays what
       * holds from the next start on. */
      vmgr_vm_restore_definition_async (self, on_definition_restored, g_steal_pointer (&call));
      return;
    }
  finish_call (call, error);
}

static gboolean
check_may_change_snapshots (VmgrVm *self, GError **error)
{
  VmgrBackend *backend = vmgr_context_backend_for (self->context, self->spec);

  if (!vmgr_vm_check_not_deleted (self, error) || !vmgr_vm_check_not_provisioning (self, error) ||
      !vmgr_vm_check_not_busy (self, error))
    return FALSE;
  if (!vmgr_backend_has_capability (backend, "snapshots"))
    return g_set_error (error, VMGR_ERROR, VMGR_ERROR_NOT_SUPPORTED,
                        "the %s backend has no snapshots", vmgr_backend_get_scheme (backend)),
           FALSE;
  /* QEMU's are libvirt's own (internal snapshots); LXC's are copies of
   * the root image file, which vmgrd reaches only on the configured host */
  if (g_str_equal (vmgr_backend_get_scheme (backend), "lxc") &&
      !vmgr_context_check_local_files (self->context, self->spec,
                                       "an LXC snapshot (a copy of the root image file)", error))
    return FALSE;
  if (self->snapshot_busy)
    return g_set_error (error, VMGR_ERROR, VMGR_ERROR_BUSY,
                        "a snapshot of VM '%s' is being changed: try again when that is done",
                        self->spec->name), FALSE;
  return TRUE;
}

static gboolean
check_call (SnapshotCall *call, GError **error)
{
  VmgrVm *self = call->vm;
  gboolean exists;

  if (!check_may_change_snapshots (self, error))
    return FALSE;
  exists = g_hash_table_contains (self->snapshots, call->name);
  if (call->op != VMGR_BACKEND_SNAPSHOT_CREATE)
    return exists || (g_set_error (error, VMGR_ERROR, VMGR_ERROR_NOT_FOUND,
                                   "VM '%s' has no snapshot '%s'", self->spec->name,
                                   call->name), FALSE);
  if (exists)
    return g_set_error (error, VMGR_ERROR, VMGR_ERROR_ALREADY_EXISTS,
                        "VM '%s' already has a snapshot '%s'", self->spec->name, call->name),
           FALSE;
  /* Administrators (the -any action) are not held to the owner's quota. */
  if (g_strcmp0 (call->grant->action, VMGR_ACTION_SNAPSHOT_OWN) == 0)
    return vmgr_ledger_check_new_snapshot (self->context->ledger, self->spec->owner, error);
  return TRUE;
}

static void
on_snapshot_call_allowed (GDBusMethodInvocation *invocation, VmgrGrant *grant, gpointer data)
{
  g_autoptr(SnapshotCall) call = data;
  VmgrVm *self = call->vm;
  g_autoptr(GError) error = NULL;
  SnapshotCall *running;

  call->grant = grant;
  if (!check_call (call, &error))
    {
      finish_call (call, error);
      return;
    }
  self->snapshot_busy = TRUE;
  running = g_steal_pointer (&call);
  vmgr_backend_snapshot_async (vmgr_context_backend_for (self->context, self->spec), self->spec->uuid, running->op,
                               running->name, running->description, NULL, on_snapshot_done,
                               running);
}

static void
authorize_call (SnapshotCall *call)
{
  VmgrVm *self = call->vm;
  g_autoptr(GHashTable) details = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);

  g_hash_table_insert (details, (gpointer) "snapshot.name", g_strdup (call->name));
  vmgr_auth_authorize (self->context->auth, call->invocation, self->spec, details,
                       on_snapshot_call_allowed, call, (GDestroyNotify) snapshot_call_free);
}

gboolean
vmgr_vm_handle_create_snapshot (VmgrDBusVM *object, GDBusMethodInvocation *invocation,
                                const char *name, GVariant *options)
{
  VmgrVm *self = VMGR_VM (object);
  g_autofree char *description = NULL;
  GError *error = NULL;

  if (!vmgr_validate_snapshot_name (name, &error) || !vmgr_vm_read_description_option (options, "snapshot", &description, &error))
    return vmgr_vm_return_invalid_input (self, invocation, error);
  authorize_call (snapshot_call_new (self, invocation, VMGR_BACKEND_SNAPSHOT_CREATE, name,
                                     description != NULL ? description : ""));
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

gboolean
vmgr_vm_handle_snapshot_call (VmgrDBusSnapshot *object, GDBusMethodInvocation *invocation,
                              gpointer user_data)
{
  VmgrVm *self = VMGR_VM (user_data);
  const char *method = g_dbus_method_invocation_get_method_name (invocation);
  VmgrBackendSnapshotOp op = g_str_equal (method, "Revert") ? VMGR_BACKEND_SNAPSHOT_REVERT
                                                             : VMGR_BACKEND_SNAPSHOT_DELETE;

  authorize_call (snapshot_call_new (self, invocation, op,
                                     vmgr_snapshot_get_name (VMGR_SNAPSHOT (object)), NULL));
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}
