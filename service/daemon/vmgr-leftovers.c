#include "vmgr-leftovers.h"

#include <errno.h>
#include <glib/gstdio.h>

#include "vmgr-provision.h"

#define TRASH_PREFIX ".leftovers-"

static gboolean
is_leftover (const char *name)
{
  return g_str_has_prefix (name, ".backup-") || g_str_has_prefix (name, ".restore-") ||
         g_str_has_prefix (name, TRASH_PREFIX);
}

static void
move_to_trash (const char *path, const char *trash, guint *moved)
{
  g_autofree char *name = g_strdup_printf ("%u", (*moved)++);
  g_autofree char *target = g_build_filename (trash, name, NULL);

  if (g_rename (path, target) != 0)
    g_warning ("cannot move the leftover %s away: %s", path, g_strerror (errno));
  else
    g_message ("removing %s, left by an operation that vmgrd did not finish", path);
}

/* Moves the entries of @dir that @wanted accepts (all when NULL). */
static void
collect (const char *dir, gboolean (*wanted) (const char *name), const char *trash,
         guint *moved)
{
  g_autoptr(GDir) entries = g_dir_open (dir, 0, NULL);
  g_autoptr(GPtrArray) found = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  if (entries == NULL)
    return;
  while ((name = g_dir_read_name (entries)) != NULL)
    if (wanted == NULL || wanted (name))
      g_ptr_array_add (found, g_build_filename (dir, name, NULL));
  for (guint i = 0; i < found->len; i++)
    if (g_strcmp0 (g_ptr_array_index (found, i), trash) != 0)
      move_to_trash (g_ptr_array_index (found, i), trash, moved);
}

static gboolean
is_partial_archive (const char *name)
{
  return name[0] == '.' && g_str_has_suffix (name, ".partial");
}

static void
remove_trash (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  g_autoptr(GError) error = NULL;

  if (!vmgr_provision_remove_tree (data, &error))
    g_warning ("cannot remove %s: %s", (const char *) data, error->message);
  g_task_return_boolean (task, TRUE);
}

void
vmgr_leftovers_sweep (const VmgrConfig *config)
{
  g_autofree char *template = g_build_filename (config->state_dir, TRASH_PREFIX "XXXXXX", NULL);
  g_autofree char *staging = g_build_filename (config->state_dir, "staging", NULL);
  g_autofree char *backups = vmgr_config_get_backup_dir (config);
  g_autofree char *default_backups = g_build_filename (config->state_dir, "backups", NULL);
  g_autoptr(GTask) task = NULL;
  guint moved = 0;

  if (g_mkdtemp (template) == NULL)
    {
      g_warning ("cannot make %s: %s", template, g_strerror (errno));
      return;
    }
  collect (config->state_dir, is_leftover, template, &moved);
  collect (staging, NULL, template, &moved);
  /* Another vmgrd may share a backup directory of its own choosing. */
  if (g_str_equal (backups, default_backups))
    collect (backups, is_partial_archive, template, &moved);
  task = g_task_new (NULL, NULL, NULL, NULL);
  g_task_set_task_data (task, g_steal_pointer (&template), g_free);
  g_task_run_in_thread (task, remove_trash);
}
