/* The customers table. */
#include "vmgr-store-private.h"

#include "vmgr-error.h"

/* Every customer column but uid and created_at (which update never changes). */
#define CUSTOMER_DATA_COLUMNS                                              \
  "full_name, email, phone, address, province, national_id, plan,"        \
  " max_vms, max_vcpus, max_memory, max_disk, suspended, suspend_reason,"    \
  " max_snapshots"

#define CUSTOMER_DATA_PARAMS                                               \
  ":full_name, :email, :phone, :address, :province, :national_id, :plan,"  \
  " :max_vms, :max_vcpus, :max_memory, :max_disk, :suspended,"            \
  " :suspend_reason, :max_snapshots"

#define CUSTOMER_COLUMNS "uid, " CUSTOMER_DATA_COLUMNS ", created_at"

/* ---- Customers ------------------------------------------------------- */

static gpointer
row_to_customer (sqlite3_stmt *stmt)
{
  VmgrCustomerInfo *info = g_new0 (VmgrCustomerInfo, 1);
  int c = 0;

  info->uid = (guint32) sqlite3_column_int64 (stmt, c++);
  info->full_name = vmgr_store_column_dup (stmt, c++);
  info->email = vmgr_store_column_dup (stmt, c++);
  info->phone = vmgr_store_column_dup (stmt, c++);
  info->address = vmgr_store_column_dup (stmt, c++);
  info->province = vmgr_store_column_dup (stmt, c++);
  info->national_id = vmgr_store_column_dup (stmt, c++);
  info->plan = vmgr_store_column_dup (stmt, c++);
  info->max_vms = (guint32) sqlite3_column_int64 (stmt, c++);
  info->max_vcpus = (guint32) sqlite3_column_int64 (stmt, c++);
  info->max_memory = (guint64) sqlite3_column_int64 (stmt, c++);
  info->max_disk = (guint64) sqlite3_column_int64 (stmt, c++);
  info->suspended = sqlite3_column_int64 (stmt, c++) != 0;
  info->suspend_reason = vmgr_store_column_dup (stmt, c++);
  info->max_snapshots = (guint32) sqlite3_column_int64 (stmt, c++);
  info->created_at = sqlite3_column_int64 (stmt, c++);
  return info;
}

/* Binds :uid and every CUSTOMER_DATA_PARAMS parameter. */
static gboolean
bind_customer (sqlite3_stmt *stmt, const VmgrCustomerInfo *info)
{
  return vmgr_store_bind_int (stmt, ":uid", info->uid) &&
         vmgr_store_bind_text0 (stmt, ":full_name", info->full_name) &&
         vmgr_store_bind_text0 (stmt, ":email", info->email) &&
         vmgr_store_bind_text0 (stmt, ":phone", info->phone) &&
         vmgr_store_bind_text0 (stmt, ":address", info->address) &&
         vmgr_store_bind_text0 (stmt, ":province", info->province) &&
         vmgr_store_bind_text0 (stmt, ":national_id", info->national_id) &&
         vmgr_store_bind_text0 (stmt, ":plan", info->plan) &&
         vmgr_store_bind_int (stmt, ":max_vms", info->max_vms) &&
         vmgr_store_bind_int (stmt, ":max_vcpus", info->max_vcpus) &&
         vmgr_store_bind_uint64 (stmt, ":max_memory", info->max_memory) &&
         vmgr_store_bind_uint64 (stmt, ":max_disk", info->max_disk) &&
         vmgr_store_bind_int (stmt, ":suspended", info->suspended ? 1 : 0) &&
         vmgr_store_bind_text0 (stmt, ":suspend_reason", info->suspend_reason) &&
         vmgr_store_bind_int (stmt, ":max_snapshots", info->max_snapshots);
}

/* Prepares @sql and binds ":uid" to @uid. */
static sqlite3_stmt *
store_prepare_uid (VmgrStore *self, const char *sql, guint32 uid, GError **error)
{
  g_autoptr(sqlite3_stmt) stmt = vmgr_store_prepare (self, sql, error);

  if (stmt == NULL)
    return NULL;
  if (!vmgr_store_bind_int (stmt, ":uid", uid))
    {
      vmgr_store_fail (self, error);
      return NULL;
    }
  return g_steal_pointer (&stmt);
}

/* Runs a count(*) query with ":uid" bound to @uid; -1 on error. */
static gint64
store_count_uid (VmgrStore *self, const char *sql, guint32 uid, GError **error)
{
  g_autoptr(sqlite3_stmt) stmt = store_prepare_uid (self, sql, uid, error);

  if (stmt == NULL)
    return -1;
  return vmgr_store_step_int (self, stmt, error);
}

static gboolean
no_customer_error (GError **error, guint32 uid)
{
  g_set_error (error, VMGR_ERROR, VMGR_ERROR_NOT_FOUND, "no customer with uid %u", uid);
  return FALSE;
}

/* The number of customers with @uid (0 or 1); -1 on error. */
static gint64
count_customers (VmgrStore *self, guint32 uid, GError **error)
{
  return store_count_uid (self, "SELECT count(*) FROM customers WHERE uid = :uid", uid, error);
}

/* ALREADY_EXISTS when a customer other than @info's uid has its national
 * id. An empty national id never collides. Checked before writing so the
 * message names the id, rather than surfacing the unique index's error. */
static gboolean
check_national_id_free (VmgrStore *self, const VmgrCustomerInfo *info, GError **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  gint64 n;

  if (info->national_id == NULL || info->national_id[0] == '\0')
    return TRUE;
  stmt = store_prepare_uid (self, "SELECT count(*) FROM customers"
                                  " WHERE national_id = :national_id AND uid != :uid",
                            info->uid, error);
  if (stmt == NULL)
    return FALSE;
  if (!vmgr_store_bind_text (stmt, ":national_id", info->national_id))
    return vmgr_store_fail (self, error);
  n = vmgr_store_step_int (self, stmt, error);
  if (n > 0)
    g_set_error (error, VMGR_ERROR, VMGR_ERROR_ALREADY_EXISTS,
                 "national id '%s' is already registered", info->national_id);
  return n == 0;
}

static gboolean
add_customer_txn (VmgrStore *self, gconstpointer data, GError **error)
{
  const VmgrCustomerInfo *info = data;
  g_autoptr(sqlite3_stmt) stmt = NULL;
  gint64 n = count_customers (self, info->uid, error);

  if (n > 0)
    g_set_error (error, VMGR_ERROR, VMGR_ERROR_ALREADY_EXISTS,
                 "customer %u is already registered", info->uid);
  if (n != 0 || !check_national_id_free (self, info, error))
    return FALSE;
  stmt = vmgr_store_prepare (self, "INSERT INTO customers (" CUSTOMER_COLUMNS ")"
                              " VALUES (:uid, " CUSTOMER_DATA_PARAMS ", :created_at)", error);
  if (stmt == NULL)
    return FALSE;
  if (!bind_customer (stmt, info) ||
      !vmgr_store_bind_int (stmt, ":created_at",
                 info->created_at != 0 ? info->created_at : g_get_real_time ()))
    return vmgr_store_fail (self, error);
  return vmgr_store_step_done (self, stmt, error);
}

/* A @customer whose created_at is 0 is stamped with the current time. */
gboolean
vmgr_store_add_customer (VmgrStore *self, const VmgrCustomerInfo *customer, const VmgrAuditEntry *audit, GError **error)
{
  g_return_val_if_fail (VMGR_IS_STORE (self), FALSE);
  g_return_val_if_fail (customer != NULL, FALSE);
  return vmgr_store_transaction (self, add_customer_txn, customer, audit, error);
}

static gboolean
update_customer_txn (VmgrStore *self, gconstpointer data, GError **error)
{
  const VmgrCustomerInfo *info = data;
  g_autoptr(sqlite3_stmt) stmt = NULL;
  gint64 n = count_customers (self, info->uid, error);

  if (n == 0)
    return no_customer_error (error, info->uid);
  if (n < 0 || !check_national_id_free (self, info, error))
    return FALSE;
  stmt = vmgr_store_prepare (self, "UPDATE customers SET (" CUSTOMER_DATA_COLUMNS ")"
                              " = (" CUSTOMER_DATA_PARAMS ") WHERE uid = :uid", error);
  if (stmt == NULL)
    return FALSE;
  if (!bind_customer (stmt, info))
    return vmgr_store_fail (self, error);
  return vmgr_store_step_done (self, stmt, error);
}

/* Replaces every field but uid and created_at (the registration time is
 * kept as stored). */
gboolean
vmgr_store_update_customer (VmgrStore *self, const VmgrCustomerInfo *customer,
                            const VmgrAuditEntry *audit, GError **error)
{
  g_return_val_if_fail (VMGR_IS_STORE (self), FALSE);
  g_return_val_if_fail (customer != NULL, FALSE);
  return vmgr_store_transaction (self, update_customer_txn, customer, audit, error);
}

static const char count_owned_sql[] = "SELECT count(*) FROM vms WHERE owner = :uid";

static gboolean
remove_customer_txn (VmgrStore *self, gconstpointer data, GError **error)
{
  guint32 uid = GPOINTER_TO_UINT (data);
  g_autoptr(sqlite3_stmt) stmt = NULL;
  gint64 n = count_customers (self, uid, error);

  if (n == 0)
    return no_customer_error (error, uid);
  if (n > 0)
    n = store_count_uid (self, count_owned_sql, uid, error);
  if (n > 0)
    g_set_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_STATE,
                 "customer %u still owns %" G_GINT64_FORMAT " VM%s; delete or "
                 "reassign them first", uid, n, n == 1 ? "" : "s");
  if (n != 0)
    return FALSE;
  stmt = store_prepare_uid (self, "DELETE FROM customers WHERE uid = :uid", uid, error);
  return stmt != NULL && vmgr_store_step_done (self, stmt, error);
}

gboolean
vmgr_store_remove_customer (VmgrStore *self, guint32 uid, const VmgrAuditEntry *audit, GError **error)
{
  g_return_val_if_fail (VMGR_IS_STORE (self), FALSE);
  return vmgr_store_transaction (self, remove_customer_txn, GUINT_TO_POINTER (uid), audit, error);
}

VmgrCustomerInfo *
vmgr_store_get_customer (VmgrStore *self, guint32 uid, GError **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  int rc;

  g_return_val_if_fail (VMGR_IS_STORE (self), NULL);
  stmt = store_prepare_uid (self, "SELECT " CUSTOMER_COLUMNS " FROM customers WHERE uid = :uid",
                            uid, error);
  if (stmt == NULL)
    return NULL;
  rc = vmgr_store_step (self, stmt, error);
  if (rc == SQLITE_DONE)
    no_customer_error (error, uid);
  return rc == SQLITE_ROW ? row_to_customer (stmt) : NULL;
}

GPtrArray *
vmgr_store_list_customers (VmgrStore *self, GError **error)
{
  g_return_val_if_fail (VMGR_IS_STORE (self), NULL);
  return vmgr_store_list_all (self, "SELECT " CUSTOMER_COLUMNS " FROM customers ORDER BY uid",
                   row_to_customer, (GDestroyNotify) vmgr_customer_info_free, error);
}

guint
vmgr_store_count_vms_owned_by (VmgrStore *self, guint32 uid)
{
  g_autoptr(GError) error = NULL;
  gint64 n;

  g_return_val_if_fail (VMGR_IS_STORE (self), 0);
  n = store_count_uid (self, count_owned_sql, uid, &error);
  if (n < 0)
    g_warning ("counting VMs owned by uid %u: %s", uid, error->message);
  return n > 0 ? (guint) n : 0;
}
