/* The sqlite store. See vmgr-store.h for the contract.
 *
 * Layout: the schema version lives in PRAGMA user_version and is raised by
 * the ordered migration steps below, each in its own transaction. Every
 * mutation runs in vmgr_store_transaction() (BEGIN IMMEDIATE ... COMMIT, ROLLBACK
 * on any error), and every value reaches sqlite as a bound parameter.
 * This file opens and migrates the store and has the helpers the others
 * use (vmgr-store-private.h); each table has its own file. */
#include "vmgr-store-private.h"

#include "vmgr-error.h"

#define BUSY_TIMEOUT_MS 5000


G_DEFINE_FINAL_TYPE (VmgrStore, vmgr_store, G_TYPE_OBJECT)

/* ---- Schema ---------------------------------------------------------- */

/* Migration step N (0-based) takes a file from user_version N to N + 1.
 * Append new steps; never edit a step that has shipped. */
static const char *const migrations[] = {
  /* 0 -> 1: the initial schema. */
  "CREATE TABLE vms ("
  "  id INTEGER PRIMARY KEY,"
  "  name TEXT UNIQUE NOT NULL,"
  "  uuid TEXT UNIQUE NOT NULL,"
  "  owner INTEGER NOT NULL,"
  "  template TEXT NOT NULL DEFAULT '',"
  "  plan TEXT NOT NULL DEFAULT '',"
  "  memory_guarantee INTEGER NOT NULL DEFAULT 0,"
  "  memory_soft_limit INTEGER NOT NULL DEFAULT 0,"
  "  memory_limit INTEGER NOT NULL DEFAULT 0,"
  "  vcpus INTEGER NOT NULL DEFAULT 1,"
  "  cpu_weight INTEGER NOT NULL DEFAULT 100,"
  "  cpu_limit INTEGER NOT NULL DEFAULT 0,"
  "  disk_soft_limit INTEGER NOT NULL DEFAULT 0,"
  "  disk_hard_limit INTEGER NOT NULL DEFAULT 0,"
  "  hostname TEXT NOT NULL DEFAULT '',"
  "  addresses TEXT NOT NULL DEFAULT '',"
  "  gateway TEXT NOT NULL DEFAULT '',"
  "  nameservers TEXT NOT NULL DEFAULT '',"
  "  autostart INTEGER NOT NULL DEFAULT 0,"
  "  domain_xml TEXT NOT NULL DEFAULT '',"
  "  created_at INTEGER NOT NULL);"
  "CREATE INDEX vms_template ON vms (template);"
  "CREATE INDEX vms_plan ON vms (plan);"
  "CREATE TABLE templates ("
  "  name TEXT PRIMARY KEY,"
  "  os TEXT NOT NULL DEFAULT '',"
  "  description TEXT NOT NULL DEFAULT '',"
  "  source TEXT NOT NULL DEFAULT '');"
  "CREATE TABLE plans ("
  "  name TEXT PRIMARY KEY,"
  "  memory_guarantee INTEGER NOT NULL DEFAULT 0,"
  "  memory_soft_limit INTEGER NOT NULL DEFAULT 0,"
  "  memory_limit INTEGER NOT NULL DEFAULT 0,"
  "  vcpus INTEGER NOT NULL DEFAULT 0,"
  "  cpu_weight INTEGER NOT NULL DEFAULT 0,"
  "  cpu_limit INTEGER NOT NULL DEFAULT 0,"
  "  disk_soft_limit INTEGER NOT NULL DEFAULT 0,"
  "  disk_hard_limit INTEGER NOT NULL DEFAULT 0,"
  "  max_vms INTEGER NOT NULL DEFAULT 0);"
  "CREATE TABLE audit ("
  "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
  "  time INTEGER NOT NULL,"
  "  uid INTEGER NOT NULL,"
  "  caller TEXT,"
  "  pid INTEGER,"
  "  action TEXT,"
  "  target TEXT,"
  "  result TEXT,"
  "  message TEXT);"
  "CREATE INDEX audit_time ON audit (time);"
  "CREATE INDEX audit_uid ON audit (uid);",

  /* 1 -> 2: customers, and counting VMs per owner. */
  "CREATE TABLE customers ("
  "  uid INTEGER PRIMARY KEY,"
  "  full_name TEXT NOT NULL DEFAULT '',"
  "  email TEXT NOT NULL DEFAULT '',"
  "  phone TEXT NOT NULL DEFAULT '',"
  "  address TEXT NOT NULL DEFAULT '',"
  "  province TEXT NOT NULL DEFAULT '',"
  "  national_id TEXT NOT NULL DEFAULT '',"
  "  plan TEXT NOT NULL DEFAULT '',"
  "  max_vms INTEGER NOT NULL DEFAULT 0,"
  "  max_vcpus INTEGER NOT NULL DEFAULT 0,"
  "  max_memory INTEGER NOT NULL DEFAULT 0,"
  "  max_disk INTEGER NOT NULL DEFAULT 0,"
  "  suspended INTEGER NOT NULL DEFAULT 0,"
  "  suspend_reason TEXT NOT NULL DEFAULT '',"
  "  created_at INTEGER NOT NULL);"
  "CREATE UNIQUE INDEX customers_national_id ON customers (national_id)"
  "  WHERE national_id <> '';"
  "CREATE INDEX vms_owner ON vms (owner);",

  /* 2 -> 3: VM names unique per owner, not across owners (a customer must
   * not learn another's names from a refusal). */
  "CREATE TABLE vms_by_owner ("
  "  id INTEGER PRIMARY KEY,"
  "  name TEXT NOT NULL,"
  "  uuid TEXT UNIQUE NOT NULL,"
  "  owner INTEGER NOT NULL,"
  "  template TEXT NOT NULL DEFAULT '',"
  "  plan TEXT NOT NULL DEFAULT '',"
  "  memory_guarantee INTEGER NOT NULL DEFAULT 0,"
  "  memory_soft_limit INTEGER NOT NULL DEFAULT 0,"
  "  memory_limit INTEGER NOT NULL DEFAULT 0,"
  "  vcpus INTEGER NOT NULL DEFAULT 1,"
  "  cpu_weight INTEGER NOT NULL DEFAULT 100,"
  "  cpu_limit INTEGER NOT NULL DEFAULT 0,"
  "  disk_soft_limit INTEGER NOT NULL DEFAULT 0,"
  "  disk_hard_limit INTEGER NOT NULL DEFAULT 0,"
  "  hostname TEXT NOT NULL DEFAULT '',"
  "  addresses TEXT NOT NULL DEFAULT '',"
  "  gateway TEXT NOT NULL DEFAULT '',"
  "  nameservers TEXT NOT NULL DEFAULT '',"
  "  autostart INTEGER NOT NULL DEFAULT 0,"
  "  domain_xml TEXT NOT NULL DEFAULT '',"
  "  created_at INTEGER NOT NULL,"
  "  UNIQUE (owner, name));"
  "INSERT INTO vms_by_owner SELECT * FROM vms;"
  "DROP TABLE vms;"
  "ALTER TABLE vms_by_owner RENAME TO vms;"
  "CREATE INDEX vms_template ON vms (template);"
  "CREATE INDEX vms_plan ON vms (plan);"
  "CREATE INDEX vms_owner ON vms (owner);",

  /* 3 -> 4: the audit says what was done to what (the verb, the target's
   * name and UUID, the values changed), and VM ids are never reused: the
   * ids of deleted VMs are kept, those the audit log names included. */
  "ALTER TABLE audit ADD COLUMN verb TEXT;"
  "ALTER TABLE audit ADD COLUMN target_name TEXT;"
  "ALTER TABLE audit ADD COLUMN target_uuid TEXT;"
  "ALTER TABLE audit ADD COLUMN changes TEXT;"
  "CREATE INDEX audit_target_name ON audit (target_name);"
  "CREATE TABLE retired_vm_ids ("
  "  id INTEGER PRIMARY KEY,"
  "  retired_at INTEGER NOT NULL);"
  "INSERT OR IGNORE INTO retired_vm_ids (id, retired_at)"
  "  SELECT CAST (substr (target, 14) AS INTEGER), max (time) FROM audit"
  "  WHERE target GLOB '/org/vmgr/vm/[0-9]*'"
  "    AND CAST (substr (target, 14) AS INTEGER) NOT IN (SELECT id FROM vms)"
  "  GROUP BY CAST (substr (target, 14) AS INTEGER);",

  /* 4 -> 5: the snapshot quota, of plans (the default) and customers. */
  "ALTER TABLE plans ADD COLUMN max_snapshots INTEGER NOT NULL DEFAULT 0;"
  "ALTER TABLE customers ADD COLUMN max_snapshots INTEGER NOT NULL DEFAULT 0;",

  /* 5 -> 6: several hosts (issue 14): the hosts added besides the
   * configured one, and the host of each VM ('' = the configured one, so
   * every VM of before stays where it was). */
  "CREATE TABLE hosts ("
  "  name TEXT PRIMARY KEY,"
  "  uri TEXT NOT NULL,"
  "  added_at INTEGER NOT NULL);"
  "ALTER TABLE vms ADD COLUMN host TEXT NOT NULL DEFAULT '';"
  "CREATE INDEX vms_host ON vms (host);",

  /* 6 -> 7: the storage pool of an added host that holds its VMs' files
   * (vmgr-backend-volumes.h); hosts of before get libvirt's "default". */
  "ALTER TABLE hosts ADD COLUMN pool TEXT NOT NULL DEFAULT 'default';",
};

G_STATIC_ASSERT (G_N_ELEMENTS (migrations) == VMGR_STORE_SCHEMA_VERSION);

/* ---- Low-level helpers ----------------------------------------------- */

gboolean
vmgr_store_fail (VmgrStore *self, GError **error)
{
  g_set_error (error, VMGR_ERROR, VMGR_ERROR_FAILED, "store %s: %s",
               self->path, sqlite3_errmsg (self->db));
  return FALSE;
}

sqlite3_stmt *
vmgr_store_prepare (VmgrStore *self, const char *sql, GError **error)
{
  sqlite3_stmt *stmt = NULL;

  if (sqlite3_prepare_v2 (self->db, sql, -1, &stmt, NULL) != SQLITE_OK)
    {
      vmgr_store_fail (self, error);
      return NULL;
    }
  return stmt;
}

/* SQLITE_ROW or SQLITE_DONE; anything else sets @error and is SQLITE_ERROR. */
int
vmgr_store_step (VmgrStore *self, sqlite3_stmt *stmt, GError **error)
{
  int rc = sqlite3_step (stmt);

  if (rc == SQLITE_ROW || rc == SQLITE_DONE)
    return rc;
  vmgr_store_fail (self, error);
  return SQLITE_ERROR;
}

/* Runs a statement that returns no rows we care about. */
gboolean
vmgr_store_step_done (VmgrStore *self, sqlite3_stmt *stmt, GError **error)
{
  return vmgr_store_step (self, stmt, error) != SQLITE_ERROR;
}

/* Runs constant SQL (no values in it), possibly several statements. */
gboolean
vmgr_store_exec (VmgrStore *self, const char *sql, GError **error)
{
  if (sqlite3_exec (self->db, sql, NULL, NULL, NULL) != SQLITE_OK)
    return vmgr_store_fail (self, error);
  return TRUE;
}

/* The bind helpers address parameters by name; a misspelt name fails the
 * bind (index 0 is out of range) instead of going unnoticed. */
gboolean
vmgr_store_bind_text (sqlite3_stmt *stmt, const char *param, const char *value)
{
  int idx = sqlite3_bind_parameter_index (stmt, param);

  return sqlite3_bind_text (stmt, idx, value, -1, SQLITE_TRANSIENT) == SQLITE_OK;
}

/* Binds NULL as "", for the NOT NULL DEFAULT '' columns. */
gboolean
vmgr_store_bind_text0 (sqlite3_stmt *stmt, const char *param, const char *value)
{
  return vmgr_store_bind_text (stmt, param, value != NULL ? value : "");
}

gboolean
vmgr_store_bind_int (sqlite3_stmt *stmt, const char *param, gint64 value)
{
  int idx = sqlite3_bind_parameter_index (stmt, param);

  return sqlite3_bind_int64 (stmt, idx, value) == SQLITE_OK;
}

/* Unsigned 64-bit values are stored in sqlite's signed INTEGER bit for bit. */
gboolean
vmgr_store_bind_uint64 (sqlite3_stmt *stmt, const char *param, guint64 value)
{
  return vmgr_store_bind_int (stmt, param, (gint64) value);
}

/* A string array is stored newline-joined; an empty array is "". */
gboolean
vmgr_store_bind_lines (sqlite3_stmt *stmt, const char *param, char **values)
{
  g_autofree char *joined = NULL;

  if (values != NULL)
    joined = g_strjoinv ("\n", values);
  return vmgr_store_bind_text0 (stmt, param, joined);
}

/* Prepares @sql and binds ":name" to @name. */
sqlite3_stmt *
vmgr_store_prepare_named (VmgrStore *self, const char *sql, const char *name,
                     GError **error)
{
  g_autoptr(sqlite3_stmt) stmt = vmgr_store_prepare (self, sql, error);

  if (stmt == NULL)
    return NULL;
  if (!vmgr_store_bind_text (stmt, ":name", name))
    {
      vmgr_store_fail (self, error);
      return NULL;
    }
  return g_steal_pointer (&stmt);
}

/* Steps a statement yielding a single integer (a count); -1 on error. */
gint64
vmgr_store_step_int (VmgrStore *self, sqlite3_stmt *stmt, GError **error)
{
  int rc = vmgr_store_step (self, stmt, error);

  if (rc == SQLITE_ROW)
    return sqlite3_column_int64 (stmt, 0);
  if (rc == SQLITE_DONE)
    g_set_error (error, VMGR_ERROR, VMGR_ERROR_FAILED,
                 "store %s: query returned no row", self->path);
  return -1;
}

/* Runs a count(*) query with ":name" bound to @name; -1 on error. */
gint64
vmgr_store_count_named (VmgrStore *self, const char *sql, const char *name,
                   GError **error)
{
  g_autoptr(sqlite3_stmt) stmt = vmgr_store_prepare_named (self, sql, name, error);

  if (stmt == NULL)
    return -1;
  return vmgr_store_step_int (self, stmt, error);
}

char *
vmgr_store_column_dup (sqlite3_stmt *stmt, int col)
{
  const char *text = (const char *) sqlite3_column_text (stmt, col);

  return g_strdup (text != NULL ? text : "");
}

/* Like vmgr_store_column_dup() but keeps SQL NULL as NULL. */
char *
vmgr_store_column_dup0 (sqlite3_stmt *stmt, int col)
{
  return g_strdup ((const char *) sqlite3_column_text (stmt, col));
}

char **
vmgr_store_column_lines (sqlite3_stmt *stmt, int col)
{
  const char *text = (const char *) sqlite3_column_text (stmt, col);

  if (text == NULL || *text == '\0')
    return g_new0 (char *, 1);
  return g_strsplit (text, "\n", -1);
}


/* Steps @stmt to the end, turning each row into an element. */
GPtrArray *
vmgr_store_collect (VmgrStore *self, sqlite3_stmt *stmt, VmgrStoreRowFunc row_func,
               GDestroyNotify free_func, GError **error)
{
  g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func (free_func);
  int rc;

  while ((rc = vmgr_store_step (self, stmt, error)) == SQLITE_ROW)
    g_ptr_array_add (rows, row_func (stmt));
  if (rc != SQLITE_DONE)
    return NULL;
  return g_steal_pointer (&rows);
}

/* ---- Transactions ---------------------------------------------------- */


static void
store_rollback (VmgrStore *self)
{
  /* A failed COMMIT may already have rolled back. */
  if (!sqlite3_get_autocommit (self->db))
    sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
}

/* Runs @func in one write transaction: all of it lands on disk, or none. */
gboolean
vmgr_store_transaction (VmgrStore *self, VmgrStoreTxnFunc func, gconstpointer data,
                        const VmgrAuditEntry *audit, GError **error)
{
  if (!vmgr_store_exec (self, "BEGIN IMMEDIATE", error))
    return FALSE;
  if (func (self, data, error) &&
      (audit == NULL || vmgr_store_append_audit_row (self, audit, error)) &&
      vmgr_store_exec (self, "COMMIT", error))
    return TRUE;
  store_rollback (self);
  return FALSE;
}

/* ---- Opening and migrating ------------------------------------------- */

static gboolean
store_open_db (VmgrStore *self, GError **error)
{
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  int rc = sqlite3_open_v2 (self->path, &self->db, flags, NULL);

  if (rc != SQLITE_OK)
    {
      g_set_error (error, VMGR_ERROR, VMGR_ERROR_FAILED,
                   "cannot open the store %s: %s", self->path,
                   self->db != NULL ? sqlite3_errmsg (self->db) : sqlite3_errstr (rc));
      return FALSE;
    }
  sqlite3_extended_result_codes (self->db, 1);
  sqlite3_busy_timeout (self->db, BUSY_TIMEOUT_MS);
  return vmgr_store_exec (self, "PRAGMA foreign_keys = ON;"
                           "PRAGMA synchronous = FULL;", error);
}

static int
store_read_version (VmgrStore *self, GError **error)
{
  g_autoptr(sqlite3_stmt) stmt = vmgr_store_prepare (self, "PRAGMA user_version", error);

  if (stmt == NULL)
    return -1;
  return (int) vmgr_store_step_int (self, stmt, error);
}

static gboolean
check_not_newer (VmgrStore *self, int version, GError **error)
{
  if (version <= VMGR_STORE_SCHEMA_VERSION)
    return TRUE;
  g_set_error (error, VMGR_ERROR, VMGR_ERROR_FAILED,
               "the store %s has schema version %d, newer than version %d "
               "that this vmgrd understands; it was written by a newer vmgrd: "
               "run that version, or restore a backup of the store",
               self->path, version, VMGR_STORE_SCHEMA_VERSION);
  return FALSE;
}

static gboolean
store_enable_wal (VmgrStore *self, GError **error)
{
  g_autoptr(sqlite3_stmt) stmt = vmgr_store_prepare (self, "PRAGMA journal_mode = WAL", error);
  const char *mode;

  if (stmt == NULL || vmgr_store_step (self, stmt, error) != SQLITE_ROW)
    return FALSE;
  mode = (const char *) sqlite3_column_text (stmt, 0);
  if (g_ascii_strcasecmp (mode != NULL ? mode : "", "wal") == 0)
    return TRUE;
  g_set_error (error, VMGR_ERROR, VMGR_ERROR_FAILED,
               "the store %s cannot use write-ahead logging (journal mode "
               "stays '%s'); put the state directory on a local file system",
               self->path, mode != NULL ? mode : "");
  return FALSE;
}

/* Applies the step that takes the file from @from to @from + 1. The version
 * is a constant of this build, not a value from outside: PRAGMA takes no
 * bound parameters. */
static gboolean
apply_migration (VmgrStore *self, int from, GError **error)
{
  g_autofree char *bump = g_strdup_printf ("PRAGMA user_version = %d", from + 1);

  g_debug ("migrating %s from schema version %d to %d", self->path, from, from + 1);
  return vmgr_store_exec (self, migrations[from], error) &&
         vmgr_store_exec (self, bump, error);
}

/* One step in one transaction. The version is read again inside it, so a
 * second process migrating the same file at the same time is harmless.
 * Sets *@done once the file is current. */
static gboolean
migrate_one_step (VmgrStore *self, gboolean *done, GError **error)
{
  int version;

  if (!vmgr_store_exec (self, "BEGIN IMMEDIATE", error))
    return FALSE;
  version = store_read_version (self, error);
  if (version >= 0 && check_not_newer (self, version, error))
    {
      *done = version == VMGR_STORE_SCHEMA_VERSION;
      if ((*done || apply_migration (self, version, error)) &&
          vmgr_store_exec (self, "COMMIT", error))
        return TRUE;
    }
  store_rollback (self);
  return FALSE;
}

static gboolean
store_migrate (VmgrStore *self, GError **error)
{
  gboolean done = FALSE;

  while (!done)
    if (!migrate_one_step (self, &done, error))
      return FALSE;
  self->schema_version = VMGR_STORE_SCHEMA_VERSION;
  return TRUE;
}

VmgrStore *
vmgr_store_open (const char *path, GError **error)
{
  g_autoptr(VmgrStore) self = NULL;
  int version;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  self = g_object_new (VMGR_TYPE_STORE, NULL);
  self->path = g_strdup (path);
  if (!store_open_db (self, error))
    return NULL;
  /* Refuse a newer file before changing anything in it (even its journal
   * mode). */
  version = store_read_version (self, error);
  if (version < 0 || !check_not_newer (self, version, error))
    return NULL;
  if (!store_enable_wal (self, error) || !store_migrate (self, error))
    return NULL;
  return g_steal_pointer (&self);
}

int
vmgr_store_get_schema_version (VmgrStore *self)
{
  g_return_val_if_fail (VMGR_IS_STORE (self), -1);
  return self->schema_version;
}

const char *
vmgr_store_get_path (VmgrStore *self)
{
  g_return_val_if_fail (VMGR_IS_STORE (self), NULL);
  return self->path;
}

gboolean
vmgr_store_is_empty (VmgrStore *self)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(sqlite3_stmt) stmt = NULL;
  gint64 empty;

  g_return_val_if_fail (VMGR_IS_STORE (self), FALSE);
  stmt = vmgr_store_prepare (self,
                        "SELECT NOT EXISTS (SELECT 1 FROM vms)"
                        " AND NOT EXISTS (SELECT 1 FROM templates)"
                        " AND NOT EXISTS (SELECT 1 FROM plans)", &error);
  empty = stmt != NULL ? vmgr_store_step_int (self, stmt, &error) : -1;
  if (empty < 0)
    g_warning ("%s", error->message);
  return empty == 1;
}

/* ---- GObject --------------------------------------------------------- */

static void
vmgr_store_finalize (GObject *object)
{
  VmgrStore *self = VMGR_STORE (object);

  if (self->db != NULL && sqlite3_close (self->db) != SQLITE_OK)
    g_warning ("closing the store %s: %s", self->path, sqlite3_errmsg (self->db));
  g_free (self->path);
  G_OBJECT_CLASS (vmgr_store_parent_class)->finalize (object);
}

static void
vmgr_store_class_init (VmgrStoreClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = vmgr_store_finalize;
}

static void
vmgr_store_init (VmgrStore *self)
{
}
