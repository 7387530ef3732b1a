/* What the two files of validation share (vmgr-validate.c: values and
 * option dictionaries; vmgr-validate-names.c: names and addresses). */
#pragma once

#include "vmgr-error.h"
#include "vmgr-validate.h"

G_BEGIN_DECLS

/* INVALID_ARGUMENT with the message. */
void vmgr_validate_set_invalid (GError **error, const char *format, ...) G_GNUC_PRINTF (2, 3);

/* @value made fit for quoting in a message: control characters and invalid
 * UTF-8 escaped, long values shortened. */
char *vmgr_validate_display (const char *value);

G_END_DECLS
