/* Following org.vmgr.Job objects from a test: every job's Operation and
 * Target as it is announced (InterfacesAdded) and its Completed, recorded
 * from the moment the watch is made, so that a job that ends before the
 * test could read it is not missed. */
#pragma once

#include "vmgr-test-client.h"

G_BEGIN_DECLS

typedef struct _VmgrTestJobWatch VmgrTestJobWatch;

/* Watches the jobs @client's caller may see. */
VmgrTestJobWatch *vmgr_test_job_watch_new (VmgrTestClient *client);
void vmgr_test_job_watch_free (VmgrTestJobWatch *watch);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VmgrTestJobWatch, vmgr_test_job_watch_free)

/* Waits (at most @timeout_ms) for the job at @path to complete: "ok" or
 * its error message (owned by @watch). */
const char *vmgr_test_job_watch_wait (VmgrTestJobWatch *watch, const char *path,
                                      guint timeout_ms);

/* "OPERATION TARGET" of the job at @path as announced, or NULL. */
const char *vmgr_test_job_watch_announced (VmgrTestJobWatch *watch, const char *path);

G_END_DECLS
