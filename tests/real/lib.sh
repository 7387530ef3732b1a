# shellcheck shell=bash
# Shared helpers of the tests/real smoke tests (sourced, bash).
#
# They run inside tests/harness/libvirtd.sh, which exports
# VMGR_LIBVIRT_{LXC,QEMU}_URI, VMGR_LIBVIRT_NETWORK, VMGR_LIBVIRT_CGROUP,
# VMGR_LIBVIRTD_DIR. Output is TAP; diagnostics go to stdout as "# ..."
# lines (meson shows them with --verbose and in the test log).

real_src_root=${VMGR_SOURCE_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
real_build_root=${VMGR_BUILD_ROOT:-$real_src_root/build}
template_dir=${VMGR_TEMPLATE_DIR:-$real_build_root/templates}

tap_n=0
tap_failed=0
ok() { # DESCRIPTION
  tap_n=$((tap_n + 1))
  printf 'ok %d - %s\n' "$tap_n" "$*"
}
not_ok() { # DESCRIPTION
  tap_n=$((tap_n + 1))
  tap_failed=$((tap_failed + 1))
  printf 'not ok %d - %s\n' "$tap_n" "$*"
}
check() { # DESCRIPTION CMD...: ok if CMD succeeds
  local d=$1
  shift
  if "$@"; then ok "$d"; else not_ok "$d"; fi
}
quiet() { "$@" >/dev/null; } # CMD...: without its stdout
diag() { printf '# %s\n' "$*"; }
diag_file() { # FILE [LINES]: the end of FILE as diagnostics
  [[ -f $1 ]] || { diag "($1 does not exist)"; return 0; }
  tail -n "${2:-20}" "$1" | tr -d '\r' | sed 's/^/#   /'
}
bail() { # REASON: stop here (TAP "Bail out!"), failing the test
  printf 'Bail out! %s\n' "$*"
  exit 1
}
tap_done() {
  printf '1..%d\n' "$tap_n"
  [[ $tap_failed -eq 0 ]]
}
now_ms() { date +%s%3N; }

# wait_until SECONDS CMD...: poll CMD every 0.1 s; status of the last try
# (for quick CMDs: SECONDS counts tries, not the time CMD takes; see
# wait_secs)
wait_until() {
  local secs=$1 i
  shift
  for ((i = 0; i < secs * 10; i++)); do
    "$@" && return 0
    sleep 0.1
  done
  "$@"
}

# Build the templates if they are missing (idempotent, locked). In the
# harness's private network namespace there is no network: the build (it
# may fetch a kernel with apt-get) runs in the host's, which the harness
# hands over as VMGR_HOST_NETNS.
ensure_templates() {
  local t0 out run=()
  t0=$(now_ms)
  [[ -n ${VMGR_HOST_NETNS:-} ]] && run=(nsenter --net="$VMGR_HOST_NETNS" --)
  if ! out=$("${run[@]}" "$real_src_root/scripts/build-templates.sh" "$template_dir" 2>&1); then
    printf '%s\n' "$out" | sed 's/^/# /'
    bail "scripts/build-templates.sh $template_dir failed"
  fi
  printf '%s\n' "$out" | sed 's/^/# /'
  diag "templates ready in $(( $(now_ms) - t0 )) ms: $template_dir"
}

# A unique domain name: cgroup directories (machine/lxc-PID-NAME...) are
# shared with the host and other harness instances, and PIDs of separate
# PID namespaces repeat.
unique_name() { # PREFIX
  printf '%s-%s\n' "$1" "$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')"
}

# virsh, bounded, without the polkit-agent notice (no agent on a private bus)
vsh() { # URI ARGS...
  local uri=$1
  shift
  timeout 60 virsh -q -c "$uri" "$@" 2> >(grep -v '^Authorization not available' >&2)
}

domstate() { # URI NAME
  vsh "$1" domstate --reason "$2" 2>/dev/null
}

# Type LINES on the console of domain NAME (through virsh console under
# script(1), which gives it the terminal it insists on) and print what the
# console showed during SECONDS. \r are removed.
console_session() { # URI NAME SECONDS LINE...
  local uri=$1 name=$2 secs=$3
  shift 3
  {
    sleep 1
    local l
    for l in "$@"; do
      printf '%s\r' "$l"
      sleep 0.3
    done
    sleep "$secs"
  } | timeout "$((secs + 2 + $#))" script -qfc "virsh -c '$uri' console '$name'" /dev/null 2>&1 |
    tr -d '\r' | grep -v -e '^Authorization not available' -e '^Session terminated'
  return 0
}

# The cgroup directories of a domain (one per v1 hierarchy, or one for v2).
cgroup_dirs() { # PATTERN (e.g. 'lxc-*-NAME.libvirt-lxc')
  find /sys/fs/cgroup -maxdepth 4 -type d -name "$1" 2>/dev/null | sort
}
cgroup_file() { # PATTERN FILE: the first matching cgroup file
  local d
  for d in $(cgroup_dirs "$1"); do
    [[ -f $d/$2 ]] && { printf '%s\n' "$d/$2"; return 0; }
  done
  return 1
}

# ---- what both smoke tests do --------------------------------------------

# use_driver LXC|QEMU: sets uri (the harness's URI of that driver; bails
# without one) and network (default or none), and says so.
use_driver() {
  local uri_var=VMGR_LIBVIRT_$1_URI error_var=VMGR_LIBVIRT_$1_ERROR
  uri=${!uri_var-${1,,}:///system}
  [[ -n $uri ]] || bail "no $1 driver: ${!error_var:-run me under tests/harness/libvirtd.sh}"
  network=${VMGR_LIBVIRT_NETWORK:-none}
  diag "uri $uri, network $network (${VMGR_LIBVIRT_NETWORK_ERROR:-ok}), cgroups ${VMGR_LIBVIRT_CGROUP:-?}"
}

# default_iface [DEVICE_XML]: an <interface> on the 'default' network
# (with DEVICE_XML inside, e.g. a <model/>) when the harness has it.
default_iface() {
  [[ $network == default ]] || return 0
  printf "<interface type='network'><source network='default'/>%s</interface>" "${1:-}"
}

# remove_domains URI NAME...: destroyed and undefined (with their NVRAM)
remove_domains() {
  local uri=$1 n
  shift
  for n in "$@"; do
    virsh -q -c "$uri" destroy "$n" >/dev/null 2>&1
    virsh -q -c "$uri" undefine --nvram "$n" >/dev/null 2>&1 ||
      virsh -q -c "$uri" undefine "$n" >/dev/null 2>&1
  done
}

# start_or_bail URI NAME LOG WHAT: "ok start NAME", or "not ok", the end
# of LOG and bail out. Sets started_ms.
start_or_bail() {
  started_ms=$(now_ms)
  if vsh "$1" start "$2" >/dev/null; then
    ok "start $2"
    diag "$4 start (virsh start returned): $(( $(now_ms) - started_ms )) ms"
  else
    not_ok "start $2"
    diag_file "$3" 30
    bail "$4 did not start"
  fi
}

shut_off() { [[ $(domstate "$1" "$2") == shut* ]]; } # URI NAME

# diag_cgroups PATTERN FILE...: the domain's cgroup directories, and the
# FILEs found there with their values.
diag_cgroups() {
  local pattern=$1 d f p
  shift
  diag "cgroup directories:"
  for d in $(cgroup_dirs "$pattern"); do diag "  $d"; done
  for f in "$@"; do
    p=$(cgroup_file "$pattern" "$f") && diag "$p = $(cat "$p")"
  done
}

# check_cgroups_gone PATTERN
check_cgroups_gone() {
  local pattern=$1
  gone() { [[ -z $(cgroup_dirs "$pattern") ]]; }
  check "its cgroup directories are gone" wait_until 5 gone
}

# check_console_runs URI NAME SECONDS FIRST_LINES... -- EXPECTED: types
# the lines and 'echo vmgr-console-$((6*7)) $(hostname)' on the console,
# shows what came back, checks that it has EXPECTED. The output is left
# in console_out.
check_console_runs() {
  local uri=$1 name=$2 secs=$3 lines=()
  shift 3
  while [[ $1 != -- ]]; do lines+=("$1"); shift; done
  # shellcheck disable=SC2016 # for the guest's shell
  console_out=$(console_session "$uri" "$name" "$secs" "${lines[@]}" 'echo vmgr-console-$((6*7)) $(hostname)')
  diag_console "$console_out"
  check "console runs commands (vmgr-console-42)" grep -q "$2" <<<"$console_out"
}

diag_console() { printf '%s\n' "$1" | sed 's/^/#   console| /'; } # TEXT

# check_dhcp_lease URI NAME SECONDS: ok when NAME has a lease from the
# 'default' network within SECONDS (nothing without that network).
check_dhcp_lease() {
  local uri=$1 name=$2 t0
  if [[ $network != default ]]; then
    diag "skipping DHCP: no default network ($network)"
    return 0
  fi
  t0=$(now_ms)
  leased() { vsh "$uri" domifaddr "$name" --source lease 2>/dev/null | grep -q ipv4; }
  if wait_until "$3" leased; then
    ok "DHCP lease on the default network"
    diag "DHCP lease after $(( $(now_ms) - t0 )) ms more: $(vsh "$uri" domifaddr "$name" --source lease | awk '{print $4}' | tr '\n' ' ')"
  else
    not_ok "DHCP lease on the default network"
    return 1
  fi
}

# ---- several hosts (issue 14) ----------------------------------------------
# Inside the harness (tests/harness/libvirtd.sh, whose own libvirtd is left
# alone), hosts_start N starts N more libvirtd instances, "hosts", each
# with its own network and mount namespace: its own /run/libvirt (tmpfs),
# /var/lib/libvirt, /var/log/libvirt, /var/cache/libvirt and /etc/libvirt
# (a copy with a test-only TCP listener: listen_tcp=1, auth_tcp="none",
# listen_addr=its address; libvirtd --listen; qemu.conf migration_host=its
# address). Host I has the address 10.77.0.I on a veth pair whose other end
# is on the bridge vmgrhbr0 (10.77.0.254) in the test's own namespace,
# where it answers as qemu+tcp://10.77.0.I/system and lxc+tcp://.../system.
# An LXC domain without an <interface> shares its host's network namespace:
# give it <features><privnet/></features>, or its init may configure (and
# on shutdown take down) the host's link.
# A namespace is held by a "sleep" process, so that libvirtd can be killed
# and started again (host_kill, host_start) in the same namespace.
# hosts_cleanup (call it from the EXIT trap) destroys their domains and
# tears everything down. State per host in $hosts_dir/hI.

# wait_secs SECONDS CMD...: poll CMD every 0.2 s until it succeeds or
# SECONDS of wall time have passed (for slow CMDs such as virsh calls)
wait_secs() {
  local end=$(( $(now_ms) + $1 * 1000 ))
  shift
  until "$@"; do
    (( $(now_ms) < end )) || return 1
    sleep 0.2
  done
}

hosts_bridge=vmgrhbr0
hosts_net=10.77.0
hosts_n=0
hosts_dir=
declare -a host_holder=() host_cgroups=()

host_addr() { printf '%s.%s\n' "$hosts_net" "$1"; } # I
host_uri() { printf '%s+tcp://%s/system\n' "$1" "$(host_addr "$2")"; } # qemu|lxc I
host_in() { # I CMD...: CMD in host I's network and mount namespaces
  local i=$1
  shift
  nsenter --target "${host_holder[i]}" --net --mount -- "$@"
}
host_pid() { # PIDFILE: the pid in it, when that process runs
  local pid
  [[ -s $1 ]] || return 1
  read -r pid <"$1" || [[ -n $pid ]] || return 1
  [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null && printf '%s\n' "$pid"
}
host_libvirtd_pid() { host_pid "$hosts_dir/h$1/libvirtd.pid"; } # I
host_answers() { # I
  timeout 10 virsh -q -c "$(host_uri qemu "$1")" version >/dev/null 2>&1
}

# host_create I: the namespaces, the address and the private directories
host_create() {
  local i=$1 d holder f
  d=$hosts_dir/h$i
  mkdir -p "$d/run" "$d/log/qemu" "$d/log/lxc" "$d/lib" "$d/cache"
  cp -a /var/lib/libvirt/. "$d/lib/" 2>/dev/null
  mkdir -p "$d/lib/images" "$d/lib/lxc"
  cp -a /var/cache/libvirt/. "$d/cache/" 2>/dev/null
  cp -a /etc/libvirt "$d/etc"
  # later settings win over the commented defaults of Debian's files
  cat >>"$d/etc/libvirtd.conf" <<CONF
listen_tls = 0
listen_tcp = 1
auth_tcp = "none"
listen_addr = "$(host_addr "$i")"
CONF
  cat >>"$d/etc/qemu.conf" <<CONF
migration_host = "$(host_addr "$i")"
migration_address = "$(host_addr "$i")"
CONF
  unshare --net --mount --propagation private -- sleep infinity &
  holder=$!
  host_holder[i]=$holder
  # wait for unshare to have exec'd sleep in the new namespaces
  for ((f = 0; f < 50; f++)); do
    [[ $(readlink "/proc/$holder/ns/net") != "$(readlink /proc/self/ns/net)" ]] && break
    sleep 0.05
  done
  ip link add "vmgrh$i" type veth peer name hostnet0 netns "/proc/$holder/ns/net" || return 1
  ip link set "vmgrh$i" master "$hosts_bridge" up || return 1
  host_in "$i" ip link set lo up
  host_in "$i" ip addr add "$(host_addr "$i")/24" dev hostnet0
  host_in "$i" ip link set hostnet0 up
  host_in "$i" mount -t tmpfs -o mode=755 tmpfs /run/libvirt || return 1
  host_in "$i" mount --bind "$d/lib" /var/lib/libvirt || return 1
  host_in "$i" mount --bind "$d/log" /var/log/libvirt || return 1
  host_in "$i" mount --bind "$d/cache" /var/cache/libvirt || return 1
  host_in "$i" mount --bind "$d/etc" /etc/libvirt || return 1
  # The configured host (the test's own libvirtd) is a migration target
  # too: its name, which it gives its peers to reach it, is on the bridge.
  { printf '%s %s\n' "$hosts_net.254" "$(hostname)"; cat /etc/hosts; } >"$d/hosts"
  host_in "$i" mount --bind "$d/hosts" /etc/hosts || return 1
  # QEMU's cgroup is machine/qemu-ID-NAME: during a migration both hosts
  # have NAME, and their first domain has ID 1 on both, so they would share
  # one cgroup (the source's cleanup then fails with EBUSY). libvirt puts
  # its "machine" partition below its own cgroup (v1): each host's libvirtd
  # runs in a cgroup of its own, vmgr-host-PID-I (cpuset: cpus and mems
  # copied from the root, or nothing can join it). Pure cgroup v2 is left
  # alone (its no-internal-processes rule would need more).
  local m
  while read -r m; do
    [[ -n $m ]] || continue
    mkdir -p "$m/vmgr-host-$$-$i" || return 1
    host_cgroups+=("$m/vmgr-host-$$-$i")
    for f in cpuset.cpus cpuset.mems; do
      [[ -f $m/$f ]] && cat "$m/$f" >"$m/vmgr-host-$$-$i/$f"
    done
  done < <(findmnt -rn -t cgroup -o TARGET | sort -u)
  return 0
}

# host_start I: virtlogd (if not running) and libvirtd --listen; waits
# until qemu+tcp://ADDR/system answers (VMGR_HOSTS_TIMEOUT, 60 s).
host_start() {
  local i=$1 d pid
  d=$hosts_dir/h$i
  if ! host_pid "$d/virtlogd.pid" >/dev/null; then
    LIBVIRT_LOG_OUTPUTS="3:file:$d/virtlogd.log" \
      host_in "$i" virtlogd -d -p "$d/virtlogd.pid" </dev/null >>"$d/virtlogd.log" 2>&1 ||
      { diag "host $i: virtlogd failed"; diag_file "$d/virtlogd.log" 5; return 1; }
  fi
  rm -f "$d/libvirtd.pid"
  local cg=() m
  for m in "${host_cgroups[@]}"; do [[ $m == */vmgr-host-$$-$i ]] && cg+=("$m"); done
  # (the inner bash joins the cgroups, then becomes libvirtd)
  # shellcheck disable=SC2016
  LIBVIRT_LOG_OUTPUTS="3:file:$d/libvirtd.log" \
    host_in "$i" bash -c 'pidfile=$1; shift; for c; do echo $$ >"$c/cgroup.procs"; done
      exec libvirtd -d --listen -p "$pidfile"' _ "$d/libvirtd.pid" "${cg[@]}" \
    </dev/null >>"$d/libvirtd.log" 2>&1 ||
    { diag "host $i: libvirtd failed"; diag_file "$d/libvirtd.log" 10; return 1; }
  if ! wait_until "${VMGR_HOSTS_TIMEOUT:-60}" host_answers "$i"; then
    diag "host $i: libvirtd does not answer on $(host_uri qemu "$i")"
    diag_file "$d/libvirtd.log" 20
    return 1
  fi
}

# host_kill I [SIGNAL]: libvirtd only (its domains keep running, as when
# the daemon of a real host dies); waits until it is gone.
host_kill() {
  local pid
  pid=$(host_libvirtd_pid "$1") || return 0
  kill "-${2:-KILL}" "$pid"
  # shellcheck disable=SC2317 # called by wait_until
  gone() { ! kill -0 "$pid" 2>/dev/null; }
  wait_until 30 gone
}

hosts_start() { # N
  local i t0
  t0=$(now_ms)
  hosts_dir=$(mktemp -d "${VMGR_LIBVIRTD_DIR:-/tmp}/hosts.XXXXXX")
  chmod 755 "$hosts_dir"
  ip link add "$hosts_bridge" type bridge || return 1
  ip addr add "$hosts_net.254/24" dev "$hosts_bridge"
  ip link set "$hosts_bridge" up
  for ((i = 1; i <= $1; i++)); do
    hosts_n=$i
    host_create "$i" || { diag "host $i: namespaces failed"; return 1; }
    host_start "$i" || return 1
  done
  diag "$1 hosts ready in $(( $(now_ms) - t0 )) ms: $(for ((i = 1; i <= $1; i++)); do printf '%s ' "$(host_uri qemu "$i")"; done)"
}

hosts_cleanup() {
  local i uri name pid
  for ((i = 1; i <= hosts_n; i++)); do
    if host_libvirtd_pid "$i" >/dev/null; then
      for uri in "$(host_uri qemu "$i")" "$(host_uri lxc "$i")"; do
        for name in $(timeout 20 virsh -q -c "$uri" list --name 2>/dev/null); do
          timeout 20 virsh -q -c "$uri" destroy "$name" >/dev/null 2>&1
        done
      done
      host_kill "$i" TERM
    fi
    pid=$(host_pid "$hosts_dir/h$i/virtlogd.pid") && kill "$pid"
    [[ -n ${host_holder[i]:-} ]] && kill "${host_holder[i]}" 2>/dev/null
    ip link del "vmgrh$i" 2>/dev/null
  done
  ip link del "$hosts_bridge" 2>/dev/null
  # (the bind mounts went with the namespaces; libvirt removed its domains'
  # cgroups below them)
  for f in "${host_cgroups[@]}"; do
    [[ -d $f/machine ]] && rmdir -- "$f/machine"
    wait_until 5 rmdir -- "$f" 2>/dev/null || diag "could not remove the cgroup $f"
  done
  host_cgroups=()
  [[ -n $hosts_dir ]] && rm -rf -- "$hosts_dir"
  hosts_n=0
  return 0
}
