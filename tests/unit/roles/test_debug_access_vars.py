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


def render(expression, grants=(), compliant=True, **overrides):
    variables = {}
    for part in ("defaults", "vars"):
        with open(os.path.join(ROLE, part, "main.yml")) as handle:
            variables.update(trusted(yaml.safe_load(handle)))
    variables.update(overrides)
    variables["ansible_facts"] = {"ptrace": {"sudoers": {"grants": list(grants)},
                                             "policy": {"compliant": compliant}}}
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
