/* Unit tests for vmgr-error.c: every VmgrError code travels over D-Bus as
 * its org.vmgr.Error.* name and comes back as the same domain and code. */
#include <string.h>
#include <sys/socket.h>

#include <gio/gio.h>

#include "vmgr-error.h"

static const struct {
  VmgrError code;
  const char *name;
} error_names[] = {
  { VMGR_ERROR_NOT_AUTHORIZED, "org.vmgr.Error.NotAuthorized" },
  { VMGR_ERROR_NOT_FOUND, "org.vmgr.Error.NotFound" },
  { VMGR_ERROR_INVALID_ARGUMENT, "org.vmgr.Error.InvalidArgument" },
  { VMGR_ERROR_ALREADY_EXISTS, "org.vmgr.Error.AlreadyExists" },
  { VMGR_ERROR_INVALID_STATE, "org.vmgr.Error.InvalidState" },
  { VMGR_ERROR_QUOTA_EXCEEDED, "org.vmgr.Error.QuotaExceeded" },
  { VMGR_ERROR_NOT_SUPPORTED, "org.vmgr.Error.NotSupported" },
  { VMGR_ERROR_BUSY, "org.vmgr.Error.Busy" },
  { VMGR_ERROR_HYPERVISOR, "org.vmgr.Error.Hypervisor" },
  { VMGR_ERROR_FAILED, "org.vmgr.Error.Failed" },
};

G_STATIC_ASSERT (G_N_ELEMENTS (error_names) == VMGR_ERROR_FAILED + 1);

static void
test_quark (void)
{
  GQuark quark = VMGR_ERROR;

  g_assert_cmpuint (quark, !=, 0);
  g_assert_cmpuint (quark, ==, vmgr_error_quark ());
  g_assert_cmpstr (g_quark_to_string (quark), ==, "vmgr-error-quark");
}

static void
test_dbus_name (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (error_names); i++)
    {
      g_assert_cmpstr (vmgr_error_dbus_name (error_names[i].code), ==,
                       error_names[i].name);
      g_assert_true (g_dbus_is_error_name (error_names[i].name));
    }
}

/* GError -> D-Bus name, the way GDBus does it when a method fails. */
static void
test_encode (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (error_names); i++)
    {
      g_autoptr(GError) error = g_error_new (VMGR_ERROR, (int) error_names[i].code,
                                             "failure %u", i);
      g_autofree char *name = g_dbus_error_encode_gerror (error);

      g_assert_cmpstr (name, ==, error_names[i].name);
    }
}

/* D-Bus name -> GError, the way a client sees a failed call. */
static void
test_decode (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (error_names); i++)
    {
      g_autoptr(GError) error = g_dbus_error_new_for_dbus_error (error_names[i].name,
                                                                 "it failed");
      g_autofree char *remote = NULL;

      g_assert_error (error, VMGR_ERROR, (int) error_names[i].code);
      g_assert_true (g_dbus_error_is_remote_error (error));
      remote = g_dbus_error_get_remote_error (error);
      g_assert_cmpstr (remote, ==, error_names[i].name);
      g_assert_true (g_dbus_error_strip_remote_error (error));
      g_assert_cmpstr (error->message, ==, "it failed");
    }
}

/* GError -> name -> GError gives the same domain, code and message. */
static void
test_round_trip_local (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (error_names); i++)
    {
      g_autoptr(GError) error = g_error_new (VMGR_ERROR, (int) error_names[i].code,
                                             "message %u", i);
      g_autofree char *name = g_dbus_error_encode_gerror (error);
      g_autoptr(GError) back = g_dbus_error_new_for_dbus_error (name, error->message);

      g_assert_error (back, error->domain, error->code);
      g_dbus_error_strip_remote_error (back);
      g_assert_cmpstr (back->message, ==, error->message);
    }
}

/* A name in our namespace that vmgr does not know stays a plain D-Bus
 * error: nothing is mapped by prefix. */
static void
test_unknown_name (void)
{
  g_autoptr(GError) error = g_dbus_error_new_for_dbus_error ("org.vmgr.Error.Bogus",
                                                             "what");
  g_autofree char *remote = NULL;

  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_DBUS_ERROR);
  remote = g_dbus_error_get_remote_error (error);
  g_assert_cmpstr (remote, ==, "org.vmgr.Error.Bogus");
}

/* --- through a real D-Bus connection ----------------------------------- */

static const char test_interface_xml[] =
  "<node>"
  "  <interface name='org.vmgr.Test'>"
  "    <method name='Fail'>"
  "      <arg type='u' name='code' direction='in'/>"
  "    </method>"
  "  </interface>"
  "</node>";

static void
handle_method_call (GDBusConnection *connection, const char *sender,
                    const char *object_path, const char *interface_name,
                    const char *method_name, GVariant *parameters,
                    GDBusMethodInvocation *invocation, gpointer user_data)
{
  guint32 code = 0;

  g_variant_get (parameters, "(u)", &code);
  g_dbus_method_invocation_return_error (invocation, VMGR_ERROR, (int) code,
                                         "failure with code %u", code);
}

static const GDBusInterfaceVTable test_vtable = { handle_method_call, NULL, NULL };

static void
connection_ready (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GDBusConnection **out = user_data;
  g_autoptr(GError) error = NULL;

  *out = g_dbus_connection_new_finish (result, &error);
  g_assert_no_error (error);
}

static void
call_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GError **out = user_data;
  g_autoptr(GVariant) reply = NULL;

  reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, out);
  g_assert_null (reply);
  g_assert_nonnull (*out);
}

static GIOStream *
stream_for_fd (int fd)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocket) sock = g_socket_new_from_fd (fd, &error);

  g_assert_no_error (error);
  return G_IO_STREAM (g_socket_connection_factory_create_connection (sock));
}

/* A peer-to-peer connection over a socket pair: the server side exports
 * org.vmgr.Test.Fail, which fails with the VmgrError code it is given. */
static void
test_round_trip_bus (void)
{
  g_autoptr(GDBusNodeInfo) node = NULL;
  g_autoptr(GDBusConnection) server = NULL;
  g_autoptr(GDBusConnection) client = NULL;
  g_autoptr(GIOStream) server_stream = NULL;
  g_autoptr(GIOStream) client_stream = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *guid = g_dbus_generate_guid ();
  guint registration;
  int fds[2];

  g_assert_cmpint (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), ==, 0);
  server_stream = stream_for_fd (fds[0]);
  client_stream = stream_for_fd (fds[1]);

  g_dbus_connection_new (server_stream, guid,
                         G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_SERVER,
                         NULL, NULL, connection_ready, &server);
  g_dbus_connection_new (client_stream, NULL,
                         G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT,
                         NULL, NULL, connection_ready, &client);
  while (server == NULL || client == NULL)
    g_main_context_iteration (NULL, TRUE);

  node = g_dbus_node_info_new_for_xml (test_interface_xml, &error);
  g_assert_no_error (error);
  registration = g_dbus_connection_register_object (server, "/org/vmgr/Test",
                                                    node->interfaces[0],
                                                    &test_vtable, NULL, NULL,
                                                    &error);
  g_assert_no_error (error);
  g_assert_cmpuint (registration, >, 0);

  for (guint i = 0; i < G_N_ELEMENTS (error_names); i++)
    {
      g_autoptr(GError) call_error = NULL;
      g_autofree char *remote = NULL;
      g_autofree char *expected_message = g_strdup_printf ("failure with code %u",
                                                           (guint) error_names[i].code);

      g_dbus_connection_call (client, NULL, "/org/vmgr/Test", "org.vmgr.Test",
                              "Fail", g_variant_new ("(u)", (guint32) error_names[i].code),
                              NULL, G_DBUS_CALL_FLAGS_NONE, 10000, NULL,
                              call_done, &call_error);
      while (call_error == NULL)
        g_main_context_iteration (NULL, TRUE);

      g_assert_error (call_error, VMGR_ERROR, (int) error_names[i].code);
      remote = g_dbus_error_get_remote_error (call_error);
      g_assert_cmpstr (remote, ==, error_names[i].name);
      g_dbus_error_strip_remote_error (call_error);
      g_assert_cmpstr (call_error->message, ==, expected_message);
    }

  g_assert_true (g_dbus_connection_unregister_object (server, registration));
  g_assert_true (g_dbus_connection_close_sync (client, NULL, &error));
  g_assert_no_error (error);
  /* Let the server notice; closing it too may race with that. */
  while (!g_dbus_connection_is_closed (server))
    g_main_context_iteration (NULL, TRUE);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  /* Registers the domain with GDBus, as the daemon and clients must do
   * before the first error crosses the bus. */
  (void) VMGR_ERROR;

  g_test_add_func ("/error/quark", test_quark);
  g_test_add_func ("/error/dbus-name", test_dbus_name);
  g_test_add_func ("/error/encode", test_encode);
  g_test_add_func ("/error/decode", test_decode);
  g_test_add_func ("/error/round-trip/local", test_round_trip_local);
  g_test_add_func ("/error/unknown-name", test_unknown_name);
  g_test_add_func ("/error/round-trip/bus", test_round_trip_bus);

  return g_test_run ();
}
