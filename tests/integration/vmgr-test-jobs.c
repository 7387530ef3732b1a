/* Following org.vmgr.Job objects from a test (see vmgr-test-jobs.h). */
#include "vmgr-test-jobs.h"

struct _VmgrTestJobWatch {
  GDBusConnection *bus;
  guint completed_subscription;
  guint added_subscription;
  GHashTable *completed;    /* job path -> "ok" or the error */
  GHashTable *announced;    /* job path -> "OPERATION TARGET" */
};

static void
on_added (GDBusConnection *bus, const char *sender, const char *path, const char *iface,
          const char *member, GVariant *parameters, gpointer user_data)
{
  VmgrTestJobWatch *watch = user_data;
  const char *object;
  g_autoptr(GVariant) interfaces = NULL;
  g_autoptr(GVariant) job = NULL;
  const char *target;
  const char *operation;

  g_variant_get (parameters, "(&o@a{sa{sv}})", &object, &interfaces);
  job = g_variant_lookup_value (interfaces, "org.vmgr.Job", G_VARIANT_TYPE_VARDICT);
  if (job != NULL && g_variant_lookup (job, "Target", "&o", &target) &&
      g_variant_lookup (job, "Operation", "&s", &operation))
    g_hash_table_insert (watch->announced, g_strdup (object),
                         g_strdup_printf ("%s %s", operation, target));
}

static void
on_completed (GDBusConnection *bus, const char *sender, const char *path, const char *iface,
              const char *member, GVariant *parameters, gpointer user_data)
{
  VmgrTestJobWatch *watch = user_data;
  gboolean success;
  const char *message;

  g_variant_get (parameters, "(b&s)", &success, &message);
  g_hash_table_insert (watch->completed, g_strdup (path), g_strdup (success ? "ok" : message));
}

VmgrTestJobWatch *
vmgr_test_job_watch_new (VmgrTestClient *client)
{
  VmgrTestJobWatch *watch = g_new0 (VmgrTestJobWatch, 1);

  watch->bus = g_object_ref (client->bus);
  watch->completed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  watch->announced = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  watch->added_subscription =
    g_dbus_connection_signal_subscribe (client->bus, NULL, "org.freedesktop.DBus.ObjectManager",
                                        "InterfacesAdded", "/org/vmgr", NULL,
                                        G_DBUS_SIGNAL_FLAGS_NONE, on_added, watch, NULL);
  watch->completed_subscription =
    g_dbus_connection_signal_subscribe (client->bus, NULL, "org.vmgr.Job", "Completed", NULL,
                                        NULL, G_DBUS_SIGNAL_FLAGS_NONE, on_completed, watch,
                                        NULL);
  return watch;
}

void
vmgr_test_job_watch_free (VmgrTestJobWatch *watch)
{
  if (watch == NULL)
    return;
  g_dbus_connection_signal_unsubscribe (watch->bus, watch->completed_subscription);
  g_dbus_connection_signal_unsubscribe (watch->bus, watch->added_subscription);
  g_object_unref (watch->bus);
  g_hash_table_unref (watch->completed);
  g_hash_table_unref (watch->announced);
  g_free (watch);
}

typedef struct {
  VmgrTestJobWatch *watch;
  const char *path;
} Awaited;

static gboolean
job_done (gpointer data)
{
  Awaited *awaited = data;

  return g_hash_table_contains (awaited->watch->completed, awaited->path);
}

const char *
vmgr_test_job_watch_wait (VmgrTestJobWatch *watch, const char *path, guint timeout_ms)
{
  Awaited awaited = { watch, path };

  g_assert_true (vmgr_test_wait (job_done, &awaited, timeout_ms));
  return g_hash_table_lookup (watch->completed, path);
}

const char *
vmgr_test_job_watch_announced (VmgrTestJobWatch *watch, const char *path)
{
  return g_hash_table_lookup (watch->announced, path);
}
