/* A real guest's own files, made from its template before its first start
 * and removed with it: for LXC an ext4 image of the template's root
 * filesystem sized by the disk hard limit (vmgr-image.h; VMs made before
 * that keep their directory copy), with the VM's host name and network
 * settings written into it, for
 * QEMU a qcow2 disk whose virtual size is the VM's disk hard limit (backed
 * by the template's image, or empty beside a template's kernel and
 * initramfs). Everything runs in worker threads; nothing is left behind
 * when provisioning fails or is cancelled. */
#pragma once

#include <gio/gio.h>

#include "vmgr-records.h"

G_BEGIN_DECLS

/* A QEMU template directory of a kernel and initramfs (direct boot). */
#define VMGR_TEMPLATE_KERNEL_NAME "vmlinuz"
#define VMGR_TEMPLATE_INITRD_NAME "initramfs.cpio.gz"

/* What the domain definition points at. Empty strings when unused. */
typedef struct {
  char *root;     /* lxc: the VM's root image (root.img), or the root
                   * directory (rootfs) of a VM provisioned before images */
  char *disk;     /* qemu: the VM's disk image */
  char *kernel;   /* qemu direct boot: kernel and initramfs of the template */
  char *initrd;
} VmgrGuestFiles;

void vmgr_guest_files_free (VmgrGuestFiles *files);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VmgrGuestFiles, vmgr_guest_files_free)

/* STATE_DIR/guests/ID */
char *vmgr_provision_guest_dir (const char *state_dir, guint32 id);
/* Makes the guest directory @guest_dir (STATE_DIR/guests/ID), it and its
 * parents opened (0711) for QEMU's own user to reach a disk in it
 * (blocking: worker threads only). */
gboolean vmgr_provision_make_guest_dir (const char *guest_dir, GError **error);

/* Adds the entries under @path to @entries and the bytes of its regular
 * files to @bytes, links not followed (blocking: worker threads only). */
void vmgr_provision_measure_tree (const char *path, guint *entries, guint64 *bytes);

/* vmgr_provision_measure_tree's bytes of @path, in a worker thread. */
void vmgr_provision_measure_async (const char *path, GCancellable *cancellable,
                                   GAsyncReadyCallback callback, gpointer user_data);
gboolean vmgr_provision_measure_finish (GAsyncResult *result, guint64 *bytes, GError **error);

/* Whether VMs of @scheme from @template_source need files of their own. */
gboolean vmgr_provision_needed (const char *scheme, const char *template_source);

/* Whether @source is a directory holding a kernel and an initramfs. */
gboolean vmgr_provision_is_kernel_template (const char *source);

/* Where the files of @spec are (or will be): computed, nothing touched. */
VmgrGuestFiles *vmgr_provision_files (const char *scheme, const char *template_source,
                                      const char *guest_dir);

/* The libvirt definition of @spec on @scheme: a minimal one when the
 * template needs no files of the VM's own, otherwise one pointing at the
 * VM's files under @state_dir and joining @network ("" or NULL: none). */
char *vmgr_provision_definition (const char *scheme, const char *template_source,
                                 const char *state_dir, const char *network,
                                 const VmgrVmSpec *spec, GError **error);

/* Called from the worker thread with 0.0 .. 1.0. */
typedef void (*VmgrProgressFunc) (double progress, gpointer user_data);

/* Copies the tree @from to @to (which must not exist): directories, regular
 * files (sparse, by vmgr_file_copy) and links, not following links; device
 * nodes and sockets are skipped. Blocking: worker threads only. */
gboolean vmgr_provision_copy_tree (const char *from, const char *to, VmgrProgressFunc progress,
                                   gpointer progress_data, GCancellable *cancellable,
                                   GError **error);

void vmgr_provision_async (const char *scheme, const char *template_source,
                           const char *guest_dir, const VmgrVmSpec *spec,
                           VmgrProgressFunc progress, gpointer progress_data,
                           GCancellable *cancellable, GAsyncReadyCallback callback,
                           gpointer user_data);
gboolean vmgr_provision_finish (GAsyncResult *result, GError **error);

/* vmgr_provision_async's work in the calling (worker) thread; @guest_dir
 * is removed again on failure. */
gboolean vmgr_provision_sync (const char *scheme, const char *template_source,
                              const char *guest_dir, const VmgrVmSpec *spec,
                              VmgrProgressFunc progress, gpointer progress_data,
                              GCancellable *cancellable, GError **error);

/* Removes @path and everything below it (not following links); blocking. */
gboolean vmgr_provision_remove_tree (const char *path, GError **error);

/* Writes the host name and network settings into an LXC root filesystem
 * (etc/hostname, etc/vmgr-network, etc/resolv.conf): what the guest gets
 * at its next start. Follows no link the guest may have planted. */
gboolean vmgr_provision_write_network (const char *root, const VmgrVmSpec *spec, GError **error);

/* The same through a running container's root (/proc/PID/root, trusted
 * itself; nothing below it is followed). */
gboolean vmgr_provision_write_network_live (const char *proc_root, const VmgrVmSpec *spec,
                                            GError **error);

/* vmgr_provision_write_network in a worker thread. Only for a directory
 * root; an image root goes through the backend (which knows whether the
 * container runs). */
void vmgr_provision_write_network_async (const char *root, const VmgrVmSpec *spec,
                                         GAsyncReadyCallback callback, gpointer user_data);
gboolean vmgr_provision_write_network_finish (GAsyncResult *result, GError **error);

/* Removes @guest_dir and everything below it (not following links). */
void vmgr_provision_remove_async (const char *guest_dir, GCancellable *cancellable,
                                  GAsyncReadyCallback callback, gpointer user_data);
gboolean vmgr_provision_remove_finish (GAsyncResult *result, GError **error);

G_END_DECLS
