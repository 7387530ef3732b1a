/* vmgrctl against the fake vmgrd: set-memory, set-cpu, set-disk,
 * set-network, autostart and chown (what is sent: only the values given
 * change; the daemon's refusals), stats (the table, JSON, --watch with
 * vmgrd's own samples) and host. */
#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "fake-fixture.h"
#include "vmgrctl-errors.h"

/* ---- settings ---- */

/* Only the values given change; the others are sent as they were. */
static void
test_set_memory (Fixture *f, gconstpointer data)
{
  guint64 guarantee, soft, limit;

  vmgrctl (f, "set-memory", "web", "--limit", "2G");
  assert_ok (f);
  g_assert_cmpstr (f->run.out, ==, "");
  g_assert_cmpstr (f->fake->last_method, ==, "SetMemory");
  g_variant_get (f->fake->last_args, "(ttt)", &guarantee, &soft, &limit);
  g_assert_cmpuint (guarantee, ==, GiB / 2);
  g_assert_cmpuint (soft, ==, 0);
  g_assert_cmpuint (limit, ==, 2 * GiB);

  vmgrctl (f, "set-memory", "101", "--soft-limit", "1.5G", "--limit", "3G", "--guarantee", "0");
  assert_ok (f);
  g_variant_get (f->fake->last_args, "(ttt)", &guarantee, &soft, &limit);
  g_assert_cmpuint (guarantee, ==, 0);
  g_assert_cmpuint (soft, ==, GiB + GiB / 2);
  g_assert_cmpuint (limit, ==, 3 * GiB);
}

/* The setters take create's names of the options, one value at a time;
 * the older names are kept. */
static void
test_setters_take_create_options (Fixture *f, gconstpointer data)
{
  guint64 guarantee, soft, limit, disk_soft, disk_hard;
  guint32 vcpus, weight, cpu_limit;

  vmgrctl (f, "set-memory", "web", "--memory-soft-limit", "768M");
  assert_ok (f);
  g_variant_get (f->fake->last_args, "(ttt)", &guarantee, &soft, &limit);
  g_assert_cmpuint (guarantee, ==, GiB / 2);
  g_assert_cmpuint (soft, ==, 768 * MiB);
  g_assert_cmpuint (limit, ==, GiB);

  vmgrctl (f, "set-memory", "web", "--memory", "2G", "--memory-guarantee", "0");
  assert_ok (f);
  g_variant_get (f->fake->last_args, "(ttt)", &guarantee, &soft, &limit);
  g_assert_cmpuint (guarantee, ==, 0);
  g_assert_cmpuint (soft, ==, 768 * MiB);
  g_assert_cmpuint (limit, ==, 2 * GiB);

  vmgrctl (f, "set-cpu", "web", "--cpu-weight", "300", "--cpu-limit", "50");
  assert_ok (f);
  g_variant_get (f->fake->last_args, "(uuu)", &vcpus, &weight, &cpu_limit);
  g_assert_cmpuint (vcpus, ==, 2);
  g_assert_cmpuint (weight, ==, 300);
  g_assert_cmpuint (cpu_limit, ==, 50);

  vmgrctl (f, "set-disk", "web", "--disk-soft", "5G");
  assert_ok (f);
  g_variant_get (f->fake->last_args, "(tt)", &disk_soft, &disk_hard);
  g_assert_cmpuint (disk_soft, ==, 5 * GiB);
  g_assert_cmpuint (disk_hard, ==, 10 * GiB);
  vmgrctl (f, "set-disk", "web", "--disk", "20G", "--soft", "8G");
  assert_ok (f);
  g_variant_get (f->fake->last_args, "(tt)", &disk_soft, &disk_hard);
  g_assert_cmpuint (disk_soft, ==, 8 * GiB);
  g_assert_cmpuint (disk_hard, ==, 20 * GiB);
}

/* vmgrd's refusal names its keys; vmgrctl names the options typed. */
static void
test_setter_errors_name_options (Fixture *f, gconstpointer data)
{
  vmgrctl (f, "set-disk", "web", "--disk-soft", "20G");
  g_assert_cmpint (f->run.status, ==, VMGRCTL_EXIT_INVALID_ARGUMENT);
  g_assert_cmpstr (f->run.err, ==, "vmgrctl: cannot set disk limits of 'web': --disk-soft "
                                   "(21474836480) exceeds --disk (10737418240)\n");
}

static void
test_set_cpu (Fixture *f, gconstpointer data)
{
  guint32 vcpus, weight, limit;

  vmgrctl (f, "set-cpu", "web", "--weight", "200");
  assert_ok (f);
  g_assert_cmpstr (f->fake->last_method, ==, "SetCpu");
  g_variant_get (f->fake->last_args, "(uuu)", &vcpus, &weight, &limit);
  g_assert_cmpuint (vcpus, ==, 2);
  g_assert_cmpuint (weight, ==, 200);
  g_assert_cmpuint (limit, ==, 150);

  vmgrctl (f, "set-cpu", "web", "--vcpus", "4", "--limit", "0%");
  assert_ok (f);
  g_variant_get (f->fake->last_args, "(uuu)", &vcpus, &weight, &limit);
  g_assert_cmpuint (vcpus, ==, 4);
  g_assert_cmpuint (weight, ==, 200);
  g_assert_cmpuint (limit, ==, 0);

  /* The daemon's refusal, with its exit status. */
  vmgrctl (f, "set-cpu", "web", "--weight", "0");
  g_assert_cmpint (f->run.status, ==, VMGRCTL_EXIT_INVALID_ARGUMENT);
  g_assert_cmpstr (f->run.err, ==, "vmgrctl: cannot set CPUs of 'web': --cpu-weight 0 is out of "
                                   "range (use 1 to 10000)\n");
}

static void
test_set_disk (Fixture *f, gconstpointer data)
{
  guint64 soft, hard;

  vmgrctl (f, "set-disk", "web", "--soft", "8G");
  assert_ok (f);
  g_assert_cmpstr (f->fake->last_method, ==, "SetDisk");
  g_variant_get (f->fake->last_args, "(tt)", &soft, &hard);
  g_assert_cmpuint (soft, ==, 8 * GiB);
  g_assert_cmpuint (hard, ==, 10 * GiB);
}

static void
test_set_network (Fixture *f, gconstpointer data)
{
  g_autoptr(GVariant) settings = NULL;
  g_autofree const char **addresses = NULL;
  g_autofree const char **nameservers = NULL;
  const char *gateway;

  vmgrctl (f, "set-network", "web", "--address", "10.0.0.7/24", "--address", "fd00::7/64",
           "--gateway", "10.0.0.1");
  assert_ok (f);
  g_assert_cmpstr (f->fake->last_method, ==, "SetNetwork");
  g_variant_get (f->fake->last_args, "(@a{sv})", &settings);
  g_assert_cmpuint (g_variant_n_children (settings), ==, 2);
  g_assert_true (g_variant_lookup (settings, "addresses", "^a&s", &addresses));
  g_assert_cmpuint (g_strv_length ((char **) addresses), ==, 2);
  g_assert_cmpstr (addresses[1], ==, "fd00::7/64");
  g_assert_true (g_variant_lookup (settings, "gateway", "&s", &gateway));
  g_assert_cmpstr (gateway, ==, "10.0.0.1");

  /* A lone '' clears a list. */
  g_clear_pointer (&settings, g_variant_unref);
  vmgrctl (f, "set-network", "web", "--nameserver", "");
  assert_ok (f);
  g_variant_get (f->fake->last_args, "(@a{sv})", &settings);
  g_assert_cmpuint (g_variant_n_children (settings), ==, 1);
  g_assert_true (g_variant_lookup (settings, "nameservers", "^a&s", &nameservers));
  g_assert_cmpuint (g_strv_length ((char **) nameservers), ==, 0);
}

static void
test_autostart_chown (Fixture *f, gconstpointer data)
{
  gboolean autostart = FALSE;
  guint32 uid = 1;

  vmgrctl (f, "autostart", "web", "on");
  assert_ok (f);
  g_variant_get (f->fake->last_args, "(b)", &autostart);
  g_assert_true (autostart);
  vmgrctl (f, "autostart", "web", "OFF");
  assert_ok (f);
  g_variant_get (f->fake->last_args, "(b)", &autostart);
  g_assert_false (autostart);

  vmgrctl (f, "chown", "web", "root");
  assert_ok (f);
  g_assert_cmpstr (f->fake->last_method, ==, "SetOwner");
  g_variant_get (f->fake->last_args, "(u)", &uid);
  g_assert_cmpuint (uid, ==, 0);

  vmgrctl (f, "chown", "secret", "0");
  g_assert_cmpint (f->run.status, ==, VMGRCTL_EXIT_NOT_AUTHORIZED);
  g_assert_cmpstr (f->run.err, ==, "vmgrctl: not authorized: You may not configure VM 'secret'.\n");

  vmgrctl (f, "autostart", "nope", "on");
  g_assert_cmpint (f->run.status, ==, VMGRCTL_EXIT_NOT_FOUND);
}

/* ---- stats and host ---- */

/* All running VMs by default: "db" only; missing keys show as "-". */
static void
test_stats (Fixture *f, gconstpointer data)
{
  vmgrctl (f, "stats");
  assert_ok (f);
  g_assert_cmpstr (f->run.out, ==,
                   "NAME  STATE    CPU                 MEMORY                        DISK  NET  UPTIME\n"
                   "db    running  [###.......] 33.3%  [#####.....] 512 MiB/1.0 GiB  -     -    1h 1m\n"
                   "CPU: percent of what the VM may use (its vCPUs, or its CPU limit when lower)\n");
  g_assert_cmpstr (f->fake->last_method, ==, "GetStats");
  g_assert_cmpuint (f->fake->get_stats_calls, ==, 1);

  /* Named: in that order, a stopped one without usage (and no GetStats). */
  vmgrctl (f, "stats", "web", "db");
  assert_ok (f);
  g_assert_cmpstr (f->run.out, ==,
                   "NAME  STATE    CPU                 MEMORY                        DISK  NET  UPTIME\n"
                   "web   stopped  -                   -                             -     -    -\n"
                   "db    running  [###.......] 33.3%  [#####.....] 512 MiB/1.0 GiB  -     -    1h 1m\n"
                   "CPU: percent of what the VM may use (its vCPUs, or its CPU limit when lower)\n");
  g_assert_cmpuint (f->fake->get_stats_calls, ==, 2);

  /* -H: the rows alone, for scripts. */
  vmgrctl (f, "stats", "db", "-H");
  assert_ok (f);
  g_assert_cmpstr (f->run.out, ==,
                   "db  running  [###.......] 33.3%  [#####.....] 512 MiB/1.0 GiB  -  -  1h 1m\n");

  vmgrctl (f, "stats", "nope");
  g_assert_cmpint (f->run.status, ==, VMGRCTL_EXIT_NOT_FOUND);
  test_assert_one_error_line (&f->run, "vmgrctl: cannot find VM 'nope': ");
}

static void
test_stats_json (Fixture *f, gconstpointer data)
{
  g_autoptr(JsonNode) root = NULL;
  JsonArray *vms;
  JsonObject *db, *stats;

  vmgrctl (f, "stats", "--json", "db", "web");
  assert_ok (f);
  root = parse_json (f->run.out);
  vms = json_node_get_array (root);
  g_assert_cmpuint (json_array_get_length (vms), ==, 2);
  db = json_array_get_object_element (vms, 0);
  g_assert_cmpint (json_object_get_int_member (db, "id"), ==, 102);
  g_assert_cmpstr (json_object_get_string_member (db, "state"), ==, "running");
  g_assert_cmpint (json_object_get_int_member (db, "memory_limit"), ==, GiB);
  stats = json_object_get_object_member (db, "stats");
  g_assert_cmpfloat (json_object_get_double_member (stats, "cpu_percent"), ==, 50.0);
  g_assert_cmpint (json_object_get_int_member (stats, "memory_used"), ==, 512 * MiB);
  g_assert_false (json_object_has_member (stats, "disk_used"));
  g_assert_true (json_object_has_member (stats, "sampled_at_usec"));
  /* web is stopped: no sample, null. */
  g_assert_true (json_object_get_null_member (json_array_get_object_element (vms, 1), "stats"));
}

/* Not a terminal: the tables follow each other after a blank line. */
static void
test_stats_watch (Fixture *f, gconstpointer data)
{
  g_auto(GStrv) tables = NULL;

  vmgrctl (f, "stats", "--watch", "0.05", "--count", "3", "db");
  assert_ok (f);
  tables = g_strsplit (f->run.out, "\n\n", -1);
  g_assert_cmpuint (g_strv_length (tables), ==, 3);
  g_assert_true (g_str_has_prefix (tables[2], "NAME  STATE "));
  g_assert_false (strstr (f->run.out, "\033[") != NULL);

  /* --watch without a number before a VM name: 2 seconds, 1 table. */
  vmgrctl (f, "stats", "--count", "1", "--watch", "db");
  assert_ok (f);
  g_assert_true (g_str_has_prefix (f->run.out, "NAME  STATE "));
}

/* While vmgrd's own samples come (Usage changes), they are shown and
 * GetStats is called only for the first table. */
static gboolean
update_usage (gpointer data)
{
  VmgrDBusVM *db = data;

  vmgr_dbus_vm_set_usage (db, g_variant_new_parsed (
    "{'cpu_percent': <75.0>, 'memory_used': <uint64 268435456>, 'sampled_at': <%x>}",
    g_get_real_time ()));
  return G_SOURCE_CONTINUE;
}

static void
test_stats_watch_usage (Fixture *f, gconstpointer data)
{
  guint source = g_timeout_add (20, update_usage, fake_vmgrd_get_vm (f->fake, "db"));
  g_auto(GStrv) tables = NULL;

  vmgrctl (f, "stats", "db", "--watch", "0.3", "--count", "3");
  g_source_remove (source);
  assert_ok (f);
  g_assert_cmpuint (f->fake->get_stats_calls, ==, 1);
  tables = g_strsplit (f->run.out, "\n\n", -1);
  g_assert_cmpuint (g_strv_length (tables), ==, 3);
  /* 50% and 75% of one host CPU, of the 150% db may use. */
  g_assert_nonnull (strstr (tables[0], "[###.......] 33.3%"));
  g_assert_nonnull (strstr (tables[2], "[#####.....] 50.0%"));
  g_assert_nonnull (strstr (tables[2], "256 MiB/1.0 GiB"));
}

/* On libvirt's test driver the figures are made up: said where shown. */
static void
test_test_backend_says_simulated (Fixture *f, gconstpointer data)
{
  VmgrDBusManager *manager = vmgr_dbus_object_peek_manager (VMGR_DBUS_OBJECT (f->fake->manager_object));
  const char *note = "backend test: simulated values (libvirt's test driver; usage and host "
                     "figures are not real)\n";
  g_autoptr(JsonNode) root = NULL;

  vmgrctl (f, "host");
  g_assert_false (g_str_has_suffix (f->run.out, note));
  vmgr_dbus_manager_set_backend (manager, "test");
  vmgrctl (f, "host");
  assert_ok (f);
  g_assert_true (g_str_has_suffix (f->run.out, note));
  vmgrctl (f, "show", "db");
  g_assert_true (g_str_has_suffix (f->run.out, note));
  vmgrctl (f, "stats", "db");
  g_assert_true (g_str_has_suffix (f->run.out, note));
  vmgrctl (f, "host", "--json");
  root = parse_json (f->run.out);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (root), "backend"), ==,
                   "test");
}

static void
test_host (Fixture *f, gconstpointer data)
{
  g_autoptr(JsonNode) root = NULL;

  vmgrctl (f, "host");
  assert_ok (f);
  g_assert_cmpstr (f->run.out, ==,
                   "Host CPUs:        8 (also the most vCPUs one VM may have)\n"
                   "CPU model:        Fake CPU\n"
                   "Memory total:     16 GiB\n"
                   "Memory free:      8.0 GiB\n"
                   "Disk total:       100 GiB\n"
                   "Disk free:        60 GiB\n"
                   "vCPU capacity:    32\n"
                   "Memory capacity:  16 GiB\n"
                   "Disk capacity:    unlimited\n"
                   "Allocated vCPUs:  8 of 32 (25%)\n"
                   "Allocated memory: 4.0 GiB of 16 GiB (25%)\n"
                   "Allocated disk:   20 GiB\n"
                   "VMs:              4\n"
                   "  provisioning:   0\n"
                   "  stopped:        3\n"
                   "  running:        1\n"
                   "  migrating:      0\n");
  vmgrctl (f, "host", "--json");
  assert_ok (f);
  root = parse_json (f->run.out);
  g_assert_cmpint (json_object_get_int_member (json_node_get_object (root), "memory_total"), ==,
                   16 * GiB);
}

int
main (int argc, char **argv)
{
  fixture_test_init (&argc, &argv);

  add_test ("/vmgrctl/fake/set-memory", test_set_memory);
  add_test ("/vmgrctl/fake/set-cpu", test_set_cpu);
  add_test ("/vmgrctl/fake/set-disk", test_set_disk);
  add_test ("/vmgrctl/fake/setters-take-create-options", test_setters_take_create_options);
  add_test ("/vmgrctl/fake/setter-errors-name-options", test_setter_errors_name_options);
  add_test ("/vmgrctl/fake/set-network", test_set_network);
  add_test ("/vmgrctl/fake/autostart-chown", test_autostart_chown);
  add_test ("/vmgrctl/fake/stats", test_stats);
  add_test ("/vmgrctl/fake/stats-json", test_stats_json);
  add_test ("/vmgrctl/fake/stats-watch", test_stats_watch);
  add_test ("/vmgrctl/fake/stats-watch-usage", test_stats_watch_usage);
  add_test ("/vmgrctl/fake/host", test_host);
  add_test ("/vmgrctl/fake/test-backend-says-simulated", test_test_backend_says_simulated);

  return g_test_run ();
}
