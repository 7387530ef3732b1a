/* Manager handlers for customers: AddCustomer, ListCustomers and the
 * self-service Contract. */
#include "vmgr-manager-private.h"

#include "vmgr-error.h"
#include "vmgr-names.h"
#include "vmgr-peers.h"
#include "vmgr-validate-customer.h"

/* ---- AddCustomer ------------------------------------------------------- */

static gboolean
customer_from_request (VmgrStore *store, guint32 uid, GVariant *dict,
                       VmgrCustomerInfo **out, GError **error)
{
  g_autoptr(VmgrCustomerInfo) info = vmgr_customer_info_new (uid);
  g_autoptr(VmgrPlan) plan = NULL;

  if (!vmgr_user_exists (uid))
    return g_set_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_ARGUMENT,
                        "no user with uid %u: a customer is an existing Unix user", uid), FALSE;
  if (!vmgr_customer_info_apply (info, dict, TRUE, error))
    return FALSE;
  if (*info->plan != '\0')
    {
      plan = vmgr_store_get_plan (store, info->plan, error);
      if (plan == NULL)
        return FALSE;
      /* The plan's VM and snapshot counts are the default quotas. */
      if (!vmgr_customer_info_has_key (dict, "max_vms"))
        info->max_vms = plan->max_vms;
      if (!vmgr_customer_info_has_key (dict, "max_snapshots"))
        info->max_snapshots = plan->max_snapshots;
    }
  *out = g_steal_pointer (&info);
  return TRUE;
}

static void
on_add_customer_allowed (GDBusMethodInvocation *invocation, VmgrGrant *grant, gpointer data)
{
  g_autoptr(VmgrGrant) owned_grant G_GNUC_UNUSED = grant;
  g_autoptr(VmgrCustomerInfo) info = data;
  VmgrManager *self = VMGR_MANAGER (g_dbus_method_invocation_get_user_data (invocation));
  const VmgrContext *context = self->context;
  g_autoptr(VmgrAuditEntry) audit = vmgr_grant_audit_entry (grant);
  g_autoptr(GError) error = NULL;
  g_autoptr(VmgrCustomerInfo) stored = NULL;
  g_autoptr(VmgrCustomer) customer = NULL;
  g_autofree char *path = NULL;

  if (!vmgr_store_add_customer (context->store, info, audit, &error) ||
      (stored = vmgr_store_get_customer (context->store, info->uid,
                                         &error)) == NULL)
    {
      vmgr_manager_finish (self, invocation, grant, NULL, error);
      return;
    }
  customer = vmgr_customer_new (context, stored);
  vmgr_registry_add_customer (self->registry, customer);
  path = vmgr_customer_path (stored->uid);
  vmgr_manager_finish (self, invocation, grant, g_variant_new ("(o)", path), NULL);
}

gboolean
vmgr_manager_handle_add_customer (VmgrDBusManager *object, GDBusMethodInvocation *invocation,
                                  guint uid, GVariant *dict)
{
  VmgrManager *self = VMGR_MANAGER (object);
  g_autoptr(GError) error = NULL;
  VmgrCustomerInfo *info = NULL;
  g_autoptr(GHashTable) details = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);

  if (!customer_from_request (self->context->store, uid, dict, &info, &error))
    {
      g_dbus_method_invocation_return_gerror (invocation, error);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
  g_hash_table_insert (details, "customer.uid", g_strdup_printf ("%u", uid));
  g_hash_table_insert (details, "customer.name", vmgr_user_name_for_uid (uid));
  vmgr_auth_authorize (self->context->auth, invocation, NULL, details,
                       on_add_customer_allowed, info, (GDestroyNotify) vmgr_customer_info_free);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

/* ---- ListCustomers: the caller's own record, or all for administrators - */

static void
on_customers_view (VmgrAuthView view, const VmgrCaller *caller, const GError *error,
                   gpointer user_data)
{
  g_autoptr(GDBusMethodInvocation) invocation = user_data;
  VmgrManager *self = VMGR_MANAGER (g_dbus_method_invocation_get_user_data (invocation));
  g_autoptr(GPtrArray) customers = NULL;
  GVariantBuilder builder;

  if (error != NULL)
    {
      g_dbus_method_invocation_return_gerror (invocation, error);
      return;
    }
  customers = vmgr_registry_list_customers (self->registry);
  g_variant_builder_init (&builder, G_VARIANT_TYPE ("ao"));
  for (guint i = 0; i < customers->len; i++)
    {
      guint32 uid = vmgr_customer_get_info (g_ptr_array_index (customers, i))->uid;
      g_autofree char *path = vmgr_customer_path (uid);

      if (vmgr_auth_view_includes (view, caller, uid))
        g_variant_builder_add (&builder, "o", path);
    }
  g_dbus_method_invocation_return_value (invocation, g_variant_new ("(ao)", &builder));
}

gboolean
vmgr_manager_handle_list_customers (VmgrDBusManager *object, GDBusMethodInvocation *invocation)
{
  VmgrManager *self = VMGR_MANAGER (object);

  vmgr_auth_check_view (self->context->auth,
                        g_dbus_method_invocation_get_sender (invocation),
                        vmgr_auth_message_is_interactive (g_dbus_method_invocation_get_message (invocation)), on_customers_view,
                        g_object_ref (invocation));
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

/* ---- Contract: a customer creates an own VM from a plan ---------------- */

typedef struct {
  char *plan;
  char *template_name;
  char *name;
} ContractRequest;

static void
contract_request_free (ContractRequest *request)
{
  g_free (request->plan);
  g_free (request->template_name);
  g_free (request->name);
  g_free (request);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ContractRequest, contract_request_free)

static gboolean
check_contracting_customer (VmgrLedger *ledger, guint32 uid, GError **error)
{
  const VmgrCustomerInfo *info = vmgr_ledger_get_customer (ledger, uid);

  if (info == NULL)
    return g_set_error (error, VMGR_ERROR, VMGR_ERROR_NOT_AUTHORIZED,
                        "uid %u is not a registered customer", uid), FALSE;
  if (info->suspended)
    return g_set_error (error, VMGR_ERROR, VMGR_ERROR_NOT_AUTHORIZED,
                        "the customer account is suspended (%s)",
                        info->suspend_reason), FALSE;
  return TRUE;
}

static void
on_contract_allowed (GDBusMethodInvocation *invocation, VmgrGrant *grant, gpointer data)
{
  g_autoptr(ContractRequest) request = data;
  VmgrManager *self = VMGR_MANAGER (g_dbus_method_invocation_get_user_data (invocation));
  g_autoptr(GError) error = NULL;
  VmgrOptions *options;

  if (!check_contracting_customer (self->context->ledger, grant->caller.uid, &error))
    {
      vmgr_manager_finish (self, invocation, grant, NULL, error);
      vmgr_grant_free (grant);
      return;
    }
  options = vmgr_options_new ();
  options->fields = VMGR_FIELD_OWNER;
  options->owner = grant->caller.uid;
  vmgr_manager_create_vm (self, invocation, grant, request->name, request->template_name,
                          request->plan, options);
}

gboolean
vmgr_manager_handle_contract (VmgrDBusManager *object, GDBusMethodInvocation *invocation,
                              const char *plan, const char *template_name, const char *name)
{
  VmgrManager *self = VMGR_MANAGER (object);
  g_autoptr(GError) error = NULL;
  ContractRequest *request;
  g_autoptr(GHashTable) details = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);

  if (!vmgr_validate_name (plan, "plan name", &error) ||
      !vmgr_validate_name (template_name, "template name", &error) ||
      !vmgr_validate_name (name, "VM name", &error))
    {
      g_dbus_method_invocation_return_gerror (invocation, error);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
  request = g_new0 (ContractRequest, 1);
  request->plan = g_strdup (plan);
  request->template_name = g_strdup (template_name);
  request->name = g_strdup (name);
  g_hash_table_insert (details, "vm.name", g_strdup (name));
  g_hash_table_insert (details, "vm.plan", g_strdup (plan));
  g_hash_table_insert (details, "template", g_strdup (template_name));
  vmgr_auth_authorize (self->context->auth, invocation, NULL, details,
                       on_contract_allowed, request, (GDestroyNotify) contract_request_free);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}
