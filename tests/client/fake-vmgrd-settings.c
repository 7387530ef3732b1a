/* The fake vmgrd's VM settings (see fake-vmgrd.h): recorded, then applied
 * to the VM's properties; the VM "secret" refuses them. */
#include "fake-vmgrd.h"

/* Records the request; answers it for the VM "secret" (returns TRUE). */
static gboolean
refused (gpointer fake, VmgrDBusVM *vm, GDBusMethodInvocation *invocation)
{
  fake_vmgrd_record (fake, invocation);
  return fake_vmgrd_refuse_secret (vm, invocation, "configure");
}

static gboolean
handle_set_memory (VmgrDBusVM *vm, GDBusMethodInvocation *invocation, guint64 guarantee,
                   guint64 soft_limit, guint64 limit, gpointer data)
{
  if (refused (data, vm, invocation))
    return G_DBUS_METHOD_INVOCATION_HANDLED;
  vmgr_dbus_vm_set_memory_guarantee (vm, guarantee);
  vmgr_dbus_vm_set_memory_soft_limit (vm, soft_limit);
  vmgr_dbus_vm_set_memory_limit (vm, limit);
  vmgr_dbus_vm_complete_set_memory (vm, invocation);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
handle_set_cpu (VmgrDBusVM *vm, GDBusMethodInvocation *invocation, guint vcpus, guint weight,
                guint limit, gpointer data)
{
  if (refused (data, vm, invocation))
    return G_DBUS_METHOD_INVOCATION_HANDLED;
  if (weight < 1 || weight > 10000)
    {
      g_autofree char *message = g_strdup_printf ("cpu_weight %u is out of range (use 1 to 10000)",
                                                  weight);

      g_dbus_method_invocation_return_dbus_error (invocation, "org.vmgr.Error.InvalidArgument",
                                                  message);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
  vmgr_dbus_vm_set_vcpus (vm, vcpus);
  vmgr_dbus_vm_set_cpu_weight (vm, weight);
  vmgr_dbus_vm_set_cpu_limit (vm, limit);
  vmgr_dbus_vm_complete_set_cpu (vm, invocation);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
handle_set_disk (VmgrDBusVM *vm, GDBusMethodInvocation *invocation, guint64 soft_limit,
                 guint64 hard_limit, gpointer data)
{
  if (refused (data, vm, invocation))
    return G_DBUS_METHOD_INVOCATION_HANDLED;
  if (hard_limit != 0 && soft_limit > hard_limit)
    {
      g_autofree char *message = g_strdup_printf ("disk_soft_limit (%" G_GUINT64_FORMAT ") exceeds "
                                                  "disk_hard_limit (%" G_GUINT64_FORMAT ")",
                                                  soft_limit, hard_limit);

      g_dbus_method_invocation_return_dbus_error (invocation, "org.vmgr.Error.InvalidArgument",
                                                  message);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
  vmgr_dbus_vm_set_disk_soft_limit (vm, soft_limit);
  vmgr_dbus_vm_set_disk_hard_limit (vm, hard_limit);
  vmgr_dbus_vm_complete_set_disk (vm, invocation);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
handle_set_network (VmgrDBusVM *vm, GDBusMethodInvocation *invocation, GVariant *settings,
                    gpointer data)
{
  if (!refused (data, vm, invocation))
    vmgr_dbus_vm_complete_set_network (vm, invocation);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
handle_set_autostart (VmgrDBusVM *vm, GDBusMethodInvocation *invocation, gboolean autostart,
                      gpointer data)
{
  if (refused (data, vm, invocation))
    return G_DBUS_METHOD_INVOCATION_HANDLED;
  vmgr_dbus_vm_set_autostart (vm, autostart);
  vmgr_dbus_vm_complete_set_autostart (vm, invocation);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
handle_set_owner (VmgrDBusVM *vm, GDBusMethodInvocation *invocation, guint uid, gpointer data)
{
  if (refused (data, vm, invocation))
    return G_DBUS_METHOD_INVOCATION_HANDLED;
  vmgr_dbus_vm_set_owner (vm, uid);
  vmgr_dbus_vm_complete_set_owner (vm, invocation);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

void
fake_vmgrd_settings_connect_vm (FakeVmgrd *self, VmgrDBusVM *vm)
{
  g_signal_connect (vm, "handle-set-memory", G_CALLBACK (handle_set_memory), self);
  g_signal_connect (vm, "handle-set-cpu", G_CALLBACK (handle_set_cpu), self);
  g_signal_connect (vm, "handle-set-disk", G_CALLBACK (handle_set_disk), self);
  g_signal_connect (vm, "handle-set-network", G_CALLBACK (handle_set_network), self);
  g_signal_connect (vm, "handle-set-autostart", G_CALLBACK (handle_set_autostart), self);
  g_signal_connect (vm, "handle-set-owner", G_CALLBACK (handle_set_owner), self);
}
