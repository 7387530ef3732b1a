/* bench-stats.c: median, p90 and p99 of latency samples (see the header). */
#include "bench-stats.h"

static int
compare_gint64 (gconstpointer a, gconstpointer b)
{
  gint64 x = *(const gint64 *) a;
  gint64 y = *(const gint64 *) b;

  return x < y ? -1 : x > y ? 1 : 0;
}

static double
us_to_ms (gint64 us)
{
  return (double) us / 1000.0;
}

gboolean
bench_stats_compute (GArray *samples_us, BenchStats *stats)
{
  const gint64 *s;
  guint n = samples_us != NULL ? samples_us->len : 0;
  guint p90_rank, p99_rank;

  *stats = (BenchStats) { 0 };
  if (n == 0)
    return FALSE;

  g_array_sort (samples_us, compare_gint64);
  s = (const gint64 *) samples_us->data;
  p90_rank = (9 * n + 9) / 10; /* ceil (0.9 n) in integers */
  p99_rank = (99 * n + 99) / 100;

  stats->n = n;
  stats->min_ms = us_to_ms (s[0]);
  stats->median_ms = n % 2 == 1 ? us_to_ms (s[n / 2])
                                 : (us_to_ms (s[n / 2 - 1]) + us_to_ms (s[n / 2])) / 2.0;
  stats->p90_ms = us_to_ms (s[p90_rank - 1]);
  stats->p99_ms = us_to_ms (s[p99_rank - 1]);
  return TRUE;
}
