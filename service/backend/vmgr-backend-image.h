/* LXC guests whose root is an image (vmgr-image.h), seen through libvirt:
 * the image named by the domain's <filesystem type='file'> at '/', and,
 * while the container runs, its root as /proc/PID/root of its init. What
 * needs the filesystem unmounted (debugfs, resize2fs, dumpe2fs) runs only
 * while the container is down; while it runs, the mounted filesystem is
 * used (statvfs, online resize, freeze). */
#pragma once

#include <libvirt/libvirt.h>

#include "vmgr-backend.h"

G_BEGIN_DECLS

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

/* ---- For the backend's own worker threads ---- */

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
