/* The volume operations as plain calls for a worker thread that holds a
 * connection (vmgr-backend-volumes.c), shared with provisioning
 * (vmgr-backend-volumes-provision.c). Private to the backend. */
#pragma once

#include "vmgr-backend-private.h"

G_BEGIN_DECLS

/* Called in the worker thread after each chunk (and once at the end). */
typedef void (*VmgrVolumesCopied) (guint64 copied, guint64 total, gpointer user_data);

/* @self's pool (NOT_FOUND naming the pool and the host without it). */
virStoragePoolPtr vmgr_volumes_lookup_pool (VmgrBackend *self, virConnectPtr conn,
                                            GError **error);
char *vmgr_volumes_upload (VmgrBackend *self, virConnectPtr conn, const char *path,
                           const char *name, VmgrVolumesCopied copied, gpointer copied_data,
                           GCancellable *cancellable, GError **error);
gboolean vmgr_volumes_download (virConnectPtr conn, const char *volume_path, const char *path,
                                VmgrVolumesCopied copied, gpointer copied_data,
                                GCancellable *cancellable, GError **error);
char *vmgr_volumes_create (VmgrBackend *self, virConnectPtr conn, const char *name,
                           const char *format, guint64 capacity, const char *backing_path,
                           GError **error);
gboolean vmgr_volumes_delete (virConnectPtr conn, const char *const *paths, GError **error);

G_END_DECLS
