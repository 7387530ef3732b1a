/* GetUsageHistory's points as a table and as JSON. */
#include "vmgrctl-history-view.h"

#include "vmgrctl-stats-view.h"
#include "vmgrctl-units.h"

typedef struct {
  gint64 time;
  double cpu;
  guint64 memory, disk, rx, tx;
} Point;

static Point
point_at (GVariant *points, gsize i)
{
  Point p;

  g_variant_get_child (points, i, "(xdtttt)", &p.time, &p.cpu, &p.memory, &p.disk, &p.rx, &p.tx);
  return p;
}

/* Bytes per second between two cumulative counters. */
static char *
rate_cell (guint64 before, guint64 after, gint64 elapsed_us)
{
  g_autofree char *size = NULL;

  if (elapsed_us <= 0 || after < before)
    return g_strdup ("-");
  size = vmgrctl_format_size ((guint64) ((after - before) * (double) G_USEC_PER_SEC / elapsed_us));
  return g_strdup_printf ("%s/s", size);
}

char *
vmgrctl_history_render (GVariant *points)
{
  static const char * const headers[] = { "TIME", "CPU", "MEMORY", "DISK", "NET-RX", "NET-TX", NULL };
  g_autoptr(VmgrctlTable) table = vmgrctl_table_new (headers, 0);
  Point previous = { 0 };

  for (gsize i = 0; i < g_variant_n_children (points); i++)
    {
      Point p = point_at (points, i);
      g_autofree char *time = vmgrctl_format_time_local (p.time);
      g_autofree char *cpu = vmgrctl_format_percent (p.cpu);
      g_autofree char *memory = vmgrctl_format_size (p.memory);
      g_autofree char *disk = vmgrctl_format_size (p.disk);
      g_autofree char *rx = i > 0 ? rate_cell (previous.rx, p.rx, p.time - previous.time) : g_strdup ("-");
      g_autofree char *tx = i > 0 ? rate_cell (previous.tx, p.tx, p.time - previous.time) : g_strdup ("-");
      const char *cells[] = { time, cpu, memory, disk, rx, tx, NULL };

      vmgrctl_table_add_row (table, cells);
      previous = p;
    }
  return vmgrctl_table_render (table);
}

JsonNode *
vmgrctl_history_to_json (GVariant *points)
{
  JsonArray *array = json_array_new ();
  JsonNode *node = json_node_new (JSON_NODE_ARRAY);

  for (gsize i = 0; i < g_variant_n_children (points); i++)
    {
      Point p = point_at (points, i);
      JsonObject *object = json_object_new ();
      g_autofree char *time = vmgrctl_format_time_iso8601 (p.time);

      json_object_set_string_member (object, "time", time);
      json_object_set_int_member (object, "time_usec", p.time);
      json_object_set_double_member (object, "cpu_percent", p.cpu);
      json_object_set_int_member (object, "memory_used", (gint64) p.memory);
      json_object_set_int_member (object, "disk_used", (gint64) p.disk);
      json_object_set_int_member (object, "net_rx_bytes", (gint64) p.rx);
      json_object_set_int_member (object, "net_tx_bytes", (gint64) p.tx);
      json_array_add_object_element (array, object);
    }
  /* The node takes the array: no reference of ours is left over. */
  json_node_take_array (node, array);
  return node;
}
