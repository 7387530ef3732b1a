/* Unit tests of the store's audit table and VM id retirement (schema 4):
 * rows keep the verb, the target's name and UUID and the values changed;
 * queries find a target by path, name or UUID and filter by verb; a
 * deleted VM's id is retired and never stored again; migrating an older
 * store retires the ids its audit log names. */
#include "store-helpers.h"
#include "unit-helpers.h"
#include "vmgr-error.h"
#include "vmgr-ledger.h"
#include "vmgr-validate.h"

#define WEB1_UUID "11111111-1111-4111-8111-111111111111"

static VmgrAuditEntry *
make_entry (const char *verb, const char *target, const char *name, const char *uuid)
{
  VmgrAuditEntry *entry = vmgr_audit_entry_new ();

  entry->uid = 0;
  entry->caller = g_strdup ("root (:1.1)");
  entry->action = g_strdup ("org.vmgr.vm.control-any");
  entry->verb = g_strdup (verb);
  entry->target = g_strdup (target);
  entry->target_name = g_strdup (name);
  entry->target_uuid = g_strdup (uuid);
  entry->result = g_strdup ("allowed");
  entry->message = g_strdup ("");
  return entry;
}

static void
append (VmgrStore *store, const VmgrAuditEntry *entry)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (vmgr_store_append_audit (store, entry, &error));
  g_assert_no_error (error);
}

static GPtrArray *
query (VmgrStore *store, const char *target, const char *verb)
{
  VmgrAuditFilter filter = { .uid = -1, .target = target, .verb = verb };
  g_autoptr(GError) error = NULL;
  GPtrArray *entries = vmgr_store_query_audit_filtered (store, &filter, &error);

  g_assert_no_error (error);
  g_assert_nonnull (entries);
  return entries;
}

static void
test_rows_keep_what_changed (void)
{
  g_autoptr(TmpDir) t = tmp_dir_new ();
  g_autoptr(VmgrStore) store = open_store (t->path);
  g_autoptr(VmgrAuditEntry) memory = make_entry ("SetMemory", "/org/vmgr/vm/101", "web1",
                                                 WEB1_UUID);
  g_autoptr(VmgrAuditEntry) stop = make_entry ("Stop", "/org/vmgr/vm/101", "web1", WEB1_UUID);
  g_autoptr(VmgrAuditEntry) other = make_entry ("Stop", "/org/vmgr/vm/102", "db1", NULL);
  g_autoptr(VmgrAuditEntry) bare = vmgr_audit_entry_new ();
  g_autoptr(GPtrArray) by_name = NULL;
  g_autoptr(GPtrArray) by_uuid = NULL;
  g_autoptr(GPtrArray) by_path = NULL;
  g_autoptr(GPtrArray) stops = NULL;
  g_autoptr(GPtrArray) everything = NULL;
  const VmgrAuditEntry *read;
  const VmgrAuditChange *change;

  vmgr_audit_entry_add_change (memory, "memory_limit", "536870912", "1073741824");
  vmgr_audit_entry_add_change (memory, "hostname", NULL, "web1.example.com");
  append (store, memory);
  append (store, stop);
  append (store, other);
  /* A row without verb, name or changes (as older vmgrd wrote them). */
  bare->caller = g_strdup ("?");
  bare->action = g_strdup ("provision");
  bare->target = g_strdup ("/org/vmgr/Manager");
  bare->result = g_strdup ("failed");
  bare->message = g_strdup ("no space");
  append (store, bare);

  by_name = query (store, "web1", NULL);
  by_uuid = query (store, WEB1_UUID, NULL);
  by_path = query (store, "/org/vmgr/vm/101", NULL);
  g_assert_cmpuint (by_name->len, ==, 2);
  g_assert_cmpuint (by_uuid->len, ==, 2);
  g_assert_cmpuint (by_path->len, ==, 2);

  stops = query (store, "web1", "Stop");
  g_assert_cmpuint (stops->len, ==, 1);
  read = g_ptr_array_index (stops, 0);
  g_assert_cmpstr (read->verb, ==, "Stop");
  g_assert_cmpstr (read->target_name, ==, "web1");
  g_assert_cmpstr (read->target_uuid, ==, WEB1_UUID);
  g_assert_cmpuint (read->changes->len, ==, 0);

  /* Newest first: the SetMemory row is the older of web1's two. */
  read = g_ptr_array_index (by_name, 1);
  g_assert_cmpstr (read->verb, ==, "SetMemory");
  g_assert_cmpuint (read->changes->len, ==, 2);
  change = g_ptr_array_index (read->changes, 0);
  g_assert_cmpstr (change->field, ==, "memory_limit");
  g_assert_cmpstr (change->old_value, ==, "536870912");
  g_assert_cmpstr (change->new_value, ==, "1073741824");
  change = g_ptr_array_index (read->changes, 1);
  g_assert_cmpstr (change->field, ==, "hostname");
  g_assert_null (change->old_value);
  g_assert_cmpstr (change->new_value, ==, "web1.example.com");

  everything = query (store, NULL, NULL);
  g_assert_cmpuint (everything->len, ==, 4);
  read = g_ptr_array_index (everything, 0);
  g_assert_cmpstr (read->action, ==, "provision");
  g_assert_null (read->verb);
  g_assert_null (read->target_name);
  g_assert_null (read->target_uuid);
  g_assert_cmpuint (read->changes->len, ==, 0);
}

static void
insert_vm (VmgrStore *store, guint32 id, const char *name, const char *uuid, GError **error)
{
  g_autoptr(VmgrVmSpec) spec = vmgr_vm_spec_new ();

  spec->id = id;
  set_str (&spec->name, name);
  set_str (&spec->uuid, uuid);
  spec->owner = 60002;
  vmgr_store_insert_vm (store, spec, "<domain/>", NULL, error);
}

static void
test_deleted_ids_retired (void)
{
  g_autoptr(TmpDir) t = tmp_dir_new ();
  g_autoptr(VmgrStore) store = open_store (t->path);
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) retired = NULL;

  insert_vm (store, 101, "web1", WEB1_UUID, &error);
  g_assert_no_error (error);
  g_assert_true (vmgr_store_delete_vm (store, 101, NULL, &error));
  g_assert_no_error (error);
  retired = vmgr_store_list_retired_vm_ids (store, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (retired->len, ==, 1);
  g_assert_cmpuint (g_array_index (retired, guint32, 0), ==, 101);

  /* Another VM, even of the same name, does not get the id again. */
  insert_vm (store, 101, "web1", "22222222-2222-4222-8222-222222222222", &error);
  g_assert_error (error, VMGR_ERROR, VMGR_ERROR_ALREADY_EXISTS);
  g_assert_cmpstr (error->message, ==,
                   "VM id 101 belonged to a deleted VM and is never given again");
  g_clear_error (&error);
  g_assert_cmpuint (vmgr_store_next_vm_id (store, &error), ==, 102);
  g_assert_no_error (error);
}

/* A VM restored from a backup takes its own retired id back: stored, the
 * id is no longer retired (issue 13). */
static void
test_restored_vm_takes_its_id_back (void)
{
  g_autoptr(TmpDir) t = tmp_dir_new ();
  g_autoptr(VmgrStore) store = open_store (t->path);
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) retired = NULL;
  g_autoptr(VmgrVmSpec) spec = NULL;

  insert_vm (store, 101, "web1", WEB1_UUID, &error);
  g_assert_no_error (error);
  g_assert_true (vmgr_store_delete_vm (store, 101, NULL, &error));
  spec = vmgr_store_get_vm (store, 101, NULL);
  g_assert_null (spec);
  spec = vmgr_vm_spec_new ();
  spec->id = 101;
  set_str (&spec->name, "web1");
  set_str (&spec->uuid, WEB1_UUID);
  spec->owner = 60002;
  g_assert_true (vmgr_store_insert_restored_vm (store, spec, "<domain/>", NULL, &error));
  g_assert_no_error (error);
  retired = vmgr_store_list_retired_vm_ids (store, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (retired->len, ==, 0);
}

static void
test_ledger_skips_retired (void)
{
  static const char *const capabilities[] = { NULL };
  VmgrLedger *ledger = vmgr_ledger_new (capabilities, "test");
  g_autoptr(VmgrVmSpec) spec = vmgr_vm_spec_new ();

  spec->id = VMGR_VM_ID_FIRST;
  set_str (&spec->name, "web1");
  set_str (&spec->uuid, WEB1_UUID);
  vmgr_ledger_put_vm (ledger, spec);
  g_assert_cmpuint (vmgr_ledger_next_vm_id (ledger), ==, VMGR_VM_ID_FIRST + 1);
  vmgr_ledger_remove_vm (ledger, VMGR_VM_ID_FIRST);
  g_assert_true (vmgr_ledger_id_retired (ledger, VMGR_VM_ID_FIRST));
  g_assert_false (vmgr_ledger_id_taken (ledger, VMGR_VM_ID_FIRST));
  g_assert_cmpuint (vmgr_ledger_next_vm_id (ledger), ==, VMGR_VM_ID_FIRST + 1);
  vmgr_ledger_retire_vm_id (ledger, VMGR_VM_ID_FIRST + 1);
  g_assert_cmpuint (vmgr_ledger_next_vm_id (ledger), ==, VMGR_VM_ID_FIRST + 2);
  vmgr_ledger_free (ledger);
}

/* A store written before schema 4: its audit log names VM 105, deleted
 * since, and VM 101, still there. Migrated, 105 is retired, 101 is not,
 * and the old rows read back without verb, name or changes. */
static void
test_migrate_retires_audited_ids (void)
{
  g_autoptr(TmpDir) t = tmp_dir_new ();
  g_autoptr(VmgrStore) store = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) retired = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  g_autofree char *schema_v1 = read_schema_v1 ();
  g_autofree char *schema = g_strconcat (
    "BEGIN;", schema_v1,
    "INSERT INTO vms (id, name, uuid, owner, domain_xml, created_at) VALUES (101, 'kept',"
    " '" WEB1_UUID "', 60002, '<domain/>', 1);"
    "INSERT INTO audit (time, uid, caller, pid, action, target, result, message) VALUES"
    " (10, 0, 'root', 1, 'org.vmgr.vm.delete', '/org/vmgr/vm/105', 'allowed', ''),"
    " (11, 0, 'root', 1, 'org.vmgr.vm.control-any', '/org/vmgr/vm/101', 'allowed', ''),"
    " (12, 0, 'root', 1, 'org.vmgr.plans.manage', '/org/vmgr/Manager', 'allowed', '');"
    "PRAGMA user_version = 1;"
    "COMMIT;", NULL);

  raw_exec (t->path, schema);
  store = open_store (t->path);
  g_assert_cmpint (vmgr_store_get_schema_version (store), ==, VMGR_STORE_SCHEMA_VERSION);
  retired = vmgr_store_list_retired_vm_ids (store, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (retired->len, ==, 1);
  g_assert_cmpuint (g_array_index (retired, guint32, 0), ==, 105);
  insert_vm (store, 105, "new", "33333333-3333-4333-8333-333333333333", &error);
  g_assert_error (error, VMGR_ERROR, VMGR_ERROR_ALREADY_EXISTS);

  rows = query (store, "/org/vmgr/vm/101", NULL);
  g_assert_cmpuint (rows->len, ==, 1);
  g_assert_null (((VmgrAuditEntry *) g_ptr_array_index (rows, 0))->verb);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/store/audit/rows-keep-what-changed", test_rows_keep_what_changed);
  g_test_add_func ("/store/audit/deleted-ids-retired", test_deleted_ids_retired);
  g_test_add_func ("/store/audit/ledger-skips-retired", test_ledger_skips_retired);
  g_test_add_func ("/store/audit/restored-vm-takes-its-id-back",
                   test_restored_vm_takes_its_id_back);
  g_test_add_func ("/store/audit/migrate-retires-audited-ids", test_migrate_retires_audited_ids);
  return g_test_run ();
}
