/* Reading a domain definition back into a VmgrVmSpec: vmgr's metadata
 * first, the domain's own elements where the metadata has nothing. */
#include "vmgr-domain-xml-private.h"

#include <libxml/parser.h>
#include <string.h>

#include "vmgr-error.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC (xmlDoc, xmlFreeDoc)

static xmlNodePtr
find_child (xmlNodePtr parent, const char *name)
{
  for (xmlNodePtr node = parent != NULL ? parent->children : NULL; node != NULL; node = node->next)
    if (node->type == XML_ELEMENT_NODE && xmlStrEqual (node->name, BAD_CAST name))
      return node;
  return NULL;
}

static gboolean
parse_uint (const char *element, const char *text, guint64 max, guint64 *out, GError **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autofree char *stripped = g_strstrip (g_strdup (text));

  if (!g_ascii_string_to_unsigned (stripped, 10, 0, max, out, &local_error))
    {
      g_set_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_ARGUMENT,
                   "Invalid value in domain XML element <%s>: %s",
                   element, local_error->message);
      return FALSE;
    }
  return TRUE;
}

static gboolean
parse_child_uint (xmlNodePtr parent, const char *name, guint64 *out, GError **error)
{
  xmlNodePtr node = find_child (parent, name);
  g_autofree char *text = NULL;

  if (node == NULL)
    return TRUE;
  text = vmgr_domain_xml_node_text (node);
  return parse_uint (name, text, G_MAXUINT64, out, error);
}

/* The bytes of a unit="..." attribute as libvirt reads it: none is KiB;
 * "b" or "bytes"; k, m, g, t, p, e (any case) alone or with "iB" are
 * powers of 1024, with "B" powers of 1000. 0 when unknown. */
static guint64
unit_bytes (const char *unit)
{
  static const char powers[] = "kmgtpe";
  const char *power;
  guint64 base, bytes = 1;

  if (unit == NULL)
    return KIB;
  if (g_ascii_strcasecmp (unit, "b") == 0 || g_ascii_strcasecmp (unit, "bytes") == 0)
    return 1;
  power = *unit != '\0' ? strchr (powers, g_ascii_tolower (*unit)) : NULL;
  if (power == NULL)
    return 0;
  if (unit[1] == '\0' || g_ascii_strcasecmp (unit + 1, "iB") == 0)
    base = KIB;
  else if (g_ascii_strcasecmp (unit + 1, "B") == 0)
    base = 1000;
  else
    return 0;
  for (const char *p = powers; p <= power; p++)
    bytes *= base;
  return bytes;
}

/* A size element (<memory>, <soft_limit>, ...) in KiB, rounded up as
 * libvirt does; 0 when absent. Its bytes must fit in 64 bits. */
static gboolean
parse_child_kib (xmlNodePtr parent, const char *name, guint64 *kib, GError **error)
{
  xmlNodePtr node = find_child (parent, name);
  g_autofree char *unit = NULL;
  guint64 value = 0, scale;

  *kib = 0;
  if (node == NULL)
    return TRUE;
  if (!parse_child_uint (parent, name, &value, error))
    return FALSE;
  unit = (char *) xmlGetProp (node, BAD_CAST "unit");
  scale = unit_bytes (unit);
  if (scale == 0 || value > G_MAXUINT64 / scale ||
      vmgr_domain_xml_bytes_to_kib (value * scale) > G_MAXUINT64 / KIB)
    {
      g_set_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_ARGUMENT,
                   scale == 0 ? "Invalid unit of domain XML element <%s>"
                              : "Value of domain XML element <%s> out of range", name);
      return FALSE;
    }
  *kib = vmgr_domain_xml_bytes_to_kib (value * scale);
  return TRUE;
}

/* Fallbacks for metadata that lacks resource elements. */
static gboolean
parse_tuning (xmlNodePtr root, VmgrVmSpec *spec, GError **error)
{
  xmlNodePtr memtune = find_child (root, "memtune");
  xmlNodePtr cputune = find_child (root, "cputune");
  guint64 guarantee = 0, soft = 0, shares = 1024, period = 0, quota = 0;

  if (!parse_child_kib (memtune, "min_guarantee", &guarantee, error) ||
      !parse_child_kib (memtune, "soft_limit", &soft, error) ||
      !parse_child_uint (cputune, "shares", &shares, error) ||
      !parse_child_uint (cputune, "period", &period, error) ||
      !parse_child_uint (cputune, "quota", &quota, error))
    return FALSE;
  spec->memory_guarantee = guarantee * KIB;
  spec->memory_soft_limit = soft * KIB;
  /* Bounded first, so that the arithmetic cannot wrap. */
  spec->cpu_weight = vmgr_domain_xml_shares_to_weight (MIN (shares, 262144));
  quota = MIN (quota, G_MAXUINT64 / 100);
  spec->cpu_limit = period > 0 ? (guint32) MIN (quota * 100 / period, G_MAXUINT32) : 0;
  return TRUE;
}

static char **
parse_list (xmlNodePtr list, const char *item)
{
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func (g_free);

  for (xmlNodePtr node = list->children; node != NULL; node = node->next)
    if (node->type == XML_ELEMENT_NODE && xmlStrEqual (node->name, BAD_CAST item))
      g_ptr_array_add (items, vmgr_domain_xml_node_text (node));
  g_ptr_array_add (items, NULL);
  return (char **) g_ptr_array_free (g_steal_pointer (&items), FALSE);
}

static gboolean
parse_bool (const char *element, const char *text, gboolean *out, GError **error)
{
  if (g_strcmp0 (text, "true") == 0 || g_strcmp0 (text, "false") == 0)
    {
      *out = g_strcmp0 (text, "true") == 0;
      return TRUE;
    }
  g_set_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_ARGUMENT,
               "Invalid value in vmgr metadata element <%s>: '%s' is neither true nor false",
               element, text);
  return FALSE;
}

static gboolean
parse_metadata_field (xmlNodePtr node, const MetadataField *field, VmgrVmSpec *spec,
                      GError **error)
{
  g_autofree char *text = NULL;
  guint64 value;

  if (field->type == FIELD_STRV)
    {
      g_strfreev (*FIELD_PTR (spec, field, char **));
      *FIELD_PTR (spec, field, char **) = parse_list (node, field->item);
      return TRUE;
    }
  text = vmgr_domain_xml_node_text (node);
  switch (field->type)
    {
    case FIELD_STRING:
      g_free (*FIELD_PTR (spec, field, char *));
      *FIELD_PTR (spec, field, char *) = g_steal_pointer (&text);
      return TRUE;
    case FIELD_U32:
      if (!parse_uint (field->name, text, G_MAXUINT32, &value, error))
        return FALSE;
      *FIELD_PTR (spec, field, guint32) = (guint32) value;
      return TRUE;
    case FIELD_U64:
      return parse_uint (field->name, text, G_MAXUINT64, FIELD_PTR (spec, field, guint64), error);
    case FIELD_BOOL:
      return parse_bool (field->name, text, FIELD_PTR (spec, field, gboolean), error);
    case FIELD_STRV:
    default:
      g_assert_not_reached ();
    }
}

static const MetadataField *
lookup_metadata_field (const xmlChar *name)
{
  for (gsize i = 0; i < vmgr_domain_xml_n_metadata_fields; i++)
    if (xmlStrEqual (name, BAD_CAST vmgr_domain_xml_metadata_fields[i].name))
      return &vmgr_domain_xml_metadata_fields[i];
  return NULL;
}

static gboolean
parse_metadata (xmlNodePtr vm, VmgrVmSpec *spec, GError **error)
{
  for (xmlNodePtr node = vm->children; node != NULL; node = node->next)
    {
      const MetadataField *field;

      if (node->type != XML_ELEMENT_NODE)
        continue;
      field = lookup_metadata_field (node->name);
      /* Unknown elements are tolerated: a newer vmgr may have added them. */
      if (field != NULL && !parse_metadata_field (node, field, spec, error))
        return FALSE;
    }
  return TRUE;
}

static xmlNodePtr
find_metadata (xmlNodePtr root)
{
  xmlNodePtr metadata = find_child (root, "metadata");

  for (xmlNodePtr node = metadata != NULL ? metadata->children : NULL; node != NULL;
       node = node->next)
    if (node->type == XML_ELEMENT_NODE && node->ns != NULL &&
        xmlStrEqual (node->ns->href, BAD_CAST VMGR_METADATA_NS) &&
        xmlStrEqual (node->name, BAD_CAST "vm"))
      return node;
  return NULL;
}

static GVirConfigDomain *
parse_domain (const char *domain_xml, GError **error)
{
  g_autoptr(GError) local_error = NULL;
  GVirConfigDomain *domain;

  if (domain_xml == NULL || *domain_xml == '\0')
    {
      g_set_error_literal (error, VMGR_ERROR, VMGR_ERROR_INVALID_ARGUMENT,
                           "The domain XML is empty");
      return NULL;
    }
  domain = gvir_config_domain_new_from_xml (domain_xml, &local_error);
  if (domain == NULL)
    {
      /* libxml2 quotes the input as it is, invalid UTF-8 included. */
      g_autofree char *message = g_utf8_make_valid (local_error->message, -1);

      g_set_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_ARGUMENT,
                   "The domain XML is malformed: %s", message);
    }
  return domain;
}

/* Name, UUID and resources, from the domain itself. */
static VmgrVmSpec *
parse_resources (GVirConfigDomain *domain, xmlNodePtr root, GError **error)
{
  g_autoptr(VmgrVmSpec) spec = vmgr_vm_spec_new ();
  const char *domain_uuid = gvir_config_domain_get_uuid (domain);
  guint64 memory_kib, vcpus = 1;

  g_free (spec->name);
  spec->name = g_strdup (gvir_config_domain_get_name (domain));
  g_free (spec->uuid);
  spec->uuid = g_ascii_strdown (domain_uuid != NULL ? domain_uuid : "", -1);
  if (spec->name == NULL || *spec->name == '\0')
    {
      g_set_error_literal (error, VMGR_ERROR, VMGR_ERROR_INVALID_ARGUMENT,
                           "The domain XML has no <name>");
      return NULL;
    }
  /* Read here rather than with gconfig, which warns about an unknown unit
   * (a GLib-CRITICAL from input) and lets garbage and overflows through. */
  if (!parse_child_kib (root, "memory", &memory_kib, error) ||
      !parse_child_uint (root, "vcpu", &vcpus, error) || !parse_tuning (root, spec, error))
    return NULL;
  spec->vcpus = (guint32) CLAMP (vcpus, 1, G_MAXUINT32);
  spec->memory_limit = memory_kib * KIB;
  return g_steal_pointer (&spec);
}

VmgrVmSpec *
vmgr_domain_xml_parse (const char *domain_xml, GError **error)
{
  g_autoptr(GVirConfigDomain) domain = parse_domain (domain_xml, error);
  g_autoptr(VmgrVmSpec) spec = NULL;
  guint64 domain_memory;
  xmlNodePtr root, vm;

  if (domain == NULL)
    return NULL;
  root = vmgr_domain_xml_domain_node (domain);
  vm = find_metadata (root);
  if (vm == NULL)
    {
      g_set_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_ARGUMENT,
                   "Domain '%s' carries no vmgr metadata (<vm> in namespace %s); "
                   "it was not created by vmgr", gvir_config_domain_get_name (domain),
                   VMGR_METADATA_NS);
      return NULL;
    }
  spec = parse_resources (domain, root, error);
  if (spec == NULL)
    return NULL;
  domain_memory = spec->memory_limit;
  if (!parse_metadata (vm, spec, error))
    return NULL;
  /* The exact byte count from the metadata, unless the domain's memory was
   * changed behind vmgr's back. */
  if (vmgr_domain_xml_bytes_to_kib (spec->memory_limit) != domain_memory / KIB)
    spec->memory_limit = domain_memory;
  return g_steal_pointer (&spec);
}

VmgrVmSpec *
vmgr_domain_xml_parse_foreign (const char *domain_xml, GError **error)
{
  g_autoptr(GVirConfigDomain) domain = parse_domain (domain_xml, error);

  if (domain == NULL)
    return NULL;
  return parse_resources (domain, vmgr_domain_xml_domain_node (domain), error);
}

gboolean
vmgr_domain_xml_has_metadata (const char *domain_xml)
{
  g_autoptr(GVirConfigDomain) domain = parse_domain (domain_xml, NULL);

  return domain != NULL && find_metadata (vmgr_domain_xml_domain_node (domain)) != NULL;
}
