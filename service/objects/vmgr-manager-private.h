/* What the parts of the Manager share: the object and its handlers, one
 * file per subject:
 *   vmgr-manager.c            the object, ListVMs, FindVM
 *   vmgr-manager-create.c     CreateVM (and Contract's creation)
 *   vmgr-manager-catalog.c    templates and plans
 *   vmgr-manager-customers.c  AddCustomer, ListCustomers, Contract
 *   vmgr-manager-host.c       GetHostInfo
 *   vmgr-manager-hosts.c      AddHost, RemoveHost
 *   vmgr-manager-permissions.c GetPermissions
 *   vmgr-manager-audit.c      QueryAudit
 *   vmgr-manager-adopt.c      ListUnmanagedDomains, AdoptVM
 *   vmgr-manager-clone.c      CloneVM
 *   vmgr-manager-backups.c    ListBackups, DeleteBackup
 *   vmgr-manager-restore.c    RestoreBackup */
#pragma once

#include "vmgr-manager.h"
#include "vmgr-validate.h"

G_BEGIN_DECLS

struct _VmgrManager {
  VmgrDBusManagerSkeleton parent_instance;
  const VmgrContext *context;
  VmgrRegistry *registry;   /* not owned: the daemon outlives the Manager */
};

gboolean vmgr_manager_handle_create_vm (VmgrDBusManager *object, GDBusMethodInvocation *invocation,
                                        const char *name, const char *template_name,
                                        const char *plan, GVariant *options);
gboolean vmgr_manager_handle_list_templates (VmgrDBusManager *object,
                                             GDBusMethodInvocation *invocation);
gboolean vmgr_manager_handle_add_template (VmgrDBusManager *object,
                                           GDBusMethodInvocation *invocation,
                                           const char *name, GVariant *props);
gboolean vmgr_manager_handle_remove_template (VmgrDBusManager *object,
                                              GDBusMethodInvocation *invocation,
                                              const char *name);
gboolean vmgr_manager_handle_list_plans (VmgrDBusManager *object,
                                         GDBusMethodInvocation *invocation);
gboolean vmgr_manager_handle_set_plan (VmgrDBusManager *object, GDBusMethodInvocation *invocation,
                                       const char *name, GVariant *limits);
gboolean vmgr_manager_handle_remove_plan (VmgrDBusManager *object,
                                          GDBusMethodInvocation *invocation, const char *name);

gboolean vmgr_manager_handle_add_customer (VmgrDBusManager *object,
                                           GDBusMethodInvocation *invocation, guint uid,
                                           GVariant *info);
gboolean vmgr_manager_handle_list_customers (VmgrDBusManager *object,
                                             GDBusMethodInvocation *invocation);
gboolean vmgr_manager_handle_contract (VmgrDBusManager *object, GDBusMethodInvocation *invocation,
                                       const char *plan, const char *template_name,
                                       const char *name);
gboolean vmgr_manager_handle_get_host_info (VmgrDBusManager *object,
                                            GDBusMethodInvocation *invocation);
gboolean vmgr_manager_handle_add_host (VmgrDBusManager *object, GDBusMethodInvocation *invocation,
                                       const char *name, const char *uri, GVariant *options);
gboolean vmgr_manager_handle_remove_host (VmgrDBusManager *object,
                                          GDBusMethodInvocation *invocation, const char *name);
/* Where a new VM goes without the option host: of the configured host and
 * the connected hosts its template fits (vmgr_manager_host_fits), the one
 * with the most memory free (the configured one on a tie); "" for the
 * configured host (also when none fits). */
const char *vmgr_manager_pick_host (VmgrManager *self, const VmgrVmSpec *spec);
/* Whether VMs of the template at @source can go on @host: its driver
 * fits the template's files (else INVALID_ARGUMENT), and an added host
 * that gets files is connected (INVALID_STATE) with its pool
 * (NOT_SUPPORTED). */
gboolean vmgr_manager_host_fits (VmgrHost *host, const char *source, GError **error);
/* A new VM on a host other than the configured one against that host's
 * Capacity and Allocation (the ledger checks the configured host's). */
gboolean vmgr_manager_check_host_capacity (VmgrManager *self, const VmgrVmSpec *spec,
                                           GError **error);
gboolean vmgr_manager_handle_get_permissions (VmgrDBusManager *object,
                                              GDBusMethodInvocation *invocation);

/* Creates a VM for an allowed call (takes @grant and @options): resolves
 * the template and plan, checks limits and quotas, defines, stores,
 * exports, replies with the path. */
void vmgr_manager_create_vm (VmgrManager *self, GDBusMethodInvocation *invocation,
                             VmgrGrant *grant, const char *name, const char *template_name,
                             const char *plan, VmgrOptions *options);

/* The checks every new VM passes, CreateVM's and CloneVM's: @spec's name
 * is free for its owner; it gets @options' id (when given and free) or
 * the next one; @plan (may be NULL) and @options apply; capacity and the
 * owner's quota allow it. Returns its domain definition, or NULL. */
char *vmgr_manager_admit_new_vm (VmgrManager *self, guint32 caller_uid, VmgrVmSpec *spec,
                                 const VmgrPlan *plan, const VmgrOptions *options,
                                 GError **error);

gboolean vmgr_manager_handle_clone_vm (VmgrDBusManager *object, GDBusMethodInvocation *invocation,
                                       const char *source, const char *name, GVariant *options);

/* Returns @error to @invocation (when set) or the value; audits a grant. */
void vmgr_manager_finish (VmgrManager *self, GDBusMethodInvocation *invocation,
                          const VmgrGrant *grant, GVariant *value, const GError *error);

gboolean vmgr_manager_handle_list_unmanaged_domains (VmgrDBusManager *object,
                                                     GDBusMethodInvocation *invocation);
gboolean vmgr_manager_handle_adopt_vm (VmgrDBusManager *object, GDBusMethodInvocation *invocation,
                                       const char *domain, const char *name, GVariant *options);

gboolean vmgr_manager_handle_query_audit (VmgrDBusManager *object,
                                          GDBusMethodInvocation *invocation, GVariant *filter);
gboolean vmgr_manager_handle_query_audit_records (VmgrDBusManager *object,
                                                  GDBusMethodInvocation *invocation,
                                                  GVariant *filter);

/* Backups (issue 13): vmgr-manager-backups.c and vmgr-manager-restore.c. */
gboolean vmgr_manager_handle_list_backups (VmgrDBusManager *object,
                                           GDBusMethodInvocation *invocation);
gboolean vmgr_manager_handle_delete_backup (VmgrDBusManager *object,
                                            GDBusMethodInvocation *invocation,
                                            const char *archive);
gboolean vmgr_manager_handle_restore_backup (VmgrDBusManager *object,
                                             GDBusMethodInvocation *invocation,
                                             const char *archive, const char *name,
                                             GVariant *options);

G_END_DECLS
