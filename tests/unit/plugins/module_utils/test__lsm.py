# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""The LSM reader: SELinux, AppArmor, the active LSM list and Yama's runtime state."""

from __future__ import annotations

import pytest

from ansible_collections.debugready.ptrace.plugins.module_utils import _lsm


def test_selinux_and_apparmor(tree):
    assert _lsm.selinux(str(tree)) == {"enabled": False, "enforcing": False, "mode": "disabled", "config_mode": None,
                                       "policy": None, "deny_ptrace": False, "deny_ptrace_boolean": None}
    tree.write("/sys/fs/selinux/enforce", "1")
    tree.write("/sys/fs/selinux/booleans/deny_ptrace", "1 1")
    tree.write("/sys/module/apparmor/parameters/enabled", "Y\n")
    tree.write("/sys/kernel/security/lsm", "lockdown,capability,yama,apparmor")
    assert _lsm.selinux(str(tree)) == {
        "enabled": True, "enforcing": True, "mode": "enforcing", "config_mode": None, "policy": None,
        "deny_ptrace": True, "deny_ptrace_boolean": {"current": True, "pending": True, "persisted": None}}
    # securityfs's policy not readable (a container): profiles unknown
    assert _lsm.apparmor(str(tree)) == {"enabled": True, "profiles": None, "enforcing": None}
    assert _lsm.active_lsms(str(tree)) == ["lockdown", "capability", "yama", "apparmor"]
    # securityfs lists Yama but /proc/sys does not show it (e.g. hidden): present, not writable.
    state = _lsm.yama_runtime(str(tree), ["yama"])
    assert state["present"] is True and state["writable"] is False
    assert state["not_writable_reason"] == "not_visible"


def test_selinux_mode_policy_and_a_boolean_now_pending_and_persisted(tree):
    """Debian's refpolicy as the VM has it: permissive now, enforcing at boot, a pending change, an override in
    the store; a policy without the boolean (Debian's own) gives None, and so do a malformed file and bad names."""
    tree.write("/sys/fs/selinux/enforce", "0")
    tree.write("/etc/selinux/config", "# comment\nSELINUX=Enforcing\nSELINUXTYPE=\"default\"\nSETLOCALDEFS=0\n")
    state = _lsm.selinux(str(tree))
    assert (state["mode"], state["config_mode"], state["policy"]) == ("permissive", "enforcing", "default")
    assert state["deny_ptrace_boolean"] is None and state["deny_ptrace"] is False
    tree.write("/sys/fs/selinux/booleans/deny_ptrace", "0 1")
    tree.write("/var/lib/selinux/default/active/booleans.local", "allow_ptrace=1\ndeny_ptrace=1\n")
    assert _lsm.selinux(str(tree))["deny_ptrace_boolean"] == {"current": False, "pending": True, "persisted": True}
    tree.write("/sys/fs/selinux/booleans/odd", "2 1")
    assert _lsm.selinux_boolean("odd", str(tree)) is None
    assert _lsm.selinux_boolean("../enforce", str(tree)) is None
    assert _lsm.selinux_boolean("deny_ptrace", str(tree), "../x")["persisted"] is None


def test_selinux_seuser_of_a_login(tree):
    tree.write("/etc/selinux/default/seusers", "root:unconfined_u:s0-s0:c0.c1023\n__default__:user_u:s0\n"
               "tester:staff_u:s0\n")
    root = str(tree)
    assert [_lsm.selinux_seuser(u, root, "default") for u in ("root", "tester", "bob")] == [
        "unconfined_u", "staff_u", "user_u"]
    assert _lsm.selinux_seuser("bob", root, None) is None
    tree.write("/etc/selinux/default/seusers", "%wheel:staff_u:s0\n__default__:user_u:s0\n")
    assert _lsm.selinux_seuser("bob", root, "default") is None  # group lines are not resolved: no guess


def test_selinux_access_is_asked_only_of_the_live_kernel(tree):
    assert _lsm.selinux_access("a:b:c:s0", "d:e:f:s0", "process", "ptrace", str(tree)) is None
    assert _lsm.selinux_access("a b", "d:e:f:s0", "process", "ptrace") is None
    assert _lsm.selinux_access("a:b:c:s0", "d:e:f:s0", "../x", "ptrace") is None


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


def test_apparmor_profiles_from_securityfs(tree):
    """The loaded profiles, as the VM's securityfs showed them (docs/verified-semantics.md section 20)."""
    tree.write("/sys/module/apparmor/parameters/enabled", "Y\n")
    for entry, name, mode in (("dr-tracer.8", "dr-tracer", "enforce"), ("lsb_release.0", "lsb_release", "enforce"),
                              ("x.3", "/usr/bin/x", "complain")):
        tree.write("/sys/kernel/security/apparmor/policy/profiles/%s/name" % entry, name + "\n")
        tree.write("/sys/kernel/security/apparmor/policy/profiles/%s/mode" % entry, mode + "\n")
    facts = _lsm.apparmor(str(tree))
    assert facts["profiles"] == [{"name": "dr-tracer", "mode": "enforce"}, {"name": "lsb_release", "mode": "enforce"},
                                 {"name": "/usr/bin/x", "mode": "complain"}]
    assert facts["enforcing"] == 2


@pytest.mark.parametrize("text, parsed", [
    ("unconfined", {"label": "unconfined", "mode": None, "confined": False}),
    ("dr-target (enforce)", {"label": "dr-target", "mode": "enforce", "confined": True}),
    ("/usr/sbin/apache2 (complain)\n", {"label": "/usr/sbin/apache2", "mode": "complain", "confined": True}),
    ("a//&b (enforce)", {"label": "a//&b", "mode": "enforce", "confined": True}),
    ("", None), (None, None),
])
def test_apparmor_labels(text, parsed):
    assert _lsm.apparmor_label(text) == parsed


def test_the_kernels_answer_is_not_asked_of_a_fixture_tree(tree):
    assert _lsm.apparmor_ptrace_perms("dr-tracer", "dr-target", str(tree)) is None


def test_tool_label_runs_the_probe_with_the_tool():
    calls = []

    def run(argv):
        calls.append(argv)
        return 0, "dr-tracer (enforce)\n", ""
    assert _lsm.tool_label("/usr/local/bin/strace-aa", run, "/usr/bin/python3") == "dr-tracer (enforce)"
    assert calls == [["/usr/bin/python3", "-c", _lsm.LABEL_PROBE, "/usr/local/bin/strace-aa"]]
    assert _lsm.tool_label("/x", lambda argv: (1, "", "Invalid argument"), "python3") is None
