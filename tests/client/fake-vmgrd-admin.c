/* The fake vmgrd's administration (see fake-vmgrd.h): canned templates,
 * plans and audit entries; AddTemplate, RemoveTemplate, SetPlan and
 * RemovePlan are recorded only. */
#include "fake-vmgrd.h"

static gboolean
handle_list_templates (VmgrDBusManager *manager, GDBusMethodInvocation *invocation, gpointer data)
{
  return fake_vmgrd_reply (data, manager, invocation, vmgr_dbus_manager_complete_list_templates,
                           g_variant_new_parsed (
    "[('debian-12', {'os': <'debian'>, 'description': <'Debian 12 \"bookworm\"'>, "
    "'source': <'/srv/images/debian-12'>, 'in_use': <uint32 2>}), ('empty', @a{sv} {})]"));
}

static gboolean
handle_list_plans (VmgrDBusManager *manager, GDBusMethodInvocation *invocation, gpointer data)
{
  return fake_vmgrd_reply (data, manager, invocation, vmgr_dbus_manager_complete_list_plans,
                           g_variant_new_parsed (
    "[('small', {'vcpus': <uint32 1>, 'memory_limit': <uint64 536870912>, "
    "'disk_hard_limit': <uint64 10737418240>, 'max_vms': <uint32 3>})]"));
}

static gboolean
handle_query_audit (VmgrDBusManager *manager, GDBusMethodInvocation *invocation,
                    GVariant *filter, gpointer data)
{
  return fake_vmgrd_reply (data, manager, invocation, vmgr_dbus_manager_complete_query_audit,
                           g_variant_new_parsed (
    "[(int64 1714564800000000, uint32 0, 'root', 'org.vmgr.vm.create', 'web', 'allowed', ''),"
    " (int64 1714564860000000, uint32 1001, 'bob', 'org.vmgr.vm.control-any', 'db', 'denied',"
    " 'not an administrator')]"));
}

/* AddTemplate, RemoveTemplate, SetPlan, RemovePlan: recorded, then done. */
static gboolean
handle_recorded (FakeVmgrd *self, GDBusMethodInvocation *invocation)
{
  fake_vmgrd_record (self, invocation);
  g_dbus_method_invocation_return_value (invocation, NULL);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
handle_name (VmgrDBusManager *manager, GDBusMethodInvocation *invocation, const char *name,
             gpointer data)
{
  return handle_recorded (data, invocation);
}

static gboolean
handle_name_and_dict (VmgrDBusManager *manager, GDBusMethodInvocation *invocation,
                      const char *name, GVariant *dict, gpointer data)
{
  return handle_recorded (data, invocation);
}

/* Recorded; a plan without memory is refused as vmgrd words it. */
static gboolean
handle_set_plan (VmgrDBusManager *manager, GDBusMethodInvocation *invocation,
                 const char *name, GVariant *limits, gpointer data)
{
  guint64 memory;

  if (g_variant_lookup (limits, "memory_limit", "t", &memory) && memory == 0)
    {
      g_autofree char *message = g_strdup_printf ("plan '%s': memory_limit cannot be 0", name);

      fake_vmgrd_record (data, invocation);
      g_dbus_method_invocation_return_dbus_error (invocation, "org.vmgr.Error.InvalidArgument",
                                                  message);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
  return handle_recorded (data, invocation);
}

void
fake_vmgrd_admin_connect_manager (FakeVmgrd *self, VmgrDBusManager *manager)
{
  g_signal_connect (manager, "handle-list-templates", G_CALLBACK (handle_list_templates), self);
  g_signal_connect (manager, "handle-list-plans", G_CALLBACK (handle_list_plans), self);
  g_signal_connect (manager, "handle-query-audit", G_CALLBACK (handle_query_audit), self);
  g_signal_connect (manager, "handle-add-template", G_CALLBACK (handle_name_and_dict), self);
  g_signal_connect (manager, "handle-set-plan", G_CALLBACK (handle_set_plan), self);
  g_signal_connect (manager, "handle-remove-template", G_CALLBACK (handle_name), self);
  g_signal_connect (manager, "handle-remove-plan", G_CALLBACK (handle_name), self);
}
