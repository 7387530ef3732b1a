/* The authorization table: every (interface, member) vmgrd answers, and
 * the polkit actions that decide it. Anything missing here is denied. */
#include "vmgr-auth.h"
#include "vmgr-names.h"

#define VIEW_OWN VMGR_ACTION_VIEW_OWN
#define VIEW_ANY VMGR_ACTION_VIEW_ANY
#define CONTROL_OWN VMGR_ACTION_CONTROL_OWN
#define CONTROL_ANY VMGR_ACTION_CONTROL_ANY
#define CONFIGURE VMGR_ACTION_CONFIGURE
#define CUSTOMERS_MANAGE VMGR_ACTION_CUSTOMERS_MANAGE
#define SNAPSHOT_OWN VMGR_ACTION_SNAPSHOT_OWN
#define SNAPSHOT_ANY VMGR_ACTION_SNAPSHOT_ANY

#define MANAGER VMGR_MANAGER_INTERFACE
#define VM VMGR_VM_INTERFACE
#define CUSTOMER VMGR_CUSTOMER_INTERFACE
#define JOB VMGR_JOB_INTERFACE
#define SNAPSHOT VMGR_SNAPSHOT_INTERFACE
#define HOST VMGR_HOST_INTERFACE
#define INTROSPECTABLE "org.freedesktop.DBus.Introspectable"
#define OBJECT_MANAGER "org.freedesktop.DBus.ObjectManager"
#define PEER "org.freedesktop.DBus.Peer"

static const VmgrAuthRule rules[] = {
  /* Catalogue and the caller's own view: results are filtered per caller. */
  { MANAGER, "ListVMs", VMGR_AUTH_PUBLIC, NULL, NULL },
  { MANAGER, "FindVM", VMGR_AUTH_PUBLIC, NULL, NULL },
  { MANAGER, "ListTemplates", VMGR_AUTH_PUBLIC, NULL, NULL },
  { MANAGER, "ListPlans", VMGR_AUTH_PUBLIC, NULL, NULL },
  /* Denied callers still get their own entries (see vmgr-manager.c). */
  { MANAGER, "QueryAudit", VMGR_AUTH_READ, NULL, VMGR_ACTION_AUDIT_READ },
  { MANAGER, "QueryAuditRecords", VMGR_AUTH_READ, NULL, VMGR_ACTION_AUDIT_READ },
  { MANAGER, "ListCustomers", VMGR_AUTH_PUBLIC, NULL, NULL },
  { MANAGER, "CreateVM", VMGR_AUTH_MUTATION, NULL, VMGR_ACTION_CREATE },
  { MANAGER, "Contract", VMGR_AUTH_MUTATION, NULL, VMGR_ACTION_CONTRACT },
  { MANAGER, "AddCustomer", VMGR_AUTH_MUTATION, NULL, CUSTOMERS_MANAGE },
  { MANAGER, "GetHostInfo", VMGR_AUTH_READ, NULL, VIEW_ANY },
  /* Answers about the caller only: which actions it holds. */
  { MANAGER, "GetPermissions", VMGR_AUTH_PUBLIC, NULL, NULL },
  { MANAGER, "AddTemplate", VMGR_AUTH_MUTATION, NULL, VMGR_ACTION_TEMPLATES_MANAGE },
  { MANAGER, "RemoveTemplate", VMGR_AUTH_MUTATION, NULL, VMGR_ACTION_TEMPLATES_MANAGE },
  { MANAGER, "SetPlan", VMGR_AUTH_MUTATION, NULL, VMGR_ACTION_PLANS_MANAGE },
  { MANAGER, "RemovePlan", VMGR_AUTH_MUTATION, NULL, VMGR_ACTION_PLANS_MANAGE },
  { MANAGER, "ListUnmanagedDomains", VMGR_AUTH_READ, NULL, VMGR_ACTION_ADOPT },
  { MANAGER, "AdoptVM", VMGR_AUTH_MUTATION, NULL, VMGR_ACTION_ADOPT },
  /* An administrator's verb: the source is looked up only once allowed. */
  { MANAGER, "CloneVM", VMGR_AUTH_MUTATION, NULL, VMGR_ACTION_CLONE },
  /* Backups (issue 13): administrators only. */
  { MANAGER, "ListBackups", VMGR_AUTH_READ, NULL, VMGR_ACTION_BACKUP },
  { MANAGER, "DeleteBackup", VMGR_AUTH_MUTATION, NULL, VMGR_ACTION_BACKUP },
  { MANAGER, "RestoreBackup", VMGR_AUTH_MUTATION, NULL, VMGR_ACTION_RESTORE },

  { VM, "Start", VMGR_AUTH_MUTATION, CONTROL_OWN, CONTROL_ANY },
  { VM, "Shutdown", VMGR_AUTH_MUTATION, CONTROL_OWN, CONTROL_ANY },
  { VM, "Stop", VMGR_AUTH_MUTATION, CONTROL_OWN, CONTROL_ANY },
  { VM, "Restart", VMGR_AUTH_MUTATION, CONTROL_OWN, CONTROL_ANY },
  { VM, "Suspend", VMGR_AUTH_MUTATION, CONTROL_OWN, CONTROL_ANY },
  { VM, "Save", VMGR_AUTH_MUTATION, CONTROL_OWN, CONTROL_ANY },
  { VM, "Resume", VMGR_AUTH_MUTATION, CONTROL_OWN, CONTROL_ANY },
  { VM, "Delete", VMGR_AUTH_MUTATION, NULL, VMGR_ACTION_DELETE },
  { VM, "CreateSnapshot", VMGR_AUTH_MUTATION, SNAPSHOT_OWN, SNAPSHOT_ANY },
  { VM, "Backup", VMGR_AUTH_MUTATION, NULL, VMGR_ACTION_BACKUP },
  { VM, "Migrate", VMGR_AUTH_MUTATION, NULL, VMGR_ACTION_MIGRATE },
  { VM, "SetMemory", VMGR_AUTH_MUTATION, NULL, CONFIGURE },
  { VM, "SetCpu", VMGR_AUTH_MUTATION, NULL, CONFIGURE },
  { VM, "SetDisk", VMGR_AUTH_MUTATION, NULL, CONFIGURE },
  { VM, "SetNetwork", VMGR_AUTH_MUTATION, NULL, CONFIGURE },
  { VM, "SetAutostart", VMGR_AUTH_MUTATION, NULL, CONFIGURE },
  { VM, "SetOwner", VMGR_AUTH_MUTATION, NULL, CONFIGURE },
  { VM, "GetStats", VMGR_AUTH_READ, VIEW_OWN, VIEW_ANY },
  { VM, "GetUsageHistory", VMGR_AUTH_READ, VIEW_OWN, VIEW_ANY },
  { VM, "OpenConsole", VMGR_AUTH_MUTATION, VMGR_ACTION_CONSOLE_OWN, VMGR_ACTION_CONSOLE_ANY },

  /* Property reads (answered by vmgr-dispatch.c) are keyed by the
   * interface whose properties are read and the Properties member. A VM's
   * are views of that VM; the Manager's are public. Set is in no row: every
   * property is read-only. */
  { MANAGER, "Get", VMGR_AUTH_PUBLIC, NULL, NULL },
  { MANAGER, "GetAll", VMGR_AUTH_PUBLIC, NULL, NULL },
  { VM, "Get", VMGR_AUTH_READ, VIEW_OWN, VIEW_ANY },
  { VM, "GetAll", VMGR_AUTH_READ, VIEW_OWN, VIEW_ANY },
  /* A customer reads its own record; administrators manage all. */
  { CUSTOMER, "Get", VMGR_AUTH_READ, VIEW_OWN, CUSTOMERS_MANAGE },
  { CUSTOMER, "GetAll", VMGR_AUTH_READ, VIEW_OWN, CUSTOMERS_MANAGE },
  { CUSTOMER, "Update", VMGR_AUTH_MUTATION, NULL, CUSTOMERS_MANAGE },
  { CUSTOMER, "Suspend", VMGR_AUTH_MUTATION, NULL, CUSTOMERS_MANAGE },
  { CUSTOMER, "Unsuspend", VMGR_AUTH_MUTATION, NULL, CUSTOMERS_MANAGE },
  { CUSTOMER, "Remove", VMGR_AUTH_MUTATION, NULL, CUSTOMERS_MANAGE },
  /* A job is decided as its target VM: its owner sees it and may cancel. */
  { JOB, "Get", VMGR_AUTH_READ, VIEW_OWN, VIEW_ANY },
  { JOB, "GetAll", VMGR_AUTH_READ, VIEW_OWN, VIEW_ANY },
  { JOB, "Cancel", VMGR_AUTH_MUTATION, CONTROL_OWN, VMGR_ACTION_CREATE },
  /* A snapshot is decided as its VM: who sees the VM sees its snapshots. */
  { SNAPSHOT, "Get", VMGR_AUTH_READ, VIEW_OWN, VIEW_ANY },
  { SNAPSHOT, "GetAll", VMGR_AUTH_READ, VIEW_OWN, VIEW_ANY },
  { SNAPSHOT, "Revert", VMGR_AUTH_MUTATION, SNAPSHOT_OWN, SNAPSHOT_ANY },
  { SNAPSHOT, "Delete", VMGR_AUTH_MUTATION, SNAPSHOT_OWN, SNAPSHOT_ANY },
  /* Hosts (issue 14): administrators only; customers do not see them. */
  { MANAGER, "AddHost", VMGR_AUTH_MUTATION, NULL, VMGR_ACTION_HOSTS_MANAGE },
  { MANAGER, "RemoveHost", VMGR_AUTH_MUTATION, NULL, VMGR_ACTION_HOSTS_MANAGE },
  { HOST, "Get", VMGR_AUTH_READ, NULL, VMGR_ACTION_HOSTS_MANAGE },
  { HOST, "GetAll", VMGR_AUTH_READ, NULL, VMGR_ACTION_HOSTS_MANAGE },
  { INTROSPECTABLE, "Introspect", VMGR_AUTH_PUBLIC, NULL, NULL },
  { OBJECT_MANAGER, "GetManagedObjects", VMGR_AUTH_PUBLIC, NULL, NULL },
  { PEER, "Ping", VMGR_AUTH_PUBLIC, NULL, NULL },
  { PEER, "GetMachineId", VMGR_AUTH_PUBLIC, NULL, NULL },
  { NULL, NULL, VMGR_AUTH_PUBLIC, NULL, NULL },
};

const VmgrAuthRule *
vmgr_auth_lookup_rule (const char *interface, const char *member)
{
  for (const VmgrAuthRule *rule = rules; rule->interface != NULL; rule++)
    if (g_strcmp0 (rule->interface, interface) == 0 && g_strcmp0 (rule->member, member) == 0)
      return rule;
  return NULL;
}
