/* The audit log: every mutation (allowed or failed) and every denial, with
 * who asked (uid, user name, bus name, pid), the verb and the action, the
 * target (path, name, UUID), the values changed and the outcome; written
 * to the store and to the journal. */
#pragma once

#include "vmgr-peers.h"
#include "vmgr-store.h"

G_BEGIN_DECLS

/* What an entry is about: an object path (or another name, e.g. "audit")
 * and, for a VM, its name and UUID; for a customer, its user name. */
typedef struct {
  const char *path;
  const char *name;   /* NULL when none */
  const char *uuid;   /* NULL when none */
} VmgrAuditTarget;

/* A row: @caller called @verb (NULL: unknown) under @action on @target,
 * with @result ("allowed", "denied" or "failed") and @message. */
VmgrAuditEntry *vmgr_audit_entry_for (const VmgrCaller *caller, const char *verb,
                                      const char *action, const VmgrAuditTarget *target,
                                      const char *result, const char *message);

/* Writes @entry to the journal. */
void vmgr_audit_log (const VmgrAuditEntry *entry);

/* Writes @entry to the journal and the store. @store may be NULL (the
 * journal only). A store that cannot write is warned about. */
void vmgr_audit_record_entry (VmgrStore *store, const VmgrAuditEntry *entry);

G_END_DECLS
