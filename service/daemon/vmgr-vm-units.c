#include "vmgr-vm-units.h"

#include "vmgr-names.h"

/* What was last asked of systemd for a VM's target. */
typedef enum {
  TARGET_UNKNOWN,
  TARGET_UP,
  TARGET_DOWN,
} TargetRequest;

typedef struct {
  VmgrVm *vm;                 /* a reference */
  VmgrVmState last_state;
  TargetRequest requested;
} Followed;

struct _VmgrVmUnits {
  GObject parent_instance;
  VmgrRegistry *registry;
  VmgrSystemd *systemd;
  GHashTable *vms;            /* VM id -> Followed */
  gboolean said_absent;
  GCancellable *cancellable;  /* the listing under way */
};

G_DEFINE_FINAL_TYPE (VmgrVmUnits, vmgr_vm_units, G_TYPE_OBJECT)

static void
followed_free (Followed *followed)
{
  g_object_unref (followed->vm);
  g_free (followed);
}

char *
vmgr_vm_units_target (guint32 vm_id)
{
  g_autofree char *instance = g_strdup_printf ("%u", vm_id);

  return vmgr_systemd_instance_unit (VMGR_VM_UNIT_PREFIX, instance, "target");
}

char *
vmgr_vm_units_crashed_target (guint32 vm_id)
{
  g_autofree char *instance = g_strdup_printf ("%u", vm_id);

  return vmgr_systemd_instance_unit (VMGR_VM_CRASHED_UNIT_PREFIX, instance, "target");
}

/* ---- What a state means for the target --------------------------------- */

/* Up while the guest is: running, paused or shutting down; down when it
 * is not; unknown (leave the target as it is) while libvirt cannot say or
 * the VM is on its way up. */
static TargetRequest
target_for_state (VmgrVmState state)
{
  switch (state)
    {
    case VMGR_VM_STATE_RUNNING:
    case VMGR_VM_STATE_PAUSED:
    case VMGR_VM_STATE_STOPPING:
      return TARGET_UP;
    case VMGR_VM_STATE_PROVISIONING:
    case VMGR_VM_STATE_STOPPED:
    case VMGR_VM_STATE_CRASHED:
    case VMGR_VM_STATE_SUSPENDED:
      return TARGET_DOWN;
    case VMGR_VM_STATE_STARTING:
    case VMGR_VM_STATE_UNKNOWN:
    default:
      return TARGET_UNKNOWN;
    }
}

static void
request_target (VmgrVmUnits *self, guint32 vm_id, Followed *followed, TargetRequest wanted)
{
  g_autofree char *unit = vmgr_vm_units_target (vm_id);

  if (wanted == TARGET_UNKNOWN || wanted == followed->requested ||
      !vmgr_systemd_is_available (self->systemd))
    return;
  followed->requested = wanted;
  if (wanted == TARGET_UP)
    vmgr_systemd_start_unit (self->systemd, unit);
  else
    vmgr_systemd_stop_unit (self->systemd, unit);
}

/* A crash, or a stop nobody asked vmgr for (a guest that powers itself
 * off asked for it). */
static gboolean
is_unexpected_stop (Followed *followed, VmgrVmState state, const char *reason)
{
  if (target_for_state (followed->last_state) != TARGET_UP)
    return FALSE;
  if (state == VMGR_VM_STATE_CRASHED || g_strcmp0 (reason, "crashed") == 0)
    return TRUE;
  return state == VMGR_VM_STATE_STOPPED && !vmgr_vm_stop_requested (followed->vm) &&
         g_strcmp0 (reason, "guest-shutdown") != 0;
}

static void
on_state_changed (VmgrDBusVM *object, const char *state_name, const char *reason,
                  gpointer user_data)
{
  VmgrVmUnits *self = user_data;
  VmgrVm *vm = VMGR_VM (object);
  guint32 vm_id = vmgr_vm_get_spec (vm)->id;
  Followed *followed = g_hash_table_lookup (self->vms, GUINT_TO_POINTER (vm_id));
  VmgrVmState state = vmgr_vm_get_state (vm);

  if (followed == NULL)
    return;
  if (is_unexpected_stop (followed, state, reason) && vmgr_systemd_is_available (self->systemd))
    {
      g_autofree char *unit = vmgr_vm_units_crashed_target (vm_id);

      g_message ("VM %u (%s) went down unexpectedly (%s): starting %s", vm_id,
                 vmgr_vm_get_spec (vm)->name, reason, unit);
      vmgr_systemd_start_unit (self->systemd, unit);
    }
  followed->last_state = state;
  request_target (self, vm_id, followed, target_for_state (state));
}

/* ---- The VMs of the registry ------------------------------------------- */

static void
follow (VmgrVmUnits *self, VmgrVm *vm)
{
  Followed *followed = g_new0 (Followed, 1);
  guint32 vm_id = vmgr_vm_get_spec (vm)->id;

  followed->vm = g_object_ref (vm);
  followed->last_state = vmgr_vm_get_state (vm);
  followed->requested = TARGET_UNKNOWN;
  g_hash_table_replace (self->vms, GUINT_TO_POINTER (vm_id), followed);
  /* Disconnected when unfollowed or disposed; g_signal_connect_object
   * would grow one array of closures on self per VM. */
  g_signal_connect (vm, "state-changed", G_CALLBACK (on_state_changed), self);
  request_target (self, vm_id, followed, target_for_state (followed->last_state));
}

static void
on_object_added (VmgrRegistry *registry, const char *path, guint owner, gpointer user_data)
{
  VmgrVmUnits *self = user_data;
  guint32 vm_id = vmgr_vm_id_from_path (path);
  VmgrVm *vm = vm_id != 0 ? vmgr_registry_find_vm (registry, vm_id) : NULL;

  if (vm != NULL)
    follow (self, vm);
}

static void
on_object_removing (VmgrRegistry *registry, const char *path, gpointer user_data)
{
  VmgrVmUnits *self = user_data;
  guint32 vm_id = vmgr_vm_id_from_path (path);
  Followed *followed = g_hash_table_lookup (self->vms, GUINT_TO_POINTER (vm_id));

  if (vm_id == 0 || followed == NULL)
    return;
  /* A deleted VM runs no more, whatever was last heard of it. */
  request_target (self, vm_id, followed, TARGET_DOWN);
  g_signal_handlers_disconnect_by_data (followed->vm, self);
  g_hash_table_remove (self->vms, GUINT_TO_POINTER (vm_id));
}

/* ---- Reconciliation with the targets systemd has ----------------------- */

static void
on_units_listed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  VmgrVmUnits *self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) units = vmgr_systemd_list_units_finish (VMGR_SYSTEMD (source), result,
                                                                &error);
  GHashTableIter iter;
  gpointer key, value;
  guint started = 0, stopped = 0;

  if (units == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_warning ("systemd: cannot list the vmgr-vm@ targets: %s", error->message);
      return;
    }
  g_hash_table_iter_init (&iter, self->vms);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      Followed *followed = value;
      g_autofree char *unit = vmgr_vm_units_target (GPOINTER_TO_UINT (key));
      gboolean active = vmgr_systemd_state_is_active (g_hash_table_lookup (units, unit));
      TargetRequest wanted = target_for_state (followed->last_state);

      g_hash_table_remove (units, unit);
      /* What systemd has is what was asked: only differences are sent. */
      followed->requested = active ? TARGET_UP : TARGET_DOWN;
      started += wanted == TARGET_UP && !active;
      stopped += wanted == TARGET_DOWN && active;
      request_target (self, GPOINTER_TO_UINT (key), followed, wanted);
    }
  /* Targets of VMs that no longer exist. */
  g_hash_table_iter_init (&iter, units);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (vmgr_systemd_state_is_active (value))
      {
        vmgr_systemd_stop_unit (self->systemd, key);
        stopped++;
      }
  g_message ("systemd: vmgr-vm@.target units reconciled (%u started, %u stopped)", started,
             stopped);
}

static void
reconcile (VmgrVmUnits *self)
{
  const char * const patterns[] = { VMGR_VM_UNIT_PREFIX "@*.target", NULL };

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  vmgr_systemd_list_units_async (self->systemd, patterns, self->cancellable, on_units_listed,
                                 self);
}

static void
forget_requests (VmgrVmUnits *self)
{
  GHashTableIter iter;
  Followed *followed;

  g_hash_table_iter_init (&iter, self->vms);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &followed))
    followed->requested = TARGET_UNKNOWN;
}

static void
on_availability_changed (VmgrSystemd *systemd, gboolean available, gpointer user_data)
{
  VmgrVmUnits *self = user_data;

  forget_requests (self);
  if (available)
    {
      if (self->said_absent)
        g_message ("systemd is on the bus now: keeping vmgr-vm@.target units again");
      self->said_absent = FALSE;
      reconcile (self);
      return;
    }
  g_cancellable_cancel (self->cancellable);
  if (!self->said_absent)
    g_message ("systemd's manager is not on the bus: vmgr-vm@.target units are not kept "
               "(VMs work as usual)");
  self->said_absent = TRUE;
}

/* ---- Object ------------------------------------------------------------ */

static void
vmgr_vm_units_dispose (GObject *object)
{
  VmgrVmUnits *self = VMGR_VM_UNITS (object);
  GHashTableIter iter;
  Followed *followed;

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->vms != NULL)
    {
      g_hash_table_iter_init (&iter, self->vms);
      while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &followed))
        g_signal_handlers_disconnect_by_data (followed->vm, self);
      g_clear_pointer (&self->vms, g_hash_table_unref);
    }
  if (self->registry != NULL)
    g_signal_handlers_disconnect_by_data (self->registry, self);
  if (self->systemd != NULL)
    g_signal_handlers_disconnect_by_data (self->systemd, self);
  g_clear_object (&self->registry);
  g_clear_object (&self->systemd);
  G_OBJECT_CLASS (vmgr_vm_units_parent_class)->dispose (object);
}

static void
vmgr_vm_units_class_init (VmgrVmUnitsClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = vmgr_vm_units_dispose;
}

static void
vmgr_vm_units_init (VmgrVmUnits *self)
{
  self->vms = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) followed_free);
  self->cancellable = g_cancellable_new ();
}

VmgrVmUnits *
vmgr_vm_units_new (VmgrRegistry *registry, VmgrSystemd *systemd)
{
  VmgrVmUnits *self = g_object_new (VMGR_TYPE_VM_UNITS, NULL);
  g_autoptr(GPtrArray) vms = vmgr_registry_list_vms (registry);

  self->registry = g_object_ref (registry);
  self->systemd = g_object_ref (systemd);
  for (guint i = 0; i < vms->len; i++)
    follow (self, g_ptr_array_index (vms, i));
  g_signal_connect (registry, "object-added", G_CALLBACK (on_object_added), self);
  g_signal_connect (registry, "object-removing", G_CALLBACK (on_object_removing), self);
  g_signal_connect (systemd, "availability-changed", G_CALLBACK (on_availability_changed),
                    self);
  if (vmgr_systemd_is_available (systemd))
    reconcile (self);
  return self;
}
