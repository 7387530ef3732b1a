/* The serialized properties kept per interface and per object: the same
 * reply until a property changes or an interface comes or goes. */
#include <glib.h>

#include "vmgr-generated.h"
#include "vmgr-property-cache.h"

static char *
state_of_entry (GVariant *entry)
{
  g_autoptr(GVariant) interfaces = g_variant_get_child_value (entry, 1);
  g_autoptr(GVariant) properties = g_variant_lookup_value (interfaces, "org.vmgr.VM",
                                                           G_VARIANT_TYPE_VARDICT);
  char *state = NULL;

  g_assert_nonnull (properties);
  g_assert_true (g_variant_lookup (properties, "State", "s", &state));
  return state;
}

static void
test_interface_follows_changes (void)
{
  g_autoptr(VmgrDBusVM) vm = vmgr_dbus_vm_skeleton_new ();
  g_autoptr(GVariant) first = NULL;
  g_autoptr(GVariant) again = NULL;
  g_autoptr(GVariant) changed = NULL;
  const char *state = NULL;

  vmgr_dbus_vm_set_state (vm, "stopped");
  first = vmgr_property_cache_interface (G_DBUS_INTERFACE_SKELETON (vm));
  again = vmgr_property_cache_interface (G_DBUS_INTERFACE_SKELETON (vm));
  g_assert_true (first == again);
  vmgr_dbus_vm_set_state (vm, "running");
  changed = vmgr_property_cache_interface (G_DBUS_INTERFACE_SKELETON (vm));
  g_assert_true (changed != first);
  g_assert_true (g_variant_lookup (changed, "State", "&s", &state));
  g_assert_cmpstr (state, ==, "running");
}

static void
test_object_follows_changes (void)
{
  g_autoptr(VmgrDBusObjectSkeleton) object = vmgr_dbus_object_skeleton_new ("/org/vmgr/vm/101");
  g_autoptr(VmgrDBusVM) vm = vmgr_dbus_vm_skeleton_new ();
  g_autoptr(GVariant) empty = NULL;
  g_autoptr(GVariant) stopped = NULL;
  g_autoptr(GVariant) running = NULL;
  g_autofree char *state = NULL;
  g_autofree char *state_after = NULL;

  empty = vmgr_property_cache_object (G_DBUS_OBJECT (object));
  g_assert_cmpstr (g_variant_get_type_string (empty), ==, "{oa{sa{sv}}}");
  vmgr_dbus_vm_set_state (vm, "stopped");
  /* An interface added: the entry is built again. */
  vmgr_dbus_object_skeleton_set_vm (object, vm);
  stopped = vmgr_property_cache_object (G_DBUS_OBJECT (object));
  state = state_of_entry (stopped);
  g_assert_cmpstr (state, ==, "stopped");
  /* A property of it changed: again. */
  vmgr_dbus_vm_set_state (vm, "running");
  running = vmgr_property_cache_object (G_DBUS_OBJECT (object));
  state_after = state_of_entry (running);
  g_assert_cmpstr (state_after, ==, "running");
  vmgr_dbus_object_skeleton_set_vm (object, NULL);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/property-cache/interface", test_interface_follows_changes);
  g_test_add_func ("/property-cache/object", test_object_follows_changes);
  return g_test_run ();
}
