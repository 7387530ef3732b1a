/* Unit tests for vmgr-validate-customer.c: applying the AddCustomer and
 * Customer.Update dictionaries to a VmgrCustomerInfo. */
#include <string.h>

#include <glib.h>

#include "unit-helpers.h"
#include "vmgr-error.h"
#include "vmgr-records.h"
#include "vmgr-validate-customer.h"

#define GIB (G_GUINT64_CONSTANT (1024) * 1024 * 1024)

/* --- helpers ------------------------------------------------------------ */

/* A dictionary with the one string @key = @value (which may hold anything
 * GVariant allows, unlike the text format). */
static GVariant *
string_dict (const char *key, const char *value)
{
  GVariantDict dict;

  g_variant_dict_init (&dict, NULL);
  g_variant_dict_insert (&dict, key, "s", value);
  return g_variant_ref_sink (g_variant_dict_end (&dict));
}

/* A customer with every field set, to see that nothing else changes. */
static VmgrCustomerInfo *
full_customer (void)
{
  VmgrCustomerInfo *info = vmgr_customer_info_new (1234);

  set_str (&info->full_name, "Ada Lovelace");
  set_str (&info->email, "ada@example.org");
  set_str (&info->phone, "+44 20 7946 0000");
  set_str (&info->address, "12 St James's Square");
  set_str (&info->province, "London");
  set_str (&info->national_id, "AB-123.456/7");
  set_str (&info->plan, "gold");
  info->max_vms = 5;
  info->max_vcpus = 16;
  info->max_memory = 32 * GIB;
  info->max_disk = 500 * GIB;
  info->suspended = TRUE;
  set_str (&info->suspend_reason, "unpaid");
  info->created_at = 1700000000000000;
  return info;
}

/* Applying @dict fails with INVALID_ARGUMENT naming @part (and @part2 if
 * not NULL), and leaves @info as it was. */
static void
assert_apply_fails (VmgrCustomerInfo *info, GVariant *dict, gboolean require_identity,
                    const char *part, const char *part2)
{
  g_autoptr(VmgrCustomerInfo) before = vmgr_customer_info_copy (info);
  g_autoptr(GError) error = NULL;

  g_assert_false (vmgr_customer_info_apply (info, dict, require_identity, &error));
  g_assert_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_ARGUMENT);
  if (strstr (error->message, part) == NULL)
    g_error ("error message \"%s\" does not contain \"%s\"", error->message, part);
  if (part2 != NULL && strstr (error->message, part2) == NULL)
    g_error ("error message \"%s\" does not contain \"%s\"", error->message, part2);
  g_assert_true (vmgr_customer_info_equal (info, before));
}

static void
apply_ok (VmgrCustomerInfo *info, GVariant *dict, gboolean require_identity)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (vmgr_customer_info_apply (info, dict, require_identity, &error));
  g_assert_no_error (error);
}

static char *
repeat (const char *unit, guint n)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < n; i++)
    g_string_append (s, unit);
  return g_string_free (s, FALSE);
}

/* --- every key ---------------------------------------------------------- */

static void
test_apply_all_keys (void)
{
  g_autoptr(VmgrCustomerInfo) info = vmgr_customer_info_new (1000);
  g_autoptr(GVariant) dict =
    parse_dict ("{'full_name': <'Grace Hopper'>, 'email': <'grace@navy.example.mil'>,"
                " 'phone': <'+1 (555) 010-9999'>, 'address': <'1 Main St., Arlington'>,"
                " 'province': <'Virginia'>, 'national_id': <'123-45-6789'>,"
                " 'plan': <'silver'>, 'max_vms': <uint32 3>, 'max_vcpus': <uint32 12>,"
                " 'max_memory': <uint64 17179869184>, 'max_disk': <uint64 1099511627776>}");

  apply_ok (info, dict, TRUE);
  g_assert_cmpuint (info->uid, ==, 1000);
  g_assert_cmpstr (info->full_name, ==, "Grace Hopper");
  g_assert_cmpstr (info->email, ==, "grace@navy.example.mil");
  g_assert_cmpstr (info->phone, ==, "+1 (555) 010-9999");
  g_assert_cmpstr (info->address, ==, "1 Main St., Arlington");
  g_assert_cmpstr (info->province, ==, "Virginia");
  g_assert_cmpstr (info->national_id, ==, "123-45-6789");
  g_assert_cmpstr (info->plan, ==, "silver");
  g_assert_cmpuint (info->max_vms, ==, 3);
  g_assert_cmpuint (info->max_vcpus, ==, 12);
  g_assert_cmpuint (info->max_memory, ==, 16 * GIB);
  g_assert_cmpuint (info->max_disk, ==, 1024 * GIB);
  g_assert_false (info->suspended);
  g_assert_cmpstr (info->suspend_reason, ==, "");
  g_assert_cmpint (info->created_at, ==, 0);

  /* the same again changes nothing */
  {
    g_autoptr(VmgrCustomerInfo) copy = vmgr_customer_info_copy (info);

    apply_ok (info, dict, TRUE);
    g_assert_true (vmgr_customer_info_equal (info, copy));
  }
}

/* Each key on its own changes exactly its field. */
typedef struct {
  const char *dict;
  void (*check) (const VmgrCustomerInfo *info);
  /* the field that changed, restored from the original for comparing */
  void (*restore) (VmgrCustomerInfo *info, const VmgrCustomerInfo *original);
} KeyCase;

#define STRING_FIELD(member, value)                                                 \
  static void check_##member (const VmgrCustomerInfo *info)                        \
  {                                                                                 \
    g_assert_cmpstr (info->member, ==, value);                                      \
  }                                                                                 \
  static void restore_##member (VmgrCustomerInfo *info, const VmgrCustomerInfo *o)  \
  {                                                                                 \
    g_free (info->member);                                                          \
    info->member = g_strdup (o->member);                                            \
  }
#define NUMBER_FIELD(member, value)                                                 \
  static void check_##member (const VmgrCustomerInfo *info)                        \
  {                                                                                 \
    g_assert_cmpuint (info->member, ==, value);                                     \
  }                                                                                 \
  static void restore_##member (VmgrCustomerInfo *info, const VmgrCustomerInfo *o)  \
  {                                                                                 \
    info->member = o->member;                                                       \
  }

STRING_FIELD (full_name, "Charles Babbage")
STRING_FIELD (email, "cb@example.co.uk")
STRING_FIELD (phone, "020 7946 0018")
STRING_FIELD (address, "Dorset Street 1")
STRING_FIELD (province, "Marylebone")
STRING_FIELD (national_id, "X1234567")
STRING_FIELD (plan, "bronze-2")
NUMBER_FIELD (max_vms, 0)
NUMBER_FIELD (max_vcpus, G_MAXUINT32)
NUMBER_FIELD (max_memory, G_MAXUINT64)
NUMBER_FIELD (max_disk, 1)

#define KEY_CASE(member, text) { "{'" #member "': <" text ">}", check_##member, restore_##member }

static void
test_apply_each_key (void)
{
  static const KeyCase cases[] = {
    KEY_CASE (full_name, "'Charles Babbage'"),
    KEY_CASE (email, "'cb@example.co.uk'"),
    KEY_CASE (phone, "'020 7946 0018'"),
    KEY_CASE (address, "'Dorset Street 1'"),
    KEY_CASE (province, "'Marylebone'"),
    KEY_CASE (national_id, "'X1234567'"),
    KEY_CASE (plan, "'bronze-2'"),
    KEY_CASE (max_vms, "uint32 0"),
    KEY_CASE (max_vcpus, "uint32 4294967295"),
    KEY_CASE (max_memory, "uint64 18446744073709551615"),
    KEY_CASE (max_disk, "uint64 1"),
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(VmgrCustomerInfo) original = full_customer ();
      g_autoptr(VmgrCustomerInfo) info = full_customer ();
      g_autoptr(GVariant) dict = parse_dict (cases[i].dict);

      g_test_message ("case %u: %s", i, cases[i].dict);
      apply_ok (info, dict, TRUE);
      cases[i].check (info);
      cases[i].restore (info, original);
      g_assert_true (vmgr_customer_info_equal (info, original));
    }
}

static void
test_apply_empty_dict (void)
{
  g_autoptr(VmgrCustomerInfo) original = full_customer ();
  g_autoptr(VmgrCustomerInfo) info = full_customer ();
  g_autoptr(VmgrCustomerInfo) blank = vmgr_customer_info_new (5);
  g_autoptr(GVariant) dict = parse_dict ("@a{sv} {}");

  apply_ok (info, dict, FALSE);
  g_assert_true (vmgr_customer_info_equal (info, original));
  apply_ok (info, dict, TRUE);
  g_assert_true (vmgr_customer_info_equal (info, original));

  apply_ok (blank, dict, FALSE);
  assert_apply_fails (blank, dict, TRUE, "full_name", NULL);
}

/* Clearing optional text fields with "" is allowed. */
static void
test_apply_clear (void)
{
  g_autoptr(VmgrCustomerInfo) info = full_customer ();
  g_autoptr(GVariant) dict =
    parse_dict ("{'phone': <''>, 'address': <''>, 'province': <''>, 'plan': <''>,"
                " 'max_vms': <uint32 0>, 'max_vcpus': <uint32 0>,"
                " 'max_memory': <uint64 0>, 'max_disk': <uint64 0>}");

  apply_ok (info, dict, TRUE);
  g_assert_cmpstr (info->phone, ==, "");
  g_assert_cmpstr (info->address, ==, "");
  g_assert_cmpstr (info->province, ==, "");
  g_assert_cmpstr (info->plan, ==, "");
  g_assert_cmpuint (info->max_vms, ==, 0);
  g_assert_cmpuint (info->max_vcpus, ==, 0);
  g_assert_cmpuint (info->max_memory, ==, 0);
  g_assert_cmpuint (info->max_disk, ==, 0);
  g_assert_cmpstr (info->full_name, ==, "Ada Lovelace");
}

/* --- types and unknown keys --------------------------------------------- */

static void
test_apply_wrong_type (void)
{
  static const struct { const char *dict; const char *key; const char *type; } cases[] = {
    { "{'full_name': <42>}", "full_name", "'s'" },
    { "{'email': <uint32 1>}", "email", "'s'" },
    { "{'phone': <int64 5550100>}", "phone", "'s'" },
    { "{'address': <['a', 'b']>}", "address", "'s'" },
    { "{'province': <true>}", "province", "'s'" },
    { "{'national_id': <objectpath '/x'>}", "national_id", "'s'" },
    { "{'plan': <@ms 'gold'>}", "plan", "'s'" },
    { "{'max_vms': <uint64 3>}", "max_vms", "'u'" },
    { "{'max_vms': <3>}", "max_vms", "'u'" },
    { "{'max_vms': <'3'>}", "max_vms", "'u'" },
    { "{'max_vcpus': <int32 -1>}", "max_vcpus", "'u'" },
    { "{'max_vcpus': <uint16 4>}", "max_vcpus", "'u'" },
    { "{'max_memory': <uint32 1024>}", "max_memory", "'t'" },
    { "{'max_memory': <int64 1024>}", "max_memory", "'t'" },
    { "{'max_disk': <1.5>}", "max_disk", "'t'" },
    { "{'max_disk': <'10G'>}", "max_disk", "'t'" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(VmgrCustomerInfo) info = full_customer ();
      g_autoptr(GVariant) dict = parse_dict (cases[i].dict);

      g_test_message ("case %u: %s", i, cases[i].dict);
      assert_apply_fails (info, dict, FALSE, cases[i].key, cases[i].type);
    }
}

static void
test_apply_unknown_key (void)
{
  static const struct { const char *dict; const char *key; } cases[] = {
    { "{'name': <'x'>}", "'name'" },
    { "{'Full_Name': <'x'>}", "'Full_Name'" },
    { "{'uid': <uint32 5>}", "'uid'" },
    { "{'suspended': <true>}", "'suspended'" },
    { "{'suspend_reason': <'x'>}", "'suspend_reason'" },
    { "{'created_at': <int64 5>}", "'created_at'" },
    { "{'max_vm': <uint32 1>}", "'max_vm'" },
    { "{'': <'x'>}", "''" },
    /* an unknown key after a valid one: nothing is applied */
    { "{'full_name': <'Someone Else'>, 'bogus': <'x'>}", "'bogus'" },
    /* an unknown key before a valid one */
    { "{'bogus': <uint32 1>, 'max_vms': <uint32 1>}", "'bogus'" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(VmgrCustomerInfo) info = full_customer ();
      g_autoptr(GVariant) dict = parse_dict (cases[i].dict);

      g_test_message ("case %u: %s", i, cases[i].dict);
      assert_apply_fails (info, dict, FALSE, "unknown customer key", cases[i].key);
      assert_apply_fails (info, dict, TRUE, "unknown customer key", cases[i].key);
    }
}

/* --- text validation ---------------------------------------------------- */

typedef struct {
  const char *key;
  const char *value;
  gboolean valid;
} TextCase;

static void
check_text_cases (const TextCase *cases, gsize n)
{
  for (gsize i = 0; i < n; i++)
    {
      g_autoptr(VmgrCustomerInfo) info = full_customer ();
      g_autoptr(GVariant) dict = string_dict (cases[i].key, cases[i].value);

      g_test_message ("%s = \"%s\" (%s)", cases[i].key, cases[i].value,
                      cases[i].valid ? "valid" : "invalid");
      if (cases[i].valid)
        {
          g_autofree char *stripped = g_strstrip (g_strdup (cases[i].value));
          const char *stored = NULL;

          apply_ok (info, dict, FALSE);
          /* the stored value is the given one, stripped */
          if (g_str_equal (cases[i].key, "full_name"))
            stored = info->full_name;
          else if (g_str_equal (cases[i].key, "email"))
            stored = info->email;
          else if (g_str_equal (cases[i].key, "phone"))
            stored = info->phone;
          else if (g_str_equal (cases[i].key, "address"))
            stored = info->address;
          else if (g_str_equal (cases[i].key, "province"))
            stored = info->province;
          else if (g_str_equal (cases[i].key, "national_id"))
            stored = info->national_id;
          else if (g_str_equal (cases[i].key, "plan"))
            stored = info->plan;
          g_assert_cmpstr (stored, ==, stripped);
        }
      else
        assert_apply_fails (info, dict, FALSE, cases[i].key, NULL);
    }
}

static void
test_email (void)
{
  static const TextCase cases[] = {
    { "email", "a@b.c", TRUE },
    { "email", "ada@example.org", TRUE },
    { "email", "first.last+tag@mail.example.co.uk", TRUE },
    { "email", "user_name-1@sub-domain.example", TRUE },
    { "email", "", TRUE },
    { "email", "plainaddress", FALSE },
    { "email", "@example.org", FALSE },
    { "email", "ada@example", FALSE },
    { "email", "ada.lovelace@localhost", FALSE },
    { "email", "ada@@example.org", FALSE },
    { "email", "ada@example.org@evil.org", FALSE },
    { "email", "ada lovelace@example.org", FALSE },
    { "email", "ada@exa mple.org", FALSE },
    { "email", "ada@exam\nple.org", FALSE },
    { "email", "ada\t@example.org", FALSE },
    { "email", "a@b.c\x7f", FALSE },
  };

  check_text_cases (cases, G_N_ELEMENTS (cases));
}

static void
test_phone (void)
{
  static const TextCase cases[] = {
    { "phone", "", TRUE },
    { "phone", "5550100", TRUE },
    { "phone", "+1 (555) 010-0199", TRUE },
    { "phone", "+44 20 7946 0000", TRUE },
    { "phone", "030.1234.5678", TRUE },
    { "phone", "()+-. 0", TRUE },
    { "phone", "555-CALL-NOW", FALSE },
    { "phone", "555 0100 ext 12", FALSE },
    { "phone", "5550100x12", FALSE },
    { "phone", "phone", FALSE },
    { "phone", "+1/555/0100", FALSE },
    { "phone", "555#0100", FALSE },
    { "phone", "555,0100", FALSE },
    { "phone", "555\t0100", FALSE },
    { "phone", "\xd9\xa5\xd9\xa5\xd9\xa5", FALSE },  /* Arabic-Indic digits */
  };

  check_text_cases (cases, G_N_ELEMENTS (cases));
}

static void
test_national_id (void)
{
  static const TextCase cases[] = {
    { "national_id", "", TRUE },
    { "national_id", "12345678", TRUE },
    { "national_id", "12345678Z", TRUE },
    { "national_id", "X-1234567-L", TRUE },
    { "national_id", "AB.12/345-c", TRUE },
    { "national_id", "123-45-6789", TRUE },
    { "national_id", "12 345 678", FALSE },
    { "national_id", "12_345", FALSE },
    { "national_id", "12,345", FALSE },
    { "national_id", "ID:42", FALSE },
    { "national_id", "+12345", FALSE },
    { "national_id", "N\xc2\xba" "123", FALSE },  /* "Nº123" */
    { "national_id", "12\n3", FALSE },
  };

  check_text_cases (cases, G_N_ELEMENTS (cases));
}

static void
test_plan (void)
{
  static const TextCase cases[] = {
    { "plan", "", TRUE },
    { "plan", "gold", TRUE },
    { "plan", "Gold_2024", TRUE },
    { "plan", "a", TRUE },
    { "plan", "small.v2", TRUE },
    { "plan", "1vcpu-1g", TRUE },
    { "plan", "-gold", FALSE },
    { "plan", ".gold", FALSE },
    { "plan", "_gold", FALSE },
    { "plan", "gold plan", FALSE },
    { "plan", "gold/2", FALSE },
    { "plan", "123", FALSE },  /* all digits reads as an id */
    { "plan", "oro\xc3\xa9", FALSE },
    { "plan", "0123456789012345678901234567890123456789012345678901234567890ab", TRUE },
    { "plan", "0123456789012345678901234567890123456789012345678901234567890abc", FALSE },
  };

  check_text_cases (cases, G_N_ELEMENTS (cases));
}

/* Free text: anything printable, UTF-8 included. */
static void
test_free_text (void)
{
  static const TextCase cases[] = {
    { "full_name", "Ada Lovelace", TRUE },
    { "full_name", "José Ñúñez-O'Brien", TRUE },
    { "full_name", "李小龍", TRUE },
    { "full_name", "", TRUE },
    { "address", "Calle Mayor 1, 3º B; 28013 <Madrid> & \"more\"", TRUE },
    { "address", "PO Box 12 # ~ ` | \\ @ ! ?", TRUE },
    { "province", "Île-de-France", TRUE },
    { "full_name", "Ada\nLovelace", FALSE },
    { "full_name", "Ada\rLovelace", FALSE },
    { "full_name", "Ada\tLovelace", FALSE },
    { "full_name", "\x1b[31mred", FALSE },
    { "full_name", "Ada\x7f", FALSE },
    { "address", "line 1\nline 2", FALSE },
    { "province", "\x01", FALSE },
    { "province", "x\x1f", FALSE },
  };

  check_text_cases (cases, G_N_ELEMENTS (cases));
}

static void
test_control_message (void)
{
  g_autoptr(VmgrCustomerInfo) info = full_customer ();
  g_autoptr(GVariant) dict = string_dict ("address", "a\nb");

  assert_apply_fails (info, dict, FALSE, "address", "control characters");
}

/* At most 256 bytes (not characters) for every text key. */
static void
test_length (void)
{
  static const struct { const char *key; const char *unit; } cases[] = {
    { "full_name", "a" },
    { "full_name", "\xc3\xa9" },  /* é, 2 bytes */
    { "address", "1" },
    { "province", "\xe6\x9d\x8e" },  /* 3 bytes; 256 is not a multiple */
    { "phone", "5" },
    { "national_id", "9" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      gsize unit = strlen (cases[i].unit);
      guint fit = 256 / unit;
      g_autofree char *ok_text = repeat (cases[i].unit, fit);
      g_autofree char *long_text = repeat (cases[i].unit, fit + 1);
      g_autoptr(GVariant) ok_dict = string_dict (cases[i].key, ok_text);
      g_autoptr(GVariant) long_dict = string_dict (cases[i].key, long_text);
      g_autoptr(VmgrCustomerInfo) info = full_customer ();

      g_test_message ("case %u: %s of %zu and %zu bytes", i, cases[i].key, strlen (ok_text),
                      strlen (long_text));
      g_assert_cmpuint (strlen (ok_text), <=, 256);
      g_assert_cmpuint (strlen (long_text), >, 256);
      assert_apply_fails (info, long_dict, FALSE, cases[i].key, "256 bytes");
      apply_ok (info, ok_dict, FALSE);
    }

  /* e-mail: 256 bytes accepted, 257 refused */
  {
    g_autofree char *local = repeat ("x", 256 - strlen ("@example.org"));
    g_autofree char *ok_text = g_strconcat (local, "@example.org", NULL);
    g_autofree char *long_text = g_strconcat (local, "y@example.org", NULL);
    g_autoptr(GVariant) ok_dict = string_dict ("email", ok_text);
    g_autoptr(GVariant) long_dict = string_dict ("email", long_text);
    g_autoptr(VmgrCustomerInfo) info = full_customer ();

    g_assert_cmpuint (strlen (ok_text), ==, 256);
    assert_apply_fails (info, long_dict, FALSE, "email", "256 bytes");
    apply_ok (info, ok_dict, FALSE);
    g_assert_cmpstr (info->email, ==, ok_text);
  }

  /* the message does not echo the over-long value */
  {
    g_autofree char *long_text = repeat ("q", 1000);
    g_autoptr(GVariant) dict = string_dict ("address", long_text);
    g_autoptr(VmgrCustomerInfo) info = full_customer ();
    g_autoptr(GError) error = NULL;

    g_assert_false (vmgr_customer_info_apply (info, dict, FALSE, &error));
    g_assert_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_ARGUMENT);
    g_assert_null (strstr (error->message, "qqqqqqqqqq"));
  }
}

/* --- whitespace --------------------------------------------------------- */

static void
test_strip (void)
{
  static const struct { const char *key; const char *value; const char *stored; } cases[] = {
    { "full_name", "  Ada Lovelace  ", "Ada Lovelace" },
    { "full_name", "Ada  Lovelace", "Ada  Lovelace" },  /* inner blanks are kept */
    { "address", " 1 Main St ", "1 Main St" },
    { "province", "Ontario ", "Ontario" },
    { "phone", " +1 555 0100 ", "+1 555 0100" },
    { "phone", "   ", "" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(VmgrCustomerInfo) info = full_customer ();
      g_autoptr(GVariant) dict = string_dict (cases[i].key, cases[i].value);
      const char *stored;

      g_test_message ("case %u: %s = \"%s\"", i, cases[i].key, cases[i].value);
      apply_ok (info, dict, FALSE);
      stored = g_str_equal (cases[i].key, "full_name") ? info->full_name
               : g_str_equal (cases[i].key, "address") ? info->address
               : g_str_equal (cases[i].key, "province") ? info->province
               : info->phone;
      g_assert_cmpstr (stored, ==, cases[i].stored);
    }
}

/* Identity keys set to nothing (full_name: only blanks, empty once
 * stripped) fail require_identity, and only it. */
static void
test_blank_identity (void)
{
  static const char * const keys[] = { "full_name", "email", "national_id" };

  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    {
      g_autoptr(VmgrCustomerInfo) info = full_customer ();
      g_autoptr(GVariant) dict = string_dict (keys[i], g_str_equal (keys[i], "full_name")
                                                       ? "    " : "");

      g_test_message ("%s", keys[i]);
      assert_apply_fails (info, dict, TRUE, keys[i], NULL);
      apply_ok (info, dict, FALSE);
    }
}

/* --- require_identity --------------------------------------------------- */

static void
test_require_identity (void)
{
  static const struct {
    const char *dict;
    const char *missing;  /* NULL: allowed */
  } cases[] = {
    { "{'full_name': <'A B'>, 'email': <'a@b.c'>, 'national_id': <'1X'>}", NULL },
    { "{'full_name': <'A B'>, 'email': <'a@b.c'>, 'national_id': <'1X'>,"
      " 'phone': <''>, 'plan': <''>}", NULL },
    { "{'email': <'a@b.c'>, 'national_id': <'1X'>}", "full_name" },
    { "{'full_name': <'A B'>, 'national_id': <'1X'>}", "email" },
    { "{'full_name': <'A B'>, 'email': <'a@b.c'>}", "national_id" },
    { "{'full_name': <''>, 'email': <'a@b.c'>, 'national_id': <'1X'>}", "full_name" },
    { "{'full_name': <'A B'>, 'email': <''>, 'national_id': <'1X'>}", "email" },
    { "{'full_name': <'A B'>, 'email': <'a@b.c'>, 'national_id': <''>}", "national_id" },
    { "{'phone': <'555'>, 'address': <'x'>, 'province': <'y'>, 'plan': <'p'>}", "full_name" },
    { "{'max_vms': <uint32 1>}", "full_name" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(VmgrCustomerInfo) info = vmgr_customer_info_new (77);
      g_autoptr(GVariant) dict = parse_dict (cases[i].dict);

      g_test_message ("case %u: %s", i, cases[i].dict);
      if (cases[i].missing == NULL)
        {
          apply_ok (info, dict, TRUE);
        }
      else
        {
          g_autoptr(VmgrCustomerInfo) blank = vmgr_customer_info_new (77);

          assert_apply_fails (info, dict, TRUE, cases[i].missing, "required");
          g_assert_true (vmgr_customer_info_equal (info, blank));
          /* without require_identity the same is fine */
          apply_ok (info, dict, FALSE);
        }
    }
}

/* An update of a complete customer need not repeat the identity. */
static void
test_require_identity_update (void)
{
  g_autoptr(VmgrCustomerInfo) info = full_customer ();
  g_autoptr(GVariant) dict = parse_dict ("{'phone': <'555 0101'>}");
  g_autoptr(GVariant) clear = parse_dict ("{'email': <''>}");

  apply_ok (info, dict, TRUE);
  g_assert_cmpstr (info->phone, ==, "555 0101");
  assert_apply_fails (info, clear, TRUE, "email", "required");
  apply_ok (info, clear, FALSE);
  g_assert_cmpstr (info->email, ==, "");
}

/* --- atomicity ---------------------------------------------------------- */

/* A failure after valid keys leaves @info exactly as it was. */
static void
test_unchanged_on_error (void)
{
  static const char * const cases[] = {
    "{'full_name': <'New Name'>, 'max_vms': <uint32 9>, 'email': <'broken'>}",
    "{'max_memory': <uint64 1>, 'max_disk': <uint64 2>, 'phone': <'call me'>}",
    "{'plan': <'platinum'>, 'address': <'New address'>, 'max_vcpus': <'x'>}",
    "{'national_id': <'NEW-1'>, 'province': <'P'>, 'plan': <'-bad'>}",
    "{'email': <'new@example.org'>, 'national_id': <'N 1'>}",
    "{'full_name': <'New Name'>, 'colour': <'blue'>}",
    "{'full_name': <'New\\nName'>}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(VmgrCustomerInfo) info = full_customer ();
      g_autoptr(VmgrCustomerInfo) original = full_customer ();
      g_autoptr(GVariant) dict = parse_dict (cases[i]);
      g_autoptr(GError) error = NULL;

      g_test_message ("case %u: %s", i, cases[i]);
      g_assert_false (vmgr_customer_info_apply (info, dict, FALSE, &error));
      g_assert_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_ARGUMENT);
      g_assert_true (vmgr_customer_info_equal (info, original));
      /* and with require_identity */
      g_clear_error (&error);
      g_assert_false (vmgr_customer_info_apply (info, dict, TRUE, &error));
      g_assert_true (vmgr_customer_info_equal (info, original));
    }

  /* a failing identity check after good keys */
  {
    g_autoptr(VmgrCustomerInfo) info = vmgr_customer_info_new (3);
    g_autoptr(VmgrCustomerInfo) original = vmgr_customer_info_new (3);
    g_autoptr(GVariant) dict =
      parse_dict ("{'full_name': <'X Y'>, 'email': <'x@y.z'>, 'max_vms': <uint32 2>}");

    assert_apply_fails (info, dict, TRUE, "national_id", NULL);
    g_assert_true (vmgr_customer_info_equal (info, original));
  }
}

/* The error may be ignored (NULL GError **). */
static void
test_null_error (void)
{
  g_autoptr(VmgrCustomerInfo) info = full_customer ();
  g_autoptr(VmgrCustomerInfo) original = full_customer ();
  g_autoptr(GVariant) bad = parse_dict ("{'email': <'nope'>}");
  g_autoptr(GVariant) good = parse_dict ("{'email': <'yes@example.org'>}");

  g_assert_false (vmgr_customer_info_apply (info, bad, FALSE, NULL));
  g_assert_true (vmgr_customer_info_equal (info, original));
  g_assert_true (vmgr_customer_info_apply (info, good, TRUE, NULL));
  g_assert_cmpstr (info->email, ==, "yes@example.org");
}

/* --- has_key ------------------------------------------------------------ */

static void
test_has_key (void)
{
  g_autoptr(GVariant) dict =
    parse_dict ("{'full_name': <'A'>, 'max_vms': <uint32 0>, 'plan': <''>, 'x': <@mv nothing>}");
  g_autoptr(GVariant) empty = parse_dict ("@a{sv} {}");
  static const struct { const char *key; gboolean present; } cases[] = {
    { "full_name", TRUE },
    { "max_vms", TRUE },   /* present although 0 */
    { "plan", TRUE },      /* present although empty */
    { "x", TRUE },         /* whatever its type */
    { "email", FALSE },
    { "Full_name", FALSE },
    { "full", FALSE },
    { "", FALSE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_test_message ("key %s", cases[i].key);
      g_assert_cmpint (vmgr_customer_info_has_key (dict, cases[i].key), ==, cases[i].present);
      g_assert_false (vmgr_customer_info_has_key (empty, cases[i].key));
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/customer-info/apply/all-keys", test_apply_all_keys);
  g_test_add_func ("/customer-info/apply/each-key", test_apply_each_key);
  g_test_add_func ("/customer-info/apply/empty", test_apply_empty_dict);
  g_test_add_func ("/customer-info/apply/clear", test_apply_clear);
  g_test_add_func ("/customer-info/apply/wrong-type", test_apply_wrong_type);
  g_test_add_func ("/customer-info/apply/unknown-key", test_apply_unknown_key);
  g_test_add_func ("/customer-info/validate/email", test_email);
  g_test_add_func ("/customer-info/validate/phone", test_phone);
  g_test_add_func ("/customer-info/validate/national-id", test_national_id);
  g_test_add_func ("/customer-info/validate/plan", test_plan);
  g_test_add_func ("/customer-info/validate/free-text", test_free_text);
  g_test_add_func ("/customer-info/validate/control-message", test_control_message);
  g_test_add_func ("/customer-info/validate/length", test_length);
  g_test_add_func ("/customer-info/strip", test_strip);
  g_test_add_func ("/customer-info/require-identity/blank", test_blank_identity);
  g_test_add_func ("/customer-info/require-identity", test_require_identity);
  g_test_add_func ("/customer-info/require-identity/update", test_require_identity_update);
  g_test_add_func ("/customer-info/unchanged-on-error", test_unchanged_on_error);
  g_test_add_func ("/customer-info/null-error", test_null_error);
  g_test_add_func ("/customer-info/has-key", test_has_key);

  return g_test_run ();
}
