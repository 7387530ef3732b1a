/* What the files of the authorization share: vmgr-auth.c decides (polkit,
 * the cache, the bound); vmgr-auth-views.c answers what a caller may see
 * in general and which actions it holds; vmgr-auth-invocation.c is the
 * handlers' entry. */
#pragma once

#include <polkit/polkit.h>

#include "vmgr-auth.h"
#include "vmgr-store.h"

G_BEGIN_DECLS

struct _VmgrAuth {
  GObject parent_instance;
  GDBusConnection *connection;
  VmgrPeers *peers;
  VmgrStore *store;
  PolkitAuthority *authority;   /* NULL when polkit could not be reached */
  guint cache_ttl_s;
  guint timeout_ms;
  guint max_in_flight;
  guint in_flight;
  GQueue pending;               /* Check* waiting for a slot */
  GHashTable *cache;            /* bus name -> GHashTable (key -> Decision*) */
  GHashTable *primed;           /* bus names whose general view was asked */
  guint generation;             /* bumped on polkit's Changed */
  VmgrReadMemo *memo;           /* dropped with the decisions it rests on */
};

typedef struct {
  gboolean allowed;
  gint64 expires;   /* monotonic microseconds */
} Decision;

/* What a call is about: a VM or a customer, with its owner (who holds the
 * -own grant) and the polkit details rules can use. */
typedef struct {
  guint32 owner;
  char *path;
  const char *view_any;     /* what decides visibility for anyone else */
  GHashTable *details;
} Target;

/* The key of a cached decision: the details rules see (action, verb,
 * target), the target's path last (for vmgr_auth_forget_path). */
char *vmgr_auth_cache_key (const char *action, const char *verb, const Target *target);

/* uid 0, whom polkitd authorizes unconditionally: vmgr does not ask. */
gboolean vmgr_auth_caller_is_root (const VmgrCaller *caller);

/* When a request must be decided: one bound for all its questions,
 * queueing included. */
gint64 vmgr_auth_request_deadline (VmgrAuth *self, gboolean interactive);

/* What vmgr_auth_decide answers: the answer, an error when polkit failed
 * or the bound ran out, and until when the answer is kept (0: not kept;
 * G_MAXINT64 for root, whom nobody asks). */
typedef void (*VmgrAuthDecided) (gboolean allowed, const GError *error, gint64 valid_until,
                                 gpointer data);

/* Asks polkit (or answers from the cache) whether @sender may do @action. */
void vmgr_auth_decide (VmgrAuth *self, const char *sender, const char *action,
                       const char *member, const Target *target, GHashTable *extra,
                       gboolean cacheable, gboolean interactive, gint64 deadline,
                       VmgrAuthDecided done, gpointer data);

G_END_DECLS
