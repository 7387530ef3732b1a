#!/usr/bin/env bash
# check-man.sh PAGE...: each man page renders with `man -l` and groff says
# nothing (no warnings: bad requests, lines that do not fit, ...).
set -euo pipefail
status=0
for page in "$@"; do
  if ! err=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null) ||
     [[ -n $err ]]; then
    printf '%s:\n%s\n' "$page" "$err" >&2
    status=1
  else
    echo "ok $(basename "$page")"
  fi
done
exit $status
