# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""The host's side of a window: `_window_cli close NAME` on a fixture host, as its timer runs it."""

from __future__ import annotations

import datetime
import json
import os
import syslog

import pytest

from ansible_collections.debugready.ptrace.plugins.module_utils import _window, _window_cli

NOW = datetime.datetime.now(datetime.timezone.utc)


@pytest.fixture
def lines(monkeypatch):
    found = []
    monkeypatch.setattr(syslog, "syslog", lambda priority, line: found.append(line))
    return found


def open_window(tree, undo):
    record = _window.new_record("debug-access", NOW + datetime.timedelta(hours=1), NOW, {"user": "alice"}, "filecap",
                                undo)
    tree.write(_window.record_path("debug-access"), json.dumps(record))
    tree.write("/etc/systemd/system/debugready-window-debug-access.timer", "[Timer]\n")
    tree.write("/etc/systemd/system/debugready-window-debug-access.service", "[Service]\n")
    return record


def test_close_undoes_removes_the_timer_and_audits(tree, lines, monkeypatch):
    calls = []
    monkeypatch.setattr(_window_cli, "run", lambda argv: calls.append(argv) or (0, "", ""))
    tree.write("/usr/local/bin/strace-debug", "copy")
    open_window(tree, [{"action": "remove_file", "path": "/usr/local/bin/strace-debug"}])
    assert _window_cli.close_window("debug-access", str(tree)) == 0
    assert not os.path.exists(tree / "/usr/local/bin/strace-debug")
    assert not os.path.exists(tree / _window.record_path("debug-access"))
    assert not os.path.exists(tree / "/etc/systemd/system/debugready-window-debug-access.timer")
    assert calls[0] == ["systemctl", "disable", "--now", "debugready-window-debug-access.timer"]
    assert lines == ['event=close name=debug-access by=timer changed=remove_file:/usr/local/bin/strace-debug '
                     'ends_at=%s' % _window.format_time(NOW + datetime.timedelta(hours=1))]
    # the timer again (a second boot): nothing to close
    assert _window_cli.close_window("debug-access", str(tree)) == 0


def test_a_failed_close_keeps_the_record_and_exits_1(tree, lines, monkeypatch, capsys):
    monkeypatch.setattr(_window_cli, "run", lambda argv: (1, "", "gpasswd: cannot lock /etc/group"))
    tree.write("/etc/group", "debug:x:1001:alice\n")
    open_window(tree, [{"action": "group_remove_members", "group": "debug", "members": ["alice"],
                        "tool": ["/usr/bin/gpasswd", "-d"]}])
    assert _window_cli.close_window("debug-access", str(tree)) == 1
    assert os.path.exists(tree / _window.record_path("debug-access"))
    assert lines[0].startswith("event=close_failed name=debug-access by=timer")
    assert "cannot lock /etc/group" in capsys.readouterr().err


def test_usage(capsys):
    assert _window_cli.main(["close"]) == 2
    assert _window_cli.main(["close", "../etc"]) == 2
    assert "usage" in capsys.readouterr().err
