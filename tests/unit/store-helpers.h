/* What the store's unit tests share: a temporary directory per test, the
 * store opened in it, and sqlite reached around the store. */
#pragma once

#include "vmgr-store.h"

G_BEGIN_DECLS

typedef struct
{
  char *dir;
  char *path; /* the store file inside dir (not created) */
} TmpDir;

TmpDir *tmp_dir_new (void);
/* Removes the directory and the files in it (the store, -wal, -shm). */
void tmp_dir_free (TmpDir *t);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TmpDir, tmp_dir_free)

/* Opens (creating or migrating) the store at @path; asserts success. */
VmgrStore *open_store (const char *path);

/* Runs one query through a separate sqlite3 handle; returns column 0. */
char *raw_query (const char *path, const char *sql);
/* Runs constant SQL through a separate sqlite3 handle, creating the file. */
void raw_exec (const char *path, const char *sql);

/* Schema version 1 as the first release wrote it (data/store-schema-v1.sql). */
char *read_schema_v1 (void);

G_END_DECLS
