#include "vmgr-validate-customer.h"

#include "vmgr-error.h"
#include "vmgr-validate.h"

#define TEXT_MAX 256

typedef enum { TEXT, EMAIL, PHONE, NATIONAL_ID, PLAN, COUNT, BYTES } Kind;

typedef struct {
  const char *key;
  Kind kind;
  gsize offset;
} Field;

#define AT(member) G_STRUCT_OFFSET (VmgrCustomerInfo, member)

static const Field fields[] = {
  { "full_name", TEXT, AT (full_name) },
  { "email", EMAIL, AT (email) },
  { "phone", PHONE, AT (phone) },
  { "address", TEXT, AT (address) },
  { "province", TEXT, AT (province) },
  { "national_id", NATIONAL_ID, AT (national_id) },
  { "plan", PLAN, AT (plan) },
  { "max_vms", COUNT, AT (max_vms) },
  { "max_vcpus", COUNT, AT (max_vcpus) },
  { "max_memory", BYTES, AT (max_memory) },
  { "max_disk", BYTES, AT (max_disk) },
  { "max_snapshots", COUNT, AT (max_snapshots) },
};

static const Field *
find_field (const char *key)
{
  for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
    if (g_str_equal (fields[i].key, key))
      return &fields[i];
  return NULL;
}

static gboolean
invalid (GError **error, const char *key, const char *text, const char *expected)
{
  g_set_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_ARGUMENT, "%s '%s' is not valid: %s", key,
               text, expected);
  return FALSE;
}

static gboolean
all_chars (const char *text, gboolean letters, const char *allowed)
{
  for (const char *c = text; *c != '\0'; c++)
    if (!g_ascii_isdigit (*c) && !(letters && g_ascii_isalpha (*c)) &&
        strchr (allowed, *c) == NULL)
      return FALSE;
  return TRUE;
}

static gboolean
check_text (const Field *field, const char *text, GError **error)
{
  const char *at;

  if (!g_utf8_validate (text, -1, NULL) || strlen (text) > TEXT_MAX)
    return invalid (error, field->key, "…", "expected at most 256 bytes of UTF-8");
  for (const char *c = text; *c != '\0'; c++)
    if ((guchar) *c < 0x20 || *c == 0x7f)
      return invalid (error, field->key, "…", "control characters are not allowed");
  switch (field->kind)
    {
    case EMAIL:
      at = strchr (text, '@');
      if (*text != '\0' && (at == NULL || at == text || strchr (at + 1, '.') == NULL ||
                            strchr (text, ' ') != NULL || strchr (at + 1, '@') != NULL))
        return invalid (error, field->key, text, "expected an address like name@example.org");
      return TRUE;
    case PHONE:
      if (!all_chars (text, FALSE, " +-()."))
        return invalid (error, field->key, text, "expected digits, spaces and + - ( ) .");
      return TRUE;
    case NATIONAL_ID:
      if (!all_chars (text, TRUE, "-./"))
        return invalid (error, field->key, text, "expected letters, digits and - . /");
      return TRUE;
    case PLAN:
      return *text == '\0' || vmgr_validate_name (text, "plan name", error);
    default:
      return TRUE;
    }
}

static gboolean
apply_field (VmgrCustomerInfo *info, const Field *field, GVariant *value, GError **error)
{
  const char *type = field->kind == COUNT ? "u" : field->kind == BYTES ? "t" : "s";
  gpointer slot = G_STRUCT_MEMBER_P (info, field->offset);

  if (!g_variant_is_of_type (value, G_VARIANT_TYPE (type)))
    {
      g_set_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_ARGUMENT,
                   "customer key '%s' must be of type '%s', not '%s'", field->key, type,
                   g_variant_get_type_string (value));
      return FALSE;
    }
  if (field->kind == COUNT)
    *(guint32 *) slot = g_variant_get_uint32 (value);
  else if (field->kind == BYTES)
    *(guint64 *) slot = g_variant_get_uint64 (value);
  else
    {
      g_autofree char *text = g_strstrip (g_variant_dup_string (value, NULL));

      if (!check_text (field, text, error))
        return FALSE;
      g_free (*(char **) slot);
      *(char **) slot = g_steal_pointer (&text);
    }
  return TRUE;
}

static gboolean
check_identity (const VmgrCustomerInfo *info, GError **error)
{
  const char *missing = *info->full_name == '\0' ? "full_name"
                        : *info->email == '\0' ? "email"
                        : *info->national_id == '\0' ? "national_id" : NULL;

  if (missing == NULL)
    return TRUE;
  g_set_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_ARGUMENT,
               "a customer needs %s (full_name, email and national_id are required)", missing);
  return FALSE;
}

gboolean
vmgr_customer_info_apply (VmgrCustomerInfo *info, GVariant *dict, gboolean require_identity,
                          GError **error)
{
  g_autoptr(VmgrCustomerInfo) work = vmgr_customer_info_copy (info);
  GVariantIter iter;
  const char *key;
  GVariant *child;

  g_variant_iter_init (&iter, dict);
  while (g_variant_iter_next (&iter, "{&sv}", &key, &child))
    {
      g_autoptr(GVariant) value = child;
      const Field *field = find_field (key);

      if (field == NULL)
        {
          g_set_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_ARGUMENT,
                       "unknown customer key '%s' (full_name, email, phone, address, province, "
                       "national_id, plan, max_vms, max_vcpus, max_memory, max_disk, max_snapshots)", key);
          return FALSE;
        }
      if (!apply_field (work, field, value, error))
        return FALSE;
    }
  if (require_identity && !check_identity (work, error))
    return FALSE;
  /* @info takes the checked values; @work, freed on return, the old ones. */
  {
    VmgrCustomerInfo old = *info;

    *info = *work;
    *work = old;
  }
  return TRUE;
}

gboolean
vmgr_customer_info_has_key (GVariant *dict, const char *key)
{
  g_autoptr(GVariant) value = g_variant_lookup_value (dict, key, NULL);

  return value != NULL;
}
