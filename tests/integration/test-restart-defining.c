/* A start where libvirt lacks many stored VMs (the test driver forgets its
 * domains whenever vmgrd stops): vmgrd takes its name before they are all
 * defined again. Those still waiting are unknown ("defining") and refuse
 * what needs libvirt with Busy; each settles as stopped ("defined"), or
 * starts when it has autostart. */
#include "vmgr-test-client.h"
#include "vmgr-test-env.h"

/* More than vmgrd waits for before it takes its name
 * (START_DEFINE_WAIT_ALL in vmgr-reconcile.c). */
#define VM_COUNT 1000
#define FIRST_ID 20000

static VmgrTestDaemon *vmgrd;

typedef struct {
  guint provisioning;
  guint defining;           /* unknown, "defining" */
  guint defined;            /* stopped, "defined" */
  guint running;
  guint other;
} Census;

static void
take_census (VmgrTestClient *client, Census *census)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = vmgr_test_call (client, "/org/vmgr",
                                              "org.freedesktop.DBus.ObjectManager",
                                              "GetManagedObjects", NULL, &error);
  g_autoptr(GVariant) objects = NULL;
  GVariantIter iter;
  const char *path;
  GVariant *interfaces;

  g_assert_no_error (error);
  memset (census, 0, sizeof *census);
  objects = g_variant_get_child_value (reply, 0);
  g_variant_iter_init (&iter, objects);
  while (g_variant_iter_next (&iter, "{&o@a{sa{sv}}}", &path, &interfaces))
    {
      g_autoptr(GVariant) owned G_GNUC_UNUSED = interfaces;
      g_autoptr(GVariant) vm = g_variant_lookup_value (interfaces, "org.vmgr.VM",
                                                       G_VARIANT_TYPE_VARDICT);
      const char *state = NULL;
      const char *reason = NULL;

      if (vm == NULL)
        continue;
      g_assert_true (g_variant_lookup (vm, "State", "&s", &state));
      g_assert_true (g_variant_lookup (vm, "StateReason", "&s", &reason));
      if (strcmp (state, "provisioning") == 0)
        census->provisioning++;
      else if (strcmp (state, "unknown") == 0 && strcmp (reason, "defining") == 0)
        census->defining++;
      else if (strcmp (state, "stopped") == 0 && strcmp (reason, "defined") == 0)
        census->defined++;
      else if (strcmp (state, "running") == 0)
        census->running++;
      else
        census->other++;
    }
}

static gboolean
provisioned (gpointer data)
{
  Census census;

  take_census (data, &census);
  return census.provisioning == 0;
}

static gboolean
settled (gpointer data)
{
  Census census;

  take_census (data, &census);
  return census.defining == 0 && census.running == 1;
}

static GVariant *
call_start (VmgrTestClient *client, guint32 id, GError **error)
{
  g_autofree char *path = g_strdup_printf ("/org/vmgr/vm/%u", id);

  return vmgr_test_call (client, path, "org.vmgr.VM", "Start", NULL, error);
}

static void
test_published_before_defined (void)
{
  g_autoptr(VmgrTestClient) root = vmgr_test_client_new ();
  g_autoptr(GVariant) started = NULL;
  g_autoptr(GVariant) refused = NULL;
  g_autoptr(GError) error = NULL;
  Census census;

  if (vmgr_test_skip_unless_testbus ())
    return;
  for (guint i = 0; i < VM_COUNT; i++)
    {
      g_autofree char *name = g_strdup_printf ("many-%u", i);

      g_free (vmgr_test_create_vm (root, name, "debian-12", "basic",
                                   g_variant_new_parsed ("{'id': <uint32 %u>}", FIRST_ID + i)));
    }
  g_assert_true (vmgr_test_wait (provisioned, root, 120000));
  {
    g_autoptr(GVariant) reply G_GNUC_UNUSED = vmgr_test_call (root, "/org/vmgr/vm/20000", "org.vmgr.VM",
                                                "SetAutostart", g_variant_new ("(b)", TRUE),
                                                &error);

    g_assert_no_error (error);
  }

  vmgr_test_daemon_restart (vmgrd);
  /* The last of them is defined again last: at the name, what needs
   * libvirt is Busy for it. */
  refused = call_start (root, FIRST_ID + VM_COUNT - 1, &error);
  vmgr_test_assert_dbus_error (error, "org.vmgr.Error.Busy", "being defined again");
  g_clear_error (&error);
  take_census (root, &census);
  g_test_message ("after the first call: %u defining, %u defined, %u running, %u other",
                  census.defining, census.defined, census.running, census.other);
  g_assert_cmpuint (census.defining + census.defined + census.running, ==, VM_COUNT);
  g_assert_cmpuint (census.other, ==, 0);
  {
    g_autofree char *log = NULL;

    g_assert_true (g_file_get_contents (vmgr_test_daemon_get_log_path (vmgrd), &log, NULL,
                                        NULL));
    g_assert_nonnull (strstr (log, "1000 VMs published as unknown (\"defining\")"));
  }

  /* All settle; the one with autostart runs. */
  g_assert_true (vmgr_test_wait (settled, root, 60000));
  take_census (root, &census);
  g_assert_cmpuint (census.defined, ==, VM_COUNT - 1);
  started = call_start (root, FIRST_ID + VM_COUNT - 1, &error);
  g_assert_no_error (error);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/restart/published-before-defined", test_published_before_defined);
  return vmgr_test_run_with_daemon ("[resources]\nmemory_overcommit=0\ncpu_overcommit=0\n"
                                    "disk_overcommit=0\n", NULL, &vmgrd);
}
