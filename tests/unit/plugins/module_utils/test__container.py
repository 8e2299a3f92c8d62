# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Container detection from the files each engine leaves behind."""

from __future__ import annotations

import pytest

from ansible_collections.debugready.ptrace.plugins.module_utils import _container


@pytest.mark.parametrize("files, engine, evidence", [
    ({"/run/.containerenv": ""}, "podman", "/run/.containerenv"),
    ({"/.dockerenv": ""}, "docker", "/.dockerenv"),
    ({"/run/systemd/container": "lxc\n"}, "lxc", "/run/systemd/container"),
    ({"/proc/1/environ": "PATH=/bin\0container=podman\0"}, "podman", "container= in /proc/1/environ"),
    ({"/proc/1/cgroup": "0::/kubepods/besteffort/pod1/abc\n"}, "kubernetes", "/proc/1/cgroup"),
    ({"/proc/1/cgroup": "0::/init.scope\n"}, None, None),
])
def test_container_detection(tree, files, engine, evidence):
    for path, text in files.items():
        tree.write(path, text)
    result = _container.detect(str(tree))
    assert result == {"detected": engine is not None, "engine": engine, "evidence": evidence}
