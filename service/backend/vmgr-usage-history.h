/* A VM's recent usage, in memory and bounded: the last hour at the
 * sampling interval (at most VMGR_USAGE_HISTORY_RECENT_MAX points) and the
 * last day as five-minute averages (VMGR_USAGE_HISTORY_BUCKETS points).
 * Storage grows with the points actually kept, to at most about 48 KiB
 * per VM. Pure data structure; vmgrd feeds it from its samples. */
#pragma once

#include <glib.h>

#include "vmgr-backend.h"

G_BEGIN_DECLS

#define VMGR_USAGE_HISTORY_RECENT_S (60 * 60)
#define VMGR_USAGE_HISTORY_RECENT_MAX 720
#define VMGR_USAGE_HISTORY_BUCKET_S (5 * 60)
#define VMGR_USAGE_HISTORY_BUCKETS (24 * 60 * 60 / VMGR_USAGE_HISTORY_BUCKET_S)

typedef struct {
  gint64 time;              /* real time, microseconds since the epoch */
  double cpu_percent;
  guint64 memory_used;
  guint64 disk_used;
  guint64 net_rx_bytes;     /* cumulative */
  guint64 net_tx_bytes;
} VmgrUsagePoint;

typedef struct _VmgrUsageHistory VmgrUsageHistory;

/* @interval_s: the sampling interval (bounds the recent points to an hour). */
VmgrUsageHistory *vmgr_usage_history_new (guint interval_s);
void vmgr_usage_history_free (VmgrUsageHistory *history);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VmgrUsageHistory, vmgr_usage_history_free)

/* Appends a point; one older than the newest is ignored. */
void vmgr_usage_history_add (VmgrUsageHistory *history, const VmgrUsagePoint *point);

/* The point of a sample (values the backend did not measure are 0). */
VmgrUsagePoint vmgr_usage_point_from_stats (const VmgrDomainStats *previous,
                                            const VmgrDomainStats *current);

/* (a(xdtttt) recent, a(xdtttt) minutes), oldest first: the recent points
 * of the last hour before the newest one, and the five-minute averages
 * of the last day (the bucket under way last). */
GVariant *vmgr_usage_history_to_variant (const VmgrUsageHistory *history);

/* Bytes the history holds now (for tests of its bound). */
gsize vmgr_usage_history_size (const VmgrUsageHistory *history);

G_END_DECLS
