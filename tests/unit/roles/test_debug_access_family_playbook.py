# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""The role's OS-family selection as ansible-playbook runs it (tasks/family.yml, variable precedence).

One ansible-playbook run in check mode, one local-connection inventory host per case: the distribution facts
of RHEL 9 / Rocky 9, Alpine 3.20 and openSUSE are faked with a test module; in the other case the role reads
this machine's /etc/os-release itself (raw, no module).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import yaml

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "family_selection")
ROLE = os.path.realpath(os.path.join(HERE, "..", "..", "..", "..", "roles", "debug_access"))

CASES = {
    "no_facts": {},   # the role reads os-release
    "rocky9": {"os_family": "RedHat", "distribution": "Rocky"},
    "alpine320": {"os_family": "Alpine", "distribution": "Alpine"},
    "alpine_user_set": {"os_family": "Alpine", "distribution": "Alpine", "debug_access_service_user": "nginx",
                        "debug_access_tool_dir": "/opt/bin"},
    "suse": {"os_family": "Suse", "distribution": "openSUSE Leap"},
}


def os_release_family():
    """This machine's family as ansible names it, for the no-facts case (Debian-like test machines only)."""
    with open("/etc/os-release") as handle:
        fields = dict(line.rstrip("\n").split("=", 1) for line in handle if "=" in line)
    ids = [fields.get("ID", "").strip('"')] + fields.get("ID_LIKE", "").strip('"').split()
    return "Debian" if "debian" in ids else None


@pytest.fixture(scope="module")
def resolved(tmp_path_factory):
    out = tmp_path_factory.mktemp("family")
    hosts = dict((name, dict(case, ansible_connection="local", ansible_python_interpreter=sys.executable))
                 for name, case in CASES.items())
    inventory = out / "inventory.yml"
    inventory.write_text(yaml.safe_dump({"all": {"hosts": hosts}}))
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_RETRY_FILES_ENABLED="0", ANSIBLE_FORKS="5")
    proc = subprocess.run(
        [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "--check", "-i", str(inventory),
         "-e", json.dumps({"role_dir": ROLE, "out_dir": str(out)}), os.path.join(HERE, "select.yml")],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, env=env, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout
    results = {}
    for name in CASES:
        with open(str(out / ("%s.json" % name))) as handle:
            results[name] = json.load(handle)
    results["_log"] = proc.stdout
    return results


def test_the_role_reads_os_release_when_the_play_gathered_no_facts(resolved):
    family = os_release_family()
    if family is None:
        pytest.skip("the os-release case expects a Debian-like machine (/etc/os-release ID or ID_LIKE debian)")
    got = resolved["no_facts"]
    assert (got["os_family"], got["known"], got["service_user"], got["verify_process"]) == \
        ("Debian", True, "www-data", "apache2")
    # raw, not setup: no module ran, no fact was added
    assert (got["read_os_release"], got["gathered_facts"]) == (True, [])


def test_red_hat_family(resolved):
    got = resolved["rocky9"]
    # The faked facts stand: the role did not read os-release over them.
    assert (got["os_family"], got["known"], got["read_os_release"]) == ("RedHat", True, False)
    assert (got["service_user"], got["verify_process"], got["tool_dir"], got["group_remove"]) == \
        ("apache", "httpd", "/usr/bin", ["/usr/bin/gpasswd", "-d"])


def test_alpine(resolved):
    got = resolved["alpine320"]
    assert (got["service_user"], got["verify_process"], got["tool_dir"], got["group_remove"]) == \
        ("apache", "httpd", "/usr/bin", ["/usr/sbin/delgroup"])


def test_inventory_variables_win_over_the_familys(resolved):
    got = resolved["alpine_user_set"]
    assert (got["service_user"], got["tool_dir"], got["verify_process"]) == ("nginx", "/opt/bin", "httpd")


def test_unknown_family_falls_back_to_debians_and_says_so(resolved):
    got = resolved["suse"]
    assert (got["known"], got["service_user"], got["verify_process"], got["group_remove"]) == \
        (False, "www-data", "apache2", ["/usr/bin/gpasswd", "-d"])
    assert "knows the conventions of Debian, RedHat, Alpine, not of Suse (openSUSE Leap)" in resolved["_log"]
