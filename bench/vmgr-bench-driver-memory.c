/* vmgr-bench-driver-memory: what libvirt's test driver alone costs per
 * domain of vmgr's own definition.
 *
 *   vmgr-bench-driver-memory [N,N,...]   (default 1000,10000)
 *
 * Opens test:///default in this process (as vmgrd's backend does: the
 * driver keeps its domains in the process that opens it), then defines
 * domains up to each N with the very XML CreateVM gives the driver for a
 * default VM (template debian-12, plan basic, built by vmgr's own code from
 * a freshly seeded store), and prints for each N one line
 * "N KIB_PER_DOMAIN": VmRSS above the state with the connection open and
 * no domain of vmgr's, divided by N. vmgr-bench runs it for row 9. */
#include <glib.h>
#include <glib/gstdio.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "vmgr-domain-xml.h"
#include "vmgr-seed.h"
#include "vmgr-store.h"
#include "vmgr-validate.h"

static guint64
rss_kib (void)
{
  g_autofree char *status = NULL;
  const char *line;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL) ||
      (line = strstr (status, "\nVmRSS:")) == NULL)
    return 0;
  return g_ascii_strtoull (line + strlen ("\nVmRSS:"), NULL, 10);
}

/* A default VM's spec as CreateVM("scale-NNNNN", "debian-12", "basic",
 * {id}) makes it. */
static VmgrVmSpec *
default_spec (const VmgrPlan *plan, guint index, GError **error)
{
  g_autoptr(VmgrVmSpec) spec = vmgr_vm_spec_new ();
  VmgrOptions *options = vmgr_options_new ();
  gboolean ok;

  g_free (spec->name);
  spec->name = g_strdup_printf ("scale-%05u", index);
  g_free (spec->template_name);
  spec->template_name = g_strdup ("debian-12");
  g_free (spec->uuid);
  spec->uuid = g_uuid_string_random ();
  g_free (spec->plan);
  spec->plan = g_strdup (plan->name);
  spec->id = 10000 + index;
  ok = vmgr_spec_apply (spec, plan, options, error);
  vmgr_options_free (options);
  return ok ? g_steal_pointer (&spec) : NULL;
}

static gboolean
parse_sizes (const char *text, GArray *sizes)
{
  g_auto(GStrv) parts = g_strsplit (text, ",", 0);

  for (guint i = 0; parts[i] != NULL; i++)
    {
      guint64 size;

      if (!g_ascii_string_to_unsigned (parts[i], 10, 1, 1000000, &size, NULL) ||
          (sizes->len > 0 && size <= g_array_index (sizes, guint, sizes->len - 1)))
        return FALSE;
      g_array_append_vals (sizes, &(guint) { (guint) size }, 1);
    }
  return sizes->len > 0;
}

int
main (int argc, char **argv)
{
  g_autoptr(GArray) sizes = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *db = NULL;
  g_autoptr(VmgrStore) store = NULL;
  g_autoptr(VmgrTemplate) tmpl = NULL;
  g_autoptr(VmgrPlan) plan = NULL;
  virConnectPtr conn;
  guint64 empty;
  guint defined = 0;

  if (argc > 2 || !parse_sizes (argc == 2 ? argv[1] : "1000,10000", sizes))
    {
      g_printerr ("usage: %s [N,N,...] (ascending)\n", argv[0]);
      return 2;
    }
  dir = g_dir_make_tmp ("vmgr-bench-driver-XXXXXX", &error);
  if (dir != NULL)
    {
      db = g_build_filename (dir, "vmgr.db", NULL);
      store = vmgr_store_open (db, &error);
    }
  if (store != NULL && vmgr_store_is_empty (store) && vmgr_seed_defaults (store, &error))
    {
      tmpl = vmgr_store_get_template (store, "debian-12", &error);
      plan = tmpl != NULL ? vmgr_store_get_plan (store, "basic", &error) : NULL;
    }
  if (plan == NULL)
    {
      g_printerr ("vmgr-bench-driver-memory: %s\n", error != NULL ? error->message : "no store");
      return 1;
    }
  g_clear_object (&store);
  g_unlink (db);
  g_rmdir (dir);

  conn = virConnectOpen ("test:///default");
  if (conn == NULL)
    {
      g_printerr ("vmgr-bench-driver-memory: cannot open test:///default: %s\n",
                  virGetLastErrorMessage ());
      return 1;
    }
  empty = rss_kib ();
  for (guint s = 0; s < sizes->len; s++)
    {
      guint size = g_array_index (sizes, guint, s);

      for (; defined < size; defined++)
        {
          g_autoptr(VmgrVmSpec) spec = default_spec (plan, defined, &error);
          g_autofree char *xml = spec != NULL
                                   ? vmgr_domain_xml_build (spec, "test", tmpl->source, &error)
                                   : NULL;
          virDomainPtr domain;

          if (xml == NULL)
            {
              g_printerr ("vmgr-bench-driver-memory: %s\n", error->message);
              return 1;
            }
          if (defined == 0 && g_getenv ("VMGR_BENCH_PRINT_XML") != NULL)
            g_printerr ("%s\n", xml);
          domain = virDomainDefineXML (conn, xml);
          if (domain == NULL)
            {
              g_printerr ("vmgr-bench-driver-memory: define: %s\n", virGetLastErrorMessage ());
              return 1;
            }
          virDomainFree (domain);
        }
      g_print ("%u %.3f\n", size, ((double) rss_kib () - (double) empty) / size);
    }
  virConnectClose (conn);
  return 0;
}
