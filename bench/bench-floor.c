/* bench-floor.c: the prebuilt GetManagedObjects server (see the header). */
#include "bench-floor.h"

#include <signal.h>

#include "bench-libvirt-dbus.h"

#define FLOOR_POLICY_FILE "vmgr-bench-floor.conf"
#define FLOOR_POLICY \
  "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN\"\n" \
  " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n" \
  "<!-- vmgr-bench only: the prebuilt inventory server. -->\n" \
  "<busconfig>\n" \
  "  <policy user=\"root\"><allow own=\"" BENCH_FLOOR_NAME "\"/></policy>\n" \
  "  <policy context=\"default\">\n" \
  "    <allow send_destination=\"" BENCH_FLOOR_NAME "\"/>\n" \
  "  </policy>\n" \
  "</busconfig>\n"
#define POLL_MS 10
#define START_TIMEOUT_MS 10000

static const char introspection_xml[] =
  "<node><interface name='org.freedesktop.DBus.ObjectManager'>"
  "<method name='GetManagedObjects'>"
  "<arg name='objects' type='a{oa{sa{sv}}}' direction='out'/>"
  "</method></interface></node>";

struct _BenchFloor {
  GSubprocess *proc;
};

/* ---- the server process ---------------------------------------------------- */

static void
on_method_call (GDBusConnection *bus, const char *sender, const char *path,
                const char *interface, const char *method, GVariant *parameters,
                GDBusMethodInvocation *invocation, gpointer reply)
{
  g_dbus_method_invocation_return_value (invocation, g_variant_ref (reply));
}

static GDBusMessage *
answer_get_all (GDBusConnection *bus, GDBusMessage *message, gboolean incoming, gpointer reply)
{
  g_autoptr(GDBusMessage) answer = NULL;

  if (!incoming || g_dbus_message_get_message_type (message) != G_DBUS_MESSAGE_TYPE_METHOD_CALL ||
      g_strcmp0 (g_dbus_message_get_interface (message), "org.freedesktop.DBus.Properties") != 0 ||
      g_strcmp0 (g_dbus_message_get_member (message), "GetAll") != 0)
    return message;
  answer = g_dbus_message_new_method_reply (message);
  g_dbus_message_set_body (answer, reply);
  g_dbus_connection_send_message (bus, answer, G_DBUS_SEND_MESSAGE_FLAGS_NONE, NULL, NULL);
  g_object_unref (message);
  return NULL;
}

int
bench_floor_main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GMappedFile) file = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GDBusConnection) bus = NULL;
  g_autoptr(GDBusNodeInfo) node = NULL;
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  const GDBusInterfaceVTable vtable = { on_method_call, NULL, NULL, { 0 } };

  if (argc != 2 || !g_variant_type_string_is_valid (argv[0]))
    {
      g_printerr ("usage: vmgr-bench --floor TYPE FILE\n");
      return 1;
    }
  file = g_mapped_file_new (argv[1], FALSE, &error);
  bus = file != NULL ? g_bus_get_sync (G_BUS_TYPE_SYSTEM, NULL, &error) : NULL;
  if (bus == NULL)
    {
      g_printerr ("vmgr-bench floor: %s\n", error->message);
      return 1;
    }
  bytes = g_mapped_file_get_bytes (file);
  reply = g_variant_ref_sink (g_variant_new_from_bytes (G_VARIANT_TYPE (argv[0]), bytes, FALSE));
  node = g_dbus_node_info_new_for_xml (introspection_xml, &error);
  g_assert_no_error (error);
  if (g_variant_is_of_type (reply, G_VARIANT_TYPE ("(a{sv})")))
    g_dbus_connection_add_filter (bus, answer_get_all, reply, NULL);
  else if (g_dbus_connection_register_object (bus, BENCH_INVENTORY_PATH, node->interfaces[0],
                                              &vtable, reply, NULL, &error) == 0)
    {
      g_printerr ("vmgr-bench floor: %s\n", error->message);
      return 1;
    }
  g_bus_own_name_on_connection (bus, BENCH_FLOOR_NAME, G_BUS_NAME_OWNER_FLAGS_NONE, NULL, NULL,
                                NULL, NULL);
  g_main_loop_run (loop);  /* until SIGTERM */
  return 0;
}

/* ---- the parent's side ------------------------------------------------------ */

BenchFloor *
bench_floor_start (GDBusConnection *bus, const char *self_path, GVariant *reply,
                   const char *dir, GError **error)
{
  g_autoptr(BenchFloor) self = g_new0 (BenchFloor, 1);
  g_autofree char *path = g_build_filename (dir, "floor-reply.bin", NULL);

  if (!bench_bus_policy_install (bus, FLOOR_POLICY_FILE, FLOOR_POLICY, error) ||
      !g_file_set_contents (path, g_variant_get_data (reply), (gssize) g_variant_get_size (reply),
                            error))
    return NULL;
  self->proc = g_subprocess_new (G_SUBPROCESS_FLAGS_NONE, error, self_path, "--floor",
                                 g_variant_get_type_string (reply), path, NULL);
  if (self->proc == NULL)
    return NULL;
  for (guint waited = 0; waited < START_TIMEOUT_MS; waited += POLL_MS)
    {
      if (bench_bus_name_has_owner (bus, BENCH_FLOOR_NAME))
        return g_steal_pointer (&self);
      g_usleep (POLL_MS * 1000);
    }
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "the floor server did not own %s",
               BENCH_FLOOR_NAME);
  return NULL;
}

void
bench_floor_stop (BenchFloor *self)
{
  if (self == NULL)
    return;
  if (self->proc != NULL)
    {
      g_subprocess_send_signal (self->proc, SIGTERM);
      g_subprocess_wait (self->proc, NULL, NULL);
      g_clear_object (&self->proc);
    }
  g_free (self);
}
