/* stats [VM...] [--watch [SECONDS]] [--count N]: the usage table of the
 * VMs named, or of every visible running VM (see vmgrctl-stats-view.h).
 * stats VM --history [--day]: the usage vmgrd kept of one VM
 * (GetUsageHistory: the last hour, or with --day the five-minute averages
 * of the last day; see vmgrctl-history-view.h).
 *
 * The first table comes from GetStats (a fresh sample). With --watch the
 * table is drawn again every SECONDS until Ctrl-C (or --count tables):
 * on a terminal over the last one, else after a blank line. A VM whose
 * Usage property changed since the last table (vmgrd's own sampling,
 * announced with PropertiesChanged and kept by the proxy) is shown from
 * it; only the others are asked with GetStats. VMs that are neither
 * running nor paused are shown without usage. */
#include "vmgrctl-commands.h"

#include <glib-unix.h>
#include <stdio.h>
#include <unistd.h>

#include "vmgrctl-errors.h"
#include "vmgrctl-history-view.h"
#include "vmgrctl-options.h"
#include "vmgrctl-stats-view.h"

#define DEFAULT_WATCH "2"
#define MAX_WATCH_S 86400.0
#define CLEAR_SCREEN "\033[H\033[2J"

typedef struct {
  VmgrctlContext *ctx;
  GPtrArray *named_paths;   /* the VMs named, resolved once; NULL: all running */
  GHashTable *vms;          /* path -> VmgrDBusVM, kept between tables */
  GHashTable *shown;        /* path -> gint64*: sampled_at of the last shown sample */
  gboolean watch;
  gboolean history;         /* --history: the series of one VM */
  gboolean day;             /* --day: its five-minute averages */
  guint interval_ms;
  guint count;              /* tables to draw; 0: until interrupted */
  guint drawn;
  gboolean tty;
  GMainLoop *loop;
  GError *error;            /* why watching ended early */
  char *failed;             /* what failed, for the error line */
} Stats;

static void
stats_clear (Stats *self)
{
  g_clear_pointer (&self->named_paths, g_ptr_array_unref);
  g_clear_pointer (&self->vms, g_hash_table_unref);
  g_clear_pointer (&self->shown, g_hash_table_unref);
  g_clear_pointer (&self->loop, g_main_loop_unref);
  g_clear_error (&self->error);
  g_clear_pointer (&self->failed, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Stats, stats_clear)

/* Takes @what (the first failure is reported). */
static void
set_failed (Stats *self, char *what)
{
  if (self->failed == NULL)
    self->failed = what;
  else
    g_free (what);
}

/* ---- the command line ---- */

/* "2", "0.5", "10": digits, maybe with a fraction. */
static gboolean
parse_number (const char *text, double *value)
{
  char *end = NULL;

  if (text == NULL || !g_ascii_isdigit (text[0]))
    return FALSE;
  *value = g_ascii_strtod (text, &end);
  return end != NULL && *end == '\0';
}

/* A number of seconds, more than 0 and at most a day; in milliseconds. */
static gboolean
parse_interval (const char *text, guint *ms)
{
  double seconds;

  if (!parse_number (text, &seconds) || !(seconds > 0.0) || seconds > MAX_WATCH_S)
    return FALSE;
  *ms = MAX ((guint) (seconds * 1000.0 + 0.5), 1);
  return TRUE;
}

/* --watch takes an optional SECONDS: "--watch 5" keeps its number (so
 * "--watch 101" is 101 seconds: put a VM id before --watch), a --watch
 * followed by anything else (a VM name, an option, nothing) becomes
 * "--watch=2". GOption cannot say that itself. */
static GStrv
expand_watch (char **argv)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  gboolean options_end = FALSE;
  double seconds;

  for (guint i = 0; argv[i] != NULL; i++)
    {
      if (g_str_equal (argv[i], "--"))
        options_end = TRUE;
      if (!options_end && g_str_equal (argv[i], "--watch")
          && !parse_number (argv[i + 1], &seconds))
        g_strv_builder_add (builder, "--watch=" DEFAULT_WATCH);
      else
        g_strv_builder_add (builder, argv[i]);
    }
  return g_strv_builder_end (builder);
}

static int
parse_stats (Stats *self, const VmgrctlCommand *cmd, char **argv, GStrv *args)
{
  g_autofree char *watch = NULL;
  g_autofree char *count = NULL;
  const GOptionEntry entries[] = {
    { "watch", 0, 0, G_OPTION_ARG_STRING, &watch,
      "Draw the table again every SECONDS (default " DEFAULT_WATCH ") until Ctrl-C", "SECONDS" },
    { "count", 0, 0, G_OPTION_ARG_STRING, &count, "Stop after N tables (implies --watch)", "N" },
    { "history", 0, 0, G_OPTION_ARG_NONE, &self->history,
      "The usage of one VM over the last hour, as vmgrd kept it", NULL },
    { "day", 0, 0, G_OPTION_ARG_NONE, &self->day,
      "With --history: five-minute averages over the last day", NULL },
    { NULL }
  };
  g_auto(GStrv) expanded = expand_watch (argv);
  g_autoptr(GError) error = NULL;
  int status = vmgrctl_command_parse (self->ctx, cmd, entries, NULL, expanded, args);

  if (status != VMGRCTL_EXIT_OK)
    return status;
  if (watch != NULL && !parse_interval (watch, &self->interval_ms))
    {
      g_autofree char *message = g_strdup_printf ("invalid --watch: '%s' is not a number of "
                                                  "seconds (more than 0, at most 86400)", watch);
      return vmgrctl_command_usage_error (cmd, message);
    }
  if (count != NULL && !vmgrctl_parse_option_uint32 ("count", count, &self->count, &error))
    return vmgrctl_command_fail (cmd, error);
  if (count != NULL && self->count == 0)
    return vmgrctl_command_usage_error (cmd, "invalid --count: must be at least 1");
  self->watch = watch != NULL || count != NULL;
  if (self->day && !self->history)
    return vmgrctl_command_usage_error (cmd, "--day goes with --history");
  if (self->history && self->watch)
    return vmgrctl_command_usage_error (cmd, "--history cannot be watched: leave out --watch and --count");
  if (self->history && (*args)[0] == NULL)
    return vmgrctl_command_usage_error (cmd, "--history needs one VM");
  if (self->history && (*args)[1] != NULL)
    return vmgrctl_command_usage_error (cmd, "--history shows one VM at a time");
  if (watch == NULL)
    parse_interval (DEFAULT_WATCH, &self->interval_ms);
  return VMGRCTL_EXIT_OK;
}

/* ---- samples ---- */

typedef struct {
  VmgrDBusVM *vm;
  GVariant *stats;  /* NULL: none */
} Sample;

static void
sample_clear (gpointer data)
{
  Sample *sample = data;

  g_clear_object (&sample->vm);
  g_clear_pointer (&sample->stats, g_variant_unref);
}

static gboolean
has_usage (VmgrDBusVM *vm)
{
  const char *state = vmgr_dbus_vm_get_state (vm);

  return g_strcmp0 (state, "running") == 0 || g_strcmp0 (state, "paused") == 0;
}

/* The Usage property when it is newer than what was shown last, else a
 * fresh GetStats. */
static GVariant *
fresh_stats (Stats *self, VmgrDBusVM *vm, GError **error)
{
  const char *path = g_dbus_proxy_get_object_path (G_DBUS_PROXY (vm));
  g_autoptr(GVariant) usage = vmgr_dbus_vm_dup_usage (vm);
  gint64 *shown = g_hash_table_lookup (self->shown, path);
  GVariant *stats = NULL;
  gint64 sampled_at;

  if (shown != NULL && usage != NULL && g_variant_lookup (usage, "sampled_at", "x", &sampled_at)
      && sampled_at > *shown)
    stats = g_steal_pointer (&usage);
  else if (!vmgr_dbus_vm_call_get_stats_sync (vm, &stats, NULL, error))
    return NULL;
  if (g_variant_lookup (stats, "sampled_at", "x", &sampled_at))
    g_hash_table_insert (self->shown, g_strdup (path), g_memdup2 (&sampled_at, sizeof sampled_at));
  return stats;
}

/* The proxy kept for @path, or a new one in @vms. NULL with a NOT_FOUND
 * error for a VM gone meanwhile. */
static VmgrDBusVM *
get_vm (Stats *self, GHashTable *vms, const char *path, GError **error)
{
  VmgrDBusVM *vm = self->vms != NULL ? g_hash_table_lookup (self->vms, path) : NULL;

  vm = vm != NULL ? g_object_ref (vm) : vmgrctl_context_get_vm (self->ctx, path, error);
  if (vm != NULL)
    g_hash_table_insert (vms, g_strdup (path), g_object_ref (vm));
  return vm;
}

/* Whether a failed GetStats ends the command: in a single table every
 * error does; while watching, the VM is shown without usage instead
 * (it may have stopped since it was listed), unless the bus or
 * authorization failed. */
static gboolean
is_fatal (Stats *self, const GError *error)
{
  VmgrctlExit code = vmgrctl_exit_code_for_error (error);

  return !self->watch || code == VMGRCTL_EXIT_NOT_AUTHORIZED || code == VMGRCTL_EXIT_NO_BUS;
}

/* One Sample per VM to show, in the order of @paths; VMs gone meanwhile
 * are left out. */
static GArray *
collect (Stats *self, char **paths, GError **error)
{
  g_autoptr(GArray) samples = g_array_new (FALSE, TRUE, sizeof (Sample));
  g_autoptr(GHashTable) vms = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                     g_object_unref);

  g_array_set_clear_func (samples, sample_clear);
  for (guint i = 0; paths[i] != NULL; i++)
    {
      g_autoptr(GError) local_error = NULL;
      g_autoptr(VmgrDBusVM) vm = get_vm (self, vms, paths[i], &local_error);
      g_autoptr(GVariant) stats = NULL;

      if (vm == NULL && vmgrctl_exit_code_for_error (local_error) == VMGRCTL_EXIT_NOT_FOUND)
        continue;
      if (vm == NULL)
        {
          set_failed (self, g_strdup_printf ("cannot read VM %s", paths[i]));
          g_propagate_error (error, g_steal_pointer (&local_error));
          return NULL;
        }
      if (self->named_paths == NULL && g_strcmp0 (vmgr_dbus_vm_get_state (vm), "running") != 0)
        continue;
      if (has_usage (vm))
        stats = fresh_stats (self, vm, &local_error);
      if (local_error != NULL
          && vmgrctl_exit_code_for_error (local_error) == VMGRCTL_EXIT_NOT_FOUND)
        continue;
      if (local_error != NULL && is_fatal (self, local_error))
        {
          set_failed (self, g_strdup_printf ("cannot read the usage of '%s'",
                                             vmgr_dbus_vm_get_name (vm)));
          g_propagate_error (error, g_steal_pointer (&local_error));
          return NULL;
        }
      g_array_append_val (samples, ((Sample) { g_steal_pointer (&vm), g_steal_pointer (&stats) }));
    }
  g_clear_pointer (&self->vms, g_hash_table_unref);
  self->vms = g_steal_pointer (&vms);
  return g_steal_pointer (&samples);
}

/* ---- drawing ---- */

static VmgrctlStatsRow
row_of (const Sample *sample)
{
  VmgrDBusVM *vm = sample->vm;

  return (VmgrctlStatsRow) {
    .id = vmgr_dbus_vm_get_id (vm),
    .name = vmgr_dbus_vm_get_name (vm),
    .state = vmgr_dbus_vm_get_state (vm),
    .vcpus = vmgr_dbus_vm_get_vcpus (vm),
    .cpu_limit = vmgr_dbus_vm_get_cpu_limit (vm),
    .memory_limit = vmgr_dbus_vm_get_memory_limit (vm),
    .disk_hard_limit = vmgr_dbus_vm_get_disk_hard_limit (vm),
    .stats = sample->stats,
  };
}

static void
draw (Stats *self, GArray *samples)
{
  if (self->watch && self->tty)
    fputs (CLEAR_SCREEN, stdout);
  else if (self->watch && self->drawn > 0)
    fputc ('\n', stdout);
  if (self->ctx->json)
    {
      g_autoptr(JsonArray) array = json_array_new ();
      g_autoptr(JsonNode) node = json_node_new (JSON_NODE_ARRAY);

      for (guint i = 0; i < samples->len; i++)
        {
          VmgrctlStatsRow row = row_of (&g_array_index (samples, Sample, i));
          json_array_add_element (array, vmgrctl_stats_row_to_json (&row));
        }
      vmgrctl_print_json (json_node_init_array (node, array));
    }
  else
    {
      g_autoptr(VmgrctlTable) table = vmgrctl_stats_table_new ();
      g_autofree char *text = NULL;

      for (guint i = 0; i < samples->len; i++)
        {
          VmgrctlStatsRow row = row_of (&g_array_index (samples, Sample, i));
          vmgrctl_stats_table_add (table, &row);
        }
      text = vmgrctl_table_render (table);
      vmgrctl_print (text);
      if (!self->ctx->no_header)
        vmgrctl_print (VMGRCTL_STATS_CPU_LEGEND "\n");
      if (!self->ctx->no_header
          && vmgrctl_backend_note (vmgr_dbus_manager_get_backend (self->ctx->manager)) != NULL)
        vmgrctl_print (vmgrctl_backend_note (vmgr_dbus_manager_get_backend (self->ctx->manager)));
    }
  fflush (stdout);
  self->drawn++;
}

/* One table: the VMs named, or every running VM vmgrd lists now. */
static gboolean
refresh (Stats *self, GError **error)
{
  g_auto(GStrv) listed = NULL;
  g_autoptr(GArray) samples = NULL;
  char **paths;

  if (self->named_paths != NULL)
    paths = (char **) self->named_paths->pdata;
  else if (vmgr_dbus_manager_call_list_vms_sync (self->ctx->manager, &listed, NULL, error))
    paths = listed;
  else
    {
      set_failed (self, g_strdup ("cannot list VMs"));
      return FALSE;
    }
  samples = collect (self, paths, error);
  if (samples == NULL)
    return FALSE;
  draw (self, samples);
  return TRUE;
}

/* ---- watching ---- */

static void
stop (Stats *self, GError *error)
{
  if (self->error == NULL)
    self->error = error;
  else
    g_clear_error (&error);
  g_main_loop_quit (self->loop);
}

static gboolean
on_tick (gpointer data)
{
  Stats *self = data;
  GError *error = NULL;

  if (!refresh (self, &error))
    stop (self, error);
  else if (self->count != 0 && self->drawn >= self->count)
    stop (self, NULL);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_interrupt (gpointer data)
{
  stop (data, NULL);
  return G_SOURCE_CONTINUE;
}

static void
on_name_owner (GObject *proxy, GParamSpec *pspec, gpointer data)
{
  g_autofree char *owner = g_dbus_proxy_get_name_owner (G_DBUS_PROXY (proxy));

  if (owner == NULL)
    {
      set_failed (data, g_strdup ("stats"));
      stop (data, g_error_new_literal (VMGRCTL_ERROR, VMGRCTL_EXIT_NO_BUS, "vmgrd left the bus"));
    }
}

/* Tables until Ctrl-C (SIGINT, also SIGTERM and SIGHUP: exit 0), --count,
 * an error or vmgrd leaving the bus. */
static gboolean
watch (Stats *self, GError **error)
{
  const int signals[] = { SIGINT, SIGTERM, SIGHUP };
  guint sources[G_N_ELEMENTS (signals) + 1];
  gulong owner_handler;

  self->loop = g_main_loop_new (NULL, FALSE);
  for (gsize i = 0; i < G_N_ELEMENTS (signals); i++)
    sources[i] = g_unix_signal_add (signals[i], on_interrupt, self);
  sources[G_N_ELEMENTS (signals)] = g_timeout_add (self->interval_ms, on_tick, self);
  owner_handler = g_signal_connect (self->ctx->manager, "notify::g-name-owner",
                                    G_CALLBACK (on_name_owner), self);
  g_main_loop_run (self->loop);
  g_signal_handler_disconnect (self->ctx->manager, owner_handler);
  for (gsize i = 0; i < G_N_ELEMENTS (sources); i++)
    g_source_remove (sources[i]);
  if (self->error == NULL)
    return TRUE;
  g_propagate_error (error, g_steal_pointer (&self->error));
  return FALSE;
}

/* ---- history ---- */

static int
show_history (Stats *self, const char *name)
{
  const char *path = g_ptr_array_index (self->named_paths, 0);
  g_autoptr(GError) error = NULL;
  g_autoptr(VmgrDBusVM) vm = vmgrctl_context_get_vm (self->ctx, path, &error);
  g_autoptr(GVariant) recent = NULL;
  g_autoptr(GVariant) minutes = NULL;
  GVariant *points;

  if (vm == NULL ||
      !vmgr_dbus_vm_call_get_usage_history_sync (vm, &recent, &minutes, NULL, &error))
    return vmgrctl_fail (error, "cannot read the usage history of '%s'", name);
  points = self->day ? minutes : recent;
  if (self->ctx->json)
    {
      g_autoptr(JsonNode) node = vmgrctl_history_to_json (points);

      vmgrctl_print_json (node);
    }
  else if (g_variant_n_children (points) == 0)
    vmgrctl_print ("no samples yet (vmgrd samples running VMs only)\n");
  else
    {
      g_autofree char *text = vmgrctl_history_render (points);

      vmgrctl_print (text);
    }
  return VMGRCTL_EXIT_OK;
}

/* ---- the command ---- */

static int
resolve_named (Stats *self, char **names)
{
  self->named_paths = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; names[i] != NULL; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *path = NULL;

      if (!vmgr_dbus_manager_call_find_vm_sync (self->ctx->manager, names[i], &path, NULL,
                                                &error))
        return vmgrctl_fail (error, "cannot find VM '%s'", names[i]);
      g_ptr_array_add (self->named_paths, g_steal_pointer (&path));
    }
  g_ptr_array_add (self->named_paths, NULL);
  return VMGRCTL_EXIT_OK;
}

int
vmgrctl_cmd_stats (VmgrctlContext *ctx, const VmgrctlCommand *cmd, char **argv)
{
  g_auto(Stats) self = { .ctx = ctx };
  g_auto(GStrv) args = NULL;
  g_autoptr(GError) error = NULL;
  VmgrDBusManager *manager;
  int status = parse_stats (&self, cmd, argv, &args);

  if (status == VMGRCTL_EXIT_OK)
    status = vmgrctl_context_connect (ctx, &manager);
  if (status == VMGRCTL_EXIT_OK && args[0] != NULL)
    status = resolve_named (&self, args);
  if (status != VMGRCTL_EXIT_OK)
    return status;
  if (self.history)
    return show_history (&self, args[0]);
  self.shown = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self.tty = isatty (STDOUT_FILENO);
  if (!refresh (&self, &error)
      || (self.watch && (self.count == 0 || self.drawn < self.count) && !watch (&self, &error)))
    return vmgrctl_fail (error, "%s", self.failed != NULL ? self.failed : "stats");
  return VMGRCTL_EXIT_OK;
}
