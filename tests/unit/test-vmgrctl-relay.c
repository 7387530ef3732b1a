/* Unit tests of the console relay (vmgrctl-relay.c) on socket pairs: the
 * escape byte, the console ending, the input ending, a stop. */
#include <fcntl.h>
#include <gio/gio.h>
#include <glib-unix.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vmgrctl-relay.h"

typedef struct {
  int input[2];    /* [1]: the test writes; [0]: the relay reads */
  int output[2];   /* [1]: the relay writes; [0]: the test reads */
  int console[2];  /* [0]: the relay's; [1]: the "guest" */
} Sockets;

static void
sockets_open (Sockets *s)
{
  g_assert_cmpint (socketpair (AF_UNIX, SOCK_STREAM, 0, s->input), ==, 0);
  g_assert_cmpint (socketpair (AF_UNIX, SOCK_STREAM, 0, s->output), ==, 0);
  g_assert_cmpint (socketpair (AF_UNIX, SOCK_STREAM, 0, s->console), ==, 0);
}

static void
close_fd (int *fd)
{
  if (*fd >= 0)
    close (*fd);
  *fd = -1;
}

static void
sockets_close (Sockets *s)
{
  for (guint i = 0; i < 2; i++)
    {
      close_fd (&s->input[i]);
      close_fd (&s->output[i]);
      close_fd (&s->console[i]);
    }
}

static void
write_all (int fd, const char *text)
{
  g_assert_cmpint (write (fd, text, strlen (text)), ==, (int) strlen (text));
}

/* What is there to read on @fd now. */
static char *
read_available (int fd)
{
  GString *text = g_string_new (NULL);
  char buffer[256];
  ssize_t n;

  g_unix_set_fd_nonblocking (fd, TRUE, NULL);
  while ((n = read (fd, buffer, sizeof buffer)) > 0)
    g_string_append_len (text, buffer, n);
  return g_string_free (text, FALSE);
}

static void
test_relay_escape (void)
{
  Sockets s;
  g_autoptr(VmgrctlRelay) relay = NULL;
  g_autofree char *sent = NULL;
  VmgrctlRelayEnd end = VMGRCTL_RELAY_STOPPED;

  sockets_open (&s);
  write_all (s.input[1], "ls\r\035exit\r");
  relay = vmgrctl_relay_new (s.input[0], s.output[1], s.console[0], 0x1d);
  g_assert_true (vmgrctl_relay_run (relay, &end, NULL));
  g_assert_cmpint (end, ==, VMGRCTL_RELAY_ESCAPED);
  sent = read_available (s.console[1]);
  g_assert_cmpstr (sent, ==, "ls\r");
  /* The descriptors are blocking again once the relay is gone. */
  g_clear_pointer (&relay, vmgrctl_relay_free);
  g_assert_false (fcntl (s.input[0], F_GETFL) & O_NONBLOCK);
  g_assert_false (fcntl (s.console[0], F_GETFL) & O_NONBLOCK);
  sockets_close (&s);
}

static void
test_relay_console_ends (void)
{
  Sockets s;
  g_autoptr(VmgrctlRelay) relay = NULL;
  g_autofree char *shown = NULL;
  VmgrctlRelayEnd end = VMGRCTL_RELAY_STOPPED;

  sockets_open (&s);
  write_all (s.console[1], "Debian GNU/Linux 12\r\nlogin: ");
  close_fd (&s.console[1]);
  relay = vmgrctl_relay_new (s.input[0], s.output[1], s.console[0], 0x1d);
  g_assert_true (vmgrctl_relay_run (relay, &end, NULL));
  g_assert_cmpint (end, ==, VMGRCTL_RELAY_CONSOLE_ENDED);
  shown = read_available (s.output[0]);
  g_assert_cmpstr (shown, ==, "Debian GNU/Linux 12\r\nlogin: ");
  sockets_close (&s);
}

/* The guest answers the end of the input with a last word and hangs up
 * (which ends the relay, so this source is gone by then). */
static gboolean
on_guest_input (int fd, GIOCondition condition, gpointer data)
{
  GString *received = data;
  char buffer[64];
  ssize_t n = read (fd, buffer, sizeof buffer);

  if (n > 0)
    {
      g_string_append_len (received, buffer, n);
      return G_SOURCE_CONTINUE;
    }
  write_all (fd, "bye\r\n");
  shutdown (fd, SHUT_RDWR);
  return G_SOURCE_REMOVE;
}

static void
test_relay_input_ends (void)
{
  Sockets s;
  g_autoptr(VmgrctlRelay) relay = NULL;
  g_autoptr(GString) received = g_string_new (NULL);
  g_autofree char *shown = NULL;
  VmgrctlRelayEnd end = VMGRCTL_RELAY_STOPPED;

  sockets_open (&s);
  write_all (s.input[1], "uptime\n");
  close_fd (&s.input[1]);
  g_unix_fd_add (s.console[1], G_IO_IN | G_IO_HUP, on_guest_input, received);
  relay = vmgrctl_relay_new (s.input[0], s.output[1], s.console[0], -1);
  g_assert_true (vmgrctl_relay_run (relay, &end, NULL));
  g_assert_cmpint (end, ==, VMGRCTL_RELAY_CONSOLE_ENDED);
  g_assert_cmpstr (received->str, ==, "uptime\n");
  shown = read_available (s.output[0]);
  g_assert_cmpstr (shown, ==, "bye\r\n");
  sockets_close (&s);
}

static gboolean
stop_relay (gpointer data)
{
  vmgrctl_relay_stop (data);
  return G_SOURCE_REMOVE;
}

static void
test_relay_stop (void)
{
  Sockets s;
  g_autoptr(VmgrctlRelay) relay = NULL;
  VmgrctlRelayEnd end = VMGRCTL_RELAY_ESCAPED;

  sockets_open (&s);
  relay = vmgrctl_relay_new (s.input[0], s.output[1], s.console[0], 0x1d);
  g_timeout_add (10, stop_relay, relay);
  g_assert_true (vmgrctl_relay_run (relay, &end, NULL));
  g_assert_cmpint (end, ==, VMGRCTL_RELAY_STOPPED);
  sockets_close (&s);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/vmgrctl/relay/escape", test_relay_escape);
  g_test_add_func ("/vmgrctl/relay/console-ends", test_relay_console_ends);
  g_test_add_func ("/vmgrctl/relay/input-ends", test_relay_input_ends);
  g_test_add_func ("/vmgrctl/relay/stop", test_relay_stop);

  return g_test_run ();
}
