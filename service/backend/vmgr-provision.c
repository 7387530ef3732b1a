#include "vmgr-provision.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmgr-domain-xml.h"
#include "vmgr-error.h"
#include "vmgr-file-copy.h"
#include "vmgr-image.h"
#include "vmgr-tool.h"

#define DEFAULT_DISK_SIZE (G_GUINT64_CONSTANT (1) << 30)

void
vmgr_guest_files_free (VmgrGuestFiles *files)
{
  if (files == NULL)
    return;
  g_free (files->root);
  g_free (files->disk);
  g_free (files->kernel);
  g_free (files->initrd);
  g_free (files);
}

char *
vmgr_provision_guest_dir (const char *state_dir, guint32 id)
{
  g_autofree char *name = g_strdup_printf ("%u", id);

  return g_build_filename (state_dir, "guests", name, NULL);
}

gboolean
vmgr_provision_needed (const char *scheme, const char *template_source)
{
  return template_source != NULL && *template_source != '\0' &&
         (g_str_equal (scheme, "lxc") || g_str_equal (scheme, "qemu"));
}

gboolean
vmgr_provision_is_kernel_template (const char *source)
{
  g_autofree char *kernel = g_build_filename (source, VMGR_TEMPLATE_KERNEL_NAME, NULL);

  return g_file_test (source, G_FILE_TEST_IS_DIR) && g_file_test (kernel, G_FILE_TEST_EXISTS);
}

/* A VM provisioned before roots were images keeps its directory. */
static char *
lxc_root (const char *guest_dir)
{
  g_autofree char *directory = g_build_filename (guest_dir, "rootfs", NULL);
  struct stat st;

  if (lstat (directory, &st) == 0 && S_ISDIR (st.st_mode))
    return g_steal_pointer (&directory);
  return g_build_filename (guest_dir, VMGR_IMAGE_NAME, NULL);
}

VmgrGuestFiles *
vmgr_provision_files (const char *scheme, const char *template_source, const char *guest_dir)
{
  VmgrGuestFiles *files = g_new0 (VmgrGuestFiles, 1);
  gboolean needed = vmgr_provision_needed (scheme, template_source);
  gboolean lxc = g_str_equal (scheme, "lxc");

  files->root = needed && lxc ? lxc_root (guest_dir) : g_strdup ("");
  files->disk = needed && !lxc ? g_build_filename (guest_dir, "disk.qcow2", NULL) : g_strdup ("");
  if (needed && !lxc && vmgr_provision_is_kernel_template (template_source))
    {
      files->kernel = g_build_filename (template_source, VMGR_TEMPLATE_KERNEL_NAME, NULL);
      files->initrd = g_build_filename (template_source, VMGR_TEMPLATE_INITRD_NAME, NULL);
    }
  else
    {
      files->kernel = g_strdup ("");
      files->initrd = g_strdup ("");
    }
  return files;
}

char *
vmgr_provision_definition (const char *scheme, const char *template_source,
                           const char *state_dir, const char *network, const VmgrVmSpec *spec,
                           GError **error)
{
  g_autofree char *guest_dir = NULL;
  g_autoptr(VmgrGuestFiles) files = NULL;

  if (!vmgr_provision_needed (scheme, template_source))
    return vmgr_domain_xml_build (spec, scheme, template_source, error);
  guest_dir = vmgr_provision_guest_dir (state_dir, spec->id);
  files = vmgr_provision_files (scheme, template_source, guest_dir);
  return vmgr_domain_xml_build_guest (spec, scheme, files->root, files->disk, files->kernel,
                                      files->initrd, network, error);
}

/* ---- Copying a root filesystem ----------------------------------------- */

typedef struct {
  guint total;
  guint done;
  VmgrProgressFunc progress;
  gpointer progress_data;
  GCancellable *cancellable;
} Copy;

static gboolean
set_errno_error (GError **error, int saved, const char *what, const char *path)
{
  g_set_error (error, VMGR_ERROR, VMGR_ERROR_FAILED, "cannot %s %s: %s", what, path,
               g_strerror (saved));
  return FALSE;
}

void
vmgr_provision_measure_tree (const char *path, guint *entries, guint64 *bytes)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);
      struct stat st;

      (*entries)++;
      if (lstat (child, &st) != 0)
        continue;
      if (S_ISDIR (st.st_mode))
        vmgr_provision_measure_tree (child, entries, bytes);
      else if (S_ISREG (st.st_mode))
        *bytes += (guint64) st.st_size;
    }
}

static gboolean copy_tree (Copy *copy, const char *from, const char *to, GError **error);

static gboolean
copy_entry (Copy *copy, const char *from, const char *to, GError **error)
{
  struct stat st;
  char target[4096];
  ssize_t len;

  if (lstat (from, &st) != 0)
    return set_errno_error (error, errno, "read", from);
  if (S_ISDIR (st.st_mode))
    return copy_tree (copy, from, to, error);
  if (S_ISLNK (st.st_mode))
    {
      len = readlink (from, target, sizeof target - 1);
      if (len < 0)
        return set_errno_error (error, errno, "read the link", from);
      target[len] = '\0';
      return symlink (target, to) == 0 || set_errno_error (error, errno, "link", to);
    }
  if (S_ISREG (st.st_mode))
    return vmgr_file_copy (from, to, st.st_mode, NULL, NULL, copy->cancellable, error);
  return TRUE;   /* device nodes and sockets: the container gets its own */
}

static gboolean
copy_tree (Copy *copy, const char *from, const char *to, GError **error)
{
  g_autoptr(GDir) dir = NULL;
  struct stat st;
  const char *name;

  if (lstat (from, &st) != 0 || mkdir (to, st.st_mode & 07777) != 0)
    return set_errno_error (error, errno, "create", to);
  dir = g_dir_open (from, 0, error);
  if (dir == NULL)
    return FALSE;
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child_from = g_build_filename (from, name, NULL);
      g_autofree char *child_to = g_build_filename (to, name, NULL);

      if (g_cancellable_set_error_if_cancelled (copy->cancellable, error) ||
          !copy_entry (copy, child_from, child_to, error))
        return FALSE;
      copy->done++;
      if (copy->progress != NULL && copy->total > 0 && copy->done % 16 == 0)
        copy->progress ((double) copy->done / copy->total, copy->progress_data);
    }
  return chmod (to, st.st_mode & 07777) == 0 || set_errno_error (error, errno, "chmod", to);
}

gboolean
vmgr_provision_copy_tree (const char *from, const char *to, VmgrProgressFunc progress,
                          gpointer progress_data, GCancellable *cancellable, GError **error)
{
  Copy copy = { 0, 0, progress, progress_data, cancellable };
  guint64 bytes = 0;

  vmgr_provision_measure_tree (from, &copy.total, &bytes);
  return copy_tree (&copy, from, to, error);
}

/* Writes @name in the directory @dir_fd without following any link: the
 * guest's root owns that tree and could point a link at the host's files.
 * A link standing where the file goes is replaced, never followed. */
static gboolean
write_file_at (int dir_fd, const char *name, const char *contents, GError **error)
{
  size_t length = strlen (contents);
  int fd;
  gboolean written;

  if (unlinkat (dir_fd, name, 0) != 0 && errno != ENOENT)
    return set_errno_error (error, errno, "replace", name);
  fd = openat (dir_fd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0)
    return set_errno_error (error, errno, "create", name);
  written = write (fd, contents, length) == (ssize_t) length && fchmod (fd, 0644) == 0;
  if (close (fd) != 0 || !written)
    return set_errno_error (error, errno, "write", name);
  return TRUE;
}

/* The guest's etc directory, a real directory (not a link) under @root
 * (itself no link unless @follow_root: a running container's
 * /proc/PID/root). */
static int
open_guest_etc (const char *root, gboolean follow_root, GError **error)
{
  int root_fd = open (root, O_PATH | O_DIRECTORY | (follow_root ? 0 : O_NOFOLLOW) | O_CLOEXEC);
  int etc_fd;

  if (root_fd < 0)
    return set_errno_error (error, errno, "open", root), -1;
  if (mkdirat (root_fd, "etc", 0755) != 0 && errno != EEXIST)
    {
      set_errno_error (error, errno, "create etc in", root);
      close (root_fd);
      return -1;
    }
  etc_fd = openat (root_fd, "etc", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (etc_fd < 0)
    set_errno_error (error, errno, "open etc (not a directory?) in", root);
  close (root_fd);
  return etc_fd;
}

#define N_NETWORK_FILES 3

/* The files of vmgr_provision_write_network; resolv.conf only with name
 * servers. Values were validated (CIDR, IPs, RFC 1123 names): no quoting
 * issues. */
static void
network_files (const VmgrVmSpec *spec, const char *names[N_NETWORK_FILES + 1],
               char *contents[N_NETWORK_FILES + 1])
{
  g_autofree char *addresses = g_strjoinv (" ", spec->addresses);
  g_autofree char *nameservers = g_strjoinv (" ", spec->nameservers);
  GString *resolv = g_string_new ("");
  guint n = 0;

  for (guint i = 0; spec->nameservers[i] != NULL; i++)
    g_string_append_printf (resolv, "nameserver %s\n", spec->nameservers[i]);
  names[n] = "hostname";
  contents[n++] = g_strdup_printf ("%s\n", *spec->hostname ? spec->hostname : spec->name);
  names[n] = "vmgr-network";
  contents[n++] = g_strdup_printf ("ADDRESS=\"%s\"\nGATEWAY=\"%s\"\nNAMESERVERS=\"%s\"\n",
                                   addresses, spec->gateway, nameservers);
  if (spec->nameservers[0] != NULL)
    {
      names[n] = "resolv.conf";
      contents[n++] = g_string_free (resolv, FALSE);
    }
  else
    g_string_free (resolv, TRUE);
  names[n] = NULL;
  contents[n] = NULL;
}

static gboolean
write_network_in_tree (const char *root, gboolean follow_root, const VmgrVmSpec *spec,
                       GError **error)
{
  const char *names[N_NETWORK_FILES + 1];
  g_auto(GStrv) contents = g_new0 (char *, N_NETWORK_FILES + 1);
  int etc_fd;
  gboolean done = TRUE;

  network_files (spec, names, contents);
  etc_fd = open_guest_etc (root, follow_root, error);
  if (etc_fd < 0)
    return FALSE;
  for (guint i = 0; done && names[i] != NULL; i++)
    done = write_file_at (etc_fd, names[i], contents[i], error);
  close (etc_fd);
  return done;
}

gboolean
vmgr_provision_write_network (const char *root, const VmgrVmSpec *spec, GError **error)
{
  const char *names[N_NETWORK_FILES + 1];
  g_auto(GStrv) contents = g_new0 (char *, N_NETWORK_FILES + 1);

  if (!vmgr_image_is_image (root))
    return write_network_in_tree (root, FALSE, spec, error);
  network_files (spec, names, contents);
  return vmgr_image_write_files (root, "etc", names, (const char * const *) contents, error);
}

gboolean
vmgr_provision_write_network_live (const char *proc_root, const VmgrVmSpec *spec,
                                   GError **error)
{
  return write_network_in_tree (proc_root, TRUE, spec, error);
}

static void
write_network_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  const char *root = g_object_get_data (G_OBJECT (task), "root");
  GError *error = NULL;

  if (vmgr_provision_write_network (root, data, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

void
vmgr_provision_write_network_async (const char *root, const VmgrVmSpec *spec,
                                    GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, NULL, callback, user_data);

  g_task_set_source_tag (task, vmgr_provision_write_network_async);
  g_object_set_data_full (G_OBJECT (task), "root", g_strdup (root), g_free);
  g_task_set_task_data (task, vmgr_vm_spec_copy (spec), (GDestroyNotify) vmgr_vm_spec_free);
  g_task_run_in_thread (task, write_network_thread);
}

gboolean
vmgr_provision_write_network_finish (GAsyncResult *result, GError **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
measure_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  const char *path = data;
  guint entries = 0;
  guint64 *bytes = g_new0 (guint64, 1);

  if (!g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_free (bytes);
      g_task_return_new_error (task, VMGR_ERROR, VMGR_ERROR_NOT_FOUND, "%s is no directory",
                               path);
      return;
    }
  vmgr_provision_measure_tree (path, &entries, bytes);
  g_task_return_pointer (task, bytes, g_free);
}

void
vmgr_provision_measure_async (const char *path, GCancellable *cancellable,
                              GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);

  g_task_set_source_tag (task, vmgr_provision_measure_async);
  g_task_set_task_data (task, g_strdup (path), g_free);
  g_task_run_in_thread (task, measure_thread);
}

gboolean
vmgr_provision_measure_finish (GAsyncResult *result, guint64 *bytes, GError **error)
{
  g_autofree guint64 *measured = g_task_propagate_pointer (G_TASK (result), error);

  if (measured == NULL)
    return FALSE;
  *bytes = *measured;
  return TRUE;
}

/* ---- QEMU disks -------------------------------------------------------- */

static gboolean
create_disk (const char *template_source, const VmgrGuestFiles *files, const VmgrVmSpec *spec,
             GError **error)
{
  g_autofree char *size = g_strdup_printf ("%" G_GUINT64_FORMAT,
                                           spec->disk_hard_limit != 0 ? spec->disk_hard_limit
                                                                      : DEFAULT_DISK_SIZE);
  const char *format = g_str_has_suffix (template_source, ".qcow2") ? "qcow2" : "raw";

  /* The virtual size is the hard limit the guest can actually hit. */
  if (*files->kernel != '\0')
    {
      const char *argv[] = { "qemu-img", "create", "-q", "-f", "qcow2", files->disk, size, NULL };

      return vmgr_tool_run_checked (argv, NULL, NULL, error);
    }
  else
    {
      const char *argv[] = { "qemu-img", "create", "-q", "-f", "qcow2", "-b", template_source,
                             "-F", format, files->disk, size, NULL };

      return vmgr_tool_run_checked (argv, NULL, NULL, error);
    }
}

/* ---- The provisioning task --------------------------------------------- */

typedef struct {
  char *scheme;
  char *template_source;
  char *guest_dir;
  VmgrVmSpec *spec;
  VmgrProgressFunc progress;
  gpointer progress_data;
} Provision;

static void
provision_free (Provision *provision)
{
  g_free (provision->scheme);
  g_free (provision->template_source);
  g_free (provision->guest_dir);
  vmgr_vm_spec_free (provision->spec);
  g_free (provision);
}

static gboolean remove_tree (const char *path, GError **error);

/* QEMU runs as its own user: it must get through the state directory to
 * the guest's disk (which libvirt hands to it), without listing anything. */
gboolean
vmgr_provision_make_guest_dir (const char *guest_dir, GError **error)
{
  g_autofree char *guests = g_path_get_dirname (guest_dir);
  g_autofree char *state = g_path_get_dirname (guests);

  if (g_mkdir_with_parents (guest_dir, 0711) != 0)
    return set_errno_error (error, errno, "create", guest_dir);
  if (chmod (state, 0711) != 0 || chmod (guests, 0711) != 0 || chmod (guest_dir, 0711) != 0)
    return set_errno_error (error, errno, "open up", guest_dir);
  return TRUE;
}

/* The root image, sized by the hard limit (see vmgr_image_size_for). */
static gboolean
provision_image (Provision *provision, const char *image, GCancellable *cancellable,
                 GError **error)
{
  guint entries = 0;
  guint64 bytes = 0;
  guint64 size;

  vmgr_provision_measure_tree (provision->template_source, &entries, &bytes);
  size = vmgr_image_size_for (provision->spec->disk_hard_limit, bytes);
  if (provision->progress != NULL)
    provision->progress (0.05, provision->progress_data);
  if (!vmgr_image_create (image, provision->template_source, size, cancellable, error))
    {
      g_prefix_error (error, "cannot make a %" G_GUINT64_FORMAT "-byte root image from "
                      "the template (%" G_GUINT64_FORMAT " bytes): ", size, bytes);
      return FALSE;
    }
  if (provision->progress != NULL)
    provision->progress (0.9, provision->progress_data);
  return !g_cancellable_set_error_if_cancelled (cancellable, error) &&
         vmgr_provision_write_network (image, provision->spec, error);
}

static gboolean
provision_files (Provision *provision, GCancellable *cancellable, GError **error)
{
  g_autoptr(VmgrGuestFiles) files = vmgr_provision_files (provision->scheme,
                                                          provision->template_source,
                                                          provision->guest_dir);

  if (!vmgr_provision_make_guest_dir (provision->guest_dir, error))
    return FALSE;
  if (*files->disk != '\0')
    return create_disk (provision->template_source, files, provision->spec, error);
  if (!g_file_test (provision->template_source, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_STATE,
                   "the template's root filesystem %s is not a directory",
                   provision->template_source);
      return FALSE;
    }
  if (!vmgr_image_is_image (files->root))
    return vmgr_provision_copy_tree (provision->template_source, files->root,
                                     provision->progress, provision->progress_data,
                                     cancellable, error) &&
           vmgr_provision_write_network (files->root, provision->spec, error);
  return provision_image (provision, files->root, cancellable, error);
}

gboolean
vmgr_provision_sync (const char *scheme, const char *template_source, const char *guest_dir,
                     const VmgrVmSpec *spec, VmgrProgressFunc progress, gpointer progress_data,
                     GCancellable *cancellable, GError **error)
{
  Provision provision = { (char *) scheme, (char *) template_source, (char *) guest_dir,
                          (VmgrVmSpec *) spec, progress, progress_data };

  if (provision_files (&provision, cancellable, error))
    return TRUE;
  /* Nothing is left behind. */
  remove_tree (guest_dir, NULL);
  return FALSE;
}

gboolean
vmgr_provision_remove_tree (const char *path, GError **error)
{
  return remove_tree (path, error);
}

static void
provision_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  Provision *provision = data;
  GError *error = NULL;

  if (vmgr_provision_sync (provision->scheme, provision->template_source,
                           provision->guest_dir, provision->spec, provision->progress,
                           provision->progress_data, cancellable, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

void
vmgr_provision_async (const char *scheme, const char *template_source, const char *guest_dir,
                      const VmgrVmSpec *spec, VmgrProgressFunc progress, gpointer progress_data,
                      GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  Provision *provision = g_new0 (Provision, 1);

  provision->scheme = g_strdup (scheme);
  provision->template_source = g_strdup (template_source);
  provision->guest_dir = g_strdup (guest_dir);
  provision->spec = vmgr_vm_spec_copy (spec);
  provision->progress = progress;
  provision->progress_data = progress_data;
  g_task_set_source_tag (task, vmgr_provision_async);
  g_task_set_task_data (task, provision, (GDestroyNotify) provision_free);
  g_task_run_in_thread (task, provision_thread);
}

gboolean
vmgr_provision_finish (GAsyncResult *result, GError **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- Removal ----------------------------------------------------------- */

static gboolean
remove_tree (const char *path, GError **error)
{
  struct stat st;
  g_autoptr(GDir) dir = NULL;
  const char *name;

  if (lstat (path, &st) != 0)
    return errno == ENOENT || set_errno_error (error, errno, "remove", path);
  if (S_ISDIR (st.st_mode))
    {
      dir = g_dir_open (path, 0, error);
      if (dir == NULL)
        return FALSE;
      while ((name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);

          if (!remove_tree (child, error))
            return FALSE;
        }
      return rmdir (path) == 0 || set_errno_error (error, errno, "remove", path);
    }
  return unlink (path) == 0 || set_errno_error (error, errno, "remove", path);
}

static void
remove_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  GError *error = NULL;

  if (remove_tree (data, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

void
vmgr_provision_remove_async (const char *guest_dir, GCancellable *cancellable,
                             GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);

  g_task_set_source_tag (task, vmgr_provision_remove_async);
  g_task_set_task_data (task, g_strdup (guest_dir), g_free);
  g_task_run_in_thread (task, remove_thread);
}

gboolean
vmgr_provision_remove_finish (GAsyncResult *result, GError **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}
