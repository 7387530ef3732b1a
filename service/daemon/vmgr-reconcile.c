#include "vmgr-reconcile.h"

struct _VmgrReconciler {
  GObject parent_instance;
  const VmgrContext *context;
  VmgrRegistry *registry;
};

G_DEFINE_FINAL_TYPE (VmgrReconciler, vmgr_reconciler, G_TYPE_OBJECT)

/* ---- Defining again what libvirt lacks --------------------------------- */

typedef struct {
  GTask *task;              /* NULL: nobody waits */
  guint32 id;
  char *name;
} Redefinition;

static void
on_redefined (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Redefinition *redefinition = user_data;
  g_autoptr(GError) error = NULL;

  if (!vmgr_backend_define_finish (VMGR_BACKEND (source), result, &error))
    g_warning ("VM %u (%s) could not be defined again in libvirt: %s", redefinition->id,
               redefinition->name, error->message);
  if (redefinition->task != NULL)
    {
      guint *pending = g_task_get_task_data (redefinition->task);

      if (--*pending == 0)
        g_task_return_boolean (redefinition->task, TRUE);
      g_object_unref (redefinition->task);
    }
  g_free (redefinition->name);
  g_free (redefinition);
}

/* Defines @spec again from the definition vmgr stored for it. With @task,
 * counts in its task data (a guint of definitions under way). Returns
 * whether a definition was started. */
static gboolean
define_again (VmgrReconciler *self, const VmgrVmSpec *spec, GTask *task)
{
  g_autofree char *xml = vmgr_store_get_vm_domain_xml (self->context->store, spec->id, NULL);
  Redefinition *redefinition;

  if (xml == NULL || *xml == '\0')
    return FALSE;
  g_message ("VM %u (%s) is missing from libvirt: defining it again", spec->id, spec->name);
  redefinition = g_new0 (Redefinition, 1);
  redefinition->id = spec->id;
  redefinition->name = g_strdup (spec->name);
  if (task != NULL)
    {
      redefinition->task = g_object_ref (task);
      ++*(guint *) g_task_get_task_data (task);
    }
  vmgr_backend_define_async (vmgr_context_backend_for (self->context, spec), xml, NULL, on_redefined, redefinition);
  return TRUE;
}

/* ---- While running: events, connection lost and restored -------------- */

/* Whether @spec's VM is on the host @backend connects to. */
static gboolean
is_on (VmgrReconciler *self, const VmgrVmSpec *spec, VmgrBackend *backend)
{
  return vmgr_context_backend_for (self->context, spec) == backend;
}

static void
on_domain_state_changed (VmgrBackend *backend, const char *uuid, guint state,
                         const char *reason, gpointer user_data)
{
  VmgrReconciler *self = user_data;
  VmgrVm *vm = vmgr_registry_find_vm_by_uuid (self->registry, uuid);

  if (vm != NULL && is_on (self, vmgr_vm_get_spec (vm), backend))
    vmgr_vm_apply_state (vm, state, reason);
}

/* Only the VMs of the host lost become unknown. */
static void
on_connection_lost (VmgrBackend *backend, gpointer user_data)
{
  VmgrReconciler *self = user_data;
  g_autoptr(GPtrArray) vms = vmgr_registry_list_vms (self->registry);

  g_warning ("lost the connection to libvirt (%s): its VM states are unknown until it is back",
             vmgr_backend_get_uri (backend));
  for (guint i = 0; i < vms->len; i++)
    if (is_on (self, vmgr_vm_get_spec (g_ptr_array_index (vms, i)), backend))
      vmgr_vm_apply_state (g_ptr_array_index (vms, i), VMGR_VM_STATE_UNKNOWN,
                           "hypervisor-unavailable");
}

static void
apply_listed_states (VmgrReconciler *self, VmgrBackend *backend, GHashTable *states)
{
  g_autoptr(GPtrArray) vms = vmgr_registry_list_vms (self->registry);

  for (guint i = 0; i < vms->len; i++)
    {
      VmgrVm *vm = g_ptr_array_index (vms, i);
      const VmgrVmSpec *spec = vmgr_vm_get_spec (vm);
      VmgrBackendDomainState *known = g_hash_table_lookup (states, spec->uuid);

      if (!is_on (self, spec, backend))
        continue;
      if (known != NULL)
        {
          vmgr_vm_apply_state (vm, known->state, known->reason);
          continue;
        }
      define_again (self, spec, NULL);
      vmgr_vm_apply_state (vm, VMGR_VM_STATE_STOPPED, "defined");
    }
}

static void
on_states_after_restore (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(VmgrReconciler) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) states = vmgr_backend_list_states_finish (VMGR_BACKEND (source), result,
                                                                  &error);

  if (states == NULL)
    {
      g_warning ("libvirt is back but cannot list domains: %s", error->message);
      return;
    }
  g_message ("libvirt (%s) is back: its VM states brought up to date",
             vmgr_backend_get_uri (VMGR_BACKEND (source)));
  apply_listed_states (self, VMGR_BACKEND (source), states);
}

static void
on_connection_restored (VmgrBackend *backend, gpointer user_data)
{
  vmgr_backend_list_states_async (backend, NULL, on_states_after_restore,
                                  g_object_ref (user_data));
}

static void
watch_host (VmgrRegistry *registry, VmgrHost *host, gpointer user_data)
{
  VmgrBackend *backend = vmgr_host_get_backend (host);

  if (vmgr_host_is_configured (host))
    return;
  g_signal_connect (backend, "domain-state-changed", G_CALLBACK (on_domain_state_changed),
                    user_data);
  g_signal_connect (backend, "connection-lost", G_CALLBACK (on_connection_lost), user_data);
  g_signal_connect (backend, "connection-restored", G_CALLBACK (on_connection_restored),
                    user_data);
}

static void
unwatch_host (VmgrRegistry *registry, VmgrHost *host, gpointer user_data)
{
  if (!vmgr_host_is_configured (host))
    g_signal_handlers_disconnect_by_data (vmgr_host_get_backend (host), user_data);
}

/* The hosts added besides the configured one that connected before their
 * VMs were loaded: their states now (the others' come when they connect). */
static void
reconcile_added_hosts (VmgrReconciler *self)
{
  g_autoptr(GPtrArray) hosts = vmgr_registry_list_hosts (self->registry);

  for (guint i = 0; i < hosts->len; i++)
    {
      VmgrHost *host = g_ptr_array_index (hosts, i);

      if (!vmgr_host_is_configured (host) && vmgr_backend_is_connected (vmgr_host_get_backend (host)))
        on_connection_restored (vmgr_host_get_backend (host), self);
    }
}

/* ---- Start ------------------------------------------------------------- */

typedef struct {
  GPtrArray *specs;         /* VmgrVmSpec* from the store */
  GHashTable *states;       /* uuid -> VmgrBackendDomainState* */
} Start;

static void
start_free (Start *start)
{
  g_ptr_array_unref (start->specs);
  g_clear_pointer (&start->states, g_hash_table_unref);
  g_free (start);
}

static void
export_vms (VmgrReconciler *self, Start *start)
{
  for (guint i = 0; i < start->specs->len; i++)
    {
      const VmgrVmSpec *spec = g_ptr_array_index (start->specs, i);
      gboolean here = is_on (self, spec, self->context->backend);
      VmgrBackendDomainState *known = here ? g_hash_table_lookup (start->states, spec->uuid)
                                           : NULL;
      g_autoptr(VmgrVm) vm = vmgr_vm_new (self->context, spec,
                                          !here ? VMGR_VM_STATE_UNKNOWN
                                          : known != NULL ? known->state : VMGR_VM_STATE_STOPPED,
                                          !here ? "hypervisor-unavailable"
                                          : known != NULL ? known->reason : "defined");

      vmgr_registry_add_vm (self->registry, vm);
    }
}

static gboolean
export_customers (VmgrReconciler *self, GError **error)
{
  g_autoptr(GPtrArray) infos = vmgr_store_list_customers (self->context->store, error);

  if (infos == NULL)
    return FALSE;
  for (guint i = 0; i < infos->len; i++)
    {
      g_autoptr(VmgrCustomer) customer = vmgr_customer_new (self->context,
                                                            g_ptr_array_index (infos, i));

      vmgr_registry_add_customer (self->registry, customer);
    }
  return TRUE;
}

static void
report_unknown_domains (VmgrReconciler *self, GHashTable *states)
{
  GHashTableIter iter;
  const char *uuid;
  VmgrBackendDomainState *state;

  g_hash_table_iter_init (&iter, states);
  while (g_hash_table_iter_next (&iter, (gpointer *) &uuid, (gpointer *) &state))
    if (vmgr_registry_find_vm_by_uuid (self->registry, uuid) == NULL)
      g_message ("libvirt domain '%s' (%s) is not managed by vmgr: left alone",
                 state->name, uuid);
}

static void
autostart_all (VmgrReconciler *self)
{
  g_autoptr(GPtrArray) vms = vmgr_registry_list_vms (self->registry);

  for (guint i = 0; i < vms->len; i++)
    {
      VmgrVm *vm = g_ptr_array_index (vms, i);

      if (vmgr_vm_get_spec (vm)->autostart && vmgr_vm_get_state (vm) == VMGR_VM_STATE_STOPPED)
        vmgr_vm_autostart (vm);
    }
}

static void
on_missing_defined (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  VmgrReconciler *self = g_task_get_source_object (task);
  Start *start = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  export_vms (self, start);
  if (!export_customers (self, &error))
    g_warning ("cannot load the customers: %s", error->message);
  report_unknown_domains (self, start->states);
  autostart_all (self);
  reconcile_added_hosts (self);
  g_task_return_boolean (task, TRUE);
}

/* Completes @done once every stored VM libvirt lacks is defined again. */
static void
define_missing (VmgrReconciler *self, Start *start, GTask *done)
{
  guint *pending = g_new0 (guint, 1);

  *pending = 1;
  g_task_set_task_data (done, pending, g_free);
  for (guint i = 0; i < start->specs->len; i++)
    {
      const VmgrVmSpec *spec = g_ptr_array_index (start->specs, i);

      if (is_on (self, spec, self->context->backend) &&
          !g_hash_table_contains (start->states, spec->uuid))
        define_again (self, spec, done);
    }
  if (--*pending == 0)
    g_task_return_boolean (done, TRUE);
}

static void
on_states_listed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  VmgrReconciler *self = g_task_get_source_object (task);
  Start *start = g_task_get_task_data (task);
  g_autoptr(GTask) defined = NULL;
  GError *error = NULL;

  start->states = vmgr_backend_list_states_finish (VMGR_BACKEND (source), result, &error);
  if (start->states == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  defined = g_task_new (self, NULL, on_missing_defined, g_object_ref (task));
  define_missing (self, start, defined);
}

/* The filesystem holding the state directory: what disk limits count against. */
static guint64
state_filesystem_size (const char *path)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GFileInfo) info = g_file_query_filesystem_info (file, G_FILE_ATTRIBUTE_FILESYSTEM_SIZE,
                                                            NULL, NULL);

  return info != NULL ? g_file_info_get_attribute_uint64 (info, G_FILE_ATTRIBUTE_FILESYSTEM_SIZE)
                      : 0;
}

static void
set_capacity (VmgrReconciler *self, const VmgrHostInfo *host)
{
  const VmgrConfig *config = self->context->config;
  VmgrCapacity capacity = vmgr_capacity_compute (host->cpus, host->memory_total,
                                                 state_filesystem_size (config->state_dir),
                                                 config->cpu_overcommit_pct,
                                                 config->memory_overcommit_pct,
                                                 config->disk_overcommit_pct);

  vmgr_ledger_set_capacity (self->context->ledger, &capacity);
  g_message ("host: %u CPUs, %" G_GUINT64_FORMAT " MiB; VMs may have %" G_GUINT64_FORMAT
             " vcpus and %" G_GUINT64_FORMAT " MiB", host->cpus, host->memory_total >> 20,
             capacity.vcpus, capacity.memory >> 20);
}

static void
on_host_info (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  g_autoptr(VmgrHostInfo) host = vmgr_backend_get_host_info_finish (VMGR_BACKEND (source),
                                                                     result, &error);

  if (host == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  set_capacity (g_task_get_source_object (task), host);
  vmgr_backend_list_states_async (VMGR_BACKEND (source), NULL, on_states_listed,
                                  g_steal_pointer (&task));
}

void
vmgr_reconciler_start_async (VmgrReconciler *self, GAsyncReadyCallback callback,
                             gpointer user_data)
{
  g_autoptr(GTask) task = g_task_new (self, NULL, callback, user_data);
  Start *start = g_new0 (Start, 1);
  GError *error = NULL;

  g_task_set_task_data (task, start, (GDestroyNotify) start_free);
  start->specs = vmgr_store_list_vms (self->context->store, &error);
  if (start->specs == NULL)
    {
      start->specs = g_ptr_array_new ();
      g_task_return_error (task, error);
      return;
    }
  vmgr_backend_get_host_info_async (self->context->backend, NULL, on_host_info,
                                    g_steal_pointer (&task));
}

gboolean
vmgr_reconciler_start_finish (VmgrReconciler *self, GAsyncResult *result, GError **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- Object ------------------------------------------------------------ */

static void
vmgr_reconciler_dispose (GObject *object)
{
  VmgrReconciler *self = VMGR_RECONCILER (object);

  if (self->context != NULL)
    {
      g_autoptr(GPtrArray) hosts = vmgr_registry_list_hosts (self->registry);

      g_signal_handlers_disconnect_by_data (self->context->backend, self);
      for (guint i = 0; i < hosts->len; i++)
        unwatch_host (self->registry, g_ptr_array_index (hosts, i), self);
      g_signal_handlers_disconnect_by_data (self->registry, self);
    }
  self->context = NULL;
  g_clear_object (&self->registry);
  G_OBJECT_CLASS (vmgr_reconciler_parent_class)->dispose (object);
}

static void
vmgr_reconciler_class_init (VmgrReconcilerClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = vmgr_reconciler_dispose;
}

static void
vmgr_reconciler_init (VmgrReconciler *self)
{
}

VmgrReconciler *
vmgr_reconciler_new (const VmgrContext *context, VmgrRegistry *registry)
{
  VmgrReconciler *self = g_object_new (VMGR_TYPE_RECONCILER, NULL);

  self->context = context;
  self->registry = g_object_ref (registry);
  g_signal_connect (context->backend, "domain-state-changed",
                    G_CALLBACK (on_domain_state_changed), self);
  g_signal_connect (context->backend, "connection-lost", G_CALLBACK (on_connection_lost), self);
  g_signal_connect (context->backend, "connection-restored",
                    G_CALLBACK (on_connection_restored), self);
  {
    g_autoptr(GPtrArray) hosts = vmgr_registry_list_hosts (registry);

    for (guint i = 0; i < hosts->len; i++)
      watch_host (registry, g_ptr_array_index (hosts, i), self);
  }
  g_signal_connect (registry, "host-added", G_CALLBACK (watch_host), self);
  g_signal_connect (registry, "host-removed", G_CALLBACK (unwatch_host), self);
  return self;
}
