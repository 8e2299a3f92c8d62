# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""decide_bcc, cell by cell: what BCC 0.26's funccount and Debian's 6.1 answered (docs/verified-semantics.md
section 18).

Measured in the yama_vm VM (linux-headers installed, debugfs and tracefs mounted, perf_event_paranoid 3 with Debian's
patch, unprivileged_bpf_disabled 2; lockdown none, integrity, confidentiality) as root, as root with setpriv dropping
capabilities from its bounding set, and as tester; on this machine's 6.18 without headers; and in podman.
"""

from __future__ import annotations

import pytest

from ansible_collections.debugready.ptrace.plugins.module_utils._caps import CAP_NUMBERS
from ansible_collections.debugready.ptrace.plugins.module_utils._verdict import (
    ERRNO, REASONS, Tracer, decide_bcc, note_kernel_symbols,
)

BPF = 1 << CAP_NUMBERS["cap_bpf"]
PERFMON = 1 << CAP_NUMBERS["cap_perfmon"]
SYS_ADMIN = 1 << CAP_NUMBERS["cap_sys_admin"]
PTRACE = 1 << CAP_NUMBERS["cap_sys_ptrace"]
DAC_READ_SEARCH = 1 << CAP_NUMBERS["cap_dac_read_search"]
FULL = (1 << 41) - 1

WORKER = {"pid": 375, "comm": "apache2", "user": "www-data", "uids": [33] * 4, "gids": [33] * 4,
          "dumpable": False, "kernel_thread": False, "capabilities": {"permitted": 0}, "tracer_pid": 0}
HEADERS = {"found": True, "path": "/lib/modules/6.1.0-57-cloud-amd64/source", "via": "source"}
# the VM as booted
VM = {"debugfs_mounted": True, "kernel_headers": HEADERS, "seccomp_blocks_bpf": False, "kprobes": True,
      "lockdown": "none", "tracefs_writable": True, "perf_event_paranoid": 3, "paranoid_3_denies_all": True}
NO_HEADERS = {"found": False, "path": None, "via": None}


def root(caps=FULL, via="direct"):
    return Tracer("root", 0, 0, caps, via=via, tool="/usr/sbin/funccount-bpfcc")


TESTER = Tracer("tester", 1000, 1000, 0, tool="/usr/sbin/funccount-bpfcc")
OWN = dict(WORKER, pid=435, comm="sleep", user="tester", uids=[1000] * 4, gids=[1000] * 4, dumpable=True)


def check(verdict, reason, errno, allowed, certain=True):
    assert (verdict["reason"], verdict["errno"], verdict["allowed"], verdict["certain"]) == (
        reason, errno, allowed, certain), verdict
    assert verdict["reason"] in REASONS
    if allowed is not True:
        assert verdict["remediation"]


@pytest.mark.parametrize("tracer, target, host, reason, errno, allowed", [
    # lockdown none: root attaches; tester's first map is refused (unprivileged_bpf_disabled 2), its own process
    # or not
    (root(), WORKER, VM, "allowed", None, True),
    (TESTER, OWN, VM, "bpf_needs_capabilities", "EPERM", False),
    (TESTER, WORKER, VM, "bpf_needs_capabilities", "EPERM", False),
    # root without CAP_SYS_PTRACE: the library opened through /proc/375/root is refused ("could not determine
    # address of symbol getpid in /lib/x86_64-linux-gnu/libc.so.6"; strace showed EACCES on that open)
    (root(FULL & ~PTRACE), WORKER, VM, "uid_gid_mismatch", "EACCES", False),
    # without CAP_PERFMON its program is refused ("bpf: Failed to load program: Operation not permitted"); without
    # CAP_BPF its map ("could not open bpf map: counts")
    (root(FULL & ~(SYS_ADMIN | PERFMON)), WORKER, dict(VM, perf_event_paranoid=2), "bpf_needs_capabilities", "EPERM",
     False),
    (root(FULL & ~(SYS_ADMIN | BPF)), WORKER, dict(VM, perf_event_paranoid=2), "bpf_needs_capabilities", "EPERM",
     False),
    # lockdown integrity changes nothing; confidentiality leaves the uprobe PMU to CAP_SYS_ADMIN (BCC then
    # complains at exit that it cannot remove a tracefs event it never added)
    (root(), WORKER, dict(VM, lockdown="integrity"), "allowed", None, True),
    (root(), WORKER, dict(VM, lockdown="confidentiality"), "allowed", None, True),
])
def test_uprobe_cells_measured(tracer, target, host, reason, errno, allowed):
    check(decide_bcc(tracer, target, host), reason, errno, allowed)


@pytest.mark.parametrize("tracer, host, reason, errno, allowed", [
    (root(), VM, "allowed", None, True),
    (root(), dict(VM, lockdown="integrity"), "allowed", None, True),
    # "use of kprobes is restricted" for the PMU, then "use of tracefs is restricted" for the fallback
    (root(), dict(VM, lockdown="confidentiality"), "lockdown_confidentiality", "EPERM", False),
    # tester never reaches the kernel: BCC reads /sys/kernel/debug/kprobes/blacklist to list the functions
    (TESTER, VM, "bcc_kprobe_list_unreadable", "EACCES", False),
    # without CAP_SYS_ADMIN the kprobe goes through tracefs, whose event is opened as a perf event on a CPU:
    # Debian's level 3 refuses it ("perf_event_open(.../p_vfs_read_bcc_460/id): Permission denied"), 2 lets it be
    (root(FULL & ~SYS_ADMIN), VM, "perf_paranoid_3_no_unprivileged", "EACCES", False),
    (root(FULL & ~SYS_ADMIN), dict(VM, perf_event_paranoid=2), "allowed", None, True),
])
def test_kprobe_cells_measured(tracer, host, reason, errno, allowed):
    check(decide_bcc(tracer, None, host, system_wide=True), reason, errno, allowed)


def test_a_uprobe_without_cap_sys_admin_cannot_be_told():
    # the uprobe PMU refuses it (EACCES), and BCC writes to uprobe_events an event named
    # p__proc_375_root_lib_x86_64_linux_gnu_libc_so_6_0xd54e0_375_bcc_516: over 64 characters, EINVAL. A shorter
    # path, pid or offset passes: the model says it cannot know
    for paranoid in (2, 3):
        verdict = decide_bcc(root(FULL & ~SYS_ADMIN), WORKER, dict(VM, perf_event_paranoid=paranoid))
        check(verdict, "bcc_uprobe_through_tracefs", "EINVAL", None, certain=False)
        assert "64 characters" in verdict["explanation"]


def test_without_tracefs_a_uprobe_without_cap_sys_admin_has_no_fallback():
    verdict = decide_bcc(root(FULL & ~SYS_ADMIN), WORKER, dict(VM, tracefs_writable=False))
    check(verdict, "probe_events_need_tracefs", "ENOENT", False)
    verdict = decide_bcc(root(FULL & ~SYS_ADMIN), WORKER, dict(VM, lockdown="confidentiality"))
    check(verdict, "lockdown_confidentiality", "EPERM", False)
    verdict = decide_bcc(root(FULL & ~SYS_ADMIN), None, dict(VM, tracefs_writable=False), system_wide=True)
    check(verdict, "probe_events_need_tracefs", "ENOENT", False)


@pytest.mark.parametrize("tracer, system_wide", [(root(), False), (root(), True), (TESTER, False)])
def test_without_headers_nothing_compiles(tracer, system_wide):
    # this machine: "Unable to find kernel headers", for root and nobody alike, before any bpf()
    verdict = decide_bcc(tracer, None if system_wide else WORKER, dict(VM, kernel_headers=NO_HEADERS),
                         system_wide=system_wide)
    check(verdict, "bcc_kernel_headers_missing", None, False)
    assert "linux-headers" in verdict["remediation"]


def test_the_kprobe_list_comes_before_the_headers():
    # funccount lists the functions before it compiles: without debugfs (a container) that is the refusal
    host = dict(VM, kernel_headers=NO_HEADERS, debugfs_mounted=False)
    check(decide_bcc(root(), None, host, system_wide=True), "bcc_kprobe_list_unreadable", "ENOENT", False)
    # a user who may read root's files gets past it
    reader = Tracer("alice", 1000, 1000, DAC_READ_SEARCH, tool="/usr/sbin/funccount-bpfcc")
    check(decide_bcc(reader, None, VM, system_wide=True), "bpf_needs_capabilities", "EPERM", False)


def test_podman_default_seccomp_refuses_bpf():
    host = dict(VM, seccomp_blocks_bpf=True, debugfs_mounted=False)
    check(decide_bcc(root(FULL & ~SYS_ADMIN), WORKER, host), "bpf_blocked_by_seccomp", "EPERM", False)


@pytest.mark.parametrize("host, words", [
    (dict(VM, seccomp_blocks_bpf=None), "seccomp"),
    (dict(VM, kernel_headers={"found": None, "path": "/lib/modules/x/kernel/kernel/kheaders.ko.xz",
                              "via": "kheaders_module"}), "kheaders module"),
    (dict(VM, debugfs_mounted=None), "debugfs"),
    (dict(VM, kprobes=None), "kprobes"),
])
def test_what_cannot_be_known_is_said(host, words):
    verdict = decide_bcc(root(), None, host, system_wide=True)
    assert (verdict["reason"], verdict["allowed"], verdict["certain"]) == ("allowed", None, False), verdict
    assert words in verdict["explanation"]


def test_refusals_while_uncertain_are_not_certain():
    # a refusal found after an unknown step is not certain either: the unknown step may have refused first
    host = dict(VM, seccomp_blocks_bpf=None)
    verdict = decide_bcc(TESTER, OWN, host)
    assert (verdict["reason"], verdict["allowed"], verdict["certain"]) == ("bpf_needs_capabilities", None, False)


def test_no_kprobes():
    # ENOENT as bpftrace's, which attaches through the same libbcc function (measured on 6.18)
    check(decide_bcc(root(), None, dict(VM, kprobes=False), system_wide=True), "kprobes_unavailable", "ENOENT", False)


def test_first_steps():
    assert decide_bcc(root(), None, VM)["reason"] == "target_not_found"
    tracer = Tracer("alice", 1000, 1000, 0, via="filecap", tool="/usr/local/bin/x-bpfcc", exec_fails=True)
    assert decide_bcc(tracer, WORKER, VM)["reason"] == "filecap_exec_fails_bounding_set"


def test_every_reason_has_its_errno():
    for reason in ("bcc_kernel_headers_missing", "bcc_uprobe_through_tracefs"):
        assert reason in ERRNO


@pytest.mark.parametrize("verdict, visible, noted", [
    ({"allowed": True, "explanation": "ok."}, False, True),
    ({"allowed": None, "explanation": "ok."}, False, True),
    ({"allowed": False, "explanation": "no."}, False, False),  # a refusal says why it is refused, nothing more
    ({"allowed": True, "explanation": "ok."}, True, False),
    ({"allowed": True, "explanation": "ok."}, None, False),
    ({"allowed": True, "explanation": "ok.", "kernel_samples": False}, False, False),  # user space only
])
def test_kernel_symbols_note(verdict, visible, noted):
    result = note_kernel_symbols(verdict, visible, 1)
    assert ("kptr_restrict is 1" in result["explanation"]) is noted
    assert result["allowed"] is verdict["allowed"]
    if noted:
        assert "CAP_SYSLOG" in result["explanation"] and "KASLR" in result["explanation"]
