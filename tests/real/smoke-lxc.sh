#!/usr/bin/env bash
# shellcheck disable=SC2016 # the console lines are for the guest's shell
# smoke-lxc.sh: prove the LXC infrastructure works (TAP output).
#
#   tests/harness/libvirtd.sh -- tests/real/smoke-lxc.sh
#
# Container A: the busybox-lxc template shared read-only as its root,
# memtune hard_limit and cputune shares, DHCP on the 'default' network when
# the harness has it. Checks the cgroup files (then changes both limits
# live and checks again), talks to the shell on its console, shuts it down
# with SIGTERM (virsh shutdown --mode signal).
# Container B: a per-domain copy of the template with /etc/hostname and
# /etc/vmgr-network (static address), checked on the console, destroyed.
# Templates are built first when missing (scripts/build-templates.sh into
# $VMGR_TEMPLATE_DIR, default $VMGR_BUILD_ROOT/templates).
set -uo pipefail
# shellcheck source=tests/real/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

use_driver LXC

ensure_templates
template=$template_dir/busybox-lxc
[[ -x $template/sbin/init ]] || bail "no template in $template"

work=$(mktemp -d "${VMGR_LIBVIRTD_DIR:-/tmp}/smoke-lxc.XXXXXX")
name_a=$(unique_name vmgr-smoke-lxc)
name_b=$(unique_name vmgr-smoke-lxc-static)
cleanup() {
  remove_domains "$uri" "$name_a" "$name_b"
  rm -rf -- "$work"
}
trap cleanup EXIT

iface_xml=$(default_iface)

# ---- container A -----------------------------------------------------------
cat >"$work/a.xml" <<EOF
<domain type='lxc'>
  <name>$name_a</name>
  <memory unit='MiB'>128</memory>
  <memtune><hard_limit unit='MiB'>96</hard_limit></memtune>
  <vcpu>1</vcpu>
  <cputune><shares>512</shares></cputune>
  <os><type>exe</type><init>/sbin/init</init></os>
  <features><privnet/></features>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <filesystem type='mount' accessmode='passthrough'>
      <source dir='$template'/>
      <target dir='/'/>
      <readonly/>
    </filesystem>
    $iface_xml
    <console type='pty'/>
  </devices>
</domain>
EOF
check "define $name_a (shared read-only template root)" vsh "$uri" define "$work/a.xml"

start_or_bail "$uri" "$name_a" "/var/log/libvirt/lxc/$name_a.log" container
running() { [[ $(domstate "$uri" "$name_a") == running* ]]; }
check "$name_a is running" running

# cgroup files
pattern="lxc-*-$name_a.libvirt-lxc"
have_cgroup() { [[ -n $(cgroup_dirs "$pattern") ]]; }
wait_until 5 have_cgroup
diag_cgroups "$pattern"
if [[ ${VMGR_LIBVIRT_CGROUP:-} == v2 ]]; then
  mem_file=memory.max cpu_file=cpu.weight
  want_mem=$((96 * 1024 * 1024)) want_cpu=  # shares -> weight: libvirt's mapping
else
  mem_file=memory.limit_in_bytes cpu_file=cpu.shares
  want_mem=$((96 * 1024 * 1024)) want_cpu=512
fi
cg_value() { # FILE
  local f
  f=$(cgroup_file "$pattern" "$1") || return 1
  cat "$f"
}
mem=$(cg_value "$mem_file" || echo missing)
cpu=$(cg_value "$cpu_file" || echo missing)
diag "$(cgroup_file "$pattern" "$mem_file" || echo "$mem_file not found") = $mem"
diag "$(cgroup_file "$pattern" "$cpu_file" || echo "$cpu_file not found") = $cpu"
check "hard_limit 96 MiB reached $mem_file ($mem)" test "$mem" = "$want_mem"
if [[ -n $want_cpu ]]; then
  check "cpu shares 512 reached $cpu_file ($cpu)" test "$cpu" = "$want_cpu"
else
  check "cpu shares reached $cpu_file ($cpu)" test "$cpu" != missing
fi
diag_cgroups "$pattern" memory.usage_in_bytes memory.current cpuacct.usage pids.current

# live changes
check "memtune --hard-limit 80M --live" vsh "$uri" memtune "$name_a" --hard-limit 81920 --live
check "schedinfo cpu_shares=256 --live" quiet vsh "$uri" schedinfo "$name_a" --live cpu_shares=256
mem=$(cg_value "$mem_file" || echo missing)
cpu=$(cg_value "$cpu_file" || echo missing)
diag "after live change: $mem_file = $mem, $cpu_file = $cpu"
check "live hard_limit reached $mem_file ($mem)" test "$mem" = $((80 * 1024 * 1024))
if [[ -n $want_cpu ]]; then
  check "live cpu shares reached $cpu_file ($cpu)" test "$cpu" = 256
fi

# console
check_console_runs "$uri" "$name_a" 2 -- 'vmgr-console-42'
# Whether libvirt replays what the container printed before we attached
# depends on timing: worth a note, not a verdict. The echo is.
if grep -q 'vmgr-container: booted' <<<"$console_out"; then
  diag "console replayed the boot marker"
else
  diag "console did not replay the boot marker (printed before we attached)"
fi

# network (DHCP from libvirt's dnsmasq; the bridge has STP on, so the port
# forwards only after about 4 s)
check_dhcp_lease "$uri" "$name_a" 30

# shutdown by signal
t0=$(now_ms)
# libvirt now and then answers "Init process ID is not yet known" for a
# moment (seen once in ~20 runs here): ask again for a few seconds.
signal_shutdown() { vsh "$uri" shutdown --mode signal "$name_a" >/dev/null 2>&1; }
check "shutdown --mode signal accepted" wait_until 5 signal_shutdown
if wait_until 15 shut_off "$uri" "$name_a"; then
  ok "container stopped on SIGTERM ($(domstate "$uri" "$name_a"))"
  diag "container stop: $(( $(now_ms) - t0 )) ms"
else
  not_ok "container stopped on SIGTERM (still $(domstate "$uri" "$name_a") after 15 s)"
  vsh "$uri" destroy "$name_a" >/dev/null 2>&1
fi
check_cgroups_gone "$pattern"
check "undefine $name_a" quiet vsh "$uri" undefine "$name_a"

# ---- container B: per-domain copy, static network config ------------------
cp -a "$template" "$work/root-b"
echo smokeb >"$work/root-b/etc/hostname"
static_iface=
if [[ $network == default ]]; then
  cat >"$work/root-b/etc/vmgr-network" <<'EOF'
ADDRESS=192.168.122.250/24
GATEWAY=192.168.122.1
NAMESERVERS="192.168.122.1"
EOF
  static_iface=$iface_xml
fi
cat >"$work/b.xml" <<EOF
<domain type='lxc'>
  <name>$name_b</name>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type>exe</type><init>/sbin/init</init></os>
  <features><privnet/></features>
  <devices>
    <filesystem type='mount' accessmode='passthrough'>
      <source dir='$work/root-b'/>
      <target dir='/'/>
    </filesystem>
    $static_iface
    <console type='pty'/>
  </devices>
</domain>
EOF
t0=$(now_ms)
if vsh "$uri" define "$work/b.xml" >/dev/null && vsh "$uri" start "$name_b" >/dev/null; then
  ok "define and start $name_b (own copy of the template)"
  diag "container start: $(( $(now_ms) - t0 )) ms (define + start)"
  out=$(console_session "$uri" "$name_b" 1 'echo host=$(hostname) addr=$(ip -4 -o addr show eth0 2>/dev/null | awk "{print \$4}") dns=$(cat /etc/resolv.conf 2>/dev/null | tr "\n" " ")')
  diag_console "$out"
  check "hostname from /etc/hostname" grep -q 'host=smokeb ' <<<"$out"
  if [[ $network == default ]]; then
    check "address from /etc/vmgr-network" grep -q 'addr=192.168.122.250/24' <<<"$out"
    check "resolv.conf from /etc/vmgr-network" grep -q 'dns=nameserver 192.168.122.1' <<<"$out"
  fi
  t0=$(now_ms)
  check "destroy $name_b" quiet vsh "$uri" destroy "$name_b"
  diag "container destroy: $(( $(now_ms) - t0 )) ms"
else
  not_ok "define and start $name_b (own copy of the template)"
  diag_file "/var/log/libvirt/lxc/$name_b.log" 30
fi
check "undefine $name_b" quiet vsh "$uri" undefine "$name_b"

tap_done
