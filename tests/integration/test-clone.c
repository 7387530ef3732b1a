/* Manager.CloneVM on the test driver: a clone of a stopped VM and of a
 * snapshot gets a fresh identity (id, UUID and so MAC, host name, no
 * address of the source's), the source's template, plan and resources,
 * autostart off, and ends stopped with StateReason "cloned"; the source is
 * unchanged. Refusals: a running source, bad names and paths, a name the
 * owner has, the new owner's quota; a customer is refused alike whatever
 * the source. A cancelled clone leaves no VM and no file. Real guests
 * (LXC files, a QEMU snapshot) are in tests/real/test-real-clone.c. */
#include <string.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <sqlite3.h>

#include "vmgr-test-client.h"
#include "vmgr-test-env.h"

#define WAIT_MS 10000

static VmgrTestDaemon *daemon_under_test;

/* ---- Jobs --------------------------------------------------------------- */

typedef struct {
  GHashTable *completed;   /* job path -> "ok" or "failed: message" */
  guint subscription;
  GDBusConnection *bus;
} Watcher;

static void
on_completed (GDBusConnection *bus, const char *sender, const char *path,
              const char *interface, const char *member, GVariant *parameters, gpointer data)
{
  Watcher *watcher = data;
  gboolean success;
  const char *message;

  g_variant_get (parameters, "(b&s)", &success, &message);
  g_hash_table_insert (watcher->completed, g_strdup (path),
                       success ? g_strdup ("ok") : g_strdup_printf ("failed: %s", message));
}

static Watcher *
watcher_new (VmgrTestClient *client)
{
  Watcher *watcher = g_new0 (Watcher, 1);

  watcher->bus = g_object_ref (client->bus);
  watcher->completed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  watcher->subscription = g_dbus_connection_signal_subscribe (client->bus, NULL, "org.vmgr.Job",
                                                              "Completed", NULL, NULL,
                                                              G_DBUS_SIGNAL_FLAGS_NONE,
                                                              on_completed, watcher, NULL);
  return watcher;
}

static void
watcher_free (Watcher *watcher)
{
  g_dbus_connection_signal_unsubscribe (watcher->bus, watcher->subscription);
  g_object_unref (watcher->bus);
  g_hash_table_unref (watcher->completed);
  g_free (watcher);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Watcher, watcher_free)

typedef struct {
  Watcher *watcher;
  const char *job;
} Awaited;

static gboolean
job_done (gpointer data)
{
  Awaited *awaited = data;

  return g_hash_table_contains (awaited->watcher->completed, awaited->job);
}

static const char *
wait_job (Watcher *watcher, const char *job)
{
  Awaited awaited = { watcher, job };

  g_assert_true (vmgr_test_wait (job_done, &awaited, WAIT_MS));
  return g_hash_table_lookup (watcher->completed, job);
}

/* CloneVM; the job's path, or NULL and @error. */
static char *
call_clone (VmgrTestClient *client, const char *source, const char *name, GVariant *options,
            GError **error)
{
  g_autofree char *job = NULL;

  if (options == NULL)
    options = g_variant_new ("a{sv}", NULL);
  vmgr_dbus_manager_call_clone_vm_sync (client->manager, source, name, options, &job, NULL,
                                        error);
  return g_steal_pointer (&job);
}

/* A clone that must succeed: the new VM's path. */
static char *
clone_ok (VmgrTestClient *client, const char *source, const char *name, GVariant *options)
{
  g_autoptr(Watcher) watcher = watcher_new (client);
  g_autoptr(GError) error = NULL;
  g_autofree char *job = call_clone (client, source, name, options, &error);
  g_autofree char *vm = NULL;

  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (job, "/org/vmgr/job/"));
  g_assert_cmpstr (wait_job (watcher, job), ==, "ok");
  vmgr_dbus_manager_call_find_vm_sync (client->manager, name, &vm, NULL, &error);
  g_assert_no_error (error);
  return g_steal_pointer (&vm);
}

static void
assert_clone_refused (VmgrTestClient *client, const char *source, const char *name,
                      GVariant *options, const char *error_name, const char *fragment)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *job = NULL;
  guint before = vmgr_test_count_vms (client);

  job = call_clone (client, source, name, options, &error);
  g_assert_null (job);
  vmgr_test_assert_dbus_error (error, error_name, fragment);
  g_assert_cmpuint (vmgr_test_count_vms (client), ==, before);
}

/* ---- What the daemon keeps --------------------------------------------- */

static char *
stored_domain_xml (guint32 id)
{
  g_autofree char *path = g_build_filename (vmgr_test_daemon_get_state_dir (daemon_under_test),
                                            "vmgr.db", NULL);
  sqlite3 *db = NULL;
  sqlite3_stmt *statement = NULL;
  char *xml = NULL;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT domain_xml FROM vms WHERE id = ?", -1,
                                       &statement, NULL), ==, SQLITE_OK);
  sqlite3_bind_int64 (statement, 1, id);
  g_assert_cmpint (sqlite3_step (statement), ==, SQLITE_ROW);
  xml = g_strdup ((const char *) sqlite3_column_text (statement, 0));
  sqlite3_finalize (statement);
  sqlite3_close (db);
  return xml;
}

/* The <mac address='...'/> of a stored definition, or NULL without one. */
static char *
mac_of (const char *xml)
{
  const char *mac = strstr (xml, "<mac address=");

  return mac != NULL ? g_strndup (mac, strlen ("<mac address='52:54:00:00:00:00'")) : NULL;
}

static char *
guest_dir (guint32 id)
{
  g_autofree char *name = g_strdup_printf ("%u", id);

  return g_build_filename (vmgr_test_daemon_get_state_dir (daemon_under_test), "guests", name,
                           NULL);
}

/* The result of the last audit row of CloneVM naming @name, or NULL. */
static char *
audited_result (VmgrTestClient *client, const char *name, gboolean *names_source)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = vmgr_test_call (client, "/org/vmgr/Manager", "org.vmgr.Manager",
                                              "QueryAuditRecords",
                                              g_variant_new_parsed ("({'verb': <'CloneVM'>},)"),
                                              &error);
  g_autoptr(GVariant) entries = NULL;
  GVariantIter iter;
  GVariant *entry;

  g_assert_no_error (error);
  entries = g_variant_get_child_value (reply, 0);
  g_variant_iter_init (&iter, entries);
  /* Newest first. */
  while ((entry = g_variant_iter_next_value (&iter)) != NULL)
    {
      g_autoptr(GVariant) owned G_GNUC_UNUSED = entry;
      const char *target_name = NULL;
      const char *result = NULL;
      g_autoptr(GVariant) changes = NULL;

      if (!g_variant_lookup (entry, "target_name", "&s", &target_name) ||
          g_strcmp0 (target_name, name) != 0)
        continue;
      g_variant_lookup (entry, "result", "&s", &result);
      changes = g_variant_lookup_value (entry, "changes", G_VARIANT_TYPE ("aa{sv}"));
      *names_source = FALSE;
      for (gsize i = 0; changes != NULL && i < g_variant_n_children (changes); i++)
        {
          g_autoptr(GVariant) change = g_variant_get_child_value (changes, i);
          const char *field = NULL;

          if (g_variant_lookup (change, "field", "&s", &field) && g_str_equal (field, "source"))
            *names_source = TRUE;
        }
      return g_strdup (result);
    }
  return NULL;
}

/* ---- Tests --------------------------------------------------------------- */

static void
assert_same_resources (VmgrDBusVM *a, VmgrDBusVM *b)
{
  g_assert_cmpstr (vmgr_dbus_vm_get_template (a), ==, vmgr_dbus_vm_get_template (b));
  g_assert_cmpstr (vmgr_dbus_vm_get_plan (a), ==, vmgr_dbus_vm_get_plan (b));
  g_assert_cmpuint (vmgr_dbus_vm_get_vcpus (a), ==, vmgr_dbus_vm_get_vcpus (b));
  g_assert_cmpuint (vmgr_dbus_vm_get_memory_limit (a), ==, vmgr_dbus_vm_get_memory_limit (b));
  g_assert_cmpuint (vmgr_dbus_vm_get_cpu_weight (a), ==, vmgr_dbus_vm_get_cpu_weight (b));
  g_assert_cmpuint (vmgr_dbus_vm_get_disk_hard_limit (a), ==,
                    vmgr_dbus_vm_get_disk_hard_limit (b));
}

/* A stopped VM with an address, a host name and autostart: the clone is
 * its own. */
static void
test_from_stopped (void)
{
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  g_autoptr(VmgrDBusVM) source = vmgr_test_create_and_open (
    client, "original",
    g_variant_new_parsed ("{'hostname': <'original-host'>, 'addresses': <['10.0.0.5/24']>,"
                          " 'gateway': <'10.0.0.1'>, 'autostart': <true>, 'vcpus': <uint32 2>}"));
  const char *source_path = g_dbus_proxy_get_object_path (G_DBUS_PROXY (source));
  g_autofree char *source_uuid = g_strdup (vmgr_dbus_vm_get_uuid (source));
  g_autofree char *source_xml = NULL;
  g_autofree char *clone_xml = NULL;
  g_autofree char *source_mac = NULL;
  g_autofree char *clone_mac = NULL;
  g_autofree char *clone_path = NULL;
  g_autoptr(VmgrDBusVM) clone = NULL;

  g_assert_cmpstr (vmgr_dbus_vm_get_state (source), ==, "stopped");
  source_xml = stored_domain_xml (vmgr_dbus_vm_get_id (source));
  clone_path = clone_ok (client, source_path, "copy", NULL);
  clone = vmgr_test_client_vm (client, clone_path);

  g_assert_cmpstr (clone_path, !=, source_path);
  g_assert_cmpuint (vmgr_dbus_vm_get_id (clone), !=, vmgr_dbus_vm_get_id (source));
  g_assert_cmpstr (vmgr_dbus_vm_get_name (clone), ==, "copy");
  g_assert_cmpstr (vmgr_dbus_vm_get_uuid (clone), !=, source_uuid);
  g_assert_cmpstr (vmgr_dbus_vm_get_hostname (clone), ==, "copy");
  g_assert_cmpuint (g_strv_length ((GStrv) vmgr_dbus_vm_get_addresses (clone)), ==, 0);
  g_assert_false (vmgr_dbus_vm_get_autostart (clone));
  g_assert_cmpuint (vmgr_dbus_vm_get_owner (clone), ==, vmgr_dbus_vm_get_owner (source));
  g_assert_true (vmgr_test_wait_state (clone, "stopped", WAIT_MS));
  g_assert_true (vmgr_test_wait_reason (clone, "cloned", WAIT_MS));
  g_assert_cmpstr (vmgr_dbus_vm_get_job (clone), ==, "/");
  assert_same_resources (clone, source);
  g_assert_cmpuint (vmgr_dbus_vm_get_vcpus (clone), ==, 2);

  /* The definitions differ in what makes a guest itself. */
  clone_xml = stored_domain_xml (vmgr_dbus_vm_get_id (clone));
  g_assert_nonnull (strstr (clone_xml, vmgr_dbus_vm_get_uuid (clone)));
  g_assert_null (strstr (clone_xml, source_uuid));
  source_mac = mac_of (source_xml);
  clone_mac = mac_of (clone_xml);
  if (source_mac != NULL || clone_mac != NULL)
    g_assert_cmpstr (source_mac, !=, clone_mac);

  /* The source is as it was. */
  g_assert_cmpstr (vmgr_dbus_vm_get_uuid (source), ==, source_uuid);
  g_assert_cmpstr (vmgr_dbus_vm_get_name (source), ==, "original");
  g_assert_cmpstr (vmgr_dbus_vm_get_hostname (source), ==, "original-host");
  g_assert_cmpstr (((const char * const *) vmgr_dbus_vm_get_addresses (source))[0], ==,
                   "10.0.0.5/24");
  g_assert_true (vmgr_dbus_vm_get_autostart (source));
  g_assert_cmpstr (vmgr_dbus_vm_get_state (source), ==, "stopped");
  {
    g_autofree char *again = stored_domain_xml (vmgr_dbus_vm_get_id (source));

    g_assert_cmpstr (again, ==, source_xml);
  }
  /* Audited with the new VM's name and its source. */
  {
    gboolean names_source = FALSE;
    g_autofree char *result = audited_result (client, "copy", &names_source);

    g_assert_cmpstr (result, ==, "allowed");
    g_assert_true (names_source);
  }
  /* Both start. */
  vmgr_test_start_and_wait (clone);
  vmgr_test_start_and_wait (source);
}

/* Options: another owner, its own host name and address. */
static void
test_options (void)
{
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  g_autoptr(VmgrDBusVM) source = vmgr_test_create_and_open (client, "to-give", NULL);
  g_autofree char *path = clone_ok (
    client, g_dbus_proxy_get_object_path (G_DBUS_PROXY (source)), "given",
    g_variant_new_parsed ("{'owner': <uint32 %u>, 'hostname': <'web2'>,"
                          " 'addresses': <['10.0.0.9/24']>, 'gateway': <'10.0.0.1'>}",
                          VMGR_TEST_UID_ALICE));
  g_autoptr(VmgrDBusVM) clone = vmgr_test_client_vm (client, path);

  g_assert_cmpuint (vmgr_dbus_vm_get_owner (clone), ==, VMGR_TEST_UID_ALICE);
  g_assert_cmpstr (vmgr_dbus_vm_get_hostname (clone), ==, "web2");
  g_assert_cmpstr (((const char * const *) vmgr_dbus_vm_get_addresses (clone))[0], ==,
                   "10.0.0.9/24");
  g_assert_cmpstr (vmgr_dbus_vm_get_gateway (clone), ==, "10.0.0.1");
  g_assert_cmpuint (vmgr_dbus_vm_get_owner (source), ==, VMGR_TEST_UID_ROOT);
}

/* From a snapshot of a running VM: a new stopped VM of its record. */
static void
test_from_snapshot (void)
{
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  g_autoptr(VmgrDBusVM) source = vmgr_test_create_and_open (client, "snapped", NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *snapshot = NULL;
  g_autofree char *path = NULL;
  g_autoptr(VmgrDBusVM) clone = NULL;

  vmgr_test_start_and_wait (source);
  vmgr_dbus_vm_call_create_snapshot_sync (source, "base", g_variant_new ("a{sv}", NULL),
                                          &snapshot, NULL, &error);
  g_assert_no_error (error);
  path = clone_ok (client, snapshot, "from-base", NULL);
  clone = vmgr_test_client_vm (client, path);
  g_assert_true (vmgr_test_wait_reason (clone, "cloned", WAIT_MS));
  g_assert_cmpstr (vmgr_dbus_vm_get_state (clone), ==, "stopped");
  g_assert_cmpstr (vmgr_dbus_vm_get_uuid (clone), !=, vmgr_dbus_vm_get_uuid (source));
  assert_same_resources (clone, source);
  /* The source still runs, and keeps its snapshot; the clone has none. */
  g_assert_cmpstr (vmgr_dbus_vm_get_state (source), ==, "running");
  g_assert_no_error (error);
  {
    g_autofree char *prefix = g_strconcat (path, "/snapshot/base", NULL);
    g_autoptr(GVariant) reply = vmgr_test_call (client, prefix, "org.freedesktop.DBus.Properties",
                                                "GetAll", g_variant_new ("(s)", "org.vmgr.Snapshot"),
                                                &error);

    g_assert_null (reply);
    vmgr_test_assert_dbus_error (error, "org.freedesktop.DBus.Error.UnknownMethod",
                                 "Object does not exist");
  }
}

static void
test_running_refused (void)
{
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  g_autoptr(VmgrDBusVM) source = vmgr_test_create_and_open (client, "busy-one", NULL);
  const char *path = g_dbus_proxy_get_object_path (G_DBUS_PROXY (source));
  g_autoptr(GError) error = NULL;

  vmgr_test_start_and_wait (source);
  assert_clone_refused (client, path, "busy-copy", NULL, "org.vmgr.Error.InvalidState",
                        "only a stopped VM can be cloned");
  vmgr_dbus_vm_call_suspend_sync (source, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (vmgr_test_wait_state (source, "paused", WAIT_MS));
  assert_clone_refused (client, path, "busy-copy", NULL, "org.vmgr.Error.InvalidState",
                        "is paused");
  vmgr_dbus_vm_call_resume_sync (source, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (vmgr_test_wait_state (source, "running", WAIT_MS));
  vmgr_dbus_vm_call_save_sync (source, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (vmgr_test_wait_reason (source, "saved", WAIT_MS));
  assert_clone_refused (client, path, "busy-copy", NULL, "org.vmgr.Error.InvalidState",
                        "only a stopped VM can be cloned");
}

static void
test_bad_input (void)
{
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  g_autoptr(VmgrDBusVM) source = vmgr_test_create_and_open (client, "bad-source", NULL);
  const char *path = g_dbus_proxy_get_object_path (G_DBUS_PROXY (source));
  g_autofree char *no_snapshot = g_strconcat (path, "/snapshot/none", NULL);
  g_autofree char *bad_snapshot = g_strconcat (path, "/snapshot/a/b", NULL);

  assert_clone_refused (client, path, "bad name", NULL, "org.vmgr.Error.InvalidArgument",
                        "VM name");
  assert_clone_refused (client, path, "", NULL, "org.vmgr.Error.InvalidArgument", "VM name");
  assert_clone_refused (client, path, "bad-source", NULL, "org.vmgr.Error.AlreadyExists",
                        "bad-source");
  assert_clone_refused (client, "/org/vmgr/vm/0", "fine", NULL,
                        "org.vmgr.Error.InvalidArgument", "the source is a VM's path");
  assert_clone_refused (client, "/org/vmgr/Manager", "fine", NULL,
                        "org.vmgr.Error.InvalidArgument", "the source is a VM's path");
  assert_clone_refused (client, "/org/vmgr/customer/0", "fine", NULL,
                        "org.vmgr.Error.InvalidArgument", "the source is a VM's path");
  assert_clone_refused (client, bad_snapshot, "fine", NULL, "org.vmgr.Error.InvalidArgument",
                        "the source is a VM's path");
  assert_clone_refused (client, "/org/vmgr/vm/99999", "fine", NULL, "org.vmgr.Error.NotFound",
                        "no VM or snapshot at /org/vmgr/vm/99999");
  assert_clone_refused (client, no_snapshot, "fine", NULL, "org.vmgr.Error.NotFound",
                        "no VM or snapshot at");
  assert_clone_refused (client, path, "fine", g_variant_new_parsed ("{'colour': <1>}"),
                        "org.vmgr.Error.InvalidArgument", "colour");
  assert_clone_refused (client, path, "fine", g_variant_new_parsed ("{'vcpus': <uint32 4>}"),
                        "org.vmgr.Error.InvalidArgument", "vcpus");
  assert_clone_refused (client, path, "fine", g_variant_new_parsed ("{'hostname': <'-x-'>}"),
                        "org.vmgr.Error.InvalidArgument", "hostname");
  assert_clone_refused (client, path, "fine", g_variant_new_parsed ("{'owner': <uint32 4000000>}"),
                        "org.vmgr.Error.InvalidArgument", "owner");
}

/* A domain vmgr adopted is not vmgr's to copy. */
static void
test_adopted_refused (void)
{
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) adopted = vmgr_test_call (client, "/org/vmgr/Manager", "org.vmgr.Manager",
                                                "AdoptVM",
                                                g_variant_new_parsed ("('test', 'adopted', "
                                                                      "@a{sv} {})"),
                                                &error);
  g_autoptr(VmgrDBusVM) vm = NULL;
  const char *path;

  g_assert_no_error (error);
  g_variant_get (adopted, "(&o)", &path);
  vm = vmgr_test_client_vm (client, path);
  if (g_strcmp0 (vmgr_dbus_vm_get_state (vm), "stopped") != 0)
    {
      vmgr_dbus_vm_call_stop_sync (vm, NULL, &error);
      g_assert_no_error (error);
      g_assert_true (vmgr_test_wait_state (vm, "stopped", WAIT_MS));
    }
  assert_clone_refused (client, path, "adopted-copy", NULL, "org.vmgr.Error.NotSupported",
                        "adopted");
}

/* bob may have one VM: a clone given to him is over his quota. */
static void
test_quota (void)
{
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *customer = NULL;
  g_autoptr(VmgrDBusVM) his = NULL;

  vmgr_dbus_manager_call_add_customer_sync (
    client->manager, VMGR_TEST_UID_BOB,
    g_variant_new_parsed ("{'full_name': <'Bob'>, 'email': <'bob@example.org'>,"
                          " 'national_id': <'30111222'>, 'max_vms': <uint32 1>}"),
    &customer, NULL, &error);
  g_assert_no_error (error);
  his = vmgr_test_create_and_open (client, "bobs",
                                   g_variant_new_parsed ("{'owner': <uint32 %u>}",
                                                         VMGR_TEST_UID_BOB));
  assert_clone_refused (client, g_dbus_proxy_get_object_path (G_DBUS_PROXY (his)), "bobs-too",
                        g_variant_new_parsed ("{'owner': <uint32 %u>}", VMGR_TEST_UID_BOB),
                        "org.vmgr.Error.QuotaExceeded", "vms");
  /* The same name is his already. */
  assert_clone_refused (client, g_dbus_proxy_get_object_path (G_DBUS_PROXY (his)), "bobs",
                        NULL, "org.vmgr.Error.AlreadyExists", "bobs");
}

#define ALICE_VM "/org/vmgr/vm/701"
#define OTHER_VM "/org/vmgr/vm/702"

/* A customer is refused CloneVM whatever the source: hers, another's, one
 * that does not exist or a snapshot: one answer, which tells nothing. */
static void
test_customer_refused (gconstpointer data)
{
  if (g_test_subprocess ())
    {
      static const char * const sources[] = {
        ALICE_VM, OTHER_VM, "/org/vmgr/vm/799", OTHER_VM "/snapshot/his",
        "/org/vmgr/vm/799/snapshot/x",
      };
      g_autoptr(VmgrTestClient) client = NULL;
      g_autofree char *first = NULL;

      vmgr_test_become_user (GPOINTER_TO_UINT (data));
      client = vmgr_test_client_new ();
      for (guint i = 0; i < G_N_ELEMENTS (sources); i++)
        {
          g_autoptr(GError) error = NULL;
          g_autofree char *job = call_clone (client, sources[i], "mine", NULL, &error);
          g_autofree char *remote = NULL;

          g_assert_null (job);
          remote = g_dbus_error_get_remote_error (error);
          g_assert_cmpstr (remote, ==, "org.vmgr.Error.NotAuthorized");
          g_assert_null (strstr (error->message, sources[i]));
          if (first == NULL)
            first = g_strdup (error->message);
          g_assert_cmpstr (error->message, ==, first);
        }
      return;
    }
  {
    g_autoptr(VmgrTestClient) root = vmgr_test_client_new ();
    g_autoptr(GError) error = NULL;
    g_autofree char *found = NULL;
    guint before;

    /* Made by the first run (alice's), kept for mallory's. */
    vmgr_dbus_manager_call_find_vm_sync (root->manager, "701", &found, NULL, NULL);
    if (found == NULL)
      {
        g_autoptr(VmgrDBusVM) other = NULL;
        g_autofree char *snapshot = NULL;

        g_free (vmgr_test_create_vm (root, "alices", "debian-12", "basic",
                                     g_variant_new_parsed ("{'id': <uint32 701>,"
                                                           " 'owner': <uint32 %u>}",
                                                           VMGR_TEST_UID_ALICE)));
        g_free (vmgr_test_create_vm (root, "mallorys", "debian-12", "basic",
                                     g_variant_new_parsed ("{'id': <uint32 702>,"
                                                           " 'owner': <uint32 %u>}",
                                                           VMGR_TEST_UID_MALLORY)));
        other = vmgr_test_client_vm (root, OTHER_VM);
        vmgr_dbus_vm_call_create_snapshot_sync (other, "his", g_variant_new ("a{sv}", NULL),
                                                &snapshot, NULL, &error);
        g_assert_no_error (error);
      }
    before = vmgr_test_count_vms (root);
    g_test_trap_subprocess (NULL, 120 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_passed ();
    g_assert_cmpuint (vmgr_test_count_vms (root), ==, before);
  }
}

/* A clone cancelled while its files are copied: no VM, no directory. The
 * test driver's guests have no files of their own, so the source gets a
 * directory with files enough to be copied for a while (many, so that
 * the copy is slowed down as much as the Cancel when vmgrd runs under
 * valgrind). */
#define CANCEL_FILES 20000

static void
test_cancel (void)
{
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  g_autoptr(VmgrDBusVM) source = vmgr_test_create_and_open (client, "heavy", NULL);
  g_autoptr(Watcher) watcher = watcher_new (client);
  g_autofree char *dir = guest_dir (vmgr_dbus_vm_get_id (source));
  g_autofree char *data = g_build_filename (dir, "data", NULL);
  g_autofree char *guests = g_path_get_dirname (dir);
  g_autofree char *job = NULL;
  g_autoptr(GVariant) cancelled = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GDir) listing = NULL;
  guint before = vmgr_test_count_vms (client);
  guint entries = 0;

  g_assert_cmpint (g_mkdir_with_parents (data, 0711), ==, 0);
  for (guint i = 0; i < CANCEL_FILES; i++)
    {
      g_autofree char *name = g_strdup_printf ("%s/f%u", data, i);

      FILE *file = fopen (name, "w");

      g_assert_nonnull (file);
      g_assert_cmpint (fputc ('x', file), ==, 'x');
      g_assert_cmpint (fclose (file), ==, 0);
    }

  job = call_clone (client, g_dbus_proxy_get_object_path (G_DBUS_PROXY (source)), "light",
                    NULL, &error);
  g_assert_no_error (error);
  /* Its files are being copied: the source does not start meanwhile. */
  vmgr_dbus_vm_call_start_sync (source, NULL, &error);
  vmgr_test_assert_dbus_error (error, "org.vmgr.Error.Busy", "being copied");
  g_clear_error (&error);
  cancelled = vmgr_test_call (client, job, "org.vmgr.Job", "Cancel", NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (wait_job (watcher, job), "failed: "));
  g_assert_cmpuint (vmgr_test_count_vms (client), ==, before);
  vmgr_dbus_manager_call_find_vm_sync (client->manager, "light", NULL, NULL, &error);
  vmgr_test_assert_dbus_error (error, "org.vmgr.Error.NotFound", "light");
  {
    gboolean names_source = FALSE;
    g_autofree char *result = audited_result (client, "light", &names_source);

    g_assert_cmpstr (result, ==, "failed");
  }
  /* The copy's directory goes in a worker thread after the job ends. */
  for (guint tries = 0; tries < 100; tries++)
    {
      g_autoptr(GDir) check = g_dir_open (guests, 0, NULL);

      entries = 0;
      while (check != NULL && g_dir_read_name (check) != NULL)
        entries++;
      if (entries == 1)
        break;
      g_usleep (50 * 1000);
    }
  listing = g_dir_open (guests, 0, NULL);
  g_assert_nonnull (listing);
  g_assert_cmpuint (entries, ==, 1);
  g_assert_cmpstr (vmgr_dbus_vm_get_state (source), ==, "stopped");
  for (guint i = 0; i < CANCEL_FILES; i++)
    {
      g_autofree char *name = g_strdup_printf ("%s/f%u", data, i);

      g_assert_cmpint (g_unlink (name), ==, 0);
    }
  g_assert_cmpint (g_rmdir (data), ==, 0);
  g_assert_cmpint (g_rmdir (dir), ==, 0);
}

/* vmgrctl clone: the new VM as `show --json` prints it; from a snapshot;
 * a customer refused with exit status 4. */
static void
test_vmgrctl (void)
{
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  g_autoptr(VmgrDBusVM) source = vmgr_test_create_and_open (client, "ctl-source", NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *snapshot = NULL;
  JsonObject *vm;

  g_assert_cmpint (vmgr_test_run_vmgrctl_as (VMGR_TEST_UID_ADMIN, &out, &err, "clone",
                                             "ctl-source", "ctl-copy", "--hostname", "ctl-host",
                                             "--address", "10.1.0.7/24", "--json", NULL),
                   ==, 0);
  g_assert_true (json_parser_load_from_data (parser, out, -1, &error));
  g_assert_no_error (error);
  vm = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpstr (json_object_get_string_member (vm, "name"), ==, "ctl-copy");
  g_assert_cmpstr (json_object_get_string_member (vm, "hostname"), ==, "ctl-host");
  g_assert_cmpstr (json_object_get_string_member (vm, "state"), ==, "stopped");
  g_assert_cmpstr (json_object_get_string_member (vm, "state_reason"), ==, "cloned");
  g_assert_cmpstr (json_object_get_string_member (vm, "uuid"), !=,
                   vmgr_dbus_vm_get_uuid (source));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  vmgr_dbus_vm_call_create_snapshot_sync (source, "ctl_snap", g_variant_new ("a{sv}", NULL),
                                          &snapshot, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (vmgr_test_run_vmgrctl_as (VMGR_TEST_UID_ROOT, &out, &err, "clone",
                                             "ctl-source", "ctl-snap-copy", "--snapshot",
                                             "ctl_snap", NULL), ==, 0);
  g_assert_true (g_str_has_prefix (out, "Cloned ctl-source into VM ctl-snap-copy with id "));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  g_assert_cmpint (vmgr_test_run_vmgrctl_as (VMGR_TEST_UID_ROOT, &out, &err, "clone",
                                             "ctl-source", "ctl-copy", NULL), ==, 6);
  g_assert_nonnull (strstr (err, "ctl-copy"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (vmgr_test_run_vmgrctl_as (VMGR_TEST_UID_ROOT, &out, &err, "clone",
                                             "ctl-source", "ctl-other", "--snapshot", "nope",
                                             NULL), ==, 3);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_free (vmgr_test_create_vm (client, "ctl-alices", "debian-12", "basic",
                               g_variant_new_parsed ("{'owner': <uint32 %u>}",
                                                     VMGR_TEST_UID_ALICE)));
  g_assert_cmpint (vmgr_test_run_vmgrctl_as (VMGR_TEST_UID_ALICE, &out, &err, "clone",
                                             "ctl-alices", "hers", NULL), ==, 4);
  g_assert_nonnull (strstr (err, "not authorized"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/clone/from-stopped", test_from_stopped);
  g_test_add_func ("/clone/options", test_options);
  g_test_add_func ("/clone/from-snapshot", test_from_snapshot);
  g_test_add_func ("/clone/running-refused", test_running_refused);
  g_test_add_func ("/clone/bad-input", test_bad_input);
  g_test_add_func ("/clone/quota", test_quota);
  g_test_add_func ("/clone/adopted-refused", test_adopted_refused);
  g_test_add_data_func ("/clone/customer/alice", GUINT_TO_POINTER (VMGR_TEST_UID_ALICE),
                        test_customer_refused);
  g_test_add_data_func ("/clone/customer/mallory", GUINT_TO_POINTER (VMGR_TEST_UID_MALLORY),
                        test_customer_refused);
  g_test_add_func ("/clone/cancel", test_cancel);
  g_test_add_func ("/clone/vmgrctl", test_vmgrctl);

  return vmgr_test_run_with_daemon ("[resources]\nmemory_overcommit=1000\n", NULL,
                                    &daemon_under_test);
}
