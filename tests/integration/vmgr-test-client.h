/* Client-side helpers for integration tests: a private connection to the
 * test system bus (so that each client is its own peer), the generated
 * proxies, waiting on the main loop with a bound, and error assertions. */
#pragma once

#include <gio/gio.h>

#include "vmgr-generated.h"

G_BEGIN_DECLS

typedef struct {
  GDBusConnection *bus;
  VmgrDBusManager *manager;
} VmgrTestClient;

/* A new connection of this process to $DBUS_SYSTEM_BUS_ADDRESS. */
VmgrTestClient *vmgr_test_client_new (void);
void vmgr_test_client_free (VmgrTestClient *client);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VmgrTestClient, vmgr_test_client_free)

VmgrDBusVM *vmgr_test_client_vm (VmgrTestClient *client, const char *path);

/* A call on org.vmgr (bounded at 20 s): the reply, or NULL and @error.
 * @args may be NULL or floating. */
GVariant *vmgr_test_call (VmgrTestClient *client, const char *path, const char *interface,
                          const char *member, GVariant *args, GError **error);

/* The unique name that owns org.vmgr now, or NULL. */
char *vmgr_test_name_owner (GDBusConnection *bus);

/* CreateVM that must succeed; returns the path. @options may be NULL or
 * floating. */
char *vmgr_test_create_vm (VmgrTestClient *client, const char *name, const char *template_name,
                           const char *plan, GVariant *options);

/* vmgr_test_create_vm from debian-12 and plan basic, as a proxy. */
VmgrDBusVM *vmgr_test_create_and_open (VmgrTestClient *client, const char *name,
                                       GVariant *options);

/* Start that must succeed, then the VM's State running (at most 10 s). */
void vmgr_test_start_and_wait (VmgrDBusVM *vm);

/* How many VMs ListVMs gives @client. */
guint vmgr_test_count_vms (VmgrTestClient *client);

/* The VM property @name of @path as vmgrd has it now (not as a proxy's
 * cache, which signals on their way have not updated yet). */
GVariant *vmgr_test_read_vm_property (VmgrTestClient *client, const char *path,
                                      const char *name);

/* The string property @property of org.vmgr.Host at /org/vmgr/host/@name
 * as vmgrd has it now, or NULL (the error in the test log) when it cannot
 * be read. */
char *vmgr_test_host_string (VmgrTestClient *client, const char *name, const char *property);

/* Whether the host @name is connected now. */
gboolean vmgr_test_host_connected (VmgrTestClient *client, const char *name);

/* Waits up to @timeout_ms until the host @name's State is @state,
 * reading it every 100 ms. */
gboolean vmgr_test_wait_host_state (VmgrTestClient *client, const char *name, const char *state,
                                    guint timeout_ms);
#define vmgr_test_wait_host_connected(client, name, timeout_ms) \
  vmgr_test_wait_host_state (client, name, "connected", timeout_ms)

/* Iterates the default main context until @done(@data) or @timeout_ms
 * passed; returns whether @done became true. */
gboolean vmgr_test_wait (gboolean (*done) (gpointer data), gpointer data, guint timeout_ms);

/* The pid of polkitd on the test bus (to stop and continue it). */
guint32 vmgr_test_polkit_pid (GDBusConnection *bus);

/* Waits until the proxy's State (StateReason) property is @state (@reason). */
gboolean vmgr_test_wait_state (VmgrDBusVM *vm, const char *state, guint timeout_ms);
gboolean vmgr_test_wait_reason (VmgrDBusVM *vm, const char *reason, guint timeout_ms);

/* Asserts @error is the remote D-Bus error @name and (when not NULL) that
 * its message contains @fragment. */
#define vmgr_test_assert_dbus_error(error, name, fragment) \
  vmgr_test_assert_dbus_error_impl (error, name, fragment, G_STRLOC)
void vmgr_test_assert_dbus_error_impl (const GError *error, const char *name,
                                       const char *fragment, const char *where);

/* Records every StateChanged of a VM proxy as "state/reason". */
typedef struct {
  GPtrArray *events;
  gulong handler;
  VmgrDBusVM *vm;
} VmgrTestStateRecorder;

VmgrTestStateRecorder *vmgr_test_state_recorder_new (VmgrDBusVM *vm);
void vmgr_test_state_recorder_free (VmgrTestStateRecorder *recorder);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VmgrTestStateRecorder, vmgr_test_state_recorder_free)
/* Waits until "state/reason" (or "state/" prefix when reason is NULL) was seen. */
gboolean vmgr_test_state_recorder_wait (VmgrTestStateRecorder *recorder, const char *state,
                                        const char *reason, guint timeout_ms);

G_END_DECLS
