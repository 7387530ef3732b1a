/* An LXC guest's root filesystem as one image file (STATE/guests/ID/root.img):
 * a sparse raw ext4 image whose size is the VM's disk hard limit, made from
 * the template's directory with mke2fs -d (ownership, modes, device nodes
 * and links kept, nothing mounted), read and changed with e2fsprogs while
 * the guest is stopped and through the running container's root
 * (/proc/PID/root) while it runs. Everything here blocks: worker threads
 * only. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define VMGR_IMAGE_NAME "root.img"
/* The size of an image whose VM has no disk hard limit (0), unless the
 * template needs more (then twice the template and 64 MiB). */
#define VMGR_IMAGE_DEFAULT_SIZE (G_GUINT64_CONSTANT (1) << 30)

/* The size of a new image for @hard_limit (0: none) and a template of
 * @template_bytes. */
guint64 vmgr_image_size_for (guint64 hard_limit, guint64 template_bytes);

/* Whether @root (a VmgrGuestFiles root) is an image rather than a directory. */
gboolean vmgr_image_is_image (const char *root);

/* Creates @image (which must not exist) of @size bytes holding the tree
 * @from_dir. Removes what it made on failure or cancellation. */
gboolean vmgr_image_create (const char *image, const char *from_dir, guint64 size,
                            GCancellable *cancellable, GError **error);

/* Replaces the regular files @names (plain names, no '/') in the directory
 * @dir (a path from the image's root, created when missing) of the
 * unmounted @image with @contents, mode 0644 and owned by root. A link
 * standing where a file goes is replaced, never followed; @dir must be a
 * real directory. */
gboolean vmgr_image_write_files (const char *image, const char *dir, const char * const *names,
                                 const char * const *contents, GError **error);

/* What the filesystem of the unmounted @image uses and its size, in bytes. */
gboolean vmgr_image_usage (const char *image, guint64 *used, guint64 *size, GError **error);

/* Resizes the unmounted @image to @size (the file and its filesystem);
 * shrinking fails, with nothing changed, when the data do not fit. */
gboolean vmgr_image_resize (const char *image, guint64 size, GError **error);

/* What the filesystem mounted at @root uses (statvfs). */
gboolean vmgr_image_usage_live (const char *root, guint64 *used, guint64 *size, GError **error);

/* Grows @image, mounted through a loop device at @root (a running
 * container's /proc/PID/root), to @size: the file, the loop device's
 * capacity and the mounted ext4 filesystem (online resize, which needs
 * CAP_SYS_RESOURCE). On failure all three keep their size. */
gboolean vmgr_image_grow_live (const char *image, const char *root, guint64 size,
                               GError **error);

/* Writes out what the filesystem mounted at @root holds in memory: with
 * the container frozen, its image file then holds a consistent filesystem
 * (its journal replayed at the next mount). */
gboolean vmgr_image_sync_live (const char *root, GError **error);

G_END_DECLS
