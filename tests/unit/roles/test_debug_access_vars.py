# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""The debug_access role's own expressions (vars/main.yml), rendered with ansible's templar."""

from __future__ import annotations

import os

import pytest
import yaml

from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar
from compat import trust_as_template

ROLE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "roles", "debug_access")


def trusted(value):
    """Role files are trusted templates (ansible tags them so when it loads them)."""
    if isinstance(value, str):
        return trust_as_template(value)
    if isinstance(value, dict):
        return dict((key, trusted(item)) for key, item in value.items())
    if isinstance(value, list):
        return [trusted(item) for item in value]
    return value


def render(expression, grants=(), compliant=True, facts=None, **overrides):
    variables = {}
    for part in ("defaults", "vars"):
        with open(os.path.join(ROLE, part, "main.yml")) as handle:
            variables.update(trusted(yaml.safe_load(handle)))
    variables.update(overrides)
    variables["ansible_facts"] = dict(facts or {}, ptrace={"sudoers": {"grants": list(grants)},
                                                           "policy": {"compliant": compliant}})
    return Templar(loader=DataLoader(), variables=variables).template(trust_as_template(expression))


def grant(principal, source, via="command"):
    return {"principal": principal, "source": source, "line": 1, "via": via, "tools": ["strace"]}


MANAGED = ["/etc/sudoers.d/debugready-sudo", "/etc/sudoers.d/debugready-gdb", "/etc/sudoers.d/debugready-service"]


def test_managed_files_are_the_managed_drop_ins():
    names = [spec["name"] for spec in render("{{ __debug_access_grant_specs }}")]
    assert render("{{ __debug_access_grant_files }}") == ["/etc/sudoers.d/" + name for name in names] == MANAGED


@pytest.mark.parametrize("source", [
    "/etc/sudoers.d/debugready-evil",          # the role's prefix, not one of its files
    "/etc/sudoers.d/debugready-sudo2",
    "/etc/sudoers.d/legacy-debugready-sudo",
    "/etc/sudoers.d/debugready-",
    "/etc/sudoers",
    "/etc/sudoers.d/legacy",
])
def test_foreign_grants_are_every_file_but_the_managed_ones(source):
    grants = [grant("%debug", path) for path in MANAGED] + [grant("mallory", source)]
    assert render("{{ __debug_access_foreign_grants }}", grants) == [grant("mallory", source)]


def test_blanket_all_rules_are_not_listed():
    grants = [grant("%sudo", "/etc/sudoers", via="all"), grant("dave", "/etc/sudoers.d/legacy")]
    assert render("{{ __debug_access_foreign_grants | map(attribute='principal') | list }}", grants) == ["dave"]


@pytest.mark.parametrize("fast_path, compliant, converges", [
    (True, True, False), (True, False, True), (False, True, True), (False, False, True)])
def test_converge_tasks_run_unless_the_fast_path_finds_the_host_compliant(fast_path, compliant, converges):
    assert render("{{ __debug_access_converges }}", compliant=compliant,
                  debug_access_fast_path=fast_path) is converges


# ---- One declaration: the converge tasks pass to the modules exactly what the policy (the fast path) declares.

OMIT = "__omit_place_holder__debugready"


def task_args(tasks_file, module):
    """The arguments of the one task of tasks_file that calls module."""
    with open(os.path.join(ROLE, "tasks", tasks_file)) as handle:
        tasks = yaml.safe_load(handle)
    found = [task[module] for task in tasks for inner in [task] + task.get("block", []) if module in inner
             for task in [inner]]
    assert len(found) == 1, found
    return found[0]


def scalar(value):
    """A module argument as the module sees it: before ansible-core 2.19 a templated number arrives as text."""
    return int(value) if isinstance(value, str) and value.isdigit() and (value == "0" or value[:1] != "0") else value


def rendered_args(tasks_file, module, **overrides):
    args = {}
    for name, value in task_args(tasks_file, module).items():
        value = render(value if isinstance(value, str) else "{{ %r }}" % (value,), omit=OMIT, **overrides)
        if value != OMIT:
            args[name] = scalar(value)
    return args


@pytest.mark.parametrize("profile", ["hardened", "sudo", "filecap", "service", "open"])
def test_ptrace_scope_task_is_called_with_the_policys_yama(profile):
    declared = render("{{ __debug_access_policy.yama }}", omit=OMIT, debug_access_profile=profile)
    called = rendered_args("present.yml", "debugready.ptrace.ptrace_scope", debug_access_profile=profile)
    assert called == dict((key, scalar(value)) for key, value in declared.items())
    assert ("minimum" if profile == "hardened" else "value") in called


def test_file_caps_task_is_called_with_the_policys_filecap():
    declared = render("{{ __debug_access_policy.filecap }}", omit=OMIT, debug_access_profile="filecap")
    assert rendered_args("present.yml", "debugready.ptrace.file_caps", debug_access_profile="filecap") == declared
    assert declared["mode"] == "0750" and declared["capabilities"] == ["cap_sys_ptrace"]


def test_apache_tasks_use_the_policys_modes_content_and_paths():
    declared = render("{{ __debug_access_policy.apache_coredump }}", omit=OMIT, debug_access_profile="service")
    with open(os.path.join(ROLE, "tasks", "apache.yml")) as handle:
        tasks = yaml.safe_load(handle)
    directory = render(next(t for t in tasks if t.get("ansible.builtin.file", {}).get("state") == "directory")
                       ["ansible.builtin.file"]["mode"], debug_access_profile="service")
    copy = dict((key, render(value, debug_access_profile="service")) for key, value in
                next(t for t in tasks if "ansible.builtin.copy" in t)["ansible.builtin.copy"].items()
                if key in ("content", "mode"))
    confs = render(tasks[0]["loop"], debug_access_profile="service")
    assert (directory, copy["mode"], copy["content"], confs) == (
        declared["directory_mode"], declared["mode"], declared["content"], declared["confs"])


def test_package_task_installs_the_policys_packages():
    declared = render("{{ __debug_access_policy.packages }}", omit=OMIT, debug_access_profile="sudo")
    called = rendered_args("present.yml", "ansible.builtin.package", debug_access_profile="sudo")
    assert called == {"name": declared} and declared == ["strace", "gdb"]


# ---- The perf profile: a cap_perfmon perf copy, perf_event_paranoid at most 2, Yama left alone.

def test_perf_profile_file_caps_task_is_called_with_the_policys_perf_copy():
    declared = render("{{ __debug_access_policy.filecap }}", omit=OMIT, debug_access_profile="perf")
    assert rendered_args("present.yml", "debugready.ptrace.file_caps", debug_access_profile="perf") == declared
    assert declared == {"source": "/usr/bin/perf", "path": "/usr/local/bin/perf-debug", "group": "debug",
                        "mode": "0750", "capabilities": ["cap_perfmon"], "flags": "ep"}


def test_perf_profile_kernel_setting_task_is_called_with_the_policys_settings():
    declared = render("{{ __debug_access_policy.kernel_settings }}", omit=OMIT, debug_access_profile="perf")
    assert declared == [{"key": "kernel.perf_event_paranoid", "maximum": 2}]
    called = [rendered_args("present.yml", "debugready.ptrace.kernel_setting", debug_access_profile="perf", item=item)
              for item in declared]
    assert called == [{"key": "kernel.perf_event_paranoid", "maximum": 2}]
    for profile in ("hardened", "sudo", "filecap", "service", "open"):
        assert render("{{ __debug_access_policy.kernel_settings }}", omit=OMIT, debug_access_profile=profile) == []


def test_perf_profile_leaves_yama_alone():
    assert render("{{ __debug_access_policy.yama }}", omit=OMIT, debug_access_profile="perf") == OMIT
    with open(os.path.join(ROLE, "tasks", "present.yml")) as handle:
        task = next(t for t in yaml.safe_load(handle) if "debugready.ptrace.ptrace_scope" in t)
    assert render("{{ %s }}" % task["when"], debug_access_profile="perf") is False
    assert render("{{ %s }}" % task["when"], debug_access_profile="sudo") is True


@pytest.mark.parametrize("family, package", [("Debian", "linux-perf"), ("RedHat", "perf"), ("Alpine", "perf")])
def test_perf_profile_installs_the_familys_perf_package_and_checks_the_program(family, package):
    facts = {"os_family": family}
    assert render("{{ __debug_access_packages }}", debug_access_profile="perf", facts=facts) == [package]
    assert render("{{ __debug_access_policy.packages }}", omit=OMIT, debug_access_profile="perf") == ["perf"]


@pytest.mark.parametrize("profile, state, absent", [
    ("perf", "present", ["/usr/local/bin/strace-debug"]),
    ("filecap", "present", ["/usr/local/bin/perf-debug"]),
    ("sudo", "present", ["/usr/local/bin/strace-debug", "/usr/local/bin/perf-debug"]),
    ("perf", "absent", ["/usr/local/bin/strace-debug", "/usr/local/bin/perf-debug"]),
])
def test_every_copy_but_the_profiles_own_must_be_absent(profile, state, absent):
    paths = render("{{ __debug_access_policy.absent_paths }}", omit=OMIT, debug_access_profile=profile,
                   debug_access_state=state)
    copies = [p for p in paths if p.startswith("/usr/local/bin/")]
    assert sorted(copies) == sorted(absent)
    assert render("{{ __debug_access_unwanted_copies }}", debug_access_profile=profile,
                  debug_access_state=state) == copies


def test_perf_profile_probes_perf_through_the_copy():
    request = render("{{ __debug_access_trace_request }}", debug_access_profile="perf",
                     debug_access_members=["alice"])
    assert request == {"user": "alice", "process": "apache2", "process_user": "www-data", "tool": "perf",
                       "via": "filecap", "runas": "root", "filecap_path": "/usr/local/bin/perf-debug"}
    assert render("{{ __debug_access_trace_request.tool }}", debug_access_profile="filecap") == "strace"


@pytest.mark.parametrize("profile, installed_before, removed", [
    ("perf", [], ["linux-perf"]),
    ("perf", ["perf"], []),
    ("sudo", ["strace"], ["gdb"]),
])
def test_revert_removes_the_packages_of_the_programs_the_role_installed(profile, installed_before, removed):
    with open(os.path.join(ROLE, "tasks", "absent.yml")) as handle:
        task = next(t for t in yaml.safe_load(handle) if "ansible.builtin.package" in t)
    variables = dict(trusted(task["vars"]), debug_access_profile=profile,
                     __debug_access_before={"tools_installed": installed_before})
    assert render(task["ansible.builtin.package"]["name"], **variables) == removed


def verify_var(name, **overrides):
    """A variable of verify.yml's first task (its own `vars:`), rendered with the role's and these variables."""
    with open(os.path.join(ROLE, "tasks", "verify.yml")) as handle:
        task_vars = trusted(yaml.safe_load(handle)[0]["vars"])
    variables = {}
    for part in ("defaults", "vars"):
        with open(os.path.join(ROLE, part, "main.yml")) as handle:
            variables.update(trusted(yaml.safe_load(handle)))
    variables.update(task_vars)
    variables.update(overrides)
    return Templar(loader=DataLoader(), variables=variables).template(trust_as_template("{{ %s }}" % name))


@pytest.mark.parametrize("scope, target, blocked", [
    # the converge just set 0 (the yama_vm window step caught `default(scope, true)` taking that 0 for "none")
    (1, 0, False), (2, 0, False),
    (1, None, True),   # nothing set (fast path): the current scope decides
    (0, None, False),
    (2, 1, True),
])
def test_the_service_profile_is_blocked_only_when_yama_stays_above_0(scope, target, blocked):
    facts = {"ptrace": {"yama": {"present": True, "scope": scope}, "policy": {"compliant": target is None},
                        "container": {"detected": False}}}
    assert verify_var("service_blocked", ansible_facts=facts, debug_access_profile="service",
                      __debug_access_yama_result={"target": target}) is blocked
