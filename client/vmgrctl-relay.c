/* A two-way relay between a console and the standard streams. */
#include "vmgrctl-relay.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib-unix.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define CHUNK_SIZE 4096

typedef struct {
  VmgrctlRelay *relay;
  int from;
  int to;
  gboolean is_input;     /* input -> console: scans for the escape byte */
  guint8 buffer[CHUNK_SIZE];
  gsize length;          /* bytes in @buffer */
  gsize offset;          /* of them, written already */
  gboolean ended;        /* @from is done: nothing more will be read */
  guint read_source;
  guint write_source;
} Direction;

struct _VmgrctlRelay {
  int fds[3];            /* input, output, console */
  int saved_flags[3];    /* their O_ flags before, -1 when unknown */
  int escape;
  Direction input;       /* input -> console */
  Direction output;      /* console -> output */
  gboolean done;
  gboolean escaped;
  gboolean stopped;
  GError *error;
};

static void start_reading (Direction *direction);
static void flush (Direction *direction);

static void
finish (VmgrctlRelay *self)
{
  self->done = TRUE;
  g_clear_handle_id (&self->input.read_source, g_source_remove);
  g_clear_handle_id (&self->input.write_source, g_source_remove);
  g_clear_handle_id (&self->output.read_source, g_source_remove);
  g_clear_handle_id (&self->output.write_source, g_source_remove);
}

/* @direction's source ended and all it read was written. */
static void
direction_ended (Direction *direction)
{
  VmgrctlRelay *self = direction->relay;

  if (!direction->is_input || self->escaped)
    {
      finish (self);
      return;
    }
  /* End of the input: tell the console's other end, keep its output. */
  if (shutdown (direction->to, SHUT_WR) != 0)
    finish (self);
}

static void
write_failed (Direction *direction, int saved_errno)
{
  VmgrctlRelay *self = direction->relay;

  /* The console going away is its end; failing to write out is an error. */
  if (!direction->is_input && self->error == NULL)
    g_set_error (&self->error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                 "cannot write the console's output: %s", g_strerror (saved_errno));
  finish (self);
}

static gboolean
on_writable (int fd, GIOCondition condition, gpointer data)
{
  Direction *direction = data;

  direction->write_source = 0;
  flush (direction);
  return G_SOURCE_REMOVE;
}

/* Writes what is buffered; then reads on, or ends. */
static void
flush (Direction *direction)
{
  while (direction->offset < direction->length)
    {
      ssize_t n = write (direction->to, direction->buffer + direction->offset,
                         direction->length - direction->offset);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        {
          direction->write_source = g_unix_fd_add (direction->to, G_IO_OUT, on_writable,
                                                   direction);
          return;
        }
      if (n < 0)
        {
          write_failed (direction, errno);
          return;
        }
      direction->offset += (gsize) n;
    }
  direction->length = direction->offset = 0;
  if (direction->ended)
    direction_ended (direction);
  else
    start_reading (direction);
}

/* Keeps what comes before the escape byte; the rest is dropped. */
static void
scan_escape (Direction *direction)
{
  VmgrctlRelay *self = direction->relay;
  const guint8 *escape;

  if (!direction->is_input || self->escape < 0)
    return;
  escape = memchr (direction->buffer, self->escape, direction->length);
  if (escape == NULL)
    return;
  direction->length = (gsize) (escape - direction->buffer);
  direction->ended = TRUE;
  self->escaped = TRUE;
}

static gboolean
on_readable (int fd, GIOCondition condition, gpointer data)
{
  Direction *direction = data;
  ssize_t n;

  do
    n = read (direction->from, direction->buffer, sizeof direction->buffer);
  while (n < 0 && errno == EINTR);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
    return G_SOURCE_CONTINUE;
  direction->read_source = 0;
  if (n <= 0)
    direction->ended = TRUE;  /* end of file, or an error: the end either way */
  else
    {
      direction->length = (gsize) n;
      scan_escape (direction);
    }
  flush (direction);
  return G_SOURCE_REMOVE;
}

static void
start_reading (Direction *direction)
{
  if (!direction->relay->done)
    direction->read_source = g_unix_fd_add (direction->from, G_IO_IN | G_IO_HUP | G_IO_ERR,
                                            on_readable, direction);
}

static void
set_nonblocking (VmgrctlRelay *self)
{
  /* All saved before any is changed: they may share one open file. */
  for (guint i = 0; i < G_N_ELEMENTS (self->fds); i++)
    self->saved_flags[i] = fcntl (self->fds[i], F_GETFL);
  for (guint i = 0; i < G_N_ELEMENTS (self->fds); i++)
    if (self->saved_flags[i] >= 0)
      fcntl (self->fds[i], F_SETFL, self->saved_flags[i] | O_NONBLOCK);
}

static void
restore_flags (VmgrctlRelay *self)
{
  for (guint i = 0; i < G_N_ELEMENTS (self->fds); i++)
    if (self->saved_flags[i] >= 0)
      fcntl (self->fds[i], F_SETFL, self->saved_flags[i]);
}

VmgrctlRelay *
vmgrctl_relay_new (int input_fd, int output_fd, int console_fd, int escape)
{
  VmgrctlRelay *self = g_new0 (VmgrctlRelay, 1);

  self->fds[0] = input_fd;
  self->fds[1] = output_fd;
  self->fds[2] = console_fd;
  self->escape = escape;
  self->input = (Direction) { .relay = self, .from = input_fd, .to = console_fd, .is_input = TRUE };
  self->output = (Direction) { .relay = self, .from = console_fd, .to = output_fd };
  set_nonblocking (self);
  return self;
}

void
vmgrctl_relay_free (VmgrctlRelay *self)
{
  finish (self);
  restore_flags (self);
  g_clear_error (&self->error);
  g_free (self);
}

void
vmgrctl_relay_stop (VmgrctlRelay *self)
{
  self->stopped = TRUE;
  finish (self);
}

gboolean
vmgrctl_relay_run (VmgrctlRelay *self, VmgrctlRelayEnd *end, GError **error)
{
  start_reading (&self->input);
  start_reading (&self->output);
  while (!self->done)
    g_main_context_iteration (NULL, TRUE);
  *end = self->stopped ? VMGRCTL_RELAY_STOPPED
         : self->escaped ? VMGRCTL_RELAY_ESCAPED : VMGRCTL_RELAY_CONSOLE_ENDED;
  if (self->error == NULL)
    return TRUE;
  g_propagate_error (error, g_steal_pointer (&self->error));
  return FALSE;
}
