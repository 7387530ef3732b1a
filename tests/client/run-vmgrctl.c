/* Running vmgrctl from the tests (see run-vmgrctl.h). */
#include "run-vmgrctl.h"

#include <gio/gio.h>
#include <string.h>

void
test_run_clear (TestRun *run)
{
  g_clear_pointer (&run->out, g_free);
  g_clear_pointer (&run->err, g_free);
}

typedef struct {
  TestRun *run;
  gboolean done;
} Communication;

static void
on_communicated (GObject *source, GAsyncResult *result, gpointer data)
{
  Communication *communication = data;
  g_autoptr(GError) error = NULL;

  g_subprocess_communicate_utf8_finish (G_SUBPROCESS (source), result, &communication->run->out,
                                        &communication->run->err, &error);
  g_assert_no_error (error);
  communication->done = TRUE;
}

/* $VMGRCTL_WRAPPER (e.g. "valgrind --quiet"), $VMGRCTL, then the arguments. */
static GPtrArray *
collect_args (const char *first_arg, va_list args)
{
  GPtrArray *argv = g_ptr_array_new_with_free_func (g_free);
  const char *wrapper = g_getenv ("VMGRCTL_WRAPPER");
  const char *program = g_getenv ("VMGRCTL");
  g_auto(GStrv) wrapper_argv = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_nonnull (program);
  if (wrapper != NULL && wrapper[0] != '\0')
    {
      g_shell_parse_argv (wrapper, NULL, &wrapper_argv, &error);
      g_assert_no_error (error);
      for (guint i = 0; wrapper_argv[i] != NULL; i++)
        g_ptr_array_add (argv, g_strdup (wrapper_argv[i]));
    }
  g_ptr_array_add (argv, g_strdup (program));
  for (const char *arg = first_arg; arg != NULL; arg = va_arg (args, const char *))
    g_ptr_array_add (argv, g_strdup (arg));
  g_ptr_array_add (argv, NULL);
  return argv;
}

/* Runs @argv with @input on its stdin (NULL: the test's own stdin). */
static void
run_argv (TestRun *run, const char *input, GPtrArray *argv)
{
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *command_line = NULL;
  Communication communication = { run, FALSE };
  GSubprocessFlags flags = G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE;

  if (input != NULL)
    flags |= G_SUBPROCESS_FLAGS_STDIN_PIPE;
  test_run_clear (run);
  command_line = g_strjoinv (" ", (char **) argv->pdata);
  process = g_subprocess_newv ((const char *const *) argv->pdata, flags, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8_async (process, input, NULL, on_communicated, &communication);
  while (!communication.done)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (g_subprocess_get_if_exited (process));
  run->status = g_subprocess_get_exit_status (process);
  g_test_message ("%s: exit %d\nstdout: %s\nstderr: %s", command_line, run->status, run->out,
                  run->err);
}

static void
run_va (TestRun *run, const char *input, const char *first_arg, va_list args)
{
  g_autoptr(GPtrArray) argv = collect_args (first_arg, args);

  run_argv (run, input, argv);
}

void
test_run_vmgrctl (TestRun *run, const char *first_arg, ...)
{
  va_list args;

  va_start (args, first_arg);
  run_va (run, NULL, first_arg, args);
  va_end (args);
}

void
test_run_vmgrctl_input (TestRun *run, const char *input, const char *first_arg, ...)
{
  va_list args;

  va_start (args, first_arg);
  run_va (run, input, first_arg, args);
  va_end (args);
}

/* ---- reading as vmgrctl runs, for test_run_vmgrctl_hook() ---- */

typedef struct {
  GSubprocess *process;
  const char *line_prefix;
  TestRunHook hook;
  gpointer data;
  gboolean hooked;
  guint open;  /* the two pipes and the process still going */
} Watch;

typedef struct {
  Watch *watch;
  GInputStream *stream;
  GString *text;
  gboolean is_err;
} Reader;

/* Whether @text has a whole line starting with @prefix. */
static gboolean
has_line (const char *text, const char *prefix)
{
  for (const char *line = text; *line != '\0';)
    {
      const char *newline = strchr (line, '\n');

      if (newline == NULL)
        return FALSE;
      if (g_str_has_prefix (line, prefix))
        return TRUE;
      line = newline + 1;
    }
  return FALSE;
}

static void
on_read (GObject *source, GAsyncResult *result, gpointer data)
{
  Reader *reader = data;
  Watch *watch = reader->watch;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = g_input_stream_read_bytes_finish (reader->stream, result, &error);

  g_assert_no_error (error);
  if (g_bytes_get_size (bytes) == 0)
    {
      watch->open--;
      return;
    }
  g_string_append_len (reader->text, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  if (reader->is_err && !watch->hooked && has_line (reader->text->str, watch->line_prefix))
    {
      watch->hooked = TRUE;
      watch->hook (watch->process, watch->data);
    }
  g_input_stream_read_bytes_async (reader->stream, 4096, G_PRIORITY_DEFAULT, NULL, on_read,
                                   reader);
}

static void
on_exited (GObject *source, GAsyncResult *result, gpointer data)
{
  Watch *watch = data;
  g_autoptr(GError) error = NULL;

  g_subprocess_wait_finish (G_SUBPROCESS (source), result, &error);
  g_assert_no_error (error);
  watch->open--;
}

void
test_run_vmgrctl_hook (TestRun *run, const char *line_prefix, TestRunHook hook, gpointer data,
                       const char *first_arg, ...)
{
  g_autoptr(GPtrArray) argv = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *command_line = NULL;
  Watch watch = { NULL, line_prefix, hook, data, FALSE, 3 };
  Reader out = { &watch, NULL, g_string_new (NULL), FALSE };
  Reader err = { &watch, NULL, g_string_new (NULL), TRUE };
  va_list args;

  va_start (args, first_arg);
  argv = collect_args (first_arg, args);
  va_end (args);
  test_run_clear (run);
  command_line = g_strjoinv (" ", (char **) argv->pdata);
  process = g_subprocess_newv ((const char *const *) argv->pdata,
                               G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                               &error);
  g_assert_no_error (error);
  watch.process = process;
  out.stream = g_subprocess_get_stdout_pipe (process);
  err.stream = g_subprocess_get_stderr_pipe (process);
  g_input_stream_read_bytes_async (out.stream, 4096, G_PRIORITY_DEFAULT, NULL, on_read, &out);
  g_input_stream_read_bytes_async (err.stream, 4096, G_PRIORITY_DEFAULT, NULL, on_read, &err);
  g_subprocess_wait_async (process, NULL, on_exited, &watch);
  while (watch.open > 0)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (g_subprocess_get_if_exited (process));
  run->status = g_subprocess_get_exit_status (process);
  run->out = g_string_free (out.text, FALSE);
  run->err = g_string_free (err.text, FALSE);
  g_test_message ("%s: exit %d\nstdout: %s\nstderr: %s", command_line, run->status, run->out,
                  run->err);
}

void
test_assert_one_error_line (const TestRun *run, const char *prefix)
{
  const char *newline = strchr (run->err, '\n');

  g_assert_true (g_str_has_prefix (run->err, prefix));
  g_assert_nonnull (newline);
  g_assert_cmpstr (newline + 1, ==, "");
}
