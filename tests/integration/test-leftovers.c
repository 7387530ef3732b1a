/* What operations interrupted by a crash of vmgrd leave in the state
 * directory is removed at the next start (service/daemon/vmgr-leftovers.h):
 * backup and restore staging copies, STATE_DIR/staging, unfinished
 * archives in the default backup directory; what finished operations made
 * (a guest directory, a finished archive, the store) stays. */
#include <glib/gstdio.h>

#include "vmgr-test-client.h"
#include "vmgr-test-env.h"

static void
plant (const char *state_dir, const char *relative)
{
  g_autofree char *path = g_build_filename (state_dir, relative, NULL);
  g_autofree char *dir = g_path_get_dirname (path);

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (path, "left behind", -1, NULL));
}

static gboolean
exists (const char *state_dir, const char *relative)
{
  g_autofree char *path = g_build_filename (state_dir, relative, NULL);

  return g_file_test (path, G_FILE_TEST_EXISTS);
}

/* Whether a hidden .leftovers-* directory is still there. */
static gboolean
trash_present (const char *state_dir)
{
  g_autoptr(GDir) dir = g_dir_open (state_dir, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    if (g_str_has_prefix (name, ".leftovers-"))
      return TRUE;
  return FALSE;
}

static void
test_swept_at_start (void)
{
  g_autofree char *state_dir = vmgr_test_make_state_dir ();
  static const char *const leftovers[] = {
    ".backup-Ab12Cd/files/root.img", ".backup-Ab12Cd/manifest.json",
    ".restore-Xy34Zw/files/disk.qcow2", ".leftovers-Old123/0/x",
    "staging/vmgr-7/root.img", "staging/migrate-9.qcow2",
    "backups/.web-5-20261206T120000Z.vmgr-backup.tar.zst.partial",
  };
  static const char *const kept[] = {
    "guests/5/root.img", "backups/web-5-20261206T110000Z.vmgr-backup.tar.zst",
    "backups/notes.partial", "vmgr.db",
  };
  g_autoptr(VmgrTestDaemon) vmgrd = NULL;
  g_autoptr(VmgrTestClient) root = NULL;
  g_autoptr(GVariant) vms = NULL;
  g_autoptr(GError) error = NULL;
  gint64 deadline;

  for (guint i = 0; i < G_N_ELEMENTS (leftovers); i++)
    plant (state_dir, leftovers[i]);
  for (guint i = 0; i + 1 < G_N_ELEMENTS (kept); i++)
    plant (state_dir, kept[i]);

  vmgrd = vmgr_test_daemon_start (state_dir, NULL);
  /* Moved away before the name was owned: no operation can meet them. */
  for (guint i = 0; i < G_N_ELEMENTS (leftovers); i++)
    g_assert_false (exists (state_dir, leftovers[i]));
  deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while (trash_present (state_dir) && g_get_monotonic_time () < deadline)
    g_usleep (20000);
  g_assert_false (trash_present (state_dir));
  g_assert_false (exists (state_dir, ".backup-Ab12Cd"));
  g_assert_false (exists (state_dir, ".restore-Xy34Zw"));
  g_assert_false (exists (state_dir, "staging/vmgr-7"));
  for (guint i = 0; i < G_N_ELEMENTS (kept); i++)
    g_assert_true (exists (state_dir, kept[i]));

  /* and the daemon serves as usual */
  root = vmgr_test_client_new ();
  vms = vmgr_test_call (root, "/org/vmgr/Manager", "org.vmgr.Manager", "ListVMs", NULL, &error);
  g_assert_no_error (error);
  vmgr_test_daemon_stop (vmgrd);
  vmgr_test_remove_dir (state_dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/leftovers/swept-at-start", test_swept_at_start);
  return g_test_run ();
}
