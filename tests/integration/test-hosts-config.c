/* Hosts from the configuration file (issue 14): a [host NAME] group is
 * published like a host of AddHost (a test-driver connection of its own
 * node file here), takes VMs, cannot be removed (InvalidState) nor added
 * again (AlreadyExists, its name or its URI), and wins over a host of the
 * store with its name; a bad group stops vmgrd at start with status 1 and
 * a clear message. Settings of a VM on such a host are checked against
 * that host's capacity; RemoveHost while a VM is being created on the host
 * is refused (Busy, or InvalidState once it is stored); vmgrctl list shows
 * a HOST column. */
#include <glib/gstdio.h>
#include <string.h>
#include <sys/wait.h>

#include "vmgr-test-client.h"
#include "vmgr-test-env.h"

#define WAIT_MS 10000

/* 4 CPUs, 64 GiB: more memory free than the default test node. */
static const char node_xml[] =
  "<node><cpu><mhz>2000</mhz><model>i686</model><active>4</active><nodes>1</nodes>"
  "<sockets>1</sockets><cores>4</cores><threads>1</threads></cpu>"
  "<memory>67108864</memory></node>\n";

static char *
write_node (const char *dir, const char *name)
{
  g_autofree char *node = g_build_filename (dir, name, NULL);

  g_assert_true (g_file_set_contents (node, node_xml, -1, NULL));
  return g_strconcat ("test://", node, NULL);
}

static void
test_published (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *state_dir = g_dir_make_tmp ("vmgr-test-hosts-config-XXXXXX", &error);
  g_autofree char *uri = write_node (state_dir, "cfg-node.xml");
  g_autofree char *other_uri = write_node (state_dir, "other-node.xml");
  g_autofree char *config = g_strdup_printf ("[host cfg]\nuri=%s\npool=vmfiles\n", uri);
  g_autoptr(VmgrTestDaemon) daemon = vmgr_test_daemon_start (state_dir, config);
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  g_autofree char *host_uri = vmgr_test_host_string (client, "cfg", "URI");
  g_autofree char *added = NULL;

  g_assert_cmpstr (host_uri, ==, uri);
  g_assert_true (vmgr_test_wait_host_connected (client, "cfg", WAIT_MS));

  /* Not removable, not added again. */
  vmgr_dbus_manager_call_remove_host_sync (client->manager, "cfg", NULL, &error);
  vmgr_test_assert_dbus_error (error, "org.vmgr.Error.InvalidState",
                               "host cfg comes from the configuration file");
  g_clear_error (&error);
  vmgr_dbus_manager_call_add_host_sync (client->manager, "cfg", other_uri,
                                        g_variant_new ("a{sv}", NULL), &added, NULL, &error);
  vmgr_test_assert_dbus_error (error, "org.vmgr.Error.AlreadyExists", "cfg");
  g_clear_error (&error);
  g_assert_null (added);
  vmgr_dbus_manager_call_add_host_sync (client->manager, "again", uri,
                                        g_variant_new ("a{sv}", NULL), &added, NULL, &error);
  vmgr_test_assert_dbus_error (error, "org.vmgr.Error.AlreadyExists", "a host with URI");
  g_clear_error (&error);
  g_assert_null (added);

  /* A VM on it by the option, another placed there by its free memory. */
  {
    g_autoptr(VmgrDBusVM) there =
      vmgr_test_create_and_open (client, "on-cfg", g_variant_new_parsed ("{'host': <'cfg'>}"));
    g_autoptr(VmgrDBusVM) placed = vmgr_test_create_and_open (client, "placed", NULL);

    g_assert_cmpstr (vmgr_dbus_vm_get_host (there), ==, "cfg");
    g_assert_cmpstr (vmgr_dbus_vm_get_host (placed), ==, "cfg");
    vmgr_test_start_and_wait (there);
    vmgr_dbus_vm_call_delete_sync (placed, NULL, &error);
    g_assert_no_error (error);
  }

  /* A host of the store ("dup", added by AddHost) whose name the
   * configuration file then takes: the file wins, with a warning. */
  g_free (added);
  vmgr_dbus_manager_call_add_host_sync (client->manager, "dup", other_uri,
                                        g_variant_new ("a{sv}", NULL), &added, NULL, &error);
  g_assert_no_error (error);
  g_clear_pointer (&client, vmgr_test_client_free);
  vmgr_test_daemon_stop (daemon);
  {
    g_autofree char *path = g_build_filename (state_dir, "vmgrd.conf", NULL);
    g_autofree char *both = g_strdup_printf ("%s[host dup]\nuri=%s-2\n", config, uri);
    g_autofree char *log = NULL;
    g_autofree char *dup_uri = NULL;
    g_autofree char *vm_path = NULL;
    g_autoptr(VmgrDBusVM) there = NULL;

    g_assert_true (g_file_set_contents (path, both, -1, NULL));
    vmgr_test_daemon_restart (daemon);
    client = vmgr_test_client_new ();
    dup_uri = vmgr_test_host_string (client, "dup", "URI");
    g_assert_true (g_str_has_suffix (dup_uri, "-2"));
    g_assert_true (g_file_get_contents (vmgr_test_daemon_get_log_path (daemon), &log, NULL,
                                        NULL));
    g_assert_nonnull (strstr (log, "host dup (test://"));
    g_assert_nonnull (strstr (log, "added with AddHost is ignored: the configuration file"));
    vmgr_dbus_manager_call_remove_host_sync (client->manager, "dup", NULL, &error);
    vmgr_test_assert_dbus_error (error, "org.vmgr.Error.InvalidState",
                                 "host dup comes from the configuration file");
    g_clear_error (&error);

    /* The VM is back on its host, as the file still names it. */
    g_assert_true (vmgr_test_wait_host_connected (client, "cfg", WAIT_MS));
    vmgr_dbus_manager_call_find_vm_sync (client->manager, "on-cfg", &vm_path, NULL, &error);
    g_assert_no_error (error);
    there = vmgr_test_client_vm (client, vm_path);
    g_assert_cmpstr (vmgr_dbus_vm_get_host (there), ==, "cfg");
    g_assert_true (vmgr_test_wait_state (there, "stopped", WAIT_MS));
    vmgr_dbus_vm_call_delete_sync (there, NULL, &error);
    g_assert_no_error (error);
  }
  vmgr_test_daemon_stop (daemon);
  vmgr_test_remove_dir (state_dir);
}

/* ---- capacity of a VM's own host; RemoveHost vs CreateVM; vmgrctl list ---- */

static void
on_call_done (GObject *source, GAsyncResult *result, gpointer data)
{
  *(GAsyncResult **) data = g_object_ref (result);
}

static gboolean
both_done (gpointer data)
{
  GAsyncResult **results = data;

  return results[0] != NULL && results[1] != NULL;
}

static void
test_capacity_and_removal (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *state_dir = g_dir_make_tmp ("vmgr-test-hosts-config-XXXXXX", &error);
  g_autofree char *uri = write_node (state_dir, "cfg-node.xml");
  g_autofree char *extra_uri = write_node (state_dir, "extra-node.xml");
  g_autofree char *config = g_strdup_printf ("[host cfg]\nuri=%s\n", uri);
  g_autoptr(VmgrTestDaemon) daemon = vmgr_test_daemon_start (state_dir, config);
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  g_autoptr(VmgrDBusVM) vm = NULL;
  g_autofree char *extra = NULL;
  guint busy = 0;

  g_assert_true (vmgr_test_wait_host_connected (client, "cfg", WAIT_MS));
  vm = vmgr_test_create_and_open (client, "sized", g_variant_new_parsed ("{'host': <'cfg'>}"));

  /* Its host has 64 GiB: more is refused, what fits there is taken. */
  vmgr_dbus_vm_call_set_memory_sync (vm, 0, 0, G_GUINT64_CONSTANT (65) << 30, NULL, &error);
  vmgr_test_assert_dbus_error (error, "org.vmgr.Error.QuotaExceeded", "memory");
  g_clear_error (&error);
  g_assert_cmpuint (vmgr_dbus_vm_get_memory_limit (vm), <, G_GUINT64_CONSTANT (1) << 30);
  vmgr_dbus_vm_call_set_cpu_sync (vm, 17, vmgr_dbus_vm_get_cpu_weight (vm),
                                  vmgr_dbus_vm_get_cpu_limit (vm), NULL, &error);
  vmgr_test_assert_dbus_error (error, "org.vmgr.Error.QuotaExceeded", "vcpus");
  g_clear_error (&error);
  vmgr_dbus_vm_call_set_memory_sync (vm, 0, 0, G_GUINT64_CONSTANT (32) << 30, NULL, &error);
  g_assert_no_error (error);

  /* vmgrctl list shows where each VM is once there are several hosts. */
  {
    g_autofree char *out = NULL;
    g_autofree char *json = NULL;

    g_assert_cmpint (vmgr_test_run_vmgrctl_as (0, &out, NULL, "list", NULL), ==, 0);
    g_test_message ("vmgrctl list:\n%s", out);
    g_assert_true (g_str_has_prefix (g_strchug (out), "ID"));
    g_assert_nonnull (strstr (out, " HOST "));
    g_assert_nonnull (strstr (out, " cfg "));
    g_assert_cmpint (vmgr_test_run_vmgrctl_as (0, &json, NULL, "--json", "list", NULL), ==, 0);
    g_assert_nonnull (strstr (json, "\"host\" : \"cfg\""));
  }

  /* A host removed while a VM is being created on it: refused, every time
   * (Busy while the creation is under way, InvalidState once it is
   * stored), and the VM is there, on it. */
  vmgr_dbus_manager_call_add_host_sync (client->manager, "extra", extra_uri,
                                        g_variant_new ("a{sv}", NULL), &extra, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (vmgr_test_wait_host_connected (client, "extra", WAIT_MS));
  for (guint i = 0; i < 5; i++)
    {
      g_autofree char *name = g_strdup_printf ("race%u", i);
      GAsyncResult *results[2] = { NULL, NULL };
      g_autofree char *path = NULL;
      g_autoptr(VmgrDBusVM) created = NULL;

      vmgr_dbus_manager_call_create_vm (client->manager, name, "debian-12", "basic",
                                        g_variant_new_parsed ("{'host': <'extra'>}"), NULL,
                                        on_call_done, &results[0]);
      vmgr_dbus_manager_call_remove_host (client->manager, "extra", NULL, on_call_done,
                                          &results[1]);
      g_assert_true (vmgr_test_wait (both_done, results, WAIT_MS));
      g_assert_true (vmgr_dbus_manager_call_create_vm_finish (client->manager, &path, results[0],
                                                              &error));
      g_assert_no_error (error);
      g_assert_false (vmgr_dbus_manager_call_remove_host_finish (client->manager, results[1],
                                                                 &error));
      if (g_dbus_error_is_remote_error (error))
        {
          g_autofree char *remote = g_dbus_error_get_remote_error (error);

          g_test_message ("RemoveHost during CreateVM: %s", remote);
          g_assert_true (g_str_equal (remote, "org.vmgr.Error.Busy") ||
                         g_str_equal (remote, "org.vmgr.Error.InvalidState"));
          busy += g_str_equal (remote, "org.vmgr.Error.Busy");
        }
      else
        g_error ("RemoveHost: %s", error->message);
      g_clear_error (&error);
      g_object_unref (results[0]);
      g_object_unref (results[1]);
      created = vmgr_test_client_vm (client, path);
      g_assert_cmpstr (vmgr_dbus_vm_get_host (created), ==, "extra");
      vmgr_dbus_vm_call_delete_sync (created, NULL, &error);
      g_assert_no_error (error);
    }
  g_test_message ("%u of 5 refused as Busy", busy);
  vmgr_dbus_manager_call_remove_host_sync (client->manager, "extra", NULL, &error);
  g_assert_no_error (error);
  vmgr_dbus_vm_call_delete_sync (vm, NULL, &error);
  g_assert_no_error (error);
  g_clear_pointer (&client, vmgr_test_client_free);
  vmgr_test_daemon_stop (daemon);
  vmgr_test_remove_dir (state_dir);
}

/* vmgrd refuses to start on a bad [host NAME] group: status 1, the
 * message on stderr. */
static void
assert_start_refused (const char *dir, const char *contents, const char *message)
{
  g_autofree char *path = g_build_filename (dir, "bad.conf", NULL);
  g_autofree char *vmgrd = g_build_filename (g_getenv ("VMGR_BUILD_ROOT"), "service", "vmgrd",
                                             NULL);
  const char *argv[] = { vmgrd, "--system", "--config", path, "--state-dir", dir, NULL };
  g_autofree char *err = NULL;
  g_autoptr(GError) error = NULL;
  int status = 0;

  g_assert_true (g_file_set_contents (path, contents, -1, NULL));
  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL,
                               NULL, &err, &status, &error));
  g_assert_no_error (error);
  g_assert_true (WIFEXITED (status));
  g_assert_cmpint (WEXITSTATUS (status), ==, 1);
  if (strstr (err, message) == NULL)
    g_error ("vmgrd said '%s', not '%s'", err, message);
  g_unlink (path);
}

static void
test_bad_config (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("vmgr-test-hosts-config-XXXXXX", &error);

  assert_start_refused (dir, "[daemon]\nhost_name=main\n[host main]\nuri=qemu:///system\n",
                        "[host main]: host 'main' is the configured host");
  assert_start_refused (dir, "[host h1]\nuri=qemu:///system\n[host h1]\nuri=lxc:///system\n",
                        "host 'h1' is configured twice");
  assert_start_refused (dir, "[host 9]\nuri=qemu:///system\n", "invalid host name '9'");
  assert_start_refused (dir, "[host h1]\nuri=lxc:///system\n[host h2]\nuri=lxc:///system\n",
                        "[host h2] uri: 'lxc:///system' is the URI of [host h1]");
  assert_start_refused (dir, "[daemon]\nuri=test:///default\n[host h1]\nuri=test:///default\n",
                        "[host h1] uri: 'test:///default' is the configured host's URI");
  assert_start_refused (dir, "[host h1]\npool=default\n", "[host h1] uri: '' is not valid");
  vmgr_test_remove_dir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/hosts-config/published", test_published);
  g_test_add_func ("/hosts-config/bad-config", test_bad_config);
  g_test_add_func ("/hosts-config/capacity-and-removal", test_capacity_and_removal);
  return g_test_run ();
}
