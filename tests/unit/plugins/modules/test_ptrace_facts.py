# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""The module shell: argument checks become clean failures, a real run returns only ansible_facts."""

from __future__ import annotations

import json
import os

import pytest

from compat import patch_module_args

from ansible_collections.debugready.ptrace.plugins.modules import ptrace_facts


def run_module(capsys, args):
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            ptrace_facts.main()
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("args, message", [
    ({"tools": ["strace; rm -rf /"]}, "tools must be plain program names"),
    ({"tools": ["../bin/strace"]}, "tools must be plain program names"),
    ({"capability_scan_dirs": ["usr/bin"]}, "capability_scan_dirs must be absolute paths, without NUL bytes: 'usr/bin'"),
    ({"capability_scan_dirs": ["/usr/b\x00in"]}, "capability_scan_dirs must be absolute paths, without NUL bytes"),
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
    assert facts["gathered"] == ["yama", "kernel", "lsm", "container", "tools", "capabilities", "sudoers", "perf", "windows"]
    assert set(facts["tools"]) == {"strace", "gdb", "ltrace", "perf"}
    # the live perf settings, as /proc/sys has them on this machine
    for key, setting in facts["perf"]["settings"].items():
        path = "/proc/sys/" + key.replace(".", "/")
        live = None
        if os.path.exists(path):
            with open(path) as handle:
                live = int(handle.read())
        assert setting["runtime"] == live, key
    assert isinstance(facts["findings"], list)


@pytest.mark.parametrize("args, message", [
    ({"trace": [{"user": "root"}]}, "one of pid or process is required"),
    ({"trace": [{"user": "root", "pid": [1], "process": "init"}]}, "mutually exclusive"),
    ({"trace": [{"user": "root", "pid": [1], "runas": "nobody"}]}, "runas applies only with via: sudo"),
    ({"trace": [{"user": "root", "pid": [1], "via": "filecap"}]}, "filecap_path is missing"),
    ({"trace": [{"pid": [1]}]}, "missing required arguments: user"),
    ({"policy": {"absent_paths": ["etc/x"]}}, "policy: policy paths must be absolute"),
    ({"policy": {"sudoers": [{"name": "../passwd", "principals": ["%debug"], "commands": ["/usr/bin/strace"]}]}},
     "policy: "),
    ({"policy": {"yama": {"value": 7}}}, "value of value must be one of: 0, 1, 2, 3"),
    # The writers' own argument specs check their parts of the policy, before anything is gathered.
    ({"policy": {"yama": {"value": 1, "bogus": 2}}},
     "policy.yama: unsupported parameters: bogus. Supported parameters include: confirm_scope_3, maximum, minimum,"
     " state, value."),
    ({"policy": {"sudoers": [{"name": "a"}, {"state": "absent"}]}}, "policy.sudoers[1]: missing required arguments: name"),
    ({"policy": {"sudoers": [{"name": "a", "nopasswd": "maybe"}]}}, "policy.sudoers[0]: argument 'nopasswd' is of type"),
    ({"policy": {"filecap": {"path": "/x"}}}, "policy.filecap: missing required arguments: source"),
    ({"policy": {"yama": {"state": "gone"}}}, "policy.yama: value of state must be one of: present, absent, got: gone"),
])
def test_bad_trace_and_policy_fail_cleanly(capsys, args, message):
    args = dict(args, gather_subset=["yama"], tool_versions=False, validate_sudoers=False)
    result = run_module(capsys, args)
    assert result["failed"] is True
    assert message in result["msg"], result["msg"]


@pytest.mark.skipif(os.geteuid() != 0, reason="answers for another process's owner: needs root")
def test_trace_verdicts_are_folded_into_the_same_call(capsys):
    result = run_module(capsys, {
        "gather_subset": ["container"], "tool_versions": False, "validate_sudoers": False,
        "trace": [{"user": "root", "pid": [os.getpid()]},
                  {"user": "root", "process": "no-such-process-xyz"},
                  {"user": "no-such-user-xyz", "pid": [1]}],
    })
    facts = result["ansible_facts"]["ptrace"]
    assert facts["gathered"] == ["yama", "lsm", "container", "sudoers"]  # what the verdicts need was added
    mine, none_running, nobody = facts["trace"]
    assert mine["targets"][0]["pid"] == os.getpid() and mine["request"]["user"] == "root"
    assert mine["summary"].startswith("root may") and "PID %d via direct" % os.getpid() in mine["summary"]
    assert none_running["no_targets"] is True and none_running["allowed"] is False
    assert "does not exist" in nobody["error"] and "no_targets" not in nobody


def test_policy_is_compared_without_changing_anything(capsys, tmp_path):
    leftover = tmp_path / "strace-debug"
    leftover.write_text("x")
    result = run_module(capsys, {"gather_subset": ["tools"], "tool_versions": False, "validate_sudoers": False,
                                 "policy": {"absent_paths": [str(leftover)], "snapshot": str(tmp_path / "s.json")}})
    policy = result["ansible_facts"]["ptrace"]["policy"]
    assert result["changed"] is False and leftover.exists()
    assert policy["compliant"] is False
    assert policy["components"]["absent_paths"] == {"compliant": False, "detail": "to remove: %s" % leftover}
    assert policy["components"]["snapshot"]["compliant"] is False


def test_a_command_that_cannot_start_is_a_clean_failure(capsys, monkeypatch):
    # Started in a worker thread (a version command overlaps the rest): the failure still reaches the module
    # as one fail_json with the command, not as run_command's own exit from inside the thread.
    def run_command(self, args, **kwargs):
        assert kwargs["handle_exceptions"] is False
        raise OSError(8, "Exec format error")

    monkeypatch.setattr(ptrace_facts.AnsibleModule, "run_command", run_command)
    monkeypatch.setattr(ptrace_facts._tools, "find_tool", lambda name, root="/": "/usr/bin/" + name)
    monkeypatch.setattr(ptrace_facts._tools, "file_info", lambda path, root="/": {"path": path})
    result = run_module(capsys, {"gather_subset": ["tools"]})
    assert result["failed"] is True and "ansible_facts" not in result
    assert result["msg"].startswith("cannot run /usr/bin/") and result["msg"].endswith("Exec format error")
    assert result["cmd"][0].startswith("/usr/bin/") and result["rc"] == 8


def test_a_bad_policy_fails_before_the_host_is_read(capsys, monkeypatch):
    def gather(**kwargs):
        raise AssertionError("gathered although the policy was refused")
    monkeypatch.setattr(ptrace_facts._hoststate, "gather", gather)
    result = run_module(capsys, {"policy": {"filecap": {"path": "/x"}}})
    assert result["failed"] is True and result["msg"] == "policy.filecap: missing required arguments: source"


def test_the_writers_defaults_fill_the_policy(capsys, monkeypatch):
    seen = {}

    def evaluate(policy, facts):
        seen.update(policy)
        return {"compliant": True, "components": {}, "sudoers_grants": {}}
    monkeypatch.setattr(ptrace_facts._policy, "evaluate", evaluate)
    run_module(capsys, {"gather_subset": ["yama"], "tool_versions": False, "validate_sudoers": False,
                        "policy": {"yama": {"value": 1}, "sudoers": [{"name": "g", "state": "absent"}],
                                   "filecap": {"source": "/usr/bin/strace", "path": "/usr/local/bin/s"}}})
    assert seen["yama"] == {"state": "present", "value": 1, "minimum": None, "maximum": None,
                            "confirm_scope_3": False}
    assert (seen["sudoers"][0]["runas"], seen["sudoers"][0]["nopasswd"]) == ("root", False)
    assert (seen["filecap"]["mode"], seen["filecap"]["capabilities"]) == ("0750", ["cap_sys_ptrace"])
