/* The backend's connection to libvirt, and getting it back when it drops.
 *
 * libvirt reports a dead connection (libvirtd stopped, restarted or
 * crashed, a keepalive timeout) through the close callback, in whichever
 * thread noticed, possibly with its own locks held. The callback only
 * posts a notice to the backend's main context. There the connection is
 * dropped, open consoles are closed, "connection-lost" is emitted and a
 * reconnection attempt is scheduled: 1 s after the loss, then doubling up
 * to 30 s between failed attempts. An attempt opens the URI and subscribes
 * to lifecycle events and to the close callback in a worker thread; the
 * main context then installs the new connection and emits
 * "connection-restored".
 *
 * Worker threads use the connection through references of their own
 * (vmgr_backend_ref_connection), so dropping the backend's reference never
 * frees a connection that a call still uses: libvirt frees it when the
 * last task lets go, and calls on it meanwhile fail.
 *
 * Notices are matched to the connection they are about by a generation
 * number, so a late notice about an old connection cannot drop a new one. */
#include "vmgr-backend-private.h"

#include "vmgr-error.h"

#define RETRY_FIRST_S 1
#define RETRY_MAX_S 30

/* What the close callback needs: which backend, which connection, where to
 * post. Atomically reference-counted: the connection holds one reference,
 * each posted notice one. libvirt gets it without a free function because
 * drivers without close callbacks (the test driver) accept the
 * registration and never call one. libvirt stops using it once
 * unregistered, or once the callback has fired: libvirt then drops the
 * registration by itself, and unregistering fails (the remote driver
 * tells the dead daemon first). */
typedef struct {
  GWeakRef backend;
  GMainContext *context;
  guint generation;
  gint fired;               /* atomic: libvirt called the close callback */
} Watch;

static Watch *
watch_new (VmgrBackend *backend, GMainContext *context, guint generation)
{
  Watch *watch = g_atomic_rc_box_new0 (Watch);

  g_weak_ref_init (&watch->backend, backend);
  watch->context = g_main_context_ref (context);
  watch->generation = generation;
  return watch;
}

static Watch *
watch_ref (Watch *watch)
{
  return g_atomic_rc_box_acquire (watch);
}

static void
watch_clear (gpointer data)
{
  Watch *watch = data;

  g_weak_ref_clear (&watch->backend);
  g_main_context_unref (watch->context);
}

static void
watch_unref (Watch *watch)
{
  g_atomic_rc_box_release_full (watch, watch_clear);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Watch, watch_unref)

/* An open connection and what is registered on it. */
typedef struct {
  virConnectPtr conn;
  int lifecycle_id;         /* -1 when not subscribed */
  Watch *watch;             /* non-NULL while the close callback is registered */
} Connection;

#define CONNECTION_INIT { NULL, -1, NULL }

struct _VmgrBackendLink {
  GMutex lock;              /* guards current and unavailable (worker threads read them) */
  Connection current;       /* current.conn is NULL while disconnected */
  char *unavailable;        /* why, while disconnected */
  char *host_name;          /* names the host in errors; NULL: "libvirt" */

  /* Main context only (and vmgr_backend_link_free, once nothing else can
   * reach the backend). */
  GMainContext *context;
  char *lost;               /* how the connection was lost */
  guint generation;         /* of the current connection or attempt */
  guint retry_delay_s;      /* before the next attempt */
  GSource *retry;           /* the pending attempt's timer */
};

static void on_connection_closed (virConnectPtr conn, int reason, void *opaque);

/* Unsubscribes and drops this reference on the connection: libvirt frees
 * it once worker threads have dropped theirs. Fast on a dead connection:
 * the remote driver refuses calls on a closed socket at once. */
static void
connection_clear (Connection *connection)
{
  if (connection->conn == NULL)
    return;
  if (connection->lifecycle_id >= 0 &&
      virConnectDomainEventDeregisterAny (connection->conn, connection->lifecycle_id) < 0)
    g_debug ("Cannot unsubscribe from lifecycle events: %s", virGetLastErrorMessage ());
  connection->lifecycle_id = -1;
  /* Once unregistered or fired, the callback will not run again (the
   * remote driver calls it under the lock that unregistering takes, then
   * drops the registration). If unregistering fails before it fired, the
   * watch is left to libvirt, on purpose. */
  if (connection->watch != NULL)
    {
      if (g_atomic_int_get (&connection->watch->fired) ||
          virConnectUnregisterCloseCallback (connection->conn, on_connection_closed) == 0)
        watch_unref (connection->watch);
      else
        g_debug ("Cannot unregister the close callback: %s", virGetLastErrorMessage ());
      connection->watch = NULL;
    }
  g_clear_pointer (&connection->conn, virConnectClose);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Connection, connection_clear)

static void
connection_free (Connection *connection)
{
  connection_clear (connection);
  g_free (connection);
}

/* Opens @backend's URI and subscribes to what the backend needs; blocks.
 * Any thread. */
static gboolean
connection_open (VmgrBackend *backend, Watch *watch, Connection *out, GError **error)
{
  const char *uri = vmgr_backend_get_uri (backend);
  g_auto(Connection) connection = CONNECTION_INIT;

  connection.conn = virConnectOpen (uri);
  if (connection.conn == NULL)
    {
      vmgr_backend_set_error_from_libvirt (error);
      g_prefix_error (error, "Cannot open libvirt connection %s: ", uri);
      return FALSE;
    }
  connection.lifecycle_id = vmgr_backend_prepare_connection (backend, connection.conn, error);
  if (connection.lifecycle_id < 0)
    return FALSE;
  if (virConnectRegisterCloseCallback (connection.conn, on_connection_closed, watch, NULL) < 0)
    {
      vmgr_backend_set_error_from_libvirt (error);
      g_prefix_error (error, "Cannot watch libvirt connection %s: ", uri);
      return FALSE;
    }
  connection.watch = watch_ref (watch);
  *out = connection;
  connection = (Connection) CONNECTION_INIT;
  return TRUE;
}

static void
link_set_unavailable (VmgrBackendLink *link, char *unavailable)
{
  g_mutex_lock (&link->lock);
  g_free (link->unavailable);
  link->unavailable = unavailable;
  g_mutex_unlock (&link->lock);
}

/* ---- reconnecting ---- */

static void schedule_attempt (VmgrBackend *backend, VmgrBackendLink *link);

static void
attempt_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  Connection *connection = g_new0 (Connection, 1);
  GError *error = NULL;

  if (!connection_open (source, task_data, connection, &error))
    {
      g_free (connection);
      g_task_return_error (task, error);
      return;
    }
  g_task_return_pointer (task, connection, (GDestroyNotify) connection_free);
}

static void
attempt_failed (VmgrBackend *backend, VmgrBackendLink *link, const GError *error)
{
  g_debug ("Reconnecting to %s failed: %s", vmgr_backend_get_uri (backend), error->message);
  link->retry_delay_s = MIN (link->retry_delay_s * 2, RETRY_MAX_S);
  link_set_unavailable (link, g_strdup_printf ("%s; reconnecting failed (%s), next attempt in %u s",
                                               link->lost, error->message,
                                               link->retry_delay_s));
  schedule_attempt (backend, link);
}

static void
link_install (VmgrBackendLink *link, Connection *connection, guint generation)
{
  g_mutex_lock (&link->lock);
  link->current = *connection;
  g_clear_pointer (&link->unavailable, g_free);
  g_mutex_unlock (&link->lock);
  *connection = (Connection) CONNECTION_INIT;
  link->generation = generation;
  link->retry_delay_s = RETRY_FIRST_S;
  g_clear_pointer (&link->lost, g_free);
}

/* Main context. The task holds the backend while the attempt runs. */
static void
on_attempt_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  VmgrBackend *backend = VMGR_BACKEND (source);
  VmgrBackendLink *link = vmgr_backend_get_link (backend);
  Watch *watch = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;
  Connection *connection = g_task_propagate_pointer (G_TASK (result), &error);

  if (link == NULL)
    {
      g_clear_pointer (&connection, connection_free);
      return;
    }
  /* A close noticed before this ran was ignored (nothing was installed):
   * catch it here. One noticed later is posted after this. */
  if (connection != NULL && virConnectIsAlive (connection->conn) != 1)
    {
      g_set_error (&error, VMGR_ERROR, VMGR_ERROR_HYPERVISOR,
                   "the connection closed as soon as it opened");
      g_clear_pointer (&connection, connection_free);
    }
  if (connection == NULL)
    {
      attempt_failed (backend, link, error);
      return;
    }
  link_install (link, connection, watch->generation);
  g_free (connection);
  g_debug ("Reconnected to %s", vmgr_backend_get_uri (backend));
  g_signal_emit_by_name (backend, "connection-restored");
}

static void
start_attempt (VmgrBackend *backend, VmgrBackendLink *link)
{
  g_autoptr(GTask) task = g_task_new (backend, NULL, on_attempt_done, NULL);

  g_task_set_source_tag (task, start_attempt);
  g_task_set_task_data (task, watch_new (backend, link->context, ++link->generation),
                        (GDestroyNotify) watch_unref);
  g_task_run_in_thread (task, attempt_thread);
}

static void
weak_ref_free (gpointer data)
{
  g_weak_ref_clear (data);
  g_free (data);
}

/* The timer holds the backend weakly: a backend dropped during an outage
 * goes at once. */
static gboolean
on_attempt_due (gpointer data)
{
  g_autoptr(VmgrBackend) backend = g_weak_ref_get (data);
  VmgrBackendLink *link;

  if (backend == NULL)
    return G_SOURCE_REMOVE;
  link = vmgr_backend_get_link (backend);
  g_clear_pointer (&link->retry, g_source_unref);
  start_attempt (backend, link);
  return G_SOURCE_REMOVE;
}

static void
schedule_attempt (VmgrBackend *backend, VmgrBackendLink *link)
{
  GWeakRef *weak = g_new0 (GWeakRef, 1);

  g_return_if_fail (link->retry == NULL);

  g_weak_ref_init (weak, backend);
  link->retry = g_timeout_source_new (link->retry_delay_s * 1000);
  g_source_set_static_name (link->retry, "vmgr libvirt reconnect");
  g_source_set_callback (link->retry, on_attempt_due, weak, weak_ref_free);
  g_source_attach (link->retry, link->context);
}

/* ---- losing the connection ---- */

static const char *
close_reason_to_string (int reason)
{
  switch (reason)
    {
    case VIR_CONNECT_CLOSE_REASON_ERROR:
      return "I/O error";
    case VIR_CONNECT_CLOSE_REASON_EOF:
      return "end of file: libvirtd went away";
    case VIR_CONNECT_CLOSE_REASON_KEEPALIVE:
      return "keepalive timeout";
    case VIR_CONNECT_CLOSE_REASON_CLIENT:
      return "closed by the client";
    default:
      return "unknown reason";
    }
}

/* Main context. */
static void
link_lost (VmgrBackend *backend, guint generation, int reason)
{
  VmgrBackendLink *link = vmgr_backend_get_link (backend);
  Connection dead;

  /* About an older connection, or noticed twice. */
  if (link == NULL || generation != link->generation || link->current.conn == NULL)
    return;

  g_free (link->lost);
  link->lost = g_strdup_printf ("the connection to %s was lost (%s)",
                                vmgr_backend_get_uri (backend), close_reason_to_string (reason));
  g_debug ("%s; reconnecting in %d s", link->lost, RETRY_FIRST_S);
  g_mutex_lock (&link->lock);
  dead = link->current;
  link->current = (Connection) CONNECTION_INIT;
  g_free (link->unavailable);
  link->unavailable = g_strdup (link->lost);
  g_mutex_unlock (&link->lock);
  connection_clear (&dead);

  vmgr_backend_close_consoles (backend);
  link->retry_delay_s = RETRY_FIRST_S;
  schedule_attempt (backend, link);
  g_signal_emit_by_name (backend, "connection-lost");
}

typedef struct {
  Watch *watch;
  int reason;
} LostNotice;

static void
lost_notice_free (gpointer data)
{
  LostNotice *notice = data;

  watch_unref (notice->watch);
  g_free (notice);
}

static gboolean
on_lost_notice (gpointer data)
{
  LostNotice *notice = data;
  g_autoptr(VmgrBackend) backend = g_weak_ref_get (&notice->watch->backend);

  if (backend != NULL)
    link_lost (backend, notice->watch->generation, notice->reason);
  return G_SOURCE_REMOVE;
}

/* Posts a notice to the backend's main context. Takes no reference on the
 * backend (the last one going would dispose it right here) and calls
 * nothing in libvirt. */
static void
post_lost_notice (Watch *watch, int reason)
{
  LostNotice *notice = g_new0 (LostNotice, 1);
  GSource *idle = g_idle_source_new ();

  notice->watch = watch_ref (watch);
  notice->reason = reason;
  g_source_set_static_name (idle, "vmgr libvirt connection lost");
  g_source_set_callback (idle, on_lost_notice, notice, lost_notice_free);
  g_source_attach (idle, notice->watch->context);
  g_source_unref (idle);
}

/* libvirt's close callback: any thread, with libvirt's locks held. */
static void
on_connection_closed (virConnectPtr conn, int reason, void *opaque)
{
  /* Once fired is set, the main context may release the connection's
   * reference on the watch: hold one until done. */
  g_autoptr(Watch) watch = watch_ref (opaque);

  g_atomic_int_set (&watch->fired, TRUE);
  post_lost_notice (watch, reason);
}

void
vmgr_backend_simulate_disconnect (VmgrBackend *self)
{
  VmgrBackendLink *link;

  g_return_if_fail (VMGR_IS_BACKEND (self));

  link = vmgr_backend_get_link (self);
  /* Main context: the only writer of current, so no lock to read it. The
   * registration stays (libvirt did not fire it): it is unregistered as
   * after any close. */
  if (link->current.watch != NULL)
    post_lost_notice (link->current.watch, VIR_CONNECT_CLOSE_REASON_EOF);
}

/* ---- the link ---- */

VmgrBackendLink *
vmgr_backend_link_open (VmgrBackend *backend, GError **error)
{
  VmgrBackendLink *link = g_new0 (VmgrBackendLink, 1);
  g_autoptr(Watch) watch = NULL;

  g_mutex_init (&link->lock);
  link->current = (Connection) CONNECTION_INIT;
  link->context = g_main_context_ref_thread_default ();
  link->generation = 1;
  link->retry_delay_s = RETRY_FIRST_S;
  watch = watch_new (backend, link->context, link->generation);
  if (!connection_open (backend, watch, &link->current, error))
    {
      vmgr_backend_link_free (link);
      return NULL;
    }
  return link;
}

VmgrBackendLink *
vmgr_backend_link_new_unconnected (VmgrBackend *backend)
{
  VmgrBackendLink *link = g_new0 (VmgrBackendLink, 1);

  g_mutex_init (&link->lock);
  link->current = (Connection) CONNECTION_INIT;
  link->context = g_main_context_ref_thread_default ();
  link->generation = 1;
  link->retry_delay_s = RETRY_FIRST_S;
  link->lost = g_strdup_printf ("%s is not connected yet", vmgr_backend_get_uri (backend));
  link->unavailable = g_strdup (link->lost);
  return link;
}

void
vmgr_backend_link_start (VmgrBackend *backend)
{
  start_attempt (backend, vmgr_backend_get_link (backend));
}

void
vmgr_backend_link_free (VmgrBackendLink *link)
{
  if (link->retry != NULL)
    {
      g_source_destroy (link->retry);
      g_source_unref (link->retry);
    }
  connection_clear (&link->current);
  g_main_context_unref (link->context);
  g_free (link->lost);
  g_free (link->unavailable);
  g_free (link->host_name);
  g_mutex_clear (&link->lock);
  g_free (link);
}

/* ---- using the connection ---- */

virConnectPtr
vmgr_backend_ref_connection (VmgrBackend *self, GError **error)
{
  VmgrBackendLink *link = vmgr_backend_get_link (self);
  g_autoptr(GMutexLocker) locker = NULL;

  /* Assigned apart from its declaration: clang's -Wunused-variable does not
   * count the cleanup as a use. */
  locker = g_mutex_locker_new (&link->lock);
  if (link->current.conn == NULL)
    {
      if (link->host_name != NULL)
        g_set_error (error, VMGR_ERROR, VMGR_ERROR_HYPERVISOR, "host %s is not connected (%s): %s",
                     link->host_name, vmgr_backend_get_uri (self), link->unavailable);
      else
        g_set_error (error, VMGR_ERROR, VMGR_ERROR_HYPERVISOR, "libvirt is unavailable: %s",
                     link->unavailable);
      return NULL;
    }
  virConnectRef (link->current.conn);
  return link->current.conn;
}

gboolean
vmgr_backend_check_connected (VmgrBackend *self, GError **error)
{
  virConnectPtr conn;

  g_return_val_if_fail (VMGR_IS_BACKEND (self), FALSE);

  conn = vmgr_backend_ref_connection (self, error);
  if (conn == NULL)
    return FALSE;
  /* Not the last reference (the link holds one): nothing is closed. */
  virConnectClose (conn);
  return TRUE;
}

void
vmgr_backend_set_host_name (VmgrBackend *self, const char *name)
{
  VmgrBackendLink *link;

  g_return_if_fail (VMGR_IS_BACKEND (self));

  link = vmgr_backend_get_link (self);
  g_mutex_lock (&link->lock);
  g_free (link->host_name);
  link->host_name = g_strdup (name);
  g_mutex_unlock (&link->lock);
}

gboolean
vmgr_backend_is_connected (VmgrBackend *self)
{
  VmgrBackendLink *link;
  g_autoptr(GMutexLocker) locker = NULL;

  g_return_val_if_fail (VMGR_IS_BACKEND (self), FALSE);

  link = vmgr_backend_get_link (self);
  locker = g_mutex_locker_new (&link->lock);
  return link->current.conn != NULL;
}
