/* How `host` shows Manager.GetHostInfo: "key: value" lines with units,
 * or JSON. Pure functions, no D-Bus. */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* The host's CPUs (which bound one VM's vCPUs), CPU model, memory and
 * disk (total, free), the capacity all VMs together may be given and
 * what is allocated to them ("8 of 32 (25%)"), the VM count and one line
 * per vms_<state> count; then any key this client does not know, as it
 * is. A missing value shows as "-", a capacity of 0 as "unlimited". */
char *vmgrctl_host_describe (GVariant *info);

/* The a{sv} as a JSON object, keys as they are, and "backend" (Manager's
 * Backend; null when unknown). */
JsonNode *vmgrctl_host_to_json (GVariant *info, const char *backend);

G_END_DECLS
