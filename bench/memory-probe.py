#!/usr/bin/python3
# memory-probe.py: where vmgrd's memory per VM goes (bench/README.md, row 9).
#
# Run on the harness's private bus, as root:
#
#   tests/harness/testbus.sh -- /usr/bin/python3 bench/memory-probe.py N [--inventory]
#       [--trim] [--kill]
#
# Starts build/service/vmgrd (VMGRD overrides the binary, VMGR_BUILD_ROOT the
# build tree) on test:///default with every overcommit 0, behind $WRAP when
# set (e.g. WRAP="heaptrack -o /tmp/ht"), creates N VMs as root with CreateVM
# (template debian-12, plan basic, 32 calls in flight, as vmgr-bench fills),
# and prints VmRSS per VM above the empty daemon; --inventory: again after
# one GetManagedObjects (which fills the property cache); --trim: again
# after malloc_trim(0) in vmgrd (through gdb); --kill: ends vmgrd with
# SIGKILL, so that heaptrack reports everything still allocated as leaked:
#
#   G_SLICE=always-malloc WRAP="heaptrack -o /tmp/ht" tests/harness/testbus.sh -- \
#     /usr/bin/python3 bench/memory-probe.py 10000 --kill
#   heaptrack_print -f /tmp/ht.zst --print-leaks 1 --print-peaks 0 \
#     --print-allocators 0 --print-temporary 0 -n 100000 -s 100000 > leaks.txt
#   bench/heaptrack-categories.py leaks.txt 10000
#
# (G_SLICE=always-malloc: GLib 2.74's slice allocator would otherwise charge
# whole slabs to whichever call needed a new one.)
import os
import signal
import subprocess
import sys
import tempfile
import time

import gi
gi.require_version('Gio', '2.0')
from gi.repository import Gio, GLib  # noqa: E402

WINDOW = 32


def main():
    args = [a for a in sys.argv[1:] if not a.startswith('--')]
    flags = {a for a in sys.argv[1:] if a.startswith('--')}
    if len(args) != 1 or not args[0].isdigit() or flags - {'--inventory', '--trim', '--kill'}:
        print('usage: memory-probe.py N [--inventory] [--trim] [--kill]', file=sys.stderr)
        return 2
    n = int(args[0])
    src = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    build = os.environ.get('VMGR_BUILD_ROOT', os.path.join(src, 'build'))
    vmgrd = os.environ.get('VMGRD', os.path.join(build, 'service', 'vmgrd'))
    state = tempfile.mkdtemp(prefix='vmgr-memory-probe-')
    conf = os.path.join(state, 'vmgrd.conf')
    with open(conf, 'w') as f:
        f.write('[resources]\ncpu_overcommit=0\nmemory_overcommit=0\ndisk_overcommit=0\n')
    log = open(os.path.join(state, 'vmgrd.log'), 'w')
    proc = subprocess.Popen(os.environ.get('WRAP', '').split() +
                            [vmgrd, '--system', '--config', conf, '--state-dir', state,
                             '--uri', 'test:///default'],
                            stdout=log, stderr=subprocess.STDOUT, cwd=state)
    bus = Gio.bus_get_sync(Gio.BusType.SYSTEM, None)

    pid = None
    for _ in range(600):
        try:
            reply = bus.call_sync('org.freedesktop.DBus', '/org/freedesktop/DBus',
                                  'org.freedesktop.DBus', 'GetConnectionUnixProcessID',
                                  GLib.Variant('(s)', ('org.vmgr',)), None, 0, -1, None)
            pid = reply.unpack()[0]
            break
        except GLib.Error:
            time.sleep(0.1)
    if pid is None:
        print('vmgrd did not own org.vmgr; its log is in ' + state, file=sys.stderr)
        return 1

    def rss():
        with open('/proc/%d/status' % pid) as status:
            for line in status:
                if line.startswith('VmRSS:'):
                    return int(line.split()[1])

    def report(what):
        print('%s: VmRSS %d KiB, %.3f KiB per VM above empty'
              % (what, rss(), (rss() - empty) / max(n, 1)), flush=True)

    time.sleep(1)
    empty = rss()
    print('vmgrd pid %d, empty: VmRSS %d KiB' % (pid, empty), flush=True)

    loop = GLib.MainLoop()
    fill = {'next': 0, 'in_flight': 0, 'error': None}

    def issue():
        while fill['next'] < n and fill['in_flight'] < WINDOW and fill['error'] is None:
            i = fill['next']
            fill['next'] += 1
            fill['in_flight'] += 1
            bus.call('org.vmgr', '/org/vmgr/Manager', 'org.vmgr.Manager', 'CreateVM',
                     GLib.Variant('(sssa{sv})', ('scale-%05d' % i, 'debian-12', 'basic',
                                                 {'id': GLib.Variant('u', 10000 + i)})),
                     None, 0, 120000, None, done)

    def done(source, result):
        fill['in_flight'] -= 1
        try:
            bus.call_finish(result)
        except GLib.Error as e:
            fill['error'] = fill['error'] or e
        issue()
        if fill['in_flight'] == 0:
            loop.quit()

    start = time.time()
    issue()
    if n > 0:
        loop.run()
    if fill['error'] is not None:
        print('CreateVM failed: ' + fill['error'].message, file=sys.stderr)
    print('%d VMs created in %.1f s' % (fill['next'], time.time() - start), flush=True)
    time.sleep(2)
    report('filled')
    if '--inventory' in flags:
        bus.call_sync('org.vmgr', '/org/vmgr', 'org.freedesktop.DBus.ObjectManager',
                      'GetManagedObjects', None, None, 0, 120000, None)
        time.sleep(1)
        report('after one GetManagedObjects')
    if '--trim' in flags:
        subprocess.run(['gdb', '-p', str(pid), '-batch', '-ex', 'call (int) malloc_trim(0)'],
                       capture_output=True)
        report('after malloc_trim(0)')
    os.kill(pid, signal.SIGKILL if '--kill' in flags else signal.SIGTERM)
    proc.wait()
    print('state directory (vmgrd.log): ' + state)
    return 0 if fill['error'] is None else 1


if __name__ == '__main__':
    sys.exit(main())
