/* What a new store starts with: the original system's three plans and a
 * few OS templates. */
#pragma once

#include "vmgr-store.h"

G_BEGIN_DECLS

gboolean vmgr_seed_defaults (VmgrStore *store, GError **error);

G_END_DECLS
