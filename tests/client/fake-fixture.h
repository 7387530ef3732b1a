/* The fixture of the fake-daemon tests: a private bus, the fake vmgrd on
 * it, and the last vmgrctl run. */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "fake-vmgrd.h"
#include "run-vmgrctl.h"

G_BEGIN_DECLS

#define GiB (G_GUINT64_CONSTANT (1) << 30)
#define MiB (G_GUINT64_CONSTANT (1) << 20)

typedef struct {
  GTestDBus *bus;
  GDBusConnection *connection;
  FakeVmgrd *fake;
  const char *address;
  TestRun run;
} Fixture;

/* g_test_init(), with TZ=UTC for the times vmgrctl prints. */
void fixture_test_init (int *argc, char ***argv);

/* The bus only (no vmgrd). */
void fixture_setup_bus (Fixture *f, gconstpointer data);
/* The bus and the fake vmgrd. */
void fixture_setup (Fixture *f, gconstpointer data);
void fixture_teardown (Fixture *f, gconstpointer data);

#define add_test(path, func) g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)

/* Runs vmgrctl --address BUS ARGS... */
#define vmgrctl(f, ...) test_run_vmgrctl (&(f)->run, "--address", (f)->address, __VA_ARGS__, NULL)

/* The same, calling @hook (f, with @f as its data) once stderr has a line
 * starting with @prefix. */
#define vmgrctl_hook(f, prefix, hook, ...) \
  test_run_vmgrctl_hook (&(f)->run, prefix, hook, f, "--address", (f)->address, __VA_ARGS__, NULL)

/* Hooks: fake_vmgrd_run_jobs(), and SIGINT to vmgrctl. */
void hook_run_jobs (GSubprocess *process, gpointer fixture);
void hook_interrupt (GSubprocess *process, gpointer fixture);

/* The JSON document @text (asserting it parses). */
JsonNode *parse_json (const char *text);

/* Asserts that the last run exited 0 and wrote nothing to stderr. */
void assert_ok (Fixture *f);

G_END_DECLS
