# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""decide_bpftrace, cell by cell: what bpftrace 0.17 and the kernel answered (docs/verified-semantics.md section 17).

Measured on mainline 6.18 (lockdown integrity, no kprobes, perf_event_paranoid 2) and Debian's 6.1 (the yama_vm
kernel: kprobes, paranoid 3 with Debian's patch, lockdown none, integrity, confidentiality) with setpriv dropping
capabilities from root's bounding set, a cap_bpf,cap_perfmon=ep copy run by nobody, and in podman 4.3.
"""

from __future__ import annotations

import pytest

from ansible_collections.debugready.ptrace.plugins.module_utils import _perf
from ansible_collections.debugready.ptrace.plugins.module_utils._caps import CAP_NUMBERS
from ansible_collections.debugready.ptrace.plugins.module_utils._verdict import REASONS, Tracer, decide_bpftrace

BPF = 1 << CAP_NUMBERS["cap_bpf"]
PERFMON = 1 << CAP_NUMBERS["cap_perfmon"]
SYS_ADMIN = 1 << CAP_NUMBERS["cap_sys_admin"]
PTRACE = 1 << CAP_NUMBERS["cap_sys_ptrace"]
FULL = (1 << 41) - 1

TARGET = {"pid": 4242, "comm": "apache2", "user": "www-data", "uids": [33] * 4, "gids": [33] * 4,
          "dumpable": False, "kernel_thread": False, "capabilities": {"permitted": 0}, "tracer_pid": 0}
# tracefs mounted read-write at /sys/kernel/tracing, as it was for the measurements without CAP_SYS_ADMIN
HOST = {"seccomp_blocks_bpf": False, "kprobes": True, "lockdown": "none", "tracefs_writable": True,
        "perf_event_paranoid": 2, "paranoid_3_denies_all": False}
DEBIAN = dict(HOST, perf_event_paranoid=3, paranoid_3_denies_all=True)


def root(caps=FULL, via="direct"):
    return Tracer("root", 0, 0, caps, via=via, tool="bpftrace")


@pytest.mark.parametrize("tracer, reason, errno", [
    (root(), "allowed", None),
    # root's bounding set without CAP_SYS_ADMIN: CAP_BPF and CAP_PERFMON are enough where tracefs takes the uprobe
    # (measured; the uprobe PMU refused it, EACCES)
    (root(FULL & ~SYS_ADMIN), "allowed", None),
    (root(SYS_ADMIN | PTRACE), "allowed", None),
    # without CAP_BPF the first map is refused; with CAP_BPF alone its output buffer, a perf event on every CPU,
    # which level 2 gives only to CAP_PERFMON
    (root(FULL & ~(BPF | PERFMON | SYS_ADMIN)), "bpf_needs_capabilities", "EPERM"),
    (root(FULL & ~(BPF | SYS_ADMIN)), "bpf_needs_capabilities", "EPERM"),
    (root(FULL & ~(PERFMON | SYS_ADMIN)), "perf_paranoid_cpu_wide", "EACCES"),
    # bpftrace's own uid check, before the kernel: plain, or a copy holding both capabilities
    (Tracer("nobody", 65534, 65534, 0, tool="bpftrace"), "bpftrace_requires_root", None),
    (Tracer("nobody", 65534, 65534, BPF | PERFMON, via="filecap", tool="bpftrace-copy"), "bpftrace_requires_root",
     None),
    # through sudo as root (the tracer runs as uid 0 with the bounding set)
    (Tracer("alice", 0, 0, FULL, via="sudo", runas="root", tool="bpftrace"), "allowed", None),
])
def test_uprobe_on_a_process(tracer, reason, errno):
    verdict = decide_bpftrace(tracer, TARGET, HOST)
    assert (verdict["reason"], verdict["errno"], verdict["certain"]) == (reason, errno, True), verdict
    assert verdict["allowed"] is (reason == "allowed")
    assert verdict["reason"] in REASONS
    if reason != "allowed":
        assert verdict["remediation"]


ROOT_TARGET = dict(TARGET, pid=1, user="root", uids=[0] * 4, gids=[0] * 4, dumpable=True)


@pytest.mark.parametrize("caps, target, reason", [
    # bpftrace -p opens /proc/PID/ns/mnt first: ptrace's read check (measured in podman without SYS_PTRACE: EACCES)
    (FULL & ~PTRACE, TARGET, "uid_gid_mismatch"),
    (FULL & ~PTRACE, dict(TARGET, uids=[0] * 4, gids=[0] * 4), "target_not_dumpable"),
    (FULL & ~PTRACE, ROOT_TARGET, "allowed"),
    (FULL, TARGET, "allowed"),
])
def test_root_without_cap_sys_ptrace_cannot_open_another_users_namespace(caps, target, reason):
    verdict = decide_bpftrace(root(caps), target, HOST)
    assert verdict["reason"] == reason, verdict
    if reason != "allowed":
        assert verdict["errno"] == "EACCES" and "/proc/4242/ns/mnt" in verdict["explanation"]
    # the kprobe opens no process's namespace
    assert decide_bpftrace(root(caps), None, HOST, system_wide=True)["reason"] == "allowed"


def test_the_namespace_check_comes_before_seccomp():
    verdict = decide_bpftrace(root(FULL & ~PTRACE & ~SYS_ADMIN), TARGET, dict(HOST, seccomp_blocks_bpf=True))
    assert verdict["reason"] == "uid_gid_mismatch"
    verdict = decide_bpftrace(root(FULL & ~SYS_ADMIN), TARGET, dict(HOST, seccomp_blocks_bpf=True))
    assert verdict["reason"] == "bpf_blocked_by_seccomp"


def test_a_missing_process_and_a_copy_the_kernel_will_not_execute():
    assert decide_bpftrace(root(), None, HOST)["reason"] == "target_not_found"
    tracer = Tracer("nobody", 65534, 65534, 0, via="filecap", tool="bpftrace-copy", exec_fails=True)
    assert decide_bpftrace(tracer, TARGET, HOST)["reason"] == "filecap_exec_fails_bounding_set"


@pytest.mark.parametrize("seccomp, caps, reason, allowed, certain", [
    # podman's default profile: bpf() refused unless the container holds CAP_SYS_ADMIN (measured; CAP_BPF and
    # CAP_PERFMON are not enough); without a filter the capabilities decide
    (True, FULL & ~SYS_ADMIN, "bpf_blocked_by_seccomp", False, True),
    (False, FULL & ~(BPF | PERFMON | SYS_ADMIN), "bpf_needs_capabilities", False, True),
    (False, BPF | PERFMON | PTRACE, "allowed", True, True),
    # another engine's filter was not measured
    (None, BPF | PERFMON | PTRACE, "allowed", None, False),
])
def test_in_a_container(seccomp, caps, reason, allowed, certain):
    verdict = decide_bpftrace(root(caps), TARGET, dict(HOST, seccomp_blocks_bpf=seccomp))
    assert (verdict["reason"], verdict["allowed"], verdict["certain"]) == (reason, allowed, certain), verdict


@pytest.mark.parametrize("caps, tracefs, reason, allowed, certain", [
    # without CAP_SYS_ADMIN the uprobe PMU refuses (EACCES) and bpftrace needs tracefs (measured on the host with
    # tracefs unmounted, and in podman, where it is not mounted and root cannot mount it)
    (FULL & ~SYS_ADMIN, False, "probe_events_need_tracefs", False, True),
    (FULL & ~SYS_ADMIN, None, "allowed", None, False),
    (FULL, False, "allowed", True, True),  # the PMU takes it
])
def test_a_uprobe_without_cap_sys_admin_needs_tracefs(caps, tracefs, reason, allowed, certain):
    verdict = decide_bpftrace(root(caps), TARGET, dict(HOST, tracefs_writable=tracefs))
    assert (verdict["reason"], verdict["allowed"], verdict["certain"]) == (reason, allowed, certain), verdict
    if reason == "probe_events_need_tracefs":
        assert verdict["errno"] == "ENOENT" and "SYS_ADMIN" in verdict["remediation"]
    # a kprobe takes the same paths (measured in podman: kprobe_events, ENOENT)
    kprobe = decide_bpftrace(root(caps), None, dict(HOST, tracefs_writable=tracefs), system_wide=True)
    assert (kprobe["reason"], kprobe["allowed"], kprobe["certain"]) == (reason, allowed, certain)


@pytest.mark.parametrize("tracefs, writable", [
    ({"mounted": True, "path": "/sys/kernel/tracing", "read_only": False}, True),
    ({"mounted": True, "path": "/sys/kernel/debug/tracing", "read_only": False}, True),
    ({"mounted": True, "path": "/sys/kernel/tracing", "read_only": True}, False),
    ({"mounted": False, "path": None, "read_only": None}, False),
    ({"mounted": None, "path": None, "read_only": None}, None),
    ({"mounted": True, "path": "/mnt/tracing", "read_only": False}, None),  # not where BCC looks
])
def test_probe_events_writable(tracefs, writable):
    assert _perf.probe_events_writable(tracefs) is writable


def test_the_podman_filter_is_read_as_for_perf():
    podman = {"detected": True, "engine": "podman"}
    assert _perf.seccomp_blocks_perf(podman, 2, FULL & ~SYS_ADMIN) is True
    assert _perf.seccomp_blocks_perf(podman, 2, FULL) is False
    assert _perf.seccomp_blocks_perf(podman, 0, FULL & ~SYS_ADMIN) is False


@pytest.mark.parametrize("kprobes, lockdown, reason, allowed, certain", [
    (True, "none", "allowed", True, True),
    (True, "integrity", "allowed", True, True),  # Debian's 6.1 raised to integrity (measured)
    (False, "integrity", "kprobes_unavailable", False, True),  # this machine's kernel (measured)
    # confidentiality: bpftrace refuses every program itself (measured on Debian's 6.1)
    (True, "confidentiality", "lockdown_confidentiality", False, True),
    (None, "none", "allowed", None, False),
])
def test_a_kprobe(kprobes, lockdown, reason, allowed, certain):
    verdict = decide_bpftrace(root(), None, dict(HOST, kprobes=kprobes, lockdown=lockdown), system_wide=True)
    assert (verdict["reason"], verdict["allowed"], verdict["certain"]) == (reason, allowed, certain), verdict


def test_debians_level_3_wants_cap_sys_admin_for_the_output_buffer():
    """Debian's 6.1 at perf_event_paranoid 3: root without CAP_SYS_ADMIN gets perf_event_open EACCES for the
    output buffer, uprobe and kprobe alike (measured); with it, both attach."""
    for system_wide, target in ((False, TARGET), (True, None)):
        verdict = decide_bpftrace(root(FULL & ~SYS_ADMIN), target, DEBIAN, system_wide=system_wide)
        assert (verdict["reason"], verdict["errno"]) == ("perf_paranoid_3_no_unprivileged", "EACCES"), verdict
        assert "every CPU" in verdict["explanation"]
        assert decide_bpftrace(root(), target, DEBIAN, system_wide=system_wide)["reason"] == "allowed"


def test_lockdown_confidentiality_refuses_every_program_before_the_kernel_is_asked():
    host = dict(HOST, lockdown="confidentiality", seccomp_blocks_bpf=True)
    for tracer in (root(), root(FULL & ~SYS_ADMIN)):
        verdict = decide_bpftrace(tracer, TARGET, host)
        assert (verdict["reason"], verdict["errno"], verdict["allowed"]) == ("lockdown_confidentiality", None, False)


def test_a_kprobe_as_a_user_is_still_bpftraces_own_refusal():
    verdict = decide_bpftrace(Tracer("nobody", 65534, 65534, 0, tool="bpftrace"), None, HOST, system_wide=True)
    assert verdict["reason"] == "bpftrace_requires_root"
