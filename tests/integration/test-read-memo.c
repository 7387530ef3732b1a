/* Property reads answered from the read memo (service/bus/vmgr-read-memo.h)
 * in GDBus's worker thread: a repeated Get and GetAll give the right
 * value, a setter's change is in the next read, and whatever takes a VM
 * from a caller (a new owner, its deletion, a rule, the decision's time to
 * live) takes effect on the very next read, which then answers exactly as
 * a path where nothing exists. A Get sent right behind a setter on the
 * same connection sees the setter's change. */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "vmgr-test-client.h"
#include "vmgr-test-env.h"

#define MiB (G_GUINT64_CONSTANT (1) << 20)
#define VM_IFACE "org.vmgr.VM"
#define PROPERTIES_IFACE "org.freedesktop.DBus.Properties"
#define MISSING_PATH "/org/vmgr/vm/4999"
#define DENY_RULES "10-test-read-memo.rules"

static VmgrTestDaemon *vmgrd;

static GVariant *
get (VmgrTestClient *client, const char *path, const char *name, GError **error)
{
  g_autoptr(GVariant) reply = vmgr_test_call (client, path, PROPERTIES_IFACE, "Get",
                                              g_variant_new ("(ss)", VM_IFACE, name), error);
  GVariant *value = NULL;

  if (reply != NULL)
    g_variant_get (reply, "(v)", &value);
  return value;
}

static GVariant *
get_all (VmgrTestClient *client, const char *path, GError **error)
{
  g_autoptr(GVariant) reply = vmgr_test_call (client, path, PROPERTIES_IFACE, "GetAll",
                                              g_variant_new ("(s)", VM_IFACE), error);

  return reply != NULL ? g_variant_get_child_value (reply, 0) : NULL;
}

static guint64
get_uint64 (VmgrTestClient *client, const char *path, const char *name)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) value = get (client, path, name, &error);

  g_assert_no_error (error);
  return g_variant_get_uint64 (value);
}

static gboolean
get_boolean (VmgrTestClient *client, const char *path, const char *name)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) value = get (client, path, name, &error);

  g_assert_no_error (error);
  return g_variant_get_boolean (value);
}

static void
call_ok (VmgrTestClient *client, const char *path, const char *member, GVariant *args)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply G_GNUC_UNUSED = vmgr_test_call (client, path, VM_IFACE, member,
                                                            args, &error);

  g_assert_no_error (error);
}

static char *
create_vm (VmgrTestClient *root, const char *name, guint32 id, guint32 owner)
{
  return vmgr_test_create_vm (root, name, "debian-12", "basic",
                              g_variant_new_parsed ("{'id': <uint32 %u>, 'owner': <uint32 %u>}",
                                                    id, owner));
}


/* ---- A reader: the test binary run as `--reader UID`, another user's
 * connection that lives across the test's steps. It reads a command per
 * line on stdin ("Get PATH NAME", "GetAll PATH") and prints one line:
 * "ok VALUE" or "error NAME MESSAGE". */

static void
reader_command (VmgrTestClient *client, const char *line)
{
  g_auto(GStrv) words = g_strsplit (line, " ", 3);
  gboolean all = g_str_equal (words[0], "GetAll");
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) value = all ? get_all (client, words[1], &error)
                                  : get (client, words[1], words[2], &error);
  g_autofree char *text = value != NULL ? g_variant_print (value, TRUE) : NULL;
  g_autofree char *name = error != NULL ? g_dbus_error_get_remote_error (error) : NULL;

  if (error != NULL)
    g_dbus_error_strip_remote_error (error);
  if (value != NULL)
    printf ("ok %s\n", text);
  else
    printf ("error %s %s\n", name, error->message);
  fflush (stdout);
}

static int
run_reader (guint uid)
{
  struct passwd *pw = getpwuid (uid);
  g_autoptr(VmgrTestClient) client = NULL;
  char line[1024];

  if (uid != 0 && (pw == NULL || initgroups (pw->pw_name, pw->pw_gid) != 0 ||
                   setresgid (pw->pw_gid, pw->pw_gid, pw->pw_gid) != 0 ||
                   setresuid (uid, uid, uid) != 0))
    g_error ("the reader cannot become uid %u: %s", uid, g_strerror (errno));
  client = vmgr_test_client_new ();
  printf ("ready\n");
  fflush (stdout);
  while (fgets (line, sizeof line, stdin) != NULL)
    {
      g_strchomp (line);
      reader_command (client, line);
    }
  return 0;
}

typedef struct {
  GSubprocess *process;
  GDataInputStream *output;
} Reader;

static char *self_path;

static char *
reader_line (Reader *reader)
{
  g_autoptr(GError) error = NULL;
  char *line = g_data_input_stream_read_line (reader->output, NULL, NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (line);
  return line;
}

static Reader *
reader_spawn (guint uid)
{
  Reader *reader = g_new0 (Reader, 1);
  g_autofree char *uid_text = g_strdup_printf ("%u", uid);
  g_autofree char *ready = NULL;
  g_autoptr(GError) error = NULL;

  reader->process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDIN_PIPE |
                                      G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error,
                                      self_path, "--reader", uid_text, NULL);
  g_assert_no_error (error);
  reader->output = g_data_input_stream_new (g_subprocess_get_stdout_pipe (reader->process));
  ready = reader_line (reader);
  g_assert_cmpstr (ready, ==, "ready");
  return reader;
}

static void
reader_free (Reader *reader)
{
  g_autoptr(GError) error = NULL;

  g_output_stream_close (g_subprocess_get_stdin_pipe (reader->process), NULL, NULL);
  g_subprocess_wait_check (reader->process, NULL, &error);
  g_assert_no_error (error);
  g_object_unref (reader->output);
  g_object_unref (reader->process);
  g_free (reader);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Reader, reader_free)

/* The reader's answer to @command. */
static char *
reader_ask (Reader *reader, const char *format, ...) G_GNUC_PRINTF (2, 3);

static char *
reader_ask (Reader *reader, const char *format, ...)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *command = NULL;
  g_autofree char *line = NULL;
  va_list args;

  va_start (args, format);
  command = g_strdup_vprintf (format, args);
  va_end (args);
  line = g_strconcat (command, "\n", NULL);
  g_output_stream_write_all (g_subprocess_get_stdin_pipe (reader->process), line, strlen (line),
                             NULL, NULL, &error);
  g_assert_no_error (error);
  return reader_line (reader);
}

/* Three times each way (the later ones from the memo): the VM's name and
 * owner. */
static void
assert_reader_reads (Reader *reader, const char *path, const char *name, guint32 owner)
{
  g_autofree char *want_name = g_strdup_printf ("ok '%s'", name);
  g_autofree char *want_owner = g_strdup_printf ("'Owner': <uint32 %u>", owner);

  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *got = reader_ask (reader, "Get %s Name", path);
      g_autofree char *all = reader_ask (reader, "GetAll %s", path);

      g_assert_cmpstr (got, ==, want_name);
      g_assert_true (g_str_has_prefix (all, "ok {"));
      g_assert_nonnull (strstr (all, want_owner));
    }
}

/* Get and GetAll of @path answer, word for word, what a path where nothing
 * was ever exported answers. */
static void
assert_reader_refused (Reader *reader, const char *path)
{
  g_autofree char *get_missing = reader_ask (reader, "Get %s Name", MISSING_PATH);
  g_autofree char *all_missing = reader_ask (reader, "GetAll %s", MISSING_PATH);
  g_auto(GStrv) get_parts = g_strsplit (get_missing, MISSING_PATH, -1);
  g_auto(GStrv) all_parts = g_strsplit (all_missing, MISSING_PATH, -1);
  g_autofree char *get_expected = g_strjoinv (path, get_parts);
  g_autofree char *all_expected = g_strjoinv (path, all_parts);
  g_autofree char *got = reader_ask (reader, "Get %s Name", path);
  g_autofree char *all = reader_ask (reader, "GetAll %s", path);

  g_assert_true (g_str_has_prefix (get_missing, "error org.freedesktop.DBus.Error.UnknownMethod"));
  g_assert_cmpstr (got, ==, get_expected);
  g_assert_cmpstr (all, ==, all_expected);
}

/* ---- The cases ---------------------------------------------------------- */

static void
test_repeated (void)
{
  g_autoptr(VmgrTestClient) root = vmgr_test_client_new ();
  g_autofree char *path = create_vm (root, "memo-root", 4101, VMGR_TEST_UID_ALICE);
  g_autoptr(Reader) alice = reader_spawn (VMGR_TEST_UID_ALICE);
  g_autoptr(Reader) root_reader = reader_spawn (0);
  g_autoptr(GError) error = NULL;

  assert_reader_reads (root_reader, path, "memo-root", VMGR_TEST_UID_ALICE);
  assert_reader_reads (alice, path, "memo-root", VMGR_TEST_UID_ALICE);
  /* A property not in the memo's a{sv} keeps its exact error. */
  for (guint i = 0; i < 2; i++)
    {
      g_autoptr(GVariant) none = get (root, path, "NoSuchProperty", &error);

      g_assert_null (none);
      vmgr_test_assert_dbus_error (error, "org.freedesktop.DBus.Error.InvalidArgs",
                                   "No such property “NoSuchProperty”");
      g_clear_error (&error);
    }
  /* The Manager's public properties too. */
  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(GVariant) reply = vmgr_test_call (root, "/org/vmgr/Manager", PROPERTIES_IFACE,
                                                  "Get",
                                                  g_variant_new ("(ss)", "org.vmgr.Manager",
                                                                 "Backend"), &error);

      g_assert_no_error (error);
      g_assert_true (g_variant_is_of_type (reply, G_VARIANT_TYPE ("(v)")));
    }
  call_ok (root, path, "Delete", NULL);
}

static void
test_after_setter (void)
{
  g_autoptr(VmgrTestClient) root = vmgr_test_client_new ();
  g_autoptr(VmgrTestClient) other = vmgr_test_client_new ();
  g_autofree char *path = create_vm (root, "memo-set", 4102, 0);
  guint64 limit;

  for (guint i = 0; i < 3; i++)
    {
      g_assert_false (get_boolean (root, path, "Autostart"));
      g_assert_false (get_boolean (other, path, "Autostart"));
    }
  call_ok (root, path, "SetAutostart", g_variant_new ("(b)", TRUE));
  g_assert_true (get_boolean (root, path, "Autostart"));
  g_assert_true (get_boolean (other, path, "Autostart"));

  limit = get_uint64 (root, path, "MemoryLimit");
  g_assert_cmpuint (get_uint64 (root, path, "MemoryLimit"), ==, limit);
  call_ok (root, path, "SetMemory", g_variant_new ("(ttt)", (guint64) 0, (guint64) 0,
                                                   limit + 64 * MiB));
  g_assert_cmpuint (get_uint64 (root, path, "MemoryLimit"), ==, limit + 64 * MiB);
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) all = get_all (other, path, &error);
    guint64 all_limit = 0;

    g_assert_no_error (error);
    g_assert_true (g_variant_lookup (all, "MemoryLimit", "t", &all_limit));
    g_assert_cmpuint (all_limit, ==, limit + 64 * MiB);
  }
  call_ok (root, path, "Delete", NULL);
}

/* Both calls sent before either reply is read. */
typedef struct {
  guint pending;
  GVariant *set_reply;
  GVariant *get_reply;
  GError *set_error;
  GError *get_error;
} Pipelined;

static void
on_set_reply (GObject *source, GAsyncResult *result, gpointer data)
{
  Pipelined *p = data;

  p->set_reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result,
                                                &p->set_error);
  p->pending--;
}

static void
on_get_reply (GObject *source, GAsyncResult *result, gpointer data)
{
  Pipelined *p = data;

  p->get_reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result,
                                                &p->get_error);
  p->pending--;
}

static gboolean
pipelined_done (gpointer data)
{
  return ((Pipelined *) data)->pending == 0;
}

static gboolean
set_then_get (VmgrTestClient *client, const char *path, gboolean autostart)
{
  Pipelined p = { 2, NULL, NULL, NULL, NULL };
  g_autoptr(GVariant) value = NULL;

  g_dbus_connection_call (client->bus, "org.vmgr", path, VM_IFACE, "SetAutostart",
                          g_variant_new ("(b)", autostart), NULL, G_DBUS_CALL_FLAGS_NONE,
                          20000, NULL, on_set_reply, &p);
  g_dbus_connection_call (client->bus, "org.vmgr", path, PROPERTIES_IFACE, "Get",
                          g_variant_new ("(ss)", VM_IFACE, "Autostart"), NULL,
                          G_DBUS_CALL_FLAGS_NONE, 20000, NULL, on_get_reply, &p);
  g_assert_true (vmgr_test_wait (pipelined_done, &p, 25000));
  g_assert_no_error (p.set_error);
  g_assert_no_error (p.get_error);
  g_variant_get (p.get_reply, "(v)", &value);
  g_variant_unref (p.set_reply);
  g_variant_unref (p.get_reply);
  return g_variant_get_boolean (value);
}

static void
test_pipelined (void)
{
  g_autoptr(VmgrTestClient) root = vmgr_test_client_new ();
  g_autofree char *path = create_vm (root, "memo-pipe", 4103, 0);

  for (guint i = 0; i < 3; i++)
    g_assert_false (get_boolean (root, path, "Autostart"));
  for (guint i = 0; i < 6; i++)
    g_assert_cmpint (set_then_get (root, path, i % 2 == 0), ==, i % 2 == 0);
  call_ok (root, path, "Delete", NULL);
}

static void
test_owner_changed (void)
{
  g_autoptr(VmgrTestClient) root = vmgr_test_client_new ();
  g_autofree char *path = create_vm (root, "memo-owner", 4104, VMGR_TEST_UID_ALICE);
  g_autoptr(Reader) alice = reader_spawn (VMGR_TEST_UID_ALICE);
  g_autoptr(Reader) bob = reader_spawn (VMGR_TEST_UID_BOB);

  assert_reader_reads (alice, path, "memo-owner", VMGR_TEST_UID_ALICE);
  /* What alice's connection was allowed is hers alone. */
  assert_reader_refused (bob, path);
  call_ok (root, path, "SetOwner", g_variant_new ("(u)", VMGR_TEST_UID_BOB));
  assert_reader_refused (alice, path);
  assert_reader_reads (bob, path, "memo-owner", VMGR_TEST_UID_BOB);
  call_ok (root, path, "SetOwner", g_variant_new ("(u)", VMGR_TEST_UID_ALICE));
  assert_reader_refused (bob, path);
  assert_reader_reads (alice, path, "memo-owner", VMGR_TEST_UID_ALICE);
  call_ok (root, path, "Delete", NULL);
}

static void
test_deleted (void)
{
  g_autoptr(VmgrTestClient) root = vmgr_test_client_new ();
  g_autofree char *path = create_vm (root, "memo-gone", 4105, VMGR_TEST_UID_ALICE);
  g_autoptr(Reader) alice = reader_spawn (VMGR_TEST_UID_ALICE);
  g_autoptr(Reader) root_reader = reader_spawn (0);

  assert_reader_reads (alice, path, "memo-gone", VMGR_TEST_UID_ALICE);
  assert_reader_reads (root_reader, path, "memo-gone", VMGR_TEST_UID_ALICE);
  call_ok (root, path, "Delete", NULL);
  assert_reader_refused (alice, path);
  assert_reader_refused (root_reader, path);
}

#define DENY_ALICE_RULE                                                    \
  "polkit.addRule(function(action, subject) {\n"                           \
  "  if (subject.user == 'alice' && action.id.indexOf('org.vmgr.vm.view') == 0)\n" \
  "    return polkit.Result.NO;\n"                                         \
  "});\n"

/* Polled: vmgrd hears polkit's Changed shortly after the test's own wait. */
typedef struct {
  Reader *reader;
  const char *path;
} Poll;

static gboolean
reader_refused (gpointer data)
{
  Poll *poll = data;
  g_autofree char *line = reader_ask (poll->reader, "Get %s Name", poll->path);

  return g_str_has_prefix (line, "error ");
}

static void
test_rules_changed (void)
{
  g_autoptr(VmgrTestClient) root = vmgr_test_client_new ();
  g_autofree char *path = create_vm (root, "memo-rules", 4106, VMGR_TEST_UID_ALICE);
  g_autoptr(Reader) alice = reader_spawn (VMGR_TEST_UID_ALICE);
  Poll poll = { alice, path };

  assert_reader_reads (alice, path, "memo-rules", VMGR_TEST_UID_ALICE);
  vmgr_test_polkit_install_rules (DENY_RULES, DENY_ALICE_RULE);
  /* The decision is cached for an hour: only polkit's Changed can do it. */
  g_assert_true (vmgr_test_wait (reader_refused, &poll, 10000));
  assert_reader_refused (alice, path);
  vmgr_test_polkit_remove_rules (DENY_RULES);
  call_ok (root, path, "Delete", NULL);
}

/* Alice loses her view when a file says so: polkit rereads it at each
 * question and never says it changed, so only the decision's time to
 * live ends what vmgrd was told. */
static void
test_expired (void)
{
  g_autofree char *state_dir = g_strdup (vmgr_test_daemon_get_state_dir (vmgrd));
  g_autofree char *config = g_build_filename (state_dir, "vmgrd.conf", NULL);
  g_autofree char *flag = g_build_filename (state_dir, "alice-denied", NULL);
  g_autofree char *rule = g_strdup_printf (
    "polkit.addRule(function(action, subject) {\n"
    "  if (subject.user == 'alice' && action.id.indexOf('org.vmgr.vm.view') == 0 &&\n"
    "      polkit.spawn(['/bin/cat', '%s']).indexOf('deny') == 0)\n"
    "    return polkit.Result.NO;\n"
    "});\n", flag);
  g_autoptr(VmgrTestClient) root = NULL;
  g_autoptr(Reader) alice = NULL;
  g_autofree char *path = NULL;
  g_autofree char *at_once = NULL;
  g_autoptr(GError) error = NULL;

  g_file_set_contents (flag, "allow\n", -1, &error);
  g_assert_no_error (error);
  g_chmod (flag, 0644);
  g_file_set_contents (config, "[auth]\ncache_ttl=2\n", -1, &error);
  g_assert_no_error (error);
  vmgr_test_daemon_restart (vmgrd);
  vmgr_test_polkit_install_rules (DENY_RULES, rule);
  root = vmgr_test_client_new ();
  path = create_vm (root, "memo-ttl", 4107, VMGR_TEST_UID_ALICE);
  alice = reader_spawn (VMGR_TEST_UID_ALICE);
  assert_reader_reads (alice, path, "memo-ttl", VMGR_TEST_UID_ALICE);
  g_file_set_contents (flag, "deny\n", -1, &error);
  g_assert_no_error (error);
  at_once = reader_ask (alice, "Get %s Name", path);
  g_test_message ("at once after the flag: %s (the decision may still hold)", at_once);
  g_usleep (2200 * G_TIME_SPAN_MILLISECOND);
  assert_reader_refused (alice, path);

  vmgr_test_polkit_remove_rules (DENY_RULES);
  call_ok (root, path, "Delete", NULL);
  g_clear_pointer (&root, vmgr_test_client_free);
  g_file_set_contents (config, "[auth]\ncache_ttl=3600\n", -1, &error);
  g_assert_no_error (error);
  vmgr_test_daemon_restart (vmgrd);
}

int
main (int argc, char **argv)
{
  int status;

  if (argc == 3 && g_str_equal (argv[1], "--reader"))
    return run_reader ((guint) g_ascii_strtoull (argv[2], NULL, 10));
  self_path = g_canonicalize_filename (argv[0], NULL);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/read-memo/repeated", test_repeated);
  g_test_add_func ("/read-memo/after-setter", test_after_setter);
  g_test_add_func ("/read-memo/pipelined", test_pipelined);
  g_test_add_func ("/read-memo/owner-changed", test_owner_changed);
  g_test_add_func ("/read-memo/deleted", test_deleted);
  g_test_add_func ("/read-memo/rules-changed", test_rules_changed);
  g_test_add_func ("/read-memo/expired", test_expired);
  /* Decisions cached for an hour: only what drops them can refuse. */
  status = vmgr_test_run_with_daemon ("[auth]\ncache_ttl=3600\n", NULL, &vmgrd);
  g_free (self_path);
  return status;
}
