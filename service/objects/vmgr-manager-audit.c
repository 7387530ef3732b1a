/* Manager.QueryAudit: everything for holders of org.vmgr.audit.read, the
 * caller's own entries for everybody else. */
#include "vmgr-manager-private.h"

#include "vmgr-error.h"
#include "vmgr-names.h"

typedef struct {
  VmgrManager *manager;
  GDBusMethodInvocation *invocation;
  gint64 since, until, uid;
  char *target;
  guint32 limit;
} AuditQuery;

static void
audit_query_free (AuditQuery *query)
{
  g_object_unref (query->manager);
  g_object_unref (query->invocation);
  g_free (query->target);
  g_free (query);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AuditQuery, audit_query_free)

static gboolean
parse_audit_filter (GVariant *filter, AuditQuery *query, GError **error)
{
  GVariantIter iter;
  const char *key;
  GVariant *child;

  query->uid = -1;
  g_variant_iter_init (&iter, filter);
  while (g_variant_iter_next (&iter, "{&sv}", &key, &child))
    {
      g_autoptr(GVariant) value = child;
      const char *expected = g_str_equal (key, "since") || g_str_equal (key, "until") ? "x"
                             : g_str_equal (key, "uid") || g_str_equal (key, "limit") ? "u"
                             : g_str_equal (key, "target") ? "s" : NULL;

      if (expected == NULL)
        return g_set_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_ARGUMENT,
                            "unknown filter key '%s' (since, until, uid, target, limit)", key),
               FALSE;
      if (!g_variant_is_of_type (value, G_VARIANT_TYPE (expected)))
        return g_set_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_ARGUMENT,
                            "filter key '%s' must be of type '%s', not '%s'", key, expected,
                            g_variant_get_type_string (value)),
               FALSE;
      if (g_str_equal (key, "since"))
        query->since = g_variant_get_int64 (value);
      else if (g_str_equal (key, "until"))
        query->until = g_variant_get_int64 (value);
      else if (g_str_equal (key, "uid"))
        query->uid = g_variant_get_uint32 (value);
      else if (g_str_equal (key, "limit"))
        query->limit = g_variant_get_uint32 (value);
      else
        {
          g_free (query->target);
          query->target = g_variant_dup_string (value, NULL);
        }
    }
  return TRUE;
}

static GVariant *
audit_entries (GPtrArray *entries)
{
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a(xusssss)"));
  for (guint i = 0; i < entries->len; i++)
    {
      VmgrAuditEntry *entry = g_ptr_array_index (entries, i);

      g_variant_builder_add (&builder, "(xusssss)", entry->time, entry->uid, entry->caller,
                             entry->action, entry->target, entry->result, entry->message);
    }
  return g_variant_new ("(a(xusssss))", &builder);
}

static void
on_audit_decided (VmgrAuthResult result, const VmgrCaller *caller, const char *action,
                  const GError *error, gpointer user_data)
{
  g_autoptr(AuditQuery) query = user_data;
  g_autoptr(GPtrArray) entries = NULL;
  g_autoptr(GError) store_error = NULL;

  if (result != VMGR_AUTH_ALLOWED && result != VMGR_AUTH_DENIED)
    {
      g_dbus_method_invocation_return_gerror (query->invocation, error);
      return;
    }
  /* Without org.vmgr.audit.read a caller reads its own entries only. */
  if (result == VMGR_AUTH_DENIED && query->uid >= 0 && query->uid != caller->uid)
    {
      g_dbus_method_invocation_return_value (query->invocation,
                                             g_variant_new ("(a(xusssss))", NULL));
      return;
    }
  if (result == VMGR_AUTH_DENIED)
    query->uid = caller->uid;
  entries = vmgr_store_query_audit (query->manager->context->store,
                                    query->since, query->until, query->uid, query->target,
                                    query->limit, &store_error);
  if (entries == NULL)
    g_dbus_method_invocation_return_gerror (query->invocation, store_error);
  else
    g_dbus_method_invocation_return_value (query->invocation, audit_entries (entries));
}

gboolean
vmgr_manager_handle_query_audit (VmgrDBusManager *object, GDBusMethodInvocation *invocation,
                                 GVariant *filter)
{
  VmgrManager *self = VMGR_MANAGER (object);
  AuditQuery *query = g_new0 (AuditQuery, 1);
  g_autoptr(GError) error = NULL;
  VmgrAuthRequest request = {
    .sender = g_dbus_method_invocation_get_sender (invocation),
    .interactive = vmgr_auth_message_is_interactive (
      g_dbus_method_invocation_get_message (invocation)),
    .interface = VMGR_MANAGER_INTERFACE,
    .member = "QueryAudit",
    .target = "audit",
  };

  query->manager = g_object_ref (self);
  query->invocation = g_object_ref (invocation);
  if (!parse_audit_filter (filter, query, &error))
    {
      g_dbus_method_invocation_return_gerror (invocation, error);
      audit_query_free (query);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
  vmgr_auth_check (self->context->auth, &request, on_audit_decided, query);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}
