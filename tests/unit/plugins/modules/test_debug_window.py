# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""debug_window run in-process on a fixture host: its ROOT points at the tree, systemctl and syslog are faked.

The files are written root:root, hence root only.
"""

from __future__ import annotations

import json
import os
import syslog

import pytest

from ansible.module_utils import basic

from compat import as_target, patch_module_args

from ansible_collections.debugready.ptrace.plugins.module_utils import _window
from ansible_collections.debugready.ptrace.plugins.modules import debug_window

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the files are written root:root")

UNDO = [{"action": "remove_file", "path": "/usr/local/bin/strace-debug"},
        {"action": "group_remove_members", "group": "debug", "members": ["alice"], "tool": ["/usr/bin/gpasswd", "-d"]}]
TIMER = "/etc/systemd/system/debugready-window-debug-access.timer"
RECORD = "/var/lib/debugready/windows/debug-access.json"


@pytest.fixture
def host(tree, monkeypatch):
    tree.write("/run/systemd/system/.keep")
    tree.write("/etc/group", "debug:x:1001:alice\n")
    tree.write("/usr/local/bin/strace-debug", "copy")
    monkeypatch.setattr(debug_window, "ROOT", str(tree))
    calls, lines = [], []

    def run_command(self, args, **kwargs):
        calls.append(list(args))
        return 0, "", ""

    monkeypatch.setattr(basic.AnsibleModule, "run_command", run_command)
    monkeypatch.setattr(syslog, "syslog", lambda priority, line: lines.append(line))
    tree.calls, tree.lines = calls, lines
    return tree


def run(capsys, args, check=False, diff=False):
    args = dict(args, _ansible_check_mode=check, _ansible_diff=diff)
    with patch_module_args(args), as_target():
        with pytest.raises(SystemExit):
            debug_window.main()
    return json.loads(capsys.readouterr().out)


OPEN = {"name": "debug-access", "end": "2h", "profile": "sudo", "undo": UNDO,
        "opened_by": {"user": "alice", "host": "laptop"}}


def test_open_writes_the_record_the_code_and_the_timer(host, capsys):
    result = run(capsys, OPEN, diff=True)
    assert result["changed"] is True and result["closes_itself"] is True and result["renewed"] is False, result
    assert result["record"]["opened_by"] == {"user": "alice", "host": "laptop"}
    assert json.loads(open(host / RECORD).read()) == result["record"]
    assert "Persistent=true" in open(host / TIMER).read()
    shipped = host / "/usr/local/lib/debugready/ansible_collections/debugready/ptrace/plugins/module_utils/_window.py"
    with open(shipped, "rb") as mine, open(_window.__file__, "rb") as source:
        assert mine.read() == source.read()
    assert host.calls == [["systemctl", "daemon-reload"], ["systemctl", "enable", "debugready-window-debug-access.timer"],
                          ["systemctl", "restart", "debugready-window-debug-access.timer"]]
    assert host.lines[0].startswith("event=open name=debug-access closes_itself=true ends_at=")
    assert result["diff"]["before"] == "" and '"profile": "sudo"' in result["diff"]["after"]
    # again: the end stands, nothing changes
    again = run(capsys, dict(OPEN, end="3h"))
    assert (again["changed"], again["record"]["ends_at"]) == (False, result["record"]["ends_at"])
    # renew: the end moves, the rest stays
    renewed = run(capsys, dict(OPEN, end="3h", renew=True, opened_by={"user": "bob"}))
    assert renewed["changed"] is True and renewed["renewed"] is True
    assert renewed["record"]["ends_at"] > result["record"]["ends_at"]
    assert renewed["record"]["opened_by"] == {"user": "alice", "host": "laptop"}
    assert host.lines[-1].startswith("event=renew ")


def test_check_mode_writes_nothing(host, capsys):
    result = run(capsys, OPEN, check=True)
    assert result["changed"] is True and not os.path.exists(host / RECORD) and host.calls == []


def test_without_systemd_it_refuses_unless_told_to_record(host, capsys):
    os.remove(host / "/run/systemd/system/.keep")
    os.rmdir(host / "/run/systemd/system")
    result = run(capsys, OPEN)
    assert result["failed"] is True and "nothing here can close the window" in result["msg"]
    assert not os.path.exists(host / RECORD)
    result = run(capsys, dict(OPEN, without_systemd="record"))
    assert result["changed"] is True and result["closes_itself"] is False
    assert os.path.exists(host / RECORD) and not os.path.exists(host / TIMER) and host.calls == []


@pytest.mark.parametrize("args, words", [
    (dict(OPEN, end="8d"), "more than 7 days"),
    (dict(OPEN, end="yesterday"), "neither a duration"),
    (dict(OPEN, undo=[{"action": "remove_file", "path": "etc/passwd"}]), "normalised absolute path"),
    (dict(OPEN, name="../x"), "lower-case letters"),
    ({"name": "debug-access", "undo": UNDO}, "requires end"),
])
def test_bad_input_changes_nothing(host, capsys, args, words):
    result = run(capsys, args)
    assert result["failed"] is True and words in result["msg"], result
    assert not os.path.exists(host / RECORD) and host.calls == []


def test_close_early_undoes_and_removes_the_timer(host, capsys):
    run(capsys, OPEN)
    del host.calls[:]
    result = run(capsys, {"name": "debug-access", "state": "absent"})
    assert result["changed"] is True, result
    assert [(c["action"], c["changed"]) for c in result["closed"]] == [
        ("remove_file", True), ("group_remove_members", True)]
    assert not os.path.exists(host / "/usr/local/bin/strace-debug")
    assert not os.path.exists(host / RECORD) and not os.path.exists(host / TIMER)
    assert not os.path.exists(host / "/usr/local/lib/debugready")
    assert host.calls == [["/usr/bin/gpasswd", "-d", "alice", "debug"],
                          ["systemctl", "disable", "--now", "debugready-window-debug-access.timer"],
                          ["systemctl", "daemon-reload"]]
    assert host.lines[-1].startswith("event=close name=debug-access by=controller changed=")
    assert run(capsys, {"name": "debug-access", "state": "absent"})["changed"] is False


def test_close_without_undo_for_a_caller_that_put_the_host_back(host, capsys):
    run(capsys, OPEN)
    result = run(capsys, {"name": "debug-access", "state": "absent", "close_now": False})
    assert result["changed"] is True and result["closed"] == []
    assert os.path.exists(host / "/usr/local/bin/strace-debug") and not os.path.exists(host / RECORD)


def test_a_failed_close_keeps_the_window_and_says_so(host, capsys, monkeypatch):
    run(capsys, OPEN)
    monkeypatch.setattr(basic.AnsibleModule, "run_command", lambda self, args, **kw: (3, "", "cannot lock"))
    result = run(capsys, {"name": "debug-access", "state": "absent"})
    assert result["failed"] is True and "cannot lock" in result["msg"]
    assert os.path.exists(host / RECORD) and os.path.exists(host / TIMER)
    assert host.lines[-1].startswith("event=close_failed ")


def test_a_revert_without_a_window_carries_out_the_undo_given(host, capsys):
    """The role's revert: no window is open, its undo list is carried out with the same code."""
    checked = run(capsys, {"name": "debug-access", "state": "absent", "undo": UNDO}, check=True, diff=True)
    assert checked["changed"] is True and os.path.exists(host / "/usr/local/bin/strace-debug")
    assert "remove_file /usr/local/bin/strace-debug" in checked["diff"]["before"]
    result = run(capsys, {"name": "debug-access", "state": "absent", "undo": UNDO})
    assert result["changed"] is True and result["audit"] is None
    assert not os.path.exists(host / "/usr/local/bin/strace-debug")
    assert ["/usr/bin/gpasswd", "-d", "alice", "debug"] in host.calls and host.lines == []
    host.write("/etc/group", "debug:x:1001:\n")
    assert run(capsys, {"name": "debug-access", "state": "absent", "undo": UNDO})["changed"] is False


def test_a_converge_again_keeps_the_end_and_takes_the_new_undo(host, capsys):
    first = run(capsys, OPEN)
    more = UNDO + [{"action": "remove_file", "path": "/usr/local/bin/perf-debug"}]
    again = run(capsys, dict(OPEN, undo=more))
    assert again["changed"] is True and again["renewed"] is False
    assert (again["record"]["ends_at"], again["record"]["undo"]) == (first["record"]["ends_at"], more)
    assert host.lines[-1].startswith("event=update ")
