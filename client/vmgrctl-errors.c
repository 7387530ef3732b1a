/* Error name -> exit status, and the one-line error report. */
#include "vmgrctl-errors.h"

#include <string.h>

G_DEFINE_QUARK (vmgrctl-error-quark, vmgrctl_error)

const char vmgrctl_exit_status_help[] =
  "Exit status:\n"
  "   0  success\n"
  "   1  failure of another kind\n"
  "   2  usage error\n"
  "   3  not found\n"
  "   4  not authorized\n"
  "   5  invalid state (or busy)\n"
  "   6  already exists\n"
  "   7  invalid argument\n"
  "   8  quota exceeded\n"
  "   9  not supported\n"
  "  10  timed out waiting for the expected state\n"
  "  11  cannot connect to the bus, or vmgrd is not running\n"
  " 130  interrupted by Ctrl-C while a new VM was provisioned (create,\n"
  "      contract): the provisioning is cancelled\n";

static const struct {
  const char *name;
  VmgrctlExit code;
} error_names[] = {
  { "org.vmgr.Error.NotAuthorized", VMGRCTL_EXIT_NOT_AUTHORIZED },
  { "org.vmgr.Error.NotFound", VMGRCTL_EXIT_NOT_FOUND },
  { "org.vmgr.Error.InvalidArgument", VMGRCTL_EXIT_INVALID_ARGUMENT },
  { "org.vmgr.Error.AlreadyExists", VMGRCTL_EXIT_ALREADY_EXISTS },
  { "org.vmgr.Error.InvalidState", VMGRCTL_EXIT_INVALID_STATE },
  { "org.vmgr.Error.Busy", VMGRCTL_EXIT_INVALID_STATE },
  { "org.vmgr.Error.QuotaExceeded", VMGRCTL_EXIT_QUOTA_EXCEEDED },
  { "org.vmgr.Error.NotSupported", VMGRCTL_EXIT_NOT_SUPPORTED },
  { "org.vmgr.Error.Hypervisor", VMGRCTL_EXIT_FAILURE },
  { "org.vmgr.Error.Failed", VMGRCTL_EXIT_FAILURE },
  { "org.freedesktop.DBus.Error.InvalidArgs", VMGRCTL_EXIT_INVALID_ARGUMENT },
  { "org.freedesktop.DBus.Error.AccessDenied", VMGRCTL_EXIT_NOT_AUTHORIZED },
  { "org.freedesktop.DBus.Error.AuthFailed", VMGRCTL_EXIT_NOT_AUTHORIZED },
  { "org.freedesktop.DBus.Error.InteractiveAuthorizationRequired", VMGRCTL_EXIT_NOT_AUTHORIZED },
  { "org.freedesktop.DBus.Error.UnknownObject", VMGRCTL_EXIT_NOT_FOUND },
  { "org.freedesktop.DBus.Error.UnknownMethod", VMGRCTL_EXIT_NOT_SUPPORTED },
  { "org.freedesktop.DBus.Error.UnknownInterface", VMGRCTL_EXIT_NOT_SUPPORTED },
  { "org.freedesktop.DBus.Error.UnknownProperty", VMGRCTL_EXIT_NOT_SUPPORTED },
  { "org.freedesktop.DBus.Error.ServiceUnknown", VMGRCTL_EXIT_NO_BUS },
  { "org.freedesktop.DBus.Error.NameHasNoOwner", VMGRCTL_EXIT_NO_BUS },
  { "org.freedesktop.DBus.Error.NoServer", VMGRCTL_EXIT_NO_BUS },
  { "org.freedesktop.DBus.Error.Disconnected", VMGRCTL_EXIT_NO_BUS },
};

/* What GDBus (and vmgrd, for an object the caller may not see) answers
 * for a call to a path where no object is: UnknownMethod, but the object
 * is what is missing. */
#define UNKNOWN_METHOD_ERROR "org.freedesktop.DBus.Error.UnknownMethod"
#define NO_OBJECT_MESSAGE "Object does not exist at path"

/* Bus activation failures: org.freedesktop.DBus.Error.Spawn.ExecFailed, ... */
#define SPAWN_ERROR_PREFIX "org.freedesktop.DBus.Error.Spawn."

VmgrctlExit
vmgrctl_exit_code_for_error_name (const char *dbus_error_name)
{
  if (dbus_error_name == NULL)
    return VMGRCTL_EXIT_FAILURE;
  for (gsize i = 0; i < G_N_ELEMENTS (error_names); i++)
    if (g_str_equal (error_names[i].name, dbus_error_name))
      return error_names[i].code;
  if (g_str_has_prefix (dbus_error_name, SPAWN_ERROR_PREFIX))
    return VMGRCTL_EXIT_NO_BUS;
  return VMGRCTL_EXIT_FAILURE;
}

VmgrctlExit
vmgrctl_exit_code_for_error (const GError *error)
{
  g_autofree char *name = NULL;

  if (error->domain == VMGRCTL_ERROR)
    return (VmgrctlExit) error->code;
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CLOSED))
    return VMGRCTL_EXIT_NO_BUS;
  name = g_dbus_error_get_remote_error (error);
  if (g_strcmp0 (name, UNKNOWN_METHOD_ERROR) == 0
      && strstr (error->message, NO_OBJECT_MESSAGE) != NULL)
    return VMGRCTL_EXIT_NOT_FOUND;
  return vmgrctl_exit_code_for_error_name (name);
}

/* Keys that are also ordinary words: named as options only when quoted. */
static const char *const plain_word_keys[] = {
  "id", "owner", "plan", "start", "autostart", "email", "phone", "address", "province", NULL
};

static gboolean
is_key_char (char c)
{
  return g_ascii_isalnum (c) || c == '_';
}

/* The pair whose key is the word of @length bytes at @word, or NULL. */
static const VmgrctlKeyOption *
find_key (const VmgrctlKeyOption *pairs, const char *word, gsize length)
{
  for (gsize i = 0; pairs[i].key != NULL; i++)
    if (strlen (pairs[i].key) == length && strncmp (pairs[i].key, word, length) == 0)
      return &pairs[i];
  return NULL;
}

char *
vmgrctl_message_use_option_names (const char *message, const VmgrctlKeyOption *pairs)
{
  GString *out = g_string_new (NULL);
  const char *p = message;

  while (*p != '\0')
    {
      const char *end = p;
      const VmgrctlKeyOption *pair;
      gboolean quoted;

      if (!is_key_char (*p) || (p > message && is_key_char (p[-1])))
        {
          g_string_append_c (out, *p++);
          continue;
        }
      while (is_key_char (*end))
        end++;
      pair = find_key (pairs, p, end - p);
      quoted = p > message && p[-1] == '\'' && *end == '\'';
      if (pair != NULL && (quoted || !g_strv_contains (plain_word_keys, pair->key)))
        g_string_append_printf (out, "--%s", pair->option);
      else
        g_string_append_len (out, p, end - p);
      p = end;
    }
  return g_string_free (out, FALSE);
}

void
vmgrctl_error_use_option_names (GError *error, const VmgrctlKeyOption *pairs)
{
  char *message;

  if (error == NULL || vmgrctl_exit_code_for_error (error) != VMGRCTL_EXIT_INVALID_ARGUMENT
      || error->domain == VMGRCTL_ERROR)
    return;
  message = vmgrctl_message_use_option_names (error->message, pairs);
  g_free (error->message);
  error->message = message;
}

/* "cannot Start VM ..." reads "cannot start VM ...". */
static void
lower_verb_after_cannot (char *message)
{
  static const char prefix[] = "cannot ";

  if (g_str_has_prefix (message, prefix) && g_ascii_isupper (message[strlen (prefix)])
      && g_ascii_islower (message[strlen (prefix) + 1]))
    message[strlen (prefix)] = g_ascii_tolower (message[strlen (prefix)]);
}

VmgrctlExit
vmgrctl_fail (GError *error, const char *what_format, ...)
{
  VmgrctlExit code = vmgrctl_exit_code_for_error (error);
  g_autofree char *what = NULL;
  g_autofree char *message = NULL;
  gboolean from_vmgrd;
  va_list args;

  va_start (args, what_format);
  what = g_strdup_vprintf (what_format, args);
  va_end (args);

  from_vmgrd = g_dbus_error_is_remote_error (error);
  g_dbus_error_strip_remote_error (error);
  message = g_strdelimit (g_strdup (error->message), "\r\n", ' ');
  if (code == VMGRCTL_EXIT_NOT_AUTHORIZED)
    g_printerr ("vmgrctl: not authorized: %s\n", message);
  else if (from_vmgrd && g_str_has_prefix (message, "cannot "))
    {
      lower_verb_after_cannot (message);
      g_printerr ("vmgrctl: %s\n", message);
    }
  else
    g_printerr ("vmgrctl: %s: %s\n", what, message);
  return code;
}
