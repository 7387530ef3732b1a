/* vmgrd's configuration: a key file (default VMGR_DEFAULT_CONFIG) with
 * command-line overrides applied on top. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* A [host NAME] group: a host besides the configured one (issue 14). */
typedef struct {
  char *name;                /* as AddHost's names */
  char *uri;                 /* libvirt URI */
  char *pool;                /* libvirt storage pool of its VMs' files */
} VmgrConfigHost;

typedef struct {
  char *uri;                 /* libvirt URI */
  char *state_dir;           /* holds vmgr.db */
  char *network;             /* libvirt network real guests join; "" = none */
  char *host_name;           /* the name of the host at uri (default "local") */
  int verbosity;             /* 0 = warnings/messages, 1 = info, 2 = debug */
  guint shutdown_timeout_s;  /* default graceful shutdown timeout */
  guint auth_cache_ttl_s;    /* lifetime of cached read-only decisions */
  guint auth_timeout_ms;     /* bound on a polkit answer */
  guint auth_max_in_flight;  /* polkit checks under way at once */
  guint memory_overcommit_pct; /* VMs may be given this % of host memory */
  guint cpu_overcommit_pct;    /* ... of host CPUs as vcpus */
  guint disk_overcommit_pct;   /* ... of the state filesystem as disk limits */
  guint sample_interval_s;     /* usage sampling of running VMs */
  char *backup_dir;            /* [backup] directory; "" = STATE_DIR/backups */
  GPtrArray *hosts;            /* VmgrConfigHost of the [host NAME] groups, in file order */
} VmgrConfig;

VmgrConfig *vmgr_config_new_default (void);
void vmgr_config_free (VmgrConfig *config);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VmgrConfig, vmgr_config_free)

/* Reads the [daemon] and [auth] groups of @path over @config. A missing
 * file is not an error when @must_exist is FALSE; unknown keys are warned
 * about; malformed values are errors (G_KEY_FILE_ERROR / VMGR_ERROR). */
gboolean vmgr_config_load_file (VmgrConfig *config, const char *path,
                                gboolean must_exist, GError **error);

/* The [host NAME] group named @name, or NULL. */
const VmgrConfigHost *vmgr_config_find_host (const VmgrConfig *config, const char *name);

/* Applies $STATE_DIRECTORY when set (systemd's StateDirectory=). */
void vmgr_config_apply_environment (VmgrConfig *config);

/* Where backups are written: [backup] directory, or STATE_DIR/backups. */
char *vmgr_config_get_backup_dir (const VmgrConfig *config);

/* The path of the sqlite file inside the state directory. */
char *vmgr_config_get_db_path (const VmgrConfig *config);

G_END_DECLS
