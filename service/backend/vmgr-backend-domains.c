/* Defining domains, lifecycle operations, autostart and the states of all
 * domains: each in a worker thread. */
#include "vmgr-backend.h"

#include "vmgr-backend-private.h"
#include "vmgr-domain-xml.h"
#include "vmgr-error.h"

/* ---- define ---- */

/* A domain keeps the name it was first defined with (libvirt refuses a
 * second name for one UUID): @xml with the name of the domain libvirt
 * already has for its UUID, or NULL when there is none or it is the same. */
static char *
with_existing_name (virConnectPtr conn, const char *xml)
{
  g_autofree char *uuid = vmgr_domain_xml_get_uuid (xml);
  g_autoptr(VmgrVirDomain) existing = NULL;

  if (uuid == NULL)
    return NULL;
  existing = virDomainLookupByUUIDString (conn, uuid);
  if (existing == NULL)
    {
      virResetLastError ();
      return NULL;
    }
  return vmgr_domain_xml_rename (xml, virDomainGetName (existing));
}

static void
define_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  VmgrBackend *self = source;
  VmgrBackendTaskData *data = task_data;
  g_autoptr(VmgrVirConnect) conn = NULL;
  g_autoptr(VmgrVirDomain) domain = NULL;
  g_autofree char *renamed = NULL;
  GError *error = NULL;

  if (vmgr_backend_task_return_if_cancelled (task))
    return;
  conn = vmgr_backend_ref_connection (self, &error);
  if (conn != NULL)
    {
      renamed = with_existing_name (conn, data->xml);
      domain = virDomainDefineXML (conn, renamed != NULL ? renamed : data->xml);
      if (domain == NULL)
        vmgr_backend_set_error_from_libvirt (&error);
    }
  vmgr_backend_task_return (task, domain != NULL, error);
}

void
vmgr_backend_define_async (VmgrBackend *self, const char *domain_xml,
                           GCancellable *cancellable,
                           GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (VMGR_IS_BACKEND (self));
  g_return_if_fail (domain_xml != NULL);

  task = vmgr_backend_task_new (self, vmgr_backend_define_async, cancellable, callback, user_data);
  ((VmgrBackendTaskData *) g_task_get_task_data (task))->xml = g_strdup (domain_xml);
  g_task_run_in_thread (task, define_thread);
}

gboolean
vmgr_backend_define_finish (VmgrBackend *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- lifecycle operations ---- */

/* "The VM cannot be started: it is already running." */
static const char *const op_done_texts[] = {
  [VMGR_BACKEND_OP_START] = "started",
  [VMGR_BACKEND_OP_SHUTDOWN] = "shut down",
  [VMGR_BACKEND_OP_DESTROY] = "stopped",
  [VMGR_BACKEND_OP_REBOOT] = "restarted",
  [VMGR_BACKEND_OP_SUSPEND] = "suspended",
  [VMGR_BACKEND_OP_RESUME] = "resumed",
  [VMGR_BACKEND_OP_UNDEFINE] = "deleted",
  [VMGR_BACKEND_OP_SAVE] = "saved",
};

/* Why @op cannot run in libvirt state @state, or NULL when it can. Drivers
 * disagree on how they refuse (the test driver says "internal error" for
 * suspending a stopped domain), so vmgr checks first and answers
 * INVALID_STATE the same way everywhere. */
static const char *
op_state_problem (VmgrBackendOp op, int state)
{
  gboolean active = state != VIR_DOMAIN_SHUTOFF;

  if (state == VIR_DOMAIN_NOSTATE)
    return NULL;
  switch (op)
    {
    case VMGR_BACKEND_OP_START:
      return active ? "it is already running" : NULL;
    case VMGR_BACKEND_OP_SHUTDOWN:
    case VMGR_BACKEND_OP_DESTROY:
    case VMGR_BACKEND_OP_REBOOT:
      return active ? NULL : "it is not running";
    case VMGR_BACKEND_OP_SUSPEND:
      if (state == VIR_DOMAIN_PAUSED)
        return "it is already paused";
      return state == VIR_DOMAIN_RUNNING || state == VIR_DOMAIN_BLOCKED
             ? NULL : "it is not running (start it first)";
    case VMGR_BACKEND_OP_RESUME:
      return state == VIR_DOMAIN_PAUSED ? NULL : "it is not paused";
    case VMGR_BACKEND_OP_SAVE:
      return state == VIR_DOMAIN_RUNNING || state == VIR_DOMAIN_BLOCKED ||
             state == VIR_DOMAIN_PAUSED ? NULL : "it is not running";
    case VMGR_BACKEND_OP_UNDEFINE:
    default:
      return NULL;
    }
}

static gboolean
check_op_state (virDomainPtr domain, VmgrBackendOp op, GError **error)
{
  int state = VIR_DOMAIN_NOSTATE;
  int reason = 0;
  const char *problem;

  if (virDomainGetState (domain, &state, &reason, 0) < 0)
    {
      vmgr_backend_set_error_from_libvirt (error);
      return FALSE;
    }
  problem = op_state_problem (op, state);
  if (problem != NULL)
    {
      g_set_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_STATE, "The VM cannot be %s: %s",
                   op_done_texts[op], problem);
      return FALSE;
    }
  return TRUE;
}

gboolean
vmgr_backend_libvirt_ok (int rc, GError **error)
{
  if (rc >= 0)
    return TRUE;
  vmgr_backend_set_error_from_libvirt (error);
  return FALSE;
}

gboolean
vmgr_backend_is_flags_refusal (int code)
{
  /* Older drivers lack the call; current ones refuse unknown flags with
   * VIR_ERR_INVALID_ARG ("unsupported flags"). */
  return code == VIR_ERR_NO_SUPPORT || code == VIR_ERR_ARGUMENT_UNSUPPORTED ||
         code == VIR_ERR_INVALID_ARG;
}

static gboolean
undefine_domain (virDomainPtr domain, GError **error)
{
  g_autoptr(GError) local_error = NULL;
  int code;

  if (virDomainIsActive (domain) == 1 && virDomainDestroy (domain) < 0 &&
      vmgr_backend_set_error_from_libvirt (&local_error) != VIR_ERR_OPERATION_INVALID)
    {
      /* OPERATION_INVALID: it stopped meanwhile, which is what we want. */
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  g_clear_error (&local_error);
  if (virDomainUndefineFlags (domain, VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA |
                                      VIR_DOMAIN_UNDEFINE_MANAGED_SAVE) == 0)
    return TRUE;
  code = vmgr_backend_set_error_from_libvirt (&local_error);
  if (!vmgr_backend_is_flags_refusal (code))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  return vmgr_backend_libvirt_ok (virDomainUndefine (domain), error);
}

/* For a moment after a container starts, libvirt's LXC driver refuses to
 * signal it ("Init process ID is not yet known", OPERATION_INVALID) until
 * its controller has reported the init: retry briefly, in this worker
 * thread. */
#define LXC_INIT_WAIT_US (2 * G_USEC_PER_SEC)
#define LXC_INIT_RETRY_US (20 * 1000)

static gboolean
signal_container (virDomainPtr domain, GError **error)
{
  gint64 deadline = g_get_monotonic_time () + LXC_INIT_WAIT_US;

  for (;;)
    {
      g_autoptr(GError) local_error = NULL;

      if (virDomainShutdownFlags (domain, VIR_DOMAIN_SHUTDOWN_SIGNAL) == 0)
        return TRUE;
      if (vmgr_backend_set_error_from_libvirt (&local_error) != VIR_ERR_OPERATION_INVALID ||
          virDomainIsActive (domain) != 1 || g_get_monotonic_time () > deadline)
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      g_usleep (LXC_INIT_RETRY_US);
    }
}

static gboolean
shutdown_domain (VmgrBackend *self, virDomainPtr domain, GError **error)
{
  /* The LXC driver's default shutdown does nothing to an init that
   * ignores it; SIGTERM is what container inits expect. */
  if (g_str_equal (vmgr_backend_get_scheme (self), "lxc"))
    return signal_container (domain, error);
  return vmgr_backend_libvirt_ok (virDomainShutdown (domain), error);
}

static gboolean
has_saved_state (virDomainPtr domain)
{
  return virDomainIsActive (domain) == 0 && virDomainHasManagedSaveImage (domain, 0) == 1;
}

static gboolean
run_op (VmgrBackend *self, virDomainPtr domain, VmgrBackendOp op, GError **error)
{
  /* Stopping a saved VM throws its saved state away. */
  if (op == VMGR_BACKEND_OP_DESTROY && has_saved_state (domain))
    return vmgr_backend_libvirt_ok (virDomainManagedSaveRemove (domain, 0), error);
  if (!check_op_state (domain, op, error))
    return FALSE;
  switch (op)
    {
    case VMGR_BACKEND_OP_START:
      return vmgr_backend_image_start (domain, error);
    case VMGR_BACKEND_OP_SHUTDOWN:
      return shutdown_domain (self, domain, error);
    case VMGR_BACKEND_OP_DESTROY:
      return vmgr_backend_libvirt_ok (virDomainDestroy (domain), error);
    case VMGR_BACKEND_OP_REBOOT:
      return vmgr_backend_libvirt_ok (virDomainReboot (domain, 0), error);
    case VMGR_BACKEND_OP_SUSPEND:
      return vmgr_backend_libvirt_ok (virDomainSuspend (domain), error);
    case VMGR_BACKEND_OP_RESUME:
      return vmgr_backend_libvirt_ok (virDomainResume (domain), error);
    case VMGR_BACKEND_OP_UNDEFINE:
      return undefine_domain (domain, error);
    case VMGR_BACKEND_OP_SAVE:
      return vmgr_backend_libvirt_ok (virDomainManagedSave (domain, 0), error);
    default:
      g_assert_not_reached ();
    }
}

static void
op_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  VmgrBackend *self = source;
  VmgrBackendTaskData *data = task_data;
  g_autoptr(VmgrVirDomain) domain = NULL;
  GError *error = NULL;
  gboolean ok;

  if (vmgr_backend_task_return_if_cancelled (task))
    return;
  domain = vmgr_backend_lookup_domain (self, data->uuid, &error);
  ok = domain != NULL && run_op (self, domain, data->op, &error);
  vmgr_backend_task_return (task, ok, error);
}

void
vmgr_backend_op_async (VmgrBackend *self, const char *uuid, VmgrBackendOp op,
                       GCancellable *cancellable,
                       GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = NULL;
  VmgrBackendTaskData *data;

  g_return_if_fail (VMGR_IS_BACKEND (self));
  g_return_if_fail ((guint) op < G_N_ELEMENTS (op_done_texts));

  task = vmgr_backend_task_new (self, vmgr_backend_op_async, cancellable, callback, user_data);
  data = g_task_get_task_data (task);
  data->uuid = g_strdup (uuid);
  data->op = op;
  g_task_run_in_thread (task, op_thread);
}

gboolean
vmgr_backend_op_finish (VmgrBackend *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- autostart ---- */

static void
autostart_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  VmgrBackend *self = source;
  VmgrBackendTaskData *data = task_data;
  g_autoptr(VmgrVirDomain) domain = NULL;
  GError *error = NULL;
  gboolean ok;

  if (vmgr_backend_task_return_if_cancelled (task))
    return;
  domain = vmgr_backend_lookup_domain (self, data->uuid, &error);
  ok = domain != NULL &&
       vmgr_backend_libvirt_ok (virDomainSetAutostart (domain, data->autostart ? 1 : 0), &error);
  vmgr_backend_task_return (task, ok, error);
}

void
vmgr_backend_set_autostart_async (VmgrBackend *self, const char *uuid, gboolean autostart,
                                  GCancellable *cancellable,
                                  GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = NULL;
  VmgrBackendTaskData *data;

  g_return_if_fail (VMGR_IS_BACKEND (self));

  task = vmgr_backend_task_new (self, vmgr_backend_set_autostart_async, cancellable, callback,
                           user_data);
  data = g_task_get_task_data (task);
  data->uuid = g_strdup (uuid);
  data->autostart = autostart;
  g_task_run_in_thread (task, autostart_thread);
}

gboolean
vmgr_backend_set_autostart_finish (VmgrBackend *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- states of all domains ---- */

static void
domain_state_free (gpointer data)
{
  VmgrBackendDomainState *state = data;

  g_free (state->reason);
  g_free (state->name);
  g_free (state->xml);
  g_free (state);
}

/* FALSE when the domain went away meanwhile or libvirt failed. */
static gboolean
read_domain_state (virDomainPtr domain, char *uuid, VmgrBackendDomainState **out)
{
  const char *reason_name = NULL;
  VmgrBackendDomainState *result;
  int state, reason;

  if (virDomainGetState (domain, &state, &reason, 0) < 0 ||
      virDomainGetUUIDString (domain, uuid) < 0)
    return FALSE;
  result = g_new0 (VmgrBackendDomainState, 1);
  result->state = vmgr_backend_domain_state (state, reason, &reason_name);
  if (state == VIR_DOMAIN_SHUTOFF && has_saved_state (domain))
    {
      result->state = VMGR_VM_STATE_SUSPENDED;
      reason_name = "saved";
    }
  result->reason = g_strdup (reason_name);
  result->name = g_strdup (virDomainGetName (domain));
  *out = result;
  return TRUE;
}

/* The persistent definition (copied to GLib's allocator) and autostart. */
static gboolean
read_definition (virDomainPtr domain, VmgrBackendDomainState *state)
{
  char *xml = virDomainGetXMLDesc (domain, VIR_DOMAIN_XML_INACTIVE);
  int autostart = 0;

  if (xml == NULL || virDomainGetAutostart (domain, &autostart) < 0)
    {
      free (xml);
      return FALSE;
    }
  state->xml = g_strdup (xml);
  state->autostart = autostart != 0;
  free (xml);
  return TRUE;
}

static GHashTable *
collect_states (virDomainPtr *domains, int n_domains, gboolean with_definitions)
{
  GHashTable *table = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, domain_state_free);

  for (int i = 0; i < n_domains; i++)
    {
      char uuid[VIR_UUID_STRING_BUFLEN];
      VmgrBackendDomainState *state = NULL;

      if (read_domain_state (domains[i], uuid, &state) &&
          (!with_definitions || read_definition (domains[i], state)))
        g_hash_table_replace (table, g_strdup (uuid), state);
      else if (state != NULL)
        {
          g_debug ("Skipping a domain whose definition vanished while listing: %s",
                   virGetLastErrorMessage ());
          domain_state_free (state);
        }
      else
        g_debug ("Skipping a domain that vanished while listing: %s", virGetLastErrorMessage ());
      virDomainFree (domains[i]);
    }
  return table;
}

static void
list_states_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  VmgrBackend *self = source;
  gboolean with_definitions = g_task_get_source_tag (task) == vmgr_backend_list_definitions_async;
  g_autoptr(VmgrVirConnect) conn = NULL;
  virDomainPtr *domains = NULL;
  GError *error = NULL;
  int n_domains;

  if (vmgr_backend_task_return_if_cancelled (task))
    return;
  conn = vmgr_backend_ref_connection (self, &error);
  if (conn == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  n_domains = virConnectListAllDomains (conn, &domains, 0);
  if (n_domains < 0)
    {
      vmgr_backend_set_error_from_libvirt (&error);
      g_task_return_error (task, error);
      return;
    }
  g_task_return_pointer (task, collect_states (domains, n_domains, with_definitions),
                         (GDestroyNotify) g_hash_table_unref);
  free (domains);
}

void
vmgr_backend_list_states_async (VmgrBackend *self, GCancellable *cancellable,
                                GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (VMGR_IS_BACKEND (self));

  task = vmgr_backend_task_new (self, vmgr_backend_list_states_async, cancellable, callback,
                           user_data);
  g_task_run_in_thread (task, list_states_thread);
}

GHashTable *
vmgr_backend_list_states_finish (VmgrBackend *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
vmgr_backend_list_definitions_async (VmgrBackend *self, GCancellable *cancellable,
                                     GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (VMGR_IS_BACKEND (self));

  task = vmgr_backend_task_new (self, vmgr_backend_list_definitions_async, cancellable, callback,
                                user_data);
  g_task_run_in_thread (task, list_states_thread);
}

GHashTable *
vmgr_backend_list_definitions_finish (VmgrBackend *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
