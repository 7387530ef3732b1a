#include "vmgr-limits.h"

#include "vmgr-error.h"

static guint64
saturating_add (guint64 a, guint64 b)
{
  return a > G_MAXUINT64 - b ? G_MAXUINT64 : a + b;
}

void
vmgr_allocation_add (VmgrAllocation *allocation, const VmgrVmSpec *spec)
{
  allocation->vms++;
  allocation->vcpus = (guint32) MIN (saturating_add (allocation->vcpus, spec->vcpus), G_MAXUINT32);
  allocation->memory = saturating_add (allocation->memory, spec->memory_limit);
  allocation->disk = saturating_add (allocation->disk, spec->disk_hard_limit);
}

GVariant *
vmgr_allocation_to_variant (const VmgrAllocation *allocation)
{
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a{st}"));
  g_variant_builder_add (&builder, "{st}", "vms", (guint64) allocation->vms);
  g_variant_builder_add (&builder, "{st}", "vcpus", (guint64) allocation->vcpus);
  g_variant_builder_add (&builder, "{st}", "memory", allocation->memory);
  g_variant_builder_add (&builder, "{st}", "disk", allocation->disk);
  return g_variant_builder_end (&builder);
}

VmgrCapacity
vmgr_capacity_compute (guint cpus, guint64 memory, guint64 disk, guint cpu_overcommit_pct,
                       guint memory_overcommit_pct, guint disk_overcommit_pct)
{
  VmgrCapacity capacity = {
    .host_cpus = cpus,
    .vcpus = (guint64) cpus * cpu_overcommit_pct / 100,
    .memory = memory / 100 * memory_overcommit_pct,
    .disk = disk / 100 * disk_overcommit_pct,
  };

  return capacity;
}

gboolean
vmgr_limits_check_minimums (const char * const *capabilities, const char *backend_name,
                            const VmgrVmSpec *old, const VmgrVmSpec *spec, GError **error)
{
  guint64 min_memory = g_strcmp0 (backend_name, "qemu") == 0 ? VMGR_MIN_MEMORY_QEMU
                                                              : VMGR_MIN_MEMORY;

  if ((old == NULL || old->memory_limit != spec->memory_limit) &&
      spec->memory_limit < min_memory)
    return g_set_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_ARGUMENT,
                        "memory_limit %" G_GUINT64_FORMAT " bytes is below the minimum of %"
                        G_GUINT64_FORMAT " MiB on the %s backend", spec->memory_limit,
                        min_memory >> 20, backend_name), FALSE;
  if ((old == NULL || old->disk_hard_limit != spec->disk_hard_limit) &&
      spec->disk_hard_limit != 0 && spec->disk_hard_limit < VMGR_MIN_DISK)
    return g_set_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_ARGUMENT,
                        "disk_hard_limit %" G_GUINT64_FORMAT " bytes is below the minimum of %"
                        G_GUINT64_FORMAT " MiB (0 means no limit)", spec->disk_hard_limit,
                        VMGR_MIN_DISK >> 20), FALSE;
  if (old != NULL && g_strv_contains (capabilities, "disk-quota") &&
      old->disk_hard_limit != 0 &&
      (spec->disk_hard_limit == 0 || spec->disk_hard_limit < old->disk_hard_limit))
    return g_set_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_ARGUMENT,
                        "disk_hard_limit is the size of the VM's disk on the %s backend: it "
                        "can grow from %" G_GUINT64_FORMAT " bytes, not shrink or go",
                        backend_name, old->disk_hard_limit), FALSE;
  return TRUE;
}

static gboolean
refuse_unsupported (const char * const *capabilities, const char *capability,
                    gboolean asked, const char *backend_name, const char *what,
                    GError **error)
{
  if (!asked || g_strv_contains (capabilities, capability))
    return TRUE;
  g_set_error (error, VMGR_ERROR, VMGR_ERROR_NOT_SUPPORTED,
               "the %s backend cannot %s (it lacks the '%s' capability)", backend_name, what,
               capability);
  return FALSE;
}

gboolean
vmgr_limits_check_capabilities (const char * const *capabilities, const char *backend_name,
                                const VmgrVmSpec *old, const VmgrVmSpec *spec, GError **error)
{
  gboolean new_cpu_limit = spec->cpu_limit != 0 && (old == NULL || old->cpu_limit != spec->cpu_limit);
  gboolean new_guarantee = spec->memory_guarantee != 0 &&
                           (old == NULL || old->memory_guarantee != spec->memory_guarantee);
  gboolean new_soft = spec->memory_soft_limit != 0 &&
                      (old == NULL || old->memory_soft_limit != spec->memory_soft_limit);

  return refuse_unsupported (capabilities, "cpu-limit", new_cpu_limit, backend_name,
                             "cap CPU use", error) &&
         refuse_unsupported (capabilities, "memory-guarantee", new_guarantee, backend_name,
                             "guarantee memory", error) &&
         refuse_unsupported (capabilities, "memory-soft-limit", new_soft, backend_name,
                             "set a memory soft limit", error);
}

static char *
format_amount (const char *resource, guint64 value)
{
  if (g_str_equal (resource, "memory") || g_str_equal (resource, "disk"))
    return g_format_size_full (value, G_FORMAT_SIZE_IEC_UNITS);
  return g_strdup_printf ("%" G_GUINT64_FORMAT, value);
}

/* Refuses growth of @resource past @limit (0 = none). */
static gboolean
check_total (const char *resource, const char *whose, guint64 others, guint64 old_value,
             guint64 new_value, guint64 limit, GError **error)
{
  g_autofree char *total_text = NULL;
  g_autofree char *limit_text = NULL;
  g_autofree char *used_text = NULL;

  /* Compared without adding, so that no sum can wrap around. */
  if (limit == 0 || new_value <= old_value || (new_value <= limit && others <= limit - new_value))
    return TRUE;
  total_text = format_amount (resource, saturating_add (others, new_value));
  limit_text = format_amount (resource, limit);
  used_text = format_amount (resource, others);
  g_set_error (error, VMGR_ERROR, VMGR_ERROR_QUOTA_EXCEEDED,
               "%s: %s would be allocated, %s allows %s (%s already in use by other VMs)",
               resource, total_text, whose, limit_text, used_text);
  return FALSE;
}

gboolean
vmgr_limits_check_host (const VmgrCapacity *capacity, const VmgrAllocation *others,
                        const VmgrVmSpec *old, const VmgrVmSpec *spec, GError **error)
{
  if (capacity->host_cpus != 0 && spec->vcpus > capacity->host_cpus &&
      (old == NULL || spec->vcpus > old->vcpus))
    {
      g_set_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_ARGUMENT,
                   "vcpus %u exceeds the host's %u CPUs", spec->vcpus, capacity->host_cpus);
      return FALSE;
    }
  return check_total ("vcpus", "the host", others->vcpus, old ? old->vcpus : 0, spec->vcpus,
                      capacity->vcpus, error) &&
         check_total ("memory", "the host", others->memory, old ? old->memory_limit : 0,
                      spec->memory_limit, capacity->memory, error) &&
         check_total ("disk", "the host", others->disk, old ? old->disk_hard_limit : 0,
                      spec->disk_hard_limit, capacity->disk, error);
}

gboolean
vmgr_limits_check_quota (const VmgrCustomerInfo *customer, const VmgrAllocation *others,
                         const VmgrVmSpec *old, const VmgrVmSpec *spec, GError **error)
{
  g_autofree char *whose = g_strdup_printf ("the quota of customer %u", customer->uid);

  return check_total ("vms", whose, others->vms, old != NULL ? 1 : 0, 1, customer->max_vms,
                      error) &&
         check_total ("vcpus", whose, others->vcpus, old ? old->vcpus : 0, spec->vcpus,
                      customer->max_vcpus, error) &&
         check_total ("memory", whose, others->memory, old ? old->memory_limit : 0,
                      spec->memory_limit, customer->max_memory, error) &&
         check_total ("disk", whose, others->disk, old ? old->disk_hard_limit : 0,
                      spec->disk_hard_limit, customer->max_disk, error);
}
