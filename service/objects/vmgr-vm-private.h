/* What the files of the VM object share: vmgr-vm.c has the object,
 * its state, lifecycle, statistics and console; vmgr-vm-delete.c Delete;
 * vmgr-vm-settings.c the changes to its definition (SetMemory, SetCpu,
 * SetDisk, SetNetwork, SetAutostart, SetOwner); vmgr-vm-history.c
 * GetUsageHistory; vmgr-vm-snapshots.c CreateSnapshot and its snapshots;
 * vmgr-vm-backup.c Backup; vmgr-vm-migrate.c Migrate. */
#pragma once

#include "vmgr-usage-history.h"
#include "vmgr-snapshot.h"
#include "vmgr-vm.h"

G_BEGIN_DECLS

/* An operation that decides the VM's state itself until it is done:
 * libvirt's events about the VM wait, and every other change is BUSY. */
typedef enum {
  VMGR_VM_HELD_BY_NOTHING,
  VMGR_VM_HELD_BY_MIGRATION,    /* a Migrate: the VM is on two hosts at once */
  VMGR_VM_HELD_BY_DEFINITION,   /* libvirt lacks its domain: vmgrd defines it again */
} VmgrVmHolder;

struct _VmgrVm {
  VmgrDBusVMSkeleton parent_instance;
  const VmgrContext *context;
  VmgrVmSpec *spec;
  VmgrVmState state;
  guint force_off_id;       /* pending forced off after a graceful shutdown */
  gboolean deleting;
  gboolean reconfiguring;   /* a definition change is on its way to libvirt */
  gboolean stop_requested;  /* a Shutdown or Stop through vmgr is under way */
  gboolean restoring;       /* a Start of a saved VM is under way: it comes up "restored" */
  gint64 running_since;     /* monotonic; 0 when not running or unknown */
  VmgrDomainStats *last_sample;
  VmgrUsageHistory *history;  /* recent samples; NULL before vmgr_vm_usage_history */
  GHashTable *snapshots;    /* name -> VmgrSnapshot (owned) */
  gboolean snapshot_busy;   /* a snapshot is being taken, reverted to or deleted */
  guint snapshot_changes;   /* snapshot operations finished so far */
  guint files_held;         /* clones and backups copying its files: no Start or Resume */
  VmgrVmHolder held_by;     /* what decides the state until it is done */
};

/* Refusals shared by the methods (vmgr-vm-checks.c): a VM being deleted (NOT_FOUND), being
 * reconfigured (BUSY) or provisioned (INVALID_STATE). */
gboolean vmgr_vm_check_not_deleted (VmgrVm *self, GError **error);
gboolean vmgr_vm_check_not_busy (VmgrVm *self, GError **error);
gboolean vmgr_vm_check_not_provisioning (VmgrVm *self, GError **error);
/* A clone or a backup copying its files: BUSY for what would bring the
 * guest up. */
gboolean vmgr_vm_check_files_not_held (VmgrVm *self, GError **error);
/* Reads @options of a method whose one option is "description" (a
 * string of at most VMGR_VM_DESCRIPTION_MAX characters); @what names the
 * method's subject in the errors ("backup", "snapshot"). */
#define VMGR_VM_DESCRIPTION_MAX 1024
gboolean vmgr_vm_read_description_option (GVariant *options, const char *what,
                                          char **description, GError **error);
/* Held by a migration or a definition (held_by): BUSY for everything
 * else (vmgr_vm_check_not_busy includes it). */
gboolean vmgr_vm_check_not_held (VmgrVm *self, GError **error);
/* Bad input: the error to callers who may see the VM, "no such object"
 * to others. Returns G_DBUS_METHOD_INVOCATION_HANDLED. */
gboolean vmgr_vm_return_invalid_input (VmgrVm *self, GDBusMethodInvocation *invocation,
                                       GError *error);
/* Shows the spec in the properties. */
void vmgr_vm_sync_properties (VmgrVm *self);
/* An empty a{sv}, one for all (not a new reference): each VM's own empty
 * Usage and PendingChanges cost 0.1 KiB apiece. */
GVariant *vmgr_vm_empty_vardict (void);
/* Empties PendingChanges: once the guest is down, its next start applies
 * the stored settings. */
void vmgr_vm_clear_pending_changes (VmgrVm *self);
/* Running, paused or stopping: the guest is up. */
gboolean vmgr_vm_is_up (VmgrVmState state);
/* Announces a changed spec ("changed"), the VM's end ("deleted"). */
void vmgr_vm_emit_changed (VmgrVm *self, guint32 old_owner);
void vmgr_vm_emit_deleted (VmgrVm *self);
void vmgr_vm_emit_snapshot_added (VmgrVm *self, VmgrSnapshot *snapshot);
void vmgr_vm_emit_snapshot_removed (VmgrVm *self, VmgrSnapshot *snapshot);

gboolean vmgr_vm_handle_delete (VmgrDBusVM *object, GDBusMethodInvocation *invocation);
/* After libvirt took a change the store then refused (a full disk): gives
 * libvirt back the definition the store holds, then calls @callback
 * (finish with vmgr_backend_define_finish on the context's backend). */
void vmgr_vm_restore_definition_async (VmgrVm *self, GAsyncReadyCallback callback,
                                       gpointer user_data);

gboolean vmgr_vm_handle_set_memory (VmgrDBusVM *object, GDBusMethodInvocation *invocation,
                                    guint64 guarantee, guint64 soft_limit, guint64 limit);
gboolean vmgr_vm_handle_set_cpu (VmgrDBusVM *object, GDBusMethodInvocation *invocation,
                                 guint vcpus, guint weight, guint limit);
gboolean vmgr_vm_handle_set_disk (VmgrDBusVM *object, GDBusMethodInvocation *invocation,
                                  guint64 soft_limit, guint64 hard_limit);
gboolean vmgr_vm_handle_set_network (VmgrDBusVM *object, GDBusMethodInvocation *invocation,
                                     GVariant *settings);
gboolean vmgr_vm_handle_set_autostart (VmgrDBusVM *object, GDBusMethodInvocation *invocation,
                                       gboolean autostart);
/* The VM's usage history, made empty at its first use. */
VmgrUsageHistory *vmgr_vm_usage_history (VmgrVm *self);
gboolean vmgr_vm_handle_get_usage_history (VmgrDBusVM *object, GDBusMethodInvocation *invocation);
gboolean vmgr_vm_handle_create_snapshot (VmgrDBusVM *object, GDBusMethodInvocation *invocation,
                                         const char *name, GVariant *options);
/* Revert and Delete of one of its snapshots (@user_data: the VM). */
gboolean vmgr_vm_handle_snapshot_call (VmgrDBusSnapshot *object,
                                       GDBusMethodInvocation *invocation, gpointer user_data);
gboolean vmgr_vm_handle_set_owner (VmgrDBusVM *object, GDBusMethodInvocation *invocation,
                                   guint uid);

/* Notes in @grant, for its audit row, each value @new changes from @old. */
void vmgr_vm_note_spec_changes (VmgrGrant *grant, const VmgrVmSpec *old, const VmgrVmSpec *new);

G_END_DECLS
