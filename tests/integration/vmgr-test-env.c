/* vmgr-test-env.c: helpers for vmgr integration tests (see the header). */
#include "vmgr-test-env.h"

#include <glib-unix.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib/gstdio.h>

#define STOP_TIMEOUT_S 30
#define POLKIT_RELOAD_TIMEOUT_S 10

struct _VmgrTestDaemon {
  char *state_dir;
  char *config_path;
  char *log_path;
  char *vmgrd_path;
  GSubprocess *proc;
  GPid pid;
  char *unique_name;
  GPtrArray *argv;
};

/* ---- environment ---------------------------------------------------------- */

gboolean
vmgr_test_in_testbus (void)
{
  return g_getenv ("VMGR_TESTBUS_DIR") != NULL &&
         g_getenv ("DBUS_SYSTEM_BUS_ADDRESS") != NULL;
}

gboolean
vmgr_test_skip_unless_testbus (void)
{
  if (!vmgr_test_in_testbus ())
    {
      g_test_skip ("not running under tests/harness/testbus.sh");
      return TRUE;
    }
  if (geteuid () != 0)
    {
      g_test_skip ("integration tests must run as root");
      return TRUE;
    }
  return FALSE;
}

char *
vmgr_test_build_path (const char *relative)
{
  const char *root = g_getenv ("VMGR_BUILD_ROOT");

  if (root == NULL || *root == '\0')
    g_error ("VMGR_BUILD_ROOT is not set (run the tests with meson test)");
  return g_build_filename (root, relative, NULL);
}

char *
vmgr_test_make_state_dir (void)
{
  /* Inside the harness's directory when there is one, so that it goes
   * away with the harness even if the test crashes. */
  const char *parent = g_getenv ("VMGR_TESTBUS_DIR");
  char *tmpl = g_build_filename (parent != NULL ? parent : g_get_tmp_dir (),
                                 "vmgr-it-XXXXXX", NULL);

  if (g_mkdtemp_full (tmpl, 0755) == NULL)
    g_error ("cannot create a temporary directory %s: %s", tmpl, g_strerror (errno));
  return tmpl;
}

static int
remove_one (const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
  if (remove (path) != 0 && errno != ENOENT)
    g_test_message ("cannot remove %s: %s", path, g_strerror (errno));
  return 0;
}

void
vmgr_test_remove_dir (const char *path)
{
  if (path == NULL)
    return;
  nftw (path, remove_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

/* ---- running a private main context until something happens ------------- */

typedef struct {
  gboolean done;
  gboolean timed_out;
} Waiter;

static gboolean
on_wait_timeout (gpointer user_data)
{
  Waiter *w = user_data;
  w->timed_out = TRUE;
  return G_SOURCE_REMOVE;
}

/* Iterates CTX until *DONE or TIMEOUT_S seconds pass; returns *DONE. */
static gboolean
iterate_until (GMainContext *ctx, gboolean *done, guint timeout_s)
{
  Waiter w = { FALSE, FALSE };
  GSource *timeout = g_timeout_source_new_seconds (timeout_s);

  g_source_set_callback (timeout, on_wait_timeout, &w, NULL);
  g_source_attach (timeout, ctx);
  while (!*done && !w.timed_out)
    g_main_context_iteration (ctx, TRUE);
  g_source_destroy (timeout);
  g_source_unref (timeout);
  return *done;
}

/* ---- the daemon ------------------------------------------------------------ */

typedef struct {
  gboolean appeared;
  gboolean exited;
  gboolean wait_finished;
  char *owner;
} StartWait;

static void
on_name_appeared (GDBusConnection *connection, const char *name,
                  const char *name_owner, gpointer user_data)
{
  StartWait *sw = user_data;
  g_free (sw->owner);
  sw->owner = g_strdup (name_owner);
  sw->appeared = TRUE;
}

static void
on_start_wait_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  StartWait *sw = user_data;
  g_autoptr(GError) error = NULL;

  if (g_subprocess_wait_finish (G_SUBPROCESS (source), result, &error))
    sw->exited = TRUE;
  sw->wait_finished = TRUE;
}

static void
append_log_marker (const char *log_path, const char *what)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *stamp = g_date_time_format (now, "%H:%M:%S.%f");
  g_autofree char *line = g_strdup_printf ("===== vmgr-test-env %s: %s =====\n", stamp, what);
  int fd = open (log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);

  if (fd >= 0)
    {
      ssize_t r = write (fd, line, strlen (line));
      (void) r;
      close (fd);
    }
}

void
vmgr_test_daemon_dump_log (VmgrTestDaemon *daemon)
{
  g_autofree char *contents = NULL;
  g_auto(GStrv) lines = NULL;

  if (!g_file_get_contents (daemon->log_path, &contents, NULL, NULL))
    {
      g_test_message ("(no vmgrd log at %s)", daemon->log_path);
      return;
    }
  g_test_message ("----- %s -----", daemon->log_path);
  lines = g_strsplit (contents, "\n", -1);
  for (char **l = lines; *l != NULL; l++)
    if (**l != '\0' || l[1] != NULL)
      g_test_message ("%s", *l);
  g_test_message ("----- end of vmgrd log -----");
}

/* vmgrd's command line, behind $VMGR_TEST_DAEMON_WRAPPER when set (e.g.
 * "valgrind --leak-check=full --error-exitcode=99": a clean stop then
 * also means no leak or memory error), on $VMGR_TEST_DAEMON_URI (default
 * test:///default), finding systemd at $VMGR_TEST_DAEMON_SYSTEMD_ADDRESS
 * when set. Owned by @daemon. */
static GPtrArray *
daemon_argv (VmgrTestDaemon *daemon)
{
  const char *wrapper = g_getenv ("VMGR_TEST_DAEMON_WRAPPER");
  g_auto(GStrv) wrapper_argv = NULL;
  const char *uri = g_getenv ("VMGR_TEST_DAEMON_URI");
  const char *systemd = g_getenv ("VMGR_TEST_DAEMON_SYSTEMD_ADDRESS");
  const char *args[] = { "--system", "--config", daemon->config_path, "--state-dir",
                         daemon->state_dir, "--uri",
                         uri != NULL && *uri != '\0' ? uri : "test:///default", "-v" };

  g_clear_pointer (&daemon->argv, g_ptr_array_unref);
  daemon->argv = g_ptr_array_new_with_free_func (g_free);
  if (wrapper != NULL && *wrapper != '\0' &&
      g_shell_parse_argv (wrapper, NULL, &wrapper_argv, NULL))
    for (guint i = 0; wrapper_argv[i] != NULL; i++)
      g_ptr_array_add (daemon->argv, g_strdup (wrapper_argv[i]));
  g_ptr_array_add (daemon->argv, g_strdup (daemon->vmgrd_path));
  for (guint i = 0; i < G_N_ELEMENTS (args); i++)
    g_ptr_array_add (daemon->argv, g_strdup (args[i]));
  if (systemd != NULL && *systemd != '\0')
    {
      g_ptr_array_add (daemon->argv, g_strdup ("--systemd-address"));
      g_ptr_array_add (daemon->argv, g_strdup (systemd));
    }
  g_ptr_array_add (daemon->argv, NULL);
  return daemon->argv;
}

static void
daemon_spawn_and_wait (VmgrTestDaemon *daemon)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GDBusConnection) bus = NULL;
  g_autoptr(GMainContext) ctx = NULL;
  g_autoptr(GCancellable) cancel = NULL;
  StartWait sw = { 0 };
  guint watch;
  int log_fd;

  g_assert_null (daemon->proc);

  bus = g_bus_get_sync (G_BUS_TYPE_SYSTEM, NULL, &error);
  g_assert_no_error (error);

  append_log_marker (daemon->log_path, "starting vmgrd");
  log_fd = open (daemon->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0)
    g_error ("cannot open %s: %s", daemon->log_path, g_strerror (errno));

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDERR_MERGE);
  /* The launcher owns and closes the fd. stdout must not reach the test's
   * stdout: it carries TAP. */
  g_subprocess_launcher_take_stdout_fd (launcher, log_fd);
  g_subprocess_launcher_set_cwd (launcher, daemon->state_dir);

  daemon->proc = g_subprocess_launcher_spawnv (launcher, (const char * const *) daemon_argv (daemon)->pdata,
                                               &error);
  if (daemon->proc == NULL)
    g_error ("cannot start %s: %s", daemon->vmgrd_path, error->message);
  daemon->pid = (GPid) g_ascii_strtoll (g_subprocess_get_identifier (daemon->proc), NULL, 10);

  ctx = g_main_context_new ();
  cancel = g_cancellable_new ();
  g_main_context_push_thread_default (ctx);
  watch = g_bus_watch_name_on_connection (bus, VMGR_TEST_BUS_NAME,
                                          G_BUS_NAME_WATCHER_FLAGS_NONE,
                                          on_name_appeared, NULL, &sw, NULL);
  g_subprocess_wait_async (daemon->proc, cancel, on_start_wait_done, &sw);

  {
    /* Done when the name appears or the process exits. */
    gboolean done = FALSE;
    Waiter w = { FALSE, FALSE };
    GSource *timeout = g_timeout_source_new_seconds (VMGR_TEST_DAEMON_TIMEOUT_S);

    g_source_set_callback (timeout, on_wait_timeout, &w, NULL);
    g_source_attach (timeout, ctx);
    while (!done && !w.timed_out)
      {
        g_main_context_iteration (ctx, TRUE);
        done = sw.appeared || sw.wait_finished;
      }
    g_source_destroy (timeout);
    g_source_unref (timeout);
  }

  g_bus_unwatch_name (watch);
  g_cancellable_cancel (cancel);
  iterate_until (ctx, &sw.wait_finished, 5);
  g_main_context_pop_thread_default (ctx);

  if (sw.exited)
    {
      vmgr_test_daemon_dump_log (daemon);
      g_error ("vmgrd exited before owning %s (exit status %d; log above)",
               VMGR_TEST_BUS_NAME,
               g_subprocess_get_if_exited (daemon->proc)
                 ? g_subprocess_get_exit_status (daemon->proc)
                 : 128 + g_subprocess_get_term_sig (daemon->proc));
    }
  if (!sw.appeared)
    {
      g_subprocess_force_exit (daemon->proc);
      g_subprocess_wait (daemon->proc, NULL, NULL);
      vmgr_test_daemon_dump_log (daemon);
      g_error ("vmgrd did not own %s within %d s (log above)",
               VMGR_TEST_BUS_NAME, VMGR_TEST_DAEMON_TIMEOUT_S);
    }

  g_free (daemon->unique_name);
  daemon->unique_name = g_steal_pointer (&sw.owner);
  g_test_message ("vmgrd pid %d owns %s as %s", (int) daemon->pid,
                  VMGR_TEST_BUS_NAME, daemon->unique_name);
}

VmgrTestDaemon *
vmgr_test_daemon_start (const char *state_dir, const char *extra_config)
{
  g_autoptr(GError) error = NULL;
  VmgrTestDaemon *daemon;

  g_assert_nonnull (state_dir);
  g_assert_true (g_file_test (state_dir, G_FILE_TEST_IS_DIR));

  daemon = g_new0 (VmgrTestDaemon, 1);
  daemon->state_dir = g_canonicalize_filename (state_dir, NULL);
  daemon->config_path = g_build_filename (daemon->state_dir, "vmgrd.conf", NULL);
  daemon->log_path = g_build_filename (daemon->state_dir, "vmgrd.log", NULL);
  daemon->vmgrd_path = vmgr_test_build_path ("service/vmgrd");

  if (!g_file_test (daemon->vmgrd_path, G_FILE_TEST_IS_EXECUTABLE))
    g_error ("%s is not built", daemon->vmgrd_path);

  g_file_set_contents (daemon->config_path,
                       extra_config != NULL
                         ? extra_config
                         : "# written by vmgr-test-env: defaults only\n[daemon]\n",
                       -1, &error);
  g_assert_no_error (error);

  daemon_spawn_and_wait (daemon);
  return daemon;
}

typedef struct {
  gboolean finished;
} StopWait;

static void
on_stop_wait_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  StopWait *sw = user_data;
  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  sw->finished = TRUE;
}

/* Sends SIG and waits up to TIMEOUT_S for the exit; returns FALSE on
 * timeout (the process is then killed and reaped). */
static gboolean
daemon_signal_and_reap (VmgrTestDaemon *daemon, int sig, guint timeout_s)
{
  g_autoptr(GMainContext) ctx = g_main_context_new ();
  StopWait sw = { FALSE };
  gboolean in_time;

  g_main_context_push_thread_default (ctx);
  g_subprocess_send_signal (daemon->proc, sig);
  g_subprocess_wait_async (daemon->proc, NULL, on_stop_wait_done, &sw);
  in_time = iterate_until (ctx, &sw.finished, timeout_s);
  if (!in_time)
    {
      g_subprocess_force_exit (daemon->proc);
      iterate_until (ctx, &sw.finished, 10);
    }
  g_main_context_pop_thread_default (ctx);
  g_assert_true (sw.finished);
  return in_time;
}

static void
daemon_forget_process (VmgrTestDaemon *daemon)
{
  g_clear_object (&daemon->proc);
  daemon->pid = 0;
  g_clear_pointer (&daemon->unique_name, g_free);
}

void
vmgr_test_daemon_stop (VmgrTestDaemon *daemon)
{
  gboolean in_time;
  int status;

  g_assert_nonnull (daemon);
  g_assert_nonnull (daemon->proc);

  in_time = daemon_signal_and_reap (daemon, SIGTERM, STOP_TIMEOUT_S);
  append_log_marker (daemon->log_path, "vmgrd stopped");
  if (!in_time)
    {
      vmgr_test_daemon_dump_log (daemon);
      g_error ("vmgrd did not exit within %d s of SIGTERM (killed; log above)",
               STOP_TIMEOUT_S);
    }
  if (!g_subprocess_get_if_exited (daemon->proc))
    {
      int sig = g_subprocess_get_term_sig (daemon->proc);
      vmgr_test_daemon_dump_log (daemon);
      g_error ("vmgrd died from signal %d (%s) on SIGTERM (log above)",
               sig, g_strsignal (sig));
    }
  status = g_subprocess_get_exit_status (daemon->proc);
  if (status != 0)
    vmgr_test_daemon_dump_log (daemon);
  g_assert_cmpint (status, ==, 0);
  daemon_forget_process (daemon);
}

void
vmgr_test_daemon_kill (VmgrTestDaemon *daemon)
{
  g_assert_nonnull (daemon);
  g_assert_nonnull (daemon->proc);
  daemon_signal_and_reap (daemon, SIGKILL, 10);
  append_log_marker (daemon->log_path, "vmgrd killed (SIGKILL)");
  daemon_forget_process (daemon);
}

void
vmgr_test_daemon_restart (VmgrTestDaemon *daemon)
{
  g_assert_nonnull (daemon);
  if (daemon->proc != NULL)
    vmgr_test_daemon_stop (daemon);
  daemon_spawn_and_wait (daemon);
}

void
vmgr_test_daemon_free (VmgrTestDaemon *daemon)
{
  if (daemon == NULL)
    return;
  if (daemon->proc != NULL)
    {
      daemon_signal_and_reap (daemon, SIGKILL, 10);
      daemon_forget_process (daemon);
    }
  g_free (daemon->state_dir);
  g_free (daemon->config_path);
  g_free (daemon->log_path);
  g_free (daemon->vmgrd_path);
  g_clear_pointer (&daemon->argv, g_ptr_array_unref);
  g_free (daemon);
}

gboolean
vmgr_test_daemon_is_running (VmgrTestDaemon *daemon)
{
  return daemon->proc != NULL && g_subprocess_get_identifier (daemon->proc) != NULL;
}

GPid
vmgr_test_daemon_get_pid (VmgrTestDaemon *daemon)
{
  return daemon->pid;
}

const char *
vmgr_test_daemon_get_state_dir (VmgrTestDaemon *daemon)
{
  return daemon->state_dir;
}

const char *
vmgr_test_daemon_get_log_path (VmgrTestDaemon *daemon)
{
  return daemon->log_path;
}

const char *
vmgr_test_daemon_get_unique_name (VmgrTestDaemon *daemon)
{
  return daemon->unique_name;
}

/* ---- clients as other users ------------------------------------------------ */

static void
lookup_user (guint uid, char **name, gid_t *gid)
{
  struct passwd *pw;

  errno = 0;
  pw = getpwuid ((uid_t) uid);
  if (pw == NULL)
    g_error ("uid %u has no passwd entry (run under tests/harness/testbus.sh)", uid);
  if (name != NULL)
    *name = g_strdup (pw->pw_name);
  if (gid != NULL)
    *gid = pw->pw_gid;
}

static void
report_output (const char *what, const char *text)
{
  g_auto(GStrv) lines = NULL;

  if (text == NULL || *text == '\0')
    return;
  lines = g_strsplit (text, "\n", -1);
  for (char **l = lines; *l != NULL; l++)
    if (**l != '\0' || l[1] != NULL)
      g_test_message ("%s: %s", what, *l);
}

/* setpriv's arguments to run a program as @uid (none for root). */
static void
add_become_user (GPtrArray *args, guint uid)
{
  gid_t gid;

  if (uid == 0)
    return;
  lookup_user (uid, NULL, &gid);
  g_ptr_array_add (args, g_strdup ("setpriv"));
  g_ptr_array_add (args, g_strdup_printf ("--reuid=%u", uid));
  g_ptr_array_add (args, g_strdup_printf ("--regid=%u", (guint) gid));
  g_ptr_array_add (args, g_strdup ("--init-groups"));
  g_ptr_array_add (args, g_strdup ("--"));
}

GSubprocess *
vmgr_test_spawn_vmgrctl_as (guint uid, const char *stdout_path, const char * const *argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) args = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_autofree char *cmdline = NULL;
  GSubprocess *process;

  add_become_user (args, uid);
  g_ptr_array_add (args, vmgr_test_build_path ("client/vmgrctl"));
  for (const char * const *a = argv; *a != NULL; a++)
    g_ptr_array_add (args, g_strdup (*a));
  g_ptr_array_add (args, NULL);
  cmdline = g_strjoinv (" ", (char **) args->pdata);
  g_test_message ("as uid %u, in the background: %s", uid, cmdline);
  g_subprocess_launcher_set_cwd (launcher, "/");
  g_subprocess_launcher_set_stdout_file_path (launcher, stdout_path);
  process = g_subprocess_launcher_spawnv (launcher, (const char * const *) args->pdata, &error);
  if (process == NULL)
    g_error ("cannot run %s: %s", cmdline, error->message);
  return process;
}

int
vmgr_test_run_as_argv (guint uid, char **out, char **err, const char * const *argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) args = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *cmdline = NULL;
  char *o = NULL, *e = NULL;
  int wait_status = 0;
  int status;

  g_assert_nonnull (argv);
  g_assert_nonnull (argv[0]);

  add_become_user (args, uid);
  for (const char * const *a = argv; *a != NULL; a++)
    g_ptr_array_add (args, g_strdup (*a));
  g_ptr_array_add (args, NULL);

  cmdline = g_strjoinv (" ", (char **) args->pdata);
  g_test_message ("as uid %u: %s", uid, cmdline);

  /* cwd "/": the test's cwd may not be accessible to the user. */
  if (!g_spawn_sync ("/", (char **) args->pdata, NULL, G_SPAWN_SEARCH_PATH,
                     NULL, NULL, &o, &e, &wait_status, &error))
    g_error ("cannot run %s: %s", cmdline, error->message);

  if (WIFEXITED (wait_status))
    status = WEXITSTATUS (wait_status);
  else if (WIFSIGNALED (wait_status))
    status = 128 + WTERMSIG (wait_status);
  else
    status = 255;

  if (out != NULL)
    *out = o;
  else
    {
      report_output ("stdout", o);
      g_free (o);
    }
  if (err != NULL)
    *err = e;
  else
    {
      report_output ("stderr", e);
      g_free (e);
    }
  return status;
}

int
vmgr_test_run_vmgrctl_as_argv (guint uid, char **out, char **err,
                               const char * const *argv)
{
  g_autofree char *vmgrctl = vmgr_test_build_path ("client/vmgrctl");
  g_autoptr(GPtrArray) args = g_ptr_array_new ();

  if (!g_file_test (vmgrctl, G_FILE_TEST_IS_EXECUTABLE))
    g_error ("%s is not built", vmgrctl);
  g_ptr_array_add (args, vmgrctl);
  for (const char * const *a = argv; a != NULL && *a != NULL; a++)
    g_ptr_array_add (args, (gpointer) *a);
  g_ptr_array_add (args, NULL);
  return vmgr_test_run_as_argv (uid, out, err, (const char * const *) args->pdata);
}

int
vmgr_test_run_vmgrctl_as (guint uid, char **out, char **err, const char *arg, ...)
{
  g_autoptr(GPtrArray) args = g_ptr_array_new ();
  va_list ap;

  va_start (ap, arg);
  for (const char *a = arg; a != NULL; a = va_arg (ap, const char *))
    g_ptr_array_add (args, (gpointer) a);
  va_end (ap);
  g_ptr_array_add (args, NULL);
  return vmgr_test_run_vmgrctl_as_argv (uid, out, err, (const char * const *) args->pdata);
}

void
vmgr_test_become_user (guint uid)
{
  g_autofree char *name = NULL;
  gid_t gid;

  if (uid == 0)
    return;
  g_assert_true (g_test_subprocess ());
  lookup_user (uid, &name, &gid);

  if (initgroups (name, gid) != 0)
    g_error ("initgroups(%s): %s", name, g_strerror (errno));
  if (setresgid (gid, gid, gid) != 0)
    g_error ("setresgid(%u): %s", (guint) gid, g_strerror (errno));
  if (setresuid ((uid_t) uid, (uid_t) uid, (uid_t) uid) != 0)
    g_error ("setresuid(%u): %s", uid, g_strerror (errno));
  g_assert_cmpuint (getuid (), ==, uid);
  g_assert_cmpuint (geteuid (), ==, uid);

  g_setenv ("USER", name, TRUE);
  g_setenv ("LOGNAME", name, TRUE);
  g_setenv ("HOME", "/nonexistent", TRUE);
}

GDBusConnection *
vmgr_test_connect_system (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *address = g_dbus_address_get_for_bus_sync (G_BUS_TYPE_SYSTEM, NULL, &error);
  GDBusConnection *connection;

  g_assert_no_error (error);
  connection = g_dbus_connection_new_for_address_sync (
      address,
      G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
      G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
      NULL, NULL, &error);
  g_assert_no_error (error);
  return connection;
}

/* ---- polkit ---------------------------------------------------------------- */

static void
on_polkit_changed (GDBusConnection *connection, const char *sender,
                   const char *path, const char *iface, const char *signal,
                   GVariant *params, gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
}

typedef void (*RulesChange) (const char *rules_dir, const char *name,
                             const char *contents);

static void
polkit_change_and_wait (RulesChange change, const char *name, const char *contents)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GMainContext) ctx = g_main_context_new ();
  g_autoptr(GDBusConnection) bus = NULL;
  g_autoptr(GVariant) reply = NULL;
  const char *rules_dir = g_getenv ("VMGR_TESTBUS_RULES_DIR");
  gboolean changed = FALSE;
  guint sub;

  if (rules_dir == NULL)
    g_error ("VMGR_TESTBUS_RULES_DIR is not set (run under tests/harness/testbus.sh)");
  g_assert_null (strchr (name, '/'));

  g_main_context_push_thread_default (ctx);
  bus = vmgr_test_connect_system ();
  sub = g_dbus_connection_signal_subscribe (bus, "org.freedesktop.PolicyKit1",
                                            "org.freedesktop.PolicyKit1.Authority",
                                            "Changed",
                                            "/org/freedesktop/PolicyKit1/Authority",
                                            NULL, G_DBUS_SIGNAL_FLAGS_NONE,
                                            on_polkit_changed, &changed, NULL);
  /* A round trip so the bus has processed our AddMatch before the change. */
  reply = g_dbus_connection_call_sync (bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", "GetId", NULL, NULL,
                                       G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
  g_assert_no_error (error);

  change (rules_dir, name, contents);

  if (!iterate_until (ctx, &changed, POLKIT_RELOAD_TIMEOUT_S))
    g_error ("polkitd did not reload its rules within %d s", POLKIT_RELOAD_TIMEOUT_S);
  g_dbus_connection_signal_unsubscribe (bus, sub);
  g_dbus_connection_close_sync (bus, NULL, NULL);
  g_main_context_pop_thread_default (ctx);
}

static void
install_rules (const char *rules_dir, const char *name, const char *contents)
{
  g_autoptr(GError) error = NULL;
  const char *tmp_dir = g_getenv ("VMGR_TESTBUS_DIR");
  g_autofree char *tmp_path = NULL;
  g_autofree char *dest = g_build_filename (rules_dir, name, NULL);

  if (tmp_dir == NULL)
    g_error ("VMGR_TESTBUS_DIR is not set");
  tmp_path = g_strdup_printf ("%s/.%s.%d.tmp", tmp_dir, name, (int) getpid ());
  g_file_set_contents_full (tmp_path, contents, -1,
                            G_FILE_SET_CONTENTS_CONSISTENT, 0644, &error);
  g_assert_no_error (error);
  /* polkitd reads rules as user polkitd */
  g_assert_cmpint (chmod (tmp_path, 0644), ==, 0);
  if (rename (tmp_path, dest) != 0)
    g_error ("rename %s -> %s: %s", tmp_path, dest, g_strerror (errno));
}

static void
remove_rules (const char *rules_dir, const char *name, const char *contents)
{
  g_autofree char *path = g_build_filename (rules_dir, name, NULL);

  if (unlink (path) != 0)
    g_error ("cannot remove %s: %s", path, g_strerror (errno));
}

void
vmgr_test_polkit_install_rules (const char *name, const char *contents)
{
  g_assert_nonnull (contents);
  polkit_change_and_wait (install_rules, name, contents);
}

void
vmgr_test_polkit_remove_rules (const char *name)
{
  polkit_change_and_wait (remove_rules, name, NULL);
}

int
vmgr_test_run_with_daemon (const char *extra_config, void (*setup) (void),
                           VmgrTestDaemon **daemon)
{
  g_autofree char *state_dir = NULL;
  int status;

  if (g_test_subprocess ())
    return g_test_run ();
  state_dir = vmgr_test_make_state_dir ();
  *daemon = vmgr_test_daemon_start (state_dir, extra_config);
  if (setup != NULL)
    setup ();
  status = g_test_run ();
  vmgr_test_daemon_stop (*daemon);
  if (status != 0)
    vmgr_test_daemon_dump_log (*daemon);
  g_clear_pointer (daemon, vmgr_test_daemon_free);
  vmgr_test_remove_dir (state_dir);
  return status;
}

char *
vmgr_test_ensure_template (const char *name, const char *kind)
{
  const char *root = g_getenv ("VMGR_TEMPLATE_DIR");
  g_autofree char *parent = g_strdup (root != NULL ? root : "/var/lib/vmgr/templates");
  char *dir = g_build_filename (parent, name, NULL);
  g_autofree char *script = g_build_filename (g_getenv ("VMGR_SOURCE_ROOT"), "scripts",
                                              "build-templates.sh", NULL);
  const char *host_netns = g_getenv ("VMGR_HOST_NETNS");
  g_autofree char *netns = g_strdup_printf ("--net=%s", host_netns != NULL ? host_netns : "");
  /* A kernel may have to be downloaded: from the host's network. */
  const char *argv[] = { "nsenter", netns, script, "--only", kind, parent, NULL };
  int status = 0;
  g_autoptr(GError) error = NULL;

  if (g_file_test (dir, G_FILE_TEST_IS_DIR))
    return dir;
  g_assert_true (g_spawn_sync (NULL, (char **) (host_netns != NULL ? argv : argv + 2), NULL,
                               G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, &status, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_test (dir, G_FILE_TEST_IS_DIR));
  return dir;
}

gboolean
vmgr_test_console_shows (int fd, const char *command, const char *marker, guint timeout_ms)
{
  g_autoptr(GString) seen = g_string_new ("");
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  char buffer[512];

  if (command != NULL)
    g_assert_cmpint (write (fd, command, strlen (command)), ==, (gssize) strlen (command));
  g_unix_set_fd_nonblocking (fd, TRUE, NULL);
  while (g_get_monotonic_time () < deadline && strstr (seen->str, marker) == NULL)
    {
      ssize_t n = read (fd, buffer, sizeof buffer);

      if (n > 0)
        g_string_append_len (seen, buffer, n);
      else
        g_usleep (20 * 1000);
    }
  return strstr (seen->str, marker) != NULL;
}
