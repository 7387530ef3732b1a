/* A VM's PendingChanges: settings stored for its next start that the
 * running guest does not have yet. */
#pragma once

#include "vmgr-generated.h"

G_BEGIN_DECLS

/* "memory 2.0 GiB, 4 vCPUs", or NULL when nothing is pending. */
char *vmgrctl_pending_describe (GVariant *pending);

/* After a change: reads PendingChanges from vmgrd (not the proxy's cache,
 * which the PropertiesChanged on its way has not updated yet) and prints
 * what takes effect at the next start. */
void vmgrctl_pending_report (VmgrDBusVM *vm);

G_END_DECLS
