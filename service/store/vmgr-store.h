/* The sqlite store: the truth for what vmgr adds to libvirt (ids, owners,
 * plans, templates, requested resources, the domain definition, audit).
 * One file in the state directory, WAL mode, synchronous=FULL; every
 * mutation is one transaction, so a successful return means it is on disk.
 * All errors are in VMGR_ERROR: NOT_FOUND, ALREADY_EXISTS, INVALID_STATE
 * (e.g. removing a plan in use) or FAILED (sqlite itself failed; the message
 * carries sqlite's). Not thread-safe: used from the main thread only. */
#pragma once

#include <glib-object.h>

#include "vmgr-records.h"

G_BEGIN_DECLS

#define VMGR_TYPE_STORE (vmgr_store_get_type ())
G_DECLARE_FINAL_TYPE (VmgrStore, vmgr_store, VMGR, STORE, GObject)

/* The schema version this build writes; older files are migrated on open. */
#define VMGR_STORE_SCHEMA_VERSION 7

/* Opens (creating if needed) the sqlite file at @path and migrates it. */
VmgrStore *vmgr_store_open (const char *path, GError **error);
int vmgr_store_get_schema_version (VmgrStore *self);
const char *vmgr_store_get_path (VmgrStore *self);

/* True when the store holds no VM, template or plan (first start). */
gboolean vmgr_store_is_empty (VmgrStore *self);

/* Every change takes @audit, the row that records who made it (NULL: none):
 * the change and its row commit in one transaction, or neither does. */

/* VMs. @domain_xml is the libvirt definition vmgr last defined. */
gboolean vmgr_store_insert_vm (VmgrStore *self, const VmgrVmSpec *spec,
                               const char *domain_xml, const VmgrAuditEntry *audit, GError **error);
/* The same for a VM restored from a backup (issue 13), which may take back
 * its own retired id: the id is no longer retired once the VM is in. */
gboolean vmgr_store_insert_restored_vm (VmgrStore *self, const VmgrVmSpec *spec,
                                        const char *domain_xml, const VmgrAuditEntry *audit,
                                        GError **error);
gboolean vmgr_store_update_vm (VmgrStore *self, const VmgrVmSpec *spec,
                               const char *domain_xml, const VmgrAuditEntry *audit, GError **error);
gboolean vmgr_store_delete_vm (VmgrStore *self, guint32 id,
                               const VmgrAuditEntry *audit, GError **error);
VmgrVmSpec *vmgr_store_get_vm (VmgrStore *self, guint32 id, GError **error);
char *vmgr_store_get_vm_domain_xml (VmgrStore *self, guint32 id, GError **error);
/* Every VM, ordered by id; element type VmgrVmSpec (owned by the array). */
GPtrArray *vmgr_store_list_vms (VmgrStore *self, GError **error);
/* The lowest id >= 101 that no VM has. */
guint32 vmgr_store_next_vm_id (VmgrStore *self, GError **error);

/* Templates, ordered by name; element type VmgrTemplate. */
gboolean vmgr_store_add_template (VmgrStore *self, const VmgrTemplate *tmpl,
                                  const VmgrAuditEntry *audit, GError **error);
VmgrTemplate *vmgr_store_get_template (VmgrStore *self, const char *name, GError **error);
GPtrArray *vmgr_store_list_templates (VmgrStore *self, GError **error);
/* INVALID_STATE while a VM uses it. */
gboolean vmgr_store_remove_template (VmgrStore *self, const char *name,
                                     const VmgrAuditEntry *audit, GError **error);
/* How many VMs use the template / plan. */
guint vmgr_store_count_vms_using_template (VmgrStore *self, const char *name);
guint vmgr_store_count_vms_using_plan (VmgrStore *self, const char *name);

/* Plans, ordered by name; element type VmgrPlan. set_plan creates or replaces. */
gboolean vmgr_store_set_plan (VmgrStore *self, const VmgrPlan *plan,
                              const VmgrAuditEntry *audit, GError **error);
VmgrPlan *vmgr_store_get_plan (VmgrStore *self, const char *name, GError **error);
GPtrArray *vmgr_store_list_plans (VmgrStore *self, GError **error);
gboolean vmgr_store_remove_plan (VmgrStore *self, const char *name,
                                 const VmgrAuditEntry *audit, GError **error);

/* Plans (VmgrPlan) and templates (VmgrTemplate) in one transaction: all
 * of them, or none (a first start seeds its catalogue with it). */
gboolean vmgr_store_add_catalog (VmgrStore *self, GPtrArray *plans, GPtrArray *templates,
                                 GError **error);

/* Customers (schema 2). A national id, when not empty, is unique
 * (ALREADY_EXISTS "national id 'X' is already registered"). */
gboolean vmgr_store_add_customer (VmgrStore *self, const VmgrCustomerInfo *customer,
                                  const VmgrAuditEntry *audit, GError **error);
gboolean vmgr_store_update_customer (VmgrStore *self, const VmgrCustomerInfo *customer,
                                     const VmgrAuditEntry *audit, GError **error);
/* NOT_FOUND when absent; INVALID_STATE while a VM is owned by the uid. */
gboolean vmgr_store_remove_customer (VmgrStore *self, guint32 uid,
                                     const VmgrAuditEntry *audit, GError **error);
VmgrCustomerInfo *vmgr_store_get_customer (VmgrStore *self, guint32 uid, GError **error);
/* Ordered by uid; element type VmgrCustomerInfo. */
GPtrArray *vmgr_store_list_customers (VmgrStore *self, GError **error);
guint vmgr_store_count_vms_owned_by (VmgrStore *self, guint32 uid);

/* Audit log. */
gboolean vmgr_store_append_audit (VmgrStore *self, const VmgrAuditEntry *entry, GError **error);
/* Newest first. @uid < 0 means any uid; @since/@until 0 mean unbounded;
 * @target NULL means any; @limit 0 means 1000. Element type VmgrAuditEntry. */
GPtrArray *vmgr_store_query_audit (VmgrStore *self, gint64 since, gint64 until,
                                   gint64 uid, const char *target, guint limit,
                                   GError **error);

/* What vmgr_store_query_audit_filtered selects; zero-initialized means
 * everything (but @uid: set it to -1 for any caller). */
typedef struct {
  gint64 since, until;      /* inclusive; 0: unbounded */
  gint64 uid;               /* the caller's uid; < 0: any */
  const char *target;       /* object path, target name or VM UUID; NULL: any */
  const char *verb;         /* NULL: any */
  guint limit;              /* 0: 1000 */
} VmgrAuditFilter;

GPtrArray *vmgr_store_query_audit_filtered (VmgrStore *self, const VmgrAuditFilter *filter,
                                            GError **error);

/* VM ids are handed out once for the life of the store: a deleted VM's id
 * is retired (vmgr_store_delete_vm) and vmgr_store_insert_vm refuses it.
 * The retired ids, ascending. */
GArray *vmgr_store_list_retired_vm_ids (VmgrStore *self, GError **error);

/* Hosts added besides the configured one (vmgr-store-hosts.c). */
typedef struct {
  char *name;
  char *uri;
  gint64 added_at;          /* microseconds since the epoch; 0 = now when added */
  char *pool;               /* the storage pool of its VMs' files (NULL: "default") */
} VmgrHostEntry;

void vmgr_host_entry_free (VmgrHostEntry *entry);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VmgrHostEntry, vmgr_host_entry_free)

/* ALREADY_EXISTS when a host has @entry's name or URI. */
gboolean vmgr_store_add_host (VmgrStore *self, const VmgrHostEntry *entry,
                              const VmgrAuditEntry *audit, GError **error);
/* NOT_FOUND when there is no such host; INVALID_STATE while VMs are on it. */
gboolean vmgr_store_remove_host (VmgrStore *self, const char *name, const VmgrAuditEntry *audit,
                                 GError **error);
/* Ordered by name (element type VmgrHostEntry*). */
GPtrArray *vmgr_store_list_hosts (VmgrStore *self, GError **error);

G_END_DECLS
