# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""The debug_access role's per-OS-family conventions (vars/main.yml __debug_access_families).

The expected values are those of the distributions' own packages, modelled in DISTRIBUTIONS below:
Debian 12 and Ubuntu 24.04 (apache2 runs as www-data, comm apache2), RHEL 9 / Rocky 9 (httpd package:
User apache, comm httpd, shadow-utils' gpasswd) and Alpine 3.20 (apache2 package: /usr/sbin/httpd,
User apache; busybox: delgroup, no gpasswd; setpriv in its own package). The role's expressions are
rendered with ansible's templar from the role's files, so a change there is what is tested.
"""

from __future__ import annotations

import os

import pytest
import yaml

from compat import templar, trust_as_template

from distro_fixtures import MODELS, OS_RELEASE
from test_debug_access_vars import ROLE, trusted

# How ansible's distribution facts name each model of distro_fixtures (which holds the Apache user and comm),
# and where its packages put strace and which tool takes one user out of one group.
FAMILY = {
    "debian12": {"os_family": "Debian", "distribution": "Debian", "strace": "/usr/bin/strace",
                 "remove": ["/usr/bin/gpasswd", "-d"], "delete": ["/usr/sbin/groupdel"]},
    "ubuntu2404": {"os_family": "Debian", "distribution": "Ubuntu", "strace": "/usr/bin/strace",
                   "remove": ["/usr/bin/gpasswd", "-d"], "delete": ["/usr/sbin/groupdel"]},
    "rocky9": {"os_family": "RedHat", "distribution": "Rocky", "strace": "/usr/bin/strace",
               "remove": ["/usr/bin/gpasswd", "-d"], "delete": ["/usr/sbin/groupdel"]},
    "alpine320": {"os_family": "Alpine", "distribution": "Alpine", "strace": "/usr/bin/strace",
                  "remove": ["/usr/sbin/delgroup"], "delete": ["/usr/sbin/delgroup"]},
}
DISTRIBUTIONS = dict((name, dict(FAMILY[name], user=model["user"], comm=model["comm"], include_dir=model["include_dir"]))
                     for name, model in MODELS.items())


def role_variables(**overrides):
    variables = {}
    for part in ("defaults", "vars"):
        with open(os.path.join(ROLE, part, "main.yml")) as handle:
            variables.update(trusted(yaml.safe_load(handle)))
    variables.update(overrides)
    return variables


def render(expression, facts=None, **overrides):
    variables = role_variables(**overrides)
    variables["ansible_facts"] = dict({"ptrace": {"sudoers": {"grants": []}, "policy": {"compliant": False}}},
                                      **(facts or {}))
    return templar(variables).template(trust_as_template(expression))


def task_vars(task_file, task_name):
    """The `vars:` of one task of the role, as the role has them."""
    with open(os.path.join(ROLE, "tasks", task_file)) as handle:
        for task in yaml.safe_load(handle):
            if task.get("name") == task_name:
                return trusted(task.get("vars") or {})
    raise AssertionError("no task %r in %s" % (task_name, task_file))


def facts_of(name):
    dist = DISTRIBUTIONS[name]
    return {"os_family": dist["os_family"], "distribution": dist["distribution"]}


@pytest.mark.parametrize("name", sorted(DISTRIBUTIONS))
def test_defaults_follow_the_os_family(name):
    dist = DISTRIBUTIONS[name]
    facts = facts_of(name)
    assert render("{{ debug_access_service_user }}", facts) == dist["user"]
    assert render("{{ debug_access_verify_process }}", facts) == dist["comm"]
    request = render("{{ __debug_access_trace_request }}", facts, debug_access_members=["alice"])
    assert (request["process"], request["process_user"]) == (dist["comm"], dist["user"])


@pytest.mark.parametrize("name", sorted(DISTRIBUTIONS))
def test_sudo_rules_and_the_capability_copy_name_the_packages_paths(name):
    dist = DISTRIBUTIONS[name]
    facts = facts_of(name)
    specs = render("{{ __debug_access_grant_specs }}", facts)
    sudo = [spec for spec in specs if spec["name"] == "debugready-sudo"][0]
    assert sudo["commands"] == [dist["strace"], os.path.dirname(dist["strace"]) + "/gdb"]
    policy = render("{{ __debug_access_policy }}", facts, debug_access_profile="filecap")
    assert policy["filecap"]["source"] == dist["strace"]


@pytest.mark.parametrize("name", sorted(DISTRIBUTIONS))
def test_service_profile_runs_the_tools_as_the_familys_apache_user(name):
    dist = DISTRIBUTIONS[name]
    specs = render("{{ __debug_access_grant_specs }}", facts_of(name), debug_access_profile="service")
    service = [spec for spec in specs if spec["name"] == "debugready-service"][0]
    assert (service["state"], service["runas"]) == ("present", dist["user"])


@pytest.mark.parametrize("facts", [{}, {"os_family": "Suse", "distribution": "openSUSE Leap"}])
def test_unknown_or_ungathered_family_keeps_debians_conventions(facts):
    assert render("{{ __debug_access_family_known }}", facts) is False
    assert render("{{ [debug_access_service_user, debug_access_verify_process, debug_access_tool_dir] }}",
                  facts) == ["www-data", "apache2", "/usr/bin"]


@pytest.mark.parametrize("release", sorted(OS_RELEASE))
def test_family_from_os_release_when_no_facts_were_gathered(release):
    text, family = OS_RELEASE[release]
    # raw's stdout, as a terminal may hand it over (CRLF)
    for stdout in (text, text.replace("\n", "\r\n")):
        assert render("{{ __debug_access_os_family }}", __debug_access_os_release={"stdout": stdout}) == \
            (family if family in ("Debian", "RedHat", "Alpine") else "unknown")


def test_gathered_facts_win_over_os_release():
    assert render("{{ __debug_access_os_family }}", {"os_family": "Alpine"},
                  __debug_access_os_release={"stdout": OS_RELEASE["debian12"][0]}) == "Alpine"


@pytest.mark.parametrize("stdout", ["", "ID=\n", "cat: /usr/lib/os-release: No such file or directory\n"])
def test_no_os_release_is_an_unknown_family(stdout):
    assert render("{{ [__debug_access_os_family, __debug_access_family_known] }}",
                  __debug_access_os_release={"stdout": stdout}) == ["unknown", False]


def test_variables_the_user_sets_win_over_the_familys():
    facts = facts_of("rocky9")
    overrides = {"debug_access_service_user": "webapp", "debug_access_verify_process": "php-fpm",
                 "debug_access_tool_dir": "/opt/debug/bin", "debug_access_members": ["alice"]}
    request = render("{{ __debug_access_trace_request }}", facts, debug_access_profile="service", **overrides)
    assert (request["process"], request["process_user"], request["runas"]) == ("php-fpm", "webapp", "webapp")
    specs = render("{{ __debug_access_grant_specs }}", facts, debug_access_profile="service", **overrides)
    service = [spec for spec in specs if spec["name"] == "debugready-service"][0]
    assert service["commands"] == ["/opt/debug/bin/strace", "/opt/debug/bin/gdb"]


def test_apache_settings_are_written_to_every_familys_include_directory():
    # Debian/Ubuntu conf-enabled, Red Hat conf.d, Alpine conf.d (its httpd.conf: IncludeOptional /etc/apache2/conf.d/*.conf)
    confs = render("{{ __debug_access_apache_confs }}")
    assert sorted(set(os.path.dirname(c) for c in confs)) == sorted(set(d["include_dir"] for d in DISTRIBUTIONS.values()))


# ---- revert: who leaves the group, with which command ---------------------------------------------
# The role renders the undo list (__debug_access_undo); debug_window (the revert) and a window's timer carry it out
# with module_utils/_window.py, which takes out only those listed who are still members (its own unit tests, and
# tests/real/test_window_undo_real.py on real group files).

def group_undo(name, members, before):
    undo = render("{{ __debug_access_undo }}", facts_of(name), debug_access_members=members,
                  __debug_access_before=before)
    return [action for action in undo if action["action"].startswith("group_")]


@pytest.mark.parametrize("name", sorted(DISTRIBUTIONS))
def test_revert_takes_out_only_the_members_the_role_added_with_the_familys_tool(name):
    # carol was in the group before the role
    assert group_undo(name, ["alice", "bob", "carol"], {"group_existed": True, "group_members": ["carol"]}) == [
        {"action": "group_remove_members", "group": "debug", "members": ["alice", "bob"],
         "tool": DISTRIBUTIONS[name]["remove"]}]


@pytest.mark.parametrize("name", sorted(DISTRIBUTIONS))
def test_revert_removes_the_group_it_created_with_the_familys_tool(name):
    assert group_undo(name, ["alice"], {"group_existed": False, "group_members": []}) == [
        {"action": "group_absent", "group": "debug", "tool": DISTRIBUTIONS[name]["delete"]}]


def test_without_a_snapshot_the_revert_leaves_the_group_alone():
    assert group_undo("debian12", ["alice"], {}) == []
