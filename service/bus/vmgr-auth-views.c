/* What a caller may see in general (view-own and view-any asked without a
 * VM, for lists and the fan-out of signals), and which actions it holds
 * (GetPermissions). */
#include "vmgr-auth-private.h"

#include "vmgr-error.h"
#include "vmgr-names.h"

/* Whether the caller may see VMs in general (lists, signals): view-own and
 * view-any asked without a VM, cached like any read. */
typedef struct {
  VmgrAuth *auth;
  char *sender;
  gboolean interactive;
  gint64 deadline;
  gboolean own_allowed;
  VmgrCaller caller;
  VmgrAuthViewCallback callback;
  gpointer user_data;
} ViewRequest;

static void
view_request_finish (ViewRequest *view, VmgrAuthView result, const GError *error)
{
  view->callback (result, &view->caller, error, view->user_data);
  g_object_unref (view->auth);
  g_free (view->sender);
  g_free (view->caller.bus_name);
  g_free (view->caller.user_name);
  g_free (view);
}

static void
on_view_any_decided (gboolean allowed, const GError *error, gint64 valid_until, gpointer data)
{
  ViewRequest *view = data;
  VmgrAuthView result = 0;

  if (view->own_allowed)
    result |= VMGR_AUTH_VIEW_OWN;
  if (allowed)
    result |= VMGR_AUTH_VIEW_ANY;
  view_request_finish (view, result, NULL);
}

static void
on_view_own_decided (gboolean allowed, const GError *error, gint64 valid_until, gpointer data)
{
  ViewRequest *view = data;

  view->own_allowed = allowed;
  vmgr_auth_decide (view->auth, view->sender, VMGR_ACTION_VIEW_ANY, "list", NULL, NULL, TRUE,
          view->interactive, view->deadline, on_view_any_decided, view);
}

static void
on_view_caller_known (GObject *source, GAsyncResult *result, gpointer data)
{
  ViewRequest *view = data;
  g_autoptr(GError) error = NULL;
  const VmgrCaller *caller = vmgr_peers_lookup_finish (VMGR_PEERS (source), result, &error);

  if (caller == NULL)
    {
      g_autoptr(GError) denial = g_error_new (VMGR_ERROR, VMGR_ERROR_NOT_AUTHORIZED,
                                              "%s", error->message);
      view_request_finish (view, 0, denial);
      return;
    }
  view->caller.uid = caller->uid;
  view->caller.pid = caller->pid;
  view->caller.user_name = g_strdup (caller->user_name);
  vmgr_auth_decide (view->auth, view->sender, VMGR_ACTION_VIEW_OWN, "list", NULL, NULL, TRUE,
          view->interactive, view->deadline, on_view_own_decided, view);
}

void
vmgr_auth_check_view (VmgrAuth *self, const char *sender, gboolean interactive,
                      VmgrAuthViewCallback callback, gpointer user_data)
{
  ViewRequest *view = g_new0 (ViewRequest, 1);

  view->auth = g_object_ref (self);
  view->sender = g_strdup (sender);
  view->interactive = interactive;
  view->deadline = vmgr_auth_request_deadline (self, interactive);
  view->caller.bus_name = g_strdup (sender);
  view->caller.pid = -1;
  view->callback = callback;
  view->user_data = user_data;
  vmgr_peers_lookup_async (self->peers, sender, NULL, on_view_caller_known, view);
}

gboolean
vmgr_auth_view_includes (VmgrAuthView view, const VmgrCaller *caller, guint32 owner)
{
  return (view & (owner == caller->uid ? VMGR_AUTH_VIEW_OWN : VMGR_AUTH_VIEW_ANY)) != 0;
}

gboolean
vmgr_auth_cached_visible (VmgrAuth *self, const VmgrCaller *caller, guint32 owner)
{
  g_autofree char *key = vmgr_auth_cache_key (owner == caller->uid ? VMGR_ACTION_VIEW_OWN : VMGR_ACTION_VIEW_ANY, "list", NULL);
  GHashTable *per_peer = g_hash_table_lookup (self->cache, caller->bus_name);
  Decision *decision = per_peer != NULL ? g_hash_table_lookup (per_peer, key) : NULL;

  /* Signals follow the last decision even past its time to live: the
   * cache is dropped on polkit's Changed and the view asked again. */
  return vmgr_auth_caller_is_root (caller) || (decision != NULL && decision->allowed);
}

/* The actions a caller holds (vmgr_auth_check_held): one question per
 * action, all at once; the answer when the last one is back. */
typedef struct {
  VmgrAuth *auth;
  char *sender;
  GStrv actions;
  gboolean *held;
  gint64 deadline;              /* monotonic: every question answered by then */
  guint pending;
  GError *error;
  VmgrAuthHeldCallback callback;
  gpointer user_data;
} HeldRequest;

typedef struct {
  HeldRequest *request;
  guint index;
} HeldSlot;

static void
held_request_finish (HeldRequest *request)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) held = NULL;

  for (guint i = 0; request->actions[i] != NULL; i++)
    if (request->held[i])
      g_strv_builder_add (builder, request->actions[i]);
  held = g_strv_builder_end (builder);
  request->callback (request->error != NULL ? NULL : held, request->error, request->user_data);
  g_object_unref (request->auth);
  g_free (request->sender);
  g_strfreev (request->actions);
  g_free (request->held);
  g_clear_error (&request->error);
  g_free (request);
}

static void
on_held_decided (gboolean allowed, const GError *error, gint64 valid_until, gpointer data)
{
  g_autofree HeldSlot *slot = data;
  HeldRequest *request = slot->request;

  request->held[slot->index] = allowed && error == NULL;
  if (error != NULL && request->error == NULL)
    request->error = g_error_copy (error);
  if (--request->pending == 0)
    held_request_finish (request);
}

static void
on_held_caller_known (GObject *source, GAsyncResult *result, gpointer data)
{
  HeldRequest *request = data;
  g_autoptr(GError) error = NULL;
  guint n = g_strv_length (request->actions);

  if (vmgr_peers_lookup_finish (VMGR_PEERS (source), result, &error) == NULL)
    {
      request->error = g_error_new (VMGR_ERROR, VMGR_ERROR_NOT_AUTHORIZED, "%s", error->message);
      held_request_finish (request);
      return;
    }
  request->pending = n + 1;
  for (guint i = 0; i < n; i++)
    {
      HeldSlot *slot = g_new0 (HeldSlot, 1);

      slot->request = request;
      slot->index = i;
      vmgr_auth_decide (request->auth, request->sender, request->actions[i], "permissions", NULL, NULL,
              TRUE, FALSE, request->deadline, on_held_decided, slot);
    }
  if (--request->pending == 0)
    held_request_finish (request);
}

void
vmgr_auth_check_held (VmgrAuth *self, const char *sender, const char * const *actions,
                      VmgrAuthHeldCallback callback, gpointer user_data)
{
  HeldRequest *request = g_new0 (HeldRequest, 1);

  request->auth = g_object_ref (self);
  request->sender = g_strdup (sender);
  request->actions = g_strdupv ((char **) actions);
  request->held = g_new0 (gboolean, g_strv_length (request->actions) + 1);
  request->deadline = vmgr_auth_request_deadline (self, FALSE);
  request->callback = callback;
  request->user_data = user_data;
  vmgr_peers_lookup_async (self->peers, sender, NULL, on_held_caller_known, request);
}
