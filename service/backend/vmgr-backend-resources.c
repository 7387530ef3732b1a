/* Live resource changes (vmgr_backend_apply_live_async): what a running
 * domain's driver can change without a restart, and only that. The
 * persistent definition is rewritten elsewhere (define_async), so every
 * call here affects the live domain only. */
#include "vmgr-backend-private.h"

#include "vmgr-domain-xml.h"
#include "vmgr-error.h"

#define KIB 1024
#define CPU_PERIOD_US 100000
#define CPU_QUOTA_UNLIMITED (-1)

typedef enum {
  CPU_WEIGHT_NONE,
  CPU_WEIGHT_AS_WEIGHT,     /* "weight": the value as it is (test driver) */
  CPU_WEIGHT_AS_SHARES,     /* "cpu_shares": cgroup-v1 shares */
} CpuWeightParam;

/* What each driver changes live (see environment.md and the capability
 * lists in vmgr-backend.c). min_guarantee is never set live: the test, LXC
 * and QEMU drivers accept only hard_limit, soft_limit and swap_hard_limit
 * in virDomainSetMemoryParameters; it stays in the definition. */
typedef struct {
  gboolean memory;          /* virDomainSetMemoryFlags */
  gboolean memory_tune;     /* virDomainSetMemoryParameters: soft_limit ... */
  gboolean hard_limit;      /* ... and hard_limit = memory_limit */
  gboolean vcpus;           /* virDomainSetVcpusFlags */
  CpuWeightParam cpu_weight;
  gboolean cpu_limit;       /* "vcpu_period" and "vcpu_quota" ... */
  gboolean cpu_limit_global; /* ... or, per VM rather than per vCPU, "global_*" */
} LivePolicy;

/* The test driver keeps weight as its only scheduler parameter. */
static const LivePolicy test_policy = {
  .memory = TRUE, .memory_tune = TRUE, .hard_limit = TRUE, .vcpus = TRUE,
  .cpu_weight = CPU_WEIGHT_AS_WEIGHT, .cpu_limit = FALSE,
};

/* LXC has no SetVcpusFlags. */
static const LivePolicy lxc_policy = {
  .memory = TRUE, .memory_tune = TRUE, .hard_limit = TRUE, .vcpus = FALSE,
  .cpu_weight = CPU_WEIGHT_AS_SHARES, .cpu_limit = TRUE,
};

/* QEMU: no hard_limit (it needs CAP_SYS_RESOURCE for RLIMIT_MEMLOCK). */
static const LivePolicy qemu_policy = {
  .memory = TRUE, .memory_tune = TRUE, .hard_limit = FALSE, .vcpus = TRUE,
  .cpu_weight = CPU_WEIGHT_AS_SHARES, .cpu_limit = TRUE, .cpu_limit_global = TRUE,
};

/* Drivers vmgr does not know: change nothing. */
static const LivePolicy no_policy = { 0 };

static const LivePolicy *
policy_for_scheme (const char *scheme)
{
  if (g_str_equal (scheme, "test"))
    return &test_policy;
  if (g_str_equal (scheme, "lxc"))
    return &lxc_policy;
  if (g_str_equal (scheme, "qemu"))
    return &qemu_policy;
  return &no_policy;
}

/* Rounded up, as the definition's <memory> and <memtune> are. */
static guint64
bytes_to_kib (guint64 bytes)
{
  return bytes / KIB + (bytes % KIB != 0 ? 1 : 0);
}

/* ---- typed parameters ---- */

typedef struct {
  virTypedParameterPtr items;
  int n_items;
  int max_items;
} Params;

static void
params_clear (Params *params)
{
  virTypedParamsFree (params->items, params->n_items);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Params, params_clear)

static gboolean
params_add_ullong (Params *params, const char *name, unsigned long long value, GError **error)
{
  return vmgr_backend_libvirt_ok (virTypedParamsAddULLong (&params->items, &params->n_items,
                                                           &params->max_items, name, value),
                                  error);
}

static gboolean
params_add_llong (Params *params, const char *name, long long value, GError **error)
{
  return vmgr_backend_libvirt_ok (virTypedParamsAddLLong (&params->items, &params->n_items,
                                                          &params->max_items, name, value),
                                  error);
}

static gboolean
params_add_uint (Params *params, const char *name, unsigned int value, GError **error)
{
  return vmgr_backend_libvirt_ok (virTypedParamsAddUInt (&params->items, &params->n_items,
                                                         &params->max_items, name, value),
                                  error);
}

/* ---- one resource at a time ---- */

typedef enum {
  APPLY_DONE,
  APPLY_SKIPPED,            /* the driver cannot change it live */
  APPLY_FAILED,
} ApplyResult;

typedef ApplyResult (*ApplyFunc) (virDomainPtr domain, const LivePolicy *policy,
                                  const VmgrVmSpec *spec, GError **error);

static ApplyResult
result_of (int rc, GError **error)
{
  return vmgr_backend_libvirt_ok (rc, error) ? APPLY_DONE : APPLY_FAILED;
}

/* Beyond the maximum the domain was started with, memory cannot grow live
 * (every driver refuses): the new size takes effect at the next start. */
static ApplyResult
apply_memory (virDomainPtr domain, const LivePolicy *policy, const VmgrVmSpec *spec,
              GError **error)
{
  guint64 kib = bytes_to_kib (spec->memory_limit);
  unsigned long max_kib;

  if (!policy->memory)
    return APPLY_SKIPPED;
  max_kib = virDomainGetMaxMemory (domain);
  if (max_kib == 0)  /* libvirt's failure value here */
    return result_of (-1, error);
  if (kib > max_kib)
    {
      g_debug ("Memory %" G_GUINT64_FORMAT " KiB is above the live maximum %lu KiB; "
               "not applied live", kib, max_kib);
      return APPLY_SKIPPED;
    }
  return result_of (virDomainSetMemoryFlags (domain, kib, VIR_DOMAIN_AFFECT_LIVE), error);
}

/* A soft limit of 0 means none: it clears a limit set before. */
static ApplyResult
apply_memory_tune (virDomainPtr domain, const LivePolicy *policy, const VmgrVmSpec *spec,
                   GError **error)
{
  g_auto(Params) params = { 0 };
  guint64 soft_kib = spec->memory_soft_limit != 0
                     ? bytes_to_kib (spec->memory_soft_limit)
                     : VIR_DOMAIN_MEMORY_PARAM_UNLIMITED;

  if (!policy->memory_tune)
    return APPLY_SKIPPED;
  if (!params_add_ullong (&params, VIR_DOMAIN_MEMORY_SOFT_LIMIT, soft_kib, error) ||
      (policy->hard_limit &&
       !params_add_ullong (&params, VIR_DOMAIN_MEMORY_HARD_LIMIT,
                           bytes_to_kib (spec->memory_limit), error)))
    return APPLY_FAILED;
  return result_of (virDomainSetMemoryParameters (domain, params.items, params.n_items,
                                                  VIR_DOMAIN_AFFECT_LIVE),
                    error);
}

/* Like memory, vCPUs cannot go above the live maximum. */
static ApplyResult
apply_vcpus (virDomainPtr domain, const LivePolicy *policy, const VmgrVmSpec *spec,
             GError **error)
{
  guint vcpus = MAX (spec->vcpus, 1);
  int max_vcpus;

  if (!policy->vcpus)
    return APPLY_SKIPPED;
  max_vcpus = virDomainGetVcpusFlags (domain, VIR_DOMAIN_AFFECT_LIVE | VIR_DOMAIN_VCPU_MAXIMUM);
  if (max_vcpus < 0)
    return result_of (max_vcpus, error);
  if (vcpus > (guint) max_vcpus)
    {
      g_debug ("%u vCPUs are above the live maximum %d; not applied live", vcpus, max_vcpus);
      return APPLY_SKIPPED;
    }
  return result_of (virDomainSetVcpusFlags (domain, vcpus, VIR_DOMAIN_AFFECT_LIVE), error);
}

static ApplyResult
set_scheduler_live (virDomainPtr domain, Params *params, GError **error)
{
  g_autoptr(GError) local_error = NULL;
  int code;

  if (virDomainSetSchedulerParametersFlags (domain, params->items, params->n_items,
                                            VIR_DOMAIN_AFFECT_LIVE) == 0)
    return APPLY_DONE;
  code = vmgr_backend_set_error_from_libvirt (&local_error);
  if (!vmgr_backend_is_flags_refusal (code))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return APPLY_FAILED;
    }
  /* The test driver takes no flags at all; "current" is the live domain,
   * which was running a moment ago. */
  return result_of (virDomainSetSchedulerParametersFlags (domain, params->items,
                                                          params->n_items,
                                                          VIR_DOMAIN_AFFECT_CURRENT),
                    error);
}

static ApplyResult
apply_cpu_weight (virDomainPtr domain, const LivePolicy *policy, const VmgrVmSpec *spec,
                  GError **error)
{
  g_auto(Params) params = { 0 };
  gboolean ok;

  switch (policy->cpu_weight)
    {
    case CPU_WEIGHT_AS_WEIGHT:
      ok = params_add_uint (&params, VIR_DOMAIN_SCHEDULER_WEIGHT, spec->cpu_weight, error);
      break;
    case CPU_WEIGHT_AS_SHARES:
      ok = params_add_ullong (&params, VIR_DOMAIN_SCHEDULER_CPU_SHARES,
                              vmgr_domain_xml_weight_to_shares (spec->cpu_weight), error);
      break;
    case CPU_WEIGHT_NONE:
    default:
      return APPLY_SKIPPED;
    }
  return ok ? set_scheduler_live (domain, &params, error) : APPLY_FAILED;
}

/* cpu_limit is a percentage of one host CPU: a quota of limit% of the
 * period, as in the definition's <cputune>. */
static ApplyResult
apply_cpu_limit (virDomainPtr domain, const LivePolicy *policy, const VmgrVmSpec *spec,
                 GError **error)
{
  g_auto(Params) params = { 0 };
  long long quota = spec->cpu_limit > 0 ? (long long) spec->cpu_limit * (CPU_PERIOD_US / 100)
                                        : CPU_QUOTA_UNLIMITED;

  if (!policy->cpu_limit)
    return APPLY_SKIPPED;
  /* QEMU's vcpu_* apply per vCPU thread: its global_* cap the whole VM. */
  if (!params_add_ullong (&params, policy->cpu_limit_global ? VIR_DOMAIN_SCHEDULER_GLOBAL_PERIOD
                                                            : VIR_DOMAIN_SCHEDULER_VCPU_PERIOD,
                          CPU_PERIOD_US, error) ||
      !params_add_llong (&params, policy->cpu_limit_global ? VIR_DOMAIN_SCHEDULER_GLOBAL_QUOTA
                                                           : VIR_DOMAIN_SCHEDULER_VCPU_QUOTA,
                         quota, error))
    return APPLY_FAILED;
  return set_scheduler_live (domain, &params, error);
}

/* In this order: memory before memtune, so that a hard limit never sits
 * below a balloon that is still shrinking. */
static const struct {
  VmgrLiveResources resource;
  ApplyFunc apply;
} appliers[] = {
  { VMGR_RESOURCE_MEMORY, apply_memory },
  { VMGR_RESOURCE_MEMORY_TUNE, apply_memory_tune },
  { VMGR_RESOURCE_VCPUS, apply_vcpus },
  { VMGR_RESOURCE_CPU_WEIGHT, apply_cpu_weight },
  { VMGR_RESOURCE_CPU_LIMIT, apply_cpu_limit },
};

/* ---- the task ---- */

typedef struct {
  char *uuid;
  VmgrVmSpec *spec;
  VmgrLiveResources what;
  VmgrLiveResources applied;    /* written by the worker before it returns */
} ApplyData;

static void
apply_data_free (ApplyData *data)
{
  g_free (data->uuid);
  vmgr_vm_spec_free (data->spec);
  g_free (data);
}

/* Whether the domain is running; FALSE with @error unset when it is not. */
static gboolean
domain_is_active (virDomainPtr domain, GError **error)
{
  int active = virDomainIsActive (domain);

  if (active < 0)
    vmgr_backend_set_error_from_libvirt (error);
  return active == 1;
}

/* A failure because the domain stopped meanwhile is no error: a stopped
 * domain takes nothing live. */
static gboolean
stopped_meanwhile (virDomainPtr domain)
{
  return virDomainIsActive (domain) == 0;
}

static gboolean
apply_all (virDomainPtr domain, const LivePolicy *policy, ApplyData *data, GError **error)
{
  g_autoptr(GError) local_error = NULL;

  if (!domain_is_active (domain, &local_error))
    {
      if (local_error == NULL)
        return TRUE;
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  for (gsize i = 0; i < G_N_ELEMENTS (appliers); i++)
    {
      if ((data->what & appliers[i].resource) == 0)
        continue;
      switch (appliers[i].apply (domain, policy, data->spec, &local_error))
        {
        case APPLY_DONE:
          data->applied |= appliers[i].resource;
          break;
        case APPLY_SKIPPED:
          break;
        case APPLY_FAILED:
        default:
          if (stopped_meanwhile (domain))
            return TRUE;
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
    }
  return TRUE;
}

static void
apply_live_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  VmgrBackend *self = source;
  ApplyData *data = task_data;
  g_autoptr(VmgrVirDomain) domain = NULL;
  GError *error = NULL;

  if (vmgr_backend_task_return_if_cancelled (task))
    return;
  domain = vmgr_backend_lookup_domain (self, data->uuid, &error);
  if (domain == NULL ||
      !apply_all (domain, policy_for_scheme (vmgr_backend_get_scheme (self)), data, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  g_task_return_boolean (task, TRUE);
}

void
vmgr_backend_apply_live_async (VmgrBackend *self, const char *uuid,
                               const VmgrVmSpec *spec, VmgrLiveResources what,
                               GCancellable *cancellable,
                               GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = NULL;
  ApplyData *data;

  g_return_if_fail (VMGR_IS_BACKEND (self));
  g_return_if_fail (spec != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, vmgr_backend_apply_live_async);
  data = g_new0 (ApplyData, 1);
  data->uuid = g_strdup (uuid);
  data->spec = vmgr_vm_spec_copy (spec);
  data->what = what;
  g_task_set_task_data (task, data, (GDestroyNotify) apply_data_free);
  g_task_run_in_thread (task, apply_live_thread);
}

/* @applied is set on failure too: what was applied before it. */
gboolean
vmgr_backend_apply_live_finish (VmgrBackend *self, GAsyncResult *result,
                                VmgrLiveResources *applied, GError **error)
{
  ApplyData *data;

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == vmgr_backend_apply_live_async,
                        FALSE);

  data = g_task_get_task_data (G_TASK (result));
  if (applied != NULL)
    *applied = data->applied;
  return g_task_propagate_boolean (G_TASK (result), error);
}
