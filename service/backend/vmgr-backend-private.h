/* What the parts of the libvirt backend share (vmgr-backend.c,
 * vmgr-backend-domains.c, vmgr-backend-resources.c, vmgr-backend-stats.c,
 * vmgr-backend-connection.c, vmgr-backend-console.c). Not for other
 * modules: they use vmgr-backend.h. The helpers are meant for worker
 * threads: libvirt's last error is per thread, so report it in the thread
 * that saw the failure. */
#pragma once

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "vmgr-backend.h"

G_BEGIN_DECLS

typedef virDomain VmgrVirDomain;

static inline void
vmgr_vir_domain_release (VmgrVirDomain *domain)
{
  virDomainFree (domain);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VmgrVirDomain, vmgr_vir_domain_release)

typedef virConnect VmgrVirConnect;

static inline void
vmgr_vir_connect_release (VmgrVirConnect *conn)
{
  virConnectClose (conn);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VmgrVirConnect, vmgr_vir_connect_release)

/* A reference on the current connection, for the length of one task:
 * release it with virConnectClose (or hold it in a
 * g_autoptr(VmgrVirConnect)). While libvirt is unavailable (the connection
 * dropped and the backend is reconnecting), NULL with VMGR_ERROR_HYPERVISOR
 * "libvirt is unavailable: ...". A connection that drops meanwhile stays
 * valid (its calls fail) until the last reference goes. Any thread. */
virConnectPtr vmgr_backend_ref_connection (VmgrBackend *self, GError **error);

/* The one place libvirt errors become vmgr errors. Call it right after the
 * failing call, in the same thread. Returns libvirt's error code for
 * callers that need to tell cases apart. */
int vmgr_backend_set_error_from_libvirt (GError **error);

/* TRUE when @rc is a libvirt success (>= 0); otherwise sets @error. */
gboolean vmgr_backend_libvirt_ok (int rc, GError **error);

/* Whether libvirt error @code means "this driver does not take these
 * flags" (or lacks the call altogether). */
gboolean vmgr_backend_is_flags_refusal (int code);

/* The domain with @uuid: INVALID_ARGUMENT for a malformed UUID, NOT_FOUND
 * when there is none, HYPERVISOR while libvirt is unavailable. The domain
 * holds its own reference on the connection. */
virDomainPtr vmgr_backend_lookup_domain (VmgrBackend *self, const char *uuid,
                                         GError **error);

/* Returns the cancellation error on @task if its cancellable was
 * cancelled; TRUE when it did (the task is then complete). */
gboolean vmgr_backend_task_return_if_cancelled (GTask *task);

/* What a backend task carries to its worker thread. */
typedef struct {
  char *uuid;
  char *xml;
  VmgrBackendOp op;
  gboolean autostart;
} VmgrBackendTaskData;

/* A task of @self with empty VmgrBackendTaskData (the task references
 * @self until it completes). */
GTask *vmgr_backend_task_new (VmgrBackend *self, gpointer source_tag, GCancellable *cancellable,
                              GAsyncReadyCallback callback, gpointer user_data);
/* TRUE, or @error (taken). */
void vmgr_backend_task_return (GTask *task, gboolean ok, GError *error);

/* A libvirt domain state and reason as a VM state; its reason's name in
 * @reason_name. */
VmgrVmState vmgr_backend_domain_state (int state, int reason, const char **reason_name);

/* ---- Between the backend's own files (main context unless said) ---- */

/* The connection and its reconnection (vmgr-backend-connection.c). */
typedef struct _VmgrBackendLink VmgrBackendLink;

/* Opens @self's URI at once (startup: may block briefly) and subscribes
 * to its events; reconnects by itself from then on. */
VmgrBackendLink *vmgr_backend_link_open (VmgrBackend *self, GError **error);
/* A link not connected yet, whose first attempt starts now (in a worker
 * thread) and goes on with backoff as after a loss. */
VmgrBackendLink *vmgr_backend_link_new_unconnected (VmgrBackend *self);
void vmgr_backend_link_start (VmgrBackend *self);
/* Drops the connection (if any) and stops reconnecting. Any thread (the
 * backend's dispose may run in a worker). */
void vmgr_backend_link_free (VmgrBackendLink *link);
VmgrBackendLink *vmgr_backend_get_link (VmgrBackend *self);

/* Sets up a connection just opened, in the thread that opened it: error
 * reporting and the lifecycle event subscription (vmgr-backend.c).
 * Returns the event callback id, or -1 with @error. */
int vmgr_backend_prepare_connection (VmgrBackend *self, virConnectPtr conn, GError **error);

/* The storage pool of a host's VM files (vmgr-backend-volumes.h), kept
 * in the backend, used by vmgr-backend-volumes.c. */
typedef struct {
  GMutex lock;              /* the directory is read in worker threads */
  char *name;               /* NULL: the files are local */
  char *dir;
  GPtrArray *old_dirs;      /* kept: callers hold them as const */
} VmgrBackendPool;

VmgrBackendPool *vmgr_backend_get_pool_state (VmgrBackend *self);
/* vmgr_backend_new_unconnected with its pool set before it connects. */
VmgrBackend *vmgr_backend_new_unconnected_with_pool (const char *uri, const char *pool);
/* Looks up @self's pool on the connection just opened and keeps its
 * target directory (vmgr_backend_get_pool_dir; NULL when the host has no
 * such active pool). In the opening thread (vmgr-backend-volumes.c). */
void vmgr_backend_read_pool_dir (VmgrBackend *self, virConnectPtr conn);

/* Test only: acts as if libvirt had reported the connection closed
 * (VIR_CONNECT_CLOSE_REASON_EOF), through the same path as a real close.
 * The test driver never closes by itself. */
void vmgr_backend_simulate_disconnect (VmgrBackend *self);

/* The UUIDs (lower case) with an open console session or one being
 * opened, to the session (vmgr-backend-console.c); owned by the backend. */
GHashTable *vmgr_backend_get_consoles (VmgrBackend *self);

/* Ends every console session (the connection they ran on is gone). */
void vmgr_backend_close_consoles (VmgrBackend *self);

/* ---- Root images of containers (vmgr-backend-image.c) ---- */

/* The domain's root image, or NULL when its root is none. */
char *vmgr_backend_domain_image (virDomainPtr domain);

/* "/proc/PID/root" of the running (or paused) container's init, or NULL
 * when it does not run. */
char *vmgr_backend_container_root (virDomainPtr domain);

/* FALSE with @error when the domain runs but its @root
 * (vmgr_backend_container_root) was not found: nothing that needs its
 * filesystem unmounted may then touch its image. */
gboolean vmgr_backend_check_root_reachable (virDomainPtr domain, const char *root,
                                            GError **error);

/* Starts the domain; one with a root image gets the disk hard limit of
 * its definition first (a growth deferred while it ran), under the
 * image's lock. */
gboolean vmgr_backend_image_start (virDomainPtr domain, GError **error);

/* The growth of vmgr_backend_image_start, for a caller holding the lock. */
gboolean vmgr_backend_image_grow_to_limit (virDomainPtr domain, const char *image,
                                           GError **error);

/* Held around everything that reads or changes @image, so that no two
 * such operations (nor a start that mounts it) overlap. */
typedef struct _VmgrImageLock VmgrImageLock;
VmgrImageLock *vmgr_backend_image_lock (const char *image);
void vmgr_backend_image_unlock (VmgrImageLock *lock);

/* Adds what the running container's root image uses to @stats. */
void vmgr_backend_image_sample (virDomainPtr domain, VmgrDomainStats *stats);

/* LXC snapshots (vmgr-lxc-snapshots.c): @op as vmgr_backend_snapshot_async
 * on the container's root image; the list after it in @snapshots. */
gboolean vmgr_lxc_snapshot (virDomainPtr domain, VmgrBackendSnapshotOp op, const char *name,
                            const char *description, GPtrArray **snapshots,
                            VmgrVmState *state_after, GCancellable *cancellable,
                            GError **error);

G_END_DECLS
