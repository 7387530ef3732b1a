/* What the real-backend C tests share (see real-helpers.h). */
#include "real-helpers.h"

#include <gio/gunixfdlist.h>

int
vmgr_real_test_run (const char *driver, VmgrTestDaemon **daemon)
{
  g_autofree char *name = g_ascii_strup (driver, -1);
  g_autofree char *uri_variable = g_strdup_printf ("VMGR_LIBVIRT_%s_URI", name);
  g_autofree char *error_variable = g_strdup_printf ("VMGR_LIBVIRT_%s_ERROR", name);
  g_autofree char *uri = g_strdup_printf ("%s:///system", driver);
  g_autofree char *config = NULL;
  const char *harness_uri = g_getenv (uri_variable);

  if (!g_test_subprocess () && (harness_uri == NULL || *harness_uri == '\0'))
    g_error ("no %s driver (%s): run under tests/harness/libvirtd.sh", name,
             g_getenv (error_variable));
  g_setenv ("VMGR_TEST_DAEMON_URI", uri, TRUE);
  config = g_strdup_printf ("[daemon]\nnetwork=%s\n",
                            g_strcmp0 (g_getenv ("VMGR_LIBVIRT_NETWORK"), "default") == 0
                              ? "default" : "");
  return vmgr_test_run_with_daemon (config, NULL, daemon);
}

void
vmgr_real_add_template (VmgrTestClient *client, const char *name, const char *os,
                        const char *source)
{
  g_autoptr(GError) error = NULL;
  GVariantDict props;

  g_variant_dict_init (&props, NULL);
  if (os != NULL)
    g_variant_dict_insert (&props, "os", "s", os);
  g_variant_dict_insert (&props, "source", "s", source);
  vmgr_dbus_manager_call_add_template_sync (client->manager, name,
                                            g_variant_dict_end (&props), NULL, &error);
  g_assert_no_error (error);
}

gboolean
vmgr_real_provisioned (gpointer vm)
{
  return g_strcmp0 (vmgr_dbus_vm_get_state (vm), "stopped") == 0 &&
         g_strcmp0 (vmgr_dbus_vm_get_job (vm), "/") == 0;
}

char *
vmgr_real_guest_dir (VmgrTestDaemon *daemon, VmgrDBusVM *vm)
{
  return g_strdup_printf ("%s/guests/%u", vmgr_test_daemon_get_state_dir (daemon),
                          vmgr_dbus_vm_get_id (vm));
}

int
vmgr_real_open_console (VmgrDBusVM *vm)
{
  g_autoptr(GUnixFDList) fds = NULL;
  g_autoptr(GVariant) handle = NULL;
  g_autoptr(GError) error = NULL;
  int fd;

  vmgr_dbus_vm_call_open_console_sync (vm, NULL, &handle, &fds, NULL, &error);
  g_assert_no_error (error);
  fd = g_unix_fd_list_get (fds, g_variant_get_handle (handle), &error);
  g_assert_no_error (error);
  return fd;
}
