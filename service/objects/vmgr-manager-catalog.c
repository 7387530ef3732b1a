/* Manager handlers for the catalogue: templates and plans. */
#include "vmgr-manager-private.h"

#include "vmgr-error.h"
#include "vmgr-template-check.h"
#include "vmgr-validate.h"

static GVariant *
template_props (VmgrManager *self, const VmgrTemplate *tmpl, const VmgrTemplateCheck *check)
{
  GVariantDict dict;

  g_variant_dict_init (&dict, NULL);
  g_variant_dict_insert (&dict, "os", "s", tmpl->os);
  g_variant_dict_insert (&dict, "description", "s", tmpl->description);
  g_variant_dict_insert (&dict, "source", "s", tmpl->source);
  g_variant_dict_insert (&dict, "in_use", "u",
                         vmgr_store_count_vms_using_template (self->context->store, tmpl->name));
  g_variant_dict_insert (&dict, "backend", "s",
                         vmgr_backend_get_scheme (self->context->backend));
  g_variant_dict_insert (&dict, "size", "t", check->size);
  g_variant_dict_insert (&dict, "usable", "b", check->usable);
  g_variant_dict_insert (&dict, "unusable_reason", "s", check->problem);
  return g_variant_dict_end (&dict);
}

typedef struct {
  GDBusMethodInvocation *invocation;
  GPtrArray *templates;
} TemplateListing;

static void
template_listing_free (TemplateListing *listing)
{
  g_object_unref (listing->invocation);
  g_ptr_array_unref (listing->templates);
  g_free (listing);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TemplateListing, template_listing_free)

static void
on_templates_checked (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(TemplateListing) listing = user_data;
  VmgrManager *self = VMGR_MANAGER (g_dbus_method_invocation_get_user_data (listing->invocation));
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) checks = vmgr_template_check_finish (result, &error);
  GVariantBuilder builder;

  if (checks == NULL)
    {
      g_dbus_method_invocation_return_gerror (listing->invocation, error);
      return;
    }
  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a(sa{sv})"));
  for (guint i = 0; i < listing->templates->len; i++)
    {
      VmgrTemplate *tmpl = g_ptr_array_index (listing->templates, i);

      g_variant_builder_add (&builder, "(s@a{sv})", tmpl->name,
                             template_props (self, tmpl, g_ptr_array_index (checks, i)));
    }
  g_dbus_method_invocation_return_value (listing->invocation,
                                         g_variant_new ("(a(sa{sv}))", &builder));
}

/* Each template's usability and size are read from the filesystem in a
 * worker thread. */
gboolean
vmgr_manager_handle_list_templates (VmgrDBusManager *object, GDBusMethodInvocation *invocation)
{
  VmgrManager *self = VMGR_MANAGER (object);
  g_autoptr(GError) error = NULL;
  GPtrArray *templates = vmgr_store_list_templates (self->context->store, &error);
  TemplateListing *listing;

  if (templates == NULL)
    {
      g_dbus_method_invocation_return_gerror (invocation, error);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
  listing = g_new0 (TemplateListing, 1);
  listing->invocation = g_object_ref (invocation);
  listing->templates = templates;
  vmgr_template_check_async (vmgr_backend_get_scheme (self->context->backend), templates, NULL,
                             on_templates_checked, listing);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
string_prop (GVariant *props, const char *key, char **out, GError **error)
{
  g_autoptr(GVariant) value = g_variant_lookup_value (props, key, NULL);

  if (value == NULL)
    return TRUE;
  if (!g_variant_is_of_type (value, G_VARIANT_TYPE_STRING))
    {
      g_set_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_ARGUMENT,
                   "template property '%s' must be of type 's', not '%s'", key,
                   g_variant_get_type_string (value));
      return FALSE;
    }
  g_free (*out);
  *out = g_variant_dup_string (value, NULL);
  if (strlen (*out) > 4096 || strchr (*out, '\n') != NULL)
    {
      g_set_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_ARGUMENT,
                   "template property '%s' must be one line of at most 4096 bytes", key);
      return FALSE;
    }
  return TRUE;
}

static VmgrTemplate *
template_from_props (const char *name, GVariant *props, GError **error)
{
  g_autoptr(VmgrTemplate) tmpl = vmgr_template_new (name);
  GVariantIter iter;
  const char *key;

  g_variant_iter_init (&iter, props);
  while (g_variant_iter_next (&iter, "{&sv}", &key, NULL))
    if (!g_str_equal (key, "os") && !g_str_equal (key, "description") &&
        !g_str_equal (key, "source"))
      {
        g_set_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_ARGUMENT,
                     "unknown template property '%s' (os, description, source)", key);
        return NULL;
      }
  if (!vmgr_validate_name (name, "template name", error) ||
      !string_prop (props, "os", &tmpl->os, error) ||
      !string_prop (props, "description", &tmpl->description, error) ||
      !string_prop (props, "source", &tmpl->source, error))
    return NULL;
  if (*tmpl->source != '\0' && !g_path_is_absolute (tmpl->source))
    {
      g_set_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_ARGUMENT,
                   "template source '%s' must be an absolute path", tmpl->source);
      return NULL;
    }
  return g_steal_pointer (&tmpl);
}

typedef struct {
  GDBusMethodInvocation *invocation;
  VmgrGrant *grant;
  GPtrArray *templates;     /* the one to add */
  char *scheme;             /* the driver it is checked for */
} TemplateAddition;

static void
template_addition_free (TemplateAddition *addition)
{
  g_object_unref (addition->invocation);
  vmgr_grant_free (addition->grant);
  g_ptr_array_unref (addition->templates);
  g_free (addition->scheme);
  g_free (addition);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TemplateAddition, template_addition_free)

/* A source that is named must be one the backend can provision from (it
 * is checked again when a VM is provisioned from it). An empty source is
 * stored as before: the templates listing says whether it is usable. */
static void
on_added_template_checked (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(TemplateAddition) addition = user_data;
  VmgrManager *self =
    VMGR_MANAGER (g_dbus_method_invocation_get_user_data (addition->invocation));
  VmgrTemplate *tmpl = g_ptr_array_index (addition->templates, 0);
  g_autoptr(GPtrArray) checks = vmgr_template_check_finish (result, NULL);
  const VmgrTemplateCheck *check = checks != NULL ? g_ptr_array_index (checks, 0) : NULL;
  g_autoptr(VmgrAuditEntry) audit = NULL;
  g_autoptr(GError) error = NULL;

  if (*tmpl->source != '\0' && (check == NULL || !check->usable))
    g_set_error (&error, VMGR_ERROR, VMGR_ERROR_INVALID_ARGUMENT,
                 "template source '%s' is not usable on the %s backend: %s", tmpl->source,
                 addition->scheme,
                 check != NULL ? check->problem : "cannot check it");
  else
    {
      audit = vmgr_grant_audit_entry (addition->grant);
      vmgr_store_add_template (self->context->store, tmpl, audit, &error);
    }
  vmgr_manager_finish (self, addition->invocation, addition->grant, NULL, error);
}

/* The driver a new template is checked for: the configured host's, or
 * that of an added host whose driver its files fit (an LXC template on a
 * QEMU-configured vmgrd with an LXC host). */
static const char *
template_scheme (const VmgrContext *context, const VmgrTemplate *tmpl)
{
  const char *scheme = vmgr_backend_get_scheme (context->backend);
  GHashTableIter iter;
  gpointer backend;

  if (vmgr_template_fits (scheme, tmpl->source, NULL) || context->host_backends == NULL)
    return scheme;
  g_hash_table_iter_init (&iter, context->host_backends);
  while (g_hash_table_iter_next (&iter, NULL, &backend))
    if (vmgr_template_fits (vmgr_backend_get_scheme (backend), tmpl->source, NULL))
      return vmgr_backend_get_scheme (backend);
  return scheme;
}

static void
on_add_template_allowed (GDBusMethodInvocation *invocation, VmgrGrant *grant, gpointer data)
{
  VmgrManager *self = VMGR_MANAGER (g_dbus_method_invocation_get_user_data (invocation));
  TemplateAddition *addition = g_new0 (TemplateAddition, 1);

  addition->invocation = g_object_ref (invocation);
  addition->grant = grant;
  addition->templates = g_ptr_array_new_with_free_func ((GDestroyNotify) vmgr_template_free);
  g_ptr_array_add (addition->templates, data);
  addition->scheme = g_strdup (template_scheme (self->context, data));
  vmgr_template_check_async (addition->scheme, addition->templates, NULL,
                             on_added_template_checked, addition);
}

gboolean
vmgr_manager_handle_add_template (VmgrDBusManager *object, GDBusMethodInvocation *invocation,
                                  const char *name, GVariant *props)
{
  VmgrManager *self = VMGR_MANAGER (object);
  g_autoptr(GError) error = NULL;
  VmgrTemplate *tmpl = template_from_props (name, props, &error);
  g_autoptr(GHashTable) details = g_hash_table_new (g_str_hash, g_str_equal);

  if (tmpl == NULL)
    {
      g_dbus_method_invocation_return_gerror (invocation, error);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
  g_hash_table_insert (details, "template", tmpl->name);
  g_hash_table_insert (details, "source", tmpl->source);
  vmgr_auth_authorize (self->context->auth, invocation, NULL, details,
                       on_add_template_allowed, tmpl, (GDestroyNotify) vmgr_template_free);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static void
on_remove_template_allowed (GDBusMethodInvocation *invocation, VmgrGrant *grant, gpointer data)
{
  g_autoptr(VmgrGrant) owned_grant G_GNUC_UNUSED = grant;
  g_autofree char *name = data;
  VmgrManager *self = VMGR_MANAGER (g_dbus_method_invocation_get_user_data (invocation));
  g_autoptr(VmgrAuditEntry) audit = vmgr_grant_audit_entry (grant);
  g_autoptr(GError) error = NULL;

  vmgr_store_remove_template (self->context->store, name, audit, &error);
  vmgr_manager_finish (self, invocation, grant, NULL, error);
}

gboolean
vmgr_manager_handle_remove_template (VmgrDBusManager *object, GDBusMethodInvocation *invocation,
                                     const char *name)
{
  VmgrManager *self = VMGR_MANAGER (object);
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) details = g_hash_table_new (g_str_hash, g_str_equal);

  if (!vmgr_validate_name (name, "template name", &error))
    {
      g_dbus_method_invocation_return_gerror (invocation, error);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
  g_hash_table_insert (details, "template", (gpointer) name);
  vmgr_auth_authorize (self->context->auth, invocation, NULL, details,
                       on_remove_template_allowed, g_strdup (name), g_free);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

/* ---- Plans ------------------------------------------------------------- */

gboolean
vmgr_manager_handle_list_plans (VmgrDBusManager *object, GDBusMethodInvocation *invocation)
{
  VmgrStore *store = VMGR_MANAGER (object)->context->store;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) plans = vmgr_store_list_plans (store, &error);
  GVariantBuilder builder;

  if (plans == NULL)
    {
      g_dbus_method_invocation_return_gerror (invocation, error);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a(sa{sv})"));
  for (guint i = 0; i < plans->len; i++)
    {
      VmgrPlan *plan = g_ptr_array_index (plans, i);

      g_variant_builder_add (&builder, "(s@a{sv})", plan->name, vmgr_plan_to_variant (plan));
    }
  g_dbus_method_invocation_return_value (invocation, g_variant_new ("(a(sa{sv}))", &builder));
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

/* The plan @name with @options applied to what the store has now (a new
 * plan when it has none). */
static VmgrPlan *
plan_for_set (VmgrStore *store, const char *name, const VmgrOptions *options, GError **error)
{
  g_autoptr(VmgrPlan) base = vmgr_store_get_plan (store, name, NULL);

  return vmgr_plan_from_options (name, base, options, error);
}

typedef struct {
  char *name;
  VmgrOptions *options;
} PlanChange;

static void
plan_change_free (PlanChange *change)
{
  g_free (change->name);
  vmgr_options_free (change->options);
  g_free (change);
}

static void
on_set_plan_allowed (GDBusMethodInvocation *invocation, VmgrGrant *grant, gpointer data)
{
  g_autoptr(VmgrGrant) owned_grant G_GNUC_UNUSED = grant;
  PlanChange *change = data;
  VmgrManager *self = VMGR_MANAGER (g_dbus_method_invocation_get_user_data (invocation));
  g_autoptr(VmgrAuditEntry) audit = vmgr_grant_audit_entry (grant);
  g_autoptr(GError) error = NULL;
  /* Applied to the plan as it is now, not as it was when asked. */
  g_autoptr(VmgrPlan) plan = plan_for_set (self->context->store, change->name,
                                           change->options, &error);

  if (plan != NULL)
    vmgr_store_set_plan (self->context->store, plan, audit, &error);
  vmgr_manager_finish (self, invocation, grant, NULL, error);
  plan_change_free (change);
}

gboolean
vmgr_manager_handle_set_plan (VmgrDBusManager *object, GDBusMethodInvocation *invocation,
                              const char *name, GVariant *limits)
{
  VmgrManager *self = VMGR_MANAGER (object);
  g_autoptr(GError) error = NULL;
  g_autoptr(VmgrOptions) options = vmgr_options_parse (limits, VMGR_FIELDS_PLAN, &error);
  g_autoptr(VmgrPlan) plan = options != NULL ? plan_for_set (self->context->store, name,
                                                             options, &error)
                                             : NULL;
  g_autoptr(GHashTable) details = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  PlanChange *change;

  if (plan == NULL)
    {
      g_dbus_method_invocation_return_gerror (invocation, error);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
  change = g_new0 (PlanChange, 1);
  change->name = g_strdup (name);
  change->options = g_steal_pointer (&options);
  g_hash_table_insert (details, "plan", g_strdup (name));
  g_hash_table_insert (details, "requested", g_variant_print (limits, FALSE));
  vmgr_auth_authorize (self->context->auth, invocation, NULL, details,
                       on_set_plan_allowed, change, (GDestroyNotify) plan_change_free);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static void
on_remove_plan_allowed (GDBusMethodInvocation *invocation, VmgrGrant *grant, gpointer data)
{
  g_autoptr(VmgrGrant) owned_grant G_GNUC_UNUSED = grant;
  g_autofree char *name = data;
  VmgrManager *self = VMGR_MANAGER (g_dbus_method_invocation_get_user_data (invocation));
  g_autoptr(VmgrAuditEntry) audit = vmgr_grant_audit_entry (grant);
  g_autoptr(GError) error = NULL;

  vmgr_store_remove_plan (self->context->store, name, audit, &error);
  vmgr_manager_finish (self, invocation, grant, NULL, error);
}

gboolean
vmgr_manager_handle_remove_plan (VmgrDBusManager *object, GDBusMethodInvocation *invocation,
                                 const char *name)
{
  VmgrManager *self = VMGR_MANAGER (object);
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) details = g_hash_table_new (g_str_hash, g_str_equal);

  if (!vmgr_validate_name (name, "plan name", &error))
    {
      g_dbus_method_invocation_return_gerror (invocation, error);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
  g_hash_table_insert (details, "plan", (gpointer) name);
  vmgr_auth_authorize (self->context->auth, invocation, NULL, details,
                       on_remove_plan_allowed, g_strdup (name), g_free);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}
