/* DHCP host reservations on a libvirt network: the address set for a VM
 * is the address its guest gets when it asks the network's DHCP server. */
#include "vmgr-backend.h"

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <libxml/tree.h>

#include "vmgr-backend-private.h"
#include "vmgr-domain-xml.h"
#include "vmgr-error.h"

typedef struct {
  char *network;
  char *mac;
  char *hostname;
  char *ip;         /* NULL: only remove */
} Reservation;

static void
reservation_free (Reservation *reservation)
{
  g_free (reservation->network);
  g_free (reservation->mac);
  g_free (reservation->hostname);
  g_free (reservation->ip);
  g_free (reservation);
}

/* <host mac='..' [name='..'] [ip='..']/>, escaped by libxml2. */
static char *
host_xml (const Reservation *reservation, gboolean with_address)
{
  xmlNodePtr host = xmlNewNode (NULL, BAD_CAST "host");
  xmlBufferPtr buffer = xmlBufferCreate ();
  char *text;

  xmlSetProp (host, BAD_CAST "mac", BAD_CAST reservation->mac);
  if (with_address && *reservation->hostname != '\0')
    xmlSetProp (host, BAD_CAST "name", BAD_CAST reservation->hostname);
  if (with_address)
    xmlSetProp (host, BAD_CAST "ip", BAD_CAST reservation->ip);
  xmlNodeDump (buffer, NULL, host, 0, 0);
  text = g_strdup ((const char *) xmlBufferContent (buffer));
  xmlBufferFree (buffer);
  xmlFreeNode (host);
  return text;
}

static unsigned int
update_flags (virNetworkPtr network)
{
  return VIR_NETWORK_UPDATE_AFFECT_CONFIG |
         (virNetworkIsActive (network) == 1 ? VIR_NETWORK_UPDATE_AFFECT_LIVE : 0);
}

static void
reserve_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  Reservation *reservation = data;
  GError *error = NULL;
  g_autoptr(VmgrVirConnect) conn = vmgr_backend_ref_connection (VMGR_BACKEND (source), &error);
  virNetworkPtr network = conn != NULL ? virNetworkLookupByName (conn, reservation->network)
                                       : NULL;
  g_autofree char *old = NULL;
  g_autofree char *new = NULL;
  int status = 0;

  if (network == NULL)
    {
      if (error == NULL)
        vmgr_backend_set_error_from_libvirt (&error);
      g_task_return_error (task, error);
      return;
    }
  /* Whatever the MAC had before goes; a missing entry is no error. */
  old = host_xml (reservation, FALSE);
  virNetworkUpdate (network, VIR_NETWORK_UPDATE_COMMAND_DELETE,
                    VIR_NETWORK_SECTION_IP_DHCP_HOST, -1, old, update_flags (network));
  if (reservation->ip != NULL)
    {
      new = host_xml (reservation, TRUE);
      status = virNetworkUpdate (network, VIR_NETWORK_UPDATE_COMMAND_ADD_LAST,
                                 VIR_NETWORK_SECTION_IP_DHCP_HOST, -1, new,
                                 update_flags (network));
    }
  if (status < 0)
    vmgr_backend_set_error_from_libvirt (&error);
  virNetworkFree (network);
  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

void
vmgr_backend_reserve_address_async (VmgrBackend *self, const char *network, const char *mac,
                                    const char *hostname, const char *ip,
                                    GCancellable *cancellable, GAsyncReadyCallback callback,
                                    gpointer user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  Reservation *reservation = g_new0 (Reservation, 1);

  reservation->network = g_strdup (network);
  reservation->mac = g_strdup (mac);
  reservation->hostname = g_strdup (hostname != NULL ? hostname : "");
  reservation->ip = g_strdup (ip);
  g_task_set_source_tag (task, vmgr_backend_reserve_address_async);
  g_task_set_task_data (task, reservation, (GDestroyNotify) reservation_free);
  g_task_run_in_thread (task, reserve_thread);
}

gboolean
vmgr_backend_reserve_address_finish (VmgrBackend *self, GAsyncResult *result, GError **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
on_vm_address_reserved (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autofree char *name = user_data;
  g_autoptr(GError) error = NULL;

  if (!vmgr_backend_reserve_address_finish (VMGR_BACKEND (source), result, &error))
    g_warning ("VM %s: cannot reserve its address on the libvirt network: %s", name,
               error->message);
}

/* The first IPv4 address of @spec without its prefix, or NULL. */
static char *
first_ipv4 (const VmgrVmSpec *spec)
{
  for (guint i = 0; spec->addresses[i] != NULL; i++)
    if (strchr (spec->addresses[i], ':') == NULL)
      return g_strndup (spec->addresses[i], strcspn (spec->addresses[i], "/"));
  return NULL;
}

void
vmgr_backend_reserve_vm_address (VmgrBackend *self, const char *network, const VmgrVmSpec *spec,
                                 gboolean keep)
{
  g_autofree char *mac = NULL;
  g_autofree char *ip = NULL;

  if (g_str_equal (vmgr_backend_get_scheme (self), "test") || network == NULL ||
      *network == '\0')
    return;
  mac = vmgr_domain_xml_mac_for_uuid (spec->uuid);
  ip = keep ? first_ipv4 (spec) : NULL;
  vmgr_backend_reserve_address_async (self, network, mac,
                                      *spec->hostname ? spec->hostname : spec->name, ip, NULL,
                                      on_vm_address_reserved, g_strdup (spec->name));
}
