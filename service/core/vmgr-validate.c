/* Validation of resource values and the a{sv} option dictionaries of the
 * D-Bus contract (see vmgr-validate.h); names and addresses are in
 * vmgr-validate-names.c.
 *
 * Choices made here that the header leaves open:
 *  - a key given twice in one dictionary is refused ("option 'vcpus' given
 *    more than once") rather than letting the last value win, so that a
 *    client bug never silently picks one of two values;
 *  - option types are exact: vcpus must be 'u', an 'i' is refused;
 *  - vmgr_spec_apply() changes @spec only when it succeeds, and copies
 *    resources, network settings, autostart and owner (never id or plan
 *    name: the caller owns those). */
#include "vmgr-validate-private.h"

#include <string.h>

#include <gio/gio.h>

#include "vmgr-error.h"

#define VMGR_MAX_ADDRESSES 16
#define VMGR_MAX_NAMESERVERS 8
/* How much of a bad value an error message quotes. */
#define DISPLAY_MAX_CHARS 80

void
vmgr_validate_set_invalid (GError **error, const char *format, ...)
{
  va_list args;
  g_autofree char *message = NULL;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error_literal (error, VMGR_ERROR, VMGR_ERROR_INVALID_ARGUMENT, message);
}

/* @value made fit for quoting in a message: control characters and
 * invalid UTF-8 escaped, long values shortened. */
char *
vmgr_validate_display (const char *value)
{
  g_autofree char *text = NULL;
  gboolean plain;

  if (value == NULL)
    return g_strdup ("");

  plain = g_utf8_validate (value, -1, NULL);
  for (const char *p = value; plain && *p != '\0'; p++)
    if (g_ascii_iscntrl (*p))
      plain = FALSE;
  text = plain ? g_strdup (value) : g_strescape (value, NULL);

  if (g_utf8_strlen (text, -1) > DISPLAY_MAX_CHARS)
    {
      g_autofree char *head = g_utf8_substring (text, 0, DISPLAY_MAX_CHARS);
      return g_strconcat (head, "...", NULL);
    }
  return g_steal_pointer (&text);
}

/* --- option dictionaries ------------------------------------------------ */

VmgrOptions *
vmgr_options_new (void)
{
  return g_new0 (VmgrOptions, 1);
}

void
vmgr_options_free (VmgrOptions *options)
{
  if (options == NULL)
    return;
  g_free (options->hostname);
  g_strfreev (options->addresses);
  g_free (options->gateway);
  g_strfreev (options->nameservers);
  g_free (options->host);
  g_free (options);
}

/* Checks one string value (or each element of a string array). */
typedef gboolean (*OptionCheckFunc) (const char *value, GError **error);

typedef struct {
  const char *key;
  const char *type;       /* GVariant type string of the value */
  VmgrFields field;
  gsize offset;           /* of the value in VmgrOptions */
  guint64 min;            /* numbers: the accepted range */
  guint64 max;            /* ... ; string arrays: the most elements */
  OptionCheckFunc check;  /* strings and string arrays */
} OptionDesc;

static gboolean
check_hostname (const char *value, GError **error)
{
  return vmgr_validate_hostname (value, error);
}

static gboolean
check_cidr (const char *value, GError **error)
{
  return vmgr_validate_cidr (value, error);
}

static gboolean
check_gateway (const char *value, GError **error)
{
  return value[0] == '\0' || vmgr_validate_ip (value, "gateway address", error);
}

static gboolean
check_nameserver (const char *value, GError **error)
{
  return vmgr_validate_ip (value, "nameserver address", error);
}

static gboolean
check_host (const char *value, GError **error)
{
  return vmgr_validate_host_name (value, error);
}

#define OPT_OFFSET(member) G_STRUCT_OFFSET (VmgrOptions, member)

/* Every key of the contract's resource dictionaries, in VmgrFields order. */
static const OptionDesc option_table[] = {
  { "id", "u", VMGR_FIELD_ID, OPT_OFFSET (id), VMGR_VM_ID_MIN, G_MAXUINT32, NULL },
  { "owner", "u", VMGR_FIELD_OWNER, OPT_OFFSET (owner), 0, G_MAXUINT32, NULL },
  { "memory_guarantee", "t", VMGR_FIELD_MEMORY_GUARANTEE,
    OPT_OFFSET (memory_guarantee), 0, G_MAXUINT64, NULL },
  { "memory_soft_limit", "t", VMGR_FIELD_MEMORY_SOFT_LIMIT,
    OPT_OFFSET (memory_soft_limit), 0, G_MAXUINT64, NULL },
  { "memory_limit", "t", VMGR_FIELD_MEMORY_LIMIT,
    OPT_OFFSET (memory_limit), 1, G_MAXUINT64, NULL },
  { "vcpus", "u", VMGR_FIELD_VCPUS, OPT_OFFSET (vcpus), 1, VMGR_MAX_VCPUS, NULL },
  { "cpu_weight", "u", VMGR_FIELD_CPU_WEIGHT, OPT_OFFSET (cpu_weight),
    VMGR_CPU_WEIGHT_MIN, VMGR_CPU_WEIGHT_MAX, NULL },
  { "cpu_limit", "u", VMGR_FIELD_CPU_LIMIT, OPT_OFFSET (cpu_limit),
    0, VMGR_MAX_VCPUS * 100, NULL },
  { "disk_soft_limit", "t", VMGR_FIELD_DISK_SOFT_LIMIT,
    OPT_OFFSET (disk_soft_limit), 0, G_MAXUINT64, NULL },
  { "disk_hard_limit", "t", VMGR_FIELD_DISK_HARD_LIMIT,
    OPT_OFFSET (disk_hard_limit), 0, G_MAXUINT64, NULL },
  { "hostname", "s", VMGR_FIELD_HOSTNAME, OPT_OFFSET (hostname), 0, 0, check_hostname },
  { "addresses", "as", VMGR_FIELD_ADDRESSES, OPT_OFFSET (addresses),
    0, VMGR_MAX_ADDRESSES, check_cidr },
  { "gateway", "s", VMGR_FIELD_GATEWAY, OPT_OFFSET (gateway), 0, 0, check_gateway },
  { "nameservers", "as", VMGR_FIELD_NAMESERVERS, OPT_OFFSET (nameservers),
    0, VMGR_MAX_NAMESERVERS, check_nameserver },
  { "autostart", "b", VMGR_FIELD_AUTOSTART, OPT_OFFSET (autostart), 0, 0, NULL },
  { "start", "b", VMGR_FIELD_START, OPT_OFFSET (start), 0, 0, NULL },
  { "max_vms", "u", VMGR_FIELD_MAX_VMS, OPT_OFFSET (max_vms), 0, G_MAXUINT32, NULL },
  { "max_snapshots", "u", VMGR_FIELD_MAX_SNAPSHOTS, OPT_OFFSET (max_snapshots),
    0, G_MAXUINT32, NULL },
  { "host", "s", VMGR_FIELD_HOST, OPT_OFFSET (host), 0, 0, check_host },
};

G_STATIC_ASSERT (G_N_ELEMENTS (option_table) == 19);

static const OptionDesc *
find_option (const char *key)
{
  for (gsize i = 0; i < G_N_ELEMENTS (option_table); i++)
    if (strcmp (option_table[i].key, key) == 0)
      return &option_table[i];
  return NULL;
}

static void
set_unknown_option (GError **error, const char *key, VmgrFields allowed)
{
  g_autoptr(GString) accepted = g_string_new (NULL);
  g_autofree char *shown = vmgr_validate_display (key);

  for (gsize i = 0; i < G_N_ELEMENTS (option_table); i++)
    if (option_table[i].field & allowed)
      g_string_append_printf (accepted, "%s%s", accepted->len > 0 ? ", " : "",
                              option_table[i].key);

  if (accepted->len > 0)
    vmgr_validate_set_invalid (error, "unknown option '%s' (accepted here: %s)", shown,
                 accepted->str);
  else
    vmgr_validate_set_invalid (error, "unknown option '%s' (no options are accepted here)",
                 shown);
}

static gboolean
check_number (const OptionDesc *desc, guint64 value, GError **error)
{
  guint64 type_max = desc->type[0] == 'u' ? G_MAXUINT32 : G_MAXUINT64;

  if (value >= desc->min && value <= desc->max)
    return TRUE;
  if (desc->min == 1 && value == 0 && desc->max == type_max)
    vmgr_validate_set_invalid (error, "option '%s' must not be 0", desc->key);
  else
    vmgr_validate_set_invalid (error,
                 "option '%s': %" G_GUINT64_FORMAT " is out of range (use %"
                 G_GUINT64_FORMAT " to %" G_GUINT64_FORMAT ")",
                 desc->key, value, desc->min, desc->max);
  return FALSE;
}

static gboolean
check_strings (const OptionDesc *desc, const char * const *values, gsize n,
               GError **error)
{
  if (desc->max > 0 && n > desc->max)
    {
      vmgr_validate_set_invalid (error, "option '%s': at most %" G_GUINT64_FORMAT
                   " values, not %" G_GSIZE_FORMAT,
                   desc->key, desc->max, n);
      return FALSE;
    }
  for (gsize i = 0; i < n; i++)
    {
      if (!desc->check (values[i], error))
        {
          g_prefix_error (error, "option '%s': ", desc->key);
          return FALSE;
        }
    }
  return TRUE;
}

/* Validates @value (already of @desc's type) and stores it in @options. */
static gboolean
set_option (VmgrOptions *options, const OptionDesc *desc, GVariant *value,
            GError **error)
{
  gpointer member = G_STRUCT_MEMBER_P (options, desc->offset);

  switch (g_variant_classify (value))
    {
    case G_VARIANT_CLASS_UINT32:
      if (!check_number (desc, g_variant_get_uint32 (value), error))
        return FALSE;
      *(guint32 *) member = g_variant_get_uint32 (value);
      break;

    case G_VARIANT_CLASS_UINT64:
      if (!check_number (desc, g_variant_get_uint64 (value), error))
        return FALSE;
      *(guint64 *) member = g_variant_get_uint64 (value);
      break;

    case G_VARIANT_CLASS_BOOLEAN:
      *(gboolean *) member = g_variant_get_boolean (value);
      break;

    case G_VARIANT_CLASS_STRING:
      {
        const char *str = g_variant_get_string (value, NULL);

        if (!check_strings (desc, &str, 1, error))
          return FALSE;
        g_free (*(char **) member);
        *(char **) member = g_strdup (str);
      }
      break;

    case G_VARIANT_CLASS_ARRAY:
      {
        gsize n = 0;
        g_autofree const char **strv = g_variant_get_strv (value, &n);

        if (!check_strings (desc, strv, n, error))
          return FALSE;
        g_strfreev (*(char ***) member);
        *(char ***) member = g_variant_dup_strv (value, NULL);
      }
      break;

    default:
      g_assert_not_reached ();
    }

  options->fields |= desc->field;
  return TRUE;
}

VmgrOptions *
vmgr_options_parse (GVariant *dict, VmgrFields allowed, GError **error)
{
  g_autoptr(VmgrOptions) options = vmgr_options_new ();
  GVariantIter iter;

  if (dict == NULL)
    return g_steal_pointer (&options);
  if (!g_variant_is_of_type (dict, G_VARIANT_TYPE_VARDICT))
    {
      vmgr_validate_set_invalid (error, "options must be of type 'a{sv}', not '%s'",
                   g_variant_get_type_string (dict));
      return NULL;
    }

  g_variant_iter_init (&iter, dict);
  while (TRUE)
    {
      const char *key = NULL;
      g_autoptr(GVariant) value = NULL;
      const OptionDesc *desc;

      if (!g_variant_iter_next (&iter, "{&sv}", &key, &value))
        break;

      desc = find_option (key);
      if (desc == NULL || (desc->field & allowed) == 0)
        {
          set_unknown_option (error, key, allowed);
          return NULL;
        }
      if (options->fields & desc->field)
        {
          vmgr_validate_set_invalid (error, "option '%s' given more than once", key);
          return NULL;
        }
      if (!g_variant_is_of_type (value, G_VARIANT_TYPE (desc->type)))
        {
          vmgr_validate_set_invalid (error, "option '%s' must be of type '%s', not '%s'",
                       key, desc->type, g_variant_get_type_string (value));
          return NULL;
        }
      if (!set_option (options, desc, value, error))
        return NULL;
    }

  return g_steal_pointer (&options);
}

/* --- specs and plans ---------------------------------------------------- */

/* @bytes for a message, with a plain space where GLib puts a no-break
 * space ("2.0 GiB"), so that messages stay ASCII. */
static char *
format_size (guint64 bytes, GFormatSizeFlags flags)
{
  GString *text = g_string_new (NULL);
  g_autofree char *formatted = g_format_size_full (bytes, flags | G_FORMAT_SIZE_IEC_UNITS);

  g_string_append (text, formatted);
  g_string_replace (text, "\xc2\xa0", " ", 0);
  return g_string_free (text, FALSE);
}

static void
set_size_order_error (GError **error, const char *small_key, guint64 small,
                      const char *large_key, guint64 large)
{
  g_autofree char *small_text = format_size (small, G_FORMAT_SIZE_DEFAULT);
  g_autofree char *large_text = format_size (large, G_FORMAT_SIZE_DEFAULT);

  /* Equal when rounded: show the bytes too. */
  if (g_str_equal (small_text, large_text))
    {
      g_free (small_text);
      g_free (large_text);
      small_text = format_size (small, G_FORMAT_SIZE_LONG_FORMAT);
      large_text = format_size (large, G_FORMAT_SIZE_LONG_FORMAT);
    }
  vmgr_validate_set_invalid (error, "%s (%s) exceeds %s (%s)", small_key, small_text,
               large_key, large_text);
}

gboolean
vmgr_spec_check_resources (const VmgrVmSpec *spec, GError **error)
{
  guint64 cpu_max;

  g_return_val_if_fail (spec != NULL, FALSE);

  if (spec->memory_limit == 0)
    {
      vmgr_validate_set_invalid (error, "no memory_limit: choose a plan or give memory_limit");
      return FALSE;
    }
  if (spec->memory_soft_limit != 0 &&
      spec->memory_guarantee > spec->memory_soft_limit)
    {
      set_size_order_error (error, "memory_guarantee", spec->memory_guarantee,
                            "memory_soft_limit", spec->memory_soft_limit);
      return FALSE;
    }
  if (spec->memory_soft_limit > spec->memory_limit)
    {
      set_size_order_error (error, "memory_soft_limit", spec->memory_soft_limit,
                            "memory_limit", spec->memory_limit);
      return FALSE;
    }
  if (spec->memory_guarantee > spec->memory_limit)
    {
      set_size_order_error (error, "memory_guarantee", spec->memory_guarantee,
                            "memory_limit", spec->memory_limit);
      return FALSE;
    }
  if (spec->vcpus < 1 || spec->vcpus > VMGR_MAX_VCPUS)
    {
      vmgr_validate_set_invalid (error, "vcpus %u is out of range (use 1 to %d)",
                   spec->vcpus, VMGR_MAX_VCPUS);
      return FALSE;
    }
  if (spec->cpu_weight < VMGR_CPU_WEIGHT_MIN || spec->cpu_weight > VMGR_CPU_WEIGHT_MAX)
    {
      vmgr_validate_set_invalid (error, "cpu_weight %u is out of range (use %d to %d)",
                   spec->cpu_weight, VMGR_CPU_WEIGHT_MIN, VMGR_CPU_WEIGHT_MAX);
      return FALSE;
    }
  cpu_max = (guint64) spec->vcpus * 100;
  if (spec->cpu_limit > cpu_max)
    {
      vmgr_validate_set_invalid (error, "cpu_limit %u exceeds %u %s (at most %" G_GUINT64_FORMAT ")",
                   spec->cpu_limit, spec->vcpus,
                   spec->vcpus == 1 ? "vcpu" : "vcpus", cpu_max);
      return FALSE;
    }
  if (spec->disk_hard_limit != 0 && spec->disk_soft_limit > spec->disk_hard_limit)
    {
      set_size_order_error (error, "disk_soft_limit", spec->disk_soft_limit,
                            "disk_hard_limit", spec->disk_hard_limit);
      return FALSE;
    }
  return TRUE;
}

/* ---- The resource members, through the option table ------------------ */

static gboolean
is_resource (const OptionDesc *desc)
{
  return (desc->field & VMGR_FIELDS_RESOURCES) != 0;
}

/* Where @desc's value is in a VmgrResources. */
static gsize
resource_offset (const OptionDesc *desc)
{
  return desc->offset - OPT_OFFSET (resources);
}

static guint64
resource_get (const VmgrResources *resources, const OptionDesc *desc)
{
  const char *member = (const char *) resources + resource_offset (desc);

  return desc->type[0] == 't' ? *(const guint64 *) member : *(const guint32 *) member;
}

static void
resource_set (VmgrResources *resources, const OptionDesc *desc, guint64 value)
{
  char *member = (char *) resources + resource_offset (desc);

  if (desc->type[0] == 't')
    *(guint64 *) member = value;
  else
    *(guint32 *) member = (guint32) value;
}

/* Copies the resources of @from whose bit is in @given into @to; with
 * @given 0, those that are set (not 0). */
static void
take_resources (VmgrResources *to, const VmgrResources *from, VmgrFields given)
{
  for (gsize i = 0; i < G_N_ELEMENTS (option_table); i++)
    {
      const OptionDesc *desc = &option_table[i];
      guint64 value;

      if (!is_resource (desc))
        continue;
      value = resource_get (from, desc);
      if (given != 0 ? (given & desc->field) != 0 : value != 0)
        resource_set (to, desc, value);
    }
}

static void
spec_take_plan (VmgrVmSpec *spec, const VmgrPlan *plan)
{
  take_resources (&spec->resources, &plan->resources, 0);
}

static void
replace_string (char **dest, const char *value)
{
  g_free (*dest);
  *dest = g_strdup (value != NULL ? value : "");
}

static void
replace_strv (char ***dest, char **value)
{
  g_strfreev (*dest);
  *dest = value != NULL ? g_strdupv (value) : g_new0 (char *, 1);
}

static void
spec_take_options (VmgrVmSpec *spec, const VmgrOptions *options)
{
  VmgrFields fields = options->fields;

  if (fields & VMGR_FIELD_OWNER)
    spec->owner = options->owner;
  if (fields & VMGR_FIELD_AUTOSTART)
    spec->autostart = options->autostart;
  if (fields & VMGR_FIELDS_RESOURCES)
    take_resources (&spec->resources, &options->resources, fields & VMGR_FIELDS_RESOURCES);

  if (fields & VMGR_FIELD_HOSTNAME)
    replace_string (&spec->hostname, options->hostname);
  if (fields & VMGR_FIELD_ADDRESSES)
    replace_strv (&spec->addresses, options->addresses);
  if (fields & VMGR_FIELD_GATEWAY)
    replace_string (&spec->gateway, options->gateway);
  if (fields & VMGR_FIELD_NAMESERVERS)
    replace_strv (&spec->nameservers, options->nameservers);
}

gboolean
vmgr_spec_apply (VmgrVmSpec *spec, const VmgrPlan *plan,
                 const VmgrOptions *options, GError **error)
{
  g_autoptr(VmgrVmSpec) work = NULL;
  VmgrVmSpec old;

  g_return_val_if_fail (spec != NULL, FALSE);

  /* Work on a copy so that @spec is left alone on failure. */
  work = vmgr_vm_spec_copy (spec);
  if (plan != NULL)
    spec_take_plan (work, plan);
  if (options != NULL)
    spec_take_options (work, options);
  if (!vmgr_spec_check_resources (work, error))
    return FALSE;

  old = *spec;
  *spec = *work;
  *work = old;  /* freed with @work */
  return TRUE;
}

VmgrPlan *
vmgr_plan_from_options (const char *name, const VmgrPlan *base, const VmgrOptions *options,
                        GError **error)
{
  g_autoptr(VmgrPlan) plan = NULL;
  g_autoptr(VmgrVmSpec) spec = NULL;
  VmgrFields fields = options != NULL ? options->fields : 0;

  if (!vmgr_validate_name (name, "plan name", error))
    return NULL;
  if (base == NULL && (fields & VMGR_FIELD_MEMORY_LIMIT) == 0)
    {
      vmgr_validate_set_invalid (error, "plan '%s' has no memory_limit: give memory_limit "
                   "(the memory size of the plan's VMs, in bytes)", name);
      return NULL;
    }
  if ((fields & VMGR_FIELD_MEMORY_LIMIT) != 0 && options->memory_limit == 0)
    {
      vmgr_validate_set_invalid (error, "plan '%s': memory_limit cannot be 0 (the memory size of the "
                   "plan's VMs, in bytes)", name);
      return NULL;
    }

  if (base != NULL)
    {
      plan = vmgr_plan_copy (base);
      g_free (plan->name);
      plan->name = g_strdup (name);
    }
  else
    plan = vmgr_plan_new (name);

  take_resources (&plan->resources, &options->resources, fields & VMGR_FIELDS_RESOURCES);
  if (fields & VMGR_FIELD_MAX_VMS)
    plan->max_vms = options->max_vms;
  if (fields & VMGR_FIELD_MAX_SNAPSHOTS)
    plan->max_snapshots = options->max_snapshots;

  /* A VM made from the plan alone (defaults for what it leaves unset) must
   * be coherent. */
  spec = vmgr_vm_spec_new ();
  if (!vmgr_spec_apply (spec, plan, NULL, error))
    {
      g_prefix_error (error, "plan '%s': ", name);
      return NULL;
    }
  return g_steal_pointer (&plan);
}

static void
add_nonzero_u (GVariantBuilder *builder, const char *key, guint32 value)
{
  if (value != 0)
    g_variant_builder_add (builder, "{sv}", key, g_variant_new_uint32 (value));
}

/* Returns a floating reference. */
GVariant *
vmgr_plan_to_variant (const VmgrPlan *plan)
{
  GVariantBuilder builder;

  g_return_val_if_fail (plan != NULL, NULL);

  g_variant_builder_init (&builder, G_VARIANT_TYPE_VARDICT);
  for (gsize i = 0; i < G_N_ELEMENTS (option_table); i++)
    {
      const OptionDesc *desc = &option_table[i];
      guint64 value;

      if (!is_resource (desc))
        continue;
      value = resource_get (&plan->resources, desc);
      /* memory_limit is never 0 in a plan: always there. */
      if (value != 0 || desc->field == VMGR_FIELD_MEMORY_LIMIT)
        g_variant_builder_add (&builder, "{sv}", desc->key,
                               desc->type[0] == 't' ? g_variant_new_uint64 (value)
                                                    : g_variant_new_uint32 ((guint32) value));
    }
  add_nonzero_u (&builder, "max_vms", plan->max_vms);
  add_nonzero_u (&builder, "max_snapshots", plan->max_snapshots);
  return g_variant_builder_end (&builder);
}
