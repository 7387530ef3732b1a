#include "vmgr-context.h"

#include "vmgr-backend-volumes.h"
#include "vmgr-domain-xml.h"
#include "vmgr-error.h"

VmgrBackend *
vmgr_context_backend_for (const VmgrContext *context, const VmgrVmSpec *spec)
{
  VmgrBackend *backend;

  if (spec->host == NULL || *spec->host == '\0' || context->host_backends == NULL)
    return context->backend;
  backend = g_hash_table_lookup (context->host_backends, spec->host);
  if (backend == NULL)
    {
      g_warning ("VM %u is on host '%s', which is not there: using the configured host",
                 spec->id, spec->host);
      return context->backend;
    }
  return backend;
}

const char *
vmgr_context_host_name (const VmgrContext *context, const VmgrVmSpec *spec)
{
  return spec->host != NULL && *spec->host != '\0' ? spec->host : context->config->host_name;
}

char *
vmgr_context_template_source (const VmgrContext *context, const VmgrVmSpec *spec)
{
  g_autoptr(VmgrTemplate) tmpl = vmgr_store_get_template (context->store, spec->template_name,
                                                          NULL);

  return g_strdup (tmpl != NULL ? tmpl->source : "");
}

char *
vmgr_context_guest_dir (const VmgrContext *context, const VmgrVmSpec *spec)
{
  return vmgr_provision_guest_dir (context->config->state_dir, spec->id);
}

gboolean
vmgr_context_on_added_host (const VmgrContext *context, const VmgrVmSpec *spec)
{
  return vmgr_context_backend_for (context, spec) != context->backend;
}

gboolean
vmgr_context_check_local_files (const VmgrContext *context, const VmgrVmSpec *spec,
                                const char *what, GError **error)
{
  if (!vmgr_context_on_added_host (context, spec))
    return TRUE;
  g_set_error (error, VMGR_ERROR, VMGR_ERROR_NOT_SUPPORTED,
               "%s is not supported for a VM on the added host '%s': its files are "
               "storage volumes there, reached only through libvirt", what, spec->host);
  return FALSE;
}

VmgrGuestFiles *
vmgr_context_guest_files (const VmgrContext *context, const VmgrVmSpec *spec)
{
  g_autofree char *source = vmgr_context_template_source (context, spec);
  g_autofree char *dir = NULL;
  VmgrBackend *backend = vmgr_context_backend_for (context, spec);

  if (backend != context->backend)
    return vmgr_volume_guest_files (vmgr_backend_get_scheme (backend), source,
                                    vmgr_backend_get_pool_dir (backend), spec->id);
  dir = vmgr_context_guest_dir (context, spec);
  return vmgr_provision_files (vmgr_backend_get_scheme (backend), source, dir);
}

/* The definition of a VM with files on an added host: its volumes. */
static char *
volumes_definition (const VmgrContext *context, const VmgrVmSpec *spec, VmgrBackend *backend,
                    const char *source, GError **error)
{
  const char *scheme = vmgr_backend_get_scheme (backend);
  g_autoptr(VmgrGuestFiles) files = NULL;

  if (!vmgr_provision_needed (scheme, source))
    return vmgr_domain_xml_build (spec, scheme, source, error);
  if (vmgr_backend_get_pool_dir (backend) == NULL)
    {
      g_set_error (error, VMGR_ERROR, VMGR_ERROR_NOT_FOUND,
                   "host '%s' (%s) has no active storage pool '%s' for the VM's files",
                   spec->host, vmgr_backend_get_uri (backend),
                   vmgr_backend_get_pool (backend) != NULL ? vmgr_backend_get_pool (backend) : "");
      return NULL;
    }
  files = vmgr_context_guest_files (context, spec);
  return vmgr_domain_xml_build_guest (spec, scheme, files->root, files->disk, files->kernel,
                                      files->initrd, context->config->network, error);
}

char *
vmgr_context_build_definition (const VmgrContext *context, const VmgrVmSpec *spec,
                               GError **error)
{
  g_autofree char *source = NULL;

  if (vmgr_vm_spec_is_adopted (spec))
    {
      g_autofree char *own = vmgr_store_get_vm_domain_xml (context->store, spec->id, error);

      return own != NULL ? vmgr_domain_xml_update_adopted (
                             own, spec, vmgr_backend_get_scheme (vmgr_context_backend_for (context, spec)), error)
                         : NULL;
    }
  source = vmgr_context_template_source (context, spec);
  if (vmgr_context_on_added_host (context, spec))
    return volumes_definition (context, spec, vmgr_context_backend_for (context, spec), source,
                               error);
  return vmgr_provision_definition (vmgr_backend_get_scheme (vmgr_context_backend_for (context, spec)), source,
                                    context->config->state_dir, context->config->network, spec,
                                    error);
}

void
vmgr_context_reserve_address (const VmgrContext *context, const VmgrVmSpec *spec, gboolean keep)
{
  vmgr_backend_reserve_vm_address (vmgr_context_backend_for (context, spec), context->config->network, spec, keep);
}

static void
on_files_removed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  gboolean ok = VMGR_IS_BACKEND (source)
                  ? vmgr_backend_volume_delete_finish (VMGR_BACKEND (source), result, &error)
                  : vmgr_provision_remove_finish (result, &error);

  if (ok)
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

void
vmgr_context_remove_files_async (const VmgrContext *context, const VmgrVmSpec *spec,
                                 GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = g_task_new (NULL, NULL, callback, user_data);
  VmgrBackend *backend = vmgr_context_backend_for (context, spec);
  g_autoptr(VmgrGuestFiles) files = NULL;
  g_autofree char *dir = NULL;

  g_task_set_source_tag (task, vmgr_context_remove_files_async);
  if (backend == context->backend)
    {
      dir = vmgr_context_guest_dir (context, spec);
      vmgr_provision_remove_async (dir, NULL, on_files_removed, task);
      return;
    }
  files = vmgr_context_guest_files (context, spec);
  if (vmgr_backend_get_pool_dir (backend) == NULL && (*files->disk != '\0' || *files->root != '\0'))
    {
      g_task_return_new_error (task, VMGR_ERROR, VMGR_ERROR_NOT_FOUND,
                               "host '%s' has no known storage pool '%s': its volumes stay",
                               spec->host, vmgr_backend_get_pool (backend));
      g_object_unref (task);
      return;
    }
  {
    const char *paths[] = { files->disk, files->root, NULL };

    vmgr_backend_volume_delete_async (backend, paths, NULL, on_files_removed, task);
  }
}

gboolean
vmgr_context_remove_files_finish (GAsyncResult *result, GError **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}
