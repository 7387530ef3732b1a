/* A listing of objects (`list`, `customers`): a proxy per object path,
 * printed as a JSON array or as a table. */
#pragma once

#include <json-glib/json-glib.h>

#include "vmgrctl-context.h"
#include "vmgrctl-output.h"

G_BEGIN_DECLS

/* A proxy (a GObject, owned) with the properties of the object at @path,
 * or NULL with @error set. */
typedef gpointer (*VmgrctlListingOpen) (VmgrctlContext *ctx, const char *path, gpointer data,
                                        GError **error);
/* Like VmgrctlToJson, takes the proxy's own type: cast it to this. */
typedef void (*VmgrctlListingTableAdd) (VmgrctlTable *table, gpointer object);

typedef struct {
  const char *what;  /* "VMs", for "cannot read VMs" */
  VmgrctlListingOpen open;
  VmgrctlToJson to_json;
  VmgrctlTable *(*table_new) (void);
  VmgrctlListingTableAdd table_add;
} VmgrctlListing;

/* Opens the object at each of @paths with @listing->open (given @data),
 * leaving out those not found (gone meanwhile), and prints them all.
 * Returns the exit status; on failure prints "cannot read WHAT". */
int vmgrctl_listing_show (VmgrctlContext *ctx, const VmgrctlListing *listing,
                          char **paths, gpointer data);

/* The two halves of vmgrctl_listing_show(), for a caller that leaves
 * objects out: the proxies (a GPtrArray owning them), or NULL with
 * @error set; and printing them. */
GPtrArray *vmgrctl_listing_read (VmgrctlContext *ctx, const VmgrctlListing *listing,
                                 char **paths, gpointer data, GError **error);
void vmgrctl_listing_print (VmgrctlContext *ctx, const VmgrctlListing *listing,
                            GPtrArray *objects);

G_END_DECLS
