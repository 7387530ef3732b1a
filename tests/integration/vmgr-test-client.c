#include "vmgr-test-client.h"

VmgrTestClient *
vmgr_test_client_new (void)
{
  VmgrTestClient *client = g_new0 (VmgrTestClient, 1);
  g_autoptr(GError) error = NULL;
  const char *address = g_getenv ("DBUS_SYSTEM_BUS_ADDRESS");

  g_assert_nonnull (address);
  client->bus = g_dbus_connection_new_for_address_sync (
    address,
    G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT | G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
    NULL, NULL, &error);
  g_assert_no_error (error);
  g_dbus_connection_set_exit_on_close (client->bus, FALSE);
  client->manager = vmgr_dbus_manager_proxy_new_sync (client->bus, G_DBUS_PROXY_FLAGS_NONE,
                                                      "org.vmgr", "/org/vmgr/Manager",
                                                      NULL, &error);
  g_assert_no_error (error);
  return client;
}

void
vmgr_test_client_free (VmgrTestClient *client)
{
  if (client == NULL)
    return;
  g_clear_object (&client->manager);
  if (client->bus != NULL)
    g_dbus_connection_close_sync (client->bus, NULL, NULL);
  g_clear_object (&client->bus);
  g_free (client);
}

VmgrDBusVM *
vmgr_test_client_vm (VmgrTestClient *client, const char *path)
{
  g_autoptr(GError) error = NULL;
  VmgrDBusVM *vm = vmgr_dbus_vm_proxy_new_sync (client->bus, G_DBUS_PROXY_FLAGS_NONE,
                                               "org.vmgr", path, NULL, &error);

  g_assert_no_error (error);
  return vm;
}

GVariant *
vmgr_test_call (VmgrTestClient *client, const char *path, const char *interface,
                const char *member, GVariant *args, GError **error)
{
  return g_dbus_connection_call_sync (client->bus, "org.vmgr", path, interface, member, args,
                                      NULL, G_DBUS_CALL_FLAGS_NONE, 20000, NULL, error);
}

char *
vmgr_test_name_owner (GDBusConnection *bus)
{
  g_autoptr(GVariant) reply =
    g_dbus_connection_call_sync (bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                 "org.freedesktop.DBus", "GetNameOwner",
                                 g_variant_new ("(s)", "org.vmgr"), G_VARIANT_TYPE ("(s)"),
                                 G_DBUS_CALL_FLAGS_NONE, 10000, NULL, NULL);
  char *owner = NULL;

  if (reply != NULL)
    g_variant_get (reply, "(s)", &owner);
  return owner;
}

char *
vmgr_test_create_vm (VmgrTestClient *client, const char *name, const char *template_name,
                     const char *plan, GVariant *options)
{
  g_autoptr(GError) error = NULL;
  char *path = NULL;

  if (options == NULL)
    options = g_variant_new ("a{sv}", NULL);
  vmgr_dbus_manager_call_create_vm_sync (client->manager, name, template_name, plan, options,
                                         &path, NULL, &error);
  g_assert_no_error (error);
  return path;
}

VmgrDBusVM *
vmgr_test_create_and_open (VmgrTestClient *client, const char *name, GVariant *options)
{
  g_autofree char *path = vmgr_test_create_vm (client, name, "debian-12", "basic", options);

  return vmgr_test_client_vm (client, path);
}

guint
vmgr_test_count_vms (VmgrTestClient *client)
{
  g_auto(GStrv) paths = NULL;
  g_autoptr(GError) error = NULL;

  vmgr_dbus_manager_call_list_vms_sync (client->manager, &paths, NULL, &error);
  g_assert_no_error (error);
  return g_strv_length (paths);
}

GVariant *
vmgr_test_read_vm_property (VmgrTestClient *client, const char *path, const char *name)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = vmgr_test_call (client, path, "org.freedesktop.DBus.Properties",
                                              "Get", g_variant_new ("(ss)", "org.vmgr.VM", name),
                                              &error);
  GVariant *value = NULL;

  g_assert_no_error (error);
  g_variant_get (reply, "(v)", &value);
  return value;
}

static gboolean
on_wait_timeout (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

gboolean
vmgr_test_wait (gboolean (*done) (gpointer data), gpointer data, guint timeout_ms)
{
  gboolean timed_out = FALSE;
  guint id = g_timeout_add (timeout_ms, on_wait_timeout, &timed_out);

  while (!done (data) && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (!timed_out)
    g_source_remove (id);
  return done (data);
}

typedef struct {
  VmgrDBusVM *vm;
  const char *(*get) (VmgrDBusVM *vm);
  const char *want;
} PropertyWait;

static gboolean
property_reached (gpointer data)
{
  PropertyWait *wait = data;

  return g_strcmp0 (wait->get (wait->vm), wait->want) == 0;
}

gboolean
vmgr_test_wait_state (VmgrDBusVM *vm, const char *state, guint timeout_ms)
{
  PropertyWait wait = { vm, vmgr_dbus_vm_get_state, state };

  return vmgr_test_wait (property_reached, &wait, timeout_ms);
}

gboolean
vmgr_test_wait_reason (VmgrDBusVM *vm, const char *reason, guint timeout_ms)
{
  PropertyWait wait = { vm, vmgr_dbus_vm_get_state_reason, reason };

  return vmgr_test_wait (property_reached, &wait, timeout_ms);
}

void
vmgr_test_assert_dbus_error_impl (const GError *error, const char *name, const char *fragment,
                                  const char *where)
{
  g_autofree char *remote = NULL;

  if (error == NULL)
    g_error ("%s: expected the error %s, the call succeeded", where, name);
  remote = g_dbus_error_get_remote_error (error);
  if (g_strcmp0 (remote, name) != 0)
    g_error ("%s: expected the error %s, got %s: %s", where, name, remote, error->message);
  if (fragment != NULL && strstr (error->message, fragment) == NULL)
    g_error ("%s: the message of %s lacks '%s': %s", where, name, fragment, error->message);
}

static void
on_state_changed (VmgrDBusVM *vm, const char *state, const char *reason, gpointer data)
{
  VmgrTestStateRecorder *recorder = data;

  g_ptr_array_add (recorder->events, g_strdup_printf ("%s/%s", state, reason));
}

VmgrTestStateRecorder *
vmgr_test_state_recorder_new (VmgrDBusVM *vm)
{
  VmgrTestStateRecorder *recorder = g_new0 (VmgrTestStateRecorder, 1);

  recorder->events = g_ptr_array_new_with_free_func (g_free);
  recorder->vm = g_object_ref (vm);
  recorder->handler = g_signal_connect (vm, "state-changed", G_CALLBACK (on_state_changed),
                                        recorder);
  return recorder;
}

void
vmgr_test_state_recorder_free (VmgrTestStateRecorder *recorder)
{
  if (recorder == NULL)
    return;
  g_signal_handler_disconnect (recorder->vm, recorder->handler);
  g_object_unref (recorder->vm);
  g_ptr_array_unref (recorder->events);
  g_free (recorder);
}

typedef struct {
  VmgrTestStateRecorder *recorder;
  char *expected;
} RecorderWait;

static gboolean
event_seen (gpointer data)
{
  RecorderWait *wait = data;

  for (guint i = 0; i < wait->recorder->events->len; i++)
    if (g_str_has_prefix (g_ptr_array_index (wait->recorder->events, i), wait->expected))
      return TRUE;
  return FALSE;
}

gboolean
vmgr_test_state_recorder_wait (VmgrTestStateRecorder *recorder, const char *state,
                               const char *reason, guint timeout_ms)
{
  g_autofree char *expected = g_strdup_printf ("%s/%s", state, reason != NULL ? reason : "");
  RecorderWait wait = { recorder, expected };

  return vmgr_test_wait (event_seen, &wait, timeout_ms);
}

guint32
vmgr_test_polkit_pid (GDBusConnection *bus)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply =
    g_dbus_connection_call_sync (bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                 "org.freedesktop.DBus", "GetConnectionUnixProcessID",
                                 g_variant_new ("(s)", "org.freedesktop.PolicyKit1"),
                                 G_VARIANT_TYPE ("(u)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL,
                                 &error);
  guint32 pid;

  g_assert_no_error (error);
  g_variant_get (reply, "(u)", &pid);
  return pid;
}

void
vmgr_test_start_and_wait (VmgrDBusVM *vm)
{
  g_autoptr(GError) error = NULL;

  vmgr_dbus_vm_call_start_sync (vm, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (vmgr_test_wait_state (vm, "running", 10000));
}

char *
vmgr_test_host_string (VmgrTestClient *client, const char *name, const char *property)
{
  g_autofree char *path = g_strconcat ("/org/vmgr/host/", name, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = vmgr_test_call (client, path, "org.freedesktop.DBus.Properties",
                                              "Get", g_variant_new ("(ss)", "org.vmgr.Host",
                                                                    property), &error);
  g_autoptr(GVariant) value = NULL;

  if (reply == NULL)
    {
      g_test_message ("host %s: %s", name, error->message);
      return NULL;
    }
  g_variant_get (reply, "(v)", &value);
  return g_variant_dup_string (value, NULL);
}

gboolean
vmgr_test_host_connected (VmgrTestClient *client, const char *name)
{
  g_autofree char *state = vmgr_test_host_string (client, name, "State");

  return g_strcmp0 (state, "connected") == 0;
}

typedef struct {
  VmgrTestClient *client;
  const char *name;
  const char *state;
} HostWait;

static gboolean
host_wait_done (gpointer data)
{
  HostWait *wait = data;
  g_autofree char *state = vmgr_test_host_string (wait->client, wait->name, "State");

  return g_strcmp0 (state, wait->state) == 0;
}

/* vmgr_test_wait () looks again on each event: a property read by a call
 * is no event, so a ticker makes one every 100 ms. */
static gboolean
tick (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

gboolean
vmgr_test_wait_host_state (VmgrTestClient *client, const char *name, const char *state,
                           guint timeout_ms)
{
  HostWait wait = { client, name, state };
  guint ticker = g_timeout_add (100, tick, NULL);
  gboolean reached = vmgr_test_wait (host_wait_done, &wait, timeout_ms);

  g_source_remove (ticker);
  return reached;
}
