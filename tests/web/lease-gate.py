#!/usr/bin/python3
"""lease-gate.py FILE...: hold a copy at a gate (root; see real-lxc-env.sh).

Takes a write lease on each FILE (empty files nobody has open), so that
another process's open() of one blocks until the lease is given up (or the
kernel breaks it after /proc/sys/fs/lease-break-time seconds). Prints
"held" once the leases are taken, "opened" when someone first tries to
open one of them (the kernel's lease-break signal: the copy is now waiting
at the gate), and, after a line or the end of its input, gives the leases
up, prints "released" and exits.
"""
import fcntl
import os
import signal
import sys

F_SETLEASE = 1024  # linux/fcntl.h
opened = False


def on_break(_signum, _frame):
    global opened
    if not opened:
        opened = True
        print("opened", flush=True)


signal.signal(signal.SIGIO, on_break)
fds = []
for path in sys.argv[1:]:
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    fcntl.fcntl(fd, fcntl.F_SETOWN, os.getpid())
    fcntl.fcntl(fd, F_SETLEASE, fcntl.F_WRLCK)
    fds.append(fd)
print("held", flush=True)
sys.stdin.readline()
for fd in fds:
    fcntl.fcntl(fd, F_SETLEASE, fcntl.F_UNLCK)
    os.close(fd)
print("released", flush=True)
