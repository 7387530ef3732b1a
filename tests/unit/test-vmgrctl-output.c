/* Unit tests of what vmgrctl prints: tables and fields
 * (vmgrctl-output.c), usage bars and the stats table (vmgrctl-stats-view.c),
 * the provisioning progress bar (vmgrctl-progress.c) and the host's lines
 * (vmgrctl-host-view.c). */
#include <gio/gio.h>

#include "vmgrctl-host-view.h"
#include "vmgrctl-output.h"
#include "vmgrctl-progress.h"
#include "vmgrctl-stats-view.h"

#define GiB (G_GUINT64_CONSTANT (1) << 30)

/* ---- tables and fields ---- */

static void
test_table (void)
{
  static const char *const headers[] = { "ID", "NAME", "MEMORY", NULL };
  g_autoptr(VmgrctlTable) table = vmgrctl_table_new (headers, 1 << 0 | 1 << 2);
  g_autofree char *text = NULL;

  vmgrctl_table_add_row (table, (const char *const[]) { "7", "web-server", "1.0 GiB" });
  vmgrctl_table_add_row (table, (const char *const[]) { "101", "", "64 MiB" });
  vmgrctl_table_add_row (table, (const char *const[]) { "2", "näme", NULL });
  text = vmgrctl_table_render (table);
  g_assert_cmpstr (text, ==,
                   " ID  NAME         MEMORY\n"
                   "  7  web-server  1.0 GiB\n"
                   "101  -            64 MiB\n"
                   "  2  näme              -\n");
}

static void
test_fields (void)
{
  g_autoptr(VmgrctlFields) fields = vmgrctl_fields_new ();
  g_autofree char *text = NULL;

  vmgrctl_fields_add (fields, "Name", "web");
  vmgrctl_fields_add (fields, "Plan", "");
  vmgrctl_fields_add_heading (fields, "Usage");
  vmgrctl_fields_add_printf (fields, "  Memory used", "%d MiB", 64);
  text = vmgrctl_fields_render (fields);
  g_assert_cmpstr (text, ==,
                   "Name:          web\n"
                   "Plan:          -\n"
                   "Usage:\n"
                   "  Memory used: 64 MiB\n");
}

/* ---- stats ---- */

static void
test_bar (void)
{
  static const struct { double fraction; guint width; const char *bar; } cases[] = {
    { 0.0, 10, "[..........]" }, { 0.04, 10, "[..........]" }, { 0.05, 10, "[#.........]" },
    { 0.5, 10, "[#####.....]" }, { 1.0, 10, "[##########]" }, { 3.5, 10, "[##########]" },
    { -1.0, 10, "[..........]" }, { 0.5, 4, "[##..]" }, { 1.0 / 3.0, 3, "[#..]" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *bar = vmgrctl_format_bar (cases[i].fraction, cases[i].width);
      g_assert_cmpstr (bar, ==, cases[i].bar);
    }
}

static void
test_bar_nan (void)
{
  g_autofree char *bar = vmgrctl_format_bar (0.0 / 0.0, 4);
  g_autofree char *percent = vmgrctl_format_percent (12.345);
  g_autofree char *big = vmgrctl_format_percent (250.0);

  g_assert_cmpstr (bar, ==, "[....]");
  g_assert_cmpstr (percent, ==, "12.3%");
  g_assert_cmpstr (big, ==, "250.0%");
}

static void
test_cpu_capacity (void)
{
  VmgrctlStatsRow row = { .vcpus = 2 };

  g_assert_cmpuint (vmgrctl_stats_cpu_capacity (&row), ==, 200);
  row.cpu_limit = 150;
  g_assert_cmpuint (vmgrctl_stats_cpu_capacity (&row), ==, 150);
  row.cpu_limit = 400;  /* above what the vCPUs can use */
  g_assert_cmpuint (vmgrctl_stats_cpu_capacity (&row), ==, 200);
  row.vcpus = 0;
  row.cpu_limit = 0;
  g_assert_cmpuint (vmgrctl_stats_cpu_capacity (&row), ==, 100);
}

static void
test_stats_table (void)
{
  g_autoptr(VmgrctlTable) table = vmgrctl_stats_table_new ();
  g_autoptr(GVariant) full = g_variant_ref_sink (g_variant_new_parsed (
    "{'cpu_percent': <100.0>, 'memory_used': <uint64 268435456>, 'disk_used': <uint64 %t>, "
    "'net_rx_bytes': <uint64 1536>, 'net_tx_bytes': <uint64 10>, 'uptime_s': <uint64 90060>, "
    "'sampled_at': <int64 1>}", 12 * GiB));
  g_autoptr(GVariant) partial = g_variant_ref_sink (g_variant_new_parsed (
    "{'memory_used': <uint64 1048576>, 'net_tx_bytes': <uint64 2048>}"));
  VmgrctlStatsRow rows[] = {
    { 101, "web", "running", 4, 0, GiB, 10 * GiB, full },
    { 102, "db", "running", 1, 0, 0, 0, partial },
    { 103, "off", "stopped", 1, 0, GiB, GiB, NULL },
  };
  g_autofree char *text = NULL;

  for (gsize i = 0; i < G_N_ELEMENTS (rows); i++)
    vmgrctl_stats_table_add (table, &rows[i]);
  text = vmgrctl_table_render (table);
  /* web: 100% of one host CPU is a quarter of its 4 vCPUs, bar and
   * number alike; its disk is over the limit. */
  g_assert_cmpstr (text, ==,
    "NAME  STATE    CPU                 MEMORY                        DISK                        NET           UPTIME\n"
    "web   running  [###.......] 25.0%  [###.......] 256 MiB/1.0 GiB  [##########] 12 GiB/10 GiB  1.5 KiB/10 B  1d 1h 1m\n"
    "db    running  -                   1.0 MiB                       -                           -/2.0 KiB     -\n"
    "off   stopped  -                   -                             -                           -             -\n");
}

static void
test_stats_json (void)
{
  g_autoptr(GVariant) stats = g_variant_ref_sink (g_variant_new_parsed (
    "{'cpu_percent': <12.5>, 'memory_used': <uint64 1024>, 'sampled_at': <int64 7>}"));
  VmgrctlStatsRow row = { 7, "web", "running", 2, 150, GiB, 0, stats };
  VmgrctlStatsRow bare = { 8, "off", "stopped", 1, 0, 0, 0, NULL };
  g_autoptr(JsonNode) node = vmgrctl_stats_row_to_json (&row);
  g_autoptr(JsonNode) bare_node = vmgrctl_stats_row_to_json (&bare);
  JsonObject *object = json_node_get_object (node);
  JsonObject *sample = json_object_get_object_member (object, "stats");

  g_assert_cmpint (json_object_get_int_member (object, "id"), ==, 7);
  g_assert_cmpstr (json_object_get_string_member (object, "state"), ==, "running");
  g_assert_cmpint (json_object_get_int_member (object, "cpu_limit"), ==, 150);
  g_assert_cmpint (json_object_get_int_member (object, "memory_limit"), ==, GiB);
  g_assert_cmpfloat (json_object_get_double_member (sample, "cpu_percent"), ==, 12.5);
  /* Times carry their unit: ISO 8601, or _usec. */
  g_assert_cmpstr (json_object_get_string_member (sample, "sampled_at"), ==,
                   "1970-01-01T00:00:00.000007Z");
  g_assert_cmpint (json_object_get_int_member (sample, "sampled_at_usec"), ==, 7);
  g_assert_cmpuint (json_object_get_size (sample), ==, 4);
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (object, "cpu_percent_of_vm"),
                                  12.5 / 150 * 100, 1e-9);
  /* No sample: null, not an empty object. */
  g_assert_true (json_object_get_null_member (json_node_get_object (bare_node), "stats"));
  g_assert_true (json_object_get_null_member (json_node_get_object (bare_node),
                                              "cpu_percent_of_vm"));
}

/* ---- the provisioning progress bar ---- */

static void
test_progress_format (void)
{
  static const struct { double fraction; guint percent; const char *text; } cases[] = {
    { 0.0, 0, "Provisioning web [--------------------] 0%" },
    { 0.45, 45, "Provisioning web [#########-----------] 45%" },
    { 0.29, 29, "Provisioning web [######--------------] 29%" },
    { 0.5, 50, "Provisioning web [##########----------] 50%" },
    { 0.999, 99, "Provisioning web [####################] 99%" },
    { 1.0, 100, "Provisioning web [####################] 100%" },
    { 1.7, 100, "Provisioning web [####################] 100%" },
    { -0.5, 0, "Provisioning web [--------------------] 0%" },
  };
  g_autofree char *nan = vmgrctl_format_progress ("web", 0.0 / 0.0);
  g_autofree char *dashes = vmgrctl_format_bar_with (0.5, 4, '-');

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *text = vmgrctl_format_progress ("web", cases[i].fraction);
      g_assert_cmpuint (vmgrctl_progress_percent (cases[i].fraction), ==, cases[i].percent);
      g_assert_cmpstr (text, ==, cases[i].text);
    }
  g_assert_cmpstr (nan, ==, "Provisioning web [--------------------] 0%");
  g_assert_cmpstr (dashes, ==, "[##--]");
}

/* Not a tty: a line at first, then one each time a 25% step is reached. */
static void
test_progress_lines (void)
{
  static const struct { double fraction; const char *out; } steps[] = {
    { 0.1, "Provisioning db [##------------------] 10%\n" },
    { 0.2, NULL }, { 0.24, NULL },
    { 0.25, "Provisioning db [#####---------------] 25%\n" },
    { 0.3, NULL },
    { 0.8, "Provisioning db [################----] 80%\n" },  /* passed two steps */
    { 0.85, NULL }, { 0.5, NULL },
  };
  VmgrctlProgress progress;
  g_autofree char *finish = NULL;

  vmgrctl_progress_init (&progress, FALSE);
  for (gsize i = 0; i < G_N_ELEMENTS (steps); i++)
    {
      g_autofree char *out = vmgrctl_progress_update (&progress, "db", steps[i].fraction);
      g_assert_cmpstr (out, ==, steps[i].out);
    }
  g_assert_cmpstr (vmgrctl_progress_end_line (&progress), ==, "");
  finish = vmgrctl_progress_finish (&progress, "db");
  g_assert_cmpstr (finish, ==, "Provisioning db [####################] 100%\n");
}

static void
test_progress_lines_done (void)
{
  VmgrctlProgress progress;
  g_autofree char *first = NULL;
  g_autofree char *done = NULL;
  g_autofree char *finish = NULL;

  vmgrctl_progress_init (&progress, FALSE);
  first = vmgrctl_progress_update (&progress, "db", 0.0);
  g_assert_cmpstr (first, ==, "Provisioning db [--------------------] 0%\n");
  done = vmgrctl_progress_update (&progress, "db", 1.0);
  g_assert_cmpstr (done, ==, "Provisioning db [####################] 100%\n");
  /* 100% was printed: nothing more. */
  finish = vmgrctl_progress_finish (&progress, "db");
  g_assert_cmpstr (finish, ==, "");
}

/* A tty: redrawn in place at each new percent; the newline at the end. */
static void
test_progress_tty (void)
{
  VmgrctlProgress progress;
  g_autofree char *first = NULL;
  g_autofree char *same = NULL;
  g_autofree char *more = NULL;
  g_autofree char *finish = NULL;

  vmgrctl_progress_init (&progress, TRUE);
  g_assert_cmpstr (vmgrctl_progress_end_line (&progress), ==, "");
  first = vmgrctl_progress_update (&progress, "db", 0.0);
  g_assert_cmpstr (first, ==, "\rProvisioning db [--------------------] 0%\033[K");
  same = vmgrctl_progress_update (&progress, "db", 0.001);
  g_assert_null (same);
  more = vmgrctl_progress_update (&progress, "db", 0.07);
  g_assert_cmpstr (more, ==, "\rProvisioning db [#-------------------] 7%\033[K");
  finish = vmgrctl_progress_finish (&progress, "db");
  g_assert_cmpstr (finish, ==, "\rProvisioning db [####################] 100%\033[K\n");
  g_assert_cmpstr (vmgrctl_progress_end_line (&progress), ==, "");
}

static void
test_progress_tty_done (void)
{
  VmgrctlProgress progress;
  g_autofree char *done = NULL;
  g_autofree char *finish = NULL;

  vmgrctl_progress_init (&progress, TRUE);
  done = vmgrctl_progress_update (&progress, "db", 1.0);
  g_assert_cmpstr (done, ==, "\rProvisioning db [####################] 100%\033[K");
  finish = vmgrctl_progress_finish (&progress, "db");
  g_assert_cmpstr (finish, ==, "\n");
}

/* A tty line ends before an error message, once. */
static void
test_progress_tty_end_line (void)
{
  VmgrctlProgress progress;
  g_autofree char *first = NULL;

  vmgrctl_progress_init (&progress, TRUE);
  first = vmgrctl_progress_update (&progress, "db", 0.5);
  g_assert_nonnull (first);
  g_assert_cmpstr (vmgrctl_progress_end_line (&progress), ==, "\n");
  g_assert_cmpstr (vmgrctl_progress_end_line (&progress), ==, "");
}

/* ---- host ---- */

static void
test_host_describe (void)
{
  g_autoptr(GVariant) info = g_variant_ref_sink (g_variant_new_parsed (
    "{'cpus': <uint32 4>, 'memory_total': <uint64 %t>, 'capacity_vcpus': <uint64 16>, "
    "'capacity_memory': <uint64 0>, 'allocated_vcpus': <uint64 3>, "
    "'allocated_memory': <uint64 %t>, 'vms': <uint32 2>, 'vms_running': <uint32 1>, "
    "'vms_stopped': <uint32 1>, 'vms_hibernating': <uint32 0>, 'kernel': <'6.1'>}",
    8 * GiB, 3 * GiB / 2));
  g_autofree char *text = vmgrctl_host_describe (info);

  g_assert_cmpstr (text, ==,
                   "Host CPUs:        4 (also the most vCPUs one VM may have)\n"
                   "CPU model:        -\n"
                   "Memory total:     8.0 GiB\n"
                   "Memory free:      -\n"
                   "Disk total:       -\n"
                   "Disk free:        -\n"
                   "vCPU capacity:    16\n"
                   "Memory capacity:  unlimited\n"
                   "Disk capacity:    -\n"
                   "Allocated vCPUs:  3 of 16 (19%)\n"
                   "Allocated memory: 1.5 GiB\n"
                   "Allocated disk:   -\n"
                   "VMs:              2\n"
                   "  stopped:        1\n"
                   "  running:        1\n"
                   "  hibernating:    0\n"
                   "kernel:           6.1\n");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/vmgrctl/output/table", test_table);
  g_test_add_func ("/vmgrctl/output/fields", test_fields);
  g_test_add_func ("/vmgrctl/stats/bar", test_bar);
  g_test_add_func ("/vmgrctl/stats/bar-nan-percent", test_bar_nan);
  g_test_add_func ("/vmgrctl/stats/cpu-capacity", test_cpu_capacity);
  g_test_add_func ("/vmgrctl/stats/table", test_stats_table);
  g_test_add_func ("/vmgrctl/stats/json", test_stats_json);
  g_test_add_func ("/vmgrctl/progress/format", test_progress_format);
  g_test_add_func ("/vmgrctl/progress/lines", test_progress_lines);
  g_test_add_func ("/vmgrctl/progress/lines-done", test_progress_lines_done);
  g_test_add_func ("/vmgrctl/progress/tty", test_progress_tty);
  g_test_add_func ("/vmgrctl/progress/tty-done", test_progress_tty_done);
  g_test_add_func ("/vmgrctl/progress/tty-end-line", test_progress_tty_end_line);
  g_test_add_func ("/vmgrctl/host/describe", test_host_describe);

  return g_test_run ();
}
