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
