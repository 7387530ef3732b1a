/* Unit tests of command-line options as D-Bus values: settings
 * (vmgrctl-settings.c: sizes, counts, percentages, on/off, network
 * settings) and customer options (vmgrctl-customer-options.c). */
#include <gio/gio.h>

#include "vmgrctl-customer-options.h"
#include "vmgrctl-errors.h"
#include "vmgrctl-settings.h"

#define GiB (G_GUINT64_CONSTANT (1) << 30)
#define MiB (G_GUINT64_CONSTANT (1) << 20)

/* ---- settings ---- */

static void
test_settings_resolve (void)
{
  VmgrctlSetting settings[] = {
    { "guarantee", VMGRCTL_SETTING_SIZE, NULL, 512 * MiB, 0 },
    { "soft-limit", VMGRCTL_SETTING_SIZE, "0", GiB, 0 },
    { "limit", VMGRCTL_SETTING_SIZE, "1.5G", GiB, 0 },
  };
  VmgrctlSetting cpu[] = {
    { "vcpus", VMGRCTL_SETTING_COUNT, "4", 2, 0 },
    { "weight", VMGRCTL_SETTING_COUNT, NULL, 100, 0 },
    { "limit", VMGRCTL_SETTING_PERCENT, "150%", 0, 0 },
  };
  VmgrctlSetting none[] = { { "soft", VMGRCTL_SETTING_SIZE, NULL, 5, 0 } };

  g_assert_true (vmgrctl_settings_any_given (settings, G_N_ELEMENTS (settings)));
  g_assert_true (vmgrctl_settings_resolve (settings, G_N_ELEMENTS (settings), NULL));
  g_assert_cmpuint (settings[0].value, ==, 512 * MiB);
  g_assert_cmpuint (settings[1].value, ==, 0);
  g_assert_cmpuint (settings[2].value, ==, GiB + GiB / 2);
  g_assert_true (vmgrctl_settings_resolve (cpu, G_N_ELEMENTS (cpu), NULL));
  g_assert_cmpuint (cpu[0].value, ==, 4);
  g_assert_cmpuint (cpu[1].value, ==, 100);
  g_assert_cmpuint (cpu[2].value, ==, 150);
  g_assert_false (vmgrctl_settings_any_given (none, G_N_ELEMENTS (none)));
  g_assert_true (vmgrctl_settings_resolve (none, G_N_ELEMENTS (none), NULL));
  g_assert_cmpuint (none[0].value, ==, 5);
}

static void
test_settings_invalid (void)
{
  static const struct { VmgrctlSettingKind kind; const char *text; const char *message; } cases[] = {
    { VMGRCTL_SETTING_SIZE, "12X", "invalid --opt: '12X' is not a size (e.g. 512M, 1.5G, 1024K)" },
    { VMGRCTL_SETTING_COUNT, "-1", NULL },
    { VMGRCTL_SETTING_COUNT, "4294967296", NULL },
    { VMGRCTL_SETTING_PERCENT, "1.5", "invalid --opt: '1.5' is not a percentage (e.g. 150 or 150%)" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      VmgrctlSetting setting = { "opt", cases[i].kind, cases[i].text, 3, 9 };
      g_autoptr(GError) error = NULL;

      g_assert_false (vmgrctl_settings_resolve (&setting, 1, &error));
      g_assert_error (error, VMGRCTL_ERROR, VMGRCTL_EXIT_USAGE);
      g_assert_true (g_str_has_prefix (error->message, "invalid --opt: "));
      if (cases[i].message != NULL)
        g_assert_cmpstr (error->message, ==, cases[i].message);
    }
}

static void
test_network_settings (void)
{
  const char *const addresses[] = { "10.0.0.2/24", "", "fd00::2/64", NULL };
  const char *const clear[] = { "", NULL };
  g_autoptr(GVariant) all = g_variant_ref_sink (
    vmgrctl_network_settings ("web", addresses, "10.0.0.1", clear));
  g_autoptr(GVariant) some = g_variant_ref_sink (
    vmgrctl_network_settings (NULL, NULL, "", NULL));
  g_autofree const char **list = NULL;
  g_autofree const char **empty = NULL;
  const char *text;

  g_assert_true (g_variant_is_of_type (all, G_VARIANT_TYPE_VARDICT));
  g_assert_cmpuint (g_variant_n_children (all), ==, 4);
  g_assert_true (g_variant_lookup (all, "hostname", "&s", &text));
  g_assert_cmpstr (text, ==, "web");
  g_assert_true (g_variant_lookup (all, "addresses", "^a&s", &list));
  g_assert_cmpuint (g_strv_length ((char **) list), ==, 2);
  g_assert_cmpstr (list[1], ==, "fd00::2/64");
  g_assert_true (g_variant_lookup (all, "nameservers", "^a&s", &empty));
  g_assert_cmpuint (g_strv_length ((char **) empty), ==, 0);
  g_assert_cmpuint (g_variant_n_children (some), ==, 1);
  g_assert_true (g_variant_lookup (some, "gateway", "&s", &text));
  g_assert_cmpstr (text, ==, "");
}

static void
test_parse_switch (void)
{
  static const char *const on[] = { "on", "ON", "yes", "true", "1" };
  static const char *const off[] = { "off", "Off", "no", "false", "0" };
  g_autoptr(GError) error = NULL;
  gboolean value;

  for (gsize i = 0; i < G_N_ELEMENTS (on); i++)
    {
      value = FALSE;
      g_assert_true (vmgrctl_parse_switch (on[i], &value, NULL));
      g_assert_true (value);
      g_assert_true (vmgrctl_parse_switch (off[i], &value, NULL));
      g_assert_false (value);
    }
  g_assert_false (vmgrctl_parse_switch ("maybe", &value, &error));
  g_assert_error (error, VMGRCTL_ERROR, VMGRCTL_EXIT_USAGE);
  g_assert_cmpstr (error->message, ==, "'maybe' is not on or off");
}

/* ---- customer options ---- */

/* Sets the option @name of @options as the command line would. */
static void
set_option (VmgrctlCustomerOptions *options, const char *name, const char *value)
{
  g_autofree GOptionEntry *entries = vmgrctl_customer_options_entries (options);

  for (guint i = 0; entries[i].long_name != NULL; i++)
    if (g_str_equal (entries[i].long_name, name))
      {
        *(char **) entries[i].arg_data = g_strdup (value);
        return;
      }
  g_assert_not_reached ();
}

static void
test_customer_options (void)
{
  g_auto(VmgrctlCustomerOptions) options = { { NULL } };
  g_autoptr(GVariant) info = NULL;
  const char *text;
  guint32 count;
  guint64 bytes;

  g_assert_false (vmgrctl_customer_options_any (&options));
  g_assert_cmpstr (vmgrctl_customer_options_missing (&options), ==, "--name");
  set_option (&options, "name", "Ada Lovelace");
  set_option (&options, "email", "ada@example.org");
  g_assert_cmpstr (vmgrctl_customer_options_missing (&options), ==, "--national-id");
  set_option (&options, "national-id", "X-1");
  g_assert_null (vmgrctl_customer_options_missing (&options));
  set_option (&options, "address", "1 Main St");
  set_option (&options, "max-vcpus", "8");
  set_option (&options, "max-disk", "100G");
  g_assert_true (vmgrctl_customer_options_any (&options));

  info = vmgrctl_customer_options_to_info (&options, NULL);
  g_assert_nonnull (info);
  g_assert_cmpuint (g_variant_n_children (info), ==, 6);
  g_assert_true (g_variant_lookup (info, "full_name", "&s", &text));
  g_assert_cmpstr (text, ==, "Ada Lovelace");
  g_assert_true (g_variant_lookup (info, "national_id", "&s", &text));
  g_assert_cmpstr (text, ==, "X-1");
  g_assert_true (g_variant_lookup (info, "address", "&s", &text));
  g_assert_true (g_variant_lookup (info, "max_vcpus", "u", &count));
  g_assert_cmpuint (count, ==, 8);
  g_assert_true (g_variant_lookup (info, "max_disk", "t", &bytes));
  g_assert_cmpuint (bytes, ==, 100 * GiB);
  g_assert_false (g_variant_lookup (info, "phone", "&s", &text));
}

static void
test_customer_options_invalid (void)
{
  g_auto(VmgrctlCustomerOptions) options = { { NULL } };
  g_autoptr(GError) error = NULL;

  set_option (&options, "max-memory", "lots");
  g_assert_null (vmgrctl_customer_options_to_info (&options, &error));
  g_assert_error (error, VMGRCTL_ERROR, VMGRCTL_EXIT_USAGE);
  g_assert_true (g_str_has_prefix (error->message, "invalid --max-memory: "));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/vmgrctl/settings/resolve", test_settings_resolve);
  g_test_add_func ("/vmgrctl/settings/invalid", test_settings_invalid);
  g_test_add_func ("/vmgrctl/settings/network", test_network_settings);
  g_test_add_func ("/vmgrctl/settings/switch", test_parse_switch);
  g_test_add_func ("/vmgrctl/customer/options", test_customer_options);
  g_test_add_func ("/vmgrctl/customer/options-invalid", test_customer_options_invalid);

  return g_test_run ();
}
