/* The read memo: property reads (Properties.Get and GetAll) that vmgrd's
 * main loop has already allowed, answered again in GDBus's worker thread.
 *
 * Why: a bare Peer.Ping is answered in the worker thread; every other call
 * is handed to the main loop (where the authorization, the objects and
 * their caches live) and its reply back, two thread hand-offs whatever the
 * call does. A cached read of a property cost about 1.5x a Ping for that
 * alone. The memo keeps, under one mutex, what the worker thread needs to
 * answer a read the main loop would answer the same way:
 *
 * - grants: (sender's unique name, path, interface, member) allowed until
 *   a monotonic time, never later than the decision of vmgr-auth that
 *   allowed it (cache_ttl; root and public reads, which nobody decides,
 *   are bounded by cache_ttl too, so with cache_ttl=0 nothing is kept).
 *   Each grant also names the target its decisions were about (a job's or
 *   a snapshot's read is decided as its VM's).
 * - values: of (path, interface), GetAll's reply body (a{sv}), serialized,
 *   made of what vmgr-property-cache built for the main loop's answer.
 *
 * The main thread writes both when it answers an allowed read
 * (vmgr_read_memo_remember). It drops them, before anything a client
 * could observe follows, wherever vmgr-auth drops the decisions they come
 * from, and wherever the properties change:
 *
 * - vmgr_auth_forget_path (an owner changed, an object was removed):
 *   every grant whose path or target is that path, and the path's values;
 *   the dispatcher does the same when an object is added, changes hands or
 *   is about to be removed;
 * - polkit's Changed: every grant;
 * - a peer leaving the bus: its grants;
 * - a skeleton's property notify, an interface added or removed
 *   (vmgr-property-cache drops its a{sv}): that (path, interface)'s value.
 *
 * Every drop of grants moves an epoch; a read whose decision straddled a
 * drop (vmgr_read_memo_epoch when the read reached the main thread) is
 * not remembered, since what allowed it may be what was dropped.
 *
 * Order: a read must not overtake the same caller's earlier calls (a Get
 * right behind a setter sees the setter's change). The memo follows each
 * sender's calls that are not reads and expect a reply, from the filter's
 * view of incoming calls and outgoing replies; a read arriving while such
 * calls are pending is held, and released once they are all answered.
 * Reads among themselves need no order. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define VMGR_TYPE_READ_MEMO (vmgr_read_memo_get_type ())
G_DECLARE_FINAL_TYPE (VmgrReadMemo, vmgr_read_memo, VMGR, READ_MEMO, GObject)

VmgrReadMemo *vmgr_read_memo_new (void);

/* ---- The filter (any thread) -------------------------------------------- */

typedef enum {
  VMGR_READ_MEMO_MISS,      /* not answerable here: the main loop's */
  VMGR_READ_MEMO_ANSWERED,  /* *reply is the answer to send */
  VMGR_READ_MEMO_HELD,      /* kept until the sender's earlier calls are answered */
} VmgrReadMemoOutcome;

/* A Properties call from a peer (any member, any arguments). */
VmgrReadMemoOutcome vmgr_read_memo_read (VmgrReadMemo *self, GDBusMessage *call,
                                         GDBusMessage **reply);
/* Any other method call from a peer. */
void vmgr_read_memo_call (VmgrReadMemo *self, GDBusMessage *call);
/* An outgoing reply or error: the held reads it frees (full references),
 * or NULL. */
GPtrArray *vmgr_read_memo_replied (VmgrReadMemo *self, GDBusMessage *reply);

/* ---- The main thread ------------------------------------------------------ */

guint64 vmgr_read_memo_epoch (VmgrReadMemo *self);

/* @member (Get or GetAll) of @interface at @path, decided about @target,
 * was allowed to @sender until @valid_until (monotonic microseconds), and
 * @interface's properties there are @properties (a{sv}). Nothing is kept
 * when @epoch is no longer the memo's or @valid_until has passed. */
void vmgr_read_memo_remember (VmgrReadMemo *self, guint64 epoch, const char *sender,
                              const char *path, const char *interface, const char *member,
                              const char *target, gint64 valid_until, GVariant *properties);

void vmgr_read_memo_forget_path (VmgrReadMemo *self, const char *path);
void vmgr_read_memo_forget_sender (VmgrReadMemo *self, const char *sender);
/* Every grant; also ends what vmgr_read_memo_authority_changing began. */
void vmgr_read_memo_forget_grants (VmgrReadMemo *self);
/* GDBus's worker thread saw polkit's Changed on its way to vmgr-auth: no
 * grant counts, and none is kept, until vmgr-auth has applied it
 * (vmgr_read_memo_forget_grants) or a second passed. */
void vmgr_read_memo_authority_changing (VmgrReadMemo *self);
void vmgr_read_memo_forget_value (VmgrReadMemo *self, const char *path, const char *interface);

G_END_DECLS
