/* The a{sv} option dictionaries of CreateVM, SetPlan and SetNetwork
 * (vmgr_options_parse), as D-Bus delivers them, and what is made of them:
 * a spec (vmgr_spec_apply), a plan (vmgr_plan_from_options) and the plan
 * back as a dictionary.
 *
 * Checked beyond "no crash": a refusal is INVALID_ARGUMENT with a UTF-8
 * message; what is accepted has only allowed keys, values in range and
 * strings the validators accept; an applied spec is coherent, a refused
 * one unchanged; a plan reads back from its own dictionary as itself. */
#include "fuzz-common.h"

#include <string.h>

#include "vmgr-error.h"
#include "vmgr-validate.h"

static void
check_strings (char **values, guint max, gboolean (*valid) (const char *))
{
  if (values == NULL)
    g_error ("a string array option is NULL");
  if (g_strv_length (values) > max)
    g_error ("more than %u values accepted", max);
  for (guint i = 0; values[i] != NULL; i++)
    if (!valid (values[i]))
      g_error ("'%s' accepted but invalid", values[i]);
}

static gboolean
valid_cidr (const char *value)
{
  return vmgr_validate_cidr (value, NULL);
}

static gboolean
valid_ip (const char *value)
{
  return vmgr_validate_ip (value, NULL, NULL);
}

static void
check_options (const VmgrOptions *options, VmgrFields allowed)
{
  VmgrFields f = options->fields;

  if ((f & ~allowed) != 0)
    g_error ("fields 0x%x accepted where only 0x%x are allowed", f, allowed);
  if ((f & VMGR_FIELD_ID) && options->id < VMGR_VM_ID_MIN)
    g_error ("id %u accepted", options->id);
  if ((f & VMGR_FIELD_MEMORY_LIMIT) && options->memory_limit == 0)
    g_error ("memory_limit 0 accepted");
  if ((f & VMGR_FIELD_VCPUS) && (options->vcpus < 1 || options->vcpus > VMGR_MAX_VCPUS))
    g_error ("vcpus %u accepted", options->vcpus);
  if ((f & VMGR_FIELD_CPU_WEIGHT) &&
      (options->cpu_weight < VMGR_CPU_WEIGHT_MIN || options->cpu_weight > VMGR_CPU_WEIGHT_MAX))
    g_error ("cpu_weight %u accepted", options->cpu_weight);
  if ((f & VMGR_FIELD_CPU_LIMIT) && options->cpu_limit > VMGR_MAX_VCPUS * 100)
    g_error ("cpu_limit %u accepted", options->cpu_limit);
  if ((f & VMGR_FIELD_HOSTNAME) && !vmgr_validate_hostname (options->hostname, NULL))
    g_error ("hostname '%s' accepted", options->hostname);
  if ((f & VMGR_FIELD_GATEWAY) && *options->gateway != '\0' &&
      !vmgr_validate_ip (options->gateway, NULL, NULL))
    g_error ("gateway '%s' accepted", options->gateway);
  if (f & VMGR_FIELD_ADDRESSES)
    check_strings (options->addresses, 16, valid_cidr);
  if (f & VMGR_FIELD_NAMESERVERS)
    check_strings (options->nameservers, 8, valid_ip);
}

static VmgrOptions *
parse (GVariant *dict, VmgrFields allowed)
{
  g_autoptr(GError) error = NULL;
  VmgrOptions *options = vmgr_options_parse (dict, allowed, &error);

  if (options == NULL)
    {
      fuzz_check_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_ARGUMENT);
      return NULL;
    }
  if (error != NULL)
    g_error ("success with an error set");
  check_options (options, allowed);
  return options;
}

/* CreateVM: the options over a default spec, and over one from a plan. */
static void
apply_to_spec (const VmgrOptions *options)
{
  g_autoptr(VmgrPlan) plan = vmgr_plan_new ("basic");
  const VmgrPlan *plans[] = { NULL, plan };

  plan->memory_limit = G_GUINT64_CONSTANT (512) << 20;
  plan->memory_soft_limit = G_GUINT64_CONSTANT (256) << 20;
  plan->vcpus = 2;
  plan->cpu_limit = 150;
  plan->disk_hard_limit = G_GUINT64_CONSTANT (10) << 30;

  for (gsize i = 0; i < G_N_ELEMENTS (plans); i++)
    {
      g_autoptr(VmgrVmSpec) spec = vmgr_vm_spec_new ();
      g_autoptr(VmgrVmSpec) before = vmgr_vm_spec_copy (spec);
      g_autoptr(GError) error = NULL;

      if (!vmgr_spec_apply (spec, plans[i], options, &error))
        {
          fuzz_check_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_ARGUMENT);
          if (!vmgr_vm_spec_equal (spec, before))
            g_error ("a refused vmgr_spec_apply changed the spec");
          continue;
        }
      if (!vmgr_spec_check_resources (spec, &error))
        g_error ("vmgr_spec_apply accepted an incoherent spec: %s", error->message);
    }
}

/* SetPlan: the plan, its dictionary (ListPlans) and that read back. */
static void
make_plan (const VmgrOptions *options)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VmgrPlan) plan = vmgr_plan_from_options ("fuzz", NULL, options, &error);
  g_autoptr(GVariant) dict = NULL;
  g_autoptr(VmgrOptions) again = NULL;
  g_autoptr(VmgrPlan) plan_again = NULL;

  if (plan == NULL)
    {
      fuzz_check_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_ARGUMENT);
      return;
    }
  dict = g_variant_ref_sink (vmgr_plan_to_variant (plan));
  again = vmgr_options_parse (dict, VMGR_FIELDS_PLAN, &error);
  if (again == NULL)
    g_error ("a plan's own dictionary is refused: %s", error->message);
  plan_again = vmgr_plan_from_options ("fuzz", NULL, again, &error);
  if (plan_again == NULL)
    g_error ("a plan made from its own dictionary is refused: %s", error->message);
  if (memcmp (&plan->resources, &plan_again->resources, sizeof plan->resources) != 0 ||
      plan->max_vms != plan_again->max_vms)
    g_error ("a plan does not read back as itself");
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr(GVariant) dict = NULL;
  g_autoptr(VmgrOptions) create = NULL;
  g_autoptr(VmgrOptions) plan = NULL;
  g_autoptr(VmgrOptions) network = NULL;

  fuzz_setup ();
  dict = fuzz_variant (G_VARIANT_TYPE_VARDICT, data, size);

  create = parse (dict, VMGR_FIELDS_CREATE);
  if (create != NULL)
    apply_to_spec (create);
  plan = parse (dict, VMGR_FIELDS_PLAN);
  if (plan != NULL)
    make_plan (plan);
  network = parse (dict, VMGR_FIELDS_NETWORK);
  return 0;
}
