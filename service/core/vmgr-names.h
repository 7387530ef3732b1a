/* The names vmgrd is reached by: its bus name, the interfaces, the object
 * paths (with helpers to build and read them) and the polkit action ids.
 * Everything else refers to these instead of spelling them out. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define VMGR_BUS_NAME "org.vmgr"

#define VMGR_MANAGER_INTERFACE "org.vmgr.Manager"
#define VMGR_VM_INTERFACE "org.vmgr.VM"
#define VMGR_CUSTOMER_INTERFACE "org.vmgr.Customer"
#define VMGR_JOB_INTERFACE "org.vmgr.Job"
#define VMGR_SNAPSHOT_INTERFACE "org.vmgr.Snapshot"
#define VMGR_HOST_INTERFACE "org.vmgr.Host"

#define VMGR_ROOT_PATH "/org/vmgr"            /* the ObjectManager */
#define VMGR_MANAGER_PATH "/org/vmgr/Manager"
#define VMGR_VM_PATH_PREFIX "/org/vmgr/vm/"
#define VMGR_CUSTOMER_PATH_PREFIX "/org/vmgr/customer/"
#define VMGR_JOB_PATH_PREFIX "/org/vmgr/job/"
#define VMGR_HOST_PATH_PREFIX "/org/vmgr/host/"
#define VMGR_SNAPSHOT_PATH_ELEMENT "/snapshot/"  /* /org/vmgr/vm/ID/snapshot/NAME */

/* polkit actions (polkit/org.vmgr.policy defines exactly these). */
#define VMGR_ACTION_VIEW_OWN "org.vmgr.vm.view-own"
#define VMGR_ACTION_VIEW_ANY "org.vmgr.vm.view-any"
#define VMGR_ACTION_CONTROL_OWN "org.vmgr.vm.control-own"
#define VMGR_ACTION_CONTROL_ANY "org.vmgr.vm.control-any"
#define VMGR_ACTION_CONSOLE_OWN "org.vmgr.vm.console-own"
#define VMGR_ACTION_CONSOLE_ANY "org.vmgr.vm.console-any"
#define VMGR_ACTION_SNAPSHOT_OWN "org.vmgr.vm.snapshot-own"
#define VMGR_ACTION_SNAPSHOT_ANY "org.vmgr.vm.snapshot-any"
#define VMGR_ACTION_CONFIGURE "org.vmgr.vm.configure"
#define VMGR_ACTION_CREATE "org.vmgr.vm.create"
#define VMGR_ACTION_DELETE "org.vmgr.vm.delete"
#define VMGR_ACTION_CONTRACT "org.vmgr.contract"
#define VMGR_ACTION_TEMPLATES_MANAGE "org.vmgr.templates.manage"
#define VMGR_ACTION_PLANS_MANAGE "org.vmgr.plans.manage"
#define VMGR_ACTION_CUSTOMERS_MANAGE "org.vmgr.customers.manage"
#define VMGR_ACTION_AUDIT_READ "org.vmgr.audit.read"
#define VMGR_ACTION_ADOPT "org.vmgr.vm.adopt"
#define VMGR_ACTION_CLONE "org.vmgr.vm.clone"
/* Backups and restore (issue 13). */
#define VMGR_ACTION_BACKUP "org.vmgr.vm.backup"
#define VMGR_ACTION_RESTORE "org.vmgr.vm.restore"
#define VMGR_ACTION_HOSTS_MANAGE "org.vmgr.hosts.manage"
/* Moving a VM to another host (issue 14). */
#define VMGR_ACTION_MIGRATE "org.vmgr.vm.migrate"

/* /org/vmgr/vm/ID, /org/vmgr/customer/UID, /org/vmgr/job/N */
char *vmgr_vm_path (guint32 id);
char *vmgr_customer_path (guint32 uid);
char *vmgr_job_path (guint32 number);
/* /org/vmgr/host/NAME (a host name is its path element as it is). */
char *vmgr_host_path (const char *name);
/* /org/vmgr/vm/ID/snapshot/NAME (@name already valid as a path element) */
char *vmgr_snapshot_path (guint32 vm_id, const char *name);
/* Whether @path has the shape of a snapshot's path (below a VM's). */
gboolean vmgr_is_snapshot_path (const char *path);

/* The id in a VM path, or 0 when @path is not one. */
guint32 vmgr_vm_id_from_path (const char *path);
/* Whether @path is a customer path; its uid in @uid. */
gboolean vmgr_customer_uid_from_path (const char *path, guint32 *uid);
/* Whether @path is below /org/vmgr/ and names an object of one tenant (a
 * VM, a snapshot, a customer or a job), whose visibility depends on the caller. */
gboolean vmgr_is_tenant_path (const char *path);
/* The interface of the objects under a tenant path (org.vmgr.VM under
 * /org/vmgr/vm/, org.vmgr.Snapshot below a VM's path, ...), or NULL. */
const char *vmgr_tenant_interface (const char *path);

G_END_DECLS
