/* Risky changes are not silent (issue 11): a VM that is up is not deleted
 * (vmgrctl delete --force stops it first), memory a running guest only
 * gets at its next start shows in PendingChanges and in vmgrctl's words. */
#include <glib/gstdio.h>
#include <string.h>

#include "vmgr-test-client.h"
#include "vmgr-test-env.h"

#define MiB (G_GUINT64_CONSTANT (1) << 20)
#define WAIT_MS 10000

static VmgrTestDaemon *daemon_under_test;

static gboolean
vm_exists (VmgrTestClient *client, const char *name)
{
  g_autofree char *path = NULL;
  g_autoptr(GError) error = NULL;

  return vmgr_dbus_manager_call_find_vm_sync (client->manager, name, &path, NULL, &error);
}

static GVariant *
get_pending (VmgrTestClient *client, VmgrDBusVM *vm)
{
  GVariant *pending = vmgr_test_read_vm_property (
    client, g_dbus_proxy_get_object_path (G_DBUS_PROXY (vm)), "PendingChanges");

  g_assert_true (g_variant_is_of_type (pending, G_VARIANT_TYPE_VARDICT));
  return pending;
}

static void
test_delete_running_refused (void)
{
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  g_autoptr(VmgrDBusVM) vm = vmgr_test_create_and_open (client, "busy", NULL);
  g_autoptr(GError) error = NULL;

  vmgr_test_start_and_wait (vm);
  vmgr_dbus_vm_call_delete_sync (vm, NULL, &error);
  vmgr_test_assert_dbus_error (error, "org.vmgr.Error.InvalidState", "stop it first");
  g_clear_error (&error);
  g_assert_true (vm_exists (client, "busy"));
  g_assert_cmpstr (vmgr_dbus_vm_get_state (vm), ==, "running");

  vmgr_dbus_vm_call_suspend_sync (vm, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (vmgr_test_wait_state (vm, "paused", WAIT_MS));
  vmgr_dbus_vm_call_delete_sync (vm, NULL, &error);
  vmgr_test_assert_dbus_error (error, "org.vmgr.Error.InvalidState", "paused");
  g_clear_error (&error);

  vmgr_dbus_vm_call_stop_sync (vm, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (vmgr_test_wait_state (vm, "stopped", WAIT_MS));
  vmgr_dbus_vm_call_delete_sync (vm, NULL, &error);
  g_assert_no_error (error);
  g_assert_false (vm_exists (client, "busy"));
}

/* Autostart only matters when the host starts: a stopped autostart VM is
 * deleted like any stopped VM. */
static void
test_delete_stopped_autostart (void)
{
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  GVariantDict options;
  g_autoptr(VmgrDBusVM) vm = NULL;
  g_autoptr(GError) error = NULL;

  g_variant_dict_init (&options, NULL);
  g_variant_dict_insert (&options, "autostart", "b", TRUE);
  vm = vmgr_test_create_and_open (client, "booting", g_variant_dict_end (&options));
  g_assert_true (vmgr_dbus_vm_get_autostart (vm));
  vmgr_dbus_vm_call_delete_sync (vm, NULL, &error);
  g_assert_no_error (error);
  g_assert_false (vm_exists (client, "booting"));
}

static void
test_vmgrctl_delete_force (void)
{
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  g_autoptr(VmgrDBusVM) vm = vmgr_test_create_and_open (client, "forced", NULL);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int status;

  vmgr_test_start_and_wait (vm);
  status = vmgr_test_run_vmgrctl_as (VMGR_TEST_UID_ROOT, &out, &err, "delete", "forced", NULL);
  g_assert_cmpint (status, !=, 0);
  g_assert_nonnull (strstr (err, "stop it first"));
  g_assert_true (vm_exists (client, "forced"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  status = vmgr_test_run_vmgrctl_as (VMGR_TEST_UID_ROOT, &out, &err, "delete", "forced",
                                     "--force", NULL);
  g_assert_cmpint (status, ==, 0);
  g_assert_false (vm_exists (client, "forced"));
}

/* The test driver, like QEMU, cannot grow a running guest's memory above
 * the size it started with. */
static void
test_pending_memory (void)
{
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  GVariantDict options;
  g_autoptr(VmgrDBusVM) vm = NULL;
  g_autoptr(GVariant) pending = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  guint64 memory = 0;

  g_variant_dict_init (&options, NULL);
  g_variant_dict_insert (&options, "memory_limit", "t", 128 * MiB);
  vm = vmgr_test_create_and_open (client, "growing", g_variant_dict_end (&options));
  /* Stopped: the next start applies anything, nothing is pending. */
  vmgr_dbus_vm_call_set_memory_sync (vm, 0, 0, 160 * MiB, NULL, &error);
  g_assert_no_error (error);
  pending = get_pending (client, vm);
  g_assert_cmpuint (g_variant_n_children (pending), ==, 0);
  g_clear_pointer (&pending, g_variant_unref);

  vmgr_test_start_and_wait (vm);
  vmgr_dbus_vm_call_set_memory_sync (vm, 0, 0, 256 * MiB, NULL, &error);
  g_assert_no_error (error);
  pending = get_pending (client, vm);
  g_assert_true (g_variant_lookup (pending, "memory_limit", "t", &memory));
  g_assert_cmpuint (memory, ==, 256 * MiB);
  g_clear_pointer (&pending, g_variant_unref);

  /* Back within what it started with: applied live, no longer pending. */
  vmgr_dbus_vm_call_set_memory_sync (vm, 0, 0, 128 * MiB, NULL, &error);
  g_assert_no_error (error);
  pending = get_pending (client, vm);
  g_assert_false (g_variant_lookup (pending, "memory_limit", "t", &memory));
  g_clear_pointer (&pending, g_variant_unref);

  /* vmgrctl says so, and show shows it. */
  g_assert_cmpint (vmgr_test_run_vmgrctl_as (VMGR_TEST_UID_ROOT, &out, &err, "set-memory",
                                             "growing", "--limit", "512M", NULL), ==, 0);
  g_assert_nonnull (strstr (out, "takes effect at next start"));
  g_assert_nonnull (strstr (out, "512"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (vmgr_test_run_vmgrctl_as (VMGR_TEST_UID_ROOT, &out, &err, "show", "growing",
                                             NULL), ==, 0);
  g_assert_nonnull (strstr (out, "Pending"));
  g_assert_nonnull (strstr (out, "takes effect at next start"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  /* Stopped: the next start applies it; nothing pending any more. */
  vmgr_dbus_vm_call_stop_sync (vm, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (vmgr_test_wait_state (vm, "stopped", WAIT_MS));
  pending = get_pending (client, vm);
  g_assert_cmpuint (g_variant_n_children (pending), ==, 0);
  g_assert_cmpuint (vmgr_dbus_vm_get_memory_limit (vm), ==, 512 * MiB);
}

static GVariant *
template_props (VmgrTestClient *client, const char *name)
{
  g_autoptr(GVariant) list = NULL;
  g_autoptr(GError) error = NULL;
  GVariantIter iter;
  const char *entry;
  GVariant *props;

  vmgr_dbus_manager_call_list_templates_sync (client->manager, &list, NULL, &error);
  g_assert_no_error (error);
  g_variant_iter_init (&iter, list);
  while (g_variant_iter_next (&iter, "(&s@a{sv})", &entry, &props))
    {
      if (g_str_equal (entry, name))
        return props;
      g_variant_unref (props);
    }
  return NULL;
}

/* The test driver provisions nothing: any existing source is usable, and
 * the listing says so with its size (lxc and qemu: test-template-check). */
static void
test_templates (void)
{
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("vmgr-safety-XXXXXX", &error);
  g_autofree char *image = g_build_filename (dir, "image.raw", NULL);
  g_autofree char *missing = g_build_filename (dir, "missing.raw", NULL);
  g_autoptr(GVariant) seeded = NULL;
  g_autoptr(GVariant) added = NULL;
  g_autoptr(GVariant) refused = NULL;
  const char *backend = NULL, *reason = NULL;
  gboolean usable = FALSE;
  guint64 size = 0;

  g_assert_no_error (error);
  g_file_set_contents (image, "0123456789", 10, &error);
  g_assert_no_error (error);
  seeded = template_props (client, "debian-12");
  g_assert_true (g_variant_lookup (seeded, "backend", "&s", &backend));
  g_assert_cmpstr (backend, ==, "test");
  g_assert_true (g_variant_lookup (seeded, "usable", "b", &usable));
  g_assert_true (usable);
  g_assert_true (g_variant_lookup (seeded, "unusable_reason", "&s", &reason));
  g_assert_cmpstr (reason, ==, "");

  vmgr_dbus_manager_call_add_template_sync (
    client->manager, "on-disk", g_variant_new_parsed ("{'source': <%s>}", image), NULL, &error);
  g_assert_no_error (error);
  added = template_props (client, "on-disk");
  g_assert_true (g_variant_lookup (added, "size", "t", &size));
  g_assert_cmpuint (size, ==, 10);

  vmgr_dbus_manager_call_add_template_sync (
    client->manager, "nowhere", g_variant_new_parsed ("{'source': <%s>}", missing), NULL,
    &error);
  vmgr_test_assert_dbus_error (error, "org.vmgr.Error.InvalidArgument", "does not exist");
  refused = template_props (client, "nowhere");
  g_assert_null (refused);
  g_assert_cmpint (g_unlink (image), ==, 0);
  g_assert_cmpint (g_rmdir (dir), ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/safety/delete/running-refused", test_delete_running_refused);
  g_test_add_func ("/safety/delete/stopped-autostart", test_delete_stopped_autostart);
  g_test_add_func ("/safety/delete/vmgrctl-force", test_vmgrctl_delete_force);
  g_test_add_func ("/safety/pending-memory", test_pending_memory);
  g_test_add_func ("/safety/templates", test_templates);

  return vmgr_test_run_with_daemon ("[resources]\nmemory_overcommit=1000\n", NULL,
                                    &daemon_under_test);
}
