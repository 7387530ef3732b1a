/* VM.Save on the test driver: the guest's state to libvirt's file and the
 * VM off (suspended, saved); Start restores it (restored); Stop throws it
 * away; states that cannot be saved; customers save their own VMs only;
 * vmgrctl save. The real guest (QEMU, uptime continuing) is in
 * tests/real/test-real-qemu.c. */
#include "vmgr-test-client.h"
#include "vmgr-test-env.h"

#define WAIT_MS 10000

static VmgrTestDaemon *daemon_under_test;

static void
test_capability (void)
{
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  const char *const *capabilities = vmgr_dbus_manager_get_capabilities (client->manager);

  g_assert_true (g_strv_contains (capabilities, "save"));
}

static void
test_save_and_restore (void)
{
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  g_autoptr(VmgrDBusVM) vm = vmgr_test_create_and_open (client, "saved", NULL);
  g_autoptr(VmgrTestStateRecorder) recorder = vmgr_test_state_recorder_new (vm);
  g_autoptr(GError) error = NULL;

  vmgr_test_start_and_wait (vm);
  vmgr_dbus_vm_call_save_sync (vm, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (vmgr_test_state_recorder_wait (recorder, "suspended", "saved", WAIT_MS));
  g_assert_true (vmgr_test_wait_state (vm, "suspended", WAIT_MS));
  g_assert_true (vmgr_test_wait_reason (vm, "saved", WAIT_MS));

  /* The test driver calls the start "booted"; vmgr knows it restored. */
  vmgr_dbus_vm_call_start_sync (vm, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (vmgr_test_state_recorder_wait (recorder, "running", "restored", WAIT_MS));
  g_assert_true (vmgr_test_wait_state (vm, "running", WAIT_MS));
  g_assert_true (vmgr_test_wait_reason (vm, "restored", WAIT_MS));

  /* Saved from paused too; the restored guest is no longer "restored"
   * once it goes through another state. */
  vmgr_dbus_vm_call_suspend_sync (vm, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (vmgr_test_wait_state (vm, "paused", WAIT_MS));
  vmgr_dbus_vm_call_resume_sync (vm, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (vmgr_test_wait_state (vm, "running", WAIT_MS));
  g_assert_cmpstr (vmgr_dbus_vm_get_state_reason (vm), !=, "restored");
  vmgr_dbus_vm_call_suspend_sync (vm, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (vmgr_test_wait_state (vm, "paused", WAIT_MS));
  vmgr_dbus_vm_call_save_sync (vm, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (vmgr_test_wait_state (vm, "suspended", WAIT_MS));
}

static void
test_stop_discards (void)
{
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  g_autoptr(VmgrDBusVM) vm = vmgr_test_create_and_open (client, "discarded", NULL);
  g_autoptr(GError) error = NULL;

  vmgr_test_start_and_wait (vm);
  vmgr_dbus_vm_call_save_sync (vm, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (vmgr_test_wait_state (vm, "suspended", WAIT_MS));

  vmgr_dbus_vm_call_stop_sync (vm, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (vmgr_test_wait_state (vm, "stopped", WAIT_MS));
  g_assert_cmpstr (vmgr_dbus_vm_get_state_reason (vm), ==, "saved-state-discarded");

  /* Nothing left to restore: the next start boots. */
  vmgr_test_start_and_wait (vm);
  g_assert_cmpstr (vmgr_dbus_vm_get_state_reason (vm), !=, "restored");
}

static void
test_states_that_cannot_save (void)
{
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  g_autoptr(VmgrDBusVM) vm = vmgr_test_create_and_open (client, "unsaveable", NULL);
  g_autoptr(GError) error = NULL;
  guint before;

  vmgr_dbus_vm_call_save_sync (vm, NULL, &error);
  vmgr_test_assert_dbus_error (error, "org.vmgr.Error.InvalidState", "running or paused");
  g_clear_error (&error);
  g_assert_cmpstr (vmgr_dbus_vm_get_state (vm), ==, "stopped");

  vmgr_test_start_and_wait (vm);
  vmgr_dbus_vm_call_save_sync (vm, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (vmgr_test_wait_state (vm, "suspended", WAIT_MS));
  vmgr_dbus_vm_call_save_sync (vm, NULL, &error);
  vmgr_test_assert_dbus_error (error, "org.vmgr.Error.InvalidState", "suspended");
  g_clear_error (&error);
  g_assert_cmpstr (vmgr_dbus_vm_get_state_reason (vm), ==, "saved");

  /* A saved VM is off: it is deleted with its saved state. */
  before = vmgr_test_count_vms (client);
  vmgr_dbus_vm_call_delete_sync (vm, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (vmgr_test_count_vms (client), ==, before - 1);
}

/* vmgrctl save as alice: her VM is saved; bob's answers as if it did not
 * exist, and stays running. */
static void
test_customers_and_vmgrctl (void)
{
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  g_autoptr(VmgrDBusVM) hers =
    vmgr_test_create_and_open (client, "alice-saves",
                     g_variant_new_parsed ("{'owner': <%u>}", VMGR_TEST_UID_ALICE));
  g_autoptr(VmgrDBusVM) his =
    vmgr_test_create_and_open (client, "bob-keeps",
                     g_variant_new_parsed ("{'owner': <%u>}", VMGR_TEST_UID_BOB));
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int status;

  vmgr_test_start_and_wait (hers);
  vmgr_test_start_and_wait (his);

  status = vmgr_test_run_vmgrctl_as (VMGR_TEST_UID_ALICE, &out, &err, "save", "alice-saves", NULL);
  g_assert_cmpint (status, ==, 0);
  g_assert_true (vmgr_test_wait_state (hers, "suspended", WAIT_MS));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  status = vmgr_test_run_vmgrctl_as (VMGR_TEST_UID_ALICE, &out, &err, "save",
                                     vmgr_dbus_vm_get_uuid (his), NULL);
  g_assert_cmpint (status, ==, 3); /* not found */
  g_assert_cmpstr (vmgr_dbus_vm_get_state (his), ==, "running");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/checkpoint/capability", test_capability);
  g_test_add_func ("/checkpoint/save-and-restore", test_save_and_restore);
  g_test_add_func ("/checkpoint/stop-discards", test_stop_discards);
  g_test_add_func ("/checkpoint/states-that-cannot-save", test_states_that_cannot_save);
  g_test_add_func ("/checkpoint/customers-and-vmgrctl", test_customers_and_vmgrctl);

  return vmgr_test_run_with_daemon ("[resources]\nmemory_overcommit=1000\n", NULL,
                                    &daemon_under_test);
}
