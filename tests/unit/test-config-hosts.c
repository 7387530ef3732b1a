/* Hosts from the configuration file ([host NAME] groups of vmgr-config.c)
 * and the Hypervisor error that names a host that is not connected
 * (issue 14). */
#include <glib/gstdio.h>
#include <string.h>

#include "vmgr-backend.h"
#include "vmgr-config.h"
#include "vmgr-error.h"

typedef struct {
  char *dir;
  char *path;
} Fixture;

static void
setup (Fixture *fixture, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  fixture->dir = g_dir_make_tmp ("vmgr-test-config-hosts-XXXXXX", &error);
  g_assert_no_error (error);
  fixture->path = g_build_filename (fixture->dir, "vmgrd.conf", NULL);
}

static void
teardown (Fixture *fixture, gconstpointer data)
{
  g_unlink (fixture->path);
  g_assert_cmpint (g_rmdir (fixture->dir), ==, 0);
  g_free (fixture->path);
  g_free (fixture->dir);
}

static VmgrConfig *
load (Fixture *fixture, const char *contents, GError **error)
{
  g_autoptr(VmgrConfig) config = vmgr_config_new_default ();
  g_autoptr(GError) write_error = NULL;

  g_assert_true (g_file_set_contents (fixture->path, contents, -1, &write_error));
  if (!vmgr_config_load_file (config, fixture->path, TRUE, error))
    return NULL;
  return g_steal_pointer (&config);
}

static void
test_none (Fixture *fixture, gconstpointer data)
{
  g_autoptr(VmgrConfig) defaults = vmgr_config_new_default ();
  g_autoptr(GError) error = NULL;
  g_autoptr(VmgrConfig) config = load (fixture, "[daemon]\nuri=test:///default\n", &error);

  g_assert_no_error (error);
  g_assert_cmpuint (defaults->hosts->len, ==, 0);
  g_assert_cmpuint (config->hosts->len, ==, 0);
  g_assert_null (vmgr_config_find_host (config, "h1"));
}

static void
test_parsed (Fixture *fixture, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VmgrConfig) config = load (fixture,
                                       "[daemon]\nhost_name=main\n"
                                       "[host h1]\nuri= qemu+tcp://10.77.0.1/system \n"
                                       "[host h2]\nuri=lxc+ssh://root@b.example.com/system\n"
                                       "pool=vm-files.2\n",
                                       &error);
  const VmgrConfigHost *h1, *h2;

  g_assert_no_error (error);
  g_assert_cmpuint (config->hosts->len, ==, 2);
  h1 = g_ptr_array_index (config->hosts, 0);
  h2 = g_ptr_array_index (config->hosts, 1);
  g_assert_cmpstr (h1->name, ==, "h1");
  g_assert_cmpstr (h1->uri, ==, "qemu+tcp://10.77.0.1/system");
  g_assert_cmpstr (h1->pool, ==, "default");
  g_assert_cmpstr (h2->name, ==, "h2");
  g_assert_cmpstr (h2->uri, ==, "lxc+ssh://root@b.example.com/system");
  g_assert_cmpstr (h2->pool, ==, "vm-files.2");
  g_assert_true (vmgr_config_find_host (config, "h2") == h2);
  g_assert_null (vmgr_config_find_host (config, "main"));
}

typedef struct {
  const char *contents;
  const char *message;   /* a part of the error's message */
} Bad;

static void
test_bad (Fixture *fixture, gconstpointer data)
{
  static const Bad bad[] = {
    { "[host 1h]\nuri=qemu:///system\n", "invalid host name '1h'" },
    { "[host a-b]\nuri=qemu:///system\n", "invalid host name" },
    { "[host ]\nuri=qemu:///system\n", "invalid host name" },
    { "[host h1]\npool=default\n", "[host h1] uri: '' is not valid" },
    { "[host h1]\nuri=\n", "[host h1] uri: '' is not valid" },
    { "[host h1]\nuri=no-scheme\n", "'no-scheme' is not valid" },
    { "[host h1]\nuri=qemu:///sys tem\n", "is not valid" },
    { "[host h1]\nuri=qemu:///system\npool=a/b\n", "[host h1] pool: 'a/b' is not valid" },
    { "[host h1]\nuri=qemu:///system\npool=\n", "[host h1] pool: '' is not valid" },
    { "[host h1]\nuri=qemu:///system\npool=.hidden\n", "pool: '.hidden' is not valid" },
    { "[host local]\nuri=qemu:///system\n", "host 'local' is the configured host" },
    { "[daemon]\nhost_name=main\n[host main]\nuri=qemu:///system\n",
      "host 'main' is the configured host" },
    { "[host h1]\nuri=qemu:///system\n[host h1]\nuri=lxc:///system\n",
      "host 'h1' is configured twice" },
    { "[host h1]\nuri=qemu:///system\n[host  h1 ]\nuri=lxc:///system\n",
      "host 'h1' is configured twice" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(VmgrConfig) config = load (fixture, bad[i].contents, &error);

      g_test_message ("%s", bad[i].contents);
      g_assert_null (config);
      g_assert_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE);
      if (strstr (error->message, bad[i].message) == NULL)
        g_error ("'%s' does not say '%s'", error->message, bad[i].message);
      g_assert_nonnull (strstr (error->message, fixture->path));
    }
}

/* All or nothing: a bad host leaves the configuration as it was. */
static void
test_unchanged_on_error (Fixture *fixture, gconstpointer data)
{
  g_autoptr(VmgrConfig) config = vmgr_config_new_default ();
  g_autoptr(GError) error = NULL;

  g_assert_true (g_file_set_contents (fixture->path, "[host h1]\nuri=qemu:///system\n", -1, NULL));
  g_assert_true (vmgr_config_load_file (config, fixture->path, TRUE, &error));
  g_assert_cmpuint (config->hosts->len, ==, 1);
  g_assert_true (g_file_set_contents (fixture->path,
                                      "[host h2]\nuri=qemu:///system\n[host h3]\n", -1, NULL));
  g_assert_false (vmgr_config_load_file (config, fixture->path, TRUE, &error));
  g_assert_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE);
  g_assert_cmpuint (config->hosts->len, ==, 1);
  g_assert_nonnull (vmgr_config_find_host (config, "h1"));
  g_assert_null (vmgr_config_find_host (config, "h2"));
}

static void
test_unknown_key_warned (Fixture *fixture, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VmgrConfig) config = NULL;

  g_test_expect_message ("vmgrd", G_LOG_LEVEL_WARNING, "*unknown key 'size' in [host h1]*");
  config = load (fixture, "[host h1]\nuri=qemu:///system\nsize=3\n", &error);
  g_test_assert_expected_messages ();
  g_assert_no_error (error);
  g_assert_cmpuint (config->hosts->len, ==, 1);
}

/* ---- a host that is not connected is named in the errors ---- */

static void
on_host_info (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GError **error = user_data;
  g_autoptr(VmgrHostInfo) info = vmgr_backend_get_host_info_finish (VMGR_BACKEND (source),
                                                                     result, error);

  g_assert_null (info);
}

static GError *
host_info_error (VmgrBackend *backend)
{
  GError *error = NULL;

  vmgr_backend_get_host_info_async (backend, NULL, on_host_info, &error);
  while (error == NULL)
    g_main_context_iteration (NULL, TRUE);
  return error;
}

static void
test_error_names_host (void)
{
  g_autoptr(VmgrBackend) backend =
    vmgr_backend_new_unconnected ("test:///nonexistent/vmgr-test-host.xml");
  g_autoptr(GError) unnamed = NULL;
  g_autoptr(GError) named = NULL;

  unnamed = host_info_error (backend);
  g_assert_error (unnamed, VMGR_ERROR, VMGR_ERROR_HYPERVISOR);
  g_assert_true (g_str_has_prefix (unnamed->message, "libvirt is unavailable: "));

  vmgr_backend_set_host_name (backend, "h1");
  named = host_info_error (backend);
  g_assert_error (named, VMGR_ERROR, VMGR_ERROR_HYPERVISOR);
  if (!g_str_has_prefix (named->message,
                         "host h1 is not connected (test:///nonexistent/vmgr-test-host.xml): "))
    g_error ("unexpected message: %s", named->message);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/config-hosts/none", Fixture, NULL, setup, test_none, teardown);
  g_test_add ("/config-hosts/parsed", Fixture, NULL, setup, test_parsed, teardown);
  g_test_add ("/config-hosts/bad", Fixture, NULL, setup, test_bad, teardown);
  g_test_add ("/config-hosts/unchanged-on-error", Fixture, NULL, setup, test_unchanged_on_error,
              teardown);
  g_test_add ("/config-hosts/unknown-key-warned", Fixture, NULL, setup, test_unknown_key_warned,
              teardown);
  g_test_add_func ("/config-hosts/error-names-host", test_error_names_host);
  return g_test_run ();
}
