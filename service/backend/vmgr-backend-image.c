/* Root images of LXC guests through libvirt (declared in vmgr-backend.h and
 * vmgr-backend-private.h). */
#include "vmgr-backend-private.h"

#include <libxml/parser.h>
#include <libxml/xpath.h>

#include <sys/stat.h>

#include "vmgr-domain-xml.h"
#include "vmgr-error.h"
#include "vmgr-image.h"
#include "vmgr-provision.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC (xmlDoc, xmlFreeDoc)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (xmlXPathContext, xmlXPathFreeContext)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (xmlXPathObject, xmlXPathFreeObject)

#define ROOT_IMAGE_XPATH \
  "string(/domain/devices/filesystem[@type='file'][target/@dir='/']/source/@file)"

/* ---- One operation at a time per image ---------------------------------- */

struct _VmgrImageLock {
  char *image;
  GMutex mutex;
  guint users;
};

static GMutex locks_mutex;
static GHashTable *locks;   /* image path → VmgrImageLock */

VmgrImageLock *
vmgr_backend_image_lock (const char *image)
{
  VmgrImageLock *lock;

  g_mutex_lock (&locks_mutex);
  if (locks == NULL)
    locks = g_hash_table_new (g_str_hash, g_str_equal);
  lock = g_hash_table_lookup (locks, image);
  if (lock == NULL)
    {
      lock = g_new0 (VmgrImageLock, 1);
      lock->image = g_strdup (image);
      g_mutex_init (&lock->mutex);
      g_hash_table_insert (locks, lock->image, lock);
    }
  lock->users++;
  g_mutex_unlock (&locks_mutex);
  g_mutex_lock (&lock->mutex);
  return lock;
}

void
vmgr_backend_image_unlock (VmgrImageLock *lock)
{
  g_mutex_unlock (&lock->mutex);
  g_mutex_lock (&locks_mutex);
  if (--lock->users == 0)
    {
      g_hash_table_remove (locks, lock->image);
      g_mutex_clear (&lock->mutex);
      g_free (lock->image);
      g_free (lock);
    }
  if (g_hash_table_size (locks) == 0)
    g_clear_pointer (&locks, g_hash_table_unref);
  g_mutex_unlock (&locks_mutex);
}

/* ---- The domain's image and root ---------------------------------------- */

char *
vmgr_backend_domain_image (virDomainPtr domain)
{
  g_autofree char *xml = virDomainGetXMLDesc (domain, VIR_DOMAIN_XML_INACTIVE);
  g_autoptr(xmlDoc) doc = NULL;
  g_autoptr(xmlXPathContext) context = NULL;
  g_autoptr(xmlXPathObject) result = NULL;

  if (xml == NULL)
    return NULL;
  doc = xmlReadMemory (xml, (int) strlen (xml), "domain.xml", NULL,
                       XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
  context = doc != NULL ? xmlXPathNewContext (doc) : NULL;
  result = context != NULL ? xmlXPathEvalExpression (BAD_CAST ROOT_IMAGE_XPATH, context) : NULL;
  if (result == NULL || result->type != XPATH_STRING || result->stringval == NULL ||
      *result->stringval == '\0' || !g_path_is_absolute ((const char *) result->stringval))
    return NULL;
  return g_strdup ((const char *) result->stringval);
}

/* The first child of @pid (the container's init is the only child of its
 * libvirt_lxc controller), or 0. */
static guint
first_child (guint pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%u/task/%u/children", pid, pid);
  g_autofree char *text = NULL;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return 0;
  return (guint) g_ascii_strtoull (text, NULL, 10);
}

/* Whether @domain's libvirt runs on this machine (its URI names no host):
 * only then are its root image and /proc/PID/root vmgrd's to read; an
 * added host's are volumes there (vmgr-backend-volumes.h). */
static gboolean
domain_is_local (virDomainPtr domain)
{
  char *uri = virConnectGetURI (virDomainGetConnect (domain));
  g_autoptr(GUri) parsed = uri != NULL ? g_uri_parse (uri, G_URI_FLAGS_NONE, NULL) : NULL;
  const char *host = parsed != NULL ? g_uri_get_host (parsed) : NULL;

  free (uri);
  virResetLastError ();
  return parsed != NULL && (host == NULL || *host == '\0');
}

char *
vmgr_backend_container_root (virDomainPtr domain)
{
  int state = VIR_DOMAIN_NOSTATE;
  int reason;
  unsigned int controller;
  guint init;
  g_autofree char *root = NULL;

  if (virDomainGetState (domain, &state, &reason, 0) < 0 ||
      (state != VIR_DOMAIN_RUNNING && state != VIR_DOMAIN_PAUSED &&
       state != VIR_DOMAIN_BLOCKED))
    return NULL;
  /* An LXC domain's id is its controller's pid. */
  controller = virDomainGetID (domain);
  if (controller == (unsigned int) -1 || controller == 0)
    return NULL;
  init = first_child (controller);
  if (init == 0)
    return NULL;
  root = g_strdup_printf ("/proc/%u/root", init);
  return g_file_test (root, G_FILE_TEST_IS_DIR) ? g_steal_pointer (&root) : NULL;
}

void
vmgr_backend_image_sample (virDomainPtr domain, VmgrDomainStats *stats)
{
  g_autofree char *image = NULL;
  g_autofree char *root = NULL;
  guint64 used;

  if (!g_str_equal (virConnectGetType (virDomainGetConnect (domain)), "LXC") ||
      !domain_is_local (domain))
    return;
  image = vmgr_backend_domain_image (domain);
  root = image != NULL ? vmgr_backend_container_root (domain) : NULL;
  if (root != NULL && vmgr_image_usage_live (root, &used, NULL, NULL))
    {
      stats->has_disk = TRUE;
      stats->disk_used += used;
    }
}

gboolean
vmgr_backend_check_root_reachable (virDomainPtr domain, const char *root, GError **error)
{
  if (root != NULL || virDomainIsActive (domain) == 0)
    return TRUE;
  g_set_error (error, VMGR_ERROR, VMGR_ERROR_FAILED,
               "the container %s runs, but its root filesystem cannot be reached",
               virDomainGetName (domain));
  return FALSE;
}

gboolean
vmgr_backend_image_grow_to_limit (virDomainPtr domain, const char *image, GError **error)
{
  g_autofree char *xml = NULL;
  g_autoptr(VmgrVmSpec) spec = NULL;
  struct stat st;

  if (stat (image, &st) != 0 || virDomainIsActive (domain) != 0)
    return TRUE;
  xml = virDomainGetXMLDesc (domain, VIR_DOMAIN_XML_INACTIVE);
  spec = xml != NULL ? vmgr_domain_xml_parse (xml, NULL) : NULL;
  if (spec == NULL || spec->disk_hard_limit <= (guint64) st.st_size)
    return TRUE;
  if (vmgr_image_resize (image, spec->disk_hard_limit, error))
    return TRUE;
  g_prefix_error (error, "cannot grow the root image to its disk hard limit: ");
  return FALSE;
}

gboolean
vmgr_backend_image_start (virDomainPtr domain, GError **error)
{
  g_autofree char *image = domain_is_local (domain) ? vmgr_backend_domain_image (domain) : NULL;
  VmgrImageLock *lock;
  gboolean ok;

  if (image == NULL)
    return vmgr_backend_libvirt_ok (virDomainCreate (domain), error);
  lock = vmgr_backend_image_lock (image);
  ok = vmgr_backend_image_grow_to_limit (domain, image, error) &&
       vmgr_backend_libvirt_ok (virDomainCreate (domain), error);
  vmgr_backend_image_unlock (lock);
  return ok;
}

/* ---- Operations on the image ------------------------------------------- */

typedef struct {
  VmgrVmSpec *spec;
  VmgrGuestImageOp op;
  guint64 used;
  gboolean deferred;
} ImageTask;

static void
image_task_free (ImageTask *data)
{
  vmgr_vm_spec_free (data->spec);
  g_free (data);
}

/* A running container that cannot grow online (no CAP_SYS_RESOURCE, no
 * loop device found) gets its size at its next start
 * (vmgr_backend_image_start). */
static gboolean
grow_live_or_defer (ImageTask *data, const char *image, const char *root, GError **error)
{
  g_autoptr(GError) local = NULL;

  if (vmgr_image_grow_live (image, root, data->spec->disk_hard_limit, &local))
    return TRUE;
  if (g_error_matches (local, VMGR_ERROR, VMGR_ERROR_INVALID_STATE))
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  g_message ("VM %u: its root image grows at its next start (not online: %s)",
             data->spec->id, local->message);
  data->deferred = TRUE;
  return TRUE;
}

static gboolean
run_op (ImageTask *data, const char *image, const char *root, GError **error)
{
  guint64 limit = data->spec->disk_hard_limit;

  switch (data->op)
    {
    case VMGR_GUEST_IMAGE_USAGE:
      return root != NULL ? vmgr_image_usage_live (root, &data->used, NULL, error)
                          : vmgr_image_usage (image, &data->used, NULL, error);
    case VMGR_GUEST_IMAGE_RESIZE:
      if (limit == 0)
        return TRUE;
      if (root == NULL)
        return vmgr_image_resize (image, limit, error);
      return grow_live_or_defer (data, image, root, error);
    case VMGR_GUEST_IMAGE_SYNC:
      return root == NULL || vmgr_image_sync_live (root, error);
    case VMGR_GUEST_IMAGE_WRITE_NETWORK:
    default:
      return root != NULL ? vmgr_provision_write_network_live (root, data->spec, error)
                          : vmgr_provision_write_network (image, data->spec, error);
    }
}

static void
image_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  ImageTask *data = task_data;
  g_autoptr(VmgrVirDomain) domain = NULL;
  g_autofree char *image = NULL;
  g_autofree char *root = NULL;
  GError *error = NULL;
  gboolean ok;

  if (vmgr_backend_task_return_if_cancelled (task))
    return;
  domain = vmgr_backend_lookup_domain (source, data->spec->uuid, &error);
  image = domain != NULL ? vmgr_backend_domain_image (domain) : NULL;
  if (domain != NULL && image == NULL)
    g_set_error (&error, VMGR_ERROR, VMGR_ERROR_NOT_SUPPORTED,
                 "VM '%s' has a root directory, not a root image", data->spec->name);
  ok = image != NULL;
  if (ok)
    {
      VmgrImageLock *lock = vmgr_backend_image_lock (image);

      root = vmgr_backend_container_root (domain);
      ok = vmgr_backend_check_root_reachable (domain, root, &error) &&
           run_op (data, image, root, &error);
      vmgr_backend_image_unlock (lock);
    }
  vmgr_backend_task_return (task, ok, error);
}

void
vmgr_backend_guest_image_async (VmgrBackend *self, const VmgrVmSpec *spec, VmgrGuestImageOp op,
                                GCancellable *cancellable, GAsyncReadyCallback callback,
                                gpointer user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  ImageTask *data = g_new0 (ImageTask, 1);

  data->spec = vmgr_vm_spec_copy (spec);
  data->op = op;
  g_task_set_source_tag (task, vmgr_backend_guest_image_async);
  g_task_set_task_data (task, data, (GDestroyNotify) image_task_free);
  g_task_run_in_thread (task, image_thread);
}

gboolean
vmgr_backend_guest_image_finish (VmgrBackend *self, GAsyncResult *result, guint64 *used,
                                 gboolean *deferred, GError **error)
{
  ImageTask *data = g_task_get_task_data (G_TASK (result));

  if (used != NULL)
    *used = data->used;
  if (deferred != NULL)
    *deferred = data->deferred;
  return g_task_propagate_boolean (G_TASK (result), error);
}
