/* vmgr-bench's rows on real LXC containers (items 12 and 13 of
 * bench/README.md), run with --real-lxc under tests/harness/libvirtd.sh:
 * cheap reads while slow operations (provisionings and graceful shutdowns)
 * are in flight, against the same reads idle; and the time from a libvirt
 * lifecycle event caused outside vmgrd to PropertiesChanged at a client. */
#pragma once

#include <gio/gio.h>

#include "bench-report.h"

G_BEGIN_DECLS

typedef struct {
  GDBusConnection *bus;   /* root's */
  const char *self_path;
  BenchReport *report;
  guint iterations;       /* timed reads per idle row */
  guint loaded_iterations; /* timed reads per loaded row */
  guint warmup;
  guint slow_ops;         /* operations in flight: half provisionings, half shutdowns */
  guint event_rounds;     /* suspend + resume rounds of the event rows */
} BenchReal;

void bench_real_add_rows (const BenchReal *real);
void bench_real_measure (const BenchReal *real);

/* The event rows (bench-real-events.c), on the running container of the
 * VM at @vm_path whose libvirt domain is @domain_name. */
void bench_real_measure_events (const BenchReal *real, const char *vm_path,
                                const char *domain_name);

G_END_DECLS
