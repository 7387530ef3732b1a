/* A copy of one guest file (a disk or root image) that costs what its data
 * costs: a reflink where the filesystem shares blocks (btrfs, xfs), else a
 * copy of its data extents only, so a sparse 10 GiB image with 300 MiB in
 * it stays sparse and takes the time of 300 MiB. Blocking: worker threads
 * only. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Called with 0.0 .. 1.0 of the bytes copied. */
typedef void (*VmgrFileCopyProgress) (double progress, gpointer user_data);

/* Copies the regular file @from (not followed if a link) to @to, which
 * must not exist, with mode @mode. On failure or cancellation @to is
 * removed. */
gboolean vmgr_file_copy (const char *from, const char *to, guint mode,
                         VmgrFileCopyProgress progress, gpointer progress_data,
                         GCancellable *cancellable, GError **error);

/* The bytes @path really occupies on disk (st_blocks), 0 if it is absent. */
guint64 vmgr_file_allocated_bytes (const char *path);

G_END_DECLS
