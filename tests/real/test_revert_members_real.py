# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""The role's revert of group members (tasks/revert_members.yml) on the container's real group files.

ansible-playbook runs the role's own task files with a local connection; the container is Debian, so the
family's tool is shadow's gpasswd (Alpine's busybox delgroup is not in this image: see the unit tests).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

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


def revert(*extra):
    env = dict(os.environ, LC_ALL="C.UTF-8", ANSIBLE_NOCOLOR="1", ANSIBLE_RETRY_FILES_ENABLED="0",
               ANSIBLE_LOCAL_TEMP="/tmp/ansible-local", ANSIBLE_REMOTE_TEMP="/tmp/ansible-remote")
    variables = {"role_dir": ROLE, "debug_access_group": GROUP, "debug_access_members": ["rvalice", "rvbob", "rvcarol"],
                 "__debug_access_before": {"group_existed": True, "group_members": ["rvcarol"]},
                 "ansible_python_interpreter": sys.executable}
    proc = subprocess.run(
        [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-c", "local", "-i", "localhost,",
         "-e", json.dumps(variables), os.path.join(HERE, "playbooks", "revert_members.yml")] + list(extra),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, env=env, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout
    return int(re.search(r"localhost\s+:.*changed=(\d+)", proc.stdout).group(1)), proc.stdout


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
    changed, log = revert("--check")
    assert members("/etc/group") == ["rvalice", "rvcarol"], log   # check mode changes nothing
    changed, log = revert()
    assert changed == 1, log                                      # rvalice only: rvbob was not a member any more
    assert members("/etc/group") == members("/etc/gshadow") == ["rvcarol"]
    changed, log = revert()
    assert changed == 0, log
    assert members("/etc/group") == ["rvcarol"]
