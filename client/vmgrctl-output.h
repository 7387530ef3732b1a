/* Output: aligned tables, "key: value" lines and JSON. */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* A table with a header row; columns are left-aligned unless their bit is
 * set in @right_aligned (bit 0 = first column). */
typedef struct _VmgrctlTable VmgrctlTable;

VmgrctlTable *vmgrctl_table_new (const char *const *headers, guint right_aligned);
void vmgrctl_table_free (VmgrctlTable *table);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VmgrctlTable, vmgrctl_table_free)
/* @cells has one entry per column; NULL or "" cells show as "-". */
void vmgrctl_table_add_row (VmgrctlTable *table, const char *const *cells);
char *vmgrctl_table_render (VmgrctlTable *table);
/* Whether vmgrctl_table_render() writes the header row (the default), for
 * every table from now on (-H, --no-header). */
void vmgrctl_tables_show_headers (gboolean shown);

/* "Key: value" lines, values aligned; a key may start with spaces to
 * indent it under a heading. NULL or "" values show as "-". */
typedef struct _VmgrctlFields VmgrctlFields;

VmgrctlFields *vmgrctl_fields_new (void);
void vmgrctl_fields_free (VmgrctlFields *fields);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VmgrctlFields, vmgrctl_fields_free)
void vmgrctl_fields_add (VmgrctlFields *fields, const char *key, const char *value);
/* A key alone, e.g. "Usage:" above indented keys. */
void vmgrctl_fields_add_heading (VmgrctlFields *fields, const char *key);
void vmgrctl_fields_add_printf (VmgrctlFields *fields, const char *key,
                                const char *format, ...) G_GNUC_PRINTF (3, 4);
char *vmgrctl_fields_render (VmgrctlFields *fields);

/* A line to print under values that @backend (Manager.Backend) makes
 * up, or NULL: libvirt's test driver simulates usage and host figures. */
const char *vmgrctl_backend_note (const char *backend);

/* Writes @text to stdout as it is (UTF-8). */
void vmgrctl_print (const char *text);
/* Writes @node as indented JSON and a newline to stdout. */
void vmgrctl_print_json (JsonNode *node);

/* How a view shows an object (a proxy, a GVariant) as JSON and as text.
 * The view's functions take the object's own type: cast them to these, as
 * with GDestroyNotify. */
typedef JsonNode *(*VmgrctlToJson) (gpointer object);
typedef char *(*VmgrctlToText) (gpointer object);

/* Prints @object with vmgrctl_print_json() when @json, else its text. */
void vmgrctl_print_json_or_text (gboolean json, gpointer object, VmgrctlToJson to_json,
                                 VmgrctlToText to_text);

/* Sets each entry of the a{sv} @vardict as a member of @object; an empty
 * string (not given) is null. */
void vmgrctl_json_add_vardict (JsonObject *object, GVariant *vardict);

/* @member is @value, or null when @value is NULL or empty. */
void vmgrctl_json_set_text (JsonObject *object, const char *member, const char *value);

/* A D-Bus property and the JSON member it is shown as. */
typedef struct {
  const char *property;  /* "MaxVMs" */
  const char *key;       /* "max_vms" */
} VmgrctlJsonMember;

/* A usage sample (GetStats, Usage) as JSON: its keys as they are, but
 * "sampled_at" an ISO 8601 time and "sampled_at_usec" the microseconds
 * since the epoch; null for NULL or an empty sample (none taken). */
JsonNode *vmgrctl_json_from_sample (GVariant *sample);

/* An object with the cached properties of @proxy named in @members, in
 * that order; a property not in the cache, an empty string and the
 * object path "/" are null, an a{sv} is a sample
 * (vmgrctl_json_from_sample()). */
JsonNode *vmgrctl_json_from_properties (GDBusProxy *proxy, const VmgrctlJsonMember *members,
                                        gsize n_members);

/* A number in @vardict of any integer type, or FALSE when absent. */
gboolean vmgrctl_vardict_lookup_uint64 (GVariant *vardict, const char *key, guint64 *value);

G_END_DECLS
