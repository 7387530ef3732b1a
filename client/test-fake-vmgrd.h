/* A stand-in for vmgrd in vmgrctl's tests: the generated skeletons on a
 * private bus with canned data and state changes that follow a request
 * after a short delay, like the real daemon's signals after libvirt's
 * events. It records the last request so that tests can check what
 * vmgrctl sent. */
#pragma once

#include "vmgr-generated.h"

G_BEGIN_DECLS

typedef struct {
  GDBusConnection *connection;
  GDBusObjectManagerServer *objects;
  VmgrDBusObjectSkeleton *manager_object;
  GHashTable *vms;  /* id -> VmgrDBusObjectSkeleton */
  guint next_id;
  guint pending;    /* state changes still to come */

  /* The last request. */
  char *last_method;
  gboolean last_interactive;  /* carried ALLOW_INTERACTIVE_AUTHORIZATION */
  GVariant *last_args;        /* its parameters */
} FakeVmgrd;

/* Exports the Manager and VMs "web" (101, stopped), "db" (102, running),
 * "secret" (103: every request is NotAuthorized) and "stuck" (104: Start
 * never finishes), and owns org.vmgr on @connection. */
FakeVmgrd *fake_vmgrd_new (GDBusConnection *connection);
/* Lets the pending state changes happen first. */
void fake_vmgrd_free (FakeVmgrd *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (FakeVmgrd, fake_vmgrd_free)

/* The VM named @name (borrowed), or NULL. */
VmgrDBusVM *fake_vmgrd_get_vm (FakeVmgrd *self, const char *name);

G_END_DECLS
