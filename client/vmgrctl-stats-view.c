/* A VM's usage as a table row with bars, and as JSON. */
#include "vmgrctl-stats-view.h"

#include "vmgrctl-units.h"

char *
vmgrctl_format_bar (double fraction, guint width)
{
  return vmgrctl_format_bar_with (fraction, width, '.');
}

char *
vmgrctl_format_bar_with (double fraction, guint width, char empty)
{
  GString *bar = g_string_sized_new (width + 2);
  guint filled;

  if (!(fraction > 0.0))  /* also NaN */
    fraction = 0.0;
  fraction = MIN (fraction, 1.0);
  filled = (guint) (fraction * width + 0.5);  /* rounded: fraction is >= 0 */
  g_string_append_c (bar, '[');
  for (guint i = 0; i < width; i++)
    g_string_append_c (bar, i < filled ? '#' : empty);
  g_string_append_c (bar, ']');
  return g_string_free (bar, FALSE);
}

char *
vmgrctl_format_percent (double percent)
{
  char number[G_ASCII_DTOSTR_BUF_SIZE];

  return g_strdup_printf ("%s%%", g_ascii_formatd (number, sizeof number, "%.1f", percent));
}

guint32
vmgrctl_stats_cpu_capacity (const VmgrctlStatsRow *row)
{
  guint64 capacity = (guint64) MAX (row->vcpus, 1) * 100;

  if (row->cpu_limit != 0 && row->cpu_limit < capacity)
    capacity = row->cpu_limit;
  return (guint32) MIN (capacity, G_MAXUINT32);
}

gboolean
vmgrctl_stats_cpu_percent_of_vm (const VmgrctlStatsRow *row, double *percent)
{
  double cpu;

  if (row->stats == NULL || !g_variant_lookup (row->stats, "cpu_percent", "d", &cpu))
    return FALSE;
  *percent = cpu * 100.0 / vmgrctl_stats_cpu_capacity (row);
  return TRUE;
}

static char *
cpu_cell (const VmgrctlStatsRow *row)
{
  g_autofree char *bar = NULL;
  g_autofree char *percent = NULL;
  double of_vm;

  if (!vmgrctl_stats_cpu_percent_of_vm (row, &of_vm))
    return NULL;
  bar = vmgrctl_format_bar (of_vm / 100.0, VMGRCTL_BAR_WIDTH);
  percent = vmgrctl_format_percent (of_vm);
  return g_strdup_printf ("%s %s", bar, percent);
}

/* "[##........] USED/LIMIT", or "USED" without a limit. */
static char *
used_cell (GVariant *stats, const char *key, guint64 limit)
{
  g_autofree char *bar = NULL;
  g_autofree char *used_text = NULL;
  g_autofree char *limit_text = NULL;
  guint64 used;

  if (!vmgrctl_vardict_lookup_uint64 (stats, key, &used))
    return NULL;
  used_text = vmgrctl_format_size (used);
  if (limit == 0)
    return g_steal_pointer (&used_text);
  bar = vmgrctl_format_bar ((double) used / (double) limit, VMGRCTL_BAR_WIDTH);
  limit_text = vmgrctl_format_size (limit);
  return g_strdup_printf ("%s %s/%s", bar, used_text, limit_text);
}

static char *
size_or_dash (GVariant *stats, const char *key)
{
  guint64 bytes;

  return vmgrctl_vardict_lookup_uint64 (stats, key, &bytes) ? vmgrctl_format_size (bytes)
                                                            : g_strdup ("-");
}

static char *
net_cell (GVariant *stats)
{
  g_autofree char *rx = NULL;
  g_autofree char *tx = NULL;
  guint64 bytes;

  if (!vmgrctl_vardict_lookup_uint64 (stats, "net_rx_bytes", &bytes)
      && !vmgrctl_vardict_lookup_uint64 (stats, "net_tx_bytes", &bytes))
    return NULL;
  rx = size_or_dash (stats, "net_rx_bytes");
  tx = size_or_dash (stats, "net_tx_bytes");
  return g_strdup_printf ("%s/%s", rx, tx);
}

static char *
uptime_cell (GVariant *stats)
{
  guint64 seconds;

  if (!vmgrctl_vardict_lookup_uint64 (stats, "uptime_s", &seconds))
    return NULL;
  return vmgrctl_format_duration (seconds);
}

VmgrctlTable *
vmgrctl_stats_table_new (void)
{
  static const char *const headers[] = {
    "NAME", "STATE", "CPU", "MEMORY", "DISK", "NET", "UPTIME", NULL
  };

  return vmgrctl_table_new (headers, 0);
}

void
vmgrctl_stats_table_add (VmgrctlTable *table, const VmgrctlStatsRow *row)
{
  g_autofree char *cpu = cpu_cell (row);
  g_autofree char *memory = used_cell (row->stats, "memory_used", row->memory_limit);
  g_autofree char *disk = used_cell (row->stats, "disk_used", row->disk_hard_limit);
  g_autofree char *net = net_cell (row->stats);
  g_autofree char *uptime = uptime_cell (row->stats);

  vmgrctl_table_add_row (table, (const char *const[]) {
    row->name, row->state, cpu, memory, disk, net, uptime });
}

JsonNode *
vmgrctl_stats_row_to_json (const VmgrctlStatsRow *row)
{
  g_autoptr(JsonObject) object = json_object_new ();
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);

  json_object_set_int_member (object, "id", row->id);
  json_object_set_string_member (object, "name", row->name);
  json_object_set_string_member (object, "state", row->state);
  json_object_set_int_member (object, "vcpus", row->vcpus);
  json_object_set_int_member (object, "cpu_limit", row->cpu_limit);
  json_object_set_int_member (object, "memory_limit", (gint64) row->memory_limit);
  json_object_set_int_member (object, "disk_hard_limit", (gint64) row->disk_hard_limit);
  double of_vm;

  if (vmgrctl_stats_cpu_percent_of_vm (row, &of_vm))
    json_object_set_double_member (object, "cpu_percent_of_vm", of_vm);
  else
    json_object_set_null_member (object, "cpu_percent_of_vm");
  json_object_set_member (object, "stats", vmgrctl_json_from_sample (row->stats));
  json_node_set_object (node, object);
  return node;
}
