/* Live migration between two backends and volume streams from one to the
 * other: each in a worker thread (see vmgr-backend-migrate.h). */
#include "vmgr-backend-migrate.h"

#include "vmgr-backend-private.h"
#include "vmgr-backend-stream.h"
#include "vmgr-error.h"

#define COPY_CHUNK (256 * 1024)

/* ---- task data ---- */

typedef struct {
  VmgrBackend *target;
  char *uuid;
  VmgrMigrateFlags flags;
  char *dest_xml;           /* the target's definition, NULL: the source's */
  char *source_path;
  char *target_pool;
  char *target_name;
  VmgrBackendProgress *progress; /* NULL without a callback */
  VmgrMigrationStats stats; /* the final statistics */
} MigrateData;

static void
migrate_data_free (gpointer p)
{
  MigrateData *data = p;

  g_clear_object (&data->target);
  g_free (data->uuid);
  g_free (data->dest_xml);
  g_free (data->source_path);
  g_free (data->target_pool);
  g_free (data->target_name);
  /* the task's last reference may go in its worker thread: the destroy
   * notify runs on the caller's context all the same */
  if (data->progress != NULL)
    vmgr_backend_progress_release_later (data->progress);
  g_free (data);
}

static GTask *
migrate_task_new (VmgrBackend *source, VmgrBackend *target, gpointer tag,
                  GCallback progress, gpointer progress_data, GDestroyNotify progress_destroy,
                  GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = g_task_new (source, cancellable, callback, user_data);
  MigrateData *data = g_new0 (MigrateData, 1);

  g_task_set_source_tag (task, tag);
  /* a cancel that comes too late for libvirt must not hide that the
   * domain moved: the worker decides what cancelling did */
  g_task_set_check_cancellable (task, FALSE);
  data->target = g_object_ref (target);
  if (progress != NULL)
    data->progress = vmgr_backend_progress_new (progress, progress_data, progress_destroy);
  else if (progress_destroy != NULL)
    progress_destroy (progress_data);
  g_task_set_task_data (task, data, migrate_data_free);
  return task;
}

/* ---- job statistics ---- */

static void
stats_from_params (virTypedParameterPtr params, int n, VmgrMigrationStats *stats)
{
  unsigned long long v;

  memset (stats, 0, sizeof *stats);
#define GET(field, name) \
  if (virTypedParamsGetULLong (params, n, name, &v) == 1) stats->field = v
  GET (elapsed_ms, VIR_DOMAIN_JOB_TIME_ELAPSED);
  GET (data_total, VIR_DOMAIN_JOB_DATA_TOTAL);
  GET (data_processed, VIR_DOMAIN_JOB_DATA_PROCESSED);
  GET (data_remaining, VIR_DOMAIN_JOB_DATA_REMAINING);
  GET (memory_total, VIR_DOMAIN_JOB_MEMORY_TOTAL);
  GET (memory_processed, VIR_DOMAIN_JOB_MEMORY_PROCESSED);
  GET (disk_total, VIR_DOMAIN_JOB_DISK_TOTAL);
  GET (disk_processed, VIR_DOMAIN_JOB_DISK_PROCESSED);
#undef GET
  if (virTypedParamsGetULLong (params, n, VIR_DOMAIN_JOB_DOWNTIME, &v) == 1)
    {
      stats->downtime_ms = v;
      stats->has_downtime = TRUE;
    }
}

/* The domain's job statistics: FALSE when there is no job (or libvirt
 * cannot tell). */
static gboolean
get_job_stats (virDomainPtr domain, unsigned int flags, VmgrMigrationStats *stats)
{
  virTypedParameterPtr params = NULL;
  int n = 0, type = VIR_DOMAIN_JOB_NONE;

  if (virDomainGetJobStats (domain, &type, &params, &n, flags) < 0)
    {
      virResetLastError ();
      return FALSE;
    }
  stats_from_params (params, n, stats);
  virTypedParamsFree (params, n);
  return type != VIR_DOMAIN_JOB_NONE;
}

/* ---- the watcher: progress and cancel while virDomainMigrate3 blocks ---- */

typedef struct {
  virDomainPtr domain;
  GCancellable *cancellable;
  VmgrBackendProgress *progress;
  GMutex mutex;
  GCond cond;
  gboolean done;
  gboolean aborted;         /* virDomainAbortJob succeeded */
} Watch;

static gpointer
watch_thread (gpointer p)
{
  Watch *watch = p;

  g_mutex_lock (&watch->mutex);
  while (!watch->done)
    {
      gint64 until = g_get_monotonic_time () + VMGR_BACKEND_PROGRESS_INTERVAL_US;
      VmgrMigrationStats stats;

      while (!watch->done && g_cond_wait_until (&watch->cond, &watch->mutex, until))
        ;
      if (watch->done)
        break;
      g_mutex_unlock (&watch->mutex);
      if (!watch->aborted && g_cancellable_is_cancelled (watch->cancellable))
        {
          /* fails while no job runs yet (then again at the next tick) */
          if (virDomainAbortJob (watch->domain) == 0)
            watch->aborted = TRUE;
          else
            virResetLastError ();
        }
      else if (watch->progress != NULL && get_job_stats (watch->domain, 0, &stats))
        {
          vmgr_backend_progress_post_struct (watch->progress, &stats, sizeof stats);
        }
      g_mutex_lock (&watch->mutex);
    }
  g_mutex_unlock (&watch->mutex);
  return NULL;
}

/* ---- migrate ---- */

static gboolean
check_migration (VmgrBackend *source, VmgrBackend *target, virDomainPtr domain,
                 VmgrMigrateFlags flags, GError **error)
{
  int state = VIR_DOMAIN_NOSTATE, reason = 0;

  if (g_strcmp0 (vmgr_backend_get_uri (source), vmgr_backend_get_uri (target)) == 0)
    {
      g_set_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_ARGUMENT,
                   "The source and the target are the same host (%s)",
                   vmgr_backend_get_uri (source));
      return FALSE;
    }
  if (g_strcmp0 (vmgr_backend_get_scheme (source), vmgr_backend_get_scheme (target)) != 0)
    {
      g_set_error (error, VMGR_ERROR, VMGR_ERROR_NOT_SUPPORTED,
                   "A %s domain cannot move to a %s host", vmgr_backend_get_scheme (source),
                   vmgr_backend_get_scheme (target));
      return FALSE;
    }
  if (g_strcmp0 (vmgr_backend_get_scheme (source), "lxc") == 0)
    {
      g_set_error_literal (error, VMGR_ERROR, VMGR_ERROR_NOT_SUPPORTED,
                           "Containers cannot migrate live: they move stopped, with their "
                           "root volume streamed");
      return FALSE;
    }
  if (virDomainGetState (domain, &state, &reason, 0) < 0)
    {
      vmgr_backend_set_error_from_libvirt (error);
      return FALSE;
    }
  if (state != VIR_DOMAIN_RUNNING && state != VIR_DOMAIN_BLOCKED &&
      ((flags & VMGR_MIGRATE_LIVE) != 0 || state != VIR_DOMAIN_PAUSED))
    {
      g_set_error_literal (error, VMGR_ERROR, VMGR_ERROR_INVALID_STATE,
                           "The VM cannot migrate: it is not running");
      return FALSE;
    }
  return TRUE;
}

/* The file paths of @domain's disks that @tconn has no volume at: what
 * libvirt will create on the target for a storage copy, and not remove if
 * the migration fails. */
static GPtrArray *
disks_missing_on_target (virDomainPtr domain, virConnectPtr tconn)
{
  g_autoptr(GPtrArray) missing = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GRegex) disk_re = g_regex_new ("<disk\\b.*?</disk>", G_REGEX_DOTALL, 0, NULL);
  g_autoptr(GRegex) file_re = g_regex_new ("<source\\s+file=['\"]([^'\"]+)['\"]", 0, 0, NULL);
  g_autoptr(GMatchInfo) disks = NULL;
  g_autofree char *xml = virDomainGetXMLDesc (domain, 0);

  if (xml == NULL)
    {
      virResetLastError ();
      return g_steal_pointer (&missing);
    }
  for (g_regex_match (disk_re, xml, 0, &disks); g_match_info_matches (disks);
       g_match_info_next (disks, NULL))
    {
      g_autofree char *disk = g_match_info_fetch (disks, 0);
      g_autofree char *path = NULL;
      g_autoptr(GMatchInfo) file = NULL;
      g_autoptr(VmgrVirVolume) vol = NULL;

      if (!g_regex_match (file_re, disk, 0, &file))
        continue;
      path = g_match_info_fetch (file, 1);
      vol = virStorageVolLookupByPath (tconn, path);
      if (vol == NULL)
        g_ptr_array_add (missing, g_steal_pointer (&path));
      virResetLastError ();
    }
  return g_steal_pointer (&missing);
}

/* After a failed storage copy: deletes the target volumes at @paths. */
static void
delete_target_volumes (virConnectPtr tconn, GPtrArray *paths)
{
  for (guint i = 0; paths != NULL && i < paths->len; i++)
    {
      g_autoptr(VmgrVirVolume) vol = virStorageVolLookupByPath (tconn, paths->pdata[i]);

      if (vol != NULL && virStorageVolDelete (vol, 0) < 0)
        g_warning ("Could not delete %s on the target after a failed migration",
                   (const char *) paths->pdata[i]);
      virResetLastError ();
    }
}

static void
migrate_thread (GTask *task, gpointer source_object, gpointer task_data,
                GCancellable *cancellable)
{
  VmgrBackend *source = source_object;
  MigrateData *data = task_data;
  g_autoptr(VmgrVirConnect) tconn = NULL;
  g_autoptr(VmgrVirDomain) domain = NULL;
  g_autoptr(VmgrVirDomain) moved = NULL;
  g_autoptr(GError) error = NULL;
  unsigned int vflags = VIR_MIGRATE_PERSIST_DEST | VIR_MIGRATE_ABORT_ON_ERROR;
  Watch watch = { 0 };
  GThread *watcher;
  g_autoptr(GPtrArray) created = NULL;
  virTypedParameterPtr params = NULL;
  int n_params = 0;
  int max_params = 0;

  if (vmgr_backend_task_return_if_cancelled (task))
    return;
  domain = vmgr_backend_lookup_domain (source, data->uuid, &error);
  if (domain == NULL || !check_migration (source, data->target, domain, data->flags, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  tconn = vmgr_backend_ref_connection (data->target, &error);
  if (tconn == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if ((data->flags & VMGR_MIGRATE_LIVE) != 0)
    vflags |= VIR_MIGRATE_LIVE;
  /* With a definition of its own the target's disks are elsewhere than
   * the source's, and the caller made them. */
  if ((data->flags & VMGR_MIGRATE_COPY_STORAGE) != 0)
    {
      vflags |= VIR_MIGRATE_NON_SHARED_DISK;
      if (data->dest_xml == NULL)
        created = disks_missing_on_target (domain, tconn);
    }
  if (data->dest_xml != NULL &&
      virTypedParamsAddString (&params, &n_params, &max_params, VIR_MIGRATE_PARAM_DEST_XML,
                               data->dest_xml) < 0)
    {
      vmgr_backend_set_error_from_libvirt (&error);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (virDomainIsPersistent (domain) == 1)
    vflags |= VIR_MIGRATE_UNDEFINE_SOURCE;

  watch.domain = domain;
  watch.cancellable = cancellable;
  watch.progress = data->progress;
  g_mutex_init (&watch.mutex);
  g_cond_init (&watch.cond);
  watcher = g_thread_new ("vmgr-migrate-watch", watch_thread, &watch);

  moved = virDomainMigrate3 (domain, tconn, params, n_params, vflags);
  virTypedParamsFree (params, n_params);
  if (moved == NULL)
    vmgr_backend_set_error_from_libvirt (&error);

  g_mutex_lock (&watch.mutex);
  watch.done = TRUE;
  g_cond_signal (&watch.cond);
  g_mutex_unlock (&watch.mutex);
  g_thread_join (watcher);
  g_mutex_clear (&watch.mutex);
  g_cond_clear (&watch.cond);

  if (moved == NULL)
    {
      g_autoptr(VmgrVirDomain) on_target = virDomainLookupByUUIDString (tconn, data->uuid);

      virResetLastError ();
      if (on_target == NULL)   /* (never a disk a domain there may use) */
        delete_target_volumes (tconn, created);
      if (watch.aborted)
        {
          g_clear_error (&error);
          g_set_error_literal (&error, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                               "The migration was cancelled: the VM stays on its source");
        }
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  get_job_stats (moved, VIR_DOMAIN_JOB_STATS_COMPLETED, &data->stats);
  g_task_return_boolean (task, TRUE);
}

void
vmgr_backend_migrate_async (VmgrBackend *source, VmgrBackend *target, const char *uuid,
                            VmgrMigrateFlags flags, const char *dest_xml,
                            VmgrMigrateProgress progress, gpointer progress_data,
                            GDestroyNotify progress_destroy,
                            GCancellable *cancellable,
                            GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = NULL;
  MigrateData *data;

  g_return_if_fail (VMGR_IS_BACKEND (source));
  g_return_if_fail (VMGR_IS_BACKEND (target));

  task = migrate_task_new (source, target, vmgr_backend_migrate_async,
                           G_CALLBACK (progress), progress_data, progress_destroy,
                           cancellable, callback, user_data);
  data = g_task_get_task_data (task);
  data->uuid = g_strdup (uuid);
  data->flags = flags;
  data->dest_xml = dest_xml != NULL && *dest_xml != '\0' ? g_strdup (dest_xml) : NULL;
  g_task_run_in_thread (task, migrate_thread);
}

gboolean
vmgr_backend_migrate_finish (VmgrBackend *source, GAsyncResult *result,
                             VmgrMigrationStats *stats, GError **error)
{
  MigrateData *data;

  g_return_val_if_fail (g_task_is_valid (result, source), FALSE);
  data = g_task_get_task_data (G_TASK (result));
  if (!g_task_propagate_boolean (G_TASK (result), error))
    return FALSE;
  if (stats != NULL)
    *stats = data->stats;
  return TRUE;
}

/* ---- volume streams ---- */

static gboolean
send_all (virStreamPtr stream, const char *buf, size_t len, GError **error)
{
  while (len > 0)
    {
      int n = virStreamSend (stream, buf, len);

      if (n < 0)
        {
          vmgr_backend_set_error_from_libvirt (error);
          return FALSE;
        }
      buf += n;
      len -= (size_t) n;
    }
  return TRUE;
}

/* Streams @from into @to; TRUE once both streams finished. */
static gboolean
pump (virStreamPtr from, virStreamPtr to, guint64 total, VmgrBackendProgress *progress,
      GCancellable *cancellable, GError **error)
{
  g_autofree char *buf = g_malloc (COPY_CHUNK);
  guint64 copied = 0;
  gint64 last_report = 0;

  for (;;)
    {
      int n;

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;
      n = virStreamRecvFlags (from, buf, COPY_CHUNK, VIR_STREAM_RECV_STOP_AT_HOLE);
      if (n == -3)
        {
          long long hole = 0;

          /* a hole in the source stays a hole on the target */
          if (virStreamRecvHole (from, &hole, 0) < 0 || virStreamSendHole (to, hole, 0) < 0)
            {
              vmgr_backend_set_error_from_libvirt (error);
              return FALSE;
            }
          copied += (guint64) hole;
        }
      else if (n < 0)
        {
          vmgr_backend_set_error_from_libvirt (error);
          return FALSE;
        }
      else if (n == 0)
        break;
      else
        {
          if (!send_all (to, buf, (size_t) n, error))
            return FALSE;
          copied += (guint64) n;
        }
      if (progress != NULL && g_get_monotonic_time () - last_report >= VMGR_BACKEND_PROGRESS_INTERVAL_US)
        {
          vmgr_backend_progress_post_copy (progress, copied, total);
          last_report = g_get_monotonic_time ();
        }
    }
  if (virStreamFinish (from) < 0 || virStreamFinish (to) < 0)
    {
      vmgr_backend_set_error_from_libvirt (error);
      return FALSE;
    }
  if (progress != NULL)
    vmgr_backend_progress_post_copy (progress, copied, total);
  return TRUE;
}

/* The target volume (new, empty) for a copy of @svol. */
static virStorageVolPtr
create_target_volume (virConnectPtr tconn, virStorageVolPtr svol, const char *pool_name,
                      const char *name, guint64 *capacity, GError **error)
{
  g_autoptr(VmgrVirPool) pool = NULL;
  g_autoptr(VmgrVirVolume) existing = NULL;
  g_autofree char *sxml = NULL;
  g_autofree char *format = NULL;
  g_autofree char *escaped = NULL;
  g_autofree char *xml = NULL;
  virStorageVolInfo info;
  virStorageVolPtr tvol;

  if (virStorageVolGetInfo (svol, &info) < 0 ||
      (sxml = virStorageVolGetXMLDesc (svol, 0)) == NULL)
    {
      vmgr_backend_set_error_from_libvirt (error);
      return NULL;
    }
  *capacity = info.capacity;
  pool = virStoragePoolLookupByName (tconn, pool_name);
  if (pool == NULL)
    {
      g_set_error (error, VMGR_ERROR, VMGR_ERROR_NOT_FOUND,
                   "The target host has no storage pool '%s'", pool_name);
      virResetLastError ();
      return NULL;
    }
  existing = virStorageVolLookupByName (pool, name);
  if (existing != NULL)
    {
      g_set_error (error, VMGR_ERROR, VMGR_ERROR_INVALID_ARGUMENT,
                   "The target pool '%s' already has a volume '%s'", pool_name, name);
      return NULL;
    }
  virResetLastError ();
  format = vmgr_backend_volume_format (sxml);
  escaped = g_markup_escape_text (name, -1);
  xml = g_strdup_printf ("<volume><name>%s</name>"
                         "<capacity unit='bytes'>%" G_GUINT64_FORMAT "</capacity>"
                         "<allocation>0</allocation>"   /* sparse: holes stay holes */
                         "<target><format type='%s'/></target></volume>",
                         escaped, (guint64) info.capacity, format);
  tvol = virStorageVolCreateXML (pool, xml, 0);
  if (tvol == NULL)
    vmgr_backend_set_error_from_libvirt (error);
  return tvol;
}

static void
copy_thread (GTask *task, gpointer source_object, gpointer task_data, GCancellable *cancellable)
{
  VmgrBackend *source = source_object;
  MigrateData *data = task_data;
  g_autoptr(VmgrVirConnect) sconn = NULL;
  g_autoptr(VmgrVirConnect) tconn = NULL;
  g_autoptr(VmgrVirVolume) svol = NULL;
  g_autoptr(VmgrVirVolume) tvol = NULL;
  g_autoptr(VmgrVirStream) from = NULL;
  g_autoptr(VmgrVirStream) to = NULL;
  g_autoptr(GError) error = NULL;
  guint64 capacity = 0;
  char *path;

  if (vmgr_backend_task_return_if_cancelled (task))
    return;
  sconn = vmgr_backend_ref_connection (source, &error);
  if (sconn != NULL)
    tconn = vmgr_backend_ref_connection (data->target, &error);
  if (tconn != NULL)
    {
      svol = virStorageVolLookupByPath (sconn, data->source_path);
      if (svol == NULL)
        {
          g_set_error (&error, VMGR_ERROR, VMGR_ERROR_NOT_FOUND,
                       "No storage volume at '%s' on the source host", data->source_path);
          virResetLastError ();
        }
    }
  if (svol != NULL)
    tvol = create_target_volume (tconn, svol, data->target_pool, data->target_name,
                                 &capacity, &error);
  if (tvol == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  from = virStreamNew (sconn, 0);
  to = virStreamNew (tconn, 0);
  if (from == NULL || to == NULL ||
      virStorageVolDownload (svol, from, 0, 0, VIR_STORAGE_VOL_DOWNLOAD_SPARSE_STREAM) < 0 ||
      virStorageVolUpload (tvol, to, 0, 0, VIR_STORAGE_VOL_UPLOAD_SPARSE_STREAM) < 0)
    vmgr_backend_set_error_from_libvirt (&error);
  else
    pump (from, to, capacity, data->progress, cancellable, &error);
  if (error != NULL)
    {
      if (from != NULL)
        virStreamAbort (from);
      if (to != NULL)
        virStreamAbort (to);
      virStorageVolDelete (tvol, 0);
      virResetLastError ();
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  path = virStorageVolGetPath (tvol);
  if (path == NULL)
    {
      vmgr_backend_set_error_from_libvirt (&error);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_task_return_pointer (task, g_strdup (path), g_free);
  free (path);
}

void
vmgr_backend_volume_copy_async (VmgrBackend *source, const char *source_path,
                                VmgrBackend *target, const char *target_pool,
                                const char *target_name,
                                VmgrVolumeCopyProgress progress, gpointer progress_data,
                                GDestroyNotify progress_destroy,
                                GCancellable *cancellable,
                                GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = NULL;
  MigrateData *data;

  g_return_if_fail (VMGR_IS_BACKEND (source));
  g_return_if_fail (VMGR_IS_BACKEND (target));
  g_return_if_fail (source_path != NULL && target_pool != NULL && target_name != NULL);

  task = migrate_task_new (source, target, vmgr_backend_volume_copy_async,
                           G_CALLBACK (progress), progress_data, progress_destroy,
                           cancellable, callback, user_data);
  data = g_task_get_task_data (task);
  data->source_path = g_strdup (source_path);
  data->target_pool = g_strdup (target_pool);
  data->target_name = g_strdup (target_name);
  g_task_run_in_thread (task, copy_thread);
}

char *
vmgr_backend_volume_copy_finish (VmgrBackend *source, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, source), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
