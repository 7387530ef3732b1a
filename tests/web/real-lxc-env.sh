#!/usr/bin/env bash
# real-lxc-env.sh TEST.mjs: the world of a browser test on real LXC
# containers, run under tests/harness/testbus.sh -- tests/harness/libvirtd.sh
# (private system bus, real polkitd, test users; a private libvirtd serving
# lxc:///system): vmgrd from the build tree on lxc:///system, the busybox
# template (scripts/build-templates.sh --only lxc, built when missing) as
# "busybox", the same with a gate as "gated", customers alice and bob,
# alice's container ct1 running, and Cockpit's web server with the built
# page on 127.0.0.1 as vmgradmin, alice and bob. Then `node TEST.mjs`, with
# what browser-env.sh gives and:
#
#   VMGR_WEB_GATE   the gate of the template "gated": two empty files in a
#                   directory of their own. A write lease on them
#                   (tests/web/lease-gate.py) holds a provisioning copy from
#                   that template at the gate until it is released, so that
#                   the page sees a job in progress without racing it.
set -euo pipefail

test_file=$1
for need in /usr/lib/cockpit/cockpit-ws /usr/bin/cockpit-bridge "${VMGR_WEB_CHROMIUM:-/usr/bin/chromium}" /usr/bin/python3; do
  if [[ ! -x $need ]]; then
    echo "1..0 # SKIP $need is not installed (scripts/install-deps.sh installs it)"
    exit 0
  fi
done
if [[ -z ${VMGR_LIBVIRT_LXC_URI:-} ]]; then
  echo "Bail out! no LXC driver (${VMGR_LIBVIRT_LXC_ERROR:-run under tests/harness/libvirtd.sh})"
  exit 1
fi
# shellcheck source=tests/web/env-lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/env-lib.sh"
template_dir=${VMGR_TEMPLATE_DIR:-$build_root/templates}

# The template, built when missing (a kernel download, if any, needs the
# host's network; the LXC template needs none, but keep to one way).
run=()
[[ -n ${VMGR_HOST_NETNS:-} ]] && run=(nsenter --net="$VMGR_HOST_NETNS" --)
if ! out=$("${run[@]}" "$src_root/scripts/build-templates.sh" --only lxc "$template_dir" 2>&1); then
  printf '%s\n' "$out" | sed 's/^/# /'
  echo "Bail out! scripts/build-templates.sh --only lxc $template_dir failed"
  exit 1
fi
busybox=$template_dir/busybox-lxc
gated=$work/gated-template
cp -a "$busybox" "$gated"
mkdir "$gated/gate"
: >"$gated/gate/a"
: >"$gated/gate/b"
export VMGR_WEB_GATE=$gated/gate

network=
[[ ${VMGR_LIBVIRT_NETWORK:-} == default ]] && network=default
printf '[daemon]\nnetwork=%s\n[monitoring]\ninterval=1\n' "$network" >"$work/state/vmgrd.conf"
"$build_root/service/vmgrd" --system --config "$work/state/vmgrd.conf" --state-dir "$work/state" \
  --uri "$VMGR_LIBVIRT_LXC_URI" </dev/null >"$work/state/vmgrd.log" 2>&1 &
pids+=($!)
gdbus wait --system --timeout 20 org.vmgr

call() { # METHOD ARGS...: a Manager method as root
  gdbus call --system --dest org.vmgr --object-path /org/vmgr/Manager \
    --method "org.vmgr.Manager.$1" "${@:2}"
}
call AddTemplate busybox "{'os': <'busybox'>, 'source': <'$busybox'>}" >/dev/null
call AddTemplate gated "{'os': <'busybox'>, 'source': <'$gated'>}" >/dev/null
call AddCustomer 60002 "{'full_name': <'Alice Example'>, 'email': <'alice@example.org'>, 'national_id': <'20111222'>, 'plan': <'basic'>, 'max_vms': <uint32 2>}" >/dev/null
call AddCustomer 60003 "{'full_name': <'Bob Example'>, 'email': <'bob@example.org'>, 'national_id': <'30222333'>, 'plan': <'basic'>, 'max_vms': <uint32 2>}" >/dev/null
ct1=$(call CreateVM ct1 busybox basic "{'owner': <uint32 60002>, 'start': <true>}")
ct1=${ct1#*\'}
ct1=${ct1%%\'*}
for ((i = 0; i < 300; i++)); do
  state=$(gdbus call --system --dest org.vmgr --object-path "$ct1" \
    --method org.freedesktop.DBus.Properties.Get org.vmgr.VM State)
  [[ $state == *"'running'"* ]] && break
  sleep 0.1
done
if [[ $state != *"'running'"* ]]; then
  echo "Bail out! ct1 did not start: $state"
  exit 1
fi

run_page_test
