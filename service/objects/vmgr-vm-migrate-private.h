/* What the files of VM.Migrate share: vmgr-vm-migrate.c has the call,
 * the offline path and the end of every migration,
 * vmgr-vm-migrate-files.c the offline copy of a VM's files (a container's
 * root image, a QEMU disk), vmgr-vm-migrate-live.c the live path of QEMU
 * guests. */
#pragma once

#include "vmgr-vm-private.h"

G_BEGIN_DECLS

typedef struct {
  VmgrVm *vm;
  VmgrGrant *grant;
  VmgrJob *job;
  VmgrBackend *source;
  VmgrBackend *target;
  VmgrVmSpec *moved;        /* the VM's spec on the target */
  char *domain_xml;         /* its definition there */
  VmgrVmState state_before;
  char *reason_before;
  gboolean was_up;          /* it ran: it is started again on the target */
  char *source_root;        /* the VM's own file on the source (a container's root
                             * image, a QEMU disk), or NULL */
  char *target_root;        /* its copy on the target, once made */
  char *staging;            /* a QEMU disk's local copy on its way to an added host */
  char *old_backing;        /* a QEMU disk's backing file on the source, NULL none */
  char *new_backing;        /* where the template image is on the target */
  double copy_base;         /* the part of the job's progress the current copy has */
  double copy_span;
  guint stop_poll;          /* waiting for a graceful shutdown */
  gint64 stop_deadline;     /* monotonic: forced off after it */
  gboolean defined;         /* the target has its definition */
  gboolean source_stopped;  /* the migration stopped it on the source */
  gboolean started;         /* it runs on the target */
  gboolean copied;          /* the target has the copy of its files (target_root) */
  gboolean live;            /* QEMU's live migration (vmgr-vm-migrate-live.c) */
  gboolean source_gone;     /* libvirt moved it: nothing to undo on the source */
  GError *error;            /* the first failure */
} Migration;

/* Records the first failure (taken). */
void vmgr_vm_migration_fail (Migration *migration, GError *error);
/* With @error (taken), or when the job was cancelled: undoes what was done
 * and ends the job; returns TRUE then. */
gboolean vmgr_vm_migration_failed (Migration *migration, GError *error);
/* Records the target in the store, then the source's part goes. */
void vmgr_vm_migration_commit (Migration *migration);
/* The offline copy of the VM's files to the target, then
 * vmgr_vm_migration_define. */
void vmgr_vm_migration_copy_files (Migration *migration);
/* Removes the local file @path (taken) in a worker thread. */
void vmgr_vm_migration_remove_staging (char *path);
/* Defines the VM on the target, starts it there if it ran, commits. */
void vmgr_vm_migration_define (Migration *migration);
/* The live path: the target's disk made, libvirt's migration, commit. */
void vmgr_vm_migration_start_live (Migration *migration);

G_END_DECLS
