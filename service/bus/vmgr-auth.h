/* The one authorization choke point. Every method and every property read
 * of every vmgr interface is mapped here, in one table, to polkit actions;
 * what is not in the table is denied. Ownership decides between the -own
 * and the -any action; polkit is asked asynchronously, with details rules
 * can use (vm.id, vm.name, vm.owner, vm.plan, verb and requested values).
 * Decisions for read-only actions are cached per caller connection; they
 * are dropped on polkit's Changed signal, when the caller leaves the bus,
 * when a VM's owner changes, and after a time to live. Mutations are always
 * asked afresh. polkit unreachable or slow = denied. */
#pragma once

#include <gio/gio.h>

#include "vmgr-peers.h"
#include "vmgr-read-memo.h"
#include "vmgr-records.h"

G_BEGIN_DECLS

typedef enum {
  VMGR_AUTH_PUBLIC,     /* anyone may call; results are filtered */
  VMGR_AUTH_READ,       /* read-only: decisions may be cached */
  VMGR_AUTH_MUTATION,   /* asked afresh every time, audited */
} VmgrAuthKind;

typedef struct {
  const char *interface;
  const char *member;
  VmgrAuthKind kind;
  const char *action_own;  /* NULL: owners have no grant of their own */
  const char *action_any;  /* NULL only for VMGR_AUTH_PUBLIC */
} VmgrAuthRule;

/* The rule for (@interface, @member), or NULL: denied. */
const VmgrAuthRule *vmgr_auth_lookup_rule (const char *interface, const char *member);

typedef struct _VmgrStore VmgrStore;

#define VMGR_TYPE_AUTH (vmgr_auth_get_type ())
G_DECLARE_FINAL_TYPE (VmgrAuth, vmgr_auth, VMGR, AUTH, GObject)

VmgrAuth *vmgr_auth_new (GDBusConnection *connection, VmgrPeers *peers,
                         VmgrStore *store, guint cache_ttl_s, guint timeout_ms,
                         guint max_in_flight);

/* What an allowed request's answer rests on, for the read memo. */
typedef struct {
  gint64 valid_until;   /* monotonic microseconds: the earliest expiry of the
                         * decisions it took, never beyond cache_ttl from now;
                         * 0 when one of them was not kept */
  char *target;         /* the path its decisions were about (g_free it) */
} VmgrAuthAllowance;

/* One request to decide. */
typedef struct {
  const char *sender;             /* unique bus name */
  gboolean interactive;           /* the caller allows interactive authorization */
  const char *interface;
  const char *member;
  const VmgrVmSpec *vm;           /* the target VM, or NULL */
  const VmgrCustomerInfo *customer; /* or the target customer, or NULL */
  const char *host;               /* or the name of the target host, or NULL */
  const char *target;             /* what the audit log names when no VM */
  const char *called_path;        /* the object path called; NULL: @target, or the target's */
  GHashTable *details;            /* extra polkit details (requested values), or NULL */
  VmgrAuthAllowance *allowance;   /* out, or NULL: filled before an allowed callback */
} VmgrAuthRequest;

typedef enum {
  VMGR_AUTH_ALLOWED,
  VMGR_AUTH_DENIED,      /* polkit said no (or challenge without an agent) */
  VMGR_AUTH_INVISIBLE,   /* the target VM is not visible to the caller */
  VMGR_AUTH_ERROR,       /* no rule, polkit unreachable, caller unknown */
} VmgrAuthResult;

/* Decides @request; the callback gets the result, the caller (valid during
 * the callback), the action decided (NULL for public members) and, when not
 * allowed, an error to send. */
typedef void (*VmgrAuthCallback) (VmgrAuthResult result, const VmgrCaller *caller,
                                  const char *action, const GError *error,
                                  gpointer user_data);
void vmgr_auth_check (VmgrAuth *self, const VmgrAuthRequest *request,
                      VmgrAuthCallback callback, gpointer user_data);

/* What a handler holds once a call is allowed: who, which action, on what. */
typedef struct {
  VmgrCaller caller;
  char *action;      /* NULL for public members */
  char *verb;        /* the method called */
  char *target;
  char *target_name; /* the VM's name, the customer's user name, or NULL */
  char *target_uuid; /* the VM's UUID, or NULL */
  GPtrArray *changes; /* of VmgrAuditChange: what the call changed, for its row */
  gboolean row_taken; /* its row went with a store change (vmgr_grant_audit_entry) */
} VmgrGrant;

/* Notes that the call changes @field from @old_value to @new_value (either
 * NULL when there is none), for the audit row. */
void vmgr_grant_add_change (VmgrGrant *grant, const char *field, const char *old_value,
                            const char *new_value);

void vmgr_grant_free (VmgrGrant *grant);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VmgrGrant, vmgr_grant_free)

/* Called with the grant (transfer full) when @invocation is allowed. */
typedef void (*VmgrAuthorizedFunc) (GDBusMethodInvocation *invocation, VmgrGrant *grant,
                                    gpointer user_data);

/* Whether the caller of @message lets polkit interact with it. */
gboolean vmgr_auth_message_is_interactive (GDBusMessage *message);

/* The choke point for the skeletons' handlers: decides the invocation's
 * (interface, member) on @vm (NULL for Manager members) with @details
 * (requested values, may be NULL). When allowed, calls @func; otherwise
 * returns the error to the caller and frees @user_data with @destroy.
 * When allowed, @func owns @user_data. */
void vmgr_auth_authorize (VmgrAuth *self, GDBusMethodInvocation *invocation,
                          const VmgrVmSpec *vm, GHashTable *details,
                          VmgrAuthorizedFunc func, gpointer user_data,
                          GDestroyNotify destroy);

/* The same about a VM or a customer (either may be NULL). A customer's
 * object is visible to the customer (view-own) and to holders of
 * org.vmgr.customers.manage. */
void vmgr_auth_authorize_about (VmgrAuth *self, GDBusMethodInvocation *invocation,
                                const VmgrVmSpec *vm, const VmgrCustomerInfo *customer,
                                GHashTable *details, VmgrAuthorizedFunc func,
                                gpointer user_data, GDestroyNotify destroy);

/* Returns @error (taken) to the caller if it may see @vm or @customer, and
 * otherwise the answer for an object that does not exist: bad input must
 * not reveal what it was about. */
void vmgr_auth_return_invalid_input (VmgrAuth *self, GDBusMethodInvocation *invocation,
                                     const VmgrVmSpec *vm, const VmgrCustomerInfo *customer,
                                     GError *error);

/* Records the outcome of an allowed mutation: "allowed", or "failed" with
 * @error's message. When the grant's row went with the store change
 * (vmgr_grant_audit_entry) and the call succeeded, the row is in the store
 * already: only the journal hears of it again. */
void vmgr_grant_audit (VmgrAuth *self, const VmgrGrant *grant, const GError *error);

/* The "allowed" row of @grant, for a store change to commit together with
 * it (the @audit of vmgr_store_*): a change never lands without the row
 * that says who made it. */
VmgrAuditEntry *vmgr_grant_audit_entry (VmgrGrant *grant);

/* What VMs a caller may see in general: the answer to view-own and
 * view-any asked without a particular VM, for lists and signals. */
typedef enum {
  VMGR_AUTH_VIEW_OWN = 1 << 0,
  VMGR_AUTH_VIEW_ANY = 1 << 1,
} VmgrAuthView;

typedef void (*VmgrAuthViewCallback) (VmgrAuthView view, const VmgrCaller *caller,
                                      const GError *error, gpointer user_data);
void vmgr_auth_check_view (VmgrAuth *self, const char *sender, gboolean interactive,
                           VmgrAuthViewCallback callback, gpointer user_data);
/* Whether @view lets @caller see a VM owned by @owner. */
gboolean vmgr_auth_view_includes (VmgrAuthView view, const VmgrCaller *caller, guint32 owner);
/* The same from the cache only, without asking: for fanning signals out.
 * FALSE when nothing is known. */
gboolean vmgr_auth_cached_visible (VmgrAuth *self, const VmgrCaller *caller, guint32 owner);

/* Which of @actions polkit grants @sender without interaction, asked
 * without a target (the -own actions too) and cached like reads. The
 * callback gets them in the order of @actions, or an error when polkit
 * could not answer or the caller is unknown. */
typedef void (*VmgrAuthHeldCallback) (GStrv held, const GError *error, gpointer user_data);
void vmgr_auth_check_held (VmgrAuth *self, const char *sender, const char * const *actions,
                           VmgrAuthHeldCallback callback, gpointer user_data);

/* Drops cached decisions about the object at @path (its owner changed, it
 * was deleted), and what the read memo was allowed from them. */
void vmgr_auth_forget_path (VmgrAuth *self, const char *path);

/* The memo of allowed reads, which follows this cache (see vmgr-read-memo.h). */
VmgrReadMemo *vmgr_auth_get_read_memo (VmgrAuth *self);

/* Records @entry (see vmgr-audit.h) in the journal and the store. */
void vmgr_auth_audit_entry (VmgrAuth *self, const VmgrAuditEntry *entry);


/* Error a caller gets for a VM it may not see: the same as for a VM that
 * does not exist, whatever member it called. */
GError *vmgr_auth_no_such_object_error (const char *interface, const char *path);

G_END_DECLS
