/* The ledger: what is taken and what may still be given. It holds a copy
 * of every VM's spec (existing VMs and creations under way, which hold
 * their name, id and resources until they exist) and of every registered
 * customer's record, and answers the questions of quota accounting: is a
 * name or id taken, what do an owner's VMs use, may a VM have this spec.
 * The registry keeps it up to date as objects come, change and go; the
 * objects ask it. Plain data, no D-Bus, no libvirt. */
#pragma once

#include <glib.h>

#include "vmgr-limits.h"
#include "vmgr-records.h"

G_BEGIN_DECLS

typedef struct _VmgrLedger VmgrLedger;

/* @capabilities and @backend_name: what the backend can do (see
 * vmgr_limits_check_capabilities); copied. */
VmgrLedger *vmgr_ledger_new (const char * const *capabilities, const char *backend_name);
void vmgr_ledger_free (VmgrLedger *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VmgrLedger, vmgr_ledger_free)

void vmgr_ledger_set_capacity (VmgrLedger *self, const VmgrCapacity *capacity);
const VmgrCapacity *vmgr_ledger_get_capacity (VmgrLedger *self);

/* An existing VM, added or changed (the spec is copied). */
void vmgr_ledger_put_vm (VmgrLedger *self, const VmgrVmSpec *spec);
/* A removed VM's id is retired: never handed out again. */
void vmgr_ledger_remove_vm (VmgrLedger *self, guint32 id);
/* Retires @id (the ids of VMs deleted before vmgrd started). */
void vmgr_ledger_retire_vm_id (VmgrLedger *self, guint32 id);
gboolean vmgr_ledger_id_retired (VmgrLedger *self, guint32 id);
/* A VM restored from a backup takes its own retired id back (issue 13). */
void vmgr_ledger_unretire_vm_id (VmgrLedger *self, guint32 id);
/* The spec of an existing VM, or NULL. Valid until the VM changes. The
 * ledger keeps what it counts and what authorizing a call about the VM
 * reads: id, name, UUID, owner, plan, host, resources and autostart; the
 * template and network settings are NULL. */
const VmgrVmSpec *vmgr_ledger_get_vm (VmgrLedger *self, guint32 id);

/* A creation under way holds @spec's name, id and resources until it is
 * released (when the VM exists, or the creation failed). */
void vmgr_ledger_reserve (VmgrLedger *self, const VmgrVmSpec *spec);
void vmgr_ledger_release (VmgrLedger *self, guint32 id);
/* Whether a creation under way targets the host @host ("" the configured
 * one). */
gboolean vmgr_ledger_host_reserved (VmgrLedger *self, const char *host);

/* Whether an existing VM or a creation under way has the id, or the name
 * among the VMs of @owner (names are unique per owner). */
gboolean vmgr_ledger_name_taken (VmgrLedger *self, guint32 owner, const char *name);
gboolean vmgr_ledger_id_taken (VmgrLedger *self, guint32 id);
/* The lowest id from VMGR_VM_ID_FIRST neither taken nor retired. */
guint32 vmgr_ledger_next_vm_id (VmgrLedger *self);

/* A registered customer, added or changed (copied); and removed. */
void vmgr_ledger_put_customer (VmgrLedger *self, const VmgrCustomerInfo *info);
void vmgr_ledger_remove_customer (VmgrLedger *self, guint32 uid);
const VmgrCustomerInfo *vmgr_ledger_get_customer (VmgrLedger *self, guint32 uid);

/* What the VMs of @owner take, creations under way included (every VM
 * when @owner is G_MAXUINT32). */
VmgrAllocation vmgr_ledger_allocation (VmgrLedger *self, guint32 owner);
/* What the VMs on the configured host (spec->host "") take: what its
 * capacity (vmgr_ledger_set_capacity) is checked against. */
VmgrAllocation vmgr_ledger_configured_host_allocation (VmgrLedger *self);

/* How many snapshots VM @vm_id has (forgotten with the VM). */
void vmgr_ledger_set_snapshot_count (VmgrLedger *self, guint32 vm_id, guint count);
/* Snapshots of the VMs of @owner together. */
guint vmgr_ledger_snapshot_count (VmgrLedger *self, guint32 owner);
/* Whether @owner may have one snapshot more: QUOTA_EXCEEDED naming
 * max_snapshots when @owner is a registered customer at its quota. */
gboolean vmgr_ledger_check_new_snapshot (VmgrLedger *self, guint32 owner, GError **error);

/* Whether @spec (replacing @old, NULL for a new VM) is within what the
 * backend can do (and at least its minimums), what the host has left and
 * its owner's quota (when the owner is a registered customer). */
gboolean vmgr_ledger_check (VmgrLedger *self, const VmgrVmSpec *old, const VmgrVmSpec *spec,
                            GError **error);

/* ALREADY_EXISTS for a request of the retired @id. */
void vmgr_set_vm_id_retired_error (GError **error, guint32 id);

G_END_DECLS
