/* The files of a clone (backend/vmgr-clone-files.c): the guest directory
 * copied except its snapshots/, links, owners and modes kept, the clone's
 * host name written into its root; from an image snapshot, that image as
 * the root image; from a qcow2 internal snapshot, the disk as of it and
 * without snapshots; refusals and cancellation. */
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmgr-clone-files.h"
#include "vmgr-error.h"

static char *scratch;

typedef struct {
  gboolean done;
  gboolean ok;
  GError *error;
  double progress;
} Result;

static void
on_cloned (GObject *source, GAsyncResult *result, gpointer data)
{
  Result *outcome = data;

  outcome->ok = vmgr_clone_files_finish (result, &outcome->error);
  outcome->done = TRUE;
}

static void
on_progress (double progress, gpointer data)
{
  ((Result *) data)->progress = progress;
}

static gboolean
run_clone (const VmgrCloneFiles *files, GCancellable *cancellable, GError **error)
{
  Result outcome = { FALSE, FALSE, NULL, 0.0 };

  vmgr_clone_files_async (files, on_progress, &outcome, cancellable, on_cloned, &outcome);
  while (!outcome.done)
    g_main_context_iteration (NULL, TRUE);
  if (!outcome.ok)
    g_propagate_error (error, outcome.error);
  return outcome.ok;
}

static char *
path_in (const char *dir, const char *relative)
{
  return g_build_filename (dir, relative, NULL);
}

static void
write_file (const char *dir, const char *relative, const char *contents)
{
  g_autofree char *path = path_in (dir, relative);
  g_autofree char *parent = g_path_get_dirname (path);
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (g_mkdir_with_parents (parent, 0755), ==, 0);
  g_file_set_contents (path, contents, -1, &error);
  g_assert_no_error (error);
}

static gboolean
exists (const char *dir, const char *relative, GFileTest test)
{
  g_autofree char *path = path_in (dir, relative);

  return g_file_test (path, test);
}

static gboolean
has_program (const char *name)
{
  g_autofree char *path = g_find_program_in_path (name);

  return path != NULL;
}

static char *
read_file (const char *dir, const char *relative)
{
  g_autofree char *path = path_in (dir, relative);
  char *contents = NULL;

  return g_file_get_contents (path, &contents, NULL, NULL) ? contents : NULL;
}

static char *
guest (const char *id)
{
  return g_build_filename (scratch, "guests", id, NULL);
}

static VmgrVmSpec *
clone_spec (void)
{
  VmgrVmSpec *spec = vmgr_vm_spec_new ();

  g_free (spec->name);
  spec->name = g_strdup ("copy");
  g_free (spec->hostname);
  spec->hostname = g_strdup ("copy-host");
  return spec;
}

/* A directory root: everything but snapshots/, the host name rewritten. */
static void
test_directory_root (void)
{
  g_autofree char *from = guest ("1");
  g_autofree char *to = guest ("2");
  g_autofree char *root = path_in (to, "rootfs");
  g_autofree char *owned = path_in (from, "rootfs/home/u/file");
  g_autofree char *link = path_in (from, "rootfs/bin/sh");
  g_autofree char *copied_link = path_in (to, "rootfs/bin/sh");
  g_autofree char *bin = path_in (from, "rootfs/bin");
  g_autofree char *copied_file = path_in (to, "rootfs/home/u/file");
  g_autofree char *target = NULL;
  g_autofree char *hostname = NULL;
  g_autofree char *kept = NULL;
  g_autofree char *file = NULL;
  g_autoptr(VmgrVmSpec) spec = clone_spec ();
  g_autoptr(GError) error = NULL;
  VmgrCloneFiles files = {
    .from_dir = from, .to_dir = to, .snapshot = NULL, .root = root, .disk = "", .spec = spec,
  };
  struct stat st;

  write_file (from, "rootfs/etc/hostname", "origin\n");
  write_file (from, "rootfs/home/u/file", "data");
  write_file (from, "console.log", "boot");
  write_file (from, "snapshots/s1.img", "old");
  g_assert_cmpint (g_mkdir_with_parents (bin, 0755), ==, 0);
  g_assert_cmpint (symlink ("busybox", link), ==, 0);
  if (geteuid () == 0)
    g_assert_cmpint (chown (owned, 1234, 567), ==, 0);
  g_assert_cmpint (chmod (owned, 04751), ==, 0);

  g_assert_true (run_clone (&files, NULL, &error));
  g_assert_no_error (error);
  hostname = read_file (to, "rootfs/etc/hostname");
  g_assert_cmpstr (hostname, ==, "copy-host\n");
  kept = read_file (from, "rootfs/etc/hostname");
  g_assert_cmpstr (kept, ==, "origin\n");
  file = read_file (to, "rootfs/home/u/file");
  g_assert_cmpstr (file, ==, "data");
  g_assert_true (exists (to, "console.log", G_FILE_TEST_IS_REGULAR));
  g_assert_false (exists (to, "snapshots", G_FILE_TEST_EXISTS));
  target = g_file_read_link (copied_link, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (target, ==, "busybox");
  g_assert_cmpint (stat (copied_file, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 07777, ==, 04751);
  if (geteuid () == 0)
    {
      g_assert_cmpint (st.st_uid, ==, 1234);
      g_assert_cmpint (st.st_gid, ==, 567);
    }
  /* The clone's directory exists already now: a second copy is refused. */
  g_assert_false (run_clone (&files, NULL, &error));
  g_assert_error (error, VMGR_ERROR, VMGR_ERROR_FAILED);
}

/* A root image: from its snapshot, the snapshot's image is the root. */
static void
test_image_snapshot (void)
{
  g_autofree char *from = guest ("3");
  g_autofree char *to = guest ("4");
  g_autofree char *root = NULL;
  g_autoptr(VmgrVmSpec) spec = clone_spec ();
  g_autoptr(GError) error = NULL;
  VmgrCloneFiles files = {
    .from_dir = from, .to_dir = to, .snapshot = "s1", .root = "", .disk = "", .spec = spec,
  };

  write_file (from, VMGR_CLONE_ROOT_IMAGE, "current");
  write_file (from, VMGR_CLONE_SNAPSHOTS_DIR "/s1.img", "as-of-s1");
  write_file (from, VMGR_CLONE_SNAPSHOTS_DIR "/s2.img", "as-of-s2");
  g_assert_true (run_clone (&files, NULL, &error));
  g_assert_no_error (error);
  root = read_file (to, VMGR_CLONE_ROOT_IMAGE);
  g_assert_cmpstr (root, ==, "as-of-s1");
  g_assert_false (exists (to, VMGR_CLONE_SNAPSHOTS_DIR, G_FILE_TEST_EXISTS));
}

/* A snapshot that is neither an image nor in a qcow2 disk. */
static void
test_snapshot_unsupported (void)
{
  g_autofree char *from = guest ("5");
  g_autofree char *to = guest ("6");
  g_autofree char *root = path_in (to, "rootfs");
  g_autoptr(VmgrVmSpec) spec = clone_spec ();
  g_autoptr(GError) error = NULL;
  VmgrCloneFiles files = {
    .from_dir = from, .to_dir = to, .snapshot = "s1", .root = root, .disk = "", .spec = spec,
  };

  write_file (from, "rootfs/etc/hostname", "origin\n");
  g_assert_false (run_clone (&files, NULL, &error));
  g_assert_error (error, VMGR_ERROR, VMGR_ERROR_NOT_SUPPORTED);
}

/* A guest without files of its own (the test driver's): nothing to do. */
static void
test_no_files (void)
{
  g_autofree char *from = guest ("7");
  g_autofree char *to = guest ("8");
  g_autoptr(VmgrVmSpec) spec = clone_spec ();
  g_autoptr(GError) error = NULL;
  VmgrCloneFiles files = {
    .from_dir = from, .to_dir = to, .snapshot = "s1", .root = "", .disk = "", .spec = spec,
  };

  g_assert_true (run_clone (&files, NULL, &error));
  g_assert_no_error (error);
  g_assert_false (g_file_test (to, G_FILE_TEST_EXISTS));
}

static void
test_cancelled (void)
{
  g_autofree char *from = guest ("9");
  g_autofree char *to = guest ("10");
  g_autofree char *root = path_in (to, "rootfs");
  g_autoptr(VmgrVmSpec) spec = clone_spec ();
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  VmgrCloneFiles files = {
    .from_dir = from, .to_dir = to, .snapshot = NULL, .root = root, .disk = "", .spec = spec,
  };

  write_file (from, "rootfs/etc/hostname", "origin\n");
  g_cancellable_cancel (cancellable);
  g_assert_false (run_clone (&files, cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

static gboolean
run (const char *command)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int status = -1;

  /* Their output captured: stdout is the TAP stream. */
  return g_spawn_command_line_sync (command, &out, &err, &status, NULL) &&
         g_spawn_check_wait_status (status, NULL);
}

/* A qcow2 disk: the copy holds what it held at the snapshot, and no
 * snapshot. */
static void
test_qcow2_snapshot (void)
{
  g_autofree char *from = guest ("11");
  g_autofree char *to = guest ("12");
  g_autofree char *disk = path_in (from, "disk.qcow2");
  g_autofree char *copy = path_in (to, "disk.qcow2");
  g_autofree char *command = NULL;
  g_autofree char *listing = NULL;
  g_autoptr(VmgrVmSpec) spec = clone_spec ();
  g_autoptr(GError) error = NULL;
  VmgrCloneFiles files = {
    .from_dir = from, .to_dir = to, .snapshot = "s1", .root = "", .disk = copy, .spec = spec,
  };

  if (!has_program ("qemu-img") || !has_program ("qemu-io"))
    {
      g_test_skip ("no qemu-img or qemu-io");
      return;
    }
  g_assert_cmpint (g_mkdir_with_parents (from, 0711), ==, 0);
  command = g_strdup_printf ("qemu-img create -q -f qcow2 %s 16M", disk);
  g_assert_true (run (command));
  g_free (command);
  command = g_strdup_printf ("qemu-io -c 'write -P 0x41 0 4k' %s", disk);
  g_assert_true (run (command));
  g_free (command);
  command = g_strdup_printf ("qemu-img snapshot -c s1 %s", disk);
  g_assert_true (run (command));
  g_free (command);
  command = g_strdup_printf ("qemu-io -c 'write -P 0x42 0 4k' %s", disk);
  g_assert_true (run (command));

  g_assert_true (run_clone (&files, NULL, &error));
  g_assert_no_error (error);
  g_free (command);
  command = g_strdup_printf ("qemu-io -c 'read -P 0x41 0 4k' %s", copy);
  g_assert_true (run (command));
  g_free (command);
  command = g_strdup_printf ("qemu-io -c 'read -P 0x42 0 4k' %s", disk);
  g_assert_true (run (command));
  g_free (command);
  command = g_strdup_printf ("qemu-img snapshot -l %s", copy);
  g_assert_true (g_spawn_command_line_sync (command, &listing, NULL, NULL, NULL));
  g_assert_null (strstr (listing, "s1"));
}

int
main (int argc, char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  scratch = g_dir_make_tmp ("vmgr-clone-files-XXXXXX", NULL);
  g_assert_nonnull (scratch);
  g_test_add_func ("/clone-files/directory-root", test_directory_root);
  g_test_add_func ("/clone-files/image-snapshot", test_image_snapshot);
  g_test_add_func ("/clone-files/snapshot-unsupported", test_snapshot_unsupported);
  g_test_add_func ("/clone-files/no-files", test_no_files);
  g_test_add_func ("/clone-files/cancelled", test_cancelled);
  g_test_add_func ("/clone-files/qcow2-snapshot", test_qcow2_snapshot);
  status = g_test_run ();
  {
    g_autofree char *command = g_strdup_printf ("rm -rf %s", scratch);

    g_assert_true (run (command));
  }
  g_free (scratch);
  return status;
}
