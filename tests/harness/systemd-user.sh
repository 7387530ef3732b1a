#!/usr/bin/env bash
# systemd-user.sh: run a command next to a real systemd (a user instance of
# the machine's systemd, on a bus of its own) and, with --libvirtd, a
# private libvirtd whose test driver vmgrd and virsh then share, all inside
# a private mount and PID namespace.
#
# Usage (as root):
#   tests/harness/systemd-user.sh [--libvirtd] [--units DIR]... [--keep-dir] -- CMD [ARGS...]
#
#   --units DIR  a directory of unit files systemd loads (repeatable; the
#                built-in search path stays after them)
#   --libvirtd   also start libvirtd with its sockets on a private tmpfs at
#                /run/libvirt, empty tmpfs over /etc/libvirt and
#                /var/{lib,cache,log}/libvirt, in a network namespace of
#                its own; CMD gets VMGR_TEST_DAEMON_URI=test+unix:///default
#                (one test driver shared by every client, so `virsh` on that
#                URI drives the VMs behind vmgrd's back)
#   --keep-dir   do not remove the temporary directory at exit (debugging)
#
# Composes with testbus.sh (vmgrd's system bus outside, systemd inside):
#   tests/harness/testbus.sh -- tests/harness/systemd-user.sh -- CMD
#
# What it does, inside the namespaces: a tmpfs on /run with
# /run/systemd/system (systemd refuses to start without it), then
# `systemd --user --unit=vmgr-harness.target` (which wants the
# dbus-user-session package's dbus.socket and dbus.service, so systemd
# gets its own bus) with XDG_RUNTIME_DIR and XDG_CONFIG_HOME in the
# temporary directory and SYSTEMD_UNIT_PATH=DIR...:. At exit
# org.freedesktop.systemd1.Manager.Exit stops it.
#
# Environment given to CMD:
#   VMGR_SYSTEMD_ADDRESS      unix:path=$XDG_RUNTIME_DIR/bus: systemd's bus
#   VMGR_SYSTEMD_RUNTIME_DIR  its XDG_RUNTIME_DIR (%t in unit files)
#   VMGR_SYSTEMD_DIR          the temporary directory (systemd.log,
#                             libvirtd.log)
#   VMGR_TEST_DAEMON_URI      with --libvirtd: test+unix:///default
set -euo pipefail

readonly INNER_MARK=__vmgr_systemd_inner__
harness_name=systemd-user
script=$(readlink -f "${BASH_SOURCE[0]}")
# shellcheck source=tests/harness/lib.sh
. "$(dirname "$script")/lib.sh"

systemd_bin=/lib/systemd/systemd

if [[ ${1:-} != "$INNER_MARK" ]]; then
  check_options "--libvirtd --keep-dir" "--units" "$@"
  require_root "it mounts a tmpfs on /run inside a private namespace"
  require_tools unshare mount busctl
  [[ -x $systemd_bin ]] || die "$systemd_bin not found (run scripts/install-deps.sh)"
  [[ -f /usr/lib/systemd/user/dbus.socket ]] ||
    die "dbus.socket for systemd --user not found (package dbus-user-session)"
  run_unshared "$script" "$INNER_MARK" --mount --propagation private --pid --fork --mount-proc -- "$@"
fi

# --------------------------------------------------------------------------
# Inner part: PID 1 of a new PID namespace, private mount namespace.
# --------------------------------------------------------------------------
shift # INNER_MARK
keep_dir=0
with_libvirtd=0
unit_dirs=()
while [[ $# -gt 0 ]]; do
  case $1 in
    --libvirtd) with_libvirtd=1; shift ;;
    --keep-dir) keep_dir=1; shift ;;
    --units) unit_dirs+=("$(readlink -f "$2")"); shift 2 ;;
    --) shift; break ;;
    *) die "unknown option: $1" ;;
  esac
done
[[ $# -gt 0 ]] || die "no command given after --"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/vmgr-systemd.XXXXXX")
chmod 755 "$tmp"
systemd_pid=
libvirtd_pid=
address=unix:path=$tmp/runtime/bus

systemd_exit() {
  busctl --address="$address" call org.freedesktop.systemd1 /org/freedesktop/systemd1 \
    org.freedesktop.systemd1.Manager Exit >/dev/null 2>&1
}

cleanup() {
  local rc=$?
  cleanup_start 5
  if [[ -n $systemd_pid ]]; then
    systemd_exit
    local i
    for ((i = 0; i < 50; i++)); do
      alive "$systemd_pid" || break
      sleep 0.1
    done
    stop_pid "$systemd_pid"
  fi
  [[ -n $libvirtd_pid ]] && stop_pid "$libvirtd_pid"
  if [[ $rc -ne 0 ]]; then
    local f
    for f in systemd.log libvirtd.log; do
      if [[ -s $tmp/$f ]]; then
        printf '\n----- systemd-user: %s -----\n' "$f" >&2
        tail -n 100 "$tmp/$f" >&2
      fi
    done
  fi
  undo_mounts
  cleanup_finish "$rc"
}
trap_exit cleanup

mount_on -t tmpfs -o mode=755 tmpfs /run
mkdir -p /run/systemd/system

# ---- libvirtd (test driver only) --------------------------------------------
if [[ $with_libvirtd -eq 1 ]]; then
  require_tools libvirtd virsh
  mkdir -p /run/libvirt
  # Nothing of the host's libvirt: empty configuration and state, and a
  # network namespace of its own (no host network is started or changed).
  for d in /etc/libvirt /var/lib/libvirt /var/cache/libvirt /var/log/libvirt; do
    [[ -d $d ]] && mount_on -t tmpfs -o mode=755 tmpfs "$d"
  done
  setsid unshare --net libvirtd --pid-file="$tmp/libvirtd.pid" </dev/null >"$tmp/libvirtd.log" 2>&1 &
  libvirtd_pid=$!
  for ((i = 0; i < 300; i++)); do
    virsh -q -c test+unix:///default uri >/dev/null 2>&1 && break
    alive "$libvirtd_pid" || die "libvirtd exited (see $tmp/libvirtd.log)"
    sleep 0.1
  done
  virsh -q -c test+unix:///default uri >/dev/null 2>&1 || die "libvirtd did not answer within 30 s"
  export VMGR_TEST_DAEMON_URI=test+unix:///default
fi

# ---- systemd --user -----------------------------------------------------------
mkdir -p "$tmp/runtime" "$tmp/config" "$tmp/units"
chmod 700 "$tmp/runtime"
cat >"$tmp/units/vmgr-harness.target" <<'EOF'
[Unit]
Description=systemd-user.sh: the user instance's own bus
Wants=dbus.socket dbus.service
EOF
unit_path=
for d in "${unit_dirs[@]}" "$tmp/units"; do
  unit_path+="$d:"
done
# Its own session, so a terminal's Ctrl-C reaches only CMD; cleanup stops it.
XDG_RUNTIME_DIR=$tmp/runtime XDG_CONFIG_HOME=$tmp/config SYSTEMD_UNIT_PATH=$unit_path \
  DBUS_SESSION_BUS_ADDRESS=$address \
  setsid "$systemd_bin" --user --unit=vmgr-harness.target --log-target=console \
  </dev/null >"$tmp/systemd.log" 2>&1 &
systemd_pid=$!
for ((i = 0; i < 300; i++)); do
  busctl --address="$address" status org.freedesktop.systemd1 >/dev/null 2>&1 && break
  alive "$systemd_pid" || die "systemd exited (see $tmp/systemd.log)"
  sleep 0.1
done
busctl --address="$address" status org.freedesktop.systemd1 >/dev/null 2>&1 ||
  die "systemd's manager did not appear on $address within 30 s"

export VMGR_SYSTEMD_ADDRESS=$address
export VMGR_SYSTEMD_RUNTIME_DIR=$tmp/runtime
export VMGR_SYSTEMD_DIR=$tmp

# ---- the command -----------------------------------------------------------
run_command "$@"
