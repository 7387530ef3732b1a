/* Manager handlers for hosts (issue 14): AddHost, RemoveHost. The
 * configured host (the configuration file's URI) is always there and
 * cannot be removed; the others are kept in the store. */
#include "vmgr-manager-private.h"

#include <string.h>

#include "vmgr-backend-volumes.h"
#include "vmgr-error.h"
#include "vmgr-names.h"
#include "vmgr-template-check.h"

typedef struct {
  char *name;
  char *uri;
  char *pool;
} HostRequest;

static void
host_request_free (HostRequest *request)
{
  g_free (request->name);
  g_free (request->uri);
  g_free (request->pool);
  g_free (request);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HostRequest, host_request_free)

static gboolean
validate_uri (const char *uri, GError **error)
{
  gboolean ok = uri != NULL && *uri != '\0' && strlen (uri) <= 1024 && g_str_is_ascii (uri) &&
                strstr (uri, ":") != NULL;

  for (const char *p = uri; ok && *p != '\0'; p++)
    ok = !g_ascii_iscntrl (*p) && *p != ' ';
  if (!ok)
    g_set_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_ARGUMENT,
                 "invalid host URI: expected a libvirt URI such as "
                 "qemu+ssh://root@host.example.com/system");
  return ok;
}

/* AddHost's one option, "pool" (s): the storage pool of the host's VM
 * files (vmgr-backend-volumes.h); any other is refused, not ignored. */
static gboolean
take_option (const char *key, GVariant *value, char **pool, GError **error)
{
  if (!g_str_equal (key, "pool"))
    return g_set_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_ARGUMENT,
                        "unknown option '%s'", key), FALSE;
  if (!g_variant_is_of_type (value, G_VARIANT_TYPE_STRING))
    return g_set_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_ARGUMENT,
                        "option 'pool' must be a string (s)"), FALSE;
  if (!vmgr_validate_pool_name (g_variant_get_string (value, NULL), error))
    return FALSE;
  g_free (*pool);
  *pool = g_variant_dup_string (value, NULL);
  return TRUE;
}

static gboolean
validate_options (GVariant *options, char **pool, GError **error)
{
  GVariantIter iter;
  const char *key;
  GVariant *value;

  g_variant_iter_init (&iter, options);
  while (g_variant_iter_next (&iter, "{&sv}", &key, &value))
    {
      gboolean ok = take_option (key, value, pool, error);

      g_variant_unref (value);
      if (!ok)
        return FALSE;
    }
  if (*pool == NULL)
    *pool = g_strdup (VMGR_DEFAULT_HOST_POOL);
  return TRUE;
}

static gboolean
check_host_free (VmgrManager *self, const HostRequest *request, GError **error)
{
  const VmgrConfig *config = self->context->config;
  g_autoptr(GPtrArray) hosts = NULL;

  if (g_str_equal (request->name, config->host_name) ||
      vmgr_registry_find_host (self->registry, request->name) != NULL)
    return g_set_error (error, VMGR_ERROR, VMGR_ERROR_ALREADY_EXISTS,
                        "host '%s' already exists", request->name), FALSE;
  if (g_str_equal (request->uri, config->uri))
    return g_set_error (error, VMGR_ERROR, VMGR_ERROR_ALREADY_EXISTS,
                        "a host with URI '%s' already exists", request->uri), FALSE;
  /* Those of the configuration file are not in the store, which refuses
   * the others' URIs too. */
  hosts = vmgr_registry_list_hosts (self->registry);
  for (guint i = 0; i < hosts->len; i++)
    if (g_str_equal (vmgr_backend_get_uri (vmgr_host_get_backend (g_ptr_array_index (hosts, i))),
                     request->uri))
      return g_set_error (error, VMGR_ERROR, VMGR_ERROR_ALREADY_EXISTS,
                          "a host with URI '%s' already exists", request->uri), FALSE;
  return TRUE;
}

static void
on_add_host_allowed (GDBusMethodInvocation *invocation, VmgrGrant *grant, gpointer data)
{
  g_autoptr(VmgrGrant) owned_grant G_GNUC_UNUSED = grant;
  g_autoptr(HostRequest) request = data;
  VmgrManager *self = VMGR_MANAGER (g_dbus_method_invocation_get_user_data (invocation));
  g_autoptr(VmgrAuditEntry) audit = vmgr_grant_audit_entry (grant);
  g_autoptr(GError) error = NULL;
  g_autoptr(VmgrBackend) backend = NULL;
  g_autoptr(VmgrHost) host = NULL;
  g_autofree char *path = NULL;
  VmgrHostEntry entry = { .name = request->name, .uri = request->uri, .pool = request->pool };

  if (!check_host_free (self, request, &error) ||
      !vmgr_store_add_host (self->context->store, &entry, audit, &error))
    {
      vmgr_manager_finish (self, invocation, grant, NULL, error);
      return;
    }
  /* Connects in a worker thread; until then (or while it cannot be
   * reached) the host is there, disconnected. */
  backend = vmgr_backend_new_with_pool (request->uri, request->pool);
  vmgr_backend_set_host_name (backend, request->name);
  host = vmgr_host_new (self->context, request->name, backend, FALSE);
  vmgr_registry_add_host (self->registry, host);
  path = vmgr_host_path (request->name);
  g_message ("host %s added (%s, pool %s)", request->name, request->uri, request->pool);
  vmgr_manager_finish (self, invocation, grant, g_variant_new ("(o)", path), NULL);
}

gboolean
vmgr_manager_handle_add_host (VmgrDBusManager *object, GDBusMethodInvocation *invocation,
                              const char *name, const char *uri, GVariant *options)
{
  VmgrManager *self = VMGR_MANAGER (object);
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) details = g_hash_table_new (g_str_hash, g_str_equal);
  g_autofree char *pool = NULL;
  HostRequest *request;

  if (!vmgr_validate_host_name (name, &error) || !validate_uri (uri, &error) ||
      !validate_options (options, &pool, &error))
    {
      g_dbus_method_invocation_return_gerror (invocation, error);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
  request = g_new0 (HostRequest, 1);
  request->pool = g_steal_pointer (&pool);
  request->name = g_strdup (name);
  request->uri = g_strdup (uri);
  g_hash_table_insert (details, "host.name", request->name);
  g_hash_table_insert (details, "host.uri", request->uri);
  g_hash_table_insert (details, "host.pool", request->pool);
  vmgr_auth_authorize (self->context->auth, invocation, NULL, details, on_add_host_allowed,
                       request, (GDestroyNotify) host_request_free);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
provisioning_on (VmgrManager *self, const char *name)
{
  g_autoptr(GPtrArray) vms = vmgr_registry_list_vms (self->registry);

  for (guint i = 0; i < vms->len; i++)
    {
      VmgrVm *vm = g_ptr_array_index (vms, i);

      if (vmgr_vm_get_state (vm) == VMGR_VM_STATE_PROVISIONING &&
          g_str_equal (vmgr_context_host_name (self->context, vmgr_vm_get_spec (vm)), name))
        return TRUE;
    }
  return FALSE;
}

static gboolean
check_host_removable (VmgrManager *self, const char *name, GError **error)
{
  VmgrHost *host = vmgr_registry_find_host (self->registry, name);

  if (host == NULL)
    return g_set_error (error, VMGR_ERROR, VMGR_ERROR_NOT_FOUND, "no host '%s'", name), FALSE;
  if (vmgr_host_is_configured (host))
    return g_set_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_STATE,
                        "host '%s' is the configured one ([daemon] uri): it cannot be removed",
                        name), FALSE;
  if (vmgr_config_find_host (self->context->config, name) != NULL)
    return g_set_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_STATE,
                        "host %s comes from the configuration file", name), FALSE;
  /* Not yet in the store: the store alone would let the host go. */
  if (vmgr_ledger_host_reserved (self->context->ledger, name) || provisioning_on (self, name))
    return g_set_error (error, VMGR_ERROR, VMGR_ERROR_BUSY,
                        "host %s: a VM is being created on it", name), FALSE;
  return TRUE;
}

static void
on_remove_host_allowed (GDBusMethodInvocation *invocation, VmgrGrant *grant, gpointer data)
{
  g_autoptr(VmgrGrant) owned_grant G_GNUC_UNUSED = grant;
  g_autofree char *name = data;
  VmgrManager *self = VMGR_MANAGER (g_dbus_method_invocation_get_user_data (invocation));
  g_autoptr(VmgrAuditEntry) audit = vmgr_grant_audit_entry (grant);
  g_autoptr(GError) error = NULL;

  /* The store refuses while a VM is on the host. */
  if (check_host_removable (self, name, &error) &&
      vmgr_store_remove_host (self->context->store, name, audit, &error))
    {
      vmgr_registry_remove_host (self->registry, name);
      g_message ("host %s removed", name);
    }
  vmgr_manager_finish (self, invocation, grant, NULL, error);
}

gboolean
vmgr_manager_handle_remove_host (VmgrDBusManager *object, GDBusMethodInvocation *invocation,
                                 const char *name)
{
  VmgrManager *self = VMGR_MANAGER (object);
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) details = g_hash_table_new (g_str_hash, g_str_equal);

  if (!vmgr_validate_host_name (name, &error))
    {
      g_dbus_method_invocation_return_gerror (invocation, error);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
  g_hash_table_insert (details, "host.name", (gpointer) name);
  vmgr_auth_authorize (self->context->auth, invocation, NULL, details, on_remove_host_allowed,
                       g_strdup (name), g_free);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

/* ---- Placement --------------------------------------------------------- */

/* Memory VMs may still be given on @host (capacity 0 = no cap). */
static guint64
free_memory (VmgrHost *host)
{
  GVariant *capacity = vmgr_dbus_host_get_capacity (VMGR_DBUS_HOST (host));
  GVariant *allocation = vmgr_dbus_host_get_allocation (VMGR_DBUS_HOST (host));
  guint64 total = 0, used = 0;

  if (capacity != NULL)
    g_variant_lookup (capacity, "memory", "t", &total);
  if (allocation != NULL)
    g_variant_lookup (allocation, "memory", "t", &used);
  if (total == 0)
    return G_MAXUINT64;
  return total > used ? total - used : 0;
}

/* The part of vmgr_manager_host_fits that looks at the host only: an
 * added host that gets files is connected and has its pool. */
static gboolean
host_ready (VmgrHost *host, const char *source, GError **error)
{
  VmgrBackend *backend = vmgr_host_get_backend (host);
  const char *scheme = vmgr_backend_get_scheme (backend);

  if (vmgr_host_is_configured (host) || !vmgr_provision_needed (scheme, source))
    return TRUE;
  if (!vmgr_backend_is_connected (backend))
    return g_set_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_STATE,
                        "host '%s' is not connected: the template's files cannot go there now",
                        vmgr_host_get_name (host)), FALSE;
  if (vmgr_backend_get_pool_dir (backend) == NULL)
    return g_set_error (error, VMGR_ERROR, VMGR_ERROR_NOT_SUPPORTED,
                        "host '%s' has no active storage pool '%s' for the VM's files",
                        vmgr_host_get_name (host), vmgr_backend_get_pool (backend)), FALSE;
  return TRUE;
}

/* Whether VMs of the template at @source can be made on @host now: its
 * driver fits the template's files, and an added host has the pool they
 * go to (and is connected). Why not in @error. */
gboolean
vmgr_manager_host_fits (VmgrHost *host, const char *source, GError **error)
{
  const char *scheme = vmgr_backend_get_scheme (vmgr_host_get_backend (host));
  g_autofree char *problem = NULL;

  if (!vmgr_template_fits (scheme, source, &problem))
    return g_set_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_ARGUMENT,
                        "the template does not fit host '%s' (%s): %s",
                        vmgr_host_get_name (host), scheme, problem), FALSE;
  return host_ready (host, source, error);
}

/* vmgr_template_fits reads the template's files: once per driver (@fits:
 * scheme -> fits), not once per host. */
static gboolean
template_fits_driver (GHashTable *fits, const char *scheme, const char *source)
{
  gpointer known;

  if (!g_hash_table_lookup_extended (fits, scheme, NULL, &known))
    {
      known = GINT_TO_POINTER (vmgr_template_fits (scheme, source, NULL));
      g_hash_table_insert (fits, (gpointer) scheme, known);
    }
  return GPOINTER_TO_INT (known);
}

const char *
vmgr_manager_pick_host (VmgrManager *self, const VmgrVmSpec *spec)
{
  g_autoptr(GPtrArray) hosts = vmgr_registry_list_hosts (self->registry);
  g_autofree char *source = NULL;
  g_autoptr(GHashTable) fits = NULL;
  const char *best = NULL;
  guint64 best_free = 0;

  if (hosts->len < 2)
    return "";
  source = vmgr_context_template_source (self->context, spec);
  fits = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint pass = 0; pass < 2; pass++)
    for (guint i = 0; i < hosts->len; i++)
      {
        VmgrHost *host = g_ptr_array_index (hosts, i);
        VmgrBackend *backend = vmgr_host_get_backend (host);
        gboolean configured = vmgr_host_is_configured (host);
        guint64 free;

        if (configured != (pass == 0) ||
            (!configured && !vmgr_backend_is_connected (backend)) ||
            !template_fits_driver (fits, vmgr_backend_get_scheme (backend), source) ||
            !host_ready (host, source, NULL))
          continue;
        free = free_memory (host);
        if (best == NULL || free > best_free)
          {
            best = configured ? "" : vmgr_host_get_name (host);
            best_free = free;
          }
      }
  return best != NULL ? best : "";
}

static guint64
dict_value (GVariant *dict, const char *key)
{
  guint64 value = 0;

  if (dict != NULL)
    g_variant_lookup (dict, key, "t", &value);
  return value;
}

static guint64
minus (guint64 a, guint64 b)
{
  return a > b ? a - b : 0;
}

gboolean
vmgr_manager_check_host_capacity (VmgrManager *self, const VmgrVmSpec *old,
                                  const VmgrVmSpec *spec, GError **error)
{
  VmgrHost *host;
  GVariant *capacity_dict;
  GVariant *allocation_dict;
  VmgrCapacity capacity = { 0 };
  VmgrAllocation others = { 0 };

  if (spec->host == NULL || *spec->host == '\0' ||
      (host = vmgr_registry_find_host (self->registry, spec->host)) == NULL)
    return TRUE;
  capacity_dict = vmgr_dbus_host_get_capacity (VMGR_DBUS_HOST (host));
  allocation_dict = vmgr_dbus_host_get_allocation (VMGR_DBUS_HOST (host));
  capacity.vcpus = dict_value (capacity_dict, "vcpus");
  capacity.memory = dict_value (capacity_dict, "memory");
  capacity.disk = dict_value (capacity_dict, "disk");
  others.vms = (guint32) MIN (dict_value (allocation_dict, "vms"), G_MAXUINT32);
  others.vcpus = (guint32) MIN (dict_value (allocation_dict, "vcpus"), G_MAXUINT32);
  others.memory = dict_value (allocation_dict, "memory");
  others.disk = dict_value (allocation_dict, "disk");
  /* The allocation counts the VM as it is: what the others take is the
   * rest. */
  if (old != NULL && g_strcmp0 (old->host, spec->host) == 0)
    {
      others.vms = others.vms > 0 ? others.vms - 1 : 0;
      others.vcpus = (guint32) minus (others.vcpus, old->vcpus);
      others.memory = minus (others.memory, old->memory_limit);
      others.disk = minus (others.disk, old->disk_hard_limit);
    }
  else
    old = NULL;
  return vmgr_limits_check_host (&capacity, &others, old, spec, error);
}

gboolean
vmgr_manager_check_vm_capacity (gpointer manager, const VmgrVmSpec *old, const VmgrVmSpec *spec,
                                GError **error)
{
  return vmgr_manager_check_host_capacity (VMGR_MANAGER (manager), old, spec, error);
}
