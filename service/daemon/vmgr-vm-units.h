/* VM states as systemd units: keeps vmgr-vm@ID.target active exactly while
 * VM ID is up (running, paused or shutting down), and starts
 * vmgr-vm-crashed@ID.target once each time a VM crashes or stops without
 * having been asked to through vmgr. It follows the VMs of the registry
 * (their state-changed signals) and asks systemd (VmgrSystemd); when
 * systemd's manager appears it reconciles the targets that are active
 * (ListUnitsByPatterns) with the VMs. Where systemd is absent it says so
 * once and does nothing; nothing it does can fail a VM operation. */
#pragma once

#include "vmgr-registry.h"
#include "vmgr-systemd.h"

G_BEGIN_DECLS

#define VMGR_VM_UNIT_PREFIX "vmgr-vm"
#define VMGR_VM_CRASHED_UNIT_PREFIX "vmgr-vm-crashed"

#define VMGR_TYPE_VM_UNITS (vmgr_vm_units_get_type ())
G_DECLARE_FINAL_TYPE (VmgrVmUnits, vmgr_vm_units, VMGR, VM_UNITS, GObject)

/* Follows every VM of @registry, now and later. */
VmgrVmUnits *vmgr_vm_units_new (VmgrRegistry *registry, VmgrSystemd *systemd);

/* vmgr-vm@ID.target, vmgr-vm-crashed@ID.target: the instance is the VM's
 * id, escaped as systemd does. */
char *vmgr_vm_units_target (guint32 vm_id);
char *vmgr_vm_units_crashed_target (guint32 vm_id);

G_END_DECLS
