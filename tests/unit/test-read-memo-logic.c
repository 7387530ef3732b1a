/* The read memo without a bus: what it answers, for how long, what drops
 * it, and the order of a caller's reads behind its other calls. */
#include <gio/gio.h>

#include "vmgr-read-memo.h"

#define PATH "/org/vmgr/vm/7"
#define IFACE "org.vmgr.VM"
#define ALICE ":1.7"
#define BOB ":1.8"
#define HOUR (G_USEC_PER_SEC * (gint64) 3600)

static guint32 next_serial = 1;

static GDBusMessage *
call_from (const char *sender, const char *path, const char *interface, const char *member,
           GVariant *body)
{
  GDBusMessage *call = g_dbus_message_new_method_call ("org.vmgr", path, interface, member);

  g_dbus_message_set_sender (call, sender);
  g_dbus_message_set_serial (call, next_serial++);
  if (body != NULL)
    g_dbus_message_set_body (call, body);
  return call;
}

static GDBusMessage *
get_call (const char *sender, const char *name)
{
  return call_from (sender, PATH, "org.freedesktop.DBus.Properties", "Get",
                    g_variant_new ("(ss)", IFACE, name));
}

static GDBusMessage *
get_all_call (const char *sender)
{
  return call_from (sender, PATH, "org.freedesktop.DBus.Properties", "GetAll",
                    g_variant_new ("(s)", IFACE));
}

static GDBusMessage *
reply_to (GDBusMessage *call)
{
  GDBusMessage *reply = g_dbus_message_new_method_reply (call);

  g_dbus_message_set_serial (reply, next_serial++);
  return reply;
}

static GVariant *
properties (const char *state)
{
  GVariantDict dict;

  g_variant_dict_init (&dict, NULL);
  g_variant_dict_insert (&dict, "State", "s", state);
  g_variant_dict_insert (&dict, "Id", "u", 7);
  return g_variant_ref_sink (g_variant_dict_end (&dict));
}

static void
remember (VmgrReadMemo *memo, const char *sender, const char *member, const char *target,
          gint64 valid_until, const char *state)
{
  g_autoptr(GVariant) props = properties (state);

  vmgr_read_memo_remember (memo, vmgr_read_memo_epoch (memo), sender, PATH, IFACE, member,
                           target, valid_until, props);
}

/* The state a Get of State from @sender is answered with here, or NULL. */
static char *
memo_state (VmgrReadMemo *memo, const char *sender)
{
  g_autoptr(GDBusMessage) call = get_call (sender, "State");
  g_autoptr(GDBusMessage) reply = NULL;
  g_autoptr(GVariant) value = NULL;

  if (vmgr_read_memo_read (memo, call, &reply) != VMGR_READ_MEMO_ANSWERED)
    {
      g_assert_null (reply);
      return NULL;
    }
  g_assert_cmpstr (g_variant_get_type_string (g_dbus_message_get_body (reply)), ==, "(v)");
  g_assert_cmpuint (g_dbus_message_get_reply_serial (reply), ==, g_dbus_message_get_serial (call));
  g_variant_get (g_dbus_message_get_body (reply), "(v)", &value);
  return g_variant_dup_string (value, NULL);
}

static void
test_answers (void)
{
  g_autoptr(VmgrReadMemo) memo = vmgr_read_memo_new ();
  g_autoptr(GDBusMessage) all = get_all_call (ALICE);
  g_autoptr(GDBusMessage) missing = get_call (ALICE, "NoSuch");
  g_autoptr(GDBusMessage) reply = NULL;
  g_autofree char *before = memo_state (memo, ALICE);
  g_autofree char *state = NULL;

  g_assert_null (before);
  remember (memo, ALICE, "Get", PATH, g_get_monotonic_time () + HOUR, "running");
  state = memo_state (memo, ALICE);
  g_assert_cmpstr (state, ==, "running");
  /* A grant is per sender and per member. */
  g_assert_null (memo_state (memo, BOB));
  g_assert_cmpint (vmgr_read_memo_read (memo, all, &reply), ==, VMGR_READ_MEMO_MISS);
  remember (memo, ALICE, "GetAll", PATH, g_get_monotonic_time () + HOUR, "running");
  g_assert_cmpint (vmgr_read_memo_read (memo, all, &reply), ==, VMGR_READ_MEMO_ANSWERED);
  g_assert_cmpstr (g_variant_get_type_string (g_dbus_message_get_body (reply)), ==, "(a{sv})");
  g_clear_object (&reply);
  /* A property not there is the main loop's to word. */
  g_assert_cmpint (vmgr_read_memo_read (memo, missing, &reply), ==, VMGR_READ_MEMO_MISS);
  g_assert_null (reply);
}

static gboolean
answered (VmgrReadMemo *memo, const char *sender)
{
  g_autofree char *state = memo_state (memo, sender);

  return state != NULL;
}

static void
test_expiry_and_epoch (void)
{
  g_autoptr(VmgrReadMemo) memo = vmgr_read_memo_new ();
  g_autoptr(GVariant) props = properties ("running");
  guint64 epoch;

  /* cache_ttl=0: already over, nothing kept. */
  remember (memo, ALICE, "Get", PATH, g_get_monotonic_time (), "running");
  g_assert_false (answered (memo, ALICE));
  remember (memo, ALICE, "Get", PATH, g_get_monotonic_time () + 100 * 1000, "running");
  g_assert_true (answered (memo, ALICE));
  g_usleep (150 * 1000);
  g_assert_false (answered (memo, ALICE));
  /* A drop while the read was being decided: not kept. */
  epoch = vmgr_read_memo_epoch (memo);
  vmgr_read_memo_forget_sender (memo, BOB);
  vmgr_read_memo_remember (memo, epoch, ALICE, PATH, IFACE, "Get", PATH,
                           g_get_monotonic_time () + HOUR, props);
  g_assert_false (answered (memo, ALICE));
  /* A value dropped alone does not move the epoch. */
  epoch = vmgr_read_memo_epoch (memo);
  vmgr_read_memo_forget_value (memo, PATH, IFACE);
  vmgr_read_memo_remember (memo, epoch, ALICE, PATH, IFACE, "Get", PATH,
                           g_get_monotonic_time () + HOUR, props);
  g_assert_true (answered (memo, ALICE));
}

static void
test_forget (void)
{
  g_autoptr(VmgrReadMemo) memo = vmgr_read_memo_new ();
  g_autofree char *changed = NULL;

  remember (memo, ALICE, "Get", PATH, g_get_monotonic_time () + HOUR, "running");
  vmgr_read_memo_forget_value (memo, PATH, IFACE);
  g_assert_false (answered (memo, ALICE));
  /* The grant stayed: a new value is enough. */
  remember (memo, BOB, "Get", PATH, g_get_monotonic_time () + HOUR, "paused");
  changed = memo_state (memo, ALICE);
  g_assert_cmpstr (changed, ==, "paused");

  vmgr_read_memo_forget_sender (memo, ALICE);
  g_assert_false (answered (memo, ALICE));
  g_assert_true (answered (memo, BOB));
  vmgr_read_memo_forget_grants (memo);
  g_assert_false (answered (memo, BOB));

  remember (memo, ALICE, "Get", PATH, g_get_monotonic_time () + HOUR, "running");
  vmgr_read_memo_forget_path (memo, PATH);
  g_assert_false (answered (memo, ALICE));
  /* A read decided as another object (a job's, as its VM's) goes with it. */
  remember (memo, ALICE, "Get", "/org/vmgr/vm/9", g_get_monotonic_time () + HOUR, "running");
  vmgr_read_memo_forget_path (memo, "/org/vmgr/vm/70");
  g_assert_true (answered (memo, ALICE));
  vmgr_read_memo_forget_path (memo, "/org/vmgr/vm/9");
  g_assert_false (answered (memo, ALICE));
}

static guint
count_released (VmgrReadMemo *memo, GDBusMessage *call, GDBusMessage *expected)
{
  g_autoptr(GDBusMessage) reply = reply_to (call);
  g_autoptr(GPtrArray) released = vmgr_read_memo_replied (memo, reply);

  if (released == NULL)
    return 0;
  if (expected != NULL)
    g_assert_true (g_ptr_array_index (released, 0) == expected);
  return released->len;
}

static void
test_order (void)
{
  g_autoptr(VmgrReadMemo) memo = vmgr_read_memo_new ();
  g_autoptr(GDBusMessage) set1 = call_from (ALICE, PATH, IFACE, "SetAutostart",
                                            g_variant_new ("(b)", TRUE));
  g_autoptr(GDBusMessage) read1 = get_call (ALICE, "State");
  g_autoptr(GDBusMessage) set2 = call_from (ALICE, PATH, IFACE, "SetAutostart",
                                            g_variant_new ("(b)", FALSE));
  g_autoptr(GDBusMessage) read2 = get_call (ALICE, "State");
  g_autoptr(GDBusMessage) quiet = call_from (ALICE, PATH, IFACE, "Start", NULL);
  g_autoptr(GDBusMessage) reply = NULL;

  remember (memo, ALICE, "Get", PATH, g_get_monotonic_time () + HOUR, "running");
  g_dbus_message_set_flags (quiet, G_DBUS_MESSAGE_FLAGS_NO_REPLY_EXPECTED);
  vmgr_read_memo_call (memo, quiet);
  g_assert_true (answered (memo, ALICE));

  vmgr_read_memo_call (memo, set1);
  g_assert_cmpint (vmgr_read_memo_read (memo, read1, &reply), ==, VMGR_READ_MEMO_HELD);
  vmgr_read_memo_call (memo, set2);
  g_assert_cmpint (vmgr_read_memo_read (memo, read2, &reply), ==, VMGR_READ_MEMO_HELD);
  g_assert_null (reply);
  /* Another caller is not held. */
  g_assert_false (answered (memo, BOB));
  remember (memo, BOB, "Get", PATH, g_get_monotonic_time () + HOUR, "running");
  g_assert_true (answered (memo, BOB));
  /* A reply to a call the memo does not follow frees nothing. */
  g_assert_cmpuint (count_released (memo, read1, NULL), ==, 0);
  /* Replies out of order: read1 waits for set1 only, read2 for both. */
  g_assert_cmpuint (count_released (memo, set2, NULL), ==, 0);
  g_assert_cmpuint (count_released (memo, set1, NULL), ==, 2);
  g_assert_true (answered (memo, ALICE));

  {
    g_autoptr(GDBusMessage) set3 = call_from (ALICE, PATH, IFACE, "SetCpu", NULL);
    g_autoptr(GDBusMessage) read3 = get_call (ALICE, "State");
    g_autoptr(GDBusMessage) set4 = call_from (ALICE, PATH, IFACE, "SetCpu", NULL);
    g_autoptr(GDBusMessage) read4 = get_call (ALICE, "State");

    vmgr_read_memo_call (memo, set3);
    g_assert_cmpint (vmgr_read_memo_read (memo, read3, &reply), ==, VMGR_READ_MEMO_HELD);
    vmgr_read_memo_call (memo, set4);
    /* read3 came before set4: set3's reply frees it. */
    g_assert_cmpuint (count_released (memo, set3, read3), ==, 1);
    g_assert_cmpint (vmgr_read_memo_read (memo, read4, &reply), ==, VMGR_READ_MEMO_HELD);
    g_assert_cmpuint (count_released (memo, set4, read4), ==, 1);
    g_assert_true (answered (memo, ALICE));
  }
}

/* Held reads still there when the memo goes are dropped with it. */
static void
test_held_freed (void)
{
  g_autoptr(VmgrReadMemo) memo = vmgr_read_memo_new ();
  g_autoptr(GDBusMessage) set = call_from (ALICE, PATH, IFACE, "SetAutostart",
                                           g_variant_new ("(b)", TRUE));
  g_autoptr(GDBusMessage) read = get_call (ALICE, "State");
  g_autoptr(GDBusMessage) reply = NULL;

  vmgr_read_memo_call (memo, set);
  g_assert_cmpint (vmgr_read_memo_read (memo, read, &reply), ==, VMGR_READ_MEMO_HELD);
}

/* Reads that expect no reply are never held; past MAX_HELD_READS (64) a
 * sender's reads go to the main loop unordered rather than pile up. */
static void
test_held_bounded (void)
{
  g_autoptr(VmgrReadMemo) memo = vmgr_read_memo_new ();
  g_autoptr(GDBusMessage) set = call_from (ALICE, PATH, IFACE, "SetAutostart",
                                           g_variant_new ("(b)", TRUE));
  g_autoptr(GDBusMessage) quiet_read = get_call (ALICE, "State");
  g_autoptr(GDBusMessage) reply = NULL;
  g_autoptr(GPtrArray) reads = g_ptr_array_new_with_free_func (g_object_unref);

  remember (memo, ALICE, "Get", PATH, g_get_monotonic_time () + HOUR, "running");
  vmgr_read_memo_call (memo, set);
  g_dbus_message_set_flags (quiet_read, G_DBUS_MESSAGE_FLAGS_NO_REPLY_EXPECTED);
  g_assert_cmpint (vmgr_read_memo_read (memo, quiet_read, &reply), ==, VMGR_READ_MEMO_MISS);
  for (guint i = 0; i < 64; i++)
    {
      GDBusMessage *read = get_call (ALICE, "State");

      g_ptr_array_add (reads, read);
      g_assert_cmpint (vmgr_read_memo_read (memo, read, &reply), ==, VMGR_READ_MEMO_HELD);
    }
  {
    g_autoptr(GDBusMessage) one_more = get_call (ALICE, "State");

    g_assert_cmpint (vmgr_read_memo_read (memo, one_more, &reply), ==, VMGR_READ_MEMO_MISS);
    g_assert_null (reply);
  }
  g_assert_cmpuint (count_released (memo, set, g_ptr_array_index (reads, 0)), ==, 64);
  g_assert_true (answered (memo, ALICE));
}

/* polkit's Changed seen by the filter stops every grant, and keeps new
 * ones from being made, until vmgr-auth applied it (forget_grants). */
static void
test_authority_changing (void)
{
  g_autoptr(VmgrReadMemo) memo = vmgr_read_memo_new ();

  remember (memo, ALICE, "Get", PATH, g_get_monotonic_time () + HOUR, "running");
  g_assert_true (answered (memo, ALICE));
  vmgr_read_memo_authority_changing (memo);
  g_assert_false (answered (memo, ALICE));
  /* A decision from the cache not yet cleared is not kept. */
  remember (memo, ALICE, "Get", PATH, g_get_monotonic_time () + HOUR, "running");
  g_assert_false (answered (memo, ALICE));
  vmgr_read_memo_forget_grants (memo);
  remember (memo, ALICE, "Get", PATH, g_get_monotonic_time () + HOUR, "running");
  g_assert_true (answered (memo, ALICE));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/read-memo/held-bounded", test_held_bounded);
  g_test_add_func ("/read-memo/authority-changing", test_authority_changing);
  g_test_add_func ("/read-memo/answers", test_answers);
  g_test_add_func ("/read-memo/expiry-and-epoch", test_expiry_and_epoch);
  g_test_add_func ("/read-memo/forget", test_forget);
  g_test_add_func ("/read-memo/order", test_order);
  g_test_add_func ("/read-memo/held-freed", test_held_freed);
  return g_test_run ();
}
