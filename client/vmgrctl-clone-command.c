/* clone SOURCE NAME [--snapshot SNAP] [--owner USER] [network options]:
 * Manager.CloneVM. vmgrd answers with a job whose Target is the new VM;
 * vmgrctl learns that target from the job's InterfacesAdded (subscribed
 * before the call, so a clone over before its answer is read is not
 * missed), then shows the job's progress as create does and waits until
 * the clone is stopped. */
#include "vmgrctl-commands.h"

#include "vmgrctl-errors.h"
#include "vmgrctl-job.h"
#include "vmgrctl-options.h"
#include "vmgrctl-output.h"
#include "vmgrctl-vm-view.h"
#include "vmgrctl-wait.h"

#define JOB_INTERFACE "org.vmgr.Job"
/* How long the job's announcement may lag behind the answer. */
#define ANNOUNCE_TIMEOUT_S 10

typedef struct {
  char *snapshot;
  char *owner;
  char *hostname;
  char *gateway;
  GStrv addresses;
  GStrv nameservers;
} CloneOptions;

static void
clone_options_clear (CloneOptions *self)
{
  g_free (self->snapshot);
  g_free (self->owner);
  g_free (self->hostname);
  g_free (self->gateway);
  g_strfreev (self->addresses);
  g_strfreev (self->nameservers);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (CloneOptions, clone_options_clear)

/* What the signals told about the jobs, by job path. */
typedef struct {
  GDBusConnection *connection;
  guint added;
  guint completed;
  GHashTable *targets;   /* job path -> VM path */
  GHashTable *outcomes;  /* job path -> "" (success) or the error */
} Jobs;

static void
on_interfaces_added (GDBusConnection *connection, const char *sender, const char *path,
                     const char *interface, const char *signal, GVariant *parameters,
                     gpointer data)
{
  Jobs *jobs = data;
  const char *object;
  g_autoptr(GVariant) interfaces = NULL;
  g_autoptr(GVariant) properties = NULL;
  const char *target;

  if (!g_variant_is_of_type (parameters, G_VARIANT_TYPE ("(oa{sa{sv}})")))
    return;
  g_variant_get (parameters, "(&o@a{sa{sv}})", &object, &interfaces);
  properties = g_variant_lookup_value (interfaces, JOB_INTERFACE, G_VARIANT_TYPE_VARDICT);
  if (properties != NULL && g_variant_lookup (properties, "Target", "&o", &target))
    g_hash_table_insert (jobs->targets, g_strdup (object), g_strdup (target));
}

static void
on_completed (GDBusConnection *connection, const char *sender, const char *path,
              const char *interface, const char *signal, GVariant *parameters, gpointer data)
{
  Jobs *jobs = data;
  gboolean success;
  const char *error;

  if (!g_variant_is_of_type (parameters, G_VARIANT_TYPE ("(bs)")))
    return;
  g_variant_get (parameters, "(b&s)", &success, &error);
  g_hash_table_insert (jobs->outcomes, g_strdup (path),
                       g_strdup (success ? "" : error[0] != '\0' ? error : "unknown error"));
}

static void
jobs_init (Jobs *jobs, GDBusProxy *manager)
{
  g_autofree char *owner = g_dbus_proxy_get_name_owner (manager);
  const char *sender = owner != NULL ? owner : g_dbus_proxy_get_name (manager);

  jobs->connection = g_object_ref (g_dbus_proxy_get_connection (manager));
  jobs->targets = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  jobs->outcomes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  jobs->added = g_dbus_connection_signal_subscribe (jobs->connection, sender,
                                                    "org.freedesktop.DBus.ObjectManager",
                                                    "InterfacesAdded",
                                                    VMGRCTL_OBJECT_MANAGER_PATH, NULL,
                                                    G_DBUS_SIGNAL_FLAGS_NONE,
                                                    on_interfaces_added, jobs, NULL);
  jobs->completed = g_dbus_connection_signal_subscribe (jobs->connection, sender, JOB_INTERFACE,
                                                        "Completed", NULL, NULL,
                                                        G_DBUS_SIGNAL_FLAGS_NONE, on_completed,
                                                        jobs, NULL);
}

static void
jobs_clear (Jobs *jobs)
{
  if (jobs->connection == NULL)
    return;
  g_dbus_connection_signal_unsubscribe (jobs->connection, jobs->added);
  g_dbus_connection_signal_unsubscribe (jobs->connection, jobs->completed);
  g_clear_object (&jobs->connection);
  g_clear_pointer (&jobs->targets, g_hash_table_unref);
  g_clear_pointer (&jobs->outcomes, g_hash_table_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Jobs, jobs_clear)

static gboolean
on_announce_timeout (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

/* The VM the job @job makes, once its announcement is dispatched. */
static const char *
wait_target (Jobs *jobs, const char *job)
{
  gboolean timed_out = FALSE;
  guint timeout = g_timeout_add_seconds (ANNOUNCE_TIMEOUT_S, on_announce_timeout, &timed_out);

  while (!g_hash_table_contains (jobs->targets, job) && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (!timed_out)
    g_source_remove (timeout);
  return g_hash_table_lookup (jobs->targets, job);
}

/* ---- The command -------------------------------------------------------- */

static int
parse_clone (VmgrctlContext *ctx, const VmgrctlCommand *cmd, char **argv, CloneOptions *opts,
             GStrv *args)
{
  const GOptionEntry entries[] = {
    { "snapshot", 0, 0, G_OPTION_ARG_STRING, &opts->snapshot,
      "Clone the VM as it was at this snapshot", "SNAP" },
    { "owner", 0, 0, G_OPTION_ARG_STRING, &opts->owner,
      "Owner of the clone (default: the source's)", "UID|USER" },
    { "hostname", 0, 0, G_OPTION_ARG_STRING, &opts->hostname,
      "Host name (default: NAME)", "NAME" },
    { "address", 0, 0, G_OPTION_ARG_STRING_ARRAY, &opts->addresses,
      "Address, repeatable (the source's are not copied)", "CIDR" },
    { "gateway", 0, 0, G_OPTION_ARG_STRING, &opts->gateway, "Default gateway", "IP" },
    { "nameserver", 0, 0, G_OPTION_ARG_STRING_ARRAY, &opts->nameservers,
      "Name server, repeatable", "IP" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &ctx->json, "Print the new VM as JSON (as show does)",
      NULL },
    { NULL }
  };

  return vmgrctl_command_parse (ctx, cmd, entries, NULL, argv, args);
}

/* The CloneVM options a{sv}, or NULL when --owner names nobody. */
static GVariant *
clone_options_to_variant (VmgrctlContext *ctx, const CloneOptions *opts, GError **error)
{
  g_auto(GVariantDict) dict = G_VARIANT_DICT_INIT (NULL);
  guint32 uid;

  if (opts->owner != NULL)
    {
      if (!vmgrctl_context_resolve_user (ctx, opts->owner, &uid, error))
        return NULL;
      g_variant_dict_insert (&dict, "owner", "u", uid);
    }
  if (opts->hostname != NULL)
    g_variant_dict_insert (&dict, "hostname", "s", opts->hostname);
  if (opts->addresses != NULL)
    g_variant_dict_insert_value (&dict, "addresses",
                                 g_variant_new_strv ((const char *const *) opts->addresses, -1));
  if (opts->gateway != NULL)
    g_variant_dict_insert (&dict, "gateway", "s", opts->gateway);
  if (opts->nameservers != NULL)
    g_variant_dict_insert_value (&dict, "nameservers",
                                 g_variant_new_strv ((const char *const *) opts->nameservers, -1));
  return g_variant_ref_sink (g_variant_dict_end (&dict));
}

static int
report_failure (const char *name, const char *message)
{
  g_autofree char *line = g_strdelimit (g_strdup (message), "\r\n", ' ');

  g_printerr ("vmgrctl: cloning '%s' failed: %s\n", name, line);
  return VMGRCTL_EXIT_FAILURE;
}

/* Until the clone is stopped (its job's progress shown meanwhile), then
 * says so, or prints it with --json. */
static int
wait_cloned (VmgrctlContext *ctx, Jobs *jobs, const char *job, const char *vm_path,
             const char *source, const char *name)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VmgrDBusVM) vm = vmgrctl_context_get_vm (ctx, vm_path, &error);
  g_autoptr(VmgrctlWait) wait = NULL;
  const char *outcome;
  int status = VMGRCTL_EXIT_OK;

  if (vm != NULL && !ctx->no_wait)
    {
      wait = vmgrctl_wait_new (vm, NULL, VMGRCTL_WAIT_FOR_LEAVING, "provisioning");
      status = vmgrctl_follow_provisioning (ctx, vm, name);
      if (status == VMGRCTL_EXIT_OK && !vmgrctl_wait_run (wait, ctx->timeout_s, &error))
        return vmgrctl_fail (error, "%s", name);
    }
  /* Signals that came with the answers above. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  outcome = g_hash_table_lookup (jobs->outcomes, job);
  if (outcome != NULL && outcome[0] != '\0' && status == VMGRCTL_EXIT_OK)
    return report_failure (name, outcome);
  if (vm == NULL)
    return vmgrctl_fail (error, "cannot read the clone '%s'", name);
  if (status != VMGRCTL_EXIT_OK)
    return status;
  if (ctx->json)
    {
      g_autoptr(JsonNode) node = vmgrctl_vm_to_json (vm);

      vmgrctl_print_json (node);
    }
  else if (!ctx->quiet)
    g_print ("Cloned %s into VM %s with id %u\n", source, name, vmgr_dbus_vm_get_id (vm));
  return VMGRCTL_EXIT_OK;
}

int
vmgrctl_cmd_clone (VmgrctlContext *ctx, const VmgrctlCommand *cmd, char **argv)
{
  g_auto(CloneOptions) opts = { NULL };
  g_auto(GStrv) args = NULL;
  g_auto(Jobs) jobs = { NULL };
  g_autoptr(VmgrDBusVM) source = NULL;
  g_autoptr(GVariant) options = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *source_path = NULL;
  g_autofree char *job = NULL;
  const char *target;
  int status = parse_clone (ctx, cmd, argv, &opts, &args);

  if (status != VMGRCTL_EXIT_OK)
    return status;
  options = clone_options_to_variant (ctx, &opts, &error);
  if (options == NULL)
    return vmgrctl_command_fail (cmd, error);
  status = vmgrctl_context_lookup_vm (ctx, args[0], &source);
  if (status != VMGRCTL_EXIT_OK)
    return status;
  source_path = opts.snapshot != NULL
                  ? g_strconcat (g_dbus_proxy_get_object_path (G_DBUS_PROXY (source)),
                                 "/snapshot/", opts.snapshot, NULL)
                  : g_strdup (g_dbus_proxy_get_object_path (G_DBUS_PROXY (source)));
  if (!g_variant_is_object_path (source_path))
    return vmgrctl_command_usage_error (cmd, "--snapshot: not a snapshot name");
  jobs_init (&jobs, G_DBUS_PROXY (ctx->manager));
  if (!vmgr_dbus_manager_call_clone_vm_sync (ctx->manager, source_path, args[1], options, &job,
                                             NULL, &error))
    {
      vmgrctl_error_use_option_names (error, vmgrctl_vm_option_keys ());
      return vmgrctl_fail (error, "cannot clone '%s'", args[0]);
    }
  target = wait_target (&jobs, job);
  if (target == NULL)
    {
      error = g_error_new (VMGRCTL_ERROR, VMGRCTL_EXIT_FAILURE,
                           "vmgrd did not announce the clone's job %s", job);
      return vmgrctl_fail (error, "%s", args[1]);
    }
  return wait_cloned (ctx, &jobs, job, target, args[0], args[1]);
}
