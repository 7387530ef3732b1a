/* vmgr-backend-migrate.c against libvirt's test driver, which migrates
 * nothing and streams no volumes: the checks made before libvirt is asked,
 * libvirt's refusal as NOT_SUPPORTED, and that nothing is left behind (the
 * domain stays, the target volume made for a failed copy is deleted). The
 * real path is tests/real/test-real-migrate.c. Two "hosts": test:///default
 * and a private node file (each its own state). */
#include <glib/gstdio.h>
#include <libvirt/libvirt.h>

#include "vmgr-backend-migrate.h"
#include "vmgr-backend-private.h"   /* vmgr_backend_ref_connection () */
#include "vmgr-error.h"

#define TIMEOUT_S 10

typedef struct {
  VmgrBackend *source;
  VmgrBackend *target;
  char *dir;
  char *node_path;
} Fixture;

static const char node_xml[] =
  "<node>\n"
  "  <pool type='dir'><name>images</name><uuid>35bb2ad9-388a-cdfe-461a-b8907f6e5c01</uuid>"
  "<capacity>10000000000</capacity><allocation>0</allocation><available>10000000000</available>"
  "<target><path>/images-target</path></target></pool>\n"
  "</node>\n";

static void
fixture_set_up (Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *uri = NULL;

  fx->source = vmgr_backend_new ("test:///default", &error);
  g_assert_no_error (error);
  fx->dir = g_dir_make_tmp ("vmgr-migrate-XXXXXX", &error);
  g_assert_no_error (error);
  fx->node_path = g_build_filename (fx->dir, "node.xml", NULL);
  g_file_set_contents (fx->node_path, node_xml, -1, &error);
  g_assert_no_error (error);
  uri = g_strconcat ("test://", fx->node_path, NULL);
  fx->target = vmgr_backend_new (uri, &error);
  g_assert_no_error (error);
}

static void
fixture_tear_down (Fixture *fx, gconstpointer data)
{
  g_clear_object (&fx->source);
  g_clear_object (&fx->target);
  g_unlink (fx->node_path);
  g_rmdir (fx->dir);
  g_free (fx->node_path);
  g_free (fx->dir);
  /* the tasks' last references go in their worker threads */
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

static gboolean
on_timeout (gpointer data)
{
  g_error ("Timed out after %d s", TIMEOUT_S);
  return G_SOURCE_REMOVE;
}

static void
on_done (GObject *object, GAsyncResult *result, gpointer data)
{
  *(GAsyncResult **) data = g_object_ref (result);
}

static GAsyncResult *
wait_result (GAsyncResult **slot)
{
  guint timeout = g_timeout_add_seconds (TIMEOUT_S, on_timeout, NULL);

  while (*slot == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (timeout);
  return *slot;
}

static void
count_destroy (gpointer data)
{
  (*(guint *) data)++;
}

static void
no_progress (const VmgrMigrationStats *stats, gpointer data)
{
  g_assert_not_reached ();
}

/* Migrates @uuid from fx->source to @target: the error. */
static GError *
migrate_error (Fixture *fx, VmgrBackend *target, const char *uuid, VmgrMigrateFlags flags,
               GCancellable *cancellable)
{
  g_autoptr(GAsyncResult) result = NULL;
  GError *error = NULL;
  guint destroyed = 0;
  VmgrMigrationStats stats = { .elapsed_ms = 7 };

  vmgr_backend_migrate_async (fx->source, target, uuid, flags, NULL, no_progress, &destroyed,
                              count_destroy, cancellable, on_done, &result);
  g_assert_false (vmgr_backend_migrate_finish (fx->source, wait_result (&result), &stats,
                                               &error));
  g_assert_nonnull (error);
  g_assert_cmpuint (stats.elapsed_ms, ==, 7);   /* untouched on failure */
  g_clear_object (&result);
  while (destroyed == 0)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (destroyed, ==, 1);
  return error;
}

static char *
test_domain_uuid (Fixture *fx)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VmgrVirConnect) conn = vmgr_backend_ref_connection (fx->source, &error);
  g_autoptr(VmgrVirDomain) domain = NULL;
  char uuid[VIR_UUID_STRING_BUFLEN];

  g_assert_no_error (error);
  domain = virDomainLookupByName (conn, "test");
  g_assert_nonnull (domain);
  g_assert_cmpint (virDomainGetUUIDString (domain, uuid), ==, 0);
  return g_strdup (uuid);
}

static int
domain_state (Fixture *fx, const char *uuid)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VmgrVirConnect) conn = vmgr_backend_ref_connection (fx->source, &error);
  g_autoptr(VmgrVirDomain) domain = virDomainLookupByUUIDString (conn, uuid);
  int state = -1, reason;

  g_assert_nonnull (domain);
  g_assert_cmpint (virDomainGetState (domain, &state, &reason, 0), ==, 0);
  return state;
}

static void
test_refused (Fixture *fx, gconstpointer data)
{
  g_autofree char *uuid = test_domain_uuid (fx);
  g_autoptr(GError) error = NULL;
  g_autoptr(GCancellable) cancelled = g_cancellable_new ();

  error = migrate_error (fx, fx->target, "not-a-uuid", VMGR_MIGRATE_LIVE, NULL);
  g_assert_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  error = migrate_error (fx, fx->target, "2b4c0e6f-4e5d-4a43-9a53-4d1b7d3b1c00",
                         VMGR_MIGRATE_LIVE, NULL);
  g_assert_error (error, VMGR_ERROR, VMGR_ERROR_NOT_FOUND);
  g_clear_error (&error);

  error = migrate_error (fx, fx->source, uuid, VMGR_MIGRATE_LIVE, NULL);
  g_assert_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "same host"));
  g_clear_error (&error);

  g_cancellable_cancel (cancelled);
  error = migrate_error (fx, fx->target, uuid, VMGR_MIGRATE_LIVE, cancelled);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);

  /* the test driver cannot migrate: libvirt's answer, nothing changed */
  error = migrate_error (fx, fx->target, uuid, VMGR_MIGRATE_LIVE | VMGR_MIGRATE_COPY_STORAGE,
                         NULL);
  g_assert_error (error, VMGR_ERROR, VMGR_ERROR_NOT_SUPPORTED);
  g_clear_error (&error);
  g_assert_cmpint (domain_state (fx, uuid), ==, VIR_DOMAIN_RUNNING);
}

static void
test_not_running (Fixture *fx, gconstpointer data)
{
  g_autofree char *uuid = test_domain_uuid (fx);
  g_autoptr(GError) error = NULL;
  g_autoptr(VmgrVirConnect) conn = vmgr_backend_ref_connection (fx->source, &error);
  g_autoptr(VmgrVirDomain) domain = virDomainLookupByUUIDString (conn, uuid);

  g_assert_cmpint (virDomainDestroy (domain), ==, 0);
  error = migrate_error (fx, fx->target, uuid, VMGR_MIGRATE_LIVE, NULL);
  g_assert_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_STATE);
  g_assert_cmpint (domain_state (fx, uuid), ==, VIR_DOMAIN_SHUTOFF);
  g_assert_cmpint (virDomainCreate (domain), ==, 0);
}

/* ---- volume copies ---- */

static char *
copy_error_or_path (Fixture *fx, const char *path, const char *pool, const char *name,
                    GError **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  vmgr_backend_volume_copy_async (fx->source, path, fx->target, pool, name, NULL, NULL, NULL,
                                  NULL, on_done, &result);
  return vmgr_backend_volume_copy_finish (fx->source, wait_result (&result), error);
}

static gboolean
target_has_volume (Fixture *fx, const char *name)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VmgrVirConnect) conn = vmgr_backend_ref_connection (fx->target, &error);
  virStoragePoolPtr pool = virStoragePoolLookupByName (conn, "images");
  virStorageVolPtr vol;

  g_assert_nonnull (pool);
  vol = virStorageVolLookupByName (pool, name);
  virStoragePoolFree (pool);
  if (vol == NULL)
    return FALSE;
  virStorageVolFree (vol);
  return TRUE;
}

static void
test_volume_copy (Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VmgrVirConnect) sconn = vmgr_backend_ref_connection (fx->source, &error);
  g_autoptr(VmgrVirConnect) tconn = vmgr_backend_ref_connection (fx->target, &error);
  virStoragePoolPtr spool = virStoragePoolLookupByName (sconn, "default-pool");
  virStoragePoolPtr tpool = virStoragePoolLookupByName (tconn, "images");
  virStorageVolPtr svol, existing;
  g_autofree char *spath = NULL;
  char *path;

  g_assert_nonnull (spool);
  g_assert_nonnull (tpool);
  svol = virStorageVolCreateXML (spool,
                                 "<volume><name>root.img</name>"
                                 "<capacity unit='MiB'>8</capacity></volume>", 0);
  g_assert_nonnull (svol);
  spath = virStorageVolGetPath (svol);

  path = copy_error_or_path (fx, "/no/such/volume", "images", "root.img", &error);
  g_assert_null (path);
  g_assert_error (error, VMGR_ERROR, VMGR_ERROR_NOT_FOUND);
  g_clear_error (&error);

  path = copy_error_or_path (fx, spath, "no-such-pool", "root.img", &error);
  g_assert_null (path);
  g_assert_error (error, VMGR_ERROR, VMGR_ERROR_NOT_FOUND);
  g_clear_error (&error);

  existing = virStorageVolCreateXML (tpool, "<volume><name>taken.img</name>"
                                     "<capacity unit='MiB'>1</capacity></volume>", 0);
  g_assert_nonnull (existing);
  path = copy_error_or_path (fx, spath, "images", "taken.img", &error);
  g_assert_null (path);
  g_assert_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_true (target_has_volume (fx, "taken.img"));   /* not deleted: not ours */

  /* the test driver streams nothing: refused, and the new volume deleted */
  path = copy_error_or_path (fx, spath, "images", "root.img", &error);
  g_assert_null (path);
  g_assert_error (error, VMGR_ERROR, VMGR_ERROR_NOT_SUPPORTED);
  g_clear_error (&error);
  g_assert_false (target_has_volume (fx, "root.img"));

  virStorageVolDelete (svol, 0);
  virStorageVolFree (svol);
  virStorageVolFree (existing);
  virStoragePoolFree (spool);
  virStoragePoolFree (tpool);
}

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  ADD ("/backend-migrate/refused", test_refused);
  ADD ("/backend-migrate/not-running", test_not_running);
  ADD ("/backend-migrate/volume-copy", test_volume_copy);
  return g_test_run ();
}
