/* vmgr-property-cache.c: serialized properties kept per skeleton and per
 * object (see the header). The caches live in the objects' qdata, so that
 * they go with the objects. */
#include "vmgr-property-cache.h"

static GQuark
properties_quark (void)
{
  return g_quark_from_static_string ("vmgr-property-cache-properties");
}

static GQuark
entry_quark (void)
{
  return g_quark_from_static_string ("vmgr-property-cache-entry");
}

static GQuark
watched_quark (void)
{
  return g_quark_from_static_string ("vmgr-property-cache-watched");
}

static guint64 generation;
static VmgrPropertyCacheDropped dropped_func;
static gpointer dropped_data;

guint64
vmgr_property_cache_generation (void)
{
  return generation;
}

void
vmgr_property_cache_set_dropped_func (VmgrPropertyCacheDropped func, gpointer user_data)
{
  dropped_func = func;
  dropped_data = user_data;
}

void
vmgr_property_cache_clear_dropped_func (gpointer user_data)
{
  if (dropped_data != user_data)
    return;
  dropped_func = NULL;
  dropped_data = NULL;
}

static void
announce_dropped (GDBusObject *object, GDBusInterface *interface)
{
  if (dropped_func != NULL && object != NULL)
    dropped_func (g_dbus_object_get_object_path (object),
                  g_dbus_interface_get_info (interface)->name, dropped_data);
}

static void
forget_entry (GDBusObject *object)
{
  generation++;
  g_object_set_qdata (G_OBJECT (object), entry_quark (), NULL);
}

static void
on_property_notify (GObject *skeleton, GParamSpec *pspec, gpointer user_data)
{
  g_autoptr(GDBusObject) object = g_dbus_interface_dup_object (G_DBUS_INTERFACE (skeleton));

  generation++;
  g_object_set_qdata (skeleton, properties_quark (), NULL);
  announce_dropped (object, G_DBUS_INTERFACE (skeleton));
  if (object != NULL)
    forget_entry (object);
}

static void
on_interfaces_changed (GDBusObject *object, GDBusInterface *interface, gpointer user_data)
{
  announce_dropped (object, interface);
  forget_entry (object);
}

/* Connects @first (and @second) once per object's lifetime. */
static void
watch_once (gpointer instance, const char *first, const char *second, GCallback callback)
{
  if (g_object_get_qdata (instance, watched_quark ()) != NULL)
    return;
  g_signal_connect (instance, first, callback, NULL);
  if (second != NULL)
    g_signal_connect (instance, second, callback, NULL);
  g_object_set_qdata (instance, watched_quark (), GINT_TO_POINTER (TRUE));
}

GVariant *
vmgr_property_cache_interface (GDBusInterfaceSkeleton *skeleton)
{
  GVariant *properties = g_object_get_qdata (G_OBJECT (skeleton), properties_quark ());

  if (properties == NULL)
    {
      watch_once (skeleton, "notify", NULL, G_CALLBACK (on_property_notify));
      /* A full, non-floating reference. */
      properties = g_dbus_interface_skeleton_get_properties (skeleton);
      /* Serialized into one buffer now, which frees the tree of values it
       * was built from: about 11 KiB per VM kept otherwise. */
      (void) g_variant_get_data (properties);
      g_object_set_qdata_full (G_OBJECT (skeleton), properties_quark (), properties,
                               (GDestroyNotify) g_variant_unref);
    }
  return g_variant_ref (properties);
}

static GVariant *
build_entry (GDBusObject *object)
{
  g_autolist(GDBusInterface) interfaces = g_dbus_object_get_interfaces (object);
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a{sa{sv}}"));
  for (GList *l = interfaces; l != NULL; l = l->next)
    {
      g_autoptr(GVariant) properties = vmgr_property_cache_interface (l->data);

      g_variant_builder_add (&builder, "{s@a{sv}}", g_dbus_interface_get_info (l->data)->name,
                             properties);
    }
  return g_variant_ref_sink (g_variant_new ("{o@a{sa{sv}}}", g_dbus_object_get_object_path (object),
                                            g_variant_builder_end (&builder)));
}

void
vmgr_property_cache_watch_object (GDBusObject *object)
{
  watch_once (object, "interface-added", "interface-removed", G_CALLBACK (on_interfaces_changed));
}

GVariant *
vmgr_property_cache_object (GDBusObject *object)
{
  GVariant *entry = g_object_get_qdata (G_OBJECT (object), entry_quark ());

  if (entry == NULL)
    {
      vmgr_property_cache_watch_object (object);
      entry = build_entry (object);
      g_object_set_qdata_full (G_OBJECT (object), entry_quark (), entry,
                               (GDestroyNotify) g_variant_unref);
    }
  return g_variant_ref (entry);
}
