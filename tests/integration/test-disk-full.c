/* vmgrd with its state directory on a small filesystem that fills up (a
 * tmpfs with size=, mounted in the harness's private mount namespace):
 * every mutation fails with a clear error (naming the full disk) and
 * changes nothing, neither in the store nor in libvirt (a VM whose Delete
 * failed still starts; one whose SetMemory failed still runs with its old
 * memory); reads keep working; vmgrd stays on the bus; and when space
 * returns, mutations work again and survive a restart. */
#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "vmgr-test-client.h"
#include "vmgr-test-env.h"

#define MiB (G_GUINT64_CONSTANT (1) << 20)
#define FS_SIZE "8m"
#define MAX_FILLING_CALLS 2000

static VmgrTestDaemon *vmgrd;
static char *mount_dir;
static char *filler_path;
static char *keep_path;

static void
call_ok (VmgrTestClient *client, const char *path, const char *interface, const char *member,
         GVariant *args)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply G_GNUC_UNUSED = vmgr_test_call (client, path, interface, member, args, &error);

  g_assert_no_error (error);
}

/* Writes a file until the filesystem is full. */
static void
fill_up (void)
{
  static char block[64 * 1024];
  int fd = open (filler_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  gsize written = 0;

  g_assert_cmpint (fd, >=, 0);
  memset (block, 'x', sizeof block);
  for (;;)
    {
      ssize_t n = write (fd, block, sizeof block);

      if (n <= 0)
        {
          g_assert_cmpint (errno, ==, ENOSPC);
          break;
        }
      written += (gsize) n;
    }
  /* the last bytes, one at a time */
  while (write (fd, block, 1) == 1)
    written++;
  close (fd);
  g_test_message ("filled the state directory's filesystem with %" G_GSIZE_FORMAT " bytes",
                  written);
}

static void
free_space (void)
{
  g_assert_cmpint (g_unlink (filler_path), ==, 0);
}

/* Everything root can read, as text: what must not change while full. */
static char *
everything (VmgrTestClient *root)
{
  static const char *const lists[] = { "ListPlans", "ListTemplates", "ListCustomers" };
  GString *text = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) objects = vmgr_test_call (root, "/org/vmgr", "org.freedesktop.DBus.ObjectManager",
                                      "GetManagedObjects", NULL, &error);
  g_autoptr(GVariant) audit = NULL;

  g_assert_no_error (error);
  {
    /* without the sampled usage, which moves by itself */
    g_autofree char *printed = g_variant_print (objects, FALSE);

    g_string_append (text, printed);
  }
  for (guint i = 0; i < G_N_ELEMENTS (lists); i++)
    {
      g_autoptr(GVariant) reply = vmgr_test_call (root, "/org/vmgr/Manager", "org.vmgr.Manager", lists[i],
                                        NULL, &error);
      g_autofree char *printed = NULL;

      g_assert_no_error (error);
      printed = g_variant_print (reply, FALSE);
      g_string_append_printf (text, "\n%s: %s", lists[i], printed);
    }
  audit = vmgr_test_call (root, "/org/vmgr/Manager", "org.vmgr.Manager", "QueryAudit",
                g_variant_new_parsed ("(@a{sv} {'limit': <uint32 5>},)"), &error);
  g_assert_no_error (error);
  return g_string_free (text, FALSE);
}

static char *
vm_property (VmgrTestClient *root, const char *path, const char *name)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = vmgr_test_call (root, path, "org.freedesktop.DBus.Properties", "Get",
                                    g_variant_new ("(ss)", "org.vmgr.VM", name), &error);
  g_autoptr(GVariant) value = NULL;

  g_assert_no_error (error);
  g_variant_get (reply, "(v)", &value);
  return g_variant_print (value, FALSE);
}

typedef struct {
  const char *what;
  const char *path;        /* NULL: the kept VM */
  const char *interface;
  const char *member;
  const char *args;        /* GVariant text */
} Mutation;

static const Mutation mutations[] = {
  { "create a VM", "/org/vmgr/Manager", "org.vmgr.Manager", "CreateVM",
    "('df-new', 'debian-12', 'df-small', @a{sv} {})" },
  { "set memory", NULL, "org.vmgr.VM", "SetMemory", "(uint64 0, uint64 0, uint64 100663296)" },
  { "set CPU", NULL, "org.vmgr.VM", "SetCpu", "(uint32 1, uint32 500, uint32 0)" },
  { "set autostart", NULL, "org.vmgr.VM", "SetAutostart", "(true,)" },
  { "set network", NULL, "org.vmgr.VM", "SetNetwork", "({'hostname': <'full'>},)" },
  { "hand over", NULL, "org.vmgr.VM", "SetOwner", "(uint32 60002,)" },
  { "delete a VM", NULL, "org.vmgr.VM", "Delete", "()" },
  { "set a plan", "/org/vmgr/Manager", "org.vmgr.Manager", "SetPlan",
    "('df-plan2', {'memory_limit': <uint64 67108864>})" },
  { "remove a plan", "/org/vmgr/Manager", "org.vmgr.Manager", "RemovePlan", "('df-plan',)" },
  { "add a template", "/org/vmgr/Manager", "org.vmgr.Manager", "AddTemplate", "('df-t2', @a{sv} {})" },
  { "remove a template", "/org/vmgr/Manager", "org.vmgr.Manager", "RemoveTemplate", "('df-tmpl',)" },
  { "add a customer", "/org/vmgr/Manager", "org.vmgr.Manager", "AddCustomer",
    "(uint32 60003, {'full_name': <'Bob'>, 'email': <'bob@example.org'>, 'national_id': <'DF-B'>})" },
  { "update a customer", "/org/vmgr/customer/60002", "org.vmgr.Customer", "Update",
    "({'phone': <'+54 261 555 0101'>},)" },
  { "suspend a customer", "/org/vmgr/customer/60002", "org.vmgr.Customer", "Suspend", "('full',)" },
};

static void
setup_objects (void)
{
  g_autoptr(VmgrTestClient) root = vmgr_test_client_new ();

  /* Disk limits count against the state directory's filesystem, a small
   * one here: the plan has none (a limit is at least 64 MiB). */
  call_ok (root, "/org/vmgr/Manager", "org.vmgr.Manager", "SetPlan",
           g_variant_new_parsed ("('df-small', {'memory_limit': <uint64 67108864>})"));
  keep_path = vmgr_test_create_vm (root, "df-keep", "debian-12", "df-small", NULL);
  call_ok (root, "/org/vmgr/Manager", "org.vmgr.Manager", "SetPlan",
           g_variant_new_parsed ("('df-plan', {'memory_limit': <uint64 67108864>})"));
  call_ok (root, "/org/vmgr/Manager", "org.vmgr.Manager", "AddTemplate",
           g_variant_new_parsed ("('df-tmpl', @a{sv} {})"));
  call_ok (root, "/org/vmgr/Manager", "org.vmgr.Manager", "AddCustomer",
           g_variant_new_parsed ("(uint32 60002, {'full_name': <'Alice'>, 'email': <'alice@example.org'>,"
                                 " 'national_id': <'DF-A'>})"));
}

/* Mutations until one fails: the store's files may have room left inside
 * them (a write-ahead log reuses its space). Returns the error. */
static GError *
mutate_until_refused (VmgrTestClient *root)
{
  for (guint i = 0; i < MAX_FILLING_CALLS; i++)
    {
      GError *error = NULL;
      g_autoptr(GVariant) reply G_GNUC_UNUSED = vmgr_test_call (root, keep_path, "org.vmgr.VM", "SetCpu",
                                        g_variant_new ("(uuu)", 1, 100 + i % 2, 0), &error);

      if (error != NULL)
        {
          g_test_message ("the %u-th change after filling up was refused: %s", i + 1,
                          error->message);
          return error;
        }
    }
  g_assert_not_reached ();
}

static void
assert_clear_error (const GError *error, const char *what)
{
  g_autofree char *name = g_dbus_error_get_remote_error (error);

  g_test_message ("%s while full: %s", what, error->message);
  g_assert_cmpstr (name, ==, "org.vmgr.Error.Failed");
  g_assert_nonnull (strstr (error->message, "full"));
}

static void
check_log_clean (void)
{
  g_autofree char *log = NULL;
  g_auto(GStrv) lines = NULL;

  g_assert_true (g_file_get_contents (vmgr_test_daemon_get_log_path (vmgrd), &log, NULL, NULL));
  lines = g_strsplit (log, "\n", -1);
  for (char **line = lines; *line != NULL; line++)
    if (strstr (*line, "-CRITICAL **") != NULL ||
        (strstr (*line, "GLib") != NULL && strstr (*line, "-WARNING **") != NULL))
      g_error ("vmgrd's log: %s", *line);
}

/* The guest starts from libvirt's definition: with the memory the store
 * has (the test driver's guest uses all of its memory). */
static void
check_libvirt_agrees (VmgrTestClient *root, const char *memory)
{
  g_autoptr(VmgrDBusVM) vm = vmgr_test_client_vm (root, keep_path);
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) stats = NULL;
  g_autoptr(GVariant) info = NULL;
  guint64 used = 0;

  call_ok (root, keep_path, "org.vmgr.VM", "Start", NULL);
  g_assert_true (vmgr_test_wait_state (vm, "running", 10000));
  stats = vmgr_test_call (root, keep_path, "org.vmgr.VM", "GetStats", NULL, &error);
  g_assert_no_error (error);
  info = g_variant_get_child_value (stats, 0);
  g_assert_true (g_variant_lookup (info, "memory_used", "t", &used));
  g_assert_cmpuint (used, ==, g_ascii_strtoull (memory, NULL, 10));
  call_ok (root, keep_path, "org.vmgr.VM", "Stop", NULL);
  g_assert_true (vmgr_test_wait_state (vm, "stopped", 10000));
}

static void
test_full (void)
{
  g_autoptr(VmgrTestClient) root = vmgr_test_client_new ();
  const char *owner = vmgr_test_daemon_get_unique_name (vmgrd);
  g_autoptr(GError) first = NULL;
  g_autofree char *before = NULL;
  g_autofree char *memory_before = NULL;

  fill_up ();
  first = mutate_until_refused (root);
  assert_clear_error (first, "the first refused change");
  memory_before = vm_property (root, keep_path, "MemoryLimit");
  {
    /* alone first: a later change would define the old memory again */
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) reply G_GNUC_UNUSED = vmgr_test_call (root, keep_path, "org.vmgr.VM", "SetMemory",
                                      g_variant_new ("(ttt)", (guint64) 0, (guint64) 0, 96 * MiB),
                                      &error);

    assert_clear_error (error, "set memory alone");
    check_libvirt_agrees (root, memory_before);
  }
  before = everything (root);

  for (guint i = 0; i < G_N_ELEMENTS (mutations); i++)
    {
      const Mutation *m = &mutations[i];
      g_autoptr(GError) error = NULL;
      g_autoptr(GVariant) reply = vmgr_test_call (root, m->path != NULL ? m->path : keep_path, m->interface,
                                        m->member, g_variant_new_parsed (m->args), &error);
      g_autofree char *after = NULL;

      g_assert_null (reply);
      assert_clear_error (error, m->what);
      after = everything (root);
      g_assert_cmpstr (after, ==, before);
    }

  /* libvirt has what the store has: the VM whose Delete failed is still
   * defined, and it starts with the memory it had. */
  check_libvirt_agrees (root, memory_before);
  /* vmgrd stayed, and answers reads */
  g_assert_cmpstr (vmgr_test_daemon_get_unique_name (vmgrd), ==, owner);
  g_assert_true (vmgr_test_daemon_is_running (vmgrd));
  g_free (everything (root));
  check_log_clean ();
}

static void
test_space_returns (void)
{
  g_autoptr(VmgrTestClient) root = NULL;
  g_autofree char *created G_GNUC_UNUSED = NULL;
  g_autofree char *memory = NULL;
  g_autofree char *found = NULL;
  g_autoptr(GError) error = NULL;

  free_space ();
  root = vmgr_test_client_new ();
  for (guint i = 0; i < G_N_ELEMENTS (mutations); i++)
    {
      const Mutation *m = &mutations[i];

      if (g_str_equal (m->member, "Delete") || g_str_equal (m->member, "SetOwner"))
        continue;
      call_ok (root, m->path != NULL ? m->path : keep_path, m->interface, m->member,
               g_variant_new_parsed (m->args));
    }
  /* and they stay */
  vmgr_test_daemon_restart (vmgrd);
  g_clear_pointer (&root, vmgr_test_client_free);
  root = vmgr_test_client_new ();
  memory = vm_property (root, keep_path, "MemoryLimit");
  g_assert_cmpstr (memory, ==, "100663296");
  vmgr_dbus_manager_call_find_vm_sync (root->manager, "df-new", &found, NULL, &error);
  g_assert_no_error (error);
  /* Autostart started it again with vmgrd; a VM that is up is not deleted. */
  {
    g_autoptr(VmgrDBusVM) kept = vmgr_test_client_vm (root, keep_path);

    g_assert_true (vmgr_test_wait_state (kept, "running", 10000));
    call_ok (root, keep_path, "org.vmgr.VM", "Stop", NULL);
    g_assert_true (vmgr_test_wait_state (kept, "stopped", 10000));
  }
  call_ok (root, keep_path, "org.vmgr.VM", "Delete", NULL);
  check_log_clean ();
}

/* A restart while full: vmgrd comes up, answers reads, refuses changes. */
static void
test_start_while_full (void)
{
  g_autoptr(VmgrTestClient) root = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;

  fill_up ();
  vmgr_test_daemon_restart (vmgrd);
  /* its clean stop removed the write-ahead log: full again */
  fill_up ();
  root = vmgr_test_client_new ();
  g_free (everything (root));
  for (guint i = 0; i < MAX_FILLING_CALLS && error == NULL; i++)
    {
      g_clear_pointer (&reply, g_variant_unref);
      reply = vmgr_test_call (root, "/org/vmgr/Manager", "org.vmgr.Manager", "SetPlan",
                    g_variant_new_parsed ("('df-plan3', {'memory_limit': <%t>})",
                                          (guint64) (64 + i % 2) * MiB), &error);
    }
  assert_clear_error (error, "set a plan after a restart");
  g_free (everything (root));
  g_clear_error (&error);
  free_space ();
  g_clear_pointer (&reply, g_variant_unref);
  reply = vmgr_test_call (root, "/org/vmgr/Manager", "org.vmgr.Manager", "SetPlan",
                g_variant_new_parsed ("('df-plan3', {'memory_limit': <uint64 67108864>})"), &error);
  g_assert_no_error (error);
  check_log_clean ();
}

int
main (int argc, char **argv)
{
  g_autofree char *outside = NULL;
  g_autofree char *log_link = NULL;
  g_autofree char *log_file = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/disk-full/refused-cleanly", test_full);
  g_test_add_func ("/disk-full/space-returns", test_space_returns);
  g_test_add_func ("/disk-full/start-while-full", test_start_while_full);
  if (vmgr_test_skip_unless_testbus () || g_test_subprocess ())
    return g_test_run ();

  /* The state directory on its own small filesystem; the log beside it,
   * so that it keeps being written. */
  outside = vmgr_test_make_state_dir ();
  mount_dir = g_build_filename (outside, "state", NULL);
  g_assert_cmpint (g_mkdir (mount_dir, 0755), ==, 0);
  if (mount ("vmgr-test", mount_dir, "tmpfs", MS_NOSUID | MS_NODEV, "size=" FS_SIZE ",mode=0755") != 0)
    g_error ("cannot mount a tmpfs on %s: %s", mount_dir, g_strerror (errno));
  log_file = g_build_filename (outside, "vmgrd.log", NULL);
  log_link = g_build_filename (mount_dir, "vmgrd.log", NULL);
  g_assert_cmpint (symlink (log_file, log_link), ==, 0);
  filler_path = g_build_filename (mount_dir, "filler", NULL);

  vmgrd = vmgr_test_daemon_start (mount_dir, "[monitoring]\ninterval=3600\n");
  setup_objects ();
  status = g_test_run ();
  if (g_file_test (filler_path, G_FILE_TEST_EXISTS))
    free_space ();
  vmgr_test_daemon_stop (vmgrd);
  if (status != 0)
    vmgr_test_daemon_dump_log (vmgrd);
  g_clear_pointer (&vmgrd, vmgr_test_daemon_free);
  {
    g_autofree char *db_path = g_build_filename (mount_dir, "vmgr.db", NULL);
    sqlite3 *db = NULL;
    sqlite3_stmt *stmt = NULL;

    g_assert_cmpint (sqlite3_open_v2 (db_path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
    g_assert_cmpint (sqlite3_prepare_v2 (db, "PRAGMA integrity_check", -1, &stmt, NULL), ==, SQLITE_OK);
    g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
    g_assert_cmpstr ((const char *) sqlite3_column_text (stmt, 0), ==, "ok");
    sqlite3_finalize (stmt);
    sqlite3_close (db);
  }
  g_assert_cmpint (umount (mount_dir), ==, 0);
  vmgr_test_remove_dir (outside);
  g_free (mount_dir);
  g_free (filler_path);
  g_free (keep_path);
  return status;
}
