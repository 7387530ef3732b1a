/* What every command shares: the global options, the bus connection and
 * the Manager proxy, and how a VM is looked up. */
#pragma once

#include <gio/gio.h>

#include "vmgr-generated.h"

G_BEGIN_DECLS

#define VMGRCTL_BUS_NAME "org.vmgr"
#define VMGRCTL_MANAGER_PATH "/org/vmgr/Manager"
#define VMGRCTL_OBJECT_MANAGER_PATH "/org/vmgr"
#define VMGRCTL_DEFAULT_TIMEOUT_S 60

typedef struct {
  /* Global options. */
  gboolean session;
  gboolean system;
  char *address;
  gboolean no_ask_password;
  gboolean json;
  gboolean no_header;  /* tables without their header row */
  gboolean no_wait;
  gboolean quiet;   /* no line saying what a lifecycle command did */
  guint timeout_s;  /* --wait-timeout: how long to wait for a state; 0 = no limit */

  /* Made on first use. */
  GDBusConnection *connection;
  VmgrDBusManager *manager;
} VmgrctlContext;

VmgrctlContext *vmgrctl_context_new (void);
void vmgrctl_context_free (VmgrctlContext *ctx);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VmgrctlContext, vmgrctl_context_free)

/* A proxy for the VM at @path, with its properties loaded. */
VmgrDBusVM *vmgrctl_context_get_vm (VmgrctlContext *ctx, const char *path, GError **error);

/* A proxy for the customer at @path, with its properties loaded. */
VmgrDBusCustomer *vmgrctl_context_get_customer (VmgrctlContext *ctx, const char *path,
                                                GError **error);

/* "/org/vmgr/customer/UID" */
char *vmgrctl_customer_path (guint32 uid);

/* Connects, resolves @name_or_id with Manager.FindVM and returns the VM
 * proxy; on failure prints the error and returns the exit status. */
int vmgrctl_context_lookup_vm (VmgrctlContext *ctx, const char *name_or_id, VmgrDBusVM **vm);

/* Connects (once) and gives the Manager proxy (borrowed); on failure
 * prints the error and returns the exit status. */
int vmgrctl_context_connect (VmgrctlContext *ctx, VmgrDBusManager **manager);

/* The same, with the failure in @error instead of printed. */
gboolean vmgrctl_context_ensure_manager (VmgrctlContext *ctx, GError **error);

/* The uid of the user @text names, wherever vmgrctl shows a user name: a
 * decimal uid; a user known on this host (getpwnam()); else a name vmgrd
 * knows, a registered customer's UserName or the OwnerName of a VM the
 * caller may see (the users of a customer's namespace need not exist
 * here). Connects if need be. An unknown name is a
 * VMGRCTL_EXIT_INVALID_ARGUMENT error naming it. (vmgrctl-users.c) */
gboolean vmgrctl_context_resolve_user (VmgrctlContext *ctx, const char *text, guint32 *uid,
                                       GError **error);

G_END_DECLS
