/* console VM: VM.OpenConsole, then the descriptor it returns relayed to
 * the terminal (vmgrctl-relay.c) until the console ends or the user types
 * the escape character Ctrl-]. On a terminal, stdin is in raw mode
 * meanwhile; it is put back however the relay ends (SIGINT, SIGTERM and
 * SIGHUP end it too; in raw mode the keys send no signals).
 * Without a terminal, stdin is sent as it is (Ctrl-] still ends) and its
 * end shuts the console down. */
#include "vmgrctl-commands.h"

#include <gio/gunixfdlist.h>
#include <glib-unix.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include "vmgrctl-errors.h"
#include "vmgrctl-relay.h"
#include "vmgrctl-terminal.h"

#define ESCAPE_BYTE 0x1d  /* Ctrl-] */

/* The console's descriptor, ours to close; -1 on error. */
static int
open_console (VmgrDBusVM *vm, GError **error)
{
  g_autoptr(GVariant) handle = NULL;
  g_autoptr(GUnixFDList) fds = NULL;
  int index;

  if (!vmgr_dbus_vm_call_open_console_sync (vm, NULL, &handle, &fds, NULL, error))
    return -1;
  index = g_variant_get_handle (handle);
  if (fds == NULL || index < 0 || index >= g_unix_fd_list_get_length (fds))
    {
      g_set_error_literal (error, VMGRCTL_ERROR, VMGRCTL_EXIT_FAILURE,
                           "vmgrd sent no console descriptor");
      return -1;
    }
  return g_unix_fd_list_get (fds, index, error);  /* a duplicate */
}

static gboolean
on_signal (gpointer data)
{
  vmgrctl_relay_stop (data);
  return G_SOURCE_CONTINUE;
}

/* Relays with the terminal raw (when stdin is one) and the signals
 * caught; everything is put back before returning. */
static gboolean
relay_console (int console_fd, gboolean tty, GError **error)
{
  const int signals[] = { SIGINT, SIGTERM, SIGHUP };
  guint sources[G_N_ELEMENTS (signals)];
  g_auto(VmgrctlTerminal) terminal = VMGRCTL_TERMINAL_INIT;
  g_autoptr(VmgrctlRelay) relay = NULL;
  VmgrctlRelayEnd end;
  gboolean ok;

  /* A console that closed is an EPIPE, not the end of vmgrctl. */
  signal (SIGPIPE, SIG_IGN);
  if (tty && !vmgrctl_terminal_make_raw (&terminal, STDIN_FILENO, error))
    return FALSE;
  relay = vmgrctl_relay_new (STDIN_FILENO, STDOUT_FILENO, console_fd, ESCAPE_BYTE);
  for (gsize i = 0; i < G_N_ELEMENTS (signals); i++)
    sources[i] = g_unix_signal_add (signals[i], on_signal, relay);
  ok = vmgrctl_relay_run (relay, &end, error);
  for (gsize i = 0; i < G_N_ELEMENTS (signals); i++)
    g_source_remove (sources[i]);
  return ok;
}

int
vmgrctl_cmd_console (VmgrctlContext *ctx, const VmgrctlCommand *cmd, char **argv)
{
  g_auto(GStrv) args = NULL;
  g_autoptr(VmgrDBusVM) vm = NULL;
  g_autoptr(GError) error = NULL;
  gboolean tty = isatty (STDIN_FILENO);
  gboolean ok;
  int console_fd;
  int status = vmgrctl_command_parse (ctx, cmd, NULL, NULL, argv, &args);

  if (status == VMGRCTL_EXIT_OK)
    status = vmgrctl_context_lookup_vm (ctx, args[0], &vm);
  if (status != VMGRCTL_EXIT_OK)
    return status;
  console_fd = open_console (vm, &error);
  if (console_fd < 0)
    return vmgrctl_fail (error, "cannot open the console of '%s'", args[0]);
  if (tty)
    g_printerr ("Connected to VM '%s'; escape character is ^]\n", vmgr_dbus_vm_get_name (vm));
  fflush (stdout);
  ok = relay_console (console_fd, tty, &error);
  close (console_fd);
  if (!ok)
    return vmgrctl_fail (error, "console of '%s'", args[0]);
  if (tty)
    g_printerr ("\nDisconnected from VM '%s'.\n", vmgr_dbus_vm_get_name (vm));
  return VMGRCTL_EXIT_OK;
}
