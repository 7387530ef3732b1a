/* The audit table. */
#include "vmgr-store-private.h"

#include "vmgr-error.h"

#define AUDIT_DEFAULT_LIMIT 1000
#define AUDIT_MAX_LIMIT 10000

#define AUDIT_COLUMNS                                                      \
  "time, uid, caller, pid, action, target, result, message,"               \
  " verb, target_name, target_uuid, changes"

/* Changes are kept as the text of a GVariant a(smsms): field, old, new. */
#define CHANGES_TYPE "a(smsms)"

static char *
changes_to_text (const GPtrArray *changes)
{
  GVariantBuilder builder;
  g_autoptr(GVariant) value = NULL;

  if (changes == NULL || changes->len == 0)
    return NULL;
  g_variant_builder_init (&builder, G_VARIANT_TYPE (CHANGES_TYPE));
  for (guint i = 0; i < changes->len; i++)
    {
      const VmgrAuditChange *change = g_ptr_array_index (changes, i);

      g_variant_builder_add (&builder, "(smsms)", change->field, change->old_value,
                             change->new_value);
    }
  value = g_variant_ref_sink (g_variant_builder_end (&builder));
  return g_variant_print (value, FALSE);
}

static void
changes_from_text (VmgrAuditEntry *entry, const char *text)
{
  g_autoptr(GVariant) value = NULL;
  g_autoptr(GError) error = NULL;
  GVariantIter iter;
  const char *field, *old_value, *new_value;

  if (text == NULL || *text == '\0')
    return;
  value = g_variant_parse (G_VARIANT_TYPE (CHANGES_TYPE), text, NULL, NULL, &error);
  if (value == NULL)
    {
      g_warning ("an audit row's changes cannot be read: %s", error->message);
      return;
    }
  g_variant_iter_init (&iter, value);
  while (g_variant_iter_next (&iter, "(&sm&sm&s)", &field, &old_value, &new_value))
    vmgr_audit_entry_add_change (entry, field, old_value, new_value);
}

/* ---- Audit ----------------------------------------------------------- */

static gpointer
row_to_audit (sqlite3_stmt *stmt)
{
  VmgrAuditEntry *entry = vmgr_audit_entry_new ();

  entry->time = sqlite3_column_int64 (stmt, 0);
  entry->uid = (guint32) sqlite3_column_int64 (stmt, 1);
  entry->caller = vmgr_store_column_dup0 (stmt, 2);
  entry->pid = sqlite3_column_int64 (stmt, 3);
  entry->action = vmgr_store_column_dup0 (stmt, 4);
  entry->target = vmgr_store_column_dup0 (stmt, 5);
  entry->result = vmgr_store_column_dup0 (stmt, 6);
  entry->message = vmgr_store_column_dup0 (stmt, 7);
  entry->verb = vmgr_store_column_dup0 (stmt, 8);
  entry->target_name = vmgr_store_column_dup0 (stmt, 9);
  entry->target_uuid = vmgr_store_column_dup0 (stmt, 10);
  changes_from_text (entry, (const char *) sqlite3_column_text (stmt, 11));
  return entry;
}

static gboolean
bind_audit (sqlite3_stmt *stmt, const VmgrAuditEntry *entry)
{
  g_autofree char *changes = changes_to_text (entry->changes);

  return vmgr_store_bind_int (stmt, ":time", entry->time != 0 ? entry->time : g_get_real_time ()) &&
         vmgr_store_bind_int (stmt, ":uid", entry->uid) &&
         vmgr_store_bind_text (stmt, ":caller", entry->caller) &&
         vmgr_store_bind_int (stmt, ":pid", entry->pid) &&
         vmgr_store_bind_text (stmt, ":action", entry->action) &&
         vmgr_store_bind_text (stmt, ":target", entry->target) &&
         vmgr_store_bind_text (stmt, ":result", entry->result) &&
         vmgr_store_bind_text (stmt, ":message", entry->message) &&
         vmgr_store_bind_text (stmt, ":verb", entry->verb) &&
         vmgr_store_bind_text (stmt, ":target_name", entry->target_name) &&
         vmgr_store_bind_text (stmt, ":target_uuid", entry->target_uuid) &&
         vmgr_store_bind_text (stmt, ":changes", changes);
}

gboolean
vmgr_store_append_audit_row (VmgrStore *self, const VmgrAuditEntry *entry, GError **error)
{
  g_autoptr(sqlite3_stmt) stmt =
    vmgr_store_prepare (self, "INSERT INTO audit (" AUDIT_COLUMNS ") VALUES (:time, :uid,"
                         " :caller, :pid, :action, :target, :result, :message, :verb, :target_name,"
                         " :target_uuid, :changes)", error);

  if (stmt == NULL)
    return FALSE;
  if (!bind_audit (stmt, entry))
    return vmgr_store_fail (self, error);
  return vmgr_store_step_done (self, stmt, error);
}

static gboolean
append_audit_txn (VmgrStore *self, gconstpointer data, GError **error)
{
  return vmgr_store_append_audit_row (self, data, error);
}

/* An entry whose time is 0 is stamped with the current time. */
gboolean
vmgr_store_append_audit (VmgrStore *self, const VmgrAuditEntry *entry, GError **error)
{
  g_return_val_if_fail (VMGR_IS_STORE (self), FALSE);
  g_return_val_if_fail (entry != NULL, FALSE);
  return vmgr_store_transaction (self, append_audit_txn, entry, NULL, error);
}

/* Only constant fragments go into the SQL; the values are bound. A target
 * is matched by path, by name and by UUID: "web1" finds web1's entries. */
static char *
audit_query_sql (const VmgrAuditFilter *q)
{
  GString *sql = g_string_new ("SELECT " AUDIT_COLUMNS " FROM audit WHERE 1");

  if (q->since != 0)
    g_string_append (sql, " AND time >= :since");
  if (q->until != 0)
    g_string_append (sql, " AND time <= :until");
  if (q->uid >= 0)
    g_string_append (sql, " AND uid = :uid");
  if (q->target != NULL)
    g_string_append (sql, " AND (target = :target OR target_name = :target"
                          " OR target_uuid = :target)");
  if (q->verb != NULL)
    g_string_append (sql, " AND verb = :verb");
  g_string_append (sql, " ORDER BY time DESC, id DESC LIMIT :limit");
  return g_string_free (sql, FALSE);
}

static gboolean
bind_audit_query (sqlite3_stmt *stmt, const VmgrAuditFilter *q)
{
  return (q->since == 0 || vmgr_store_bind_int (stmt, ":since", q->since)) &&
         (q->until == 0 || vmgr_store_bind_int (stmt, ":until", q->until)) &&
         (q->uid < 0 || vmgr_store_bind_int (stmt, ":uid", q->uid)) &&
         (q->target == NULL || vmgr_store_bind_text (stmt, ":target", q->target)) &&
         (q->verb == NULL || vmgr_store_bind_text (stmt, ":verb", q->verb)) &&
         vmgr_store_bind_int (stmt, ":limit", q->limit);
}

GPtrArray *
vmgr_store_query_audit_filtered (VmgrStore *self, const VmgrAuditFilter *filter,
                                 GError **error)
{
  VmgrAuditFilter q = *filter;
  g_autofree char *sql = NULL;
  g_autoptr(sqlite3_stmt) stmt = NULL;

  g_return_val_if_fail (VMGR_IS_STORE (self), NULL);
  if (q.limit == 0)
    q.limit = AUDIT_DEFAULT_LIMIT;
  q.limit = MIN (q.limit, AUDIT_MAX_LIMIT);
  sql = audit_query_sql (&q);
  stmt = vmgr_store_prepare (self, sql, error);
  if (stmt == NULL)
    return NULL;
  if (!bind_audit_query (stmt, &q))
    {
      vmgr_store_fail (self, error);
      return NULL;
    }
  return vmgr_store_collect (self, stmt, row_to_audit,
                        (GDestroyNotify) vmgr_audit_entry_free, error);
}

/* @since and @until are inclusive. */
GPtrArray *
vmgr_store_query_audit (VmgrStore *self, gint64 since, gint64 until,
                        gint64 uid, const char *target, guint limit,
                        GError **error)
{
  VmgrAuditFilter filter = { .since = since, .until = until, .uid = uid, .target = target,
                             .limit = limit };

  return vmgr_store_query_audit_filtered (self, &filter, error);
}
