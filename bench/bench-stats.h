/* Order statistics of a run of latency samples. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  guint n;           /* samples */
  double min_ms;
  double median_ms;  /* mean of the two middle samples when n is even */
  double p90_ms;     /* nearest rank: the ceil(0.9 n)-th smallest sample */
  double p99_ms;     /* nearest rank: the ceil(0.99 n)-th smallest sample */
} BenchStats;

/* Computes @stats from @samples_us (gint64 microseconds; sorted in place).
 * Returns FALSE when there are no samples. */
gboolean bench_stats_compute (GArray *samples_us, BenchStats *stats);

G_END_DECLS
