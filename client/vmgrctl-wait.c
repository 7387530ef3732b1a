/* Waiting for a VM's state, driven by signals on the main context. */
#include "vmgrctl-wait.h"

#include "vmgrctl-context.h"
#include "vmgrctl-errors.h"

struct _VmgrctlWait {
  VmgrDBusVM *vm;
  VmgrDBusManager *manager;
  VmgrctlWaitKind kind;
  char *state;
  gboolean changed;  /* a state change was announced */
  gboolean removed;
  gboolean done;
  GError *error;     /* why the wait ended early */
  gulong handlers[3];
  guint removed_subscription;
  guint timeout_id;
};

static void
finish (VmgrctlWait *self, GError *error)
{
  if (self->done)
    {
      g_clear_error (&error);
      return;
    }
  self->done = TRUE;
  self->error = error;
}

static gboolean
condition_holds (VmgrctlWait *self)
{
  const char *state = vmgr_dbus_vm_get_state (self->vm);

  switch (self->kind)
    {
    case VMGRCTL_WAIT_FOR_REMOVAL:
      return self->removed;
    case VMGRCTL_WAIT_FOR_LEAVING:
      return g_strcmp0 (state, self->state) != 0;
    case VMGRCTL_WAIT_FOR_NEW_STATE:
      if (!self->changed)
        return FALSE;
      G_GNUC_FALLTHROUGH;
    case VMGRCTL_WAIT_FOR_STATE:
      return g_strcmp0 (state, self->state) == 0;
    }
  g_assert_not_reached ();
}

static void
check (VmgrctlWait *self)
{
  const char *state = vmgr_dbus_vm_get_state (self->vm);
  g_autofree char *owner = g_dbus_proxy_get_name_owner (G_DBUS_PROXY (self->vm));

  /* When vmgrd leaves, the proxy drops its properties (announcing that
   * before the new owner): no State is not a state left. */
  if (owner == NULL)
    finish (self, g_error_new_literal (VMGRCTL_ERROR, VMGRCTL_EXIT_NO_BUS,
                                       "vmgrd left the bus"));
  else if (condition_holds (self))
    finish (self, NULL);
  else if (self->kind != VMGRCTL_WAIT_FOR_REMOVAL && g_strcmp0 (state, "crashed") == 0)
    finish (self, g_error_new (VMGRCTL_ERROR, VMGRCTL_EXIT_FAILURE, "the VM crashed (%s)",
                               vmgr_dbus_vm_get_state_reason (self->vm)));
}

static void
on_properties_changed (GDBusProxy *proxy, GVariant *changed, GStrv invalidated, gpointer data)
{
  VmgrctlWait *self = data;
  g_autoptr(GVariant) state = g_variant_lookup_value (changed, "State", NULL);

  if (state != NULL)
    self->changed = TRUE;
  if (self->kind == VMGRCTL_WAIT_FOR_REMOVAL)
    self->removed = vmgrctl_vm_is_gone (self->manager, self->vm);
  check (self);
}

static void
on_state_changed (VmgrDBusVM *vm, const char *state, const char *reason, gpointer data)
{
  VmgrctlWait *self = data;

  self->changed = TRUE;
  check (self);
}

static void
on_name_owner (GObject *proxy, GParamSpec *pspec, gpointer data)
{
  VmgrctlWait *self = data;
  g_autofree char *owner = g_dbus_proxy_get_name_owner (G_DBUS_PROXY (proxy));

  if (owner == NULL)
    finish (self, g_error_new_literal (VMGRCTL_ERROR, VMGRCTL_EXIT_NO_BUS,
                                       "vmgrd left the bus"));
}

static void
on_interfaces_removed (GDBusConnection *connection, const char *sender, const char *path,
                       const char *interface, const char *signal, GVariant *parameters,
                       gpointer data)
{
  VmgrctlWait *self = data;

  if (!vmgrctl_interfaces_removed_match (parameters,
                                         g_dbus_proxy_get_object_path (G_DBUS_PROXY (self->vm)),
                                         "org.vmgr.VM"))
    return;
  self->removed = TRUE;
  if (self->kind != VMGRCTL_WAIT_FOR_REMOVAL)
    finish (self, g_error_new_literal (VMGRCTL_ERROR, VMGRCTL_EXIT_NOT_FOUND,
                                       "the VM was deleted"));
  check (self);
}

VmgrctlWait *
vmgrctl_wait_new (VmgrDBusVM *vm, VmgrDBusManager *manager, VmgrctlWaitKind kind,
                  const char *state)
{
  VmgrctlWait *self = g_new0 (VmgrctlWait, 1);

  self->vm = g_object_ref (vm);
  self->manager = manager != NULL ? g_object_ref (manager) : NULL;
  self->kind = kind;
  self->state = g_strdup (state);
  self->handlers[0] = g_signal_connect (vm, "g-properties-changed",
                                        G_CALLBACK (on_properties_changed), self);
  self->handlers[1] = g_signal_connect (vm, "state-changed", G_CALLBACK (on_state_changed), self);
  self->handlers[2] = g_signal_connect (vm, "notify::g-name-owner", G_CALLBACK (on_name_owner), self);
  self->removed_subscription = vmgrctl_subscribe_interfaces_removed (G_DBUS_PROXY (vm),
                                                                     on_interfaces_removed,
                                                                     self);
  return self;
}

void
vmgrctl_wait_free (VmgrctlWait *self)
{
  for (gsize i = 0; i < G_N_ELEMENTS (self->handlers); i++)
    g_signal_handler_disconnect (self->vm, self->handlers[i]);
  if (self->removed_subscription != 0)
    g_dbus_connection_signal_unsubscribe (g_dbus_proxy_get_connection (G_DBUS_PROXY (self->vm)),
                                          self->removed_subscription);
  g_clear_error (&self->error);
  g_free (self->state);
  g_clear_object (&self->manager);
  g_object_unref (self->vm);
  g_free (self);
}

static gboolean
on_timeout (gpointer data)
{
  VmgrctlWait *self = data;
  const char *state = vmgr_dbus_vm_get_state (self->vm);

  self->timeout_id = 0;
  if (self->kind == VMGRCTL_WAIT_FOR_REMOVAL)
    finish (self, g_error_new_literal (VMGRCTL_ERROR, VMGRCTL_EXIT_TIMEOUT,
                                       "timed out waiting for the VM to go away"));
  else
    finish (self, g_error_new (VMGRCTL_ERROR, VMGRCTL_EXIT_TIMEOUT,
                               "timed out waiting for %sstate '%s' (the VM is '%s')",
                               self->kind == VMGRCTL_WAIT_FOR_LEAVING ? "a state other than " : "",
                               self->state, state != NULL ? state : "unknown"));
  return G_SOURCE_REMOVE;
}

gboolean
vmgrctl_wait_run (VmgrctlWait *self, guint timeout_s, GError **error)
{
  if (self->kind == VMGRCTL_WAIT_FOR_REMOVAL)
    self->removed = vmgrctl_vm_is_gone (self->manager, self->vm);
  check (self);
  if (timeout_s > 0 && !self->done)
    self->timeout_id = g_timeout_add_seconds (timeout_s, on_timeout, self);
  while (!self->done)
    g_main_context_iteration (NULL, TRUE);
  g_clear_handle_id (&self->timeout_id, g_source_remove);
  if (self->error == NULL)
    return TRUE;
  g_propagate_error (error, g_steal_pointer (&self->error));
  return FALSE;
}

gboolean
vmgrctl_vm_is_gone (VmgrDBusManager *manager, VmgrDBusVM *vm)
{
  g_autofree char *id = g_strdup_printf ("%u", vmgr_dbus_vm_get_id (vm));
  g_autofree char *path = NULL;
  g_autoptr(GError) error = NULL;

  if (vmgr_dbus_manager_call_find_vm_sync (manager, id, &path, NULL, &error))
    return g_strcmp0 (path, g_dbus_proxy_get_object_path (G_DBUS_PROXY (vm))) != 0;
  return vmgrctl_exit_code_for_error (error) == VMGRCTL_EXIT_NOT_FOUND;
}

guint
vmgrctl_subscribe_interfaces_removed (GDBusProxy *proxy, GDBusSignalCallback callback,
                                      gpointer data)
{
  g_autofree char *owner = g_dbus_proxy_get_name_owner (proxy);

  return g_dbus_connection_signal_subscribe (g_dbus_proxy_get_connection (proxy),
                                             owner != NULL ? owner : g_dbus_proxy_get_name (proxy),
                                             "org.freedesktop.DBus.ObjectManager",
                                             "InterfacesRemoved", VMGRCTL_OBJECT_MANAGER_PATH,
                                             NULL, G_DBUS_SIGNAL_FLAGS_NONE, callback, data, NULL);
}

gboolean
vmgrctl_interfaces_removed_match (GVariant *parameters, const char *path, const char *interface)
{
  const char *removed_path;
  g_autofree const char **interfaces = NULL;

  if (!g_variant_is_of_type (parameters, G_VARIANT_TYPE ("(oas)")))
    return FALSE;
  g_variant_get (parameters, "(&o^a&s)", &removed_path, &interfaces);
  return g_str_equal (removed_path, path) && g_strv_contains (interfaces, interface);
}
