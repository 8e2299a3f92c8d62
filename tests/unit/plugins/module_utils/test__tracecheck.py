# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""trace_check's orchestration (_tracecheck): the probe command, the targets and Apache summary on host trees
modelled on each family (tests/unit/distro_fixtures.py), and check() on this host's /proc with sudo's answers faked."""

from __future__ import annotations

import os
import threading

import pytest

from ansible_collections.debugready.ptrace.plugins.module_utils import _accounts, _tracecheck

from distro_fixtures import MASTER, NAMES, OTHER, WORKERS, host


SNAPSHOT = {
    "yama": {"scope": 1, "present": True},
    "lsm": {"selinux": {"enabled": False}, "apparmor": {"enabled": False}},
    "sudoers": {"grants": [], "skipped": []},
}


def test_sudo_questions_are_asked_at_once_and_answered_per_process(monkeypatch):
    # One `sudo -l` per process, each parsing the whole sudoers tree (~20 ms at 200 files): all are started
    # before the first answer is read. The listing is only answered once every per-process question has
    # started, which fails (times out) if they were asked one after the other.
    monkeypatch.setattr(_tracecheck._tools, "find_tool", lambda name, root="/": "/usr/bin/" + name)
    pids = [1, os.getpid()]
    questions = [["/usr/bin/sudo", "-n", "-l", "-U", "root", "/bin/sh", "-f", "-p", str(pid)] for pid in pids]
    started = []
    lock = threading.Lock()
    all_asked = threading.Event()

    def run(argv):
        with lock:
            started.append(argv)
            if all(q in started for q in questions):
                all_asked.set()
        if argv == ["/usr/bin/sudo", "-l", "-U", "root"]:
            assert all_asked.wait(5), "the per-process questions were not started before the listing was read"
            return 0, "User root may run the following commands on web1:\n    (ALL) NOPASSWD: /bin/sh\n", ""
        # sudo says yes for PID 1 only: each answer goes to its own process.
        return (0, "/bin/sh\n", "") if argv[-1] == "1" else (1, "", "")

    monkeypatch.setattr(_tracecheck._attach, "strace_args", lambda pid: ["-f", "-p", str(pid)])
    result = _tracecheck.check({"user": "root", "pid": pids, "via": "sudo", "tool": "/bin/sh", "runas": "root"},
                               run, snapshot=SNAPSHOT, hostname="web1")
    assert sorted(started) == sorted(questions + [["/usr/bin/sudo", "-l", "-U", "root"]])
    answers = dict((t["pid"], (t["sudo"]["permitted"], t["reason"])) for t in result["targets"])
    assert answers[1][0] is True and answers[os.getpid()] == (False, "sudo_not_permitted")


def test_probe_commands():
    alice = {"uid": 1000, "gid": 1000}
    root = {"uid": 0, "gid": 0}
    assert _tracecheck.probe_command("direct", "/usr/bin/strace", 812, root, "root", 2) == [
        "timeout", "-s", "INT", "-k", "5", "2", "setsid", "/usr/bin/strace", "-p", "812", "-e", "trace=none", "-o",
        "/dev/null"]
    argv = _tracecheck.probe_command("sudo", "/usr/bin/strace", 812, alice, "www-data", 2, "/usr/bin/sudo")
    assert argv[:5] == ["setpriv", "--reuid=1000", "--regid=1000", "--init-groups", "--"]
    assert argv[12:17] == ["/usr/bin/sudo", "-n", "-u", "www-data", "/usr/bin/strace"]


@pytest.mark.parametrize("name", NAMES)
def test_workers_of_the_familys_apache_user_are_the_targets(tree, monkeypatch, name):
    model = host(tree, monkeypatch, name)
    pairs = _tracecheck.resolve_targets(process=model["comm"], process_user=model["user"], root=str(tree))
    assert [pair[0] for pair in pairs] == list(WORKERS)   # not the root master, not the user's shell
    assert set(pair[1]["user"] for pair in pairs) == {model["user"]}
    assert all(pair[1]["apache"] for pair in pairs)


@pytest.mark.parametrize("name", NAMES)
def test_master_and_workers_are_told_apart(tree, monkeypatch, name):
    model = host(tree, monkeypatch, name)
    pids = [MASTER] + list(WORKERS) + [OTHER]
    targets = [pair[1] for pair in _tracecheck.resolve_targets(pids=pids, root=str(tree))]
    summary = _tracecheck.apache_summary(targets, str(tree))
    assert (summary["master_pids"], summary["worker_pids"], summary["worker_users"]) == \
        ([MASTER], list(WORKERS), [model["user"]])
    assert [t.get("role") for t in targets] == ["master", "worker", "worker", "worker", None]


def test_another_users_httpd_is_not_a_target(tree, monkeypatch):
    # On a Red Hat host the Debian default (www-data) names no process: the lookup says so instead of guessing.
    host(tree, monkeypatch, "rocky9")
    with pytest.raises(_accounts.AccountError, match="www-data"):
        _tracecheck.resolve_targets(process="httpd", process_user="www-data", root=str(tree))


@pytest.mark.parametrize("tool, kind", [
    ("strace", "ptrace"), ("gdb", "ptrace"), ("ltrace", "ptrace"), (None, "ptrace"), ("/usr/bin/strace", "ptrace"),
    ("perf", "perf"), ("/usr/local/bin/perf-debug", "perf"), ("perf_6.1", "perf"), ("perfect", "ptrace"),
    ("bpftrace", "bpftrace"), ("/usr/local/bin/bpftrace-debug", "bpftrace"), ("bpftraced", "ptrace"),
    ("funccount-bpfcc", "bcc"), ("/usr/sbin/execsnoop-bpfcc", "bcc"), ("/usr/share/bcc/tools/funccount", "bcc"),
    ("-bpfcc", "ptrace"), ("/usr/local/share/bcc/tools/x", "ptrace"),
])
def test_tool_kind_by_name(tool, kind):
    assert _tracecheck.tool_kind(tool) == kind


def test_bpf_host_reads_kprobes_only_for_a_kprobe(tree):
    tree.write("/proc/sys/kernel/osrelease", "6.1.0-57-cloud-amd64\n")
    tree.write("/proc/sys/kernel/perf_event_paranoid", "3\n")
    tree.write("/boot/config-6.1.0-57-cloud-amd64", "CONFIG_KPROBES=y\nCONFIG_SECURITY_PERF_EVENTS_RESTRICT=y\n")
    tree.write("/proc/sys/kernel/kptr_restrict", "1\n")
    tree.write("/sys/kernel/security/lockdown", "none [integrity] confidentiality\n")
    tree.write("/proc/self/mountinfo", "40 22 0:12 / /sys/kernel/tracing rw,nosuid - tracefs tracefs rw\n")
    me = {"seccomp_mode": 0, "capabilities": {"bounding": (1 << 41) - 1}}
    snapshot = {"container": {"detected": False}}
    found = {"seccomp_blocks_bpf": False, "tracefs_writable": True, "lockdown": "integrity",
             "perf_event_paranoid": 3, "kptr_restrict": 1, "paranoid_3_denies_all": True}
    assert _tracecheck.bpf_host(snapshot, me, str(tree)) == found
    assert _tracecheck.bpf_host(snapshot, me, str(tree), system_wide=True) == dict(found, kprobes=True)
    tree.write("/boot/config-6.1.0-57-cloud-amd64", "# CONFIG_KPROBES is not set\n")
    tree.write("/proc/self/mountinfo", "")
    podman = {"container": {"detected": True, "engine": "podman"}}
    found = _tracecheck.bpf_host(podman, dict(me, seccomp_mode=2, capabilities={"bounding": 0xa80425fb}), str(tree),
                                 system_wide=True)
    assert (found["seccomp_blocks_bpf"], found["kprobes"], found["tracefs_writable"]) == (True, False, False)


def test_bpf_host_reads_the_kernel_config_once(tree, monkeypatch):
    """A kprobe request without the perf section needs the config twice (level 3, kprobes): one read serves both."""
    tree.write("/proc/sys/kernel/osrelease", "6.1.0-57-cloud-amd64\n")
    tree.write("/proc/sys/kernel/perf_event_paranoid", "3\n")
    tree.write("/boot/config-6.1.0-57-cloud-amd64", "CONFIG_KPROBES=y\nCONFIG_SECURITY_PERF_EVENTS_RESTRICT=y\n")
    reads = []
    real = _tracecheck._perf.read_kernel_config
    monkeypatch.setattr(_tracecheck._perf, "read_kernel_config",
                        lambda *args, **kwargs: reads.append(args) or real(*args, **kwargs))
    me = {"seccomp_mode": 0, "capabilities": {"bounding": (1 << 41) - 1}}
    found = _tracecheck.bpf_host({"container": {"detected": False}}, me, str(tree), system_wide=True)
    assert (found["kprobes"], found["paranoid_3_denies_all"], len(reads)) == (True, True, 1)


def test_bcc_host_adds_headers_and_debugfs(tree):
    """BCC's inputs on top of bpftrace's: where it finds headers, and whether debugfs is at /sys/kernel/debug."""
    tree.write("/proc/sys/kernel/osrelease", "6.1.0-57-cloud-amd64\n")
    tree.write("/proc/sys/kernel/perf_event_paranoid", "3\n")
    tree.write("/boot/config-6.1.0-57-cloud-amd64", "CONFIG_KPROBES=y\nCONFIG_SECURITY_PERF_EVENTS_RESTRICT=y\n")
    tree.write("/proc/self/mountinfo", "40 22 0:12 / /sys/kernel/tracing rw,nosuid - tracefs tracefs rw\n"
               "41 22 0:13 / /sys/kernel/debug rw,nosuid - debugfs debugfs rw\n")
    tree.write("/lib/modules/6.1.0-57-cloud-amd64/build/include/linux/kconfig.h", "")
    me = {"seccomp_mode": 0, "capabilities": {"bounding": (1 << 41) - 1}}
    snapshot = {"container": {"detected": False}}
    found = _tracecheck.bcc_host(snapshot, me, str(tree), system_wide=True)
    assert found["kernel_headers"] == {"found": True, "path": "/lib/modules/6.1.0-57-cloud-amd64/build",
                                       "via": "build"}
    assert (found["debugfs_mounted"], found["kprobes"], found["tracefs_writable"]) == (True, True, True)
    # debugfs elsewhere is not where BCC reads
    tree.write("/proc/self/mountinfo", "41 22 0:13 / /mnt/debug rw,nosuid - debugfs debugfs rw\n")
    assert _tracecheck.bcc_host(snapshot, me, str(tree))["debugfs_mounted"] is False
    # the snapshot's perf section answers without reading again
    perf = {"debugfs": {"mounted": None}, "tracefs": {"mounted": None}, "bcc_kernel_headers": {"found": False},
            "settings": {"kernel.perf_event_paranoid": {"runtime": 2}, "kernel.kptr_restrict": {"runtime": 0}},
            "paranoid_3_denies_all": False,
            "seccomp_blocks_perf": False, "lockdown": {"mode": None}}
    found = _tracecheck.bcc_host(dict(snapshot, perf=perf), me, str(tree))
    assert (found["debugfs_mounted"], found["kernel_headers"], found["perf_event_paranoid"]) == (
        None, {"found": False}, 2)


# ---- AppArmor's part (docs/verified-semantics.md section 20)

def test_apparmor_plays_no_part_without_profiles_and_the_tool_is_not_run(tree):
    calls = []
    tree.write("/proc/self/attr/current", "unconfined\n")
    facts = {"enabled": True, "profiles": [], "enforcing": 0}
    result = _tracecheck.apparmor_host(facts, "/usr/bin/strace", calls.append, str(tree))
    assert (result["in_play"], result["tracer"], calls) == (False, None, [])
    assert _tracecheck.apparmor_host({"enabled": False}, "/usr/bin/strace", None, str(tree))["in_play"] is False


def test_apparmor_learns_the_tools_label_from_an_unconfined_module(tree):
    tree.write("/proc/self/attr/current", "unconfined\n")
    facts = {"enabled": True, "profiles": [{"name": "dr-tracer", "mode": "enforce"}], "enforcing": 1}
    result = _tracecheck.apparmor_host(facts, "/usr/bin/strace", lambda argv: (0, "dr-tracer (enforce)\n", ""),
                                       str(tree))
    assert result["in_play"] and result["tracer"] == {"label": "dr-tracer", "mode": "enforce", "confined": True}
    # a confined module would run the tool through its own exec rules, not a user's: unknown
    tree.write("/proc/self/attr/current", "containers-default-0.50.1 (enforce)\n")
    result = _tracecheck.apparmor_host(dict(facts, profiles=None), "/usr/bin/strace", None, str(tree))
    assert result["in_play"] and result["tracer"] is None


@pytest.mark.parametrize("tracer, label, perms, trace, tracedby", [
    # an unconfined tracer: nothing to ask
    ("unconfined", "dr-target (enforce)", {}, True, True),
    # the kernel's answers, as the VM gave them: allow 0x1a / 0x18 (tracer -> target), 0x10 (target's deny)
    ("dr-tracer (enforce)", "dr-target (enforce)", {("dr-tracer", "dr-target"): 0x1a, ("dr-target", "dr-tracer"): 0x10},
     True, False),
    ("dr-tracer (enforce)", "unconfined", {("dr-tracer", "unconfined"): 0x18}, False, True),
    # the kernel could not be asked
    ("dr-tracer (enforce)", "dr-target (enforce)", {}, None, None),
])
def test_apparmor_target_asks_the_kernel_for_both_sides(monkeypatch, tracer, label, perms, trace, tracedby):
    def ask(profile, peer, root="/"):
        allow = perms.get((profile, peer))
        return None if allow is None else {"allow": allow, "deny": 0}
    monkeypatch.setattr(_tracecheck._lsm, "apparmor_ptrace_perms", ask)
    apparmor = {"tracer": _tracecheck._lsm.apparmor_label(tracer)}
    result = _tracecheck.apparmor_target(apparmor, {"label": label})
    assert (result["trace"], result["tracedby"]) == (trace, tracedby)


# ---- SELinux's part (docs/verified-semantics.md section 21)

PING = "unconfined_u:unconfined_r:ping_t:s0-s0:c0.c1023"
HTTPD = "system_u:system_r:httpd_t:s0"


def test_selinux_plays_no_part_when_off_and_the_tool_is_not_run(tree):
    calls = []
    result = _tracecheck.selinux_host({"enabled": False}, "/usr/bin/strace", {"name": "root"}, calls.append,
                                      str(tree))
    assert (result["tracer"], result["cap_sys_ptrace"], result["login_differs"], calls) == (None, None, False, [])
    assert _tracecheck.selinux_target(result, {"label": HTTPD}) == {"context": None, "ptrace": None}


@pytest.mark.parametrize("user, seusers, differs", [
    ("root", "root:unconfined_u:s0-s0:c0.c1023\n__default__:unconfined_u:s0-s0:c0.c1023\n", False),
    ("tester", "root:unconfined_u:s0-s0:c0.c1023\n__default__:unconfined_u:s0-s0:c0.c1023\n", False),
    ("tester", "root:unconfined_u:s0-s0:c0.c1023\ntester:staff_u:s0\n", True),
    ("tester", "%wheel:staff_u:s0\n", False),  # a group line: not resolved, so not claimed either way
])
def test_selinux_learns_the_tools_domain_and_asks_the_policy(tree, monkeypatch, user, seusers, differs):
    tree.write("/proc/self/attr/current", "unconfined_u:unconfined_r:unconfined_t:s0-s0:c0.c1023\x00")
    tree.write("/etc/selinux/default/seusers", seusers)
    asked = []

    def ask(source, target, tclass, permission, root="/"):
        asked.append((source, target, tclass, permission))
        return {"allowed": tclass == "process", "permissive": False}
    monkeypatch.setattr(_tracecheck._lsm, "selinux_access", ask)
    facts = {"enabled": True, "enforcing": True, "policy": "default"}
    result = _tracecheck.selinux_host(facts, "/usr/bin/strace", {"name": user}, lambda argv: (0, PING + "\n", ""),
                                      str(tree))
    assert (result["tracer"], result["cap_sys_ptrace"], result["permissive"]) == (PING, False, False)
    assert result["login_differs"] is differs
    assert _tracecheck.selinux_target(result, {"label": HTTPD}) == {"context": HTTPD, "ptrace": True}
    assert asked == [(PING, PING, "capability", "sys_ptrace"), (PING, HTTPD, "process", "ptrace")]


def test_selinux_domain_not_learnt_leaves_every_answer_unknown(tree, monkeypatch):
    monkeypatch.setattr(_tracecheck._lsm, "selinux_access", lambda *a, **k: pytest.fail("asked without a domain"))
    result = _tracecheck.selinux_host({"enabled": True, "policy": "default"}, "/usr/bin/strace", {"name": "root"},
                                      lambda argv: (1, "", "not stopped at exec"), str(tree))
    assert (result["tracer"], result["cap_sys_ptrace"]) == (None, None)
    assert _tracecheck.selinux_target(result, {"label": HTTPD}) == {"context": HTTPD, "ptrace": None}
