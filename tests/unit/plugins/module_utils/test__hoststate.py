# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""The whole snapshot on fixture hosts: a container without SYS_PTRACE, a Yama host, odd hosts."""

from __future__ import annotations

import os
import struct
import threading

from ansible_collections.debugready.ptrace.plugins.module_utils import _hoststate, _sysctl_write

from snapshot_fixtures import NOW, PODMAN_BOUNDING, gather, ids, make_host, status


def test_podman_container_without_sys_ptrace(tree):
    make_host(tree, bounding=PODMAN_BOUNDING, container="podman")
    facts = gather(tree)
    container = facts["container"]
    assert container["detected"] is True and container["engine"] == "podman"
    assert container["sys_ptrace_in_bounding_set"] is False
    assert "cap_sys_ptrace" not in container["capabilities"]["bounding"]
    assert "cap_chown" in container["capabilities"]["bounding"]
    assert facts["yama"]["present"] is False and facts["yama"]["writable"] is False
    assert facts["yama"]["not_writable_reason"] == "no_yama"
    assert "container_no_sys_ptrace" in ids(facts)
    assert facts["tools"]["strace"]["installed"] is True
    assert facts["tools"]["strace"]["path"] == "/usr/bin/strace"
    assert facts["tools"]["gdb"] == {"installed": False, "path": None, "version": None, "mode": None,
                                     "owner": None, "group": None, "caps": None}
    assert facts["sudoers"]["files"] == ["/etc/sudoers"]
    assert [g["principal"] for g in facts["sudoers"]["grants"]] == ["root"]


def test_yama_drift_and_boot_sources(tree):
    make_host(tree, yama=0)
    tree.write("/usr/lib/systemd/systemd-sysctl", "")
    tree.write("/usr/lib/sysctl.d/10-default-yama-scope.conf", "kernel.yama.ptrace_scope = 0\n")
    tree.write("/etc/sysctl.d/10-ptrace.conf", "kernel.yama.ptrace_scope = 2\n")
    tree.write("/etc/sysctl.conf", "kernel.yama.ptrace_scope = 1\n")
    facts = gather(tree, sections=("yama",))
    boot = facts["yama"]["boot"]
    assert boot["applier"] == "systemd_sysctl"
    assert (boot["scope"], boot["source"]) == (2, "/etc/sysctl.d/10-ptrace.conf")
    assert (boot["sysctl_system"]["scope"], boot["sysctl_system"]["source"]) == (1, "/etc/sysctl.conf")
    assert boot["appliers_agree"] is False
    assert facts["yama"]["drift"] is True
    assert {"yama_scope_0", "yama_drift", "yama_appliers_disagree"} <= set(ids(facts))


def test_boot_says_whether_the_winning_file_is_ptrace_scopes_own(tree):
    make_host(tree, yama=1)
    tree.write("/usr/lib/systemd/systemd-sysctl", "")
    assert gather(tree, sections=("yama",))["yama"]["boot"]["managed"] is False  # no file sets the key
    ours = "/etc/sysctl.d/" + _sysctl_write.DEFAULT_NAME
    tree.write(ours, _sysctl_write.render(_sysctl_write.YAMA, 2))
    boot = gather(tree, sections=("yama",))["yama"]["boot"]
    assert (boot["source"], boot["scope"], boot["managed"]) == (ours, 2, True)
    # the same name without the header on its first line is someone else's file
    tree.write(ours, "# local\n" + _sysctl_write.render(_sysctl_write.YAMA, 2))
    assert gather(tree, sections=("yama",))["yama"]["boot"]["managed"] is False
    # a later file of another name wins: not ours, whatever ours says
    tree.write(ours, _sysctl_write.render(_sysctl_write.YAMA, 2))
    tree.write("/etc/sysctl.d/zzz-local.conf", _sysctl_write.render(_sysctl_write.YAMA, 1).replace(
        _sysctl_write.MARKER, "# copied by hand"))
    boot = gather(tree, sections=("yama",))["yama"]["boot"]
    assert (boot["source"], boot["managed"]) == ("/etc/sysctl.d/zzz-local.conf", False)


def test_boot_managed_is_unknown_when_the_winning_file_cannot_be_read(tree, monkeypatch):
    make_host(tree, yama=1)
    tree.write("/usr/lib/systemd/systemd-sysctl", "")
    tree.write("/etc/sysctl.d/" + _sysctl_write.DEFAULT_NAME, _sysctl_write.render(_sysctl_write.YAMA, 2))

    def unreadable(path, root="/", setting=None):
        raise _hoststate._fileio.FileWriteError("cannot read %s: Permission denied" % path)
    monkeypatch.setattr(_hoststate._sysctl_write, "inspect", unreadable)
    assert gather(tree, sections=("yama",))["yama"]["boot"]["managed"] is None


def test_boot_resolved_without_yama_and_invalid_value(tree):
    make_host(tree)
    tree.write("/etc/sysctl.d/60-yama.conf", "kernel.yama.ptrace_scope = 1 # restricted\n")
    facts = gather(tree, sections=("yama",))
    assert facts["yama"]["present"] is False
    assert facts["yama"]["boot"]["value"] == "1 # restricted"
    assert facts["yama"]["boot"]["scope"] is None
    assert "yama_boot_invalid" in ids(facts)
    assert facts["yama"]["drift"] is False


def test_read_only_proc_sys_is_not_writable(tree, monkeypatch):
    make_host(tree, yama=1)
    monkeypatch.setattr(_hoststate._lsm.os, "access", lambda path, mode: False)
    facts = gather(tree, sections=("yama",))
    assert facts["yama"]["writable"] is False
    assert facts["yama"]["not_writable_reason"] == "read_only"


def test_world_executable_ptrace_file_and_broken_xattr_are_reported(tree, monkeypatch):
    make_host(tree)
    good = tree.write("/usr/local/bin/strace-debug", "", mode=0o755)
    broken = tree.write("/usr/local/bin/broken", "", mode=0o755)
    blobs = {good: struct.pack("<5I", 0x02000001, 1 << 19, 0, 0, 0), broken: b"\x01\x02"}

    def fake_getxattr(path, name, *args, **kwargs):
        assert name == "security.capability"
        if path in blobs:
            return blobs[path]
        raise OSError(61, "No data available")

    monkeypatch.setattr(_hoststate._caps.os, "getxattr", fake_getxattr)
    facts = gather(tree, sections=("capabilities",), scan_dirs=["/usr/local/bin", "/does/not/exist"])
    assert facts["capabilities"]["ptrace_files"] == [{
        "path": "/usr/local/bin/strace-debug", "caps": "cap_sys_ptrace=ep", "mode": "0755",
        "owner": "root", "group": "root", "world_executable": True}]
    problems = dict((p["path"], p["problem"]) for p in facts["capabilities"]["problems"])
    assert "too short" in problems["/usr/local/bin/broken"]
    assert problems["/does/not/exist"] == "not a directory or missing"
    assert ids(facts) == ["filecap_world_executable"]


def test_validation_is_not_run_when_visudo_would_block_on_a_fifo(tree, monkeypatch, deadline):
    # Measured with sudo 1.9.13p3: `visudo -c` waits forever on an @include of a FIFO (sudo skips it). Found by
    # tests/real/test_fuzz_modules.py, where ptrace_facts hung there.
    make_host(tree)
    tree.write("/usr/sbin/visudo", "", mode=0o755)
    tree.write("/etc/sudoers", "root ALL=(ALL:ALL) ALL\n@include /etc/sudoers.local\n", mode=0o440)
    os.mkfifo(tree / "/etc/sudoers.local")
    calls = []
    monkeypatch.setattr(_hoststate.os, "geteuid", lambda: 0)
    with deadline(10):
        facts = gather(tree, sections=("sudoers",), run=lambda argv: calls.append(argv) or (0, "", ""),
                       tool_versions=False)
    assert calls == [] and facts["sudoers"]["valid"] is None
    assert facts["sudoers"]["validation"]["skipped"].startswith(
        "visudo -c was not run: it would wait forever opening /etc/sudoers.local")


def test_validation_runs_visudo_through_the_runner(tree, monkeypatch):
    make_host(tree)
    tree.write("/usr/sbin/visudo", "", mode=0o755)
    tree.write("/usr/bin/sudo", "", mode=0o755)
    calls = []

    def run(argv):
        calls.append(argv)
        if argv[-1] == "-c":
            return 1, "", "/etc/sudoers.d/x:1:2: syntax error\n"
        return 0, "Sudo version 1.9.13p3\nSudoers policy plugin version 1.9.13p3\n", ""

    monkeypatch.setattr(_hoststate.os, "geteuid", lambda: 0)
    facts = gather(tree, sections=("sudoers",), run=run)
    assert calls == [["/usr/bin/sudo", "-V"], ["/usr/sbin/visudo", "-c"]]
    assert facts["sudoers"]["valid"] is False
    assert facts["sudoers"]["validation"]["stderr"].startswith("/etc/sudoers.d/x:1:2")
    assert facts["sudoers"]["version"] == "1.9.13p3"
    assert facts["sudoers"]["implementation"] == {"name": "sudo", "version": "1.9.13p3", "source": "sudo -V"}
    assert facts["sudoers"]["installed"] is True
    assert "sudoers_invalid" in ids(facts)
    calls[:] = []
    gather(tree, sections=("sudoers",), run=run, validate_sudoers=False, tool_versions=False)
    assert calls == []


def test_slow_commands_start_first_and_overlap_the_rest(tree, monkeypatch):
    # gdb --version takes ~100 ms (it starts its Python): every version command and sudo -V begin before the
    # files are read, visudo -c before the tree is parsed, and each is run once. The facts are those of a
    # plain sequential run.
    make_host(tree)
    for name in ("/usr/sbin/visudo", "/usr/bin/sudo", "/usr/bin/gdb", "/usr/bin/ltrace"):
        tree.write(name, "", mode=0o755)
    tree.write("/etc/sudoers.d/debug", "%debug ALL=(root) /usr/bin/gdb\n", mode=0o440)
    monkeypatch.setattr(_hoststate.os, "geteuid", lambda: 0)
    versions = {"sudo": "Sudo version 1.9.13p3\n", "visudo": "", "strace": "strace -- version 6.1\n",
                "ltrace": "ltrace version 0.7.3.\n", "gdb": "GNU gdb (Debian 13.1-3) 13.1\n"}
    started = []
    lock = threading.Lock()
    gdb_may_finish = threading.Event()

    def run(argv):
        with lock:
            started.append(argv)
        if argv[0].endswith("/gdb"):
            # Finishes only once visudo -c has started: fails (times out) if gdb were waited for first.
            assert gdb_may_finish.wait(5)
        if argv[-1] == "-c":
            gdb_may_finish.set()
        return 0, versions[os.path.basename(argv[0])], ""

    facts = gather(tree, sections=("tools", "capabilities", "sudoers"), run=run)
    assert sorted(started, key=str) == sorted([
        ["/usr/bin/strace", "-V"], ["/usr/bin/ltrace", "-V"], ["/usr/bin/gdb", "--version"],
        ["/usr/bin/sudo", "-V"], ["/usr/sbin/visudo", "-c"]], key=str)
    assert started[-1] == ["/usr/sbin/visudo", "-c"]
    assert [facts["tools"][n]["version"] for n in ("strace", "ltrace", "gdb")] == ["6.1", "0.7.3", "13.1"]
    assert facts["sudoers"]["version"] == "1.9.13p3" and facts["sudoers"]["valid"] is True
    assert [(g["principal"], g["commands"]) for g in facts["sudoers"]["grants"]] == [
        ("root", ["ALL"]), ("%debug", ["/usr/bin/gdb"])]
    gdb_may_finish.clear()
    started[:] = []
    sequential = _hoststate.gather(root=str(tree), sections=("tools", "capabilities", "sudoers"), now=NOW,
                                   hostname="web1", run=lambda argv: (gdb_may_finish.set(), run(argv))[1])
    assert sequential == facts


def test_no_sudo_installed(tree):
    make_host(tree)
    facts = gather(tree, sections=("sudoers",), run=lambda argv: (0, "", ""))
    assert facts["sudoers"]["installed"] is False
    assert facts["sudoers"]["valid"] is None


def test_nnp_and_seccomp_are_reported(tree):
    make_host(tree)
    tree.write("/proc/self/status", status(nnp=1, seccomp=2))
    facts = gather(tree, sections=("container",))
    assert facts["container"]["no_new_privs"] is True
    assert facts["container"]["seccomp"] == "filter"
    assert facts["container"]["detected"] is False
