# shellcheck shell=bash
# namespace.sh: sourced by testbus.sh and libvirtd.sh.
#
# run_unshared SCRIPT MARK UNSHARE_FLAGS... -- ARGS...
#   Runs "$BASH SCRIPT MARK ARGS..." under `unshare UNSHARE_FLAGS`, passes
#   stdin on, and exits with its status. unshare blocks SIGINT/SIGTERM while
#   it waits, so this shell stays and forwards SIGTERM/SIGHUP to the
#   namespace's init (the script's inner part); Ctrl-C reaches the whole
#   foreground group anyway, so it is not forwarded. A non-interactive shell
#   starts background commands with SIGINT and SIGQUIT ignored, which their
#   children inherit and shells cannot trap: env --default-signal undoes it.
run_unshared() {
  local script=$1 mark=$2 unshare_pid
  local -a flags=()
  shift 2
  while [[ $# -gt 0 && $1 != -- ]]; do
    flags+=("$1")
    shift
  done
  shift # --
  env --default-signal=INT,QUIT \
    unshare "${flags[@]}" -- "$BASH" "$script" "$mark" "$@" <&0 &
  unshare_pid=$!
  # shellcheck disable=SC2317 # called from the traps
  forward() {
    local sig=$1 child
    for child in $(cat "/proc/$unshare_pid/task/$unshare_pid/children" 2>/dev/null); do
      kill "-$sig" "$child" 2>/dev/null || true
    done
  }
  trap 'forward TERM' TERM
  trap 'forward HUP' HUP
  trap ':' INT
  # wait returns early (>128) when a trapped signal arrives: wait again
  # until the child is gone, then collect its status (bash remembers it).
  set +e
  while kill -0 "$unshare_pid" 2>/dev/null; do
    wait "$unshare_pid"
  done
  wait "$unshare_pid"
  exit $?
}
