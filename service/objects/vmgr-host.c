#include "vmgr-host.h"

#include "vmgr-backend-volumes.h"
#include "vmgr-limits.h"

struct _VmgrHost {
  VmgrDBusHostSkeleton parent_instance;
  const VmgrContext *context;
  char *name;
  VmgrBackend *backend;
  gboolean configured;
  VmgrCapacity capacity;        /* of a host that is not the configured one */
  GCancellable *cancellable;    /* its host info request */
};

G_DEFINE_FINAL_TYPE (VmgrHost, vmgr_host, VMGR_DBUS_TYPE_HOST_SKELETON)

const char *
vmgr_host_get_name (VmgrHost *self)
{
  return self->name;
}

gboolean
vmgr_host_is_configured (VmgrHost *self)
{
  return self->configured;
}

VmgrBackend *
vmgr_host_get_backend (VmgrHost *self)
{
  return self->backend;
}

static void
sync_state (VmgrHost *self)
{
  vmgr_dbus_host_set_state (VMGR_DBUS_HOST (self),
                            vmgr_backend_is_connected (self->backend) ? "connected"
                                                                      : "disconnected");
}

static void
on_host_info (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VmgrHostInfo) info = vmgr_backend_get_host_info_finish (VMGR_BACKEND (source),
                                                                     result, &error);
  VmgrHost *self;
  const VmgrConfig *config;

  if (info == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_warning ("host %s: %s", vmgr_backend_get_uri (VMGR_BACKEND (source)), error->message);
      return;
    }
  self = VMGR_HOST (user_data);
  config = self->context->config;
  /* Its disk is not known from here: not capped. */
  self->capacity = vmgr_capacity_compute (info->cpus, info->memory_total, 0,
                                          config->cpu_overcommit_pct,
                                          config->memory_overcommit_pct,
                                          config->disk_overcommit_pct);
  vmgr_host_refresh (self);
}

static void
ask_capacity (VmgrHost *self)
{
  if (self->configured || !vmgr_backend_is_connected (self->backend))
    return;
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  vmgr_backend_get_host_info_async (self->backend, self->cancellable, on_host_info, self);
}

static void
on_connection_changed (VmgrBackend *backend, gpointer user_data)
{
  sync_state (VMGR_HOST (user_data));
  ask_capacity (VMGR_HOST (user_data));
}

static GVariant *
capacity_variant (const VmgrCapacity *capacity)
{
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a{st}"));
  g_variant_builder_add (&builder, "{st}", "vcpus", capacity->vcpus);
  g_variant_builder_add (&builder, "{st}", "memory", capacity->memory);
  g_variant_builder_add (&builder, "{st}", "disk", capacity->disk);
  return g_variant_builder_end (&builder);
}

void
vmgr_host_refresh (VmgrHost *self)
{
  VmgrDBusHost *host = VMGR_DBUS_HOST (self);

  vmgr_dbus_host_set_capacity (host, capacity_variant (
                                 self->configured ? vmgr_ledger_get_capacity (self->context->ledger)
                                                  : &self->capacity));
}

void
vmgr_host_set_allocation (VmgrHost *self, const VmgrAllocation *allocation)
{
  vmgr_dbus_host_set_allocation (VMGR_DBUS_HOST (self), vmgr_allocation_to_variant (allocation));
  vmgr_dbus_host_set_vmcount (VMGR_DBUS_HOST (self), allocation->vms);
}

VmgrHost *
vmgr_host_new (const VmgrContext *context, const char *name, VmgrBackend *backend,
               gboolean configured)
{
  VmgrHost *self = g_object_new (VMGR_TYPE_HOST, NULL);
  VmgrDBusHost *host = VMGR_DBUS_HOST (self);

  self->context = context;
  self->name = g_strdup (name);
  self->backend = g_object_ref (backend);
  self->configured = configured;
  vmgr_dbus_host_set_name (host, name);
  vmgr_dbus_host_set_uri (host, vmgr_backend_get_uri (backend));
  vmgr_dbus_host_set_pool (host, configured || vmgr_backend_get_pool (backend) == NULL
                                   ? "" : vmgr_backend_get_pool (backend));
  vmgr_dbus_host_set_capabilities (host, vmgr_backend_get_capabilities (backend));
  g_signal_connect_object (backend, "connection-lost", G_CALLBACK (on_connection_changed), self, 0);
  g_signal_connect_object (backend, "connection-restored", G_CALLBACK (on_connection_changed),
                           self, 0);
  sync_state (self);
  vmgr_host_refresh (self);
  vmgr_host_set_allocation (self, &(VmgrAllocation) { 0 });
  ask_capacity (self);
  return self;
}

static void
vmgr_host_dispose (GObject *object)
{
  VmgrHost *self = VMGR_HOST (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->backend);
  G_OBJECT_CLASS (vmgr_host_parent_class)->dispose (object);
}

static void
vmgr_host_finalize (GObject *object)
{
  g_free (VMGR_HOST (object)->name);
  G_OBJECT_CLASS (vmgr_host_parent_class)->finalize (object);
}

static void
vmgr_host_class_init (VmgrHostClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = vmgr_host_dispose;
  object_class->finalize = vmgr_host_finalize;
}

static void
vmgr_host_init (VmgrHost *self)
{
}
