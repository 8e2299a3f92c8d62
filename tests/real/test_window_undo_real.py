# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""The role's revert of group members on the container's real group files: the role renders its undo list
(__debug_access_undo, with its own family.yml and vars), and the closer that the revert (debug_window) and a
window's timer run carries it out (_window.close, with the host-side runner of _window_cli).

The container is Debian, so the family's tool is shadow's gpasswd (Alpine's busybox delgroup is not in this image:
see the unit tests).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from ansible_collections.debugready.ptrace.plugins.module_utils import _window, _window_cli

HERE = os.path.dirname(os.path.abspath(__file__))
ROLE = os.path.realpath(os.path.join(HERE, "..", "..", "roles", "debug_access"))
GROUP = "rvdebug"
USERS = ("rvalice", "rvbob", "rvcarol")


def sh(*argv):
    return subprocess.run(list(argv), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, check=False)


def members(path):
    with open(path) as handle:
        for line in handle:
            fields = line.rstrip("\n").split(":")
            if fields[0] == GROUP:
                return sorted(m for m in fields[3].split(",") if m)
    raise AssertionError("no group %s in %s" % (GROUP, path))


UNDO_FILE = "/tmp/debugready-undo.json"


def undo_list():
    env = dict(os.environ, LC_ALL="C.UTF-8", ANSIBLE_NOCOLOR="1", ANSIBLE_RETRY_FILES_ENABLED="0",
               ANSIBLE_LOCAL_TEMP="/tmp/ansible-local", ANSIBLE_REMOTE_TEMP="/tmp/ansible-remote")
    variables = {"role_dir": ROLE, "debug_access_group": GROUP, "debug_access_members": ["rvalice", "rvbob", "rvcarol"],
                 "__debug_access_before": {"group_existed": True, "group_members": ["rvcarol"]},
                 "undo_file": UNDO_FILE, "ansible_python_interpreter": sys.executable}
    proc = subprocess.run(
        [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-c", "local", "-i", "localhost,",
         "-e", json.dumps(variables), os.path.join(HERE, "playbooks", "undo.yml")],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, env=env, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout
    with open(UNDO_FILE) as handle:
        return [a for a in json.load(handle) if a["action"].startswith("group_")]


def revert(undo, check=False):
    """The number of actions that changed (or would), as debug_window and the timer count them."""
    results = _window.close({"undo": undo}, _window_cli.run, check=check)
    assert [r["error"] for r in results] == [None] * len(results), results
    return sum(r["changed"] for r in results)


@pytest.fixture
def group():
    # rvcarol was in the group before the role; the role added rvalice and rvbob; someone took rvbob out since.
    # Fixed ids away from the 1500s the other files use: useradd would take the highest id + 1 (1502 after
    # the fuzz's alice), and the differential suite's bob (1502) and group ops (1504) could then not be made.
    for uid, user in enumerate(USERS, 1601):
        if sh("id", user).returncode != 0:
            assert sh("useradd", "-M", "-u", str(uid), "-U", user).returncode == 0
    sh("groupdel", GROUP)
    assert sh("groupadd", "-g", "1600", GROUP).returncode == 0
    for user in USERS:
        assert sh("gpasswd", "-a", user, GROUP).returncode == 0
    assert sh("gpasswd", "-d", "rvbob", GROUP).returncode == 0
    yield
    sh("groupdel", GROUP)
    for user in USERS:
        sh("userdel", user)


def test_revert_takes_out_only_whom_the_role_added_and_is_idempotent(group):
    undo = undo_list()
    assert undo == [{"action": "group_remove_members", "group": GROUP, "members": ["rvalice", "rvbob"],
                     "tool": ["/usr/bin/gpasswd", "-d"]}]
    assert revert(undo, check=True) == 1
    assert members("/etc/group") == ["rvalice", "rvcarol"]         # check mode changes nothing
    assert revert(undo) == 1                                        # rvalice only: rvbob was not a member any more
    assert members("/etc/group") == members("/etc/gshadow") == ["rvcarol"]
    assert revert(undo) == 0
    assert members("/etc/group") == ["rvcarol"]
