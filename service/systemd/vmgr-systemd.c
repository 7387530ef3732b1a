#include "vmgr-systemd.h"

#include <string.h>

#define MANAGER_PATH "/org/freedesktop/systemd1"
#define MANAGER_IFACE "org.freedesktop.systemd1.Manager"
/* Bound on one call to systemd's manager. */
#define CALL_TIMEOUT_MS 25000

struct _VmgrSystemd {
  GObject parent_instance;
  GDBusConnection *connection;
  guint watch_id;
  guint job_removed_id;
  gboolean available;
  GCancellable *cancellable;   /* cancelled when systemd leaves or at dispose */
  GHashTable *jobs;            /* job path -> Job */
};

G_DEFINE_FINAL_TYPE (VmgrSystemd, vmgr_systemd, G_TYPE_OBJECT)

enum {
  SIGNAL_AVAILABILITY_CHANGED,
  SIGNAL_JOB_FINISHED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

typedef struct {
  char *unit;
  const char *verb;            /* "start" or "stop" */
} Job;

static void
job_free (Job *job)
{
  g_free (job->unit);
  g_free (job);
}

/* ---- Names ------------------------------------------------------------- */

static gboolean
is_plain_char (char c, gboolean first)
{
  if (c == '.')
    return !first;
  return g_ascii_isalnum (c) || c == ':' || c == '_';
}

char *
vmgr_systemd_escape (const char *text)
{
  GString *escaped = g_string_sized_new (strlen (text));

  for (const char *p = text; *p != '\0'; p++)
    {
      if (*p == '/')
        g_string_append_c (escaped, '-');
      else if (is_plain_char (*p, p == text))
        g_string_append_c (escaped, *p);
      else
        g_string_append_printf (escaped, "\\x%02x", (guint) (guchar) *p);
    }
  return g_string_free (escaped, FALSE);
}

char *
vmgr_systemd_instance_unit (const char *prefix, const char *instance, const char *suffix)
{
  g_autofree char *escaped = vmgr_systemd_escape (instance);

  return g_strdup_printf ("%s@%s.%s", prefix, escaped, suffix);
}

gboolean
vmgr_systemd_state_is_active (const char *active_state)
{
  return g_strcmp0 (active_state, "active") == 0 ||
         g_strcmp0 (active_state, "activating") == 0 ||
         g_strcmp0 (active_state, "reloading") == 0;
}

/* ---- Jobs -------------------------------------------------------------- */

static void
finish_job (VmgrSystemd *self, const char *unit, const char *verb, const char *result)
{
  if (g_str_equal (result, "done"))
    g_debug ("systemd: %s %s: done", verb, unit);
  else
    g_message ("systemd: %s %s: %s", verb, unit, result);
  g_signal_emit (self, signals[SIGNAL_JOB_FINISHED], 0, unit, verb, result);
}

static void
on_job_removed (GDBusConnection *connection, const char *sender, const char *path,
                const char *interface, const char *member, GVariant *parameters,
                gpointer user_data)
{
  VmgrSystemd *self = user_data;
  const char *job_path, *unit, *result;
  guint32 id;
  Job *job;

  if (!g_variant_is_of_type (parameters, G_VARIANT_TYPE ("(uoss)")))
    return;
  g_variant_get (parameters, "(u&o&s&s)", &id, &job_path, &unit, &result);
  job = g_hash_table_lookup (self->jobs, job_path);
  if (job == NULL)
    return;
  finish_job (self, job->unit, job->verb, result);
  g_hash_table_remove (self->jobs, job_path);
}

/* A StartUnit or StopUnit on its way. It holds no reference on the
 * client: dispose cancels the call, and a cancelled call touches nothing. */
typedef struct {
  VmgrSystemd *self;
  char *unit;
  const char *verb;
} Request;

static void
request_free (Request *request)
{
  g_free (request->unit);
  g_free (request);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Request, request_free)

static void
on_job_queued (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(Request) request = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source),
                                                             result, &error);
  Job *job;
  const char *job_path;

  if (reply == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      g_dbus_error_strip_remote_error (error);
      g_warning ("systemd: cannot %s %s: %s", request->verb, request->unit, error->message);
      g_signal_emit (request->self, signals[SIGNAL_JOB_FINISHED], 0, request->unit,
                     request->verb, "error");
      return;
    }
  g_variant_get (reply, "(&o)", &job_path);
  job = g_new0 (Job, 1);
  job->unit = g_steal_pointer (&request->unit);
  job->verb = request->verb;
  g_hash_table_replace (request->self->jobs, g_strdup (job_path), job);
}

static void
queue_job (VmgrSystemd *self, const char *method, const char *verb, const char *unit)
{
  Request *request;

  if (!self->available)
    return;
  request = g_new0 (Request, 1);
  request->self = self;
  request->unit = g_strdup (unit);
  request->verb = verb;
  g_debug ("systemd: %s %s", verb, unit);
  g_dbus_connection_call (self->connection, VMGR_SYSTEMD_BUS_NAME, MANAGER_PATH,
                          MANAGER_IFACE, method, g_variant_new ("(ss)", unit, "replace"),
                          G_VARIANT_TYPE ("(o)"), G_DBUS_CALL_FLAGS_NO_AUTO_START,
                          CALL_TIMEOUT_MS, self->cancellable, on_job_queued, request);
}

void
vmgr_systemd_start_unit (VmgrSystemd *self, const char *unit)
{
  queue_job (self, "StartUnit", "start", unit);
}

void
vmgr_systemd_stop_unit (VmgrSystemd *self, const char *unit)
{
  queue_job (self, "StopUnit", "stop", unit);
}

/* ---- Listing ----------------------------------------------------------- */

static void
on_units_listed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  g_autoptr(GVariant) reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source),
                                                             result, &error);
  g_autoptr(GVariantIter) iter = NULL;
  GHashTable *units;
  const char *name, *active_state;

  if (reply == NULL)
    {
      g_dbus_error_strip_remote_error (error);
      g_task_return_error (task, error);
      return;
    }
  units = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_variant_get (reply, "(a(ssssssouso))", &iter);
  while (g_variant_iter_next (iter, "(&s&s&s&s&s&s&ou&s&o)", &name, NULL, NULL, &active_state,
                              NULL, NULL, NULL, NULL, NULL, NULL))
    g_hash_table_replace (units, g_strdup (name), g_strdup (active_state));
  g_task_return_pointer (task, units, (GDestroyNotify) g_hash_table_unref);
}

void
vmgr_systemd_list_units_async (VmgrSystemd *self, const char * const *patterns,
                               GCancellable *cancellable, GAsyncReadyCallback callback,
                               gpointer user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  const char * const no_states[] = { NULL };

  g_dbus_connection_call (self->connection, VMGR_SYSTEMD_BUS_NAME, MANAGER_PATH,
                          MANAGER_IFACE, "ListUnitsByPatterns",
                          g_variant_new ("(^as^as)", no_states, patterns),
                          G_VARIANT_TYPE ("(a(ssssssouso))"), G_DBUS_CALL_FLAGS_NO_AUTO_START,
                          CALL_TIMEOUT_MS, cancellable, on_units_listed, task);
}

GHashTable *
vmgr_systemd_list_units_finish (VmgrSystemd *self, GAsyncResult *result, GError **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---- Presence on the bus ----------------------------------------------- */

gboolean
vmgr_systemd_is_available (VmgrSystemd *self)
{
  return self->available;
}

static void
set_available (VmgrSystemd *self, gboolean available)
{
  self->available = available;
  g_signal_emit (self, signals[SIGNAL_AVAILABILITY_CHANGED], 0, available);
}

static void
on_subscribed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  VmgrSystemd *self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source),
                                                             result, &error);

  /* Cancelled when systemd left the bus or the client is disposed. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  /* Without the subscription jobs still run; only their ends go unseen. */
  if (reply == NULL)
    g_message ("systemd: Subscribe failed (job results will not be logged): %s",
               error->message);
  set_available (self, TRUE);
}

static void
on_name_appeared (GDBusConnection *connection, const char *name, const char *owner,
                  gpointer user_data)
{
  VmgrSystemd *self = user_data;

  g_debug ("systemd: %s is on the bus (%s)", name, owner);
  g_dbus_connection_call (connection, VMGR_SYSTEMD_BUS_NAME, MANAGER_PATH, MANAGER_IFACE,
                          "Subscribe", NULL, NULL, G_DBUS_CALL_FLAGS_NO_AUTO_START,
                          CALL_TIMEOUT_MS, self->cancellable, on_subscribed, self);
}

static void
on_name_vanished (GDBusConnection *connection, const char *name, gpointer user_data)
{
  VmgrSystemd *self = user_data;

  /* Jobs of a manager that left will never be reported. */
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  g_hash_table_remove_all (self->jobs);
  set_available (self, FALSE);
}

/* ---- Object ------------------------------------------------------------ */

static void
vmgr_systemd_dispose (GObject *object)
{
  VmgrSystemd *self = VMGR_SYSTEMD (object);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  if (self->watch_id != 0)
    g_bus_unwatch_name (self->watch_id);
  self->watch_id = 0;
  if (self->job_removed_id != 0)
    g_dbus_connection_signal_unsubscribe (self->connection, self->job_removed_id);
  self->job_removed_id = 0;
  g_clear_object (&self->cancellable);
  g_clear_object (&self->connection);
  G_OBJECT_CLASS (vmgr_systemd_parent_class)->dispose (object);
}

static void
vmgr_systemd_finalize (GObject *object)
{
  g_hash_table_unref (VMGR_SYSTEMD (object)->jobs);
  G_OBJECT_CLASS (vmgr_systemd_parent_class)->finalize (object);
}

static void
vmgr_systemd_class_init (VmgrSystemdClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = vmgr_systemd_dispose;
  object_class->finalize = vmgr_systemd_finalize;
  signals[SIGNAL_AVAILABILITY_CHANGED] =
    g_signal_new ("availability-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_BOOLEAN);
  signals[SIGNAL_JOB_FINISHED] =
    g_signal_new ("job-finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 3, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_STRING);
}

static void
vmgr_systemd_init (VmgrSystemd *self)
{
  self->jobs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                      (GDestroyNotify) job_free);
  self->cancellable = g_cancellable_new ();
}

VmgrSystemd *
vmgr_systemd_new (GDBusConnection *connection)
{
  VmgrSystemd *self = g_object_new (VMGR_TYPE_SYSTEMD, NULL);

  self->connection = g_object_ref (connection);
  self->job_removed_id =
    g_dbus_connection_signal_subscribe (connection, VMGR_SYSTEMD_BUS_NAME, MANAGER_IFACE,
                                        "JobRemoved", MANAGER_PATH, NULL,
                                        G_DBUS_SIGNAL_FLAGS_NONE, on_job_removed, self, NULL);
  self->watch_id = g_bus_watch_name_on_connection (connection, VMGR_SYSTEMD_BUS_NAME,
                                                   G_BUS_NAME_WATCHER_FLAGS_NONE,
                                                   on_name_appeared, on_name_vanished,
                                                   self, NULL);
  return self;
}
