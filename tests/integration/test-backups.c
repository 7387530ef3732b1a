/* Backups and restore on the test driver (issue 13): VM.Backup as a job,
 * Manager.ListBackups, RestoreBackup (same settings and owner; the old id
 * when free, a new one when not; the old UUID when free), DeleteBackup;
 * bad input changes nothing; customers are refused and learn nothing; a
 * running VM stays running; a cancelled backup or restore leaves nothing.
 * vmgrctl's commands are in test-backups-vmgrctl.c, the real container in
 * tests/real/test-real-backup.c. */
#include <string.h>

#include <glib/gstdio.h>

#include "vmgr-test-client.h"
#include "vmgr-test-env.h"
#include "vmgr-test-jobs.h"

#define WAIT_MS 20000
#define SUFFIX ".vmgr-backup.tar.zst"
#define ALICE_VM_ID 601
#define BOB_VM_ID 602
#define ALICE_VM_PATH "/org/vmgr/vm/601"
#define BOB_VM_PATH "/org/vmgr/vm/602"

static VmgrTestDaemon *daemon_under_test;

/* ---- Helpers ------------------------------------------------------------- */

/* Waits for the job's Completed: "ok" or its error message. */
static const char *
wait_job (VmgrTestJobWatch *watch, const char *path)
{
  return vmgr_test_job_watch_wait (watch, path, 120000);
}

static char *
start_backup (VmgrDBusVM *vm, const char *description, GError **error)
{
  GVariantDict options;
  g_autofree char *job = NULL;

  g_variant_dict_init (&options, NULL);
  if (description != NULL)
    g_variant_dict_insert (&options, "description", "s", description);
  vmgr_dbus_vm_call_backup_sync (vm, g_variant_dict_end (&options), &job, NULL, error);
  return g_steal_pointer (&job);
}

/* Backs @vm up and waits for it; returns the archive's name. */
static char *
back_up (VmgrTestClient *client, VmgrTestJobWatch *watch, VmgrDBusVM *vm, const char *description)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *job = start_backup (vm, description, &error);
  g_autoptr(GVariant) list = NULL;
  g_autofree char *newest = NULL;
  GVariantIter iter;
  GVariant *entry;

  g_assert_no_error (error);
  g_assert_cmpstr (wait_job (watch, job), ==, "ok");
  vmgr_dbus_manager_call_list_backups_sync (client->manager, &list, NULL, &error);
  g_assert_no_error (error);
  g_variant_iter_init (&iter, list);
  while ((entry = g_variant_iter_next_value (&iter)) != NULL)
    {
      const char *name = NULL;
      guint32 id = 0;

      g_variant_lookup (entry, "archive", "&s", &name);
      if (g_variant_lookup (entry, "vm_id", "u", &id) &&
          id == vmgr_dbus_vm_get_id (vm) && g_strcmp0 (name, newest) > 0)
        {
          g_free (newest);
          newest = g_strdup (name);
        }
      g_variant_unref (entry);
    }
  g_assert_nonnull (newest);
  return g_steal_pointer (&newest);
}

static GVariant *
find_backup (VmgrTestClient *client, const char *archive)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) list = NULL;
  GVariantIter iter;
  GVariant *entry;

  vmgr_dbus_manager_call_list_backups_sync (client->manager, &list, NULL, &error);
  g_assert_no_error (error);
  g_variant_iter_init (&iter, list);
  while ((entry = g_variant_iter_next_value (&iter)) != NULL)
    {
      const char *name = NULL;

      g_variant_lookup (entry, "archive", "&s", &name);
      if (g_strcmp0 (name, archive) == 0)
        return entry;
      g_variant_unref (entry);
    }
  return NULL;
}

static char *
backup_dir (void)
{
  return g_build_filename (vmgr_test_daemon_get_state_dir (daemon_under_test), "backups", NULL);
}

static int
compare_names (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(const char * const *) a, *(const char * const *) b);
}

/* The names in @dir (sorted, joined by spaces), "" when empty or absent. */
static char *
list_dir (const char *dir, const char *prefix)
{
  g_autoptr(GDir) handle = g_dir_open (dir, 0, NULL);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  while (handle != NULL && (name = g_dir_read_name (handle)) != NULL)
    if (prefix == NULL || g_str_has_prefix (name, prefix))
      g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_names);
  g_ptr_array_add (names, NULL);
  return g_strjoinv (" ", (char **) names->pdata);
}

static char *
staging_leftovers (void)
{
  const char *state = vmgr_test_daemon_get_state_dir (daemon_under_test);
  g_autofree char *backups = list_dir (state, ".backup-");
  g_autofree char *restores = list_dir (state, ".restore-");

  return g_strconcat (backups, restores, NULL);
}

static char *
restore (VmgrTestClient *client, const char *archive, const char *name, GVariant *options,
         GError **error)
{
  g_autofree char *job = NULL;

  vmgr_dbus_manager_call_restore_backup_sync (client->manager, archive, name,
                                              options != NULL ? options
                                                              : g_variant_new ("a{sv}", NULL),
                                              &job, NULL, error);
  return g_steal_pointer (&job);
}

/* The VM @job restored (its Target, announced with the job), once done. */
static VmgrDBusVM *
restored_vm (VmgrTestClient *client, VmgrTestJobWatch *watch, const char *job_path)
{
  const char *target;

  g_assert_cmpstr (wait_job (watch, job_path), ==, "ok");
  target = vmgr_test_job_watch_announced (watch, job_path);
  g_assert_nonnull (target);
  g_assert_true (g_str_has_prefix (target, "restore /org/vmgr/vm/"));
  return vmgr_test_client_vm (client, target + strlen ("restore "));
}

/* ---- Tests --------------------------------------------------------------- */

/* Backup of a stopped VM; the list; restore under another name while the
 * VM exists (new id, new UUID); delete and restore under its own name
 * (same settings and owner; its old id and UUID). */
static void
test_backup_and_restore (void)
{
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  g_autoptr(VmgrTestJobWatch) watch = vmgr_test_job_watch_new (client);
  g_autoptr(VmgrDBusVM) vm = vmgr_test_create_and_open (
    client, "kept",
    g_variant_new_parsed ("{'owner': <%u>, 'hostname': <'kept-host'>, 'vcpus': <uint32 2>,"
                          " 'autostart': <true>}", VMGR_TEST_UID_ALICE));
  g_autofree char *uuid = g_strdup (vmgr_dbus_vm_get_uuid (vm));
  guint32 id = vmgr_dbus_vm_get_id (vm);
  g_autofree char *archive = back_up (client, watch, vm, "before the upgrade");
  g_autoptr(GVariant) entry = find_backup (client, archive);
  g_autoptr(VmgrDBusVM) copy = NULL;
  g_autoptr(VmgrDBusVM) back = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *job = NULL;
  g_autofree char *prefix = g_strdup_printf ("kept-%u-", id);
  const char *text;
  guint32 number;
  gint64 created;
  guint64 size;
  gboolean valid;

  g_assert_true (g_str_has_prefix (archive, prefix));
  g_assert_true (g_str_has_suffix (archive, SUFFIX));
  g_assert_nonnull (entry);
  g_assert_true (g_variant_lookup (entry, "valid", "b", &valid) && valid);
  g_assert_true (g_variant_lookup (entry, "vm_name", "&s", &text));
  g_assert_cmpstr (text, ==, "kept");
  g_assert_true (g_variant_lookup (entry, "vm_uuid", "&s", &text));
  g_assert_cmpstr (text, ==, uuid);
  g_assert_true (g_variant_lookup (entry, "owner", "u", &number));
  g_assert_cmpuint (number, ==, VMGR_TEST_UID_ALICE);
  g_assert_true (g_variant_lookup (entry, "backend", "&s", &text));
  g_assert_cmpstr (text, ==, "test");
  g_assert_true (g_variant_lookup (entry, "template", "&s", &text));
  g_assert_cmpstr (text, ==, "debian-12");
  g_assert_true (g_variant_lookup (entry, "state", "&s", &text));
  g_assert_cmpstr (text, ==, "stopped");
  g_assert_true (g_variant_lookup (entry, "description", "&s", &text));
  g_assert_cmpstr (text, ==, "before the upgrade");
  g_assert_true (g_variant_lookup (entry, "created", "x", &created));
  g_assert_cmpint (created, >, g_get_real_time () - 600 * G_USEC_PER_SEC);
  g_assert_true (g_variant_lookup (entry, "size", "t", &size));
  g_assert_cmpuint (size, >, 0);

  /* The name is the owner's: AlreadyExists, nothing made. */
  g_free (restore (client, archive, "", NULL, &error));
  vmgr_test_assert_dbus_error (error, "org.vmgr.Error.AlreadyExists", "kept");
  g_clear_error (&error);

  job = restore (client, archive, "kept-copy", NULL, &error);
  g_assert_no_error (error);
  copy = restored_vm (client, watch, job);
  g_assert_cmpuint (vmgr_dbus_vm_get_id (copy), !=, id);
  g_assert_cmpstr (vmgr_dbus_vm_get_uuid (copy), !=, uuid);
  g_assert_cmpstr (vmgr_dbus_vm_get_name (copy), ==, "kept-copy");
  g_assert_cmpuint (vmgr_dbus_vm_get_owner (copy), ==, VMGR_TEST_UID_ALICE);
  g_assert_true (vmgr_test_wait_state (copy, "stopped", WAIT_MS));
  g_assert_true (vmgr_test_wait_reason (copy, "restored", WAIT_MS));
  g_clear_pointer (&job, g_free);

  vmgr_dbus_vm_call_delete_sync (vm, NULL, &error);
  g_assert_no_error (error);
  job = restore (client, archive, "", NULL, &error);
  g_assert_no_error (error);
  back = restored_vm (client, watch, job);
  /* The id was retired by this same VM (its UUID): it gets it back, and
   * its UUID, free again. */
  g_assert_cmpuint (vmgr_dbus_vm_get_id (back), ==, id);
  g_assert_cmpstr (vmgr_dbus_vm_get_uuid (back), ==, uuid);
  g_assert_cmpstr (vmgr_dbus_vm_get_name (back), ==, "kept");
  g_assert_cmpuint (vmgr_dbus_vm_get_owner (back), ==, VMGR_TEST_UID_ALICE);
  g_assert_cmpstr (vmgr_dbus_vm_get_hostname (back), ==, "kept-host");
  g_assert_cmpuint (vmgr_dbus_vm_get_vcpus (back), ==, 2);
  g_assert_true (vmgr_dbus_vm_get_autostart (back));
  g_assert_cmpstr (vmgr_dbus_vm_get_template (back), ==, "debian-12");
  g_assert_cmpstr (vmgr_dbus_vm_get_plan (back), ==, "basic");
  g_assert_true (vmgr_test_wait_reason (back, "restored", WAIT_MS));
  vmgr_test_start_and_wait (back);
}

/* An id retired by another VM (another UUID) is not given back. */
static void
test_id_of_another_vm (void)
{
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  g_autoptr(VmgrTestJobWatch) watch = vmgr_test_job_watch_new (client);
  g_autoptr(VmgrDBusVM) vm = vmgr_test_create_and_open (
    client, "first", g_variant_new_parsed ("{'id': <uint32 888>}"));
  g_autofree char *archive = back_up (client, watch, vm, NULL);
  g_autoptr(VmgrDBusVM) restored = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *job = NULL;
  g_autofree char *archive_name = NULL;
  g_autofree char *dir = backup_dir ();
  g_autofree char *path = NULL;
  g_autofree char *contents = NULL;
  gsize length;

  vmgr_dbus_vm_call_delete_sync (vm, NULL, &error);
  g_assert_no_error (error);
  /* The archive says id 888 with another UUID: a copy of it whose
   * manifest is edited. */
  path = g_build_filename (dir, archive, NULL);
  g_assert_true (g_file_get_contents (path, &contents, &length, NULL));
  {
    g_autofree char *staging = g_build_filename (vmgr_test_daemon_get_state_dir (daemon_under_test),
                                                 "edit", NULL);
    g_autofree char *manifest = g_build_filename (staging, "manifest.json", NULL);
    g_autofree char *text = NULL;
    g_autofree char *edited = NULL;
    g_autofree char *uuid_member = NULL;
    g_auto(GStrv) parts = NULL;
    const char *unpack[] = { "tar", "--zstd", "-xf", path, "-C", staging, NULL };
    const char *pack[] = { "sh", "-c", NULL, NULL };
    g_autofree char *command = NULL;

    g_assert_cmpint (g_mkdir_with_parents (staging, 0700), ==, 0);
    g_assert_cmpint (vmgr_test_run_as_argv (0, NULL, NULL, unpack), ==, 0);
    g_assert_true (g_file_get_contents (manifest, &text, NULL, NULL));
    uuid_member = g_strdup_printf ("\"uuid\" : \"%s\"", vmgr_dbus_vm_get_uuid (vm));
    parts = g_strsplit (text, uuid_member, 2);
    g_assert_cmpuint (g_strv_length (parts), ==, 2);
    edited = g_strjoinv ("\"uuid\" : \"00000000-0000-4000-8000-000000000888\"", parts);
    g_assert_true (g_file_set_contents (manifest, edited, -1, NULL));
    archive_name = g_strdup ("edited-888-20260101T000000Z" SUFFIX);
    command = g_strdup_printf ("tar --zstd -cf '%s/%s' -C '%s' manifest.json domain.xml files "
                               "&& rm -rf '%s'", dir, archive_name, staging, staging);
    pack[2] = command;
    g_assert_cmpint (vmgr_test_run_as_argv (0, NULL, NULL, pack), ==, 0);
  }
  job = restore (client, archive_name, "", NULL, &error);
  g_assert_no_error (error);
  restored = restored_vm (client, watch, job);
  g_assert_cmpuint (vmgr_dbus_vm_get_id (restored), !=, 888);
  g_assert_cmpstr (vmgr_dbus_vm_get_uuid (restored), ==, "00000000-0000-4000-8000-000000000888");
}

/* Restored into a fresh vmgr (another state directory), the VM gets its
 * old id; restoring it again there, a new one. The owner option. */
static void
test_old_id_when_free (void)
{
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  g_autoptr(VmgrTestJobWatch) watch = vmgr_test_job_watch_new (client);
  g_autoptr(VmgrDBusVM) vm = vmgr_test_create_and_open (
    client, "moving", g_variant_new_parsed ("{'id': <uint32 777>}"));
  g_autofree char *archive = back_up (client, watch, vm, NULL);
  g_autofree char *dir = backup_dir ();
  g_autofree char *from = g_build_filename (dir, archive, NULL);
  g_autofree char *other_state = vmgr_test_make_state_dir ();
  g_autofree char *other_backups = g_build_filename (other_state, "backups", NULL);
  g_autofree char *to = g_build_filename (other_backups, archive, NULL);
  g_autofree char *contents = NULL;
  gsize length;
  g_autoptr(GError) error = NULL;
  g_autoptr(VmgrDBusVM) moved = NULL;
  g_autoptr(VmgrDBusVM) again = NULL;
  g_autofree char *job = NULL;
  VmgrTestDaemon *other;

  g_assert_true (g_file_get_contents (from, &contents, &length, NULL));
  g_assert_cmpint (g_mkdir_with_parents (other_backups, 0700), ==, 0);
  g_assert_true (g_file_set_contents (to, contents, (gssize) length, NULL));
  vmgr_test_daemon_stop (daemon_under_test);
  other = vmgr_test_daemon_start (other_state, "[resources]\nmemory_overcommit=1000\n");
  {
    g_autoptr(VmgrTestClient) second = vmgr_test_client_new ();
    g_autoptr(VmgrTestJobWatch) second_watch = vmgr_test_job_watch_new (second);

    job = restore (second, archive, "", g_variant_new_parsed ("{'owner': <%u>}",
                                                              VMGR_TEST_UID_BOB), &error);
    g_assert_no_error (error);
    moved = restored_vm (second, second_watch, job);
    g_assert_cmpuint (vmgr_dbus_vm_get_id (moved), ==, 777);
    g_assert_cmpuint (vmgr_dbus_vm_get_owner (moved), ==, VMGR_TEST_UID_BOB);
    g_clear_pointer (&job, g_free);
    job = restore (second, archive, "moving-again", NULL, &error);
    g_assert_no_error (error);
    again = restored_vm (second, second_watch, job);
    g_assert_cmpuint (vmgr_dbus_vm_get_id (again), !=, 777);
    g_assert_cmpuint (vmgr_dbus_vm_get_owner (again), ==, 0);
    g_assert_cmpstr (vmgr_dbus_vm_get_uuid (again), !=, vmgr_dbus_vm_get_uuid (moved));
  }
  vmgr_test_daemon_stop (other);
  vmgr_test_daemon_free (other);
  vmgr_test_remove_dir (other_state);
  vmgr_test_daemon_restart (daemon_under_test);
}

static void
test_running_stays_running (void)
{
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  g_autoptr(VmgrTestJobWatch) watch = vmgr_test_job_watch_new (client);
  g_autoptr(VmgrDBusVM) vm = vmgr_test_create_and_open (client, "busy", NULL);
  g_autofree char *archive = NULL;
  g_autoptr(GVariant) entry = NULL;
  const char *state;

  vmgr_test_start_and_wait (vm);
  archive = back_up (client, watch, vm, NULL);
  g_assert_true (vmgr_test_wait_state (vm, "running", WAIT_MS));
  entry = find_backup (client, archive);
  g_assert_true (g_variant_lookup (entry, "state", "&s", &state));
  g_assert_cmpstr (state, ==, "running");
}

/* Each bad call gets its typed error and changes nothing. */
static void
test_bad_input (void)
{
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  g_autoptr(VmgrTestJobWatch) watch = vmgr_test_job_watch_new (client);
  g_autoptr(VmgrDBusVM) vm = vmgr_test_create_and_open (client, "checked", NULL);
  g_autofree char *archive = back_up (client, watch, vm, NULL);
  g_autofree char *dir = backup_dir ();
  g_autofree char *corrupt = g_build_filename (dir, "corrupt" SUFFIX, NULL);
  g_autofree char *outside = g_build_filename (vmgr_test_daemon_get_state_dir (daemon_under_test),
                                               "outside" SUFFIX, NULL);
  g_autofree char *after = NULL;
  g_autofree char *job = NULL;
  g_autoptr(GVariant) entry = NULL;
  g_autoptr(GError) error = NULL;
  guint vms;
  gboolean valid = TRUE;
  const char *reason;
  static const struct { const char *archive, *name, *error, *fragment; } cases[] = {
    { "../outside" SUFFIX, "", "org.vmgr.Error.InvalidArgument", "'/'" },
    { "/etc/passwd", "", "org.vmgr.Error.InvalidArgument", "'/'" },
    { ".." SUFFIX, "", "org.vmgr.Error.InvalidArgument", "not an archive name" },
    { "plain.tar", "", "org.vmgr.Error.InvalidArgument", "does not end in" },
    { "absent" SUFFIX, "", "org.vmgr.Error.NotFound", "absent" },
    { "corrupt" SUFFIX, "", "org.vmgr.Error.InvalidArgument", "not a vmgr backup" },
    { NULL, "bad name!", "org.vmgr.Error.InvalidArgument", NULL },
    { NULL, "checked", "org.vmgr.Error.AlreadyExists", "checked" },
  };

  g_assert_true (g_file_set_contents (corrupt, "not an archive\n", -1, NULL));
  g_assert_true (g_file_set_contents (outside, "", -1, NULL));
  vms = vmgr_test_count_vms (client);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_test_message ("restore '%s' as '%s'", cases[i].archive, cases[i].name);
      g_free (restore (client, cases[i].archive != NULL ? cases[i].archive : archive,
                       cases[i].name, NULL, &error));
      vmgr_test_assert_dbus_error (error, cases[i].error, cases[i].fragment);
      g_clear_error (&error);
    }
  g_free (restore (client, archive, "", g_variant_new_parsed ("{'owner': <'alice'>}"), &error));
  vmgr_test_assert_dbus_error (error, "org.vmgr.Error.InvalidArgument", "owner");
  g_clear_error (&error);
  g_free (restore (client, archive, "x", g_variant_new_parsed ("{'colour': <1>}"), &error));
  vmgr_test_assert_dbus_error (error, "org.vmgr.Error.InvalidArgument", "colour");
  g_clear_error (&error);
  /* An empty description is fine. */
  job = start_backup (vm, "", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (wait_job (watch, job), ==, "ok");
  g_clear_pointer (&job, g_free);
  vmgr_dbus_vm_call_backup_sync (vm, g_variant_new_parsed ("{'colour': <1>}"), &job, NULL,
                                 &error);
  vmgr_test_assert_dbus_error (error, "org.vmgr.Error.InvalidArgument", "colour");
  g_clear_error (&error);
  vmgr_dbus_manager_call_delete_backup_sync (client->manager, "absent" SUFFIX, NULL, &error);
  vmgr_test_assert_dbus_error (error, "org.vmgr.Error.NotFound", "absent");
  g_clear_error (&error);
  vmgr_dbus_manager_call_delete_backup_sync (client->manager, "../outside" SUFFIX, NULL, &error);
  vmgr_test_assert_dbus_error (error, "org.vmgr.Error.InvalidArgument", "'/'");
  g_clear_error (&error);
  g_assert_true (g_file_test (outside, G_FILE_TEST_EXISTS));
  g_assert_cmpuint (vmgr_test_count_vms (client), ==, vms);

  /* The corrupt file is listed as such. */
  entry = find_backup (client, "corrupt" SUFFIX);
  g_assert_nonnull (entry);
  g_assert_true (g_variant_lookup (entry, "valid", "b", &valid));
  g_assert_false (valid);
  g_assert_true (g_variant_lookup (entry, "reason", "&s", &reason));
  g_assert_nonnull (strstr (reason, "not a vmgr backup"));

  after = staging_leftovers ();
  g_assert_cmpstr (after, ==, "");
  g_unlink (corrupt);
}

/* Customers: refused everywhere, and another's VM answers like a path
 * where nothing exists. */
static void
test_customers_refused (void)
{
  g_autoptr(VmgrTestClient) root = NULL;
  g_autoptr(VmgrTestJobWatch) watch = NULL;
  g_autoptr(VmgrDBusVM) hers = NULL;
  g_autoptr(VmgrDBusVM) his = NULL;
  g_autofree char *archive = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;

  if (g_test_subprocess ())
    {
      g_autoptr(VmgrTestClient) client = NULL;
      g_autoptr(GError) error = NULL;
      g_autoptr(GVariant) reply = NULL;
      g_autoptr(GVariant) foreign = NULL;
      g_autoptr(GVariant) missing = NULL;
      g_autoptr(GError) foreign_error = NULL;
      g_autoptr(GError) missing_error = NULL;
      g_autofree char *foreign_message = NULL;
      g_autofree char *missing_message = NULL;
      g_autofree char *foreign_name = NULL;
      g_autofree char *missing_name = NULL;
      g_auto(GStrv) foreign_parts = NULL;
      g_auto(GStrv) missing_parts = NULL;

      vmgr_test_become_user (VMGR_TEST_UID_ALICE);
      client = vmgr_test_client_new ();
      reply = vmgr_test_call (client, "/org/vmgr/Manager", "org.vmgr.Manager", "ListBackups", NULL,
                              &error);
      vmgr_test_assert_dbus_error (error, "org.vmgr.Error.NotAuthorized", NULL);
      g_clear_error (&error);
      reply = vmgr_test_call (client, "/org/vmgr/Manager", "org.vmgr.Manager", "RestoreBackup",
                              g_variant_new_parsed ("('x" SUFFIX "', '', @a{sv} {})"), &error);
      vmgr_test_assert_dbus_error (error, "org.vmgr.Error.NotAuthorized", NULL);
      g_clear_error (&error);
      reply = vmgr_test_call (client, "/org/vmgr/Manager", "org.vmgr.Manager", "DeleteBackup",
                              g_variant_new_parsed ("('x" SUFFIX "',)"), &error);
      vmgr_test_assert_dbus_error (error, "org.vmgr.Error.NotAuthorized", NULL);
      g_clear_error (&error);
      reply = vmgr_test_call (client, ALICE_VM_PATH, "org.vmgr.VM", "Backup",
                              g_variant_new_parsed ("(@a{sv} {},)"), &error);
      vmgr_test_assert_dbus_error (error, "org.vmgr.Error.NotAuthorized", NULL);
      g_clear_error (&error);

      foreign = vmgr_test_call (client, BOB_VM_PATH, "org.vmgr.VM", "Backup",
                                g_variant_new_parsed ("(@a{sv} {},)"), &foreign_error);
      missing = vmgr_test_call (client, "/org/vmgr/vm/99999", "org.vmgr.VM", "Backup",
                                g_variant_new_parsed ("(@a{sv} {},)"), &missing_error);
      g_assert_nonnull (foreign_error);
      g_assert_nonnull (missing_error);
      foreign_parts = g_strsplit (foreign_error->message, BOB_VM_PATH, -1);
      missing_parts = g_strsplit (missing_error->message, "/org/vmgr/vm/99999", -1);
      foreign_message = g_strjoinv ("<PATH>", foreign_parts);
      missing_message = g_strjoinv ("<PATH>", missing_parts);
      g_assert_cmpstr (foreign_message, ==, missing_message);
      g_clear_error (&foreign_error);
      g_clear_error (&missing_error);
      g_clear_pointer (&foreign, g_variant_unref);
      g_clear_pointer (&missing, g_variant_unref);
      /* Bad options on another's VM: still nothing there. */
      foreign = vmgr_test_call (client, BOB_VM_PATH, "org.vmgr.VM", "Backup",
                                g_variant_new_parsed ("({'colour': <1>},)"), &foreign_error);
      missing = vmgr_test_call (client, "/org/vmgr/vm/99999", "org.vmgr.VM", "Backup",
                                g_variant_new_parsed ("({'colour': <1>},)"), &missing_error);
      foreign_name = g_dbus_error_get_remote_error (foreign_error);
      missing_name = g_dbus_error_get_remote_error (missing_error);
      g_assert_cmpstr (foreign_name, ==, missing_name);
      return;
    }
  dir = backup_dir ();
  root = vmgr_test_client_new ();
  watch = vmgr_test_job_watch_new (root);
  hers = vmgr_test_create_and_open (root, "alice-vm",
                                    g_variant_new_parsed ("{'id': <uint32 %u>, 'owner': <%u>}",
                                                          ALICE_VM_ID, VMGR_TEST_UID_ALICE));
  his = vmgr_test_create_and_open (root, "bob-vm",
                                   g_variant_new_parsed ("{'id': <uint32 %u>, 'owner': <%u>}",
                                                         BOB_VM_ID, VMGR_TEST_UID_BOB));
  archive = back_up (root, watch, his, NULL);
  before = list_dir (dir, NULL);
  g_test_trap_subprocess (NULL, 120 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  after = list_dir (dir, NULL);
  g_assert_cmpstr (after, ==, before);
}

/* A guest directory with some data, so that the jobs take a moment. */
static void
fill_guest_dir (guint32 id)
{
  g_autofree char *dir = g_strdup_printf ("%s/guests/%u",
                                          vmgr_test_daemon_get_state_dir (daemon_under_test), id);
  g_autofree char *data = g_build_filename (dir, "data.img", NULL);
  g_autofree char *count = g_strdup ("count=384");
  g_autofree char *of = g_strconcat ("of=", data, NULL);
  const char *argv[] = { "dd", "if=/dev/urandom", of, "bs=1M", count, "status=none", NULL };

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_cmpint (vmgr_test_run_as_argv (0, NULL, NULL, argv), ==, 0);
}

static void
cancel_job (VmgrTestClient *client, const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = vmgr_test_call (client, path, "org.vmgr.Job", "Cancel", NULL,
                                              &error);

  g_assert_no_error (error);
  g_assert_nonnull (reply);
}

static void
test_cancel (void)
{
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  g_autoptr(VmgrTestJobWatch) watch = vmgr_test_job_watch_new (client);
  g_autoptr(VmgrDBusVM) vm = vmgr_test_create_and_open (client, "heavy", NULL);
  g_autofree char *dir = backup_dir ();
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autofree char *archive = NULL;
  g_autofree char *job = NULL;
  g_autofree char *guests = g_build_filename (vmgr_test_daemon_get_state_dir (daemon_under_test),
                                              "guests", NULL);
  g_autofree char *guests_before = NULL;
  g_autofree char *guests_after = NULL;
  g_autoptr(GError) error = NULL;
  const char *result;
  guint vms;

  fill_guest_dir (vmgr_dbus_vm_get_id (vm));
  before = list_dir (dir, NULL);
  job = start_backup (vm, NULL, &error);
  g_assert_no_error (error);
  cancel_job (client, job);
  result = wait_job (watch, job);
  g_assert_cmpstr (result, !=, "ok");
  after = list_dir (dir, NULL);
  g_assert_cmpstr (after, ==, before);
  g_clear_pointer (&after, g_free);
  after = staging_leftovers ();
  g_assert_cmpstr (after, ==, "");
  {
    g_autoptr(GVariant) job_now =
      vmgr_test_read_vm_property (client, g_dbus_proxy_get_object_path (G_DBUS_PROXY (vm)), "Job");

    g_assert_cmpstr (g_variant_get_string (job_now, NULL), ==, "/");
  }

  /* A whole backup, then a restore cancelled. */
  archive = back_up (client, watch, vm, NULL);
  vms = vmgr_test_count_vms (client);
  guests_before = list_dir (guests, NULL);
  g_clear_pointer (&job, g_free);
  job = restore (client, archive, "heavy-copy", NULL, &error);
  g_assert_no_error (error);
  cancel_job (client, job);
  result = wait_job (watch, job);
  g_assert_cmpstr (result, !=, "ok");
  g_assert_cmpuint (vmgr_test_count_vms (client), ==, vms);
  guests_after = list_dir (guests, NULL);
  g_assert_cmpstr (guests_after, ==, guests_before);
  g_clear_pointer (&after, g_free);
  after = staging_leftovers ();
  g_assert_cmpstr (after, ==, "");
}

/* Restored files are the backed-up ones (snapshots/ left out). */
static void
test_files_come_back (void)
{
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  g_autoptr(VmgrTestJobWatch) watch = vmgr_test_job_watch_new (client);
  g_autoptr(VmgrDBusVM) vm = vmgr_test_create_and_open (client, "filed", NULL);
  const char *state = vmgr_test_daemon_get_state_dir (daemon_under_test);
  g_autofree char *dir = g_strdup_printf ("%s/guests/%u", state, vmgr_dbus_vm_get_id (vm));
  g_autofree char *sub = g_build_filename (dir, "rootfs", "etc", NULL);
  g_autofree char *snapshots = g_build_filename (dir, "snapshots", NULL);
  g_autofree char *file = g_build_filename (sub, "hostname", NULL);
  g_autofree char *archive = NULL;
  g_autofree char *job = NULL;
  g_autofree char *restored = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *restored_snapshots = NULL;
  g_autoptr(VmgrDBusVM) copy = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (g_mkdir_with_parents (sub, 0755), ==, 0);
  g_assert_cmpint (g_mkdir_with_parents (snapshots, 0700), ==, 0);
  g_assert_true (g_file_set_contents (file, "filed\n", -1, NULL));
  archive = back_up (client, watch, vm, NULL);
  job = restore (client, archive, "filed-copy", NULL, &error);
  g_assert_no_error (error);
  copy = restored_vm (client, watch, job);
  restored = g_strdup_printf ("%s/guests/%u/rootfs/etc/hostname", state,
                              vmgr_dbus_vm_get_id (copy));
  g_assert_true (g_file_get_contents (restored, &contents, NULL, NULL));
  g_assert_cmpstr (contents, ==, "filed\n");
  restored_snapshots = g_strdup_printf ("%s/guests/%u/snapshots", state,
                                        vmgr_dbus_vm_get_id (copy));
  g_assert_false (g_file_test (restored_snapshots, G_FILE_TEST_EXISTS));
}

static void
test_delete_backup (void)
{
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  g_autoptr(VmgrTestJobWatch) watch = vmgr_test_job_watch_new (client);
  g_autoptr(VmgrDBusVM) vm = vmgr_test_create_and_open (client, "dropped", NULL);
  g_autofree char *archive = back_up (client, watch, vm, NULL);
  g_autoptr(GVariant) entry = find_backup (client, archive);
  g_autoptr(GVariant) gone = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_nonnull (entry);
  vmgr_dbus_manager_call_delete_backup_sync (client->manager, archive, NULL, &error);
  g_assert_no_error (error);
  gone = find_backup (client, archive);
  g_assert_null (gone);
  vmgr_dbus_manager_call_delete_backup_sync (client->manager, archive, NULL, &error);
  vmgr_test_assert_dbus_error (error, "org.vmgr.Error.NotFound", archive);
}

static void
test_permissions (void)
{
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  g_auto(GStrv) actions = NULL;
  g_autoptr(GError) error = NULL;

  vmgr_dbus_manager_call_get_permissions_sync (client->manager, &actions, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_strv_contains ((const char * const *) actions, "org.vmgr.vm.backup"));
  g_assert_true (g_strv_contains ((const char * const *) actions, "org.vmgr.vm.restore"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/backups/backup-and-restore", test_backup_and_restore);
  g_test_add_func ("/backups/id-of-another-vm", test_id_of_another_vm);
  g_test_add_func ("/backups/running-stays-running", test_running_stays_running);
  g_test_add_func ("/backups/bad-input", test_bad_input);
  g_test_add_func ("/backups/customers-refused", test_customers_refused);
  g_test_add_func ("/backups/files-come-back", test_files_come_back);
  g_test_add_func ("/backups/cancel", test_cancel);
  g_test_add_func ("/backups/delete-backup", test_delete_backup);
  g_test_add_func ("/backups/permissions", test_permissions);
  g_test_add_func ("/backups/old-id-when-free", test_old_id_when_free);

  return vmgr_test_run_with_daemon ("[resources]\nmemory_overcommit=1000\n", NULL,
                                    &daemon_under_test);
}
