/* What the volume streams share (vmgr-backend-migrate.c,
 * vmgr-backend-volumes*.c): libvirt storage handles as autoptrs, and
 * progress reports posted from a worker thread to the caller's context
 * (vmgr-backend-progress.c). Private to the backend. */
#pragma once

#include "vmgr-backend-private.h"

G_BEGIN_DECLS

typedef virStorageVol VmgrVirVolume;
static inline void vmgr_vir_volume_release (VmgrVirVolume *v) { virStorageVolFree (v); }
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VmgrVirVolume, vmgr_vir_volume_release)

typedef virStoragePool VmgrVirPool;
static inline void vmgr_vir_pool_release (VmgrVirPool *p) { virStoragePoolFree (p); }
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VmgrVirPool, vmgr_vir_pool_release)

typedef virStream VmgrVirStream;
static inline void vmgr_vir_stream_release (VmgrVirStream *s) { virStreamFree (s); }
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VmgrVirStream, vmgr_vir_stream_release)

#define VMGR_BACKEND_PROGRESS_INTERVAL_US (250 * G_TIME_SPAN_MILLISECOND)

/* The caller's progress callback (a VmgrMigrateProgress,
 * VmgrVolumeCopyProgress or VmgrProgressFunc, as posted; this header
 * names none of them, so that the files declaring them may include it),
 * with the main
 * context of the thread that made it; atomically reference-counted by the
 * task and the reports in flight, so that its destroy notify runs once,
 * on that context, after the last report. */
typedef struct _VmgrBackendProgress VmgrBackendProgress;

VmgrBackendProgress *vmgr_backend_progress_new (GCallback callback, gpointer data,
                                                GDestroyNotify destroy);
/* Drops the task's reference from any thread (the last one is dropped on
 * the caller's context). */
void vmgr_backend_progress_release_later (VmgrBackendProgress *progress);
/* Calls back (const T *report, data) with a copy of the @size bytes at
 * @report: VmgrMigrateProgress with a VmgrMigrationStats. */
void vmgr_backend_progress_post_struct (VmgrBackendProgress *progress, gconstpointer report,
                                        gsize size);
/* (copied, total, data): VmgrVolumeCopyProgress. */
void vmgr_backend_progress_post_copy (VmgrBackendProgress *progress, guint64 copied,
                                      guint64 total);
/* (fraction, data): VmgrProgressFunc. */
void vmgr_backend_progress_post_fraction (VmgrBackendProgress *progress, double fraction);

/* The <format type='...'/> of a volume's XML ("raw" when it has none). */
char *vmgr_backend_volume_format (const char *xml);

G_END_DECLS
