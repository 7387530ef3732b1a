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

  if (argc != 1)
    {
      g_printerr ("usage: vmgr-bench --floor FILE\n");
      return 1;
    }
  file = g_mapped_file_new (argv[0], FALSE, &error);
  bus = file != NULL ? g_bus_get_sync (G_BUS_TYPE_SYSTEM, NULL, &error) : NULL;
  if (bus == NULL)
    {
      g_printerr ("vmgr-bench floor: %s\n", error->message);
      return 1;
    }
  bytes = g_mapped_file_get_bytes (file);
  reply = g_variant_ref_sink (g_variant_new_from_bytes (G_VARIANT_TYPE ("(a{oa{sa{sv}}})"),
                                                        bytes, FALSE));
  node = g_dbus_node_info_new_for_xml (introspection_xml, &error);
  g_assert_no_error (error);
  if (g_dbus_connection_register_object (bus, BENCH_INVENTORY_PATH, node->interfaces[0], &vtable, reply, NULL,
                                         &error) == 0)
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
  self->proc = g_subprocess_new (G_SUBPROCESS_FLAGS_NONE, error, self_path, "--floor", path,
                                 NULL);
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
