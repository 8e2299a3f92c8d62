# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""The tracing tools: where they are, their versions, their modes."""

from __future__ import annotations

import pytest

from ansible_collections.debugready.ptrace.plugins.module_utils import _tools


@pytest.mark.parametrize("line, version", [
    ("strace -- version 6.1", "6.1"),
    ("GNU gdb (Debian 13.1-3) 13.1", "13.1"),
    ("Sudo version 1.9.13p3", "1.9.13p3"),
    ("perf version 6.1.187", "6.1.187"),
    ("no digits here", None),
])
def test_parse_version(line, version):
    assert _tools.parse_version(line) == version


def test_find_tool_prefers_local_and_skips_non_executables(tree):
    tree.write("/usr/local/bin/strace", "", mode=0o644)
    tree.write("/usr/bin/strace", "", mode=0o755)
    assert _tools.find_tool("strace", str(tree)) == "/usr/bin/strace"
    tree.write("/usr/local/sbin/strace", "", mode=0o750)
    assert _tools.find_tool("strace", str(tree)) == "/usr/local/sbin/strace"
    assert _tools.find_tool("gdb", str(tree)) is None


def test_tool_facts_runs_version_only_when_asked(tree):
    tree.write("/usr/bin/strace", "", mode=0o750)
    calls = []

    def run(argv):
        calls.append(argv)
        return 0, "strace -- version 6.1\nCopyright\n", ""

    facts = _tools.tool_facts("strace", str(tree), run)
    assert calls == [["/usr/bin/strace", "-V"]]
    assert facts["version"] == "6.1" and facts["mode"] == "0750" and facts["world_executable"] is False
    assert _tools.tool_facts("strace", str(tree))["version"] is None
