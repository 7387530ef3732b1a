/* Host tools run from worker threads (backend/vmgr-tool.c): their output
 * and status, a tool that must succeed, both pipes full at once, the
 * directory they run in, the low CPU and I/O priority they run at, a tool
 * that is not there, cancellation killing and reaping the tool, and many
 * runs at once from the threads of GTask's pool. */
#include <errno.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "vmgr-error.h"
#include "vmgr-tool.h"

/* More runs at once than the GTask pool's 10 threads, as 25 container
 * provisionings were. */
#define MANY_RUNS 32
#define MANY_RUNS_WAIT_S 60

static void
test_output_and_status (void)
{
  const char *argv[] = { "sh", "-c", "printf 'out\\n'; printf ' err \\n' >&2; exit 3", NULL };
  g_autoptr(GBytes) out = NULL;
  g_autoptr(GBytes) err = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) process = vmgr_tool_run (NULL, argv, &out, &err, NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (process);
  g_assert_true (g_subprocess_get_if_exited (process));
  g_assert_cmpint (g_subprocess_get_exit_status (process), ==, 3);
  g_assert_cmpmem (g_bytes_get_data (out, NULL), g_bytes_get_size (out), "out\n", 4);
  g_assert_cmpmem (g_bytes_get_data (err, NULL), g_bytes_get_size (err), " err \n", 6);
}

static void
test_text (void)
{
  const char *argv[] = { "sh", "-c", "printf 'a b'; printf '  no such \\377thing \\n' >&2", NULL };
  const char *binary[] = { "sh", "-c", "printf 'a\\377b'", NULL };
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) process = vmgr_tool_run_text (argv, &out, &err, NULL, &error);
  g_autoptr(GSubprocess) refused = NULL;

  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_successful (process));
  g_assert_cmpstr (out, ==, "a b");
  g_assert_cmpstr (err, ==, "no such \xef\xbf\xbd" "thing");
  g_clear_pointer (&out, g_free);
  refused = vmgr_tool_run_text (binary, &out, NULL, NULL, &error);
  g_assert_null (refused);
  g_assert_error (error, VMGR_ERROR, VMGR_ERROR_FAILED);
  g_assert_cmpstr (error->message, ==, "sh wrote output that is not UTF-8");
  g_assert_null (out);
}

/* A tool that must succeed: its output when it does; when it does not,
 * an error naming the command up to its first path, with its message. */
static void
test_checked (void)
{
  const char *good[] = { "sh", "-c", "echo fine", NULL };
  const char *bad[] = { "sh", "-c", "echo partial; echo ' oops ' >&2; exit 2", "/a/path", NULL };
  g_autofree char *out = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (vmgr_tool_run_checked (good, &out, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (out, ==, "fine\n");
  g_clear_pointer (&out, g_free);
  g_assert_false (vmgr_tool_run_checked (bad, &out, NULL, &error));
  g_assert_error (error, VMGR_ERROR, VMGR_ERROR_FAILED);
  g_assert_cmpstr (error->message, ==,
                   "sh -c echo partial; echo ' oops ' >&2; exit 2 failed: oops");
  g_assert_null (out);
}

/* Each pipe gets far more than a pipe holds, stderr first: reading only
 * one of them at a time would leave the tool blocked on the other. */
static void
test_both_pipes_full (void)
{
  const char *argv[] = {
    "sh", "-c", "head -c 300000 /dev/zero >&2; head -c 400000 /dev/zero", NULL,
  };
  g_autoptr(GBytes) out = NULL;
  g_autoptr(GBytes) err = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) process = vmgr_tool_run (NULL, argv, &out, &err, NULL, &error);

  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_successful (process));
  g_assert_cmpuint (g_bytes_get_size (out), ==, 400000);
  g_assert_cmpuint (g_bytes_get_size (err), ==, 300000);
}

static void
test_directory (void)
{
  g_autofree char *dir = g_dir_make_tmp ("vmgr-tool-XXXXXX", NULL);
  g_autofree char *real_dir = realpath (dir, NULL);
  g_autofree char *expected = g_strconcat (real_dir, "\n", NULL);
  const char *argv[] = { "sh", "-c", "pwd -P", NULL };
  g_autoptr(GBytes) out = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) process = vmgr_tool_run (dir, argv, &out, NULL, NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (process);
  g_assert_cmpmem (g_bytes_get_data (out, NULL), g_bytes_get_size (out), expected,
                   strlen (expected));
  g_assert_cmpint (g_rmdir (dir), ==, 0);
}

/* The nice value is field 19 of /proc/PID/stat, the 17th after the
 * command's closing parenthesis. */
static int
nice_of_stat (const char *stat)
{
  g_auto(GStrv) fields = g_strsplit (strrchr (stat, ')') + 2, " ", -1);

  g_assert_cmpuint (g_strv_length (fields), >, 17);
  return (int) g_ascii_strtoll (fields[16], NULL, 10);
}

static void
test_low_priority (void)
{
  const char *stat_argv[] = { "cat", "/proc/self/stat", NULL };
  const char *ionice_argv[] = { "sh", "-c", "LC_ALL=C ionice -p $$", NULL };
  g_autofree char *stat = NULL;
  g_autofree char *io_class = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) cat = vmgr_tool_run_text (stat_argv, &stat, NULL, NULL, &error);
  g_autoptr(GSubprocess) ionice = NULL;

  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_successful (cat));
  g_assert_cmpint (nice_of_stat (stat), ==, VMGR_TOOL_NICE);
  ionice = vmgr_tool_run_text (ionice_argv, &io_class, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_successful (ionice));
  g_assert_cmpstr (io_class, ==, "best-effort: prio 7\n");
}

static void
test_not_found (void)
{
  const char *argv[] = { "vmgr-no-such-tool", NULL };
  g_autoptr(GBytes) out = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) process = vmgr_tool_run (NULL, argv, &out, NULL, NULL, &error);

  g_assert_null (process);
  g_assert_error (error, G_SPAWN_ERROR, G_SPAWN_ERROR_NOENT);
  g_assert_null (out);
}

typedef struct {
  const char *pid_file;
  GCancellable *cancellable;
} Canceller;

/* Cancels once the tool has written its pid (a tool at nice 19 on a busy
 * machine may take a while to get there). */
static gpointer
cancel_thread (gpointer data)
{
  Canceller *canceller = data;
  gint64 deadline = g_get_monotonic_time () + 20 * G_TIME_SPAN_SECOND;

  while (g_get_monotonic_time () < deadline)
    {
      g_autofree char *contents = NULL;

      if (g_file_get_contents (canceller->pid_file, &contents, NULL, NULL) &&
          g_str_has_suffix (contents, "\n"))
        break;
      g_usleep (10 * G_TIME_SPAN_MILLISECOND);
    }
  g_cancellable_cancel (canceller->cancellable);
  return NULL;
}

/* The tool writes its pid, then sleeps; cancelled, it is killed and reaped:
 * after the return there is no such process, not even a zombie. */
static void
test_cancelled (void)
{
  g_autofree char *dir = g_dir_make_tmp ("vmgr-tool-XXXXXX", NULL);
  g_autofree char *pid_file = g_build_filename (dir, "pid", NULL);
  g_autofree char *script = g_strdup_printf ("echo $$ > '%s'; exec sleep 30", pid_file);
  const char *argv[] = { "sh", "-c", script, NULL };
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  Canceller when = { pid_file, cancellable };
  g_autoptr(GThread) canceller = g_thread_new ("cancel", cancel_thread, &when);
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autofree char *pid_text = NULL;
  gint64 started = g_get_monotonic_time ();

  process = vmgr_tool_run (NULL, argv, NULL, NULL, cancellable, &error);
  g_thread_join (g_steal_pointer (&canceller));
  g_assert_null (process);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (g_get_monotonic_time () - started, <, 20 * G_TIME_SPAN_SECOND);
  g_assert_true (g_file_get_contents (pid_file, &pid_text, NULL, NULL));
  g_assert_cmpint (g_ascii_strtoll (pid_text, NULL, 10), >, 1);
  g_assert_cmpint (kill ((pid_t) g_ascii_strtoll (pid_text, NULL, 10), 0), ==, -1);
  g_assert_cmpint (errno, ==, ESRCH);
  g_assert_cmpint (g_unlink (pid_file), ==, 0);
  g_assert_cmpint (g_rmdir (dir), ==, 0);
}

static void
run_in_pool_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  guint index = GPOINTER_TO_UINT (data);
  g_autofree char *script = g_strdup_printf ("sleep 0.2; echo %u; echo done >&2", index);
  const char *argv[] = { "sh", "-c", script, NULL };
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *expected = g_strdup_printf ("%u\n", index);
  GError *error = NULL;
  g_autoptr(GSubprocess) process = vmgr_tool_run_text (argv, &out, &err, NULL, &error);

  if (process == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, g_subprocess_get_successful (process) &&
                                   g_str_equal (out, expected) && g_str_equal (err, "done"));
}

static void
on_run_done (GObject *source, GAsyncResult *result, gpointer data)
{
  guint *succeeded = data;
  g_autoptr(GError) error = NULL;

  if (g_task_propagate_boolean (G_TASK (result), &error))
    (*succeeded)++;
  else
    g_printerr ("run failed: %s\n", error != NULL ? error->message : "wrong output");
}

static gboolean
on_too_long (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

static void
test_many_from_task_threads (void)
{
  guint succeeded = 0;
  gboolean too_long = FALSE;
  guint timeout = g_timeout_add_seconds (MANY_RUNS_WAIT_S, on_too_long, &too_long);

  for (guint i = 0; i < MANY_RUNS; i++)
    {
      g_autoptr(GTask) task = g_task_new (NULL, NULL, on_run_done, &succeeded);

      g_task_set_task_data (task, GUINT_TO_POINTER (i), NULL);
      g_task_run_in_thread (task, run_in_pool_thread);
    }
  while (succeeded < MANY_RUNS && !too_long)
    g_main_context_iteration (NULL, TRUE);
  g_assert_false (too_long);
  g_assert_cmpuint (succeeded, ==, MANY_RUNS);
  g_source_remove (timeout);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/tool/output-and-status", test_output_and_status);
  g_test_add_func ("/tool/text", test_text);
  g_test_add_func ("/tool/checked", test_checked);
  g_test_add_func ("/tool/both-pipes-full", test_both_pipes_full);
  g_test_add_func ("/tool/directory", test_directory);
  g_test_add_func ("/tool/low-priority", test_low_priority);
  g_test_add_func ("/tool/not-found", test_not_found);
  g_test_add_func ("/tool/cancelled", test_cancelled);
  g_test_add_func ("/tool/many-from-task-threads", test_many_from_task_threads);
  return g_test_run ();
}
