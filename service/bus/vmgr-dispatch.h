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

/* What the object at @path is about, for authorization: a VM (VMs and
 * their jobs) or a customer. FALSE when nothing is exported there. The
 * dispatcher never keeps the pointers. */
typedef gboolean (*VmgrDispatchFindTarget) (const char *path, const VmgrVmSpec **vm,
                                            const VmgrCustomerInfo **customer,
                                            gpointer user_data);

#define VMGR_TYPE_DISPATCH (vmgr_dispatch_get_type ())
G_DECLARE_FINAL_TYPE (VmgrDispatch, vmgr_dispatch, VMGR, DISPATCH, GObject)

VmgrDispatch *vmgr_dispatch_new (GDBusConnection *connection, VmgrAuth *auth,
                                 VmgrPeers *peers, GDBusObjectManagerServer *objects,
                                 VmgrDispatchFindTarget find_target, gpointer find_data);

/* Stops filtering the connection (the filter holds a reference on the
 * dispatcher until then). */
void vmgr_dispatch_close (VmgrDispatch *self);

/* The object at @path (a VM or a customer) belongs to @owner. */
void vmgr_dispatch_set_owner (VmgrDispatch *self, const char *path, guint32 owner);
/* The object at @path is being removed: its owner is kept until its last
 * signal. */
void vmgr_dispatch_path_removed (VmgrDispatch *self, const char *path);
/* The object at @path changed hands: peers that lose sight of it hear
 * InterfacesRemoved, peers that gain it InterfacesAdded. */
void vmgr_dispatch_owner_changed (VmgrDispatch *self, const char *path, guint32 old_owner,
                                  guint32 new_owner);

G_END_DECLS
