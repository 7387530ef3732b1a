/* The libvirt backend: one connection at a time (reopened by
 * vmgr-backend-connection.c when libvirtd goes away), lifecycle events on
 * the GLib main loop (libvirt-glib's event loop), and every other libvirt
 * call in a GTask worker thread. libvirt connections are thread-safe; each
 * task takes a reference on the connection it uses, so a connection that
 * drops outlives every call still using it. */
#include "vmgr-backend-private.h"

#include <libvirt-glib/libvirt-glib.h>

#include "vmgr-error.h"

struct _VmgrBackend {
  GObject parent_instance;

  char *uri;
  char *scheme;
  VmgrBackendLink *link;    /* the connection (vmgr-backend-connection.c) */
  GHashTable *consoles;     /* see vmgr_backend_get_consoles () */
  VmgrBackendPool pool;     /* vmgr-backend-volumes.c */
};

G_DEFINE_FINAL_TYPE (VmgrBackend, vmgr_backend, G_TYPE_OBJECT)

enum {
  SIGNAL_DOMAIN_STATE_CHANGED,
  SIGNAL_DOMAIN_UNDEFINED,
  SIGNAL_CONNECTION_LOST,
  SIGNAL_CONNECTION_RESTORED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* ---- capabilities ----
 *
 * What each driver really does on these machines (see environment.md);
 * anything missing is refused with NOT_SUPPORTED by the layers above.
 *
 * test: memory and soft limit live (SetMemoryFlags, SetMemoryParameters),
 *   min_guarantee only in the definition (no live parameter), vcpus
 *   (SetVcpusFlags), weight is its only scheduler parameter (so no cpu-limit:
 *   no period/quota), autostart (in memory), snapshots, managed save (a
 *   start after it reports "booted"), CPU and memory from GetInfo/MemoryStats.
 *   No disks to quota and no console.
 * lxc: live memtune, cpu_shares, vcpu_period/vcpu_quota reach the cgroups;
 *   console; memory, CPU and interface stats. No SetVcpusFlags, no
 *   managed save, no GetAllDomainStats (sampled per domain). A container
 *   with a root image (vmgr-image.h) has a disk quota (the image's size,
 *   grown online) and file-level snapshots (vmgr-lxc-snapshots.c); one
 *   with a root directory (made before images) refuses both.
 * qemu (TCG here): live memory (balloon), soft limit, vcpus, shares,
 *   period/quota, snapshots, managed save, console, all stats, disk quota
 *   (block resize).
 *   No hard_limit (start fails without CAP_SYS_RESOURCE) and no
 *   min_guarantee (refused at define), so neither memory-limit nor
 *   memory-guarantee. */
/* A capability means vmgr's API does it: "snapshots" where libvirt's
 * snapshot API works or vmgr copies an LXC root image (VM.CreateSnapshot),
 * "disk-quota" where the disk hard limit is the size of the VM's disk or
 * root image, and "live-memory" only where a running VM's memory size
 * can change both ways (the test driver and QEMU only shrink it live: a
 * larger size is stored and defined for the next start). */
static const char *const test_capabilities[] = {
  "memory-limit", "memory-soft-limit", "memory-guarantee",
  "vcpus", "cpu-weight", "autostart", "stats-cpu", "stats-memory", "save", "snapshots",
  NULL
};

static const char *const lxc_capabilities[] = {
  "live-memory", "memory-limit", "memory-soft-limit", "memory-guarantee",
  "cpu-weight", "cpu-limit", "autostart", "console", "stats-cpu",
  "stats-memory", "stats-network", "stats-disk", "disk-quota", "snapshots",
  NULL
};

static const char *const qemu_capabilities[] = {
  "memory-soft-limit", "vcpus", "cpu-weight", "cpu-limit",
  "autostart", "console", "stats-cpu", "stats-memory",
  "stats-disk", "stats-network", "disk-quota", "save", "snapshots",
  NULL
};

/* Drivers vmgr does not know: claim nothing. */
static const char *const no_capabilities[] = { NULL };

/* ---- states and reasons ---- */

static const char *
reason_from_table (const char *const *table, gsize n_entries, int index)
{
  if (index < 0 || (gsize) index >= n_entries || table[index] == NULL)
    return "unknown";
  return table[index];
}

#define REASON(table, index) reason_from_table ((table), G_N_ELEMENTS (table), (index))

/* Lifecycle event details. */
static const char *const started_reasons[] = {
  [VIR_DOMAIN_EVENT_STARTED_BOOTED] = "booted",
  [VIR_DOMAIN_EVENT_STARTED_MIGRATED] = "migrated",
  [VIR_DOMAIN_EVENT_STARTED_RESTORED] = "restored",
  [VIR_DOMAIN_EVENT_STARTED_FROM_SNAPSHOT] = "from-snapshot",
  [VIR_DOMAIN_EVENT_STARTED_WAKEUP] = "wakeup",
};

static const char *const suspended_reasons[] = {
  [VIR_DOMAIN_EVENT_SUSPENDED_PAUSED] = "user",
  [VIR_DOMAIN_EVENT_SUSPENDED_MIGRATED] = "migrated",
  [VIR_DOMAIN_EVENT_SUSPENDED_IOERROR] = "io-error",
  [VIR_DOMAIN_EVENT_SUSPENDED_WATCHDOG] = "watchdog",
  [VIR_DOMAIN_EVENT_SUSPENDED_RESTORED] = "restored",
  [VIR_DOMAIN_EVENT_SUSPENDED_FROM_SNAPSHOT] = "from-snapshot",
  [VIR_DOMAIN_EVENT_SUSPENDED_API_ERROR] = "api-error",
  [VIR_DOMAIN_EVENT_SUSPENDED_POSTCOPY] = "migrated",
  [VIR_DOMAIN_EVENT_SUSPENDED_POSTCOPY_FAILED] = "migrated",
};

static const char *const resumed_reasons[] = {
  [VIR_DOMAIN_EVENT_RESUMED_UNPAUSED] = "user",
  [VIR_DOMAIN_EVENT_RESUMED_MIGRATED] = "migrated",
  [VIR_DOMAIN_EVENT_RESUMED_FROM_SNAPSHOT] = "from-snapshot",
  [VIR_DOMAIN_EVENT_RESUMED_POSTCOPY] = "migrated",
};

static const char *const stopped_reasons[] = {
  [VIR_DOMAIN_EVENT_STOPPED_SHUTDOWN] = "guest-shutdown",
  [VIR_DOMAIN_EVENT_STOPPED_DESTROYED] = "destroyed",
  [VIR_DOMAIN_EVENT_STOPPED_CRASHED] = "crashed",
  [VIR_DOMAIN_EVENT_STOPPED_MIGRATED] = "migrated",
  [VIR_DOMAIN_EVENT_STOPPED_SAVED] = "saved",
  [VIR_DOMAIN_EVENT_STOPPED_FAILED] = "failed",
  [VIR_DOMAIN_EVENT_STOPPED_FROM_SNAPSHOT] = "from-snapshot",
};

static const char *const shutdown_reasons[] = {
  [VIR_DOMAIN_EVENT_SHUTDOWN_FINISHED] = "guest-shutdown",
  [VIR_DOMAIN_EVENT_SHUTDOWN_GUEST] = "guest-shutdown",
  [VIR_DOMAIN_EVENT_SHUTDOWN_HOST] = "user",
};

/* virDomainGetState reasons. */
static const char *const running_state_reasons[] = {
  [VIR_DOMAIN_RUNNING_BOOTED] = "booted",
  [VIR_DOMAIN_RUNNING_MIGRATED] = "migrated",
  [VIR_DOMAIN_RUNNING_RESTORED] = "restored",
  [VIR_DOMAIN_RUNNING_FROM_SNAPSHOT] = "from-snapshot",
  [VIR_DOMAIN_RUNNING_UNPAUSED] = "user",
  [VIR_DOMAIN_RUNNING_MIGRATION_CANCELED] = "migrated",
  [VIR_DOMAIN_RUNNING_SAVE_CANCELED] = "restored",
  [VIR_DOMAIN_RUNNING_WAKEUP] = "wakeup",
  [VIR_DOMAIN_RUNNING_CRASHED] = "crashed",
  [VIR_DOMAIN_RUNNING_POSTCOPY] = "migrated",
};

static const char *const paused_state_reasons[] = {
  [VIR_DOMAIN_PAUSED_USER] = "user",
  [VIR_DOMAIN_PAUSED_MIGRATION] = "migrated",
  [VIR_DOMAIN_PAUSED_SAVE] = "saved",
  [VIR_DOMAIN_PAUSED_DUMP] = "dump",
  [VIR_DOMAIN_PAUSED_IOERROR] = "io-error",
  [VIR_DOMAIN_PAUSED_WATCHDOG] = "watchdog",
  [VIR_DOMAIN_PAUSED_FROM_SNAPSHOT] = "from-snapshot",
  [VIR_DOMAIN_PAUSED_SHUTTING_DOWN] = "guest-shutdown",
  [VIR_DOMAIN_PAUSED_SNAPSHOT] = "snapshot",
  [VIR_DOMAIN_PAUSED_CRASHED] = "crashed",
  [VIR_DOMAIN_PAUSED_STARTING_UP] = "booted",
  [VIR_DOMAIN_PAUSED_POSTCOPY] = "migrated",
  [VIR_DOMAIN_PAUSED_POSTCOPY_FAILED] = "migrated",
};

static const char *const shutdown_state_reasons[] = {
  [VIR_DOMAIN_SHUTDOWN_USER] = "user",
};

static const char *const shutoff_state_reasons[] = {
  [VIR_DOMAIN_SHUTOFF_SHUTDOWN] = "guest-shutdown",
  [VIR_DOMAIN_SHUTOFF_DESTROYED] = "destroyed",
  [VIR_DOMAIN_SHUTOFF_CRASHED] = "crashed",
  [VIR_DOMAIN_SHUTOFF_MIGRATED] = "migrated",
  [VIR_DOMAIN_SHUTOFF_SAVED] = "saved",
  [VIR_DOMAIN_SHUTOFF_FAILED] = "failed",
  [VIR_DOMAIN_SHUTOFF_FROM_SNAPSHOT] = "from-snapshot",
  [VIR_DOMAIN_SHUTOFF_DAEMON] = "daemon",
};

static const char *const crashed_state_reasons[] = {
  [VIR_DOMAIN_CRASHED_UNKNOWN] = "crashed",
  [VIR_DOMAIN_CRASHED_PANICKED] = "crashed",
};

/* Maps a lifecycle event; FALSE for events that carry no state: DEFINED
 * (a definition changed, the domain did not) and UNDEFINED (its own
 * signal). */
static gboolean
event_to_state (int event, int detail, VmgrVmState *state, const char **reason)
{
  switch (event)
    {
    case VIR_DOMAIN_EVENT_STARTED:
      *state = VMGR_VM_STATE_RUNNING;
      *reason = REASON (started_reasons, detail);
      return TRUE;
    case VIR_DOMAIN_EVENT_SUSPENDED:
      *state = VMGR_VM_STATE_PAUSED;
      *reason = REASON (suspended_reasons, detail);
      return TRUE;
    case VIR_DOMAIN_EVENT_RESUMED:
      *state = VMGR_VM_STATE_RUNNING;
      *reason = REASON (resumed_reasons, detail);
      return TRUE;
    case VIR_DOMAIN_EVENT_STOPPED:
      /* A saved guest is off, but its state waits in libvirt's file: the
       * next start restores it. */
      *state = detail == VIR_DOMAIN_EVENT_STOPPED_SAVED ? VMGR_VM_STATE_SUSPENDED
                                                        : VMGR_VM_STATE_STOPPED;
      *reason = REASON (stopped_reasons, detail);
      return TRUE;
    case VIR_DOMAIN_EVENT_SHUTDOWN:
      *state = VMGR_VM_STATE_STOPPING;
      *reason = REASON (shutdown_reasons, detail);
      return TRUE;
    case VIR_DOMAIN_EVENT_PMSUSPENDED:
      *state = VMGR_VM_STATE_SUSPENDED;
      *reason = "guest-suspend";
      return TRUE;
    case VIR_DOMAIN_EVENT_CRASHED:
      *state = VMGR_VM_STATE_CRASHED;
      *reason = "crashed";
      return TRUE;
    default:
      return FALSE;
    }
}

VmgrVmState
vmgr_backend_domain_state (int state, int reason, const char **reason_name)
{
  switch (state)
    {
    case VIR_DOMAIN_RUNNING:
      *reason_name = REASON (running_state_reasons, reason);
      return VMGR_VM_STATE_RUNNING;
    case VIR_DOMAIN_BLOCKED:
      *reason_name = "unknown";
      return VMGR_VM_STATE_RUNNING;
    case VIR_DOMAIN_PAUSED:
      *reason_name = REASON (paused_state_reasons, reason);
      return VMGR_VM_STATE_PAUSED;
    case VIR_DOMAIN_SHUTDOWN:
      *reason_name = REASON (shutdown_state_reasons, reason);
      return VMGR_VM_STATE_STOPPING;
    case VIR_DOMAIN_SHUTOFF:
      *reason_name = REASON (shutoff_state_reasons, reason);
      return VMGR_VM_STATE_STOPPED;
    case VIR_DOMAIN_CRASHED:
      *reason_name = REASON (crashed_state_reasons, reason);
      return VMGR_VM_STATE_CRASHED;
    case VIR_DOMAIN_PMSUSPENDED:
      *reason_name = "guest-suspend";
      return VMGR_VM_STATE_SUSPENDED;
    default:
      *reason_name = "unknown";
      return VMGR_VM_STATE_UNKNOWN;
    }
}

/* ---- errors ---- */

static VmgrError
error_code_from_libvirt (int code)
{
  switch (code)
    {
    case VIR_ERR_NO_DOMAIN:
    case VIR_ERR_NO_DOMAIN_SNAPSHOT:
      return VMGR_ERROR_NOT_FOUND;
    case VIR_ERR_NO_SUPPORT:
    case VIR_ERR_ARGUMENT_UNSUPPORTED:
    case VIR_ERR_OPERATION_UNSUPPORTED:
      return VMGR_ERROR_NOT_SUPPORTED;
    case VIR_ERR_OPERATION_INVALID:
      return VMGR_ERROR_INVALID_STATE;
    default:
      return VMGR_ERROR_HYPERVISOR;
    }
}

/* The one place libvirt errors become vmgr errors (see
 * vmgr-backend-private.h). */
int
vmgr_backend_set_error_from_libvirt (GError **error)
{
  virErrorPtr last = virGetLastError ();
  int code = last != NULL ? last->code : VIR_ERR_INTERNAL_ERROR;
  const char *message = last != NULL && last->message != NULL
                        ? last->message : "libvirt failed without saying why";

  g_set_error_literal (error, VMGR_ERROR, error_code_from_libvirt (code), message);
  return code;
}

static void
libvirt_error_to_debug (void *opaque, virErrorPtr error)
{
  /* Errors are reported to callers as GErrors; libvirt's default handler
   * would print every one of them on stderr. */
  g_debug ("libvirt: %s", error != NULL && error->message != NULL ? error->message : "?");
}

/* ---- construction ---- */

static gpointer
init_libvirt_once (gpointer data)
{
  gvir_init (NULL, NULL);
  gvir_event_register ();
  virSetErrorFunc (NULL, libvirt_error_to_debug);
  return NULL;
}

static char *
scheme_from_uri (const char *uri)
{
  g_autofree char *full = g_uri_parse_scheme (uri);
  char *plus;

  if (full == NULL)
    return g_strdup ("");
  /* "qemu+ssh" is the qemu driver over ssh. */
  plus = strchr (full, '+');
  if (plus != NULL)
    *plus = '\0';
  return g_steal_pointer (&full);
}

/* What libvirt holds for the event callback: a weak reference, because the
 * last reference on the backend may go in a worker thread (a GTask drops
 * its source object there once its callback has run), so dispose can race
 * with an event being dispatched on the main loop. GWeakRef is cleared
 * before dispose starts; libvirt frees the sink once the callback is
 * deregistered and no dispatch is running. */
typedef struct {
  GWeakRef backend;
} EventSink;

static void
event_sink_free (void *opaque)
{
  EventSink *sink = opaque;

  g_weak_ref_clear (&sink->backend);
  g_free (sink);
}

static void
on_lifecycle_event (virConnectPtr conn, virDomainPtr domain, int event, int detail,
                    void *opaque)
{
  EventSink *sink = opaque;
  g_autoptr(VmgrBackend) self = g_weak_ref_get (&sink->backend);
  char uuid[VIR_UUID_STRING_BUFLEN];
  const char *reason = NULL;
  VmgrVmState state;

  /* virDomainGetUUIDString reads the virDomainPtr: no call to the driver. */
  if (self == NULL || virDomainGetUUIDString (domain, uuid) < 0)
    return;
  if (event == VIR_DOMAIN_EVENT_UNDEFINED)
    g_signal_emit (self, signals[SIGNAL_DOMAIN_UNDEFINED], 0, uuid);
  else if (event_to_state (event, detail, &state, &reason))
    g_signal_emit (self, signals[SIGNAL_DOMAIN_STATE_CHANGED], 0, uuid, (guint) state, reason);
}

/* May run in a worker thread (see EventSink); libvirt calls are
 * thread-safe. */
static void
vmgr_backend_dispose (GObject *object)
{
  VmgrBackend *self = VMGR_BACKEND (object);

  g_clear_pointer (&self->link, vmgr_backend_link_free);

  G_OBJECT_CLASS (vmgr_backend_parent_class)->dispose (object);
}

static void
vmgr_backend_finalize (GObject *object)
{
  VmgrBackend *self = VMGR_BACKEND (object);

  g_free (self->uri);
  g_free (self->pool.name);
  g_free (self->pool.dir);
  g_ptr_array_unref (self->pool.old_dirs);
  g_mutex_clear (&self->pool.lock);
  g_free (self->scheme);
  g_hash_table_unref (self->consoles);

  G_OBJECT_CLASS (vmgr_backend_parent_class)->finalize (object);
}

static void
vmgr_backend_class_init (VmgrBackendClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = vmgr_backend_dispose;
  object_class->finalize = vmgr_backend_finalize;

  signals[SIGNAL_DOMAIN_STATE_CHANGED] =
    g_signal_new ("domain-state-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 3,
                  G_TYPE_STRING, G_TYPE_UINT, G_TYPE_STRING);
  signals[SIGNAL_DOMAIN_UNDEFINED] =
    g_signal_new ("domain-undefined", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[SIGNAL_CONNECTION_LOST] =
    g_signal_new ("connection-lost", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[SIGNAL_CONNECTION_RESTORED] =
    g_signal_new ("connection-restored", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
vmgr_backend_init (VmgrBackend *self)
{
  self->consoles = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_mutex_init (&self->pool.lock);
  self->pool.old_dirs = g_ptr_array_new_with_free_func (g_free);
}

/* For vmgr-backend-connection.c, on every connection it opens (see
 * vmgr-backend-private.h). */
int
vmgr_backend_prepare_connection (VmgrBackend *self, virConnectPtr conn, GError **error)
{
  EventSink *sink = g_new0 (EventSink, 1);
  int callback_id;

  virConnSetErrorFunc (conn, NULL, libvirt_error_to_debug);
  vmgr_backend_read_pool_dir (self, conn);
  g_weak_ref_init (&sink->backend, self);
  callback_id = virConnectDomainEventRegisterAny (conn, NULL, VIR_DOMAIN_EVENT_ID_LIFECYCLE,
                                                  VIR_DOMAIN_EVENT_CALLBACK (on_lifecycle_event),
                                                  sink, event_sink_free);
  if (callback_id < 0)
    {
      vmgr_backend_set_error_from_libvirt (error);
      event_sink_free (sink);
      g_prefix_error (error, "Cannot subscribe to libvirt lifecycle events on %s: ", self->uri);
    }
  return callback_id;
}

VmgrBackendLink *
vmgr_backend_get_link (VmgrBackend *self)
{
  return self->link;
}

VmgrBackendPool *
vmgr_backend_get_pool_state (VmgrBackend *self)
{
  return &self->pool;
}

GHashTable *
vmgr_backend_get_consoles (VmgrBackend *self)
{
  return self->consoles;
}

/* libvirt-glib's event loop, registered once per process. */
static void
ensure_libvirt (void)
{
  static GOnce libvirt_once = G_ONCE_INIT;

  g_once (&libvirt_once, init_libvirt_once, NULL);
}

VmgrBackend *
vmgr_backend_new (const char *uri, GError **error)
{
  g_autoptr(VmgrBackend) self = NULL;

  g_return_val_if_fail (uri != NULL, NULL);

  ensure_libvirt ();
  self = g_object_new (VMGR_TYPE_BACKEND, NULL);
  self->uri = g_strdup (uri);
  self->scheme = scheme_from_uri (uri);
  self->link = vmgr_backend_link_open (self, error);
  if (self->link == NULL)
    return NULL;
  return g_steal_pointer (&self);
}

VmgrBackend *
vmgr_backend_new_unconnected (const char *uri)
{
  return vmgr_backend_new_unconnected_with_pool (uri, NULL);
}

VmgrBackend *
vmgr_backend_new_unconnected_with_pool (const char *uri, const char *pool)
{
  VmgrBackend *self;

  g_return_val_if_fail (uri != NULL, NULL);

  ensure_libvirt ();
  self = g_object_new (VMGR_TYPE_BACKEND, NULL);
  self->uri = g_strdup (uri);
  self->scheme = scheme_from_uri (uri);
  self->pool.name = pool != NULL && *pool != '\0' ? g_strdup (pool) : NULL;
  self->link = vmgr_backend_link_new_unconnected (self);
  vmgr_backend_link_start (self);
  return self;
}

const char *
vmgr_backend_get_uri (VmgrBackend *self)
{
  g_return_val_if_fail (VMGR_IS_BACKEND (self), NULL);
  return self->uri;
}

const char *
vmgr_backend_get_scheme (VmgrBackend *self)
{
  g_return_val_if_fail (VMGR_IS_BACKEND (self), NULL);
  return self->scheme;
}

const char *const *
vmgr_backend_get_capabilities (VmgrBackend *self)
{
  g_return_val_if_fail (VMGR_IS_BACKEND (self), no_capabilities);

  if (g_str_equal (self->scheme, "test"))
    return test_capabilities;
  if (g_str_equal (self->scheme, "lxc"))
    return lxc_capabilities;
  if (g_str_equal (self->scheme, "qemu"))
    return qemu_capabilities;
  return no_capabilities;
}

gboolean
vmgr_backend_has_capability (VmgrBackend *self, const char *capability)
{
  g_return_val_if_fail (capability != NULL, FALSE);
  return g_strv_contains (vmgr_backend_get_capabilities (self), capability);
}

/* ---- worker-thread helpers ---- */


static void
task_data_free (VmgrBackendTaskData *data)
{
  g_free (data->uuid);
  g_free (data->xml);
  g_free (data);
}

GTask *
vmgr_backend_task_new (VmgrBackend *self, gpointer source_tag, GCancellable *cancellable,
                  GAsyncReadyCallback callback, gpointer user_data)
{
  /* The task references @self (its source object) until it completes. */
  GTask *task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, g_new0 (VmgrBackendTaskData, 1), (GDestroyNotify) task_data_free);
  return task;
}

virDomainPtr
vmgr_backend_lookup_domain (VmgrBackend *self, const char *uuid, GError **error)
{
  g_autoptr(VmgrVirConnect) conn = NULL;
  virDomainPtr domain;

  if (uuid == NULL || !g_uuid_string_is_valid (uuid))
    {
      g_set_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_ARGUMENT,
                   "'%s' is not a UUID", uuid != NULL ? uuid : "(null)");
      return NULL;
    }
  conn = vmgr_backend_ref_connection (self, error);
  if (conn == NULL)
    return NULL;
  domain = virDomainLookupByUUIDString (conn, uuid);
  if (domain == NULL)
    vmgr_backend_set_error_from_libvirt (error);
  return domain;
}

gboolean
vmgr_backend_task_return_if_cancelled (GTask *task)
{
  g_autoptr(GError) error = NULL;

  if (!g_cancellable_set_error_if_cancelled (g_task_get_cancellable (task), &error))
    return FALSE;
  g_task_return_error (task, g_steal_pointer (&error));
  return TRUE;
}

void
vmgr_backend_task_return (GTask *task, gboolean ok, GError *error)
{
  if (ok)
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}
