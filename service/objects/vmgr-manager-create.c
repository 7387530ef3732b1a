/* Manager.CreateVM: validate, authorize, reserve the name and id, define
 * the domain, store it, export the object; undo what was done on failure. */
#include "vmgr-manager-private.h"

#include "vmgr-audit.h"
#include "vmgr-backend-volumes.h"
#include "vmgr-error.h"
#include "vmgr-peers.h"

typedef struct {
  VmgrManager *manager;
  GDBusMethodInvocation *invocation;
  VmgrGrant *grant;
  char *plan_name;
  VmgrOptions *options;
  VmgrVmSpec *spec;
  char *domain_xml;
  gboolean reserved;
  VmgrVm *vm;               /* provisioning: exported before its files exist */
  VmgrJob *job;
  gint64 provision_start;
} Creation;

static void
creation_free (Creation *creation)
{
  const VmgrContext *context = creation->manager->context;

  if (creation->reserved)
    vmgr_ledger_release (context->ledger, creation->spec->id);
  g_object_unref (creation->manager);
  g_clear_object (&creation->invocation);
  vmgr_grant_free (creation->grant);
  g_free (creation->plan_name);
  vmgr_options_free (creation->options);
  vmgr_vm_spec_free (creation->spec);
  g_free (creation->domain_xml);
  g_clear_object (&creation->vm);
  g_clear_object (&creation->job);
  g_free (creation);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Creation, creation_free)

static void
fail (Creation *creation, const GError *error)
{
  vmgr_manager_finish (creation->manager, creation->invocation, creation->grant, NULL, error);
}

/* Option host: the VM goes on that host ("" in the spec for the
 * configured one, as for every VM of before), if its template fits. */
static gboolean
place_on_host (VmgrManager *self, VmgrVmSpec *spec, const char *name, GError **error)
{
  VmgrHost *host = vmgr_registry_find_host (self->registry, name);
  g_autofree char *source = NULL;

  if (host == NULL)
    return g_set_error (error, VMGR_ERROR, VMGR_ERROR_NOT_FOUND, "no host '%s'", name), FALSE;
  source = vmgr_context_template_source (self->context, spec);
  if (!vmgr_manager_host_fits (host, source, error))
    return FALSE;
  g_free (spec->host);
  spec->host = g_strdup (vmgr_host_is_configured (host) ? "" : name);
  return TRUE;
}

char *
vmgr_manager_admit_new_vm (VmgrManager *self, guint32 caller_uid, VmgrVmSpec *spec,
                           const VmgrPlan *plan, const VmgrOptions *options, GError **error)
{
  const VmgrContext *context = self->context;

  /* Names are unique per owner: another owner's names are none of the
   * caller's business. */
  if (vmgr_ledger_name_taken (context->ledger, spec->owner, spec->name))
    return spec->owner == caller_uid
             ? g_set_error (error, VMGR_ERROR, VMGR_ERROR_ALREADY_EXISTS,
                            "you already have a VM named '%s'", spec->name), NULL
             : g_set_error (error, VMGR_ERROR, VMGR_ERROR_ALREADY_EXISTS,
                            "uid %u already has a VM named '%s'", spec->owner, spec->name), NULL;
  if (options->fields & VMGR_FIELD_ID)
    {
      if (vmgr_ledger_id_taken (context->ledger, options->id))
        return g_set_error (error, VMGR_ERROR, VMGR_ERROR_ALREADY_EXISTS,
                            "VM id %u is taken", options->id), NULL;
      if (vmgr_ledger_id_retired (context->ledger, options->id))
        return vmgr_set_vm_id_retired_error (error, options->id), NULL;
      spec->id = options->id;
    }
  else
    spec->id = vmgr_ledger_next_vm_id (context->ledger);
  if ((options->fields & VMGR_FIELD_HOST) && !place_on_host (self, spec, options->host, error))
    return NULL;
  if (!vmgr_spec_apply (spec, plan, options, error) ||
      !vmgr_ledger_check (context->ledger, NULL, spec, error) ||
      !vmgr_manager_check_host_capacity (self, spec, error))
    return NULL;
  return vmgr_context_build_definition (context, spec, error);
}

/* Everything that depends on the store: template, plan, name, id, owner. */
static gboolean
resolve_spec (Creation *creation, GError **error)
{
  const VmgrContext *context = creation->manager->context;
  VmgrStore *store = context->store;
  VmgrVmSpec *spec = creation->spec;
  g_autoptr(VmgrTemplate) tmpl = vmgr_store_get_template (store, spec->template_name, error);
  g_autoptr(VmgrPlan) plan = NULL;

  if (tmpl == NULL)
    return FALSE;
  if (*creation->plan_name != '\0' &&
      (plan = vmgr_store_get_plan (store, creation->plan_name, error)) == NULL)
    return FALSE;
  spec->owner = (creation->options->fields & VMGR_FIELD_OWNER) ? creation->options->owner
                                                               : creation->grant->caller.uid;
  g_free (spec->plan);
  spec->plan = g_strdup (creation->plan_name);
  if (!(creation->options->fields & VMGR_FIELD_HOST))
    {
      g_free (spec->host);
      spec->host = g_strdup (vmgr_manager_pick_host (creation->manager, spec));
    }
  creation->domain_xml = vmgr_manager_admit_new_vm (creation->manager,
                                                    creation->grant->caller.uid, spec, plan,
                                                    creation->options, error);
  return creation->domain_xml != NULL;
}

static void
on_started (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *name = user_data;

  if (!vmgr_backend_op_finish (VMGR_BACKEND (source), result, &error))
    g_warning ("VM '%s' was created but did not start: %s", name, error->message);
}

static void
on_undefined_after_failure (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GError) error = NULL;

  if (!vmgr_backend_op_finish (VMGR_BACKEND (source), result, &error))
    g_warning ("could not undefine a VM whose creation failed: %s", error->message);
}

/* Options that apply once the VM exists in libvirt. */
static void
apply_start_options (Creation *creation)
{
  const VmgrContext *context = creation->manager->context;
  VmgrBackend *backend = vmgr_context_backend_for (context, creation->spec);

  vmgr_context_reserve_address (context, creation->spec, TRUE);
  if (creation->spec->autostart)
    vmgr_backend_set_autostart_async (backend, creation->spec->uuid, TRUE, NULL, NULL, NULL);
  if ((creation->options->fields & VMGR_FIELD_START) && creation->options->start)
    vmgr_backend_op_async (backend, creation->spec->uuid, VMGR_BACKEND_OP_START, NULL,
                           on_started, g_strdup (creation->spec->name));
}

static gboolean
store_defined (Creation *creation, GError **error)
{
  const VmgrContext *context = creation->manager->context;
  /* A provisioned VM's creation was acknowledged (and audited) before its
   * files existed; any other is acknowledged with this row. */
  g_autoptr(VmgrAuditEntry) audit = creation->job == NULL
                                      ? vmgr_grant_audit_entry (creation->grant) : NULL;

  if (vmgr_store_insert_vm (context->store, creation->spec, creation->domain_xml, audit,
                            error))
    return TRUE;
  vmgr_backend_op_async (vmgr_context_backend_for (context, creation->spec), creation->spec->uuid,
                         VMGR_BACKEND_OP_UNDEFINE, NULL, on_undefined_after_failure, NULL);
  return FALSE;
}

static void
on_defined (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(Creation) creation = user_data;
  const VmgrContext *context = creation->manager->context;
  g_autoptr(GError) error = NULL;
  g_autoptr(VmgrVm) vm = NULL;
  g_autofree char *path = NULL;

  if (!vmgr_backend_define_finish (VMGR_BACKEND (source), result, &error) ||
      !store_defined (creation, &error))
    {
      fail (creation, error);
      return;
    }
  /* From here on the VM itself holds its name, id and resources. */
  vmgr_ledger_release (context->ledger, creation->spec->id);
  creation->reserved = FALSE;
  vm = vmgr_vm_new (context, creation->spec, VMGR_VM_STATE_STOPPED, "created");
  vmgr_registry_add_vm (creation->manager->registry, vm);
  apply_start_options (creation);
  path = vmgr_vm_dup_path (vm);
  vmgr_manager_finish (creation->manager, creation->invocation, creation->grant,
                       g_variant_new ("(o)", path), NULL);
}

/* ---- Provisioning as a job: the caller has its answer already ---------- */

static void
provisioning_failed (Creation *creation, const GError *error)
{
  const VmgrContext *context = creation->manager->context;
  VmgrAuditTarget target = {
    .path = creation->grant->target, .name = creation->spec->name, .uuid = creation->spec->uuid,
  };
  g_autoptr(VmgrAuditEntry) entry = vmgr_audit_entry_for (&creation->grant->caller,
                                                          creation->grant->verb, "provision",
                                                          &target, "failed", error->message);

  g_message ("provisioning VM %u (%s) failed: %s", creation->spec->id, creation->spec->name,
             error->message);
  vmgr_auth_audit_entry (context->auth, entry);
  vmgr_context_remove_files_async (context, creation->spec, NULL, NULL);
  vmgr_registry_remove_vm (creation->manager->registry, creation->spec->id);
  vmgr_job_complete (creation->job, error);
}

static void
on_provisioned_defined (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(Creation) creation = user_data;
  g_autoptr(GError) error = NULL;

  if (!vmgr_backend_define_finish (VMGR_BACKEND (source), result, &error) ||
      !store_defined (creation, &error))
    {
      provisioning_failed (creation, error);
      return;
    }
  vmgr_vm_provisioned (creation->vm);
  vmgr_job_complete (creation->job, NULL);
  apply_start_options (creation);
}

static void
on_provisioned (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Creation *creation = user_data;
  g_autoptr(GError) error = NULL;
  gboolean ok = VMGR_IS_BACKEND (source)
                  ? vmgr_backend_provision_volumes_finish (VMGR_BACKEND (source), result, &error)
                  : vmgr_provision_finish (result, &error);

  if (ok)
    g_message ("VM %u (%s) provisioned on host %s in %.1f s", creation->spec->id,
               creation->spec->name,
               vmgr_context_host_name (creation->manager->context, creation->spec),
               (g_get_monotonic_time () - creation->provision_start) / 1e6);
  if (!ok)
    {
      provisioning_failed (creation, error);
      creation_free (creation);
      return;
    }
  vmgr_backend_define_async (vmgr_context_backend_for (creation->manager->context, creation->spec), creation->domain_xml, NULL, on_provisioned_defined, creation);
}

static void
report_progress (double progress, gpointer data)
{
  vmgr_job_set_progress (VMGR_JOB (data), progress);
}

/* On an added host through libvirt's storage API (vmgr-backend-volumes.h),
 * the staging directory of LXC root images under the state directory. */
static void
provision_volumes (Creation *creation, const char *source)
{
  const VmgrContext *context = creation->manager->context;
  g_autofree char *staging = g_build_filename (context->config->state_dir, "staging", NULL);

  vmgr_backend_provision_volumes_async (vmgr_context_backend_for (context, creation->spec),
                                        source, staging, creation->spec, report_progress,
                                        g_object_ref (creation->job), g_object_unref,
                                        vmgr_job_get_cancellable (creation->job),
                                        on_provisioned, creation);
}

static void
start_provisioning (Creation *creation)
{
  const VmgrContext *context = creation->manager->context;
  g_autofree char *source = vmgr_context_template_source (context, creation->spec);
  g_autofree char *dir = vmgr_context_guest_dir (context, creation->spec);
  g_autofree char *path = NULL;

  vmgr_ledger_release (context->ledger, creation->spec->id);
  creation->reserved = FALSE;
  creation->vm = vmgr_vm_new (context, creation->spec, VMGR_VM_STATE_PROVISIONING, "created");
  vmgr_registry_add_vm (creation->manager->registry, creation->vm);
  creation->job = g_object_ref (vmgr_registry_start_job (creation->manager->registry,
                                                         creation->spec->id,
                                                         creation->spec->owner, "provision",
                                                         creation->grant->caller.uid));
  vmgr_vm_set_job (creation->vm, vmgr_job_get_path (creation->job));
  path = vmgr_vm_dup_path (creation->vm);
  vmgr_manager_finish (creation->manager, creation->invocation, creation->grant,
                       g_variant_new ("(o)", path), NULL);
  creation->provision_start = g_get_monotonic_time ();
  if (vmgr_context_on_added_host (context, creation->spec))
    {
      provision_volumes (creation, source);
      return;
    }
  vmgr_provision_async (vmgr_backend_get_scheme (vmgr_context_backend_for (context, creation->spec)), source, dir,
                        creation->spec, report_progress, creation->job,
                        vmgr_job_get_cancellable (creation->job), on_provisioned, creation);
}

/* From here on the audit names the new VM; the target stays the Manager
 * (whose path QueryAudit's callers filter creations by). */
static void
name_audit_target (VmgrGrant *grant, const VmgrVmSpec *spec)
{
  g_free (grant->target_name);
  grant->target_name = g_strdup (spec->name);
  g_free (grant->target_uuid);
  grant->target_uuid = g_strdup (spec->uuid);
}

static void
proceed (Creation *creation)
{
  const VmgrContext *context = creation->manager->context;
  g_autoptr(GError) error = NULL;
  g_autofree char *source = NULL;

  if (!resolve_spec (creation, &error))
    {
      fail (creation, error);
      creation_free (creation);
      return;
    }
  name_audit_target (creation->grant, creation->spec);
  source = vmgr_context_template_source (context, creation->spec);
  vmgr_ledger_reserve (context->ledger, creation->spec);
  creation->reserved = TRUE;
  if (vmgr_provision_needed (vmgr_backend_get_scheme (vmgr_context_backend_for (context, creation->spec)),
                             source))
    {
      start_provisioning (creation);
      return;
    }
  vmgr_backend_define_async (vmgr_context_backend_for (context, creation->spec), creation->domain_xml, NULL,
                             on_defined, creation);
}

static void
on_create_allowed (GDBusMethodInvocation *invocation, VmgrGrant *grant, gpointer user_data)
{
  Creation *creation = user_data;

  creation->grant = grant;
  proceed (creation);
}

static Creation *
creation_new (VmgrManager *self, GDBusMethodInvocation *invocation, const char *name,
              const char *template_name, const char *plan, VmgrOptions *options)
{
  Creation *creation = g_new0 (Creation, 1);

  creation->manager = g_object_ref (self);
  creation->invocation = g_object_ref (invocation);
  creation->plan_name = g_strdup (plan);
  creation->options = options;
  creation->spec = vmgr_vm_spec_new ();
  g_free (creation->spec->name);
  creation->spec->name = g_strdup (name);
  g_free (creation->spec->template_name);
  creation->spec->template_name = g_strdup (template_name);
  g_free (creation->spec->uuid);
  creation->spec->uuid = g_uuid_string_random ();
  return creation;
}

void
vmgr_manager_create_vm (VmgrManager *self, GDBusMethodInvocation *invocation, VmgrGrant *grant,
                        const char *name, const char *template_name, const char *plan,
                        VmgrOptions *options)
{
  Creation *creation = creation_new (self, invocation, name, template_name, plan, options);

  creation->grant = grant;
  proceed (creation);
}

static gboolean
check_arguments (const char *name, const char *template_name, const char *plan,
                 VmgrOptions *options, GError **error)
{
  if (!vmgr_validate_name (name, "VM name", error) ||
      !vmgr_validate_name (template_name, "template name", error) ||
      (*plan != '\0' && !vmgr_validate_name (plan, "plan name", error)))
    return FALSE;
  if ((options->fields & VMGR_FIELD_OWNER) && !vmgr_user_exists (options->owner))
    return g_set_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_ARGUMENT,
                        "option 'owner': no user with uid %u", options->owner), FALSE;
  return TRUE;
}

static GHashTable *
creation_details (const char *name, const char *template_name, const char *plan,
                  GVariant *options)
{
  GHashTable *details = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);

  g_hash_table_insert (details, "vm.name", g_strdup (name));
  g_hash_table_insert (details, "template", g_strdup (template_name));
  g_hash_table_insert (details, "vm.plan", g_strdup (plan));
  g_hash_table_insert (details, "requested", g_variant_print (options, FALSE));
  return details;
}

gboolean
vmgr_manager_handle_create_vm (VmgrDBusManager *object, GDBusMethodInvocation *invocation,
                               const char *name, const char *template_name, const char *plan,
                               GVariant *options)
{
  VmgrManager *self = VMGR_MANAGER (object);
  g_autoptr(GError) error = NULL;
  g_autoptr(VmgrOptions) parsed = vmgr_options_parse (options, VMGR_FIELDS_CREATE, &error);
  g_autoptr(GHashTable) details = NULL;
  Creation *creation;

  if (parsed == NULL || !check_arguments (name, template_name, plan, parsed, &error))
    {
      g_dbus_method_invocation_return_gerror (invocation, error);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
  creation = creation_new (self, invocation, name, template_name, plan,
                           g_steal_pointer (&parsed));
  details = creation_details (name, template_name, plan, options);
  vmgr_auth_authorize (self->context->auth, invocation, NULL,
                       details, on_create_allowed, creation, (GDestroyNotify) creation_free);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}
