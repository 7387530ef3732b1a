/* Running the vmgrctl under test ($VMGRCTL, behind $VMGRCTL_WRAPPER when
 * set, e.g. valgrind) from a GLib test, with the main context iterating
 * meanwhile (a fake vmgrd may be serving it). */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct {
  int status;  /* exit status */
  char *out;
  char *err;
} TestRun;

void test_run_clear (TestRun *run);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (TestRun, test_run_clear)

/* Runs vmgrctl with the NULL-terminated arguments. */
void test_run_vmgrctl (TestRun *run, const char *first_arg, ...) G_GNUC_NULL_TERMINATED;

/* The same with @input on vmgrctl's stdin. */
void test_run_vmgrctl_input (TestRun *run, const char *input, const char *first_arg, ...)
  G_GNUC_NULL_TERMINATED;

/* Called once while vmgrctl runs, e.g. to move a fake job on or to send
 * it a signal (g_subprocess_send_signal()). */
typedef void (*TestRunHook) (GSubprocess *process, gpointer data);

/* Runs vmgrctl with the NULL-terminated arguments and calls @hook as
 * soon as its stderr has a whole line starting with @line_prefix. */
void test_run_vmgrctl_hook (TestRun *run, const char *line_prefix, TestRunHook hook,
                            gpointer data, const char *first_arg, ...) G_GNUC_NULL_TERMINATED;

/* Asserts that stderr is exactly one line starting with @prefix. */
void test_assert_one_error_line (const TestRun *run, const char *prefix);

G_END_DECLS
