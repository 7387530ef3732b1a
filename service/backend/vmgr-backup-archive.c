/* Backup archives: the manifest as JSON, GNU tar for the rest (see
 * vmgr-backup-archive.h). */
#include "vmgr-backup-archive.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "vmgr-error.h"
#include "vmgr-tool.h"

/* tar reports a checkpoint every CHECKPOINT records of RECORD bytes. */
#define RECORD 10240
#define CHECKPOINT 256
#define MANIFEST_MAX (1024 * 1024)

VmgrBackupManifest *
vmgr_backup_manifest_new (const VmgrVmSpec *spec)
{
  VmgrBackupManifest *manifest = g_new0 (VmgrBackupManifest, 1);

  manifest->format = VMGR_BACKUP_FORMAT;
  manifest->spec = spec != NULL ? vmgr_vm_spec_copy (spec) : vmgr_vm_spec_new ();
  manifest->backend = g_strdup ("");
  manifest->state = g_strdup ("");
  manifest->description = g_strdup ("");
  return manifest;
}

void
vmgr_backup_manifest_free (VmgrBackupManifest *manifest)
{
  if (manifest == NULL)
    return;
  vmgr_vm_spec_free (manifest->spec);
  g_free (manifest->backend);
  g_free (manifest->state);
  g_free (manifest->description);
  g_free (manifest);
}

/* ---- JSON --------------------------------------------------------------- */

static void
add_strv (JsonBuilder *builder, const char *name, char **values)
{
  json_builder_set_member_name (builder, name);
  json_builder_begin_array (builder);
  for (guint i = 0; values != NULL && values[i] != NULL; i++)
    json_builder_add_string_value (builder, values[i]);
  json_builder_end_array (builder);
}

#define ADD_INT(builder, name, value) \
  (json_builder_set_member_name (builder, name), json_builder_add_int_value (builder, value))
#define ADD_STRING(builder, name, value) \
  (json_builder_set_member_name (builder, name), json_builder_add_string_value (builder, value))

static void
add_spec (JsonBuilder *builder, const VmgrVmSpec *spec)
{
  json_builder_set_member_name (builder, "vm");
  json_builder_begin_object (builder);
  ADD_INT (builder, "id", spec->id);
  ADD_STRING (builder, "name", spec->name);
  ADD_STRING (builder, "uuid", spec->uuid);
  ADD_INT (builder, "owner", spec->owner);
  ADD_STRING (builder, "template", spec->template_name);
  ADD_STRING (builder, "plan", spec->plan);
  ADD_INT (builder, "memory_guarantee", (gint64) spec->memory_guarantee);
  ADD_INT (builder, "memory_soft_limit", (gint64) spec->memory_soft_limit);
  ADD_INT (builder, "memory_limit", (gint64) spec->memory_limit);
  ADD_INT (builder, "vcpus", spec->vcpus);
  ADD_INT (builder, "cpu_weight", spec->cpu_weight);
  ADD_INT (builder, "cpu_limit", spec->cpu_limit);
  ADD_INT (builder, "disk_soft_limit", (gint64) spec->disk_soft_limit);
  ADD_INT (builder, "disk_hard_limit", (gint64) spec->disk_hard_limit);
  ADD_STRING (builder, "hostname", spec->hostname);
  add_strv (builder, "addresses", spec->addresses);
  ADD_STRING (builder, "gateway", spec->gateway);
  add_strv (builder, "nameservers", spec->nameservers);
  json_builder_set_member_name (builder, "autostart");
  json_builder_add_boolean_value (builder, spec->autostart);
  json_builder_end_object (builder);
}

char *
vmgr_backup_manifest_to_json (const VmgrBackupManifest *manifest)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (builder);
  ADD_INT (builder, "format", manifest->format);
  ADD_STRING (builder, "backend", manifest->backend);
  ADD_STRING (builder, "state", manifest->state);
  ADD_STRING (builder, "description", manifest->description);
  ADD_INT (builder, "created", manifest->created);
  ADD_INT (builder, "files_bytes", (gint64) manifest->files_bytes);
  add_spec (builder, manifest->spec);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, TRUE);
  return json_generator_to_data (generator, NULL);
}

/* Reading: every member must be there with its type. */
typedef struct {
  JsonObject *object;
  const char *missing;      /* the first member that was absent or mistyped */
} Reader;

static JsonNode *
member (Reader *reader, const char *name, JsonNodeType type, GType value_type)
{
  JsonNode *node = json_object_get_member (reader->object, name);

  if (node != NULL && JSON_NODE_TYPE (node) == type &&
      (type != JSON_NODE_VALUE || json_node_get_value_type (node) == value_type))
    return node;
  if (reader->missing == NULL)
    reader->missing = name;
  return NULL;
}

static gint64
read_int (Reader *reader, const char *name, gint64 max)
{
  JsonNode *node = member (reader, name, JSON_NODE_VALUE, G_TYPE_INT64);
  gint64 value = node != NULL ? json_node_get_int (node) : 0;

  if (node != NULL && (value < 0 || value > max))
    {
      if (reader->missing == NULL)
        reader->missing = name;
      return 0;
    }
  return value;
}

static char *
read_string (Reader *reader, const char *name)
{
  JsonNode *node = member (reader, name, JSON_NODE_VALUE, G_TYPE_STRING);

  return g_strdup (node != NULL ? json_node_get_string (node) : "");
}

static char **
read_strv (Reader *reader, const char *name)
{
  JsonNode *node = member (reader, name, JSON_NODE_ARRAY, G_TYPE_INVALID);
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  JsonArray *array = node != NULL ? json_node_get_array (node) : NULL;

  for (guint i = 0; array != NULL && i < json_array_get_length (array); i++)
    {
      JsonNode *element = json_array_get_element (array, i);

      if (JSON_NODE_TYPE (element) == JSON_NODE_VALUE &&
          json_node_get_value_type (element) == G_TYPE_STRING)
        g_strv_builder_add (builder, json_node_get_string (element));
      else if (reader->missing == NULL)
        reader->missing = name;
    }
  return g_strv_builder_end (builder);
}

static void
read_spec (Reader *reader, VmgrVmSpec *spec)
{
  JsonNode *autostart;

#define REPLACE(field, value) (g_free (field), field = (value))
  spec->id = (guint32) read_int (reader, "id", G_MAXUINT32);
  REPLACE (spec->name, read_string (reader, "name"));
  REPLACE (spec->uuid, read_string (reader, "uuid"));
  spec->owner = (guint32) read_int (reader, "owner", G_MAXUINT32);
  REPLACE (spec->template_name, read_string (reader, "template"));
  REPLACE (spec->plan, read_string (reader, "plan"));
  spec->memory_guarantee = (guint64) read_int (reader, "memory_guarantee", G_MAXINT64);
  spec->memory_soft_limit = (guint64) read_int (reader, "memory_soft_limit", G_MAXINT64);
  spec->memory_limit = (guint64) read_int (reader, "memory_limit", G_MAXINT64);
  spec->vcpus = (guint32) read_int (reader, "vcpus", G_MAXUINT32);
  spec->cpu_weight = (guint32) read_int (reader, "cpu_weight", G_MAXUINT32);
  spec->cpu_limit = (guint32) read_int (reader, "cpu_limit", G_MAXUINT32);
  spec->disk_soft_limit = (guint64) read_int (reader, "disk_soft_limit", G_MAXINT64);
  spec->disk_hard_limit = (guint64) read_int (reader, "disk_hard_limit", G_MAXINT64);
  REPLACE (spec->hostname, read_string (reader, "hostname"));
  REPLACE (spec->addresses, read_strv (reader, "addresses"));
  REPLACE (spec->gateway, read_string (reader, "gateway"));
  REPLACE (spec->nameservers, read_strv (reader, "nameservers"));
#undef REPLACE
  autostart = member (reader, "autostart", JSON_NODE_VALUE, G_TYPE_BOOLEAN);
  spec->autostart = autostart != NULL && json_node_get_boolean (autostart);
}

VmgrBackupManifest *
vmgr_backup_manifest_from_json (const char *text, gssize length, GError **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(VmgrBackupManifest) manifest = vmgr_backup_manifest_new (NULL);
  g_autoptr(GError) local_error = NULL;
  JsonNode *root, *vm;
  Reader reader = { 0 };

  if (!json_parser_load_from_data (parser, text, length, &local_error))
    return g_set_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_ARGUMENT,
                        "its manifest is not JSON: %s", local_error->message), NULL;
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return g_set_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_ARGUMENT,
                        "its manifest is not a JSON object"), NULL;
  reader.object = json_node_get_object (root);
  manifest->format = (guint) read_int (&reader, "format", G_MAXUINT32);
  if (reader.missing == NULL && manifest->format != VMGR_BACKUP_FORMAT)
    return g_set_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_ARGUMENT,
                        "its manifest has format %u; this vmgr reads format %u",
                        manifest->format, VMGR_BACKUP_FORMAT), NULL;
  g_free (manifest->backend);
  manifest->backend = read_string (&reader, "backend");
  g_free (manifest->state);
  manifest->state = read_string (&reader, "state");
  g_free (manifest->description);
  manifest->description = read_string (&reader, "description");
  manifest->created = read_int (&reader, "created", G_MAXINT64);
  manifest->files_bytes = (guint64) read_int (&reader, "files_bytes", G_MAXINT64);
  vm = member (&reader, "vm", JSON_NODE_OBJECT, G_TYPE_INVALID);
  if (vm != NULL)
    {
      Reader vm_reader = { .object = json_node_get_object (vm) };

      read_spec (&vm_reader, manifest->spec);
      reader.missing = reader.missing != NULL ? reader.missing : vm_reader.missing;
    }
  if (reader.missing != NULL)
    return g_set_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_ARGUMENT,
                        "its manifest lacks '%s' or has it of the wrong type", reader.missing),
           NULL;
  if (manifest->spec->id == 0 || !g_uuid_string_is_valid (manifest->spec->uuid) ||
      *manifest->spec->name == '\0' || manifest->spec->memory_limit == 0 ||
      manifest->spec->vcpus == 0)
    return g_set_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_ARGUMENT,
                        "its manifest describes no valid VM"), NULL;
  return g_steal_pointer (&manifest);
}

/* ---- Names -------------------------------------------------------------- */

char *
vmgr_backup_archive_name (const VmgrVmSpec *spec, gint64 created)
{
  g_autoptr(GDateTime) time = g_date_time_new_from_unix_utc (created / G_USEC_PER_SEC);
  g_autofree char *stamp = g_date_time_format (time, "%Y%m%dT%H%M%SZ");

  return g_strdup_printf ("%s-%u-%s%s", spec->name, spec->id, stamp, VMGR_BACKUP_SUFFIX);
}

gboolean
vmgr_backup_check_archive_name (const char *name, GError **error)
{
  if (strchr (name, '/') != NULL || name[0] == '.' || strlen (name) > 255 ||
      !g_utf8_validate (name, -1, NULL))
    return g_set_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_ARGUMENT,
                        "'%s' is not an archive name: a file name in the backup directory, "
                        "without '/' and not starting with '.'", name), FALSE;
  if (!g_str_has_suffix (name, VMGR_BACKUP_SUFFIX) ||
      strlen (name) == strlen (VMGR_BACKUP_SUFFIX))
    return g_set_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_ARGUMENT,
                        "'%s' is not a vmgr backup: its name does not end in %s", name,
                        VMGR_BACKUP_SUFFIX), FALSE;
  return TRUE;
}

/* ---- tar ---------------------------------------------------------------- */

/* Runs @argv, following its checkpoints on stderr as progress of @bytes;
 * the last other line of stderr is the error message. Killed when
 * @cancellable fires. */
static gboolean
run_tar (const char * const *argv, guint64 bytes, VmgrBackupProgress progress,
         gpointer progress_data, GCancellable *cancellable, GError **error)
{
  g_autoptr(GSubprocessLauncher) launcher = vmgr_tool_launcher_new (
    G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr(GSubprocess) tar = g_subprocess_launcher_spawnv (launcher, argv, error);
  g_autoptr(GDataInputStream) lines = NULL;
  g_autofree char *last_error = NULL;
  g_autoptr(GError) read_error = NULL;
  char *line;

  if (tar == NULL)
    return FALSE;
  lines = g_data_input_stream_new (g_subprocess_get_stderr_pipe (tar));
  while ((line = g_data_input_stream_read_line (lines, NULL, cancellable, &read_error)) != NULL)
    {
      const char *mark = strstr (line, "#");
      guint64 checkpoint;

      if (g_str_has_prefix (line, "tar: #") &&
          g_ascii_string_to_unsigned (mark + 1, 10, 0, G_MAXUINT64, &checkpoint, NULL))
        {
          if (progress != NULL && bytes > 0)
            progress (MIN (1.0, (double) checkpoint * RECORD / (double) bytes), progress_data);
        }
      else
        {
          g_free (last_error);
          last_error = g_strdup (line);
        }
      g_free (line);
    }
  if (read_error != NULL)
    {
      g_subprocess_force_exit (tar);
      g_subprocess_wait (tar, NULL, NULL);
      g_propagate_error (error, g_steal_pointer (&read_error));
      return FALSE;
    }
  if (!g_subprocess_wait (tar, NULL, error))
    return FALSE;
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;
  if (!g_subprocess_get_successful (tar))
    return g_set_error (error, VMGR_ERROR, VMGR_ERROR_FAILED, "tar failed: %s",
                        last_error != NULL ? last_error : "no message"), FALSE;
  return TRUE;
}

gboolean
vmgr_backup_archive_write (const char *staging, const char *archive, guint64 bytes,
                           VmgrBackupProgress progress, gpointer progress_data,
                           GCancellable *cancellable, GError **error)
{
  g_autofree char *dir = g_path_get_dirname (archive);
  g_autofree char *base = g_path_get_basename (archive);
  g_autofree char *partial_name = g_strdup_printf (".%s.partial", base);
  g_autofree char *partial = g_build_filename (dir, partial_name, NULL);
  g_autofree char *checkpoint = g_strdup_printf ("--checkpoint=%d", CHECKPOINT);
  const char * const argv[] = {
    "tar", "--create", "--sparse", "--zstd", "--numeric-owner", "--xattrs",
    "--xattrs-include=*", checkpoint, "--checkpoint-action=echo=#%u", "--file", partial,
    "--directory", staging, VMGR_BACKUP_MANIFEST, VMGR_BACKUP_DOMAIN, VMGR_BACKUP_FILES, NULL,
  };

  if (!run_tar (argv, bytes, progress, progress_data, cancellable, error))
    {
      g_unlink (partial);
      return FALSE;
    }
  if (g_rename (partial, archive) != 0)
    {
      int saved = errno;

      g_unlink (partial);
      return g_set_error (error, VMGR_ERROR, VMGR_ERROR_FAILED, "cannot rename %s to %s: %s",
                          partial, archive, g_strerror (saved)), FALSE;
    }
  return TRUE;
}

VmgrBackupManifest *
vmgr_backup_archive_read_manifest (const char *archive, GCancellable *cancellable,
                                   GError **error)
{
  const char * const argv[] = {
    "tar", "--extract", "--zstd", "--to-stdout", "--occurrence=1", "--file", archive,
    VMGR_BACKUP_MANIFEST, NULL,
  };
  g_autoptr(GSubprocess) tar = NULL;
  g_autoptr(GBytes) out = NULL;
  g_autofree char *base = g_path_get_basename (archive);
  GStatBuf st;

  if (g_lstat (archive, &st) != 0 || !S_ISREG (st.st_mode))
    return g_set_error (error, VMGR_ERROR, VMGR_ERROR_NOT_FOUND,
                        "there is no backup '%s'", base), NULL;
  tar = vmgr_tool_run (NULL, argv, &out, NULL, cancellable, error);
  if (tar == NULL)
    return NULL;
  if (!g_subprocess_get_successful (tar) || g_bytes_get_size (out) == 0 ||
      g_bytes_get_size (out) > MANIFEST_MAX)
    return g_set_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_ARGUMENT,
                        "'%s' is not a vmgr backup: it has no readable manifest", base), NULL;
  return vmgr_backup_manifest_from_json (g_bytes_get_data (out, NULL),
                                         (gssize) g_bytes_get_size (out), error);
}

gboolean
vmgr_backup_archive_extract (const char *archive, const char *into, guint64 bytes,
                             VmgrBackupProgress progress, gpointer progress_data,
                             GCancellable *cancellable, GError **error)
{
  g_autofree char *checkpoint = g_strdup_printf ("--checkpoint=%d", CHECKPOINT);
  const char * const argv[] = {
    "tar", "--extract", "--zstd", "--numeric-owner", "--same-owner", "--same-permissions",
    "--xattrs", "--xattrs-include=*", checkpoint, "--checkpoint-action=echo=#%u",
    "--file", archive, "--directory", into, NULL,
  };

  return run_tar (argv, bytes, progress, progress_data, cancellable, error);
}
