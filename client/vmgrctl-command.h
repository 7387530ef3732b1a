/* A vmgrctl command and the parsing of its own command line. */
#pragma once

#include <glib.h>

#include "vmgrctl-context.h"

G_BEGIN_DECLS

typedef enum {
  VMGRCTL_COMMAND_READ = 1 << 0,   /* also accepts --json after the command */
  VMGRCTL_COMMAND_WAITS = 1 << 1,  /* also accepts --no-wait after the command */
  VMGRCTL_COMMAND_MORE_ARGS = 1 << 2,  /* n_args is the least; any more are allowed */
  VMGRCTL_COMMAND_PROVISIONS = 1 << 3, /* shows provisioning progress; --help says how */
} VmgrctlCommandFlags;

typedef struct _VmgrctlCommand VmgrctlCommand;

/* @argv: the command's (last) name and everything after it. Returns the
 * exit status. */
typedef int (*VmgrctlCommandFunc) (VmgrctlContext *ctx, const VmgrctlCommand *cmd, char **argv);

struct _VmgrctlCommand {
  const char *name;    /* one word, or two for a group: "customer add" */
  const char *usage;   /* what follows the name in the usage line */
  guint n_args;        /* positional arguments */
  VmgrctlCommandFlags flags;
  const char *summary;
  VmgrctlCommandFunc run;
};

/* Parses @argv with @entries and @more_entries (both may be NULL) and
 * gives the positional arguments in @args; on a usage error prints it
 * and returns VMGRCTL_EXIT_USAGE. */
int vmgrctl_command_parse (VmgrctlContext *ctx, const VmgrctlCommand *cmd,
                           const GOptionEntry *entries, const GOptionEntry *more_entries,
                           char **argv, GStrv *args);

/* vmgrctl_command_parse() with @entries, then vmgrctl_context_connect():
 * the exit status of the first that fails, or VMGRCTL_EXIT_OK. */
int vmgrctl_command_parse_and_connect (VmgrctlContext *ctx, const VmgrctlCommand *cmd,
                                       const GOptionEntry *entries, char **argv, GStrv *args,
                                       VmgrDBusManager **manager);

/* Prints "vmgrctl: COMMAND: MESSAGE (see 'vmgrctl COMMAND --help')" and
 * returns VMGRCTL_EXIT_USAGE. */
int vmgrctl_command_usage_error (const VmgrctlCommand *cmd, const char *message);

/* Prints "vmgrctl: COMMAND: MESSAGE" for an invalid option value and
 * returns the exit status of @error. */
int vmgrctl_command_fail (const VmgrctlCommand *cmd, GError *error);

G_END_DECLS
