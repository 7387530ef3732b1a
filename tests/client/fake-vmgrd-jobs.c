/* The fake vmgrd's provisioning jobs (see fake-vmgrd.h): an org.vmgr.Job
 * at /org/vmgr/job/N per VM made from a "job-*" template. */
#include "fake-vmgrd.h"

#define JOB_STEP_MS 20

typedef enum {
  JOB_OK,      /* 0, 0.5, 1, then the VM stopped and Completed(true) */
  JOB_FAIL,    /* 0, 0.5, then the VM removed and Completed(false) */
  JOB_VANISH,  /* 0, 0.5, then the VM stopped and the job gone, no Completed */
  JOB_HANG,    /* 0 until Cancel(): then the VM removed and Completed(false) */
} JobKind;

static const struct {
  const char *template;
  JobKind kind;
} job_templates[] = {
  { "job-ok", JOB_OK },
  { "job-fail", JOB_FAIL },
  { "job-vanish", JOB_VANISH },
  { "job-hang", JOB_HANG },
};

typedef struct {
  FakeVmgrd *fake;
  char *path;
  guint vm_id;
  JobKind kind;
  gboolean start;    /* then start the VM, as CreateVM's start option */
  VmgrDBusObjectSkeleton *object;
  VmgrDBusJob *job;
  gboolean running;  /* moving on (counted in fake->pending) */
  guint step;
  guint source;
} FakeJob;

static void
fake_job_free (gpointer data)
{
  FakeJob *job = data;

  g_clear_handle_id (&job->source, g_source_remove);
  g_dbus_object_manager_server_unexport (job->fake->objects, job->path);
  g_object_unref (job->job);
  g_object_unref (job->object);
  g_free (job->path);
  g_free (job);
}

void
fake_vmgrd_jobs_init (FakeVmgrd *self)
{
  self->jobs = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, fake_job_free);
  self->next_job = 1;
}

void
fake_vmgrd_jobs_clear (FakeVmgrd *self)
{
  g_clear_pointer (&self->jobs, g_hash_table_unref);
}

gboolean
fake_vmgrd_is_job_template (const char *template)
{
  for (gsize i = 0; i < G_N_ELEMENTS (job_templates); i++)
    if (g_str_equal (job_templates[i].template, template))
      return TRUE;
  return FALSE;
}

static VmgrDBusVM *
job_vm (FakeJob *job)
{
  VmgrDBusObject *object = g_hash_table_lookup (job->fake->vms, GUINT_TO_POINTER (job->vm_id));

  return object != NULL ? vmgr_dbus_object_peek_vm (object) : NULL;
}

/* As vmgrd does when provisioning failed: the VM goes away first, then
 * the job completes. */
static void
remove_vm (FakeJob *job)
{
  fake_vmgrd_remove_vm (job->fake, job->vm_id);
}

static void
provisioned (FakeJob *job)
{
  VmgrDBusVM *vm = job_vm (job);

  vmgr_dbus_vm_set_job (vm, "/");
  vmgr_dbus_vm_set_state (vm, "stopped");
  vmgr_dbus_vm_set_state_reason (vm, "provisioned");
  vmgr_dbus_vm_emit_state_changed (vm, "stopped", "provisioned");
  if (job->start)
    fake_vmgrd_change_state_later (job->fake, vm, JOB_STEP_MS, "running", "booted");
}

/* Completed (unless @error is NULL: the job just goes away), then the
 * job object is removed; @job is freed. */
static void
finish (FakeJob *job, gboolean success, const char *error)
{
  FakeVmgrd *fake = job->fake;

  if (error != NULL)
    vmgr_dbus_job_emit_completed (job->job, success, error);
  job->source = 0;  /* returning G_SOURCE_REMOVE */
  if (job->running)
    fake->pending--;
  g_hash_table_remove (fake->jobs, job->path);
}

static gboolean
on_step (gpointer data)
{
  FakeJob *job = data;

  job->step++;
  if (job->kind == JOB_HANG)  /* cancelled */
    {
      remove_vm (job);
      finish (job, FALSE, "cancelled");
      return G_SOURCE_REMOVE;
    }
  if (job->step == 1)
    {
      vmgr_dbus_job_set_progress (job->job, 0.5);
      return G_SOURCE_CONTINUE;
    }
  switch (job->kind)
    {
    case JOB_OK:
      if (job->step == 2)
        {
          vmgr_dbus_job_set_progress (job->job, 1.0);
          return G_SOURCE_CONTINUE;
        }
      provisioned (job);
      finish (job, TRUE, "");
      break;
    case JOB_FAIL:
      remove_vm (job);
      finish (job, FALSE, "no space left on device");
      break;
    case JOB_VANISH:
      provisioned (job);
      finish (job, FALSE, NULL);
      break;
    case JOB_HANG:
      g_assert_not_reached ();
    }
  return G_SOURCE_REMOVE;
}

static void
run (FakeJob *job)
{
  if (job->running)
    return;
  job->running = TRUE;
  job->fake->pending++;
  job->source = g_timeout_add (JOB_STEP_MS, on_step, job);
}

static gboolean
handle_cancel (VmgrDBusJob *object, GDBusMethodInvocation *invocation, gpointer data)
{
  FakeJob *job = data;

  fake_vmgrd_record (job->fake, invocation);
  vmgr_dbus_job_complete_cancel (object, invocation);
  if (job->kind == JOB_HANG)
    run (job);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

void
fake_vmgrd_start_job (FakeVmgrd *self, VmgrDBusVM *vm, const char *template, gboolean start)
{
  FakeJob *job = g_new0 (FakeJob, 1);
  g_autofree char *target = fake_vmgrd_vm_path (vmgr_dbus_vm_get_id (vm));

  for (gsize i = 0; i < G_N_ELEMENTS (job_templates); i++)
    if (g_str_equal (job_templates[i].template, template))
      job->kind = job_templates[i].kind;
  job->fake = self;
  job->path = g_strdup_printf ("/org/vmgr/job/%u", self->next_job++);
  job->vm_id = vmgr_dbus_vm_get_id (vm);
  job->start = start;
  job->object = vmgr_dbus_object_skeleton_new (job->path);
  job->job = vmgr_dbus_job_skeleton_new ();
  vmgr_dbus_job_set_operation (job->job, "provision");
  vmgr_dbus_job_set_target (job->job, target);
  vmgr_dbus_job_set_progress (job->job, 0.0);
  vmgr_dbus_job_set_started_by (job->job, 0);
  vmgr_dbus_job_set_cancellable (job->job, TRUE);
  g_signal_connect (job->job, "handle-cancel", G_CALLBACK (handle_cancel), job);
  vmgr_dbus_object_skeleton_set_job (job->object, job->job);
  g_dbus_object_manager_server_export (self->objects, G_DBUS_OBJECT_SKELETON (job->object));
  g_hash_table_insert (self->jobs, job->path, job);
  vmgr_dbus_vm_set_job (vm, job->path);
}

void
fake_vmgrd_run_jobs (FakeVmgrd *self)
{
  GHashTableIter iter;
  gpointer job;

  g_hash_table_iter_init (&iter, self->jobs);
  while (g_hash_table_iter_next (&iter, NULL, &job))
    if (((FakeJob *) job)->kind != JOB_HANG)
      run (job);
}
