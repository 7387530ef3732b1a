/* Turns backend samples into the contract's Usage dictionary: CPU percent
 * from the CPU-time delta between two samples, uptime from when the VM was
 * seen starting. Pure functions. */
#pragma once

#include <glib.h>

#include "vmgr-backend.h"

G_BEGIN_DECLS

/* Percent of one host CPU used between @previous and @current (NULL
 * previous, or no CPU time in either: 0). */
double vmgr_usage_cpu_percent (const VmgrDomainStats *previous, const VmgrDomainStats *current);

/* a{sv}: cpu_percent d, cpu_time_ns t, memory_used t, disk_used t,
 * net_rx_bytes t, net_tx_bytes t, uptime_s t, sampled_at x. Keys of
 * values the backend did not measure are left out. @running_since is a
 * monotonic time, 0 when unknown (uptime_s left out). */
GVariant *vmgr_usage_to_variant (const VmgrDomainStats *previous, const VmgrDomainStats *current,
                                 gint64 running_since);

/* Whether the disk usage crossed @soft_limit upwards between the samples. */
gboolean vmgr_usage_crossed_soft_limit (const VmgrDomainStats *previous,
                                        const VmgrDomainStats *current, guint64 soft_limit);

G_END_DECLS
