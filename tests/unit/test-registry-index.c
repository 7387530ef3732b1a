/* The registry's index of VMs by name and owner: a name held by one VM,
 * then by two (owners differ), then by one again; renames and removals. */
#include <glib.h>

#include "unit-helpers.h"
#include "vmgr-registry-index.h"

typedef struct {
  VmgrConfig *config;
  VmgrContext context;
  VmgrRegistryIndex *index;
} Fixture;

static VmgrVm *
make_vm (Fixture *f, guint32 id, guint32 owner, const char *name)
{
  g_autoptr(VmgrVmSpec) spec = vmgr_vm_spec_new ();

  spec->id = id;
  spec->owner = owner;
  set_str (&spec->name, name);
  return vmgr_vm_new (&f->context, spec, VMGR_VM_STATE_STOPPED, "");
}

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  f->config = vmgr_config_new_default ();
  f->context.config = f->config;
  f->index = vmgr_registry_index_new ();
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  vmgr_registry_index_free (f->index);
  vmgr_config_free (f->config);
}

/* The ids of the VMs named @name, "" for none. */
static char *
ids_named (Fixture *f, const char *name)
{
  g_autoptr(GPtrArray) vms = vmgr_registry_index_named (f->index, name);
  g_autoptr(GString) ids = g_string_new (NULL);

  for (guint i = 0; i < vms->len; i++)
    g_string_append_printf (ids, "%s%u", i > 0 ? "," : "",
                            vmgr_vm_get_spec (g_ptr_array_index (vms, i))->id);
  return g_string_free (g_steal_pointer (&ids), FALSE);
}

static char *
ids_owned_by (Fixture *f, guint32 owner)
{
  g_autoptr(GPtrArray) vms = vmgr_registry_index_owned_by (f->index, owner);
  g_autoptr(GString) ids = g_string_new (NULL);

  for (guint i = 0; i < vms->len; i++)
    g_string_append_printf (ids, "%s%u", i > 0 ? "," : "",
                            vmgr_vm_get_spec (g_ptr_array_index (vms, i))->id);
  return g_string_free (g_steal_pointer (&ids), FALSE);
}

#define ASSERT_NAMED(f, name, expected)               \
  G_STMT_START {                                      \
    g_autofree char *ids_ = ids_named (f, name);      \
    g_assert_cmpstr (ids_, ==, expected);             \
  } G_STMT_END

static void
test_shared_names (Fixture *f, gconstpointer data)
{
  g_autoptr(VmgrVm) a1 = make_vm (f, 103, 1001, "web");
  g_autoptr(VmgrVm) a2 = make_vm (f, 101, 1002, "web");
  g_autoptr(VmgrVm) a3 = make_vm (f, 102, 1003, "web");
  g_autoptr(VmgrVm) b = make_vm (f, 104, 1001, "db");
  g_autofree char *owned = NULL;

  ASSERT_NAMED (f, "web", "");
  vmgr_registry_index_put (f->index, a1);
  vmgr_registry_index_put (f->index, b);
  ASSERT_NAMED (f, "web", "103");
  ASSERT_NAMED (f, "db", "104");
  vmgr_registry_index_put (f->index, a2);
  vmgr_registry_index_put (f->index, a3);
  ASSERT_NAMED (f, "web", "101,102,103");
  /* Put again unchanged: filed once. */
  vmgr_registry_index_put (f->index, a2);
  ASSERT_NAMED (f, "web", "101,102,103");

  vmgr_registry_index_remove (f->index, a1);
  ASSERT_NAMED (f, "web", "101,102");
  vmgr_registry_index_remove (f->index, a3);
  ASSERT_NAMED (f, "web", "101");
  /* Removing what is not filed changes nothing. */
  vmgr_registry_index_remove (f->index, a3);
  ASSERT_NAMED (f, "web", "101");
  vmgr_registry_index_put (f->index, a1);
  ASSERT_NAMED (f, "web", "101,103");
  vmgr_registry_index_remove (f->index, a2);
  vmgr_registry_index_remove (f->index, a1);
  ASSERT_NAMED (f, "web", "");
  ASSERT_NAMED (f, "db", "104");
  owned = ids_owned_by (f, 1001);
  g_assert_cmpstr (owned, ==, "104");
}

/* A VM put again after a rename moves to its new name. */
static void
test_rename (Fixture *f, gconstpointer data)
{
  g_autoptr(VmgrVm) one = make_vm (f, 201, 1001, "old");
  g_autoptr(VmgrVm) two = make_vm (f, 202, 1002, "old");
  g_autoptr(VmgrVm) renamed = make_vm (f, 201, 1001, "new");
  g_autofree char *owned = NULL;

  vmgr_registry_index_put (f->index, one);
  vmgr_registry_index_put (f->index, two);
  ASSERT_NAMED (f, "old", "201,202");
  /* The same object with a new spec: swap it in as a rename does. */
  vmgr_registry_index_remove (f->index, one);
  vmgr_registry_index_put (f->index, renamed);
  ASSERT_NAMED (f, "old", "202");
  ASSERT_NAMED (f, "new", "201");
  vmgr_registry_index_remove (f->index, two);
  ASSERT_NAMED (f, "old", "");
  owned = ids_owned_by (f, 1001);
  g_assert_cmpstr (owned, ==, "201");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/registry-index/shared-names", Fixture, NULL, fixture_set_up, test_shared_names,
              fixture_tear_down);
  g_test_add ("/registry-index/rename", Fixture, NULL, fixture_set_up, test_rename,
              fixture_tear_down);
  return g_test_run ();
}
