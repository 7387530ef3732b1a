#include "vmgr-usage-history.h"

#include <string.h>

#include "vmgr-usage.h"

/* A ring of points whose storage grows up to its capacity. */
typedef struct {
  VmgrUsagePoint *points;
  guint allocated;
  guint capacity;
  guint start;              /* index of the oldest point */
  guint len;
} Ring;

/* The five-minute bucket being filled. */
typedef struct {
  gint64 index;             /* time / bucket length; 0 = empty */
  guint count;
  double cpu_sum;
  double memory_sum;
  double disk_sum;
  VmgrUsagePoint last;
} Bucket;

struct _VmgrUsageHistory {
  Ring recent;
  Ring buckets;
  Bucket current;
};

static void
ring_push (Ring *ring, const VmgrUsagePoint *point)
{
  if (ring->len == ring->capacity)
    {
      ring->points[ring->start] = *point;
      ring->start = (ring->start + 1) % ring->capacity;
      return;
    }
  if (ring->len == ring->allocated)
    {
      ring->allocated = MIN (ring->capacity, MAX (16, ring->allocated * 2));
      ring->points = g_renew (VmgrUsagePoint, ring->points, ring->allocated);
    }
  ring->points[ring->len++] = *point;
}

static const VmgrUsagePoint *
ring_get (const Ring *ring, guint i)
{
  return &ring->points[(ring->start + i) % MAX (ring->len, 1)];
}

static const VmgrUsagePoint *
ring_newest (const Ring *ring)
{
  return ring->len > 0 ? ring_get (ring, ring->len - 1) : NULL;
}

VmgrUsageHistory *
vmgr_usage_history_new (guint interval_s)
{
  VmgrUsageHistory *history = g_new0 (VmgrUsageHistory, 1);

  history->recent.capacity = CLAMP (VMGR_USAGE_HISTORY_RECENT_S / MAX (interval_s, 1), 1,
                                    VMGR_USAGE_HISTORY_RECENT_MAX);
  history->buckets.capacity = VMGR_USAGE_HISTORY_BUCKETS;
  return history;
}

void
vmgr_usage_history_free (VmgrUsageHistory *history)
{
  if (history == NULL)
    return;
  g_free (history->recent.points);
  g_free (history->buckets.points);
  g_free (history);
}

static VmgrUsagePoint
bucket_average (const Bucket *bucket)
{
  VmgrUsagePoint average = bucket->last;

  average.cpu_percent = bucket->cpu_sum / bucket->count;
  average.memory_used = (guint64) (bucket->memory_sum / bucket->count);
  average.disk_used = (guint64) (bucket->disk_sum / bucket->count);
  return average;
}

static void
bucket_add (VmgrUsageHistory *history, const VmgrUsagePoint *point)
{
  Bucket *bucket = &history->current;
  gint64 index = point->time / (VMGR_USAGE_HISTORY_BUCKET_S * G_USEC_PER_SEC) + 1;

  if (bucket->count > 0 && bucket->index != index)
    {
      VmgrUsagePoint average = bucket_average (bucket);

      ring_push (&history->buckets, &average);
      memset (bucket, 0, sizeof *bucket);
    }
  bucket->index = index;
  bucket->count++;
  bucket->cpu_sum += point->cpu_percent;
  bucket->memory_sum += (double) point->memory_used;
  bucket->disk_sum += (double) point->disk_used;
  bucket->last = *point;
}

void
vmgr_usage_history_add (VmgrUsageHistory *history, const VmgrUsagePoint *point)
{
  const VmgrUsagePoint *newest = ring_newest (&history->recent);

  if (newest != NULL && point->time < newest->time)
    return;
  ring_push (&history->recent, point);
  bucket_add (history, point);
}

VmgrUsagePoint
vmgr_usage_point_from_stats (const VmgrDomainStats *previous, const VmgrDomainStats *current)
{
  VmgrUsagePoint point = { .time = current->sampled_at };

  if (current->has_cpu)
    point.cpu_percent = vmgr_usage_cpu_percent (previous, current);
  if (current->has_memory)
    point.memory_used = current->memory_used;
  if (current->has_disk)
    point.disk_used = current->disk_used;
  if (current->has_network)
    {
      point.net_rx_bytes = current->net_rx_bytes;
      point.net_tx_bytes = current->net_tx_bytes;
    }
  return point;
}

static void
add_point (GVariantBuilder *builder, const VmgrUsagePoint *p)
{
  g_variant_builder_add (builder, "(xdtttt)", p->time, p->cpu_percent, p->memory_used,
                         p->disk_used, p->net_rx_bytes, p->net_tx_bytes);
}

GVariant *
vmgr_usage_history_to_variant (const VmgrUsageHistory *history)
{
  const VmgrUsagePoint *newest = ring_newest (&history->recent);
  gint64 since = newest != NULL ? newest->time - (gint64) VMGR_USAGE_HISTORY_RECENT_S * G_USEC_PER_SEC : 0;
  gint64 day = newest != NULL ? newest->time - (gint64) 24 * 60 * 60 * G_USEC_PER_SEC : 0;
  GVariantBuilder recent, minutes;

  g_variant_builder_init (&recent, G_VARIANT_TYPE ("a(xdtttt)"));
  g_variant_builder_init (&minutes, G_VARIANT_TYPE ("a(xdtttt)"));
  for (guint i = 0; i < history->recent.len; i++)
    if (ring_get (&history->recent, i)->time >= since)
      add_point (&recent, ring_get (&history->recent, i));
  for (guint i = 0; i < history->buckets.len; i++)
    if (ring_get (&history->buckets, i)->time >= day)
      add_point (&minutes, ring_get (&history->buckets, i));
  if (history->current.count > 0)
    {
      VmgrUsagePoint average = bucket_average (&history->current);

      add_point (&minutes, &average);
    }
  return g_variant_new ("(@a(xdtttt)@a(xdtttt))", g_variant_builder_end (&recent),
                        g_variant_builder_end (&minutes));
}

gsize
vmgr_usage_history_size (const VmgrUsageHistory *history)
{
  return sizeof *history +
         (history->recent.allocated + history->buckets.allocated) * sizeof (VmgrUsagePoint);
}
