# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""The decision table of the spec, row by row, and the canonical Apache table, cell by cell."""

from __future__ import annotations

import pytest

from ansible_collections.debugready.ptrace.plugins.module_utils import _lsm, _verdict
from ansible_collections.debugready.ptrace.plugins.module_utils._caps import FileCaps
from ansible_collections.debugready.ptrace.plugins.module_utils._verdict import Tracer, decide

PTRACE = 1 << 19
FULL = (1 << 41) - 1
PODMAN_BOUNDING = 0x800405fb  # no cap_sys_ptrace
WITH_PTRACE = PODMAN_BOUNDING | PTRACE


def worker(dumpable=False, uid=33, gid=33, permitted=0, tracer_pid=0, **extra):
    target = {"pid": 812, "comm": "apache2", "user": "www-data", "uids": [uid] * 4, "gids": [gid] * 4,
              "dumpable": dumpable, "kernel_thread": False, "capabilities": {"permitted": permitted},
              "tracer_pid": tracer_pid, "apache": True}
    target.update(extra)
    return target


def host(scope=None, selinux=None, **extra):
    data = {"yama_scope": scope, "selinux": selinux or {}, "apparmor": {}}
    data.update(extra)
    return data


ALICE = Tracer("alice", 1000, 1000)
WWW = Tracer("www-data", 33, 33, via="sudo", runas="www-data")
ROOT_SUDO = Tracer("alice", 0, 0, caps_effective=WITH_PTRACE, via="sudo", runas="root")


def filecap_tracer(bounding=WITH_PTRACE, filecaps=FileCaps(PTRACE, 0, True, 2), nosuid=False, nnp=False, prior=0):
    eff, prm, fails, problem = _verdict.tracer_caps_for("filecap", False, 0, bounding, filecaps, nosuid, nnp, prior)
    return Tracer("alice", 1000, 1000, eff, prm, via="filecap", tool="strace-debug", filecap_problem=problem,
                  exec_fails=fails)


# --- the canonical Apache table (spec section 9) --------------------------------------------

CANONICAL = [
    # tracer, target, expected reason at Yama 0, 1, 2, 3
    ("alice plain", ALICE, worker(), ["uid_gid_mismatch"] * 4),
    ("sudo -u www-data", WWW, worker(), ["target_not_dumpable"] * 4),
    ("sudo -u www-data, CoreDumpDirectory", WWW, worker(dumpable=True),
     ["allowed", "yama_scope1_not_descendant", "yama_scope2_requires_cap_sys_ptrace", "yama_scope3_no_attach"]),
    ("sudo strace as root", ROOT_SUDO, worker(), ["allowed", "allowed", "allowed", "yama_scope3_no_attach"]),
    ("cap_sys_ptrace=ep copy", filecap_tracer(), worker(), ["allowed", "allowed", "allowed", "yama_scope3_no_attach"]),
]


@pytest.mark.parametrize("label, tracer, target, reasons", CANONICAL, ids=[c[0] for c in CANONICAL])
@pytest.mark.parametrize("scope", [0, 1, 2, 3])
def test_canonical_apache_table(label, tracer, target, reasons, scope):
    verdict = decide(tracer, target, host(scope))
    assert verdict["reason"] == reasons[scope]
    assert verdict["allowed"] is (reasons[scope] == "allowed")
    assert verdict["errno"] == (None if reasons[scope] == "allowed" else "EPERM")


def selinux_host(deny=None, enforcing=True, tracer="u:r:ping_t:s0", cap=True, permissive=False, **extra):
    data = {"enabled": True, "enforcing": enforcing, "tracer": tracer, "cap_sys_ptrace": cap,
            "permissive": permissive, "deny_ptrace": bool(deny),
            "deny_ptrace_boolean": None if deny is None else {"current": deny, "pending": deny, "persisted": None}}
    data.update(extra)
    return data


def se_target(ptrace, **kwargs):
    target = worker(**kwargs)
    target["selinux"] = {"context": "system_u:system_r:httpd_t:s0", "ptrace": ptrace}
    return target


@pytest.mark.parametrize("scope", [0, 1, 2, 3])
@pytest.mark.parametrize("tracer", [ALICE, WWW, ROOT_SUDO, filecap_tracer()], ids=["alice", "www", "root", "filecap"])
def test_selinux_refuses_after_every_earlier_check(scope, tracer):
    """SELinux's hook runs after the credential checks and Yama: it refuses only what they let through, EACCES."""
    for ptrace, deny, reason in [(False, True, "selinux_deny_ptrace"), (False, False, "selinux_denied"),
                                 (False, None, "selinux_denied")]:
        verdict = decide(tracer, se_target(ptrace, dumpable=True), host(scope, selinux_host(deny)))
        if decide(tracer, worker(dumpable=True), host(scope))["allowed"]:
            assert (verdict["reason"], verdict["errno"], verdict["certain"]) == (reason, "EACCES", True)
        else:
            assert verdict["allowed"] is False and verdict["errno"] == "EPERM"


@pytest.mark.parametrize("selinux, ptrace, reason, certain", [
    (selinux_host(True), False, "selinux_deny_ptrace", True),
    (selinux_host(True), True, "allowed", True),        # the boolean on, and still a rule for this domain
    (selinux_host(True), None, "selinux_deny_ptrace", False),  # the policy could not be asked
    (selinux_host(True, tracer=None), None, "selinux_deny_ptrace", False),
    (selinux_host(False), False, "selinux_denied", True),
    (selinux_host(None), None, "allowed", False),        # not asked, no boolean: uncertain
    (selinux_host(None, tracer=None), None, "allowed", False),
    (selinux_host(True, enforcing=False), False, "allowed", True),   # permissive: logged, not refused
    (selinux_host(True, permissive=True), False, "allowed", True),   # a permissive domain likewise
    ({"enabled": False, "enforcing": False}, False, "allowed", True),
])
def test_selinux_verdicts(selinux, ptrace, reason, certain):
    verdict = decide(ROOT_SUDO, se_target(ptrace), host(0, selinux))
    assert (verdict["reason"], verdict["certain"]) == (reason, certain)


def test_selinux_login_of_another_seuser_makes_the_verdict_uncertain():
    verdict = decide(ROOT_SUDO, se_target(True), host(0, selinux_host(False, login_differs=True)))
    assert verdict["allowed"] is True and verdict["certain"] is False
    assert "logs in as another SELinux user" in verdict["explanation"]


@pytest.mark.parametrize("scope", [0, 1, 2])
def test_selinux_domain_without_capability_sys_ptrace_makes_root_fail_the_capability_checks(scope):
    """Measured: root in ping_t (no 'capability sys_ptrace') on www-data's worker gets EPERM, not EACCES."""
    verdict = decide(ROOT_SUDO, se_target(True), host(scope, selinux_host(False, cap=False)))
    assert (verdict["reason"], verdict["errno"]) == ("uid_gid_mismatch", "EPERM")
    assert "is not given 'capability sys_ptrace'" in verdict["explanation"]
    # the same ids and dumpable: no capability is needed, SELinux's ptrace rule decides
    same = decide(ROOT_SUDO, se_target(True, uids=[0, 0, 0, 0], gids=[0, 0, 0, 0], dumpable=True),
                  host(0, selinux_host(False, cap=False)))
    assert same["allowed"] is True
    # Yama 1 needs the capability for a non-descendant: refused with Yama's reason and the SELinux note
    yama = decide(ROOT_SUDO, se_target(True, uids=[0, 0, 0, 0], gids=[0, 0, 0, 0], dumpable=True),
                  host(1, selinux_host(False, cap=False)))
    assert yama["reason"] == "yama_scope1_not_descendant" and "capability sys_ptrace" in yama["explanation"]


# --- each row of the decision table ---------------------------------------------------------

def test_row1_target_not_found():
    verdict = decide(ALICE, None, host(0))
    assert (verdict["reason"], verdict["errno"]) == ("target_not_found", "ESRCH")


def test_row2_kernel_thread_and_self():
    assert decide(ROOT_SUDO, worker(kernel_thread=True, uid=0, gid=0), host(0))["reason"] == "kernel_thread"
    me = Tracer("alice", 1000, 1000, pid=812)
    assert decide(me, worker(uid=1000, gid=1000, dumpable=True), host(0))["reason"] == "self"


def test_row3_strict_seccomp():
    tracer = Tracer("alice", 1000, 1000, seccomp_mode=1)
    assert decide(tracer, worker(uid=1000, gid=1000, dumpable=True), host(0))["reason"] == "seccomp_blocks_ptrace"
    # A seccomp filter (mode 2) is not known to block ptrace (podman's and docker's allow it).
    tracer = Tracer("alice", 1000, 1000, seccomp_mode=2)
    assert decide(tracer, worker(uid=1000, gid=1000, dumpable=True), host(0))["allowed"] is True


def test_row4_filecap_exec_fails_without_sys_ptrace_in_bounding_set():
    verdict = decide(filecap_tracer(bounding=PODMAN_BOUNDING), worker(), host(0))
    assert verdict["reason"] == "filecap_exec_fails_bounding_set"
    assert "--cap-add SYS_PTRACE" in verdict["remediation"]
    # Without the effective flag the exec succeeds with the caps silently dropped.
    tracer = filecap_tracer(bounding=PODMAN_BOUNDING, filecaps=FileCaps(PTRACE, 0, False, 2))
    assert decide(tracer, worker(), host(0))["reason"] == "uid_gid_mismatch"


@pytest.mark.parametrize("kwargs, reason", [
    ({"filecaps": None}, "filecap_not_applied_missing"),
    ({"nosuid": True}, "filecap_not_applied_nosuid"),
    ({"nnp": True}, "filecap_not_applied_nnp"),
])
def test_row5_filecap_not_applied_is_the_reported_cause(kwargs, reason):
    verdict = decide(filecap_tracer(**kwargs), worker(), host(0))
    assert verdict["reason"] == reason and verdict["allowed"] is False
    assert "uids 33/33/33" in verdict["explanation"]


def test_row5_nnp_with_prior_caps_keeps_them():
    tracer = filecap_tracer(nnp=True, prior=PTRACE)
    assert tracer.filecap_problem is None
    assert decide(tracer, worker(), host(1))["allowed"] is True


def test_row5_filecap_not_applied_but_same_user_dumpable_is_allowed():
    verdict = decide(filecap_tracer(nosuid=True), worker(uid=1000, gid=1000, dumpable=True), host(0))
    assert verdict["allowed"] is True


@pytest.mark.parametrize("uids, gids", [
    ([1000, 33, 1000, 1000], [1000] * 4),   # euid differs (setuid binary)
    ([1000, 1000, 0, 1000], [1000] * 4),    # saved uid differs
    ([1000] * 4, [1000, 1000, 1000, 5]),   # fsgid is not checked
    ([1000] * 4, [1000, 27, 1000, 1000]),   # egid differs
])
def test_row6_mixed_id_triplets(uids, gids):
    target = worker(dumpable=True, uids=uids, gids=gids)
    verdict = decide(ALICE, target, host(0))
    expected = "allowed" if gids[3] == 5 else "uid_gid_mismatch"
    assert verdict["reason"] == expected


def test_row6_root_without_cap_in_container():
    root_in_container = Tracer("root", 0, 0, caps_effective=PODMAN_BOUNDING, via="sudo", runas="root")
    verdict = decide(root_in_container, worker(), host(None))
    assert verdict["reason"] == "uid_gid_mismatch"
    assert "--cap-add SYS_PTRACE" in verdict["remediation"]


def test_row7_not_dumpable_and_unknown_for_root_targets():
    verdict = decide(WWW, worker(), host(0))
    assert verdict["reason"] == "target_not_dumpable"
    assert "CoreDumpDirectory" in verdict["remediation"]
    root_no_cap = Tracer("root", 0, 0, caps_effective=PODMAN_BOUNDING, via="sudo", runas="root")
    verdict = decide(root_no_cap, worker(uid=0, gid=0, dumpable=None), host(0))
    assert verdict["reason"] == "target_not_dumpable"
    assert verdict["allowed"] is None and verdict["certain"] is False


def test_row8_target_has_more_capabilities():
    verdict = decide(ALICE, worker(uid=1000, gid=1000, dumpable=True, permitted=1 << 10), host(0))
    assert verdict["reason"] == "target_has_more_capabilities"
    assert "cap_net_bind_service" in verdict["explanation"]
    # The tracer holding the same capabilities passes this check.
    tracer = Tracer("alice", 1000, 1000, caps_effective=0, caps_permitted=1 << 10)
    assert decide(tracer, worker(uid=1000, gid=1000, dumpable=True, permitted=1 << 10), host(0))["allowed"]


def test_rows9_to_11_yama():
    own = worker(uid=1000, gid=1000, dumpable=True)
    assert decide(ALICE, own, host(0))["allowed"] is True
    assert decide(ALICE, own, host(None))["allowed"] is True
    assert decide(ALICE, own, host(1))["reason"] == "yama_scope1_not_descendant"
    assert decide(ALICE, own, host(2))["reason"] == "yama_scope2_requires_cap_sys_ptrace"
    assert decide(ALICE, own, host(3))["reason"] == "yama_scope3_no_attach"
    assert decide(ROOT_SUDO, own, host(3))["reason"] == "yama_scope3_no_attach"


def apparmor(tracer="unconfined", in_play=True):
    """host() extras for an AppArmor host whose tool runs under `tracer` (its /proc/PID/attr/current text; None:
    unknown)."""
    return {"apparmor": {"enabled": True, "in_play": in_play, "tracer": _lsm.apparmor_label(tracer)}}


def confined_worker(label="dr-target (enforce)", trace=True, tracedby=True, **extra):
    return worker(apparmor={"label": _lsm.apparmor_label(label), "trace": trace, "tracedby": tracedby}, **extra)


# The cells of docs/verified-semantics.md section 20 (Debian 6.1, AppArmor 3.0.8): root traces another uid's process
# at Yama 1; (tracer label, the kernel's .access answers, outcome).
@pytest.mark.parametrize("tracer, trace, tracedby, reason, certain", [
    # an unconfined tracer is never refused, not even by a target's deny rule
    ("unconfined", True, True, "allowed", True),
    # a confined tracer without ptrace (trace) for the target's label: EACCES
    ("dr-tracer (enforce)", False, True, "apparmor_denied", True),
    # the target's profile denies being traced by the tracer's: EACCES
    ("dr-tracer (enforce)", True, False, "apparmor_denied", True),
    # complain mode: allowed and logged
    ("dr-tracer (complain)", False, False, "allowed", True),
    # allowed by both sides, but the attach needs CAP_SYS_PTRACE, which the profile must grant: not shown
    ("dr-tracer (enforce)", True, True, "allowed", False),
    # the tool's label could not be learnt
    (None, None, None, "allowed", False),
])
def test_row13_apparmor_cells(tracer, trace, tracedby, reason, certain):
    verdict = decide(ROOT_SUDO, confined_worker(trace=trace, tracedby=tracedby), host(1, **apparmor(tracer)))
    assert (verdict["reason"], verdict["certain"]) == (reason, certain), verdict
    if reason == "apparmor_denied":
        assert verdict["errno"] == "EACCES" and "dr-tracer" in verdict["explanation"]
        assert ("ptrace (trace) peer=dr-target" if trace is False else "deny ptrace (tracedby)") in \
            verdict["remediation"]


def test_row13_yama_refuses_before_apparmor():
    """tester's confined tracer on tester's own process: Yama 1 says EPERM first; at 0 AppArmor says EACCES."""
    own = confined_worker(trace=False, uid=1000, gid=1000, dumpable=True)
    assert decide(ALICE, own, host(1, **apparmor("dr-tracer (enforce)")))["reason"] == "yama_scope1_not_descendant"
    verdict = decide(ALICE, own, host(0, **apparmor("dr-tracer (enforce)")))
    assert (verdict["reason"], verdict["errno"]) == ("apparmor_denied", "EACCES")
    # same ids, dumpable, Yama 0: no capability needed, so the allowed verdict is certain
    assert decide(ALICE, confined_worker(uid=1000, gid=1000, dumpable=True),
                  host(0, **apparmor("dr-tracer (enforce)")))["certain"] is True


def test_row8_a_status_without_capprm_is_not_a_traceback():
    # read_status_caps gives None for a missing CapPrm line (an odd kernel or a race with exit).
    verdict = decide(ALICE, worker(uid=1000, gid=1000, dumpable=True, permitted=None), host(0))
    assert verdict["reason"] == "allowed"


def test_row14_already_traced():
    verdict = decide(ROOT_SUDO, worker(tracer_pid=4711), host(1))
    assert verdict["reason"] == "already_traced" and "4711" in verdict["explanation"]


def test_every_reason_is_declared_and_results_are_complete():
    for tracer, target in [(c[1], c[2]) for c in CANONICAL]:
        for scope in range(4):
            verdict = decide(tracer, target, host(scope))
            assert verdict["reason"] in _verdict.REASONS
            assert set(verdict) == {"allowed", "reason", "errno", "explanation", "remediation", "certain"}
            if not verdict["allowed"]:
                assert verdict["remediation"]


def test_root_equivalence_is_stated_when_remedy_grants_ptrace():
    for reason_case in (decide(ALICE, worker(), host(0)), decide(WWW, worker(), host(0))):
        assert "root-equivalent" in reason_case["remediation"]


# --- found by mutation testing (scripts/mutation, docs/mutation.md): each pins a decision no test fixed ---

NET_RAW = 1 << 13
SESSION = FULL & ~(1 << 5)  # a root session's CapEff, without cap_kill, so it differs from FULL


def fresh(text):
    """A string equal to `text` but not the same object, as module arguments arrive (decoded JSON)."""
    return "".join(list(text))


@pytest.mark.parametrize("via, is_root, filecaps, bounding, nosuid, nnp, prior, expected", [
    # sudo as root gets the bounding set, sudo as another user nothing; direct keeps the session's set
    ("sudo", True, None, WITH_PTRACE, False, False, 0, (WITH_PTRACE, WITH_PTRACE, False, None)),
    ("sudo", False, None, WITH_PTRACE, False, False, 0, (0, 0, False, None)),
    ("direct", True, None, WITH_PTRACE, False, False, 0, (SESSION, SESSION, False, None)),
    ("direct", False, None, WITH_PTRACE, False, False, 0, (SESSION, SESSION, False, None)),
    # filecap: a non-root caller starts from nothing, root keeps its session set (and the file adds to it)
    ("filecap", False, None, WITH_PTRACE, False, False, 0, (0, 0, False, "filecap_not_applied_missing")),
    ("filecap", True, None, WITH_PTRACE, False, False, 0, (SESSION, SESSION, False, "filecap_not_applied_missing")),
    ("filecap", False, FileCaps(PTRACE, 0, True, 2), WITH_PTRACE, True, False, 0,
     (0, 0, False, "filecap_not_applied_nosuid")),
    ("filecap", False, FileCaps(PTRACE, 0, True, 2), WITH_PTRACE, False, False, 0, (PTRACE, PTRACE, False, None)),
    ("filecap", True, FileCaps(PTRACE, 0, True, 2), WITH_PTRACE, False, False, 0,
     (SESSION | PTRACE, SESSION | PTRACE, False, None)),
    ("filecap", True, FileCaps(PTRACE | NET_RAW, 0, True, 2), FULL, False, False, 0, (SESSION, SESSION, False, None)),
    # a bounding set of exactly CAP_SYS_PTRACE still lets a cap_sys_ptrace=ep file run
    ("filecap", False, FileCaps(PTRACE, 0, True, 2), PTRACE, False, False, 0, (PTRACE, PTRACE, False, None)),
    # fE with a capability outside the bounding set: the exec itself fails, root or not
    ("filecap", True, FileCaps(PTRACE | NET_RAW, 0, True, 2), PTRACE, False, False, 0,
     (0, 0, True, "filecap_exec_fails_bounding_set")),
    # without fE the exec succeeds: permitted is masked by the bounding set, nothing becomes effective
    ("filecap", False, FileCaps(PTRACE | NET_RAW, 0, False, 2), PTRACE, False, False, 0, (0, PTRACE, False, None)),
    ("filecap", True, FileCaps(PTRACE | NET_RAW, 0, False, 2), PTRACE, False, False, 0,
     (SESSION, SESSION | PTRACE, False, None)),
    # no_new_privs: only what the caller already held survives
    ("filecap", False, FileCaps(PTRACE | NET_RAW, 0, True, 2), FULL, False, True, NET_RAW,
     (NET_RAW, NET_RAW, False, "filecap_not_applied_nnp")),
    ("filecap", False, FileCaps(PTRACE | NET_RAW, 0, False, 2), FULL, False, True, NET_RAW,
     (0, NET_RAW, False, "filecap_not_applied_nnp")),
    ("filecap", True, FileCaps(PTRACE | NET_RAW, 0, True, 2), FULL, False, True, PTRACE,
     (SESSION, SESSION, False, "filecap_not_applied_nnp")),
    ("filecap", False, FileCaps(PTRACE, 0, True, 2), FULL, False, True, PTRACE | NET_RAW, (PTRACE, PTRACE, False, None)),
    # no_new_privs compares with what the bounding set leaves of the file's set, not with the file's set
    ("filecap", False, FileCaps(PTRACE | NET_RAW, 0, False, 2), PTRACE, False, True, PTRACE, (0, PTRACE, False, None)),
])
def test_tracer_caps_for_every_path(via, is_root, filecaps, bounding, nosuid, nnp, prior, expected):
    result = _verdict.tracer_caps_for(via, is_root, SESSION, bounding, filecaps, nosuid, nnp, prior)
    assert result == expected
    # The same answer for a `via` string that is equal but not identical (module arguments).
    assert _verdict.tracer_caps_for(fresh(via), is_root, SESSION, bounding, filecaps, nosuid, nnp, prior) == expected


def test_default_tracer_holds_no_capabilities():
    # Tracer() defaults stand for a plain login: a target holding any capability is out of reach.
    verdict = decide(ALICE, worker(uid=1000, gid=1000, dumpable=True, permitted=1), host(0))
    assert (verdict["reason"], verdict["explanation"]) == (
        "target_has_more_capabilities",
        "apache2[812] holds capabilities the tracer lacks (cap_chown); without CAP_SYS_PTRACE the kernel refuses.")


def test_more_capabilities_names_exactly_the_missing_ones():
    tracer = Tracer("alice", 1000, 1000, caps_effective=0, caps_permitted=NET_RAW)
    verdict = decide(tracer, worker(uid=1000, gid=1000, dumpable=True, permitted=NET_RAW | 1 << 10 | 1 << 12), host(0))
    assert verdict["explanation"] == ("apache2[812] holds capabilities the tracer lacks (cap_net_bind_service, "
                                      "cap_net_admin); without CAP_SYS_PTRACE the kernel refuses.")
    assert verdict["remediation"] == "Trace it as root through sudo. " + _verdict.ROOT_EQUIVALENT
    # A target whose capabilities are unknown is not taken to hold any.
    assert decide(ALICE, worker(uid=1000, gid=1000, dumpable=True, capabilities={}), host(0))["allowed"] is True


@pytest.mark.parametrize("uids, gids, reason", [
    ([1000, 1000, 1000, 5], [1000] * 4, "allowed"),            # fsuid is not checked
    ([1000] * 4, [1000, 1000, 27, 1000], "uid_gid_mismatch"),  # saved gid differs
    ([2000] * 4, [1000] * 4, "uid_gid_mismatch"),              # a higher uid is another user too
    ([1000] * 4, [2000] * 4, "uid_gid_mismatch"),
])
def test_ids_compared_one_by_one_real_effective_saved(uids, gids, reason):
    assert decide(ALICE, worker(dumpable=True, uids=uids, gids=gids), host(0))["reason"] == reason


def test_ids_compared_by_value():
    # /proc gives ints parsed from text, the account database others: equal values, distinct objects.
    target = worker(dumpable=True, uids=[int("1000")] * 4, gids=[int("1000")] * 4)
    assert decide(Tracer("alice", int("1000"), int("1000")), target, host(0))["allowed"] is True


@pytest.mark.parametrize("tracer_pid, reason", [
    (None, "allowed"), (700, "allowed"), (900, "allowed"), (int("812"), "self")])
def test_self_only_for_the_same_pid(tracer_pid, reason):
    tracer = Tracer("alice", 1000, 1000, pid=tracer_pid)
    assert decide(tracer, worker(uid=1000, gid=1000, dumpable=True), host(0))["reason"] == reason


def test_uid_mismatch_explanation_lists_real_effective_saved_ids():
    target = worker(uids=[33, 33, 33, 44], gids=[33, 33, 33, 55])
    verdict = decide(ALICE, target, host(0))
    assert verdict["explanation"] == ("apache2[812] runs as uids 33/33/33 gids 33/33/33; alice (uid 1000) has real "
                                      "gid 1000 and no CAP_SYS_PTRACE, so the kernel requires every one of the "
                                      "target's ids to match.")
    root = Tracer("root", 0, 0, caps_effective=PODMAN_BOUNDING)
    assert decide(root, target, host(0))["explanation"] == (
        "apache2[812] runs as uids 33/33/33 gids 33/33/33; root (uid 0) has real gid 0 and no CAP_SYS_PTRACE (it is "
        "not in the bounding set), so the kernel requires every one of the target's ids to match.")


@pytest.mark.parametrize("dumpable, remedy", [
    (False, "Trace it as root through sudo (a group-scoped, time-boxed grant of the tool). "),
    (True, "Trace it as root through sudo (a group-scoped, time-boxed grant of the tool), or run the tool as "
           "www-data (sudo -u www-data) where Yama allows it. "),
    (None, "Trace it as root through sudo (a group-scoped, time-boxed grant of the tool), or run the tool as "
           "www-data (sudo -u www-data) where Yama allows it. "),
])
def test_other_user_remedy_offers_sudo_u_only_for_a_dumpable_target(dumpable, remedy):
    verdict = decide(ALICE, worker(dumpable=dumpable), host(0))
    assert verdict["remediation"] == remedy + _verdict.ROOT_EQUIVALENT


def test_other_user_remedy_without_a_user_name():
    verdict = decide(ALICE, worker(dumpable=True, user=None), host(0))
    assert "run the tool as its user (sudo -u its user)" in verdict["remediation"]


def test_not_dumpable_explanation_and_remedies():
    verdict = decide(WWW, worker(), host(0))
    assert verdict["explanation"] == ("apache2[812] is not dumpable (it changed credentials, e.g. Apache dropping "
                                      "root for www-data), so even its own user cannot trace it without "
                                      "CAP_SYS_PTRACE.")
    apache = ("Apache workers become dumpable only when CoreDumpDirectory is configured (then restart Apache)%s; "
              "or trace them as root through sudo. " + _verdict.ROOT_EQUIVALENT)
    assert verdict["remediation"] == apache % ""
    configured = decide(WWW, worker(), host(0, coredump_directory=True))["remediation"]
    assert configured == apache % " - it is configured, so Apache has not been restarted since"
    other = decide(WWW, worker(apache=False, user=None), host(0))
    assert "e.g. Apache dropping root for its user" in other["explanation"]
    assert other["remediation"] == ("Make it dumpable (prctl(PR_SET_DUMPABLE, 1) in the program, or "
                                    "fs.suid_dumpable=1 before it starts), or trace it as root through sudo. "
                                    + _verdict.ROOT_EQUIVALENT)


@pytest.mark.parametrize("apparmor_host", [{"enabled": False}, {"enabled": True, "in_play": False}, {}])
def test_apparmor_plays_no_part_when_off_or_without_profiles(apparmor_host):
    off = decide(ROOT_SUDO, confined_worker(trace=False), host(0, apparmor=apparmor_host))
    assert off["certain"] is True and off["explanation"] == "alice (uid 0) may attach to apache2[812] with CAP_SYS_PTRACE."


def test_allowed_explanation_says_why():
    own = decide(ALICE, worker(uid=1000, gid=1000, dumpable=True), host(0))
    assert own["explanation"] == "alice (uid 1000) may attach to apache2[812] (same ids, dumpable)."


def test_refusals_are_certain_unless_said_otherwise():
    cases = [decide(case[1], case[2], host(scope)) for case in CANONICAL for scope in range(4)]
    cases.append(decide(ALICE, None, host(0)))
    assert [c["reason"] for c in cases if c["certain"] is not True] == []


def test_filecap_note_names_the_cause_first():
    verdict = decide(filecap_tracer(nosuid=True), worker(), host(0))
    assert verdict["explanation"].startswith(
        "Strace-debug is on a nosuid mount, where file capabilities are ignored, so: apache2[812] runs as uids")
    assert verdict["remediation"] == ("Keep the tool on a filesystem mounted without nosuid "
                                      "(e.g. /usr/local/bin).")


@pytest.mark.parametrize("via", ["sudo", "direct"])
def test_filecap_note_only_for_the_filecap_path(via):
    # A problem recorded for another path is not the cause of its refusal.
    tracer = Tracer("alice", 1000, 1000, via=fresh(via), filecap_problem="filecap_not_applied_nosuid")
    assert decide(tracer, worker(), host(0))["reason"] == "uid_gid_mismatch"
    tracer = Tracer("alice", 1000, 1000, via=fresh("filecap"), filecap_problem="filecap_not_applied_nosuid")
    assert decide(tracer, worker(), host(0))["reason"] == "filecap_not_applied_nosuid"


def test_tracer_caps_for_defaults_mean_a_plain_exec():
    # Without nosuid/no_new_privs arguments: a normal mount, no NNP; with NNP and no prior set, nothing survives.
    chown_ptrace = FileCaps(1 | PTRACE, 0, True, 2)
    assert _verdict.tracer_caps_for("filecap", False, 0, FULL, chown_ptrace) == (1 | PTRACE, 1 | PTRACE, False, None)
    assert _verdict.tracer_caps_for("filecap", False, 0, FULL, chown_ptrace, no_new_privs=True) == (
        0, 0, False, "filecap_not_applied_nnp")


# --- sudo: decide_sudo and its texts ---------------------------------------------------------------

SUDO_USER = {"name": "alice", "uid": 1000, "gid": 1000, "groups": ["alice", "debug"]}


def sudo_answer(**changes):
    fields = dict(account=SUDO_USER, runas="root", tool_path="/usr/bin/strace", no_new_privs=False, rc=0, stdout="",
                  stderr="", nopasswd=True, interactive=False)
    fields.update(changes)
    return _verdict.SudoAnswer(**fields)


def test_sudo_runs_the_command_and_the_kernel_decides_next():
    assert _verdict.decide_sudo(sudo_answer(), [], []) is None
    # A password rule is fine when the user may type it.
    assert _verdict.decide_sudo(sudo_answer(nopasswd=False, interactive=True), [], []) is None
    # The listing did not say: not a refusal.
    assert _verdict.decide_sudo(sudo_answer(nopasswd=None), [], []) is None


def test_sudo_under_no_new_privs_refuses_before_any_rule():
    verdict = _verdict.decide_sudo(sudo_answer(no_new_privs=True, rc=None), [], [])
    assert (verdict["reason"], verdict["allowed"], verdict["errno"], verdict["certain"]) == (
        "sudo_not_permitted", False, None, True)
    assert verdict["explanation"] == "sudo refuses to run under no_new_privs, which this session has."
    assert "sudo_check" not in verdict


def test_sudo_says_no_with_its_output_and_a_group_scoped_remedy():
    verdict = _verdict.decide_sudo(sudo_answer(rc=1, stderr="Sorry, user alice may not run sudo\n", nopasswd=None),
                                   [], [])
    assert verdict["reason"] == "sudo_not_permitted" and verdict["errno"] is None
    assert verdict["sudo_check"] == {"rc": 1, "stdout": "", "stderr": "Sorry, user alice may not run sudo\n"}
    assert verdict["explanation"] == ("sudo says no: no sudoers rule lets alice (or a group it is in: alice, debug) "
                                      "run /usr/bin/strace as root.")
    assert verdict["remediation"].startswith("Grant it to a group the user is in, time-boxed: "
                                             "debugready.ptrace.sudoers_grant (principals: ['%debug'], commands: "
                                             "[/usr/bin/strace], not_after: 8h). ")
    assert verdict["remediation"].endswith(_verdict.ROOT_EQUIVALENT)
    other = _verdict.decide_sudo(sudo_answer(rc=1, runas="www-data"), [], [])
    assert other["remediation"] == ("Grant it as www-data (runas) to a group the user is in, with "
                                    "debugready.ptrace.sudoers_grant.")


def test_sudo_password_rule_without_interactive_use():
    verdict = _verdict.decide_sudo(sudo_answer(nopasswd=False), [], [])
    assert verdict["reason"] == "sudo_password_required" and verdict["allowed"] is False
    assert verdict["explanation"] == ("sudoers lets alice run /usr/bin/strace as root, but only with a password, "
                                      "and non-interactive use was asked for.")


def test_explain_sudo_refusal_names_the_grant():
    alice = {"name": "alice", "uid": 1000, "gid": 1000, "groups": ["alice", "debug"]}
    grants = [{"principal": "%debug", "tools": ["strace"], "expired": True, "not_after_utc": "2020-01-01T00:00:00Z",
               "runas": ["root"], "source": "/etc/sudoers.d/debug", "line": 1, "commands": ["/usr/bin/strace"]},
              {"principal": "alice", "tools": ["strace"], "expired": False, "runas": ["www-data"],
               "source": "/etc/sudoers.d/web", "line": 2, "commands": ["/usr/bin/strace"]}]
    text = _verdict.explain_sudo_refusal(alice, "root", "/usr/bin/strace", grants,
                                         [{"path": "/etc/sudoers.d/x.conf", "reason": "name_contains_dot"}])
    assert "expired at 2020-01-01T00:00:00Z" in text
    assert "as www-data only" in text
    assert "sudo ignores /etc/sudoers.d/x.conf" in text
    text = _verdict.explain_sudo_refusal(alice, "root", "/usr/bin/gdb", grants, [])
    assert "no sudoers rule lets alice (or a group it is in: alice, debug) run /usr/bin/gdb as root" in text


@pytest.mark.parametrize("selinux, certain", [
    ({"enabled": True, "enforcing": True}, False), ({"enabled": True, "enforcing": False}, True), ({}, True),
    (None, True),
])
def test_perf_and_bpf_verdicts_are_uncertain_where_selinux_enforces(selinux, certain):
    """SELinux's perf_event and bpf classes are not modelled: an allowed perf, bpftrace or BCC verdict says so."""
    allowed = _verdict._result("allowed", "perf may open its events.", None, allowed=True)
    noted = _verdict.note_lsm_not_modelled(allowed, selinux)
    assert noted["certain"] is certain and ("not modelled" in noted["explanation"]) is (not certain)
    refused = _verdict._result("perf_paranoid_cpu_wide", "refused", "fix")
    assert _verdict.note_lsm_not_modelled(refused, selinux) == refused
