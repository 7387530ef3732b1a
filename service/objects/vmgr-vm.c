#include "vmgr-vm-private.h"

#include <gio/gunixfdlist.h>
#include <unistd.h>

#include "vmgr-error.h"
#include "vmgr-names.h"
#include "vmgr-peers.h"
#include "vmgr-usage.h"
#include "vmgr-validate.h"


static void vmgr_vm_iface_init (VmgrDBusVMIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (VmgrVm, vmgr_vm, VMGR_DBUS_TYPE_VM_SKELETON,
                               G_IMPLEMENT_INTERFACE (VMGR_DBUS_TYPE_VM, vmgr_vm_iface_init))

enum {
  SIGNAL_CHANGED,
  SIGNAL_DELETED,
  SIGNAL_SNAPSHOT_ADDED,
  SIGNAL_SNAPSHOT_REMOVED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

void
vmgr_vm_emit_changed (VmgrVm *self, guint32 old_owner)
{
  g_signal_emit (self, signals[SIGNAL_CHANGED], 0, old_owner);
}

void
vmgr_vm_emit_deleted (VmgrVm *self)
{
  g_signal_emit (self, signals[SIGNAL_DELETED], 0);
}

void
vmgr_vm_emit_snapshot_added (VmgrVm *self, VmgrSnapshot *snapshot)
{
  g_signal_emit (self, signals[SIGNAL_SNAPSHOT_ADDED], 0, snapshot);
}

void
vmgr_vm_emit_snapshot_removed (VmgrVm *self, VmgrSnapshot *snapshot)
{
  g_signal_emit (self, signals[SIGNAL_SNAPSHOT_REMOVED], 0, snapshot);
}

#define STATE_BIT(s) (1u << (s))

const VmgrVmSpec *
vmgr_vm_get_spec (VmgrVm *self)
{
  return self->spec;
}

char *
vmgr_vm_dup_path (VmgrVm *self)
{
  return vmgr_vm_path (self->spec->id);
}

VmgrVmState
vmgr_vm_get_state (VmgrVm *self)
{
  return self->state;
}

void
vmgr_vm_sync_properties (VmgrVm *self)
{
  VmgrDBusVM *vm = VMGR_DBUS_VM (self);
  const VmgrVmSpec *spec = self->spec;
  g_autofree char *owner_name = vmgr_user_name_for_uid (spec->owner);

  vmgr_dbus_vm_set_id (vm, spec->id);
  vmgr_dbus_vm_set_name (vm, spec->name);
  vmgr_dbus_vm_set_uuid (vm, spec->uuid);
  vmgr_dbus_vm_set_owner (vm, spec->owner);
  vmgr_dbus_vm_set_owner_name (vm, owner_name);
  vmgr_dbus_vm_set_template (vm, spec->template_name);
  vmgr_dbus_vm_set_plan (vm, spec->plan);
  vmgr_dbus_vm_set_host (vm, spec->host != NULL && *spec->host != '\0'
                               ? spec->host : self->context->config->host_name);
  vmgr_dbus_vm_set_autostart (vm, spec->autostart);
  vmgr_dbus_vm_set_vcpus (vm, spec->vcpus);
  vmgr_dbus_vm_set_cpu_weight (vm, spec->cpu_weight);
  vmgr_dbus_vm_set_cpu_limit (vm, spec->cpu_limit);
  vmgr_dbus_vm_set_memory_guarantee (vm, spec->memory_guarantee);
  vmgr_dbus_vm_set_memory_soft_limit (vm, spec->memory_soft_limit);
  vmgr_dbus_vm_set_memory_limit (vm, spec->memory_limit);
  vmgr_dbus_vm_set_disk_soft_limit (vm, spec->disk_soft_limit);
  vmgr_dbus_vm_set_disk_hard_limit (vm, spec->disk_hard_limit);
  vmgr_dbus_vm_set_hostname (vm, spec->hostname);
  vmgr_dbus_vm_set_addresses (vm, (const char * const *) spec->addresses);
  vmgr_dbus_vm_set_gateway (vm, spec->gateway);
  vmgr_dbus_vm_set_nameservers (vm, (const char * const *) spec->nameservers);
}

static void
set_state (VmgrVm *self, VmgrVmState state, const char *reason)
{
  const char *name = vmgr_vm_state_to_string (state);

  if (self->state == state &&
      g_strcmp0 (vmgr_dbus_vm_get_state_reason (VMGR_DBUS_VM (self)), reason) == 0)
    return;
  g_debug ("VM %u (%s): %s (%s)", self->spec->id, self->spec->name, name, reason);
  self->state = state;
  vmgr_dbus_vm_set_state (VMGR_DBUS_VM (self), name);
  vmgr_dbus_vm_set_state_reason (VMGR_DBUS_VM (self), reason);
  vmgr_dbus_vm_emit_state_changed (VMGR_DBUS_VM (self), name, reason);
  /* PropertiesChanged now, not from the skeleton's next idle: a state
   * change reaches clients one main-loop turn sooner. */
  g_dbus_interface_skeleton_flush (G_DBUS_INTERFACE_SKELETON (self));
}

gboolean
vmgr_vm_stop_requested (VmgrVm *self)
{
  return self->stop_requested || self->deleting;
}

gboolean
vmgr_vm_is_up (VmgrVmState state)
{
  return state == VMGR_VM_STATE_RUNNING || state == VMGR_VM_STATE_PAUSED ||
         state == VMGR_VM_STATE_STOPPING;
}

void
vmgr_vm_apply_state (VmgrVm *self, VmgrVmState state, const char *reason)
{
  /* Until its files exist the VM is vmgr's alone: libvirt knows nothing of
   * it (vmgr_vm_provisioned ends this). */
  if (self->state == VMGR_VM_STATE_PROVISIONING)
    return;
  /* A migration stops and starts the guest on two hosts: what it ends in
   * is said once, "migrated" (or as it was, when it failed). A definition
   * again ends with vmgr_vm_set_defining, not with libvirt's event of it. */
  if (self->held_by != VMGR_VM_HELD_BY_NOTHING)
    return;
  if (state == VMGR_VM_STATE_STOPPED || state == VMGR_VM_STATE_CRASHED)
    g_clear_handle_id (&self->force_off_id, g_source_remove);
  /* Drivers differ in what they call a start from a saved state (the test
   * driver says "booted"); vmgr says what it did, whether libvirt's event
   * comes before the Start returns or after. */
  if (state == VMGR_VM_STATE_RUNNING && self->restoring)
    reason = "restored";
  else if (state != VMGR_VM_STATE_RUNNING)
    self->restoring = FALSE;
  if (vmgr_vm_is_up (state) && !vmgr_vm_is_up (self->state))
    self->running_since = g_get_monotonic_time ();
  else if (!vmgr_vm_is_up (state))
    {
      self->running_since = 0;
      g_clear_pointer (&self->last_sample, g_free);
    }
  set_state (self, state, reason != NULL ? reason : "unknown");
  if (!vmgr_vm_is_up (state))
    {
      self->stop_requested = FALSE;
      vmgr_vm_clear_pending_changes (self);
    }
}

void
vmgr_vm_provisioned (VmgrVm *self)
{
  vmgr_dbus_vm_set_job (VMGR_DBUS_VM (self), "/");
  set_state (self, VMGR_VM_STATE_STOPPED, "provisioned");
}

void
vmgr_vm_set_job (VmgrVm *self, const char *job_path)
{
  vmgr_dbus_vm_set_job (VMGR_DBUS_VM (self), job_path);
}

GVariant *
vmgr_vm_apply_sample (VmgrVm *self, const VmgrDomainStats *stats)
{
  GVariant *usage = g_variant_ref_sink (vmgr_usage_to_variant (self->last_sample, stats,
                                                               self->running_since));
  VmgrUsagePoint point;

  if (vmgr_usage_crossed_soft_limit (self->last_sample, stats, self->spec->disk_soft_limit))
    {
      g_message ("VM %u (%s) uses %" G_GUINT64_FORMAT " bytes of disk, over its soft limit",
                 self->spec->id, self->spec->name, stats->disk_used);
      vmgr_dbus_vm_emit_disk_soft_limit_exceeded (VMGR_DBUS_VM (self), stats->disk_used,
                                                  self->spec->disk_soft_limit);
    }
  point = vmgr_usage_point_from_stats (self->last_sample, stats);
  vmgr_usage_history_add (vmgr_vm_usage_history (self), &point);
  g_free (self->last_sample);
  self->last_sample = g_memdup2 (stats, sizeof *stats);
  vmgr_dbus_vm_set_usage (VMGR_DBUS_VM (self), usage);
  return usage;
}

gboolean
vmgr_vm_return_invalid_input (VmgrVm *self, GDBusMethodInvocation *invocation, GError *error)
{
  vmgr_auth_return_invalid_input (self->context->auth, invocation, self->spec,
                                  NULL, error);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

/* ---- Lifecycle --------------------------------------------------------- */

typedef struct {
  const char *verb;
  VmgrBackendOp op;
  guint from;               /* STATE_BIT()s the VM may be in */
  const char *from_text;    /* for the error message */
  const char *done_text;    /* "only a stopped VM can be started" */
} Transition;

static const Transition transitions[] = {
  { "Start", VMGR_BACKEND_OP_START,
    STATE_BIT (VMGR_VM_STATE_STOPPED) | STATE_BIT (VMGR_VM_STATE_CRASHED) |
    STATE_BIT (VMGR_VM_STATE_SUSPENDED), "stopped or saved", "started" },
  { "Shutdown", VMGR_BACKEND_OP_SHUTDOWN, STATE_BIT (VMGR_VM_STATE_RUNNING), "running",
    "shut down" },
  { "Stop", VMGR_BACKEND_OP_DESTROY,
    STATE_BIT (VMGR_VM_STATE_RUNNING) | STATE_BIT (VMGR_VM_STATE_PAUSED) |
    STATE_BIT (VMGR_VM_STATE_STOPPING) | STATE_BIT (VMGR_VM_STATE_STARTING) |
    STATE_BIT (VMGR_VM_STATE_CRASHED) | STATE_BIT (VMGR_VM_STATE_SUSPENDED),
    "running, paused or stopping", "forced off" },
  { "Restart", VMGR_BACKEND_OP_REBOOT, STATE_BIT (VMGR_VM_STATE_RUNNING), "running",
    "restarted" },
  { "Suspend", VMGR_BACKEND_OP_SUSPEND, STATE_BIT (VMGR_VM_STATE_RUNNING), "running",
    "suspended" },
  { "Resume", VMGR_BACKEND_OP_RESUME, STATE_BIT (VMGR_VM_STATE_PAUSED), "paused", "resumed" },
  { "Save", VMGR_BACKEND_OP_SAVE,
    STATE_BIT (VMGR_VM_STATE_RUNNING) | STATE_BIT (VMGR_VM_STATE_PAUSED), "running or paused",
    "saved" },
};

static const Transition *
transition_for (const char *verb)
{
  for (guint i = 0; i < G_N_ELEMENTS (transitions); i++)
    if (strcmp (transitions[i].verb, verb) == 0)
      return &transitions[i];
  g_assert_not_reached ();
}

static gboolean
is_stop (const Transition *transition)
{
  return transition->op == VMGR_BACKEND_OP_SHUTDOWN || transition->op == VMGR_BACKEND_OP_DESTROY;
}

/* A lifecycle call on its way from the handler to the reply. */
typedef struct {
  VmgrVm *vm;
  GDBusMethodInvocation *invocation;   /* NULL for the daemon's own starts */
  VmgrGrant *grant;
  const Transition *transition;
  guint timeout_s;
} Lifecycle;

static void
lifecycle_free (Lifecycle *call)
{
  g_object_unref (call->vm);
  g_clear_object (&call->invocation);
  vmgr_grant_free (call->grant);
  g_free (call);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Lifecycle, lifecycle_free)

static Lifecycle *
lifecycle_new (VmgrVm *self, const char *verb, guint timeout_s)
{
  Lifecycle *call = g_new0 (Lifecycle, 1);

  call->vm = g_object_ref (self);
  call->transition = transition_for (verb);
  call->timeout_s = timeout_s;
  return call;
}

static gboolean
check_transition (VmgrVm *self, const Transition *transition, GError **error)
{
  if (!vmgr_vm_check_not_deleted (self, error) || !vmgr_vm_check_not_held (self, error))
    return FALSE;
  if ((transition->from & STATE_BIT (self->state)) != 0)
    return TRUE;
  /* Unknown because its host is away: that is the reason to give. */
  if (self->state == VMGR_VM_STATE_UNKNOWN &&
      !vmgr_backend_check_connected (vmgr_context_backend_for (self->context, self->spec), error))
    return FALSE;
  /* The caller knows what it asked for: the message says why not, once. */
  g_set_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_STATE,
               "VM '%s' is %s, and only a %s VM can be %s", self->spec->name,
               vmgr_vm_state_to_string (self->state), transition->from_text,
               transition->done_text);
  return FALSE;
}

static void
finish_call (Lifecycle *call, const GError *error)
{
  VmgrAuth *auth = call->vm->context->auth;

  if (call->grant != NULL)
    vmgr_grant_audit (auth, call->grant, error);
  else if (error != NULL)
    g_warning ("VM %u (%s): %s failed: %s", call->vm->spec->id, call->vm->spec->name,
               call->transition->verb, error->message);
  if (call->invocation == NULL)
    return;
  if (error != NULL)
    g_dbus_method_invocation_return_gerror (call->invocation, error);
  else
    g_dbus_method_invocation_return_value (call->invocation, NULL);
}

static void
on_forced_off (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(VmgrVm) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!vmgr_backend_op_finish (VMGR_BACKEND (source), result, &error) &&
      !g_error_matches (error, VMGR_ERROR, VMGR_ERROR_INVALID_STATE))
    g_warning ("VM %u (%s): forcing off after the shutdown timeout failed: %s",
               self->spec->id, self->spec->name, error->message);
}

static gboolean
on_shutdown_timeout (gpointer user_data)
{
  VmgrVm *self = user_data;

  self->force_off_id = 0;
  if (self->state == VMGR_VM_STATE_STOPPED || self->deleting)
    return G_SOURCE_REMOVE;
  g_message ("VM %u (%s) did not shut down in time: forcing it off", self->spec->id,
             self->spec->name);
  vmgr_backend_op_async (vmgr_context_backend_for (self->context, self->spec), self->spec->uuid,
                         VMGR_BACKEND_OP_DESTROY, NULL, on_forced_off, g_object_ref (self));
  return G_SOURCE_REMOVE;
}

static void
after_accepted (Lifecycle *call)
{
  VmgrVm *self = call->vm;

  switch (call->transition->op)
    {
    case VMGR_BACKEND_OP_SHUTDOWN:
      /* The guest may already be down (the event can come first). */
      if (self->state == VMGR_VM_STATE_RUNNING)
        set_state (self, VMGR_VM_STATE_STOPPING, "user");
      g_clear_handle_id (&self->force_off_id, g_source_remove);
      if (self->state == VMGR_VM_STATE_STOPPING)
        self->force_off_id = g_timeout_add_seconds (call->timeout_s, on_shutdown_timeout, self);
      break;
    case VMGR_BACKEND_OP_REBOOT:
      /* libvirt has no lifecycle event for a reboot: announce it here, in
       * the StateReason property as in the signal. */
      set_state (self, VMGR_VM_STATE_RUNNING, "restarted");
      break;
    case VMGR_BACKEND_OP_SAVE:
      vmgr_vm_apply_state (self, VMGR_VM_STATE_SUSPENDED, "saved");
      break;
    case VMGR_BACKEND_OP_START:
      if (self->restoring)
        vmgr_vm_apply_state (self, VMGR_VM_STATE_RUNNING, "restored");
      break;
    case VMGR_BACKEND_OP_DESTROY:
      /* Nor for a saved state thrown away. */
      if (self->state == VMGR_VM_STATE_SUSPENDED)
        vmgr_vm_apply_state (self, VMGR_VM_STATE_STOPPED, "saved-state-discarded");
      break;
    default:
      break;
    }
}

static void
on_op_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(Lifecycle) call = user_data;
  g_autoptr(GError) error = NULL;

  if (vmgr_backend_op_finish (VMGR_BACKEND (source), result, &error))
    after_accepted (call);
  else if (is_stop (call->transition))
    call->vm->stop_requested = FALSE;
  else
    call->vm->restoring = FALSE;
  finish_call (call, error);
}

/* A suspended customer cannot start VMs (an administrator still can). */
static gboolean
check_owner_not_suspended (Lifecycle *call, GError **error)
{
  VmgrVm *self = call->vm;
  const VmgrCustomerInfo *customer;

  if (call->grant == NULL || call->transition->op != VMGR_BACKEND_OP_START ||
      call->grant->caller.uid != self->spec->owner)
    return TRUE;
  customer = vmgr_ledger_get_customer (self->context->ledger, self->spec->owner);
  if (customer == NULL || !customer->suspended)
    return TRUE;
  g_set_error (error, VMGR_ERROR, VMGR_ERROR_NOT_AUTHORIZED,
               "your customer account is suspended (%s)",
               customer->suspend_reason);
  return FALSE;
}

static gboolean
check_backend_saves (Lifecycle *call, GError **error)
{
  VmgrBackend *backend = vmgr_context_backend_for (call->vm->context, call->vm->spec);

  if (call->transition->op != VMGR_BACKEND_OP_SAVE || vmgr_backend_has_capability (backend, "save"))
    return TRUE;
  g_set_error (error, VMGR_ERROR, VMGR_ERROR_NOT_SUPPORTED,
               "the %s backend cannot save a VM's state", vmgr_backend_get_scheme (backend));
  return FALSE;
}

static gboolean
check_files_not_held (Lifecycle *call, GError **error)
{
  VmgrBackendOp op = call->transition->op;

  return (op != VMGR_BACKEND_OP_START && op != VMGR_BACKEND_OP_RESUME &&
          op != VMGR_BACKEND_OP_REBOOT) || vmgr_vm_check_files_not_held (call->vm, error);
}

static gboolean
is_saved (VmgrVm *self)
{
  return self->state == VMGR_VM_STATE_SUSPENDED &&
         g_strcmp0 (vmgr_dbus_vm_get_state_reason (VMGR_DBUS_VM (self)), "saved") == 0;
}

static void
run_transition (Lifecycle *call)
{
  g_autoptr(GError) error = NULL;

  if (!check_transition (call->vm, call->transition, &error) ||
      !check_owner_not_suspended (call, &error) ||
      !check_backend_saves (call, &error) ||
      !check_files_not_held (call, &error))
    {
      finish_call (call, error);
      lifecycle_free (call);
      return;
    }
  if (is_stop (call->transition))
    call->vm->stop_requested = TRUE;
  if (call->transition->op == VMGR_BACKEND_OP_START)
    call->vm->restoring = is_saved (call->vm);
  vmgr_backend_op_async (vmgr_context_backend_for (call->vm->context, call->vm->spec), call->vm->spec->uuid,
                         call->transition->op, NULL, on_op_done, call);
}

static void
on_lifecycle_allowed (GDBusMethodInvocation *invocation, VmgrGrant *grant, gpointer user_data)
{
  Lifecycle *call = user_data;

  call->invocation = g_object_ref (invocation);
  call->grant = grant;
  run_transition (call);
}

static gboolean
authorize_lifecycle (VmgrVm *self, GDBusMethodInvocation *invocation, guint timeout_s)
{
  const char *verb = g_dbus_method_invocation_get_method_name (invocation);
  Lifecycle *call = lifecycle_new (self, verb, timeout_s);

  vmgr_auth_authorize (self->context->auth, invocation, self->spec, NULL,
                       on_lifecycle_allowed, call, (GDestroyNotify) lifecycle_free);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
handle_start (VmgrDBusVM *object, GDBusMethodInvocation *invocation)
{
  return authorize_lifecycle (VMGR_VM (object), invocation, 0);
}

static gboolean
handle_shutdown (VmgrDBusVM *object, GDBusMethodInvocation *invocation, guint timeout_s)
{
  VmgrVm *self = VMGR_VM (object);
  const VmgrConfig *config = self->context->config;

  if (timeout_s > 24 * 3600)
    return vmgr_vm_return_invalid_input (self, invocation,
                                 g_error_new (VMGR_ERROR, VMGR_ERROR_INVALID_ARGUMENT,
                                              "timeout_s %u is too long (at most 86400 s)",
                                              timeout_s));
  return authorize_lifecycle (self, invocation,
                              timeout_s != 0 ? timeout_s : config->shutdown_timeout_s);
}

static gboolean
handle_stop (VmgrDBusVM *object, GDBusMethodInvocation *invocation)
{
  return authorize_lifecycle (VMGR_VM (object), invocation, 0);
}

static gboolean
handle_restart (VmgrDBusVM *object, GDBusMethodInvocation *invocation)
{
  return authorize_lifecycle (VMGR_VM (object), invocation, 0);
}

static gboolean
handle_suspend (VmgrDBusVM *object, GDBusMethodInvocation *invocation)
{
  return authorize_lifecycle (VMGR_VM (object), invocation, 0);
}

static gboolean
handle_resume (VmgrDBusVM *object, GDBusMethodInvocation *invocation)
{
  return authorize_lifecycle (VMGR_VM (object), invocation, 0);
}

static gboolean
handle_save (VmgrDBusVM *object, GDBusMethodInvocation *invocation)
{
  return authorize_lifecycle (VMGR_VM (object), invocation, 0);
}

void
vmgr_vm_set_defining (VmgrVm *self, gboolean defining)
{
  if (!defining)
    {
      self->held_by = VMGR_VM_HELD_BY_NOTHING;
      vmgr_vm_apply_state (self, VMGR_VM_STATE_STOPPED, "defined");
      vmgr_vm_load_snapshots (self);
      return;
    }
  vmgr_vm_apply_state (self, VMGR_VM_STATE_UNKNOWN, "defining");
  self->held_by = VMGR_VM_HELD_BY_DEFINITION;
}

void
vmgr_vm_autostart (VmgrVm *self)
{
  Lifecycle *call = lifecycle_new (self, "Start", 0);

  g_message ("autostarting VM %u (%s)", self->spec->id, self->spec->name);
  run_transition (call);
}

/* ---- Statistics -------------------------------------------------------- */

/* A backend call answered later: the invocation (returned, with its
 * reference) keeps the VM alive until then, even if it is deleted
 * meanwhile. */
static GDBusMethodInvocation *
hold_vm (GDBusMethodInvocation *invocation, VmgrVm *self)
{
  g_object_set_data_full (G_OBJECT (invocation), "vmgr-vm", g_object_ref (self), g_object_unref);
  return g_object_ref (invocation);
}

static VmgrVm *
held_vm (GDBusMethodInvocation *invocation)
{
  return g_object_get_data (G_OBJECT (invocation), "vmgr-vm");
}

static void
on_fresh_sample (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GDBusMethodInvocation) invocation = user_data;
  VmgrVm *self = held_vm (invocation);
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) samples = vmgr_backend_sample_finish (VMGR_BACKEND (source), result,
                                                              &error);
  const VmgrDomainStats *stats;
  g_autoptr(GVariant) usage = NULL;

  if (samples == NULL)
    {
      g_dbus_method_invocation_return_gerror (invocation, error);
      return;
    }
  stats = g_hash_table_lookup (samples, self->spec->uuid);
  if (stats == NULL)
    {
      g_dbus_method_invocation_return_error (invocation, VMGR_ERROR, VMGR_ERROR_HYPERVISOR,
                                             "libvirt has no domain for VM %u", self->spec->id);
      return;
    }
  usage = vmgr_vm_apply_sample (self, stats);
  g_dbus_method_invocation_return_value (invocation, g_variant_new ("(@a{sv})", usage));
}

static void
on_stats_allowed (GDBusMethodInvocation *invocation, VmgrGrant *grant, gpointer user_data)
{
  g_autoptr(VmgrGrant) owned_grant G_GNUC_UNUSED = grant;
  g_autoptr(VmgrVm) self = user_data;
  const char *uuids[] = { self->spec->uuid, NULL };

  vmgr_backend_sample_async (vmgr_context_backend_for (self->context, self->spec), uuids, NULL,
                             on_fresh_sample, hold_vm (invocation, self));
}

static gboolean
handle_get_stats (VmgrDBusVM *object, GDBusMethodInvocation *invocation)
{
  VmgrVm *self = VMGR_VM (object);

  vmgr_auth_authorize (self->context->auth, invocation, self->spec, NULL,
                       on_stats_allowed, g_object_ref (self), g_object_unref);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

/* ---- Console ----------------------------------------------------------- */

static void
on_console_opened (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GDBusMethodInvocation) invocation = user_data;
  VmgrVm *self = held_vm (invocation);
  g_autoptr(GError) error = NULL;
  int fd = vmgr_backend_open_console_finish (VMGR_BACKEND (source), result, &error);
  g_autoptr(GUnixFDList) fds = NULL;
  int index;

  if (fd < 0)
    {
      g_dbus_method_invocation_return_gerror (invocation, error);
      return;
    }
  fds = g_unix_fd_list_new ();
  index = g_unix_fd_list_append (fds, fd, &error);
  close (fd);
  if (index < 0)
    {
      g_dbus_method_invocation_return_gerror (invocation, error);
      return;
    }
  g_message ("console of VM %u (%s) opened for %s", self->spec->id, self->spec->name,
             g_dbus_method_invocation_get_sender (invocation));
  vmgr_dbus_vm_complete_open_console (VMGR_DBUS_VM (self), invocation, fds,
                                      g_variant_new_handle (index));
}

static void
on_console_allowed (GDBusMethodInvocation *invocation, VmgrGrant *grant, gpointer user_data)
{
  g_autoptr(VmgrGrant) owned_grant G_GNUC_UNUSED = grant;
  g_autoptr(VmgrVm) self = user_data;

  VmgrBackend *backend = vmgr_context_backend_for (self->context, self->spec);

  if (!vmgr_backend_has_capability (backend, "console"))
    {
      g_autoptr(GError) error = g_error_new (VMGR_ERROR, VMGR_ERROR_NOT_SUPPORTED,
                                             "the %s backend has no console",
                                             vmgr_backend_get_scheme (backend));

      vmgr_grant_audit (self->context->auth, grant, error);
      g_dbus_method_invocation_return_gerror (invocation, error);
      return;
    }
  /* Opening a console is audited as allowed; its outcome is the reply. */
  vmgr_grant_audit (self->context->auth, grant, NULL);
  vmgr_backend_open_console_async (vmgr_context_backend_for (self->context, self->spec), self->spec->uuid,
                                   NULL, on_console_opened, hold_vm (invocation, self));
}

static gboolean
handle_open_console (VmgrDBusVM *object, GDBusMethodInvocation *invocation, GUnixFDList *fds)
{
  VmgrVm *self = VMGR_VM (object);

  vmgr_auth_authorize (self->context->auth, invocation, self->spec, NULL,
                       on_console_allowed, g_object_ref (self), g_object_unref);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

/* ---- Object ------------------------------------------------------------ */

static void
vmgr_vm_iface_init (VmgrDBusVMIface *iface)
{
  iface->handle_start = handle_start;
  iface->handle_shutdown = handle_shutdown;
  iface->handle_stop = handle_stop;
  iface->handle_restart = handle_restart;
  iface->handle_suspend = handle_suspend;
  iface->handle_resume = handle_resume;
  iface->handle_save = handle_save;
  iface->handle_delete = vmgr_vm_handle_delete;
  iface->handle_create_snapshot = vmgr_vm_handle_create_snapshot;
  iface->handle_set_memory = vmgr_vm_handle_set_memory;
  iface->handle_set_cpu = vmgr_vm_handle_set_cpu;
  iface->handle_set_disk = vmgr_vm_handle_set_disk;
  iface->handle_set_network = vmgr_vm_handle_set_network;
  iface->handle_set_autostart = vmgr_vm_handle_set_autostart;
  iface->handle_set_owner = vmgr_vm_handle_set_owner;
  iface->handle_open_console = handle_open_console;
  iface->handle_get_stats = handle_get_stats;
  iface->handle_get_usage_history = vmgr_vm_handle_get_usage_history;
}

static void
vmgr_vm_finalize (GObject *object)
{
  VmgrVm *self = VMGR_VM (object);

  g_clear_handle_id (&self->force_off_id, g_source_remove);
  vmgr_vm_spec_free (self->spec);
  g_free (self->last_sample);
  vmgr_usage_history_free (self->history);
  g_hash_table_unref (self->snapshots);
  G_OBJECT_CLASS (vmgr_vm_parent_class)->finalize (object);
}

static void
vmgr_vm_class_init (VmgrVmClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = vmgr_vm_finalize;
  signals[SIGNAL_CHANGED] =
    g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_UINT);
  signals[SIGNAL_DELETED] =
    g_signal_new ("deleted", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);
  signals[SIGNAL_SNAPSHOT_ADDED] =
    g_signal_new ("snapshot-added", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 1, VMGR_TYPE_SNAPSHOT);
  signals[SIGNAL_SNAPSHOT_REMOVED] =
    g_signal_new ("snapshot-removed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 1, VMGR_TYPE_SNAPSHOT);
}

static void
vmgr_vm_init (VmgrVm *self)
{
  self->state = VMGR_VM_STATE_UNKNOWN;
  self->snapshots = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
}

VmgrVm *
vmgr_vm_new (const VmgrContext *context, const VmgrVmSpec *spec, VmgrVmState state,
             const char *reason)
{
  VmgrVm *self = g_object_new (VMGR_TYPE_VM, NULL);

  self->context = context;
  self->spec = vmgr_vm_spec_copy (spec);
  self->state = state;
  /* Found running at daemon start: uptime counts from now. */
  self->running_since = vmgr_vm_is_up (state) ? g_get_monotonic_time () : 0;
  vmgr_vm_sync_properties (self);
  vmgr_dbus_vm_set_state (VMGR_DBUS_VM (self), vmgr_vm_state_to_string (state));
  vmgr_dbus_vm_set_state_reason (VMGR_DBUS_VM (self), reason);
  vmgr_dbus_vm_set_usage (VMGR_DBUS_VM (self), vmgr_vm_empty_vardict ());
  vmgr_vm_clear_pending_changes (self);
  vmgr_dbus_vm_set_job (VMGR_DBUS_VM (self), "/");
  return self;
}
