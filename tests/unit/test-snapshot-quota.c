/* Snapshot names (an object path element as they are) and the ledger's
 * snapshot quota: max_snapshots counts the snapshots of all the VMs of a
 * registered customer; 0, and owners who are no customers, have no limit. */
#include <string.h>

#include "vmgr-error.h"
#include "vmgr-ledger.h"
#include "vmgr-validate-customer.h"
#include "vmgr-validate.h"

static void
test_names (void)
{
  const char *const valid[] = { "a", "Z", "0", "9lives", "before_upgrade", "a_b_c", "x1_", NULL };
  const char *const invalid[] = { "", "_a", "a-b", "a.b", "a b", "a/b", "..", "caf\xc3\xa9",
                                  "a\nb", NULL };
  g_autofree char *longest = g_strnfill (VMGR_NAME_MAX, 'n');
  g_autofree char *too_long = g_strnfill (VMGR_NAME_MAX + 1, 'n');
  g_autoptr(GError) error = NULL;

  for (guint i = 0; valid[i] != NULL; i++)
    {
      g_autofree char *path = g_strconcat ("/org/vmgr/vm/101/snapshot/", valid[i], NULL);

      g_assert_true (vmgr_validate_snapshot_name (valid[i], NULL));
      g_assert_true (g_variant_is_object_path (path));
    }
  for (guint i = 0; invalid[i] != NULL; i++)
    g_assert_false (vmgr_validate_snapshot_name (invalid[i], NULL));
  g_assert_true (vmgr_validate_snapshot_name (longest, NULL));
  g_assert_false (vmgr_validate_snapshot_name (too_long, &error));
  g_assert_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "invalid snapshot name"));
  g_clear_error (&error);
  g_assert_false (vmgr_validate_snapshot_name (NULL, &error));
  g_assert_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_ARGUMENT);
}

static void
put_vm (VmgrLedger *ledger, guint32 id, guint32 owner)
{
  g_autoptr(VmgrVmSpec) spec = vmgr_vm_spec_new ();

  spec->id = id;
  spec->owner = owner;
  g_free (spec->name);
  spec->name = g_strdup_printf ("vm%u", id);
  vmgr_ledger_put_vm (ledger, spec);
}

static void
test_quota (void)
{
  const char *const capabilities[] = { "snapshots", NULL };
  g_autoptr(VmgrLedger) ledger = vmgr_ledger_new (capabilities, "test");
  g_autoptr(VmgrCustomerInfo) customer = vmgr_customer_info_new (1000);
  g_autoptr(GError) error = NULL;

  customer->max_snapshots = 2;
  vmgr_ledger_put_customer (ledger, customer);
  put_vm (ledger, 101, 1000);
  put_vm (ledger, 102, 1000);
  put_vm (ledger, 103, 2000);
  vmgr_ledger_set_snapshot_count (ledger, 101, 1);
  g_assert_true (vmgr_ledger_check_new_snapshot (ledger, 1000, NULL));
  vmgr_ledger_set_snapshot_count (ledger, 102, 1);
  vmgr_ledger_set_snapshot_count (ledger, 103, 7);
  g_assert_cmpuint (vmgr_ledger_snapshot_count (ledger, 1000), ==, 2);
  g_assert_false (vmgr_ledger_check_new_snapshot (ledger, 1000, &error));
  g_assert_error (error, VMGR_ERROR, VMGR_ERROR_QUOTA_EXCEEDED);
  g_assert_nonnull (strstr (error->message, "max_snapshots is 2"));
  g_clear_error (&error);
  /* No customer record: no quota. */
  g_assert_true (vmgr_ledger_check_new_snapshot (ledger, 2000, NULL));

  /* A deleted VM's snapshots no longer count. */
  vmgr_ledger_remove_vm (ledger, 101);
  g_assert_cmpuint (vmgr_ledger_snapshot_count (ledger, 1000), ==, 1);
  g_assert_true (vmgr_ledger_check_new_snapshot (ledger, 1000, NULL));

  /* 0 is no limit. */
  vmgr_ledger_set_snapshot_count (ledger, 102, 50);
  customer->max_snapshots = 0;
  vmgr_ledger_put_customer (ledger, customer);
  g_assert_true (vmgr_ledger_check_new_snapshot (ledger, 1000, NULL));
}

/* AddCustomer's and Update's key. */
static void
test_customer_key (void)
{
  g_autoptr(VmgrCustomerInfo) info = vmgr_customer_info_new (1000);
  g_autoptr(GVariant) five = g_variant_ref_sink (g_variant_new_parsed ("{'max_snapshots': <uint32 5>}"));
  g_autoptr(GVariant) text = g_variant_ref_sink (g_variant_new_parsed ("{'max_snapshots': <'5'>}"));
  g_autoptr(GError) error = NULL;

  g_assert_true (vmgr_customer_info_apply (info, five, FALSE, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (info->max_snapshots, ==, 5);
  g_assert_false (vmgr_customer_info_apply (info, text, FALSE, &error));
  g_assert_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_ARGUMENT);
  g_assert_cmpuint (info->max_snapshots, ==, 5);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/snapshot-quota/names", test_names);
  g_test_add_func ("/snapshot-quota/ledger", test_quota);
  g_test_add_func ("/snapshot-quota/customer-key", test_customer_key);

  return g_test_run ();
}
