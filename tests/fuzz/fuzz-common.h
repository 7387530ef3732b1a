/* What every harness of tests/fuzz shares. A harness defines
 * LLVMFuzzerTestOneInput; it is linked either with libFuzzer (-Dfuzzing=true,
 * clang) or with fuzz-replay.c, a main() that runs it once on each file it
 * is given, so that the corpus is replayed by every build. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <glib.h>

G_BEGIN_DECLS

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* Once per process: messages up to warnings are dropped (input may well
 * deserve a warning), a critical or an error aborts (input must never make
 * code under test misuse an API). */
void fuzz_setup (void);

/* @data as a NUL-terminated string (it may contain other NULs). */
char *fuzz_strndup (const uint8_t *data, size_t size);

/* @data as a value of @type: its text form (g_variant_parse) when it is
 * one, else its serialised form, in normal form as D-Bus delivers it. Never
 * NULL; not floating. */
GVariant *fuzz_variant (const GVariantType *type, const uint8_t *data, size_t size);

/* Aborts unless @error is a VMGR_ERROR_INVALID_ARGUMENT (or @domain/@code)
 * whose message is non-empty valid UTF-8 (it goes out on D-Bus). */
void fuzz_check_error (const GError *error, GQuark domain, int code);

G_END_DECLS
