/* The fake vmgrd's VMs (see fake-vmgrd.h): the VM objects, their
 * lifecycle with state changes a little later, Delete, and the Manager's
 * FindVM, ListVMs and CreateVM. */
#include "fake-vmgrd.h"

#define GiB (G_GUINT64_CONSTANT (1) << 30)
#define STATE_DELAY_MS 20

char *
fake_vmgrd_vm_path (guint id)
{
  return g_strdup_printf ("/org/vmgr/vm/%u", id);
}

VmgrDBusVM *
fake_vmgrd_get_vm (FakeVmgrd *self, const char *name_or_id)
{
  GHashTableIter iter;
  gpointer key, object;

  g_hash_table_iter_init (&iter, self->vms);
  while (g_hash_table_iter_next (&iter, &key, &object))
    {
      VmgrDBusVM *vm = vmgr_dbus_object_peek_vm (VMGR_DBUS_OBJECT (object));
      g_autofree char *id = g_strdup_printf ("%u", vmgr_dbus_vm_get_id (vm));

      if (g_str_equal (vmgr_dbus_vm_get_name (vm), name_or_id) || g_str_equal (id, name_or_id))
        return vm;
    }
  return NULL;
}

void
fake_vmgrd_remove_vm (FakeVmgrd *self, guint id)
{
  g_autofree char *path = fake_vmgrd_vm_path (id);

  g_dbus_object_manager_server_unexport (self->objects, path);
  g_hash_table_remove (self->vms, GUINT_TO_POINTER (id));
}

gboolean
fake_vmgrd_refuse_secret (VmgrDBusVM *vm, GDBusMethodInvocation *invocation, const char *verb)
{
  g_autofree char *message = NULL;

  if (!g_str_equal (vmgr_dbus_vm_get_name (vm), "secret"))
    return FALSE;
  message = g_strdup_printf ("You may not %s VM 'secret'.", verb);
  g_dbus_method_invocation_return_dbus_error (invocation, "org.vmgr.Error.NotAuthorized", message);
  return TRUE;
}

/* A state change some time after the request, as libvirt's event would
 * bring it; a NULL state only announces StateChanged (a reboot). */
typedef struct {
  FakeVmgrd *fake;
  guint id;
  char *state;
  char *reason;
} StateChange;

static gboolean
apply_state_change (gpointer data)
{
  StateChange *change = data;
  VmgrDBusObjectSkeleton *object = g_hash_table_lookup (change->fake->vms,
                                                        GUINT_TO_POINTER (change->id));
  VmgrDBusVM *vm = object != NULL ? vmgr_dbus_object_peek_vm (VMGR_DBUS_OBJECT (object)) : NULL;

  if (vm != NULL && change->state != NULL)
    {
      vmgr_dbus_vm_set_state (vm, change->state);
      vmgr_dbus_vm_set_state_reason (vm, change->reason);
    }
  if (vm != NULL)
    vmgr_dbus_vm_emit_state_changed (vm, vmgr_dbus_vm_get_state (vm), change->reason);
  change->fake->pending--;
  g_free (change->state);
  g_free (change->reason);
  g_free (change);
  return G_SOURCE_REMOVE;
}

void
fake_vmgrd_change_state_later (FakeVmgrd *self, VmgrDBusVM *vm, guint delay_ms,
                               const char *state, const char *reason)
{
  StateChange *change = g_new0 (StateChange, 1);

  change->fake = self;
  change->id = vmgr_dbus_vm_get_id (vm);
  change->state = g_strdup (state);
  change->reason = g_strdup (reason);
  self->pending++;
  g_timeout_add (delay_ms, apply_state_change, change);
}

typedef struct {
  const char *method;
  const char *from;        /* the state the VM must be in */
  const char *transient;   /* set at once, or NULL */
  const char *final;       /* set after STATE_DELAY_MS; NULL: StateChanged only */
  const char *reason;
} Transition;

static const Transition transitions[] = {
  { "Start", "stopped", "starting", "running", "booted" },
  { "Shutdown", "running", "stopping", "stopped", "user" },
  { "Stop", "running", NULL, "stopped", "destroyed" },
  { "Restart", "running", NULL, NULL, "booted" },
  { "Suspend", "running", NULL, "paused", "user" },
  { "Resume", "paused", NULL, "running", "user" },
  { "Save", "running", NULL, "suspended", "saved" },
};

static gboolean
handle_lifecycle (VmgrDBusVM *vm, GDBusMethodInvocation *invocation, gpointer data)
{
  FakeVmgrd *self = data;
  const char *method = g_dbus_method_invocation_get_method_name (invocation);
  const Transition *t = NULL;

  fake_vmgrd_record (self, invocation);
  for (gsize i = 0; i < G_N_ELEMENTS (transitions); i++)
    if (g_str_equal (transitions[i].method, method))
      t = &transitions[i];
  if (fake_vmgrd_refuse_secret (vm, invocation, "control"))
    return G_DBUS_METHOD_INVOCATION_HANDLED;
  if (!g_str_equal (vmgr_dbus_vm_get_state (vm), t->from))
    {
      /* As vmgrd words it, the verb being the method's name. */
      g_autofree char *message = g_strdup_printf ("cannot %s VM '%s': it is %s, and must be %s",
                                                  method, vmgr_dbus_vm_get_name (vm),
                                                  vmgr_dbus_vm_get_state (vm), t->from);

      g_dbus_method_invocation_return_dbus_error (invocation, "org.vmgr.Error.InvalidState",
                                                  message);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
  if (t->transient != NULL)
    vmgr_dbus_vm_set_state (vm, t->transient);
  if (!g_str_equal (vmgr_dbus_vm_get_name (vm), "stuck"))
    fake_vmgrd_change_state_later (self, vm, STATE_DELAY_MS, t->final, t->reason);
  g_dbus_method_invocation_return_value (invocation, NULL);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
handle_shutdown (VmgrDBusVM *vm, GDBusMethodInvocation *invocation, guint timeout_s,
                 gpointer data)
{
  return handle_lifecycle (vm, invocation, data);
}

typedef struct {
  FakeVmgrd *fake;
  guint id;
} Removal;

static gboolean
remove_vm_later (gpointer data)
{
  Removal *removal = data;

  fake_vmgrd_remove_vm (removal->fake, removal->id);
  removal->fake->pending--;
  g_free (removal);
  return G_SOURCE_REMOVE;
}

static gboolean
handle_delete (VmgrDBusVM *vm, GDBusMethodInvocation *invocation, gpointer data)
{
  FakeVmgrd *self = data;
  Removal *removal;

  fake_vmgrd_record (self, invocation);
  /* As vmgrd: a VM that is up is not deleted (a saved one is). */
  if (g_strv_contains ((const char * const[]) { "starting", "running", "paused", "stopping",
                                                NULL },
                       vmgr_dbus_vm_get_state (vm)))
    {
      g_dbus_method_invocation_return_dbus_error (invocation, "org.vmgr.Error.InvalidState",
                                                  "The VM is running: stop it first.");
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
  removal = g_new0 (Removal, 1);
  removal->fake = self;
  removal->id = vmgr_dbus_vm_get_id (vm);
  self->pending++;
  g_timeout_add (STATE_DELAY_MS, remove_vm_later, removal);
  vmgr_dbus_vm_complete_delete (vm, invocation);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static void
connect_vm_handlers (FakeVmgrd *self, VmgrDBusVM *vm)
{
  static const char *const plain[] = {
    "handle-start", "handle-stop", "handle-restart", "handle-suspend", "handle-resume",
    "handle-save",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (plain); i++)
    g_signal_connect (vm, plain[i], G_CALLBACK (handle_lifecycle), self);
  g_signal_connect (vm, "handle-shutdown", G_CALLBACK (handle_shutdown), self);
  g_signal_connect (vm, "handle-delete", G_CALLBACK (handle_delete), self);
  fake_vmgrd_settings_connect_vm (self, vm);
  fake_vmgrd_stats_connect_vm (self, vm);
  fake_vmgrd_console_connect_vm (self, vm);
  fake_vmgrd_snapshots_connect_vm (self, vm);
  fake_vmgrd_backups_connect_vm (self, vm);
}

static VmgrDBusVM *
add_vm (FakeVmgrd *self, guint id, const char *name, const char *state)
{
  g_autofree char *path = fake_vmgrd_vm_path (id);
  g_autoptr(VmgrDBusObjectSkeleton) object = vmgr_dbus_object_skeleton_new (path);
  g_autoptr(VmgrDBusVM) vm = vmgr_dbus_vm_skeleton_new ();
  const char *const addresses[] = { "10.0.0.5/24", "fd00::5/64", NULL };

  vmgr_dbus_vm_set_id (vm, id);
  vmgr_dbus_vm_set_name (vm, name);
  vmgr_dbus_vm_set_uuid (vm, "6f1c3e0a-0000-4000-8000-000000000000");
  vmgr_dbus_vm_set_owner (vm, 1000);
  vmgr_dbus_vm_set_owner_name (vm, "alice");
  vmgr_dbus_vm_set_template (vm, "debian-12");
  vmgr_dbus_vm_set_plan (vm, "small");
  vmgr_dbus_vm_set_state (vm, state);
  vmgr_dbus_vm_set_state_reason (vm, "user");
  vmgr_dbus_vm_set_vcpus (vm, 2);
  vmgr_dbus_vm_set_cpu_weight (vm, 100);
  vmgr_dbus_vm_set_cpu_limit (vm, 150);
  vmgr_dbus_vm_set_memory_limit (vm, GiB);
  vmgr_dbus_vm_set_memory_guarantee (vm, GiB / 2);
  vmgr_dbus_vm_set_disk_hard_limit (vm, 10 * GiB);
  vmgr_dbus_vm_set_hostname (vm, name);
  vmgr_dbus_vm_set_addresses (vm, addresses);
  vmgr_dbus_vm_set_usage (vm, g_variant_new_parsed ("@a{sv} {'cpu_percent': <12.5>, "
                                                    "'memory_used': <uint64 268435456>, "
                                                    "'uptime_s': <uint64 3700>}"));
  vmgr_dbus_vm_set_job (vm, "/");
  connect_vm_handlers (self, vm);
  vmgr_dbus_object_skeleton_set_vm (object, vm);
  g_dbus_object_manager_server_export (self->objects, G_DBUS_OBJECT_SKELETON (object));
  g_hash_table_insert (self->vms, GUINT_TO_POINTER (id), g_object_ref (object));
  return vm;
}

void
fake_vmgrd_add_vms (FakeVmgrd *self)
{
  self->vms = g_hash_table_new_full (NULL, NULL, NULL, g_object_unref);
  self->next_id = 200;
  add_vm (self, 101, "web", "stopped");
  add_vm (self, 102, "db", "running");
  add_vm (self, 103, "secret", "stopped");
  add_vm (self, 104, "stuck", "stopped");
}

void
fake_vmgrd_vms_clear (FakeVmgrd *self)
{
  g_clear_pointer (&self->vms, g_hash_table_unref);
}

char *
fake_vmgrd_provision (FakeVmgrd *self, GDBusMethodInvocation *invocation, const char *name,
                      const char *template, gboolean start)
{
  VmgrDBusVM *vm;

  if (fake_vmgrd_get_vm (self, name) != NULL)
    {
      g_dbus_method_invocation_return_dbus_error (invocation, "org.vmgr.Error.AlreadyExists",
                                                  "A VM by that name exists.");
      return NULL;
    }
  vm = add_vm (self, self->next_id++, name, "provisioning");
  vmgr_dbus_vm_set_template (vm, template);
  if (fake_vmgrd_is_job_template (template))
    {
      fake_vmgrd_start_job (self, vm, template, start);
      return fake_vmgrd_vm_path (vmgr_dbus_vm_get_id (vm));
    }
  fake_vmgrd_change_state_later (self, vm, STATE_DELAY_MS, "stopped", "user");
  if (start)
    fake_vmgrd_change_state_later (self, vm, 2 * STATE_DELAY_MS, "running", "booted");
  return fake_vmgrd_vm_path (vmgr_dbus_vm_get_id (vm));
}

/* ---- the Manager's methods ---- */

static gboolean
handle_find_vm (VmgrDBusManager *manager, GDBusMethodInvocation *invocation,
                const char *name_or_id, gpointer data)
{
  FakeVmgrd *self = data;
  VmgrDBusVM *vm = fake_vmgrd_get_vm (self, name_or_id);
  g_autofree char *path = vm != NULL ? fake_vmgrd_vm_path (vmgr_dbus_vm_get_id (vm)) : NULL;

  fake_vmgrd_record (self, invocation);
  if (vm == NULL)
    g_dbus_method_invocation_return_dbus_error (invocation, "org.vmgr.Error.NotFound",
                                                "There is no VM by that name or id.");
  else
    vmgr_dbus_manager_complete_find_vm (manager, invocation, path);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
handle_list_vms (VmgrDBusManager *manager, GDBusMethodInvocation *invocation, gpointer data)
{
  FakeVmgrd *self = data;
  g_auto(GStrv) paths = fake_vmgrd_sorted_paths (self->vms, fake_vmgrd_vm_path);

  fake_vmgrd_record (self, invocation);
  vmgr_dbus_manager_complete_list_vms (manager, invocation, (const char *const *) paths);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
handle_create_vm (VmgrDBusManager *manager, GDBusMethodInvocation *invocation, const char *name,
                  const char *template, const char *plan, GVariant *options, gpointer data)
{
  FakeVmgrd *self = data;
  g_autofree char *path = NULL;
  gboolean start = FALSE;

  fake_vmgrd_record (self, invocation);
  g_variant_lookup (options, "start", "b", &start);
  /* vmgrd's refusal of a VM without memory (the job templates need none). */
  if (g_str_equal (template, "debian-12") && plan[0] == '\0'
      && !g_variant_lookup (options, "memory_limit", "t", NULL)
      && fake_vmgrd_get_vm (self, name) == NULL)
    {
      g_dbus_method_invocation_return_dbus_error (invocation, "org.vmgr.Error.InvalidArgument",
                                                  "no memory_limit: choose a plan or give "
                                                  "memory_limit");
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
  path = fake_vmgrd_provision (self, invocation, name, template, start);
  if (path != NULL)
    vmgr_dbus_manager_complete_create_vm (manager, invocation, path);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

void
fake_vmgrd_vms_connect_manager (FakeVmgrd *self, VmgrDBusManager *manager)
{
  g_signal_connect (manager, "handle-find-vm", G_CALLBACK (handle_find_vm), self);
  g_signal_connect (manager, "handle-list-vms", G_CALLBACK (handle_list_vms), self);
  g_signal_connect (manager, "handle-create-vm", G_CALLBACK (handle_create_vm), self);
}
