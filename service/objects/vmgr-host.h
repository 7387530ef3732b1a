/* One exported org.vmgr.Host at /org/vmgr/host/NAME: a libvirt connection
 * vmgrd drives, its state, what it can do, what VMs may be given on it and
 * what they are given. Administrators only (see vmgr-auth-rules.c); it is
 * exported with an owner nobody has, so callers who may not see every VM
 * do not see it. */
#pragma once

#include "vmgr-context.h"
#include "vmgr-generated.h"
#include "vmgr-limits.h"

G_BEGIN_DECLS

#define VMGR_TYPE_HOST (vmgr_host_get_type ())
G_DECLARE_FINAL_TYPE (VmgrHost, vmgr_host, VMGR, HOST, VmgrDBusHostSkeleton)

/* The host @name reached through @backend (the host keeps a reference and
 * follows its connection state). The @configured host (the configuration
 * file's) shows @context's ledger, which holds its VMs; another one asks
 * its own libvirt for its capacity each time it connects. */
VmgrHost *vmgr_host_new (const VmgrContext *context, const char *name, VmgrBackend *backend,
                         gboolean configured);
gboolean vmgr_host_is_configured (VmgrHost *self);
const char *vmgr_host_get_name (VmgrHost *self);
VmgrBackend *vmgr_host_get_backend (VmgrHost *self);
/* Shows its capacity now (the configured host's is the ledger's). */
void vmgr_host_refresh (VmgrHost *self);
/* Shows what the VMs on it are given (the registry counts them). */
void vmgr_host_set_allocation (VmgrHost *self, const VmgrAllocation *allocation);

G_END_DECLS
