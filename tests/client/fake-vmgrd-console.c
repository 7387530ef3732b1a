/* The fake vmgrd's consoles (see fake-vmgrd.h): OpenConsole on "db"
 * hands over a socket that greets and echoes until the other end shuts
 * down; the other VMs have none. */
#include "fake-vmgrd.h"

#include <errno.h>
#include <gio/gunixfdlist.h>
#include <glib-unix.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define CONSOLE_GREETING "login: "

static void
close_console (FakeVmgrd *self)
{
  g_clear_handle_id (&self->console_source, g_source_remove);
  if (self->console_fd >= 0)
    close (self->console_fd);
  self->console_fd = -1;
}

static gboolean
on_console_input (int fd, GIOCondition condition, gpointer data)
{
  FakeVmgrd *self = data;
  char buffer[256];
  ssize_t n = read (fd, buffer, sizeof buffer);

  if (n < 0 && errno == EINTR)
    return G_SOURCE_CONTINUE;
  if (n <= 0 || write (fd, buffer, (size_t) n) != n)
    {
      self->console_source = 0;
      close_console (self);
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

static gboolean
handle_open_console (VmgrDBusVM *vm, GDBusMethodInvocation *invocation, GUnixFDList *in_fds,
                     gpointer data)
{
  FakeVmgrd *self = data;
  g_autoptr(GUnixFDList) fds = g_unix_fd_list_new ();
  g_autoptr(GError) error = NULL;
  int pair[2];
  int index;

  fake_vmgrd_record (self, invocation);
  if (!g_str_equal (vmgr_dbus_vm_get_name (vm), "db"))
    {
      g_dbus_method_invocation_return_dbus_error (invocation, "org.vmgr.Error.NotSupported",
                                                  "the test backend has no console");
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
  close_console (self);
  g_assert_cmpint (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair), ==, 0);
  index = g_unix_fd_list_append (fds, pair[1], &error);
  g_assert_no_error (error);
  close (pair[1]);
  self->console_fd = pair[0];
  g_assert_cmpint (write (self->console_fd, CONSOLE_GREETING, strlen (CONSOLE_GREETING)), ==,
                   (int) strlen (CONSOLE_GREETING));
  self->console_source = g_unix_fd_add (self->console_fd, G_IO_IN | G_IO_HUP | G_IO_ERR,
                                        on_console_input, self);
  vmgr_dbus_vm_complete_open_console (vm, invocation, fds, g_variant_new_handle (index));
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

void
fake_vmgrd_console_connect_vm (FakeVmgrd *self, VmgrDBusVM *vm)
{
  g_signal_connect (vm, "handle-open-console", G_CALLBACK (handle_open_console), self);
}

void
fake_vmgrd_console_clear (FakeVmgrd *self)
{
  close_console (self);
}
