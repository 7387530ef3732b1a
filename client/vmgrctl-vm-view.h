/* How a VM is shown: a row of `list`, the lines of `show`, its JSON. */
#pragma once

#include <json-glib/json-glib.h>

#include "vmgr-generated.h"
#include "vmgrctl-output.h"

G_BEGIN_DECLS

/* ID NAME STATE OWNER PLAN TEMPLATE VCPUS MEMORY DISK */
VmgrctlTable *vmgrctl_vm_table_new (void);
void vmgrctl_vm_table_add (VmgrctlTable *table, VmgrDBusVM *vm);
/* The same with HOST after STATE (vmgrd with several hosts). */
VmgrctlTable *vmgrctl_vm_table_new_with_host (void);
void vmgrctl_vm_table_add_with_host (VmgrctlTable *table, VmgrDBusVM *vm);

/* "Key: value" lines with every property and the usage sample. */
char *vmgrctl_vm_describe (VmgrDBusVM *vm);

/* An object with every property, keys in snake_case (memory_limit, ...). */
JsonNode *vmgrctl_vm_to_json (VmgrDBusVM *vm);

G_END_DECLS
