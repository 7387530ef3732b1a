/* The measuring side of vmgr-bench.
 *
 * Every measurement runs in its own client process with its own bus
 * connection, as the user under test: the parent re-executes itself as
 *
 *   [setpriv --reuid=UID --regid=GID --init-groups --] SELF --client USER
 *       ping|get ITERATIONS WARMUP DESTINATION PATH [INTERFACE PROPERTY]
 *
 * The client makes WARMUP + ITERATIONS synchronous calls on one connection,
 * times each of the last ITERATIONS with g_get_monotonic_time () around
 * g_dbus_connection_call_sync (), and prints one duration in microseconds
 * per line on stdout. If a call fails it prints "error NAME" (the D-Bus
 * error name) on stdout, the message on stderr, and exits with status 2.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef enum {
  BENCH_CALL_PING,  /* org.freedesktop.DBus.Peer.Ping */
  BENCH_CALL_GET,   /* org.freedesktop.DBus.Properties.Get (INTERFACE, PROPERTY) */
} BenchCallKind;

typedef struct {
  BenchCallKind kind;
  const char *destination;
  const char *path;
  const char *interface;  /* BENCH_CALL_GET only */
  const char *property;   /* BENCH_CALL_GET only */
} BenchCall;

typedef struct {
  GArray *samples_us;   /* gint64 per measured call; NULL when a call failed */
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

/* The client process: @argv starts at the USER argument (after
 * "--client"). Returns the exit status. */
int bench_client_main (int argc, char **argv);

G_END_DECLS
