# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""The process reader: /proc/PID/stat and status, dumpability, lookups by name, mount options."""

from __future__ import annotations

import os

import pytest

from ansible_collections.debugready.ptrace.plugins.module_utils import _procs


def test_stat_flags_with_hostile_comm():
    # comm may hold spaces and parentheses; the flags field is the 9th field overall.
    text = "77 (a) b) (c) S 1 77 77 0 -1 2129984 0 0 0 0 0 0\n"
    assert _procs.stat_flags(text) == 2129984
    assert _procs.stat_flags(text) & _procs.PF_KTHREAD


@pytest.mark.parametrize("owner, euid, dumpable", [(33, 33, True), (0, 33, False), (0, 0, None), (1000, 0, None)])
def test_dumpable_from_proc_owner(owner, euid, dumpable):
    assert _procs.dumpable_from_owner(owner, euid) is dumpable


def apache_worker(tree, pid=812):
    tree.write("/proc/%d/status" % pid, "Name:\tapache2\nPid:\t%d\nPPid:\t1\nTracerPid:\t0\nUid:\t33\t33\t33\t33\n"
                                        "Gid:\t33\t33\t33\t33\nCapPrm:\t0000000000000000\nCapEff:\t0000000000000000\n"
                                        "CapBnd:\t00000000a80425fb\nNoNewPrivs:\t0\nSeccomp:\t2\n" % pid)
    tree.write("/proc/%d/stat" % pid, "%d (apache2) S 1 1 1 0 -1 4194624 0 0\n" % pid)
    return tree.write("/proc/%d/environ" % pid, "")


def test_describe_fixture_process(tree):
    environ = apache_worker(tree)
    info = _procs.describe(812, str(tree))
    assert info["pid"] == 812 and info["comm"] == "apache2" and info["uids"] == [33, 33, 33, 33]
    assert info["kernel_thread"] is False
    assert info["seccomp"] == "filter"
    assert info["capabilities"]["permitted"] == 0
    # The fixture file belongs to the test's user: a www-data task whose /proc files root owns is not dumpable.
    assert info["dumpable"] is (os.stat(environ).st_uid != 0)
    with pytest.raises(_procs.ProcessGone):
        _procs.describe(999999, str(tree))


@pytest.mark.skipif(os.geteuid() != 0, reason="chown of the fixture /proc files needs root")
@pytest.mark.parametrize("owner, dumpable", [(33, True), (0, False)])
def test_describe_dumpable_from_the_proc_file_owner(tree, owner, dumpable):
    os.chown(apache_worker(tree), owner, owner)
    assert _procs.describe(812, str(tree))["dumpable"] is dumpable


def test_find_by_name_and_user(tree):
    for pid, comm, uid in ((1, "apache2", 0), (9, "apache2", 33), (12, "apache2-longer-than-15", 33), (13, "sh", 33)):
        tree.write("/proc/%d/comm" % pid, comm[:15] + "\n")
        tree.write("/proc/%d/status" % pid, "Name:\t%s\nUid:\t%d\t%d\t%d\t%d\n" % (comm[:15], uid, uid, uid, uid))
    assert _procs.find_by_name("apache2", str(tree)) == [1, 9]
    assert _procs.find_by_name("apache2", str(tree), euid=33) == [9]
    assert _procs.find_by_name("apache2-longer-than-15", str(tree)) == [12]


def test_mount_options_pick_the_longest_mount_point(tree):
    tree.write("/proc/self/mountinfo",
               "22 1 0:21 / / rw,relatime shared:1 - ext4 /dev/vda rw\n"
               "30 22 0:25 / /mnt/nosuid rw,nosuid,relatime shared:9 - tmpfs tmpfs rw,size=1k\n"
               "31 22 0:26 / /mnt/nosuid\\040x rw,relatime - tmpfs tmpfs rw\n")
    assert "nosuid" in _procs.mount_options("/mnt/nosuid/strace", str(tree))
    assert "nosuid" not in _procs.mount_options("/usr/bin/strace", str(tree))
    assert "nosuid" not in _procs.mount_options("/mnt/nosuid x/strace", str(tree))
