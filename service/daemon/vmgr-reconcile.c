#include "vmgr-reconcile.h"

/* At start vmgrd defines again, in libvirt, the stored VMs it lacks, and
 * waits for them before it publishes its VMs and takes its name, unless
 * there are more than START_DEFINE_WAIT_ALL: the test driver, whose
 * domains live in vmgrd's process, lacks all of them at every start, and
 * 10,000 definitions take seconds of CPU. Then the VMs are published first,
 * those missing as unknown ("defining"), and defined after, a batch of
 * DEFINE_BATCH per main-loop iteration (each reads the stored definition),
 * each settling as its definition comes back. A real libvirtd keeps its
 * domains. */
#define START_DEFINE_WAIT_ALL 256
#define DEFINE_BATCH 64

struct _VmgrReconciler {
  GObject parent_instance;
  const VmgrContext *context;
  VmgrRegistry *registry;
  GHashTable *defining;     /* ids of VMs defined again since start, not yet back */
  GTask *start;             /* the start, until its VMs are published */
  GArray *to_define;        /* ids (guint32) of VMs published before defined again */
  guint next_to_define;
  guint define_batch_id;
};

G_DEFINE_FINAL_TYPE (VmgrReconciler, vmgr_reconciler, G_TYPE_OBJECT)

/* ---- Defining again what libvirt lacks --------------------------------- */

typedef struct {
  VmgrReconciler *reconciler;
  guint32 id;
  char *name;
  gboolean at_start;        /* counted in the reconciler's defining */
} Redefinition;

static void publish_vms (VmgrReconciler *self);

/* A VM defined again since start is back in libvirt: before the VMs are
 * published, the start may go on once none is left; after, the VM
 * settles (and starts, with autostart). */
static void
redefined_at_start (VmgrReconciler *self, guint32 id)
{
  VmgrVm *vm;

  if (!g_hash_table_remove (self->defining, GUINT_TO_POINTER (id)))
    return;
  if (self->start != NULL)
    {
      if (g_hash_table_size (self->defining) == 0)
        publish_vms (self);
      return;
    }
  vm = self->registry != NULL ? vmgr_registry_find_vm (self->registry, id) : NULL;
  if (vm == NULL)
    return;
  vmgr_vm_set_defining (vm, FALSE);
  if (vmgr_vm_get_spec (vm)->autostart)
    vmgr_vm_autostart (vm);
  if (g_hash_table_size (self->defining) == 0)
    g_message ("every VM missing from libvirt at start is defined again");
}

static void
on_redefined (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Redefinition *redefinition = user_data;
  g_autoptr(GError) error = NULL;

  if (!vmgr_backend_define_finish (VMGR_BACKEND (source), result, &error))
    g_warning ("VM %u (%s) could not be defined again in libvirt: %s", redefinition->id,
               redefinition->name, error->message);
  if (redefinition->at_start)
    redefined_at_start (redefinition->reconciler, redefinition->id);
  g_object_unref (redefinition->reconciler);
  g_free (redefinition->name);
  g_free (redefinition);
}

/* Defines @spec again from the definition vmgr stored for it. Returns
 * whether a definition was started. */
static gboolean
define_again (VmgrReconciler *self, const VmgrVmSpec *spec, gboolean at_start)
{
  g_autofree char *xml = vmgr_store_get_vm_domain_xml (self->context->store, spec->id, NULL);
  Redefinition *redefinition;

  if (xml == NULL || *xml == '\0')
    return FALSE;
  /* At start, one line says how many (the test driver lacks all of them). */
  if (at_start)
    g_debug ("VM %u (%s) is missing from libvirt: defining it again", spec->id, spec->name);
  else
    g_message ("VM %u (%s) is missing from libvirt: defining it again", spec->id, spec->name);
  redefinition = g_new0 (Redefinition, 1);
  redefinition->reconciler = g_object_ref (self);
  redefinition->id = spec->id;
  redefinition->name = g_strdup (spec->name);
  redefinition->at_start = at_start;
  if (at_start)
    g_hash_table_add (self->defining, GUINT_TO_POINTER (spec->id));
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
      define_again (self, spec, FALSE);
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
      gboolean defining = g_hash_table_contains (self->defining, GUINT_TO_POINTER (spec->id));
      VmgrBackendDomainState *known = here ? g_hash_table_lookup (start->states, spec->uuid)
                                           : NULL;
      g_autoptr(VmgrVm) vm = NULL;

      if (!here)
        vm = vmgr_vm_new (self->context, spec, VMGR_VM_STATE_UNKNOWN, "hypervisor-unavailable");
      else if (defining)
        vm = vmgr_vm_new (self->context, spec, VMGR_VM_STATE_UNKNOWN, "defining");
      else if (known != NULL)
        vm = vmgr_vm_new (self->context, spec, known->state, known->reason);
      else
        vm = vmgr_vm_new (self->context, spec, VMGR_VM_STATE_STOPPED, "defined");
      if (defining)
        vmgr_vm_set_defining (vm, TRUE);
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

/* Publishes the stored VMs (those still being defined again as unknown)
 * and customers, and ends the start. */
static void
publish_vms (VmgrReconciler *self)
{
  g_autoptr(GTask) task = g_steal_pointer (&self->start);
  Start *start = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  guint waiting = g_hash_table_size (self->defining);

  export_vms (self, start);
  if (!export_customers (self, &error))
    g_warning ("cannot load the customers: %s", error->message);
  report_unknown_domains (self, start->states);
  autostart_all (self);
  reconcile_added_hosts (self);
  if (waiting > 0)
    g_message ("%u VMs published as unknown (\"defining\") until libvirt has them again",
               waiting);
  g_task_return_boolean (task, TRUE);
}

static gboolean
define_next_batch (gpointer user_data)
{
  VmgrReconciler *self = user_data;

  for (guint n = 0; n < DEFINE_BATCH && self->next_to_define < self->to_define->len; n++)
    {
      guint32 id = g_array_index (self->to_define, guint32, self->next_to_define++);
      VmgrVm *vm = vmgr_registry_find_vm (self->registry, id);

      if (vm == NULL || !define_again (self, vmgr_vm_get_spec (vm), TRUE))
        redefined_at_start (self, id);
    }
  if (self->next_to_define < self->to_define->len)
    return G_SOURCE_CONTINUE;
  self->define_batch_id = 0;
  g_clear_pointer (&self->to_define, g_array_unref);
  return G_SOURCE_REMOVE;
}

static void
on_states_listed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  VmgrReconciler *self = g_task_get_source_object (task);
  Start *start = g_task_get_task_data (task);
  g_autoptr(GPtrArray) missing = NULL;  /* const VmgrVmSpec*, start->specs' */
  GError *error = NULL;

  start->states = vmgr_backend_list_states_finish (VMGR_BACKEND (source), result, &error);
  if (start->states == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  self->start = g_steal_pointer (&task);
  missing = g_ptr_array_new ();
  for (guint i = 0; i < start->specs->len; i++)
    {
      const VmgrVmSpec *spec = g_ptr_array_index (start->specs, i);

      if (is_on (self, spec, self->context->backend) &&
          !g_hash_table_contains (start->states, spec->uuid))
        g_ptr_array_add (missing, (gpointer) spec);
    }
  if (missing->len == 0)
    {
      publish_vms (self);
      return;
    }
  g_message ("%u stored VMs are missing from libvirt: defining them again", missing->len);
  if (missing->len <= START_DEFINE_WAIT_ALL)
    {
      for (guint i = 0; i < missing->len; i++)
        define_again (self, g_ptr_array_index (missing, i), TRUE);
      /* None had a stored definition to define again. */
      if (g_hash_table_size (self->defining) == 0)
        publish_vms (self);
      return;
    }
  self->to_define = g_array_sized_new (FALSE, FALSE, sizeof (guint32), missing->len);
  for (guint i = 0; i < missing->len; i++)
    {
      const VmgrVmSpec *spec = g_ptr_array_index (missing, i);

      g_array_append_val (self->to_define, spec->id);
      g_hash_table_add (self->defining, GUINT_TO_POINTER (spec->id));
    }
  publish_vms (self);
  self->define_batch_id = g_idle_add_full (G_PRIORITY_DEFAULT, define_next_batch, self, NULL);
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
  g_clear_handle_id (&self->define_batch_id, g_source_remove);
  g_clear_pointer (&self->to_define, g_array_unref);
  g_clear_object (&self->registry);
  G_OBJECT_CLASS (vmgr_reconciler_parent_class)->dispose (object);
}

static void
vmgr_reconciler_finalize (GObject *object)
{
  g_hash_table_unref (VMGR_RECONCILER (object)->defining);
  G_OBJECT_CLASS (vmgr_reconciler_parent_class)->finalize (object);
}

static void
vmgr_reconciler_class_init (VmgrReconcilerClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = vmgr_reconciler_dispose;
  G_OBJECT_CLASS (klass)->finalize = vmgr_reconciler_finalize;
}

static void
vmgr_reconciler_init (VmgrReconciler *self)
{
  self->defining = g_hash_table_new (NULL, NULL);
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
