/* One exported org.vmgr.VM: the VM's properties (the cache clients read),
 * its lifecycle and configuration methods.
 *
 * Signals: "changed" (guint old_owner) after its spec changed (resources,
 * network, owner, ...); "deleted" () once it is gone from libvirt, the
 * store and the disk; "snapshot-added" and "snapshot-removed"
 * (VmgrSnapshot *) as its snapshots come and go. */
#pragma once

#include "vmgr-context.h"
#include "vmgr-generated.h"
#include "vmgr-job.h"
#include "vmgr-records.h"

G_BEGIN_DECLS

#define VMGR_TYPE_VM (vmgr_vm_get_type ())
G_DECLARE_FINAL_TYPE (VmgrVm, vmgr_vm, VMGR, VM, VmgrDBusVMSkeleton)

VmgrVm *vmgr_vm_new (const VmgrContext *context, const VmgrVmSpec *spec, VmgrVmState state,
                     const char *reason);

const VmgrVmSpec *vmgr_vm_get_spec (VmgrVm *self);
char *vmgr_vm_dup_path (VmgrVm *self);
VmgrVmState vmgr_vm_get_state (VmgrVm *self);

/* Whether the VM is going down because it was asked to through vmgr
 * (Shutdown, Stop, Delete) rather than by itself or behind vmgr's back.
 * Still TRUE while the "stopped" state is announced. */
gboolean vmgr_vm_stop_requested (VmgrVm *self);

/* A state reported by libvirt (event or reconciliation). */
void vmgr_vm_apply_state (VmgrVm *self, VmgrVmState state, const char *reason);

/* Provisioning is over: the VM is defined and stopped, its job gone. */
void vmgr_vm_provisioned (VmgrVm *self);

/* The long operation running on the VM ("/" when none). */
void vmgr_vm_set_job (VmgrVm *self, const char *job_path);

/* A usage sample from the backend: updates Usage (and warns about the disk
 * soft limit); returns the new Usage (a new reference). */
GVariant *vmgr_vm_apply_sample (VmgrVm *self, const VmgrDomainStats *stats);

/* Lists the snapshots libvirt keeps of the VM (at daemon start) and
 * announces them. */
void vmgr_vm_load_snapshots (VmgrVm *self);

/* Exports a new job about VM @vm_id and returns it (borrowed): how the
 * registry lends its vmgr_registry_start_job to a VM's method. */
typedef VmgrJob *(*VmgrVmStartJob) (gpointer data, guint32 vm_id, guint32 owner,
                                    const char *operation, guint32 started_by);

/* VM.Backup (vmgr-vm-backup.c), called by the registry's handler of
 * "handle-backup" with its job starter. */
gboolean vmgr_vm_handle_backup (VmgrVm *self, GDBusMethodInvocation *invocation,
                                GVariant *options, VmgrVmStartJob start_job,
                                gpointer start_job_data);

/* VM.Migrate (vmgr-vm-migrate.c), called by the registry's handler of
 * "handle-migrate" with its job starter. */
gboolean vmgr_vm_handle_migrate (VmgrVm *self, GDBusMethodInvocation *invocation,
                                 const char *host, GVariant *options,
                                 VmgrVmStartJob start_job, gpointer start_job_data);

/* Its libvirt domain is missing and being defined again (after vmgrd
 * started): while TRUE it is unknown ("defining") and what needs libvirt
 * is refused as BUSY; FALSE makes it stopped ("defined"). */
void vmgr_vm_set_defining (VmgrVm *self, gboolean defining);

/* Starts the VM on behalf of the daemon (autostart), without a caller. */
void vmgr_vm_autostart (VmgrVm *self);

G_END_DECLS
