#include "vmgr-context.h"

#include "vmgr-domain-xml.h"

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

VmgrGuestFiles *
vmgr_context_guest_files (const VmgrContext *context, const VmgrVmSpec *spec)
{
  g_autofree char *source = vmgr_context_template_source (context, spec);
  g_autofree char *dir = vmgr_context_guest_dir (context, spec);

  return vmgr_provision_files (vmgr_backend_get_scheme (vmgr_context_backend_for (context, spec)), source, dir);
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

  return vmgr_provision_definition (vmgr_backend_get_scheme (vmgr_context_backend_for (context, spec)), source,
                                    context->config->state_dir, context->config->network, spec,
                                    error);
}

void
vmgr_context_reserve_address (const VmgrContext *context, const VmgrVmSpec *spec, gboolean keep)
{
  vmgr_backend_reserve_vm_address (vmgr_context_backend_for (context, spec), context->config->network, spec, keep);
}
