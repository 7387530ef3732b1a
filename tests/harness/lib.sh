# shellcheck shell=bash
# shellcheck disable=SC2154 # harness_name, keep_dir, tmp: set by the harness
# lib.sh: what testbus.sh and libvirtd.sh share (sourced by both).
#
# Before sourcing, the harness sets:
#   harness_name  the prefix of its messages
#   script        its own path (readlink -f), whose header is its usage
# Both run in two parts: the outer part checks and re-runs the script in
# new namespaces (run_unshared); the inner part (PID 1 there) sets up,
# runs CMD (run_command) and cleans up at exit (cleanup_start ...
# cleanup_finish, in its cleanup trap). The inner part's state used here:
#   tmp, keep_dir  the temporary directory, and whether to keep it
#   mounted        mount points to undo at exit (mount_on)
#   cmd_pid, cmd_wrapper (a command to run CMD through, e.g. to close a
#                  descriptor)

log() { printf '%s: %s\n' "$harness_name" "$*" >&2; }
die() { log "$*"; exit 1; }

usage() {
  sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "$script" >&2
  exit 2
}

# ---- the outer part ---------------------------------------------------------

# check_options FLAGS VALUE_OPTIONS ARGS...: ARGS are options (FLAGS, or
# VALUE_OPTIONS followed by a value; space-separated lists), then "--";
# otherwise (or for -h/--help) print the usage and exit.
check_options() {
  local flags=" $1 " values=" $2 " a expect_value=0
  shift 2
  for a in "$@"; do
    if [[ $expect_value -eq 1 ]]; then expect_value=0; continue; fi
    case $a in
      --) return 0 ;;
      -h|--help) usage ;;
    esac
    if [[ $flags == *" $a "* ]]; then continue; fi
    if [[ $values == *" $a "* ]]; then expect_value=1; continue; fi
    log "unknown option: $a"
    usage
  done
  usage
}

# require_root WHY, require_tools TOOL...: die unless so.
require_root() {
  [[ $(id -u) -eq 0 ]] || die "must run as root ($1)"
}
require_tools() {
  local tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null || die "$tool not found (run scripts/install-deps.sh)"
  done
}

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
  wait_forwarding forward "$unshare_pid"
}

# wait_forwarding FORWARD PID: waits for PID, calling FORWARD SIG for each
# SIGTERM and SIGHUP that arrives meanwhile (SIGINT is ignored: a terminal
# sends it to the whole foreground group), and exits with PID's status.
wait_forwarding() {
  local forward=$1 pid=$2
  # shellcheck disable=SC2064 # $forward now
  trap "$forward TERM" TERM
  # shellcheck disable=SC2064
  trap "$forward HUP" HUP
  trap ':' INT
  # wait returns early (>128) when a trapped signal arrives: wait again
  # until the child is gone, then collect its status (bash remembers it).
  set +e
  while kill -0 "$pid" 2>/dev/null; do
    wait "$pid"
  done
  wait "$pid"
  exit $?
}

# ---- the inner part ---------------------------------------------------------

mounted=()
cmd_pid=
cmd_wrapper=()

mount_on() { # mount ARGS... (last argument is the mount point)
  mount "$@"
  mounted+=("${!#}")
}

undo_mounts() { # in reverse order
  local i
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
    umount "${mounted[i]}" 2>/dev/null || umount -l "${mounted[i]}" 2>/dev/null
  done
}

alive() { # PID: running and not a zombie (no forks: used while counting processes)
  local line state
  { read -r line <"/proc/$1/stat"; } 2>/dev/null || return 1
  state=${line##*) }
  state=${state%% *}
  [[ -n $state && $state != Z && $state != X ]]
}

stop_pid() { # PID [SECONDS]: SIGTERM, then SIGKILL after SECONDS (default 5)
  local pid=$1 secs=${2:-5} i
  [[ -n $pid ]] || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < secs * 10; i++)); do
    alive "$pid" || break
    sleep 0.1
  done
  if alive "$pid"; then
    log "pid $pid did not stop within ${secs} s: killing it"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}

# trap_exit CLEANUP: CLEANUP at exit, and exit on SIGTERM, SIGHUP, SIGINT
# with the shell's usual status.
trap_exit() {
  # shellcheck disable=SC2064 # $1 now
  trap "$1" EXIT
  trap 'exit 143' TERM
  trap 'exit 129' HUP
  trap 'exit 130' INT
}

# cleanup_start SECONDS: the start of the cleanup trap (after
# `local rc=$?`): no more traps, no errexit, and CMD stopped if it still
# runs (SIGKILL after SECONDS).
cleanup_start() {
  trap - EXIT TERM HUP INT
  set +e
  if [[ -n $cmd_pid ]] && alive "$cmd_pid"; then
    stop_pid "$cmd_pid" "$1"
  fi
}

# reap_namespace: as PID 1 of the harness's PID namespace, stop whatever
# CMD left running (SIGTERM, then SIGKILL after a second), so that nothing
# writes into the temporary directory while it is removed.
reap_namespace() {
  local i
  [[ $$ -eq 1 ]] || return 0
  kill -TERM -1 2>/dev/null || return 0
  for ((i = 0; i < 10; i++)); do
    kill -0 -1 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL -1 2>/dev/null
  while wait -n 2>/dev/null; do :; done
}

# unmount_under DIR: what CMD mounted below DIR (a test's tmpfs), deepest
# first; a mount point cannot be removed.
unmount_under() {
  local target
  while read -r _ target _; do
    [[ $target == "$1"/* ]] && umount -l "$target" 2>/dev/null
  done < <(tac /proc/self/mounts)
}

# cleanup_finish RC: the end of the cleanup trap: leftovers of CMD stopped
# and unmounted, the temporary directory removed (or kept with
# --keep-dir), exit with RC.
cleanup_finish() {
  reap_namespace
  unmount_under "$tmp"
  if [[ $keep_dir -eq 1 ]]; then
    log "kept $tmp"
  else
    rm -rf -- "$tmp"
  fi
  exit "$1"
}

# run_command CMD...: runs CMD (through "${cmd_wrapper[@]}") with stdin
# kept, in the background so that SIGTERM/SIGHUP reach us at once and are
# passed on (SIGINT from a terminal reaches CMD directly); exits with
# CMD's status.
run_command() {
  "${cmd_wrapper[@]}" env --default-signal=INT,QUIT -- "$@" <&0 &
  cmd_pid=$!
  wait_forwarding forward_to_cmd "$cmd_pid"
}

# shellcheck disable=SC2317 # called from the traps
forward_to_cmd() { # SIG
  [[ -n $cmd_pid ]] && kill "-$1" "$cmd_pid" 2>/dev/null
  return 0
}
