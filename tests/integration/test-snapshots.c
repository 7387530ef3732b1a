/* Snapshots on the test driver: VM.CreateSnapshot, the org.vmgr.Snapshot
 * objects under the VM's path (properties, Revert, Delete), bad input,
 * tenancy of snapshot objects (another customer's answers like a path
 * where nothing exists), the per-customer max_snapshots quota, and a
 * deleted VM leaving no snapshot object behind. The running guest (QEMU,
 * memory state) is in tests/real/test-real-qemu.c. */
#include <string.h>

#include <json-glib/json-glib.h>

#include "vmgr-test-client.h"
#include "vmgr-test-env.h"

#define WAIT_MS 10000

static VmgrTestDaemon *daemon_under_test;

static VmgrDBusVM *
create_and_open (VmgrTestClient *client, const char *name, GVariant *options)
{
  g_autofree char *path = vmgr_test_create_vm (client, name, "debian-12", "basic", options);

  return vmgr_test_client_vm (client, path);
}

static VmgrDBusSnapshot *
open_snapshot (VmgrTestClient *client, const char *path)
{
  g_autoptr(GError) error = NULL;
  VmgrDBusSnapshot *snapshot =
    vmgr_dbus_snapshot_proxy_new_sync (client->bus, G_DBUS_PROXY_FLAGS_NONE, "org.vmgr", path,
                                       NULL, &error);

  g_assert_no_error (error);
  return snapshot;
}

static char *
create_snapshot (VmgrDBusVM *vm, const char *name, const char *description, GError **error)
{
  g_autofree char *path = NULL;
  GVariantDict options;

  g_variant_dict_init (&options, NULL);
  if (description != NULL)
    g_variant_dict_insert (&options, "description", "s", description);
  vmgr_dbus_vm_call_create_snapshot_sync (vm, name, g_variant_dict_end (&options), &path,
                                          NULL, error);
  return g_steal_pointer (&path);
}

/* The snapshot paths the caller of @client sees in GetManagedObjects. */
static GPtrArray *
visible_snapshots (VmgrTestClient *client)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = vmgr_test_call (client, "/org/vmgr",
                                              "org.freedesktop.DBus.ObjectManager",
                                              "GetManagedObjects", NULL, &error);
  g_autoptr(GVariant) objects = NULL;
  GPtrArray *paths = g_ptr_array_new_with_free_func (g_free);
  GVariantIter iter;
  const char *path;
  GVariant *interfaces;

  g_assert_no_error (error);
  objects = g_variant_get_child_value (reply, 0);
  g_variant_iter_init (&iter, objects);
  while (g_variant_iter_loop (&iter, "{&o@a{sa{sv}}}", &path, &interfaces))
    if (strstr (path, "/snapshot/") != NULL)
      {
        g_assert_true (g_variant_lookup (interfaces, "org.vmgr.Snapshot", "@a{sv}", NULL));
        g_ptr_array_add (paths, g_strdup (path));
      }
  return paths;
}

static gboolean
sees_snapshot (VmgrTestClient *client, const char *path)
{
  g_autoptr(GPtrArray) paths = visible_snapshots (client);

  return g_ptr_array_find_with_equal_func (paths, path, g_str_equal, NULL);
}

static guint
snapshots_below (VmgrTestClient *client, const char *vm_path)
{
  g_autoptr(GPtrArray) paths = visible_snapshots (client);
  g_autofree char *prefix = g_strconcat (vm_path, "/snapshot/", NULL);
  guint count = 0;

  for (guint i = 0; i < paths->len; i++)
    count += g_str_has_prefix (g_ptr_array_index (paths, i), prefix);
  return count;
}

static gboolean
has_no_parent (gpointer snapshot)
{
  return g_strcmp0 (vmgr_dbus_snapshot_get_parent (snapshot), "/") == 0;
}

static void
test_capability (void)
{
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  const char *const *capabilities = vmgr_dbus_manager_get_capabilities (client->manager);

  g_assert_true (g_strv_contains (capabilities, "snapshots"));
}

/* Create (running and stopped), the properties, Revert, Delete (a child
 * takes its deleted parent's parent). */
static void
test_create_revert_delete (void)
{
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  g_autoptr(VmgrDBusVM) vm = create_and_open (client, "snapped", NULL);
  const char *vm_path = g_dbus_proxy_get_object_path (G_DBUS_PROXY (vm));
  g_autofree char *first_path = NULL;
  g_autofree char *second_path = NULL;
  g_autofree char *expected = g_strdup_printf ("%s/snapshot/first", vm_path);
  g_autoptr(VmgrDBusSnapshot) first = NULL;
  g_autoptr(VmgrDBusSnapshot) second = NULL;
  g_autoptr(GError) error = NULL;
  gint64 before = g_get_real_time ();

  vmgr_dbus_vm_call_start_sync (vm, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (vmgr_test_wait_state (vm, "running", WAIT_MS));

  first_path = create_snapshot (vm, "first", "before the upgrade", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (first_path, ==, expected);
  g_assert_true (sees_snapshot (client, first_path));
  first = open_snapshot (client, first_path);
  g_assert_cmpstr (vmgr_dbus_snapshot_get_name (first), ==, "first");
  g_assert_cmpstr (vmgr_dbus_snapshot_get_description (first), ==, "before the upgrade");
  g_assert_cmpstr (vmgr_dbus_snapshot_get_vm (first), ==, vm_path);
  g_assert_cmpstr (vmgr_dbus_snapshot_get_state (first), ==, "running");
  g_assert_cmpstr (vmgr_dbus_snapshot_get_parent (first), ==, "/");
  /* libvirt keeps whole seconds. */
  g_assert_cmpint (vmgr_dbus_snapshot_get_creation_time (first), >=,
                   before - before % G_USEC_PER_SEC);
  g_assert_cmpint (vmgr_dbus_snapshot_get_creation_time (first), <=, g_get_real_time ());

  vmgr_dbus_vm_call_stop_sync (vm, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (vmgr_test_wait_state (vm, "stopped", WAIT_MS));
  second_path = create_snapshot (vm, "second_1", NULL, &error);
  g_assert_no_error (error);
  second = open_snapshot (client, second_path);
  g_assert_cmpstr (vmgr_dbus_snapshot_get_state (second), ==, "stopped");
  g_assert_cmpstr (vmgr_dbus_snapshot_get_description (second), ==, "");
  g_assert_cmpstr (vmgr_dbus_snapshot_get_parent (second), ==, first_path);
  g_assert_cmpuint (snapshots_below (client, vm_path), ==, 2);

  /* Back to the running snapshot: the VM runs again, from the snapshot. */
  vmgr_dbus_snapshot_call_revert_sync (first, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (vmgr_test_wait_state (vm, "running", WAIT_MS));
  g_assert_true (vmgr_test_wait_reason (vm, "from-snapshot", WAIT_MS));
  g_assert_cmpuint (snapshots_below (client, vm_path), ==, 2);
  /* And to the stopped one. */
  vmgr_dbus_snapshot_call_revert_sync (second, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (vmgr_test_wait_state (vm, "stopped", WAIT_MS));

  vmgr_dbus_snapshot_call_delete_sync (first, NULL, &error);
  g_assert_no_error (error);
  g_assert_false (sees_snapshot (client, first_path));
  /* Announced with PropertiesChanged. */
  g_assert_true (vmgr_test_wait (has_no_parent, second, WAIT_MS));
  /* The deleted one is gone: its path answers like any missing path. */
  vmgr_dbus_snapshot_call_revert_sync (first, NULL, &error);
  vmgr_test_assert_dbus_error (error, "org.freedesktop.DBus.Error.UnknownMethod",
                               "Object does not exist");
  g_clear_error (&error);

  vmgr_dbus_snapshot_call_delete_sync (second, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (snapshots_below (client, vm_path), ==, 0);
}

static void
assert_invalid_name (VmgrDBusVM *vm, const char *name)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = create_snapshot (vm, name, NULL, &error);

  g_assert_null (path);
  vmgr_test_assert_dbus_error (error, "org.vmgr.Error.InvalidArgument", "snapshot name");
}

static void
assert_invalid_options (VmgrDBusVM *vm, GVariant *options, const char *fragment)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;

  vmgr_dbus_vm_call_create_snapshot_sync (vm, "fine", options, &path, NULL, &error);
  vmgr_test_assert_dbus_error (error, "org.vmgr.Error.InvalidArgument", fragment);
}

static void
test_bad_input (void)
{
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  g_autoptr(VmgrDBusVM) vm = create_and_open (client, "badly-snapped", NULL);
  const char *vm_path = g_dbus_proxy_get_object_path (G_DBUS_PROXY (vm));
  const char *const bad_names[] = {
    "", "a-b", "a.b", "a/b", "_lead", "has space", "caf\xc3\xa9", "../x",
    "x123456789012345678901234567890123456789012345678901234567890123",
  };
  g_autofree char *long_text = g_strnfill (1025, 'd');
  g_autofree char *kept = NULL;
  g_autofree char *missing = g_strdup_printf ("%s/snapshot/never_made", vm_path);
  g_autoptr(VmgrDBusSnapshot) never = NULL;
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (bad_names); i++)
    assert_invalid_name (vm, bad_names[i]);
  assert_invalid_options (vm, g_variant_new_parsed ("{'colour': <'red'>}"), "colour");
  assert_invalid_options (vm, g_variant_new_parsed ("{'description': <42>}"), "description");
  assert_invalid_options (vm, g_variant_new_parsed ("{'description': <%s>}", long_text),
                          "1024");
  /* Nothing was made. */
  g_assert_cmpuint (snapshots_below (client, vm_path), ==, 0);

  kept = create_snapshot (vm, "kept", "the first", &error);
  g_assert_no_error (error);
  g_free (create_snapshot (vm, "kept", "the second", &error));
  vmgr_test_assert_dbus_error (error, "org.vmgr.Error.AlreadyExists", "kept");
  g_clear_error (&error);
  g_assert_cmpuint (snapshots_below (client, vm_path), ==, 1);

  never = vmgr_dbus_snapshot_proxy_new_sync (client->bus, G_DBUS_PROXY_FLAGS_DO_NOT_LOAD_PROPERTIES,
                                             "org.vmgr", missing, NULL, &error);
  g_assert_no_error (error);
  vmgr_dbus_snapshot_call_revert_sync (never, NULL, &error);
  vmgr_test_assert_dbus_error (error, "org.freedesktop.DBus.Error.UnknownMethod",
                               "Object does not exist");
  g_clear_error (&error);
  vmgr_dbus_snapshot_call_delete_sync (never, NULL, &error);
  vmgr_test_assert_dbus_error (error, "org.freedesktop.DBus.Error.UnknownMethod",
                               "Object does not exist");
  g_clear_error (&error);
  g_assert_cmpuint (snapshots_below (client, vm_path), ==, 1);
}

#define ALICE_VM_PATH "/org/vmgr/vm/501"
#define ALICE_SNAPSHOT_PATH ALICE_VM_PATH "/snapshot/kept"

/* alice takes, lists, reverts to and deletes snapshots of her VM. */
static void
test_tenancy_owner (void)
{
  g_autoptr(VmgrTestClient) root = NULL;
  g_autoptr(VmgrDBusVM) hers = NULL;

  if (g_test_subprocess ())
    {
      g_autoptr(VmgrTestClient) client = NULL;
      g_autoptr(VmgrDBusVM) vm = NULL;
      g_autoptr(VmgrDBusSnapshot) gone = NULL;
      g_autoptr(GPtrArray) seen = NULL;
      g_autoptr(GError) error = NULL;
      g_autofree char *path = NULL;
      g_autofree char *gone_path = NULL;

      vmgr_test_become_user (VMGR_TEST_UID_ALICE);
      client = vmgr_test_client_new ();
      vm = vmgr_test_client_vm (client, ALICE_VM_PATH);
      gone_path = create_snapshot (vm, "gone", NULL, &error);
      g_assert_no_error (error);
      path = create_snapshot (vm, "kept", "alice's", &error);
      g_assert_no_error (error);
      g_assert_cmpstr (path, ==, ALICE_SNAPSHOT_PATH);
      seen = visible_snapshots (client);
      g_assert_cmpuint (seen->len, ==, 2);
      gone = open_snapshot (client, gone_path);
      g_assert_cmpstr (vmgr_dbus_snapshot_get_name (gone), ==, "gone");
      vmgr_dbus_snapshot_call_revert_sync (gone, NULL, &error);
      g_assert_no_error (error);
      vmgr_dbus_snapshot_call_delete_sync (gone, NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (snapshots_below (client, ALICE_VM_PATH), ==, 1);
      return;
    }
  root = vmgr_test_client_new ();
  hers = create_and_open (root, "alice-snaps",
                          g_variant_new_parsed ("{'id': <uint32 501>, 'owner': <%u>}",
                                                VMGR_TEST_UID_ALICE));
  g_test_trap_subprocess (NULL, 120 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  g_assert_true (sees_snapshot (root, ALICE_SNAPSHOT_PATH));
}

/* The error a call on @path gets, with the path taken out. */
static char *
call_error (VmgrTestClient *client, const char *path, const char *interface, const char *member,
            const char *args)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) parameters = g_variant_parse (NULL, args, NULL, NULL, NULL);
  g_autoptr(GVariant) reply =
    g_dbus_connection_call_sync (client->bus, "org.vmgr", path, interface, member, parameters,
                                 NULL, G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
  g_autofree char *name = NULL;
  g_auto(GStrv) parts = NULL;
  g_autofree char *message = NULL;

  g_assert_null (reply);
  g_assert_nonnull (error);
  name = g_dbus_error_get_remote_error (error);
  parts = g_strsplit (error->message, path, -1);
  message = g_strjoinv ("<PATH>", parts);
  return g_strdup_printf ("%s: %s", name, message);
}

static const struct { const char *path, *interface, *member, *args; } stranger_probes[] = {
  { ALICE_SNAPSHOT_PATH, "org.vmgr.Snapshot", "Revert", "()" },
  { ALICE_SNAPSHOT_PATH, "org.vmgr.Snapshot", "Delete", "()" },
  { ALICE_SNAPSHOT_PATH, "org.vmgr.Snapshot", "Revert", "(int32 1,)" },
  { ALICE_SNAPSHOT_PATH, "org.freedesktop.DBus.Properties", "Get", "('org.vmgr.Snapshot', 'Name')" },
  { ALICE_SNAPSHOT_PATH, "org.freedesktop.DBus.Properties", "GetAll", "('org.vmgr.Snapshot',)" },
  { ALICE_SNAPSHOT_PATH, "org.freedesktop.DBus.Properties", "GetAll", "('',)" },
  { ALICE_SNAPSHOT_PATH, "org.freedesktop.DBus.Introspectable", "Introspect", "()" },
  { ALICE_SNAPSHOT_PATH, "org.vmgr.VM", "Start", "()" },
  { ALICE_VM_PATH, "org.vmgr.VM", "CreateSnapshot", "('intruder', @a{sv} {})" },
  { ALICE_VM_PATH, "org.vmgr.VM", "CreateSnapshot", "('bad-name', @a{sv} {})" },
  { ALICE_VM_PATH, "org.vmgr.VM", "CreateSnapshot", "('fine', {'colour': <1>})" },
  { ALICE_VM_PATH, "org.freedesktop.DBus.Introspectable", "Introspect", "()" },
};

/* Where nothing exists: the same path shape below a VM that is not there. */
static char *
missing_path (const char *path)
{
  g_auto(GStrv) parts = g_strsplit (path, "/501", 2);

  return g_strjoinv ("/99999", parts);
}

/* bob and mallory: alice's snapshot answers like none, is not listed, and
 * they may not make one on her VM. */
static void
test_tenancy_stranger (gconstpointer data)
{
  guint uid = GPOINTER_TO_UINT (data);
  g_autoptr(VmgrTestClient) root = NULL;

  if (g_test_subprocess ())
    {
      g_autoptr(VmgrTestClient) client = NULL;
      g_autoptr(GPtrArray) seen = NULL;

      vmgr_test_become_user (uid);
      client = vmgr_test_client_new ();
      for (guint i = 0; i < G_N_ELEMENTS (stranger_probes); i++)
        {
          g_autofree char *missing = missing_path (stranger_probes[i].path);
          g_autofree char *foreign = call_error (client, stranger_probes[i].path,
                                                 stranger_probes[i].interface,
                                                 stranger_probes[i].member,
                                                 stranger_probes[i].args);
          g_autofree char *none = call_error (client, missing, stranger_probes[i].interface,
                                              stranger_probes[i].member,
                                              stranger_probes[i].args);

          g_test_message ("%s.%s on %s: %s", stranger_probes[i].interface,
                          stranger_probes[i].member, stranger_probes[i].path, foreign);
          g_assert_cmpstr (foreign, ==, none);
        }
      seen = visible_snapshots (client);
      g_assert_cmpuint (seen->len, ==, 0);
      return;
    }
  g_test_trap_subprocess (NULL, 120 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  /* Nothing they tried changed anything. */
  root = vmgr_test_client_new ();
  g_assert_true (sees_snapshot (root, ALICE_SNAPSHOT_PATH));
  g_assert_cmpuint (snapshots_below (root, ALICE_VM_PATH), ==, 1);
}

#define BOB_ONE_PATH "/org/vmgr/vm/601"
#define BOB_TWO_PATH "/org/vmgr/vm/602"

static void
assert_over_quota (VmgrDBusVM *vm, const char *name)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = create_snapshot (vm, name, NULL, &error);

  g_assert_null (path);
  vmgr_test_assert_dbus_error (error, "org.vmgr.Error.QuotaExceeded", "max_snapshots");
}

static void
register_bob_with_plan (VmgrTestClient *root)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *customer = NULL;
  g_autoptr(VmgrDBusCustomer) bob = NULL;

  vmgr_dbus_manager_call_set_plan_sync (root->manager, "snappy",
                                        g_variant_new_parsed ("{'memory_limit': <uint64 134217728>,"
                                                              " 'max_snapshots': <uint32 2>}"),
                                        NULL, &error);
  g_assert_no_error (error);
  vmgr_dbus_manager_call_add_customer_sync (root->manager, VMGR_TEST_UID_BOB,
                                            g_variant_new_parsed ("{'full_name': <'Bob'>,"
                                                                  " 'email': <'bob@example.org'>,"
                                                                  " 'national_id': <'30111222'>,"
                                                                  " 'plan': <'snappy'>}"),
                                            &customer, NULL, &error);
  g_assert_no_error (error);
  bob = vmgr_dbus_customer_proxy_new_sync (root->bus, G_DBUS_PROXY_FLAGS_NONE, "org.vmgr",
                                           customer, NULL, &error);
  g_assert_no_error (error);
  /* The plan's max_snapshots is the customer's default. */
  g_assert_cmpuint (vmgr_dbus_customer_get_max_snapshots (bob), ==, 2);
  g_free (vmgr_test_create_vm (root, "bob-one", "debian-12", "basic",
                               g_variant_new_parsed ("{'id': <uint32 601>, 'owner': <%u>}",
                                                     VMGR_TEST_UID_BOB)));
  g_free (vmgr_test_create_vm (root, "bob-two", "debian-12", "basic",
                               g_variant_new_parsed ("{'id': <uint32 602>, 'owner': <%u>}",
                                                     VMGR_TEST_UID_BOB)));
}

/* bob's plan allows 2 snapshots of all his VMs together; an administrator
 * is not held to it. */
static void
test_quota_reached (void)
{
  g_autoptr(VmgrTestClient) root = NULL;
  g_autoptr(VmgrDBusVM) two = NULL;
  g_autoptr(GError) error = NULL;

  if (g_test_subprocess ())
    {
      g_autoptr(VmgrTestClient) client = NULL;
      g_autoptr(VmgrDBusVM) one_of_his = NULL;
      g_autoptr(VmgrDBusVM) two_of_his = NULL;
      g_autoptr(GPtrArray) seen = NULL;

      vmgr_test_become_user (VMGR_TEST_UID_BOB);
      client = vmgr_test_client_new ();
      one_of_his = vmgr_test_client_vm (client, BOB_ONE_PATH);
      two_of_his = vmgr_test_client_vm (client, BOB_TWO_PATH);
      g_free (create_snapshot (one_of_his, "first", NULL, &error));
      g_assert_no_error (error);
      g_free (create_snapshot (two_of_his, "second", NULL, &error));
      g_assert_no_error (error);
      assert_over_quota (two_of_his, "third");
      assert_over_quota (one_of_his, "third");
      seen = visible_snapshots (client);
      g_assert_cmpuint (seen->len, ==, 2);
      return;
    }
  root = vmgr_test_client_new ();
  register_bob_with_plan (root);
  g_test_trap_subprocess (NULL, 120 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  two = vmgr_test_client_vm (root, BOB_TWO_PATH);
  g_free (create_snapshot (two, "by_admin", NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (snapshots_below (root, BOB_TWO_PATH), ==, 2);
}

/* What an administrator made counts: one deleted is not enough room. */
static void
test_quota_room_again (void)
{
  g_autoptr(VmgrTestClient) root = NULL;

  if (g_test_subprocess ())
    {
      g_autoptr(VmgrTestClient) client = NULL;
      g_autoptr(VmgrDBusVM) two_of_his = NULL;
      g_autoptr(VmgrDBusSnapshot) first = NULL;
      g_autoptr(VmgrDBusSnapshot) second = NULL;
      g_autoptr(GError) error = NULL;

      vmgr_test_become_user (VMGR_TEST_UID_BOB);
      client = vmgr_test_client_new ();
      two_of_his = vmgr_test_client_vm (client, BOB_TWO_PATH);
      first = open_snapshot (client, BOB_ONE_PATH "/snapshot/first");
      second = open_snapshot (client, BOB_TWO_PATH "/snapshot/second");
      vmgr_dbus_snapshot_call_delete_sync (first, NULL, &error);
      g_assert_no_error (error);
      assert_over_quota (two_of_his, "third");
      vmgr_dbus_snapshot_call_delete_sync (second, NULL, &error);
      g_assert_no_error (error);
      g_free (create_snapshot (two_of_his, "third", NULL, &error));
      g_assert_no_error (error);
      return;
    }
  g_test_trap_subprocess (NULL, 120 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  root = vmgr_test_client_new ();
  g_assert_cmpuint (snapshots_below (root, BOB_TWO_PATH), ==, 2);
  g_assert_cmpuint (snapshots_below (root, BOB_ONE_PATH), ==, 0);
}

/* A deleted VM leaves none of its snapshot objects behind. */
static void
test_vm_deletion (void)
{
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  g_autoptr(VmgrDBusVM) vm = create_and_open (client, "short-lived", NULL);
  g_autofree char *vm_path = g_strdup (g_dbus_proxy_get_object_path (G_DBUS_PROXY (vm)));
  g_autoptr(GError) error = NULL;

  g_free (create_snapshot (vm, "one", NULL, &error));
  g_assert_no_error (error);
  vmgr_dbus_vm_call_start_sync (vm, NULL, &error);
  g_assert_no_error (error);
  g_free (create_snapshot (vm, "two", NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (snapshots_below (client, vm_path), ==, 2);
  vmgr_dbus_vm_call_stop_sync (vm, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (vmgr_test_wait_state (vm, "stopped", 10000));
  vmgr_dbus_vm_call_delete_sync (vm, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (snapshots_below (client, vm_path), ==, 0);
}

#define HANDED_OVER_PATH "/org/vmgr/vm/701"

/* A VM given to another owner takes its snapshots along: the new owner
 * sees them, the old one no longer does. */
static void
test_owner_change (void)
{
  g_autoptr(VmgrTestClient) root = NULL;
  g_autoptr(VmgrDBusVM) vm = NULL;
  g_autoptr(GError) error = NULL;

  /* The child is told whom to be through the environment. */
  if (g_test_subprocess ())
    {
      guint uid = g_strcmp0 (g_getenv ("SNAPSHOT_TEST_USER"), "alice") == 0
                  ? VMGR_TEST_UID_ALICE : VMGR_TEST_UID_BOB;
      g_autoptr(VmgrTestClient) client = NULL;

      vmgr_test_become_user (uid);
      client = vmgr_test_client_new ();
      g_assert_cmpuint (snapshots_below (client, HANDED_OVER_PATH),
                        ==, uid == VMGR_TEST_UID_BOB ? 1 : 0);
      return;
    }
  root = vmgr_test_client_new ();
  vm = create_and_open (root, "handed-over",
                        g_variant_new_parsed ("{'id': <uint32 701>, 'owner': <%u>}",
                                              VMGR_TEST_UID_ALICE));
  g_free (create_snapshot (vm, "kept", NULL, &error));
  g_assert_no_error (error);
  vmgr_dbus_vm_call_set_owner_sync (vm, VMGR_TEST_UID_BOB, NULL, &error);
  g_assert_no_error (error);
  g_setenv ("SNAPSHOT_TEST_USER", "alice", TRUE);
  g_test_trap_subprocess (NULL, 120 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
  g_setenv ("SNAPSHOT_TEST_USER", "bob", TRUE);
  g_test_trap_subprocess (NULL, 120 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
  /* Out of the way of bob's quota below. */
  vmgr_dbus_vm_call_delete_sync (vm, NULL, &error);
  g_assert_no_error (error);
}

/* vmgrctl snapshot as alice on her VM; on bob's VM (602, from the quota
 * tests) as on none. */
static void
test_vmgrctl (void)
{
  g_autoptr(VmgrTestClient) root = vmgr_test_client_new ();
  g_autofree char *vm_path =
    vmgr_test_create_vm (root, "alice-cli", "debian-12", "basic",
                         g_variant_new_parsed ("{'owner': <%u>}", VMGR_TEST_UID_ALICE));
  g_autofree char *expected = g_strconcat (vm_path, "/snapshot/cli_made", NULL);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonArray *listed;
  gboolean found = FALSE;
  int status;

  status = vmgr_test_run_vmgrctl_as (VMGR_TEST_UID_ALICE, &out, &err, "snapshot", "create",
                                     "alice-cli", "cli_made", "--description", "from the cli",
                                     NULL);
  g_assert_cmpint (status, ==, 0);
  g_assert_cmpstr (g_strstrip (out), ==, expected);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  status = vmgr_test_run_vmgrctl_as (VMGR_TEST_UID_ALICE, &out, &err, "snapshot", "list",
                                     "alice-cli", "--json", NULL);
  g_assert_cmpint (status, ==, 0);
  g_assert_true (json_parser_load_from_data (parser, out, -1, &error));
  g_assert_no_error (error);
  listed = json_node_get_array (json_parser_get_root (parser));
  for (guint i = 0; i < json_array_get_length (listed); i++)
    {
      JsonObject *snapshot = json_array_get_object_element (listed, i);

      if (g_str_equal (json_object_get_string_member (snapshot, "name"), "cli_made"))
        {
          found = TRUE;
          g_assert_cmpstr (json_object_get_string_member (snapshot, "description"), ==,
                           "from the cli");
          g_assert_true (json_object_get_null_member (snapshot, "parent"));
          g_assert_cmpstr (json_object_get_string_member (snapshot, "state"), ==, "stopped");
        }
    }
  g_assert_true (found);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  status = vmgr_test_run_vmgrctl_as (VMGR_TEST_UID_ALICE, &out, &err, "snapshot", "list",
                                     "alice-cli", NULL);
  g_assert_cmpint (status, ==, 0);
  g_assert_nonnull (strstr (out, "cli_made"));
  g_assert_nonnull (strstr (out, "DESCRIPTION"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  status = vmgr_test_run_vmgrctl_as (VMGR_TEST_UID_ALICE, &out, &err, "snapshot", "revert",
                                     "alice-cli", "cli_made", NULL);
  g_assert_cmpint (status, ==, 0);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  status = vmgr_test_run_vmgrctl_as (VMGR_TEST_UID_ALICE, &out, &err, "snapshot", "delete",
                                     "alice-cli", "cli_made", NULL);
  g_assert_cmpint (status, ==, 0);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  /* Gone, a name no snapshot can have, and bob's VM: not found (3). */
  status = vmgr_test_run_vmgrctl_as (VMGR_TEST_UID_ALICE, &out, &err, "snapshot", "delete",
                                     "alice-cli", "cli_made", NULL);
  g_assert_cmpint (status, ==, 3);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  status = vmgr_test_run_vmgrctl_as (VMGR_TEST_UID_ALICE, &out, &err, "snapshot", "revert",
                                     "alice-cli", "not/a-name", NULL);
  g_assert_cmpint (status, ==, 3);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  status = vmgr_test_run_vmgrctl_as (VMGR_TEST_UID_ALICE, &out, &err, "snapshot", "list",
                                     "602", NULL);
  g_assert_cmpint (status, ==, 3);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  status = vmgr_test_run_vmgrctl_as (VMGR_TEST_UID_ALICE, &out, &err, "snapshot", "create",
                                     "602", "hers", NULL);
  g_assert_cmpint (status, ==, 3);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/snapshots/capability", test_capability);
  g_test_add_func ("/snapshots/create-revert-delete", test_create_revert_delete);
  g_test_add_func ("/snapshots/bad-input", test_bad_input);
  g_test_add_func ("/snapshots/tenancy/owner", test_tenancy_owner);
  g_test_add_data_func ("/snapshots/tenancy/bob", GUINT_TO_POINTER (VMGR_TEST_UID_BOB),
                        test_tenancy_stranger);
  g_test_add_data_func ("/snapshots/tenancy/mallory", GUINT_TO_POINTER (VMGR_TEST_UID_MALLORY),
                        test_tenancy_stranger);
  g_test_add_func ("/snapshots/tenancy/owner-change", test_owner_change);
  g_test_add_func ("/snapshots/quota/reached", test_quota_reached);
  g_test_add_func ("/snapshots/quota/room-again", test_quota_room_again);
  /* After the quota tests: bob's VM 602 is there. */
  g_test_add_func ("/snapshots/vmgrctl/alice", test_vmgrctl);
  g_test_add_func ("/snapshots/vm-deletion", test_vm_deletion);

  return vmgr_test_run_with_daemon ("[resources]\nmemory_overcommit=1000\n", NULL,
                                    &daemon_under_test);
}
