# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""A fixture host for _hoststate.gather (the whole snapshot): the /proc, /etc and tool files it reads."""

from __future__ import annotations

import datetime

from ansible_collections.debugready.ptrace.plugins.module_utils import _hoststate


NOW = datetime.datetime(2026, 11, 28, 12, 0, tzinfo=datetime.timezone.utc)


PODMAN_BOUNDING = "00000000800405fb"  # podman's default set: no cap_sys_ptrace (bit 19)


FULL = "000001ffffffffff"


def status(bounding=FULL, effective=FULL, nnp=0, seccomp=0):
    return ("Name:\tpython3\nUmask:\t0022\nState:\tR (running)\nPid:\t4242\nPPid:\t1\nTracerPid:\t0\n"
            "Uid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nCapInh:\t0000000000000000\nCapPrm:\t%s\nCapEff:\t%s\n"
            "CapBnd:\t%s\nCapAmb:\t0000000000000000\nNoNewPrivs:\t%d\nSeccomp:\t%d\n" % (
                effective, effective, bounding, nnp, seccomp))


def make_host(tree, bounding=FULL, yama=None, container=None):
    tree.write("/proc/self/status", status(bounding, bounding))
    tree.write("/proc/self/stat", "4242 (python3) R 1 4242 4242 0 -1 4194560 0 0 0 0\n")
    tree.write("/proc/self/environ", "")
    tree.write("/proc/self/uid_map", "         0          0 4294967295\n")
    tree.write("/proc/sys/fs/suid_dumpable", "0\n")
    tree.write("/proc/sys/kernel/osrelease", "6.1.0-28-cloud-amd64\n")
    if yama is not None:
        tree.write("/proc/sys/kernel/yama/ptrace_scope", "%s\n" % yama)
    if container == "podman":
        tree.write("/run/.containerenv", "engine=\"podman-4.3.1\"\n")
    tree.write("/etc/sudoers", "root ALL=(ALL:ALL) ALL\n@includedir /etc/sudoers.d\n", mode=0o440)
    tree.mkdir("/etc/sudoers.d")
    tree.write("/usr/bin/strace", "#!/bin/sh\n", mode=0o755)
    tree.mkdir("/usr/sbin")
    return tree


def gather(tree, **kwargs):
    kwargs.setdefault("now", NOW)
    kwargs.setdefault("hostname", "web1")
    return _hoststate.gather(root=str(tree), **kwargs)


def ids(facts):
    return [f["id"] for f in facts["findings"]]
