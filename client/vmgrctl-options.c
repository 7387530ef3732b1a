/* Resource options and user names, as D-Bus values. */
#include "vmgrctl-options.h"

#include <pwd.h>

#include "vmgrctl-errors.h"
#include "vmgrctl-units.h"

static const VmgrctlResourceOption resources[VMGRCTL_N_RESOURCES] = {
  { "memory", "memory_limit", VMGRCTL_SETTING_SIZE, "SIZE", "Memory (limit)" },
  { "memory-guarantee", "memory_guarantee", VMGRCTL_SETTING_SIZE, "SIZE",
    "Guaranteed memory (0: none)" },
  { "memory-soft-limit", "memory_soft_limit", VMGRCTL_SETTING_SIZE, "SIZE",
    "Memory soft limit (0: none)" },
  { "vcpus", "vcpus", VMGRCTL_SETTING_COUNT, "N", "Virtual CPUs" },
  { "cpu-weight", "cpu_weight", VMGRCTL_SETTING_COUNT, "N",
    "Relative CPU weight, 1-10000 (default 100)" },
  { "cpu-limit", "cpu_limit", VMGRCTL_SETTING_PERCENT, "PCT",
    "CPU limit in percent of one host CPU (0: none)" },
  { "disk", "disk_hard_limit", VMGRCTL_SETTING_SIZE, "SIZE", "Disk size (hard limit)" },
  { "disk-soft", "disk_soft_limit", VMGRCTL_SETTING_SIZE, "SIZE", "Disk soft limit (0: none)" },
  /* Must stay last: plans only (PLAN_ONLY of them). */
  { "max-vms", "max_vms", VMGRCTL_SETTING_COUNT, "N", "Most VMs a customer on this plan may have" },
  { "max-snapshots", "max_snapshots", VMGRCTL_SETTING_COUNT, "N",
    "Most snapshots of all the VMs of a customer on this plan" },
};

#define PLAN_ONLY 2

/* The options of create (vmgrctl-create-command.c) and set-network that
 * are not resources. */
static const VmgrctlKeyOption other_vm_options[] = {
  { "hostname", "hostname" }, { "addresses", "address" }, { "gateway", "gateway" },
  { "nameservers", "nameserver" }, { "id", "id" }, { "owner", "owner" },
  { "autostart", "autostart" }, { "start", "start" }, { "host", "host" },
};

const VmgrctlResourceOption *
vmgrctl_resource_option (const char *key)
{
  for (guint i = 0; i < VMGRCTL_N_RESOURCES; i++)
    if (g_str_equal (resources[i].key, key))
      return &resources[i];
  return NULL;
}

const VmgrctlKeyOption *
vmgrctl_vm_option_keys (void)
{
  static VmgrctlKeyOption pairs[VMGRCTL_N_RESOURCES + G_N_ELEMENTS (other_vm_options) + 1];

  if (pairs[0].key == NULL)
    {
      guint n = 0;

      for (guint i = 0; i < VMGRCTL_N_RESOURCES; i++)
        pairs[n++] = (VmgrctlKeyOption) { resources[i].key, resources[i].option };
      for (guint i = 0; i < G_N_ELEMENTS (other_vm_options); i++)
        pairs[n++] = other_vm_options[i];
    }
  return pairs;
}

void
vmgrctl_resources_clear (VmgrctlResources *self)
{
  for (guint i = 0; i < VMGRCTL_N_RESOURCES; i++)
    g_clear_pointer (&self->values[i], g_free);
}

GOptionEntry *
vmgrctl_resources_entries (VmgrctlResources *self, gboolean for_plan)
{
  guint n = for_plan ? VMGRCTL_N_RESOURCES : VMGRCTL_N_RESOURCES - PLAN_ONLY;
  GOptionEntry *entries = g_new0 (GOptionEntry, n + 1);

  for (guint i = 0; i < n; i++)
    {
      entries[i].long_name = resources[i].option;
      entries[i].arg = G_OPTION_ARG_STRING;
      entries[i].arg_data = &self->values[i];
      entries[i].description = resources[i].help;
      entries[i].arg_description = resources[i].arg;
    }
  return entries;
}

static GVariant *
parse_value (VmgrctlSettingKind kind, const char *text, GError **error)
{
  guint64 size;
  guint32 number;

  switch (kind)
    {
    case VMGRCTL_SETTING_SIZE:
      return vmgrctl_parse_size (text, &size, error) ? g_variant_new_uint64 (size) : NULL;
    case VMGRCTL_SETTING_COUNT:
      return vmgrctl_parse_option_uint32 (NULL, text, &number, error)
             ? g_variant_new_uint32 (number) : NULL;
    case VMGRCTL_SETTING_PERCENT:
      return vmgrctl_parse_percent (text, &number, error) ? g_variant_new_uint32 (number) : NULL;
    }
  g_assert_not_reached ();
}

gboolean
vmgrctl_resources_add_to (const VmgrctlResources *self, GVariantDict *dict, GError **error)
{
  for (guint i = 0; i < VMGRCTL_N_RESOURCES; i++)
    {
      GVariant *value;

      if (self->values[i] == NULL)
        continue;
      value = parse_value (resources[i].kind, self->values[i], error);
      if (value == NULL)
        {
          g_prefix_error (error, "invalid --%s: ", resources[i].option);
          return FALSE;
        }
      g_variant_dict_insert_value (dict, resources[i].key, value);
    }
  return TRUE;
}

gboolean
vmgrctl_parse_option_uint32 (const char *option, const char *text, guint32 *value,
                             GError **error)
{
  guint64 parsed;

  if (!vmgrctl_parse_uint (text, G_MAXUINT32, &parsed, error))
    {
      if (option != NULL)
        g_prefix_error (error, "invalid --%s: ", option);
      return FALSE;
    }
  *value = (guint32) parsed;
  return TRUE;
}

gboolean
vmgrctl_parse_user (const char *text, guint32 *uid, GError **error)
{
  guint64 number;
  struct passwd *pw;

  if (g_ascii_string_to_unsigned (text, 10, 0, G_MAXUINT32 - 1, &number, NULL))
    {
      *uid = (guint32) number;
      return TRUE;
    }
  pw = getpwnam (text);
  if (pw == NULL)
    {
      g_set_error (error, VMGRCTL_ERROR, VMGRCTL_EXIT_INVALID_ARGUMENT,
                   "no user named '%s'", text);
      return FALSE;
    }
  *uid = pw->pw_uid;
  return TRUE;
}
