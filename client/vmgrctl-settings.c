/* Command-line settings as the VM methods' arguments. */
#include "vmgrctl-settings.h"

#include "vmgrctl-errors.h"
#include "vmgrctl-units.h"

static gboolean
parse_setting (const VmgrctlSetting *setting, guint64 *value, GError **error)
{
  guint32 percent;

  switch (setting->kind)
    {
    case VMGRCTL_SETTING_SIZE:
      return vmgrctl_parse_size (setting->text, value, error);
    case VMGRCTL_SETTING_COUNT:
      return vmgrctl_parse_uint (setting->text, G_MAXUINT32, value, error);
    case VMGRCTL_SETTING_PERCENT:
      if (!vmgrctl_parse_percent (setting->text, &percent, error))
        return FALSE;
      *value = percent;
      return TRUE;
    }
  g_assert_not_reached ();
}

gboolean
vmgrctl_settings_resolve (VmgrctlSetting *settings, gsize n_settings, GError **error)
{
  for (gsize i = 0; i < n_settings; i++)
    {
      VmgrctlSetting *setting = &settings[i];

      if (setting->text == NULL)
        {
          setting->value = setting->current;
          continue;
        }
      if (!parse_setting (setting, &setting->value, error))
        {
          g_prefix_error (error, "invalid --%s: ", setting->option);
          return FALSE;
        }
    }
  return TRUE;
}

gboolean
vmgrctl_settings_any_given (const VmgrctlSetting *settings, gsize n_settings)
{
  for (gsize i = 0; i < n_settings; i++)
    if (settings[i].text != NULL)
      return TRUE;
  return FALSE;
}

static GVariant *
non_empty_strv (const char *const *items)
{
  g_autoptr(GPtrArray) kept = g_ptr_array_new ();

  for (gsize i = 0; items[i] != NULL; i++)
    if (items[i][0] != '\0')
      g_ptr_array_add (kept, (gpointer) items[i]);
  return g_variant_new_strv ((const char *const *) kept->pdata, kept->len);
}

GVariant *
vmgrctl_network_settings (const char *hostname, const char *const *addresses,
                          const char *gateway, const char *const *nameservers)
{
  GVariantDict dict;

  g_variant_dict_init (&dict, NULL);
  if (hostname != NULL)
    g_variant_dict_insert (&dict, "hostname", "s", hostname);
  if (addresses != NULL)
    g_variant_dict_insert_value (&dict, "addresses", non_empty_strv (addresses));
  if (gateway != NULL)
    g_variant_dict_insert (&dict, "gateway", "s", gateway);
  if (nameservers != NULL)
    g_variant_dict_insert_value (&dict, "nameservers", non_empty_strv (nameservers));
  return g_variant_dict_end (&dict);
}

gboolean
vmgrctl_parse_switch (const char *text, gboolean *on, GError **error)
{
  static const char *const on_words[] = { "on", "yes", "true", "1", NULL };
  static const char *const off_words[] = { "off", "no", "false", "0", NULL };
  g_autofree char *word = g_ascii_strdown (text, -1);

  if (g_strv_contains (on_words, word) || g_strv_contains (off_words, word))
    {
      *on = g_strv_contains (on_words, word);
      return TRUE;
    }
  g_set_error (error, VMGRCTL_ERROR, VMGRCTL_EXIT_USAGE, "'%s' is not on or off", text);
  return FALSE;
}
