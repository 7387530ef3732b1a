/* The progress bar `create` and `contract` show on stderr while vmgrd
 * provisions the new VM (an org.vmgr.Job). Pure functions, no D-Bus:
 * they say what to write, the caller writes it. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define VMGRCTL_PROGRESS_WIDTH 20  /* cells of the bar */
#define VMGRCTL_PROGRESS_STEP 25   /* percent between lines when stderr is not a tty */

/* Whole percent of @fraction (clamped to 0..1, NaN is 0), rounded down:
 * 100 only when done. */
guint vmgrctl_progress_percent (double fraction);

/* "Provisioning NAME [#########-----------] 45%" (no newline). */
char *vmgrctl_format_progress (const char *name, double fraction);
/* The same with another verb: "Backing up NAME [...] 45%". */
char *vmgrctl_format_progress_as (const char *verb, const char *name, double fraction);

typedef struct {
  gboolean tty;  /* redraw one line in place, else print lines */
  int shown;     /* the percent last drawn, -1: nothing yet */
  gboolean open; /* a tty line is drawn and not ended */
  const char *verb; /* NULL: "Provisioning"; set after vmgrctl_progress_init */
} VmgrctlProgress;

void vmgrctl_progress_init (VmgrctlProgress *self, gboolean tty);

/* What to write for @fraction now, or NULL for nothing. On a tty: the bar
 * after "\r" (erasing the rest of the line), when the percent changed.
 * Otherwise: a line with the bar the first time, then only when the
 * percent reaches the next multiple of VMGRCTL_PROGRESS_STEP. */
char *vmgrctl_progress_update (VmgrctlProgress *self, const char *name, double fraction);

/* What ends the bar on success: it at 100% and the newline (only the
 * newline, if any is due, when 100% is drawn already). */
char *vmgrctl_progress_finish (VmgrctlProgress *self, const char *name);

/* What to write before another message on stderr: "\n" when a tty line
 * is open, else "". */
const char *vmgrctl_progress_end_line (VmgrctlProgress *self);

G_END_DECLS
