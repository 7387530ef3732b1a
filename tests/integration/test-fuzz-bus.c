/* A D-Bus fuzzer against vmgrd, as each test identity: calls built from
 * the interfaces' introspection data (the generated code's and the
 * standard Properties, Introspectable, Peer and ObjectManager), with
 * well-typed random values, wrong signatures, unknown paths, interfaces
 * and members, file descriptors, deep variants, large arrays and long
 * strings. Every call is checked:
 *
 *  - vmgrd stays on the bus (the owner of org.vmgr keeps its unique name:
 *    vmgrd starts itself again when GDBus closes its connection, which
 *    would show as a new name);
 *  - it answers within its bound (the polkit bound of the configuration
 *    plus slack);
 *  - errors are org.vmgr.Error.* or org.freedesktop.DBus.Error.*, and a
 *    reply has the member's out signature;
 *  - for customers and strangers, a call on another tenant's object is
 *    answered exactly like the same call on a missing one (error name and
 *    message, with the path replaced), and views (lists, ObjectManager,
 *    introspection) name none of their objects.
 *
 * Around each identity's run: the store is unchanged by customers' and
 * strangers' calls (its tables compared, read-only with sqlite; new audit
 * rows are the caller's own and name no foreign object), its integrity
 * check passes, vmgrd's log has no CRITICAL and no GLib warning, and
 * vmgrd holds no more descriptors than before.
 *
 * The calls run in a worker: this program again (--worker), started as
 * the identity with setpriv; the five identities also run all at once.
 *
 *   VMGR_FUZZ_SEED=S     the seed (default below; printed)
 *   VMGR_FUZZ_CALLS=N    calls per identity (default: a CI-sized run)
 *   VMGR_FUZZ_ONLY=I     only call I (replay), printed in full with its answer
 *
 * Call I of an identity depends only on the seed, the identity and I, so
 * a failure printed as "VMGR_FUZZ_SEED=S VMGR_FUZZ_ONLY=I ... -p PATH"
 * replays that call alone. */
#include <gio/gunixfdlist.h>
#include <glib/gstdio.h>
#include <math.h>
#include <sqlite3.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "vmgr-test-client.h"
#include "vmgr-test-env.h"

#define DEFAULT_SEED G_GUINT64_CONSTANT (20261215)
#define DEFAULT_CALLS 4000
#define TOGETHER_DIVISOR 4
#define AUTH_TIMEOUT_MS 2000
#define SLACK_MS 2500
/* Slower when vmgrd runs under valgrind. */
#define VALGRIND_FACTOR 8

#define MiB (G_GUINT64_CONSTANT (1) << 20)

static VmgrTestDaemon *vmgrd;
static char *self_path;

/* ---- Identities and the objects they call -------------------------------- */

typedef enum { PRIVILEGED, CUSTOMER, STRANGER } Kind;

typedef struct {
  const char *name;
  guint uid;
  Kind kind;
} Identity;

static const Identity identities[] = {
  { "alice", VMGR_TEST_UID_ALICE, CUSTOMER },
  { "bob", VMGR_TEST_UID_BOB, CUSTOMER },
  { "mallory", VMGR_TEST_UID_MALLORY, STRANGER },
  { "admin", VMGR_TEST_UID_ADMIN, PRIVILEGED },
  { "root", VMGR_TEST_UID_ROOT, PRIVILEGED },
};

/* The parent keeps these VMs and customers (fixed ids). */
typedef struct {
  guint32 id;
  const char *name;
  guint owner;
} FixtureVm;

static const FixtureVm fixture_vms[] = {
  { 201, "fz-root", VMGR_TEST_UID_ROOT },
  { 202, "fz-alice", VMGR_TEST_UID_ALICE },
  { 203, "fz-bob", VMGR_TEST_UID_BOB },
};
static const guint fixture_customers[] = { VMGR_TEST_UID_ALICE, VMGR_TEST_UID_BOB };

/* Never created: the fuzzer's numbers avoid them. */
#define MISSING_VM_PATH "/org/vmgr/vm/9090"
#define MISSING_CUSTOMER_PATH "/org/vmgr/customer/61234"

static gboolean
owns_path (const Identity *who, const char *path)
{
  g_autofree char *own_customer = g_strdup_printf ("/org/vmgr/customer/%u", who->uid);

  if (g_str_equal (path, own_customer))
    return TRUE;
  for (guint i = 0; i < G_N_ELEMENTS (fixture_vms); i++)
    {
      g_autofree char *vm = g_strdup_printf ("/org/vmgr/vm/%u", fixture_vms[i].id);

      if (g_str_equal (path, vm))
        return fixture_vms[i].owner == who->uid;
    }
  return FALSE;
}

/* For a customer or a stranger: the missing path a foreign @path must
 * answer like, or NULL when @path is not another tenant's object. */
static const char *
missing_twin (const Identity *who, const char *path)
{
  if (who->kind == PRIVILEGED || owns_path (who, path))
    return NULL;
  for (guint i = 0; i < G_N_ELEMENTS (fixture_vms); i++)
    {
      g_autofree char *vm = g_strdup_printf ("/org/vmgr/vm/%u", fixture_vms[i].id);

      if (g_str_equal (path, vm))
        return MISSING_VM_PATH;
    }
  for (guint i = 0; i < G_N_ELEMENTS (fixture_customers); i++)
    {
      g_autofree char *customer = g_strdup_printf ("/org/vmgr/customer/%u",
                                                   fixture_customers[i]);

      if (g_str_equal (path, customer))
        return MISSING_CUSTOMER_PATH;
    }
  return NULL;
}

/* ---- A reproducible random source: one per call ---------------------------- */

typedef struct {
  guint64 state;
} Rng;

static guint64
rng_next (Rng *rng)
{
  guint64 z = (rng->state += G_GUINT64_CONSTANT (0x9e3779b97f4a7c15));

  z = (z ^ (z >> 30)) * G_GUINT64_CONSTANT (0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * G_GUINT64_CONSTANT (0x94d049bb133111eb);
  return z ^ (z >> 31);
}

static guint
rng_below (Rng *rng, guint n)
{
  return n == 0 ? 0 : (guint) (rng_next (rng) % n);
}

static gboolean
rng_percent (Rng *rng, guint percent)
{
  return rng_below (rng, 100) < percent;
}

#define PICK(rng, array) ((array)[rng_below ((rng), G_N_ELEMENTS (array))])

static Rng
rng_for_call (guint64 seed, guint identity, guint64 index)
{
  Rng rng = { seed ^ ((guint64) identity << 56) ^ (index * G_GUINT64_CONSTANT (0x2545f4914f6cdd1d)) };

  rng_next (&rng);
  return rng;
}

/* ---- What to send ------------------------------------------------------------ */

static const char standard_xml[] =
  "<node>"
  " <interface name='org.freedesktop.DBus.Properties'>"
  "  <method name='Get'><arg type='s' direction='in'/><arg type='s' direction='in'/>"
  "   <arg type='v' direction='out'/></method>"
  "  <method name='GetAll'><arg type='s' direction='in'/>"
  "   <arg type='a{sv}' direction='out'/></method>"
  "  <method name='Set'><arg type='s' direction='in'/><arg type='s' direction='in'/>"
  "   <arg type='v' direction='in'/></method>"
  " </interface>"
  " <interface name='org.freedesktop.DBus.Introspectable'>"
  "  <method name='Introspect'><arg type='s' direction='out'/></method>"
  " </interface>"
  " <interface name='org.freedesktop.DBus.Peer'>"
  "  <method name='Ping'/>"
  "  <method name='GetMachineId'><arg type='s' direction='out'/></method>"
  " </interface>"
  " <interface name='org.freedesktop.DBus.ObjectManager'>"
  "  <method name='GetManagedObjects'><arg type='a{oa{sa{sv}}}' direction='out'/></method>"
  " </interface>"
  "</node>";

static GDBusNodeInfo *standard_node;

/* Every interface the fuzzer knows, vmgr's first. */
static GDBusInterfaceInfo *
known_interface (guint i)
{
  switch (i)
    {
    case 0: return vmgr_dbus_manager_interface_info ();
    case 1: return vmgr_dbus_vm_interface_info ();
    case 2: return vmgr_dbus_customer_interface_info ();
    case 3: return vmgr_dbus_job_interface_info ();
    default: return standard_node->interfaces[i - 4];
    }
}
#define N_VMGR_INTERFACES 4
#define N_KNOWN_INTERFACES 8

static guint
count_methods (GDBusInterfaceInfo *info)
{
  guint n = 0;

  while (info->methods != NULL && info->methods[n] != NULL)
    n++;
  return n;
}

static guint
count_properties (GDBusInterfaceInfo *info)
{
  guint n = 0;

  while (info->properties != NULL && info->properties[n] != NULL)
    n++;
  return n;
}

static char *
args_signature (GDBusArgInfo **args)
{
  GString *signature = g_string_new ("(");

  for (guint i = 0; args != NULL && args[i] != NULL; i++)
    g_string_append (signature, args[i]->signature);
  g_string_append_c (signature, ')');
  return g_string_free (signature, FALSE);
}

/* Members that remove or hand over the fixture: left out when all
 * identities run at once (an owner change would make a foreign object
 * visible in the middle of a comparison). */
static gboolean
member_disturbs_fixture (const char *member)
{
  static const char *const members[] = { "Delete", "SetOwner", "Remove", "RemovePlan",
                                         "RemoveTemplate" };

  for (guint i = 0; i < G_N_ELEMENTS (members); i++)
    if (g_strcmp0 (member, members[i]) == 0)
      return TRUE;
  return FALSE;
}

static const char *const words[] = {
  "", "basic", "complete", "professional", "debian-12", "centos-9", "ubuntu-24.04",
  "fz-root", "fz-alice", "fz-bob", "fz-new", "x", "root", "alice", "bob", "mallory",
  "vmgradmin", "101", "201", "202", "203", "0", "-1", "4294967296", "1G", "512M",
  "org.vmgr.Manager", "org.vmgr.VM", "org.vmgr.Customer", "org.vmgr.Job",
  "org.freedesktop.DBus.Properties", "org.freedesktop.DBus.Peer", "x y", "org..vmgr",
  ".org.vmgr", "org.vmgr.", "/org/vmgr/vm/203", "'; DROP TABLE vms; --", "%s%s%n%x",
  "a b", "..", "../../etc/passwd", "/etc/shadow", "\t", "\n", "\r\n", "caf\xc3\xa9",
  "\xe2\x80\xaegnp.exe", "\xf0\x9f\x98\x80", "x\x01y", "a=b", "null", "true",
  "192.0.2.1", "10.0.0.1/24", "::1", "fe80::1/64", "999.1.1.1/33", "host.example",
  "-host", "user@example.org", "@", "+54 261 555 0000", "Name", "State", "Owner",
  "Id", "Usage", "Quota", "Version", "Capabilities", "vms", "plans", "templates",
  "running", "stopped", "since", "target", "uid", "limit", "memory_limit", "vcpus",
};

static const char *const key_types[][2] = {
  { "id", "u" }, { "owner", "u" }, { "memory_guarantee", "t" },
  { "memory_soft_limit", "t" }, { "memory_limit", "t" }, { "vcpus", "u" },
  { "cpu_weight", "u" }, { "cpu_limit", "u" }, { "disk_soft_limit", "t" },
  { "disk_hard_limit", "t" }, { "hostname", "s" }, { "addresses", "as" },
  { "gateway", "s" }, { "nameservers", "as" }, { "autostart", "b" }, { "start", "b" },
  { "max_vms", "u" }, { "full_name", "s" }, { "email", "s" }, { "phone", "s" },
  { "address", "s" }, { "province", "s" }, { "national_id", "s" }, { "plan", "s" },
  { "max_vcpus", "u" }, { "max_memory", "t" }, { "max_disk", "t" }, { "os", "s" },
  { "description", "s" }, { "source", "s" }, { "since", "x" }, { "until", "x" },
  { "uid", "u" }, { "limit", "u" }, { "target", "s" },
};

static const guint64 numbers[] = {
  0, 1, 2, 3, 7, 8, 100, 101, 201, 202, 203, 255, 256, 1000, 1024, 4096, 65535, 65536,
  60001, 60002, 60003, 60004, 61234, 86400, 86401, 64 * MiB, 1024 * MiB, 4096 * MiB,
  G_MAXINT32, (guint64) G_MAXINT32 + 1, G_MAXUINT32 - 1, G_MAXUINT32,
  (guint64) G_MAXUINT32 + 1, G_MAXINT64, (guint64) G_MAXINT64 + 1, G_MAXUINT64 - 1,
  G_MAXUINT64,
};

static const char *const fixed_paths[] = {
  "/", "/org", "/org/vmgr", "/org/vmgr/Manager", "/org/vmgr/Manager/x",
  "/org/vmgr/vm", "/org/vmgr/vm/0", "/org/vmgr/vm/0201", "/org/vmgr/vm/201/x",
  "/org/vmgr/vm/4294967295", "/org/vmgr/vm/4294967296", "/org/vmgr/vmx",
  "/org/vmgr/customer", "/org/vmgr/customer/0", "/org/vmgr/customer/060002",
  "/org/vmgr/job", "/org/vmgr/job/0", "/org/vmgr/job/1", "/org/vmgr/job/2",
  "/org/freedesktop/DBus", "/org/vmgr/vm/_", "/org/vmgr/vm/1_0",
};

static const char *const tenant_paths[] = {
  "/org/vmgr/vm/201", "/org/vmgr/vm/202", "/org/vmgr/vm/203", MISSING_VM_PATH,
  "/org/vmgr/customer/60002", "/org/vmgr/customer/60003", MISSING_CUSTOMER_PATH,
};

static const char *const interface_prefixes[] = {
  "org.vmgr", "org.freedesktop.DBus", "org.vmgr.VM", "org.freedesktop.DBus.Properties",
};

static const char *const vm_paths[] = {
  "/org/vmgr/vm/201", "/org/vmgr/vm/202", "/org/vmgr/vm/203", MISSING_VM_PATH,
};

static const char *const customer_paths[] = {
  "/org/vmgr/customer/60002", "/org/vmgr/customer/60003", MISSING_CUSTOMER_PATH,
  "/org/vmgr/customer/0",
};

static const char *const job_paths[] = {
  "/org/vmgr/job/1", "/org/vmgr/job/2", "/org/vmgr/job/0", "/org/vmgr/vm/202",
};

static const char *const signatures[] = {
  "", "s", "u", "t", "b", "v", "a{sv}", "as", "ao", "(ss)", "a(sa{sv})", "h", "ah",
  "aaaaai", "(((((i)))))", "a{oa{sa{sv}}}", "g", "ay", "d", "x", "n", "q", "y",
};

static const char *const utf8_pieces[] = {
  "a", "Z", "0", "_", "-", ".", "/", " ", "'", "\"", "\\", "%", "\x7f", "\x1b",
  "\xc3\xa9", "\xe2\x80\xae", "\xef\xbb\xbf", "\xf0\x9f\x98\x80", "\xe4\xb8\xad",
  "\xc2\xa0",
};

static char *
random_string (Rng *rng)
{
  GString *text;
  guint length;

  if (rng_percent (rng, 55))
    return g_strdup (PICK (rng, words));
  switch (rng_below (rng, 10))
    {
    case 0: length = 255 + rng_below (rng, 3); break;
    case 1: length = 4096; break;
    case 2: length = rng_percent (rng, 20) ? 64 * 1024 + rng_below (rng, 400 * 1024) : 1024; break;
    default: length = rng_below (rng, 24);
    }
  text = g_string_sized_new (length + 8);
  if (length > 1024 && rng_percent (rng, 50))
    {
      char c = "aZ0 ./"[rng_below (rng, 6)];

      while (text->len < length)
        g_string_append_c (text, c);
      return g_string_free (text, FALSE);
    }
  while (text->len < length)
    g_string_append (text, PICK (rng, utf8_pieces));
  return g_string_free (text, FALSE);
}

static char *
random_name_element (Rng *rng)
{
  static const char first[] = "abcxyzABCZ_";
  static const char rest[] = "abcxyzABCZ_0189";
  GString *element = g_string_new (NULL);
  guint length = rng_percent (rng, 5) ? 60 + rng_below (rng, 60) : 1 + rng_below (rng, 8);

  g_string_append_c (element, first[rng_below (rng, sizeof first - 1)]);
  while (element->len < length)
    g_string_append_c (element, rest[rng_below (rng, sizeof rest - 1)]);
  return g_string_free (element, FALSE);
}

/* A valid interface name (2 or more elements, at most 255 bytes). */
static char *
random_interface_name (Rng *rng)
{
  GString *name = g_string_new (NULL);
  guint elements = 2 + rng_below (rng, rng_percent (rng, 10) ? 30 : 3);

  if (rng_percent (rng, 40))
    g_string_append (name, PICK (rng, interface_prefixes));
  while (elements-- > 0)
    {
      g_autofree char *element = random_name_element (rng);

      if (name->len + 1 + strlen (element) > 255)
        break;
      if (name->len > 0)
        g_string_append_c (name, '.');
      g_string_append (name, element);
    }
  if (strchr (name->str, '.') == NULL)
    g_string_append (name, ".x");
  return g_string_free (name, FALSE);
}

static char *
random_member_name (Rng *rng)
{
  static const char *const members[] = {
    "Get", "GetAll", "Set", "Introspect", "Ping", "GetMachineId", "GetManagedObjects",
    "Start", "Delete", "CreateVM", "ListVMs", "Contract", "Remove", "Cancel", "Update",
    "QueryAudit", "SetOwner", "OpenConsole", "Hello", "RequestName", "x",
  };
  g_autofree char *element = NULL;

  if (rng_percent (rng, 60))
    return g_strdup (PICK (rng, members));
  element = random_name_element (rng);
  if (rng_percent (rng, 3))
    {
      GString *longest = g_string_new (element);

      while (longest->len < 255)
        g_string_append_c (longest, 'm');
      return g_string_free (longest, FALSE);
    }
  return g_steal_pointer (&element);
}

static char *
random_object_path (Rng *rng)
{
  GString *path;
  guint elements;

  if (rng_percent (rng, 70))
    return g_strdup (rng_percent (rng, 50) ? PICK (rng, fixed_paths) : PICK (rng, tenant_paths));
  path = g_string_new (rng_percent (rng, 50) ? "/org/vmgr" : "");
  elements = rng_percent (rng, 5) ? 200 : 1 + rng_below (rng, 4);
  for (guint i = 0; i < elements; i++)
    {
      g_autofree char *element = random_name_element (rng);

      g_string_append_printf (path, "/%s", element);
    }
  return g_string_free (path, FALSE);
}

static guint64
random_number (Rng *rng)
{
  return rng_percent (rng, 60) ? PICK (rng, numbers) : rng_next (rng) >> rng_below (rng, 64);
}

/* A random D-Bus type (no maybe types, no empty structs). */
static void
append_random_type (Rng *rng, GString *type, guint depth)
{
  static const char basic[] = "ybnqiuxtdsogh";
  guint choice = depth >= 4 ? 0 : rng_below (rng, 10);

  switch (choice)
    {
    case 6:
      g_string_append_c (type, 'v');
      break;
    case 7:
      g_string_append_c (type, 'a');
      append_random_type (rng, type, depth + 1);
      break;
    case 8:
      g_string_append_c (type, '(');
      for (guint n = 1 + rng_below (rng, 3); n > 0; n--)
        append_random_type (rng, type, depth + 1);
      g_string_append_c (type, ')');
      break;
    case 9:
      g_string_append (type, "a{");
      g_string_append_c (type, basic[rng_below (rng, sizeof basic - 1)]);
      append_random_type (rng, type, depth + 1);
      g_string_append_c (type, '}');
      break;
    default:
      g_string_append_c (type, basic[rng_below (rng, sizeof basic - 1)]);
    }
}

static GVariantType *
random_type (Rng *rng)
{
  g_autoptr(GString) type = g_string_new (NULL);

  append_random_type (rng, type, 0);
  return g_variant_type_new (type->str);
}

static GVariant *random_value (Rng *rng, const GVariantType *type, guint depth);

/* a{sv} as vmgr reads them: mostly known keys, mostly of their types. */
static GVariant *
random_options (Rng *rng, guint depth)
{
  GVariantBuilder builder;
  guint n = rng_percent (rng, 3) ? 2000 : rng_below (rng, 5);

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a{sv}"));
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *key = NULL;
      const char *type_string = NULL;
      g_autoptr(GVariantType) type = NULL;

      if (rng_percent (rng, 80))
        {
          guint k = rng_below (rng, G_N_ELEMENTS (key_types));

          key = g_strdup (key_types[k][0]);
          if (rng_percent (rng, 75))
            type_string = key_types[k][1];
        }
      else
        key = random_string (rng);
      type = type_string != NULL ? g_variant_type_new (type_string) : random_type (rng);
      g_variant_builder_add (&builder, "{sv}", key, random_value (rng, type, depth + 1));
    }
  return g_variant_builder_end (&builder);
}

static GVariant *
deep_variant (Rng *rng, guint levels)
{
  GVariant *value = g_variant_new_uint32 ((guint32) rng_next (rng));

  while (levels-- > 0)
    value = g_variant_new_variant (value);
  return value;
}

static GVariant *
random_array (Rng *rng, const GVariantType *type, guint depth)
{
  const GVariantType *element = g_variant_type_element (type);
  GVariantBuilder builder;
  guint n;

  if (g_variant_type_equal (type, G_VARIANT_TYPE ("a{sv}")))
    return random_options (rng, depth);
  if (g_variant_type_equal (element, G_VARIANT_TYPE_BYTE) && rng_percent (rng, 10))
    {
      gsize size = rng_percent (rng, 20) ? 1024 * 1024 + rng_below (rng, 1024 * 1024) : rng_below (rng, 4096);
      g_autofree guint8 *bytes = g_malloc0 (size);

      for (gsize i = 0; i < size; i += 97)
        bytes[i] = (guint8) rng_next (rng);
      return g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, bytes, size, 1);
    }
  if (depth < 2 && rng_percent (rng, 3))
    n = 1000 + rng_below (rng, 20000);
  else
    n = rng_below (rng, depth > 3 ? 2 : 5);
  if (n > 100 && !g_variant_type_is_basic (element))
    n = 100;
  g_variant_builder_init (&builder, type);
  for (guint i = 0; i < n; i++)
    g_variant_builder_add_value (&builder, random_value (rng, element, depth + 1));
  return g_variant_builder_end (&builder);
}

static GVariant *
random_value (Rng *rng, const GVariantType *type, guint depth)
{
  if (g_variant_type_is_array (type))
    return random_array (rng, type, depth);
  if (g_variant_type_is_tuple (type) || g_variant_type_is_dict_entry (type))
    {
      GVariantBuilder builder;

      g_variant_builder_init (&builder, type);
      for (const GVariantType *member = g_variant_type_first (type); member != NULL;
           member = g_variant_type_next (member))
        g_variant_builder_add_value (&builder, random_value (rng, member, depth + 1));
      return g_variant_builder_end (&builder);
    }
  if (g_variant_type_is_variant (type))
    {
      g_autoptr(GVariantType) inner = NULL;

      if (depth < 3 && rng_percent (rng, 4))
        return deep_variant (rng, 16 + rng_below (rng, 48));
      inner = random_type (rng);
      return g_variant_new_variant (random_value (rng, inner, depth + 1));
    }
  switch (g_variant_type_peek_string (type)[0])
    {
    case 'b': return g_variant_new_boolean (rng_below (rng, 2));
    case 'y': return g_variant_new_byte ((guint8) random_number (rng));
    case 'n': return g_variant_new_int16 ((gint16) random_number (rng));
    case 'q': return g_variant_new_uint16 ((guint16) random_number (rng));
    case 'i': return g_variant_new_int32 ((gint32) random_number (rng));
    case 'u': return g_variant_new_uint32 ((guint32) random_number (rng));
    case 'x': return g_variant_new_int64 ((gint64) random_number (rng));
    case 't': return g_variant_new_uint64 (random_number (rng));
    case 'h': return g_variant_new_handle ((gint32) rng_below (rng, rng_percent (rng, 90) ? 4 : 1000));
    case 'd':
      {
        static const double doubles[] = { 0.0, -0.0, 1.5, -1.0, 1e308, -1e308, 1e-310 };

        if (rng_percent (rng, 10))
          return g_variant_new_double (rng_percent (rng, 50) ? INFINITY : NAN);
        return g_variant_new_double (PICK (rng, doubles));
      }
    case 'o':
      {
        g_autofree char *path = random_object_path (rng);

        return g_variant_new_object_path (path);
      }
    case 'g':
      return g_variant_new_signature (PICK (rng, signatures));
    case 's':
    default:
      {
        g_autofree char *text = random_string (rng);

        return g_variant_new_string (text);
      }
    }
}

/* A tuple of @signature's type, with random values. */
static GVariant *
random_args (Rng *rng, const char *signature)
{
  g_autoptr(GVariantType) type = g_variant_type_new (signature);

  return random_value (rng, type, 0);
}

static GVariant *
random_tuple (Rng *rng)
{
  g_autoptr(GString) signature = g_string_new ("(");

  for (guint n = rng_below (rng, 4); n > 0; n--)
    append_random_type (rng, signature, 1);
  g_string_append_c (signature, ')');
  return random_args (rng, signature->str);
}

/* The well-typed arguments, or a mutation of them. */
static GVariant *
body_for (Rng *rng, const char *signature)
{
  g_autoptr(GVariant) args = random_args (rng, signature);
  GVariantBuilder builder;
  gsize n = g_variant_n_children (args);
  guint roll = rng_below (rng, 100);

  if (roll < 62)
    return g_steal_pointer (&args);
  if (roll < 70)
    return NULL;
  if (roll < 78)
    return random_tuple (rng);
  g_variant_builder_init (&builder, G_VARIANT_TYPE_TUPLE);
  if (roll < 86 && n > 0)
    {
      /* one argument of another type */
      guint victim = rng_below (rng, n);

      for (gsize i = 0; i < n; i++)
        {
          g_autoptr(GVariant) child = g_variant_get_child_value (args, i);
          g_autoptr(GVariantType) other = random_type (rng);

          /* The builder takes a floating value and refs a full one. */
          g_variant_builder_add_value (&builder, i == victim ? random_value (rng, other, 1)
                                                              : child);
        }
      return g_variant_builder_end (&builder);
    }
  if (roll < 93 && n > 0)
    {
      /* one argument fewer */
      for (gsize i = 0; i + 1 < n; i++)
        {
          g_autoptr(GVariant) child = g_variant_get_child_value (args, i);

          g_variant_builder_add_value (&builder, child);
        }
      return g_variant_builder_end (&builder);
    }
  /* one argument more */
  for (gsize i = 0; i < n; i++)
    {
      g_autoptr(GVariant) child = g_variant_get_child_value (args, i);

      g_variant_builder_add_value (&builder, child);
    }
  {
    g_autoptr(GVariantType) extra = random_type (rng);

    g_variant_builder_add_value (&builder, random_value (rng, extra, 1));
  }
  return g_variant_builder_end (&builder);
}

typedef struct {
  gboolean signal;         /* sent as a signal to vmgrd (no answer) */
  char *path;
  char *interface;         /* NULL: none in the message */
  char *member;
  GVariant *body;          /* NULL: empty */
  guint n_fds;
  char *expected_out;      /* the reply's signature when the member is known */
  const char *twin;        /* the missing path a foreign path must answer like */
  gboolean view;           /* a list or view: must name nothing foreign */
} Call;

static void
call_free (Call *call)
{
  g_free (call->path);
  g_free (call->interface);
  g_free (call->member);
  g_clear_pointer (&call->body, g_variant_unref);
  g_free (call->expected_out);
  g_free (call);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Call, call_free)

static const char *
path_for_interface (Rng *rng, const Identity *who, const char *interface)
{
  static char own[64];

  if (g_strcmp0 (interface, "org.vmgr.Manager") == 0)
    return rng_percent (rng, 90) ? "/org/vmgr/Manager" : PICK (rng, fixed_paths);
  if (g_strcmp0 (interface, "org.vmgr.VM") == 0)
    return rng_percent (rng, 85) ? PICK (rng, vm_paths) : PICK (rng, fixed_paths);
  if (g_strcmp0 (interface, "org.vmgr.Customer") == 0)
    {
      if (rng_percent (rng, 30))
        {
          g_snprintf (own, sizeof own, "/org/vmgr/customer/%u", who->uid);
          return own;
        }
      return PICK (rng, customer_paths);
    }
  if (g_strcmp0 (interface, "org.vmgr.Job") == 0)
    return PICK (rng, job_paths);
  return NULL;
}

static gboolean
is_view_member (const char *member)
{
  static const char *const views[] = { "ListVMs", "FindVM", "ListCustomers",
                                       "GetManagedObjects", "Introspect", "GetAll" };

  for (guint i = 0; i < G_N_ELEMENTS (views); i++)
    if (g_strcmp0 (member, views[i]) == 0)
      return TRUE;
  return FALSE;
}

static gboolean is_fixture_path (const char *path);

/* A fixture VM once deleted cannot come back under its id (vmgrd never
 * gives a VM id twice), so privileged callers never delete one. */
static gboolean
deletes_fixture_vm (const Call *call)
{
  return g_strcmp0 (call->member, "Delete") == 0 && call->path != NULL &&
         is_fixture_path (call->path);
}

static Call *
generate_call (Rng *rng, const Identity *who, gboolean together)
{
  g_autoptr(Call) call = g_new0 (Call, 1);
  guint roll = rng_below (rng, 100);
  GDBusInterfaceInfo *iface = NULL;
  GDBusMethodInfo *method = NULL;
  const char *path = NULL;

  if (roll < 45)
    iface = known_interface (rng_below (rng, N_VMGR_INTERFACES));
  else if (roll < 80)
    iface = known_interface (N_VMGR_INTERFACES + rng_below (rng, N_KNOWN_INTERFACES - N_VMGR_INTERFACES));
  if (iface != NULL)
    {
      call->interface = g_strdup (iface->name);
      if (count_methods (iface) > 0 && rng_percent (rng, 95))
        {
          method = iface->methods[rng_below (rng, count_methods (iface))];
          call->member = g_strdup (method->name);
        }
      else
        call->member = random_member_name (rng);
      path = path_for_interface (rng, who, iface->name);
    }
  else
    {
      if (roll < 92)
        call->interface = random_interface_name (rng);
      call->member = random_member_name (rng);
      if (call->interface == NULL)
        {
          /* without an interface: a member some interface has */
          GDBusInterfaceInfo *some = known_interface (rng_below (rng, N_KNOWN_INTERFACES));

          if (count_methods (some) > 0 && rng_percent (rng, 80))
            {
              g_free (call->member);
              call->member = g_strdup (some->methods[rng_below (rng, count_methods (some))]->name);
            }
        }
    }
  call->path = path != NULL && rng_percent (rng, 90) ? g_strdup (path) : random_object_path (rng);
  call->signal = rng_percent (rng, 3);

  if (method != NULL)
    {
      g_autofree char *in = args_signature (method->in_args);

      if (g_str_equal (iface->name, "org.freedesktop.DBus.Properties") && rng_percent (rng, 85))
        {
          /* an interface and a property from what exists, mostly */
          GDBusInterfaceInfo *about = known_interface (rng_below (rng, N_KNOWN_INTERFACES));
          g_autofree char *interface_name = rng_percent (rng, 80) ? g_strdup (about->name)
                                                                   : random_string (rng);
          g_autofree char *property = NULL;
          guint n = count_properties (about);

          property = n > 0 && rng_percent (rng, 80) ? g_strdup (about->properties[rng_below (rng, n)]->name)
                                                    : random_string (rng);
          if (g_str_equal (method->name, "GetAll"))
            call->body = g_variant_new ("(s)", interface_name);
          else if (g_str_equal (method->name, "Get"))
            call->body = g_variant_new ("(ss)", interface_name, property);
          else
            {
              g_autoptr(GVariantType) type = random_type (rng);

              call->body = g_variant_new ("(ssv)", interface_name, property,
                                          random_value (rng, type, 1));
            }
          if (rng_percent (rng, 10))
            {
              g_clear_pointer (&call->body, g_variant_unref);
              call->body = body_for (rng, in);
            }
        }
      else
        call->body = body_for (rng, in);
      call->expected_out = args_signature (method->out_args);
    }
  else
    call->body = rng_percent (rng, 30) ? NULL : random_tuple (rng);
  if (call->body != NULL)
    g_variant_ref_sink (call->body);
  if (call->body != NULL && g_variant_n_children (call->body) == 0 && rng_percent (rng, 50))
    g_clear_pointer (&call->body, g_variant_unref);
  if (rng_percent (rng, 6))
    call->n_fds = 1 + rng_below (rng, 3);
  call->twin = call->signal ? NULL : missing_twin (who, call->path);
  call->view = is_view_member (call->member);
  if (who->kind == PRIVILEGED &&
      ((together && member_disturbs_fixture (call->member)) || deletes_fixture_vm (call)))
    {
      g_free (call->member);
      call->member = g_strdup ("Ping");
      g_free (call->interface);
      call->interface = g_strdup ("org.freedesktop.DBus.Peer");
      g_clear_pointer (&call->body, g_variant_unref);
      g_clear_pointer (&call->expected_out, g_free);
      call->expected_out = g_strdup ("()");
    }
  return g_steal_pointer (&call);
}

/* Whether GDBus reads back what it wrote of this message. The bus
 * forwards some valid messages GDBus then fails to decode (a GLib bug in
 * gdbusmessage.c; e.g. a Ping with the body (<@a{sa(g)} {'': [('aaaai',),
 * ('v',)]}>,)): vmgrd's GDBus closes the connection and vmgrd starts again,
 * under a new name. Such bodies are counted and not sent, unless
 * VMGR_FUZZ_SEND_UNDECODABLE is set; any other message that takes vmgrd
 * off the bus fails the run. */
static gboolean
gdbus_reads_back (GDBusMessage *message, char **why)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDBusMessage) back = NULL;
  g_autofree guchar *blob = NULL;
  gsize size = 0;

  g_dbus_message_set_serial (message, 1);
  blob = g_dbus_message_to_blob (message, &size, G_DBUS_CAPABILITY_FLAGS_UNIX_FD_PASSING, &error);
  if (blob == NULL)
    return TRUE;   /* not sent at all: GDBus refuses it on our side */
  back = g_dbus_message_new_from_blob (blob, size, G_DBUS_CAPABILITY_FLAGS_UNIX_FD_PASSING, &error);
  if (back != NULL)
    return TRUE;
  *why = g_strdup (error->message);
  return FALSE;
}

static char *
describe_call (const Call *call, gsize max_body)
{
  g_autofree char *body = call->body != NULL ? g_variant_print (call->body, TRUE) : g_strdup ("(no body)");

  if (strlen (body) > max_body)
    {
      gsize total = strlen (body);

      body[max_body] = '\0';
      return g_strdup_printf ("%s %s %s.%s %s %s... (%" G_GSIZE_FORMAT " characters)%s",
                              call->signal ? "signal" : "call", call->path,
                              call->interface != NULL ? call->interface : "(no interface)",
                              call->member,
                              call->body != NULL ? g_variant_get_type_string (call->body) : "",
                              body, total, call->n_fds > 0 ? " with fds" : "");
    }
  return g_strdup_printf ("%s %s %s.%s %s %s%s", call->signal ? "signal" : "call", call->path,
                          call->interface != NULL ? call->interface : "(no interface)",
                          call->member,
                          call->body != NULL ? g_variant_get_type_string (call->body) : "",
                          body, call->n_fds > 0 ? " with fds" : "");
}

/* ---- The worker: sending and checking ------------------------------------- */

typedef struct {
  const Identity *who;
  guint identity;
  guint64 seed;
  gboolean together;
  guint bound_ms;
  GDBusConnection *bus;
  char *vmgrd_name;
  guint failures;
  guint sent;
  guint compared;
  guint reconnects;
  guint local_refusals;
  guint undecodable;
  gboolean send_undecodable;
  GHashTable *answers;     /* error name or "ok" -> count */
  gint64 slowest_ms;
} Worker;

static GUnixFDList *
make_fds (guint n)
{
  GUnixFDList *list = g_unix_fd_list_new ();

  for (guint i = 0; i < n; i++)
    {
      int fd = i == 1 ? open ("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
                      : open ("/dev/null", O_RDWR | O_CLOEXEC);

      g_unix_fd_list_append (list, fd, NULL);
      close (fd);
    }
  return list;
}

static GDBusMessage *
make_message (const Call *call, const char *path)
{
  GDBusMessage *message;

  if (call->signal)
    {
      message = g_dbus_message_new_signal (path, call->interface != NULL ? call->interface : "org.vmgr.x",
                                           call->member);
      g_dbus_message_set_destination (message, VMGR_TEST_BUS_NAME);
    }
  else
    {
      message = g_dbus_message_new ();
      g_dbus_message_set_message_type (message, G_DBUS_MESSAGE_TYPE_METHOD_CALL);
      g_dbus_message_set_destination (message, VMGR_TEST_BUS_NAME);
      g_dbus_message_set_path (message, path);
      if (call->interface != NULL)
        g_dbus_message_set_interface (message, call->interface);
      g_dbus_message_set_member (message, call->member);
    }
  if (call->body != NULL)
    g_dbus_message_set_body (message, call->body);
  if (call->n_fds > 0)
    {
      g_autoptr(GUnixFDList) fds = make_fds (call->n_fds);

      g_dbus_message_set_unix_fd_list (message, fds);
    }
  return message;
}

typedef struct {
  gboolean sent;           /* FALSE: refused on our side */
  char *error_name;        /* NULL: a method return (or nothing, for a signal) */
  char *text;              /* the error's message, or the reply body */
  char *signature;
  gint64 elapsed_ms;
} Answer;

static void
answer_clear (Answer *answer)
{
  g_free (answer->error_name);
  g_free (answer->text);
  g_free (answer->signature);
  memset (answer, 0, sizeof *answer);
}

static void
ensure_connected (Worker *worker)
{
  if (worker->bus != NULL && !g_dbus_connection_is_closed (worker->bus))
    return;
  if (worker->bus != NULL)
    worker->reconnects++;
  g_clear_object (&worker->bus);
  worker->bus = vmgr_test_connect_system ();
}

static void
send_call (Worker *worker, const Call *call, const char *path, Answer *answer)
{
  g_autoptr(GDBusMessage) message = make_message (call, path);
  g_autoptr(GDBusMessage) reply = NULL;
  g_autoptr(GError) error = NULL;
  gint64 start = g_get_monotonic_time ();

  memset (answer, 0, sizeof *answer);
  ensure_connected (worker);
  if (call->signal)
    {
      answer->sent = g_dbus_connection_send_message (worker->bus, message,
                                                     G_DBUS_SEND_MESSAGE_FLAGS_NONE, NULL,
                                                     &error);
      if (!answer->sent)
        answer->text = g_strdup (error->message);
      return;
    }
  reply = g_dbus_connection_send_message_with_reply_sync (worker->bus, message,
                                                          G_DBUS_SEND_MESSAGE_FLAGS_NONE,
                                                          worker->bound_ms + 10000, NULL,
                                                          NULL, &error);
  answer->elapsed_ms = (g_get_monotonic_time () - start) / 1000;
  if (reply == NULL)
    {
      /* Not sent (GDBus refused the message, or the bus closed our
       * connection for it), or no answer in time. */
      answer->sent = g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
      answer->error_name = g_strdup (answer->sent ? "(timed out)" : "(not sent)");
      answer->text = g_strdup (error->message);
      return;
    }
  answer->sent = TRUE;
  answer->signature = g_strdup_printf ("(%s)", g_dbus_message_get_signature (reply) != NULL
                                                 ? g_dbus_message_get_signature (reply) : "");
  if (g_dbus_message_get_message_type (reply) == G_DBUS_MESSAGE_TYPE_ERROR)
    {
      GVariant *body = g_dbus_message_get_body (reply);

      answer->error_name = g_strdup (g_dbus_message_get_error_name (reply));
      if (body != NULL && g_variant_is_of_type (body, G_VARIANT_TYPE ("(s)")))
        g_variant_get (body, "(s)", &answer->text);
      else
        answer->text = g_strdup ("");
    }
  else
    {
      GVariant *body = g_dbus_message_get_body (reply);

      answer->text = body != NULL ? g_variant_print (body, FALSE) : g_strdup ("()");
    }
}

static void
fail (Worker *worker, guint64 index, const Call *call, const char *format, ...) G_GNUC_PRINTF (4, 5);

static void
fail (Worker *worker, guint64 index, const Call *call, const char *format, ...)
{
  va_list ap;
  g_autofree char *what = NULL;
  g_autofree char *described = describe_call (call, 300);

  va_start (ap, format);
  what = g_strdup_vprintf (format, ap);
  va_end (ap);
  worker->failures++;
  g_print ("FAIL #%" G_GUINT64_FORMAT " as %s: %s\n  %s\n  replay: VMGR_FUZZ_SEED=%" G_GUINT64_FORMAT
           " VMGR_FUZZ_ONLY=%" G_GUINT64_FORMAT " VMGR_BUILD_ROOT=$PWD/build tests/harness/testbus.sh"
           " -- build/tests/integration/test-fuzz-bus -p /fuzz-bus/%s\n",
           index, worker->who->name, what, described, worker->seed, index,
           worker->together ? "together" : worker->who->name);
}

static gboolean
error_name_allowed (const char *name)
{
  static const char *const broken[] = {
    /* the bus's words for a peer that went away or never answered */
    "org.freedesktop.DBus.Error.NoReply", "org.freedesktop.DBus.Error.Disconnected",
    "org.freedesktop.DBus.Error.ServiceUnknown", "org.freedesktop.DBus.Error.NameHasNoOwner",
    "org.freedesktop.DBus.Error.Timeout", "org.freedesktop.DBus.Error.TimedOut",
  };

  for (guint i = 0; i < G_N_ELEMENTS (broken); i++)
    if (g_str_equal (name, broken[i]))
      return FALSE;
  return g_str_has_prefix (name, "org.vmgr.Error.") ||
         g_str_has_prefix (name, "org.freedesktop.DBus.Error.");
}

static char *
replace_all (const char *text, const char *from, const char *to)
{
  g_auto(GStrv) parts = g_strsplit (text, from, -1);

  return g_strjoinv (to, parts);
}

/* Foreign objects of the fixture, as a view would name them. */
static gboolean
view_names_foreign (const Worker *worker, const char *text)
{
  for (guint i = 0; i < G_N_ELEMENTS (fixture_vms); i++)
    {
      g_autofree char *path = g_strdup_printf ("/org/vmgr/vm/%u'", fixture_vms[i].id);
      g_autofree char *node = g_strdup_printf ("name=\\\"%u\\\"", fixture_vms[i].id);
      g_autofree char *name = g_strdup_printf ("'%s'", fixture_vms[i].name);

      if (fixture_vms[i].owner == worker->who->uid)
        continue;
      if (strstr (text, path) != NULL || strstr (text, node) != NULL || strstr (text, name) != NULL)
        return TRUE;
    }
  for (guint i = 0; i < G_N_ELEMENTS (fixture_customers); i++)
    {
      g_autofree char *path = g_strdup_printf ("/org/vmgr/customer/%u'", fixture_customers[i]);

      if (fixture_customers[i] != worker->who->uid && strstr (text, path) != NULL)
        return TRUE;
    }
  return FALSE;
}

static void
count_answer (Worker *worker, const Answer *answer)
{
  const char *key = answer->error_name != NULL ? answer->error_name : "(reply)";
  gpointer count = g_hash_table_lookup (worker->answers, key);

  g_hash_table_insert (worker->answers, g_strdup (key), GUINT_TO_POINTER (GPOINTER_TO_UINT (count) + 1));
}

static void
check_answer (Worker *worker, guint64 index, const Call *call, const Answer *answer)
{
  if (call->signal || !answer->sent)
    return;
  count_answer (worker, answer);
  worker->slowest_ms = MAX (worker->slowest_ms, answer->elapsed_ms);
  if (answer->elapsed_ms > worker->bound_ms)
    fail (worker, index, call, "answered after %" G_GINT64_FORMAT " ms (bound %u ms)",
          answer->elapsed_ms, worker->bound_ms);
  if (answer->error_name != NULL)
    {
      if (!error_name_allowed (answer->error_name))
        fail (worker, index, call, "error %s: %s", answer->error_name, answer->text);
      return;
    }
  if (call->expected_out != NULL && call->interface != NULL &&
      !g_str_equal (call->expected_out, answer->signature))
    fail (worker, index, call, "reply of signature %s, expected %s", answer->signature,
          call->expected_out);
  if (worker->who->kind != PRIVILEGED && call->view && view_names_foreign (worker, answer->text))
    fail (worker, index, call, "a view names another tenant's object: %.400s", answer->text);
}

static void
check_still_there (Worker *worker, guint64 index, const Call *call)
{
  g_autofree char *owner = NULL;

  ensure_connected (worker);
  owner = vmgr_test_name_owner (worker->bus);
  if (g_strcmp0 (owner, worker->vmgrd_name) == 0)
    return;
  fail (worker, index, call, "vmgrd left the bus: org.vmgr was %s, now %s", worker->vmgrd_name,
        owner != NULL ? owner : "(nobody)");
  /* Wait for it to come back (vmgrd starts itself again), to go on. */
  for (guint i = 0; i < 100 && owner == NULL; i++)
    {
      g_usleep (100 * 1000);
      g_free (owner);
      owner = vmgr_test_name_owner (worker->bus);
    }
  g_free (worker->vmgrd_name);
  worker->vmgrd_name = g_steal_pointer (&owner);
}

static void
compare_twins (Worker *worker, guint64 index, const Call *call, const Answer *foreign,
               const Answer *missing)
{
  g_autofree char *expected_text = NULL;

  if (!foreign->sent || !missing->sent)
    return;
  worker->compared++;
  expected_text = foreign->text != NULL ? replace_all (foreign->text, call->path, call->twin) : NULL;
  if (g_strcmp0 (foreign->error_name, missing->error_name) != 0 ||
      g_strcmp0 (expected_text, missing->text) != 0)
    fail (worker, index, call,
          "another tenant's object answers unlike a missing one:\n"
          "    on %s: %s: %.300s\n    on %s: %s: %.300s",
          call->path, foreign->error_name != NULL ? foreign->error_name : "reply",
          foreign->text, call->twin, missing->error_name != NULL ? missing->error_name : "reply",
          missing->text);
}

static void
run_one (Worker *worker, guint64 index, gboolean verbose)
{
  Rng rng = rng_for_call (worker->seed, worker->identity, index);
  g_autoptr(Call) call = generate_call (&rng, worker->who, worker->together);
  Answer answer, twin;

  {
    g_autoptr(GDBusMessage) probe = make_message (call, call->path);
    g_autofree char *why = NULL;

    if (!gdbus_reads_back (probe, &why))
      {
        g_autofree char *described = describe_call (call, 200);

        if (worker->undecodable++ < 3 || verbose)
          g_print ("NOTE #%" G_GUINT64_FORMAT " as %s: GDBus cannot read back its own encoding"
                   " of this message (%s)%s: %s\n", index, worker->who->name, why,
                   worker->send_undecodable ? "; sent anyway" : "; not sent", described);
        if (!worker->send_undecodable)
          return;
      }
  }
  if (verbose)
    {
      g_autofree char *described = describe_call (call, G_MAXSIZE);

      g_print ("#%" G_GUINT64_FORMAT " as %s: %s\n", index, worker->who->name, described);
    }
  send_call (worker, call, call->path, &answer);
  worker->sent++;
  if (!answer.sent && !call->signal)
    worker->local_refusals++;
  if (verbose)
    g_print ("  answer after %" G_GINT64_FORMAT " ms: %s: %s\n", answer.elapsed_ms,
             answer.error_name != NULL ? answer.error_name : "reply",
             answer.text != NULL ? answer.text : "");
  check_answer (worker, index, call, &answer);
  if (call->twin != NULL)
    {
      send_call (worker, call, call->twin, &twin);
      if (verbose)
        g_print ("  on %s: %s: %s\n", call->twin, twin.error_name != NULL ? twin.error_name : "reply",
                 twin.text != NULL ? twin.text : "");
      check_answer (worker, index, call, &twin);
      compare_twins (worker, index, call, &answer, &twin);
      answer_clear (&twin);
    }
  check_still_there (worker, index, call);
  answer_clear (&answer);
}

static guint64
env_number (const char *name, guint64 fallback)
{
  const char *value = g_getenv (name);

  return value != NULL && *value != '\0' ? g_ascii_strtoull (value, NULL, 0) : fallback;
}

static int
run_worker (const char *identity_name, gboolean together, guint64 calls)
{
  Worker worker = { 0 };
  const char *only = g_getenv ("VMGR_FUZZ_ONLY");
  g_autoptr(GString) summary = g_string_new (NULL);
  GHashTableIter iter;
  gpointer key, value;
  gint64 start = g_get_monotonic_time ();

  for (guint i = 0; i < G_N_ELEMENTS (identities); i++)
    if (g_str_equal (identities[i].name, identity_name))
      {
        worker.who = &identities[i];
        worker.identity = i;
      }
  g_assert_nonnull (worker.who);
  standard_node = g_dbus_node_info_new_for_xml (standard_xml, NULL);
  g_assert_nonnull (standard_node);
  worker.seed = env_number ("VMGR_FUZZ_SEED", DEFAULT_SEED);
  worker.together = together;
  worker.send_undecodable = g_getenv ("VMGR_FUZZ_SEND_UNDECODABLE") != NULL;
  g_assert_cmpuint (getuid (), ==, worker.who->uid);
  worker.bound_ms = (guint) env_number ("VMGR_FUZZ_BOUND_MS", AUTH_TIMEOUT_MS + SLACK_MS);
  worker.answers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  ensure_connected (&worker);
  worker.vmgrd_name = vmgr_test_name_owner (worker.bus);
  g_assert_nonnull (worker.vmgrd_name);

  if (only != NULL && *only != '\0')
    run_one (&worker, g_ascii_strtoull (only, NULL, 10), TRUE);
  else
    for (guint64 i = 0; i < calls; i++)
      run_one (&worker, i, FALSE);

  g_hash_table_iter_init (&iter, worker.answers);
  while (g_hash_table_iter_next (&iter, &key, &value))
    g_string_append_printf (summary, " %s=%u", (const char *) key, GPOINTER_TO_UINT (value));
  g_print ("SUMMARY as %s: %u messages in %.1f s, %u foreign/missing pairs compared, "
           "%u refused by GDBus or the bus before vmgrd, %u GDBus could not read back, "
           "%u reconnections, slowest answer %" G_GINT64_FORMAT " ms, %u failures; answers:%s\n",
           worker.who->name, worker.sent, (g_get_monotonic_time () - start) / 1e6,
           worker.compared, worker.local_refusals, worker.undecodable, worker.reconnects, worker.slowest_ms,
           worker.failures, summary->str);
  g_hash_table_unref (worker.answers);
  g_free (worker.vmgrd_name);
  g_clear_object (&worker.bus);
  g_dbus_node_info_unref (standard_node);
  return worker.failures == 0 ? 0 : 1;
}

/* ---- The parent: fixture, store snapshots, log, descriptors ---------------- */

static char *
vm_path (guint32 id)
{
  return g_strdup_printf ("/org/vmgr/vm/%u", id);
}

static void
ensure_customer (VmgrTestClient *root, guint uid)
{
  g_autofree char *path = g_strdup_printf ("/org/vmgr/customer/%u", uid);
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;
  GVariantDict info;

  /* One VM at most, which it has: Contract can never succeed. */
  g_variant_dict_init (&info, NULL);
  g_variant_dict_insert (&info, "full_name", "s", "Fuzz Customer");
  g_variant_dict_insert (&info, "email", "s", "fuzz@example.org");
  g_variant_dict_insert_value (&info, "national_id",
                               g_variant_new_take_string (g_strdup_printf ("FZ-%u", uid)));
  g_variant_dict_insert (&info, "plan", "s", "basic");
  g_variant_dict_insert (&info, "max_vms", "u", 1);
  reply = vmgr_test_call (root, "/org/vmgr/Manager", "org.vmgr.Manager", "AddCustomer",
                     g_variant_new ("(u@a{sv})", uid, g_variant_dict_end (&info)), &error);
  if (error != NULL)
    {
      g_clear_error (&error);
      g_variant_dict_init (&info, NULL);
      g_variant_dict_insert (&info, "plan", "s", "basic");
      g_variant_dict_insert (&info, "max_vms", "u", 1);
      g_clear_pointer (&reply, g_variant_unref);
      reply = vmgr_test_call (root, path, "org.vmgr.Customer", "Update",
                         g_variant_new ("(@a{sv})", g_variant_dict_end (&info)), &error);
      g_assert_no_error (error);
      g_clear_pointer (&reply, g_variant_unref);
      reply = vmgr_test_call (root, path, "org.vmgr.Customer", "Unsuspend", NULL, NULL);
    }
}

static char *
vm_name_at (VmgrTestClient *root, const char *path)
{
  g_autoptr(GVariant) reply = vmgr_test_call (root, path, "org.freedesktop.DBus.Properties", "Get",
                                         g_variant_new ("(ss)", "org.vmgr.VM", "Name"), NULL);
  g_autoptr(GVariant) value = NULL;

  if (reply == NULL)
    return NULL;
  g_variant_get (reply, "(v)", &value);
  return g_variant_dup_string (value, NULL);
}

static guint
vm_owner_at (VmgrTestClient *root, const char *path)
{
  g_autoptr(GVariant) reply = vmgr_test_call (root, path, "org.freedesktop.DBus.Properties", "Get",
                                         g_variant_new ("(ss)", "org.vmgr.VM", "Owner"), NULL);
  g_autoptr(GVariant) value = NULL;

  g_assert_nonnull (reply);
  g_variant_get (reply, "(v)", &value);
  return g_variant_get_uint32 (value);
}

/* A running VM is stopped first: vmgrd refuses to delete it up. */
static void
delete_vm (VmgrTestClient *root, const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) stopped = vmgr_test_call (root, path, "org.vmgr.VM", "Stop", NULL, NULL);
  g_autoptr(GVariant) reply = NULL;

  if (stopped != NULL)
    {
      g_autoptr(VmgrDBusVM) vm = vmgr_test_client_vm (root, path);

      g_assert_true (vmgr_test_wait_state (vm, "stopped", 10000));
    }
  reply = vmgr_test_call (root, path, "org.vmgr.VM", "Delete", NULL, &error);
  g_assert_no_error (error);
}

static gboolean
is_fixture_path (const char *path)
{
  for (guint i = 0; i < G_N_ELEMENTS (fixture_vms); i++)
    {
      g_autofree char *fixture = vm_path (fixture_vms[i].id);

      if (g_str_equal (path, fixture))
        return TRUE;
    }
  return FALSE;
}

/* What the privileged runs may have changed, put back: the default plan
 * and template, the fixture's VMs with their owners, its customers (no
 * other), and no other VM. */
static void
ensure_fixture (void)
{
  g_autoptr(VmgrTestClient) root = vmgr_test_client_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autofree const char **paths = NULL;
  GVariantDict plan;

  g_variant_dict_init (&plan, NULL);
  g_variant_dict_insert (&plan, "memory_limit", "t", 64 * MiB);
  g_variant_dict_insert (&plan, "disk_hard_limit", "t", 1024 * MiB);
  g_variant_dict_insert (&plan, "vcpus", "u", 1);
  reply = vmgr_test_call (root, "/org/vmgr/Manager", "org.vmgr.Manager", "SetPlan",
                     g_variant_new ("(s@a{sv})", "basic", g_variant_dict_end (&plan)), &error);
  g_assert_no_error (error);
  g_clear_pointer (&reply, g_variant_unref);
  reply = vmgr_test_call (root, "/org/vmgr/Manager", "org.vmgr.Manager", "AddTemplate",
                     g_variant_new_parsed ("('debian-12', @a{sv} {})"), NULL);
  g_clear_pointer (&reply, g_variant_unref);

  /* Customers may own several VMs meanwhile. */
  for (guint i = 0; i < G_N_ELEMENTS (fixture_customers); i++)
    {
      g_autofree char *path = g_strdup_printf ("/org/vmgr/customer/%u", fixture_customers[i]);
      g_autoptr(GVariant) raised G_GNUC_UNUSED = vmgr_test_call (root, path, "org.vmgr.Customer", "Update",
                                              g_variant_new_parsed ("({'max_vms': <uint32 100>},)"),
                                              NULL);
    }
  vmgr_dbus_manager_call_list_vms_sync (root->manager, (char ***) &paths, NULL, &error);
  g_assert_no_error (error);
  for (guint i = 0; paths[i] != NULL; i++)
    if (!is_fixture_path (paths[i]))
      delete_vm (root, paths[i]);
  g_strfreev ((char **) g_steal_pointer (&paths));
  for (guint i = 0; i < G_N_ELEMENTS (fixture_vms); i++)
    {
      g_autofree char *path = vm_path (fixture_vms[i].id);
      g_autofree char *name = vm_name_at (root, path);
      g_autofree char *created = NULL;
      GVariantDict options;

      if (g_strcmp0 (name, fixture_vms[i].name) == 0)
        {
          if (vm_owner_at (root, path) != fixture_vms[i].owner)
            {
              g_clear_pointer (&reply, g_variant_unref);
              reply = vmgr_test_call (root, path, "org.vmgr.VM", "SetOwner",
                                 g_variant_new ("(u)", fixture_vms[i].owner), &error);
              g_assert_no_error (error);
            }
          continue;
        }
      if (name != NULL)
        delete_vm (root, path);
      g_variant_dict_init (&options, NULL);
      g_variant_dict_insert (&options, "id", "u", fixture_vms[i].id);
      g_variant_dict_insert (&options, "owner", "u", fixture_vms[i].owner);
      created = vmgr_test_create_vm (root, fixture_vms[i].name, "debian-12", "basic",
                                     g_variant_dict_end (&options));
      g_assert_cmpstr (created, ==, path);
    }
  g_clear_pointer (&reply, g_variant_unref);
  reply = vmgr_test_call (root, "/org/vmgr/Manager", "org.vmgr.Manager", "ListCustomers", NULL, &error);
  g_assert_no_error (error);
  {
    g_autoptr(GVariantIter) iter = NULL;
    const char *path;

    g_variant_get (reply, "(ao)", &iter);
    while (g_variant_iter_next (iter, "&o", &path))
      {
        gboolean keep = FALSE;

        for (guint i = 0; i < G_N_ELEMENTS (fixture_customers); i++)
          {
            g_autofree char *fixture = g_strdup_printf ("/org/vmgr/customer/%u",
                                                        fixture_customers[i]);

            keep |= g_str_equal (path, fixture);
          }
        if (!keep)
          {
            g_autoptr(GVariant) removed G_GNUC_UNUSED = vmgr_test_call (root, path, "org.vmgr.Customer", "Remove",
                                                     NULL, &error);

            g_assert_no_error (error);
          }
      }
  }
  for (guint i = 0; i < G_N_ELEMENTS (fixture_customers); i++)
    ensure_customer (root, fixture_customers[i]);
}

/* The store's tables as text, read-only; the audit table's rows after
 * *@audit_after (its highest id is stored there when it is 0). */
static char *
store_snapshot (gint64 *last_audit)
{
  g_autofree char *path = g_build_filename (vmgr_test_daemon_get_state_dir (vmgrd), "vmgr.db", NULL);
  g_autofree char *uri = g_strdup_printf ("file:%s?mode=ro", path);
  static const char *const tables[] = { "vms", "templates", "plans", "customers" };
  GString *text = g_string_new (NULL);
  sqlite3 *db = NULL;

  g_assert_cmpint (sqlite3_open_v2 (uri, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL), ==,
                   SQLITE_OK);
  sqlite3_busy_timeout (db, 5000);
  for (guint t = 0; t < G_N_ELEMENTS (tables); t++)
    {
      g_autofree char *sql = g_strdup_printf ("SELECT * FROM %s ORDER BY rowid", tables[t]);
      sqlite3_stmt *stmt = NULL;

      g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
      g_string_append_printf (text, "-- %s\n", tables[t]);
      while (sqlite3_step (stmt) == SQLITE_ROW)
        {
          for (int c = 0; c < sqlite3_column_count (stmt); c++)
            g_string_append_printf (text, "%s%s=%s", c > 0 ? "|" : "", sqlite3_column_name (stmt, c),
                                    (const char *) sqlite3_column_text (stmt, c));
          g_string_append_c (text, '\n');
        }
      sqlite3_finalize (stmt);
    }
  {
    sqlite3_stmt *stmt = NULL;

    g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT id, uid, action, target, result FROM audit"
                                             " WHERE id > ?1 ORDER BY id", -1, &stmt, NULL), ==, SQLITE_OK);
    sqlite3_bind_int64 (stmt, 1, *last_audit);
    g_string_append (text, "-- audit\n");
    while (sqlite3_step (stmt) == SQLITE_ROW)
      {
        *last_audit = MAX (*last_audit, sqlite3_column_int64 (stmt, 0));
        g_string_append_printf (text, "%s|%s|%s|%s\n", (const char *) sqlite3_column_text (stmt, 1),
                                (const char *) sqlite3_column_text (stmt, 2),
                                (const char *) sqlite3_column_text (stmt, 3),
                                (const char *) sqlite3_column_text (stmt, 4));
      }
    sqlite3_finalize (stmt);
  }
  {
    sqlite3_stmt *stmt = NULL;

    g_assert_cmpint (sqlite3_prepare_v2 (db, "PRAGMA integrity_check", -1, &stmt, NULL), ==, SQLITE_OK);
    g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
    g_assert_cmpstr ((const char *) sqlite3_column_text (stmt, 0), ==, "ok");
    sqlite3_finalize (stmt);
  }
  sqlite3_close (db);
  return g_string_free (text, FALSE);
}

/* The tables but the audit rows (everything before "-- audit\n"). */
static char *
tables_part (const char *snapshot)
{
  const char *audit = strstr (snapshot, "-- audit\n");

  return g_strndup (snapshot, audit - snapshot);
}

static void
check_new_audit_rows (const Identity *who, const char *snapshot)
{
  g_auto(GStrv) lines = g_strsplit (strstr (snapshot, "-- audit\n") + strlen ("-- audit\n"), "\n", -1);
  g_autofree char *uid = g_strdup_printf ("%u|", who->uid);
  guint rows = 0;

  for (char **line = lines; *line != NULL && **line != '\0'; line++, rows++)
    {
      g_auto(GStrv) fields = g_strsplit (*line, "|", 4);
      const char *target = fields[2];

      if (!g_str_has_prefix (*line, uid))
        {
          g_test_message ("an audit row of another uid after %s's calls: %s", who->name, *line);
          g_test_fail ();
        }
      if ((g_str_has_prefix (target, "/org/vmgr/vm/") || g_str_has_prefix (target, "/org/vmgr/customer/")) &&
          !owns_path (who, target))
        {
          g_test_message ("an audit row of %s names an object it may not see: %s", who->name, *line);
          g_test_fail ();
        }
    }
  g_test_message ("%u new audit rows, all %s's and about its own objects", rows, who->name);
}

static guint
count_daemon_fds (void)
{
  g_autofree char *dir_path = g_strdup_printf ("/proc/%d/fd", (int) vmgr_test_daemon_get_pid (vmgrd));
  g_autoptr(GDir) dir = g_dir_open (dir_path, 0, NULL);
  guint n = 0;

  g_assert_nonnull (dir);
  while (g_dir_read_name (dir) != NULL)
    n++;
  return n;
}

static goffset
log_size (void)
{
  GStatBuf st;

  return g_stat (vmgr_test_daemon_get_log_path (vmgrd), &st) == 0 ? st.st_size : 0;
}

/* CRITICALs of any domain and GLib's own warnings since @from. */
static void
check_log_since (goffset from)
{
  g_autofree char *contents = NULL;
  gsize length = 0;
  g_auto(GStrv) lines = NULL;
  guint vmgr_warnings = 0;

  g_assert_true (g_file_get_contents (vmgr_test_daemon_get_log_path (vmgrd), &contents, &length, NULL));
  lines = g_strsplit (contents + MIN ((gsize) from, length), "\n", -1);
  for (char **line = lines; *line != NULL; line++)
    {
      if (strstr (*line, "-CRITICAL **") != NULL ||
          (strstr (*line, "GLib") != NULL && strstr (*line, "-WARNING **") != NULL))
        {
          g_test_message ("vmgrd's log: %s", *line);
          g_test_fail ();
        }
      else if (strstr (*line, "-WARNING **") != NULL && vmgr_warnings++ < 10)
        g_test_message ("vmgrd warned (its own, allowed): %s", *line);
    }
}

static char *
current_owner (void)
{
  g_autoptr(VmgrTestClient) root = vmgr_test_client_new ();

  return vmgr_test_name_owner (root->bus);
}

static GSubprocess *
spawn_worker (const Identity *who, gboolean together, guint64 calls)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GSubprocessLauncher) launcher =
    g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_MERGE);
  GSubprocess *process;

  if (who->uid != 0)
    {
      g_ptr_array_add (argv, g_strdup ("setpriv"));
      g_ptr_array_add (argv, g_strdup_printf ("--reuid=%u", who->uid));
      g_ptr_array_add (argv, g_strdup_printf ("--regid=%u", who->uid));
      g_ptr_array_add (argv, g_strdup ("--init-groups"));
      g_ptr_array_add (argv, g_strdup ("--"));
    }
  g_ptr_array_add (argv, g_strdup (self_path));
  g_ptr_array_add (argv, g_strdup (together ? "--worker-together" : "--worker"));
  g_ptr_array_add (argv, g_strdup (who->name));
  g_ptr_array_add (argv, g_strdup_printf ("%" G_GUINT64_FORMAT, calls));
  g_ptr_array_add (argv, NULL);
  g_subprocess_launcher_set_cwd (launcher, "/");
  process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);
  return process;
}

/* Waits for the worker, passes its report on; whether it found nothing. */
static gboolean
finish_worker (GSubprocess *process, const Identity *who)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_auto(GStrv) lines = NULL;

  g_subprocess_communicate_utf8 (process, NULL, NULL, &out, NULL, &error);
  g_assert_no_error (error);
  lines = g_strsplit (out != NULL ? out : "", "\n", -1);
  for (char **line = lines; *line != NULL; line++)
    if (**line != '\0')
      g_test_message ("%s", *line);
  if (g_subprocess_get_if_exited (process) && g_subprocess_get_exit_status (process) == 0)
    return TRUE;
  g_test_message ("the worker as %s found failures (exit status %d)", who->name,
                  g_subprocess_get_if_exited (process) ? g_subprocess_get_exit_status (process)
                                                       : 128 + g_subprocess_get_term_sig (process));
  return FALSE;
}

static guint64
calls_per_identity (void)
{
  return env_number ("VMGR_FUZZ_CALLS", DEFAULT_CALLS);
}

typedef struct {
  goffset log_from;
  guint fds;
  char *owner;
} Watch;

static void
watch_begin (Watch *watch)
{
  watch->log_from = log_size ();
  watch->fds = count_daemon_fds ();
  watch->owner = current_owner ();
  g_assert_nonnull (watch->owner);
}

static void
watch_end (Watch *watch)
{
  g_autofree char *owner = current_owner ();
  guint fds;

  if (g_strcmp0 (owner, watch->owner) != 0)
    {
      g_test_message ("org.vmgr was %s, now %s: vmgrd left the bus", watch->owner, owner);
      g_test_fail ();
    }
  if (!vmgr_test_daemon_is_running (vmgrd))
    {
      g_test_message ("vmgrd is gone; starting it again for the next tests");
      g_test_fail ();
      vmgr_test_daemon_restart (vmgrd);
    }
  /* A moment for connections of the workers to be closed. */
  g_usleep (300 * 1000);
  fds = count_daemon_fds ();
  g_test_message ("vmgrd holds %u descriptors (%u before)", fds, watch->fds);
  if (fds > watch->fds + 4)
    {
      g_test_message ("vmgrd holds %u descriptors, %u before: a leak", fds, watch->fds);
      g_test_fail ();
    }
  check_log_since (watch->log_from);
  g_free (watch->owner);
}

static void
test_identity (gconstpointer data)
{
  const Identity *who = data;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  gint64 last_audit = 0;
  Watch watch;
  GSubprocess *process;

  ensure_fixture ();
  g_test_message ("seed %" G_GUINT64_FORMAT ", %" G_GUINT64_FORMAT " calls as %s",
                  env_number ("VMGR_FUZZ_SEED", DEFAULT_SEED), calls_per_identity (), who->name);
  before = store_snapshot (&last_audit);
  watch_begin (&watch);
  process = spawn_worker (who, FALSE, calls_per_identity ());
  if (!finish_worker (process, who))
    g_test_fail ();
  g_object_unref (process);
  watch_end (&watch);
  after = store_snapshot (&last_audit);
  if (who->kind != PRIVILEGED)
    {
      g_autofree char *tables_before = tables_part (before);
      g_autofree char *tables_after = tables_part (after);

      if (g_strcmp0 (tables_before, tables_after) != 0)
        {
          g_test_message ("the store changed under %s's calls:\n--- before\n%s--- after\n%s",
                          who->name, tables_before, tables_after);
          g_test_fail ();
        }
      check_new_audit_rows (who, after);
    }
}

/* Every identity at once: answers stay within the bound under load. */
static void
test_together (void)
{
  GSubprocess *processes[G_N_ELEMENTS (identities)];
  guint64 calls = MAX (calls_per_identity () / TOGETHER_DIVISOR, 1);
  gint64 last_audit = 0;
  g_autofree char *snapshot = NULL;
  Watch watch;

  ensure_fixture ();
  watch_begin (&watch);
  for (guint i = 0; i < G_N_ELEMENTS (identities); i++)
    processes[i] = spawn_worker (&identities[i], TRUE, calls);
  for (guint i = 0; i < G_N_ELEMENTS (identities); i++)
    {
      if (!finish_worker (processes[i], &identities[i]))
        g_test_fail ();
      g_object_unref (processes[i]);
    }
  watch_end (&watch);
  snapshot = store_snapshot (&last_audit);
  ensure_fixture ();
}

int
main (int argc, char **argv)
{
  int status;
  g_autofree char *daemon_config = NULL;

  if (argc == 4 && (g_str_equal (argv[1], "--worker") || g_str_equal (argv[1], "--worker-together")))
    return run_worker (argv[2], g_str_equal (argv[1], "--worker-together"),
                       g_ascii_strtoull (argv[3], NULL, 10));
  self_path = g_file_read_link ("/proc/self/exe", NULL);
  g_test_init (&argc, &argv, NULL);
  if (g_getenv ("VMGR_TEST_DAEMON_WRAPPER") != NULL && g_getenv ("VMGR_FUZZ_BOUND_MS") == NULL)
    {
      g_autofree char *bound = g_strdup_printf ("%d", (AUTH_TIMEOUT_MS + SLACK_MS) * VALGRIND_FACTOR);

      g_setenv ("VMGR_FUZZ_BOUND_MS", bound, TRUE);
    }
  g_test_message ("VMGR_FUZZ_SEED=%" G_GUINT64_FORMAT " VMGR_FUZZ_CALLS=%" G_GUINT64_FORMAT,
                  env_number ("VMGR_FUZZ_SEED", DEFAULT_SEED), calls_per_identity ());
  for (guint i = 0; i < G_N_ELEMENTS (identities); i++)
    {
      g_autofree char *path = g_strdup_printf ("/fuzz-bus/%s", identities[i].name);

      g_test_add_data_func (path, &identities[i], test_identity);
    }
  g_test_add_func ("/fuzz-bus/together", test_together);
  daemon_config = g_strdup_printf ("[auth]\ntimeout_ms=%d\n", AUTH_TIMEOUT_MS);
  status = vmgr_test_run_with_daemon (daemon_config, ensure_fixture, &vmgrd);
  g_free (self_path);
  return status;
}
