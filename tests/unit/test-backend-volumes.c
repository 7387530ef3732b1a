/* vmgr-backend-volumes.h without a real host: the volume names and where
 * a VM's files are on a host's pool, which templates fit which driver,
 * and against libvirt's test driver (a node file with a dir pool) the
 * pool's directory read at connection, volumes created and deleted, and
 * an upload the driver refuses leaving nothing behind. The real streams
 * are tested in tests/real/test-real-host-volumes.c. */
#include <glib/gstdio.h>
#include <libvirt/libvirt.h>
#include <string.h>
#include <sys/stat.h>

#include "vmgr-backend-private.h"   /* vmgr_backend_ref_connection () */
#include "vmgr-backend-volumes.h"
#include "vmgr-error.h"
#include "vmgr-template-check.h"

#define TIMEOUT_S 10

static const char node_xml[] =
  "<node>\n"
  "  <pool type='dir'><name>images</name><uuid>35bb2ad9-388a-cdfe-461a-b8907f6e5c02</uuid>"
  "<capacity>10000000000</capacity><allocation>0</allocation><available>10000000000</available>"
  "<target><path>/pool-dir</path></target></pool>\n"
  "</node>\n";

typedef struct {
  char *dir;
  char *node_path;
  VmgrBackend *backend;
} Fixture;

static gboolean
on_timeout (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

static void
wait_until (gboolean (*done) (gpointer), gpointer data)
{
  gboolean timed_out = FALSE;
  guint id = g_timeout_add_seconds (TIMEOUT_S, on_timeout, &timed_out);

  while (!done (data) && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  g_assert_false (timed_out);
  g_source_remove (id);
}

static gboolean
is_connected (gpointer backend)
{
  return vmgr_backend_is_connected (backend);
}

static VmgrBackend *
connect_with_pool (Fixture *fx, const char *pool)
{
  g_autofree char *uri = g_strconcat ("test://", fx->node_path, NULL);
  VmgrBackend *backend = vmgr_backend_new_with_pool (uri, pool);

  wait_until (is_connected, backend);
  return backend;
}

static void
fixture_set_up (Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  fx->dir = g_dir_make_tmp ("vmgr-volumes-XXXXXX", &error);
  g_assert_no_error (error);
  fx->node_path = g_build_filename (fx->dir, "node.xml", NULL);
  g_file_set_contents (fx->node_path, node_xml, -1, &error);
  g_assert_no_error (error);
  fx->backend = connect_with_pool (fx, "images");
}

static void
fixture_tear_down (Fixture *fx, gconstpointer data)
{
  g_clear_object (&fx->backend);
  g_unlink (fx->node_path);
  g_rmdir (fx->dir);
  g_free (fx->node_path);
  g_free (fx->dir);
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

static void
on_done (GObject *object, GAsyncResult *result, gpointer data)
{
  *(GAsyncResult **) data = g_object_ref (result);
}

static gboolean
result_arrived (gpointer slot)
{
  return *(GAsyncResult **) slot != NULL;
}

static GAsyncResult *
wait_result (GAsyncResult **slot)
{
  wait_until (result_arrived, slot);
  return *slot;
}

static char *
write_file (const char *dir, const char *name, gsize size)
{
  char *path = g_build_filename (dir, name, NULL);
  g_autofree char *data = g_malloc0 (size);
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, data, (gssize) size, &error);
  g_assert_no_error (error);
  return path;
}

static char *
stamp_of (const char *path)
{
  struct stat st;

  g_assert_cmpint (stat (path, &st), ==, 0);
  return g_strdup_printf ("%" G_GINT64_MODIFIER "x-%" G_GINT64_MODIFIER "x",
                          (gint64) st.st_size, (gint64) st.st_mtime);
}

static void
test_names (Fixture *fx, gconstpointer data)
{
  g_autofree char *image = write_file (fx->dir, "debian 12.qcow2", 300);
  g_autofree char *kernel_dir = g_build_filename (fx->dir, "tiny", NULL);
  g_autofree char *kernel = NULL;
  g_autofree char *stamp = stamp_of (image);
  g_autofree char *expected = g_strdup_printf ("vmgr-template-debian_12-%s.qcow2", stamp);
  g_autofree char *name = vmgr_volume_template_name (image, NULL);
  g_autofree char *disk = vmgr_volume_disk_name (101);
  g_autofree char *root = vmgr_volume_root_name (102);

  g_assert_cmpstr (name, ==, expected);
  g_assert_cmpstr (disk, ==, "vmgr-101.qcow2");
  g_assert_cmpstr (root, ==, "vmgr-102-root.img");
  g_assert_cmpint (g_mkdir (kernel_dir, 0755), ==, 0);
  kernel = write_file (kernel_dir, VMGR_TEMPLATE_KERNEL_NAME, 10);
  g_clear_pointer (&name, g_free);
  g_clear_pointer (&stamp, g_free);
  g_clear_pointer (&expected, g_free);
  name = vmgr_volume_template_name (kernel_dir, VMGR_TEMPLATE_KERNEL_NAME);
  stamp = stamp_of (kernel);
  expected = g_strdup_printf ("vmgr-template-tiny-%s-vmlinuz", stamp);
  g_assert_cmpstr (name, ==, expected);
  /* a changed file gets a new name: the old volume stays for its disks */
  {
    g_autofree char *before = vmgr_volume_template_name (image, NULL);
    g_autofree char *bigger = write_file (fx->dir, "debian 12.qcow2", 301);
    g_autofree char *after = vmgr_volume_template_name (bigger, NULL);

    g_assert_cmpstr (before, !=, after);
    g_assert_true (g_str_has_prefix (after, "vmgr-template-debian_12-12d-"));
  }
  g_unlink (kernel);
  g_rmdir (kernel_dir);
  g_unlink (image);
}

static void
test_guest_files (Fixture *fx, gconstpointer data)
{
  g_autofree char *kernel_dir = g_build_filename (fx->dir, "tiny", NULL);
  g_autofree char *kernel = NULL;
  g_autofree char *initrd = NULL;
  g_autofree char *image = write_file (fx->dir, "disk.qcow2", 4);
  g_autoptr(VmgrGuestFiles) qemu_kernel = NULL;
  g_autoptr(VmgrGuestFiles) qemu_image = NULL;
  g_autoptr(VmgrGuestFiles) lxc = NULL;
  g_autoptr(VmgrGuestFiles) test = NULL;
  g_autoptr(VmgrGuestFiles) none = NULL;
  g_autofree char *kernel_name = NULL;

  g_assert_cmpint (g_mkdir (kernel_dir, 0755), ==, 0);
  kernel = write_file (kernel_dir, VMGR_TEMPLATE_KERNEL_NAME, 10);
  initrd = write_file (kernel_dir, VMGR_TEMPLATE_INITRD_NAME, 10);
  kernel_name = vmgr_volume_template_name (kernel_dir, VMGR_TEMPLATE_KERNEL_NAME);

  qemu_kernel = vmgr_volume_guest_files ("qemu", kernel_dir, "/pool", 7);
  g_assert_cmpstr (qemu_kernel->disk, ==, "/pool/vmgr-7.qcow2");
  g_assert_cmpstr (qemu_kernel->root, ==, "");
  g_assert_true (g_str_has_prefix (qemu_kernel->kernel, "/pool/vmgr-template-tiny-"));
  g_assert_true (g_str_has_suffix (qemu_kernel->kernel, kernel_name));
  g_assert_true (g_str_has_suffix (qemu_kernel->initrd, "-" VMGR_TEMPLATE_INITRD_NAME));

  qemu_image = vmgr_volume_guest_files ("qemu", image, "/pool", 8);
  g_assert_cmpstr (qemu_image->disk, ==, "/pool/vmgr-8.qcow2");
  g_assert_cmpstr (qemu_image->kernel, ==, "");
  g_assert_cmpstr (qemu_image->initrd, ==, "");

  lxc = vmgr_volume_guest_files ("lxc", kernel_dir, "/var/lib/libvirt/images", 9);
  g_assert_cmpstr (lxc->root, ==, "/var/lib/libvirt/images/vmgr-9-root.img");
  g_assert_cmpstr (lxc->disk, ==, "");

  test = vmgr_volume_guest_files ("test", image, "/pool", 10);
  g_assert_cmpstr (test->disk, ==, "");
  g_assert_cmpstr (test->root, ==, "");
  none = vmgr_volume_guest_files ("qemu", "", "/pool", 11);
  g_assert_cmpstr (none->disk, ==, "");
  g_assert_cmpstr (none->kernel, ==, "");

  g_unlink (kernel);
  g_unlink (initrd);
  g_rmdir (kernel_dir);
  g_unlink (image);
}

static void
test_template_fits (Fixture *fx, gconstpointer data)
{
  g_autofree char *rootfs = g_build_filename (fx->dir, "rootfs", NULL);
  g_autofree char *sbin = g_build_filename (rootfs, "sbin", NULL);
  g_autofree char *init = NULL;
  g_autofree char *image = write_file (fx->dir, "disk.img", 4);
  g_autofree char *problem = NULL;

  g_assert_cmpint (g_mkdir_with_parents (sbin, 0755), ==, 0);
  init = write_file (sbin, "init", 1);
  g_assert_cmpint (g_chmod (init, 0755), ==, 0);
  g_assert_true (vmgr_template_fits ("lxc", rootfs, NULL));
  g_assert_false (vmgr_template_fits ("qemu", rootfs, &problem));
  g_assert_nonnull (strstr (problem, "qemu template"));
  g_clear_pointer (&problem, g_free);
  g_assert_true (vmgr_template_fits ("qemu", image, NULL));
  g_assert_false (vmgr_template_fits ("lxc", image, &problem));
  g_assert_nonnull (strstr (problem, "lxc template"));
  g_assert_true (vmgr_template_fits ("test", image, NULL));
  g_assert_true (vmgr_template_fits ("lxc", "", NULL));
  g_assert_true (vmgr_template_fits ("qemu", "", NULL));
  g_unlink (init);
  g_rmdir (sbin);
  g_rmdir (rootfs);
  g_unlink (image);
}

static void
test_pool_dir (Fixture *fx, gconstpointer data)
{
  g_autoptr(VmgrBackend) missing = connect_with_pool (fx, "nowhere");
  g_autoptr(VmgrBackend) local = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_cmpstr (vmgr_backend_get_pool (fx->backend), ==, "images");
  g_assert_cmpstr (vmgr_backend_get_pool_dir (fx->backend), ==, "/pool-dir");
  g_assert_cmpstr (vmgr_backend_get_pool (missing), ==, "nowhere");
  g_assert_null (vmgr_backend_get_pool_dir (missing));
  local = vmgr_backend_new ("test:///default", &error);
  g_assert_no_error (error);
  g_assert_null (vmgr_backend_get_pool (local));
  g_assert_null (vmgr_backend_get_pool_dir (local));
}

static gboolean
volume_exists (VmgrBackend *backend, const char *name)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VmgrVirConnect) conn = vmgr_backend_ref_connection (backend, &error);
  virStoragePoolPtr pool = virStoragePoolLookupByName (conn, "images");
  virStorageVolPtr vol;
  gboolean exists;

  g_assert_nonnull (pool);
  vol = virStorageVolLookupByName (pool, name);
  exists = vol != NULL;
  if (vol != NULL)
    virStorageVolFree (vol);
  virResetLastError ();
  virStoragePoolFree (pool);
  return exists;
}

static void
test_create_delete (Fixture *fx, gconstpointer data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  g_autofree char *backed = NULL;

  vmgr_backend_volume_create_async (fx->backend, "vmgr-template-t-1-2.qcow2", "raw", 1 << 20,
                                    NULL, NULL, on_done, &result);
  path = vmgr_backend_volume_create_finish (fx->backend, wait_result (&result), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (path, ==, "/pool-dir/vmgr-template-t-1-2.qcow2");
  g_clear_object (&result);
  vmgr_backend_volume_create_async (fx->backend, "vmgr-5.qcow2", "qcow2", 1 << 30, path, NULL,
                                    on_done, &result);
  backed = vmgr_backend_volume_create_finish (fx->backend, wait_result (&result), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (backed, ==, "/pool-dir/vmgr-5.qcow2");
  g_assert_true (volume_exists (fx->backend, "vmgr-5.qcow2"));
  g_clear_object (&result);

  {
    const char *paths[] = { backed, "", "/pool-dir/never-made", NULL };

    vmgr_backend_volume_delete_async (fx->backend, paths, NULL, on_done, &result);
    g_assert_true (vmgr_backend_volume_delete_finish (fx->backend, wait_result (&result),
                                                      &error));
    g_assert_no_error (error);
    g_assert_false (volume_exists (fx->backend, "vmgr-5.qcow2"));
    g_assert_true (volume_exists (fx->backend, "vmgr-template-t-1-2.qcow2"));
    g_clear_object (&result);
    /* again: what is not there is no error */
    vmgr_backend_volume_delete_async (fx->backend, paths, NULL, on_done, &result);
    g_assert_true (vmgr_backend_volume_delete_finish (fx->backend, wait_result (&result),
                                                      &error));
    g_clear_object (&result);
  }
}

static void
test_no_pool (Fixture *fx, gconstpointer data)
{
  g_autoptr(VmgrBackend) missing = connect_with_pool (fx, "nowhere");
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;

  vmgr_backend_volume_create_async (missing, "vmgr-5.qcow2", "qcow2", 1 << 20, NULL, NULL,
                                    on_done, &result);
  path = vmgr_backend_volume_create_finish (missing, wait_result (&result), &error);
  g_assert_null (path);
  g_assert_error (error, VMGR_ERROR, VMGR_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "'nowhere'"));
  g_assert_nonnull (strstr (error->message, fx->node_path));
}

/* The test driver streams no volumes: the upload fails and the volume it
 * made is deleted again; a file that is not there is an error first. */
static void
test_upload_refused (Fixture *fx, gconstpointer data)
{
  g_autofree char *file = write_file (fx->dir, "kernel", 4096);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;

  vmgr_backend_volume_upload_async (fx->backend, file, "vmgr-template-x-1-1", NULL, NULL, NULL,
                                    NULL, on_done, &result);
  path = vmgr_backend_volume_upload_finish (fx->backend, wait_result (&result), &error);
  g_assert_null (path);
  g_assert_nonnull (error);
  g_test_message ("upload on the test driver: %s", error->message);
  g_assert_false (volume_exists (fx->backend, "vmgr-template-x-1-1"));
  g_clear_error (&error);
  g_clear_object (&result);
  vmgr_backend_volume_upload_async (fx->backend, "/nonexistent/file", "vmgr-y", NULL, NULL, NULL,
                                    NULL, on_done, &result);
  path = vmgr_backend_volume_upload_finish (fx->backend, wait_result (&result), &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_false (volume_exists (fx->backend, "vmgr-y"));
  g_unlink (file);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, fn) g_test_add (path, Fixture, NULL, fixture_set_up, fn, fixture_tear_down)
  ADD ("/backend-volumes/names", test_names);
  ADD ("/backend-volumes/guest-files", test_guest_files);
  ADD ("/backend-volumes/template-fits", test_template_fits);
  ADD ("/backend-volumes/pool-dir", test_pool_dir);
  ADD ("/backend-volumes/create-delete", test_create_delete);
  ADD ("/backend-volumes/no-pool", test_no_pool);
  ADD ("/backend-volumes/upload-refused", test_upload_refused);
#undef ADD
  return g_test_run ();
}
