/* See fuzz-common.h. */
#include "fuzz-common.h"

#include <stdlib.h>
#include <string.h>

static GLogWriterOutput
quiet_writer (GLogLevelFlags level, const GLogField *fields, gsize n_fields,
              gpointer user_data)
{
  if ((level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL)) == 0)
    return G_LOG_WRITER_HANDLED;
  g_log_writer_standard_streams (level, fields, n_fields, user_data);
  /* SIGABRT, which libFuzzer catches to save the input; GLib would raise
   * SIGTRAP, which it does not. */
  abort ();
}

void
fuzz_setup (void)
{
  static gsize done = 0;

  if (g_once_init_enter (&done))
    {
      g_log_set_always_fatal (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL);
      g_log_set_writer_func (quiet_writer, NULL, NULL);
      g_once_init_leave (&done, 1);
    }
}

char *
fuzz_strndup (const uint8_t *data, size_t size)
{
  char *text = g_malloc (size + 1);

  if (size > 0)
    memcpy (text, data, size);
  text[size] = '\0';
  return text;
}

GVariant *
fuzz_variant (const GVariantType *type, const uint8_t *data, size_t size)
{
  g_autofree char *text = fuzz_strndup (data, size);
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GVariant) serialised = NULL;
  GVariant *value;

  /* Text is UTF-8 (GLib 2.74's parser would pass on invalid strings to
   * g_variant_new_string, which refuses them with a critical). */
  if (g_utf8_validate (text, (gssize) size, NULL))
    {
      value = g_variant_parse (type, text, text + size, NULL, NULL);
      if (value != NULL)
        return value;
    }

  /* Copied: the value must not point into libFuzzer's buffer. */
  bytes = g_bytes_new (data, size);
  serialised = g_variant_ref_sink (g_variant_new_from_bytes (type, bytes, FALSE));
  return g_variant_get_normal_form (serialised);
}

void
fuzz_check_error (const GError *error, GQuark domain, int code)
{
  if (error == NULL)
    g_error ("failed without an error");
  if (error->domain != domain || error->code != code)
    g_error ("unexpected error %s %d: %s", g_quark_to_string (error->domain),
             error->code, error->message);
  if (error->message == NULL || *error->message == '\0' ||
      !g_utf8_validate (error->message, -1, NULL))
    g_error ("error message empty or not UTF-8");
}
