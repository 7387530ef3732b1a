#include "vmgr-snapshot.h"

#include "vmgr-names.h"
#include "vmgr-validate.h"

struct _VmgrSnapshot {
  VmgrDBusSnapshotSkeleton parent_instance;
  guint32 vm_id;
  char *name;
  char *path;
};

G_DEFINE_FINAL_TYPE (VmgrSnapshot, vmgr_snapshot, VMGR_DBUS_TYPE_SNAPSHOT_SKELETON)

const char *
vmgr_snapshot_get_path (VmgrSnapshot *self)
{
  return self->path;
}

const char *
vmgr_snapshot_get_name (VmgrSnapshot *self)
{
  return self->name;
}

guint32
vmgr_snapshot_get_vm_id (VmgrSnapshot *self)
{
  return self->vm_id;
}

void
vmgr_snapshot_update (VmgrSnapshot *self, const VmgrBackendSnapshot *info)
{
  VmgrDBusSnapshot *snapshot = VMGR_DBUS_SNAPSHOT (self);
  g_autofree char *parent = vmgr_validate_snapshot_name (info->parent, NULL)
                            ? vmgr_snapshot_path (self->vm_id, info->parent) : g_strdup ("/");

  vmgr_dbus_snapshot_set_description (snapshot, info->description);
  vmgr_dbus_snapshot_set_creation_time (snapshot, info->creation_time);
  vmgr_dbus_snapshot_set_state (snapshot, info->state);
  vmgr_dbus_snapshot_set_size (snapshot, info->size);
  vmgr_dbus_snapshot_set_parent (snapshot, parent);
}

static void
vmgr_snapshot_finalize (GObject *object)
{
  VmgrSnapshot *self = VMGR_SNAPSHOT (object);

  g_free (self->name);
  g_free (self->path);
  G_OBJECT_CLASS (vmgr_snapshot_parent_class)->finalize (object);
}

static void
vmgr_snapshot_class_init (VmgrSnapshotClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = vmgr_snapshot_finalize;
}

static void
vmgr_snapshot_init (VmgrSnapshot *self)
{
}

VmgrSnapshot *
vmgr_snapshot_new (guint32 vm_id, const VmgrBackendSnapshot *info)
{
  VmgrSnapshot *self = g_object_new (VMGR_TYPE_SNAPSHOT, NULL);
  g_autofree char *vm_path = vmgr_vm_path (vm_id);

  self->vm_id = vm_id;
  self->name = g_strdup (info->name);
  self->path = vmgr_snapshot_path (vm_id, info->name);
  vmgr_dbus_snapshot_set_name (VMGR_DBUS_SNAPSHOT (self), info->name);
  vmgr_dbus_snapshot_set_vm (VMGR_DBUS_SNAPSHOT (self), vm_path);
  vmgr_snapshot_update (self, info);
  return self;
}
