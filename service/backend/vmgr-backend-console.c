/* Consoles: a domain's console (virDomainOpenConsole) relayed through a
 * socket pair, the caller holding one end.
 *
 * Opening (lookup, state check, virStreamNew, virDomainOpenConsole: round
 * trips to libvirtd) runs in a worker thread. The relay runs on the
 * default main context: the stream's events come from libvirt-glib's
 * event loop, our end of the socket pair is polled by a GSource. Each
 * direction has one small buffer; while it holds data, reading from that
 * direction's source stops until the other side has taken it all
 * (back-pressure). When either side ends (end of file, hang-up, error),
 * the session ends: our end of the socket is closed, so the caller reads
 * end of file, and the stream is finished (after a clean end) or aborted
 * (after an error) in a worker thread, since both wait for libvirtd's
 * answer.
 *
 * Flags: 0, never VIR_DOMAIN_CONSOLE_FORCE. FORCE would let a second
 * opener silently kill whoever holds the console (another customer, or an
 * administrator's virsh console) on the drivers that lock consoles
 * (QEMU): they answer a second opener VIR_ERR_OPERATION_FAILED "Active
 * console session exists for this domain" instead, which becomes BUSY.
 * The LXC driver takes no flags at all (FORCE fails there) and does not
 * lock: two openers would share the PTY, each getting part of the output.
 * So vmgr also allows one session per domain itself (the backend's console
 * table): a second OpenConsole while one is open or opening is BUSY on
 * every driver, without reaching libvirt. */
#include "vmgr-backend-private.h"

#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include <glib-unix.h>

#include "vmgr-error.h"

#define CHUNK_SIZE 4096

/* ---- ending a stream ---- */

typedef struct {
  virStreamPtr stream;
  gboolean graceful;        /* finish (after a clean end), else abort */
} StreamEnd;

static void
stream_end_free (gpointer data)
{
  StreamEnd *end = data;

  virStreamFree (end->stream);
  g_free (end);
}

static void
stream_end_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  StreamEnd *end = task_data;

  if (end->graceful && virStreamFinish (end->stream) == 0)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }
  if (end->graceful)
    g_debug ("Cannot finish a console stream: %s", virGetLastErrorMessage ());
  /* A stream must not be freed while a transfer may be under way. */
  if (virStreamAbort (end->stream) < 0)
    g_debug ("Cannot abort a console stream: %s", virGetLastErrorMessage ());
  g_task_return_boolean (task, TRUE);
}

/* Finishes or aborts @stream and frees it, in a worker thread. */
static void
stream_end (virStreamPtr stream, gboolean graceful)
{
  g_autoptr(GTask) task = g_task_new (NULL, NULL, NULL, NULL);
  StreamEnd *end = g_new0 (StreamEnd, 1);

  end->stream = stream;
  end->graceful = graceful;
  g_task_set_source_tag (task, stream_end);
  g_task_set_task_data (task, end, stream_end_free);
  g_task_run_in_thread (task, stream_end_thread);
}

static void
stream_abort (gpointer stream)
{
  stream_end (stream, FALSE);
}

/* ---- the relay ---- */

/* One direction's buffer: data[offset..length) is still to pass on. */
typedef struct {
  char data[CHUNK_SIZE];
  gsize length;
  gsize offset;
} Chunk;

static gboolean
chunk_pending (const Chunk *chunk)
{
  return chunk->offset < chunk->length;
}

static void
chunk_fill (Chunk *chunk, gsize length)
{
  chunk->length = length;
  chunk->offset = 0;
}

/* Atomically reference-counted. References: the session's own while it
 * is open (dropped when it ends), the socket source's (released when the
 * source is finalized, after any dispatch in progress) and one held by
 * the stream callback while it runs. So a session ending inside one of its
 * callbacks stays valid until it returns.
 *
 * libvirt gets the session without a free function: libvirt 9.0's remote
 * driver never calls a stream callback's free function
 * (remoteStreamCallbackFree tests cbdata->cb, which is never NULL; fixed
 * upstream in 2025), so a reference given to it would leak with every
 * session. Without one the pointer is safe: stream callbacks are
 * dispatched on the main loop (libvirt-glib), where the session removes
 * its callback before dropping its reference, so no dispatch can start
 * afterwards, and one in progress holds its own reference. */
typedef struct {
  GWeakRef backend;         /* to leave the backend's console table */
  char *uuid;
  virStreamPtr stream;      /* NULL once ended */
  int fd;                   /* our end of the socket pair; -1 once closed */
  GSource *source;          /* polls @fd */
  gpointer fd_tag;
  int stream_events;        /* what the stream callback listens for */
  gboolean ended;
  Chunk to_socket;          /* from the guest, for the caller */
  Chunk to_stream;          /* from the caller, for the guest */
} Session;

static void
session_clear (gpointer data)
{
  Session *session = data;

  g_weak_ref_clear (&session->backend);
  g_free (session->uuid);
  if (session->fd >= 0)
    close (session->fd);
  if (session->stream != NULL)
    stream_end (session->stream, FALSE);
}

static Session *
session_ref (Session *session)
{
  return g_atomic_rc_box_acquire (session);
}

static void
session_unref (Session *session)
{
  g_atomic_rc_box_release_full (session, session_clear);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Session, session_unref)

/* Takes @stream and @fd. */
static Session *
session_new (VmgrBackend *backend, const char *uuid, virStreamPtr stream, int fd)
{
  Session *session = g_atomic_rc_box_new0 (Session);

  g_weak_ref_init (&session->backend, backend);
  session->uuid = g_strdup (uuid);
  session->stream = stream;
  session->fd = fd;
  return session;
}

static void
session_forget (Session *session)
{
  g_autoptr(VmgrBackend) backend = g_weak_ref_get (&session->backend);
  GHashTable *consoles;

  if (backend == NULL)
    return;
  consoles = vmgr_backend_get_consoles (backend);
  if (g_hash_table_lookup (consoles, session->uuid) == session)
    g_hash_table_remove (consoles, session->uuid);
}

/* Ends the session: main context, at most once. */
static void
session_end (Session *session, gboolean graceful, const char *why)
{
  g_debug ("Console of %s closed: %s", session->uuid, why);
  session->ended = TRUE;
  if (virStreamEventRemoveCallback (session->stream) < 0)
    g_debug ("Cannot remove the console stream callback: %s", virGetLastErrorMessage ());
  g_source_destroy (session->source);
  g_clear_pointer (&session->source, g_source_unref);
  close (session->fd);
  session->fd = -1;
  session_forget (session);
  stream_end (g_steal_pointer (&session->stream), graceful);
  session_unref (session);
}

static void
session_fail_errno (Session *session, int saved_errno)
{
  /* The caller closing its end is the normal way to leave. */
  gboolean hung_up = saved_errno == EPIPE || saved_errno == ECONNRESET;

  session_end (session, hung_up, g_strerror (saved_errno));
}

/* What each side is polled for: read from a side only while the buffer
 * towards the other is empty, wait to write only while it holds data. */
static void
session_update_interest (Session *session)
{
  int events = 0;
  GIOCondition condition = 0;

  if (!chunk_pending (&session->to_socket))
    events |= VIR_STREAM_EVENT_READABLE;
  if (chunk_pending (&session->to_stream))
    events |= VIR_STREAM_EVENT_WRITABLE;
  if (events != session->stream_events)
    {
      if (virStreamEventUpdateCallback (session->stream, events) < 0)
        {
          session_end (session, FALSE, virGetLastErrorMessage ());
          return;
        }
      session->stream_events = events;
    }

  if (!chunk_pending (&session->to_stream))
    condition |= G_IO_IN;
  if (chunk_pending (&session->to_socket))
    condition |= G_IO_OUT;
  g_source_modify_unix_fd (session->source, session->fd_tag, condition);
}

static void
flush_to_socket (Session *session)
{
  Chunk *chunk = &session->to_socket;

  while (chunk_pending (chunk))
    {
      gssize n = send (session->fd, chunk->data + chunk->offset, chunk->length - chunk->offset,
                       MSG_NOSIGNAL | MSG_DONTWAIT);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        return;
      if (n < 0)
        {
          session_fail_errno (session, errno);
          return;
        }
      chunk->offset += n;
    }
}

static void
flush_to_stream (Session *session)
{
  Chunk *chunk = &session->to_stream;

  while (chunk_pending (chunk))
    {
      int n = virStreamSend (session->stream, chunk->data + chunk->offset,
                             chunk->length - chunk->offset);

      if (n == -2)
        return;
      if (n < 0)
        {
          session_end (session, FALSE, virGetLastErrorMessage ());
          return;
        }
      chunk->offset += n;
    }
}

static void
relay_from_stream (Session *session, int events)
{
  Chunk *chunk = &session->to_socket;
  int n;

  if (chunk_pending (chunk))
    {
      if (events & (VIR_STREAM_EVENT_HANGUP | VIR_STREAM_EVENT_ERROR))
        session_end (session, FALSE, "the console stream failed");
      return;
    }
  n = virStreamRecv (session->stream, chunk->data, sizeof chunk->data);
  if (n == -2)
    return;
  if (n == 0)
    {
      session_end (session, TRUE, "the guest's console closed");
      return;
    }
  if (n < 0)
    {
      session_end (session, FALSE, virGetLastErrorMessage ());
      return;
    }
  chunk_fill (chunk, n);
  flush_to_socket (session);
}

static void
relay_from_socket (Session *session, GIOCondition revents)
{
  Chunk *chunk = &session->to_stream;
  gssize n;

  if (chunk_pending (chunk))
    {
      /* poll() reports a hang-up whatever it was asked for: waiting for
       * the stream to take the rest would spin. */
      if (revents & (G_IO_HUP | G_IO_ERR))
        session_end (session, FALSE, "the caller hung up with input undelivered");
      return;
    }
  n = recv (session->fd, chunk->data, sizeof chunk->data, MSG_DONTWAIT);
  if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
    return;
  if (n < 0)
    {
      session_fail_errno (session, errno);
      return;
    }
  if (n == 0)
    {
      session_end (session, TRUE, "the caller closed the console");
      return;
    }
  chunk_fill (chunk, n);
  flush_to_stream (session);
}

static void
on_stream_event (virStreamPtr stream, int events, void *opaque)
{
  g_autoptr(Session) session = session_ref (opaque);

  if (!session->ended && (events & VIR_STREAM_EVENT_WRITABLE))
    flush_to_stream (session);
  if (!session->ended &&
      (events & (VIR_STREAM_EVENT_READABLE | VIR_STREAM_EVENT_HANGUP | VIR_STREAM_EVENT_ERROR)))
    relay_from_stream (session, events);
  if (!session->ended)
    session_update_interest (session);
}

static void
on_socket_ready (Session *session, GIOCondition revents)
{
  if (!session->ended && (revents & G_IO_OUT))
    flush_to_socket (session);
  if (!session->ended && (revents & (G_IO_IN | G_IO_HUP | G_IO_ERR)))
    relay_from_socket (session, revents);
  if (!session->ended)
    session_update_interest (session);
}

/* A GSource on our end of the socket pair whose condition follows the
 * buffers (g_source_modify_unix_fd). */
typedef struct {
  GSource parent;
  Session *session;         /* a reference */
} SocketSource;

static gboolean
socket_source_dispatch (GSource *source, GSourceFunc callback, gpointer user_data)
{
  Session *session = ((SocketSource *) source)->session;

  on_socket_ready (session, g_source_query_unix_fd (source, session->fd_tag));
  return G_SOURCE_CONTINUE;
}

static void
socket_source_finalize (GSource *source)
{
  session_unref (((SocketSource *) source)->session);
}

static GSourceFuncs socket_source_funcs = {
  .dispatch = socket_source_dispatch,
  .finalize = socket_source_finalize,
};

/* Starts relaying; the session then holds itself until it ends. */
static gboolean
session_start (Session *session, GError **error)
{
  if (virStreamEventAddCallback (session->stream, VIR_STREAM_EVENT_READABLE, on_stream_event,
                                 session, NULL) < 0)
    {
      vmgr_backend_set_error_from_libvirt (error);
      g_prefix_error (error, "Cannot watch the console stream: ");
      return FALSE;
    }
  session->stream_events = VIR_STREAM_EVENT_READABLE;
  session->source = g_source_new (&socket_source_funcs, sizeof (SocketSource));
  ((SocketSource *) session->source)->session = session_ref (session);
  session->fd_tag = g_source_add_unix_fd (session->source, session->fd, G_IO_IN);
  g_source_set_static_name (session->source, "vmgr console relay");
  g_source_attach (session->source, NULL);
  return TRUE;
}

/* Relays @stream (taken) through a new socket pair; returns the caller's
 * end, or -1. */
static int
relay_console (VmgrBackend *self, const char *uuid, virStreamPtr stream, GError **error)
{
  Session *session;
  int fds[2];

  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0)
    {
      int saved_errno = errno;

      g_set_error (error, VMGR_ERROR, VMGR_ERROR_FAILED,
                   "Cannot create a socket pair for the console: %s", g_strerror (saved_errno));
      stream_end (stream, FALSE);
      return -1;
    }
  session = session_new (self, uuid, stream, fds[0]);
  if (!g_unix_set_fd_nonblocking (fds[0], TRUE, error) || !session_start (session, error))
    {
      session_unref (session);
      close (fds[1]);
      return -1;
    }
  g_hash_table_replace (vmgr_backend_get_consoles (self), g_strdup (uuid), session);
  return fds[1];
}

void
vmgr_backend_close_consoles (VmgrBackend *self)
{
  GHashTable *consoles = vmgr_backend_get_consoles (self);
  g_autoptr(GPtrArray) sessions = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer session;

  /* Ending a session removes it from the table: collect them first. */
  g_hash_table_iter_init (&iter, consoles);
  while (g_hash_table_iter_next (&iter, NULL, &session))
    if (session != NULL)
      g_ptr_array_add (sessions, session);
  for (guint i = 0; i < sessions->len; i++)
    session_end (g_ptr_array_index (sessions, i), FALSE, "the connection to libvirt was lost");
}

/* ---- opening ---- */

static gboolean
check_running (virDomainPtr domain, GError **error)
{
  int active = virDomainIsActive (domain);

  if (active < 0)
    {
      vmgr_backend_set_error_from_libvirt (error);
      return FALSE;
    }
  if (active == 0)
    {
      g_set_error_literal (error, VMGR_ERROR, VMGR_ERROR_INVALID_STATE,
                           "Cannot open the console: the VM is not running");
      return FALSE;
    }
  return TRUE;
}

static void
set_open_console_error (GError **error)
{
  GError *local_error = NULL;

  /* QEMU (and CH) refuse a second session with OPERATION_FAILED "Active
   * console session exists for this domain". No console at all is
   * NO_SUPPORT (the test driver), a domain that stopped meanwhile
   * OPERATION_INVALID: the usual mapping. */
  if (vmgr_backend_set_error_from_libvirt (&local_error) == VIR_ERR_OPERATION_FAILED)
    local_error->code = VMGR_ERROR_BUSY;
  g_propagate_error (error, local_error);
}

static virStreamPtr
open_console_stream (virDomainPtr domain, GError **error)
{
  virStreamPtr stream;

  if (!check_running (domain, error))
    return NULL;
  stream = virStreamNew (virDomainGetConnect (domain), VIR_STREAM_NONBLOCK);
  if (stream == NULL)
    {
      vmgr_backend_set_error_from_libvirt (error);
      return NULL;
    }
  if (virDomainOpenConsole (domain, NULL, stream, 0) < 0)
    {
      set_open_console_error (error);
      virStreamFree (stream);
      return NULL;
    }
  return stream;
}

static void
open_console_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  g_autoptr(VmgrVirDomain) domain = NULL;
  virStreamPtr stream = NULL;
  GError *error = NULL;

  if (vmgr_backend_task_return_if_cancelled (task))
    return;
  domain = vmgr_backend_lookup_domain (source, task_data, &error);
  if (domain != NULL)
    stream = open_console_stream (domain, &error);
  if (stream == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, stream, stream_abort);
}

static void
fd_box_free (gpointer data)
{
  int *fd = data;

  close (*fd);
  g_free (fd);
}

/* Main context: the stream is open, start relaying and answer the caller. */
static void
on_console_stream_opened (GObject *source, GAsyncResult *result, gpointer user_data)
{
  VmgrBackend *self = VMGR_BACKEND (source);
  g_autoptr(GTask) task = user_data;
  const char *uuid = g_task_get_task_data (task);
  GError *error = NULL;
  virStreamPtr stream = g_task_propagate_pointer (G_TASK (result), &error);
  int fd = -1;
  int *box;

  /* Consoles on a connection lost meanwhile were closed; so is this one. */
  if (stream != NULL && !vmgr_backend_is_connected (self))
    {
      g_set_error_literal (&error, VMGR_ERROR, VMGR_ERROR_HYPERVISOR,
                           "libvirt is unavailable: the connection was lost while opening the console");
      g_clear_pointer (&stream, stream_abort);
    }
  if (stream != NULL)
    fd = relay_console (self, uuid, stream, &error);
  if (fd < 0)
    {
      g_hash_table_remove (vmgr_backend_get_consoles (self), uuid);
      g_task_return_error (task, error);
      return;
    }
  /* Closed if the caller never takes it (or cancelled meanwhile): the
   * session then sees the hang-up and ends. */
  box = g_new (int, 1);
  *box = fd;
  g_task_return_pointer (task, box, fd_box_free);
}

/* Claims the console of @uuid for one session; returns the table's key,
 * the UUID in lower case. */
static const char *
reserve_console (VmgrBackend *self, const char *uuid, GError **error)
{
  GHashTable *consoles = vmgr_backend_get_consoles (self);
  char *key;

  if (uuid == NULL || !g_uuid_string_is_valid (uuid))
    {
      g_set_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_ARGUMENT,
                   "'%s' is not a UUID", uuid != NULL ? uuid : "(null)");
      return NULL;
    }
  key = g_ascii_strdown (uuid, -1);
  if (g_hash_table_contains (consoles, key))
    {
      g_free (key);
      g_set_error_literal (error, VMGR_ERROR, VMGR_ERROR_BUSY,
                           "The console of this VM is already open in another session");
      return NULL;
    }
  g_hash_table_insert (consoles, key, NULL);
  return key;
}

void
vmgr_backend_open_console_async (VmgrBackend *self, const char *uuid,
                                 GCancellable *cancellable,
                                 GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GTask) opening = NULL;
  GError *error = NULL;
  const char *key;

  g_return_if_fail (VMGR_IS_BACKEND (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, vmgr_backend_open_console_async);
  key = reserve_console (self, uuid, &error);
  if (key == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  g_task_set_task_data (task, g_strdup (key), g_free);

  /* Always hands over the stream, even when cancelled meanwhile: the
   * caller's task reports the cancellation and closes the socket. */
  opening = g_task_new (self, cancellable, on_console_stream_opened, g_steal_pointer (&task));
  g_task_set_source_tag (opening, vmgr_backend_open_console_async);
  g_task_set_check_cancellable (opening, FALSE);
  g_task_set_task_data (opening, g_strdup (key), g_free);
  g_task_run_in_thread (opening, open_console_thread);
}

int
vmgr_backend_open_console_finish (VmgrBackend *self, GAsyncResult *result, GError **error)
{
  g_autofree int *fd = NULL;

  g_return_val_if_fail (g_task_is_valid (result, self), -1);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) ==
                          vmgr_backend_open_console_async,
                        -1);

  fd = g_task_propagate_pointer (G_TASK (result), error);
  return fd != NULL ? *fd : -1;
}
