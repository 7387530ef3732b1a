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
