/* What the real-backend C tests (test-real-*.c) share: vmgrd on a driver
 * of the private libvirtd, templates, provisioning, guest directories and
 * consoles. */
#pragma once

#include "vmgr-test-client.h"
#include "vmgr-test-env.h"

G_BEGIN_DECLS

/* Runs the registered tests with vmgrd on @driver ("lxc" or "qemu") of
 * tests/harness/libvirtd.sh (fails without that driver, except in a test
 * subprocess), on its 'default' network when the harness has one; like
 * vmgr_test_run_with_daemon (). */
int vmgr_real_test_run (const char *driver, VmgrTestDaemon **daemon);

/* AddTemplate @name from @source (with @os unless NULL), which must
 * succeed. */
void vmgr_real_add_template (VmgrTestClient *client, const char *name, const char *os,
                             const char *source);

/* Whether the VM proxy @vm is provisioned: stopped, without a job. */
gboolean vmgr_real_provisioned (gpointer vm);

/* The VM's directory in the state directory of @daemon. */
char *vmgr_real_guest_dir (VmgrTestDaemon *daemon, VmgrDBusVM *vm);

/* The VM's console (OpenConsole, which must succeed); the caller closes
 * it. */
int vmgr_real_open_console (VmgrDBusVM *vm);

G_END_DECLS
