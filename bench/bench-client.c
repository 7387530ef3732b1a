/* bench-client.c: the client processes of vmgr-bench (see the header). */
#include "bench-client.h"

#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define PEER_IFACE "org.freedesktop.DBus.Peer"
#define PROPERTIES_IFACE "org.freedesktop.DBus.Properties"
#define CALL_TIMEOUT_MS 30000
#define CALL_FAILED_STATUS 2
#define MAX_ITERATIONS 10000000u

void
bench_client_result_clear (BenchClientResult *result)
{
  g_clear_pointer (&result->samples_us, g_array_unref);
  g_clear_pointer (&result->error_name, g_free);
  g_clear_pointer (&result->error_message, g_free);
}

static const char *
call_kind_name (BenchCallKind kind)
{
  return kind == BENCH_CALL_PING ? "ping" : "get";
}

/* ---- the client process --------------------------------------------------- */

typedef struct {
  const char *user;
  guint iterations;
  guint warmup;
  BenchCall call;
} ClientArgs;

static gboolean
parse_count (const char *text, guint min, guint *out)
{
  guint64 value;

  if (!g_ascii_string_to_unsigned (text, 10, min, MAX_ITERATIONS, &value, NULL))
    return FALSE;
  *out = (guint) value;
  return TRUE;
}

/* USER ping|get ITERATIONS WARMUP DESTINATION PATH [INTERFACE PROPERTY] */
static gboolean
parse_client_args (int argc, char **argv, ClientArgs *args)
{
  if (argc < 6)
    return FALSE;
  args->user = argv[0];
  if (g_str_equal (argv[1], "ping") && argc == 6)
    args->call.kind = BENCH_CALL_PING;
  else if (g_str_equal (argv[1], "get") && argc == 8)
    args->call.kind = BENCH_CALL_GET;
  else
    return FALSE;
  if (!parse_count (argv[2], 1, &args->iterations) || !parse_count (argv[3], 0, &args->warmup))
    return FALSE;
  args->call.destination = argv[4];
  args->call.path = argv[5];
  if (!g_variant_is_object_path (args->call.path))
    return FALSE;
  if (args->call.kind == BENCH_CALL_GET)
    {
      args->call.interface = argv[6];
      args->call.property = argv[7];
    }
  return TRUE;
}

/* The client must already be @user (the parent used setpriv). */
static gboolean
running_as (const char *user)
{
  struct passwd *pw = getpwnam (user);

  return pw != NULL && getuid () == pw->pw_uid && geteuid () == pw->pw_uid &&
         getgid () == pw->pw_gid;
}

typedef struct {
  const char *interface;
  const char *method;
  GVariant *parameters;         /* owned, not floating; NULL for none */
  const GVariantType *reply_type;
} PreparedCall;

static void
prepare_call (const BenchCall *call, PreparedCall *prepared)
{
  if (call->kind == BENCH_CALL_PING)
    {
      *prepared = (PreparedCall) { PEER_IFACE, "Ping", NULL, G_VARIANT_TYPE_UNIT };
      return;
    }
  *prepared = (PreparedCall) {
    PROPERTIES_IFACE, "Get",
    g_variant_ref_sink (g_variant_new ("(ss)", call->interface, call->property)),
    G_VARIANT_TYPE ("(v)"),
  };
}

/* One timed synchronous call; returns its duration in µs, or -1. */
static gint64
timed_call (GDBusConnection *bus, const BenchCall *call, const PreparedCall *prepared,
            GError **error)
{
  g_autoptr(GVariant) reply = NULL;
  gint64 start, end;

  start = g_get_monotonic_time ();
  reply = g_dbus_connection_call_sync (bus, call->destination, call->path,
                                       prepared->interface, prepared->method,
                                       prepared->parameters, prepared->reply_type,
                                       G_DBUS_CALL_FLAGS_NO_AUTO_START, CALL_TIMEOUT_MS,
                                       NULL, error);
  end = g_get_monotonic_time ();
  return reply != NULL ? end - start : -1;
}

static gboolean
measure (GDBusConnection *bus, const ClientArgs *args, GArray *samples, GError **error)
{
  PreparedCall prepared;
  gboolean ok = TRUE;

  prepare_call (&args->call, &prepared);
  for (guint i = 0; ok && i < args->warmup + args->iterations; i++)
    {
      gint64 us = timed_call (bus, &args->call, &prepared, error);

      ok = us >= 0;
      if (ok && i >= args->warmup)
        g_array_append_val (samples, us);
    }
  g_clear_pointer (&prepared.parameters, g_variant_unref);
  return ok;
}

static void
print_samples (GArray *samples)
{
  g_autoptr(GString) text = g_string_sized_new (samples->len * 8);

  for (guint i = 0; i < samples->len; i++)
    g_string_append_printf (text, "%" G_GINT64_FORMAT "\n", g_array_index (samples, gint64, i));
  fwrite (text->str, 1, text->len, stdout);
  fflush (stdout);
}

static int
report_call_failure (const ClientArgs *args, const GError *error)
{
  g_autofree char *remote = g_dbus_error_get_remote_error (error);

  g_print ("error %s\n", remote != NULL ? remote : "(local)");
  g_printerr ("%s %s %s: %s\n", args->user, call_kind_name (args->call.kind),
              args->call.destination, error->message);
  return CALL_FAILED_STATUS;
}

int
bench_client_main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDBusConnection) bus = NULL;
  g_autoptr(GArray) samples = NULL;
  ClientArgs args = { 0 };

  if (!parse_client_args (argc, argv, &args))
    {
      g_printerr ("usage: vmgr-bench --client USER ping|get ITERATIONS WARMUP "
                  "DESTINATION PATH [INTERFACE PROPERTY]\n");
      return 1;
    }
  if (!running_as (args.user))
    {
      g_printerr ("vmgr-bench client: not running as %s (uid %u)\n", args.user,
                  (guint) getuid ());
      return 1;
    }
  bus = g_bus_get_sync (G_BUS_TYPE_SYSTEM, NULL, &error);
  if (bus == NULL)
    {
      g_printerr ("vmgr-bench client: cannot connect to the system bus as %s: %s\n",
                  args.user, error->message);
      return 1;
    }
  samples = g_array_sized_new (FALSE, FALSE, sizeof (gint64), args.iterations);
  if (!measure (bus, &args, samples, &error))
    return report_call_failure (&args, error);
  print_samples (samples);
  return 0;
}

/* ---- the parent's side ------------------------------------------------------ */

static GPtrArray *
client_argv (const char *self_path, const char *user, const BenchCall *call,
             guint iterations, guint warmup, GError **error)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  struct passwd *pw;

  pw = getpwnam (user);
  if (pw == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   "user %s does not exist (run under tests/harness/testbus.sh)", user);
      return NULL;
    }
  if (pw->pw_uid != 0)
    {
      g_ptr_array_add (argv, g_strdup ("setpriv"));
      g_ptr_array_add (argv, g_strdup_printf ("--reuid=%u", (guint) pw->pw_uid));
      g_ptr_array_add (argv, g_strdup_printf ("--regid=%u", (guint) pw->pw_gid));
      g_ptr_array_add (argv, g_strdup ("--init-groups"));
      g_ptr_array_add (argv, g_strdup ("--"));
    }
  g_ptr_array_add (argv, g_strdup (self_path));
  g_ptr_array_add (argv, g_strdup ("--client"));
  g_ptr_array_add (argv, g_strdup (user));
  g_ptr_array_add (argv, g_strdup (call_kind_name (call->kind)));
  g_ptr_array_add (argv, g_strdup_printf ("%u", iterations));
  g_ptr_array_add (argv, g_strdup_printf ("%u", warmup));
  g_ptr_array_add (argv, g_strdup (call->destination));
  g_ptr_array_add (argv, g_strdup (call->path));
  if (call->kind == BENCH_CALL_GET)
    {
      g_ptr_array_add (argv, g_strdup (call->interface));
      g_ptr_array_add (argv, g_strdup (call->property));
    }
  g_ptr_array_add (argv, NULL);
  return g_steal_pointer (&argv);
}

static gboolean
parse_samples (const char *out, guint expected, GArray **samples_out, GError **error)
{
  g_auto(GStrv) lines = g_strsplit (out, "\n", -1);
  g_autoptr(GArray) samples = g_array_sized_new (FALSE, FALSE, sizeof (gint64), expected);

  for (char **l = lines; *l != NULL; l++)
    {
      gint64 us;

      if (**l == '\0')
        continue;
      if (!g_ascii_string_to_signed (*l, 10, 0, G_MAXINT64, &us, error))
        return FALSE;
      g_array_append_val (samples, us);
    }
  if (samples->len != expected)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "the client printed %u samples instead of %u", samples->len, expected);
      return FALSE;
    }
  *samples_out = g_steal_pointer (&samples);
  return TRUE;
}

gboolean
bench_client_run (const char *self_path, const char *user, const BenchCall *call,
                  guint iterations, guint warmup, BenchClientResult *result, GError **error)
{
  g_autoptr(GPtrArray) argv = client_argv (self_path, user, call, iterations, warmup, error);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int wait_status = 0;

  if (argv == NULL)
    return FALSE;
  /* cwd "/": the parent's may not be accessible to @user. */
  if (!g_spawn_sync ("/", (char **) argv->pdata, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                     &out, &err, &wait_status, error))
    return FALSE;

  if (WIFEXITED (wait_status) && WEXITSTATUS (wait_status) == CALL_FAILED_STATUS &&
      g_str_has_prefix (out, "error "))
    {
      result->error_name = g_strdup (g_strstrip (out + strlen ("error ")));
      result->error_message = g_strdup (g_strstrip (err));
      return TRUE;
    }
  if (!WIFEXITED (wait_status) || WEXITSTATUS (wait_status) != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   "the client as %s failed (wait status 0x%x): %s", user,
                   (guint) wait_status, g_strstrip (err));
      return FALSE;
    }
  if (*err != '\0')
    g_printerr ("client as %s said: %s", user, err);
  return parse_samples (out, iterations, &result->samples_us, error);
}
