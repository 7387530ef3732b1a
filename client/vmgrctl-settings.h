/* VM settings from the command line, as the VM methods take them: the
 * options given replace the VM's current values (set-memory, set-cpu,
 * set-disk), the network keys given (set-network), on or off
 * (autostart). Pure functions, no D-Bus; errors are usage errors. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  VMGRCTL_SETTING_SIZE,     /* bytes: 512M, 1.5G, 4096 */
  VMGRCTL_SETTING_COUNT,    /* a decimal 32-bit number */
  VMGRCTL_SETTING_PERCENT,  /* 150 or 150%, 32 bits */
} VmgrctlSettingKind;

typedef struct {
  const char *option;       /* its name without "--", for errors */
  VmgrctlSettingKind kind;
  const char *text;         /* as given; NULL: keep @current */
  guint64 current;          /* the VM's value now */
  guint64 value;            /* the value to send (set by _resolve) */
} VmgrctlSetting;

/* Sets each value to its parsed text, or to its current value when no
 * text was given. A malformed text is an error naming the option. */
gboolean vmgrctl_settings_resolve (VmgrctlSetting *settings, gsize n_settings, GError **error);

/* Whether any text was given. */
gboolean vmgrctl_settings_any_given (const VmgrctlSetting *settings, gsize n_settings);

/* SetNetwork's a{sv} (floating) with only the keys given: hostname s,
 * addresses as, gateway s, nameservers as. NULL means "not given"; empty
 * strings in the lists are dropped, so that a lone "" clears a list. */
GVariant *vmgrctl_network_settings (const char *hostname, const char *const *addresses,
                                    const char *gateway, const char *const *nameservers);

/* "on", "off" (also yes/no, true/false, 1/0; any case). */
gboolean vmgrctl_parse_switch (const char *text, gboolean *on, GError **error);

G_END_DECLS
