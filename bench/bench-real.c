/* bench-real.c: the rows on real LXC containers (see the header). */
#include "bench-real.h"

#include "bench-client.h"
#include "vmgr-test-client.h"
#include "vmgr-test-env.h"

#define VMGR_NAME "org.vmgr"
#define VMGR_VM_IFACE "org.vmgr.VM"
#define MANAGER_PATH "/org/vmgr/Manager"
#define MiB (G_GUINT64_CONSTANT (1) << 20)
#define TEMPLATE "busybox"
/* The slow operations are slow by construction, so that all of them stay
 * in flight while the reads are timed: a provisioning copies a template
 * with FILLER_MIB MiB more in 4 KiB files (copying is bound by the number
 * of files, as for a real root file system), a graceful shutdown waits
 * for an init that
 * takes GUEST_SHUTDOWN_S seconds to exit on TERM. */
#define SLOW_PROVISION_TEMPLATE "bench-big"
#define SLOW_SHUTDOWN_TEMPLATE "bench-slow-shutdown"
#define FILLER_MIB 40
#define GUEST_SHUTDOWN_S 5
#define BENCH_VM_NAME "bench-real"
#define BENCH_VM_ID 4343u
#define SHUTDOWN_TIMEOUT_S 60u
#define WAIT_MS 180000u
#define POLL_MS 50u
#define CALL_TIMEOUT_MS 60000
/* No network (50 containers on the 'default' bridge would measure dnsmasq),
 * no capacity cap (the ledger would refuse the load). */
#define DAEMON_CONFIG \
  "[daemon]\nnetwork=\n" \
  "[resources]\ncpu_overcommit=0\nmemory_overcommit=0\ndisk_overcommit=0\n"

/* Each read alternates with a Peer.Ping in one client (the ping rows):
 * the ping is answered by GDBus's worker thread in vmgrd, the read by its
 * main loop, so the ping is the machine's share of what the read sees. */
static const struct {
  const char *id, *label, *user, *bare_id;
} rows[] = {
  { "real.ping.idle.root", "Peer.Ping, alternated, LXC, idle", "root", NULL },
  { "real.state.idle.root", "Get VM.State, LXC, idle (alt ping)", "root",
    "real.ping.idle.root" },
  { "real.ping.idle.alice", "Peer.Ping, alternated, LXC, idle", "alice", NULL },
  { "real.state.idle.alice", "Get VM.State, own VM, LXC, idle (alt ping)", "alice",
    "real.ping.idle.alice" },
  { "real.ping.loaded.root", "Peer.Ping, alternated, slow operations in flight", "root",
    NULL },
  { "real.state.loaded.root", "Get VM.State, slow operations in flight (alt)", "root",
    "real.ping.loaded.root" },
  { "real.provisioning.root", "  provisionings in flight after the last read", "root", NULL },
  { "real.stopping.root", "  graceful shutdowns in flight after the last read", "root",
    NULL },
  { "real.p99.root", "p99 in flight / p99 idle, Get VM.State", "root", NULL },
  { "real.p99.ping.root", "p99 in flight / p99 idle, Peer.Ping", "root", NULL },
  { "real.p99.vs-ping.root", "p99 in flight, Get VM.State / Peer.Ping", "root", NULL },
  { "real.ping.loaded.alice", "Peer.Ping, alternated, slow operations in flight", "alice",
    NULL },
  { "real.state.loaded.alice", "Get VM.State, own VM, slow ops in flight (alt)", "alice",
    "real.ping.loaded.alice" },
  { "real.provisioning.alice", "  provisionings in flight after the last read", "alice",
    NULL },
  { "real.stopping.alice", "  graceful shutdowns in flight after the last read", "alice",
    NULL },
  { "real.p99.alice", "p99 in flight / p99 idle, Get VM.State", "alice", NULL },
  { "real.p99.ping.alice", "p99 in flight / p99 idle, Peer.Ping", "alice", NULL },
  { "real.p99.vs-ping.alice", "p99 in flight, Get VM.State / Peer.Ping", "alice", NULL },
  { "real.event.libvirt", "suspend/resume returned -> libvirt event (own conn)", "root",
    NULL },
  { "real.event.vmgr", "suspend/resume returned -> PropertiesChanged", "root", NULL },
  { "real.event.delta", "libvirt event -> PropertiesChanged (State)", "root",
    "real.ping.idle.root" },
};

typedef struct {
  const BenchReal *real;
  VmgrTestClient *client;
  char *vm_path;
  GPtrArray *victims;    /* paths of the running VMs that are shut down */
  guint created;         /* VMs created so far (their names) */
} RealRun;

void
bench_real_add_rows (const BenchReal *real)
{
  for (gsize i = 0; i < G_N_ELEMENTS (rows); i++)
    bench_report_add (real->report, rows[i].id, rows[i].id[5] == 'e' ? "13" : "12",
                      rows[i].label, rows[i].user, rows[i].bare_id, NULL);
}

static void
mark_unmeasured (const BenchReal *real, BenchRowStatus status, const char *why)
{
  for (gsize i = 0; i < G_N_ELEMENTS (rows); i++)
    {
      BenchRow *row = bench_report_find (real->report, rows[i].id);

      if (row->status == BENCH_ROW_PENDING)
        bench_row_set_status (row, status, why);
    }
}

/* ---- VMs ------------------------------------------------------------------------ */

static char *
read_string (RealRun *run, const char *path, const char *property)
{
  g_autoptr(GVariant) value = vmgr_test_read_vm_property (run->client, path, property);

  return g_variant_dup_string (value, NULL);
}

static gboolean
is_provisioning (RealRun *run, const char *path)
{
  g_autofree char *job = read_string (run, path, "Job");

  return g_strcmp0 (job, "/") != 0;
}

static gboolean
has_state (RealRun *run, const char *path, const char *state)
{
  g_autofree char *current = read_string (run, path, "State");

  return g_strcmp0 (current, state) == 0;
}

typedef gboolean (*PathTest) (RealRun *run, const char *path, gconstpointer data);

static guint
count_paths (RealRun *run, GPtrArray *paths, PathTest test, gconstpointer data)
{
  guint count = 0;

  for (guint i = 0; i < paths->len; i++)
    count += test (run, g_ptr_array_index (paths, i), data) ? 1 : 0;
  return count;
}

static gboolean
test_provisioning (RealRun *run, const char *path, gconstpointer data)
{
  return is_provisioning (run, path);
}

static gboolean
test_state (RealRun *run, const char *path, gconstpointer state)
{
  return has_state (run, path, state);
}

static gboolean
test_not_state (RealRun *run, const char *path, gconstpointer state)
{
  return !has_state (run, path, state);
}

/* Polls until no path of @paths passes @test; FALSE after WAIT_MS. */
static gboolean
wait_none (RealRun *run, GPtrArray *paths, PathTest test, gconstpointer data)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) WAIT_MS * 1000;

  while (count_paths (run, paths, test, data) > 0)
    {
      if (g_get_monotonic_time () > deadline)
        return FALSE;
      g_usleep (POLL_MS * 1000);
    }
  return TRUE;
}

static GVariant *
create_options (guint32 owner, guint32 id)
{
  GVariantDict options;

  g_variant_dict_init (&options, NULL);
  if (owner != 0)
    g_variant_dict_insert (&options, "owner", "u", owner);
  if (id != 0)
    g_variant_dict_insert (&options, "id", "u", id);
  g_variant_dict_insert (&options, "memory_limit", "t", 64 * MiB);
  return g_variant_dict_end (&options);
}

static GVariant *
create_args (RealRun *run, const char *name, const char *template_name)
{
  g_autofree char *unique = g_strdup_printf ("%s-%u", name, run->created++);

  return g_variant_new ("(sss@a{sv})", unique, template_name, "", create_options (0, 0));
}

/* Slow operations issued together; done when every call has its reply. */
typedef struct {
  guint pending;
  char *error;           /* the first failure */
  GPtrArray *created;    /* paths CreateVM answered */
} SlowOps;

static void
on_slow_reply (GObject *source, GAsyncResult *result, gpointer user_data)
{
  SlowOps *ops = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source),
                                                              result, &error);

  ops->pending--;
  if (reply == NULL && ops->error == NULL)
    ops->error = g_strdup (error->message);
  else if (reply != NULL && g_variant_is_of_type (reply, G_VARIANT_TYPE ("(o)")))
    {
      const char *path;

      g_variant_get (reply, "(&o)", &path);
      g_ptr_array_add (ops->created, g_strdup (path));
    }
}

static void
issue (RealRun *run, SlowOps *ops, const char *path, const char *method, GVariant *args)
{
  ops->pending++;
  g_dbus_connection_call (run->client->bus, VMGR_NAME, path,
                          g_str_equal (path, MANAGER_PATH) ? "org.vmgr.Manager" : VMGR_VM_IFACE,
                          method, args,
                          NULL, G_DBUS_CALL_FLAGS_NONE, CALL_TIMEOUT_MS, NULL, on_slow_reply,
                          ops);
}

static gboolean
wait_replies (SlowOps *ops)
{
  while (ops->pending > 0)
    g_main_context_iteration (NULL, TRUE);
  return ops->error == NULL;
}

/* CreateVM @count VMs named @name-N at once; their paths into @created once
 * provisioned. */
static gboolean
create_provisioned (RealRun *run, const char *name, const char *template_name, guint count,
                    GPtrArray *created, GError **error)
{
  SlowOps ops = { 0, NULL, created };

  for (guint i = 0; i < count; i++)
    issue (run, &ops, MANAGER_PATH, "CreateVM", create_args (run, name, template_name));
  if (!wait_replies (&ops))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "CreateVM: %s", ops.error);
      g_free (ops.error);
      return FALSE;
    }
  if (!wait_none (run, created, test_provisioning, NULL))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "provisioning timed out");
      return FALSE;
    }
  return TRUE;
}

/* One at a time: with 25 containers started at once, libvirt's LXC driver
 * here sometimes never learns a container's init ("Init process ID is not
 * yet known" to every shutdown after). */
static gboolean
start_all (RealRun *run, GPtrArray *paths, GError **error)
{
  for (guint i = 0; i < paths->len; i++)
    {
      SlowOps ops = { 0, NULL, NULL };

      issue (run, &ops, g_ptr_array_index (paths, i), "Start", NULL);
      if (!wait_replies (&ops))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "Start: %s", ops.error);
          g_free (ops.error);
          return FALSE;
        }
    }
  if (!wait_none (run, paths, test_not_state, "running"))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "start timed out");
      return FALSE;
    }
  return TRUE;
}

static char *
create_bench_vm (RealRun *run, GError **error)
{
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GPtrArray) one = g_ptr_array_new_with_free_func (g_free);
  const char *path;

  reply = vmgr_test_call (run->client, MANAGER_PATH, "org.vmgr.Manager", "CreateVM",
                          g_variant_new ("(sss@a{sv})", BENCH_VM_NAME, TEMPLATE, "",
                                         create_options (VMGR_TEST_UID_ALICE, BENCH_VM_ID)),
                          error);
  if (reply == NULL)
    return NULL;
  g_variant_get (reply, "(&o)", &path);
  g_ptr_array_add (one, g_strdup (path));
  if (!wait_none (run, one, test_provisioning, NULL) || !start_all (run, one, error))
    {
      if (error != NULL && *error == NULL)
        g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "provisioning timed out");
      return NULL;
    }
  return g_strdup (path);
}

/* A copy of busybox-lxc at $VMGR_TESTBUS_DIR/@name, changed by @command
 * (a shell command run in that directory). */
static char *
make_template (const char *source, const char *name, const char *command, GError **error)
{
  g_autofree char *dir = g_build_filename (g_getenv ("VMGR_TESTBUS_DIR"), name, NULL);
  g_autofree char *script = g_strdup_printf ("rm -rf '%s' && cp -a '%s' '%s' && cd '%s' && %s",
                                             dir, source, dir, dir, command);
  const char *argv[] = { "/bin/sh", "-c", script, NULL };
  int status = -1;

  if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, NULL, NULL,
                     &status, error) ||
      !g_spawn_check_wait_status (status, error))
    return NULL;
  return g_steal_pointer (&dir);
}

static void
add_template (RealRun *run, const char *name, const char *source, GError **error)
{
  g_autoptr(GVariant) reply = NULL;
  GVariantDict props;

  g_variant_dict_init (&props, NULL);
  g_variant_dict_insert (&props, "os", "s", "busybox");
  g_variant_dict_insert (&props, "source", "s", source);
  reply = vmgr_test_call (run->client, MANAGER_PATH, "org.vmgr.Manager", "AddTemplate",
                          g_variant_new ("(s@a{sv})", name, g_variant_dict_end (&props)),
                          error);
}

static gboolean
add_templates (RealRun *run, const char *source, GError **error)
{
  g_autofree char *filler = g_strdup_printf ("mkdir filler && cd filler && head -c %dM "
                                             "/dev/urandom | split -b 4096 -a 5 -", FILLER_MIB);
  g_autofree char *init = g_strdup_printf (
    "printf '%%s\\n' '#!/bin/sh' \"trap 'sleep %d; exit 0' TERM\" "
    "'while :; do sleep 1; done' > sbin/init.new && chmod 755 sbin/init.new && "
    "mv sbin/init.new sbin/init", GUEST_SHUTDOWN_S);
  g_autofree char *big = make_template (source, SLOW_PROVISION_TEMPLATE, filler, error);
  g_autofree char *slow = big != NULL ? make_template (source, SLOW_SHUTDOWN_TEMPLATE, init,
                                                       error)
                                      : NULL;

  if (slow == NULL)
    return FALSE;
  add_template (run, TEMPLATE, source, error);
  if (*error == NULL)
    add_template (run, SLOW_PROVISION_TEMPLATE, big, error);
  if (*error == NULL)
    add_template (run, SLOW_SHUTDOWN_TEMPLATE, slow, error);
  return *error == NULL;
}

/* ---- rows ----------------------------------------------------------------------- */

/* Rows real.{ping,state}.@phase.@user: Get VM.State alternated with a
 * Peer.Ping. */
static void
measure_reads (RealRun *run, const char *phase, const char *user, guint iterations)
{
  g_autofree char *ping_id = g_strdup_printf ("real.ping.%s.%s", phase, user);
  g_autofree char *state_id = g_strdup_printf ("real.state.%s.%s", phase, user);
  BenchRow *row = bench_report_find (run->real->report, state_id);
  BenchCall ping = { BENCH_CALL_PING, VMGR_NAME, "/", NULL, NULL };
  BenchCall state = { BENCH_CALL_GET, VMGR_NAME, run->vm_path, VMGR_VM_IFACE, "State" };
  g_auto(BenchClientResult) result = { 0 };
  g_autoptr(GError) error = NULL;

  g_printerr ("vmgr-bench: %s: %u rounds as %s\n", state_id, iterations, user);
  if (!bench_client_run_alternated (run->real->self_path, user, &state, &ping, iterations,
                                    run->real->warmup, &result, &error))
    bench_row_set_status (row, BENCH_ROW_FAILED, error->message);
  else if (result.error_name != NULL)
    bench_row_set_status (row, BENCH_ROW_FAILED, result.error_message);
  else
    {
      bench_row_set_samples (row, result.samples_us);
      bench_row_set_samples (bench_report_find (run->real->report, ping_id),
                             result.reference_us);
    }
}

/* Starts slow_ops / 2 provisionings and as many graceful shutdowns of the
 * running victims, and waits for every call's reply (CreateVM answers when
 * the provisioning job starts, Shutdown when libvirt accepted the request):
 * then all of them are in flight. */
static gboolean
start_slow_ops (RealRun *run, SlowOps *ops)
{
  for (guint i = 0; i < run->victims->len; i++)
    {
      issue (run, ops, MANAGER_PATH, "CreateVM",
             create_args (run, "load", SLOW_PROVISION_TEMPLATE));
      issue (run, ops, g_ptr_array_index (run->victims, i), "Shutdown",
             g_variant_new ("(u)", SHUTDOWN_TIMEOUT_S));
    }
  return wait_replies (ops);
}

static gboolean
finish_slow_ops (RealRun *run, SlowOps *ops, GError **error)
{
  if (!wait_none (run, ops->created, test_provisioning, NULL) ||
      !wait_none (run, run->victims, test_not_state, "stopped"))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                           "slow operations did not finish");
      return FALSE;
    }
  /* running again for the next loaded row */
  return start_all (run, run->victims, error);
}

/* Row @ratio_id = p99 of row @numerator_id / p99 of row @denominator_id,
 * when both were measured. */
static void
set_p99_quotient (RealRun *run, const char *ratio_id, const char *numerator_id,
                  const char *denominator_id)
{
  BenchRow *numerator = bench_report_find (run->real->report, numerator_id);
  BenchRow *denominator = bench_report_find (run->real->report, denominator_id);

  if (numerator->status == BENCH_ROW_OK && denominator->status == BENCH_ROW_OK &&
      denominator->stats.p99_ms > 0)
    bench_row_set_value (bench_report_find (run->real->report, ratio_id),
                         numerator->stats.p99_ms / denominator->stats.p99_ms, "x");
}

/* real.p99.[ping.]@user: p99 in flight / p99 idle, for the read and for its
 * alternated ping; real.p99.vs-ping.@user: the read's p99 in flight / its
 * ping's, what vmgrd's main loop adds to the bus's own tail under the same
 * load. */
static void
set_p99_ratios (RealRun *run, const char *user)
{
  g_autofree char *state_idle = g_strdup_printf ("real.state.idle.%s", user);
  g_autofree char *state_loaded = g_strdup_printf ("real.state.loaded.%s", user);
  g_autofree char *ping_idle = g_strdup_printf ("real.ping.idle.%s", user);
  g_autofree char *ping_loaded = g_strdup_printf ("real.ping.loaded.%s", user);
  g_autofree char *state_ratio = g_strdup_printf ("real.p99.%s", user);
  g_autofree char *ping_ratio = g_strdup_printf ("real.p99.ping.%s", user);
  g_autofree char *against_ping = g_strdup_printf ("real.p99.vs-ping.%s", user);

  set_p99_quotient (run, state_ratio, state_loaded, state_idle);
  set_p99_quotient (run, ping_ratio, ping_loaded, ping_idle);
  set_p99_quotient (run, against_ping, state_loaded, ping_loaded);
}

static gboolean
measure_loaded (RealRun *run, const char *user, GError **error)
{
  g_autofree char *provisioning_id = g_strdup_printf ("real.provisioning.%s", user);
  g_autofree char *stopping_id = g_strdup_printf ("real.stopping.%s", user);
  g_autoptr(GPtrArray) created = g_ptr_array_new_with_free_func (g_free);
  SlowOps ops = { 0, NULL, created };

  g_printerr ("vmgr-bench: %u slow operations\n", run->victims->len * 2);
  if (!start_slow_ops (run, &ops))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "slow operations: %s", ops.error);
      g_free (ops.error);
      return FALSE;
    }
  measure_reads (run, "loaded", user, run->real->loaded_iterations);
  bench_row_set_value (bench_report_find (run->real->report, provisioning_id),
                       count_paths (run, ops.created, test_provisioning, NULL), "ops");
  bench_row_set_value (bench_report_find (run->real->report, stopping_id),
                       count_paths (run, run->victims, test_state, "stopping"), "ops");
  set_p99_ratios (run, user);
  return finish_slow_ops (run, &ops, error);
}

static gboolean
measure_all (RealRun *run, GError **error)
{
  g_autofree char *domain = g_strdup_printf ("%s-%u", BENCH_VM_NAME, BENCH_VM_ID);

  if (!create_provisioned (run, "slow", SLOW_SHUTDOWN_TEMPLATE, run->real->slow_ops / 2,
                           run->victims, error) ||
      !start_all (run, run->victims, error))
    return FALSE;
  measure_reads (run, "idle", "root", run->real->iterations);
  measure_reads (run, "idle", "alice", run->real->iterations);
  if (!measure_loaded (run, "root", error) || !measure_loaded (run, "alice", error))
    return FALSE;
  bench_real_measure_events (run->real, run->vm_path, domain);
  return TRUE;
}

void
bench_real_measure (const BenchReal *real)
{
  const char *uri = g_getenv ("VMGR_LIBVIRT_LXC_URI");
  g_autoptr(GError) error = NULL;
  g_autofree char *template_dir = NULL;
  g_autofree char *state_dir = NULL;
  VmgrTestDaemon *daemon;
  RealRun run = { real, NULL, NULL, g_ptr_array_new_with_free_func (g_free), 0 };

  if (uri == NULL || *uri == '\0')
    {
      mark_unmeasured (real, BENCH_ROW_SKIPPED,
                       uri == NULL ? "not under tests/harness/libvirtd.sh"
                                   : g_getenv ("VMGR_LIBVIRT_LXC_ERROR"));
      g_ptr_array_unref (run.victims);
      return;
    }
  template_dir = vmgr_test_ensure_template ("busybox-lxc", "lxc");
  state_dir = vmgr_test_make_state_dir ();
  g_setenv ("VMGR_TEST_DAEMON_URI", uri, TRUE);
  daemon = vmgr_test_daemon_start (state_dir, DAEMON_CONFIG);
  run.client = vmgr_test_client_new ();
  if (add_templates (&run, template_dir, &error))
    run.vm_path = create_bench_vm (&run, &error);
  if (run.vm_path == NULL || !measure_all (&run, &error))
    {
      mark_unmeasured (real, BENCH_ROW_FAILED, error->message);
      vmgr_test_daemon_dump_log (daemon);
    }
  vmgr_test_daemon_stop (daemon);
  vmgr_test_daemon_free (daemon);
  g_unsetenv ("VMGR_TEST_DAEMON_URI");
  vmgr_test_remove_dir (state_dir);
  g_clear_pointer (&run.client, vmgr_test_client_free);
  g_free (run.vm_path);
  g_ptr_array_unref (run.victims);
}
