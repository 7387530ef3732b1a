/* Progress reports from the volume and migration workers, delivered on the
 * caller's main context (see vmgr-backend-stream.h). */
#include "vmgr-backend-stream.h"

typedef enum { REPORT_STRUCT, REPORT_COPY, REPORT_FRACTION } ReportKind;

typedef void (*StructFunc) (gconstpointer report, gpointer data);
typedef void (*CopyFunc) (guint64 copied, guint64 total, gpointer data);
typedef void (*FractionFunc) (double fraction, gpointer data);

struct _VmgrBackendProgress {
  GCallback callback;
  gpointer data;
  GDestroyNotify destroy;
  GMainContext *context;
};

static void
progress_clear (gpointer p)
{
  VmgrBackendProgress *progress = p;

  if (progress->destroy != NULL)
    progress->destroy (progress->data);
  g_main_context_unref (progress->context);
}

VmgrBackendProgress *
vmgr_backend_progress_new (GCallback callback, gpointer data, GDestroyNotify destroy)
{
  VmgrBackendProgress *progress = g_atomic_rc_box_new0 (VmgrBackendProgress);

  progress->callback = callback;
  progress->data = data;
  progress->destroy = destroy;
  progress->context = g_main_context_ref_thread_default ();
  return progress;
}

static void
progress_unref (VmgrBackendProgress *progress)
{
  if (progress != NULL)
    g_atomic_rc_box_release_full (progress, progress_clear);
}

static gboolean
progress_release (gpointer p)
{
  progress_unref (p);
  return G_SOURCE_REMOVE;
}

void
vmgr_backend_progress_release_later (VmgrBackendProgress *progress)
{
  if (progress != NULL)
    g_main_context_invoke (progress->context, progress_release, progress);
}

typedef struct {
  VmgrBackendProgress *progress;
  ReportKind kind;
  gpointer blob;
  guint64 copied, total;
  double fraction;
} Report;

static void
report_free (gpointer p)
{
  Report *report = p;

  progress_unref (report->progress);
  g_free (report->blob);
  g_free (report);
}

static gboolean
report_deliver (gpointer p)
{
  Report *report = p;
  GCallback cb = report->progress->callback;

  if (report->kind == REPORT_COPY)
    ((CopyFunc) cb) (report->copied, report->total, report->progress->data);
  else if (report->kind == REPORT_FRACTION)
    ((FractionFunc) cb) (report->fraction, report->progress->data);
  else
    ((StructFunc) cb) (report->blob, report->progress->data);
  return G_SOURCE_REMOVE;
}

static void
report_post (VmgrBackendProgress *progress, Report *report)
{
  report->progress = g_atomic_rc_box_acquire (progress);
  g_main_context_invoke_full (progress->context, G_PRIORITY_DEFAULT, report_deliver,
                              report, report_free);
}

void
vmgr_backend_progress_post_struct (VmgrBackendProgress *progress, gconstpointer blob, gsize size)
{
  Report *report = g_new0 (Report, 1);

  report->kind = REPORT_STRUCT;
  report->blob = g_memdup2 (blob, size);
  report_post (progress, report);
}

void
vmgr_backend_progress_post_copy (VmgrBackendProgress *progress, guint64 copied, guint64 total)
{
  Report *report = g_new0 (Report, 1);

  report->kind = REPORT_COPY;
  report->copied = copied;
  report->total = total;
  report_post (progress, report);
}

void
vmgr_backend_progress_post_fraction (VmgrBackendProgress *progress, double fraction)
{
  Report *report = g_new0 (Report, 1);

  report->kind = REPORT_FRACTION;
  report->fraction = fraction;
  report_post (progress, report);
}

char *
vmgr_backend_volume_format (const char *xml)
{
  g_autoptr(GRegex) re = g_regex_new ("<format\\s+type=['\"]([a-z0-9]+)['\"]", 0, 0, NULL);
  g_autoptr(GMatchInfo) match = NULL;

  if (xml != NULL && g_regex_match (re, xml, 0, &match))
    return g_match_info_fetch (match, 1);
  return g_strdup ("raw");
}
