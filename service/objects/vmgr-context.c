#include "vmgr-context.h"

#include "vmgr-domain-xml.h"

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

  return vmgr_provision_files (vmgr_backend_get_scheme (context->backend), source, dir);
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
                             own, spec, vmgr_backend_get_scheme (context->backend), error)
                         : NULL;
    }
  source = vmgr_context_template_source (context, spec);

  return vmgr_provision_definition (vmgr_backend_get_scheme (context->backend), source,
                                    context->config->state_dir, context->config->network, spec,
                                    error);
}

void
vmgr_context_reserve_address (const VmgrContext *context, const VmgrVmSpec *spec, gboolean keep)
{
  vmgr_backend_reserve_vm_address (context->backend, context->config->network, spec, keep);
}
