/* Validation of everything a caller sends: names, addresses, resource
 * values and the a{sv} option dictionaries of the contract. Pure functions;
 * errors are VMGR_ERROR_INVALID_ARGUMENT with a message naming the bad key
 * or value. */
#pragma once

#include <glib.h>

#include "vmgr-records.h"

G_BEGIN_DECLS

#define VMGR_NAME_MAX 63
#define VMGR_MAX_VCPUS 512
#define VMGR_CPU_WEIGHT_MIN 1
#define VMGR_CPU_WEIGHT_MAX 10000
#define VMGR_CPU_WEIGHT_DEFAULT 100
#define VMGR_VM_ID_MIN 1
#define VMGR_VM_ID_FIRST 101

/* VM, template and plan names: 1..63 of [A-Za-z0-9._-], starting with a
 * letter or digit; not all digits (so that a name never reads as an id).
 * @what names the thing in the message ("VM name", "template name"). */
gboolean vmgr_validate_name (const char *name, const char *what, GError **error);
/* Snapshot names: 1..63 of [A-Za-z0-9_], starting with a letter or digit,
 * so that a name is its object path element as it is. */
gboolean vmgr_validate_snapshot_name (const char *name, GError **error);
/* Host names: 1..63 of [A-Za-z0-9_], starting with a letter, so that a
 * name is its object path element as it is. */
gboolean vmgr_validate_host_name (const char *name, GError **error);
/* libvirt storage pool names (a host's "pool"): 1..63 of [A-Za-z0-9._-],
 * starting with a letter or digit. */
gboolean vmgr_validate_pool_name (const char *name, GError **error);
/* RFC 1123 host name, at most 253 characters; "" allowed (unset). */
gboolean vmgr_validate_hostname (const char *hostname, GError **error);
/* An IPv4 or IPv6 address; "" is refused. */
gboolean vmgr_validate_ip (const char *ip, const char *what, GError **error);
/* ADDRESS/PREFIX with a prefix valid for the family (host bits allowed). */
gboolean vmgr_validate_cidr (const char *cidr, GError **error);

/* Which keys of a resource dictionary were given (CreateVM options,
 * SetPlan limits, SetNetwork settings). */
typedef enum {
  VMGR_FIELD_ID                = 1 << 0,
  VMGR_FIELD_OWNER             = 1 << 1,
  VMGR_FIELD_MEMORY_GUARANTEE  = 1 << 2,
  VMGR_FIELD_MEMORY_SOFT_LIMIT = 1 << 3,
  VMGR_FIELD_MEMORY_LIMIT      = 1 << 4,
  VMGR_FIELD_VCPUS             = 1 << 5,
  VMGR_FIELD_CPU_WEIGHT        = 1 << 6,
  VMGR_FIELD_CPU_LIMIT         = 1 << 7,
  VMGR_FIELD_DISK_SOFT_LIMIT   = 1 << 8,
  VMGR_FIELD_DISK_HARD_LIMIT   = 1 << 9,
  VMGR_FIELD_HOSTNAME          = 1 << 10,
  VMGR_FIELD_ADDRESSES         = 1 << 11,
  VMGR_FIELD_GATEWAY           = 1 << 12,
  VMGR_FIELD_NAMESERVERS       = 1 << 13,
  VMGR_FIELD_AUTOSTART         = 1 << 14,
  VMGR_FIELD_START             = 1 << 15,
  VMGR_FIELD_MAX_VMS           = 1 << 16,
  VMGR_FIELD_MAX_SNAPSHOTS     = 1 << 17,
  VMGR_FIELD_HOST              = 1 << 18,
} VmgrFields;

#define VMGR_FIELDS_RESOURCES                                                   \
  (VMGR_FIELD_MEMORY_GUARANTEE | VMGR_FIELD_MEMORY_SOFT_LIMIT |                 \
   VMGR_FIELD_MEMORY_LIMIT | VMGR_FIELD_VCPUS | VMGR_FIELD_CPU_WEIGHT |         \
   VMGR_FIELD_CPU_LIMIT | VMGR_FIELD_DISK_SOFT_LIMIT | VMGR_FIELD_DISK_HARD_LIMIT)
#define VMGR_FIELDS_NETWORK                                                     \
  (VMGR_FIELD_HOSTNAME | VMGR_FIELD_ADDRESSES | VMGR_FIELD_GATEWAY |            \
   VMGR_FIELD_NAMESERVERS)
#define VMGR_FIELDS_CREATE                                                      \
  (VMGR_FIELD_ID | VMGR_FIELD_OWNER | VMGR_FIELDS_RESOURCES |                   \
   VMGR_FIELDS_NETWORK | VMGR_FIELD_AUTOSTART | VMGR_FIELD_START | VMGR_FIELD_HOST)
#define VMGR_FIELDS_PLAN (VMGR_FIELDS_RESOURCES | VMGR_FIELD_MAX_VMS | VMGR_FIELD_MAX_SNAPSHOTS)

/* The parsed form of an a{sv} dictionary: each value is meaningful only
 * when its bit is in @fields. */
typedef struct {
  VmgrFields fields;
  guint32 id;
  guint32 owner;
  VMGR_RESOURCES;
  char *hostname;
  char **addresses;
  char *gateway;
  char **nameservers;
  gboolean autostart;
  gboolean start;
  guint32 max_vms;
  guint32 max_snapshots;
  char *host;
} VmgrOptions;

VmgrOptions *vmgr_options_new (void);
void vmgr_options_free (VmgrOptions *options);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VmgrOptions, vmgr_options_free)

/* Parses @dict (type a{sv}). Keys outside @allowed are refused ("unknown
 * option 'foo'"), as are values of the wrong type ("option 'vcpus' must be
 * of type 'u', not 's'") and values that are invalid on their own (a bad
 * CIDR, id 0, vcpus 0, weight out of range, ...). */
VmgrOptions *vmgr_options_parse (GVariant *dict, VmgrFields allowed, GError **error);

/* Fills @spec's resources from @plan (fields the plan sets), then from
 * @options (fields given), then checks the whole: memory_limit > 0,
 * guarantee <= soft limit <= limit (soft 0 = none), 1 <= vcpus <=
 * VMGR_MAX_VCPUS, cpu_limit <= vcpus * 100, disk soft <= hard (0 = none).
 * Either of @plan and @options may be NULL. */
gboolean vmgr_spec_apply (VmgrVmSpec *spec, const VmgrPlan *plan,
                          const VmgrOptions *options, GError **error);
/* The same coherence checks on an existing spec. */
gboolean vmgr_spec_check_resources (const VmgrVmSpec *spec, GError **error);

/* A plan named @name from parsed SetPlan limits (VMGR_FIELDS_PLAN): @base
 * (the plan as it is, or NULL for a new one) with the given keys changed,
 * so that an update keeps what it does not name. Refuses a new plan
 * without memory_limit, a memory_limit of 0 and incoherent values. */
VmgrPlan *vmgr_plan_from_options (const char *name, const VmgrPlan *base,
                                  const VmgrOptions *options, GError **error);
/* The plan as an a{sv} of the keys it sets (for ListPlans). */
GVariant *vmgr_plan_to_variant (const VmgrPlan *plan);

G_END_DECLS
