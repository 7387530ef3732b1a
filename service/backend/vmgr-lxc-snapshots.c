/* Snapshots of an LXC guest's root image, file by file: libvirt keeps no
 * snapshots for LXC, so vmgr keeps them beside the image, in the guest's
 * directory:
 *
 *   snapshots/NAME.img    a copy of root.img (vmgr_file_copy: reflink or
 *                         data extents only)
 *   snapshots/NAME.info   its metadata (a key file: description, creation
 *                         time, captured state, parent)
 *   snapshots/current     the name of the snapshot the image descends from
 *                         (the parent of the next one)
 *
 * A running container is frozen (cgroup freezer) and its filesystem synced
 * while its image is copied, then thawed; a revert stops it, copies the
 * snapshot back and brings it to the state the snapshot captured, as
 * libvirt's revert does for QEMU (the memory is not kept: "running" means
 * started afresh from the snapshot's disk). Worker threads only. */
#include "vmgr-backend-private.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <sys/stat.h>

#include "vmgr-backend-private.h"
#include "vmgr-error.h"
#include "vmgr-file-copy.h"
#include "vmgr-image.h"

#define GROUP "snapshot"

static char *
snapshot_file (const char *dir, const char *name, const char *suffix)
{
  g_autofree char *base = g_strconcat (name, suffix, NULL);

  return g_build_filename (dir, base, NULL);
}

static char *
read_current (const char *dir)
{
  g_autofree char *path = g_build_filename (dir, "current", NULL);
  g_autofree char *text = NULL;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return g_strdup ("");
  return g_strdup (g_strstrip (text));
}

static gboolean
write_current (const char *dir, const char *name, GError **error)
{
  g_autofree char *path = g_build_filename (dir, "current", NULL);

  if (*name == '\0')
    return g_unlink (path) == 0 || errno == ENOENT ||
           (g_set_error (error, VMGR_ERROR, VMGR_ERROR_FAILED, "cannot remove %s: %s", path,
                         g_strerror (errno)), FALSE);
  return g_file_set_contents_full (path, name, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, error);
}

static VmgrBackendSnapshot *
read_info (const char *dir, const char *name)
{
  g_autofree char *path = snapshot_file (dir, name, ".info");
  g_autofree char *image = snapshot_file (dir, name, ".img");
  g_autoptr(GKeyFile) keys = g_key_file_new ();
  VmgrBackendSnapshot *snapshot;
  g_autofree char *description = NULL, *state = NULL, *parent = NULL;

  if (!g_key_file_load_from_file (keys, path, G_KEY_FILE_NONE, NULL) ||
      !g_file_test (image, G_FILE_TEST_IS_REGULAR))
    return NULL;
  description = g_key_file_get_string (keys, GROUP, "description", NULL);
  state = g_key_file_get_string (keys, GROUP, "state", NULL);
  parent = g_key_file_get_string (keys, GROUP, "parent", NULL);
  snapshot = g_new0 (VmgrBackendSnapshot, 1);
  snapshot->name = g_strdup (name);
  snapshot->description = g_strdup (description != NULL ? description : "");
  snapshot->creation_time = g_key_file_get_int64 (keys, GROUP, "creation-time", NULL);
  snapshot->state = g_strdup (state != NULL ? state : "stopped");
  snapshot->parent = g_strdup (parent != NULL ? parent : "");
  snapshot->size = vmgr_file_allocated_bytes (image);
  return snapshot;
}

static gboolean
write_info (const char *dir, const VmgrBackendSnapshot *snapshot, GError **error)
{
  g_autofree char *path = snapshot_file (dir, snapshot->name, ".info");
  g_autoptr(GKeyFile) keys = g_key_file_new ();

  g_key_file_set_string (keys, GROUP, "description", snapshot->description);
  g_key_file_set_int64 (keys, GROUP, "creation-time", snapshot->creation_time);
  g_key_file_set_string (keys, GROUP, "state", snapshot->state);
  g_key_file_set_string (keys, GROUP, "parent", snapshot->parent);
  return g_key_file_save_to_file (keys, path, error);
}

static int
compare_snapshots (gconstpointer a, gconstpointer b)
{
  const VmgrBackendSnapshot *first = *(VmgrBackendSnapshot **) a;
  const VmgrBackendSnapshot *second = *(VmgrBackendSnapshot **) b;

  if (first->creation_time != second->creation_time)
    return first->creation_time < second->creation_time ? -1 : 1;
  return strcmp (first->name, second->name);
}

/* The snapshots in @dir, oldest first (none when @dir is absent). */
static GPtrArray *
list_snapshots (const char *dir)
{
  GPtrArray *snapshots = g_ptr_array_new_with_free_func ((GDestroyNotify) vmgr_backend_snapshot_free);
  g_autoptr(GDir) listing = g_dir_open (dir, 0, NULL);
  const char *entry;

  while (listing != NULL && (entry = g_dir_read_name (listing)) != NULL)
    {
      g_autofree char *name = NULL;
      VmgrBackendSnapshot *snapshot;

      if (!g_str_has_suffix (entry, ".info"))
        continue;
      name = g_strndup (entry, strlen (entry) - strlen (".info"));
      snapshot = read_info (dir, name);
      if (snapshot != NULL)
        g_ptr_array_add (snapshots, snapshot);
    }
  g_ptr_array_sort (snapshots, compare_snapshots);
  return snapshots;
}

static gboolean
not_found (const char *name, GError **error)
{
  g_set_error (error, VMGR_ERROR, VMGR_ERROR_NOT_FOUND, "no snapshot '%s'", name);
  return FALSE;
}

static const char *
up_state (virDomainPtr domain)
{
  int state = VIR_DOMAIN_NOSTATE;
  int reason;

  if (virDomainGetState (domain, &state, &reason, 0) < 0)
    return "stopped";
  if (state == VIR_DOMAIN_PAUSED)
    return "paused";
  if (state == VIR_DOMAIN_RUNNING || state == VIR_DOMAIN_BLOCKED)
    return "running";
  return "stopped";
}

static gboolean
create (virDomainPtr domain, const char *image, const char *dir, const char *name,
        const char *description, GCancellable *cancellable, GError **error)
{
  g_autoptr(VmgrBackendSnapshot) snapshot = g_new0 (VmgrBackendSnapshot, 1);
  g_autofree char *copy = snapshot_file (dir, name, ".img");
  g_autofree char *info = snapshot_file (dir, name, ".info");
  g_autofree char *root = vmgr_backend_container_root (domain);
  gboolean frozen_here = FALSE;
  gboolean ok;

  if (g_file_test (info, G_FILE_TEST_EXISTS) || g_file_test (copy, G_FILE_TEST_EXISTS))
    return g_set_error (error, VMGR_ERROR, VMGR_ERROR_ALREADY_EXISTS,
                        "a snapshot '%s' exists", name), FALSE;
  if (g_mkdir_with_parents (dir, 0700) != 0)
    return g_set_error (error, VMGR_ERROR, VMGR_ERROR_FAILED, "cannot create %s: %s", dir,
                        g_strerror (errno)), FALSE;
  snapshot->name = g_strdup (name);
  snapshot->description = g_strdup (description != NULL ? description : "");
  /* Whole seconds, as libvirt keeps them for the other drivers. */
  snapshot->creation_time = g_get_real_time () / G_USEC_PER_SEC * G_USEC_PER_SEC;
  if (!vmgr_backend_check_root_reachable (domain, root, error))
    return FALSE;
  snapshot->state = g_strdup (root != NULL ? up_state (domain) : "stopped");
  snapshot->parent = read_current (dir);
  if (root != NULL && g_str_equal (snapshot->state, "running"))
    {
      if (!vmgr_backend_libvirt_ok (virDomainSuspend (domain), error))
        return FALSE;
      frozen_here = TRUE;
    }
  ok = (root == NULL || vmgr_image_sync_live (root, error)) &&
       vmgr_file_copy (image, copy, 0600, NULL, NULL, cancellable, error);
  if (frozen_here && virDomainResume (domain) < 0)
    g_warning ("cannot resume %s after its snapshot: %s", virDomainGetName (domain),
               virGetLastErrorMessage ());
  if (ok && !(write_info (dir, snapshot, error) && write_current (dir, name, error)))
    {
      g_unlink (info);
      g_unlink (copy);
      ok = FALSE;
    }
  return ok;
}

/* Back to @snapshot's image, in the state it captured. */
static gboolean
revert (virDomainPtr domain, const char *image, const char *dir,
        const VmgrBackendSnapshot *snapshot, GCancellable *cancellable, GError **error)
{
  g_autofree char *copy = snapshot_file (dir, snapshot->name, ".img");
  g_autofree char *scratch = g_strconcat (image, ".reverting", NULL);

  /* The copy first: a failure leaves the container as it was. */
  g_unlink (scratch);
  if (!vmgr_file_copy (copy, scratch, 0600, NULL, NULL, cancellable, error))
    return FALSE;
  if (virDomainIsActive (domain) == 1 && virDomainDestroy (domain) < 0)
    {
      vmgr_backend_set_error_from_libvirt (error);
      g_unlink (scratch);
      return FALSE;
    }
  if (g_rename (scratch, image) != 0)
    {
      g_set_error (error, VMGR_ERROR, VMGR_ERROR_FAILED, "cannot replace %s: %s", image,
                   g_strerror (errno));
      g_unlink (scratch);
      return FALSE;
    }
  if (!write_current (dir, snapshot->name, error))
    return FALSE;
  if (g_str_equal (snapshot->state, "stopped"))
    return TRUE;
  if (!vmgr_backend_image_grow_to_limit (domain, image, error) ||
      !vmgr_backend_libvirt_ok (virDomainCreate (domain), error))
    return FALSE;
  return !g_str_equal (snapshot->state, "paused") ||
         vmgr_backend_libvirt_ok (virDomainSuspend (domain), error);
}

/* Its children get its parent, as libvirt does. */
static gboolean
delete (const char *dir, GPtrArray *snapshots, const VmgrBackendSnapshot *snapshot,
        GError **error)
{
  g_autofree char *copy = snapshot_file (dir, snapshot->name, ".img");
  g_autofree char *info = snapshot_file (dir, snapshot->name, ".info");
  g_autofree char *current = read_current (dir);

  for (guint i = 0; i < snapshots->len; i++)
    {
      VmgrBackendSnapshot *child = g_ptr_array_index (snapshots, i);

      if (!g_str_equal (child->parent, snapshot->name))
        continue;
      g_free (child->parent);
      child->parent = g_strdup (snapshot->parent);
      if (!write_info (dir, child, error))
        return FALSE;
    }
  if (g_str_equal (current, snapshot->name) && !write_current (dir, snapshot->parent, error))
    return FALSE;
  if ((g_unlink (info) != 0 && errno != ENOENT) || (g_unlink (copy) != 0 && errno != ENOENT))
    return g_set_error (error, VMGR_ERROR, VMGR_ERROR_FAILED, "cannot remove snapshot '%s': %s",
                        snapshot->name, g_strerror (errno)), FALSE;
  return TRUE;
}

static VmgrBackendSnapshot *
find (GPtrArray *snapshots, const char *name)
{
  for (guint i = 0; i < snapshots->len; i++)
    if (g_str_equal (((VmgrBackendSnapshot *) g_ptr_array_index (snapshots, i))->name, name))
      return g_ptr_array_index (snapshots, i);
  return NULL;
}

/* With no snapshot left, no snapshots directory. */
static void
remove_empty (const char *dir)
{
  g_autoptr(GPtrArray) left = list_snapshots (dir);
  g_autofree char *current = g_build_filename (dir, "current", NULL);

  if (left->len == 0)
    {
      g_unlink (current);
      g_rmdir (dir);
    }
}

/* vmgr_lxc_snapshot on @image, whose lock the caller holds. */
static gboolean
snapshot_locked (virDomainPtr domain, VmgrBackendSnapshotOp op, const char *image,
                 const char *name, const char *description, GPtrArray **snapshots,
                 VmgrVmState *state_after, GCancellable *cancellable, GError **error)
{
  g_autofree char *guest_dir = g_path_get_dirname (image);
  g_autofree char *dir = g_build_filename (guest_dir, "snapshots", NULL);
  g_autoptr(GPtrArray) before = list_snapshots (dir);
  VmgrBackendSnapshot *found = NULL;
  gboolean ok = TRUE;
  int state, reason;
  const char *reason_name;

  if (op == VMGR_BACKEND_SNAPSHOT_REVERT || op == VMGR_BACKEND_SNAPSHOT_DELETE)
    {
      found = find (before, name);
      if (found == NULL)
        return not_found (name, error);
    }
  if (op == VMGR_BACKEND_SNAPSHOT_CREATE)
    ok = create (domain, image, dir, name, description, cancellable, error);
  else if (op == VMGR_BACKEND_SNAPSHOT_REVERT)
    {
      ok = revert (domain, image, dir, found, cancellable, error);
      if (ok && vmgr_backend_libvirt_ok (virDomainGetState (domain, &state, &reason, 0), NULL))
        *state_after = vmgr_backend_domain_state (state, reason, &reason_name);
    }
  else if (op == VMGR_BACKEND_SNAPSHOT_DELETE)
    ok = delete (dir, before, found, error);
  if (op == VMGR_BACKEND_SNAPSHOT_CREATE || op == VMGR_BACKEND_SNAPSHOT_DELETE)
    remove_empty (dir);
  if (ok)
    *snapshots = list_snapshots (dir);
  return ok;
}

gboolean
vmgr_lxc_snapshot (virDomainPtr domain, VmgrBackendSnapshotOp op, const char *name,
                   const char *description, GPtrArray **snapshots, VmgrVmState *state_after,
                   GCancellable *cancellable, GError **error)
{
  g_autofree char *image = vmgr_backend_domain_image (domain);
  VmgrImageLock *lock;
  gboolean ok;

  if (image == NULL)
    {
      /* A container with a root directory has nothing to snapshot. */
      if (op == VMGR_BACKEND_SNAPSHOT_LIST)
        {
          *snapshots = g_ptr_array_new_with_free_func (
            (GDestroyNotify) vmgr_backend_snapshot_free);
          return TRUE;
        }
      g_set_error (error, VMGR_ERROR, VMGR_ERROR_NOT_SUPPORTED,
                   "the container has a root directory: snapshots need a root image");
      return FALSE;
    }
  lock = vmgr_backend_image_lock (image);
  ok = snapshot_locked (domain, op, image, name, description, snapshots, state_after,
                        cancellable, error);
  vmgr_backend_image_unlock (lock);
  return ok;
}
