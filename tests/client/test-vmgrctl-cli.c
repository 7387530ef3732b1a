/* vmgrctl's command line without a daemon: help, version, usage errors
 * (exit 2) and an unreachable bus (exit 11). */
#include <gio/gio.h>
#include <string.h>

#include "run-vmgrctl.h"
#include "vmgrctl-errors.h"

static void
test_help (void)
{
  g_auto(TestRun) run = { 0 };

  test_run_vmgrctl (&run, "--help", NULL);
  g_assert_cmpint (run.status, ==, VMGRCTL_EXIT_OK);
  g_assert_nonnull (strstr (run.out, "Commands:"));
  g_assert_nonnull (strstr (run.out, "  plan-set NAME"));
  g_assert_nonnull (strstr (run.out, "  stats [VM...]"));
  g_assert_nonnull (strstr (run.out, "  customer suspend USER|UID"));
  g_assert_nonnull (strstr (run.out, "  contract PLAN TEMPLATE NAME"));
  g_assert_nonnull (strstr (run.out, "Exit status:"));
  g_assert_nonnull (strstr (run.out, "  11  cannot connect"));
  g_assert_nonnull (strstr (run.out, " 130  interrupted by Ctrl-C"));
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
  g_assert_nonnull (strstr (run.out, "Ctrl-C meanwhile cancels the provisioning and exits with\nstatus 130"));
  test_run_vmgrctl (&run, "contract", "--help", NULL);
  g_assert_cmpint (run.status, ==, VMGRCTL_EXIT_OK);
  g_assert_nonnull (strstr (run.out, "progress bar"));
  test_run_vmgrctl (&run, "list", "--help", NULL);
  g_assert_cmpint (run.status, ==, VMGRCTL_EXIT_OK);
  g_assert_nonnull (strstr (run.out, "--json"));
  test_run_vmgrctl (&run, "plan-set", "--help", NULL);
  g_assert_nonnull (strstr (run.out, "--max-vms=N"));
  test_run_vmgrctl (&run, "shutdown", "--help", NULL);
  g_assert_nonnull (strstr (run.out, "--grace=SECONDS"));
  g_assert_nonnull (strstr (run.out, "--timeout=SECONDS"));
  test_run_vmgrctl (&run, "set-memory", "--help", NULL);
  g_assert_nonnull (strstr (run.out, "--memory-soft-limit=SIZE"));
  g_assert_nonnull (strstr (run.out, "--soft-limit=SIZE"));
  test_run_vmgrctl (&run, "stats", "--help", NULL);
  g_assert_nonnull (strstr (run.out, "--watch=SECONDS"));
  g_assert_nonnull (strstr (run.out, "--count=N"));
  g_assert_nonnull (strstr (run.out, "--json"));
  test_run_vmgrctl (&run, "customer", "add", "--help", NULL);
  g_assert_cmpint (run.status, ==, VMGRCTL_EXIT_OK);
  g_assert_nonnull (strstr (run.out, "customer add USER|UID"));
  g_assert_nonnull (strstr (run.out, "--national-id=ID"));
  g_assert_nonnull (strstr (run.out, "--max-memory=SIZE"));
  test_run_vmgrctl (&run, "customer", "--help", NULL);
  g_assert_cmpint (run.status, ==, VMGRCTL_EXIT_OK);
  g_assert_nonnull (strstr (run.out, "  customer unsuspend USER|UID"));
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
  static const char *const cases[][10] = {
    { "frobnicate", NULL },
    { NULL },
    { "--bogus", "list", NULL },
    { "--session", "--system", "list", NULL },
    { "--timeout", "-5", "start", "web", NULL },
    { "--wait-timeout", "soon", "start", "web", NULL },
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
    { "shutdown", "web", "--grace", "-1", NULL },
    { "audit", "--since", "soon", NULL },
    /* set-memory, set-cpu, set-disk, set-network, autostart, chown */
    { "set-memory", "web", NULL },
    { "set-memory", "web", "--memory", "12X", NULL },
    { "set-memory", "web", "--memory-guarantee", "-1", NULL },
    { "set-memory", "web", "--limit", "12X", NULL },
    { "set-memory", "--limit", "1G", NULL },
    { "set-memory", "web", "--limit", "1G", "--json", NULL },
    { "set-cpu", "web", NULL },
    { "set-cpu", "web", "--weight", "heavy", NULL },
    { "set-cpu", "web", "--limit", "1.5", NULL },
    { "set-cpu", "web", "--vcpus", "4294967296", NULL },
    { "set-disk", "web", NULL },
    { "set-disk", "web", "--hard", "-1", NULL },
    { "set-network", "web", NULL },
    { "set-network", "web", "--bogus", "x", NULL },
    { "autostart", "web", NULL },
    { "autostart", "web", "maybe", NULL },
    { "autostart", "web", "on", "off", NULL },
    { "chown", "web", NULL },
    /* stats, host, customers, customer, contract, console */
    { "stats", "--watch", "0", NULL },
    { "stats", "--watch", "-1", NULL },
    { "stats", "--watch=soon", NULL },
    { "stats", "--count", "0", NULL },
    { "stats", "--count", "many", NULL },
    { "stats", "--no-wait", NULL },
    { "host", "extra", NULL },
    { "customers", "extra", NULL },
    { "customer", NULL },
    { "customer", "frob", NULL },
    { "customer", "add", NULL },
    { "customer", "add", "alice", "--email", "a@example.org", "--national-id", "X1", NULL },
    { "customer", "add", "alice", "--name", "A", "--email", "a@example.org", NULL },
    { "customer", "add", "0", "--name=A", "--email=e", "--national-id=X", "--max-vms", "x", NULL },
    { "customer", "update", "alice", NULL },
    { "customer", "update", "0", "--max-disk", "1.5", NULL },
    { "customer", "show", NULL },
    { "customer", "show", "a", "b", NULL },
    { "customer", "suspend", "alice", NULL },
    { "customer", "unsuspend", "alice", "--reason", "x", NULL },
    { "customer", "remove", NULL },
    { "contract", "small", "debian-12", NULL },
    { "contract", "small", "debian-12", "web", "extra", NULL },
    { "console", NULL },
    { "console", "web", "--json", NULL },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_auto(TestRun) run = { 0 };

      test_run_vmgrctl (&run, cases[i][0], cases[i][1], cases[i][2], cases[i][3], cases[i][4],
                        cases[i][5], cases[i][6], cases[i][7], cases[i][8], cases[i][9], NULL);
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
  test_run_vmgrctl (&run, "chown", "web", "no-such-user-here", NULL);
  g_assert_cmpint (run.status, ==, VMGRCTL_EXIT_INVALID_ARGUMENT);
  test_assert_one_error_line (&run, "vmgrctl: chown: no user named 'no-such-user-here'");
  test_run_vmgrctl (&run, "customer", "show", "no-such-user-here", NULL);
  g_assert_cmpint (run.status, ==, VMGRCTL_EXIT_INVALID_ARGUMENT);
  test_assert_one_error_line (&run, "vmgrctl: customer show: no user named 'no-such-user-here'");
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
