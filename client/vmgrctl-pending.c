#include "vmgrctl-pending.h"

#include "vmgrctl-output.h"
#include "vmgrctl-units.h"

char *
vmgrctl_pending_describe (GVariant *pending)
{
  g_autoptr(GPtrArray) parts = g_ptr_array_new_with_free_func (g_free);
  guint64 memory;
  guint32 vcpus;

  if (pending == NULL)
    return NULL;
  if (g_variant_lookup (pending, "memory_limit", "t", &memory))
    {
      g_autofree char *size = vmgrctl_format_size (memory);

      g_ptr_array_add (parts, g_strdup_printf ("memory %s", size));
    }
  if (g_variant_lookup (pending, "vcpus", "u", &vcpus))
    g_ptr_array_add (parts, g_strdup_printf ("%u vCPUs", vcpus));
  if (parts->len == 0)
    return NULL;
  g_ptr_array_add (parts, NULL);
  return g_strjoinv (", ", (char **) parts->pdata);
}

void
vmgrctl_pending_report (VmgrDBusVM *vm)
{
  GDBusProxy *proxy = G_DBUS_PROXY (vm);
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = g_dbus_connection_call_sync (
    g_dbus_proxy_get_connection (proxy), g_dbus_proxy_get_name (proxy),
    g_dbus_proxy_get_object_path (proxy), "org.freedesktop.DBus.Properties", "Get",
    g_variant_new ("(ss)", "org.vmgr.VM", "PendingChanges"), G_VARIANT_TYPE ("(v)"),
    G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
  g_autoptr(GVariant) pending = NULL;
  g_autofree char *text = NULL;
  g_autofree char *line = NULL;

  /* An older vmgrd has no such property: nothing to say then. */
  if (reply == NULL)
    return;
  g_variant_get (reply, "(v)", &pending);
  if (!g_variant_is_of_type (pending, G_VARIANT_TYPE_VARDICT))
    return;
  text = vmgrctl_pending_describe (pending);
  if (text == NULL)
    return;
  line = g_strdup_printf ("The running guest keeps its current size: %s takes effect at next "
                          "start.\n", text);
  vmgrctl_print (line);
}
