/* The commands, one function each (see the table in vmgrctl.c). */
#pragma once

#include "vmgrctl-command.h"

G_BEGIN_DECLS

/* vmgrctl-vm-commands.c */
int vmgrctl_cmd_list (VmgrctlContext *ctx, const VmgrctlCommand *cmd, char **argv);
int vmgrctl_cmd_show (VmgrctlContext *ctx, const VmgrctlCommand *cmd, char **argv);
int vmgrctl_cmd_create (VmgrctlContext *ctx, const VmgrctlCommand *cmd, char **argv);
/* start, shutdown, stop, restart, suspend, resume: by cmd->name. */
int vmgrctl_cmd_lifecycle (VmgrctlContext *ctx, const VmgrctlCommand *cmd, char **argv);
int vmgrctl_cmd_delete (VmgrctlContext *ctx, const VmgrctlCommand *cmd, char **argv);
int vmgrctl_cmd_wait (VmgrctlContext *ctx, const VmgrctlCommand *cmd, char **argv);

/* vmgrctl-monitor-command.c */
int vmgrctl_cmd_monitor (VmgrctlContext *ctx, const VmgrctlCommand *cmd, char **argv);

/* vmgrctl-admin-commands.c */
int vmgrctl_cmd_templates (VmgrctlContext *ctx, const VmgrctlCommand *cmd, char **argv);
int vmgrctl_cmd_template_add (VmgrctlContext *ctx, const VmgrctlCommand *cmd, char **argv);
int vmgrctl_cmd_template_remove (VmgrctlContext *ctx, const VmgrctlCommand *cmd, char **argv);
int vmgrctl_cmd_plans (VmgrctlContext *ctx, const VmgrctlCommand *cmd, char **argv);
int vmgrctl_cmd_plan_set (VmgrctlContext *ctx, const VmgrctlCommand *cmd, char **argv);
int vmgrctl_cmd_plan_remove (VmgrctlContext *ctx, const VmgrctlCommand *cmd, char **argv);
int vmgrctl_cmd_unmanaged (VmgrctlContext *ctx, const VmgrctlCommand *cmd, char **argv);
int vmgrctl_cmd_adopt (VmgrctlContext *ctx, const VmgrctlCommand *cmd, char **argv);
int vmgrctl_cmd_audit (VmgrctlContext *ctx, const VmgrctlCommand *cmd, char **argv);

/* vmgrctl-create-command.c */
int vmgrctl_cmd_contract (VmgrctlContext *ctx, const VmgrctlCommand *cmd, char **argv);

/* vmgrctl-resource-commands.c */
int vmgrctl_cmd_set_memory (VmgrctlContext *ctx, const VmgrctlCommand *cmd, char **argv);
int vmgrctl_cmd_set_cpu (VmgrctlContext *ctx, const VmgrctlCommand *cmd, char **argv);
int vmgrctl_cmd_set_disk (VmgrctlContext *ctx, const VmgrctlCommand *cmd, char **argv);
int vmgrctl_cmd_set_network (VmgrctlContext *ctx, const VmgrctlCommand *cmd, char **argv);
int vmgrctl_cmd_autostart (VmgrctlContext *ctx, const VmgrctlCommand *cmd, char **argv);
int vmgrctl_cmd_chown (VmgrctlContext *ctx, const VmgrctlCommand *cmd, char **argv);

/* vmgrctl-stats-command.c */
int vmgrctl_cmd_stats (VmgrctlContext *ctx, const VmgrctlCommand *cmd, char **argv);

/* vmgrctl-host-command.c */
int vmgrctl_cmd_host (VmgrctlContext *ctx, const VmgrctlCommand *cmd, char **argv);

/* vmgrctl-hosts-commands.c (issue 14) */
int vmgrctl_cmd_hosts (VmgrctlContext *ctx, const VmgrctlCommand *cmd, char **argv);
int vmgrctl_cmd_host_add (VmgrctlContext *ctx, const VmgrctlCommand *cmd, char **argv);
int vmgrctl_cmd_host_remove (VmgrctlContext *ctx, const VmgrctlCommand *cmd, char **argv);

/* vmgrctl-customer-commands.c */
int vmgrctl_cmd_customers (VmgrctlContext *ctx, const VmgrctlCommand *cmd, char **argv);
int vmgrctl_cmd_customer_add (VmgrctlContext *ctx, const VmgrctlCommand *cmd, char **argv);
int vmgrctl_cmd_customer_show (VmgrctlContext *ctx, const VmgrctlCommand *cmd, char **argv);
int vmgrctl_cmd_customer_update (VmgrctlContext *ctx, const VmgrctlCommand *cmd, char **argv);
/* suspend, unsuspend, remove: by cmd->name. */
int vmgrctl_cmd_customer_state (VmgrctlContext *ctx, const VmgrctlCommand *cmd, char **argv);

/* vmgrctl-clone-command.c */
int vmgrctl_cmd_clone (VmgrctlContext *ctx, const VmgrctlCommand *cmd, char **argv);

/* vmgrctl-snapshot-commands.c */
int vmgrctl_cmd_snapshot_create (VmgrctlContext *ctx, const VmgrctlCommand *cmd, char **argv);
int vmgrctl_cmd_snapshot_list (VmgrctlContext *ctx, const VmgrctlCommand *cmd, char **argv);
/* revert, delete: by cmd->name. */
int vmgrctl_cmd_snapshot_change (VmgrctlContext *ctx, const VmgrctlCommand *cmd, char **argv);

/* vmgrctl-backup-commands.c (issue 13) */
int vmgrctl_cmd_backup (VmgrctlContext *ctx, const VmgrctlCommand *cmd, char **argv);
int vmgrctl_cmd_backups (VmgrctlContext *ctx, const VmgrctlCommand *cmd, char **argv);
int vmgrctl_cmd_restore (VmgrctlContext *ctx, const VmgrctlCommand *cmd, char **argv);
int vmgrctl_cmd_backup_delete (VmgrctlContext *ctx, const VmgrctlCommand *cmd, char **argv);
/* VM.Migrate (issue 14), a job followed like a backup's (vmgrctl-backup-commands.c) */
int vmgrctl_cmd_migrate (VmgrctlContext *ctx, const VmgrctlCommand *cmd, char **argv);

/* vmgrctl-console-command.c */
int vmgrctl_cmd_console (VmgrctlContext *ctx, const VmgrctlCommand *cmd, char **argv);

G_END_DECLS
