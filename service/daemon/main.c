/* vmgrd: the vmgr D-Bus system service. */
#include <errno.h>
#include <glib-unix.h>
#include <locale.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmgr-build-config.h"
#include "vmgr-config.h"
#include "vmgr-daemon.h"
#include "vmgr-error.h"
#include "vmgr-names.h"

/* run()'s answer when vmgrd must start again in a new process image. */
#define RESTART (-1)

typedef struct {
  GMainLoop *loop;
  VmgrDaemon *daemon;
  GDBusConnection *connection;
  guint owner_id;
  gboolean name_acquired;
  gboolean connection_lost;   /* closed by the bus or by GDBus, not by us */
  int exit_status;
} Service;

typedef struct {
  gboolean session;
  gboolean system;
  char *address;
  char *config_path;
  char *state_dir;
  char *uri;
  char *systemd_address;
  int verbosity;
  gboolean version;
} Arguments;

static gboolean
on_verbose (const char *name, const char *value, gpointer data, GError **error)
{
  ((Arguments *) data)->verbosity++;
  return TRUE;
}

static gboolean
parse_arguments (int *argc, char ***argv, Arguments *args, GError **error)
{
  const GOptionEntry entries[] = {
    { "system", 0, 0, G_OPTION_ARG_NONE, &args->system, "Use the system bus (default)", NULL },
    { "session", 0, 0, G_OPTION_ARG_NONE, &args->session, "Use the session bus (development)", NULL },
    { "address", 0, 0, G_OPTION_ARG_STRING, &args->address, "Use the bus at ADDRESS", "ADDRESS" },
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &args->config_path,
      "Configuration file (default " VMGR_DEFAULT_CONFIG ")", "FILE" },
    { "state-dir", 0, 0, G_OPTION_ARG_FILENAME, &args->state_dir, "State directory", "DIR" },
    { "uri", 0, 0, G_OPTION_ARG_STRING, &args->uri, "libvirt URI", "URI" },
    { "verbose", 'v', G_OPTION_FLAG_NO_ARG, G_OPTION_ARG_CALLBACK, on_verbose,
      "More log output (repeat for debug)", NULL },
    { "version", 0, 0, G_OPTION_ARG_NONE, &args->version, "Print the version and exit", NULL },
    /* For tests: a systemd user instance on its own bus. */
    { "systemd-address", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_STRING, &args->systemd_address,
      "Find systemd's manager on the bus at ADDRESS (tests)", "ADDRESS" },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("- the vmgr virtual machine manager");
  g_autoptr(GOptionGroup) group = g_option_group_new ("vmgrd", "vmgrd", "vmgrd options", args, NULL);

  g_option_group_add_entries (group, entries);
  g_option_context_set_main_group (context, g_steal_pointer (&group));
  if (!g_option_context_parse (context, argc, argv, error))
    return FALSE;
  if ((args->session ? 1 : 0) + (args->system ? 1 : 0) + (args->address != NULL ? 1 : 0) > 1)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "give only one of --system, --session and --address");
      return FALSE;
    }
  return TRUE;
}

static VmgrConfig *
load_config (const Arguments *args, GError **error)
{
  g_autoptr(VmgrConfig) config = vmgr_config_new_default ();

  if (!vmgr_config_load_file (config, args->config_path != NULL ? args->config_path
                                                                : VMGR_DEFAULT_CONFIG,
                              args->config_path != NULL, error))
    return NULL;
  vmgr_config_apply_environment (config);
  if (args->state_dir != NULL)
    {
      g_free (config->state_dir);
      config->state_dir = g_strdup (args->state_dir);
    }
  if (args->uri != NULL)
    {
      g_free (config->uri);
      config->uri = g_strdup (args->uri);
    }
  config->verbosity = MAX (config->verbosity, args->verbosity);
  return g_steal_pointer (&config);
}

static void
set_up_logging (int verbosity)
{
  /* Messages and above always; vmgrd's debug output with -v; every
   * library's with -vv. G_MESSAGES_DEBUG, when set, wins. */
  const char *domains = g_getenv ("G_MESSAGES_DEBUG");

  if (domains != NULL && *domains != '\0')
    return;
  if (verbosity >= 2)
    g_setenv ("G_MESSAGES_DEBUG", "all", TRUE);
  else if (verbosity == 1)
    g_setenv ("G_MESSAGES_DEBUG", G_LOG_DOMAIN, TRUE);
}

static GDBusConnection *
connect_address (const char *address, GError **error)
{
  return g_dbus_connection_new_for_address_sync (address,
                                                 G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                 G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                                 NULL, NULL, error);
}

static GDBusConnection *
connect_bus (const Arguments *args, GError **error)
{
  if (args->address != NULL)
    return connect_address (args->address, error);
  return g_bus_get_sync (args->session ? G_BUS_TYPE_SESSION : G_BUS_TYPE_SYSTEM, NULL, error);
}

/* systemd's bus when --systemd-address names one: a failure to reach it
 * is logged, and vmgrd goes on without systemd. */
static void
connect_systemd (const Arguments *args, VmgrDaemon *daemon)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDBusConnection) connection = NULL;

  if (args->systemd_address == NULL)
    return;
  connection = connect_address (args->systemd_address, &error);
  if (connection == NULL)
    {
      g_message ("cannot reach systemd's bus at %s: %s", args->systemd_address, error->message);
      return;
    }
  g_dbus_connection_set_exit_on_close (connection, FALSE);
  vmgr_daemon_set_systemd_connection (daemon, connection);
}

static gboolean
on_quit_signal (gpointer user_data)
{
  Service *service = user_data;

  g_message ("stopping on signal");
  g_main_loop_quit (service->loop);
  return G_SOURCE_CONTINUE;
}

/* GDBus closes the connection when the bus goes away, and also when it
 * receives a message it cannot decode (one that dbus-daemon forwarded,
 * see README "Reliability"): either way vmgrd is off the bus without
 * having chosen to be. */
static void
on_connection_closed (GDBusConnection *connection, gboolean remote_peer_vanished,
                      GError *error, gpointer user_data)
{
  Service *service = user_data;

  service->connection_lost = TRUE;
  g_warning ("the connection to the bus was closed (%s): starting again",
             error != NULL ? error->message : "no reason given");
  g_main_loop_quit (service->loop);
}

static void
on_name_acquired (GDBusConnection *connection, const char *name, gpointer user_data)
{
  Service *service = user_data;

  service->name_acquired = TRUE;
  g_message ("owning %s", name);
}

static void
on_name_lost (GDBusConnection *connection, const char *name, gpointer user_data)
{
  Service *service = user_data;

  if (connection == NULL || g_dbus_connection_is_closed (connection))
    service->connection_lost = TRUE;
  else if (service->name_acquired)
    g_message ("lost the name %s: stopping", name);
  else
    {
      g_printerr ("vmgrd: cannot own %s (another vmgrd running, or the bus policy forbids it)\n",
                  name);
      service->exit_status = 1;
    }
  g_main_loop_quit (service->loop);
}

static void
on_daemon_started (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Service *service = user_data;
  g_autoptr(GError) error = NULL;

  if (!vmgr_daemon_start_finish (VMGR_DAEMON (source), result, &error))
    {
      g_printerr ("vmgrd: %s\n", error->message);
      service->exit_status = 1;
      g_main_loop_quit (service->loop);
      return;
    }
  /* Every object is exported before the name is requested, so a client
   * that enumerates at once sees everything. */
  service->owner_id = g_bus_own_name_on_connection (service->connection, VMGR_BUS_NAME,
                                                    G_BUS_NAME_OWNER_FLAGS_NONE,
                                                    on_name_acquired, on_name_lost,
                                                    service, NULL);
}

static int
run (const Arguments *args)
{
  Service service = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(VmgrConfig) config = load_config (args, &error);

  if (config == NULL)
    return g_printerr ("vmgrd: %s\n", error->message), 1;
  set_up_logging (config->verbosity);
  service.connection = connect_bus (args, &error);
  if (service.connection == NULL)
    return g_printerr ("vmgrd: cannot connect to the bus: %s\n", error->message), 1;
  g_dbus_connection_set_exit_on_close (service.connection, FALSE);
  g_signal_connect (service.connection, "closed", G_CALLBACK (on_connection_closed), &service);
  service.daemon = vmgr_daemon_new (config, service.connection, &error);
  if (service.daemon == NULL)
    {
      g_printerr ("vmgrd: %s\n", error->message);
      g_object_unref (service.connection);
      return 1;
    }
  connect_systemd (args, service.daemon);
  service.loop = g_main_loop_new (NULL, FALSE);
  g_unix_signal_add (SIGTERM, on_quit_signal, &service);
  g_unix_signal_add (SIGINT, on_quit_signal, &service);
  vmgr_daemon_start_async (service.daemon, on_daemon_started, &service);
  g_main_loop_run (service.loop);

  if (service.owner_id != 0)
    g_bus_unown_name (service.owner_id);
  vmgr_daemon_stop (service.daemon);
  g_dbus_connection_flush_sync (service.connection, NULL, NULL);
  g_object_unref (service.daemon);
  g_object_unref (service.connection);
  g_main_loop_unref (service.loop);
  if (service.connection_lost)
    return RESTART;
  return service.exit_status;
}

/* Starts vmgrd again, as the same program with the same arguments: the
 * store holds every acknowledged change, and start-up reconciles with
 * libvirt and exports everything before the name is requested. Returns
 * only on failure. */
static int
start_again (const char *program, char **argv)
{
  int saved;

  if (program == NULL)
    return g_printerr ("vmgrd: cannot start again: own path unknown\n"), 1;
  execv (program, argv);
  saved = errno;
  g_printerr ("vmgrd: cannot start again (%s): %s\n", program, g_strerror (saved));
  return 1;
}

int
main (int argc, char **argv)
{
  Arguments args = { 0 };
  g_autoptr(GError) error = NULL;
  /* Read now, before anything can change: /proc/self/exe (which valgrind
   * answers with its client's path) and the arguments as given. */
  g_autofree char *program = g_file_read_link ("/proc/self/exe", NULL);
  g_auto(GStrv) original_argv = g_strdupv (argv);
  int status;

  setlocale (LC_ALL, "");
  /* The store holds personal data: nothing vmgrd writes is for others,
   * except the guests' own directories (see vmgr-provision.c). */
  umask (077);
  /* Registers org.vmgr.Error.* with GDBus before anything is sent. */
  (void) VMGR_ERROR;
  if (!parse_arguments (&argc, &argv, &args, &error))
    {
      g_printerr ("vmgrd: %s\n", error->message);
      return 2;
    }
  if (args.version)
    {
      g_print ("vmgrd %s\n", VMGR_VERSION);
      return 0;
    }
  status = run (&args);
  g_free (args.address);
  g_free (args.config_path);
  g_free (args.state_dir);
  g_free (args.uri);
  g_free (args.systemd_address);
  if (status == RESTART)
    return start_again (program, original_argv);
  return status;
}
