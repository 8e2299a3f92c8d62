# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""The LSM reader: SELinux, AppArmor, the active LSM list and Yama's runtime state."""

from __future__ import annotations

import pytest

from ansible_collections.debugready.ptrace.plugins.module_utils import _lsm


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
