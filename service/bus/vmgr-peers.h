/* Who is calling: the bus peers that have talked to vmgrd, with their uid,
 * pid and user name (from the bus's GetConnectionCredentials, fetched once
 * per peer), watched until they leave the bus. Peers are also the
 * subscribers that receive vmgrd's signals (see vmgr-dispatch.c). */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct {
  char *bus_name;   /* unique name */
  guint32 uid;
  gint64 pid;       /* -1 when the bus did not say */
  char *user_name;  /* from the passwd database, or the uid as text */
} VmgrCaller;

#define VMGR_TYPE_PEERS (vmgr_peers_get_type ())
G_DECLARE_FINAL_TYPE (VmgrPeers, vmgr_peers, VMGR, PEERS, GObject)

VmgrPeers *vmgr_peers_new (GDBusConnection *connection);

/* The caller behind @bus_name, fetched on first use. Completes on the main
 * context; the VmgrCaller finish gives is valid until the callback returns
 * (copy what you keep), even if the peer left meanwhile. */
void vmgr_peers_lookup_async (VmgrPeers *self, const char *bus_name,
                              GCancellable *cancellable,
                              GAsyncReadyCallback callback, gpointer user_data);
const VmgrCaller *vmgr_peers_lookup_finish (VmgrPeers *self, GAsyncResult *result,
                                            GError **error);
/* A known peer, or NULL. */
const VmgrCaller *vmgr_peers_get (VmgrPeers *self, const char *bus_name);
/* Every known peer (element type VmgrCaller*, owned by @self). */
GPtrArray *vmgr_peers_list (VmgrPeers *self);

/* Signal "peer-vanished" (const char *bus_name): the peer left the bus. */

char *vmgr_user_name_for_uid (guint32 uid);
gboolean vmgr_user_exists (guint32 uid);
/* The uid of @user, a user name or a uid written in decimal. */
gboolean vmgr_uid_for_user (const char *user, guint32 *uid);

G_END_DECLS
