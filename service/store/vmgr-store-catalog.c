/* The templates and plans tables. */
#include "vmgr-store-private.h"

#include "vmgr-error.h"

#define PLAN_COLUMNS                                                       \
  "name, memory_guarantee, memory_soft_limit, memory_limit, vcpus,"        \
  " cpu_weight, cpu_limit, disk_soft_limit, disk_hard_limit, max_vms,"     \
  " max_snapshots"

#define PLAN_PARAMS                                                        \
  ":name, :memory_guarantee, :memory_soft_limit, :memory_limit, :vcpus,"   \
  " :cpu_weight, :cpu_limit, :disk_soft_limit, :disk_hard_limit, :max_vms," \
  " :max_snapshots"

/* ---- Templates and plans: shared by name ----------------------------- */

/* What remove_named() needs to know about a kind of named row. */
typedef struct
{
  const char *kind;       /* "template", "plan" */
  const char *count_sql;  /* count(*) of rows named :name */
  const char *users_sql;  /* count(*) of VMs using :name */
  const char *delete_sql;
} NamedKind;

static const NamedKind template_kind = {
  "template",
  "SELECT count(*) FROM templates WHERE name = :name",
  "SELECT count(*) FROM vms WHERE template = :name",
  "DELETE FROM templates WHERE name = :name",
};

static const NamedKind plan_kind = {
  "plan",
  "SELECT count(*) FROM plans WHERE name = :name",
  "SELECT count(*) FROM vms WHERE plan = :name",
  "DELETE FROM plans WHERE name = :name",
};

static gboolean
not_found_named (const NamedKind *kind, const char *name, GError **error)
{
  g_set_error (error, VMGR_ERROR, VMGR_ERROR_NOT_FOUND, "no %s '%s'", kind->kind, name);
  return FALSE;
}

/* NOT_FOUND when absent, INVALID_STATE while VMs use it. */
static gboolean
remove_named (VmgrStore *self, const NamedKind *kind, const char *name, GError **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  gint64 n = vmgr_store_count_named (self, kind->count_sql, name, error);

  if (n == 0)
    return not_found_named (kind, name, error);
  if (n > 0)
    n = vmgr_store_count_named (self, kind->users_sql, name, error);
  if (n > 0)
    g_set_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_STATE,
                 "%s '%s' is used by %" G_GINT64_FORMAT " VM%s; move or delete "
                 "them first", kind->kind, name, n, n == 1 ? "" : "s");
  if (n != 0)
    return FALSE;
  stmt = vmgr_store_prepare_named (self, kind->delete_sql, name, error);
  return stmt != NULL && vmgr_store_step_done (self, stmt, error);
}

static guint
count_users (VmgrStore *self, const NamedKind *kind, const char *name)
{
  g_autoptr(GError) error = NULL;
  gint64 n;

  g_return_val_if_fail (VMGR_IS_STORE (self), 0);
  g_return_val_if_fail (name != NULL, 0);
  n = vmgr_store_count_named (self, kind->users_sql, name, &error);
  if (n < 0)
    g_warning ("counting VMs using %s '%s': %s", kind->kind, name, error->message);
  return n > 0 ? (guint) n : 0;
}

/* Fetches the one row named @name from @sql, or NOT_FOUND. */
static gpointer
get_named (VmgrStore *self, const NamedKind *kind, const char *sql,
           const char *name, VmgrStoreRowFunc row_func, GError **error)
{
  g_autoptr(sqlite3_stmt) stmt = vmgr_store_prepare_named (self, sql, name, error);
  int rc;

  if (stmt == NULL)
    return NULL;
  rc = vmgr_store_step (self, stmt, error);
  if (rc == SQLITE_DONE)
    not_found_named (kind, name, error);
  return rc == SQLITE_ROW ? row_func (stmt) : NULL;
}

GPtrArray *
vmgr_store_list_all (VmgrStore *self, const char *sql, VmgrStoreRowFunc row_func,
          GDestroyNotify free_func, GError **error)
{
  g_autoptr(sqlite3_stmt) stmt = vmgr_store_prepare (self, sql, error);

  if (stmt == NULL)
    return NULL;
  return vmgr_store_collect (self, stmt, row_func, free_func, error);
}

/* ---- Templates ------------------------------------------------------- */

static gpointer
row_to_template (sqlite3_stmt *stmt)
{
  VmgrTemplate *tmpl = g_new0 (VmgrTemplate, 1);

  tmpl->name = vmgr_store_column_dup (stmt, 0);
  tmpl->os = vmgr_store_column_dup (stmt, 1);
  tmpl->description = vmgr_store_column_dup (stmt, 2);
  tmpl->source = vmgr_store_column_dup (stmt, 3);
  return tmpl;
}

static gboolean
add_template_txn (VmgrStore *self, gconstpointer data, GError **error)
{
  const VmgrTemplate *tmpl = data;
  g_autoptr(sqlite3_stmt) stmt = NULL;
  gint64 n = vmgr_store_count_named (self, template_kind.count_sql, tmpl->name, error);

  if (n > 0)
    g_set_error (error, VMGR_ERROR, VMGR_ERROR_ALREADY_EXISTS,
                 "a template named '%s' already exists", tmpl->name);
  if (n != 0)
    return FALSE;
  stmt = vmgr_store_prepare_named (self, "INSERT INTO templates (name, os, description, source)"
                                    " VALUES (:name, :os, :description, :source)",
                              tmpl->name, error);
  if (stmt == NULL)
    return FALSE;
  if (!vmgr_store_bind_text0 (stmt, ":os", tmpl->os) ||
      !vmgr_store_bind_text0 (stmt, ":description", tmpl->description) ||
      !vmgr_store_bind_text0 (stmt, ":source", tmpl->source))
    return vmgr_store_fail (self, error);
  return vmgr_store_step_done (self, stmt, error);
}

gboolean
vmgr_store_add_template (VmgrStore *self, const VmgrTemplate *tmpl, const VmgrAuditEntry *audit, GError **error)
{
  g_return_val_if_fail (VMGR_IS_STORE (self), FALSE);
  g_return_val_if_fail (tmpl != NULL && tmpl->name != NULL, FALSE);
  return vmgr_store_transaction (self, add_template_txn, tmpl, audit, error);
}

VmgrTemplate *
vmgr_store_get_template (VmgrStore *self, const char *name, GError **error)
{
  g_return_val_if_fail (VMGR_IS_STORE (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);
  return get_named (self, &template_kind,
                    "SELECT name, os, description, source FROM templates WHERE name = :name",
                    name, row_to_template, error);
}

GPtrArray *
vmgr_store_list_templates (VmgrStore *self, GError **error)
{
  g_return_val_if_fail (VMGR_IS_STORE (self), NULL);
  return vmgr_store_list_all (self, "SELECT name, os, description, source FROM templates ORDER BY name",
                   row_to_template, (GDestroyNotify) vmgr_template_free, error);
}

static gboolean
remove_template_txn (VmgrStore *self, gconstpointer data, GError **error)
{
  return remove_named (self, &template_kind, data, error);
}

gboolean
vmgr_store_remove_template (VmgrStore *self, const char *name, const VmgrAuditEntry *audit, GError **error)
{
  g_return_val_if_fail (VMGR_IS_STORE (self), FALSE);
  g_return_val_if_fail (name != NULL, FALSE);
  return vmgr_store_transaction (self, remove_template_txn, name, audit, error);
}

guint
vmgr_store_count_vms_using_template (VmgrStore *self, const char *name)
{
  return count_users (self, &template_kind, name);
}

guint
vmgr_store_count_vms_using_plan (VmgrStore *self, const char *name)
{
  return count_users (self, &plan_kind, name);
}

/* ---- Plans ----------------------------------------------------------- */

static gpointer
row_to_plan (sqlite3_stmt *stmt)
{
  VmgrPlan *plan = vmgr_plan_new ((const char *) sqlite3_column_text (stmt, 0));

  plan->memory_guarantee = (guint64) sqlite3_column_int64 (stmt, 1);
  plan->memory_soft_limit = (guint64) sqlite3_column_int64 (stmt, 2);
  plan->memory_limit = (guint64) sqlite3_column_int64 (stmt, 3);
  plan->vcpus = (guint32) sqlite3_column_int64 (stmt, 4);
  plan->cpu_weight = (guint32) sqlite3_column_int64 (stmt, 5);
  plan->cpu_limit = (guint32) sqlite3_column_int64 (stmt, 6);
  plan->disk_soft_limit = (guint64) sqlite3_column_int64 (stmt, 7);
  plan->disk_hard_limit = (guint64) sqlite3_column_int64 (stmt, 8);
  plan->max_vms = (guint32) sqlite3_column_int64 (stmt, 9);
  plan->max_snapshots = (guint32) sqlite3_column_int64 (stmt, 10);
  return plan;
}

static gboolean
bind_plan (sqlite3_stmt *stmt, const VmgrPlan *plan)
{
  return vmgr_store_bind_text (stmt, ":name", plan->name) &&
         vmgr_store_bind_uint64 (stmt, ":memory_guarantee", plan->memory_guarantee) &&
         vmgr_store_bind_uint64 (stmt, ":memory_soft_limit", plan->memory_soft_limit) &&
         vmgr_store_bind_uint64 (stmt, ":memory_limit", plan->memory_limit) &&
         vmgr_store_bind_int (stmt, ":vcpus", plan->vcpus) &&
         vmgr_store_bind_int (stmt, ":cpu_weight", plan->cpu_weight) &&
         vmgr_store_bind_int (stmt, ":cpu_limit", plan->cpu_limit) &&
         vmgr_store_bind_uint64 (stmt, ":disk_soft_limit", plan->disk_soft_limit) &&
         vmgr_store_bind_uint64 (stmt, ":disk_hard_limit", plan->disk_hard_limit) &&
         vmgr_store_bind_int (stmt, ":max_vms", plan->max_vms) &&
         vmgr_store_bind_int (stmt, ":max_snapshots", plan->max_snapshots);
}

static gboolean
set_plan_txn (VmgrStore *self, gconstpointer data, GError **error)
{
  g_autoptr(sqlite3_stmt) stmt =
    vmgr_store_prepare (self, "INSERT OR REPLACE INTO plans (" PLAN_COLUMNS ")"
                         " VALUES (" PLAN_PARAMS ")", error);

  if (stmt == NULL)
    return FALSE;
  if (!bind_plan (stmt, data))
    return vmgr_store_fail (self, error);
  return vmgr_store_step_done (self, stmt, error);
}

gboolean
vmgr_store_set_plan (VmgrStore *self, const VmgrPlan *plan, const VmgrAuditEntry *audit, GError **error)
{
  g_return_val_if_fail (VMGR_IS_STORE (self), FALSE);
  g_return_val_if_fail (plan != NULL && plan->name != NULL, FALSE);
  return vmgr_store_transaction (self, set_plan_txn, plan, audit, error);
}

VmgrPlan *
vmgr_store_get_plan (VmgrStore *self, const char *name, GError **error)
{
  g_return_val_if_fail (VMGR_IS_STORE (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);
  return get_named (self, &plan_kind,
                    "SELECT " PLAN_COLUMNS " FROM plans WHERE name = :name",
                    name, row_to_plan, error);
}

GPtrArray *
vmgr_store_list_plans (VmgrStore *self, GError **error)
{
  g_return_val_if_fail (VMGR_IS_STORE (self), NULL);
  return vmgr_store_list_all (self, "SELECT " PLAN_COLUMNS " FROM plans ORDER BY name",
                   row_to_plan, (GDestroyNotify) vmgr_plan_free, error);
}

static gboolean
remove_plan_txn (VmgrStore *self, gconstpointer data, GError **error)
{
  return remove_named (self, &plan_kind, data, error);
}

gboolean
vmgr_store_remove_plan (VmgrStore *self, const char *name, const VmgrAuditEntry *audit, GError **error)
{
  g_return_val_if_fail (VMGR_IS_STORE (self), FALSE);
  g_return_val_if_fail (name != NULL, FALSE);
  return vmgr_store_transaction (self, remove_plan_txn, name, audit, error);
}

/* ---- The whole catalogue at once ------------------------------------- */

typedef struct
{
  GPtrArray *plans;
  GPtrArray *templates;
} Catalog;

static gboolean
add_catalog_txn (VmgrStore *self, gconstpointer data, GError **error)
{
  const Catalog *catalog = data;

  for (guint i = 0; i < catalog->plans->len; i++)
    if (!set_plan_txn (self, g_ptr_array_index (catalog->plans, i), error))
      return FALSE;
  for (guint i = 0; i < catalog->templates->len; i++)
    if (!add_template_txn (self, g_ptr_array_index (catalog->templates, i), error))
      return FALSE;
  return TRUE;
}

gboolean
vmgr_store_add_catalog (VmgrStore *self, GPtrArray *plans, GPtrArray *templates,
                        GError **error)
{
  Catalog catalog = { plans, templates };

  g_return_val_if_fail (VMGR_IS_STORE (self), FALSE);
  return vmgr_store_transaction (self, add_catalog_txn, &catalog, NULL, error);
}
