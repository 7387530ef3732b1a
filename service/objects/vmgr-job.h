/* One exported org.vmgr.Job at /org/vmgr/job/N: a long operation on a VM
 * (provisioning) with progress, Cancel and a Completed signal, after which
 * it emits "finished" () and the registry removes it. Seen by the target
 * VM's owner and by whoever may see any VM (the caller who started it is
 * one of those). */
#pragma once

#include "vmgr-context.h"
#include "vmgr-generated.h"

G_BEGIN_DECLS

#define VMGR_TYPE_JOB (vmgr_job_get_type ())
G_DECLARE_FINAL_TYPE (VmgrJob, vmgr_job, VMGR, JOB, VmgrDBusJobSkeleton)

VmgrJob *vmgr_job_new (const VmgrContext *context, const char *path, guint32 vm_id,
                       const char *operation, guint32 started_by);
const char *vmgr_job_get_path (VmgrJob *self);
guint32 vmgr_job_get_vm_id (VmgrJob *self);
/* Cancelled by Cancel(). */
GCancellable *vmgr_job_get_cancellable (VmgrJob *self);
/* Thread-safe: may be called from the worker doing the job, as often as
 * it likes: Progress shows the latest value, at most 10 times a second. */
void vmgr_job_set_progress (VmgrJob *self, double progress);
/* Emits Completed(success, error), then "finished". */
void vmgr_job_complete (VmgrJob *self, const GError *error);

G_END_DECLS
