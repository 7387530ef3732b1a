/* Customer options as AddCustomer's and Update's info a{sv}. */
#include "vmgrctl-customer-options.h"

#include "vmgrctl-units.h"

typedef enum { TEXT, COUNT, SIZE } FieldKind;

static const struct {
  const char *option;
  const char *key;
  FieldKind kind;
  gboolean required;  /* by AddCustomer */
  const char *arg;
  const char *help;
} fields[VMGRCTL_N_CUSTOMER_FIELDS] = {
  /* The required ones first (see vmgrctl_customer_options_missing). */
  { "name", "full_name", TEXT, TRUE, "NAME", "Full name" },
  { "email", "email", TEXT, TRUE, "EMAIL", "E-mail address" },
  { "national-id", "national_id", TEXT, TRUE, "ID", "National identity number" },
  { "phone", "phone", TEXT, FALSE, "PHONE", "Telephone number" },
  { "address", "address", TEXT, FALSE, "TEXT", "Postal address" },
  { "province", "province", TEXT, FALSE, "PROVINCE", "Province" },
  { "plan", "plan", TEXT, FALSE, "PLAN", "Plan (\"\" for none)" },
  { "max-vms", "max_vms", COUNT, FALSE, "N", "Most VMs (0: no limit)" },
  { "max-vcpus", "max_vcpus", COUNT, FALSE, "N", "Most vCPUs in all (0: no limit)" },
  { "max-memory", "max_memory", SIZE, FALSE, "SIZE", "Most memory in all (0: no limit)" },
  { "max-disk", "max_disk", SIZE, FALSE, "SIZE", "Most disk in all (0: no limit)" },
  { "max-snapshots", "max_snapshots", COUNT, FALSE, "N",
    "Most snapshots of all the customer's VMs (0: no limit)" },
};

void
vmgrctl_customer_options_clear (VmgrctlCustomerOptions *self)
{
  for (guint i = 0; i < VMGRCTL_N_CUSTOMER_FIELDS; i++)
    g_clear_pointer (&self->values[i], g_free);
}

GOptionEntry *
vmgrctl_customer_options_entries (VmgrctlCustomerOptions *self)
{
  GOptionEntry *entries = g_new0 (GOptionEntry, VMGRCTL_N_CUSTOMER_FIELDS + 1);

  for (guint i = 0; i < VMGRCTL_N_CUSTOMER_FIELDS; i++)
    {
      entries[i].long_name = fields[i].option;
      entries[i].arg = G_OPTION_ARG_STRING;
      entries[i].arg_data = &self->values[i];
      entries[i].description = fields[i].help;
      entries[i].arg_description = fields[i].arg;
    }
  return entries;
}

const char *
vmgrctl_customer_options_missing (const VmgrctlCustomerOptions *self)
{
  static const char *const names[] = { "--name", "--email", "--national-id" };

  for (guint i = 0; i < VMGRCTL_N_CUSTOMER_FIELDS; i++)
    if (fields[i].required && self->values[i] == NULL)
      return names[i];
  return NULL;
}

gboolean
vmgrctl_customer_options_any (const VmgrctlCustomerOptions *self)
{
  for (guint i = 0; i < VMGRCTL_N_CUSTOMER_FIELDS; i++)
    if (self->values[i] != NULL)
      return TRUE;
  return FALSE;
}

static GVariant *
field_value (FieldKind kind, const char *text, GError **error)
{
  guint64 number;

  switch (kind)
    {
    case TEXT:
      return g_variant_new_string (text);
    case COUNT:
      return vmgrctl_parse_uint (text, G_MAXUINT32, &number, error)
             ? g_variant_new_uint32 ((guint32) number) : NULL;
    case SIZE:
      return vmgrctl_parse_size (text, &number, error) ? g_variant_new_uint64 (number) : NULL;
    }
  g_assert_not_reached ();
}

GVariant *
vmgrctl_customer_options_to_info (const VmgrctlCustomerOptions *self, GError **error)
{
  g_auto(GVariantDict) info = G_VARIANT_DICT_INIT (NULL);

  for (guint i = 0; i < VMGRCTL_N_CUSTOMER_FIELDS; i++)
    {
      GVariant *value;

      if (self->values[i] == NULL)
        continue;
      value = field_value (fields[i].kind, self->values[i], error);
      if (value == NULL)
        {
          g_prefix_error (error, "invalid --%s: ", fields[i].option);
          return NULL;
        }
      g_variant_dict_insert_value (&info, fields[i].key, value);
    }
  return g_variant_ref_sink (g_variant_dict_end (&info));
}

const VmgrctlKeyOption *
vmgrctl_customer_option_keys (void)
{
  static VmgrctlKeyOption pairs[VMGRCTL_N_CUSTOMER_FIELDS + 1];

  if (pairs[0].key == NULL)
    for (guint i = 0; i < VMGRCTL_N_CUSTOMER_FIELDS; i++)
      pairs[i] = (VmgrctlKeyOption) { fields[i].key, fields[i].option };
  return pairs;
}
