#include "vmgr-audit.h"

VmgrAuditEntry *
vmgr_audit_entry_for (const VmgrCaller *caller, const char *action, const char *target,
                      const char *result, const char *message)
{
  VmgrAuditEntry *entry = vmgr_audit_entry_new ();

  entry->time = g_get_real_time ();
  entry->uid = caller->uid;
  entry->caller = g_strdup_printf ("%s (%s)", caller->user_name != NULL ? caller->user_name : "?",
                                   caller->bus_name != NULL ? caller->bus_name : "?");
  entry->pid = caller->pid;
  entry->action = g_strdup (action);
  entry->target = g_strdup (target != NULL ? target : "");
  entry->result = g_strdup (result);
  entry->message = g_strdup (message != NULL ? message : "");
  return entry;
}

void
vmgr_audit_log (const VmgrAuditEntry *entry)
{
  g_message ("audit: %s uid=%u pid=%" G_GINT64_FORMAT " %s %s: %s%s%s", entry->caller,
             entry->uid, entry->pid, entry->action, entry->target, entry->result,
             *entry->message ? ": " : "", entry->message);
}

void
vmgr_audit_record (VmgrStore *store, const VmgrCaller *caller, const char *action,
                   const char *target, const char *result, const char *message)
{
  g_autoptr(VmgrAuditEntry) entry = vmgr_audit_entry_for (caller, action, target, result,
                                                          message);
  g_autoptr(GError) error = NULL;

  vmgr_audit_log (entry);
  if (store != NULL && !vmgr_store_append_audit (store, entry, &error))
    g_warning ("cannot record the audit entry: %s", error->message);
}
