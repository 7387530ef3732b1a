/* What the builder (vmgr-domain-xml.c) and the reader
 * (vmgr-domain-xml-parse.c) of domain definitions share: the table of
 * vmgr's metadata fields and a few conversions. */
#pragma once

#include <libvirt-gconfig/libvirt-gconfig.h>
#include <libxml/tree.h>

#include "vmgr-domain-xml.h"

G_BEGIN_DECLS

G_DEFINE_AUTOPTR_CLEANUP_FUNC (GVirConfigDomain, g_object_unref)

#define KIB 1024

typedef enum {
  FIELD_STRING,
  FIELD_STRV,
  FIELD_U32,
  FIELD_U64,
  FIELD_BOOL,
} FieldType;

typedef struct {
  const char *name;
  const char *item;         /* element name of list items (FIELD_STRV) */
  FieldType type;
  gsize offset;
  /* Left out while it has vmgr_vm_spec_new's default ("", no items, 0,
   * false): parsing then keeps that default. Only for values the metadata
   * alone carries (not the domain's tuning, which parsing reads first). A
   * test-driver domain keeps its metadata in vmgrd's memory, about 0.25 KiB
   * an element. */
  gboolean optional;
} MetadataField;

/* One table drives both building and parsing (vmgr-domain-xml.c). */
extern const MetadataField vmgr_domain_xml_metadata_fields[];
extern const gsize vmgr_domain_xml_n_metadata_fields;

#define FIELD_PTR(spec, field, type) ((type *) (gpointer) ((guint8 *) (spec) + (field)->offset))

/* Rounded up to whole KiB. */
guint64 vmgr_domain_xml_bytes_to_kib (guint64 bytes);
/* cgroup-v1 cpu.shares back to a cgroup-v2 weight, as systemd maps them. */
guint32 vmgr_domain_xml_shares_to_weight (guint64 shares);
/* The text of @node (a copy; "" when it has none). */
char *vmgr_domain_xml_node_text (xmlNodePtr node);
/* The domain's root element, which libxml2 can read and extend in place. */
xmlNodePtr vmgr_domain_xml_domain_node (GVirConfigDomain *domain);

G_END_DECLS
