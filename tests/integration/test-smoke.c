/* test-smoke.c: the integration environment works (private system bus,
 * polkitd with the project's policy and rules, test users) and vmgrd
 * starts, answers and stops cleanly.
 *
 * Run through meson (suite "integration"), or by hand:
 *   tests/harness/testbus.sh -- build/tests/integration/test-smoke --tap
 * Single tests: ... test-smoke -p /smoke/polkit/backend
 */
#include "vmgr-test-env.h"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#define POLKIT_NAME  "org.freedesktop.PolicyKit1"
#define POLKIT_PATH  "/org/freedesktop/PolicyKit1/Authority"
#define POLKIT_IFACE "org.freedesktop.PolicyKit1.Authority"

static GVariant *
get_property (GDBusConnection *bus, const char *dest, const char *path,
              const char *iface, const char *name, GError **error)
{
  g_autoptr(GVariant) reply = NULL;
  GVariant *value = NULL;

  reply = g_dbus_connection_call_sync (bus, dest, path,
                                       "org.freedesktop.DBus.Properties", "Get",
                                       g_variant_new ("(ss)", iface, name),
                                       G_VARIANT_TYPE ("(v)"),
                                       G_DBUS_CALL_FLAGS_NO_AUTO_START,
                                       10000, NULL, error);
  if (reply == NULL)
    return NULL;
  g_variant_get (reply, "(v)", &value);
  return value;
}

/* ---- the environment ------------------------------------------------------ */

static void
test_polkit_backend (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDBusConnection) bus = NULL;
  g_autoptr(GVariant) value = NULL;

  if (vmgr_test_skip_unless_testbus ())
    return;

  bus = g_bus_get_sync (G_BUS_TYPE_SYSTEM, NULL, &error);
  g_assert_no_error (error);
  value = get_property (bus, POLKIT_NAME, POLKIT_PATH, POLKIT_IFACE, "BackendName", &error);
  g_assert_no_error (error);
  g_assert_true (g_variant_is_of_type (value, G_VARIANT_TYPE_STRING));
  g_test_message ("polkit backend: %s", g_variant_get_string (value, NULL));
  g_assert_cmpstr (g_variant_get_string (value, NULL), ==, "js");
}

static void
test_polkit_actions (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDBusConnection) bus = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariantIter) iter = NULL;
  const char *id;
  guint n_vmgr = 0;
  gboolean found_view_any = FALSE;

  if (vmgr_test_skip_unless_testbus ())
    return;

  bus = g_bus_get_sync (G_BUS_TYPE_SYSTEM, NULL, &error);
  g_assert_no_error (error);
  reply = g_dbus_connection_call_sync (bus, POLKIT_NAME, POLKIT_PATH, POLKIT_IFACE,
                                       "EnumerateActions", g_variant_new ("(s)", ""),
                                       NULL, G_DBUS_CALL_FLAGS_NONE, 10000, NULL, &error);
  g_assert_no_error (error);
  /* a(ssssssuuua{ss}): action_id, description, message, vendor, vendor_url,
   * icon, any, inactive, active, annotations */
  g_variant_get (reply, "(a(ssssssuuua{ss}))", &iter);
  while (g_variant_iter_next (iter, "(&ssssssuuu@a{ss})", &id, NULL, NULL, NULL, NULL,
                              NULL, NULL, NULL, NULL, NULL))
    {
      if (g_str_has_prefix (id, "org.vmgr."))
        n_vmgr++;
      if (g_str_equal (id, "org.vmgr.vm.view-any"))
        found_view_any = TRUE;
    }
  g_test_message ("%u org.vmgr.* actions", n_vmgr);
  g_assert_true (found_view_any);
  g_assert_cmpuint (n_vmgr, >=, 14);
}

static void
test_users_resolve (void)
{
  static const struct { const char *name; guint uid; gboolean admin, customer; } users[] = {
    { "vmgradmin", VMGR_TEST_UID_ADMIN,   TRUE,  FALSE },
    { "alice",     VMGR_TEST_UID_ALICE,   FALSE, TRUE },
    { "bob",       VMGR_TEST_UID_BOB,     FALSE, TRUE },
    { "mallory",   VMGR_TEST_UID_MALLORY, FALSE, FALSE },
  };

  if (vmgr_test_skip_unless_testbus ())
    return;

  for (gsize i = 0; i < G_N_ELEMENTS (users); i++)
    {
      struct passwd *pw = getpwnam (users[i].name);
      gid_t groups[64];
      int n = G_N_ELEMENTS (groups);
      gboolean admin = FALSE, customer = FALSE;

      g_assert_nonnull (pw);
      g_assert_cmpuint (pw->pw_uid, ==, users[i].uid);
      g_assert_cmpuint (pw->pw_gid, ==, users[i].uid);
      g_assert_cmpint (getgrouplist (pw->pw_name, pw->pw_gid, groups, &n), >=, 0);
      for (int j = 0; j < n; j++)
        {
          admin |= groups[j] == VMGR_TEST_GID_ADMIN;
          customer |= groups[j] == VMGR_TEST_GID_CUSTOMER;
        }
      g_assert_cmpint (admin, ==, users[i].admin);
      g_assert_cmpint (customer, ==, users[i].customer);
    }
}

/* @method of the bus itself. */
static GVariant *
call_bus (GDBusConnection *bus, const char *method, GVariant *args,
          const GVariantType *reply_type, GError **error)
{
  return g_dbus_connection_call_sync (bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                      "org.freedesktop.DBus", method, args, reply_type,
                                      G_DBUS_CALL_FLAGS_NONE, 10000, NULL, error);
}

/* Runs @part in a subprocess that became @uid, on its own connection to
 * the system bus; the subprocess must pass. */
static void
run_as (guint uid, void (*part) (GDBusConnection *bus))
{
  if (vmgr_test_skip_unless_testbus ())
    return;

  if (g_test_subprocess ())
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GDBusConnection) bus = NULL;

      vmgr_test_become_user (uid);
      bus = g_bus_get_sync (G_BUS_TYPE_SYSTEM, NULL, &error);
      g_assert_no_error (error);
      part (bus);
      return;
    }

  g_test_trap_subprocess (NULL, 30 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
}

static void
bus_knows_alice (GDBusConnection *bus)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;
  guint32 uid = 0;

  reply = call_bus (bus, "GetConnectionUnixUser",
                    g_variant_new ("(s)", g_dbus_connection_get_unique_name (bus)),
                    G_VARIANT_TYPE ("(u)"), &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(u)", &uid);
  g_assert_cmpuint (uid, ==, VMGR_TEST_UID_ALICE);
}

static void
test_users_bus_as_alice (void)
{
  run_as (VMGR_TEST_UID_ALICE, bus_knows_alice);
}

static void
admin_may_not_own_name (GDBusConnection *bus)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;

  reply = call_bus (bus, "RequestName", g_variant_new ("(su)", VMGR_TEST_BUS_NAME, 0u),
                    G_VARIANT_TYPE ("(u)"), &error);
  g_assert_error (error, G_DBUS_ERROR, G_DBUS_ERROR_ACCESS_DENIED);
  g_assert_null (reply);
}

/* The bus policy (dbus-1/org.vmgr.conf): only root may own org.vmgr. */
static void
test_bus_policy_own (void)
{
  run_as (VMGR_TEST_UID_ADMIN, admin_may_not_own_name);
}

/* pkcheck as UID against ACTION, for the caller's own process. */
static int
pkcheck_as (guint uid, const char *action)
{
  const char *argv[] = {
    "sh", "-c", "exec pkcheck --action-id \"$1\" --process $$", "sh", action, NULL
  };
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  return vmgr_test_run_as_argv (uid, &out, &err, argv);
}

static void
test_polkit_rules (void)
{
  if (vmgr_test_skip_unless_testbus ())
    return;

  /* The shipped rules: admins get everything, customers may contract. */
  g_assert_cmpint (pkcheck_as (VMGR_TEST_UID_ROOT, "org.vmgr.vm.view-any"), ==, 0);
  g_assert_cmpint (pkcheck_as (VMGR_TEST_UID_ADMIN, "org.vmgr.vm.view-any"), ==, 0);
  g_assert_cmpint (pkcheck_as (VMGR_TEST_UID_ADMIN, "org.vmgr.customers.manage"), ==, 0);
  g_assert_cmpint (pkcheck_as (VMGR_TEST_UID_ALICE, "org.vmgr.contract"), ==, 0);
  g_assert_cmpint (pkcheck_as (VMGR_TEST_UID_BOB, "org.vmgr.contract"), ==, 0);
  g_assert_cmpint (pkcheck_as (VMGR_TEST_UID_ALICE, "org.vmgr.vm.view-any"), !=, 0);
  g_assert_cmpint (pkcheck_as (VMGR_TEST_UID_MALLORY, "org.vmgr.vm.view-any"), !=, 0);
  g_assert_cmpint (pkcheck_as (VMGR_TEST_UID_MALLORY, "org.vmgr.contract"), !=, 0);
  /* -own actions default to yes: ownership is checked by vmgrd. */
  g_assert_cmpint (pkcheck_as (VMGR_TEST_UID_MALLORY, "org.vmgr.vm.view-own"), ==, 0);
}

static void
test_polkit_rules_reload (void)
{
  if (vmgr_test_skip_unless_testbus ())
    return;

  g_assert_cmpint (pkcheck_as (VMGR_TEST_UID_MALLORY, "org.vmgr.vm.view-any"), !=, 0);
  vmgr_test_polkit_install_rules ("10-smoke-mallory.rules",
      "polkit.addRule(function(action, subject) {\n"
      "    if (action.id == \"org.vmgr.vm.view-any\" && subject.user == \"mallory\")\n"
      "        return polkit.Result.YES;\n"
      "});\n");
  g_assert_cmpint (pkcheck_as (VMGR_TEST_UID_MALLORY, "org.vmgr.vm.view-any"), ==, 0);
  vmgr_test_polkit_remove_rules ("10-smoke-mallory.rules");
  g_assert_cmpint (pkcheck_as (VMGR_TEST_UID_MALLORY, "org.vmgr.vm.view-any"), !=, 0);
}

/* ---- the daemon ------------------------------------------------------------ */

static void
test_daemon_version (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDBusConnection) bus = NULL;
  g_autoptr(GVariant) value = NULL;
  g_autoptr(VmgrTestDaemon) daemon = NULL;
  g_autofree char *state = NULL;

  if (vmgr_test_skip_unless_testbus ())
    return;

  state = vmgr_test_make_state_dir ();
  daemon = vmgr_test_daemon_start (state, NULL);

  bus = g_bus_get_sync (G_BUS_TYPE_SYSTEM, NULL, &error);
  g_assert_no_error (error);
  value = get_property (bus, VMGR_TEST_BUS_NAME, "/org/vmgr/Manager",
                        "org.vmgr.Manager", "Version", &error);
  if (error != NULL)
    vmgr_test_daemon_dump_log (daemon);
  g_assert_no_error (error);
  g_assert_true (g_variant_is_of_type (value, G_VARIANT_TYPE_STRING));
  g_test_message ("vmgrd version %s", g_variant_get_string (value, NULL));
  g_assert_cmpstr (g_variant_get_string (value, NULL), !=, "");

  vmgr_test_daemon_stop (daemon);
  vmgr_test_remove_dir (state);
}

static void
test_daemon_restart (void)
{
  g_autoptr(VmgrTestDaemon) daemon = NULL;
  g_autofree char *state = NULL;
  g_autofree char *first = NULL;

  if (vmgr_test_skip_unless_testbus ())
    return;

  state = vmgr_test_make_state_dir ();
  daemon = vmgr_test_daemon_start (state, NULL);
  first = g_strdup (vmgr_test_daemon_get_unique_name (daemon));
  vmgr_test_daemon_restart (daemon);
  g_assert_cmpstr (vmgr_test_daemon_get_unique_name (daemon), !=, first);
  vmgr_test_daemon_stop (daemon);
  vmgr_test_remove_dir (state);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/smoke/polkit/backend", test_polkit_backend);
  g_test_add_func ("/smoke/polkit/actions", test_polkit_actions);
  g_test_add_func ("/smoke/users/resolve", test_users_resolve);
  g_test_add_func ("/smoke/users/bus-as-alice", test_users_bus_as_alice);
  g_test_add_func ("/smoke/bus/policy-own", test_bus_policy_own);
  g_test_add_func ("/smoke/polkit/rules", test_polkit_rules);
  g_test_add_func ("/smoke/polkit/rules-reload", test_polkit_rules_reload);
  g_test_add_func ("/smoke/daemon/version", test_daemon_version);
  g_test_add_func ("/smoke/daemon/restart", test_daemon_restart);

  return g_test_run ();
}
