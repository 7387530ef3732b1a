#!/usr/bin/env bash
# bench/run.sh: build what the benchmark needs, then run vmgr-bench on a
# private system bus with the real polkitd (tests/harness/testbus.sh).
#
# Usage (as root): bench/run.sh [-n N] [-u N] [-w N] [--no-libvirt-dbus]
#                  [--vms N,N] [--real-lxc] ... (--help: every option)
#   -n N   timed calls per row (default 2000)
#   -u N   timed calls per cache_ttl=0 row (default 300)
#   -w N   untimed warm-up calls before each row (default 20)
#   --real-lxc  also the rows on real LXC containers: vmgr-bench then runs
#          under tests/harness/libvirtd.sh too (a private libvirtd, no
#          network), and the busybox-lxc template is built into
#          BUILD/templates when missing
#
# Environment: VMGR_BUILD_ROOT (default: build/ beside bench/).
# stdout: the table, then one JSON line; build output and progress go to
# stderr. See bench/README.md.
set -euo pipefail

src=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
build=${VMGR_BUILD_ROOT:-$src/build}

if [[ $(id -u) -ne 0 ]]; then
  echo "bench/run.sh: must run as root (tests/harness/testbus.sh needs it)" >&2
  exit 1
fi
if [[ ! -f $build/build.ninja ]]; then
  meson setup "$build" "$src" >&2
fi
# Only what the benchmark runs: a broken target elsewhere does not stop it.
ninja -C "$build" bench/vmgr-bench bench/vmgr-bench-driver-memory service/vmgrd >&2

export VMGR_SOURCE_ROOT=$src VMGR_BUILD_ROOT=$build
real=()
for a in "$@"; do
  if [[ $a == --real-lxc ]]; then
    export VMGR_TEMPLATE_DIR=${VMGR_TEMPLATE_DIR:-$build/templates}
    export VMGR_LIBVIRTD_CACHE_DIR=${VMGR_LIBVIRTD_CACHE_DIR:-$build/libvirt-cache}
    real=("$src/tests/harness/libvirtd.sh" --no-network --)
  fi
done
exec "$src/tests/harness/testbus.sh" -- "${real[@]}" "$build/bench/vmgr-bench" "$@"
