#include "vmgr-registry.h"

#include <string.h>

#include "vmgr-names.h"
#include "vmgr-registry-index.h"

struct _VmgrRegistry {
  GObject parent_instance;
  const VmgrContext *context;
  GDBusObjectManagerServer *objects;
  GHashTable *vms;            /* id -> VmgrVm (owned) */
  GHashTable *vms_by_uuid;    /* uuid -> VmgrVm (not owned) */
  VmgrRegistryIndex *index;   /* by name and owner */
  GHashTable *customers;      /* uid -> VmgrCustomer (owned) */
  GHashTable *hosts;          /* name -> VmgrHost (owned) */
  guint hosts_refresh;        /* idle source counting what each host's VMs take */
  GHashTable *jobs;           /* path -> VmgrJob (owned) */
  GHashTable *snapshots;      /* path -> VmgrSnapshot (owned), visible like their VM */
  guint next_job;
};

G_DEFINE_FINAL_TYPE (VmgrRegistry, vmgr_registry, G_TYPE_OBJECT)

enum {
  SIGNAL_OBJECT_ADDED,
  SIGNAL_OBJECT_REMOVING,
  SIGNAL_OWNER_CHANGED,
  SIGNAL_HOST_ADDED,
  SIGNAL_HOST_REMOVED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
export_object (VmgrRegistry *self, GDBusObjectSkeleton *object, guint32 owner)
{
  const char *path = g_dbus_object_get_object_path (G_DBUS_OBJECT (object));

  g_signal_emit (self, signals[SIGNAL_OBJECT_ADDED], 0, path, owner);
  g_dbus_object_manager_server_export (self->objects, object);
}

static void
export_interface (VmgrRegistry *self, const char *path, gpointer skeleton, guint32 owner)
{
  g_autoptr(GDBusObjectSkeleton) object = g_dbus_object_skeleton_new (path);

  g_dbus_object_skeleton_add_interface (object, G_DBUS_INTERFACE_SKELETON (skeleton));
  export_object (self, object, owner);
}

static void
unexport (VmgrRegistry *self, const char *path)
{
  g_signal_emit (self, signals[SIGNAL_OBJECT_REMOVING], 0, path);
  g_dbus_object_manager_server_unexport (self->objects, path);
  vmgr_auth_forget_path (self->context->auth, path);
}

/* ---- Hosts ------------------------------------------------------------- */

/* The owner of hosts: nobody, so only callers who may see any VM see them. */
#define HOST_OWNER G_MAXUINT32

void
vmgr_registry_add_host (VmgrRegistry *self, VmgrHost *host)
{
  g_autofree char *path = vmgr_host_path (vmgr_host_get_name (host));

  g_hash_table_insert (self->hosts, g_strdup (vmgr_host_get_name (host)), g_object_ref (host));
  if (!vmgr_host_is_configured (host))
    g_hash_table_insert (self->context->host_backends, g_strdup (vmgr_host_get_name (host)),
                         g_object_ref (vmgr_host_get_backend (host)));
  export_interface (self, path, host, HOST_OWNER);
  g_signal_emit (self, signals[SIGNAL_HOST_ADDED], 0, host);
}

void
vmgr_registry_remove_host (VmgrRegistry *self, const char *name)
{
  g_autofree char *path = vmgr_host_path (name);

  g_autoptr(VmgrHost) host = g_hash_table_lookup (self->hosts, name);

  if (host == NULL)
    return;
  g_object_ref (host);
  unexport (self, path);
  g_hash_table_remove (self->hosts, name);
  g_hash_table_remove (self->context->host_backends, name);
  g_signal_emit (self, signals[SIGNAL_HOST_REMOVED], 0, host);
}

VmgrHost *
vmgr_registry_find_host (VmgrRegistry *self, const char *name)
{
  return g_hash_table_lookup (self->hosts, name);
}

static int
compare_host_names (gconstpointer a, gconstpointer b)
{
  return strcmp (vmgr_host_get_name (*(VmgrHost **) a), vmgr_host_get_name (*(VmgrHost **) b));
}

GPtrArray *
vmgr_registry_list_hosts (VmgrRegistry *self)
{
  g_autoptr(GList) values = g_hash_table_get_values (self->hosts);
  GPtrArray *hosts = g_ptr_array_new ();

  for (GList *l = values; l != NULL; l = l->next)
    g_ptr_array_add (hosts, l->data);
  g_ptr_array_sort (hosts, compare_host_names);
  return hosts;
}

static void
add_to_allocation (VmgrAllocation *allocation, const VmgrVmSpec *spec)
{
  allocation->vms++;
  allocation->vcpus += spec->vcpus;
  allocation->memory += spec->memory_limit;
  allocation->disk += spec->disk_hard_limit;
}

/* What each host's VMs take: counted once per main loop iteration in which
 * VMs changed, so that loading many VMs costs one pass. */
static gboolean
count_host_allocations (gpointer data)
{
  VmgrRegistry *self = data;
  g_autoptr(GHashTable) by_host = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  GHashTableIter iter;
  gpointer value;

  self->hosts_refresh = 0;
  g_hash_table_iter_init (&iter, self->vms);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      const VmgrVmSpec *spec = vmgr_vm_get_spec (value);
      const char *host = vmgr_context_host_name (self->context, spec);
      VmgrAllocation *allocation = g_hash_table_lookup (by_host, host);

      if (allocation == NULL)
        {
          allocation = g_new0 (VmgrAllocation, 1);
          g_hash_table_insert (by_host, (gpointer) host, allocation);
        }
      add_to_allocation (allocation, spec);
    }
  g_hash_table_iter_init (&iter, self->hosts);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      VmgrAllocation *allocation = g_hash_table_lookup (by_host, vmgr_host_get_name (value));

      vmgr_host_set_allocation (value, allocation != NULL ? allocation : &(VmgrAllocation) { 0 });
      vmgr_host_refresh (value);
    }
  return G_SOURCE_REMOVE;
}

static void
refresh_hosts (VmgrRegistry *self)
{
  if (self->hosts_refresh == 0)
    self->hosts_refresh = g_idle_add (count_host_allocations, self);
}

/* ---- Customers --------------------------------------------------------- */

VmgrCustomer *
vmgr_registry_find_customer (VmgrRegistry *self, guint32 uid)
{
  return g_hash_table_lookup (self->customers, GUINT_TO_POINTER (uid));
}

static int
compare_customer_uids (gconstpointer a, gconstpointer b)
{
  guint32 uid_a = vmgr_customer_get_info (*(VmgrCustomer **) a)->uid;
  guint32 uid_b = vmgr_customer_get_info (*(VmgrCustomer **) b)->uid;

  return uid_a < uid_b ? -1 : uid_a > uid_b;
}

GPtrArray *
vmgr_registry_list_customers (VmgrRegistry *self)
{
  g_autoptr(GList) values = g_hash_table_get_values (self->customers);
  GPtrArray *customers = g_ptr_array_new ();

  for (GList *l = values; l != NULL; l = l->next)
    g_ptr_array_add (customers, l->data);
  g_ptr_array_sort (customers, compare_customer_uids);
  return customers;
}

/* Shows what the VMs of @uid take on its Customer object, if registered. */
static void
refresh_allocation (VmgrRegistry *self, guint32 uid)
{
  VmgrCustomer *customer = vmgr_registry_find_customer (self, uid);
  VmgrAllocation allocation;

  refresh_hosts (self);
  if (customer == NULL)
    return;
  allocation = vmgr_ledger_allocation (self->context->ledger, uid);
  vmgr_customer_set_allocated (customer, &allocation);
}

static void
on_customer_changed (VmgrCustomer *customer, gpointer user_data)
{
  VmgrRegistry *self = user_data;

  vmgr_ledger_put_customer (self->context->ledger, vmgr_customer_get_info (customer));
}

static void
on_customer_removed (VmgrCustomer *customer, gpointer user_data)
{
  VmgrRegistry *self = user_data;
  guint32 uid = vmgr_customer_get_info (customer)->uid;
  g_autofree char *path = vmgr_customer_path (uid);

  unexport (self, path);
  g_signal_handlers_disconnect_by_data (customer, self);
  vmgr_ledger_remove_customer (self->context->ledger, uid);
  g_hash_table_remove (self->customers, GUINT_TO_POINTER (uid));
}

void
vmgr_registry_add_customer (VmgrRegistry *self, VmgrCustomer *customer)
{
  const VmgrCustomerInfo *info = vmgr_customer_get_info (customer);
  g_autofree char *path = vmgr_customer_path (info->uid);

  g_hash_table_insert (self->customers, GUINT_TO_POINTER (info->uid), g_object_ref (customer));
  vmgr_ledger_put_customer (self->context->ledger, info);
  g_signal_connect (customer, "changed", G_CALLBACK (on_customer_changed), self);
  g_signal_connect (customer, "removed", G_CALLBACK (on_customer_removed), self);
  refresh_allocation (self, info->uid);
  export_interface (self, path, customer, info->uid);
}

/* ---- VMs --------------------------------------------------------------- */

VmgrVm *
vmgr_registry_find_vm (VmgrRegistry *self, guint32 id)
{
  return g_hash_table_lookup (self->vms, GUINT_TO_POINTER (id));
}

VmgrVm *
vmgr_registry_find_vm_by_uuid (VmgrRegistry *self, const char *uuid)
{
  return g_hash_table_lookup (self->vms_by_uuid, uuid);
}

GPtrArray *
vmgr_registry_list_vms (VmgrRegistry *self)
{
  g_autoptr(GList) values = g_hash_table_get_values (self->vms);
  GPtrArray *vms = g_ptr_array_new ();

  for (GList *l = values; l != NULL; l = l->next)
    g_ptr_array_add (vms, l->data);
  vmgr_registry_sort_by_id (vms);
  return vms;
}

GPtrArray *
vmgr_registry_list_vms_owned_by (VmgrRegistry *self, guint32 owner)
{
  return vmgr_registry_index_owned_by (self->index, owner);
}

GPtrArray *
vmgr_registry_list_vms_named (VmgrRegistry *self, const char *name)
{
  return vmgr_registry_index_named (self->index, name);
}

/* ---- Snapshots: exported with their VM's owner ------------------------ */

static void
on_snapshot_added (VmgrVm *vm, VmgrSnapshot *snapshot, gpointer user_data)
{
  VmgrRegistry *self = user_data;
  const char *path = vmgr_snapshot_get_path (snapshot);

  g_hash_table_insert (self->snapshots, g_strdup (path), g_object_ref (snapshot));
  export_interface (self, path, snapshot, vmgr_vm_get_spec (vm)->owner);
}

static void
on_snapshot_removed (VmgrVm *vm, VmgrSnapshot *snapshot, gpointer user_data)
{
  VmgrRegistry *self = user_data;
  g_autofree char *path = g_strdup (vmgr_snapshot_get_path (snapshot));

  unexport (self, path);
  g_hash_table_remove (self->snapshots, path);
}

/* The snapshot objects of VM @vm_id (element type VmgrSnapshot*, not owned). */
static GPtrArray *
snapshots_of_vm (VmgrRegistry *self, guint32 vm_id)
{
  GPtrArray *found = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer snapshot;

  g_hash_table_iter_init (&iter, self->snapshots);
  while (g_hash_table_iter_next (&iter, NULL, &snapshot))
    if (vmgr_snapshot_get_vm_id (snapshot) == vm_id)
      g_ptr_array_add (found, snapshot);
  return found;
}

static void
remove_snapshots_of_vm (VmgrRegistry *self, guint32 vm_id)
{
  g_autoptr(GPtrArray) snapshots = snapshots_of_vm (self, vm_id);

  for (guint i = 0; i < snapshots->len; i++)
    {
      g_autofree char *path = g_strdup (vmgr_snapshot_get_path (g_ptr_array_index (snapshots, i)));

      unexport (self, path);
      g_hash_table_remove (self->snapshots, path);
    }
}

static void
snapshots_change_owner (VmgrRegistry *self, guint32 vm_id, guint32 old_owner, guint32 new_owner)
{
  g_autoptr(GPtrArray) snapshots = snapshots_of_vm (self, vm_id);

  for (guint i = 0; i < snapshots->len; i++)
    {
      const char *path = vmgr_snapshot_get_path (g_ptr_array_index (snapshots, i));

      vmgr_auth_forget_path (self->context->auth, path);
      g_signal_emit (self, signals[SIGNAL_OWNER_CHANGED], 0, path, old_owner, new_owner);
    }
}

void
vmgr_registry_remove_vm (VmgrRegistry *self, guint32 id)
{
  g_autofree char *path = vmgr_vm_path (id);
  VmgrVm *vm = vmgr_registry_find_vm (self, id);
  guint32 owner;

  if (vm == NULL)
    return;
  owner = vmgr_vm_get_spec (vm)->owner;
  remove_snapshots_of_vm (self, id);
  unexport (self, path);
  g_signal_handlers_disconnect_by_data (vm, self);
  vmgr_ledger_remove_vm (self->context->ledger, id);
  g_hash_table_remove (self->vms_by_uuid, vmgr_vm_get_spec (vm)->uuid);
  vmgr_registry_index_remove (self->index, vm);
  g_hash_table_remove (self->vms, GUINT_TO_POINTER (id));
  refresh_allocation (self, owner);
}

static void
on_vm_changed (VmgrVm *vm, guint old_owner, gpointer user_data)
{
  VmgrRegistry *self = user_data;
  const VmgrVmSpec *spec = vmgr_vm_get_spec (vm);
  g_autofree char *path = vmgr_vm_path (spec->id);

  vmgr_ledger_put_vm (self->context->ledger, spec);
  vmgr_registry_index_put (self->index, vm);
  if (old_owner != spec->owner)
    {
      vmgr_auth_forget_path (self->context->auth, path);
      g_signal_emit (self, signals[SIGNAL_OWNER_CHANGED], 0, path, old_owner, spec->owner);
      snapshots_change_owner (self, spec->id, old_owner, spec->owner);
      refresh_allocation (self, old_owner);
    }
  refresh_allocation (self, spec->owner);
}

static void
on_vm_deleted (VmgrVm *vm, gpointer user_data)
{
  vmgr_registry_remove_vm (VMGR_REGISTRY (user_data), vmgr_vm_get_spec (vm)->id);
}

static VmgrJob *
start_job_for_vm (gpointer registry, guint32 vm_id, guint32 owner, const char *operation,
                  guint32 started_by)
{
  return vmgr_registry_start_job (registry, vm_id, owner, operation, started_by);
}

/* VM.Backup runs as a job, which the registry exports. */
static gboolean
on_handle_backup (VmgrDBusVM *vm, GDBusMethodInvocation *invocation, GVariant *options,
                  gpointer self)
{
  return vmgr_vm_handle_backup (VMGR_VM (vm), invocation, options, start_job_for_vm, self);
}

/* So does VM.Migrate. */
static gboolean
on_handle_migrate (VmgrDBusVM *vm, GDBusMethodInvocation *invocation, const char *host,
                   GVariant *options, gpointer self)
{
  return vmgr_vm_handle_migrate (VMGR_VM (vm), invocation, host, options, start_job_for_vm,
                                 self);
}

void
vmgr_registry_add_vm (VmgrRegistry *self, VmgrVm *vm)
{
  const VmgrVmSpec *spec = vmgr_vm_get_spec (vm);
  g_autofree char *path = vmgr_vm_path (spec->id);
  g_autoptr(VmgrDBusObjectSkeleton) object = vmgr_dbus_object_skeleton_new (path);

  g_hash_table_insert (self->vms, GUINT_TO_POINTER (spec->id), g_object_ref (vm));
  g_hash_table_insert (self->vms_by_uuid, g_strdup (spec->uuid), vm);
  vmgr_registry_index_put (self->index, vm);
  vmgr_ledger_put_vm (self->context->ledger, spec);
  g_signal_connect (vm, "changed", G_CALLBACK (on_vm_changed), self);
  g_signal_connect (vm, "deleted", G_CALLBACK (on_vm_deleted), self);
  g_signal_connect (vm, "snapshot-added", G_CALLBACK (on_snapshot_added), self);
  g_signal_connect (vm, "snapshot-removed", G_CALLBACK (on_snapshot_removed), self);
  /* Not g_signal_connect_object: each would add a closure to the
   * registry's own array, reallocated at every VM (quadratic at start);
   * the handlers go with the VM (vm_removed) or the registry (dispose). */
  g_signal_connect (vm, "handle-backup", G_CALLBACK (on_handle_backup), self);
  g_signal_connect (vm, "handle-migrate", G_CALLBACK (on_handle_migrate), self);
  vmgr_dbus_object_skeleton_set_vm (object, VMGR_DBUS_VM (vm));
  export_object (self, G_DBUS_OBJECT_SKELETON (object), spec->owner);
  refresh_allocation (self, spec->owner);
  vmgr_vm_load_snapshots (vm);
}

/* ---- Jobs -------------------------------------------------------------- */

static void
on_job_finished (VmgrJob *job, gpointer user_data)
{
  VmgrRegistry *self = user_data;
  g_autofree char *path = g_strdup (vmgr_job_get_path (job));

  unexport (self, path);
  g_signal_handlers_disconnect_by_data (job, self);
  g_hash_table_remove (self->jobs, path);
}

VmgrJob *
vmgr_registry_start_job (VmgrRegistry *self, guint32 vm_id, guint32 owner,
                         const char *operation, guint32 started_by)
{
  g_autofree char *path = vmgr_job_path (++self->next_job);
  VmgrJob *job = vmgr_job_new (self->context, path, vm_id, operation, started_by);

  g_hash_table_insert (self->jobs, g_strdup (path), job);
  g_signal_connect (job, "finished", G_CALLBACK (on_job_finished), self);
  export_interface (self, path, job, owner);
  return job;
}

/* ---- Authorization targets --------------------------------------------- */

gboolean
vmgr_registry_find_target (const char *path, const VmgrVmSpec **vm,
                           const VmgrCustomerInfo **customer, gpointer registry)
{
  VmgrRegistry *self = VMGR_REGISTRY (registry);
  guint32 vm_id = vmgr_vm_id_from_path (path);
  VmgrVm *found_vm = vm_id != 0 ? vmgr_registry_find_vm (self, vm_id) : NULL;
  VmgrJob *job = g_hash_table_lookup (self->jobs, path);
  VmgrSnapshot *snapshot = g_hash_table_lookup (self->snapshots, path);
  VmgrCustomer *found_customer = NULL;
  guint32 uid;

  if (job != NULL)
    found_vm = vmgr_registry_find_vm (self, vmgr_job_get_vm_id (job));
  if (snapshot != NULL)
    found_vm = vmgr_registry_find_vm (self, vmgr_snapshot_get_vm_id (snapshot));
  if (found_vm != NULL)
    {
      *vm = vmgr_vm_get_spec (found_vm);
      return TRUE;
    }
  if (g_str_has_prefix (path, VMGR_HOST_PATH_PREFIX))
    return g_hash_table_contains (self->hosts, path + strlen (VMGR_HOST_PATH_PREFIX));
  if (vmgr_customer_uid_from_path (path, &uid))
    found_customer = vmgr_registry_find_customer (self, uid);
  if (found_customer != NULL)
    *customer = vmgr_customer_get_info (found_customer);
  return found_customer != NULL || !g_str_has_prefix (path, VMGR_ROOT_PATH "/") ||
         g_str_equal (path, VMGR_MANAGER_PATH);
}

/* ---- Object ------------------------------------------------------------ */

static void
disconnect_all (VmgrRegistry *self, GHashTable *table)
{
  GHashTableIter iter;
  gpointer object;

  g_hash_table_iter_init (&iter, table);
  while (g_hash_table_iter_next (&iter, NULL, &object))
    g_signal_handlers_disconnect_by_data (object, self);
}

static void
vmgr_registry_dispose (GObject *object)
{
  VmgrRegistry *self = VMGR_REGISTRY (object);

  g_clear_handle_id (&self->hosts_refresh, g_source_remove);
  disconnect_all (self, self->vms);
  disconnect_all (self, self->customers);
  disconnect_all (self, self->jobs);
  g_hash_table_remove_all (self->snapshots);
  g_hash_table_remove_all (self->vms_by_uuid);
  g_hash_table_remove_all (self->vms);
  g_hash_table_remove_all (self->customers);
  g_hash_table_remove_all (self->hosts);
  g_hash_table_remove_all (self->jobs);
  g_clear_object (&self->objects);
  G_OBJECT_CLASS (vmgr_registry_parent_class)->dispose (object);
}

static void
vmgr_registry_finalize (GObject *object)
{
  VmgrRegistry *self = VMGR_REGISTRY (object);

  g_hash_table_unref (self->vms_by_uuid);
  vmgr_registry_index_free (self->index);
  g_hash_table_unref (self->vms);
  g_hash_table_unref (self->customers);
  g_hash_table_unref (self->hosts);
  g_hash_table_unref (self->jobs);
  g_hash_table_unref (self->snapshots);
  G_OBJECT_CLASS (vmgr_registry_parent_class)->finalize (object);
}

static void
vmgr_registry_class_init (VmgrRegistryClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = vmgr_registry_dispose;
  object_class->finalize = vmgr_registry_finalize;
  signals[SIGNAL_OBJECT_ADDED] =
    g_signal_new ("object-added", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_UINT);
  signals[SIGNAL_OBJECT_REMOVING] =
    g_signal_new ("object-removing", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[SIGNAL_HOST_ADDED] =
    g_signal_new ("host-added", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 1, VMGR_TYPE_HOST);
  signals[SIGNAL_HOST_REMOVED] =
    g_signal_new ("host-removed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 1, VMGR_TYPE_HOST);
  signals[SIGNAL_OWNER_CHANGED] =
    g_signal_new ("owner-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 3, G_TYPE_STRING, G_TYPE_UINT, G_TYPE_UINT);
}

static void
vmgr_registry_init (VmgrRegistry *self)
{
  self->vms = g_hash_table_new_full (NULL, NULL, NULL, g_object_unref);
  self->vms_by_uuid = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->index = vmgr_registry_index_new ();
  self->customers = g_hash_table_new_full (NULL, NULL, NULL, g_object_unref);
  self->hosts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  self->jobs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  self->snapshots = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
}

VmgrRegistry *
vmgr_registry_new (const VmgrContext *context, GDBusObjectManagerServer *objects)
{
  VmgrRegistry *self = g_object_new (VMGR_TYPE_REGISTRY, NULL);

  self->context = context;
  self->objects = g_object_ref (objects);
  return self;
}
