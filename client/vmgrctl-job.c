/* The provisioning job of a new VM: its progress bar, its end, Ctrl-C. */
#include "vmgrctl-job.h"

#include <glib-unix.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include "vmgrctl-errors.h"
#include "vmgrctl-progress.h"
#include "vmgrctl-wait.h"

#define JOB_INTERFACE "org.vmgr.Job"

typedef enum {
  FOLLOWING,
  SUCCEEDED,
  FAILED,       /* Completed(false, error) */
  GONE,         /* the job object, or vmgrd, went away without Completed */
  INTERRUPTED,  /* Ctrl-C */
  TIMED_OUT,
} Outcome;

typedef struct {
  VmgrctlContext *ctx;
  VmgrDBusVM *vm;
  VmgrDBusJob *job;
  const char *name;
  VmgrctlProgress progress;
  Outcome outcome;
  char *error;  /* the job's, when FAILED */
  gulong handlers[3];
  guint removed_subscription;
} Follow;

/* Writes @text (taken) on stderr. */
static void
show (char *text)
{
  if (text != NULL && text[0] != '\0')
    {
      g_printerr ("%s", text);
      fflush (stderr);
    }
  g_free (text);
}

static void
end (Follow *self, Outcome outcome)
{
  if (self->outcome == FOLLOWING)
    self->outcome = outcome;
}

static void
on_completed (VmgrDBusJob *job, gboolean success, const char *error, gpointer data)
{
  Follow *self = data;

  if (self->outcome != FOLLOWING)
    return;
  if (!success)
    self->error = g_strdup (error);
  end (self, success ? SUCCEEDED : FAILED);
}

static void
on_properties_changed (GDBusProxy *proxy, GVariant *changed, GStrv invalidated, gpointer data)
{
  Follow *self = data;
  g_autoptr(GVariant) progress = g_variant_lookup_value (changed, "Progress",
                                                         G_VARIANT_TYPE_DOUBLE);

  if (progress != NULL && self->outcome == FOLLOWING)
    show (vmgrctl_progress_update (&self->progress, self->name,
                                   g_variant_get_double (progress)));
}

static void
on_name_owner (GObject *proxy, GParamSpec *pspec, gpointer data)
{
  g_autofree char *owner = g_dbus_proxy_get_name_owner (G_DBUS_PROXY (proxy));

  if (owner == NULL)
    end (data, GONE);
}

static void
on_interfaces_removed (GDBusConnection *connection, const char *sender, const char *path,
                       const char *interface, const char *signal, GVariant *parameters,
                       gpointer data)
{
  Follow *self = data;

  if (vmgrctl_interfaces_removed_match (parameters,
                                        g_dbus_proxy_get_object_path (G_DBUS_PROXY (self->job)),
                                        JOB_INTERFACE))
    end (self, GONE);
}

static gboolean
on_interrupt (gpointer data)
{
  end (data, INTERRUPTED);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_timeout (gpointer data)
{
  end (data, TIMED_OUT);
  return G_SOURCE_CONTINUE;
}

/* Subscribed before the proxy reads the job's properties, so nothing
 * after that read is missed. */
static gboolean
open_job (Follow *self, const char *path)
{
  GDBusConnection *connection = g_dbus_proxy_get_connection (G_DBUS_PROXY (self->vm));
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) cached = NULL;

  self->removed_subscription = vmgrctl_subscribe_interfaces_removed (G_DBUS_PROXY (self->vm),
                                                                     on_interfaces_removed, self);
  self->job = vmgr_dbus_job_proxy_new_sync (connection, G_DBUS_PROXY_FLAGS_NONE,
                                            VMGRCTL_BUS_NAME, path, NULL, &error);
  if (self->job == NULL)
    {
      g_debug ("cannot follow job %s: %s", path, error->message);
      return FALSE;
    }
  self->handlers[0] = g_signal_connect (self->job, "completed", G_CALLBACK (on_completed), self);
  self->handlers[1] = g_signal_connect (self->job, "g-properties-changed",
                                        G_CALLBACK (on_properties_changed), self);
  self->handlers[2] = g_signal_connect (self->job, "notify::g-name-owner",
                                        G_CALLBACK (on_name_owner), self);
  /* No properties: the job was over before it could be read. */
  cached = g_dbus_proxy_get_cached_property_names (G_DBUS_PROXY (self->job));
  return cached != NULL && cached[0] != NULL;
}

static void
follow_clear (Follow *self)
{
  if (self->job != NULL)
    for (gsize i = 0; i < G_N_ELEMENTS (self->handlers); i++)
      g_clear_signal_handler (&self->handlers[i], self->job);
  if (self->removed_subscription != 0)
    g_dbus_connection_signal_unsubscribe (g_dbus_proxy_get_connection (G_DBUS_PROXY (self->vm)),
                                          self->removed_subscription);
  g_clear_object (&self->job);
  g_free (self->error);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Follow, follow_clear)

/* Until Completed, the job's or vmgrd's going away, Ctrl-C or the timeout. */
static void
follow (Follow *self)
{
  guint interrupt_source = g_unix_signal_add (SIGINT, on_interrupt, self);
  guint timeout_source = 0;

  /* Drawn once Ctrl-C is caught: from here on it cancels the job. */
  show (vmgrctl_progress_update (&self->progress, self->name,
                                 vmgr_dbus_job_get_progress (self->job)));
  if (self->ctx->timeout_s > 0)
    timeout_source = g_timeout_add_seconds (self->ctx->timeout_s, on_timeout, self);
  while (self->outcome == FOLLOWING)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (interrupt_source);
  g_clear_handle_id (&timeout_source, g_source_remove);
}

static int
cancel (Follow *self)
{
  g_autoptr(GError) error = NULL;

  if (!vmgr_dbus_job_get_cancellable (self->job))
    g_printerr ("vmgrctl: the provisioning of '%s' cannot be cancelled; vmgrd goes on with it\n",
                self->name);
  else if (!vmgr_dbus_job_call_cancel_sync (self->job, NULL, &error))
    vmgrctl_fail (error, "cannot cancel the provisioning of '%s'", self->name);
  else
    g_printerr ("vmgrctl: provisioning of '%s' cancelled\n", self->name);
  return VMGRCTL_EXIT_INTERRUPTED;
}

static int
report_failure (const char *message)
{
  g_autofree char *line = g_strdelimit (g_strdup (message != NULL && message[0] != '\0'
                                                  ? message : "unknown error"),
                                        "\r\n", ' ');

  g_printerr ("vmgrctl: provisioning failed: %s\n", line);
  return VMGRCTL_EXIT_FAILURE;
}

/* The job went away without Completed. With vmgrd still there, a VM
 * that went away with it failed (as vmgrd removes a VM it could not
 * provision); otherwise its state tells. */
static int
check_gone (Follow *self)
{
  g_autofree char *owner = g_dbus_proxy_get_name_owner (G_DBUS_PROXY (self->vm));
  VmgrDBusManager *manager;

  if (owner == NULL || vmgrctl_context_connect (self->ctx, &manager) != VMGRCTL_EXIT_OK)
    return VMGRCTL_EXIT_OK;
  if (vmgrctl_vm_is_gone (manager, self->vm))
    {
      g_autofree char *message = g_strdup_printf ("the VM '%s' is gone", self->name);
      return report_failure (message);
    }
  return VMGRCTL_EXIT_OK;
}

int
vmgrctl_follow_provisioning (VmgrctlContext *ctx, VmgrDBusVM *vm, const char *name)
{
  g_auto(Follow) self = { .ctx = ctx, .vm = vm, .name = name, .outcome = FOLLOWING };
  const char *path = vmgr_dbus_vm_get_job (vm);
  g_autoptr(GError) error = NULL;

  if (g_strcmp0 (vmgr_dbus_vm_get_state (vm), "provisioning") != 0 || path == NULL
      || g_str_equal (path, "/"))
    return VMGRCTL_EXIT_OK;
  vmgrctl_progress_init (&self.progress, isatty (STDERR_FILENO));
  if (open_job (&self, path))
    follow (&self);
  else
    end (&self, GONE);
  switch (self.outcome)
    {
    case SUCCEEDED:
      show (vmgrctl_progress_finish (&self.progress, name));
      return VMGRCTL_EXIT_OK;
    case FAILED:
      g_printerr ("%s", vmgrctl_progress_end_line (&self.progress));
      return report_failure (self.error);
    case INTERRUPTED:
      g_printerr ("%s", vmgrctl_progress_end_line (&self.progress));
      return cancel (&self);
    case TIMED_OUT:
      g_printerr ("%s", vmgrctl_progress_end_line (&self.progress));
      error = g_error_new (VMGRCTL_ERROR, VMGRCTL_EXIT_TIMEOUT,
                           "timed out waiting for the provisioning to finish (%u%% done)",
                           vmgrctl_progress_percent (vmgr_dbus_job_get_progress (self.job)));
      return vmgrctl_fail (error, "%s", name);
    case GONE:
      g_printerr ("%s", vmgrctl_progress_end_line (&self.progress));
      return check_gone (&self);
    case FOLLOWING:
      break;
    }
  g_assert_not_reached ();
}
