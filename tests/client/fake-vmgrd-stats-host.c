/* The fake vmgrd's statistics (see fake-vmgrd.h): GetStats on a VM (a
 * fresh sample, counted) and the Manager's GetHostInfo. */
#include "fake-vmgrd.h"

static gboolean
handle_get_stats (VmgrDBusVM *vm, GDBusMethodInvocation *invocation, gpointer data)
{
  FakeVmgrd *self = data;

  fake_vmgrd_record (self, invocation);
  self->get_stats_calls++;
  if (fake_vmgrd_refuse_secret (vm, invocation, "configure"))
    return G_DBUS_METHOD_INVOCATION_HANDLED;
  /* No disk and no network measured: those keys are missing. */
  vmgr_dbus_vm_complete_get_stats (vm, invocation, g_variant_new_parsed (
    "{'cpu_percent': <50.0>, 'cpu_time_ns': <uint64 7000000000>, "
    "'memory_used': <uint64 536870912>, 'uptime_s': <uint64 3700>, 'sampled_at': <%x>}",
    g_get_real_time ()));
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

void
fake_vmgrd_stats_connect_vm (FakeVmgrd *self, VmgrDBusVM *vm)
{
  g_signal_connect (vm, "handle-get-stats", G_CALLBACK (handle_get_stats), self);
}

static gboolean
handle_get_host_info (VmgrDBusManager *manager, GDBusMethodInvocation *invocation, gpointer data)
{
  return fake_vmgrd_reply (data, manager, invocation, vmgr_dbus_manager_complete_get_host_info,
                           g_variant_new_parsed (
    "{'cpus': <uint32 8>, 'cpu_model': <'Fake CPU'>, 'memory_total': <uint64 17179869184>, "
    "'memory_free': <uint64 8589934592>, 'disk_total': <uint64 107374182400>, "
    "'disk_free': <uint64 64424509440>, 'capacity_vcpus': <uint64 32>, "
    "'capacity_memory': <uint64 17179869184>, 'capacity_disk': <uint64 0>, "
    "'allocated_vcpus': <uint64 8>, 'allocated_memory': <uint64 4294967296>, "
    "'allocated_disk': <uint64 21474836480>, 'vms': <uint32 4>, "
    "'vms_provisioning': <uint32 0>, 'vms_stopped': <uint32 3>, 'vms_running': <uint32 1>, "
    "'vms_migrating': <uint32 0>}"));
}

void
fake_vmgrd_host_connect_manager (FakeVmgrd *self, VmgrDBusManager *manager)
{
  g_signal_connect (manager, "handle-get-host-info", G_CALLBACK (handle_get_host_info), self);
}
