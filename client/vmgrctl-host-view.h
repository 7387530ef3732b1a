/* How `host` shows Manager.GetHostInfo: "key: value" lines with units,
 * or JSON. Pure functions, no D-Bus. */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* CPUs, CPU model, memory and disk (total, free), the capacity VMs may be
 * given and what is allocated to them (with the percentage of the
 * capacity), the VM count and one line per vms_<state> count; then any
 * key this client does not know, as it is. A missing value shows as "-",
 * a capacity of 0 as "unlimited". */
char *vmgrctl_host_describe (GVariant *info);

/* The a{sv} as a JSON object, keys as they are. */
JsonNode *vmgrctl_host_to_json (GVariant *info);

G_END_DECLS
