#include "vmgrctl-audit-view.h"

#include "vmgrctl-units.h"

GVariant *
vmgrctl_audit_records_from_tuples (GVariant *tuples)
{
  GVariantBuilder builder;
  GVariantIter iter;
  gint64 time;
  guint32 uid;
  const char *caller, *action, *target, *result, *message;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("aa{sv}"));
  g_variant_iter_init (&iter, tuples);
  while (g_variant_iter_next (&iter, "(xu&s&s&s&s&s)",
                              &time, &uid, &caller, &action, &target, &result, &message))
    g_variant_builder_add_parsed (&builder,
                                  "{'time': <%x>, 'uid': <%u>, 'caller': <%s>, 'action': <%s>,"
                                  " 'target': <%s>, 'result': <%s>, 'message': <%s>}",
                                  time, uid, caller, action, target, result, message);
  return g_variant_ref_sink (g_variant_builder_end (&builder));
}

static const char *
lookup_string (GVariant *record, const char *key)
{
  const char *value = NULL;

  g_variant_lookup (record, key, "&s", &value);
  return value;
}

static JsonArray *
changes_to_json (GVariant *record)
{
  JsonArray *array = json_array_new ();
  g_autoptr(GVariant) changes = g_variant_lookup_value (record, "changes",
                                                        G_VARIANT_TYPE ("aa{sv}"));

  if (changes == NULL)
    return array;
  for (gsize i = 0; i < g_variant_n_children (changes); i++)
    {
      g_autoptr(GVariant) change = g_variant_get_child_value (changes, i);
      JsonObject *object = json_object_new ();

      vmgrctl_json_set_text (object, "field", lookup_string (change, "field"));
      vmgrctl_json_set_text (object, "old", lookup_string (change, "old"));
      vmgrctl_json_set_text (object, "new", lookup_string (change, "new"));
      json_array_add_object_element (array, object);
    }
  return array;
}

JsonNode *
vmgrctl_audit_to_json (GVariant *records)
{
  g_autoptr(JsonArray) array = json_array_new ();
  JsonNode *node = json_node_new (JSON_NODE_ARRAY);

  for (gsize i = 0; i < g_variant_n_children (records); i++)
    {
      g_autoptr(GVariant) record = g_variant_get_child_value (records, i);
      g_autoptr(JsonObject) object = json_object_new ();
      gint64 time = 0;
      guint32 uid = 0;
      g_autofree char *iso = NULL;

      g_variant_lookup (record, "time", "x", &time);
      g_variant_lookup (record, "uid", "u", &uid);
      iso = vmgrctl_format_time_iso8601 (time);
      vmgrctl_json_set_text (object, "time", iso);
      json_object_set_int_member (object, "time_usec", time);
      json_object_set_int_member (object, "uid", uid);
      vmgrctl_json_set_text (object, "user", lookup_string (record, "caller"));
      vmgrctl_json_set_text (object, "verb", lookup_string (record, "verb"));
      vmgrctl_json_set_text (object, "action", lookup_string (record, "action"));
      vmgrctl_json_set_text (object, "target", lookup_string (record, "target"));
      vmgrctl_json_set_text (object, "target_name", lookup_string (record, "target_name"));
      vmgrctl_json_set_text (object, "target_uuid", lookup_string (record, "target_uuid"));
      vmgrctl_json_set_text (object, "result", lookup_string (record, "result"));
      vmgrctl_json_set_text (object, "message", lookup_string (record, "message"));
      json_object_set_array_member (object, "changes", changes_to_json (record));
      json_array_add_object_element (array, g_steal_pointer (&object));
    }
  return json_node_init_array (node, array);
}

static gboolean
is_size (const char *field)
{
  return g_str_has_prefix (field, "memory_") || g_str_has_prefix (field, "disk_") ||
         g_str_equal (field, "max_memory") || g_str_equal (field, "max_disk");
}

/* Sizes are bytes on the bus; people read them in binary units. */
static char *
format_value (const char *field, const char *value)
{
  guint64 bytes;

  if (value == NULL)
    return g_strdup ("-");
  if (is_size (field) && g_ascii_string_to_unsigned (value, 10, 0, G_MAXUINT64, &bytes, NULL))
    return vmgrctl_format_size (bytes);
  return g_strdup (*value != '\0' ? value : "\"\"");
}

static char *
describe_changes (GVariant *record)
{
  g_autoptr(GVariant) changes = g_variant_lookup_value (record, "changes",
                                                        G_VARIANT_TYPE ("aa{sv}"));
  g_autoptr(GString) text = g_string_new (NULL);

  if (changes == NULL || g_variant_n_children (changes) == 0)
    return g_strdup ("-");
  for (gsize i = 0; i < g_variant_n_children (changes); i++)
    {
      g_autoptr(GVariant) change = g_variant_get_child_value (changes, i);
      const char *field = lookup_string (change, "field");
      g_autofree char *old_value = format_value (field != NULL ? field : "",
                                                 lookup_string (change, "old"));
      g_autofree char *new_value = format_value (field != NULL ? field : "",
                                                 lookup_string (change, "new"));

      if (text->len > 0)
        g_string_append (text, ", ");
      /* Personal data is named, not copied, by vmgrd. */
      if (lookup_string (change, "old") == NULL && lookup_string (change, "new") == NULL)
        g_string_append_printf (text, "%s changed", field != NULL ? field : "?");
      else
        g_string_append_printf (text, "%s %s -> %s", field != NULL ? field : "?", old_value,
                                new_value);
    }
  return g_string_free (g_steal_pointer (&text), FALSE);
}

static const char *
or_dash (const char *value)
{
  return value != NULL && *value != '\0' ? value : "-";
}

char *
vmgrctl_audit_render (GVariant *records)
{
  static const char *const headers[] = {
    "TIME", "UID", "USER", "VERB", "ACTION", "TARGET", "RESULT", "CHANGES", "MESSAGE", NULL
  };
  g_autoptr(VmgrctlTable) table = vmgrctl_table_new (headers, 1 << 1 /* UID */);

  for (gsize i = 0; i < g_variant_n_children (records); i++)
    {
      g_autoptr(GVariant) record = g_variant_get_child_value (records, i);
      gint64 time = 0;
      guint32 uid = 0;
      g_autofree char *when = NULL;
      g_autofree char *uid_text = NULL;
      g_autofree char *changes = describe_changes (record);
      const char *name = lookup_string (record, "target_name");

      g_variant_lookup (record, "time", "x", &time);
      g_variant_lookup (record, "uid", "u", &uid);
      when = vmgrctl_format_time_local (time);
      uid_text = g_strdup_printf ("%u", uid);
      vmgrctl_table_add_row (table, (const char *const[]) {
        when, uid_text, or_dash (lookup_string (record, "caller")),
        or_dash (lookup_string (record, "verb")), or_dash (lookup_string (record, "action")),
        or_dash (name != NULL ? name : lookup_string (record, "target")),
        or_dash (lookup_string (record, "result")), changes,
        or_dash (lookup_string (record, "message")) });
    }
  return vmgrctl_table_render (table);
}
