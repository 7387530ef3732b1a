/* What the parts of the store share (see vmgr-store.c): the handle, the
 * statement helpers and transactions. Files: vmgr-store.c (open, migrate,
 * helpers), vmgr-store-vms.c, vmgr-store-catalog.c (templates and plans),
 * vmgr-store-customers.c, vmgr-store-audit.c. */
#pragma once

#include <sqlite3.h>

#include "vmgr-store.h"

G_BEGIN_DECLS

struct _VmgrStore
{
  GObject parent_instance;

  sqlite3 *db;
  char *path;
  int schema_version;
};

G_DEFINE_AUTOPTR_CLEANUP_FUNC (sqlite3_stmt, sqlite3_finalize)

/* FAILED with sqlite's message; returns FALSE. */
gboolean vmgr_store_fail (VmgrStore *self, GError **error);

/* Statements: prepared, stepped (SQLITE_ROW, SQLITE_DONE, or SQLITE_ERROR
 * with @error set), run to completion. */
sqlite3_stmt *vmgr_store_prepare (VmgrStore *self, const char *sql, GError **error);
int vmgr_store_step (VmgrStore *self, sqlite3_stmt *stmt, GError **error);
gboolean vmgr_store_step_done (VmgrStore *self, sqlite3_stmt *stmt, GError **error);
gboolean vmgr_store_exec (VmgrStore *self, const char *sql, GError **error);
sqlite3_stmt *vmgr_store_prepare_named (VmgrStore *self, const char *sql, const char *name,
                                        GError **error);
gint64 vmgr_store_step_int (VmgrStore *self, sqlite3_stmt *stmt, GError **error);
gint64 vmgr_store_count_named (VmgrStore *self, const char *sql, const char *name, GError **error);

/* Bound parameters (":name"); text0 binds "" for NULL, lines a string
 * vector as newline-separated text. */
gboolean vmgr_store_bind_text (sqlite3_stmt *stmt, const char *param, const char *value);
gboolean vmgr_store_bind_text0 (sqlite3_stmt *stmt, const char *param, const char *value);
gboolean vmgr_store_bind_int (sqlite3_stmt *stmt, const char *param, gint64 value);
gboolean vmgr_store_bind_uint64 (sqlite3_stmt *stmt, const char *param, guint64 value);
gboolean vmgr_store_bind_lines (sqlite3_stmt *stmt, const char *param, char **values);

/* Columns: text ("" for NULL; dup0 keeps NULL), lines back to a vector. */
char *vmgr_store_column_dup (sqlite3_stmt *stmt, int col);
char *vmgr_store_column_dup0 (sqlite3_stmt *stmt, int col);
char **vmgr_store_column_lines (sqlite3_stmt *stmt, int col);

typedef gpointer (*VmgrStoreRowFunc) (sqlite3_stmt *stmt);
GPtrArray *vmgr_store_collect (VmgrStore *self, sqlite3_stmt *stmt, VmgrStoreRowFunc row_func,
                               GDestroyNotify free_func, GError **error);
GPtrArray *vmgr_store_list_all (VmgrStore *self, const char *sql, VmgrStoreRowFunc row_func,
                                GDestroyNotify free_func, GError **error);

typedef gboolean (*VmgrStoreTxnFunc) (VmgrStore *self, gconstpointer data, GError **error);
/* Runs @func in one transaction (BEGIN IMMEDIATE ... COMMIT, ROLLBACK on
 * any error); @audit, when not NULL, is appended in the same transaction,
 * so that a change and the row saying who made it commit together. */
gboolean vmgr_store_transaction (VmgrStore *self, VmgrStoreTxnFunc func, gconstpointer data,
                                 const VmgrAuditEntry *audit, GError **error);
/* Inside a transaction: appends @entry (time 0 = now). */
gboolean vmgr_store_append_audit_row (VmgrStore *self, const VmgrAuditEntry *entry,
                                      GError **error);

G_END_DECLS
