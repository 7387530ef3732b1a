/* The exported org.vmgr.Manager at /org/vmgr/Manager. Its handlers live in
 * vmgr-manager-*.c by subject (see vmgr-manager-private.h). */
#pragma once

#include "vmgr-generated.h"
#include "vmgr-registry.h"

G_BEGIN_DECLS

#define VMGR_TYPE_MANAGER (vmgr_manager_get_type ())
G_DECLARE_FINAL_TYPE (VmgrManager, vmgr_manager, VMGR, MANAGER, VmgrDBusManagerSkeleton)

VmgrManager *vmgr_manager_new (const VmgrContext *context, VmgrRegistry *registry);

G_END_DECLS
