/* A VM's backup archive (issue 13): one zstd-compressed tar file made by
 * GNU tar (run as a subprocess, --sparse so that holes in guest images
 * stay holes), holding
 *
 *   manifest.json   vmgr's record of the VM (VmgrBackupManifest), first,
 *                   so that reading it decompresses only the archive's head
 *   domain.xml      the libvirt definition vmgr last defined
 *   files/          the VM's guest directory (without snapshots/)
 *
 * Everything here blocks: worker threads only. */
#pragma once

#include <gio/gio.h>

#include "vmgr-records.h"

G_BEGIN_DECLS

#define VMGR_BACKUP_FORMAT 1
#define VMGR_BACKUP_SUFFIX ".vmgr-backup.tar.zst"
#define VMGR_BACKUP_MANIFEST "manifest.json"
#define VMGR_BACKUP_DOMAIN "domain.xml"
#define VMGR_BACKUP_FILES "files"

typedef struct {
  guint format;
  VmgrVmSpec *spec;
  char *backend;            /* the libvirt URI scheme it was made on */
  char *state;              /* the VM's state when backed up */
  char *description;        /* "" when none */
  gint64 created;           /* microseconds since the epoch */
  guint64 files_bytes;      /* bytes of the guest files (progress of a restore) */
} VmgrBackupManifest;

VmgrBackupManifest *vmgr_backup_manifest_new (const VmgrVmSpec *spec);
void vmgr_backup_manifest_free (VmgrBackupManifest *manifest);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VmgrBackupManifest, vmgr_backup_manifest_free)

char *vmgr_backup_manifest_to_json (const VmgrBackupManifest *manifest);
/* INVALID_ARGUMENT when @text is not a manifest of a format this vmgr reads. */
VmgrBackupManifest *vmgr_backup_manifest_from_json (const char *text, gssize length,
                                                    GError **error);

/* NAME-ID-YYYYmmddTHHMMSSZ.vmgr-backup.tar.zst (@created in µs, UTC). */
char *vmgr_backup_archive_name (const VmgrVmSpec *spec, gint64 created);

/* Whether @name may name an archive in the backup directory: a plain file
 * name (no '/', not hidden) with the suffix; INVALID_ARGUMENT otherwise. */
gboolean vmgr_backup_check_archive_name (const char *name, GError **error);

/* Called from the worker thread with 0.0 .. 1.0. */
typedef void (*VmgrBackupProgress) (double progress, gpointer user_data);

/* Archives the manifest, definition and files/ of @staging (a directory
 * laid out as above) into @archive: written as a hidden temporary file
 * beside it and renamed when complete; on failure or cancellation nothing
 * is left. @bytes: what files/ holds, for progress. */
gboolean vmgr_backup_archive_write (const char *staging, const char *archive, guint64 bytes,
                                    VmgrBackupProgress progress, gpointer progress_data,
                                    GCancellable *cancellable, GError **error);

/* The manifest of @archive: NOT_FOUND when absent, INVALID_ARGUMENT when
 * it is not a vmgr backup. */
VmgrBackupManifest *vmgr_backup_archive_read_manifest (const char *archive,
                                                       GCancellable *cancellable,
                                                       GError **error);

/* Unpacks @archive into the existing empty directory @into (owners and
 * modes kept). @bytes: the manifest's files_bytes, for progress. */
gboolean vmgr_backup_archive_extract (const char *archive, const char *into, guint64 bytes,
                                      VmgrBackupProgress progress, gpointer progress_data,
                                      GCancellable *cancellable, GError **error);

G_END_DECLS
