# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""The small readers: processes, LSMs, container detection, tools."""

from __future__ import annotations

import os

import pytest

from ansible_collections.debugready.ptrace.plugins.module_utils import _container, _lsm, _procs, _tools


@pytest.mark.parametrize("files, engine, evidence", [
    ({"/run/.containerenv": ""}, "podman", "/run/.containerenv"),
    ({"/.dockerenv": ""}, "docker", "/.dockerenv"),
    ({"/run/systemd/container": "lxc\n"}, "lxc", "/run/systemd/container"),
    ({"/proc/1/environ": "PATH=/bin\0container=podman\0"}, "podman", "container= in /proc/1/environ"),
    ({"/proc/1/cgroup": "0::/kubepods/besteffort/pod1/abc\n"}, "kubernetes", "/proc/1/cgroup"),
    ({"/proc/1/cgroup": "0::/init.scope\n"}, None, None),
])
def test_container_detection(tree, files, engine, evidence):
    for path, text in files.items():
        tree.write(path, text)
    result = _container.detect(str(tree))
    assert result == {"detected": engine is not None, "engine": engine, "evidence": evidence}


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


def test_selinux_and_apparmor(tree):
    assert _lsm.selinux(str(tree)) == {"enabled": False, "enforcing": False, "deny_ptrace": False}
    tree.write("/sys/fs/selinux/enforce", "1")
    tree.write("/sys/fs/selinux/booleans/deny_ptrace", "1 1")
    tree.write("/sys/module/apparmor/parameters/enabled", "Y\n")
    tree.write("/sys/kernel/security/lsm", "lockdown,capability,yama,apparmor")
    assert _lsm.selinux(str(tree)) == {"enabled": True, "enforcing": True, "deny_ptrace": True}
    assert _lsm.apparmor(str(tree)) == {"enabled": True}
    assert _lsm.active_lsms(str(tree)) == ["lockdown", "capability", "yama", "apparmor"]
    # securityfs lists Yama but /proc/sys does not show it (e.g. hidden): present, not writable.
    state = _lsm.yama_runtime(str(tree), ["yama"])
    assert state["present"] is True and state["writable"] is False
    assert state["not_writable_reason"] == "not_visible"


@pytest.mark.parametrize("text, scope", [("0", 0), ("3\n", 3), ("4", None), ("-1", None), ("x", None), (None, None)])
def test_parse_scope(text, scope):
    assert _lsm.parse_scope(text) == scope


@pytest.mark.parametrize("cap, initial, reason", [(False, True, "missing_cap_sys_ptrace"),
                                                  (True, False, "not_initial_user_namespace"),
                                                  (True, True, None)])
def test_yama_writable_needs_cap_and_initial_userns(tree, cap, initial, reason):
    tree.write("/proc/sys/kernel/yama/ptrace_scope", "1\n")
    state = _lsm.yama_runtime(str(tree), None, cap, initial)
    assert state["not_writable_reason"] == reason
    assert state["writable"] is (reason is None)


@pytest.mark.parametrize("line, version", [
    ("strace -- version 6.1", "6.1"),
    ("GNU gdb (Debian 13.1-3) 13.1", "13.1"),
    ("Sudo version 1.9.13p3", "1.9.13p3"),
    ("perf version 6.1.187", "6.1.187"),
    ("no digits here", None),
])
def test_parse_version(line, version):
    assert _tools.parse_version(line) == version


def test_find_tool_prefers_local_and_skips_non_executables(tree):
    tree.write("/usr/local/bin/strace", "", mode=0o644)
    tree.write("/usr/bin/strace", "", mode=0o755)
    assert _tools.find_tool("strace", str(tree)) == "/usr/bin/strace"
    tree.write("/usr/local/sbin/strace", "", mode=0o750)
    assert _tools.find_tool("strace", str(tree)) == "/usr/local/sbin/strace"
    assert _tools.find_tool("gdb", str(tree)) is None


def test_tool_facts_runs_version_only_when_asked(tree):
    tree.write("/usr/bin/strace", "", mode=0o750)
    calls = []

    def run(argv):
        calls.append(argv)
        return 0, "strace -- version 6.1\nCopyright\n", ""

    facts = _tools.tool_facts("strace", str(tree), run)
    assert calls == [["/usr/bin/strace", "-V"]]
    assert facts["version"] == "6.1" and facts["mode"] == "0750" and facts["world_executable"] is False
    assert _tools.tool_facts("strace", str(tree))["version"] is None


def test_apache_roles_and_coredump_directory(tree):
    from ansible_collections.debugready.ptrace.plugins.module_utils import _apache
    procs = [{"pid": 1, "ppid": 0, "comm": "apache2"}, {"pid": 9, "ppid": 1, "comm": "apache2"},
             {"pid": 10, "ppid": 1, "comm": "apache2"}, {"pid": 11, "ppid": 1, "comm": "sh"}]
    assert _apache.roles(procs) == {1: "master", 9: "worker", 10: "worker"}
    assert _apache.coredump_directory(str(tree)) == (None, None)
    tree.write("/etc/apache2/apache2.conf", "# CoreDumpDirectory /nope\nServerName x\n")
    assert _apache.coredump_directory(str(tree)) == (None, None)
    tree.write("/etc/apache2/conf-enabled/cores.conf", '  coredumpdirectory "/var/cores"\n')
    assert _apache.coredump_directory(str(tree)) == ("/var/cores", "/etc/apache2/conf-enabled/cores.conf")


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
