/* bench-scale.c: vmgr-bench's scale rows (see the header). */
#include "bench-scale.h"

#include <stdio.h>
#include <unistd.h>

#include "bench-client.h"
#include "bench-floor.h"
#include "bench-libvirt-dbus.h"
#include "vmgr-test-env.h"

#define VMGR_NAME "org.vmgr"
#define MANAGER_PATH "/org/vmgr/Manager"
#define CALL_TIMEOUT_MS 120000
/* Calls in flight while filling: below the bus's 128 pending replies. */
#define FILL_WINDOW 32
#define CUSTOMER_VMS 10u
/* A customer's inventory is small and quick: enough calls for a steady median. */
#define CUSTOMER_ITERATIONS 200u
#define FIRST_VM_ID 10000u
#define ROOT "root"
#define ALICE "alice"
#define LIBVIRT_DOMAIN_XML \
  "<domain type='test'><name>lv-%05u</name><memory>65536</memory>" \
  "<os><type>hvm</type></os></domain>"

typedef struct {
  const BenchScale *scale;
  VmgrTestDaemon *daemon;
  char *state_dir;
  GPtrArray *vm_paths;  /* char*, in creation order */
  guint64 empty_rss_kib;
  gboolean capped;      /* vmgrd refused a VM: the larger sizes are not measured */
} ScaleRun;

static const char *
row_id (const char *what, guint size)
{
  g_autofree char *id = g_strdup_printf ("scale.%u.%s", size, what);

  return g_intern_string (id);
}

/* "@before@size@after", kept for the report's lifetime. */
static const char *
row_label (const char *before, guint size, const char *after)
{
  g_autofree char *label = g_strdup_printf ("%s%u%s", before, size, after);

  return g_intern_string (label);
}

void
bench_scale_add_rows (const BenchScale *scale)
{
  BenchReport *report = scale->report;

  bench_report_add (report, row_id ("gmo.alice", CUSTOMER_VMS), "8",
                    "GetManagedObjects, alice owns 10 of 10 VMs", ALICE, NULL, NULL);
  for (guint i = 0; i < scale->n_sizes; i++)
    {
      guint n = scale->sizes[i];

      bench_report_add (report, row_id ("floor", n), "7",
                        row_label ("prebuilt floor server, ", n, " VMs' reply"), ROOT, NULL, NULL);
      bench_report_add (report, row_id ("gmo.root", n), "7",
                        row_label ("GetManagedObjects, ", n, " VMs (alt floor)"), ROOT,
                        row_id ("floor", n), row_id ("libvirt", n));
      bench_report_add (report, row_id ("libvirt", n), "7",
                        row_label ("libvirt-dbus ListDomains+GetAll, ", n, ""), ROOT,
                        row_id ("floor", n), NULL);
      bench_report_add (report, row_id ("reply", n), "7",
                        row_label ("GetManagedObjects reply size, ", n, " VMs"), ROOT, NULL, NULL);
      bench_report_add (report, row_id ("gmo.alice", n), "8",
                        row_label ("GetManagedObjects, alice owns 10 of ", n, ""), ALICE,
                        row_id ("gmo.alice", CUSTOMER_VMS), NULL);
      bench_report_add (report, row_id ("rss", n), "9",
                        row_label ("resident memory per VM above empty, ", n, ""), "-", NULL,
                        NULL);
      bench_report_add (report, row_id ("libvirt.rss", n), "9",
                        row_label ("libvirt-dbus memory per test-driver domain, ", n, ""),
                        "-", NULL, NULL);
      bench_report_add (report, row_id ("driver.rss", n), "9",
                        row_label ("test driver alone, memory per vmgr domain, ", n, ""), "-",
                        NULL, NULL);
      bench_report_add (report, row_id ("restart", n), "9",
                        row_label ("restart until the name is owned, ", n, " VMs"), "-", NULL,
                        NULL);
      bench_report_add (report, row_id ("settled", n), "9",
                        row_label ("restart until every VM is defined again, ", n, ""), "-",
                        NULL, NULL);
    }
  bench_report_add (report, "scale.accepted", "9", "VMs vmgrd accepted (of the largest size)",
                    ROOT, NULL, NULL);
  bench_report_add (report, "scale.sampling.cpu", "11",
                    "vmgrd CPU with N running VMs (% of one CPU)", "-", NULL, NULL);
  bench_report_add (report, "scale.sampling.per_vm", "11",
                    "vmgrd CPU per VM sample", "-", NULL, NULL);
}

/* ---- calls in bulk ------------------------------------------------------------- */

typedef GVariant *(*BuildCall) (guint index, const char **path, const char **interface,
                                const char **method, gpointer data);

typedef struct {
  GDBusConnection *bus;
  const char *destination;
  guint next, end, in_flight;
  BuildCall build;
  gpointer data;
  GPtrArray *results;  /* the first child of each reply when a string, else NULL */
  GError *error;
} BulkCalls;

static void bulk_issue (BulkCalls *bulk);

static void
on_bulk_reply (GObject *source, GAsyncResult *result, gpointer user_data)
{
  BulkCalls *bulk = user_data;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;

  bulk->in_flight--;
  reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, &error);
  if (reply == NULL && bulk->error == NULL)
    bulk->error = g_steal_pointer (&error);
  else if (reply != NULL && bulk->results != NULL && g_variant_n_children (reply) == 1 &&
           g_variant_type_equal (g_variant_get_type (reply), G_VARIANT_TYPE ("(o)")))
    {
      const char *path;

      g_variant_get (reply, "(&o)", &path);
      g_ptr_array_add (bulk->results, g_strdup (path));
    }
  bulk_issue (bulk);
}

static void
bulk_issue (BulkCalls *bulk)
{
  while (bulk->error == NULL && bulk->next < bulk->end && bulk->in_flight < FILL_WINDOW)
    {
      const char *path, *interface, *method;
      GVariant *args = bulk->build (bulk->next++, &path, &interface, &method, bulk->data);

      bulk->in_flight++;
      g_dbus_connection_call (bulk->bus, bulk->destination, path, interface, method, args, NULL,
                              G_DBUS_CALL_FLAGS_NO_AUTO_START, CALL_TIMEOUT_MS, NULL,
                              on_bulk_reply, bulk);
    }
}

/* Calls @build's call for every index in [@first, @end), FILL_WINDOW at a
 * time; stops at the first error. Paths returned as "(o)" go to @results. */
static gboolean
bulk_call (GDBusConnection *bus, const char *destination, guint first, guint end,
           BuildCall build, gpointer data, GPtrArray *results, GError **error)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  BulkCalls bulk = { bus, destination, first, end, 0, build, data, results, NULL };

  g_main_context_push_thread_default (context);
  bulk_issue (&bulk);
  while (bulk.in_flight > 0)
    g_main_context_iteration (context, TRUE);
  g_main_context_pop_thread_default (context);
  if (bulk.error != NULL)
    {
      g_propagate_error (error, bulk.error);
      return FALSE;
    }
  return TRUE;
}

static GVariant *
build_create_vm (guint index, const char **path, const char **interface, const char **method,
                 gpointer data)
{
  g_autofree char *name = g_strdup_printf ("scale-%05u", index);
  GVariantDict options;

  g_variant_dict_init (&options, NULL);
  g_variant_dict_insert (&options, "id", "u", (guint32) (FIRST_VM_ID + index));
  if (index < CUSTOMER_VMS)
    g_variant_dict_insert (&options, "owner", "u", (guint32) VMGR_TEST_UID_ALICE);
  *path = MANAGER_PATH;
  *interface = "org.vmgr.Manager";
  *method = "CreateVM";
  return g_variant_new ("(sss@a{sv})", name, "debian-12", "basic", g_variant_dict_end (&options));
}

static GVariant *
build_start_vm (guint index, const char **path, const char **interface, const char **method,
                gpointer data)
{
  GPtrArray *paths = data;

  *path = g_ptr_array_index (paths, index);
  *interface = "org.vmgr.VM";
  *method = "Start";
  return NULL;
}

static GVariant *
build_define_domain (guint index, const char **path, const char **interface,
                     const char **method, gpointer data)
{
  g_autofree char *xml = g_strdup_printf (LIBVIRT_DOMAIN_XML, index);

  *path = BENCH_LIBVIRT_DBUS_TEST_PATH;
  *interface = "org.libvirt.Connect";
  *method = "DomainDefineXML";
  return g_variant_new ("(s)", xml);
}

/* ---- what /proc says about the daemons ------------------------------------------ */

/* The pids are the ones this process started: with --real-lxc it runs in a
 * PID namespace of its own, where the bus's idea of a pid means nothing. */

/* The resident memory of process @pid; 0 when /proc cannot tell. */
static guint64
rss_kib (GPid pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/status", (int) pid);
  g_autofree char *status = NULL;
  const char *line;

  if (!g_file_get_contents (path, &status, NULL, NULL) ||
      (line = strstr (status, "\nVmRSS:")) == NULL)
    return 0;
  return g_ascii_strtoull (line + strlen ("\nVmRSS:"), NULL, 10);
}

/* A row of memory per VM from two readings, or why there is none. */
static void
set_rss_row (BenchRow *row, guint64 empty_kib, guint64 full_kib, guint size, const char *unit)
{
  if (empty_kib == 0 || full_kib == 0)
    bench_row_set_status (row, BENCH_ROW_FAILED, "no VmRSS in /proc/PID/status");
  else
    bench_row_set_value (row, ((double) full_kib - (double) empty_kib) / size, unit);
}

/* utime + stime, in seconds; -1 when /proc cannot tell. */
static double
process_cpu_s (GPid pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/stat", (int) pid);
  g_autofree char *stat = NULL;
  g_auto(GStrv) fields = NULL;
  const char *after_name;

  if (!g_file_get_contents (path, &stat, NULL, NULL) ||
      (after_name = strrchr (stat, ')')) == NULL)
    return -1.0;
  /* After "pid (comm)": state is field 3, utime 14, stime 15. */
  fields = g_strsplit (after_name + 2, " ", 0);
  if (g_strv_length (fields) < 13)
    return -1.0;
  return (double) (g_ascii_strtoull (fields[11], NULL, 10) +
                   g_ascii_strtoull (fields[12], NULL, 10)) / (double) sysconf (_SC_CLK_TCK);
}

/* ---- the rows -------------------------------------------------------------------- */

static void
set_row_from_result (BenchRow *row, BenchRow *reference, const BenchClientResult *result,
                     const GError *error)
{
  if (error != NULL)
    bench_row_set_status (row, BENCH_ROW_FAILED, error->message);
  else if (result->error_name != NULL)
    bench_row_set_status (row, BENCH_ROW_FAILED, result->error_message);
  else
    {
      bench_row_set_samples (row, result->samples_us);
      if (reference != NULL)
        bench_row_set_samples (reference, result->reference_us);
    }
}

static void
measure_calls (const BenchScale *scale, const char *id, const char *reference_id,
               const BenchCall *call, const BenchCall *reference, guint iterations)
{
  BenchRow *row = bench_report_find (scale->report, id);
  g_auto(BenchClientResult) result = { 0 };
  g_autoptr(GError) error = NULL;

  /* One warm-up round: an inventory is many calls already (libvirt-dbus's
   * at 10,000 domains is 10,001). */
  g_printerr ("vmgr-bench: %s: %u calls as %s\n", id, iterations, row->user);
  bench_client_run_alternated (scale->self_path, row->user, call, reference, iterations, 1,
                               &result, &error);
  set_row_from_result (row, bench_report_find (scale->report, reference_id), &result, error);
}

static guint
iterations_at (const BenchScale *scale, guint size)
{
  return MAX (3u, (guint) ((guint64) scale->inventory_iterations * 1000 / MAX (size, 1u)));
}

static GVariant *
fetch_inventory (GDBusConnection *bus, GError **error)
{
  return g_dbus_connection_call_sync (bus, VMGR_NAME, BENCH_INVENTORY_PATH,
                                      "org.freedesktop.DBus.ObjectManager", "GetManagedObjects",
                                      NULL, G_VARIANT_TYPE ("(a{oa{sa{sv}}})"),
                                      G_DBUS_CALL_FLAGS_NO_AUTO_START, CALL_TIMEOUT_MS, NULL,
                                      error);
}

/* vmgrd's inventory alternated with the same reply from the floor server. */
static void
measure_root_inventory (ScaleRun *run, guint size)
{
  const BenchScale *scale = run->scale;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = fetch_inventory (scale->bus, &error);
  g_autoptr(BenchFloor) floor = NULL;
  BenchCall vmgr = { BENCH_CALL_MANAGED, VMGR_NAME, BENCH_INVENTORY_PATH, NULL, NULL };
  BenchCall prebuilt = { BENCH_CALL_MANAGED, BENCH_FLOOR_NAME, BENCH_INVENTORY_PATH, NULL, NULL };

  if (reply != NULL)
    {
      bench_row_set_value (bench_report_find (scale->report, row_id ("reply", size)),
                           (double) g_variant_get_size (reply) / 1024.0, "KiB");
      floor = bench_floor_start (scale->bus, scale->self_path, reply, run->state_dir, &error);
    }
  if (floor == NULL)
    {
      bench_row_set_status (bench_report_find (scale->report, row_id ("gmo.root", size)),
                            BENCH_ROW_FAILED, error->message);
      return;
    }
  measure_calls (scale, row_id ("gmo.root", size), row_id ("floor", size), &vmgr, &prebuilt,
                 iterations_at (scale, size));
}

static void
measure_customer_inventory (ScaleRun *run, guint size)
{
  BenchCall vmgr = { BENCH_CALL_MANAGED, VMGR_NAME, BENCH_INVENTORY_PATH, NULL, NULL };

  measure_calls (run->scale, row_id ("gmo.alice", size), NULL, &vmgr, NULL,
                 CUSTOMER_ITERATIONS);
}

/* Creates VMs up to @size in all; FALSE (and run->capped) when vmgrd refuses. */
static gboolean
fill_to (ScaleRun *run, guint size)
{
  const BenchScale *scale = run->scale;
  g_autoptr(GError) error = NULL;
  gint64 start = g_get_monotonic_time ();
  guint before = run->vm_paths->len;

  g_printerr ("vmgr-bench: creating VMs %u to %u\n", before, size);
  if (!bulk_call (scale->bus, VMGR_NAME, before, size, build_create_vm, NULL, run->vm_paths,
                  &error))
    {
      g_autofree char *note = g_strdup_printf ("refused after %u VMs: %s", run->vm_paths->len,
                                               error->message);

      run->capped = TRUE;
      bench_row_set_value (bench_report_find (scale->report, "scale.accepted"),
                           run->vm_paths->len, "VMs");
      g_printerr ("vmgr-bench: %s\n", note);
      return FALSE;
    }
  g_printerr ("vmgr-bench: %u VMs created in %.1f s\n", size - before,
              (double) (g_get_monotonic_time () - start) / G_USEC_PER_SEC);
  return TRUE;
}

/* How many VMs of the inventory are still "unknown": with more VMs missing
 * from libvirt than it waits for (the test driver lacks all at a start),
 * vmgrd takes its name first and defines them again after. */
static guint
count_unknown (GDBusConnection *bus, GError **error)
{
  g_autoptr(GVariant) reply = fetch_inventory (bus, error);
  g_autoptr(GVariant) objects = NULL;
  GVariantIter iter;
  GVariant *interfaces;
  guint unknown = 0;

  if (reply == NULL)
    return G_MAXUINT;
  objects = g_variant_get_child_value (reply, 0);
  g_variant_iter_init (&iter, objects);
  while (g_variant_iter_next (&iter, "{&o@a{sa{sv}}}", NULL, &interfaces))
    {
      g_autoptr(GVariant) owned G_GNUC_UNUSED = interfaces;
      g_autoptr(GVariant) vm = g_variant_lookup_value (interfaces, "org.vmgr.VM",
                                                       G_VARIANT_TYPE_VARDICT);
      const char *state = NULL;

      if (vm != NULL && g_variant_lookup (vm, "State", "&s", &state) &&
          strcmp (state, "unknown") == 0)
        unknown++;
    }
  return unknown;
}

static void
measure_settled (ScaleRun *run, guint size, gint64 start)
{
  const BenchScale *scale = run->scale;
  BenchRow *row = bench_report_find (scale->report, row_id ("settled", size));
  g_autoptr(GError) error = NULL;
  const char *last = g_ptr_array_index (run->vm_paths, run->vm_paths->len - 1);
  guint unknown;

  /* The last VM is defined again last: a cheap read until it is, then the
   * whole inventory to be sure. */
  for (;;)
    {
      g_autoptr(GVariant) state = g_dbus_connection_call_sync (
        scale->bus, VMGR_NAME, last, "org.freedesktop.DBus.Properties", "Get",
        g_variant_new ("(ss)", "org.vmgr.VM", "State"), G_VARIANT_TYPE ("(v)"),
        G_DBUS_CALL_FLAGS_NO_AUTO_START, CALL_TIMEOUT_MS, NULL, NULL);
      g_autoptr(GVariant) value = NULL;

      if (state == NULL)
        break;
      g_variant_get (state, "(v)", &value);
      if (g_strcmp0 (g_variant_get_string (value, NULL), "unknown") != 0)
        break;
      g_usleep (10 * 1000);
    }
  while ((unknown = count_unknown (scale->bus, &error)) > 0 && unknown != G_MAXUINT)
    g_usleep (50 * 1000);
  if (unknown == G_MAXUINT)
    bench_row_set_status (row, BENCH_ROW_FAILED, error->message);
  else
    bench_row_set_value (row, (double) (g_get_monotonic_time () - start) / G_USEC_PER_SEC, "s");
}

static void
measure_memory_and_restart (ScaleRun *run, guint size)
{
  const BenchScale *scale = run->scale;
  gint64 start;

  set_rss_row (bench_report_find (scale->report, row_id ("rss", size)), run->empty_rss_kib,
               rss_kib (vmgr_test_daemon_get_pid (run->daemon)), size, "KiB/VM");
  vmgr_test_daemon_stop (run->daemon);
  vmgr_test_daemon_free (run->daemon);
  start = g_get_monotonic_time ();
  run->daemon = vmgr_test_daemon_start (run->state_dir, scale->resources_config);
  bench_row_set_value (bench_report_find (scale->report, row_id ("restart", size)),
                       (double) (g_get_monotonic_time () - start) / G_USEC_PER_SEC, "s");
  measure_settled (run, size, start);
}

/* A libvirt-dbus of its own with @size domains (its test:///default lives in
 * its process, so each start begins with the driver's one domain "test"). */
static void
measure_libvirt_inventory (const BenchScale *scale, guint size)
{
  BenchRow *row = bench_report_find (scale->report, row_id ("libvirt", size));
  g_autoptr(GError) error = NULL;
  g_autoptr(BenchLibvirtDbus) daemon = NULL;
  BenchCall inventory = { BENCH_CALL_LIBVIRT_INVENTORY, BENCH_LIBVIRT_DBUS_NAME,
                          BENCH_LIBVIRT_DBUS_TEST_PATH, NULL, NULL };
  guint64 empty_rss;

  if (!scale->with_libvirt_dbus)
    {
      bench_row_set_status (row, BENCH_ROW_SKIPPED, "--no-libvirt-dbus");
      bench_row_set_status (bench_report_find (scale->report, row_id ("libvirt.rss", size)),
                            BENCH_ROW_SKIPPED, "--no-libvirt-dbus");
      return;
    }
  daemon = bench_libvirt_dbus_start (scale->bus, &error);
  empty_rss = daemon != NULL ? rss_kib (bench_libvirt_dbus_get_pid (daemon)) : 0;
  /* The test driver's own domain "test" counts as one. */
  if (daemon == NULL ||
      !bulk_call (scale->bus, BENCH_LIBVIRT_DBUS_NAME, 1, size, build_define_domain, NULL, NULL,
                  &error))
    {
      bench_row_set_status (row, BENCH_ROW_FAILED, error->message);
      return;
    }
  measure_calls (scale, row->id, NULL, &inventory, NULL, iterations_at (scale, size));
  /* The test driver keeps its domains in the process that opened it, in
   * vmgrd as in libvirt-dbus: what part of vmgrd's memory per VM that is. */
  set_rss_row (bench_report_find (scale->report, row_id ("libvirt.rss", size)), empty_rss,
               rss_kib (bench_libvirt_dbus_get_pid (daemon)), size, "KiB/dom");
}

static void
measure_sampling (ScaleRun *run)
{
  const BenchScale *scale = run->scale;
  guint running = MIN (scale->running, run->vm_paths->len);
  g_autoptr(GError) error = NULL;
  GPid pid;
  double cpu_before, cpu_s;
  g_autofree char *label = NULL;

  g_printerr ("vmgr-bench: starting %u VMs, then %u s of sampling\n", running,
              scale->sample_window_s);
  if (!bulk_call (scale->bus, VMGR_NAME, 0, running, build_start_vm, run->vm_paths, NULL,
                  &error))
    {
      bench_row_set_status (bench_report_find (scale->report, "scale.sampling.cpu"),
                            BENCH_ROW_FAILED, error->message);
      return;
    }
  pid = vmgr_test_daemon_get_pid (run->daemon);
  cpu_before = process_cpu_s (pid);
  g_usleep ((gulong) scale->sample_window_s * G_USEC_PER_SEC);
  cpu_s = process_cpu_s (pid) - cpu_before;
  if (cpu_before < 0 || cpu_s < 0)
    {
      bench_row_set_status (bench_report_find (scale->report, "scale.sampling.cpu"),
                            BENCH_ROW_FAILED, "no CPU times in /proc/PID/stat");
      return;
    }
  bench_row_set_value (bench_report_find (scale->report, "scale.sampling.cpu"),
                       100.0 * cpu_s / scale->sample_window_s, "%CPU");
  /* The default interval: one sample per running VM every 5 s. */
  bench_row_set_value (bench_report_find (scale->report, "scale.sampling.per_vm"),
                       1e3 * cpu_s / (running * (scale->sample_window_s / 5.0)), "ms");
  label = g_strdup_printf ("vmgrd CPU with %u running VMs (%% of one CPU)", running);
  bench_report_find (scale->report, "scale.sampling.cpu")->label = g_intern_string (label);
}

/* vmgr-bench-driver-memory (beside vmgr-bench) defines the sizes' domains
 * of vmgr's XML in test:///default in its own process: the driver's part
 * of vmgrd's memory per VM. It prints "N KIB" per size. */
static void
measure_driver_memory (const BenchScale *scale)
{
  g_autofree char *dir = g_path_get_dirname (scale->self_path);
  g_autofree char *program = g_build_filename (dir, "vmgr-bench-driver-memory", NULL);
  g_autoptr(GString) sizes = g_string_new (NULL);
  g_autofree char *output = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) lines = NULL;
  int status = 0;

  for (guint i = 0; i < scale->n_sizes; i++)
    g_string_append_printf (sizes, "%s%u", i > 0 ? "," : "", scale->sizes[i]);
  g_printerr ("vmgr-bench: the test driver alone with %s domains\n", sizes->str);
  if (!g_spawn_sync (NULL, (char *[]) { program, sizes->str, NULL }, NULL,
                     G_SPAWN_DEFAULT, NULL, NULL, &output, NULL, &status, &error) ||
      !g_spawn_check_wait_status (status, &error))
    {
      for (guint i = 0; i < scale->n_sizes; i++)
        bench_row_set_status (bench_report_find (scale->report,
                                                 row_id ("driver.rss", scale->sizes[i])),
                              BENCH_ROW_FAILED, error->message);
      return;
    }
  lines = g_strsplit (output, "\n", 0);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      guint size;
      double kib;

      if (sscanf (lines[i], "%u %lf", &size, &kib) == 2)
        bench_row_set_value (bench_report_find (scale->report, row_id ("driver.rss", size)),
                             kib, "KiB/dom");
    }
}

static void
mark_unmeasured (const BenchScale *scale, const char *why)
{
  for (guint i = 0; i < scale->n_sizes; i++)
    {
      static const char * const whats[] = {
        "floor", "gmo.root", "libvirt", "reply", "gmo.alice", "rss", "libvirt.rss", "restart",
        "settled",
      };

      for (gsize w = 0; w < G_N_ELEMENTS (whats); w++)
        {
          BenchRow *row = bench_report_find (scale->report, row_id (whats[w], scale->sizes[i]));

          if (row->status == BENCH_ROW_PENDING)
            bench_row_set_status (row, BENCH_ROW_SKIPPED, why);
        }
    }
}

void
bench_scale_measure (const BenchScale *scale)
{
  ScaleRun run = { scale, NULL, vmgr_test_make_state_dir (), NULL, 0, FALSE };
  BenchCall inventory = { BENCH_CALL_MANAGED, VMGR_NAME, BENCH_INVENTORY_PATH, NULL, NULL };

  measure_driver_memory (scale);
  run.vm_paths = g_ptr_array_new_with_free_func (g_free);
  run.daemon = vmgr_test_daemon_start (run.state_dir, scale->resources_config);
  run.empty_rss_kib = rss_kib (vmgr_test_daemon_get_pid (run.daemon));
  if (fill_to (&run, CUSTOMER_VMS))
    measure_calls (scale, row_id ("gmo.alice", CUSTOMER_VMS), NULL, &inventory, NULL,
                   CUSTOMER_ITERATIONS);
  for (guint i = 0; i < scale->n_sizes && !run.capped; i++)
    {
      guint size = scale->sizes[i];

      if (!fill_to (&run, size))
        break;
      measure_root_inventory (&run, size);
      measure_customer_inventory (&run, size);
      measure_memory_and_restart (&run, size);
      measure_libvirt_inventory (scale, size);
    }
  if (!run.capped)
    bench_row_set_value (bench_report_find (scale->report, "scale.accepted"),
                         run.vm_paths->len, "VMs");
  mark_unmeasured (scale, "vmgrd refused more VMs (see 'VMs vmgrd accepted')");
  measure_sampling (&run);
  vmgr_test_daemon_stop (run.daemon);
  vmgr_test_daemon_free (run.daemon);
  vmgr_test_remove_dir (run.state_dir);
  g_free (run.state_dir);
  g_ptr_array_unref (run.vm_paths);
}
