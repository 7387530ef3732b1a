/* One exported org.vmgr.Snapshot at /org/vmgr/vm/ID/snapshot/NAME: what
 * libvirt keeps of one snapshot of VM ID, shown as properties. Its VM
 * answers Revert and Delete (see vmgr-vm-snapshots.c); the registry exports
 * it visible like that VM. */
#pragma once

#include "vmgr-backend.h"
#include "vmgr-generated.h"

G_BEGIN_DECLS

#define VMGR_TYPE_SNAPSHOT (vmgr_snapshot_get_type ())
G_DECLARE_FINAL_TYPE (VmgrSnapshot, vmgr_snapshot, VMGR, SNAPSHOT, VmgrDBusSnapshotSkeleton)

VmgrSnapshot *vmgr_snapshot_new (guint32 vm_id, const VmgrBackendSnapshot *info);
/* Shows @info (the same snapshot, listed again) in the properties. */
void vmgr_snapshot_update (VmgrSnapshot *self, const VmgrBackendSnapshot *info);
const char *vmgr_snapshot_get_path (VmgrSnapshot *self);
const char *vmgr_snapshot_get_name (VmgrSnapshot *self);
guint32 vmgr_snapshot_get_vm_id (VmgrSnapshot *self);

G_END_DECLS
