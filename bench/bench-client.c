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
#define OBJECT_MANAGER_IFACE "org.freedesktop.DBus.ObjectManager"
#define LIBVIRT_CONNECT_IFACE "org.libvirt.Connect"
#define LIBVIRT_DOMAIN_IFACE "org.libvirt.Domain"
#define MAX_ITERATIONS 10000000u

void
bench_client_result_clear (BenchClientResult *result)
{
  g_clear_pointer (&result->samples_us, g_array_unref);
  g_clear_pointer (&result->reference_us, g_array_unref);
  g_clear_pointer (&result->error_name, g_free);
  g_clear_pointer (&result->error_message, g_free);
}

static const char * const call_kind_names[] = {
  [BENCH_CALL_PING] = "ping",
  [BENCH_CALL_GET] = "get",
  [BENCH_CALL_GET_ALL] = "getall",
  [BENCH_CALL_METHOD] = "method",
  [BENCH_CALL_MANAGED] = "managed",
  [BENCH_CALL_LIBVIRT_INVENTORY] = "libvirt-inventory",
};

/* ---- the client process --------------------------------------------------- */

typedef struct {
  const char *user;
  guint iterations;
  guint warmup;
  BenchCall calls[2];
  guint n_calls;
  GStrv parts[2];  /* what calls[] point into */
} ClientArgs;

static void
client_args_clear (ClientArgs *args)
{
  g_clear_pointer (&args->parts[0], g_strfreev);
  g_clear_pointer (&args->parts[1], g_strfreev);
}

static gboolean
parse_count (const char *text, guint min, guint *out)
{
  guint64 value;

  if (!g_ascii_string_to_unsigned (text, 10, min, MAX_ITERATIONS, &value, NULL))
    return FALSE;
  *out = (guint) value;
  return TRUE;
}

static char *
format_call (const BenchCall *call)
{
  return g_strjoin ("|", call_kind_names[call->kind], call->destination, call->path,
                    call->interface != NULL ? call->interface : "",
                    call->member != NULL ? call->member : "", NULL);
}

/* KIND|DESTINATION|PATH|INTERFACE|MEMBER; @call points into *@parts. */
static gboolean
parse_call (const char *text, BenchCall *call, GStrv *parts)
{
  *parts = g_strsplit (text, "|", -1);
  if (g_strv_length (*parts) != 5 || !g_variant_is_object_path ((*parts)[2]))
    return FALSE;
  for (gsize kind = 0; kind < G_N_ELEMENTS (call_kind_names); kind++)
    if (g_str_equal ((*parts)[0], call_kind_names[kind]))
      {
        *call = (BenchCall) { (BenchCallKind) kind, (*parts)[1], (*parts)[2], (*parts)[3],
                              (*parts)[4] };
        return TRUE;
      }
  return FALSE;
}

/* USER ITERATIONS WARMUP CALL [REFERENCE] */
static gboolean
parse_client_args (int argc, char **argv, ClientArgs *args)
{
  if (argc < 4 || argc > 5)
    return FALSE;
  args->user = argv[0];
  if (!parse_count (argv[1], 1, &args->iterations) || !parse_count (argv[2], 0, &args->warmup))
    return FALSE;
  args->n_calls = (guint) argc - 3;
  for (guint i = 0; i < args->n_calls; i++)
    if (!parse_call (argv[3 + i], &args->calls[i], &args->parts[i]))
      return FALSE;
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

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (ClientArgs, client_args_clear)

typedef struct {
  const char *interface;
  const char *method;
  GVariant *parameters;         /* owned, not floating; NULL for none */
  const GVariantType *reply_type;
} PreparedCall;

static void
prepare_call (const BenchCall *call, PreparedCall *prepared)
{
  switch (call->kind)
    {
    case BENCH_CALL_PING:
      *prepared = (PreparedCall) { PEER_IFACE, "Ping", NULL, G_VARIANT_TYPE_UNIT };
      return;
    case BENCH_CALL_GET:
      *prepared = (PreparedCall) {
        PROPERTIES_IFACE, "Get",
        g_variant_ref_sink (g_variant_new ("(ss)", call->interface, call->member)),
        G_VARIANT_TYPE ("(v)"),
      };
      return;
    case BENCH_CALL_GET_ALL:
      *prepared = (PreparedCall) {
        PROPERTIES_IFACE, "GetAll", g_variant_ref_sink (g_variant_new ("(s)", call->interface)),
        G_VARIANT_TYPE ("(a{sv})"),
      };
      return;
    case BENCH_CALL_METHOD:
      *prepared = (PreparedCall) { call->interface, call->member, NULL, NULL };
      return;
    case BENCH_CALL_MANAGED:
      *prepared = (PreparedCall) { OBJECT_MANAGER_IFACE, "GetManagedObjects", NULL,
                                   G_VARIANT_TYPE ("(a{oa{sa{sv}}})") };
      return;
    case BENCH_CALL_LIBVIRT_INVENTORY:
    default:
      *prepared = (PreparedCall) { LIBVIRT_CONNECT_IFACE, "ListDomains",
                                   g_variant_ref_sink (g_variant_new ("(u)", 0u)),
                                   G_VARIANT_TYPE ("(ao)") };
      return;
    }
}

static GVariant *
call_once (GDBusConnection *bus, const char *destination, const char *path,
           const PreparedCall *prepared, GError **error)
{
  return g_dbus_connection_call_sync (bus, destination, path, prepared->interface,
                                      prepared->method, prepared->parameters,
                                      prepared->reply_type, G_DBUS_CALL_FLAGS_NO_AUTO_START,
                                      CALL_TIMEOUT_MS, NULL, error);
}

/* After ListDomains: every domain's properties, one call each. */
static gboolean
get_all_domains (GDBusConnection *bus, const char *destination, GVariant *list,
                 GError **error)
{
  g_autoptr(GVariantIter) paths = NULL;
  const char *path;
  PreparedCall get_all = {
    PROPERTIES_IFACE, "GetAll",
    g_variant_ref_sink (g_variant_new ("(s)", LIBVIRT_DOMAIN_IFACE)), G_VARIANT_TYPE ("(a{sv})"),
  };
  gboolean ok = TRUE;

  g_variant_get (list, "(ao)", &paths);
  while (ok && g_variant_iter_next (paths, "&o", &path))
    {
      g_autoptr(GVariant) reply = call_once (bus, destination, path, &get_all, error);

      ok = reply != NULL;
    }
  g_variant_unref (get_all.parameters);
  return ok;
}

/* One timed round of @call; returns its duration in µs, or -1. */
static gint64
timed_call (GDBusConnection *bus, const BenchCall *call, const PreparedCall *prepared,
            GError **error)
{
  g_autoptr(GVariant) reply = NULL;
  gint64 start, end;
  gboolean ok;

  start = g_get_monotonic_time ();
  reply = call_once (bus, call->destination, call->path, prepared, error);
  ok = reply != NULL;
  if (ok && call->kind == BENCH_CALL_LIBVIRT_INVENTORY)
    ok = get_all_domains (bus, call->destination, reply, error);
  end = g_get_monotonic_time ();
  return ok ? end - start : -1;
}

static gboolean
measure (GDBusConnection *bus, const ClientArgs *args, GArray *samples, GError **error)
{
  PreparedCall prepared[2];
  gboolean ok = TRUE;

  for (guint c = 0; c < args->n_calls; c++)
    prepare_call (&args->calls[c], &prepared[c]);
  for (guint i = 0; ok && i < args->warmup + args->iterations; i++)
    for (guint c = 0; ok && c < args->n_calls; c++)
      {
        gint64 us = timed_call (bus, &args->calls[c], &prepared[c], error);

        ok = us >= 0;
        if (ok && i >= args->warmup)
          g_array_append_val (samples, us);
      }
  for (guint c = 0; c < args->n_calls; c++)
    g_clear_pointer (&prepared[c].parameters, g_variant_unref);
  return ok;
}

/* One line per round: @per_line samples separated by spaces. */
static void
print_samples (GArray *samples, guint per_line)
{
  g_autoptr(GString) text = g_string_sized_new (samples->len * 8);

  for (guint i = 0; i < samples->len; i++)
    g_string_append_printf (text, "%" G_GINT64_FORMAT "%c", g_array_index (samples, gint64, i),
                            (i + 1) % per_line == 0 ? '\n' : ' ');
  fwrite (text->str, 1, text->len, stdout);
  fflush (stdout);
}

static int
report_call_failure (const ClientArgs *args, const GError *error)
{
  g_autofree char *remote = g_dbus_error_get_remote_error (error);

  g_print ("error %s\n", remote != NULL ? remote : "(local)");
  g_printerr ("%s %s %s: %s\n", args->user, call_kind_names[args->calls[0].kind],
              args->calls[0].destination, error->message);
  return CALL_FAILED_STATUS;
}

int
bench_client_main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDBusConnection) bus = NULL;
  g_autoptr(GArray) samples = NULL;
  g_auto(ClientArgs) args = { 0 };

  if (!parse_client_args (argc, argv, &args))
    {
      g_printerr ("usage: vmgr-bench --client USER ITERATIONS WARMUP "
                  "KIND|DESTINATION|PATH|INTERFACE|MEMBER [REFERENCE]\n");
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
  samples = g_array_sized_new (FALSE, FALSE, sizeof (gint64), args.iterations * args.n_calls);
  if (!measure (bus, &args, samples, &error))
    return report_call_failure (&args, error);
  print_samples (samples, args.n_calls);
  return 0;
}

/* ---- the parent's side ------------------------------------------------------ */

static GPtrArray *
client_argv (const char *self_path, const char *user, const BenchCall *call,
             const BenchCall *reference, guint iterations, guint warmup, GError **error)
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
  g_ptr_array_add (argv, g_strdup_printf ("%u", iterations));
  g_ptr_array_add (argv, g_strdup_printf ("%u", warmup));
  g_ptr_array_add (argv, format_call (call));
  if (reference != NULL)
    g_ptr_array_add (argv, format_call (reference));
  g_ptr_array_add (argv, NULL);
  return g_steal_pointer (&argv);
}

/* @per_line durations per line; the n-th of each line goes to @columns[n]. */
static gboolean
parse_samples (const char *out, guint expected, guint per_line, GArray **columns,
               GError **error)
{
  g_auto(GStrv) lines = g_strsplit (out, "\n", -1);
  guint rounds = 0;

  for (guint c = 0; c < per_line; c++)
    columns[c] = g_array_sized_new (FALSE, FALSE, sizeof (gint64), expected);
  for (char **l = lines; *l != NULL; l++)
    {
      g_auto(GStrv) fields = NULL;

      if (**l == '\0')
        continue;
      fields = g_strsplit (*l, " ", -1);
      if (g_strv_length (fields) != per_line)
        return g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                            "the client printed \"%s\"", *l), FALSE;
      for (guint c = 0; c < per_line; c++)
        {
          gint64 us;

          if (!g_ascii_string_to_signed (fields[c], 10, 0, G_MAXINT64, &us, error))
            return FALSE;
          g_array_append_val (columns[c], us);
        }
      rounds++;
    }
  if (rounds != expected)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "the client printed %u samples instead of %u", rounds, expected);
      return FALSE;
    }
  return TRUE;
}

gboolean
bench_client_run_alternated (const char *self_path, const char *user, const BenchCall *call,
                             const BenchCall *reference, guint iterations, guint warmup,
                             BenchClientResult *result, GError **error)
{
  g_autoptr(GPtrArray) argv = client_argv (self_path, user, call, reference, iterations,
                                           warmup, error);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  GArray *columns[2] = { NULL, NULL };
  int wait_status = 0;
  gboolean ok;

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
  ok = parse_samples (out, iterations, reference != NULL ? 2 : 1, columns, error);
  result->samples_us = columns[0];
  result->reference_us = columns[1];
  return ok;
}

gboolean
bench_client_run (const char *self_path, const char *user, const BenchCall *call,
                  guint iterations, guint warmup, BenchClientResult *result, GError **error)
{
  return bench_client_run_alternated (self_path, user, call, NULL, iterations, warmup, result,
                                      error);
}
