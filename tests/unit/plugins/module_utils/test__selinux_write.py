# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""The SELinux boolean writer against a fixture selinuxfs that behaves as the kernel's does: a boolean's file takes
the pending value, commit_pending_bools makes every pending value current (the real one is proven in the VM,
docs/yama-vm.md item 14)."""

from __future__ import annotations

import os

import pytest

from ansible_collections.debugready.ptrace.plugins.module_utils import _lsm, _selinux_write, _window

BOOLEANS = "/sys/fs/selinux/booleans/"


@pytest.fixture
def selinuxfs(tree, monkeypatch):
    tree.write("/sys/fs/selinux/enforce", "1")
    tree.write("/etc/selinux/config", "SELINUX=enforcing\nSELINUXTYPE=targeted\n")
    tree.write(BOOLEANS + "deny_ptrace", "1 1")
    tree.write(BOOLEANS + "httpd_can_network_connect", "0 0")
    writes = []

    def kernel_write(root, name, text):
        writes.append((name, text))
        if name == "commit_pending_bools":
            for boolean in ("deny_ptrace", "httpd_can_network_connect"):
                state = _lsm.selinux_boolean(boolean, root)
                pending = "1" if state["pending"] else "0"
                tree.write(BOOLEANS + boolean, "%s %s" % (pending, pending))
            return
        with open(tree / (_lsm.SELINUX_FS + "/" + name)) as handle:
            current = handle.read().split()[0]
        tree.write(BOOLEANS + name.split("/", 1)[1], "%s %s" % (current, text))

    monkeypatch.setattr(_selinux_write, "_write", kernel_write)
    tree.writes = writes
    return tree


def test_lowering_deny_ptrace_writes_the_boolean_then_commits(selinuxfs):
    root = str(selinuxfs)
    plan = _selinux_write.plan("deny_ptrace", False, root)
    assert plan["changed"] and plan["before"] == {"current": True, "pending": True, "persisted": None}
    _selinux_write.apply(plan, root)
    assert selinuxfs.writes == [("booleans/deny_ptrace", "0"), ("commit_pending_bools", "1")]
    assert _lsm.selinux_boolean("deny_ptrace", root)["current"] is False
    again = _selinux_write.plan("deny_ptrace", False, root)
    assert again["changed"] is False
    _selinux_write.apply(again, root)
    assert len(selinuxfs.writes) == 2  # nothing written when nothing changes


@pytest.mark.parametrize("name, words", [
    ("allow_ptrace", "has no boolean allow_ptrace"), ("../enforce", "not a SELinux boolean's name"),
    ("deny ptrace", "not a SELinux boolean's name"), ("", "not a SELinux boolean's name"),
    (None, "not a SELinux boolean's name"),
])
def test_bad_names_and_missing_booleans_change_nothing(selinuxfs, name, words):
    with pytest.raises(_selinux_write.SelinuxBooleanError, match=words):
        _selinux_write.plan(name, False, str(selinuxfs))
    assert selinuxfs.writes == []


def test_another_pending_change_is_refused_rather_than_committed(selinuxfs):
    selinuxfs.write(BOOLEANS + "httpd_can_network_connect", "0 1")
    with pytest.raises(_selinux_write.SelinuxBooleanError, match="httpd_can_network_connect have uncommitted"):
        _selinux_write.plan("deny_ptrace", False, str(selinuxfs))
    # already at the value: nothing to commit, so nothing to refuse
    assert _selinux_write.plan("deny_ptrace", True, str(selinuxfs))["changed"] is False


def test_without_selinux_nothing_is_set(tree):
    with pytest.raises(_selinux_write.SelinuxBooleanError, match="SELinux is not enabled"):
        _selinux_write.plan("deny_ptrace", False, str(tree))


def test_a_window_puts_the_boolean_back_and_skips_a_host_booted_without_selinux(selinuxfs):
    root = str(selinuxfs)
    _selinux_write.apply(_selinux_write.plan("deny_ptrace", False, root), root)
    undo = _window.check_undo([{"action": "selinux_boolean", "name": "deny_ptrace", "value": True}])
    assert _window.close({"undo": undo}, None, root, check=True) == [
        {"action": "selinux_boolean", "target": "deny_ptrace", "changed": True, "error": None}]
    assert _lsm.selinux_boolean("deny_ptrace", root)["current"] is False  # check mode wrote nothing
    assert _window.close({"undo": undo}, None, root)[0]["changed"] is True
    assert _lsm.selinux_boolean("deny_ptrace", root) == {"current": True, "pending": True, "persisted": None}
    os.remove(selinuxfs / "/sys/fs/selinux/enforce")
    assert _window.close({"undo": undo}, None, root)[0] == {
        "action": "selinux_boolean", "target": "deny_ptrace", "changed": False, "error": None}


@pytest.mark.parametrize("action, words", [
    ({"action": "selinux_boolean", "name": "../enforce", "value": True}, "not a SELinux boolean's name"),
    ({"action": "selinux_boolean", "name": "deny_ptrace", "value": 1}, "value must be"),
    ({"action": "selinux_boolean", "name": "deny_ptrace", "value": "on"}, "value must be"),
    ({"action": "selinux_boolean", "name": "deny_ptrace"}, "value must be"),
])
def test_bad_selinux_undo_actions_are_refused(action, words):
    with pytest.raises(_window.WindowError, match=words):
        _window.check_undo([action])


def test_a_failed_commit_puts_the_pending_value_back(selinuxfs, monkeypatch):
    root = str(selinuxfs)

    def refuse(root):
        raise _selinux_write.SelinuxBooleanError("cannot write commit_pending_bools: Permission denied")
    monkeypatch.setattr(_selinux_write, "commit", refuse)
    with pytest.raises(_selinux_write.SelinuxBooleanError, match="Permission denied"):
        _selinux_write.apply(_selinux_write.plan("deny_ptrace", False, root), root)
    assert _lsm.selinux_boolean("deny_ptrace", root) == {"current": True, "pending": True, "persisted": None}
    assert selinuxfs.writes == [("booleans/deny_ptrace", "0"), ("booleans/deny_ptrace", "1")]
