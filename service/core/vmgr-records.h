/* The record types every layer shares: a VM's spec (identity, ownership,
 * requested resources and network settings) and its state, plans,
 * templates, customers and audit entries. Plain data with copy and free
 * functions; the store persists them, the objects export them. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The resources a VM is given and a plan sets, listed once. Each record
 * that has them embeds VMGR_RESOURCES: the members by name
 * (spec->memory_limit) and all of them as one VmgrResources
 * (spec->resources). In a VM: memory_limit is its memory size (never 0),
 * vcpus >= 1, cpu_weight 1..10000 (default 100), cpu_limit in percent of
 * one host CPU; soft limits and cpu_limit 0 = none. Sizes in bytes. */
#define VMGR_RESOURCE_MEMBERS \
  guint64 memory_guarantee;   \
  guint64 memory_soft_limit;  \
  guint64 memory_limit;       \
  guint32 vcpus;              \
  guint32 cpu_weight;         \
  guint32 cpu_limit;          \
  guint64 disk_soft_limit;    \
  guint64 disk_hard_limit;

typedef struct {
  VMGR_RESOURCE_MEMBERS
} VmgrResources;

#define VMGR_RESOURCES   \
  union {                \
    VmgrResources resources; \
    struct {             \
      VMGR_RESOURCE_MEMBERS \
    };                   \
  }

typedef struct {
  guint32 id;
  char *name;
  char *uuid;               /* canonical lower-case 36-char form */
  guint32 owner;            /* uid */
  char *template_name;
  char *plan;               /* "" when the VM has no plan */
  VMGR_RESOURCES;
  char *hostname;           /* "" when unset */
  char **addresses;         /* CIDR strings, never NULL */
  char *gateway;            /* "" when unset */
  char **nameservers;       /* never NULL */
  gboolean autostart;
  char *host;               /* the host it is on; "" (or NULL) = the configured one */
} VmgrVmSpec;

VmgrVmSpec *vmgr_vm_spec_new (void);
VmgrVmSpec *vmgr_vm_spec_copy (const VmgrVmSpec *spec);
/* A VM vmgr adopted from an existing libvirt domain (Manager.AdoptVM) has
 * no template: its definition is the domain's own, not vmgr's to rebuild. */
gboolean vmgr_vm_spec_is_adopted (const VmgrVmSpec *spec);
void vmgr_vm_spec_free (VmgrVmSpec *spec);
gboolean vmgr_vm_spec_equal (const VmgrVmSpec *a, const VmgrVmSpec *b);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VmgrVmSpec, vmgr_vm_spec_free)

/* A plan: named default resources. A field left at 0 means "not set by the
 * plan" (memory_limit of a plan is never 0). */
typedef struct {
  char *name;
  VMGR_RESOURCES;
  guint32 max_vms;          /* 0 = unlimited */
  guint32 max_snapshots;    /* the default of its customers' quota; 0 = unlimited */
} VmgrPlan;

VmgrPlan *vmgr_plan_new (const char *name);
VmgrPlan *vmgr_plan_copy (const VmgrPlan *plan);
void vmgr_plan_free (VmgrPlan *plan);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VmgrPlan, vmgr_plan_free)

typedef struct {
  char *name;
  char *os;
  char *description;
  char *source;             /* where the backend finds the image or rootfs; may be "" */
} VmgrTemplate;

VmgrTemplate *vmgr_template_new (const char *name);
void vmgr_template_free (VmgrTemplate *tmpl);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VmgrTemplate, vmgr_template_free)

/* A registered customer: an existing Unix user with the personal data of
 * the original system, a plan and quotas (0 = no limit). */
typedef struct {
  guint32 uid;
  char *full_name;
  char *email;
  char *phone;
  char *address;
  char *province;
  char *national_id;        /* "" or unique */
  char *plan;               /* "" when none */
  guint32 max_vms;
  guint32 max_vcpus;
  guint64 max_memory;       /* bytes */
  guint64 max_disk;         /* bytes */
  guint32 max_snapshots;    /* snapshots of all the customer's VMs together */
  gboolean suspended;
  char *suspend_reason;
  gint64 created_at;        /* microseconds since the epoch */
} VmgrCustomerInfo;

VmgrCustomerInfo *vmgr_customer_info_new (guint32 uid);
VmgrCustomerInfo *vmgr_customer_info_copy (const VmgrCustomerInfo *info);
void vmgr_customer_info_free (VmgrCustomerInfo *info);
gboolean vmgr_customer_info_equal (const VmgrCustomerInfo *a, const VmgrCustomerInfo *b);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VmgrCustomerInfo, vmgr_customer_info_free)

typedef struct {
  gint64 time;              /* microseconds since the epoch */
  guint32 uid;
  char *caller;             /* caller's user name and bus name, e.g. "alice (:1.42)" */
  gint64 pid;               /* -1 when unknown */
  char *action;             /* polkit action id or method */
  char *target;             /* object path or name */
  char *result;             /* "allowed", "denied", "failed" */
  char *message;
  char *verb;               /* the D-Bus method, e.g. "Stop"; NULL when unknown */
  char *target_name;        /* the VM's name or the customer's user name, or NULL */
  char *target_uuid;        /* the VM's UUID, or NULL */
  GPtrArray *changes;       /* of VmgrAuditChange, in the order made; never NULL */
} VmgrAuditEntry;

/* One value a mutation changed: @field ("memory_limit", "owner", ...) from
 * @old_value to @new_value, as text (sizes in bytes); either is NULL when
 * there was none (a creation, a removal). */
typedef struct {
  char *field;
  char *old_value;
  char *new_value;
} VmgrAuditChange;

VmgrAuditEntry *vmgr_audit_entry_new (void);
void vmgr_audit_entry_free (VmgrAuditEntry *entry);
void vmgr_audit_entry_add_change (VmgrAuditEntry *entry, const char *field,
                                  const char *old_value, const char *new_value);
/* An empty list of VmgrAuditChange, as VmgrAuditEntry.changes; and one
 * more change at its end. */
GPtrArray *vmgr_audit_changes_new (void);
void vmgr_audit_changes_add (GPtrArray *changes, const char *field, const char *old_value,
                             const char *new_value);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VmgrAuditEntry, vmgr_audit_entry_free)

/* A VM's state as the contract names it. */
typedef enum {
  VMGR_VM_STATE_PROVISIONING,
  VMGR_VM_STATE_STOPPED,
  VMGR_VM_STATE_STARTING,
  VMGR_VM_STATE_RUNNING,
  VMGR_VM_STATE_PAUSED,
  VMGR_VM_STATE_STOPPING,
  VMGR_VM_STATE_CRASHED,
  VMGR_VM_STATE_SUSPENDED,
  VMGR_VM_STATE_UNKNOWN,
} VmgrVmState;

/* "running", "stopped", ... as in the contract. */
const char *vmgr_vm_state_to_string (VmgrVmState state);

G_END_DECLS
