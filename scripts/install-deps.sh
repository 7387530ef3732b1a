#!/usr/bin/env bash
# Install the Debian 12 packages vmgr needs to build, test and run its demo.
#
# Idempotent: installs nothing (and does not touch the network) when every
# package is already present. Installing needs root; checking does not.
#
# Usage: scripts/install-deps.sh
set -euo pipefail

PACKAGES=(
  build-essential
  pkg-config
  meson
  ninja-build
  libglib2.0-dev
  libglib2.0-bin          # gdbus
  libpolkit-gobject-1-dev
  polkitd                 # polkitd, pkcheck, pkaction
  dbus-daemon
  dbus-bin                # dbus-send
  libvirt-dev
  libvirt-glib-1.0-dev    # libvirt-glib, libvirt-gconfig, libvirt-gobject
  libvirt-clients
  libvirt-daemon
  libvirt-daemon-system
  libsqlite3-dev
  sqlite3
  libjson-glib-dev
  libxml2-utils           # xmllint
  valgrind
  clang                   # the fuzz build (-Dfuzzing=true)
  libclang-rt-14-dev      # libFuzzer and clang's sanitizer runtimes
  util-linux              # setpriv, unshare, runuser
  e2fsprogs               # mke2fs -d, debugfs, resize2fs: LXC root images
  busybox-static
  qemu-system-x86
  qemu-utils              # qemu-img: guests' own disks
  zstd                    # backups: tar --zstd (GNU tar itself is essential)
  libvirt-daemon-driver-lxc   # only a Recommends of libvirt-daemon
  libvirt-daemon-driver-qemu
  dnsmasq-base            # the libvirt default network's DHCP
  iproute2                # ip: the libvirtd harness's network namespace
  iptables
  libvirt-dbus
  python3
  systemd                 # systemd --user, systemd-analyze, systemd.pc (tests/systemd)
  dbus-user-session       # dbus.socket/dbus.service for systemd --user
  libdbus-1-dev           # dbus-1.pc: where the bus policy goes
  scdoc                   # man pages
  man-db                  # man -l: the man pages render
  bash-completion         # bash-completion.pc, and the completion test
  # the web panel (web/): built with node and npm, tested in chromium
  # against Cockpit's web server
  nodejs
  cockpit-ws
  cockpit-bridge
  chromium
)

# Installed only when the distribution has them (pkexec is a separate
# package from polkitd since polkit 122; older releases ship it elsewhere).
OPTIONAL_PACKAGES=(
  pkexec
)
# Debian packages npm apart from nodejs; other builds of nodejs (e.g.
# NodeSource's) carry their own npm and conflict with Debian's.
command -v npm >/dev/null 2>&1 || OPTIONAL_PACKAGES+=(npm)

log() { printf 'install-deps: %s\n' "$*" >&2; }

is_installed() {
  local status
  status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$1" 2>/dev/null) || return 1
  [[ $status == ii* ]]
}

# Candidate version of a package known to apt, or empty if apt knows none.
candidate() {
  LC_ALL=C apt-cache policy "$1" 2>/dev/null |
    awk '$1 == "Candidate:" { if ($2 != "(none)") print $2; exit }'
}

missing=()
for p in "${PACKAGES[@]}"; do
  is_installed "$p" || missing+=("$p")
done

optional_missing=()
for p in "${OPTIONAL_PACKAGES[@]}"; do
  is_installed "$p" || optional_missing+=("$p")
done

if [[ ${#missing[@]} -eq 0 && ${#optional_missing[@]} -eq 0 ]]; then
  log "all packages already installed"
  exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
  if [[ ${#missing[@]} -eq 0 ]]; then
    log "optional packages not installed: ${optional_missing[*]} (run as root to install them)"
    exit 0
  fi
  log "missing packages: ${missing[*]}"
  log "must run as root to install them (try: sudo $0)"
  exit 1
fi

updated=0
apt_update() {
  [[ $updated -eq 0 ]] || return 0
  local out
  log "apt-get update"
  if ! out=$(apt-get update -qq 2>&1); then
    printf '%s\n' "$out" >&2
    log "apt-get update failed"
    exit 1
  fi
  updated=1
}

have_package_lists() {
  compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null
}

if [[ ${#missing[@]} -gt 0 ]] || ! have_package_lists; then
  apt_update
fi

# Optional packages: install only those the archive has (apt-cache policy
# shows a candidate).
to_install=("${missing[@]}")
for p in "${optional_missing[@]}"; do
  if [[ -n $(candidate "$p") ]]; then
    to_install+=("$p")
  else
    log "skipping $p (not available from the configured archives)"
  fi
done

if [[ ${#to_install[@]} -eq 0 ]]; then
  log "all required packages already installed"
  exit 0
fi

apt_install() {
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
    --no-install-recommends "${to_install[@]}" 2>&1
}

log "installing: ${to_install[*]}"
if ! out=$(apt_install); then
  if [[ $updated -eq 0 ]]; then
    # Stale package lists (e.g. only an optional package was missing and
    # the lists were not refreshed): refresh once and retry.
    apt_update
    out=$(apt_install) || { printf '%s\n' "$out" >&2; log "apt-get install failed"; exit 1; }
  else
    printf '%s\n' "$out" >&2
    log "apt-get install failed"
    exit 1
  fi
fi
log "installed: ${to_install[*]}"
