/* The hosts table: the hosts added with Manager.AddHost (the configured
 * one is not in it), and which VMs are on each (vms.host). */
#include "vmgr-store-private.h"

#include "vmgr-error.h"

void
vmgr_host_entry_free (VmgrHostEntry *entry)
{
  if (entry == NULL)
    return;
  g_free (entry->name);
  g_free (entry->uri);
  g_free (entry->pool);
  g_free (entry);
}

static gint64
count_where (VmgrStore *self, const char *sql, const char *param, const char *value,
             GError **error)
{
  g_autoptr(sqlite3_stmt) stmt = vmgr_store_prepare (self, sql, error);

  if (stmt == NULL)
    return -1;
  if (!vmgr_store_bind_text (stmt, param, value))
    return vmgr_store_fail (self, error), -1;
  return vmgr_store_step_int (self, stmt, error);
}

static gboolean
add_host_txn (VmgrStore *self, gconstpointer data, GError **error)
{
  const VmgrHostEntry *entry = data;
  g_autoptr(sqlite3_stmt) stmt = NULL;
  gint64 n = count_where (self, "SELECT count(*) FROM hosts WHERE name = :name", ":name",
                          entry->name, error);

  if (n > 0)
    g_set_error (error, VMGR_ERROR, VMGR_ERROR_ALREADY_EXISTS,
                 "host '%s' already exists", entry->name);
  if (n != 0)
    return FALSE;
  n = count_where (self, "SELECT count(*) FROM hosts WHERE uri = :uri", ":uri", entry->uri, error);
  if (n > 0)
    g_set_error (error, VMGR_ERROR, VMGR_ERROR_ALREADY_EXISTS,
                 "a host with URI '%s' already exists", entry->uri);
  if (n != 0)
    return FALSE;
  stmt = vmgr_store_prepare (self, "INSERT INTO hosts (name, uri, added_at, pool)"
                                   " VALUES (:name, :uri, :added_at, :pool)", error);
  if (stmt == NULL)
    return FALSE;
  if (!vmgr_store_bind_text (stmt, ":name", entry->name) ||
      !vmgr_store_bind_text (stmt, ":uri", entry->uri) ||
      !vmgr_store_bind_text (stmt, ":pool", entry->pool != NULL ? entry->pool : "default") ||
      !vmgr_store_bind_int (stmt, ":added_at",
                            entry->added_at != 0 ? entry->added_at : g_get_real_time ()))
    return vmgr_store_fail (self, error);
  return vmgr_store_step_done (self, stmt, error);
}

gboolean
vmgr_store_add_host (VmgrStore *self, const VmgrHostEntry *entry, const VmgrAuditEntry *audit,
                     GError **error)
{
  g_return_val_if_fail (VMGR_IS_STORE (self), FALSE);
  return vmgr_store_transaction (self, add_host_txn, entry, audit, error);
}

static gboolean
remove_host_txn (VmgrStore *self, gconstpointer data, GError **error)
{
  const char *name = data;
  g_autoptr(sqlite3_stmt) stmt = NULL;
  gint64 n = count_where (self, "SELECT count(*) FROM hosts WHERE name = :name", ":name", name,
                          error);

  if (n == 0)
    g_set_error (error, VMGR_ERROR, VMGR_ERROR_NOT_FOUND, "no host '%s'", name);
  if (n <= 0)
    return FALSE;
  n = count_where (self, "SELECT count(*) FROM vms WHERE host = :name", ":name", name, error);
  if (n > 0)
    g_set_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_STATE,
                 "host '%s' still has %" G_GINT64_FORMAT " VM(s): move or delete them first",
                 name, n);
  if (n != 0)
    return FALSE;
  stmt = vmgr_store_prepare (self, "DELETE FROM hosts WHERE name = :name", error);
  if (stmt == NULL)
    return FALSE;
  if (!vmgr_store_bind_text (stmt, ":name", name))
    return vmgr_store_fail (self, error);
  return vmgr_store_step_done (self, stmt, error);
}

gboolean
vmgr_store_remove_host (VmgrStore *self, const char *name, const VmgrAuditEntry *audit,
                        GError **error)
{
  g_return_val_if_fail (VMGR_IS_STORE (self), FALSE);
  return vmgr_store_transaction (self, remove_host_txn, name, audit, error);
}

static gpointer
row_to_host (sqlite3_stmt *stmt)
{
  VmgrHostEntry *entry = g_new0 (VmgrHostEntry, 1);

  entry->name = vmgr_store_column_dup (stmt, 0);
  entry->uri = vmgr_store_column_dup (stmt, 1);
  entry->added_at = sqlite3_column_int64 (stmt, 2);
  entry->pool = vmgr_store_column_dup (stmt, 3);
  return entry;
}

GPtrArray *
vmgr_store_list_hosts (VmgrStore *self, GError **error)
{
  g_return_val_if_fail (VMGR_IS_STORE (self), NULL);
  return vmgr_store_list_all (self, "SELECT name, uri, added_at, pool FROM hosts ORDER BY name",
                              row_to_host, (GDestroyNotify) vmgr_host_entry_free, error);
}
