/* The a{sv} of AddCustomer and Customer.Update: personal data of the
 * original system (full_name, email, phone, address, province,
 * national_id), a plan and quotas (max_vms u, max_vcpus u, max_memory t,
 * max_disk t; 0 = no limit). Pure validation; errors are
 * VMGR_ERROR_INVALID_ARGUMENT naming the key. */
#pragma once

#include <glib.h>

#include "vmgr-records.h"

G_BEGIN_DECLS

/* Applies the keys of @dict to @info. With @require_identity, full_name,
 * email and national_id must end up non-empty (as the original sign-up
 * form required). @info is unchanged on error. */
gboolean vmgr_customer_info_apply (VmgrCustomerInfo *info, GVariant *dict,
                                   gboolean require_identity, GError **error);

/* Whether @dict sets the key. */
gboolean vmgr_customer_info_has_key (GVariant *dict, const char *key);

G_END_DECLS
