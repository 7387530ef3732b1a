/* What the parts of the dispatcher share: vmgr-dispatch.c has the filter,
 * the routing and the fan-out of signals; vmgr-dispatch-views.c answers
 * property reads, Introspect and GetManagedObjects with what the caller
 * may see. */
#pragma once

#include "vmgr-dispatch.h"

G_BEGIN_DECLS

#define PROPERTIES_IFACE "org.freedesktop.DBus.Properties"
#define INTROSPECTABLE_IFACE "org.freedesktop.DBus.Introspectable"
#define OBJECT_MANAGER_IFACE "org.freedesktop.DBus.ObjectManager"
#define PEER_IFACE "org.freedesktop.DBus.Peer"
/* An owner nobody has: only callers who may see any VM see it. */
#define OWNER_NOBODY G_MAXUINT32
/* The owner of objects every caller may see (the Manager, the root). */
#define OWNER_PUBLIC (G_MAXUINT32 - 1)

struct _VmgrDispatch {
  GObject parent_instance;
  GDBusConnection *connection;
  VmgrAuth *auth;
  VmgrReadMemo *memo;       /* the auth's: reads the filter answers itself */
  VmgrPeers *peers;
  GDBusObjectManagerServer *objects;
  VmgrDispatchFindTarget find_target;
  gpointer find_data;
  GHashTable *owners;       /* object path -> owner uid (main thread only) */
  GHashTable *owned;        /* owner uid -> set of the paths it owns (likewise) */
  /* GetManagedObjects of a caller who sees everything, serialized, while
   * no object came or went (objects_generation) and no property changed
   * (vmgr_property_cache_generation). */
  GVariant *inventory;
  guint64 inventory_objects_generation;
  guint64 inventory_properties_generation;
  guint64 objects_generation;
  GHashTable *removed;      /* paths whose InterfacesRemoved is pending */
  guint filter_id;
  GMainContext *context;
};


/* A message handed from GDBus's worker thread to the main thread. */
typedef struct {
  VmgrDispatch *dispatch;
  GDBusMessage *message;
} Handoff;

void vmgr_dispatch_handoff_free (Handoff *handoff);

/* Answers @call (on the main thread) with an error, a reply, or the error
 * of a path where nothing exists. */
void vmgr_dispatch_send_error (VmgrDispatch *self, GDBusMessage *call, const GError *error);
void vmgr_dispatch_send_reply (VmgrDispatch *self, GDBusMessage *call, GVariant *body);
void vmgr_dispatch_send_no_such_object (VmgrDispatch *self, GDBusMessage *call);

/* The owner that decides whether @path is visible: OWNER_NOBODY for
 * objects only callers who may see any VM see, OWNER_PUBLIC for objects
 * that are not a tenant's. */
guint32 vmgr_dispatch_owner_of_path (VmgrDispatch *self, const char *path);
/* The host name in @path when it is a host's path (found or not), or NULL. */
const char *vmgr_dispatch_host_of_path (const char *path);
/* The paths whose owner is @owner (a set), or NULL for none. */
GHashTable *vmgr_dispatch_paths_owned_by (VmgrDispatch *self, guint32 owner);

/* org.freedesktop.DBus.Properties calls, and Introspect and
 * GetManagedObjects: take @handoff. */
void vmgr_dispatch_handle_properties (Handoff *handoff);
void vmgr_dispatch_handle_view_call (Handoff *handoff);

G_END_DECLS
