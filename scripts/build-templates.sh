#!/usr/bin/env bash
# build-templates.sh: build the guest templates vmgr's real backends use.
#
# Usage (as root):
#   scripts/build-templates.sh [--force] [--only lxc|qemu] [OUTDIR]
#
#   OUTDIR       where to put the templates (default: $VMGR_TEMPLATE_DIR, or
#                /var/lib/vmgr/templates)
#   --force      rebuild templates that are already there
#   --only WHAT  build only the LXC (lxc) or only the QEMU (qemu) template
#
# Builds:
#   OUTDIR/busybox-lxc/   root file system for an LXC container
#                         (<filesystem type='mount'> with target '/'): static
#                         busybox with its applet links, /sbin/init (a shell
#                         script: mounts, hostname, network from
#                         /etc/vmgr-network or DHCP, a shell on the console,
#                         clean exit on SIGTERM), /etc/passwd with root.
#   OUTDIR/tiny-qemu/     vmlinuz (the machine's newest /boot/vmlinuz-*, or
#                         Debian's cloud kernel fetched with apt-get
#                         download) and initramfs.cpio.gz (static busybox;
#                         /init prints "vmgr-guest: booted" on the serial
#                         console and powers off on the ACPI power button).
# Each has a README. A template is built in a temporary directory next to
# its final place and renamed into place when complete, under a lock, so a
# half-built template is never used and concurrent runs do not collide.
# Existing templates are left alone unless --force.
#
# Environment read:
#   VMGR_TEMPLATE_DIR     default OUTDIR
#   VMGR_KERNEL           a kernel image to use instead of searching /boot
#   VMGR_KERNEL_PACKAGE   Debian package to fetch when there is no kernel
#                         (default: linux-image-cloud-amd64; its
#                         linux-image-<version> dependency is downloaded)
#   VMGR_BUSYBOX          static busybox binary (default /bin/busybox)
set -euo pipefail

log() { printf 'build-templates: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }
usage() {
  sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "${BASH_SOURCE[0]}" >&2
  exit 2
}
now_ms() { date +%s%3N; }

force=0
only=
outdir=
while [[ $# -gt 0 ]]; do
  case $1 in
    --force) force=1; shift ;;
    --only) only=${2:-}; [[ $only == lxc || $only == qemu ]] || usage; shift 2 ;;
    -h|--help) usage ;;
    -*) log "unknown option: $1"; usage ;;
    *) [[ -z $outdir ]] || usage; outdir=$1; shift ;;
  esac
done
outdir=${outdir:-${VMGR_TEMPLATE_DIR:-/var/lib/vmgr/templates}}
busybox=${VMGR_BUSYBOX:-/bin/busybox}

[[ $(id -u) -eq 0 ]] || die "must run as root (the templates' files must belong to root)"
[[ -x $busybox ]] || die "$busybox not found (package busybox-static; run scripts/install-deps.sh)"
if LC_ALL=C file -b "$busybox" 2>/dev/null | grep -q 'dynamically linked'; then
  die "$busybox is dynamically linked: the templates need busybox-static"
fi
command -v flock >/dev/null || die "flock not found (package util-linux)"

mkdir -p "$outdir"
outdir=$(readlink -f "$outdir")
exec 9>"$outdir/.build-templates.lock"
flock 9

tmpdirs=()
cleanup() {
  local d
  for d in "${tmpdirs[@]}"; do
    rm -rf -- "$d"
  done
}
trap cleanup EXIT

# Put busybox in ROOT with a symlink for each applet, except those in
# SKIP (space-separated paths relative to ROOT, e.g. "sbin/init").
install_busybox() { # ROOT SKIP
  local root=$1 skip=" $2 " path
  mkdir -p "$root/bin" "$root/sbin" "$root/usr/bin" "$root/usr/sbin"
  cp -- "$busybox" "$root/bin/busybox"
  chmod 755 "$root/bin/busybox"
  while IFS= read -r path; do
    [[ -n $path && $path != bin/busybox ]] || continue
    [[ $skip == *" $path "* ]] && continue
    mkdir -p "$root/$(dirname "$path")"
    ln -sf /bin/busybox "$root/$path"
  done < <("$busybox" --list-full)
}

# DHCP client script (busybox udhcpc calls it with deconfig/bound/renew).
write_udhcpc_script() { # ROOT
  mkdir -p "$1/usr/share/udhcpc"
  cat >"$1/usr/share/udhcpc/default.script" <<'EOF'
#!/bin/sh
# udhcpc event script of the vmgr busybox template
# (udhcpc sets interface, ip, mask, router, dns, domain in the environment)
# shellcheck disable=SC2154
case $1 in
  deconfig)
    ip -4 addr flush dev "$interface" 2>/dev/null
    ip link set "$interface" up
    ;;
  bound|renew)
    ip -4 addr flush dev "$interface"
    ip addr add "$ip/${mask:-24}" dev "$interface"
    if [ -n "$router" ]; then
      ip route del default 2>/dev/null
      for r in $router; do ip route add default via "$r" dev "$interface" && break; done
    fi
    if [ -n "$dns" ]; then
      : >/run/resolv.conf
      [ -n "$domain" ] && echo "search $domain" >>/run/resolv.conf
      for d in $dns; do echo "nameserver $d" >>/run/resolv.conf; done
    fi
    echo "vmgr-init: $interface $1 $ip/${mask:-24} router ${router:-none}" >/dev/console 2>/dev/null
    ;;
esac
exit 0
EOF
  chmod 755 "$1/usr/share/udhcpc/default.script"
}

# Move a finished template from its temporary directory into place.
publish() { # TMPDIR FINAL
  local tmp=$1 final=$2
  if [[ -e $final ]]; then
    rm -rf -- "$final.old"
    mv -T -- "$final" "$final.old"
  fi
  mv -T -- "$tmp" "$final"
  rm -rf -- "$final.old"
}

# ==========================================================================
# (a) busybox-lxc
# ==========================================================================
build_lxc() {
  local final=$outdir/busybox-lxc
  if [[ -e $final/sbin/init && $force -eq 0 ]]; then
    log "busybox-lxc: already present in $final (use --force to rebuild)"
    return 0
  fi
  local t0 tmp root
  t0=$(now_ms)
  tmp=$(mktemp -d "$outdir/.busybox-lxc.XXXXXX")
  tmpdirs+=("$tmp")
  root=$tmp
  chmod 755 "$root"

  install_busybox "$root" "sbin/init linuxrc"
  mkdir -p "$root"/{dev,etc,proc,sys,tmp,run,root,home,var/log,usr/share/udhcpc}
  ln -s ../run "$root/var/run"
  chmod 1777 "$root/tmp"
  chmod 700 "$root/root"

  cat >"$root/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
  cat >"$root/etc/group" <<'EOF'
root:x:0:
nogroup:x:65534:
EOF
  cat >"$root/etc/shadow" <<'EOF'
root:*:19000:0:99999:7:::
nobody:*:19000:0:99999:7:::
EOF
  chmod 600 "$root/etc/shadow"
  cat >"$root/etc/hosts" <<'EOF'
127.0.0.1	localhost
::1		localhost ip6-localhost ip6-loopback
EOF
  # resolv.conf lives in /run so that the root can be mounted read-only
  ln -s ../run/resolv.conf "$root/etc/resolv.conf"
  cat >"$root/etc/profile" <<'EOF'
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
export PS1='\h:\w\$ '
EOF
  printf 'busybox-lxc built %s by scripts/build-templates.sh (busybox %s)\n' \
    "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$("$busybox" 2>&1 | head -n 1 | awk '{print $2}')" \
    >"$root/etc/vmgr-template"

  # Console shell: getty -n -l runs it as "LOGIN -- " (no user name).
  cat >"$root/sbin/vmgr-console-shell" <<'EOF'
#!/bin/sh
exec /bin/sh -l
EOF

  write_udhcpc_script "$root"

  cat >"$root/sbin/init" <<'EOF'
#!/bin/sh
# /sbin/init of the vmgr busybox container template (busybox ash, PID 1).
#
# - mounts /proc, /sys, /dev/pts, /run and /tmp when libvirt has not
# - hostname from /etc/hostname
# - network from /etc/vmgr-network (KEY=VALUE lines: ADDRESS=a.b.c.d/len,
#   GATEWAY=a.b.c.d, NAMESERVERS="x y", optional INTERFACE=eth0), else DHCP
#   (udhcpc) when eth0 exists
# - a root shell on /dev/console (respawned), for the libvirt console
# - SIGTERM (libvirt's shutdown --mode signal), SIGUSR2 (poweroff) and
#   SIGUSR1 (halt): stop every process and exit 0; SIGINT (reboot) the same
#   with status 0 after printing "rebooting" (libvirt decides what follows)
# - otherwise waits, reaping orphans
PATH=/usr/sbin:/usr/bin:/sbin:/bin
export PATH
umask 022

say() { echo "vmgr-init: $*" >/dev/console 2>/dev/null || echo "vmgr-init: $*"; }
mounted() { grep -q " $1 " /proc/mounts 2>/dev/null; }

[ -e /proc/self/stat ] || mount -t proc proc /proc
[ -d /sys/class ] || mount -t sysfs -o ro sysfs /sys 2>/dev/null
[ -c /dev/null ] || mount -t devtmpfs devtmpfs /dev 2>/dev/null
if ! mounted /dev/pts; then
  mkdir -p /dev/pts 2>/dev/null
  mount -t devpts -o newinstance,ptmxmode=0666 devpts /dev/pts 2>/dev/null
fi
mounted /run || mount -t tmpfs -o mode=755,nosuid,nodev tmpfs /run
mounted /tmp || mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /tmp

if [ -s /etc/hostname ]; then
  hostname -F /etc/hostname 2>/dev/null || say "cannot set the hostname"
fi

ip link set lo up 2>/dev/null

net_static() {
  ADDRESS='' GATEWAY='' NAMESERVERS='' INTERFACE=eth0
  while IFS='=' read -r key value; do
    value=${value%\"}; value=${value#\"}; value=${value%\'}; value=${value#\'}
    case $key in
      ADDRESS) ADDRESS=$value ;;
      GATEWAY) GATEWAY=$value ;;
      NAMESERVERS) NAMESERVERS=$(echo "$value" | tr ',' ' ') ;;
      INTERFACE) INTERFACE=$value ;;
    esac
  done </etc/vmgr-network
  if [ "$ADDRESS" = dhcp ]; then
    net_dhcp "$INTERFACE"
    return
  fi
  ip link set "$INTERFACE" up || { say "no interface $INTERFACE"; return; }
  [ -n "$ADDRESS" ] && ip addr add "$ADDRESS" dev "$INTERFACE"
  [ -n "$GATEWAY" ] && ip route add default via "$GATEWAY" dev "$INTERFACE"
  : >/run/resolv.conf
  for ns in $NAMESERVERS; do echo "nameserver $ns" >>/run/resolv.conf; done
  say "$INTERFACE static ${ADDRESS:-no address} gateway ${GATEWAY:-none}"
}
net_dhcp() {
  ip link set "$1" up
  # in the background: it keeps renewing the lease
  udhcpc -i "$1" -f -S -t 5 -T 2 -A 3 -s /usr/share/udhcpc/default.script \
    -x hostname:"$(hostname)" >/dev/null 2>&1 </dev/null &
}
if [ -f /etc/vmgr-network ]; then
  net_static
elif [ -e /sys/class/net/eth0 ]; then
  net_dhcp eth0
fi

console_loop() {
  while :; do
    getty -n -l /sbin/vmgr-console-shell 0 console
    sleep 1
  done
}
console_loop </dev/null >/dev/null 2>&1 &

stopping=0
shutdown_now() { # WHAT
  [ "$stopping" = 1 ] && return
  stopping=1
  say "$1"
  # TERM for daemons, HUP for the console's interactive shell (it ignores TERM)
  kill -TERM -1 2>/dev/null
  kill -HUP -1 2>/dev/null
  # kill -0 -1 succeeds while any process but us is left (2 s at most)
  i=0
  while kill -0 -1 2>/dev/null && [ "$i" -lt 20 ]; do
    sleep 0.1
    i=$((i + 1))
  done
  kill -KILL -1 2>/dev/null
  sync
  exit 0
}
trap 'shutdown_now "shutting down (SIGTERM)"' TERM
trap 'shutdown_now "powering off (SIGUSR2)"' USR2
trap 'shutdown_now "halting (SIGUSR1)"' USR1
trap 'shutdown_now "rebooting (SIGINT)"' INT
trap '' HUP

say "booted $(hostname)"
echo "vmgr-container: booted" >/dev/console 2>/dev/null

while :; do
  sleep 86400 &
  wait
done
EOF
  chmod 755 "$root/sbin/init" "$root/sbin/vmgr-console-shell" "$root/usr/share/udhcpc/default.script"

  cat >"$root/README.vmgr" <<'EOF'
busybox-lxc: root file system template for vmgr's LXC backend
=============================================================

Built by scripts/build-templates.sh from Debian's busybox-static.

Use it as the container's root, either shared read-only or as a per-domain
copy (cp -a, about 2 MB):

  <os><type>exe</type><init>/sbin/init</init></os>
  <filesystem type='mount' accessmode='passthrough'>
    <source dir='/var/lib/vmgr/templates/busybox-lxc'/>
    <target dir='/'/>
    <readonly/>            <!-- when shared -->
  </filesystem>
  <console type='pty'/>

/sbin/init (busybox ash) mounts /proc, /sys, /dev/pts, /run, /tmp when
libvirt has not, sets the hostname from /etc/hostname, configures the
network, starts a root shell on /dev/console (respawned; "virsh console"),
prints "vmgr-container: booted" on the console and then waits.

Network: /etc/vmgr-network (written by vmgr into a per-domain copy), lines
  ADDRESS=192.168.122.50/24   (or ADDRESS=dhcp)
  GATEWAY=192.168.122.1
  NAMESERVERS="192.168.122.1 9.9.9.9"
  INTERFACE=eth0              (optional)
Without the file, udhcpc runs on eth0 if there is one. /etc/resolv.conf is
a link to /run/resolv.conf, so a read-only root works.

Shutdown: SIGTERM (virsh shutdown --mode signal, VIR_DOMAIN_SHUTDOWN_SIGNAL),
SIGUSR2 ("poweroff" inside), SIGUSR1 ("halt") or SIGINT: init stops every
process and exits 0. Default-mode shutdown (initctl) is not supported.
EOF

  publish "$tmp" "$final"
  log "busybox-lxc: built $final in $(( $(now_ms) - t0 )) ms ($(du -sh "$final" | cut -f1))"
}

# ==========================================================================
# (b) tiny-qemu
# ==========================================================================
# Modules the guest loads when they are not built in, in this order after
# their dependencies: ACPI power button and evdev (for acpid), virtio.
GUEST_MODULES=(button evdev virtio_pci virtio_net virtio_blk virtio_balloon virtio_console)

# Kernel source: sets kernel_image, kernel_version, kernel_modules_dir
# (may be empty), kernel_origin.
find_kernel() { # WORKDIR
  local work=$1 k pkg dep deb
  kernel_image='' kernel_version='' kernel_modules_dir='' kernel_origin=''
  if [[ -n ${VMGR_KERNEL:-} ]]; then
    [[ -r $VMGR_KERNEL ]] || die "VMGR_KERNEL=$VMGR_KERNEL is not readable"
    kernel_image=$VMGR_KERNEL
  else
    k=$(ls -1 /boot/vmlinuz-* 2>/dev/null | sort -V | tail -n 1 || true)
    [[ -n $k ]] && kernel_image=$k
  fi
  if [[ -n $kernel_image ]]; then
    kernel_version=${kernel_image##*/vmlinuz-}
    [[ $kernel_version == "$kernel_image" ]] && kernel_version=
    [[ -n $kernel_version && -d /lib/modules/$kernel_version ]] &&
      kernel_modules_dir=/lib/modules/$kernel_version
    kernel_origin="$kernel_image (this machine)"
    return 0
  fi

  # No kernel here: fetch Debian's cloud kernel (small, virtio built for
  # VMs) without installing it.
  pkg=${VMGR_KERNEL_PACKAGE:-linux-image-cloud-amd64}
  command -v apt-get >/dev/null || die "no kernel in /boot and no apt-get to fetch $pkg: set VMGR_KERNEL"
  dep=$(LC_ALL=C apt-cache depends "$pkg" 2>/dev/null |
    awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; exit }' || true)
  if [[ -z $dep ]]; then
    log "apt knows no $pkg: apt-get update"
    apt-get update -qq >&2 || die "apt-get update failed"
    dep=$(LC_ALL=C apt-cache depends "$pkg" 2>/dev/null |
      awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; exit }' || true)
  fi
  [[ -n $dep ]] || die "cannot resolve $pkg to a linux-image-<version> package (apt-cache depends $pkg)"
  mkdir -p "$work/deb" "$work/kernel"
  # apt's download sandbox user must be able to write there
  if id _apt >/dev/null 2>&1; then chown _apt "$work/deb"; fi
  log "downloading $dep (for $pkg)"
  (cd "$work/deb" && apt-get download -q "$dep" >&2) || die "apt-get download $dep failed"
  deb=$(ls -1 "$work/deb"/*.deb | head -n 1)
  dpkg-deb -x "$deb" "$work/kernel"
  kernel_image=$(ls -1 "$work/kernel"/boot/vmlinuz-* | head -n 1)
  kernel_version=${kernel_image##*/vmlinuz-}
  kernel_modules_dir=$work/kernel/lib/modules/$kernel_version
  [[ -d $kernel_modules_dir ]] || kernel_modules_dir=
  kernel_origin="$(basename "$deb") (Debian package $dep, via $pkg)"
}

# Copy module NAME (and its dependencies first) into DEST, uncompressed,
# appending its file name to DEST/load-order. Built-in modules are skipped.
add_module() { # NAME DEST
  local name=${1//-/_} dest=$2 f dep deps
  grep -qxF "$name" "$dest/.seen" 2>/dev/null && return 0
  echo "$name" >>"$dest/.seen"
  if [[ -f $kernel_modules_dir/modules.builtin ]] &&
     sed 's|.*/||; s|\.ko.*||; s|-|_|g' "$kernel_modules_dir/modules.builtin" | grep -qxF "$name"; then
    return 0
  fi
  f=$(find "$kernel_modules_dir/kernel" -type f \( -name "$name.ko*" -o -name "${name//_/-}.ko*" \) | head -n 1)
  if [[ -z $f ]]; then
    log "tiny-qemu: module $name not found in $kernel_modules_dir (built in?)"
    return 0
  fi
  case $f in
    *.ko) cp -- "$f" "$dest/$name.ko" ;;
    *.ko.xz) xz -dc -- "$f" >"$dest/$name.ko" ;;
    *.ko.zst) zstd -qdc -- "$f" >"$dest/$name.ko" ;;
    *.ko.gz) gzip -dc -- "$f" >"$dest/$name.ko" ;;
    *) log "tiny-qemu: cannot handle $f"; return 0 ;;
  esac
  deps=$("$busybox" strings "$dest/$name.ko" | sed -n 's/^depends=//p' | head -n 1 | tr ',' ' ')
  for dep in $deps; do
    add_module "$dep" "$dest"
  done
  echo "$name.ko" >>"$dest/load-order"
}

build_qemu() {
  local final=$outdir/tiny-qemu
  if [[ -e $final/vmlinuz && -e $final/initramfs.cpio.gz && $force -eq 0 ]]; then
    log "tiny-qemu: already present in $final (use --force to rebuild)"
    return 0
  fi
  local t0 tmp work root m
  t0=$(now_ms)
  tmp=$(mktemp -d "$outdir/.tiny-qemu.XXXXXX")
  tmpdirs+=("$tmp")
  chmod 755 "$tmp"
  work=$tmp/.work
  mkdir -p "$work"

  find_kernel "$work"
  log "tiny-qemu: kernel ${kernel_version:-?} from $kernel_origin ($(( $(now_ms) - t0 )) ms)"
  cp -- "$kernel_image" "$tmp/vmlinuz"
  chmod 644 "$tmp/vmlinuz"

  root=$work/initramfs
  install_busybox "$root" "sbin/init linuxrc"
  mkdir -p "$root"/{dev,etc/acpi/PWRF,proc,sys,tmp,run,root,lib/modules,usr/share/udhcpc}
  chmod 1777 "$root/tmp"
  mknod -m 600 "$root/dev/console" c 5 1
  mknod -m 666 "$root/dev/null" c 1 3
  cat >"$root/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
EOF
  echo 'root:x:0:' >"$root/etc/group"
  ln -s ../run/resolv.conf "$root/etc/resolv.conf"
  write_udhcpc_script "$root"

  if [[ -n $kernel_modules_dir ]]; then
    : >"$root/lib/modules/load-order"
    for m in "${GUEST_MODULES[@]}"; do
      add_module "$m" "$root/lib/modules"
    done
    rm -f "$root/lib/modules/.seen"
    log "tiny-qemu: modules: $(tr '\n' ' ' <"$root/lib/modules/load-order")"
  else
    log "tiny-qemu: no modules for kernel ${kernel_version:-?}: the guest relies on built-in drivers"
  fi

  # busybox acpid runs /etc/acpi/PWRF/00000080 for the power button
  cat >"$root/etc/acpi/PWRF/00000080" <<'EOF'
#!/bin/sh
echo "vmgr-guest: ACPI power button" >/dev/console
exec poweroff
EOF
  chmod 755 "$root/etc/acpi/PWRF/00000080"

  cat >"$root/init" <<'EOF'
#!/bin/sh
# /init of the vmgr tiny QEMU guest (busybox ash, PID 1, in the initramfs).
#
# Kernel command line (all optional):
#   vmgr.hostname=NAME
#   vmgr.address=A.B.C.D/LEN vmgr.gateway=A.B.C.D vmgr.nameservers=X,Y
#   (without vmgr.address: DHCP on eth0 when there is one)
#   vmgr.shell=0   no shell on the serial console
PATH=/usr/sbin:/usr/bin:/sbin:/bin
export PATH

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mkdir -p /dev/pts
mount -t devpts devpts /dev/pts
mount -t tmpfs -o mode=755 tmpfs /run
mount -t tmpfs -o mode=1777 tmpfs /tmp
exec </dev/console >/dev/console 2>&1

say() { echo "vmgr-guest: $*"; }
arg() { # NAME: value of vmgr.NAME= on the kernel command line
  for a in $(cat /proc/cmdline); do
    case $a in "vmgr.$1="*) echo "${a#*=}"; return ;; esac
  done
}

if [ -f /lib/modules/load-order ]; then
  while read -r m; do
    insmod "/lib/modules/$m" 2>/dev/null
  done </lib/modules/load-order
fi

h=$(arg hostname)
[ -n "$h" ] && hostname "$h"
ip link set lo up

addr=$(arg address)
if [ -n "$addr" ]; then
  ip link set eth0 up
  ip addr add "$addr" dev eth0
  gw=$(arg gateway)
  [ -n "$gw" ] && ip route add default via "$gw"
  : >/run/resolv.conf
  for ns in $(arg nameservers | tr ',' ' '); do echo "nameserver $ns" >>/run/resolv.conf; done
  say "eth0 static $addr gateway ${gw:-none}"
elif [ -e /sys/class/net/eth0 ]; then
  ip link set eth0 up
  udhcpc -i eth0 -f -S -t 5 -T 2 -A 3 -s /usr/share/udhcpc/default.script >/dev/null 2>&1 </dev/null &
fi

# ACPI power button: busybox acpid reads /dev/input/event* (needs the
# button and evdev drivers) and runs /etc/acpi/PWRF/00000080.
acpi=none
if ls /dev/input/event* >/dev/null 2>&1; then
  for n in /sys/class/input/input*/name; do
    grep -q 'Power Button' "$n" 2>/dev/null && acpi=acpid
  done
fi
if [ "$acpi" = acpid ]; then
  acpid -c /etc/acpi -l /run/acpid.log -p /run/acpid.pid && say "acpid listening for the power button"
else
  say "no ACPI power button input device: graceful shutdown unavailable"
fi

if [ "$(arg shell)" != 0 ]; then
  ( while :; do setsid -c sh -l </dev/ttyS0 >/dev/ttyS0 2>&1; sleep 1; done ) &
fi

stopping=0
shutdown_now() { # MESSAGE reboot|poweroff|halt
  [ "$stopping" = 1 ] && return
  stopping=1
  say "$1"
  kill -TERM -1 2>/dev/null
  i=0
  while kill -0 -1 2>/dev/null && [ "$i" -lt 20 ]; do
    sleep 0.1
    i=$((i + 1))
  done
  kill -KILL -1 2>/dev/null
  sync
  "$2" -f
}
trap 'shutdown_now "powering off" poweroff' USR2
trap 'shutdown_now "halting" halt' USR1
trap 'shutdown_now "rebooting" reboot' TERM
trap '' INT HUP

say "booted $(uname -r) $(hostname)"

while :; do
  sleep 86400 &
  wait
done
EOF
  chmod 755 "$root/init"

  (cd "$root" && find . -mindepth 1 | LC_ALL=C sort |
    "$busybox" cpio -o -H newc -R 0:0 2>/dev/null) | gzip -9n >"$tmp/initramfs.cpio.gz"
  chmod 644 "$tmp/initramfs.cpio.gz"
  [[ -n $kernel_modules_dir ]] && cp -- "$root/lib/modules/load-order" "$tmp/modules.txt"
  [[ -f $(dirname "$kernel_image")/config-$kernel_version ]] &&
    cp -- "$(dirname "$kernel_image")/config-$kernel_version" "$tmp/config"
  printf 'kernel %s from %s\nbuilt %s by scripts/build-templates.sh\n' \
    "${kernel_version:-?}" "$kernel_origin" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$tmp/VERSION"

  cat >"$tmp/README" <<'EOF'
tiny-qemu: a minimal QEMU guest for vmgr's QEMU backend
=======================================================

Built by scripts/build-templates.sh: vmlinuz (see VERSION for where it came
from), initramfs.cpio.gz (static busybox, /init below). Direct kernel boot;
no disk needed. Under TCG (<domain type='qemu'>) it boots in a few seconds.

  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>/path/tiny-qemu/vmlinuz</kernel>
    <initrd>/path/tiny-qemu/initramfs.cpio.gz</initrd>
    <cmdline>console=ttyS0 panic=-1</cmdline>
  </os>
  <features><acpi/></features>
  <serial type='pty'><log file='/var/log/libvirt/qemu/NAME-serial.log'/></serial>
  <console type='pty'/>

libvirt's DAC driver relabels the kernel and initrd while the guest runs:
give each domain its own copy (or <seclabel type='none'/> on them).

/init mounts the pseudo file systems, loads the modules listed in
modules.txt (ACPI button, evdev, virtio), sets the hostname and network
from the kernel command line (vmgr.hostname=, vmgr.address=A/LEN,
vmgr.gateway=, vmgr.nameservers=a,b; else DHCP on eth0 if present), starts
busybox acpid, prints

  vmgr-guest: booted <kernel version> <hostname>

on the serial console, starts a root shell there (vmgr.shell=0: none) and
waits.

Shutdown: the ACPI power button (virsh shutdown, the default mode under
QEMU) makes acpid run /etc/acpi/PWRF/00000080 -> poweroff -> init stops
everything and powers off; QEMU exits and libvirt reports "shutdown".
This needs the button and evdev drivers (modules here, loaded by /init) and
works under TCG: QEMU's PIIX4/ICH9 ACPI emulation raises the power button
event in the same way with or without KVM. "poweroff", "halt", "reboot"
typed on the console work too.
EOF
  rm -rf -- "$work"
  publish "$tmp" "$final"
  log "tiny-qemu: built $final in $(( $(now_ms) - t0 )) ms (vmlinuz $(du -h "$final/vmlinuz" | cut -f1), initramfs $(du -h "$final/initramfs.cpio.gz" | cut -f1))"
}

t_start=$(now_ms)
case $only in
  lxc) build_lxc ;;
  qemu) build_qemu ;;
  *) build_lxc; build_qemu ;;
esac
log "done in $(( $(now_ms) - t_start )) ms: $outdir"
