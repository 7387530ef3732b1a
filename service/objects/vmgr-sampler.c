#include "vmgr-sampler.h"

struct _VmgrSampler {
  GObject parent_instance;
  VmgrRegistry *registry;   /* not owned: both belong to the daemon */
  VmgrBackend *backend;
  guint timer_id;
  GCancellable *cancellable;
  gboolean busy;            /* a sample is under way: skip a tick */
};

G_DEFINE_FINAL_TYPE (VmgrSampler, vmgr_sampler, G_TYPE_OBJECT)

static GStrv
running_uuids (VmgrRegistry *registry)
{
  g_autoptr(GPtrArray) vms = vmgr_registry_list_vms (registry);
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  for (guint i = 0; i < vms->len; i++)
    {
      VmgrVm *vm = g_ptr_array_index (vms, i);
      VmgrVmState state = vmgr_vm_get_state (vm);

      if (state == VMGR_VM_STATE_RUNNING || state == VMGR_VM_STATE_PAUSED)
        g_strv_builder_add (builder, vmgr_vm_get_spec (vm)->uuid);
    }
  return g_strv_builder_end (builder);
}

static void
on_sampled (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(VmgrSampler) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) samples = vmgr_backend_sample_finish (VMGR_BACKEND (source), result,
                                                              &error);
  GHashTableIter iter;
  const char *uuid;
  const VmgrDomainStats *stats;

  self->busy = FALSE;
  if (samples == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_debug ("sampling failed: %s", error->message);
      return;
    }
  g_hash_table_iter_init (&iter, samples);
  while (g_hash_table_iter_next (&iter, (gpointer *) &uuid, (gpointer *) &stats))
    {
      VmgrVm *vm = vmgr_registry_find_vm_by_uuid (self->registry, uuid);

      if (vm != NULL)
        g_variant_unref (vmgr_vm_apply_sample (vm, stats));
    }
}

static gboolean
on_tick (gpointer user_data)
{
  VmgrSampler *self = user_data;
  g_auto(GStrv) uuids = NULL;

  if (self->busy)
    return G_SOURCE_CONTINUE;
  uuids = running_uuids (self->registry);
  if (uuids[0] == NULL)
    return G_SOURCE_CONTINUE;
  self->busy = TRUE;
  vmgr_backend_sample_async (self->backend,
                             (const char * const *) uuids, self->cancellable, on_sampled,
                             g_object_ref (self));
  return G_SOURCE_CONTINUE;
}

static void
vmgr_sampler_dispose (GObject *object)
{
  VmgrSampler *self = VMGR_SAMPLER (object);

  g_clear_handle_id (&self->timer_id, g_source_remove);
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  G_OBJECT_CLASS (vmgr_sampler_parent_class)->dispose (object);
}

static void
vmgr_sampler_class_init (VmgrSamplerClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = vmgr_sampler_dispose;
}

static void
vmgr_sampler_init (VmgrSampler *self)
{
  self->cancellable = g_cancellable_new ();
}

VmgrSampler *
vmgr_sampler_new (VmgrRegistry *registry, VmgrBackend *backend, guint interval_s)
{
  VmgrSampler *self = g_object_new (VMGR_TYPE_SAMPLER, NULL);

  self->registry = registry;
  self->backend = backend;
  self->timer_id = g_timeout_add_seconds (interval_s, on_tick, self);
  return self;
}
