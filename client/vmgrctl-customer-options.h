/* The options of `customer add` and `customer update` and the a{sv} they
 * give AddCustomer and Customer.Update: only the keys given. Pure, no
 * D-Bus. */
#pragma once

#include <glib.h>

#include "vmgrctl-errors.h"

G_BEGIN_DECLS

#define VMGRCTL_N_CUSTOMER_FIELDS 12

/* The text given to --name, --email, ... (NULL when not given). */
typedef struct {
  char *values[VMGRCTL_N_CUSTOMER_FIELDS];
} VmgrctlCustomerOptions;

void vmgrctl_customer_options_clear (VmgrctlCustomerOptions *options);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (VmgrctlCustomerOptions, vmgrctl_customer_options_clear)

/* GOptionEntry array (free with g_free) filling @options: --name,
 * --email, --national-id, --phone, --address, --province, --plan,
 * --max-vms, --max-vcpus, --max-memory, --max-disk. */
GOptionEntry *vmgrctl_customer_options_entries (VmgrctlCustomerOptions *options);

/* The first of --name, --email, --national-id (what AddCustomer needs)
 * not given, as "--name", or NULL. */
const char *vmgrctl_customer_options_missing (const VmgrctlCustomerOptions *options);

gboolean vmgrctl_customer_options_any (const VmgrctlCustomerOptions *options);

/* The info a{sv} (full_name s, email s, phone s, address s, province s,
 * national_id s, plan s, max_vms u, max_vcpus u, max_memory t,
 * max_disk t), new reference; a malformed number or size is a usage error
 * naming the option. */
GVariant *vmgrctl_customer_options_to_info (const VmgrctlCustomerOptions *options,
                                            GError **error);

/* The options above as {key, option} pairs, ended by {NULL, NULL}
 * (full_name is --name, ...). */
const VmgrctlKeyOption *vmgrctl_customer_option_keys (void);

G_END_DECLS
