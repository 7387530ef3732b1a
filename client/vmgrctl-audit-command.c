/* audit [--since T] [--until T] [--uid U] [--target T] [--verb V]
 * [--limit N]: Manager.QueryAuditRecords (QueryAudit from a vmgrd that
 * lacks it). */
#include "vmgrctl-commands.h"

#include "vmgrctl-audit-view.h"
#include "vmgrctl-errors.h"
#include "vmgrctl-options.h"
#include "vmgrctl-output.h"
#include "vmgrctl-time.h"
#include "vmgrctl-units.h"

typedef struct {
  char *since;
  char *until;
  char *uid;
  char *target;
  char *verb;
  char *limit;
} AuditOptions;

static void
audit_options_clear (AuditOptions *self)
{
  g_free (self->since);
  g_free (self->until);
  g_free (self->uid);
  g_free (self->target);
  g_free (self->verb);
  g_free (self->limit);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (AuditOptions, audit_options_clear)

static gboolean
add_time (GVariantDict *filter, const char *key, const char *text, GError **error)
{
  gint64 usec;

  if (text == NULL)
    return TRUE;
  if (!vmgrctl_parse_time_spec (text, g_get_real_time (), &usec, error))
    {
      g_prefix_error (error, "invalid --%s: ", key);
      return FALSE;
    }
  g_variant_dict_insert (filter, key, "x", usec);
  return TRUE;
}

static gboolean
add_who (VmgrctlContext *ctx, GVariantDict *filter, const AuditOptions *opts, GError **error)
{
  guint32 value;

  if (opts->uid != NULL)
    {
      if (!vmgrctl_context_resolve_user (ctx, opts->uid, &value, error))
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
  if (opts->verb != NULL)
    g_variant_dict_insert (filter, "verb", "s", opts->verb);
  return TRUE;
}

/* The QueryAudit filter a{sv}, or NULL on a malformed value. */
static GVariant *
audit_filter (VmgrctlContext *ctx, const AuditOptions *opts, GError **error)
{
  g_auto(GVariantDict) filter = G_VARIANT_DICT_INIT (NULL);

  if (!add_time (&filter, "since", opts->since, error)
      || !add_time (&filter, "until", opts->until, error)
      || !add_who (ctx, &filter, opts, error))
    return NULL;
  return g_variant_ref_sink (g_variant_dict_end (&filter));
}

static int
parse_audit (VmgrctlContext *ctx, const VmgrctlCommand *cmd, char **argv,
             AuditOptions *opts, GVariant **filter)
{
  const GOptionEntry entries[] = {
    { "since", 0, 0, G_OPTION_ARG_STRING, &opts->since,
      "Entries from this time on (2024-05-01, 2024-05-01 12:00:00, 30m, 1h, 2d, today, yesterday)",
      "TIME" },
    { "until", 0, 0, G_OPTION_ARG_STRING, &opts->until, "Entries up to this time (as --since)",
      "TIME" },
    { "uid", 0, 0, G_OPTION_ARG_STRING, &opts->uid, "Entries of this caller", "UID|USER" },
    { "target", 0, 0, G_OPTION_ARG_STRING, &opts->target,
      "Entries about this target (a VM's or customer's name, an object path, a UUID)", "TARGET" },
    { "verb", 0, 0, G_OPTION_ARG_STRING, &opts->verb, "Entries of this method (e.g. Stop)",
      "VERB" },
    { "limit", 0, 0, G_OPTION_ARG_STRING, &opts->limit, "At most N entries", "N" },
    { NULL }
  };
  g_auto(GStrv) args = NULL;
  g_autoptr(GError) error = NULL;
  int status = vmgrctl_command_parse (ctx, cmd, entries, NULL, argv, &args);

  if (status != VMGRCTL_EXIT_OK)
    return status;
  *filter = audit_filter (ctx, opts, &error);
  return *filter != NULL ? VMGRCTL_EXIT_OK : vmgrctl_command_fail (cmd, error);
}

/* QueryAuditRecords, or QueryAudit from a vmgrd that does not have it
 * (then without verbs, names or changes, and refusing a verb filter). */
static GVariant *
query_records (VmgrDBusManager *manager, GVariant *filter, GError **error)
{
  g_autoptr(GVariant) records = NULL;
  g_autoptr(GVariant) tuples = NULL;
  g_autoptr(GError) local_error = NULL;

  if (vmgr_dbus_manager_call_query_audit_records_sync (manager, filter, &records, NULL,
                                                       &local_error))
    return g_steal_pointer (&records);
  if (!g_error_matches (local_error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_METHOD))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  if (!vmgr_dbus_manager_call_query_audit_sync (manager, filter, &tuples, NULL, error))
    return NULL;
  return vmgrctl_audit_records_from_tuples (tuples);
}

int
vmgrctl_cmd_audit (VmgrctlContext *ctx, const VmgrctlCommand *cmd, char **argv)
{
  g_auto(AuditOptions) opts = { NULL };
  g_autoptr(GVariant) filter = NULL;
  g_autoptr(GVariant) records = NULL;
  g_autoptr(GError) error = NULL;
  VmgrDBusManager *manager;
  int status = parse_audit (ctx, cmd, argv, &opts, &filter);

  if (status == VMGRCTL_EXIT_OK)
    status = vmgrctl_context_connect (ctx, &manager);
  if (status != VMGRCTL_EXIT_OK)
    return status;
  records = query_records (manager, filter, &error);
  if (records == NULL)
    return vmgrctl_fail (error, "cannot read the audit log");
  vmgrctl_print_json_or_text (ctx->json, records, (VmgrctlToJson) vmgrctl_audit_to_json,
                              (VmgrctlToText) vmgrctl_audit_render);
  return VMGRCTL_EXIT_OK;
}
