# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""The findings (_findings.evaluate) drawn from whole snapshots of fixture hosts (tests/unit/snapshot_fixtures.py)."""

from __future__ import annotations

import os

import pytest

from snapshot_fixtures import PODMAN_BOUNDING, gather, ids, make_host


def test_no_sudo_installed_is_no_sudoers_finding(tree):
    make_host(tree)
    os.unlink(tree / "/etc/sudoers")
    facts = gather(tree, sections=("tools", "sudoers"))
    assert facts["sudoers"]["installed"] is False
    assert [f for f in facts["findings"] if f["id"].startswith("sudoers")] == []


def test_sudo_installed_without_its_main_file_is_high_and_names_no_none(tree):
    make_host(tree)
    os.unlink(tree / "/etc/sudoers")
    tree.write("/usr/bin/sudo", "", mode=0o4755)
    facts = gather(tree, sections=("tools", "sudoers"))
    found = [f for f in facts["findings"] if f["id"].startswith("sudoers")]
    assert [(f["id"], f["severity"]) for f in found] == [("sudoers_file_unsafe", "high")]
    assert "None" not in found[0]["message"] and "/etc/sudoers does not exist" in found[0]["message"]


@pytest.mark.parametrize("scope, finding", [(0, "yama_scope_0"), (3, "yama_locked"), (1, None), (2, None)])
def test_yama_runtime_findings(tree, scope, finding):
    make_host(tree, yama=scope)
    facts = gather(tree, sections=("yama",))
    assert facts["gathered"] == ["yama"]
    assert facts["yama"]["present"] is True and facts["yama"]["scope"] == scope
    assert facts["yama"]["locked"] is (scope == 3)
    assert facts["yama"]["writable"] is (scope != 3)
    assert ids(facts) == ([finding] if finding else [])


def test_sudoers_findings_from_a_messy_tree(tree):
    make_host(tree)
    tree.write("/usr/bin/sudo", "", mode=0o4755)
    tree.write("/etc/sudoers", "root ALL=(ALL:ALL) ALL\n%sudo ALL=(ALL:ALL) ALL\n"
                               "#includedir /etc/sudoers.d\n@includedir /etc/sudoers.d\n", mode=0o440)
    tree.write("/etc/sudoers.d/debug.conf", "%debug ALL=(root) NOPASSWD: /usr/bin/strace\n", mode=0o440)
    tree.write("/etc/sudoers.d/old", "alice ALL=(root) NOTAFTER=20260101000000Z /usr/bin/strace\n", mode=0o440)
    facts = gather(tree, sections=("tools", "sudoers"))
    found = set(ids(facts))
    assert {"sudoers_file_skipped", "sudoers_double_include", "sudoers_grant_expired",
            "sudoers_grant_via_all"} <= found
    via_all = [f for f in facts["findings"] if f["id"] == "sudoers_grant_via_all"]
    # root is root already: only %sudo's blanket grant is worth a finding; ALL covers installed tools only.
    assert len(via_all) == 1 and via_all[0]["message"].startswith("%sudo may run ALL commands as ALL, so also strace")
    skipped = [f for f in facts["findings"] if f["id"] == "sudoers_file_skipped"][0]
    assert "/etc/sudoers.d/debug.conf" in skipped["message"] and "Rename" in skipped["remediation"]


def test_findings_are_sorted_by_severity(tree):
    # Found in the order info (Yama), medium (container), high (sudoers file), low (grant): sorting must move them.
    make_host(tree, bounding=PODMAN_BOUNDING, container="podman")
    tree.write("/usr/bin/sudo", "", mode=0o4755)
    tree.write("/etc/sudoers.d/expired", "bob ALL=(root) NOTAFTER=20200101000000Z NOPASSWD: /usr/bin/strace\n",
               mode=0o440)
    tree.write("/etc/sudoers.d/open", "carol ALL=(root) NOPASSWD: /usr/bin/strace\n", mode=0o666)
    facts = gather(tree)
    assert [(f["id"], f["severity"]) for f in facts["findings"]] == [
        ("sudoers_file_unsafe", "high"), ("container_no_sys_ptrace", "medium"), ("sudoers_grant_expired", "low"),
        ("yama_absent", "info")]
    for item in facts["findings"]:
        assert set(item) >= {"id", "severity", "message", "remediation"}
        assert item["message"].endswith(".") and item["remediation"]
