#!/bin/sh
# Check that every polkit action named in the API contract (api.md's
# "polkit actions" table) is defined in org.vmgr.policy.
#
# Usage: check-policy-actions.sh API_MD POLICY
# Exits 77 (skipped) when API_MD does not exist.
set -eu

api_md=$1
policy=$2

if [ ! -f "$api_md" ]; then
  echo "SKIP: $api_md not found"
  exit 77
fi

# Rows of the table look like:
#   | `org.vmgr.vm.create` / `org.vmgr.vm.delete` | ... | ... |
# Take every back-quoted org.vmgr.* id in the first column.
ids=$(sed -n '/^## polkit actions/,/^## /p' "$api_md" |
      awk -F'|' 'NF > 2 { print $2 }' |
      grep -o '`org\.vmgr\.[A-Za-z0-9.-]*`' | tr -d '`' | sort -u)

if [ -z "$ids" ]; then
  echo "FAIL: no org.vmgr.* actions found in the table of $api_md"
  exit 1
fi

status=0
n=0
for id in $ids; do
  n=$((n + 1))
  if grep -q "<action id=\"$id\">" "$policy"; then
    echo "ok: $id"
  else
    echo "MISSING: $id is in $api_md but not in $policy"
    status=1
  fi
done
echo "$n actions checked"
exit $status
