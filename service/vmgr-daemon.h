/* The daemon: owns the store, the backend, the exported objects and the
 * authorization pieces, reconciles the store with libvirt at start, and
 * routes libvirt's events to the VM objects. */
#pragma once

#include <gio/gio.h>

#include "vmgr-auth.h"
#include "vmgr-backend.h"
#include "vmgr-config.h"
#include "vmgr-limits.h"
#include "vmgr-provision.h"
#include "vmgr-store.h"

G_BEGIN_DECLS

typedef struct _VmgrVm VmgrVm;
typedef struct _VmgrCustomer VmgrCustomer;
typedef struct _VmgrJob VmgrJob;

#define VMGR_TYPE_DAEMON (vmgr_daemon_get_type ())
G_DECLARE_FINAL_TYPE (VmgrDaemon, vmgr_daemon, VMGR, DAEMON, GObject)

/* Opens the store (seeding the default plans and templates on first
 * start) and connects to libvirt. @connection is where objects go. */
VmgrDaemon *vmgr_daemon_new (const VmgrConfig *config, GDBusConnection *connection,
                             GError **error);

/* Reconciles the store with libvirt (defining again what libvirt lacks),
 * creates and exports every object, and starts autostart VMs. */
void vmgr_daemon_start_async (VmgrDaemon *self, GAsyncReadyCallback callback,
                              gpointer user_data);
gboolean vmgr_daemon_start_finish (VmgrDaemon *self, GAsyncResult *result, GError **error);

/* Unexports everything; used before the daemon quits. */
void vmgr_daemon_stop (VmgrDaemon *self);

const VmgrConfig *vmgr_daemon_get_config (VmgrDaemon *self);
VmgrStore *vmgr_daemon_get_store (VmgrDaemon *self);
VmgrBackend *vmgr_daemon_get_backend (VmgrDaemon *self);
VmgrAuth *vmgr_daemon_get_auth (VmgrDaemon *self);

VmgrVm *vmgr_daemon_find_vm (VmgrDaemon *self, guint32 id);
VmgrVm *vmgr_daemon_find_vm_by_name (VmgrDaemon *self, const char *name);
VmgrVm *vmgr_daemon_find_vm_by_uuid (VmgrDaemon *self, const char *uuid);
/* Every VM, ordered by id (element type VmgrVm*, not owned). */
GPtrArray *vmgr_daemon_list_vms (VmgrDaemon *self);

/* Whether @name or @id is used by a VM or by a creation under way. */
gboolean vmgr_daemon_vm_name_taken (VmgrDaemon *self, const char *name);
gboolean vmgr_daemon_vm_id_taken (VmgrDaemon *self, guint32 id);
/* Marks a VM's name, id and resources as taken while its creation is
 * under way. */
void vmgr_daemon_reserve (VmgrDaemon *self, const VmgrVmSpec *spec);
void vmgr_daemon_release (VmgrDaemon *self, const VmgrVmSpec *spec);
/* The lowest free id >= 101, counting reservations. */
guint32 vmgr_daemon_next_vm_id (VmgrDaemon *self);

/* Whether @spec (replacing @old, NULL for a new VM) is within what the
 * backend can do, what the host has left and its owner's quota. */
gboolean vmgr_daemon_check_limits (VmgrDaemon *self, const VmgrVmSpec *old,
                                   const VmgrVmSpec *spec, GError **error);
/* What the VMs of @owner use (every VM when @owner is G_MAXUINT32). */
VmgrAllocation vmgr_daemon_allocation (VmgrDaemon *self, guint32 owner);
const VmgrCapacity *vmgr_daemon_get_capacity (VmgrDaemon *self);
const VmgrHostInfo *vmgr_daemon_get_host_info (VmgrDaemon *self);

/* Exports a new VM object (the daemon takes a reference). */
void vmgr_daemon_add_vm (VmgrDaemon *self, VmgrVm *vm);
/* Unexports and forgets the VM. */
void vmgr_daemon_remove_vm (VmgrDaemon *self, guint32 id);
/* The VM's owner changed: drop cached decisions, route its signals, show
 * both customers' allocations. */
void vmgr_daemon_vm_owner_changed (VmgrDaemon *self, VmgrVm *vm, guint32 old_owner);
/* Shows what the VMs of @uid use on its Customer object, if registered. */
void vmgr_daemon_refresh_allocation (VmgrDaemon *self, guint32 uid);

/* The template's source for @spec ("" when none). */
char *vmgr_daemon_template_source (VmgrDaemon *self, const VmgrVmSpec *spec);
/* Where @spec's own files are (see vmgr-provision.h). */
VmgrGuestFiles *vmgr_daemon_guest_files (VmgrDaemon *self, const VmgrVmSpec *spec);
/* The libvirt definition of @spec on this backend. */
char *vmgr_daemon_build_definition (VmgrDaemon *self, const VmgrVmSpec *spec, GError **error);

/* Real guests on a libvirt network get @spec's first IPv4 address from its
 * DHCP server; with @keep FALSE (or no IPv4 address) the reservation goes. */
void vmgr_daemon_reserve_address (VmgrDaemon *self, const VmgrVmSpec *spec, gboolean keep);

/* Jobs: a new exported job about VM @vm_id (visible like that VM). */
VmgrJob *vmgr_daemon_start_job (VmgrDaemon *self, guint32 vm_id, guint32 owner,
                                const char *operation, guint32 started_by);
void vmgr_daemon_remove_job (VmgrDaemon *self, VmgrJob *job);

/* Registered customers. */
VmgrCustomer *vmgr_daemon_find_customer (VmgrDaemon *self, guint32 uid);
/* Ordered by uid (element type VmgrCustomer*, not owned). */
GPtrArray *vmgr_daemon_list_customers (VmgrDaemon *self);
void vmgr_daemon_add_customer (VmgrDaemon *self, VmgrCustomer *customer);
void vmgr_daemon_remove_customer (VmgrDaemon *self, guint32 uid);

G_END_DECLS
