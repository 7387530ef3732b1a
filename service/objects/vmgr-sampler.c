#include "vmgr-sampler.h"

struct _VmgrSampler {
  GObject parent_instance;
  VmgrRegistry *registry;   /* not owned: both belong to the daemon */
  const VmgrContext *context;
  guint timer_id;
  GCancellable *cancellable;
  guint busy;               /* samples under way (one per host): skip a tick */
};

G_DEFINE_FINAL_TYPE (VmgrSampler, vmgr_sampler, G_TYPE_OBJECT)

/* The running VMs' UUIDs by the backend of their host (VmgrBackend* ->
 * GStrvBuilder*). */
static GHashTable *
running_uuids (VmgrSampler *self)
{
  g_autoptr(GPtrArray) vms = vmgr_registry_list_vms (self->registry);
  GHashTable *by_backend = g_hash_table_new_full (NULL, NULL, NULL,
                                                  (GDestroyNotify) g_strv_builder_unref);

  for (guint i = 0; i < vms->len; i++)
    {
      VmgrVm *vm = g_ptr_array_index (vms, i);
      VmgrVmState state = vmgr_vm_get_state (vm);
      VmgrBackend *backend;
      GStrvBuilder *builder;

      if (state != VMGR_VM_STATE_RUNNING && state != VMGR_VM_STATE_PAUSED)
        continue;
      backend = vmgr_context_backend_for (self->context, vmgr_vm_get_spec (vm));
      builder = g_hash_table_lookup (by_backend, backend);
      if (builder == NULL)
        {
          builder = g_strv_builder_new ();
          g_hash_table_insert (by_backend, backend, builder);
        }
      g_strv_builder_add (builder, vmgr_vm_get_spec (vm)->uuid);
    }
  return by_backend;
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

  self->busy--;
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
  g_autoptr(GHashTable) by_backend = NULL;
  GHashTableIter iter;
  gpointer backend, builder;

  if (self->busy > 0)
    return G_SOURCE_CONTINUE;
  by_backend = running_uuids (self);
  g_hash_table_iter_init (&iter, by_backend);
  while (g_hash_table_iter_next (&iter, &backend, &builder))
    {
      g_auto(GStrv) uuids = g_strv_builder_end (builder);

      self->busy++;
      vmgr_backend_sample_async (backend, (const char * const *) uuids, self->cancellable,
                                 on_sampled, g_object_ref (self));
    }
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
vmgr_sampler_new (VmgrRegistry *registry, const VmgrContext *context, guint interval_s)
{
  VmgrSampler *self = g_object_new (VMGR_TYPE_SAMPLER, NULL);

  self->registry = registry;
  self->context = context;
  self->timer_id = g_timeout_add_seconds (interval_s, on_tick, self);
  return self;
}
