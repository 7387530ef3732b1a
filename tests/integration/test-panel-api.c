/* What the web panel adds to the API: Manager.GetPermissions (the actions
 * each kind of user holds, asked without interaction) and
 * VM.GetUsageHistory (the samples kept while a VM runs, bounded, seen
 * only by who may see the VM). Users call through gdbus as themselves. */
#include "vmgr-test-client.h"
#include "vmgr-test-env.h"

#define WAIT_MS 10000

static VmgrTestDaemon *daemon_under_test;

/* `gdbus call` as @uid; its output, asserting @expect_success. */
static char *
gdbus_as (guint uid, gboolean expect_success, const char *path, const char *method,
          const char *arg)
{
  const char *argv[] = { "gdbus", "call", "--system", "--dest", "org.vmgr", "--object-path", path,
                         "--method", method, arg, NULL };
  char *out = NULL;
  g_autofree char *err = NULL;
  int status = vmgr_test_run_as_argv (uid, &out, &err, argv);

  if (expect_success && status != 0)
    g_error ("%s as %u failed: %s", method, uid, err);
  if (!expect_success)
    {
      g_assert_cmpint (status, !=, 0);
      g_free (out);
      return g_steal_pointer (&err);
    }
  return out;
}

static GStrv
permissions_of (guint uid)
{
  g_autofree char *out = gdbus_as (uid, TRUE, "/org/vmgr/Manager",
                                   "org.vmgr.Manager.GetPermissions", NULL);
  g_autoptr(GVariant) value = g_variant_parse (G_VARIANT_TYPE ("(as)"), out, NULL, NULL, NULL);
  GStrv actions = NULL;

  g_assert_nonnull (value);
  g_variant_get (value, "(^as)", &actions);
  return actions;
}

static void
test_permissions (void)
{
  static const char * const everything[] = {
    "org.vmgr.vm.view-own", "org.vmgr.vm.view-any", "org.vmgr.vm.control-own",
    "org.vmgr.vm.control-any", "org.vmgr.vm.console-own", "org.vmgr.vm.console-any",
    "org.vmgr.vm.configure", "org.vmgr.vm.create", "org.vmgr.vm.delete", "org.vmgr.contract",
    "org.vmgr.templates.manage", "org.vmgr.plans.manage", "org.vmgr.customers.manage",
    "org.vmgr.audit.read", "org.vmgr.vm.adopt", "org.vmgr.vm.snapshot-own",
    "org.vmgr.vm.snapshot-any", "org.vmgr.vm.clone",
    "org.vmgr.vm.backup", "org.vmgr.vm.restore",
    "org.vmgr.hosts.manage", "org.vmgr.vm.migrate",
    NULL,
  };
  static const char * const customer[] = {
    "org.vmgr.vm.view-own", "org.vmgr.vm.control-own", "org.vmgr.vm.console-own",
    "org.vmgr.contract", "org.vmgr.vm.snapshot-own", NULL,
  };
  static const char * const stranger[] = {
    "org.vmgr.vm.view-own", "org.vmgr.vm.control-own", "org.vmgr.vm.console-own", NULL,
  };
  g_auto(GStrv) root = permissions_of (VMGR_TEST_UID_ROOT);
  g_auto(GStrv) admin = permissions_of (VMGR_TEST_UID_ADMIN);
  g_auto(GStrv) alice = permissions_of (VMGR_TEST_UID_ALICE);
  g_auto(GStrv) mallory = permissions_of (VMGR_TEST_UID_MALLORY);

  g_assert_true (g_strv_equal ((const char * const *) root, everything));
  g_assert_true (g_strv_equal ((const char * const *) admin, everything));
  g_assert_true (g_strv_equal ((const char * const *) alice, customer));
  /* contract and snapshot-own are auth_admin(_keep) for mallory: they need
   * interaction, so she does not hold them. */
  g_assert_true (g_strv_equal ((const char * const *) mallory, stranger));
}

static void
test_permissions_refuse_arguments (void)
{
  g_autofree char *err = gdbus_as (VMGR_TEST_UID_ALICE, FALSE, "/org/vmgr/Manager",
                                   "org.vmgr.Manager.GetPermissions", "extra");

  g_assert_nonnull (strstr (err, "InvalidArgs"));
}

static GVariant *
history (VmgrDBusVM *vm)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) recent = NULL;
  g_autoptr(GVariant) minutes = NULL;

  vmgr_dbus_vm_call_get_usage_history_sync (vm, &recent, &minutes, NULL, &error);
  g_assert_no_error (error);
  /* The pair refs the (non-floating) halves; ours go with this scope. */
  return g_variant_ref_sink (g_variant_new ("(@a(xdtttt)@a(xdtttt))", recent, minutes));
}

static gboolean
has_three_points (gpointer data)
{
  g_autoptr(GVariant) h = history (data);
  g_autoptr(GVariant) recent = g_variant_get_child_value (h, 0);

  return g_variant_n_children (recent) >= 3;
}

static void
test_history_grows_while_running (void)
{
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  g_autoptr(GVariantDict) options = g_variant_dict_new (NULL);
  g_autofree char *path = NULL;
  g_autoptr(VmgrDBusVM) vm = NULL;
  g_autoptr(GVariant) before = NULL;
  g_autoptr(GVariant) after = NULL;
  g_autoptr(GVariant) recent = NULL;
  g_autoptr(GVariant) minutes = NULL;
  g_autoptr(GError) error = NULL;
  gint64 previous = 0;

  g_variant_dict_insert (options, "owner", "u", VMGR_TEST_UID_ALICE);
  path = vmgr_test_create_vm (client, "graphed", "debian-12", "basic",
                              g_variant_dict_end (options));
  vm = vmgr_test_client_vm (client, path);
  before = history (vm);
  {
    g_autofree char *text = g_variant_print (before, FALSE);

    g_assert_cmpstr (text, ==, "([], [])");
  }

  vmgr_dbus_vm_call_start_sync (vm, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (vmgr_test_wait_state (vm, "running", WAIT_MS));
  g_assert_true (vmgr_test_wait (has_three_points, vm, WAIT_MS));

  after = history (vm);
  recent = g_variant_get_child_value (after, 0);
  minutes = g_variant_get_child_value (after, 1);
  for (gsize i = 0; i < g_variant_n_children (recent); i++)
    {
      gint64 time;
      double cpu;
      guint64 memory, disk, rx, tx;

      g_variant_get_child (recent, i, "(xdtttt)", &time, &cpu, &memory, &disk, &rx, &tx);
      g_assert_cmpint (time, >, previous);
      g_assert_cmpfloat (cpu, >=, 0.0);
      g_assert_cmpuint (memory, ==, vmgr_dbus_vm_get_memory_limit (vm));
      previous = time;
    }
  /* One five-minute bucket under way, averaging them. */
  g_assert_cmpuint (g_variant_n_children (minutes), >=, 1);
  g_assert_cmpuint (g_variant_n_children (minutes), <=, 2);

  /* The owner sees it; another customer gets "no such object". */
  g_free (gdbus_as (VMGR_TEST_UID_ALICE, TRUE, path, "org.vmgr.VM.GetUsageHistory", NULL));
  {
    g_autofree char *err = gdbus_as (VMGR_TEST_UID_BOB, FALSE, path,
                                     "org.vmgr.VM.GetUsageHistory", NULL);

    g_assert_nonnull (strstr (err, "Object does not exist"));
  }
  vmgr_dbus_vm_call_stop_sync (vm, NULL, &error);
  g_assert_no_error (error);
}

/* vmgrctl stats VM --history prints the same series, as text and JSON,
 * to the VM's owner. */
static void
test_vmgrctl_history (void)
{
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  g_autoptr(GVariantDict) options = g_variant_dict_new (NULL);
  g_autofree char *path = NULL;
  g_autoptr(VmgrDBusVM) vm = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *json = NULL;
  g_autofree char *day = NULL;

  g_variant_dict_insert (options, "owner", "u", VMGR_TEST_UID_ALICE);
  g_variant_dict_insert (options, "start", "b", TRUE);
  path = vmgr_test_create_vm (client, "charted", "debian-12", "basic",
                              g_variant_dict_end (options));
  vm = vmgr_test_client_vm (client, path);
  g_assert_true (vmgr_test_wait (has_three_points, vm, WAIT_MS));

  g_assert_cmpint (vmgr_test_run_vmgrctl_as (VMGR_TEST_UID_ALICE, &out, NULL, "stats", "charted",
                                             "--history", NULL), ==, 0);
  g_assert_true (g_str_has_prefix (out, "TIME"));
  {
    g_auto(GStrv) lines = g_strsplit (out, "\n", -1);

    g_assert_cmpuint (g_strv_length (lines), >=, 4);
  }
  g_assert_cmpint (vmgr_test_run_vmgrctl_as (VMGR_TEST_UID_ALICE, &json, NULL, "--json", "stats",
                                             "charted", "--history", NULL), ==, 0);
  g_assert_true (g_str_has_prefix (json, "["));
  {
    g_auto(GStrv) points = g_strsplit (json, "\"time_usec\"", -1);

    g_assert_cmpuint (g_strv_length (points), >=, 4);
  }
  g_assert_cmpint (vmgr_test_run_vmgrctl_as (VMGR_TEST_UID_ALICE, &day, NULL, "stats", "charted",
                                             "--history", "--day", NULL), ==, 0);
  g_assert_true (g_str_has_prefix (day, "TIME"));
  /* Bob cannot see it (exit 3, not found); --day alone is a usage error. */
  g_assert_cmpint (vmgr_test_run_vmgrctl_as (VMGR_TEST_UID_BOB, NULL, &err, "stats", "charted",
                                             "--history", NULL), ==, 3);
  g_assert_cmpint (vmgr_test_run_vmgrctl_as (VMGR_TEST_UID_ALICE, NULL, NULL, "stats", "charted",
                                             "--day", NULL), ==, 2);
  vmgr_dbus_vm_call_stop_sync (vm, NULL, &error);
  g_assert_no_error (error);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/panel-api/permissions", test_permissions);
  g_test_add_func ("/panel-api/permissions-refuse-arguments", test_permissions_refuse_arguments);
  g_test_add_func ("/panel-api/history-grows-while-running", test_history_grows_while_running);
  g_test_add_func ("/panel-api/vmgrctl-history", test_vmgrctl_history);

  return vmgr_test_run_with_daemon ("[monitoring]\ninterval=1\n", NULL, &daemon_under_test);
}
