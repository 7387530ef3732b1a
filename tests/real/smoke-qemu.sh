#!/usr/bin/env bash
# shellcheck disable=SC2016 # the console lines are for the guest's shell
# smoke-qemu.sh: prove the QEMU infrastructure works (TAP output).
#
#   tests/harness/libvirtd.sh -- tests/real/smoke-qemu.sh
#
# Boots the tiny-qemu template under TCG (<domain type='qemu'>: this
# machine's /dev/kvm is a paravirtual KVM on which stock guest kernels
# hang) by direct kernel boot, serial console logged to a file by virtlogd;
# waits for "vmgr-guest: booted"; checks the cgroup files; talks to the
# shell on the serial console through virsh console; waits for the DHCP
# lease when the harness has the 'default' network; shuts the guest down
# through the ACPI power button (virsh shutdown), falling back to destroy
# (reported as a failure) after VMGR_SMOKE_SHUTDOWN_TIMEOUT seconds.
# No memtune hard_limit: QEMU fails to start with one here (no
# CAP_SYS_RESOURCE for RLIMIT_MEMLOCK).
#
# Environment: VMGR_SMOKE_BOOT_TIMEOUT (default 120 s),
# VMGR_SMOKE_SHUTDOWN_TIMEOUT (default 60 s).
set -uo pipefail
# shellcheck source=tests/real/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

use_driver QEMU
boot_timeout=${VMGR_SMOKE_BOOT_TIMEOUT:-120}
shutdown_timeout=${VMGR_SMOKE_SHUTDOWN_TIMEOUT:-60}

ensure_templates
template=$template_dir/tiny-qemu
[[ -r $template/vmlinuz && -r $template/initramfs.cpio.gz ]] || bail "no template in $template"
diag "kernel: $(head -n 1 "$template/VERSION" 2>/dev/null)"

# libvirt's DAC driver relabels kernel and initrd for the qemu user while
# the guest runs: give the domain its own copies, in a directory that user
# can traverse.
work=$(mktemp -d "${VMGR_LIBVIRTD_DIR:-/tmp}/smoke-qemu.XXXXXX")
chmod 755 "$work"
cp -- "$template/vmlinuz" "$template/initramfs.cpio.gz" "$work/"
name=$(unique_name vmgr-smoke-qemu)
serial_log=${VMGR_LIBVIRT_LOG_DIR:-/var/log/libvirt}/qemu/$name-serial.log
cleanup() {
  remove_domains "$uri" "$name"
  rm -rf -- "$work"
}
trap cleanup EXIT

iface_xml=$(default_iface "<model type='virtio'/>")
cat >"$work/domain.xml" <<EOF
<domain type='qemu'>
  <name>$name</name>
  <memory unit='MiB'>256</memory>
  <vcpu>1</vcpu>
  <cputune><shares>512</shares></cputune>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>$work/vmlinuz</kernel>
    <initrd>$work/initramfs.cpio.gz</initrd>
    <cmdline>console=ttyS0 panic=-1 vmgr.hostname=smokeq</cmdline>
  </os>
  <features><acpi/></features>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <serial type='pty'>
      <log file='$serial_log' append='off'/>
      <target port='0'/>
    </serial>
    <console type='pty'><target type='serial' port='0'/></console>
    $iface_xml
    <memballoon model='virtio'/>
  </devices>
</domain>
EOF
check "define $name (type qemu: TCG, direct kernel boot)" quiet vsh "$uri" define "$work/domain.xml"

start_or_bail "$uri" "$name" "${VMGR_LIBVIRT_LOG_DIR:-/var/log/libvirt}/qemu/$name.log" guest

booted() { grep -q 'vmgr-guest: booted' "$serial_log" 2>/dev/null; }
if wait_until "$boot_timeout" booted; then
  t2=$(now_ms)
  ok "serial console shows 'vmgr-guest: booted'"
  diag "guest boot (start to marker): $((t2 - started_ms)) ms"
  diag "$(grep -a 'vmgr-guest: booted' "$serial_log" | tr -d '\r')"
else
  not_ok "serial console shows 'vmgr-guest: booted' within $boot_timeout s"
  diag_file "$serial_log" 30
  diag_file "${VMGR_LIBVIRT_LOG_DIR:-/var/log/libvirt}/qemu/$name.log" 20
fi
grep -aq 'acpid listening for the power button' "$serial_log" &&
  diag "guest: acpid listening for the power button"

# cgroup files (qemu-ID-NAME.libvirt-qemu, with emulator/ and vcpuN/ below)
pattern="qemu-*-$name.libvirt-qemu"
diag_cgroups "$pattern"
if [[ ${VMGR_LIBVIRT_CGROUP:-} == v2 ]]; then cpu_file=cpu.weight; else cpu_file=cpu.shares; fi
if f=$(cgroup_file "$pattern" "$cpu_file"); then
  cpu=$(cat "$f")
  diag "$f = $cpu"
  if [[ $cpu_file == cpu.shares ]]; then
    check "cpu shares 512 reached $cpu_file ($cpu)" test "$cpu" = 512
  else
    ok "cpu weight set ($cpu)"
  fi
else
  not_ok "the guest's $cpu_file exists"
fi
diag_cgroups "$pattern" memory.usage_in_bytes memory.current cpuacct.usage

# console: virsh console on the serial pty (the log file keeps getting it)
check_console_runs "$uri" "$name" 2 '' -- 'vmgr-console-42 smokeq'

check_dhcp_lease "$uri" "$name" 60 || diag_file "$serial_log" 10

# graceful shutdown through the ACPI power button
t0=$(now_ms)
check "shutdown (ACPI power button) accepted" quiet vsh "$uri" shutdown "$name"
if wait_until "$shutdown_timeout" shut_off "$uri" "$name"; then
  ok "guest powered off ($(domstate "$uri" "$name"))"
  diag "guest shutdown: $(( $(now_ms) - t0 )) ms"
else
  not_ok "guest powered off within $shutdown_timeout s (still $(domstate "$uri" "$name")): destroying it"
  diag_file "$serial_log" 10
  t0=$(now_ms)
  vsh "$uri" destroy "$name" >/dev/null
  diag "destroy: $(( $(now_ms) - t0 )) ms"
fi
tr -d '\r' <"$serial_log" | grep -a -e 'vmgr-guest:' -e 'Power down' | sed 's/^/#   serial| /'
check_cgroups_gone "$pattern"
check "undefine $name" quiet vsh "$uri" undefine "$name"

tap_done
