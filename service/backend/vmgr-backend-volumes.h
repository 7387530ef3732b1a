/* The files of VMs on added hosts, as libvirt storage volumes (issue 14).
 *
 * The configured host keeps its VMs' files under STATE_DIR/guests/ID, as
 * before. A host added besides it (AddHost or the configuration file) is
 * reached only through libvirt: its VMs' files are volumes of one storage
 * pool of that host (the host's "pool" option, default "default"), made
 * and removed through libvirt's storage API, and a template's files get
 * there through libvirt's upload streams, never by copying files behind
 * libvirt's back.
 *
 * Volume names in that pool:
 *   vmgr-ID.qcow2                     qemu: the VM's disk (backed by its
 *                                     template's image volume when it has one)
 *   vmgr-ID-root.img                  lxc: the VM's root image
 *   vmgr-template-NAME-STAMP[-FILE]   a template's file (NAME: the base
 *                                     name of the template's source, its
 *                                     extension moved to the end for an
 *                                     image file: "debian.qcow2" gives
 *                                     vmgr-template-debian-STAMP.qcow2;
 *                                     FILE: vmlinuz or initramfs.cpio.gz of
 *                                     a kernel template; STAMP: the local
 *                                     file's size and mtime in hex, so a
 *                                     changed template is uploaded anew
 *                                     while the disks backed by the old one
 *                                     keep it). Characters other than
 *                                     [A-Za-z0-9._+-] in NAME become '_'.
 *
 * Uploaded volumes are made "raw" (their bytes are the local file's);
 * a disk's backing format is told by the backing volume's name (".qcow2"
 * or raw).
 *
 * Every call that talks to libvirt runs in a worker thread and completes
 * on the caller's main context; errors as in vmgr-backend.h (a host
 * without the pool: NOT_FOUND naming the pool and the host's URI). */
#pragma once

#include "vmgr-backend-migrate.h"
#include "vmgr-provision.h"

G_BEGIN_DECLS

#define VMGR_DEFAULT_HOST_POOL "default"

/* The pool @self keeps VM files in (set before it connects; NULL for the
 * configured host, whose files are local). */
void vmgr_backend_set_pool (VmgrBackend *self, const char *pool);
/* vmgr_backend_new_unconnected with its pool set before the first
 * connection attempt. */
VmgrBackend *vmgr_backend_new_with_pool (const char *uri, const char *pool);
const char *vmgr_backend_get_pool (VmgrBackend *self);
/* The pool's target directory on the host, read each time the backend
 * connects (the last one read stays while it is disconnected); NULL
 * before the first connection or when the host has no such active pool. */
const char *vmgr_backend_get_pool_dir (VmgrBackend *self);

/* The volume names above (nothing touched but a stat of the template's
 * file, for its STAMP). @file: NULL for a template that is one image file,
 * else the name of the file in the template's directory. */
char *vmgr_volume_template_name (const char *template_source, const char *file);
char *vmgr_volume_disk_name (guint32 id);
char *vmgr_volume_root_name (guint32 id);

/* Where the files of the VM @id made from @template_source ("" none) are
 * on a host whose pool directory is @pool_dir: computed from the names
 * above, nothing touched (the counterpart of vmgr_provision_files). */
VmgrGuestFiles *vmgr_volume_guest_files (const char *scheme, const char *template_source,
                                         const char *pool_dir, guint32 id);

/* Makes the files of the VM @spec on @self, a host with a pool: the
 * template's files uploaded unless the pool has them already, then the
 * VM's disk volume (qemu: qcow2 of the disk hard limit, backed by the
 * template image volume) or its root image (lxc: built locally in
 * @staging_dir, as vmgr_provision_async builds it, uploaded, the local
 * copy removed). @progress is called on the caller's main context with
 * 0.0 .. 1.0. Nothing is left on the host on failure or cancel. */
void vmgr_backend_provision_volumes_async (VmgrBackend *self, const char *template_source,
                                           const char *staging_dir, const VmgrVmSpec *spec,
                                           VmgrProgressFunc progress, gpointer progress_data,
                                           GDestroyNotify progress_destroy,
                                           GCancellable *cancellable,
                                           GAsyncReadyCallback callback, gpointer user_data);
gboolean vmgr_backend_provision_volumes_finish (VmgrBackend *self, GAsyncResult *result,
                                                GError **error);

/* Uploads what the template @template_source of @scheme needs on @self
 * (nothing for a template without files, nor for lxc, whose root images
 * are built per VM); idempotent (uploads to one backend are serialized). */
void vmgr_backend_template_volumes_async (VmgrBackend *self, const char *scheme,
                                          const char *template_source,
                                          GCancellable *cancellable,
                                          GAsyncReadyCallback callback, gpointer user_data);
gboolean vmgr_backend_template_volumes_finish (VmgrBackend *self, GAsyncResult *result,
                                              GError **error);

/* Uploads the local file @path as the new volume @name of @self's pool
 * (sparse: holes stay holes); returns the volume's path on the host. The
 * volume must not exist; on failure or cancel it is deleted again. */
void vmgr_backend_volume_upload_async (VmgrBackend *self, const char *path, const char *name,
                                       VmgrVolumeCopyProgress progress, gpointer progress_data,
                                       GDestroyNotify progress_destroy,
                                       GCancellable *cancellable,
                                       GAsyncReadyCallback callback, gpointer user_data);
char *vmgr_backend_volume_upload_finish (VmgrBackend *self, GAsyncResult *result,
                                         GError **error);

/* Downloads the volume at @volume_path on @self into the new local file
 * @path (sparse; removed again on failure or cancel). */
void vmgr_backend_volume_download_async (VmgrBackend *self, const char *volume_path,
                                         const char *path,
                                         VmgrVolumeCopyProgress progress, gpointer progress_data,
                                         GDestroyNotify progress_destroy,
                                         GCancellable *cancellable,
                                         GAsyncReadyCallback callback, gpointer user_data);
gboolean vmgr_backend_volume_download_finish (VmgrBackend *self, GAsyncResult *result,
                                              GError **error);

/* Creates the empty volume @name in @self's pool: @format "qcow2" or
 * "raw", @capacity bytes, backed by the volume at @backing_path (NULL or
 * "": none). Returns its path on the host. */
void vmgr_backend_volume_create_async (VmgrBackend *self, const char *name, const char *format,
                                       guint64 capacity, const char *backing_path,
                                       GCancellable *cancellable,
                                       GAsyncReadyCallback callback, gpointer user_data);
char *vmgr_backend_volume_create_finish (VmgrBackend *self, GAsyncResult *result,
                                         GError **error);

/* Deletes the volumes at @paths on @self (NULL-terminated); those that do
 * not exist are no error. */
void vmgr_backend_volume_delete_async (VmgrBackend *self, const char *const *paths,
                                       GCancellable *cancellable,
                                       GAsyncReadyCallback callback, gpointer user_data);
gboolean vmgr_backend_volume_delete_finish (VmgrBackend *self, GAsyncResult *result,
                                            GError **error);

G_END_DECLS
