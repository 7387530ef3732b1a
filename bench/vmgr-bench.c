/* vmgr-bench: what vmgr's authorization costs per call.
 *
 * On the private system bus of tests/harness/testbus.sh (real polkitd, the
 * project's policy and rules, test users), measures one synchronous call
 * at a time from a client process of its own, as root and as alice (a
 * customer): a bare round trip to vmgrd, a public property read, a VM
 * property read with vmgrd's default decision cache and with cache_ttl=0,
 * and a comparable property read from libvirt-dbus on the same bus and the
 * same libvirt driver (test:///default). See bench/README.md.
 *
 *   tests/harness/testbus.sh -- build/bench/vmgr-bench [-n N] [-u N] [-w N]
 *
 * With --real-lxc also the rows on real LXC containers (bench-real.c),
 * under tests/harness/libvirtd.sh inside testbus.sh (bench/run.sh does).
 *
 * Prints a table and then one JSON line on stdout; progress goes to stderr.
 * Exits 0 when every row was measured (or refused where a refusal is the
 * expected answer), 1 otherwise, 77 (skipped) outside the harness. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "bench-client.h"
#include "bench-floor.h"
#include "bench-libvirt-dbus.h"
#include "bench-real.h"
#include "bench-report.h"
#include "bench-scale.h"
#include "vmgr-config.h"
#include "vmgr-test-env.h"

#define EXIT_SKIP 77

#define VMGR_NAME "org.vmgr"
#define VMGR_MANAGER_PATH "/org/vmgr/Manager"
#define VMGR_MANAGER_IFACE "org.vmgr.Manager"
#define VMGR_VM_IFACE "org.vmgr.VM"
/* alice's VM; the template and plan are seeded by vmgrd (vmgr-seed.c). */
#define BENCH_VM_ID 4242u
#define BENCH_VM_NAME "bench-alice"
#define BENCH_VM_TEMPLATE "debian-12"
#define BENCH_VM_PLAN "basic"
#define UNCACHED_CONFIG "[auth]\ncache_ttl=0\n"
/* The test driver's built-in domain. */
#define LIBVIRT_TEST_DOMAIN "test"
#define CALL_TIMEOUT_MS 30000

#define ROOT "root"
#define ALICE "alice"

#define LIBVIRT_ALICE_POLICY_FILE "vmgr-bench-libvirt-alice.conf"
#define LIBVIRT_ALICE_POLICY \
  "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN\"\n" \
  " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n" \
  "<!-- vmgr-bench only: alice may call libvirt-dbus, as members of group\n" \
  "     \"libvirt\" may under the packaged policy (org.libvirt.conf). -->\n" \
  "<busconfig>\n" \
  "  <policy user=\"" ALICE "\">\n" \
  "    <allow send_destination=\"" BENCH_LIBVIRT_DBUS_NAME "\"/>\n" \
  "  </policy>\n" \
  "</busconfig>\n"

typedef struct {
  gint iterations;
  gint uncached_iterations;
  gint warmup;
  gboolean no_libvirt_dbus;
  char *vms;                 /* sizes of the scale rows, "1000,10000"; "0" = none */
  gint inventory_iterations;
  gint running;
  gint sample_window_s;
  char *resources;           /* vmgrd's [resources] for the scale rows */
  gboolean real_lxc;         /* the rows on real LXC containers */
  gint loaded_iterations;
  gint slow_ops;
  gint event_rounds;
} BenchOptions;

typedef struct {
  BenchOptions options;
  char *self_path;
  GDBusConnection *bus;  /* root's, for setting up */
  BenchReport *report;
} Bench;

/* The rows, in the order of bench/README.md. */
static const struct {
  const char *id, *item, *label, *user, *bare_id, *libvirt_id;
} rows[] = {
  { "vmgr.ping.root", "1", "Peer.Ping to org.vmgr (bare round trip)", ROOT,
    "vmgr.ping.root", NULL },
  { "vmgr.ping.alice", "1", "Peer.Ping to org.vmgr (bare round trip)", ALICE,
    "vmgr.ping.alice", NULL },
  { "vmgr.version.root", "2", "Get Manager.Version (public, no polkit)", ROOT,
    "vmgr.ping.root", NULL },
  { "vmgr.version.alice", "2", "Get Manager.Version (public, no polkit)", ALICE,
    "vmgr.ping.alice", NULL },
  { "vmgr.state.cached.alice", "3", "Get VM.State, own VM, cached decision", ALICE,
    "vmgr.ping.alice", "libvirt.name.alice" },
  { "vmgr.state.uncached.alice", "4", "Get VM.State, own VM, cache_ttl=0: polkit", ALICE,
    "vmgr.ping.alice", "libvirt.name.alice" },
  { "vmgr.state.cached.root", "5", "Get VM.State, alice's VM, cached decision", ROOT,
    "vmgr.ping.root", "libvirt.name.root" },
  { "vmgr.state.uncached.root", "5", "Get VM.State, alice's VM, cache_ttl=0", ROOT,
    "vmgr.ping.root", "libvirt.name.root" },
  { "libvirt.ping.root", "6", "Peer.Ping to org.libvirt (bare round trip)", ROOT,
    "vmgr.ping.root", NULL },
  { "libvirt.name.root", "6", "libvirt-dbus: Get Domain.Name", ROOT,
    "vmgr.ping.root", NULL },
  { "libvirt.name.alice.packaged", "6", "libvirt-dbus: Get Domain.Name, packaged policy", ALICE,
    "vmgr.ping.alice", NULL },
  { "libvirt.name.alice", "6", "libvirt-dbus: Get Domain.Name, +bench policy", ALICE,
    "vmgr.ping.alice", NULL },
  /* Each read alternated with a Peer.Ping in one client (the ping rows). */
  { "alt.ping.get.root", "10", "Peer.Ping, alternated with Get VM.State", ROOT, NULL, NULL },
  { "alt.get.root", "10", "Get VM.State, cached (alt ping)", ROOT, "alt.ping.get.root",
    "libvirt.name.root" },
  { "alt.ping.getall.root", "10", "Peer.Ping, alternated with GetAll VM", ROOT, NULL, NULL },
  { "alt.getall.root", "10", "GetAll org.vmgr.VM, cached (alt ping)", ROOT,
    "alt.ping.getall.root", NULL },
  { "alt.ping.stats.root", "10", "Peer.Ping, alternated with GetStats", ROOT, NULL, NULL },
  { "alt.stats.root", "10", "VM.GetStats, cached (alt ping)", ROOT, "alt.ping.stats.root",
    NULL },
  { "alt.ping.get.alice", "10", "Peer.Ping, alternated with Get VM.State", ALICE, NULL, NULL },
  { "alt.get.alice", "10", "Get VM.State, own VM, cached (alt ping)", ALICE,
    "alt.ping.get.alice", "libvirt.name.alice" },
  { "alt.ping.getall.alice", "10", "Peer.Ping, alternated with GetAll VM", ALICE, NULL, NULL },
  { "alt.getall.alice", "10", "GetAll org.vmgr.VM, own VM, cached (alt ping)", ALICE,
    "alt.ping.getall.alice", NULL },
  { "alt.ping.stats.alice", "10", "Peer.Ping, alternated with GetStats", ALICE, NULL, NULL },
  { "alt.stats.alice", "10", "VM.GetStats, own VM, cached (alt ping)", ALICE,
    "alt.ping.stats.alice", NULL },
  /* GetAll alternated with the same reply from the floor server. */
  { "alt.floor.getall.root", "10", "GetAll from the floor server (same reply)", ROOT, NULL,
    NULL },
  { "alt.getall.floor.root", "10", "GetAll org.vmgr.VM, cached (alt floor)", ROOT,
    "alt.floor.getall.root", NULL },
  { "alt.floor.getall.alice", "10", "GetAll from the floor server (same reply)", ALICE, NULL,
    NULL },
  { "alt.getall.floor.alice", "10", "GetAll org.vmgr.VM, own VM, cached (alt floor)", ALICE,
    "alt.floor.getall.alice", NULL },
};

/* ---- measuring ------------------------------------------------------------------ */

static BenchCall
ping_call (const char *destination)
{
  return (BenchCall) { BENCH_CALL_PING, destination, "/", NULL, NULL };
}

static BenchCall
get_call (const char *destination, const char *path, const char *interface,
          const char *property)
{
  return (BenchCall) { BENCH_CALL_GET, destination, path, interface, property };
}

/* A read of @row_id alternated with @reference (a Peer.Ping to the same
 * destination when NULL) that fills @reference_id. */
static void
measure_alternated (Bench *bench, const char *row_id, const char *reference_id,
                    const BenchCall *call, const BenchCall *reference)
{
  BenchRow *row = bench_report_find (bench->report, row_id);
  BenchCall ping = ping_call (call->destination);
  g_auto(BenchClientResult) result = { 0 };
  g_autoptr(GError) error = NULL;

  g_printerr ("vmgr-bench: %s: %d rounds as %s\n", row->id, bench->options.iterations,
              row->user);
  if (!bench_client_run_alternated (bench->self_path, row->user, call,
                                    reference != NULL ? reference : &ping,
                                    (guint) bench->options.iterations,
                                    (guint) bench->options.warmup, &result, &error))
    bench_row_set_status (row, BENCH_ROW_FAILED, error->message);
  else if (result.error_name != NULL)
    bench_row_set_status (row, BENCH_ROW_FAILED, result.error_message);
  else
    {
      bench_row_set_samples (row, result.samples_us);
      bench_row_set_samples (bench_report_find (bench->report, reference_id),
                             result.reference_us);
    }
}

static gboolean
is_access_denied (const char *error_name)
{
  return g_strcmp0 (error_name, "org.freedesktop.DBus.Error.AccessDenied") == 0;
}

/* Runs the client for row @row_id and records the outcome. A refusal by
 * the bus counts as a result only when @denial_expected. */
static void
measure_row (Bench *bench, const char *row_id, const BenchCall *call, guint iterations,
             gboolean denial_expected)
{
  BenchRow *row = bench_report_find (bench->report, row_id);
  g_auto(BenchClientResult) result = { 0 };
  g_autoptr(GError) error = NULL;

  g_assert_nonnull (row);
  g_printerr ("vmgr-bench: %s: %u calls as %s\n", row->id, iterations, row->user);
  if (!bench_client_run (bench->self_path, row->user, call, iterations,
                         (guint) bench->options.warmup, &result, &error))
    bench_row_set_status (row, BENCH_ROW_FAILED, error->message);
  else if (result.error_name != NULL && denial_expected && is_access_denied (result.error_name))
    bench_row_set_status (row, BENCH_ROW_DENIED, result.error_name);
  else if (result.error_name != NULL)
    bench_row_set_status (row, BENCH_ROW_FAILED, result.error_message);
  else
    bench_row_set_samples (row, result.samples_us);
}

/* Rows whose id starts with @prefix and that were not measured get @status. */
static void
mark_pending_rows (Bench *bench, const char *prefix, BenchRowStatus status, const char *why)
{
  for (gsize i = 0; i < G_N_ELEMENTS (rows); i++)
    {
      BenchRow *row = bench_report_find (bench->report, rows[i].id);

      if (g_str_has_prefix (row->id, prefix) && row->status == BENCH_ROW_PENDING)
        bench_row_set_status (row, status, why);
    }
}

/* ---- vmgrd ------------------------------------------------------------------------ */

static char *
create_alice_vm (Bench *bench, GError **error)
{
  g_autoptr(GVariant) reply = NULL;
  GVariantDict options;
  char *path = NULL;

  g_variant_dict_init (&options, NULL);
  g_variant_dict_insert (&options, "id", "u", (guint32) BENCH_VM_ID);
  g_variant_dict_insert (&options, "owner", "u", (guint32) VMGR_TEST_UID_ALICE);
  reply = g_dbus_connection_call_sync (bench->bus, VMGR_NAME, VMGR_MANAGER_PATH,
                                       VMGR_MANAGER_IFACE, "CreateVM",
                                       g_variant_new ("(sss@a{sv})", BENCH_VM_NAME,
                                                      BENCH_VM_TEMPLATE, BENCH_VM_PLAN,
                                                      g_variant_dict_end (&options)),
                                       G_VARIANT_TYPE ("(o)"), G_DBUS_CALL_FLAGS_NONE,
                                       CALL_TIMEOUT_MS, NULL, error);
  if (reply == NULL)
    return NULL;
  g_variant_get (reply, "(o)", &path);
  return path;
}

static void
stop_daemon (VmgrTestDaemon *daemon)
{
  vmgr_test_daemon_stop (daemon); /* asserts a clean exit */
  vmgr_test_daemon_free (daemon);
}

/* Items 1, 2, 3 and the cached half of 5, with vmgrd's default config. */
static void
measure_vmgr_cached (Bench *bench, const char *vm_path)
{
  guint n = (guint) bench->options.iterations;
  BenchCall ping = ping_call (VMGR_NAME);
  BenchCall version = get_call (VMGR_NAME, VMGR_MANAGER_PATH, VMGR_MANAGER_IFACE, "Version");
  BenchCall state = get_call (VMGR_NAME, vm_path, VMGR_VM_IFACE, "State");

  measure_row (bench, "vmgr.ping.root", &ping, n, FALSE);
  measure_row (bench, "vmgr.ping.alice", &ping, n, FALSE);
  measure_row (bench, "vmgr.version.root", &version, n, FALSE);
  measure_row (bench, "vmgr.version.alice", &version, n, FALSE);
  measure_row (bench, "vmgr.state.cached.alice", &state, n, FALSE);
  measure_row (bench, "vmgr.state.cached.root", &state, n, FALSE);
}

/* Item 10: vmgrd's GetAll alternated with the same reply from the floor
 * server, which answers it in GDBus's worker thread without looking at it:
 * what carrying the reply costs, beside what the bare ping costs. */
static void
measure_vmgr_getall_floor (Bench *bench, const char *vm_path, const char *dir)
{
  static const char * const users[] = { ROOT, ALICE };
  BenchCall vmgr = { BENCH_CALL_GET_ALL, VMGR_NAME, vm_path, VMGR_VM_IFACE, NULL };
  BenchCall prebuilt = { BENCH_CALL_GET_ALL, BENCH_FLOOR_NAME, vm_path, VMGR_VM_IFACE, NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = g_dbus_connection_call_sync (
    bench->bus, VMGR_NAME, vm_path, "org.freedesktop.DBus.Properties", "GetAll",
    g_variant_new ("(s)", VMGR_VM_IFACE), G_VARIANT_TYPE ("(a{sv})"),
    G_DBUS_CALL_FLAGS_NO_AUTO_START, -1, NULL, &error);
  g_autoptr(BenchFloor) floor = NULL;

  if (reply != NULL)
    floor = bench_floor_start (bench->bus, bench->self_path, reply, dir, &error);
  for (gsize u = 0; u < G_N_ELEMENTS (users); u++)
    {
      g_autofree char *id = g_strdup_printf ("alt.getall.floor.%s", users[u]);
      g_autofree char *floor_id = g_strdup_printf ("alt.floor.getall.%s", users[u]);

      if (floor == NULL)
        {
          bench_row_set_status (bench_report_find (bench->report, id), BENCH_ROW_FAILED,
                                error->message);
          bench_row_set_status (bench_report_find (bench->report, floor_id), BENCH_ROW_FAILED,
                                error->message);
          continue;
        }
      measure_alternated (bench, id, floor_id, &vmgr, &prebuilt);
    }
}

/* Item 10: Get, GetAll and GetStats, each alternated with a bare ping. */
static void
measure_vmgr_alternated (Bench *bench, const char *vm_path)
{
  static const char * const users[] = { ROOT, ALICE };
  BenchCall calls[] = {
    get_call (VMGR_NAME, vm_path, VMGR_VM_IFACE, "State"),
    { BENCH_CALL_GET_ALL, VMGR_NAME, vm_path, VMGR_VM_IFACE, NULL },
    { BENCH_CALL_METHOD, VMGR_NAME, vm_path, VMGR_VM_IFACE, "GetStats" },
  };
  static const char * const names[] = { "get", "getall", "stats" };

  for (gsize u = 0; u < G_N_ELEMENTS (users); u++)
    for (gsize c = 0; c < G_N_ELEMENTS (calls); c++)
      {
        g_autofree char *id = g_strdup_printf ("alt.%s.%s", names[c], users[u]);
        g_autofree char *ping_id = g_strdup_printf ("alt.ping.%s.%s", names[c], users[u]);

        measure_alternated (bench, id, ping_id, &calls[c], NULL);
      }
}

/* Item 4 and the uncached half of 5: the same state directory (so the same
 * VM), vmgrd restarted with cache_ttl=0. */
static void
measure_vmgr_uncached (Bench *bench, const char *state_dir, const char *vm_path)
{
  VmgrTestDaemon *daemon = vmgr_test_daemon_start (state_dir, UNCACHED_CONFIG);
  guint n = (guint) bench->options.uncached_iterations;
  BenchCall state = get_call (VMGR_NAME, vm_path, VMGR_VM_IFACE, "State");

  measure_row (bench, "vmgr.state.uncached.alice", &state, n, FALSE);
  measure_row (bench, "vmgr.state.uncached.root", &state, n, FALSE);
  stop_daemon (daemon);
}

static void
measure_vmgr (Bench *bench)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *state_dir = vmgr_test_make_state_dir ();
  g_autofree char *vm_path = NULL;
  VmgrTestDaemon *daemon = vmgr_test_daemon_start (state_dir, NULL);

  vm_path = create_alice_vm (bench, &error);
  if (vm_path == NULL)
    {
      g_autofree char *why = g_strdup_printf ("CreateVM failed: %s", error->message);

      mark_pending_rows (bench, "vmgr.", BENCH_ROW_FAILED, why);
      vmgr_test_daemon_dump_log (daemon);
    }
  else
    {
      measure_vmgr_cached (bench, vm_path);
      measure_vmgr_alternated (bench, vm_path);
      measure_vmgr_getall_floor (bench, vm_path, state_dir);
    }
  stop_daemon (daemon);

  if (vm_path != NULL)
    measure_vmgr_uncached (bench, state_dir, vm_path);
  vmgr_test_remove_dir (state_dir);
}

/* ---- libvirt-dbus ---------------------------------------------------------------- */

static void
measure_libvirt_dbus_rows (Bench *bench, const char *domain_path)
{
  g_autoptr(GError) error = NULL;
  guint n = (guint) bench->options.iterations;
  BenchCall ping = ping_call (BENCH_LIBVIRT_DBUS_NAME);
  BenchCall name = get_call (BENCH_LIBVIRT_DBUS_NAME, domain_path, "org.libvirt.Domain", "Name");

  measure_row (bench, "libvirt.ping.root", &ping, n, FALSE);
  measure_row (bench, "libvirt.name.root", &name, n, FALSE);
  /* The packaged policy lets only root and group "libvirt" call it. */
  measure_row (bench, "libvirt.name.alice.packaged", &name, n, TRUE);
  if (!bench_bus_policy_install (bench->bus, LIBVIRT_ALICE_POLICY_FILE, LIBVIRT_ALICE_POLICY,
                                 &error))
    {
      mark_pending_rows (bench, "libvirt.", BENCH_ROW_FAILED, error->message);
      return;
    }
  measure_row (bench, "libvirt.name.alice", &name, n, FALSE);
}

static void
measure_libvirt_dbus (Bench *bench)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *packaged = NULL;
  g_autofree char *domain_path = NULL;
  g_autoptr(BenchLibvirtDbus) daemon = NULL;

  if (bench->options.no_libvirt_dbus)
    {
      mark_pending_rows (bench, "libvirt.", BENCH_ROW_SKIPPED, "--no-libvirt-dbus");
      return;
    }
  if (!g_file_get_contents (BENCH_LIBVIRT_DBUS_PACKAGED_POLICY, &packaged, NULL, &error))
    {
      mark_pending_rows (bench, "libvirt.", BENCH_ROW_SKIPPED, error->message);
      return;
    }
  if (!bench_bus_policy_install (bench->bus, "org.libvirt.conf", packaged, &error) ||
      (daemon = bench_libvirt_dbus_start (bench->bus, &error)) == NULL ||
      (domain_path = bench_libvirt_dbus_domain_path (bench->bus, LIBVIRT_TEST_DOMAIN,
                                                     &error)) == NULL)
    {
      mark_pending_rows (bench, "libvirt.", BENCH_ROW_FAILED, error->message);
      return;
    }
  measure_libvirt_dbus_rows (bench, domain_path);
}

/* ---- the parent ------------------------------------------------------------------ */

static gboolean
parse_options (int *argc, char ***argv, BenchOptions *options)
{
  g_autoptr(GOptionContext) context = g_option_context_new ("- vmgr authorization benchmark");
  g_autoptr(GError) error = NULL;
  const GOptionEntry entries[] = {
    { "iterations", 'n', 0, G_OPTION_ARG_INT, &options->iterations,
      "Timed calls per row (default 2000)", "N" },
    { "uncached-iterations", 'u', 0, G_OPTION_ARG_INT, &options->uncached_iterations,
      "Timed calls per cache_ttl=0 row (default 300)", "N" },
    { "warmup", 'w', 0, G_OPTION_ARG_INT, &options->warmup,
      "Untimed calls before each row, at least 1 (default 20)", "N" },
    { "no-libvirt-dbus", 0, 0, G_OPTION_ARG_NONE, &options->no_libvirt_dbus,
      "Do not measure libvirt-dbus", NULL },
    { "vms", 0, 0, G_OPTION_ARG_STRING, &options->vms,
      "VM counts of the scale rows, ascending (default 1000,10000; 0 = no scale rows)",
      "N,N" },
    { "inventory-iterations", 'i', 0, G_OPTION_ARG_INT, &options->inventory_iterations,
      "Timed inventories at 1,000 VMs, proportionally fewer above (default 20)", "N" },
    { "running", 0, 0, G_OPTION_ARG_INT, &options->running,
      "VMs started for the sampling rows (default 1000)", "N" },
    { "sample-window", 0, 0, G_OPTION_ARG_INT, &options->sample_window_s,
      "Seconds of vmgrd CPU measured with them running (default 15)", "S" },
    { "resources", 0, 0, G_OPTION_ARG_STRING, &options->resources,
      "vmgrd's [resources] for the scale rows (default: every overcommit 0, no cap)",
      "KEY=V,..." },
    { "real-lxc", 0, 0, G_OPTION_ARG_NONE, &options->real_lxc,
      "Also the rows on real LXC containers (under tests/harness/libvirtd.sh)", NULL },
    { "loaded-iterations", 0, 0, G_OPTION_ARG_INT, &options->loaded_iterations,
      "Timed rounds while the slow operations are in flight (default 3000)", "N" },
    { "slow-ops", 0, 0, G_OPTION_ARG_INT, &options->slow_ops,
      "Slow operations in flight, half provisionings, half shutdowns (default 50)", "N" },
    { "event-rounds", 0, 0, G_OPTION_ARG_INT, &options->event_rounds,
      "Suspend + resume rounds of the event rows (default 100)", "N" },
    { NULL }
  };

  g_option_context_set_description (context,
    "Run under tests/harness/testbus.sh (bench/run.sh does). "
    "Internal: --client USER N WARMUP CALL [REFERENCE], --floor FILE");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, argc, argv, &error))
    {
      g_printerr ("vmgr-bench: %s\n", error->message);
      return FALSE;
    }
  if (*argc != 1 || options->iterations < 1 || options->uncached_iterations < 1 ||
      options->warmup < 1 || options->inventory_iterations < 1 || options->running < 0 ||
      options->sample_window_s < 1 || options->loaded_iterations < 1 ||
      options->slow_ops < 2 || options->event_rounds < 1)
    {
      g_printerr ("vmgr-bench: counts must be positive and there are no arguments\n");
      return FALSE;
    }
  return TRUE;
}

/* vmgr-test-env reports progress with g_test_message (), which prints on
 * stdout outside a GTest program: keep the real stdout for the report and
 * send everything else to stderr. */
static FILE *
take_stdout_for_report (void)
{
  int fd;
  FILE *out;

  fflush (stdout);
  fd = fcntl (STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
  if (fd < 0 || dup2 (STDERR_FILENO, STDOUT_FILENO) < 0 || (out = fdopen (fd, "w")) == NULL)
    g_error ("cannot set up stdout: %s", g_strerror (errno));
  return out;
}

static void
bench_add_rows (Bench *bench)
{
  for (gsize i = 0; i < G_N_ELEMENTS (rows); i++)
    bench_report_add (bench->report, rows[i].id, rows[i].item, rows[i].label, rows[i].user,
                      rows[i].bare_id, rows[i].libvirt_id);
}

static void
bench_clear (Bench *bench)
{
  g_clear_pointer (&bench->self_path, g_free);
  g_clear_object (&bench->bus);
  g_clear_pointer (&bench->report, bench_report_free);
}

static gboolean
check_environment (void)
{
  if (!vmgr_test_in_testbus ())
    {
      g_printerr ("vmgr-bench: not under tests/harness/testbus.sh: use bench/run.sh\n");
      return FALSE;
    }
  if (geteuid () != 0)
    {
      g_printerr ("vmgr-bench: must run as root (it starts daemons and clients as test users)\n");
      return FALSE;
    }
  return TRUE;
}

/* "1000,10000" into ascending counts; FALSE when malformed. */
static gboolean
parse_sizes (const char *text, GArray *sizes)
{
  g_auto(GStrv) parts = g_strsplit (text, ",", -1);

  for (char **p = parts; *p != NULL; p++)
    {
      guint64 size;

      if (!g_ascii_string_to_unsigned (*p, 10, 0, 1000000, &size, NULL) ||
          (sizes->len > 0 && size <= g_array_index (sizes, guint, sizes->len - 1)))
        return FALSE;
      if (size > 10)  /* the customer's 10 VMs come first */
        g_array_append_vals (sizes, &(guint) { (guint) size }, 1);
    }
  return TRUE;
}

static char *
resources_config (const char *keys)
{
  g_auto(GStrv) parts = g_strsplit (keys, ",", -1);
  g_autofree char *lines = g_strjoinv ("\n", parts);

  return g_strdup_printf ("[resources]\n%s\n", lines);
}

static void
measure_scale (Bench *bench, const GArray *sizes, gboolean add_rows_only)
{
  g_autofree char *resources = resources_config (bench->options.resources);
  BenchScale scale = {
    bench->bus, bench->self_path, bench->report, (const guint *) (void *) sizes->data,
    sizes->len, (guint) bench->options.inventory_iterations, (guint) bench->options.running,
    (guint) bench->options.sample_window_s, !bench->options.no_libvirt_dbus, resources,
  };

  if (sizes->len == 0)
    return;
  if (add_rows_only)
    bench_scale_add_rows (&scale);
  else
    bench_scale_measure (&scale);
}

static void
measure_real (Bench *bench, gboolean add_rows_only)
{
  BenchReal real = {
    bench->bus, bench->self_path, bench->report, (guint) bench->options.iterations,
    (guint) bench->options.loaded_iterations, (guint) bench->options.warmup,
    (guint) bench->options.slow_ops, (guint) bench->options.event_rounds,
  };

  if (!bench->options.real_lxc)
    return;
  if (add_rows_only)
    bench_real_add_rows (&real);
  else
    bench_real_measure (&real);
}

static int
run_parent (const BenchOptions *options)
{
  g_autoptr(GArray) sizes = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autoptr(GError) error = NULL;
  g_autoptr(VmgrConfig) defaults = vmgr_config_new_default ();
  Bench bench = { *options, NULL, NULL, NULL };
  BenchRunInfo info = { (guint) options->iterations, (guint) options->uncached_iterations,
                        (guint) options->warmup, defaults->auth_cache_ttl_s, 0.0 };
  gint64 start = g_get_monotonic_time ();
  FILE *out;
  gboolean ok;

  if (!parse_sizes (options->vms, sizes))
    {
      g_printerr ("vmgr-bench: --vms wants ascending counts, e.g. 1000,10000\n");
      return 2;
    }
  if (!check_environment ())
    return EXIT_SKIP;
  out = take_stdout_for_report ();
  bench.self_path = g_file_read_link ("/proc/self/exe", &error);
  g_assert_no_error (error);
  bench.bus = g_bus_get_sync (G_BUS_TYPE_SYSTEM, NULL, &error);
  g_assert_no_error (error);
  bench.report = bench_report_new ();
  bench_add_rows (&bench);
  measure_scale (&bench, sizes, TRUE);
  measure_real (&bench, TRUE);

  measure_vmgr (&bench);
  measure_libvirt_dbus (&bench);
  measure_scale (&bench, sizes, FALSE);
  measure_real (&bench, FALSE);

  info.elapsed_s = (double) (g_get_monotonic_time () - start) / G_USEC_PER_SEC;
  bench_report_print_table (bench.report, &info, out);
  bench_report_print_json (bench.report, &info, out);
  ok = bench_report_succeeded (bench.report);
  fclose (out);
  bench_clear (&bench);
  return ok ? 0 : 1;
}

int
main (int argc, char **argv)
{
  BenchOptions options = { 2000, 300, 20, FALSE, NULL, 20, 1000, 15, NULL, FALSE, 3000, 50, 100 };
  int status;

  if (argc >= 2 && g_str_equal (argv[1], "--client"))
    return bench_client_main (argc - 2, argv + 2);
  if (argc >= 2 && g_str_equal (argv[1], "--floor"))
    return bench_floor_main (argc - 2, argv + 2);
  options.vms = g_strdup ("1000,10000");
  options.resources = g_strdup ("cpu_overcommit=0,memory_overcommit=0,disk_overcommit=0");
  if (!parse_options (&argc, &argv, &options))
    return 2;
  status = run_parent (&options);
  g_free (options.vms);
  g_free (options.resources);
  return status;
}
