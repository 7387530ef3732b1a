/* Whether a template's source is what the backend provisions from, and how
 * big it is: read from the filesystem in a worker thread (a root
 * filesystem can be a large tree). */
#pragma once

#include <gio/gio.h>

#include "vmgr-records.h"

G_BEGIN_DECLS

typedef struct {
  char *name;               /* the template's */
  gboolean usable;
  char *problem;            /* why not; "" when usable */
  guint64 size;             /* bytes of the image, or of the files of the tree */
} VmgrTemplateCheck;

void vmgr_template_check_free (VmgrTemplateCheck *check);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VmgrTemplateCheck, vmgr_template_check_free)

/* What @scheme needs of @source (blocking; see vmgr_template_check_async):
 * lxc: a directory holding a root filesystem (its sbin/init, which the
 * container runs); qemu: a readable disk image file (a .qcow2 one starts
 * with qcow2's magic), or a directory with the kernel and initramfs of a
 * direct-boot template; other drivers (test): nothing, but a source that
 * is named must exist. Without a source, lxc and qemu have nothing to
 * provision from. */
VmgrTemplateCheck *vmgr_template_check (const char *scheme, const VmgrTemplate *tmpl);

/* Whether a host of @scheme can run VMs of the template at @source (""
 * none: any can): its files are a root filesystem for lxc, an image or a
 * kernel directory for qemu; other drivers take any. The cheap part of
 * vmgr_template_check (a few stats, no walk of the tree), for placement;
 * why not in @problem (may be NULL). */
gboolean vmgr_template_fits (const char *scheme, const char *source, char **problem);

/* Checks each VmgrTemplate of @templates in a worker thread; the finish
 * function gives a GPtrArray of VmgrTemplateCheck in the same order. */
void vmgr_template_check_async (const char *scheme, GPtrArray *templates,
                                GCancellable *cancellable, GAsyncReadyCallback callback,
                                gpointer user_data);
GPtrArray *vmgr_template_check_finish (GAsyncResult *result, GError **error);

G_END_DECLS
