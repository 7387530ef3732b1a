/* Statistics of domains (vmgr_backend_sample_async) and of the host
 * (vmgr_backend_get_host_info_async), both read in a worker thread.
 *
 * Domains are sampled in bulk (virDomainListGetStats) where the driver has
 * every stats group vmgr needs (QEMU), one domain at a time otherwise:
 * virDomainGetInfo for CPU time and memory, virDomainMemoryStats for a
 * better memory figure, and the interfaces and disks named in the live
 * definition for network and disk figures. Only what was really measured
 * gets its has_ flag; a domain that is not active measures nothing. */
#include "vmgr-backend-private.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>

#include "vmgr-error.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC (xmlDoc, xmlFreeDoc)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (xmlXPathContext, xmlXPathFreeContext)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (xmlXPathObject, xmlXPathFreeObject)

typedef virDomainStatsRecordPtr VmgrVirStatsRecordList;
static void
vir_stats_record_list_release (VmgrVirStatsRecordList *records)
{
  virDomainStatsRecordListFree (records);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VmgrVirStatsRecordList, vir_stats_record_list_release)

#define KIB 1024

/* The groups a bulk sample needs; without all of them, sample one at a
 * time (the test driver has only "state", LXC has no bulk stats at all). */
#define BULK_STATS_GROUPS \
  (VIR_DOMAIN_STATS_STATE | VIR_DOMAIN_STATS_CPU_TOTAL | VIR_DOMAIN_STATS_BALLOON | \
   VIR_DOMAIN_STATS_INTERFACE | VIR_DOMAIN_STATS_BLOCK)

static gboolean
driver_has_bulk_stats (const char *scheme)
{
  return g_str_equal (scheme, "qemu");
}

static gboolean
is_running_state (int state)
{
  return state == VIR_DOMAIN_RUNNING || state == VIR_DOMAIN_BLOCKED ||
         state == VIR_DOMAIN_PAUSED;
}

static void
stats_stamp (VmgrDomainStats *stats)
{
  stats->sampled_at = g_get_real_time ();
  stats->sampled_mono = g_get_monotonic_time ();
}

static GHashTable *
stats_table_new (void)
{
  return g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
}

static void
stats_table_add (GHashTable *table, virDomainPtr domain, VmgrDomainStats *stats)
{
  char uuid[VIR_UUID_STRING_BUFLEN];

  /* Reads the virDomainPtr only: no call to the driver. */
  if (virDomainGetUUIDString (domain, uuid) < 0)
    {
      g_free (stats);
      return;
    }
  g_hash_table_replace (table, g_strdup (uuid), stats);
}

/* ---- memory: the same choice in both ways of sampling ---- */

typedef struct {
  gboolean has_rss, has_actual, has_unused;
  guint64 rss_kib;          /* resident set (QEMU process, LXC cgroup) */
  guint64 actual_kib;       /* balloon size */
  guint64 unused_kib;       /* free inside the guest, per its balloon driver */
} MemoryFigures;

/* RSS where the driver has it, else the balloon minus what the guest
 * leaves unused, else the balloon. FALSE when there is nothing. */
static gboolean
memory_used_bytes (const MemoryFigures *figures, guint64 *bytes)
{
  if (figures->has_rss)
    *bytes = figures->rss_kib * KIB;
  else if (figures->has_actual && figures->has_unused && figures->unused_kib <= figures->actual_kib)
    *bytes = (figures->actual_kib - figures->unused_kib) * KIB;
  else if (figures->has_actual)
    *bytes = figures->actual_kib * KIB;
  else
    return FALSE;
  return TRUE;
}

/* ---- one domain at a time ---- */

static void
read_memory_stats (virDomainPtr domain, MemoryFigures *figures)
{
  virDomainMemoryStatStruct stats[VIR_DOMAIN_MEMORY_STAT_NR];
  int n_stats = virDomainMemoryStats (domain, stats, G_N_ELEMENTS (stats), 0);

  if (n_stats < 0)
    g_debug ("No memory statistics: %s", virGetLastErrorMessage ());
  for (int i = 0; i < n_stats; i++)
    switch (stats[i].tag)
      {
      case VIR_DOMAIN_MEMORY_STAT_RSS:
        figures->has_rss = TRUE;
        figures->rss_kib = stats[i].val;
        break;
      case VIR_DOMAIN_MEMORY_STAT_ACTUAL_BALLOON:
        figures->has_actual = TRUE;
        figures->actual_kib = stats[i].val;
        break;
      case VIR_DOMAIN_MEMORY_STAT_UNUSED:
        figures->has_unused = TRUE;
        figures->unused_kib = stats[i].val;
        break;
      default:
        break;
      }
}

/* The host-side names of the domain's interfaces and the targets of its
 * disks (not CD-ROMs or floppies), from the live definition. libxml2
 * rather than libvirt-gconfig: gconfig 4.0 leaves out interfaces of types
 * it has no class for ("ethernet", "direct", "vhostuser"). */
#define INTERFACES_XPATH "/domain/devices/interface/target/@dev"
#define DISKS_XPATH "/domain/devices/disk[not(@device) or @device='disk']/target/@dev"

typedef struct {
  GPtrArray *interfaces;
  GPtrArray *disks;
} DeviceNames;

static void
device_names_clear (DeviceNames *names)
{
  g_clear_pointer (&names->interfaces, g_ptr_array_unref);
  g_clear_pointer (&names->disks, g_ptr_array_unref);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (DeviceNames, device_names_clear)

/* Adds the non-empty values of the attributes @xpath selects. */
static void
collect_values (xmlXPathContextPtr context, const char *xpath, GPtrArray *values)
{
  g_autoptr(xmlXPathObject) result = xmlXPathEvalExpression (BAD_CAST xpath, context);

  if (result == NULL || result->nodesetval == NULL)
    return;
  for (int i = 0; i < result->nodesetval->nodeNr; i++)
    {
      xmlChar *value = xmlNodeGetContent (result->nodesetval->nodeTab[i]);

      if (value != NULL && *value != '\0')
        g_ptr_array_add (values, g_strdup ((const char *) value));
      xmlFree (value);
    }
}

static void
read_device_names (virDomainPtr domain, DeviceNames *names)
{
  g_autofree char *xml = virDomainGetXMLDesc (domain, 0);
  g_autoptr(xmlDoc) doc = NULL;
  g_autoptr(xmlXPathContext) context = NULL;

  names->interfaces = g_ptr_array_new_with_free_func (g_free);
  names->disks = g_ptr_array_new_with_free_func (g_free);
  if (xml == NULL)
    {
      g_debug ("No domain XML: %s", virGetLastErrorMessage ());
      return;
    }
  doc = xmlReadMemory (xml, (int) strlen (xml), "domain.xml", NULL,
                       XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
  context = doc != NULL ? xmlXPathNewContext (doc) : NULL;
  if (context == NULL)
    {
      g_debug ("Cannot parse the domain XML");
      return;
    }
  collect_values (context, INTERFACES_XPATH, names->interfaces);
  collect_values (context, DISKS_XPATH, names->disks);
}

/* Sums the traffic of every interface that has counters. */
static void
read_interface_stats (virDomainPtr domain, GPtrArray *interfaces, VmgrDomainStats *stats)
{
  for (guint i = 0; i < interfaces->len; i++)
    {
      const char *name = g_ptr_array_index (interfaces, i);
      virDomainInterfaceStatsStruct counters;

      if (virDomainInterfaceStats (domain, name, &counters, sizeof counters) < 0)
        {
          g_debug ("No statistics for interface %s: %s", name, virGetLastErrorMessage ());
          continue;
        }
      /* -1: the driver does not count that one. */
      if (counters.rx_bytes < 0 || counters.tx_bytes < 0)
        continue;
      stats->has_network = TRUE;
      stats->net_rx_bytes += counters.rx_bytes;
      stats->net_tx_bytes += counters.tx_bytes;
    }
}

static void
read_disk_allocation (virDomainPtr domain, GPtrArray *disks, VmgrDomainStats *stats)
{
  for (guint i = 0; i < disks->len; i++)
    {
      const char *target = g_ptr_array_index (disks, i);
      virDomainBlockInfo info;

      if (virDomainGetBlockInfo (domain, target, &info, 0) < 0)
        {
          g_debug ("No block info for disk %s: %s", target, virGetLastErrorMessage ());
          continue;
        }
      stats->has_disk = TRUE;
      stats->disk_used += info.allocation;
    }
}

/* FALSE with @error when the domain cannot be read (NOT_FOUND when it
 * went away meanwhile). */
static gboolean
sample_domain (virDomainPtr domain, VmgrDomainStats *stats, GError **error)
{
  g_auto(DeviceNames) names = { NULL, NULL };
  MemoryFigures memory = { 0 };
  virDomainInfo info;

  if (virDomainGetInfo (domain, &info) < 0)
    {
      vmgr_backend_set_error_from_libvirt (error);
      return FALSE;
    }
  stats_stamp (stats);
  stats->running = is_running_state (info.state);
  /* The test driver reports a CPU time for stopped domains too (the time
   * of day): a stopped domain measures nothing. */
  if (info.state == VIR_DOMAIN_SHUTOFF)
    return TRUE;

  stats->has_cpu = TRUE;
  stats->cpu_time_ns = info.cpuTime;

  /* GetInfo's memory: the balloon (QEMU, test) or the cgroup's usage
   * (LXC); MemoryStats may know better. */
  memory.has_actual = TRUE;
  memory.actual_kib = info.memory;
  read_memory_stats (domain, &memory);
  stats->has_memory = memory_used_bytes (&memory, &stats->memory_used);

  read_device_names (domain, &names);
  read_interface_stats (domain, names.interfaces, stats);
  read_disk_allocation (domain, names.disks, stats);
  vmgr_backend_image_sample (domain, stats);
  return TRUE;
}

static GHashTable *
sample_each (GPtrArray *domains, GError **error)
{
  g_autoptr(GHashTable) table = stats_table_new ();

  for (guint i = 0; i < domains->len; i++)
    {
      virDomainPtr domain = g_ptr_array_index (domains, i);
      g_autofree VmgrDomainStats *stats = g_new0 (VmgrDomainStats, 1);
      g_autoptr(GError) local_error = NULL;

      if (sample_domain (domain, stats, &local_error))
        stats_table_add (table, domain, g_steal_pointer (&stats));
      else if (!g_error_matches (local_error, VMGR_ERROR, VMGR_ERROR_NOT_FOUND))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return NULL;
        }
    }
  return g_steal_pointer (&table);
}

/* ---- in bulk ---- */

static gboolean
record_ullong (virDomainStatsRecordPtr record, const char *name, guint64 *value)
{
  unsigned long long v = 0;

  if (virTypedParamsGetULLong (record->params, record->nparams, name, &v) != 1)
    return FALSE;
  *value = v;
  return TRUE;
}

static guint
record_count (virDomainStatsRecordPtr record, const char *name)
{
  unsigned int count = 0;

  if (virTypedParamsGetUInt (record->params, record->nparams, name, &count) != 1)
    return 0;
  return count;
}

static void
memory_from_record (virDomainStatsRecordPtr record, VmgrDomainStats *stats)
{
  MemoryFigures memory = { 0 };

  memory.has_rss = record_ullong (record, "balloon.rss", &memory.rss_kib);
  memory.has_actual = record_ullong (record, "balloon.current", &memory.actual_kib);
  memory.has_unused = record_ullong (record, "balloon.unused", &memory.unused_kib);
  stats->has_memory = memory_used_bytes (&memory, &stats->memory_used);
}

static void
network_from_record (virDomainStatsRecordPtr record, VmgrDomainStats *stats)
{
  guint count = record_count (record, "net.count");

  for (guint i = 0; i < count; i++)
    {
      g_autofree char *rx_name = g_strdup_printf ("net.%u.rx.bytes", i);
      g_autofree char *tx_name = g_strdup_printf ("net.%u.tx.bytes", i);
      guint64 rx, tx;

      if (!record_ullong (record, rx_name, &rx) || !record_ullong (record, tx_name, &tx))
        continue;
      stats->has_network = TRUE;
      stats->net_rx_bytes += rx;
      stats->net_tx_bytes += tx;
    }
}

/* "physical" is what the image takes on the host (what GetBlockInfo calls
 * allocation for a qcow2 file); "allocation" here is only the highest
 * offset written, 0 for an image the guest has not written to yet. */
static void
disk_from_record (virDomainStatsRecordPtr record, VmgrDomainStats *stats)
{
  guint count = record_count (record, "block.count");

  for (guint i = 0; i < count; i++)
    {
      g_autofree char *physical_name = g_strdup_printf ("block.%u.physical", i);
      g_autofree char *allocation_name = g_strdup_printf ("block.%u.allocation", i);
      guint64 used;

      if (!record_ullong (record, physical_name, &used) &&
          !record_ullong (record, allocation_name, &used))
        continue;
      stats->has_disk = TRUE;
      stats->disk_used += used;
    }
}

static VmgrDomainStats *
stats_from_record (virDomainStatsRecordPtr record)
{
  VmgrDomainStats *stats = g_new0 (VmgrDomainStats, 1);
  int state = VIR_DOMAIN_NOSTATE;

  stats_stamp (stats);
  if (virTypedParamsGetInt (record->params, record->nparams, "state.state", &state) != 1 ||
      state == VIR_DOMAIN_SHUTOFF)
    return stats;
  stats->running = is_running_state (state);
  stats->has_cpu = record_ullong (record, "cpu.time", &stats->cpu_time_ns);
  memory_from_record (record, stats);
  network_from_record (record, stats);
  disk_from_record (record, stats);
  return stats;
}

/* NULL with @refused TRUE when the driver does not have the groups (or the
 * flags): then sample one at a time. NOWAIT: a domain busy with a job
 * gives what it has at once rather than block the whole sample. */
static GHashTable *
sample_bulk (GPtrArray *domains, gboolean *refused, GError **error)
{
  g_autoptr(VmgrVirStatsRecordList) records = NULL;
  g_autoptr(GHashTable) table = stats_table_new ();
  int n_records;

  n_records = virDomainListGetStats ((virDomainPtr *) domains->pdata, BULK_STATS_GROUPS, &records,
                                     VIR_CONNECT_GET_ALL_DOMAINS_STATS_ENFORCE_STATS |
                                     VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT);
  if (n_records < 0)
    {
      *refused = vmgr_backend_is_flags_refusal (vmgr_backend_set_error_from_libvirt (error));
      return NULL;
    }
  for (int i = 0; i < n_records; i++)
    stats_table_add (table, records[i]->dom, stats_from_record (records[i]));
  return g_steal_pointer (&table);
}

static GHashTable *
sample_domains (const char *scheme, GPtrArray *domains, GError **error)
{
  g_autoptr(GError) bulk_error = NULL;
  gboolean refused = FALSE;
  GHashTable *table;

  if (domains->len == 0)
    return stats_table_new ();
  if (!driver_has_bulk_stats (scheme))
    return sample_each (domains, error);
  table = sample_bulk (domains, &refused, &bulk_error);
  if (table != NULL)
    return table;
  if (!refused)
    {
      g_propagate_error (error, g_steal_pointer (&bulk_error));
      return NULL;
    }
  g_debug ("No bulk statistics (%s); sampling one domain at a time", bulk_error->message);
  return sample_each (domains, error);
}

/* The domains among @uuids that exist, NULL-terminated (as
 * virDomainListGetStats wants them). */
static GPtrArray *
lookup_domains (VmgrBackend *self, const char *const *uuids, GError **error)
{
  g_autoptr(GPtrArray) domains =
    g_ptr_array_new_null_terminated (0, (GDestroyNotify) vmgr_vir_domain_release, TRUE);

  for (gsize i = 0; uuids != NULL && uuids[i] != NULL; i++)
    {
      g_autoptr(GError) local_error = NULL;
      virDomainPtr domain = vmgr_backend_lookup_domain (self, uuids[i], &local_error);

      if (domain != NULL)
        g_ptr_array_add (domains, domain);
      else if (!g_error_matches (local_error, VMGR_ERROR, VMGR_ERROR_NOT_FOUND) &&
               !g_error_matches (local_error, VMGR_ERROR, VMGR_ERROR_INVALID_ARGUMENT))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return NULL;
        }
    }
  return g_steal_pointer (&domains);
}

static void
sample_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  VmgrBackend *self = source;
  const char *const *uuids = task_data;
  g_autoptr(GPtrArray) domains = NULL;
  GHashTable *table = NULL;
  GError *error = NULL;

  if (vmgr_backend_task_return_if_cancelled (task))
    return;
  domains = lookup_domains (self, uuids, &error);
  if (domains != NULL)
    table = sample_domains (vmgr_backend_get_scheme (self), domains, &error);
  if (table == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, table, (GDestroyNotify) g_hash_table_unref);
}

void
vmgr_backend_sample_async (VmgrBackend *self, const char *const *uuids,
                           GCancellable *cancellable,
                           GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (VMGR_IS_BACKEND (self));
  g_return_if_fail (uuids != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, vmgr_backend_sample_async);
  g_task_set_task_data (task, g_strdupv ((char **) uuids), (GDestroyNotify) g_strfreev);
  g_task_run_in_thread (task, sample_thread);
}

GHashTable *
vmgr_backend_sample_finish (VmgrBackend *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == vmgr_backend_sample_async,
                        NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---- the host ---- */

void
vmgr_host_info_free (VmgrHostInfo *info)
{
  if (info == NULL)
    return;
  g_free (info->cpu_model);
  g_free (info);
}

static void
host_info_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  VmgrBackend *self = source;
  GError *error = NULL;
  g_autoptr(VmgrVirConnect) conn = vmgr_backend_ref_connection (self, &error);
  g_autoptr(VmgrHostInfo) info = NULL;
  virNodeInfo node;

  if (conn == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  if (vmgr_backend_task_return_if_cancelled (task))
    return;
  if (virNodeGetInfo (conn, &node) < 0)
    {
      vmgr_backend_set_error_from_libvirt (&error);
      g_task_return_error (task, error);
      return;
    }
  info = g_new0 (VmgrHostInfo, 1);
  info->cpus = node.cpus;
  info->memory_total = (guint64) node.memory * KIB;
  info->cpu_model = g_strndup (node.model, sizeof node.model);
  /* 0 with an error when the driver cannot tell: the documented "unknown". */
  info->memory_free = virNodeGetFreeMemory (conn);
  if (info->memory_free == 0)
    g_debug ("No free memory figure: %s", virGetLastErrorMessage ());
  g_task_return_pointer (task, g_steal_pointer (&info), (GDestroyNotify) vmgr_host_info_free);
}

void
vmgr_backend_get_host_info_async (VmgrBackend *self, GCancellable *cancellable,
                                  GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (VMGR_IS_BACKEND (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, vmgr_backend_get_host_info_async);
  g_task_run_in_thread (task, host_info_thread);
}

VmgrHostInfo *
vmgr_backend_get_host_info_finish (VmgrBackend *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) ==
                          vmgr_backend_get_host_info_async,
                        NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
