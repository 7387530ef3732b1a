/* The registry's indexes of VMs by name and by owner, so that FindVM,
 * ListVMs for a customer and the like look up what they need instead of
 * walking every VM. A VM is filed under the name and owner it had when
 * last put; put it again after it changed. Main thread only; the VMs are
 * not referenced (the registry holds them). */
#pragma once

#include "vmgr-vm.h"

G_BEGIN_DECLS

typedef struct _VmgrRegistryIndex VmgrRegistryIndex;

VmgrRegistryIndex *vmgr_registry_index_new (void);
void vmgr_registry_index_free (VmgrRegistryIndex *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VmgrRegistryIndex, vmgr_registry_index_free)

/* Files @vm under its present name and owner (again, after a change). */
void vmgr_registry_index_put (VmgrRegistryIndex *self, VmgrVm *vm);
void vmgr_registry_index_remove (VmgrRegistryIndex *self, VmgrVm *vm);

/* The VMs named @name (of any owner) or owned by @owner, by id; the array
 * does not reference them. */
GPtrArray *vmgr_registry_index_named (VmgrRegistryIndex *self, const char *name);
GPtrArray *vmgr_registry_index_owned_by (VmgrRegistryIndex *self, guint32 owner);

/* Sorts VmgrVm pointers by id. */
void vmgr_registry_sort_by_id (GPtrArray *vms);

G_END_DECLS
