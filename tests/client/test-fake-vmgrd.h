/* A stand-in for vmgrd in vmgrctl's tests: the generated skeletons on a
 * private bus with canned data and state changes that follow a request
 * after a short delay, like the real daemon's signals after libvirt's
 * events. It records the last request so that tests can check what
 * vmgrctl sent. */
#pragma once

#include "vmgr-generated.h"

G_BEGIN_DECLS

typedef struct {
  GDBusConnection *connection;
  GDBusObjectManagerServer *objects;
  VmgrDBusObjectSkeleton *manager_object;
  GHashTable *vms;  /* id -> VmgrDBusObjectSkeleton */
  guint next_id;
  guint pending;    /* state changes still to come */

  /* test-fake-vmgrd-extras.c */
  GHashTable *customers;      /* uid -> VmgrDBusObjectSkeleton */
  guint get_stats_calls;
  int console_fd;             /* the fake's end of an open console, or -1 */
  guint console_source;

  /* test-fake-vmgrd-jobs.c */
  GHashTable *jobs;           /* path -> its job */
  guint next_job;

  /* The last request. */
  char *last_method;
  gboolean last_interactive;  /* carried ALLOW_INTERACTIVE_AUTHORIZATION */
  GVariant *last_args;        /* its parameters */
} FakeVmgrd;

/* Exports the Manager and VMs "web" (101, stopped), "db" (102, running),
 * "secret" (103: every request is NotAuthorized) and "stuck" (104: Start
 * never finishes), the customer alice (uid 1000), and owns org.vmgr on
 * @connection. */
FakeVmgrd *fake_vmgrd_new (GDBusConnection *connection);
/* Lets the pending state changes happen first. */
void fake_vmgrd_free (FakeVmgrd *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (FakeVmgrd, fake_vmgrd_free)

/* The VM named @name (borrowed), or NULL. */
VmgrDBusVM *fake_vmgrd_get_vm (FakeVmgrd *self, const char *name);

/* For test-fake-vmgrd-extras.c. */
void fake_vmgrd_record (FakeVmgrd *self, GDBusMethodInvocation *invocation);
void fake_vmgrd_change_state_later (FakeVmgrd *self, VmgrDBusVM *vm, guint delay_ms,
                                    const char *state, const char *reason);
/* Records the call and answers it with @complete (a generated
 * vmgr_dbus_manager_complete_*) and @value; returns TRUE (handled). */
typedef void (*FakeManagerComplete) (VmgrDBusManager *manager, GDBusMethodInvocation *invocation,
                                     GVariant *value);
gboolean fake_vmgrd_reply (FakeVmgrd *self, VmgrDBusManager *manager,
                           GDBusMethodInvocation *invocation, FakeManagerComplete complete,
                           GVariant *value);
/* A new VM @name from @template (provisioning, then stopped; then
 * running with @start; a "job-*" template provisions it in a job), its
 * path; NULL when the name is taken. */
char *fake_vmgrd_provision (FakeVmgrd *self, const char *name, const char *template,
                            gboolean start);

/* test-fake-vmgrd-extras.c: settings, GetStats and OpenConsole on VMs
 * ("db" has a console: it greets with "login: " and echoes; the others
 * answer NotSupported), and GetHostInfo, Contract and customers. */
void fake_vmgrd_connect_vm_extras (FakeVmgrd *self, VmgrDBusVM *vm);
void fake_vmgrd_connect_manager_extras (FakeVmgrd *self, VmgrDBusManager *manager);
void fake_vmgrd_add_customers (FakeVmgrd *self);
void fake_vmgrd_extras_clear (FakeVmgrd *self);
/* The customer with @uid (borrowed), or NULL. */
VmgrDBusCustomer *fake_vmgrd_get_customer (FakeVmgrd *self, guint uid);

/* test-fake-vmgrd-jobs.c: provisioning in an org.vmgr.Job, for the
 * templates "job-ok" (Progress 0, 0.5, 1, then the VM stopped and
 * Completed(true)), "job-fail" (0, 0.5, then the VM removed and
 * Completed(false, "no space left on device")), "job-vanish" (0, 0.5,
 * then the VM stopped and the job gone without Completed) and "job-hang"
 * (0 until Cancel(), recorded: then the VM removed and Completed(false,
 * "cancelled")). A job stays at 0 until fake_vmgrd_run_jobs(), which the
 * tests call once vmgrctl shows its bar: vmgrctl follows it by then. */
gboolean fake_vmgrd_is_job_template (const char *template);
void fake_vmgrd_start_job (FakeVmgrd *self, VmgrDBusVM *vm, const char *template,
                           gboolean start);
void fake_vmgrd_run_jobs (FakeVmgrd *self);
void fake_vmgrd_jobs_init (FakeVmgrd *self);
void fake_vmgrd_jobs_clear (FakeVmgrd *self);

G_END_DECLS
