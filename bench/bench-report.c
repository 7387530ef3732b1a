/* bench-report.c: vmgr-bench's table and JSON line (see the header). */
#include "bench-report.h"

#include <string.h>

struct _BenchReport {
  GPtrArray *rows;  /* BenchRow* */
};

static void
bench_row_free (gpointer data)
{
  BenchRow *row = data;

  g_free (row->note);
  g_free (row);
}

BenchReport *
bench_report_new (void)
{
  BenchReport *report = g_new0 (BenchReport, 1);

  report->rows = g_ptr_array_new_with_free_func (bench_row_free);
  return report;
}

void
bench_report_free (BenchReport *report)
{
  if (report == NULL)
    return;
  g_ptr_array_unref (report->rows);
  g_free (report);
}

BenchRow *
bench_report_add (BenchReport *report, const char *id, const char *item, const char *label,
                  const char *user, const char *bare_id, const char *libvirt_id)
{
  BenchRow *row;

  g_return_val_if_fail (bench_report_find (report, id) == NULL, NULL);
  row = g_new0 (BenchRow, 1);
  *row = (BenchRow) { id, item, label, user, bare_id, libvirt_id, BENCH_ROW_PENDING, NULL, { 0 },
                      NULL };
  g_ptr_array_add (report->rows, row);
  return row;
}

BenchRow *
bench_report_find (BenchReport *report, const char *id)
{
  if (id == NULL)
    return NULL;
  for (guint i = 0; i < report->rows->len; i++)
    {
      BenchRow *row = g_ptr_array_index (report->rows, i);

      if (g_str_equal (row->id, id))
        return row;
    }
  return NULL;
}

void
bench_row_set_samples (BenchRow *row, GArray *samples_us)
{
  if (bench_stats_compute (samples_us, &row->stats))
    bench_row_set_status (row, BENCH_ROW_OK, NULL);
  else
    bench_row_set_status (row, BENCH_ROW_FAILED, "no samples");
}

void
bench_row_set_value (BenchRow *row, double value, const char *unit)
{
  row->stats = (BenchStats) { 0, value, value, value };
  row->unit = unit;
  bench_row_set_status (row, BENCH_ROW_OK, NULL);
}

void
bench_row_set_status (BenchRow *row, BenchRowStatus status, const char *note)
{
  row->status = status;
  g_free (row->note);
  row->note = g_strdup (note);
}

gboolean
bench_report_succeeded (BenchReport *report)
{
  for (guint i = 0; i < report->rows->len; i++)
    {
      BenchRow *row = g_ptr_array_index (report->rows, i);

      if (row->status == BENCH_ROW_PENDING || row->status == BENCH_ROW_FAILED)
        return FALSE;
    }
  return TRUE;
}

static const char *
status_name (BenchRowStatus status)
{
  switch (status)
    {
    case BENCH_ROW_OK: return "ok";
    case BENCH_ROW_DENIED: return "denied";
    case BENCH_ROW_SKIPPED: return "skipped";
    case BENCH_ROW_FAILED: return "failed";
    case BENCH_ROW_PENDING:
    default: return "pending";
    }
}

/* median(row) / median(the row @other_id names); FALSE when either has none. */
static gboolean
ratio_to (BenchReport *report, const BenchRow *row, const char *other_id, double *ratio)
{
  const BenchRow *other = bench_report_find (report, other_id);

  if (row->status != BENCH_ROW_OK || other == NULL || other->status != BENCH_ROW_OK ||
      other->stats.median_ms <= 0.0)
    return FALSE;
  *ratio = row->stats.median_ms / other->stats.median_ms;
  return TRUE;
}

/* ---- the table ------------------------------------------------------------- */

#define TABLE_HEAD "%-2s %-48s %-5s %6s %8s %8s %8s %8s %9s\n"
#define TABLE_ROW  "%-2s %-48s %-5s %6u %8.3f %8.3f %8.3f %8s %9s\n"
#define TABLE_VALUE "%-2s %-48s %-5s %6s %8.3f %-8s %8s %8s %9s\n"

static void
format_ratio (BenchReport *report, const BenchRow *row, const char *other_id,
              char *buf, gsize size)
{
  double ratio;

  if (ratio_to (report, row, other_id, &ratio))
    g_snprintf (buf, size, "%.2f", ratio);
  else
    g_strlcpy (buf, "-", size);
}

static void
print_table_row (BenchReport *report, const BenchRow *row, FILE *out)
{
  char bare[32], libvirt[32];

  if (row->status != BENCH_ROW_OK)
    {
      fprintf (out, "%-2s %-48s %-5s %s%s%s\n", row->item, row->label, row->user,
               status_name (row->status), row->note != NULL ? ": " : "",
               row->note != NULL ? row->note : "");
      return;
    }
  format_ratio (report, row, row->bare_id, bare, sizeof bare);
  format_ratio (report, row, row->libvirt_id, libvirt, sizeof libvirt);
  if (row->unit != NULL)
    {
      fprintf (out, TABLE_VALUE, row->item, row->label, row->user, "", row->stats.median_ms,
               row->unit, "", bare, libvirt);
      return;
    }
  fprintf (out, TABLE_ROW, row->item, row->label, row->user, row->stats.n,
           row->stats.median_ms, row->stats.p90_ms, row->stats.p99_ms, bare, libvirt);
}

void
bench_report_print_table (BenchReport *report, const BenchRunInfo *info, FILE *out)
{
  fprintf (out, "\nvmgr-bench: one synchronous call at a time, %u calls per row "
           "(%u uncached), after %u warm-up calls; times in ms.\n",
           info->iterations, info->uncached_iterations, info->warmup);
  fprintf (out, "x bare = median / median of the reference row (for rows 1 to 6: Peer.Ping to "
           "org.vmgr by the same user;\nrows marked 'alt' alternate each call with their "
           "reference in one client); x lv-dbus = median / median of\nthe libvirt-dbus row "
           "named for it. vmgrd's decision cache: default (cache_ttl=%u s) or cache_ttl=0.\n"
           "Figures that are not latencies show their unit in the p90 column.\n\n",
           info->cache_ttl_s);
  fprintf (out, TABLE_HEAD, "#", "measurement", "user", "n", "median", "p90", "p99", "x bare",
           "x lv-dbus");
  for (guint i = 0; i < report->rows->len; i++)
    print_table_row (report, g_ptr_array_index (report->rows, i), out);
  fprintf (out, "\nrun took %.1f s\n\n", info->elapsed_s);
}

/* ---- the JSON line ------------------------------------------------------------ */

static void
append_json_string (GString *json, const char *text)
{
  g_string_append_c (json, '"');
  for (const char *p = text; *p != '\0'; p++)
    {
      guchar c = (guchar) *p;

      if (c == '"' || c == '\\')
        g_string_append_printf (json, "\\%c", c);
      else if (c < 0x20)
        g_string_append_printf (json, "\\u%04x", c);
      else
        g_string_append_c (json, (char) c);
    }
  g_string_append_c (json, '"');
}

static void
append_json_key (GString *json, const char *key)
{
  g_string_append_c (json, ',');
  append_json_string (json, key);
  g_string_append_c (json, ':');
}

static void
append_json_ratio (GString *json, BenchReport *report, const BenchRow *row, const char *key,
                   const char *other_id)
{
  double ratio;

  append_json_key (json, key);
  if (ratio_to (report, row, other_id, &ratio))
    g_string_append_printf (json, "%.3f", ratio);
  else
    g_string_append (json, "null");
}

static void
append_json_row (GString *json, BenchReport *report, const BenchRow *row)
{
  g_string_append (json, "{\"id\":");
  append_json_string (json, row->id);
  append_json_key (json, "item");
  append_json_string (json, row->item);
  append_json_key (json, "user");
  append_json_string (json, row->user);
  append_json_key (json, "status");
  append_json_string (json, status_name (row->status));
  if (row->note != NULL)
    {
      append_json_key (json, "note");
      append_json_string (json, row->note);
    }
  if (row->status == BENCH_ROW_OK && row->unit != NULL)
    {
      g_string_append_printf (json, ",\"value\":%.3f", row->stats.median_ms);
      append_json_key (json, "unit");
      append_json_string (json, row->unit);
    }
  else if (row->status == BENCH_ROW_OK)
    g_string_append_printf (json,
                            ",\"n\":%u,\"median_ms\":%.3f,\"p90_ms\":%.3f,\"p99_ms\":%.3f"
                            ",\"min_ms\":%.3f",
                            row->stats.n, row->stats.median_ms, row->stats.p90_ms,
                            row->stats.p99_ms,
                            row->stats.min_ms);
  append_json_ratio (json, report, row, "x_bare", row->bare_id);
  append_json_ratio (json, report, row, "x_libvirt_dbus", row->libvirt_id);
  g_string_append_c (json, '}');
}

void
bench_report_print_json (BenchReport *report, const BenchRunInfo *info, FILE *out)
{
  g_autoptr(GString) json = g_string_new ("{\"benchmark\":\"vmgr-bench\",\"unit\":\"ms\"");

  g_string_append_printf (json, ",\"iterations\":%u,\"uncached_iterations\":%u,\"warmup\":%u"
                          ",\"cache_ttl_s\":%u,\"elapsed_s\":%.1f,\"rows\":[",
                          info->iterations, info->uncached_iterations, info->warmup,
                          info->cache_ttl_s, info->elapsed_s);
  for (guint i = 0; i < report->rows->len; i++)
    {
      if (i > 0)
        g_string_append_c (json, ',');
      append_json_row (json, report, g_ptr_array_index (report->rows, i));
    }
  g_string_append (json, "]}\n");
  fputs (json->str, out);
  fflush (out);
}
