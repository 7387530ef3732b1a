/* A fake vmgrd for vmgrctl's tests (see test-fake-vmgrd.h). */
#include "test-fake-vmgrd.h"

#define GiB (G_GUINT64_CONSTANT (1) << 30)
#define STATE_DELAY_MS 20

void
fake_vmgrd_record (FakeVmgrd *self, GDBusMethodInvocation *invocation)
{
  GDBusMessage *message = g_dbus_method_invocation_get_message (invocation);

  g_free (self->last_method);
  self->last_method = g_strdup (g_dbus_method_invocation_get_method_name (invocation));
  self->last_interactive = (g_dbus_message_get_flags (message)
                            & G_DBUS_MESSAGE_FLAGS_ALLOW_INTERACTIVE_AUTHORIZATION) != 0;
  g_clear_pointer (&self->last_args, g_variant_unref);
  self->last_args = g_variant_ref (g_dbus_method_invocation_get_parameters (invocation));
}

static char *
vm_path (guint id)
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
  if (g_str_equal (vmgr_dbus_vm_get_name (vm), "secret"))
    g_dbus_method_invocation_return_dbus_error (invocation, "org.vmgr.Error.NotAuthorized",
                                                "You may not control VM 'secret'.");
  else if (!g_str_equal (vmgr_dbus_vm_get_state (vm), t->from))
    g_dbus_method_invocation_return_dbus_error (invocation, "org.vmgr.Error.InvalidState",
                                                "The VM is not in the right state.");
  else
    {
      if (t->transient != NULL)
        vmgr_dbus_vm_set_state (vm, t->transient);
      if (!g_str_equal (vmgr_dbus_vm_get_name (vm), "stuck"))
        fake_vmgrd_change_state_later (self, vm, STATE_DELAY_MS, t->final, t->reason);
      g_dbus_method_invocation_return_value (invocation, NULL);
    }
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
handle_shutdown (VmgrDBusVM *vm, GDBusMethodInvocation *invocation, guint timeout_s,
                 gpointer data)
{
  return handle_lifecycle (vm, invocation, data);
}

static gboolean
remove_vm_later (gpointer data)
{
  StateChange *change = data;
  g_autofree char *path = vm_path (change->id);

  g_dbus_object_manager_server_unexport (change->fake->objects, path);
  g_hash_table_remove (change->fake->vms, GUINT_TO_POINTER (change->id));
  change->fake->pending--;
  g_free (change);
  return G_SOURCE_REMOVE;
}

static gboolean
handle_delete (VmgrDBusVM *vm, GDBusMethodInvocation *invocation, gpointer data)
{
  FakeVmgrd *self = data;
  StateChange *change = g_new0 (StateChange, 1);

  fake_vmgrd_record (self, invocation);
  change->fake = self;
  change->id = vmgr_dbus_vm_get_id (vm);
  self->pending++;
  g_timeout_add (STATE_DELAY_MS, remove_vm_later, change);
  vmgr_dbus_vm_complete_delete (vm, invocation);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static void
connect_vm_handlers (FakeVmgrd *self, VmgrDBusVM *vm)
{
  static const char *const plain[] = {
    "handle-start", "handle-stop", "handle-restart", "handle-suspend", "handle-resume",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (plain); i++)
    g_signal_connect (vm, plain[i], G_CALLBACK (handle_lifecycle), self);
  g_signal_connect (vm, "handle-shutdown", G_CALLBACK (handle_shutdown), self);
  g_signal_connect (vm, "handle-delete", G_CALLBACK (handle_delete), self);
}

static VmgrDBusVM *
add_vm (FakeVmgrd *self, guint id, const char *name, const char *state)
{
  g_autofree char *path = vm_path (id);
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
  fake_vmgrd_connect_vm_extras (self, vm);
  vmgr_dbus_object_skeleton_set_vm (object, vm);
  g_dbus_object_manager_server_export (self->objects, G_DBUS_OBJECT_SKELETON (object));
  g_hash_table_insert (self->vms, GUINT_TO_POINTER (id), g_object_ref (object));
  return vm;
}

static gboolean
handle_find_vm (VmgrDBusManager *manager, GDBusMethodInvocation *invocation,
                const char *name_or_id, gpointer data)
{
  FakeVmgrd *self = data;
  VmgrDBusVM *vm = fake_vmgrd_get_vm (self, name_or_id);
  g_autofree char *path = vm != NULL ? vm_path (vmgr_dbus_vm_get_id (vm)) : NULL;

  fake_vmgrd_record (self, invocation);
  if (vm == NULL)
    g_dbus_method_invocation_return_dbus_error (invocation, "org.vmgr.Error.NotFound",
                                                "There is no VM by that name or id.");
  else
    vmgr_dbus_manager_complete_find_vm (manager, invocation, path);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gint
compare_ids (gconstpointer a, gconstpointer b)
{
  return GPOINTER_TO_UINT (a) < GPOINTER_TO_UINT (b) ? -1 : GPOINTER_TO_UINT (a) > GPOINTER_TO_UINT (b);
}

static gboolean
handle_list_vms (VmgrDBusManager *manager, GDBusMethodInvocation *invocation, gpointer data)
{
  FakeVmgrd *self = data;
  g_autoptr(GList) ids = g_list_sort (g_hash_table_get_keys (self->vms), compare_ids);
  g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);

  fake_vmgrd_record (self, invocation);
  for (GList *l = ids; l != NULL; l = l->next)
    g_ptr_array_add (paths, vm_path (GPOINTER_TO_UINT (l->data)));
  g_ptr_array_add (paths, NULL);
  vmgr_dbus_manager_complete_list_vms (manager, invocation, (const char *const *) paths->pdata);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

char *
fake_vmgrd_provision (FakeVmgrd *self, const char *name, const char *template, gboolean start)
{
  VmgrDBusVM *vm;

  if (fake_vmgrd_get_vm (self, name) != NULL)
    return NULL;
  vm = add_vm (self, self->next_id++, name, "provisioning");
  vmgr_dbus_vm_set_template (vm, template);
  if (fake_vmgrd_is_job_template (template))
    {
      fake_vmgrd_start_job (self, vm, template, start);
      return vm_path (vmgr_dbus_vm_get_id (vm));
    }
  fake_vmgrd_change_state_later (self, vm, STATE_DELAY_MS, "stopped", "user");
  if (start)
    fake_vmgrd_change_state_later (self, vm, 2 * STATE_DELAY_MS, "running", "booted");
  return vm_path (vmgr_dbus_vm_get_id (vm));
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
  path = fake_vmgrd_provision (self, name, template, start);
  if (path == NULL)
    g_dbus_method_invocation_return_dbus_error (invocation, "org.vmgr.Error.AlreadyExists",
                                                "A VM by that name exists.");
  else
    vmgr_dbus_manager_complete_create_vm (manager, invocation, path);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

gboolean
fake_vmgrd_reply (FakeVmgrd *self, VmgrDBusManager *manager, GDBusMethodInvocation *invocation,
                  FakeManagerComplete complete, GVariant *value)
{
  fake_vmgrd_record (self, invocation);
  complete (manager, invocation, value);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

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

static void
export_manager (FakeVmgrd *self)
{
  g_autoptr(VmgrDBusManager) manager = vmgr_dbus_manager_skeleton_new ();
  vmgr_dbus_manager_set_version (manager, "0.0-fake");
  g_signal_connect (manager, "handle-find-vm", G_CALLBACK (handle_find_vm), self);
  g_signal_connect (manager, "handle-list-vms", G_CALLBACK (handle_list_vms), self);
  g_signal_connect (manager, "handle-create-vm", G_CALLBACK (handle_create_vm), self);
  g_signal_connect (manager, "handle-list-templates", G_CALLBACK (handle_list_templates), self);
  g_signal_connect (manager, "handle-list-plans", G_CALLBACK (handle_list_plans), self);
  g_signal_connect (manager, "handle-query-audit", G_CALLBACK (handle_query_audit), self);
  g_signal_connect (manager, "handle-add-template", G_CALLBACK (handle_name_and_dict), self);
  g_signal_connect (manager, "handle-set-plan", G_CALLBACK (handle_name_and_dict), self);
  g_signal_connect (manager, "handle-remove-template", G_CALLBACK (handle_name), self);
  g_signal_connect (manager, "handle-remove-plan", G_CALLBACK (handle_name), self);
  fake_vmgrd_connect_manager_extras (self, manager);
  self->manager_object = vmgr_dbus_object_skeleton_new ("/org/vmgr/Manager");
  vmgr_dbus_object_skeleton_set_manager (self->manager_object, manager);
  g_dbus_object_manager_server_export (self->objects,
                                       G_DBUS_OBJECT_SKELETON (self->manager_object));
}

static void
own_name (GDBusConnection *connection)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply =
    g_dbus_connection_call_sync (connection, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                 "org.freedesktop.DBus", "RequestName",
                                 g_variant_new ("(su)", "org.vmgr", 4 /* DO_NOT_QUEUE */),
                                 G_VARIANT_TYPE ("(u)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
  guint32 result = 0;

  g_assert_no_error (error);
  g_variant_get (reply, "(u)", &result);
  g_assert_cmpuint (result, ==, 1 /* PRIMARY_OWNER */);
}

FakeVmgrd *
fake_vmgrd_new (GDBusConnection *connection)
{
  FakeVmgrd *self = g_new0 (FakeVmgrd, 1);

  self->connection = g_object_ref (connection);
  self->objects = g_dbus_object_manager_server_new ("/org/vmgr");
  self->vms = g_hash_table_new_full (NULL, NULL, NULL, g_object_unref);
  self->next_id = 200;
  self->console_fd = -1;
  fake_vmgrd_jobs_init (self);
  export_manager (self);
  add_vm (self, 101, "web", "stopped");
  add_vm (self, 102, "db", "running");
  add_vm (self, 103, "secret", "stopped");
  add_vm (self, 104, "stuck", "stopped");
  fake_vmgrd_add_customers (self);
  g_dbus_object_manager_server_set_connection (self->objects, connection);
  own_name (connection);
  return self;
}

void
fake_vmgrd_free (FakeVmgrd *self)
{
  while (self->pending > 0)
    g_main_context_iteration (NULL, TRUE);
  fake_vmgrd_extras_clear (self);
  fake_vmgrd_jobs_clear (self);
  g_dbus_object_manager_server_set_connection (self->objects, NULL);
  g_clear_object (&self->manager_object);
  g_hash_table_unref (self->vms);
  g_object_unref (self->objects);
  g_object_unref (self->connection);
  g_clear_pointer (&self->last_args, g_variant_unref);
  g_free (self->last_method);
  g_free (self);
}
