/* Samples the usage of running VMs on an interval, in one backend call
 * per host (bulk where the driver allows), and hands each sample to its VM. Nothing
 * is sampled while no VM runs. */
#pragma once

#include "vmgr-registry.h"

G_BEGIN_DECLS

#define VMGR_TYPE_SAMPLER (vmgr_sampler_get_type ())
G_DECLARE_FINAL_TYPE (VmgrSampler, vmgr_sampler, VMGR, SAMPLER, GObject)

VmgrSampler *vmgr_sampler_new (VmgrRegistry *registry, const VmgrContext *context,
                               guint interval_s);

G_END_DECLS
