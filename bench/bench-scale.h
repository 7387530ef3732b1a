/* vmgr-bench's scale rows (items 7 to 11 of bench/README.md): one vmgrd
 * filled with 1,000 and 10,000 VMs on the test driver: its inventory
 * against the same reply served prebuilt and against libvirt-dbus's, a
 * customer's inventory, memory per VM, restart time, how many VMs it
 * accepts, and the cost of sampling running VMs. */
#pragma once

#include <gio/gio.h>

#include "bench-report.h"

G_BEGIN_DECLS

typedef struct {
  GDBusConnection *bus;       /* root's */
  const char *self_path;
  BenchReport *report;
  const guint *sizes;         /* ascending VM counts */
  guint n_sizes;
  guint inventory_iterations; /* timed GetManagedObjects at 1,000 VMs; fewer above */
  guint running;              /* VMs started for the sampling rows */
  guint sample_window_s;
  gboolean with_libvirt_dbus;
  const char *resources_config;  /* vmgrd's [resources] group */
} BenchScale;

void bench_scale_add_rows (const BenchScale *scale);
void bench_scale_measure (const BenchScale *scale);

G_END_DECLS
