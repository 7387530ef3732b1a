#!/usr/bin/env bash
# demo-script.sh SOURCE_ROOT BUILD_ROOT: scripts/demo.sh stops cleanly
# however it is run and stopped (TAP). Each case starts the demo in a
# session of its own with its state and its harness directory in a fresh
# temporary directory, waits until vmgrd owns org.vmgr, stops it, and
# checks that vmgrd was stopped (not killed), that the demo exited, and
# that nothing is left in the harness directory. While the first runs,
# `demo.sh shell` enters it as root and as alice.
#   pipe-ctrl-c   `demo.sh | tee LOG`, SIGINT to the whole process group
#                 (what a terminal's Ctrl-C does)
#   sigterm       `demo.sh`, SIGTERM to the script alone (as systemd or
#                 kill would)
set -u
src_root=$1 build_root=$2

work=$(mktemp -d /tmp/vmgr-demo-test.XXXXXX)
chmod 755 "$work" # polkitd (its own user) reaches the bus socket below it
trap 'rm -rf "$work"' EXIT
case_number=0
failed=0

ok() { # CONDITION-STATUS DESCRIPTION
  case_number=$((case_number + 1))
  if [[ $1 -eq 0 ]]; then
    echo "ok $case_number - $2"
  else
    echo "not ok $case_number - $2"
    failed=1
  fi
}

wait_for() { # SECONDS FILE PATTERN
  local i
  for ((i = 0; i < $1 * 10; i++)); do
    grep -q -- "$3" "$2" 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

gone_within() { # SECONDS PID
  local i
  for ((i = 0; i < $1 * 10; i++)); do
    kill -0 "$2" 2>/dev/null || return 0
    sleep 0.1
  done
  return 1
}

run_case() { # NAME SIGNAL TARGET(group|script) PIPELINE
  local name=$1 signal=$2 target=$3 pipeline=$4
  local dir=$work/$name
  mkdir -p "$dir/state" "$dir/harness"
  chmod 755 "$dir" "$dir/harness"
  VMGR_DEMO_STATE=$dir/state VMGR_TESTBUS_TMPDIR=$dir/harness \
    BUILD_DIR=$build_root VMGR_DEMO_WEB_PORT=9390 \
    setsid bash -c "cd '$src_root' && $pipeline" >"$dir/stdout" 2>"$dir/stderr" </dev/null &
  local leader=$!

  # Stopped once it is up and has said how to stop it, as a user would.
  wait_for 240 "$dir/stderr" "Ctrl-C (or SIGTERM) stops vmgrd"
  ok $? "$name: the demo is up (vmgrd owns org.vmgr)"

  if [[ $name == pipe-ctrl-c ]]; then
    local shell_out
    shell_out=$(printf 'vmgrctl customer show alice\n' |
      VMGR_DEMO_STATE=$dir/state BUILD_DIR=$build_root "$src_root/scripts/demo.sh" shell 2>&1)
    [[ $shell_out == *"Alice Example"* ]]
    ok $? "$name: in 'demo.sh shell' the demo's user names resolve"
    shell_out=$(printf 'id -un\nvmgrctl list\n' |
      VMGR_DEMO_STATE=$dir/state BUILD_DIR=$build_root "$src_root/scripts/demo.sh" shell alice 2>&1)
    [[ $shell_out == *$'\nalice\n'* && $shell_out == *web1* && $shell_out != *shop1* ]]
    ok $? "$name: 'demo.sh shell alice' is alice, who sees only her VMs"
  fi

  if [[ $target == group ]]; then
    kill "-$signal" -- "-$leader"
  else
    kill "-$signal" "$leader" # the demo itself: bash -c execs it
  fi
  gone_within 30 "$leader"
  ok $? "$name: the demo exits within 30 s"
  kill -KILL -- "-$leader" 2>/dev/null
  wait "$leader" 2>/dev/null

  grep -q "stopping on signal" "$dir/state/vmgrd.log"
  ok $? "$name: vmgrd was stopped with a signal it handles"
  grep -q "vmgrd exited with status 0" "$dir/stderr"
  ok $? "$name: vmgrd exited with status 0"
  [[ -z $(ls -A "$dir/harness") ]]
  ok $? "$name: nothing left in the harness directory"
  if [[ $failed -ne 0 ]]; then
    sed 's/^/# /' "$dir/stderr"
  fi
}

echo "1..12"
run_case pipe-ctrl-c INT group "scripts/demo.sh | tee '$work/pipe.log'"
run_case sigterm TERM script "exec scripts/demo.sh"
exit "$failed"
