#!/usr/bin/env bash
# libvirtd.sh: run a command against a private, real libvirtd (with its
# virtlogd) serving lxc:///system and qemu:///system, all inside a private
# mount, PID and (by default) network namespace, so that nothing clashes
# with a libvirtd of the host and everything dies with the harness.
#
# Usage (as root):
#   tests/harness/libvirtd.sh [OPTIONS] -- CMD [ARGS...]
#
#   --host-net     stay in the host's network namespace (the 'default'
#                  network's bridge virbr0, its dnsmasq and firewall rules
#                  are then created on the host, and destroyed at exit; it
#                  clashes with a host libvirtd that runs that network)
#   --host-etc     use the host's /etc/libvirt as it is (domain and network
#                  definitions then persist on the host); by default a
#                  private copy is mounted over it
#   --host-cache   use the host's /var/cache/libvirt (QEMU capabilities
#                  cache: with it libvirtd is ready in about 0.4 s instead
#                  of 2 s here); by default a private one, empty unless
#                  VMGR_LIBVIRTD_CACHE_DIR names a directory to keep it in
#   --no-network   do not define or start the 'default' network
#   --keep-dir     do not remove the temporary directory at exit (debugging;
#                  it holds the daemons' logs and /var/log/libvirt)
#   --timeout S    how long to wait for the daemons (default 60 s)
#
# Composes with testbus.sh (the bus namespace outside, libvirtd inside it):
#   tests/harness/testbus.sh -- tests/harness/libvirtd.sh -- CMD
# libvirtd then inherits DBUS_SYSTEM_BUS_ADDRESS (it finds neither
# machined nor firewalld there and falls back to plain cgroups and
# iptables, as without any bus).
#
# What it does, inside the namespaces:
#   - cgroups: on the hybrid layout (cgroup v1 hierarchies plus a cgroup2
#     mount, here at /sys/fs/cgroup/unified) the cgroup2 mounts are
#     unmounted (libvirt's LXC driver fails on that mix); pure v1 and pure
#     v2 (/sys/fs/cgroup itself cgroup2) are left as they are.
#   - private tmpfs on /run/libvirt (= /var/run/libvirt), private
#     directories on /var/log/libvirt, /var/lib/libvirt (same directory
#     skeleton as the host's, empty), /var/cache/libvirt and a copy of
#     /etc/libvirt.
#   - network namespace: loopback up, sysfs remounted (so libvirt sees this
#     namespace's interfaces), the cgroup mounts moved along.
#   - virtlogd -d and libvirtd -d with pid files, logs (warnings and errors)
#     in the temporary directory; waits until lxc:///system and
#     qemu:///system answer.
#   - the 'default' NAT network: defined from
#     /usr/share/libvirt/networks/default.xml when missing, then started;
#     if that fails the reason is printed and the harness goes on without.
#   - at exit: running domains destroyed, active networks destroyed,
#     libvirtd and virtlogd stopped by their pid files, mounts undone,
#     the cgroup directories libvirt created for the 'machine' partition
#     removed when empty and not there before, temporary directory removed.
#
# Environment read:
#   VMGR_LIBVIRTD_TMPDIR  parent of the temporary directory (default /tmp)
#   VMGR_LIBVIRTD_CACHE_DIR  a directory (created if missing, kept) mounted
#                         as /var/cache/libvirt, so that QEMU capabilities
#                         are probed once, not per run (ignored with
#                         --host-cache)
#
# Environment given to CMD:
#   VMGR_LIBVIRTD_DIR       the temporary directory (libvirtd.log,
#                           virtlogd.log, log/ = /var/log/libvirt)
#   VMGR_LIBVIRTD_PIDFILE, VMGR_VIRTLOGD_PIDFILE   the daemons' pid files
#   VMGR_LIBVIRTD_LOG       libvirtd's log file
#   VMGR_LIBVIRT_LOG_DIR    /var/log/libvirt (private; qemu/NAME.log,
#                           lxc/NAME.log)
#   VMGR_LIBVIRT_LXC_URI    lxc:///system, or empty if the LXC driver did
#                           not answer (VMGR_LIBVIRT_LXC_ERROR says why)
#   VMGR_LIBVIRT_QEMU_URI   qemu:///system, or empty if the QEMU driver did
#                           not answer (VMGR_LIBVIRT_QEMU_ERROR says why)
#   VMGR_LIBVIRT_NETWORK    default, or none (VMGR_LIBVIRT_NETWORK_ERROR
#                           then says why)
#   VMGR_LIBVIRT_CGROUP     v1, v1-unified-hidden, or v2
#   VMGR_LIBVIRT_NETNS      private or host
#   VMGR_HOST_NETNS         with a private network namespace: a path to the
#                           host's (nsenter --net="$VMGR_HOST_NETNS" CMD
#                           runs CMD with the host's network, e.g. to
#                           download something); empty otherwise
#
# Exits with CMD's status. If CMD fails, the end of libvirtd's log is
# printed to stderr. Nothing is written to stdout except by CMD.
set -euo pipefail

readonly INNER_MARK=__vmgr_libvirtd_inner__
harness_name=libvirtd.sh
script=$(readlink -f "${BASH_SOURCE[0]}")
# shellcheck source=tests/harness/lib.sh
. "$(dirname "$script")/lib.sh"

# --------------------------------------------------------------------------
# Outer part: check, then run ourselves in new namespaces.
# --------------------------------------------------------------------------
if [[ ${1:-} != "$INNER_MARK" ]]; then
  check_options "--host-net --host-etc --host-cache --no-network --keep-dir" "--timeout" "$@"
  require_root "it mounts over libvirt's directories inside a private namespace and starts libvirtd"
  require_tools unshare mount umount findmnt virsh libvirtd virtlogd ip
  host_net=0
  for a in "$@"; do
    [[ $a == -- ]] && break
    [[ $a == --host-net ]] && host_net=1
  done

  ns_flags=(--mount --propagation private --pid --fork --mount-proc)
  [[ $host_net -eq 1 ]] || ns_flags+=(--net)
  # A handle on the host's network namespace for CMD (VMGR_HOST_NETNS):
  # e.g. to fetch a kernel with apt-get from inside the harness.
  if [[ $host_net -eq 0 ]]; then
    exec {hostnet_fd}</proc/self/ns/net
    export VMGR_LIBVIRTD_HOSTNET_FD=$hostnet_fd
  fi

  run_unshared "$script" "$INNER_MARK" "${ns_flags[@]}" -- "$@"
fi

# --------------------------------------------------------------------------
# Inner part: PID 1 of a new PID namespace, private mount namespace.
# --------------------------------------------------------------------------
shift # INNER_MARK
host_net=0
host_etc=0
host_cache=0
want_network=1
keep_dir=0
timeout=60
while [[ $# -gt 0 ]]; do
  case $1 in
    --host-net) host_net=1; shift ;;
    --host-etc) host_etc=1; shift ;;
    --host-cache) host_cache=1; shift ;;
    --no-network) want_network=0; shift ;;
    --keep-dir) keep_dir=1; shift ;;
    --timeout) timeout=${2:?--timeout needs a value}; shift 2 ;;
    --) shift; break ;;
    *) die "unknown option: $1" ;;
  esac
done
[[ $# -gt 0 ]] || die "no command given after --"
[[ $timeout =~ ^[0-9]+$ ]] || die "--timeout wants whole seconds, not '$timeout'"

tmp=$(mktemp -d "${VMGR_LIBVIRTD_TMPDIR:-/tmp}/vmgr-libvirtd.XXXXXX")
chmod 755 "$tmp"

libvirtd_pidfile=$tmp/libvirtd.pid
virtlogd_pidfile=$tmp/virtlogd.pid
libvirtd_log=$tmp/libvirtd.log
virtlogd_log=$tmp/virtlogd.log
netns=
created_dirs=()   # empty directories created on the host (mount points)
cgroup_new_dirs=() # cgroup 'machine' partition directories not there before

ensure_dir() { # DIR: create a mount point, remembering it if it is new
  local d=$1 top=$1
  [[ -d $d ]] && return 0
  # remember the topmost directory that does not exist yet
  while [[ ! -d $(dirname "$top") ]]; do top=$(dirname "$top"); done
  mkdir -p "$d"
  created_dirs+=("$top")
}

pid_of() { # PIDFILE -> pid on stdout, if the process is alive
  local pid
  [[ -s $1 ]] || return 1
  # (libvirt writes the pid without a trailing newline)
  read -r pid <"$1" || [[ -n $pid ]] || return 1
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  alive "$pid" || return 1
  printf '%s\n' "$pid"
}

others_alive() { # any process in our PID namespace but us (PID 1)?
  local p
  for p in /proc/[0-9]*; do
    p=${p#/proc/}
    [[ $p == 1 || $p == "$BASHPID" ]] && continue
    alive "$p" && return 0
  done
  return 1
}

virsh_q() { # URI ARGS...: virsh, bounded, quiet
  local uri=$1
  shift
  timeout 30 virsh -q -c "$uri" "$@"
}

# --host-net only: libvirt's network driver adds its top-level chains
# (LIBVIRT_INP, _OUT, _FWX, _FWI, _FWO, _PRT) to the host's firewall and
# never removes them. Remember whether they were there, and if not remove
# them (and nf_tables tables that iptables-nft created and that are empty
# again) at exit.
fw_had_libvirt=
fw_tables_before=
fw_snapshot() {
  command -v iptables >/dev/null || return 0
  iptables -w -n -L LIBVIRT_INP >/dev/null 2>&1 && fw_had_libvirt=yes
  if command -v nft >/dev/null; then
    fw_tables_before=$(nft list tables 2>/dev/null || true)
  fi
  return 0
}
fw_cleanup() {
  local cmd spec t parent chain tbl
  [[ -z $fw_had_libvirt ]] || return 0
  for cmd in iptables ip6tables; do
    command -v "$cmd" >/dev/null || continue
    for spec in "filter INPUT LIBVIRT_INP" "filter OUTPUT LIBVIRT_OUT" \
        "filter FORWARD LIBVIRT_FWX" "filter FORWARD LIBVIRT_FWI" \
        "filter FORWARD LIBVIRT_FWO" "nat POSTROUTING LIBVIRT_PRT" \
        "mangle POSTROUTING LIBVIRT_PRT"; do
      read -r t parent chain <<<"$spec"
      "$cmd" -w -t "$t" -D "$parent" -j "$chain" 2>/dev/null
      "$cmd" -w -t "$t" -F "$chain" 2>/dev/null
      "$cmd" -w -t "$t" -X "$chain" 2>/dev/null
    done
  done
  command -v nft >/dev/null || return 0
  while read -r tbl; do
    [[ -n $tbl ]] || continue
    grep -qxF "$tbl" <<<"$fw_tables_before" && continue
    # a table without rules: only "table", "chain", "type ..." lines and
    # braces ($tbl is "table FAMILY NAME": split on purpose)
    # shellcheck disable=SC2086
    if ! nft -a list $tbl 2>/dev/null | grep -Ev '^[[:space:]]*(table|chain|type|\}|$)' | grep -q .; then
      nft delete $tbl 2>/dev/null
    fi
  done < <(nft list tables 2>/dev/null)
  return 0
}

cleanup() {
  local rc=$?
  cleanup_start 10
  local pid uri name i d
  if pid=$(pid_of "$libvirtd_pidfile"); then
    # Domains and networks whose state lives in our private /run/libvirt
    # would be orphaned: destroy them through libvirt so that their
    # cgroups, veths, bridges and firewall rules go away too.
    for uri in lxc:///system qemu:///system; do
      for name in $(virsh_q "$uri" list --name 2>/dev/null); do
        virsh_q "$uri" destroy "$name" >/dev/null 2>&1 ||
          log "could not destroy $uri domain $name"
      done
    done
    for name in $(virsh_q qemu:///system net-list --name 2>/dev/null); do
      virsh_q qemu:///system net-destroy "$name" >/dev/null 2>&1 ||
        log "could not destroy network $name"
    done
    stop_pid "$pid" 15
  fi
  [[ $netns == host ]] && fw_cleanup
  if pid=$(pid_of "$virtlogd_pidfile"); then
    stop_pid "$pid" 5
  fi
  # Whatever is left in our PID namespace (a libvirtd that had not written
  # its pid file yet, dnsmasq, stray children of CMD) goes now, before the
  # mounts are undone: as PID 1, kill -1 reaches all of them but us.
  if [[ $$ -eq 1 ]]; then
    kill -KILL -1 2>/dev/null
    for ((i = 0; i < 50; i++)); do
      others_alive || break
      sleep 0.1
    done
  fi
  if [[ $rc -ne 0 && -s $libvirtd_log ]]; then
    printf '\n----- libvirtd.sh: end of libvirtd.log -----\n' >&2
    tail -n 40 "$libvirtd_log" >&2
    printf -- '----- libvirtd.sh: end of log -----\n' >&2
  fi
  undo_mounts
  for ((i = ${#created_dirs[@]} - 1; i >= 0; i--)); do
    rmdir -- "${created_dirs[i]}" 2>/dev/null
  done
  # cgroup directories are shared with the host: remove the partition
  # directories libvirt created for us (rmdir only succeeds when empty).
  for d in "${cgroup_new_dirs[@]}"; do
    [[ -d $d ]] && rmdir -- "$d" 2>/dev/null
  done
  cleanup_finish "$rc"
}
trap_exit cleanup

# ---- network namespace ----------------------------------------------------
if [[ $host_net -eq 0 ]]; then
  netns=private
  ip link set lo up
  # sysfs shows the network namespace of the task that mounted it: mount a
  # new one (libvirt reads /sys/class/net/*) and carry the cgroup mounts
  # (and whatever else is mounted below /sys) over to it.
  mkdir "$tmp/sys"
  mount -t sysfs sysfs "$tmp/sys"
  bound=
  while read -r sub; do
    # top-most submounts only; --rbind brings their own submounts along
    [[ -n $bound && $sub == "$bound"/* ]] && continue
    [[ -d $tmp/sys${sub#/sys} ]] || continue
    mount --rbind "$sub" "$tmp/sys${sub#/sys}" || die "cannot carry $sub over to the new sysfs"
    bound=$sub
  done < <(findmnt -rn -o TARGET | grep '^/sys/' | sort)
  # detach the old /sys (and its submounts) so only the new tree is left
  umount -l /sys
  mount --move "$tmp/sys" /sys
  host_netns=
  if [[ $$ -eq 1 && -n ${VMGR_LIBVIRTD_HOSTNET_FD:-} && -e /proc/1/fd/$VMGR_LIBVIRTD_HOSTNET_FD ]]; then
    host_netns=/proc/1/fd/$VMGR_LIBVIRTD_HOSTNET_FD
  fi
else
  netns=host
  host_netns=
  fw_snapshot
fi
hostnet_fd=${VMGR_LIBVIRTD_HOSTNET_FD:-}
unset VMGR_LIBVIRTD_HOSTNET_FD
# run a command without the host network namespace handle (only PID 1 keeps it)
nofd() {
  if [[ $hostnet_fd =~ ^[0-9]+$ ]]; then "$@" {hostnet_fd}<&-; else "$@"; fi
}

# ---- cgroups --------------------------------------------------------------
cgroup_root_type=$(stat -fc %T /sys/fs/cgroup 2>/dev/null || echo none)
v1_mounts=$(findmnt -rn -t cgroup -o TARGET | sort -u || true)
v2_mounts=$(findmnt -rn -t cgroup2 -o TARGET | sort -u || true)
if [[ $cgroup_root_type == cgroup2fs ]]; then
  # Pure cgroup v2 (systemd's "unified" layout): libvirt supports it; it
  # enables the controllers it needs in the parents' cgroup.subtree_control.
  cgroup_layout=v2
  for d in /sys/fs/cgroup/machine /sys/fs/cgroup/machine.slice; do
    [[ -e $d ]] || cgroup_new_dirs+=("$d")
  done
elif [[ -n $v1_mounts ]]; then
  if [[ -n $v2_mounts ]]; then
    # Hybrid: v1 controllers plus a cgroup2 (usually /sys/fs/cgroup/unified,
    # no controllers). libvirt's LXC driver fails on that mix: hide it.
    while read -r m; do
      [[ -n $m ]] || continue
      umount "$m" || die "cannot unmount the cgroup2 mount $m"
      log "hid the cgroup2 mount $m (hybrid cgroup layout)"
    done <<<"$v2_mounts"
    cgroup_layout=v1-unified-hidden
  else
    cgroup_layout=v1
  fi
  while read -r m; do
    [[ -n $m ]] || continue
    [[ -e $m/machine ]] || cgroup_new_dirs+=("$m/machine")
  done <<<"$v1_mounts"
else
  die "no cgroup file system is mounted below /sys/fs/cgroup (libvirt's LXC and QEMU drivers need cgroups)"
fi
# libvirt's LXC driver refuses to start a container without the memory,
# cpu and cpuacct (v1) controllers; say so now rather than at the first start.
missing_ctrl=()
for c in memory cpu cpuacct; do
  if [[ $cgroup_layout == v2 ]]; then
    [[ $c == cpuacct ]] && continue
    grep -qw "$c" /sys/fs/cgroup/cgroup.controllers 2>/dev/null || missing_ctrl+=("$c")
  else
    findmnt -rn -t cgroup -o OPTIONS | tr ',' '\n' | grep -qx "$c" || missing_ctrl+=("$c")
  fi
done
if [[ ${#missing_ctrl[@]} -gt 0 ]]; then
  log "warning: cgroup controllers missing ($cgroup_layout): ${missing_ctrl[*]}; LXC domains will fail to start (\"Unable to find '${missing_ctrl[0]}' cgroups controller mount\")"
fi

# ---- private libvirt directories ------------------------------------------
copy_skeleton() { # SRC DST: the directory tree of SRC (owners, modes), no files
  local src=$1 dst=$2 d
  mkdir -p "$dst"
  [[ -d $src ]] || return 0
  chown --reference="$src" "$dst"
  chmod --reference="$src" "$dst"
  while IFS= read -r -d '' d; do
    mkdir -p "$dst/$d"
    chown --reference="$src/$d" "$dst/$d"
    chmod --reference="$src/$d" "$dst/$d"
  done < <(cd "$src" && find . -mindepth 1 -type d -printf '%P\0')
}

ensure_dir /run/libvirt
mount_on -t tmpfs -o mode=755 tmpfs-libvirt /run/libvirt
if [[ $(readlink -f /var/run) != /run ]]; then
  ensure_dir /var/run/libvirt
  mount_on --bind /run/libvirt /var/run/libvirt
fi

copy_skeleton /var/log/libvirt "$tmp/log"
mkdir -p "$tmp/log/lxc" "$tmp/log/qemu"
ensure_dir /var/log/libvirt
mount_on --bind "$tmp/log" /var/log/libvirt

copy_skeleton /var/lib/libvirt "$tmp/lib"
mkdir -p "$tmp/lib/lxc"
ensure_dir /var/lib/libvirt
mount_on --bind "$tmp/lib" /var/lib/libvirt

if [[ $host_cache -eq 0 ]]; then
  cache=${VMGR_LIBVIRTD_CACHE_DIR:-$tmp/cache}
  if [[ ! -d $cache/qemu ]]; then
    copy_skeleton /var/cache/libvirt "$cache"
  fi
  ensure_dir /var/cache/libvirt
  mount_on --bind "$cache" /var/cache/libvirt
fi

if [[ $host_etc -eq 0 ]]; then
  [[ -d /etc/libvirt ]] || die "/etc/libvirt does not exist (is libvirt-daemon-system installed?)"
  cp -a /etc/libvirt "$tmp/etc"
  mount_on --bind "$tmp/etc" /etc/libvirt
fi

# ---- daemons --------------------------------------------------------------
wait_for() { # SECONDS DESCRIPTION CMD...: poll CMD every 0.1 s
  local secs=$1 what=$2 i
  shift 2
  for ((i = 0; i < secs * 10; i++)); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  log "timed out after ${secs} s waiting for $what"
  return 1
}

start_ms=$(date +%s%3N)
LIBVIRT_LOG_OUTPUTS="3:file:$virtlogd_log" \
  nofd virtlogd -d -p "$virtlogd_pidfile" </dev/null >>"$virtlogd_log" 2>&1 ||
  die "virtlogd failed to start: $(tail -n 5 "$virtlogd_log")"
wait_for "$timeout" "virtlogd's socket" test -S /run/libvirt/virtlogd-sock ||
  die "virtlogd did not create /run/libvirt/virtlogd-sock: $(tail -n 5 "$virtlogd_log")"

LIBVIRT_LOG_OUTPUTS="3:file:$libvirtd_log" \
  nofd libvirtd -d -p "$libvirtd_pidfile" </dev/null >>"$libvirtd_log" 2>&1 ||
  die "libvirtd failed to start: $(tail -n 20 "$libvirtd_log")"

libvirtd_answers() { # URI
  timeout 10 virsh -q -c "$1" version >/dev/null 2>&1
}
# libvirtd writes its pid file before it listens: wait for an answer from
# either driver, checking that the daemon is still there.
i=0
until libvirtd_answers lxc:///system || libvirtd_answers qemu:///system; do
  pid=
  [[ -s $libvirtd_pidfile ]] && { read -r pid <"$libvirtd_pidfile" || true; }
  if [[ $pid =~ ^[0-9]+$ ]] && ! alive "$pid"; then
    die "libvirtd exited during startup: $(tail -n 20 "$libvirtd_log")"
  fi
  if ((++i > timeout * 10)); then
    die "libvirtd did not answer within ${timeout} s: $(tail -n 20 "$libvirtd_log")"
  fi
  sleep 0.1
done

probe_driver() { # VAR URI NAME PACKAGE_HINT: VAR_uri=URI if it answers, else VAR_error says why
  local uri=$2 error='' out
  if ! out=$(timeout "$timeout" virsh -q -c "$uri" version 2>&1); then
    error=$(printf '%s' "$out" | tr '\n' ' ')
    [[ $error == *"no connection driver available"* ]] && error+="($4)"
    log "$3 driver not available: $error"
    uri=
  fi
  printf -v "$1_uri" '%s' "$uri"
  printf -v "$1_error" '%s' "$error"
}
probe_driver lxc lxc:///system LXC \
  "is libvirt-daemon-driver-lxc installed? it is only a Recommends of libvirt-daemon"
probe_driver qemu qemu:///system QEMU "is libvirt-daemon-driver-qemu installed?"
ready_ms=$(date +%s%3N)
log "libvirtd ready in $((ready_ms - start_ms)) ms (cgroups: $cgroup_layout, network namespace: $netns)"

# ---- the 'default' network ------------------------------------------------
# The network driver is shared by all URIs of this libvirtd.
net_uri=${qemu_uri:-${lxc_uri:-qemu:///system}}
network=none
network_error=
have_exec() { # NAME: an executable NAME on PATH
  local p
  p=$(command -v "$1" 2>/dev/null) && [[ -f $p && -x $p ]]
}
explain_network_failure() { # ERROR-TEXT: add what is missing here
  local why=$1 missing=()
  have_exec dnsmasq || missing+=("dnsmasq not installed (package dnsmasq-base)")
  have_exec iptables || missing+=("iptables not installed (package iptables)")
  if ! ip link add vmgr-brtest type bridge 2>/dev/null; then
    missing+=("the kernel refuses to create a bridge (no bridge support?)")
  else
    ip link del vmgr-brtest 2>/dev/null || true
  fi
  if have_exec iptables && ! iptables -w -t nat -L -n >/dev/null 2>&1; then
    missing+=("iptables cannot use the nat table: $(iptables -w -t nat -L -n 2>&1 | head -n 1)")
  fi
  if [[ ${#missing[@]} -gt 0 ]]; then
    why+=" [$(IFS=';'; printf '%s' "${missing[*]}")]"
  fi
  printf '%s' "$why"
}
if [[ $want_network -eq 0 ]]; then
  network_error="disabled with --no-network"
else
  if ! virsh_q "$net_uri" net-info default >/dev/null 2>&1; then
    if [[ -f /usr/share/libvirt/networks/default.xml ]]; then
      if ! out=$(virsh_q "$net_uri" net-define /usr/share/libvirt/networks/default.xml 2>&1); then
        network_error="net-define default failed: $(printf '%s' "$out" | tr '\n' ' ')"
      fi
    else
      network_error="no network 'default' and no /usr/share/libvirt/networks/default.xml (package libvirt-daemon-config-network)"
    fi
  fi
  if [[ -z $network_error ]]; then
    if virsh_q "$net_uri" net-info default 2>/dev/null | grep -Eq '^Active:[[:space:]]+yes'; then
      network=default
    elif out=$(virsh_q "$net_uri" net-start default 2>&1); then
      network=default
    else
      network_error=$(explain_network_failure "net-start default failed: $(printf '%s' "$out" | tr '\n' ' ')")
    fi
  fi
  if [[ $network == default ]]; then
    bridge=$(virsh_q "$net_uri" net-info default 2>/dev/null | awk '$1 == "Bridge:" { print $2 }')
    log "network 'default' active (bridge ${bridge:-?})"
  else
    log "continuing without the 'default' network: $network_error"
  fi
fi

export VMGR_LIBVIRTD_DIR=$tmp
export VMGR_LIBVIRTD_PIDFILE=$libvirtd_pidfile
export VMGR_VIRTLOGD_PIDFILE=$virtlogd_pidfile
export VMGR_LIBVIRTD_LOG=$libvirtd_log
export VMGR_LIBVIRT_LOG_DIR=/var/log/libvirt
# (lxc_* and qemu_* are set by probe_driver)
# shellcheck disable=SC2154
export VMGR_LIBVIRT_LXC_URI=$lxc_uri VMGR_LIBVIRT_LXC_ERROR=$lxc_error
# shellcheck disable=SC2154
export VMGR_LIBVIRT_QEMU_URI=$qemu_uri VMGR_LIBVIRT_QEMU_ERROR=$qemu_error
export VMGR_LIBVIRT_NETWORK=$network
export VMGR_LIBVIRT_NETWORK_ERROR=$network_error
export VMGR_LIBVIRT_CGROUP=$cgroup_layout
export VMGR_LIBVIRT_NETNS=$netns
export VMGR_HOST_NETNS=$host_netns

# ---- the command -----------------------------------------------------------
cmd_wrapper=(nofd)
run_command "$@"
