/* vmgrctl monitor [VM...] [--json]: one line per event vmgrd sends the
 * caller (which are only about what the caller may see), until Ctrl-C:
 * state changes with their reason, property changes (Usage samples left
 * out: see stats --watch), disk soft limit warnings, VMs added and
 * removed, jobs added, progressing and completed.
 *
 * The object manager client's GetManagedObjects makes the caller one of
 * vmgrd's peers, to whom vmgrd addresses its signals. */
#include <glib-unix.h>
#include <stdio.h>

#include "vmgrctl-commands.h"
#include "vmgrctl-errors.h"
#include "vmgrctl-output.h"

#define VM_IFACE "org.vmgr.VM"
#define JOB_IFACE "org.vmgr.Job"

typedef struct {
  VmgrctlContext *ctx;
  GDBusObjectManager *objects;
  GHashTable *only;          /* VM paths asked for; NULL for every VM */
  GMainLoop *loop;
  int status;
} Monitor;

/* ---- One line per event ------------------------------------------------ */

static char *
now_text (const char *format)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();

  return g_date_time_format (now, format);
}

/* {"time": ISO 8601, "event": @event, then @builder's members}. */
static char *
json_line (const char *event, JsonBuilder *builder)
{
  g_autoptr(JsonNode) members = NULL;
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonObject) object = json_object_new ();
  g_autoptr(GList) names = NULL;
  g_autofree char *time = now_text ("%FT%T%:z");

  json_builder_end_object (builder);
  members = json_builder_get_root (builder);
  json_object_set_string_member (object, "time", time);
  json_object_set_string_member (object, "event", event);
  names = json_object_get_members (json_node_get_object (members));
  for (GList *l = names; l != NULL; l = l->next)
    json_object_set_member (object, l->data,
                            json_object_dup_member (json_node_get_object (members), l->data));
  json_node_set_object (node, object);
  json_generator_set_root (generator, node);
  return json_generator_to_data (generator, NULL);
}

/* The event's line: JSON, or "TIME EVENT VM (ID) DETAILS". */
static void
emit (Monitor *self, const char *event, VmgrDBusVM *vm, JsonBuilder *builder,
      const char *details)
{
  g_autofree char *line = NULL;
  g_autofree char *time = NULL;

  if (self->ctx->json)
    {
      line = json_line (event, builder);
      g_print ("%s\n", line);
      return;
    }
  time = now_text ("%F %T");
  g_print ("%s %-14s %s (%u)%s%s\n", time, event, vmgr_dbus_vm_get_name (vm),
           vmgr_dbus_vm_get_id (vm), details != NULL ? " " : "", details != NULL ? details : "");
}

/* A builder already holding the VM's name, id and path. */
static JsonBuilder *
vm_builder (VmgrDBusVM *vm)
{
  JsonBuilder *builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "vm");
  json_builder_add_string_value (builder, vmgr_dbus_vm_get_name (vm));
  json_builder_set_member_name (builder, "id");
  json_builder_add_int_value (builder, vmgr_dbus_vm_get_id (vm));
  json_builder_set_member_name (builder, "path");
  json_builder_add_string_value (builder, g_dbus_proxy_get_object_path (G_DBUS_PROXY (vm)));
  return builder;
}

static void
add_string (JsonBuilder *builder, const char *key, const char *value)
{
  json_builder_set_member_name (builder, key);
  json_builder_add_string_value (builder, value != NULL ? value : "");
}

/* ---- VMs --------------------------------------------------------------- */

static VmgrDBusVM *
find_vm (Monitor *self, const char *path)
{
  g_autoptr(GDBusInterface) iface = g_dbus_object_manager_get_interface (self->objects, path,
                                                                         VM_IFACE);

  return iface != NULL ? VMGR_DBUS_VM (iface) : NULL;
}

static gboolean
wanted (Monitor *self, const char *vm_path)
{
  return self->only == NULL || g_hash_table_contains (self->only, vm_path);
}

static void
on_state_changed (VmgrDBusVM *vm, const char *state, const char *reason, gpointer data)
{
  g_autoptr(JsonBuilder) builder = vm_builder (vm);
  g_autofree char *details = g_strdup_printf ("%s (%s)", state, reason);

  add_string (builder, "state", state);
  add_string (builder, "reason", reason);
  emit (data, "state", vm, builder, details);
}

static void
on_disk_soft_limit (VmgrDBusVM *vm, guint64 used, guint64 soft_limit, gpointer data)
{
  g_autoptr(JsonBuilder) builder = vm_builder (vm);
  g_autofree char *details = g_strdup_printf ("%" G_GUINT64_FORMAT " bytes used, soft limit %"
                                              G_GUINT64_FORMAT, used, soft_limit);

  json_builder_set_member_name (builder, "used");
  json_builder_add_int_value (builder, (gint64) used);
  json_builder_set_member_name (builder, "soft_limit");
  json_builder_add_int_value (builder, (gint64) soft_limit);
  emit (data, "disk-soft-limit", vm, builder, details);
}

/* State and StateReason come with StateChanged; Usage every few seconds. */
static gboolean
is_shown_property (const char *name)
{
  return !g_str_equal (name, "State") && !g_str_equal (name, "StateReason") &&
         !g_str_equal (name, "Usage");
}

static void
on_vm_properties_changed (GDBusProxy *proxy, GVariant *changed, GStrv invalidated,
                          gpointer data)
{
  GVariantIter iter;
  const char *name;
  GVariant *value;

  g_variant_iter_init (&iter, changed);
  while (g_variant_iter_next (&iter, "{&sv}", &name, &value))
    {
      g_autoptr(GVariant) owned G_GNUC_UNUSED = value;
      g_autoptr(JsonBuilder) builder = NULL;
      g_autofree char *printed = NULL;
      g_autofree char *details = NULL;

      if (!is_shown_property (name))
        continue;
      builder = vm_builder (VMGR_DBUS_VM (proxy));
      add_string (builder, "property", name);
      json_builder_set_member_name (builder, "value");
      json_builder_add_value (builder, json_gvariant_serialize (value));
      printed = g_variant_print (value, FALSE);
      details = g_strdup_printf ("%s = %s", name, printed);
      emit (data, "property", VMGR_DBUS_VM (proxy), builder, details);
    }
}

static void
follow_vm (Monitor *self, VmgrDBusVM *vm)
{
  g_signal_connect (vm, "state-changed", G_CALLBACK (on_state_changed), self);
  g_signal_connect (vm, "disk-soft-limit-exceeded", G_CALLBACK (on_disk_soft_limit), self);
  g_signal_connect (vm, "g-properties-changed", G_CALLBACK (on_vm_properties_changed), self);
}

static void
vm_event (Monitor *self, const char *event, VmgrDBusVM *vm)
{
  g_autoptr(JsonBuilder) builder = vm_builder (vm);

  add_string (builder, "state", vmgr_dbus_vm_get_state (vm));
  emit (self, event, vm, builder, vmgr_dbus_vm_get_state (vm));
}

/* ---- Jobs -------------------------------------------------------------- */

static void
job_event (Monitor *self, const char *event, VmgrDBusJob *job, JsonBuilder *extra_builder,
           const char *details)
{
  VmgrDBusVM *vm = find_vm (self, vmgr_dbus_job_get_target (job));
  g_autoptr(JsonBuilder) builder = NULL;
  const char *path = g_dbus_proxy_get_object_path (G_DBUS_PROXY (job));
  g_autofree char *text = NULL;

  if (vm == NULL)
    return;
  builder = extra_builder != NULL ? g_object_ref (extra_builder) : vm_builder (vm);
  add_string (builder, "job", path);
  add_string (builder, "operation", vmgr_dbus_job_get_operation (job));
  text = g_strdup_printf ("%s %s%s%s", vmgr_dbus_job_get_operation (job), path,
                          details != NULL ? ": " : "", details != NULL ? details : "");
  emit (self, event, vm, builder, text);
  g_object_unref (vm);
}

static gboolean
job_wanted (Monitor *self, VmgrDBusJob *job)
{
  return wanted (self, vmgr_dbus_job_get_target (job));
}

static void
on_job_completed (VmgrDBusJob *job, gboolean success, const char *error, gpointer data)
{
  Monitor *self = data;
  g_autoptr(VmgrDBusVM) vm = find_vm (self, vmgr_dbus_job_get_target (job));
  g_autoptr(JsonBuilder) builder = NULL;

  if (vm == NULL)
    return;
  builder = vm_builder (vm);
  json_builder_set_member_name (builder, "success");
  json_builder_add_boolean_value (builder, success);
  add_string (builder, "error", error);
  job_event (self, "job-completed", job, builder, success ? "done" : error);
}

static void
on_job_properties_changed (GDBusProxy *proxy, GVariant *changed, GStrv invalidated,
                           gpointer data)
{
  Monitor *self = data;
  VmgrDBusJob *job = VMGR_DBUS_JOB (proxy);
  g_autoptr(VmgrDBusVM) vm = find_vm (self, vmgr_dbus_job_get_target (job));
  g_autoptr(JsonBuilder) builder = NULL;
  g_autofree char *details = NULL;
  double progress;

  if (vm == NULL || !g_variant_lookup (changed, "Progress", "d", &progress))
    return;
  builder = vm_builder (vm);
  json_builder_set_member_name (builder, "progress");
  json_builder_add_double_value (builder, progress);
  details = g_strdup_printf ("%.0f%%", progress * 100.0);
  job_event (self, "job-progress", job, builder, details);
}

static void
follow_job (Monitor *self, VmgrDBusJob *job)
{
  g_signal_connect (job, "completed", G_CALLBACK (on_job_completed), self);
  g_signal_connect (job, "g-properties-changed", G_CALLBACK (on_job_properties_changed), self);
}

/* ---- Objects coming and going ------------------------------------------ */

static void
interface_added (Monitor *self, GDBusInterface *iface)
{
  if (VMGR_DBUS_IS_VM (iface) &&
      wanted (self, g_dbus_proxy_get_object_path (G_DBUS_PROXY (iface))))
    {
      follow_vm (self, VMGR_DBUS_VM (iface));
      vm_event (self, "vm-added", VMGR_DBUS_VM (iface));
    }
  else if (VMGR_DBUS_IS_JOB (iface) && job_wanted (self, VMGR_DBUS_JOB (iface)))
    {
      follow_job (self, VMGR_DBUS_JOB (iface));
      job_event (self, "job-added", VMGR_DBUS_JOB (iface), NULL, NULL);
    }
}

static void
interface_removed (Monitor *self, GDBusInterface *iface)
{
  g_signal_handlers_disconnect_by_data (iface, self);
  if (VMGR_DBUS_IS_VM (iface) &&
      wanted (self, g_dbus_proxy_get_object_path (G_DBUS_PROXY (iface))))
    vm_event (self, "vm-removed", VMGR_DBUS_VM (iface));
}

static void
on_interface_added (GDBusObjectManager *objects, GDBusObject *object, GDBusInterface *iface,
                    gpointer data)
{
  interface_added (data, iface);
}

static void
on_interface_removed (GDBusObjectManager *objects, GDBusObject *object, GDBusInterface *iface,
                      gpointer data)
{
  interface_removed (data, iface);
}

/* A new object announces no "interface-added" for the interfaces it
 * comes with. */
static void
on_object_added (GDBusObjectManager *objects, GDBusObject *object, gpointer data)
{
  g_autolist(GDBusInterface) ifaces = g_dbus_object_get_interfaces (object);

  for (GList *l = ifaces; l != NULL; l = l->next)
    interface_added (data, l->data);
}

static void
on_object_removed (GDBusObjectManager *objects, GDBusObject *object, gpointer data)
{
  g_autolist(GDBusInterface) ifaces = g_dbus_object_get_interfaces (object);

  for (GList *l = ifaces; l != NULL; l = l->next)
    interface_removed (data, l->data);
}

static void
follow_existing (Monitor *self)
{
  g_autolist(GDBusObject) objects = g_dbus_object_manager_get_objects (self->objects);

  for (GList *l = objects; l != NULL; l = l->next)
    {
      g_autolist(GDBusInterface) ifaces = g_dbus_object_get_interfaces (l->data);

      for (GList *i = ifaces; i != NULL; i = i->next)
        if (VMGR_DBUS_IS_VM (i->data) &&
            wanted (self, g_dbus_proxy_get_object_path (G_DBUS_PROXY (i->data))))
          follow_vm (self, VMGR_DBUS_VM (i->data));
        else if (VMGR_DBUS_IS_JOB (i->data) && job_wanted (self, VMGR_DBUS_JOB (i->data)))
          follow_job (self, VMGR_DBUS_JOB (i->data));
    }
}

/* ---- The command ------------------------------------------------------- */

static gboolean
on_interrupt (gpointer data)
{
  g_main_loop_quit (((Monitor *) data)->loop);
  return G_SOURCE_CONTINUE;
}

static void
on_name_owner (GObject *objects, GParamSpec *pspec, gpointer data)
{
  Monitor *self = data;
  g_autofree char *owner =
    g_dbus_object_manager_client_get_name_owner (G_DBUS_OBJECT_MANAGER_CLIENT (objects));

  if (owner != NULL)
    return;
  g_printerr ("vmgrctl: monitor: vmgrd left the bus\n");
  self->status = VMGRCTL_EXIT_NO_BUS;
  g_main_loop_quit (self->loop);
}

/* The paths of the VMs named in @args (FindVM: what the caller may see). */
static int
resolve_vms (Monitor *self, char **args)
{
  if (args[0] == NULL)
    return VMGRCTL_EXIT_OK;
  self->only = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  for (guint i = 0; args[i] != NULL; i++)
    {
      g_autoptr(VmgrDBusVM) vm = NULL;
      int status = vmgrctl_context_lookup_vm (self->ctx, args[i], &vm);

      if (status != VMGRCTL_EXIT_OK)
        return status;
      g_hash_table_add (self->only, g_strdup (g_dbus_proxy_get_object_path (G_DBUS_PROXY (vm))));
    }
  return VMGRCTL_EXIT_OK;
}

static int
run_monitor (Monitor *self)
{
  const int signals[] = { SIGINT, SIGTERM, SIGHUP };
  guint sources[G_N_ELEMENTS (signals)];
  g_autoptr(GError) error = NULL;

  self->objects = vmgr_dbus_object_manager_client_new_sync (
    self->ctx->connection, G_DBUS_OBJECT_MANAGER_CLIENT_FLAGS_DO_NOT_AUTO_START,
    VMGRCTL_BUS_NAME, VMGRCTL_OBJECT_MANAGER_PATH, NULL, &error);
  if (self->objects == NULL)
    return vmgrctl_fail (error, "monitor");
  follow_existing (self);
  g_signal_connect (self->objects, "object-added", G_CALLBACK (on_object_added), self);
  g_signal_connect (self->objects, "object-removed", G_CALLBACK (on_object_removed), self);
  g_signal_connect (self->objects, "interface-added", G_CALLBACK (on_interface_added), self);
  g_signal_connect (self->objects, "interface-removed", G_CALLBACK (on_interface_removed), self);
  g_signal_connect (self->objects, "notify::name-owner", G_CALLBACK (on_name_owner), self);
  self->loop = g_main_loop_new (NULL, FALSE);
  for (gsize i = 0; i < G_N_ELEMENTS (signals); i++)
    sources[i] = g_unix_signal_add (signals[i], on_interrupt, self);
  g_main_loop_run (self->loop);
  for (gsize i = 0; i < G_N_ELEMENTS (signals); i++)
    g_source_remove (sources[i]);
  return self->status;
}

int
vmgrctl_cmd_monitor (VmgrctlContext *ctx, const VmgrctlCommand *cmd, char **argv)
{
  Monitor self = { .ctx = ctx, .status = VMGRCTL_EXIT_OK };
  g_auto(GStrv) args = NULL;
  VmgrDBusManager *manager;
  int status = vmgrctl_command_parse_and_connect (ctx, cmd, NULL, argv, &args, &manager);

  /* A line as soon as it happens, also into a pipe. */
  setvbuf (stdout, NULL, _IOLBF, 0);
  if (status == VMGRCTL_EXIT_OK)
    status = resolve_vms (&self, args);
  if (status == VMGRCTL_EXIT_OK)
    status = run_monitor (&self);
  if (self.objects != NULL)
    g_signal_handlers_disconnect_by_data (self.objects, &self);
  g_clear_object (&self.objects);
  g_clear_pointer (&self.only, g_hash_table_unref);
  g_clear_pointer (&self.loop, g_main_loop_unref);
  return status;
}
