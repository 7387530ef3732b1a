/* The floor of a read: a minimal GDBus server on the same bus that answers
 * with a reply built once (vmgrd's own reply, captured), so that what it
 * costs is only GDBus and dbus-daemon carrying the same bytes. With an
 * inventory (a{oa{sa{sv}}}) it answers
 * org.freedesktop.DBus.ObjectManager.GetManagedObjects on
 * BENCH_INVENTORY_PATH (from its main loop, as vmgrd does); with a VM's
 * properties (a{sv}) it answers org.freedesktop.DBus.Properties.GetAll on
 * any path (in GDBus's worker thread, as vmgrd does a read it remembers).
 * It runs as `vmgr-bench --floor TYPE FILE` (FILE: the reply's serialized
 * GVariant of TYPE) and owns BENCH_FLOOR_NAME (the benchmark installs the
 * bus policy for it). */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define BENCH_FLOOR_NAME "org.vmgr.BenchFloor"
/* vmgrd's ObjectManager; the floor server answers on the same path. */
#define BENCH_INVENTORY_PATH "/org/vmgr"

typedef struct _BenchFloor BenchFloor;

/* Writes @reply ((a{oa{sa{sv}}}) or (a{sv})) into @dir and starts the
 * server; returns once it owns its name. */
BenchFloor *bench_floor_start (GDBusConnection *bus, const char *self_path, GVariant *reply,
                               const char *dir, GError **error);
void bench_floor_stop (BenchFloor *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BenchFloor, bench_floor_stop)

/* The server process: @argv starts after "--floor". Returns the exit status. */
int bench_floor_main (int argc, char **argv);

G_END_DECLS
