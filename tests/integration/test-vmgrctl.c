/* vmgrctl against the real vmgrd and polkitd, as root and as other users
 * (through setpriv): the commands, their waits, JSON, exit codes and the
 * one-line denial. */
#include "vmgr-test-client.h"
#include "vmgr-test-env.h"

static VmgrTestDaemon *daemon_under_test;

#define ROOT VMGR_TEST_UID_ROOT
#define ALICE VMGR_TEST_UID_ALICE

typedef struct {
  int status;
  char *out;
  char *err;
} Run;

static void
run_clear (Run *run)
{
  g_free (run->out);
  g_free (run->err);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Run, run_clear)

static Run
vmgrctl (guint uid, const char * const *args)
{
  Run run = { 0 };

  run.status = vmgr_test_run_vmgrctl_as_argv (uid, &run.out, &run.err, args);
  return run;
}

#define VMGRCTL(uid, ...) vmgrctl (uid, (const char * const[]) { __VA_ARGS__, NULL })

static void
assert_run (const Run *run, int status, const char *out_fragment, const char *err_fragment)
{
  if (run->status != status)
    g_error ("vmgrctl exited %d, expected %d\nstdout: %s\nstderr: %s", run->status, status,
             run->out, run->err);
  if (out_fragment != NULL && strstr (run->out, out_fragment) == NULL)
    g_error ("stdout lacks '%s': %s", out_fragment, run->out);
  if (err_fragment != NULL && strstr (run->err, err_fragment) == NULL)
    g_error ("stderr lacks '%s': %s", err_fragment, run->err);
}

static void
test_lifecycle_waits (void)
{
  g_auto(Run) create = VMGRCTL (ROOT, "create", "web", "--template", "debian-12", "--plan",
                                "basic", "--start");
  g_auto(Run) list = { 0 };
  g_auto(Run) suspend = { 0 };
  g_auto(Run) show = { 0 };
  g_auto(Run) stop = { 0 };
  g_auto(Run) json = { 0 };

  assert_run (&create, 0, NULL, NULL);
  list = VMGRCTL (ROOT, "list");
  assert_run (&list, 0, "web", NULL);
  g_assert_nonnull (strstr (list.out, "running"));
  g_assert_nonnull (strstr (list.out, "64 MiB"));
  /* suspend waits for paused: show at once sees it. */
  suspend = VMGRCTL (ROOT, "suspend", "web");
  assert_run (&suspend, 0, NULL, NULL);
  show = VMGRCTL (ROOT, "show", "web");
  assert_run (&show, 0, "paused", NULL);
  stop = VMGRCTL (ROOT, "stop", "101");
  assert_run (&stop, 0, NULL, NULL);
  json = VMGRCTL (ROOT, "--json", "show", "web");
  assert_run (&json, 0, "\"stopped\"", NULL);
  g_assert_true (g_str_has_prefix (g_strstrip (json.out), "{"));
}

static void
test_exit_codes (void)
{
  g_auto(Run) missing = VMGRCTL (ROOT, "start", "nosuchvm");
  g_auto(Run) duplicate = VMGRCTL (ROOT, "create", "web", "--template", "debian-12", "--plan",
                                   "basic");
  g_auto(Run) invalid_state = VMGRCTL (ROOT, "resume", "web");
  g_auto(Run) bad_name = VMGRCTL (ROOT, "create", "bad name", "--template", "debian-12",
                                  "--plan", "basic");
  g_auto(Run) usage = VMGRCTL (ROOT, "frobnicate");

  assert_run (&missing, 3, NULL, "nosuchvm");
  assert_run (&duplicate, 6, NULL, "web");
  assert_run (&invalid_state, 5, NULL, NULL);
  assert_run (&bad_name, 7, NULL, "bad name");
  assert_run (&usage, 2, NULL, NULL);
}

static void
test_customer_view_and_denial (void)
{
  g_auto(Run) create = VMGRCTL (ROOT, "create", "alice-web", "--template", "debian-12",
                                "--plan", "basic", "--owner", "alice");
  g_auto(Run) list = { 0 };
  g_auto(Run) other = { 0 };
  g_auto(Run) start = { 0 };
  g_auto(Run) delete = { 0 };
  g_auto(Run) stranger = { 0 };
  g_auto(GStrv) err_lines = NULL;

  assert_run (&create, 0, NULL, NULL);
  list = VMGRCTL (ALICE, "list");
  assert_run (&list, 0, "alice-web", NULL);
  g_assert_null (strstr (list.out, " web "));
  other = VMGRCTL (ALICE, "show", "web");
  assert_run (&other, 3, NULL, NULL);
  start = VMGRCTL (ALICE, "start", "alice-web");
  assert_run (&start, 0, NULL, NULL);
  delete = VMGRCTL (ALICE, "--no-ask-password", "delete", "alice-web");
  assert_run (&delete, 4, NULL, "vmgrctl: not authorized: ");
  g_assert_nonnull (strstr (delete.err, "org.vmgr.vm.delete"));
  err_lines = g_strsplit (g_strstrip (delete.err), "\n", -1);
  g_assert_cmpuint (g_strv_length (err_lines), ==, 1);
  stranger = VMGRCTL (VMGR_TEST_UID_MALLORY, "list");
  assert_run (&stranger, 0, NULL, NULL);
  g_assert_null (strstr (stranger.out, "web"));
}

static void
test_catalogue_and_restart (void)
{
  g_auto(Run) add = VMGRCTL (ROOT, "template-add", "alpine", "--os", "Alpine 3.20");
  g_auto(Run) plan = VMGRCTL (ROOT, "plan-set", "huge", "--memory", "1G", "--disk", "10G");
  g_auto(Run) templates = { 0 };
  g_auto(Run) plans = { 0 };
  g_auto(Run) list = { 0 };
  g_auto(Run) audit = { 0 };

  assert_run (&add, 0, NULL, NULL);
  assert_run (&plan, 0, NULL, NULL);
  vmgr_test_daemon_restart (daemon_under_test);
  templates = VMGRCTL (ROOT, "templates");
  assert_run (&templates, 0, "alpine", NULL);
  plans = VMGRCTL (ROOT, "plans");
  assert_run (&plans, 0, "huge", NULL);
  g_assert_nonnull (strstr (plans.out, "1.0 GiB"));
  list = VMGRCTL (ROOT, "list");
  assert_run (&list, 0, "alice-web", NULL);
  audit = VMGRCTL (ALICE, "audit");
  assert_run (&audit, 0, "org.vmgr.vm.delete", NULL);
}

static void
test_resources_customers_stats (void)
{
  g_auto(Run) create = VMGRCTL (ROOT, "create", "db", "--template", "debian-12", "--plan",
                                "basic", "--start");
  g_auto(Run) memory = { 0 };
  g_auto(Run) show = { 0 };
  g_auto(Run) stats = { 0 };
  g_auto(Run) host = { 0 };
  g_auto(Run) add = { 0 };
  g_auto(Run) customer = { 0 };
  g_auto(Run) contract = { 0 };
  g_auto(Run) mine = { 0 };
  g_auto(Run) capped = { 0 };

  assert_run (&create, 0, NULL, NULL);
  memory = VMGRCTL (ROOT, "set-memory", "db", "--soft-limit", "32M", "--limit", "48M");
  assert_run (&memory, 0, NULL, NULL);
  show = VMGRCTL (ROOT, "--json", "show", "db");
  assert_run (&show, 0, "50331648", NULL);
  capped = VMGRCTL (ROOT, "set-cpu", "db", "--limit", "50");
  assert_run (&capped, 9, NULL, "cpu-limit");
  stats = VMGRCTL (ROOT, "--json", "stats", "db");
  assert_run (&stats, 0, "memory_used", NULL);
  host = VMGRCTL (ROOT, "host");
  assert_run (&host, 0, "CPUs", NULL);
  add = VMGRCTL (ROOT, "customer", "add", "bob", "--name", "Bob Example", "--email",
                 "bob@example.org", "--national-id", "B-1", "--plan", "basic", "--max-vms", "1");
  assert_run (&add, 0, NULL, NULL);
  customer = VMGRCTL (ROOT, "customer", "show", "bob");
  assert_run (&customer, 0, "Bob Example", NULL);
  contract = VMGRCTL (VMGR_TEST_UID_BOB, "contract", "basic", "debian-12", "bob-vps");
  assert_run (&contract, 0, NULL, NULL);
  mine = VMGRCTL (VMGR_TEST_UID_BOB, "list");
  assert_run (&mine, 0, "bob-vps", NULL);
  g_clear_pointer (&contract.out, g_free);
  g_clear_pointer (&contract.err, g_free);
  contract = VMGRCTL (VMGR_TEST_UID_BOB, "contract", "basic", "debian-12", "bob-vps2");
  assert_run (&contract, 8, NULL, "vms");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/vmgrctl/lifecycle-waits", test_lifecycle_waits);
  g_test_add_func ("/vmgrctl/exit-codes", test_exit_codes);
  g_test_add_func ("/vmgrctl/customer-view-and-denial", test_customer_view_and_denial);
  g_test_add_func ("/vmgrctl/catalogue-and-restart", test_catalogue_and_restart);
  g_test_add_func ("/vmgrctl/resources-customers-stats", test_resources_customers_stats);

  return vmgr_test_run_with_daemon (NULL, NULL, &daemon_under_test);
}
