/* The fake vmgrd's snapshots (see fake-vmgrd.h): CreateSnapshot exports
 * an org.vmgr.Snapshot under the VM's path (made at a fixed time, the
 * VM's state captured; the name "taken" exists already); Revert is
 * recorded, Delete unexports the snapshot. */
#include "fake-vmgrd.h"

/* 2023-11-14 22:13:20 UTC */
#define CREATION_TIME G_GINT64_CONSTANT (1700000000000000)

static gboolean
handle_snapshot_change (VmgrDBusSnapshot *snapshot, GDBusMethodInvocation *invocation,
                        gpointer data)
{
  FakeVmgrd *self = data;

  fake_vmgrd_record (self, invocation);
  if (g_str_equal (g_dbus_method_invocation_get_method_name (invocation), "Delete"))
    g_dbus_object_manager_server_unexport (self->objects,
                                           g_dbus_method_invocation_get_object_path (invocation));
  g_dbus_method_invocation_return_value (invocation, NULL);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
handle_create_snapshot (VmgrDBusVM *vm, GDBusMethodInvocation *invocation, const char *name,
                        GVariant *options, gpointer data)
{
  FakeVmgrd *self = data;
  const char *vm_path = g_dbus_interface_skeleton_get_object_path (G_DBUS_INTERFACE_SKELETON (vm));
  g_autofree char *path = g_strconcat (vm_path, "/snapshot/", name, NULL);
  g_autoptr(VmgrDBusObjectSkeleton) object = NULL;
  g_autoptr(VmgrDBusSnapshot) snapshot = NULL;
  const char *description = "";

  fake_vmgrd_record (self, invocation);
  if (g_str_equal (name, "taken"))
    {
      g_dbus_method_invocation_return_dbus_error (invocation, "org.vmgr.Error.AlreadyExists",
                                                  "VM already has a snapshot 'taken'");
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
  g_variant_lookup (options, "description", "&s", &description);
  snapshot = vmgr_dbus_snapshot_skeleton_new ();
  vmgr_dbus_snapshot_set_name (snapshot, name);
  vmgr_dbus_snapshot_set_description (snapshot, description);
  vmgr_dbus_snapshot_set_vm (snapshot, vm_path);
  vmgr_dbus_snapshot_set_creation_time (snapshot, CREATION_TIME);
  vmgr_dbus_snapshot_set_state (snapshot, vmgr_dbus_vm_get_state (vm));
  vmgr_dbus_snapshot_set_parent (snapshot, "/");
  g_signal_connect (snapshot, "handle-revert", G_CALLBACK (handle_snapshot_change), self);
  g_signal_connect (snapshot, "handle-delete", G_CALLBACK (handle_snapshot_change), self);
  object = vmgr_dbus_object_skeleton_new (path);
  vmgr_dbus_object_skeleton_set_snapshot (object, snapshot);
  g_dbus_object_manager_server_export (self->objects, G_DBUS_OBJECT_SKELETON (object));
  vmgr_dbus_vm_complete_create_snapshot (vm, invocation, path);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

void
fake_vmgrd_snapshots_connect_vm (FakeVmgrd *self, VmgrDBusVM *vm)
{
  g_signal_connect (vm, "handle-create-snapshot", G_CALLBACK (handle_create_snapshot), self);
}
