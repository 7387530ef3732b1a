/* vmgrd's configuration file (vmgr_config_load_file), the input written
 * as the file, loaded over the defaults.
 *
 * Checked beyond "no crash": a refusal is a GKeyFile error with a message
 * (vmgrd prints it and exits) and leaves the configuration as it was; what
 * is accepted is in range (the ranges of vmgr-config.c) and the state
 * directory is an absolute, canonical path. */
#include "fuzz-common.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "vmgr-config.h"

static char *config_path;

static void
remove_config (void)
{
  g_unlink (config_path);
}

static void
check_range (const char *key, guint value, guint min, guint max)
{
  if (value < min || value > max)
    g_error ("%s %u accepted (%u..%u)", key, value, min, max);
}

/* Overcommit percentages: 0 is "no cap", otherwise 10..@max. */
static void
check_overcommit (const char *key, guint value, guint max)
{
  if (value != 0)
    check_range (key, value, 10, max);
}

static gboolean
same_config (const VmgrConfig *a, const VmgrConfig *b)
{
  return g_strcmp0 (a->uri, b->uri) == 0 && g_strcmp0 (a->state_dir, b->state_dir) == 0 &&
         g_strcmp0 (a->network, b->network) == 0 && a->verbosity == b->verbosity &&
         a->shutdown_timeout_s == b->shutdown_timeout_s &&
         a->auth_cache_ttl_s == b->auth_cache_ttl_s &&
         a->auth_timeout_ms == b->auth_timeout_ms &&
         a->auth_max_in_flight == b->auth_max_in_flight &&
         a->memory_overcommit_pct == b->memory_overcommit_pct &&
         a->cpu_overcommit_pct == b->cpu_overcommit_pct &&
         a->disk_overcommit_pct == b->disk_overcommit_pct &&
         a->sample_interval_s == b->sample_interval_s;
}

static void
check_config (const VmgrConfig *c)
{
  g_autofree char *canonical = NULL;

  if (c->uri == NULL || *c->uri == '\0')
    g_error ("an empty uri accepted");
  if (c->network == NULL || (*c->network != '\0' && !g_str_is_ascii (c->network)))
    g_error ("network '%s' accepted", c->network);
  if (c->state_dir == NULL || !g_path_is_absolute (c->state_dir))
    g_error ("state_dir '%s' accepted", c->state_dir);
  canonical = g_canonicalize_filename (c->state_dir, NULL);
  if (strcmp (canonical, c->state_dir) != 0)
    g_error ("state_dir '%s' is not canonical", c->state_dir);
  if (c->verbosity < 0 || c->verbosity > 2)
    g_error ("verbosity %d accepted", c->verbosity);
  check_range ("shutdown_timeout", c->shutdown_timeout_s, 1, 3600);
  check_range ("cache_ttl", c->auth_cache_ttl_s, 0, 3600);
  check_range ("timeout_ms", c->auth_timeout_ms, 1, 600000);
  check_range ("max_in_flight", c->auth_max_in_flight, 1, 120);
  check_overcommit ("memory_overcommit", c->memory_overcommit_pct, 1000);
  check_overcommit ("cpu_overcommit", c->cpu_overcommit_pct, 10000);
  check_overcommit ("disk_overcommit", c->disk_overcommit_pct, 1000);
  check_range ("interval", c->sample_interval_s, 1, 3600);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr(VmgrConfig) config = NULL;
  g_autoptr(VmgrConfig) defaults = NULL;
  g_autoptr(GError) error = NULL;

  fuzz_setup ();
  if (config_path == NULL)
    {
      config_path = g_strdup_printf ("%s/vmgr-fuzz-config-%d.conf", g_get_tmp_dir (),
                                     (int) getpid ());
      atexit (remove_config);
    }
  if (!g_file_set_contents_full (config_path, (const char *) data, (gssize) size,
                                 G_FILE_SET_CONTENTS_NONE, 0600, &error))
    g_error ("cannot write %s: %s", config_path, error->message);

  config = vmgr_config_new_default ();
  defaults = vmgr_config_new_default ();
  if (!vmgr_config_load_file (config, config_path, TRUE, &error))
    {
      if (error == NULL || error->message == NULL || *error->message == '\0')
        g_error ("refused without an error message");
      if (error->domain != G_KEY_FILE_ERROR && error->domain != G_FILE_ERROR &&
          error->domain != G_CONVERT_ERROR)
        g_error ("unexpected error domain %s: %s", g_quark_to_string (error->domain),
                 error->message);
      if (!same_config (config, defaults))
        g_error ("a refused file changed the configuration");
      return 0;
    }
  check_config (config);
  return 0;
}
