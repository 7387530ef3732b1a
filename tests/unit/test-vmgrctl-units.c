/* Unit tests of vmgrctl's units (vmgrctl-units.c): sizes, numbers,
 * durations and times, parsed and formatted. */
#include <gio/gio.h>

#include "vmgrctl-errors.h"
#include "vmgrctl-units.h"

#define KiB G_GUINT64_CONSTANT (1024)
#define MiB (KiB * 1024)
#define GiB (MiB * 1024)
#define TiB (GiB * 1024)

static void
test_parse_size_valid (void)
{
  static const struct { const char *text; guint64 bytes; } cases[] = {
    { "0", 0 }, { "4096B", 4096 }, { "10B", 10 }, { "10b", 10 },
    { "1024K", 1024 * KiB }, { "1KiB", KiB }, { "1kb", KiB },
    { "512M", 512 * MiB }, { "512m", 512 * MiB }, { "512MiB", 512 * MiB }, { "512MB", 512 * MiB },
    { "1G", GiB }, { "1.5GiB", GiB + GiB / 2 }, { "1.5 GiB", GiB + GiB / 2 },
    { "0.5G", GiB / 2 }, { "2T", 2 * TiB }, { "1.25T", TiB + TiB / 4 },
    { "18446744073709551615B", G_MAXUINT64 }, { "16777215T", 16777215 * TiB },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      guint64 bytes = 1;

      g_test_message ("parsing '%s'", cases[i].text);
      g_assert_true (vmgrctl_parse_size (cases[i].text, &bytes, &error));
      g_assert_no_error (error);
      g_assert_cmpuint (bytes, ==, cases[i].bytes);
    }
}

static void
test_parse_size_invalid (void)
{
  static const char *const cases[] = {
    "", "abc", "G", ".5G", "1.", "1.5", "-1", "+1", "1X", "1GiBs", "1GG", "1..5G", " 1G",
    "1G ", "1iB", "1.1234567G", "18446744073709551616B", "16777216T", "0x10",
    /* a number without its unit: bytes to vmgrd, KiB to virsh */
    "4096", "512", "1",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      guint64 bytes = 7;

      g_test_message ("parsing '%s'", cases[i]);
      g_assert_false (vmgrctl_parse_size (cases[i], &bytes, &error));
      g_assert_error (error, VMGRCTL_ERROR, VMGRCTL_EXIT_USAGE);
      g_assert_cmpuint (bytes, ==, 7);
    }
}

static void
test_format_size (void)
{
  static const struct { guint64 bytes; const char *text; } cases[] = {
    { 0, "0 B" }, { 1023, "1023 B" }, { KiB, "1.0 KiB" }, { 1536, "1.5 KiB" },
    { 64 * MiB, "64 MiB" }, { 512 * MiB, "512 MiB" }, { GiB, "1.0 GiB" },
    { GiB + GiB / 2, "1.5 GiB" }, { 10 * GiB, "10 GiB" }, { GiB - 1, "1.0 GiB" },
    { 9 * GiB + 96 * GiB / 100, "10 GiB" }, { 9 * GiB + 94 * GiB / 100, "9.9 GiB" },
    { 2048 * TiB, "2048 TiB" }, { G_MAXUINT64, "16777216 TiB" },
    /* rounded once, from the bytes (found by fuzz-units) */
    { 10 * GiB + 46 * GiB / 100, "10 GiB" }, { 10 * GiB + GiB / 2, "11 GiB" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *text = vmgrctl_format_size (cases[i].bytes);
      g_assert_cmpstr (text, ==, cases[i].text);
    }
}

/* What the tables print can be typed back. */
static void
test_size_round_trip (void)
{
  static const guint64 sizes[] = { 0, 512, KiB, 64 * MiB, 512 * MiB, GiB, 3 * GiB / 2, 20 * GiB, TiB };

  for (gsize i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      g_autofree char *text = vmgrctl_format_size (sizes[i]);
      guint64 parsed;

      g_assert_true (vmgrctl_parse_size (text, &parsed, NULL));
      g_assert_cmpuint (parsed, ==, sizes[i]);
    }
}

static void
test_parse_numbers (void)
{
  g_autoptr(GError) error = NULL;
  guint64 value;
  guint32 percent;

  g_assert_true (vmgrctl_parse_uint ("150", G_MAXUINT32, &value, NULL));
  g_assert_cmpuint (value, ==, 150);
  g_assert_false (vmgrctl_parse_uint ("-1", G_MAXUINT32, &value, &error));
  g_assert_error (error, VMGRCTL_ERROR, VMGRCTL_EXIT_USAGE);
  g_clear_error (&error);
  g_assert_false (vmgrctl_parse_uint ("4294967296", G_MAXUINT32, &value, NULL));
  g_assert_false (vmgrctl_parse_uint ("", G_MAXUINT32, &value, NULL));

  g_assert_true (vmgrctl_parse_percent ("150", &percent, NULL));
  g_assert_cmpuint (percent, ==, 150);
  g_assert_true (vmgrctl_parse_percent ("50%", &percent, NULL));
  g_assert_cmpuint (percent, ==, 50);
  g_assert_false (vmgrctl_parse_percent ("%", &percent, NULL));
  g_assert_false (vmgrctl_parse_percent ("1.5", &percent, &error));
  g_assert_error (error, VMGRCTL_ERROR, VMGRCTL_EXIT_USAGE);
}

static void
test_format_duration (void)
{
  static const struct { guint64 seconds; const char *text; } cases[] = {
    { 0, "0s" }, { 59, "59s" }, { 65, "1m 5s" }, { 3700, "1h 1m" }, { 90060, "1d 1h 1m" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *text = vmgrctl_format_duration (cases[i].seconds);
      g_assert_cmpstr (text, ==, cases[i].text);
    }
}

/* main() sets TZ=UTC. */
static void
test_times (void)
{
  g_autofree char *iso = NULL;
  g_autofree char *local = NULL;
  gint64 usec;

  g_assert_true (vmgrctl_parse_time ("2024-05-01T12:00:00Z", &usec, NULL));
  g_assert_cmpint (usec, ==, G_GINT64_CONSTANT (1714564800) * G_USEC_PER_SEC);
  g_assert_true (vmgrctl_parse_time ("2024-05-01T14:00:00+02:00", &usec, NULL));
  g_assert_cmpint (usec, ==, G_GINT64_CONSTANT (1714564800) * G_USEC_PER_SEC);
  g_assert_true (vmgrctl_parse_time ("2024-05-01", &usec, NULL));
  g_assert_cmpint (usec, ==, G_GINT64_CONSTANT (1714521600) * G_USEC_PER_SEC);
  g_assert_false (vmgrctl_parse_time ("yesterday", &usec, NULL));
  g_assert_false (vmgrctl_parse_time ("2024-13-01", &usec, NULL));

  iso = vmgrctl_format_time_iso8601 (G_GINT64_CONSTANT (1714564800) * G_USEC_PER_SEC + 5);
  g_assert_cmpstr (iso, ==, "2024-05-01T12:00:00.000005Z");
  local = vmgrctl_format_time_local (G_GINT64_CONSTANT (1714564800) * G_USEC_PER_SEC);
  g_assert_cmpstr (local, ==, "2024-05-01 12:00:00");
}

/* Years before 1000 print in four digits, so that what is printed reads
 * back (found by fuzz-units). */
static void
test_time_early_years (void)
{
  g_autofree char *iso = NULL;
  g_autofree char *local = NULL;
  gint64 usec = 0, again = 1;

  g_assert_true (vmgrctl_parse_time ("0001-01-01T00:00:00Z", &usec, NULL));
  iso = vmgrctl_format_time_iso8601 (usec);
  g_assert_cmpstr (iso, ==, "0001-01-01T00:00:00.000000Z");
  g_assert_true (vmgrctl_parse_time (iso, &again, NULL));
  g_assert_cmpint (again, ==, usec);
  local = vmgrctl_format_time_local (usec);
  g_assert_cmpstr (local, ==, "0001-01-01 00:00:00");
}

int
main (int argc, char **argv)
{
  g_setenv ("TZ", "UTC", TRUE);
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/vmgrctl/units/parse-size/valid", test_parse_size_valid);
  g_test_add_func ("/vmgrctl/units/parse-size/invalid", test_parse_size_invalid);
  g_test_add_func ("/vmgrctl/units/format-size", test_format_size);
  g_test_add_func ("/vmgrctl/units/size-round-trip", test_size_round_trip);
  g_test_add_func ("/vmgrctl/units/parse-numbers", test_parse_numbers);
  g_test_add_func ("/vmgrctl/units/format-duration", test_format_duration);
  g_test_add_func ("/vmgrctl/units/times", test_times);
  g_test_add_func ("/vmgrctl/units/times/early-years", test_time_early_years);

  return g_test_run ();
}
