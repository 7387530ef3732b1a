/* One exported org.vmgr.Customer at /org/vmgr/customer/UID: a registered
 * customer's data, quota and what its VMs use of it, and the
 * administrator's Update, Suspend, Unsuspend and Remove.
 *
 * Signals: "changed" () after its record changed; "removed" () once it is
 * gone from the store. */
#pragma once

#include "vmgr-context.h"
#include "vmgr-generated.h"
#include "vmgr-limits.h"

G_BEGIN_DECLS

#define VMGR_TYPE_CUSTOMER (vmgr_customer_get_type ())
G_DECLARE_FINAL_TYPE (VmgrCustomer, vmgr_customer, VMGR, CUSTOMER, VmgrDBusCustomerSkeleton)

VmgrCustomer *vmgr_customer_new (const VmgrContext *context, const VmgrCustomerInfo *info);
const VmgrCustomerInfo *vmgr_customer_get_info (VmgrCustomer *self);
/* Shows what the customer's VMs use now. */
void vmgr_customer_set_allocated (VmgrCustomer *self, const VmgrAllocation *allocation);

G_END_DECLS
