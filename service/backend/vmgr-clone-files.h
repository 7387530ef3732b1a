/* The files of a clone (Manager.CloneVM): a copy of the source guest's
 * directory (STATE/guests/ID) as it is, except its snapshots/, each file
 * copied by vmgr_file_copy (reflink or data extents only) and each tree by
 * vmgr_provision_copy_tree; from a snapshot, the guest's files as of that
 * snapshot. Then the clone's host name and network are written into its
 * root. Runs in a worker thread; the caller removes the clone's directory
 * when it fails or is cancelled. */
#pragma once

#include <gio/gio.h>

#include "vmgr-provision.h"
#include "vmgr-records.h"

G_BEGIN_DECLS

/* Where an LXC image snapshot NAME of a guest lives: GUEST_DIR/snapshots/NAME.img */
#define VMGR_CLONE_SNAPSHOTS_DIR "snapshots"
#define VMGR_CLONE_ROOT_IMAGE "root.img"

typedef struct {
  const char *from_dir;   /* the source's guest directory */
  const char *to_dir;     /* the clone's, which must not exist */
  const char *snapshot;   /* NULL: the files as they are */
  const char *root;       /* the clone's root (VmgrGuestFiles.root), "" for none */
  const char *disk;       /* the clone's qcow2 disk (VmgrGuestFiles.disk), "" for none */
  const VmgrVmSpec *spec; /* the clone's */
} VmgrCloneFiles;

void vmgr_clone_files_async (const VmgrCloneFiles *files, VmgrProgressFunc progress,
                             gpointer progress_data, GCancellable *cancellable,
                             GAsyncReadyCallback callback, gpointer user_data);
gboolean vmgr_clone_files_finish (GAsyncResult *result, GError **error);

/* Makes the qcow2 image @disk hold what its internal snapshot @name holds
 * and removes every internal snapshot from it (qemu-img). Blocking. */
gboolean vmgr_clone_apply_qcow2_snapshot (const char *disk, const char *name,
                                          GCancellable *cancellable, GError **error);

G_END_DECLS
