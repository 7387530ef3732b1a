/* Option values turned into D-Bus values: the resource options shared by
 * create, plan-set and the setters (set-memory, set-cpu, set-disk), and
 * the names of the option-dictionary keys as the command line spells
 * them. */
#pragma once

#include <glib.h>

#include "vmgrctl-errors.h"
#include "vmgrctl-settings.h"

G_BEGIN_DECLS

#define VMGRCTL_N_RESOURCES 10

/* One resource option: --@option gives the D-Bus key @key. */
typedef struct {
  const char *option;       /* "memory" */
  const char *key;          /* "memory_limit" */
  VmgrctlSettingKind kind;
  const char *arg;          /* "SIZE" */
  const char *help;
} VmgrctlResourceOption;

/* The resource option sending @key (memory_limit, vcpus, ...); NULL for
 * another key. */
const VmgrctlResourceOption *vmgrctl_resource_option (const char *key);

/* The text given to --memory, --vcpus, ... (NULL when not given). */
typedef struct {
  char *values[VMGRCTL_N_RESOURCES];
} VmgrctlResources;

void vmgrctl_resources_clear (VmgrctlResources *resources);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (VmgrctlResources, vmgrctl_resources_clear)

/* GOptionEntry array (free with g_free) filling @resources: --memory,
 * --memory-guarantee, --memory-soft-limit, --vcpus, --cpu-weight,
 * --cpu-limit, --disk, --disk-soft, and --max-vms, --max-snapshots when
 * @for_plan. */
GOptionEntry *vmgrctl_resources_entries (VmgrctlResources *resources, gboolean for_plan);

/* Adds the given values under their D-Bus keys (memory_limit t, vcpus u,
 * ...); a malformed value is a usage error naming the option. */
gboolean vmgrctl_resources_add_to (const VmgrctlResources *resources, GVariantDict *dict,
                                   GError **error);

/* The options of create, plan-set and the setters that send a key of
 * CreateVM's options or SetPlan's limits, as {key, option} pairs, ended
 * by {NULL, NULL}: the resource options, the network options (--address
 * sends addresses, ...), --id, --owner, --autostart, --start. */
const VmgrctlKeyOption *vmgrctl_vm_option_keys (void);

/* A decimal uid, or a user name resolved with getpwnam(); see also
 * vmgrctl_context_resolve_user(), which also asks vmgrd. */
gboolean vmgrctl_parse_user (const char *text, guint32 *uid, GError **error);

/* A 32-bit unsigned option value; errors name --@option. */
gboolean vmgrctl_parse_option_uint32 (const char *option, const char *text, guint32 *value,
                                      GError **error);

G_END_DECLS
