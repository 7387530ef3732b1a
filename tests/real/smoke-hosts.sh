#!/usr/bin/env bash
# shellcheck disable=SC2016 # the console lines are for the guests' shells
# smoke-hosts.sh: prove that several libvirtd "hosts" on this machine talk
# to each other through libvirt's remote protocol and migrate (TAP).
#
#   tests/harness/libvirtd.sh --no-network -- tests/real/smoke-hosts.sh
#
# Two hosts (hosts_start in lib.sh: each libvirtd in its own network and
# mount namespace, 10.77.0.1 and 10.77.0.2 on a bridge, reached as
# qemu+tcp:// and lxc+tcp://). Then:
#   1. the tiny QEMU guest (TCG, direct kernel boot, plus a 16 MiB raw data
#      disk in a dir pool) defined and booted on host 1, and live-migrated
#      to host 2 (virsh migrate --live --p2p --copy-storage-all
#      --persistent --undefinesource): its uptime goes on, the console
#      answers on host 2, the data disk's marker is there; the migration
#      time and libvirt's downtime (domjobinfo --completed on the target)
#      are printed;
#   2. a busybox container on an ext4 root image (a volume of a dir pool,
#      loop-mounted by the LXC driver) moved offline: a file written in it
#      on host 1, stopped, its image streamed to host 2 with vol-download /
#      vol-upload, defined and started there, the file read back;
#   3. host 1's libvirtd killed (SIGKILL): host 2 still answers and changes
#      a domain's state; host 1 started again answers, its guests gone
#      (they moved) and its pool still there.
#
# Findings on this machine (Debian 12, libvirt 9.0.0, QEMU 7.2):
#   - libvirtd 9.0 without systemd socket activation listens on TCP only
#     with --listen plus listen_tcp=1 in libvirtd.conf (listen_tls=0, or it
#     wants certificates; auth_tcp="none": test only, anyone who reaches
#     the port is root on the host).
#   - the hosts share one UTS namespace (one hostname): qemu.conf's
#     migration_host (and migration_address) must name each host's own
#     address, or the source's QEMU is sent to the hostname's address.
#   - the hosts share one file system except for the directories bound per
#     host (/var/lib/libvirt, /var/log/libvirt, /var/cache/libvirt,
#     /run/libvirt, /etc/libvirt): the kernel and initramfs are "shared
#     storage" (same path, same file), the data disk in
#     /var/lib/libvirt/images is not, hence --copy-storage-all (NBD), for
#     which the target precreates the volume in its own pool of the same
#     path.
#   - --p2p: the source libvirtd opens the target URI itself, so the
#     target's address must be reachable from the source's namespace (it is,
#     through the bridge).
#   - the hosts share one cgroup tree, and a migrated QEMU domain is
#     machine/qemu-1-NAME on both (IDs count from 1 per libvirtd): one
#     cgroup for two QEMUs, and the source's cleanup failed with EBUSY.
#     libvirt puts "machine" below its own cgroup (v1), so each host's
#     libvirtd runs in a cgroup of its own (lib.sh). Binding a per-host
#     directory over "machine" instead failed (libvirt then wrote to
#     machine/machine/..., and a new cpuset cgroup needs cpus and mems).
#   - after a failed or cancelled --copy-storage-all migration libvirt
#     leaves the volume it created for the disk on the target
#     (vmgr_backend_migrate_async deletes it).
#   - a live migration does not need --p2p: the backend uses managed
#     migration (vmgrd holds both connections); --p2p here shows that the
#     hosts reach each other as well.
#   - an LXC domain without <interface> shares its host's network
#     namespace: the busybox init ran udhcpc on the host's link and took it
#     down on shutdown (host 1 then unreachable). <privnet/> in <features>.
#
# Environment: VMGR_SMOKE_BOOT_TIMEOUT (default 120 s).
set -uo pipefail
# shellcheck source=tests/real/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

boot_timeout=${VMGR_SMOKE_BOOT_TIMEOUT:-120}
ensure_templates
qemu_t=$template_dir/tiny-qemu
lxc_t=$template_dir/busybox-lxc
[[ -r $qemu_t/vmlinuz && -r $qemu_t/initramfs.cpio.gz ]] || bail "no template in $qemu_t"
[[ -x $lxc_t/sbin/init ]] || bail "no template in $lxc_t"

work=$(mktemp -d "${VMGR_LIBVIRTD_DIR:-/tmp}/smoke-hosts.XXXXXX")
chmod 755 "$work"
cleanup() {
  hosts_cleanup
  rm -rf -- "$work"
}
trap cleanup EXIT

if hosts_start 2; then ok "two hosts answer on qemu+tcp:// and lxc+tcp://"; else bail "the hosts did not start"; fi
q1=$(host_uri qemu 1) q2=$(host_uri qemu 2) l1=$(host_uri lxc 1) l2=$(host_uri lxc 2)
for u in "$q1" "$q2"; do
  if ! vsh "$u" pool-define-as images dir --target /var/lib/libvirt/images >/dev/null ||
    ! vsh "$u" pool-start images >/dev/null; then
    bail "pool 'images' on $u"
  fi
done
ok "dir pool 'images' on both hosts"

# ---- 1. live migration of the tiny QEMU guest ------------------------------
cp -- "$qemu_t/vmlinuz" "$qemu_t/initramfs.cpio.gz" "$work/"
qname=$(unique_name vmgr-mig-qemu)
check "data volume on host 1" quiet vsh "$q1" vol-create-as images "$qname.raw" 16M --format raw
cat >"$work/q.xml" <<XML
<domain type='qemu'>
  <name>$qname</name>
  <memory unit='MiB'>256</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>$work/vmlinuz</kernel>
    <initrd>$work/initramfs.cpio.gz</initrd>
    <cmdline>console=ttyS0 panic=-1 vmgr.hostname=migq</cmdline>
  </os>
  <on_poweroff>destroy</on_poweroff>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='raw'/>
      <source file='/var/lib/libvirt/images/$qname.raw'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <serial type='pty'><target port='0'/></serial>
    <console type='pty'><target type='serial' port='0'/></console>
  </devices>
</domain>
XML
check "define $qname on host 1" quiet vsh "$q1" define "$work/q.xml"
start_or_bail "$q1" "$qname" "$hosts_dir/h1/log/qemu/$qname.log" guest

shell_up() { console_session "$q1" "$qname" 1 'echo up-$((6*7))' | grep -q up-42; }
if wait_secs "$boot_timeout" shell_up; then
  ok "guest booted on host 1 (console answers)"
  diag "boot to console: $(( $(now_ms) - started_ms )) ms"
else
  not_ok "guest booted on host 1"
  diag_file "$hosts_dir/h1/log/qemu/$qname.log" 20
  bail "no guest"
fi
out=$(console_session "$q1" "$qname" 2 'echo marker-$((40+2)) | dd of=/dev/vda bs=512 count=1 conv=sync 2>/dev/null; sync; echo written-$((1+1))' 'cut -d" " -f1 /proc/uptime')
diag_console "$out"
up1=$(grep -aE '^[0-9]+\.[0-9]+$' <<<"$out" | tail -n 1)
check "marker written on the data disk" grep -q written-2 <<<"$out"
diag "uptime before the migration: ${up1:-?} s"

t0=$(now_ms)
if mig_out=$(timeout 300 virsh -q -c "$q1" migrate --live --p2p --copy-storage-all --persistent \
    --undefinesource --verbose "$qname" "$q2" 2>&1); then
  mig_ms=$(( $(now_ms) - t0 ))
  ok "live migration host 1 -> host 2 (--p2p --copy-storage-all)"
  diag "live migration (virsh migrate returned): $mig_ms ms"
else
  not_ok "live migration host 1 -> host 2"
  diag "$mig_out"
  diag_file "$hosts_dir/h1/libvirtd.log" 20
  diag_file "$hosts_dir/h2/libvirtd.log" 20
fi
check "running on host 2" test "$(domstate "$q2" "$qname")" = "running (migrated)"
gone_from_1() { ! vsh "$q1" dominfo "$qname" >/dev/null 2>&1; }
check "gone from host 1 (undefined there)" gone_from_1
vsh "$q2" domjobinfo --completed "$qname" 2>&1 | grep -E 'Time elapsed|downtime|Memory processed|File processed|Expected|Setup' | sed 's/^/# target domjobinfo| /'
out=$(console_session "$q2" "$qname" 2 'cut -d" " -f1 /proc/uptime' 'dd if=/dev/vda bs=512 count=1 2>/dev/null | head -c 9; echo')
diag_console "$out"
up2=$(grep -aE '^[0-9]+\.[0-9]+$' <<<"$out" | tail -n 1)
diag "uptime after the migration: ${up2:-?} s"
check "the guest kept running (uptime went on: ${up1:-?} -> ${up2:-?})" \
  awk -v a="${up1:-0}" -v b="${up2:-0}" 'BEGIN { exit !(a > 0 && b > a) }'
check "the data disk moved with it (marker-42 read on host 2)" grep -q marker-42 <<<"$out"

# ---- 2. offline move of a container with an image root ----------------------
lname=$(unique_name vmgr-mig-lxc)
token=$(unique_name file)
check "root image made (ext4 from the busybox-lxc template)" \
  quiet mkfs.ext4 -q -F -d "$lxc_t" -L root "$work/root.img" 64M
quiet vsh "$q1" vol-create-as images "$lname.img" 64M --format raw
check "image uploaded to host 1 (vol-upload)" quiet vsh "$q1" vol-upload --pool images "$lname.img" "$work/root.img"
cat >"$work/l.xml" <<XML
<domain type='lxc'>
  <name>$lname</name>
  <memory unit='MiB'>64</memory>
  <os><type>exe</type><init>/sbin/init</init></os>
  <features><privnet/></features>
  <devices>
    <filesystem type='file' accessmode='passthrough'>
      <driver type='loop' format='raw'/>
      <source file='/var/lib/libvirt/images/$lname.img'/>
      <target dir='/'/>
    </filesystem>
    <console type='pty'/>
  </devices>
</domain>
XML
check "define $lname on host 1" quiet vsh "$l1" define "$work/l.xml"
start_or_bail "$l1" "$lname" "$hosts_dir/h1/log/lxc/$lname.log" container
sleep 1
out=$(console_session "$l1" "$lname" 1 "echo $token > /root/moved; sync; cat /root/moved")
diag_console "$out"
check "file written in the container on host 1" grep -q "$token" <<<"$out"
t0=$(now_ms)
signal_shutdown() { timeout 10 virsh -q -c "$l1" shutdown --mode signal "$lname" >/dev/null 2>&1; }
if wait_secs 10 signal_shutdown && wait_secs 20 shut_off "$l1" "$lname"; then
  ok "container stopped on host 1 (shutdown --mode signal)"
  diag "shutdown: $(( $(now_ms) - t0 )) ms"
else
  diag "shutdown --mode signal did not stop it within 30 s ($(domstate "$l1" "$lname")): destroy"
  check "container stopped on host 1 (destroy)" quiet vsh "$l1" destroy "$lname"
fi
t0=$(now_ms)
vsh "$l1" dumpxml --inactive "$lname" >"$work/l-moved.xml"
moved=0
quiet vsh "$q1" vol-download --pool images "$lname.img" "$work/stream.img" &&
  quiet vsh "$q2" vol-create-as images "$lname.img" 64M --format raw &&
  quiet vsh "$q2" vol-upload --pool images "$lname.img" "$work/stream.img" &&
  quiet vsh "$l2" define "$work/l-moved.xml" && moved=1
check "root image streamed to host 2 (vol-download, vol-upload) and defined there" test $moved = 1
vsh "$l1" undefine "$lname" >/dev/null && vsh "$q1" vol-delete --pool images "$lname.img" >/dev/null
start_or_bail "$l2" "$lname" "$hosts_dir/h2/log/lxc/$lname.log" container
diag "offline container move (stopped to started on host 2): $(( $(now_ms) - t0 )) ms"
sleep 1
out=$(console_session "$l2" "$lname" 1 'cat /root/moved')
diag_console "$out"
check "its file is intact on host 2" grep -q "$token" <<<"$out"
check "the image is gone from host 1" test ! -e "$hosts_dir/h1/lib/images/$lname.img"

# ---- 3. one host fails alone -------------------------------------------------
host_kill 1
check "host 1's libvirtd killed: host 1 does not answer" eval '! host_answers 1'
check "host 2 still answers and lists its guests" grep -q "$qname" <(vsh "$q2" list --name)
check "host 2 still changes state (suspend, resume the QEMU guest)" \
  eval 'quiet vsh "$q2" suspend "$qname" && quiet vsh "$q2" resume "$qname"'
check "host 2's container still runs" test "$(domstate "$l2" "$lname")" = "running (booted)"
t0=$(now_ms)
if host_start 1; then
  ok "host 1 started again (answers)"
  diag "host 1 restart: $(( $(now_ms) - t0 )) ms"
else
  not_ok "host 1 started again"
fi
check "host 1 has its pool again and no guests" \
  eval 'vsh "$q1" pool-info images >/dev/null && [[ -z $(vsh "$q1" list --all --name) ]]'

remove_domains "$q2" "$qname"
remove_domains "$l2" "$lname"
tap_done
