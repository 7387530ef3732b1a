# shellcheck shell=bash
# cockpit.sh: start Cockpit's web server for one user on 127.0.0.1, with
# the vmgr page from a build tree (sourced by tests/web/browser-env.sh and
# scripts/demo.sh, inside tests/harness/testbus.sh).
#
# cockpit_start USER PORT PAGE_DIR CLIENT_DIR WORK_DIR
#   Runs `cockpit-ws --local-session=cockpit-bridge` as USER (its uid,
#   primary group and groups), bound to 127.0.0.1:PORT with no login: the
#   page's calls reach vmgrd as USER, never as root. PAGE_DIR (the built
#   page) is served as the package "vmgr"; CLIENT_DIR goes first on the
#   bridge's PATH (the console runs vmgrctl from there). WORK_DIR holds
#   the user's home and the package link. Waits until the port answers;
#   sets cockpit_pid. The page is then at
#   http://127.0.0.1:PORT/cockpit/@localhost/vmgr/index.html
#
# Needs DBUS_SYSTEM_BUS_ADDRESS (the bridge follows it). The bridge gets a
# session bus address that leads nowhere, so that it does not start a
# session bus of its own that would outlive it.

COCKPIT_WS=${COCKPIT_WS:-/usr/lib/cockpit/cockpit-ws}
COCKPIT_BRIDGE=${COCKPIT_BRIDGE:-/usr/bin/cockpit-bridge}

cockpit_start() {
  local user=$1 port=$2 page_dir=$3 client_dir=$4 work=$5
  local uid gid home=$work/home-$user data=$work/xdg i
  uid=$(id -u "$user") gid=$(id -g "$user")
  [[ -x $COCKPIT_WS ]] || { echo "cockpit.sh: $COCKPIT_WS not found (install cockpit-ws)" >&2; return 1; }
  mkdir -p "$home" "$data/cockpit"
  chown "$uid:$gid" "$home"
  chmod 755 "$work" "$data" "$data/cockpit"
  ln -sfn "$page_dir" "$data/cockpit/vmgr"
  setpriv --reuid="$uid" --regid="$gid" --init-groups \
    env -i HOME="$home" USER="$user" LOGNAME="$user" PATH="$client_dir:/usr/bin:/bin" \
      LANG=C.UTF-8 XDG_DATA_DIRS="$data:/usr/share" XDG_RUNTIME_DIR="$home" \
      DBUS_SYSTEM_BUS_ADDRESS="$DBUS_SYSTEM_BUS_ADDRESS" \
      DBUS_SESSION_BUS_ADDRESS="unix:path=$home/no-session-bus" \
      "$COCKPIT_WS" --address=127.0.0.1 --port="$port" --local-session="$COCKPIT_BRIDGE" \
      </dev/null >"$work/cockpit-ws-$user.log" 2>&1 &
  cockpit_pid=$!
  for ((i = 0; i < 100; i++)); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      return 0
    fi
    kill -0 "$cockpit_pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "cockpit.sh: cockpit-ws for $user did not listen on port $port (see $work/cockpit-ws-$user.log)" >&2
  cat "$work/cockpit-ws-$user.log" >&2
  return 1
}
