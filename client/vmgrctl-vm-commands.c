/* Commands on VMs: list, show, the lifecycle commands (delete: vmgrctl-delete-command.c). */
#include "vmgrctl-commands.h"

#include "vmgrctl-errors.h"
#include "vmgrctl-listing.h"
#include "vmgrctl-options.h"
#include "vmgrctl-vm-view.h"
#include "vmgrctl-wait.h"

/* Extra wait for shutdown beyond its graceful timeout: the forced off. */
#define SHUTDOWN_WAIT_MARGIN_S 30

/* A VM's proxy from @objects, the object manager client (which read
 * every VM's properties with one GetManagedObjects), or one of its own
 * for a VM that @objects did not list. */
static gpointer
open_vm (VmgrctlContext *ctx, const char *path, gpointer objects, GError **error)
{
  GDBusInterface *iface = objects != NULL
    ? g_dbus_object_manager_get_interface (objects, path, "org.vmgr.VM") : NULL;

  return iface != NULL ? VMGR_DBUS_VM (iface) : vmgrctl_context_get_vm (ctx, path, error);
}

static const VmgrctlListing vm_listing = {
  "VMs", open_vm, (VmgrctlToJson) vmgrctl_vm_to_json, vmgrctl_vm_table_new,
  (VmgrctlListingTableAdd) vmgrctl_vm_table_add,
};

static const VmgrctlListing vm_listing_with_host = {
  "VMs", open_vm, (VmgrctlToJson) vmgrctl_vm_to_json, vmgrctl_vm_table_new_with_host,
  (VmgrctlListingTableAdd) vmgrctl_vm_table_add_with_host,
};

/* The hosts the caller sees (none for a customer). */
static guint
count_hosts (GDBusObjectManager *objects)
{
  GList *list = objects != NULL ? g_dbus_object_manager_get_objects (objects) : NULL;
  guint count = 0;

  for (GList *l = list; l != NULL; l = l->next)
    {
      GDBusInterface *iface = g_dbus_object_get_interface (l->data, "org.vmgr.Host");

      if (iface != NULL)
        count++;
      g_clear_object (&iface);
    }
  g_list_free_full (list, g_object_unref);
  return count;
}

static const char * const vm_states[] = {
  "provisioning", "stopped", "starting", "running", "paused", "stopping", "crashed",
  "suspended", "unknown", NULL
};

static int
unknown_state_error (const VmgrctlCommand *cmd, const char *state)
{
  g_autofree char *known = g_strjoinv (", ", (char **) vm_states);
  g_autofree char *message = g_strdup_printf ("unknown state '%s' (one of %s)", state, known);

  return vmgrctl_command_usage_error (cmd, message);
}

/* list --state, --owner, --plan: NULL for a filter not given. */
typedef struct {
  char *state;
  char *owner;
  char *plan;
  gboolean by_owner;
  guint32 owner_uid;
} ListFilter;

static void
list_filter_clear (ListFilter *self)
{
  g_free (self->state);
  g_free (self->owner);
  g_free (self->plan);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (ListFilter, list_filter_clear)

static gboolean
list_filter_keeps (const ListFilter *filter, VmgrDBusVM *vm)
{
  const char *plan = vmgr_dbus_vm_get_plan (vm);

  if (filter->state != NULL && g_strcmp0 (vmgr_dbus_vm_get_state (vm), filter->state) != 0)
    return FALSE;
  if (filter->by_owner && vmgr_dbus_vm_get_owner (vm) != filter->owner_uid)
    return FALSE;
  /* A table shows "-" for no plan. */
  if (filter->plan != NULL && g_strcmp0 (plan != NULL ? plan : "", filter->plan) != 0
      && !(g_str_equal (filter->plan, "-") && (plan == NULL || plan[0] == '\0')))
    return FALSE;
  return TRUE;
}

static int
parse_list (VmgrctlContext *ctx, const VmgrctlCommand *cmd, char **argv, ListFilter *filter,
            GStrv *args)
{
  const GOptionEntry entries[] = {
    { "state", 0, 0, G_OPTION_ARG_STRING, &filter->state, "Only the VMs in STATE", "STATE" },
    { "owner", 0, 0, G_OPTION_ARG_STRING, &filter->owner, "Only the VMs of this owner",
      "USER|UID" },
    { "plan", 0, 0, G_OPTION_ARG_STRING, &filter->plan,
      "Only the VMs on PLAN ('-': on none)", "PLAN" },
    { NULL }
  };
  g_autoptr(GError) error = NULL;
  int status = vmgrctl_command_parse (ctx, cmd, entries, NULL, argv, args);

  if (status != VMGRCTL_EXIT_OK)
    return status;
  if (filter->state != NULL && !g_strv_contains (vm_states, filter->state))
    return unknown_state_error (cmd, filter->state);
  if (filter->owner == NULL)
    return VMGRCTL_EXIT_OK;
  if (!vmgrctl_context_resolve_user (ctx, filter->owner, &filter->owner_uid, &error))
    return vmgrctl_command_fail (cmd, error);
  filter->by_owner = TRUE;
  return VMGRCTL_EXIT_OK;
}

/* VMs gone since ListVMs are left out, and those the filters leave out. */
int
vmgrctl_cmd_list (VmgrctlContext *ctx, const VmgrctlCommand *cmd, char **argv)
{
  g_auto(ListFilter) filter = { NULL };
  g_auto(GStrv) args = NULL;
  g_auto(GStrv) paths = NULL;
  g_autoptr(GDBusObjectManager) objects = NULL;
  g_autoptr(GPtrArray) vms = NULL;
  g_autoptr(GError) error = NULL;
  VmgrDBusManager *manager;
  int status = parse_list (ctx, cmd, argv, &filter, &args);

  if (status == VMGRCTL_EXIT_OK)
    status = vmgrctl_context_connect (ctx, &manager);
  if (status != VMGRCTL_EXIT_OK)
    return status;
  if (!vmgr_dbus_manager_call_list_vms_sync (manager, &paths, NULL, &error))
    return vmgrctl_fail (error, "cannot list VMs");
  objects = vmgr_dbus_object_manager_client_new_sync (
    ctx->connection, G_DBUS_OBJECT_MANAGER_CLIENT_FLAGS_DO_NOT_AUTO_START, VMGRCTL_BUS_NAME,
    VMGRCTL_OBJECT_MANAGER_PATH, NULL, NULL);
  vms = vmgrctl_listing_read (ctx, &vm_listing, paths, objects, &error);
  if (vms == NULL)
    return vmgrctl_fail (error, "cannot read VMs");
  for (guint i = vms->len; i > 0; i--)
    if (!list_filter_keeps (&filter, g_ptr_array_index (vms, i - 1)))
      g_ptr_array_remove_index (vms, i - 1);
  vmgrctl_listing_print (ctx, count_hosts (objects) > 1 ? &vm_listing_with_host : &vm_listing,
                         vms);
  return VMGRCTL_EXIT_OK;
}

int
vmgrctl_cmd_show (VmgrctlContext *ctx, const VmgrctlCommand *cmd, char **argv)
{
  g_auto(GStrv) args = NULL;
  g_autoptr(VmgrDBusVM) vm = NULL;
  const char *note;
  int status = vmgrctl_command_parse (ctx, cmd, NULL, NULL, argv, &args);

  if (status == VMGRCTL_EXIT_OK)
    status = vmgrctl_context_lookup_vm (ctx, args[0], &vm);
  if (status != VMGRCTL_EXIT_OK)
    return status;
  vmgrctl_print_json_or_text (ctx->json, vm, (VmgrctlToJson) vmgrctl_vm_to_json,
                              (VmgrctlToText) vmgrctl_vm_describe);
  note = vmgrctl_backend_note (vmgr_dbus_manager_get_backend (ctx->manager));
  if (!ctx->json && note != NULL)
    vmgrctl_print (note);
  return VMGRCTL_EXIT_OK;
}

/* A VM method without arguments, as gdbus-codegen generates it. */
typedef gboolean (*VmCall) (VmgrDBusVM *vm, GCancellable *cancellable, GError **error);

/* The commands that make one call on a VM and wait for its outcome. */
typedef struct {
  const char *command;
  const char *verb;
  const char *done;  /* "NAME DONE" once it happened */
  VmCall call;  /* NULL for shutdown, the one call with an argument */
  VmgrctlWaitKind wait_kind;
  const char *state;
} Lifecycle;

static const Lifecycle lifecycles[] = {
  { "start", "start", "started", vmgr_dbus_vm_call_start_sync, VMGRCTL_WAIT_FOR_STATE,
    "running" },
  { "shutdown", "shut down", "shut down", NULL, VMGRCTL_WAIT_FOR_STATE, "stopped" },
  { "stop", "stop", "stopped", vmgr_dbus_vm_call_stop_sync, VMGRCTL_WAIT_FOR_STATE, "stopped" },
  { "restart", "restart", "restarted", vmgr_dbus_vm_call_restart_sync,
    VMGRCTL_WAIT_FOR_NEW_STATE, "running" },
  { "suspend", "suspend", "suspended", vmgr_dbus_vm_call_suspend_sync, VMGRCTL_WAIT_FOR_STATE,
    "paused" },
  { "resume", "resume", "resumed", vmgr_dbus_vm_call_resume_sync, VMGRCTL_WAIT_FOR_STATE,
    "running" },
  { "save", "save", "saved", vmgr_dbus_vm_call_save_sync, VMGRCTL_WAIT_FOR_STATE, "suspended" },
};

static const Lifecycle *
find_lifecycle (const char *command)
{
  for (gsize i = 0; i < G_N_ELEMENTS (lifecycles); i++)
    if (g_str_equal (lifecycles[i].command, command))
      return &lifecycles[i];
  g_assert_not_reached ();
}

static int
finish_wait (VmgrctlWait *wait, guint timeout_s, const char *name)
{
  g_autoptr(GError) error = NULL;

  if (wait != NULL && !vmgrctl_wait_run (wait, timeout_s, &error))
    return vmgrctl_fail (error, "%s", name);
  return VMGRCTL_EXIT_OK;
}

/* A shutdown is given its graceful timeout and the forced off after it. */
static guint
wait_timeout (VmgrctlContext *ctx, guint graceful_s)
{
  if (ctx->timeout_s == 0 || graceful_s == 0)
    return ctx->timeout_s;
  return MAX (ctx->timeout_s, graceful_s + SHUTDOWN_WAIT_MARGIN_S);
}

static int
parse_lifecycle (VmgrctlContext *ctx, const VmgrctlCommand *cmd, char **argv,
                 GStrv *args, guint *graceful_s)
{
  g_autofree char *graceful = NULL;
  g_autoptr(GError) error = NULL;
  const GOptionEntry shutdown_entries[] = {
    { "grace", 0, 0, G_OPTION_ARG_STRING, &graceful,
      "Seconds the guest has to shut down before it is forced off (default: vmgrd's)",
      "SECONDS" },
    { "timeout", 0, 0, G_OPTION_ARG_STRING, &graceful,
      "The same as --grace (its older name)", "SECONDS" },
    { NULL }
  };
  gboolean shutdown = g_str_equal (cmd->name, "shutdown");
  int status = vmgrctl_command_parse (ctx, cmd, shutdown ? shutdown_entries : NULL, NULL,
                                      argv, args);

  *graceful_s = 0;
  if (status == VMGRCTL_EXIT_OK && graceful != NULL
      && !vmgrctl_parse_option_uint32 ("grace", graceful, graceful_s, &error))
    return vmgrctl_command_fail (cmd, error);
  return status;
}

static gboolean
call_lifecycle (const Lifecycle *lifecycle, VmgrDBusVM *vm, guint graceful_s, GError **error)
{
  if (lifecycle->call == NULL)
    return vmgr_dbus_vm_call_shutdown_sync (vm, graceful_s, NULL, error);
  return lifecycle->call (vm, NULL, error);
}

int
vmgrctl_cmd_lifecycle (VmgrctlContext *ctx, const VmgrctlCommand *cmd, char **argv)
{
  const Lifecycle *lifecycle = find_lifecycle (cmd->name);
  g_auto(GStrv) args = NULL;
  g_autoptr(VmgrDBusVM) vm = NULL;
  g_autoptr(VmgrctlWait) wait = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *name = NULL;
  guint graceful_s;
  int status = parse_lifecycle (ctx, cmd, argv, &args, &graceful_s);

  if (status == VMGRCTL_EXIT_OK)
    status = vmgrctl_context_lookup_vm (ctx, args[0], &vm);
  if (status != VMGRCTL_EXIT_OK)
    return status;
  if (!ctx->no_wait)
    wait = vmgrctl_wait_new (vm, ctx->manager, lifecycle->wait_kind, lifecycle->state);
  name = vmgr_dbus_vm_dup_name (vm);
  if (!call_lifecycle (lifecycle, vm, graceful_s, &error))
    return vmgrctl_fail (error, "cannot %s '%s'", lifecycle->verb, args[0]);
  status = finish_wait (wait, wait_timeout (ctx, graceful_s), args[0]);
  if (status == VMGRCTL_EXIT_OK && !ctx->quiet && ctx->no_wait)
    g_print ("%s: %s requested\n", name, lifecycle->verb);
  else if (status == VMGRCTL_EXIT_OK && !ctx->quiet)
    g_print ("%s %s\n", name, lifecycle->done);
  return status;
}

/* ---- wait VM --state STATE [--timeout S] ------------------------------- */

static int
parse_wait (VmgrctlContext *ctx, const VmgrctlCommand *cmd, char **argv, GStrv *args,
            char **state, guint *timeout_s)
{
  g_autofree char *timeout = NULL;
  g_autoptr(GError) error = NULL;
  const GOptionEntry entries[] = {
    { "state", 0, 0, G_OPTION_ARG_STRING, state, "The state to wait for (required)", "STATE" },
    { "timeout", 0, 0, G_OPTION_ARG_STRING, &timeout,
      "Give up after SECONDS (exit status 10; default: no limit)", "SECONDS" },
    { NULL }
  };
  int status = vmgrctl_command_parse (ctx, cmd, entries, NULL, argv, args);

  *timeout_s = 0;
  if (status != VMGRCTL_EXIT_OK)
    return status;
  if (*state == NULL)
    return vmgrctl_command_usage_error (cmd, "--state is required");
  if (!g_strv_contains (vm_states, *state))
    return unknown_state_error (cmd, *state);
  if (timeout != NULL && !vmgrctl_parse_option_uint32 ("timeout", timeout, timeout_s, &error))
    return vmgrctl_command_fail (cmd, error);
  return VMGRCTL_EXIT_OK;
}

/* Until the VM is in the state (at once if it is already); fails if it
 * crashes meanwhile (unless waiting for that), is deleted, or vmgrd goes. */
int
vmgrctl_cmd_wait (VmgrctlContext *ctx, const VmgrctlCommand *cmd, char **argv)
{
  g_auto(GStrv) args = NULL;
  g_autofree char *state = NULL;
  g_autoptr(VmgrDBusVM) vm = NULL;
  g_autoptr(VmgrctlWait) wait = NULL;
  guint timeout_s;
  int status = parse_wait (ctx, cmd, argv, &args, &state, &timeout_s);

  if (status == VMGRCTL_EXIT_OK)
    status = vmgrctl_context_lookup_vm (ctx, args[0], &vm);
  if (status != VMGRCTL_EXIT_OK)
    return status;
  wait = vmgrctl_wait_new (vm, ctx->manager, VMGRCTL_WAIT_FOR_STATE, state);
  return finish_wait (wait, timeout_s, args[0]);
}
