/* A fake vmgrd for vmgrctl's tests (see fake-vmgrd.h): the Manager object,
 * the bus name, and what the other parts share. */
#include "fake-vmgrd.h"

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

gboolean
fake_vmgrd_reply (FakeVmgrd *self, VmgrDBusManager *manager, GDBusMethodInvocation *invocation,
                  FakeManagerComplete complete, GVariant *value)
{
  fake_vmgrd_record (self, invocation);
  complete (manager, invocation, value);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gint
compare_uints (gconstpointer a, gconstpointer b)
{
  return GPOINTER_TO_UINT (a) < GPOINTER_TO_UINT (b) ? -1 : GPOINTER_TO_UINT (a) > GPOINTER_TO_UINT (b);
}

GStrv
fake_vmgrd_sorted_paths (GHashTable *table, char *(*path_of) (guint key))
{
  g_autoptr(GList) keys = g_list_sort (g_hash_table_get_keys (table), compare_uints);
  GPtrArray *paths = g_ptr_array_new ();

  for (GList *l = keys; l != NULL; l = l->next)
    g_ptr_array_add (paths, path_of (GPOINTER_TO_UINT (l->data)));
  g_ptr_array_add (paths, NULL);
  return (GStrv) g_ptr_array_free (paths, FALSE);
}

static void
export_manager (FakeVmgrd *self)
{
  g_autoptr(VmgrDBusManager) manager = vmgr_dbus_manager_skeleton_new ();

  vmgr_dbus_manager_set_version (manager, "0.0-fake");
  fake_vmgrd_vms_connect_manager (self, manager);
  fake_vmgrd_admin_connect_manager (self, manager);
  fake_vmgrd_host_connect_manager (self, manager);
  fake_vmgrd_customers_connect_manager (self, manager);
  fake_vmgrd_backups_connect_manager (self, manager);
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
  self->console_fd = -1;
  fake_vmgrd_jobs_init (self);
  export_manager (self);
  fake_vmgrd_add_vms (self);
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
  fake_vmgrd_console_clear (self);
  fake_vmgrd_customers_clear (self);
  fake_vmgrd_jobs_clear (self);
  fake_vmgrd_backups_clear (self);
  g_dbus_object_manager_server_set_connection (self->objects, NULL);
  g_clear_object (&self->manager_object);
  fake_vmgrd_vms_clear (self);
  g_object_unref (self->objects);
  g_object_unref (self->connection);
  g_clear_pointer (&self->last_args, g_variant_unref);
  g_free (self->last_method);
  g_free (self);
}
