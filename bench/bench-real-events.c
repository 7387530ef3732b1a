/* bench-real-events.c: from a lifecycle change made outside vmgrd to
 * PropertiesChanged at a client (item 13 of bench/README.md).
 *
 * The bench process suspends and resumes the container itself through its
 * own libvirt connection (as virsh would: vmgrd is not asked), and keeps
 * three clocks:
 *   - when virDomainSuspend/Resume returned;
 *   - when libvirt's lifecycle event reached this process's own libvirt
 *     connection (the default event loop, in a thread of its own): the
 *     reference for when vmgrd's connection received the same event;
 *   - when PropertiesChanged with the new State reached this process's
 *     D-Bus connection (a GDBus filter, in GDBus's worker thread, as the
 *     message is read from the socket, before any main loop dispatch).
 * All three are g_get_monotonic_time (). */
#include "bench-real.h"

#include <libvirt/libvirt.h>

#include "vmgr-test-client.h"

#define WAIT_US (5 * G_USEC_PER_SEC)
#define SETTLE_US (20 * 1000)

typedef struct {
  GMutex lock;
  GCond changed;
  const char *vm_path;
  const char *expected_state;  /* "paused" or "running" */
  int expected_event;          /* VIR_DOMAIN_EVENT_SUSPENDED or _RESUMED */
  gint64 libvirt_us;           /* 0 until seen */
  gint64 dbus_us;
} EventClocks;

typedef struct {
  virConnectPtr conn;
  GThread *thread;
  gint stop;
} EventLoop;

static void
on_lifecycle (virConnectPtr conn, virDomainPtr domain, int event, int detail, void *opaque)
{
  EventClocks *clocks = opaque;
  gint64 now = g_get_monotonic_time ();

  g_mutex_lock (&clocks->lock);
  if (event == clocks->expected_event && clocks->libvirt_us == 0)
    {
      clocks->libvirt_us = now;
      g_cond_broadcast (&clocks->changed);
    }
  g_mutex_unlock (&clocks->lock);
}

/* Whether @message is PropertiesChanged of org.vmgr.VM's State = @state. */
static gboolean
announces_state (GDBusMessage *message, const char *path, const char *state)
{
  GVariant *body = g_dbus_message_get_body (message);
  g_autoptr(GVariant) changed = NULL;
  const char *value = NULL;

  if (g_dbus_message_get_message_type (message) != G_DBUS_MESSAGE_TYPE_SIGNAL ||
      g_strcmp0 (g_dbus_message_get_member (message), "PropertiesChanged") != 0 ||
      g_strcmp0 (g_dbus_message_get_path (message), path) != 0 || body == NULL ||
      !g_variant_is_of_type (body, G_VARIANT_TYPE ("(sa{sv}as)")))
    return FALSE;
  changed = g_variant_get_child_value (body, 1);
  return g_variant_lookup (changed, "State", "&s", &value) && g_strcmp0 (value, state) == 0;
}

static GDBusMessage *
on_message (GDBusConnection *connection, GDBusMessage *message, gboolean incoming,
            gpointer user_data)
{
  EventClocks *clocks = user_data;
  gint64 now = g_get_monotonic_time ();

  if (!incoming)
    return message;
  g_mutex_lock (&clocks->lock);
  if (clocks->dbus_us == 0 && clocks->expected_state != NULL &&
      announces_state (message, clocks->vm_path, clocks->expected_state))
    {
      clocks->dbus_us = now;
      g_cond_broadcast (&clocks->changed);
    }
  g_mutex_unlock (&clocks->lock);
  return message;
}

static void
wake_up (int timer, void *opaque)
{
}

static gpointer
run_event_loop (gpointer data)
{
  EventLoop *loop = data;

  while (!g_atomic_int_get (&loop->stop))
    virEventRunDefaultImpl ();
  return NULL;
}

/* One change: @change on @domain, then both clocks. FALSE on failure or
 * when either clock did not tick within WAIT_US. */
static gboolean
time_change (EventClocks *clocks, virDomainPtr domain, int (*change) (virDomainPtr),
             const char *state, int event, gint64 *returned_us)
{
  gint64 deadline;
  gboolean seen;

  g_mutex_lock (&clocks->lock);
  clocks->expected_state = state;
  clocks->expected_event = event;
  clocks->libvirt_us = clocks->dbus_us = 0;
  g_mutex_unlock (&clocks->lock);
  if (change (domain) < 0)
    return FALSE;
  *returned_us = g_get_monotonic_time ();
  deadline = *returned_us + WAIT_US;
  g_mutex_lock (&clocks->lock);
  while ((clocks->libvirt_us == 0 || clocks->dbus_us == 0) &&
         g_cond_wait_until (&clocks->changed, &clocks->lock, deadline))
    ;
  seen = clocks->libvirt_us != 0 && clocks->dbus_us != 0;
  clocks->expected_state = NULL;
  g_mutex_unlock (&clocks->lock);
  return seen;
}

static void
append (GArray *samples, gint64 us)
{
  g_array_append_val (samples, us);
}

static void
set_samples (const BenchReal *real, const char *id, GArray *samples)
{
  bench_row_set_samples (bench_report_find (real->report, id), samples);
}

static void
set_failed (const BenchReal *real, const char *why)
{
  static const char * const ids[] = { "real.event.libvirt", "real.event.vmgr",
                                      "real.event.delta" };

  for (gsize i = 0; i < G_N_ELEMENTS (ids); i++)
    bench_row_set_status (bench_report_find (real->report, ids[i]), BENCH_ROW_FAILED, why);
}

static const char *
measure_rounds (const BenchReal *real, EventClocks *clocks, virDomainPtr domain)
{
  g_autoptr(GArray) to_libvirt = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(GArray) to_vmgr = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(GArray) delta = g_array_new (FALSE, FALSE, sizeof (gint64));

  g_printerr ("vmgr-bench: real.event: %u suspend/resume rounds\n", real->event_rounds);
  for (guint i = 0; i < 2 * real->event_rounds; i++)
    {
      gboolean suspend = i % 2 == 0;
      gint64 returned;

      if (!time_change (clocks, domain, suspend ? virDomainSuspend : virDomainResume,
                        suspend ? "paused" : "running",
                        suspend ? VIR_DOMAIN_EVENT_SUSPENDED : VIR_DOMAIN_EVENT_RESUMED,
                        &returned))
        return suspend ? "suspend: no event or no PropertiesChanged within 5 s"
                       : "resume: no event or no PropertiesChanged within 5 s";
      append (to_libvirt, clocks->libvirt_us - returned);
      append (to_vmgr, clocks->dbus_us - returned);
      append (delta, clocks->dbus_us - clocks->libvirt_us);
      g_usleep (SETTLE_US);
    }
  set_samples (real, "real.event.libvirt", to_libvirt);
  set_samples (real, "real.event.vmgr", to_vmgr);
  set_samples (real, "real.event.delta", delta);
  return NULL;
}

void
bench_real_measure_events (const BenchReal *real, const char *vm_path, const char *domain_name)
{
  EventClocks clocks = { .vm_path = vm_path };
  EventLoop loop = { 0 };
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  g_autoptr(VmgrDBusVM) vm G_GNUC_UNUSED = vmgr_test_client_vm (client, vm_path); /* subscribes */
  virDomainPtr domain = NULL;
  const char *failure = "cannot open lxc:///system or find the domain";
  guint filter;
  int callback = -1, timer = -1;

  g_mutex_init (&clocks.lock);
  g_cond_init (&clocks.changed);
  filter = g_dbus_connection_add_filter (client->bus, on_message, &clocks, NULL);
  if (virEventRegisterDefaultImpl () == 0 &&
      (timer = virEventAddTimeout (100, wake_up, NULL, NULL)) >= 0 &&
      (loop.conn = virConnectOpen ("lxc:///system")) != NULL &&
      (domain = virDomainLookupByName (loop.conn, domain_name)) != NULL &&
      (callback = virConnectDomainEventRegisterAny (loop.conn, domain,
                                                    VIR_DOMAIN_EVENT_ID_LIFECYCLE,
                                                    VIR_DOMAIN_EVENT_CALLBACK (on_lifecycle),
                                                    &clocks, NULL)) >= 0)
    {
      loop.thread = g_thread_new ("libvirt-events", run_event_loop, &loop);
      failure = measure_rounds (real, &clocks, domain);
    }
  if (failure != NULL)
    set_failed (real, failure);
  if (callback >= 0)
    virConnectDomainEventDeregisterAny (loop.conn, callback);
  if (loop.thread != NULL)
    {
      g_atomic_int_set (&loop.stop, 1);
      g_thread_join (loop.thread);
    }
  if (timer >= 0)
    virEventRemoveTimeout (timer);
  if (domain != NULL)
    virDomainFree (domain);
  if (loop.conn != NULL)
    virConnectClose (loop.conn);
  g_dbus_connection_remove_filter (client->bus, filter);
  g_cond_clear (&clocks.changed);
  g_mutex_clear (&clocks.lock);
}
