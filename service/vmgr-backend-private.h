/* What the parts of the libvirt backend share (vmgr-backend.c,
 * vmgr-backend-resources.c, vmgr-backend-stats.c). Not for other modules:
 * they use vmgr-backend.h. Everything here is meant for worker threads:
 * libvirt's last error is per thread, so report it in the thread that saw
 * the failure. */
#pragma once

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "vmgr-backend.h"

G_BEGIN_DECLS

typedef virDomain VmgrVirDomain;

static inline void
vmgr_vir_domain_release (VmgrVirDomain *domain)
{
  virDomainFree (domain);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VmgrVirDomain, vmgr_vir_domain_release)

/* The backend's connection; valid as long as the caller holds a reference
 * on @self (every GTask does, through its source object). */
virConnectPtr vmgr_backend_get_connection (VmgrBackend *self);

/* The one place libvirt errors become vmgr errors. Call it right after the
 * failing call, in the same thread. Returns libvirt's error code for
 * callers that need to tell cases apart. */
int vmgr_backend_set_error_from_libvirt (GError **error);

/* TRUE when @rc is a libvirt success (>= 0); otherwise sets @error. */
gboolean vmgr_backend_libvirt_ok (int rc, GError **error);

/* Whether libvirt error @code means "this driver does not take these
 * flags" (or lacks the call altogether). */
gboolean vmgr_backend_is_flags_refusal (int code);

/* The domain with @uuid: INVALID_ARGUMENT for a malformed UUID, NOT_FOUND
 * when there is none. */
virDomainPtr vmgr_backend_lookup_domain (VmgrBackend *self, const char *uuid,
                                         GError **error);

/* Returns the cancellation error on @task if its cancellable was
 * cancelled; TRUE when it did (the task is then complete). */
gboolean vmgr_backend_task_return_if_cancelled (GTask *task);

G_END_DECLS
