/* Backup archives (backend/vmgr-backup-archive.c): the manifest's JSON
 * both ways and what it refuses, archive names, an archive written and
 * read back (manifest first, files equal, holes kept), nothing left by a
 * cancelled write; the [backup] directory of the configuration. */
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmgr-backup-archive.h"
#include "vmgr-config.h"
#include "vmgr-error.h"

#define MIB (1024 * 1024)

static char *scratch;

static VmgrVmSpec *
sample_spec (void)
{
  VmgrVmSpec *spec = vmgr_vm_spec_new ();

  spec->id = 123;
  g_free (spec->name);
  spec->name = g_strdup ("web1");
  g_free (spec->uuid);
  spec->uuid = g_strdup ("5b1f06c4-9f4c-4a57-a3c1-8d8a2c6f7e10");
  spec->owner = 60002;
  g_free (spec->template_name);
  spec->template_name = g_strdup ("busybox");
  g_free (spec->plan);
  spec->plan = g_strdup ("basic");
  spec->memory_limit = 128 * MIB;
  spec->memory_soft_limit = 64 * MIB;
  spec->vcpus = 2;
  spec->cpu_weight = 200;
  spec->disk_hard_limit = G_GUINT64_CONSTANT (10) << 30;
  g_free (spec->hostname);
  spec->hostname = g_strdup ("web1.example.org");
  g_strfreev (spec->addresses);
  spec->addresses = g_strdupv ((char *[]) { "10.0.0.5/24", NULL });
  g_free (spec->gateway);
  spec->gateway = g_strdup ("10.0.0.1");
  g_strfreev (spec->nameservers);
  spec->nameservers = g_strdupv ((char *[]) { "10.0.0.1", "9.9.9.9", NULL });
  spec->autostart = TRUE;
  return spec;
}

static VmgrBackupManifest *
sample_manifest (void)
{
  g_autoptr(VmgrVmSpec) spec = sample_spec ();
  VmgrBackupManifest *manifest = vmgr_backup_manifest_new (spec);

  g_free (manifest->backend);
  manifest->backend = g_strdup ("lxc");
  g_free (manifest->state);
  manifest->state = g_strdup ("running");
  g_free (manifest->description);
  manifest->description = g_strdup ("before the upgrade");
  manifest->created = G_GINT64_CONSTANT (1796495400000000);
  manifest->files_bytes = 2 * MIB;
  return manifest;
}

static void
test_manifest_round_trip (void)
{
  g_autoptr(VmgrBackupManifest) manifest = sample_manifest ();
  g_autofree char *json = vmgr_backup_manifest_to_json (manifest);
  g_autoptr(GError) error = NULL;
  g_autoptr(VmgrBackupManifest) back = vmgr_backup_manifest_from_json (json, -1, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (back->format, ==, VMGR_BACKUP_FORMAT);
  g_assert_true (vmgr_vm_spec_equal (back->spec, manifest->spec));
  g_assert_cmpstr (back->backend, ==, "lxc");
  g_assert_cmpstr (back->state, ==, "running");
  g_assert_cmpstr (back->description, ==, "before the upgrade");
  g_assert_cmpint (back->created, ==, manifest->created);
  g_assert_cmpuint (back->files_bytes, ==, 2 * MIB);
}

static void
test_manifest_refusals (void)
{
  g_autoptr(VmgrBackupManifest) manifest = sample_manifest ();
  g_autofree char *good = vmgr_backup_manifest_to_json (manifest);
  static const struct { const char *from, *to, *fragment; } edits[] = {
    { "\"format\" : 1", "\"format\" : 2", "format 2" },
    { "\"format\" : 1", "\"format\" : \"1\"", "'format'" },
    { "\"vcpus\" : 2", "\"vcpus\" : -2", "'vcpus'" },
    { "\"name\" : \"web1\"", "\"name\" : 7", "'name'" },
    { "\"uuid\" : \"5b1f06c4", "\"uuid\" : \"zz1f06c4", "no valid VM" },
    { "\"autostart\" : true", "\"autostart\" : 1", "'autostart'" },
    { "\"nameservers\" : [", "\"nameservers\" : [ 1,", "'nameservers'" },
  };
  const char *not_json[] = { "", "[]", "{", "null", "{\"format\": 1}" };

  for (guint i = 0; i < G_N_ELEMENTS (edits); i++)
    {
      g_autoptr(GError) error = NULL;
      g_auto(GStrv) parts = g_strsplit (good, edits[i].from, 2);
      g_autofree char *bad = NULL;
      g_autoptr(VmgrBackupManifest) parsed = NULL;

      g_assert_cmpuint (g_strv_length (parts), ==, 2);
      bad = g_strjoinv (edits[i].to, parts);
      parsed = vmgr_backup_manifest_from_json (bad, -1, &error);
      g_assert_null (parsed);
      g_assert_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_ARGUMENT);
      g_assert_nonnull (strstr (error->message, edits[i].fragment));
    }
  for (guint i = 0; i < G_N_ELEMENTS (not_json); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(VmgrBackupManifest) parsed = vmgr_backup_manifest_from_json (not_json[i], -1,
                                                                            &error);

      g_assert_null (parsed);
      g_assert_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_ARGUMENT);
    }
}

static void
test_names (void)
{
  g_autoptr(VmgrVmSpec) spec = sample_spec ();
  g_autofree char *name = vmgr_backup_archive_name (spec, G_GINT64_CONSTANT (1796495400000000));
  const char *bad[] = {
    "../x" VMGR_BACKUP_SUFFIX, "a/b" VMGR_BACKUP_SUFFIX, "/etc/passwd", ".hidden" VMGR_BACKUP_SUFFIX,
    ".." , ".", "", VMGR_BACKUP_SUFFIX, "x.tar.zst", "x" VMGR_BACKUP_SUFFIX ".partial",
  };

  g_assert_cmpstr (name, ==, "web1-123-20261205T183000Z" VMGR_BACKUP_SUFFIX);
  g_assert_true (vmgr_backup_check_archive_name (name, NULL));
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_false (vmgr_backup_check_archive_name (bad[i], &error));
      g_assert_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_ARGUMENT);
    }
}

/* staging/{manifest.json,domain.xml,files/{disk.img (sparse),etc/hostname}} */
static char *
make_staging (void)
{
  char *staging = g_build_filename (scratch, "staging", NULL);
  g_autofree char *etc = g_build_filename (staging, VMGR_BACKUP_FILES, "etc", NULL);
  g_autofree char *hostname = g_build_filename (etc, "hostname", NULL);
  g_autofree char *disk = g_build_filename (staging, VMGR_BACKUP_FILES, "disk.img", NULL);
  g_autofree char *manifest_path = g_build_filename (staging, VMGR_BACKUP_MANIFEST, NULL);
  g_autofree char *domain_path = g_build_filename (staging, VMGR_BACKUP_DOMAIN, NULL);
  g_autoptr(VmgrBackupManifest) manifest = sample_manifest ();
  g_autofree char *json = vmgr_backup_manifest_to_json (manifest);
  g_autofree char *data = g_malloc (MIB);
  int fd;

  g_assert_cmpint (g_mkdir_with_parents (etc, 0755), ==, 0);
  g_assert_true (g_file_set_contents (hostname, "web1\n", -1, NULL));
  g_assert_true (g_file_set_contents (manifest_path, json, -1, NULL));
  g_assert_true (g_file_set_contents (domain_path, "<domain/>\n", -1, NULL));
  fd = open (disk, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  g_assert_cmpint (fd, >=, 0);
  memset (data, 0x5a, MIB);
  g_assert_cmpint (pwrite (fd, data, MIB, 32 * MIB), ==, MIB);
  g_assert_cmpint (ftruncate (fd, 256 * MIB), ==, 0);
  close (fd);
  return staging;
}

static void
count_progress (double progress, gpointer user_data)
{
  (*(guint *) user_data)++;
}

static void
test_write_read_extract (void)
{
  g_autofree char *staging = make_staging ();
  g_autofree char *archive = g_build_filename (scratch, "web1" VMGR_BACKUP_SUFFIX, NULL);
  g_autofree char *into = g_build_filename (scratch, "into", NULL);
  g_autofree char *disk = g_build_filename (into, VMGR_BACKUP_FILES, "disk.img", NULL);
  g_autofree char *hostname_path = g_build_filename (into, VMGR_BACKUP_FILES, "etc", "hostname",
                                                     NULL);
  g_autofree char *hostname = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(VmgrBackupManifest) manifest = NULL;
  guint calls = 0;
  struct stat st;

  g_assert_true (vmgr_backup_archive_write (staging, archive, 257 * MIB, count_progress, &calls,
                                            NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_stat (archive, &st), ==, 0);
  /* A 256 MiB image with 1 MiB of data: the archive is small. */
  g_assert_cmpint (st.st_size, <, 2 * MIB);

  manifest = vmgr_backup_archive_read_manifest (archive, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (manifest->spec->name, ==, "web1");

  g_assert_cmpint (g_mkdir (into, 0700), ==, 0);
  g_assert_true (vmgr_backup_archive_extract (archive, into, manifest->files_bytes, NULL, NULL,
                                              NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (hostname_path, &hostname, NULL, NULL));
  g_assert_cmpstr (hostname, ==, "web1\n");
  g_assert_cmpint (g_stat (disk, &st), ==, 0);
  g_assert_cmpint (st.st_size, ==, 256 * MIB);
  g_assert_cmpint ((gint64) st.st_blocks * 512, <, 8 * MIB);
}

static void
test_read_refusals (void)
{
  g_autofree char *absent = g_build_filename (scratch, "absent" VMGR_BACKUP_SUFFIX, NULL);
  g_autofree char *garbage = g_build_filename (scratch, "garbage" VMGR_BACKUP_SUFFIX, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(VmgrBackupManifest) none = vmgr_backup_archive_read_manifest (absent, NULL, &error);

  g_assert_null (none);
  g_assert_error (error, VMGR_ERROR, VMGR_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_true (g_file_set_contents (garbage, "not an archive", -1, NULL));
  none = vmgr_backup_archive_read_manifest (garbage, NULL, &error);
  g_assert_null (none);
  g_assert_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_ARGUMENT);
}

static void
test_cancelled_write_leaves_nothing (void)
{
  g_autofree char *staging = make_staging ();
  g_autofree char *dir = g_build_filename (scratch, "out", NULL);
  g_autofree char *archive = g_build_filename (dir, "c" VMGR_BACKUP_SUFFIX, NULL);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GDir) listing = NULL;

  g_assert_cmpint (g_mkdir (dir, 0700), ==, 0);
  g_cancellable_cancel (cancellable);
  g_assert_false (vmgr_backup_archive_write (staging, archive, MIB, NULL, NULL, cancellable,
                                             &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  listing = g_dir_open (dir, 0, NULL);
  g_assert_null (g_dir_read_name (listing));
}

static void
test_config_backup_dir (void)
{
  g_autoptr(VmgrConfig) config = vmgr_config_new_default ();
  g_autofree char *path = g_build_filename (scratch, "vmgrd.conf", NULL);
  g_autofree char *dir = NULL;
  g_autoptr(GError) error = NULL;

  g_free (config->state_dir);
  config->state_dir = g_strdup ("/var/lib/vmgr");
  dir = vmgr_config_get_backup_dir (config);
  g_assert_cmpstr (dir, ==, "/var/lib/vmgr/backups");
  g_clear_pointer (&dir, g_free);

  g_assert_true (g_file_set_contents (path, "[backup]\ndirectory=relative\n", -1, NULL));
  g_assert_false (vmgr_config_load_file (config, path, TRUE, &error));
  g_assert_nonnull (strstr (error->message, "directory"));
  g_clear_error (&error);

  g_assert_true (g_file_set_contents (path, "[backup]\ndirectory=/srv/b/../backups\n", -1, NULL));
  g_assert_true (vmgr_config_load_file (config, path, TRUE, &error));
  g_assert_no_error (error);
  dir = vmgr_config_get_backup_dir (config);
  g_assert_cmpstr (dir, ==, "/srv/backups");
}

int
main (int argc, char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  scratch = g_dir_make_tmp ("vmgr-backup-XXXXXX", NULL);
  g_assert_nonnull (scratch);

  g_test_add_func ("/backup-archive/manifest-round-trip", test_manifest_round_trip);
  g_test_add_func ("/backup-archive/manifest-refusals", test_manifest_refusals);
  g_test_add_func ("/backup-archive/names", test_names);
  g_test_add_func ("/backup-archive/write-read-extract", test_write_read_extract);
  g_test_add_func ("/backup-archive/read-refusals", test_read_refusals);
  g_test_add_func ("/backup-archive/cancelled-write-leaves-nothing",
                   test_cancelled_write_leaves_nothing);
  g_test_add_func ("/backup-archive/config-backup-dir", test_config_backup_dir);

  status = g_test_run ();
  {
    const char *argv_rm[] = { "rm", "-rf", scratch, NULL };

    g_spawn_sync (NULL, (char **) argv_rm, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL,
                  NULL, NULL);
  }
  g_free (scratch);
  return status;
}
