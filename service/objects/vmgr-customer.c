#include "vmgr-customer.h"

#include "vmgr-error.h"
#include "vmgr-names.h"
#include "vmgr-peers.h"
#include "vmgr-validate-customer.h"

struct _VmgrCustomer {
  VmgrDBusCustomerSkeleton parent_instance;
  const VmgrContext *context;
  VmgrCustomerInfo *info;
};

static void vmgr_customer_iface_init (VmgrDBusCustomerIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (VmgrCustomer, vmgr_customer, VMGR_DBUS_TYPE_CUSTOMER_SKELETON,
                               G_IMPLEMENT_INTERFACE (VMGR_DBUS_TYPE_CUSTOMER,
                                                      vmgr_customer_iface_init))

enum {
  SIGNAL_CHANGED,
  SIGNAL_REMOVED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

const VmgrCustomerInfo *
vmgr_customer_get_info (VmgrCustomer *self)
{
  return self->info;
}

static GVariant *
quota_variant (const VmgrCustomerInfo *info)
{
  VmgrAllocation quota = {
    .vms = info->max_vms, .vcpus = info->max_vcpus,
    .memory = info->max_memory, .disk = info->max_disk,
  };

  return vmgr_allocation_to_variant (&quota);
}

static void
sync_properties (VmgrCustomer *self)
{
  VmgrDBusCustomer *customer = VMGR_DBUS_CUSTOMER (self);
  const VmgrCustomerInfo *info = self->info;
  g_autofree char *user_name = vmgr_user_name_for_uid (info->uid);

  vmgr_dbus_customer_set_uid (customer, info->uid);
  vmgr_dbus_customer_set_user_name (customer, user_name);
  vmgr_dbus_customer_set_full_name (customer, info->full_name);
  vmgr_dbus_customer_set_email (customer, info->email);
  vmgr_dbus_customer_set_phone (customer, info->phone);
  vmgr_dbus_customer_set_address (customer, info->address);
  vmgr_dbus_customer_set_province (customer, info->province);
  vmgr_dbus_customer_set_national_id (customer, info->national_id);
  vmgr_dbus_customer_set_plan (customer, info->plan);
  vmgr_dbus_customer_set_max_vms (customer, info->max_vms);
  vmgr_dbus_customer_set_max_snapshots (customer, info->max_snapshots);
  vmgr_dbus_customer_set_suspended (customer, info->suspended);
  vmgr_dbus_customer_set_suspend_reason (customer, info->suspend_reason);
  vmgr_dbus_customer_set_quota (customer, quota_variant (info));
}

void
vmgr_customer_set_allocated (VmgrCustomer *self, const VmgrAllocation *allocation)
{
  vmgr_dbus_customer_set_allocated (VMGR_DBUS_CUSTOMER (self),
                                    vmgr_allocation_to_variant (allocation));
}

/* ---- Changes: Update, Suspend, Unsuspend ------------------------------- */

typedef gboolean (*InfoEdit) (VmgrCustomer *self, VmgrCustomerInfo *info, GVariant *args,
                              GError **error);

typedef struct {
  VmgrCustomer *customer;
  InfoEdit edit;
  GVariant *args;
} PendingEdit;

static void
pending_edit_free (PendingEdit *pending)
{
  g_object_unref (pending->customer);
  g_variant_unref (pending->args);
  g_free (pending);
}

static void
note_number (VmgrGrant *grant, const char *field, guint64 old_value, guint64 new_value)
{
  g_autofree char *old_text = g_strdup_printf ("%" G_GUINT64_FORMAT, old_value);
  g_autofree char *new_text = g_strdup_printf ("%" G_GUINT64_FORMAT, new_value);

  if (old_value != new_value)
    vmgr_grant_add_change (grant, field, old_text, new_text);
}

/* Personal data is named in the audit row when it changes, not copied
 * into it: the log keeps who changed what, the store the data itself. */
static void
note_personal (VmgrGrant *grant, const char *field, const char *old_value, const char *new_value)
{
  if (g_strcmp0 (old_value, new_value) != 0)
    vmgr_grant_add_change (grant, field, NULL, NULL);
}

static void
note_changes (VmgrGrant *grant, const VmgrCustomerInfo *old, const VmgrCustomerInfo *new)
{
  note_personal (grant, "full_name", old->full_name, new->full_name);
  note_personal (grant, "email", old->email, new->email);
  note_personal (grant, "phone", old->phone, new->phone);
  note_personal (grant, "address", old->address, new->address);
  note_personal (grant, "province", old->province, new->province);
  note_personal (grant, "national_id", old->national_id, new->national_id);
  if (g_strcmp0 (old->plan, new->plan) != 0)
    vmgr_grant_add_change (grant, "plan", old->plan, new->plan);
  note_number (grant, "max_vms", old->max_vms, new->max_vms);
  note_number (grant, "max_vcpus", old->max_vcpus, new->max_vcpus);
  note_number (grant, "max_memory", old->max_memory, new->max_memory);
  note_number (grant, "max_disk", old->max_disk, new->max_disk);
  if (old->suspended != new->suspended)
    vmgr_grant_add_change (grant, "suspended", old->suspended ? "true" : "false",
                           new->suspended ? "true" : "false");
  if (g_strcmp0 (old->suspend_reason, new->suspend_reason) != 0)
    vmgr_grant_add_change (grant, "suspend_reason", old->suspend_reason, new->suspend_reason);
}

static void
on_edit_allowed (GDBusMethodInvocation *invocation, VmgrGrant *grant, gpointer user_data)
{
  g_autoptr(VmgrGrant) owned_grant G_GNUC_UNUSED = grant;
  PendingEdit *pending = user_data;
  VmgrCustomer *self = pending->customer;
  g_autoptr(VmgrCustomerInfo) edited = vmgr_customer_info_copy (self->info);
  g_autoptr(VmgrAuditEntry) audit = NULL;
  g_autoptr(GError) error = NULL;
  gboolean valid = pending->edit (self, edited, pending->args, &error);

  if (valid)
    note_changes (grant, self->info, edited);
  audit = vmgr_grant_audit_entry (grant);
  if (valid && vmgr_store_update_customer (self->context->store, edited, audit, &error))
    {
      vmgr_customer_info_free (self->info);
      self->info = g_steal_pointer (&edited);
      sync_properties (self);
      g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
    }
  vmgr_grant_audit (self->context->auth, grant, error);
  if (error != NULL)
    g_dbus_method_invocation_return_gerror (invocation, error);
  else
    g_dbus_method_invocation_return_value (invocation, NULL);
  pending_edit_free (pending);
}

static gboolean
authorize_edit (VmgrCustomer *self, GDBusMethodInvocation *invocation, InfoEdit edit,
                GVariant *args)
{
  PendingEdit *pending = g_new0 (PendingEdit, 1);
  g_autoptr(VmgrCustomerInfo) scratch = vmgr_customer_info_copy (self->info);
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) details = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);

  pending->customer = g_object_ref (self);
  pending->edit = edit;
  pending->args = g_variant_ref_sink (args);
  /* Bad input is refused before polkit is asked (and re-checked after). */
  if (!edit (self, scratch, args, &error))
    {
      vmgr_auth_return_invalid_input (self->context->auth, invocation, NULL,
                                      self->info, g_steal_pointer (&error));
      pending_edit_free (pending);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
  g_hash_table_insert (details, "requested", g_variant_print (args, FALSE));
  vmgr_auth_authorize_about (self->context->auth, invocation, NULL, self->info,
                             details, on_edit_allowed, pending,
                             (GDestroyNotify) pending_edit_free);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
edit_update (VmgrCustomer *self, VmgrCustomerInfo *info, GVariant *args, GError **error)
{
  g_autoptr(GVariant) dict = g_variant_get_child_value (args, 0);
  g_autoptr(VmgrPlan) plan = NULL;

  if (!vmgr_customer_info_apply (info, dict, TRUE, error))
    return FALSE;
  if (*info->plan != '\0' &&
      (plan = vmgr_store_get_plan (self->context->store, info->plan, error)) == NULL)
    return FALSE;
  return TRUE;
}

static gboolean
edit_suspend (VmgrCustomer *self, VmgrCustomerInfo *info, GVariant *args, GError **error)
{
  const char *reason;

  g_variant_get (args, "(&s)", &reason);
  if (*reason == '\0' || strlen (reason) > 256 || !g_utf8_validate (reason, -1, NULL))
    {
      g_set_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_ARGUMENT,
                   "give a reason of 1 to 256 bytes of UTF-8");
      return FALSE;
    }
  info->suspended = TRUE;
  g_free (info->suspend_reason);
  info->suspend_reason = g_strdup (reason);
  return TRUE;
}

static gboolean
edit_unsuspend (VmgrCustomer *self, VmgrCustomerInfo *info, GVariant *args, GError **error)
{
  if (!info->suspended)
    {
      g_set_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_STATE,
                   "customer %u is not suspended", info->uid);
      return FALSE;
    }
  info->suspended = FALSE;
  g_free (info->suspend_reason);
  info->suspend_reason = g_strdup ("");
  return TRUE;
}

static gboolean
handle_update (VmgrDBusCustomer *object, GDBusMethodInvocation *invocation, GVariant *info)
{
  return authorize_edit (VMGR_CUSTOMER (object), invocation, edit_update,
                         g_variant_new ("(@a{sv})", info));
}

static gboolean
handle_suspend (VmgrDBusCustomer *object, GDBusMethodInvocation *invocation, const char *reason)
{
  return authorize_edit (VMGR_CUSTOMER (object), invocation, edit_suspend,
                         g_variant_new ("(s)", reason));
}

static gboolean
handle_unsuspend (VmgrDBusCustomer *object, GDBusMethodInvocation *invocation)
{
  return authorize_edit (VMGR_CUSTOMER (object), invocation, edit_unsuspend,
                         g_variant_new ("()"));
}

/* ---- Remove ------------------------------------------------------------ */

static void
on_remove_allowed (GDBusMethodInvocation *invocation, VmgrGrant *grant, gpointer user_data)
{
  g_autoptr(VmgrGrant) owned_grant G_GNUC_UNUSED = grant;
  g_autoptr(VmgrCustomer) self = user_data;
  g_autoptr(VmgrAuditEntry) audit = vmgr_grant_audit_entry (grant);
  g_autoptr(GError) error = NULL;

  vmgr_store_remove_customer (self->context->store, self->info->uid, audit, &error);
  vmgr_grant_audit (self->context->auth, grant, error);
  if (error != NULL)
    {
      g_dbus_method_invocation_return_gerror (invocation, error);
      return;
    }
  g_signal_emit (self, signals[SIGNAL_REMOVED], 0);
  g_dbus_method_invocation_return_value (invocation, NULL);
}

static gboolean
handle_remove (VmgrDBusCustomer *object, GDBusMethodInvocation *invocation)
{
  VmgrCustomer *self = VMGR_CUSTOMER (object);

  vmgr_auth_authorize_about (self->context->auth, invocation, NULL, self->info,
                             NULL, on_remove_allowed, g_object_ref (self), g_object_unref);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

/* ---- Object ------------------------------------------------------------ */

static void
vmgr_customer_iface_init (VmgrDBusCustomerIface *iface)
{
  iface->handle_update = handle_update;
  iface->handle_suspend = handle_suspend;
  iface->handle_unsuspend = handle_unsuspend;
  iface->handle_remove = handle_remove;
}

static void
vmgr_customer_finalize (GObject *object)
{
  vmgr_customer_info_free (VMGR_CUSTOMER (object)->info);
  G_OBJECT_CLASS (vmgr_customer_parent_class)->finalize (object);
}

static void
vmgr_customer_class_init (VmgrCustomerClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = vmgr_customer_finalize;
  signals[SIGNAL_CHANGED] =
    g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);
  signals[SIGNAL_REMOVED] =
    g_signal_new ("removed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);
}

static void
vmgr_customer_init (VmgrCustomer *self)
{
}

VmgrCustomer *
vmgr_customer_new (const VmgrContext *context, const VmgrCustomerInfo *info)
{
  VmgrCustomer *self = g_object_new (VMGR_TYPE_CUSTOMER, NULL);
  VmgrAllocation nothing = { 0 };

  self->context = context;
  self->info = vmgr_customer_info_copy (info);
  sync_properties (self);
  vmgr_customer_set_allocated (self, &nothing);
  return self;
}
