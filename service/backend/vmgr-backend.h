/* The one module that talks to libvirt. Knows nothing of D-Bus.
 *
 * One long-lived connection (libvirt-glib's event loop is registered before
 * it opens, so lifecycle events arrive on the GLib main loop). Every call
 * that can take time runs in a worker thread (GTask) and completes on the
 * caller's main context. Errors are VMGR_ERROR_HYPERVISOR (message from
 * libvirt), VMGR_ERROR_NOT_FOUND (no such domain) or
 * VMGR_ERROR_NOT_SUPPORTED (the driver cannot do it). Domains are addressed
 * by UUID. */
#pragma once

#include <gio/gio.h>

#include "vmgr-records.h"

G_BEGIN_DECLS


typedef enum {
  VMGR_BACKEND_OP_START,
  VMGR_BACKEND_OP_SHUTDOWN,  /* graceful request; returns when accepted */
  VMGR_BACKEND_OP_DESTROY,   /* force off */
  VMGR_BACKEND_OP_REBOOT,
  VMGR_BACKEND_OP_SUSPEND,
  VMGR_BACKEND_OP_RESUME,
  VMGR_BACKEND_OP_UNDEFINE,  /* destroys first if running; removes snapshots/managed save metadata */
  VMGR_BACKEND_OP_SAVE,      /* managed save: the guest's state to a file, then off */
} VmgrBackendOp;

#define VMGR_TYPE_BACKEND (vmgr_backend_get_type ())
G_DECLARE_FINAL_TYPE (VmgrBackend, vmgr_backend, VMGR, BACKEND, GObject)

/* Registers libvirt-glib's event loop (once per process) and opens @uri.
 * Called once at startup; may block briefly. */
VmgrBackend *vmgr_backend_new (const char *uri, GError **error);
/* A backend for @uri that connects in a worker thread, never blocking the
 * caller: disconnected until then, and reconnecting with backoff (as
 * after a loss) while @uri cannot be reached; "connection-restored" is
 * emitted once it is connected. */
VmgrBackend *vmgr_backend_new_unconnected (const char *uri);
const char *vmgr_backend_get_uri (VmgrBackend *self);
/* The name of the host @self connects to, for errors while it is not
 * connected ("host NAME is not connected (URI): why"). */
void vmgr_backend_set_host_name (VmgrBackend *self, const char *name);
/* FALSE with the error every call gets while not connected (Hypervisor). */
gboolean vmgr_backend_check_connected (VmgrBackend *self, GError **error);
/* The URI scheme: "test", "lxc", "qemu", ... */
const char *vmgr_backend_get_scheme (VmgrBackend *self);
/* NULL-terminated; what this driver can do (see the contract). */
const char * const *vmgr_backend_get_capabilities (VmgrBackend *self);
gboolean vmgr_backend_has_capability (VmgrBackend *self, const char *capability);

/* Defines (or redefines) a persistent domain from @domain_xml. */
void vmgr_backend_define_async (VmgrBackend *self, const char *domain_xml,
                                GCancellable *cancellable,
                                GAsyncReadyCallback callback, gpointer user_data);
gboolean vmgr_backend_define_finish (VmgrBackend *self, GAsyncResult *result, GError **error);

/* A lifecycle operation on the domain with @uuid. */
void vmgr_backend_op_async (VmgrBackend *self, const char *uuid, VmgrBackendOp op,
                            GCancellable *cancellable,
                            GAsyncReadyCallback callback, gpointer user_data);
gboolean vmgr_backend_op_finish (VmgrBackend *self, GAsyncResult *result, GError **error);

/* Sets autostart on the domain (persistent config). */
void vmgr_backend_set_autostart_async (VmgrBackend *self, const char *uuid, gboolean autostart,
                                       GCancellable *cancellable,
                                       GAsyncReadyCallback callback, gpointer user_data);
gboolean vmgr_backend_set_autostart_finish (VmgrBackend *self, GAsyncResult *result, GError **error);

/* The current state of every domain: a GHashTable from UUID string to
 * VmgrBackendDomainState* (owned by the table). */
typedef struct {
  VmgrVmState state;
  char *reason;             /* "booted", "user", "destroyed", ... */
  char *name;
  char *xml;                /* the persistent definition; only from list_definitions */
  gboolean autostart;       /* libvirt's flag; only from list_definitions */
} VmgrBackendDomainState;

void vmgr_backend_list_states_async (VmgrBackend *self, GCancellable *cancellable,
                                     GAsyncReadyCallback callback, gpointer user_data);
GHashTable *vmgr_backend_list_states_finish (VmgrBackend *self, GAsyncResult *result,
                                             GError **error);
/* As list_states, each with its persistent (inactive) definition: for
 * listing and adopting domains vmgr does not manage. */
void vmgr_backend_list_definitions_async (VmgrBackend *self, GCancellable *cancellable,
                                          GAsyncReadyCallback callback, gpointer user_data);
GHashTable *vmgr_backend_list_definitions_finish (VmgrBackend *self, GAsyncResult *result,
                                                  GError **error);

/* ---- Snapshots (vmgr-backend-snapshots.c) ---- */

typedef struct {
  char *name;
  char *description;        /* "" when none */
  gint64 creation_time;     /* microseconds since the epoch */
  char *state;              /* what it captured: "running", "paused" or "stopped" */
  guint64 size;             /* bytes; 0: libvirt does not tell */
  char *parent;             /* the parent's name, "" when none */
} VmgrBackendSnapshot;

void vmgr_backend_snapshot_free (VmgrBackendSnapshot *snapshot);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VmgrBackendSnapshot, vmgr_backend_snapshot_free)

typedef enum {
  VMGR_BACKEND_SNAPSHOT_LIST,
  VMGR_BACKEND_SNAPSHOT_CREATE,   /* @name, @description */
  VMGR_BACKEND_SNAPSHOT_REVERT,   /* @name */
  VMGR_BACKEND_SNAPSHOT_DELETE,   /* @name */
} VmgrBackendSnapshotOp;

/* Runs @op on the domain with @uuid, then lists its snapshots. Without the
 * "snapshots" capability the list is empty and the rest NOT_SUPPORTED; an
 * unknown snapshot is NOT_FOUND. */
void vmgr_backend_snapshot_async (VmgrBackend *self, const char *uuid, VmgrBackendSnapshotOp op,
                                  const char *name, const char *description,
                                  GCancellable *cancellable,
                                  GAsyncReadyCallback callback, gpointer user_data);
/* The domain's snapshots after the operation (VmgrBackendSnapshot*, oldest
 * first); after a revert, the domain's state in @state_after and
 * "from-snapshot" in @reason_after (else UNKNOWN and NULL). */
GPtrArray *vmgr_backend_snapshot_finish (VmgrBackend *self, GAsyncResult *result,
                                         VmgrVmState *state_after, char **reason_after,
                                         GError **error);

/* ---- Resources, statistics and host (vmgr-backend-resources.c,
 * vmgr-backend-stats.c) ---- */

typedef enum {
  VMGR_RESOURCE_MEMORY      = 1 << 0,  /* memory size (balloon): memory_limit */
  VMGR_RESOURCE_MEMORY_TUNE = 1 << 1,  /* memtune: soft limit, hard limit, guarantee */
  VMGR_RESOURCE_VCPUS       = 1 << 2,
  VMGR_RESOURCE_CPU_WEIGHT  = 1 << 3,
  VMGR_RESOURCE_CPU_LIMIT   = 1 << 4,
} VmgrLiveResources;

/* Applies the @what resources of @spec to the running domain @uuid (live
 * only; the persistent definition is written with define_async). Settings
 * the driver cannot change live are skipped, not faked; the finish function
 * says which were applied. A domain that is not running applies nothing
 * and is no error. */
void vmgr_backend_apply_live_async (VmgrBackend *self, const char *uuid,
                                    const VmgrVmSpec *spec, VmgrLiveResources what,
                                    GCancellable *cancellable,
                                    GAsyncReadyCallback callback, gpointer user_data);
gboolean vmgr_backend_apply_live_finish (VmgrBackend *self, GAsyncResult *result,
                                         VmgrLiveResources *applied, GError **error);

/* One sample of a domain. Fields not measurable on the driver are 0 and
 * their has_ flag FALSE. */
typedef struct {
  gboolean running;
  gboolean has_cpu, has_memory, has_disk, has_network;
  guint64 cpu_time_ns;
  guint64 memory_used;      /* bytes the guest uses (RSS or balloon minus unused) */
  guint64 disk_used;        /* bytes allocated on the VM's disks */
  guint64 net_rx_bytes;
  guint64 net_tx_bytes;
  gint64 sampled_at;        /* g_get_real_time () when taken */
  gint64 sampled_mono;      /* g_get_monotonic_time () when taken */
} VmgrDomainStats;

/* Samples the domains with @uuids (NULL-terminated) in one worker thread:
 * in bulk (virConnectGetAllDomainStats) where the driver supports the stats
 * groups, one domain at a time otherwise. Returns a GHashTable from UUID to
 * VmgrDomainStats* (owned); unknown UUIDs are left out. */
void vmgr_backend_sample_async (VmgrBackend *self, const char * const *uuids,
                                GCancellable *cancellable,
                                GAsyncReadyCallback callback, gpointer user_data);
GHashTable *vmgr_backend_sample_finish (VmgrBackend *self, GAsyncResult *result,
                                        GError **error);

typedef struct {
  guint cpus;               /* logical CPUs of the hypervisor host */
  guint64 memory_total;     /* bytes */
  guint64 memory_free;      /* bytes; 0 when the driver does not say */
  char *cpu_model;
} VmgrHostInfo;

void vmgr_host_info_free (VmgrHostInfo *info);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VmgrHostInfo, vmgr_host_info_free)

void vmgr_backend_get_host_info_async (VmgrBackend *self, GCancellable *cancellable,
                                       GAsyncReadyCallback callback, gpointer user_data);
VmgrHostInfo *vmgr_backend_get_host_info_finish (VmgrBackend *self, GAsyncResult *result,
                                                 GError **error);

/* ---- Connection and console (vmgr-backend-connection.c,
 * vmgr-backend-console.c) ---- */

/* Whether the connection to libvirt is up. When it drops (libvirtd
 * restarted or died), the backend emits "connection-lost", reconnects with
 * backoff (1 s doubling to 30 s), and emits "connection-restored" once it
 * is back and events are registered again. Calls meanwhile fail at once
 * with VMGR_ERROR_HYPERVISOR "libvirt is unavailable: ...". */
gboolean vmgr_backend_is_connected (VmgrBackend *self);

/* Opens the domain's console (virDomainOpenConsole) and relays it through
 * a socket pair on the main loop; the result is the caller's end, a file
 * descriptor the caller owns. NOT_SUPPORTED where the driver has no
 * console, INVALID_STATE when the domain is not running. */
void vmgr_backend_open_console_async (VmgrBackend *self, const char *uuid,
                                      GCancellable *cancellable,
                                      GAsyncReadyCallback callback, gpointer user_data);
int vmgr_backend_open_console_finish (VmgrBackend *self, GAsyncResult *result, GError **error);

/* Reserves @ip (IPv4, no prefix) for @mac on the libvirt @network's DHCP
 * server, replacing what the MAC had; @ip NULL only removes. Live when the
 * network is active, and in its persistent definition. */
void vmgr_backend_reserve_address_async (VmgrBackend *self, const char *network,
                                         const char *mac, const char *hostname,
                                         const char *ip, GCancellable *cancellable,
                                         GAsyncReadyCallback callback, gpointer user_data);
gboolean vmgr_backend_reserve_address_finish (VmgrBackend *self, GAsyncResult *result,
                                              GError **error);

/* Keeps the DHCP reservation of @spec's first IPv4 address on @network
 * for real guests (nothing on the test driver or without a network); with
 * @keep FALSE, or no IPv4 address, the reservation goes. Failures are
 * logged: the VM works without its reservation. */
void vmgr_backend_reserve_vm_address (VmgrBackend *self, const char *network,
                                      const VmgrVmSpec *spec, gboolean keep);

/* Signals (emitted on the main context the backend was created on):
 *   "domain-state-changed" (const char *uuid, guint state (VmgrVmState), const char *reason)
 *     for every libvirt lifecycle event, whoever caused it.
 *   "domain-undefined" (const char *uuid) when a domain was undefined.
 *   "connection-lost" () and "connection-restored" () (see above). */

/* ---- Root images of containers (vmgr-backend-image.c) ----
   LXC guests whose root is an image (vmgr-image.h), seen through libvirt:
   the image named by the domain's <filesystem type='file'> at '/', and,
   while the container runs, its root as /proc/PID/root of its init. What
   needs the filesystem unmounted (debugfs, resize2fs, dumpe2fs) runs only
   while the container is down; while it runs, the mounted filesystem is
   used (statvfs, online resize, freeze). */

typedef enum {
  VMGR_GUEST_IMAGE_USAGE,          /* what its filesystem uses */
  VMGR_GUEST_IMAGE_RESIZE,         /* to the spec's disk_hard_limit (0: unchanged) */
  VMGR_GUEST_IMAGE_WRITE_NETWORK,  /* the spec's host name and network files */
  VMGR_GUEST_IMAGE_SYNC,           /* a running container's writes flushed to its image */
} VmgrGuestImageOp;

/* @op on the root image of the domain @spec->uuid; NOT_SUPPORTED when its
 * root is no image (a directory). RESIZE of a running container only
 * grows: online where it can, else at its next start (deferred);
 * shrinking it is INVALID_STATE. */
void vmgr_backend_guest_image_async (VmgrBackend *self, const VmgrVmSpec *spec,
                                     VmgrGuestImageOp op, GCancellable *cancellable,
                                     GAsyncReadyCallback callback, gpointer user_data);
/* @used: USAGE's bytes; @deferred: RESIZE waits for the next start. */
gboolean vmgr_backend_guest_image_finish (VmgrBackend *self, GAsyncResult *result,
                                          guint64 *used, gboolean *deferred, GError **error);

G_END_DECLS
