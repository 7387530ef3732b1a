/* The terminal during `console`: raw mode (no echo, no line editing, no
 * signals from keys: Ctrl-C goes to the guest), and back. */
#pragma once

#include <glib.h>
#include <termios.h>

G_BEGIN_DECLS

typedef struct {
  int fd;                  /* -1: nothing to restore */
  struct termios saved;
} VmgrctlTerminal;

#define VMGRCTL_TERMINAL_INIT { -1, { 0 } }

/* Puts the terminal @fd in raw mode, saving its settings in @self. */
gboolean vmgrctl_terminal_make_raw (VmgrctlTerminal *self, int fd, GError **error);

/* Puts the saved settings back; does nothing the second time. */
void vmgrctl_terminal_restore (VmgrctlTerminal *self);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (VmgrctlTerminal, vmgrctl_terminal_restore)

G_END_DECLS
