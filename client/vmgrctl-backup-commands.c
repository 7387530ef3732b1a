/* backup, backups, restore, backup-delete (issue 13): VM.Backup and
 * Manager.RestoreBackup as jobs followed with the progress bar create
 * shows (Ctrl-C cancels), Manager.ListBackups as a table or JSON,
 * Manager.DeleteBackup; and migrate (issue 14), VM.Migrate, a job followed
 * the same way. */
#include "vmgrctl-commands.h"

#include <glib-unix.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include "vmgrctl-errors.h"
#include "vmgrctl-output.h"
#include "vmgrctl-progress.h"
#include "vmgrctl-units.h"

#define JOB_INTERFACE "org.vmgr.Job"

/* ---- Following a job ------------------------------------------------------ */

typedef struct {
  VmgrctlContext *ctx;
  char *path;               /* NULL until the call that starts it answers */
  const char *name;
  VmgrctlProgress progress;
  gboolean done, success, interrupted;
  char *error;
  /* Completed signals that came before the path was known. */
  GHashTable *early;
  /* Each job's Target, from InterfacesAdded (a job may end before it can
   * be read). */
  GHashTable *targets;
  guint subscriptions[3];
} JobFollow;

static void
show (char *text)
{
  if (text != NULL && text[0] != '\0')
    {
      g_printerr ("%s", text);
      fflush (stderr);
    }
  g_free (text);
}

static void
on_completed (GDBusConnection *connection, const char *sender, const char *path,
              const char *interface, const char *member, GVariant *parameters, gpointer data)
{
  JobFollow *self = data;
  gboolean success;
  const char *error;

  g_variant_get (parameters, "(b&s)", &success, &error);
  if (self->path == NULL)
    {
      g_hash_table_insert (self->early, g_strdup (path), success ? NULL : g_strdup (error));
      return;
    }
  if (self->done || g_strcmp0 (path, self->path) != 0)
    return;
  self->done = TRUE;
  self->success = success;
  self->error = g_strdup (error);
}

static void
on_properties_changed (GDBusConnection *connection, const char *sender, const char *path,
                       const char *interface, const char *member, GVariant *parameters,
                       gpointer data)
{
  JobFollow *self = data;
  g_autoptr(GVariant) changed = NULL;
  double progress;

  if (self->path == NULL || self->done || g_strcmp0 (path, self->path) != 0)
    return;
  g_variant_get (parameters, "(&s@a{sv}@as)", NULL, &changed, NULL);
  if (g_variant_lookup (changed, "Progress", "d", &progress))
    show (vmgrctl_progress_update (&self->progress, self->name, progress));
}

static void
on_interfaces_added (GDBusConnection *connection, const char *sender, const char *path,
                     const char *interface, const char *member, GVariant *parameters,
                     gpointer data)
{
  JobFollow *self = data;
  const char *object;
  g_autoptr(GVariant) interfaces = NULL;
  g_autoptr(GVariant) job = NULL;
  const char *target;

  g_variant_get (parameters, "(&o@a{sa{sv}})", &object, &interfaces);
  job = g_variant_lookup_value (interfaces, JOB_INTERFACE, G_VARIANT_TYPE_VARDICT);
  if (job != NULL && g_variant_lookup (job, "Target", "&o", &target))
    g_hash_table_insert (self->targets, g_strdup (object), g_strdup (target));
}

/* Subscribed before the call that starts the job: its end is not missed. */
static void
job_follow_init (JobFollow *self, VmgrctlContext *ctx, const char *verb, const char *name)
{
  self->ctx = ctx;
  self->name = name;
  self->early = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->targets = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  vmgrctl_progress_init (&self->progress, isatty (STDERR_FILENO));
  self->progress.verb = verb;
  self->subscriptions[0] =
    g_dbus_connection_signal_subscribe (ctx->connection, VMGRCTL_BUS_NAME, JOB_INTERFACE,
                                        "Completed", NULL, NULL, G_DBUS_SIGNAL_FLAGS_NONE,
                                        on_completed, self, NULL);
  self->subscriptions[1] =
    g_dbus_connection_signal_subscribe (ctx->connection, VMGRCTL_BUS_NAME,
                                        "org.freedesktop.DBus.Properties", "PropertiesChanged",
                                        NULL, JOB_INTERFACE, G_DBUS_SIGNAL_FLAGS_NONE,
                                        on_properties_changed, self, NULL);
  self->subscriptions[2] =
    g_dbus_connection_signal_subscribe (ctx->connection, VMGRCTL_BUS_NAME,
                                        "org.freedesktop.DBus.ObjectManager", "InterfacesAdded",
                                        VMGRCTL_OBJECT_MANAGER_PATH, NULL,
                                        G_DBUS_SIGNAL_FLAGS_NONE, on_interfaces_added, self,
                                        NULL);
}

static void
job_follow_clear (JobFollow *self)
{
  for (guint i = 0; i < G_N_ELEMENTS (self->subscriptions); i++)
    if (self->subscriptions[i] != 0)
      g_dbus_connection_signal_unsubscribe (self->ctx->connection, self->subscriptions[i]);
  g_clear_pointer (&self->early, g_hash_table_unref);
  g_clear_pointer (&self->targets, g_hash_table_unref);
  g_free (self->path);
  g_free (self->error);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (JobFollow, job_follow_clear)

static gboolean
on_interrupt (gpointer data)
{
  ((JobFollow *) data)->interrupted = TRUE;
  return G_SOURCE_CONTINUE;
}

static int
cancel_job (JobFollow *self, const char *what)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply =
    g_dbus_connection_call_sync (self->ctx->connection, VMGRCTL_BUS_NAME, self->path,
                                 JOB_INTERFACE, "Cancel", NULL, NULL, G_DBUS_CALL_FLAGS_NONE, -1,
                                 NULL, &error);

  if (reply == NULL)
    return vmgrctl_fail (error, "cannot cancel the %s of '%s'", what, self->name);
  g_printerr ("vmgrctl: %s of '%s' cancelled\n", what, self->name);
  return VMGRCTL_EXIT_INTERRUPTED;
}

/* Follows the job at @path until it completes or Ctrl-C (which cancels
 * it); @what names it in messages ("backup"). No timeout: a backup takes
 * the time its data takes. */
static int
job_follow_run (JobFollow *self, const char *path, const char *what)
{
  guint interrupt_source;
  char *early_error = NULL;

  self->path = g_strdup (path);
  if (g_hash_table_lookup_extended (self->early, path, NULL, (gpointer *) &early_error))
    {
      self->done = TRUE;
      self->success = early_error == NULL;
      self->error = g_strdup (early_error);
    }
  /* Drawn once Ctrl-C is caught: from here on it cancels the job. */
  interrupt_source = g_unix_signal_add (SIGINT, on_interrupt, self);
  show (vmgrctl_progress_update (&self->progress, self->name, 0.0));
  while (!self->done && !self->interrupted)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (interrupt_source);
  if (self->done && self->success)
    {
      show (vmgrctl_progress_finish (&self->progress, self->name));
      return VMGRCTL_EXIT_OK;
    }
  g_printerr ("%s", vmgrctl_progress_end_line (&self->progress));
  if (self->interrupted)
    return cancel_job (self, what);
  g_printerr ("vmgrctl: %s of '%s' failed: %s\n", what, self->name,
              self->error != NULL && *self->error != '\0' ? self->error : "unknown error");
  return VMGRCTL_EXIT_FAILURE;
}

/* ---- ListBackups ----------------------------------------------------------- */

static GVariant *
list_backups (VmgrDBusManager *manager, GError **error)
{
  GVariant *list = NULL;

  if (!vmgr_dbus_manager_call_list_backups_sync (manager, &list, NULL, error))
    return NULL;
  return list;
}

/* The newest valid archive of the VM @id, or NULL. */
static char *
newest_archive (VmgrDBusManager *manager, guint32 id)
{
  g_autoptr(GVariant) list = list_backups (manager, NULL);
  g_autofree char *newest = NULL;
  gint64 newest_time = -1;
  GVariantIter iter;
  GVariant *entry;

  if (list == NULL)
    return NULL;
  g_variant_iter_init (&iter, list);
  while ((entry = g_variant_iter_next_value (&iter)) != NULL)
    {
      const char *name = NULL;
      guint32 vm_id = 0;
      gint64 created = 0;

      if (g_variant_lookup (entry, "archive", "&s", &name) &&
          g_variant_lookup (entry, "vm_id", "u", &vm_id) && vm_id == id &&
          g_variant_lookup (entry, "created", "x", &created) && created > newest_time)
        {
          newest_time = created;
          g_free (newest);
          newest = g_strdup (name);
        }
      g_variant_unref (entry);
    }
  return g_steal_pointer (&newest);
}

static const char *
text_of (GVariant *entry, const char *key)
{
  const char *value = "";

  g_variant_lookup (entry, key, "&s", &value);
  return value;
}

static void
print_table (GVariant *list)
{
  const char *const headers[] = {
    "ARCHIVE", "VM", "ID", "OWNER", "CREATED", "STATE", "SIZE", "DESCRIPTION", NULL
  };
  g_autoptr(VmgrctlTable) table = vmgrctl_table_new (headers, 0);
  g_autofree char *text = NULL;
  GVariantIter iter;
  GVariant *entry;

  g_variant_iter_init (&iter, list);
  while ((entry = g_variant_iter_next_value (&iter)) != NULL)
    {
      gboolean valid = FALSE;
      guint32 id = 0, owner = 0;
      gint64 created = 0;
      guint64 size = 0;
      g_autofree char *id_text = NULL;
      g_autofree char *owner_text = NULL;
      g_autofree char *created_text = NULL;
      g_autofree char *size_text = NULL;
      g_autofree char *invalid = NULL;

      g_variant_lookup (entry, "valid", "b", &valid);
      g_variant_lookup (entry, "vm_id", "u", &id);
      g_variant_lookup (entry, "owner", "u", &owner);
      g_variant_lookup (entry, "created", "x", &created);
      g_variant_lookup (entry, "size", "t", &size);
      size_text = vmgrctl_format_size (size);
      if (valid)
        {
          id_text = g_strdup_printf ("%u", id);
          owner_text = g_strdup_printf ("%u", owner);
          created_text = vmgrctl_format_time_local (created);
        }
      else
        invalid = g_strdup_printf ("(not valid: %s)", text_of (entry, "reason"));
      {
        const char *cells[] = {
          text_of (entry, "archive"), valid ? text_of (entry, "vm_name") : "-",
          valid ? id_text : "-", valid ? owner_text : "-", valid ? created_text : "-",
          valid ? text_of (entry, "state") : "-", size_text,
          valid ? text_of (entry, "description") : invalid,
        };

        vmgrctl_table_add_row (table, cells);
      }
      g_variant_unref (entry);
    }
  text = vmgrctl_table_render (table);
  vmgrctl_print (text);
}

static JsonNode *
backups_to_json (GVariant *list)
{
  g_autoptr(JsonArray) array = json_array_new ();
  JsonNode *node = json_node_new (JSON_NODE_ARRAY);
  GVariantIter iter;
  GVariant *entry;

  g_variant_iter_init (&iter, list);
  while ((entry = g_variant_iter_next_value (&iter)) != NULL)
    {
      JsonObject *object = json_object_new ();
      JsonNode *element = json_node_new (JSON_NODE_OBJECT);
      gint64 created;

      vmgrctl_json_add_vardict (object, entry);
      if (g_variant_lookup (entry, "created", "x", &created))
        {
          g_autofree char *iso = vmgrctl_format_time_iso8601 (created);

          json_object_set_string_member (object, "created", iso);
          json_object_set_int_member (object, "created_usec", created);
        }
      json_node_take_object (element, object);
      json_array_add_element (array, element);
      g_variant_unref (entry);
    }
  json_node_set_array (node, array);
  return node;
}

int
vmgrctl_cmd_backups (VmgrctlContext *ctx, const VmgrctlCommand *cmd, char **argv)
{
  g_auto(GStrv) args = NULL;
  VmgrDBusManager *manager = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) list = NULL;
  int status = vmgrctl_command_parse_and_connect (ctx, cmd, NULL, argv, &args, &manager);

  if (status != VMGRCTL_EXIT_OK)
    return status;
  list = list_backups (manager, &error);
  if (list == NULL)
    return vmgrctl_fail (error, "cannot list the backups");
  if (ctx->json)
    {
      g_autoptr(JsonNode) node = backups_to_json (list);

      vmgrctl_print_json (node);
    }
  else
    print_table (list);
  return VMGRCTL_EXIT_OK;
}

/* ---- backup, restore, backup-delete --------------------------------------- */

int
vmgrctl_cmd_backup (VmgrctlContext *ctx, const VmgrctlCommand *cmd, char **argv)
{
  g_autofree char *description = NULL;
  const GOptionEntry entries[] = {
    { "description", 0, 0, G_OPTION_ARG_STRING, &description, "What the backup is for", "TEXT" },
    { NULL }
  };
  g_auto(GStrv) args = NULL;
  g_autoptr(VmgrDBusVM) vm = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *job = NULL;
  g_autofree char *archive = NULL;
  g_auto(JobFollow) follow = { 0 };
  GVariantDict options;
  int status = vmgrctl_command_parse (ctx, cmd, entries, NULL, argv, &args);

  if (status != VMGRCTL_EXIT_OK ||
      (status = vmgrctl_context_lookup_vm (ctx, args[0], &vm)) != VMGRCTL_EXIT_OK)
    return status;
  g_variant_dict_init (&options, NULL);
  if (description != NULL)
    g_variant_dict_insert (&options, "description", "s", description);
  job_follow_init (&follow, ctx, "Backing up", vmgr_dbus_vm_get_name (vm));
  if (!vmgr_dbus_vm_call_backup_sync (vm, g_variant_dict_end (&options), &job, NULL, &error))
    return vmgrctl_fail (error, "cannot back up VM '%s'", args[0]);
  if (ctx->no_wait)
    {
      vmgrctl_print (job);
      vmgrctl_print ("\n");
      return VMGRCTL_EXIT_OK;
    }
  status = job_follow_run (&follow, job, "backup");
  if (status != VMGRCTL_EXIT_OK)
    return status;
  archive = newest_archive (ctx->manager, vmgr_dbus_vm_get_id (vm));
  if (archive != NULL)
    {
      vmgrctl_print (archive);
      vmgrctl_print ("\n");
    }
  return VMGRCTL_EXIT_OK;
}

int
vmgrctl_cmd_restore (VmgrctlContext *ctx, const VmgrctlCommand *cmd, char **argv)
{
  g_autofree char *owner = NULL;
  const GOptionEntry entries[] = {
    { "owner", 0, 0, G_OPTION_ARG_STRING, &owner, "Who owns the restored VM", "USER|UID" },
    { NULL }
  };
  g_auto(GStrv) args = NULL;
  VmgrDBusManager *manager = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *job = NULL;
  g_autoptr(VmgrDBusJob) proxy = NULL;
  g_auto(JobFollow) follow = { 0 };
  GVariantDict options;
  const char *name;
  const char *target;
  int status = vmgrctl_command_parse_and_connect (ctx, cmd, entries, argv, &args, &manager);

  if (status != VMGRCTL_EXIT_OK)
    return status;
  if (g_strv_length (args) > 2)
    return vmgrctl_command_usage_error (cmd, "at most ARCHIVE and NAME");
  name = args[1] != NULL ? args[1] : "";
  g_variant_dict_init (&options, NULL);
  if (owner != NULL)
    {
      guint32 uid;

      if (!vmgrctl_context_resolve_user (ctx, owner, &uid, &error))
        {
          g_variant_dict_clear (&options);
          return vmgrctl_command_fail (cmd, error);
        }
      g_variant_dict_insert (&options, "owner", "u", uid);
    }
  job_follow_init (&follow, ctx, "Restoring", *name != '\0' ? name : args[0]);
  if (!vmgr_dbus_manager_call_restore_backup_sync (manager, args[0], name,
                                                   g_variant_dict_end (&options), &job, NULL,
                                                   &error))
    return vmgrctl_fail (error, "cannot restore '%s'", args[0]);
  proxy = vmgr_dbus_job_proxy_new_sync (ctx->connection, G_DBUS_PROXY_FLAGS_NONE,
                                        VMGRCTL_BUS_NAME, job, NULL, NULL);
  if (ctx->no_wait)
    {
      vmgrctl_print (job);
      vmgrctl_print ("\n");
      return VMGRCTL_EXIT_OK;
    }
  status = job_follow_run (&follow, job, "restore");
  target = g_hash_table_lookup (follow.targets, job);
  if (target == NULL && proxy != NULL)
    target = vmgr_dbus_job_get_target (proxy);
  if (status == VMGRCTL_EXIT_OK && target != NULL)
    {
      vmgrctl_print (target);
      vmgrctl_print ("\n");
    }
  return status;
}

int
vmgrctl_cmd_backup_delete (VmgrctlContext *ctx, const VmgrctlCommand *cmd, char **argv)
{
  g_auto(GStrv) args = NULL;
  VmgrDBusManager *manager = NULL;
  g_autoptr(GError) error = NULL;
  int status = vmgrctl_command_parse_and_connect (ctx, cmd, NULL, argv, &args, &manager);

  if (status != VMGRCTL_EXIT_OK)
    return status;
  if (!vmgr_dbus_manager_call_delete_backup_sync (manager, args[0], NULL, &error))
    return vmgrctl_fail (error, "cannot delete backup '%s'", args[0]);
  return VMGRCTL_EXIT_OK;
}

/* ---- migrate ----------------------------------------------------------------- */

int
vmgrctl_cmd_migrate (VmgrctlContext *ctx, const VmgrctlCommand *cmd, char **argv)
{
  gboolean offline = FALSE;
  const GOptionEntry entries[] = {
    { "offline", 0, 0, G_OPTION_ARG_NONE, &offline,
      "Stop the VM, move it and start it again (no live migration)", NULL },
    { NULL }
  };
  g_auto(GStrv) args = NULL;
  g_autoptr(VmgrDBusVM) vm = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *job = NULL;
  g_auto(JobFollow) follow = { 0 };
  GVariantDict options;
  int status = vmgrctl_command_parse (ctx, cmd, entries, NULL, argv, &args);

  if (status != VMGRCTL_EXIT_OK ||
      (status = vmgrctl_context_lookup_vm (ctx, args[0], &vm)) != VMGRCTL_EXIT_OK)
    return status;
  g_variant_dict_init (&options, NULL);
  if (offline)
    g_variant_dict_insert (&options, "live", "b", FALSE);
  job_follow_init (&follow, ctx, "Migrating", vmgr_dbus_vm_get_name (vm));
  if (!vmgr_dbus_vm_call_migrate_sync (vm, args[1], g_variant_dict_end (&options), &job, NULL,
                                       &error))
    return vmgrctl_fail (error, "cannot migrate VM '%s' to host %s", args[0], args[1]);
  if (ctx->no_wait)
    {
      vmgrctl_print (job);
      vmgrctl_print ("\n");
      return VMGRCTL_EXIT_OK;
    }
  return job_follow_run (&follow, job, "migration");
}
