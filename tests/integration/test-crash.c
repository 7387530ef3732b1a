/* Crash consistency: vmgrd SIGKILLed at random moments under a
 * concurrent mutation workload, and during its very first start.
 *
 * /crash/workload: several clients (threads, each its own connection as
 * root) create, reconfigure (SetMemory, SetCpu, SetAutostart) and delete
 * VMs, and add and remove plans and templates, each on objects of its
 * own, while vmgrd is killed at random moments and started again. After
 * each kill, on a copy of the store as the kill left it: the integrity
 * check passes, and every acknowledged change (a call that got a
 * successful reply) has its "allowed" audit row from that connection
 * (no more rows than changes that were acknowledged or in doubt). After
 * each restart: every acknowledged change is there (a call cut off by
 * the kill may have landed or not: either is accepted, and what is found
 * is what counts from then on), nothing was changed by a call that was
 * refused, every VM vmgrd lists has all its properties and its store row
 * its definition.
 *
 * /crash/first-start: vmgrd killed during its first start on an empty
 * state directory, several times: the store holds the whole default
 * catalogue (3 plans, 5 templates) or none of it, and the next start
 * completes it.
 *
 *   VMGR_CRASH_SEED=S     the seed of kill moments and operations (printed)
 *   VMGR_CRASH_KILLS=N    kills under the workload (default: CI-sized)
 *   VMGR_CRASH_FIRST_STARTS=N  kills during a first start
 */
#include <glib/gstdio.h>
#include <signal.h>
#include <sqlite3.h>
#include <string.h>

#include "vmgr-test-client.h"
#include "vmgr-test-env.h"

#define MiB (G_GUINT64_CONSTANT (1) << 20)
#define DEFAULT_SEED 20261216
#define DEFAULT_KILLS 40
#define DEFAULT_FIRST_STARTS 10
#define N_CLIENTS 4
#define CALL_TIMEOUT_MS 20000

static guint64
env_number (const char *name, guint64 fallback)
{
  const char *value = g_getenv (name);

  return value != NULL && *value != '\0' ? g_ascii_strtoull (value, NULL, 0) : fallback;
}

/* ---- What each client expects --------------------------------------------- */

typedef enum { NO, YES, MAYBE } Presence;
typedef enum { VM, PLAN, TEMPLATE } ObjectKind;

/* A value that is known, or one of two after a call cut off by a kill. */
typedef struct {
  gboolean known;
  guint64 value;
  gboolean doubt;
  guint64 other;
} Expected;

typedef struct {
  ObjectKind kind;
  char *name;
  char *path;               /* VMs: known once created */
  Presence presence;
  Expected memory_limit;
  Expected cpu_weight;
  Expected autostart;
} Object;

typedef struct {
  guint number;
  GRand *rand;
  GPtrArray *objects;       /* Object, never removed */
  guint created;
  /* this generation (between two kills) */
  GDBusConnection *bus;
  char *bus_name;
  GHashTable *acked;        /* "action target" -> count acknowledged */
  GHashTable *doubtful;     /* "action target" -> count cut off */
  volatile gint *stop;
  guint acked_total;
  guint doubt_total;
  guint refused_total;
} Client;

static void
object_free (Object *object)
{
  g_free (object->name);
  g_free (object->path);
  g_free (object);
}

static void
count_in (GHashTable *table, const char *action, const char *target)
{
  g_autofree char *key = g_strdup_printf ("%s %s", action, target);
  guint n = GPOINTER_TO_UINT (g_hash_table_lookup (table, key));

  g_hash_table_insert (table, g_steal_pointer (&key), GUINT_TO_POINTER (n + 1));
}

static void
expect (Expected *expected, guint64 value)
{
  expected->known = TRUE;
  expected->value = value;
  expected->doubt = FALSE;
}

static void
expect_either (Expected *expected, guint64 value)
{
  if (!expected->known)
    return;
  expected->doubt = TRUE;
  expected->other = value;
}

static gboolean
matches (const Expected *expected, guint64 actual)
{
  return !expected->known || actual == expected->value ||
         (expected->doubt && actual == expected->other);
}

/* ---- The workload ------------------------------------------------------------ */

typedef enum { ACKED, REFUSED, CUT_OFF } Outcome;

static Outcome
mutate (Client *client, const char *path, const char *interface, const char *member,
        GVariant *args, const char *action, GVariant **reply)
{
  g_autoptr(GError) error = NULL;
  const char *target = path;
  GVariant *result = g_dbus_connection_call_sync (client->bus, VMGR_TEST_BUS_NAME, path,
                                                  interface, member, args, NULL,
                                                  G_DBUS_CALL_FLAGS_NONE, CALL_TIMEOUT_MS,
                                                  NULL, &error);
  g_autofree char *remote = error != NULL ? g_dbus_error_get_remote_error (error) : NULL;

  if (result != NULL)
    {
      count_in (client->acked, action, target);
      client->acked_total++;
      if (reply != NULL)
        *reply = result;
      else
        g_variant_unref (result);
      return ACKED;
    }
  if (remote != NULL && g_str_has_prefix (remote, "org.vmgr.Error."))
    {
      client->refused_total++;
      return REFUSED;
    }
  count_in (client->doubtful, action, target);
  client->doubt_total++;
  return CUT_OFF;
}

static Object *
pick (Client *client, ObjectKind kind)
{
  g_autoptr(GPtrArray) candidates = g_ptr_array_new ();

  for (guint i = 0; i < client->objects->len; i++)
    {
      Object *object = g_ptr_array_index (client->objects, i);

      if (object->kind == kind && object->presence == YES)
        g_ptr_array_add (candidates, object);
    }
  if (candidates->len == 0)
    return NULL;
  return g_ptr_array_index (candidates, g_rand_int_range (client->rand, 0, candidates->len));
}

static guint
count_present (Client *client, ObjectKind kind)
{
  guint n = 0;

  for (guint i = 0; i < client->objects->len; i++)
    {
      Object *object = g_ptr_array_index (client->objects, i);

      n += object->kind == kind && object->presence != NO;
    }
  return n;
}

static Object *
new_object (Client *client, ObjectKind kind)
{
  Object *object = g_new0 (Object, 1);
  static const char prefix[] = { 'v', 'p', 't' };

  object->kind = kind;
  object->name = g_strdup_printf ("%c%u-%u", prefix[kind], client->number, client->created++);
  object->presence = NO;
  g_ptr_array_add (client->objects, object);
  return object;
}

static Outcome
create_vm (Client *client)
{
  Object *vm = new_object (client, VM);
  GVariant *reply = NULL;
  Outcome outcome = mutate (client, "/org/vmgr/Manager", "org.vmgr.Manager", "CreateVM",
                            g_variant_new_parsed ("(%s, 'debian-12', 'basic', @a{sv} {})", vm->name),
                            "org.vmgr.vm.create", &reply);

  if (outcome == ACKED)
    {
      g_variant_get (reply, "(o)", &vm->path);
      g_variant_unref (reply);
      vm->presence = YES;
      expect (&vm->memory_limit, 64 * MiB);
      expect (&vm->autostart, FALSE);
    }
  else if (outcome == CUT_OFF)
    vm->presence = MAYBE;
  return outcome;
}

static Outcome
reconfigure_vm (Client *client, Object *vm)
{
  Outcome outcome;

  switch (g_rand_int_range (client->rand, 0, 3))
    {
    case 0:
      {
        guint64 memory = (guint64) g_rand_int_range (client->rand, 32, 129) * MiB;

        outcome = mutate (client, vm->path, "org.vmgr.VM", "SetMemory",
                          g_variant_new ("(ttt)", (guint64) 0, (guint64) 0, memory),
                          "org.vmgr.vm.configure", NULL);
        if (outcome == ACKED)
          expect (&vm->memory_limit, memory);
        else if (outcome == CUT_OFF)
          expect_either (&vm->memory_limit, memory);
        return outcome;
      }
    case 1:
      {
        guint weight = g_rand_int_range (client->rand, 1, 10001);

        outcome = mutate (client, vm->path, "org.vmgr.VM", "SetCpu",
                          g_variant_new ("(uuu)", 1, weight, 0), "org.vmgr.vm.configure", NULL);
        if (outcome == ACKED)
          expect (&vm->cpu_weight, weight);
        else if (outcome == CUT_OFF)
          expect_either (&vm->cpu_weight, weight);
        return outcome;
      }
    default:
      {
        gboolean autostart = g_rand_boolean (client->rand);

        outcome = mutate (client, vm->path, "org.vmgr.VM", "SetAutostart",
                          g_variant_new ("(b)", autostart), "org.vmgr.vm.configure", NULL);
        if (outcome == ACKED)
          expect (&vm->autostart, autostart);
        else if (outcome == CUT_OFF)
          expect_either (&vm->autostart, autostart);
        return outcome;
      }
    }
}

static Outcome
remove_object (Client *client, Object *object)
{
  Outcome outcome;

  if (object->kind == VM)
    outcome = mutate (client, object->path, "org.vmgr.VM", "Delete", NULL, "org.vmgr.vm.delete",
                      NULL);
  else if (object->kind == PLAN)
    outcome = mutate (client, "/org/vmgr/Manager", "org.vmgr.Manager", "RemovePlan",
                      g_variant_new ("(s)", object->name), "org.vmgr.plans.manage", NULL);
  else
    outcome = mutate (client, "/org/vmgr/Manager", "org.vmgr.Manager", "RemoveTemplate",
                      g_variant_new ("(s)", object->name), "org.vmgr.templates.manage", NULL);
  if (outcome == ACKED)
    object->presence = NO;
  else if (outcome == CUT_OFF)
    object->presence = MAYBE;
  return outcome;
}

static Outcome
add_catalog_entry (Client *client, ObjectKind kind)
{
  Object *object = new_object (client, kind);
  Outcome outcome;

  if (kind == PLAN)
    outcome = mutate (client, "/org/vmgr/Manager", "org.vmgr.Manager", "SetPlan",
                      g_variant_new_parsed ("(%s, {'memory_limit': <%t>})", object->name,
                                            (guint64) g_rand_int_range (client->rand, 32, 257) * MiB),
                      "org.vmgr.plans.manage", NULL);
  else
    outcome = mutate (client, "/org/vmgr/Manager", "org.vmgr.Manager", "AddTemplate",
                      g_variant_new_parsed ("(%s, {'os': <'Crash OS'>})", object->name),
                      "org.vmgr.templates.manage", NULL);
  if (outcome == ACKED)
    object->presence = YES;
  else if (outcome == CUT_OFF)
    object->presence = MAYBE;
  return outcome;
}

static Outcome
one_operation (Client *client)
{
  guint roll = g_rand_int_range (client->rand, 0, 100);
  Object *object;

  if (roll < 20)
    return count_present (client, VM) < 3 || (object = pick (client, VM)) == NULL
             ? create_vm (client) : remove_object (client, object);
  if (roll < 70 && (object = pick (client, VM)) != NULL)
    return reconfigure_vm (client, object);
  if (roll < 85)
    {
      if (count_present (client, PLAN) < 2 || (object = pick (client, PLAN)) == NULL)
        return add_catalog_entry (client, PLAN);
      return remove_object (client, object);
    }
  if (count_present (client, TEMPLATE) < 2 || (object = pick (client, TEMPLATE)) == NULL)
    return add_catalog_entry (client, TEMPLATE);
  return remove_object (client, object);
}

static gpointer
client_thread (gpointer data)
{
  Client *client = data;

  while (!g_atomic_int_get (client->stop))
    if (one_operation (client) == CUT_OFF)
      break;
  return NULL;
}

/* ---- Checks ------------------------------------------------------------------ */

static VmgrTestDaemon *vmgrd;

/* A copy of the store files as the kill left them, opened (which recovers
 * its write-ahead log as a restart would). */
static sqlite3 *
open_store_copy (const char *state_dir, const char *copy_dir)
{
  static const char *const suffixes[] = { "", "-wal" };
  g_autofree char *copy = g_build_filename (copy_dir, "vmgr.db", NULL);
  sqlite3 *db = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++)
    {
      g_autofree char *from = g_strdup_printf ("%s/vmgr.db%s", state_dir, suffixes[i]);
      g_autofree char *to = g_strdup_printf ("%s%s", copy, suffixes[i]);
      g_autofree char *contents = NULL;
      gsize length = 0;

      if (!g_file_get_contents (from, &contents, &length, NULL))
        continue;
      g_assert_true (g_file_set_contents (to, contents, length, NULL));
    }
  g_assert_cmpint (sqlite3_open (copy, &db), ==, SQLITE_OK);
  return db;
}

static char *
query_text (sqlite3 *db, const char *sql)
{
  sqlite3_stmt *stmt = NULL;
  char *text = NULL;

  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    text = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  return text;
}

/* "action target" -> allowed rows, of the connection @bus_name. */
static GHashTable *
allowed_rows (sqlite3 *db, const char *bus_name)
{
  GHashTable *rows = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autofree char *caller = g_strdup_printf ("root (%s)", bus_name);
  sqlite3_stmt *stmt = NULL;

  g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT action, target, count(*) FROM audit"
                                           " WHERE caller = ?1 AND result = 'allowed'"
                                           " GROUP BY action, target", -1, &stmt, NULL), ==, SQLITE_OK);
  sqlite3_bind_text (stmt, 1, caller, -1, SQLITE_TRANSIENT);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    g_hash_table_insert (rows, g_strdup_printf ("%s %s", sqlite3_column_text (stmt, 0),
                                                sqlite3_column_text (stmt, 1)),
                         GUINT_TO_POINTER ((guint) sqlite3_column_int (stmt, 2)));
  sqlite3_finalize (stmt);
  return rows;
}

static guint failures;

#define check(condition, ...) \
  G_STMT_START { if (!(condition)) { failures++; g_test_message (__VA_ARGS__); } } G_STMT_END

/* The store as the kill left it: whole, and every acknowledged change of
 * this generation with its audit row. */
static void
check_store_after_kill (Client *clients, guint kill)
{
  g_autofree char *dir = g_build_filename (vmgr_test_daemon_get_state_dir (vmgrd), "copy", NULL);
  sqlite3 *db;
  g_autofree char *integrity = NULL;
  g_autofree char *half_made = NULL;

  vmgr_test_remove_dir (dir);
  g_assert_cmpint (g_mkdir (dir, 0700), ==, 0);
  db = open_store_copy (vmgr_test_daemon_get_state_dir (vmgrd), dir);
  integrity = query_text (db, "PRAGMA integrity_check");
  check (g_strcmp0 (integrity, "ok") == 0, "kill %u: integrity check: %s", kill, integrity);
  half_made = query_text (db, "SELECT group_concat(name) FROM vms WHERE domain_xml = ''"
                              " OR uuid = '' OR name = ''");
  check (half_made == NULL, "kill %u: VMs without their definition in the store: %s", kill,
         half_made);
  for (guint c = 0; c < N_CLIENTS; c++)
    {
      g_autoptr(GHashTable) rows = NULL;
      GHashTableIter iter;
      gpointer key, value;

      if (clients[c].bus_name == NULL)
        continue;
      rows = allowed_rows (db, clients[c].bus_name);
      g_hash_table_iter_init (&iter, clients[c].acked);
      while (g_hash_table_iter_next (&iter, &key, &value))
        {
          guint found = GPOINTER_TO_UINT (g_hash_table_lookup (rows, key));

          check (found >= GPOINTER_TO_UINT (value),
                 "kill %u: client %u (%s): %u acknowledged %s, %u audit rows", kill, c,
                 clients[c].bus_name, GPOINTER_TO_UINT (value), (const char *) key, found);
        }
      g_hash_table_iter_init (&iter, rows);
      while (g_hash_table_iter_next (&iter, &key, &value))
        {
          guint allowed = GPOINTER_TO_UINT (g_hash_table_lookup (clients[c].acked, key)) +
                          GPOINTER_TO_UINT (g_hash_table_lookup (clients[c].doubtful, key));

          check (GPOINTER_TO_UINT (value) <= allowed,
                 "kill %u: client %u: %u 'allowed' rows for %s, only %u calls acknowledged or cut off",
                 kill, c, GPOINTER_TO_UINT (value), (const char *) key, allowed);
        }
    }
  sqlite3_close (db);
  vmgr_test_remove_dir (dir);
}

static GVariant *
root_call (VmgrTestClient *root, const char *path, const char *interface, const char *member,
           GVariant *args)
{
  g_autoptr(GError) error = NULL;
  GVariant *reply = vmgr_test_call (root, path, interface, member, args, &error);

  g_assert_no_error (error);
  return reply;
}

static GHashTable *
catalogue_names (VmgrTestClient *root, const char *member)
{
  g_autoptr(GVariant) reply = root_call (root, "/org/vmgr/Manager", "org.vmgr.Manager", member, NULL);
  g_autoptr(GVariantIter) iter = NULL;
  GHashTable *names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  const char *name;

  g_variant_get (reply, "(a(sa{sv}))", &iter);
  while (g_variant_iter_loop (iter, "(&s@a{sv})", &name, NULL))
    g_hash_table_add (names, g_strdup (name));
  return names;
}

static guint64
property_number (GVariant *properties, const char *name)
{
  g_autoptr(GVariant) value = g_variant_lookup_value (properties, name, NULL);

  g_assert_nonnull (value);
  if (g_variant_is_of_type (value, G_VARIANT_TYPE_UINT64))
    return g_variant_get_uint64 (value);
  if (g_variant_is_of_type (value, G_VARIANT_TYPE_UINT32))
    return g_variant_get_uint32 (value);
  return g_variant_get_boolean (value);
}

/* After the restart: what vmgrd shows against what was acknowledged; then
 * what is found becomes what is expected. */
static void
check_after_restart (Client *clients, guint kill, guint *landed)
{
  g_autoptr(VmgrTestClient) root = vmgr_test_client_new ();
  g_autoptr(GHashTable) plans = catalogue_names (root, "ListPlans");
  g_autoptr(GHashTable) templates = catalogue_names (root, "ListTemplates");
  g_autoptr(GHashTable) vms = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                     (GDestroyNotify) g_variant_unref);
  g_autofree char **paths = NULL;
  g_autoptr(GError) error = NULL;
  guint n_properties = 0;
  GDBusInterfaceInfo *info = vmgr_dbus_vm_interface_info ();

  while (info->properties[n_properties] != NULL)
    n_properties++;
  vmgr_dbus_manager_call_list_vms_sync (root->manager, &paths, NULL, &error);
  g_assert_no_error (error);
  for (guint i = 0; paths[i] != NULL; i++)
    {
      g_autoptr(GVariant) reply = root_call (root, paths[i], "org.freedesktop.DBus.Properties",
                                             "GetAll", g_variant_new ("(s)", "org.vmgr.VM"));
      GVariant *properties = g_variant_get_child_value (reply, 0);
      const char *name = NULL;

      check (g_variant_n_children (properties) == n_properties,
             "kill %u: %s has %" G_GSIZE_FORMAT " properties of %u", kill, paths[i],
             g_variant_n_children (properties), n_properties);
      g_variant_lookup (properties, "Name", "&s", &name);
      g_hash_table_insert (vms, g_strdup (name), properties);
    }
  g_strfreev (g_steal_pointer (&paths));

  for (guint c = 0; c < N_CLIENTS; c++)
    for (guint i = 0; i < clients[c].objects->len; i++)
      {
        Object *object = g_ptr_array_index (clients[c].objects, i);
        GHashTable *found_in = object->kind == VM ? vms : object->kind == PLAN ? plans : templates;
        gboolean found = g_hash_table_contains (found_in, object->name);
        GVariant *properties = object->kind == VM ? g_hash_table_lookup (vms, object->name) : NULL;

        check (object->presence == MAYBE || found == (object->presence == YES),
               "kill %u: %s %s after an acknowledged %s", kill,
               found ? "found" : "missing", object->name,
               object->presence == YES ? "creation" : "removal");
        if (object->presence == MAYBE && found)
          (*landed)++;
        object->presence = found ? YES : NO;
        if (properties != NULL)
          {
            guint64 memory = property_number (properties, "MemoryLimit");
            guint64 weight = property_number (properties, "CpuWeight");
            guint64 autostart = property_number (properties, "Autostart");

            check (matches (&object->memory_limit, memory),
                   "kill %u: %s has MemoryLimit %" G_GUINT64_FORMAT ", %" G_GUINT64_FORMAT
                   " was acknowledged", kill, object->name, memory, object->memory_limit.value);
            check (matches (&object->cpu_weight, weight),
                   "kill %u: %s has CpuWeight %" G_GUINT64_FORMAT ", %" G_GUINT64_FORMAT
                   " was acknowledged", kill, object->name, weight, object->cpu_weight.value);
            check (matches (&object->autostart, autostart),
                   "kill %u: %s has Autostart %" G_GUINT64_FORMAT ", %" G_GUINT64_FORMAT
                   " was acknowledged", kill, object->name, autostart, object->autostart.value);
            if (object->path == NULL)
              {
                guint32 id = (guint32) property_number (properties, "Id");

                object->path = g_strdup_printf ("/org/vmgr/vm/%u", id);
              }
            expect (&object->memory_limit, memory);
            expect (&object->cpu_weight, weight);
            expect (&object->autostart, autostart);
          }
      }
}

static void
test_workload (void)
{
  guint64 seed = env_number ("VMGR_CRASH_SEED", DEFAULT_SEED);
  guint kills = (guint) env_number ("VMGR_CRASH_KILLS", DEFAULT_KILLS);
  g_autoptr(GRand) rand = g_rand_new_with_seed ((guint32) seed);
  g_autofree char *state_dir = vmgr_test_make_state_dir ();
  Client clients[N_CLIENTS] = { 0 };
  guint acked = 0, doubt = 0, refused = 0, landed = 0;
  gint64 start = g_get_monotonic_time ();
  volatile gint stop = 0;

  g_test_message ("VMGR_CRASH_SEED=%" G_GUINT64_FORMAT " VMGR_CRASH_KILLS=%u", seed, kills);
  vmgrd = vmgr_test_daemon_start (state_dir, "[monitoring]\ninterval=3600\n");
  for (guint c = 0; c < N_CLIENTS; c++)
    {
      clients[c].number = c;
      clients[c].rand = g_rand_new_with_seed ((guint32) (seed * 31 + c));
      clients[c].objects = g_ptr_array_new_with_free_func ((GDestroyNotify) object_free);
      clients[c].stop = &stop;
    }
  for (guint kill = 1; kill <= kills; kill++)
    {
      GThread *threads[N_CLIENTS];

      g_atomic_int_set (&stop, 0);
      for (guint c = 0; c < N_CLIENTS; c++)
        {
          clients[c].bus = vmgr_test_connect_system ();
          clients[c].bus_name = g_strdup (g_dbus_connection_get_unique_name (clients[c].bus));
          clients[c].acked = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
          clients[c].doubtful = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
          threads[c] = g_thread_new ("client", client_thread, &clients[c]);
        }
      g_usleep ((gulong) g_rand_int_range (rand, 20, 400) * 1000);
      vmgr_test_daemon_kill (vmgrd);
      g_atomic_int_set (&stop, 1);
      for (guint c = 0; c < N_CLIENTS; c++)
        g_thread_join (threads[c]);
      check_store_after_kill (clients, kill);
      vmgr_test_daemon_restart (vmgrd);
      check_after_restart (clients, kill, &landed);
      for (guint c = 0; c < N_CLIENTS; c++)
        {
          g_dbus_connection_close_sync (clients[c].bus, NULL, NULL);
          g_clear_object (&clients[c].bus);
          g_clear_pointer (&clients[c].bus_name, g_free);
          g_clear_pointer (&clients[c].acked, g_hash_table_unref);
          g_clear_pointer (&clients[c].doubtful, g_hash_table_unref);
        }
    }
  for (guint c = 0; c < N_CLIENTS; c++)
    {
      acked += clients[c].acked_total;
      doubt += clients[c].doubt_total;
      refused += clients[c].refused_total;
      g_ptr_array_unref (clients[c].objects);
      g_rand_free (clients[c].rand);
    }
  g_test_message ("%u kills in %.1f s: %u acknowledged writes, %u refused, %u cut off by a kill"
                  " (%u of the creations and removals among them landed), %u failures",
                  kills, (g_get_monotonic_time () - start) / 1e6, acked, refused, doubt, landed,
                  failures);
  vmgr_test_daemon_stop (vmgrd);
  if (failures > 0)
    vmgr_test_daemon_dump_log (vmgrd);
  g_clear_pointer (&vmgrd, vmgr_test_daemon_free);
  vmgr_test_remove_dir (state_dir);
  g_assert_cmpuint (failures, ==, 0);
  g_assert_cmpuint (acked, >, 0);
}

/* ---- The first start ------------------------------------------------------------ */

static gint64
count_rows (sqlite3 *db, const char *table)
{
  g_autofree char *exists = g_strdup_printf ("SELECT count(*) FROM sqlite_master WHERE name = '%s'",
                                             table);
  g_autofree char *sql = g_strdup_printf ("SELECT count(*) FROM %s", table);
  g_autofree char *found = query_text (db, exists);
  g_autofree char *text = NULL;

  if (g_strcmp0 (found, "1") != 0)
    return -1;
  text = query_text (db, sql);

  return text != NULL ? g_ascii_strtoll (text, NULL, 10) : -1;
}

/* vmgrd on an empty state directory, killed once its store file appears,
 * after a random moment. */
static void
kill_during_first_start (const char *state_dir, guint delay_us)
{
  g_autofree char *vmgrd_path = vmgr_test_build_path ("service/vmgrd");
  g_autofree char *config = g_build_filename (state_dir, "vmgrd.conf", NULL);
  g_autofree char *db = g_build_filename (state_dir, "vmgr.db", NULL);
  const char *argv[] = { vmgrd_path, "--system", "--config", config, "--state-dir", state_dir,
                         "--uri", "test:///default", NULL };
  g_autoptr(GSubprocessLauncher) launcher =
    g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  g_assert_true (g_file_set_contents (config, "[daemon]\n", -1, NULL));
  process = g_subprocess_launcher_spawnv (launcher, argv, &error);
  g_assert_no_error (error);
  while (!g_file_test (db, G_FILE_TEST_EXISTS) && g_get_monotonic_time () < deadline)
    g_usleep (50);
  g_usleep (delay_us);
  g_subprocess_force_exit (process);
  g_subprocess_wait (process, NULL, &error);
  g_assert_no_error (error);
}

static void
test_first_start (void)
{
  guint64 seed = env_number ("VMGR_CRASH_SEED", DEFAULT_SEED);
  guint runs = (guint) env_number ("VMGR_CRASH_FIRST_STARTS", DEFAULT_FIRST_STARTS);
  g_autoptr(GRand) rand = g_rand_new_with_seed ((guint32) seed);
  guint empty = 0, whole = 0;

  for (guint run = 0; run < runs; run++)
    {
      g_autofree char *state_dir = vmgr_test_make_state_dir ();
      g_autofree char *copy_dir = g_build_filename (state_dir, "copy", NULL);
      /* Seeding takes a few milliseconds; kills spread over it. */
      guint delay_us = g_rand_int_range (rand, 0, 80000);
      gint64 plans, templates;
      sqlite3 *db;
      g_autoptr(VmgrTestClient) root = NULL;
      g_autoptr(GHashTable) plan_names = NULL;
      g_autoptr(GHashTable) template_names = NULL;

      vmgrd = NULL;
      kill_during_first_start (state_dir, delay_us);
      g_assert_cmpint (g_mkdir (copy_dir, 0700), ==, 0);
      db = open_store_copy (state_dir, copy_dir);
      plans = count_rows (db, "plans");
      templates = count_rows (db, "templates");
      sqlite3_close (db);
      g_test_message ("killed %u us after the store appeared: %" G_GINT64_FORMAT " plans, %"
                      G_GINT64_FORMAT " templates", delay_us, plans, templates);
      /* No table yet (-1), or all of the catalogue, or none of it. */
      g_assert_true ((plans <= 0 && templates <= 0) || (plans == 3 && templates == 5));
      if (plans == 3)
        whole++;
      else
        empty++;

      vmgrd = vmgr_test_daemon_start (state_dir, "[daemon]\n");
      root = vmgr_test_client_new ();
      plan_names = catalogue_names (root, "ListPlans");
      template_names = catalogue_names (root, "ListTemplates");
      g_assert_cmpuint (g_hash_table_size (plan_names), ==, 3);
      g_assert_true (g_hash_table_contains (plan_names, "basic"));
      g_assert_true (g_hash_table_contains (plan_names, "complete"));
      g_assert_true (g_hash_table_contains (plan_names, "professional"));
      g_assert_cmpuint (g_hash_table_size (template_names), ==, 5);
      vmgr_test_daemon_stop (vmgrd);
      g_clear_pointer (&vmgrd, vmgr_test_daemon_free);
      vmgr_test_remove_dir (state_dir);
    }
  g_test_message ("%u first starts killed: %u before the catalogue was written, %u after", runs,
                  empty, whole);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/crash/first-start", test_first_start);
  g_test_add_func ("/crash/workload", test_workload);
  return g_test_run ();
}
