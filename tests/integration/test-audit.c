/* The audit log answers "who stopped web1, and what changed?": each entry
 * names the verb, the target by path, name and UUID, and the values a
 * change made; entries are found by the target's name and by verb; a VM
 * id is never given twice, so that one id's history is one VM's; a
 * customer reads only her own entries; vmgrctl audit shows all of it. */
#include <json-glib/json-glib.h>

#include "vmgr-test-client.h"
#include "vmgr-test-env.h"

#define MiB (G_GUINT64_CONSTANT (1) << 20)
#define WAIT_MS 10000

static VmgrTestDaemon *daemon_under_test;

/* QueryAuditRecords with (key, string value) pairs, NULL-terminated. */
static GVariant *
records (VmgrTestClient *client, const char *key, ...)
{
  g_auto(GVariantDict) filter = G_VARIANT_DICT_INIT (NULL);
  g_autoptr(GError) error = NULL;
  GVariant *entries = NULL;
  va_list args;

  va_start (args, key);
  for (; key != NULL; key = va_arg (args, const char *))
    g_variant_dict_insert (&filter, key, "s", va_arg (args, const char *));
  va_end (args);
  vmgr_dbus_manager_call_query_audit_records_sync (client->manager,
                                                   g_variant_dict_end (&filter), &entries,
                                                   NULL, &error);
  g_assert_no_error (error);
  return entries;
}

static const char *
lookup_string (GVariant *record, const char *key)
{
  const char *value = NULL;

  g_variant_lookup (record, key, "&s", &value);
  return value;
}

/* The one change of @field in @record, as "old -> new" ("-" for a value
 * left out). */
static char *
change_of (GVariant *record, const char *field)
{
  g_autoptr(GVariant) changes = g_variant_lookup_value (record, "changes",
                                                        G_VARIANT_TYPE ("aa{sv}"));

  g_assert_nonnull (changes);
  for (gsize i = 0; i < g_variant_n_children (changes); i++)
    {
      g_autoptr(GVariant) change = g_variant_get_child_value (changes, i);

      const char *old_value = lookup_string (change, "old");
      const char *new_value = lookup_string (change, "new");

      if (g_strcmp0 (lookup_string (change, "field"), field) == 0)
        return g_strdup_printf ("%s -> %s", old_value != NULL ? old_value : "-",
                                new_value != NULL ? new_value : "-");
    }
  return NULL;
}

static void
call_ok (gboolean ok, GError *error)
{
  g_assert_no_error (error);
  g_assert_true (ok);
}

static void
test_who_stopped_web1 (void)
{
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  g_autofree char *path = vmgr_test_create_vm (client, "web1", "debian-12", "basic", NULL);
  g_autoptr(VmgrDBusVM) vm = vmgr_test_client_vm (client, path);
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) stops = NULL;
  g_autoptr(GVariant) stop = NULL;
  g_autoptr(GVariant) memory = NULL;
  g_autoptr(GVariant) settings = NULL;
  g_autoptr(GVariant) memory_entry = NULL;
  g_autoptr(GVariant) tuples = NULL;
  g_autofree char *expected_memory = NULL;
  g_autofree char *memory_change = NULL;
  g_autofree char *autostart_change = NULL;
  g_autofree char *owner_change = NULL;
  guint64 limit = vmgr_dbus_vm_get_memory_limit (vm);
  const char *uuid = vmgr_dbus_vm_get_uuid (vm);
  guint32 caller = G_MAXUINT32;

  call_ok (vmgr_dbus_vm_call_start_sync (vm, NULL, &error), error);
  g_assert_true (vmgr_test_wait_state (vm, "running", WAIT_MS));
  call_ok (vmgr_dbus_vm_call_stop_sync (vm, NULL, &error), error);
  g_assert_true (vmgr_test_wait_state (vm, "stopped", WAIT_MS));
  call_ok (vmgr_dbus_vm_call_set_memory_sync (vm, vmgr_dbus_vm_get_memory_guarantee (vm),
                                              vmgr_dbus_vm_get_memory_soft_limit (vm),
                                              limit + 256 * MiB, NULL, &error), error);
  call_ok (vmgr_dbus_vm_call_set_autostart_sync (vm, TRUE, NULL, &error), error);
  call_ok (vmgr_dbus_vm_call_set_owner_sync (vm, VMGR_TEST_UID_ALICE, NULL, &error), error);

  /* Who stopped web1: found by its name and the verb. */
  stops = records (client, "target", "web1", "verb", "Stop", NULL);
  g_assert_cmpuint (g_variant_n_children (stops), ==, 1);
  stop = g_variant_get_child_value (stops, 0);
  g_assert_true (g_variant_lookup (stop, "uid", "u", &caller));
  g_assert_cmpuint (caller, ==, 0);
  g_assert_cmpstr (lookup_string (stop, "verb"), ==, "Stop");
  g_assert_cmpstr (lookup_string (stop, "target"), ==, path);
  g_assert_cmpstr (lookup_string (stop, "target_name"), ==, "web1");
  g_assert_cmpstr (lookup_string (stop, "target_uuid"), ==, uuid);
  g_assert_cmpstr (lookup_string (stop, "result"), ==, "allowed");

  /* And what changed, value by value. */
  memory = records (client, "target", "web1", "verb", "SetMemory", NULL);
  g_assert_cmpuint (g_variant_n_children (memory), ==, 1);
  memory_entry = g_variant_get_child_value (memory, 0);
  memory_change = change_of (memory_entry, "memory_limit");
  expected_memory = g_strdup_printf ("%" G_GUINT64_FORMAT " -> %" G_GUINT64_FORMAT, limit,
                                     limit + 256 * MiB);
  g_assert_cmpstr (memory_change, ==, expected_memory);
  g_assert_null (change_of (memory_entry, "memory_guarantee"));
  settings = records (client, "target", uuid, NULL);
  for (gsize i = 0; i < g_variant_n_children (settings); i++)
    {
      g_autoptr(GVariant) entry = g_variant_get_child_value (settings, i);

      if (g_strcmp0 (lookup_string (entry, "verb"), "SetAutostart") == 0)
        autostart_change = change_of (entry, "autostart");
      else if (g_strcmp0 (lookup_string (entry, "verb"), "SetOwner") == 0)
        owner_change = change_of (entry, "owner");
    }
  g_assert_cmpstr (autostart_change, ==, "false -> true");
  g_assert_cmpstr (owner_change, ==, "root -> alice");

  /* QueryAudit, whose signature is fixed, finds them by name too. */
  vmgr_dbus_manager_call_query_audit_sync (client->manager,
                                           g_variant_new_parsed ("{'target': <'web1'>}"),
                                           &tuples, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_variant_n_children (tuples), >=, 6);
}

static char *
vm_path_of (guint32 id)
{
  return g_strdup_printf ("/org/vmgr/vm/%u", id);
}

static void
test_ids_never_reused (void)
{
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  g_autofree char *first = vmgr_test_create_vm (client, "short-lived", "debian-12", "basic",
                                                NULL);
  g_autoptr(VmgrDBusVM) vm = vmgr_test_client_vm (client, first);
  g_autofree char *first_uuid = g_strdup (vmgr_dbus_vm_get_uuid (vm));
  guint32 first_id = vmgr_dbus_vm_get_id (vm);
  g_autofree char *second = NULL;
  g_autofree char *reused = NULL;
  g_autoptr(GVariant) history = NULL;
  g_autoptr(GError) error = NULL;

  call_ok (vmgr_dbus_vm_call_delete_sync (vm, NULL, &error), error);
  second = vmgr_test_create_vm (client, "short-lived", "debian-12", "basic", NULL);
  g_assert_cmpstr (second, !=, first);

  /* An id asked for explicitly is refused once it was used. */
  vmgr_dbus_manager_call_create_vm_sync (client->manager, "again", "debian-12", "basic",
                                         g_variant_new_parsed ("{'id': <%u>}", first_id),
                                         &reused, NULL, &error);
  vmgr_test_assert_dbus_error (error, "org.vmgr.Error.AlreadyExists", "deleted VM");
  g_assert_null (reused);

  /* So an id's history is one VM's: the first one's path names only its
   * own entries, and its UUID finds its creation too. */
  g_clear_error (&error);
  history = records (client, "target", first, NULL);
  g_assert_cmpuint (g_variant_n_children (history), ==, 1);
  g_clear_pointer (&history, g_variant_unref);
  history = records (client, "target", first_uuid, NULL);
  g_assert_cmpuint (g_variant_n_children (history), ==, 2);
  for (gsize i = 0; i < g_variant_n_children (history); i++)
    {
      g_autoptr(GVariant) entry = g_variant_get_child_value (history, i);

      g_assert_cmpstr (lookup_string (entry, "target_uuid"), ==, first_uuid);
    }

  /* Across a restart too. */
  vmgr_test_daemon_restart (daemon_under_test);
  {
    g_autoptr(VmgrTestClient) again = vmgr_test_client_new ();
    g_autofree char *third = vmgr_test_create_vm (again, "third", "debian-12", "basic", NULL);
    g_autofree char *first_path = vm_path_of (first_id);

    g_assert_cmpstr (third, !=, first_path);
  }
}

/* A customer reads her own entries only, by name as by path. */
static void
test_customer_reads_own (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr(VmgrTestClient) client = NULL;
      g_autoptr(GVariant) own = NULL;
      g_autoptr(GVariant) foreign = NULL;
      g_autoptr(GError) error = NULL;
      g_autoptr(VmgrDBusVM) vm = NULL;
      char *path = NULL;

      vmgr_test_become_user (VMGR_TEST_UID_ALICE);
      client = vmgr_test_client_new ();
      /* Root's entries about her VM are not hers. */
      foreign = records (client, "target", "alices-audited", NULL);
      g_assert_cmpuint (g_variant_n_children (foreign), ==, 0);
      vmgr_dbus_manager_call_find_vm_sync (client->manager, "alices-audited", &path, NULL,
                                           &error);
      g_assert_no_error (error);
      vm = vmgr_test_client_vm (client, path);
      g_free (path);
      call_ok (vmgr_dbus_vm_call_start_sync (vm, NULL, &error), error);
      own = records (client, "target", "alices-audited", NULL);
      g_assert_cmpuint (g_variant_n_children (own), ==, 1);
      for (gsize i = 0; i < g_variant_n_children (own); i++)
        {
          g_autoptr(GVariant) entry = g_variant_get_child_value (own, i);
          guint32 uid = 0;

          g_assert_true (g_variant_lookup (entry, "uid", "u", &uid));
          g_assert_cmpuint (uid, ==, VMGR_TEST_UID_ALICE);
          g_assert_cmpstr (lookup_string (entry, "verb"), ==, "Start");
        }
      return;
    }
  {
    g_autoptr(VmgrTestClient) root = vmgr_test_client_new ();
    g_autofree char *path G_GNUC_UNUSED = vmgr_test_create_vm (
      root, "alices-audited", "debian-12", "basic",
      g_variant_new_parsed ("{'owner': <%u>}", VMGR_TEST_UID_ALICE));
  }
  g_test_trap_subprocess (NULL, 60 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
}

/* A customer's entries name her, and say what changed without copying
 * her personal data. */
static void
test_customer_changes (void)
{
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  g_autoptr(VmgrDBusCustomer) customer = NULL;
  g_autoptr(GVariant) suspensions = NULL;
  g_autoptr(GVariant) updates = NULL;
  g_autoptr(GVariant) suspension = NULL;
  g_autoptr(GVariant) update = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  g_autofree char *suspended = NULL;
  g_autofree char *plan = NULL;
  g_autofree char *email = NULL;

  vmgr_dbus_manager_call_add_customer_sync (
    client->manager, VMGR_TEST_UID_BOB,
    g_variant_new_parsed ("{'full_name': <'Bob Example'>, 'email': <'bob@example.org'>,"
                          " 'national_id': <'0099887766'>}"),
    &path, NULL, &error);
  g_assert_no_error (error);
  customer = vmgr_dbus_customer_proxy_new_sync (client->bus, G_DBUS_PROXY_FLAGS_NONE,
                                                "org.vmgr", path, NULL, &error);
  g_assert_no_error (error);
  call_ok (vmgr_dbus_customer_call_suspend_sync (customer, "late payment", NULL, &error),
           error);
  call_ok (vmgr_dbus_customer_call_update_sync (
             customer, g_variant_new_parsed ("{'email': <'bob@example.net'>,"
                                             " 'plan': <'basic'>}"), NULL, &error), error);

  suspensions = records (client, "target", "bob", "verb", "Suspend", NULL);
  g_assert_cmpuint (g_variant_n_children (suspensions), ==, 1);
  suspension = g_variant_get_child_value (suspensions, 0);
  g_assert_cmpstr (lookup_string (suspension, "target"), ==, path);
  g_assert_cmpstr (lookup_string (suspension, "target_name"), ==, "bob");
  suspended = change_of (suspension, "suspended");
  g_assert_cmpstr (suspended, ==, "false -> true");

  updates = records (client, "target", "bob", "verb", "Update", NULL);
  g_assert_cmpuint (g_variant_n_children (updates), ==, 1);
  update = g_variant_get_child_value (updates, 0);
  plan = change_of (update, "plan");
  g_assert_cmpstr (plan, ==, " -> basic");
  email = change_of (update, "email");
  g_assert_cmpstr (email, ==, "- -> -");
}

static void
test_vmgrctl_audit (void)
{
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  g_autofree char *path = vmgr_test_create_vm (client, "cli-audited", "debian-12", "basic",
                                               NULL);
  g_autoptr(VmgrDBusVM) vm = vmgr_test_client_vm (client, path);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *table = NULL;
  JsonObject *entry;
  JsonObject *change;

  call_ok (vmgr_dbus_vm_call_set_autostart_sync (vm, TRUE, NULL, &error), error);
  g_assert_cmpint (vmgr_test_run_vmgrctl_as (0, &out, &err, "--json", "audit", "--target",
                                             "cli-audited", "--verb", "SetAutostart",
                                             "--since", "1h", NULL), ==, 0);
  g_assert_true (json_parser_load_from_data (parser, out, -1, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (json_array_get_length (json_node_get_array (json_parser_get_root (parser))),
                    ==, 1);
  entry = json_array_get_object_element (json_node_get_array (json_parser_get_root (parser)), 0);
  g_assert_cmpstr (json_object_get_string_member (entry, "verb"), ==, "SetAutostart");
  g_assert_cmpstr (json_object_get_string_member (entry, "target_name"), ==, "cli-audited");
  change = json_array_get_object_element (json_object_get_array_member (entry, "changes"), 0);
  g_assert_cmpstr (json_object_get_string_member (change, "field"), ==, "autostart");
  g_assert_cmpstr (json_object_get_string_member (change, "new"), ==, "true");

  g_clear_pointer (&out, g_free);
  g_assert_cmpint (vmgr_test_run_vmgrctl_as (0, &table, NULL, "audit", "--target",
                                             "cli-audited", "--since", "today", NULL), ==, 0);
  g_assert_nonnull (strstr (table, "SetAutostart"));
  g_assert_nonnull (strstr (table, "autostart false -> true"));

  g_clear_pointer (&err, g_free);
  g_assert_cmpint (vmgr_test_run_vmgrctl_as (0, &out, &err, "audit", "--since", "soon", NULL),
                   !=, 0);
  g_assert_nonnull (strstr (err, "'soon' is not a time"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/audit/who-stopped-web1", test_who_stopped_web1);
  g_test_add_func ("/audit/ids-never-reused", test_ids_never_reused);
  g_test_add_func ("/audit/customer-reads-own", test_customer_reads_own);
  g_test_add_func ("/audit/customer-changes", test_customer_changes);
  g_test_add_func ("/audit/vmgrctl", test_vmgrctl_audit);
  return vmgr_test_run_with_daemon (NULL, NULL, &daemon_under_test);
}
