#!/usr/bin/env python3
"""Report include cycles between the modules of vmgrd.

A module is a header and the sources that implement it: a .c file belongs
to the module of the first project header it includes when its name starts
with that module's name (its own header, by the project's convention;
vmgr-vm-settings.c and vmgr-vm-private.h belong to vmgr-vm), and is a
module of its own otherwise (main.c). An edge goes
from a module to the module of every project header one of its files
includes. The layers (service/*/) are enforced by the build; this finds
cycles inside a layer, which the build cannot see.

Usage: scripts/check-includes.py [SERVICE_DIR]   (default: service)
Exit status 1 when there is a cycle.
"""
import pathlib
import re
import sys

INCLUDE = re.compile(r'^#include "([^"]+\.h)"', re.M)


def module_of_header(name):
    return re.sub(r'(-private)?\.h$', '', name)


def main():
    root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else 'service')
    files = [p for p in root.rglob('*') if p.suffix in ('.c', '.h')]
    headers = {p.name for p in files if p.suffix == '.h'}
    edges = {}
    for path in files:
        includes = [h for h in INCLUDE.findall(path.read_text()) if h in headers]
        if path.suffix == '.h':
            module = module_of_header(path.name)
        elif includes and path.stem.startswith(module_of_header(includes[0])):
            module = module_of_header(includes[0])
        else:
            module = path.stem
        targets = edges.setdefault(module, set())
        targets.update(module_of_header(h) for h in includes)
        targets.discard(module)

    cycles = []
    state = {}

    def visit(node, stack):
        state[node] = 'open'
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 'open':
                cycles.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt, stack)
        stack.pop()
        state[node] = 'done'

    for node in sorted(edges):
        if node not in state:
            visit(node, [])
    for cycle in cycles:
        print('cycle: ' + ' -> '.join(cycle))
    print(f'{len(edges)} modules, {sum(len(t) for t in edges.values())} edges, '
          f'{len(cycles)} cycles')
    return 1 if cycles else 0


if __name__ == '__main__':
    sys.exit(main())
