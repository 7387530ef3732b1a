#!/usr/bin/env bash
# demo.sh: build vmgr and run vmgrd on a private system bus (with the real
# polkitd and the test users) against libvirt's test driver, seed a few
# demo VMs, print how to talk to it, and stay in the foreground until
# Ctrl-C / SIGTERM.
#
# When the web panel was built (build/web) and Cockpit is installed, it
# also starts Cockpit's web server (cockpit-ws --local-session, no login,
# bound to 127.0.0.1) as the administrator vmgradmin and as the customer
# alice, and prints both URLs.
#
# Usage (as root):
#   scripts/demo.sh              run the demo (foreground, Ctrl-C stops it)
#   scripts/demo.sh shell [USER] from another terminal: a shell inside the
#                                running demo, where the demo's bus is the
#                                system bus, its users' names resolve and
#                                vmgrctl is on the PATH; as USER (vmgradmin,
#                                alice, bob, mallory) or as root
#   VMGR_DEMO_STATE=dir  vmgrd's state (default /var/tmp/vmgr-demo; kept
#                        between runs, so the VMs come back)
#   BUILD_DIR=dir        build directory (default ./build)
#   VMGR_DEMO_WEB_PORT=n the administrator's panel on port n, alice's on
#                        n+1 (default 9190)
#
# The bus socket lives in /tmp/vmgr-testbus.XXXXXX, visible from other
# shells on the host. Test users there (numeric ids work from the host):
# vmgradmin 60001 (vmgr-admin 60100), alice 60002 and bob 60003
# (vmgr-customer 60101), mallory 60004.
set -euo pipefail

readonly INNER_MARK=__vmgr_demo_inner__

src_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${BUILD_DIR:-$src_root/build}
state_dir=${VMGR_DEMO_STATE:-/var/tmp/vmgr-demo}

say() { printf 'demo: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

# The outer demo's pid (the harness's outer part keeps it: exec), so that
# `demo.sh shell` finds the namespace: its init is the grandchild.
pid_file=$state_dir/demo.pid

# --------------------------------------------------------------------------
# demo.sh shell [USER]: enter the running demo's namespaces.
# --------------------------------------------------------------------------
if [[ ${1:-} == shell ]]; then
  [[ $(id -u) -eq 0 ]] || die "must run as root (it enters the demo's namespaces)"
  [[ $# -le 2 ]] || die "usage: scripts/demo.sh shell [USER]"
  user=${2:-root}
  outer=$(cat "$pid_file" 2>/dev/null) || die "no demo is running (no $pid_file)"
  grep -q testbus.sh "/proc/$outer/cmdline" 2>/dev/null || die "no demo is running (pid $outer is gone)"
  unshare_pid=$(pgrep -P "$outer" -x unshare | head -n 1)
  init_pid=${unshare_pid:+$(pgrep -P "$unshare_pid" | head -n 1)}
  [[ -n $init_pid ]] || die "no demo is running (pid $outer has no namespace)"
  address=$(cat "$state_dir/demo.address") || die "the demo has not started its bus yet"
  if [[ $user == root ]]; then
    as_user=()
  else
    as_user=(setpriv --reuid="$user" --regid="$user" --init-groups --reset-env --)
  fi
  say "entering the demo as $user (exit or Ctrl-D to leave; the demo keeps running)"
  exec nsenter --target "$init_pid" --mount --pid -- "${as_user[@]}" \
    env DBUS_SYSTEM_BUS_ADDRESS="$address" PATH="$build_dir/client:/usr/sbin:/usr/bin:/sbin:/bin" \
    HOME=/ TERM="${TERM:-dumb}" PS1="(vmgr-demo) \\u \\w \\$ " bash --norc -i
fi

# --------------------------------------------------------------------------
# Outer part: dependencies, build, then the harness.
# --------------------------------------------------------------------------
if [[ ${1:-} != "$INNER_MARK" ]]; then
  [[ $(id -u) -eq 0 ]] || die "must run as root (it starts a private system bus with polkitd)"
  cd "$src_root"
  say "checking dependencies"
  scripts/install-deps.sh
  if [[ ! -f $build_dir/build.ninja ]]; then
    say "configuring $build_dir"
    meson setup "$build_dir" >/dev/null
  fi
  say "building"
  ninja -C "$build_dir" >/dev/null || { ninja -C "$build_dir"; die "build failed"; }
  [[ -x $build_dir/service/vmgrd ]] || die "$build_dir/service/vmgrd was not built"
  mkdir -p "$state_dir"
  chmod 700 "$state_dir"
  export VMGR_SOURCE_ROOT=$src_root VMGR_BUILD_ROOT=$build_dir VMGR_DEMO_STATE=$state_dir
  echo $$ >"$pid_file"
  exec "$src_root/tests/harness/testbus.sh" -- "$BASH" "$src_root/scripts/demo.sh" "$INNER_MARK"
fi

# --------------------------------------------------------------------------
# Inner part: inside testbus.sh (private namespaces, bus and polkitd up).
# --------------------------------------------------------------------------
build_dir=${VMGR_BUILD_ROOT:-$build_dir}
vmgrd=$build_dir/service/vmgrd
vmgrctl=$build_dir/client/vmgrctl
address=$DBUS_SYSTEM_BUS_ADDRESS
socket_address=${address%%,*}   # without ",guid=..."
log=$state_dir/vmgrd.log
vmgrd_pid=
web_pids=()

stop_web() {
  local pid
  for pid in "${web_pids[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  web_pids=()
}

stop_vmgrd() {
  stop_web
  [[ -n $vmgrd_pid ]] || return 0
  if kill -0 "$vmgrd_pid" 2>/dev/null; then
    say "stopping vmgrd (pid $vmgrd_pid)"
    kill -TERM "$vmgrd_pid" 2>/dev/null || true
  fi
  local status=0
  wait "$vmgrd_pid" || status=$?
  vmgrd_pid=
  say "vmgrd exited with status $status"
  return "$status"
}

on_signal() {
  trap - INT TERM HUP
  echo >&2
  stop_vmgrd || exit 1
  exit 0
}
trap on_signal INT TERM HUP
trap 'stop_vmgrd || true; rm -f "$state_dir/demo.address" "$pid_file"' EXIT

mkdir -p "$state_dir"
echo "$socket_address" >"$state_dir/demo.address"
say "state in $state_dir (log: $log)"
printf '===== demo: vmgrd starting %s =====\n' "$(date -Is)" >>"$log"
# Output to the terminal and to the log. vmgrd runs in its own session so
# that a terminal's Ctrl-C reaches only this script, which then stops it
# with one SIGTERM; tee ignores the signals so vmgrd's last words are
# kept. (setsid execs vmgrd in place: $! is vmgrd's pid.)
setsid "$vmgrd" --system --config "$src_root/data/vmgrd.conf" --state-dir "$state_dir" \
  --uri test:///default -v </dev/null \
  > >(trap '' INT TERM HUP; exec tee -a "$log" >&2) 2>&1 &
vmgrd_pid=$!

appeared=0
for ((i = 0; i < 20; i++)); do
  if gdbus wait --system --timeout 1 org.vmgr 2>/dev/null; then
    appeared=1
    break
  fi
  kill -0 "$vmgrd_pid" 2>/dev/null || break
done
if [[ $appeared -eq 0 ]]; then
  status=0
  if kill -0 "$vmgrd_pid" 2>/dev/null; then
    kill -TERM "$vmgrd_pid"
    wait "$vmgrd_pid" 2>/dev/null || status=$?
    vmgrd_pid=
    die "vmgrd did not own org.vmgr within 20 s (see $log)"
  fi
  wait "$vmgrd_pid" 2>/dev/null || status=$?
  vmgrd_pid=
  die "vmgrd exited with status $status before owning org.vmgr (see $log)"
fi
say "vmgrd (pid $vmgrd_pid) owns org.vmgr"

manager_call() { # METHOD ARGS... (as root)
  gdbus call --system --dest org.vmgr --object-path /org/vmgr/Manager \
    --method "org.vmgr.Manager.$1" "${@:2}"
}

# ---- seed demo data when the daemon has no VMs ----------------------------
if vms=$(manager_call ListVMs 2>&1); then
  if [[ $vms == *"/org/vmgr/vm/"* ]]; then
    say "keeping the existing VMs in $state_dir"
  else
    say "no VMs yet: seeding demo data"

    # Templates come from the daemon: prefer debian-12, else the first.
    templates=$(manager_call ListTemplates 2>/dev/null || true)
    template=debian-12
    if [[ $templates != *"'debian-12'"* ]]; then
      first=$(grep -o "('[^']*', {" <<<"$templates" | head -n 1 | sed "s/^('\\([^']*\\)'.*/\\1/" || true)
      [[ -n $first ]] && template=$first
    fi

    manager_call AddCustomer 60002 \
      "{'full_name': <'Alice Example'>, 'email': <'alice@example.org'>, 'national_id': <'20111222'>, 'province': <'Mendoza'>, 'plan': <'basic'>, 'max_vms': <uint32 3>}" \
      >/dev/null 2>&1 || say "could not add customer alice (continuing)"
    manager_call AddCustomer 60003 \
      "{'full_name': <'Bob Example'>, 'email': <'bob@example.org'>, 'national_id': <'30222333'>, 'province': <'San Juan'>, 'plan': <'complete'>, 'max_vms': <uint32 2>}" \
      >/dev/null 2>&1 || say "could not add customer bob (continuing)"

    # name plan owner start
    seeds=(
      "web1 basic 60002 true"
      "db1 complete 60002 false"
      "shop1 professional 60003 true"
    )
    for s in "${seeds[@]}"; do
      read -r name plan owner start <<<"$s"
      ok=0
      if [[ -x $vmgrctl ]]; then
        args=(create "$name" --template "$template" --plan "$plan" --owner "$owner")
        [[ $start == true ]] && args+=(--start)
        if "$vmgrctl" "${args[@]}" >/dev/null 2>&1; then
          ok=1
        fi
      fi
      if [[ $ok -eq 0 ]]; then
        if out=$(manager_call CreateVM "$name" "$template" "$plan" \
                   "{'owner': <uint32 $owner>, 'start': <$start>}" 2>&1); then
          ok=1
        fi
      fi
      if [[ $ok -eq 1 ]]; then
        say "created $name ($template, plan $plan, owner $owner)"
      else
        say "could not create $name: ${out:-vmgrctl failed}"
      fi
    done
  fi
else
  say "ListVMs failed: $vms"
fi

# ---- the web panel -----------------------------------------------------------
web_text=" (the web panel was not built or Cockpit is not installed: no URLs)"
web_port=${VMGR_DEMO_WEB_PORT:-9190}
if [[ -f $build_dir/web/index.js && -x /usr/lib/cockpit/cockpit-ws ]]; then
  # shellcheck source=tests/harness/cockpit.sh
  . "$src_root/tests/harness/cockpit.sh"
  web_work=$VMGR_TESTBUS_DIR/web
  mkdir -p "$web_work"
  web_text=
  port=$web_port
  for user in vmgradmin alice; do
    if cockpit_start "$user" "$port" "$build_dir/web" "$build_dir/client" "$web_work"; then
      web_pids+=("$cockpit_pid")
      web_text+=$'\n'"   as $user: http://127.0.0.1:$port/cockpit/@localhost/vmgr/index.html"
    else
      say "could not start cockpit-ws for $user on port $port"
    fi
    port=$((port + 1))
  done
fi

# ---- how to use it ---------------------------------------------------------
ctl=$vmgrctl
[[ -x $ctl ]] || say "note: $vmgrctl is not built yet; use gdbus or busctl"
cat >&2 <<EOF

================================================================
 vmgrd is running on a private system bus:
   $socket_address

 From another shell on this host, a shell inside the demo (its users'
 names resolve there, vmgrctl is on the PATH):

   scripts/demo.sh shell          # as root;  or: scripts/demo.sh shell alice
   vmgrctl list
   vmgrctl chown db1 bob

 Or from any shell, with numeric user ids:

   export DBUS_SYSTEM_BUS_ADDRESS=$socket_address
   $ctl list
   busctl --address=$socket_address tree org.vmgr
   busctl --address=$socket_address introspect org.vmgr /org/vmgr/Manager
   gdbus call --system --dest org.vmgr --object-path /org/vmgr/Manager \\
     --method org.vmgr.Manager.ListPlans

 As customer alice (uid 60002; the bus and polkit know the test users
 by number from the host too):

   DBUS_SYSTEM_BUS_ADDRESS=$socket_address \\
     setpriv --reuid=60002 --regid=60002 --groups=60101 $ctl list

 Admin vmgradmin: --reuid=60001 --regid=60001 --groups=60100
 Bob: --reuid=60003 --regid=60003 --groups=60101
 Stranger mallory: --reuid=60004 --regid=60004 --clear-groups

 The web panel (Cockpit, no login, 127.0.0.1 only; from another
 machine: ssh -L $web_port:127.0.0.1:$web_port THIS-HOST)$web_text

 vmgrd log: $log
 Ctrl-C (or SIGTERM) stops vmgrd, the web servers, polkitd and the bus.
================================================================

EOF

# ---- stay in the foreground -------------------------------------------------
# wait returns early when a trapped signal arrives; on_signal then exits.
status=0
wait "$vmgrd_pid" || status=$?
vmgrd_pid=
die "vmgrd exited on its own with status $status (see $log)"
