/* vmgrctl's parsers of what a user types: sizes (--memory 1.5G), numbers,
 * percentages and times (audit --since: vmgrctl_parse_time_spec, which
 * reads ISO 8601 through vmgrctl_parse_time), each on the whole input.
 *
 * Checked beyond "no crash": a refusal is a usage error with a message and
 * leaves the output alone; a size prints (vmgrctl_format_size) as
 * something that reads back within its rounding; a time prints
 * (vmgrctl_format_time_iso8601) as something that reads back exactly. */
#include "fuzz-common.h"

#include "vmgrctl-errors.h"
#include "vmgrctl-time.h"
#include "vmgrctl-units.h"

#define UNTOUCHED G_GUINT64_CONSTANT (0x5a5a5a5a5a5a5a5a)

static void
check_refusal (const GError *error)
{
  if (error == NULL || error->domain != VMGRCTL_ERROR || error->code != VMGRCTL_EXIT_USAGE ||
      *error->message == '\0')
    g_error ("a refusal without a usage error");
}

static void
fuzz_size (const char *text)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *shown = NULL;
  guint64 bytes = UNTOUCHED, again = 0;

  if (!vmgrctl_parse_size (text, &bytes, &error))
    {
      check_refusal (error);
      if (bytes != UNTOUCHED)
        g_error ("a refused size was stored");
      return;
    }
  shown = vmgrctl_format_size (bytes);
  /* "16777216 TiB" (G_MAXUINT64 rounded up) does not fit in 64 bits. */
  if (!vmgrctl_parse_size (shown, &again, NULL))
    {
      if (bytes < (G_MAXUINT64 / 100) * 99)
        g_error ("'%s' (%" G_GUINT64_FORMAT ") prints as '%s', which does not read back",
                 text, bytes, shown);
      return;
    }
  /* At least two significant digits: within 5%, plus the rounding. */
  if ((again > bytes ? again - bytes : bytes - again) > bytes / 20 + 1)
    g_error ("'%s' (%" G_GUINT64_FORMAT ") prints as '%s', which reads back as %"
             G_GUINT64_FORMAT, text, bytes, shown, again);
}

static void
fuzz_numbers (const char *text)
{
  static const guint64 maxima[] = { 0, 100, G_MAXUINT32, G_MAXUINT64 };
  g_autoptr(GError) error = NULL;
  guint32 percent = 7;

  for (gsize i = 0; i < G_N_ELEMENTS (maxima); i++)
    {
      g_autoptr(GError) number_error = NULL;
      guint64 value = UNTOUCHED;

      if (!vmgrctl_parse_uint (text, maxima[i], &value, &number_error))
        check_refusal (number_error);
      else if (value > maxima[i])
        g_error ("'%s' read as %" G_GUINT64_FORMAT ", over %" G_GUINT64_FORMAT,
                 text, value, maxima[i]);
    }
  if (!vmgrctl_parse_percent (text, &percent, &error))
    {
      check_refusal (error);
      if (percent != 7)
        g_error ("a refused percentage was stored");
    }
}

static void
fuzz_time (const char *text)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *shown = NULL;
  gint64 usec = 7, again = 0;

  /* 2024-05-01T12:00:00Z: a fixed now keeps each input's answer fixed. */
  if (!vmgrctl_parse_time_spec (text, G_GINT64_CONSTANT (1714564800000000), &usec, &error))
    {
      check_refusal (error);
      if (usec != 7)
        g_error ("a refused time was stored");
      return;
    }
  shown = vmgrctl_format_time_iso8601 (usec);
  if (shown == NULL)
    g_error ("'%s' reads as %" G_GINT64_FORMAT ", which does not print", text, usec);
  if (!vmgrctl_parse_time (shown, &again, &error))
    g_error ("'%s' prints as '%s', which does not read back: %s", text, shown,
             error->message);
  if (again != usec)
    g_error ("'%s' (%" G_GINT64_FORMAT ") prints as '%s', which reads back as %"
             G_GINT64_FORMAT, text, usec, shown, again);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree char *text = NULL;

  fuzz_setup ();
  /* What a command line can carry: a string without NUL. */
  text = fuzz_strndup (data, size);
  fuzz_size (text);
  fuzz_numbers (text);
  fuzz_time (text);
  return 0;
}
