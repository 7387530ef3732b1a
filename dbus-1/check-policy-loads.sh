#!/usr/bin/env bash
# check-policy-loads.sh POLICY: a real dbus-daemon, configured as a system
# bus that includes POLICY, starts and listens (it refuses to start on a
# policy it cannot parse: an unknown element or attribute, bad XML).
set -euo pipefail
policy=$(readlink -f "$1")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/system.conf" <<END
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=$tmp/socket</listen>
  <auth>EXTERNAL</auth>
  <policy context="default"><allow user="*"/></policy>
  <include>$policy</include>
</busconfig>
END
dbus-daemon --config-file="$tmp/system.conf" --nofork --nopidfile --print-address=1 \
  >"$tmp/address" 2>"$tmp/log" &
pid=$!
for _ in $(seq 100); do
  [[ -s $tmp/address ]] && break
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.05
done
kill "$pid" 2>/dev/null || true
wait "$pid" 2>/dev/null || true
if [[ ! -s $tmp/address ]]; then
  cat "$tmp/log" >&2
  echo "dbus-daemon did not start with $policy" >&2
  exit 1
fi
echo "dbus-daemon loaded $policy and listened on $(cat "$tmp/address")"
