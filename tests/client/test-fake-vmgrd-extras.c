/* The fake vmgrd's settings, statistics, console, host information,
 * Contract and customers (see test-fake-vmgrd.h). */
#include "test-fake-vmgrd.h"

#include <errno.h>
#include <gio/gunixfdlist.h>
#include <glib-unix.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define GiB (G_GUINT64_CONSTANT (1) << 30)
#define MiB (G_GUINT64_CONSTANT (1) << 20)
#define CONSOLE_GREETING "login: "

static gboolean
refuse_secret (VmgrDBusVM *vm, GDBusMethodInvocation *invocation)
{
  if (!g_str_equal (vmgr_dbus_vm_get_name (vm), "secret"))
    return FALSE;
  g_dbus_method_invocation_return_dbus_error (invocation, "org.vmgr.Error.NotAuthorized",
                                              "You may not configure VM 'secret'.");
  return TRUE;
}

/* ---- settings: recorded and applied ---- */

static gboolean
handle_set_memory (VmgrDBusVM *vm, GDBusMethodInvocation *invocation, guint64 guarantee,
                   guint64 soft_limit, guint64 limit, gpointer data)
{
  fake_vmgrd_record (data, invocation);
  if (refuse_secret (vm, invocation))
    return G_DBUS_METHOD_INVOCATION_HANDLED;
  vmgr_dbus_vm_set_memory_guarantee (vm, guarantee);
  vmgr_dbus_vm_set_memory_soft_limit (vm, soft_limit);
  vmgr_dbus_vm_set_memory_limit (vm, limit);
  vmgr_dbus_vm_complete_set_memory (vm, invocation);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
handle_set_cpu (VmgrDBusVM *vm, GDBusMethodInvocation *invocation, guint vcpus, guint weight,
                guint limit, gpointer data)
{
  fake_vmgrd_record (data, invocation);
  if (refuse_secret (vm, invocation))
    return G_DBUS_METHOD_INVOCATION_HANDLED;
  if (weight < 1 || weight > 10000)
    {
      g_dbus_method_invocation_return_dbus_error (invocation, "org.vmgr.Error.InvalidArgument",
                                                  "weight is out of range");
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
  vmgr_dbus_vm_set_vcpus (vm, vcpus);
  vmgr_dbus_vm_set_cpu_weight (vm, weight);
  vmgr_dbus_vm_set_cpu_limit (vm, limit);
  vmgr_dbus_vm_complete_set_cpu (vm, invocation);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
handle_set_disk (VmgrDBusVM *vm, GDBusMethodInvocation *invocation, guint64 soft_limit,
                 guint64 hard_limit, gpointer data)
{
  fake_vmgrd_record (data, invocation);
  if (refuse_secret (vm, invocation))
    return G_DBUS_METHOD_INVOCATION_HANDLED;
  vmgr_dbus_vm_set_disk_soft_limit (vm, soft_limit);
  vmgr_dbus_vm_set_disk_hard_limit (vm, hard_limit);
  vmgr_dbus_vm_complete_set_disk (vm, invocation);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
handle_set_network (VmgrDBusVM *vm, GDBusMethodInvocation *invocation, GVariant *settings,
                    gpointer data)
{
  fake_vmgrd_record (data, invocation);
  if (!refuse_secret (vm, invocation))
    vmgr_dbus_vm_complete_set_network (vm, invocation);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
handle_set_autostart (VmgrDBusVM *vm, GDBusMethodInvocation *invocation, gboolean autostart,
                      gpointer data)
{
  fake_vmgrd_record (data, invocation);
  if (refuse_secret (vm, invocation))
    return G_DBUS_METHOD_INVOCATION_HANDLED;
  vmgr_dbus_vm_set_autostart (vm, autostart);
  vmgr_dbus_vm_complete_set_autostart (vm, invocation);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
handle_set_owner (VmgrDBusVM *vm, GDBusMethodInvocation *invocation, guint uid, gpointer data)
{
  fake_vmgrd_record (data, invocation);
  if (refuse_secret (vm, invocation))
    return G_DBUS_METHOD_INVOCATION_HANDLED;
  vmgr_dbus_vm_set_owner (vm, uid);
  vmgr_dbus_vm_complete_set_owner (vm, invocation);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

/* ---- GetStats ---- */

static gboolean
handle_get_stats (VmgrDBusVM *vm, GDBusMethodInvocation *invocation, gpointer data)
{
  FakeVmgrd *self = data;

  fake_vmgrd_record (self, invocation);
  self->get_stats_calls++;
  if (refuse_secret (vm, invocation))
    return G_DBUS_METHOD_INVOCATION_HANDLED;
  /* No disk and no network measured: those keys are missing. */
  vmgr_dbus_vm_complete_get_stats (vm, invocation, g_variant_new_parsed (
    "{'cpu_percent': <50.0>, 'cpu_time_ns': <uint64 7000000000>, "
    "'memory_used': <uint64 536870912>, 'uptime_s': <uint64 3700>, 'sampled_at': <%x>}",
    g_get_real_time ()));
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

/* ---- OpenConsole: "db" greets and echoes until the other end shuts down ---- */

static void
close_console (FakeVmgrd *self)
{
  g_clear_handle_id (&self->console_source, g_source_remove);
  if (self->console_fd >= 0)
    close (self->console_fd);
  self->console_fd = -1;
}

static gboolean
on_console_input (int fd, GIOCondition condition, gpointer data)
{
  FakeVmgrd *self = data;
  char buffer[256];
  ssize_t n = read (fd, buffer, sizeof buffer);

  if (n < 0 && errno == EINTR)
    return G_SOURCE_CONTINUE;
  if (n <= 0 || write (fd, buffer, (size_t) n) != n)
    {
      self->console_source = 0;
      close_console (self);
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

static gboolean
handle_open_console (VmgrDBusVM *vm, GDBusMethodInvocation *invocation, GUnixFDList *in_fds,
                     gpointer data)
{
  FakeVmgrd *self = data;
  g_autoptr(GUnixFDList) fds = g_unix_fd_list_new ();
  g_autoptr(GError) error = NULL;
  int pair[2];
  int index;

  fake_vmgrd_record (self, invocation);
  if (!g_str_equal (vmgr_dbus_vm_get_name (vm), "db"))
    {
      g_dbus_method_invocation_return_dbus_error (invocation, "org.vmgr.Error.NotSupported",
                                                  "the test backend has no console");
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
  close_console (self);
  g_assert_cmpint (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair), ==, 0);
  index = g_unix_fd_list_append (fds, pair[1], &error);
  g_assert_no_error (error);
  close (pair[1]);
  self->console_fd = pair[0];
  g_assert_cmpint (write (self->console_fd, CONSOLE_GREETING, strlen (CONSOLE_GREETING)), ==,
                   (int) strlen (CONSOLE_GREETING));
  self->console_source = g_unix_fd_add (self->console_fd, G_IO_IN | G_IO_HUP | G_IO_ERR,
                                        on_console_input, self);
  vmgr_dbus_vm_complete_open_console (vm, invocation, fds, g_variant_new_handle (index));
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

void
fake_vmgrd_connect_vm_extras (FakeVmgrd *self, VmgrDBusVM *vm)
{
  g_signal_connect (vm, "handle-set-memory", G_CALLBACK (handle_set_memory), self);
  g_signal_connect (vm, "handle-set-cpu", G_CALLBACK (handle_set_cpu), self);
  g_signal_connect (vm, "handle-set-disk", G_CALLBACK (handle_set_disk), self);
  g_signal_connect (vm, "handle-set-network", G_CALLBACK (handle_set_network), self);
  g_signal_connect (vm, "handle-set-autostart", G_CALLBACK (handle_set_autostart), self);
  g_signal_connect (vm, "handle-set-owner", G_CALLBACK (handle_set_owner), self);
  g_signal_connect (vm, "handle-get-stats", G_CALLBACK (handle_get_stats), self);
  g_signal_connect (vm, "handle-open-console", G_CALLBACK (handle_open_console), self);
}

/* ---- customers ---- */

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
  self->customers = g_hash_table_new_full (NULL, NULL, NULL, g_object_unref);
  add_customer (self, 1000, "alice", g_variant_new_parsed (
    "{'full_name': <'Alice Example'>, 'email': <'alice@example.org'>, "
    "'national_id': <'A-1'>, 'plan': <'small'>, 'max_vms': <uint32 3>}"));
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

static gint
compare_uids (gconstpointer a, gconstpointer b)
{
  return GPOINTER_TO_UINT (a) < GPOINTER_TO_UINT (b) ? -1 : GPOINTER_TO_UINT (a) > GPOINTER_TO_UINT (b);
}

static gboolean
handle_list_customers (VmgrDBusManager *manager, GDBusMethodInvocation *invocation,
                       gpointer data)
{
  FakeVmgrd *self = data;
  g_autoptr(GList) uids = g_list_sort (g_hash_table_get_keys (self->customers), compare_uids);
  g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);

  fake_vmgrd_record (self, invocation);
  for (GList *l = uids; l != NULL; l = l->next)
    g_ptr_array_add (paths, customer_path (GPOINTER_TO_UINT (l->data)));
  g_ptr_array_add (paths, NULL);
  vmgr_dbus_manager_complete_list_customers (manager, invocation,
                                             (const char *const *) paths->pdata);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

/* ---- GetHostInfo and Contract ---- */

static gboolean
handle_get_host_info (VmgrDBusManager *manager, GDBusMethodInvocation *invocation, gpointer data)
{
  return fake_vmgrd_reply (data, manager, invocation, vmgr_dbus_manager_complete_get_host_info,
                           g_variant_new_parsed (
    "{'cpus': <uint32 8>, 'cpu_model': <'Fake CPU'>, 'memory_total': <uint64 17179869184>, "
    "'memory_free': <uint64 8589934592>, 'disk_total': <uint64 107374182400>, "
    "'disk_free': <uint64 64424509440>, 'capacity_vcpus': <uint64 32>, "
    "'capacity_memory': <uint64 17179869184>, 'capacity_disk': <uint64 0>, "
    "'allocated_vcpus': <uint64 8>, 'allocated_memory': <uint64 4294967296>, "
    "'allocated_disk': <uint64 21474836480>, 'vms': <uint32 4>, "
    "'vms_provisioning': <uint32 0>, 'vms_stopped': <uint32 3>, 'vms_running': <uint32 1>, "
    "'vms_migrating': <uint32 0>}"));
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
  path = fake_vmgrd_provision (self, name, template, FALSE);
  if (path == NULL)
    g_dbus_method_invocation_return_dbus_error (invocation, "org.vmgr.Error.AlreadyExists",
                                                "A VM by that name exists.");
  else
    vmgr_dbus_manager_complete_contract (manager, invocation, path);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

void
fake_vmgrd_connect_manager_extras (FakeVmgrd *self, VmgrDBusManager *manager)
{
  g_signal_connect (manager, "handle-get-host-info", G_CALLBACK (handle_get_host_info), self);
  g_signal_connect (manager, "handle-contract", G_CALLBACK (handle_contract), self);
  g_signal_connect (manager, "handle-add-customer", G_CALLBACK (handle_add_customer), self);
  g_signal_connect (manager, "handle-list-customers", G_CALLBACK (handle_list_customers), self);
}

void
fake_vmgrd_extras_clear (FakeVmgrd *self)
{
  close_console (self);
  g_clear_pointer (&self->customers, g_hash_table_unref);
}
