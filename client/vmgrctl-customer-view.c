/* A customer as a table row, as "key: value" lines and as JSON. */
#include "vmgrctl-customer-view.h"

#include "vmgrctl-units.h"

enum { UID_COLUMN, VMS_COLUMN = 5 };

VmgrctlTable *
vmgrctl_customer_table_new (void)
{
  static const char *const headers[] = {
    "UID", "USER", "NAME", "EMAIL", "PLAN", "VMS", "SUSPENDED", NULL
  };

  return vmgrctl_table_new (headers, 1 << UID_COLUMN | 1 << VMS_COLUMN);
}

static char *
number_or_null (GVariant *vardict, const char *key)
{
  guint64 value;

  if (!vmgrctl_vardict_lookup_uint64 (vardict, key, &value))
    return NULL;
  return g_strdup_printf ("%" G_GUINT64_FORMAT, value);
}

static char *
vms_text (VmgrDBusCustomer *customer)
{
  g_autofree char *allocated = number_or_null (vmgr_dbus_customer_get_allocated (customer), "vms");
  guint max = vmgr_dbus_customer_get_max_vms (customer);

  if (max == 0)
    return g_strdup_printf ("%s/-", allocated != NULL ? allocated : "-");
  return g_strdup_printf ("%s/%u", allocated != NULL ? allocated : "-", max);
}

void
vmgrctl_customer_table_add (VmgrctlTable *table, VmgrDBusCustomer *customer)
{
  g_autofree char *uid = g_strdup_printf ("%u", vmgr_dbus_customer_get_uid (customer));
  g_autofree char *vms = vms_text (customer);

  vmgrctl_table_add_row (table, (const char *const[]) {
    uid, vmgr_dbus_customer_get_user_name (customer), vmgr_dbus_customer_get_full_name (customer),
    vmgr_dbus_customer_get_email (customer), vmgr_dbus_customer_get_plan (customer), vms,
    vmgr_dbus_customer_get_suspended (customer) ? "yes" : "no" });
}

/* The keys of Quota and Allocated (a{st}), in this order. */
static const struct {
  const char *key;
  const char *label;
  gboolean size;
} amounts[] = {
  { "vms", "  VMs", FALSE },
  { "vcpus", "  vCPUs", FALSE },
  { "memory", "  Memory", TRUE },
  { "disk", "  Disk", TRUE },
};

static gboolean
is_known_amount (const char *key)
{
  for (gsize i = 0; i < G_N_ELEMENTS (amounts); i++)
    if (g_str_equal (amounts[i].key, key))
      return TRUE;
  return FALSE;
}

static char *
amount_text (guint64 value, gboolean size, const char *zero)
{
  if (value == 0 && zero != NULL)
    return g_strdup (zero);
  return size ? vmgrctl_format_size (value) : g_strdup_printf ("%" G_GUINT64_FORMAT, value);
}

/* The a{st} @vardict under @heading; @zero is how 0 shows ("unlimited"
 * for a quota), NULL for "0". Keys this client does not know follow. */
static void
add_amounts (VmgrctlFields *fields, const char *heading, GVariant *vardict, const char *zero)
{
  GVariantIter iter;
  const char *key;
  guint64 value;

  vmgrctl_fields_add_heading (fields, heading);
  for (gsize i = 0; i < G_N_ELEMENTS (amounts); i++)
    {
      g_autofree char *text = NULL;

      if (vmgrctl_vardict_lookup_uint64 (vardict, amounts[i].key, &value))
        text = amount_text (value, amounts[i].size, zero);
      vmgrctl_fields_add (fields, amounts[i].label, text);
    }
  if (vardict == NULL || !g_variant_is_of_type (vardict, G_VARIANT_TYPE ("a{st}")))
    return;
  g_variant_iter_init (&iter, vardict);
  while (g_variant_iter_next (&iter, "{&st}", &key, &value))
    if (!is_known_amount (key))
      {
        g_autofree char *label = g_strconcat ("  ", key, NULL);
        vmgrctl_fields_add_printf (fields, label, "%" G_GUINT64_FORMAT, value);
      }
}

static void
add_identity (VmgrctlFields *fields, VmgrDBusCustomer *customer)
{
  const char *user = vmgr_dbus_customer_get_user_name (customer);
  guint uid = vmgr_dbus_customer_get_uid (customer);

  if (user != NULL && user[0] != '\0')
    vmgrctl_fields_add_printf (fields, "User", "%s (uid %u)", user, uid);
  else
    vmgrctl_fields_add_printf (fields, "User", "uid %u", uid);
  vmgrctl_fields_add (fields, "Name", vmgr_dbus_customer_get_full_name (customer));
  vmgrctl_fields_add (fields, "Email", vmgr_dbus_customer_get_email (customer));
  vmgrctl_fields_add (fields, "Phone", vmgr_dbus_customer_get_phone (customer));
  vmgrctl_fields_add (fields, "Address", vmgr_dbus_customer_get_address (customer));
  vmgrctl_fields_add (fields, "Province", vmgr_dbus_customer_get_province (customer));
  vmgrctl_fields_add (fields, "National id", vmgr_dbus_customer_get_national_id (customer));
}

static void
add_status (VmgrctlFields *fields, VmgrDBusCustomer *customer)
{
  const char *reason = vmgr_dbus_customer_get_suspend_reason (customer);
  guint max_vms = vmgr_dbus_customer_get_max_vms (customer);
  guint max_snapshots = vmgr_dbus_customer_get_max_snapshots (customer);

  vmgrctl_fields_add (fields, "Plan", vmgr_dbus_customer_get_plan (customer));
  if (max_vms != 0)
    vmgrctl_fields_add_printf (fields, "Max VMs", "%u", max_vms);
  else
    vmgrctl_fields_add (fields, "Max VMs", "unlimited");
  if (max_snapshots != 0)
    vmgrctl_fields_add_printf (fields, "Max snapshots", "%u", max_snapshots);
  else
    vmgrctl_fields_add (fields, "Max snapshots", "unlimited");
  if (!vmgr_dbus_customer_get_suspended (customer))
    vmgrctl_fields_add (fields, "Suspended", "no");
  else if (reason != NULL && reason[0] != '\0')
    vmgrctl_fields_add_printf (fields, "Suspended", "yes (%s)", reason);
  else
    vmgrctl_fields_add (fields, "Suspended", "yes");
}

char *
vmgrctl_customer_describe (VmgrDBusCustomer *customer)
{
  g_autoptr(VmgrctlFields) fields = vmgrctl_fields_new ();

  add_identity (fields, customer);
  add_status (fields, customer);
  add_amounts (fields, "Quota", vmgr_dbus_customer_get_quota (customer), "unlimited");
  add_amounts (fields, "Allocated", vmgr_dbus_customer_get_allocated (customer), NULL);
  return vmgrctl_fields_render (fields);
}

static const VmgrctlJsonMember json_members[] = {
  { "Uid", "uid" }, { "UserName", "user_name" }, { "FullName", "full_name" },
  { "Email", "email" }, { "Phone", "phone" }, { "Address", "address" },
  { "Province", "province" }, { "NationalId", "national_id" }, { "Plan", "plan" },
  { "MaxVMs", "max_vms" }, { "MaxSnapshots", "max_snapshots" }, { "Suspended", "suspended" }, { "SuspendReason", "suspend_reason" },
  { "Quota", "quota" }, { "Allocated", "allocated" },
};

JsonNode *
vmgrctl_customer_to_json (VmgrDBusCustomer *customer)
{
  return vmgrctl_json_from_properties (G_DBUS_PROXY (customer), json_members,
                                       G_N_ELEMENTS (json_members));
}
