#include "vmgr-vm.h"

#include <gio/gunixfdlist.h>
#include <unistd.h>

#include "vmgr-error.h"
#include "vmgr-names.h"
#include "vmgr-peers.h"
#include "vmgr-usage.h"
#include "vmgr-validate.h"

struct _VmgrVm {
  VmgrDBusVMSkeleton parent_instance;
  const VmgrContext *context;
  VmgrVmSpec *spec;
  VmgrVmState state;
  guint force_off_id;       /* pending forced off after a graceful shutdown */
  gboolean deleting;
  gboolean reconfiguring;   /* a definition change is on its way to libvirt */
  gint64 running_since;     /* monotonic; 0 when not running or unknown */
  VmgrDomainStats *last_sample;
};

static void vmgr_vm_iface_init (VmgrDBusVMIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (VmgrVm, vmgr_vm, VMGR_DBUS_TYPE_VM_SKELETON,
                               G_IMPLEMENT_INTERFACE (VMGR_DBUS_TYPE_VM, vmgr_vm_iface_init))

enum {
  SIGNAL_CHANGED,
  SIGNAL_DELETED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

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

static void
sync_properties (VmgrVm *self)
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
}

static gboolean
is_up (VmgrVmState state)
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
  if (state == VMGR_VM_STATE_STOPPED || state == VMGR_VM_STATE_CRASHED)
    g_clear_handle_id (&self->force_off_id, g_source_remove);
  if (is_up (state) && !is_up (self->state))
    self->running_since = g_get_monotonic_time ();
  else if (!is_up (state))
    {
      self->running_since = 0;
      g_clear_pointer (&self->last_sample, g_free);
    }
  set_state (self, state, reason != NULL ? reason : "unknown");
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

  if (vmgr_usage_crossed_soft_limit (self->last_sample, stats, self->spec->disk_soft_limit))
    {
      g_message ("VM %u (%s) uses %" G_GUINT64_FORMAT " bytes of disk, over its soft limit",
                 self->spec->id, self->spec->name, stats->disk_used);
      vmgr_dbus_vm_emit_disk_soft_limit_exceeded (VMGR_DBUS_VM (self), stats->disk_used,
                                                  self->spec->disk_soft_limit);
    }
  g_free (self->last_sample);
  self->last_sample = g_memdup2 (stats, sizeof *stats);
  vmgr_dbus_vm_set_usage (VMGR_DBUS_VM (self), usage);
  return usage;
}

static gboolean
return_invalid_input (VmgrVm *self, GDBusMethodInvocation *invocation, GError *error)
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
} Transition;

static const Transition transitions[] = {
  { "Start", VMGR_BACKEND_OP_START,
    STATE_BIT (VMGR_VM_STATE_STOPPED) | STATE_BIT (VMGR_VM_STATE_CRASHED), "stopped" },
  { "Shutdown", VMGR_BACKEND_OP_SHUTDOWN, STATE_BIT (VMGR_VM_STATE_RUNNING), "running" },
  { "Stop", VMGR_BACKEND_OP_DESTROY,
    STATE_BIT (VMGR_VM_STATE_RUNNING) | STATE_BIT (VMGR_VM_STATE_PAUSED) |
    STATE_BIT (VMGR_VM_STATE_STOPPING) | STATE_BIT (VMGR_VM_STATE_STARTING) |
    STATE_BIT (VMGR_VM_STATE_CRASHED) | STATE_BIT (VMGR_VM_STATE_SUSPENDED),
    "running, paused or stopping" },
  { "Restart", VMGR_BACKEND_OP_REBOOT, STATE_BIT (VMGR_VM_STATE_RUNNING), "running" },
  { "Suspend", VMGR_BACKEND_OP_SUSPEND, STATE_BIT (VMGR_VM_STATE_RUNNING), "running" },
  { "Resume", VMGR_BACKEND_OP_RESUME, STATE_BIT (VMGR_VM_STATE_PAUSED), "paused" },
};

static const Transition *
transition_for (const char *verb)
{
  for (guint i = 0; i < G_N_ELEMENTS (transitions); i++)
    if (strcmp (transitions[i].verb, verb) == 0)
      return &transitions[i];
  g_assert_not_reached ();
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
check_not_deleted (VmgrVm *self, GError **error)
{
  if (!self->deleting)
    return TRUE;
  g_set_error (error, VMGR_ERROR, VMGR_ERROR_NOT_FOUND, "VM %u (%s) is being deleted",
               self->spec->id, self->spec->name);
  return FALSE;
}

/* One definition change at a time: two would each start from the same
 * spec and the second to finish would undo the first. */
static gboolean
check_not_busy (VmgrVm *self, GError **error)
{
  if (!self->reconfiguring)
    return TRUE;
  g_set_error (error, VMGR_ERROR, VMGR_ERROR_BUSY,
               "VM '%s' is being reconfigured: try again when that is done", self->spec->name);
  return FALSE;
}

static gboolean
check_not_provisioning (VmgrVm *self, GError **error)
{
  if (self->state != VMGR_VM_STATE_PROVISIONING)
    return TRUE;
  g_set_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_STATE,
               "VM '%s' is being provisioned: cancel its job %s first", self->spec->name,
               vmgr_dbus_vm_get_job (VMGR_DBUS_VM (self)));
  return FALSE;
}

static gboolean
check_transition (VmgrVm *self, const Transition *transition, GError **error)
{
  if (!check_not_deleted (self, error))
    return FALSE;
  if ((transition->from & STATE_BIT (self->state)) != 0)
    return TRUE;
  g_set_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_STATE,
               "cannot %s VM '%s': it is %s, and must be %s", transition->verb,
               self->spec->name, vmgr_vm_state_to_string (self->state), transition->from_text);
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
  vmgr_backend_op_async (self->context->backend, self->spec->uuid,
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
      /* libvirt has no lifecycle event for a reboot: announce it here. */
      vmgr_dbus_vm_emit_state_changed (VMGR_DBUS_VM (self), "running", "restarted");
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

static void
run_transition (Lifecycle *call)
{
  g_autoptr(GError) error = NULL;

  if (!check_transition (call->vm, call->transition, &error) ||
      !check_owner_not_suspended (call, &error))
    {
      finish_call (call, error);
      lifecycle_free (call);
      return;
    }
  vmgr_backend_op_async (call->vm->context->backend, call->vm->spec->uuid,
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
    return return_invalid_input (self, invocation,
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

void
vmgr_vm_autostart (VmgrVm *self)
{
  Lifecycle *call = lifecycle_new (self, "Start", 0);

  g_message ("autostarting VM %u (%s)", self->spec->id, self->spec->name);
  run_transition (call);
}

/* ---- Delete ------------------------------------------------------------ */

typedef struct {
  VmgrVm *vm;
  GDBusMethodInvocation *invocation;
  VmgrGrant *grant;
} Deletion;

static void
deletion_free (Deletion *deletion)
{
  g_object_unref (deletion->vm);
  g_object_unref (deletion->invocation);
  vmgr_grant_free (deletion->grant);
  g_free (deletion);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Deletion, deletion_free)

static void
finish_deletion (Deletion *deletion, const GError *error)
{
  VmgrVm *self = deletion->vm;

  vmgr_grant_audit (self->context->auth, deletion->grant, error);
  if (error != NULL)
    {
      self->deleting = FALSE;
      g_dbus_method_invocation_return_gerror (deletion->invocation, error);
      return;
    }
  g_clear_handle_id (&self->force_off_id, g_source_remove);
  vmgr_context_reserve_address (self->context, self->spec, FALSE);
  g_signal_emit (self, signals[SIGNAL_DELETED], 0);
  g_dbus_method_invocation_return_value (deletion->invocation, NULL);
}

static void
on_files_removed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(Deletion) deletion = user_data;
  g_autoptr(GError) error = NULL;

  /* The VM is gone from libvirt and the store: leftovers are only logged. */
  if (!vmgr_provision_remove_finish (result, &error))
    g_warning ("VM %u: cannot remove its files: %s", deletion->vm->spec->id, error->message);
  finish_deletion (deletion, NULL);
}

static void
on_undefined (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(Deletion) deletion = user_data;
  VmgrVm *self = deletion->vm;
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = NULL;

  /* A domain libvirt already lost is gone as far as vmgr is concerned. */
  if (!vmgr_backend_op_finish (VMGR_BACKEND (source), result, &error) &&
      !g_error_matches (error, VMGR_ERROR, VMGR_ERROR_NOT_FOUND))
    {
      finish_deletion (deletion, error);
      return;
    }
  g_clear_error (&error);
  if (!vmgr_store_delete_vm (self->context->store, self->spec->id, &error))
    {
      finish_deletion (deletion, error);
      return;
    }
  /* The VM's own files go with it; the reply waits for that. */
  dir = vmgr_context_guest_dir (self->context, self->spec);
  vmgr_provision_remove_async (dir, NULL, on_files_removed, g_steal_pointer (&deletion));
}

static void
on_delete_allowed (GDBusMethodInvocation *invocation, VmgrGrant *grant, gpointer user_data)
{
  Deletion *deletion = g_new0 (Deletion, 1);
  VmgrVm *self = user_data;
  g_autoptr(GError) error = NULL;

  deletion->vm = self;
  deletion->invocation = g_object_ref (invocation);
  deletion->grant = grant;
  if (!check_not_deleted (self, &error) || !check_not_provisioning (self, &error) ||
      !check_not_busy (self, &error))
    {
      vmgr_grant_audit (self->context->auth, grant, error);
      g_dbus_method_invocation_return_gerror (invocation, error);
      deletion_free (deletion);
      return;
    }
  self->deleting = TRUE;
  vmgr_backend_op_async (self->context->backend, self->spec->uuid,
                         VMGR_BACKEND_OP_UNDEFINE, NULL, on_undefined, deletion);
}

static gboolean
handle_delete (VmgrDBusVM *object, GDBusMethodInvocation *invocation)
{
  VmgrVm *self = VMGR_VM (object);

  vmgr_auth_authorize (self->context->auth, invocation, self->spec, NULL,
                       on_delete_allowed, g_object_ref (self), g_object_unref);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

/* ---- Configuration ----------------------------------------------------- */

/* A change to the VM's definition: applied to a copy of the spec, checked,
 * defined in libvirt, stored, then shown. */
typedef struct {
  VmgrVm *vm;
  GDBusMethodInvocation *invocation;
  VmgrGrant *grant;
  VmgrVmSpec *edited;
  char *domain_xml;
  gboolean started;         /* holds the VM's reconfiguring flag */
} Reconfigure;

static void
reconfigure_free (Reconfigure *change)
{
  g_object_unref (change->vm);
  g_clear_object (&change->invocation);
  vmgr_grant_free (change->grant);
  vmgr_vm_spec_free (change->edited);
  g_free (change->domain_xml);
  g_free (change);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Reconfigure, reconfigure_free)

static void
finish_reconfigure (Reconfigure *change, const GError *error)
{
  if (change->started)
    change->vm->reconfiguring = FALSE;
  vmgr_grant_audit (change->vm->context->auth, change->grant, error);
  if (error != NULL)
    g_dbus_method_invocation_return_gerror (change->invocation, error);
  else
    g_dbus_method_invocation_return_value (change->invocation, NULL);
}

/* An LXC guest reads its network settings from its root filesystem at
 * start: keep them there. */
static void
on_guest_network_written (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GError) error = NULL;

  if (!vmgr_provision_write_network_finish (result, &error))
    g_warning ("VM %u: cannot write its network settings: %s", GPOINTER_TO_UINT (user_data),
               error->message);
}

static void
write_guest_network (VmgrVm *self, const VmgrVmSpec *spec)
{
  g_autoptr(VmgrGuestFiles) files = vmgr_context_guest_files (self->context, spec);

  if (*files->root != '\0')
    vmgr_provision_write_network_async (files->root, spec, on_guest_network_written,
                                        GUINT_TO_POINTER (spec->id));
}

static gboolean
network_changed (const VmgrVmSpec *old, const VmgrVmSpec *new)
{
  return g_strcmp0 (old->hostname, new->hostname) != 0 ||
         g_strcmp0 (old->gateway, new->gateway) != 0 ||
         !g_strv_equal ((const char * const *) old->addresses,
                        (const char * const *) new->addresses) ||
         !g_strv_equal ((const char * const *) old->nameservers,
                        (const char * const *) new->nameservers);
}

static VmgrResources
resources_changed (const VmgrVmSpec *old, const VmgrVmSpec *new)
{
  VmgrResources changed = 0;

  if (old->memory_limit != new->memory_limit)
    changed |= VMGR_RESOURCE_MEMORY | VMGR_RESOURCE_MEMORY_TUNE;
  if (old->memory_soft_limit != new->memory_soft_limit ||
      old->memory_guarantee != new->memory_guarantee)
    changed |= VMGR_RESOURCE_MEMORY_TUNE;
  if (old->vcpus != new->vcpus)
    changed |= VMGR_RESOURCE_VCPUS;
  if (old->cpu_weight != new->cpu_weight)
    changed |= VMGR_RESOURCE_CPU_WEIGHT;
  if (old->cpu_limit != new->cpu_limit)
    changed |= VMGR_RESOURCE_CPU_LIMIT;
  return changed;
}

static void
on_applied_live (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(Reconfigure) change = user_data;
  g_autoptr(GError) error = NULL;
  VmgrResources applied = 0;

  /* The new values are stored and defined either way; a live failure is
   * reported so that the caller knows the guest still runs with the old. */
  if (!vmgr_backend_apply_live_finish (VMGR_BACKEND (source), result, &applied, &error))
    g_prefix_error (&error, "stored, but not applied to the running guest: ");
  else
    g_debug ("VM %u: resources applied live: 0x%x", change->vm->spec->id, applied);
  finish_reconfigure (change, error);
}

static void
on_redefined (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(Reconfigure) change = user_data;
  VmgrVm *self = change->vm;
  g_autoptr(GError) error = NULL;
  guint32 old_owner;
  VmgrResources changed;

  if (!vmgr_backend_define_finish (VMGR_BACKEND (source), result, &error) ||
      !vmgr_store_update_vm (self->context->store, change->edited,
                             change->domain_xml, &error))
    {
      finish_reconfigure (change, error);
      return;
    }
  if (network_changed (self->spec, change->edited))
    {
      write_guest_network (self, change->edited);
      vmgr_context_reserve_address (self->context, change->edited, TRUE);
    }
  old_owner = self->spec->owner;
  changed = resources_changed (self->spec, change->edited);
  vmgr_vm_spec_free (self->spec);
  self->spec = g_steal_pointer (&change->edited);
  sync_properties (self);
  g_signal_emit (self, signals[SIGNAL_CHANGED], 0, old_owner);
  if (changed != 0 && is_up (self->state))
    {
      /* Stored and defined: now the running guest, where the driver can. */
      vmgr_backend_apply_live_async (VMGR_BACKEND (source), self->spec->uuid, self->spec,
                                     changed, NULL, on_applied_live, g_steal_pointer (&change));
      return;
    }
  finish_reconfigure (change, NULL);
}

static gboolean
build_definition (VmgrVm *self, Reconfigure *change, GError **error)
{
  change->domain_xml = vmgr_context_build_definition (self->context, change->edited, error);
  return change->domain_xml != NULL;
}

typedef gboolean (*SpecEdit) (VmgrVmSpec *spec, GVariant *args, GError **error);

typedef struct {
  VmgrVm *vm;
  SpecEdit edit;
  GVariant *args;
} PendingEdit;

static void
pending_edit_free (PendingEdit *pending)
{
  g_object_unref (pending->vm);
  g_variant_unref (pending->args);
  g_free (pending);
}

static void
on_configure_allowed (GDBusMethodInvocation *invocation, VmgrGrant *grant, gpointer user_data)
{
  PendingEdit *pending = user_data;
  VmgrVm *self = pending->vm;
  Reconfigure *change = g_new0 (Reconfigure, 1);
  g_autoptr(GError) error = NULL;

  change->vm = g_object_ref (self);
  change->invocation = g_object_ref (invocation);
  change->grant = grant;
  change->edited = vmgr_vm_spec_copy (self->spec);
  if (!check_not_deleted (self, &error) || !check_not_provisioning (self, &error) ||
      !check_not_busy (self, &error) ||
      !pending->edit (change->edited, pending->args, &error) ||
      !vmgr_spec_check_resources (change->edited, &error) ||
      !vmgr_ledger_check (self->context->ledger, self->spec, change->edited, &error) ||
      !build_definition (self, change, &error))
    {
      finish_reconfigure (change, error);
      reconfigure_free (change);
    }
  else
    {
      self->reconfiguring = change->started = TRUE;
      vmgr_backend_define_async (self->context->backend, change->domain_xml,
                                 NULL, on_redefined, change);
    }
  pending_edit_free (pending);
}

/* Validates @args with @edit on a scratch copy first (bad input is refused
 * before anyone is asked), then authorizes with the requested values. */
static gboolean
configure (VmgrVm *self, GDBusMethodInvocation *invocation, SpecEdit edit, GVariant *args)
{
  g_autoptr(VmgrVmSpec) scratch = vmgr_vm_spec_copy (self->spec);
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) details = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  PendingEdit *pending;

  g_variant_ref_sink (args);
  if (!edit (scratch, args, &error) || !vmgr_spec_check_resources (scratch, &error))
    {
      g_variant_unref (args);
      return return_invalid_input (self, invocation, g_steal_pointer (&error));
    }
  g_hash_table_insert (details, "requested", g_variant_print (args, FALSE));
  pending = g_new0 (PendingEdit, 1);
  pending->vm = g_object_ref (self);
  pending->edit = edit;
  pending->args = args;
  vmgr_auth_authorize (self->context->auth, invocation, self->spec, details,
                       on_configure_allowed, pending, (GDestroyNotify) pending_edit_free);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
edit_memory (VmgrVmSpec *spec, GVariant *args, GError **error)
{
  g_variant_get (args, "(ttt)", &spec->memory_guarantee, &spec->memory_soft_limit,
                 &spec->memory_limit);
  return TRUE;
}

static gboolean
edit_cpu (VmgrVmSpec *spec, GVariant *args, GError **error)
{
  guint32 weight;

  g_variant_get (args, "(uuu)", &spec->vcpus, &weight, &spec->cpu_limit);
  if (weight < VMGR_CPU_WEIGHT_MIN || weight > VMGR_CPU_WEIGHT_MAX)
    {
      g_set_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_ARGUMENT,
                   "weight %u is out of range (%u to %u)", weight, VMGR_CPU_WEIGHT_MIN,
                   VMGR_CPU_WEIGHT_MAX);
      return FALSE;
    }
  spec->cpu_weight = weight;
  return TRUE;
}

static gboolean
edit_disk (VmgrVmSpec *spec, GVariant *args, GError **error)
{
  g_variant_get (args, "(tt)", &spec->disk_soft_limit, &spec->disk_hard_limit);
  return TRUE;
}

static gboolean
edit_network (VmgrVmSpec *spec, GVariant *args, GError **error)
{
  g_autoptr(GVariant) settings = g_variant_get_child_value (args, 0);
  g_autoptr(VmgrOptions) options = vmgr_options_parse (settings, VMGR_FIELDS_NETWORK, error);

  return options != NULL && vmgr_spec_apply (spec, NULL, options, error);
}

static gboolean
edit_autostart (VmgrVmSpec *spec, GVariant *args, GError **error)
{
  g_variant_get (args, "(b)", &spec->autostart);
  return TRUE;
}

static gboolean
edit_owner (VmgrVmSpec *spec, GVariant *args, GError **error)
{
  guint32 uid;

  g_variant_get (args, "(u)", &uid);
  if (!vmgr_user_exists (uid))
    {
      g_set_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_ARGUMENT, "no user with uid %u", uid);
      return FALSE;
    }
  spec->owner = uid;
  return TRUE;
}

static gboolean
handle_set_memory (VmgrDBusVM *object, GDBusMethodInvocation *invocation,
                   guint64 guarantee, guint64 soft_limit, guint64 limit)
{
  return configure (VMGR_VM (object), invocation, edit_memory,
                    g_variant_new ("(ttt)", guarantee, soft_limit, limit));
}

static gboolean
handle_set_cpu (VmgrDBusVM *object, GDBusMethodInvocation *invocation,
                guint vcpus, guint weight, guint limit)
{
  return configure (VMGR_VM (object), invocation, edit_cpu,
                    g_variant_new ("(uuu)", vcpus, weight, limit));
}

static gboolean
handle_set_disk (VmgrDBusVM *object, GDBusMethodInvocation *invocation,
                 guint64 soft_limit, guint64 hard_limit)
{
  return configure (VMGR_VM (object), invocation, edit_disk,
                    g_variant_new ("(tt)", soft_limit, hard_limit));
}

static gboolean
handle_set_network (VmgrDBusVM *object, GDBusMethodInvocation *invocation, GVariant *settings)
{
  return configure (VMGR_VM (object), invocation, edit_network,
                    g_variant_new ("(@a{sv})", settings));
}

static gboolean
handle_set_autostart (VmgrDBusVM *object, GDBusMethodInvocation *invocation, gboolean autostart)
{
  return configure (VMGR_VM (object), invocation, edit_autostart,
                    g_variant_new ("(b)", autostart));
}

static gboolean
handle_set_owner (VmgrDBusVM *object, GDBusMethodInvocation *invocation, guint uid)
{
  return configure (VMGR_VM (object), invocation, edit_owner, g_variant_new ("(u)", uid));
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
  g_autoptr(VmgrGrant) owned_grant = grant;
  g_autoptr(VmgrVm) self = user_data;
  const char *uuids[] = { self->spec->uuid, NULL };

  vmgr_backend_sample_async (self->context->backend, uuids, NULL,
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
  g_autoptr(VmgrGrant) owned_grant = grant;
  g_autoptr(VmgrVm) self = user_data;

  VmgrBackend *backend = self->context->backend;

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
  vmgr_backend_open_console_async (self->context->backend, self->spec->uuid,
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
  iface->handle_delete = handle_delete;
  iface->handle_set_memory = handle_set_memory;
  iface->handle_set_cpu = handle_set_cpu;
  iface->handle_set_disk = handle_set_disk;
  iface->handle_set_network = handle_set_network;
  iface->handle_set_autostart = handle_set_autostart;
  iface->handle_set_owner = handle_set_owner;
  iface->handle_open_console = handle_open_console;
  iface->handle_get_stats = handle_get_stats;
}

static void
vmgr_vm_finalize (GObject *object)
{
  VmgrVm *self = VMGR_VM (object);

  g_clear_handle_id (&self->force_off_id, g_source_remove);
  vmgr_vm_spec_free (self->spec);
  g_free (self->last_sample);
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
}

static void
vmgr_vm_init (VmgrVm *self)
{
  self->state = VMGR_VM_STATE_UNKNOWN;
}

VmgrVm *
vmgr_vm_new (const VmgrContext *context, const VmgrVmSpec *spec, VmgrVmState state,
             const char *reason)
{
  VmgrVm *self = g_object_new (VMGR_TYPE_VM, NULL);
  g_autoptr(GVariant) usage = g_variant_ref_sink (g_variant_new ("a{sv}", NULL));

  self->context = context;
  self->spec = vmgr_vm_spec_copy (spec);
  self->state = state;
  /* Found running at daemon start: uptime counts from now. */
  self->running_since = is_up (state) ? g_get_monotonic_time () : 0;
  sync_properties (self);
  vmgr_dbus_vm_set_state (VMGR_DBUS_VM (self), vmgr_vm_state_to_string (state));
  vmgr_dbus_vm_set_state_reason (VMGR_DBUS_VM (self), reason);
  vmgr_dbus_vm_set_usage (VMGR_DBUS_VM (self), usage);
  vmgr_dbus_vm_set_job (VMGR_DBUS_VM (self), "/");
  return self;
}
