/* How `audit` shows the audit log: a table and JSON. Pure functions, no
 * D-Bus. */
#pragma once

#include <json-glib/json-glib.h>

#include "vmgrctl-output.h"

G_BEGIN_DECLS

/* QueryAudit's a(xusssss) as QueryAuditRecords' aa{sv} (without verb,
 * target name, UUID or changes): what a vmgrd without QueryAuditRecords
 * answers, shown the same way. */
GVariant *vmgrctl_audit_records_from_tuples (GVariant *tuples);

/* TIME UID USER VERB ACTION TARGET RESULT CHANGES MESSAGE, one row per
 * record of @records (aa{sv}); the target by name where known, sizes
 * changed in binary units ("memory_limit 512 MiB -> 1.0 GiB"). */
char *vmgrctl_audit_render (GVariant *records);

/* [{"time": ISO 8601, "time_usec", "uid", "user", "verb", "action",
 *   "target", "target_name", "target_uuid", "result", "message",
 *   "changes": [{"field", "old", "new"}]}, ...]; null where a value is
 * missing. */
JsonNode *vmgrctl_audit_to_json (GVariant *records);

G_END_DECLS
