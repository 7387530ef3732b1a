/* Running a host tool (mke2fs, debugfs, qemu-img, tar) to its end from a
 * worker thread, with its output read in that same thread.
 *
 * g_subprocess_communicate() is not safe there: GLib closes the pipes it
 * read with tasks of the GTask thread pool, the pool whose threads are then
 * all waiting in communicate. With more tool runs at once than the pool's
 * ten threads, the pool grows only by a timer that GLib 2.74 leaves
 * disarmed, and every run waits for ever (25 container provisionings at
 * once did).
 *
 * Tools run at the lowest CPU priority and the lowest best-effort I/O
 * level (as Proxmox's vzdump runs its backups): they build and copy guest
 * images in the background, and must not take the CPU from the bus, from
 * vmgrd or from the guests. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define VMGR_TOOL_NICE 19
#define VMGR_TOOL_IO_LEVEL 7

/* A launcher whose processes run at those priorities. */
GSubprocessLauncher *vmgr_tool_launcher_new (GSubprocessFlags flags);

/* Runs @argv (found in PATH) in @cwd (NULL: ours) and waits for it to
 * exit. Its standard output and error, as they came, go to @stdout_buf and
 * @stderr_buf (each may be NULL: then read and dropped). Returns the
 * exited process, whose status the caller reads; NULL with @error when it
 * cannot be started or @cancellable fires, in which case it is killed and
 * reaped first. */
GSubprocess *vmgr_tool_run (const char *cwd, const char * const *argv, GBytes **stdout_buf,
                            GBytes **stderr_buf, GCancellable *cancellable, GError **error);

/* What a tool wrote on its standard error, as a message: valid UTF-8,
 * stripped of surrounding white space. */
char *vmgr_tool_message (GBytes *stderr_buf);

/* vmgr_tool_run() for a tool whose output is text: output that is not
 * UTF-8 is an error (the tool is reaped all the same); @stderr_text, a
 * message, is made valid UTF-8 and stripped of surrounding white space. */
GSubprocess *vmgr_tool_run_text (const char * const *argv, char **stdout_text,
                                 char **stderr_text, GCancellable *cancellable, GError **error);

/* vmgr_tool_run_text() for a tool that must exit with status 0: otherwise
 * FALSE with "COMMAND failed: its standard error", COMMAND being @argv up
 * to its first path. @stdout_text may be NULL. */
gboolean vmgr_tool_run_checked (const char * const *argv, char **stdout_text,
                                GCancellable *cancellable, GError **error);

G_END_DECLS
