#include "vmgr-template-check.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmgr-provision.h"
#define QCOW2_MAGIC "QFI\xfb"

void
vmgr_template_check_free (VmgrTemplateCheck *check)
{
  g_free (check->name);
  g_free (check->problem);
  g_free (check);
}

static char *
check_lxc_root (const char *source)
{
  g_autofree char *init = g_build_filename (source, "sbin", "init", NULL);
  struct stat st;

  if (!g_file_test (source, G_FILE_TEST_IS_DIR))
    return g_strdup ("an lxc template is a root filesystem directory, not a file");
  /* A link (busybox's applets) may point at a path only the container sees. */
  if (lstat (init, &st) != 0 || (!S_ISLNK (st.st_mode) && !S_ISREG (st.st_mode)))
    return g_strdup ("no sbin/init in the root filesystem (the container runs /sbin/init)");
  if (S_ISREG (st.st_mode) && (st.st_mode & 0111) == 0)
    return g_strdup ("sbin/init in the root filesystem is not executable");
  return NULL;
}

static char *
check_readable_file (const char *path, const char *what)
{
  if (access (path, R_OK) != 0)
    return g_strdup_printf ("%s %s is not readable: %s", what, path, g_strerror (errno));
  return NULL;
}

static char *
check_qemu_image (const char *source)
{
  g_autofree char *kernel = NULL;
  g_autofree char *initrd = NULL;
  char *problem;
  char magic[4] = { 0 };
  FILE *file;
  struct stat st;

  if (g_file_test (source, G_FILE_TEST_IS_DIR))
    {
      kernel = g_build_filename (source, VMGR_TEMPLATE_KERNEL_NAME, NULL);
      initrd = g_build_filename (source, VMGR_TEMPLATE_INITRD_NAME, NULL);
      if (!g_file_test (kernel, G_FILE_TEST_IS_REGULAR))
        return g_strdup ("a qemu template is a disk image file, or a directory with "
                         VMGR_TEMPLATE_KERNEL_NAME " and " VMGR_TEMPLATE_INITRD_NAME);
      problem = check_readable_file (kernel, "the kernel");
      return problem != NULL ? problem : check_readable_file (initrd, "the initramfs");
    }
  if (stat (source, &st) != 0 || !S_ISREG (st.st_mode))
    return g_strdup ("a qemu template is a disk image file");
  if ((problem = check_readable_file (source, "the image")) != NULL)
    return problem;
  if (st.st_size == 0)
    return g_strdup ("the disk image is empty");
  if (!g_str_has_suffix (source, ".qcow2"))
    return NULL;
  file = fopen (source, "rbe");
  if (file == NULL || fread (magic, 1, sizeof magic, file) != sizeof magic ||
      memcmp (magic, QCOW2_MAGIC, sizeof magic) != 0)
    problem = g_strdup ("the image is named .qcow2 but is no qcow2 image");
  if (file != NULL)
    fclose (file);
  return problem;
}

static char *
find_problem (const char *scheme, const char *source)
{
  gboolean lxc = g_str_equal (scheme, "lxc");
  gboolean qemu = g_str_equal (scheme, "qemu");

  if (*source == '\0')
    return lxc || qemu ? g_strdup_printf ("no source: the %s backend provisions a VM from "
                                          "its template's %s", scheme,
                                          lxc ? "root filesystem" : "disk image")
                       : NULL;
  if (!g_file_test (source, G_FILE_TEST_EXISTS))
    return g_strdup_printf ("source %s does not exist", source);
  if (lxc)
    return check_lxc_root (source);
  if (qemu)
    return check_qemu_image (source);
  return NULL;
}

gboolean
vmgr_template_fits (const char *scheme, const char *source, char **problem)
{
  char *why = NULL;

  if (source == NULL || *source == '\0')
    return TRUE;
  if (g_str_equal (scheme, "lxc"))
    why = check_lxc_root (source);
  else if (g_str_equal (scheme, "qemu"))
    why = check_qemu_image (source);
  if (problem != NULL)
    *problem = why;
  else
    g_free (why);
  return why == NULL;
}

VmgrTemplateCheck *
vmgr_template_check (const char *scheme, const VmgrTemplate *tmpl)
{
  VmgrTemplateCheck *check = g_new0 (VmgrTemplateCheck, 1);
  const char *source = tmpl->source != NULL ? tmpl->source : "";
  guint entries = 0;
  struct stat st;

  check->name = g_strdup (tmpl->name);
  check->problem = find_problem (scheme, source);
  check->usable = check->problem == NULL;
  if (check->problem == NULL)
    check->problem = g_strdup ("");
  if (*source != '\0' && stat (source, &st) == 0 && S_ISDIR (st.st_mode))
    vmgr_provision_measure_tree (source, &entries, &check->size);
  else if (*source != '\0' && stat (source, &st) == 0)
    check->size = (guint64) st.st_size;
  return check;
}

typedef struct {
  char *scheme;
  GPtrArray *templates;
} CheckData;

static void
check_data_free (CheckData *data)
{
  g_free (data->scheme);
  g_ptr_array_unref (data->templates);
  g_free (data);
}

static void
check_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  CheckData *data = task_data;
  GPtrArray *checks = g_ptr_array_new_with_free_func ((GDestroyNotify) vmgr_template_check_free);

  for (guint i = 0; i < data->templates->len; i++)
    g_ptr_array_add (checks, vmgr_template_check (data->scheme,
                                                  g_ptr_array_index (data->templates, i)));
  g_task_return_pointer (task, checks, (GDestroyNotify) g_ptr_array_unref);
}

void
vmgr_template_check_async (const char *scheme, GPtrArray *templates,
                           GCancellable *cancellable, GAsyncReadyCallback callback,
                           gpointer user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  CheckData *data = g_new0 (CheckData, 1);

  data->scheme = g_strdup (scheme);
  data->templates = g_ptr_array_ref (templates);
  g_task_set_source_tag (task, vmgr_template_check_async);
  g_task_set_task_data (task, data, (GDestroyNotify) check_data_free);
  g_task_run_in_thread (task, check_thread);
}

GPtrArray *
vmgr_template_check_finish (GAsyncResult *result, GError **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}
