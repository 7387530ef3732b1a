/* audit [--since T] [--until T] [--uid U] [--target T] [--limit N]:
 * Manager.QueryAudit. */
#include "vmgrctl-commands.h"

#include "vmgrctl-errors.h"
#include "vmgrctl-options.h"
#include "vmgrctl-output.h"
#include "vmgrctl-units.h"

typedef struct {
  char *since;
  char *until;
  char *uid;
  char *target;
  char *limit;
} AuditOptions;

static void
audit_options_clear (AuditOptions *self)
{
  g_free (self->since);
  g_free (self->until);
  g_free (self->uid);
  g_free (self->target);
  g_free (self->limit);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (AuditOptions, audit_options_clear)

static gboolean
add_time (GVariantDict *filter, const char *key, const char *text, GError **error)
{
  gint64 usec;

  if (text == NULL)
    return TRUE;
  if (!vmgrctl_parse_time (text, &usec, error))
    {
      g_prefix_error (error, "invalid --%s: ", key);
      return FALSE;
    }
  g_variant_dict_insert (filter, key, "x", usec);
  return TRUE;
}

static gboolean
add_who (GVariantDict *filter, const AuditOptions *opts, GError **error)
{
  guint32 value;

  if (opts->uid != NULL)
    {
      if (!vmgrctl_parse_user (opts->uid, &value, error))
        return FALSE;
      g_variant_dict_insert (filter, "uid", "u", value);
    }
  if (opts->limit != NULL)
    {
      if (!vmgrctl_parse_option_uint32 ("limit", opts->limit, &value, error))
        return FALSE;
      g_variant_dict_insert (filter, "limit", "u", value);
    }
  if (opts->target != NULL)
    g_variant_dict_insert (filter, "target", "s", opts->target);
  return TRUE;
}

/* The QueryAudit filter a{sv}, or NULL on a malformed value. */
static GVariant *
audit_filter (const AuditOptions *opts, GError **error)
{
  g_auto(GVariantDict) filter = G_VARIANT_DICT_INIT (NULL);

  if (!add_time (&filter, "since", opts->since, error)
      || !add_time (&filter, "until", opts->until, error)
      || !add_who (&filter, opts, error))
    return NULL;
  return g_variant_ref_sink (g_variant_dict_end (&filter));
}

/* One entry of QueryAudit's a(xusssss); the strings point into the reply. */
typedef struct {
  gint64 time;
  guint32 uid;
  const char *user;
  const char *action;
  const char *target;
  const char *result;
  const char *message;
} AuditEntry;

static gboolean
next_audit_entry (GVariantIter *iter, AuditEntry *entry)
{
  return g_variant_iter_next (iter, "(xu&s&s&s&s&s)", &entry->time, &entry->uid, &entry->user,
                              &entry->action, &entry->target, &entry->result, &entry->message);
}

static JsonNode *
audit_to_json (GVariant *entries)
{
  g_autoptr(JsonArray) array = json_array_new ();
  JsonNode *node = json_node_new (JSON_NODE_ARRAY);
  GVariantIter iter;
  AuditEntry entry;

  g_variant_iter_init (&iter, entries);
  while (next_audit_entry (&iter, &entry))
    {
      g_autoptr(JsonObject) object = json_object_new ();
      g_autofree char *iso = vmgrctl_format_time_iso8601 (entry.time);

      json_object_set_string_member (object, "time", iso);
      json_object_set_int_member (object, "time_usec", entry.time);
      json_object_set_int_member (object, "uid", entry.uid);
      json_object_set_string_member (object, "user", entry.user);
      json_object_set_string_member (object, "action", entry.action);
      json_object_set_string_member (object, "target", entry.target);
      json_object_set_string_member (object, "result", entry.result);
      json_object_set_string_member (object, "message", entry.message);
      json_array_add_object_element (array, g_steal_pointer (&object));
    }
  return json_node_init_array (node, array);
}

static char *
audit_to_table (GVariant *entries)
{
  static const char *const headers[] = {
    "TIME", "UID", "USER", "ACTION", "TARGET", "RESULT", "MESSAGE", NULL
  };
  g_autoptr(VmgrctlTable) table = vmgrctl_table_new (headers, 1 << 1 /* UID */);
  GVariantIter iter;
  AuditEntry entry;

  g_variant_iter_init (&iter, entries);
  while (next_audit_entry (&iter, &entry))
    {
      g_autofree char *when = vmgrctl_format_time_local (entry.time);
      g_autofree char *uid_text = g_strdup_printf ("%u", entry.uid);

      vmgrctl_table_add_row (table, (const char *const[]) {
        when, uid_text, entry.user, entry.action, entry.target, entry.result, entry.message });
    }
  return vmgrctl_table_render (table);
}

static int
parse_audit (VmgrctlContext *ctx, const VmgrctlCommand *cmd, char **argv,
             AuditOptions *opts, GVariant **filter)
{
  const GOptionEntry entries[] = {
    { "since", 0, 0, G_OPTION_ARG_STRING, &opts->since, "Entries from this time on", "ISO8601" },
    { "until", 0, 0, G_OPTION_ARG_STRING, &opts->until, "Entries up to this time", "ISO8601" },
    { "uid", 0, 0, G_OPTION_ARG_STRING, &opts->uid, "Entries of this caller", "UID|USER" },
    { "target", 0, 0, G_OPTION_ARG_STRING, &opts->target, "Entries about this target", "TARGET" },
    { "limit", 0, 0, G_OPTION_ARG_STRING, &opts->limit, "At most N entries", "N" },
    { NULL }
  };
  g_auto(GStrv) args = NULL;
  g_autoptr(GError) error = NULL;
  int status = vmgrctl_command_parse (ctx, cmd, entries, NULL, argv, &args);

  if (status != VMGRCTL_EXIT_OK)
    return status;
  *filter = audit_filter (opts, &error);
  return *filter != NULL ? VMGRCTL_EXIT_OK : vmgrctl_command_fail (cmd, error);
}

int
vmgrctl_cmd_audit (VmgrctlContext *ctx, const VmgrctlCommand *cmd, char **argv)
{
  g_auto(AuditOptions) opts = { NULL };
  g_autoptr(GVariant) filter = NULL;
  g_autoptr(GVariant) entries = NULL;
  g_autoptr(GError) error = NULL;
  VmgrDBusManager *manager;
  int status = parse_audit (ctx, cmd, argv, &opts, &filter);

  if (status == VMGRCTL_EXIT_OK)
    status = vmgrctl_context_connect (ctx, &manager);
  if (status != VMGRCTL_EXIT_OK)
    return status;
  if (!vmgr_dbus_manager_call_query_audit_sync (manager, filter, &entries, NULL, &error))
    return vmgrctl_fail (error, "cannot read the audit log");
  vmgrctl_print_json_or_text (ctx->json, entries, (VmgrctlToJson) audit_to_json,
                              (VmgrctlToText) audit_to_table);
  return VMGRCTL_EXIT_OK;
}
