/* How `stats VM --history` shows GetUsageHistory's points: a table and
 * JSON. Pure functions, no D-Bus. */
#pragma once

#include <json-glib/json-glib.h>

#include "vmgrctl-output.h"

G_BEGIN_DECLS

/* TIME CPU MEMORY DISK NET-RX/S NET-TX/S, one row per point of @points
 * (a(xdtttt), oldest first); the network rates come from the difference
 * with the point before ("-" for the first). */
char *vmgrctl_history_render (GVariant *points);

/* [{"time": ISO 8601, "time_usec": x, "cpu_percent", "memory_used",
 *   "disk_used", "net_rx_bytes", "net_tx_bytes"}, ...] */
JsonNode *vmgrctl_history_to_json (GVariant *points);

G_END_DECLS
