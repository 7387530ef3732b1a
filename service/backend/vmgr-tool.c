#include "vmgr-tool.h"

#include <errno.h>
#include <gio/gunixinputstream.h>
#include <linux/ioprio.h>
#include <poll.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "vmgr-error.h"

enum { TOOL_STDOUT, TOOL_STDERR, TOOL_CANCEL, TOOL_N_FDS };

static int
pipe_fd (GInputStream *pipe)
{
  return g_unix_input_stream_get_fd (G_UNIX_INPUT_STREAM (pipe));
}

static gboolean
pipe_error (GSubprocess *process, const char *what, int saved, GError **error)
{
  g_set_error (error, VMGR_ERROR, VMGR_ERROR_FAILED, "cannot %s %s: %s", what,
               g_subprocess_get_identifier (process), g_strerror (saved));
  return FALSE;
}

/* Takes what @fd has into @sink, if poll said it has something; at its end
 * @fd->fd becomes -1, which poll skips. */
static gboolean
read_ready (GSubprocess *process, struct pollfd *fd, GByteArray *sink, GError **error)
{
  guint8 chunk[8192];
  ssize_t got;

  if (fd->fd < 0 || fd->revents == 0)
    return TRUE;
  got = read (fd->fd, chunk, sizeof chunk);
  if (got > 0)
    g_byte_array_append (sink, chunk, (guint) got);
  else if (got == 0)
    fd->fd = -1;
  else if (errno != EINTR && errno != EAGAIN)
    return pipe_error (process, "read from", errno, error);
  return TRUE;
}

/* Reads both pipes until each ends (the tool exited or closed them), with
 * no GMainContext and no other thread. */
static gboolean
read_pipes (GSubprocess *process, GByteArray *sinks[2], GCancellable *cancellable,
            GError **error)
{
  struct pollfd fds[TOOL_N_FDS] = {
    [TOOL_STDOUT] = { .fd = pipe_fd (g_subprocess_get_stdout_pipe (process)), .events = POLLIN },
    [TOOL_STDERR] = { .fd = pipe_fd (g_subprocess_get_stderr_pipe (process)), .events = POLLIN },
    [TOOL_CANCEL] = { .fd = -1, .events = POLLIN },
  };
  GPollFD cancel_fd;
  gboolean watch_cancel = g_cancellable_make_pollfd (cancellable, &cancel_fd);
  gboolean ok = TRUE;

  if (watch_cancel)
    fds[TOOL_CANCEL].fd = cancel_fd.fd;
  while (ok && (fds[TOOL_STDOUT].fd >= 0 || fds[TOOL_STDERR].fd >= 0))
    {
      if (poll (fds, TOOL_N_FDS, -1) < 0)
        ok = errno == EINTR || pipe_error (process, "wait for", errno, error);
      else
        ok = !g_cancellable_set_error_if_cancelled (cancellable, error) &&
             read_ready (process, &fds[TOOL_STDOUT], sinks[TOOL_STDOUT], error) &&
             read_ready (process, &fds[TOOL_STDERR], sinks[TOOL_STDERR], error);
    }
  if (watch_cancel)
    g_cancellable_release_fd (cancellable);
  return ok;
}

/* In the child, before exec: async-signal-safe system calls only. */
static void
lower_priority (gpointer data)
{
  (void) setpriority (PRIO_PROCESS, 0, VMGR_TOOL_NICE);
  (void) syscall (SYS_ioprio_set, IOPRIO_WHO_PROCESS, 0,
                  IOPRIO_PRIO_VALUE (IOPRIO_CLASS_BE, VMGR_TOOL_IO_LEVEL));
}

GSubprocessLauncher *
vmgr_tool_launcher_new (GSubprocessFlags flags)
{
  GSubprocessLauncher *launcher = g_subprocess_launcher_new (flags);

  g_subprocess_launcher_set_child_setup (launcher, lower_priority, NULL, NULL);
  return launcher;
}

GSubprocess *
vmgr_tool_run (const char *cwd, const char * const *argv, GBytes **stdout_buf,
               GBytes **stderr_buf, GCancellable *cancellable, GError **error)
{
  g_autoptr(GSubprocessLauncher) launcher = vmgr_tool_launcher_new (
    G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GByteArray) out = g_byte_array_new ();
  g_autoptr(GByteArray) err = g_byte_array_new ();
  GByteArray *sinks[2] = { out, err };

  if (cwd != NULL)
    g_subprocess_launcher_set_cwd (launcher, cwd);
  process = g_subprocess_launcher_spawnv (launcher, argv, error);
  if (process == NULL)
    return NULL;
  /* The wait runs no task either: GLib's worker thread reaps the child. */
  if (!read_pipes (process, sinks, cancellable, error) ||
      !g_subprocess_wait (process, cancellable, error))
    {
      g_subprocess_force_exit (process);
      g_subprocess_wait (process, NULL, NULL);
      return NULL;
    }
  if (stdout_buf != NULL)
    *stdout_buf = g_byte_array_free_to_bytes (g_steal_pointer (&out));
  if (stderr_buf != NULL)
    *stderr_buf = g_byte_array_free_to_bytes (g_steal_pointer (&err));
  return g_steal_pointer (&process);
}

char *
vmgr_tool_message (GBytes *stderr_buf)
{
  gsize size = 0;
  const char *data = g_bytes_get_data (stderr_buf, &size);

  return g_strstrip (g_utf8_make_valid (data != NULL ? data : "", (gssize) size));
}

GSubprocess *
vmgr_tool_run_text (const char * const *argv, char **stdout_text, char **stderr_text,
                    GCancellable *cancellable, GError **error)
{
  g_autoptr(GBytes) out = NULL;
  g_autoptr(GBytes) err = NULL;
  g_autoptr(GSubprocess) process = vmgr_tool_run (NULL, argv, &out, &err, cancellable, error);
  gsize out_size = 0;
  const char *out_data;

  if (process == NULL)
    return NULL;
  out_data = g_bytes_get_data (out, &out_size);
  if (stdout_text != NULL && !g_utf8_validate_len (out_data, out_size, NULL))
    return g_set_error (error, VMGR_ERROR, VMGR_ERROR_FAILED,
                        "%s wrote output that is not UTF-8", argv[0]), NULL;
  if (stdout_text != NULL)
    *stdout_text = g_strndup (out_data, out_size);
  if (stderr_text != NULL)
    *stderr_text = vmgr_tool_message (err);
  return g_steal_pointer (&process);
}

/* The tool and its arguments up to the first path: "qemu-img snapshot -a
 * NAME", never the guest's file names. */
static char *
command_name (const char * const *argv)
{
  g_autoptr(GString) name = g_string_new (argv[0]);

  for (guint i = 1; argv[i] != NULL && strchr (argv[i], '/') == NULL; i++)
    g_string_append_printf (name, " %s", argv[i]);
  return g_string_free (g_steal_pointer (&name), FALSE);
}

gboolean
vmgr_tool_run_checked (const char * const *argv, char **stdout_text, GCancellable *cancellable,
                       GError **error)
{
  g_autofree char *err = NULL;
  g_autofree char *name = NULL;
  g_autoptr(GSubprocess) process = vmgr_tool_run_text (argv, stdout_text, &err, cancellable,
                                                       error);

  if (process == NULL)
    return FALSE;
  if (g_subprocess_get_successful (process))
    return TRUE;
  if (stdout_text != NULL)
    g_clear_pointer (stdout_text, g_free);
  name = command_name (argv);
  g_set_error (error, VMGR_ERROR, VMGR_ERROR_FAILED, "%s failed: %s", name, err);
  return FALSE;
}
