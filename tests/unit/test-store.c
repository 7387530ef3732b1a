/* Unit tests for the sqlite store (service/store/). Every test works
 * in its own temporary directory, removed at the end. */
#include <glib.h>
#include <glib/gstdio.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "store-helpers.h"
#include "unit-helpers.h"
#include "vmgr-error.h"
#include "vmgr-seed.h"
#include "vmgr-store.h"

/* ---- Fixtures -------------------------------------------------------- */

static VmgrVmSpec *
make_vm (guint32 id, const char *name, const char *uuid)
{
  VmgrVmSpec *spec = vmgr_vm_spec_new ();

  spec->id = id;
  set_str (&spec->name, name);
  set_str (&spec->uuid, uuid);
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

  set_str (&spec->template_name, "debian-12");
  set_str (&spec->plan, "small");
  spec->memory_guarantee = 256 << 20;
  spec->memory_soft_limit = 512 << 20;
  spec->memory_limit = G_MAXUINT64; /* survives the signed INTEGER column */
  spec->vcpus = 4;
  spec->cpu_weight = 10000;
  spec->cpu_limit = 250;
  spec->disk_soft_limit = G_GUINT64_CONSTANT (10) << 30;
  spec->disk_hard_limit = G_GUINT64_CONSTANT (12) << 30;
  set_str (&spec->hostname, "web1.example.org");
  g_strfreev (spec->addresses);
  spec->addresses = g_strdupv ((char **) addresses);
  set_str (&spec->gateway, "10.0.0.1");
  g_strfreev (spec->nameservers);
  spec->nameservers = g_strdupv ((char **) nameservers);
  spec->autostart = TRUE;
  set_str (&spec->host, "rack2");
  return spec;
}

static void
insert_vm (VmgrStore *store, const VmgrVmSpec *spec)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (vmgr_store_insert_vm (store, spec, "<domain/>", NULL, &error));
  g_assert_no_error (error);
}

/* VM @id named vm@id, its UUID ending in @id. */
static VmgrVmSpec *
make_numbered_vm (guint32 id)
{
  g_autofree char *name = g_strdup_printf ("vm%u", id);
  g_autofree char *uuid = g_strdup_printf ("00000000-0000-4000-8000-%012u", id);

  return make_vm (id, name, uuid);
}

static void
insert_simple_vm (VmgrStore *store, guint32 id, const char *tmpl, const char *plan)
{
  g_autoptr(VmgrVmSpec) spec = make_numbered_vm (id);

  set_str (&spec->template_name, tmpl);
  set_str (&spec->plan, plan);
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

/* Like raw_exec() on an existing file, but returns sqlite's result code
 * (primary code only) instead of asserting success. */
static int
raw_exec_rc (const char *path, const char *sql)
{
  sqlite3 *db = NULL;
  int rc;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE, NULL), ==, SQLITE_OK);
  rc = sqlite3_exec (db, sql, NULL, NULL, NULL);
  g_assert_cmpint (sqlite3_close (db), ==, SQLITE_OK);
  return rc & 0xff;
}

/* Asserts that @error is not set and that @list, each item as @describe
 * puts it, separated by commas, reads @expected. */
static void
assert_listed (GPtrArray *list, const GError *error, char *(*describe) (gconstpointer item),
               const char *expected)
{
  g_autoptr(GString) text = g_string_new ("");

  g_assert_no_error (error);
  for (guint i = 0; i < list->len; i++)
    {
      g_autofree char *item = describe (list->pdata[i]);

      g_string_append_printf (text, "%s%s", i ? "," : "", item);
    }
  g_assert_cmpstr (text->str, ==, expected);
}

/* The indexes of the store @path are those of the current schema. */
static void
assert_indexes (const char *path)
{
  g_autofree char *indexes = NULL;

  indexes = raw_query (path, "SELECT group_concat (name, ',') FROM (SELECT name FROM"
                             " sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
                             " ORDER BY name)");
  g_assert_cmpstr (indexes, ==, "audit_target_name,audit_time,audit_uid,customers_national_id,"
                                "vms_host,vms_owner,vms_plan,vms_template");
}

/* ---- Opening --------------------------------------------------------- */

static void
test_open_creates (void)
{
  g_autoptr(TmpDir) t = tmp_dir_new ();
  g_autoptr(VmgrStore) store = NULL;
  g_autofree char *version = NULL;
  g_autofree char *tables = NULL;

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
  g_assert_cmpstr (tables, ==, "audit,customers,hosts,plans,retired_vm_ids,templates,vms");
  assert_indexes (t->path);
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
  g_assert_true (vmgr_store_insert_vm (store, full, "<domain type='test'/>", NULL, &error));
  g_assert_no_error (error);
  g_assert_false (vmgr_store_is_empty (store));
  g_assert_true (vmgr_store_insert_vm (store, bare, "<domain/>", NULL, &error));
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
  set_str (&spec->name, "web1-renamed");
  g_strfreev (spec->addresses);
  spec->addresses = g_new0 (char *, 1);
  g_strfreev (spec->nameservers);
  spec->nameservers = g_strdupv ((char **) one);
  spec->vcpus = 1;
  spec->autostart = FALSE;
  spec->owner = 4242;
  g_assert_true (vmgr_store_update_vm (store, spec, "<domain v='2'/>", NULL, &error));
  g_assert_no_error (error);
  assert_vm_stored (store, spec);
  xml = vmgr_store_get_vm_domain_xml (store, 101, &error);
  g_assert_cmpstr (xml, ==, "<domain v='2'/>");

  /* A NULL definition keeps the stored one. */
  spec->cpu_limit = 50;
  g_assert_true (vmgr_store_update_vm (store, spec, NULL, NULL, &error));
  g_assert_no_error (error);
  assert_vm_stored (store, spec);
  xml2 = vmgr_store_get_vm_domain_xml (store, 101, &error);
  g_assert_cmpstr (xml2, ==, "<domain v='2'/>");

  g_assert_false (vmgr_store_update_vm (store, missing, "<domain/>", NULL, &error));
  g_assert_error (error, VMGR_ERROR, VMGR_ERROR_NOT_FOUND);
  g_assert_cmpstr (error->message, ==, "no VM with id 999");
  g_clear_error (&error);

  g_assert_true (vmgr_store_delete_vm (store, 101, NULL, &error));
  g_assert_no_error (error);
  g_assert_null (vmgr_store_get_vm (store, 101, &error));
  g_assert_error (error, VMGR_ERROR, VMGR_ERROR_NOT_FOUND);
  g_assert_cmpstr (error->message, ==, "no VM with id 101");
  g_clear_error (&error);
  g_assert_null (vmgr_store_get_vm_domain_xml (store, 101, &error));
  g_assert_error (error, VMGR_ERROR, VMGR_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_false (vmgr_store_delete_vm (store, 101, NULL, &error));
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

  g_assert_false (vmgr_store_insert_vm (store, spec, "<domain/>", NULL, &error));
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
  g_autoptr(VmgrVmSpec) others_name = make_vm (104, "web1", "44444444-4444-4444-8444-444444444444");
  g_autoptr(VmgrVmSpec) same_id = make_vm (101, "web2", "22222222-2222-4222-8222-222222222222");
  g_autoptr(VmgrVmSpec) same_uuid = make_vm (102, "web2", "11111111-1111-4111-8111-111111111111");
  g_autoptr(VmgrVmSpec) other = make_vm (103, "db1", "33333333-3333-4333-8333-333333333333");
  g_autoptr(GError) error = NULL;
  g_autofree char *xml = NULL;

  same_name->owner = web1->owner;
  insert_vm (store, web1);
  assert_insert_fails (store, same_name, "uid 1101 already has a VM named 'web1'");
  assert_insert_fails (store, same_id, "VM id 101 is taken");
  assert_insert_fails (store, same_uuid,
                       "a VM with UUID 11111111-1111-4111-8111-111111111111 already exists");
  assert_only_vm (store, web1);
  xml = vmgr_store_get_vm_domain_xml (store, 101, &error);
  g_assert_cmpstr (xml, ==, "<domain/>");

  /* A failure inside sqlite itself is FAILED with sqlite's message. */
  g_clear_pointer (&same_name->name, g_free);
  g_assert_false (vmgr_store_insert_vm (store, same_name, "<domain/>", NULL, &error));
  g_assert_error (error, VMGR_ERROR, VMGR_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "NOT NULL constraint failed"));
  g_clear_error (&error);
  assert_only_vm (store, web1);

  /* The failed transactions were rolled back, not left open: another
   * connection can write at once (it has no busy timeout). */
  raw_exec (t->path, "INSERT INTO templates (name) VALUES ('written-by-other')");
  g_assert_cmpuint (vmgr_store_count_vms_using_template (store, "debian-12"), ==, 1);

  /* Updates may not take another VM's name (of the same owner) or UUID. */
  other->owner = web1->owner;
  insert_vm (store, other);
  set_str (&other->name, "web1");
  g_assert_false (vmgr_store_update_vm (store, other, "<changed/>", NULL, &error));
  g_assert_error (error, VMGR_ERROR, VMGR_ERROR_ALREADY_EXISTS);
  g_assert_cmpstr (error->message, ==, "uid 1101 already has a VM named 'web1'");
  g_clear_error (&error);
  set_str (&other->name, "db1");
  set_str (&other->uuid, web1->uuid);
  g_assert_false (vmgr_store_update_vm (store, other, "<changed/>", NULL, &error));
  g_assert_error (error, VMGR_ERROR, VMGR_ERROR_ALREADY_EXISTS);
  g_clear_error (&error);
  set_str (&other->uuid, "33333333-3333-4333-8333-333333333333");
  assert_vm_stored (store, other);
  assert_vm_stored (store, web1);

  /* Another owner may have a VM of the same name. */
  insert_vm (store, others_name);
  assert_vm_stored (store, others_name);
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
  /* A deleted VM's id is retired, not given again. */
  g_assert_true (vmgr_store_delete_vm (store, 101, NULL, &error));
  assert_next_id (store, 105);
}

/* ---- Templates ------------------------------------------------------- */

static VmgrTemplate *
make_template (const char *name, const char *os)
{
  VmgrTemplate *tmpl = vmgr_template_new (name);

  set_str (&tmpl->os, os);
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

static char *
template_name (gconstpointer template)
{
  return g_strdup (((const VmgrTemplate *) template)->name);
}

static void
assert_template_names (VmgrStore *store, const char *expected)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) list = vmgr_store_list_templates (store, &error);

  assert_listed (list, error, template_name, expected);
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

  g_assert_true (vmgr_store_add_template (store, debian, NULL, &error));
  g_assert_true (vmgr_store_add_template (store, alpine, NULL, &error));
  g_assert_no_error (error);
  g_assert_false (vmgr_store_is_empty (store));
  assert_template_names (store, "alpine,debian-12");
  got = vmgr_store_get_template (store, "debian-12", &error);
  g_assert_no_error (error);
  assert_template_equal (got, debian);

  g_assert_false (vmgr_store_add_template (store, dup, NULL, &error));
  g_assert_error (error, VMGR_ERROR, VMGR_ERROR_ALREADY_EXISTS);
  g_clear_error (&error);
  g_clear_pointer (&got, vmgr_template_free);
  got = vmgr_store_get_template (store, "debian-12", &error);
  assert_template_equal (got, debian);

  g_assert_null (vmgr_store_get_template (store, "nope", &error));
  g_assert_error (error, VMGR_ERROR, VMGR_ERROR_NOT_FOUND);
  g_assert_cmpstr (error->message, ==, "no template 'nope'");
  g_clear_error (&error);
  g_assert_false (vmgr_store_remove_template (store, "nope", NULL, &error));
  g_assert_error (error, VMGR_ERROR, VMGR_ERROR_NOT_FOUND);
  g_assert_cmpstr (error->message, ==, "no template 'nope'");
  g_clear_error (&error);

  insert_simple_vm (store, 101, "debian-12", "");
  insert_simple_vm (store, 102, "debian-12", "");
  insert_simple_vm (store, 103, "alpine", "");
  g_assert_cmpuint (vmgr_store_count_vms_using_template (store, "debian-12"), ==, 2);
  g_assert_cmpuint (vmgr_store_count_vms_using_template (store, "alpine"), ==, 1);
  g_assert_cmpuint (vmgr_store_count_vms_using_template (store, "nope"), ==, 0);
  g_assert_false (vmgr_store_remove_template (store, "debian-12", NULL, &error));
  g_assert_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_STATE);
  g_assert_true (g_str_has_prefix (error->message, "template 'debian-12' is used by 2 VMs"));
  g_clear_error (&error);
  assert_template_names (store, "alpine,debian-12");

  g_assert_true (vmgr_store_delete_vm (store, 101, NULL, &error));
  g_assert_true (vmgr_store_delete_vm (store, 102, NULL, &error));
  g_assert_true (vmgr_store_remove_template (store, "debian-12", NULL, &error));
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
assert_plan_stored (VmgrStore *store, const VmgrPlan *expected)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VmgrPlan) got = vmgr_store_get_plan (store, expected->name, &error);

  g_assert_no_error (error);
  assert_plans_equal (got, expected);
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

  g_assert_true (vmgr_store_set_plan (store, small, NULL, &error));
  g_assert_true (vmgr_store_set_plan (store, large, NULL, &error));
  g_assert_true (vmgr_store_set_plan (store, medium, NULL, &error));
  g_assert_no_error (error);
  g_assert_false (vmgr_store_is_empty (store));
  assert_plan_stored (store, small);

  /* Setting an existing plan replaces every field. */
  g_assert_true (vmgr_store_set_plan (store, small2, NULL, &error));
  g_assert_no_error (error);
  assert_plan_stored (store, small2);

  list = vmgr_store_list_plans (store, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 3);
  assert_plans_equal (list->pdata[0], large);
  assert_plans_equal (list->pdata[1], medium);
  assert_plans_equal (list->pdata[2], small2);

  g_assert_null (vmgr_store_get_plan (store, "huge", &error));
  g_assert_error (error, VMGR_ERROR, VMGR_ERROR_NOT_FOUND);
  g_assert_cmpstr (error->message, ==, "no plan 'huge'");
  g_clear_error (&error);
  g_assert_false (vmgr_store_remove_plan (store, "huge", NULL, &error));
  g_assert_error (error, VMGR_ERROR, VMGR_ERROR_NOT_FOUND);
  g_assert_cmpstr (error->message, ==, "no plan 'huge'");
  g_clear_error (&error);

  insert_simple_vm (store, 101, "", "small");
  g_assert_cmpuint (vmgr_store_count_vms_using_plan (store, "small"), ==, 1);
  g_assert_false (vmgr_store_remove_plan (store, "small", NULL, &error));
  g_assert_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_STATE);
  g_assert_true (g_str_has_prefix (error->message, "plan 'small' is used by 1 VM"));
  g_clear_error (&error);
  assert_plan_stored (store, small2);

  g_assert_true (vmgr_store_remove_plan (store, "medium", NULL, &error));
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

static char *
audit_message (gconstpointer entry)
{
  return g_strdup (((const VmgrAuditEntry *) entry)->message);
}

/* The messages of the matching entries, in the order returned, are
 * @expected. */
static void
assert_audit (VmgrStore *store, gint64 since, gint64 until, gint64 uid,
              const char *target, guint limit, const char *expected)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) list = vmgr_store_query_audit (store, since, until, uid,
                                                      target, limit, &error);

  assert_listed (list, error, audit_message, expected);
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

/* ---- Customers ------------------------------------------------------- */

static VmgrCustomerInfo *
make_customer (guint32 uid, const char *full_name, const char *national_id)
{
  VmgrCustomerInfo *c = vmgr_customer_info_new (uid);

  set_str (&c->full_name, full_name);
  g_free (c->email);
  c->email = g_strdup_printf ("user%u@example.org", uid);
  g_free (c->phone);
  c->phone = g_strdup_printf ("+98 21 5555 %04u", uid % 10000);
  g_free (c->address);
  c->address = g_strdup ("12 Example St.\nUnit 3"); /* newlines survive */
  set_str (&c->province, "Tehran");
  set_str (&c->national_id, national_id);
  set_str (&c->plan, "small");
  c->max_vms = 3;
  c->max_vcpus = 8;
  c->max_memory = G_MAXUINT64; /* survives the signed INTEGER column */
  c->max_disk = G_GUINT64_CONSTANT (100) << 30;
  c->suspended = FALSE;
  c->created_at = G_GINT64_CONSTANT (1700000000000000) + uid;
  return c;
}

static void
add_customer (VmgrStore *store, const VmgrCustomerInfo *c)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (vmgr_store_add_customer (store, c, NULL, &error));
  g_assert_no_error (error);
}

static void
assert_customer_stored (VmgrStore *store, const VmgrCustomerInfo *expected)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VmgrCustomerInfo) got = vmgr_store_get_customer (store, expected->uid, &error);

  g_assert_no_error (error);
  g_assert_nonnull (got);
  g_assert_true (vmgr_customer_info_equal (got, expected));
}

static char *
customer_uid (gconstpointer customer)
{
  return g_strdup_printf ("%u", ((const VmgrCustomerInfo *) customer)->uid);
}

static void
assert_customer_uids (VmgrStore *store, const char *expected)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) list = vmgr_store_list_customers (store, &error);

  assert_listed (list, error, customer_uid, expected);
}

static void
insert_owned_vm (VmgrStore *store, guint32 id, guint32 owner)
{
  g_autoptr(VmgrVmSpec) spec = make_numbered_vm (id);

  spec->owner = owner;
  insert_vm (store, spec);
}

static void
test_customer_roundtrip (void)
{
  g_autoptr(TmpDir) t = tmp_dir_new ();
  g_autoptr(VmgrStore) store = open_store (t->path);
  g_autoptr(VmgrCustomerInfo) alice = make_customer (60002, "Alice Example", "0012345678");
  g_autoptr(VmgrCustomerInfo) bob = make_customer (60001, "Bob Example", "0087654321");
  g_autoptr(VmgrCustomerInfo) carol = vmgr_customer_info_new (70000);
  g_autoptr(VmgrCustomerInfo) got = NULL;
  g_autoptr(GPtrArray) list = NULL;
  g_autoptr(GError) error = NULL;
  gint64 before, after;

  assert_customer_uids (store, "");
  /* Add the higher uid first: the list must still come ordered by uid. */
  add_customer (store, alice);
  add_customer (store, bob);
  assert_customer_stored (store, alice);
  assert_customer_stored (store, bob);

  list = vmgr_store_list_customers (store, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 2);
  g_assert_true (vmgr_customer_info_equal (list->pdata[0], bob));
  g_assert_true (vmgr_customer_info_equal (list->pdata[1], alice));

  /* A customer with created_at 0 is stamped with the current time; the
   * defaults of vmgr_customer_info_new() come back as they went in. */
  before = g_get_real_time ();
  add_customer (store, carol);
  after = g_get_real_time ();
  got = vmgr_store_get_customer (store, 70000, &error);
  g_assert_no_error (error);
  g_assert_cmpint (got->created_at, >=, before);
  g_assert_cmpint (got->created_at, <=, after);
  carol->created_at = got->created_at;
  g_assert_true (vmgr_customer_info_equal (got, carol));
  assert_customer_uids (store, "60001,60002,70000");

  /* Update replaces every field but uid and created_at. */
  set_str (&alice->full_name, "Alice Renamed");
  set_str (&alice->email, "alice@example.net");
  set_str (&alice->phone, "");
  set_str (&alice->address, "1 Other Rd.");
  set_str (&alice->province, "Fars");
  set_str (&alice->national_id, "1111111111");
  set_str (&alice->plan, "large");
  alice->max_vms = 0;
  alice->max_vcpus = 64;
  alice->max_memory = G_GUINT64_CONSTANT (32) << 30;
  alice->max_disk = G_MAXUINT64;
  alice->suspended = TRUE;
  set_str (&alice->suspend_reason, "unpaid invoice");
  alice->created_at = 42; /* ignored: the registration time is kept */
  g_assert_true (vmgr_store_update_customer (store, alice, NULL, &error));
  g_assert_no_error (error);
  alice->created_at = G_GINT64_CONSTANT (1700000000000000) + 60002;
  assert_customer_stored (store, alice);
  assert_customer_stored (store, bob);

  /* Unknown uids. */
  g_clear_pointer (&got, vmgr_customer_info_free);
  got = vmgr_store_get_customer (store, 4242, &error);
  g_assert_null (got);
  g_assert_error (error, VMGR_ERROR, VMGR_ERROR_NOT_FOUND);
  g_assert_cmpstr (error->message, ==, "no customer with uid 4242");
  g_clear_error (&error);
  carol->uid = 4242;
  g_assert_false (vmgr_store_update_customer (store, carol, NULL, &error));
  g_assert_error (error, VMGR_ERROR, VMGR_ERROR_NOT_FOUND);
  g_assert_cmpstr (error->message, ==, "no customer with uid 4242");
  g_clear_error (&error);
  g_assert_false (vmgr_store_remove_customer (store, 4242, NULL, &error));
  g_assert_error (error, VMGR_ERROR, VMGR_ERROR_NOT_FOUND);
  g_assert_cmpstr (error->message, ==, "no customer with uid 4242");
  g_clear_error (&error);
  assert_customer_uids (store, "60001,60002,70000");

  g_assert_true (vmgr_store_remove_customer (store, 60002, NULL, &error));
  g_assert_no_error (error);
  assert_customer_uids (store, "60001,70000");
  g_assert_null (vmgr_store_get_customer (store, 60002, &error));
  g_assert_error (error, VMGR_ERROR, VMGR_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_false (vmgr_store_remove_customer (store, 60002, NULL, &error));
  g_assert_error (error, VMGR_ERROR, VMGR_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* A removed customer's uid and national id can be registered again. */
  add_customer (store, alice);
  assert_customer_stored (store, alice);
}

static void
test_customer_duplicates (void)
{
  g_autoptr(TmpDir) t = tmp_dir_new ();
  g_autoptr(VmgrStore) store = open_store (t->path);
  g_autoptr(VmgrCustomerInfo) alice = make_customer (60002, "Alice Example", "0012345678");
  g_autoptr(VmgrCustomerInfo) bob = make_customer (60001, "Bob Example", "0087654321");
  g_autoptr(VmgrCustomerInfo) same_uid = make_customer (60002, "Mallory", "5555555555");
  g_autoptr(VmgrCustomerInfo) same_nid = make_customer (60003, "Mallory", "0012345678");
  g_autoptr(VmgrCustomerInfo) bob_changed = NULL;
  g_autoptr(GError) error = NULL;

  add_customer (store, alice);
  add_customer (store, bob);

  g_assert_false (vmgr_store_add_customer (store, same_uid, NULL, &error));
  g_assert_error (error, VMGR_ERROR, VMGR_ERROR_ALREADY_EXISTS);
  g_assert_cmpstr (error->message, ==, "customer 60002 is already registered");
  g_clear_error (&error);

  g_assert_false (vmgr_store_add_customer (store, same_nid, NULL, &error));
  g_assert_error (error, VMGR_ERROR, VMGR_ERROR_ALREADY_EXISTS);
  g_assert_cmpstr (error->message, ==, "national id '0012345678' is already registered");
  g_clear_error (&error);
  assert_customer_uids (store, "60001,60002");
  assert_customer_stored (store, alice);

  /* Taking another customer's national id on update is refused, and
   * nothing of the update lands. */
  bob_changed = vmgr_customer_info_copy (bob);
  set_str (&bob_changed->full_name, "Bob Changed");
  bob_changed->max_vms = 99;
  set_str (&bob_changed->national_id, "0012345678");
  g_assert_false (vmgr_store_update_customer (store, bob_changed, NULL, &error));
  g_assert_error (error, VMGR_ERROR, VMGR_ERROR_ALREADY_EXISTS);
  g_assert_cmpstr (error->message, ==, "national id '0012345678' is already registered");
  g_clear_error (&error);
  assert_customer_stored (store, bob);
  assert_customer_stored (store, alice);

  /* The failed transactions were rolled back, not left open: another
   * connection can write at once (it has no busy timeout). */
  raw_exec (t->path, "INSERT INTO templates (name) VALUES ('written-by-other')");

  /* Keeping one's own national id is not a duplicate. */
  set_str (&bob_changed->national_id, bob->national_id);
  g_assert_true (vmgr_store_update_customer (store, bob_changed, NULL, &error));
  g_assert_no_error (error);
  assert_customer_stored (store, bob_changed);

  /* Empty national ids never collide, on add or on update. */
  set_str (&same_nid->national_id, "");
  add_customer (store, same_nid);
  same_nid->uid = 60004;
  add_customer (store, same_nid);
  set_str (&bob_changed->national_id, "");
  g_assert_true (vmgr_store_update_customer (store, bob_changed, NULL, &error));
  g_assert_no_error (error);
  assert_customer_stored (store, bob_changed);
  assert_customer_uids (store, "60001,60002,60003,60004");
  /* ... and a freed national id can be taken by someone else. */
  set_str (&same_nid->national_id, "0087654321");
  g_assert_true (vmgr_store_update_customer (store, same_nid, NULL, &error));
  g_assert_no_error (error);
  assert_customer_stored (store, same_nid);

  /* The unique index holds even for a writer that bypasses the store. */
  g_assert_cmpint (raw_exec_rc (t->path, "INSERT INTO customers (uid, national_id, created_at)"
                                         " VALUES (1, '0012345678', 0)"), ==, SQLITE_CONSTRAINT);
  g_assert_cmpint (raw_exec_rc (t->path, "INSERT INTO customers (uid, national_id, created_at)"
                                         " VALUES (1, '', 0)"), ==, SQLITE_OK);
  assert_customer_uids (store, "1,60001,60002,60003,60004");
}

/* Removing customer @uid is refused with @message: VMs are still theirs. */
static void
assert_remove_refused (VmgrStore *store, guint32 uid, const char *message)
{
  g_autoptr(GError) error = NULL;

  g_assert_false (vmgr_store_remove_customer (store, uid, NULL, &error));
  g_assert_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_STATE);
  g_assert_cmpstr (error->message, ==, message);
}

static void
test_customer_remove_owned (void)
{
  g_autoptr(TmpDir) t = tmp_dir_new ();
  g_autoptr(VmgrStore) store = open_store (t->path);
  g_autoptr(VmgrCustomerInfo) alice = make_customer (60002, "Alice Example", "0012345678");
  g_autoptr(GError) error = NULL;

  add_customer (store, alice);
  g_assert_cmpuint (vmgr_store_count_vms_owned_by (store, 60002), ==, 0);
  insert_owned_vm (store, 101, 60002);
  insert_owned_vm (store, 102, 60002);
  insert_owned_vm (store, 103, 60001);
  g_assert_cmpuint (vmgr_store_count_vms_owned_by (store, 60002), ==, 2);
  g_assert_cmpuint (vmgr_store_count_vms_owned_by (store, 60001), ==, 1);
  g_assert_cmpuint (vmgr_store_count_vms_owned_by (store, 4242), ==, 0);

  assert_remove_refused (store, 60002,
                         "customer 60002 still owns 2 VMs; delete or reassign them first");
  assert_customer_stored (store, alice);

  g_assert_true (vmgr_store_delete_vm (store, 101, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (vmgr_store_count_vms_owned_by (store, 60002), ==, 1);
  assert_remove_refused (store, 60002,
                         "customer 60002 still owns 1 VM; delete or reassign them first");
  assert_customer_stored (store, alice);

  g_assert_true (vmgr_store_delete_vm (store, 102, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (vmgr_store_count_vms_owned_by (store, 60002), ==, 0);
  g_assert_true (vmgr_store_remove_customer (store, 60002, NULL, &error));
  g_assert_no_error (error);
  assert_customer_uids (store, "");
  /* The other owner's VM is untouched. */
  g_assert_cmpuint (vmgr_store_count_vms_owned_by (store, 60001), ==, 1);
}

/* ---- Persistence and migration --------------------------------------- */

static void
populate (VmgrStore *store)
{
  g_autoptr(VmgrVmSpec) web1 = make_full_vm (101, "web1", "11111111-1111-4111-8111-111111111111");
  g_autoptr(VmgrTemplate) debian = make_template ("debian-12", "debian");
  g_autoptr(VmgrPlan) small = make_plan ("small", 1 << 30, 1, 3);
  g_autoptr(VmgrCustomerInfo) alice = make_customer (1101, "Alice Example", "0012345678");
  g_autoptr(GError) error = NULL;

  insert_vm (store, web1);
  insert_simple_vm (store, 102, "debian-12", "small");
  g_assert_true (vmgr_store_add_template (store, debian, NULL, &error));
  g_assert_true (vmgr_store_set_plan (store, small, NULL, &error));
  g_assert_no_error (error);
  append_audit (store, 1234, 1000, "/org/vmgr/vm/101", "created");
  add_customer (store, alice);
}

static void
test_reopen (void)
{
  g_autoptr(TmpDir) t = tmp_dir_new ();
  g_autoptr(VmgrStore) store = open_store (t->path);
  g_autoptr(VmgrVmSpec) web1 = make_full_vm (101, "web1", "11111111-1111-4111-8111-111111111111");
  g_autoptr(VmgrTemplate) debian = make_template ("debian-12", "debian");
  g_autoptr(VmgrPlan) small = make_plan ("small", 1 << 30, 1, 3);
  g_autoptr(VmgrCustomerInfo) alice = make_customer (1101, "Alice Example", "0012345678");
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
  /* web1 (id 101) is owned by uid 1101, the customer added by populate(). */
  assert_customer_stored (store, alice);
  assert_customer_uids (store, "1101");
  g_assert_cmpuint (vmgr_store_count_vms_owned_by (store, 1101), ==, 1);
}

/* The hosts table: names and URIs unique; a host with a VM stays. */
static void
test_hosts (void)
{
  g_autoptr(TmpDir) t = tmp_dir_new ();
  g_autoptr(VmgrStore) store = open_store (t->path);
  g_autoptr(VmgrVmSpec) web1 = make_full_vm (101, "web1", "11111111-1111-4111-8111-111111111111");
  VmgrHostEntry rack2 = { .name = "rack2", .uri = "qemu+ssh://rack2/system", .added_at = 42,
                          .pool = "images" };
  VmgrHostEntry same_name = { .name = "rack2", .uri = "qemu+ssh://other/system" };
  VmgrHostEntry same_uri = { .name = "rack3", .uri = "qemu+ssh://rack2/system" };
  VmgrHostEntry rack4 = { .name = "rack4", .uri = "qemu+ssh://rack4/system" };
  g_autoptr(GPtrArray) hosts = NULL;
  g_autoptr(GError) error = NULL;
  const VmgrHostEntry *first;

  g_assert_true (vmgr_store_add_host (store, &rack2, NULL, &error));
  g_assert_no_error (error);
  g_assert_false (vmgr_store_add_host (store, &same_name, NULL, &error));
  g_assert_error (error, VMGR_ERROR, VMGR_ERROR_ALREADY_EXISTS);
  g_clear_error (&error);
  g_assert_false (vmgr_store_add_host (store, &same_uri, NULL, &error));
  g_assert_error (error, VMGR_ERROR, VMGR_ERROR_ALREADY_EXISTS);
  g_clear_error (&error);
  g_assert_true (vmgr_store_add_host (store, &rack4, NULL, &error));
  insert_vm (store, web1);    /* on rack2 */

  hosts = vmgr_store_list_hosts (store, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (hosts->len, ==, 2);
  first = g_ptr_array_index (hosts, 0);
  g_assert_cmpstr (first->name, ==, "rack2");
  g_assert_cmpstr (first->uri, ==, "qemu+ssh://rack2/system");
  g_assert_cmpint (first->added_at, ==, 42);
  g_assert_cmpstr (first->pool, ==, "images");
  g_assert_cmpstr (((VmgrHostEntry *) g_ptr_array_index (hosts, 1))->pool, ==, "default");

  g_assert_false (vmgr_store_remove_host (store, "rack2", NULL, &error));
  g_assert_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_STATE);
  g_clear_error (&error);
  g_assert_false (vmgr_store_remove_host (store, "rack9", NULL, &error));
  g_assert_error (error, VMGR_ERROR, VMGR_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_true (vmgr_store_remove_host (store, "rack4", NULL, &error));
  g_assert_no_error (error);
  g_clear_pointer (&hosts, g_ptr_array_unref);
  hosts = vmgr_store_list_hosts (store, &error);
  g_assert_cmpuint (hosts->len, ==, 1);
}

/* 6 -> 7: the hosts of before keep their VMs' files in the pool "default". */
static void
test_migrate_from_v6 (void)
{
  g_autoptr(TmpDir) t = tmp_dir_new ();
  g_autoptr(VmgrStore) store = open_store (t->path);
  VmgrHostEntry rack2 = { .name = "rack2", .uri = "qemu+ssh://rack2/system", .pool = "x" };
  g_autoptr(GPtrArray) hosts = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *version = NULL;

  g_assert_true (vmgr_store_add_host (store, &rack2, NULL, &error));
  g_clear_object (&store);
  raw_exec (t->path, "ALTER TABLE hosts DROP COLUMN pool; PRAGMA user_version = 6");
  store = open_store (t->path);
  version = raw_query (t->path, "PRAGMA user_version");
  g_assert_cmpstr (version, ==, "7");
  hosts = vmgr_store_list_hosts (store, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (hosts->len, ==, 1);
  g_assert_cmpstr (((VmgrHostEntry *) g_ptr_array_index (hosts, 0))->uri, ==,
                   "qemu+ssh://rack2/system");
  g_assert_cmpstr (((VmgrHostEntry *) g_ptr_array_index (hosts, 0))->pool, ==, "default");
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
test_migrate_from_v1 (void)
{
  g_autoptr(TmpDir) t = tmp_dir_new ();
  g_autoptr(VmgrStore) store = NULL;
  g_autoptr(VmgrVmSpec) expected = make_vm (101, "old-vm", "11111111-1111-4111-8111-111111111111");
  g_autoptr(VmgrCustomerInfo) owner = make_customer (60002, "Old Owner", "0012345678");
  g_autoptr(GError) error = NULL;
  g_autofree char *schema_v1 = read_schema_v1 ();
  g_autofree char *schema = g_strconcat ("BEGIN;", schema_v1,
                                         "INSERT INTO vms (id, name, uuid, owner, memory_limit,"
                                         " domain_xml, created_at) VALUES (101, 'old-vm',"
                                         " '11111111-1111-4111-8111-111111111111', 60002,"
                                         " 1073741824, '<domain old=''1''/>', 1234);"
                                         "INSERT INTO plans (name, max_vms) VALUES ('small', 3);"
                                         "PRAGMA user_version = 1;"
                                         "COMMIT;", NULL);
  g_autofree char *version = NULL;
  g_autofree char *xml = NULL;

  raw_exec (t->path, schema);
  version = raw_query (t->path, "PRAGMA user_version");
  g_assert_cmpstr (version, ==, "1");

  store = open_store (t->path);
  g_assert_cmpint (vmgr_store_get_schema_version (store), ==, VMGR_STORE_SCHEMA_VERSION);
  g_assert_cmpint (VMGR_STORE_SCHEMA_VERSION, ==, 7);
  g_clear_pointer (&version, g_free);
  version = raw_query (t->path, "PRAGMA user_version");
  g_assert_cmpstr (version, ==, "7");
  assert_indexes (t->path);

  /* What was there before is still there. */
  expected->owner = 60002;
  assert_only_vm (store, expected);
  xml = vmgr_store_get_vm_domain_xml (store, 101, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (xml, ==, "<domain old='1'/>");
  g_assert_cmpuint (vmgr_store_count_vms_using_plan (store, "small"), ==, 0);
  g_assert_false (vmgr_store_is_empty (store));

  /* And customers work, against the migrated VM too. */
  assert_customer_uids (store, "");
  add_customer (store, owner);
  assert_customer_stored (store, owner);
  g_assert_cmpuint (vmgr_store_count_vms_owned_by (store, 60002), ==, 1);
  assert_remove_refused (store, 60002,
                         "customer 60002 still owns 1 VM; delete or reassign them first");

  /* Opening again does not migrate again. */
  g_clear_object (&store);
  store = open_store (t->path);
  assert_customer_stored (store, owner);
  assert_only_vm (store, expected);
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

/* ---- A change and its audit row commit together --------------------- */

static VmgrAuditEntry *
make_audit (const char *action)
{
  VmgrAuditEntry *entry = vmgr_audit_entry_new ();

  entry->uid = 60002;
  entry->caller = g_strdup ("alice (:1.9)");
  entry->pid = 42;
  entry->action = g_strdup (action);
  entry->target = g_strdup ("/org/vmgr/vm/101");
  entry->result = g_strdup ("allowed");
  entry->message = g_strdup ("");
  return entry;
}

static void
test_audit_with_change (void)
{
  g_autoptr(TmpDir) t = tmp_dir_new ();
  g_autoptr(VmgrStore) store = open_store (t->path);
  g_autoptr(VmgrVmSpec) spec = make_vm (101, "web1", "11111111-1111-4111-8111-111111111111");
  g_autoptr(VmgrVmSpec) twin = make_vm (102, "web1", "22222222-2222-4222-8222-222222222222");
  g_autoptr(VmgrAuditEntry) created = make_audit ("org.vmgr.vm.create");
  g_autoptr(VmgrAuditEntry) refused = make_audit ("org.vmgr.vm.create");
  g_autoptr(VmgrAuditEntry) deleted = make_audit ("org.vmgr.vm.delete");
  g_autoptr(GError) error = NULL;
  g_autofree char *rows = NULL;
  g_autofree char *vms = NULL;

  twin->owner = spec->owner;
  /* Committed together. */
  g_assert_true (vmgr_store_insert_vm (store, spec, "<domain/>", created, &error));
  g_assert_no_error (error);
  rows = raw_query (t->path, "SELECT count(*) FROM audit WHERE action = 'org.vmgr.vm.create'");
  g_assert_cmpstr (rows, ==, "1");
  g_clear_pointer (&rows, g_free);

  /* A change that fails leaves no row. */
  g_assert_false (vmgr_store_insert_vm (store, twin, "<domain/>", refused, &error));
  g_assert_error (error, VMGR_ERROR, VMGR_ERROR_ALREADY_EXISTS);
  g_clear_error (&error);
  rows = raw_query (t->path, "SELECT count(*) FROM audit");
  g_assert_cmpstr (rows, ==, "1");
  g_clear_pointer (&rows, g_free);

  /* A row that cannot be written takes the change back with it. */
  raw_exec (t->path, "CREATE TRIGGER no_more_rows BEFORE INSERT ON audit"
                     " BEGIN SELECT RAISE (ABORT, 'audit refused'); END;");
  g_assert_false (vmgr_store_delete_vm (store, 101, deleted, &error));
  g_assert_nonnull (error);
  g_clear_error (&error);
  vms = raw_query (t->path, "SELECT count(*) FROM vms WHERE id = 101");
  g_assert_cmpstr (vms, ==, "1");
}

/* The default catalogue goes in whole or not at all. */
static void
test_seed_all_or_nothing (void)
{
  g_autoptr(TmpDir) t = tmp_dir_new ();
  g_autoptr(VmgrStore) store = open_store (t->path);
  g_autoptr(GError) error = NULL;
  g_autofree char *plans = NULL;
  g_autofree char *templates = NULL;

  g_assert_true (vmgr_store_is_empty (store));
  /* The last template cannot be written, as if vmgrd died there. */
  raw_exec (t->path, "CREATE TRIGGER no_ubuntu BEFORE INSERT ON templates"
                     " WHEN NEW.name = 'ubuntu-24.04'"
                     " BEGIN SELECT RAISE (ABORT, 'refused'); END;");
  g_assert_false (vmgr_seed_defaults (store, &error));
  g_assert_nonnull (error);
  g_clear_error (&error);
  g_assert_true (vmgr_store_is_empty (store));
  raw_exec (t->path, "DROP TRIGGER no_ubuntu;");
  g_assert_true (vmgr_seed_defaults (store, &error));
  g_assert_no_error (error);
  plans = raw_query (t->path, "SELECT count(*) FROM plans");
  templates = raw_query (t->path, "SELECT count(*) FROM templates");
  g_assert_cmpstr (plans, ==, "3");
  g_assert_cmpstr (templates, ==, "5");
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
  g_test_add_func ("/store/audit/with-change", test_audit_with_change);
  g_test_add_func ("/store/seed/all-or-nothing", test_seed_all_or_nothing);
  g_test_add_func ("/store/customers/roundtrip", test_customer_roundtrip);
  g_test_add_func ("/store/customers/duplicates", test_customer_duplicates);
  g_test_add_func ("/store/customers/remove-owned", test_customer_remove_owned);
  g_test_add_func ("/store/reopen", test_reopen);
  g_test_add_func ("/store/hosts", test_hosts);
  g_test_add_func ("/store/migrate/from-zero", test_migrate_from_zero);
  g_test_add_func ("/store/migrate/from-v1", test_migrate_from_v1);
  g_test_add_func ("/store/migrate/from-v6", test_migrate_from_v6);
  g_test_add_func ("/store/migrate/newer-refused", test_migrate_newer_refused);

  return g_test_run ();
}
