/* vmgrctl monitor and vmgrctl wait against the real vmgrd: a customer's
 * monitor shows the customer's VMs only while an administrator's shows
 * the others' events; wait returns when the state comes, at once when it
 * is there, and fails clearly on a timeout, bad input, a VM one may not
 * see and a VM deleted meanwhile. */
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "vmgr-test-env.h"

#define ROOT VMGR_TEST_UID_ROOT
#define ALICE VMGR_TEST_UID_ALICE
#define WAIT_S 15

static VmgrTestDaemon *daemon_under_test;

static int
run (guint uid, const char * const *argv, char **out)
{
  g_autofree char *err = NULL;

  return vmgr_test_run_vmgrctl_as_argv (uid, out, &err, argv);
}

#define RUN(uid, ...) run (uid, (const char * const[]) { __VA_ARGS__, NULL }, NULL)
#define RUN_OK(uid, ...) g_assert_cmpint (RUN (uid, __VA_ARGS__), ==, 0)

/* ---- A vmgrctl in the background --------------------------------------- */

typedef struct {
  GSubprocess *process;
  char *out_path;
  gboolean exited;
} Background;

static void
on_exited (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Background *bg = user_data;

  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  bg->exited = TRUE;
}

static Background *
background_start (guint uid, const char * const *argv)
{
  Background *bg = g_new0 (Background, 1);
  int fd;

  fd = g_file_open_tmp ("vmgrctl-out-XXXXXX", &bg->out_path, NULL);
  g_assert_cmpint (fd, >=, 0);
  close (fd);
  bg->process = vmgr_test_spawn_vmgrctl_as (uid, bg->out_path, argv);
  g_subprocess_wait_async (bg->process, NULL, on_exited, bg);
  return bg;
}

#define BACKGROUND(uid, ...) background_start (uid, (const char * const[]) { __VA_ARGS__, NULL })

static char *
background_output (Background *bg)
{
  char *text = NULL;

  g_assert_true (g_file_get_contents (bg->out_path, &text, NULL, NULL));
  return text;
}

/* Iterates the main context for @ms milliseconds, or until it exited. */
static void
background_run_for (Background *bg, guint ms)
{
  gint64 deadline = g_get_monotonic_time () + ms * 1000;

  while (!bg->exited && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, FALSE), g_usleep (10000);
}

static int
background_finish (Background *bg)
{
  int status;

  background_run_for (bg, WAIT_S * 1000);
  g_assert_true (bg->exited);
  status = g_subprocess_get_if_exited (bg->process) ? g_subprocess_get_exit_status (bg->process)
                                                    : 128 + g_subprocess_get_term_sig (bg->process);
  g_object_unref (bg->process);
  g_unlink (bg->out_path);
  g_free (bg->out_path);
  g_free (bg);
  return status;
}

/* Waits until the output has @fragment. */
static void
background_wait_for (Background *bg, const char *fragment)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_S * G_USEC_PER_SEC;

  for (;;)
    {
      g_autofree char *out = background_output (bg);

      if (strstr (out, fragment) != NULL)
        return;
      if (bg->exited || g_get_monotonic_time () > deadline)
        g_error ("no '%s' in the output:\n%s", fragment, out);
      background_run_for (bg, 50);
    }
}

/* ---- monitor ----------------------------------------------------------- */

/* Until @monitor shows a change made now (so it is subscribed). */
static void
monitor_sync (Background *monitor, const char *vm, const char *fragment)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_S * G_USEC_PER_SEC;
  gboolean on = TRUE;

  for (;;)
    {
      g_autofree char *out = background_output (monitor);

      if (strstr (out, fragment) != NULL)
        break;
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      RUN_OK (ROOT, "autostart", vm, on ? "on" : "off");
      on = !on;
      background_run_for (monitor, 200);
    }
  RUN_OK (ROOT, "autostart", vm, "off");
}

static void
assert_json_lines (const char *text)
{
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();
      g_autoptr(GError) error = NULL;
      JsonObject *object;

      if (*lines[i] == '\0')
        continue;
      json_parser_load_from_data (parser, lines[i], -1, &error);
      g_assert_no_error (error);
      object = json_node_get_object (json_parser_get_root (parser));
      g_assert_true (json_object_has_member (object, "time"));
      g_assert_true (json_object_has_member (object, "event"));
    }
}

static void
test_monitor_tenancy (void)
{
  Background *alice, *admin;
  g_autofree char *alice_out = NULL;
  g_autofree char *admin_out = NULL;

  RUN_OK (ROOT, "create", "mon-a", "--template", "debian-12", "--plan", "basic", "--owner",
          "alice", "--id", "301");
  RUN_OK (ROOT, "create", "mon-b", "--template", "debian-12", "--plan", "basic", "--owner",
          "bob", "--id", "302");
  alice = BACKGROUND (ALICE, "monitor", "--json");
  admin = BACKGROUND (ROOT, "monitor", "mon-b");
  monitor_sync (alice, "mon-a", "\"property\":\"Autostart\"");
  monitor_sync (admin, "mon-b", "Autostart = ");

  RUN_OK (ROOT, "start", "mon-b");
  RUN_OK (ROOT, "start", "mon-a");
  RUN_OK (ROOT, "set-cpu", "mon-b", "--weight", "200");
  RUN_OK (ROOT, "stop", "mon-b");
  RUN_OK (ROOT, "stop", "mon-a");
  RUN_OK (ROOT, "create", "mon-b2", "--template", "debian-12", "--plan", "basic", "--owner",
          "bob");
  RUN_OK (ROOT, "delete", "mon-b2");
  RUN_OK (ROOT, "create", "mon-a2", "--template", "debian-12", "--plan", "basic", "--owner",
          "alice");
  RUN_OK (ROOT, "delete", "mon-a2");

  background_wait_for (alice, "\"event\":\"vm-removed\"");
  background_wait_for (admin, "state          mon-b (302) stopped (destroyed)");
  g_subprocess_send_signal (alice->process, SIGINT);
  g_subprocess_send_signal (admin->process, SIGINT);
  alice_out = background_output (alice);
  admin_out = background_output (admin);
  g_assert_cmpint (background_finish (alice), ==, 0);
  g_assert_cmpint (background_finish (admin), ==, 0);

  g_test_message ("alice's monitor:\n%s", alice_out);
  assert_json_lines (alice_out);
  g_assert_nonnull (strstr (alice_out, "\"event\":\"state\""));
  g_assert_nonnull (strstr (alice_out, "\"vm\":\"mon-a\",\"id\":301"));
  g_assert_nonnull (strstr (alice_out, "\"state\":\"running\""));
  g_assert_nonnull (strstr (alice_out, "\"reason\":\"booted\""));
  g_assert_nonnull (strstr (alice_out, "\"reason\":\"destroyed\""));
  g_assert_nonnull (strstr (alice_out, "\"event\":\"vm-added\""));
  g_assert_nonnull (strstr (alice_out, "\"vm\":\"mon-a2\""));
  /* Nothing of bob's: not his VMs' names, ids or paths. */
  g_assert_null (strstr (alice_out, "mon-b"));
  g_assert_null (strstr (alice_out, "302"));
  g_assert_null (strstr (alice_out, "\"owner\""));

  /* The administrator's monitor of mon-b saw what alice did not, and only
   * that VM. */
  g_test_message ("the administrator's monitor of mon-b:\n%s", admin_out);
  g_assert_nonnull (strstr (admin_out, "state          mon-b (302) running (booted)"));
  g_assert_nonnull (strstr (admin_out, "property       mon-b (302) CpuWeight = 200"));
  g_assert_null (strstr (admin_out, "mon-a"));
  g_assert_null (strstr (admin_out, "mon-b2"));
}

static void
test_monitor_bad_input (void)
{
  /* Another customer's VM is as absent as a VM that does not exist. */
  g_assert_cmpint (RUN (ALICE, "monitor", "mon-b"), ==, 3);
  g_assert_cmpint (RUN (ALICE, "monitor", "no-such-vm"), ==, 3);
  g_assert_cmpint (RUN (ROOT, "monitor", "--bogus"), ==, 2);
}

/* ---- wait -------------------------------------------------------------- */

static void
test_wait_until_state (void)
{
  Background *wait = BACKGROUND (ALICE, "wait", "mon-a", "--state", "running", "--timeout", "20");

  /* It waits... */
  background_run_for (wait, 500);
  g_assert_false (wait->exited);
  /* ...until the VM runs. */
  RUN_OK (ROOT, "start", "mon-a");
  g_assert_cmpint (background_finish (wait), ==, 0);
  /* Already there: at once. */
  RUN_OK (ALICE, "wait", "mon-a", "--state", "running");
  RUN_OK (ROOT, "stop", "mon-a");
}

static void
test_wait_fails_clearly (void)
{
  g_autofree char *out G_GNUC_UNUSED = NULL;
  Background *wait;

  /* A timeout: exit status 10. */
  g_assert_cmpint (RUN (ALICE, "wait", "mon-a", "--state", "paused", "--timeout", "1"), ==, 10);
  /* Bad input: usage (2), naming what is wrong. */
  g_assert_cmpint (RUN (ALICE, "wait", "mon-a", "--state", "sleeping"), ==, 2);
  g_assert_cmpint (RUN (ALICE, "wait", "mon-a"), ==, 2);
  g_assert_cmpint (RUN (ALICE, "wait", "mon-a", "--state", "running", "--timeout", "soon"), ==,
                   2);
  /* Not one's own, or no such VM: not found (3). */
  g_assert_cmpint (RUN (ALICE, "wait", "mon-b", "--state", "stopped"), ==, 3);
  g_assert_cmpint (RUN (ALICE, "wait", "no-such-vm", "--state", "stopped"), ==, 3);
  /* Deleted while waited for: not found, not a hang. */
  RUN_OK (ROOT, "create", "mon-gone", "--template", "debian-12", "--plan", "basic", "--owner",
          "alice");
  wait = BACKGROUND (ALICE, "wait", "mon-gone", "--state", "running");
  background_run_for (wait, 500);
  g_assert_false (wait->exited);
  RUN_OK (ROOT, "delete", "mon-gone");
  g_assert_cmpint (background_finish (wait), ==, 3);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/events/monitor/tenancy", test_monitor_tenancy);
  g_test_add_func ("/events/monitor/bad-input", test_monitor_bad_input);
  g_test_add_func ("/events/wait/until-state", test_wait_until_state);
  g_test_add_func ("/events/wait/fails-clearly", test_wait_fails_clearly);
  return vmgr_test_run_with_daemon (NULL, NULL, &daemon_under_test);
}
