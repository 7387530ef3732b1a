/* Unit names as systemd makes them: escaping (the same bytes as
 * systemd-escape(1) writes) and instance units. */
#include "vmgr-systemd.h"
#include "vmgr-vm-units.h"

static void
test_escape (void)
{
  static const struct {
    const char *in;
    const char *out;
  } cases[] = {
    { "101", "101" },
    { "web1", "web1" },
    { "", "" },
    { "a-b", "a\\x2db" },
    { "a/b", "a-b" },
    { "my vm", "my\\x20vm" },
    { ".hidden", "\\x2ehidden" },
    { "a.b:c_d", "a.b:c_d" },
    { "back\\slash", "back\\x5cslash" },
    { "caf\xc3\xa9", "caf\\xc3\\xa9" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *escaped = vmgr_systemd_escape (cases[i].in);

      g_assert_cmpstr (escaped, ==, cases[i].out);
    }
}

static void
test_instance_units (void)
{
  g_autofree char *plain = vmgr_systemd_instance_unit ("vmgr-vm", "101", "target");
  g_autofree char *escaped = vmgr_systemd_instance_unit ("vmgr-vm", "web-1", "target");
  g_autofree char *vm = vmgr_vm_units_target (4294967295u);
  g_autofree char *crashed = vmgr_vm_units_crashed_target (101);

  g_assert_cmpstr (plain, ==, "vmgr-vm@101.target");
  g_assert_cmpstr (escaped, ==, "vmgr-vm@web\\x2d1.target");
  g_assert_cmpstr (vm, ==, "vmgr-vm@4294967295.target");
  g_assert_cmpstr (crashed, ==, "vmgr-vm-crashed@101.target");
}

static void
test_active_states (void)
{
  g_assert_true (vmgr_systemd_state_is_active ("active"));
  g_assert_true (vmgr_systemd_state_is_active ("activating"));
  g_assert_true (vmgr_systemd_state_is_active ("reloading"));
  g_assert_false (vmgr_systemd_state_is_active ("inactive"));
  g_assert_false (vmgr_systemd_state_is_active ("deactivating"));
  g_assert_false (vmgr_systemd_state_is_active ("failed"));
  g_assert_false (vmgr_systemd_state_is_active (NULL));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/systemd/names/escape", test_escape);
  g_test_add_func ("/systemd/names/instance-units", test_instance_units);
  g_test_add_func ("/systemd/names/active-states", test_active_states);
  return g_test_run ();
}
