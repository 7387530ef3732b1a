#include "vmgr-auth-private.h"

#include <polkit/polkit.h>

#include "vmgr-audit.h"
#include "vmgr-error.h"
#include "vmgr-names.h"
#include "vmgr-store.h"

#define INTERACTIVE_TIMEOUT_MS 25000

G_DEFINE_FINAL_TYPE (VmgrAuth, vmgr_auth, G_TYPE_OBJECT)


static void
target_free (Target *target)
{
  if (target == NULL)
    return;
  g_free (target->path);
  g_hash_table_unref (target->details);
  g_free (target);
}

static Target *
target_new (guint32 owner, char *path, const char *view_any)
{
  Target *target = g_new0 (Target, 1);

  target->owner = owner;
  target->path = path;
  target->view_any = view_any;
  target->details = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  return target;
}

static Target *
target_for_vm (const VmgrVmSpec *vm)
{
  Target *target = target_new (vm->owner, vmgr_vm_path (vm->id), VMGR_ACTION_VIEW_ANY);

  g_hash_table_insert (target->details, (gpointer) "vm.id", g_strdup_printf ("%u", vm->id));
  g_hash_table_insert (target->details, (gpointer) "vm.name", g_strdup (vm->name));
  g_hash_table_insert (target->details, (gpointer) "vm.uuid", g_strdup (vm->uuid));
  g_hash_table_insert (target->details, (gpointer) "vm.owner", vmgr_user_name_for_uid (vm->owner));
  g_hash_table_insert (target->details, (gpointer) "vm.plan", g_strdup (vm->plan));
  return target;
}

static Target *
target_for_customer (const VmgrCustomerInfo *customer)
{
  Target *target = target_new (customer->uid,
                               vmgr_customer_path (customer->uid),
                               VMGR_ACTION_CUSTOMERS_MANAGE);

  g_hash_table_insert (target->details, (gpointer) "customer.uid",
                       g_strdup_printf ("%u", customer->uid));
  g_hash_table_insert (target->details, (gpointer) "customer.name",
                       vmgr_user_name_for_uid (customer->uid));
  return target;
}

/* A host is nobody's: only who may see any VM sees it. */
static Target *
target_for_host (const char *name)
{
  Target *target = target_new (G_MAXUINT32, vmgr_host_path (name), VMGR_ACTION_VIEW_ANY);

  g_hash_table_insert (target->details, (gpointer) "host.name", g_strdup (name));
  return target;
}

/* One polkit question. */
typedef struct {
  VmgrAuth *auth;
  char *sender;
  char *action;
  char *cache_key;              /* NULL: never cached (mutations) */
  PolkitDetails *details;
  gboolean interactive;
  gint64 deadline;              /* monotonic: the bound of the whole request */
  gboolean running;             /* asked, not queued */
  GCancellable *cancellable;
  guint timeout_id;
  VmgrAuthDecided done;
  gpointer data;
  guint generation;             /* of the rules the question was asked under */
} Check;

static void
check_free (Check *check)
{
  g_clear_handle_id (&check->timeout_id, g_source_remove);
  g_object_unref (check->auth);
  g_free (check->sender);
  g_free (check->action);
  g_free (check->cache_key);
  g_clear_object (&check->details);
  g_clear_object (&check->cancellable);
  g_free (check);
}

/* Decisions depend on the details rules see: the action, the verb and the
 * target (whose path ends the key, for vmgr_auth_forget_path). */
char *
vmgr_auth_cache_key (const char *action, const char *verb, const Target *target)
{
  return g_strdup_printf ("%s %s %s", action, verb, target != NULL ? target->path : "-");
}

static Decision *
cache_lookup (VmgrAuth *self, const char *sender, const char *key)
{
  GHashTable *per_peer = g_hash_table_lookup (self->cache, sender);
  Decision *decision = per_peer != NULL ? g_hash_table_lookup (per_peer, key) : NULL;

  /* An expired decision stays until the fresh one replaces it: signals
   * keep following it meanwhile (vmgr_auth_cached_visible). */
  if (decision != NULL && decision->expires <= g_get_monotonic_time ())
    return NULL;
  return decision;
}

/* Until when the decision is kept; 0 when it is not. */
static gint64
cache_store (VmgrAuth *self, const char *sender, const char *key, gboolean allowed)
{
  GHashTable *per_peer = g_hash_table_lookup (self->cache, sender);
  Decision *decision = g_new0 (Decision, 1);

  /* Only peers vmgr-peers watches get entries, so that they are dropped
   * when the peer leaves the bus. */
  if (vmgr_peers_get (self->peers, sender) == NULL)
    {
      g_free (decision);
      return 0;
    }
  if (per_peer == NULL)
    {
      per_peer = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
      g_hash_table_insert (self->cache, g_strdup (sender), per_peer);
    }
  decision->allowed = allowed;
  decision->expires = g_get_monotonic_time () + (gint64) self->cache_ttl_s * G_USEC_PER_SEC;
  /* A refusal may replace an allowance a remembered read was made of. */
  if (!allowed)
    vmgr_read_memo_forget_sender (self->memo, sender);
  g_hash_table_replace (per_peer, g_strdup (key), decision);
  return decision->expires;
}

static void start_check (Check *check);

static void
finish_check (Check *check, gboolean allowed, const GError *error)
{
  VmgrAuth *self = check->auth;
  gboolean was_running = check->running;
  gint64 valid_until = 0;
  Check *next;

  /* An answer to a question asked before the rules changed is not kept. */
  if (check->cache_key != NULL && error == NULL && check->generation == self->generation)
    valid_until = cache_store (self, check->sender, check->cache_key, allowed);
  check->done (allowed, error, valid_until, check->data);
  check_free (check);
  if (!was_running)
    return;
  self->in_flight--;
  next = g_queue_pop_head (&self->pending);
  if (next != NULL)
    start_check (next);
}

static GError *
timeout_error (Check *check)
{
  return g_error_new (VMGR_ERROR, VMGR_ERROR_NOT_AUTHORIZED,
                      "polkit did not answer within %u ms (action %s)",
                      check->interactive ? INTERACTIVE_TIMEOUT_MS : check->auth->timeout_ms,
                      check->action);
}

static void
on_polkit_answer (GObject *source, GAsyncResult *res, gpointer user_data)
{
  Check *check = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(PolkitAuthorizationResult) result =
    polkit_authority_check_authorization_finish (POLKIT_AUTHORITY (source), res, &error);

  if (result == NULL)
    {
      g_autoptr(GError) denial = NULL;

      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        denial = timeout_error (check);
      else
        denial = g_error_new (VMGR_ERROR, VMGR_ERROR_NOT_AUTHORIZED,
                              "polkit is unavailable (%s), so action %s is refused",
                              error->message, check->action);
      g_warning ("polkit check of %s for %s failed: %s", check->action, check->sender,
                 error->message);
      finish_check (check, FALSE, denial);
      return;
    }
  /* A challenge means an agent could authenticate the caller; without one
   * answering, it is a denial. */
  finish_check (check, polkit_authorization_result_get_is_authorized (result), NULL);
}

/* The request's bound is over: a question under way is cancelled (its
 * answer is then a denial), a queued one is answered at once. */
static gboolean
on_check_timeout (gpointer user_data)
{
  Check *check = user_data;
  g_autoptr(GError) denial = NULL;

  check->timeout_id = 0;
  if (check->running)
    {
      g_cancellable_cancel (check->cancellable);
      return G_SOURCE_REMOVE;
    }
  g_queue_remove (&check->auth->pending, check);
  denial = timeout_error (check);
  g_warning ("polkit check of %s for %s not started in time: %s", check->action,
             check->sender, denial->message);
  finish_check (check, FALSE, denial);
  return G_SOURCE_REMOVE;
}

static void
start_check (Check *check)
{
  VmgrAuth *self = check->auth;
  g_autoptr(PolkitSubject) subject = polkit_system_bus_name_new (check->sender);
  PolkitCheckAuthorizationFlags flags = check->interactive
    ? POLKIT_CHECK_AUTHORIZATION_FLAGS_ALLOW_USER_INTERACTION
    : POLKIT_CHECK_AUTHORIZATION_FLAGS_NONE;

  self->in_flight++;
  check->running = TRUE;
  check->cancellable = g_cancellable_new ();
  polkit_authority_check_authorization (self->authority, subject, check->action,
                                        check->details, flags, check->cancellable,
                                        on_polkit_answer, check);
}

static void
ask_polkit (Check *check)
{
  VmgrAuth *self = check->auth;
  gint64 left_ms = MAX (0, (check->deadline - g_get_monotonic_time ()) / 1000);

  if (self->authority == NULL)
    {
      g_autoptr(GError) error = g_error_new (VMGR_ERROR, VMGR_ERROR_NOT_AUTHORIZED,
                                             "polkit is unavailable, so action %s "
                                             "is refused", check->action);
      finish_check (check, FALSE, error);
      return;
    }
  /* The bound runs from the request's start, in the queue too. */
  check->timeout_id = g_timeout_add ((guint) MIN (left_ms, G_MAXUINT), on_check_timeout, check);
  if (self->in_flight >= self->max_in_flight)
    g_queue_push_tail (&self->pending, check);
  else
    start_check (check);
}

static void
insert_details (PolkitDetails *details, GHashTable *table)
{
  GHashTableIter iter;
  gpointer key, value;

  if (table == NULL)
    return;
  g_hash_table_iter_init (&iter, table);
  while (g_hash_table_iter_next (&iter, &key, &value))
    polkit_details_insert (details, key, value);
}

static PolkitDetails *
build_details (const char *member, const Target *target, GHashTable *extra)
{
  PolkitDetails *details = polkit_details_new ();

  polkit_details_insert (details, "verb", member);
  if (target != NULL)
    insert_details (details, target->details);
  insert_details (details, extra);
  return details;
}

/* When a request must be decided: one bound for all its questions, queueing
 * included, so that no answer waits longer than the configured bound. */
gint64
vmgr_auth_request_deadline (VmgrAuth *self, gboolean interactive)
{
  return g_get_monotonic_time () +
         (gint64) (interactive ? INTERACTIVE_TIMEOUT_MS : self->timeout_ms) * 1000;
}

gboolean
vmgr_auth_caller_is_root (const VmgrCaller *caller)
{
  return caller != NULL && caller->uid == 0;
}

/* Asks (or answers from the cache) whether @sender may do @action. Root is
 * not asked about: polkitd authorizes uid 0 without consulting any rule, so
 * asking would only cost a round trip and make root depend on polkitd being
 * up (systemd's services skip polkit for privileged callers likewise). */
void
vmgr_auth_decide (VmgrAuth *self, const char *sender, const char *action, const char *member,
                  const Target *target, GHashTable *extra, gboolean cacheable,
                  gboolean interactive, gint64 deadline, VmgrAuthDecided done, gpointer data)
{
  g_autofree char *key = cacheable ? vmgr_auth_cache_key (action, member, target) : NULL;
  Decision *cached = key != NULL ? cache_lookup (self, sender, key) : NULL;
  Check *check;

  if (vmgr_auth_caller_is_root (vmgr_peers_get (self->peers, sender)))
    {
      done (TRUE, NULL, G_MAXINT64, data);
      return;
    }
  if (cached != NULL)
    {
      done (cached->allowed, NULL, cached->expires, data);
      return;
    }
  check = g_new0 (Check, 1);
  check->auth = g_object_ref (self);
  check->sender = g_strdup (sender);
  check->action = g_strdup (action);
  check->cache_key = g_steal_pointer (&key);
  check->details = build_details (member, target, extra);
  check->interactive = interactive;
  check->deadline = deadline;
  check->done = done;
  check->data = data;
  check->generation = self->generation;
  ask_polkit (check);
}

/* One vmgr_auth_check() on its way through the steps. */
typedef struct {
  VmgrAuth *auth;
  const VmgrAuthRule *rule;     /* NULL: denied once visibility is settled */
  char *sender;
  char *interface;
  char *member;
  Target *about;             /* NULL for Manager-level members */
  char *target;
  char *called_path;            /* the path called, when not the target's own (a snapshot's) */
  GHashTable *details;
  gboolean interactive;
  gint64 deadline;              /* monotonic: every question answered by then */
  gint64 valid_until;           /* the earliest expiry of the decisions taken */
  VmgrAuthAllowance *allowance;
  VmgrCaller caller;
  VmgrAuthCallback callback;
  gpointer user_data;
} Request;

static void
request_free (Request *request)
{
  g_object_unref (request->auth);
  g_free (request->sender);
  g_free (request->interface);
  g_free (request->member);
  target_free (request->about);
  g_free (request->target);
  g_free (request->called_path);
  g_clear_pointer (&request->details, g_hash_table_unref);
  g_free (request->caller.bus_name);
  g_free (request->caller.user_name);
  g_free (request);
}

static const char *action_for (const Request *request);

static void
request_finish (Request *request, VmgrAuthResult result, const GError *error)
{
  const char *action = request->rule != NULL && request->rule->action_any != NULL
                         ? action_for (request) : NULL;

  if (result == VMGR_AUTH_ALLOWED && request->allowance != NULL)
    {
      request->allowance->valid_until = request->valid_until;
      request->allowance->target = g_strdup (request->target);
    }
  request->callback (result, &request->caller, action, error, request->user_data);
  request_free (request);
}

GError *
vmgr_auth_no_such_object_error (const char *interface, const char *path)
{
  /* Word for word what GDBus answers for a path nothing is exported at,
   * whatever the interface. */
  return g_error_new (G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_METHOD,
                      "Object does not exist at path “%s”", path);
}

static const char *
action_for (const Request *request)
{
  const VmgrAuthRule *rule = request->rule;

  if (request->about != NULL && rule->action_own != NULL &&
      request->about->owner == request->caller.uid)
    return rule->action_own;
  return rule->action_any;
}

static void
audit_denial (const Request *request, const char *action, const char *message)
{
  GHashTable *details = request->about != NULL ? request->about->details : NULL;
  const char *name = details == NULL ? NULL
                     : g_hash_table_contains (details, "vm.name")
                       ? g_hash_table_lookup (details, "vm.name")
                     : g_hash_table_contains (details, "host.name")
                       ? g_hash_table_lookup (details, "host.name")
                       : g_hash_table_lookup (details, "customer.name");
  VmgrAuditTarget target = {
    .path = request->target,
    .name = name,
    .uuid = details != NULL ? g_hash_table_lookup (details, "vm.uuid") : NULL,
  };
  g_autoptr(VmgrAuditEntry) entry = vmgr_audit_entry_for (&request->caller, request->member,
                                                          action, &target, "denied", message);

  vmgr_audit_record_entry (request->auth->store, entry);
}

static void
on_action_decided (gboolean allowed, const GError *error, gint64 valid_until, gpointer data)
{
  Request *request = data;
  const char *action = action_for (request);
  g_autoptr(GError) denial = NULL;

  request->valid_until = MIN (request->valid_until, valid_until);
  if (allowed)
    {
      request_finish (request, VMGR_AUTH_ALLOWED, NULL);
      return;
    }
  denial = error != NULL ? g_error_copy (error)
                         : g_error_new (VMGR_ERROR, VMGR_ERROR_NOT_AUTHORIZED,
                                        "action %s was refused by polkit", action);
  if (request->rule->kind == VMGR_AUTH_MUTATION || error != NULL)
    audit_denial (request, action, denial->message);
  request_finish (request, error != NULL ? VMGR_AUTH_ERROR : VMGR_AUTH_DENIED, denial);
}

static void
decide_action (Request *request)
{
  if (request->rule == NULL)
    {
      g_autoptr(GError) error = g_error_new (VMGR_ERROR, VMGR_ERROR_NOT_AUTHORIZED,
                                             "%s.%s is not allowed",
                                             request->interface, request->member);
      request_finish (request, VMGR_AUTH_DENIED, error);
      return;
    }
  if (request->rule->kind == VMGR_AUTH_PUBLIC)
    {
      request_finish (request, VMGR_AUTH_ALLOWED, NULL);
      return;
    }
  vmgr_auth_decide (request->auth, request->sender, action_for (request), request->member,
          request->about, request->details, request->rule->kind == VMGR_AUTH_READ,
          request->interactive, request->deadline, on_action_decided, request);
}

static const char *
view_action (const Target *target, const VmgrCaller *caller)
{
  return target->owner == caller->uid ? VMGR_ACTION_VIEW_OWN : target->view_any;
}

static void
on_visibility_decided (gboolean allowed, const GError *error, gint64 valid_until, gpointer data)
{
  Request *request = data;
  g_autofree char *path = NULL;
  g_autoptr(GError) invisible = NULL;

  request->valid_until = MIN (request->valid_until, valid_until);
  /* A read asking for the very action that decided visibility, with the
   * same details, has its answer already. */
  if (allowed && request->rule != NULL && request->rule->kind == VMGR_AUTH_READ &&
      g_strcmp0 (action_for (request), view_action (request->about, &request->caller)) == 0)
    {
      request_finish (request, VMGR_AUTH_ALLOWED, NULL);
      return;
    }
  if (allowed)
    {
      decide_action (request);
      return;
    }
  /* polkit failed: its owner learns why; anyone else learns nothing. */
  if (error != NULL && request->about->owner == request->caller.uid)
    {
      audit_denial (request, request->member, error->message);
      request_finish (request, VMGR_AUTH_ERROR, error);
      return;
    }
  /* The path called is the one that must seem empty: a snapshot's answers
   * without naming its VM. */
  path = g_strdup (request->called_path != NULL ? request->called_path : request->about->path);
  invisible = vmgr_auth_no_such_object_error (request->interface, path);
  /* Not in the audit table: the caller may read its own rows there, and a
   * call on a path where nothing exists leaves none either. The journal,
   * which callers cannot read, keeps the attempt. */
  if (request->rule != NULL && request->rule->kind == VMGR_AUTH_MUTATION)
    g_message ("audit: uid=%u (%s) %s on %s: denied (not visible to the caller)",
               request->caller.uid, request->caller.bus_name, request->member, path);
  g_debug ("%s may not see %s", request->caller.bus_name, path);
  request_finish (request, VMGR_AUTH_INVISIBLE, invisible);
}

static void
ignore_view (VmgrAuthView view, const VmgrCaller *caller, const GError *error, gpointer data)
{
}

static void continue_request (Request *request);

static void
on_view_primed (VmgrAuthView view, const VmgrCaller *caller, const GError *error, gpointer data)
{
  continue_request (data);
}

/* A peer's general view decides which signals it receives: it is asked
 * before the peer's first call is answered, so that every signal after
 * that answer reaches the peer. */
static void
prime_view_then_continue (Request *request)
{
  VmgrAuth *self = request->auth;

  if (g_hash_table_contains (self->primed, request->sender))
    {
      continue_request (request);
      return;
    }
  g_hash_table_add (self->primed, g_strdup (request->sender));
  vmgr_auth_check_view (self, request->sender, FALSE, on_view_primed, request);
}

static void
on_caller_known (GObject *source, GAsyncResult *result, gpointer data)
{
  Request *request = data;
  g_autoptr(GError) error = NULL;
  const VmgrCaller *caller = vmgr_peers_lookup_finish (VMGR_PEERS (source), result, &error);

  if (caller == NULL)
    {
      g_autoptr(GError) denial = g_error_new (VMGR_ERROR, VMGR_ERROR_NOT_AUTHORIZED,
                                              "%s", error->message);
      request_finish (request, VMGR_AUTH_ERROR, denial);
      return;
    }
  request->caller.uid = caller->uid;
  request->caller.pid = caller->pid;
  request->caller.user_name = g_strdup (caller->user_name);
  prime_view_then_continue (request);
}

static void
continue_request (Request *request)
{
  if (request->about == NULL)
    decide_action (request);
  else
    vmgr_auth_decide (request->auth, request->sender, view_action (request->about, &request->caller),
            request->member, request->about, NULL, TRUE, request->interactive,
            request->deadline, on_visibility_decided, request);
}

/* The caller's strings may live only as long as its handler: keep copies. */
static GHashTable *
copy_details (GHashTable *details)
{
  GHashTable *copy = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, details);
  while (g_hash_table_iter_next (&iter, &key, &value))
    g_hash_table_insert (copy, g_strdup (key), g_strdup (value));
  return copy;
}

void
vmgr_auth_check (VmgrAuth *self, const VmgrAuthRequest *req,
                 VmgrAuthCallback callback, gpointer user_data)
{
  Request *request = g_new0 (Request, 1);

  request->auth = g_object_ref (self);
  request->rule = vmgr_auth_lookup_rule (req->interface, req->member);
  request->sender = g_strdup (req->sender);
  request->interface = g_strdup (req->interface);
  request->member = g_strdup (req->member);
  request->about = req->vm != NULL ? target_for_vm (req->vm)
                   : req->customer != NULL ? target_for_customer (req->customer)
                   : req->host != NULL ? target_for_host (req->host) : NULL;
  request->target = g_strdup (request->about != NULL ? request->about->path
                              : req->target != NULL ? req->target : "");
  request->called_path = g_strdup (req->called_path != NULL ? req->called_path : req->target);
  request->details = req->details != NULL ? copy_details (req->details) : NULL;
  request->interactive = req->interactive;
  request->deadline = vmgr_auth_request_deadline (self, req->interactive);
  /* Root's and public answers rest on no decision: cache_ttl bounds them too. */
  request->valid_until = g_get_monotonic_time () + (gint64) self->cache_ttl_s * G_USEC_PER_SEC;
  request->allowance = req->allowance;
  request->caller.bus_name = g_strdup (req->sender);
  request->caller.pid = -1;
  request->callback = callback;
  request->user_data = user_data;
  vmgr_peers_lookup_async (self->peers, req->sender, NULL, on_caller_known, request);
}

void
vmgr_auth_forget_path (VmgrAuth *self, const char *path)
{
  GHashTableIter iter;
  GHashTable *per_peer;
  g_autofree char *suffix = g_strdup_printf (" %s", path);

  vmgr_read_memo_forget_path (self->memo, path);
  g_hash_table_iter_init (&iter, self->cache);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &per_peer))
    {
      GHashTableIter inner;
      const char *key;

      g_hash_table_iter_init (&inner, per_peer);
      while (g_hash_table_iter_next (&inner, (gpointer *) &key, NULL))
        if (g_str_has_suffix (key, suffix))
          g_hash_table_iter_remove (&inner);
    }
}

VmgrReadMemo *
vmgr_auth_get_read_memo (VmgrAuth *self)
{
  return self->memo;
}

void
vmgr_auth_audit_entry (VmgrAuth *self, const VmgrAuditEntry *entry)
{
  vmgr_audit_record_entry (self->store, entry);
}

/* Drops every cached decision but the general views signals are routed
 * by: those are only marked as expired, so that a call asks polkit again,
 * while signals follow them until the fresh answer replaces them (a peer
 * that may see a VM hears every signal of it meanwhile). */
static void
forget_all_but_views (VmgrAuth *self)
{
  g_autofree char *own_key = vmgr_auth_cache_key (VMGR_ACTION_VIEW_OWN, "list", NULL);
  g_autofree char *any_key = vmgr_auth_cache_key (VMGR_ACTION_VIEW_ANY, "list", NULL);
  GHashTableIter peers;
  GHashTable *per_peer;

  g_hash_table_iter_init (&peers, self->cache);
  while (g_hash_table_iter_next (&peers, NULL, (gpointer *) &per_peer))
    {
      GHashTableIter entries;
      const char *key;
      Decision *decision;

      g_hash_table_iter_init (&entries, per_peer);
      while (g_hash_table_iter_next (&entries, (gpointer *) &key, (gpointer *) &decision))
        if (g_str_equal (key, own_key) || g_str_equal (key, any_key))
          decision->expires = 0;
        else
          g_hash_table_iter_remove (&entries);
    }
}

static void
on_authority_changed (PolkitAuthority *authority, gpointer user_data)
{
  VmgrAuth *self = VMGR_AUTH (user_data);

  g_autoptr(GPtrArray) peers = vmgr_peers_list (self->peers);

  g_debug ("polkit's configuration changed: dropping cached decisions");
  vmgr_read_memo_forget_grants (self->memo);
  self->generation++;
  forget_all_but_views (self);
  g_hash_table_remove_all (self->primed);
  /* Ask every peer's view again so that signals keep following it. */
  for (guint i = 0; i < peers->len; i++)
    vmgr_auth_check_view (self, ((VmgrCaller *) g_ptr_array_index (peers, i))->bus_name,
                          FALSE, ignore_view, NULL);
}

static void
on_peer_vanished (VmgrPeers *peers, const char *bus_name, gpointer user_data)
{
  vmgr_read_memo_forget_sender (VMGR_AUTH (user_data)->memo, bus_name);
  g_hash_table_remove (VMGR_AUTH (user_data)->cache, bus_name);
  g_hash_table_remove (VMGR_AUTH (user_data)->primed, bus_name);
}

static void
vmgr_auth_dispose (GObject *object)
{
  VmgrAuth *self = VMGR_AUTH (object);

  if (self->authority != NULL)
    g_signal_handlers_disconnect_by_data (self->authority, self);
  if (self->peers != NULL)
    g_signal_handlers_disconnect_by_data (self->peers, self);
  g_clear_object (&self->authority);
  g_clear_object (&self->peers);
  g_clear_object (&self->store);
  g_clear_object (&self->connection);
  G_OBJECT_CLASS (vmgr_auth_parent_class)->dispose (object);
}

static void
vmgr_auth_finalize (GObject *object)
{
  VmgrAuth *self = VMGR_AUTH (object);

  g_hash_table_unref (self->cache);
  g_hash_table_unref (self->primed);
  g_object_unref (self->memo);
  G_OBJECT_CLASS (vmgr_auth_parent_class)->finalize (object);
}

static void
vmgr_auth_class_init (VmgrAuthClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = vmgr_auth_dispose;
  object_class->finalize = vmgr_auth_finalize;
}

static void
vmgr_auth_init (VmgrAuth *self)
{
  self->cache = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                       (GDestroyNotify) g_hash_table_unref);
  self->primed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_queue_init (&self->pending);
  self->memo = vmgr_read_memo_new ();
}

VmgrAuth *
vmgr_auth_new (GDBusConnection *connection, VmgrPeers *peers, VmgrStore *store,
               guint cache_ttl_s, guint timeout_ms, guint max_in_flight)
{
  VmgrAuth *self = g_object_new (VMGR_TYPE_AUTH, NULL);
  g_autoptr(GError) error = NULL;

  self->connection = g_object_ref (connection);
  self->peers = g_object_ref (peers);
  self->store = store != NULL ? g_object_ref (store) : NULL;
  self->cache_ttl_s = cache_ttl_s;
  self->timeout_ms = timeout_ms;
  self->max_in_flight = MAX (max_in_flight, 1);
  /* At startup, before the bus name is owned: a short block is fine. */
  self->authority = polkit_authority_get_sync (NULL, &error);
  if (self->authority == NULL)
    g_warning ("polkit is unavailable, every call will be denied: %s", error->message);
  else
    g_signal_connect (self->authority, "changed", G_CALLBACK (on_authority_changed), self);
  g_signal_connect (peers, "peer-vanished", G_CALLBACK (on_peer_vanished), self);
  return self;
}
