/* Whether a template's source suits the backend, and its size
 * (backend/vmgr-template-check.c), on files made in a scratch directory. */
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "vmgr-error.h"
#include "vmgr-provision.h"
#include "vmgr-template-check.h"

static char *scratch;

static char *
make_path (const char *relative)
{
  return g_build_filename (scratch, relative, NULL);
}

static void
write_file (const char *relative, const char *contents, gsize length, int mode)
{
  g_autofree char *path = make_path (relative);
  g_autofree char *dir = g_path_get_dirname (path);
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  g_file_set_contents (path, contents, (gssize) length, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_chmod (path, mode), ==, 0);
}

static VmgrTemplateCheck *
check (const char *scheme, const char *relative_source)
{
  g_autoptr(VmgrTemplate) tmpl = vmgr_template_new ("t");
  g_autofree char *source = relative_source != NULL ? make_path (relative_source)
                                                    : g_strdup ("");

  g_free (tmpl->source);
  tmpl->source = g_strdup (source);
  return vmgr_template_check (scheme, tmpl);
}

static void
assert_unusable (VmgrTemplateCheck *result, const char *fragment)
{
  g_assert_false (result->usable);
  if (strstr (result->problem, fragment) == NULL)
    g_error ("'%s' does not say '%s'", result->problem, fragment);
}

static void
test_lxc (void)
{
  g_autoptr(VmgrTemplateCheck) good = NULL;
  g_autoptr(VmgrTemplateCheck) linked = NULL;
  g_autoptr(VmgrTemplateCheck) no_init = NULL;
  g_autoptr(VmgrTemplateCheck) not_executable = NULL;
  g_autoptr(VmgrTemplateCheck) file = NULL;
  g_autoptr(VmgrTemplateCheck) missing = NULL;
  g_autoptr(VmgrTemplateCheck) none = NULL;
  g_autofree char *link = make_path ("linked/sbin/init");

  write_file ("root/sbin/init", "#!/bin/sh\n", 10, 0755);
  write_file ("root/etc/hostname", "x\n", 2, 0644);
  good = check ("lxc", "root");
  g_assert_true (good->usable);
  g_assert_cmpstr (good->problem, ==, "");
  g_assert_cmpuint (good->size, ==, 12);
  /* busybox's links point at paths inside the container. */
  write_file ("linked/bin/busybox", "", 0, 0755);
  write_file ("linked/sbin/.keep", "", 0, 0644);
  g_assert_cmpint (symlink ("/bin/busybox", link), ==, 0);
  linked = check ("lxc", "linked");
  g_assert_true (linked->usable);
  write_file ("empty-root/etc/hostname", "x\n", 2, 0644);
  no_init = check ("lxc", "empty-root");
  assert_unusable (no_init, "sbin/init");
  write_file ("flat-root/sbin/init", "#!/bin/sh\n", 10, 0644);
  not_executable = check ("lxc", "flat-root");
  assert_unusable (not_executable, "not executable");
  write_file ("image.raw", "data", 4, 0644);
  file = check ("lxc", "image.raw");
  assert_unusable (file, "directory");
  missing = check ("lxc", "nowhere");
  assert_unusable (missing, "does not exist");
  none = check ("lxc", NULL);
  assert_unusable (none, "no source");
}

static void
test_qemu (void)
{
  g_autoptr(VmgrTemplateCheck) raw = NULL;
  g_autoptr(VmgrTemplateCheck) qcow2 = NULL;
  g_autoptr(VmgrTemplateCheck) fake_qcow2 = NULL;
  g_autoptr(VmgrTemplateCheck) empty = NULL;
  g_autoptr(VmgrTemplateCheck) kernel = NULL;
  g_autoptr(VmgrTemplateCheck) directory = NULL;

  write_file ("disk.raw", "bootsector", 10, 0644);
  raw = check ("qemu", "disk.raw");
  g_assert_true (raw->usable);
  g_assert_cmpuint (raw->size, ==, 10);
  write_file ("disk.qcow2", "QFI\xfb\0\0\0\3", 8, 0644);
  qcow2 = check ("qemu", "disk.qcow2");
  g_assert_true (qcow2->usable);
  write_file ("fake.qcow2", "not an image", 12, 0644);
  fake_qcow2 = check ("qemu", "fake.qcow2");
  assert_unusable (fake_qcow2, "no qcow2 image");
  write_file ("empty.raw", "", 0, 0644);
  empty = check ("qemu", "empty.raw");
  assert_unusable (empty, "empty");
  write_file ("boot/vmlinuz", "kernel", 6, 0644);
  write_file ("boot/initramfs.cpio.gz", "initrd", 6, 0644);
  kernel = check ("qemu", "boot");
  g_assert_true (kernel->usable);
  g_assert_cmpuint (kernel->size, ==, 12);
  write_file ("rootfs/sbin/init", "#!/bin/sh\n", 10, 0755);
  directory = check ("qemu", "rootfs");
  assert_unusable (directory, "vmlinuz");
}

/* The test driver provisions nothing: any source, or none. */
static void
test_test_driver (void)
{
  g_autoptr(VmgrTemplateCheck) none = check ("test", NULL);
  g_autoptr(VmgrTemplateCheck) any = NULL;
  g_autoptr(VmgrTemplateCheck) missing = check ("test", "nowhere");

  write_file ("anything", "x", 1, 0644);
  any = check ("test", "anything");
  g_assert_true (none->usable);
  g_assert_cmpuint (none->size, ==, 0);
  g_assert_true (any->usable);
  g_assert_cmpuint (any->size, ==, 1);
  assert_unusable (missing, "does not exist");
}

static void
on_checked (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GPtrArray **checks = user_data;
  g_autoptr(GError) error = NULL;

  *checks = vmgr_template_check_finish (result, &error);
  g_assert_no_error (error);
}

static void
test_async (void)
{
  g_autoptr(GPtrArray) templates = g_ptr_array_new_with_free_func ((GDestroyNotify) vmgr_template_free);
  g_autoptr(GPtrArray) checks = NULL;
  VmgrTemplateCheck *first, *second;

  g_ptr_array_add (templates, vmgr_template_new ("a"));
  g_ptr_array_add (templates, vmgr_template_new ("b"));
  vmgr_template_check_async ("lxc", templates, NULL, on_checked, &checks);
  while (checks == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (checks->len, ==, 2);
  first = g_ptr_array_index (checks, 0);
  second = g_ptr_array_index (checks, 1);
  g_assert_cmpstr (first->name, ==, "a");
  g_assert_cmpstr (second->name, ==, "b");
  g_assert_false (first->usable);
}

static void
on_result (GObject *source, GAsyncResult *result, gpointer user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

/* What a guest's root filesystem holds, for a shrinking disk limit. */
static void
test_measure_async (void)
{
  g_autofree char *tree = make_path ("measured");
  g_autofree char *file = make_path ("measured/etc/passwd");
  g_autoptr(GError) error = NULL;
  guint64 bytes = 0;
  GAsyncResult *result = NULL;

  write_file ("measured/etc/passwd", "root:x:0:0::/:/", 15, 0644);
  vmgr_provision_measure_async (tree, NULL, on_result, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (vmgr_provision_measure_finish (result, &bytes, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (bytes, ==, 15);
  g_clear_object (&result);
  vmgr_provision_measure_async (file, NULL, on_result, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_false (vmgr_provision_measure_finish (result, &bytes, &error));
  g_assert_error (error, VMGR_ERROR, VMGR_ERROR_NOT_FOUND);
  g_clear_object (&result);
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);
  scratch = g_dir_make_tmp ("vmgr-template-check-XXXXXX", &error);
  g_assert_no_error (error);
  g_test_add_func ("/template-check/lxc", test_lxc);
  g_test_add_func ("/template-check/qemu", test_qemu);
  g_test_add_func ("/template-check/test-driver", test_test_driver);
  g_test_add_func ("/template-check/async", test_async);
  g_test_add_func ("/template-check/measure-async", test_measure_async);
  status = g_test_run ();
  {
    g_autofree char *command = g_strdup_printf ("rm -rf '%s'", scratch);

    g_assert_true (g_spawn_command_line_sync (command, NULL, NULL, NULL, NULL));
  }
  g_free (scratch);
  return status;
}
