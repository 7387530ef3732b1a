/* The fake-daemon tests' fixture (see fake-fixture.h). */
#include "fake-fixture.h"

#include <signal.h>

#include "vmgrctl-errors.h"

void
fixture_test_init (int *argc, char ***argv)
{
  g_setenv ("TZ", "UTC", TRUE);
  g_test_init (argc, argv, NULL);
}

void
fixture_setup_bus (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  f->bus = g_test_dbus_new (G_TEST_DBUS_NONE);
  g_test_dbus_up (f->bus);
  f->address = g_test_dbus_get_bus_address (f->bus);
  f->connection = g_dbus_connection_new_for_address_sync (
    f->address,
    G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT | G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
    NULL, NULL, &error);
  g_assert_no_error (error);
}

void
fixture_setup (Fixture *f, gconstpointer data)
{
  fixture_setup_bus (f, data);
  f->fake = fake_vmgrd_new (f->connection);
}

void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_clear_pointer (&f->fake, fake_vmgrd_free);
  g_dbus_connection_close_sync (f->connection, NULL, NULL);
  g_clear_object (&f->connection);
  g_test_dbus_down (f->bus);
  g_clear_object (&f->bus);
  test_run_clear (&f->run);
}

JsonNode *
parse_json (const char *text)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  json_parser_load_from_data (parser, text, -1, &error);
  g_assert_no_error (error);
  return json_node_copy (json_parser_get_root (parser));
}

void
hook_run_jobs (GSubprocess *process, gpointer fixture)
{
  Fixture *f = fixture;

  fake_vmgrd_run_jobs (f->fake);
}

void
hook_interrupt (GSubprocess *process, gpointer fixture)
{
  g_subprocess_send_signal (process, SIGINT);
}

void
assert_ok (Fixture *f)
{
  g_assert_cmpint (f->run.status, ==, VMGRCTL_EXIT_OK);
  g_assert_cmpstr (f->run.err, ==, "");
}
