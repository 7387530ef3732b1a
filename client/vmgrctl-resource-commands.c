/* Commands changing a VM's settings: set-memory, set-cpu, set-disk,
 * set-network, autostart and chown. SetMemory, SetCpu and SetDisk take
 * every value, so the VM is read first and the values not given on the
 * command line are sent as they are. Silent on success; malformed values
 * are usage errors found before connecting. */
#include "vmgrctl-commands.h"

#include "vmgrctl-errors.h"
#include "vmgrctl-options.h"
#include "vmgrctl-settings.h"

#define MAX_SETTINGS 3

/* One of set-memory, set-cpu, set-disk: the keys it sets, in the order
 * of the method's arguments. Each is set with create's option for it
 * (vmgrctl_resource_option()); @aliases are the names the setter had
 * before, still accepted. */
typedef struct {
  const char *command;
  const char *what;             /* for "cannot set WHAT of 'VM'" */
  guint n_settings;
  const char *keys[MAX_SETTINGS];
  const char *aliases[MAX_SETTINGS];
  void (*read) (VmgrDBusVM *vm, guint64 *current);
  gboolean (*call) (VmgrDBusVM *vm, const guint64 *values, GError **error);
} SettingsMethod;

static void
read_memory (VmgrDBusVM *vm, guint64 *current)
{
  current[0] = vmgr_dbus_vm_get_memory_guarantee (vm);
  current[1] = vmgr_dbus_vm_get_memory_soft_limit (vm);
  current[2] = vmgr_dbus_vm_get_memory_limit (vm);
}

static gboolean
call_set_memory (VmgrDBusVM *vm, const guint64 *values, GError **error)
{
  return vmgr_dbus_vm_call_set_memory_sync (vm, values[0], values[1], values[2], NULL, error);
}

static void
read_cpu (VmgrDBusVM *vm, guint64 *current)
{
  current[0] = vmgr_dbus_vm_get_vcpus (vm);
  current[1] = vmgr_dbus_vm_get_cpu_weight (vm);
  current[2] = vmgr_dbus_vm_get_cpu_limit (vm);
}

static gboolean
call_set_cpu (VmgrDBusVM *vm, const guint64 *values, GError **error)
{
  /* Each value was parsed as 32 bits or read from a 32-bit property. */
  return vmgr_dbus_vm_call_set_cpu_sync (vm, (guint) values[0], (guint) values[1],
                                         (guint) values[2], NULL, error);
}

static void
read_disk (VmgrDBusVM *vm, guint64 *current)
{
  current[0] = vmgr_dbus_vm_get_disk_soft_limit (vm);
  current[1] = vmgr_dbus_vm_get_disk_hard_limit (vm);
}

static gboolean
call_set_disk (VmgrDBusVM *vm, const guint64 *values, GError **error)
{
  return vmgr_dbus_vm_call_set_disk_sync (vm, values[0], values[1], NULL, error);
}

static const SettingsMethod memory_method = {
  "set-memory", "memory", 3,
  { "memory_guarantee", "memory_soft_limit", "memory_limit" },
  { "guarantee", "soft-limit", "limit" },
  read_memory, call_set_memory,
};

static const SettingsMethod cpu_method = {
  "set-cpu", "CPUs", 3,
  { "vcpus", "cpu_weight", "cpu_limit" },
  { NULL, "weight", "limit" },
  read_cpu, call_set_cpu,
};

static const SettingsMethod disk_method = {
  "set-disk", "disk limits", 2,
  { "disk_soft_limit", "disk_hard_limit" },
  { "soft", "hard" },
  read_disk, call_set_disk,
};

/* What the options were given. */
typedef struct {
  char *texts[MAX_SETTINGS];
} SettingsTexts;

static void
settings_texts_clear (SettingsTexts *self)
{
  for (guint i = 0; i < MAX_SETTINGS; i++)
    g_clear_pointer (&self->texts[i], g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (SettingsTexts, settings_texts_clear)

/* Parses the command line into @settings and checks the values. */
static int
parse_settings (VmgrctlContext *ctx, const VmgrctlCommand *cmd, const SettingsMethod *method,
                char **argv, SettingsTexts *given, VmgrctlSetting *settings, GStrv *args)
{
  GOptionEntry entries[2 * MAX_SETTINGS + 1] = { { NULL } };
  g_autoptr(GPtrArray) alias_help = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  guint n_entries = 0;
  int status;

  for (guint i = 0; i < method->n_settings; i++)
    {
      const VmgrctlResourceOption *option = vmgrctl_resource_option (method->keys[i]);

      entries[n_entries++] = (GOptionEntry) {
        option->option, 0, 0, G_OPTION_ARG_STRING, &given->texts[i], option->help, option->arg
      };
      settings[i].option = option->option;
      settings[i].kind = option->kind;
    }
  /* The old names fill the same texts: the last one given counts. */
  for (guint i = 0; i < method->n_settings; i++)
    if (method->aliases[i] != NULL)
      {
        char *help = g_strdup_printf ("The same as --%s (its older name)", settings[i].option);

        g_ptr_array_add (alias_help, help);
        entries[n_entries++] = (GOptionEntry) {
          method->aliases[i], 0, 0, G_OPTION_ARG_STRING, &given->texts[i], help,
          vmgrctl_resource_option (method->keys[i])->arg
        };
      }
  status = vmgrctl_command_parse (ctx, cmd, entries, NULL, argv, args);
  if (status != VMGRCTL_EXIT_OK)
    return status;
  for (guint i = 0; i < method->n_settings; i++)
    settings[i].text = given->texts[i];
  if (!vmgrctl_settings_any_given (settings, method->n_settings))
    return vmgrctl_command_usage_error (cmd, "nothing to change");
  /* The values are checked here, before connecting; sent once resolved. */
  if (!vmgrctl_settings_resolve (settings, method->n_settings, &error))
    return vmgrctl_command_fail (cmd, error);
  return VMGRCTL_EXIT_OK;
}

static int
run_settings (VmgrctlContext *ctx, const VmgrctlCommand *cmd, const SettingsMethod *method,
              char **argv)
{
  g_auto(SettingsTexts) given = { { NULL } };
  VmgrctlSetting settings[MAX_SETTINGS] = { { NULL } };
  guint64 current[MAX_SETTINGS] = { 0 };
  guint64 values[MAX_SETTINGS] = { 0 };
  g_auto(GStrv) args = NULL;
  g_autoptr(VmgrDBusVM) vm = NULL;
  g_autoptr(GError) error = NULL;
  int status = parse_settings (ctx, cmd, method, argv, &given, settings, &args);

  if (status == VMGRCTL_EXIT_OK)
    status = vmgrctl_context_lookup_vm (ctx, args[0], &vm);
  if (status != VMGRCTL_EXIT_OK)
    return status;
  method->read (vm, current);
  for (guint i = 0; i < method->n_settings; i++)
    settings[i].current = current[i];
  /* Cannot fail: the texts parsed before. */
  vmgrctl_settings_resolve (settings, method->n_settings, NULL);
  for (guint i = 0; i < method->n_settings; i++)
    values[i] = settings[i].value;
  if (!method->call (vm, values, &error))
    {
      vmgrctl_error_use_option_names (error, vmgrctl_vm_option_keys ());
      return vmgrctl_fail (error, "cannot set %s of '%s'", method->what, args[0]);
    }
  return VMGRCTL_EXIT_OK;
}

int
vmgrctl_cmd_set_memory (VmgrctlContext *ctx, const VmgrctlCommand *cmd, char **argv)
{
  return run_settings (ctx, cmd, &memory_method, argv);
}

int
vmgrctl_cmd_set_cpu (VmgrctlContext *ctx, const VmgrctlCommand *cmd, char **argv)
{
  return run_settings (ctx, cmd, &cpu_method, argv);
}

int
vmgrctl_cmd_set_disk (VmgrctlContext *ctx, const VmgrctlCommand *cmd, char **argv)
{
  return run_settings (ctx, cmd, &disk_method, argv);
}

int
vmgrctl_cmd_set_network (VmgrctlContext *ctx, const VmgrctlCommand *cmd, char **argv)
{
  g_autofree char *hostname = NULL;
  g_autofree char *gateway = NULL;
  g_auto(GStrv) addresses = NULL;
  g_auto(GStrv) nameservers = NULL;
  const GOptionEntry entries[] = {
    { "hostname", 0, 0, G_OPTION_ARG_STRING, &hostname, "Host name", "NAME" },
    { "address", 0, 0, G_OPTION_ARG_STRING_ARRAY, &addresses,
      "Address, repeatable; replaces all ('' for none)", "CIDR" },
    { "gateway", 0, 0, G_OPTION_ARG_STRING, &gateway, "Default gateway ('' for none)", "IP" },
    { "nameserver", 0, 0, G_OPTION_ARG_STRING_ARRAY, &nameservers,
      "Name server, repeatable; replaces all ('' for none)", "IP" },
    { NULL }
  };
  g_auto(GStrv) args = NULL;
  g_autoptr(VmgrDBusVM) vm = NULL;
  g_autoptr(GVariant) settings = NULL;
  g_autoptr(GError) error = NULL;
  int status = vmgrctl_command_parse (ctx, cmd, entries, NULL, argv, &args);

  if (status != VMGRCTL_EXIT_OK)
    return status;
  if (hostname == NULL && addresses == NULL && gateway == NULL && nameservers == NULL)
    return vmgrctl_command_usage_error (cmd, "nothing to change");
  status = vmgrctl_context_lookup_vm (ctx, args[0], &vm);
  if (status != VMGRCTL_EXIT_OK)
    return status;
  settings = g_variant_ref_sink (vmgrctl_network_settings (hostname,
                                                           (const char *const *) addresses,
                                                           gateway,
                                                           (const char *const *) nameservers));
  if (!vmgr_dbus_vm_call_set_network_sync (vm, settings, NULL, &error))
    {
      vmgrctl_error_use_option_names (error, vmgrctl_vm_option_keys ());
      return vmgrctl_fail (error, "cannot set the network of '%s'", args[0]);
    }
  return VMGRCTL_EXIT_OK;
}

int
vmgrctl_cmd_autostart (VmgrctlContext *ctx, const VmgrctlCommand *cmd, char **argv)
{
  g_auto(GStrv) args = NULL;
  g_autoptr(VmgrDBusVM) vm = NULL;
  g_autoptr(GError) error = NULL;
  gboolean on = FALSE;
  int status = vmgrctl_command_parse (ctx, cmd, NULL, NULL, argv, &args);

  if (status != VMGRCTL_EXIT_OK)
    return status;
  if (!vmgrctl_parse_switch (args[1], &on, &error))
    return vmgrctl_command_usage_error (cmd, error->message);
  status = vmgrctl_context_lookup_vm (ctx, args[0], &vm);
  if (status != VMGRCTL_EXIT_OK)
    return status;
  if (!vmgr_dbus_vm_call_set_autostart_sync (vm, on, NULL, &error))
    return vmgrctl_fail (error, "cannot set autostart of '%s'", args[0]);
  return VMGRCTL_EXIT_OK;
}

int
vmgrctl_cmd_chown (VmgrctlContext *ctx, const VmgrctlCommand *cmd, char **argv)
{
  g_auto(GStrv) args = NULL;
  g_autoptr(VmgrDBusVM) vm = NULL;
  g_autoptr(GError) error = NULL;
  guint32 uid;
  int status = vmgrctl_command_parse (ctx, cmd, NULL, NULL, argv, &args);

  if (status != VMGRCTL_EXIT_OK)
    return status;
  if (!vmgrctl_context_resolve_user (ctx, args[1], &uid, &error))
    return vmgrctl_command_fail (cmd, error);
  status = vmgrctl_context_lookup_vm (ctx, args[0], &vm);
  if (status != VMGRCTL_EXIT_OK)
    return status;
  if (!vmgr_dbus_vm_call_set_owner_sync (vm, uid, NULL, &error))
    return vmgrctl_fail (error, "cannot change the owner of '%s'", args[0]);
  return VMGRCTL_EXIT_OK;
}
