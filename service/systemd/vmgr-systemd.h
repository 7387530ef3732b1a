/* A client of systemd's service manager (org.freedesktop.systemd1) on one
 * bus connection: starts and stops units and follows each job to its end
 * (JobRemoved), lists units by pattern, escapes unit names as systemd
 * does. It knows systemd's D-Bus API only, nothing of VMs. Every call is
 * asynchronous.
 *
 * Signals:
 *   "availability-changed" (gboolean available): systemd's manager
 *     appeared on the bus (after Subscribe was sent) or left it; the first
 *     emission tells whether it is there at all
 *   "job-finished" (const char *unit, const char *verb, const char *result):
 *     a job this client queued ended; verb "start" or "stop", result as
 *     systemd's JobRemoved says ("done", "failed", "dependency", ...) or
 *     "error" when systemd refused the request */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define VMGR_SYSTEMD_BUS_NAME "org.freedesktop.systemd1"

#define VMGR_TYPE_SYSTEMD (vmgr_systemd_get_type ())
G_DECLARE_FINAL_TYPE (VmgrSystemd, vmgr_systemd, VMGR, SYSTEMD, GObject)

/* Watches for systemd's manager on @connection (the system bus, or in
 * tests the bus of a user instance). */
VmgrSystemd *vmgr_systemd_new (GDBusConnection *connection);

gboolean vmgr_systemd_is_available (VmgrSystemd *self);

/* StartUnit/StopUnit(@unit, "replace"); the outcome is logged and
 * announced with "job-finished". Ignored while systemd is absent. */
void vmgr_systemd_start_unit (VmgrSystemd *self, const char *unit);
void vmgr_systemd_stop_unit (VmgrSystemd *self, const char *unit);

/* ListUnitsByPatterns([], @patterns): the loaded units whose names match,
 * as a table unit name -> active state ("active", "inactive", ...). */
void vmgr_systemd_list_units_async (VmgrSystemd *self, const char * const *patterns,
                                    GCancellable *cancellable, GAsyncReadyCallback callback,
                                    gpointer user_data);
GHashTable *vmgr_systemd_list_units_finish (VmgrSystemd *self, GAsyncResult *result,
                                            GError **error);

/* @text escaped for use in a unit name as systemd-escape(1) does it: "/"
 * becomes "-", ASCII letters, digits, ":", "_" and "." (except a leading
 * one) stay, every other byte becomes "\xNN"; "" becomes "". */
char *vmgr_systemd_escape (const char *text);

/* PREFIX@ESCAPED-INSTANCE.SUFFIX, e.g. ("vmgr-vm", "101", "target"). */
char *vmgr_systemd_instance_unit (const char *prefix, const char *instance, const char *suffix);

/* Whether a unit in @active_state counts as up (active, activating,
 * reloading). */
gboolean vmgr_systemd_state_is_active (const char *active_state);

G_END_DECLS
