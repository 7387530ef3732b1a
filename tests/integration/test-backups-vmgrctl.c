/* vmgrctl's backup commands against vmgrd on the test driver (issue 13):
 * backup with its progress, backups as a table and --json, restore with
 * --owner, backup-delete, the exit statuses of refusals. */
#include <string.h>

#include <json-glib/json-glib.h>

#include "vmgr-test-client.h"
#include "vmgr-test-env.h"

#define SUFFIX ".vmgr-backup.tar.zst"

static VmgrTestDaemon *daemon_under_test;

/* vmgrctl backup, backups (--json), restore, backup-delete; a customer
 * is refused. */
static void
test_vmgrctl (void)
{
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  g_autoptr(VmgrDBusVM) vm = vmgr_test_create_and_open (client, "ctl", NULL);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *archive = NULL;
  g_autofree char *path = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonArray *array;
  gboolean found = FALSE;
  int status;

  g_assert_cmpstr (vmgr_dbus_vm_get_name (vm), ==, "ctl");
  status = vmgr_test_run_vmgrctl_as (0, &out, &err, "backup", "ctl", "--description", "by ctl",
                                     NULL);
  g_assert_cmpint (status, ==, 0);
  g_assert_nonnull (strstr (err, "Backing up ctl"));
  archive = g_strstrip (g_strdup (out));
  g_assert_true (g_str_has_prefix (archive, "ctl-"));
  g_assert_true (g_str_has_suffix (archive, SUFFIX));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  status = vmgr_test_run_vmgrctl_as (0, &out, &err, "backups", "--json", NULL);
  g_assert_cmpint (status, ==, 0);
  g_assert_true (json_parser_load_from_data (parser, out, -1, &error));
  g_assert_no_error (error);
  array = json_node_get_array (json_parser_get_root (parser));
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonObject *object = json_array_get_object_element (array, i);

      if (g_strcmp0 (json_object_get_string_member (object, "archive"), archive) != 0)
        continue;
      found = TRUE;
      g_assert_cmpstr (json_object_get_string_member (object, "vm_name"), ==, "ctl");
      g_assert_cmpstr (json_object_get_string_member (object, "description"), ==, "by ctl");
      g_assert_true (json_object_get_boolean_member (object, "valid"));
      g_assert_cmpint (json_object_get_int_member (object, "created_usec"), >, 0);
    }
  g_assert_true (found);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  status = vmgr_test_run_vmgrctl_as (0, &out, &err, "backups", NULL);
  g_assert_cmpint (status, ==, 0);
  g_assert_nonnull (strstr (out, "ARCHIVE"));
  g_assert_nonnull (strstr (out, archive));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  status = vmgr_test_run_vmgrctl_as (0, &out, &err, "restore", archive, "ctl-copy", "--owner",
                                     "alice", NULL);
  g_assert_cmpint (status, ==, 0);
  g_assert_nonnull (strstr (err, "Restoring ctl-copy"));
  path = g_strstrip (g_strdup (out));
  g_assert_true (g_str_has_prefix (path, "/org/vmgr/vm/"));
  {
    g_autoptr(VmgrDBusVM) copy = vmgr_test_client_vm (client, path);

    g_assert_cmpstr (vmgr_dbus_vm_get_name (copy), ==, "ctl-copy");
    g_assert_cmpuint (vmgr_dbus_vm_get_owner (copy), ==, VMGR_TEST_UID_ALICE);
  }
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  /* Name taken: AlreadyExists (6). */
  status = vmgr_test_run_vmgrctl_as (0, &out, &err, "restore", archive, NULL);
  g_assert_cmpint (status, ==, 6);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  /* alice: not authorized (4), and the archive stays. */
  status = vmgr_test_run_vmgrctl_as (VMGR_TEST_UID_ALICE, &out, &err, "backups", NULL);
  g_assert_cmpint (status, ==, 4);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  status = vmgr_test_run_vmgrctl_as (VMGR_TEST_UID_ALICE, &out, &err, "backup-delete", archive,
                                     NULL);
  g_assert_cmpint (status, ==, 4);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  status = vmgr_test_run_vmgrctl_as (0, &out, &err, "backup-delete", archive, NULL);
  g_assert_cmpint (status, ==, 0);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  status = vmgr_test_run_vmgrctl_as (0, &out, &err, "backup-delete", archive, NULL);
  g_assert_cmpint (status, ==, 3);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/backups-vmgrctl/commands", test_vmgrctl);

  return vmgr_test_run_with_daemon ("[resources]\nmemory_overcommit=1000\n", NULL,
                                    &daemon_under_test);
}
