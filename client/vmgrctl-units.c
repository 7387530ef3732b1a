/* Sizes, numbers, durations and times, as typed and as printed. */
#include "vmgrctl-units.h"

#include <string.h>

#include "vmgrctl-errors.h"

#define MAX_FRACTION_DIGITS 6

static gboolean
invalid_value (GError **error, const char *text, const char *what)
{
  g_set_error (error, VMGRCTL_ERROR, VMGRCTL_EXIT_USAGE,
               "'%s' is not %s", text, what);
  return FALSE;
}

/* At least one digit; stops at the first non-digit. */
static gboolean
parse_digits (const char **p, guint64 *value, guint *n_digits)
{
  *value = 0;
  *n_digits = 0;
  for (; g_ascii_isdigit (**p); (*p)++, (*n_digits)++)
    {
      guint digit = **p - '0';
      if (*value > (G_MAXUINT64 - digit) / 10)
        return FALSE;
      *value = *value * 10 + digit;
    }
  return *n_digits > 0;
}

/* The power of 1024 as a shift: K=10, M=20, G=30, T=40; 0 for bytes.
 * *@has_unit: whether one was written (B for bytes included). */
static gboolean
parse_size_suffix (const char *p, guint *shift, gboolean *has_unit)
{
  static const char units[] = "KMGT";
  const char *unit = *p != '\0' ? strchr (units, g_ascii_toupper (*p)) : NULL;

  *shift = 0;
  *has_unit = *p != '\0';
  if (unit != NULL)
    {
      *shift = 10 * (guint) (unit - units + 1);
      p++;
      if (g_ascii_strcasecmp (p, "iB") == 0)
        return TRUE;
    }
  return *p == '\0' || g_ascii_strcasecmp (p, "B") == 0;
}

static guint64
power_of_ten (guint n)
{
  guint64 value = 1;
  while (n-- > 0)
    value *= 10;
  return value;
}

static gboolean
invalid_size (GError **error, const char *text)
{
  return invalid_value (error, text, "a size (e.g. 512M, 1.5G, 1024K)");
}

gboolean
vmgrctl_parse_size (const char *text, guint64 *bytes, GError **error)
{
  const char *p = text;
  guint64 whole, fraction = 0, whole_bytes, fraction_bytes;
  guint n_digits, n_fraction_digits = 0, shift;
  gboolean has_unit;

  if (!parse_digits (&p, &whole, &n_digits))
    return invalid_size (error, text);
  if (*p == '.')
    {
      p++;
      if (!parse_digits (&p, &fraction, &n_fraction_digits))
        return invalid_size (error, text);
    }
  while (*p == ' ')
    p++;
  if (!parse_size_suffix (p, &shift, &has_unit) || n_fraction_digits > MAX_FRACTION_DIGITS
      || (shift == 0 && n_fraction_digits > 0))
    return invalid_size (error, text);
  /* virsh reads a bare number as KiB, vmgrd's API as bytes: no guessing. */
  if (!has_unit && whole != 0)
    return invalid_value (error, text, "a size with its unit (e.g. 512M, 1G; 512B for bytes)");
  if (whole > (G_MAXUINT64 >> shift))
    return invalid_value (error, text, "a size that fits in 64 bits");

  whole_bytes = whole << shift;
  fraction_bytes = (fraction << shift) / power_of_ten (n_fraction_digits);
  if (whole_bytes > G_MAXUINT64 - fraction_bytes)
    return invalid_value (error, text, "a size that fits in 64 bits");
  *bytes = whole_bytes + fraction_bytes;
  return TRUE;
}

char *
vmgrctl_format_size (guint64 bytes)
{
  static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
  guint i = 0;
  guint64 unit, tenths, whole;

  while (i + 1 < G_N_ELEMENTS (units) && bytes >= G_GUINT64_CONSTANT (1) << (10 * (i + 1)))
    i++;
  if (i == 0)
    return g_strdup_printf ("%" G_GUINT64_FORMAT " B", bytes);

  unit = G_GUINT64_CONSTANT (1) << (10 * i);
  tenths = bytes / unit * 10 + ((bytes % unit) * 10 + unit / 2) / unit;
  if (tenths < 100)
    return g_strdup_printf ("%u.%u %s", (guint) (tenths / 10), (guint) (tenths % 10), units[i]);
  /* Rounded from the bytes, not from the tenths: 10.46 GiB is "10 GiB". */
  whole = bytes / unit + (bytes % unit >= unit / 2 ? 1 : 0);
  if (whole >= 1024 && i + 1 < G_N_ELEMENTS (units))
    return g_strdup_printf ("1.0 %s", units[i + 1]);
  return g_strdup_printf ("%" G_GUINT64_FORMAT " %s", whole, units[i]);
}

gboolean
vmgrctl_parse_uint (const char *text, guint64 max, guint64 *value, GError **error)
{
  g_autoptr(GError) local_error = NULL;

  if (g_ascii_string_to_unsigned (text, 10, 0, max, value, &local_error))
    return TRUE;
  g_set_error (error, VMGRCTL_ERROR, VMGRCTL_EXIT_USAGE, "%s", local_error->message);
  return FALSE;
}

gboolean
vmgrctl_parse_percent (const char *text, guint32 *value, GError **error)
{
  g_autofree char *number = g_strdup (text);
  gsize len = strlen (number);
  guint64 parsed;

  if (len > 0 && number[len - 1] == '%')
    number[len - 1] = '\0';
  if (!vmgrctl_parse_uint (number, G_MAXUINT32, &parsed, NULL))
    return invalid_value (error, text, "a percentage (e.g. 150 or 150%)");
  *value = (guint32) parsed;
  return TRUE;
}

char *
vmgrctl_format_duration (guint64 seconds)
{
  guint64 days = seconds / 86400, hours = seconds / 3600 % 24;
  guint64 minutes = seconds / 60 % 60, secs = seconds % 60;

  if (days > 0)
    return g_strdup_printf ("%" G_GUINT64_FORMAT "d %" G_GUINT64_FORMAT "h %" G_GUINT64_FORMAT "m",
                            days, hours, minutes);
  if (hours > 0)
    return g_strdup_printf ("%" G_GUINT64_FORMAT "h %" G_GUINT64_FORMAT "m", hours, minutes);
  if (minutes > 0)
    return g_strdup_printf ("%" G_GUINT64_FORMAT "m %" G_GUINT64_FORMAT "s", minutes, secs);
  return g_strdup_printf ("%" G_GUINT64_FORMAT "s", secs);
}

static GDateTime *
parse_date_time (const char *text)
{
  g_autoptr(GTimeZone) local = g_time_zone_new_local ();
  g_autofree char *midnight = NULL;
  GDateTime *parsed = g_date_time_new_from_iso8601 (text, local);

  if (parsed != NULL || strchr (text, 'T') != NULL || strchr (text, ' ') != NULL)
    return parsed;
  midnight = g_strconcat (text, "T00:00:00", NULL);
  return g_date_time_new_from_iso8601 (midnight, local);
}

gboolean
vmgrctl_parse_time (const char *text, gint64 *usec, GError **error)
{
  g_autoptr(GDateTime) parsed = parse_date_time (text);

  if (parsed == NULL)
    return invalid_value (error, text, "an ISO 8601 time (e.g. 2024-05-01 or 2024-05-01T12:00:00Z)");
  *usec = g_date_time_to_unix (parsed) * G_USEC_PER_SEC + g_date_time_get_microsecond (parsed);
  return TRUE;
}

static GDateTime *
date_time_from_usec (gint64 usec, gboolean local)
{
  gint64 seconds = usec / G_USEC_PER_SEC, rest = usec % G_USEC_PER_SEC;
  g_autoptr(GDateTime) whole = NULL;

  if (rest < 0)
    {
      seconds--;
      rest += G_USEC_PER_SEC;
    }
  whole = local ? g_date_time_new_from_unix_local (seconds) : g_date_time_new_from_unix_utc (seconds);
  return whole != NULL ? g_date_time_add (whole, rest) : NULL;
}

/* @time as @format preceded by its year in four digits: GLib's %Y does not
 * pad ("1-01-01" for the year 1), which ISO 8601 and vmgrctl_parse_time
 * refuse. */
static char *
format_with_year (GDateTime *time, const char *format)
{
  g_autofree char *rest = g_date_time_format (time, format);

  return g_strdup_printf ("%04d-%s", g_date_time_get_year (time), rest);
}

char *
vmgrctl_format_time_local (gint64 usec)
{
  g_autoptr(GDateTime) time = date_time_from_usec (usec, TRUE);

  return time != NULL ? format_with_year (time, "%m-%d %H:%M:%S") : g_strdup ("-");
}

char *
vmgrctl_format_time_iso8601 (gint64 usec)
{
  g_autoptr(GDateTime) time = date_time_from_usec (usec, FALSE);

  return time != NULL ? format_with_year (time, "%m-%dT%H:%M:%S.%fZ") : NULL;
}
