#include "vmgr-audit.h"

VmgrAuditEntry *
vmgr_audit_entry_for (const VmgrCaller *caller, const char *verb, const char *action,
                      const VmgrAuditTarget *target, const char *result, const char *message)
{
  VmgrAuditEntry *entry = vmgr_audit_entry_new ();

  entry->time = g_get_real_time ();
  entry->uid = caller->uid;
  entry->caller = g_strdup_printf ("%s (%s)", caller->user_name != NULL ? caller->user_name : "?",
                                   caller->bus_name != NULL ? caller->bus_name : "?");
  entry->pid = caller->pid;
  entry->verb = g_strdup (verb);
  entry->action = g_strdup (action);
  entry->target = g_strdup (target->path != NULL ? target->path : "");
  entry->target_name = g_strdup (target->name);
  entry->target_uuid = g_strdup (target->uuid);
  entry->result = g_strdup (result);
  entry->message = g_strdup (message != NULL ? message : "");
  return entry;
}

static char *
describe_changes (const GPtrArray *changes)
{
  GString *text = g_string_new (NULL);

  for (guint i = 0; i < changes->len; i++)
    {
      const VmgrAuditChange *change = g_ptr_array_index (changes, i);

      g_string_append_printf (text, " %s=%s->%s", change->field,
                              change->old_value != NULL ? change->old_value : "-",
                              change->new_value != NULL ? change->new_value : "-");
    }
  return g_string_free (text, FALSE);
}

void
vmgr_audit_log (const VmgrAuditEntry *entry)
{
  g_autofree char *changes = describe_changes (entry->changes);

  g_message ("audit: %s uid=%u pid=%" G_GINT64_FORMAT " %s %s %s%s%s%s%s: %s%s%s", entry->caller,
             entry->uid, entry->pid, entry->verb != NULL ? entry->verb : "-", entry->action,
             entry->target, entry->target_name != NULL ? " (" : "",
             entry->target_name != NULL ? entry->target_name : "",
             entry->target_name != NULL ? ")" : "", changes, entry->result,
             *entry->message ? ": " : "", entry->message);
}

void
vmgr_audit_record_entry (VmgrStore *store, const VmgrAuditEntry *entry)
{
  g_autoptr(GError) error = NULL;

  vmgr_audit_log (entry);
  if (store != NULL && !vmgr_store_append_audit (store, entry, &error))
    g_warning ("cannot record the audit entry: %s", error->message);
}
