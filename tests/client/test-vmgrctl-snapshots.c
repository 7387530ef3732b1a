/* vmgrctl against the fake vmgrd: snapshot create (what is sent, the path
 * printed, a name taken), list (the table and JSON), revert and delete
 * (on the snapshot's path; one not there and a name no snapshot can have
 * are "not found"). */
#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "fake-fixture.h"
#include "vmgrctl-errors.h"

static void
test_create (Fixture *f, gconstpointer data)
{
  g_autoptr(GVariant) options = NULL;
  const char *name;
  const char *description;

  vmgrctl (f, "snapshot", "create", "web", "before_upgrade", "--description", "all fine");
  assert_ok (f);
  g_assert_cmpstr (f->run.out, ==, "/org/vmgr/vm/101/snapshot/before_upgrade\n");
  g_assert_cmpstr (f->fake->last_method, ==, "CreateSnapshot");
  g_variant_get (f->fake->last_args, "(&s@a{sv})", &name, &options);
  g_assert_cmpstr (name, ==, "before_upgrade");
  g_assert_true (g_variant_lookup (options, "description", "&s", &description));
  g_assert_cmpstr (description, ==, "all fine");

  /* Without --description, no option at all. */
  g_clear_pointer (&options, g_variant_unref);
  vmgrctl (f, "snapshot", "create", "web", "plain");
  assert_ok (f);
  g_variant_get (f->fake->last_args, "(&s@a{sv})", &name, &options);
  g_assert_cmpuint (g_variant_n_children (options), ==, 0);

  vmgrctl (f, "snapshot", "create", "web", "taken");
  g_assert_cmpint (f->run.status, ==, VMGRCTL_EXIT_ALREADY_EXISTS);
  g_assert_nonnull (strstr (f->run.err, "taken"));

  vmgrctl (f, "snapshot", "create", "nosuchvm", "x");
  g_assert_cmpint (f->run.status, ==, VMGRCTL_EXIT_NOT_FOUND);
  vmgrctl (f, "snapshot", "create", "web");
  g_assert_cmpint (f->run.status, ==, VMGRCTL_EXIT_USAGE);
}

static void
test_list (Fixture *f, gconstpointer data)
{
  g_autoptr(JsonNode) root = NULL;
  JsonObject *first;

  vmgrctl (f, "snapshot", "list", "db", "--json");
  assert_ok (f);
  root = parse_json (f->run.out);
  g_assert_cmpuint (json_array_get_length (json_node_get_array (root)), ==, 0);
  g_clear_pointer (&root, json_node_unref);

  vmgrctl (f, "snapshot", "create", "db", "running_one", "--description", "db up");
  assert_ok (f);
  /* Another VM's snapshots are not listed. */
  vmgrctl (f, "snapshot", "create", "web", "elsewhere");
  assert_ok (f);

  vmgrctl (f, "snapshot", "list", "db");
  assert_ok (f);
  g_assert_cmpstr (f->run.out, ==,
                   "NAME         CREATED              STATE    PARENT  DESCRIPTION\n"
                   "running_one  2023-11-14 22:13:20  running  -       db up\n");

  vmgrctl (f, "snapshot", "list", "db", "--json");
  assert_ok (f);
  root = parse_json (f->run.out);
  g_assert_cmpuint (json_array_get_length (json_node_get_array (root)), ==, 1);
  first = json_array_get_object_element (json_node_get_array (root), 0);
  g_assert_cmpstr (json_object_get_string_member (first, "name"), ==, "running_one");
  g_assert_cmpstr (json_object_get_string_member (first, "description"), ==, "db up");
  g_assert_cmpstr (json_object_get_string_member (first, "state"), ==, "running");
  /* Missing values are null; times carry their unit (docs/json.md). */
  g_assert_true (json_object_get_null_member (first, "parent"));
  g_assert_cmpstr (json_object_get_string_member (first, "created_at"), ==,
                   "2023-11-14T22:13:20.000000Z");
  g_assert_cmpint (json_object_get_int_member (first, "created_at_usec"), ==,
                   G_GINT64_CONSTANT (1700000000000000));
  g_assert_true (json_object_get_null_member (first, "size"));
}

static void
test_revert_and_delete (Fixture *f, gconstpointer data)
{
  g_autoptr(JsonNode) root = NULL;

  vmgrctl (f, "snapshot", "create", "web", "kept");
  assert_ok (f);
  vmgrctl (f, "snapshot", "revert", "web", "kept");
  assert_ok (f);
  g_assert_cmpstr (f->fake->last_method, ==, "Revert");
  vmgrctl (f, "snapshot", "delete", "web", "kept");
  assert_ok (f);
  g_assert_cmpstr (f->fake->last_method, ==, "Delete");

  vmgrctl (f, "snapshot", "list", "web", "--json");
  root = parse_json (f->run.out);
  g_assert_cmpuint (json_array_get_length (json_node_get_array (root)), ==, 0);

  vmgrctl (f, "snapshot", "delete", "web", "kept");
  g_assert_cmpint (f->run.status, ==, VMGRCTL_EXIT_NOT_FOUND);
  g_assert_nonnull (strstr (f->run.err, "kept"));
  vmgrctl (f, "snapshot", "revert", "web", "no/such-name");
  g_assert_cmpint (f->run.status, ==, VMGRCTL_EXIT_NOT_FOUND);
  /* Nothing was asked of a snapshot: the VM was only looked up. */
  g_assert_cmpstr (f->fake->last_method, ==, "FindVM");
}

int
main (int argc, char **argv)
{
  fixture_test_init (&argc, &argv);

  add_test ("/vmgrctl/fake/snapshot-create", test_create);
  add_test ("/vmgrctl/fake/snapshot-list", test_list);
  add_test ("/vmgrctl/fake/snapshot-revert-and-delete", test_revert_and_delete);

  return g_test_run ();
}
