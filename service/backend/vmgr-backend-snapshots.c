/* Snapshots through libvirt's snapshot API: the test driver keeps them in
 * memory, QEMU inside the guest's qcow2 disk (internal snapshots, with the
 * memory state of a running or paused guest); LXC containers with a root
 * image as copies of that image (vmgr-lxc-snapshots.c). libvirt keeps their metadata;
 * vmgr lists it again whenever it needs it. Every call runs in a worker
 * thread. */
#include "vmgr-backend-private.h"

#include <libvirt-gconfig/libvirt-gconfig.h>

#include "vmgr-error.h"

/* libvirt-gconfig declares no cleanup functions of its own. */
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GVirConfigDomainSnapshot, g_object_unref)

typedef virDomainSnapshot VmgrVirSnapshot;

static inline void
vmgr_vir_snapshot_release (VmgrVirSnapshot *snapshot)
{
  virDomainSnapshotFree (snapshot);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VmgrVirSnapshot, vmgr_vir_snapshot_release)

void
vmgr_backend_snapshot_free (VmgrBackendSnapshot *snapshot)
{
  if (snapshot == NULL)
    return;
  g_free (snapshot->name);
  g_free (snapshot->description);
  g_free (snapshot->state);
  g_free (snapshot->parent);
  g_free (snapshot);
}

typedef struct {
  char *uuid;
  VmgrBackendSnapshotOp op;
  char *name;
  char *description;
  /* Results, read once the task completed. */
  GPtrArray *snapshots;
  VmgrVmState state_after;
  char *reason_after;
} SnapshotTask;

static void
snapshot_task_free (SnapshotTask *data)
{
  g_free (data->uuid);
  g_free (data->name);
  g_free (data->description);
  g_clear_pointer (&data->snapshots, g_ptr_array_unref);
  g_free (data->reason_after);
  g_free (data);
}

static const char *
captured_state (GVirConfigDomainSnapshotDomainState state)
{
  switch (state)
    {
    case GVIR_CONFIG_DOMAIN_SNAPSHOT_DOMAIN_STATE_RUNNING:
    case GVIR_CONFIG_DOMAIN_SNAPSHOT_DOMAIN_STATE_BLOCKED:
      return "running";
    case GVIR_CONFIG_DOMAIN_SNAPSHOT_DOMAIN_STATE_PAUSED:
      return "paused";
    default:
      return "stopped";
    }
}

static VmgrBackendSnapshot *
read_snapshot (virDomainSnapshotPtr snapshot, GError **error)
{
  g_autofree char *xml = virDomainSnapshotGetXMLDesc (snapshot, 0);
  g_autoptr(GVirConfigDomainSnapshot) config = NULL;
  VmgrBackendSnapshot *result;
  const char *text;

  if (xml == NULL)
    {
      vmgr_backend_set_error_from_libvirt (error);
      return NULL;
    }
  config = gvir_config_domain_snapshot_new_from_xml (xml, error);
  if (config == NULL)
    return NULL;
  result = g_new0 (VmgrBackendSnapshot, 1);
  result->name = g_strdup (virDomainSnapshotGetName (snapshot));
  text = gvir_config_domain_snapshot_get_description (config);
  result->description = g_strdup (text != NULL ? text : "");
  result->creation_time = (gint64) gvir_config_domain_snapshot_get_creation_time (config) *
                          G_USEC_PER_SEC;
  result->state = g_strdup (captured_state (gvir_config_domain_snapshot_get_state (config)));
  text = gvir_config_domain_snapshot_get_parent (config);
  result->parent = g_strdup (text != NULL ? text : "");
  return result;
}

static int
compare_snapshots (gconstpointer a, gconstpointer b)
{
  const VmgrBackendSnapshot *first = *(VmgrBackendSnapshot **) a;
  const VmgrBackendSnapshot *second = *(VmgrBackendSnapshot **) b;

  if (first->creation_time != second->creation_time)
    return first->creation_time < second->creation_time ? -1 : 1;
  return strcmp (first->name, second->name);
}

static GPtrArray *
list_snapshots (virDomainPtr domain, GError **error)
{
  virDomainSnapshotPtr *found = NULL;
  g_autoptr(GPtrArray) snapshots =
    g_ptr_array_new_with_free_func ((GDestroyNotify) vmgr_backend_snapshot_free);
  int count = virDomainListAllSnapshots (domain, &found, 0);
  gboolean ok = count >= 0;

  if (!ok)
    vmgr_backend_set_error_from_libvirt (error);
  for (int i = 0; i < count; i++)
    {
      VmgrBackendSnapshot *snapshot = ok ? read_snapshot (found[i], error) : NULL;

      ok = snapshot != NULL;
      if (ok)
        g_ptr_array_add (snapshots, snapshot);
      virDomainSnapshotFree (found[i]);
    }
  free (found);
  if (!ok)
    return NULL;
  g_ptr_array_sort (snapshots, compare_snapshots);
  return g_steal_pointer (&snapshots);
}

static gboolean
create_snapshot (virDomainPtr domain, SnapshotTask *data, GError **error)
{
  g_autoptr(GVirConfigDomainSnapshot) config = gvir_config_domain_snapshot_new ();
  g_autofree char *xml = NULL;
  g_autoptr(VmgrVirSnapshot) snapshot = NULL;

  gvir_config_domain_snapshot_set_name (config, data->name);
  if (data->description != NULL && *data->description != '\0')
    gvir_config_domain_snapshot_set_description (config, data->description);
  xml = gvir_config_object_to_xml (GVIR_CONFIG_OBJECT (config));
  snapshot = virDomainSnapshotCreateXML (domain, xml, 0);
  if (snapshot == NULL)
    {
      vmgr_backend_set_error_from_libvirt (error);
      return FALSE;
    }
  return TRUE;
}

static gboolean
revert_or_delete (virDomainPtr domain, SnapshotTask *data, GError **error)
{
  g_autoptr(VmgrVirSnapshot) snapshot = virDomainSnapshotLookupByName (domain, data->name, 0);
  int state;
  int reason;
  const char *reason_name = NULL;

  if (snapshot == NULL)
    {
      vmgr_backend_set_error_from_libvirt (error);
      return FALSE;
    }
  if (data->op == VMGR_BACKEND_SNAPSHOT_DELETE)
    return vmgr_backend_libvirt_ok (virDomainSnapshotDelete (snapshot, 0), error);
  if (!vmgr_backend_libvirt_ok (virDomainRevertToSnapshot (snapshot, 0), error) ||
      !vmgr_backend_libvirt_ok (virDomainGetState (domain, &state, &reason, 0), error))
    return FALSE;
  data->state_after = vmgr_backend_domain_state (state, reason, &reason_name);
  data->reason_after = g_strdup ("from-snapshot");
  return TRUE;
}

static void
snapshot_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  VmgrBackend *self = source;
  SnapshotTask *data = task_data;
  g_autoptr(VmgrVirDomain) domain = NULL;
  GError *error = NULL;
  gboolean ok;

  if (vmgr_backend_task_return_if_cancelled (task))
    return;
  domain = vmgr_backend_lookup_domain (self, data->uuid, &error);
  ok = domain != NULL;
  if (ok && g_str_equal (vmgr_backend_get_scheme (self), "lxc"))
    {
      ok = vmgr_lxc_snapshot (domain, data->op, data->name, data->description, &data->snapshots,
                              &data->state_after, cancellable, &error);
      if (ok && data->op == VMGR_BACKEND_SNAPSHOT_REVERT)
        data->reason_after = g_strdup ("from-snapshot");
      vmgr_backend_task_return (task, ok, error);
      return;
    }
  if (ok && data->op == VMGR_BACKEND_SNAPSHOT_CREATE)
    ok = create_snapshot (domain, data, &error);
  else if (ok && data->op != VMGR_BACKEND_SNAPSHOT_LIST)
    ok = revert_or_delete (domain, data, &error);
  /* The list after the change: what libvirt now keeps (a deletion gives
   * the children of the deleted snapshot a new parent). */
  if (ok)
    {
      data->snapshots = list_snapshots (domain, &error);
      ok = data->snapshots != NULL;
    }
  vmgr_backend_task_return (task, ok, error);
}

void
vmgr_backend_snapshot_async (VmgrBackend *self, const char *uuid, VmgrBackendSnapshotOp op,
                             const char *name, const char *description,
                             GCancellable *cancellable,
                             GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = NULL;
  SnapshotTask *data;

  g_return_if_fail (VMGR_IS_BACKEND (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, vmgr_backend_snapshot_async);
  if (!vmgr_backend_has_capability (self, "snapshots"))
    {
      if (op == VMGR_BACKEND_SNAPSHOT_LIST)
        g_task_return_pointer (task, g_ptr_array_new (), (GDestroyNotify) g_ptr_array_unref);
      else
        g_task_return_new_error (task, VMGR_ERROR, VMGR_ERROR_NOT_SUPPORTED,
                                 "the %s backend has no snapshots",
                                 vmgr_backend_get_scheme (self));
      return;
    }
  data = g_new0 (SnapshotTask, 1);
  data->uuid = g_strdup (uuid);
  data->op = op;
  data->name = g_strdup (name);
  data->description = g_strdup (description);
  data->state_after = VMGR_VM_STATE_UNKNOWN;
  g_task_set_task_data (task, data, (GDestroyNotify) snapshot_task_free);
  g_task_run_in_thread (task, snapshot_thread);
}

GPtrArray *
vmgr_backend_snapshot_finish (VmgrBackend *self, GAsyncResult *result,
                              VmgrVmState *state_after, char **reason_after, GError **error)
{
  GTask *task = G_TASK (result);
  SnapshotTask *data;

  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  data = g_task_get_task_data (task);
  if (state_after != NULL)
    *state_after = data != NULL ? data->state_after : VMGR_VM_STATE_UNKNOWN;
  if (reason_after != NULL)
    *reason_after = data != NULL ? g_strdup (data->reason_after) : NULL;
  if (data == NULL)
    return g_task_propagate_pointer (task, error);
  if (!g_task_propagate_boolean (task, error))
    return NULL;
  return g_steal_pointer (&data->snapshots);
}
