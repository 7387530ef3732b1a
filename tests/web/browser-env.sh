#!/usr/bin/env bash
# browser-env.sh TEST.mjs: the world of one browser test, run inside
# tests/harness/testbus.sh (private system bus, real polkitd, test users):
# vmgrd from the build tree on libvirt's test driver (sampling every
# second), a few customers and VMs, and Cockpit's web server with the
# built page on 127.0.0.1 as vmgradmin, alice and bob. Then
# `node TEST.mjs`, whose TAP output is the test's, with:
#
#   VMGR_WEB_URL_ADMIN, VMGR_WEB_URL_ALICE, VMGR_WEB_URL_BOB
#       the page as each user
#   VMGR_WEB_NODE_MODULES   where playwright-core is (the build's npm ci)
#   VMGR_WEB_LOG_DIR        where failing cases leave screenshots
#
# Seeded: customers alice (plan basic, at most 2 servers) and bob; VMs
# alice-web (alice, stopped), bob-secret (bob, running), root-db (root).
set -euo pipefail

test_file=$1
for need in /usr/lib/cockpit/cockpit-ws /usr/bin/cockpit-bridge "${VMGR_WEB_CHROMIUM:-/usr/bin/chromium}"; do
  if [[ ! -x $need ]]; then
    echo "1..0 # SKIP $need is not installed (scripts/install-deps.sh installs it)"
    exit 0
  fi
done
# shellcheck source=tests/web/env-lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/env-lib.sh"

printf '[monitoring]\ninterval=1\n' >"$work/state/vmgrd.conf"
"$build_root/service/vmgrd" --system --config "$work/state/vmgrd.conf" --state-dir "$work/state" \
  --uri test:///default </dev/null >"$work/state/vmgrd.log" 2>&1 &
pids+=($!)
gdbus wait --system --timeout 20 org.vmgr

call() { # METHOD ARGS...: a Manager method as root
  gdbus call --system --dest org.vmgr --object-path /org/vmgr/Manager \
    --method "org.vmgr.Manager.$1" "${@:2}" >/dev/null
}
call AddCustomer 60002 "{'full_name': <'Alice Example'>, 'email': <'alice@example.org'>, 'national_id': <'20111222'>, 'province': <'Mendoza'>, 'plan': <'basic'>, 'max_vms': <uint32 2>}"
call AddCustomer 60003 "{'full_name': <'Bob Example'>, 'email': <'bob@example.org'>, 'national_id': <'30222333'>, 'plan': <'complete'>, 'max_vms': <uint32 2>}"
call CreateVM alice-web debian-12 basic "{'owner': <uint32 60002>, 'addresses': <['192.168.122.11/24']>}"
call CreateVM bob-secret debian-12 complete "{'owner': <uint32 60003>, 'start': <true>}"
call CreateVM root-db debian-12 basic "{}"

run_page_test
