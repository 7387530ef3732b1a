/* Keeping vmgr and libvirt in agreement. At start: the host's capacity,
 * every stored VM defined again where libvirt lacks it (the test driver
 * forgets everything; a host may have been reinstalled), every object
 * exported, domains vmgr does not manage reported, autostart VMs started.
 * Afterwards: libvirt's lifecycle events routed to the VMs, and when the
 * connection is lost every VM is "unknown" until it comes back, when the
 * states are listed again (and missing domains defined again). */
#pragma once

#include "vmgr-registry.h"

G_BEGIN_DECLS

#define VMGR_TYPE_RECONCILER (vmgr_reconciler_get_type ())
G_DECLARE_FINAL_TYPE (VmgrReconciler, vmgr_reconciler, VMGR, RECONCILER, GObject)

VmgrReconciler *vmgr_reconciler_new (const VmgrContext *context, VmgrRegistry *registry);

void vmgr_reconciler_start_async (VmgrReconciler *self, GAsyncReadyCallback callback,
                                  gpointer user_data);
gboolean vmgr_reconciler_start_finish (VmgrReconciler *self, GAsyncResult *result,
                                       GError **error);

G_END_DECLS
