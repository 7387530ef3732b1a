/* The daemon: builds every part and wires them together. It owns the
 * configuration, the store, the backend, the bus pieces (peers,
 * authorization, dispatch), the ledger, the registry of exported objects,
 * the Manager, the reconciler, the sampler and the VM units; none of them knows it. */
#pragma once

#include <gio/gio.h>

#include "vmgr-config.h"

G_BEGIN_DECLS

#define VMGR_TYPE_DAEMON (vmgr_daemon_get_type ())
G_DECLARE_FINAL_TYPE (VmgrDaemon, vmgr_daemon, VMGR, DAEMON, GObject)

/* Opens the store (seeding the default plans and templates on first
 * start) and connects to libvirt. @connection is where objects go. */
VmgrDaemon *vmgr_daemon_new (const VmgrConfig *config, GDBusConnection *connection,
                             GError **error);

/* Where to find systemd's manager for the vmgr-vm@.target units (see
 * vmgr-vm-units.h); by default on @connection. Call before starting. */
void vmgr_daemon_set_systemd_connection (VmgrDaemon *self, GDBusConnection *connection);

/* Reconciles the store with libvirt (defining again what libvirt lacks),
 * exports every object on the connection, and starts autostart VMs. */
void vmgr_daemon_start_async (VmgrDaemon *self, GAsyncReadyCallback callback,
                              gpointer user_data);
gboolean vmgr_daemon_start_finish (VmgrDaemon *self, GAsyncResult *result, GError **error);

/* Unexports everything; used before the daemon quits. */
void vmgr_daemon_stop (VmgrDaemon *self);

G_END_DECLS
