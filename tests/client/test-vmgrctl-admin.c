/* vmgrctl against the fake vmgrd: the administrator's commands: templates,
 * plans, the audit log, and customers (customers, customer show, add,
 * update, suspend, unsuspend, remove). */
#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <pwd.h>
#include <string.h>

#include "fake-fixture.h"
#include "vmgrctl-errors.h"

/* ---- templates and plans ---- */

static void
test_templates (Fixture *f, gconstpointer data)
{
  g_autoptr(JsonNode) root = NULL;
  JsonObject *debian;

  vmgrctl (f, "templates");
  g_assert_cmpint (f->run.status, ==, VMGRCTL_EXIT_OK);
  g_assert_cmpstr (f->run.out, ==,
                   "NAME       OS      IN_USE  BACKEND     SIZE  SOURCE                 "
                   "DESCRIPTION           USABLE\n"
                   "debian-12  debian       2  qemu     512 MiB  /srv/images/debian-12  "
                   "Debian 12 \"bookworm\"  yes\n"
                   "broken     alpine       0  qemu         0 B  /srv/alpine            "
                   "-                     no: a qemu template is a disk image file\n"
                   "empty      -            -  -              -  -                      "
                   "-                     -\n");
  vmgrctl (f, "templates", "--json");
  root = parse_json (f->run.out);
  debian = json_array_get_object_element (json_node_get_array (root), 0);
  g_assert_cmpstr (json_object_get_string_member (debian, "name"), ==, "debian-12");
  g_assert_cmpstr (json_object_get_string_member (debian, "description"), ==,
                   "Debian 12 \"bookworm\"");
  g_assert_cmpint (json_object_get_int_member (debian, "in_use"), ==, 2);
  g_assert_true (json_object_get_boolean_member (debian, "usable"));
  g_assert_cmpint (json_object_get_int_member (debian, "size"), ==, 536870912);
  g_assert_cmpstr (json_object_get_string_member (debian, "backend"), ==, "qemu");
}

static void
test_template_add (Fixture *f, gconstpointer data)
{
  g_autoptr(GVariant) props = NULL;
  const char *name, *os;

  vmgrctl (f, "template-add", "alpine", "--os", "alpine", "--source", "/srv/alpine");
  g_assert_cmpint (f->run.status, ==, VMGRCTL_EXIT_OK);
  g_assert_cmpstr (f->fake->last_method, ==, "AddTemplate");
  g_variant_get (f->fake->last_args, "(&s@a{sv})", &name, &props);
  g_assert_cmpstr (name, ==, "alpine");
  g_assert_true (g_variant_lookup (props, "os", "&s", &os));
  g_assert_cmpstr (os, ==, "alpine");
  g_assert_false (g_variant_lookup (props, "description", "&s", &os));

  vmgrctl (f, "template-remove", "alpine");
  g_assert_cmpint (f->run.status, ==, VMGRCTL_EXIT_OK);
  g_assert_cmpstr (f->fake->last_method, ==, "RemoveTemplate");
}

static void
test_plans (Fixture *f, gconstpointer data)
{
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GVariant) limits = NULL;
  const char *name;
  guint64 disk;
  guint32 max_vms;

  vmgrctl (f, "plans");
  g_assert_cmpstr (f->run.out, ==,
                   "NAME   VCPUS   MEMORY    DISK  CPU_LIMIT  MAX_VMS\n"
                   "small      1  512 MiB  10 GiB          -        3\n");
  vmgrctl (f, "plans", "--json");
  root = parse_json (f->run.out);
  g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (json_node_get_array (root), 0),
                                               "memory_limit"), ==, 512 * MiB);

  vmgrctl (f, "plan-set", "big", "--disk", "100G", "--max-vms", "5");
  g_assert_cmpint (f->run.status, ==, VMGRCTL_EXIT_OK);
  g_variant_get (f->fake->last_args, "(&s@a{sv})", &name, &limits);
  g_assert_true (g_variant_lookup (limits, "disk_hard_limit", "t", &disk));
  g_assert_cmpuint (disk, ==, 100 * GiB);
  g_assert_true (g_variant_lookup (limits, "max_vms", "u", &max_vms));
  g_assert_cmpuint (max_vms, ==, 5);
  g_assert_cmpuint (g_variant_n_children (limits), ==, 2);

  /* vmgrd's refusal names the option, not its key. */
  vmgrctl (f, "plan-set", "tiny", "--memory", "0");
  g_assert_cmpint (f->run.status, ==, VMGRCTL_EXIT_INVALID_ARGUMENT);
  g_assert_cmpstr (f->run.err, ==, "vmgrctl: cannot set plan 'tiny': plan 'tiny': --memory cannot "
                                   "be 0\n");
}

/* ---- audit ---- */

static void
test_audit (Fixture *f, gconstpointer data)
{
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GVariant) filter = NULL;
  JsonObject *entry;
  gint64 since;
  guint32 uid, limit;

  vmgrctl (f, "audit", "--json", "--since", "2024-05-01T00:00:00Z", "--uid", "0", "--limit", "10");
  g_assert_cmpint (f->run.status, ==, VMGRCTL_EXIT_OK);
  g_variant_get (f->fake->last_args, "(@a{sv})", &filter);
  g_assert_true (g_variant_lookup (filter, "since", "x", &since));
  g_assert_cmpint (since, ==, G_GINT64_CONSTANT (1714521600000000));
  g_assert_true (g_variant_lookup (filter, "uid", "u", &uid));
  g_assert_true (g_variant_lookup (filter, "limit", "u", &limit));
  g_assert_cmpuint (limit, ==, 10);
  root = parse_json (f->run.out);
  entry = json_array_get_object_element (json_node_get_array (root), 1);
  g_assert_cmpstr (json_object_get_string_member (entry, "time"), ==, "2024-05-01T12:01:00.000000Z");
  g_assert_cmpstr (json_object_get_string_member (entry, "result"), ==, "denied");

  vmgrctl (f, "audit");
  g_assert_cmpint (f->run.status, ==, VMGRCTL_EXIT_OK);
  g_assert_true (g_str_has_prefix (f->run.out, "TIME  "));
  /* The fake answers QueryAudit only: no verb, name or changes. */
  g_assert_nonnull (strstr (f->run.out, "  bob   -     org.vmgr.vm.control-any  db      denied   -        not an administrator\n"));
}

/* ---- customers ---- */

static void
test_customers (Fixture *f, gconstpointer data)
{
  g_autoptr(JsonNode) root = NULL;
  JsonObject *alice;

  vmgrctl (f, "customers");
  assert_ok (f);
  g_assert_cmpstr (f->run.out, ==,
                   " UID  USER   NAME           EMAIL              PLAN   VMS  SUSPENDED\n"
                   "1000  alice  Alice Example  alice@example.org  small  2/3  no\n");
  vmgrctl (f, "customers", "--json");
  assert_ok (f);
  root = parse_json (f->run.out);
  alice = json_array_get_object_element (json_node_get_array (root), 0);
  g_assert_cmpint (json_object_get_int_member (alice, "uid"), ==, 1000);
  g_assert_cmpstr (json_object_get_string_member (alice, "national_id"), ==, "A-1");
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (alice, "quota"),
                                               "memory"), ==, 4 * GiB);
}

static void
test_customer_show (Fixture *f, gconstpointer data)
{
  g_autoptr(JsonNode) root = NULL;

  vmgrctl (f, "customer", "show", "1000");
  assert_ok (f);
  g_assert_cmpstr (f->run.out, ==,
                   "User:          alice (uid 1000)\n"
                   "Name:          Alice Example\n"
                   "Email:         alice@example.org\n"
                   "Phone:         -\n"
                   "Address:       -\n"
                   "Province:      -\n"
                   "National id:   A-1\n"
                   "Plan:          small\n"
                   "Max VMs:       3\n"
                   "Max snapshots: unlimited\n"
                   "Suspended:     no\n"
                   "Quota:\n"
                   "  VMs:         3\n"
                   "  vCPUs:       4\n"
                   "  Memory:      4.0 GiB\n"
                   "  Disk:        unlimited\n"
                   "Allocated:\n"
                   "  VMs:         2\n"
                   "  vCPUs:       3\n"
                   "  Memory:      1.5 GiB\n"
                   "  Disk:        20 GiB\n");
  vmgrctl (f, "customer", "show", "1000", "--json");
  assert_ok (f);
  root = parse_json (f->run.out);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (root), "email"), ==,
                   "alice@example.org");

  vmgrctl (f, "customer", "show", "4242");
  g_assert_cmpint (f->run.status, ==, VMGRCTL_EXIT_NOT_FOUND);
  g_assert_cmpstr (f->run.err, ==,
                   "vmgrctl: cannot find customer '4242': no customer with uid 4242\n");
}

static void
test_customer_add (Fixture *f, gconstpointer data)
{
  g_autoptr(GVariant) info = NULL;
  const char *text;
  guint32 uid, max_vms;
  guint64 max_memory;

  vmgrctl (f, "customer", "add", "0", "--name", "Root Example", "--email", "root@example.org",
           "--national-id", "R-0", "--max-vms", "2", "--max-memory", "8G");
  assert_ok (f);
  g_assert_cmpstr (f->run.out, ==, "");
  g_assert_cmpstr (f->fake->last_method, ==, "AddCustomer");
  g_variant_get (f->fake->last_args, "(u@a{sv})", &uid, &info);
  g_assert_cmpuint (uid, ==, 0);
  g_assert_cmpuint (g_variant_n_children (info), ==, 5);
  g_assert_true (g_variant_lookup (info, "full_name", "&s", &text));
  g_assert_cmpstr (text, ==, "Root Example");
  g_assert_true (g_variant_lookup (info, "national_id", "&s", &text));
  g_assert_true (g_variant_lookup (info, "max_vms", "u", &max_vms));
  g_assert_cmpuint (max_vms, ==, 2);
  g_assert_true (g_variant_lookup (info, "max_memory", "t", &max_memory));
  g_assert_cmpuint (max_memory, ==, 8 * GiB);
  g_assert_nonnull (fake_vmgrd_get_customer (f->fake, 0));

  vmgrctl (f, "customer", "add", "root", "--name", "R", "--email", "r@example.org",
           "--national-id", "R-0");
  g_assert_cmpint (f->run.status, ==, VMGRCTL_EXIT_ALREADY_EXISTS);
  g_assert_cmpstr (f->run.err, ==,
                   "vmgrctl: cannot add customer 'root': That user is a customer already.\n");
}

static void
test_customer_changes (Fixture *f, gconstpointer data)
{
  VmgrDBusCustomer *alice = fake_vmgrd_get_customer (f->fake, 1000);
  g_autoptr(GVariant) info = NULL;
  const char *email;

  vmgrctl (f, "customer", "update", "1000", "--email", "a@example.net");
  assert_ok (f);
  g_assert_cmpstr (f->fake->last_method, ==, "Update");
  g_variant_get (f->fake->last_args, "(@a{sv})", &info);
  g_assert_cmpuint (g_variant_n_children (info), ==, 1);
  g_assert_true (g_variant_lookup (info, "email", "&s", &email));
  g_assert_cmpstr (email, ==, "a@example.net");

  vmgrctl (f, "customer", "suspend", "1000", "--reason", "unpaid invoice");
  assert_ok (f);
  g_assert_true (vmgr_dbus_customer_get_suspended (alice));
  g_assert_cmpstr (vmgr_dbus_customer_get_suspend_reason (alice), ==, "unpaid invoice");
  vmgrctl (f, "customer", "show", "1000");
  g_assert_nonnull (strstr (f->run.out, "\nSuspended:     yes (unpaid invoice)\n"));
  vmgrctl (f, "customer", "unsuspend", "1000");
  assert_ok (f);
  g_assert_false (vmgr_dbus_customer_get_suspended (alice));

  vmgrctl (f, "customer", "remove", "1000");
  assert_ok (f);
  g_assert_null (fake_vmgrd_get_customer (f->fake, 1000));
  vmgrctl (f, "customer", "remove", "1000");
  g_assert_cmpint (f->run.status, ==, VMGRCTL_EXIT_NOT_FOUND);
  g_assert_cmpstr (f->run.err, ==,
                   "vmgrctl: cannot remove customer '1000': no customer with uid 1000\n");
}

/* The names vmgrctl shows are accepted back, though the users exist only
 * for vmgrd (the fake's alice is no user of this host). */
static void
test_names_vmgrd_knows (Fixture *f, gconstpointer data)
{
  guint32 uid = 0;

  if (getpwnam ("alice") != NULL)
    {
      g_test_skip ("this host has a user alice");
      return;
    }
  vmgrctl (f, "customer", "show", "alice");
  assert_ok (f);
  g_assert_true (g_str_has_prefix (f->run.out, "User:          alice (uid 1000)\n"));

  vmgrctl (f, "chown", "web", "alice");
  assert_ok (f);
  g_assert_cmpstr (f->fake->last_method, ==, "SetOwner");
  g_variant_get (f->fake->last_args, "(u)", &uid);
  g_assert_cmpuint (uid, ==, 1000);

  vmgrctl (f, "create", "mine", "--template", "debian-12", "--plan", "small", "--owner", "alice");
  assert_ok (f);
  g_assert_cmpstr (f->fake->last_method, ==, "CreateVM");

  vmgrctl (f, "chown", "web", "nobody-anywhere");
  g_assert_cmpint (f->run.status, ==, VMGRCTL_EXIT_INVALID_ARGUMENT);
  g_assert_cmpstr (f->run.err, ==, "vmgrctl: chown: no user named 'nobody-anywhere' on this host, "
                                   "nor a customer or VM owner of that name in vmgrd\n");
}

/* ---- domains vmgr does not manage ---- */

static void
test_unmanaged (Fixture *f, gconstpointer data)
{
  g_autoptr(JsonNode) root = NULL;
  JsonObject *legacy;

  vmgrctl (f, "unmanaged");
  g_assert_cmpint (f->run.status, ==, VMGRCTL_EXIT_OK);
  g_assert_cmpstr (f->run.out, ==,
                   "DOMAIN  UUID                                  STATE     MEMORY  VCPUS\n"
                   "legacy  6695eb01-f6a4-8304-79aa-97f2502e193f  running  2.0 GiB      2\n");
  vmgrctl (f, "unmanaged", "--json");
  root = parse_json (f->run.out);
  legacy = json_array_get_object_element (json_node_get_array (root), 0);
  g_assert_cmpstr (json_object_get_string_member (legacy, "name"), ==, "legacy");
  g_assert_cmpint (json_object_get_int_member (legacy, "vcpus"), ==, 2);
}

static void
test_adopt (Fixture *f, gconstpointer data)
{
  g_autoptr(GVariant) options = NULL;
  const char *domain, *name, *plan;
  guint32 owner;

  vmgrctl (f, "adopt", "legacy", "--name", "old-web", "--owner", "0", "--plan", "small");
  g_assert_cmpint (f->run.status, ==, VMGRCTL_EXIT_OK);
  g_assert_cmpstr (f->run.out, ==, "/org/vmgr/vm/150\n");
  g_assert_cmpstr (f->fake->last_method, ==, "AdoptVM");
  g_variant_get (f->fake->last_args, "(&s&s@a{sv})", &domain, &name, &options);
  g_assert_cmpstr (domain, ==, "legacy");
  g_assert_cmpstr (name, ==, "old-web");
  g_assert_true (g_variant_lookup (options, "owner", "u", &owner));
  g_assert_cmpuint (owner, ==, 0);
  g_assert_true (g_variant_lookup (options, "plan", "&s", &plan));
  g_assert_cmpstr (plan, ==, "small");
  g_assert_false (g_variant_lookup (options, "id", "u", &owner));

  vmgrctl (f, "adopt", "nothing-such");
  g_assert_cmpint (f->run.status, ==, VMGRCTL_EXIT_NOT_FOUND);
  vmgrctl (f, "adopt", "legacy", "--id", "many");
  g_assert_cmpint (f->run.status, ==, VMGRCTL_EXIT_USAGE);
}

int
main (int argc, char **argv)
{
  fixture_test_init (&argc, &argv);

  add_test ("/vmgrctl/fake/templates", test_templates);
  add_test ("/vmgrctl/fake/template-add", test_template_add);
  add_test ("/vmgrctl/fake/plans", test_plans);
  add_test ("/vmgrctl/fake/audit", test_audit);
  add_test ("/vmgrctl/fake/customers", test_customers);
  add_test ("/vmgrctl/fake/customer-show", test_customer_show);
  add_test ("/vmgrctl/fake/customer-add", test_customer_add);
  add_test ("/vmgrctl/fake/customer-changes", test_customer_changes);
  add_test ("/vmgrctl/fake/names-vmgrd-knows", test_names_vmgrd_knows);
  add_test ("/vmgrctl/fake/unmanaged", test_unmanaged);
  add_test ("/vmgrctl/fake/adopt", test_adopt);

  return g_test_run ();
}
