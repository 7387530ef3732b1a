/* Unit tests of `audit`'s parts: the times --since and --until take
 * (vmgrctl-time.c) and how entries are shown (vmgrctl-audit-view.c). */
#include <stdlib.h>

#include "vmgrctl-audit-view.h"
#include "vmgrctl-errors.h"
#include "vmgrctl-time.h"
#include "vmgrctl-units.h"

/* 2024-05-01 12:00:00 UTC; the tests run with TZ=UTC. */
#define NOON G_GINT64_CONSTANT (1714564800000000)
#define MIDNIGHT G_GINT64_CONSTANT (1714521600000000)

static gint64
parse_ok (const char *text)
{
  g_autoptr(GError) error = NULL;
  gint64 usec = 0;

  g_assert_true (vmgrctl_parse_time_spec (text, NOON, &usec, &error));
  g_assert_no_error (error);
  return usec;
}

static void
test_time_absolute (void)
{
  g_autofree char *printed = vmgrctl_format_time_local (NOON);
  g_autofree char *iso = vmgrctl_format_time_iso8601 (NOON);

  g_assert_cmpint (parse_ok ("2024-05-01T12:00:00Z"), ==, NOON);
  g_assert_cmpint (parse_ok ("2024-05-01"), ==, MIDNIGHT);
  /* What `audit` prints, in the table and in its JSON, reads back. */
  g_assert_cmpstr (printed, ==, "2024-05-01 12:00:00");
  g_assert_cmpint (parse_ok (printed), ==, NOON);
  g_assert_cmpint (parse_ok (iso), ==, NOON);
}

static void
test_time_relative (void)
{
  g_assert_cmpint (parse_ok ("now"), ==, NOON);
  g_assert_cmpint (parse_ok ("90s"), ==, NOON - 90 * G_USEC_PER_SEC);
  g_assert_cmpint (parse_ok ("30m"), ==, NOON - 30 * G_TIME_SPAN_MINUTE);
  g_assert_cmpint (parse_ok ("1h"), ==, NOON - G_TIME_SPAN_HOUR);
  g_assert_cmpint (parse_ok ("2d"), ==, NOON - 2 * G_TIME_SPAN_DAY);
  g_assert_cmpint (parse_ok ("1w"), ==, NOON - 7 * G_TIME_SPAN_DAY);
  g_assert_cmpint (parse_ok ("today"), ==, MIDNIGHT);
  g_assert_cmpint (parse_ok ("Yesterday"), ==, MIDNIGHT - G_TIME_SPAN_DAY);
}

static void
test_time_invalid (void)
{
  static const char *const invalid[] = {
    "", "soon", "1", "h", "1y", "-1h", "1.5h", "30 m", "2024-13-01", "tomorrow",
    "2147483647w", "36601d",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (invalid); i++)
    {
      g_autoptr(GError) error = NULL;
      gint64 usec = 0;

      g_assert_false (vmgrctl_parse_time_spec (invalid[i], NOON, &usec, &error));
      g_assert_error (error, VMGRCTL_ERROR, VMGRCTL_EXIT_USAGE);
      g_assert_nonnull (strstr (error->message, "is not a time"));
      g_assert_nonnull (strstr (error->message, "yesterday"));
    }
}

static GVariant *
sample_records (void)
{
  return g_variant_ref_sink (g_variant_new_parsed (
    "[{'time': <int64 1714564800000000>, 'uid': <uint32 0>, 'caller': <'root (:1.4)'>,"
    "  'verb': <'SetMemory'>, 'action': <'org.vmgr.vm.configure'>,"
    "  'target': <'/org/vmgr/vm/101'>, 'target_name': <'web1'>,"
    "  'target_uuid': <'11111111-1111-4111-8111-111111111111'>, 'result': <'allowed'>,"
    "  'message': <''>, 'changes': <[{'field': <'memory_limit'>, 'old': <'536870912'>,"
    "                                 'new': <'1073741824'>},"
    "                                {'field': <'autostart'>, 'old': <'false'>,"
    "                                 'new': <'true'>}, {'field': <'email'>}]>},"
    " {'time': <int64 1714564860000000>, 'uid': <uint32 1001>, 'caller': <'bob (:1.5)'>,"
    "  'action': <'org.vmgr.vm.control-any'>, 'target': <'audit'>, 'result': <'denied'>,"
    "  'message': <'not an administrator'>}]"));
}

static void
test_view_table (void)
{
  g_autoptr(GVariant) records = sample_records ();
  g_autofree char *text = vmgrctl_audit_render (records);

  g_assert_true (g_str_has_prefix (text, "TIME  "));
  g_assert_nonnull (strstr (text, "  SetMemory  org.vmgr.vm.configure    web1    allowed  "
                                  "memory_limit 512 MiB -> 1.0 GiB, autostart false -> true, email changed  -\n"));
  g_assert_nonnull (strstr (text, "  bob (:1.5)   -          org.vmgr.vm.control-any  audit   "
                                  "denied   -  "));
}

static void
test_view_json (void)
{
  g_autoptr(GVariant) records = sample_records ();
  g_autoptr(JsonNode) root = vmgrctl_audit_to_json (records);
  JsonArray *array = json_node_get_array (root);
  JsonObject *first = json_array_get_object_element (array, 0);
  JsonObject *second = json_array_get_object_element (array, 1);
  JsonObject *change = json_array_get_object_element (
    json_object_get_array_member (first, "changes"), 0);

  g_assert_cmpuint (json_array_get_length (array), ==, 2);
  g_assert_cmpstr (json_object_get_string_member (first, "verb"), ==, "SetMemory");
  g_assert_cmpstr (json_object_get_string_member (first, "target_name"), ==, "web1");
  g_assert_cmpstr (json_object_get_string_member (change, "field"), ==, "memory_limit");
  g_assert_cmpstr (json_object_get_string_member (change, "old"), ==, "536870912");
  g_assert_cmpstr (json_object_get_string_member (change, "new"), ==, "1073741824");
  g_assert_true (json_object_get_null_member (second, "verb"));
  g_assert_true (json_object_get_null_member (second, "target_name"));
  g_assert_true (json_object_get_null_member (second, "target_uuid"));
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (second, "changes")),
                    ==, 0);
}

static void
test_view_from_tuples (void)
{
  g_autoptr(GVariant) tuples = g_variant_ref_sink (g_variant_new_parsed (
    "[(int64 1714564800000000, uint32 0, 'root', 'org.vmgr.vm.create', 'web', 'allowed', '')]"));
  g_autoptr(GVariant) records = vmgrctl_audit_records_from_tuples (tuples);
  g_autoptr(JsonNode) root = vmgrctl_audit_to_json (records);
  JsonObject *entry = json_array_get_object_element (json_node_get_array (root), 0);

  g_assert_cmpstr (json_object_get_string_member (entry, "action"), ==, "org.vmgr.vm.create");
  g_assert_cmpstr (json_object_get_string_member (entry, "target"), ==, "web");
  g_assert_cmpint (json_object_get_int_member (entry, "time_usec"), ==, NOON);
  g_assert_true (json_object_get_null_member (entry, "verb"));
}

int
main (int argc, char **argv)
{
  g_setenv ("TZ", "UTC", TRUE);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/vmgrctl/audit/time/absolute", test_time_absolute);
  g_test_add_func ("/vmgrctl/audit/time/relative", test_time_relative);
  g_test_add_func ("/vmgrctl/audit/time/invalid", test_time_invalid);
  g_test_add_func ("/vmgrctl/audit/view/table", test_view_table);
  g_test_add_func ("/vmgrctl/audit/view/json", test_view_json);
  g_test_add_func ("/vmgrctl/audit/view/from-tuples", test_view_from_tuples);
  return g_test_run ();
}
