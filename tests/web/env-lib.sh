# Sourced by browser-env.sh and real-lxc-env.sh: the work directory under
# the harness's, Cockpit's helpers (tests/harness/cockpit.sh), and the
# processes the environment starts (add their pids to "pids"), stopped at
# exit, with vmgrd's and cockpit-ws's logs shown when the test failed.
src_root=${VMGR_SOURCE_ROOT:?}
build_root=${VMGR_BUILD_ROOT:?}
work=$VMGR_TESTBUS_DIR/web
mkdir -p "$work/state"
chmod 755 "$work"
# shellcheck source=tests/harness/cockpit.sh
. "$src_root/tests/harness/cockpit.sh"

pids=()
cleanup() {
  local rc=$? pid
  for pid in "${pids[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  if [[ $rc -ne 0 ]]; then
    for f in "$work"/state/vmgrd.log "$work"/cockpit-ws-*.log; do
      [[ -s $f ]] && { printf '\n----- %s -----\n' "$f"; tail -n 40 "$f"; } >&2
    done
  fi
  exit "$rc"
}
trap cleanup EXIT

# run_page_test: a Cockpit web server (cockpit-ws) per test user
# (vmgradmin, alice, bob) on the ports after $VMGR_WEB_PORT_BASE (default
# 9190), their URLs in VMGR_WEB_URL_ADMIN, _ALICE, _BOB, then node runs
# $test_file. Uses build_root, work and pids of the sourcing script.
run_page_test() {
  local port=${VMGR_WEB_PORT_BASE:-9190} user url
  for user in vmgradmin alice bob; do
    port=$((port + 1))
    cockpit_start "$user" "$port" "$build_root/web" "$build_root/client" "$work"
    pids+=("$cockpit_pid")
    url=http://127.0.0.1:$port/cockpit/@localhost/vmgr/index.html
    case $user in
      vmgradmin) export VMGR_WEB_URL_ADMIN=$url ;;
      alice) export VMGR_WEB_URL_ALICE=$url ;;
      bob) export VMGR_WEB_URL_BOB=$url ;;
    esac
  done
  export VMGR_WEB_NODE_MODULES=$build_root/web/node_modules
  export VMGR_WEB_LOG_DIR=${VMGR_WEB_LOG_DIR:-$build_root/meson-logs}
  node "$test_file"
}
