/* main() for builds without libFuzzer: runs the harness once on each file
 * named on the command line, or on each file of each directory named, and
 * reports each as a TAP case. A crash (sanitizer, abort) ends the run, and
 * the cases it did not reach count as failed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz-common.h"

static int
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char * const *) a, *(char * const *) b);
}

static void
collect (const char *path, GPtrArray *files)
{
  g_autoptr(GDir) dir = NULL;
  g_autoptr(GPtrArray) names = NULL;
  const char *name;

  if (!g_file_test (path, G_FILE_TEST_IS_DIR) ||
      (dir = g_dir_open (path, 0, NULL)) == NULL)
    {
      g_ptr_array_add (files, g_strdup (path));
      return;
    }
  names = g_ptr_array_new_with_free_func (g_free);
  while ((name = g_dir_read_name (dir)) != NULL)
    g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_names);
  for (guint i = 0; i < names->len; i++)
    g_ptr_array_add (files, g_build_filename (path, g_ptr_array_index (names, i), NULL));
}

int
main (int argc, char **argv)
{
  g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func (g_free);
  int failed = 0;

  for (int i = 1; i < argc; i++)
    collect (argv[i], files);

  printf ("1..%u\n", files->len);
  fflush (stdout);
  for (guint i = 0; i < files->len; i++)
    {
      const char *file = g_ptr_array_index (files, i);
      g_autofree char *contents = NULL;
      gsize length = 0;
      g_autoptr(GError) error = NULL;
      g_autofree char *shown = g_path_get_basename (file);

      if (!g_file_get_contents (file, &contents, &length, &error))
        {
          printf ("not ok %u %s # %s\n", i + 1, shown, error->message);
          failed++;
          continue;
        }
      fprintf (stderr, "replaying %s\n", file);
      LLVMFuzzerTestOneInput ((const uint8_t *) contents, length);
      printf ("ok %u %s\n", i + 1, shown);
      fflush (stdout);
    }
  return failed > 0 ? 1 : 0;
}
