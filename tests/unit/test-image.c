/* Root images of LXC guests (backend/vmgr-image.c, the provisioning of
 * one, and the file-level snapshots of vmgr-lxc-snapshots.c on a domain of
 * libvirt's test driver): made from a directory with its contents, modes
 * and the VM's network files, sized, grown and shrunk, measured; snapshot
 * metadata kept beside the image. Needs e2fsprogs (mke2fs, debugfs,
 * resize2fs, dumpe2fs, e2fsck). */
#include <glib/gstdio.h>
#include <string.h>
#include <libvirt/libvirt.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmgr-backend-private.h"
#include "vmgr-domain-xml.h"
#include "vmgr-error.h"
#include "vmgr-image.h"
#include "vmgr-provision.h"

#define MiB (G_GUINT64_CONSTANT (1) << 20)

static char *scratch;

static char *
scratch_path (const char *name)
{
  return g_build_filename (scratch, name, NULL);
}

/* A small root: etc/passwd, a setuid program, a link out of the tree. */
static char *
make_template (const char *name)
{
  char *root = scratch_path (name);
  g_autofree char *etc = g_build_filename (root, "etc", NULL);
  g_autofree char *passwd = g_build_filename (etc, "passwd", NULL);
  g_autofree char *program = g_build_filename (root, "suid", NULL);
  g_autofree char *link = g_build_filename (etc, "hostname", NULL);

  g_assert_cmpint (g_mkdir_with_parents (etc, 0755), ==, 0);
  g_assert_true (g_file_set_contents (passwd, "root:x:0:0::/root:/bin/sh\n", -1, NULL));
  g_assert_true (g_file_set_contents (program, "#!/bin/sh\n", -1, NULL));
  g_assert_cmpint (chmod (program, 04755), ==, 0);
  /* As root (CI), a file of someone else's: its owner is kept. */
  if (geteuid () == 0)
    g_assert_cmpint (chown (passwd, 1000, 1001), ==, 0);
  /* Planted by the template's (or guest's) owner: replaced, not followed. */
  g_assert_cmpint (symlink (passwd, link), ==, 0);
  return root;
}

static char *
debugfs_output (const char *image, const char *request)
{
  g_autofree char *quoted_image = g_shell_quote (image);
  g_autofree char *quoted_request = g_shell_quote (request);
  g_autofree char *command = g_strdup_printf ("debugfs -R %s %s", quoted_request, quoted_image);
  g_autofree char *err = NULL;
  char *out = NULL;
  int status = -1;

  g_assert_true (g_spawn_command_line_sync (command, &out, &err, &status, NULL));
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  return out;
}

static guint64
file_size (const char *path)
{
  struct stat st;

  g_assert_cmpint (stat (path, &st), ==, 0);
  return (guint64) st.st_size;
}

static void
test_size_for (void)
{
  g_assert_cmpuint (vmgr_image_size_for (128 * MiB, 10 * MiB), ==, 128 * MiB);
  g_assert_cmpuint (vmgr_image_size_for (0, 10 * MiB), ==, VMGR_IMAGE_DEFAULT_SIZE);
  g_assert_cmpuint (vmgr_image_size_for (0, 1024 * MiB), ==, 2112 * MiB);
  g_assert_true (vmgr_image_is_image ("/state/guests/1/root.img"));
  g_assert_false (vmgr_image_is_image ("/state/guests/1/rootfs"));
}

static void
test_create_from_directory (void)
{
  g_autofree char *template = make_template ("tmpl-create");
  g_autofree char *image = scratch_path ("create.img");
  g_autofree char *passwd = NULL;
  g_autofree char *suid = NULL;
  g_autoptr(GError) error = NULL;
  guint64 used = 0, size = 0;
  struct stat st;

  g_assert_true (vmgr_image_create (image, template, 64 * MiB, NULL, &error));
  g_assert_no_error (error);
  /* Sparse, of the size asked, holding the tree. */
  g_assert_cmpuint (file_size (image), ==, 64 * MiB);
  g_assert_cmpint (stat (image, &st), ==, 0);
  g_assert_cmpuint ((guint64) st.st_blocks * 512, <, 32 * MiB);
  g_assert_cmpuint (st.st_mode & 0777, ==, 0600);
  g_assert_true (vmgr_image_usage (image, &used, &size, &error));
  g_assert_cmpuint (size, ==, 64 * MiB);
  g_assert_cmpuint (used, >, 0);
  g_assert_cmpuint (used, <, 16 * MiB);
  passwd = debugfs_output (image, "cat /etc/passwd");
  g_assert_cmpstr (passwd, ==, "root:x:0:0::/root:/bin/sh\n");
  /* Modes survive (setuid included), links stay links. */
  suid = debugfs_output (image, "stat /suid");
  g_assert_nonnull (strstr (suid, "Mode:  04755"));
  g_clear_pointer (&suid, g_free);
  suid = debugfs_output (image, "stat /etc/hostname");
  g_assert_nonnull (strstr (suid, "Type: symlink"));
  g_clear_pointer (&suid, g_free);
  suid = debugfs_output (image, "stat /etc/passwd");
  if (geteuid () == 0)
    g_assert_nonnull (strstr (suid, "User:  1000   Group:  1001"));
}

static void
test_create_fails_cleanly (void)
{
  g_autofree char *template = make_template ("tmpl-fail");
  g_autofree char *big = g_build_filename (template, "big", NULL);
  g_autofree char *image = scratch_path ("fail.img");
  g_autofree char *data = g_malloc0 (4 * MiB);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;

  /* A template larger than the image: an error, no image. (Not zeros:
   * mke2fs would keep them as holes.) */
  memset (data, 'v', 4 * MiB);
  for (int i = 0; i < 5; i++)
    {
      g_autofree char *name = g_strdup_printf ("%s-%d", big, i);

      g_assert_true (g_file_set_contents (name, data, 4 * MiB, NULL));
    }
  g_assert_false (vmgr_image_create (image, template, 8 * MiB, NULL, &error));
  g_assert_error (error, VMGR_ERROR, VMGR_ERROR_FAILED);
  g_assert_false (g_file_test (image, G_FILE_TEST_EXISTS));
  g_clear_error (&error);
  /* Cancelled: nothing either. */
  g_cancellable_cancel (cancellable);
  g_assert_false (vmgr_image_create (image, template, 64 * MiB, cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_false (g_file_test (image, G_FILE_TEST_EXISTS));
}

static void
test_write_files (void)
{
  g_autofree char *template = make_template ("tmpl-write");
  g_autofree char *image = scratch_path ("write.img");
  g_autofree char *hostname = NULL;
  g_autofree char *stat = NULL;
  g_autofree char *passwd = NULL;
  g_autofree char *fresh = NULL;
  g_autoptr(GError) error = NULL;
  const char *names[] = { "hostname", "other", NULL };
  const char *contents[] = { "ct1.example.org\n", "x=1\n", NULL };

  g_assert_true (vmgr_image_create (image, template, 64 * MiB, NULL, &error));
  g_assert_true (vmgr_image_write_files (image, "etc", names, contents, &error));
  g_assert_no_error (error);
  /* The planted link is gone, its target untouched. */
  hostname = debugfs_output (image, "cat /etc/hostname");
  g_assert_cmpstr (hostname, ==, "ct1.example.org\n");
  stat = debugfs_output (image, "stat /etc/hostname");
  g_assert_nonnull (strstr (stat, "Type: regular"));
  g_assert_nonnull (strstr (stat, "Mode:  0644"));
  passwd = debugfs_output (image, "cat /etc/passwd");
  g_assert_cmpstr (passwd, ==, "root:x:0:0::/root:/bin/sh\n");
  /* Written again: replaced. A missing directory is made. */
  contents[0] = "renamed\n";
  g_assert_true (vmgr_image_write_files (image, "etc", names, contents, &error));
  g_clear_pointer (&hostname, g_free);
  hostname = debugfs_output (image, "cat /etc/hostname");
  g_assert_cmpstr (hostname, ==, "renamed\n");
  g_assert_true (vmgr_image_write_files (image, "fresh", names, contents, &error));
  g_assert_no_error (error);
  fresh = debugfs_output (image, "cat /fresh/other");
  g_assert_cmpstr (fresh, ==, "x=1\n");
}

static void
test_write_files_refuses_link_dir (void)
{
  g_autofree char *template = make_template ("tmpl-linkdir");
  g_autofree char *link = g_build_filename (template, "linked", NULL);
  g_autofree char *image = scratch_path ("linkdir.img");
  g_autoptr(GError) error = NULL;
  const char *names[] = { "hostname", NULL };
  const char *contents[] = { "x\n", NULL };
  g_autofree char *stray = NULL;

  /* Its target is what debugfs shows of a link: not taken for its type. */
  g_assert_cmpint (symlink ("Type: directory", link), ==, 0);
  g_assert_true (vmgr_image_create (image, template, 64 * MiB, NULL, &error));
  g_assert_false (vmgr_image_write_files (image, "linked", names, contents, &error));
  g_assert_error (error, VMGR_ERROR, VMGR_ERROR_FAILED);
  /* Nothing written anywhere else either. */
  stray = debugfs_output (image, "stat /hostname");
  g_assert_null (strstr (stray, "Inode:"));
}

static void
test_resize (void)
{
  g_autofree char *template = make_template ("tmpl-resize");
  g_autofree char *image = scratch_path ("resize.img");
  g_autofree char *passwd = NULL;
  g_autoptr(GError) error = NULL;
  guint64 used = 0, size = 0;

  g_assert_true (vmgr_image_create (image, template, 64 * MiB, NULL, &error));
  g_assert_true (vmgr_image_resize (image, 96 * MiB, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (file_size (image), ==, 96 * MiB);
  g_assert_true (vmgr_image_usage (image, &used, &size, &error));
  g_assert_cmpuint (size, ==, 96 * MiB);
  /* Down again, above what it uses. */
  g_assert_true (vmgr_image_resize (image, 80 * MiB, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (file_size (image), ==, 80 * MiB);
  g_assert_true (vmgr_image_usage (image, &used, &size, &error));
  g_assert_cmpuint (size, ==, 80 * MiB);
  /* Below it: refused, nothing changed. */
  g_assert_false (vmgr_image_resize (image, 1 * MiB, &error));
  g_assert_nonnull (error);
  g_assert_cmpuint (file_size (image), ==, 80 * MiB);
  passwd = debugfs_output (image, "cat /etc/passwd");
  g_assert_cmpstr (passwd, ==, "root:x:0:0::/root:/bin/sh\n");
}

static void
on_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static void
test_provision_lxc_image (void)
{
  g_autofree char *template = make_template ("tmpl-provision");
  g_autofree char *state = scratch_path ("state");
  g_autofree char *guest_dir = vmgr_provision_guest_dir (state, 7);
  g_autoptr(VmgrGuestFiles) files = vmgr_provision_files ("lxc", template, guest_dir);
  g_autoptr(VmgrVmSpec) spec = vmgr_vm_spec_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *xml = NULL;
  g_autofree char *hostname = NULL;
  g_autofree char *network = NULL;
  g_autofree char *rootfs = g_build_filename (guest_dir, "rootfs", NULL);
  g_autoptr(VmgrGuestFiles) old_files = NULL;
  g_autofree char *expected_root = g_build_filename (guest_dir, "root.img", NULL);

  spec->id = 7;
  g_free (spec->name);
  spec->name = g_strdup ("ct7");
  g_free (spec->uuid);
  spec->uuid = g_strdup ("c7c7c7c7-0000-4000-8000-000000000007");
  spec->disk_hard_limit = 96 * MiB;
  spec->memory_limit = 128 * MiB;
  spec->vcpus = 1;
  g_assert_cmpstr (files->root, ==, expected_root);
  vmgr_provision_async ("lxc", template, guest_dir, spec, NULL, NULL, NULL, on_done, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (vmgr_provision_finish (result, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (file_size (files->root), ==, 96 * MiB);
  hostname = debugfs_output (files->root, "cat /etc/hostname");
  g_assert_cmpstr (hostname, ==, "ct7\n");
  network = debugfs_output (files->root, "cat /etc/vmgr-network");
  g_assert_nonnull (strstr (network, "ADDRESS="));
  /* Its definition mounts the image through a loop device. */
  xml = vmgr_provision_definition ("lxc", template, state, NULL, spec, &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (xml, "<filesystem type=\"file\" accessmode=\"passthrough\">"));
  g_assert_nonnull (strstr (xml, "<driver type=\"loop\" format=\"raw\"/>"));
  g_assert_nonnull (strstr (xml, files->root));
  /* A VM provisioned before images keeps its directory. */
  g_assert_cmpint (g_mkdir (rootfs, 0755), ==, 0);
  old_files = vmgr_provision_files ("lxc", template, guest_dir);
  g_assert_cmpstr (old_files->root, ==, rootfs);
  g_rmdir (rootfs);
}

/* ---- Snapshots on a test-driver domain with a root image ---------------- */

static virDomainPtr
define_domain (virConnectPtr conn, const char *image)
{
  g_autofree char *xml = g_strdup_printf (
    "<domain type='test'><name>img-ct</name><memory>65536</memory>"
    "<os><type>hvm</type></os><devices>"
    "<filesystem type='file' accessmode='passthrough'><driver type='loop' format='raw'/>"
    "<source file='%s'/><target dir='/'/></filesystem></devices></domain>", image);
  virDomainPtr domain = virDomainDefineXML (conn, xml);

  g_assert_nonnull (domain);
  return domain;
}

static void
test_snapshots_beside_image (void)
{
  g_autofree char *template = make_template ("tmpl-snap");
  g_autofree char *dir = scratch_path ("guest-snap");
  g_autofree char *image = g_build_filename (dir, "root.img", NULL);
  g_autofree char *snapshots_dir = g_build_filename (dir, "snapshots", NULL);
  g_autofree char *info = g_build_filename (snapshots_dir, "one.info", NULL);
  g_autofree char *content = NULL;
  virConnectPtr conn = virConnectOpen ("test:///default");
  virDomainPtr domain;
  g_autoptr(GPtrArray) list = NULL;
  g_autoptr(GKeyFile) keys = g_key_file_new ();
  g_autoptr(GError) error = NULL;
  const char *names[] = { "hostname", NULL };
  const char *contents[] = { "first\n", NULL };
  VmgrVmState state = VMGR_VM_STATE_UNKNOWN;
  VmgrBackendSnapshot *snapshot;
  g_autofree char *found_image = NULL;
  g_autofree char *description = NULL;

  g_assert_cmpint (g_mkdir (dir, 0700), ==, 0);
  g_assert_true (vmgr_image_create (image, template, 64 * MiB, NULL, &error));
  g_assert_true (vmgr_image_write_files (image, "etc", names, contents, &error));
  domain = define_domain (conn, image);
  found_image = vmgr_backend_domain_image (domain);
  g_assert_cmpstr (found_image, ==, image);

  g_assert_true (vmgr_lxc_snapshot (domain, VMGR_BACKEND_SNAPSHOT_CREATE, "one", "before",
                                    &list, &state, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 1);
  snapshot = g_ptr_array_index (list, 0);
  g_assert_cmpstr (snapshot->name, ==, "one");
  g_assert_cmpstr (snapshot->description, ==, "before");
  g_assert_cmpstr (snapshot->state, ==, "stopped");
  g_assert_cmpstr (snapshot->parent, ==, "");
  g_assert_cmpuint (snapshot->size, >, 0);
  g_assert_cmpint (snapshot->creation_time, >, 0);
  /* The metadata file beside the copy. */
  g_assert_true (g_key_file_load_from_file (keys, info, G_KEY_FILE_NONE, &error));
  description = g_key_file_get_string (keys, "snapshot", "description", NULL);
  g_assert_cmpstr (description, ==, "before");
  g_clear_pointer (&list, g_ptr_array_unref);
  g_assert_false (vmgr_lxc_snapshot (domain, VMGR_BACKEND_SNAPSHOT_CREATE, "one", "",
                                     &list, &state, NULL, &error));
  g_assert_error (error, VMGR_ERROR, VMGR_ERROR_ALREADY_EXISTS);
  g_clear_error (&error);

  /* A second one descends from the first. */
  contents[0] = "second\n";
  g_assert_true (vmgr_image_write_files (image, "etc", names, contents, &error));
  g_assert_true (vmgr_lxc_snapshot (domain, VMGR_BACKEND_SNAPSHOT_CREATE, "two", "", &list,
                                    &state, NULL, &error));
  g_assert_cmpuint (list->len, ==, 2);
  g_assert_cmpstr (((VmgrBackendSnapshot *) g_ptr_array_index (list, 1))->parent, ==, "one");
  g_clear_pointer (&list, g_ptr_array_unref);

  /* Revert: the first image back, the domain still stopped. */
  g_assert_true (vmgr_lxc_snapshot (domain, VMGR_BACKEND_SNAPSHOT_REVERT, "one", NULL, &list,
                                    &state, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (state, ==, VMGR_VM_STATE_STOPPED);
  content = debugfs_output (image, "cat /etc/hostname");
  g_assert_cmpstr (content, ==, "first\n");
  g_clear_pointer (&list, g_ptr_array_unref);

  /* Deleting the first gives the second its parent (none). */
  g_assert_true (vmgr_lxc_snapshot (domain, VMGR_BACKEND_SNAPSHOT_DELETE, "one", NULL, &list,
                                    &state, NULL, &error));
  g_assert_cmpuint (list->len, ==, 1);
  g_assert_cmpstr (((VmgrBackendSnapshot *) g_ptr_array_index (list, 0))->parent, ==, "");
  g_clear_pointer (&list, g_ptr_array_unref);
  g_assert_false (vmgr_lxc_snapshot (domain, VMGR_BACKEND_SNAPSHOT_REVERT, "one", NULL, &list,
                                     &state, NULL, &error));
  g_assert_error (error, VMGR_ERROR, VMGR_ERROR_NOT_FOUND);
  g_clear_error (&error);
  /* The last one gone: no snapshots directory. */
  g_assert_true (vmgr_lxc_snapshot (domain, VMGR_BACKEND_SNAPSHOT_DELETE, "two", NULL, &list,
                                    &state, NULL, &error));
  g_assert_cmpuint (list->len, ==, 0);
  g_assert_false (g_file_test (snapshots_dir, G_FILE_TEST_EXISTS));

  virDomainUndefine (domain);
  virDomainFree (domain);
  virConnectClose (conn);
}

int
main (int argc, char **argv)
{
  int status;
  g_autofree char *command = NULL;

  g_test_init (&argc, &argv, NULL);
  scratch = g_dir_make_tmp ("vmgr-image-XXXXXX", NULL);
  g_assert_nonnull (scratch);
  g_test_add_func ("/image/size-for", test_size_for);
  g_test_add_func ("/image/create-from-directory", test_create_from_directory);
  g_test_add_func ("/image/create-fails-cleanly", test_create_fails_cleanly);
  g_test_add_func ("/image/write-files", test_write_files);
  g_test_add_func ("/image/write-files-refuses-link-dir", test_write_files_refuses_link_dir);
  g_test_add_func ("/image/resize", test_resize);
  g_test_add_func ("/image/provision-lxc-image", test_provision_lxc_image);
  g_test_add_func ("/image/snapshots-beside-image", test_snapshots_beside_image);
  status = g_test_run ();
  command = g_strdup_printf ("rm -rf %s", scratch);
  g_spawn_command_line_sync (command, NULL, NULL, NULL, NULL);
  g_free (scratch);
  return status;
}
