/* Spawning vmgrctl from the tests. */
#include "test-spawn.h"

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

void
test_run_vmgrctl (TestRun *run, const char *first_arg, ...)
{
  g_autoptr(GPtrArray) argv = NULL;
  va_list args;

  va_start (args, first_arg);
  argv = collect_args (first_arg, args);
  va_end (args);
  run_argv (run, NULL, argv);
}

void
test_run_vmgrctl_input (TestRun *run, const char *input, const char *first_arg, ...)
{
  g_autoptr(GPtrArray) argv = NULL;
  va_list args;

  va_start (args, first_arg);
  argv = collect_args (first_arg, args);
  va_end (args);
  run_argv (run, input, argv);
}

void
test_assert_one_error_line (const TestRun *run, const char *prefix)
{
  const char *newline = strchr (run->err, '\n');

  g_assert_true (g_str_has_prefix (run->err, prefix));
  g_assert_nonnull (newline);
  g_assert_cmpstr (newline + 1, ==, "");
}
