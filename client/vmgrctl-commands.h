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

/* vmgrctl-admin-commands.c */
int vmgrctl_cmd_templates (VmgrctlContext *ctx, const VmgrctlCommand *cmd, char **argv);
int vmgrctl_cmd_template_add (VmgrctlContext *ctx, const VmgrctlCommand *cmd, char **argv);
int vmgrctl_cmd_template_remove (VmgrctlContext *ctx, const VmgrctlCommand *cmd, char **argv);
int vmgrctl_cmd_plans (VmgrctlContext *ctx, const VmgrctlCommand *cmd, char **argv);
int vmgrctl_cmd_plan_set (VmgrctlContext *ctx, const VmgrctlCommand *cmd, char **argv);
int vmgrctl_cmd_plan_remove (VmgrctlContext *ctx, const VmgrctlCommand *cmd, char **argv);
int vmgrctl_cmd_audit (VmgrctlContext *ctx, const VmgrctlCommand *cmd, char **argv);

G_END_DECLS
