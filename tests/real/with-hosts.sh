#!/usr/bin/env bash
# with-hosts.sh: run CMD with N libvirtd "hosts" (lib.sh hosts_start),
# inside tests/harness/libvirtd.sh:
#
#   tests/harness/libvirtd.sh --no-network -- tests/real/with-hosts.sh 2 -- CMD...
#
# CMD gets VMGR_HOSTS (N), VMGR_HOST_QEMU_URIS and VMGR_HOST_LXC_URIS
# (space-separated, host 1 first), VMGR_HOSTS_DIR (each host's state and
# logs in hI/) and VMGR_HOSTS_CTL: a command to kill or start a host's
# libvirtd (VMGR_HOSTS_CTL kill I | start I). Its output is CMD's (TAP).
set -uo pipefail
# shellcheck source=tests/real/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if [[ ${1:-} == __ctl__ ]]; then
  # kill|start I, from CMD: the state comes from the environment
  hosts_dir=$VMGR_HOSTS_DIR
  read -r -a host_holder <<<"$VMGR_HOSTS_HOLDERS"
  host_holder=(0 "${host_holder[@]}")
  read -r -a host_cgroups <<<"$VMGR_HOSTS_CGROUPS"
  case $2 in
    kill) host_kill "$3" ;;
    start) host_start "$3" >&2 ;;
    *) exit 2 ;;
  esac
  exit
fi

n=${1:?usage: with-hosts.sh N -- CMD...}
shift
[[ ${1:-} == -- ]] && shift
[[ $# -gt 0 ]] || bail "no command"
trap hosts_cleanup EXIT
ensure_templates >&2
hosts_start "$n" >&2 || bail "the hosts did not start"
qemu_uris="" lxc_uris=""
for ((i = 1; i <= n; i++)); do
  qemu_uris+="$(host_uri qemu "$i") " lxc_uris+="$(host_uri lxc "$i") "
done
export VMGR_HOSTS=$n VMGR_HOSTS_DIR=$hosts_dir
export VMGR_HOST_QEMU_URIS=${qemu_uris% } VMGR_HOST_LXC_URIS=${lxc_uris% }
export VMGR_HOSTS_HOLDERS="${host_holder[*]:1}" VMGR_HOSTS_CGROUPS="${host_cgroups[*]}"
export VMGR_HOSTS_CTL="$BASH ${BASH_SOURCE[0]} __ctl__"
"$@"
