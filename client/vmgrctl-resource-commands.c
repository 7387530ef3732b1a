/* Commands changing a VM's settings: set-memory, set-cpu, set-disk,
 * set-network, autostart and chown. SetMemory, SetCpu and SetDisk take
 * every value, so the VM is read first and the values not given on the
 * command line are sent as they are. Silent on success; malformed values
 * are usage errors found before connecting. */
#include "vmgrctl-commands.h"

#include "vmgrctl-errors.h"
#include "vmgrctl-options.h"
#include "vmgrctl-pending.h"
#include "vmgrctl-settings.h"

#define MAX_SETTINGS 3

/* One of set-memory, set-cpu, set-disk. */
typedef struct {
  const char *command;
  const char *what;             /* for "cannot set WHAT of 'VM'" */
  guint n_settings;
  struct {
    const char *option;
    VmgrctlSettingKind kind;
    const char *arg;
    const char *help;
  } options[MAX_SETTINGS];
  const char *required;         /* an option that must be given, or NULL */
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
  "set-memory", "memory", 3, {
    { "guarantee", VMGRCTL_SETTING_SIZE, "SIZE", "Guaranteed memory (0: none)" },
    { "soft-limit", VMGRCTL_SETTING_SIZE, "SIZE", "Memory soft limit (0: none)" },
    { "limit", VMGRCTL_SETTING_SIZE, "SIZE", "Memory (limit; required)" },
  }, "limit", read_memory, call_set_memory,
};

static const SettingsMethod cpu_method = {
  "set-cpu", "CPUs", 3, {
    { "vcpus", VMGRCTL_SETTING_COUNT, "N", "Virtual CPUs" },
    { "weight", VMGRCTL_SETTING_COUNT, "N", "Relative CPU weight, 1-10000 (default 100)" },
    { "limit", VMGRCTL_SETTING_PERCENT, "PCT", "CPU limit in percent of one host CPU (0: none)" },
  }, NULL, read_cpu, call_set_cpu,
};

static const SettingsMethod disk_method = {
  "set-disk", "disk limits", 2, {
    { "soft", VMGRCTL_SETTING_SIZE, "SIZE", "Disk soft limit (0: none)" },
    { "hard", VMGRCTL_SETTING_SIZE, "SIZE", "Disk size (hard limit)" },
  }, NULL, read_disk, call_set_disk,
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
  GOptionEntry entries[MAX_SETTINGS + 1] = { { NULL } };
  g_autoptr(GError) error = NULL;
  int status;

  for (guint i = 0; i < method->n_settings; i++)
    {
      entries[i].long_name = method->options[i].option;
      entries[i].arg = G_OPTION_ARG_STRING;
      entries[i].arg_data = &given->texts[i];
      entries[i].description = method->options[i].help;
      entries[i].arg_description = method->options[i].arg;
    }
  status = vmgrctl_command_parse (ctx, cmd, entries, NULL, argv, args);
  if (status != VMGRCTL_EXIT_OK)
    return status;
  for (guint i = 0; i < method->n_settings; i++)
    {
      settings[i].option = method->options[i].option;
      settings[i].kind = method->options[i].kind;
      settings[i].text = given->texts[i];
      if (method->required != NULL && g_str_equal (method->required, settings[i].option)
          && given->texts[i] == NULL)
        {
          g_autofree char *message = g_strdup_printf ("--%s is required", method->required);
          return vmgrctl_command_usage_error (cmd, message);
        }
    }
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
    return vmgrctl_fail (error, "cannot set %s of '%s'", method->what, args[0]);
  vmgrctl_pending_report (vm);
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
    return vmgrctl_fail (error, "cannot set the network of '%s'", args[0]);
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
  if (!vmgrctl_parse_user (args[1], &uid, &error))
    return vmgrctl_command_fail (cmd, error);
  status = vmgrctl_context_lookup_vm (ctx, args[0], &vm);
  if (status != VMGRCTL_EXIT_OK)
    return status;
  if (!vmgr_dbus_vm_call_set_owner_sync (vm, uid, NULL, &error))
    return vmgrctl_fail (error, "cannot change the owner of '%s'", args[0]);
  return VMGRCTL_EXIT_OK;
}
