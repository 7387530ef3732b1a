/* vmgrd's configuration file (see vmgr-config.h).
 *
 *   [daemon]
 *   uri=qemu:///system        libvirt URI
 *   state_dir=/var/lib/vmgr   absolute path; holds vmgr.db
 *   network=default           libvirt network of LXC/QEMU guests ("" = none)
 *   host_name=local           the name of the host at uri (org.vmgr.Host)
 *   verbosity=info            message|info|debug or 0..2
 *   shutdown_timeout=60       seconds, 1..3600
 *
 *   [auth]
 *   cache_ttl=5               seconds, 0..3600 (0 = no caching)
 *   timeout_ms=5000           milliseconds, 1..600000
 *   max_in_flight=64          1..120
 *
 *   [resources]
 *   memory_overcommit=100     percent of host memory VMs may be given, 10..1000
 *   cpu_overcommit=400        percent of host CPUs VMs may be given as vcpus,
 *                             10..10000
 *   disk_overcommit=100       percent of the state filesystem for disk limits,
 *                             10..1000
 *                             (each: 0 = no cap, for hosts that overcommit by
 *                             design, e.g. many small containers)
 *
 *   [monitoring]
 *   interval=5                seconds between usage samples, 1..3600
 *
 *   [backup]
 *   directory=/srv/backups    absolute path of VM backup archives
 *                             (default STATE_DIR/backups)
 *
 *   [host h1]                 a host besides the configured one (issue 14),
 *   uri=qemu+tcp://h1/system  published like those of Manager.AddHost but
 *   pool=default              not removable; NAME as AddHost's names, not
 *                             host_name and not twice; uri required; pool
 *                             the libvirt storage pool of its VMs' files
 *                             (default "default")
 *
 * Bad values are G_KEY_FILE_ERROR_INVALID_VALUE errors whose message names
 * the file, group, key and the accepted values; a file that does not parse
 * gives the GKeyFile error. Loading is all or nothing: @config is changed
 * only when the whole file is good. */
#include "vmgr-config.h"

#include <string.h>

#include "vmgr-build-config.h"
#include "vmgr-validate.h"

#define DAEMON_GROUP "daemon"
#define AUTH_GROUP "auth"
#define RESOURCES_GROUP "resources"
#define MONITORING_GROUP "monitoring"
#define BACKUP_GROUP "backup"
#define HOST_GROUP_PREFIX "host "
#define POOL_NAME_MAX 64

static void
config_host_free (gpointer data)
{
  VmgrConfigHost *host = data;

  g_free (host->name);
  g_free (host->uri);
  g_free (host->pool);
  g_free (host);
}

VmgrConfig *
vmgr_config_new_default (void)
{
  VmgrConfig *config = g_new0 (VmgrConfig, 1);

  config->uri = g_strdup (VMGR_DEFAULT_URI);
  config->state_dir = g_strdup (VMGR_DEFAULT_STATE_DIR);
  config->network = g_strdup ("default");
  config->host_name = g_strdup ("local");
  config->verbosity = 0;
  config->shutdown_timeout_s = 60;
  config->auth_cache_ttl_s = 5;
  config->auth_timeout_ms = 5000;
  config->auth_max_in_flight = 64;
  config->memory_overcommit_pct = 100;
  config->cpu_overcommit_pct = 400;
  config->disk_overcommit_pct = 100;
  config->sample_interval_s = 5;
  config->backup_dir = g_strdup ("");
  config->hosts = g_ptr_array_new_with_free_func (config_host_free);
  return config;
}

void
vmgr_config_free (VmgrConfig *config)
{
  if (config == NULL)
    return;
  g_free (config->uri);
  g_free (config->state_dir);
  g_free (config->network);
  g_free (config->host_name);
  g_free (config->backup_dir);
  g_clear_pointer (&config->hosts, g_ptr_array_unref);
  g_free (config);
}

static VmgrConfig *
config_copy (const VmgrConfig *config)
{
  VmgrConfig *copy = g_new0 (VmgrConfig, 1);

  *copy = *config;
  copy->uri = g_strdup (config->uri);
  copy->state_dir = g_strdup (config->state_dir);
  copy->network = g_strdup (config->network);
  copy->host_name = g_strdup (config->host_name);
  copy->backup_dir = g_strdup (config->backup_dir);
  /* Never changed once loaded: shared. */
  copy->hosts = g_ptr_array_ref (config->hosts);
  return copy;
}

static void set_value_error (GError **error, const char *group, const char *key,
                             const char *format, ...) G_GNUC_PRINTF (4, 5);

static void
set_value_error (GError **error, const char *group, const char *key,
                 const char *format, ...)
{
  va_list args;
  g_autofree char *message = NULL;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
               "[%s] %s: %s", group, key, message);
}

/* The stripped value of @group/@key in @out, NULL when the key is absent;
 * FALSE only when the value cannot be read. */
static gboolean
get_string (GKeyFile *file, const char *group, const char *key, char **out,
            GError **error)
{
  char *value;

  *out = NULL;
  if (!g_key_file_has_key (file, group, key, NULL))
    return TRUE;
  value = g_key_file_get_string (file, group, key, error);
  if (value == NULL)
    {
      g_prefix_error (error, "[%s] %s: ", group, key);
      return FALSE;
    }
  *out = g_strstrip (value);
  return TRUE;
}

/* Reads an unsigned decimal in [@min, @max] into @out when the key is
 * present; TRUE when absent. */
static gboolean
read_uint (GKeyFile *file, const char *group, const char *key, guint min,
           guint max, const char *unit, guint *out, GError **error)
{
  g_autofree char *text = NULL;
  guint64 value = 0;
  g_autoptr(GError) parse_error = NULL;

  if (!get_string (file, group, key, &text, error))
    return FALSE;
  if (text == NULL)
    return TRUE;

  if (!g_ascii_string_to_unsigned (text, 10, min, max, &value, &parse_error))
    {
      set_value_error (error, group, key,
                       "'%s' is not valid: expected a whole number of %s "
                       "from %u to %u",
                       text, unit, min, max);
      return FALSE;
    }
  *out = (guint) value;
  return TRUE;
}

/* An overcommit percentage: 0 (no cap) or 10..@max. */
static gboolean
read_overcommit (GKeyFile *file, const char *key, guint max, guint *out, GError **error)
{
  guint value = *out;

  if (!read_uint (file, RESOURCES_GROUP, key, 0, max, "percent", &value, error))
    return FALSE;
  if (value != 0 && value < 10)
    {
      set_value_error (error, RESOURCES_GROUP, key,
                       "'%u' is not valid: expected 0 (no cap) or a whole number of "
                       "percent from 10 to %u", value, max);
      return FALSE;
    }
  *out = value;
  return TRUE;
}

static gboolean
read_verbosity (GKeyFile *file, int *out, GError **error)
{
  static const char * const names[] = { "message", "info", "debug" };
  g_autofree char *text = NULL;

  if (!get_string (file, DAEMON_GROUP, "verbosity", &text, error))
    return FALSE;
  if (text == NULL)
    return TRUE;

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      char digit[2] = { (char) ('0' + i), '\0' };

      if (g_ascii_strcasecmp (text, names[i]) == 0 || strcmp (text, digit) == 0)
        {
          *out = (int) i;
          return TRUE;
        }
    }
  set_value_error (error, DAEMON_GROUP, "verbosity",
                   "'%s' is not valid: expected message, info or debug "
                   "(or 0, 1 or 2)",
                   text);
  return FALSE;
}

static gboolean
read_uri (GKeyFile *file, char **out, GError **error)
{
  g_autofree char *text = NULL;

  if (!get_string (file, DAEMON_GROUP, "uri", &text, error))
    return FALSE;
  if (text == NULL)
    return TRUE;
  /* Anything else is for libvirt to judge: it also knows URI aliases. */
  if (text[0] == '\0')
    {
      set_value_error (error, DAEMON_GROUP, "uri",
                       "'%s' is not valid: expected a libvirt URI such as "
                       "qemu:///system or lxc:///system",
                       text);
      return FALSE;
    }
  g_free (*out);
  *out = g_steal_pointer (&text);
  return TRUE;
}

static gboolean
read_network (GKeyFile *file, char **out, GError **error)
{
  g_autofree char *text = NULL;

  if (!get_string (file, DAEMON_GROUP, "network", &text, error))
    return FALSE;
  if (text == NULL)
    return TRUE;
  if (*text != '\0' && !g_str_is_ascii (text))
    {
      set_value_error (error, DAEMON_GROUP, "network",
                       "'%s' is not valid: expected a libvirt network name", text);
      return FALSE;
    }
  g_free (*out);
  *out = g_steal_pointer (&text);
  return TRUE;
}

static gboolean
read_host_name (GKeyFile *file, char **out, GError **error)
{
  g_autofree char *text = NULL;
  g_autoptr(GError) invalid = NULL;

  if (!get_string (file, DAEMON_GROUP, "host_name", &text, error))
    return FALSE;
  if (text == NULL)
    return TRUE;
  if (!vmgr_validate_host_name (text, &invalid))
    {
      set_value_error (error, DAEMON_GROUP, "host_name", "%s", invalid->message);
      return FALSE;
    }
  g_free (*out);
  *out = g_steal_pointer (&text);
  return TRUE;
}

static gboolean
read_state_dir (GKeyFile *file, char **out, GError **error)
{
  g_autofree char *text = NULL;

  if (!get_string (file, DAEMON_GROUP, "state_dir", &text, error))
    return FALSE;
  if (text == NULL)
    return TRUE;
  if (!g_path_is_absolute (text))
    {
      set_value_error (error, DAEMON_GROUP, "state_dir",
                       "'%s' is not valid: expected an absolute directory path",
                       text);
      return FALSE;
    }
  g_free (*out);
  *out = g_canonicalize_filename (text, NULL);
  return TRUE;
}

static gboolean
read_backup_dir (GKeyFile *file, char **out, GError **error)
{
  g_autofree char *text = NULL;

  if (!get_string (file, BACKUP_GROUP, "directory", &text, error))
    return FALSE;
  if (text == NULL)
    return TRUE;
  if (!g_path_is_absolute (text))
    {
      set_value_error (error, BACKUP_GROUP, "directory",
                       "'%s' is not valid: expected an absolute directory path", text);
      return FALSE;
    }
  g_free (*out);
  *out = g_canonicalize_filename (text, NULL);
  return TRUE;
}

/* ---- [host NAME] ---- */

static gboolean
is_host_group (const char *group)
{
  return g_str_has_prefix (group, HOST_GROUP_PREFIX);
}

/* What AddHost accepts too; the rest is for libvirt to judge. */
static gboolean
host_uri_ok (const char *uri)
{
  gboolean ok = *uri != '\0' && strlen (uri) <= 1024 && g_str_is_ascii (uri) &&
                strchr (uri, ':') != NULL;

  for (const char *p = uri; ok && *p != '\0'; p++)
    ok = !g_ascii_iscntrl (*p) && *p != ' ';
  return ok;
}

/* A name libvirt takes for a storage pool (it refuses '/'); kept to a
 * conservative set so it is also safe in messages and paths. */
static gboolean
pool_name_ok (const char *name)
{
  gsize len = strlen (name);
  gboolean ok = len >= 1 && len <= POOL_NAME_MAX && g_ascii_isalnum (name[0]);

  for (gsize i = 0; ok && i < len; i++)
    ok = g_ascii_isalnum (name[i]) || strchr ("_-.+", name[i]) != NULL;
  return ok;
}

static gboolean
read_host (GKeyFile *file, const char *group, const VmgrConfig *config, VmgrConfigHost *host,
           GError **error)
{
  g_autoptr(GError) invalid = NULL;
  g_autofree char *name = g_strstrip (g_strdup (group + strlen (HOST_GROUP_PREFIX)));

  if (!vmgr_validate_host_name (name, &invalid))
    {
      g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE, "[%s]: %s", group,
                   invalid->message);
      return FALSE;
    }
  if (g_str_equal (name, config->host_name))
    {
      g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                   "[%s]: host '%s' is the configured host ([%s] host_name)", group, name,
                   DAEMON_GROUP);
      return FALSE;
    }
  if (vmgr_config_find_host (config, name) != NULL)
    {
      g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                   "[%s]: host '%s' is configured twice", group, name);
      return FALSE;
    }
  host->name = g_steal_pointer (&name);
  if (!get_string (file, group, "uri", &host->uri, error) ||
      !get_string (file, group, "pool", &host->pool, error))
    return FALSE;
  if (host->uri == NULL || !host_uri_ok (host->uri))
    {
      set_value_error (error, group, "uri",
                       "'%s' is not valid: expected a libvirt URI such as "
                       "qemu+ssh://root@host.example.com/system",
                       host->uri != NULL ? host->uri : "");
      return FALSE;
    }
  if (host->pool == NULL)
    host->pool = g_strdup ("default");
  else if (!pool_name_ok (host->pool))
    {
      set_value_error (error, group, "pool",
                       "'%s' is not valid: expected a libvirt storage pool name (1 to %d "
                       "letters, digits, '_', '-', '.' or '+', starting with a letter or digit)",
                       host->pool, POOL_NAME_MAX);
      return FALSE;
    }
  return TRUE;
}

/* GKeyFile merges groups of the same name: a host twice is found in the
 * text. */
static gboolean
check_host_groups_once (const char *contents, GError **error)
{
  g_auto(GStrv) lines = g_strsplit (contents, "\n", -1);
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      char *line = g_strstrip (lines[i]);
      gsize len = strlen (line);
      g_autofree char *group = NULL;
      g_autofree char *name = NULL;

      if (len < 2 || line[0] != '[' || line[len - 1] != ']')
        continue;
      group = g_strndup (line + 1, len - 2);
      if (!is_host_group (group))
        continue;
      name = g_strstrip (g_strdup (group + strlen (HOST_GROUP_PREFIX)));
      if (g_hash_table_contains (seen, name))
        {
          g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                       "[%s]: host '%s' is configured twice", group, name);
          return FALSE;
        }
      g_hash_table_add (seen, g_steal_pointer (&name));
    }
  return TRUE;
}

static gboolean
read_hosts (GKeyFile *file, VmgrConfig *config, GError **error)
{
  g_auto(GStrv) groups = g_key_file_get_groups (file, NULL);
  g_autoptr(GPtrArray) hosts = g_ptr_array_new_with_free_func (config_host_free);

  g_ptr_array_unref (config->hosts);
  config->hosts = g_ptr_array_ref (hosts);
  for (guint i = 0; groups[i] != NULL; i++)
    {
      VmgrConfigHost *host;

      if (!is_host_group (groups[i]))
        continue;
      host = g_new0 (VmgrConfigHost, 1);
      g_ptr_array_add (hosts, host);
      if (!read_host (file, groups[i], config, host, error))
        {
          g_ptr_array_remove (hosts, host);
          return FALSE;
        }
    }
  return TRUE;
}

const VmgrConfigHost *
vmgr_config_find_host (const VmgrConfig *config, const char *name)
{
  g_return_val_if_fail (config != NULL, NULL);

  for (guint i = 0; config->hosts != NULL && i < config->hosts->len; i++)
    {
      const VmgrConfigHost *host = g_ptr_array_index (config->hosts, i);

      if (host->name != NULL && g_str_equal (host->name, name))
        return host;
    }
  return NULL;
}

static void
warn_unknown_keys (GKeyFile *file, const char *path)
{
  static const char * const daemon_keys[] = {
    "uri", "state_dir", "network", "host_name", "verbosity", "shutdown_timeout", NULL
  };
  static const char * const auth_keys[] = {
    "cache_ttl", "timeout_ms", "max_in_flight", NULL
  };
  static const char * const resources_keys[] = {
    "memory_overcommit", "cpu_overcommit", "disk_overcommit", NULL
  };
  static const char * const monitoring_keys[] = { "interval", NULL };
  static const char * const backup_keys[] = { "directory", NULL };
  static const char * const host_keys[] = { "uri", "pool", NULL };
  g_auto(GStrv) groups = g_key_file_get_groups (file, NULL);

  for (guint i = 0; groups[i] != NULL; i++)
    {
      const char * const *known = NULL;
      g_auto(GStrv) keys = NULL;

      if (strcmp (groups[i], DAEMON_GROUP) == 0)
        known = daemon_keys;
      else if (strcmp (groups[i], AUTH_GROUP) == 0)
        known = auth_keys;
      else if (strcmp (groups[i], RESOURCES_GROUP) == 0)
        known = resources_keys;
      else if (strcmp (groups[i], MONITORING_GROUP) == 0)
        known = monitoring_keys;
      else if (strcmp (groups[i], BACKUP_GROUP) == 0)
        known = backup_keys;
      else if (is_host_group (groups[i]))
        known = host_keys;
      else
        {
          g_warning ("%s: unknown group [%s] ignored (known: [%s], [%s], [%s], [%s], [%s], "
                     "[host NAME])",
                     path, groups[i], DAEMON_GROUP, AUTH_GROUP, RESOURCES_GROUP,
                     MONITORING_GROUP, BACKUP_GROUP);
          continue;
        }

      keys = g_key_file_get_keys (file, groups[i], NULL, NULL);
      for (guint j = 0; keys != NULL && keys[j] != NULL; j++)
        if (!g_strv_contains (known, keys[j]))
          g_warning ("%s: unknown key '%s' in [%s] ignored", path, keys[j],
                     groups[i]);
    }
}

/* Reads every known key of @file into @config; stops at the first error. */
static gboolean
read_keys (GKeyFile *file, VmgrConfig *config, GError **error)
{
  return read_uri (file, &config->uri, error) &&
         read_network (file, &config->network, error) &&
         read_host_name (file, &config->host_name, error) &&
         read_state_dir (file, &config->state_dir, error) &&
         read_backup_dir (file, &config->backup_dir, error) &&
         read_verbosity (file, &config->verbosity, error) &&
         read_uint (file, DAEMON_GROUP, "shutdown_timeout", 1, 3600, "seconds",
                    &config->shutdown_timeout_s, error) &&
         read_uint (file, AUTH_GROUP, "cache_ttl", 0, 3600, "seconds",
                    &config->auth_cache_ttl_s, error) &&
         read_uint (file, AUTH_GROUP, "timeout_ms", 1, 600000, "milliseconds",
                    &config->auth_timeout_ms, error) &&
         read_uint (file, AUTH_GROUP, "max_in_flight", 1, 120, "checks",
                    &config->auth_max_in_flight, error) &&
         read_overcommit (file, "memory_overcommit", 1000, &config->memory_overcommit_pct, error) &&
         read_overcommit (file, "cpu_overcommit", 10000, &config->cpu_overcommit_pct, error) &&
         read_overcommit (file, "disk_overcommit", 1000, &config->disk_overcommit_pct, error) &&
         read_uint (file, MONITORING_GROUP, "interval", 1, 3600, "seconds",
                    &config->sample_interval_s, error) &&
         read_hosts (file, config, error);
}

gboolean
vmgr_config_load_file (VmgrConfig *config, const char *path,
                       gboolean must_exist, GError **error)
{
  g_autoptr(GKeyFile) file = g_key_file_new ();
  g_autoptr(VmgrConfig) work = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *contents = NULL;
  gsize length = 0;
  VmgrConfig old;

  g_return_val_if_fail (config != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  if (!g_file_get_contents (path, &contents, &length, &local_error) ||
      !g_key_file_load_from_data (file, contents, length, G_KEY_FILE_NONE, &local_error) ||
      !check_host_groups_once (contents, &local_error))
    {
      if (!must_exist &&
          g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        return TRUE;
      g_propagate_prefixed_error (error, g_steal_pointer (&local_error),
                                  "%s: ", path);
      return FALSE;
    }

  warn_unknown_keys (file, path);

  work = config_copy (config);
  if (!read_keys (file, work, &local_error))
    {
      g_propagate_prefixed_error (error, g_steal_pointer (&local_error),
                                  "%s: ", path);
      return FALSE;
    }

  old = *config;
  *config = *work;
  *work = old;  /* freed with @work */
  return TRUE;
}

void
vmgr_config_apply_environment (VmgrConfig *config)
{
  const char *value = g_getenv ("STATE_DIRECTORY");
  g_auto(GStrv) dirs = NULL;

  g_return_if_fail (config != NULL);

  if (value == NULL || value[0] == '\0')
    return;

  /* systemd lists one path per StateDirectory= entry, colon-separated. */
  dirs = g_strsplit (value, ":", -1);
  for (guint i = 0; dirs[i] != NULL; i++)
    {
      if (dirs[i][0] != '\0')
        {
          g_free (config->state_dir);
          config->state_dir = g_strdup (dirs[i]);
          return;
        }
    }
}

char *
vmgr_config_get_db_path (const VmgrConfig *config)
{
  g_return_val_if_fail (config != NULL, NULL);
  return g_build_filename (config->state_dir, "vmgr.db", NULL);
}

char *
vmgr_config_get_backup_dir (const VmgrConfig *config)
{
  g_return_val_if_fail (config != NULL, NULL);
  if (config->backup_dir != NULL && config->backup_dir[0] != '\0')
    return g_strdup (config->backup_dir);
  return g_build_filename (config->state_dir, "backups", NULL);
}
