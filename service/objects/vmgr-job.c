#include "vmgr-job.h"

#include "vmgr-names.h"

struct _VmgrJob {
  VmgrDBusJobSkeleton parent_instance;
  const VmgrContext *context;
  char *path;
  guint32 vm_id;
  GCancellable *cancellable;
  /* Progress comes from a worker thread, as often as every 16 files
   * copied: the main loop applies the latest value at most every
   * PROGRESS_INTERVAL_MS, one update on its way at a time. */
  GMutex progress_lock;
  double progress;
  gboolean progress_queued;
  gboolean finished;
};

#define PROGRESS_INTERVAL_MS 100

static void vmgr_job_iface_init (VmgrDBusJobIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (VmgrJob, vmgr_job, VMGR_DBUS_TYPE_JOB_SKELETON,
                               G_IMPLEMENT_INTERFACE (VMGR_DBUS_TYPE_JOB, vmgr_job_iface_init))

enum {
  SIGNAL_FINISHED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

const char *
vmgr_job_get_path (VmgrJob *self)
{
  return self->path;
}

guint32
vmgr_job_get_vm_id (VmgrJob *self)
{
  return self->vm_id;
}

GCancellable *
vmgr_job_get_cancellable (VmgrJob *self)
{
  return self->cancellable;
}

static gboolean
apply_progress (gpointer data)
{
  g_autoptr(VmgrJob) self = data;
  gboolean finished;
  double progress;

  g_mutex_lock (&self->progress_lock);
  progress = self->progress;
  finished = self->finished;
  self->progress_queued = FALSE;
  g_mutex_unlock (&self->progress_lock);
  if (!finished)
    vmgr_dbus_job_set_progress (VMGR_DBUS_JOB (self), progress);
  return G_SOURCE_REMOVE;
}

void
vmgr_job_set_progress (VmgrJob *self, double progress)
{
  gboolean queue;

  g_mutex_lock (&self->progress_lock);
  self->progress = CLAMP (progress, 0.0, 1.0);
  queue = !self->progress_queued && !self->finished;
  self->progress_queued = TRUE;
  g_mutex_unlock (&self->progress_lock);
  if (queue)
    g_timeout_add (PROGRESS_INTERVAL_MS, apply_progress, g_object_ref (self));
}

void
vmgr_job_complete (VmgrJob *self, const GError *error)
{
  g_mutex_lock (&self->progress_lock);
  self->finished = TRUE;
  g_mutex_unlock (&self->progress_lock);
  if (error == NULL)
    vmgr_dbus_job_set_progress (VMGR_DBUS_JOB (self), 1.0);
  vmgr_dbus_job_emit_completed (VMGR_DBUS_JOB (self), error == NULL,
                                error != NULL ? error->message : "");
  g_signal_emit (self, signals[SIGNAL_FINISHED], 0);
}

static void
on_cancel_allowed (GDBusMethodInvocation *invocation, VmgrGrant *grant, gpointer user_data)
{
  g_autoptr(VmgrGrant) owned_grant G_GNUC_UNUSED = grant;
  g_autoptr(VmgrJob) self = user_data;

  vmgr_grant_audit (self->context->auth, grant, NULL);
  g_cancellable_cancel (self->cancellable);
  g_dbus_method_invocation_return_value (invocation, NULL);
}

static gboolean
handle_cancel (VmgrDBusJob *object, GDBusMethodInvocation *invocation)
{
  VmgrJob *self = VMGR_JOB (object);
  const VmgrVmSpec *vm = vmgr_ledger_get_vm (self->context->ledger, self->vm_id);

  if (vm == NULL)
    {
      g_dbus_method_invocation_take_error (
        invocation, vmgr_auth_no_such_object_error (VMGR_JOB_INTERFACE, self->path));
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
  vmgr_auth_authorize (self->context->auth, invocation, vm,
                       NULL, on_cancel_allowed, g_object_ref (self), g_object_unref);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static void
vmgr_job_iface_init (VmgrDBusJobIface *iface)
{
  iface->handle_cancel = handle_cancel;
}

static void
vmgr_job_finalize (GObject *object)
{
  VmgrJob *self = VMGR_JOB (object);

  g_free (self->path);
  g_object_unref (self->cancellable);
  g_mutex_clear (&self->progress_lock);
  G_OBJECT_CLASS (vmgr_job_parent_class)->finalize (object);
}

static void
vmgr_job_class_init (VmgrJobClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = vmgr_job_finalize;
  signals[SIGNAL_FINISHED] =
    g_signal_new ("finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);
}

static void
vmgr_job_init (VmgrJob *self)
{
  self->cancellable = g_cancellable_new ();
  g_mutex_init (&self->progress_lock);
}

VmgrJob *
vmgr_job_new (const VmgrContext *context, const char *path, guint32 vm_id,
              const char *operation, guint32 started_by)
{
  VmgrJob *self = g_object_new (VMGR_TYPE_JOB, NULL);
  g_autofree char *target = vmgr_vm_path (vm_id);

  self->context = context;
  self->path = g_strdup (path);
  self->vm_id = vm_id;
  vmgr_dbus_job_set_operation (VMGR_DBUS_JOB (self), operation);
  vmgr_dbus_job_set_target (VMGR_DBUS_JOB (self), target);
  vmgr_dbus_job_set_progress (VMGR_DBUS_JOB (self), 0.0);
  vmgr_dbus_job_set_started_by (VMGR_DBUS_JOB (self), started_by);
  vmgr_dbus_job_set_cancellable (VMGR_DBUS_JOB (self), TRUE);
  return self;
}
