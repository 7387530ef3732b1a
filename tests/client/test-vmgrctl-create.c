/* vmgrctl against the fake vmgrd: create and contract, what they send and
 * their waiting, and provisioning in a job (the progress bar, its end,
 * failure, Ctrl-C, the job or the daemon going away). */
#include <gio/gio.h>

#include "fake-fixture.h"
#include "vmgrctl-errors.h"

/* ---- create ---- */

static void
test_create (Fixture *f, gconstpointer data)
{
  g_autoptr(GVariant) options = NULL;
  g_autofree const char **addresses = NULL;
  const char *name, *template, *plan;
  guint64 memory;
  guint32 vcpus, owner, cpu_limit;
  gboolean start;

  vmgrctl (f, "create", "new", "--template", "debian-12", "--memory", "1.5G", "--vcpus", "2",
           "--cpu-limit", "150%", "--owner", "root", "--address", "10.0.0.9/24",
           "--address", "fd00::9/64", "--start");
  g_assert_cmpint (f->run.status, ==, VMGRCTL_EXIT_OK);
  g_assert_cmpstr (f->run.out, ==, "Created VM new with id 200\n");
  g_assert_cmpstr (f->fake->last_method, ==, "CreateVM");
  g_variant_get (f->fake->last_args, "(&s&s&s@a{sv})", &name, &template, &plan, &options);
  g_assert_cmpstr (plan, ==, "");
  g_assert_true (g_variant_lookup (options, "memory_limit", "t", &memory));
  g_assert_cmpuint (memory, ==, GiB + GiB / 2);
  g_assert_true (g_variant_lookup (options, "vcpus", "u", &vcpus));
  g_assert_cmpuint (vcpus, ==, 2);
  g_assert_true (g_variant_lookup (options, "cpu_limit", "u", &cpu_limit));
  g_assert_cmpuint (cpu_limit, ==, 150);
  g_assert_true (g_variant_lookup (options, "owner", "u", &owner));
  g_assert_cmpuint (owner, ==, 0);
  g_assert_true (g_variant_lookup (options, "addresses", "^a&s", &addresses));
  g_assert_cmpuint (g_strv_length ((char **) addresses), ==, 2);
  g_assert_true (g_variant_lookup (options, "start", "b", &start));
  g_assert_cmpstr (vmgr_dbus_vm_get_state (fake_vmgrd_get_vm (f->fake, "new")), ==, "running");
}

static void
test_create_waits_for_provisioning (Fixture *f, gconstpointer data)
{
  vmgrctl (f, "create", "fresh", "--template", "debian-12", "--plan", "small");
  g_assert_cmpint (f->run.status, ==, VMGRCTL_EXIT_OK);
  g_assert_cmpstr (vmgr_dbus_vm_get_state (fake_vmgrd_get_vm (f->fake, "fresh")), ==, "stopped");
}

/* ---- provisioning in a job: the progress bar (stderr is no tty here:
 * a line at first and at each 25% step), its end, Ctrl-C ---- */

#define BAR_0 " [--------------------] 0%\n"
#define BAR_50 " [##########----------] 50%\n"
#define BAR_100 " [####################] 100%\n"

static void
test_create_job (Fixture *f, gconstpointer data)
{
  VmgrDBusVM *vm;

  vmgrctl_hook (f, "Provisioning fresh ", hook_run_jobs,
                "create", "fresh", "--template", "job-ok");
  g_assert_cmpint (f->run.status, ==, VMGRCTL_EXIT_OK);
  g_assert_cmpstr (f->run.out, ==, "Created VM fresh with id 200\n");
  g_assert_cmpstr (f->run.err, ==, "Provisioning fresh" BAR_0 "Provisioning fresh" BAR_50
                                   "Provisioning fresh" BAR_100);
  vm = fake_vmgrd_get_vm (f->fake, "fresh");
  g_assert_cmpstr (vmgr_dbus_vm_get_state (vm), ==, "stopped");
  g_assert_cmpstr (vmgr_dbus_vm_get_job (vm), ==, "/");

  /* Then the wait goes on as without a job: --start waits for running. */
  vmgrctl_hook (f, "Provisioning up ", hook_run_jobs,
                "create", "up", "--template", "job-ok", "--start");
  g_assert_cmpint (f->run.status, ==, VMGRCTL_EXIT_OK);
  g_assert_cmpstr (f->run.err, ==, "Provisioning up" BAR_0 "Provisioning up" BAR_50
                                   "Provisioning up" BAR_100);
  g_assert_cmpstr (vmgr_dbus_vm_get_state (fake_vmgrd_get_vm (f->fake, "up")), ==, "running");

  /* --no-wait: no bar. */
  vmgrctl (f, "create", "later", "--template", "job-ok", "--no-wait");
  g_assert_cmpint (f->run.status, ==, VMGRCTL_EXIT_OK);
  g_assert_cmpstr (f->run.err, ==, "");
}

static void
test_create_job_failed (Fixture *f, gconstpointer data)
{
  vmgrctl_hook (f, "Provisioning broken ", hook_run_jobs,
                "create", "broken", "--template", "job-fail");
  g_assert_cmpint (f->run.status, ==, VMGRCTL_EXIT_FAILURE);
  g_assert_cmpstr (f->run.out, ==, "Created VM broken with id 200\n");
  g_assert_cmpstr (f->run.err, ==, "Provisioning broken" BAR_0 "Provisioning broken" BAR_50
                                   "vmgrctl: provisioning failed: no space left on device\n");
  g_assert_null (fake_vmgrd_get_vm (f->fake, "broken"));
}

/* Ctrl-C: Job.Cancel(), exit 130. */
static void
test_create_job_interrupted (Fixture *f, gconstpointer data)
{
  vmgrctl_hook (f, "Provisioning slow ", hook_interrupt,
                "create", "slow", "--template", "job-hang");
  g_assert_cmpint (f->run.status, ==, VMGRCTL_EXIT_INTERRUPTED);
  g_assert_cmpstr (f->run.err, ==, "Provisioning slow" BAR_0
                                   "vmgrctl: provisioning of 'slow' cancelled\n");
  g_assert_cmpstr (f->fake->last_method, ==, "Cancel");
  /* The job ends as cancelled, and the VM with it. */
  while (fake_vmgrd_get_vm (f->fake, "slow") != NULL)
    g_main_context_iteration (NULL, TRUE);
}

/* The job goes away without Completed: the VM's state tells. */
static void
test_create_job_vanished (Fixture *f, gconstpointer data)
{
  vmgrctl_hook (f, "Provisioning odd ", hook_run_jobs,
                "create", "odd", "--template", "job-vanish", "--start");
  g_assert_cmpint (f->run.status, ==, VMGRCTL_EXIT_OK);
  g_assert_cmpstr (f->run.err, ==, "Provisioning odd" BAR_0 "Provisioning odd" BAR_50);
  g_assert_cmpstr (vmgr_dbus_vm_get_state (fake_vmgrd_get_vm (f->fake, "odd")), ==, "running");
}

static void
close_bus (GSubprocess *process, gpointer fixture)
{
  Fixture *f = fixture;

  g_dbus_connection_close_sync (f->connection, NULL, NULL);
}

/* vmgrd leaves the bus while provisioning: as for any wait. */
static void
test_create_job_daemon_gone (Fixture *f, gconstpointer data)
{
  vmgrctl_hook (f, "Provisioning alone ", close_bus,
                "create", "alone", "--template", "job-hang");
  g_assert_cmpint (f->run.status, ==, VMGRCTL_EXIT_NO_BUS);
  g_assert_cmpstr (f->run.err, ==, "Provisioning alone" BAR_0
                                   "vmgrctl: alone: vmgrd left the bus\n");
}

/* ---- contract ---- */

/* vmgrd's "no memory_limit" names the option to give. */
static void
test_create_error_names_options (Fixture *f, gconstpointer data)
{
  vmgrctl (f, "create", "test1", "--template", "debian-12");
  g_assert_cmpint (f->run.status, ==, VMGRCTL_EXIT_INVALID_ARGUMENT);
  g_assert_cmpstr (f->run.err, ==, "vmgrctl: cannot create 'test1': no --memory: choose a plan "
                                   "or give --memory\n");
}

static void
test_contract (Fixture *f, gconstpointer data)
{
  const char *plan, *template, *name;

  vmgrctl (f, "contract", "small", "debian-12", "mine");
  assert_ok (f);
  g_assert_cmpstr (f->run.out, ==, "Created VM mine with id 200\n");
  g_assert_cmpstr (f->fake->last_method, ==, "Contract");
  g_variant_get (f->fake->last_args, "(&s&s&s)", &plan, &template, &name);
  g_assert_cmpstr (plan, ==, "small");
  g_assert_cmpstr (template, ==, "debian-12");
  g_assert_cmpstr (name, ==, "mine");
  /* It returned once provisioning was over. */
  g_assert_cmpstr (vmgr_dbus_vm_get_state (fake_vmgrd_get_vm (f->fake, "mine")), ==, "stopped");

  vmgrctl (f, "contract", "big", "debian-12", "more");
  g_assert_cmpint (f->run.status, ==, VMGRCTL_EXIT_QUOTA_EXCEEDED);
  g_assert_cmpstr (f->run.err, ==, "vmgrctl: cannot contract 'more': vms: your quota allows 3\n");
}

/* Contracting a VM that is provisioned in a job: the progress bar. */
static void
test_contract_job (Fixture *f, gconstpointer data)
{
  vmgrctl_hook (f, "Provisioning mine ", hook_run_jobs, "contract", "small", "job-ok", "mine");
  g_assert_cmpint (f->run.status, ==, VMGRCTL_EXIT_OK);
  g_assert_cmpstr (f->run.out, ==, "Created VM mine with id 200\n");
  g_assert_cmpstr (f->run.err, ==,
                   "Provisioning mine [--------------------] 0%\n"
                   "Provisioning mine [##########----------] 50%\n"
                   "Provisioning mine [####################] 100%\n");
  g_assert_cmpstr (vmgr_dbus_vm_get_state (fake_vmgrd_get_vm (f->fake, "mine")), ==, "stopped");

  vmgrctl_hook (f, "Provisioning lost ", hook_run_jobs, "contract", "small", "job-fail", "lost");
  g_assert_cmpint (f->run.status, ==, VMGRCTL_EXIT_FAILURE);
  g_assert_true (g_str_has_suffix (f->run.err, "[##########----------] 50%\n"
                                               "vmgrctl: provisioning failed: "
                                               "no space left on device\n"));
  g_assert_null (fake_vmgrd_get_vm (f->fake, "lost"));
}

int
main (int argc, char **argv)
{
  fixture_test_init (&argc, &argv);

  add_test ("/vmgrctl/fake/create", test_create);
  add_test ("/vmgrctl/fake/create-waits-for-provisioning", test_create_waits_for_provisioning);
  add_test ("/vmgrctl/fake/create-job", test_create_job);
  add_test ("/vmgrctl/fake/create-job-failed", test_create_job_failed);
  add_test ("/vmgrctl/fake/create-job-interrupted", test_create_job_interrupted);
  add_test ("/vmgrctl/fake/create-job-vanished", test_create_job_vanished);
  add_test ("/vmgrctl/fake/create-job-daemon-gone", test_create_job_daemon_gone);
  add_test ("/vmgrctl/fake/create-error-names-options", test_create_error_names_options);
  add_test ("/vmgrctl/fake/contract", test_contract);
  add_test ("/vmgrctl/fake/contract-job", test_contract_job);

  return g_test_run ();
}
