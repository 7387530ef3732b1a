/* The ledger's bookkeeping: names per owner, totals per owner and for
 * everybody, and the lowest free id, kept as VMs come, change and go. */
#include <glib.h>

#include "vmgr-ledger.h"
#include "vmgr-validate.h"

static VmgrVmSpec *
make_spec (guint32 id, guint32 owner, const char *name, guint32 vcpus, guint64 memory)
{
  VmgrVmSpec *spec = vmgr_vm_spec_new ();

  spec->id = id;
  spec->owner = owner;
  g_free (spec->name);
  spec->name = g_strdup (name);
  spec->vcpus = vcpus;
  spec->memory_limit = memory;
  return spec;
}

static VmgrLedger *
new_ledger (void)
{
  const char * const capabilities[] = { NULL };

  return vmgr_ledger_new (capabilities, "test");
}

static void
assert_allocation (VmgrLedger *ledger, guint32 owner, guint32 vms, guint32 vcpus,
                   guint64 memory)
{
  VmgrAllocation allocation = vmgr_ledger_allocation (ledger, owner);

  g_assert_cmpuint (allocation.vms, ==, vms);
  g_assert_cmpuint (allocation.vcpus, ==, vcpus);
  g_assert_cmpuint (allocation.memory, ==, memory);
}

static void
test_names (void)
{
  g_autoptr(VmgrLedger) ledger = new_ledger ();
  g_autoptr(VmgrVmSpec) web = make_spec (101, 1000, "web", 1, 100);
  g_autoptr(VmgrVmSpec) renamed = make_spec (101, 1000, "www", 1, 100);
  g_autoptr(VmgrVmSpec) reserved = make_spec (102, 1001, "web", 1, 100);

  vmgr_ledger_put_vm (ledger, web);
  g_assert_true (vmgr_ledger_name_taken (ledger, 1000, "web"));
  /* Names are unique per owner only. */
  g_assert_false (vmgr_ledger_name_taken (ledger, 1001, "web"));
  vmgr_ledger_put_vm (ledger, renamed);
  g_assert_false (vmgr_ledger_name_taken (ledger, 1000, "web"));
  g_assert_true (vmgr_ledger_name_taken (ledger, 1000, "www"));
  vmgr_ledger_reserve (ledger, reserved);
  g_assert_true (vmgr_ledger_name_taken (ledger, 1001, "web"));
  vmgr_ledger_release (ledger, 102);
  g_assert_false (vmgr_ledger_name_taken (ledger, 1001, "web"));
  /* A creation's reservation and its VM hold the name together for a moment. */
  vmgr_ledger_reserve (ledger, renamed);
  vmgr_ledger_remove_vm (ledger, 101);
  g_assert_true (vmgr_ledger_name_taken (ledger, 1000, "www"));
  vmgr_ledger_release (ledger, 101);
  g_assert_false (vmgr_ledger_name_taken (ledger, 1000, "www"));
}

static void
test_totals (void)
{
  g_autoptr(VmgrLedger) ledger = new_ledger ();
  g_autoptr(VmgrVmSpec) a = make_spec (101, 1000, "a", 2, 100);
  g_autoptr(VmgrVmSpec) b = make_spec (102, 1000, "b", 3, 200);
  g_autoptr(VmgrVmSpec) moved = make_spec (102, 1001, "b", 4, 300);
  g_autoptr(VmgrVmSpec) creating = make_spec (103, 1001, "c", 1, 50);

  vmgr_ledger_put_vm (ledger, a);
  vmgr_ledger_put_vm (ledger, b);
  assert_allocation (ledger, 1000, 2, 5, 300);
  assert_allocation (ledger, G_MAXUINT32, 2, 5, 300);
  /* Changed in place: to another owner, with more. */
  vmgr_ledger_put_vm (ledger, moved);
  assert_allocation (ledger, 1000, 1, 2, 100);
  assert_allocation (ledger, 1001, 1, 4, 300);
  vmgr_ledger_reserve (ledger, creating);
  assert_allocation (ledger, 1001, 2, 5, 350);
  assert_allocation (ledger, G_MAXUINT32, 3, 7, 450);
  vmgr_ledger_release (ledger, 103);
  vmgr_ledger_remove_vm (ledger, 101);
  vmgr_ledger_remove_vm (ledger, 101);  /* twice: nothing more */
  assert_allocation (ledger, 1000, 0, 0, 0);
  assert_allocation (ledger, G_MAXUINT32, 1, 4, 300);
}

/* RemoveHost asks whether a creation under way targets the host. */
static void
test_host_reserved (void)
{
  g_autoptr(VmgrLedger) ledger = new_ledger ();
  g_autoptr(VmgrVmSpec) here = make_spec (101, 1000, "here", 1, 100);
  g_autoptr(VmgrVmSpec) there = make_spec (102, 1000, "there", 1, 100);
  g_autoptr(VmgrVmSpec) existing = make_spec (103, 1000, "existing", 1, 100);

  g_free (there->host);
  there->host = g_strdup ("h1");
  g_free (existing->host);
  existing->host = g_strdup ("h2");
  vmgr_ledger_put_vm (ledger, existing);
  g_assert_false (vmgr_ledger_host_reserved (ledger, "h2"));
  vmgr_ledger_reserve (ledger, here);
  g_assert_true (vmgr_ledger_host_reserved (ledger, ""));
  g_assert_false (vmgr_ledger_host_reserved (ledger, "h1"));
  vmgr_ledger_reserve (ledger, there);
  g_assert_true (vmgr_ledger_host_reserved (ledger, "h1"));
  vmgr_ledger_release (ledger, 102);
  g_assert_false (vmgr_ledger_host_reserved (ledger, "h1"));
  vmgr_ledger_release (ledger, 101);
  g_assert_false (vmgr_ledger_host_reserved (ledger, ""));
}

/* Sums saturate as VmgrAllocation does, and come back exactly. */
static void
test_totals_saturate (void)
{
  g_autoptr(VmgrLedger) ledger = new_ledger ();
  g_autoptr(VmgrVmSpec) huge = make_spec (101, 1000, "huge", 1, G_MAXUINT64 - 10);
  g_autoptr(VmgrVmSpec) more = make_spec (102, 1000, "more", 1, 100);

  vmgr_ledger_put_vm (ledger, huge);
  vmgr_ledger_put_vm (ledger, more);
  assert_allocation (ledger, 1000, 2, 2, G_MAXUINT64);
  vmgr_ledger_remove_vm (ledger, 101);
  assert_allocation (ledger, 1000, 1, 1, 100);
}

static void
test_next_id (void)
{
  g_autoptr(VmgrLedger) ledger = new_ledger ();

  for (guint32 id = VMGR_VM_ID_FIRST; id < VMGR_VM_ID_FIRST + 3; id++)
    {
      g_autoptr(VmgrVmSpec) spec = make_spec (id, 0, "x", 1, 1);

      g_assert_cmpuint (vmgr_ledger_next_vm_id (ledger), ==, id);
      spec->name[0] = (char) ('a' + id % 26);
      vmgr_ledger_put_vm (ledger, spec);
    }
  g_assert_cmpuint (vmgr_ledger_next_vm_id (ledger), ==, VMGR_VM_ID_FIRST + 3);
  /* A deleted VM's id is never given again. */
  vmgr_ledger_remove_vm (ledger, VMGR_VM_ID_FIRST + 1);
  g_assert_cmpuint (vmgr_ledger_next_vm_id (ledger), ==, VMGR_VM_ID_FIRST + 3);
  /* A creation that failed gives its id back: the lowest free one again. */
  {
    g_autoptr(VmgrVmSpec) failed = make_spec (VMGR_VM_ID_FIRST + 3, 0, "failed", 1, 1);

    vmgr_ledger_reserve (ledger, failed);
    g_assert_cmpuint (vmgr_ledger_next_vm_id (ledger), ==, VMGR_VM_ID_FIRST + 4);
    vmgr_ledger_release (ledger, VMGR_VM_ID_FIRST + 3);
    g_assert_cmpuint (vmgr_ledger_next_vm_id (ledger), ==, VMGR_VM_ID_FIRST + 3);
  }
}

/* The capacity is the configured host's: VMs on other hosts do not
 * count against it, and a VM for another host is not checked against it. */
static void
test_configured_host_capacity (void)
{
  g_autoptr(VmgrLedger) ledger = NULL;
  VmgrCapacity capacity = { .host_cpus = 4, .vcpus = 4, .memory = G_GUINT64_CONSTANT (4) << 30 };
  g_autoptr(VmgrVmSpec) here = make_spec (101, 1000, "here", 2, G_GUINT64_CONSTANT (3) << 30);
  g_autoptr(VmgrVmSpec) there = make_spec (102, 1000, "there", 4, G_GUINT64_CONSTANT (8) << 30);
  g_autoptr(VmgrVmSpec) more_here = make_spec (103, 1000, "more", 1, G_GUINT64_CONSTANT (2) << 30);
  g_autoptr(VmgrVmSpec) more_there = make_spec (104, 1000, "more-there", 4, G_GUINT64_CONSTANT (8) << 30);
  g_autoptr(GError) error = NULL;
  VmgrAllocation configured;

  ledger = new_ledger ();
  vmgr_ledger_set_capacity (ledger, &capacity);
  g_free (there->host);
  there->host = g_strdup ("rack2");
  g_free (more_there->host);
  more_there->host = g_strdup ("rack2");
  vmgr_ledger_put_vm (ledger, here);
  vmgr_ledger_check (ledger, NULL, there, &error);
  g_assert_no_error (error);
  vmgr_ledger_put_vm (ledger, there);
  configured = vmgr_ledger_configured_host_allocation (ledger);
  g_assert_cmpuint (configured.vms, ==, 1);
  g_assert_cmpuint (configured.memory, ==, G_GUINT64_CONSTANT (3) << 30);
  assert_allocation (ledger, G_MAXUINT32, 2, 6, G_GUINT64_CONSTANT (11) << 30);
  g_assert_true (vmgr_ledger_check (ledger, NULL, more_there, &error));
  g_assert_no_error (error);
  /* 3 GiB + 2 GiB on the configured host is over its 4 GiB. */
  g_assert_false (vmgr_ledger_check (ledger, NULL, more_here, &error));
  g_assert_nonnull (error);
}

/* What the ledger keeps of a VM: what it counts and what authorizing a
 * call about it reads; not the template or the network settings. */
static void
test_kept_fields (void)
{
  g_autoptr(VmgrLedger) ledger = new_ledger ();
  g_autoptr(VmgrVmSpec) web = make_spec (101, 1000, "web", 2, 100);
  const VmgrVmSpec *kept;

  g_free (web->uuid);
  web->uuid = g_strdup ("6f1c2a3e-8d4b-4c5e-9f60-7a8b9c0d1e2f");
  g_free (web->plan);
  web->plan = g_strdup ("basic");
  g_free (web->template_name);
  web->template_name = g_strdup ("debian-12");
  g_free (web->host);
  web->host = g_strdup ("h2");
  web->disk_hard_limit = 4096;
  web->autostart = TRUE;
  vmgr_ledger_put_vm (ledger, web);
  kept = vmgr_ledger_get_vm (ledger, 101);
  g_assert_nonnull (kept);
  g_assert_true (kept != web);
  g_assert_cmpuint (kept->id, ==, 101);
  g_assert_cmpstr (kept->name, ==, "web");
  g_assert_cmpstr (kept->uuid, ==, web->uuid);
  g_assert_cmpuint (kept->owner, ==, 1000);
  g_assert_cmpstr (kept->plan, ==, "basic");
  g_assert_cmpstr (kept->host, ==, "h2");
  g_assert_cmpuint (kept->vcpus, ==, 2);
  g_assert_cmpuint (kept->memory_limit, ==, 100);
  g_assert_cmpuint (kept->disk_hard_limit, ==, 4096);
  g_assert_true (kept->autostart);
  g_assert_null (kept->template_name);
  g_assert_null (kept->addresses);
  vmgr_ledger_remove_vm (ledger, 101);
  g_assert_null (vmgr_ledger_get_vm (ledger, 101));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/ledger/names", test_names);
  g_test_add_func ("/ledger/configured-host-capacity", test_configured_host_capacity);
  g_test_add_func ("/ledger/totals", test_totals);
  g_test_add_func ("/ledger/totals/saturate", test_totals_saturate);
  g_test_add_func ("/ledger/next-id", test_next_id);
  g_test_add_func ("/ledger/host-reserved", test_host_reserved);
  g_test_add_func ("/ledger/kept-fields", test_kept_fields);
  return g_test_run ();
}
