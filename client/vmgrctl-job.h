/* Following the job (org.vmgr.Job) that provisions a new VM: real
 * backends copy the guest's own files first, in a job that the VM's Job
 * property names while its State is "provisioning". */
#pragma once

#include "vmgrctl-context.h"

G_BEGIN_DECLS

/* When @vm is provisioning with a job: shows the job's progress on stderr
 * (see vmgrctl-progress.h) until it completes. Returns VMGRCTL_EXIT_OK
 * when the caller should go on waiting for the VM's state: there was no
 * job, it succeeded, or it went away without Completed (vmgrd left the
 * bus, ...). Otherwise prints why, in one line, and returns the exit
 * status: VMGRCTL_EXIT_FAILURE (the provisioning failed, or the VM went
 * away with the job), VMGRCTL_EXIT_INTERRUPTED (Ctrl-C; the job was asked
 * to cancel) or VMGRCTL_EXIT_TIMEOUT (@ctx's timeout passed; the job goes
 * on). Make the VM waiter first: it sees what happens meanwhile. */
int vmgrctl_follow_provisioning (VmgrctlContext *ctx, VmgrDBusVM *vm, const char *name);

G_END_DECLS
