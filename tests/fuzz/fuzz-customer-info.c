/* The a{sv} of AddCustomer and UpdateCustomer (vmgr_customer_info_apply),
 * as D-Bus delivers it, on an empty record and on a complete one, with and
 * without the identity required.
 *
 * Checked beyond "no crash": a refusal is INVALID_ARGUMENT with a UTF-8
 * message and leaves the record as it was; what is accepted is at most 256
 * bytes of UTF-8 without control characters or surrounding spaces, and the
 * identity is complete when it was required. */
#include "fuzz-common.h"

#include <string.h>

#include "vmgr-error.h"
#include "vmgr-validate-customer.h"
#include "vmgr-validate.h"

static void
check_text (const char *key, const char *text)
{
  if (text == NULL)
    g_error ("%s is NULL", key);
  if (strlen (text) > 256 || !g_utf8_validate (text, -1, NULL))
    g_error ("%s: over 256 bytes or not UTF-8 accepted", key);
  for (const char *c = text; *c != '\0'; c++)
    if ((guchar) *c < 0x20 || *c == 0x7f)
      g_error ("%s: a control character accepted", key);
  if (*text != '\0' && (g_ascii_isspace (text[0]) || g_ascii_isspace (text[strlen (text) - 1])))
    g_error ("%s: surrounding spaces kept", key);
}

static void
check_info (const VmgrCustomerInfo *info, gboolean identity)
{
  check_text ("full_name", info->full_name);
  check_text ("email", info->email);
  check_text ("phone", info->phone);
  check_text ("address", info->address);
  check_text ("province", info->province);
  check_text ("national_id", info->national_id);
  check_text ("plan", info->plan);
  if (*info->plan != '\0' && !vmgr_validate_name (info->plan, NULL, NULL))
    g_error ("plan '%s' accepted", info->plan);
  if (*info->email != '\0' && strchr (info->email, '@') == NULL)
    g_error ("email '%s' accepted", info->email);
  if (identity &&
      (*info->full_name == '\0' || *info->email == '\0' || *info->national_id == '\0'))
    g_error ("an incomplete identity accepted");
}

static void
apply (const VmgrCustomerInfo *start, GVariant *dict, gboolean identity)
{
  g_autoptr(VmgrCustomerInfo) info = vmgr_customer_info_copy (start);
  g_autoptr(GError) error = NULL;

  if (!vmgr_customer_info_apply (info, dict, identity, &error))
    {
      fuzz_check_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_ARGUMENT);
      if (!vmgr_customer_info_equal (info, start))
        g_error ("a refused change changed the record");
      return;
    }
  if (error != NULL)
    g_error ("success with an error set");
  check_info (info, identity);
}

static void
set (char **field, const char *value)
{
  g_free (*field);
  *field = g_strdup (value);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr(GVariant) dict = NULL;
  g_autoptr(VmgrCustomerInfo) empty = vmgr_customer_info_new (60002);
  g_autoptr(VmgrCustomerInfo) full = vmgr_customer_info_new (60002);

  fuzz_setup ();
  dict = fuzz_variant (G_VARIANT_TYPE_VARDICT, data, size);

  set (&full->full_name, "Alice Example");
  set (&full->email, "alice@example.org");
  set (&full->national_id, "X-1234567");
  set (&full->plan, "basic");
  full->max_vms = 3;

  apply (empty, dict, TRUE);
  apply (empty, dict, FALSE);
  apply (full, dict, TRUE);
  return 0;
}
