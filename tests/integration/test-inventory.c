/* GetManagedObjects as the serialized properties it is answered from: a
 * caller who sees everything gets each change (a VM created, a property
 * set, a VM deleted) in the next reply; a customer only their own VMs. */
#include "vmgr-test-client.h"
#include "vmgr-test-env.h"

#define ALICE_VM_ID 4301
#define ALICE_VM_PATH "/org/vmgr/vm/4301"

static VmgrTestDaemon *vmgrd;

/* The properties of org.vmgr.VM at @path in @client's inventory, or NULL. */
static GVariant *
inventory_vm (VmgrTestClient *client, const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = vmgr_test_call (client, "/org/vmgr",
                                              "org.freedesktop.DBus.ObjectManager",
                                              "GetManagedObjects", NULL, &error);
  g_autoptr(GVariant) objects = NULL;
  g_autoptr(GVariant) interfaces = NULL;

  g_assert_no_error (error);
  objects = g_variant_get_child_value (reply, 0);
  interfaces = g_variant_lookup_value (objects, path, G_VARIANT_TYPE ("a{sa{sv}}"));
  if (interfaces == NULL)
    return NULL;
  return g_variant_lookup_value (interfaces, "org.vmgr.VM", G_VARIANT_TYPE_VARDICT);
}

static gboolean
inventory_autostart (VmgrTestClient *client, const char *path)
{
  g_autoptr(GVariant) vm = inventory_vm (client, path);
  gboolean autostart = FALSE;

  g_assert_nonnull (vm);
  g_assert_true (g_variant_lookup (vm, "Autostart", "b", &autostart));
  return autostart;
}

static void
set_autostart (VmgrTestClient *client, const char *path, gboolean autostart)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply G_GNUC_UNUSED = vmgr_test_call (client, path, "org.vmgr.VM", "SetAutostart",
                                              g_variant_new ("(b)", autostart), &error);

  g_assert_no_error (error);
}

static void
test_follows_changes (void)
{
  g_autoptr(VmgrTestClient) root = vmgr_test_client_new ();
  g_autofree char *path = NULL;
  g_autoptr(GVariant) gone = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;

  path = vmgr_test_create_vm (root, "kept", "debian-12", "basic", NULL);
  g_assert_false (inventory_autostart (root, path));
  /* Twice: the second reply is the kept one. */
  g_assert_false (inventory_autostart (root, path));
  set_autostart (root, path, TRUE);
  g_assert_true (inventory_autostart (root, path));
  reply = vmgr_test_call (root, path, "org.vmgr.VM", "Delete", NULL, &error);
  g_assert_no_error (error);
  gone = inventory_vm (root, path);
  g_assert_null (gone);
}

static void
customer_sees_own_only (void)
{
  g_autoptr(VmgrTestClient) alice = NULL;
  g_autoptr(GVariant) own = NULL;
  g_autoptr(GVariant) others = NULL;

  vmgr_test_become_user (VMGR_TEST_UID_ALICE);
  alice = vmgr_test_client_new ();
  own = inventory_vm (alice, ALICE_VM_PATH);
  g_assert_nonnull (own);
  others = inventory_vm (alice, "/org/vmgr/vm/4302");
  g_assert_null (others);
}

static void
test_customer_own_only (void)
{
  g_autoptr(VmgrTestClient) root = NULL;

  if (g_test_subprocess ())
    {
      customer_sees_own_only ();
      return;
    }
  root = vmgr_test_client_new ();
  g_free (vmgr_test_create_vm (root, "alices", "debian-12", "basic",
                               g_variant_new_parsed ("{'id': <uint32 %u>, 'owner': <uint32 %u>}",
                                                     ALICE_VM_ID, VMGR_TEST_UID_ALICE)));
  g_free (vmgr_test_create_vm (root, "bobs", "debian-12", "basic",
                               g_variant_new_parsed ("{'id': <uint32 4302>, 'owner': <uint32 %u>}",
                                                     VMGR_TEST_UID_BOB)));
  /* Root sees both in the kept inventory. */
  {
    g_autoptr(GVariant) bobs = inventory_vm (root, "/org/vmgr/vm/4302");

    g_assert_nonnull (bobs);
  }
  g_test_trap_subprocess (NULL, 60 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/inventory/follows-changes", test_follows_changes);
  g_test_add_func ("/inventory/customer-own-only", test_customer_own_only);
  return vmgr_test_run_with_daemon (NULL, NULL, &vmgrd);
}
