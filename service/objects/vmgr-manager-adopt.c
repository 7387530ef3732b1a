/* Manager handlers for libvirt domains vmgr does not manage:
 * ListUnmanagedDomains and AdoptVM. Such a domain is left alone until an
 * administrator adopts it; then it gets an owner, a plan and vmgr's
 * metadata, and keeps its own devices and resources. */
#include "vmgr-manager-private.h"

#include "vmgr-domain-xml.h"
#include "vmgr-error.h"

/* Not one of vmgr's: no VM has its UUID, and it carries no vmgr metadata
 * (which a domain vmgr made keeps even if its row is gone). */
static gboolean
is_unmanaged (VmgrManager *self, const char *uuid, const VmgrBackendDomainState *domain)
{
  return vmgr_registry_find_vm_by_uuid (self->registry, uuid) == NULL &&
         !vmgr_domain_xml_has_metadata (domain->xml);
}

static GVariant *
domain_info (const VmgrBackendDomainState *domain, const VmgrVmSpec *spec)
{
  GVariantDict dict;

  g_variant_dict_init (&dict, NULL);
  g_variant_dict_insert (&dict, "state", "s", vmgr_vm_state_to_string (domain->state));
  g_variant_dict_insert (&dict, "memory_limit", "t", spec->memory_limit);
  g_variant_dict_insert (&dict, "vcpus", "u", spec->vcpus);
  return g_variant_dict_end (&dict);
}

static void
on_unmanaged_listed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GDBusMethodInvocation) invocation = user_data;
  VmgrManager *self = VMGR_MANAGER (g_dbus_method_invocation_get_user_data (invocation));
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) domains = vmgr_backend_list_definitions_finish (VMGR_BACKEND (source),
                                                                        result, &error);
  g_autoptr(GList) uuids = NULL;
  GVariantBuilder builder;

  if (domains == NULL)
    {
      g_dbus_method_invocation_return_gerror (invocation, error);
      return;
    }
  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a(ssa{sv})"));
  uuids = g_list_sort (g_hash_table_get_keys (domains), (GCompareFunc) g_strcmp0);
  for (GList *l = uuids; l != NULL; l = l->next)
    {
      const VmgrBackendDomainState *domain = g_hash_table_lookup (domains, l->data);
      g_autoptr(VmgrVmSpec) spec = NULL;

      if (!is_unmanaged (self, l->data, domain))
        continue;
      spec = vmgr_domain_xml_parse_foreign (domain->xml, NULL);
      if (spec != NULL)
        g_variant_builder_add (&builder, "(ss@a{sv})", domain->name, (const char *) l->data,
                               domain_info (domain, spec));
    }
  g_dbus_method_invocation_return_value (invocation, g_variant_new ("(a(ssa{sv}))", &builder));
}

static void
on_list_unmanaged_allowed (GDBusMethodInvocation *invocation, VmgrGrant *grant, gpointer data)
{
  g_autoptr(VmgrGrant) owned_grant G_GNUC_UNUSED = grant;
  VmgrManager *self = VMGR_MANAGER (g_dbus_method_invocation_get_user_data (invocation));

  vmgr_backend_list_definitions_async (self->context->backend, NULL, on_unmanaged_listed,
                                       g_object_ref (invocation));
}

gboolean
vmgr_manager_handle_list_unmanaged_domains (VmgrDBusManager *object,
                                            GDBusMethodInvocation *invocation)
{
  VmgrManager *self = VMGR_MANAGER (object);

  vmgr_auth_authorize (self->context->auth, invocation, NULL, NULL,
                       on_list_unmanaged_allowed, NULL, NULL);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

/* ---- AdoptVM ----------------------------------------------------------- */

typedef struct {
  VmgrManager *manager;
  GDBusMethodInvocation *invocation;
  VmgrGrant *grant;
  char *domain;             /* as the caller named it */
  char *name;               /* "" for the domain's own */
  char *plan;
  VmgrOptions *options;     /* id, owner */
  VmgrVmSpec *spec;
  VmgrVmState state;
  char *reason;
  char *original_xml;       /* the domain's definition before adoption */
  char *adopted_xml;
  gboolean reserved;        /* spec's id and name held in the ledger */
} Adoption;

static void
adoption_free (Adoption *adoption)
{
  if (adoption->reserved)
    vmgr_ledger_release (adoption->manager->context->ledger, adoption->spec->id);
  g_object_unref (adoption->manager);
  g_object_unref (adoption->invocation);
  vmgr_grant_free (adoption->grant);
  g_free (adoption->domain);
  g_free (adoption->name);
  g_free (adoption->plan);
  vmgr_options_free (adoption->options);
  g_clear_pointer (&adoption->spec, vmgr_vm_spec_free);
  g_free (adoption->reason);
  g_free (adoption->original_xml);
  g_free (adoption->adopted_xml);
  g_free (adoption);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Adoption, adoption_free)

static void
fail (Adoption *adoption, const GError *error)
{
  vmgr_manager_finish (adoption->manager, adoption->invocation, adoption->grant, NULL, error);
}

static const VmgrBackendDomainState *
find_domain (Adoption *adoption, GHashTable *domains, const char **uuid, GError **error)
{
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, domains);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      const VmgrBackendDomainState *domain = value;

      if ((g_ascii_strcasecmp (key, adoption->domain) == 0 ||
           g_strcmp0 (domain->name, adoption->domain) == 0) &&
          is_unmanaged (adoption->manager, key, domain))
        {
          *uuid = key;
          return domain;
        }
    }
  g_set_error (error, VMGR_ERROR, VMGR_ERROR_NOT_FOUND,
               "no libvirt domain '%s' that vmgr does not manage already", adoption->domain);
  return NULL;
}

/* The domain's real resources; the caller's owner, plan, name and id. */
static gboolean
resolve_spec (Adoption *adoption, const VmgrBackendDomainState *domain, const char *uuid,
              GError **error)
{
  const VmgrContext *context = adoption->manager->context;
  const VmgrOptions *options = adoption->options;
  g_autoptr(VmgrPlan) plan = NULL;
  VmgrVmSpec *spec;

  adoption->spec = spec = vmgr_domain_xml_parse_foreign (domain->xml, error);
  if (spec == NULL)
    return FALSE;
  g_free (spec->uuid);
  spec->uuid = g_ascii_strdown (uuid, -1);
  spec->autostart = domain->autostart;
  if (*adoption->name != '\0')
    {
      g_free (spec->name);
      spec->name = g_strdup (adoption->name);
    }
  else if (!vmgr_validate_name (spec->name, "VM name", NULL))
    return g_set_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_ARGUMENT,
                        "domain name '%s' is not a valid VM name: give one", spec->name), FALSE;
  if (*adoption->plan != '\0' &&
      (plan = vmgr_store_get_plan (context->store, adoption->plan, error)) == NULL)
    return FALSE;
  g_free (spec->plan);
  spec->plan = g_strdup (adoption->plan);
  spec->owner = (options->fields & VMGR_FIELD_OWNER) ? options->owner
                                                     : adoption->grant->caller.uid;
  if (vmgr_ledger_name_taken (context->ledger, spec->owner, spec->name))
    return g_set_error (error, VMGR_ERROR, VMGR_ERROR_ALREADY_EXISTS,
                        "uid %u already has a VM named '%s'", spec->owner, spec->name), FALSE;
  if ((options->fields & VMGR_FIELD_ID) && vmgr_ledger_id_taken (context->ledger, options->id))
    return g_set_error (error, VMGR_ERROR, VMGR_ERROR_ALREADY_EXISTS,
                        "VM id %u is taken", options->id), FALSE;
  spec->id = (options->fields & VMGR_FIELD_ID) ? options->id
                                               : vmgr_ledger_next_vm_id (context->ledger);
  if (!vmgr_spec_check_resources (spec, error) ||
      !vmgr_ledger_check (context->ledger, NULL, spec, error))
    return FALSE;
  adoption->adopted_xml = vmgr_domain_xml_update_adopted (
    domain->xml, spec, vmgr_backend_get_scheme (context->backend), error);
  return adoption->adopted_xml != NULL;
}

static void
on_original_restored (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autofree char *name = user_data;
  g_autoptr(GError) error = NULL;

  if (!vmgr_backend_define_finish (VMGR_BACKEND (source), result, &error))
    g_warning ("domain '%s' keeps vmgr's metadata of a failed adoption: %s", name,
               error->message);
}

static void
on_adopted_defined (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(Adoption) adoption = user_data;
  const VmgrContext *context = adoption->manager->context;
  g_autoptr(GError) error = NULL;
  g_autoptr(VmgrAuditEntry) audit = NULL;
  g_autoptr(VmgrVm) vm = NULL;
  g_autofree char *path = NULL;

  if (!vmgr_backend_define_finish (VMGR_BACKEND (source), result, &error))
    {
      fail (adoption, error);
      return;
    }
  audit = vmgr_grant_audit_entry (adoption->grant);
  if (!vmgr_store_insert_vm (context->store, adoption->spec, adoption->adopted_xml, audit,
                             &error))
    {
      /* The domain goes back to what it was: no vmgr metadata, unmanaged. */
      vmgr_backend_define_async (context->backend, adoption->original_xml, NULL,
                                 on_original_restored, g_strdup (adoption->domain));
      fail (adoption, error);
      return;
    }
  vmgr_ledger_release (context->ledger, adoption->spec->id);
  adoption->reserved = FALSE;
  vm = vmgr_vm_new (context, adoption->spec, adoption->state, adoption->reason);
  vmgr_registry_add_vm (adoption->manager->registry, vm);
  path = vmgr_vm_dup_path (vm);
  g_message ("domain '%s' adopted as VM %u (%s), owner %u", adoption->domain,
             adoption->spec->id, adoption->spec->name, adoption->spec->owner);
  vmgr_manager_finish (adoption->manager, adoption->invocation, adoption->grant,
                       g_variant_new ("(o)", path), NULL);
}

static void
on_domains_listed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(Adoption) adoption = user_data;
  const VmgrContext *context = adoption->manager->context;
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) domains = vmgr_backend_list_definitions_finish (VMGR_BACKEND (source),
                                                                        result, &error);
  const VmgrBackendDomainState *domain = NULL;
  const char *uuid = NULL;
  const char *xml;

  if (domains == NULL || (domain = find_domain (adoption, domains, &uuid, &error)) == NULL ||
      !resolve_spec (adoption, domain, uuid, &error))
    {
      fail (adoption, error);
      return;
    }
  adoption->state = domain->state;
  adoption->reason = g_strdup (domain->reason != NULL ? domain->reason : "adopted");
  adoption->original_xml = g_strdup (domain->xml);
  vmgr_ledger_reserve (context->ledger, adoption->spec);
  adoption->reserved = TRUE;
  xml = adoption->adopted_xml;
  vmgr_backend_define_async (context->backend, xml, NULL, on_adopted_defined,
                             g_steal_pointer (&adoption));
}

static void
on_adopt_allowed (GDBusMethodInvocation *invocation, VmgrGrant *grant, gpointer user_data)
{
  Adoption *adoption = user_data;

  adoption->grant = grant;
  vmgr_backend_list_definitions_async (adoption->manager->context->backend, NULL,
                                       on_domains_listed, adoption);
}

/* plan s besides the VmgrOptions id and owner. */
static VmgrOptions *
parse_adopt_options (GVariant *options, char **plan, GError **error)
{
  GVariantDict rest;
  g_autoptr(GVariant) plan_value = g_variant_lookup_value (options, "plan", NULL);
  g_autoptr(GVariant) others = NULL;

  if (plan_value != NULL && !g_variant_is_of_type (plan_value, G_VARIANT_TYPE_STRING))
    return g_set_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_ARGUMENT,
                        "option 'plan' must be of type 's', not '%s'",
                        g_variant_get_type_string (plan_value)), NULL;
  *plan = g_strdup (plan_value != NULL ? g_variant_get_string (plan_value, NULL) : "");
  if (**plan != '\0' && !vmgr_validate_name (*plan, "plan name", error))
    return NULL;
  g_variant_dict_init (&rest, options);
  g_variant_dict_remove (&rest, "plan");
  others = g_variant_ref_sink (g_variant_dict_end (&rest));
  return vmgr_options_parse (others, VMGR_FIELD_ID | VMGR_FIELD_OWNER, error);
}

gboolean
vmgr_manager_handle_adopt_vm (VmgrDBusManager *object, GDBusMethodInvocation *invocation,
                              const char *domain, const char *name, GVariant *options)
{
  VmgrManager *self = VMGR_MANAGER (object);
  g_autoptr(GError) error = NULL;
  g_autofree char *plan = NULL;
  g_autoptr(VmgrOptions) parsed = parse_adopt_options (options, &plan, &error);
  g_autoptr(GHashTable) details = NULL;
  Adoption *adoption;

  if (parsed != NULL && *domain == '\0')
    g_set_error_literal (&error, VMGR_ERROR, VMGR_ERROR_INVALID_ARGUMENT,
                         "name the libvirt domain to adopt");
  else if (parsed != NULL && *name != '\0')
    vmgr_validate_name (name, "VM name", &error);
  if (error == NULL && parsed != NULL && (parsed->fields & VMGR_FIELD_OWNER) &&
      !vmgr_user_exists (parsed->owner))
    g_set_error (&error, VMGR_ERROR, VMGR_ERROR_INVALID_ARGUMENT,
                 "option 'owner': no user with uid %u", parsed->owner);
  if (error != NULL)
    {
      g_dbus_method_invocation_return_gerror (invocation, error);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
  adoption = g_new0 (Adoption, 1);
  adoption->manager = g_object_ref (self);
  adoption->invocation = g_object_ref (invocation);
  adoption->domain = g_strdup (domain);
  adoption->name = g_strdup (name);
  adoption->plan = g_steal_pointer (&plan);
  adoption->options = g_steal_pointer (&parsed);
  details = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  g_hash_table_insert (details, "domain", g_strdup (domain));
  g_hash_table_insert (details, "vm.name", g_strdup (name));
  g_hash_table_insert (details, "vm.plan", g_strdup (adoption->plan));
  vmgr_auth_authorize (self->context->auth, invocation, NULL, details, on_adopt_allowed,
                       adoption, (GDestroyNotify) adoption_free);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}
