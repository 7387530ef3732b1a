/* vmgrctl's command line without a daemon: help, version, usage errors
 * (exit 2) and an unreachable bus (exit 11). */
#include <gio/gio.h>
#include <string.h>

#include "test-spawn.h"
#include "vmgrctl-errors.h"

static void
test_help (void)
{
  g_auto(TestRun) run = { 0 };

  test_run_vmgrctl (&run, "--help", NULL);
  g_assert_cmpint (run.status, ==, VMGRCTL_EXIT_OK);
  g_assert_nonnull (strstr (run.out, "Commands:"));
  g_assert_nonnull (strstr (run.out, "  plan-set NAME"));
  g_assert_nonnull (strstr (run.out, "Exit status:"));
  g_assert_nonnull (strstr (run.out, "  11  cannot connect"));
  g_assert_cmpstr (run.err, ==, "");

  test_run_vmgrctl (&run, "-h", NULL);
  g_assert_cmpint (run.status, ==, VMGRCTL_EXIT_OK);
}

static void
test_command_help (void)
{
  g_auto(TestRun) run = { 0 };

  test_run_vmgrctl (&run, "create", "--help", NULL);
  g_assert_cmpint (run.status, ==, VMGRCTL_EXIT_OK);
  g_assert_nonnull (strstr (run.out, "--memory-soft-limit=SIZE"));
  g_assert_nonnull (strstr (run.out, "--no-wait"));
  test_run_vmgrctl (&run, "list", "--help", NULL);
  g_assert_cmpint (run.status, ==, VMGRCTL_EXIT_OK);
  g_assert_nonnull (strstr (run.out, "--json"));
  test_run_vmgrctl (&run, "plan-set", "--help", NULL);
  g_assert_nonnull (strstr (run.out, "--max-vms=N"));
  test_run_vmgrctl (&run, "shutdown", "--help", NULL);
  g_assert_nonnull (strstr (run.out, "--timeout=SECONDS"));
}

static void
test_version (void)
{
  g_auto(TestRun) run = { 0 };

  test_run_vmgrctl (&run, "--version", NULL);
  g_assert_cmpint (run.status, ==, VMGRCTL_EXIT_OK);
  g_assert_true (g_str_has_prefix (run.out, "vmgrctl "));
}

static void
test_usage_errors (void)
{
  static const char *const cases[][7] = {
    { "frobnicate", NULL },
    { NULL },
    { "--bogus", "list", NULL },
    { "--session", "--system", "list", NULL },
    { "--timeout", "-5", "start", "web", NULL },
    { "show", NULL },
    { "show", "a", "b", NULL },
    { "list", "--bogus", NULL },
    { "start", "web", "--json", NULL },
    { "create", "web", NULL },
    { "create", "web", "--template", "t", "--memory", "12X", NULL },
    { "create", "web", "--template", "t", "--vcpus", "-1", NULL },
    { "create", "web", "--template", "t", "--id", "x", NULL },
    { "plan-set", "p", "--disk", "1.5", NULL },
    { "shutdown", "web", "--timeout", "soon", NULL },
    { "audit", "--since", "yesterday", NULL },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_auto(TestRun) run = { 0 };

      test_run_vmgrctl (&run, cases[i][0], cases[i][1], cases[i][2], cases[i][3], cases[i][4],
                        cases[i][5], cases[i][6], NULL);
      g_assert_cmpint (run.status, ==, VMGRCTL_EXIT_USAGE);
      g_assert_cmpstr (run.out, ==, "");
      test_assert_one_error_line (&run, "vmgrctl: ");
    }
}

static void
test_unknown_user (void)
{
  g_auto(TestRun) run = { 0 };

  test_run_vmgrctl (&run, "create", "web", "--template", "t", "--owner", "no-such-user-here", NULL);
  g_assert_cmpint (run.status, ==, VMGRCTL_EXIT_INVALID_ARGUMENT);
  test_assert_one_error_line (&run, "vmgrctl: create: no user named 'no-such-user-here'");
}

static void
test_no_bus (void)
{
  g_autofree char *address = g_strdup_printf ("unix:path=%s/no-such-bus", g_get_tmp_dir ());
  g_auto(TestRun) run = { 0 };

  test_run_vmgrctl (&run, "--address", address, "list", NULL);
  g_assert_cmpint (run.status, ==, VMGRCTL_EXIT_NO_BUS);
  test_assert_one_error_line (&run, "vmgrctl: cannot connect to unix:path=");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/vmgrctl/cli/help", test_help);
  g_test_add_func ("/vmgrctl/cli/command-help", test_command_help);
  g_test_add_func ("/vmgrctl/cli/version", test_version);
  g_test_add_func ("/vmgrctl/cli/usage-errors", test_usage_errors);
  g_test_add_func ("/vmgrctl/cli/unknown-user", test_unknown_user);
  g_test_add_func ("/vmgrctl/cli/no-bus", test_no_bus);

  return g_test_run ();
}
