# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""decide_perf, cell by cell: the matrix measured with real perf (docs/verified-semantics.md, perf section).

Mainline 6.18: paranoid -1..3 x {own dumpable process, root's process, own non-dumpable process, system-wide}
x {plain perf, cap_perfmon=ep copy, cap_sys_ptrace=ep copy}; Debian 6.1 adds level 3 (nothing unprivileged).
"""

from __future__ import annotations

import pytest

from ansible_collections.debugready.ptrace.plugins.module_utils import _verdict
from ansible_collections.debugready.ptrace.plugins.module_utils._caps import CAP_NUMBERS
from ansible_collections.debugready.ptrace.plugins.module_utils._verdict import Tracer, decide_perf

PERFMON = 1 << CAP_NUMBERS["cap_perfmon"]
PTRACE = 1 << CAP_NUMBERS["cap_sys_ptrace"]
SYS_ADMIN = 1 << CAP_NUMBERS["cap_sys_admin"]

NOBODY = Tracer("nobody", 65534, 65534, tool="perf")
PERFMON_COPY = Tracer("nobody", 65534, 65534, PERFMON, via="filecap", tool="perf-perfmon")
PTRACE_COPY = Tracer("nobody", 65534, 65534, PTRACE, via="filecap", tool="perf-ptrace")


def proc(uid=65534, dumpable=True, pid=4242):
    return {"pid": pid, "comm": "sleep", "user": "nobody" if uid else "root", "uids": [uid] * 4, "gids": [uid] * 4,
            "dumpable": dumpable, "kernel_thread": False, "capabilities": {"permitted": 0}, "tracer_pid": 0}


OWN, ROOT_PROC, NOT_DUMPABLE = proc(), proc(uid=0), proc(dumpable=False)


def host(paranoid, denies_all=False):
    return {"perf_event_paranoid": paranoid, "paranoid_3_denies_all": denies_all, "yama_scope": 3}


def run(tracer, what, paranoid, denies_all=False):
    if what == "system":
        return decide_perf(tracer, None, host(paranoid, denies_all), system_wide=True)
    return decide_perf(tracer, what, host(paranoid, denies_all))


# (tracer, target) -> allowed at paranoid 3 (mainline), 2, 1, 0, -1: the real outcomes on 6.18
MAINLINE = [
    ("plain own", NOBODY, OWN, [True, True, True, True, True]),
    ("plain root's", NOBODY, ROOT_PROC, [False] * 5),
    ("plain not dumpable", NOBODY, NOT_DUMPABLE, [False] * 5),
    ("plain system-wide", NOBODY, "system", [False, False, False, True, True]),
    ("perfmon own", PERFMON_COPY, OWN, [True] * 5),
    ("perfmon root's", PERFMON_COPY, ROOT_PROC, [True] * 5),
    ("perfmon not dumpable", PERFMON_COPY, NOT_DUMPABLE, [True] * 5),
    ("perfmon system-wide", PERFMON_COPY, "system", [True] * 5),
    ("ptrace own", PTRACE_COPY, OWN, [True] * 5),
    ("ptrace root's", PTRACE_COPY, ROOT_PROC, [True] * 5),
    ("ptrace not dumpable", PTRACE_COPY, NOT_DUMPABLE, [True] * 5),
    ("ptrace system-wide", PTRACE_COPY, "system", [False, False, False, True, True]),
]


@pytest.mark.parametrize("label, tracer, what, outcomes", MAINLINE, ids=[c[0] for c in MAINLINE])
@pytest.mark.parametrize("index, paranoid", list(enumerate([3, 2, 1, 0, -1])))
def test_mainline_matrix(label, tracer, what, outcomes, index, paranoid):
    verdict = run(tracer, what, paranoid)
    assert verdict["allowed"] is outcomes[index], verdict
    assert verdict["certain"] is True
    assert verdict["reason"] in _verdict.REASONS
    assert verdict["errno"] == (None if outcomes[index] else "EACCES")


ADMIN_COPY = Tracer("nobody", 65534, 65534, SYS_ADMIN, via="filecap", tool="perf-admin")
ROOT = Tracer("root", 0, 0, (1 << 41) - 1)


# Debian 6.1 (paranoid_3_denies_all) at level 3: measured, every cell refused but CAP_SYS_ADMIN's and root's;
# levels 2 to -1 gave the mainline outcomes above, cell for cell.
@pytest.mark.parametrize("tracer, what", [(t, w) for t in (NOBODY, PERFMON_COPY, PTRACE_COPY)
                                          for w in (OWN, ROOT_PROC, NOT_DUMPABLE, "system")])
def test_debian_level_3_refuses_everything_without_cap_sys_admin(tracer, what):
    verdict = run(tracer, what, 3, denies_all=True)
    assert (verdict["allowed"], verdict["reason"], verdict["errno"]) == (
        False, "perf_paranoid_3_no_unprivileged", "EACCES")
    assert "CAP_PERFMON is not enough" in verdict["explanation"]


@pytest.mark.parametrize("tracer", [ADMIN_COPY, ROOT])
@pytest.mark.parametrize("what", [OWN, ROOT_PROC, NOT_DUMPABLE, "system"])
def test_debian_level_3_yields_to_cap_sys_admin(tracer, what):
    assert run(tracer, what, 3, denies_all=True)["allowed"] is True


@pytest.mark.parametrize("index, paranoid", list(enumerate([2, 1, 0, -1])))
@pytest.mark.parametrize("label, tracer, what, outcomes", MAINLINE, ids=[c[0] for c in MAINLINE])
def test_debian_levels_below_3_are_mainline(label, tracer, what, outcomes, index, paranoid):
    assert run(tracer, what, paranoid, denies_all=True)["allowed"] is outcomes[index + 1]


def test_cap_sys_admin_counts_as_perfmon():
    assert run(ADMIN_COPY, "system", 2, denies_all=True)["allowed"] is True


def test_level_3_with_unknown_kernel_and_perfmon_is_uncertain():
    verdict = run(PERFMON_COPY, "system", 3, denies_all=None)
    assert verdict["allowed"] is None and verdict["certain"] is False


def test_level_3_with_unknown_kernel_is_uncertain_when_level_2_allows():
    verdict = run(NOBODY, OWN, 3, denies_all=None)
    assert verdict["allowed"] is None and verdict["certain"] is False
    assert "config cannot be read" in verdict["explanation"]


def test_level_3_with_unknown_kernel_keeps_a_certain_refusal():
    verdict = run(NOBODY, ROOT_PROC, 3, denies_all=None)
    assert verdict["allowed"] is False and verdict["reason"] == "uid_gid_mismatch"


@pytest.mark.parametrize("what, reason", [(ROOT_PROC, "uid_gid_mismatch"), (NOT_DUMPABLE, "target_not_dumpable"),
                                          ("system", "perf_paranoid_cpu_wide")])
def test_refusal_reasons(what, reason):
    verdict = run(NOBODY, what, 2)
    assert verdict["reason"] == reason
    if what != "system":
        assert "read check" in verdict["explanation"]


@pytest.mark.parametrize("paranoid, kernel", [(2, False), (1, True), (-1, True)])
def test_kernel_samples_follow_paranoid(paranoid, kernel):
    verdict = run(NOBODY, OWN, paranoid)
    assert verdict["kernel_samples"] is kernel
    assert (":u events" in verdict["explanation"]) is (not kernel)


def test_perfmon_keeps_kernel_samples_at_2():
    assert run(PERFMON_COPY, OWN, 2)["kernel_samples"] is True


def test_yama_does_not_matter():
    # the read check is not Yama's: scope 3 (in host()) refuses every ptrace attach, not perf
    assert run(NOBODY, OWN, 2)["allowed"] is True


def test_no_perf_events():
    verdict = run(NOBODY, OWN, None)
    assert verdict["reason"] == "perf_events_unavailable" and verdict["allowed"] is None


def test_missing_target():
    assert run(NOBODY, None, 2)["reason"] == "target_not_found"


def test_filecap_copy_whose_caps_did_not_apply_says_so():
    tracer = Tracer("nobody", 65534, 65534, 0, via="filecap", tool="perf-perfmon",
                    filecap_problem="filecap_not_applied_nosuid")
    verdict = run(tracer, "system", 2)
    assert verdict["reason"] == "filecap_not_applied_nosuid" and verdict["allowed"] is False


def test_exec_refused_outside_the_bounding_set():
    tracer = Tracer("nobody", 65534, 65534, 0, via="filecap", tool="perf-perfmon", exec_fails=True)
    verdict = run(tracer, OWN, 2)
    assert verdict["reason"] == "filecap_exec_fails_bounding_set" and verdict["errno"] == "EPERM"


# podman 4.3 on Debian 12 (containers-common's default profile), measured with a direct perf_event_open:
# every call EPERM without CAP_SYS_ADMIN (CAP_PERFMON and CAP_SYS_PTRACE added: still EPERM); with
# seccomp=unconfined the kernel's own checks answer.
@pytest.mark.parametrize("tracer", [NOBODY, PERFMON_COPY, ROOT])
@pytest.mark.parametrize("what", [OWN, ROOT_PROC, "system"])
def test_podman_default_seccomp_refuses_first(tracer, what):
    host_ = dict(host(2), seccomp_blocks_perf=True)
    verdict = decide_perf(tracer, None if what == "system" else what, host_, system_wide=what == "system")
    assert (verdict["allowed"], verdict["reason"], verdict["errno"]) == (False, "perf_blocked_by_seccomp", "EPERM")
    assert "seccomp=unconfined" in verdict["remediation"]


def test_unmeasured_engine_filter_makes_an_allowed_verdict_uncertain():
    host_ = dict(host(2), seccomp_blocks_perf=None)
    assert decide_perf(NOBODY, OWN, host_)["allowed"] is None
    assert decide_perf(NOBODY, ROOT_PROC, host_)["allowed"] is False  # the kernel refuses anyway


@pytest.mark.parametrize("container, mode, bounding, expected", [
    ({"detected": False}, 2, 0, False),
    ({"detected": True, "engine": "podman"}, 0, 0, False),  # seccomp=unconfined
    ({"detected": True, "engine": "podman"}, 2, 1 << 21, False),  # --cap-add SYS_ADMIN: the profile allows it
    ({"detected": True, "engine": "podman"}, 2, 1 << 38, True),  # --cap-add PERFMON is not enough
    ({"detected": True, "engine": "docker"}, 2, 0, None),
])
def test_seccomp_blocks_perf(container, mode, bounding, expected):
    from ansible_collections.debugready.ptrace.plugins.module_utils import _perf
    assert _perf.seccomp_blocks_perf(container, mode, bounding) is expected
