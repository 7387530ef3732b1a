/* Manager.QueryAudit and Manager.QueryAuditRecords: everything for holders
 * of org.vmgr.audit.read, the caller's own entries for everybody else. */
#include "vmgr-manager-private.h"

#include "vmgr-error.h"
#include "vmgr-names.h"

typedef GVariant *(*AuditReply) (GPtrArray *entries);

typedef struct {
  VmgrManager *manager;
  GDBusMethodInvocation *invocation;
  VmgrAuditFilter filter;
  char *target;
  char *verb;
  AuditReply reply;
} AuditQuery;

static void
audit_query_free (AuditQuery *query)
{
  g_object_unref (query->manager);
  g_object_unref (query->invocation);
  g_free (query->target);
  g_free (query->verb);
  g_free (query);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AuditQuery, audit_query_free)

static const char *
filter_key_type (const char *key)
{
  static const char *const keys[][2] = {
    { "since", "x" }, { "until", "x" }, { "uid", "u" }, { "target", "s" }, { "verb", "s" },
    { "limit", "u" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (keys); i++)
    if (g_str_equal (key, keys[i][0]))
      return keys[i][1];
  return NULL;
}

static void
replace_string (char **field, GVariant *value)
{
  g_free (*field);
  *field = g_variant_dup_string (value, NULL);
}

static gboolean
parse_audit_filter (GVariant *filter, AuditQuery *query, GError **error)
{
  GVariantIter iter;
  const char *key;
  GVariant *child;

  query->filter.uid = -1;
  g_variant_iter_init (&iter, filter);
  while (g_variant_iter_next (&iter, "{&sv}", &key, &child))
    {
      g_autoptr(GVariant) value = child;
      const char *expected = filter_key_type (key);

      if (expected == NULL)
        return g_set_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_ARGUMENT,
                            "the audit filter has no key '%s' (its keys are since, until, "
                            "uid, target, verb and limit)", key),
               FALSE;
      if (!g_variant_is_of_type (value, G_VARIANT_TYPE (expected)))
        return g_set_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_ARGUMENT,
                            "the audit filter's '%s' must be of type '%s', not '%s'", key,
                            expected, g_variant_get_type_string (value)),
               FALSE;
      if (g_str_equal (key, "since"))
        query->filter.since = g_variant_get_int64 (value);
      else if (g_str_equal (key, "until"))
        query->filter.until = g_variant_get_int64 (value);
      else if (g_str_equal (key, "uid"))
        query->filter.uid = g_variant_get_uint32 (value);
      else if (g_str_equal (key, "limit"))
        query->filter.limit = g_variant_get_uint32 (value);
      else if (g_str_equal (key, "verb"))
        replace_string (&query->verb, value);
      else
        replace_string (&query->target, value);
    }
  query->filter.target = query->target;
  query->filter.verb = query->verb;
  return TRUE;
}

static GVariant *
audit_tuples (GPtrArray *entries)
{
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a(xusssss)"));
  for (guint i = 0; entries != NULL && i < entries->len; i++)
    {
      VmgrAuditEntry *entry = g_ptr_array_index (entries, i);

      g_variant_builder_add (&builder, "(xusssss)", entry->time, entry->uid, entry->caller,
                             entry->action, entry->target, entry->result, entry->message);
    }
  return g_variant_new ("(a(xusssss))", &builder);
}

/* D-Bus has no null: a value an entry lacks is a key left out. */
static void
add_string (GVariantBuilder *record, const char *key, const char *value)
{
  if (value != NULL)
    g_variant_builder_add (record, "{sv}", key, g_variant_new_string (value));
}

static GVariant *
changes_value (const GPtrArray *changes)
{
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("aa{sv}"));
  for (guint i = 0; i < changes->len; i++)
    {
      const VmgrAuditChange *change = g_ptr_array_index (changes, i);

      g_variant_builder_open (&builder, G_VARIANT_TYPE ("a{sv}"));
      add_string (&builder, "field", change->field);
      add_string (&builder, "old", change->old_value);
      add_string (&builder, "new", change->new_value);
      g_variant_builder_close (&builder);
    }
  return g_variant_builder_end (&builder);
}

static GVariant *
audit_records (GPtrArray *entries)
{
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("aa{sv}"));
  for (guint i = 0; entries != NULL && i < entries->len; i++)
    {
      VmgrAuditEntry *entry = g_ptr_array_index (entries, i);

      g_variant_builder_open (&builder, G_VARIANT_TYPE ("a{sv}"));
      g_variant_builder_add (&builder, "{sv}", "time", g_variant_new_int64 (entry->time));
      g_variant_builder_add (&builder, "{sv}", "uid", g_variant_new_uint32 (entry->uid));
      add_string (&builder, "caller", entry->caller);
      add_string (&builder, "verb", entry->verb);
      add_string (&builder, "action", entry->action);
      add_string (&builder, "target", entry->target);
      add_string (&builder, "target_name", entry->target_name);
      add_string (&builder, "target_uuid", entry->target_uuid);
      add_string (&builder, "result", entry->result);
      add_string (&builder, "message", entry->message);
      g_variant_builder_add (&builder, "{sv}", "changes", changes_value (entry->changes));
      g_variant_builder_close (&builder);
    }
  return g_variant_new ("(aa{sv})", &builder);
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
  if (result == VMGR_AUTH_DENIED && query->filter.uid >= 0 && query->filter.uid != caller->uid)
    {
      g_dbus_method_invocation_return_value (query->invocation, query->reply (NULL));
      return;
    }
  if (result == VMGR_AUTH_DENIED)
    query->filter.uid = caller->uid;
  entries = vmgr_store_query_audit_filtered (query->manager->context->store, &query->filter,
                                             &store_error);
  if (entries == NULL)
    g_dbus_method_invocation_return_gerror (query->invocation, store_error);
  else
    g_dbus_method_invocation_return_value (query->invocation, query->reply (entries));
}

static gboolean
query_audit (VmgrManager *self, GDBusMethodInvocation *invocation, GVariant *filter,
             AuditReply reply)
{
  g_autoptr(AuditQuery) query = g_new0 (AuditQuery, 1);
  g_autoptr(GError) error = NULL;
  VmgrAuthRequest request = {
    .sender = g_dbus_method_invocation_get_sender (invocation),
    .interactive = vmgr_auth_message_is_interactive (
      g_dbus_method_invocation_get_message (invocation)),
    .interface = VMGR_MANAGER_INTERFACE,
    .member = g_dbus_method_invocation_get_method_name (invocation),
    .target = "audit",
  };

  query->manager = g_object_ref (self);
  query->invocation = g_object_ref (invocation);
  query->reply = reply;
  if (!parse_audit_filter (filter, query, &error))
    {
      g_dbus_method_invocation_return_gerror (invocation, error);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
  vmgr_auth_check (self->context->auth, &request, on_audit_decided, g_steal_pointer (&query));
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

gboolean
vmgr_manager_handle_query_audit (VmgrDBusManager *object, GDBusMethodInvocation *invocation,
                                 GVariant *filter)
{
  return query_audit (VMGR_MANAGER (object), invocation, filter, audit_tuples);
}

gboolean
vmgr_manager_handle_query_audit_records (VmgrDBusManager *object,
                                         GDBusMethodInvocation *invocation, GVariant *filter)
{
  return query_audit (VMGR_MANAGER (object), invocation, filter, audit_records);
}
