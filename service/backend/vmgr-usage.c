#include "vmgr-usage.h"

double
vmgr_usage_cpu_percent (const VmgrDomainStats *previous, const VmgrDomainStats *current)
{
  gint64 elapsed_us;

  if (previous == NULL || !previous->has_cpu || !current->has_cpu ||
      current->cpu_time_ns < previous->cpu_time_ns)
    return 0.0;
  elapsed_us = current->sampled_mono - previous->sampled_mono;
  if (elapsed_us <= 0)
    return 0.0;
  return (double) (current->cpu_time_ns - previous->cpu_time_ns) / (elapsed_us * 1000.0) * 100.0;
}

GVariant *
vmgr_usage_to_variant (const VmgrDomainStats *previous, const VmgrDomainStats *current,
                       gint64 running_since)
{
  GVariantDict dict;

  g_variant_dict_init (&dict, NULL);
  if (current->has_cpu)
    {
      g_variant_dict_insert (&dict, "cpu_percent", "d",
                             vmgr_usage_cpu_percent (previous, current));
      g_variant_dict_insert (&dict, "cpu_time_ns", "t", current->cpu_time_ns);
    }
  if (current->has_memory)
    g_variant_dict_insert (&dict, "memory_used", "t", current->memory_used);
  if (current->has_disk)
    g_variant_dict_insert (&dict, "disk_used", "t", current->disk_used);
  if (current->has_network)
    {
      g_variant_dict_insert (&dict, "net_rx_bytes", "t", current->net_rx_bytes);
      g_variant_dict_insert (&dict, "net_tx_bytes", "t", current->net_tx_bytes);
    }
  if (running_since > 0 && current->running && current->sampled_mono >= running_since)
    g_variant_dict_insert (&dict, "uptime_s", "t",
                           (guint64) ((current->sampled_mono - running_since) / G_USEC_PER_SEC));
  g_variant_dict_insert (&dict, "sampled_at", "x", current->sampled_at);
  return g_variant_dict_end (&dict);
}

gboolean
vmgr_usage_crossed_soft_limit (const VmgrDomainStats *previous, const VmgrDomainStats *current,
                               guint64 soft_limit)
{
  gboolean was_over = previous != NULL && previous->has_disk && previous->disk_used > soft_limit;

  return soft_limit != 0 && current->has_disk && current->disk_used > soft_limit && !was_over;
}
