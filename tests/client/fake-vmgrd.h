/* A stand-in for vmgrd in vmgrctl's tests: the generated skeletons on a
 * private bus with canned data and state changes that follow a request
 * after a short delay, like the real daemon's signals after libvirt's
 * events. It records the last request so that tests can check what
 * vmgrctl sent.
 *
 * One file per area, as the tests (test-vmgrctl-*.c):
 *   fake-vmgrd.c            the daemon: the Manager object, the bus name,
 *                           recording requests
 *   fake-vmgrd-vms.c        VM objects, their lifecycle, FindVM, ListVMs,
 *                           CreateVM (provisioning)
 *   fake-vmgrd-jobs.c       provisioning in an org.vmgr.Job
 *   fake-vmgrd-settings.c   SetMemory, SetCpu, SetDisk, SetNetwork,
 *                           SetAutostart, SetOwner
 *   fake-vmgrd-stats-host.c GetStats, GetHostInfo
 *   fake-vmgrd-console.c    OpenConsole
 *   fake-vmgrd-snapshots.c  CreateSnapshot, the snapshots' Revert, Delete
 *   fake-vmgrd-backups.c    Backup, ListBackups, RestoreBackup, DeleteBackup
 *   fake-vmgrd-customers.c  Customer objects, AddCustomer, ListCustomers,
 *                           Contract
 *   fake-vmgrd-admin.c      templates, plans, the audit log */
#pragma once

#include "vmgr-generated.h"

G_BEGIN_DECLS

typedef struct {
  GDBusConnection *connection;
  GDBusObjectManagerServer *objects;
  VmgrDBusObjectSkeleton *manager_object;
  guint pending;              /* state changes still to come */

  /* fake-vmgrd-vms.c */
  GHashTable *vms;            /* id -> VmgrDBusObjectSkeleton */
  guint next_id;

  /* fake-vmgrd-jobs.c */
  GHashTable *jobs;           /* path -> its job */
  guint next_job;

  /* fake-vmgrd-stats-host.c */
  guint get_stats_calls;

  /* fake-vmgrd-console.c */
  int console_fd;             /* the fake's end of an open console, or -1 */
  guint console_source;

  /* fake-vmgrd-customers.c */
  GHashTable *customers;      /* uid -> VmgrDBusObjectSkeleton */

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
/* The customer with @uid (borrowed), or NULL. */
VmgrDBusCustomer *fake_vmgrd_get_customer (FakeVmgrd *self, guint uid);

/* ---- between the parts of the fake ---- */

/* fake-vmgrd.c */
void fake_vmgrd_record (FakeVmgrd *self, GDBusMethodInvocation *invocation);
/* Records the call and answers it with @complete (a generated
 * vmgr_dbus_manager_complete_*) and @value; returns TRUE (handled). */
typedef void (*FakeManagerComplete) (VmgrDBusManager *manager, GDBusMethodInvocation *invocation,
                                     GVariant *value);
gboolean fake_vmgrd_reply (FakeVmgrd *self, VmgrDBusManager *manager,
                           GDBusMethodInvocation *invocation, FakeManagerComplete complete,
                           GVariant *value);
/* The object paths (@path_of each key) of the keys of @table (uints), in
 * increasing order, NULL-terminated. */
GStrv fake_vmgrd_sorted_paths (GHashTable *table, char *(*path_of) (guint key));

/* fake-vmgrd-vms.c */
char *fake_vmgrd_vm_path (guint id);
void fake_vmgrd_add_vms (FakeVmgrd *self);
void fake_vmgrd_vms_connect_manager (FakeVmgrd *self, VmgrDBusManager *manager);
void fake_vmgrd_vms_clear (FakeVmgrd *self);
void fake_vmgrd_change_state_later (FakeVmgrd *self, VmgrDBusVM *vm, guint delay_ms,
                                    const char *state, const char *reason);
/* Unexports the VM @id and forgets it. */
void fake_vmgrd_remove_vm (FakeVmgrd *self, guint id);
/* Answers NotAuthorized for the VM "secret" ("You may not @verb VM
 * 'secret'.") and returns TRUE; FALSE for any other VM. */
gboolean fake_vmgrd_refuse_secret (VmgrDBusVM *vm, GDBusMethodInvocation *invocation,
                                   const char *verb);
/* A new VM @name from @template (provisioning, then stopped; then
 * running with @start; a "job-*" template provisions it in a job), its
 * path; NULL when the name is taken, @invocation then answered with
 * AlreadyExists. */
char *fake_vmgrd_provision (FakeVmgrd *self, GDBusMethodInvocation *invocation,
                            const char *name, const char *template, gboolean start);

/* fake-vmgrd-jobs.c: provisioning in an org.vmgr.Job, for the templates
 * "job-ok" (Progress 0, 0.5, 1, then the VM stopped and Completed(true)),
 * "job-fail" (0, 0.5, then the VM removed and Completed(false, "no space
 * left on device")), "job-vanish" (0, 0.5, then the VM stopped and the
 * job gone without Completed) and "job-hang" (0 until Cancel(), recorded:
 * then the VM removed and Completed(false, "cancelled")). A job stays at 0
 * until fake_vmgrd_run_jobs(), which the tests call once vmgrctl shows its
 * bar: vmgrctl follows it by then. */
gboolean fake_vmgrd_is_job_template (const char *template);
void fake_vmgrd_start_job (FakeVmgrd *self, VmgrDBusVM *vm, const char *template,
                           gboolean start);
void fake_vmgrd_run_jobs (FakeVmgrd *self);
void fake_vmgrd_jobs_init (FakeVmgrd *self);
void fake_vmgrd_jobs_clear (FakeVmgrd *self);

/* fake-vmgrd-settings.c: recorded and applied */
void fake_vmgrd_settings_connect_vm (FakeVmgrd *self, VmgrDBusVM *vm);

/* fake-vmgrd-stats-host.c */
void fake_vmgrd_stats_connect_vm (FakeVmgrd *self, VmgrDBusVM *vm);
void fake_vmgrd_host_connect_manager (FakeVmgrd *self, VmgrDBusManager *manager);

/* fake-vmgrd-snapshots.c */
void fake_vmgrd_snapshots_connect_vm (FakeVmgrd *self, VmgrDBusVM *vm);

/* fake-vmgrd-backups.c: backup and restore jobs wait for
 * fake_vmgrd_run_backup_jobs() (see the file's header). */
void fake_vmgrd_backups_connect_vm (FakeVmgrd *self, VmgrDBusVM *vm);
void fake_vmgrd_backups_connect_manager (FakeVmgrd *self, VmgrDBusManager *manager);
void fake_vmgrd_run_backup_jobs (FakeVmgrd *self);
void fake_vmgrd_backups_clear (FakeVmgrd *self);

/* fake-vmgrd-console.c: "db" has a console (it greets with "login: " and
 * echoes); the other VMs answer NotSupported. */
void fake_vmgrd_console_connect_vm (FakeVmgrd *self, VmgrDBusVM *vm);
void fake_vmgrd_console_clear (FakeVmgrd *self);

/* fake-vmgrd-customers.c */
void fake_vmgrd_add_customers (FakeVmgrd *self);
void fake_vmgrd_customers_connect_manager (FakeVmgrd *self, VmgrDBusManager *manager);
void fake_vmgrd_customers_clear (FakeVmgrd *self);

/* fake-vmgrd-admin.c: canned templates, plans and audit entries; the
 * changes are recorded only (SetPlan refuses a memory_limit of 0, as
 * vmgrd does). */
void fake_vmgrd_admin_connect_manager (FakeVmgrd *self, VmgrDBusManager *manager);

G_END_DECLS
