# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Apache's process roles and CoreDumpDirectory, on a plain tree and on host trees modelled on Debian 12,
Ubuntu 24.04, RHEL 9 / Rocky 9 and Alpine 3.20 (tests/unit/distro_fixtures.py)."""

from __future__ import annotations

import pytest

from ansible_collections.debugready.ptrace.plugins.module_utils import _apache

from distro_fixtures import NAMES, host


def test_apache_roles_and_coredump_directory(tree):
    procs = [{"pid": 1, "ppid": 0, "comm": "apache2"}, {"pid": 9, "ppid": 1, "comm": "apache2"},
             {"pid": 10, "ppid": 1, "comm": "apache2"}, {"pid": 11, "ppid": 1, "comm": "sh"}]
    assert _apache.roles(procs) == {1: "master", 9: "worker", 10: "worker"}
    assert _apache.coredump_directory(str(tree)) == (None, None)
    tree.write("/etc/apache2/apache2.conf", "# CoreDumpDirectory /nope\nServerName x\n")
    assert _apache.coredump_directory(str(tree)) == (None, None)
    tree.write("/etc/apache2/conf-enabled/cores.conf", '  coredumpdirectory "/var/cores"\n')
    assert _apache.coredump_directory(str(tree)) == ("/var/cores", "/etc/apache2/conf-enabled/cores.conf")


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
