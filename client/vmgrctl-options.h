/* Option values turned into D-Bus values: the resource options shared by
 * create and plan-set, and user names. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define VMGRCTL_N_RESOURCES 10

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

/* A decimal uid, or a user name resolved with getpwnam(). */
gboolean vmgrctl_parse_user (const char *text, guint32 *uid, GError **error);

/* A 32-bit unsigned option value; errors name --@option. */
gboolean vmgrctl_parse_option_uint32 (const char *option, const char *text, guint32 *value,
                                      GError **error);

G_END_DECLS
