/* How a customer is shown: a row of `customers`, the lines of
 * `customer show`, its JSON. */
#pragma once

#include <json-glib/json-glib.h>

#include "vmgr-generated.h"
#include "vmgrctl-output.h"

G_BEGIN_DECLS

/* UID USER NAME EMAIL PLAN VMS SUSPENDED; VMS is "allocated/max" ("-"
 * for no maximum), SUSPENDED "yes" or "no". */
VmgrctlTable *vmgrctl_customer_table_new (void);
void vmgrctl_customer_table_add (VmgrctlTable *table, VmgrDBusCustomer *customer);

/* "Key: value" lines with every property, Quota and Allocated indented
 * under their headings (a quota of 0 is "unlimited"). */
char *vmgrctl_customer_describe (VmgrDBusCustomer *customer);

/* An object with every property, keys in snake_case (user_name, quota,
 * ...); quota and allocated are objects. */
JsonNode *vmgrctl_customer_to_json (VmgrDBusCustomer *customer);

G_END_DECLS
