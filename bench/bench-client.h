/* The measuring side of vmgr-bench.
 *
 * Every measurement runs in its own client process with its own bus
 * connection, as the user under test: the parent re-executes itself as
 *
 *   [setpriv --reuid=UID --regid=GID --init-groups --] SELF --client USER
 *       ITERATIONS WARMUP CALL [REFERENCE]
 *
 * where CALL and REFERENCE are KIND|DESTINATION|PATH|INTERFACE|MEMBER.
 * The client makes WARMUP + ITERATIONS rounds on one connection; a round
 * is one synchronous CALL, then (when given) one REFERENCE, so that both
 * see the same machine load. It times each of the last ITERATIONS with
 * g_get_monotonic_time () around the calls and prints one line per round on
 * stdout: the call's duration in microseconds, then the reference's. If a
 * call fails it prints "error NAME" (the D-Bus error name) on stdout, the
 * message on stderr, and exits with status 2.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef enum {
  BENCH_CALL_PING,       /* org.freedesktop.DBus.Peer.Ping */
  BENCH_CALL_GET,        /* org.freedesktop.DBus.Properties.Get (INTERFACE, MEMBER) */
  BENCH_CALL_GET_ALL,    /* org.freedesktop.DBus.Properties.GetAll (INTERFACE) */
  BENCH_CALL_METHOD,     /* INTERFACE.MEMBER without arguments, any reply */
  BENCH_CALL_MANAGED,    /* org.freedesktop.DBus.ObjectManager.GetManagedObjects */
  /* libvirt-dbus's inventory: org.libvirt.Connect.ListDomains (0) on PATH,
   * then Properties.GetAll ("org.libvirt.Domain") of each domain. */
  BENCH_CALL_LIBVIRT_INVENTORY,
} BenchCallKind;

typedef struct {
  BenchCallKind kind;
  const char *destination;
  const char *path;
  const char *interface;  /* GET, GET_ALL, METHOD */
  const char *member;     /* GET: the property; METHOD: the method */
} BenchCall;

typedef struct {
  GArray *samples_us;   /* gint64 per measured call; NULL when a call failed */
  GArray *reference_us; /* the same for the alternated reference call, or NULL */
  char *error_name;     /* the D-Bus error of the failing call, or NULL */
  char *error_message;  /* the client's stderr when a call failed */
} BenchClientResult;

void bench_client_result_clear (BenchClientResult *result);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (BenchClientResult, bench_client_result_clear)

/* Runs a client process as @user (a user name; "root" runs it directly)
 * and collects what it printed into @result. A failing D-Bus call is not an
 * error here (see result->error_name); FALSE means the client could not
 * run or printed something else. */
gboolean bench_client_run (const char *self_path, const char *user, const BenchCall *call,
                           guint iterations, guint warmup, BenchClientResult *result,
                           GError **error);
/* The same, alternating @call with @reference in each round (see above). */
gboolean bench_client_run_alternated (const char *self_path, const char *user,
                                      const BenchCall *call, const BenchCall *reference,
                                      guint iterations, guint warmup,
                                      BenchClientResult *result, GError **error);

/* The client process: @argv starts at the USER argument (after
 * "--client"). Returns the exit status. */
int bench_client_main (int argc, char **argv);

G_END_DECLS
