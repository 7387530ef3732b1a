/* How `stats` shows a VM's usage: a table row with usage bars, and JSON.
 * Pure functions, no D-Bus. */
#pragma once

#include <json-glib/json-glib.h>

#include "vmgrctl-output.h"

G_BEGIN_DECLS

#define VMGRCTL_BAR_WIDTH 10

/* "[###.......]": @fraction (clamped to 0..1) of @width marks, rounded. */
char *vmgrctl_format_bar (double fraction, guint width);

/* The same with @empty for the cells not filled: "[###-------]". */
char *vmgrctl_format_bar_with (double fraction, guint width, char empty);

/* "12.5%" (one decimal, whatever the locale). */
char *vmgrctl_format_percent (double percent);

/* One VM: its settings and a GetStats/Usage sample. */
typedef struct {
  guint32 id;
  const char *name;
  const char *state;
  guint32 vcpus;
  guint32 cpu_limit;        /* percent of one host CPU, 0: none */
  guint64 memory_limit;     /* 0: none */
  guint64 disk_hard_limit;  /* 0: none */
  GVariant *stats;          /* a{sv} with the Usage keys, any missing; or NULL */
} VmgrctlStatsRow;

/* The percent of one host CPU that fills the CPU bar: the VM's vCPUs, or
 * its CPU limit when lower. */
guint32 vmgrctl_stats_cpu_capacity (const VmgrctlStatsRow *row);

/* The sample's CPU use in percent of the VM's capacity (100: all its
 * vCPUs busy, or its CPU limit reached), as the CPU bar shows it;
 * FALSE without a sample. (cpu_percent itself is in percent of one host
 * CPU.) */
gboolean vmgrctl_stats_cpu_percent_of_vm (const VmgrctlStatsRow *row, double *percent);

/* What the CPU column shows, for the line under the table. */
#define VMGRCTL_STATS_CPU_LEGEND \
  "CPU: percent of what the VM may use (its vCPUs, or its CPU limit when lower)"

/* NAME STATE CPU MEMORY DISK NET UPTIME. Cells: CPU "[#.........] 12.5%"
 * (vmgrctl_stats_cpu_percent_of_vm(), bar and number alike),
 * MEMORY and DISK "[##........] 256 MiB/1.0 GiB" (just the amount used
 * when there is no limit), NET "received/sent", UPTIME "1h 1m"; "-" for
 * what the sample lacks. */
VmgrctlTable *vmgrctl_stats_table_new (void);
void vmgrctl_stats_table_add (VmgrctlTable *table, const VmgrctlStatsRow *row);

/* {"id", "name", "state", "vcpus", "cpu_limit", "memory_limit",
 *  "disk_hard_limit", "cpu_percent_of_vm" (null without a sample),
 *  "stats": vmgrctl_json_from_sample() (null without a sample)} */
JsonNode *vmgrctl_stats_row_to_json (const VmgrctlStatsRow *row);

G_END_DECLS
