/* Unit tests for vmgr-usage.c: CPU percent from two samples, the Usage
 * dictionary and the disk soft limit crossing; and for
 * vmgr-usage-history.c: the bounded history GetUsageHistory serves. */
#include <string.h>

#include <glib.h>

#include "vmgr-backend.h"
#include "vmgr-usage.h"
#include "vmgr-usage-history.h"

#define SEC G_GINT64_CONSTANT (1000000)      /* microseconds */
#define NS_PER_SEC G_GUINT64_CONSTANT (1000000000)
#define GIB (G_GUINT64_CONSTANT (1024) * 1024 * 1024)

/* A running sample with only CPU time. */
static VmgrDomainStats
cpu_sample (guint64 cpu_time_ns, gint64 sampled_mono)
{
  VmgrDomainStats stats = { 0 };

  stats.running = TRUE;
  stats.has_cpu = TRUE;
  stats.cpu_time_ns = cpu_time_ns;
  stats.sampled_mono = sampled_mono;
  stats.sampled_at = 1700000000 * SEC + sampled_mono;
  return stats;
}

/* A running sample with only disk usage (@has_disk FALSE: not measured). */
static VmgrDomainStats
disk_sample (gboolean has_disk, guint64 disk_used)
{
  VmgrDomainStats stats = { 0 };

  stats.running = TRUE;
  stats.has_disk = has_disk;
  stats.disk_used = disk_used;
  return stats;
}

/* --- CPU percent -------------------------------------------------------- */

typedef struct {
  const char *what;
  gboolean has_previous;
  gboolean previous_has_cpu;
  guint64 previous_ns;
  gint64 previous_mono;
  gboolean current_has_cpu;
  guint64 current_ns;
  gint64 current_mono;
  double percent;
} CpuCase;

static void
test_cpu_percent (void)
{
  static const CpuCase cases[] = {
    { "half a second of CPU in one second", TRUE, TRUE, 0, 1 * SEC,
      TRUE, NS_PER_SEC / 2, 2 * SEC, 50.0 },
    { "idle", TRUE, TRUE, 5 * NS_PER_SEC, 10 * SEC, TRUE, 5 * NS_PER_SEC, 20 * SEC, 0.0 },
    { "one CPU busy", TRUE, TRUE, 3 * NS_PER_SEC, 10 * SEC,
      TRUE, 13 * NS_PER_SEC, 20 * SEC, 100.0 },
    { "two CPUs busy", TRUE, TRUE, 0, 1 * SEC, TRUE, 2 * NS_PER_SEC, 2 * SEC, 200.0 },
    { "eight CPUs busy over 5 s", TRUE, TRUE, 100 * NS_PER_SEC, 100 * SEC,
      TRUE, 140 * NS_PER_SEC, 105 * SEC, 800.0 },
    { "a quarter over 2 s", TRUE, TRUE, 1 * NS_PER_SEC, 3 * SEC,
      TRUE, 1 * NS_PER_SEC + NS_PER_SEC / 2, 5 * SEC, 25.0 },
    { "1 ms in 100 ms", TRUE, TRUE, 0, 1000, TRUE, 1000000, 1000 + 100000, 1.0 },
    { "large counters", TRUE, TRUE, G_GUINT64_CONSTANT (1) << 60, 1000 * SEC,
      TRUE, (G_GUINT64_CONSTANT (1) << 60) + 3 * NS_PER_SEC / 4, 1001 * SEC, 75.0 },
    { "no previous sample", FALSE, FALSE, 0, 0, TRUE, 5 * NS_PER_SEC, 10 * SEC, 0.0 },
    { "previous without CPU time", TRUE, FALSE, 0, 1 * SEC, TRUE, NS_PER_SEC, 2 * SEC, 0.0 },
    { "current without CPU time", TRUE, TRUE, 0, 1 * SEC, FALSE, NS_PER_SEC, 2 * SEC, 0.0 },
    { "neither with CPU time", TRUE, FALSE, 0, 1 * SEC, FALSE, NS_PER_SEC, 2 * SEC, 0.0 },
    { "counter going backwards (restart)", TRUE, TRUE, 50 * NS_PER_SEC, 10 * SEC,
      TRUE, 1 * NS_PER_SEC, 20 * SEC, 0.0 },
    { "zero elapsed", TRUE, TRUE, 0, 5 * SEC, TRUE, NS_PER_SEC, 5 * SEC, 0.0 },
    { "clock going backwards", TRUE, TRUE, 0, 5 * SEC, TRUE, NS_PER_SEC, 4 * SEC, 0.0 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const CpuCase *c = &cases[i];
      VmgrDomainStats previous = cpu_sample (c->previous_ns, c->previous_mono);
      VmgrDomainStats current = cpu_sample (c->current_ns, c->current_mono);
      double percent;

      g_test_message ("case %u: %s", i, c->what);
      previous.has_cpu = c->previous_has_cpu;
      current.has_cpu = c->current_has_cpu;
      percent = vmgr_usage_cpu_percent (c->has_previous ? &previous : NULL, &current);
      g_assert_cmpfloat_with_epsilon (percent, c->percent, 1e-9);
      g_assert_cmpfloat (percent, >=, 0.0);
    }
}

/* --- the Usage dictionary ----------------------------------------------- */

typedef struct {
  const char *what;
  gboolean running, has_cpu, has_memory, has_disk, has_network;
  gint64 running_since;
  const char * const *keys;  /* exactly the keys expected */
} DictCase;

static void
test_to_variant_keys (void)
{
  const DictCase cases[] = {
    { "nothing measured, not running", FALSE, FALSE, FALSE, FALSE, FALSE, 0,
      (const char *[]) { "sampled_at", NULL } },
    { "nothing measured, running, start unknown", TRUE, FALSE, FALSE, FALSE, FALSE, 0,
      (const char *[]) { "sampled_at", NULL } },
    { "nothing measured, running", TRUE, FALSE, FALSE, FALSE, FALSE, 1 * SEC,
      (const char *[]) { "uptime_s", "sampled_at", NULL } },
    { "not running with a start time", FALSE, FALSE, FALSE, FALSE, FALSE, 1 * SEC,
      (const char *[]) { "sampled_at", NULL } },
    { "cpu only", TRUE, TRUE, FALSE, FALSE, FALSE, 0,
      (const char *[]) { "cpu_percent", "cpu_time_ns", "sampled_at", NULL } },
    { "memory only", TRUE, FALSE, TRUE, FALSE, FALSE, 0,
      (const char *[]) { "memory_used", "sampled_at", NULL } },
    { "disk only", TRUE, FALSE, FALSE, TRUE, FALSE, 0,
      (const char *[]) { "disk_used", "sampled_at", NULL } },
    { "network only", TRUE, FALSE, FALSE, FALSE, TRUE, 0,
      (const char *[]) { "net_rx_bytes", "net_tx_bytes", "sampled_at", NULL } },
    { "everything", TRUE, TRUE, TRUE, TRUE, TRUE, 1 * SEC,
      (const char *[]) { "cpu_percent", "cpu_time_ns", "memory_used", "disk_used",
                         "net_rx_bytes", "net_tx_bytes", "uptime_s", "sampled_at", NULL } },
    { "everything but not running", FALSE, TRUE, TRUE, TRUE, TRUE, 1 * SEC,
      (const char *[]) { "cpu_percent", "cpu_time_ns", "memory_used", "disk_used",
                         "net_rx_bytes", "net_tx_bytes", "sampled_at", NULL } },
    { "cpu and disk", TRUE, TRUE, FALSE, TRUE, FALSE, 0,
      (const char *[]) { "cpu_percent", "cpu_time_ns", "disk_used", "sampled_at", NULL } },
  };
  static const struct { const char *key; const char *type; } types[] = {
    { "cpu_percent", "d" }, { "cpu_time_ns", "t" }, { "memory_used", "t" },
    { "disk_used", "t" }, { "net_rx_bytes", "t" }, { "net_tx_bytes", "t" },
    { "uptime_s", "t" }, { "sampled_at", "x" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const DictCase *c = &cases[i];
      VmgrDomainStats current = { 0 };
      g_autoptr(GVariant) dict = NULL;

      g_test_message ("case %u: %s", i, c->what);
      current.running = c->running;
      current.has_cpu = c->has_cpu;
      current.has_memory = c->has_memory;
      current.has_disk = c->has_disk;
      current.has_network = c->has_network;
      current.sampled_mono = 100 * SEC;
      current.sampled_at = 1700000000 * SEC;
      dict = g_variant_ref_sink (vmgr_usage_to_variant (NULL, &current, c->running_since));

      g_assert_cmpstr (g_variant_get_type_string (dict), ==, "a{sv}");
      g_assert_cmpuint (g_variant_n_children (dict), ==, g_strv_length ((char **) c->keys));
      for (guint k = 0; c->keys[k] != NULL; k++)
        {
          g_autoptr(GVariant) value = g_variant_lookup_value (dict, c->keys[k], NULL);

          if (value == NULL)
            g_error ("key %s missing from %s", c->keys[k], g_variant_print (dict, TRUE));
          for (guint t = 0; t < G_N_ELEMENTS (types); t++)
            if (g_str_equal (types[t].key, c->keys[k]))
              g_assert_cmpstr (g_variant_get_type_string (value), ==, types[t].type);
        }
    }
}

static void
test_to_variant_values (void)
{
  VmgrDomainStats previous = cpu_sample (10 * NS_PER_SEC, 50 * SEC);
  VmgrDomainStats current = cpu_sample (10 * NS_PER_SEC + NS_PER_SEC / 2, 51 * SEC);
  g_autoptr(GVariant) dict = NULL;
  double percent = -1;
  guint64 value = 0;
  gint64 at = 0;

  current.has_memory = current.has_disk = current.has_network = TRUE;
  current.memory_used = 3 * GIB;
  current.disk_used = 17 * GIB + 5;
  current.net_rx_bytes = 123456789;
  current.net_tx_bytes = 987654321;
  current.sampled_at = 1712345678 * SEC + 42;

  /* started 41.9 s before the sample: whole seconds, rounded down */
  dict = g_variant_ref_sink (vmgr_usage_to_variant (&previous, &current, 51 * SEC - 41900000));

  g_assert_true (g_variant_lookup (dict, "cpu_percent", "d", &percent));
  g_assert_cmpfloat_with_epsilon (percent, 50.0, 1e-9);
  g_assert_true (g_variant_lookup (dict, "cpu_time_ns", "t", &value));
  g_assert_cmpuint (value, ==, 10 * NS_PER_SEC + NS_PER_SEC / 2);
  g_assert_true (g_variant_lookup (dict, "memory_used", "t", &value));
  g_assert_cmpuint (value, ==, 3 * GIB);
  g_assert_true (g_variant_lookup (dict, "disk_used", "t", &value));
  g_assert_cmpuint (value, ==, 17 * GIB + 5);
  g_assert_true (g_variant_lookup (dict, "net_rx_bytes", "t", &value));
  g_assert_cmpuint (value, ==, 123456789);
  g_assert_true (g_variant_lookup (dict, "net_tx_bytes", "t", &value));
  g_assert_cmpuint (value, ==, 987654321);
  g_assert_true (g_variant_lookup (dict, "uptime_s", "t", &value));
  g_assert_cmpuint (value, ==, 41);
  g_assert_true (g_variant_lookup (dict, "sampled_at", "x", &at));
  g_assert_cmpint (at, ==, 1712345678 * SEC + 42);
}

static void
test_to_variant_uptime (void)
{
  static const struct {
    gint64 sampled_mono;
    gint64 running_since;
    guint64 uptime;
  } cases[] = {
    { 10 * SEC, 10 * SEC, 0 },
    { 10 * SEC, 10 * SEC - 1, 0 },
    { 10 * SEC, 9 * SEC, 1 },
    { 10 * SEC, 9 * SEC + 1, 0 },
    { 3600 * SEC + 5, 1, 3600 },
    { 86400 * SEC * 400, 1 * SEC, 86400 * 400 - 1 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      VmgrDomainStats current = { .running = TRUE, .sampled_mono = cases[i].sampled_mono };
      g_autoptr(GVariant) dict =
        g_variant_ref_sink (vmgr_usage_to_variant (NULL, &current, cases[i].running_since));
      guint64 uptime = G_MAXUINT64;

      g_test_message ("case %u", i);
      g_assert_true (g_variant_lookup (dict, "uptime_s", "t", &uptime));
      g_assert_cmpuint (uptime, ==, cases[i].uptime);
    }
}

/* The first sample has no previous one: cpu_percent is there, and 0. */
static void
test_to_variant_first_sample (void)
{
  VmgrDomainStats current = cpu_sample (99 * NS_PER_SEC, 10 * SEC);
  g_autoptr(GVariant) dict = g_variant_ref_sink (vmgr_usage_to_variant (NULL, &current, 0));
  double percent = -1;
  guint64 ns = 0;

  g_assert_true (g_variant_lookup (dict, "cpu_percent", "d", &percent));
  g_assert_cmpfloat (percent, ==, 0.0);
  g_assert_true (g_variant_lookup (dict, "cpu_time_ns", "t", &ns));
  g_assert_cmpuint (ns, ==, 99 * NS_PER_SEC);
}

/* The previous sample's measurements do not leak into the dictionary. */
static void
test_to_variant_previous_ignored (void)
{
  VmgrDomainStats previous = { .running = TRUE, .has_cpu = TRUE, .has_memory = TRUE,
                               .has_disk = TRUE, .has_network = TRUE, .memory_used = 1,
                               .disk_used = 2, .sampled_mono = SEC };
  VmgrDomainStats current = { .running = TRUE, .sampled_mono = 2 * SEC, .sampled_at = 7 };
  g_autoptr(GVariant) dict = g_variant_ref_sink (vmgr_usage_to_variant (&previous, &current, 0));

  g_assert_cmpuint (g_variant_n_children (dict), ==, 1);
  g_assert_true (g_variant_lookup (dict, "sampled_at", "x", NULL));
}

/* --- disk soft limit ---------------------------------------------------- */

typedef struct {
  gboolean has_disk;
  guint64 disk_used;
  gboolean crossed;  /* expected from this sample against the one before */
} DiskStep;

typedef struct {
  const char *what;
  guint64 soft_limit;
  DiskStep steps[8];
  guint n_steps;
} DiskCase;

static void
test_crossed_soft_limit (void)
{
  static const DiskCase cases[] = {
    { "crossing once, then staying over", 10 * GIB,
      { { TRUE, 5 * GIB, FALSE }, { TRUE, 11 * GIB, TRUE }, { TRUE, 12 * GIB, FALSE },
        { TRUE, 15 * GIB, FALSE } }, 4 },
    { "crossing again after going below", 10 * GIB,
      { { TRUE, 5 * GIB, FALSE }, { TRUE, 11 * GIB, TRUE }, { TRUE, 9 * GIB, FALSE },
        { TRUE, 11 * GIB, TRUE }, { TRUE, 11 * GIB, FALSE } }, 5 },
    { "over from the first sample", 10 * GIB,
      { { TRUE, 20 * GIB, TRUE }, { TRUE, 20 * GIB, FALSE } }, 2 },
    { "exactly at the limit is not over", 10 * GIB,
      { { TRUE, 10 * GIB, FALSE }, { TRUE, 10 * GIB + 1, TRUE }, { TRUE, 10 * GIB, FALSE },
        { TRUE, 10 * GIB, FALSE }, { TRUE, 10 * GIB + 1, TRUE } }, 5 },
    { "soft limit 0 never crosses", 0,
      { { TRUE, 0, FALSE }, { TRUE, 1, FALSE }, { TRUE, 100 * GIB, FALSE },
        { TRUE, 0, FALSE }, { TRUE, 100 * GIB, FALSE } }, 5 },
    { "never measured never crosses", 10 * GIB,
      { { FALSE, 0, FALSE }, { FALSE, 20 * GIB, FALSE }, { FALSE, 30 * GIB, FALSE } }, 3 },
    { "unmeasured sample while over", 10 * GIB,
      { { TRUE, 5 * GIB, FALSE }, { FALSE, 20 * GIB, FALSE } }, 2 },
    { "staying below", 10 * GIB,
      { { TRUE, 0, FALSE }, { TRUE, 5 * GIB, FALSE }, { TRUE, 10 * GIB, FALSE },
        { TRUE, 1, FALSE } }, 4 },
    { "tiny soft limit", 1,
      { { TRUE, 1, FALSE }, { TRUE, 2, TRUE }, { TRUE, 0, FALSE }, { TRUE, 2, TRUE } }, 4 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const DiskCase *c = &cases[i];
      VmgrDomainStats previous = { 0 };

      for (guint s = 0; s < c->n_steps; s++)
        {
          VmgrDomainStats current = disk_sample (c->steps[s].has_disk, c->steps[s].disk_used);
          gboolean crossed =
            vmgr_usage_crossed_soft_limit (s == 0 ? NULL : &previous, &current, c->soft_limit);

          g_test_message ("case %u (%s), step %u", i, c->what, s);
          g_assert_cmpint (crossed, ==, c->steps[s].crossed);
          previous = current;
        }
    }
}

static VmgrUsagePoint
point_at (gint64 time, double cpu, guint64 memory)
{
  VmgrUsagePoint point = { .time = time, .cpu_percent = cpu, .memory_used = memory };

  return point;
}

static void
history_counts (VmgrUsageHistory *history, gsize *recent, gsize *minutes)
{
  g_autoptr(GVariant) value = g_variant_ref_sink (vmgr_usage_history_to_variant (history));
  g_autoptr(GVariant) first = g_variant_get_child_value (value, 0);
  g_autoptr(GVariant) second = g_variant_get_child_value (value, 1);

  *recent = g_variant_n_children (first);
  *minutes = g_variant_n_children (second);
}

/* A day and more of samples every 5 s: an hour of them is kept, a day of
 * five-minute averages, and the memory used stops growing. */
static void
test_history_bounded (void)
{
  g_autoptr(VmgrUsageHistory) history = vmgr_usage_history_new (5);
  gint64 start = 1700000000 * SEC;
  gsize recent, minutes, size_after_day = 0;

  for (gint64 t = 0; t < 2 * 24 * 3600; t += 5)
    {
      VmgrUsagePoint point = point_at (start + t * SEC, 50.0, GIB);

      vmgr_usage_history_add (history, &point);
      if (t == 24 * 3600)
        size_after_day = vmgr_usage_history_size (history);
    }
  history_counts (history, &recent, &minutes);
  g_assert_cmpuint (recent, ==, 720);
  /* 288 full buckets kept, plus the one under way. */
  g_assert_cmpuint (minutes, <=, VMGR_USAGE_HISTORY_BUCKETS + 1);
  g_assert_cmpuint (minutes, >=, VMGR_USAGE_HISTORY_BUCKETS - 1);
  g_assert_cmpuint (vmgr_usage_history_size (history), ==, size_after_day);
  g_assert_cmpuint (vmgr_usage_history_size (history), <=, 50 * 1024);
}

/* Five-minute buckets average CPU and memory; an hour-old point leaves
 * the recent list; a point from the past is ignored. */
static void
test_history_averages (void)
{
  g_autoptr(VmgrUsageHistory) history = vmgr_usage_history_new (60);
  gint64 start = 1700000100 * SEC - (1700000100 % 300) * SEC;  /* a bucket's start */
  VmgrUsagePoint a = point_at (start, 10.0, 100);
  VmgrUsagePoint b = point_at (start + 60 * SEC, 30.0, 300);
  VmgrUsagePoint old = point_at (start - 3600 * SEC, 99.0, 999);
  VmgrUsagePoint late = point_at (start + 3700 * SEC, 0.0, 0);
  g_autoptr(GVariant) value = NULL;
  g_autoptr(GVariant) buckets = NULL;
  gint64 time;
  double cpu;
  guint64 memory, disk, rx, tx;
  gsize recent, minutes;

  vmgr_usage_history_add (history, &a);
  vmgr_usage_history_add (history, &b);
  vmgr_usage_history_add (history, &old);
  value = g_variant_ref_sink (vmgr_usage_history_to_variant (history));
  buckets = g_variant_get_child_value (value, 1);
  g_variant_get_child (buckets, 0, "(xdtttt)", &time, &cpu, &memory, &disk, &rx, &tx);
  g_assert_cmpfloat_with_epsilon (cpu, 20.0, 1e-9);
  g_assert_cmpuint (memory, ==, 200);
  g_assert_cmpint (time, ==, b.time);
  history_counts (history, &recent, &minutes);
  g_assert_cmpuint (recent, ==, 2);
  g_assert_cmpuint (minutes, ==, 1);

  vmgr_usage_history_add (history, &late);
  history_counts (history, &recent, &minutes);
  g_assert_cmpuint (recent, ==, 1);
  g_assert_cmpuint (minutes, ==, 2);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/usage/cpu-percent", test_cpu_percent);
  g_test_add_func ("/usage/to-variant/keys", test_to_variant_keys);
  g_test_add_func ("/usage/to-variant/values", test_to_variant_values);
  g_test_add_func ("/usage/to-variant/uptime", test_to_variant_uptime);
  g_test_add_func ("/usage/to-variant/first-sample", test_to_variant_first_sample);
  g_test_add_func ("/usage/to-variant/previous-ignored", test_to_variant_previous_ignored);
  g_test_add_func ("/usage/crossed-soft-limit", test_crossed_soft_limit);
  g_test_add_func ("/usage/history/bounded", test_history_bounded);
  g_test_add_func ("/usage/history/averages", test_history_averages);

  return g_test_run ();
}
