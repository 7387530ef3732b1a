/* Aligned tables, "key: value" lines and JSON on stdout. */
#include "vmgrctl-output.h"

#include <stdio.h>
#include <string.h>

#include "vmgrctl-units.h"

/* -H, --no-header: tables without their header row, for scripts. */
static gboolean headers_shown = TRUE;

void
vmgrctl_tables_show_headers (gboolean shown)
{
  headers_shown = shown;
}

struct _VmgrctlTable {
  guint n_columns;
  guint right_aligned;
  GPtrArray *rows;  /* GStrv each, the header first */
};

VmgrctlTable *
vmgrctl_table_new (const char *const *headers, guint right_aligned)
{
  VmgrctlTable *table = g_new0 (VmgrctlTable, 1);

  table->n_columns = g_strv_length ((char **) headers);
  table->right_aligned = right_aligned;
  table->rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
  g_ptr_array_add (table->rows, g_strdupv ((char **) headers));
  return table;
}

void
vmgrctl_table_free (VmgrctlTable *table)
{
  g_ptr_array_unref (table->rows);
  g_free (table);
}

void
vmgrctl_table_add_row (VmgrctlTable *table, const char *const *cells)
{
  char **row = g_new0 (char *, table->n_columns + 1);

  for (guint i = 0; i < table->n_columns; i++)
    row[i] = g_strdup (cells[i] != NULL && cells[i][0] != '\0' ? cells[i] : "-");
  g_ptr_array_add (table->rows, row);
}

static void
append_cell (GString *out, const char *cell, gsize width, gboolean right, gboolean last)
{
  gsize len = g_utf8_strlen (cell, -1);
  gsize pad = width > len ? width - len : 0;

  if (right)
    {
      for (gsize i = 0; i < pad; i++)
        g_string_append_c (out, ' ');
      g_string_append (out, cell);
    }
  else
    {
      g_string_append (out, cell);
      for (gsize i = 0; !last && i < pad; i++)
        g_string_append_c (out, ' ');
    }
  g_string_append (out, last ? "\n" : "  ");
}

char *
vmgrctl_table_render (VmgrctlTable *table)
{
  g_autofree gsize *widths = g_new0 (gsize, table->n_columns);
  GString *out = g_string_new (NULL);
  guint first = headers_shown ? 0 : 1;

  for (guint r = first; r < table->rows->len; r++)
    {
      char **row = g_ptr_array_index (table->rows, r);
      for (guint c = 0; c < table->n_columns; c++)
        widths[c] = MAX (widths[c], (gsize) g_utf8_strlen (row[c], -1));
    }
  for (guint r = first; r < table->rows->len; r++)
    {
      char **row = g_ptr_array_index (table->rows, r);
      for (guint c = 0; c < table->n_columns; c++)
        append_cell (out, row[c], widths[c], (table->right_aligned >> c) & 1,
                     c + 1 == table->n_columns);
    }
  return g_string_free (out, FALSE);
}

struct _VmgrctlFields {
  GPtrArray *keys;
  GPtrArray *values;
};

VmgrctlFields *
vmgrctl_fields_new (void)
{
  VmgrctlFields *fields = g_new0 (VmgrctlFields, 1);

  fields->keys = g_ptr_array_new_with_free_func (g_free);
  fields->values = g_ptr_array_new_with_free_func (g_free);
  return fields;
}

void
vmgrctl_fields_free (VmgrctlFields *fields)
{
  g_ptr_array_unref (fields->keys);
  g_ptr_array_unref (fields->values);
  g_free (fields);
}

void
vmgrctl_fields_add (VmgrctlFields *fields, const char *key, const char *value)
{
  g_ptr_array_add (fields->keys, g_strconcat (key, ":", NULL));
  g_ptr_array_add (fields->values, g_strdup (value != NULL && value[0] != '\0' ? value : "-"));
}

void
vmgrctl_fields_add_heading (VmgrctlFields *fields, const char *key)
{
  g_ptr_array_add (fields->keys, g_strconcat (key, ":", NULL));
  g_ptr_array_add (fields->values, NULL);
}

void
vmgrctl_fields_add_printf (VmgrctlFields *fields, const char *key, const char *format, ...)
{
  g_autofree char *value = NULL;
  va_list args;

  va_start (args, format);
  value = g_strdup_vprintf (format, args);
  va_end (args);
  vmgrctl_fields_add (fields, key, value);
}

char *
vmgrctl_fields_render (VmgrctlFields *fields)
{
  GString *out = g_string_new (NULL);
  int width = 0;

  for (guint i = 0; i < fields->keys->len; i++)
    width = MAX (width, (int) strlen (g_ptr_array_index (fields->keys, i)));
  for (guint i = 0; i < fields->keys->len; i++)
    {
      const char *key = g_ptr_array_index (fields->keys, i);
      const char *value = g_ptr_array_index (fields->values, i);

      if (value == NULL)
        g_string_append_printf (out, "%s\n", key);
      else
        g_string_append_printf (out, "%-*s %s\n", width, key, value);
    }
  return g_string_free (out, FALSE);
}

const char *
vmgrctl_backend_note (const char *backend)
{
  if (g_strcmp0 (backend, "test") == 0)
    return "backend test: simulated values (libvirt's test driver; usage and host figures "
           "are not real)\n";
  return NULL;
}

void
vmgrctl_print (const char *text)
{
  fputs (text, stdout);
}

void
vmgrctl_print_json (JsonNode *node)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autofree char *text = NULL;

  json_generator_set_pretty (generator, TRUE);
  json_generator_set_indent (generator, 2);
  json_generator_set_root (generator, node);
  text = json_generator_to_data (generator, NULL);
  fputs (text, stdout);
  fputc ('\n', stdout);
}

void
vmgrctl_print_json_or_text (gboolean json, gpointer object, VmgrctlToJson to_json,
                            VmgrctlToText to_text)
{
  if (json)
    {
      g_autoptr(JsonNode) node = to_json (object);
      vmgrctl_print_json (node);
    }
  else
    {
      g_autofree char *text = to_text (object);
      vmgrctl_print (text);
    }
}

void
vmgrctl_json_add_vardict (JsonObject *object, GVariant *vardict)
{
  GVariantIter iter;
  const char *key;
  GVariant *value;

  g_variant_iter_init (&iter, vardict);
  while (g_variant_iter_loop (&iter, "{&sv}", &key, &value))
    if (g_variant_is_of_type (value, G_VARIANT_TYPE_STRING)
        && g_variant_get_string (value, NULL)[0] == '\0')
      json_object_set_null_member (object, key);
    else
      json_object_set_member (object, key, json_gvariant_serialize (value));
}

JsonNode *
vmgrctl_json_from_sample (GVariant *sample)
{
  g_autoptr(JsonObject) object = NULL;
  JsonNode *node;
  gint64 sampled_at;

  if (sample == NULL || g_variant_n_children (sample) == 0)
    return json_node_new (JSON_NODE_NULL);
  object = json_object_new ();
  vmgrctl_json_add_vardict (object, sample);
  if (g_variant_lookup (sample, "sampled_at", "x", &sampled_at))
    {
      g_autofree char *iso = vmgrctl_format_time_iso8601 (sampled_at);

      json_object_set_string_member (object, "sampled_at", iso);
      json_object_set_int_member (object, "sampled_at_usec", sampled_at);
    }
  node = json_node_new (JSON_NODE_OBJECT);
  json_node_set_object (node, object);
  return node;
}

/* A property's value as JSON: an empty string or the object path "/"
 * (none) is null, an a{sv} a sample (vmgrctl_json_from_sample()). */
static JsonNode *
property_to_json (GVariant *value)
{
  if ((g_variant_is_of_type (value, G_VARIANT_TYPE_STRING)
       && g_variant_get_string (value, NULL)[0] == '\0')
      || (g_variant_is_of_type (value, G_VARIANT_TYPE_OBJECT_PATH)
          && g_str_equal (g_variant_get_string (value, NULL), "/")))
    return json_node_new (JSON_NODE_NULL);
  if (g_variant_is_of_type (value, G_VARIANT_TYPE_VARDICT))
    return vmgrctl_json_from_sample (value);
  return json_gvariant_serialize (value);
}

JsonNode *
vmgrctl_json_from_properties (GDBusProxy *proxy, const VmgrctlJsonMember *members,
                              gsize n_members)
{
  g_autoptr(JsonObject) object = json_object_new ();
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);

  for (gsize i = 0; i < n_members; i++)
    {
      g_autoptr(GVariant) value = g_dbus_proxy_get_cached_property (proxy, members[i].property);

      json_object_set_member (object, members[i].key,
                              value != NULL ? property_to_json (value)
                                            : json_node_new (JSON_NODE_NULL));
    }
  json_node_set_object (node, object);
  return node;
}

static gboolean
variant_to_uint64 (GVariant *value, guint64 *out)
{
  switch (g_variant_classify (value))
    {
    case G_VARIANT_CLASS_BYTE: *out = g_variant_get_byte (value); return TRUE;
    case G_VARIANT_CLASS_UINT16: *out = g_variant_get_uint16 (value); return TRUE;
    case G_VARIANT_CLASS_UINT32: *out = g_variant_get_uint32 (value); return TRUE;
    case G_VARIANT_CLASS_UINT64: *out = g_variant_get_uint64 (value); return TRUE;
    case G_VARIANT_CLASS_INT16: *out = (guint64) MAX (0, g_variant_get_int16 (value)); return TRUE;
    case G_VARIANT_CLASS_INT32: *out = (guint64) MAX (0, g_variant_get_int32 (value)); return TRUE;
    case G_VARIANT_CLASS_INT64: *out = (guint64) MAX (0, g_variant_get_int64 (value)); return TRUE;
    default: return FALSE;
    }
}

gboolean
vmgrctl_vardict_lookup_uint64 (GVariant *vardict, const char *key, guint64 *value)
{
  g_autoptr(GVariant) found = NULL;

  if (vardict == NULL)
    return FALSE;
  found = g_variant_lookup_value (vardict, key, NULL);
  return found != NULL && variant_to_uint64 (found, value);
}

void
vmgrctl_json_set_text (JsonObject *object, const char *member, const char *value)
{
  if (value != NULL && value[0] != '\0')
    json_object_set_string_member (object, member, value);
  else
    json_object_set_null_member (object, member);
}
