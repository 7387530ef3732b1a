/* Domain XML with libvirt-gconfig; libxml2 only for what gconfig has no API
 * for (<memtune>, <cputune>, building and reading vmgr's metadata element).
 *
 * The metadata carries every value vmgr owns, including the resources that
 * also appear in <memtune>/<cputune>: those are rounded to KiB or mapped to
 * cgroup-v1 shares there, and some are left out for some drivers (QEMU refuses
 * min_guarantee), so the metadata is what makes parse (build (spec)) exact. */
#include "vmgr-domain-xml-private.h"

#include <libvirt-gconfig/libvirt-gconfig.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <string.h>

#include "vmgr-error.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC (GVirConfigDomainOs, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GVirConfigDomainFilesys, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GVirConfigDomainDisk, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GVirConfigDomainDiskDriver, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GVirConfigDomainConsole, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GVirConfigDomainChardevSourcePty, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (xmlDoc, xmlFreeDoc)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (xmlBuffer, xmlBufferFree)

#define CPU_PERIOD_US 100000
#define LXC_INIT "/sbin/init"

typedef enum {
  SCHEME_TEST,
  SCHEME_LXC,
  SCHEME_QEMU,
} Scheme;

/* ---- vmgr metadata: one table drives both building and parsing ---- */

#define SPEC_FIELD(member) G_STRUCT_OFFSET (VmgrVmSpec, member)

/* memory-limit is an addition to the domain's own <memory>: that one is in
 * KiB, this one keeps the exact byte count. */
const MetadataField vmgr_domain_xml_metadata_fields[] = {
  /* The VM's own name: the domain's is NAME-ID (see vmgr_domain_name). */
  { "name", NULL, FIELD_STRING, SPEC_FIELD (name) },
  { "id", NULL, FIELD_U32, SPEC_FIELD (id) },
  { "owner", NULL, FIELD_U32, SPEC_FIELD (owner) },
  { "template", NULL, FIELD_STRING, SPEC_FIELD (template_name) },
  { "plan", NULL, FIELD_STRING, SPEC_FIELD (plan) },
  { "hostname", NULL, FIELD_STRING, SPEC_FIELD (hostname), TRUE },
  { "gateway", NULL, FIELD_STRING, SPEC_FIELD (gateway), TRUE },
  { "addresses", "address", FIELD_STRV, SPEC_FIELD (addresses), TRUE },
  { "nameservers", "nameserver", FIELD_STRV, SPEC_FIELD (nameservers), TRUE },
  { "memory-guarantee", NULL, FIELD_U64, SPEC_FIELD (memory_guarantee) },
  { "memory-soft-limit", NULL, FIELD_U64, SPEC_FIELD (memory_soft_limit) },
  { "memory-limit", NULL, FIELD_U64, SPEC_FIELD (memory_limit) },
  { "cpu-weight", NULL, FIELD_U32, SPEC_FIELD (cpu_weight) },
  { "cpu-limit", NULL, FIELD_U32, SPEC_FIELD (cpu_limit) },
  { "disk-soft-limit", NULL, FIELD_U64, SPEC_FIELD (disk_soft_limit), TRUE },
  { "disk-hard-limit", NULL, FIELD_U64, SPEC_FIELD (disk_hard_limit) },
  { "autostart", NULL, FIELD_BOOL, SPEC_FIELD (autostart), TRUE },
};

const gsize vmgr_domain_xml_n_metadata_fields = G_N_ELEMENTS (vmgr_domain_xml_metadata_fields);


static gboolean
scheme_from_string (const char *scheme, Scheme *out, GError **error)
{
  if (g_strcmp0 (scheme, "test") == 0)
    *out = SCHEME_TEST;
  else if (g_strcmp0 (scheme, "lxc") == 0)
    *out = SCHEME_LXC;
  else if (g_strcmp0 (scheme, "qemu") == 0)
    *out = SCHEME_QEMU;
  else
    {
      g_set_error (error, VMGR_ERROR, VMGR_ERROR_NOT_SUPPORTED,
                   "libvirt driver '%s' is not supported; use test, lxc or qemu",
                   scheme != NULL ? scheme : "(none)");
      return FALSE;
    }
  return TRUE;
}

guint64
vmgr_domain_xml_bytes_to_kib (guint64 bytes)
{
  return bytes / KIB + (bytes % KIB != 0 ? 1 : 0);
}

/* cgroup-v2 cpu.weight to cgroup-v1 cpu.shares, as systemd maps them. */
guint64
vmgr_domain_xml_weight_to_shares (guint32 weight)
{
  return CLAMP ((guint64) weight * 1024 / 100, 2, 262144);
}

guint32
vmgr_domain_xml_shares_to_weight (guint64 shares)
{
  return (guint32) CLAMP ((shares * 100 + 512) / 1024, 1, 10000);
}

/* Text that XML 1.0 can carry: UTF-8 without control characters. */
static gboolean
check_xml_text (const char *what, const char *text, GError **error)
{
  if (text == NULL)
    return TRUE;
  if (!g_utf8_validate (text, -1, NULL))
    {
      g_set_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_ARGUMENT,
                   "The %s is not valid UTF-8", what);
      return FALSE;
    }
  for (const char *p = text; *p != '\0'; p++)
    {
      if ((guchar) *p < 0x20 && *p != '\t' && *p != '\n' && *p != '\r')
        {
          g_set_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_ARGUMENT,
                       "The %s contains a control character", what);
          return FALSE;
        }
    }
  return TRUE;
}

static gboolean
check_spec_text (const VmgrVmSpec *spec, GError **error)
{
  if (!check_xml_text ("name", spec->name, error) ||
      !check_xml_text ("UUID", spec->uuid, error))
    return FALSE;
  for (gsize i = 0; i < G_N_ELEMENTS (vmgr_domain_xml_metadata_fields); i++)
    {
      const MetadataField *field = &vmgr_domain_xml_metadata_fields[i];

      if (field->type == FIELD_STRING &&
          !check_xml_text (field->name, *FIELD_PTR (spec, field, char *), error))
        return FALSE;
      if (field->type == FIELD_STRV)
        {
          char **items = *FIELD_PTR (spec, field, char **);

          for (gsize j = 0; items != NULL && items[j] != NULL; j++)
            if (!check_xml_text (field->item, items[j], error))
              return FALSE;
        }
    }
  return TRUE;
}

static char *
node_to_string (xmlNodePtr node)
{
  g_autoptr(xmlBuffer) buffer = xmlBufferCreate ();

  xmlNodeDump (buffer, node->doc, node, 0, 0);
  return g_strdup ((const char *) xmlBufferContent (buffer));
}

char *
vmgr_domain_xml_node_text (xmlNodePtr node)
{
  xmlChar *content = xmlNodeGetContent (node);
  char *text = g_strdup (content != NULL ? (const char *) content : "");

  xmlFree (content);
  return text;
}

static void
add_text_child (xmlNodePtr parent, const char *name, const char *text)
{
  /* xmlNewTextChild escapes the content (xmlNewChild would not). */
  xmlNewTextChild (parent, NULL, BAD_CAST name, BAD_CAST (text != NULL ? text : ""));
}

static xmlNodePtr
add_uint_child (xmlNodePtr parent, const char *name, guint64 value)
{
  g_autofree char *text = g_strdup_printf ("%" G_GUINT64_FORMAT, value);

  return xmlNewTextChild (parent, NULL, BAD_CAST name, BAD_CAST text);
}

static void
add_kib_child (xmlNodePtr parent, const char *name, guint64 bytes)
{
  xmlNodePtr node = add_uint_child (parent, name, vmgr_domain_xml_bytes_to_kib (bytes));

  xmlNewProp (node, BAD_CAST "unit", BAD_CAST "KiB");
}

static gboolean
field_is_default (const VmgrVmSpec *spec, const MetadataField *field)
{
  const char *text;
  char **items;

  switch (field->type)
    {
    case FIELD_STRING:
      text = *FIELD_PTR (spec, field, char *);
      return text == NULL || *text == '\0';
    case FIELD_STRV:
      items = *FIELD_PTR (spec, field, char **);
      return items == NULL || items[0] == NULL;
    case FIELD_U32:
      return *FIELD_PTR (spec, field, guint32) == 0;
    case FIELD_U64:
      return *FIELD_PTR (spec, field, guint64) == 0;
    case FIELD_BOOL:
      return !*FIELD_PTR (spec, field, gboolean);
    default:
      g_assert_not_reached ();
    }
}

static void
add_metadata_field (xmlNodePtr vm, const VmgrVmSpec *spec, const MetadataField *field)
{
  xmlNodePtr list;
  char **items;

  if (field->optional && field_is_default (spec, field))
    return;
  switch (field->type)
    {
    case FIELD_STRING:
      add_text_child (vm, field->name, *FIELD_PTR (spec, field, char *));
      break;
    case FIELD_STRV:
      list = xmlNewChild (vm, NULL, BAD_CAST field->name, NULL);
      items = *FIELD_PTR (spec, field, char **);
      for (gsize i = 0; items != NULL && items[i] != NULL; i++)
        add_text_child (list, field->item, items[i]);
      break;
    case FIELD_U32:
      add_uint_child (vm, field->name, *FIELD_PTR (spec, field, guint32));
      break;
    case FIELD_U64:
      add_uint_child (vm, field->name, *FIELD_PTR (spec, field, guint64));
      break;
    case FIELD_BOOL:
      add_text_child (vm, field->name, *FIELD_PTR (spec, field, gboolean) ? "true" : "false");
      break;
    default:
      g_assert_not_reached ();
    }
}

/* <vm> with unqualified children: virDomainSetMetadata and
 * gvir_config_domain_set_custom_xml_ns_children put it in VMGR_METADATA_NS
 * themselves (both refuse an element that already declares the prefix). */
static char *
metadata_to_string (const VmgrVmSpec *spec)
{
  g_autoptr(xmlDoc) doc = xmlNewDoc (BAD_CAST "1.0");
  xmlNodePtr vm = xmlNewDocNode (doc, NULL, BAD_CAST "vm", NULL);

  xmlDocSetRootElement (doc, vm);
  for (gsize i = 0; i < G_N_ELEMENTS (vmgr_domain_xml_metadata_fields); i++)
    add_metadata_field (vm, spec, &vmgr_domain_xml_metadata_fields[i]);
  return node_to_string (vm);
}

/* The element is unqualified on purpose: pass it to virDomainSetMetadata
 * with key VMGR_METADATA_PREFIX and uri VMGR_METADATA_NS, which qualify it
 * (libvirt fails with "failed to create a new XML namespace" when the
 * element already declares the prefix). */
char *
vmgr_domain_xml_build_metadata (const VmgrVmSpec *spec, GError **error)
{
  g_return_val_if_fail (spec != NULL, NULL);

  if (!check_spec_text (spec, error))
    return NULL;
  return metadata_to_string (spec);
}

/* ---- building the domain ---- */

xmlNodePtr
vmgr_domain_xml_domain_node (GVirConfigDomain *domain)
{
  xmlNodePtr node = NULL;

  /* gconfig has no API for <memtune>/<cputune>; its "node" property is
   * the domain's root element, which libxml2 can extend in place. */
  g_object_get (domain, "node", &node, NULL);
  return node;
}

static void
add_memtune (xmlNodePtr root, const VmgrVmSpec *spec, Scheme scheme)
{
  /* QEMU here: hard_limit makes start fail (RLIMIT_MEMLOCK) and
   * min_guarantee is refused at define time. */
  gboolean qemu = scheme == SCHEME_QEMU;
  xmlNodePtr memtune;

  if (qemu && spec->memory_soft_limit == 0)
    return;
  memtune = xmlNewChild (root, NULL, BAD_CAST "memtune", NULL);
  if (!qemu)
    add_kib_child (memtune, "hard_limit", spec->memory_limit);
  if (spec->memory_soft_limit != 0)
    add_kib_child (memtune, "soft_limit", spec->memory_soft_limit);
  if (!qemu && spec->memory_guarantee != 0)
    add_kib_child (memtune, "min_guarantee", spec->memory_guarantee);
}

/* cpu_limit is a percentage of one host CPU for the whole VM. QEMU's
 * <period>/<quota> apply to each vCPU thread, so QEMU gets the global
 * ones; an LXC container has one cgroup, its <quota> is already global. */
static void
add_cputune (xmlNodePtr root, const VmgrVmSpec *spec, Scheme scheme)
{
  xmlNodePtr cputune = xmlNewChild (root, NULL, BAD_CAST "cputune", NULL);
  gboolean global = scheme == SCHEME_QEMU;

  add_uint_child (cputune, "shares", vmgr_domain_xml_weight_to_shares (spec->cpu_weight));
  if (spec->cpu_limit > 0)
    {
      add_uint_child (cputune, global ? "global_period" : "period", CPU_PERIOD_US);
      add_uint_child (cputune, global ? "global_quota" : "quota",
                      (guint64) spec->cpu_limit * (CPU_PERIOD_US / 100));
    }
}

static void
set_os (GVirConfigDomain *domain, Scheme scheme)
{
  g_autoptr(GVirConfigDomainOs) os = gvir_config_domain_os_new ();

  if (scheme == SCHEME_LXC)
    {
      gvir_config_domain_os_set_os_type (os, GVIR_CONFIG_DOMAIN_OS_TYPE_EXE);
      gvir_config_domain_os_set_init (os, LXC_INIT);
    }
  else
    {
      gvir_config_domain_os_set_os_type (os, GVIR_CONFIG_DOMAIN_OS_TYPE_HVM);
      gvir_config_domain_os_set_arch (os, "x86_64");
    }
  gvir_config_domain_set_os (domain, os);
}

/* A directory, or with @image a raw filesystem image libvirt mounts
 * through a loop device. */
static void
add_root_filesystem (GVirConfigDomain *domain, const char *source, gboolean image)
{
  g_autoptr(GVirConfigDomainFilesys) fs = gvir_config_domain_filesys_new ();

  if (image)
    {
      gvir_config_domain_filesys_set_type (fs, GVIR_CONFIG_DOMAIN_FILESYS_FILE);
      gvir_config_domain_filesys_set_access_type (fs, GVIR_CONFIG_DOMAIN_FILESYS_ACCESS_PASSTHROUGH);
      gvir_config_domain_filesys_set_driver_type (fs, GVIR_CONFIG_DOMAIN_FILESYS_DRIVER_LOOP);
      gvir_config_domain_filesys_set_driver_format (fs, GVIR_CONFIG_DOMAIN_DISK_FORMAT_RAW);
    }
  else
    gvir_config_domain_filesys_set_type (fs, GVIR_CONFIG_DOMAIN_FILESYS_MOUNT);
  gvir_config_domain_filesys_set_source (fs, source);
  gvir_config_domain_filesys_set_target (fs, "/");
  gvir_config_domain_add_device (domain, GVIR_CONFIG_DOMAIN_DEVICE (fs));
}

static void
add_disk (GVirConfigDomain *domain, const char *source)
{
  g_autoptr(GVirConfigDomainDisk) disk = gvir_config_domain_disk_new ();
  g_autoptr(GVirConfigDomainDiskDriver) driver = gvir_config_domain_disk_driver_new ();

  gvir_config_domain_disk_driver_set_name (driver, "qemu");
  gvir_config_domain_disk_driver_set_format (driver,
                                             g_str_has_suffix (source, ".qcow2")
                                             ? GVIR_CONFIG_DOMAIN_DISK_FORMAT_QCOW2
                                             : GVIR_CONFIG_DOMAIN_DISK_FORMAT_RAW);
  gvir_config_domain_disk_set_type (disk, GVIR_CONFIG_DOMAIN_DISK_FILE);
  gvir_config_domain_disk_set_guest_device_type (disk, GVIR_CONFIG_DOMAIN_DISK_GUEST_DEVICE_DISK);
  gvir_config_domain_disk_set_source (disk, source);
  gvir_config_domain_disk_set_driver (disk, driver);
  gvir_config_domain_disk_set_target_bus (disk, GVIR_CONFIG_DOMAIN_DISK_BUS_VIRTIO);
  gvir_config_domain_disk_set_target_dev (disk, "vda");
  gvir_config_domain_add_device (domain, GVIR_CONFIG_DOMAIN_DEVICE (disk));
}

static void
add_console (GVirConfigDomain *domain)
{
  g_autoptr(GVirConfigDomainConsole) console = gvir_config_domain_console_new ();
  g_autoptr(GVirConfigDomainChardevSourcePty) pty = gvir_config_domain_chardev_source_pty_new ();

  gvir_config_domain_chardev_set_source (GVIR_CONFIG_DOMAIN_CHARDEV (console),
                                         GVIR_CONFIG_DOMAIN_CHARDEV_SOURCE (pty));
  gvir_config_domain_add_device (domain, GVIR_CONFIG_DOMAIN_DEVICE (console));
}

static gboolean
add_devices (GVirConfigDomain *domain, Scheme scheme, const char *source, GError **error)
{
  gboolean has_source = source != NULL && *source != '\0';

  if (scheme == SCHEME_TEST)
    return TRUE;
  if (has_source && !g_path_is_absolute (source))
    {
      g_set_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_ARGUMENT,
                   "The template source '%s' is not an absolute path; give the %s "
                   "as an absolute path", source,
                   scheme == SCHEME_LXC ? "root directory" : "disk image");
      return FALSE;
    }
  if (has_source && scheme == SCHEME_LXC)
    add_root_filesystem (domain, source, FALSE);
  else if (has_source)
    add_disk (domain, source);
  add_console (domain);
  return TRUE;
}

static void
set_direct_boot (GVirConfigDomain *domain, const char *kernel, const char *initrd)
{
  g_autoptr(GVirConfigDomainOs) os = gvir_config_domain_get_os (domain);

  gvir_config_domain_os_set_kernel (os, kernel);
  if (initrd != NULL && *initrd != '\0')
    gvir_config_domain_os_set_ramdisk (os, initrd);
  /* @os wraps the domain's own <os> node: setting it again would free it. */
  gvir_config_domain_os_set_cmdline (os, "console=ttyS0 panic=-1");
}

char *
vmgr_domain_xml_mac_for_uuid (const char *uuid)
{
  g_autofree char *hex = g_strdup (uuid);
  guint len = 0;

  /* Keep the hex digits of the UUID and use its last six. */
  for (const char *c = uuid; *c != '\0'; c++)
    if (g_ascii_isxdigit (*c))
      hex[len++] = g_ascii_tolower (*c);
  hex[len] = '\0';
  if (len < 6)
    return g_strdup ("52:54:00:00:00:01");
  return g_strdup_printf ("52:54:00:%.2s:%.2s:%.2s", hex + len - 6, hex + len - 4, hex + len - 2);
}

static void
add_network (GVirConfigDomain *domain, Scheme scheme, const char *network, const char *uuid)
{
  g_autoptr(GObject) object = G_OBJECT (gvir_config_domain_interface_network_new ());
  GVirConfigDomainInterfaceNetwork *iface = GVIR_CONFIG_DOMAIN_INTERFACE_NETWORK (object);
  g_autofree char *mac = vmgr_domain_xml_mac_for_uuid (uuid);

  gvir_config_domain_interface_network_set_source (iface, network);
  gvir_config_domain_interface_set_mac (GVIR_CONFIG_DOMAIN_INTERFACE (iface), mac);
  if (scheme == SCHEME_QEMU)
    gvir_config_domain_interface_set_model (GVIR_CONFIG_DOMAIN_INTERFACE (iface), "virtio");
  gvir_config_domain_add_device (domain, GVIR_CONFIG_DOMAIN_DEVICE (iface));
}

static const GVirConfigDomainVirtType virt_types[] = {
  [SCHEME_TEST] = GVIR_CONFIG_DOMAIN_VIRT_TEST,
  [SCHEME_LXC] = GVIR_CONFIG_DOMAIN_VIRT_LXC,
  [SCHEME_QEMU] = GVIR_CONFIG_DOMAIN_VIRT_QEMU,
};

char *
vmgr_domain_name (const VmgrVmSpec *spec)
{
  return g_strdup_printf ("%s-%u", spec->name, spec->id);
}

char *
vmgr_domain_xml_get_uuid (const char *xml)
{
  g_autoptr(GVirConfigDomain) domain = gvir_config_domain_new_from_xml (xml, NULL);
  const char *uuid = domain != NULL ? gvir_config_domain_get_uuid (domain) : NULL;

  return g_strdup (uuid);
}

char *
vmgr_domain_xml_rename (const char *xml, const char *name)
{
  g_autoptr(GVirConfigDomain) domain = gvir_config_domain_new_from_xml (xml, NULL);

  if (domain == NULL || name == NULL ||
      g_strcmp0 (gvir_config_domain_get_name (domain), name) == 0)
    return NULL;
  gvir_config_domain_set_name (domain, name);
  return gvir_config_object_to_xml (GVIR_CONFIG_OBJECT (domain));
}

static void
set_basics (GVirConfigDomain *domain, const VmgrVmSpec *spec, Scheme scheme)
{
  g_autofree char *name = vmgr_domain_name (spec);

  gvir_config_domain_set_virt_type (domain, virt_types[scheme]);
  gvir_config_domain_set_name (domain, name);
  if (spec->uuid != NULL && *spec->uuid != '\0')
    gvir_config_domain_set_uuid (domain, spec->uuid);
  gvir_config_domain_set_memory (domain, vmgr_domain_xml_bytes_to_kib (spec->memory_limit));
  gvir_config_domain_set_current_memory (domain, vmgr_domain_xml_bytes_to_kib (spec->memory_limit));
  gvir_config_domain_set_vcpus (domain, MAX (spec->vcpus, 1));
  set_os (domain, scheme);
}

char *
vmgr_domain_xml_build (const VmgrVmSpec *spec, const char *scheme,
                       const char *template_source, GError **error)
{
  g_autoptr(GVirConfigDomain) domain = NULL;
  g_autofree char *metadata = NULL;
  Scheme kind;
  xmlNodePtr root;

  g_return_val_if_fail (spec != NULL, NULL);

  if (!scheme_from_string (scheme, &kind, error) || !check_spec_text (spec, error) ||
      !check_xml_text ("template source", template_source, error))
    return NULL;

  domain = gvir_config_domain_new ();
  set_basics (domain, spec, kind);
  if (!add_devices (domain, kind, template_source, error))
    return NULL;
  root = vmgr_domain_xml_domain_node (domain);
  add_memtune (root, spec, kind);
  add_cputune (root, spec, kind);

  metadata = metadata_to_string (spec);
  if (!gvir_config_domain_set_custom_xml_ns_children (domain, metadata, VMGR_METADATA_PREFIX,
                                                      VMGR_METADATA_NS, error))
    return NULL;
  return gvir_config_object_to_xml (GVIR_CONFIG_OBJECT (domain));
}

static gboolean
check_paths (const char * const *paths, GError **error)
{
  for (guint i = 0; paths[i] != NULL; i++)
    if (*paths[i] != '\0' &&
        (!g_path_is_absolute (paths[i]) || !check_xml_text ("path", paths[i], error)))
      {
        if (error != NULL && *error == NULL)
          g_set_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_ARGUMENT,
                       "'%s' is not an absolute path", paths[i]);
        return FALSE;
      }
  return TRUE;
}

char *
vmgr_domain_xml_build_guest (const VmgrVmSpec *spec, const char *scheme, const char *root,
                             const char *disk, const char *kernel, const char *initrd,
                             const char *network, GError **error)
{
  const char *paths[] = { root, disk, kernel, initrd, NULL };
  g_autoptr(GVirConfigDomain) domain = NULL;
  g_autofree char *metadata = NULL;
  Scheme kind;
  xmlNodePtr node;

  if (!scheme_from_string (scheme, &kind, error) || !check_spec_text (spec, error) ||
      !check_paths (paths, error) || !check_xml_text ("network", network, error))
    return NULL;
  domain = gvir_config_domain_new ();
  set_basics (domain, spec, kind);
  if (kind == SCHEME_LXC && *root != '\0')
    add_root_filesystem (domain, root, g_str_has_suffix (root, ".img"));
  if (kind == SCHEME_QEMU && *disk != '\0')
    add_disk (domain, disk);
  if (kind == SCHEME_QEMU && *kernel != '\0')
    set_direct_boot (domain, kernel, initrd);
  if (kind == SCHEME_QEMU)
    {
      /* Without ACPI the guest never hears a graceful shutdown. */
      g_auto(GStrv) features = g_strsplit ("acpi apic", " ", -1);

      gvir_config_domain_set_features (domain, features);
    }
  if (kind != SCHEME_TEST && network != NULL && *network != '\0')
    add_network (domain, kind, network, spec->uuid);
  if (kind != SCHEME_TEST)
    add_console (domain);
  node = vmgr_domain_xml_domain_node (domain);
  add_memtune (node, spec, kind);
  add_cputune (node, spec, kind);
  metadata = metadata_to_string (spec);
  if (!gvir_config_domain_set_custom_xml_ns_children (domain, metadata, VMGR_METADATA_PREFIX,
                                                      VMGR_METADATA_NS, error))
    return NULL;
  return gvir_config_object_to_xml (GVIR_CONFIG_OBJECT (domain));
}

static xmlNodePtr
find_element (xmlNodePtr parent, const char *name)
{
  for (xmlNodePtr node = parent->children; node != NULL; node = node->next)
    if (node->type == XML_ELEMENT_NODE && xmlStrEqual (node->name, BAD_CAST name))
      return node;
  return NULL;
}

typedef void (*AddTune) (xmlNodePtr root, const VmgrVmSpec *spec, Scheme scheme);

/* vmgr's values in <@element>, the domain's other settings there (e.g. a
 * vcpupin in <cputune>) kept. */
static void
retune (xmlNodePtr root, const char *element, AddTune add, const VmgrVmSpec *spec,
        Scheme scheme)
{
  xmlNodePtr old = find_element (root, element);
  xmlNodePtr fresh, next;

  if (old != NULL)
    xmlUnlinkNode (old);
  add (root, spec, scheme);
  fresh = find_element (root, element);
  for (xmlNodePtr child = old != NULL ? old->children : NULL; child != NULL; child = next)
    {
      next = child->next;
      if (child->type != XML_ELEMENT_NODE ||
          (fresh != NULL && find_element (fresh, (const char *) child->name) != NULL))
        continue;
      if (fresh == NULL)
        fresh = xmlNewChild (root, NULL, BAD_CAST element, NULL);
      xmlUnlinkNode (child);
      xmlAddChild (fresh, child);
    }
  xmlFreeNode (old);
}

char *
vmgr_domain_xml_update_adopted (const char *domain_xml, const VmgrVmSpec *spec,
                                const char *scheme, GError **error)
{
  g_autoptr(GVirConfigDomain) domain = NULL;
  g_autofree char *metadata = NULL;
  Scheme kind;
  xmlNodePtr root;

  if (!scheme_from_string (scheme, &kind, error) || !check_spec_text (spec, error))
    return NULL;
  domain = gvir_config_domain_new_from_xml (domain_xml, NULL);
  if (domain == NULL)
    {
      g_set_error_literal (error, VMGR_ERROR, VMGR_ERROR_INVALID_ARGUMENT,
                           "The adopted domain's stored definition is malformed");
      return NULL;
    }
  gvir_config_domain_set_memory (domain, vmgr_domain_xml_bytes_to_kib (spec->memory_limit));
  gvir_config_domain_set_current_memory (domain,
                                         vmgr_domain_xml_bytes_to_kib (spec->memory_limit));
  gvir_config_domain_set_vcpus (domain, MAX (spec->vcpus, 1));
  root = vmgr_domain_xml_domain_node (domain);
  retune (root, "memtune", add_memtune, spec, kind);
  retune (root, "cputune", add_cputune, spec, kind);
  metadata = metadata_to_string (spec);
  if (!gvir_config_domain_set_custom_xml_ns_children (domain, metadata, VMGR_METADATA_PREFIX,
                                                      VMGR_METADATA_NS, error))
    return NULL;
  return gvir_config_object_to_xml (GVIR_CONFIG_OBJECT (domain));
}
