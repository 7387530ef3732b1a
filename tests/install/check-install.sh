#!/usr/bin/env bash
# check-install.sh BUILD_ROOT VMGRD_PATH POLKIT_RULES FILE...: `meson install
# --destdir` of BUILD_ROOT into a temporary directory installs exactly the
# FILEs (absolute paths as configured), nothing else, and installs them
# right: programs executable; the polkit rules readable by polkitd (0644);
# vmgrd.service and the bus activation file start VMGRD_PATH; the bus
# policy loads in a real dbus-daemon; every installed unit passes
# `systemd-analyze verify`; the man pages render.
set -euo pipefail
build_root=$1 vmgrd_path=$2 rules=$3
shift 3
here=$(dirname "$(readlink -f "$0")")
src_root=$(dirname "$(dirname "$here")")
dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT
fail() { echo "check-install: $*" >&2; exit 1; }

meson install -C "$build_root" --no-rebuild --destdir "$dest" --quiet >/dev/null

# Exactly the expected files.
printf '%s\n' "$@" | sort >"$dest.expected"
(cd "$dest" && find . \( -type f -o -type l \) | sed 's|^\.||' | sort) >"$dest.installed"
if ! diff -u "$dest.expected" "$dest.installed" >&2; then
  rm -f "$dest.expected" "$dest.installed"
  fail "installed files differ from the expected ones (- expected, + installed)"
fi
rm -f "$dest.expected" "$dest.installed"
echo "ok $# files, as expected"

[[ -x $dest$vmgrd_path ]] || fail "$vmgrd_path is not executable"
[[ $(stat -c %a "$dest$rules") == 644 ]] || fail "$rules is not mode 644 (polkitd reads it as user polkitd)"
echo "ok modes"

for f in "$@"; do
  case $f in
    */vmgrd.service | */org.vmgr.service)
      grep -q -E "^(ExecStart|Exec)=$vmgrd_path --system\$" "$dest$f" ||
        fail "$f does not start $vmgrd_path"
      ;;
  esac
done
echo "ok the unit and the activation file start $vmgrd_path"

for f in "$@"; do
  case $f in
    */system.d/org.vmgr.conf) "$src_root/dbus-1/check-policy-loads.sh" "$dest$f" ;;
  esac
done

if command -v systemd-analyze >/dev/null; then
  units=()
  for f in "$@"; do
    case $f in */systemd/system/*) units+=("$dest$f") ;; esac
  done
  "$src_root/data/systemd/check-units.sh" "$dest$vmgrd_path" "${units[@]}"
fi

if command -v man >/dev/null; then
  pages=()
  for f in "$@"; do
    case $f in */man/man[0-9]/*) pages+=("$dest$f") ;; esac
  done
  [[ ${#pages[@]} -eq 0 ]] || "$src_root/data/man/check-man.sh" "${pages[@]}"
fi
