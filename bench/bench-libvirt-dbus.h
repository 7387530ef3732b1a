/* libvirt-dbus on the harness's private system bus, for comparison.
 *
 * libvirt-dbus has no option for the libvirt URI: it serves one object per
 * driver it knows and opens each connection on first use; test:///default
 * is the object /org/libvirt/Test (org.libvirt.Connect), in-process like
 * vmgrd's backend. It runs as its packaged user (libvirtdbus), as the
 * packaged activation file does.
 *
 * Bus policy: the harness's bus config has an <includedir> at
 * $VMGR_TESTBUS_DIR/system.d (see tests/harness/testbus.sh) that holds the
 * project's org.vmgr.conf; bench_bus_policy_install () drops more policy
 * files there and makes the bus reload its configuration. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define BENCH_LIBVIRT_DBUS_NAME "org.libvirt"
#define BENCH_LIBVIRT_DBUS_TEST_PATH "/org/libvirt/Test"
#define BENCH_LIBVIRT_DBUS_PACKAGED_POLICY "/usr/share/dbus-1/system.d/org.libvirt.conf"

/* Writes $VMGR_TESTBUS_DIR/system.d/@name (mode 0644, atomically) and calls
 * org.freedesktop.DBus.ReloadConfig on @bus (the caller must be root). */
gboolean bench_bus_policy_install (GDBusConnection *bus, const char *name,
                                   const char *contents, GError **error);

typedef struct _BenchLibvirtDbus BenchLibvirtDbus;

/* org.freedesktop.DBus.NameHasOwner; FALSE when the bus cannot say. */
gboolean bench_bus_name_has_owner (GDBusConnection *bus, const char *name);

/* Starts /usr/sbin/libvirt-dbus --system as user libvirtdbus (output in
 * $VMGR_TESTBUS_DIR/libvirt-dbus.log) and waits until it owns org.libvirt.
 * The bus policy must already let it own the name. */
BenchLibvirtDbus *bench_libvirt_dbus_start (GDBusConnection *bus, GError **error);

/* Its process id, as this process sees it. */
GPid bench_libvirt_dbus_get_pid (BenchLibvirtDbus *self);

/* SIGTERM, wait a little, SIGKILL if needed. NULL is ok. */
void bench_libvirt_dbus_stop (BenchLibvirtDbus *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BenchLibvirtDbus, bench_libvirt_dbus_stop)

/* The object path of the test driver's domain @name
 * (org.libvirt.Connect.DomainLookupByName on /org/libvirt/Test). */
char *bench_libvirt_dbus_domain_path (GDBusConnection *bus, const char *name, GError **error);

G_END_DECLS
