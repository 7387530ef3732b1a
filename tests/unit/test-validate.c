/* Unit tests for vmgr-validate.c (names, addresses, option dictionaries,
 * specs and plans) and vmgr-config.c (the daemon's key file). */
#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "unit-helpers.h"
#include "vmgr-build-config.h"
#include "vmgr-config.h"
#include "vmgr-error.h"
#include "vmgr-limits.h"
#include "vmgr-records.h"
#include "vmgr-validate.h"

#define KIB G_GUINT64_CONSTANT (1024)
#define MIB (KIB * 1024)
#define GIB (MIB * 1024)

#define VMGR_FIELDS_ALL (VMGR_FIELDS_CREATE | VMGR_FIELD_MAX_VMS)

/* --- helpers ------------------------------------------------------------ */

/* @error is VMGR_ERROR_INVALID_ARGUMENT and its message contains @part. */
static void
assert_invalid (const GError *error, const char *part)
{
  g_assert_nonnull (error);
  g_assert_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_ARGUMENT);
  if (strstr (error->message, part) == NULL)
    g_error ("error message \"%s\" does not contain \"%s\"", error->message, part);
}

static VmgrOptions *
parse_options (const char *text, VmgrFields allowed, GError **error)
{
  g_autoptr(GVariant) dict = parse_dict (text);

  return vmgr_options_parse (dict, allowed, error);
}

static VmgrOptions *
parse_options_ok (const char *text, VmgrFields allowed)
{
  g_autoptr(GError) error = NULL;
  VmgrOptions *options = parse_options (text, allowed, &error);

  g_assert_no_error (error);
  g_assert_nonnull (options);
  return options;
}

static char *
repeat_char (char c, gsize n)
{
  char *s = g_malloc (n + 1);

  memset (s, c, n);
  s[n] = '\0';
  return s;
}

/* --- names -------------------------------------------------------------- */

static void
test_name_valid (void)
{
  static const char * const names[] = {
    "a", "A", "web1", "0a", "9lives", "a_b", "a.b", "a-b", "db.example.com",
    "1-2", "1.0", "x-", "x.", "web_01.prod-eu", NULL,
  };
  g_autofree char *longest = repeat_char ('n', VMGR_NAME_MAX);

  for (guint i = 0; names[i] != NULL; i++)
    {
      g_autoptr(GError) error = NULL;

      if (!vmgr_validate_name (names[i], "VM name", &error))
        g_error ("'%s' refused: %s", names[i], error->message);
    }
  g_assert_true (vmgr_validate_name (longest, "VM name", NULL));
  /* @what may be NULL. */
  g_assert_true (vmgr_validate_name ("ok", NULL, NULL));
}

static void
test_name_invalid (void)
{
  static const struct {
    const char *name;
    const char *part;
  } cases[] = {
    { "", "invalid VM name ''" },
    { "-a", "invalid VM name '-a'" },
    { ".a", "starting with a letter or digit" },
    { "_a", "starting with a letter or digit" },
    { "a b", "invalid VM name 'a b'" },
    { "a/b", "invalid VM name 'a/b'" },
    { "a:b", "invalid VM name 'a:b'" },
    { "a@b", "invalid VM name 'a@b'" },
    { "caf\xc3\xa9", "invalid VM name 'caf\xc3\xa9'" },
    { "\xc3\xa9t\xc3\xa9", "invalid VM name" },
    { "a\nb", "invalid VM name 'a\\nb'" },
    { "a\tb", "invalid VM name" },
    { "bad\xff", "invalid VM name 'bad\\377'" },
    { "0", "must not be all digits" },
    { "123", "invalid VM name '123': a name must not be all digits" },
    { "0101", "must not be all digits" },
  };
  g_autofree char *too_long = repeat_char ('n', VMGR_NAME_MAX + 1);
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) case_error = NULL;

      g_autofree char *escaped = g_strescape (cases[i].name, NULL);

      g_test_message ("name '%s'", escaped);
      g_assert_false (vmgr_validate_name (cases[i].name, "VM name", &case_error));
      assert_invalid (case_error, cases[i].part);
    }

  g_assert_false (vmgr_validate_name (too_long, "VM name", &error));
  assert_invalid (error, "use 1 to 63 letters");
  g_clear_error (&error);

  g_assert_false (vmgr_validate_name (NULL, "template name", &error));
  assert_invalid (error, "invalid template name ''");
  g_clear_error (&error);

  /* The contract's example message, whole. */
  g_assert_false (vmgr_validate_name ("a b", "VM name", &error));
  g_assert_cmpstr (error->message, ==,
                   "invalid VM name 'a b': use 1 to 63 letters, digits, '.', "
                   "'_' or '-', starting with a letter or digit");
  g_clear_error (&error);

  /* NULL error is fine. */
  g_assert_false (vmgr_validate_name ("a b", "VM name", NULL));
}

static void
test_name_long_value_shortened (void)
{
  g_autofree char *huge = repeat_char ('-', 10000);
  g_autoptr(GError) error = NULL;

  g_assert_false (vmgr_validate_name (huge, "VM name", &error));
  assert_invalid (error, "...'");
  g_assert_cmpuint (strlen (error->message), <, 300);
}

/* --- host names --------------------------------------------------------- */

static void
test_hostname (void)
{
  static const char * const valid[] = {
    "", "a", "web-1", "example.com", "a.b.c", "xn--bcher-kva.example",
    "UPPER.Case", "1.2.3.4", "0", "a1-b2.c3", NULL,
  };
  static const struct {
    const char *hostname;
    const char *part;
  } invalid[] = {
    { "-a", "starts or ends with '-'" },
    { "a-", "starts or ends with '-'" },
    { "a.-b", "starts or ends with '-'" },
    { "a..b", "empty label" },
    { ".a", "empty label" },
    { "a.", "empty label" },
    { ".", "empty label" },
    { "a_b", "only letters, digits, '-' and '.'" },
    { "a b", "invalid hostname 'a b'" },
    { "caf\xc3\xa9.com", "only letters, digits" },
    { "a/b", "only letters" },
  };
  g_autofree char *label63 = repeat_char ('a', 63);
  g_autofree char *label64 = repeat_char ('a', 64);
  g_autofree char *label61 = repeat_char ('b', 61);
  g_autofree char *long_ok = g_strjoin (".", label63, label63, label63, label61, NULL);
  g_autofree char *too_long = g_strconcat (long_ok, "c", NULL);
  g_autoptr(GError) error = NULL;

  for (guint i = 0; valid[i] != NULL; i++)
    {
      g_autoptr(GError) case_error = NULL;

      if (!vmgr_validate_hostname (valid[i], &case_error))
        g_error ("'%s' refused: %s", valid[i], case_error->message);
    }
  g_assert_true (vmgr_validate_hostname (NULL, NULL));

  for (guint i = 0; i < G_N_ELEMENTS (invalid); i++)
    {
      g_autoptr(GError) case_error = NULL;

      g_test_message ("hostname '%s'", invalid[i].hostname);
      g_assert_false (vmgr_validate_hostname (invalid[i].hostname, &case_error));
      assert_invalid (case_error, invalid[i].part);
      assert_invalid (case_error, "invalid hostname");
    }

  g_assert_cmpuint (strlen (long_ok), ==, 253);
  g_assert_true (vmgr_validate_hostname (long_ok, NULL));
  g_assert_true (vmgr_validate_hostname (label63, NULL));

  g_assert_false (vmgr_validate_hostname (too_long, &error));
  assert_invalid (error, "longer than 253 characters");
  g_clear_error (&error);

  g_assert_false (vmgr_validate_hostname (label64, &error));
  assert_invalid (error, "longer than 63 characters");
  g_clear_error (&error);
}

/* --- IP and CIDR addresses ---------------------------------------------- */

static void
test_ip (void)
{
  static const char * const valid[] = {
    "192.0.2.1", "0.0.0.0", "255.255.255.255", "10.0.0.1", "::", "::1",
    "2001:db8::1", "fe80::1", "::ffff:192.0.2.1",
    "2001:0db8:0000:0000:0000:0000:0000:0001", "2001:DB8::A", NULL,
  };
  static const char * const invalid[] = {
    "", "256.0.0.1", "1.2.3", "1.2.3.4.5", "01.2.3.4", " 1.2.3.4", "1.2.3.4 ",
    "fe80::1%eth0", "fe80::1%1", "[::1]", "example.com", "2001:db8::1::2",
    "1.2.3.4/24", "::g", "-1.2.3.4", "0x01.2.3.4", NULL,
  };
  g_autoptr(GError) error = NULL;

  for (guint i = 0; valid[i] != NULL; i++)
    {
      g_autoptr(GError) case_error = NULL;

      if (!vmgr_validate_ip (valid[i], "address", &case_error))
        g_error ("'%s' refused: %s", valid[i], case_error->message);
    }
  for (guint i = 0; invalid[i] != NULL; i++)
    {
      g_autoptr(GError) case_error = NULL;
      g_test_message ("ip '%s'", invalid[i]);
      g_assert_false (vmgr_validate_ip (invalid[i], "gateway address", &case_error));
      assert_invalid (case_error, "is not a valid gateway address");
    }

  g_assert_false (vmgr_validate_ip (NULL, NULL, &error));
  assert_invalid (error, "'' is not a valid IP address");
  g_clear_error (&error);

  g_assert_false (vmgr_validate_ip ("nope", "nameserver", &error));
  assert_invalid (error, "'nope' is not a valid nameserver: expected an IPv4");
}

static void
test_cidr (void)
{
  static const char * const valid[] = {
    "10.0.0.5/24", "10.0.0.0/8", "0.0.0.0/0", "192.0.2.1/32", "192.0.2.1/0",
    "2001:db8::1/64", "::/0", "::1/128", "fe80::1/10", "::ffff:10.0.0.1/96",
    NULL,
  };
  static const struct {
    const char *cidr;
    const char *part;
  } invalid[] = {
    { "10.0.0.1/33", "the prefix length must be a number from 0 to 32 for IPv4" },
    { "10.0.0.1/100", "from 0 to 32 for IPv4" },
    { "10.0.0.1/1000", "from 0 to 32" },
    { "2001:db8::1/129", "from 0 to 128 for IPv6" },
    { "10.0.0.1", "expected ADDRESS/PREFIX" },
    { "2001:db8::1", "expected ADDRESS/PREFIX" },
    { "10.0.0.1/", "prefix length" },
    { "10.0.0.1/-1", "prefix length" },
    { "10.0.0.1/+8", "prefix length" },
    { "10.0.0.1/08", "prefix length" },
    { "10.0.0.1/ 8", "prefix length" },
    { "10.0.0.1/8 ", "prefix length" },
    { "10.0.0.1/abc", "prefix length" },
    { "10.0.0.1/24/24", "'10.0.0.1/24' is not an IPv4 or IPv6 address" },
    { "/24", "'' is not an IPv4 or IPv6 address" },
    { "garbage", "expected ADDRESS/PREFIX" },
    { "garbage/24", "'garbage' is not an IPv4 or IPv6 address" },
    { "10.0.0.256/24", "is not an IPv4 or IPv6 address" },
    { "fe80::1%eth0/64", "is not an IPv4 or IPv6 address" },
    { "", "expected ADDRESS/PREFIX" },
  };
  g_autoptr(GError) error = NULL;

  for (guint i = 0; valid[i] != NULL; i++)
    {
      g_autoptr(GError) case_error = NULL;

      if (!vmgr_validate_cidr (valid[i], &case_error))
        g_error ("'%s' refused: %s", valid[i], case_error->message);
    }
  for (guint i = 0; i < G_N_ELEMENTS (invalid); i++)
    {
      g_autoptr(GError) case_error = NULL;
      g_autofree char *head = g_strdup_printf ("'%s' is not a valid CIDR address",
                                               invalid[i].cidr);

      g_test_message ("cidr '%s'", invalid[i].cidr);
      g_assert_false (vmgr_validate_cidr (invalid[i].cidr, &case_error));
      assert_invalid (case_error, head);
      assert_invalid (case_error, invalid[i].part);
    }

  g_assert_false (vmgr_validate_cidr (NULL, &error));
  assert_invalid (error, "is not a valid CIDR address");
}

/* --- option dictionaries ------------------------------------------------ */

static void
test_options_all_keys (void)
{
  g_autoptr(VmgrOptions) options = parse_options_ok (
    "{'id': <uint32 101>, 'owner': <uint32 1000>,"
    " 'memory_guarantee': <uint64 1073741824>,"
    " 'memory_soft_limit': <uint64 2147483648>,"
    " 'memory_limit': <uint64 4294967296>,"
    " 'vcpus': <uint32 4>, 'cpu_weight': <uint32 500>, 'cpu_limit': <uint32 250>,"
    " 'disk_soft_limit': <uint64 10737418240>,"
    " 'disk_hard_limit': <uint64 21474836480>,"
    " 'hostname': <'web1.example.com'>,"
    " 'addresses': <['192.0.2.10/24', '2001:db8::10/64']>,"
    " 'gateway': <'192.0.2.1'>,"
    " 'nameservers': <['192.0.2.53', '2001:db8::53']>,"
    " 'autostart': <true>, 'start': <true>, 'max_vms': <uint32 7>, 'host': <'rack2'>}",
    VMGR_FIELDS_ALL);
  const char * const addresses[] = { "192.0.2.10/24", "2001:db8::10/64", NULL };
  const char * const nameservers[] = { "192.0.2.53", "2001:db8::53", NULL };

  g_assert_cmphex (options->fields, ==, VMGR_FIELDS_ALL);
  g_assert_cmpuint (options->id, ==, 101);
  g_assert_cmpuint (options->owner, ==, 1000);
  g_assert_cmpstr (options->host, ==, "rack2");
  g_assert_cmpuint (options->memory_guarantee, ==, 1 * GIB);
  g_assert_cmpuint (options->memory_soft_limit, ==, 2 * GIB);
  g_assert_cmpuint (options->memory_limit, ==, 4 * GIB);
  g_assert_cmpuint (options->vcpus, ==, 4);
  g_assert_cmpuint (options->cpu_weight, ==, 500);
  g_assert_cmpuint (options->cpu_limit, ==, 250);
  g_assert_cmpuint (options->disk_soft_limit, ==, 10 * GIB);
  g_assert_cmpuint (options->disk_hard_limit, ==, 20 * GIB);
  g_assert_cmpstr (options->hostname, ==, "web1.example.com");
  g_assert_true (g_strv_equal ((const char * const *) options->addresses, addresses));
  g_assert_cmpstr (options->gateway, ==, "192.0.2.1");
  g_assert_true (g_strv_equal ((const char * const *) options->nameservers, nameservers));
  g_assert_true (options->autostart);
  g_assert_true (options->start);
  g_assert_cmpuint (options->max_vms, ==, 7);
}

/* Each key alone sets exactly its own bit. */
static void
test_options_each_key (void)
{
  static const struct {
    const char *text;
    VmgrFields field;
  } cases[] = {
    { "{'id': <uint32 1>}", VMGR_FIELD_ID },
    { "{'owner': <uint32 0>}", VMGR_FIELD_OWNER },
    { "{'memory_guarantee': <uint64 0>}", VMGR_FIELD_MEMORY_GUARANTEE },
    { "{'memory_soft_limit': <uint64 0>}", VMGR_FIELD_MEMORY_SOFT_LIMIT },
    { "{'memory_limit': <uint64 1>}", VMGR_FIELD_MEMORY_LIMIT },
    { "{'vcpus': <uint32 512>}", VMGR_FIELD_VCPUS },
    { "{'cpu_weight': <uint32 1>}", VMGR_FIELD_CPU_WEIGHT },
    { "{'cpu_weight': <uint32 10000>}", VMGR_FIELD_CPU_WEIGHT },
    { "{'cpu_limit': <uint32 0>}", VMGR_FIELD_CPU_LIMIT },
    { "{'disk_soft_limit': <uint64 0>}", VMGR_FIELD_DISK_SOFT_LIMIT },
    { "{'disk_hard_limit': <uint64 18446744073709551615>}", VMGR_FIELD_DISK_HARD_LIMIT },
    { "{'hostname': <''>}", VMGR_FIELD_HOSTNAME },
    { "{'addresses': <@as []>}", VMGR_FIELD_ADDRESSES },
    { "{'gateway': <''>}", VMGR_FIELD_GATEWAY },
    { "{'nameservers': <@as []>}", VMGR_FIELD_NAMESERVERS },
    { "{'autostart': <false>}", VMGR_FIELD_AUTOSTART },
    { "{'start': <false>}", VMGR_FIELD_START },
    { "{'max_vms': <uint32 0>}", VMGR_FIELD_MAX_VMS },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(VmgrOptions) options = NULL;

      g_test_message ("%s", cases[i].text);
      options = parse_options_ok (cases[i].text, cases[i].field);
      g_assert_cmphex (options->fields, ==, cases[i].field);
    }
}

static void
test_options_empty (void)
{
  g_autoptr(VmgrOptions) options = parse_options_ok ("@a{sv} {}", 0);
  g_autoptr(VmgrOptions) from_null = vmgr_options_parse (NULL, VMGR_FIELDS_ALL, NULL);
  g_autoptr(VmgrOptions) network = parse_options_ok (
    "{'addresses': <@as []>, 'nameservers': <@as []>, 'hostname': <''>,"
    " 'gateway': <''>}", VMGR_FIELDS_NETWORK);

  g_assert_cmphex (options->fields, ==, 0);
  g_assert_nonnull (from_null);
  g_assert_cmphex (from_null->fields, ==, 0);
  g_assert_cmphex (network->fields, ==, VMGR_FIELDS_NETWORK);
  g_assert_nonnull (network->addresses);
  g_assert_null (network->addresses[0]);
  g_assert_nonnull (network->nameservers);
  g_assert_null (network->nameservers[0]);
  g_assert_cmpstr (network->hostname, ==, "");
  g_assert_cmpstr (network->gateway, ==, "");
}

static void
test_options_wrong_type (void)
{
  static const struct {
    const char *key;
    const char *value;   /* GVariant text of a value of the wrong type */
    const char *expected;
    const char *given;
  } cases[] = {
    { "id", "'101'", "u", "s" },
    { "owner", "int32 1000", "u", "i" },
    { "memory_guarantee", "uint32 1", "t", "u" },
    { "memory_soft_limit", "int64 1", "t", "x" },
    { "memory_limit", "'1G'", "t", "s" },
    { "vcpus", "'4'", "u", "s" },
    { "cpu_weight", "uint64 100", "u", "t" },
    { "cpu_limit", "1.5", "u", "d" },
    { "disk_soft_limit", "true", "t", "b" },
    { "disk_hard_limit", "uint32 1", "t", "u" },
    { "hostname", "['a']", "s", "as" },
    { "addresses", "'10.0.0.1/24'", "as", "s" },
    { "gateway", "objectpath '/'", "s", "o" },
    { "nameservers", "'192.0.2.53'", "as", "s" },
    { "autostart", "uint32 1", "b", "u" },
    { "start", "'yes'", "b", "s" },
    { "max_vms", "int32 3", "u", "i" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *text = g_strdup_printf ("{'%s': <%s>}", cases[i].key,
                                               cases[i].value);
      g_autofree char *message = g_strdup_printf (
        "option '%s' must be of type '%s', not '%s'",
        cases[i].key, cases[i].expected, cases[i].given);
      g_autoptr(GError) error = NULL;
      g_autoptr(VmgrOptions) options = NULL;

      g_test_message ("%s", text);
      options = parse_options (text, VMGR_FIELDS_ALL, &error);
      g_assert_null (options);
      assert_invalid (error, message);
      g_assert_cmpstr (error->message, ==, message);
    }
}

static void
test_options_invalid_values (void)
{
  static const struct {
    const char *text;
    const char *part;
  } cases[] = {
    { "{'id': <uint32 0>}", "option 'id' must not be 0" },
    { "{'memory_limit': <uint64 0>}", "option 'memory_limit' must not be 0" },
    { "{'vcpus': <uint32 0>}", "option 'vcpus': 0 is out of range (use 1 to 512)" },
    { "{'vcpus': <uint32 513>}", "option 'vcpus': 513 is out of range (use 1 to 512)" },
    { "{'cpu_weight': <uint32 0>}", "option 'cpu_weight': 0 is out of range (use 1 to 10000)" },
    { "{'cpu_weight': <uint32 10001>}", "option 'cpu_weight': 10001 is out of range" },
    { "{'cpu_limit': <uint32 51201>}", "option 'cpu_limit': 51201 is out of range" },
    { "{'hostname': <'-bad'>}", "option 'hostname': invalid hostname '-bad'" },
    { "{'hostname': <'a..b'>}", "option 'hostname': invalid hostname 'a..b'" },
    { "{'addresses': <['10.0.0.1/33']>}",
      "option 'addresses': '10.0.0.1/33' is not a valid CIDR address" },
    { "{'addresses': <['10.0.0.1/24', '10.0.0.2']>}",
      "option 'addresses': '10.0.0.2' is not a valid CIDR address" },
    { "{'addresses': <['']>}", "option 'addresses': '' is not a valid CIDR address" },
    { "{'gateway': <'10.0.0.256'>}",
      "option 'gateway': '10.0.0.256' is not a valid gateway address" },
    { "{'gateway': <'10.0.0.1/24'>}", "option 'gateway': '10.0.0.1/24' is not a valid" },
    { "{'nameservers': <['192.0.2.53', 'dns.example']>}",
      "option 'nameservers': 'dns.example' is not a valid nameserver address" },
    { "{'nameservers': <['']>}", "option 'nameservers': '' is not a valid" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(VmgrOptions) options = NULL;

      g_test_message ("%s", cases[i].text);
      options = parse_options (cases[i].text, VMGR_FIELDS_ALL, &error);
      g_assert_null (options);
      assert_invalid (error, cases[i].part);
    }
}

static void
test_options_list_limits (void)
{
  g_autoptr(GVariantBuilder) addresses = g_variant_builder_new (G_VARIANT_TYPE_STRING_ARRAY);
  g_autoptr(GVariantBuilder) nameservers = g_variant_builder_new (G_VARIANT_TYPE_STRING_ARRAY);
  g_autoptr(GVariant) dict = NULL;
  g_autoptr(VmgrOptions) options = NULL;
  g_autoptr(GError) error = NULL;
  GVariantDict vd;

  for (guint i = 0; i < 16; i++)
    {
      g_autofree char *a = g_strdup_printf ("10.0.0.%u/24", i + 1);
      g_variant_builder_add (addresses, "s", a);
    }
  for (guint i = 0; i < 8; i++)
    {
      g_autofree char *a = g_strdup_printf ("2001:db8::%x", i + 1);
      g_variant_builder_add (nameservers, "s", a);
    }

  /* 16 addresses and 8 name servers are fine ... */
  g_variant_dict_init (&vd, NULL);
  g_variant_dict_insert_value (&vd, "addresses", g_variant_builder_end (addresses));
  g_variant_dict_insert_value (&vd, "nameservers", g_variant_builder_end (nameservers));
  dict = g_variant_ref_sink (g_variant_dict_end (&vd));
  options = vmgr_options_parse (dict, VMGR_FIELDS_NETWORK, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (options->addresses), ==, 16);
  g_assert_cmpuint (g_strv_length (options->nameservers), ==, 8);
  g_clear_pointer (&options, vmgr_options_free);
  g_clear_pointer (&dict, g_variant_unref);

  /* ... one more is not. */
  options = parse_options (
    "{'addresses': <['10.0.0.1/8', '10.0.0.2/8', '10.0.0.3/8', '10.0.0.4/8',"
    " '10.0.0.5/8', '10.0.0.6/8', '10.0.0.7/8', '10.0.0.8/8', '10.0.0.9/8',"
    " '10.0.0.10/8', '10.0.0.11/8', '10.0.0.12/8', '10.0.0.13/8', '10.0.0.14/8',"
    " '10.0.0.15/8', '10.0.0.16/8', '10.0.0.17/8']>}",
    VMGR_FIELDS_NETWORK, &error);
  g_assert_null (options);
  assert_invalid (error, "option 'addresses': at most 16 values, not 17");
  g_clear_error (&error);

  options = parse_options (
    "{'nameservers': <['::1', '::2', '::3', '::4', '::5', '::6', '::7', '::8',"
    " '::9']>}", VMGR_FIELDS_NETWORK, &error);
  g_assert_null (options);
  assert_invalid (error, "option 'nameservers': at most 8 values, not 9");
}

static void
test_options_unknown (void)
{
  static const struct {
    const char *text;
    VmgrFields allowed;
    const char *part;
  } cases[] = {
    { "{'foo': <uint32 1>}", VMGR_FIELDS_ALL, "unknown option 'foo'" },
    { "{'VCPUS': <uint32 1>}", VMGR_FIELDS_ALL, "unknown option 'VCPUS'" },
    { "{'': <uint32 1>}", VMGR_FIELDS_ALL, "unknown option ''" },
    { "{'max_vms': <uint32 1>}", VMGR_FIELDS_CREATE, "unknown option 'max_vms'" },
    { "{'id': <uint32 101>}", VMGR_FIELDS_PLAN, "unknown option 'id'" },
    { "{'start': <true>}", VMGR_FIELDS_PLAN, "unknown option 'start'" },
    { "{'hostname': <'a'>}", VMGR_FIELDS_PLAN, "unknown option 'hostname'" },
    { "{'vcpus': <uint32 1>}", VMGR_FIELDS_NETWORK, "unknown option 'vcpus'" },
    { "{'owner': <uint32 1>}", VMGR_FIELDS_NETWORK, "unknown option 'owner'" },
    { "{'vcpus': <uint32 1>}", 0, "no options are accepted here" },
    /* The accepted keys are listed. */
    { "{'foo': <1>}", VMGR_FIELDS_NETWORK,
      "unknown option 'foo' (accepted here: hostname, addresses, gateway, nameservers)" },
    /* Refused by key before its value is looked at. */
    { "{'foo': <'x'>, 'vcpus': <'bad'>}", VMGR_FIELDS_ALL, "unknown option 'foo'" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(VmgrOptions) options = NULL;

      g_test_message ("%s", cases[i].text);
      options = parse_options (cases[i].text, cases[i].allowed, &error);
      g_assert_null (options);
      assert_invalid (error, cases[i].part);
    }
}

static void
test_options_duplicate (void)
{
  g_autoptr(GVariantBuilder) builder = g_variant_builder_new (G_VARIANT_TYPE_VARDICT);
  g_autoptr(GVariant) dict = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(VmgrOptions) options = NULL;

  g_variant_builder_add (builder, "{sv}", "vcpus", g_variant_new_uint32 (2));
  g_variant_builder_add (builder, "{sv}", "memory_limit", g_variant_new_uint64 (GIB));
  g_variant_builder_add (builder, "{sv}", "vcpus", g_variant_new_uint32 (4));
  dict = g_variant_ref_sink (g_variant_builder_end (builder));

  options = vmgr_options_parse (dict, VMGR_FIELDS_ALL, &error);
  g_assert_null (options);
  assert_invalid (error, "option 'vcpus' given more than once");
}

static void
test_options_not_a_dict (void)
{
  g_autoptr(GVariant) value = g_variant_ref_sink (g_variant_new ("(u)", 1));
  g_autoptr(GError) error = NULL;
  g_autoptr(VmgrOptions) options = vmgr_options_parse (value, VMGR_FIELDS_ALL, &error);

  g_assert_null (options);
  assert_invalid (error, "options must be of type 'a{sv}', not '(u)'");
}

/* --- specs -------------------------------------------------------------- */

static VmgrPlan *
make_plan (void)
{
  VmgrPlan *plan = vmgr_plan_new ("standard");

  plan->memory_guarantee = 512 * MIB;
  plan->memory_soft_limit = 1 * GIB;
  plan->memory_limit = 2 * GIB;
  plan->vcpus = 2;
  plan->cpu_weight = 200;
  plan->cpu_limit = 150;
  plan->disk_soft_limit = 8 * GIB;
  plan->disk_hard_limit = 10 * GIB;
  plan->max_vms = 3;
  return plan;
}

static void
test_apply_plan_only (void)
{
  g_autoptr(VmgrPlan) plan = make_plan ();
  g_autoptr(VmgrVmSpec) spec = vmgr_vm_spec_new ();
  g_autoptr(GError) error = NULL;

  g_assert_true (vmgr_spec_apply (spec, plan, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (spec->memory_guarantee, ==, 512 * MIB);
  g_assert_cmpuint (spec->memory_soft_limit, ==, 1 * GIB);
  g_assert_cmpuint (spec->memory_limit, ==, 2 * GIB);
  g_assert_cmpuint (spec->vcpus, ==, 2);
  g_assert_cmpuint (spec->cpu_weight, ==, 200);
  g_assert_cmpuint (spec->cpu_limit, ==, 150);
  g_assert_cmpuint (spec->disk_soft_limit, ==, 8 * GIB);
  g_assert_cmpuint (spec->disk_hard_limit, ==, 10 * GIB);
  /* Resources only: the plan name is the caller's business. */
  g_assert_cmpstr (spec->plan, ==, "");
}

static void
test_apply_plan_and_options (void)
{
  g_autoptr(VmgrPlan) plan = make_plan ();
  g_autoptr(VmgrVmSpec) spec = vmgr_vm_spec_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(VmgrOptions) options = parse_options_ok (
    "{'id': <uint32 555>, 'owner': <uint32 1000>, 'vcpus': <uint32 4>,"
    " 'memory_limit': <uint64 4294967296>, 'cpu_limit': <uint32 400>,"
    " 'memory_soft_limit': <uint64 0>,"
    " 'hostname': <'web1'>, 'addresses': <['192.0.2.10/24']>,"
    " 'gateway': <'192.0.2.1'>, 'nameservers': <['192.0.2.53']>,"
    " 'autostart': <true>, 'start': <true>}",
    VMGR_FIELDS_CREATE);
  const char * const addresses[] = { "192.0.2.10/24", NULL };
  const char * const nameservers[] = { "192.0.2.53", NULL };

  g_assert_true (vmgr_spec_apply (spec, plan, options, &error));
  g_assert_no_error (error);
  /* Options win ... */
  g_assert_cmpuint (spec->vcpus, ==, 4);
  g_assert_cmpuint (spec->memory_limit, ==, 4 * GIB);
  g_assert_cmpuint (spec->cpu_limit, ==, 400);
  g_assert_cmpuint (spec->memory_soft_limit, ==, 0);
  /* ... the plan fills the rest. */
  g_assert_cmpuint (spec->memory_guarantee, ==, 512 * MIB);
  g_assert_cmpuint (spec->cpu_weight, ==, 200);
  g_assert_cmpuint (spec->disk_soft_limit, ==, 8 * GIB);
  g_assert_cmpuint (spec->disk_hard_limit, ==, 10 * GIB);
  /* Network, owner and autostart are copied; id is not. */
  g_assert_cmpuint (spec->id, ==, 0);
  g_assert_cmpuint (spec->owner, ==, 1000);
  g_assert_cmpstr (spec->hostname, ==, "web1");
  g_assert_true (g_strv_equal ((const char * const *) spec->addresses, addresses));
  g_assert_cmpstr (spec->gateway, ==, "192.0.2.1");
  g_assert_true (g_strv_equal ((const char * const *) spec->nameservers, nameservers));
  g_assert_true (spec->autostart);
}

static void
test_apply_defaults (void)
{
  g_autoptr(VmgrVmSpec) spec = vmgr_vm_spec_new ();
  g_autoptr(VmgrOptions) options = parse_options_ok (
    "{'memory_limit': <uint64 1073741824>}", VMGR_FIELDS_CREATE);
  g_autoptr(VmgrPlan) sparse = vmgr_plan_new ("sparse");

  g_assert_true (vmgr_spec_apply (spec, NULL, options, NULL));
  g_assert_cmpuint (spec->memory_limit, ==, GIB);
  g_assert_cmpuint (spec->vcpus, ==, 1);
  g_assert_cmpuint (spec->cpu_weight, ==, VMGR_CPU_WEIGHT_DEFAULT);
  g_assert_cmpuint (spec->cpu_limit, ==, 0);
  g_assert_cmpstr (spec->hostname, ==, "");
  g_assert_nonnull (spec->addresses);
  g_assert_nonnull (spec->nameservers);

  /* A plan's zero fields leave the spec alone. */
  sparse->memory_limit = 2 * GIB;
  g_assert_true (vmgr_spec_apply (spec, sparse, NULL, NULL));
  g_assert_cmpuint (spec->memory_limit, ==, 2 * GIB);
  g_assert_cmpuint (spec->vcpus, ==, 1);
  g_assert_cmpuint (spec->cpu_weight, ==, VMGR_CPU_WEIGHT_DEFAULT);
}

/* Options over an existing spec: clearing network settings. */
static void
test_apply_network_clear (void)
{
  g_autoptr(VmgrVmSpec) spec = vmgr_vm_spec_new ();
  g_autoptr(VmgrOptions) set = parse_options_ok (
    "{'hostname': <'h'>, 'addresses': <['10.0.0.2/8']>, 'gateway': <'10.0.0.1'>,"
    " 'nameservers': <['10.0.0.53']>}", VMGR_FIELDS_NETWORK);
  g_autoptr(VmgrOptions) clear = parse_options_ok (
    "{'hostname': <''>, 'addresses': <@as []>, 'gateway': <''>,"
    " 'nameservers': <@as []>}", VMGR_FIELDS_NETWORK);

  spec->memory_limit = GIB;
  g_assert_true (vmgr_spec_apply (spec, NULL, set, NULL));
  g_assert_cmpstr (spec->addresses[0], ==, "10.0.0.2/8");
  g_assert_true (vmgr_spec_apply (spec, NULL, clear, NULL));
  g_assert_cmpstr (spec->hostname, ==, "");
  g_assert_cmpstr (spec->gateway, ==, "");
  g_assert_nonnull (spec->addresses);
  g_assert_null (spec->addresses[0]);
  g_assert_nonnull (spec->nameservers);
  g_assert_null (spec->nameservers[0]);
}

static void
test_apply_no_memory (void)
{
  g_autoptr(VmgrVmSpec) spec = vmgr_vm_spec_new ();
  g_autoptr(VmgrOptions) options = parse_options_ok ("{'vcpus': <uint32 2>}",
                                                     VMGR_FIELDS_CREATE);
  g_autoptr(GError) error = NULL;

  g_assert_false (vmgr_spec_apply (spec, NULL, NULL, &error));
  assert_invalid (error, "no memory_limit");
  g_assert_cmpstr (error->message, ==,
                   "no memory_limit: choose a plan or give memory_limit");
  g_clear_error (&error);

  g_assert_false (vmgr_spec_apply (spec, NULL, options, &error));
  g_assert_cmpstr (error->message, ==,
                   "no memory_limit: choose a plan or give memory_limit");
  /* Unchanged on failure. */
  g_assert_cmpuint (spec->vcpus, ==, 1);
}

static void
test_apply_coherence (void)
{
  static const struct {
    const char *text;
    const char *message;  /* NULL: coherent */
  } cases[] = {
    { "{'memory_limit': <uint64 4294967296>, 'memory_guarantee': <uint64 2147483648>,"
      " 'memory_soft_limit': <uint64 1073741824>}",
      "memory_guarantee (2.0 GiB) exceeds memory_soft_limit (1.0 GiB)" },
    { "{'memory_limit': <uint64 4294967296>, 'memory_soft_limit': <uint64 8589934592>}",
      "memory_soft_limit (8.0 GiB) exceeds memory_limit (4.0 GiB)" },
    { "{'memory_limit': <uint64 1073741824>, 'memory_guarantee': <uint64 2147483648>}",
      "memory_guarantee (2.0 GiB) exceeds memory_limit (1.0 GiB)" },
    /* Rounded sizes that look equal get their bytes shown. */
    { "{'memory_limit': <uint64 4294967296>, 'memory_guarantee': <uint64 1073741825>,"
      " 'memory_soft_limit': <uint64 1073741824>}",
      "memory_guarantee (1.0 GiB (1073741825 bytes)) exceeds memory_soft_limit "
      "(1.0 GiB (1073741824 bytes))" },
    { "{'memory_limit': <uint64 1073741824>, 'vcpus': <uint32 2>, 'cpu_limit': <uint32 300>}",
      "cpu_limit 300 exceeds 2 vcpus (at most 200)" },
    { "{'memory_limit': <uint64 1073741824>, 'cpu_limit': <uint32 150>}",
      "cpu_limit 150 exceeds 1 vcpu (at most 100)" },
    { "{'memory_limit': <uint64 1073741824>, 'vcpus': <uint32 2>, 'cpu_limit': <uint32 201>}",
      "cpu_limit 201 exceeds 2 vcpus (at most 200)" },
    { "{'memory_limit': <uint64 1073741824>, 'disk_soft_limit': <uint64 10737418241>,"
      " 'disk_hard_limit': <uint64 10737418240>}",
      "disk_soft_limit (10.0 GiB (10737418241 bytes)) exceeds disk_hard_limit "
      "(10.0 GiB (10737418240 bytes))" },
    { "{'memory_limit': <uint64 1073741824>, 'memory_soft_limit': <uint64 1073741825>}",
      "memory_soft_limit (1.0 GiB (1073741825 bytes)) exceeds memory_limit "
      "(1.0 GiB (1073741824 bytes))" },
    { "{'memory_limit': <uint64 1073741824>, 'disk_soft_limit': <uint64 21474836480>,"
      " 'disk_hard_limit': <uint64 10737418240>}",
      "disk_soft_limit (20.0 GiB) exceeds disk_hard_limit (10.0 GiB)" },
    /* Limits at their bounds, and 0 meaning "none". */
    { "{'memory_limit': <uint64 1073741824>, 'memory_guarantee': <uint64 1073741824>,"
      " 'memory_soft_limit': <uint64 1073741824>}", NULL },
    { "{'memory_limit': <uint64 1073741824>, 'memory_guarantee': <uint64 1073741824>}", NULL },
    { "{'memory_limit': <uint64 1073741824>, 'vcpus': <uint32 2>, 'cpu_limit': <uint32 200>}",
      NULL },
    { "{'memory_limit': <uint64 1073741824>, 'vcpus': <uint32 512>,"
      " 'cpu_limit': <uint32 51200>}", NULL },
    { "{'memory_limit': <uint64 1073741824>, 'disk_soft_limit': <uint64 21474836480>}", NULL },
    { "{'memory_limit': <uint64 1073741824>, 'disk_hard_limit': <uint64 21474836480>}", NULL },
    { "{'memory_limit': <uint64 1073741824>, 'disk_soft_limit': <uint64 10737418240>,"
      " 'disk_hard_limit': <uint64 10737418240>}", NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(VmgrVmSpec) spec = vmgr_vm_spec_new ();
      g_autoptr(VmgrVmSpec) before = NULL;
      g_autoptr(VmgrOptions) options = NULL;
      g_autoptr(GError) error = NULL;

      g_test_message ("%s", cases[i].text);
      options = parse_options_ok (cases[i].text, VMGR_FIELDS_CREATE);
      before = vmgr_vm_spec_copy (spec);
      if (cases[i].message == NULL)
        {
          g_assert_true (vmgr_spec_apply (spec, NULL, options, &error));
          g_assert_no_error (error);
          g_assert_true (vmgr_spec_check_resources (spec, NULL));
          continue;
        }
      g_assert_false (vmgr_spec_apply (spec, NULL, options, &error));
      assert_invalid (error, cases[i].message);
      g_assert_cmpstr (error->message, ==, cases[i].message);
      /* Nothing was changed. */
      g_assert_true (vmgr_vm_spec_equal (spec, before));
    }
}

/* Options may repair what the plan alone would not allow, and the other
 * way round. */
static void
test_apply_plan_override_coherence (void)
{
  g_autoptr(VmgrPlan) plan = make_plan ();
  g_autoptr(VmgrVmSpec) spec = vmgr_vm_spec_new ();
  g_autoptr(VmgrOptions) fewer_cpus = parse_options_ok ("{'vcpus': <uint32 1>}",
                                                        VMGR_FIELDS_CREATE);
  g_autoptr(VmgrOptions) repaired = parse_options_ok (
    "{'vcpus': <uint32 1>, 'cpu_limit': <uint32 100>}", VMGR_FIELDS_CREATE);
  g_autoptr(VmgrOptions) small = parse_options_ok (
    "{'memory_limit': <uint64 268435456>}", VMGR_FIELDS_CREATE);
  g_autoptr(GError) error = NULL;

  /* The plan's cpu_limit 150 does not fit one vcpu. */
  g_assert_false (vmgr_spec_apply (spec, plan, fewer_cpus, &error));
  assert_invalid (error, "cpu_limit 150 exceeds 1 vcpu (at most 100)");
  g_clear_error (&error);

  g_assert_true (vmgr_spec_apply (spec, plan, repaired, &error));
  g_assert_no_error (error);

  /* The plan's soft limit exceeds a smaller memory_limit. */
  g_clear_pointer (&spec, vmgr_vm_spec_free);
  spec = vmgr_vm_spec_new ();
  g_assert_false (vmgr_spec_apply (spec, plan, small, &error));
  assert_invalid (error, "memory_soft_limit (1.0 GiB) exceeds memory_limit (256.0 MiB)");
}

static void
test_check_resources (void)
{
  static const struct {
    guint32 vcpus;
    guint32 cpu_weight;
    const char *part;
  } cases[] = {
    { 0, 100, "vcpus 0 is out of range (use 1 to 512)" },
    { 513, 100, "vcpus 513 is out of range" },
    { 1, 0, "cpu_weight 0 is out of range (use 1 to 10000)" },
    { 1, 10001, "cpu_weight 10001 is out of range" },
    { 1, 1, NULL },
    { 512, 10000, NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(VmgrVmSpec) spec = vmgr_vm_spec_new ();
      g_autoptr(GError) error = NULL;

      spec->memory_limit = GIB;
      spec->vcpus = cases[i].vcpus;
      spec->cpu_weight = cases[i].cpu_weight;
      if (cases[i].part == NULL)
        {
          g_assert_true (vmgr_spec_check_resources (spec, &error));
          g_assert_no_error (error);
        }
      else
        {
          g_assert_false (vmgr_spec_check_resources (spec, &error));
          assert_invalid (error, cases[i].part);
        }
    }
}

/* --- plans -------------------------------------------------------------- */

static void
test_plan_from_options (void)
{
  g_autoptr(VmgrOptions) options = parse_options_ok (
    "{'memory_limit': <uint64 2147483648>, 'vcpus': <uint32 2>,"
    " 'cpu_limit': <uint32 200>, 'max_vms': <uint32 5>}", VMGR_FIELDS_PLAN);
  g_autoptr(VmgrPlan) plan = NULL;
  g_autoptr(GError) error = NULL;

  plan = vmgr_plan_from_options ("small", NULL, options, &error);
  g_assert_no_error (error);
  g_assert_nonnull (plan);
  g_assert_cmpstr (plan->name, ==, "small");
  g_assert_cmpuint (plan->memory_limit, ==, 2 * GIB);
  g_assert_cmpuint (plan->vcpus, ==, 2);
  g_assert_cmpuint (plan->cpu_limit, ==, 200);
  g_assert_cmpuint (plan->max_vms, ==, 5);
  g_assert_cmpuint (plan->cpu_weight, ==, 0);
  g_assert_cmpuint (plan->memory_guarantee, ==, 0);
}

static void
test_plan_from_options_invalid (void)
{
  static const struct {
    const char *name;
    const char *text;
    const char *part;
  } cases[] = {
    { "p", "@a{sv} {}", "plan 'p' has no memory_limit: give memory_limit" },
    { "p", "{'vcpus': <uint32 2>}", "plan 'p' has no memory_limit" },
    { "p", "{'memory_limit': <uint64 1073741824>, 'cpu_limit': <uint32 200>}",
      "plan 'p': cpu_limit 200 exceeds 1 vcpu (at most 100)" },
    { "p", "{'memory_limit': <uint64 1073741824>, 'memory_guarantee': <uint64 2147483648>}",
      "plan 'p': memory_guarantee (2.0 GiB) exceeds memory_limit (1.0 GiB)" },
    { "p", "{'memory_limit': <uint64 1073741824>, 'disk_soft_limit': <uint64 2>,"
      " 'disk_hard_limit': <uint64 1>}",
      "plan 'p': disk_soft_limit (2 bytes) exceeds disk_hard_limit (1 byte)" },
    { "bad name", "{'memory_limit': <uint64 1073741824>}", "invalid plan name 'bad name'" },
    { "42", "{'memory_limit': <uint64 1073741824>}", "invalid plan name '42'" },
    { "", "{'memory_limit': <uint64 1073741824>}", "invalid plan name ''" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(VmgrOptions) options = parse_options_ok (cases[i].text, VMGR_FIELDS_PLAN);
      g_autoptr(VmgrPlan) plan = NULL;
      g_autoptr(GError) error = NULL;

      g_test_message ("%s %s", cases[i].name, cases[i].text);
      plan = vmgr_plan_from_options (cases[i].name, NULL, options, &error);
      g_assert_null (plan);
      assert_invalid (error, cases[i].part);
    }

  {
    g_autoptr(GError) error = NULL;
    g_autoptr(VmgrPlan) plan = vmgr_plan_from_options ("p", NULL, NULL, &error);

    g_assert_null (plan);
    assert_invalid (error, "has no memory_limit");
  }
}

static VmgrPlan *
round_trip (const VmgrPlan *plan)
{
  g_autoptr(GVariant) dict = g_variant_ref_sink (vmgr_plan_to_variant (plan));
  g_autoptr(VmgrOptions) options = NULL;
  g_autoptr(GError) error = NULL;
  VmgrPlan *copy;

  g_assert_true (g_variant_is_of_type (dict, G_VARIANT_TYPE_VARDICT));
  options = vmgr_options_parse (dict, VMGR_FIELDS_PLAN, &error);
  g_assert_no_error (error);
  copy = vmgr_plan_from_options (plan->name, NULL, options, &error);
  g_assert_no_error (error);
  return copy;
}

static void
test_plan_round_trip (void)
{
  g_autoptr(VmgrPlan) full = make_plan ();
  g_autoptr(VmgrPlan) full_copy = round_trip (full);
  g_autoptr(VmgrPlan) minimal = vmgr_plan_new ("minimal");
  g_autoptr(VmgrPlan) minimal_copy = NULL;
  g_autoptr(GVariant) full_dict = g_variant_ref_sink (vmgr_plan_to_variant (full));
  g_autoptr(GVariant) minimal_dict = NULL;
  guint64 memory_limit = 0;

  assert_plans_equal (full, full_copy);
  g_assert_cmpuint (g_variant_n_children (full_dict), ==, 9);

  minimal->memory_limit = 512 * MIB;
  minimal_copy = round_trip (minimal);
  assert_plans_equal (minimal, minimal_copy);

  /* Only what the plan sets, and memory_limit always. */
  minimal_dict = g_variant_ref_sink (vmgr_plan_to_variant (minimal));
  g_assert_cmpuint (g_variant_n_children (minimal_dict), ==, 1);
  g_assert_true (g_variant_lookup (minimal_dict, "memory_limit", "t", &memory_limit));
  g_assert_cmpuint (memory_limit, ==, 512 * MIB);

  {
    g_autoptr(VmgrPlan) empty = vmgr_plan_new ("empty");
    g_autoptr(GVariant) empty_dict = g_variant_ref_sink (vmgr_plan_to_variant (empty));

    g_assert_cmpuint (g_variant_n_children (empty_dict), ==, 1);
    g_assert_true (g_variant_lookup (empty_dict, "memory_limit", "t", &memory_limit));
    g_assert_cmpuint (memory_limit, ==, 0);
  }
}

/* A SetPlan dictionary survives parse -> plan -> ListPlans unchanged. */
static void
test_plan_dict_round_trip (void)
{
  const char *text =
    "{'memory_guarantee': <uint64 268435456>, 'memory_soft_limit': <uint64 536870912>,"
    " 'memory_limit': <uint64 1073741824>, 'vcpus': <uint32 2>,"
    " 'cpu_weight': <uint32 50>, 'cpu_limit': <uint32 150>,"
    " 'disk_soft_limit': <uint64 5368709120>, 'disk_hard_limit': <uint64 10737418240>,"
    " 'max_vms': <uint32 10>}";
  g_autoptr(GVariant) dict = parse_dict (text);
  g_autoptr(VmgrOptions) options = vmgr_options_parse (dict, VMGR_FIELDS_PLAN, NULL);
  g_autoptr(VmgrPlan) plan = vmgr_plan_from_options ("gold", NULL, options, NULL);
  g_autoptr(GVariant) out = NULL;

  g_assert_nonnull (plan);
  out = g_variant_ref_sink (vmgr_plan_to_variant (plan));
  g_assert_true (g_variant_equal (dict, out));
}

/* --- configuration ------------------------------------------------------ */

typedef struct {
  char *dir;
  char *path;
} ConfigFixture;

static void
config_setup (ConfigFixture *fixture, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  fixture->dir = g_dir_make_tmp ("vmgr-test-config-XXXXXX", &error);
  g_assert_no_error (error);
  fixture->path = g_build_filename (fixture->dir, "vmgrd.conf", NULL);
}

static void
config_teardown (ConfigFixture *fixture, gconstpointer data)
{
  g_unlink (fixture->path);
  g_assert_cmpint (g_rmdir (fixture->dir), ==, 0);
  g_free (fixture->path);
  g_free (fixture->dir);
}

static void
write_config (ConfigFixture *fixture, const char *contents)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (g_file_set_contents (fixture->path, contents, -1, &error));
  g_assert_no_error (error);
}

static void
test_host_name (void)
{
  static const char * const good[] = { "local", "a", "Rack_1", "h0", NULL };
  static const char * const bad[] = { "", "1a", "_a", "a-b", "a.b", "a b", "a/b", "ä", NULL };
  g_autofree char *longest = g_strnfill (VMGR_NAME_MAX, 'h');
  g_autofree char *too_long = g_strnfill (VMGR_NAME_MAX + 1, 'h');

  for (guint i = 0; good[i] != NULL; i++)
    g_assert_true (vmgr_validate_host_name (good[i], NULL));
  g_assert_true (vmgr_validate_host_name (longest, NULL));
  for (guint i = 0; bad[i] != NULL; i++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_false (vmgr_validate_host_name (bad[i], &error));
      g_assert_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_ARGUMENT);
    }
  g_assert_false (vmgr_validate_host_name (too_long, NULL));
  g_assert_false (vmgr_validate_host_name (NULL, NULL));
}

static void
test_pool_name (void)
{
  static const char * const good[] = { "default", "images", "0pool", "a.b-c_d", NULL };
  static const char * const bad[] = { "", ".a", "-a", "_a", "a b", "a/b", "a'b", "a<b", "ä",
                                      NULL };
  g_autofree char *longest = g_strnfill (VMGR_NAME_MAX, 'p');
  g_autofree char *too_long = g_strnfill (VMGR_NAME_MAX + 1, 'p');

  for (guint i = 0; good[i] != NULL; i++)
    g_assert_true (vmgr_validate_pool_name (good[i], NULL));
  g_assert_true (vmgr_validate_pool_name (longest, NULL));
  for (guint i = 0; bad[i] != NULL; i++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_false (vmgr_validate_pool_name (bad[i], &error));
      g_assert_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_ARGUMENT);
    }
  g_assert_false (vmgr_validate_pool_name (too_long, NULL));
  g_assert_false (vmgr_validate_pool_name (NULL, NULL));
}

static void
assert_config_defaults (const VmgrConfig *config)
{
  g_assert_cmpstr (config->uri, ==, VMGR_DEFAULT_URI);
  g_assert_cmpstr (config->state_dir, ==, VMGR_DEFAULT_STATE_DIR);
  g_assert_cmpstr (config->host_name, ==, "local");
  g_assert_cmpint (config->verbosity, ==, 0);
  g_assert_cmpuint (config->shutdown_timeout_s, ==, 60);
  g_assert_cmpuint (config->auth_cache_ttl_s, ==, 5);
  g_assert_cmpuint (config->auth_timeout_ms, ==, 5000);
  g_assert_cmpuint (config->auth_max_in_flight, ==, 64);
}

static void
test_config_defaults (void)
{
  g_autoptr(VmgrConfig) config = vmgr_config_new_default ();
  g_autofree char *db = NULL;
  g_autofree char *expected = NULL;

  assert_config_defaults (config);
  db = vmgr_config_get_db_path (config);
  expected = g_build_filename (config->state_dir, "vmgr.db", NULL);
  g_assert_cmpstr (db, ==, expected);
}

static void
test_config_load (ConfigFixture *fixture, gconstpointer data)
{
  g_autoptr(VmgrConfig) config = vmgr_config_new_default ();
  g_autoptr(GError) error = NULL;
  g_autofree char *db = NULL;

  write_config (fixture,
                "# vmgrd configuration\n"
                "[daemon]\n"
                "uri = qemu:///system\n"
                "state_dir = /srv/vmgr/\n"
                "host_name = rack1_a\n"
                "verbosity = debug\n"
                "shutdown_timeout = 120\n"
                "\n"
                "[auth]\n"
                "cache_ttl=0\n"
                "timeout_ms=250\n"
                "max_in_flight=  120  \n");
  g_assert_true (vmgr_config_load_file (config, fixture->path, TRUE, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (config->uri, ==, "qemu:///system");
  g_assert_cmpstr (config->state_dir, ==, "/srv/vmgr");
  g_assert_cmpstr (config->host_name, ==, "rack1_a");
  g_assert_cmpint (config->verbosity, ==, 2);
  g_assert_cmpuint (config->shutdown_timeout_s, ==, 120);
  g_assert_cmpuint (config->auth_cache_ttl_s, ==, 0);
  g_assert_cmpuint (config->auth_timeout_ms, ==, 250);
  g_assert_cmpuint (config->auth_max_in_flight, ==, 120);

  db = vmgr_config_get_db_path (config);
  g_assert_cmpstr (db, ==, "/srv/vmgr/vmgr.db");
}

/* Keys left out keep their values; groups may be missing or empty. */
static void
test_config_partial (ConfigFixture *fixture, gconstpointer data)
{
  g_autoptr(VmgrConfig) config = vmgr_config_new_default ();
  g_autoptr(GError) error = NULL;

  write_config (fixture, "");
  g_assert_true (vmgr_config_load_file (config, fixture->path, TRUE, &error));
  g_assert_no_error (error);
  assert_config_defaults (config);

  write_config (fixture, "[auth]\nmax_in_flight=1\n[daemon]\n");
  g_assert_true (vmgr_config_load_file (config, fixture->path, TRUE, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (config->auth_max_in_flight, ==, 1);
  g_assert_cmpstr (config->uri, ==, VMGR_DEFAULT_URI);
  g_assert_cmpuint (config->shutdown_timeout_s, ==, 60);
}

static void
test_config_verbosity (ConfigFixture *fixture, gconstpointer data)
{
  static const struct {
    const char *value;
    int verbosity;
  } cases[] = {
    { "message", 0 }, { "info", 1 }, { "debug", 2 },
    { "0", 0 }, { "1", 1 }, { "2", 2 }, { "DEBUG", 2 }, { "Info", 1 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(VmgrConfig) config = vmgr_config_new_default ();
      g_autoptr(GError) error = NULL;
      g_autofree char *text = g_strdup_printf ("[daemon]\nverbosity=%s\n",
                                               cases[i].value);

      config->verbosity = -1;
      write_config (fixture, text);
      g_assert_true (vmgr_config_load_file (config, fixture->path, TRUE, &error));
      g_assert_no_error (error);
      g_assert_cmpint (config->verbosity, ==, cases[i].verbosity);
    }
}

/* 0 is no cap: the capacity it gives is 0, which the checks read as none. */
static void
test_config_overcommit_uncapped (ConfigFixture *fixture, gconstpointer data)
{
  g_autoptr(VmgrConfig) config = vmgr_config_new_default ();
  g_autoptr(GError) error = NULL;
  VmgrCapacity capacity;

  write_config (fixture, "[resources]\nmemory_overcommit=0\ncpu_overcommit=0\n"
                         "disk_overcommit=0\n");
  g_assert_true (vmgr_config_load_file (config, fixture->path, TRUE, &error));
  g_assert_no_error (error);
  capacity = vmgr_capacity_compute (16, 1 << 30, 1 << 30, config->cpu_overcommit_pct,
                                    config->memory_overcommit_pct,
                                    config->disk_overcommit_pct);
  g_assert_cmpuint (capacity.vcpus, ==, 0);
  g_assert_cmpuint (capacity.memory, ==, 0);
  g_assert_cmpuint (capacity.disk, ==, 0);
}

static void
test_config_malformed (ConfigFixture *fixture, gconstpointer data)
{
  static const struct {
    const char *contents;
    const char *part;
  } cases[] = {
    { "[daemon]\nverbosity=loud\n",
      "[daemon] verbosity: 'loud' is not valid: expected message, info or debug" },
    { "[daemon]\nverbosity=3\n", "[daemon] verbosity: '3' is not valid" },
    { "[daemon]\nverbosity=\n", "[daemon] verbosity: '' is not valid" },
    { "[daemon]\nshutdown_timeout=0\n",
      "[daemon] shutdown_timeout: '0' is not valid: expected a whole number of "
      "seconds from 1 to 3600" },
    { "[daemon]\nshutdown_timeout=3601\n", "from 1 to 3600" },
    { "[daemon]\nshutdown_timeout=-1\n", "[daemon] shutdown_timeout: '-1'" },
    { "[daemon]\nshutdown_timeout=60s\n", "[daemon] shutdown_timeout: '60s'" },
    { "[daemon]\nshutdown_timeout=\n", "[daemon] shutdown_timeout: ''" },
    { "[daemon]\nuri=\n", "[daemon] uri: '' is not valid: expected a libvirt URI" },
    { "[daemon]\nuri=   \n", "[daemon] uri: '' is not valid" },
    { "[daemon]\nstate_dir=relative/dir\n",
      "[daemon] state_dir: 'relative/dir' is not valid: expected an absolute" },
    { "[daemon]\nstate_dir=\n", "[daemon] state_dir: '' is not valid" },
    { "[daemon]\nhost_name=\n", "[daemon] host_name: invalid host name ''" },
    { "[daemon]\nhost_name=rack-1\n", "[daemon] host_name: invalid host name 'rack-1'" },
    { "[daemon]\nhost_name=1rack\n", "[daemon] host_name: invalid host name '1rack'" },
    { "[auth]\nmax_in_flight=0\n",
      "[auth] max_in_flight: '0' is not valid: expected a whole number of "
      "checks from 1 to 120" },
    { "[auth]\nmax_in_flight=121\n", "[auth] max_in_flight: '121'" },
    { "[auth]\ncache_ttl=3601\n", "[auth] cache_ttl: '3601' is not valid" },
    { "[auth]\ncache_ttl=abc\n", "[auth] cache_ttl: 'abc'" },
    { "[auth]\ntimeout_ms=0\n", "[auth] timeout_ms: '0' is not valid" },
    { "[auth]\ntimeout_ms=600001\n", "milliseconds from 1 to 600000" },
    { "[auth]\ntimeout_ms=99999999999999999999999\n", "[auth] timeout_ms" },
    { "[resources]\ncpu_overcommit=5\n",
      "[resources] cpu_overcommit: '5' is not valid: expected 0 (no cap) or a whole "
      "number of percent from 10 to 10000" },
    { "[resources]\nmemory_overcommit=1001\n", "[resources] memory_overcommit: '1001'" },
    /* A good key before a bad one is not applied either. */
    { "[daemon]\nuri=qemu:///system\n[auth]\nmax_in_flight=500\n",
      "[auth] max_in_flight: '500'" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(VmgrConfig) config = vmgr_config_new_default ();
      g_autoptr(GError) error = NULL;

      g_autofree char *escaped = g_strescape (cases[i].contents, NULL);

      g_test_message ("%s", escaped);
      write_config (fixture, cases[i].contents);
      g_assert_false (vmgr_config_load_file (config, fixture->path, TRUE, &error));
      g_assert_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE);
      if (strstr (error->message, cases[i].part) == NULL)
        g_error ("\"%s\" does not contain \"%s\"", error->message, cases[i].part);
      /* The message names the file. */
      g_assert_true (g_str_has_prefix (error->message, fixture->path));
      /* All or nothing. */
      assert_config_defaults (config);
    }
}

static void
test_config_syntax_error (ConfigFixture *fixture, gconstpointer data)
{
  g_autoptr(VmgrConfig) config = vmgr_config_new_default ();
  g_autoptr(GError) error = NULL;

  write_config (fixture, "this is not a key file\n");
  g_assert_false (vmgr_config_load_file (config, fixture->path, FALSE, &error));
  g_assert_nonnull (error);
  g_assert_true (error->domain == G_KEY_FILE_ERROR);
  g_assert_true (g_str_has_prefix (error->message, fixture->path));
  assert_config_defaults (config);
}

static void
test_config_missing (ConfigFixture *fixture, gconstpointer data)
{
  g_autoptr(VmgrConfig) config = vmgr_config_new_default ();
  g_autoptr(GError) error = NULL;

  /* The fixture's file is never written. */
  g_assert_true (vmgr_config_load_file (config, fixture->path, FALSE, &error));
  g_assert_no_error (error);
  assert_config_defaults (config);

  g_assert_false (vmgr_config_load_file (config, fixture->path, TRUE, &error));
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
  g_assert_true (g_str_has_prefix (error->message, fixture->path));
}

static void
test_config_unknown_keys (ConfigFixture *fixture, gconstpointer data)
{
  g_autoptr(VmgrConfig) config = vmgr_config_new_default ();
  g_autoptr(GError) error = NULL;

  write_config (fixture,
                "[daemon]\nverbosity=info\nbogus=1\n"
                "[extra]\nx=1\n"
                "[auth]\ncache-ttl=3\n");
  g_test_expect_message ("vmgrd", G_LOG_LEVEL_WARNING, "*unknown key 'bogus' in [daemon]*");
  g_test_expect_message ("vmgrd", G_LOG_LEVEL_WARNING, "*unknown group [extra]*");
  g_test_expect_message ("vmgrd", G_LOG_LEVEL_WARNING, "*unknown key 'cache-ttl' in [auth]*");
  g_assert_true (vmgr_config_load_file (config, fixture->path, TRUE, &error));
  g_test_assert_expected_messages ();
  g_assert_no_error (error);
  g_assert_cmpint (config->verbosity, ==, 1);
  g_assert_cmpuint (config->auth_cache_ttl_s, ==, 5);
}

static void
test_config_state_directory (void)
{
  static const struct {
    const char *value;     /* NULL: unset */
    const char *expected;  /* NULL: unchanged */
  } cases[] = {
    { NULL, NULL },
    { "", NULL },
    { "/var/lib/vmgr", "/var/lib/vmgr" },
    { "/var/lib/vmgr:/var/lib/other", "/var/lib/vmgr" },
    { ":/var/lib/second", "/var/lib/second" },
  };
  g_autofree char *saved = g_strdup (g_getenv ("STATE_DIRECTORY"));

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(VmgrConfig) config = vmgr_config_new_default ();
      g_autofree char *before = g_strdup (config->state_dir);
      g_autofree char *db = NULL;
      g_autofree char *expected_db = NULL;

      if (cases[i].value != NULL)
        g_setenv ("STATE_DIRECTORY", cases[i].value, TRUE);
      else
        g_unsetenv ("STATE_DIRECTORY");

      vmgr_config_apply_environment (config);
      g_assert_cmpstr (config->state_dir, ==,
                       cases[i].expected != NULL ? cases[i].expected : before);
      db = vmgr_config_get_db_path (config);
      expected_db = g_build_filename (config->state_dir, "vmgr.db", NULL);
      g_assert_cmpstr (db, ==, expected_db);
    }

  if (saved != NULL)
    g_setenv ("STATE_DIRECTORY", saved, TRUE);
  else
    g_unsetenv ("STATE_DIRECTORY");
}

/* ------------------------------------------------------------------------ */

#define ADD_CONFIG_TEST(path, func) \
  g_test_add (path, ConfigFixture, NULL, config_setup, func, config_teardown)

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/validate/name/valid", test_name_valid);
  g_test_add_func ("/validate/name/invalid", test_name_invalid);
  g_test_add_func ("/validate/name/long-value-shortened", test_name_long_value_shortened);
  g_test_add_func ("/validate/hostname", test_hostname);
  g_test_add_func ("/validate/ip", test_ip);
  g_test_add_func ("/validate/cidr", test_cidr);
  g_test_add_func ("/validate/options/all-keys", test_options_all_keys);
  g_test_add_func ("/validate/options/each-key", test_options_each_key);
  g_test_add_func ("/validate/options/empty", test_options_empty);
  g_test_add_func ("/validate/options/wrong-type", test_options_wrong_type);
  g_test_add_func ("/validate/options/invalid-values", test_options_invalid_values);
  g_test_add_func ("/validate/options/list-limits", test_options_list_limits);
  g_test_add_func ("/validate/options/unknown", test_options_unknown);
  g_test_add_func ("/validate/options/duplicate", test_options_duplicate);
  g_test_add_func ("/validate/options/not-a-dict", test_options_not_a_dict);
  g_test_add_func ("/validate/apply/plan-only", test_apply_plan_only);
  g_test_add_func ("/validate/apply/plan-and-options", test_apply_plan_and_options);
  g_test_add_func ("/validate/apply/defaults", test_apply_defaults);
  g_test_add_func ("/validate/apply/network-clear", test_apply_network_clear);
  g_test_add_func ("/validate/apply/no-memory", test_apply_no_memory);
  g_test_add_func ("/validate/apply/coherence", test_apply_coherence);
  g_test_add_func ("/validate/apply/plan-override-coherence",
                   test_apply_plan_override_coherence);
  g_test_add_func ("/validate/apply/check-resources", test_check_resources);
  g_test_add_func ("/validate/plan/from-options", test_plan_from_options);
  g_test_add_func ("/validate/plan/from-options-invalid", test_plan_from_options_invalid);
  g_test_add_func ("/validate/plan/round-trip", test_plan_round_trip);
  g_test_add_func ("/validate/plan/dict-round-trip", test_plan_dict_round_trip);

  g_test_add_func ("/validate/host-name", test_host_name);
  g_test_add_func ("/validate/pool-name", test_pool_name);
  g_test_add_func ("/config/defaults", test_config_defaults);
  ADD_CONFIG_TEST ("/config/load", test_config_load);
  ADD_CONFIG_TEST ("/config/partial", test_config_partial);
  ADD_CONFIG_TEST ("/config/verbosity", test_config_verbosity);
  ADD_CONFIG_TEST ("/config/overcommit-uncapped", test_config_overcommit_uncapped);
  ADD_CONFIG_TEST ("/config/malformed", test_config_malformed);
  ADD_CONFIG_TEST ("/config/syntax-error", test_config_syntax_error);
  ADD_CONFIG_TEST ("/config/missing", test_config_missing);
  ADD_CONFIG_TEST ("/config/unknown-keys", test_config_unknown_keys);
  g_test_add_func ("/config/state-directory", test_config_state_directory);

  return g_test_run ();
}
