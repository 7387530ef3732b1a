/* What a VM may be given: what the backend can do at all, what the host
 * has left (with the configured overcommit), and its owner's quota when
 * the owner is a registered customer. Pure checks on values the daemon
 * holds; errors are NOT_SUPPORTED, INVALID_ARGUMENT or QUOTA_EXCEEDED
 * naming the setting or resource. */
#pragma once

#include <glib.h>

#include "vmgr-records.h"

G_BEGIN_DECLS

/* What a set of VMs uses: the quota and capacity units. */
typedef struct {
  guint32 vms;
  guint32 vcpus;
  guint64 memory;   /* sum of memory_limit */
  guint64 disk;     /* sum of disk_hard_limit */
} VmgrAllocation;

void vmgr_allocation_add (VmgrAllocation *allocation, const VmgrVmSpec *spec);
/* As an a{st} with keys vms, vcpus, memory, disk. */
GVariant *vmgr_allocation_to_variant (const VmgrAllocation *allocation);

/* What the host offers VMs: totals times the overcommit factors. */
typedef struct {
  guint host_cpus;
  guint64 vcpus;
  guint64 memory;
  guint64 disk;     /* 0: unknown, not checked */
} VmgrCapacity;

/* The capacity of a host with @cpus CPUs, @memory bytes and a state
 * filesystem of @disk bytes (0: unknown), given the overcommit
 * percentages. */
VmgrCapacity vmgr_capacity_compute (guint cpus, guint64 memory, guint64 disk,
                                    guint cpu_overcommit_pct, guint memory_overcommit_pct,
                                    guint disk_overcommit_pct);

/* Refuses settings the backend cannot do at all: a CPU limit without
 * "cpu-limit", a memory guarantee without "memory-guarantee", a soft limit
 * without "memory-soft-limit". Only values that change from @old (NULL for
 * a new VM) are judged, so that an unrelated change never trips over a
 * value set before. */
gboolean vmgr_limits_check_capabilities (const char * const *capabilities,
                                         const char *backend_name,
                                         const VmgrVmSpec *old, const VmgrVmSpec *spec,
                                         GError **error);

/* The least a VM may be given on @backend_name: a memory size of
 * VMGR_MIN_MEMORY (VMGR_MIN_MEMORY_QEMU on qemu) and, when it has one, a
 * disk limit of VMGR_MIN_DISK; where the disk limit is the size of the VM's
 * disk (capability "disk-quota"), the disk never shrinks. INVALID_ARGUMENT
 * naming the setting and the minimum. As above, only values that change
 * from @old are judged. */
#define VMGR_MIN_MEMORY (G_GUINT64_CONSTANT (16) << 20)
#define VMGR_MIN_MEMORY_QEMU (G_GUINT64_CONSTANT (64) << 20)
#define VMGR_MIN_DISK (G_GUINT64_CONSTANT (64) << 20)
gboolean vmgr_limits_check_minimums (const char * const *capabilities, const char *backend_name,
                                     const VmgrVmSpec *old, const VmgrVmSpec *spec,
                                     GError **error);

/* A disk hard limit that goes down (or appears) below @disk_used, what
 * the VM's disks use when @use_known, is INVALID_ARGUMENT: the guest would
 * be over its limit at once. Growing, or an unknown use, passes. */
gboolean vmgr_limits_disk_limit_shrinks (const VmgrVmSpec *old, const VmgrVmSpec *spec);
gboolean vmgr_limits_check_disk_use (const VmgrVmSpec *old, const VmgrVmSpec *spec,
                                     gboolean use_known, guint64 disk_used, GError **error);

/* @others: what every other VM has. vcpus above the host's CPUs is
 * INVALID_ARGUMENT; totals above @capacity are QUOTA_EXCEEDED. Only growth
 * is refused: a VM that already exceeded may shrink. */
gboolean vmgr_limits_check_host (const VmgrCapacity *capacity, const VmgrAllocation *others,
                                 const VmgrVmSpec *old, const VmgrVmSpec *spec,
                                 GError **error);

/* @others: what the customer's other VMs have. 0 in the customer's quota
 * means no limit. */
gboolean vmgr_limits_check_quota (const VmgrCustomerInfo *customer,
                                  const VmgrAllocation *others,
                                  const VmgrVmSpec *old, const VmgrVmSpec *spec,
                                  GError **error);

G_END_DECLS
