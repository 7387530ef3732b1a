/* What vmgrd does with messages before GDBus dispatches them, and with
 * signals before they leave: the part of tenancy that the generated
 * skeletons cannot do.
 *
 * Incoming: Properties, Introspectable and ObjectManager calls are answered
 * here, after vmgr-auth decided, showing each caller only what it may see;
 * calls to a VM path with a member vmgr does not know, or to a VM that does
 * not exist, get the same answer as a VM the caller may not see. Everything
 * else goes on to the skeletons, whose handlers call vmgr-auth.
 *
 * Outgoing: vmgrd never broadcasts. Every signal about a VM is sent, as a
 * unicast copy, to each peer that may see that VM; Manager signals go to
 * every peer. A peer is a connection that has called vmgrd at least once. */
#pragma once

#include <gio/gio.h>

#include "vmgr-auth.h"
#include "vmgr-peers.h"

G_BEGIN_DECLS

/* The VM with @id / the customer with @uid, or NULL; the dispatcher never
 * keeps the pointer. */
typedef const VmgrVmSpec *(*VmgrDispatchFindVm) (guint32 id, gpointer user_data);
typedef const VmgrCustomerInfo *(*VmgrDispatchFindCustomer) (guint32 uid, gpointer user_data);

#define VMGR_TYPE_DISPATCH (vmgr_dispatch_get_type ())
G_DECLARE_FINAL_TYPE (VmgrDispatch, vmgr_dispatch, VMGR, DISPATCH, GObject)

VmgrDispatch *vmgr_dispatch_new (GDBusConnection *connection, VmgrAuth *auth,
                                 VmgrPeers *peers, GDBusObjectManagerServer *objects,
                                 VmgrDispatchFindVm find_vm,
                                 VmgrDispatchFindCustomer find_customer, gpointer find_data);

/* The object at @path (a VM or a customer) belongs to @owner. */
void vmgr_dispatch_set_owner (VmgrDispatch *self, const char *path, guint32 owner);
/* The object at @path is being removed: its owner is kept until its last
 * signal. */
void vmgr_dispatch_path_removed (VmgrDispatch *self, const char *path);
/* The object at @path changed hands: peers that lose sight of it hear
 * InterfacesRemoved, peers that gain it InterfacesAdded. */
void vmgr_dispatch_owner_changed (VmgrDispatch *self, const char *path, guint32 old_owner,
                                  guint32 new_owner);

/* The VM id in a path /org/vmgr/vm/ID, or 0. */
guint32 vmgr_dispatch_vm_id_from_path (const char *path);

G_END_DECLS
