/* What every exported object works with: the configuration and the parts
 * below the objects (store, backend, authorization, ledger). The daemon
 * builds it and outlives every object; objects keep a pointer to it and
 * never own what is in it. */
#pragma once

#include "vmgr-auth.h"
#include "vmgr-backend.h"
#include "vmgr-config.h"
#include "vmgr-ledger.h"
#include "vmgr-provision.h"
#include "vmgr-store.h"

G_BEGIN_DECLS

typedef struct {
  const VmgrConfig *config;
  VmgrStore *store;
  VmgrBackend *backend;
  VmgrAuth *auth;
  VmgrLedger *ledger;
  /* name -> VmgrBackend: the hosts added besides the configured one
   * (@backend); kept in step by the registry. */
  GHashTable *host_backends;
} VmgrContext;

/* The backend of the host @spec is on: @backend for the configured host
 * (spec->host ""), else that host's. Never NULL: a VM on a host that is
 * not there (RemoveHost refuses while VMs are on it; a stored host whose
 * name the configuration took) falls back to @backend, with a warning. */
VmgrBackend *vmgr_context_backend_for (const VmgrContext *context, const VmgrVmSpec *spec);
/* The name of the host @spec is on. */
const char *vmgr_context_host_name (const VmgrContext *context, const VmgrVmSpec *spec);

/* Whether @spec is on a host added besides the configured one, whose
 * files are storage volumes there (vmgr-backend-volumes.h). */
gboolean vmgr_context_on_added_host (const VmgrContext *context, const VmgrVmSpec *spec);
/* TRUE for a VM whose files are local; for one on an added host
 * NOT_SUPPORTED: "@what is not supported for a VM on the added host ...". */
gboolean vmgr_context_check_local_files (const VmgrContext *context, const VmgrVmSpec *spec,
                                         const char *what, GError **error);

/* The source of @spec's template ("" when it has none or is gone). */
char *vmgr_context_template_source (const VmgrContext *context, const VmgrVmSpec *spec);
/* STATE_DIR/guests/ID of @spec. */
char *vmgr_context_guest_dir (const VmgrContext *context, const VmgrVmSpec *spec);
/* Where @spec's own files are (see vmgr-provision.h): for a VM on an
 * added host, its volumes in that host's pool directory. */
VmgrGuestFiles *vmgr_context_guest_files (const VmgrContext *context, const VmgrVmSpec *spec);
/* Removes @spec's own files: its guest directory here, or on an added
 * host its volumes (not its template's). */
void vmgr_context_remove_files_async (const VmgrContext *context, const VmgrVmSpec *spec,
                                      GAsyncReadyCallback callback, gpointer user_data);
gboolean vmgr_context_remove_files_finish (GAsyncResult *result, GError **error);
/* The libvirt definition of @spec on this backend; of an adopted VM, its
 * own stored definition with @spec's resources. */
char *vmgr_context_build_definition (const VmgrContext *context, const VmgrVmSpec *spec,
                                     GError **error);
/* Keeps (or with @keep FALSE drops) @spec's address reservation on the
 * configured network. */
void vmgr_context_reserve_address (const VmgrContext *context, const VmgrVmSpec *spec,
                                   gboolean keep);

G_END_DECLS
