/* Adopting libvirt domains vmgr does not manage (issue 11): the test
 * driver's own domain "test" is listed and adopted with its real
 * resources, which then count like any VM's; vmgr's own domains are never
 * listed; only administrators may list or adopt. */
#include <string.h>

#include "vmgr-test-client.h"
#include "vmgr-test-env.h"

#define MiB (G_GUINT64_CONSTANT (1) << 20)
#define WAIT_MS 10000

static VmgrTestDaemon *daemon_under_test;

/* The test driver's predefined domain (test:///default). */
#define FOREIGN "test"

static GVariant *
list_unmanaged (VmgrTestClient *client, GError **error)
{
  return vmgr_test_call (client, "/org/vmgr/Manager", "org.vmgr.Manager",
                         "ListUnmanagedDomains", NULL, error);
}

/* The info of the unmanaged domain @name, or NULL. */
static GVariant *
find_unmanaged (VmgrTestClient *client, const char *name)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = list_unmanaged (client, &error);
  g_autoptr(GVariant) domains = NULL;
  GVariantIter iter;
  const char *domain, *uuid;
  GVariant *info;

  g_assert_no_error (error);
  domains = g_variant_get_child_value (reply, 0);
  g_variant_iter_init (&iter, domains);
  while (g_variant_iter_next (&iter, "(&s&s@a{sv})", &domain, &uuid, &info))
    {
      g_assert_cmpuint (strlen (uuid), ==, 36);
      if (g_str_equal (domain, name))
        return info;
      g_variant_unref (info);
    }
  return NULL;
}

static guint64
host_allocated_memory (VmgrTestClient *client)
{
  g_autoptr(GVariant) info = NULL;
  g_autoptr(GError) error = NULL;
  guint64 memory = 0;

  vmgr_dbus_manager_call_get_host_info_sync (client->manager, &info, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_variant_lookup (info, "allocated_memory", "t", &memory));
  return memory;
}

static guint64
read_memory_limit (VmgrTestClient *client, const char *path)
{
  g_autoptr(GVariant) value = vmgr_test_read_vm_property (client, path, "MemoryLimit");

  return g_variant_get_uint64 (value);
}

static GVariant *
adopt (VmgrTestClient *client, const char *domain, const char *name, GVariant *options,
       GError **error)
{
  if (options == NULL)
    options = g_variant_new ("a{sv}", NULL);
  return vmgr_test_call (client, "/org/vmgr/Manager", "org.vmgr.Manager", "AdoptVM",
                         g_variant_new ("(ss@a{sv})", domain, name, options), error);
}

/* Only administrators: a customer and a stranger are refused, and learn
 * nothing. */
static void
test_not_authorized (void)
{
  if (g_test_subprocess ())
    {
      const guint32 users[] = { VMGR_TEST_UID_ALICE, VMGR_TEST_UID_MALLORY };

      vmgr_test_become_user (users[g_str_has_suffix (g_test_get_path (), "x") ? 1 : 0]);
      {
        g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) listed = list_unmanaged (client, &error);
        g_autoptr(GVariant) adopted = NULL;

        g_assert_null (listed);
        vmgr_test_assert_dbus_error (error, "org.vmgr.Error.NotAuthorized", "org.vmgr.vm.adopt");
        g_clear_error (&error);
        adopted = adopt (client, FOREIGN, "mine", NULL, &error);
        g_assert_null (adopted);
        vmgr_test_assert_dbus_error (error, "org.vmgr.Error.NotAuthorized", "org.vmgr.vm.adopt");
      }
      return;
    }
  {
    g_autoptr(VmgrTestClient) root = vmgr_test_client_new ();
    guint before = vmgr_test_count_vms (root);
    g_autoptr(GVariant) unmanaged_before = list_unmanaged (root, NULL);
    g_autoptr(GVariant) unmanaged_after = NULL;

    g_test_trap_subprocess (NULL, 60 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_passed ();
    unmanaged_after = list_unmanaged (root, NULL);
    g_assert_cmpuint (vmgr_test_count_vms (root), ==, before);
    g_assert_true (g_variant_equal (unmanaged_before, unmanaged_after));
  }
}

static void
test_list (void)
{
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  g_autofree char *own = vmgr_test_create_vm (client, "ours", "debian-12", "basic", NULL);
  g_autoptr(VmgrDBusVM) vm = vmgr_test_client_vm (client, own);
  g_autoptr(GVariant) info = find_unmanaged (client, FOREIGN);
  g_autoptr(GVariant) ours = NULL;
  g_autofree char *own_domain = g_strdup_printf ("ours-%u", vmgr_dbus_vm_get_id (vm));
  guint64 memory = 0;
  guint32 vcpus = 0;
  const char *state = NULL;

  g_assert_nonnull (info);
  g_assert_true (g_variant_lookup (info, "memory_limit", "t", &memory));
  g_assert_cmpuint (memory, >, 0);
  g_assert_true (g_variant_lookup (info, "vcpus", "u", &vcpus));
  g_assert_cmpuint (vcpus, >=, 1);
  g_assert_true (g_variant_lookup (info, "state", "&s", &state));
  g_assert_cmpstr (state, ==, "running");
  /* vmgr's own domains are not unmanaged. */
  ours = find_unmanaged (client, own_domain);
  g_assert_null (ours);
}

static void
test_bad_input (void)
{
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  static const struct {
    const char *domain, *name, *options, *error, *fragment;
  } cases[] = {
    { "", "", "@a{sv} {}", "org.vmgr.Error.InvalidArgument", "domain" },
    { FOREIGN, "bad name!", "@a{sv} {}", "org.vmgr.Error.InvalidArgument", "VM name" },
    { FOREIGN, "", "{'plan': <uint32 1>}", "org.vmgr.Error.InvalidArgument", "plan" },
    { FOREIGN, "", "{'memory_limit': <uint64 1>}", "org.vmgr.Error.InvalidArgument",
      "memory_limit" },
    { FOREIGN, "", "{'owner': <uint32 4000000>}", "org.vmgr.Error.InvalidArgument", "owner" },
    { "no-such-domain", "", "@a{sv} {}", "org.vmgr.Error.NotFound", "no-such-domain" },
    { FOREIGN, "", "{'plan': <'no-such-plan'>}", "org.vmgr.Error.NotFound", "no-such-plan" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GVariant) reply = adopt (client, cases[i].domain, cases[i].name,
                                         g_variant_new_parsed (cases[i].options), &error);

      g_test_message ("case %u: %s", i, error != NULL ? error->message : "adopted");
      g_assert_null (reply);
      vmgr_test_assert_dbus_error (error, cases[i].error, cases[i].fragment);
    }
  {
    g_autoptr(GVariant) still = find_unmanaged (client, FOREIGN);

    g_assert_nonnull (still);
  }
}

/* The domain's real memory counts against its new owner's quota. */
static void
test_over_quota (void)
{
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) customer G_GNUC_UNUSED = vmgr_test_call (
    client, "/org/vmgr/Manager", "org.vmgr.Manager", "AddCustomer",
    g_variant_new_parsed ("(uint32 %u, {'full_name': <'Mallory'>, 'email': <'m@example.org'>, "
                          "'national_id': <'ADOPT-M'>, 'max_memory': <uint64 268435456>})",
                          VMGR_TEST_UID_MALLORY),
    &error);
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) still = NULL;
  guint before;

  g_assert_no_error (error);
  before = vmgr_test_count_vms (client);
  reply = adopt (client, FOREIGN, "too-big",
                 g_variant_new_parsed ("{'owner': <uint32 %u>}", VMGR_TEST_UID_MALLORY), &error);
  g_assert_null (reply);
  vmgr_test_assert_dbus_error (error, "org.vmgr.Error.QuotaExceeded", NULL);
  g_assert_cmpuint (vmgr_test_count_vms (client), ==, before);
  still = find_unmanaged (client, FOREIGN);
  g_assert_nonnull (still);
}

static void
test_adopt (void)
{
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  g_autoptr(GVariant) info = find_unmanaged (client, FOREIGN);
  guint64 before = host_allocated_memory (client);
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) again = NULL;
  g_autoptr(GVariant) gone = NULL;
  g_autoptr(VmgrDBusVM) vm = NULL;
  g_autoptr(GError) error = NULL;
  const char *path = NULL;
  guint64 memory = 0;
  guint32 vcpus = 0;

  g_assert_nonnull (info);
  g_assert_true (g_variant_lookup (info, "memory_limit", "t", &memory));
  g_assert_true (g_variant_lookup (info, "vcpus", "u", &vcpus));
  reply = adopt (client, FOREIGN, "legacy",
                 g_variant_new_parsed ("{'owner': <uint32 %u>, 'plan': <'basic'>}",
                                       VMGR_TEST_UID_BOB),
                 &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(&o)", &path);
  vm = vmgr_test_client_vm (client, path);
  g_assert_cmpstr (vmgr_dbus_vm_get_name (vm), ==, "legacy");
  g_assert_cmpuint (vmgr_dbus_vm_get_owner (vm), ==, VMGR_TEST_UID_BOB);
  g_assert_cmpstr (vmgr_dbus_vm_get_plan (vm), ==, "basic");
  g_assert_cmpstr (vmgr_dbus_vm_get_template (vm), ==, "");
  g_assert_cmpstr (vmgr_dbus_vm_get_state (vm), ==, "running");
  /* libvirt's autostart flag, as the domain had it (the test driver's: off). */
  g_assert_false (vmgr_dbus_vm_get_autostart (vm));
  /* Its real resources, which the host's allocation now counts. */
  g_assert_cmpuint (vmgr_dbus_vm_get_memory_limit (vm), ==, memory);
  g_assert_cmpuint (vmgr_dbus_vm_get_vcpus (vm), ==, vcpus);
  g_assert_cmpuint (host_allocated_memory (client), ==, before + memory);
  gone = find_unmanaged (client, FOREIGN);
  g_assert_null (gone);
  /* Once is enough. */
  again = adopt (client, FOREIGN, "twice", NULL, &error);
  g_assert_null (again);
  vmgr_test_assert_dbus_error (error, "org.vmgr.Error.NotFound", FOREIGN);
  g_clear_error (&error);

  /* Managed like any VM: its definition keeps its own devices. */
  vmgr_dbus_vm_call_set_memory_sync (vm, 0, 0, memory / 2, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (read_memory_limit (client, path), ==, memory / 2);
  vmgr_dbus_vm_call_stop_sync (vm, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (vmgr_test_wait_state (vm, "stopped", WAIT_MS));
  vmgr_dbus_vm_call_start_sync (vm, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (vmgr_test_wait_state (vm, "running", WAIT_MS));

  /* And it stays vmgr's across a restart. */
  g_clear_object (&vm);
  vmgr_test_daemon_restart (daemon_under_test);
  {
    g_autoptr(VmgrTestClient) after = vmgr_test_client_new ();
    g_autoptr(VmgrDBusVM) kept = vmgr_test_client_vm (after, path);
    g_autoptr(GVariant) unlisted = find_unmanaged (after, FOREIGN);

    g_assert_cmpstr (vmgr_dbus_vm_get_name (kept), ==, "legacy");
    g_assert_cmpuint (vmgr_dbus_vm_get_owner (kept), ==, VMGR_TEST_UID_BOB);
    g_assert_null (unlisted);
  }
}

static void
test_vmgrctl (void)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  g_assert_cmpint (vmgr_test_run_vmgrctl_as (VMGR_TEST_UID_ROOT, &out, &err, "unmanaged", NULL),
                   ==, 0);
  g_assert_null (strstr (out, "legacy"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (vmgr_test_run_vmgrctl_as (VMGR_TEST_UID_ROOT, &out, &err, "adopt",
                                             "no-such-domain", "--name", "x", NULL), ==, 3);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (vmgr_test_run_vmgrctl_as (VMGR_TEST_UID_ALICE, &out, &err, "--no-ask-password",
                                             "unmanaged", NULL), ==, 4);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/adopt/not-authorized/customer", test_not_authorized);
  g_test_add_func ("/adopt/not-authorized/mallory-x", test_not_authorized);
  g_test_add_func ("/adopt/list", test_list);
  g_test_add_func ("/adopt/bad-input", test_bad_input);
  g_test_add_func ("/adopt/over-quota", test_over_quota);
  g_test_add_func ("/adopt/adopt", test_adopt);
  g_test_add_func ("/adopt/vmgrctl", test_vmgrctl);

  /* The test driver's domain "test" has 8 GiB on a small host. */
  return vmgr_test_run_with_daemon ("[resources]\nmemory_overcommit=1000\n", NULL,
                                    &daemon_under_test);
}
