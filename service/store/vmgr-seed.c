#include "vmgr-seed.h"

#define MiB (G_GUINT64_CONSTANT (1) << 20)
#define GiB (G_GUINT64_CONSTANT (1) << 30)

/* The plans of the 2010 system: RAM MB / disk GB 64/1, 128/2, 256/4. */
static const struct {
  const char *name;
  guint64 memory;
  guint64 disk;
} default_plans[] = {
  { "basic", 64 * MiB, 1 * GiB },
  { "complete", 128 * MiB, 2 * GiB },
  { "professional", 256 * MiB, 4 * GiB },
};

/* The operating systems it offered; without a source they suit the test
 * driver, real backends register templates with a root filesystem or image. */
static const struct {
  const char *name;
  const char *os;
  const char *description;
} default_templates[] = {
  { "centos-9", "CentOS Stream 9", "CentOS Stream 9 (no image: for the test driver)" },
  { "debian-12", "Debian 12", "Debian 12 bookworm (no image: for the test driver)" },
  { "fedora-40", "Fedora 40", "Fedora 40 (no image: for the test driver)" },
  { "opensuse-15", "openSUSE Leap 15", "openSUSE Leap 15 (no image: for the test driver)" },
  { "ubuntu-24.04", "Ubuntu 24.04", "Ubuntu 24.04 LTS (no image: for the test driver)" },
};

gboolean
vmgr_seed_defaults (VmgrStore *store, GError **error)
{
  g_autoptr(GPtrArray) plans = g_ptr_array_new_with_free_func ((GDestroyNotify) vmgr_plan_free);
  g_autoptr(GPtrArray) templates =
    g_ptr_array_new_with_free_func ((GDestroyNotify) vmgr_template_free);

  for (guint i = 0; i < G_N_ELEMENTS (default_plans); i++)
    {
      VmgrPlan *plan = vmgr_plan_new (default_plans[i].name);

      plan->memory_limit = default_plans[i].memory;
      plan->disk_hard_limit = default_plans[i].disk;
      plan->vcpus = 1;
      g_ptr_array_add (plans, plan);
    }
  for (guint i = 0; i < G_N_ELEMENTS (default_templates); i++)
    {
      VmgrTemplate *tmpl = vmgr_template_new (default_templates[i].name);

      g_free (tmpl->os);
      tmpl->os = g_strdup (default_templates[i].os);
      g_free (tmpl->description);
      tmpl->description = g_strdup (default_templates[i].description);
      g_ptr_array_add (templates, tmpl);
    }
  /* One transaction: a first start killed half-way leaves an empty store,
   * which the next start seeds again. */
  return vmgr_store_add_catalog (store, plans, templates, error);
}
