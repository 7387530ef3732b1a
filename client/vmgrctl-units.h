/* Parsing and formatting of sizes, numbers, durations and times: pure
 * functions, no D-Bus. Parse errors are VMGRCTL_ERROR_USAGE. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* "512M", "1G", "1.5GiB", "1024K", "4096": binary units K, M, G, T, each
 * optionally followed by "iB" or "B"; a fraction needs a unit. */
gboolean vmgrctl_parse_size (const char *text, guint64 *bytes, GError **error);
/* "1.0 GiB", "64 MiB", "512 B": one decimal below 10 units. */
char *vmgrctl_format_size (guint64 bytes);

/* A decimal number from 0 to @max. */
gboolean vmgrctl_parse_uint (const char *text, guint64 max, guint64 *value, GError **error);
/* "150" or "150%". */
gboolean vmgrctl_parse_percent (const char *text, guint32 *value, GError **error);

/* "2d 3h 4m", "3h 4m", "4m 5s", "5s". */
char *vmgrctl_format_duration (guint64 seconds);

/* ISO 8601 ("2024-05-01T12:00:00Z", local time without a zone) or a date
 * ("2024-05-01", local midnight), as microseconds since the epoch. */
gboolean vmgrctl_parse_time (const char *text, gint64 *usec, GError **error);
/* "2024-05-01 12:00:00" in local time. */
char *vmgrctl_format_time_local (gint64 usec);
/* "2024-05-01T12:00:00.000000Z". */
char *vmgrctl_format_time_iso8601 (gint64 usec);

G_END_DECLS
