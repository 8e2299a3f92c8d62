# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""The module shell: argument checks become clean failures, a real run returns only ansible_facts."""

from __future__ import annotations

import json

import pytest

from ansible.module_utils.testing import patch_module_args

from ansible_collections.debugready.ptrace.plugins.modules import ptrace_facts


def run_module(capsys, args):
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            ptrace_facts.main()
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("args, message", [
    ({"tools": ["strace; rm -rf /"]}, "tools must be plain program names"),
    ({"tools": ["../bin/strace"]}, "tools must be plain program names"),
    ({"capability_scan_dirs": ["usr/bin"]}, "capability_scan_dirs must be absolute paths: usr/bin"),
    ({"gather_subset": ["yama", "everything"]}, "value of gather_subset must be one or more of"),
    ({"bogus": 1}, "Unsupported parameters"),
])
def test_bad_input_fails_cleanly(capsys, args, message):
    result = run_module(capsys, args)
    assert result["failed"] is True
    assert message in result["msg"]
    assert "ansible_facts" not in result


def test_real_host_subset(capsys):
    result = run_module(capsys, {"gather_subset": ["yama", "kernel", "container"], "tool_versions": False,
                                 "validate_sudoers": False})
    assert result["changed"] is False
    facts = result["ansible_facts"]["ptrace"]
    assert facts["gathered"] == ["yama", "kernel", "container"]
    assert set(facts) == {"gathered", "yama", "kernel", "container", "findings"}
    with open("/proc/self/status") as handle:
        bounding = [line.split()[1] for line in handle if line.startswith("CapBnd:")][0]
    assert facts["container"]["sys_ptrace_in_bounding_set"] == bool(int(bounding, 16) >> 19 & 1)
    assert isinstance(facts["kernel"]["suid_dumpable"], int)


def test_real_host_all(capsys):
    result = run_module(capsys, {})
    facts = result["ansible_facts"]["ptrace"]
    assert facts["gathered"] == ["yama", "kernel", "lsm", "container", "tools", "capabilities", "sudoers"]
    assert set(facts["tools"]) == {"strace", "gdb", "ltrace", "perf"}
    assert isinstance(facts["findings"], list)
