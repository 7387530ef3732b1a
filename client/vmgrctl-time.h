/* The times a user types to pick entries (audit --since, --until): pure
 * functions, no D-Bus. Parse errors are VMGRCTL_ERROR_USAGE. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* @text as microseconds since the epoch: an ISO 8601 time or date (as
 * vmgrctl_parse_time), the time as vmgrctl prints it ("2024-05-01
 * 12:00:00", local), a time before @now_usec ("90s", "30m", "1h", "2d",
 * "1w"), "now", "today" or "yesterday" (local midnight). */
gboolean vmgrctl_parse_time_spec (const char *text, gint64 now_usec, gint64 *usec,
                                  GError **error);

G_END_DECLS
