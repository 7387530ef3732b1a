#!/usr/bin/env bash
# testbus.sh: run a command against a private "system" bus with the real
# polkitd, the project's polkit policy and rules, the project's bus policy,
# and the vmgr test users, all inside a private mount and PID namespace so
# that nothing on the host changes and everything dies with the harness.
#
# Usage (as root):
#   tests/harness/testbus.sh [--keep-users] [--keep-dir] -- CMD [ARGS...]
#
#   --keep-users  do not replace /etc/passwd and /etc/group: use the host's
#                 users as they are (for hosts that already have the test
#                 users and groups)
#   --keep-dir    do not remove the temporary directory at exit (debugging)
#
# Environment read:
#   VMGR_SOURCE_ROOT   source tree (default: two levels above this script)
#   VMGR_BUILD_ROOT    build tree; its polkit/50-org.vmgr.rules is used if
#                      present (default: $VMGR_SOURCE_ROOT/build), else the
#                      rules are generated from polkit/vmgr.rules.in
#   VMGR_ADMIN_GROUP, VMGR_CUSTOMER_GROUP
#                      group names (default vmgr-admin, vmgr-customer; must
#                      match the build's admin_group / customer_group)
#   VMGR_TESTBUS_TMPDIR  parent of the temporary directory (default /tmp;
#                      keep it short, a socket path has at most 107 bytes)
#
# Environment given to CMD:
#   DBUS_SYSTEM_BUS_ADDRESS  unix:path=$VMGR_TESTBUS_DIR/system_bus_socket
#   VMGR_TESTBUS_DIR         the temporary directory (mode 755; logs are
#                            dbus.log and polkitd.log there)
#   VMGR_TESTBUS_RULES_DIR   the directory mounted over
#                            /etc/polkit-1/rules.d; it holds the project's
#                            50-org.vmgr.rules. To change rules at run time
#                            write a file (mode 644) in $VMGR_TESTBUS_DIR
#                            and mv it into this directory (same mount, so
#                            the rename is atomic); polkitd reloads on
#                            inotify and emits Authority.Changed.
#   VMGR_TESTBUS_POLKITD_PID, VMGR_TESTBUS_DBUS_PID
#                            the daemons' pids (e.g. to test "polkit gone")
#
# Test users (uid = own primary group gid):
#   vmgradmin 60001 in vmgr-admin (60100); alice 60002 and bob 60003 in
#   vmgr-customer (60101); mallory 60004 in neither.
#
# Exits with CMD's status. If CMD fails, the dbus-daemon and polkitd logs
# are printed to stderr. Nothing is written to stdout except by CMD (TAP
# output passes through untouched).
set -euo pipefail

readonly INNER_MARK=__vmgr_testbus_inner__
harness_name=testbus
script=$(readlink -f "${BASH_SOURCE[0]}")
# shellcheck source=tests/harness/lib.sh
. "$(dirname "$script")/lib.sh"

# --------------------------------------------------------------------------
# Outer part: check, then run ourselves in new namespaces.
# --------------------------------------------------------------------------
if [[ ${1:-} != "$INNER_MARK" ]]; then
  check_options "--keep-users --keep-dir" "" "$@"
  require_root "it mounts over /etc/passwd and polkit's directories inside a private namespace"
  require_tools unshare mount dbus-daemon gdbus setpriv
  [[ -x /usr/lib/polkit-1/polkitd ]] || die "/usr/lib/polkit-1/polkitd not found (run scripts/install-deps.sh)"

  run_unshared "$script" "$INNER_MARK" --mount --propagation private --pid --fork --mount-proc -- "$@"
fi

# --------------------------------------------------------------------------
# Inner part: PID 1 of a new PID namespace, private mount namespace.
# --------------------------------------------------------------------------
shift # INNER_MARK
keep_users=0
keep_dir=0
while [[ $# -gt 0 ]]; do
  case $1 in
    --keep-users) keep_users=1; shift ;;
    --keep-dir) keep_dir=1; shift ;;
    --) shift; break ;;
    *) die "unknown option: $1" ;;
  esac
done
[[ $# -gt 0 ]] || die "no command given after --"

src_root=${VMGR_SOURCE_ROOT:-$(dirname "$(dirname "$(dirname "$script")")")}
build_root=${VMGR_BUILD_ROOT:-$src_root/build}
admin_group=${VMGR_ADMIN_GROUP:-vmgr-admin}
customer_group=${VMGR_CUSTOMER_GROUP:-vmgr-customer}

policy_file=$src_root/polkit/org.vmgr.policy
rules_in=$src_root/polkit/vmgr.rules.in
bus_conf=$src_root/dbus-1/org.vmgr.conf
for f in "$policy_file" "$rules_in" "$bus_conf"; do
  [[ -f $f ]] || die "$f not found (set VMGR_SOURCE_ROOT to the source tree)"
done

tmp=$(mktemp -d "${VMGR_TESTBUS_TMPDIR:-/tmp}/vmgr-testbus.XXXXXX")
chmod 755 "$tmp"

dbus_pid=
polkitd_pid=

cleanup() {
  local rc=$?
  cleanup_start 5
  stop_pid "$polkitd_pid"
  stop_pid "$dbus_pid"
  if [[ $rc -ne 0 ]]; then
    local f
    for f in dbus.log polkitd.log; do
      if [[ -s $tmp/$f ]]; then
        printf '\n----- testbus: %s -----\n' "$f" >&2
        cat "$tmp/$f" >&2
      fi
    done
    [[ -s $tmp/dbus.log || -s $tmp/polkitd.log ]] && printf -- '----- testbus: end of logs -----\n' >&2
  fi
  # The mounts vanish with the namespace; undo them first anyway so the
  # temporary directory is not busy.
  undo_mounts
  cleanup_finish "$rc"
}
trap_exit cleanup

# ---- users and groups ----------------------------------------------------
if [[ $keep_users -eq 0 ]]; then
  # name:uid:groups... ; every user has its own primary group (gid = uid)
  test_users=(vmgradmin:60001 alice:60002 bob:60003 mallory:60004)
  test_groups=("$admin_group:60100:vmgradmin" "$customer_group:60101:alice,bob")

  names=() ids=() gnames=() gids=()
  for u in "${test_users[@]}"; do
    names+=("${u%%:*}"); ids+=("${u##*:}")
    gnames+=("${u%%:*}"); gids+=("${u##*:}")
  done
  for g in "${test_groups[@]}"; do
    IFS=: read -r gn gi _ <<<"$g"
    gnames+=("$gn"); gids+=("$gi")
  done

  # Copy the real files without entries that clash by name or id.
  without() { # FILE NAMES IDS: the lines of FILE whose name and id are in neither
    awk -F: -v names="$2" -v ids="$3" '
      BEGIN { n = split(names, a, " "); for (i = 1; i <= n; i++) N[a[i]] = 1
              n = split(ids, b, " ");   for (i = 1; i <= n; i++) I[b[i]] = 1 }
      !($1 in N) && !($3 in I)' "$1"
  }
  without /etc/passwd "${names[*]}" "${ids[*]}" >"$tmp/passwd"
  without /etc/group "${gnames[*]}" "${gids[*]}" >"$tmp/group"

  for u in "${test_users[@]}"; do
    name=${u%%:*} id=${u##*:}
    printf '%s:x:%s:%s:vmgr test user %s:/nonexistent:/usr/sbin/nologin\n' \
      "$name" "$id" "$id" "$name" >>"$tmp/passwd"
    printf '%s:x:%s:\n' "$name" "$id" >>"$tmp/group"
  done
  for g in "${test_groups[@]}"; do
    IFS=: read -r gn gi members <<<"$g"
    printf '%s:x:%s:%s\n' "$gn" "$gi" "$members" >>"$tmp/group"
  done
  chmod 644 "$tmp/passwd" "$tmp/group"
  mount_on --bind "$tmp/passwd" /etc/passwd
  mount_on --bind "$tmp/group" /etc/group
fi

# ---- polkit actions and rules --------------------------------------------
# polkitd reads these after dropping to user polkitd: directories 755,
# files 644 (a 700 directory silently loads nothing).
mkdir -p "$tmp/polkit/actions" "$tmp/polkit/share-rules.d" "$tmp/polkit/etc-rules.d"
chmod 755 "$tmp/polkit" "$tmp/polkit/actions" "$tmp/polkit/share-rules.d" "$tmp/polkit/etc-rules.d"

copy_dir_files() { # SRC DST: copy the regular files of SRC (if any) to DST
  local f
  [[ -d $1 ]] || return 0
  for f in "$1"/*; do
    [[ -f $f ]] || continue
    cp -- "$f" "$2/"
  done
}
copy_dir_files /usr/share/polkit-1/actions "$tmp/polkit/actions"
cp -- "$policy_file" "$tmp/polkit/actions/org.vmgr.policy"
copy_dir_files /usr/share/polkit-1/rules.d "$tmp/polkit/share-rules.d"
copy_dir_files /etc/polkit-1/rules.d "$tmp/polkit/etc-rules.d"

# The project's rules go in the /etc directory so that tests can replace or
# remove them at run time.
if [[ -f $build_root/polkit/50-org.vmgr.rules ]]; then
  cp -- "$build_root/polkit/50-org.vmgr.rules" "$tmp/polkit/etc-rules.d/50-org.vmgr.rules"
else
  sed -e "s|@ADMIN_GROUP@|$admin_group|g" -e "s|@CUSTOMER_GROUP@|$customer_group|g" \
    "$rules_in" >"$tmp/polkit/etc-rules.d/50-org.vmgr.rules"
fi
find "$tmp/polkit" -type f -exec chmod 644 {} +

[[ -d /etc/polkit-1/rules.d ]] || die "/etc/polkit-1/rules.d does not exist (is polkitd installed?)"
mount_on --bind "$tmp/polkit/actions" /usr/share/polkit-1/actions
mount_on --bind "$tmp/polkit/share-rules.d" /usr/share/polkit-1/rules.d
mount_on --bind "$tmp/polkit/etc-rules.d" /etc/polkit-1/rules.d

# ---- the bus ---------------------------------------------------------------
mkdir -p "$tmp/system.d"
chmod 755 "$tmp/system.d"
cp -- "$bus_conf" "$tmp/system.d/org.vmgr.conf"
chmod 644 "$tmp/system.d/org.vmgr.conf"

socket=$tmp/system_bus_socket
cat >"$tmp/system.conf" <<EOF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<!-- Private system bus of tests/harness/testbus.sh -->
<busconfig>
  <type>system</type>
  <listen>unix:path=$socket</listen>
  <auth>EXTERNAL</auth>

  <!-- Debian's default system bus policy (/usr/share/dbus-1/system.conf) -->
  <policy context="default">
    <allow user="*"/>
    <deny own="*"/>
    <deny send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_requested_reply="true" send_type="method_return"/>
    <allow send_requested_reply="true" send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow receive_type="signal"/>
    <allow send_destination="org.freedesktop.DBus"
           send_interface="org.freedesktop.DBus" />
    <allow send_destination="org.freedesktop.DBus"
           send_interface="org.freedesktop.DBus.Introspectable"/>
    <allow send_destination="org.freedesktop.DBus"
           send_interface="org.freedesktop.DBus.Properties"/>
    <allow send_destination="org.freedesktop.DBus"
           send_interface="org.freedesktop.DBus.Containers1"/>
    <deny send_destination="org.freedesktop.DBus"
          send_interface="org.freedesktop.DBus"
          send_member="UpdateActivationEnvironment"/>
    <deny send_destination="org.freedesktop.DBus"
          send_interface="org.freedesktop.DBus.Debug.Stats"/>
    <deny send_destination="org.freedesktop.DBus"
          send_interface="org.freedesktop.systemd1.Activator"/>
  </policy>
  <policy user="root">
    <allow send_destination="org.freedesktop.DBus"
           send_interface="org.freedesktop.DBus.Monitoring"/>
    <allow send_destination="org.freedesktop.DBus"
           send_interface="org.freedesktop.DBus.Debug.Stats"/>
  </policy>

  <include>/usr/share/dbus-1/system.d/org.freedesktop.PolicyKit1.conf</include>
  <includedir>$tmp/system.d</includedir>
</busconfig>
EOF

mkfifo "$tmp/address.fifo"
# Own session, so a terminal's Ctrl-C does not kill the bus and polkitd
# before CMD has shut down; cleanup stops them.
setsid dbus-daemon --config-file="$tmp/system.conf" --nofork --nopidfile \
  --print-address=3 3>"$tmp/address.fifo" </dev/null >"$tmp/dbus.log" 2>&1 &
dbus_pid=$!
address=
exec 4<"$tmp/address.fifo"
if ! IFS= read -r -t 10 address <&4 || [[ -z $address ]]; then
  exec 4<&-
  die "dbus-daemon did not start (see $tmp/dbus.log)"
fi
exec 4<&-
rm -f "$tmp/address.fifo"
export DBUS_SYSTEM_BUS_ADDRESS=$address

# ---- polkitd -------------------------------------------------------------
setsid /usr/lib/polkit-1/polkitd --no-debug </dev/null >"$tmp/polkitd.log" 2>&1 &
polkitd_pid=$!
if ! gdbus wait --system --timeout 10 org.freedesktop.PolicyKit1 >/dev/null 2>"$tmp/gdbus-wait.log"; then
  cat "$tmp/gdbus-wait.log" >&2
  die "polkitd did not appear on the bus within 10 s"
fi
rm -f "$tmp/gdbus-wait.log"

export VMGR_TESTBUS_DIR=$tmp
export VMGR_TESTBUS_RULES_DIR=$tmp/polkit/etc-rules.d
export VMGR_TESTBUS_POLKITD_PID=$polkitd_pid
export VMGR_TESTBUS_DBUS_PID=$dbus_pid

# ---- the command -----------------------------------------------------------
run_command "$@"
