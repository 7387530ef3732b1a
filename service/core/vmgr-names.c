#include "vmgr-names.h"

#include <string.h>

char *
vmgr_vm_path (guint32 id)
{
  return g_strdup_printf (VMGR_VM_PATH_PREFIX "%u", id);
}

char *
vmgr_customer_path (guint32 uid)
{
  return g_strdup_printf (VMGR_CUSTOMER_PATH_PREFIX "%u", uid);
}

char *
vmgr_host_path (const char *name)
{
  return g_strconcat (VMGR_HOST_PATH_PREFIX, name, NULL);
}

char *
vmgr_job_path (guint32 number)
{
  return g_strdup_printf (VMGR_JOB_PATH_PREFIX "%u", number);
}

char *
vmgr_snapshot_path (guint32 vm_id, const char *name)
{
  return g_strdup_printf (VMGR_VM_PATH_PREFIX "%u" VMGR_SNAPSHOT_PATH_ELEMENT "%s", vm_id, name);
}

gboolean
vmgr_is_snapshot_path (const char *path)
{
  return path != NULL && g_str_has_prefix (path, VMGR_VM_PATH_PREFIX) &&
         strstr (path + strlen (VMGR_VM_PATH_PREFIX), VMGR_SNAPSHOT_PATH_ELEMENT) != NULL;
}

/* The number after @prefix in its canonical decimal form (no sign, no
 * leading zero, "0" only when @allow_zero), so that one object has one
 * path. */
static gboolean
number_after (const char *path, const char *prefix, gboolean allow_zero, guint32 *number)
{
  const char *digits;
  guint64 value;

  if (path == NULL || !g_str_has_prefix (path, prefix))
    return FALSE;
  digits = path + strlen (prefix);
  if (g_str_equal (digits, "0"))
    {
      *number = 0;
      return allow_zero;
    }
  if (*digits == '\0' || *digits == '0' ||
      !g_ascii_string_to_unsigned (digits, 10, 1, G_MAXUINT32 - 1, &value, NULL))
    return FALSE;
  *number = (guint32) value;
  return TRUE;
}

guint32
vmgr_vm_id_from_path (const char *path)
{
  guint32 id = 0;

  return number_after (path, VMGR_VM_PATH_PREFIX, FALSE, &id) ? id : 0;
}

gboolean
vmgr_customer_uid_from_path (const char *path, guint32 *uid)
{
  return number_after (path, VMGR_CUSTOMER_PATH_PREFIX, TRUE, uid);
}

gboolean
vmgr_is_tenant_path (const char *path)
{
  return g_str_has_prefix (path, VMGR_VM_PATH_PREFIX) ||
         g_str_has_prefix (path, VMGR_CUSTOMER_PATH_PREFIX) ||
         g_str_has_prefix (path, VMGR_JOB_PATH_PREFIX) ||
         g_str_has_prefix (path, VMGR_HOST_PATH_PREFIX);
}

const char *
vmgr_tenant_interface (const char *path)
{
  if (vmgr_is_snapshot_path (path))
    return VMGR_SNAPSHOT_INTERFACE;
  if (g_str_has_prefix (path, VMGR_VM_PATH_PREFIX))
    return VMGR_VM_INTERFACE;
  if (g_str_has_prefix (path, VMGR_CUSTOMER_PATH_PREFIX))
    return VMGR_CUSTOMER_INTERFACE;
  if (g_str_has_prefix (path, VMGR_JOB_PATH_PREFIX))
    return VMGR_JOB_INTERFACE;
  if (g_str_has_prefix (path, VMGR_HOST_PATH_PREFIX))
    return VMGR_HOST_INTERFACE;
  return NULL;
}
