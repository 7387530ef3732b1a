/* The storage pool of an added host (issue 14, vmgr-backend-volumes.h):
 * AddHost's option pool (default "default"; a bad name or type refused
 * with InvalidArgument and nothing added), the Host property Pool ("" for
 * the configured host), kept across a restart of vmgrd, and vmgrctl
 * host-add --pool and hosts. */
#include <string.h>

#include "vmgr-test-client.h"
#include "vmgr-test-env.h"

#define WAIT_MS 10000
#define UNREACHABLE_URI "qemu+tcp://127.0.0.1:1/system"

static VmgrTestDaemon *daemon_under_test;

static const char node_xml[] =
  "<node><cpu><mhz>2000</mhz><model>i686</model><active>4</active><nodes>1</nodes>"
  "<sockets>1</sockets><cores>4</cores><threads>1</threads></cpu>"
  "<memory>67108864</memory></node>\n";

static char *
add_host (VmgrTestClient *client, const char *name, const char *uri, GVariant *options,
          GError **error)
{
  char *path = NULL;

  if (options == NULL)
    options = g_variant_new ("a{sv}", NULL);
  vmgr_dbus_manager_call_add_host_sync (client->manager, name, uri, options, &path, NULL, error);
  return path;
}

static char *
host_pool (VmgrTestClient *client, const char *name)
{
  return vmgr_test_host_string (client, name, "Pool");
}

static guint
count_hosts (VmgrTestClient *client)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = vmgr_test_call (client, "/org/vmgr",
                                              "org.freedesktop.DBus.ObjectManager",
                                              "GetManagedObjects", NULL, &error);
  g_autoptr(GVariant) objects = NULL;
  GVariantIter iter;
  const char *path;
  guint count = 0;

  g_assert_no_error (error);
  objects = g_variant_get_child_value (reply, 0);
  g_variant_iter_init (&iter, objects);
  while (g_variant_iter_loop (&iter, "{&o@a{sa{sv}}}", &path, NULL))
    count += g_str_has_prefix (path, "/org/vmgr/host/");
  return count;
}

static void
test_bad_pool (void)
{
  static const char * const bad[] = { "", "-x", ".hidden", "a b", "a/b", "a'b", "p\xc3\xa4",
                                      NULL };
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  g_autofree char *long_name = g_strnfill (64, 'p');

  for (guint i = 0; bad[i] != NULL; i++)
    {
      path = add_host (client, "far", UNREACHABLE_URI,
                       g_variant_new_parsed ("{'pool': <%s>}", bad[i]), &error);
      g_assert_null (path);
      vmgr_test_assert_dbus_error (error, "org.vmgr.Error.InvalidArgument", "storage pool");
      g_clear_error (&error);
    }
  path = add_host (client, "far", UNREACHABLE_URI,
                   g_variant_new_parsed ("{'pool': <%s>}", long_name), &error);
  vmgr_test_assert_dbus_error (error, "org.vmgr.Error.InvalidArgument", "storage pool");
  g_clear_error (&error);
  path = add_host (client, "far", UNREACHABLE_URI, g_variant_new_parsed ("{'pool': <7>}"),
                   &error);
  vmgr_test_assert_dbus_error (error, "org.vmgr.Error.InvalidArgument", "pool");
  g_clear_error (&error);
  path = add_host (client, "far", UNREACHABLE_URI,
                   g_variant_new_parsed ("{'pool': <'images'>, 'other': <1>}"), &error);
  vmgr_test_assert_dbus_error (error, "org.vmgr.Error.InvalidArgument", "other");
  g_clear_error (&error);
  g_assert_cmpuint (count_hosts (client), ==, 1);
}

/* The pool given, the default, the configured host's "", all kept across
 * a restart. */
static void
test_pool_property (void)
{
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *node = g_build_filename (vmgr_test_daemon_get_state_dir (daemon_under_test),
                                            "pooled-node.xml", NULL);
  g_autofree char *uri = g_strconcat ("test://", node, NULL);
  g_autofree char *pooled = NULL;
  g_autofree char *plain = NULL;
  g_autofree char *pool = NULL;

  g_assert_true (g_file_set_contents (node, node_xml, -1, NULL));
  pooled = add_host (client, "pooled", uri, g_variant_new_parsed ("{'pool': <'images.1'>}"),
                     &error);
  g_assert_no_error (error);
  plain = add_host (client, "plain", UNREACHABLE_URI, NULL, &error);
  g_assert_no_error (error);
  pool = host_pool (client, "pooled");
  g_assert_cmpstr (pool, ==, "images.1");
  g_clear_pointer (&pool, g_free);
  pool = host_pool (client, "plain");
  g_assert_cmpstr (pool, ==, "default");
  g_clear_pointer (&pool, g_free);
  pool = host_pool (client, "local");
  g_assert_cmpstr (pool, ==, "");
  g_clear_pointer (&pool, g_free);

  /* A VM without files goes on a test-driver host with or without its pool. */
  g_assert_true (vmgr_test_wait_host_connected (client, "pooled", WAIT_MS));
  {
    g_autoptr(VmgrDBusVM) vm =
      vmgr_test_create_and_open (client, "on-pooled",
                                 g_variant_new_parsed ("{'host': <'pooled'>}"));

    g_assert_cmpstr (vmgr_dbus_vm_get_host (vm), ==, "pooled");
    vmgr_dbus_vm_call_delete_sync (vm, NULL, &error);
    g_assert_no_error (error);
  }

  vmgr_test_daemon_restart (daemon_under_test);
  {
    g_autoptr(VmgrTestClient) after = vmgr_test_client_new ();

    g_assert_cmpuint (count_hosts (after), ==, 3);
    pool = host_pool (after, "pooled");
    g_assert_cmpstr (pool, ==, "images.1");
    g_clear_pointer (&pool, g_free);
    pool = host_pool (after, "plain");
    g_assert_cmpstr (pool, ==, "default");
    g_clear_pointer (&pool, g_free);
    pool = host_pool (after, "local");
    g_assert_cmpstr (pool, ==, "");
    g_clear_pointer (&pool, g_free);
    vmgr_dbus_manager_call_remove_host_sync (after->manager, "pooled", NULL, &error);
    g_assert_no_error (error);
    vmgr_dbus_manager_call_remove_host_sync (after->manager, "plain", NULL, &error);
    g_assert_no_error (error);
  }
}

static void
test_vmgrctl_pool (void)
{
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *pool = NULL;

  g_assert_cmpint (vmgr_test_run_vmgrctl_as (VMGR_TEST_UID_ADMIN, &out, &err, "host-add", "far",
                                             UNREACHABLE_URI, "--pool", "vmgr-images", NULL),
                   ==, 0);
  pool = host_pool (client, "far");
  g_assert_cmpstr (pool, ==, "vmgr-images");
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (vmgr_test_run_vmgrctl_as (VMGR_TEST_UID_ADMIN, &out, &err, "hosts", NULL), ==, 0);
  g_assert_nonnull (strstr (out, "POOL"));
  g_assert_nonnull (strstr (out, "vmgr-images"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (vmgr_test_run_vmgrctl_as (VMGR_TEST_UID_ADMIN, &out, &err, "hosts", "--json",
                                             NULL), ==, 0);
  g_assert_nonnull (strstr (out, "\"pool\" : \"vmgr-images\""));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (vmgr_test_run_vmgrctl_as (VMGR_TEST_UID_ADMIN, &out, &err, "host-add", "near",
                                             "qemu+tcp://127.0.0.1:2/system", "--pool", "a b",
                                             NULL), !=, 0);
  g_assert_nonnull (strstr (err, "storage pool"));
  vmgr_dbus_manager_call_remove_host_sync (client->manager, "far", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (count_hosts (client), ==, 1);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/host-pools/bad-pool", test_bad_pool);
  g_test_add_func ("/host-pools/property", test_pool_property);
  g_test_add_func ("/host-pools/vmgrctl", test_vmgrctl_pool);

  return vmgr_test_run_with_daemon (NULL, NULL, &daemon_under_test);
}
