#include "vmgr-peers.h"

#include <pwd.h>

#include "vmgr-error.h"

struct _VmgrPeers {
  GObject parent_instance;
  GDBusConnection *connection;
  GHashTable *peers;    /* bus name -> Peer* */
};

typedef struct {
  VmgrCaller caller;
  guint watch_id;
  gboolean resolved;
  GPtrArray *waiters;   /* GTask* waiting for the credentials */
} Peer;

enum { SIGNAL_PEER_VANISHED, N_SIGNALS };
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (VmgrPeers, vmgr_peers, G_TYPE_OBJECT)

/* A name looked up less than a second ago is reused: publishing 10,000
 * VMs of a few owners at start would read the user database 10,000 times.
 * A renamed user shows within a second. */
#define USER_NAME_REUSE_US G_USEC_PER_SEC

typedef struct {
  char *name;
  gint64 looked_up;
} UserName;

static GMutex user_names_lock;
static GHashTable *user_names;    /* uid -> UserName* */

static void
user_name_free (gpointer data)
{
  UserName *entry = data;

  g_free (entry->name);
  g_free (entry);
}

char *
vmgr_user_name_for_uid (guint32 uid)
{
  struct passwd pwd, *found = NULL;
  char buffer[4096];
  gint64 now = g_get_monotonic_time ();
  UserName *entry;

  g_mutex_lock (&user_names_lock);
  if (user_names == NULL)
    user_names = g_hash_table_new_full (NULL, NULL, NULL, user_name_free);
  entry = g_hash_table_lookup (user_names, GUINT_TO_POINTER (uid));
  if (entry != NULL && now - entry->looked_up < USER_NAME_REUSE_US)
    {
      char *name = g_strdup (entry->name);

      g_mutex_unlock (&user_names_lock);
      return name;
    }
  g_mutex_unlock (&user_names_lock);

  entry = g_new0 (UserName, 1);
  entry->looked_up = now;
  if (getpwuid_r (uid, &pwd, buffer, sizeof buffer, &found) == 0 && found != NULL)
    entry->name = g_strdup (found->pw_name);
  else
    entry->name = g_strdup_printf ("%u", uid);
  g_mutex_lock (&user_names_lock);
  g_hash_table_replace (user_names, GUINT_TO_POINTER (uid), entry);
  g_mutex_unlock (&user_names_lock);
  return g_strdup (entry->name);
}

gboolean
vmgr_user_exists (guint32 uid)
{
  struct passwd pwd, *found = NULL;
  char buffer[4096];

  return getpwuid_r (uid, &pwd, buffer, sizeof buffer, &found) == 0 && found != NULL;
}

gboolean
vmgr_uid_for_user (const char *user, guint32 *uid)
{
  struct passwd pwd, *found = NULL;
  char buffer[4096];
  guint64 number;

  if (g_ascii_string_to_unsigned (user, 10, 0, G_MAXUINT32 - 1, &number, NULL))
    {
      *uid = (guint32) number;
      return TRUE;
    }
  if (getpwnam_r (user, &pwd, buffer, sizeof buffer, &found) != 0 || found == NULL)
    return FALSE;
  *uid = found->pw_uid;
  return TRUE;
}

static void
peer_free (Peer *peer)
{
  if (peer->watch_id != 0)
    g_bus_unwatch_name (peer->watch_id);
  g_free (peer->caller.bus_name);
  g_free (peer->caller.user_name);
  if (peer->waiters != NULL)
    g_ptr_array_unref (peer->waiters);
  g_free (peer);
}

static void
caller_copy_free (gpointer data)
{
  VmgrCaller *caller = data;

  g_free (caller->bus_name);
  g_free (caller->user_name);
  g_free (caller);
}

/* The task's own copy: the peer may leave the bus (and its entry go)
 * before the task's callback runs from an idle. */
static void
return_caller (GTask *task, const VmgrCaller *caller)
{
  VmgrCaller *copy = g_memdup2 (caller, sizeof *caller);

  copy->bus_name = g_strdup (caller->bus_name);
  copy->user_name = g_strdup (caller->user_name);
  g_task_set_task_data (task, copy, caller_copy_free);
  g_task_return_pointer (task, copy, NULL);
}

static void
fail_waiters (Peer *peer, const GError *error)
{
  g_autoptr(GPtrArray) waiters = g_steal_pointer (&peer->waiters);

  peer->waiters = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < waiters->len; i++)
    g_task_return_error (g_ptr_array_index (waiters, i), g_error_copy (error));
}

static void
on_name_vanished (GDBusConnection *connection, const char *name, gpointer user_data)
{
  VmgrPeers *self = VMGR_PEERS (user_data);
  g_autofree char *bus_name = g_strdup (name);
  Peer *peer = g_hash_table_lookup (self->peers, name);

  if (peer != NULL && peer->waiters->len > 0)
    {
      g_autoptr(GError) error = g_error_new (VMGR_ERROR, VMGR_ERROR_FAILED,
                                             "the caller %s left the bus", name);
      fail_waiters (peer, error);
    }
  g_hash_table_remove (self->peers, bus_name);
  g_signal_emit (self, signals[SIGNAL_PEER_VANISHED], 0, bus_name);
}

static gboolean
parse_credentials (GVariant *reply, VmgrCaller *caller, GError **error)
{
  g_autoptr(GVariant) dict = g_variant_get_child_value (reply, 0);
  guint32 uid, pid;

  if (!g_variant_lookup (dict, "UnixUserID", "u", &uid))
    {
      g_set_error (error, VMGR_ERROR, VMGR_ERROR_NOT_AUTHORIZED,
                   "the bus did not tell the caller's user id");
      return FALSE;
    }
  caller->uid = uid;
  caller->pid = g_variant_lookup (dict, "ProcessID", "u", &pid) ? (gint64) pid : -1;
  caller->user_name = vmgr_user_name_for_uid (uid);
  return TRUE;
}

typedef struct {
  VmgrPeers *peers;
  char *bus_name;
} CredentialsRequest;

static void
credentials_request_free (CredentialsRequest *request)
{
  g_object_unref (request->peers);
  g_free (request->bus_name);
  g_free (request);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CredentialsRequest, credentials_request_free)

static void
resolve_peer (Peer *peer)
{
  g_autoptr(GPtrArray) waiters = g_steal_pointer (&peer->waiters);

  peer->resolved = TRUE;
  peer->waiters = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < waiters->len; i++)
    return_caller (g_ptr_array_index (waiters, i), &peer->caller);
}

static void
on_credentials (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(CredentialsRequest) request = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source),
                                                             result, &error);
  Peer *peer = g_hash_table_lookup (request->peers->peers, request->bus_name);

  if (peer == NULL || peer->resolved)
    return;
  if (reply == NULL || !parse_credentials (reply, &peer->caller, &error))
    {
      g_prefix_error (&error, "cannot identify the caller %s: ", request->bus_name);
      fail_waiters (peer, error);
      g_hash_table_remove (request->peers->peers, request->bus_name);
      return;
    }
  resolve_peer (peer);
}

static Peer *
add_peer (VmgrPeers *self, const char *bus_name)
{
  Peer *peer = g_new0 (Peer, 1);
  CredentialsRequest *request = g_new0 (CredentialsRequest, 1);

  peer->caller.bus_name = g_strdup (bus_name);
  peer->caller.pid = -1;
  peer->waiters = g_ptr_array_new_with_free_func (g_object_unref);
  g_hash_table_insert (self->peers, peer->caller.bus_name, peer);
  peer->watch_id = g_bus_watch_name_on_connection (self->connection, bus_name,
                                                   G_BUS_NAME_WATCHER_FLAGS_NONE,
                                                   NULL, on_name_vanished,
                                                   self, NULL);
  request->peers = g_object_ref (self);
  request->bus_name = g_strdup (bus_name);
  g_dbus_connection_call (self->connection, "org.freedesktop.DBus",
                          "/org/freedesktop/DBus", "org.freedesktop.DBus",
                          "GetConnectionCredentials", g_variant_new ("(s)", bus_name),
                          G_VARIANT_TYPE ("(a{sv})"), G_DBUS_CALL_FLAGS_NONE, -1,
                          NULL, on_credentials, request);
  return peer;
}

void
vmgr_peers_lookup_async (VmgrPeers *self, const char *bus_name,
                         GCancellable *cancellable,
                         GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  Peer *peer;

  g_task_set_source_tag (task, vmgr_peers_lookup_async);
  if (bus_name == NULL)
    {
      g_task_return_new_error (task, VMGR_ERROR, VMGR_ERROR_NOT_AUTHORIZED,
                               "the caller has no bus name");
      return;
    }
  peer = g_hash_table_lookup (self->peers, bus_name);
  if (peer == NULL)
    peer = add_peer (self, bus_name);
  if (peer->resolved)
    return_caller (task, &peer->caller);
  else
    g_ptr_array_add (peer->waiters, g_steal_pointer (&task));
}

const VmgrCaller *
vmgr_peers_lookup_finish (VmgrPeers *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

const VmgrCaller *
vmgr_peers_get (VmgrPeers *self, const char *bus_name)
{
  Peer *peer = bus_name != NULL ? g_hash_table_lookup (self->peers, bus_name) : NULL;

  return peer != NULL && peer->resolved ? &peer->caller : NULL;
}

GPtrArray *
vmgr_peers_list (VmgrPeers *self)
{
  GPtrArray *list = g_ptr_array_new ();
  GHashTableIter iter;
  Peer *peer;

  g_hash_table_iter_init (&iter, self->peers);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &peer))
    if (peer->resolved)
      g_ptr_array_add (list, &peer->caller);
  return list;
}

static void
vmgr_peers_finalize (GObject *object)
{
  VmgrPeers *self = VMGR_PEERS (object);

  g_hash_table_unref (self->peers);
  g_clear_object (&self->connection);
  G_OBJECT_CLASS (vmgr_peers_parent_class)->finalize (object);
}

static void
vmgr_peers_class_init (VmgrPeersClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = vmgr_peers_finalize;
  signals[SIGNAL_PEER_VANISHED] =
    g_signal_new ("peer-vanished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
vmgr_peers_init (VmgrPeers *self)
{
  self->peers = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                       (GDestroyNotify) peer_free);
}

VmgrPeers *
vmgr_peers_new (GDBusConnection *connection)
{
  VmgrPeers *self = g_object_new (VMGR_TYPE_PEERS, NULL);

  self->connection = g_object_ref (connection);
  return self;
}
