/* Raw mode for the console, and back. */
#include "vmgrctl-terminal.h"

#include <errno.h>
#include <gio/gio.h>

gboolean
vmgrctl_terminal_make_raw (VmgrctlTerminal *self, int fd, GError **error)
{
  struct termios raw;

  if (tcgetattr (fd, &self->saved) != 0)
    {
      int saved_errno = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   "cannot read the terminal's settings: %s", g_strerror (saved_errno));
      return FALSE;
    }
  raw = self->saved;
  cfmakeraw (&raw);  /* as virsh console: the guest's terminal does the rest */
  if (tcsetattr (fd, TCSAFLUSH, &raw) != 0)
    {
      int saved_errno = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   "cannot put the terminal in raw mode: %s", g_strerror (saved_errno));
      return FALSE;
    }
  self->fd = fd;
  return TRUE;
}

void
vmgrctl_terminal_restore (VmgrctlTerminal *self)
{
  if (self->fd < 0)
    return;
  while (tcsetattr (self->fd, TCSADRAIN, &self->saved) != 0 && errno == EINTR)
    ;
  self->fd = -1;
}
