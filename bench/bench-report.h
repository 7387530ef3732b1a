/* The rows of a vmgr-bench run and their two renderings: a table for
 * people and one JSON line for machines. */
#pragma once

#include <stdio.h>

#include "bench-stats.h"

G_BEGIN_DECLS

typedef enum {
  BENCH_ROW_PENDING,  /* not measured (an earlier step failed) */
  BENCH_ROW_OK,
  BENCH_ROW_DENIED,   /* the call was refused; note = the D-Bus error name */
  BENCH_ROW_SKIPPED,  /* note = why */
  BENCH_ROW_FAILED,   /* note = what went wrong */
} BenchRowStatus;

typedef struct {
  const char *id;          /* stable key, e.g. "vmgr.state.cached.alice" */
  const char *item;        /* the item of bench/README.md it answers */
  const char *label;
  const char *user;
  const char *bare_id;     /* the row "x bare" divides by, or NULL */
  const char *libvirt_id;  /* the row "x libvirt-dbus" divides by, or NULL */
  BenchRowStatus status;
  char *note;
  BenchStats stats;
  const char *unit;        /* a figure rather than latencies: stats.median_ms holds
                            * it in this unit, stats.n is 0 */
} BenchRow;

typedef struct {
  guint iterations;
  guint uncached_iterations;
  guint warmup;
  guint cache_ttl_s;       /* vmgrd's default [auth] cache_ttl in the cached runs */
  double elapsed_s;
} BenchRunInfo;

typedef struct _BenchReport BenchReport;

BenchReport *bench_report_new (void);
void bench_report_free (BenchReport *report);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BenchReport, bench_report_free)

/* Adds a pending row; the strings must outlive the report. */
BenchRow *bench_report_add (BenchReport *report, const char *id, const char *item,
                            const char *label, const char *user, const char *bare_id,
                            const char *libvirt_id);
BenchRow *bench_report_find (BenchReport *report, const char *id);

/* Takes the samples' statistics (sorts @samples_us). */
void bench_row_set_samples (BenchRow *row, GArray *samples_us);
/* A figure that is not a latency (memory, a count, a duration in s). */
void bench_row_set_value (BenchRow *row, double value, const char *unit);
void bench_row_set_status (BenchRow *row, BenchRowStatus status, const char *note);
/* TRUE when no row failed or stayed pending. */
gboolean bench_report_succeeded (BenchReport *report);

void bench_report_print_table (BenchReport *report, const BenchRunInfo *info, FILE *out);
void bench_report_print_json (BenchReport *report, const BenchRunInfo *info, FILE *out);

G_END_DECLS
