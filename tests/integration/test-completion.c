/* vmgrctl's bash completion (data/bash-completion/vmgrctl), sourced in
 * bash with bash-completion and asked for candidates as each user: the
 * commands and options of the vmgrctl it runs, and the names of the VMs,
 * templates and plans that user may see. */
#include <string.h>

#include "vmgr-test-env.h"

#define ROOT VMGR_TEST_UID_ROOT
#define ALICE VMGR_TEST_UID_ALICE

static VmgrTestDaemon *daemon_under_test;

/* The candidates for "vmgrctl WORD...", one per line, as @uid. */
static char *
complete (guint uid, const char * const *words)
{
  g_autofree char *script = g_build_filename (g_getenv ("VMGR_SOURCE_ROOT"), "tests",
                                              "integration", "complete.sh", NULL);
  g_autofree char *completion = g_build_filename (g_getenv ("VMGR_SOURCE_ROOT"), "data",
                                                  "bash-completion", "vmgrctl", NULL);
  g_autofree char *vmgrctl = vmgr_test_build_path ("client/vmgrctl");
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autofree char *err = NULL;
  char *out = NULL;
  int status;

  g_ptr_array_add (argv, "bash");
  g_ptr_array_add (argv, script);
  g_ptr_array_add (argv, completion);
  g_ptr_array_add (argv, vmgrctl);
  for (const char * const *w = words; *w != NULL; w++)
    g_ptr_array_add (argv, (gpointer) *w);
  g_ptr_array_add (argv, NULL);
  status = vmgr_test_run_as_argv (uid, &out, &err, (const char * const *) argv->pdata);
  if (status != 0)
    g_error ("completion exited %d: %s", status, err);
  return out;
}

#define COMPLETE(uid, ...) complete (uid, (const char * const[]) { __VA_ARGS__, NULL })

static void
assert_candidates (const char *out, const char *expected)
{
  if (!g_str_equal (out, expected))
    g_error ("candidates:\n%s\nexpected:\n%s", out, expected);
}

static void
test_commands_and_options (void)
{
  g_autofree char *st = COMPLETE (ALICE, "st");
  g_autofree char *global = COMPLETE (ALICE, "--n");
  g_autofree char *create = COMPLETE (ALICE, "create", "x", "--t");
  g_autofree char *wait = COMPLETE (ALICE, "wait", "x", "--");
  g_autofree char *state = COMPLETE (ALICE, "wait", "x", "--state", "s");
  g_autofree char *customer = COMPLETE (ALICE, "customer", "");
  g_autofree char *autostart = COMPLETE (ALICE, "autostart", "x", "");
  g_autofree char *all = COMPLETE (ALICE, "");

  assert_candidates (st, "start\nstats\nstop\n");
  assert_candidates (global, "--no-ask-password\n--no-wait\n");
  assert_candidates (create, "--template\n");
  assert_candidates (wait, "--state\n--timeout\n");
  assert_candidates (state, "starting\nstopped\nstopping\nsuspended\n");
  assert_candidates (customer, "add\nremove\nshow\nsuspend\nunsuspend\nupdate\n");
  assert_candidates (autostart, "off\non\n");
  g_assert_nonnull (strstr (all, "monitor\n"));
  g_assert_nonnull (strstr (all, "list\n"));
  g_assert_null (strstr (all, "\nadd\n"));
  g_assert_null (strstr (all, "customer add"));
}

static void
test_names_the_caller_sees (void)
{
  g_autofree char *alice_vms = NULL;
  g_autofree char *root_vms = NULL;
  g_autofree char *monitor = NULL;
  g_autofree char *templates = NULL;
  g_autofree char *plans = NULL;
  g_autofree char *contract = NULL;

  g_assert_cmpint (vmgr_test_run_vmgrctl_as (ROOT, NULL, NULL, "create", "comp-a", "--template",
                                             "debian-12", "--plan", "basic", "--owner", "alice",
                                             NULL), ==, 0);
  g_assert_cmpint (vmgr_test_run_vmgrctl_as (ROOT, NULL, NULL, "create", "comp-b", "--template",
                                             "debian-12", "--plan", "basic", "--owner", "bob",
                                             NULL), ==, 0);
  alice_vms = COMPLETE (ALICE, "start", "comp");
  root_vms = COMPLETE (ROOT, "start", "comp");
  monitor = COMPLETE (ALICE, "monitor", "comp-a", "");
  templates = COMPLETE (ALICE, "create", "x", "--template", "deb");
  plans = COMPLETE (ROOT, "create", "x", "--plan", "");
  contract = COMPLETE (ALICE, "contract", "");

  assert_candidates (alice_vms, "comp-a\n");
  assert_candidates (root_vms, "comp-a\ncomp-b\n");
  assert_candidates (monitor, "comp-a\n");
  assert_candidates (templates, "debian-12\n");
  assert_candidates (plans, "basic\ncomplete\nprofessional\n");
  assert_candidates (contract, "basic\ncomplete\nprofessional\n");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/completion/commands-and-options", test_commands_and_options);
  g_test_add_func ("/completion/names-the-caller-sees", test_names_the_caller_sees);
  return vmgr_test_run_with_daemon (NULL, NULL, &daemon_under_test);
}
