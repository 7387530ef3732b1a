#!/bin/sh
# Check that the polkit policy defines exactly the actions vmgrd asks for:
# every VMGR_ACTION_* of the names header, and nothing else.
#
# Usage: check-policy-actions.sh NAMES_H POLICY
set -eu

names_h=$1
policy=$2

wanted=$(sed -n 's/^#define VMGR_ACTION_[A-Z_]* "\(org\.vmgr\.[a-z.-]*\)".*/\1/p' "$names_h" | sort -u)
defined=$(sed -n 's/.*<action id="\([^"]*\)">.*/\1/p' "$policy" | sort -u)

if [ -z "$wanted" ]; then
  echo "FAIL: no VMGR_ACTION_* in $names_h"
  exit 1
fi

status=0
for id in $wanted; do
  if printf '%s\n' "$defined" | grep -qx "$id"; then
    echo "ok: $id"
  else
    echo "MISSING: vmgrd asks for $id but $policy does not define it"
    status=1
  fi
done
for id in $defined; do
  if ! printf '%s\n' "$wanted" | grep -qx "$id"; then
    echo "UNUSED: $policy defines $id, which vmgrd never asks for"
    status=1
  fi
done
echo "$(printf '%s\n' "$wanted" | wc -l) actions checked"
exit $status
