/* The vms table: one row per VM, with the definition vmgr gave libvirt. */
#include "vmgr-store-private.h"

#include "vmgr-error.h"
#include "vmgr-ledger.h"

#define FIRST_VM_ID 101

#define VM_COLUMNS                                                         \
  "id, name, uuid, owner, template, plan, memory_guarantee,"               \
  " memory_soft_limit, memory_limit, vcpus, cpu_weight, cpu_limit,"        \
  " disk_soft_limit, disk_hard_limit, hostname, addresses, gateway,"       \
  " nameservers, autostart, host"

#define VM_PARAMS                                                          \
  ":id, :name, :uuid, :owner, :template, :plan, :memory_guarantee,"        \
  " :memory_soft_limit, :memory_limit, :vcpus, :cpu_weight, :cpu_limit,"   \
  " :disk_soft_limit, :disk_hard_limit, :hostname, :addresses, :gateway,"  \
  " :nameservers, :autostart, :host"

/* ---- VMs ------------------------------------------------------------- */

static gpointer
row_to_vm (sqlite3_stmt *stmt)
{
  VmgrVmSpec *spec = g_new0 (VmgrVmSpec, 1);
  int c = 0;

  spec->id = (guint32) sqlite3_column_int64 (stmt, c++);
  spec->name = vmgr_store_column_dup (stmt, c++);
  spec->uuid = vmgr_store_column_dup (stmt, c++);
  spec->owner = (guint32) sqlite3_column_int64 (stmt, c++);
  spec->template_name = vmgr_store_column_dup (stmt, c++);
  spec->plan = vmgr_store_column_dup (stmt, c++);
  spec->memory_guarantee = (guint64) sqlite3_column_int64 (stmt, c++);
  spec->memory_soft_limit = (guint64) sqlite3_column_int64 (stmt, c++);
  spec->memory_limit = (guint64) sqlite3_column_int64 (stmt, c++);
  spec->vcpus = (guint32) sqlite3_column_int64 (stmt, c++);
  spec->cpu_weight = (guint32) sqlite3_column_int64 (stmt, c++);
  spec->cpu_limit = (guint32) sqlite3_column_int64 (stmt, c++);
  spec->disk_soft_limit = (guint64) sqlite3_column_int64 (stmt, c++);
  spec->disk_hard_limit = (guint64) sqlite3_column_int64 (stmt, c++);
  spec->hostname = vmgr_store_column_dup (stmt, c++);
  spec->addresses = vmgr_store_column_lines (stmt, c++);
  spec->gateway = vmgr_store_column_dup (stmt, c++);
  spec->nameservers = vmgr_store_column_lines (stmt, c++);
  spec->autostart = sqlite3_column_int64 (stmt, c++) != 0;
  spec->host = vmgr_store_column_dup (stmt, c++);
  return spec;
}

/* Binds every VM_PARAMS parameter. */
static gboolean
bind_vm (sqlite3_stmt *stmt, const VmgrVmSpec *spec)
{
  return vmgr_store_bind_int (stmt, ":id", spec->id) &&
         vmgr_store_bind_text (stmt, ":name", spec->name) &&
         vmgr_store_bind_text (stmt, ":uuid", spec->uuid) &&
         vmgr_store_bind_int (stmt, ":owner", spec->owner) &&
         vmgr_store_bind_text0 (stmt, ":template", spec->template_name) &&
         vmgr_store_bind_text0 (stmt, ":plan", spec->plan) &&
         vmgr_store_bind_uint64 (stmt, ":memory_guarantee", spec->memory_guarantee) &&
         vmgr_store_bind_uint64 (stmt, ":memory_soft_limit", spec->memory_soft_limit) &&
         vmgr_store_bind_uint64 (stmt, ":memory_limit", spec->memory_limit) &&
         vmgr_store_bind_int (stmt, ":vcpus", spec->vcpus) &&
         vmgr_store_bind_int (stmt, ":cpu_weight", spec->cpu_weight) &&
         vmgr_store_bind_int (stmt, ":cpu_limit", spec->cpu_limit) &&
         vmgr_store_bind_uint64 (stmt, ":disk_soft_limit", spec->disk_soft_limit) &&
         vmgr_store_bind_uint64 (stmt, ":disk_hard_limit", spec->disk_hard_limit) &&
         vmgr_store_bind_text0 (stmt, ":hostname", spec->hostname) &&
         vmgr_store_bind_lines (stmt, ":addresses", spec->addresses) &&
         vmgr_store_bind_text0 (stmt, ":gateway", spec->gateway) &&
         vmgr_store_bind_lines (stmt, ":nameservers", spec->nameservers) &&
         vmgr_store_bind_int (stmt, ":autostart", spec->autostart ? 1 : 0) &&
         vmgr_store_bind_text0 (stmt, ":host", spec->host);
}

/* Counts VMs other than @exclude_id (-1: none) matching @sql on :value. */
static gint64
count_other_vms (VmgrStore *self, const char *sql, const char *value, guint32 owner,
                 gint64 exclude_id, GError **error)
{
  g_autoptr(sqlite3_stmt) stmt = vmgr_store_prepare (self, sql, error);

  if (stmt == NULL)
    return -1;
  if (!vmgr_store_bind_text (stmt, ":value", value) || !vmgr_store_bind_int (stmt, ":id", exclude_id) ||
      (sqlite3_bind_parameter_index (stmt, ":owner") != 0 &&
       !vmgr_store_bind_int (stmt, ":owner", owner)))
    {
      vmgr_store_fail (self, error);
      return -1;
    }
  return vmgr_store_step_int (self, stmt, error);
}

/* Whether @sql (a count of rows with ":id") finds @id. */
static gboolean
id_counted (VmgrStore *self, const char *sql, guint32 id, gboolean *found, GError **error)
{
  g_autoptr(sqlite3_stmt) stmt = vmgr_store_prepare (self, sql, error);
  gint64 n;

  if (stmt == NULL)
    return FALSE;
  if (!vmgr_store_bind_int (stmt, ":id", id))
    return vmgr_store_fail (self, error);
  n = vmgr_store_step_int (self, stmt, error);
  *found = n > 0;
  return n >= 0;
}

static gboolean
vm_id_exists (VmgrStore *self, guint32 id, gboolean *exists, GError **error)
{
  return id_counted (self, "SELECT count(*) FROM vms WHERE id = :id", id, exists, error);
}

static gboolean
vm_id_retired (VmgrStore *self, guint32 id, gboolean *retired, GError **error)
{
  return id_counted (self, "SELECT count(*) FROM retired_vm_ids WHERE id = :id", id, retired,
                     error);
}

/* ALREADY_EXISTS when another VM (not @exclude_id) has @spec's name or UUID. */
static gboolean
check_vm_unique (VmgrStore *self, const VmgrVmSpec *spec, gint64 exclude_id,
                 GError **error)
{
  gint64 n;

  n = count_other_vms (self, "SELECT count(*) FROM vms WHERE name = :value AND owner = :owner"
                       " AND id != :id", spec->name, spec->owner, exclude_id, error);
  if (n > 0)
    g_set_error (error, VMGR_ERROR, VMGR_ERROR_ALREADY_EXISTS,
                 "uid %u already has a VM named '%s'", spec->owner, spec->name);
  if (n != 0)
    return FALSE;
  n = count_other_vms (self, "SELECT count(*) FROM vms WHERE uuid = :value AND id != :id",
                       spec->uuid, 0, exclude_id, error);
  if (n > 0)
    g_set_error (error, VMGR_ERROR, VMGR_ERROR_ALREADY_EXISTS,
                 "a VM with UUID %s already exists", spec->uuid);
  return n == 0;
}

typedef struct
{
  const VmgrVmSpec *spec;
  const char *domain_xml;
  gboolean reuse_retired_id;   /* a restored VM takes its own id back */
} VmWrite;

static gboolean
unretire_vm_id (VmgrStore *self, guint32 id, GError **error)
{
  g_autoptr(sqlite3_stmt) stmt =
    vmgr_store_prepare (self, "DELETE FROM retired_vm_ids WHERE id = :id", error);

  if (stmt == NULL)
    return FALSE;
  if (!vmgr_store_bind_int (stmt, ":id", id))
    return vmgr_store_fail (self, error);
  return vmgr_store_step_done (self, stmt, error);
}

static gboolean
insert_vm_txn (VmgrStore *self, gconstpointer data, GError **error)
{
  const VmWrite *w = data;
  g_autoptr(sqlite3_stmt) stmt = NULL;
  gboolean taken = FALSE;

  if (!check_vm_unique (self, w->spec, -1, error) ||
      !vm_id_exists (self, w->spec->id, &taken, error))
    return FALSE;
  if (taken)
    {
      g_set_error (error, VMGR_ERROR, VMGR_ERROR_ALREADY_EXISTS,
                   "VM id %u is taken", w->spec->id);
      return FALSE;
    }
  if (w->reuse_retired_id && !unretire_vm_id (self, w->spec->id, error))
    return FALSE;
  if (!vm_id_retired (self, w->spec->id, &taken, error))
    return FALSE;
  if (taken)
    return vmgr_set_vm_id_retired_error (error, w->spec->id), FALSE;
  stmt = vmgr_store_prepare (self, "INSERT INTO vms (" VM_COLUMNS ", domain_xml, created_at)"
                              " VALUES (" VM_PARAMS ", :domain_xml, :created_at)", error);
  if (stmt == NULL)
    return FALSE;
  if (!bind_vm (stmt, w->spec) || !vmgr_store_bind_text0 (stmt, ":domain_xml", w->domain_xml) ||
      !vmgr_store_bind_int (stmt, ":created_at", g_get_real_time ()))
    return vmgr_store_fail (self, error);
  return vmgr_store_step_done (self, stmt, error);
}

gboolean
vmgr_store_insert_vm (VmgrStore *self, const VmgrVmSpec *spec,
                      const char *domain_xml, const VmgrAuditEntry *audit, GError **error)
{
  VmWrite w = { spec, domain_xml, FALSE };

  g_return_val_if_fail (VMGR_IS_STORE (self), FALSE);
  g_return_val_if_fail (spec != NULL, FALSE);
  return vmgr_store_transaction (self, insert_vm_txn, &w, audit, error);
}

gboolean
vmgr_store_insert_restored_vm (VmgrStore *self, const VmgrVmSpec *spec, const char *domain_xml,
                               const VmgrAuditEntry *audit, GError **error)
{
  VmWrite w = { spec, domain_xml, TRUE };

  g_return_val_if_fail (VMGR_IS_STORE (self), FALSE);
  g_return_val_if_fail (spec != NULL, FALSE);
  return vmgr_store_transaction (self, insert_vm_txn, &w, audit, error);
}

static gboolean
no_vm_error (GError **error, guint32 id)
{
  g_set_error (error, VMGR_ERROR, VMGR_ERROR_NOT_FOUND, "no VM with id %u", id);
  return FALSE;
}

static gboolean
update_vm_txn (VmgrStore *self, gconstpointer data, GError **error)
{
  const VmWrite *w = data;
  g_autoptr(sqlite3_stmt) stmt = NULL;
  gboolean exists = FALSE;

  if (!vm_id_exists (self, w->spec->id, &exists, error))
    return FALSE;
  if (!exists)
    return no_vm_error (error, w->spec->id);
  if (!check_vm_unique (self, w->spec, w->spec->id, error))
    return FALSE;
  stmt = vmgr_store_prepare (self, "UPDATE vms SET (" VM_COLUMNS ", domain_xml) = (" VM_PARAMS
                              ", coalesce (:domain_xml, domain_xml)) WHERE id = :id", error);
  if (stmt == NULL)
    return FALSE;
  if (!bind_vm (stmt, w->spec) || !vmgr_store_bind_text (stmt, ":domain_xml", w->domain_xml))
    return vmgr_store_fail (self, error);
  return vmgr_store_step_done (self, stmt, error);
}

/* A NULL @domain_xml keeps the stored definition. */
gboolean
vmgr_store_update_vm (VmgrStore *self, const VmgrVmSpec *spec,
                      const char *domain_xml, const VmgrAuditEntry *audit, GError **error)
{
  VmWrite w = { spec, domain_xml };

  g_return_val_if_fail (VMGR_IS_STORE (self), FALSE);
  g_return_val_if_fail (spec != NULL, FALSE);
  return vmgr_store_transaction (self, update_vm_txn, &w, audit, error);
}

static gboolean
retire_vm_id (VmgrStore *self, guint32 id, GError **error)
{
  g_autoptr(sqlite3_stmt) stmt =
    vmgr_store_prepare (self, "INSERT OR REPLACE INTO retired_vm_ids (id, retired_at)"
                              " VALUES (:id, :now)", error);

  if (stmt == NULL)
    return FALSE;
  if (!vmgr_store_bind_int (stmt, ":id", id) ||
      !vmgr_store_bind_int (stmt, ":now", g_get_real_time ()))
    return vmgr_store_fail (self, error);
  return vmgr_store_step_done (self, stmt, error);
}

static gboolean
delete_vm_txn (VmgrStore *self, gconstpointer data, GError **error)
{
  guint32 id = GPOINTER_TO_UINT (data);
  g_autoptr(sqlite3_stmt) stmt =
    vmgr_store_prepare (self, "DELETE FROM vms WHERE id = :id", error);

  if (stmt == NULL)
    return FALSE;
  if (!vmgr_store_bind_int (stmt, ":id", id))
    return vmgr_store_fail (self, error);
  if (!vmgr_store_step_done (self, stmt, error))
    return FALSE;
  if (sqlite3_changes (self->db) == 0)
    return no_vm_error (error, id);
  return retire_vm_id (self, id, error);
}

GArray *
vmgr_store_list_retired_vm_ids (VmgrStore *self, GError **error)
{
  g_autoptr(sqlite3_stmt) stmt =
    vmgr_store_prepare (self, "SELECT id FROM retired_vm_ids ORDER BY id", error);
  g_autoptr(GArray) ids = g_array_new (FALSE, FALSE, sizeof (guint32));
  int rc;

  if (stmt == NULL)
    return NULL;
  while ((rc = vmgr_store_step (self, stmt, error)) == SQLITE_ROW)
    {
      guint32 id = (guint32) sqlite3_column_int64 (stmt, 0);

      g_array_append_val (ids, id);
    }
  return rc == SQLITE_DONE ? g_steal_pointer (&ids) : NULL;
}

gboolean
vmgr_store_delete_vm (VmgrStore *self, guint32 id, const VmgrAuditEntry *audit, GError **error)
{
  g_return_val_if_fail (VMGR_IS_STORE (self), FALSE);
  return vmgr_store_transaction (self, delete_vm_txn, GUINT_TO_POINTER (id), audit, error);
}

/* Prepares @sql (one row per VM, selected by ":id") and steps to the row;
 * NULL with NOT_FOUND when there is none. */
static sqlite3_stmt *
select_vm_row (VmgrStore *self, const char *sql, guint32 id, GError **error)
{
  g_autoptr(sqlite3_stmt) stmt = vmgr_store_prepare (self, sql, error);
  int rc;

  if (stmt == NULL)
    return NULL;
  if (!vmgr_store_bind_int (stmt, ":id", id))
    {
      vmgr_store_fail (self, error);
      return NULL;
    }
  rc = vmgr_store_step (self, stmt, error);
  if (rc == SQLITE_DONE)
    no_vm_error (error, id);
  return rc == SQLITE_ROW ? g_steal_pointer (&stmt) : NULL;
}

VmgrVmSpec *
vmgr_store_get_vm (VmgrStore *self, guint32 id, GError **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;

  g_return_val_if_fail (VMGR_IS_STORE (self), NULL);
  stmt = select_vm_row (self, "SELECT " VM_COLUMNS " FROM vms WHERE id = :id", id, error);
  return stmt != NULL ? row_to_vm (stmt) : NULL;
}

char *
vmgr_store_get_vm_domain_xml (VmgrStore *self, guint32 id, GError **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;

  g_return_val_if_fail (VMGR_IS_STORE (self), NULL);
  stmt = select_vm_row (self, "SELECT domain_xml FROM vms WHERE id = :id", id, error);
  return stmt != NULL ? vmgr_store_column_dup (stmt, 0) : NULL;
}

GPtrArray *
vmgr_store_list_vms (VmgrStore *self, GError **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;

  g_return_val_if_fail (VMGR_IS_STORE (self), NULL);
  stmt = vmgr_store_prepare (self, "SELECT " VM_COLUMNS " FROM vms ORDER BY id", error);
  if (stmt == NULL)
    return NULL;
  return vmgr_store_collect (self, stmt, row_to_vm, (GDestroyNotify) vmgr_vm_spec_free, error);
}

guint32
vmgr_store_next_vm_id (VmgrStore *self, GError **error)
{
  /* 101 if free, else one past the end of the first run of used ids (of
   * VMs, or retired) that starts at 101 or later. */
  static const char sql[] =
    "WITH used (id) AS (SELECT id FROM vms UNION SELECT id FROM retired_vm_ids)"
    " SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM used WHERE id = :first) THEN :first"
    " ELSE (SELECT min (a.id + 1) FROM used AS a WHERE a.id >= :first"
    "       AND NOT EXISTS (SELECT 1 FROM used AS b WHERE b.id = a.id + 1)) END";
  g_autoptr(sqlite3_stmt) stmt = NULL;
  gint64 id;

  g_return_val_if_fail (VMGR_IS_STORE (self), 0);
  stmt = vmgr_store_prepare (self, sql, error);
  if (stmt == NULL)
    return 0;
  if (!vmgr_store_bind_int (stmt, ":first", FIRST_VM_ID))
    {
      vmgr_store_fail (self, error);
      return 0;
    }
  id = vmgr_store_step_int (self, stmt, error);
  if (id > G_MAXUINT32)
    g_set_error (error, VMGR_ERROR, VMGR_ERROR_FAILED, "no free VM id is left");
  return id >= FIRST_VM_ID && id <= G_MAXUINT32 ? (guint32) id : 0;
}
