/* Domain XML read back from libvirt (vmgr_domain_xml_parse): vmgr's
 * <metadata> and the domain's own name, uuid, memory, vcpus and tuning.
 *
 * Checked beyond "no crash": a refusal is INVALID_ARGUMENT with a UTF-8
 * message; an accepted spec has a name; and a coherent spec read back
 * builds again (vmgr_domain_xml_build) into XML that reads back as the
 * same spec. */
#include "fuzz-common.h"

#include <libxml/xmlerror.h>

#include "vmgr-domain-xml.h"
#include "vmgr-error.h"
#include "vmgr-validate.h"

static void
check_round_trip (const VmgrVmSpec *spec)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *xml = NULL;
  g_autoptr(VmgrVmSpec) again = NULL;

  if (!vmgr_spec_check_resources (spec, NULL))
    return;
  xml = vmgr_domain_xml_build (spec, "test", NULL, &error);
  if (xml == NULL)
    {
      /* Text that XML cannot carry is refused, nothing else. */
      fuzz_check_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_ARGUMENT);
      return;
    }
  again = vmgr_domain_xml_parse (xml, &error);
  if (again == NULL)
    g_error ("vmgr's own XML does not read back: %s\n%s", error->message, xml);
  if (!vmgr_vm_spec_equal (spec, again))
    g_error ("a spec does not read back as itself:\n%s", xml);
}

static void
ignore_xml_error (void *context, const char *format, ...)
{
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree char *xml = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(VmgrVmSpec) spec = NULL;

  fuzz_setup ();
  /* libxml2 prints every parse error on stderr besides returning it. */
  xmlSetGenericErrorFunc (NULL, ignore_xml_error);
  xml = fuzz_strndup (data, size);
  spec = vmgr_domain_xml_parse (xml, &error);
  if (spec == NULL)
    {
      fuzz_check_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_ARGUMENT);
      return 0;
    }
  if (error != NULL)
    g_error ("success with an error set");
  if (spec->name == NULL || *spec->name == '\0')
    g_error ("a spec without a name accepted");
  check_round_trip (spec);
  return 0;
}
