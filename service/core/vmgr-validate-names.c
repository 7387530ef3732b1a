/* Validation of names, host names, IP and CIDR addresses (see
 * vmgr-validate.h). IPv6 zone ids ("fe80::1%eth0") are refused: they mean
 * nothing inside a guest; a CIDR prefix is plain decimal without leading
 * zeros. */
#include "vmgr-validate-private.h"

#include <string.h>

#include <gio/gio.h>

#define VMGR_HOSTNAME_MAX 253
#define VMGR_HOSTNAME_LABEL_MAX 63

gboolean
vmgr_validate_name (const char *name, const char *what, GError **error)
{
  gsize len = name != NULL ? strlen (name) : 0;
  gboolean all_digits = TRUE;
  gboolean ok = len >= 1 && len <= VMGR_NAME_MAX && g_ascii_isalnum (name[0]);

  if (what == NULL)
    what = "name";

  for (gsize i = 0; ok && i < len; i++)
    {
      char c = name[i];

      if (!g_ascii_isalnum (c) && c != '.' && c != '_' && c != '-')
        ok = FALSE;
      if (!g_ascii_isdigit (c))
        all_digits = FALSE;
    }

  if (!ok)
    {
      g_autofree char *shown = vmgr_validate_display (name);

      vmgr_validate_set_invalid (error,
                   "invalid %s '%s': use 1 to %d letters, digits, '.', '_' "
                   "or '-', starting with a letter or digit",
                   what, shown, VMGR_NAME_MAX);
      return FALSE;
    }
  if (all_digits)
    {
      vmgr_validate_set_invalid (error,
                   "invalid %s '%s': a name must not be all digits (it would "
                   "read as an id); include a letter, '.', '_' or '-'",
                   what, name);
      return FALSE;
    }
  return TRUE;
}

gboolean
vmgr_validate_snapshot_name (const char *name, GError **error)
{
  gsize len = name != NULL ? strlen (name) : 0;
  gboolean ok = len >= 1 && len <= VMGR_NAME_MAX && g_ascii_isalnum (name[0]);

  for (gsize i = 0; ok && i < len; i++)
    ok = g_ascii_isalnum (name[i]) || name[i] == '_';
  if (!ok)
    {
      g_autofree char *shown = vmgr_validate_display (name);

      vmgr_validate_set_invalid (error,
                   "invalid snapshot name '%s': use 1 to %d letters, digits or '_', "
                   "starting with a letter or digit", shown, VMGR_NAME_MAX);
    }
  return ok;
}

gboolean
vmgr_validate_host_name (const char *name, GError **error)
{
  gsize len = name != NULL ? strlen (name) : 0;
  gboolean ok = len >= 1 && len <= VMGR_NAME_MAX && g_ascii_isalpha (name[0]);

  for (gsize i = 0; ok && i < len; i++)
    ok = g_ascii_isalnum (name[i]) || name[i] == '_';
  if (!ok)
    {
      g_autofree char *shown = vmgr_validate_display (name);

      vmgr_validate_set_invalid (error,
                   "invalid host name '%s': use 1 to %d letters, digits or '_', "
                   "starting with a letter", shown, VMGR_NAME_MAX);
    }
  return ok;
}

gboolean
vmgr_validate_pool_name (const char *name, GError **error)
{
  gsize len = name != NULL ? strlen (name) : 0;
  gboolean ok = len >= 1 && len <= VMGR_NAME_MAX && g_ascii_isalnum (name[0]);

  for (gsize i = 0; ok && i < len; i++)
    ok = g_ascii_isalnum (name[i]) || name[i] == '_' || name[i] == '-' || name[i] == '.';
  if (!ok)
    {
      g_autofree char *shown = vmgr_validate_display (name);

      vmgr_validate_set_invalid (error,
                   "invalid storage pool name '%s': use 1 to %d letters, digits, '.', '_' "
                   "or '-', starting with a letter or digit", shown, VMGR_NAME_MAX);
    }
  return ok;
}

/* NULL when @label (of @len bytes) is a valid RFC 1123 label, else why not. */
static char *
hostname_label_problem (const char *label, gsize len)
{
  if (len == 0)
    return g_strdup ("empty label");
  if (len > VMGR_HOSTNAME_LABEL_MAX)
    return g_strdup_printf ("a label is longer than %d characters",
                            VMGR_HOSTNAME_LABEL_MAX);
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isalnum (label[i]) && label[i] != '-')
      return g_strdup ("only letters, digits, '-' and '.' are allowed");
  if (label[0] == '-' || label[len - 1] == '-')
    return g_strdup ("a label starts or ends with '-'");
  return NULL;
}

gboolean
vmgr_validate_hostname (const char *hostname, GError **error)
{
  g_autofree char *problem = NULL;
  gsize len;

  if (hostname == NULL || hostname[0] == '\0')
    return TRUE;

  len = strlen (hostname);
  if (len > VMGR_HOSTNAME_MAX)
    problem = g_strdup_printf ("longer than %d characters", VMGR_HOSTNAME_MAX);

  for (const char *label = hostname; problem == NULL;)
    {
      const char *dot = strchr (label, '.');
      gsize label_len = dot != NULL ? (gsize) (dot - label) : strlen (label);

      problem = hostname_label_problem (label, label_len);
      if (dot == NULL)
        break;
      label = dot + 1;
    }

  if (problem != NULL)
    {
      g_autofree char *shown = vmgr_validate_display (hostname);

      vmgr_validate_set_invalid (error,
                   "invalid hostname '%s': %s (use dot-separated labels of 1 "
                   "to %d letters, digits or '-', not starting or ending with "
                   "'-', at most %d characters in all)",
                   shown, problem, VMGR_HOSTNAME_LABEL_MAX, VMGR_HOSTNAME_MAX);
      return FALSE;
    }
  return TRUE;
}

/* @text as an address, or NULL. Zone ids are refused whatever the GLib
 * version would make of them. */
static GInetAddress *
parse_inet_address (const char *text)
{
  if (text == NULL || text[0] == '\0' || strchr (text, '%') != NULL)
    return NULL;
  return g_inet_address_new_from_string (text);
}

gboolean
vmgr_validate_ip (const char *ip, const char *what, GError **error)
{
  g_autoptr(GInetAddress) address = parse_inet_address (ip);

  if (address == NULL)
    {
      g_autofree char *shown = vmgr_validate_display (ip);

      vmgr_validate_set_invalid (error,
                   "'%s' is not a valid %s: expected an IPv4 address "
                   "(192.0.2.1) or an IPv6 address (2001:db8::1)",
                   shown, what != NULL ? what : "IP address");
      return FALSE;
    }
  return TRUE;
}

/* Plain decimal, no sign, no leading zeros, at most @max. */
static gboolean
parse_prefix_length (const char *text, guint max, guint *out)
{
  guint value = 0;
  gsize len = strlen (text);

  if (len == 0 || len > 3 || (len > 1 && text[0] == '0'))
    return FALSE;
  for (gsize i = 0; i < len; i++)
    {
      if (!g_ascii_isdigit (text[i]))
        return FALSE;
      value = value * 10 + (guint) (text[i] - '0');
    }
  if (value > max)
    return FALSE;
  *out = value;
  return TRUE;
}

gboolean
vmgr_validate_cidr (const char *cidr, GError **error)
{
  g_autofree char *problem = NULL;
  const char *slash = cidr != NULL ? strrchr (cidr, '/') : NULL;

  if (slash == NULL)
    {
      problem = g_strdup ("expected ADDRESS/PREFIX, e.g. 192.0.2.10/24 or "
                          "2001:db8::10/64");
    }
  else
    {
      g_autofree char *address_text = g_strndup (cidr, (gsize) (slash - cidr));
      g_autoptr(GInetAddress) address = parse_inet_address (address_text);
      guint prefix;

      if (address == NULL)
        {
          g_autofree char *shown = vmgr_validate_display (address_text);

          problem = g_strdup_printf ("'%s' is not an IPv4 or IPv6 address",
                                     shown);
        }
      else
        {
          gboolean v4 = g_inet_address_get_family (address) == G_SOCKET_FAMILY_IPV4;
          guint max = v4 ? 32 : 128;

          if (!parse_prefix_length (slash + 1, max, &prefix))
            problem = g_strdup_printf ("the prefix length must be a number "
                                       "from 0 to %u for %s",
                                       max, v4 ? "IPv4" : "IPv6");
        }
    }

  if (problem != NULL)
    {
      g_autofree char *shown = vmgr_validate_display (cidr);

      vmgr_validate_set_invalid (error, "'%s' is not a valid CIDR address: %s", shown, problem);
      return FALSE;
    }
  return TRUE;
}
