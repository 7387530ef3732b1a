/* bench-libvirt-dbus.c: run libvirt-dbus on the private bus (see the header). */
#include "bench-libvirt-dbus.h"

#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>

#define LIBVIRT_DBUS_BINARY "/usr/sbin/libvirt-dbus"
#define LIBVIRT_DBUS_USER "libvirtdbus"
#define START_TIMEOUT_MS 10000
#define STOP_TIMEOUT_MS 5000
#define POLL_MS 20
#define CALL_TIMEOUT_MS 10000

struct _BenchLibvirtDbus {
  GSubprocess *proc;
};

static const char *
testbus_dir (GError **error)
{
  const char *dir = g_getenv ("VMGR_TESTBUS_DIR");

  if (dir == NULL)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                 "VMGR_TESTBUS_DIR is not set (run under tests/harness/testbus.sh)");
  return dir;
}

static GVariant *
call_bus_driver (GDBusConnection *bus, const char *method, GVariant *args,
                 const GVariantType *reply_type, GError **error)
{
  return g_dbus_connection_call_sync (bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                      "org.freedesktop.DBus", method, args, reply_type,
                                      G_DBUS_CALL_FLAGS_NONE, CALL_TIMEOUT_MS, NULL, error);
}

gboolean
bench_bus_policy_install (GDBusConnection *bus, const char *name, const char *contents,
                          GError **error)
{
  const char *dir = testbus_dir (error);
  g_autofree char *policy_dir = NULL;
  g_autofree char *path = NULL;
  g_autoptr(GVariant) reply = NULL;

  if (dir == NULL)
    return FALSE;
  policy_dir = g_build_filename (dir, "system.d", NULL);
  if (!g_file_test (policy_dir, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   "%s does not exist: testbus.sh no longer includes a policy directory there",
                   policy_dir);
      return FALSE;
    }
  path = g_build_filename (policy_dir, name, NULL);
  /* dbus-daemon also watches the directory: write the file whole. */
  if (!g_file_set_contents_full (path, contents, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0644,
                                 error))
    return FALSE;
  reply = call_bus_driver (bus, "ReloadConfig", NULL, G_VARIANT_TYPE_UNIT, error);
  return reply != NULL;
}

gboolean
bench_bus_name_has_owner (GDBusConnection *bus, const char *name)
{
  g_autoptr(GVariant) reply = call_bus_driver (bus, "NameHasOwner", g_variant_new ("(s)", name),
                                               G_VARIANT_TYPE ("(b)"), NULL);
  gboolean has_owner = FALSE;

  if (reply != NULL)
    g_variant_get (reply, "(b)", &has_owner);
  return has_owner;
}

/* GSubprocess reaps its child from GLib's worker thread: the identifier
 * becomes NULL once the process is gone, no main loop needed. */
static gboolean
has_exited (GSubprocess *proc)
{
  return g_subprocess_get_identifier (proc) == NULL;
}

static gboolean
wait_exited (GSubprocess *proc, guint timeout_ms)
{
  for (guint waited = 0; !has_exited (proc) && waited < timeout_ms; waited += POLL_MS)
    g_usleep (POLL_MS * 1000);
  return has_exited (proc);
}

static GSubprocess *
spawn_libvirt_dbus (const char *log_path, GError **error)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autofree char *uid = NULL;
  g_autofree char *gid = NULL;
  struct passwd *pw = getpwnam (LIBVIRT_DBUS_USER);

  if (pw == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   "user %s does not exist (is libvirt-dbus installed?)", LIBVIRT_DBUS_USER);
      return NULL;
    }
  uid = g_strdup_printf ("--reuid=%u", (guint) pw->pw_uid);
  gid = g_strdup_printf ("--regid=%u", (guint) pw->pw_gid);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDERR_MERGE);
  g_subprocess_launcher_set_stdout_file_path (launcher, log_path);
  g_subprocess_launcher_set_cwd (launcher, "/");
  return g_subprocess_launcher_spawn (launcher, error, "setpriv", uid, gid, "--init-groups",
                                      "--", LIBVIRT_DBUS_BINARY, "--system", NULL);
}

static gboolean
wait_for_name (BenchLibvirtDbus *self, GDBusConnection *bus, const char *log_path,
               GError **error)
{
  for (guint waited = 0; waited < START_TIMEOUT_MS; waited += POLL_MS)
    {
      if (bench_bus_name_has_owner (bus, BENCH_LIBVIRT_DBUS_NAME))
        return TRUE;
      if (has_exited (self->proc))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                       "libvirt-dbus exited before owning %s (see %s)",
                       BENCH_LIBVIRT_DBUS_NAME, log_path);
          return FALSE;
        }
      g_usleep (POLL_MS * 1000);
    }
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
               "libvirt-dbus did not own %s within %u ms (see %s)",
               BENCH_LIBVIRT_DBUS_NAME, (guint) START_TIMEOUT_MS, log_path);
  return FALSE;
}

BenchLibvirtDbus *
bench_libvirt_dbus_start (GDBusConnection *bus, GError **error)
{
  g_autoptr(BenchLibvirtDbus) self = NULL;
  g_autofree char *log_path = NULL;
  const char *dir = testbus_dir (error);

  if (dir == NULL)
    return NULL;
  if (!g_file_test (LIBVIRT_DBUS_BINARY, G_FILE_TEST_IS_EXECUTABLE))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   "%s not found (apt-get install libvirt-dbus)", LIBVIRT_DBUS_BINARY);
      return NULL;
    }
  log_path = g_build_filename (dir, "libvirt-dbus.log", NULL);
  self = g_new0 (BenchLibvirtDbus, 1);
  self->proc = spawn_libvirt_dbus (log_path, error);
  if (self->proc == NULL || !wait_for_name (self, bus, log_path, error))
    return NULL;
  return g_steal_pointer (&self);
}

GPid
bench_libvirt_dbus_get_pid (BenchLibvirtDbus *self)
{
  /* setpriv execs libvirt-dbus in the process it was started as. */
  return (GPid) g_ascii_strtoll (g_subprocess_get_identifier (self->proc), NULL, 10);
}

void
bench_libvirt_dbus_stop (BenchLibvirtDbus *self)
{
  if (self == NULL)
    return;
  if (self->proc != NULL)
    {
      g_subprocess_send_signal (self->proc, SIGTERM);
      if (!wait_exited (self->proc, STOP_TIMEOUT_MS))
        {
          g_printerr ("libvirt-dbus ignored SIGTERM for %u ms: killing it\n",
                      (guint) STOP_TIMEOUT_MS);
          g_subprocess_force_exit (self->proc);
          g_subprocess_wait (self->proc, NULL, NULL);
        }
      g_clear_object (&self->proc);
    }
  g_free (self);
}

char *
bench_libvirt_dbus_domain_path (GDBusConnection *bus, const char *name, GError **error)
{
  g_autoptr(GVariant) reply = NULL;
  char *path = NULL;

  reply = g_dbus_connection_call_sync (bus, BENCH_LIBVIRT_DBUS_NAME, BENCH_LIBVIRT_DBUS_TEST_PATH,
                                       "org.libvirt.Connect", "DomainLookupByName",
                                       g_variant_new ("(s)", name), G_VARIANT_TYPE ("(o)"),
                                       G_DBUS_CALL_FLAGS_NO_AUTO_START, CALL_TIMEOUT_MS,
                                       NULL, error);
  if (reply == NULL)
    return NULL;
  g_variant_get (reply, "(o)", &path);
  return path;
}
