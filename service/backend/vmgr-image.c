#include "vmgr-image.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <linux/fs.h>
#include <linux/loop.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "vmgr-error.h"
#include "vmgr-tool.h"

/* linux/ext4.h is not a uapi header everywhere: the online resize ioctl. */
#ifndef EXT4_IOC_RESIZE_FS
#define EXT4_IOC_RESIZE_FS _IOW ('f', 16, guint64)
#endif

#define MiB (G_GUINT64_CONSTANT (1) << 20)

guint64
vmgr_image_size_for (guint64 hard_limit, guint64 template_bytes)
{
  if (hard_limit != 0)
    return hard_limit;
  return MAX (VMGR_IMAGE_DEFAULT_SIZE, 2 * template_bytes + 64 * MiB);
}

gboolean
vmgr_image_is_image (const char *root)
{
  return root != NULL && g_str_has_suffix (root, ".img");
}

static gboolean
set_errno_error (GError **error, int saved, const char *what, const char *path)
{
  g_set_error (error, VMGR_ERROR, VMGR_ERROR_FAILED, "cannot %s %s: %s", what, path,
               g_strerror (saved));
  return FALSE;
}

static char *
bytes_to_text (GBytes *bytes)
{
  gsize size = 0;
  const char *data = bytes != NULL ? g_bytes_get_data (bytes, &size) : NULL;

  return g_strndup (data != NULL ? data : "", size);
}

/* Runs @argv in @cwd (NULL: ours); its standard output in @out (may be
 * NULL; bytes as they come: the image's own text, like its label, need not
 * be UTF-8). @ok_status is the highest exit status that means success
 * (e2fsck: 1, "errors corrected"). */
static gboolean
run_tool_in (const char *cwd, const char * const *argv, int ok_status, char **out,
             GCancellable *cancellable, GError **error)
{
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GBytes) stdout_bytes = NULL;
  g_autoptr(GBytes) stderr_bytes = NULL;

  process = vmgr_tool_run (cwd, argv, &stdout_bytes, &stderr_bytes, cancellable, error);
  if (process == NULL)
    return FALSE;
  if (!g_subprocess_get_if_exited (process) ||
      g_subprocess_get_exit_status (process) > ok_status)
    {
      g_autofree char *message = vmgr_tool_message (stderr_bytes);

      g_set_error (error, VMGR_ERROR, VMGR_ERROR_FAILED, "%s failed: %s", argv[0], message);
      return FALSE;
    }
  if (out != NULL)
    *out = bytes_to_text (stdout_bytes);
  return TRUE;
}

static gboolean
run_tool (const char * const *argv, int ok_status, char **out, GCancellable *cancellable,
          GError **error)
{
  return run_tool_in (NULL, argv, ok_status, out, cancellable, error);
}

gboolean
vmgr_image_create (const char *image, const char *from_dir, guint64 size,
                   GCancellable *cancellable, GError **error)
{
  int fd = open (image, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  gboolean sized;

  if (fd < 0)
    return set_errno_error (error, errno, "create", image);
  sized = ftruncate (fd, (off_t) size) == 0;
  if (close (fd) != 0 || !sized)
    {
      set_errno_error (error, errno, "size", image);
      g_unlink (image);
      return FALSE;
    }
  /* No reserved blocks: the guest's root may use the whole limit. The
   * journal is not zeroed (a new sparse file reads as zeros anyway), so
   * the image holds only its data: 3 MiB rather than 35 for the busybox
   * template in 1 GiB, and its copies (snapshots) as little. */
  const char *argv[] = { "mke2fs", "-q", "-F", "-t", "ext4", "-m", "0", "-E",
                         "nodiscard,lazy_journal_init=1", "-d", from_dir, image, NULL };

  if (g_cancellable_set_error_if_cancelled (cancellable, error) ||
      !run_tool (argv, 0, NULL, cancellable, error))
    {
      g_unlink (image);
      return FALSE;
    }
  return TRUE;
}

static gboolean
debugfs (const char *image, gboolean writable, const char *request, char **out, GError **error)
{
  const char *argv[] = { "debugfs", "-R", request, image, NULL };
  const char *writing[] = { "debugfs", "-w", "-R", request, image, NULL };

  return run_tool (writable ? writing : argv, 0, out, NULL, error);
}

/* @dir is a real directory of the image (made when missing). Only the
 * first line of debugfs's stat is read: what follows (a link's target)
 * is the guest's text. */
static gboolean
ensure_directory (const char *image, const char *dir, GError **error)
{
  g_autofree char *stat_request = g_strdup_printf ("stat /%s", dir);
  g_autofree char *mkdir_request = g_strdup_printf ("mkdir /%s", dir);

  for (int attempt = 0; attempt < 2; attempt++)
    {
      g_autofree char *out = NULL;
      char *end;

      if (!debugfs (image, FALSE, stat_request, &out, error))
        return FALSE;
      end = strchr (out, '\n');
      if (end != NULL)
        *end = '\0';
      if (g_str_has_prefix (out, "Inode:") && strstr (out, "Type: directory") != NULL)
        return TRUE;
      if (g_str_has_prefix (out, "Inode:"))
        break;
      if (attempt == 0 && !debugfs (image, TRUE, mkdir_request, NULL, error))
        return FALSE;
    }
  g_set_error (error, VMGR_ERROR, VMGR_ERROR_FAILED, "/%s in %s is not a directory", dir, image);
  return FALSE;
}

static void
remove_scratch (const char *scratch, const char * const *names)
{
  for (guint i = 0; names[i] != NULL; i++)
    {
      g_autofree char *path = g_build_filename (scratch, names[i], NULL);

      g_unlink (path);
    }
  g_rmdir (scratch);
}

gboolean
vmgr_image_write_files (const char *image, const char *dir, const char * const *names,
                        const char * const *contents, GError **error)
{
  g_autofree char *scratch = NULL;
  g_autoptr(GString) script = g_string_new ("");
  g_autofree char *script_path = NULL;
  g_autofree char *absolute = g_canonicalize_filename (image, NULL);
  gboolean ok = TRUE;

  image = absolute;
  if (!ensure_directory (image, dir, error))
    return FALSE;
  scratch = g_dir_make_tmp ("vmgr-image-XXXXXX", error);
  if (scratch == NULL)
    return FALSE;
  /* cd does not follow a link (ensure_directory saw a directory); rm
   * removes a link itself; write makes a new file with the local file's
   * mode and owner. */
  g_string_append_printf (script, "cd /%s\n", dir);
  for (guint i = 0; ok && names[i] != NULL; i++)
    {
      g_autofree char *local = g_build_filename (scratch, names[i], NULL);

      ok = g_file_set_contents_full (local, contents[i], -1, G_FILE_SET_CONTENTS_NONE, 0644,
                                     error) &&
           (chmod (local, 0644) == 0 || set_errno_error (error, errno, "chmod", local));
      g_string_append_printf (script, "rm %s\nwrite %s %s\n", names[i], names[i], names[i]);
    }
  script_path = g_build_filename (scratch, "script", NULL);
  if (ok)
    ok = g_file_set_contents (script_path, script->str, -1, error);
  if (ok)
    {
      const char *argv[] = { "debugfs", "-w", "-f", "script", image, NULL };

      /* In the scratch directory: local names without spaces to quote. */
      ok = run_tool_in (scratch, argv, 0, NULL, NULL, error);
    }
  g_unlink (script_path);
  remove_scratch (scratch, names);
  /* debugfs carries on after a failed command: check what it wrote. */
  for (guint i = 0; ok && names[i] != NULL; i++)
    {
      g_autofree char *request = g_strdup_printf ("cat /%s/%s", dir, names[i]);
      g_autofree char *written = NULL;

      ok = debugfs (image, FALSE, request, &written, error);
      if (ok && g_strcmp0 (written, contents[i]) != 0)
        {
          g_set_error (error, VMGR_ERROR, VMGR_ERROR_FAILED, "cannot write /%s/%s in %s", dir,
                       names[i], image);
          ok = FALSE;
        }
    }
  return ok;
}

static guint64
dumpe2fs_field (const char *out, const char *field)
{
  const char *line = strstr (out, field);

  return line != NULL ? g_ascii_strtoull (line + strlen (field), NULL, 10) : 0;
}

gboolean
vmgr_image_usage (const char *image, guint64 *used, guint64 *size, GError **error)
{
  const char *argv[] = { "dumpe2fs", "-h", image, NULL };
  g_autofree char *out = NULL;
  guint64 blocks, free_blocks, block_size;

  if (!run_tool (argv, 0, &out, NULL, error))
    return FALSE;
  blocks = dumpe2fs_field (out, "\nBlock count:");
  free_blocks = dumpe2fs_field (out, "\nFree blocks:");
  block_size = dumpe2fs_field (out, "\nBlock size:");
  if (blocks == 0 || block_size == 0 || free_blocks > blocks)
    {
      g_set_error (error, VMGR_ERROR, VMGR_ERROR_FAILED, "cannot read the size of %s", image);
      return FALSE;
    }
  *used = (blocks - free_blocks) * block_size;
  if (size != NULL)
    *size = blocks * block_size;
  return TRUE;
}

static gboolean
truncate_image (const char *image, guint64 size, GError **error)
{
  return truncate (image, (off_t) size) == 0 || set_errno_error (error, errno, "resize", image);
}

gboolean
vmgr_image_resize (const char *image, guint64 size, GError **error)
{
  g_autofree char *kib = g_strdup_printf ("%" G_GUINT64_FORMAT "K", size / 1024);
  const char *check[] = { "e2fsck", "-f", "-p", image, NULL };
  const char *resize[] = { "resize2fs", image, kib, NULL };
  struct stat st;

  if (stat (image, &st) != 0)
    return set_errno_error (error, errno, "read", image);
  if ((guint64) st.st_size == size)
    return TRUE;
  /* resize2fs wants a freshly checked filesystem. */
  if (!run_tool (check, 1, NULL, NULL, error))
    return FALSE;
  if ((guint64) st.st_size < size)
    return truncate_image (image, size, error) && run_tool (resize, 0, NULL, NULL, error);
  return run_tool (resize, 0, NULL, NULL, error) && truncate_image (image, size, error);
}

gboolean
vmgr_image_usage_live (const char *root, guint64 *used, guint64 *size, GError **error)
{
  struct statvfs st;

  if (statvfs (root, &st) != 0)
    return set_errno_error (error, errno, "measure", root);
  *used = (guint64) (st.f_blocks - st.f_bfree) * st.f_frsize;
  if (size != NULL)
    *size = (guint64) st.f_blocks * st.f_frsize;
  return TRUE;
}

/* The loop device whose backing file is @image ("/dev/loopN"), or NULL. */
static char *
find_loop_device (const char *image)
{
  g_autofree char *canonical = realpath (image, NULL);
  g_autoptr(GDir) dir = g_dir_open ("/sys/block", 0, NULL);
  const char *name;

  while (canonical != NULL && dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *file = NULL;
      g_autofree char *backing = NULL;

      if (!g_str_has_prefix (name, "loop"))
        continue;
      file = g_build_filename ("/sys/block", name, "loop", "backing_file", NULL);
      if (g_file_get_contents (file, &backing, NULL, NULL) &&
          g_str_equal (g_strchomp (backing), canonical))
        return g_build_filename ("/dev", name, NULL);
    }
  return NULL;
}

static gboolean
set_capacity (const char *device, GError **error)
{
  int fd = open (device, O_RDONLY | O_CLOEXEC);
  int result;

  if (fd < 0)
    return set_errno_error (error, errno, "open", device);
  result = ioctl (fd, LOOP_SET_CAPACITY, 0);
  close (fd);
  return result == 0 || set_errno_error (error, errno, "update the capacity of", device);
}

static gboolean
resize_mounted (const char *root, guint64 blocks, GError **error)
{
  int fd = open (root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  int result;

  if (fd < 0)
    return set_errno_error (error, errno, "open", root);
  /* What resize2fs does on a mounted ext4 (needs CAP_SYS_RESOURCE). */
  result = ioctl (fd, EXT4_IOC_RESIZE_FS, &blocks);
  close (fd);
  return result == 0 || set_errno_error (error, errno, "grow the mounted filesystem", root);
}

gboolean
vmgr_image_grow_live (const char *image, const char *root, guint64 size, GError **error)
{
  g_autofree char *device = find_loop_device (image);
  struct statvfs st;
  struct stat image_st;

  if (device == NULL)
    {
      g_set_error (error, VMGR_ERROR, VMGR_ERROR_FAILED, "no loop device holds %s", image);
      return FALSE;
    }
  if (stat (image, &image_st) != 0)
    return set_errno_error (error, errno, "read", image);
  if ((guint64) image_st.st_size > size)
    {
      g_set_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_STATE,
                   "the disk of a running container can only grow: stop it first");
      return FALSE;
    }
  if ((guint64) image_st.st_size == size)
    return TRUE;
  if (statvfs (root, &st) != 0)
    return set_errno_error (error, errno, "measure", root);
  if (!truncate_image (image, size, error))
    return FALSE;
  if (set_capacity (device, error) && resize_mounted (root, size / st.f_bsize, error))
    return TRUE;
  /* The filesystem kept its size: so do the file and the device. */
  if (truncate ((const char *) image, image_st.st_size) != 0 || !set_capacity (device, NULL))
    g_warning ("%s could not get its old size back", image);
  return FALSE;
}

gboolean
vmgr_image_sync_live (const char *root, GError **error)
{
  int fd = open (root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  int result;

  if (fd < 0)
    return set_errno_error (error, errno, "open", root);
  result = syncfs (fd);
  close (fd);
  return result == 0 || set_errno_error (error, errno, "sync", root);
}
