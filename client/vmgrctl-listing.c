/* Reading and printing a listing (see vmgrctl-listing.h). */
#include "vmgrctl-listing.h"

#include "vmgrctl-errors.h"

GPtrArray *
vmgrctl_listing_read (VmgrctlContext *ctx, const VmgrctlListing *listing, char **paths, gpointer data,
              GError **error)
{
  g_autoptr(GPtrArray) objects = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; paths[i] != NULL; i++)
    {
      gpointer object = listing->open (ctx, paths[i], data, error);

      if (object != NULL)
        g_ptr_array_add (objects, object);
      else if (vmgrctl_exit_code_for_error (*error) == VMGRCTL_EXIT_NOT_FOUND)
        g_clear_error (error);
      else
        return NULL;
    }
  return g_steal_pointer (&objects);
}

void
vmgrctl_listing_print (VmgrctlContext *ctx, const VmgrctlListing *listing, GPtrArray *objects)
{
  g_autoptr(VmgrctlTable) table = NULL;
  g_autofree char *text = NULL;

  if (ctx->json)
    {
      g_autoptr(JsonArray) array = json_array_new ();
      g_autoptr(JsonNode) node = json_node_new (JSON_NODE_ARRAY);

      for (guint i = 0; i < objects->len; i++)
        json_array_add_element (array, listing->to_json (g_ptr_array_index (objects, i)));
      vmgrctl_print_json (json_node_init_array (node, array));
      return;
    }
  table = listing->table_new ();
  for (guint i = 0; i < objects->len; i++)
    listing->table_add (table, g_ptr_array_index (objects, i));
  text = vmgrctl_table_render (table);
  vmgrctl_print (text);
}

int
vmgrctl_listing_show (VmgrctlContext *ctx, const VmgrctlListing *listing,
                      char **paths, gpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) objects = vmgrctl_listing_read (ctx, listing, paths, data, &error);

  if (objects == NULL)
    return vmgrctl_fail (error, "cannot read %s", listing->what);
  vmgrctl_listing_print (ctx, listing, objects);
  return VMGRCTL_EXIT_OK;
}
