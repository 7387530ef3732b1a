/* Unit tests of the pure parts behind set-*, stats, host, customer,
 * console and the provisioning progress bar (see test-units-extras.h). */
#include "test-units-extras.h"

#include <fcntl.h>
#include <gio/gio.h>
#include <glib-unix.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vmgrctl-customer-options.h"
#include "vmgrctl-errors.h"
#include "vmgrctl-host-view.h"
#include "vmgrctl-progress.h"
#include "vmgrctl-relay.h"
#include "vmgrctl-settings.h"
#include "vmgrctl-stats-view.h"

#define GiB (G_GUINT64_CONSTANT (1) << 30)
#define MiB (G_GUINT64_CONSTANT (1) << 20)

/* ---- stats ---- */

static void
test_bar (void)
{
  static const struct { double fraction; guint width; const char *bar; } cases[] = {
    { 0.0, 10, "[..........]" }, { 0.04, 10, "[..........]" }, { 0.05, 10, "[#.........]" },
    { 0.5, 10, "[#####.....]" }, { 1.0, 10, "[##########]" }, { 3.5, 10, "[##########]" },
    { -1.0, 10, "[..........]" }, { 0.5, 4, "[##..]" }, { 1.0 / 3.0, 3, "[#..]" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *bar = vmgrctl_format_bar (cases[i].fraction, cases[i].width);
      g_assert_cmpstr (bar, ==, cases[i].bar);
    }
}

static void
test_bar_nan (void)
{
  g_autofree char *bar = vmgrctl_format_bar (0.0 / 0.0, 4);
  g_autofree char *percent = vmgrctl_format_percent (12.345);
  g_autofree char *big = vmgrctl_format_percent (250.0);

  g_assert_cmpstr (bar, ==, "[....]");
  g_assert_cmpstr (percent, ==, "12.3%");
  g_assert_cmpstr (big, ==, "250.0%");
}

/* ---- the provisioning progress bar ---- */

static void
test_progress_format (void)
{
  static const struct { double fraction; guint percent; const char *text; } cases[] = {
    { 0.0, 0, "Provisioning web [--------------------] 0%" },
    { 0.45, 45, "Provisioning web [#########-----------] 45%" },
    { 0.29, 29, "Provisioning web [######--------------] 29%" },
    { 0.5, 50, "Provisioning web [##########----------] 50%" },
    { 0.999, 99, "Provisioning web [####################] 99%" },
    { 1.0, 100, "Provisioning web [####################] 100%" },
    { 1.7, 100, "Provisioning web [####################] 100%" },
    { -0.5, 0, "Provisioning web [--------------------] 0%" },
  };
  g_autofree char *nan = vmgrctl_format_progress ("web", 0.0 / 0.0);
  g_autofree char *dashes = vmgrctl_format_bar_with (0.5, 4, '-');

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *text = vmgrctl_format_progress ("web", cases[i].fraction);
      g_assert_cmpuint (vmgrctl_progress_percent (cases[i].fraction), ==, cases[i].percent);
      g_assert_cmpstr (text, ==, cases[i].text);
    }
  g_assert_cmpstr (nan, ==, "Provisioning web [--------------------] 0%");
  g_assert_cmpstr (dashes, ==, "[##--]");
}

/* Not a tty: a line at first, then one each time a 25% step is reached. */
static void
test_progress_lines (void)
{
  static const struct { double fraction; const char *out; } steps[] = {
    { 0.1, "Provisioning db [##------------------] 10%\n" },
    { 0.2, NULL }, { 0.24, NULL },
    { 0.25, "Provisioning db [#####---------------] 25%\n" },
    { 0.3, NULL },
    { 0.8, "Provisioning db [################----] 80%\n" },  /* passed two steps */
    { 0.85, NULL }, { 0.5, NULL },
  };
  VmgrctlProgress progress;
  g_autofree char *finish = NULL;

  vmgrctl_progress_init (&progress, FALSE);
  for (gsize i = 0; i < G_N_ELEMENTS (steps); i++)
    {
      g_autofree char *out = vmgrctl_progress_update (&progress, "db", steps[i].fraction);
      g_assert_cmpstr (out, ==, steps[i].out);
    }
  g_assert_cmpstr (vmgrctl_progress_end_line (&progress), ==, "");
  finish = vmgrctl_progress_finish (&progress, "db");
  g_assert_cmpstr (finish, ==, "Provisioning db [####################] 100%\n");
}

static void
test_progress_lines_done (void)
{
  VmgrctlProgress progress;
  g_autofree char *first = NULL;
  g_autofree char *done = NULL;
  g_autofree char *finish = NULL;

  vmgrctl_progress_init (&progress, FALSE);
  first = vmgrctl_progress_update (&progress, "db", 0.0);
  g_assert_cmpstr (first, ==, "Provisioning db [--------------------] 0%\n");
  done = vmgrctl_progress_update (&progress, "db", 1.0);
  g_assert_cmpstr (done, ==, "Provisioning db [####################] 100%\n");
  /* 100% was printed: nothing more. */
  finish = vmgrctl_progress_finish (&progress, "db");
  g_assert_cmpstr (finish, ==, "");
}

/* A tty: redrawn in place at each new percent; the newline at the end. */
static void
test_progress_tty (void)
{
  VmgrctlProgress progress;
  g_autofree char *first = NULL;
  g_autofree char *same = NULL;
  g_autofree char *more = NULL;
  g_autofree char *finish = NULL;

  vmgrctl_progress_init (&progress, TRUE);
  g_assert_cmpstr (vmgrctl_progress_end_line (&progress), ==, "");
  first = vmgrctl_progress_update (&progress, "db", 0.0);
  g_assert_cmpstr (first, ==, "\rProvisioning db [--------------------] 0%\033[K");
  same = vmgrctl_progress_update (&progress, "db", 0.001);
  g_assert_null (same);
  more = vmgrctl_progress_update (&progress, "db", 0.07);
  g_assert_cmpstr (more, ==, "\rProvisioning db [#-------------------] 7%\033[K");
  finish = vmgrctl_progress_finish (&progress, "db");
  g_assert_cmpstr (finish, ==, "\rProvisioning db [####################] 100%\033[K\n");
  g_assert_cmpstr (vmgrctl_progress_end_line (&progress), ==, "");
}

static void
test_progress_tty_done (void)
{
  VmgrctlProgress progress;
  g_autofree char *done = NULL;
  g_autofree char *finish = NULL;

  vmgrctl_progress_init (&progress, TRUE);
  done = vmgrctl_progress_update (&progress, "db", 1.0);
  g_assert_cmpstr (done, ==, "\rProvisioning db [####################] 100%\033[K");
  finish = vmgrctl_progress_finish (&progress, "db");
  g_assert_cmpstr (finish, ==, "\n");
}

/* A tty line ends before an error message, once. */
static void
test_progress_tty_end_line (void)
{
  VmgrctlProgress progress;
  g_autofree char *first = NULL;

  vmgrctl_progress_init (&progress, TRUE);
  first = vmgrctl_progress_update (&progress, "db", 0.5);
  g_assert_nonnull (first);
  g_assert_cmpstr (vmgrctl_progress_end_line (&progress), ==, "\n");
  g_assert_cmpstr (vmgrctl_progress_end_line (&progress), ==, "");
}

static void
test_cpu_capacity (void)
{
  VmgrctlStatsRow row = { .vcpus = 2 };

  g_assert_cmpuint (vmgrctl_stats_cpu_capacity (&row), ==, 200);
  row.cpu_limit = 150;
  g_assert_cmpuint (vmgrctl_stats_cpu_capacity (&row), ==, 150);
  row.cpu_limit = 400;  /* above what the vCPUs can use */
  g_assert_cmpuint (vmgrctl_stats_cpu_capacity (&row), ==, 200);
  row.vcpus = 0;
  row.cpu_limit = 0;
  g_assert_cmpuint (vmgrctl_stats_cpu_capacity (&row), ==, 100);
}

static void
test_stats_table (void)
{
  g_autoptr(VmgrctlTable) table = vmgrctl_stats_table_new ();
  g_autoptr(GVariant) full = g_variant_ref_sink (g_variant_new_parsed (
    "{'cpu_percent': <100.0>, 'memory_used': <uint64 268435456>, 'disk_used': <uint64 %t>, "
    "'net_rx_bytes': <uint64 1536>, 'net_tx_bytes': <uint64 10>, 'uptime_s': <uint64 90060>, "
    "'sampled_at': <int64 1>}", 12 * GiB));
  g_autoptr(GVariant) partial = g_variant_ref_sink (g_variant_new_parsed (
    "{'memory_used': <uint64 1048576>, 'net_tx_bytes': <uint64 2048>}"));
  VmgrctlStatsRow rows[] = {
    { 101, "web", "running", 4, 0, GiB, 10 * GiB, full },
    { 102, "db", "running", 1, 0, 0, 0, partial },
    { 103, "off", "stopped", 1, 0, GiB, GiB, NULL },
  };
  g_autofree char *text = NULL;

  for (gsize i = 0; i < G_N_ELEMENTS (rows); i++)
    vmgrctl_stats_table_add (table, &rows[i]);
  text = vmgrctl_table_render (table);
  /* web: 100% of 4 vCPUs is a quarter; its disk is over the limit. */
  g_assert_cmpstr (text, ==,
    "NAME  STATE    CPU                  MEMORY                        DISK                        NET           UPTIME\n"
    "web   running  [###.......] 100.0%  [###.......] 256 MiB/1.0 GiB  [##########] 12 GiB/10 GiB  1.5 KiB/10 B  1d 1h 1m\n"
    "db    running  -                    1.0 MiB                       -                           -/2.0 KiB     -\n"
    "off   stopped  -                    -                             -                           -             -\n");
}

static void
test_stats_json (void)
{
  g_autoptr(GVariant) stats = g_variant_ref_sink (g_variant_new_parsed (
    "{'cpu_percent': <12.5>, 'memory_used': <uint64 1024>, 'sampled_at': <int64 7>}"));
  VmgrctlStatsRow row = { 7, "web", "running", 2, 150, GiB, 0, stats };
  VmgrctlStatsRow bare = { 8, "off", "stopped", 1, 0, 0, 0, NULL };
  g_autoptr(JsonNode) node = vmgrctl_stats_row_to_json (&row);
  g_autoptr(JsonNode) bare_node = vmgrctl_stats_row_to_json (&bare);
  JsonObject *object = json_node_get_object (node);
  JsonObject *sample = json_object_get_object_member (object, "stats");

  g_assert_cmpint (json_object_get_int_member (object, "id"), ==, 7);
  g_assert_cmpstr (json_object_get_string_member (object, "state"), ==, "running");
  g_assert_cmpint (json_object_get_int_member (object, "cpu_limit"), ==, 150);
  g_assert_cmpint (json_object_get_int_member (object, "memory_limit"), ==, GiB);
  g_assert_cmpfloat (json_object_get_double_member (sample, "cpu_percent"), ==, 12.5);
  g_assert_cmpint (json_object_get_int_member (sample, "sampled_at"), ==, 7);
  g_assert_cmpuint (json_object_get_size (sample), ==, 3);
  sample = json_object_get_object_member (json_node_get_object (bare_node), "stats");
  g_assert_cmpuint (json_object_get_size (sample), ==, 0);
}

/* ---- host ---- */

static void
test_host_describe (void)
{
  g_autoptr(GVariant) info = g_variant_ref_sink (g_variant_new_parsed (
    "{'cpus': <uint32 4>, 'memory_total': <uint64 %t>, 'capacity_vcpus': <uint64 16>, "
    "'capacity_memory': <uint64 0>, 'allocated_vcpus': <uint64 3>, "
    "'allocated_memory': <uint64 %t>, 'vms': <uint32 2>, 'vms_running': <uint32 1>, "
    "'vms_stopped': <uint32 1>, 'vms_hibernating': <uint32 0>, 'kernel': <'6.1'>}",
    8 * GiB, 3 * GiB / 2));
  g_autofree char *text = vmgrctl_host_describe (info);

  g_assert_cmpstr (text, ==,
                   "CPUs:             4\n"
                   "CPU model:        -\n"
                   "Memory total:     8.0 GiB\n"
                   "Memory free:      -\n"
                   "Disk total:       -\n"
                   "Disk free:        -\n"
                   "Capacity vCPUs:   16\n"
                   "Capacity memory:  unlimited\n"
                   "Capacity disk:    -\n"
                   "Allocated vCPUs:  3 (19%)\n"
                   "Allocated memory: 1.5 GiB\n"
                   "Allocated disk:   -\n"
                   "VMs:              2\n"
                   "  stopped:        1\n"
                   "  running:        1\n"
                   "  hibernating:    0\n"
                   "kernel:           6.1\n");
}

/* ---- settings ---- */

static void
test_settings_resolve (void)
{
  VmgrctlSetting settings[] = {
    { "guarantee", VMGRCTL_SETTING_SIZE, NULL, 512 * MiB, 0 },
    { "soft-limit", VMGRCTL_SETTING_SIZE, "0", GiB, 0 },
    { "limit", VMGRCTL_SETTING_SIZE, "1.5G", GiB, 0 },
  };
  VmgrctlSetting cpu[] = {
    { "vcpus", VMGRCTL_SETTING_COUNT, "4", 2, 0 },
    { "weight", VMGRCTL_SETTING_COUNT, NULL, 100, 0 },
    { "limit", VMGRCTL_SETTING_PERCENT, "150%", 0, 0 },
  };
  VmgrctlSetting none[] = { { "soft", VMGRCTL_SETTING_SIZE, NULL, 5, 0 } };

  g_assert_true (vmgrctl_settings_any_given (settings, G_N_ELEMENTS (settings)));
  g_assert_true (vmgrctl_settings_resolve (settings, G_N_ELEMENTS (settings), NULL));
  g_assert_cmpuint (settings[0].value, ==, 512 * MiB);
  g_assert_cmpuint (settings[1].value, ==, 0);
  g_assert_cmpuint (settings[2].value, ==, GiB + GiB / 2);
  g_assert_true (vmgrctl_settings_resolve (cpu, G_N_ELEMENTS (cpu), NULL));
  g_assert_cmpuint (cpu[0].value, ==, 4);
  g_assert_cmpuint (cpu[1].value, ==, 100);
  g_assert_cmpuint (cpu[2].value, ==, 150);
  g_assert_false (vmgrctl_settings_any_given (none, G_N_ELEMENTS (none)));
  g_assert_true (vmgrctl_settings_resolve (none, G_N_ELEMENTS (none), NULL));
  g_assert_cmpuint (none[0].value, ==, 5);
}

static void
test_settings_invalid (void)
{
  static const struct { VmgrctlSettingKind kind; const char *text; const char *message; } cases[] = {
    { VMGRCTL_SETTING_SIZE, "12X", "invalid --opt: '12X' is not a size (e.g. 512M, 1.5G, 1024K)" },
    { VMGRCTL_SETTING_COUNT, "-1", NULL },
    { VMGRCTL_SETTING_COUNT, "4294967296", NULL },
    { VMGRCTL_SETTING_PERCENT, "1.5", "invalid --opt: '1.5' is not a percentage (e.g. 150 or 150%)" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      VmgrctlSetting setting = { "opt", cases[i].kind, cases[i].text, 3, 9 };
      g_autoptr(GError) error = NULL;

      g_assert_false (vmgrctl_settings_resolve (&setting, 1, &error));
      g_assert_error (error, VMGRCTL_ERROR, VMGRCTL_EXIT_USAGE);
      g_assert_true (g_str_has_prefix (error->message, "invalid --opt: "));
      if (cases[i].message != NULL)
        g_assert_cmpstr (error->message, ==, cases[i].message);
    }
}

static void
test_network_settings (void)
{
  const char *const addresses[] = { "10.0.0.2/24", "", "fd00::2/64", NULL };
  const char *const clear[] = { "", NULL };
  g_autoptr(GVariant) all = g_variant_ref_sink (
    vmgrctl_network_settings ("web", addresses, "10.0.0.1", clear));
  g_autoptr(GVariant) some = g_variant_ref_sink (
    vmgrctl_network_settings (NULL, NULL, "", NULL));
  g_autofree const char **list = NULL;
  g_autofree const char **empty = NULL;
  const char *text;

  g_assert_true (g_variant_is_of_type (all, G_VARIANT_TYPE_VARDICT));
  g_assert_cmpuint (g_variant_n_children (all), ==, 4);
  g_assert_true (g_variant_lookup (all, "hostname", "&s", &text));
  g_assert_cmpstr (text, ==, "web");
  g_assert_true (g_variant_lookup (all, "addresses", "^a&s", &list));
  g_assert_cmpuint (g_strv_length ((char **) list), ==, 2);
  g_assert_cmpstr (list[1], ==, "fd00::2/64");
  g_assert_true (g_variant_lookup (all, "nameservers", "^a&s", &empty));
  g_assert_cmpuint (g_strv_length ((char **) empty), ==, 0);
  g_assert_cmpuint (g_variant_n_children (some), ==, 1);
  g_assert_true (g_variant_lookup (some, "gateway", "&s", &text));
  g_assert_cmpstr (text, ==, "");
}

static void
test_parse_switch (void)
{
  static const char *const on[] = { "on", "ON", "yes", "true", "1" };
  static const char *const off[] = { "off", "Off", "no", "false", "0" };
  g_autoptr(GError) error = NULL;
  gboolean value;

  for (gsize i = 0; i < G_N_ELEMENTS (on); i++)
    {
      value = FALSE;
      g_assert_true (vmgrctl_parse_switch (on[i], &value, NULL));
      g_assert_true (value);
      g_assert_true (vmgrctl_parse_switch (off[i], &value, NULL));
      g_assert_false (value);
    }
  g_assert_false (vmgrctl_parse_switch ("maybe", &value, &error));
  g_assert_error (error, VMGRCTL_ERROR, VMGRCTL_EXIT_USAGE);
  g_assert_cmpstr (error->message, ==, "'maybe' is not on or off");
}

/* ---- customer options ---- */

/* Sets the option @name of @options as the command line would. */
static void
set_option (VmgrctlCustomerOptions *options, const char *name, const char *value)
{
  g_autofree GOptionEntry *entries = vmgrctl_customer_options_entries (options);

  for (guint i = 0; entries[i].long_name != NULL; i++)
    if (g_str_equal (entries[i].long_name, name))
      {
        *(char **) entries[i].arg_data = g_strdup (value);
        return;
      }
  g_assert_not_reached ();
}

static void
test_customer_options (void)
{
  g_auto(VmgrctlCustomerOptions) options = { { NULL } };
  g_autoptr(GVariant) info = NULL;
  const char *text;
  guint32 count;
  guint64 bytes;

  g_assert_false (vmgrctl_customer_options_any (&options));
  g_assert_cmpstr (vmgrctl_customer_options_missing (&options), ==, "--name");
  set_option (&options, "name", "Ada Lovelace");
  set_option (&options, "email", "ada@example.org");
  g_assert_cmpstr (vmgrctl_customer_options_missing (&options), ==, "--national-id");
  set_option (&options, "national-id", "X-1");
  g_assert_null (vmgrctl_customer_options_missing (&options));
  set_option (&options, "address", "1 Main St");
  set_option (&options, "max-vcpus", "8");
  set_option (&options, "max-disk", "100G");
  g_assert_true (vmgrctl_customer_options_any (&options));

  info = vmgrctl_customer_options_to_info (&options, NULL);
  g_assert_nonnull (info);
  g_assert_cmpuint (g_variant_n_children (info), ==, 6);
  g_assert_true (g_variant_lookup (info, "full_name", "&s", &text));
  g_assert_cmpstr (text, ==, "Ada Lovelace");
  g_assert_true (g_variant_lookup (info, "national_id", "&s", &text));
  g_assert_cmpstr (text, ==, "X-1");
  g_assert_true (g_variant_lookup (info, "address", "&s", &text));
  g_assert_true (g_variant_lookup (info, "max_vcpus", "u", &count));
  g_assert_cmpuint (count, ==, 8);
  g_assert_true (g_variant_lookup (info, "max_disk", "t", &bytes));
  g_assert_cmpuint (bytes, ==, 100 * GiB);
  g_assert_false (g_variant_lookup (info, "phone", "&s", &text));
}

static void
test_customer_options_invalid (void)
{
  g_auto(VmgrctlCustomerOptions) options = { { NULL } };
  g_autoptr(GError) error = NULL;

  set_option (&options, "max-memory", "lots");
  g_assert_null (vmgrctl_customer_options_to_info (&options, &error));
  g_assert_error (error, VMGRCTL_ERROR, VMGRCTL_EXIT_USAGE);
  g_assert_true (g_str_has_prefix (error->message, "invalid --max-memory: "));
}

/* ---- the console relay ---- */

typedef struct {
  int input[2];    /* [1]: the test writes; [0]: the relay reads */
  int output[2];   /* [1]: the relay writes; [0]: the test reads */
  int console[2];  /* [0]: the relay's; [1]: the "guest" */
} Sockets;

static void
sockets_open (Sockets *s)
{
  g_assert_cmpint (socketpair (AF_UNIX, SOCK_STREAM, 0, s->input), ==, 0);
  g_assert_cmpint (socketpair (AF_UNIX, SOCK_STREAM, 0, s->output), ==, 0);
  g_assert_cmpint (socketpair (AF_UNIX, SOCK_STREAM, 0, s->console), ==, 0);
}

static void
close_fd (int *fd)
{
  if (*fd >= 0)
    close (*fd);
  *fd = -1;
}

static void
sockets_close (Sockets *s)
{
  for (guint i = 0; i < 2; i++)
    {
      close_fd (&s->input[i]);
      close_fd (&s->output[i]);
      close_fd (&s->console[i]);
    }
}

static void
write_all (int fd, const char *text)
{
  g_assert_cmpint (write (fd, text, strlen (text)), ==, (int) strlen (text));
}

/* What is there to read on @fd now. */
static char *
read_available (int fd)
{
  GString *text = g_string_new (NULL);
  char buffer[256];
  ssize_t n;

  g_unix_set_fd_nonblocking (fd, TRUE, NULL);
  while ((n = read (fd, buffer, sizeof buffer)) > 0)
    g_string_append_len (text, buffer, n);
  return g_string_free (text, FALSE);
}

static void
test_relay_escape (void)
{
  Sockets s;
  g_autoptr(VmgrctlRelay) relay = NULL;
  g_autofree char *sent = NULL;
  VmgrctlRelayEnd end = VMGRCTL_RELAY_STOPPED;

  sockets_open (&s);
  write_all (s.input[1], "ls\r\035exit\r");
  relay = vmgrctl_relay_new (s.input[0], s.output[1], s.console[0], 0x1d);
  g_assert_true (vmgrctl_relay_run (relay, &end, NULL));
  g_assert_cmpint (end, ==, VMGRCTL_RELAY_ESCAPED);
  sent = read_available (s.console[1]);
  g_assert_cmpstr (sent, ==, "ls\r");
  /* The descriptors are blocking again once the relay is gone. */
  g_clear_pointer (&relay, vmgrctl_relay_free);
  g_assert_false (fcntl (s.input[0], F_GETFL) & O_NONBLOCK);
  g_assert_false (fcntl (s.console[0], F_GETFL) & O_NONBLOCK);
  sockets_close (&s);
}

static void
test_relay_console_ends (void)
{
  Sockets s;
  g_autoptr(VmgrctlRelay) relay = NULL;
  g_autofree char *shown = NULL;
  VmgrctlRelayEnd end = VMGRCTL_RELAY_STOPPED;

  sockets_open (&s);
  write_all (s.console[1], "Debian GNU/Linux 12\r\nlogin: ");
  close_fd (&s.console[1]);
  relay = vmgrctl_relay_new (s.input[0], s.output[1], s.console[0], 0x1d);
  g_assert_true (vmgrctl_relay_run (relay, &end, NULL));
  g_assert_cmpint (end, ==, VMGRCTL_RELAY_CONSOLE_ENDED);
  shown = read_available (s.output[0]);
  g_assert_cmpstr (shown, ==, "Debian GNU/Linux 12\r\nlogin: ");
  sockets_close (&s);
}

/* The guest answers the end of the input with a last word and hangs up
 * (which ends the relay, so this source is gone by then). */
static gboolean
on_guest_input (int fd, GIOCondition condition, gpointer data)
{
  GString *received = data;
  char buffer[64];
  ssize_t n = read (fd, buffer, sizeof buffer);

  if (n > 0)
    {
      g_string_append_len (received, buffer, n);
      return G_SOURCE_CONTINUE;
    }
  write_all (fd, "bye\r\n");
  shutdown (fd, SHUT_RDWR);
  return G_SOURCE_REMOVE;
}

static void
test_relay_input_ends (void)
{
  Sockets s;
  g_autoptr(VmgrctlRelay) relay = NULL;
  g_autoptr(GString) received = g_string_new (NULL);
  g_autofree char *shown = NULL;
  VmgrctlRelayEnd end = VMGRCTL_RELAY_STOPPED;

  sockets_open (&s);
  write_all (s.input[1], "uptime\n");
  close_fd (&s.input[1]);
  g_unix_fd_add (s.console[1], G_IO_IN | G_IO_HUP, on_guest_input, received);
  relay = vmgrctl_relay_new (s.input[0], s.output[1], s.console[0], -1);
  g_assert_true (vmgrctl_relay_run (relay, &end, NULL));
  g_assert_cmpint (end, ==, VMGRCTL_RELAY_CONSOLE_ENDED);
  g_assert_cmpstr (received->str, ==, "uptime\n");
  shown = read_available (s.output[0]);
  g_assert_cmpstr (shown, ==, "bye\r\n");
  sockets_close (&s);
}

static gboolean
stop_relay (gpointer data)
{
  vmgrctl_relay_stop (data);
  return G_SOURCE_REMOVE;
}

static void
test_relay_stop (void)
{
  Sockets s;
  g_autoptr(VmgrctlRelay) relay = NULL;
  VmgrctlRelayEnd end = VMGRCTL_RELAY_ESCAPED;

  sockets_open (&s);
  relay = vmgrctl_relay_new (s.input[0], s.output[1], s.console[0], 0x1d);
  g_timeout_add (10, stop_relay, relay);
  g_assert_true (vmgrctl_relay_run (relay, &end, NULL));
  g_assert_cmpint (end, ==, VMGRCTL_RELAY_STOPPED);
  sockets_close (&s);
}

void
test_units_extras_add (void)
{
  g_test_add_func ("/vmgrctl/stats/bar", test_bar);
  g_test_add_func ("/vmgrctl/stats/bar-nan-percent", test_bar_nan);
  g_test_add_func ("/vmgrctl/stats/cpu-capacity", test_cpu_capacity);
  g_test_add_func ("/vmgrctl/progress/format", test_progress_format);
  g_test_add_func ("/vmgrctl/progress/lines", test_progress_lines);
  g_test_add_func ("/vmgrctl/progress/lines-done", test_progress_lines_done);
  g_test_add_func ("/vmgrctl/progress/tty", test_progress_tty);
  g_test_add_func ("/vmgrctl/progress/tty-done", test_progress_tty_done);
  g_test_add_func ("/vmgrctl/progress/tty-end-line", test_progress_tty_end_line);
  g_test_add_func ("/vmgrctl/stats/table", test_stats_table);
  g_test_add_func ("/vmgrctl/stats/json", test_stats_json);
  g_test_add_func ("/vmgrctl/host/describe", test_host_describe);
  g_test_add_func ("/vmgrctl/settings/resolve", test_settings_resolve);
  g_test_add_func ("/vmgrctl/settings/invalid", test_settings_invalid);
  g_test_add_func ("/vmgrctl/settings/network", test_network_settings);
  g_test_add_func ("/vmgrctl/settings/switch", test_parse_switch);
  g_test_add_func ("/vmgrctl/customer/options", test_customer_options);
  g_test_add_func ("/vmgrctl/customer/options-invalid", test_customer_options_invalid);
  g_test_add_func ("/vmgrctl/relay/escape", test_relay_escape);
  g_test_add_func ("/vmgrctl/relay/console-ends", test_relay_console_ends);
  g_test_add_func ("/vmgrctl/relay/input-ends", test_relay_input_ends);
  g_test_add_func ("/vmgrctl/relay/stop", test_relay_stop);
}
