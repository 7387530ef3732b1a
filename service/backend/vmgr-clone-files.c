#include "vmgr-clone-files.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmgr-error.h"
#include "vmgr-file-copy.h"
#include "vmgr-tool.h"

static gboolean
errno_error (GError **error, int saved, const char *what, const char *path)
{
  g_set_error (error, VMGR_ERROR, VMGR_ERROR_FAILED, "cannot %s %s: %s", what, path,
               g_strerror (saved));
  return FALSE;
}

/* ---- qcow2 internal snapshots ------------------------------------------- */

/* The tags of `qemu-img snapshot -l`: a header line, then one line per
 * snapshot whose second column is its tag (vmgr's names have no spaces). */
static GStrv
parse_snapshot_tags (const char *listing)
{
  g_auto(GStrv) lines = g_strsplit (listing, "\n", -1);
  g_autoptr(GStrvBuilder) tags = g_strv_builder_new ();

  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_auto(GStrv) columns = g_regex_split_simple ("\\s+", g_strstrip (lines[i]), 0, 0);

      if (g_strv_length (columns) >= 2 && g_ascii_isdigit (columns[0][0]))
        g_strv_builder_add (tags, columns[1]);
    }
  return g_strv_builder_end (tags);
}

gboolean
vmgr_clone_apply_qcow2_snapshot (const char *disk, const char *name, GCancellable *cancellable,
                                 GError **error)
{
  const char *apply[] = { "qemu-img", "snapshot", "-a", name, disk, NULL };
  const char *list[] = { "qemu-img", "snapshot", "-l", disk, NULL };
  g_autofree char *listing = NULL;
  g_auto(GStrv) tags = NULL;

  if (!vmgr_tool_run_checked (apply, NULL, cancellable, error) ||
      !vmgr_tool_run_checked (list, &listing, cancellable, error))
    return FALSE;
  tags = parse_snapshot_tags (listing);
  for (guint i = 0; tags[i] != NULL; i++)
    {
      const char *remove[] = { "qemu-img", "snapshot", "-d", tags[i], disk, NULL };

      if (!vmgr_tool_run_checked (remove, NULL, cancellable, error))
        return FALSE;
    }
  return TRUE;
}

/* ---- The guest directory ------------------------------------------------ */

typedef struct {
  char *from;
  char *to;
  guint64 bytes;
} Entry;

static void
entry_free (Entry *entry)
{
  g_free (entry->from);
  g_free (entry->to);
  g_free (entry);
}

typedef struct {
  char *from_dir;
  char *to_dir;
  char *snapshot;
  char *root;
  char *disk;
  VmgrVmSpec *spec;
  VmgrProgressFunc progress;
  gpointer progress_data;
  /* while copying: */
  guint64 total;
  guint64 done;
  guint64 current;
} Clone;

static void
clone_free (Clone *clone)
{
  g_free (clone->from_dir);
  g_free (clone->to_dir);
  g_free (clone->snapshot);
  g_free (clone->root);
  g_free (clone->disk);
  vmgr_vm_spec_free (clone->spec);
  g_free (clone);
}

static void
entry_progress (double fraction, gpointer data)
{
  Clone *clone = data;

  if (clone->progress != NULL && clone->total > 0)
    clone->progress ((clone->done + fraction * clone->current) / (double) clone->total,
                     clone->progress_data);
}

static Entry *
entry_new (const char *from, const char *to)
{
  Entry *entry = g_new0 (Entry, 1);
  guint count = 0;

  entry->from = g_strdup (from);
  entry->to = g_strdup (to);
  vmgr_provision_measure_tree (from, &count, &entry->bytes);
  return entry;
}

/* What to copy: every entry of the source directory but snapshots/ and,
 * from an image snapshot, the root image (the snapshot's image takes its
 * place). An image snapshot is how a guest whose root is one image file
 * keeps its snapshots; a snapshot kept otherwise (qcow2) is applied to the
 * copy afterwards. */
static GPtrArray *
list_entries (Clone *clone, gboolean *image_snapshot, GError **error)
{
  g_autoptr(GPtrArray) entries = g_ptr_array_new_with_free_func ((GDestroyNotify) entry_free);
  g_autoptr(GDir) dir = g_dir_open (clone->from_dir, 0, error);
  g_autofree char *image = NULL;
  const char *name;

  if (dir == NULL)
    return NULL;
  *image_snapshot = FALSE;
  if (clone->snapshot != NULL)
    {
      g_autofree char *file = g_strconcat (clone->snapshot, ".img", NULL);

      image = g_build_filename (clone->from_dir, VMGR_CLONE_SNAPSHOTS_DIR, file, NULL);
      *image_snapshot = g_file_test (image, G_FILE_TEST_IS_REGULAR);
    }
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *from = g_build_filename (clone->from_dir, name, NULL);
      g_autofree char *to = g_build_filename (clone->to_dir, name, NULL);

      if (g_str_equal (name, VMGR_CLONE_SNAPSHOTS_DIR) ||
          (*image_snapshot && g_str_equal (name, VMGR_CLONE_ROOT_IMAGE)))
        continue;
      g_ptr_array_add (entries, entry_new (from, to));
    }
  if (*image_snapshot)
    {
      g_autofree char *to = g_build_filename (clone->to_dir, VMGR_CLONE_ROOT_IMAGE, NULL);

      g_ptr_array_add (entries, entry_new (image, to));
    }
  return g_steal_pointer (&entries);
}

/* The copy is made by vmgrd (root): each entry gets the owner of the one
 * it copies, and its mode again (chown clears set-id bits). The guest of
 * neither tree runs, and the copy is vmgrd's own: paths are safe here. */
static gboolean
copy_owners (const char *from, const char *to, GError **error)
{
  struct stat st;

  /* What copy_tree skips (device nodes, sockets) has no copy. */
  if (lstat (to, &st) != 0 && errno == ENOENT)
    return TRUE;
  if (lstat (from, &st) != 0)
    return errno_error (error, errno, "read", from);
  if (lchown (to, st.st_uid, st.st_gid) != 0)
    return errno_error (error, errno, "give its owner to", to);
  if (!S_ISLNK (st.st_mode) && chmod (to, st.st_mode & 07777) != 0)
    return errno_error (error, errno, "set the mode of", to);
  if (S_ISDIR (st.st_mode))
    {
      g_autoptr(GDir) dir = g_dir_open (from, 0, error);
      const char *name;

      if (dir == NULL)
        return FALSE;
      while ((name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child_from = g_build_filename (from, name, NULL);
          g_autofree char *child_to = g_build_filename (to, name, NULL);

          if (!copy_owners (child_from, child_to, error))
            return FALSE;
        }
    }
  return TRUE;
}

static gboolean
copy_entry (Clone *clone, const Entry *entry, GCancellable *cancellable, GError **error)
{
  struct stat st;

  if (lstat (entry->from, &st) != 0)
    return errno_error (error, errno, "read", entry->from);
  clone->current = entry->bytes;
  if (S_ISDIR (st.st_mode))
    return vmgr_provision_copy_tree (entry->from, entry->to, entry_progress, clone, cancellable,
                                     error);
  if (S_ISREG (st.st_mode))
    return vmgr_file_copy (entry->from, entry->to, st.st_mode & 07777, entry_progress, clone,
                           cancellable, error);
  if (S_ISLNK (st.st_mode))
    {
      g_autofree char *target = g_file_read_link (entry->from, error);

      return target != NULL &&
             (symlink (target, entry->to) == 0 || errno_error (error, errno, "create", entry->to));
    }
  return TRUE;  /* sockets, fifos: nothing a guest needs again */
}

static gboolean
make_clone_dir (Clone *clone, GError **error)
{
  struct stat st;

  if (stat (clone->from_dir, &st) != 0)
    return errno_error (error, errno, "read", clone->from_dir);
  if (mkdir (clone->to_dir, st.st_mode & 07777) != 0)
    return errno_error (error, errno, "create", clone->to_dir);
  /* mkdir's mode is filtered by the umask: the guest's user must get
   * through as it gets through the source's (see vmgr-provision.c). */
  return chmod (clone->to_dir, st.st_mode & 07777) == 0 ||
         errno_error (error, errno, "open up", clone->to_dir);
}

static gboolean
clone_files (Clone *clone, GCancellable *cancellable, GError **error)
{
  gboolean image_snapshot = FALSE;
  g_autoptr(GPtrArray) entries = NULL;

  /* A guest without files of its own (the test driver's) whose directory
   * holds nothing: the clone is its definition alone. */
  if (*clone->root == '\0' && *clone->disk == '\0' &&
      !g_file_test (clone->from_dir, G_FILE_TEST_IS_DIR))
    return TRUE;
  entries = list_entries (clone, &image_snapshot, error);
  if (entries == NULL || !make_clone_dir (clone, error))
    return FALSE;
  for (guint i = 0; i < entries->len; i++)
    clone->total += ((Entry *) g_ptr_array_index (entries, i))->bytes;
  for (guint i = 0; i < entries->len; i++)
    {
      const Entry *entry = g_ptr_array_index (entries, i);

      if (!copy_entry (clone, entry, cancellable, error) ||
          !copy_owners (entry->from, entry->to, error))
        return FALSE;
      clone->done += entry->bytes;
    }
  if (clone->snapshot != NULL && !image_snapshot && (*clone->disk != '\0' || *clone->root != '\0'))
    {
      if (*clone->disk == '\0' || !g_file_test (clone->disk, G_FILE_TEST_IS_REGULAR))
        return g_set_error (error, VMGR_ERROR, VMGR_ERROR_NOT_SUPPORTED,
                            "snapshot '%s' is neither a qcow2 internal snapshot nor a root "
                            "image snapshot: it cannot be cloned", clone->snapshot), FALSE;
      if (!vmgr_clone_apply_qcow2_snapshot (clone->disk, clone->snapshot, cancellable, error))
        return FALSE;
    }
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;
  return *clone->root == '\0' || vmgr_provision_write_network (clone->root, clone->spec, error);
}

static void
clone_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  GError *error = NULL;

  if (clone_files (data, cancellable, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

void
vmgr_clone_files_async (const VmgrCloneFiles *files, VmgrProgressFunc progress,
                        gpointer progress_data, GCancellable *cancellable,
                        GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  Clone *clone = g_new0 (Clone, 1);

  clone->from_dir = g_strdup (files->from_dir);
  clone->to_dir = g_strdup (files->to_dir);
  clone->snapshot = g_strdup (files->snapshot);
  clone->root = g_strdup (files->root);
  clone->disk = g_strdup (files->disk);
  clone->spec = vmgr_vm_spec_copy (files->spec);
  clone->progress = progress;
  clone->progress_data = progress_data;
  g_task_set_source_tag (task, vmgr_clone_files_async);
  g_task_set_task_data (task, clone, (GDestroyNotify) clone_free);
  g_task_run_in_thread (task, clone_thread);
}

gboolean
vmgr_clone_files_finish (GAsyncResult *result, GError **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}
