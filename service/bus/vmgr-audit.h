/* The audit log: every mutation (allowed or failed) and every denial, with
 * who asked (uid, user name, bus name, pid), the action, the target and the
 * outcome; written to the store and to the journal. */
#pragma once

#include "vmgr-peers.h"
#include "vmgr-store.h"

G_BEGIN_DECLS

/* A row: @caller asked for @action on @target, with @result ("allowed",
 * "denied" or "failed") and @message. */
VmgrAuditEntry *vmgr_audit_entry_for (const VmgrCaller *caller, const char *action,
                                      const char *target, const char *result,
                                      const char *message);

/* Writes @entry to the journal. */
void vmgr_audit_log (const VmgrAuditEntry *entry);

/* Writes a row to the journal and the store. @store may be NULL (the
 * journal only). A store that cannot write is warned about. */
void vmgr_audit_record (VmgrStore *store, const VmgrCaller *caller, const char *action,
                        const char *target, const char *result, const char *message);

G_END_DECLS
