# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Apache detection on host trees modelled on Debian 12, Ubuntu 24.04, RHEL 9 / Rocky 9 and Alpine 3.20."""

from __future__ import annotations

import pytest

from ansible_collections.debugready.ptrace.plugins.module_utils import _accounts, _apache, _tracecheck

import distro_fixtures
from distro_fixtures import MASTER, OTHER, WORKERS

NAMES = sorted(distro_fixtures.MODELS)


def host(tree, monkeypatch, name, coredump_directory=None):
    model = distro_fixtures.build(tree, name, coredump_directory)
    distro_fixtures.Accounts(tree).install(monkeypatch, _accounts)
    return model


@pytest.mark.parametrize("name", NAMES)
def test_workers_of_the_familys_apache_user_are_the_targets(tree, monkeypatch, name):
    model = host(tree, monkeypatch, name)
    pairs = _tracecheck.resolve_targets(process=model["comm"], process_user=model["user"], root=str(tree))
    assert [pair[0] for pair in pairs] == list(WORKERS)   # not the root master, not the user's shell
    assert set(pair[1]["user"] for pair in pairs) == {model["user"]}
    assert all(pair[1]["apache"] for pair in pairs)


@pytest.mark.parametrize("name", NAMES)
def test_master_and_workers_are_told_apart(tree, monkeypatch, name):
    model = host(tree, monkeypatch, name)
    pids = [MASTER] + list(WORKERS) + [OTHER]
    targets = [pair[1] for pair in _tracecheck.resolve_targets(pids=pids, root=str(tree))]
    summary = _tracecheck.apache_summary(targets, str(tree))
    assert (summary["master_pids"], summary["worker_pids"], summary["worker_users"]) == \
        ([MASTER], list(WORKERS), [model["user"]])
    assert [t.get("role") for t in targets] == ["master", "worker", "worker", "worker", None]


@pytest.mark.parametrize("name", NAMES)
def test_coredump_directory_in_the_familys_include_directory_is_found(tree, monkeypatch, name):
    # The role writes debugready-coredump.conf into the family's include directory (Alpine: /etc/apache2/conf.d).
    model = host(tree, monkeypatch, name)
    assert _apache.coredump_directory(str(tree)) == (None, None)
    tree.write(model["include_dir"] + "/debugready-coredump.conf", "CoreDumpDirectory /var/lib/debugready/cores\n")
    assert _apache.coredump_directory(str(tree)) == ("/var/lib/debugready/cores",
                                                     model["include_dir"] + "/debugready-coredump.conf")


def test_alpine_main_configuration_file_is_read(tree, monkeypatch):
    host(tree, monkeypatch, "alpine320")
    tree.write("/etc/apache2/httpd.conf", "User apache\nCoreDumpDirectory /tmp/cores\n")
    assert _apache.coredump_directory(str(tree)) == ("/tmp/cores", "/etc/apache2/httpd.conf")


def test_another_users_httpd_is_not_a_target(tree, monkeypatch):
    # On a Red Hat host the Debian default (www-data) names no process: the lookup says so instead of guessing.
    host(tree, monkeypatch, "rocky9")
    with pytest.raises(_accounts.AccountError, match="www-data"):
        _tracecheck.resolve_targets(process="httpd", process_user="www-data", root=str(tree))
