/* Authorization and tenancy with the real polkitd: a matrix of every
 * method and property read, as every kind of user, on their own and on
 * others' VMs, checked against a table kept here; and leak tests from a
 * customer's connection (lists, ObjectManager, introspection, errors and
 * signals reveal nothing of another customer's VM). Clients run as proxies
 * in subprocesses that became the user. */
#include <glib/gstdio.h>
#include <gio/gunixinputstream.h>
#include <signal.h>
#include <stdio.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include "vmgr-test-client.h"
#include "vmgr-test-env.h"

#define MiB (G_GUINT64_CONSTANT (1) << 20)
#define WAIT_MS 10000

/* VMs the parent creates before the tests (fixed ids). */
#define ALICE_VM 201
#define BOB_VM 202
#define ROOT_VM 203
#define MISSING_VM 99999

typedef enum { ALLOWED, DENIED, INVISIBLE } Outcome;

typedef enum {
  ROOT, ADMIN, ALICE, BOB, MALLORY, N_USERS
} User;

static const guint user_uids[N_USERS] = {
  VMGR_TEST_UID_ROOT, VMGR_TEST_UID_ADMIN, VMGR_TEST_UID_ALICE, VMGR_TEST_UID_BOB,
  VMGR_TEST_UID_MALLORY,
};
static const char * const user_names[N_USERS] = { "root", "admin", "alice", "bob", "mallory" };

/* What a kind of call needs. */
typedef enum {
  NEEDS_VIEW,       /* view-own / view-any */
  NEEDS_CONTROL,    /* control-own / control-any */
  NEEDS_CONSOLE,    /* console-own / console-any */
  NEEDS_SNAPSHOT,   /* snapshot-own (the customers' group) / snapshot-any */
  NEEDS_ADMIN_VM,   /* configure, delete: no -own grant */
  NEEDS_ADMIN,      /* Manager administration */
  NEEDS_NOTHING,    /* public, filtered */
  NEEDS_CONTRACT,   /* polkit's contract (customers' group) and a registered customer */
  NEVER,            /* not in vmgr's table: denied to all who may see the target */
  UNKNOWN_ON_VM,    /* a member vmgr does not answer on a VM: as if no VM were there */
} Need;

typedef struct {
  const char *interface;
  const char *member;
  const char *signature_args;  /* GVariant text of the arguments, %s = the user's name */
  Need need;
  gboolean on_vm;
} Call;

static const Call calls[] = {
  { "org.freedesktop.DBus.Properties", "GetAll", "('org.vmgr.VM',)", NEEDS_VIEW, TRUE },
  /* Who may see it hears that it is read-only (PropertyReadOnly). */
  { "org.freedesktop.DBus.Properties", "Set", "('org.vmgr.VM', 'Name', <'x'>)", NEEDS_VIEW, TRUE },
  { "org.freedesktop.DBus.Introspectable", "Introspect", "()", NEEDS_VIEW, TRUE },
  { "org.vmgr.VM", "Start", "()", NEEDS_CONTROL, TRUE },
  { "org.vmgr.VM", "Suspend", "()", NEEDS_CONTROL, TRUE },
  { "org.vmgr.VM", "Resume", "()", NEEDS_CONTROL, TRUE },
  { "org.vmgr.VM", "Restart", "()", NEEDS_CONTROL, TRUE },
  { "org.vmgr.VM", "Shutdown", "(uint32 1,)", NEEDS_CONTROL, TRUE },
  { "org.vmgr.VM", "Stop", "()", NEEDS_CONTROL, TRUE },
  { "org.vmgr.VM", "Save", "()", NEEDS_CONTROL, TRUE },
  { "org.vmgr.VM", "CreateSnapshot", "('by_%s', @a{sv} {})", NEEDS_SNAPSHOT, TRUE },
  { "org.vmgr.VM", "SetMemory", "(uint64 0, uint64 0, uint64 67108864)", NEEDS_ADMIN_VM, TRUE },
  { "org.vmgr.VM", "SetCpu", "(uint32 1, uint32 100, uint32 0)", NEEDS_ADMIN_VM, TRUE },
  { "org.vmgr.VM", "SetDisk", "(uint64 0, uint64 1073741824)", NEEDS_ADMIN_VM, TRUE },
  { "org.vmgr.VM", "SetNetwork", "(@a{sv} {},)", NEEDS_ADMIN_VM, TRUE },
  { "org.vmgr.VM", "SetAutostart", "(false,)", NEEDS_ADMIN_VM, TRUE },
  { "org.vmgr.VM", "OpenConsole", "()", NEEDS_CONSOLE, TRUE },
  { "org.vmgr.VM", "GetStats", "()", NEEDS_VIEW, TRUE },
  { "org.vmgr.VM", "GetUsageHistory", "()", NEEDS_VIEW, TRUE },
  { "org.vmgr.VM", "NoSuchMember", "()", UNKNOWN_ON_VM, TRUE },
  { "org.vmgr.Manager", "ListVMs", "()", NEEDS_NOTHING, FALSE },
  { "org.vmgr.Manager", "FindVM", "('101',)", NEEDS_NOTHING, FALSE },
  { "org.vmgr.Manager", "ListTemplates", "()", NEEDS_NOTHING, FALSE },
  { "org.vmgr.Manager", "ListPlans", "()", NEEDS_NOTHING, FALSE },
  { "org.vmgr.Manager", "QueryAudit", "(@a{sv} {},)", NEEDS_NOTHING, FALSE },
  { "org.vmgr.Manager", "CreateVM", "('made-by-%s', 'debian-12', 'basic', @a{sv} {})", NEEDS_ADMIN, FALSE },
  { "org.vmgr.Manager", "AddTemplate", "('tmpl-by-%s', @a{sv} {})", NEEDS_ADMIN, FALSE },
  { "org.vmgr.Manager", "RemoveTemplate", "('tmpl-by-%s',)", NEEDS_ADMIN, FALSE },
  { "org.vmgr.Manager", "SetPlan", "('plan-by-%s', {'memory_limit': <uint64 67108864>})", NEEDS_ADMIN, FALSE },
  { "org.vmgr.Manager", "RemovePlan", "('plan-by-%s',)", NEEDS_ADMIN, FALSE },
  { "org.vmgr.Manager", "Contract", "('basic', 'debian-12', 'c-%s')", NEEDS_CONTRACT, FALSE },
  { "org.vmgr.Manager", "AddCustomer",
    "(uint32 60004, {'full_name': <'M'>, 'email': <'m@example.org'>, 'national_id': <'%s'>})",
    NEEDS_ADMIN, FALSE },
  { "org.vmgr.Manager", "ListCustomers", "()", NEEDS_NOTHING, FALSE },
  { "org.vmgr.Manager", "GetHostInfo", "()", NEEDS_ADMIN, FALSE },
  { "org.vmgr.Manager", "GetPermissions", "()", NEEDS_NOTHING, FALSE },
  { "org.vmgr.Manager", "ListUnmanagedDomains", "()", NEEDS_ADMIN, FALSE },
  { "org.vmgr.Manager", "NoSuchMember", "()", NEVER, FALSE },
  { "org.freedesktop.DBus.Properties", "GetAll", "('org.vmgr.Manager',)", NEEDS_NOTHING, FALSE },
  { "org.freedesktop.DBus.ObjectManager", "GetManagedObjects", "()", NEEDS_NOTHING, FALSE },
};

static const char * const vm_properties[] = {
  "Id", "Name", "UUID", "Owner", "OwnerName", "Template", "Plan", "State", "StateReason",
  "Autostart", "Vcpus", "CpuWeight", "CpuLimit", "MemoryGuarantee", "MemorySoftLimit",
  "MemoryLimit", "DiskSoftLimit", "DiskHardLimit", "Hostname", "Addresses", "Gateway",
  "Nameservers", "Usage", "PendingChanges", "Job",
};

static guint32
owner_of (guint32 vm_id)
{
  return vm_id == ALICE_VM ? VMGR_TEST_UID_ALICE
         : vm_id == BOB_VM ? VMGR_TEST_UID_BOB : VMGR_TEST_UID_ROOT;
}

/* The table: what polkit with the shipped policy and rules must decide. */
static Outcome
expected (User user, Need need, guint32 vm_id)
{
  gboolean admin = user == ROOT || user == ADMIN;
  gboolean owner = vm_id != 0 && user_uids[user] == owner_of (vm_id);

  if (need == UNKNOWN_ON_VM)
    return INVISIBLE;
  if (need == NEVER)
    return vm_id != 0 && !admin && !owner ? INVISIBLE : DENIED;
  if (need == NEEDS_CONTRACT)
    return user == ALICE ? ALLOWED : DENIED;   /* only alice is registered */
  if (admin || need == NEEDS_NOTHING)
    return ALLOWED;
  if (vm_id != 0 && !owner)
    return INVISIBLE;
  switch (need)
    {
    case NEEDS_VIEW:
    case NEEDS_CONTROL:
    case NEEDS_CONSOLE:
      return ALLOWED;
    case NEEDS_SNAPSHOT:
      /* The owners in the matrix, alice and bob, are in the customers' group. */
      return user == ALICE || user == BOB ? ALLOWED : DENIED;
    default:
      return DENIED;
    }
}

static const char *
outcome_name (Outcome outcome)
{
  return outcome == ALLOWED ? "allowed" : outcome == DENIED ? "denied" : "invisible";
}

static Outcome
classify (const GError *error)
{
  g_autofree char *name = NULL;

  if (error == NULL)
    return ALLOWED;
  name = g_dbus_error_get_remote_error (error);
  if (g_strcmp0 (name, "org.vmgr.Error.NotAuthorized") == 0)
    return DENIED;
  if (g_strcmp0 (name, "org.freedesktop.DBus.Error.UnknownMethod") == 0 &&
      strstr (error->message, "Object does not exist") != NULL)
    return INVISIBLE;
  /* InvalidState, NotSupported, ...: the call got past authorization. */
  return ALLOWED;
}

static GVariant *
call_args (const Call *call, User user)
{
  g_auto(GStrv) parts = g_strsplit (call->signature_args, "%s", -1);
  g_autofree char *text = g_strjoinv (user_names[user], parts);

  return g_variant_parse (NULL, text, NULL, NULL, NULL);
}

static Outcome
run_call (VmgrTestClient *client, const Call *call, User user, const char *path,
          GError **error_out)
{
  g_autoptr(GError) error = NULL;
  /* Not floating: the call takes a reference of its own. */
  g_autoptr(GVariant) args = call_args (call, user);
  g_autoptr(GVariant) reply G_GNUC_UNUSED = g_dbus_connection_call_sync (client->bus, "org.vmgr", path,
                                                           call->interface, call->member,
                                                           args, NULL,
                                                           G_DBUS_CALL_FLAGS_NONE, 20000,
                                                           NULL, &error);
  Outcome outcome = classify (error);

  if (error_out != NULL)
    *error_out = g_steal_pointer (&error);
  return outcome;
}

/* Runs the matrix row of @user (in a subprocess that became @user) and
 * returns how many cells were checked. */
static guint
run_matrix_row (User user)
{
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  const guint32 vms[] = { ALICE_VM, BOB_VM, ROOT_VM };
  guint cells = 0;

  for (guint c = 0; c < G_N_ELEMENTS (calls); c++)
    for (guint v = 0; v < (calls[c].on_vm ? G_N_ELEMENTS (vms) : 1); v++)
      {
        guint32 vm_id = calls[c].on_vm ? vms[v] : 0;
        g_autofree char *path = vm_id != 0 ? g_strdup_printf ("/org/vmgr/vm/%u", vm_id)
                                : g_strdup (strcmp (calls[c].interface,
                                                    "org.freedesktop.DBus.ObjectManager") == 0
                                              ? "/org/vmgr" : "/org/vmgr/Manager");
        g_autoptr(GError) error = NULL;
        Outcome got = run_call (client, &calls[c], user, path, &error);
        Outcome want = expected (user, calls[c].need, vm_id);

        if (got != want)
          g_error ("%s %s.%s on %s: expected %s, got %s (%s)", user_names[user],
                   calls[c].interface, calls[c].member, path, outcome_name (want),
                   outcome_name (got), error != NULL ? error->message : "no error");
        cells++;
      }
  for (guint p = 0; p < G_N_ELEMENTS (vm_properties); p++)
    for (guint v = 0; v < G_N_ELEMENTS (vms); v++)
      {
        g_autofree char *path = g_strdup_printf ("/org/vmgr/vm/%u", vms[v]);
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply G_GNUC_UNUSED =
          g_dbus_connection_call_sync (client->bus, "org.vmgr", path,
                                       "org.freedesktop.DBus.Properties", "Get",
                                       g_variant_new ("(ss)", "org.vmgr.VM", vm_properties[p]),
                                       NULL, G_DBUS_CALL_FLAGS_NONE, 20000, NULL, &error);
        Outcome got = classify (error);
        Outcome want = expected (user, NEEDS_VIEW, vms[v]);

        if (got != want)
          g_error ("%s reading %s of %s: expected %s, got %s", user_names[user],
                   vm_properties[p], path, outcome_name (want), outcome_name (got));
        cells++;
      }
  return cells;
}

/* Calls whose argument or effect depends on the VM: SetOwner to the
 * current owner, and Delete of throwaway VMs (300 + user: the user's own,
 * 400 + user: somebody else's). */
static guint32
victim_id (User user, gboolean own)
{
  return (own ? 300 : 400) + user;
}

static guint32
victim_owner (User user, gboolean own)
{
  if (own)
    return user_uids[user];
  return user == ALICE ? VMGR_TEST_UID_BOB : VMGR_TEST_UID_ALICE;
}

static guint
run_matrix_special (User user)
{
  g_autoptr(VmgrTestClient) client = vmgr_test_client_new ();
  const guint32 vms[] = { ALICE_VM, BOB_VM, ROOT_VM };
  gboolean admin = user == ROOT || user == ADMIN;
  guint cells = 0;

  for (guint v = 0; v < G_N_ELEMENTS (vms); v++)
    {
      g_autofree char *path = g_strdup_printf ("/org/vmgr/vm/%u", vms[v]);
      g_autoptr(GError) error = NULL;
      g_autoptr(GVariant) reply G_GNUC_UNUSED =
        g_dbus_connection_call_sync (client->bus, "org.vmgr", path, "org.vmgr.VM", "SetOwner",
                                     g_variant_new ("(u)", owner_of (vms[v])), NULL,
                                     G_DBUS_CALL_FLAGS_NONE, 20000, NULL, &error);
      Outcome got = classify (error);
      Outcome want = expected (user, NEEDS_ADMIN_VM, vms[v]);

      if (got != want)
        g_error ("%s SetOwner on %s: expected %s, got %s", user_names[user], path,
                 outcome_name (want), outcome_name (got));
      cells++;
    }
  /* alice's customer record: hers to read, the administrators' to manage. */
  {
    static const struct { const char *interface, *member, *args; Need need; } rows[] = {
      { "org.freedesktop.DBus.Properties", "GetAll", "('org.vmgr.Customer',)", NEEDS_VIEW },
      { "org.vmgr.Customer", "Update", "(@a{sv} {},)", NEEDS_ADMIN_VM },
      { "org.vmgr.Customer", "Bogus", "()", UNKNOWN_ON_VM },
    };

    for (guint r = 0; r < G_N_ELEMENTS (rows); r++)
      {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) args = g_variant_parse (NULL, rows[r].args, NULL, NULL, NULL);
        g_autoptr(GVariant) reply G_GNUC_UNUSED =
          g_dbus_connection_call_sync (client->bus, "org.vmgr", "/org/vmgr/customer/60002",
                                       rows[r].interface, rows[r].member, args,
                                       NULL, G_DBUS_CALL_FLAGS_NONE, 20000, NULL, &error);
        Outcome got = classify (error);
        Outcome want = expected (user, rows[r].need, ALICE_VM);

        if (got != want)
          g_error ("%s %s.%s on alice's record: expected %s, got %s (%s)", user_names[user],
                   rows[r].interface, rows[r].member, outcome_name (want), outcome_name (got),
                   error != NULL ? error->message : "");
        cells++;
      }
  }
  for (int own = 0; own <= 1; own++)
    {
      g_autofree char *path = g_strdup_printf ("/org/vmgr/vm/%u", victim_id (user, own));
      g_autoptr(GError) error = NULL;
      g_autoptr(GVariant) reply G_GNUC_UNUSED =
        g_dbus_connection_call_sync (client->bus, "org.vmgr", path, "org.vmgr.VM", "Delete",
                                     NULL, NULL, G_DBUS_CALL_FLAGS_NONE, 20000, NULL, &error);
      Outcome got = classify (error);
      Outcome want = admin ? ALLOWED
                     : (own || user_uids[user] == victim_owner (user, own)) ? DENIED
                     : INVISIBLE;

      if (got != want)
        g_error ("%s Delete on %s: expected %s, got %s (%s)", user_names[user], path,
                 outcome_name (want), outcome_name (got), error ? error->message : "");
      cells++;
    }
  return cells;
}

static void
test_matrix (gconstpointer data)
{
  User user = GPOINTER_TO_UINT (data);

  if (g_test_subprocess ())
    {
      guint cells;

      vmgr_test_become_user (user_uids[user]);
      cells = run_matrix_row (user) + run_matrix_special (user);
      g_print ("matrix cells for %s: %u\n", user_names[user], cells);
      return;
    }
  g_test_trap_subprocess (NULL, 120 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stdout ("*matrix cells for*");
}

/* ---- Leaks: nothing of bob's VM reaches alice -------------------------- */

static gboolean
owned_by (VmgrTestClient *client, const char *path, guint32 uid)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply =
    g_dbus_connection_call_sync (client->bus, "org.vmgr", path, "org.freedesktop.DBus.Properties",
                                 "Get", g_variant_new ("(ss)", "org.vmgr.VM", "Owner"),
                                 G_VARIANT_TYPE ("(v)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL,
                                 &error);
  g_autoptr(GVariant) value = NULL;

  g_assert_no_error (error);
  g_variant_get (reply, "(v)", &value);
  return g_variant_get_uint32 (value) == uid;
}

static void
assert_lists_show_own_only (VmgrTestClient *client, guint32 uid)
{
  g_auto(GStrv) paths = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) objects = NULL;
  g_autoptr(GVariant) object_map = NULL;
  GVariantIter iter;
  const char *path;
  gboolean own_seen = FALSE;

  vmgr_dbus_manager_call_list_vms_sync (client->manager, &paths, NULL, &error);
  g_assert_no_error (error);
  for (guint i = 0; paths[i] != NULL; i++)
    g_assert_true (owned_by (client, paths[i], uid));
  g_assert_true (g_strv_contains ((const char * const *) paths, "/org/vmgr/vm/201"));
  g_assert_false (g_strv_contains ((const char * const *) paths, "/org/vmgr/vm/202"));

  objects = g_dbus_connection_call_sync (client->bus, "org.vmgr", "/org/vmgr",
                                         "org.freedesktop.DBus.ObjectManager",
                                         "GetManagedObjects", NULL, NULL,
                                         G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
  g_assert_no_error (error);
  object_map = g_variant_get_child_value (objects, 0);
  g_variant_iter_init (&iter, object_map);
  while (g_variant_iter_next (&iter, "{&o@a{sa{sv}}}", &path, NULL))
    {
      g_autofree char *own_record = g_strdup_printf ("/org/vmgr/customer/%u", uid);

      if (g_str_equal (path, "/org/vmgr/Manager"))
        continue;
      if (g_str_has_prefix (path, "/org/vmgr/customer/"))
        {
          g_assert_cmpstr (path, ==, own_record);
          continue;
        }
      g_assert_true (owned_by (client, path, uid));
      own_seen |= g_str_equal (path, "/org/vmgr/vm/201");
    }
  g_assert_true (own_seen);
}

static void
assert_introspection_shows_own_only (VmgrTestClient *client, guint32 uid)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply =
    g_dbus_connection_call_sync (client->bus, "org.vmgr", "/org/vmgr/vm",
                                 "org.freedesktop.DBus.Introspectable", "Introspect", NULL,
                                 G_VARIANT_TYPE ("(s)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL,
                                 &error);
  const char *xml;
  g_autoptr(GDBusNodeInfo) node = NULL;

  g_assert_no_error (error);
  g_variant_get (reply, "(&s)", &xml);
  node = g_dbus_node_info_new_for_xml (xml, &error);
  g_assert_no_error (error);
  g_assert_nonnull (node->nodes);
  for (guint i = 0; node->nodes[i] != NULL; i++)
    {
      g_autofree char *path = g_strdup_printf ("/org/vmgr/vm/%s", node->nodes[i]->path);

      g_assert_true (owned_by (client, path, uid));
    }
  g_assert_null (strstr (xml, "\"202\""));
}

/* The error text with the path (or name) replaced, for comparing. */
static char *
error_shape (const GError *error, const char *target)
{
  g_autofree char *name = g_dbus_error_get_remote_error (error);
  g_auto(GStrv) parts = g_strsplit (error->message, target, -1);
  g_autofree char *message = g_strjoinv ("<TARGET>", parts);

  return g_strdup_printf ("%s: %s", name, message);
}

static char *
path_call_error (VmgrTestClient *client, const char *path, const char *interface,
                 const char *member, const char *args)
{
  g_autoptr(GError) error = NULL;
  /* Not floating: the call takes a reference of its own. */
  g_autoptr(GVariant) parameters = g_variant_parse (NULL, args, NULL, NULL, NULL);
  g_autoptr(GVariant) reply =
    g_dbus_connection_call_sync (client->bus, "org.vmgr", path, interface, member,
                                 parameters, NULL, G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);

  g_assert_null (reply);
  g_assert_nonnull (error);
  return error_shape (error, path);
}

/* Calls that no object of a tenant's path answers with success. */
static const struct { const char *interface, *member, *args; } tenant_probes[] = {
  { "org.freedesktop.DBus.Properties", "Get", "('org.vmgr.VM', 'Name')" },
  { "org.freedesktop.DBus.Properties", "Get", "('org.vmgr.Customer', 'FullName')" },
  { "org.freedesktop.DBus.Properties", "Get", "('org.vmgr.Manager', 'Version')" },
  { "org.freedesktop.DBus.Properties", "Get", "('x y', 'Name')" },
  { "org.freedesktop.DBus.Properties", "GetAll", "('org.vmgr.VM',)" },
  { "org.freedesktop.DBus.Properties", "GetAll", "('',)" },
  { "org.freedesktop.DBus.Properties", "GetAll", "('not an interface',)" },
  { "org.freedesktop.DBus.Properties", "Set", "('org.vmgr.VM', 'Name', <'x'>)" },
  { "org.freedesktop.DBus.Introspectable", "Introspect", "()" },
  { "org.freedesktop.DBus.Peer", "NoSuchMember", "()" },
  { "org.freedesktop.DBus.ObjectManager", "NoSuchMember", "()" },
  { "org.vmgr.VM", "Start", "()" },
  { "org.vmgr.VM", "Delete", "()" },
  { "org.vmgr.VM", "SetMemory", "(uint64 0, uint64 0, uint64 0)" },
  { "org.vmgr.VM", "Shutdown", "(uint32 100000,)" },
  { "org.vmgr.VM", "SetOwner", "(uint32 60002,)" },
  { "org.vmgr.VM", "OpenConsole", "()" },
  { "org.vmgr.VM", "NoSuchMember", "()" },
  /* Members that exist in the rules table, but not on this object. */
  { "org.vmgr.VM", "Get", "('org.vmgr.VM', 'Name')" },
  { "org.vmgr.VM", "GetAll", "('org.vmgr.VM',)" },
  { "org.vmgr.Manager", "ListPlans", "()" },
  { "org.vmgr.Manager", "CreateVM", "('x', 'debian-12', 'basic', @a{sv} {})" },
  { "org.vmgr.Customer", "Update", "(@a{sv} {},)" },
  { "org.vmgr.Customer", "Remove", "()" },
  { "org.vmgr.Job", "Cancel", "()" },
  { "org.vmgr.VM", "CreateSnapshot", "('s', @a{sv} {})" },
  { "org.vmgr.Snapshot", "Revert", "()" },
  { "org.vmgr.Snapshot", "Delete", "()" },
  { "org.example.Nothing", "Foo", "()" },
  /* Wrongly typed arguments: still no hint that the object exists. */
  { "org.vmgr.VM", "Start", "(int32 1,)" },
  { "org.vmgr.VM", "SetMemory", "('x',)" },
  { "org.vmgr.Customer", "Suspend", "(int32 1,)" },
  { "org.freedesktop.DBus.Properties", "Get", "(int32 1,)" },
  { "org.freedesktop.DBus.Properties", "GetAll", "()" },
};

/* Every probe answers on @foreign exactly as on @missing. */
static void
assert_path_like_missing (VmgrTestClient *client, const char *foreign, const char *missing)
{
  for (guint i = 0; i < G_N_ELEMENTS (tenant_probes); i++)
    {
      g_autofree char *other = path_call_error (client, foreign, tenant_probes[i].interface,
                                                tenant_probes[i].member, tenant_probes[i].args);
      g_autofree char *none = path_call_error (client, missing, tenant_probes[i].interface,
                                               tenant_probes[i].member, tenant_probes[i].args);

      g_test_message ("%s.%s%s: %s", tenant_probes[i].interface, tenant_probes[i].member,
                      tenant_probes[i].args, other);
      g_assert_cmpstr (other, ==, none);
    }
}

static void
assert_other_vm_like_missing (VmgrTestClient *client)
{
  g_autofree char *other = g_strdup_printf ("/org/vmgr/vm/%u", BOB_VM);
  g_autofree char *missing = g_strdup_printf ("/org/vmgr/vm/%u", MISSING_VM);

  assert_path_like_missing (client, other, missing);
}

static char *
find_error (VmgrTestClient *client, const char *name_or_id)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;

  g_assert_false (vmgr_dbus_manager_call_find_vm_sync (client->manager, name_or_id, &path,
                                                        NULL, &error));
  return error_shape (error, name_or_id);
}

static void
test_leaks (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr(VmgrTestClient) client = NULL;
      g_autofree char *by_name = NULL, *missing_name = NULL, *by_id = NULL, *missing_id = NULL;

      vmgr_test_become_user (VMGR_TEST_UID_ALICE);
      client = vmgr_test_client_new ();
      assert_lists_show_own_only (client, VMGR_TEST_UID_ALICE);
      assert_introspection_shows_own_only (client, VMGR_TEST_UID_ALICE);
      assert_other_vm_like_missing (client);
      by_name = find_error (client, "bob-vm");
      missing_name = find_error (client, "nobody-vm");
      g_assert_cmpstr (by_name, ==, missing_name);
      by_id = find_error (client, "202");
      missing_id = find_error (client, "99999");
      g_assert_cmpstr (by_id, ==, missing_id);
      return;
    }
  g_test_trap_subprocess (NULL, 120 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
}

/* A caller in no group probing customers' and VMs' paths. */
static void
test_stranger_sees_nothing (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr(VmgrTestClient) client = NULL;
      g_autofree char *alice = g_strdup_printf ("/org/vmgr/customer/%u", VMGR_TEST_UID_ALICE);
      g_autofree char *vm = g_strdup_printf ("/org/vmgr/vm/%u", ALICE_VM);
      g_autofree char *missing_vm = g_strdup_printf ("/org/vmgr/vm/%u", MISSING_VM);

      vmgr_test_become_user (VMGR_TEST_UID_MALLORY);
      client = vmgr_test_client_new ();
      assert_path_like_missing (client, alice, "/org/vmgr/customer/60099");
      assert_path_like_missing (client, vm, missing_vm);
      return;
    }
  g_test_trap_subprocess (NULL, 120 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
}

static guint
audit_rows_about (VmgrTestClient *client, const char *target)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) entries = NULL;
  GVariantDict filter;

  g_variant_dict_init (&filter, NULL);
  g_variant_dict_insert (&filter, "target", "s", target);
  vmgr_dbus_manager_call_query_audit_sync (client->manager, g_variant_dict_end (&filter),
                                           &entries, NULL, &error);
  g_assert_no_error (error);
  return g_variant_n_children (entries);
}

/* A customer's own audit rows do not tell another's VM from a missing one. */
static void
test_audit_reveals_nothing (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr(VmgrTestClient) client = NULL;
      g_autofree char *other = g_strdup_printf ("/org/vmgr/vm/%u", BOB_VM);
      g_autofree char *missing = g_strdup_printf ("/org/vmgr/vm/%u", MISSING_VM);
      const char *members[] = { "Delete", "Start", "Stop" };

      vmgr_test_become_user (VMGR_TEST_UID_ALICE);
      client = vmgr_test_client_new ();
      for (guint i = 0; i < G_N_ELEMENTS (members); i++)
        {
          g_autofree char *a = path_call_error (client, other, "org.vmgr.VM", members[i], "()");
          g_autofree char *b = path_call_error (client, missing, "org.vmgr.VM", members[i], "()");

          g_assert_cmpstr (a, ==, b);
        }
      g_assert_cmpuint (audit_rows_about (client, other), ==, audit_rows_about (client, missing));
      g_assert_cmpuint (audit_rows_about (client, other), ==, 0);
      return;
    }
  g_test_trap_subprocess (NULL, 60 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
}

static char *
find_path (VmgrTestClient *client, const char *name_or_id, GError **error)
{
  char *path = NULL;

  vmgr_dbus_manager_call_find_vm_sync (client->manager, name_or_id, &path, NULL, error);
  return path;
}

/* VM names are unique per owner: a customer's Contract with another
 * customer's VM name succeeds (a refusal would tell her that name is
 * taken), and each finds their own by name. */
static void
test_names_per_owner (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr(VmgrTestClient) client = NULL;
      g_autoptr(GError) error = NULL;
      g_autofree char *contracted = NULL;
      g_autofree char *found = NULL;
      g_autofree char *bobs = g_strdup_printf ("/org/vmgr/vm/%u", BOB_VM);

      vmgr_test_become_user (VMGR_TEST_UID_ALICE);
      client = vmgr_test_client_new ();
      vmgr_dbus_manager_call_contract_sync (client->manager, "basic", "debian-12", "bob-vm",
                                            &contracted, NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (contracted, !=, bobs);
      found = find_path (client, "bob-vm", &error);
      g_assert_no_error (error);
      g_assert_cmpstr (found, ==, contracted);
      /* Her own name twice is refused, in her words. */
      vmgr_dbus_manager_call_contract_sync (client->manager, "basic", "debian-12", "bob-vm",
                                            NULL, NULL, &error);
      vmgr_test_assert_dbus_error (error, "org.vmgr.Error.AlreadyExists",
                                   "you already have a VM named 'bob-vm'");
      g_print ("%s\n", contracted);
      return;
    }
  g_test_trap_subprocess (NULL, 60 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  {
    g_autoptr(VmgrTestClient) root = vmgr_test_client_new ();
    g_autoptr(GError) error = NULL;
    g_autofree char *alices = find_path (root, "alice/bob-vm", &error);
    g_autofree char *bobs = NULL;
    g_autofree char *by_uid = NULL;

    g_autofree char *printed = NULL;

    g_assert_no_error (error);
    printed = g_strdup_printf ("*%s*", alices);
    g_test_trap_assert_stdout (printed);
    bobs = find_path (root, "bob/bob-vm", &error);
    g_assert_no_error (error);
    g_assert_cmpstr (bobs, ==, "/org/vmgr/vm/202");
    by_uid = find_path (root, "60003/bob-vm", &error);
    g_assert_no_error (error);
    g_assert_cmpstr (by_uid, ==, bobs);
    /* Two owners' VMs answer to the name: the administrator qualifies it. */
    g_assert_null (find_path (root, "bob-vm", &error));
    vmgr_test_assert_dbus_error (error, "org.vmgr.Error.InvalidArgument",
                                 "2 VMs are named 'bob-vm'");
  }
}

/* ---- An agent: a long-lived client as another user --------------------
 * The test binary runs itself as `--agent UID DAEMON_NAME` under setpriv.
 * It reads commands on stdin ("list", "start PATH") and prints replies and
 * every signal it receives from vmgrd on stdout, one line each. */

static void G_GNUC_PRINTF (1, 2)
print_line (const char *format, ...)
{
  va_list args;

  va_start (args, format);
  vprintf (format, args);
  va_end (args);
  putchar ('\n');
  fflush (stdout);
}

static void
on_agent_signal (GDBusConnection *bus, const char *sender, const char *path,
                 const char *interface, const char *member, GVariant *parameters,
                 gpointer user_data)
{
  g_autofree char *args = g_variant_print (parameters, FALSE);

  print_line ("SIGNAL %s %s.%s %s", path, interface, member, args);
}

static void
agent_command (VmgrTestClient *client, const char *line)
{
  g_autoptr(GError) error = NULL;

  if (g_str_equal (line, "list"))
    {
      g_auto(GStrv) paths = NULL;
      g_autofree char *joined = NULL;

      if (!vmgr_dbus_manager_call_list_vms_sync (client->manager, &paths, NULL, &error))
        print_line ("LIST-ERROR %s", error->message);
      else
        print_line ("LIST %s", (joined = g_strjoinv (" ", paths)));
    }
  else if (g_str_has_prefix (line, "start "))
    {
      g_autoptr(GVariant) reply G_GNUC_UNUSED =
        g_dbus_connection_call_sync (client->bus, "org.vmgr", line + 6, "org.vmgr.VM", "Start",
                                     NULL, NULL, G_DBUS_CALL_FLAGS_NONE, 30000, NULL, &error);
      g_autofree char *name = error != NULL ? g_dbus_error_get_remote_error (error) : NULL;

      print_line ("REPLY %s %s", error == NULL ? "ok" : name,
                  error == NULL ? "" : error->message);
    }
}

typedef struct {
  VmgrTestClient *client;
  GDataInputStream *input;
  GMainLoop *loop;
} Agent;

static void
on_agent_line (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Agent *agent = user_data;
  g_autofree char *line = g_data_input_stream_read_line_finish (agent->input, result, NULL,
                                                                NULL);

  if (line == NULL)
    {
      g_main_loop_quit (agent->loop);
      return;
    }
  agent_command (agent->client, line);
  g_data_input_stream_read_line_async (agent->input, G_PRIORITY_DEFAULT, NULL, on_agent_line,
                                       agent);
}

/* The agent is no GLib test subprocess, so it drops to the user itself. */
static void
agent_become_user (guint uid)
{
  struct passwd *pw = getpwuid (uid);

  if (pw == NULL || initgroups (pw->pw_name, pw->pw_gid) != 0 ||
      setresgid (pw->pw_gid, pw->pw_gid, pw->pw_gid) != 0 ||
      setresuid (uid, uid, uid) != 0)
    g_error ("the agent cannot become uid %u: %s", uid, g_strerror (errno));
}

static int
run_agent (guint uid, const char *daemon_name)
{
  Agent agent = { 0 };
  g_autoptr(GInputStream) stdin_stream = g_unix_input_stream_new (0, FALSE);

  agent_become_user (uid);
  agent.client = vmgr_test_client_new ();
  agent.loop = g_main_loop_new (NULL, FALSE);
  agent.input = g_data_input_stream_new (stdin_stream);
  g_dbus_connection_signal_subscribe (agent.client->bus, daemon_name, NULL, NULL, NULL, NULL,
                                      G_DBUS_SIGNAL_FLAGS_NONE, on_agent_signal, NULL, NULL);
  agent_command (agent.client, "list");
  print_line ("READY");
  g_data_input_stream_read_line_async (agent.input, G_PRIORITY_DEFAULT, NULL, on_agent_line,
                                       &agent);
  g_main_loop_run (agent.loop);
  g_object_unref (agent.input);
  g_main_loop_unref (agent.loop);
  vmgr_test_client_free (agent.client);
  return 0;
}

/* The parent's handle on an agent. */
typedef struct {
  GSubprocess *process;
  GDataInputStream *output;
  GPtrArray *lines;
  gboolean eof;
  gboolean reading;
} AgentHandle;

static VmgrTestDaemon *daemon_under_test;
static char *self_path;

static void
on_handle_line (GObject *source, GAsyncResult *result, gpointer user_data)
{
  AgentHandle *handle = user_data;
  char *line = g_data_input_stream_read_line_finish (handle->output, result, NULL, NULL);

  handle->reading = FALSE;
  if (line == NULL)
    {
      handle->eof = TRUE;
      return;
    }
  g_ptr_array_add (handle->lines, line);
}

static void
read_more (AgentHandle *handle)
{
  if (handle->reading || handle->eof)
    return;
  handle->reading = TRUE;
  g_data_input_stream_read_line_async (handle->output, G_PRIORITY_DEFAULT, NULL, on_handle_line,
                                       handle);
}

typedef struct {
  AgentHandle *handle;
  const char *fragment;
  guint from;
} LineWait;

static gboolean
line_seen (gpointer data)
{
  LineWait *wait = data;

  for (guint i = wait->from; i < wait->handle->lines->len; i++)
    if (strstr (g_ptr_array_index (wait->handle->lines, i), wait->fragment) != NULL)
      return TRUE;
  read_more (wait->handle);
  return wait->handle->eof;
}

/* Waits for a line containing @fragment after line @from; returns it. */
static const char *
agent_wait_line (AgentHandle *handle, const char *fragment, guint from)
{
  LineWait wait = { handle, fragment, from };

  vmgr_test_wait (line_seen, &wait, WAIT_MS);
  for (guint i = from; i < handle->lines->len; i++)
    if (strstr (g_ptr_array_index (handle->lines, i), fragment) != NULL)
      return g_ptr_array_index (handle->lines, i);
  g_error ("the agent printed no line with '%s'", fragment);
}

static AgentHandle *
agent_spawn (guint uid)
{
  AgentHandle *handle = g_new0 (AgentHandle, 1);
  g_autofree char *uid_text = g_strdup_printf ("%u", uid);
  g_autoptr(GError) error = NULL;

  handle->process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDIN_PIPE |
                                      G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error,
                                      self_path, "--agent", uid_text,
                                      vmgr_test_daemon_get_unique_name (daemon_under_test),
                                      NULL);
  g_assert_no_error (error);
  handle->output = g_data_input_stream_new (g_subprocess_get_stdout_pipe (handle->process));
  handle->lines = g_ptr_array_new_with_free_func (g_free);
  agent_wait_line (handle, "READY", 0);
  return handle;
}

static void
agent_send (AgentHandle *handle, const char *command)
{
  g_autofree char *line = g_strdup_printf ("%s\n", command);
  g_autoptr(GError) error = NULL;

  g_output_stream_write_all (g_subprocess_get_stdin_pipe (handle->process), line, strlen (line),
                             NULL, NULL, &error);
  g_assert_no_error (error);
}

static void
agent_finish (AgentHandle *handle)
{
  g_autoptr(GError) error = NULL;

  g_output_stream_close (g_subprocess_get_stdin_pipe (handle->process), NULL, NULL);
  while (!handle->eof)
    {
      read_more (handle);
      g_main_context_iteration (NULL, TRUE);
    }
  g_subprocess_wait_check (handle->process, NULL, &error);
  g_assert_no_error (error);
}

static void
agent_free (AgentHandle *handle)
{
  g_object_unref (handle->output);
  g_object_unref (handle->process);
  g_ptr_array_unref (handle->lines);
  g_free (handle);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AgentHandle, agent_free)

static void
root_call (VmgrTestClient *root, const char *path, const char *member, GVariant *args)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply G_GNUC_UNUSED = g_dbus_connection_call_sync (root->bus, "org.vmgr", path,
                                                           "org.vmgr.VM", member, args, NULL,
                                                           G_DBUS_CALL_FLAGS_NONE, -1, NULL,
                                                           &error);

  if (error != NULL && !g_dbus_error_is_remote_error (error))
    g_assert_no_error (error);
}

static GVariant *
owner_option (guint32 uid, guint32 id)
{
  GVariantDict dict;

  g_variant_dict_init (&dict, NULL);
  g_variant_dict_insert (&dict, "owner", "u", uid);
  g_variant_dict_insert (&dict, "id", "u", id);
  return g_variant_dict_end (&dict);
}

static void
test_signals_reach_owner_only (void)
{
  g_autoptr(VmgrTestClient) root = vmgr_test_client_new ();
  g_autoptr(AgentHandle) alice = agent_spawn (VMGR_TEST_UID_ALICE);
  g_autoptr(AgentHandle) mallory = agent_spawn (VMGR_TEST_UID_MALLORY);
  g_autofree char *bob_new = NULL;
  g_autofree char *alice_new = NULL;

  /* Everything that happens to bob's VMs... */
  root_call (root, "/org/vmgr/vm/202", "Start", NULL);
  root_call (root, "/org/vmgr/vm/202", "Stop", NULL);
  root_call (root, "/org/vmgr/vm/202", "SetMemory",
             g_variant_new ("(ttt)", (guint64) 0, (guint64) 0, 96 * MiB));
  bob_new = vmgr_test_create_vm (root, "bob-new", "debian-12", "basic",
                                 owner_option (VMGR_TEST_UID_BOB, 250));
  root_call (root, bob_new, "Delete", NULL);
  /* ... then something to alice's: its signals come after bob's. */
  alice_new = vmgr_test_create_vm (root, "alice-new", "debian-12", "basic",
                                   owner_option (VMGR_TEST_UID_ALICE, 251));
  root_call (root, alice_new, "Start", NULL);

  agent_wait_line (alice, "InterfacesAdded", 0);
  agent_wait_line (alice, "StateChanged", 0);
  /* A VM given to alice appears to her, and vanishes when it is taken back. */
  {
    g_autofree char *moving = vmgr_test_create_vm (root, "moving", "debian-12", "basic",
                                                   owner_option (VMGR_TEST_UID_BOB, 252));
    guint from = alice->lines->len;

    root_call (root, moving, "SetOwner", g_variant_new ("(u)", VMGR_TEST_UID_ALICE));
    g_assert_nonnull (strstr (agent_wait_line (alice, "InterfacesAdded", from), moving));
    from = alice->lines->len;
    root_call (root, moving, "SetOwner", g_variant_new ("(u)", VMGR_TEST_UID_BOB));
    g_assert_nonnull (strstr (agent_wait_line (alice, "InterfacesRemoved", from), moving));
    root_call (root, moving, "Delete", NULL);
  }
  agent_finish (alice);
  agent_finish (mallory);
  for (guint i = 0; i < alice->lines->len; i++)
    {
      const char *line = g_ptr_array_index (alice->lines, i);

      g_assert_null (strstr (line, "/org/vmgr/vm/202"));
      g_assert_null (strstr (line, bob_new));
      g_assert_null (strstr (line, "bob"));
    }
  for (guint i = 0; i < mallory->lines->len; i++)
    g_assert_false (g_str_has_prefix (g_ptr_array_index (mallory->lines, i), "SIGNAL"));
}

static void
install_rule (const char *name, const char *text)
{
  const char *dir = g_getenv ("VMGR_TESTBUS_RULES_DIR");
  g_autofree char *staging = g_build_filename (g_getenv ("VMGR_TESTBUS_DIR"), name, NULL);
  g_autofree char *target = g_build_filename (dir, name, NULL);
  g_autoptr(GError) error = NULL;

  g_assert_nonnull (dir);
  g_file_set_contents (staging, text, -1, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_chmod (staging, 0644), ==, 0);
  /* polkitd watches the directory; a rename is one atomic change. */
  g_assert_cmpint (g_rename (staging, target), ==, 0);
}

static void
remove_rule (const char *name)
{
  g_autofree char *target = g_build_filename (g_getenv ("VMGR_TESTBUS_RULES_DIR"), name, NULL);

  g_assert_cmpint (g_unlink (target), ==, 0);
}

typedef struct {
  AgentHandle *agent;
  gboolean want_visible;
  guint asked;
} ListPoll;

/* Asks the agent to list every 200 ms until bob's VM is (in)visible. */
static gboolean
bob_visibility_is (gpointer data)
{
  ListPoll *poll = data;
  const char *last = NULL;

  read_more (poll->agent);
  for (guint i = 0; i < poll->agent->lines->len; i++)
    if (g_str_has_prefix (g_ptr_array_index (poll->agent->lines, i), "LIST "))
      last = g_ptr_array_index (poll->agent->lines, i);
  if (last != NULL && (strstr (last, "/org/vmgr/vm/202") != NULL) == poll->want_visible)
    return TRUE;
  if (g_get_monotonic_time () / (200 * 1000) != poll->asked)
    {
      poll->asked = g_get_monotonic_time () / (200 * 1000);
      agent_send (poll->agent, "list");
    }
  return FALSE;
}

static gboolean
tick (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

static guint
usage_signals_since (AgentHandle *handle, const char *path, guint from)
{
  g_autofree char *prefix = g_strdup_printf ("SIGNAL %s org.freedesktop.DBus.Properties."
                                             "PropertiesChanged", path);
  guint count = 0;

  for (guint i = from; i < handle->lines->len; i++)
    {
      const char *line = g_ptr_array_index (handle->lines, i);

      if (g_str_has_prefix (line, prefix) && strstr (line, "'Usage'") != NULL)
        count++;
    }
  return count;
}

static gboolean
drain (gpointer data)
{
  read_more (data);
  return FALSE;
}

/* While polkit decides alice's view again after a rules change (slowly
 * here: past the daemon's bound), her VM's signals keep reaching her. */
static void
test_signals_survive_rules_change (void)
{
  g_autoptr(VmgrTestClient) root = vmgr_test_client_new ();
  g_autofree char *path = g_strdup_printf ("/org/vmgr/vm/%u", ALICE_VM);
  g_autoptr(AgentHandle) alice = NULL;
  guint mark;

  root_call (root, path, "Start", NULL);
  alice = agent_spawn (VMGR_TEST_UID_ALICE);
  /* The sampler's Usage changes reach her (one a second here). */
  agent_wait_line (alice, "'Usage'", 0);
  vmgr_test_polkit_install_rules ("10-test-slow-alice.rules",
                                  "polkit.addRule(function(action, subject) {\n"
                                  "  if (subject.user == 'alice' &&\n"
                                  "      action.id.indexOf('org.vmgr.vm.view') == 0) {\n"
                                  "    var start = new Date().getTime();\n"
                                  "    while (new Date().getTime() - start < 2000) {}\n"
                                  "  }\n"
                                  "});\n");
  /* From half a second after polkit's Changed (vmgrd has heard it too). */
  vmgr_test_wait (drain, alice, 500);
  mark = alice->lines->len;
  vmgr_test_wait (drain, alice, 4000);
  g_test_message ("Usage signals in the 4 s after the change: %u",
                  usage_signals_since (alice, path, mark));
  g_assert_cmpuint (usage_signals_since (alice, path, mark), >=, 2);
  vmgr_test_polkit_remove_rules ("10-test-slow-alice.rules");
  root_call (root, path, "Stop", NULL);
  agent_finish (alice);
}

static void
test_cache_follows_rules (void)
{
  g_autoptr(AgentHandle) alice = agent_spawn (VMGR_TEST_UID_ALICE);
  ListPoll poll = { alice, FALSE, 0 };
  guint ticker = g_timeout_add (50, tick, NULL);

  /* Cached: alice may not see bob's VM... */
  g_assert_true (vmgr_test_wait (bob_visibility_is, &poll, WAIT_MS));
  /* ... until a rule says she may; the daemon's cache time to live is an
   * hour here, so only polkit's Changed signal can make this pass. */
  install_rule ("10-test-alice-sees-all.rules",
                "polkit.addRule(function(action, subject) {\n"
                "  if (action.id == 'org.vmgr.vm.view-any' && subject.user == 'alice')\n"
                "    return polkit.Result.YES;\n"
                "});\n");
  poll.want_visible = TRUE;
  g_assert_true (vmgr_test_wait (bob_visibility_is, &poll, 3 * WAIT_MS));
  remove_rule ("10-test-alice-sees-all.rules");
  poll.want_visible = FALSE;
  g_assert_true (vmgr_test_wait (bob_visibility_is, &poll, 3 * WAIT_MS));
  g_source_remove (ticker);
  agent_finish (alice);
}

/* ---- polkit gone or silent: denied, never allowed, never hung; root, whom
 * vmgrd does not ask about, still served ------------------------------- */


/* The admin's own VM: polkit failing, its owner learns why (anyone else
 * that nothing is there). */
#define ADMIN_VM 204
#define ADMIN_VM_PATH "/org/vmgr/vm/204"

static void create_owned (VmgrTestClient *root, const char *name, guint32 id, guint32 owner);

/* SetAutostart on ADMIN_VM as the admin, whom polkit decides for; the exit status. */
static int
admin_set_autostart (char **err)
{
  g_autofree char *out = NULL;
  const char * const argv[] = {
    "gdbus", "call", "--system", "--dest", "org.vmgr", "--object-path", ADMIN_VM_PATH,
    "--method", "org.vmgr.VM.SetAutostart", "false", NULL
  };

  return vmgr_test_run_as_argv (VMGR_TEST_UID_ADMIN, &out, err, argv);
}

/* Refused, the message naming @fragment. */
static void
expect_admin_refused_by_polkit (const char *fragment)
{
  g_autofree char *err = NULL;

  g_assert_cmpint (admin_set_autostart (&err), !=, 0);
  g_test_message ("admin: %s", err);
  g_assert_nonnull (strstr (err, "org.vmgr.Error.NotAuthorized"));
  g_assert_nonnull (strstr (err, fragment));
}

/* Root is not asked about (polkitd authorizes uid 0 unconditionally): served
 * whether polkitd answers or not. */
static void
expect_root_served (VmgrTestClient *root)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply G_GNUC_UNUSED =
    g_dbus_connection_call_sync (root->bus, "org.vmgr", "/org/vmgr/vm/203", "org.vmgr.VM",
                                 "SetAutostart", g_variant_new ("(b)", FALSE), NULL,
                                 G_DBUS_CALL_FLAGS_NONE, 30000, NULL, &error);

  g_assert_no_error (error);
}

static gboolean
name_has_owner (gpointer data)
{
  VmgrTestClient *client = data;
  g_autoptr(GVariant) reply =
    g_dbus_connection_call_sync (client->bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                 "org.freedesktop.DBus", "NameHasOwner",
                                 g_variant_new ("(s)", "org.freedesktop.PolicyKit1"),
                                 G_VARIANT_TYPE ("(b)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL, NULL);
  gboolean has_owner = FALSE;

  if (reply != NULL)
    g_variant_get (reply, "(b)", &has_owner);
  return has_owner;
}

static gboolean
name_has_no_owner (gpointer data)
{
  return !name_has_owner (data);
}

static void
test_polkit_silent_then_gone (void)
{
  g_autoptr(VmgrTestClient) root = vmgr_test_client_new ();
  guint32 pid = vmgr_test_polkit_pid (root->bus);
  g_autoptr(GSubprocess) restarted = NULL;
  g_autoptr(GError) error = NULL;

  create_owned (root, "admin-vm", ADMIN_VM, VMGR_TEST_UID_ADMIN);
  /* Silent: the daemon's bound (1.5 s here) answers for polkit. */
  g_assert_cmpint (kill (pid, SIGSTOP), ==, 0);
  expect_admin_refused_by_polkit ("did not answer");
  expect_root_served (root);
  g_assert_cmpint (kill (pid, SIGCONT), ==, 0);

  /* Gone. */
  g_assert_cmpint (kill (pid, SIGTERM), ==, 0);
  g_assert_true (vmgr_test_wait (name_has_no_owner, root, WAIT_MS));
  expect_admin_refused_by_polkit ("polkit");
  expect_root_served (root);
  g_assert_true (vmgr_test_daemon_is_running (daemon_under_test));

  /* Back: decisions are made again. */
  restarted = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
                                G_SUBPROCESS_FLAGS_STDERR_SILENCE, &error,
                                "/usr/lib/polkit-1/polkitd", "--no-debug", NULL);
  g_assert_no_error (error);
  g_assert_true (vmgr_test_wait (name_has_owner, root, WAIT_MS));
  {
    g_autofree char *err = NULL;

    g_assert_cmpint (admin_set_autostart (&err), ==, 0);
  }
}

/* ---- Audit ------------------------------------------------------------- */

static GPtrArray *
audit_uids (VmgrTestClient *client, gboolean *saw_delete_denial)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) entries = NULL;
  GPtrArray *uids = g_ptr_array_new ();
  GVariantIter iter;
  gint64 time;
  guint32 uid;
  const char *caller, *action, *target, *result, *message;

  vmgr_dbus_manager_call_query_audit_sync (client->manager, g_variant_new ("a{sv}", NULL),
                                           &entries, NULL, &error);
  g_assert_no_error (error);
  g_variant_iter_init (&iter, entries);
  while (g_variant_iter_next (&iter, "(xu&s&s&s&s&s)", &time, &uid, &caller, &action, &target,
                              &result, &message))
    {
      g_ptr_array_add (uids, GUINT_TO_POINTER (uid));
      if (g_str_equal (action, "org.vmgr.vm.delete") && g_str_equal (result, "denied") &&
          g_str_equal (target, "/org/vmgr/vm/201"))
        *saw_delete_denial = TRUE;
    }
  return uids;
}

static void
test_audit (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr(VmgrTestClient) client = NULL;
      g_autoptr(GPtrArray) uids = NULL;
      g_autoptr(GError) error = NULL;
      g_autoptr(GVariant) reply = NULL;
      gboolean saw_denial = FALSE;

      vmgr_test_become_user (VMGR_TEST_UID_ALICE);
      client = vmgr_test_client_new ();
      reply = g_dbus_connection_call_sync (client->bus, "org.vmgr", "/org/vmgr/vm/201",
                                           "org.vmgr.VM", "Delete", NULL, NULL,
                                           G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
      vmgr_test_assert_dbus_error (error, "org.vmgr.Error.NotAuthorized", "org.vmgr.vm.delete");
      uids = audit_uids (client, &saw_denial);
      g_assert_true (saw_denial);
      g_assert_cmpuint (uids->len, >, 0);
      for (guint i = 0; i < uids->len; i++)
        g_assert_cmpuint (GPOINTER_TO_UINT (g_ptr_array_index (uids, i)), ==,
                          VMGR_TEST_UID_ALICE);
      return;
    }
  g_test_trap_subprocess (NULL, 60 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  {
    g_autoptr(VmgrTestClient) root = vmgr_test_client_new ();
    gboolean saw_denial = FALSE;
    g_autoptr(GPtrArray) uids = audit_uids (root, &saw_denial);
    gboolean saw_root = FALSE, saw_alice = FALSE;

    g_assert_true (saw_denial);
    for (guint i = 0; i < uids->len; i++)
      {
        saw_root |= GPOINTER_TO_UINT (g_ptr_array_index (uids, i)) == 0;
        saw_alice |= GPOINTER_TO_UINT (g_ptr_array_index (uids, i)) == VMGR_TEST_UID_ALICE;
      }
    g_assert_true (saw_root && saw_alice);
  }
}

/* ---- Setup ------------------------------------------------------------- */

static void
create_owned (VmgrTestClient *root, const char *name, guint32 id, guint32 owner)
{
  GVariantDict dict;
  g_autofree char *path = NULL;

  g_variant_dict_init (&dict, NULL);
  g_variant_dict_insert (&dict, "id", "u", id);
  g_variant_dict_insert (&dict, "owner", "u", owner);
  path = vmgr_test_create_vm (root, name, "debian-12", "basic", g_variant_dict_end (&dict));
}

static void
register_alice (VmgrTestClient *root)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  GVariantDict info;

  g_variant_dict_init (&info, NULL);
  g_variant_dict_insert (&info, "full_name", "s", "Alice Example");
  g_variant_dict_insert (&info, "email", "s", "alice@example.org");
  g_variant_dict_insert (&info, "national_id", "s", "A-1");
  vmgr_dbus_manager_call_add_customer_sync (root->manager, VMGR_TEST_UID_ALICE,
                                            g_variant_dict_end (&info), &path, NULL, &error);
  g_assert_no_error (error);
}

static void
create_fixtures (void)
{
  g_autoptr(VmgrTestClient) root = vmgr_test_client_new ();

  register_alice (root);
  create_owned (root, "alice-vm", ALICE_VM, VMGR_TEST_UID_ALICE);
  create_owned (root, "bob-vm", BOB_VM, VMGR_TEST_UID_BOB);
  create_owned (root, "root-vm", ROOT_VM, VMGR_TEST_UID_ROOT);
  for (User user = ROOT; user < N_USERS; user++)
    for (int own = 0; own <= 1; own++)
      {
        g_autofree char *name = g_strdup_printf ("victim-%s-%s", user_names[user],
                                                 own ? "own" : "other");

        create_owned (root, name, victim_id (user, own), victim_owner (user, own));
      }
}

int
main (int argc, char **argv)
{
  int status;

  if (argc == 4 && g_str_equal (argv[1], "--agent"))
    return run_agent ((guint) g_ascii_strtoull (argv[2], NULL, 10), argv[3]);
  self_path = g_canonicalize_filename (argv[0], NULL);
  g_test_init (&argc, &argv, NULL);
  for (User user = ROOT; user < N_USERS; user++)
    {
      g_autofree char *path = g_strdup_printf ("/authz/matrix/%s", user_names[user]);

      g_test_add_data_func (path, GUINT_TO_POINTER (user), test_matrix);
    }
  g_test_add_func ("/authz/leaks", test_leaks);
  g_test_add_func ("/authz/stranger-sees-nothing", test_stranger_sees_nothing);
  g_test_add_func ("/authz/audit-reveals-nothing", test_audit_reveals_nothing);
  g_test_add_func ("/authz/names-per-owner", test_names_per_owner);
  g_test_add_func ("/authz/signals-reach-owner-only", test_signals_reach_owner_only);
  g_test_add_func ("/authz/cache-follows-rules", test_cache_follows_rules);
  g_test_add_func ("/authz/signals-survive-rules-change", test_signals_survive_rules_change);
  g_test_add_func ("/authz/audit", test_audit);
  g_test_add_func ("/authz/polkit-silent-then-gone", test_polkit_silent_then_gone);

  status = vmgr_test_run_with_daemon ("[auth]\ncache_ttl=3600\ntimeout_ms=1500\n"
                                      "[monitoring]\ninterval=1\n",
                                      create_fixtures, &daemon_under_test);
  g_free (self_path);
  return status;
}
