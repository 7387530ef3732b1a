/* The registry of exported objects: every VM, snapshot, customer and job
 * and host object by its key, exported on the ObjectManager at /org/vmgr. It keeps the ledger
 * in step with the objects (they announce their changes and their end with
 * signals; the registry listens) and tells who owns each path.
 *
 * Signals (for the dispatcher, wired by the daemon):
 *   "object-added" (const char *path, guint owner): before it is exported
 *   "object-removing" (const char *path): before it is unexported
 *   "owner-changed" (const char *path, guint old_owner, guint new_owner)
 *   "host-added" (VmgrHost *host), "host-removed" (VmgrHost *host): after */
#pragma once

#include "vmgr-context.h"
#include "vmgr-customer.h"
#include "vmgr-host.h"
#include "vmgr-job.h"
#include "vmgr-snapshot.h"
#include "vmgr-vm.h"

G_BEGIN_DECLS

#define VMGR_TYPE_REGISTRY (vmgr_registry_get_type ())
G_DECLARE_FINAL_TYPE (VmgrRegistry, vmgr_registry, VMGR, REGISTRY, GObject)

VmgrRegistry *vmgr_registry_new (const VmgrContext *context, GDBusObjectManagerServer *objects);

VmgrVm *vmgr_registry_find_vm (VmgrRegistry *self, guint32 id);
VmgrVm *vmgr_registry_find_vm_by_uuid (VmgrRegistry *self, const char *uuid);
/* Every VM, ordered by id (element type VmgrVm*, not owned). */
GPtrArray *vmgr_registry_list_vms (VmgrRegistry *self);
/* Only the VMs of @owner, or those named @name, by id: looked up, not
 * searched for among all. */
GPtrArray *vmgr_registry_list_vms_owned_by (VmgrRegistry *self, guint32 owner);
GPtrArray *vmgr_registry_list_vms_named (VmgrRegistry *self, const char *name);
/* Exports a new VM object (the registry takes a reference). */
void vmgr_registry_add_vm (VmgrRegistry *self, VmgrVm *vm);
/* Unexports and forgets a VM that never came to be (failed provisioning);
 * a VM that is deleted announces it itself. */
void vmgr_registry_remove_vm (VmgrRegistry *self, guint32 id);

VmgrCustomer *vmgr_registry_find_customer (VmgrRegistry *self, guint32 uid);
/* Ordered by uid (element type VmgrCustomer*, not owned). */
GPtrArray *vmgr_registry_list_customers (VmgrRegistry *self);
void vmgr_registry_add_customer (VmgrRegistry *self, VmgrCustomer *customer);

/* Exports @host (the registry takes a reference); seen only by callers
 * who may see every VM. */
void vmgr_registry_add_host (VmgrRegistry *self, VmgrHost *host);
VmgrHost *vmgr_registry_find_host (VmgrRegistry *self, const char *name);
/* Unexports and forgets the host @name. */
void vmgr_registry_remove_host (VmgrRegistry *self, const char *name);
/* Ordered by name (element type VmgrHost*, not owned). */
GPtrArray *vmgr_registry_list_hosts (VmgrRegistry *self);

/* A new exported job about VM @vm_id, visible like that VM; it goes away
 * by itself when it finishes. Returns a borrowed reference. */
VmgrJob *vmgr_registry_start_job (VmgrRegistry *self, guint32 vm_id, guint32 owner,
                                  const char *operation, guint32 started_by);

/* What the object at @path is about, for authorization (see
 * VmgrDispatchFindTarget); @registry is the VmgrRegistry. */
gboolean vmgr_registry_find_target (const char *path, const VmgrVmSpec **vm,
                                    const VmgrCustomerInfo **customer, gpointer registry);

G_END_DECLS
