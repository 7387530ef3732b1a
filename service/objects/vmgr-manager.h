/* The exported org.vmgr.Manager at /org/vmgr/Manager. Its handlers live in
 * vmgr-manager-*.c by subject (see vmgr-manager-private.h). */
#pragma once

#include "vmgr-generated.h"
#include "vmgr-registry.h"

G_BEGIN_DECLS

#define VMGR_TYPE_MANAGER (vmgr_manager_get_type ())
G_DECLARE_FINAL_TYPE (VmgrManager, vmgr_manager, VMGR, MANAGER, VmgrDBusManagerSkeleton)

VmgrManager *vmgr_manager_new (const VmgrContext *context, VmgrRegistry *registry);
/* VmgrContext.check_host_capacity, with the Manager as its data. */
gboolean vmgr_manager_check_vm_capacity (gpointer manager, const VmgrVmSpec *old,
                                         const VmgrVmSpec *spec, GError **error);

G_END_DECLS
