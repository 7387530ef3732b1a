/* The sqlite store. See vmgr-store.h for the contract.
 *
 * Layout: the schema version lives in PRAGMA user_version and is raised by
 * the ordered migration steps below, each in its own transaction. Every
 * mutation runs in store_transaction() (BEGIN IMMEDIATE ... COMMIT, ROLLBACK
 * on any error), and every value reaches sqlite as a bound parameter. */
#include "vmgr-store.h"

#include <sqlite3.h>

#include "vmgr-error.h"

#define FIRST_VM_ID 101
#define BUSY_TIMEOUT_MS 5000
#define AUDIT_DEFAULT_LIMIT 1000
#define AUDIT_MAX_LIMIT 10000

G_DEFINE_AUTOPTR_CLEANUP_FUNC (sqlite3_stmt, sqlite3_finalize)

struct _VmgrStore
{
  GObject parent_instance;

  sqlite3 *db;
  char *path;
  int schema_version;
};

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
};

G_STATIC_ASSERT (G_N_ELEMENTS (migrations) == VMGR_STORE_SCHEMA_VERSION);

#define VM_COLUMNS                                                         \
  "id, name, uuid, owner, template, plan, memory_guarantee,"               \
  " memory_soft_limit, memory_limit, vcpus, cpu_weight, cpu_limit,"        \
  " disk_soft_limit, disk_hard_limit, hostname, addresses, gateway,"       \
  " nameservers, autostart"

#define VM_PARAMS                                                          \
  ":id, :name, :uuid, :owner, :template, :plan, :memory_guarantee,"        \
  " :memory_soft_limit, :memory_limit, :vcpus, :cpu_weight, :cpu_limit,"   \
  " :disk_soft_limit, :disk_hard_limit, :hostname, :addresses, :gateway,"  \
  " :nameservers, :autostart"

#define PLAN_COLUMNS                                                       \
  "name, memory_guarantee, memory_soft_limit, memory_limit, vcpus,"        \
  " cpu_weight, cpu_limit, disk_soft_limit, disk_hard_limit, max_vms"

#define PLAN_PARAMS                                                        \
  ":name, :memory_guarantee, :memory_soft_limit, :memory_limit, :vcpus,"   \
  " :cpu_weight, :cpu_limit, :disk_soft_limit, :disk_hard_limit, :max_vms"

/* Every customer column but uid and created_at (which update never changes). */
#define CUSTOMER_DATA_COLUMNS                                              \
  "full_name, email, phone, address, province, national_id, plan,"        \
  " max_vms, max_vcpus, max_memory, max_disk, suspended, suspend_reason"

#define CUSTOMER_DATA_PARAMS                                               \
  ":full_name, :email, :phone, :address, :province, :national_id, :plan,"  \
  " :max_vms, :max_vcpus, :max_memory, :max_disk, :suspended,"            \
  " :suspend_reason"

#define CUSTOMER_COLUMNS "uid, " CUSTOMER_DATA_COLUMNS ", created_at"

#define AUDIT_COLUMNS                                                      \
  "time, uid, caller, pid, action, target, result, message"

/* ---- Low-level helpers ----------------------------------------------- */

static gboolean
store_fail (VmgrStore *self, GError **error)
{
  g_set_error (error, VMGR_ERROR, VMGR_ERROR_FAILED, "store %s: %s",
               self->path, sqlite3_errmsg (self->db));
  return FALSE;
}

static sqlite3_stmt *
store_prepare (VmgrStore *self, const char *sql, GError **error)
{
  sqlite3_stmt *stmt = NULL;

  if (sqlite3_prepare_v2 (self->db, sql, -1, &stmt, NULL) != SQLITE_OK)
    {
      store_fail (self, error);
      return NULL;
    }
  return stmt;
}

/* SQLITE_ROW or SQLITE_DONE; anything else sets @error and is SQLITE_ERROR. */
static int
store_step (VmgrStore *self, sqlite3_stmt *stmt, GError **error)
{
  int rc = sqlite3_step (stmt);

  if (rc == SQLITE_ROW || rc == SQLITE_DONE)
    return rc;
  store_fail (self, error);
  return SQLITE_ERROR;
}

/* Runs a statement that returns no rows we care about. */
static gboolean
store_step_done (VmgrStore *self, sqlite3_stmt *stmt, GError **error)
{
  return store_step (self, stmt, error) != SQLITE_ERROR;
}

/* Runs constant SQL (no values in it), possibly several statements. */
static gboolean
store_exec (VmgrStore *self, const char *sql, GError **error)
{
  if (sqlite3_exec (self->db, sql, NULL, NULL, NULL) != SQLITE_OK)
    return store_fail (self, error);
  return TRUE;
}

/* The bind helpers address parameters by name; a misspelt name fails the
 * bind (index 0 is out of range) instead of going unnoticed. */
static gboolean
bind_text (sqlite3_stmt *stmt, const char *param, const char *value)
{
  int idx = sqlite3_bind_parameter_index (stmt, param);

  return sqlite3_bind_text (stmt, idx, value, -1, SQLITE_TRANSIENT) == SQLITE_OK;
}

/* Binds NULL as "", for the NOT NULL DEFAULT '' columns. */
static gboolean
bind_text0 (sqlite3_stmt *stmt, const char *param, const char *value)
{
  return bind_text (stmt, param, value != NULL ? value : "");
}

static gboolean
bind_int (sqlite3_stmt *stmt, const char *param, gint64 value)
{
  int idx = sqlite3_bind_parameter_index (stmt, param);

  return sqlite3_bind_int64 (stmt, idx, value) == SQLITE_OK;
}

/* Unsigned 64-bit values are stored in sqlite's signed INTEGER bit for bit. */
static gboolean
bind_uint64 (sqlite3_stmt *stmt, const char *param, guint64 value)
{
  return bind_int (stmt, param, (gint64) value);
}

/* A string array is stored newline-joined; an empty array is "". */
static gboolean
bind_lines (sqlite3_stmt *stmt, const char *param, char **values)
{
  g_autofree char *joined = NULL;

  if (values != NULL)
    joined = g_strjoinv ("\n", values);
  return bind_text0 (stmt, param, joined);
}

/* Prepares @sql and binds ":name" to @name. */
static sqlite3_stmt *
store_prepare_named (VmgrStore *self, const char *sql, const char *name,
                     GError **error)
{
  g_autoptr(sqlite3_stmt) stmt = store_prepare (self, sql, error);

  if (stmt == NULL)
    return NULL;
  if (!bind_text (stmt, ":name", name))
    {
      store_fail (self, error);
      return NULL;
    }
  return g_steal_pointer (&stmt);
}

/* Steps a statement yielding a single integer (a count); -1 on error. */
static gint64
store_step_int (VmgrStore *self, sqlite3_stmt *stmt, GError **error)
{
  int rc = store_step (self, stmt, error);

  if (rc == SQLITE_ROW)
    return sqlite3_column_int64 (stmt, 0);
  if (rc == SQLITE_DONE)
    g_set_error (error, VMGR_ERROR, VMGR_ERROR_FAILED,
                 "store %s: query returned no row", self->path);
  return -1;
}

/* Runs a count(*) query with ":name" bound to @name; -1 on error. */
static gint64
store_count_named (VmgrStore *self, const char *sql, const char *name,
                   GError **error)
{
  g_autoptr(sqlite3_stmt) stmt = store_prepare_named (self, sql, name, error);

  if (stmt == NULL)
    return -1;
  return store_step_int (self, stmt, error);
}

static char *
column_dup (sqlite3_stmt *stmt, int col)
{
  const char *text = (const char *) sqlite3_column_text (stmt, col);

  return g_strdup (text != NULL ? text : "");
}

/* Like column_dup() but keeps SQL NULL as NULL. */
static char *
column_dup0 (sqlite3_stmt *stmt, int col)
{
  return g_strdup ((const char *) sqlite3_column_text (stmt, col));
}

static char **
column_lines (sqlite3_stmt *stmt, int col)
{
  const char *text = (const char *) sqlite3_column_text (stmt, col);

  if (text == NULL || *text == '\0')
    return g_new0 (char *, 1);
  return g_strsplit (text, "\n", -1);
}

typedef gpointer (*RowFunc) (sqlite3_stmt *stmt);

/* Steps @stmt to the end, turning each row into an element. */
static GPtrArray *
store_collect (VmgrStore *self, sqlite3_stmt *stmt, RowFunc row_func,
               GDestroyNotify free_func, GError **error)
{
  g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func (free_func);
  int rc;

  while ((rc = store_step (self, stmt, error)) == SQLITE_ROW)
    g_ptr_array_add (rows, row_func (stmt));
  if (rc != SQLITE_DONE)
    return NULL;
  return g_steal_pointer (&rows);
}

/* ---- Transactions ---------------------------------------------------- */

typedef gboolean (*TxnFunc) (VmgrStore *self, gconstpointer data, GError **error);

static void
store_rollback (VmgrStore *self)
{
  /* A failed COMMIT may already have rolled back. */
  if (!sqlite3_get_autocommit (self->db))
    sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
}

/* Runs @func in one write transaction: all of it lands on disk, or none. */
static gboolean
store_transaction (VmgrStore *self, TxnFunc func, gconstpointer data,
                   GError **error)
{
  if (!store_exec (self, "BEGIN IMMEDIATE", error))
    return FALSE;
  if (func (self, data, error) && store_exec (self, "COMMIT", error))
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
  return store_exec (self, "PRAGMA foreign_keys = ON;"
                           "PRAGMA synchronous = FULL;", error);
}

static int
store_read_version (VmgrStore *self, GError **error)
{
  g_autoptr(sqlite3_stmt) stmt = store_prepare (self, "PRAGMA user_version", error);

  if (stmt == NULL)
    return -1;
  return (int) store_step_int (self, stmt, error);
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
  g_autoptr(sqlite3_stmt) stmt = store_prepare (self, "PRAGMA journal_mode = WAL", error);
  const char *mode;

  if (stmt == NULL || store_step (self, stmt, error) != SQLITE_ROW)
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
  return store_exec (self, migrations[from], error) &&
         store_exec (self, bump, error);
}

/* One step in one transaction. The version is read again inside it, so a
 * second process migrating the same file at the same time is harmless.
 * Sets *@done once the file is current. */
static gboolean
migrate_one_step (VmgrStore *self, gboolean *done, GError **error)
{
  int version;

  if (!store_exec (self, "BEGIN IMMEDIATE", error))
    return FALSE;
  version = store_read_version (self, error);
  if (version >= 0 && check_not_newer (self, version, error))
    {
      *done = version == VMGR_STORE_SCHEMA_VERSION;
      if ((*done || apply_migration (self, version, error)) &&
          store_exec (self, "COMMIT", error))
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
  stmt = store_prepare (self,
                        "SELECT NOT EXISTS (SELECT 1 FROM vms)"
                        " AND NOT EXISTS (SELECT 1 FROM templates)"
                        " AND NOT EXISTS (SELECT 1 FROM plans)", &error);
  empty = stmt != NULL ? store_step_int (self, stmt, &error) : -1;
  if (empty < 0)
    g_warning ("%s", error->message);
  return empty == 1;
}

/* ---- VMs ------------------------------------------------------------- */

static gpointer
row_to_vm (sqlite3_stmt *stmt)
{
  VmgrVmSpec *spec = g_new0 (VmgrVmSpec, 1);
  int c = 0;

  spec->id = (guint32) sqlite3_column_int64 (stmt, c++);
  spec->name = column_dup (stmt, c++);
  spec->uuid = column_dup (stmt, c++);
  spec->owner = (guint32) sqlite3_column_int64 (stmt, c++);
  spec->template_name = column_dup (stmt, c++);
  spec->plan = column_dup (stmt, c++);
  spec->memory_guarantee = (guint64) sqlite3_column_int64 (stmt, c++);
  spec->memory_soft_limit = (guint64) sqlite3_column_int64 (stmt, c++);
  spec->memory_limit = (guint64) sqlite3_column_int64 (stmt, c++);
  spec->vcpus = (guint32) sqlite3_column_int64 (stmt, c++);
  spec->cpu_weight = (guint32) sqlite3_column_int64 (stmt, c++);
  spec->cpu_limit = (guint32) sqlite3_column_int64 (stmt, c++);
  spec->disk_soft_limit = (guint64) sqlite3_column_int64 (stmt, c++);
  spec->disk_hard_limit = (guint64) sqlite3_column_int64 (stmt, c++);
  spec->hostname = column_dup (stmt, c++);
  spec->addresses = column_lines (stmt, c++);
  spec->gateway = column_dup (stmt, c++);
  spec->nameservers = column_lines (stmt, c++);
  spec->autostart = sqlite3_column_int64 (stmt, c++) != 0;
  return spec;
}

/* Binds every VM_PARAMS parameter. */
static gboolean
bind_vm (sqlite3_stmt *stmt, const VmgrVmSpec *spec)
{
  return bind_int (stmt, ":id", spec->id) &&
         bind_text (stmt, ":name", spec->name) &&
         bind_text (stmt, ":uuid", spec->uuid) &&
         bind_int (stmt, ":owner", spec->owner) &&
         bind_text0 (stmt, ":template", spec->template_name) &&
         bind_text0 (stmt, ":plan", spec->plan) &&
         bind_uint64 (stmt, ":memory_guarantee", spec->memory_guarantee) &&
         bind_uint64 (stmt, ":memory_soft_limit", spec->memory_soft_limit) &&
         bind_uint64 (stmt, ":memory_limit", spec->memory_limit) &&
         bind_int (stmt, ":vcpus", spec->vcpus) &&
         bind_int (stmt, ":cpu_weight", spec->cpu_weight) &&
         bind_int (stmt, ":cpu_limit", spec->cpu_limit) &&
         bind_uint64 (stmt, ":disk_soft_limit", spec->disk_soft_limit) &&
         bind_uint64 (stmt, ":disk_hard_limit", spec->disk_hard_limit) &&
         bind_text0 (stmt, ":hostname", spec->hostname) &&
         bind_lines (stmt, ":addresses", spec->addresses) &&
         bind_text0 (stmt, ":gateway", spec->gateway) &&
         bind_lines (stmt, ":nameservers", spec->nameservers) &&
         bind_int (stmt, ":autostart", spec->autostart ? 1 : 0);
}

/* Counts VMs other than @exclude_id (-1: none) matching @sql on :value. */
static gint64
count_other_vms (VmgrStore *self, const char *sql, const char *value,
                 gint64 exclude_id, GError **error)
{
  g_autoptr(sqlite3_stmt) stmt = store_prepare (self, sql, error);

  if (stmt == NULL)
    return -1;
  if (!bind_text (stmt, ":value", value) || !bind_int (stmt, ":id", exclude_id))
    {
      store_fail (self, error);
      return -1;
    }
  return store_step_int (self, stmt, error);
}

static gboolean
vm_id_exists (VmgrStore *self, guint32 id, gboolean *exists, GError **error)
{
  g_autoptr(sqlite3_stmt) stmt =
    store_prepare (self, "SELECT count(*) FROM vms WHERE id = :id", error);
  gint64 n;

  if (stmt == NULL)
    return FALSE;
  if (!bind_int (stmt, ":id", id))
    return store_fail (self, error);
  n = store_step_int (self, stmt, error);
  *exists = n > 0;
  return n >= 0;
}

/* ALREADY_EXISTS when another VM (not @exclude_id) has @spec's name or UUID. */
static gboolean
check_vm_unique (VmgrStore *self, const VmgrVmSpec *spec, gint64 exclude_id,
                 GError **error)
{
  gint64 n;

  n = count_other_vms (self, "SELECT count(*) FROM vms WHERE name = :value AND id != :id",
                       spec->name, exclude_id, error);
  if (n > 0)
    g_set_error (error, VMGR_ERROR, VMGR_ERROR_ALREADY_EXISTS,
                 "a VM named '%s' already exists", spec->name);
  if (n != 0)
    return FALSE;
  n = count_other_vms (self, "SELECT count(*) FROM vms WHERE uuid = :value AND id != :id",
                       spec->uuid, exclude_id, error);
  if (n > 0)
    g_set_error (error, VMGR_ERROR, VMGR_ERROR_ALREADY_EXISTS,
                 "a VM with UUID %s already exists", spec->uuid);
  return n == 0;
}

typedef struct
{
  const VmgrVmSpec *spec;
  const char *domain_xml;
} VmWrite;

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
  stmt = store_prepare (self, "INSERT INTO vms (" VM_COLUMNS ", domain_xml, created_at)"
                              " VALUES (" VM_PARAMS ", :domain_xml, :created_at)", error);
  if (stmt == NULL)
    return FALSE;
  if (!bind_vm (stmt, w->spec) || !bind_text0 (stmt, ":domain_xml", w->domain_xml) ||
      !bind_int (stmt, ":created_at", g_get_real_time ()))
    return store_fail (self, error);
  return store_step_done (self, stmt, error);
}

gboolean
vmgr_store_insert_vm (VmgrStore *self, const VmgrVmSpec *spec,
                      const char *domain_xml, GError **error)
{
  VmWrite w = { spec, domain_xml };

  g_return_val_if_fail (VMGR_IS_STORE (self), FALSE);
  g_return_val_if_fail (spec != NULL, FALSE);
  return store_transaction (self, insert_vm_txn, &w, error);
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
  stmt = store_prepare (self, "UPDATE vms SET (" VM_COLUMNS ", domain_xml) = (" VM_PARAMS
                              ", coalesce (:domain_xml, domain_xml)) WHERE id = :id", error);
  if (stmt == NULL)
    return FALSE;
  if (!bind_vm (stmt, w->spec) || !bind_text (stmt, ":domain_xml", w->domain_xml))
    return store_fail (self, error);
  return store_step_done (self, stmt, error);
}

/* A NULL @domain_xml keeps the stored definition. */
gboolean
vmgr_store_update_vm (VmgrStore *self, const VmgrVmSpec *spec,
                      const char *domain_xml, GError **error)
{
  VmWrite w = { spec, domain_xml };

  g_return_val_if_fail (VMGR_IS_STORE (self), FALSE);
  g_return_val_if_fail (spec != NULL, FALSE);
  return store_transaction (self, update_vm_txn, &w, error);
}

static gboolean
delete_vm_txn (VmgrStore *self, gconstpointer data, GError **error)
{
  guint32 id = GPOINTER_TO_UINT (data);
  g_autoptr(sqlite3_stmt) stmt =
    store_prepare (self, "DELETE FROM vms WHERE id = :id", error);

  if (stmt == NULL)
    return FALSE;
  if (!bind_int (stmt, ":id", id))
    return store_fail (self, error);
  if (!store_step_done (self, stmt, error))
    return FALSE;
  return sqlite3_changes (self->db) > 0 || no_vm_error (error, id);
}

gboolean
vmgr_store_delete_vm (VmgrStore *self, guint32 id, GError **error)
{
  g_return_val_if_fail (VMGR_IS_STORE (self), FALSE);
  return store_transaction (self, delete_vm_txn, GUINT_TO_POINTER (id), error);
}

/* Prepares @sql (one row per VM, selected by ":id") and steps to the row;
 * NULL with NOT_FOUND when there is none. */
static sqlite3_stmt *
select_vm_row (VmgrStore *self, const char *sql, guint32 id, GError **error)
{
  g_autoptr(sqlite3_stmt) stmt = store_prepare (self, sql, error);
  int rc;

  if (stmt == NULL)
    return NULL;
  if (!bind_int (stmt, ":id", id))
    {
      store_fail (self, error);
      return NULL;
    }
  rc = store_step (self, stmt, error);
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
  return stmt != NULL ? column_dup (stmt, 0) : NULL;
}

GPtrArray *
vmgr_store_list_vms (VmgrStore *self, GError **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;

  g_return_val_if_fail (VMGR_IS_STORE (self), NULL);
  stmt = store_prepare (self, "SELECT " VM_COLUMNS " FROM vms ORDER BY id", error);
  if (stmt == NULL)
    return NULL;
  return store_collect (self, stmt, row_to_vm, (GDestroyNotify) vmgr_vm_spec_free, error);
}

guint32
vmgr_store_next_vm_id (VmgrStore *self, GError **error)
{
  /* 101 if free, else one past the end of the first run of taken ids that
   * starts at 101 or later. */
  static const char sql[] =
    "SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM vms WHERE id = :first) THEN :first"
    " ELSE (SELECT min (a.id + 1) FROM vms AS a WHERE a.id >= :first"
    "       AND NOT EXISTS (SELECT 1 FROM vms AS b WHERE b.id = a.id + 1)) END";
  g_autoptr(sqlite3_stmt) stmt = NULL;
  gint64 id;

  g_return_val_if_fail (VMGR_IS_STORE (self), 0);
  stmt = store_prepare (self, sql, error);
  if (stmt == NULL)
    return 0;
  if (!bind_int (stmt, ":first", FIRST_VM_ID))
    {
      store_fail (self, error);
      return 0;
    }
  id = store_step_int (self, stmt, error);
  if (id > G_MAXUINT32)
    g_set_error (error, VMGR_ERROR, VMGR_ERROR_FAILED, "no free VM id is left");
  return id >= FIRST_VM_ID && id <= G_MAXUINT32 ? (guint32) id : 0;
}

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
  gint64 n = store_count_named (self, kind->count_sql, name, error);

  if (n == 0)
    return not_found_named (kind, name, error);
  if (n > 0)
    n = store_count_named (self, kind->users_sql, name, error);
  if (n > 0)
    g_set_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_STATE,
                 "%s '%s' is used by %" G_GINT64_FORMAT " VM%s; move or delete "
                 "them first", kind->kind, name, n, n == 1 ? "" : "s");
  if (n != 0)
    return FALSE;
  stmt = store_prepare_named (self, kind->delete_sql, name, error);
  return stmt != NULL && store_step_done (self, stmt, error);
}

static guint
count_users (VmgrStore *self, const NamedKind *kind, const char *name)
{
  g_autoptr(GError) error = NULL;
  gint64 n;

  g_return_val_if_fail (VMGR_IS_STORE (self), 0);
  g_return_val_if_fail (name != NULL, 0);
  n = store_count_named (self, kind->users_sql, name, &error);
  if (n < 0)
    g_warning ("counting VMs using %s '%s': %s", kind->kind, name, error->message);
  return n > 0 ? (guint) n : 0;
}

/* Fetches the one row named @name from @sql, or NOT_FOUND. */
static gpointer
get_named (VmgrStore *self, const NamedKind *kind, const char *sql,
           const char *name, RowFunc row_func, GError **error)
{
  g_autoptr(sqlite3_stmt) stmt = store_prepare_named (self, sql, name, error);
  int rc;

  if (stmt == NULL)
    return NULL;
  rc = store_step (self, stmt, error);
  if (rc == SQLITE_DONE)
    not_found_named (kind, name, error);
  return rc == SQLITE_ROW ? row_func (stmt) : NULL;
}

static GPtrArray *
list_all (VmgrStore *self, const char *sql, RowFunc row_func,
          GDestroyNotify free_func, GError **error)
{
  g_autoptr(sqlite3_stmt) stmt = store_prepare (self, sql, error);

  if (stmt == NULL)
    return NULL;
  return store_collect (self, stmt, row_func, free_func, error);
}

/* ---- Templates ------------------------------------------------------- */

static gpointer
row_to_template (sqlite3_stmt *stmt)
{
  VmgrTemplate *tmpl = g_new0 (VmgrTemplate, 1);

  tmpl->name = column_dup (stmt, 0);
  tmpl->os = column_dup (stmt, 1);
  tmpl->description = column_dup (stmt, 2);
  tmpl->source = column_dup (stmt, 3);
  return tmpl;
}

static gboolean
add_template_txn (VmgrStore *self, gconstpointer data, GError **error)
{
  const VmgrTemplate *tmpl = data;
  g_autoptr(sqlite3_stmt) stmt = NULL;
  gint64 n = store_count_named (self, template_kind.count_sql, tmpl->name, error);

  if (n > 0)
    g_set_error (error, VMGR_ERROR, VMGR_ERROR_ALREADY_EXISTS,
                 "a template named '%s' already exists", tmpl->name);
  if (n != 0)
    return FALSE;
  stmt = store_prepare_named (self, "INSERT INTO templates (name, os, description, source)"
                                    " VALUES (:name, :os, :description, :source)",
                              tmpl->name, error);
  if (stmt == NULL)
    return FALSE;
  if (!bind_text0 (stmt, ":os", tmpl->os) ||
      !bind_text0 (stmt, ":description", tmpl->description) ||
      !bind_text0 (stmt, ":source", tmpl->source))
    return store_fail (self, error);
  return store_step_done (self, stmt, error);
}

gboolean
vmgr_store_add_template (VmgrStore *self, const VmgrTemplate *tmpl, GError **error)
{
  g_return_val_if_fail (VMGR_IS_STORE (self), FALSE);
  g_return_val_if_fail (tmpl != NULL && tmpl->name != NULL, FALSE);
  return store_transaction (self, add_template_txn, tmpl, error);
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
  return list_all (self, "SELECT name, os, description, source FROM templates ORDER BY name",
                   row_to_template, (GDestroyNotify) vmgr_template_free, error);
}

static gboolean
remove_template_txn (VmgrStore *self, gconstpointer data, GError **error)
{
  return remove_named (self, &template_kind, data, error);
}

gboolean
vmgr_store_remove_template (VmgrStore *self, const char *name, GError **error)
{
  g_return_val_if_fail (VMGR_IS_STORE (self), FALSE);
  g_return_val_if_fail (name != NULL, FALSE);
  return store_transaction (self, remove_template_txn, name, error);
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
  return plan;
}

static gboolean
bind_plan (sqlite3_stmt *stmt, const VmgrPlan *plan)
{
  return bind_text (stmt, ":name", plan->name) &&
         bind_uint64 (stmt, ":memory_guarantee", plan->memory_guarantee) &&
         bind_uint64 (stmt, ":memory_soft_limit", plan->memory_soft_limit) &&
         bind_uint64 (stmt, ":memory_limit", plan->memory_limit) &&
         bind_int (stmt, ":vcpus", plan->vcpus) &&
         bind_int (stmt, ":cpu_weight", plan->cpu_weight) &&
         bind_int (stmt, ":cpu_limit", plan->cpu_limit) &&
         bind_uint64 (stmt, ":disk_soft_limit", plan->disk_soft_limit) &&
         bind_uint64 (stmt, ":disk_hard_limit", plan->disk_hard_limit) &&
         bind_int (stmt, ":max_vms", plan->max_vms);
}

static gboolean
set_plan_txn (VmgrStore *self, gconstpointer data, GError **error)
{
  g_autoptr(sqlite3_stmt) stmt =
    store_prepare (self, "INSERT OR REPLACE INTO plans (" PLAN_COLUMNS ")"
                         " VALUES (" PLAN_PARAMS ")", error);

  if (stmt == NULL)
    return FALSE;
  if (!bind_plan (stmt, data))
    return store_fail (self, error);
  return store_step_done (self, stmt, error);
}

gboolean
vmgr_store_set_plan (VmgrStore *self, const VmgrPlan *plan, GError **error)
{
  g_return_val_if_fail (VMGR_IS_STORE (self), FALSE);
  g_return_val_if_fail (plan != NULL && plan->name != NULL, FALSE);
  return store_transaction (self, set_plan_txn, plan, error);
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
  return list_all (self, "SELECT " PLAN_COLUMNS " FROM plans ORDER BY name",
                   row_to_plan, (GDestroyNotify) vmgr_plan_free, error);
}

static gboolean
remove_plan_txn (VmgrStore *self, gconstpointer data, GError **error)
{
  return remove_named (self, &plan_kind, data, error);
}

gboolean
vmgr_store_remove_plan (VmgrStore *self, const char *name, GError **error)
{
  g_return_val_if_fail (VMGR_IS_STORE (self), FALSE);
  g_return_val_if_fail (name != NULL, FALSE);
  return store_transaction (self, remove_plan_txn, name, error);
}

/* ---- Customers ------------------------------------------------------- */

static gpointer
row_to_customer (sqlite3_stmt *stmt)
{
  VmgrCustomerInfo *info = g_new0 (VmgrCustomerInfo, 1);
  int c = 0;

  info->uid = (guint32) sqlite3_column_int64 (stmt, c++);
  info->full_name = column_dup (stmt, c++);
  info->email = column_dup (stmt, c++);
  info->phone = column_dup (stmt, c++);
  info->address = column_dup (stmt, c++);
  info->province = column_dup (stmt, c++);
  info->national_id = column_dup (stmt, c++);
  info->plan = column_dup (stmt, c++);
  info->max_vms = (guint32) sqlite3_column_int64 (stmt, c++);
  info->max_vcpus = (guint32) sqlite3_column_int64 (stmt, c++);
  info->max_memory = (guint64) sqlite3_column_int64 (stmt, c++);
  info->max_disk = (guint64) sqlite3_column_int64 (stmt, c++);
  info->suspended = sqlite3_column_int64 (stmt, c++) != 0;
  info->suspend_reason = column_dup (stmt, c++);
  info->created_at = sqlite3_column_int64 (stmt, c++);
  return info;
}

/* Binds :uid and every CUSTOMER_DATA_PARAMS parameter. */
static gboolean
bind_customer (sqlite3_stmt *stmt, const VmgrCustomerInfo *info)
{
  return bind_int (stmt, ":uid", info->uid) &&
         bind_text0 (stmt, ":full_name", info->full_name) &&
         bind_text0 (stmt, ":email", info->email) &&
         bind_text0 (stmt, ":phone", info->phone) &&
         bind_text0 (stmt, ":address", info->address) &&
         bind_text0 (stmt, ":province", info->province) &&
         bind_text0 (stmt, ":national_id", info->national_id) &&
         bind_text0 (stmt, ":plan", info->plan) &&
         bind_int (stmt, ":max_vms", info->max_vms) &&
         bind_int (stmt, ":max_vcpus", info->max_vcpus) &&
         bind_uint64 (stmt, ":max_memory", info->max_memory) &&
         bind_uint64 (stmt, ":max_disk", info->max_disk) &&
         bind_int (stmt, ":suspended", info->suspended ? 1 : 0) &&
         bind_text0 (stmt, ":suspend_reason", info->suspend_reason);
}

/* Prepares @sql and binds ":uid" to @uid. */
static sqlite3_stmt *
store_prepare_uid (VmgrStore *self, const char *sql, guint32 uid, GError **error)
{
  g_autoptr(sqlite3_stmt) stmt = store_prepare (self, sql, error);

  if (stmt == NULL)
    return NULL;
  if (!bind_int (stmt, ":uid", uid))
    {
      store_fail (self, error);
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
  return store_step_int (self, stmt, error);
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
  if (!bind_text (stmt, ":national_id", info->national_id))
    return store_fail (self, error);
  n = store_step_int (self, stmt, error);
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
  stmt = store_prepare (self, "INSERT INTO customers (" CUSTOMER_COLUMNS ")"
                              " VALUES (:uid, " CUSTOMER_DATA_PARAMS ", :created_at)", error);
  if (stmt == NULL)
    return FALSE;
  if (!bind_customer (stmt, info) ||
      !bind_int (stmt, ":created_at",
                 info->created_at != 0 ? info->created_at : g_get_real_time ()))
    return store_fail (self, error);
  return store_step_done (self, stmt, error);
}

/* A @customer whose created_at is 0 is stamped with the current time. */
gboolean
vmgr_store_add_customer (VmgrStore *self, const VmgrCustomerInfo *customer, GError **error)
{
  g_return_val_if_fail (VMGR_IS_STORE (self), FALSE);
  g_return_val_if_fail (customer != NULL, FALSE);
  return store_transaction (self, add_customer_txn, customer, error);
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
  stmt = store_prepare (self, "UPDATE customers SET (" CUSTOMER_DATA_COLUMNS ")"
                              " = (" CUSTOMER_DATA_PARAMS ") WHERE uid = :uid", error);
  if (stmt == NULL)
    return FALSE;
  if (!bind_customer (stmt, info))
    return store_fail (self, error);
  return store_step_done (self, stmt, error);
}

/* Replaces every field but uid and created_at (the registration time is
 * kept as stored). */
gboolean
vmgr_store_update_customer (VmgrStore *self, const VmgrCustomerInfo *customer,
                            GError **error)
{
  g_return_val_if_fail (VMGR_IS_STORE (self), FALSE);
  g_return_val_if_fail (customer != NULL, FALSE);
  return store_transaction (self, update_customer_txn, customer, error);
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
  return stmt != NULL && store_step_done (self, stmt, error);
}

gboolean
vmgr_store_remove_customer (VmgrStore *self, guint32 uid, GError **error)
{
  g_return_val_if_fail (VMGR_IS_STORE (self), FALSE);
  return store_transaction (self, remove_customer_txn, GUINT_TO_POINTER (uid), error);
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
  rc = store_step (self, stmt, error);
  if (rc == SQLITE_DONE)
    no_customer_error (error, uid);
  return rc == SQLITE_ROW ? row_to_customer (stmt) : NULL;
}

GPtrArray *
vmgr_store_list_customers (VmgrStore *self, GError **error)
{
  g_return_val_if_fail (VMGR_IS_STORE (self), NULL);
  return list_all (self, "SELECT " CUSTOMER_COLUMNS " FROM customers ORDER BY uid",
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

/* ---- Audit ----------------------------------------------------------- */

static gpointer
row_to_audit (sqlite3_stmt *stmt)
{
  VmgrAuditEntry *entry = vmgr_audit_entry_new ();

  entry->time = sqlite3_column_int64 (stmt, 0);
  entry->uid = (guint32) sqlite3_column_int64 (stmt, 1);
  entry->caller = column_dup0 (stmt, 2);
  entry->pid = sqlite3_column_int64 (stmt, 3);
  entry->action = column_dup0 (stmt, 4);
  entry->target = column_dup0 (stmt, 5);
  entry->result = column_dup0 (stmt, 6);
  entry->message = column_dup0 (stmt, 7);
  return entry;
}

static gboolean
bind_audit (sqlite3_stmt *stmt, const VmgrAuditEntry *entry)
{
  return bind_int (stmt, ":time", entry->time != 0 ? entry->time : g_get_real_time ()) &&
         bind_int (stmt, ":uid", entry->uid) &&
         bind_text (stmt, ":caller", entry->caller) &&
         bind_int (stmt, ":pid", entry->pid) &&
         bind_text (stmt, ":action", entry->action) &&
         bind_text (stmt, ":target", entry->target) &&
         bind_text (stmt, ":result", entry->result) &&
         bind_text (stmt, ":message", entry->message);
}

static gboolean
append_audit_txn (VmgrStore *self, gconstpointer data, GError **error)
{
  g_autoptr(sqlite3_stmt) stmt =
    store_prepare (self, "INSERT INTO audit (" AUDIT_COLUMNS ") VALUES (:time, :uid,"
                         " :caller, :pid, :action, :target, :result, :message)", error);

  if (stmt == NULL)
    return FALSE;
  if (!bind_audit (stmt, data))
    return store_fail (self, error);
  return store_step_done (self, stmt, error);
}

/* An entry whose time is 0 is stamped with the current time. */
gboolean
vmgr_store_append_audit (VmgrStore *self, const VmgrAuditEntry *entry, GError **error)
{
  g_return_val_if_fail (VMGR_IS_STORE (self), FALSE);
  g_return_val_if_fail (entry != NULL, FALSE);
  return store_transaction (self, append_audit_txn, entry, error);
}

typedef struct
{
  gint64 since;
  gint64 until;
  gint64 uid;
  const char *target;
  guint limit;
} AuditQuery;

/* Only constant fragments go into the SQL; the values are bound. */
static char *
audit_query_sql (const AuditQuery *q)
{
  GString *sql = g_string_new ("SELECT " AUDIT_COLUMNS " FROM audit WHERE 1");

  if (q->since != 0)
    g_string_append (sql, " AND time >= :since");
  if (q->until != 0)
    g_string_append (sql, " AND time <= :until");
  if (q->uid >= 0)
    g_string_append (sql, " AND uid = :uid");
  if (q->target != NULL)
    g_string_append (sql, " AND target = :target");
  g_string_append (sql, " ORDER BY time DESC, id DESC LIMIT :limit");
  return g_string_free (sql, FALSE);
}

static gboolean
bind_audit_query (sqlite3_stmt *stmt, const AuditQuery *q)
{
  return (q->since == 0 || bind_int (stmt, ":since", q->since)) &&
         (q->until == 0 || bind_int (stmt, ":until", q->until)) &&
         (q->uid < 0 || bind_int (stmt, ":uid", q->uid)) &&
         (q->target == NULL || bind_text (stmt, ":target", q->target)) &&
         bind_int (stmt, ":limit", q->limit);
}

/* @since and @until are inclusive. */
GPtrArray *
vmgr_store_query_audit (VmgrStore *self, gint64 since, gint64 until,
                        gint64 uid, const char *target, guint limit,
                        GError **error)
{
  AuditQuery q = { since, until, uid, target, limit };
  g_autofree char *sql = NULL;
  g_autoptr(sqlite3_stmt) stmt = NULL;

  g_return_val_if_fail (VMGR_IS_STORE (self), NULL);
  if (q.limit == 0)
    q.limit = AUDIT_DEFAULT_LIMIT;
  q.limit = MIN (q.limit, AUDIT_MAX_LIMIT);
  sql = audit_query_sql (&q);
  stmt = store_prepare (self, sql, error);
  if (stmt == NULL)
    return NULL;
  if (!bind_audit_query (stmt, &q))
    {
      store_fail (self, error);
      return NULL;
    }
  return store_collect (self, stmt, row_to_audit,
                        (GDestroyNotify) vmgr_audit_entry_free, error);
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
