#include "vmgrctl-time.h"

#include <string.h>

#include "vmgrctl-errors.h"
#include "vmgrctl-units.h"

/* How far back a time ago may reach; further is a typo, not a time. */
#define MAX_AGO (G_GINT64_CONSTANT (100) * 366 * G_TIME_SPAN_DAY)

/* "30m": @count units before @now_usec. */
static gboolean
parse_time_ago (const char *text, gint64 now_usec, gint64 *usec)
{
  static const struct { char suffix; gint64 usec; } units[] = {
    { 's', G_USEC_PER_SEC }, { 'm', 60 * G_USEC_PER_SEC }, { 'h', G_TIME_SPAN_HOUR },
    { 'd', G_TIME_SPAN_DAY }, { 'w', 7 * G_TIME_SPAN_DAY },
  };
  gsize len = strlen (text);
  g_autofree char *digits = NULL;
  guint64 count;

  if (len < 2 || !g_ascii_isdigit (text[0]))
    return FALSE;
  digits = g_strndup (text, len - 1);
  if (!g_ascii_string_to_unsigned (digits, 10, 0, G_MAXINT32, &count, NULL))
    return FALSE;
  for (gsize i = 0; i < G_N_ELEMENTS (units); i++)
    if (text[len - 1] == units[i].suffix && (gint64) count <= MAX_AGO / units[i].usec)
      {
        *usec = now_usec - (gint64) count * units[i].usec;
        return TRUE;
      }
  return FALSE;
}

/* Local midnight @days_back days before @now_usec. */
static gint64
local_midnight (gint64 now_usec, int days_back)
{
  g_autoptr(GDateTime) now = g_date_time_new_from_unix_local (now_usec / G_USEC_PER_SEC);
  g_autoptr(GDateTime) midnight = g_date_time_new_local (g_date_time_get_year (now),
                                                         g_date_time_get_month (now),
                                                         g_date_time_get_day_of_month (now),
                                                         0, 0, 0);
  g_autoptr(GDateTime) day = g_date_time_add_days (midnight, -days_back);

  return g_date_time_to_unix (day) * G_USEC_PER_SEC;
}

gboolean
vmgrctl_parse_time_spec (const char *text, gint64 now_usec, gint64 *usec, GError **error)
{
  g_autofree char *trimmed = g_strstrip (g_strdup (text));
  g_autofree char *word = g_ascii_strdown (trimmed, -1);

  if (g_str_equal (word, "now"))
    *usec = now_usec;
  else if (g_str_equal (word, "today"))
    *usec = local_midnight (now_usec, 0);
  else if (g_str_equal (word, "yesterday"))
    *usec = local_midnight (now_usec, 1);
  else if (!parse_time_ago (word, now_usec, usec) && !vmgrctl_parse_time (text, usec, NULL))
    {
      g_set_error (error, VMGRCTL_ERROR, VMGRCTL_EXIT_USAGE,
                   "'%s' is not a time: give a date or time (2024-05-01, 2024-05-01 12:00:00, "
                   "2024-05-01T12:00:00Z), a time ago (30m, 1h, 2d), today or yesterday", text);
      return FALSE;
    }
  return TRUE;
}
