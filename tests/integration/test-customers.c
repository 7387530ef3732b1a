/* Customers, self-service contracting and quotas with the real polkitd:
 * the administrator registers customers (personal data, plan, quotas),
 * customers contract VMs within their quota, suspension stops them from
 * starting or contracting, and quotas hold on create, resize and reassign. */
#include "vmgr-test-client.h"
#include "vmgr-test-env.h"

#define MiB (G_GUINT64_CONSTANT (1) << 20)
#define GiB (G_GUINT64_CONSTANT (1) << 30)
#define WAIT_MS 10000

static VmgrTestDaemon *daemon_under_test;

static GVariant *
alice_info (const char *national_id)
{
  GVariantDict dict;

  g_variant_dict_init (&dict, NULL);
  g_variant_dict_insert (&dict, "full_name", "s", "Alice Example");
  g_variant_dict_insert (&dict, "email", "s", "alice@example.org");
  g_variant_dict_insert (&dict, "phone", "s", "+54 261 555-0101");
  g_variant_dict_insert (&dict, "address", "s", "Calle Falsa 123");
  g_variant_dict_insert (&dict, "province", "s", "Mendoza");
  g_variant_dict_insert (&dict, "national_id", "s", national_id);
  g_variant_dict_insert (&dict, "plan", "s", "basic");
  g_variant_dict_insert (&dict, "max_vms", "u", 2);
  g_variant_dict_insert (&dict, "max_memory", "t", 256 * MiB);
  return g_variant_dict_end (&dict);
}

static char *
add_customer (VmgrTestClient *client, guint32 uid, GVariant *info, GError **error)
{
  char *path = NULL;

  vmgr_dbus_manager_call_add_customer_sync (client->manager, uid, info, &path, NULL, error);
  return path;
}

static VmgrDBusCustomer *
open_customer (VmgrTestClient *client, const char *path)
{
  g_autoptr(GError) error = NULL;
  VmgrDBusCustomer *customer = vmgr_dbus_customer_proxy_new_sync (client->bus,
                                                                  G_DBUS_PROXY_FLAGS_NONE,
                                                                  "org.vmgr", path, NULL,
                                                                  &error);

  g_assert_no_error (error);
  return customer;
}

static guint64
quota_value (GVariant *dict, const char *key)
{
  guint64 value = G_MAXUINT64;

  g_assert_true (g_variant_lookup (dict, key, "t", &value));
  return value;
}

static void
test_add_customer (void)
{
  g_autoptr(VmgrTestClient) root = vmgr_test_client_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *path = add_customer (root, VMGR_TEST_UID_ALICE, alice_info ("20111222"),
                                        &error);
  g_autoptr(VmgrDBusCustomer) alice = NULL;

  g_assert_no_error (error);
  g_assert_cmpstr (path, ==, "/org/vmgr/customer/60002");
  alice = open_customer (root, path);
  g_assert_cmpuint (vmgr_dbus_customer_get_uid (alice), ==, VMGR_TEST_UID_ALICE);
  g_assert_cmpstr (vmgr_dbus_customer_get_user_name (alice), ==, "alice");
  g_assert_cmpstr (vmgr_dbus_customer_get_full_name (alice), ==, "Alice Example");
  g_assert_cmpstr (vmgr_dbus_customer_get_email (alice), ==, "alice@example.org");
  g_assert_cmpstr (vmgr_dbus_customer_get_province (alice), ==, "Mendoza");
  g_assert_cmpstr (vmgr_dbus_customer_get_national_id (alice), ==, "20111222");
  g_assert_cmpstr (vmgr_dbus_customer_get_plan (alice), ==, "basic");
  g_assert_cmpuint (vmgr_dbus_customer_get_max_vms (alice), ==, 2);
  g_assert_false (vmgr_dbus_customer_get_suspended (alice));
  g_assert_cmpuint (quota_value (vmgr_dbus_customer_get_quota (alice), "vms"), ==, 2);
  g_assert_cmpuint (quota_value (vmgr_dbus_customer_get_quota (alice), "memory"), ==, 256 * MiB);
  g_assert_cmpuint (quota_value (vmgr_dbus_customer_get_allocated (alice), "vms"), ==, 0);
}

static void
expect_add_error (VmgrTestClient *root, guint32 uid, GVariant *info, const char *name,
                  const char *fragment)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = add_customer (root, uid, info, &error);

  g_assert_cmpstr (path, ==, NULL);
  vmgr_test_assert_dbus_error (error, name, fragment);
}

static GVariant *
with_key (GVariant *base, const char *key, GVariant *value)
{
  GVariantDict dict;

  g_variant_dict_init (&dict, base);
  g_variant_unref (g_variant_ref_sink (base));
  if (value == NULL)
    g_variant_dict_remove (&dict, key);
  else
    g_variant_dict_insert_value (&dict, key, value);
  return g_variant_dict_end (&dict);
}

static void
test_add_customer_bad_input (void)
{
  g_autoptr(VmgrTestClient) root = vmgr_test_client_new ();
  g_auto(GStrv) before = NULL;
  g_auto(GStrv) after = NULL;
  g_autoptr(GError) error = NULL;

  vmgr_dbus_manager_call_list_customers_sync (root->manager, &before, NULL, &error);
  g_assert_no_error (error);
  /* The original system refused a national id already registered. */
  expect_add_error (root, VMGR_TEST_UID_BOB, alice_info ("20111222"),
                    "org.vmgr.Error.AlreadyExists", "20111222");
  expect_add_error (root, VMGR_TEST_UID_ALICE, alice_info ("999"),
                    "org.vmgr.Error.AlreadyExists", "60002");
  expect_add_error (root, 4242424, alice_info ("1"), "org.vmgr.Error.InvalidArgument",
                    "4242424");
  expect_add_error (root, VMGR_TEST_UID_BOB, with_key (alice_info ("2"), "email", NULL),
                    "org.vmgr.Error.InvalidArgument", "email");
  expect_add_error (root, VMGR_TEST_UID_BOB,
                    with_key (alice_info ("2"), "email", g_variant_new_string ("not-an-email")),
                    "org.vmgr.Error.InvalidArgument", "email");
  expect_add_error (root, VMGR_TEST_UID_BOB,
                    with_key (alice_info ("2"), "phone", g_variant_new_string ("call me")),
                    "org.vmgr.Error.InvalidArgument", "phone");
  expect_add_error (root, VMGR_TEST_UID_BOB,
                    with_key (alice_info ("2"), "plan", g_variant_new_string ("no-such-plan")),
                    "org.vmgr.Error.NotFound", "no-such-plan");
  expect_add_error (root, VMGR_TEST_UID_BOB,
                    with_key (alice_info ("2"), "shoe_size", g_variant_new_uint32 (42)),
                    "org.vmgr.Error.InvalidArgument", "shoe_size");
  expect_add_error (root, VMGR_TEST_UID_BOB,
                    with_key (alice_info ("2"), "max_vms", g_variant_new_string ("2")),
                    "org.vmgr.Error.InvalidArgument", "max_vms");
  vmgr_dbus_manager_call_list_customers_sync (root->manager, &after, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (before), ==, g_strv_length (after));
}

static gboolean
phone_updated (gpointer customer)
{
  return g_strcmp0 (vmgr_dbus_customer_get_phone (customer), "+54 261 555-0199") == 0;
}

static void
test_update_suspend (void)
{
  g_autoptr(VmgrTestClient) root = vmgr_test_client_new ();
  g_autoptr(VmgrDBusCustomer) alice = open_customer (root, "/org/vmgr/customer/60002");
  g_autoptr(GError) error = NULL;
  GVariantDict dict;

  g_variant_dict_init (&dict, NULL);
  g_variant_dict_insert (&dict, "phone", "s", "+54 261 555-0199");
  vmgr_dbus_customer_call_update_sync (alice, g_variant_dict_end (&dict), NULL, &error);
  g_assert_no_error (error);
  vmgr_dbus_customer_call_update_sync (alice, with_key (g_variant_new ("a{sv}", NULL), "email",
                                                        g_variant_new_string ("x")),
                                       NULL, &error);
  vmgr_test_assert_dbus_error (error, "org.vmgr.Error.InvalidArgument", "email");
  g_clear_error (&error);
  vmgr_dbus_customer_call_unsuspend_sync (alice, NULL, &error);
  vmgr_test_assert_dbus_error (error, "org.vmgr.Error.InvalidState", NULL);
  g_clear_error (&error);
  vmgr_dbus_customer_call_suspend_sync (alice, "", NULL, &error);
  vmgr_test_assert_dbus_error (error, "org.vmgr.Error.InvalidArgument", "reason");
  g_clear_error (&error);
  g_assert_true (vmgr_test_wait (phone_updated, alice, WAIT_MS));
  g_assert_cmpstr (vmgr_dbus_customer_get_email (alice), ==, "alice@example.org");
}

/* ---- As alice: contracting within the quota ---------------------------- */

static char *
contract (VmgrTestClient *client, const char *name, GError **error)
{
  char *path = NULL;

  vmgr_dbus_manager_call_contract_sync (client->manager, "basic", "debian-12", name, &path, NULL,
                                        error);
  return path;
}

static void
test_contract_within_quota (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr(VmgrTestClient) client = NULL;
      g_autoptr(GError) error = NULL;
      g_autofree char *first = NULL, *second = NULL, *third = NULL;
      g_autoptr(VmgrDBusVM) vm = NULL;
      g_autoptr(VmgrDBusCustomer) me = NULL;

      vmgr_test_become_user (VMGR_TEST_UID_ALICE);
      client = vmgr_test_client_new ();
      first = contract (client, "alice-c1", &error);
      g_assert_no_error (error);
      vm = vmgr_test_client_vm (client, first);
      g_assert_cmpuint (vmgr_dbus_vm_get_owner (vm), ==, VMGR_TEST_UID_ALICE);
      g_assert_cmpstr (vmgr_dbus_vm_get_plan (vm), ==, "basic");
      g_assert_cmpuint (vmgr_dbus_vm_get_memory_limit (vm), ==, 64 * MiB);
      second = contract (client, "alice-c2", &error);
      g_assert_no_error (error);
      /* max_vms is 2. */
      third = contract (client, "alice-c3", &error);
      vmgr_test_assert_dbus_error (error, "org.vmgr.Error.QuotaExceeded", "vms");
      g_assert_null (third);
      g_clear_error (&error);
      /* Her own record is hers to read. */
      me = vmgr_dbus_customer_proxy_new_sync (client->bus, G_DBUS_PROXY_FLAGS_NONE, "org.vmgr",
                                              "/org/vmgr/customer/60002", NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (vmgr_dbus_customer_get_national_id (me), ==, "20111222");
      g_assert_cmpuint (quota_value (vmgr_dbus_customer_get_allocated (me), "vms"), ==, 2);
      g_assert_cmpuint (quota_value (vmgr_dbus_customer_get_allocated (me), "memory"), ==,
                        128 * MiB);
      return;
    }
  g_test_trap_subprocess (NULL, 60 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
}

static void
test_contract_refused (void)
{
  if (g_test_subprocess ())
    {
      /* bob is in vmgr-customer (polkit allows contract) but not registered;
       * mallory is in neither group (polkit says no). */
      guint uid = g_str_has_suffix (g_test_get_path (), "bob") ? VMGR_TEST_UID_BOB
                                                                 : VMGR_TEST_UID_MALLORY;
      g_autoptr(VmgrTestClient) client = NULL;
      g_autoptr(GError) error = NULL;
      g_autofree char *path = NULL;

      vmgr_test_become_user (uid);
      client = vmgr_test_client_new ();
      path = contract (client, "refused", &error);
      g_assert_null (path);
      vmgr_test_assert_dbus_error (error, "org.vmgr.Error.NotAuthorized",
                                   uid == VMGR_TEST_UID_BOB ? "not a registered customer"
                                                            : "org.vmgr.contract");
      return;
    }
  g_test_trap_subprocess (NULL, 60 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
}

static void
test_other_customer_invisible (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr(VmgrTestClient) client = NULL;
      g_autoptr(GError) error = NULL;
      g_auto(GStrv) customers = NULL;
      g_autoptr(GVariant) reply = NULL;

      vmgr_test_become_user (VMGR_TEST_UID_BOB);
      client = vmgr_test_client_new ();
      vmgr_dbus_manager_call_list_customers_sync (client->manager, &customers, NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (g_strv_length (customers), ==, 0);
      reply = g_dbus_connection_call_sync (client->bus, "org.vmgr", "/org/vmgr/customer/60002",
                                           "org.freedesktop.DBus.Properties", "GetAll",
                                           g_variant_new ("(s)", "org.vmgr.Customer"), NULL,
                                           G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
      vmgr_test_assert_dbus_error (error, "org.freedesktop.DBus.Error.UnknownMethod",
                                   "Object does not exist");
      return;
    }
  g_test_trap_subprocess (NULL, 60 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
}

/* ---- Quotas on the administrator's paths ------------------------------- */

static GVariant *
owned_by (guint32 uid)
{
  GVariantDict dict;

  g_variant_dict_init (&dict, NULL);
  g_variant_dict_insert (&dict, "owner", "u", uid);
  return g_variant_dict_end (&dict);
}

static void
test_quota_on_admin_paths (void)
{
  g_autoptr(VmgrTestClient) root = vmgr_test_client_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  g_autofree char *spare = NULL;
  g_autoptr(VmgrDBusVM) alice_vm = NULL;
  g_autoptr(VmgrDBusVM) spare_vm = NULL;

  /* alice has 2 of 2 VMs: an administrator cannot create a third for her. */
  vmgr_dbus_manager_call_create_vm_sync (root->manager, "alice-admin", "debian-12", "basic",
                                         owned_by (VMGR_TEST_UID_ALICE), &path, NULL, &error);
  vmgr_test_assert_dbus_error (error, "org.vmgr.Error.QuotaExceeded", "vms");
  g_clear_error (&error);
  /* ... nor give her one. */
  spare = vmgr_test_create_vm (root, "spare", "debian-12", "basic", NULL);
  spare_vm = vmgr_test_client_vm (root, spare);
  vmgr_dbus_vm_call_set_owner_sync (spare_vm, VMGR_TEST_UID_ALICE, NULL, &error);
  vmgr_test_assert_dbus_error (error, "org.vmgr.Error.QuotaExceeded", "vms");
  g_clear_error (&error);
  g_assert_cmpuint (vmgr_dbus_vm_get_owner (spare_vm), ==, 0);
  /* A resize must not slip past her 256 MiB (2 x 64 MiB in use). */
  alice_vm = vmgr_test_client_vm (root, "/org/vmgr/vm/101");
  g_assert_cmpuint (vmgr_dbus_vm_get_owner (alice_vm), ==, VMGR_TEST_UID_ALICE);
  vmgr_dbus_vm_call_set_memory_sync (alice_vm, 0, 0, 256 * MiB, NULL, &error);
  vmgr_test_assert_dbus_error (error, "org.vmgr.Error.QuotaExceeded", "memory");
  g_clear_error (&error);
  vmgr_dbus_vm_call_set_memory_sync (alice_vm, 0, 0, 192 * MiB, NULL, &error);
  g_assert_no_error (error);
  /* Removing a customer who owns VMs is refused. */
  {
    g_autoptr(VmgrDBusCustomer) alice = open_customer (root, "/org/vmgr/customer/60002");

    vmgr_dbus_customer_call_remove_sync (alice, NULL, &error);
    vmgr_test_assert_dbus_error (error, "org.vmgr.Error.InvalidState", "owns");
  }
}

/* ---- Suspension -------------------------------------------------------- */

static void
suspend_alice (gboolean suspend)
{
  g_autoptr(VmgrTestClient) root = vmgr_test_client_new ();
  g_autoptr(VmgrDBusCustomer) alice = open_customer (root, "/org/vmgr/customer/60002");
  g_autoptr(GError) error = NULL;

  if (suspend)
    vmgr_dbus_customer_call_suspend_sync (alice, "unpaid invoice", NULL, &error);
  else
    vmgr_dbus_customer_call_unsuspend_sync (alice, NULL, &error);
  g_assert_no_error (error);
}

static void
test_suspended_customer (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr(VmgrTestClient) client = NULL;
      g_autoptr(GError) error = NULL;
      g_autofree char *path = NULL;
      g_autoptr(VmgrDBusVM) vm = NULL;

      vmgr_test_become_user (VMGR_TEST_UID_ALICE);
      client = vmgr_test_client_new ();
      vm = vmgr_test_client_vm (client, "/org/vmgr/vm/101");
      vmgr_dbus_vm_call_start_sync (vm, NULL, &error);
      vmgr_test_assert_dbus_error (error, "org.vmgr.Error.NotAuthorized", "unpaid invoice");
      g_clear_error (&error);
      path = contract (client, "alice-late", &error);
      vmgr_test_assert_dbus_error (error, "org.vmgr.Error.NotAuthorized", "suspended");
      return;
    }
  suspend_alice (TRUE);
  g_test_trap_subprocess (NULL, 60 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_DEFAULT);
  suspend_alice (FALSE);
  g_test_trap_assert_passed ();
}

static void
test_survives_restart (void)
{
  g_autoptr(VmgrTestClient) client = NULL;
  g_autoptr(VmgrDBusCustomer) alice = NULL;
  g_autoptr(GError) error G_GNUC_UNUSED = NULL;

  vmgr_test_daemon_restart (daemon_under_test);
  client = vmgr_test_client_new ();
  alice = open_customer (client, "/org/vmgr/customer/60002");
  g_assert_cmpstr (vmgr_dbus_customer_get_phone (alice), ==, "+54 261 555-0199");
  g_assert_cmpuint (quota_value (vmgr_dbus_customer_get_allocated (alice), "vms"), ==, 2);
  g_assert_cmpuint (quota_value (vmgr_dbus_customer_get_allocated (alice), "memory"), ==,
                    256 * MiB);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/customers/add", test_add_customer);
  g_test_add_func ("/customers/add-bad-input", test_add_customer_bad_input);
  g_test_add_func ("/customers/update-and-suspend-input", test_update_suspend);
  g_test_add_func ("/customers/contract-within-quota", test_contract_within_quota);
  g_test_add_func ("/customers/contract-refused/bob", test_contract_refused);
  g_test_add_func ("/customers/contract-refused/mallory", test_contract_refused);
  g_test_add_func ("/customers/other-customer-invisible", test_other_customer_invisible);
  g_test_add_func ("/customers/quota-on-admin-paths", test_quota_on_admin_paths);
  g_test_add_func ("/customers/suspended", test_suspended_customer);
  g_test_add_func ("/customers/survives-restart", test_survives_restart);

  return vmgr_test_run_with_daemon (NULL, NULL, &daemon_under_test);
}
