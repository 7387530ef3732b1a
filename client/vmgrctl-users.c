/* User names as vmgrctl shows them, typed back (see
 * vmgrctl_context_resolve_user() in vmgrctl-context.h). */
#include "vmgrctl-context.h"

#include <pwd.h>

#include "vmgrctl-errors.h"

/* The uid vmgrd gives @name: a customer's UserName first, then a VM's
 * OwnerName, among the objects the caller may see (one
 * GetManagedObjects). */
static gboolean
lookup_in_vmgrd (VmgrctlContext *ctx, const char *name, guint32 *uid, GError **error)
{
  g_autoptr(GDBusObjectManager) objects = NULL;
  g_autolist(GDBusObject) list = NULL;
  gboolean found = FALSE;

  objects = vmgr_dbus_object_manager_client_new_sync (
    ctx->connection, G_DBUS_OBJECT_MANAGER_CLIENT_FLAGS_DO_NOT_AUTO_START, VMGRCTL_BUS_NAME,
    VMGRCTL_OBJECT_MANAGER_PATH, NULL, error);
  if (objects == NULL)
    return FALSE;
  list = g_dbus_object_manager_get_objects (objects);
  for (GList *l = list; l != NULL && !found; l = l->next)
    {
      VmgrDBusCustomer *customer = vmgr_dbus_object_peek_customer (VMGR_DBUS_OBJECT (l->data));

      if (customer != NULL && g_strcmp0 (vmgr_dbus_customer_get_user_name (customer), name) == 0)
        {
          *uid = vmgr_dbus_customer_get_uid (customer);
          found = TRUE;
        }
    }
  for (GList *l = list; l != NULL && !found; l = l->next)
    {
      VmgrDBusVM *vm = vmgr_dbus_object_peek_vm (VMGR_DBUS_OBJECT (l->data));

      if (vm != NULL && g_strcmp0 (vmgr_dbus_vm_get_owner_name (vm), name) == 0)
        {
          *uid = vmgr_dbus_vm_get_owner (vm);
          found = TRUE;
        }
    }
  return found;
}

gboolean
vmgrctl_context_resolve_user (VmgrctlContext *ctx, const char *text, guint32 *uid,
                              GError **error)
{
  g_autoptr(GError) local_error = NULL;
  guint64 number;
  struct passwd *pw;

  if (g_ascii_string_to_unsigned (text, 10, 0, G_MAXUINT32 - 1, &number, NULL))
    {
      *uid = (guint32) number;
      return TRUE;
    }
  pw = getpwnam (text);
  if (pw != NULL)
    {
      *uid = pw->pw_uid;
      return TRUE;
    }
  if (vmgrctl_context_ensure_manager (ctx, &local_error)
      && lookup_in_vmgrd (ctx, text, uid, &local_error))
    return TRUE;
  if (local_error != NULL)
    g_set_error (error, VMGRCTL_ERROR, VMGRCTL_EXIT_INVALID_ARGUMENT,
                 "no user named '%s' on this host (vmgrd, which may know it, could not be "
                 "asked: %s)", text,
                 local_error->message);
  else
    g_set_error (error, VMGRCTL_ERROR, VMGRCTL_EXIT_INVALID_ARGUMENT,
                 "no user named '%s' on this host, nor a customer or VM owner of that name "
                 "in vmgrd", text);
  return FALSE;
}
