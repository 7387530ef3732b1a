#!/usr/bin/env bash
# check-units.sh VMGRD UNIT...: `systemd-analyze verify` on each UNIT, in a
# directory holding all of them (so that the units they name exist), with
# vmgrd.service's ExecStart pointed at VMGRD (the built one: verify checks
# that the program exists). Any complaint fails: verify reports unknown
# keys and bad values as warnings with exit status 0.
set -euo pipefail
vmgrd=$(readlink -f "$1")
shift
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for unit in "$@"; do
  cp "$unit" "$tmp/"
done
if [[ -f $tmp/vmgrd.service ]]; then
  sed -i "s|^ExecStart=[^ ]*/vmgrd |ExecStart=$vmgrd |" "$tmp/vmgrd.service"
fi
status=0
for unit in "$tmp"/*; do
  name=$(basename "$unit")
  # A template is verified as an instance of itself.
  case $name in
    *@.*) instance=$tmp/${name/@./@101.}; cp "$unit" "$instance"; unit=$instance ;;
  esac
  if ! out=$(cd "$tmp" && systemd-analyze verify --man=no "$unit" 2>&1) || [[ -n $out ]]; then
    printf '%s:\n%s\n' "$name" "$out" >&2
    status=1
  else
    echo "ok $name"
  fi
done
exit $status
