/* Unit tests for the sqlite store (service/vmgr-store.c). Every test works
 * in its own temporary directory, removed at the end. */
#include <glib.h>
#include <glib/gstdio.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "vmgr-error.h"
#include "vmgr-store.h"

/* ---- Fixtures -------------------------------------------------------- */

typedef struct
{
  char *dir;
  char *path; /* the store file inside dir (not created) */
} TmpDir;

static TmpDir *
tmp_dir_new (void)
{
  g_autoptr(GError) error = NULL;
  TmpDir *t = g_new0 (TmpDir, 1);

  t->dir = g_dir_make_tmp ("vmgr-test-store-XXXXXX", &error);
  g_assert_no_error (error);
  t->path = g_build_filename (t->dir, "vmgr.db", NULL);
  return t;
}

/* Removes the directory and the files in it (the store, -wal, -shm). */
static void
tmp_dir_free (TmpDir *t)
{
  g_autoptr(GDir) dir = g_dir_open (t->dir, 0, NULL);
  const char *name;

  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *file = g_build_filename (t->dir, name, NULL);
      g_assert_cmpint (g_remove (file), ==, 0);
    }
  g_assert_cmpint (g_rmdir (t->dir), ==, 0);
  g_free (t->path);
  g_free (t->dir);
  g_free (t);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TmpDir, tmp_dir_free)

static VmgrStore *
open_store (const char *path)
{
  g_autoptr(GError) error = NULL;
  VmgrStore *store = vmgr_store_open (path, &error);

  g_assert_no_error (error);
  g_assert_true (VMGR_IS_STORE (store));
  return store;
}

static VmgrVmSpec *
make_vm (guint32 id, const char *name, const char *uuid)
{
  VmgrVmSpec *spec = vmgr_vm_spec_new ();

  spec->id = id;
  g_free (spec->name);
  spec->name = g_strdup (name);
  g_free (spec->uuid);
  spec->uuid = g_strdup (uuid);
  spec->owner = 1000 + id;
  spec->memory_limit = G_GUINT64_CONSTANT (1) << 30;
  return spec;
}

static VmgrVmSpec *
make_full_vm (guint32 id, const char *name, const char *uuid)
{
  VmgrVmSpec *spec = make_vm (id, name, uuid);
  const char *addresses[] = { "10.0.0.5/24", "fd00::5/64", NULL };
  const char *nameservers[] = { "10.0.0.1", NULL };

  g_free (spec->template_name);
  spec->template_name = g_strdup ("debian-12");
  g_free (spec->plan);
  spec->plan = g_strdup ("small");
  spec->memory_guarantee = 256 << 20;
  spec->memory_soft_limit = 512 << 20;
  spec->memory_limit = G_MAXUINT64; /* survives the signed INTEGER column */
  spec->vcpus = 4;
  spec->cpu_weight = 10000;
  spec->cpu_limit = 250;
  spec->disk_soft_limit = G_GUINT64_CONSTANT (10) << 30;
  spec->disk_hard_limit = G_GUINT64_CONSTANT (12) << 30;
  g_free (spec->hostname);
  spec->hostname = g_strdup ("web1.example.org");
  g_strfreev (spec->addresses);
  spec->addresses = g_strdupv ((char **) addresses);
  g_free (spec->gateway);
  spec->gateway = g_strdup ("10.0.0.1");
  g_strfreev (spec->nameservers);
  spec->nameservers = g_strdupv ((char **) nameservers);
  spec->autostart = TRUE;
  return spec;
}

static void
insert_vm (VmgrStore *store, const VmgrVmSpec *spec)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (vmgr_store_insert_vm (store, spec, "<domain/>", &error));
  g_assert_no_error (error);
}

static void
insert_simple_vm (VmgrStore *store, guint32 id, const char *tmpl, const char *plan)
{
  g_autofree char *name = g_strdup_printf ("vm%u", id);
  g_autofree char *uuid = g_strdup_printf ("00000000-0000-4000-8000-%012u", id);
  g_autoptr(VmgrVmSpec) spec = make_vm (id, name, uuid);

  g_free (spec->template_name);
  spec->template_name = g_strdup (tmpl);
  g_free (spec->plan);
  spec->plan = g_strdup (plan);
  insert_vm (store, spec);
}

static void
assert_vm_stored (VmgrStore *store, const VmgrVmSpec *expected)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VmgrVmSpec) got = vmgr_store_get_vm (store, expected->id, &error);

  g_assert_no_error (error);
  g_assert_nonnull (got);
  g_assert_true (vmgr_vm_spec_equal (got, expected));
}

/* Runs one query through a separate sqlite3 handle; returns column 0. */
static char *
raw_query (const char *path, const char *sql)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  char *result = NULL;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    result = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  g_assert_cmpint (sqlite3_finalize (stmt), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_close (db), ==, SQLITE_OK);
  return result;
}

/* Runs constant SQL through a separate sqlite3 handle, creating the file. */
static void
raw_exec (const char *path, const char *sql)
{
  sqlite3 *db = NULL;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, flags, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, sql, NULL, NULL, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_close (db), ==, SQLITE_OK);
}

/* ---- Opening --------------------------------------------------------- */

static void
test_open_creates (void)
{
  g_autoptr(TmpDir) t = tmp_dir_new ();
  g_autoptr(VmgrStore) store = NULL;
  g_autofree char *version = NULL;
  g_autofree char *tables = NULL;
  g_autofree char *indexes = NULL;

  g_assert_false (g_file_test (t->path, G_FILE_TEST_EXISTS));
  store = open_store (t->path);
  g_assert_true (g_file_test (t->path, G_FILE_TEST_IS_REGULAR));
  g_assert_cmpstr (vmgr_store_get_path (store), ==, t->path);
  g_assert_cmpint (vmgr_store_get_schema_version (store), ==, VMGR_STORE_SCHEMA_VERSION);
  g_assert_true (vmgr_store_is_empty (store));

  version = raw_query (t->path, "PRAGMA user_version");
  g_assert_cmpint (atoi (version), ==, VMGR_STORE_SCHEMA_VERSION);
  tables = raw_query (t->path, "SELECT group_concat (name, ',') FROM (SELECT name FROM"
                               " sqlite_master WHERE type = 'table' AND name NOT LIKE"
                               " 'sqlite_%' ORDER BY name)");
  g_assert_cmpstr (tables, ==, "audit,plans,templates,vms");
  indexes = raw_query (t->path, "SELECT group_concat (name, ',') FROM (SELECT name FROM"
                                " sqlite_master WHERE type = 'index' AND tbl_name = 'audit'"
                                " AND sql IS NOT NULL ORDER BY name)");
  g_assert_cmpstr (indexes, ==, "audit_time,audit_uid");
}

static void
test_open_wal (void)
{
  g_autoptr(TmpDir) t = tmp_dir_new ();
  g_autoptr(VmgrStore) store = open_store (t->path);
  g_autofree char *mode = raw_query (t->path, "PRAGMA journal_mode");
  g_autofree char *wal = g_strconcat (t->path, "-wal", NULL);
  g_autofree char *count = NULL;

  g_assert_cmpstr (mode, ==, "wal");
  /* A committed write lands in the write-ahead log and is visible to
   * another connection at once. */
  insert_simple_vm (store, 101, "", "");
  g_assert_true (g_file_test (wal, G_FILE_TEST_IS_REGULAR));
  count = raw_query (t->path, "SELECT count(*) FROM vms");
  g_assert_cmpstr (count, ==, "1");
}

static void
test_open_bad_path (void)
{
  g_autoptr(TmpDir) t = tmp_dir_new ();
  g_autofree char *missing = g_build_filename (t->dir, "no-such-dir", "vmgr.db", NULL);
  g_autofree char *garbage = g_build_filename (t->dir, "garbage.db", NULL);
  g_autoptr(GError) error = NULL;
  VmgrStore *store;

  store = vmgr_store_open (missing, &error);
  g_assert_null (store);
  g_assert_error (error, VMGR_ERROR, VMGR_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, missing));
  g_clear_error (&error);

  g_assert_true (g_file_set_contents (garbage, "this is not an sqlite database, not at all",
                                      -1, NULL));
  store = vmgr_store_open (garbage, &error);
  g_assert_null (store);
  g_assert_error (error, VMGR_ERROR, VMGR_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "not a database"));
}

/* ---- VMs ------------------------------------------------------------- */

static void
test_vm_roundtrip (void)
{
  g_autoptr(TmpDir) t = tmp_dir_new ();
  g_autoptr(VmgrStore) store = open_store (t->path);
  g_autoptr(VmgrVmSpec) full = make_full_vm (205, "web1", "6f1c2a3e-1111-4222-8333-444455556666");
  g_autoptr(VmgrVmSpec) bare = make_vm (101, "db1", "0a0b0c0d-1111-4222-8333-444455556666");
  g_autoptr(GPtrArray) vms = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *xml = NULL;

  /* Insert the higher id first: the list must still come ordered by id. */
  g_assert_true (vmgr_store_insert_vm (store, full, "<domain type='test'/>", &error));
  g_assert_no_error (error);
  g_assert_false (vmgr_store_is_empty (store));
  g_assert_true (vmgr_store_insert_vm (store, bare, "<domain/>", &error));
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (bare->addresses), ==, 0);
  assert_vm_stored (store, full);
  assert_vm_stored (store, bare);

  xml = vmgr_store_get_vm_domain_xml (store, 205, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (xml, ==, "<domain type='test'/>");

  vms = vmgr_store_list_vms (store, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (vms->len, ==, 2);
  g_assert_true (vmgr_vm_spec_equal (vms->pdata[0], bare));
  g_assert_true (vmgr_vm_spec_equal (vms->pdata[1], full));
}

static void
test_vm_update_delete (void)
{
  g_autoptr(TmpDir) t = tmp_dir_new ();
  g_autoptr(VmgrStore) store = open_store (t->path);
  g_autoptr(VmgrVmSpec) spec = make_full_vm (101, "web1", "6f1c2a3e-1111-4222-8333-444455556666");
  g_autoptr(VmgrVmSpec) missing = make_vm (999, "ghost", "99999999-1111-4222-8333-444455556666");
  g_autoptr(GError) error = NULL;
  g_autofree char *xml = NULL;
  g_autofree char *xml2 = NULL;
  const char *one[] = { "192.0.2.7/32", NULL };

  insert_vm (store, spec);

  /* Change everything: arrays go empty / non-empty the other way round. */
  g_free (spec->name);
  spec->name = g_strdup ("web1-renamed");
  g_strfreev (spec->addresses);
  spec->addresses = g_new0 (char *, 1);
  g_strfreev (spec->nameservers);
  spec->nameservers = g_strdupv ((char **) one);
  spec->vcpus = 1;
  spec->autostart = FALSE;
  spec->owner = 4242;
  g_assert_true (vmgr_store_update_vm (store, spec, "<domain v='2'/>", &error));
  g_assert_no_error (error);
  assert_vm_stored (store, spec);
  xml = vmgr_store_get_vm_domain_xml (store, 101, &error);
  g_assert_cmpstr (xml, ==, "<domain v='2'/>");

  /* A NULL definition keeps the stored one. */
  spec->cpu_limit = 50;
  g_assert_true (vmgr_store_update_vm (store, spec, NULL, &error));
  g_assert_no_error (error);
  assert_vm_stored (store, spec);
  xml2 = vmgr_store_get_vm_domain_xml (store, 101, &error);
  g_assert_cmpstr (xml2, ==, "<domain v='2'/>");

  g_assert_false (vmgr_store_update_vm (store, missing, "<domain/>", &error));
  g_assert_error (error, VMGR_ERROR, VMGR_ERROR_NOT_FOUND);
  g_assert_cmpstr (error->message, ==, "no VM with id 999");
  g_clear_error (&error);

  g_assert_true (vmgr_store_delete_vm (store, 101, &error));
  g_assert_no_error (error);
  g_assert_null (vmgr_store_get_vm (store, 101, &error));
  g_assert_error (error, VMGR_ERROR, VMGR_ERROR_NOT_FOUND);
  g_assert_cmpstr (error->message, ==, "no VM with id 101");
  g_clear_error (&error);
  g_assert_null (vmgr_store_get_vm_domain_xml (store, 101, &error));
  g_assert_error (error, VMGR_ERROR, VMGR_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_false (vmgr_store_delete_vm (store, 101, &error));
  g_assert_error (error, VMGR_ERROR, VMGR_ERROR_NOT_FOUND);
  g_assert_true (vmgr_store_is_empty (store));
}

static void
assert_only_vm (VmgrStore *store, const VmgrVmSpec *expected)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) vms = vmgr_store_list_vms (store, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (vms->len, ==, 1);
  g_assert_true (vmgr_vm_spec_equal (vms->pdata[0], expected));
}

static void
assert_insert_fails (VmgrStore *store, const VmgrVmSpec *spec, const char *message)
{
  g_autoptr(GError) error = NULL;

  g_assert_false (vmgr_store_insert_vm (store, spec, "<domain/>", &error));
  g_assert_error (error, VMGR_ERROR, VMGR_ERROR_ALREADY_EXISTS);
  g_assert_cmpstr (error->message, ==, message);
}

static void
test_vm_duplicates (void)
{
  g_autoptr(TmpDir) t = tmp_dir_new ();
  g_autoptr(VmgrStore) store = open_store (t->path);
  g_autoptr(VmgrVmSpec) web1 = make_full_vm (101, "web1", "11111111-1111-4111-8111-111111111111");
  g_autoptr(VmgrVmSpec) same_name = make_vm (102, "web1", "22222222-2222-4222-8222-222222222222");
  g_autoptr(VmgrVmSpec) same_id = make_vm (101, "web2", "22222222-2222-4222-8222-222222222222");
  g_autoptr(VmgrVmSpec) same_uuid = make_vm (102, "web2", "11111111-1111-4111-8111-111111111111");
  g_autoptr(VmgrVmSpec) other = make_vm (103, "db1", "33333333-3333-4333-8333-333333333333");
  g_autoptr(GError) error = NULL;
  g_autofree char *xml = NULL;

  insert_vm (store, web1);
  assert_insert_fails (store, same_name, "a VM named 'web1' already exists");
  assert_insert_fails (store, same_id, "VM id 101 is taken");
  assert_insert_fails (store, same_uuid,
                       "a VM with UUID 11111111-1111-4111-8111-111111111111 already exists");
  assert_only_vm (store, web1);
  xml = vmgr_store_get_vm_domain_xml (store, 101, &error);
  g_assert_cmpstr (xml, ==, "<domain/>");

  /* A failure inside sqlite itself is FAILED with sqlite's message. */
  g_clear_pointer (&same_name->name, g_free);
  g_assert_false (vmgr_store_insert_vm (store, same_name, "<domain/>", &error));
  g_assert_error (error, VMGR_ERROR, VMGR_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "NOT NULL constraint failed"));
  g_clear_error (&error);
  assert_only_vm (store, web1);

  /* The failed transactions were rolled back, not left open: another
   * connection can write at once (it has no busy timeout). */
  raw_exec (t->path, "INSERT INTO templates (name) VALUES ('written-by-other')");
  g_assert_cmpuint (vmgr_store_count_vms_using_template (store, "debian-12"), ==, 1);

  /* Updates may not take another VM's name or UUID either. */
  insert_vm (store, other);
  g_free (other->name);
  other->name = g_strdup ("web1");
  g_assert_false (vmgr_store_update_vm (store, other, "<changed/>", &error));
  g_assert_error (error, VMGR_ERROR, VMGR_ERROR_ALREADY_EXISTS);
  g_assert_cmpstr (error->message, ==, "a VM named 'web1' already exists");
  g_clear_error (&error);
  g_free (other->name);
  other->name = g_strdup ("db1");
  g_free (other->uuid);
  other->uuid = g_strdup (web1->uuid);
  g_assert_false (vmgr_store_update_vm (store, other, "<changed/>", &error));
  g_assert_error (error, VMGR_ERROR, VMGR_ERROR_ALREADY_EXISTS);
  g_clear_error (&error);
  g_free (other->uuid);
  other->uuid = g_strdup ("33333333-3333-4333-8333-333333333333");
  assert_vm_stored (store, other);
  assert_vm_stored (store, web1);
}

static void
assert_next_id (VmgrStore *store, guint32 expected)
{
  g_autoptr(GError) error = NULL;

  g_assert_cmpuint (vmgr_store_next_vm_id (store, &error), ==, expected);
  g_assert_no_error (error);
}

static void
test_vm_next_id (void)
{
  g_autoptr(TmpDir) t = tmp_dir_new ();
  g_autoptr(VmgrStore) store = open_store (t->path);
  g_autoptr(GError) error = NULL;

  assert_next_id (store, 101);
  insert_simple_vm (store, 5, "", ""); /* below the range: ignored */
  assert_next_id (store, 101);
  insert_simple_vm (store, 101, "", "");
  insert_simple_vm (store, 102, "", "");
  insert_simple_vm (store, 104, "", "");
  assert_next_id (store, 103);
  insert_simple_vm (store, 103, "", "");
  assert_next_id (store, 105);
  g_assert_true (vmgr_store_delete_vm (store, 101, &error));
  assert_next_id (store, 101);
}

/* ---- Templates ------------------------------------------------------- */

static VmgrTemplate *
make_template (const char *name, const char *os)
{
  VmgrTemplate *tmpl = vmgr_template_new (name);

  g_free (tmpl->os);
  tmpl->os = g_strdup (os);
  g_free (tmpl->description);
  tmpl->description = g_strdup_printf ("%s base image", os);
  g_free (tmpl->source);
  tmpl->source = g_strdup_printf ("/var/lib/vmgr/images/%s", name);
  return tmpl;
}

static void
assert_template_equal (const VmgrTemplate *a, const VmgrTemplate *b)
{
  g_assert_cmpstr (a->name, ==, b->name);
  g_assert_cmpstr (a->os, ==, b->os);
  g_assert_cmpstr (a->description, ==, b->description);
  g_assert_cmpstr (a->source, ==, b->source);
}

static void
assert_template_names (VmgrStore *store, const char *expected)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) list = vmgr_store_list_templates (store, &error);
  g_autoptr(GString) names = g_string_new ("");

  g_assert_no_error (error);
  for (guint i = 0; i < list->len; i++)
    g_string_append_printf (names, "%s%s", i ? "," : "",
                            ((VmgrTemplate *) list->pdata[i])->name);
  g_assert_cmpstr (names->str, ==, expected);
}

static void
test_templates (void)
{
  g_autoptr(TmpDir) t = tmp_dir_new ();
  g_autoptr(VmgrStore) store = open_store (t->path);
  g_autoptr(VmgrTemplate) debian = make_template ("debian-12", "debian");
  g_autoptr(VmgrTemplate) alpine = make_template ("alpine", "alpine");
  g_autoptr(VmgrTemplate) dup = make_template ("debian-12", "other");
  g_autoptr(VmgrTemplate) got = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (vmgr_store_add_template (store, debian, &error));
  g_assert_true (vmgr_store_add_template (store, alpine, &error));
  g_assert_no_error (error);
  g_assert_false (vmgr_store_is_empty (store));
  assert_template_names (store, "alpine,debian-12");
  got = vmgr_store_get_template (store, "debian-12", &error);
  g_assert_no_error (error);
  assert_template_equal (got, debian);

  g_assert_false (vmgr_store_add_template (store, dup, &error));
  g_assert_error (error, VMGR_ERROR, VMGR_ERROR_ALREADY_EXISTS);
  g_clear_error (&error);
  g_clear_pointer (&got, vmgr_template_free);
  got = vmgr_store_get_template (store, "debian-12", &error);
  assert_template_equal (got, debian);

  g_assert_null (vmgr_store_get_template (store, "nope", &error));
  g_assert_error (error, VMGR_ERROR, VMGR_ERROR_NOT_FOUND);
  g_assert_cmpstr (error->message, ==, "no template 'nope'");
  g_clear_error (&error);
  g_assert_false (vmgr_store_remove_template (store, "nope", &error));
  g_assert_error (error, VMGR_ERROR, VMGR_ERROR_NOT_FOUND);
  g_assert_cmpstr (error->message, ==, "no template 'nope'");
  g_clear_error (&error);

  insert_simple_vm (store, 101, "debian-12", "");
  insert_simple_vm (store, 102, "debian-12", "");
  insert_simple_vm (store, 103, "alpine", "");
  g_assert_cmpuint (vmgr_store_count_vms_using_template (store, "debian-12"), ==, 2);
  g_assert_cmpuint (vmgr_store_count_vms_using_template (store, "alpine"), ==, 1);
  g_assert_cmpuint (vmgr_store_count_vms_using_template (store, "nope"), ==, 0);
  g_assert_false (vmgr_store_remove_template (store, "debian-12", &error));
  g_assert_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_STATE);
  g_assert_true (g_str_has_prefix (error->message, "template 'debian-12' is used by 2 VMs"));
  g_clear_error (&error);
  assert_template_names (store, "alpine,debian-12");

  g_assert_true (vmgr_store_delete_vm (store, 101, &error));
  g_assert_true (vmgr_store_delete_vm (store, 102, &error));
  g_assert_true (vmgr_store_remove_template (store, "debian-12", &error));
  g_assert_no_error (error);
  assert_template_names (store, "alpine");
}

/* ---- Plans ----------------------------------------------------------- */

static VmgrPlan *
make_plan (const char *name, guint64 memory, guint32 vcpus, guint32 max_vms)
{
  VmgrPlan *plan = vmgr_plan_new (name);

  plan->memory_guarantee = memory / 4;
  plan->memory_soft_limit = memory / 2;
  plan->memory_limit = memory;
  plan->vcpus = vcpus;
  plan->cpu_weight = 100 * vcpus;
  plan->cpu_limit = 100 * vcpus;
  plan->disk_soft_limit = memory * 8;
  plan->disk_hard_limit = G_MAXUINT64;
  plan->max_vms = max_vms;
  return plan;
}

static void
assert_plan_equal (const VmgrPlan *a, const VmgrPlan *b)
{
  g_assert_cmpstr (a->name, ==, b->name);
  g_assert_cmpuint (a->memory_guarantee, ==, b->memory_guarantee);
  g_assert_cmpuint (a->memory_soft_limit, ==, b->memory_soft_limit);
  g_assert_cmpuint (a->memory_limit, ==, b->memory_limit);
  g_assert_cmpuint (a->vcpus, ==, b->vcpus);
  g_assert_cmpuint (a->cpu_weight, ==, b->cpu_weight);
  g_assert_cmpuint (a->cpu_limit, ==, b->cpu_limit);
  g_assert_cmpuint (a->disk_soft_limit, ==, b->disk_soft_limit);
  g_assert_cmpuint (a->disk_hard_limit, ==, b->disk_hard_limit);
  g_assert_cmpuint (a->max_vms, ==, b->max_vms);
}

static void
assert_plan_stored (VmgrStore *store, const VmgrPlan *expected)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VmgrPlan) got = vmgr_store_get_plan (store, expected->name, &error);

  g_assert_no_error (error);
  assert_plan_equal (got, expected);
}

static void
test_plans (void)
{
  g_autoptr(TmpDir) t = tmp_dir_new ();
  g_autoptr(VmgrStore) store = open_store (t->path);
  g_autoptr(VmgrPlan) small = make_plan ("small", 1 << 30, 1, 3);
  g_autoptr(VmgrPlan) large = make_plan ("large", G_GUINT64_CONSTANT (16) << 30, 8, 0);
  g_autoptr(VmgrPlan) medium = make_plan ("medium", 4 << 20, 2, 10);
  g_autoptr(VmgrPlan) small2 = make_plan ("small", G_GUINT64_CONSTANT (2) << 30, 2, 5);
  g_autoptr(GPtrArray) list = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (vmgr_store_set_plan (store, small, &error));
  g_assert_true (vmgr_store_set_plan (store, large, &error));
  g_assert_true (vmgr_store_set_plan (store, medium, &error));
  g_assert_no_error (error);
  g_assert_false (vmgr_store_is_empty (store));
  assert_plan_stored (store, small);

  /* Setting an existing plan replaces every field. */
  g_assert_true (vmgr_store_set_plan (store, small2, &error));
  g_assert_no_error (error);
  assert_plan_stored (store, small2);

  list = vmgr_store_list_plans (store, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 3);
  assert_plan_equal (list->pdata[0], large);
  assert_plan_equal (list->pdata[1], medium);
  assert_plan_equal (list->pdata[2], small2);

  g_assert_null (vmgr_store_get_plan (store, "huge", &error));
  g_assert_error (error, VMGR_ERROR, VMGR_ERROR_NOT_FOUND);
  g_assert_cmpstr (error->message, ==, "no plan 'huge'");
  g_clear_error (&error);
  g_assert_false (vmgr_store_remove_plan (store, "huge", &error));
  g_assert_error (error, VMGR_ERROR, VMGR_ERROR_NOT_FOUND);
  g_assert_cmpstr (error->message, ==, "no plan 'huge'");
  g_clear_error (&error);

  insert_simple_vm (store, 101, "", "small");
  g_assert_cmpuint (vmgr_store_count_vms_using_plan (store, "small"), ==, 1);
  g_assert_false (vmgr_store_remove_plan (store, "small", &error));
  g_assert_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_STATE);
  g_assert_true (g_str_has_prefix (error->message, "plan 'small' is used by 1 VM"));
  g_clear_error (&error);
  assert_plan_stored (store, small2);

  g_assert_true (vmgr_store_remove_plan (store, "medium", &error));
  g_assert_no_error (error);
  g_clear_pointer (&list, g_ptr_array_unref);
  list = vmgr_store_list_plans (store, &error);
  g_assert_cmpuint (list->len, ==, 2);
  g_assert_cmpstr (((VmgrPlan *) list->pdata[0])->name, ==, "large");
  g_assert_cmpstr (((VmgrPlan *) list->pdata[1])->name, ==, "small");
}

/* ---- Audit ----------------------------------------------------------- */

static void
append_audit (VmgrStore *store, gint64 time, guint32 uid, const char *target,
              const char *message)
{
  g_autoptr(VmgrAuditEntry) entry = vmgr_audit_entry_new ();
  g_autoptr(GError) error = NULL;

  entry->time = time;
  entry->uid = uid;
  entry->caller = g_strdup_printf ("user%u (:1.%u)", uid, uid);
  entry->pid = uid == 0 ? -1 : 4000 + (gint64) uid;
  entry->action = g_strdup ("org.vmgr.vm.start");
  entry->target = g_strdup (target);
  entry->result = g_strdup ("allowed");
  entry->message = g_strdup (message);
  g_assert_true (vmgr_store_append_audit (store, entry, &error));
  g_assert_no_error (error);
}

/* The messages of the matching entries, in the order returned. */
static char *
audit_messages (VmgrStore *store, gint64 since, gint64 until, gint64 uid,
                const char *target, guint limit)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) list = vmgr_store_query_audit (store, since, until, uid,
                                                      target, limit, &error);
  g_autoptr(GString) out = g_string_new ("");

  g_assert_no_error (error);
  for (guint i = 0; i < list->len; i++)
    g_string_append_printf (out, "%s%s", i ? "," : "",
                            ((VmgrAuditEntry *) list->pdata[i])->message);
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static void
assert_audit (VmgrStore *store, gint64 since, gint64 until, gint64 uid,
              const char *target, guint limit, const char *expected)
{
  g_autofree char *got = audit_messages (store, since, until, uid, target, limit);

  g_assert_cmpstr (got, ==, expected);
}

static void
test_audit_query (void)
{
  g_autoptr(TmpDir) t = tmp_dir_new ();
  g_autoptr(VmgrStore) store = open_store (t->path);
  g_autoptr(GPtrArray) list = NULL;
  g_autoptr(GError) error = NULL;
  VmgrAuditEntry *e;

  /* Appended out of time order; c and d share a time (id breaks the tie). */
  append_audit (store, 3000, 1001, "/org/vmgr/vm/101", "c");
  append_audit (store, 1000, 0, "/org/vmgr/vm/101", "a");
  append_audit (store, 2000, 1002, "/org/vmgr/vm/102", "b");
  append_audit (store, 3000, 1002, "/org/vmgr/vm/101", "d");
  append_audit (store, 4000, 1001, "/org/vmgr/vm/102", "e");

  assert_audit (store, 0, 0, -1, NULL, 0, "e,d,c,b,a");
  assert_audit (store, 2000, 0, -1, NULL, 0, "e,d,c,b");
  assert_audit (store, 0, 3000, -1, NULL, 0, "d,c,b,a");
  assert_audit (store, 2000, 3000, -1, NULL, 0, "d,c,b");
  assert_audit (store, 0, 0, 1001, NULL, 0, "e,c");
  assert_audit (store, 0, 0, 0, NULL, 0, "a");
  assert_audit (store, 0, 0, 4242, NULL, 0, "");
  assert_audit (store, 0, 0, -1, "/org/vmgr/vm/101", 0, "d,c,a");
  assert_audit (store, 0, 0, -1, "/org/vmgr/vm/999", 0, "");
  assert_audit (store, 1500, 3500, 1002, "/org/vmgr/vm/101", 0, "d");
  assert_audit (store, 0, 0, -1, NULL, 2, "e,d");
  assert_audit (store, 0, 0, -1, "/org/vmgr/vm/101", 1, "d");

  /* Every field comes back as appended. */
  list = vmgr_store_query_audit (store, 1000, 1000, -1, NULL, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 1);
  e = list->pdata[0];
  g_assert_cmpint (e->time, ==, 1000);
  g_assert_cmpuint (e->uid, ==, 0);
  g_assert_cmpstr (e->caller, ==, "user0 (:1.0)");
  g_assert_cmpint (e->pid, ==, -1);
  g_assert_cmpstr (e->action, ==, "org.vmgr.vm.start");
  g_assert_cmpstr (e->target, ==, "/org/vmgr/vm/101");
  g_assert_cmpstr (e->result, ==, "allowed");
  g_assert_cmpstr (e->message, ==, "a");
  /* The audit log does not make the store "non-empty". */
  g_assert_true (vmgr_store_is_empty (store));
}

static void
test_audit_limits (void)
{
  g_autoptr(TmpDir) t = tmp_dir_new ();
  g_autoptr(VmgrStore) store = open_store (t->path);
  g_autoptr(GPtrArray) list = NULL;
  g_autoptr(GError) error = NULL;
  gint64 before = g_get_real_time ();

  /* Bulk rows through a second handle in one transaction (fast, and the
   * store must see another writer's committed rows). */
  raw_exec (t->path,
            "BEGIN;"
            "WITH RECURSIVE n (i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 12000)"
            " INSERT INTO audit (time, uid, caller, pid, action, target, result, message)"
            " SELECT i, 7, 'bulk', -1, 'x', 't', 'allowed', i FROM n;"
            "COMMIT;");

  list = vmgr_store_query_audit (store, 0, 0, -1, NULL, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 1000);
  g_assert_cmpint (((VmgrAuditEntry *) list->pdata[0])->time, ==, 12000);
  g_assert_cmpint (((VmgrAuditEntry *) list->pdata[999])->time, ==, 11001);
  g_clear_pointer (&list, g_ptr_array_unref);

  list = vmgr_store_query_audit (store, 0, 0, -1, NULL, 50000, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 10000);
  g_clear_pointer (&list, g_ptr_array_unref);

  list = vmgr_store_query_audit (store, 0, 0, 7, NULL, 10000, &error);
  g_assert_cmpuint (list->len, ==, 10000);
  g_clear_pointer (&list, g_ptr_array_unref);

  /* An entry with time 0 is stamped with the current time. */
  append_audit (store, 0, 5, "now", "stamped");
  list = vmgr_store_query_audit (store, 0, 0, 5, NULL, 0, &error);
  g_assert_cmpuint (list->len, ==, 1);
  g_assert_cmpint (((VmgrAuditEntry *) list->pdata[0])->time, >=, before);
  g_assert_cmpint (((VmgrAuditEntry *) list->pdata[0])->time, <=, g_get_real_time ());
}

/* ---- Persistence and migration --------------------------------------- */

static void
populate (VmgrStore *store)
{
  g_autoptr(VmgrVmSpec) web1 = make_full_vm (101, "web1", "11111111-1111-4111-8111-111111111111");
  g_autoptr(VmgrTemplate) debian = make_template ("debian-12", "debian");
  g_autoptr(VmgrPlan) small = make_plan ("small", 1 << 30, 1, 3);
  g_autoptr(GError) error = NULL;

  insert_vm (store, web1);
  insert_simple_vm (store, 102, "debian-12", "small");
  g_assert_true (vmgr_store_add_template (store, debian, &error));
  g_assert_true (vmgr_store_set_plan (store, small, &error));
  g_assert_no_error (error);
  append_audit (store, 1234, 1000, "/org/vmgr/vm/101", "created");
}

static void
test_reopen (void)
{
  g_autoptr(TmpDir) t = tmp_dir_new ();
  g_autoptr(VmgrStore) store = open_store (t->path);
  g_autoptr(VmgrVmSpec) web1 = make_full_vm (101, "web1", "11111111-1111-4111-8111-111111111111");
  g_autoptr(VmgrTemplate) debian = make_template ("debian-12", "debian");
  g_autoptr(VmgrPlan) small = make_plan ("small", 1 << 30, 1, 3);
  g_autoptr(VmgrTemplate) tmpl = NULL;
  g_autoptr(GPtrArray) vms = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *xml = NULL;

  populate (store);
  g_clear_object (&store);

  store = open_store (t->path);
  g_assert_cmpint (vmgr_store_get_schema_version (store), ==, VMGR_STORE_SCHEMA_VERSION);
  g_assert_false (vmgr_store_is_empty (store));
  vms = vmgr_store_list_vms (store, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (vms->len, ==, 2);
  g_assert_true (vmgr_vm_spec_equal (vms->pdata[0], web1));
  g_assert_cmpstr (((VmgrVmSpec *) vms->pdata[1])->plan, ==, "small");
  xml = vmgr_store_get_vm_domain_xml (store, 101, &error);
  g_assert_cmpstr (xml, ==, "<domain/>");
  tmpl = vmgr_store_get_template (store, "debian-12", &error);
  g_assert_no_error (error);
  assert_template_equal (tmpl, debian);
  assert_plan_stored (store, small);
  g_assert_cmpuint (vmgr_store_count_vms_using_plan (store, "small"), ==, 2);
  g_assert_cmpuint (vmgr_store_count_vms_using_template (store, "debian-12"), ==, 2);
  assert_audit (store, 0, 0, -1, NULL, 0, "created");
  assert_next_id (store, 103);
}

static void
test_migrate_from_zero (void)
{
  g_autoptr(TmpDir) t = tmp_dir_new ();
  g_autoptr(VmgrStore) store = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;

  raw_exec (t->path, "PRAGMA user_version = 0");
  before = raw_query (t->path, "PRAGMA user_version");
  g_assert_cmpstr (before, ==, "0");

  store = open_store (t->path);
  g_assert_cmpint (vmgr_store_get_schema_version (store), ==, VMGR_STORE_SCHEMA_VERSION);
  after = raw_query (t->path, "PRAGMA user_version");
  g_assert_cmpint (atoi (after), ==, VMGR_STORE_SCHEMA_VERSION);
  g_assert_true (vmgr_store_is_empty (store));
  populate (store);
  assert_next_id (store, 103);
}

static void
test_migrate_newer_refused (void)
{
  g_autoptr(TmpDir) t = tmp_dir_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *version = NULL;
  g_autofree char *mode = NULL;
  VmgrStore *store;

  raw_exec (t->path, "CREATE TABLE future (x); PRAGMA user_version = 999");

  store = vmgr_store_open (t->path, &error);
  g_assert_null (store);
  g_assert_error (error, VMGR_ERROR, VMGR_ERROR_FAILED);
  g_test_message ("error: %s", error->message);
  g_assert_nonnull (strstr (error->message, "schema version 999"));
  g_assert_nonnull (strstr (error->message, "newer"));
  g_assert_nonnull (strstr (error->message, t->path));

  /* The file is left exactly as it was. */
  version = raw_query (t->path, "PRAGMA user_version");
  g_assert_cmpstr (version, ==, "999");
  mode = raw_query (t->path, "PRAGMA journal_mode");
  g_assert_cmpstr (mode, ==, "delete");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/store/open/creates-file", test_open_creates);
  g_test_add_func ("/store/open/wal", test_open_wal);
  g_test_add_func ("/store/open/bad-path", test_open_bad_path);
  g_test_add_func ("/store/vm/roundtrip", test_vm_roundtrip);
  g_test_add_func ("/store/vm/update-delete", test_vm_update_delete);
  g_test_add_func ("/store/vm/duplicates", test_vm_duplicates);
  g_test_add_func ("/store/vm/next-id", test_vm_next_id);
  g_test_add_func ("/store/templates", test_templates);
  g_test_add_func ("/store/plans", test_plans);
  g_test_add_func ("/store/audit/query", test_audit_query);
  g_test_add_func ("/store/audit/limits", test_audit_limits);
  g_test_add_func ("/store/reopen", test_reopen);
  g_test_add_func ("/store/migrate/from-zero", test_migrate_from_zero);
  g_test_add_func ("/store/migrate/newer-refused", test_migrate_newer_refused);

  return g_test_run ();
}
