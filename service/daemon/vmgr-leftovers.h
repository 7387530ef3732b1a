/* What an operation interrupted by a crash of vmgrd leaves in the state
 * directory: the staging copies of backups (.backup-*) and restores
 * (.restore-*), everything under STATE_DIR/staging (root images built for
 * added hosts, disks on their way to another host), and, when the backup
 * directory is the default one inside the state directory, archives tar
 * had not finished (.NAME.partial). Nothing of a finished operation has
 * such a name. */
#pragma once

#include "vmgr-config.h"

G_BEGIN_DECLS

/* At start, before any operation can begin: moves the leftovers into one
 * hidden directory (renames only, so this is quick however large they are)
 * and removes that directory in a worker thread. Failures are logged. */
void vmgr_leftovers_sweep (const VmgrConfig *config);

G_END_DECLS
