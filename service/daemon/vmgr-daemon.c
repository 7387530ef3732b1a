#include "vmgr-daemon.h"

#include <errno.h>
#include <glib/gstdio.h>

#include "vmgr-backend-volumes.h"
#include "vmgr-dispatch.h"
#include "vmgr-error.h"
#include "vmgr-leftovers.h"
#include "vmgr-manager.h"
#include "vmgr-names.h"
#include "vmgr-reconcile.h"
#include "vmgr-sampler.h"
#include "vmgr-seed.h"
#include "vmgr-vm-units.h"

struct _VmgrDaemon {
  GObject parent_instance;
  VmgrConfig config;
  GDBusConnection *connection;
  VmgrContext context;        /* what the objects work with */
  VmgrPeers *peers;
  VmgrDispatch *dispatch;
  GDBusObjectManagerServer *objects;
  VmgrRegistry *registry;
  VmgrManager *manager;
  VmgrReconciler *reconciler;
  VmgrSampler *sampler;
  GDBusConnection *systemd_connection;  /* where systemd's manager is */
  VmgrSystemd *systemd;
  VmgrVmUnits *vm_units;
};

G_DEFINE_FINAL_TYPE (VmgrDaemon, vmgr_daemon, G_TYPE_OBJECT)

/* ---- The registry tells the dispatcher who owns what ------------------- */

static void
on_object_added (VmgrRegistry *registry, const char *path, guint owner, gpointer user_data)
{
  vmgr_dispatch_set_owner (VMGR_DISPATCH (user_data), path, owner);
}

static void
on_object_removing (VmgrRegistry *registry, const char *path, gpointer user_data)
{
  vmgr_dispatch_path_removed (VMGR_DISPATCH (user_data), path);
}

static void
on_owner_changed (VmgrRegistry *registry, const char *path, guint old_owner, guint new_owner,
                  gpointer user_data)
{
  vmgr_dispatch_owner_changed (VMGR_DISPATCH (user_data), path, old_owner, new_owner);
}

/* ---- Start and stop ---------------------------------------------------- */

static void
on_reconciled (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  VmgrDaemon *self = g_task_get_source_object (task);
  g_autoptr(GPtrArray) vms = NULL;
  GError *error = NULL;

  if (!vmgr_reconciler_start_finish (VMGR_RECONCILER (source), result, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  /* The capacity is known once reconciled. */
  vmgr_host_refresh (vmgr_registry_find_host (self->registry, self->config.host_name));
  g_dbus_object_manager_server_set_connection (self->objects, self->connection);
  self->sampler = vmgr_sampler_new (self->registry, &self->context,
                                    self->config.sample_interval_s);
  self->systemd = vmgr_systemd_new (self->systemd_connection != NULL ? self->systemd_connection
                                                                     : self->connection);
  self->vm_units = vmgr_vm_units_new (self->registry, self->systemd);
  vms = vmgr_registry_list_vms (self->registry);
  g_message ("vmgrd ready: %u VMs on %s", vms->len,
             vmgr_backend_get_uri (self->context.backend));
  g_task_return_boolean (task, TRUE);
}

void
vmgr_daemon_start_async (VmgrDaemon *self, GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = g_task_new (self, NULL, callback, user_data);

  vmgr_reconciler_start_async (self->reconciler, on_reconciled, task);
}

gboolean
vmgr_daemon_start_finish (VmgrDaemon *self, GAsyncResult *result, GError **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
vmgr_daemon_set_systemd_connection (VmgrDaemon *self, GDBusConnection *connection)
{
  g_set_object (&self->systemd_connection, connection);
}

void
vmgr_daemon_stop (VmgrDaemon *self)
{
  g_dbus_object_manager_server_set_connection (self->objects, NULL);
}

/* ---- Construction ------------------------------------------------------ */

static VmgrStore *
open_store (const VmgrConfig *config, GError **error)
{
  g_autofree char *path = vmgr_config_get_db_path (config);
  g_autoptr(VmgrStore) store = NULL;

  if (g_mkdir_with_parents (config->state_dir, 0700) != 0)
    {
      int saved = errno;

      g_set_error (error, VMGR_ERROR, VMGR_ERROR_FAILED, "cannot create %s: %s",
                   config->state_dir, g_strerror (saved));
      return NULL;
    }
  store = vmgr_store_open (path, error);
  if (store == NULL)
    return NULL;
  if (vmgr_store_is_empty (store))
    {
      g_message ("new store %s: adding the default plans and templates", path);
      if (!vmgr_seed_defaults (store, error))
        return NULL;
    }
  return g_steal_pointer (&store);
}

static void
export_manager (VmgrDaemon *self)
{
  g_autoptr(GDBusObjectSkeleton) object = g_dbus_object_skeleton_new (VMGR_MANAGER_PATH);

  self->manager = vmgr_manager_new (&self->context, self->registry);
  self->context.check_host_capacity = vmgr_manager_check_vm_capacity;
  self->context.check_host_capacity_data = self->manager;
  g_dbus_object_skeleton_add_interface (object, G_DBUS_INTERFACE_SKELETON (self->manager));
  g_dbus_object_manager_server_export (self->objects, object);
}

static void
wire_bus (VmgrDaemon *self)
{
  self->peers = vmgr_peers_new (self->connection);
  self->context.auth = vmgr_auth_new (self->connection, self->peers, self->context.store,
                                      self->config.auth_cache_ttl_s,
                                      self->config.auth_timeout_ms,
                                      self->config.auth_max_in_flight);
  self->objects = g_dbus_object_manager_server_new (VMGR_ROOT_PATH);
  self->registry = vmgr_registry_new (&self->context, self->objects);
  self->dispatch = vmgr_dispatch_new (self->connection, self->context.auth, self->peers,
                                      self->objects, vmgr_registry_find_target, self->registry);
  g_signal_connect_object (self->registry, "object-added", G_CALLBACK (on_object_added),
                           self->dispatch, 0);
  g_signal_connect_object (self->registry, "object-removing", G_CALLBACK (on_object_removing),
                           self->dispatch, 0);
  g_signal_connect_object (self->registry, "owner-changed", G_CALLBACK (on_owner_changed),
                           self->dispatch, 0);
}

static void
add_host (VmgrDaemon *self, const char *name, const char *uri, const char *pool)
{
  g_autoptr(VmgrBackend) backend = vmgr_backend_new_with_pool (uri, pool);
  g_autoptr(VmgrHost) host = NULL;

  vmgr_backend_set_host_name (backend, name);
  host = vmgr_host_new (&self->context, name, backend, FALSE);
  vmgr_registry_add_host (self->registry, host);
}

/* Two connections to one libvirt would each think they own its domains.
 * The [daemon] uri may come from the command line: checked here, not
 * when the file is read. */
static gboolean
check_uri_once (VmgrDaemon *self, const VmgrConfigHost *host, guint index, GError **error)
{
  if (g_str_equal (host->uri, self->config.uri))
    return g_set_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_ARGUMENT,
                        "[host %s] uri: '%s' is the configured host's URI", host->name,
                        host->uri), FALSE;
  for (guint i = 0; i < index; i++)
    {
      const VmgrConfigHost *other = g_ptr_array_index (self->config.hosts, i);

      if (g_str_equal (host->uri, other->uri))
        return g_set_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_ARGUMENT,
                            "[host %s] uri: '%s' is the URI of [host %s]", host->name,
                            host->uri, other->name), FALSE;
    }
  return TRUE;
}

static gboolean
config_uri_taken (VmgrDaemon *self, const char *uri)
{
  for (guint i = 0; i < self->config.hosts->len; i++)
    if (g_str_equal (((const VmgrConfigHost *) g_ptr_array_index (self->config.hosts, i))->uri,
                     uri))
      return TRUE;
  return FALSE;
}

/* The connection of the configuration file is the first host, then the
 * configuration file's [host NAME] groups, then those added with AddHost;
 * all but the first connect in the background. */
static gboolean
export_hosts (VmgrDaemon *self, GError **error)
{
  g_autoptr(VmgrHost) local = vmgr_host_new (&self->context, self->config.host_name,
                                             self->context.backend, TRUE);
  g_autoptr(GPtrArray) added = vmgr_store_list_hosts (self->context.store, error);

  if (added == NULL)
    return FALSE;
  vmgr_backend_set_host_name (self->context.backend, self->config.host_name);
  vmgr_registry_add_host (self->registry, local);
  for (guint i = 0; i < self->config.hosts->len; i++)
    {
      const VmgrConfigHost *configured = g_ptr_array_index (self->config.hosts, i);

      if (!check_uri_once (self, configured, i, error))
        return FALSE;
      add_host (self, configured->name, configured->uri, configured->pool);
    }
  for (guint i = 0; i < added->len; i++)
    {
      const VmgrHostEntry *entry = g_ptr_array_index (added, i);

      if (g_str_equal (entry->name, self->config.host_name))
        {
          g_warning ("host %s (%s) is ignored: the configured host has its name now",
                     entry->name, entry->uri);
          continue;
        }
      if (vmgr_config_find_host (&self->config, entry->name) != NULL)
        {
          g_warning ("host %s (%s) added with AddHost is ignored: the configuration file "
                     "names a host %s ([host %s])", entry->name, entry->uri, entry->name,
                     entry->name);
          continue;
        }
      if (config_uri_taken (self, entry->uri))
        {
          g_warning ("host %s (%s) added with AddHost is ignored: a host of the configuration "
                     "file has its URI", entry->name, entry->uri);
          continue;
        }
      add_host (self, entry->name, entry->uri, entry->pool);
    }
  return TRUE;
}

/* A deleted VM's id is never given again, across restarts too. */
static gboolean
retire_deleted_vm_ids (VmgrContext *context, GError **error)
{
  g_autoptr(GArray) ids = vmgr_store_list_retired_vm_ids (context->store, error);

  if (ids == NULL)
    return FALSE;
  for (guint i = 0; i < ids->len; i++)
    vmgr_ledger_retire_vm_id (context->ledger, g_array_index (ids, guint32, i));
  return TRUE;
}

VmgrDaemon *
vmgr_daemon_new (const VmgrConfig *config, GDBusConnection *connection, GError **error)
{
  g_autoptr(VmgrDaemon) self = g_object_new (VMGR_TYPE_DAEMON, NULL);
  VmgrBackend *backend;

  self->config = *config;
  self->config.uri = g_strdup (config->uri);
  self->config.state_dir = g_strdup (config->state_dir);
  self->config.network = g_strdup (config->network);
  self->config.host_name = g_strdup (config->host_name);
  self->config.backup_dir = g_strdup (config->backup_dir);
  self->config.hosts = g_ptr_array_ref (config->hosts);
  self->connection = g_object_ref (connection);
  self->context.config = &self->config;
  self->context.store = open_store (&self->config, error);
  if (self->context.store == NULL)
    return NULL;
  vmgr_leftovers_sweep (&self->config);
  self->context.backend = backend = vmgr_backend_new (config->uri, error);
  if (backend == NULL)
    return NULL;
  self->context.host_backends = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                      g_object_unref);
  self->context.ledger = vmgr_ledger_new (vmgr_backend_get_capabilities (backend),
                                          vmgr_backend_get_scheme (backend));
  if (!retire_deleted_vm_ids (&self->context, error))
    return NULL;
  wire_bus (self);
  export_manager (self);
  if (!export_hosts (self, error))
    return NULL;
  self->reconciler = vmgr_reconciler_new (&self->context, self->registry);
  return g_steal_pointer (&self);
}

static void
vmgr_daemon_dispose (GObject *object)
{
  VmgrDaemon *self = VMGR_DAEMON (object);

  if (self->objects != NULL)
    g_dbus_object_manager_server_set_connection (self->objects, NULL);
  g_clear_object (&self->vm_units);
  g_clear_object (&self->systemd);
  g_clear_object (&self->systemd_connection);
  g_clear_object (&self->sampler);
  g_clear_object (&self->reconciler);
  if (self->dispatch != NULL)
    vmgr_dispatch_close (self->dispatch);
  g_clear_object (&self->dispatch);
  g_clear_object (&self->registry);
  g_clear_object (&self->manager);
  g_clear_object (&self->objects);
  g_clear_object (&self->context.auth);
  g_clear_object (&self->peers);
  g_clear_object (&self->context.backend);
  g_clear_pointer (&self->context.host_backends, g_hash_table_unref);
  g_clear_object (&self->context.store);
  g_clear_pointer (&self->context.ledger, vmgr_ledger_free);
  g_clear_object (&self->connection);
  G_OBJECT_CLASS (vmgr_daemon_parent_class)->dispose (object);
}

static void
vmgr_daemon_finalize (GObject *object)
{
  VmgrDaemon *self = VMGR_DAEMON (object);

  g_free (self->config.uri);
  g_free (self->config.state_dir);
  g_free (self->config.network);
  g_free (self->config.host_name);
  g_free (self->config.backup_dir);
  g_clear_pointer (&self->config.hosts, g_ptr_array_unref);
  G_OBJECT_CLASS (vmgr_daemon_parent_class)->finalize (object);
}

static void
vmgr_daemon_class_init (VmgrDaemonClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = vmgr_daemon_dispose;
  object_class->finalize = vmgr_daemon_finalize;
}

static void
vmgr_daemon_init (VmgrDaemon *self)
{
}
