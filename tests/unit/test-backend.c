/* The libvirt backend against libvirt's test driver (test:///default, in
 * this process). Each test opens its own backend; the test driver's state
 * lives while a connection is open, and starts with one domain "test". */
#include <libvirt/libvirt.h>

#include "vmgr-backend.h"
#include "vmgr-backend-private.h"   /* vmgr_backend_simulate_disconnect (), ref_connection () */
#include "vmgr-domain-xml.h"
#include "vmgr-error.h"

#define TEST_URI "test:///default"
#define TIMEOUT_S 10

typedef struct {
  char *uuid;
  VmgrVmState state;
  char *reason;             /* NULL for "domain-undefined" */
} Event;

typedef struct {
  VmgrBackend *backend;
  GPtrArray *events;
  guint next_event;         /* events before this one were consumed */
  gboolean off_main_thread; /* a signal arrived on another thread */
  guint lost;               /* "connection-lost" signals */
  guint restored;           /* "connection-restored" signals */
} Fixture;

static GThread *main_thread;

static void
event_free (gpointer data)
{
  Event *event = data;

  g_free (event->uuid);
  g_free (event->reason);
  g_free (event);
}

static void
record_event (Fixture *fx, const char *uuid, VmgrVmState state, const char *reason)
{
  Event *event = g_new0 (Event, 1);

  event->uuid = g_strdup (uuid);
  event->state = state;
  event->reason = g_strdup (reason);
  g_ptr_array_add (fx->events, event);
  if (g_thread_self () != main_thread)
    fx->off_main_thread = TRUE;
}

static void
on_state_changed (VmgrBackend *backend, const char *uuid, guint state, const char *reason,
                  Fixture *fx)
{
  record_event (fx, uuid, state, reason);
}

static void
on_undefined (VmgrBackend *backend, const char *uuid, Fixture *fx)
{
  record_event (fx, uuid, VMGR_VM_STATE_UNKNOWN, NULL);
}

static void
on_connection_lost (VmgrBackend *backend, Fixture *fx)
{
  fx->lost++;
  if (g_thread_self () != main_thread)
    fx->off_main_thread = TRUE;
}

static void
on_connection_restored (VmgrBackend *backend, Fixture *fx)
{
  fx->restored++;
  if (g_thread_self () != main_thread)
    fx->off_main_thread = TRUE;
}

static void unref_and_wait_finalized (VmgrBackend *backend);

static void
fixture_set_up (Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  fx->backend = vmgr_backend_new (TEST_URI, &error);
  g_assert_no_error (error);
  g_assert_nonnull (fx->backend);
  fx->events = g_ptr_array_new_with_free_func (event_free);
  g_signal_connect (fx->backend, "domain-state-changed", G_CALLBACK (on_state_changed), fx);
  g_signal_connect (fx->backend, "domain-undefined", G_CALLBACK (on_undefined), fx);
  g_signal_connect (fx->backend, "connection-lost", G_CALLBACK (on_connection_lost), fx);
  g_signal_connect (fx->backend, "connection-restored", G_CALLBACK (on_connection_restored), fx);
}

static void
fixture_tear_down (Fixture *fx, gconstpointer data)
{
  g_assert_false (fx->off_main_thread);
  unref_and_wait_finalized (g_steal_pointer (&fx->backend));
  g_ptr_array_unref (fx->events);
}

/* ---- main loop helpers: iterate with a time limit, never sleep ---- */

static gboolean
on_timeout (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

typedef gboolean (*Condition) (gpointer data);

static void
iterate_until (Condition condition, gpointer data)
{
  gboolean timed_out = FALSE;
  guint timeout = g_timeout_add_seconds (TIMEOUT_S, on_timeout, &timed_out);

  while (!condition (data) && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (timed_out)
    g_error ("Timed out after %d s waiting on the main loop", TIMEOUT_S);
  g_source_remove (timeout);
}

/* The last reference may be a finished GTask's, dropped in its worker
 * thread just after the callback ran here: wait for it, woken up by the
 * weak notification rather than by polling. */
static void
on_finalized (gpointer data, GObject *where_the_object_was)
{
  g_atomic_int_set ((gint *) data, TRUE);
  g_main_context_wakeup (NULL);
}

static gboolean
flag_set (gpointer data)
{
  return g_atomic_int_get ((gint *) data);
}

static void
unref_and_wait_finalized (VmgrBackend *backend)
{
  gint finalized = FALSE;

  g_object_weak_ref (G_OBJECT (backend), on_finalized, &finalized);
  g_object_unref (backend);
  iterate_until (flag_set, &finalized);
}

static gboolean
result_arrived (gpointer data)
{
  return *(GAsyncResult **) data != NULL;
}

static void
on_ready (GObject *source, GAsyncResult *result, gpointer data)
{
  *(GAsyncResult **) data = g_object_ref (result);
}

static GAsyncResult *
await_result (GAsyncResult **slot)
{
  iterate_until (result_arrived, slot);
  return *slot;
}

static gboolean
run_op (Fixture *fx, const char *uuid, VmgrBackendOp op, GError **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  vmgr_backend_op_async (fx->backend, uuid, op, NULL, on_ready, &result);
  return vmgr_backend_op_finish (fx->backend, await_result (&result), error);
}

static void
op_ok (Fixture *fx, const char *uuid, VmgrBackendOp op)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (run_op (fx, uuid, op, &error));
  g_assert_no_error (error);
}

static void
define_ok (Fixture *fx, const char *xml)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  vmgr_backend_define_async (fx->backend, xml, NULL, on_ready, &result);
  g_assert_true (vmgr_backend_define_finish (fx->backend, await_result (&result), &error));
  g_assert_no_error (error);
}

static GHashTable *
list_states (Fixture *fx)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  GHashTable *states;

  vmgr_backend_list_states_async (fx->backend, NULL, on_ready, &result);
  states = vmgr_backend_list_states_finish (fx->backend, await_result (&result), &error);
  g_assert_no_error (error);
  g_assert_nonnull (states);
  return states;
}

/* ---- events ---- */

typedef struct {
  Fixture *fx;
  const char *uuid;
  VmgrVmState state;
  const char *reason;       /* NULL: wait for "domain-undefined" */
} Expected;

static gboolean
event_matches (const Event *event, const Expected *expected)
{
  if (g_strcmp0 (event->uuid, expected->uuid) != 0)
    return FALSE;
  if (expected->reason == NULL)
    return event->reason == NULL;
  return event->reason != NULL && event->state == expected->state &&
         g_str_equal (event->reason, expected->reason);
}

static gboolean
expected_event_seen (gpointer data)
{
  const Expected *expected = data;
  Fixture *fx = expected->fx;

  for (guint i = fx->next_event; i < fx->events->len; i++)
    if (event_matches (g_ptr_array_index (fx->events, i), expected))
      {
        fx->next_event = i + 1;
        return TRUE;
      }
  return FALSE;
}

static void
wait_state_event (Fixture *fx, const char *uuid, VmgrVmState state, const char *reason)
{
  Expected expected = { fx, uuid, state, reason };

  iterate_until (expected_event_seen, &expected);
}

static void
wait_undefined_event (Fixture *fx, const char *uuid)
{
  Expected expected = { fx, uuid, VMGR_VM_STATE_UNKNOWN, NULL };

  iterate_until (expected_event_seen, &expected);
}

/* ---- domains ---- */

#define MIB (1024 * 1024)

static VmgrVmSpec *
new_spec (const char *name)
{
  VmgrVmSpec *spec = vmgr_vm_spec_new ();

  g_free (spec->name);
  spec->name = g_strdup (name);
  g_free (spec->uuid);
  spec->uuid = g_uuid_string_random ();
  spec->id = 101;
  spec->memory_limit = 128 * MIB;
  spec->memory_soft_limit = 64 * MIB;
  return spec;
}

static void
define_spec (Fixture *fx, const VmgrVmSpec *spec)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *xml = NULL;

  xml = vmgr_domain_xml_build (spec, vmgr_backend_get_scheme (fx->backend), NULL, &error);
  g_assert_no_error (error);
  define_ok (fx, xml);
}

static char *
define_domain (Fixture *fx, const char *name)
{
  g_autoptr(VmgrVmSpec) spec = new_spec (name);

  define_spec (fx, spec);
  return g_steal_pointer (&spec->uuid);
}

static void
assert_listed_state (Fixture *fx, const char *uuid, const char *name, VmgrVmState state,
                     const char *reason)
{
  g_autoptr(GHashTable) states = list_states (fx);
  VmgrBackendDomainState *entry = g_hash_table_lookup (states, uuid);

  g_assert_nonnull (entry);
  g_assert_cmpstr (entry->name, ==, name);
  g_assert_cmpstr (vmgr_vm_state_to_string (entry->state), ==, vmgr_vm_state_to_string (state));
  g_assert_cmpstr (entry->reason, ==, reason);
}

/* ---- tests ---- */

static void
test_capabilities (Fixture *fx, gconstpointer data)
{
  const char *const expected[] = {
    "memory-limit", "memory-soft-limit", "memory-guarantee",
    "vcpus", "cpu-weight", "autostart", "stats-cpu", "stats-memory", "save", "snapshots",
    NULL
  };

  g_assert_cmpstr (vmgr_backend_get_uri (fx->backend), ==, TEST_URI);
  g_assert_cmpstr (vmgr_backend_get_scheme (fx->backend), ==, "test");
  g_assert_true (g_strv_equal (vmgr_backend_get_capabilities (fx->backend), expected));
  g_assert_true (vmgr_backend_has_capability (fx->backend, "autostart"));
  g_assert_true (vmgr_backend_has_capability (fx->backend, "snapshots"));
  g_assert_false (vmgr_backend_has_capability (fx->backend, "live-memory"));
  g_assert_false (vmgr_backend_has_capability (fx->backend, "cpu-limit"));
  g_assert_false (vmgr_backend_has_capability (fx->backend, "console"));
  g_assert_false (vmgr_backend_has_capability (fx->backend, "disk-quota"));
}

static void
test_state_strings (void)
{
  static const char *const names[] = {
    "provisioning", "stopped", "starting", "running", "paused", "stopping",
    "crashed", "suspended", "unknown",
  };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    g_assert_cmpstr (vmgr_vm_state_to_string (i), ==, names[i]);
  g_assert_cmpstr (vmgr_vm_state_to_string (1000), ==, "unknown");
}

static void
test_bad_uri (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VmgrBackend) backend = vmgr_backend_new ("nosuchdriver:///system", &error);

  g_assert_error (error, VMGR_ERROR, VMGR_ERROR_HYPERVISOR);
  g_assert_null (backend);
  g_test_message ("open error: %s", error->message);
}

static void
test_lifecycle (Fixture *fx, gconstpointer data)
{
  g_autofree char *uuid = define_domain (fx, "vmgr-backend-lifecycle");

  assert_listed_state (fx, uuid, "vmgr-backend-lifecycle-101", VMGR_VM_STATE_STOPPED, "unknown");
  op_ok (fx, uuid, VMGR_BACKEND_OP_START);
  wait_state_event (fx, uuid, VMGR_VM_STATE_RUNNING, "booted");
  assert_listed_state (fx, uuid, "vmgr-backend-lifecycle-101", VMGR_VM_STATE_RUNNING, "booted");

  op_ok (fx, uuid, VMGR_BACKEND_OP_SUSPEND);
  wait_state_event (fx, uuid, VMGR_VM_STATE_PAUSED, "user");
  assert_listed_state (fx, uuid, "vmgr-backend-lifecycle-101", VMGR_VM_STATE_PAUSED, "user");

  op_ok (fx, uuid, VMGR_BACKEND_OP_RESUME);
  wait_state_event (fx, uuid, VMGR_VM_STATE_RUNNING, "user");
  assert_listed_state (fx, uuid, "vmgr-backend-lifecycle-101", VMGR_VM_STATE_RUNNING, "user");

  op_ok (fx, uuid, VMGR_BACKEND_OP_SHUTDOWN);
  wait_state_event (fx, uuid, VMGR_VM_STATE_STOPPED, "guest-shutdown");
  assert_listed_state (fx, uuid, "vmgr-backend-lifecycle-101", VMGR_VM_STATE_STOPPED,
                       "guest-shutdown");

  op_ok (fx, uuid, VMGR_BACKEND_OP_START);
  wait_state_event (fx, uuid, VMGR_VM_STATE_RUNNING, "booted");
  op_ok (fx, uuid, VMGR_BACKEND_OP_DESTROY);
  wait_state_event (fx, uuid, VMGR_VM_STATE_STOPPED, "destroyed");
  assert_listed_state (fx, uuid, "vmgr-backend-lifecycle-101", VMGR_VM_STATE_STOPPED, "destroyed");
}

static void
test_reboot (Fixture *fx, gconstpointer data)
{
  g_autofree char *uuid = define_domain (fx, "vmgr-backend-reboot");
  g_autoptr(GError) error = NULL;

  op_ok (fx, uuid, VMGR_BACKEND_OP_START);
  wait_state_event (fx, uuid, VMGR_VM_STATE_RUNNING, "booted");
  op_ok (fx, uuid, VMGR_BACKEND_OP_REBOOT);
  /* The test driver reboots in place: still running, no lifecycle event. */
  assert_listed_state (fx, uuid, "vmgr-backend-reboot-101", VMGR_VM_STATE_RUNNING, "booted");
  for (guint i = fx->next_event; i < fx->events->len; i++)
    {
      Event *event = g_ptr_array_index (fx->events, i);
      g_test_message ("after reboot: %s %s", vmgr_vm_state_to_string (event->state), event->reason);
    }
  op_ok (fx, uuid, VMGR_BACKEND_OP_DESTROY);
  wait_state_event (fx, uuid, VMGR_VM_STATE_STOPPED, "destroyed");
  g_assert_false (run_op (fx, uuid, VMGR_BACKEND_OP_REBOOT, &error));
  g_assert_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_STATE);
}

static gboolean
listed (Fixture *fx, const char *uuid)
{
  g_autoptr(GHashTable) states = list_states (fx);

  return g_hash_table_contains (states, uuid);
}

static void
test_undefine (Fixture *fx, gconstpointer data)
{
  g_autofree char *uuid = define_domain (fx, "vmgr-backend-undefine");
  g_autoptr(GError) error = NULL;

  op_ok (fx, uuid, VMGR_BACKEND_OP_START);
  wait_state_event (fx, uuid, VMGR_VM_STATE_RUNNING, "booted");
  g_assert_true (listed (fx, uuid));

  /* Running: destroyed first, then undefined. */
  op_ok (fx, uuid, VMGR_BACKEND_OP_UNDEFINE);
  wait_state_event (fx, uuid, VMGR_VM_STATE_STOPPED, "destroyed");
  wait_undefined_event (fx, uuid);
  g_assert_false (listed (fx, uuid));

  g_assert_false (run_op (fx, uuid, VMGR_BACKEND_OP_START, &error));
  g_assert_error (error, VMGR_ERROR, VMGR_ERROR_NOT_FOUND);
}

static void
test_undefine_stopped (Fixture *fx, gconstpointer data)
{
  g_autofree char *uuid = define_domain (fx, "vmgr-backend-undefine-stopped");

  op_ok (fx, uuid, VMGR_BACKEND_OP_UNDEFINE);
  wait_undefined_event (fx, uuid);
  g_assert_false (listed (fx, uuid));
}

static void
test_list_states (Fixture *fx, gconstpointer data)
{
  g_autoptr(GHashTable) states = list_states (fx);
  GHashTableIter iter;
  VmgrBackendDomainState *state;
  gboolean builtin_seen = FALSE;

  g_hash_table_iter_init (&iter, states);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &state))
    if (g_str_equal (state->name, "test"))
      {
        builtin_seen = TRUE;
        /* The built-in domain runs from the start, for no given reason. */
        g_assert_cmpint (state->state, ==, VMGR_VM_STATE_RUNNING);
        g_assert_cmpstr (state->reason, ==, "unknown");
      }
  g_assert_true (builtin_seen);
}

static void
test_not_found (Fixture *fx, gconstpointer data)
{
  static const VmgrBackendOp ops[] = {
    VMGR_BACKEND_OP_START, VMGR_BACKEND_OP_SHUTDOWN, VMGR_BACKEND_OP_DESTROY,
    VMGR_BACKEND_OP_REBOOT, VMGR_BACKEND_OP_SUSPEND, VMGR_BACKEND_OP_RESUME,
    VMGR_BACKEND_OP_UNDEFINE,
  };
  g_autofree char *uuid = g_uuid_string_random ();

  for (guint i = 0; i < G_N_ELEMENTS (ops); i++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_false (run_op (fx, uuid, ops[i], &error));
      g_assert_error (error, VMGR_ERROR, VMGR_ERROR_NOT_FOUND);
    }
}

static void
test_invalid_uuid (Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  g_assert_false (run_op (fx, "not-a-uuid", VMGR_BACKEND_OP_START, &error));
  g_assert_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_ARGUMENT);
}

static void
assert_op_invalid_state (Fixture *fx, const char *uuid, VmgrBackendOp op)
{
  g_autoptr(GError) error = NULL;

  g_assert_false (run_op (fx, uuid, op, &error));
  g_assert_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_STATE);
  g_test_message ("op %d: %s", op, error->message);
}

/* The test driver itself answers VIR_ERR_INTERNAL_ERROR ("domain 'x' not
 * running") for suspend, resume and shutdown in the wrong state, and
 * VIR_ERR_OPERATION_INVALID for destroy and reboot; vmgr checks the state
 * first and answers INVALID_STATE for all of them. */
static void
test_invalid_state (Fixture *fx, gconstpointer data)
{
  g_autofree char *uuid = define_domain (fx, "vmgr-backend-invalid-state");

  assert_op_invalid_state (fx, uuid, VMGR_BACKEND_OP_SUSPEND);
  assert_op_invalid_state (fx, uuid, VMGR_BACKEND_OP_RESUME);
  assert_op_invalid_state (fx, uuid, VMGR_BACKEND_OP_SHUTDOWN);
  assert_op_invalid_state (fx, uuid, VMGR_BACKEND_OP_DESTROY);
  op_ok (fx, uuid, VMGR_BACKEND_OP_START);
  assert_op_invalid_state (fx, uuid, VMGR_BACKEND_OP_START);
  assert_op_invalid_state (fx, uuid, VMGR_BACKEND_OP_RESUME);
  /* One sentence, its verb once. */
  {
    g_autoptr(GError) error = NULL;

    g_assert_false (run_op (fx, uuid, VMGR_BACKEND_OP_START, &error));
    g_assert_cmpstr (error->message, ==, "The VM cannot be started: it is already running");
  }
  op_ok (fx, uuid, VMGR_BACKEND_OP_SUSPEND);
  assert_op_invalid_state (fx, uuid, VMGR_BACKEND_OP_SUSPEND);
  op_ok (fx, uuid, VMGR_BACKEND_OP_DESTROY);
}

static gboolean
set_autostart (Fixture *fx, const char *uuid, gboolean autostart, GError **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  vmgr_backend_set_autostart_async (fx->backend, uuid, autostart, NULL, on_ready, &result);
  return vmgr_backend_set_autostart_finish (fx->backend, await_result (&result), error);
}

/* Read back on a second connection: same test driver state while the
 * backend's connection is open. */
static int
read_autostart (const char *uuid)
{
  virConnectPtr conn = virConnectOpen (TEST_URI);
  virDomainPtr domain = virDomainLookupByUUIDString (conn, uuid);
  int autostart = -1;

  g_assert_nonnull (domain);
  g_assert_cmpint (virDomainGetAutostart (domain, &autostart), ==, 0);
  virDomainFree (domain);
  virConnectClose (conn);
  return autostart;
}

static void
test_autostart (Fixture *fx, gconstpointer data)
{
  g_autofree char *uuid = define_domain (fx, "vmgr-backend-autostart");
  g_autofree char *unknown = g_uuid_string_random ();
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (read_autostart (uuid), ==, 0);
  g_assert_true (set_autostart (fx, uuid, TRUE, &error));
  g_assert_no_error (error);
  g_assert_cmpint (read_autostart (uuid), ==, 1);
  g_assert_true (set_autostart (fx, uuid, FALSE, &error));
  g_assert_no_error (error);
  g_assert_cmpint (read_autostart (uuid), ==, 0);
  g_assert_false (set_autostart (fx, unknown, TRUE, &error));
  g_assert_error (error, VMGR_ERROR, VMGR_ERROR_NOT_FOUND);
}

static void
test_define_error (Fixture *fx, gconstpointer data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  vmgr_backend_define_async (fx->backend, "<domain type='test'><name>x</name></domain>",
                             NULL, on_ready, &result);
  g_assert_false (vmgr_backend_define_finish (fx->backend, await_result (&result), &error));
  g_assert_error (error, VMGR_ERROR, VMGR_ERROR_HYPERVISOR);
  g_test_message ("define error: %s", error->message);
}

/* A change made by someone else (another connection) is announced too. */
static void
test_external_change (Fixture *fx, gconstpointer data)
{
  g_autofree char *uuid = define_domain (fx, "vmgr-backend-external");
  virConnectPtr conn = virConnectOpen (TEST_URI);
  virDomainPtr domain = virDomainLookupByUUIDString (conn, uuid);

  g_assert_cmpint (virDomainCreate (domain), ==, 0);
  wait_state_event (fx, uuid, VMGR_VM_STATE_RUNNING, "booted");
  g_assert_cmpint (virDomainDestroy (domain), ==, 0);
  wait_state_event (fx, uuid, VMGR_VM_STATE_STOPPED, "destroyed");
  virDomainFree (domain);
  virConnectClose (conn);
}

static void
test_cancelled (Fixture *fx, gconstpointer data)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *uuid = g_uuid_string_random ();

  g_cancellable_cancel (cancellable);
  vmgr_backend_op_async (fx->backend, uuid, VMGR_BACKEND_OP_START, cancellable, on_ready,
                         &result);
  g_assert_false (vmgr_backend_op_finish (fx->backend, await_result (&result), &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

/* The caller may drop its reference while calls run: each task keeps the
 * backend and its connection alive until it completes. */
static void
test_unref_while_pending (void)
{
  g_autoptr(GError) error = NULL;
  VmgrBackend *backend = vmgr_backend_new (TEST_URI, &error);
  g_autoptr(GHashTable) states = NULL;
  GAsyncResult *result = NULL;
  VmgrBackend *survivor;
  GWeakRef weak;

  g_assert_no_error (error);
  g_weak_ref_init (&weak, backend);
  vmgr_backend_list_states_async (backend, NULL, on_ready, &result);
  g_object_unref (backend);
  /* The result (a GTask) holds the backend until it goes. */
  states = vmgr_backend_list_states_finish (backend, await_result (&result), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_hash_table_size (states), >=, 1);
  g_object_unref (result);
  survivor = g_weak_ref_get (&weak);
  if (survivor != NULL)
    unref_and_wait_finalized (survivor);
  g_weak_ref_clear (&weak);
}

/* ---- live resources ---- */

/* A second connection on the same test driver state, to read back what
 * the backend did. */
typedef struct {
  virConnectPtr conn;
  virDomainPtr domain;
} Peek;

static void
peek_open (Peek *peek, const char *uuid)
{
  peek->conn = virConnectOpen (TEST_URI);
  g_assert_nonnull (peek->conn);
  peek->domain = virDomainLookupByUUIDString (peek->conn, uuid);
  g_assert_nonnull (peek->domain);
}

static void
peek_close (Peek *peek)
{
  g_clear_pointer (&peek->domain, virDomainFree);
  g_clear_pointer (&peek->conn, virConnectClose);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Peek, peek_close)

static virDomainInfo
peek_info (const char *uuid)
{
  g_auto(Peek) peek = { NULL, NULL };
  virDomainInfo info;

  peek_open (&peek, uuid);
  g_assert_cmpint (virDomainGetInfo (peek.domain, &info), ==, 0);
  return info;
}

static int
peek_live_vcpus (const char *uuid)
{
  g_auto(Peek) peek = { NULL, NULL };

  peek_open (&peek, uuid);
  return virDomainGetVcpusFlags (peek.domain, VIR_DOMAIN_AFFECT_LIVE);
}

static void
peek_memtune (const char *uuid, unsigned long long *hard_kib, unsigned long long *soft_kib)
{
  g_auto(Peek) peek = { NULL, NULL };
  g_autofree virTypedParameterPtr params = NULL;
  int n_params = 0;

  peek_open (&peek, uuid);
  g_assert_cmpint (virDomainGetMemoryParameters (peek.domain, NULL, &n_params, 0), ==, 0);
  params = g_new0 (virTypedParameter, n_params);
  g_assert_cmpint (virDomainGetMemoryParameters (peek.domain, params, &n_params,
                                                 VIR_DOMAIN_AFFECT_LIVE), ==, 0);
  g_assert_cmpint (virTypedParamsGetULLong (params, n_params, VIR_DOMAIN_MEMORY_HARD_LIMIT,
                                            hard_kib), ==, 1);
  g_assert_cmpint (virTypedParamsGetULLong (params, n_params, VIR_DOMAIN_MEMORY_SOFT_LIMIT,
                                            soft_kib), ==, 1);
}

/* Only the flag-less call works on the test driver (the *Flags variant
 * refuses VIR_TYPED_PARAM_STRING_OKAY, which libvirt always adds). */
static unsigned int
peek_sched_weight (const char *uuid)
{
  g_auto(Peek) peek = { NULL, NULL };
  g_autofree virTypedParameterPtr params = NULL;
  g_autofree char *type = NULL;
  unsigned int weight = 0;
  int n_params = 0;

  peek_open (&peek, uuid);
  type = virDomainGetSchedulerType (peek.domain, &n_params);
  g_assert_cmpstr (type, ==, "fair");
  params = g_new0 (virTypedParameter, n_params);
  g_assert_cmpint (virDomainGetSchedulerParameters (peek.domain, params, &n_params), ==, 0);
  g_assert_cmpint (virTypedParamsGetUInt (params, n_params, VIR_DOMAIN_SCHEDULER_WEIGHT,
                                          &weight), ==, 1);
  return weight;
}

static gboolean
apply_live (Fixture *fx, const char *uuid, const VmgrVmSpec *spec, VmgrLiveResources what,
            VmgrLiveResources *applied, GError **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  *applied = 0xff;          /* must be overwritten */
  vmgr_backend_apply_live_async (fx->backend, uuid, spec, what, NULL, on_ready, &result);
  return vmgr_backend_apply_live_finish (fx->backend, await_result (&result), applied, error);
}

static VmgrLiveResources
apply_live_ok (Fixture *fx, const char *uuid, const VmgrVmSpec *spec, VmgrLiveResources what)
{
  g_autoptr(GError) error = NULL;
  VmgrLiveResources applied;

  g_assert_true (apply_live (fx, uuid, spec, what, &applied, &error));
  g_assert_no_error (error);
  return applied;
}

#define ALL_RESOURCES \
  (VMGR_RESOURCE_MEMORY | VMGR_RESOURCE_MEMORY_TUNE | VMGR_RESOURCE_VCPUS | \
   VMGR_RESOURCE_CPU_WEIGHT | VMGR_RESOURCE_CPU_LIMIT)

static VmgrVmSpec *
define_running (Fixture *fx, const char *name)
{
  VmgrVmSpec *spec = new_spec (name);

  spec->vcpus = 2;
  define_spec (fx, spec);
  op_ok (fx, spec->uuid, VMGR_BACKEND_OP_START);
  return spec;
}

/* Everything the test driver changes live arrives; cpu-limit (no
 * period/quota there) is skipped, not faked. */
static void
test_apply_live (Fixture *fx, gconstpointer data)
{
  g_autoptr(VmgrVmSpec) spec = define_running (fx, "vmgr-backend-apply-live");
  g_autoptr(VmgrVmSpec) changed = vmgr_vm_spec_copy (spec);
  unsigned long long hard_kib = 0, soft_kib = 0;
  virDomainInfo info;

  changed->memory_limit = 96 * MIB;
  changed->memory_soft_limit = 32 * MIB;
  changed->memory_guarantee = 16 * MIB;
  changed->vcpus = 1;
  changed->cpu_weight = 250;
  changed->cpu_limit = 50;
  g_assert_cmpuint (apply_live_ok (fx, spec->uuid, changed, ALL_RESOURCES), ==,
                    VMGR_RESOURCE_MEMORY | VMGR_RESOURCE_MEMORY_TUNE |
                    VMGR_RESOURCE_VCPUS | VMGR_RESOURCE_CPU_WEIGHT);

  info = peek_info (spec->uuid);
  g_assert_cmpint (info.state, ==, VIR_DOMAIN_RUNNING);
  g_assert_cmpuint (info.memory, ==, 96 * 1024);
  g_assert_cmpuint (info.maxMem, ==, 128 * 1024);
  g_assert_cmpuint (info.nrVirtCpu, ==, 1);
  g_assert_cmpint (peek_live_vcpus (spec->uuid), ==, 1);
  peek_memtune (spec->uuid, &hard_kib, &soft_kib);
  g_assert_cmpuint (hard_kib, ==, 96 * 1024);
  g_assert_cmpuint (soft_kib, ==, 32 * 1024);
  /* The test driver accepts "weight" and drops it: it always reports 50.
   * So this only shows the call went through. */
  g_assert_cmpuint (peek_sched_weight (spec->uuid), ==, 50);
}

/* Memory and vCPUs above what the domain was started with cannot be
 * changed live: skipped, the domain keeps what it has. A soft limit of 0
 * clears the live one. */
static void
test_apply_live_limits (Fixture *fx, gconstpointer data)
{
  g_autoptr(VmgrVmSpec) spec = define_running (fx, "vmgr-backend-apply-limits");
  g_autoptr(VmgrVmSpec) changed = vmgr_vm_spec_copy (spec);
  unsigned long long hard_kib = 0, soft_kib = 0;

  changed->memory_limit = 256 * MIB;
  changed->vcpus = 4;
  changed->memory_soft_limit = 0;
  g_assert_cmpuint (apply_live_ok (fx, spec->uuid, changed,
                                   VMGR_RESOURCE_MEMORY | VMGR_RESOURCE_VCPUS), ==, 0);
  g_assert_cmpuint (peek_info (spec->uuid).memory, ==, 128 * 1024);
  g_assert_cmpint (peek_live_vcpus (spec->uuid), ==, 2);

  g_assert_cmpuint (apply_live_ok (fx, spec->uuid, changed, VMGR_RESOURCE_MEMORY_TUNE), ==,
                    VMGR_RESOURCE_MEMORY_TUNE);
  peek_memtune (spec->uuid, &hard_kib, &soft_kib);
  g_assert_cmpuint (hard_kib, ==, 256 * 1024);
  g_assert_cmpuint (soft_kib, ==, VIR_DOMAIN_MEMORY_PARAM_UNLIMITED);
}

static void
test_apply_live_stopped (Fixture *fx, gconstpointer data)
{
  g_autoptr(VmgrVmSpec) spec = new_spec ("vmgr-backend-apply-stopped");
  g_autoptr(VmgrVmSpec) changed = NULL;

  define_spec (fx, spec);
  changed = vmgr_vm_spec_copy (spec);
  changed->memory_limit = 96 * MIB;
  changed->vcpus = 1;
  g_assert_cmpuint (apply_live_ok (fx, spec->uuid, changed, ALL_RESOURCES), ==, 0);
  g_assert_cmpint (peek_info (spec->uuid).state, ==, VIR_DOMAIN_SHUTOFF);
  g_assert_cmpuint (peek_info (spec->uuid).memory, ==, 128 * 1024);
}

static void
test_apply_live_not_found (Fixture *fx, gconstpointer data)
{
  g_autoptr(VmgrVmSpec) spec = new_spec ("vmgr-backend-apply-missing");
  g_autoptr(GError) error = NULL;
  VmgrLiveResources applied;

  g_assert_false (apply_live (fx, spec->uuid, spec, ALL_RESOURCES, &applied, &error));
  g_assert_error (error, VMGR_ERROR, VMGR_ERROR_NOT_FOUND);
  g_assert_cmpuint (applied, ==, 0);
}

/* ---- statistics ---- */

static GHashTable *
sample (Fixture *fx, const char *const *uuids)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  GHashTable *table;

  vmgr_backend_sample_async (fx->backend, uuids, NULL, on_ready, &result);
  table = vmgr_backend_sample_finish (fx->backend, await_result (&result), &error);
  g_assert_no_error (error);
  g_assert_nonnull (table);
  return table;
}

static void
iterate_for_ms (guint ms)
{
  gboolean elapsed = FALSE;

  g_timeout_add (ms, on_timeout, &elapsed);
  iterate_until (flag_set, &elapsed);
}

static void
assert_nothing_measured (const VmgrDomainStats *stats)
{
  g_assert_false (stats->has_cpu);
  g_assert_false (stats->has_memory);
  g_assert_false (stats->has_disk);
  g_assert_false (stats->has_network);
  g_assert_cmpuint (stats->cpu_time_ns, ==, 0);
  g_assert_cmpuint (stats->memory_used, ==, 0);
}

/* A domain built by vmgr on the test driver has no devices and no
 * <memballoon>: CPU and memory from GetInfo (MemoryStats succeeds with no
 * figures), nothing for disks or network. The test driver's CPU time is
 * the time of day, for every domain, so it grows with the clock. */
static void
test_sample (Fixture *fx, gconstpointer data)
{
  g_autoptr(VmgrVmSpec) spec = define_running (fx, "vmgr-backend-sample");
  g_autofree char *stopped = define_domain (fx, "vmgr-backend-sample-stopped");
  g_autofree char *unknown = g_uuid_string_random ();
  const char *const uuids[] = { spec->uuid, stopped, unknown, "not-a-uuid", NULL };
  g_autoptr(GHashTable) first = sample (fx, uuids);
  g_autoptr(GHashTable) second = NULL;
  VmgrDomainStats *a, *b, *off;

  iterate_for_ms (5);
  second = sample (fx, uuids);
  g_assert_cmpuint (g_hash_table_size (first), ==, 2);
  g_assert_cmpuint (g_hash_table_size (second), ==, 2);
  g_assert_false (g_hash_table_contains (second, unknown));

  a = g_hash_table_lookup (first, spec->uuid);
  b = g_hash_table_lookup (second, spec->uuid);
  g_assert_nonnull (a);
  g_assert_nonnull (b);
  g_assert_true (b->running);
  g_assert_true (b->has_cpu);
  g_assert_true (b->has_memory);
  g_assert_false (b->has_disk);
  g_assert_false (b->has_network);
  g_assert_cmpuint (b->memory_used, ==, 128 * MIB);
  g_assert_cmpuint (a->memory_used, ==, b->memory_used);
  g_assert_cmpint (b->sampled_mono - a->sampled_mono, >=, 5000);
  g_assert_cmpint (b->sampled_at, >, a->sampled_at);
  g_assert_cmpuint (b->cpu_time_ns, >, a->cpu_time_ns);
  /* Read just before sampled_at was taken, from the same clock. */
  g_assert_cmpuint (b->cpu_time_ns / 1000, <=, (guint64) b->sampled_at);
  g_assert_cmpuint ((guint64) b->sampled_at - b->cpu_time_ns / 1000, <, G_USEC_PER_SEC);

  off = g_hash_table_lookup (second, stopped);
  g_assert_nonnull (off);
  g_assert_false (off->running);
  assert_nothing_measured (off);
  g_assert_cmpint (off->sampled_at, >, 0);
}

static void
test_sample_paused (Fixture *fx, gconstpointer data)
{
  g_autoptr(VmgrVmSpec) spec = define_running (fx, "vmgr-backend-sample-paused");
  const char *const uuids[] = { spec->uuid, NULL };
  g_autoptr(GHashTable) table = NULL;
  VmgrDomainStats *stats;

  op_ok (fx, spec->uuid, VMGR_BACKEND_OP_SUSPEND);
  table = sample (fx, uuids);
  stats = g_hash_table_lookup (table, spec->uuid);
  g_assert_nonnull (stats);
  g_assert_true (stats->running);
  g_assert_true (stats->has_cpu);
  g_assert_true (stats->has_memory);
}

/* The built-in domain has a <memballoon>, a disk and an interface: the
 * test driver's fixed figures (RSS 1 GiB of a 2 GiB balloon, a 1 TiB
 * disk allocation, interface counters derived from the clock). */
#define BUILTIN_UUID "6695eb01-f6a4-8304-79aa-97f2502e193f"

static void
test_sample_devices (Fixture *fx, gconstpointer data)
{
  const char *const uuids[] = { BUILTIN_UUID, NULL };
  g_autoptr(GHashTable) table = sample (fx, uuids);
  VmgrDomainStats *stats = g_hash_table_lookup (table, BUILTIN_UUID);

  g_assert_nonnull (stats);
  g_assert_true (stats->running);
  g_assert_true (stats->has_memory);
  g_assert_cmpuint (stats->memory_used, ==, 1024 * MIB);
  g_assert_true (stats->has_disk);
  g_assert_cmpuint (stats->disk_used, ==, G_GUINT64_CONSTANT (1) << 40);
  g_assert_true (stats->has_network);
  g_assert_cmpuint (stats->net_rx_bytes, >, 0);
  g_assert_cmpuint (stats->net_tx_bytes, >, 0);
}

static void
test_sample_empty (Fixture *fx, gconstpointer data)
{
  const char *const uuids[] = { NULL };
  g_autoptr(GHashTable) table = sample (fx, uuids);

  g_assert_cmpuint (g_hash_table_size (table), ==, 0);
}

/* ---- host ---- */

static void
test_host_info (Fixture *fx, gconstpointer data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(VmgrHostInfo) info = NULL;

  vmgr_backend_get_host_info_async (fx->backend, NULL, on_ready, &result);
  info = vmgr_backend_get_host_info_finish (fx->backend, await_result (&result), &error);
  g_assert_no_error (error);
  g_assert_nonnull (info);
  g_test_message ("host: %u CPUs (%s), %" G_GUINT64_FORMAT " bytes, %" G_GUINT64_FORMAT " free",
                  info->cpus, info->cpu_model, info->memory_total, info->memory_free);
  g_assert_cmpuint (info->cpus, >, 0);
  g_assert_cmpuint (info->memory_total, >, 0);
  g_assert_cmpuint (info->memory_free, >, 0);
  g_assert_cmpuint (info->memory_free, <=, info->memory_total);
  g_assert_cmpstr (info->cpu_model, !=, "");
}

/* ---- losing and regaining the connection ----
 *
 * The test driver never closes a connection by itself: the tests
 * simulate libvirt's close callback (reason EOF), which goes through the
 * same path as a real close. The first reconnection attempt comes 1 s
 * after the loss and succeeds at once on the test driver. */

static gboolean
connection_lost (gpointer data)
{
  return ((Fixture *) data)->lost > 0;
}

static gboolean
connection_restored (gpointer data)
{
  return ((Fixture *) data)->restored > 0;
}

static void
disconnect_and_wait_lost (Fixture *fx)
{
  g_assert_true (vmgr_backend_is_connected (fx->backend));
  vmgr_backend_simulate_disconnect (fx->backend);
  iterate_until (connection_lost, fx);
  g_assert_false (vmgr_backend_is_connected (fx->backend));
}

static void
assert_unavailable (const GError *error)
{
  g_assert_error (error, VMGR_ERROR, VMGR_ERROR_HYPERVISOR);
  g_assert_nonnull (strstr (error->message, "libvirt is unavailable"));
}

static void
wait_restored (Fixture *fx, gint64 lost_at)
{
  gint64 elapsed_ms;

  iterate_until (connection_restored, fx);
  elapsed_ms = (g_get_monotonic_time () - lost_at) / 1000;
  g_test_message ("restored after %" G_GINT64_FORMAT " ms", elapsed_ms);
  /* The first attempt, 1 s after the loss. */
  g_assert_cmpint (elapsed_ms, >=, 900);
  g_assert_cmpint (elapsed_ms, <, 3000);
  g_assert_true (vmgr_backend_is_connected (fx->backend));
}

static void
assert_calls_unavailable (Fixture *fx, const char *uuid)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) states = NULL;
  g_autoptr(VmgrHostInfo) info = NULL;

  g_assert_false (run_op (fx, uuid, VMGR_BACKEND_OP_START, &error));
  assert_unavailable (error);
  g_test_message ("during the outage: %s", error->message);
  g_clear_error (&error);

  vmgr_backend_list_states_async (fx->backend, NULL, on_ready, &result);
  states = vmgr_backend_list_states_finish (fx->backend, await_result (&result), &error);
  g_assert_null (states);
  assert_unavailable (error);
  g_clear_error (&error);
  g_clear_object (&result);

  /* Through the deprecated borrowed accessor (vmgr-backend-stats.c): it
   * fails too, but libvirt's message ("invalid connection pointer"). */
  vmgr_backend_get_host_info_async (fx->backend, NULL, on_ready, &result);
  info = vmgr_backend_get_host_info_finish (fx->backend, await_result (&result), &error);
  g_assert_null (info);
  g_assert_error (error, VMGR_ERROR, VMGR_ERROR_HYPERVISOR);
  g_test_message ("host info during the outage: %s", error->message);
}

static gboolean
uuid_listed (Fixture *fx, const char *uuid)
{
  g_autoptr(GHashTable) states = list_states (fx);

  return g_hash_table_contains (states, uuid);
}

/* Nothing else holds the test driver: its state goes with the dropped
 * connection, and the new one starts afresh (only the built-in domain).
 * That is what vmgrd meets after a real libvirtd restart too, for
 * transient state; it redefines its VMs from its store on
 * "connection-restored". */
static void
test_reconnect (Fixture *fx, gconstpointer data)
{
  g_autofree char *before = define_domain (fx, "vmgr-backend-before-outage");
  g_autofree char *after = NULL;
  gint64 lost_at;

  disconnect_and_wait_lost (fx);
  lost_at = g_get_monotonic_time ();
  /* A second close notice about the same connection changes nothing. */
  vmgr_backend_simulate_disconnect (fx->backend);
  assert_calls_unavailable (fx, before);
  g_assert_cmpuint (fx->restored, ==, 0);

  wait_restored (fx, lost_at);
  g_assert_cmpuint (fx->lost, ==, 1);
  g_assert_false (uuid_listed (fx, before));
  g_assert_true (uuid_listed (fx, BUILTIN_UUID));

  /* Events are registered again. */
  after = define_domain (fx, "vmgr-backend-after-outage");
  op_ok (fx, after, VMGR_BACKEND_OP_START);
  wait_state_event (fx, after, VMGR_VM_STATE_RUNNING, "booted");
  assert_listed_state (fx, after, "vmgr-backend-after-outage-101", VMGR_VM_STATE_RUNNING, "booted");
}

/* A reference taken on the connection (as every task takes one) keeps
 * the dropped connection usable until released; on the test driver it
 * also keeps the driver's state, so the new connection sees it. */
static void
test_reconnect_connection_held (Fixture *fx, gconstpointer data)
{
  g_autofree char *uuid = define_domain (fx, "vmgr-backend-held");
  g_autoptr(GError) error = NULL;
  virConnectPtr held = vmgr_backend_ref_connection (fx->backend, &error);
  virDomainPtr domain;
  gint64 lost_at;

  g_assert_no_error (error);
  g_assert_nonnull (held);
  disconnect_and_wait_lost (fx);
  lost_at = g_get_monotonic_time ();
  g_assert_null (vmgr_backend_ref_connection (fx->backend, &error));
  assert_unavailable (error);

  /* Dropped by the backend, still alive for its holder. */
  domain = virDomainLookupByUUIDString (held, uuid);
  g_assert_nonnull (domain);
  virDomainFree (domain);

  wait_restored (fx, lost_at);
  assert_listed_state (fx, uuid, "vmgr-backend-held-101", VMGR_VM_STATE_STOPPED, "unknown");
  op_ok (fx, uuid, VMGR_BACKEND_OP_START);
  wait_state_event (fx, uuid, VMGR_VM_STATE_RUNNING, "booted");
  /* The last reference on the old connection. */
  g_assert_cmpint (virConnectClose (held), ==, 0);
}

/* Calls under way while the connection drops either complete or fail
 * with "unavailable"; nothing crashes (valgrind watches the rest). */
static void
test_disconnect_while_pending (Fixture *fx, gconstpointer data)
{
  GAsyncResult *results[8] = { NULL };
  gint64 lost_at;

  for (guint i = 0; i < G_N_ELEMENTS (results); i++)
    vmgr_backend_list_states_async (fx->backend, NULL, on_ready, &results[i]);
  disconnect_and_wait_lost (fx);
  lost_at = g_get_monotonic_time ();
  for (guint i = 0; i < G_N_ELEMENTS (results); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GHashTable) states =
        vmgr_backend_list_states_finish (fx->backend, await_result (&results[i]), &error);

      if (states == NULL)
        assert_unavailable (error);
      g_clear_object (&results[i]);
    }
  wait_restored (fx, lost_at);
  g_assert_true (uuid_listed (fx, BUILTIN_UUID));
}

/* The pending reconnection holds the backend weakly: dropped during an
 * outage, it goes at once. */
static void
test_unref_while_disconnected (void)
{
  g_autoptr(GError) error = NULL;
  Fixture fx = { NULL };

  fx.backend = vmgr_backend_new (TEST_URI, &error);
  g_assert_no_error (error);
  g_signal_connect (fx.backend, "connection-lost", G_CALLBACK (on_connection_lost), &fx);
  disconnect_and_wait_lost (&fx);
  unref_and_wait_finalized (g_steal_pointer (&fx.backend));
}

/* ---- console ---- */

static int
open_console (Fixture *fx, const char *uuid, GError **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  vmgr_backend_open_console_async (fx->backend, uuid, NULL, on_ready, &result);
  return vmgr_backend_open_console_finish (fx->backend, await_result (&result), error);
}

static void
assert_console_error (Fixture *fx, const char *uuid, gint code)
{
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (open_console (fx, uuid, &error), ==, -1);
  g_assert_error (error, VMGR_ERROR, code);
  g_test_message ("console of %s: %s", uuid, error->message);
}

/* The test driver has no console: virDomainOpenConsole fails with
 * VIR_ERR_NO_SUPPORT, which is NOT_SUPPORTED. */
static void
test_console_not_supported (Fixture *fx, gconstpointer data)
{
  assert_console_error (fx, BUILTIN_UUID, VMGR_ERROR_NOT_SUPPORTED);
  /* Nothing stays claimed after a failure. */
  assert_console_error (fx, BUILTIN_UUID, VMGR_ERROR_NOT_SUPPORTED);
}

static void
test_console_errors (Fixture *fx, gconstpointer data)
{
  g_autofree char *stopped = define_domain (fx, "vmgr-backend-console-stopped");
  g_autofree char *unknown = g_uuid_string_random ();

  assert_console_error (fx, stopped, VMGR_ERROR_INVALID_STATE);
  assert_console_error (fx, unknown, VMGR_ERROR_NOT_FOUND);
  assert_console_error (fx, "not-a-uuid", VMGR_ERROR_INVALID_ARGUMENT);
}

/* One session per domain: a second opener is BUSY while the first is
 * open or still opening, whatever the driver does. */
static void
test_console_busy (Fixture *fx, gconstpointer data)
{
  g_autoptr(GAsyncResult) first = NULL;
  g_autoptr(GAsyncResult) second = NULL;
  g_autoptr(GError) first_error = NULL;
  g_autoptr(GError) second_error = NULL;
  g_autofree char *upper = g_ascii_strup (BUILTIN_UUID, -1);

  vmgr_backend_open_console_async (fx->backend, BUILTIN_UUID, NULL, on_ready, &first);
  vmgr_backend_open_console_async (fx->backend, upper, NULL, on_ready, &second);
  g_assert_cmpint (vmgr_backend_open_console_finish (fx->backend, await_result (&second),
                                                     &second_error), ==, -1);
  g_assert_error (second_error, VMGR_ERROR, VMGR_ERROR_BUSY);
  g_assert_cmpint (vmgr_backend_open_console_finish (fx->backend, await_result (&first),
                                                     &first_error), ==, -1);
  g_assert_error (first_error, VMGR_ERROR, VMGR_ERROR_NOT_SUPPORTED);
  assert_console_error (fx, upper, VMGR_ERROR_NOT_SUPPORTED);
}

static void
test_console_unavailable (Fixture *fx, gconstpointer data)
{
  gint64 lost_at;

  disconnect_and_wait_lost (fx);
  lost_at = g_get_monotonic_time ();
  assert_console_error (fx, BUILTIN_UUID, VMGR_ERROR_HYPERVISOR);
  wait_restored (fx, lost_at);
  assert_console_error (fx, BUILTIN_UUID, VMGR_ERROR_NOT_SUPPORTED);
}

#define ADD_TEST(path, func) \
  g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  main_thread = g_thread_self ();

  g_test_add_func ("/backend/state-strings", test_state_strings);
  g_test_add_func ("/backend/bad-uri", test_bad_uri);
  g_test_add_func ("/backend/unref-while-pending", test_unref_while_pending);
  ADD_TEST ("/backend/capabilities", test_capabilities);
  ADD_TEST ("/backend/lifecycle", test_lifecycle);
  ADD_TEST ("/backend/reboot", test_reboot);
  ADD_TEST ("/backend/undefine", test_undefine);
  ADD_TEST ("/backend/undefine-stopped", test_undefine_stopped);
  ADD_TEST ("/backend/list-states", test_list_states);
  ADD_TEST ("/backend/not-found", test_not_found);
  ADD_TEST ("/backend/invalid-uuid", test_invalid_uuid);
  ADD_TEST ("/backend/invalid-state", test_invalid_state);
  ADD_TEST ("/backend/autostart", test_autostart);
  ADD_TEST ("/backend/define-error", test_define_error);
  ADD_TEST ("/backend/external-change", test_external_change);
  ADD_TEST ("/backend/cancelled", test_cancelled);
  ADD_TEST ("/backend/apply-live", test_apply_live);
  ADD_TEST ("/backend/apply-live-limits", test_apply_live_limits);
  ADD_TEST ("/backend/apply-live-stopped", test_apply_live_stopped);
  ADD_TEST ("/backend/apply-live-not-found", test_apply_live_not_found);
  ADD_TEST ("/backend/sample", test_sample);
  ADD_TEST ("/backend/sample-paused", test_sample_paused);
  ADD_TEST ("/backend/sample-devices", test_sample_devices);
  ADD_TEST ("/backend/sample-empty", test_sample_empty);
  ADD_TEST ("/backend/reconnect", test_reconnect);
  ADD_TEST ("/backend/reconnect-connection-held", test_reconnect_connection_held);
  ADD_TEST ("/backend/disconnect-while-pending", test_disconnect_while_pending);
  g_test_add_func ("/backend/unref-while-disconnected", test_unref_while_disconnected);
  ADD_TEST ("/backend/console-not-supported", test_console_not_supported);
  ADD_TEST ("/backend/console-errors", test_console_errors);
  ADD_TEST ("/backend/console-busy", test_console_busy);
  ADD_TEST ("/backend/console-unavailable", test_console_unavailable);
  ADD_TEST ("/backend/host-info", test_host_info);

  return g_test_run ();
}
