#include "vmgr-file-copy.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmgr-error.h"

#define CHUNK (8 * 1024 * 1024)

static gboolean
errno_error (GError **error, int saved, const char *what, const char *path)
{
  g_set_error (error, VMGR_ERROR, VMGR_ERROR_FAILED, "cannot %s %s: %s", what, path,
               g_strerror (saved));
  return FALSE;
}

/* Copies [offset, offset + length) with copy_file_range, falling back to
 * read and write where the kernel cannot (across filesystems on old ones). */
static gboolean
copy_range (int in, int out, off_t offset, off_t length, GError **error,
            const char *from)
{
  off_t done = 0;

  while (done < length)
    {
      loff_t in_off = offset + done, out_off = offset + done;
      size_t want = (size_t) MIN ((off_t) CHUNK, length - done);
      ssize_t n = copy_file_range (in, &in_off, out, &out_off, want, 0);

      if (n < 0 && (errno == EXDEV || errno == ENOSYS || errno == EINVAL || errno == EOPNOTSUPP))
        {
          g_autofree char *buffer = g_malloc (want);
          n = pread (in, buffer, want, offset + done);
          if (n > 0 && pwrite (out, buffer, (size_t) n, offset + done) != n)
            n = -1;
        }
      if (n < 0)
        return errno_error (error, errno, "copy", from);
      if (n == 0)
        break;
      done += n;
    }
  return TRUE;
}

static gboolean
copy_extents (int in, int out, off_t size, VmgrFileCopyProgress progress,
              gpointer progress_data, GCancellable *cancellable,
              const char *from, GError **error)
{
  off_t data = 0;

  while (data < size)
    {
      off_t hole;

      data = lseek (in, data, SEEK_DATA);
      if (data < 0 && errno == ENXIO)
        break;                  /* only a hole is left */
      if (data < 0)
        return errno_error (error, errno, "read", from);
      hole = lseek (in, data, SEEK_HOLE);
      if (hole < 0)
        hole = size;
      while (data < hole)
        {
          off_t length = MIN ((off_t) CHUNK, hole - data);

          if (g_cancellable_set_error_if_cancelled (cancellable, error) ||
              !copy_range (in, out, data, length, error, from))
            return FALSE;
          data += length;
          if (progress != NULL)
            progress ((double) data / (double) size, progress_data);
        }
    }
  return TRUE;
}

gboolean
vmgr_file_copy (const char *from, const char *to, guint mode,
                VmgrFileCopyProgress progress, gpointer progress_data,
                GCancellable *cancellable, GError **error)
{
  int in = open (from, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  int out = -1;
  struct stat st;
  gboolean ok = FALSE;

  if (in < 0)
    return errno_error (error, errno, "open", from);
  if (fstat (in, &st) != 0 || !S_ISREG (st.st_mode))
    {
      g_set_error (error, VMGR_ERROR, VMGR_ERROR_FAILED, "cannot copy %s: not a regular file",
                   from);
      close (in);
      return FALSE;
    }
  out = open (to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode & 07777);
  if (out < 0)
    {
      errno_error (error, errno, "create", to);
      close (in);
      return FALSE;
    }

  if (ioctl (out, FICLONE, in) == 0)
    ok = TRUE;
  else
    ok = ftruncate (out, st.st_size) == 0 ?
         copy_extents (in, out, st.st_size, progress, progress_data, cancellable, from, error) :
         errno_error (error, errno, "size", to);
  if (ok && fchmod (out, mode & 07777) != 0)
    ok = errno_error (error, errno, "chmod", to);
  if (close (out) != 0 && ok)
    ok = errno_error (error, errno, "write", to);
  close (in);
  if (!ok)
    unlink (to);
  else if (progress != NULL)
    progress (1.0, progress_data);
  return ok;
}

guint64
vmgr_file_allocated_bytes (const char *path)
{
  struct stat st;

  return lstat (path, &st) == 0 ? (guint64) st.st_blocks * 512 : 0;
}
