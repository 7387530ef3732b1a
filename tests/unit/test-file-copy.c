/* Copies of guest files (backend/vmgr-file-copy.c): contents equal, holes
 * kept, nothing left behind on failure or cancellation. */
#include <fcntl.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmgr-error.h"
#include "vmgr-file-copy.h"

#define MIB (1024 * 1024)

static char *scratch;

static char *
scratch_path (const char *name)
{
  return g_build_filename (scratch, name, NULL);
}

/* A 64 MiB file with 1 MiB of data at 0 and at 40 MiB, holes between. */
static char *
make_sparse (const char *name)
{
  char *path = scratch_path (name);
  int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  g_autofree char *data = g_malloc (MIB);

  g_assert_cmpint (fd, >=, 0);
  for (gsize i = 0; i < MIB; i++)
    data[i] = (char) (i * 7 + 1);
  g_assert_cmpint (pwrite (fd, data, MIB, 0), ==, MIB);
  g_assert_cmpint (pwrite (fd, data, MIB, 40 * MIB), ==, MIB);
  g_assert_cmpint (ftruncate (fd, 64 * MIB), ==, 0);
  close (fd);
  return path;
}

static void
progress_seen (double progress, gpointer user_data)
{
  double *last = user_data;

  g_assert_cmpfloat (progress, >=, *last);
  *last = progress;
}

static void
test_copy_keeps_contents_and_holes (void)
{
  g_autofree char *from = make_sparse ("sparse.img");
  g_autofree char *to = scratch_path ("copy.img");
  g_autoptr(GError) error = NULL;
  g_autofree char *a = NULL, *b = NULL;
  gsize a_len = 0, b_len = 0;
  struct stat st;
  double last = 0.0;

  g_assert_true (vmgr_file_copy (from, to, 0600, progress_seen, &last, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpfloat (last, ==, 1.0);
  g_assert_true (g_file_get_contents (from, &a, &a_len, NULL));
  g_assert_true (g_file_get_contents (to, &b, &b_len, NULL));
  g_assert_cmpuint (b_len, ==, 64 * MIB);
  g_assert_cmpmem (a, a_len, b, b_len);
  g_assert_cmpint (stat (to, &st), ==, 0);
  g_assert_cmpuint (st.st_mode & 07777, ==, 0600);
  /* The 62 MiB of holes stay holes (a reflink shares the same blocks). */
  g_assert_cmpuint (vmgr_file_allocated_bytes (to), <, 8 * MIB);
  g_unlink (to);
}

static void
test_copy_refuses_existing_target_and_links (void)
{
  g_autofree char *from = make_sparse ("source.img");
  g_autofree char *to = scratch_path ("taken.img");
  g_autofree char *link = scratch_path ("link.img");
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (g_file_set_contents (to, "mine", -1, NULL));
  g_assert_false (vmgr_file_copy (from, to, 0600, NULL, NULL, NULL, &error));
  g_assert_error (error, VMGR_ERROR, VMGR_ERROR_FAILED);
  g_assert_true (g_file_get_contents (to, &contents, NULL, NULL));
  g_assert_cmpstr (contents, ==, "mine");
  g_clear_error (&error);

  g_assert_cmpint (symlink (from, link), ==, 0);
  g_unlink (to);
  g_assert_false (vmgr_file_copy (link, to, 0600, NULL, NULL, NULL, &error));
  g_assert_error (error, VMGR_ERROR, VMGR_ERROR_FAILED);
  g_assert_false (g_file_test (to, G_FILE_TEST_EXISTS));
}

static void
test_cancelled_copy_leaves_nothing (void)
{
  g_autofree char *from = make_sparse ("cancel.img");
  g_autofree char *to = scratch_path ("cancelled.img");
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  gboolean ok;

  g_cancellable_cancel (cancellable);
  ok = vmgr_file_copy (from, to, 0600, NULL, NULL, cancellable, &error);
  /* A reflink is one call and finishes before anything can cancel it. */
  if (ok)
    g_unlink (to);
  else
    {
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
      g_assert_false (g_file_test (to, G_FILE_TEST_EXISTS));
    }
}

static void
test_missing_source_is_an_error (void)
{
  g_autofree char *from = scratch_path ("absent.img");
  g_autofree char *to = scratch_path ("never.img");
  g_autoptr(GError) error = NULL;

  g_assert_false (vmgr_file_copy (from, to, 0600, NULL, NULL, NULL, &error));
  g_assert_error (error, VMGR_ERROR, VMGR_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "absent.img"));
  g_assert_false (g_file_test (to, G_FILE_TEST_EXISTS));
  g_assert_cmpuint (vmgr_file_allocated_bytes (from), ==, 0);
}

int
main (int argc, char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  scratch = g_dir_make_tmp ("vmgr-file-copy-XXXXXX", NULL);
  g_assert_nonnull (scratch);
  g_test_add_func ("/file-copy/contents-and-holes", test_copy_keeps_contents_and_holes);
  g_test_add_func ("/file-copy/existing-target-and-links",
                   test_copy_refuses_existing_target_and_links);
  g_test_add_func ("/file-copy/cancelled", test_cancelled_copy_leaves_nothing);
  g_test_add_func ("/file-copy/missing-source", test_missing_source_is_an_error);
  status = g_test_run ();
  {
    g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", scratch);
    g_assert_cmpint (system (cmd), ==, 0);
  }
  g_free (scratch);
  return status;
}
