/* vmgrd with two more hosts (issue 14), end to end: vmgrd on the private
 * libvirtd's qemu:///system (host "local"), host h2 from the configuration
 * file and h1 added with AddHost (the libvirtds of tests/real/with-hosts.sh
 * at qemu+tcp://10.77.0.1/system and .2). QEMU VMs of a template without
 * files (a domain without disks: SeaBIOS finds nothing to boot and the
 * guest stays running) on each host by the option host, and one placed by
 * free memory; h1's libvirtd killed: h1 disconnected, its VM unknown, its
 * calls (Start, Stop, GetStats) refused with Hypervisor naming h1, h2's VM
 * read, stopped and started meanwhile; its guest killed while h1 is away
 * (a change vmgrd cannot see); h1's libvirtd back: h1
 * connected, its VM stopped (reconciled) and started again; vmgrd
 * restarted: hosts, VMs, their hosts and states back. Prints the times
 * (TAP comments): loss noticed, reconnected, restart to the name owned.
 *
 *   VMGR_BUILD_ROOT=$PWD/build VMGR_TEMPLATE_DIR=$PWD/build/templates \
 *     tests/harness/testbus.sh -- tests/harness/libvirtd.sh --no-network -- \
 *     tests/real/with-hosts.sh 2 -- build/tests/real/test-real-hosts --tap */
#include <signal.h>
#include <string.h>

#include "real-helpers.h"

#define WAIT_MS 60000
#define GiB (G_GUINT64_CONSTANT (1) << 30)

static struct {
  VmgrTestDaemon *daemon;
  VmgrTestClient *client;
  char *h1_uri;
  char *h2_uri;
  VmgrDBusVM *vm1;            /* on h1 */
  VmgrDBusVM *vm2;            /* on h2 */
  char *vm1_path;
  char *vm2_path;
} s;

static gint64
now_ms (void)
{
  return g_get_monotonic_time () / 1000;
}

static void
wait_host (const char *host, const char *state)
{
  if (!vmgr_test_wait_host_state (s.client, host, state, WAIT_MS))
    {
      vmgr_test_daemon_dump_log (s.daemon);
      g_error ("host %s is not %s", host, state);
    }
}

static void
wait_vm (VmgrDBusVM *vm, const char *state)
{
  if (!vmgr_test_wait_state (vm, state, WAIT_MS))
    {
      vmgr_test_daemon_dump_log (s.daemon);
      g_error ("VM %s is %s, not %s", vmgr_dbus_vm_get_name (vm), vmgr_dbus_vm_get_state (vm),
               state);
    }
}

static void
hosts_ctl (const char *what, int host)
{
  g_autofree char *command = g_strdup_printf ("%s %s %d", g_getenv ("VMGR_HOSTS_CTL"), what, host);
  g_autoptr(GError) error = NULL;
  int status = 0;

  g_assert_true (g_spawn_command_line_sync (command, NULL, NULL, &status, &error));
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
}

static VmgrDBusVM *
create (const char *name, const char *host, guint64 memory, char **path_out)
{
  GVariantDict options;
  g_autofree char *path = NULL;
  VmgrDBusVM *vm;

  g_variant_dict_init (&options, NULL);
  if (host != NULL)
    g_variant_dict_insert (&options, "host", "s", host);
  if (memory != 0)
    g_variant_dict_insert (&options, "memory_limit", "t", memory);
  path = vmgr_test_create_vm (s.client, name, "debian-12", "basic", g_variant_dict_end (&options));
  vm = vmgr_test_client_vm (s.client, path);
  if (!vmgr_test_wait (vmgr_real_provisioned, vm, WAIT_MS))
    g_error ("VM %s is not provisioned", name);
  if (path_out != NULL)
    *path_out = g_steal_pointer (&path);
  return vm;
}

static void
delete_vm (VmgrDBusVM *vm)
{
  g_autoptr(GError) error = NULL;

  vmgr_dbus_vm_call_delete_sync (vm, NULL, &error);
  g_assert_no_error (error);
}

static void
test_setup (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *h1 = NULL;
  g_auto(GStrv) uris = g_strsplit (g_getenv ("VMGR_HOST_QEMU_URIS"), " ", -1);
  g_autofree char *config = NULL;
  g_autofree char *state_dir = g_dir_make_tmp ("vmgr-test-real-hosts-XXXXXX", &error);
  gint64 t0;

  g_assert_cmpuint (g_strv_length (uris), >=, 2);
  s.h1_uri = g_strdup (uris[0]);
  s.h2_uri = g_strdup (uris[1]);
  g_setenv ("VMGR_TEST_DAEMON_URI", "qemu:///system", TRUE);
  config = g_strdup_printf ("[daemon]\nnetwork=\n[host h2]\nuri=%s\n", s.h2_uri);
  t0 = now_ms ();
  s.daemon = vmgr_test_daemon_start (state_dir, config);
  g_test_message ("vmgrd started to org.vmgr owned: %" G_GINT64_FORMAT " ms", now_ms () - t0);
  s.client = vmgr_test_client_new ();
  vmgr_dbus_manager_call_add_host_sync (s.client->manager, "h1", s.h1_uri,
                                        g_variant_new ("a{sv}", NULL), &h1, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (h1, ==, "/org/vmgr/host/h1");
  wait_host ("h1", "connected");
  wait_host ("h2", "connected");
  wait_host ("local", "connected");
}

/* By the option host on each; then placed: local and h1 hold a big VM
 * (stopped VMs count too), so h2 has the most memory free. */
static void
test_create_and_place (void)
{
  g_autoptr(VmgrDBusVM) big_local = create ("big-local", "local", 4 * GiB, NULL);
  g_autoptr(VmgrDBusVM) big_h1 = create ("big-h1", "h1", 4 * GiB, NULL);
  g_autoptr(VmgrDBusVM) placed = NULL;

  s.vm1 = create ("vm1", "h1", 0, &s.vm1_path);
  s.vm2 = create ("vm2", "h2", 0, &s.vm2_path);
  g_assert_cmpstr (vmgr_dbus_vm_get_host (s.vm1), ==, "h1");
  g_assert_cmpstr (vmgr_dbus_vm_get_host (s.vm2), ==, "h2");
  g_assert_cmpstr (vmgr_dbus_vm_get_host (big_local), ==, "local");
  placed = create ("placed", NULL, 0, NULL);
  g_assert_cmpstr (vmgr_dbus_vm_get_host (placed), ==, "h2");
  delete_vm (placed);
  g_clear_object (&placed);
  /* h2 now holds the most and h1 a little more than local: local has the
   * most free. */
  {
    g_autoptr(VmgrDBusVM) big_h2 = create ("big-h2", "h2", 8 * GiB, NULL);

    placed = create ("placed2", NULL, 0, NULL);
    g_assert_cmpstr (vmgr_dbus_vm_get_host (placed), ==, "local");
    delete_vm (placed);
    delete_vm (big_h2);
  }
  delete_vm (big_local);
  delete_vm (big_h1);
}

static void
test_start (void)
{
  vmgr_test_start_and_wait (s.vm1);
  vmgr_test_start_and_wait (s.vm2);
  /* Still running a while later: QEMU runs a guest without disks. */
  g_usleep (2 * G_USEC_PER_SEC);
  g_assert_cmpstr (vmgr_dbus_vm_get_state (s.vm1), ==, "running");
  g_assert_cmpstr (vmgr_dbus_vm_get_state (s.vm2), ==, "running");
}

static void
assert_names_h1 (const GError *error)
{
  vmgr_test_assert_dbus_error (error, "org.vmgr.Error.Hypervisor", "host h1 is not connected");
}

/* The guest of @uuid's QEMU process: killed (its host's libvirtd is
 * away, so not through libvirt). */
static gboolean
kill_guest (const char *uuid)
{
  g_autoptr(GDir) proc = g_dir_open ("/proc", 0, NULL);
  const char *entry;
  gboolean killed = FALSE;

  while (proc != NULL && (entry = g_dir_read_name (proc)) != NULL)
    {
      g_autofree char *path = g_strdup_printf ("/proc/%s/cmdline", entry);
      g_autofree char *cmdline = NULL;
      gsize length = 0;

      if (!g_ascii_isdigit (entry[0]) || !g_file_get_contents (path, &cmdline, &length, NULL))
        continue;
      for (gsize i = 0; i + 1 < length; i++)
        if (cmdline[i] == '\0')
          cmdline[i] = ' ';
      if (strstr (cmdline, "qemu-system") != NULL && strstr (cmdline, uuid) != NULL &&
          kill ((pid_t) g_ascii_strtoll (entry, NULL, 10), SIGKILL) == 0)
        killed = TRUE;
    }
  return killed;
}

static void
test_host_lost (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *uuid = g_strdup (vmgr_dbus_vm_get_uuid (s.vm1));
  gint64 t0 = now_ms ();

  hosts_ctl ("kill", 1);
  wait_host ("h1", "disconnected");
  g_test_message ("h1's libvirtd killed to h1 disconnected: %" G_GINT64_FORMAT " ms",
                  now_ms () - t0);
  wait_vm (s.vm1, "unknown");
  g_test_message ("... to its VM unknown: %" G_GINT64_FORMAT " ms", now_ms () - t0);
  wait_host ("h2", "connected");
  g_assert_cmpstr (vmgr_dbus_vm_get_state (s.vm2), ==, "running");

  vmgr_dbus_vm_call_stop_sync (s.vm1, NULL, &error);
  assert_names_h1 (error);
  g_clear_error (&error);
  vmgr_dbus_vm_call_start_sync (s.vm1, NULL, &error);
  assert_names_h1 (error);
  g_clear_error (&error);
  g_assert_cmpstr (vmgr_dbus_vm_get_state (s.vm1), ==, "unknown");
  {
    g_autoptr(GVariant) stats = NULL;

    g_assert_false (vmgr_dbus_vm_call_get_stats_sync (s.vm1, &stats, NULL, &error));
    assert_names_h1 (error);
    g_clear_error (&error);
    g_assert_true (vmgr_dbus_vm_call_get_stats_sync (s.vm2, &stats, NULL, &error));
    g_assert_no_error (error);
  }

  /* The other host's VM answers and changes state meanwhile. */
  vmgr_dbus_vm_call_stop_sync (s.vm2, NULL, &error);
  g_assert_no_error (error);
  wait_vm (s.vm2, "stopped");
  vmgr_test_start_and_wait (s.vm2);

  /* A change vmgrd cannot see: h1's guest dies while h1 is away. */
  g_assert_true (kill_guest (uuid));
}

static void
test_host_back (void)
{
  gint64 t0 = now_ms ();

  hosts_ctl ("start", 1);
  g_test_message ("h1's libvirtd started again in %" G_GINT64_FORMAT " ms", now_ms () - t0);
  t0 = now_ms ();
  wait_host ("h1", "connected");
  g_test_message ("... to h1 connected: %" G_GINT64_FORMAT " ms (reconnection backoff: 1 s "
                  "doubling up to 30 s)", now_ms () - t0);
  wait_vm (s.vm1, "stopped");
  g_test_message ("... to its VM reconciled (stopped, reason %s): %" G_GINT64_FORMAT " ms",
                  vmgr_dbus_vm_get_state_reason (s.vm1), now_ms () - t0);
  vmgr_test_start_and_wait (s.vm1);
  g_assert_cmpstr (vmgr_dbus_vm_get_state (s.vm2), ==, "running");
}

static void
test_vmgrd_restart (void)
{
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) paths = NULL;
  gint64 t0;

  g_clear_object (&s.vm1);
  g_clear_object (&s.vm2);
  g_clear_pointer (&s.client, vmgr_test_client_free);
  vmgr_test_daemon_stop (s.daemon);
  t0 = now_ms ();
  vmgr_test_daemon_restart (s.daemon);
  g_test_message ("vmgrd restarted with two hosts to org.vmgr owned: %" G_GINT64_FORMAT " ms",
                  now_ms () - t0);
  s.client = vmgr_test_client_new ();
  wait_host ("h1", "connected");
  wait_host ("h2", "connected");
  g_test_message ("... to both hosts connected: %" G_GINT64_FORMAT " ms", now_ms () - t0);
  s.vm1 = vmgr_test_client_vm (s.client, s.vm1_path);
  s.vm2 = vmgr_test_client_vm (s.client, s.vm2_path);
  g_assert_cmpstr (vmgr_dbus_vm_get_host (s.vm1), ==, "h1");
  g_assert_cmpstr (vmgr_dbus_vm_get_host (s.vm2), ==, "h2");
  wait_vm (s.vm1, "running");
  wait_vm (s.vm2, "running");
  g_test_message ("... to both VMs running: %" G_GINT64_FORMAT " ms", now_ms () - t0);
  vmgr_dbus_manager_call_list_vms_sync (s.client->manager, &paths, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (paths), ==, 2);

  vmgr_dbus_vm_call_stop_sync (s.vm1, NULL, &error);
  g_assert_no_error (error);
  vmgr_dbus_vm_call_stop_sync (s.vm2, NULL, &error);
  g_assert_no_error (error);
  wait_vm (s.vm1, "stopped");
  wait_vm (s.vm2, "stopped");
  delete_vm (s.vm1);
  delete_vm (s.vm2);
}

int
main (int argc, char **argv)
{
  int status;
  g_autofree char *state_dir = NULL;

  g_test_init (&argc, &argv, NULL);
  if (g_getenv ("VMGR_HOSTS_CTL") == NULL || g_getenv ("VMGR_HOST_QEMU_URIS") == NULL)
    g_error ("run under tests/real/with-hosts.sh 2");
  /* The cases build on each other: the first failure ends the run. */
  g_test_add_func ("/real-hosts/setup", test_setup);
  g_test_add_func ("/real-hosts/create-and-place", test_create_and_place);
  g_test_add_func ("/real-hosts/start", test_start);
  g_test_add_func ("/real-hosts/host-lost", test_host_lost);
  g_test_add_func ("/real-hosts/host-back", test_host_back);
  g_test_add_func ("/real-hosts/vmgrd-restart", test_vmgrd_restart);
  status = g_test_run ();
  g_clear_object (&s.vm1);
  g_clear_object (&s.vm2);
  g_clear_pointer (&s.client, vmgr_test_client_free);
  if (s.daemon != NULL)
    {
      if (status != 0)
        vmgr_test_daemon_dump_log (s.daemon);
      state_dir = g_strdup (vmgr_test_daemon_get_state_dir (s.daemon));
      vmgr_test_daemon_stop (s.daemon);
      vmgr_test_daemon_free (s.daemon);
      vmgr_test_remove_dir (state_dir);
    }
  g_free (s.h1_uri);
  g_free (s.h2_uri);
  g_free (s.vm1_path);
  g_free (s.vm2_path);
  return status;
}
