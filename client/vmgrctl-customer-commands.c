/* Customers: customers (ListCustomers), customer add (AddCustomer), and
 * customer show, update, suspend, unsuspend, remove on the Customer
 * object /org/vmgr/customer/UID. USER|UID is resolved on this host, else
 * by vmgrd's customers (vmgrctl_context_resolve_user()); a uid without a
 * customer is "not found" (exit 3). */
#include "vmgrctl-commands.h"

#include "vmgrctl-customer-options.h"
#include "vmgrctl-customer-view.h"
#include "vmgrctl-errors.h"
#include "vmgrctl-listing.h"
#include "vmgrctl-options.h"

/* Reports @error about the customer @who (as typed) with uid @uid. */
static int
customer_fail (GError *error, const char *doing, const char *who, guint32 uid)
{
  if (vmgrctl_exit_code_for_error (error) == VMGRCTL_EXIT_NOT_FOUND)
    {
      g_autoptr(GError) missing = g_error_new (VMGRCTL_ERROR, VMGRCTL_EXIT_NOT_FOUND,
                                               "no customer with uid %u", uid);
      return vmgrctl_fail (missing, "%s '%s'", doing, who);
    }
  return vmgrctl_fail (error, "%s '%s'", doing, who);
}

/* Parses the command line and USER|UID (the first argument), then connects. */
static int
parse_customer (VmgrctlContext *ctx, const VmgrctlCommand *cmd, const GOptionEntry *entries,
                char **argv, GStrv *args, guint32 *uid)
{
  g_autoptr(GError) error = NULL;
  VmgrDBusManager *manager;
  int status = vmgrctl_command_parse (ctx, cmd, entries, NULL, argv, args);

  if (status != VMGRCTL_EXIT_OK)
    return status;
  if (!vmgrctl_context_resolve_user (ctx, (*args)[0], uid, &error))
    return vmgrctl_command_fail (cmd, error);
  return vmgrctl_context_connect (ctx, &manager);
}

static gpointer
open_customer (VmgrctlContext *ctx, const char *path, gpointer data, GError **error)
{
  return vmgrctl_context_get_customer (ctx, path, error);
}

static const VmgrctlListing customer_listing = {
  "customers", open_customer, (VmgrctlToJson) vmgrctl_customer_to_json,
  vmgrctl_customer_table_new, (VmgrctlListingTableAdd) vmgrctl_customer_table_add,
};

/* Customers gone since ListCustomers are left out. */
int
vmgrctl_cmd_customers (VmgrctlContext *ctx, const VmgrctlCommand *cmd, char **argv)
{
  g_auto(GStrv) args = NULL;
  g_auto(GStrv) paths = NULL;
  g_autoptr(GError) error = NULL;
  VmgrDBusManager *manager;
  int status = vmgrctl_command_parse_and_connect (ctx, cmd, NULL, argv, &args, &manager);

  if (status != VMGRCTL_EXIT_OK)
    return status;
  if (!vmgr_dbus_manager_call_list_customers_sync (manager, &paths, NULL, &error))
    return vmgrctl_fail (error, "cannot list customers");
  return vmgrctl_listing_show (ctx, &customer_listing, paths, NULL);
}

/* add and update: the options, checked before connecting. */
static int
parse_info (VmgrctlContext *ctx, const VmgrctlCommand *cmd, char **argv, gboolean adding,
            GStrv *args, guint32 *uid, GVariant **info)
{
  g_auto(VmgrctlCustomerOptions) options = { { NULL } };
  g_autofree GOptionEntry *entries = vmgrctl_customer_options_entries (&options);
  g_autoptr(GError) error = NULL;
  const char *missing;
  VmgrDBusManager *manager;
  int status = vmgrctl_command_parse (ctx, cmd, entries, NULL, argv, args);

  if (status != VMGRCTL_EXIT_OK)
    return status;
  missing = vmgrctl_customer_options_missing (&options);
  if (adding && missing != NULL)
    {
      g_autofree char *message = g_strdup_printf ("%s is required", missing);
      return vmgrctl_command_usage_error (cmd, message);
    }
  if (!adding && !vmgrctl_customer_options_any (&options))
    return vmgrctl_command_usage_error (cmd, "nothing to change");
  *info = vmgrctl_customer_options_to_info (&options, &error);
  if (*info == NULL || !vmgrctl_context_resolve_user (ctx, (*args)[0], uid, &error))
    return vmgrctl_command_fail (cmd, error);
  return vmgrctl_context_connect (ctx, &manager);
}

int
vmgrctl_cmd_customer_add (VmgrctlContext *ctx, const VmgrctlCommand *cmd, char **argv)
{
  g_auto(GStrv) args = NULL;
  g_autoptr(GVariant) info = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  guint32 uid = 0;
  int status = parse_info (ctx, cmd, argv, TRUE, &args, &uid, &info);

  if (status != VMGRCTL_EXIT_OK)
    return status;
  if (!vmgr_dbus_manager_call_add_customer_sync (ctx->manager, uid, info, &path, NULL, &error))
    vmgrctl_error_use_option_names (error, vmgrctl_customer_option_keys ());
  if (error != NULL)
    return vmgrctl_fail (error, "cannot add customer '%s'", args[0]);
  return VMGRCTL_EXIT_OK;
}

int
vmgrctl_cmd_customer_show (VmgrctlContext *ctx, const VmgrctlCommand *cmd, char **argv)
{
  g_auto(GStrv) args = NULL;
  g_autoptr(VmgrDBusCustomer) customer = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  guint32 uid = 0;
  int status = parse_customer (ctx, cmd, NULL, argv, &args, &uid);

  if (status != VMGRCTL_EXIT_OK)
    return status;
  path = vmgrctl_customer_path (uid);
  customer = vmgrctl_context_get_customer (ctx, path, &error);
  if (customer == NULL)
    return customer_fail (error, "cannot find customer", args[0], uid);
  vmgrctl_print_json_or_text (ctx->json, customer, (VmgrctlToJson) vmgrctl_customer_to_json,
                              (VmgrctlToText) vmgrctl_customer_describe);
  return VMGRCTL_EXIT_OK;
}

/* A proxy to call methods on (no properties read: the call decides). */
static VmgrDBusCustomer *
customer_proxy (VmgrctlContext *ctx, guint32 uid, GError **error)
{
  g_autofree char *path = vmgrctl_customer_path (uid);

  return vmgr_dbus_customer_proxy_new_sync (ctx->connection,
                                            G_DBUS_PROXY_FLAGS_DO_NOT_LOAD_PROPERTIES
                                            | G_DBUS_PROXY_FLAGS_DO_NOT_CONNECT_SIGNALS,
                                            VMGRCTL_BUS_NAME, path, NULL, error);
}

int
vmgrctl_cmd_customer_update (VmgrctlContext *ctx, const VmgrctlCommand *cmd, char **argv)
{
  g_auto(GStrv) args = NULL;
  g_autoptr(GVariant) info = NULL;
  g_autoptr(VmgrDBusCustomer) customer = NULL;
  g_autoptr(GError) error = NULL;
  guint32 uid = 0;
  int status = parse_info (ctx, cmd, argv, FALSE, &args, &uid, &info);

  if (status != VMGRCTL_EXIT_OK)
    return status;
  customer = customer_proxy (ctx, uid, &error);
  if (customer != NULL && !vmgr_dbus_customer_call_update_sync (customer, info, NULL, &error))
    vmgrctl_error_use_option_names (error, vmgrctl_customer_option_keys ());
  if (error != NULL)
    return customer_fail (error, "cannot update customer", args[0], uid);
  return VMGRCTL_EXIT_OK;
}

/* suspend --reason TEXT, unsuspend, remove. */
int
vmgrctl_cmd_customer_state (VmgrctlContext *ctx, const VmgrctlCommand *cmd, char **argv)
{
  g_autofree char *reason = NULL;
  const GOptionEntry suspend_entries[] = {
    { "reason", 0, 0, G_OPTION_ARG_STRING, &reason, "Why (required)", "TEXT" },
    { NULL }
  };
  gboolean suspend = g_str_equal (cmd->name, "customer suspend");
  gboolean unsuspend = g_str_equal (cmd->name, "customer unsuspend");
  g_auto(GStrv) args = NULL;
  g_autoptr(VmgrDBusCustomer) customer = NULL;
  g_autoptr(GError) error = NULL;
  guint32 uid = 0;
  gboolean done;
  VmgrDBusManager *manager;
  int status;

  status = vmgrctl_command_parse (ctx, cmd, suspend ? suspend_entries : NULL, NULL, argv, &args);
  if (status != VMGRCTL_EXIT_OK)
    return status;
  if (suspend && reason == NULL)
    return vmgrctl_command_usage_error (cmd, "--reason is required");
  if (!vmgrctl_context_resolve_user (ctx, args[0], &uid, &error))
    return vmgrctl_command_fail (cmd, error);
  status = vmgrctl_context_connect (ctx, &manager);
  if (status != VMGRCTL_EXIT_OK)
    return status;
  customer = customer_proxy (ctx, uid, &error);
  if (customer == NULL)
    done = FALSE;
  else if (suspend)
    done = vmgr_dbus_customer_call_suspend_sync (customer, reason, NULL, &error);
  else if (unsuspend)
    done = vmgr_dbus_customer_call_unsuspend_sync (customer, NULL, &error);
  else
    done = vmgr_dbus_customer_call_remove_sync (customer, NULL, &error);
  if (!done)
    return customer_fail (error, suspend ? "cannot suspend customer"
                                 : unsuspend ? "cannot unsuspend customer"
                                 : "cannot remove customer", args[0], uid);
  return VMGRCTL_EXIT_OK;
}
