/* The fake vmgrd's customers (see fake-vmgrd.h): Customer objects (alice
 * at first) with Update, Suspend, Unsuspend and Remove, the Manager's
 * AddCustomer and ListCustomers, and Contract (only the plan "small" is
 * within the quota). */
#include "fake-vmgrd.h"

static char *
customer_path (guint uid)
{
  return g_strdup_printf ("/org/vmgr/customer/%u", uid);
}

VmgrDBusCustomer *
fake_vmgrd_get_customer (FakeVmgrd *self, guint uid)
{
  VmgrDBusObject *object = g_hash_table_lookup (self->customers, GUINT_TO_POINTER (uid));

  return object != NULL ? vmgr_dbus_object_peek_customer (object) : NULL;
}

static gboolean
handle_customer_update (VmgrDBusCustomer *customer, GDBusMethodInvocation *invocation,
                        GVariant *info, gpointer data)
{
  const char *text;
  guint32 max_vms;

  fake_vmgrd_record (data, invocation);
  if (g_variant_lookup (info, "full_name", "&s", &text))
    vmgr_dbus_customer_set_full_name (customer, text);
  if (g_variant_lookup (info, "email", "&s", &text))
    vmgr_dbus_customer_set_email (customer, text);
  if (g_variant_lookup (info, "max_vms", "u", &max_vms))
    vmgr_dbus_customer_set_max_vms (customer, max_vms);
  vmgr_dbus_customer_complete_update (customer, invocation);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
handle_customer_suspend (VmgrDBusCustomer *customer, GDBusMethodInvocation *invocation,
                         const char *reason, gpointer data)
{
  fake_vmgrd_record (data, invocation);
  vmgr_dbus_customer_set_suspended (customer, TRUE);
  vmgr_dbus_customer_set_suspend_reason (customer, reason);
  vmgr_dbus_customer_complete_suspend (customer, invocation);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
handle_customer_unsuspend (VmgrDBusCustomer *customer, GDBusMethodInvocation *invocation,
                           gpointer data)
{
  fake_vmgrd_record (data, invocation);
  vmgr_dbus_customer_set_suspended (customer, FALSE);
  vmgr_dbus_customer_set_suspend_reason (customer, "");
  vmgr_dbus_customer_complete_unsuspend (customer, invocation);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
handle_customer_remove (VmgrDBusCustomer *customer, GDBusMethodInvocation *invocation,
                        gpointer data)
{
  FakeVmgrd *self = data;
  guint uid = vmgr_dbus_customer_get_uid (customer);
  g_autofree char *path = customer_path (uid);

  fake_vmgrd_record (self, invocation);
  vmgr_dbus_customer_complete_remove (customer, invocation);
  g_dbus_object_manager_server_unexport (self->objects, path);
  g_hash_table_remove (self->customers, GUINT_TO_POINTER (uid));
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static VmgrDBusCustomer *
add_customer (FakeVmgrd *self, guint uid, const char *user, GVariant *info)
{
  g_autofree char *path = customer_path (uid);
  g_autoptr(VmgrDBusObjectSkeleton) object = vmgr_dbus_object_skeleton_new (path);
  g_autoptr(VmgrDBusCustomer) customer = vmgr_dbus_customer_skeleton_new ();
  const char *text = "";
  guint32 max_vms = 0;

  vmgr_dbus_customer_set_uid (customer, uid);
  vmgr_dbus_customer_set_user_name (customer, user);
  g_variant_lookup (info, "full_name", "&s", &text);
  vmgr_dbus_customer_set_full_name (customer, text);
  g_variant_lookup (info, "email", "&s", &text);
  vmgr_dbus_customer_set_email (customer, text);
  g_variant_lookup (info, "national_id", "&s", &text);
  vmgr_dbus_customer_set_national_id (customer, text);
  text = "";
  g_variant_lookup (info, "plan", "&s", &text);
  vmgr_dbus_customer_set_plan (customer, text);
  g_variant_lookup (info, "max_vms", "u", &max_vms);
  vmgr_dbus_customer_set_max_vms (customer, max_vms);
  vmgr_dbus_customer_set_suspend_reason (customer, "");
  vmgr_dbus_customer_set_quota (customer, g_variant_new_parsed (
    "@a{st} {'vms': %t, 'vcpus': 4, 'memory': 4294967296, 'disk': 0}", (guint64) max_vms));
  vmgr_dbus_customer_set_allocated (customer, g_variant_new_parsed (
    "@a{st} {'vms': 2, 'vcpus': 3, 'memory': 1610612736, 'disk': 21474836480}"));
  g_signal_connect (customer, "handle-update", G_CALLBACK (handle_customer_update), self);
  g_signal_connect (customer, "handle-suspend", G_CALLBACK (handle_customer_suspend), self);
  g_signal_connect (customer, "handle-unsuspend", G_CALLBACK (handle_customer_unsuspend), self);
  g_signal_connect (customer, "handle-remove", G_CALLBACK (handle_customer_remove), self);
  vmgr_dbus_object_skeleton_set_customer (object, customer);
  g_dbus_object_manager_server_export (self->objects, G_DBUS_OBJECT_SKELETON (object));
  g_hash_table_insert (self->customers, GUINT_TO_POINTER (uid), g_object_ref (object));
  return customer;
}

void
fake_vmgrd_add_customers (FakeVmgrd *self)
{
  g_autoptr(GVariant) alice = g_variant_ref_sink (g_variant_new_parsed (
    "{'full_name': <'Alice Example'>, 'email': <'alice@example.org'>, "
    "'national_id': <'A-1'>, 'plan': <'small'>, 'max_vms': <uint32 3>}"));

  self->customers = g_hash_table_new_full (NULL, NULL, NULL, g_object_unref);
  add_customer (self, 1000, "alice", alice);
}

static gboolean
handle_add_customer (VmgrDBusManager *manager, GDBusMethodInvocation *invocation, guint uid,
                     GVariant *info, gpointer data)
{
  FakeVmgrd *self = data;
  g_autofree char *path = customer_path (uid);

  fake_vmgrd_record (self, invocation);
  if (fake_vmgrd_get_customer (self, uid) != NULL)
    {
      g_dbus_method_invocation_return_dbus_error (invocation, "org.vmgr.Error.AlreadyExists",
                                                  "That user is a customer already.");
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
  add_customer (self, uid, "", info);
  vmgr_dbus_manager_complete_add_customer (manager, invocation, path);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
handle_list_customers (VmgrDBusManager *manager, GDBusMethodInvocation *invocation,
                       gpointer data)
{
  FakeVmgrd *self = data;
  g_auto(GStrv) paths = fake_vmgrd_sorted_paths (self->customers, customer_path);

  fake_vmgrd_record (self, invocation);
  vmgr_dbus_manager_complete_list_customers (manager, invocation, (const char *const *) paths);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
handle_contract (VmgrDBusManager *manager, GDBusMethodInvocation *invocation, const char *plan,
                 const char *template, const char *name, gpointer data)
{
  FakeVmgrd *self = data;
  g_autofree char *path = NULL;

  fake_vmgrd_record (self, invocation);
  if (!g_str_equal (plan, "small"))
    {
      g_dbus_method_invocation_return_dbus_error (invocation, "org.vmgr.Error.QuotaExceeded",
                                                  "vms: your quota allows 3");
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
  path = fake_vmgrd_provision (self, invocation, name, template, FALSE);
  if (path != NULL)
    vmgr_dbus_manager_complete_contract (manager, invocation, path);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

void
fake_vmgrd_customers_connect_manager (FakeVmgrd *self, VmgrDBusManager *manager)
{
  g_signal_connect (manager, "handle-contract", G_CALLBACK (handle_contract), self);
  g_signal_connect (manager, "handle-add-customer", G_CALLBACK (handle_add_customer), self);
  g_signal_connect (manager, "handle-list-customers", G_CALLBACK (handle_list_customers), self);
}

void
fake_vmgrd_customers_clear (FakeVmgrd *self)
{
  g_clear_pointer (&self->customers, g_hash_table_unref);
}
