/* Manager.CloneVM: a new VM from a stopped VM or from one of its snapshots,
 * with a fresh identity (id, UUID and so MAC, host name, addresses) and
 * the source's template, plan and resources. The caller gets a job at
 * once; the clone is exported in state provisioning while its files are
 * copied (vmgr-clone-files.c), then defined, stored and left stopped. A
 * failed or cancelled clone leaves no VM, no file and no domain. */
#include "vmgr-manager-private.h"

#include <string.h>

#include "vmgr-audit.h"
#include "vmgr-clone-files.h"
#include "vmgr-error.h"
#include "vmgr-image.h"
#include "vmgr-names.h"
#include "vmgr-peers.h"
#include "vmgr-vm-private.h"

#define CLONE_FIELDS (VMGR_FIELD_OWNER | VMGR_FIELDS_NETWORK)

typedef struct {
  VmgrManager *manager;
  GDBusMethodInvocation *invocation;
  VmgrGrant *grant;
  char *source_path;
  guint32 source_id;
  char *snapshot;           /* NULL: the VM as it is */
  VmgrOptions *options;
  VmgrVm *source;           /* its snapshots are held while the files are copied */
  VmgrVmSpec *spec;         /* the clone's */
  char *domain_xml;
  VmgrVm *vm;
  VmgrJob *job;
} Clone;

static void
clone_free (Clone *clone)
{
  if (clone->source != NULL && clone->job != NULL)
    {
      clone->source->snapshot_busy = FALSE;
      clone->source->files_held--;
    }
  g_object_unref (clone->manager);
  g_clear_object (&clone->invocation);
  vmgr_grant_free (clone->grant);
  g_free (clone->source_path);
  g_free (clone->snapshot);
  vmgr_options_free (clone->options);
  g_clear_object (&clone->source);
  vmgr_vm_spec_free (clone->spec);
  g_free (clone->domain_xml);
  g_clear_object (&clone->vm);
  g_clear_object (&clone->job);
  g_free (clone);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Clone, clone_free)

/* ---- The source --------------------------------------------------------- */

/* The same answer for a source that does not exist and one the caller may
 * not see. */
static gboolean
set_no_source_error (Clone *clone, GError **error)
{
  g_set_error (error, VMGR_ERROR, VMGR_ERROR_NOT_FOUND, "no VM or snapshot at %s",
               clone->source_path);
  return FALSE;
}

static gboolean
find_source (Clone *clone, VmgrAuthView view, GError **error)
{
  VmgrVm *vm = vmgr_registry_find_vm (clone->manager->registry, clone->source_id);

  if (vm == NULL || vm->deleting ||
      !vmgr_auth_view_includes (view, &clone->grant->caller, vm->spec->owner) ||
      (clone->snapshot != NULL && !g_hash_table_contains (vm->snapshots, clone->snapshot)))
    return set_no_source_error (clone, error);
  clone->source = g_object_ref (vm);
  return TRUE;
}

static gboolean
check_source (Clone *clone, GError **error)
{
  VmgrVm *source = clone->source;
  const char *scheme = vmgr_backend_get_scheme (clone->manager->context->backend);

  if (source->spec->host != NULL && *source->spec->host != '\0')
    return g_set_error (error, VMGR_ERROR, VMGR_ERROR_NOT_SUPPORTED,
                        "VM '%s' is on host '%s': only VMs on the configured host can be "
                        "cloned", source->spec->name, source->spec->host), FALSE;
  if (vmgr_vm_spec_is_adopted (source->spec))
    return g_set_error (error, VMGR_ERROR, VMGR_ERROR_NOT_SUPPORTED,
                        "VM '%s' was adopted: its definition and files are not vmgr's, so "
                        "vmgr cannot clone it", source->spec->name), FALSE;
  if (!vmgr_vm_check_not_provisioning (source, error) || !vmgr_vm_check_not_busy (source, error))
    return FALSE;
  if (source->snapshot_busy)
    return g_set_error (error, VMGR_ERROR, VMGR_ERROR_BUSY,
                        "a snapshot of VM '%s' is being changed or cloned: try again when "
                        "that is done", source->spec->name), FALSE;
  /* A snapshot's image is unchanging, but a qcow2 disk's internal
   * snapshots are in the file the running guest writes. */
  if (source->state == VMGR_VM_STATE_STOPPED ||
      (clone->snapshot != NULL && !g_str_equal (scheme, "qemu")))
    return TRUE;
  if (clone->snapshot != NULL)
    return g_set_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_STATE,
                        "VM '%s' is %s: a snapshot of a QEMU guest can be cloned only while "
                        "the guest is stopped", source->spec->name,
                        vmgr_vm_state_to_string (source->state)), FALSE;
  return g_set_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_STATE,
                      "VM '%s' is %s: only a stopped VM can be cloned (shut it down first, or "
                      "clone one of its snapshots)", source->spec->name,
                      vmgr_vm_state_to_string (source->state)), FALSE;
}

/* ---- The clone's spec --------------------------------------------------- */

static void
take_identity (Clone *clone, const char *name)
{
  VmgrVmSpec *spec = clone->spec;
  VmgrOptions *options = clone->options;

  g_free (spec->name);
  spec->name = g_strdup (name);
  g_free (spec->uuid);
  spec->uuid = g_uuid_string_random ();
  if (options->fields & VMGR_FIELD_OWNER)
    spec->owner = options->owner;
  spec->autostart = FALSE;
  /* Its own host name (the new name when that is one) and no address of
   * the source's: two guests must not claim one. */
  g_free (spec->hostname);
  spec->hostname = g_strdup (vmgr_validate_hostname (name, NULL) ? name : "");
  g_strfreev (spec->addresses);
  spec->addresses = g_new0 (char *, 1);
  if (!(options->fields & VMGR_FIELD_GATEWAY))
    {
      g_free (spec->gateway);
      spec->gateway = g_strdup ("");
    }
}

static gboolean
resolve_clone (Clone *clone, const char *name, GError **error)
{
  VmgrHost *host = (clone->options->fields & VMGR_FIELD_HOST)
                     ? vmgr_registry_find_host (clone->manager->registry, clone->options->host)
                     : NULL;

  /* the copy is made of files in this machine's state directory */
  if (host != NULL && !vmgr_host_is_configured (host))
    return g_set_error (error, VMGR_ERROR, VMGR_ERROR_NOT_SUPPORTED,
                        "a clone cannot be made on the added host '%s': its files would be "
                        "storage volumes there, and clones copy local files",
                        clone->options->host), FALSE;
  clone->spec = vmgr_vm_spec_copy (clone->source->spec);
  take_identity (clone, name);
  clone->domain_xml = vmgr_manager_admit_new_vm (clone->manager, clone->grant->caller.uid,
                                                 clone->spec, NULL, clone->options, error);
  return clone->domain_xml != NULL;
}

/* ---- The job ------------------------------------------------------------ */

static void
on_undefined_after_failure (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GError) error = NULL;

  if (!vmgr_backend_op_finish (VMGR_BACKEND (source), result, &error))
    g_warning ("could not undefine a VM whose cloning failed: %s", error->message);
}

static void
clone_failed (Clone *clone, const GError *error)
{
  const VmgrContext *context = clone->manager->context;
  g_autofree char *dir = vmgr_context_guest_dir (context, clone->spec);
  VmgrAuditTarget target = {
    .path = clone->grant->target, .name = clone->spec->name, .uuid = clone->spec->uuid,
  };
  g_autoptr(VmgrAuditEntry) entry = vmgr_audit_entry_for (&clone->grant->caller,
                                                          clone->grant->verb, "clone", &target,
                                                          "failed", error->message);

  g_message ("cloning %s into VM %u (%s) failed: %s", clone->source_path, clone->spec->id,
             clone->spec->name, error->message);
  vmgr_auth_audit_entry (context->auth, entry);
  vmgr_provision_remove_async (dir, NULL, NULL, NULL);
  vmgr_registry_remove_vm (clone->manager->registry, clone->spec->id);
  vmgr_job_complete (clone->job, error);
}

static void
on_defined (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(Clone) clone = user_data;
  const VmgrContext *context = clone->manager->context;
  g_autoptr(GError) error = NULL;

  if (!vmgr_backend_define_finish (VMGR_BACKEND (source), result, &error))
    {
      clone_failed (clone, error);
      return;
    }
  if (!vmgr_store_insert_vm (context->store, clone->spec, clone->domain_xml, NULL, &error))
    {
      vmgr_backend_op_async (context->backend, clone->spec->uuid, VMGR_BACKEND_OP_UNDEFINE,
                             NULL, on_undefined_after_failure, NULL);
      clone_failed (clone, error);
      return;
    }
  vmgr_vm_provisioned (clone->vm);
  vmgr_vm_apply_state (clone->vm, VMGR_VM_STATE_STOPPED, "cloned");
  vmgr_context_reserve_address (context, clone->spec, TRUE);
  vmgr_job_complete (clone->job, NULL);
}

static void
define_clone (Clone *clone)
{
  g_autoptr(GError) error = NULL;

  /* The last moment a Cancel can stop it. */
  if (g_cancellable_set_error_if_cancelled (vmgr_job_get_cancellable (clone->job), &error))
    {
      clone_failed (clone, error);
      clone_free (clone);
      return;
    }
  vmgr_backend_define_async (clone->manager->context->backend, clone->domain_xml, NULL,
                             on_defined, clone);
}

static void
on_files_copied (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Clone *clone = user_data;
  g_autoptr(GError) error = NULL;

  if (!vmgr_clone_files_finish (result, &error))
    {
      clone_failed (clone, error);
      clone_free (clone);
      return;
    }
  define_clone (clone);
}

static void
report_progress (double progress, gpointer data)
{
  vmgr_job_set_progress (VMGR_JOB (data), progress);
}

static void
copy_files (Clone *clone)
{
  const VmgrContext *context = clone->manager->context;
  g_autofree char *from_dir = vmgr_context_guest_dir (context, clone->source->spec);
  g_autofree char *to_dir = vmgr_context_guest_dir (context, clone->spec);
  g_autoptr(VmgrGuestFiles) files = vmgr_context_guest_files (context, clone->spec);
  g_autoptr(VmgrGuestFiles) source_files = vmgr_context_guest_files (context,
                                                                     clone->source->spec);
  /* The new directory does not exist yet, so its files name an image root;
   * a container made before root images copies as a directory. */
  g_autofree char *directory_root = g_build_filename (to_dir, "rootfs", NULL);
  gboolean source_is_directory = *source_files->root != '\0' &&
                                 !vmgr_image_is_image (source_files->root);
  VmgrCloneFiles what = {
    .from_dir = from_dir, .to_dir = to_dir, .snapshot = clone->snapshot,
    .root = source_is_directory ? directory_root : files->root,
    .disk = files->disk, .spec = clone->spec,
  };

  vmgr_clone_files_async (&what, report_progress, clone->job,
                          vmgr_job_get_cancellable (clone->job), on_files_copied, clone);
}

static void
start_job (Clone *clone)
{
  const VmgrContext *context = clone->manager->context;
  VmgrRegistry *registry = clone->manager->registry;

  vmgr_ledger_reserve (context->ledger, clone->spec);
  /* From here on the VM object holds its name, id and resources. */
  clone->vm = vmgr_vm_new (context, clone->spec, VMGR_VM_STATE_PROVISIONING, "cloning");
  vmgr_registry_add_vm (registry, clone->vm);
  vmgr_ledger_release (context->ledger, clone->spec->id);
  clone->job = g_object_ref (vmgr_registry_start_job (registry, clone->spec->id,
                                                      clone->spec->owner, "clone",
                                                      clone->grant->caller.uid));
  vmgr_vm_set_job (clone->vm, vmgr_job_get_path (clone->job));
  clone->source->snapshot_busy = TRUE;
  clone->source->files_held++;
  vmgr_manager_finish (clone->manager, clone->invocation, clone->grant,
                       g_variant_new ("(o)", vmgr_job_get_path (clone->job)), NULL);
  copy_files (clone);
}

/* ---- The call ----------------------------------------------------------- */

static void
fail (Clone *clone, const GError *error)
{
  vmgr_manager_finish (clone->manager, clone->invocation, clone->grant, NULL, error);
  clone_free (clone);
}

typedef struct {
  Clone *clone;
  char *name;
} Lookup;

static void
on_view (VmgrAuthView view, const VmgrCaller *caller, const GError *view_error, gpointer data)
{
  Lookup *lookup = data;
  Clone *clone = lookup->clone;
  g_autofree char *name = lookup->name;
  g_autoptr(GError) error = NULL;

  g_free (lookup);
  if (view_error != NULL)
    view = 0;
  if (!find_source (clone, view, &error) || !check_source (clone, &error) ||
      !resolve_clone (clone, name, &error))
    {
      fail (clone, error);
      return;
    }
  g_free (clone->grant->target_name);
  clone->grant->target_name = g_strdup (clone->spec->name);
  g_free (clone->grant->target_uuid);
  clone->grant->target_uuid = g_strdup (clone->spec->uuid);
  vmgr_grant_add_change (clone->grant, "source", NULL, clone->source_path);
  start_job (clone);
}

static void
on_clone_allowed (GDBusMethodInvocation *invocation, VmgrGrant *grant, gpointer user_data)
{
  Lookup *lookup = user_data;

  lookup->clone->grant = grant;
  /* Whoever may clone sees only the sources it may see. */
  vmgr_auth_check_view (lookup->clone->manager->context->auth,
                        g_dbus_method_invocation_get_sender (invocation),
                        vmgr_auth_message_is_interactive (
                          g_dbus_method_invocation_get_message (invocation)),
                        on_view, lookup);
}

static void
lookup_free (Lookup *lookup)
{
  clone_free (lookup->clone);
  g_free (lookup->name);
  g_free (lookup);
}

/* The source's shape (a VM's path or a snapshot's): whether it exists is
 * asked only once the call is allowed. */
static gboolean
parse_source (Clone *clone, const char *source, GError **error)
{
  const char *element = strstr (source, VMGR_SNAPSHOT_PATH_ELEMENT);
  g_autofree char *vm_path = element != NULL ? g_strndup (source, element - source)
                                             : g_strdup (source);

  clone->source_path = g_strdup (source);
  clone->source_id = vmgr_vm_id_from_path (vm_path);
  if (element != NULL)
    {
      clone->snapshot = g_strdup (element + strlen (VMGR_SNAPSHOT_PATH_ELEMENT));
      if (clone->source_id != 0 && vmgr_validate_snapshot_name (clone->snapshot, NULL))
        return TRUE;
    }
  else if (clone->source_id != 0)
    return TRUE;
  return g_set_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_ARGUMENT,
                      "the source is a VM's path (/org/vmgr/vm/ID) or one of its snapshots' "
                      "(/org/vmgr/vm/ID/snapshot/NAME), not %s", source), FALSE;
}

static GHashTable *
clone_details (const char *source, const char *name, GVariant *options)
{
  GHashTable *details = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);

  g_hash_table_insert (details, "vm.name", g_strdup (name));
  g_hash_table_insert (details, "source", g_strdup (source));
  g_hash_table_insert (details, "requested", g_variant_print (options, FALSE));
  return details;
}

gboolean
vmgr_manager_handle_clone_vm (VmgrDBusManager *object, GDBusMethodInvocation *invocation,
                              const char *source, const char *name, GVariant *options)
{
  VmgrManager *self = VMGR_MANAGER (object);
  g_autoptr(GError) error = NULL;
  g_autoptr(Clone) clone = g_new0 (Clone, 1);
  g_autoptr(GHashTable) details = NULL;
  Lookup *lookup;

  clone->manager = g_object_ref (self);
  clone->invocation = g_object_ref (invocation);
  clone->options = vmgr_options_parse (options, CLONE_FIELDS, &error);
  if (clone->options == NULL || !vmgr_validate_name (name, "VM name", &error) ||
      !parse_source (clone, source, &error))
    {
      g_dbus_method_invocation_return_gerror (invocation, error);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
  if ((clone->options->fields & VMGR_FIELD_OWNER) && !vmgr_user_exists (clone->options->owner))
    {
      g_dbus_method_invocation_return_error (invocation, VMGR_ERROR,
                                             VMGR_ERROR_INVALID_ARGUMENT,
                                             "option 'owner': no user with uid %u",
                                             clone->options->owner);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
  details = clone_details (source, name, options);
  lookup = g_new0 (Lookup, 1);
  lookup->clone = g_steal_pointer (&clone);
  lookup->name = g_strdup (name);
  vmgr_auth_authorize (self->context->auth, invocation, NULL, details, on_clone_allowed, lookup,
                       (GDestroyNotify) lookup_free);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}
