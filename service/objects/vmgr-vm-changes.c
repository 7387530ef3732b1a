/* What a change to a VM's spec changes, value by value, for the audit row:
 * "memory_limit 536870912 -> 1073741824", "owner alice -> bob". */
#include "vmgr-vm-private.h"

#include "vmgr-peers.h"

typedef struct {
  const char *field;
  gsize offset;
  gboolean wide;            /* guint64, else guint32 */
} ResourceField;

#define RESOURCE(member, wide) { #member, G_STRUCT_OFFSET (VmgrVmSpec, member), wide }

static const ResourceField resource_fields[] = {
  RESOURCE (memory_guarantee, TRUE),
  RESOURCE (memory_soft_limit, TRUE),
  RESOURCE (memory_limit, TRUE),
  RESOURCE (vcpus, FALSE),
  RESOURCE (cpu_weight, FALSE),
  RESOURCE (cpu_limit, FALSE),
  RESOURCE (disk_soft_limit, TRUE),
  RESOURCE (disk_hard_limit, TRUE),
};

static guint64
resource_value (const VmgrVmSpec *spec, const ResourceField *field)
{
  const guint8 *base = (const guint8 *) spec + field->offset;

  return field->wide ? *(const guint64 *) base : *(const guint32 *) base;
}

static void
note_text (VmgrGrant *grant, const char *field, const char *old_value, const char *new_value)
{
  if (g_strcmp0 (old_value, new_value) != 0)
    vmgr_grant_add_change (grant, field, old_value, new_value);
}

static void
note_list (VmgrGrant *grant, const char *field, char **old_value, char **new_value)
{
  g_autofree char *old_text = g_strjoinv (",", old_value);
  g_autofree char *new_text = g_strjoinv (",", new_value);

  note_text (grant, field, old_text, new_text);
}

void
vmgr_vm_note_spec_changes (VmgrGrant *grant, const VmgrVmSpec *old, const VmgrVmSpec *new)
{
  for (gsize i = 0; i < G_N_ELEMENTS (resource_fields); i++)
    {
      guint64 before = resource_value (old, &resource_fields[i]);
      guint64 after = resource_value (new, &resource_fields[i]);
      g_autofree char *old_text = g_strdup_printf ("%" G_GUINT64_FORMAT, before);
      g_autofree char *new_text = g_strdup_printf ("%" G_GUINT64_FORMAT, after);

      note_text (grant, resource_fields[i].field, old_text, new_text);
    }
  note_text (grant, "hostname", old->hostname, new->hostname);
  note_list (grant, "addresses", old->addresses, new->addresses);
  note_text (grant, "gateway", old->gateway, new->gateway);
  note_list (grant, "nameservers", old->nameservers, new->nameservers);
  note_text (grant, "autostart", old->autostart ? "true" : "false",
             new->autostart ? "true" : "false");
  if (old->owner != new->owner)
    {
      g_autofree char *old_owner = vmgr_user_name_for_uid (old->owner);
      g_autofree char *new_owner = vmgr_user_name_for_uid (new->owner);

      note_text (grant, "owner", old_owner, new_owner);
    }
}
