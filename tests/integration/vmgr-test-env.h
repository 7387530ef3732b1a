/* vmgr-test-env.h: helpers for vmgr integration tests.
 *
 * Integration tests run under tests/harness/testbus.sh, which provides a
 * private system bus (DBUS_SYSTEM_BUS_ADDRESS), the real polkitd with the
 * project's policy and rules, and the test users below, all inside a
 * private mount and PID namespace. The tests themselves run as root.
 *
 * Typical use:
 *
 *   g_autofree char *state = vmgr_test_make_state_dir ();
 *   VmgrTestDaemon *d = vmgr_test_daemon_start (state, NULL);
 *   ... g_bus_get_sync (G_BUS_TYPE_SYSTEM, ...) talks to org.vmgr as root
 *   ... vmgr_test_run_vmgrctl_as (VMGR_TEST_UID_ALICE, &out, &err,
 *                                 "list", NULL) runs the CLI as alice
 *   ... g_test_trap_subprocess () + vmgr_test_become_user () in the child
 *       for in-process D-Bus calls as another user
 *   vmgr_test_daemon_stop (d);   (asserts exit status 0)
 *   vmgr_test_daemon_free (d);
 *   vmgr_test_remove_dir (state);
 *
 * Every function asserts on failure (g_assert*), so a test stops at the
 * first environment problem with a message that says what went wrong.
 */
#pragma once

#include <gio/gio.h>
#include <sys/types.h>

G_BEGIN_DECLS

/* Test users (see tests/harness/testbus.sh). Each user's primary group has
 * the same number as its uid. */
#define VMGR_TEST_UID_ROOT      0u
#define VMGR_TEST_UID_ADMIN     60001u /* vmgradmin, in vmgr-admin */
#define VMGR_TEST_UID_ALICE     60002u /* alice, in vmgr-customer */
#define VMGR_TEST_UID_BOB       60003u /* bob, in vmgr-customer */
#define VMGR_TEST_UID_MALLORY   60004u /* mallory, in neither group */

#define VMGR_TEST_GID_ADMIN     60100u /* group vmgr-admin */
#define VMGR_TEST_GID_CUSTOMER  60101u /* group vmgr-customer */

#define VMGR_TEST_BUS_NAME      "org.vmgr"
#define VMGR_TEST_DAEMON_TIMEOUT_S 20

/* TRUE when running under testbus.sh (a private system bus with polkitd).
 * Tests call this first and g_test_skip () otherwise. */
gboolean vmgr_test_in_testbus (void);

/* Skips the current test (returns TRUE) when not under testbus.sh or not
 * root. Use: if (vmgr_test_skip_unless_testbus ()) return; */
gboolean vmgr_test_skip_unless_testbus (void);

/* $VMGR_BUILD_ROOT/<relative>, asserting VMGR_BUILD_ROOT is set. */
char *vmgr_test_build_path (const char *relative);

/* A new empty directory $VMGR_TESTBUS_DIR/vmgr-it-XXXXXX (or in /tmp
 * outside the harness), mode 0755. */
char *vmgr_test_make_state_dir (void);

/* rm -rf PATH (does not follow symlinks); NULL is ignored. */
void vmgr_test_remove_dir (const char *path);

/* ---- the daemon -------------------------------------------------------- */

typedef struct _VmgrTestDaemon VmgrTestDaemon;

/* Starts $VMGR_BUILD_ROOT/service/vmgrd --system --config
 * STATE_DIR/vmgrd.conf --state-dir STATE_DIR --uri test:///default -v
 * (--uri $VMGR_TEST_DAEMON_URI and --systemd-address
 * $VMGR_TEST_DAEMON_SYSTEMD_ADDRESS when those are set),
 * with stdout and stderr appended to STATE_DIR/vmgrd.log, and waits (up to
 * VMGR_TEST_DAEMON_TIMEOUT_S, watching the bus) until it owns org.vmgr.
 * EXTRA_CONFIG, if not NULL, is written as the key file STATE_DIR/vmgrd.conf
 * (the command line's --state-dir and --uri still override it). */
VmgrTestDaemon *vmgr_test_daemon_start (const char *state_dir,
                                        const char *extra_config);

/* SIGTERM, wait (up to 30 s), assert it exited with status 0. The object
 * stays valid (for vmgr_test_daemon_restart or _free). */
void vmgr_test_daemon_stop (VmgrTestDaemon *daemon);

/* Stops (if running, asserting a clean exit) and starts it again with the
 * same state directory and configuration; waits for org.vmgr again. */
void vmgr_test_daemon_restart (VmgrTestDaemon *daemon);

/* SIGKILL and reap (a crash). The object stays valid. */
void vmgr_test_daemon_kill (VmgrTestDaemon *daemon);

/* Kills the daemon (SIGKILL) if still running, then frees. NULL is ok. */
void vmgr_test_daemon_free (VmgrTestDaemon *daemon);

gboolean    vmgr_test_daemon_is_running (VmgrTestDaemon *daemon);
GPid        vmgr_test_daemon_get_pid (VmgrTestDaemon *daemon);
const char *vmgr_test_daemon_get_state_dir (VmgrTestDaemon *daemon);
const char *vmgr_test_daemon_get_log_path (VmgrTestDaemon *daemon);
/* The unique bus name of the running daemon (":1.N"). */
const char *vmgr_test_daemon_get_unique_name (VmgrTestDaemon *daemon);
/* Prints the daemon's log through g_test_message (for failures). */
void        vmgr_test_daemon_dump_log (VmgrTestDaemon *daemon);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VmgrTestDaemon, vmgr_test_daemon_free)

/* ---- clients as other users -------------------------------------------- */

/* Runs $VMGR_BUILD_ROOT/client/vmgrctl ARG... (NULL-terminated) as UID:
 * through `setpriv --reuid=UID --regid=GID --init-groups` (GID = the
 * user's primary group), directly for root. Returns the exit status
 * (128 + signal if it was killed). OUT and ERR receive stdout and stderr
 * (g_free them); when NULL, the text goes to g_test_message. */
int vmgr_test_run_vmgrctl_as (guint uid, char **out, char **err,
                              const char *arg, ...) G_GNUC_NULL_TERMINATED;
int vmgr_test_run_vmgrctl_as_argv (guint uid, char **out, char **err,
                                   const char * const *argv);

/* Starts $VMGR_BUILD_ROOT/client/vmgrctl ARGV... as UID in the background
 * (as above, through setpriv), its stdout written to @stdout_path, its
 * stderr passed on. */
GSubprocess *vmgr_test_spawn_vmgrctl_as (guint uid, const char *stdout_path,
                                         const char * const *argv);

/* Any program as UID (argv[0] searched in PATH), same rules as above. */
int vmgr_test_run_as_argv (guint uid, char **out, char **err,
                           const char * const *argv);

/* For use INSIDE a g_test_trap_subprocess() child only, before any bus
 * connection is made in that child: sets the supplementary groups from the
 * group database (initgroups), then the real/effective/saved gid and uid.
 * Afterwards g_bus_get_sync (G_BUS_TYPE_SYSTEM) connects as that user.
 * A no-op for uid 0. */
void vmgr_test_become_user (guint uid);

/* A new private (not shared) connection to the system bus as the current
 * process's user. */
GDBusConnection *vmgr_test_connect_system (void);

/* ---- polkit -------------------------------------------------------------- */

/* Installs (or replaces) rules file NAME (e.g. "10-test.rules") with
 * CONTENTS in the harness's /etc/polkit-1/rules.d, atomically (write in
 * $VMGR_TESTBUS_DIR, mode 0644, then rename), and waits until polkitd has
 * reloaded its rules (Authority.Changed). */
void vmgr_test_polkit_install_rules (const char *name, const char *contents);

/* Removes rules file NAME and waits for polkitd to reload. */
void vmgr_test_polkit_remove_rules (const char *name);

/* The main of a test program around one daemon: outside a
 * g_test_trap_subprocess child, starts vmgrd with @extra_config in a new
 * state directory (*@daemon points at it), calls @setup (may be NULL),
 * runs the registered tests, stops vmgrd (dumping its log when a test
 * failed) and removes the directory. Returns g_test_run ()'s status. */
int vmgr_test_run_with_daemon (const char *extra_config, void (*setup) (void),
                               VmgrTestDaemon **daemon);

/* $VMGR_TEMPLATE_DIR/@name, built with scripts/build-templates.sh --only
 * @kind ("lxc" or "qemu") when missing. */
char *vmgr_test_ensure_template (const char *name, const char *kind);

/* Writes @command (unless NULL) to a guest's console @fd, then reads until
 * @marker shows up or @timeout_ms passed; whether it showed up. */
gboolean vmgr_test_console_shows (int fd, const char *command, const char *marker,
                                  guint timeout_ms);

G_END_DECLS
