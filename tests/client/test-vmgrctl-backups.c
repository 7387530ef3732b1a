/* vmgrctl against the fake vmgrd: backup (what is sent, the progress bar,
 * the archive printed, a failed job, Ctrl-C cancels, a refusal), backups
 * (the table with a broken file, JSON), restore (name and --owner sent,
 * the VM's path printed, an absent archive) and backup-delete. */
#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "fake-fixture.h"
#include "vmgrctl-errors.h"

#define WEB_ARCHIVE "web-101-20231114T221320Z.vmgr-backup.tar.zst"
#define BAR_0 " [--------------------] 0%\n"
#define BAR_50 " [##########----------] 50%\n"
#define BAR_100 " [####################] 100%\n"

static void
hook_run_backups (GSubprocess *process, gpointer fixture)
{
  Fixture *f = fixture;

  fake_vmgrd_run_backup_jobs (f->fake);
}

static void
test_backup (Fixture *f, gconstpointer data)
{
  g_autoptr(GVariant) options = NULL;
  const char *description;

  vmgrctl_hook (f, "Backing up web ", hook_run_backups, "backup", "web", "--description",
                "before the upgrade");
  g_assert_cmpint (f->run.status, ==, VMGRCTL_EXIT_OK);
  g_assert_cmpstr (f->run.out, ==, WEB_ARCHIVE "\n");
  g_assert_cmpstr (f->run.err, ==, "Backing up web" BAR_0 "Backing up web" BAR_50
                                   "Backing up web" BAR_100);
  /* The last call: ListBackups, for the archive's name; Backup before. */
  g_assert_cmpstr (f->fake->last_method, ==, "ListBackups");

  vmgrctl (f, "backup", "web", "--description", "plain", "--no-wait");
  g_assert_cmpint (f->run.status, ==, VMGRCTL_EXIT_OK);
  g_assert_true (g_str_has_prefix (f->run.out, "/org/vmgr/job/"));
  g_assert_cmpstr (f->fake->last_method, ==, "Backup");
  g_variant_get (f->fake->last_args, "(@a{sv})", &options);
  g_assert_true (g_variant_lookup (options, "description", "&s", &description));
  g_assert_cmpstr (description, ==, "plain");
}

static void
test_backup_failed (Fixture *f, gconstpointer data)
{
  vmgrctl_hook (f, "Backing up db ", hook_run_backups, "backup", "db");
  g_assert_cmpint (f->run.status, ==, VMGRCTL_EXIT_FAILURE);
  g_assert_cmpstr (f->run.out, ==, "");
  g_assert_cmpstr (f->run.err, ==, "Backing up db" BAR_0 "Backing up db" BAR_50
                                   "vmgrctl: backup of 'db' failed: no space left on device\n");

  vmgrctl (f, "backup", "secret");
  g_assert_cmpint (f->run.status, ==, VMGRCTL_EXIT_NOT_AUTHORIZED);
  vmgrctl (f, "backup", "nosuchvm");
  g_assert_cmpint (f->run.status, ==, VMGRCTL_EXIT_NOT_FOUND);
}

/* Ctrl-C: Job.Cancel(), exit 130. */
static void
test_backup_interrupted (Fixture *f, gconstpointer data)
{
  vmgrctl_hook (f, "Backing up stuck ", hook_interrupt, "backup", "stuck");
  g_assert_cmpint (f->run.status, ==, VMGRCTL_EXIT_INTERRUPTED);
  g_assert_cmpstr (f->run.err, ==, "Backing up stuck" BAR_0
                                   "vmgrctl: backup of 'stuck' cancelled\n");
  g_assert_cmpstr (f->fake->last_method, ==, "Cancel");
}

static void
test_backups (Fixture *f, gconstpointer data)
{
  g_autoptr(JsonNode) root = NULL;
  JsonArray *array;
  JsonObject *broken, *web;

  vmgrctl (f, "backups");
  assert_ok (f);
  g_assert_nonnull (strstr (f->run.out, "ARCHIVE"));
  g_assert_nonnull (strstr (f->run.out, WEB_ARCHIVE));
  g_assert_nonnull (strstr (f->run.out, "2023-11-14 22:13:20"));
  g_assert_nonnull (strstr (f->run.out, "nightly"));
  g_assert_nonnull (strstr (f->run.out, "(not valid: it has no readable manifest)"));

  vmgrctl (f, "backups", "--json");
  assert_ok (f);
  root = parse_json (f->run.out);
  array = json_node_get_array (root);
  g_assert_cmpuint (json_array_get_length (array), ==, 2);
  broken = json_array_get_object_element (array, 0);
  g_assert_false (json_object_get_boolean_member (broken, "valid"));
  g_assert_cmpstr (json_object_get_string_member (broken, "reason"), ==,
                   "it has no readable manifest");
  web = json_array_get_object_element (array, 1);
  g_assert_true (json_object_get_boolean_member (web, "valid"));
  g_assert_cmpstr (json_object_get_string_member (web, "archive"), ==, WEB_ARCHIVE);
  g_assert_cmpstr (json_object_get_string_member (web, "created"), ==,
                   "2023-11-14T22:13:20.000000Z");
  g_assert_cmpint (json_object_get_int_member (web, "created_usec"), ==, 1700000000000000);
  g_assert_cmpint (json_object_get_int_member (web, "size"), ==, 1048576);
  g_assert_cmpint (json_object_get_int_member (web, "owner"), ==, 1000);
  /* An empty string is null. */
  g_assert_true (json_object_get_null_member (web, "plan"));
}

static void
test_restore (Fixture *f, gconstpointer data)
{
  g_autoptr(GVariant) options = NULL;
  const char *archive, *name;
  guint32 owner;

  vmgrctl_hook (f, "Restoring web-again ", hook_run_backups, "restore", WEB_ARCHIVE,
                "web-again", "--owner", "1000");
  g_assert_cmpint (f->run.status, ==, VMGRCTL_EXIT_OK);
  g_assert_cmpstr (f->run.out, ==, "/org/vmgr/vm/200\n");
  g_assert_cmpstr (f->run.err, ==, "Restoring web-again" BAR_0 "Restoring web-again" BAR_50
                                   "Restoring web-again" BAR_100);
  g_assert_cmpstr (f->fake->last_method, ==, "RestoreBackup");
  g_variant_get (f->fake->last_args, "(&s&s@a{sv})", &archive, &name, &options);
  g_assert_cmpstr (archive, ==, WEB_ARCHIVE);
  g_assert_cmpstr (name, ==, "web-again");
  g_assert_true (g_variant_lookup (options, "owner", "u", &owner));
  g_assert_cmpuint (owner, ==, 1000);

  /* Without NAME: the backed-up name ("" sent), the bar names the archive. */
  g_clear_pointer (&options, g_variant_unref);
  vmgrctl_hook (f, "Restoring " WEB_ARCHIVE " ", hook_run_backups, "restore", WEB_ARCHIVE);
  g_assert_cmpint (f->run.status, ==, VMGRCTL_EXIT_OK);
  g_variant_get (f->fake->last_args, "(&s&s@a{sv})", &archive, &name, &options);
  g_assert_cmpstr (name, ==, "");
  g_assert_cmpuint (g_variant_n_children (options), ==, 0);

  vmgrctl (f, "restore", "absent.vmgr-backup.tar.zst");
  g_assert_cmpint (f->run.status, ==, VMGRCTL_EXIT_NOT_FOUND);
  test_assert_one_error_line (&f->run, "vmgrctl: cannot restore 'absent.vmgr-backup.tar.zst'");
  vmgrctl (f, "restore", WEB_ARCHIVE, "a", "b");
  g_assert_cmpint (f->run.status, ==, VMGRCTL_EXIT_USAGE);
  vmgrctl (f, "restore", WEB_ARCHIVE, "--owner", "nosuchuser");
  g_assert_cmpint (f->run.status, ==, VMGRCTL_EXIT_INVALID_ARGUMENT);
}

static void
test_backup_delete (Fixture *f, gconstpointer data)
{
  const char *archive;

  vmgrctl (f, "backup-delete", WEB_ARCHIVE);
  assert_ok (f);
  g_assert_cmpstr (f->fake->last_method, ==, "DeleteBackup");
  g_variant_get (f->fake->last_args, "(&s)", &archive);
  g_assert_cmpstr (archive, ==, WEB_ARCHIVE);
  vmgrctl (f, "backup-delete", "absent.vmgr-backup.tar.zst");
  g_assert_cmpint (f->run.status, ==, VMGRCTL_EXIT_NOT_FOUND);
  vmgrctl (f, "backup-delete");
  g_assert_cmpint (f->run.status, ==, VMGRCTL_EXIT_USAGE);
}

int
main (int argc, char **argv)
{
  fixture_test_init (&argc, &argv);

  add_test ("/vmgrctl/fake/backup", test_backup);
  add_test ("/vmgrctl/fake/backup-failed", test_backup_failed);
  add_test ("/vmgrctl/fake/backup-interrupted", test_backup_interrupted);
  add_test ("/vmgrctl/fake/backups", test_backups);
  add_test ("/vmgrctl/fake/restore", test_restore);
  add_test ("/vmgrctl/fake/backup-delete", test_backup_delete);

  return g_test_run ();
}
