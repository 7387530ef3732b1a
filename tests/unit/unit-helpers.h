/* What the service's unit tests share. */
#pragma once

#include <glib.h>

#include "vmgr-records.h"

G_BEGIN_DECLS

/* Replaces the string *@field with a copy of @value. */
void set_str (char **field, const char *value);

/* The a{sv} dictionary written as @text (a full reference); a bad @text
 * is the test's own error. */
GVariant *parse_dict (const char *text);

/* Asserts that the plans @a and @b have the same name and values. */
void assert_plans_equal (const VmgrPlan *a, const VmgrPlan *b);

G_END_DECLS
