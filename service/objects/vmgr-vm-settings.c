/* Changes to a VM's definition: validated, authorized with the requested
 * values, checked against the ledger, defined in libvirt, stored, shown,
 * applied to the running guest where the driver can. */
#include "vmgr-vm-private.h"

#include "vmgr-error.h"
#include "vmgr-image.h"
#include "vmgr-limits.h"
#include "vmgr-peers.h"
#include "vmgr-validate.h"

/* A change to the VM's definition: applied to a copy of the spec, checked,
 * defined in libvirt, stored, then shown. */
typedef struct {
  VmgrVm *vm;
  GDBusMethodInvocation *invocation;
  VmgrGrant *grant;
  VmgrVmSpec *edited;
  char *domain_xml;
  gboolean started;         /* holds the VM's reconfiguring flag */
  gboolean disk_deferred;   /* the running container's root image grows at its next start */
  GError *store_error;      /* the store refused what libvirt took */
} Reconfigure;

static void
reconfigure_free (Reconfigure *change)
{
  g_object_unref (change->vm);
  g_clear_object (&change->invocation);
  vmgr_grant_free (change->grant);
  vmgr_vm_spec_free (change->edited);
  g_free (change->domain_xml);
  g_clear_error (&change->store_error);
  g_free (change);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Reconfigure, reconfigure_free)

static void
finish_reconfigure (Reconfigure *change, const GError *error)
{
  if (change->started)
    change->vm->reconfiguring = FALSE;
  vmgr_grant_audit (change->vm->context->auth, change->grant, error);
  if (error != NULL)
    g_dbus_method_invocation_return_gerror (change->invocation, error);
  else
    g_dbus_method_invocation_return_value (change->invocation, NULL);
}

/* An LXC guest reads its network settings from its root filesystem at
 * start: keep them there. */
static void
on_guest_network_written (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GError) error = NULL;

  if (!vmgr_provision_write_network_finish (result, &error))
    g_warning ("VM %u: cannot write its network settings: %s", GPOINTER_TO_UINT (user_data),
               error->message);
}

static void
on_guest_image_network_written (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GError) error = NULL;

  if (!vmgr_backend_guest_image_finish (VMGR_BACKEND (source), result, NULL, NULL, &error))
    g_warning ("VM %u: cannot write its network settings: %s", GPOINTER_TO_UINT (user_data),
               error->message);
}

/* Into its root image (by debugfs while it is stopped, through its root
 * while it runs) or its root directory. */
static void
write_guest_network (VmgrVm *self, const VmgrVmSpec *spec)
{
  g_autoptr(VmgrGuestFiles) files = vmgr_context_guest_files (self->context, spec);

  if (vmgr_image_is_image (files->root))
    vmgr_backend_guest_image_async (vmgr_context_backend_for (self->context, self->spec), spec, VMGR_GUEST_IMAGE_WRITE_NETWORK,
                                    NULL, on_guest_image_network_written,
                                    GUINT_TO_POINTER (spec->id));
  else if (*files->root != '\0')
    vmgr_provision_write_network_async (files->root, spec, on_guest_network_written,
                                        GUINT_TO_POINTER (spec->id));
}

static gboolean
network_changed (const VmgrVmSpec *old, const VmgrVmSpec *new)
{
  return g_strcmp0 (old->hostname, new->hostname) != 0 ||
         g_strcmp0 (old->gateway, new->gateway) != 0 ||
         !g_strv_equal ((const char * const *) old->addresses,
                        (const char * const *) new->addresses) ||
         !g_strv_equal ((const char * const *) old->nameservers,
                        (const char * const *) new->nameservers);
}

static VmgrLiveResources
resources_changed (const VmgrVmSpec *old, const VmgrVmSpec *new)
{
  VmgrLiveResources changed = 0;

  if (old->memory_limit != new->memory_limit)
    changed |= VMGR_RESOURCE_MEMORY | VMGR_RESOURCE_MEMORY_TUNE;
  if (old->memory_soft_limit != new->memory_soft_limit ||
      old->memory_guarantee != new->memory_guarantee)
    changed |= VMGR_RESOURCE_MEMORY_TUNE;
  if (old->vcpus != new->vcpus)
    changed |= VMGR_RESOURCE_VCPUS;
  if (old->cpu_weight != new->cpu_weight)
    changed |= VMGR_RESOURCE_CPU_WEIGHT;
  if (old->cpu_limit != new->cpu_limit)
    changed |= VMGR_RESOURCE_CPU_LIMIT;
  return changed;
}

/* The sizes a running guest only gets at its next start (above the
 * maximum it started with, or where the driver has no live setter). */
static void
update_pending_changes (VmgrVm *self, VmgrLiveResources changed, VmgrLiveResources applied)
{
  GVariant *pending = vmgr_dbus_vm_get_pending_changes (VMGR_DBUS_VM (self));
  g_auto(GVariantDict) dict = G_VARIANT_DICT_INIT (pending);

  if ((changed & VMGR_RESOURCE_MEMORY) != 0 && (applied & VMGR_RESOURCE_MEMORY) == 0)
    g_variant_dict_insert (&dict, "memory_limit", "t", self->spec->memory_limit);
  else if ((changed & VMGR_RESOURCE_MEMORY) != 0)
    g_variant_dict_remove (&dict, "memory_limit");
  if ((changed & VMGR_RESOURCE_VCPUS) != 0 && (applied & VMGR_RESOURCE_VCPUS) == 0)
    g_variant_dict_insert (&dict, "vcpus", "u", self->spec->vcpus);
  else if ((changed & VMGR_RESOURCE_VCPUS) != 0)
    g_variant_dict_remove (&dict, "vcpus");
  vmgr_dbus_vm_set_pending_changes (VMGR_DBUS_VM (self), g_variant_dict_end (&dict));
}

GVariant *
vmgr_vm_empty_vardict (void)
{
  static GVariant *empty;

  if (g_once_init_enter (&empty))
    g_once_init_leave (&empty, g_variant_ref_sink (g_variant_new ("a{sv}", NULL)));
  return empty;
}

void
vmgr_vm_clear_pending_changes (VmgrVm *self)
{
  vmgr_dbus_vm_set_pending_changes (VMGR_DBUS_VM (self), vmgr_vm_empty_vardict ());
}

typedef struct {
  Reconfigure *change;
  VmgrLiveResources changed;
} LiveApplication;

static void
on_applied_live (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autofree LiveApplication *live = user_data;
  g_autoptr(Reconfigure) change = live->change;
  g_autoptr(GError) error = NULL;
  VmgrLiveResources applied = 0;

  /* The new values are stored and defined either way; a live failure is
   * reported so that the caller knows the guest still runs with the old. */
  if (!vmgr_backend_apply_live_finish (VMGR_BACKEND (source), result, &applied, &error))
    g_prefix_error (&error, "stored, but not applied to the running guest: ");
  else
    g_debug ("VM %u: resources applied live: 0x%x", change->vm->spec->id, applied);
  /* Shown before the reply, so that the caller reads it after. */
  if (vmgr_vm_is_up (change->vm->state))
    update_pending_changes (change->vm, live->changed, applied);
  finish_reconfigure (change, error);
}

static void
on_old_definition_restored (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(Reconfigure) change = user_data;
  g_autoptr(GError) error = NULL;

  if (!vmgr_backend_define_finish (VMGR_BACKEND (source), result, &error))
    g_warning ("VM %u: the store refused a change libvirt took, and libvirt could not get "
               "the stored definition back: %s", change->vm->spec->id, error->message);
  finish_reconfigure (change, change->store_error);
}

static void
on_redefined (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(Reconfigure) change = user_data;
  VmgrVm *self = change->vm;
  g_autoptr(GError) error = NULL;
  guint32 old_owner;
  VmgrLiveResources changed;
  GVariantDict pending;

  g_autoptr(VmgrAuditEntry) audit = vmgr_grant_audit_entry (change->grant);

  if (!vmgr_backend_define_finish (VMGR_BACKEND (source), result, &error))
    {
      finish_reconfigure (change, error);
      return;
    }
  if (!vmgr_store_update_vm (self->context->store, change->edited, change->domain_xml, audit,
                             &error))
    {
      /* libvirt has the new definition, the store (e.g. full) the old one:
       * libvirt gets the old one back before the caller hears. */
      change->store_error = g_steal_pointer (&error);
      vmgr_vm_restore_definition_async (self, on_old_definition_restored,
                                        g_steal_pointer (&change));
      return;
    }
  if (network_changed (self->spec, change->edited))
    {
      write_guest_network (self, change->edited);
      vmgr_context_reserve_address (self->context, change->edited, TRUE);
    }
  old_owner = self->spec->owner;
  changed = resources_changed (self->spec, change->edited);
  vmgr_vm_spec_free (self->spec);
  self->spec = g_steal_pointer (&change->edited);
  vmgr_vm_sync_properties (self);
  if (change->disk_deferred && vmgr_vm_is_up (self->state))
    {
      g_variant_dict_init (&pending, vmgr_dbus_vm_get_pending_changes (VMGR_DBUS_VM (self)));
      g_variant_dict_insert (&pending, "disk_hard_limit", "t", self->spec->disk_hard_limit);
      vmgr_dbus_vm_set_pending_changes (VMGR_DBUS_VM (self), g_variant_dict_end (&pending));
    }
  vmgr_vm_emit_changed (self, old_owner);
  if (changed != 0 && vmgr_vm_is_up (self->state))
    {
      LiveApplication *live = g_new0 (LiveApplication, 1);

      /* Stored and defined: now the running guest, where the driver can. */
      live->change = g_steal_pointer (&change);
      live->changed = changed;
      vmgr_backend_apply_live_async (VMGR_BACKEND (source), self->spec->uuid, self->spec,
                                     changed, NULL, on_applied_live, live);
      return;
    }
  finish_reconfigure (change, NULL);
}

static gboolean
build_definition (VmgrVm *self, Reconfigure *change, GError **error)
{
  change->domain_xml = vmgr_context_build_definition (self->context, change->edited, error);
  return change->domain_xml != NULL;
}

typedef gboolean (*SpecEdit) (VmgrVmSpec *spec, GVariant *args, GError **error);

typedef struct {
  VmgrVm *vm;
  SpecEdit edit;
  GVariant *args;
} PendingEdit;

static void
pending_edit_free (PendingEdit *pending)
{
  g_object_unref (pending->vm);
  g_variant_unref (pending->args);
  g_free (pending);
}

static void
on_image_resized (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Reconfigure *change = user_data;
  g_autoptr(GError) error = NULL;

  if (!vmgr_backend_guest_image_finish (VMGR_BACKEND (source), result, NULL,
                                        &change->disk_deferred, &error))
    {
      g_prefix_error (&error, "cannot resize the root image: ");
      finish_reconfigure (change, error);
      reconfigure_free (change);
      return;
    }
  g_debug ("VM %u: root image resized%s", change->vm->spec->id,
           change->disk_deferred ? " at its next start" : "");
  vmgr_backend_define_async (VMGR_BACKEND (source), change->domain_xml, NULL, on_redefined,
                             change);
}

/* The last checks and the new definition, once what the disks use is
 * known (or known to be unknown). A root image takes its new size first
 * (grown online while the container runs), so that a refused resize
 * changes nothing. */
static void
reconfigure_with_disk_use (Reconfigure *change, gboolean use_known, guint64 disk_used)
{
  VmgrVm *self = change->vm;
  g_autoptr(GError) error = NULL;
  g_autoptr(VmgrGuestFiles) files = NULL;

  if (!vmgr_limits_check_disk_use (self->spec, change->edited, use_known, disk_used, &error) ||
      !build_definition (self, change, &error))
    {
      finish_reconfigure (change, error);
      reconfigure_free (change);
      return;
    }
  self->reconfiguring = change->started = TRUE;
  if (change->edited->disk_hard_limit != self->spec->disk_hard_limit &&
      change->edited->disk_hard_limit != 0)
    files = vmgr_context_guest_files (self->context, self->spec);
  if (files != NULL && vmgr_image_is_image (files->root))
    {
      vmgr_backend_guest_image_async (vmgr_context_backend_for (self->context, self->spec), change->edited,
                                      VMGR_GUEST_IMAGE_RESIZE, NULL, on_image_resized, change);
      return;
    }
  vmgr_backend_define_async (vmgr_context_backend_for (self->context, self->spec), change->domain_xml, NULL, on_redefined,
                             change);
}

static void
on_guest_image_measured (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Reconfigure *change = user_data;
  g_autoptr(GError) error = NULL;
  guint64 used = 0;
  gboolean known = vmgr_backend_guest_image_finish (VMGR_BACKEND (source), result, &used, NULL,
                                                    &error);

  if (!known)
    g_debug ("VM %u: what its root image uses is unknown: %s", change->vm->spec->id,
             error->message);
  reconfigure_with_disk_use (change, known, used);
}

static void
on_guest_root_measured (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Reconfigure *change = user_data;
  g_autoptr(GError) error = NULL;
  guint64 used = 0;
  gboolean known = vmgr_provision_measure_finish (result, &used, &error);

  if (!known)
    g_debug ("VM %u: what its root filesystem uses is unknown: %s", change->vm->spec->id,
             error->message);
  reconfigure_with_disk_use (change, known, used);
}

/* Where the samples do not measure the disks (an LXC guest), a shrinking
 * hard limit is judged by what the guest's own root filesystem holds,
 * measured in a worker thread (held busy meanwhile). */
static void
check_disk_use_then_reconfigure (Reconfigure *change)
{
  VmgrVm *self = change->vm;
  g_autoptr(VmgrGuestFiles) files = NULL;

  if (self->last_sample != NULL && self->last_sample->has_disk)
    {
      reconfigure_with_disk_use (change, TRUE, self->last_sample->disk_used);
      return;
    }
  if (vmgr_limits_disk_limit_shrinks (self->spec, change->edited))
    files = vmgr_context_guest_files (self->context, self->spec);
  if (files == NULL || *files->root == '\0')
    {
      reconfigure_with_disk_use (change, FALSE, 0);
      return;
    }
  self->reconfiguring = change->started = TRUE;
  if (vmgr_image_is_image (files->root))
    {
      vmgr_backend_guest_image_async (vmgr_context_backend_for (self->context, self->spec), self->spec, VMGR_GUEST_IMAGE_USAGE,
                                      NULL, on_guest_image_measured, change);
      return;
    }
  vmgr_provision_measure_async (files->root, NULL, on_guest_root_measured, change);
}

/* A container on an added host has its root image there, as a storage
 * volume: vmgrd cannot write into it nor resize it. */
static gboolean
check_image_reachable (VmgrVm *self, const VmgrVmSpec *edited, GError **error)
{
  g_autoptr(VmgrGuestFiles) files = NULL;

  if (!vmgr_context_on_added_host (self->context, self->spec))
    return TRUE;
  files = vmgr_context_guest_files (self->context, self->spec);
  if (*files->root == '\0')
    return TRUE;
  if (network_changed (self->spec, edited))
    return vmgr_context_check_local_files (self->context, self->spec,
                                           "writing the host name and network settings into "
                                           "a container's root image", error);
  if (edited->disk_hard_limit != self->spec->disk_hard_limit)
    return vmgr_context_check_local_files (self->context, self->spec,
                                           "resizing a container's root image", error);
  return TRUE;
}

static void
on_configure_allowed (GDBusMethodInvocation *invocation, VmgrGrant *grant, gpointer user_data)
{
  PendingEdit *pending = user_data;
  VmgrVm *self = pending->vm;
  Reconfigure *change = g_new0 (Reconfigure, 1);
  g_autoptr(GError) error = NULL;

  change->vm = g_object_ref (self);
  change->invocation = g_object_ref (invocation);
  change->grant = grant;
  change->edited = vmgr_vm_spec_copy (self->spec);
  if (vmgr_vm_check_not_deleted (self, &error) && vmgr_vm_check_not_provisioning (self, &error) &&
      vmgr_vm_check_not_busy (self, &error) && pending->edit (change->edited, pending->args, &error))
    vmgr_vm_note_spec_changes (grant, self->spec, change->edited);
  if (error != NULL ||
      !check_image_reachable (self, change->edited, &error) ||
      !vmgr_spec_check_resources (change->edited, &error) ||
      !vmgr_ledger_check (self->context->ledger, self->spec, change->edited, &error) ||
      (self->context->check_host_capacity != NULL &&
       !self->context->check_host_capacity (self->context->check_host_capacity_data, self->spec,
                                            change->edited, &error)))
    {
      finish_reconfigure (change, error);
      reconfigure_free (change);
    }
  else
    check_disk_use_then_reconfigure (change);
  pending_edit_free (pending);
}

/* Validates @args with @edit on a scratch copy first (bad input is refused
 * before anyone is asked), then authorizes with the requested values. */
static gboolean
configure (VmgrVm *self, GDBusMethodInvocation *invocation, SpecEdit edit, GVariant *args)
{
  g_autoptr(VmgrVmSpec) scratch = vmgr_vm_spec_copy (self->spec);
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) details = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  PendingEdit *pending;

  g_variant_ref_sink (args);
  if (!edit (scratch, args, &error) || !vmgr_spec_check_resources (scratch, &error))
    {
      g_variant_unref (args);
      return vmgr_vm_return_invalid_input (self, invocation, g_steal_pointer (&error));
    }
  g_hash_table_insert (details, "requested", g_variant_print (args, FALSE));
  pending = g_new0 (PendingEdit, 1);
  pending->vm = g_object_ref (self);
  pending->edit = edit;
  pending->args = args;
  vmgr_auth_authorize (self->context->auth, invocation, self->spec, details,
                       on_configure_allowed, pending, (GDestroyNotify) pending_edit_free);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
edit_memory (VmgrVmSpec *spec, GVariant *args, GError **error)
{
  g_variant_get (args, "(ttt)", &spec->memory_guarantee, &spec->memory_soft_limit,
                 &spec->memory_limit);
  return TRUE;
}

static gboolean
edit_cpu (VmgrVmSpec *spec, GVariant *args, GError **error)
{
  guint32 weight;

  g_variant_get (args, "(uuu)", &spec->vcpus, &weight, &spec->cpu_limit);
  if (weight < VMGR_CPU_WEIGHT_MIN || weight > VMGR_CPU_WEIGHT_MAX)
    {
      g_set_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_ARGUMENT,
                   "weight %u is out of range (%u to %u)", weight, VMGR_CPU_WEIGHT_MIN,
                   VMGR_CPU_WEIGHT_MAX);
      return FALSE;
    }
  spec->cpu_weight = weight;
  return TRUE;
}

static gboolean
edit_disk (VmgrVmSpec *spec, GVariant *args, GError **error)
{
  g_variant_get (args, "(tt)", &spec->disk_soft_limit, &spec->disk_hard_limit);
  return TRUE;
}

static gboolean
edit_network (VmgrVmSpec *spec, GVariant *args, GError **error)
{
  g_autoptr(GVariant) settings = g_variant_get_child_value (args, 0);
  g_autoptr(VmgrOptions) options = vmgr_options_parse (settings, VMGR_FIELDS_NETWORK, error);

  return options != NULL && vmgr_spec_apply (spec, NULL, options, error);
}

static gboolean
edit_autostart (VmgrVmSpec *spec, GVariant *args, GError **error)
{
  g_variant_get (args, "(b)", &spec->autostart);
  return TRUE;
}

static gboolean
edit_owner (VmgrVmSpec *spec, GVariant *args, GError **error)
{
  guint32 uid;

  g_variant_get (args, "(u)", &uid);
  if (!vmgr_user_exists (uid))
    {
      g_set_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_ARGUMENT, "no user with uid %u", uid);
      return FALSE;
    }
  spec->owner = uid;
  return TRUE;
}

gboolean
vmgr_vm_handle_set_memory (VmgrDBusVM *object, GDBusMethodInvocation *invocation,
                   guint64 guarantee, guint64 soft_limit, guint64 limit)
{
  return configure (VMGR_VM (object), invocation, edit_memory,
                    g_variant_new ("(ttt)", guarantee, soft_limit, limit));
}

gboolean
vmgr_vm_handle_set_cpu (VmgrDBusVM *object, GDBusMethodInvocation *invocation,
                guint vcpus, guint weight, guint limit)
{
  return configure (VMGR_VM (object), invocation, edit_cpu,
                    g_variant_new ("(uuu)", vcpus, weight, limit));
}

gboolean
vmgr_vm_handle_set_disk (VmgrDBusVM *object, GDBusMethodInvocation *invocation,
                 guint64 soft_limit, guint64 hard_limit)
{
  return configure (VMGR_VM (object), invocation, edit_disk,
                    g_variant_new ("(tt)", soft_limit, hard_limit));
}

gboolean
vmgr_vm_handle_set_network (VmgrDBusVM *object, GDBusMethodInvocation *invocation, GVariant *settings)
{
  return configure (VMGR_VM (object), invocation, edit_network,
                    g_variant_new ("(@a{sv})", settings));
}

gboolean
vmgr_vm_handle_set_autostart (VmgrDBusVM *object, GDBusMethodInvocation *invocation, gboolean autostart)
{
  return configure (VMGR_VM (object), invocation, edit_autostart,
                    g_variant_new ("(b)", autostart));
}

gboolean
vmgr_vm_handle_set_owner (VmgrDBusVM *object, GDBusMethodInvocation *invocation, guint uid)
{
  return configure (VMGR_VM (object), invocation, edit_owner, g_variant_new ("(u)", uid));
}
