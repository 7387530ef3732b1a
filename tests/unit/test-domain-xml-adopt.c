/* Domains vmgr did not make (backend/vmgr-domain-xml-parse.c,
 * vmgr_domain_xml_update_adopted): read as they are, and given vmgr's
 * resources and metadata without losing their own devices and tuning. */
#include <string.h>

#include "vmgr-domain-xml.h"
#include "vmgr-error.h"

#define MiB (G_GUINT64_CONSTANT (1) << 20)

static const char foreign_xml[] =
  "<domain type='test'>"
  "<name>legacy</name>"
  "<uuid>6695eb01-f6a4-8304-79aa-97f2502e193f</uuid>"
  "<memory unit='KiB'>2097152</memory>"
  "<currentMemory unit='KiB'>2097152</currentMemory>"
  "<vcpu>3</vcpu>"
  "<cputune><shares>2048</shares><vcpupin vcpu='0' cpuset='1'/></cputune>"
  "<os><type arch='x86_64'>hvm</type></os>"
  "<devices><disk type='file' device='disk'><source file='/var/lib/legacy.img'/>"
  "<target dev='vda'/></disk></devices>"
  "</domain>";

static void
test_parse_foreign (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VmgrVmSpec) spec = vmgr_domain_xml_parse_foreign (foreign_xml, &error);
  g_autoptr(VmgrVmSpec) not_vmgr = NULL;

  g_assert_no_error (error);
  g_assert_cmpstr (spec->name, ==, "legacy");
  g_assert_cmpstr (spec->uuid, ==, "6695eb01-f6a4-8304-79aa-97f2502e193f");
  g_assert_cmpuint (spec->memory_limit, ==, 2048 * MiB);
  g_assert_cmpuint (spec->vcpus, ==, 3);
  g_assert_cmpuint (spec->cpu_weight, ==, 200);
  g_assert_false (vmgr_domain_xml_has_metadata (foreign_xml));
  /* vmgr_domain_xml_parse wants vmgr's metadata. */
  not_vmgr = vmgr_domain_xml_parse (foreign_xml, &error);
  g_assert_null (not_vmgr);
  g_assert_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_null (vmgr_domain_xml_parse_foreign ("<domain", &error));
  g_assert_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_ARGUMENT);
}

static void
test_update_adopted (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VmgrVmSpec) spec = vmgr_domain_xml_parse_foreign (foreign_xml, &error);
  g_autofree char *adopted = NULL;
  g_autoptr(VmgrVmSpec) back = NULL;

  g_assert_no_error (error);
  spec->id = 150;
  spec->owner = 1000;
  spec->memory_limit = 1024 * MiB;
  spec->vcpus = 2;
  spec->cpu_weight = 300;
  g_free (spec->plan);
  spec->plan = g_strdup ("small");
  adopted = vmgr_domain_xml_update_adopted (foreign_xml, spec, "test", &error);
  g_assert_no_error (error);
  /* Its own devices and tuning stay; its name too. */
  g_assert_nonnull (strstr (adopted, "/var/lib/legacy.img"));
  g_assert_nonnull (strstr (adopted, "vcpupin"));
  g_assert_nonnull (strstr (adopted, "<name>legacy</name>"));
  g_assert_true (vmgr_domain_xml_has_metadata (adopted));
  back = vmgr_domain_xml_parse (adopted, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (back->id, ==, 150);
  g_assert_cmpuint (back->owner, ==, 1000);
  g_assert_cmpstr (back->plan, ==, "small");
  g_assert_cmpuint (back->memory_limit, ==, 1024 * MiB);
  g_assert_cmpuint (back->vcpus, ==, 2);
  g_assert_cmpuint (back->cpu_weight, ==, 300);
  /* One <cputune>, with vmgr's shares and the domain's pin. */
  g_assert_null (strstr (strstr (adopted, "<cputune>") + 1, "<cputune>"));
  g_assert_null (strstr (adopted, "<shares>2048</shares>"));

  g_assert_null (vmgr_domain_xml_update_adopted ("not xml", spec, "test", &error));
  g_assert_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_ARGUMENT);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/domain-xml-adopt/parse-foreign", test_parse_foreign);
  g_test_add_func ("/domain-xml-adopt/update", test_update_adopted);
  return g_test_run ();
}
