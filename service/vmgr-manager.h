/* The exported org.vmgr.Manager at /org/vmgr/Manager. Its handlers live in
 * vmgr-manager.c (VMs and audit), vmgr-catalog.c (templates and plans) and
 * vmgr-create.c (CreateVM). */
#pragma once

#include "vmgr-daemon.h"
#include "vmgr-generated.h"
#include "vmgr-validate.h"

G_BEGIN_DECLS

#define VMGR_TYPE_MANAGER (vmgr_manager_get_type ())
G_DECLARE_FINAL_TYPE (VmgrManager, vmgr_manager, VMGR, MANAGER, VmgrDBusManagerSkeleton)

VmgrManager *vmgr_manager_new (VmgrDaemon *daemon);
VmgrDaemon *vmgr_manager_get_daemon (VmgrManager *self);

/* Handlers implemented in the other files. */
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

/* Creates a VM for an allowed call (takes @grant and @options): resolves
 * the template and plan, checks limits and quotas, defines, stores,
 * exports, replies with the path. */
void vmgr_manager_create_vm (VmgrManager *self, GDBusMethodInvocation *invocation,
                             VmgrGrant *grant, const char *name, const char *template_name,
                             const char *plan, VmgrOptions *options);

/* Returns @error to @invocation (when set) or the value; audits a grant. */
void vmgr_manager_finish (VmgrManager *self, GDBusMethodInvocation *invocation,
                          const VmgrGrant *grant, GVariant *value, const GError *error);

G_END_DECLS
