/* GetHostInfo as "key: value" lines and as JSON. */
#include "vmgrctl-host-view.h"

#include <string.h>

#include "vmgrctl-output.h"
#include "vmgrctl-units.h"

#define VMS_PREFIX "vms_"

/* In the order of the VM State property's documentation. */
static const char *const states[] = {
  "provisioning", "stopped", "starting", "running", "paused", "stopping", "crashed",
  "suspended", "unknown",
};

typedef enum { COUNT, SIZE } Unit;

static char *
amount_text (guint64 value, Unit unit)
{
  return unit == SIZE ? vmgrctl_format_size (value) : g_strdup_printf ("%" G_GUINT64_FORMAT, value);
}

static void
add_amount (VmgrctlFields *fields, GVariant *info, const char *key, Unit unit, const char *label)
{
  g_autofree char *text = NULL;
  guint64 value;

  if (vmgrctl_vardict_lookup_uint64 (info, key, &value))
    text = amount_text (value, unit);
  vmgrctl_fields_add (fields, label, text);
}

static void
add_capacity (VmgrctlFields *fields, GVariant *info, const char *key, Unit unit,
              const char *label)
{
  g_autofree char *text = NULL;
  guint64 value;

  if (vmgrctl_vardict_lookup_uint64 (info, key, &value))
    text = value == 0 ? g_strdup ("unlimited") : amount_text (value, unit);
  vmgrctl_fields_add (fields, label, text);
}

/* "4 of 16 (25%)": the capacity and its share when there is one. */
static void
add_allocated (VmgrctlFields *fields, GVariant *info, const char *resource, Unit unit,
               const char *label)
{
  g_autofree char *allocated_key = g_strconcat ("allocated_", resource, NULL);
  g_autofree char *capacity_key = g_strconcat ("capacity_", resource, NULL);
  g_autofree char *text = NULL;
  guint64 allocated, capacity;

  if (!vmgrctl_vardict_lookup_uint64 (info, allocated_key, &allocated))
    {
      vmgrctl_fields_add (fields, label, NULL);
      return;
    }
  text = amount_text (allocated, unit);
  if (vmgrctl_vardict_lookup_uint64 (info, capacity_key, &capacity) && capacity != 0)
    {
      g_autofree char *capacity_text = amount_text (capacity, unit);

      vmgrctl_fields_add_printf (fields, label, "%s of %s (%" G_GUINT64_FORMAT "%%)", text,
                                 capacity_text,
                                 (guint64) ((double) allocated * 100.0 / (double) capacity + 0.5));
    }
  else
    vmgrctl_fields_add (fields, label, text);
}

/* A VM may have at most as many vCPUs as the host has CPUs: said here,
 * so that the host's CPUs are not read as the vCPU capacity. */
static void
add_host_cpus (VmgrctlFields *fields, GVariant *info)
{
  guint64 cpus;

  if (!vmgrctl_vardict_lookup_uint64 (info, "cpus", &cpus))
    vmgrctl_fields_add (fields, "Host CPUs", NULL);
  else
    vmgrctl_fields_add_printf (fields, "Host CPUs", "%" G_GUINT64_FORMAT
                               " (also the most vCPUs one VM may have)", cpus);
}

static void
add_counts (VmgrctlFields *fields, GVariant *info)
{
  GVariantIter iter;
  const char *key;
  GVariant *value;

  add_amount (fields, info, "vms", COUNT, "VMs");
  for (gsize i = 0; i < G_N_ELEMENTS (states); i++)
    {
      g_autofree char *state_key = g_strconcat (VMS_PREFIX, states[i], NULL);
      g_autofree char *label = g_strconcat ("  ", states[i], NULL);
      guint64 count;

      if (vmgrctl_vardict_lookup_uint64 (info, state_key, &count))
        vmgrctl_fields_add_printf (fields, label, "%" G_GUINT64_FORMAT, count);
    }
  /* States this client does not know yet. */
  g_variant_iter_init (&iter, info);
  while (g_variant_iter_loop (&iter, "{&sv}", &key, &value))
    {
      g_autofree char *label = NULL;
      guint64 count;

      if (!g_str_has_prefix (key, VMS_PREFIX)
          || g_strv_contains (states, key + strlen (VMS_PREFIX))
          || !vmgrctl_vardict_lookup_uint64 (info, key, &count))
        continue;
      label = g_strconcat ("  ", key + strlen (VMS_PREFIX), NULL);
      vmgrctl_fields_add_printf (fields, label, "%" G_GUINT64_FORMAT, count);
    }
}

static const char *const known_keys[] = {
  "cpus", "cpu_model", "memory_total", "memory_free", "disk_total", "disk_free",
  "capacity_vcpus", "capacity_memory", "capacity_disk", "allocated_vcpus",
  "allocated_memory", "allocated_disk", "vms", NULL
};

static void
add_unknown (VmgrctlFields *fields, GVariant *info)
{
  GVariantIter iter;
  const char *key;
  GVariant *value;

  g_variant_iter_init (&iter, info);
  while (g_variant_iter_loop (&iter, "{&sv}", &key, &value))
    {
      g_autofree char *text = NULL;

      if (g_strv_contains (known_keys, key) || g_str_has_prefix (key, VMS_PREFIX))
        continue;
      text = g_variant_is_of_type (value, G_VARIANT_TYPE_STRING)
        ? g_variant_dup_string (value, NULL) : g_variant_print (value, FALSE);
      vmgrctl_fields_add (fields, key, text);
    }
}

char *
vmgrctl_host_describe (GVariant *info)
{
  g_autoptr(VmgrctlFields) fields = vmgrctl_fields_new ();
  const char *model = NULL;

  add_host_cpus (fields, info);
  g_variant_lookup (info, "cpu_model", "&s", &model);
  vmgrctl_fields_add (fields, "CPU model", model);
  add_amount (fields, info, "memory_total", SIZE, "Memory total");
  add_amount (fields, info, "memory_free", SIZE, "Memory free");
  add_amount (fields, info, "disk_total", SIZE, "Disk total");
  add_amount (fields, info, "disk_free", SIZE, "Disk free");
  add_capacity (fields, info, "capacity_vcpus", COUNT, "vCPU capacity");
  add_capacity (fields, info, "capacity_memory", SIZE, "Memory capacity");
  add_capacity (fields, info, "capacity_disk", SIZE, "Disk capacity");
  add_allocated (fields, info, "vcpus", COUNT, "Allocated vCPUs");
  add_allocated (fields, info, "memory", SIZE, "Allocated memory");
  add_allocated (fields, info, "disk", SIZE, "Allocated disk");
  add_counts (fields, info);
  add_unknown (fields, info);
  return vmgrctl_fields_render (fields);
}

JsonNode *
vmgrctl_host_to_json (GVariant *info, const char *backend)
{
  g_autoptr(JsonObject) object = json_object_new ();
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);

  if (backend != NULL && backend[0] != '\0')
    json_object_set_string_member (object, "backend", backend);
  else
    json_object_set_null_member (object, "backend");
  vmgrctl_json_add_vardict (object, info);
  json_node_set_object (node, object);
  return node;
}
