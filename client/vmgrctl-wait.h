/* Waiting, after a request, until a VM reaches a state or goes away.
 *
 * Make the waiter before sending the request: it subscribes to the VM
 * proxy's PropertiesChanged and StateChanged and to InterfacesRemoved at
 * once, so no signal sent in reply to the request is missed;
 * vmgrctl_wait_run() then iterates the main context until the condition
 * holds, the VM crashes, is deleted (unless that is awaited), vmgrd leaves
 * the bus, or the timeout passes. No polling. */
#pragma once

#include "vmgr-generated.h"

G_BEGIN_DECLS

typedef enum {
  VMGRCTL_WAIT_FOR_STATE,      /* until State is @state */
  VMGRCTL_WAIT_FOR_NEW_STATE,  /* until a state change was seen and State is @state */
  VMGRCTL_WAIT_FOR_LEAVING,    /* until State is not @state */
  VMGRCTL_WAIT_FOR_REMOVAL,    /* until the VM object is gone */
} VmgrctlWaitKind;

typedef struct _VmgrctlWait VmgrctlWait;

/* @manager is used to check whether the VM still exists (FOR_REMOVAL). */
VmgrctlWait *vmgrctl_wait_new (VmgrDBusVM *vm, VmgrDBusManager *manager,
                               VmgrctlWaitKind kind, const char *state);
void vmgrctl_wait_free (VmgrctlWait *wait);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VmgrctlWait, vmgrctl_wait_free)

/* @timeout_s: 0 for no limit. Errors: VMGRCTL_EXIT_TIMEOUT,
 * VMGRCTL_EXIT_FAILURE (the VM crashed), VMGRCTL_EXIT_NOT_FOUND (it was
 * deleted), VMGRCTL_EXIT_NO_BUS. */
gboolean vmgrctl_wait_run (VmgrctlWait *wait, guint timeout_s, GError **error);

/* Whether the VM of @vm is gone: FindVM by its id answers NotFound, or
 * with another VM's path. Any other error does not say it is gone. */
gboolean vmgrctl_vm_is_gone (VmgrDBusManager *manager, VmgrDBusVM *vm);

/* Subscribes @callback (with @data) to vmgrd's ObjectManager
 * InterfacesRemoved, sent by the owner of @proxy; returns the id for
 * g_dbus_connection_signal_unsubscribe(). */
guint vmgrctl_subscribe_interfaces_removed (GDBusProxy *proxy, GDBusSignalCallback callback,
                                            gpointer data);

/* Whether the InterfacesRemoved @parameters remove @interface from the
 * object at @path. */
gboolean vmgrctl_interfaces_removed_match (GVariant *parameters, const char *path,
                                           const char *interface);

G_END_DECLS
