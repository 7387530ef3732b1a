/* Copying between a console descriptor and the standard streams, driven
 * by the default main context: input -> console and console -> output,
 * non-blocking, one buffer per direction (while it holds data, reading
 * that direction waits: back-pressure).
 *
 * It ends when the console ends (end of file or an error on it: what it
 * sent before is written out first), on the escape byte in the input
 * (the input before it is sent first; the byte itself is not), or when
 * stopped. At the end of the input the console's sending side is shut
 * down (the other end sees end of file and ends the session), and the
 * relay goes on until the console ends; a console that cannot be shut
 * down halfway (not a socket) ends the relay there. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  VMGRCTL_RELAY_CONSOLE_ENDED,
  VMGRCTL_RELAY_ESCAPED,
  VMGRCTL_RELAY_STOPPED,
} VmgrctlRelayEnd;

typedef struct _VmgrctlRelay VmgrctlRelay;

/* @escape: the byte that ends the relay, or -1. The descriptors are made
 * non-blocking until the relay is freed (their flags are put back then);
 * none is closed. */
VmgrctlRelay *vmgrctl_relay_new (int input_fd, int output_fd, int console_fd, int escape);
void vmgrctl_relay_free (VmgrctlRelay *relay);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VmgrctlRelay, vmgrctl_relay_free)

/* Runs until the end; FALSE when writing the output failed. */
gboolean vmgrctl_relay_run (VmgrctlRelay *relay, VmgrctlRelayEnd *end, GError **error);

/* Ends a running relay (e.g. from a signal handler source). */
void vmgrctl_relay_stop (VmgrctlRelay *relay);

G_END_DECLS
