/* Domain XML: building with libvirt-gconfig, reading back, and libvirt's
 * own acceptance (RNG schema for every scheme, a real define with the test
 * driver). */
#include <libvirt-gconfig/libvirt-gconfig.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include "unit-helpers.h"
#include "vmgr-domain-xml.h"
#include "vmgr-error.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC (GVirConfigDomain, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (xmlDoc, xmlFreeDoc)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (xmlXPathContext, xmlXPathFreeContext)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (xmlXPathObject, xmlXPathFreeObject)

#define UUID_A "6f1c2a3e-8d4b-4c5e-9f60-7a8b9c0d1e2f"
#define MiB (G_GUINT64_CONSTANT (1024) * 1024)
#define GiB (MiB * 1024)

typedef struct {
  const char *scheme;
  const char *source;
  gboolean full;
} RoundTrip;

static const RoundTrip round_trips[] = {
  { "test", NULL, TRUE },
  { "test", NULL, FALSE },
  { "lxc", "/var/lib/vmgr/rootfs/debian-12", TRUE },
  { "lxc", "", FALSE },
  { "qemu", "/var/lib/vmgr/images/debian-12.qcow2", TRUE },
  { "qemu", NULL, FALSE },
};

static VmgrVmSpec *
minimal_spec (const char *name, const char *uuid)
{
  VmgrVmSpec *spec = vmgr_vm_spec_new ();

  set_str (&spec->name, name);
  set_str (&spec->uuid, uuid);
  spec->id = 101;
  spec->memory_limit = 64 * MiB;
  return spec;
}

static VmgrVmSpec *
full_spec (const char *name, const char *uuid)
{
  VmgrVmSpec *spec = minimal_spec (name, uuid);
  const char *addresses[] = { "192.0.2.10/24", "2001:db8::10/64", NULL };
  const char *nameservers[] = { "192.0.2.53", "2001:db8::53", NULL };

  spec->id = 4242;
  spec->owner = 1001;
  set_str (&spec->template_name, "debian-12");
  set_str (&spec->plan, "small");
  spec->memory_guarantee = 256 * MiB;
  spec->memory_soft_limit = 512 * MiB + 100;  /* not a whole KiB */
  spec->memory_limit = GiB + 1;               /* not a whole KiB */
  spec->vcpus = 2;
  spec->cpu_weight = 250;
  spec->cpu_limit = 150;
  spec->disk_soft_limit = 8 * GiB;
  spec->disk_hard_limit = 10 * GiB;
  set_str (&spec->hostname, "web-1.example.org");
  g_strfreev (spec->addresses);
  spec->addresses = g_strdupv ((char **) addresses);
  set_str (&spec->gateway, "192.0.2.1");
  g_strfreev (spec->nameservers);
  spec->nameservers = g_strdupv ((char **) nameservers);
  spec->autostart = TRUE;
  return spec;
}

static char *
build_ok (const VmgrVmSpec *spec, const char *scheme, const char *source)
{
  g_autoptr(GError) error = NULL;
  char *xml = vmgr_domain_xml_build (spec, scheme, source, &error);

  g_assert_no_error (error);
  g_assert_nonnull (xml);
  return xml;
}

static VmgrVmSpec *
parse_ok (const char *xml)
{
  g_autoptr(GError) error = NULL;
  VmgrVmSpec *spec = vmgr_domain_xml_parse (xml, &error);

  g_assert_no_error (error);
  g_assert_nonnull (spec);
  return spec;
}

/* Parsing @xml fails with INVALID_ARGUMENT. */
static void
assert_parse_refused (const char *xml)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VmgrVmSpec) spec = vmgr_domain_xml_parse (xml, &error);

  g_assert_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_ARGUMENT);
  g_assert_null (spec);
}

static void
assert_specs_equal (const VmgrVmSpec *a, const VmgrVmSpec *b)
{
  g_assert_cmpstr (a->name, ==, b->name);
  g_assert_cmpstr (a->uuid, ==, b->uuid);
  g_assert_cmpuint (a->memory_limit, ==, b->memory_limit);
  g_assert_cmpuint (a->memory_guarantee, ==, b->memory_guarantee);
  g_assert_cmpuint (a->memory_soft_limit, ==, b->memory_soft_limit);
  g_assert_cmpuint (a->cpu_weight, ==, b->cpu_weight);
  g_assert_cmpuint (a->cpu_limit, ==, b->cpu_limit);
  g_assert_true (vmgr_vm_spec_equal (a, b));
}

/* XPath on the built XML; the vmgr namespace is bound to "v". */
static xmlDoc *
read_doc (const char *xml)
{
  xmlDoc *doc = xmlReadMemory (xml, (int) strlen (xml), "domain.xml", NULL, XML_PARSE_NONET);

  g_assert_nonnull (doc);
  return doc;
}

static char *
xpath_string (const char *xml, const char *expr)
{
  g_autoptr(xmlDoc) doc = read_doc (xml);
  g_autoptr(xmlXPathContext) ctx = xmlXPathNewContext (doc);
  g_autoptr(xmlXPathObject) result = NULL;

  xmlXPathRegisterNs (ctx, BAD_CAST "v", BAD_CAST VMGR_METADATA_NS);
  result = xmlXPathEvalExpression (BAD_CAST expr, ctx);
  g_assert_nonnull (result);
  g_assert_cmpint (result->type, ==, XPATH_STRING);
  return g_strdup ((const char *) result->stringval);
}

static void
assert_xpath (const char *xml, const char *expr, const char *expected)
{
  g_autofree char *value = xpath_string (xml, expr);

  g_assert_cmpstr (value, ==, expected);
}

static void
assert_schema_valid (const char *xml)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVirConfigDomain) domain = gvir_config_domain_new_from_xml (xml, &error);

  g_assert_no_error (error);
  gvir_config_object_validate (GVIR_CONFIG_OBJECT (domain), &error);
  if (error != NULL)
    g_test_message ("invalid against domain.rng:\n%s", xml);
  g_assert_no_error (error);
}

static void
test_round_trip (gconstpointer data)
{
  const RoundTrip *rt = data;
  g_autoptr(VmgrVmSpec) spec = rt->full ? full_spec ("web-1", UUID_A) : minimal_spec ("m", UUID_A);
  g_autofree char *xml = build_ok (spec, rt->scheme, rt->source);
  g_autoptr(VmgrVmSpec) parsed = parse_ok (xml);

  assert_specs_equal (spec, parsed);
  assert_schema_valid (xml);
  assert_xpath (xml, "string(/domain/@type)", rt->scheme);
  assert_xpath (xml, "string(/domain/vcpu)", rt->full ? "2" : "1");
}

static void
test_memory_in_kib (void)
{
  g_autoptr(VmgrVmSpec) spec = full_spec ("web-1", UUID_A);
  g_autofree char *xml = build_ok (spec, "test", NULL);

  /* Rounded up to whole KiB. */
  assert_xpath (xml, "string(/domain/memory)", "1048577");
  assert_xpath (xml, "string(/domain/memory/@unit)", "KiB");
  assert_xpath (xml, "string(/domain/currentMemory)", "1048577");
  assert_xpath (xml, "string(/domain/memtune/hard_limit)", "1048577");
  assert_xpath (xml, "string(/domain/memtune/soft_limit)", "524289");
  assert_xpath (xml, "string(/domain/memtune/min_guarantee)", "262144");
  assert_xpath (xml, "string(/domain/metadata/v:vm/v:memory-limit)", "1073741825");
}

static void
test_memtune_by_scheme (void)
{
  g_autoptr(VmgrVmSpec) spec = full_spec ("web-1", UUID_A);
  g_autoptr(VmgrVmSpec) minimal = minimal_spec ("m", UUID_A);
  g_autofree char *qemu = build_ok (spec, "qemu", NULL);
  g_autofree char *lxc = build_ok (spec, "lxc", NULL);
  g_autofree char *qemu_min = build_ok (minimal, "qemu", NULL);
  g_autofree char *test_min = build_ok (minimal, "test", NULL);

  assert_xpath (qemu, "string(count(/domain/memtune/min_guarantee))", "0");
  assert_xpath (qemu, "string(count(/domain/memtune/hard_limit))", "0");
  assert_xpath (qemu, "string(/domain/memtune/soft_limit)", "524289");
  assert_xpath (lxc, "string(/domain/memtune/min_guarantee)", "262144");
  assert_xpath (lxc, "string(/domain/memtune/hard_limit)", "1048577");
  /* No limits: nothing but the hard limit (= memory) where allowed. */
  assert_xpath (qemu_min, "string(count(/domain/memtune))", "0");
  assert_xpath (test_min, "string(count(/domain/memtune/*))", "1");
  assert_xpath (test_min, "string(/domain/memtune/hard_limit)", "65536");
}

static void
test_cputune (void)
{
  g_autoptr(VmgrVmSpec) spec = full_spec ("web-1", UUID_A);
  g_autofree char *limited = build_ok (spec, "lxc", NULL);
  g_autofree char *unlimited = NULL;

  assert_xpath (limited, "string(/domain/cputune/period)", "100000");
  assert_xpath (limited, "string(/domain/cputune/quota)", "150000");
  assert_xpath (limited, "string(/domain/cputune/shares)", "2560");
  spec->cpu_limit = 0;
  unlimited = build_ok (spec, "lxc", NULL);
  assert_xpath (unlimited, "string(count(/domain/cputune/period))", "0");
  assert_xpath (unlimited, "string(count(/domain/cputune/quota))", "0");
  assert_xpath (unlimited, "string(/domain/cputune/shares)", "2560");
}

static void
test_shares_mapping (void)
{
  static const struct { guint32 weight; const char *shares; } cases[] = {
    { 100, "1024" }, { 1, "10" }, { 10000, "102400" }, { 50, "512" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(VmgrVmSpec) spec = minimal_spec ("m", UUID_A);
      g_autofree char *xml = NULL;
      g_autoptr(VmgrVmSpec) parsed = NULL;

      spec->cpu_weight = cases[i].weight;
      xml = build_ok (spec, "test", NULL);
      assert_xpath (xml, "string(/domain/cputune/shares)", cases[i].shares);
      parsed = parse_ok (xml);
      g_assert_cmpuint (parsed->cpu_weight, ==, cases[i].weight);
    }
}

static void
test_os_and_devices (void)
{
  g_autoptr(VmgrVmSpec) spec = minimal_spec ("m", UUID_A);
  g_autofree char *test = build_ok (spec, "test", "/ignored/by/test");
  g_autofree char *lxc = build_ok (spec, "lxc", "/srv/rootfs");
  g_autofree char *lxc_bare = build_ok (spec, "lxc", NULL);
  g_autofree char *qcow2 = build_ok (spec, "qemu", "/srv/disk.qcow2");
  g_autofree char *raw = build_ok (spec, "qemu", "/srv/disk.img");

  assert_xpath (test, "string(/domain/os/type)", "hvm");
  assert_xpath (test, "string(/domain/os/type/@arch)", "x86_64");
  assert_xpath (test, "string(count(/domain/devices/*))", "0");

  assert_xpath (lxc, "string(/domain/os/type)", "exe");
  assert_xpath (lxc, "string(/domain/os/init)", "/sbin/init");
  assert_xpath (lxc, "string(/domain/devices/filesystem/@type)", "mount");
  assert_xpath (lxc, "string(/domain/devices/filesystem/source/@dir)", "/srv/rootfs");
  assert_xpath (lxc, "string(/domain/devices/filesystem/target/@dir)", "/");
  assert_xpath (lxc, "string(/domain/devices/console/@type)", "pty");
  assert_xpath (lxc_bare, "string(count(/domain/devices/filesystem))", "0");
  assert_xpath (lxc_bare, "string(count(/domain/devices/console))", "1");

  assert_xpath (qcow2, "string(/domain/os/type)", "hvm");
  assert_xpath (qcow2, "string(/domain/devices/disk/@type)", "file");
  assert_xpath (qcow2, "string(/domain/devices/disk/source/@file)", "/srv/disk.qcow2");
  assert_xpath (qcow2, "string(/domain/devices/disk/driver/@type)", "qcow2");
  assert_xpath (qcow2, "string(/domain/devices/console/@type)", "pty");
  assert_xpath (raw, "string(/domain/devices/disk/driver/@type)", "raw");
  assert_schema_valid (lxc);
  assert_schema_valid (qcow2);
}

static void
test_bad_source_and_scheme (void)
{
  g_autoptr(VmgrVmSpec) spec = minimal_spec ("m", UUID_A);
  g_autoptr(GError) error = NULL;
  g_autofree char *xml = vmgr_domain_xml_build (spec, "lxc", "relative/rootfs", &error);

  g_assert_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_ARGUMENT);
  g_assert_null (xml);
  g_clear_error (&error);
  xml = vmgr_domain_xml_build (spec, "xen", NULL, &error);
  g_assert_error (error, VMGR_ERROR, VMGR_ERROR_NOT_SUPPORTED);
  g_assert_null (xml);
}

static void
test_metadata_element (void)
{
  g_autoptr(VmgrVmSpec) spec = full_spec ("web-1", UUID_A);
  g_autoptr(GError) error = NULL;
  g_autofree char *xml = vmgr_domain_xml_build_metadata (spec, &error);
  g_autoptr(xmlDoc) doc = NULL;
  xmlNode *root;

  g_assert_no_error (error);
  doc = read_doc (xml);
  root = xmlDocGetRootElement (doc);
  /* Unqualified: virDomainSetMetadata adds the namespace (key "vmgr"). */
  g_assert_cmpstr ((const char *) root->name, ==, "vm");
  g_assert_null (root->ns);
  assert_xpath (xml, "string(/vm/id)", "4242");
  /* The VM's name: the domain's own is NAME-ID. */
  assert_xpath (xml, "string(/vm/name)", spec->name);
  assert_xpath (xml, "string(/vm/owner)", "1001");
  assert_xpath (xml, "string(/vm/plan)", "small");
  assert_xpath (xml, "string(/vm/addresses/address[2])", "2001:db8::10/64");
  assert_xpath (xml, "string(/vm/nameservers/nameserver[1])", "192.0.2.53");
  assert_xpath (xml, "string(/vm/autostart)", "true");
  assert_xpath (xml, "string(/vm/cpu-limit)", "150");
  assert_xpath (xml, "string(count(/vm/*))", "17");
}

/* Optional settings at their defaults are left out (each costs memory in
 * the test driver, which keeps domains in vmgrd); the round trips read
 * them back as those defaults. Identity and tuning are always written. */
static void
test_metadata_defaults_left_out (void)
{
  g_autoptr(VmgrVmSpec) spec = minimal_spec ("web-1", UUID_A);
  g_autoptr(GError) error = NULL;
  g_autofree char *xml = vmgr_domain_xml_build_metadata (spec, &error);
  const char *left_out[] = { "hostname", "gateway", "addresses", "nameservers",
                             "disk-soft-limit", "autostart" };
  const char *written[] = { "name", "id", "owner", "template", "plan", "memory-guarantee",
                            "memory-soft-limit", "memory-limit", "cpu-weight", "cpu-limit",
                            "disk-hard-limit" };

  g_assert_no_error (error);
  for (gsize i = 0; i < G_N_ELEMENTS (left_out); i++)
    {
      g_autofree char *count = g_strdup_printf ("string(count(/vm/%s))", left_out[i]);

      assert_xpath (xml, count, "0");
    }
  for (gsize i = 0; i < G_N_ELEMENTS (written); i++)
    {
      g_autofree char *count = g_strdup_printf ("string(count(/vm/%s))", written[i]);

      assert_xpath (xml, count, "1");
    }
}

static void
test_metadata_in_domain (void)
{
  g_autoptr(VmgrVmSpec) spec = full_spec ("web-1", UUID_A);
  g_autofree char *xml = build_ok (spec, "test", NULL);

  assert_xpath (xml, "string(/domain/metadata/v:vm/v:id)", "4242");
  assert_xpath (xml, "string(/domain/metadata/v:vm/v:template)", "debian-12");
  assert_xpath (xml, "string(/domain/metadata/v:vm/v:addresses/v:address[1])", "192.0.2.10/24");
  assert_xpath (xml, "string(/domain/metadata/v:vm/v:disk-hard-limit)", "10737418240");
  g_assert_nonnull (strstr (xml, "<vmgr:vm xmlns:vmgr=\"" VMGR_METADATA_NS "\">"));
}

static void
test_special_characters (void)
{
  static const char nasty[] = "a&b<c>\"d'e]]>&amp;";
  g_autoptr(VmgrVmSpec) spec = full_spec ("x&y<z>", UUID_A);
  g_autofree char *xml = NULL;
  g_autoptr(VmgrVmSpec) parsed = NULL;

  set_str (&spec->template_name, nasty);
  set_str (&spec->plan, "plän ✓");
  set_str (&spec->hostname, nasty);
  g_free (spec->addresses[0]);
  spec->addresses[0] = g_strdup ("</address><injected/>");
  xml = build_ok (spec, "lxc", "/srv/root & <fs>");
  g_assert_null (strstr (xml, "<injected/>"));
  g_assert_null (strstr (xml, "a&b"));
  parsed = parse_ok (xml);
  assert_specs_equal (spec, parsed);
  assert_xpath (xml, "string(/domain/devices/filesystem/source/@dir)", "/srv/root & <fs>");
}

static void
test_control_characters_refused (void)
{
  g_autoptr(VmgrVmSpec) spec = minimal_spec ("m", UUID_A);
  g_autoptr(GError) error = NULL;
  g_autofree char *xml = NULL;
  g_autofree char *metadata = NULL;

  set_str (&spec->hostname, "bell\007");
  xml = vmgr_domain_xml_build (spec, "test", NULL, &error);
  g_assert_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_ARGUMENT);
  g_assert_null (xml);
  g_clear_error (&error);
  metadata = vmgr_domain_xml_build_metadata (spec, &error);
  g_assert_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_ARGUMENT);
  g_assert_null (metadata);
}

static void
test_parse_without_metadata (void)
{
  static const char xml[] =
    "<domain type='test'><name>plain</name>"
    "<uuid>" UUID_A "</uuid><memory unit='KiB'>65536</memory>"
    "<metadata><other:thing xmlns:other='http://example.org/other'/></metadata>"
    "<os><type>hvm</type></os></domain>";

  assert_parse_refused (xml);
}

static void
test_parse_malformed (void)
{
  static const char *const inputs[] = {
    "<domain type='test'><name>broken</name>",
    "not xml at all",
    "",
    "<network><name>n</name></network>",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (inputs); i++)
    assert_parse_refused (inputs[i]);
}

/* Sizes in any unit libvirt knows; an unknown unit or a size beyond 64
 * bits is refused, without a GLib-CRITICAL (gconfig's reading gave one;
 * found by fuzz-domain-xml). */
static void
test_parse_units (void)
{
#define DOMAIN(memory, memtune)                                                   \
  "<domain type='test'><name>u</name>" memory "<vcpu>2</vcpu>" memtune            \
  "<metadata><vmgr:vm xmlns:vmgr='" VMGR_METADATA_NS "'><vmgr:id>7</vmgr:id>"   \
  "</vmgr:vm></metadata></domain>"
  static const char *const refused[] = {
    DOMAIN ("<memory unit='MiB4-5'>256</memory>", ""),
    DOMAIN ("<memory unit='KiB'>18014398509481984</memory>", ""),
    DOMAIN ("<memory unit='EiB'>16</memory>", ""),
    DOMAIN ("<memory>1</memory>", "<memtune><soft_limit unit='parsec'>1</soft_limit></memtune>"),
  };
  g_autoptr(VmgrVmSpec) spec = NULL;

  spec = parse_ok (DOMAIN ("<memory unit='MiB'>256</memory>",
                           "<memtune><soft_limit unit='MB'>1</soft_limit>"
                           "<min_guarantee unit='bytes'>1025</min_guarantee></memtune>"));
  g_assert_cmpuint (spec->memory_limit, ==, 256 * MiB);
  g_assert_cmpuint (spec->memory_soft_limit, ==, 977 * 1024);  /* 10^6 B, rounded up */
  g_assert_cmpuint (spec->memory_guarantee, ==, 2048);
  g_assert_cmpuint (spec->vcpus, ==, 2);
  for (gsize i = 0; i < G_N_ELEMENTS (refused); i++)
    assert_parse_refused (refused[i]);
#undef DOMAIN
}

/* libxml2 quotes malformed input as it is; the error message is UTF-8
 * all the same (found by fuzz-domain-xml). */
static void
test_parse_malformed_not_utf8 (void)
{
  static const char xml[] = "<domain type='test'><name\xff>x</name></domain>";
  g_autoptr(GError) error = NULL;
  g_autoptr(VmgrVmSpec) spec = vmgr_domain_xml_parse (xml, &error);

  g_assert_null (spec);
  g_assert_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_ARGUMENT);
  g_assert_true (g_utf8_validate (error->message, -1, NULL));
}

static void
test_parse_bad_metadata_value (void)
{
  static const char xml[] =
    "<domain type='test'><name>bad</name><memory unit='KiB'>65536</memory>"
    "<metadata><vmgr:vm xmlns:vmgr='" VMGR_METADATA_NS "'>"
    "<vmgr:id>-3</vmgr:id></vmgr:vm></metadata>"
    "<os><type>hvm</type></os></domain>";

  assert_parse_refused (xml);
}

/* Metadata from an older writer without resource elements: the values come
 * from <memtune>/<cputune>; unknown elements are ignored. */
static void
test_parse_tuning_fallback (void)
{
  static const char xml[] =
    "<domain type='lxc'><name>old</name><uuid>" UUID_A "</uuid>"
    "<memory unit='KiB'>131072</memory><vcpu>3</vcpu>"
    "<memtune><hard_limit unit='KiB'>131072</hard_limit>"
    "<soft_limit unit='KiB'>65536</soft_limit>"
    "<min_guarantee unit='KiB'>32768</min_guarantee></memtune>"
    "<cputune><shares>512</shares><period>100000</period><quota>50000</quota></cputune>"
    "<metadata><vmgr:vm xmlns:vmgr='" VMGR_METADATA_NS "'>"
    "<vmgr:id>7</vmgr:id><vmgr:owner>1000</vmgr:owner><vmgr:future>x</vmgr:future>"
    "</vmgr:vm></metadata>"
    "<os><type>exe</type><init>/sbin/init</init></os></domain>";
  g_autoptr(VmgrVmSpec) spec = parse_ok (xml);

  g_assert_cmpuint (spec->id, ==, 7);
  g_assert_cmpuint (spec->owner, ==, 1000);
  g_assert_cmpstr (spec->uuid, ==, UUID_A);
  g_assert_cmpuint (spec->memory_limit, ==, 128 * MiB);
  g_assert_cmpuint (spec->memory_soft_limit, ==, 64 * MiB);
  g_assert_cmpuint (spec->memory_guarantee, ==, 32 * MiB);
  g_assert_cmpuint (spec->vcpus, ==, 3);
  g_assert_cmpuint (spec->cpu_weight, ==, 50);
  g_assert_cmpuint (spec->cpu_limit, ==, 50);
  g_assert_cmpstr (spec->hostname, ==, "");
  g_assert_cmpuint (g_strv_length (spec->addresses), ==, 0);
  g_assert_false (spec->autostart);
}

/* <memory> changed outside vmgr wins over the metadata's byte count. */
static void
test_parse_memory_changed (void)
{
  g_autoptr(VmgrVmSpec) spec = full_spec ("web-1", UUID_A);
  g_autofree char *xml = build_ok (spec, "test", NULL);
  g_autoptr(xmlDoc) doc = read_doc (xml);
  g_autoptr(xmlXPathContext) ctx = xmlXPathNewContext (doc);
  g_autoptr(xmlXPathObject) result = xmlXPathEvalExpression (BAD_CAST "/domain/memory", ctx);
  g_autoptr(VmgrVmSpec) parsed = NULL;
  xmlChar *changed = NULL;
  int size = 0;

  g_assert_cmpint (xmlXPathNodeSetGetLength (result->nodesetval), ==, 1);
  xmlNodeSetContent (xmlXPathNodeSetItem (result->nodesetval, 0), BAD_CAST "2097152");
  xmlDocDumpMemory (doc, &changed, &size);
  parsed = parse_ok ((const char *) changed);
  xmlFree (changed);
  g_assert_cmpuint (parsed->memory_limit, ==, 2 * GiB);
}

/* ---- with libvirt's test driver ---- */

static void
silence_libvirt (void *opaque, virErrorPtr error)
{
}

static virConnectPtr
open_test_driver (void)
{
  virConnectPtr conn;

  virSetErrorFunc (NULL, silence_libvirt);
  conn = virConnectOpen ("test:///default");
  g_assert_nonnull (conn);
  return conn;
}

static VmgrVmSpec *
define_and_read_back (virConnectPtr conn, const char *xml)
{
  virDomainPtr domain = virDomainDefineXML (conn, xml);
  char *desc;
  VmgrVmSpec *parsed;

  if (domain == NULL)
    g_error ("libvirt refused the definition: %s\n%s", virGetLastErrorMessage (), xml);
  desc = virDomainGetXMLDesc (domain, VIR_DOMAIN_XML_INACTIVE);
  g_assert_nonnull (desc);
  parsed = parse_ok (desc);
  free (desc);
  g_assert_cmpint (virDomainUndefine (domain), ==, 0);
  virDomainFree (domain);
  return parsed;
}

static void
test_libvirt_define (void)
{
  virConnectPtr conn = open_test_driver ();
  g_autoptr(VmgrVmSpec) full = full_spec ("vmgr-xml-full", "0a6c1f2e-1111-4c5e-9f60-7a8b9c0d1e2f");
  g_autoptr(VmgrVmSpec) minimal = minimal_spec ("vmgr-xml-min", "0a6c1f2e-2222-4c5e-9f60-7a8b9c0d1e2f");
  g_autofree char *full_xml = build_ok (full, "test", NULL);
  g_autofree char *minimal_xml = build_ok (minimal, "test", NULL);
  g_autoptr(VmgrVmSpec) full_back = define_and_read_back (conn, full_xml);
  g_autoptr(VmgrVmSpec) minimal_back = define_and_read_back (conn, minimal_xml);

  assert_specs_equal (full, full_back);
  assert_specs_equal (minimal, minimal_back);
  g_assert_cmpint (virConnectClose (conn), ==, 0);
}

/* What virDomainSetMetadata does with vmgr_domain_xml_build_metadata's
 * element, read back through the full domain XML. */
static void
test_libvirt_set_metadata (void)
{
  virConnectPtr conn = open_test_driver ();
  g_autoptr(VmgrVmSpec) spec = full_spec ("vmgr-xml-meta", "0a6c1f2e-3333-4c5e-9f60-7a8b9c0d1e2f");
  g_autofree char *xml = build_ok (spec, "test", NULL);
  g_autofree char *metadata = NULL;
  g_autoptr(VmgrVmSpec) parsed = NULL;
  virDomainPtr domain = virDomainDefineXML (conn, xml);
  char *desc;

  g_assert_nonnull (domain);
  set_str (&spec->hostname, "renamed & <moved>");
  spec->owner = 2002;
  g_clear_pointer (&spec->addresses[1], g_free);
  metadata = vmgr_domain_xml_build_metadata (spec, NULL);
  g_assert_cmpint (virDomainSetMetadata (domain, VIR_DOMAIN_METADATA_ELEMENT, metadata,
                                         VMGR_METADATA_PREFIX, VMGR_METADATA_NS,
                                         VIR_DOMAIN_AFFECT_CONFIG), ==, 0);
  desc = virDomainGetXMLDesc (domain, VIR_DOMAIN_XML_INACTIVE);
  parsed = parse_ok (desc);
  free (desc);
  assert_specs_equal (spec, parsed);
  g_assert_cmpint (virDomainUndefine (domain), ==, 0);
  virDomainFree (domain);
  g_assert_cmpint (virConnectClose (conn), ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (round_trips); i++)
    {
      g_autofree char *path = g_strdup_printf ("/domain-xml/round-trip/%s/%s",
                                               round_trips[i].scheme,
                                               round_trips[i].full ? "full" : "minimal");

      g_test_add_data_func (path, &round_trips[i], test_round_trip);
    }
  g_test_add_func ("/domain-xml/memory-in-kib", test_memory_in_kib);
  g_test_add_func ("/domain-xml/memtune-by-scheme", test_memtune_by_scheme);
  g_test_add_func ("/domain-xml/cputune", test_cputune);
  g_test_add_func ("/domain-xml/shares-mapping", test_shares_mapping);
  g_test_add_func ("/domain-xml/os-and-devices", test_os_and_devices);
  g_test_add_func ("/domain-xml/bad-source-and-scheme", test_bad_source_and_scheme);
  g_test_add_func ("/domain-xml/metadata-element", test_metadata_element);
  g_test_add_func ("/domain-xml/metadata-defaults-left-out", test_metadata_defaults_left_out);
  g_test_add_func ("/domain-xml/metadata-in-domain", test_metadata_in_domain);
  g_test_add_func ("/domain-xml/special-characters", test_special_characters);
  g_test_add_func ("/domain-xml/control-characters-refused", test_control_characters_refused);
  g_test_add_func ("/domain-xml/parse/without-metadata", test_parse_without_metadata);
  g_test_add_func ("/domain-xml/parse/malformed", test_parse_malformed);
  g_test_add_func ("/domain-xml/parse/malformed-not-utf8", test_parse_malformed_not_utf8);
  g_test_add_func ("/domain-xml/parse/units", test_parse_units);
  g_test_add_func ("/domain-xml/parse/bad-metadata-value", test_parse_bad_metadata_value);
  g_test_add_func ("/domain-xml/parse/tuning-fallback", test_parse_tuning_fallback);
  g_test_add_func ("/domain-xml/parse/memory-changed", test_parse_memory_changed);
  g_test_add_func ("/domain-xml/libvirt/define", test_libvirt_define);
  g_test_add_func ("/domain-xml/libvirt/set-metadata", test_libvirt_set_metadata);

  return g_test_run ();
}
