/* Moving domains between hosts, each host a VmgrBackend of its own
 * (groundwork for issue 14; vmgrd does not manage several hosts yet).
 *
 * Live migration is libvirt's managed migration (virDomainMigrate3): vmgrd
 * holds both connections and libvirt drives the two hosts, so a host needs
 * no credentials for another; the memory (and the disks, with
 * VMGR_MIGRATE_COPY_STORAGE) goes straight from QEMU to QEMU. On any
 * failure or cancel libvirt leaves the domain running, whole, on the
 * source; the disk volumes libvirt created on the target for a storage
 * copy (it does not remove them) are deleted. Containers move offline: stopped, their root volume streamed
 * with vmgr_backend_volume_copy_async, defined and started on the target
 * (the caller's sequence). */
#pragma once

#include "vmgr-backend.h"

G_BEGIN_DECLS

typedef enum {
  VMGR_MIGRATE_LIVE         = 1 << 0,  /* the guest runs on during the copy */
  VMGR_MIGRATE_COPY_STORAGE = 1 << 1,  /* storage not shared: copy the disks (NBD); the
                                        * target needs a pool at each disk's directory */
} VmgrMigrateFlags;

/* libvirt's job statistics; what it does not report is 0. */
typedef struct {
  guint64 elapsed_ms;
  guint64 data_total;        /* bytes (memory and disks) */
  guint64 data_processed;
  guint64 data_remaining;
  guint64 memory_total;
  guint64 memory_processed;
  guint64 disk_total;
  guint64 disk_processed;
  guint64 downtime_ms;       /* the pause at the switch-over: only in the final stats */
  gboolean has_downtime;
} VmgrMigrationStats;

/* Called on the caller's main context (the thread-default one of the
 * _async call), about every 250 ms while libvirt reports a job; the destroy
 * notify runs there too, after the last call. */
typedef void (*VmgrMigrateProgress) (const VmgrMigrationStats *stats, gpointer user_data);

/* Migrates the running domain @uuid from @source to @target (same
 * driver), keeping its definition (persistent on the target, undefined on
 * the source). Cancelling @cancellable aborts libvirt's job
 * (virDomainAbortJob). Errors: INVALID_ARGUMENT (bad UUID, the same host
 * twice), NOT_FOUND, NOT_SUPPORTED (different drivers, containers, a driver
 * without migration), INVALID_STATE (not running), HYPERVISOR,
 * G_IO_ERROR_CANCELLED. @dest_xml (NULL or "": the source's definition)
 * is the domain's definition on the target (VIR_MIGRATE_PARAM_DEST_XML),
 * for disks at other paths there; with it and COPY_STORAGE the caller
 * makes the target's disk volumes first (same virtual sizes), else the
 * missing ones are created at the source's paths. */
void vmgr_backend_migrate_async (VmgrBackend *source, VmgrBackend *target, const char *uuid,
                                 VmgrMigrateFlags flags, const char *dest_xml,
                                 VmgrMigrateProgress progress, gpointer progress_data,
                                 GDestroyNotify progress_destroy,
                                 GCancellable *cancellable,
                                 GAsyncReadyCallback callback, gpointer user_data);
/* TRUE once the domain runs on the target; the final statistics (as the
 * target reports them: with the downtime when libvirt has it) in @stats. */
gboolean vmgr_backend_migrate_finish (VmgrBackend *source, GAsyncResult *result,
                                      VmgrMigrationStats *stats, GError **error);

/* Called on the caller's main context after each chunk. */
typedef void (*VmgrVolumeCopyProgress) (guint64 copied, guint64 total, gpointer user_data);

/* Streams the volume at @source_path on @source into a new volume
 * @target_name (same capacity and format) of pool @target_pool on @target,
 * through libvirt's storage streams (virStorageVolDownload, Upload;
 * sparse: holes are sent as holes and stay unallocated): no file is
 * touched behind libvirt's back. The target volume must not exist;
 * on failure or cancel it is deleted again. Errors: NOT_FOUND (no such
 * volume or pool), INVALID_ARGUMENT (the target volume exists), HYPERVISOR,
 * NOT_SUPPORTED, G_IO_ERROR_CANCELLED. */
void vmgr_backend_volume_copy_async (VmgrBackend *source, const char *source_path,
                                     VmgrBackend *target, const char *target_pool,
                                     const char *target_name,
                                     VmgrVolumeCopyProgress progress, gpointer progress_data,
                                     GDestroyNotify progress_destroy,
                                     GCancellable *cancellable,
                                     GAsyncReadyCallback callback, gpointer user_data);
/* The new volume's path on the target. */
char *vmgr_backend_volume_copy_finish (VmgrBackend *source, GAsyncResult *result,
                                       GError **error);

G_END_DECLS
