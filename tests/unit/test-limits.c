/* Unit tests for vmgr-limits.c: allocations, backend capabilities, host
 * capacity and customer quotas. */
#include <string.h>

#include <glib.h>

#include "vmgr-error.h"
#include "vmgr-limits.h"
#include "vmgr-records.h"

#define KIB G_GUINT64_CONSTANT (1024)
#define MIB (KIB * 1024)
#define GIB (MIB * 1024)

/* --- helpers ------------------------------------------------------------ */

/* The resources of a VM that the checks look at. */
typedef struct {
  guint32 vcpus;
  guint32 cpu_limit;
  guint64 memory_guarantee;
  guint64 memory_soft_limit;
  guint64 memory;   /* memory_limit */
  guint64 disk;     /* disk_hard_limit */
} Res;

static VmgrVmSpec *
make_spec (const Res *res, guint32 owner)
{
  VmgrVmSpec *spec = vmgr_vm_spec_new ();

  spec->owner = owner;
  spec->vcpus = res->vcpus;
  spec->cpu_limit = res->cpu_limit;
  spec->memory_guarantee = res->memory_guarantee;
  spec->memory_soft_limit = res->memory_soft_limit;
  spec->memory_limit = res->memory;
  spec->disk_hard_limit = res->disk;
  return spec;
}

/* @error is @code in VMGR_ERROR and its message contains every non-NULL
 * string of @parts. */
static void
assert_error_mentions (const GError *error, int code, const char * const *parts)
{
  g_assert_nonnull (error);
  g_assert_error (error, VMGR_ERROR, code);
  for (guint i = 0; parts[i] != NULL; i++)
    if (strstr (error->message, parts[i]) == NULL)
      g_error ("error message \"%s\" does not contain \"%s\"", error->message, parts[i]);
}

static guint64
lookup_t (GVariant *dict, const char *key)
{
  guint64 value = 0;

  if (!g_variant_lookup (dict, key, "t", &value))
    g_error ("no key %s of type t in %s", key, g_variant_print (dict, TRUE));
  return value;
}

/* --- allocations -------------------------------------------------------- */

static void
test_allocation_add (void)
{
  static const Res vms[] = {
    { .vcpus = 1, .memory = 512 * MIB, .disk = 0 },
    { .vcpus = 4, .memory = 8 * GIB, .disk = 100 * GIB },
    { .vcpus = 2, .memory = 1 * GIB, .disk = 10 * GIB,
      .memory_guarantee = 256 * MIB, .memory_soft_limit = 512 * MIB, .cpu_limit = 150 },
  };
  VmgrAllocation allocation = { 0 };
  guint32 vcpus = 0;
  guint64 memory = 0, disk = 0;

  for (guint i = 0; i < G_N_ELEMENTS (vms); i++)
    {
      g_autoptr(VmgrVmSpec) spec = make_spec (&vms[i], 1000);

      vmgr_allocation_add (&allocation, spec);
      vcpus += vms[i].vcpus;
      memory += vms[i].memory;
      disk += vms[i].disk;
      g_assert_cmpuint (allocation.vms, ==, i + 1);
      g_assert_cmpuint (allocation.vcpus, ==, vcpus);
      /* memory is memory_limit only, not guarantee or soft limit */
      g_assert_cmpuint (allocation.memory, ==, memory);
      g_assert_cmpuint (allocation.disk, ==, disk);
    }
}

static void
test_allocation_add_to_existing (void)
{
  VmgrAllocation allocation = { .vms = 7, .vcpus = 20, .memory = 30 * GIB, .disk = 1 * GIB };
  g_autoptr(VmgrVmSpec) spec = make_spec (&(Res) { .vcpus = 3, .memory = 2 * GIB, .disk = 5 * GIB },
                                          0);

  vmgr_allocation_add (&allocation, spec);
  g_assert_cmpuint (allocation.vms, ==, 8);
  g_assert_cmpuint (allocation.vcpus, ==, 23);
  g_assert_cmpuint (allocation.memory, ==, 32 * GIB);
  g_assert_cmpuint (allocation.disk, ==, 6 * GIB);
}

static void
test_allocation_to_variant (void)
{
  static const VmgrAllocation cases[] = {
    { 0, 0, 0, 0 },
    { 1, 2, 3, 4 },
    { 12, 48, 64 * GIB, 2048 * GIB },
    { G_MAXUINT32, G_MAXUINT32, G_MAXUINT64, G_MAXUINT64 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GVariant) dict = g_variant_ref_sink (vmgr_allocation_to_variant (&cases[i]));

      g_assert_cmpstr (g_variant_get_type_string (dict), ==, "a{st}");
      g_assert_cmpuint (g_variant_n_children (dict), ==, 4);
      g_assert_cmpuint (lookup_t (dict, "vms"), ==, cases[i].vms);
      g_assert_cmpuint (lookup_t (dict, "vcpus"), ==, cases[i].vcpus);
      g_assert_cmpuint (lookup_t (dict, "memory"), ==, cases[i].memory);
      g_assert_cmpuint (lookup_t (dict, "disk"), ==, cases[i].disk);
    }
}

static void
test_allocation_to_variant_floating (void)
{
  VmgrAllocation allocation = { 1, 1, 1, 1 };
  GVariant *dict = vmgr_allocation_to_variant (&allocation);

  g_assert_true (g_variant_is_floating (dict));
  g_variant_unref (g_variant_ref_sink (dict));
}

/* --- capabilities ------------------------------------------------------- */

#define ALL_CAPS ((const char *[]) { "cpu-limit", "memory-guarantee", "memory-soft-limit", NULL })
#define NO_CAPS ((const char *[]) { NULL })

typedef struct {
  const char *what;
  const char * const *capabilities;
  gboolean has_old;
  Res old;
  Res spec;
  const char *missing;  /* NULL: allowed */
} CapabilityCase;

static void
test_check_capabilities (void)
{
  const CapabilityCase cases[] = {
    /* a new VM */
    { "plain VM, no capabilities", NO_CAPS, FALSE, { 0 }, { .vcpus = 1, .memory = GIB }, NULL },
    { "all settings, all capabilities", ALL_CAPS, FALSE, { 0 },
      { .vcpus = 2, .memory = GIB, .cpu_limit = 50, .memory_guarantee = MIB,
        .memory_soft_limit = 2 * MIB }, NULL },
    { "cpu_limit without cpu-limit", NO_CAPS, FALSE, { 0 },
      { .vcpus = 1, .memory = GIB, .cpu_limit = 50 }, "cpu-limit" },
    { "guarantee without memory-guarantee", NO_CAPS, FALSE, { 0 },
      { .vcpus = 1, .memory = GIB, .memory_guarantee = MIB }, "memory-guarantee" },
    { "soft limit without memory-soft-limit", NO_CAPS, FALSE, { 0 },
      { .vcpus = 1, .memory = GIB, .memory_soft_limit = MIB }, "memory-soft-limit" },
    { "cpu_limit with only the other capabilities",
      (const char *[]) { "memory-guarantee", "memory-soft-limit", NULL }, FALSE, { 0 },
      { .vcpus = 1, .memory = GIB, .cpu_limit = 50 }, "cpu-limit" },
    { "guarantee with only the other capabilities",
      (const char *[]) { "cpu-limit", "memory-soft-limit", NULL }, FALSE, { 0 },
      { .vcpus = 1, .memory = GIB, .memory_guarantee = MIB }, "memory-guarantee" },
    { "soft limit with only the other capabilities",
      (const char *[]) { "cpu-limit", "memory-guarantee", NULL }, FALSE, { 0 },
      { .vcpus = 1, .memory = GIB, .memory_soft_limit = MIB }, "memory-soft-limit" },
    { "cpu_limit with cpu-limit", (const char *[]) { "cpu-limit", NULL }, FALSE, { 0 },
      { .vcpus = 1, .memory = GIB, .cpu_limit = 100 }, NULL },
    { "guarantee with memory-guarantee", (const char *[]) { "memory-guarantee", NULL }, FALSE,
      { 0 }, { .vcpus = 1, .memory = GIB, .memory_guarantee = MIB }, NULL },
    { "soft limit with memory-soft-limit", (const char *[]) { "memory-soft-limit", NULL }, FALSE,
      { 0 }, { .vcpus = 1, .memory = GIB, .memory_soft_limit = MIB }, NULL },
    { "unrelated capabilities do not count",
      (const char *[]) { "cpu-limits", "memory", "soft-limit", NULL }, FALSE, { 0 },
      { .vcpus = 1, .memory = GIB, .cpu_limit = 10 }, "cpu-limit" },

    /* changes to an existing VM: only changed values are judged */
    { "unchanged cpu_limit", NO_CAPS, TRUE, { .vcpus = 1, .memory = GIB, .cpu_limit = 50 },
      { .vcpus = 2, .memory = 2 * GIB, .cpu_limit = 50 }, NULL },
    { "unchanged guarantee", NO_CAPS, TRUE, { .vcpus = 1, .memory = GIB, .memory_guarantee = MIB },
      { .vcpus = 2, .memory = 2 * GIB, .memory_guarantee = MIB }, NULL },
    { "unchanged soft limit", NO_CAPS, TRUE,
      { .vcpus = 1, .memory = GIB, .memory_soft_limit = MIB },
      { .vcpus = 1, .memory = 2 * GIB, .memory_soft_limit = MIB }, NULL },
    { "all unchanged", NO_CAPS, TRUE,
      { .vcpus = 1, .memory = GIB, .cpu_limit = 50, .memory_guarantee = MIB,
        .memory_soft_limit = 2 * MIB },
      { .vcpus = 1, .memory = GIB, .cpu_limit = 50, .memory_guarantee = MIB,
        .memory_soft_limit = 2 * MIB }, NULL },
    { "changed cpu_limit", NO_CAPS, TRUE, { .vcpus = 1, .memory = GIB, .cpu_limit = 50 },
      { .vcpus = 1, .memory = GIB, .cpu_limit = 60 }, "cpu-limit" },
    { "new cpu_limit", NO_CAPS, TRUE, { .vcpus = 1, .memory = GIB },
      { .vcpus = 1, .memory = GIB, .cpu_limit = 60 }, "cpu-limit" },
    { "changed guarantee", NO_CAPS, TRUE, { .vcpus = 1, .memory = GIB, .memory_guarantee = MIB },
      { .vcpus = 1, .memory = GIB, .memory_guarantee = 2 * MIB }, "memory-guarantee" },
    { "changed soft limit", NO_CAPS, TRUE,
      { .vcpus = 1, .memory = GIB, .memory_soft_limit = MIB },
      { .vcpus = 1, .memory = GIB, .memory_soft_limit = 3 * MIB }, "memory-soft-limit" },
    { "removing cpu_limit", NO_CAPS, TRUE, { .vcpus = 1, .memory = GIB, .cpu_limit = 50 },
      { .vcpus = 1, .memory = GIB, .cpu_limit = 0 }, NULL },
    { "removing guarantee", NO_CAPS, TRUE, { .vcpus = 1, .memory = GIB, .memory_guarantee = MIB },
      { .vcpus = 1, .memory = GIB }, NULL },
    { "removing soft limit", NO_CAPS, TRUE,
      { .vcpus = 1, .memory = GIB, .memory_soft_limit = MIB },
      { .vcpus = 1, .memory = GIB }, NULL },
    { "unchanged cpu_limit, new soft limit", (const char *[]) { "memory-guarantee", NULL }, TRUE,
      { .vcpus = 1, .memory = GIB, .cpu_limit = 50 },
      { .vcpus = 1, .memory = GIB, .cpu_limit = 50, .memory_soft_limit = MIB },
      "memory-soft-limit" },
    { "changed cpu_limit with capability", (const char *[]) { "cpu-limit", NULL }, TRUE,
      { .vcpus = 1, .memory = GIB, .cpu_limit = 50, .memory_guarantee = MIB },
      { .vcpus = 1, .memory = GIB, .cpu_limit = 70, .memory_guarantee = MIB }, NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const CapabilityCase *c = &cases[i];
      g_autoptr(VmgrVmSpec) old = c->has_old ? make_spec (&c->old, 1000) : NULL;
      g_autoptr(VmgrVmSpec) spec = make_spec (&c->spec, 1000);
      g_autoptr(GError) error = NULL;
      gboolean ok;

      g_test_message ("case %u: %s", i, c->what);
      ok = vmgr_limits_check_capabilities (c->capabilities, "fake", old, spec, &error);
      if (c->missing == NULL)
        {
          g_assert_no_error (error);
          g_assert_true (ok);
        }
      else
        {
          g_assert_false (ok);
          assert_error_mentions (error, VMGR_ERROR_NOT_SUPPORTED,
                                 (const char *[]) { c->missing, "fake", NULL });
          /* A sentence, not a key heading it. */
          g_assert_true (g_str_has_prefix (error->message, "the fake backend cannot "));
        }
    }
}

/* With nothing supported, the first refused setting is reported, and a
 * NULL GError ** is accepted. */
static void
test_check_capabilities_null_error (void)
{
  g_autoptr(VmgrVmSpec) spec =
    make_spec (&(Res) { .vcpus = 1, .memory = GIB, .cpu_limit = 10, .memory_guarantee = 1,
                        .memory_soft_limit = 2 }, 0);

  g_assert_false (vmgr_limits_check_capabilities (NO_CAPS, "fake", NULL, spec, NULL));
  g_assert_true (vmgr_limits_check_capabilities (ALL_CAPS, "fake", NULL, spec, NULL));
}

/* --- host capacity ------------------------------------------------------ */

typedef struct {
  const char *what;
  VmgrCapacity capacity;
  VmgrAllocation others;
  gboolean has_old;
  Res old;
  Res spec;
  int code;             /* -1: allowed */
  const char *resource; /* in the message */
} HostCase;

#define OK -1
#define INVALID VMGR_ERROR_INVALID_ARGUMENT
#define QUOTA VMGR_ERROR_QUOTA_EXCEEDED

static void
test_check_host (void)
{
  static const HostCase cases[] = {
    /* vcpus against the host's CPUs */
    { "vcpus below host CPUs", { 8, 0, 0, 0 }, { 0 }, FALSE, { 0 },
      { .vcpus = 4, .memory = GIB }, OK, NULL },
    { "vcpus equal to host CPUs", { 8, 0, 0, 0 }, { 0 }, FALSE, { 0 },
      { .vcpus = 8, .memory = GIB }, OK, NULL },
    { "vcpus above host CPUs", { 8, 0, 0, 0 }, { 0 }, FALSE, { 0 },
      { .vcpus = 9, .memory = GIB }, INVALID, "vcpus" },
    { "host CPUs unknown", { 0, 0, 0, 0 }, { 0 }, FALSE, { 0 },
      { .vcpus = 512, .memory = GIB }, OK, NULL },
    { "growing above host CPUs", { 8, 0, 0, 0 }, { 0 }, TRUE, { .vcpus = 8, .memory = GIB },
      { .vcpus = 9, .memory = GIB }, INVALID, "vcpus" },
    { "growing further above host CPUs", { 8, 0, 0, 0 }, { 0 }, TRUE,
      { .vcpus = 10, .memory = GIB }, { .vcpus = 12, .memory = GIB }, INVALID, "vcpus" },
    { "keeping vcpus above host CPUs", { 8, 0, 0, 0 }, { 0 }, TRUE,
      { .vcpus = 12, .memory = GIB }, { .vcpus = 12, .memory = 2 * GIB }, OK, NULL },
    { "shrinking vcpus still above host CPUs", { 8, 0, 0, 0 }, { 0 }, TRUE,
      { .vcpus = 12, .memory = GIB }, { .vcpus = 10, .memory = GIB }, OK, NULL },
    { "host CPUs checked before totals", { 8, 4, 0, 0 }, { 0 }, FALSE, { 0 },
      { .vcpus = 9, .memory = GIB }, INVALID, "vcpus" },

    /* vcpus total */
    { "vcpu total below capacity", { 0, 16, 0, 0 }, { .vms = 2, .vcpus = 10 }, FALSE, { 0 },
      { .vcpus = 4, .memory = GIB }, OK, NULL },
    { "vcpu total equal to capacity", { 0, 16, 0, 0 }, { .vms = 2, .vcpus = 12 }, FALSE, { 0 },
      { .vcpus = 4, .memory = GIB }, OK, NULL },
    { "vcpu total above capacity", { 0, 16, 0, 0 }, { .vms = 2, .vcpus = 13 }, FALSE, { 0 },
      { .vcpus = 4, .memory = GIB }, QUOTA, "vcpus" },
    { "vcpu capacity 0 is unchecked", { 0, 0, 0, 0 }, { .vms = 2, .vcpus = 1000 }, FALSE, { 0 },
      { .vcpus = 4, .memory = GIB }, OK, NULL },
    { "others already over vcpu capacity", { 0, 16, 0, 0 }, { .vms = 9, .vcpus = 20 }, FALSE,
      { 0 }, { .vcpus = 1, .memory = GIB }, QUOTA, "vcpus" },

    /* memory total */
    { "memory total below capacity", { 0, 0, 16 * GIB, 0 }, { .vms = 1, .memory = 8 * GIB },
      FALSE, { 0 }, { .vcpus = 1, .memory = 4 * GIB }, OK, NULL },
    { "memory total equal to capacity", { 0, 0, 16 * GIB, 0 }, { .vms = 1, .memory = 12 * GIB },
      FALSE, { 0 }, { .vcpus = 1, .memory = 4 * GIB }, OK, NULL },
    { "memory total one byte above capacity", { 0, 0, 16 * GIB, 0 },
      { .vms = 1, .memory = 12 * GIB + 1 }, FALSE, { 0 }, { .vcpus = 1, .memory = 4 * GIB },
      QUOTA, "memory" },
    { "memory capacity 0 is unchecked", { 0, 0, 0, 0 }, { .vms = 1, .memory = 1000 * GIB },
      FALSE, { 0 }, { .vcpus = 1, .memory = 1000 * GIB }, OK, NULL },

    /* disk total */
    { "disk total below capacity", { 0, 0, 0, 100 * GIB }, { .vms = 1, .disk = 50 * GIB }, FALSE,
      { 0 }, { .vcpus = 1, .memory = GIB, .disk = 40 * GIB }, OK, NULL },
    { "disk total equal to capacity", { 0, 0, 0, 100 * GIB }, { .vms = 1, .disk = 60 * GIB },
      FALSE, { 0 }, { .vcpus = 1, .memory = GIB, .disk = 40 * GIB }, OK, NULL },
    { "disk total above capacity", { 0, 0, 0, 100 * GIB }, { .vms = 1, .disk = 61 * GIB }, FALSE,
      { 0 }, { .vcpus = 1, .memory = GIB, .disk = 40 * GIB }, QUOTA, "disk" },
    { "disk capacity 0 is unknown", { 0, 0, 0, 0 }, { .vms = 1, .disk = 1000 * GIB }, FALSE,
      { 0 }, { .vcpus = 1, .memory = GIB, .disk = 1000 * GIB }, OK, NULL },
    { "no disk limit asks for no disk", { 0, 0, 0, 100 * GIB }, { .vms = 1, .disk = 200 * GIB },
      FALSE, { 0 }, { .vcpus = 1, .memory = GIB, .disk = 0 }, OK, NULL },

    /* order: vcpus, memory, disk */
    { "everything over: vcpus first", { 0, 4, GIB, GIB }, { .vms = 1, .vcpus = 4, .memory = GIB,
      .disk = GIB }, FALSE, { 0 }, { .vcpus = 1, .memory = GIB, .disk = GIB }, QUOTA, "vcpus" },
    { "memory and disk over: memory first", { 0, 8, GIB, GIB },
      { .vms = 1, .vcpus = 4, .memory = GIB, .disk = GIB }, FALSE, { 0 },
      { .vcpus = 1, .memory = GIB, .disk = GIB }, QUOTA, "memory" },

    /* existing VMs: only growth is refused */
    { "growing within capacity", { 8, 16, 16 * GIB, 100 * GIB },
      { .vms = 1, .vcpus = 8, .memory = 8 * GIB, .disk = 50 * GIB }, TRUE,
      { .vcpus = 2, .memory = 2 * GIB, .disk = 10 * GIB },
      { .vcpus = 8, .memory = 8 * GIB, .disk = 50 * GIB }, OK, NULL },
    { "growing vcpus past capacity", { 8, 16, 16 * GIB, 100 * GIB },
      { .vms = 1, .vcpus = 10 }, TRUE, { .vcpus = 4, .memory = GIB },
      { .vcpus = 7, .memory = GIB }, QUOTA, "vcpus" },
    { "growing memory past capacity", { 8, 16, 16 * GIB, 100 * GIB },
      { .vms = 1, .memory = 10 * GIB }, TRUE, { .vcpus = 1, .memory = 4 * GIB },
      { .vcpus = 1, .memory = 7 * GIB }, QUOTA, "memory" },
    { "growing disk past capacity", { 8, 16, 16 * GIB, 100 * GIB },
      { .vms = 1, .disk = 90 * GIB }, TRUE, { .vcpus = 1, .memory = GIB, .disk = 5 * GIB },
      { .vcpus = 1, .memory = GIB, .disk = 20 * GIB }, QUOTA, "disk" },
    { "shrinking a VM that exceeds", { 8, 16, 16 * GIB, 100 * GIB },
      { .vms = 3, .vcpus = 20, .memory = 20 * GIB, .disk = 200 * GIB }, TRUE,
      { .vcpus = 8, .memory = 8 * GIB, .disk = 80 * GIB },
      { .vcpus = 4, .memory = 4 * GIB, .disk = 40 * GIB }, OK, NULL },
    { "keeping a VM that exceeds the same", { 8, 16, 16 * GIB, 100 * GIB },
      { .vms = 3, .vcpus = 20, .memory = 20 * GIB, .disk = 200 * GIB }, TRUE,
      { .vcpus = 8, .memory = 8 * GIB, .disk = 80 * GIB },
      { .vcpus = 8, .memory = 8 * GIB, .disk = 80 * GIB }, OK, NULL },
    { "shrinking one, growing another that exceeds", { 8, 16, 16 * GIB, 100 * GIB },
      { .vms = 3, .vcpus = 20, .memory = 20 * GIB, .disk = 200 * GIB }, TRUE,
      { .vcpus = 8, .memory = 8 * GIB, .disk = 80 * GIB },
      { .vcpus = 4, .memory = 9 * GIB, .disk = 40 * GIB }, QUOTA, "memory" },
    { "growing to exactly the capacity", { 8, 16, 16 * GIB, 100 * GIB },
      { .vms = 1, .vcpus = 8, .memory = 8 * GIB, .disk = 50 * GIB }, TRUE,
      { .vcpus = 1, .memory = GIB, .disk = GIB },
      { .vcpus = 8, .memory = 8 * GIB, .disk = 50 * GIB }, OK, NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const HostCase *c = &cases[i];
      g_autoptr(VmgrVmSpec) old = c->has_old ? make_spec (&c->old, 1000) : NULL;
      g_autoptr(VmgrVmSpec) spec = make_spec (&c->spec, 1000);
      g_autoptr(GError) error = NULL;
      gboolean ok;

      g_test_message ("case %u: %s", i, c->what);
      ok = vmgr_limits_check_host (&c->capacity, &c->others, old, spec, &error);
      if (c->code == OK)
        {
          g_assert_no_error (error);
          g_assert_true (ok);
        }
      else
        {
          g_assert_false (ok);
          assert_error_mentions (error, c->code, (const char *[]) { c->resource, NULL });
          /* the message starts with the resource it is about */
          g_assert_true (g_str_has_prefix (error->message, c->resource));
        }
    }
}

static void
test_check_host_messages (void)
{
  VmgrCapacity capacity = { 8, 16, 16 * GIB, 100 * GIB };
  g_autoptr(GError) error = NULL;
  g_autoptr(VmgrVmSpec) spec = NULL;

  spec = make_spec (&(Res) { .vcpus = 9, .memory = GIB }, 0);
  g_assert_false (vmgr_limits_check_host (&capacity, &(VmgrAllocation) { 0 }, NULL, spec, &error));
  assert_error_mentions (error, VMGR_ERROR_INVALID_ARGUMENT,
                         (const char *[]) { "vcpus 9", "8 CPUs", NULL });
  g_clear_error (&error);
  g_clear_pointer (&spec, vmgr_vm_spec_free);

  spec = make_spec (&(Res) { .vcpus = 4, .memory = GIB }, 0);
  g_assert_false (vmgr_limits_check_host (&capacity, &(VmgrAllocation) { .vms = 2, .vcpus = 14 },
                                          NULL, spec, &error));
  assert_error_mentions (error, VMGR_ERROR_QUOTA_EXCEEDED,
                         (const char *[]) { "vcpus", "18", "16", "14", "the host", NULL });
  g_clear_error (&error);
  g_clear_pointer (&spec, vmgr_vm_spec_free);

  /* sizes are shown in IEC units (g_format_size puts a no-break space before the unit) */
  spec = make_spec (&(Res) { .vcpus = 1, .memory = 4 * GIB }, 0);
  g_assert_false (vmgr_limits_check_host (&capacity,
                                          &(VmgrAllocation) { .vms = 2, .memory = 14 * GIB },
                                          NULL, spec, &error));
  assert_error_mentions (error, VMGR_ERROR_QUOTA_EXCEEDED,
                         (const char *[]) { "memory", "18.0", "16.0", "14.0", "GiB",
                                            "the host", NULL });
  g_clear_error (&error);
  g_clear_pointer (&spec, vmgr_vm_spec_free);

  spec = make_spec (&(Res) { .vcpus = 1, .memory = GIB, .disk = 60 * GIB }, 0);
  g_assert_false (vmgr_limits_check_host (&capacity,
                                          &(VmgrAllocation) { .vms = 2, .disk = 50 * GIB },
                                          NULL, spec, &error));
  assert_error_mentions (error, VMGR_ERROR_QUOTA_EXCEEDED,
                         (const char *[]) { "disk", "110.0", "100.0", "50.0", "GiB", NULL });
}

/* --- customer quotas ---------------------------------------------------- */

typedef struct {
  guint32 max_vms, max_vcpus;
  guint64 max_memory, max_disk;
} Quota;

typedef struct {
  const char *what;
  Quota quota;
  VmgrAllocation others;  /* the customer's other VMs */
  gboolean has_old;
  Res old;
  Res spec;
  const char *resource;   /* NULL: allowed */
} QuotaCase;

static void
test_check_quota (void)
{
  static const QuotaCase cases[] = {
    { "no quota at all", { 0, 0, 0, 0 },
      { .vms = 1000, .vcpus = 10000, .memory = 10000 * GIB, .disk = 10000 * GIB }, FALSE, { 0 },
      { .vcpus = 64, .memory = 64 * GIB, .disk = 1000 * GIB }, NULL },

    /* vms */
    { "first VM", { 1, 0, 0, 0 }, { 0 }, FALSE, { 0 }, { .vcpus = 1, .memory = GIB }, NULL },
    { "second VM with max_vms 1", { 1, 0, 0, 0 }, { .vms = 1, .vcpus = 1, .memory = GIB },
      FALSE, { 0 }, { .vcpus = 1, .memory = GIB }, "vms" },
    { "last VM allowed", { 3, 0, 0, 0 }, { .vms = 2 }, FALSE, { 0 },
      { .vcpus = 1, .memory = GIB }, NULL },
    { "one VM too many", { 3, 0, 0, 0 }, { .vms = 3 }, FALSE, { 0 },
      { .vcpus = 1, .memory = GIB }, "vms" },
    { "changing a VM at max_vms", { 3, 0, 0, 0 }, { .vms = 2 }, TRUE,
      { .vcpus = 1, .memory = GIB }, { .vcpus = 2, .memory = 2 * GIB }, NULL },
    { "changing a VM above max_vms", { 3, 0, 0, 0 }, { .vms = 5 }, TRUE,
      { .vcpus = 1, .memory = GIB }, { .vcpus = 2, .memory = 2 * GIB }, NULL },

    /* vcpus */
    { "vcpus below quota", { 0, 8, 0, 0 }, { .vms = 1, .vcpus = 4 }, FALSE, { 0 },
      { .vcpus = 2, .memory = GIB }, NULL },
    { "vcpus at quota", { 0, 8, 0, 0 }, { .vms = 1, .vcpus = 4 }, FALSE, { 0 },
      { .vcpus = 4, .memory = GIB }, NULL },
    { "vcpus over quota", { 0, 8, 0, 0 }, { .vms = 1, .vcpus = 4 }, FALSE, { 0 },
      { .vcpus = 5, .memory = GIB }, "vcpus" },
    { "vcpus of one VM over quota", { 0, 8, 0, 0 }, { 0 }, FALSE, { 0 },
      { .vcpus = 9, .memory = GIB }, "vcpus" },

    /* memory */
    { "memory at quota", { 0, 0, 8 * GIB, 0 }, { .vms = 1, .memory = 6 * GIB }, FALSE, { 0 },
      { .vcpus = 1, .memory = 2 * GIB }, NULL },
    { "memory one byte over quota", { 0, 0, 8 * GIB, 0 }, { .vms = 1, .memory = 6 * GIB }, FALSE,
      { 0 }, { .vcpus = 1, .memory = 2 * GIB + 1 }, "memory" },

    /* disk */
    { "disk at quota", { 0, 0, 0, 100 * GIB }, { .vms = 1, .disk = 60 * GIB }, FALSE, { 0 },
      { .vcpus = 1, .memory = GIB, .disk = 40 * GIB }, NULL },
    { "disk over quota", { 0, 0, 0, 100 * GIB }, { .vms = 1, .disk = 60 * GIB }, FALSE, { 0 },
      { .vcpus = 1, .memory = GIB, .disk = 41 * GIB }, "disk" },
    { "no disk limit asks for no disk quota", { 0, 0, 0, 100 * GIB },
      { .vms = 1, .disk = 100 * GIB }, FALSE, { 0 }, { .vcpus = 1, .memory = GIB }, NULL },

    /* order: vms, vcpus, memory, disk */
    { "all over: vms first", { 1, 1, GIB, GIB },
      { .vms = 1, .vcpus = 1, .memory = GIB, .disk = GIB }, FALSE, { 0 },
      { .vcpus = 1, .memory = GIB, .disk = GIB }, "vms" },
    { "vcpus memory disk over: vcpus first", { 2, 1, GIB, GIB },
      { .vms = 1, .vcpus = 1, .memory = GIB, .disk = GIB }, FALSE, { 0 },
      { .vcpus = 1, .memory = GIB, .disk = GIB }, "vcpus" },
    { "memory and disk over: memory first", { 2, 2, GIB, GIB },
      { .vms = 1, .vcpus = 1, .memory = GIB, .disk = GIB }, FALSE, { 0 },
      { .vcpus = 1, .memory = GIB, .disk = GIB }, "memory" },

    /* an existing VM of the same owner: counted once, with its new values */
    { "same VM, same size, at quota", { 1, 2, 2 * GIB, 10 * GIB }, { 0 }, TRUE,
      { .vcpus = 2, .memory = 2 * GIB, .disk = 10 * GIB },
      { .vcpus = 2, .memory = 2 * GIB, .disk = 10 * GIB }, NULL },
    { "same VM grown to quota", { 2, 4, 4 * GIB, 20 * GIB },
      { .vms = 1, .vcpus = 2, .memory = 2 * GIB, .disk = 10 * GIB }, TRUE,
      { .vcpus = 1, .memory = GIB, .disk = GIB },
      { .vcpus = 2, .memory = 2 * GIB, .disk = 10 * GIB }, NULL },
    { "same VM grown past vcpus quota", { 2, 4, 4 * GIB, 20 * GIB },
      { .vms = 1, .vcpus = 2, .memory = 2 * GIB, .disk = 10 * GIB }, TRUE,
      { .vcpus = 1, .memory = GIB, .disk = GIB },
      { .vcpus = 3, .memory = 2 * GIB, .disk = 10 * GIB }, "vcpus" },
    { "same VM grown past memory quota", { 2, 4, 4 * GIB, 20 * GIB },
      { .vms = 1, .vcpus = 2, .memory = 2 * GIB, .disk = 10 * GIB }, TRUE,
      { .vcpus = 1, .memory = GIB, .disk = GIB },
      { .vcpus = 1, .memory = 3 * GIB, .disk = 10 * GIB }, "memory" },
    { "same VM grown past disk quota", { 2, 4, 4 * GIB, 20 * GIB },
      { .vms = 1, .vcpus = 2, .memory = 2 * GIB, .disk = 10 * GIB }, TRUE,
      { .vcpus = 1, .memory = GIB, .disk = GIB },
      { .vcpus = 1, .memory = GIB, .disk = 11 * GIB }, "disk" },
    { "shrinking while over quota", { 1, 2, 2 * GIB, 10 * GIB },
      { .vms = 3, .vcpus = 6, .memory = 6 * GIB, .disk = 30 * GIB }, TRUE,
      { .vcpus = 4, .memory = 4 * GIB, .disk = 20 * GIB },
      { .vcpus = 2, .memory = 2 * GIB, .disk = 10 * GIB }, NULL },
    { "unchanged while over quota", { 1, 2, 2 * GIB, 10 * GIB },
      { .vms = 3, .vcpus = 6, .memory = 6 * GIB, .disk = 30 * GIB }, TRUE,
      { .vcpus = 4, .memory = 4 * GIB, .disk = 20 * GIB },
      { .vcpus = 4, .memory = 4 * GIB, .disk = 20 * GIB }, NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const QuotaCase *c = &cases[i];
      g_autoptr(VmgrCustomerInfo) customer = vmgr_customer_info_new (4242);
      g_autoptr(VmgrVmSpec) old = c->has_old ? make_spec (&c->old, 4242) : NULL;
      g_autoptr(VmgrVmSpec) spec = make_spec (&c->spec, 4242);
      g_autoptr(GError) error = NULL;
      gboolean ok;

      g_test_message ("case %u: %s", i, c->what);
      customer->max_vms = c->quota.max_vms;
      customer->max_vcpus = c->quota.max_vcpus;
      customer->max_memory = c->quota.max_memory;
      customer->max_disk = c->quota.max_disk;
      ok = vmgr_limits_check_quota (customer, &c->others, old, spec, &error);
      if (c->resource == NULL)
        {
          g_assert_no_error (error);
          g_assert_true (ok);
        }
      else
        {
          g_assert_false (ok);
          assert_error_mentions (error, VMGR_ERROR_QUOTA_EXCEEDED,
                                 (const char *[]) { c->resource, "4242", NULL });
          g_assert_true (g_str_has_prefix (error->message, c->resource));
        }
    }
}

static void
test_check_quota_messages (void)
{
  g_autoptr(VmgrCustomerInfo) customer = vmgr_customer_info_new (1001);
  g_autoptr(GError) error = NULL;
  g_autoptr(VmgrVmSpec) spec = make_spec (&(Res) { .vcpus = 1, .memory = 3 * GIB }, 1001);

  customer->max_vms = 2;
  g_assert_false (vmgr_limits_check_quota (customer, &(VmgrAllocation) { .vms = 2 }, NULL, spec,
                                           &error));
  assert_error_mentions (error, VMGR_ERROR_QUOTA_EXCEEDED,
                         (const char *[]) { "vms", "customer 1001", "3", "2", NULL });
  g_clear_error (&error);

  customer->max_vms = 0;
  customer->max_memory = 4 * GIB;
  g_assert_false (vmgr_limits_check_quota (customer,
                                           &(VmgrAllocation) { .vms = 1, .memory = 2 * GIB },
                                           NULL, spec, &error));
  assert_error_mentions (error, VMGR_ERROR_QUOTA_EXCEEDED,
                         (const char *[]) { "memory", "customer 1001", "5.0", "4.0", "GiB",
                                            "2.0", NULL });
}

/* The host check and the quota check do not use each other's limits. */
static void
test_check_host_ignores_quota (void)
{
  VmgrCapacity capacity = { 0, 0, 0, 0 };
  g_autoptr(VmgrCustomerInfo) customer = vmgr_customer_info_new (7);
  g_autoptr(VmgrVmSpec) spec = make_spec (&(Res) { .vcpus = 4, .memory = 4 * GIB }, 7);
  VmgrAllocation others = { .vms = 5, .vcpus = 20, .memory = 20 * GIB };
  g_autoptr(GError) error = NULL;

  customer->max_vms = 1;
  g_assert_true (vmgr_limits_check_host (&capacity, &others, NULL, spec, &error));
  g_assert_no_error (error);
  g_assert_false (vmgr_limits_check_quota (customer, &others, NULL, spec, &error));
  g_assert_error (error, VMGR_ERROR, VMGR_ERROR_QUOTA_EXCEEDED);
}

/* Huge requests must not wrap the sums around and slip past a limit. */
static void
test_no_wrap_around (void)
{
  const Res huge_memory = { .vcpus = 1, .memory = G_MAXUINT64 - (G_GUINT64_CONSTANT (1) << 30) + 1 };
  const Res huge_disk = { .vcpus = 1, .memory = 1, .disk = G_MAXUINT64 };
  VmgrCapacity capacity = { .host_cpus = 4, .vcpus = 16, .memory = G_GUINT64_CONSTANT (16) << 30,
                            .disk = G_GUINT64_CONSTANT (100) << 30 };
  VmgrAllocation others = { .vms = 1, .vcpus = 1, .memory = G_GUINT64_CONSTANT (1) << 30,
                            .disk = G_GUINT64_CONSTANT (1) << 30 };
  g_autoptr(VmgrCustomerInfo) customer = vmgr_customer_info_new (60002);
  g_autoptr(VmgrVmSpec) memory_spec = make_spec (&huge_memory, 60002);
  g_autoptr(VmgrVmSpec) disk_spec = make_spec (&huge_disk, 60002);
  VmgrAllocation sum = others;
  g_autoptr(GError) error = NULL;

  g_assert_false (vmgr_limits_check_host (&capacity, &others, NULL, memory_spec, &error));
  g_assert_error (error, VMGR_ERROR, VMGR_ERROR_QUOTA_EXCEEDED);
  g_clear_error (&error);
  g_assert_false (vmgr_limits_check_host (&capacity, &others, NULL, disk_spec, &error));
  g_assert_error (error, VMGR_ERROR, VMGR_ERROR_QUOTA_EXCEEDED);
  g_clear_error (&error);
  customer->max_memory = G_GUINT64_CONSTANT (4) << 30;
  g_assert_false (vmgr_limits_check_quota (customer, &others, NULL, memory_spec, &error));
  g_assert_error (error, VMGR_ERROR, VMGR_ERROR_QUOTA_EXCEEDED);
  vmgr_allocation_add (&sum, disk_spec);
  g_assert_cmpuint (sum.disk, ==, G_MAXUINT64);
}

/* The least a VM may have, per backend; only changed values are judged. */
static void
test_check_minimums (void)
{
  static const char * const qemu_caps[] = { "disk-quota", NULL };
  static const char * const no_caps[] = { NULL };
  static const struct {
    const char *backend;
    gboolean has_old;
    Res old;
    Res res;
    gboolean ok;
    const char *mentions;
  } cases[] = {
    { "test", FALSE, { 0 }, { .vcpus = 1, .memory = 16 * MIB }, TRUE, NULL },
    { "test", FALSE, { 0 }, { .vcpus = 1, .memory = 1 }, FALSE, "16 MiB" },
    { "lxc", FALSE, { 0 }, { .vcpus = 1, .memory = 16 * MIB - 1 }, FALSE, "memory_limit" },
    { "qemu", FALSE, { 0 }, { .vcpus = 1, .memory = 32 * MIB }, FALSE, "64 MiB" },
    { "qemu", FALSE, { 0 }, { .vcpus = 1, .memory = 64 * MIB }, TRUE, NULL },
    { "test", FALSE, { 0 }, { .vcpus = 1, .memory = 64 * MIB, .disk = 1 }, FALSE, "disk_hard_limit" },
    { "test", FALSE, { 0 }, { .vcpus = 1, .memory = 64 * MIB, .disk = 0 }, TRUE, NULL },
    /* A value set before the minimums is left alone while it does not change. */
    { "test", TRUE, { .vcpus = 1, .memory = 1 }, { .vcpus = 2, .memory = 1 }, TRUE, NULL },
    /* Where the disk limit is the disk's size it only grows. */
    { "qemu", TRUE, { .vcpus = 1, .memory = 64 * MIB, .disk = GIB },
      { .vcpus = 1, .memory = 64 * MIB, .disk = 0 }, FALSE, "not shrink" },
    { "qemu", TRUE, { .vcpus = 1, .memory = 64 * MIB, .disk = GIB },
      { .vcpus = 1, .memory = 64 * MIB, .disk = GIB / 2 }, FALSE, "not shrink" },
    { "qemu", TRUE, { .vcpus = 1, .memory = 64 * MIB, .disk = GIB },
      { .vcpus = 1, .memory = 64 * MIB, .disk = 2 * GIB }, TRUE, NULL },
    { "lxc", TRUE, { .vcpus = 1, .memory = 64 * MIB, .disk = GIB },
      { .vcpus = 1, .memory = 64 * MIB, .disk = 0 }, TRUE, NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(VmgrVmSpec) old = cases[i].has_old ? make_spec (&cases[i].old, 1000) : NULL;
      g_autoptr(VmgrVmSpec) spec = make_spec (&cases[i].res, 1000);
      g_autoptr(GError) error = NULL;
      const char * const *caps = g_str_equal (cases[i].backend, "qemu") ? qemu_caps : no_caps;
      gboolean ok = vmgr_limits_check_minimums (caps, cases[i].backend, old, spec, &error);

      g_test_message ("case %u: %s", i, error != NULL ? error->message : "ok");
      g_assert_cmpint (ok, ==, cases[i].ok);
      if (!cases[i].ok)
        {
          const char *parts[] = { cases[i].mentions, NULL };

          assert_error_mentions (error, VMGR_ERROR_INVALID_ARGUMENT, parts);
        }
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/limits/no-wrap-around", test_no_wrap_around);
  g_test_add_func ("/limits/allocation/add", test_allocation_add);
  g_test_add_func ("/limits/allocation/add-to-existing", test_allocation_add_to_existing);
  g_test_add_func ("/limits/allocation/to-variant", test_allocation_to_variant);
  g_test_add_func ("/limits/allocation/to-variant-floating", test_allocation_to_variant_floating);
  g_test_add_func ("/limits/capabilities", test_check_capabilities);
  g_test_add_func ("/limits/capabilities/null-error", test_check_capabilities_null_error);
  g_test_add_func ("/limits/minimums", test_check_minimums);
  g_test_add_func ("/limits/host", test_check_host);
  g_test_add_func ("/limits/host/messages", test_check_host_messages);
  g_test_add_func ("/limits/host/ignores-quota", test_check_host_ignores_quota);
  g_test_add_func ("/limits/quota", test_check_quota);
  g_test_add_func ("/limits/quota/messages", test_check_quota_messages);

  return g_test_run ();
}
