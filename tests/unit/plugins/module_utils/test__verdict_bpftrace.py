# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""decide_bpftrace, cell by cell: what bpftrace 0.17 and the kernel answered (docs/verified-semantics.md section 17).

Measured on mainline 6.18 (lockdown integrity, no kprobes) with setpriv dropping capabilities from root's bounding
set, a cap_bpf,cap_perfmon=ep copy run by nobody, and bpf() under podman 4.3's seccomp options.
"""

from __future__ import annotations

import pytest

from ansible_collections.debugready.ptrace.plugins.module_utils import _perf
from ansible_collections.debugready.ptrace.plugins.module_utils._caps import CAP_NUMBERS
from ansible_collections.debugready.ptrace.plugins.module_utils._verdict import REASONS, Tracer, decide_bpftrace

BPF = 1 << CAP_NUMBERS["cap_bpf"]
PERFMON = 1 << CAP_NUMBERS["cap_perfmon"]
SYS_ADMIN = 1 << CAP_NUMBERS["cap_sys_admin"]
FULL = (1 << 41) - 1

TARGET = {"pid": 4242, "comm": "apache2", "user": "www-data", "uids": [33] * 4, "gids": [33] * 4,
          "dumpable": False, "kernel_thread": False, "capabilities": {"permitted": 0}, "tracer_pid": 0}
HOST = {"seccomp_blocks_bpf": False, "kprobes": True, "lockdown": "none"}


def root(caps=FULL, via="direct"):
    return Tracer("root", 0, 0, caps, via=via, tool="bpftrace")


@pytest.mark.parametrize("tracer, reason, errno", [
    (root(), "allowed", None),
    # root's bounding set without CAP_SYS_ADMIN: CAP_BPF and CAP_PERFMON are enough (measured)
    (root(FULL & ~SYS_ADMIN), "allowed", None),
    (root(SYS_ADMIN), "allowed", None),
    # without CAP_BPF the first map is refused; with CAP_BPF alone the output buffer's perf event
    (root(FULL & ~(BPF | PERFMON | SYS_ADMIN)), "bpf_needs_capabilities", "EPERM"),
    (root(FULL & ~(BPF | SYS_ADMIN)), "bpf_needs_capabilities", "EPERM"),
    (root(FULL & ~(PERFMON | SYS_ADMIN)), "bpf_needs_capabilities", "EACCES"),
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
        assert verdict["remediation"] and "root" in verdict["remediation"]


def test_a_missing_process_and_a_copy_the_kernel_will_not_execute():
    assert decide_bpftrace(root(), None, HOST)["reason"] == "target_not_found"
    tracer = Tracer("nobody", 65534, 65534, 0, via="filecap", tool="bpftrace-copy", exec_fails=True)
    assert decide_bpftrace(tracer, TARGET, HOST)["reason"] == "filecap_exec_fails_bounding_set"


@pytest.mark.parametrize("seccomp, caps, reason, allowed, certain", [
    # podman's default profile: bpf() refused unless the container holds CAP_SYS_ADMIN (measured; CAP_BPF and
    # CAP_PERFMON are not enough); without a filter the capabilities decide
    (True, FULL & ~SYS_ADMIN, "bpf_blocked_by_seccomp", False, True),
    (False, FULL & ~(BPF | PERFMON | SYS_ADMIN), "bpf_needs_capabilities", False, True),
    (False, BPF | PERFMON, "allowed", True, True),
    # another engine's filter was not measured
    (None, BPF | PERFMON, "allowed", None, False),
])
def test_in_a_container(seccomp, caps, reason, allowed, certain):
    verdict = decide_bpftrace(root(caps), TARGET, dict(HOST, seccomp_blocks_bpf=seccomp))
    assert (verdict["reason"], verdict["allowed"], verdict["certain"]) == (reason, allowed, certain), verdict


def test_the_podman_filter_is_read_as_for_perf():
    podman = {"detected": True, "engine": "podman"}
    assert _perf.seccomp_blocks_perf(podman, 2, FULL & ~SYS_ADMIN) is True
    assert _perf.seccomp_blocks_perf(podman, 2, FULL) is False
    assert _perf.seccomp_blocks_perf(podman, 0, FULL & ~SYS_ADMIN) is False


@pytest.mark.parametrize("kprobes, lockdown, reason, allowed, certain", [
    (True, "none", "allowed", True, True),
    (True, "integrity", "allowed", True, True),
    (False, "integrity", "kprobes_unavailable", False, True),  # this machine's kernel (measured)
    # not measured yet: said so
    (True, "confidentiality", "lockdown_blocks_kprobes", None, False),
    (None, "none", "allowed", None, False),
])
def test_a_kprobe(kprobes, lockdown, reason, allowed, certain):
    verdict = decide_bpftrace(root(), None, dict(HOST, kprobes=kprobes, lockdown=lockdown), system_wide=True)
    assert (verdict["reason"], verdict["allowed"], verdict["certain"]) == (reason, allowed, certain), verdict


def test_a_kprobe_as_a_user_is_still_bpftraces_own_refusal():
    verdict = decide_bpftrace(Tracer("nobody", 65534, 65534, 0, tool="bpftrace"), None, HOST, system_wide=True)
    assert verdict["reason"] == "bpftrace_requires_root"
