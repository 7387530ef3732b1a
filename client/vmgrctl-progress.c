/* The provisioning progress bar: its text, and when to draw it. */
#include "vmgrctl-progress.h"

#include "vmgrctl-stats-view.h"

#define ERASE_TO_END "\033[K"

guint
vmgrctl_progress_percent (double fraction)
{
  if (!(fraction > 0.0))  /* also NaN */
    return 0;
  if (fraction >= 1.0)
    return 100;
  /* Truncated, that is rounded down (it is positive); the epsilon keeps
   * 0.29 at 29, not 28.999... */
  return MIN ((guint) (fraction * 100.0 + 1e-9), 100);
}

char *
vmgrctl_format_progress_as (const char *verb, const char *name, double fraction)
{
  guint percent = vmgrctl_progress_percent (fraction);
  g_autofree char *bar = vmgrctl_format_bar_with (percent / 100.0, VMGRCTL_PROGRESS_WIDTH, '-');

  return g_strdup_printf ("%s %s %s %u%%", verb, name, bar, percent);
}

char *
vmgrctl_format_progress (const char *name, double fraction)
{
  return vmgrctl_format_progress_as ("Provisioning", name, fraction);
}

void
vmgrctl_progress_init (VmgrctlProgress *self, gboolean tty)
{
  self->tty = tty;
  self->shown = -1;
  self->open = FALSE;
  self->verb = NULL;
}

static char *
draw (VmgrctlProgress *self, const char *name, guint percent)
{
  g_autofree char *text = vmgrctl_format_progress_as (self->verb != NULL ? self->verb
                                                                        : "Provisioning",
                                                      name, percent / 100.0);

  self->shown = (int) percent;
  if (!self->tty)
    return g_strconcat (text, "\n", NULL);
  self->open = TRUE;
  return g_strconcat ("\r", text, ERASE_TO_END, NULL);
}

char *
vmgrctl_progress_update (VmgrctlProgress *self, const char *name, double fraction)
{
  guint percent = vmgrctl_progress_percent (fraction);

  if (self->shown < 0)
    return draw (self, name, percent);
  if (self->tty)
    return (int) percent != self->shown ? draw (self, name, percent) : NULL;
  if (percent / VMGRCTL_PROGRESS_STEP > (guint) self->shown / VMGRCTL_PROGRESS_STEP)
    return draw (self, name, percent);
  return NULL;
}

char *
vmgrctl_progress_finish (VmgrctlProgress *self, const char *name)
{
  g_autofree char *bar = NULL;

  if (self->shown == 100)  /* drawn already: only the line's end */
    return g_strdup (vmgrctl_progress_end_line (self));
  bar = draw (self, name, 100);
  self->open = FALSE;
  return self->tty ? g_strconcat (bar, "\n", NULL) : g_steal_pointer (&bar);
}

const char *
vmgrctl_progress_end_line (VmgrctlProgress *self)
{
  if (!self->open)
    return "";
  self->open = FALSE;
  return "\n";
}
