/* Hosts (issue 14): the connection of the configuration file is the host
 * "local" at /org/vmgr/host/local, with its URI, state, capabilities,
 * capacity and what its VMs take. Administrators see and read it;
 * customers and strangers do not see it at all (its path answers them like
 * a path where nothing exists). Manager.AddHost and RemoveHost: bad input
 * and duplicates refused, a host that cannot be reached added
 * disconnected, a second test-driver connection (its own node file)
 * connected with its capacity, hosts kept across a restart, the
 * configured host never removed, customers refused. */
#include <string.h>

#include "vmgr-test-client.h"
#include "vmgr-test-env.h"

#define WAIT_MS 10000
#define LOCAL_HOST_PATH "/org/vmgr/host/local"

static VmgrTestDaemon *daemon_under_test;

/* How many objects under /org/vmgr/host/ the caller of @client sees. */
static guint
visible_hosts (VmgrTestClient *client)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = vmgr_test_call (client, "/org/vmgr",
                                              "org.freedesktop.DBus.ObjectManager",
                                              "GetManagedObjects", NULL, &error);
  g_autoptr(GVariant) objects = NULL;
  GVariantIter iter;
  const char *path;
  GVariant *interfaces;
  guint count = 0;

  g_assert_no_error (error);
  objects = g_variant_get_child_value (reply, 0);
  g_variant_iter_init (&iter, objects);
  while (g_variant_iter_loop (&iter, "{&o@a{sa{sv}}}", &path, &interfaces))
    if (g_str_has_prefix (path, "/org/vmgr/host/"))
      {
        g_assert_true (g_variant_lookup (interfaces, "org.vmgr.Host", "@a{sv}", NULL));
        count++;
      }
  return count;
}

static GVariant *
host_property (VmgrTestClient *client, const char *path, const char *name, GError **error)
{
  g_autoptr(GVariant) reply = vmgr_test_call (client, path, "org.freedesktop.DBus.Properties",
                                              "Get", g_variant_new ("(ss)", "org.vmgr.Host", name),
                                              error);
  GVariant *value = NULL;

  if (reply != NULL)
    g_variant_get (reply, "(v)", &value);
  return value;
}

static guint32
vm_count (VmgrTestClient *client)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) value = host_property (client, LOCAL_HOST_PATH, "VMCount", &error);

  g_assert_no_error (error);
  return g_variant_get_uint32 (value);
}

typedef struct {
  VmgrTestClient *client;
  guint32 expected;
} CountWait;

static gboolean
count_reached (gpointer data)
{
  CountWait *wait = data;

  return vm_count (wait->client) == wait->expected;
}

static guint64
lookup_st (GVariant *dict, const char *key)
{
  guint64 value = G_MAXUINT64;

  g_assert_true (g_variant_lookup (dict, key, "t", &value));
  return value;
}

static void
test_local_host (void)
{
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(VmgrDBusHost) host =
    vmgr_dbus_host_proxy_new_sync (client->bus, G_DBUS_PROXY_FLAGS_NONE, "org.vmgr",
                                   LOCAL_HOST_PATH, NULL, &error);
  g_autoptr(GVariant) capacity = NULL;
  g_autoptr(GVariant) allocation = NULL;
  g_autofree char *path = NULL;
  guint32 before;
  CountWait wait = { client, 0 };

  g_assert_no_error (error);
  g_assert_cmpuint (visible_hosts (client), ==, 1);
  g_assert_cmpstr (vmgr_dbus_host_get_name (host), ==, "local");
  g_assert_cmpstr (vmgr_dbus_host_get_uri (host), ==, "test:///default");
  g_assert_cmpstr (vmgr_dbus_host_get_state (host), ==, "connected");
  g_assert_nonnull (vmgr_dbus_host_get_capabilities (host));
  g_assert_true (g_strv_equal (vmgr_dbus_host_get_capabilities (host),
                               vmgr_dbus_manager_get_capabilities (client->manager)));
  capacity = host_property (client, LOCAL_HOST_PATH, "Capacity", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (lookup_st (capacity, "vcpus"), >, 0);
  g_assert_cmpuint (lookup_st (capacity, "memory"), >, 0);
  allocation = host_property (client, LOCAL_HOST_PATH, "Allocation", &error);
  g_assert_no_error (error);
  before = vm_count (client);
  g_assert_cmpuint (lookup_st (allocation, "vms"), ==, before);
  g_assert_cmpuint (before, ==, vmgr_test_count_vms (client));

  /* It follows the VMs. */
  path = vmgr_test_create_vm (client, "on-local", "debian-12", "basic", NULL);
  wait.expected = before + 1;
  g_assert_true (vmgr_test_wait (count_reached, &wait, WAIT_MS));
  g_clear_pointer (&allocation, g_variant_unref);
  allocation = host_property (client, LOCAL_HOST_PATH, "Allocation", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (lookup_st (allocation, "vms"), ==, before + 1);
  g_assert_cmpuint (lookup_st (allocation, "memory"), >, 0);

  /* Read-only, like every property. */
  g_clear_pointer (&allocation, g_variant_unref);
  allocation = vmgr_test_call (client, LOCAL_HOST_PATH, "org.freedesktop.DBus.Properties", "Set",
                               g_variant_new ("(ssv)", "org.vmgr.Host", "Name",
                                              g_variant_new_string ("other")),
                               &error);
  vmgr_test_assert_dbus_error (error, "org.freedesktop.DBus.Error.PropertyReadOnly", NULL);
  g_assert_cmpstr (vmgr_dbus_host_get_name (host), ==, "local");
}

/* The error of Get on @path, with the path taken out. */
static char *
host_read_error (VmgrTestClient *client, const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) value = host_property (client, path, "Name", &error);
  g_autofree char *remote = NULL;
  g_auto(GStrv) parts = NULL;
  g_autofree char *message = NULL;

  g_assert_null (value);
  g_assert_nonnull (error);
  remote = g_dbus_error_get_remote_error (error);
  parts = g_strsplit (error->message, path, -1);
  message = g_strjoinv ("PATH", parts);
  return g_strdup_printf ("%s: %s", remote, message);
}

static char *
introspect (VmgrTestClient *client, const char *path, GError **error)
{
  g_autoptr(GVariant) reply = vmgr_test_call (client, path, "org.freedesktop.DBus.Introspectable",
                                              "Introspect", NULL, error);
  char *xml = NULL;

  if (reply != NULL)
    g_variant_get (reply, "(s)", &xml);
  return xml;
}

/* Customers and strangers: no host in the inventory, and the host's path
 * answers exactly like a host that does not exist. */
static void
assert_hosts_invisible (void)
{
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  g_autofree char *existing = NULL;
  g_autofree char *missing = NULL;
  g_autofree char *root_xml = NULL;
  g_autofree char *xml = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_cmpuint (visible_hosts (client), ==, 0);
  existing = host_read_error (client, LOCAL_HOST_PATH);
  missing = host_read_error (client, "/org/vmgr/host/nowhere");
  g_assert_cmpstr (existing, ==, missing);
  g_assert_true (g_str_has_prefix (existing, "org.freedesktop.DBus.Error.UnknownMethod"));
  root_xml = introspect (client, "/org/vmgr", &error);
  g_assert_no_error (error);
  g_assert_null (strstr (root_xml, "<node name=\"host\"/>"));
  xml = introspect (client, LOCAL_HOST_PATH, &error);
  g_assert_null (xml);
  g_assert_nonnull (error);
}

static void
test_invisible_to (gconstpointer data)
{
  guint uid = GPOINTER_TO_UINT (data);

  if (g_test_subprocess ())
    {
      vmgr_test_become_user (uid);
      assert_hosts_invisible ();
      return;
    }
  g_test_trap_subprocess (NULL, 60 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
}

static void
test_administrator_sees (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr(VmgrTestClient) client = NULL;
      g_autoptr(GError) error = NULL;
      g_autoptr(GVariant) state = NULL;
      g_autofree char *root_xml = NULL;

      vmgr_test_become_user (VMGR_TEST_UID_ADMIN);
      client = vmgr_test_client_new ();
      g_assert_cmpuint (visible_hosts (client), ==, 1);
      state = host_property (client, LOCAL_HOST_PATH, "State", &error);
      g_assert_no_error (error);
      g_assert_cmpstr (g_variant_get_string (state, NULL), ==, "connected");
      root_xml = introspect (client, "/org/vmgr", &error);
      g_assert_no_error (error);
      g_assert_nonnull (strstr (root_xml, "<node name=\"host\"/>"));
      return;
    }
  g_test_trap_subprocess (NULL, 60 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
}

/* ---- AddHost, RemoveHost ---------------------------------------------- */

/* A libvirt test-driver node of its own: 4 CPUs, 64 GiB (more than the
 * default test node's, so that it has the most memory free). */
static const char node_xml[] =
  "<node><cpu><mhz>2000</mhz><model>i686</model><active>4</active><nodes>1</nodes>"
  "<sockets>1</sockets><cores>4</cores><threads>1</threads></cpu>"
  "<memory>67108864</memory></node>\n";
#define UNREACHABLE_URI "qemu+tcp://127.0.0.1:1/system"

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

static void
remove_host (VmgrTestClient *client, const char *name, GError **error)
{
  vmgr_dbus_manager_call_remove_host_sync (client->manager, name, NULL, error);
}

static char *
host_state (VmgrTestClient *client, const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) value = host_property (client, path, "State", &error);

  g_assert_no_error (error);
  return g_variant_dup_string (value, NULL);
}

typedef struct {
  VmgrTestClient *client;
  const char *path;
  const char *state;
} StateWait;

static gboolean
state_reached (gpointer data)
{
  StateWait *wait = data;
  g_autofree char *state = host_state (wait->client, wait->path);

  return g_str_equal (state, wait->state);
}

static gboolean
capacity_known (gpointer data)
{
  StateWait *wait = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) capacity = host_property (wait->client, wait->path, "Capacity", &error);

  g_assert_no_error (error);
  return lookup_st (capacity, "vcpus") != 0;
}

static void
test_add_host_bad_input (void)
{
  static const char * const bad_names[] = { "", "1a", "a-b", "a b", "a/b", NULL };
  static const char * const bad_uris[] = { "", "no-scheme", "test:///a b", "qemu:///\x01", NULL };
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;

  for (guint i = 0; bad_names[i] != NULL; i++)
    {
      path = add_host (client, bad_names[i], UNREACHABLE_URI, NULL, &error);
      g_assert_null (path);
      vmgr_test_assert_dbus_error (error, "org.vmgr.Error.InvalidArgument", "host name");
      g_clear_error (&error);
    }
  for (guint i = 0; bad_uris[i] != NULL; i++)
    {
      path = add_host (client, "far", bad_uris[i], NULL, &error);
      g_assert_null (path);
      vmgr_test_assert_dbus_error (error, "org.vmgr.Error.InvalidArgument", "URI");
      g_clear_error (&error);
    }
  path = add_host (client, "far", UNREACHABLE_URI,
                   g_variant_new_parsed ("{'shared_storage': <true>}"), &error);
  g_assert_null (path);
  vmgr_test_assert_dbus_error (error, "org.vmgr.Error.InvalidArgument", "shared_storage");
  g_clear_error (&error);
  /* The configured host's name and URI are taken. */
  path = add_host (client, "local", UNREACHABLE_URI, NULL, &error);
  vmgr_test_assert_dbus_error (error, "org.vmgr.Error.AlreadyExists", "local");
  g_clear_error (&error);
  path = add_host (client, "again", "test:///default", NULL, &error);
  vmgr_test_assert_dbus_error (error, "org.vmgr.Error.AlreadyExists", "test:///default");
  g_clear_error (&error);
  g_assert_cmpuint (visible_hosts (client), ==, 1);

  remove_host (client, "local", &error);
  vmgr_test_assert_dbus_error (error, "org.vmgr.Error.InvalidState", "configured");
  g_clear_error (&error);
  remove_host (client, "nowhere", &error);
  vmgr_test_assert_dbus_error (error, "org.vmgr.Error.NotFound", "nowhere");
  g_clear_error (&error);
  remove_host (client, "no-where", &error);
  vmgr_test_assert_dbus_error (error, "org.vmgr.Error.InvalidArgument", "host name");
  g_clear_error (&error);
  g_assert_cmpuint (visible_hosts (client), ==, 1);
}

/* A host that cannot be reached is added, disconnected; a duplicate is
 * refused; it goes when removed. */
static void
test_add_unreachable_host (void)
{
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *path = add_host (client, "far", UNREACHABLE_URI, NULL, &error);
  g_autofree char *again = NULL;
  g_autofree char *state = NULL;
  g_autoptr(GVariant) uri = NULL;

  g_assert_no_error (error);
  g_assert_cmpstr (path, ==, "/org/vmgr/host/far");
  g_assert_cmpuint (visible_hosts (client), ==, 2);
  state = host_state (client, path);
  g_assert_cmpstr (state, ==, "disconnected");
  uri = host_property (client, path, "URI", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (g_variant_get_string (uri, NULL), ==, UNREACHABLE_URI);
  again = add_host (client, "far", "qemu+tcp://127.0.0.1:2/system", NULL, &error);
  vmgr_test_assert_dbus_error (error, "org.vmgr.Error.AlreadyExists", "far");
  g_clear_error (&error);
  again = add_host (client, "near", UNREACHABLE_URI, NULL, &error);
  vmgr_test_assert_dbus_error (error, "org.vmgr.Error.AlreadyExists", UNREACHABLE_URI);
  g_clear_error (&error);

  remove_host (client, "far", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (visible_hosts (client), ==, 1);
  remove_host (client, "far", &error);
  vmgr_test_assert_dbus_error (error, "org.vmgr.Error.NotFound", "far");
}

/* A second test-driver connection: connected, with its own capacity; kept
 * across a restart of vmgrd; hidden from customers like the local one. */
static void
test_second_host (void)
{
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *node = g_build_filename (vmgr_test_daemon_get_state_dir (daemon_under_test),
                                            "second-node.xml", NULL);
  g_autofree char *uri = g_strconcat ("test://", node, NULL);
  g_autofree char *path = NULL;
  g_autoptr(GVariant) capacity = NULL;
  g_autoptr(GVariant) count = NULL;
  StateWait wait = { NULL, NULL, "connected" };

  g_assert_true (g_file_set_contents (node, node_xml, -1, NULL));
  path = add_host (client, "second", uri, NULL, &error);
  g_assert_no_error (error);
  wait.client = client;
  wait.path = path;
  g_assert_true (vmgr_test_wait (state_reached, &wait, WAIT_MS));
  /* Asked of its libvirt once connected. */
  g_assert_true (vmgr_test_wait (capacity_known, &wait, WAIT_MS));
  capacity = host_property (client, path, "Capacity", &error);
  g_assert_no_error (error);
  /* 4 CPUs at the default 400 % cpu overcommit; 64 GiB at 100 % (in
   * whole hundredths). */
  g_assert_cmpuint (lookup_st (capacity, "vcpus"), ==, 16);
  g_assert_cmpuint (lookup_st (capacity, "memory"), ==, (G_GUINT64_CONSTANT (64) << 30) / 100 * 100);
  count = host_property (client, path, "VMCount", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_variant_get_uint32 (count), ==, 0);

  /* A VM on each host: the option host places it; it runs there. */
  {
    guint32 local_before = vm_count (client);
    g_autoptr(VmgrDBusVM) there =
      vmgr_test_create_and_open (client, "on-second",
                                 g_variant_new_parsed ("{'host': <'second'>}"));
    g_autoptr(VmgrDBusVM) here =
      vmgr_test_create_and_open (client, "on-local-too",
                                 g_variant_new_parsed ("{'host': <'local'>}"));
    g_autofree char *nowhere = NULL;
    g_autoptr(GVariant) no_options = g_variant_ref_sink (g_variant_new_parsed ("{'host': <'nowhere'>}"));
    CountWait local_wait = { client, local_before + 1 };

    g_assert_cmpstr (vmgr_dbus_vm_get_host (there), ==, "second");
    g_assert_cmpstr (vmgr_dbus_vm_get_host (here), ==, "local");
    /* Without the option: the host with the most memory free. */
    {
      g_autoptr(VmgrDBusVM) placed = vmgr_test_create_and_open (client, "placed", NULL);

      g_assert_cmpstr (vmgr_dbus_vm_get_host (placed), ==, "second");
      vmgr_dbus_vm_call_delete_sync (placed, NULL, &error);
      g_assert_no_error (error);
    }
    /* The second host's capacity (16 vcpus) is checked for its VMs, not
     * the configured host's. */
    {
      g_autofree char *too_big = NULL;
      g_autoptr(GVariant) big = g_variant_ref_sink (
        g_variant_new_parsed ("{'host': <'second'>, 'vcpus': <uint32 17>}"));

      vmgr_dbus_manager_call_create_vm_sync (client->manager, "too-big", "debian-12", "basic",
                                             big, &too_big, NULL, &error);
      g_assert_null (too_big);
      vmgr_test_assert_dbus_error (error, "org.vmgr.Error.QuotaExceeded", "vcpus");
      g_clear_error (&error);
    }
    vmgr_test_start_and_wait (there);
    g_assert_true (vmgr_test_wait (count_reached, &local_wait, WAIT_MS));
    g_clear_pointer (&count, g_variant_unref);
    count = host_property (client, path, "VMCount", &error);
    g_assert_cmpuint (g_variant_get_uint32 (count), ==, 1);
    vmgr_dbus_manager_call_create_vm_sync (client->manager, "on-nowhere", "debian-12", "basic",
                                           no_options, &nowhere, NULL, &error);
    g_assert_null (nowhere);
    vmgr_test_assert_dbus_error (error, "org.vmgr.Error.NotFound", "nowhere");
    g_clear_error (&error);
    remove_host (client, "second", &error);
    vmgr_test_assert_dbus_error (error, "org.vmgr.Error.InvalidState", "second");
    g_clear_error (&error);
  }

  vmgr_test_daemon_restart (daemon_under_test);
  {
    g_autoptr(VmgrTestClient) after = vmgr_test_client_new ();
    g_autofree char *vm_path = NULL;
    g_autoptr(VmgrDBusVM) there = NULL;

    wait.client = after;
    g_assert_cmpuint (visible_hosts (after), ==, 2);
    g_assert_true (vmgr_test_wait (state_reached, &wait, WAIT_MS));
    vmgr_dbus_manager_call_find_vm_sync (after->manager, "on-second", &vm_path, NULL, &error);
    g_assert_no_error (error);
    there = vmgr_test_client_vm (after, vm_path);
    g_assert_cmpstr (vmgr_dbus_vm_get_host (there), ==, "second");
    /* Its state comes from its own host once connected (the test driver
     * keeps a file-backed node's domains for the life of the connection
     * only: after vmgrd's restart it is defined there again, stopped). */
    g_assert_true (vmgr_test_wait_state (there, "stopped", WAIT_MS));
    vmgr_test_start_and_wait (there);
    vmgr_dbus_vm_call_stop_sync (there, NULL, &error);
    g_assert_no_error (error);
    g_assert_true (vmgr_test_wait_state (there, "stopped", WAIT_MS));
    vmgr_dbus_vm_call_delete_sync (there, NULL, &error);
    g_assert_no_error (error);
    g_clear_object (&there);
    remove_host (after, "second", &error);
    g_assert_no_error (error);
    g_assert_cmpuint (visible_hosts (after), ==, 1);
  }
}

static void
test_customer_refused (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr(VmgrTestClient) client = NULL;
      g_autoptr(GError) error = NULL;
      g_autofree char *path = NULL;

      vmgr_test_become_user (VMGR_TEST_UID_ALICE);
      client = vmgr_test_client_new ();
      path = add_host (client, "mine", UNREACHABLE_URI, NULL, &error);
      g_assert_null (path);
      vmgr_test_assert_dbus_error (error, "org.vmgr.Error.NotAuthorized", NULL);
      g_clear_error (&error);
      remove_host (client, "local", &error);
      vmgr_test_assert_dbus_error (error, "org.vmgr.Error.NotAuthorized", NULL);
      return;
    }
  g_test_trap_subprocess (NULL, 60 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  {
    g_autoptr(VmgrTestClient) root = vmgr_test_client_new ();

    g_assert_cmpuint (visible_hosts (root), ==, 1);
  }
}

/* vmgrctl hosts, host-add, host-remove and create --host; a customer's
 * hosts list is empty. */
static void
test_vmgrctl (void)
{
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *path = NULL;
  g_autoptr(VmgrDBusVM) vm = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (vmgr_test_run_vmgrctl_as (VMGR_TEST_UID_ADMIN, &out, &err, "hosts", NULL), ==, 0);
  g_assert_nonnull (strstr (out, "local"));
  g_assert_nonnull (strstr (out, "connected"));
  g_assert_nonnull (strstr (out, "test:///default"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (vmgr_test_run_vmgrctl_as (VMGR_TEST_UID_ADMIN, &out, &err, "host-add", "far",
                                             UNREACHABLE_URI, NULL), ==, 0);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (vmgr_test_run_vmgrctl_as (VMGR_TEST_UID_ADMIN, &out, &err, "hosts", "--json",
                                             NULL), ==, 0);
  g_assert_nonnull (strstr (out, "\"far\""));
  g_assert_nonnull (strstr (out, "\"disconnected\""));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (vmgr_test_run_vmgrctl_as (VMGR_TEST_UID_ADMIN, &out, &err, "host-add", "far",
                                             UNREACHABLE_URI, NULL), !=, 0);
  g_assert_nonnull (strstr (err, "already exists"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  /* On a disconnected host, creation fails. */
  g_assert_cmpint (vmgr_test_run_vmgrctl_as (VMGR_TEST_UID_ADMIN, &out, &err, "create", "cli-far",
                                             "--template", "debian-12", "--plan", "basic",
                                             "--host", "far", NULL), !=, 0);
  g_test_message ("create --host far: %s", err);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (vmgr_test_run_vmgrctl_as (VMGR_TEST_UID_ADMIN, &out, &err, "create", "cli-local",
                                             "--template", "debian-12", "--plan", "basic",
                                             "--host", "local", NULL), ==, 0);
  vmgr_dbus_manager_call_find_vm_sync (client->manager, "cli-local", &path, NULL, &error);
  g_assert_no_error (error);
  vm = vmgr_test_client_vm (client, path);
  g_assert_cmpstr (vmgr_dbus_vm_get_host (vm), ==, "local");
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (vmgr_test_run_vmgrctl_as (VMGR_TEST_UID_ADMIN, &out, &err, "host-remove", "far",
                                             NULL), ==, 0);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (vmgr_test_run_vmgrctl_as (VMGR_TEST_UID_ALICE, &out, &err, "hosts", NULL), ==, 0);
  g_assert_null (strstr (out, "local"));
  g_assert_cmpuint (visible_hosts (client), ==, 1);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/hosts/local-host", test_local_host);
  g_test_add_func ("/hosts/administrator-sees", test_administrator_sees);
  g_test_add_data_func ("/hosts/invisible-to-customer", GUINT_TO_POINTER (VMGR_TEST_UID_ALICE),
                        test_invisible_to);
  g_test_add_data_func ("/hosts/invisible-to-stranger", GUINT_TO_POINTER (VMGR_TEST_UID_MALLORY),
                        test_invisible_to);
  g_test_add_func ("/hosts/add-bad-input", test_add_host_bad_input);
  g_test_add_func ("/hosts/add-unreachable", test_add_unreachable_host);
  g_test_add_func ("/hosts/second-host", test_second_host);
  g_test_add_func ("/hosts/customer-refused", test_customer_refused);
  g_test_add_func ("/hosts/vmgrctl", test_vmgrctl);

  return vmgr_test_run_with_daemon (NULL, NULL, &daemon_under_test);
}
