#!/usr/bin/python3
# heaptrack-categories.py: what vmgrd still holds at a SIGKILL (heaptrack's
# "leaks"), per VM and by what holds it. See bench/memory-probe.py.
#
#   bench/heaptrack-categories.py LEAKS.txt N [EMPTY_KIB] [--detail PREFIX]
#
# LEAKS.txt: heaptrack_print --print-leaks 1 -n 100000 -s 100000 output;
# N: the VMs; EMPTY_KIB: the heap of an empty daemon measured the same way
# (memory-probe.py 0 --kill), left out of the total. Prints a Markdown table
# (KiB and allocations per VM); --detail PREFIX lists the largest call
# stacks of the categories whose name starts with PREFIX.
import collections
import re
import sys


def among(*keys):
    return lambda stack: any(k in stack for k in keys)


def registry_connects(stack):
    before = stack.split('vmgr_registry_add_vm')[0]
    return ('vmgr_registry_add_vm' in stack and 'export_object' not in stack and
            'g_signal_connect' in before)


# First match wins: the order matters.
CATEGORIES = [
    ('test driver domain (virDomainDefineXML, in vmgrd)', among('define_thread', 'virDomainDefineXML')),
    ('property cache (bus/vmgr-property-cache.c)', among('vmgr_property_cache_')),
    ('inventory kept serialized (bus/vmgr-dispatch-views.c)', among('inventory_for')),
    ('GDBus export: ObjectManagerServer + register_object', among('g_dbus_object_manager_server_export')),
    ('GDBusObjectSkeleton per VM', among('vmgr_dbus_object_skeleton_new', 'g_dbus_object_skeleton_add_interface')),
    ('spec kept by the ledger (+ name keys)', among('vmgr-ledger.c')),
    ('signal handlers the registry connects', registry_connects),
    ('object-added handlers (vm-units, dispatcher)', among('export_object')),
    ('registry index', among('vmgr_registry_index')),
    ('VM skeleton instance (GObject, ~45 GValues)',
     lambda s: 'vmgr_vm_new' in s and 'g_object_new' in s.split('vmgr_vm_new')[0]
     and 'set_property' not in s.split('vmgr_vm_new')[0]),
    ('spec kept by the VM', lambda s: 'vmgr_vm_spec_copy' in s and 'vmgr_vm_new' in s),
    ('skeleton property values', among('set_property', 'vmgr_vm_sync_properties', 'g_object_set',
                                       'vmgr_vm_clear_pending_changes')),
    ('usage history', among('vmgr_usage_history')),
    ('sqlite (page cache, bounded)', among('sqlite3')),
    ("GSignal's handler tables", among('g_signal_connect')),
    ('registry tables and paths', among('vmgr_registry_add_vm')),
]


def size(text):
    m = re.match(r'([\d.]+)([KMG]?)', text)
    return float(m.group(1)) * {'': 1, 'K': 1024, 'M': 1024 ** 2, 'G': 1024 ** 3}[m.group(2)]


def read_entries(path):
    entries, current = [], None
    with open(path) as f:
        for line in f:
            m = re.match(r'^([\d.]+[KMG]?)B? leaked over (\d+) calls from(:?)', line)
            if m:
                # "from:" opens a call stack; "from" (no colon) an allocator's group.
                current = [size(m.group(1)), int(m.group(2)), []] if m.group(3) else None
                if current is not None:
                    entries.append(current)
            elif current is not None and line.startswith('    ') and not line.startswith('      '):
                current[2].append(line.strip())
            elif current is not None and line.startswith('      at '):
                current[2][-1] += '@' + line.strip()[3:].split('/')[-1]
    return entries


def categorize(frames):
    stack = ' <- '.join(frames)
    for name, matches in CATEGORIES:
        if matches(stack):
            return name
    return 'other'


def main():
    args = sys.argv[1:]
    detail = None
    if '--detail' in args:
        i = args.index('--detail')
        detail = args[i + 1]
        del args[i:i + 2]
    if len(args) not in (2, 3):
        print('usage: heaptrack-categories.py LEAKS.txt N [EMPTY_KIB] [--detail PREFIX]',
              file=sys.stderr)
        return 2
    entries = read_entries(args[0])
    n = float(args[1])
    empty = float(args[2]) * 1024 if len(args) == 3 else 0.0
    total, calls = collections.Counter(), collections.Counter()
    stacks = collections.Counter()
    for bytes_, count, frames in entries:
        name = categorize(frames)
        total[name] += bytes_
        calls[name] += count
        if detail is not None and name.startswith(detail):
            stacks[' <- '.join(frames[:7])] += bytes_
    print('| what | KiB per VM | allocations per VM |')
    print('|---|---|---|')
    for name, bytes_ in total.most_common():
        print('| %s | %.2f | %.0f |' % (name, bytes_ / 1024 / n, calls[name] / n))
    print('| heap in all (requested bytes, empty daemon left out) | %.2f | %.0f |'
          % ((sum(total.values()) - empty) / 1024 / n, sum(calls.values()) / n))
    for stack, bytes_ in stacks.most_common(15):
        print('%.3f KiB/VM  %s' % (bytes_ / 1024 / n, stack))
    return 0


if __name__ == '__main__':
    sys.exit(main())
