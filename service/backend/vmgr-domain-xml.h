/* Builds libvirt domain definitions from a VmgrVmSpec with libvirt-gconfig
 * (never by string concatenation), with vmgr's own data in <metadata> under
 * VMGR_METADATA_NS, and reads that metadata back. */
#pragma once

#include <glib.h>

#include "vmgr-records.h"

G_BEGIN_DECLS

#define VMGR_METADATA_NS "http://vmgr.org/xmlns/domain/1"
#define VMGR_METADATA_PREFIX "vmgr"

/* @scheme: the libvirt URI scheme ("test", "lxc", "qemu"); selects the
 * domain type and OS type. @template_source: the template's source (may be
 * NULL or "", then a minimal definition without disks is built).
 * The domain is named by vmgr_domain_name. */
/* The libvirt name of @spec's domain: NAME-ID, unique on the host although
 * VM names are unique per owner only, and readable in virsh. A domain
 * defined before keeps its name (see vmgr_backend_define_async). */
char *vmgr_domain_name (const VmgrVmSpec *spec);
/* The UUID in a domain definition, or NULL. */
char *vmgr_domain_xml_get_uuid (const char *xml);
/* @xml with the domain named @name, or NULL when it has that name already
 * (or is no domain definition). */
char *vmgr_domain_xml_rename (const char *xml, const char *name);

char *vmgr_domain_xml_build (const VmgrVmSpec *spec, const char *scheme,
                             const char *template_source, GError **error);

/* The definition of a real guest with its own files (see vmgr-provision.h):
 * LXC gets @files->root as its root filesystem; QEMU its disk and, when
 * set, direct boot of the template's kernel and initramfs with a serial
 * console. With @network non-empty the guest joins that libvirt network
 * with a MAC address derived from its UUID (stable across redefinitions). */
char *vmgr_domain_xml_build_guest (const VmgrVmSpec *spec, const char *scheme,
                                   const char *root, const char *disk, const char *kernel,
                                   const char *initrd, const char *network, GError **error);

/* The guest's MAC address: 52:54:00 and three bytes of its UUID. */
char *vmgr_domain_xml_mac_for_uuid (const char *uuid);

/* The <vmgr:vm> metadata element (id, owner, template, plan, network) as XML
 * text, for virDomainSetMetadata. */
char *vmgr_domain_xml_build_metadata (const VmgrVmSpec *spec, GError **error);

/* Fills id, owner, template, plan and network settings of a new spec from a
 * full domain XML carrying vmgr metadata; name, uuid and resources from the
 * domain itself. NULL with INVALID_ARGUMENT when there is no vmgr metadata. */
VmgrVmSpec *vmgr_domain_xml_parse (const char *domain_xml, GError **error);

/* Name, UUID, memory, vCPUs and tuning of a domain vmgr did not create
 * (INVALID_ARGUMENT for malformed XML); the rest of the spec is unset. */
VmgrVmSpec *vmgr_domain_xml_parse_foreign (const char *domain_xml, GError **error);
/* Whether @domain_xml carries vmgr's metadata: a domain vmgr made. */
gboolean vmgr_domain_xml_has_metadata (const char *domain_xml);
/* A domain's own definition @domain_xml (one vmgr adopted: its devices are
 * not vmgr's to rebuild) with @spec's memory, vCPUs, tuning and vmgr's
 * metadata; the name stays. */
char *vmgr_domain_xml_update_adopted (const char *domain_xml, const VmgrVmSpec *spec,
                                      const char *scheme, GError **error);

/* A cpu-weight (1..10000, cgroup-v2 cpu.weight) as the cgroup-v1
 * cpu.shares in <cputune><shares> and the "cpu_shares" scheduler
 * parameter (2..262144). */
guint64 vmgr_domain_xml_weight_to_shares (guint32 weight);

G_END_DECLS
