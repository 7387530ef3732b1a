/* What the service's unit tests share (see unit-helpers.h). */
#include "unit-helpers.h"

void
set_str (char **field, const char *value)
{
  char *copy = g_strdup (value);

  g_free (*field);
  *field = copy;
}

GVariant *
parse_dict (const char *text)
{
  g_autoptr(GError) error = NULL;
  GVariant *dict = g_variant_parse (G_VARIANT_TYPE_VARDICT, text, NULL, NULL, &error);

  if (dict == NULL)
    g_error ("bad test dictionary %s: %s", text, error->message);
  return dict;  /* g_variant_parse() gives a full reference */
}

void
assert_plans_equal (const VmgrPlan *a, const VmgrPlan *b)
{
  g_assert_cmpstr (a->name, ==, b->name);
  g_assert_cmpuint (a->memory_guarantee, ==, b->memory_guarantee);
  g_assert_cmpuint (a->memory_soft_limit, ==, b->memory_soft_limit);
  g_assert_cmpuint (a->memory_limit, ==, b->memory_limit);
  g_assert_cmpuint (a->vcpus, ==, b->vcpus);
  g_assert_cmpuint (a->cpu_weight, ==, b->cpu_weight);
  g_assert_cmpuint (a->cpu_limit, ==, b->cpu_limit);
  g_assert_cmpuint (a->disk_soft_limit, ==, b->disk_soft_limit);
  g_assert_cmpuint (a->disk_hard_limit, ==, b->disk_hard_limit);
  g_assert_cmpuint (a->max_vms, ==, b->max_vms);
}
