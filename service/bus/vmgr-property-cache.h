/* The serialized properties of exported objects, kept and rebuilt on
 * change: building them through the GObject property machinery for every
 * object on every read (GetManagedObjects of thousands of VMs, GetAll, Get)
 * costs more than carrying the reply. An interface's a{sv} is dropped when
 * the skeleton notifies a change (gdbus-codegen skeletons notify every
 * property they set); an object's {oa{sa{sv}}} entry of GetManagedObjects
 * also when an interface is added or removed. Main thread only. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* @skeleton's properties (a{sv}); a full reference. */
GVariant *vmgr_property_cache_interface (GDBusInterfaceSkeleton *skeleton);

/* @object's path, interfaces and properties ({oa{sa{sv}}}); a full reference. */
GVariant *vmgr_property_cache_object (GDBusObject *object);

/* Follows @object's interfaces being added or removed (as
 * vmgr_property_cache_object does), for the function below. */
void vmgr_property_cache_watch_object (GDBusObject *object);

/* Changes whenever anything kept here is dropped: what was built from the
 * cache before is stale when it differs. */
guint64 vmgr_property_cache_generation (void);

/* Called whenever the a{sv} of @interface at @path is dropped, at once
 * (the read memo keeps copies, which must go at the same moment). One
 * function per process; NULL removes it. */
typedef void (*VmgrPropertyCacheDropped) (const char *path, const char *interface,
                                          gpointer user_data);
void vmgr_property_cache_set_dropped_func (VmgrPropertyCacheDropped func, gpointer user_data);
/* Removes the function set with @user_data, and only that one. */
void vmgr_property_cache_clear_dropped_func (gpointer user_data);

G_END_DECLS
