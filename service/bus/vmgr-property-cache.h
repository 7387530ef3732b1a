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

/* Changes whenever anything kept here is dropped: what was built from the
 * cache before is stale when it differs. */
guint64 vmgr_property_cache_generation (void);

G_END_DECLS
