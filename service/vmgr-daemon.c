#include "vmgr-daemon.h"

#include <glib/gstdio.h>

#include "vmgr-customer.h"
#include "vmgr-dispatch.h"
#include "vmgr-job.h"
#include "vmgr-domain-xml.h"
#include "vmgr-error.h"
#include "vmgr-manager.h"
#include "vmgr-sampler.h"
#include "vmgr-seed.h"
#include "vmgr-vm.h"

#define OBJECT_MANAGER_PATH "/org/vmgr"
#define MANAGER_PATH "/org/vmgr/Manager"

struct _VmgrDaemon {
  GObject parent_instance;
  VmgrConfig config;
  GDBusConnection *connection;
  VmgrStore *store;
  VmgrBackend *backend;
  VmgrPeers *peers;
  VmgrAuth *auth;
  VmgrDispatch *dispatch;
  GDBusObjectManagerServer *objects;
  VmgrManager *manager;
  GHashTable *vms;            /* id -> VmgrVm (owned) */
  GHashTable *vms_by_uuid;    /* uuid -> VmgrVm (not owned) */
  GHashTable *reserved;       /* id -> VmgrVmSpec* of creations under way */
  GHashTable *customers;      /* uid -> VmgrCustomer (owned) */
  GHashTable *jobs;           /* path -> VmgrJob (owned) */
  guint next_job;
  VmgrHostInfo *host;
  VmgrCapacity capacity;
  VmgrSampler *sampler;
};

G_DEFINE_FINAL_TYPE (VmgrDaemon, vmgr_daemon, G_TYPE_OBJECT)

const VmgrConfig *
vmgr_daemon_get_config (VmgrDaemon *self)
{
  return &self->config;
}

VmgrStore *
vmgr_daemon_get_store (VmgrDaemon *self)
{
  return self->store;
}

VmgrBackend *
vmgr_daemon_get_backend (VmgrDaemon *self)
{
  return self->backend;
}

VmgrAuth *
vmgr_daemon_get_auth (VmgrDaemon *self)
{
  return self->auth;
}

VmgrVm *
vmgr_daemon_find_vm (VmgrDaemon *self, guint32 id)
{
  return g_hash_table_lookup (self->vms, GUINT_TO_POINTER (id));
}

VmgrVm *
vmgr_daemon_find_vm_by_name (VmgrDaemon *self, const char *name)
{
  GHashTableIter iter;
  VmgrVm *vm;

  g_hash_table_iter_init (&iter, self->vms);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &vm))
    if (g_strcmp0 (vmgr_vm_get_spec (vm)->name, name) == 0)
      return vm;
  return NULL;
}

VmgrVm *
vmgr_daemon_find_vm_by_uuid (VmgrDaemon *self, const char *uuid)
{
  return g_hash_table_lookup (self->vms_by_uuid, uuid);
}

static int
compare_vm_ids (gconstpointer a, gconstpointer b)
{
  guint32 id_a = vmgr_vm_get_spec (*(VmgrVm **) a)->id;
  guint32 id_b = vmgr_vm_get_spec (*(VmgrVm **) b)->id;

  return id_a < id_b ? -1 : id_a > id_b;
}

GPtrArray *
vmgr_daemon_list_vms (VmgrDaemon *self)
{
  GPtrArray *vms = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer vm;

  g_hash_table_iter_init (&iter, self->vms);
  while (g_hash_table_iter_next (&iter, NULL, &vm))
    g_ptr_array_add (vms, vm);
  g_ptr_array_sort (vms, compare_vm_ids);
  return vms;
}

static gboolean
reserved_name (VmgrDaemon *self, const char *name)
{
  GHashTableIter iter;
  const VmgrVmSpec *spec;

  g_hash_table_iter_init (&iter, self->reserved);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &spec))
    if (g_str_equal (spec->name, name))
      return TRUE;
  return FALSE;
}

gboolean
vmgr_daemon_vm_name_taken (VmgrDaemon *self, const char *name)
{
  return vmgr_daemon_find_vm_by_name (self, name) != NULL || reserved_name (self, name);
}

gboolean
vmgr_daemon_vm_id_taken (VmgrDaemon *self, guint32 id)
{
  return vmgr_daemon_find_vm (self, id) != NULL ||
         g_hash_table_contains (self->reserved, GUINT_TO_POINTER (id));
}

void
vmgr_daemon_reserve (VmgrDaemon *self, const VmgrVmSpec *spec)
{
  g_hash_table_insert (self->reserved, GUINT_TO_POINTER (spec->id), vmgr_vm_spec_copy (spec));
}

void
vmgr_daemon_release (VmgrDaemon *self, const VmgrVmSpec *spec)
{
  g_hash_table_remove (self->reserved, GUINT_TO_POINTER (spec->id));
}

guint32
vmgr_daemon_next_vm_id (VmgrDaemon *self)
{
  guint32 id = 101;

  while (vmgr_daemon_vm_id_taken (self, id))
    id++;
  return id;
}

/* ---- Limits ------------------------------------------------------------ */

VmgrAllocation
vmgr_daemon_allocation (VmgrDaemon *self, guint32 owner)
{
  VmgrAllocation allocation = { 0 };
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->vms);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (owner == G_MAXUINT32 || vmgr_vm_get_spec (value)->owner == owner)
      vmgr_allocation_add (&allocation, vmgr_vm_get_spec (value));
  g_hash_table_iter_init (&iter, self->reserved);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (owner == G_MAXUINT32 || ((VmgrVmSpec *) value)->owner == owner)
      vmgr_allocation_add (&allocation, value);
  return allocation;
}

/* What everybody but @spec's VM uses, among the VMs of @owner. */
static VmgrAllocation
allocation_of_others (VmgrDaemon *self, guint32 owner, const VmgrVmSpec *old)
{
  VmgrAllocation allocation = vmgr_daemon_allocation (self, owner);

  if (old != NULL && (owner == G_MAXUINT32 || old->owner == owner))
    {
      allocation.vms--;
      allocation.vcpus -= old->vcpus;
      allocation.memory -= old->memory_limit;
      allocation.disk -= old->disk_hard_limit;
    }
  return allocation;
}

gboolean
vmgr_daemon_check_limits (VmgrDaemon *self, const VmgrVmSpec *old, const VmgrVmSpec *spec,
                          GError **error)
{
  VmgrAllocation everyone = allocation_of_others (self, G_MAXUINT32, old);
  VmgrAllocation owners = allocation_of_others (self, spec->owner, old);
  VmgrCustomer *registered = vmgr_daemon_find_customer (self, spec->owner);
  const VmgrCustomerInfo *customer = registered != NULL ? vmgr_customer_get_info (registered) : NULL;
  /* A VM moving to another owner is new to that owner's quota. */
  const VmgrVmSpec *owner_old = old != NULL && old->owner == spec->owner ? old : NULL;

  return vmgr_limits_check_capabilities (vmgr_backend_get_capabilities (self->backend),
                                         vmgr_backend_get_scheme (self->backend), old, spec,
                                         error) &&
         vmgr_limits_check_host (&self->capacity, &everyone, old, spec, error) &&
         (customer == NULL ||
          vmgr_limits_check_quota (customer, &owners, owner_old, spec, error));
}

const VmgrCapacity *
vmgr_daemon_get_capacity (VmgrDaemon *self)
{
  return &self->capacity;
}

const VmgrHostInfo *
vmgr_daemon_get_host_info (VmgrDaemon *self)
{
  return self->host;
}

static char *
vm_path (guint32 id)
{
  return g_strdup_printf ("/org/vmgr/vm/%u", id);
}

/* ---- Customers --------------------------------------------------------- */

VmgrCustomer *
vmgr_daemon_find_customer (VmgrDaemon *self, guint32 uid)
{
  return g_hash_table_lookup (self->customers, GUINT_TO_POINTER (uid));
}

static int
compare_customer_uids (gconstpointer a, gconstpointer b)
{
  guint32 uid_a = vmgr_customer_get_info (*(VmgrCustomer **) a)->uid;
  guint32 uid_b = vmgr_customer_get_info (*(VmgrCustomer **) b)->uid;

  return uid_a < uid_b ? -1 : uid_a > uid_b;
}

GPtrArray *
vmgr_daemon_list_customers (VmgrDaemon *self)
{
  GPtrArray *customers = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer customer;

  g_hash_table_iter_init (&iter, self->customers);
  while (g_hash_table_iter_next (&iter, NULL, &customer))
    g_ptr_array_add (customers, customer);
  g_ptr_array_sort (customers, compare_customer_uids);
  return customers;
}

void
vmgr_daemon_refresh_allocation (VmgrDaemon *self, guint32 uid)
{
  VmgrCustomer *customer = vmgr_daemon_find_customer (self, uid);
  VmgrAllocation allocation;

  if (customer == NULL)
    return;
  allocation = vmgr_daemon_allocation (self, uid);
  vmgr_customer_set_allocated (customer, &allocation);
}

void
vmgr_daemon_add_customer (VmgrDaemon *self, VmgrCustomer *customer)
{
  guint32 uid = vmgr_customer_get_info (customer)->uid;
  g_autofree char *path = vmgr_customer_dup_path (uid);
  g_autoptr(GDBusObjectSkeleton) object = g_dbus_object_skeleton_new (path);

  g_hash_table_insert (self->customers, GUINT_TO_POINTER (uid), g_object_ref (customer));
  vmgr_dispatch_set_owner (self->dispatch, path, uid);
  vmgr_daemon_refresh_allocation (self, uid);
  g_dbus_object_skeleton_add_interface (object, G_DBUS_INTERFACE_SKELETON (customer));
  g_dbus_object_manager_server_export (self->objects, object);
}

void
vmgr_daemon_remove_customer (VmgrDaemon *self, guint32 uid)
{
  g_autofree char *path = vmgr_customer_dup_path (uid);

  if (!g_hash_table_contains (self->customers, GUINT_TO_POINTER (uid)))
    return;
  vmgr_dispatch_path_removed (self->dispatch, path);
  g_dbus_object_manager_server_unexport (self->objects, path);
  vmgr_auth_forget_path (self->auth, path);
  g_hash_table_remove (self->customers, GUINT_TO_POINTER (uid));
}

static gboolean
export_customers (VmgrDaemon *self, GError **error)
{
  g_autoptr(GPtrArray) infos = vmgr_store_list_customers (self->store, error);

  if (infos == NULL)
    return FALSE;
  for (guint i = 0; i < infos->len; i++)
    {
      g_autoptr(VmgrCustomer) customer = vmgr_customer_new (self, g_ptr_array_index (infos, i));

      vmgr_daemon_add_customer (self, customer);
    }
  return TRUE;
}

/* ---- Definitions and guest files ---------------------------------------- */

char *
vmgr_daemon_template_source (VmgrDaemon *self, const VmgrVmSpec *spec)
{
  g_autoptr(VmgrTemplate) tmpl = vmgr_store_get_template (self->store, spec->template_name, NULL);

  return g_strdup (tmpl != NULL ? tmpl->source : "");
}

VmgrGuestFiles *
vmgr_daemon_guest_files (VmgrDaemon *self, const VmgrVmSpec *spec)
{
  g_autofree char *source = vmgr_daemon_template_source (self, spec);
  g_autofree char *dir = vmgr_provision_guest_dir (self->config.state_dir, spec->id);

  return vmgr_provision_files (vmgr_backend_get_scheme (self->backend), source, dir);
}

char *
vmgr_daemon_build_definition (VmgrDaemon *self, const VmgrVmSpec *spec, GError **error)
{
  const char *scheme = vmgr_backend_get_scheme (self->backend);
  g_autofree char *source = vmgr_daemon_template_source (self, spec);
  g_autoptr(VmgrGuestFiles) files = NULL;

  if (!vmgr_provision_needed (scheme, source))
    return vmgr_domain_xml_build (spec, scheme, source, error);
  files = vmgr_daemon_guest_files (self, spec);
  return vmgr_domain_xml_build_guest (spec, scheme, files->root, files->disk, files->kernel,
                                      files->initrd, self->config.network, error);
}

static void
on_address_reserved (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autofree char *name = user_data;
  g_autoptr(GError) error = NULL;

  if (!vmgr_backend_reserve_address_finish (VMGR_BACKEND (source), result, &error))
    g_warning ("VM %s: cannot reserve its address on the libvirt network: %s", name,
               error->message);
}

/* The first IPv4 address of @spec without its prefix, or NULL. */
static char *
first_ipv4 (const VmgrVmSpec *spec)
{
  for (guint i = 0; spec->addresses[i] != NULL; i++)
    if (strchr (spec->addresses[i], ':') == NULL)
      return g_strndup (spec->addresses[i], strcspn (spec->addresses[i], "/"));
  return NULL;
}

void
vmgr_daemon_reserve_address (VmgrDaemon *self, const VmgrVmSpec *spec, gboolean keep)
{
  g_autofree char *mac = NULL;
  g_autofree char *ip = NULL;

  if (g_str_equal (vmgr_backend_get_scheme (self->backend), "test") ||
      self->config.network == NULL || *self->config.network == '\0')
    return;
  mac = vmgr_domain_xml_mac_for_uuid (spec->uuid);
  ip = keep ? first_ipv4 (spec) : NULL;
  vmgr_backend_reserve_address_async (self->backend, self->config.network, mac,
                                      *spec->hostname ? spec->hostname : spec->name, ip, NULL,
                                      on_address_reserved, g_strdup (spec->name));
}

/* ---- Jobs -------------------------------------------------------------- */

VmgrJob *
vmgr_daemon_start_job (VmgrDaemon *self, guint32 vm_id, guint32 owner, const char *operation,
                       guint32 started_by)
{
  g_autofree char *path = g_strdup_printf ("/org/vmgr/job/%u", ++self->next_job);
  VmgrJob *job = vmgr_job_new (self, path, vm_id, operation, started_by);
  g_autoptr(GDBusObjectSkeleton) object = g_dbus_object_skeleton_new (path);

  g_hash_table_insert (self->jobs, g_strdup (path), job);
  vmgr_dispatch_set_owner (self->dispatch, path, owner);
  g_dbus_object_skeleton_add_interface (object, G_DBUS_INTERFACE_SKELETON (job));
  g_dbus_object_manager_server_export (self->objects, object);
  return job;
}

void
vmgr_daemon_remove_job (VmgrDaemon *self, VmgrJob *job)
{
  g_autofree char *path = g_strdup (vmgr_job_get_path (job));

  vmgr_dispatch_path_removed (self->dispatch, path);
  g_dbus_object_manager_server_unexport (self->objects, path);
  vmgr_auth_forget_path (self->auth, path);
  g_hash_table_remove (self->jobs, path);
}

/* ---- VMs --------------------------------------------------------------- */

void
vmgr_daemon_add_vm (VmgrDaemon *self, VmgrVm *vm)
{
  const VmgrVmSpec *spec = vmgr_vm_get_spec (vm);
  g_autofree char *path = vm_path (spec->id);
  g_autoptr(VmgrDBusObjectSkeleton) object = vmgr_dbus_object_skeleton_new (path);

  g_hash_table_insert (self->vms, GUINT_TO_POINTER (spec->id), g_object_ref (vm));
  g_hash_table_insert (self->vms_by_uuid, g_strdup (spec->uuid), vm);
  vmgr_dispatch_set_owner (self->dispatch, path, spec->owner);
  vmgr_dbus_object_skeleton_set_vm (object, VMGR_DBUS_VM (vm));
  g_dbus_object_manager_server_export (self->objects, G_DBUS_OBJECT_SKELETON (object));
  vmgr_daemon_refresh_allocation (self, spec->owner);
}

void
vmgr_daemon_remove_vm (VmgrDaemon *self, guint32 id)
{
  g_autofree char *path = vm_path (id);
  VmgrVm *vm = vmgr_daemon_find_vm (self, id);
  guint32 owner;

  if (vm == NULL)
    return;
  owner = vmgr_vm_get_spec (vm)->owner;
  vmgr_dispatch_path_removed (self->dispatch, path);
  g_dbus_object_manager_server_unexport (self->objects, path);
  vmgr_auth_forget_path (self->auth, path);
  g_hash_table_remove (self->vms_by_uuid, vmgr_vm_get_spec (vm)->uuid);
  g_hash_table_remove (self->vms, GUINT_TO_POINTER (id));
  vmgr_daemon_refresh_allocation (self, owner);
}

void
vmgr_daemon_vm_owner_changed (VmgrDaemon *self, VmgrVm *vm, guint32 old_owner)
{
  const VmgrVmSpec *spec = vmgr_vm_get_spec (vm);
  g_autofree char *path = vm_path (spec->id);

  vmgr_auth_forget_path (self->auth, path);
  vmgr_dispatch_owner_changed (self->dispatch, path, old_owner, spec->owner);
  vmgr_daemon_refresh_allocation (self, old_owner);
  vmgr_daemon_refresh_allocation (self, spec->owner);
}

static gboolean
find_target (const char *path, const VmgrVmSpec **vm, const VmgrCustomerInfo **customer,
             gpointer user_data)
{
  VmgrDaemon *self = VMGR_DAEMON (user_data);
  guint32 vm_id = vmgr_dispatch_vm_id_from_path (path);
  VmgrVm *found_vm = vm_id != 0 ? vmgr_daemon_find_vm (self, vm_id) : NULL;
  VmgrJob *job = g_hash_table_lookup (self->jobs, path);
  VmgrCustomer *found_customer = NULL;
  guint64 uid;

  if (job != NULL)
    found_vm = vmgr_daemon_find_vm (self, vmgr_job_get_vm_id (job));
  if (found_vm != NULL)
    {
      *vm = vmgr_vm_get_spec (found_vm);
      return TRUE;
    }
  if (g_str_has_prefix (path, "/org/vmgr/customer/") &&
      g_ascii_string_to_unsigned (path + strlen ("/org/vmgr/customer/"), 10, 0, G_MAXUINT32,
                                  &uid, NULL))
    found_customer = vmgr_daemon_find_customer (self, (guint32) uid);
  if (found_customer != NULL)
    *customer = vmgr_customer_get_info (found_customer);
  return found_customer != NULL || !g_str_has_prefix (path, "/org/vmgr/") ||
         g_str_equal (path, "/org/vmgr/Manager");
}

/* ---- libvirt going away and coming back ------------------------------- */

static void
on_connection_lost (VmgrBackend *backend, gpointer user_data)
{
  VmgrDaemon *self = VMGR_DAEMON (user_data);
  g_autoptr(GPtrArray) vms = vmgr_daemon_list_vms (self);

  g_warning ("lost the connection to libvirt (%s): VM states are unknown until it is back",
             vmgr_backend_get_uri (backend));
  for (guint i = 0; i < vms->len; i++)
    vmgr_vm_apply_state (g_ptr_array_index (vms, i), VMGR_VM_STATE_UNKNOWN,
                         "hypervisor-unavailable");
}

static void
apply_listed_states (VmgrDaemon *self, GHashTable *states)
{
  g_autoptr(GPtrArray) vms = vmgr_daemon_list_vms (self);

  for (guint i = 0; i < vms->len; i++)
    {
      VmgrVm *vm = g_ptr_array_index (vms, i);
      const VmgrVmSpec *spec = vmgr_vm_get_spec (vm);
      VmgrBackendDomainState *known = g_hash_table_lookup (states, spec->uuid);
      g_autofree char *xml = NULL;

      if (known != NULL)
        {
          vmgr_vm_apply_state (vm, known->state, known->reason);
          continue;
        }
      /* libvirt lost it (the test driver forgets everything): define it again. */
      xml = vmgr_store_get_vm_domain_xml (self->store, spec->id, NULL);
      if (xml != NULL && *xml != '\0')
        vmgr_backend_define_async (self->backend, xml, NULL, NULL, NULL);
      vmgr_vm_apply_state (vm, VMGR_VM_STATE_STOPPED, "defined");
    }
}

static void
on_states_after_restore (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(VmgrDaemon) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) states = vmgr_backend_list_states_finish (VMGR_BACKEND (source), result,
                                                                  &error);

  if (states == NULL)
    {
      g_warning ("libvirt is back but cannot list domains: %s", error->message);
      return;
    }
  g_message ("libvirt is back: VM states brought up to date");
  apply_listed_states (self, states);
}

static void
on_connection_restored (VmgrBackend *backend, gpointer user_data)
{
  vmgr_backend_list_states_async (backend, NULL, on_states_after_restore,
                                  g_object_ref (user_data));
}

static void
on_domain_state_changed (VmgrBackend *backend, const char *uuid, guint state,
                         const char *reason, gpointer user_data)
{
  VmgrDaemon *self = VMGR_DAEMON (user_data);
  VmgrVm *vm = g_hash_table_lookup (self->vms_by_uuid, uuid);

  if (vm != NULL)
    vmgr_vm_apply_state (vm, state, reason);
}

/* ---- Start: reconcile the store with libvirt --------------------------- */

typedef struct {
  VmgrDaemon *daemon;
  GPtrArray *specs;         /* VmgrVmSpec* from the store */
  GHashTable *states;       /* uuid -> VmgrBackendDomainState* */
  guint pending;            /* definitions under way */
} Reconcile;

static void
reconcile_free (Reconcile *reconcile)
{
  g_ptr_array_unref (reconcile->specs);
  g_clear_pointer (&reconcile->states, g_hash_table_unref);
  g_free (reconcile);
}

static void
export_all (VmgrDaemon *self, Reconcile *reconcile)
{
  for (guint i = 0; i < reconcile->specs->len; i++)
    {
      const VmgrVmSpec *spec = g_ptr_array_index (reconcile->specs, i);
      VmgrBackendDomainState *known = g_hash_table_lookup (reconcile->states, spec->uuid);
      g_autoptr(VmgrVm) vm = vmgr_vm_new (self, spec,
                                          known != NULL ? known->state : VMGR_VM_STATE_STOPPED,
                                          known != NULL ? known->reason : "defined");

      vmgr_daemon_add_vm (self, vm);
    }
  g_dbus_object_manager_server_set_connection (self->objects, self->connection);
}

static void
autostart_all (VmgrDaemon *self)
{
  g_autoptr(GPtrArray) vms = vmgr_daemon_list_vms (self);

  for (guint i = 0; i < vms->len; i++)
    {
      VmgrVm *vm = g_ptr_array_index (vms, i);

      if (vmgr_vm_get_spec (vm)->autostart && vmgr_vm_get_state (vm) == VMGR_VM_STATE_STOPPED)
        vmgr_vm_autostart (vm);
    }
}

static void
report_unknown_domains (VmgrDaemon *self, GHashTable *states)
{
  GHashTableIter iter;
  const char *uuid;
  VmgrBackendDomainState *state;

  g_hash_table_iter_init (&iter, states);
  while (g_hash_table_iter_next (&iter, (gpointer *) &uuid, (gpointer *) &state))
    if (!g_hash_table_contains (self->vms_by_uuid, uuid))
      g_message ("libvirt domain '%s' (%s) is not managed by vmgr: left alone",
                 state->name, uuid);
}

static void
reconcile_done (GTask *task)
{
  Reconcile *reconcile = g_task_get_task_data (task);
  VmgrDaemon *self = reconcile->daemon;
  g_autoptr(GError) error = NULL;

  export_all (self, reconcile);
  if (!export_customers (self, &error))
    g_warning ("cannot load the customers: %s", error->message);
  report_unknown_domains (self, reconcile->states);
  autostart_all (self);
  self->sampler = vmgr_sampler_new (self, self->config.sample_interval_s);
  g_message ("vmgrd ready: %u VMs on %s", g_hash_table_size (self->vms),
             vmgr_backend_get_uri (self->backend));
  g_task_return_boolean (task, TRUE);
}

static void
on_redefined (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  Reconcile *reconcile = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  if (!vmgr_backend_define_finish (VMGR_BACKEND (source), result, &error))
    g_warning ("cannot define a stored VM again: %s", error->message);
  if (--reconcile->pending == 0)
    reconcile_done (task);
}

static void
define_missing (GTask *task)
{
  Reconcile *reconcile = g_task_get_task_data (task);
  VmgrDaemon *self = reconcile->daemon;

  reconcile->pending = 1;
  for (guint i = 0; i < reconcile->specs->len; i++)
    {
      const VmgrVmSpec *spec = g_ptr_array_index (reconcile->specs, i);
      g_autofree char *xml = NULL;

      if (g_hash_table_contains (reconcile->states, spec->uuid))
        continue;
      xml = vmgr_store_get_vm_domain_xml (self->store, spec->id, NULL);
      if (xml == NULL || *xml == '\0')
        continue;
      g_message ("VM %u (%s) is missing from libvirt: defining it again", spec->id, spec->name);
      reconcile->pending++;
      vmgr_backend_define_async (self->backend, xml, NULL, on_redefined, g_object_ref (task));
    }
  if (--reconcile->pending == 0)
    reconcile_done (task);
}

static void
on_states_listed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  Reconcile *reconcile = g_task_get_task_data (task);
  GError *error = NULL;

  reconcile->states = vmgr_backend_list_states_finish (VMGR_BACKEND (source), result, &error);
  if (reconcile->states == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  define_missing (task);
}

/* The filesystem holding the state directory: what disk limits count against. */
static guint64
state_filesystem_size (const char *path)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GFileInfo) info = g_file_query_filesystem_info (file, G_FILE_ATTRIBUTE_FILESYSTEM_SIZE,
                                                            NULL, NULL);

  return info != NULL ? g_file_info_get_attribute_uint64 (info, G_FILE_ATTRIBUTE_FILESYSTEM_SIZE)
                      : 0;
}

static void
set_capacity (VmgrDaemon *self, VmgrHostInfo *host)
{
  self->host = host;
  self->capacity.host_cpus = host->cpus;
  self->capacity.vcpus = (guint64) host->cpus * self->config.cpu_overcommit_pct / 100;
  self->capacity.memory = host->memory_total / 100 * self->config.memory_overcommit_pct;
  self->capacity.disk = state_filesystem_size (self->config.state_dir) / 100 *
                        self->config.disk_overcommit_pct;
  g_message ("host: %u CPUs, %" G_GUINT64_FORMAT " MiB; VMs may have %" G_GUINT64_FORMAT
             " vcpus and %" G_GUINT64_FORMAT " MiB", host->cpus, host->memory_total >> 20,
             self->capacity.vcpus, self->capacity.memory >> 20);
}

static void
on_host_info (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  VmgrHostInfo *host = vmgr_backend_get_host_info_finish (VMGR_BACKEND (source), result, &error);

  if (host == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  set_capacity (VMGR_DAEMON (g_task_get_source_object (task)), host);
  vmgr_backend_list_states_async (VMGR_BACKEND (source), NULL, on_states_listed,
                                  g_steal_pointer (&task));
}

void
vmgr_daemon_start_async (VmgrDaemon *self, GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = g_task_new (self, NULL, callback, user_data);
  Reconcile *reconcile = g_new0 (Reconcile, 1);
  GError *error = NULL;

  reconcile->daemon = self;
  g_task_set_task_data (task, reconcile, (GDestroyNotify) reconcile_free);
  reconcile->specs = vmgr_store_list_vms (self->store, &error);
  if (reconcile->specs == NULL)
    {
      reconcile->specs = g_ptr_array_new ();
      g_task_return_error (task, error);
      return;
    }
  vmgr_backend_get_host_info_async (self->backend, NULL, on_host_info,
                                    g_steal_pointer (&task));
}

gboolean
vmgr_daemon_start_finish (VmgrDaemon *self, GAsyncResult *result, GError **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
vmgr_daemon_stop (VmgrDaemon *self)
{
  g_dbus_object_manager_server_set_connection (self->objects, NULL);
}

/* ---- Construction ------------------------------------------------------ */

static gboolean
open_store (VmgrDaemon *self, GError **error)
{
  g_autofree char *path = vmgr_config_get_db_path (&self->config);

  if (g_mkdir_with_parents (self->config.state_dir, 0700) != 0)
    {
      int saved = errno;

      g_set_error (error, VMGR_ERROR, VMGR_ERROR_FAILED, "cannot create %s: %s",
                   self->config.state_dir, g_strerror (saved));
      return FALSE;
    }
  self->store = vmgr_store_open (path, error);
  if (self->store == NULL)
    return FALSE;
  if (vmgr_store_is_empty (self->store))
    {
      g_message ("new store %s: adding the default plans and templates", path);
      return vmgr_seed_defaults (self->store, error);
    }
  return TRUE;
}

static void
export_manager (VmgrDaemon *self)
{
  g_autoptr(GDBusObjectSkeleton) object = g_dbus_object_skeleton_new (MANAGER_PATH);

  self->manager = vmgr_manager_new (self);
  g_dbus_object_skeleton_add_interface (object, G_DBUS_INTERFACE_SKELETON (self->manager));
  g_dbus_object_manager_server_export (self->objects, object);
}

VmgrDaemon *
vmgr_daemon_new (const VmgrConfig *config, GDBusConnection *connection, GError **error)
{
  g_autoptr(VmgrDaemon) self = g_object_new (VMGR_TYPE_DAEMON, NULL);

  self->config = *config;
  self->config.uri = g_strdup (config->uri);
  self->config.state_dir = g_strdup (config->state_dir);
  self->config.network = g_strdup (config->network);
  self->connection = g_object_ref (connection);
  if (!open_store (self, error))
    return NULL;
  self->backend = vmgr_backend_new (config->uri, error);
  if (self->backend == NULL)
    return NULL;
  g_signal_connect (self->backend, "domain-state-changed",
                    G_CALLBACK (on_domain_state_changed), self);
  g_signal_connect (self->backend, "connection-lost", G_CALLBACK (on_connection_lost), self);
  g_signal_connect (self->backend, "connection-restored",
                    G_CALLBACK (on_connection_restored), self);
  self->peers = vmgr_peers_new (connection);
  self->auth = vmgr_auth_new (connection, self->peers, self->store, config->auth_cache_ttl_s,
                              config->auth_timeout_ms, config->auth_max_in_flight);
  self->objects = g_dbus_object_manager_server_new (OBJECT_MANAGER_PATH);
  self->dispatch = vmgr_dispatch_new (connection, self->auth, self->peers, self->objects,
                                      find_target, self);
  export_manager (self);
  return g_steal_pointer (&self);
}

static void
vmgr_daemon_dispose (GObject *object)
{
  VmgrDaemon *self = VMGR_DAEMON (object);

  if (self->backend != NULL)
    g_signal_handlers_disconnect_by_data (self->backend, self);
  if (self->objects != NULL)
    g_dbus_object_manager_server_set_connection (self->objects, NULL);
  g_clear_object (&self->sampler);
  if (self->dispatch != NULL)
    vmgr_dispatch_close (self->dispatch);
  g_clear_object (&self->dispatch);
  g_hash_table_remove_all (self->vms_by_uuid);
  g_hash_table_remove_all (self->vms);
  g_hash_table_remove_all (self->customers);
  g_hash_table_remove_all (self->jobs);
  g_clear_object (&self->manager);
  g_clear_object (&self->objects);
  g_clear_object (&self->auth);
  g_clear_object (&self->peers);
  g_clear_object (&self->backend);
  g_clear_object (&self->store);
  g_clear_object (&self->connection);
  G_OBJECT_CLASS (vmgr_daemon_parent_class)->dispose (object);
}

static void
vmgr_daemon_finalize (GObject *object)
{
  VmgrDaemon *self = VMGR_DAEMON (object);

  g_hash_table_unref (self->vms);
  g_hash_table_unref (self->vms_by_uuid);
  g_hash_table_unref (self->reserved);
  g_hash_table_unref (self->customers);
  g_hash_table_unref (self->jobs);
  g_clear_pointer (&self->host, vmgr_host_info_free);
  g_free (self->config.uri);
  g_free (self->config.state_dir);
  g_free (self->config.network);
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
  self->vms = g_hash_table_new_full (NULL, NULL, NULL, g_object_unref);
  self->vms_by_uuid = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->reserved = g_hash_table_new_full (NULL, NULL, NULL,
                                          (GDestroyNotify) vmgr_vm_spec_free);
  self->customers = g_hash_table_new_full (NULL, NULL, NULL, g_object_unref);
  self->jobs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
}
