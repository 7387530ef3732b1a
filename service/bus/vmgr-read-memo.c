/* vmgr-read-memo.c: allowed property reads answered again in GDBus's
 * worker thread (see the header for what invalidates what). */
#include "vmgr-read-memo.h"

struct _VmgrReadMemo {
  GObject parent_instance;
  GMutex lock;          /* guards everything below */
  guint64 epoch;        /* moves whenever grants are dropped */
  GHashTable *grants;   /* sender -> (grant_key -> Grant*) */
  GHashTable *values;   /* path -> (interface -> a{sv}, the property cache's) */
  GHashTable *orders;   /* sender -> Order*, while it has calls pending or reads held */
  gint64 stale_until;   /* polkit's Changed seen, not yet applied: no grant counts */
};

/* The most reads of one sender held behind its calls; more go to the main
 * loop unordered. */
#define MAX_HELD_READS 64
/* How long a polkit Changed seen by the filter stops grants if vmgr-auth
 * does not apply it (a signal anyone may send to vmgrd). */
#define STALE_WITHOUT_APPLY_US G_USEC_PER_SEC

G_DEFINE_FINAL_TYPE (VmgrReadMemo, vmgr_read_memo, G_TYPE_OBJECT)

typedef struct {
  char *target;         /* the path the decisions were about */
  gint64 valid_until;   /* monotonic microseconds */
} Grant;

/* A call of a sender that is not a read, until its reply goes out. */
typedef struct {
  guint32 serial;
  guint64 seq;
} Pending;

/* A read waiting for the calls its sender made before it. */
typedef struct {
  GDBusMessage *call;
  guint64 after;        /* released once no call up to this seq is pending */
} Held;

typedef struct {
  GQueue pending;       /* Pending*, in arrival order */
  GQueue held;          /* Held*, in arrival order */
  guint64 next_seq;
} Order;

static void
grant_free (Grant *grant)
{
  g_free (grant->target);
  g_free (grant);
}

static void
held_free (Held *held)
{
  g_object_unref (held->call);
  g_free (held);
}

static void
order_free (Order *order)
{
  g_queue_clear_full (&order->pending, g_free);
  g_queue_clear_full (&order->held, (GDestroyNotify) held_free);
  g_free (order);
}

static char *
grant_key (const char *path, const char *interface, const char *member)
{
  return g_strconcat (path, "\n", interface, "\n", member, NULL);
}

/* ---- The filter's side ---------------------------------------------------- */

/* The a{sv} that answers @call, if a live grant and a value allow it
 * (a full reference), or NULL. Called with the lock held. */
static GVariant *
lookup_locked (VmgrReadMemo *self, GDBusMessage *call, const char *sender)
{
  const char *member = g_dbus_message_get_member (call);
  GVariant *body = g_dbus_message_get_body (call);
  const char *interface = NULL;
  GHashTable *per_sender = g_hash_table_lookup (self->grants, sender);
  GHashTable *per_path;
  g_autofree char *key = NULL;
  Grant *grant;
  GVariant *properties;

  if (per_sender == NULL || body == NULL)
    return NULL;
  if (!(g_strcmp0 (member, "Get") == 0 && g_variant_is_of_type (body, G_VARIANT_TYPE ("(ss)"))) &&
      !(g_strcmp0 (member, "GetAll") == 0 && g_variant_is_of_type (body, G_VARIANT_TYPE ("(s)"))))
    return NULL;
  g_variant_get_child (body, 0, "&s", &interface);
  key = grant_key (g_dbus_message_get_path (call), interface, member);
  if (g_get_monotonic_time () < self->stale_until)
    return NULL;
  grant = g_hash_table_lookup (per_sender, key);
  if (grant == NULL)
    return NULL;
  if (grant->valid_until <= g_get_monotonic_time ())
    {
      g_hash_table_remove (per_sender, key);
      return NULL;
    }
  per_path = g_hash_table_lookup (self->values, g_dbus_message_get_path (call));
  properties = per_path != NULL ? g_hash_table_lookup (per_path, interface) : NULL;
  return properties != NULL ? g_variant_ref (properties) : NULL;
}

/* The reply to @call from @properties, or NULL for a property not there
 * (the main loop words that error). */
static GDBusMessage *
build_reply (GDBusMessage *call, GVariant *properties)
{
  GDBusMessage *reply;
  g_autoptr(GVariant) value = NULL;
  const char *name;

  if (g_strcmp0 (g_dbus_message_get_member (call), "GetAll") == 0)
    {
      reply = g_dbus_message_new_method_reply (call);
      g_dbus_message_set_body (reply, g_variant_new_tuple (&properties, 1));
      return reply;
    }
  g_variant_get_child (g_dbus_message_get_body (call), 1, "&s", &name);
  value = g_variant_lookup_value (properties, name, NULL);
  if (value == NULL)
    return NULL;
  reply = g_dbus_message_new_method_reply (call);
  g_dbus_message_set_body (reply, g_variant_new ("(v)", value));
  return reply;
}

VmgrReadMemoOutcome
vmgr_read_memo_read (VmgrReadMemo *self, GDBusMessage *call, GDBusMessage **reply)
{
  const char *sender = g_dbus_message_get_sender (call);
  g_autoptr(GVariant) properties = NULL;
  Order *order;

  gboolean expects_reply =
    (g_dbus_message_get_flags (call) & G_DBUS_MESSAGE_FLAGS_NO_REPLY_EXPECTED) == 0;
  gboolean behind_calls;

  *reply = NULL;
  /* Nobody waits for the answer: the main loop decides what to do. */
  if (sender == NULL || !expects_reply)
    return VMGR_READ_MEMO_MISS;
  g_mutex_lock (&self->lock);
  order = g_hash_table_lookup (self->orders, sender);
  behind_calls = order != NULL && order->pending.length > 0;
  if (behind_calls && order->held.length < MAX_HELD_READS)
    {
      Held *held = g_new0 (Held, 1);

      held->call = g_object_ref (call);
      held->after = order->next_seq - 1;
      g_queue_push_tail (&order->held, held);
      g_mutex_unlock (&self->lock);
      return VMGR_READ_MEMO_HELD;
    }
  /* Too many reads held behind the sender's calls: on to the main loop. */
  if (!behind_calls)
    properties = lookup_locked (self, call, sender);
  g_mutex_unlock (&self->lock);
  if (properties == NULL)
    return VMGR_READ_MEMO_MISS;
  *reply = build_reply (call, properties);
  return *reply != NULL ? VMGR_READ_MEMO_ANSWERED : VMGR_READ_MEMO_MISS;
}

void
vmgr_read_memo_call (VmgrReadMemo *self, GDBusMessage *call)
{
  const char *sender = g_dbus_message_get_sender (call);
  Pending *pending;
  Order *order;

  if (sender == NULL ||
      (g_dbus_message_get_flags (call) & G_DBUS_MESSAGE_FLAGS_NO_REPLY_EXPECTED) != 0)
    return;
  g_mutex_lock (&self->lock);
  order = g_hash_table_lookup (self->orders, sender);
  if (order == NULL)
    {
      order = g_new0 (Order, 1);
      g_hash_table_insert (self->orders, g_strdup (sender), order);
    }
  pending = g_new0 (Pending, 1);
  pending->serial = g_dbus_message_get_serial (call);
  pending->seq = order->next_seq++;
  g_queue_push_tail (&order->pending, pending);
  g_mutex_unlock (&self->lock);
}

static gboolean
remove_pending (Order *order, guint32 serial)
{
  for (GList *l = order->pending.head; l != NULL; l = l->next)
    if (((Pending *) l->data)->serial == serial)
      {
        g_free (l->data);
        g_queue_delete_link (&order->pending, l);
        return TRUE;
      }
  return FALSE;
}

GPtrArray *
vmgr_read_memo_replied (VmgrReadMemo *self, GDBusMessage *reply)
{
  const char *destination = g_dbus_message_get_destination (reply);
  GPtrArray *released = NULL;
  guint64 oldest;
  Order *order;

  if (destination == NULL)
    return NULL;
  g_mutex_lock (&self->lock);
  order = g_hash_table_lookup (self->orders, destination);
  if (order == NULL || !remove_pending (order, g_dbus_message_get_reply_serial (reply)))
    {
      g_mutex_unlock (&self->lock);
      return NULL;
    }
  oldest = order->pending.length > 0 ? ((Pending *) order->pending.head->data)->seq
                                     : G_MAXUINT64;
  while (order->held.length > 0 && ((Held *) order->held.head->data)->after < oldest)
    {
      Held *held = g_queue_pop_head (&order->held);

      if (released == NULL)
        released = g_ptr_array_new_with_free_func (g_object_unref);
      g_ptr_array_add (released, g_steal_pointer (&held->call));
      g_free (held);
    }
  if (order->pending.length == 0 && order->held.length == 0)
    g_hash_table_remove (self->orders, destination);
  g_mutex_unlock (&self->lock);
  return released;
}

/* ---- The main thread's side ------------------------------------------------ */

guint64
vmgr_read_memo_epoch (VmgrReadMemo *self)
{
  guint64 epoch;

  g_mutex_lock (&self->lock);
  epoch = self->epoch;
  g_mutex_unlock (&self->lock);
  return epoch;
}

static void
sweep_expired (GHashTable *per_sender)
{
  gint64 now = g_get_monotonic_time ();
  GHashTableIter iter;
  Grant *grant;

  g_hash_table_iter_init (&iter, per_sender);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &grant))
    if (grant->valid_until <= now)
      g_hash_table_iter_remove (&iter);
}

void
vmgr_read_memo_remember (VmgrReadMemo *self, guint64 epoch, const char *sender,
                         const char *path, const char *interface, const char *member,
                         const char *target, gint64 valid_until, GVariant *properties)
{
  GHashTable *per_sender;
  GHashTable *per_path;
  Grant *grant;
  guint size;

  if (valid_until <= g_get_monotonic_time ())
    return;
  /* Serialized once, here, rather than in every reply built from it. */
  g_variant_get_data (properties);
  g_mutex_lock (&self->lock);
  if (epoch != self->epoch || g_get_monotonic_time () < self->stale_until)
    {
      g_mutex_unlock (&self->lock);
      return;
    }
  per_sender = g_hash_table_lookup (self->grants, sender);
  if (per_sender == NULL)
    {
      per_sender = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                          (GDestroyNotify) grant_free);
      g_hash_table_insert (self->grants, g_strdup (sender), per_sender);
    }
  grant = g_new0 (Grant, 1);
  grant->target = g_strdup (target);
  grant->valid_until = valid_until;
  g_hash_table_replace (per_sender, grant_key (path, interface, member), grant);
  /* Expired grants go when looked up; those never looked up again, when
   * the sender's table has doubled (amortized over the grants added). */
  size = g_hash_table_size (per_sender);
  if (size >= 64 && (size & (size - 1)) == 0)
    sweep_expired (per_sender);
  per_path = g_hash_table_lookup (self->values, path);
  if (per_path == NULL)
    {
      per_path = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                        (GDestroyNotify) g_variant_unref);
      g_hash_table_insert (self->values, g_strdup (path), per_path);
    }
  g_hash_table_replace (per_path, g_strdup (interface), g_variant_ref_sink (properties));
  g_mutex_unlock (&self->lock);
}

void
vmgr_read_memo_forget_path (VmgrReadMemo *self, const char *path)
{
  g_autofree char *prefix = g_strconcat (path, "\n", NULL);
  GHashTableIter senders;
  GHashTable *per_sender;

  g_mutex_lock (&self->lock);
  self->epoch++;
  g_hash_table_remove (self->values, path);
  g_hash_table_iter_init (&senders, self->grants);
  while (g_hash_table_iter_next (&senders, NULL, (gpointer *) &per_sender))
    {
      GHashTableIter entries;
      const char *key;
      Grant *grant;

      g_hash_table_iter_init (&entries, per_sender);
      while (g_hash_table_iter_next (&entries, (gpointer *) &key, (gpointer *) &grant))
        if (g_str_has_prefix (key, prefix) || g_str_equal (grant->target, path))
          g_hash_table_iter_remove (&entries);
    }
  g_mutex_unlock (&self->lock);
}

void
vmgr_read_memo_forget_sender (VmgrReadMemo *self, const char *sender)
{
  g_mutex_lock (&self->lock);
  self->epoch++;
  g_hash_table_remove (self->grants, sender);
  g_mutex_unlock (&self->lock);
}

/* Drops every grant; none counts again before @stale_until (0: at once). */
static void
drop_grants (VmgrReadMemo *self, gint64 stale_until)
{
  g_mutex_lock (&self->lock);
  self->epoch++;
  g_hash_table_remove_all (self->grants);
  self->stale_until = stale_until;
  g_mutex_unlock (&self->lock);
}

void
vmgr_read_memo_forget_grants (VmgrReadMemo *self)
{
  drop_grants (self, 0);
}

void
vmgr_read_memo_authority_changing (VmgrReadMemo *self)
{
  drop_grants (self, g_get_monotonic_time () + STALE_WITHOUT_APPLY_US);
}

void
vmgr_read_memo_forget_value (VmgrReadMemo *self, const char *path, const char *interface)
{
  GHashTable *per_path;

  g_mutex_lock (&self->lock);
  per_path = g_hash_table_lookup (self->values, path);
  if (per_path != NULL && g_hash_table_remove (per_path, interface) &&
      g_hash_table_size (per_path) == 0)
    g_hash_table_remove (self->values, path);
  g_mutex_unlock (&self->lock);
}

/* ---- Object ------------------------------------------------------------------ */

static void
vmgr_read_memo_finalize (GObject *object)
{
  VmgrReadMemo *self = VMGR_READ_MEMO (object);

  g_hash_table_unref (self->grants);
  g_hash_table_unref (self->values);
  g_hash_table_unref (self->orders);
  g_mutex_clear (&self->lock);
  G_OBJECT_CLASS (vmgr_read_memo_parent_class)->finalize (object);
}

static void
vmgr_read_memo_class_init (VmgrReadMemoClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = vmgr_read_memo_finalize;
}

static void
vmgr_read_memo_init (VmgrReadMemo *self)
{
  g_mutex_init (&self->lock);
  self->grants = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                        (GDestroyNotify) g_hash_table_unref);
  self->values = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                        (GDestroyNotify) g_hash_table_unref);
  self->orders = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                        (GDestroyNotify) order_free);
}

VmgrReadMemo *
vmgr_read_memo_new (void)
{
  return g_object_new (VMGR_TYPE_READ_MEMO, NULL);
}
