# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Debug windows: the record, its checks, the audit line, the units, and closing on a fixture host."""

from __future__ import annotations

import ast
import datetime
import json
import os

import pytest

from ansible_collections.debugready.ptrace.plugins.module_utils import _window

NOW = datetime.datetime(2026, 12, 5, 16, 0, 0, tzinfo=datetime.timezone.utc)
MODULE_UTILS = os.path.join(os.path.dirname(_window.__file__))
GPASSWD = ["/usr/bin/gpasswd", "-d"]
UNDO = [
    {"action": "sudoers_absent", "name": "debugready-debug-access"},
    {"action": "remove_file", "path": "/usr/local/bin/strace-debug"},
    {"action": "sysctl", "key": "kernel.yama.ptrace_scope", "runtime": 1, "file": None, "file_value": None},
    {"action": "group_remove_members", "group": "debug", "members": ["alice"], "tool": GPASSWD},
    {"action": "group_absent", "group": "debug", "tool": ["/usr/sbin/groupdel"]},
    {"action": "remove_config", "path": "/etc/apache2/conf-enabled/debugready-coredump.conf",
     "then": ["/usr/sbin/apache2ctl", "-k", "graceful"], "if_running": "apache2"},
]
GRACEFUL = UNDO[5]


@pytest.mark.parametrize("value, end", [
    ("2h", "2026-12-05T18:00:00Z"), ("90m", "2026-12-05T17:30:00Z"), ("7d", "2026-12-12T16:00:00Z"),
    ("2026-12-05T16:01:00Z", "2026-12-05T16:01:00Z"),
])
def test_ends(value, end):
    assert _window.format_time(_window.parse_end(value, NOW)) == end


@pytest.mark.parametrize("value, words", [
    ("2026-12-05T15:00:00Z", "not in the future"), ("8d", "more than 7 days"), ("soon", "neither a duration"),
    ("", "end is empty"), ("0h", "must be positive"), ("-1h", "neither a duration"),
])
def test_bad_ends(value, words):
    with pytest.raises(_window.WindowError, match=words):
        _window.parse_end(value, NOW)


def test_a_good_undo_list_passes():
    assert _window.check_undo(UNDO) == UNDO


@pytest.mark.parametrize("action, words", [
    ({"action": "rm", "path": "/"}, "unknown action 'rm'"),
    ({"action": "remove_file", "path": "/usr/local/bin/../../etc/shadow"}, "normalised absolute path"),
    ({"action": "remove_file", "path": "usr/local/bin/x"}, "normalised absolute path"),
    ({"action": "remove_file", "path": "/usr/local/bin/x", "mode": "0755"}, "unknown fields mode"),
    ({"action": "sysctl", "key": "kernel.core_pattern", "runtime": 1, "file": None, "file_value": None},
     "not one the collection manages"),
    ({"action": "sysctl", "key": "kernel.yama.ptrace_scope", "runtime": True, "file": None, "file_value": None},
     "runtime must be an integer or null"),
    ({"action": "sysctl", "key": "kernel.yama.ptrace_scope", "runtime": 1, "file": "/etc/sysctl.d/x.conf",
      "file_value": None}, "go together"),
    ({"action": "sudoers_absent", "name": "../sudoers"}, "name"),
    ({"action": "group_absent", "group": "debug", "tool": ["groupdel"]}, "absolute path"),
    ({"action": "group_remove_members", "group": "debug", "members": ["alice; rm -rf /"], "tool": GPASSWD},
     "not a user or group name"),
    ({"action": "group_remove_members", "group": "-d", "members": [], "tool": GPASSWD}, "not a user or group"),
    ({"action": "remove_config", "path": "/etc/apache2/x.conf", "then": ["apache2ctl", "-k", "graceful"],
      "if_running": ""}, "then must be an argv starting with an absolute path"),
    ({"action": "remove_config", "path": "/etc/apache2/../shadow", "then": [], "if_running": ""},
     "normalised absolute path"),
    ({"action": "remove_config", "path": "/etc/apache2/x.conf", "if_running": ""}, "then must be a list"),
    ("sysctl", "unknown action None"),
])
def test_bad_undo_actions_are_refused(action, words):
    with pytest.raises(_window.WindowError, match=words):
        _window.check_undo([action])


def test_a_renewal_moves_the_end_keeps_who_and_when_and_takes_the_latest_undo():
    first = _window.new_record("debug-access", NOW + datetime.timedelta(hours=1), NOW, {"user": "alice"}, "sudo",
                               UNDO)
    later = NOW + datetime.timedelta(minutes=30)
    renewed = _window.new_record("debug-access", later + datetime.timedelta(hours=2), later, {"user": "bob"},
                                 "sudo", UNDO[:1], first)
    assert (renewed["opened_at"], renewed["opened_by"]) == (first["opened_at"], {"user": "alice"})
    assert renewed["undo"] == UNDO[:1]
    assert (renewed["ends_at"], renewed["renewed_at"]) == ("2026-12-05T18:30:00Z", "2026-12-05T16:30:00Z")


@pytest.mark.parametrize("name", ["", "Debug", "-x", "a/b", "a" * 64, "x.y", None])
def test_bad_names(name):
    with pytest.raises(_window.WindowError):
        _window.check_name(name)


def test_audit_line_is_key_value_and_quotes_what_needs_it():
    line = _window.audit_line("open", "debug-access", profile="sudo", opened_by={"user": "alice", "host": "lap top"},
                              ends_at="2026-12-05T18:00:00Z", renewed=None, note='say "hi"', closes_itself=True,
                              changed=["remove_file:/usr/local/bin/strace-debug", "group_absent:debug"])
    assert line == ('event=open name=debug-access changed=remove_file:/usr/local/bin/strace-debug,group_absent:debug '
                    'closes_itself=true ends_at=2026-12-05T18:00:00Z note="say \\"hi\\"" opened_by_host="lap top" '
                    'opened_by_user=alice profile=sudo')


def test_audit_goes_to_syslog_with_the_identifier(monkeypatch):
    import syslog
    seen = []
    monkeypatch.setattr(syslog, "openlog", lambda ident, option, facility: seen.append(("open", ident, facility)))
    monkeypatch.setattr(syslog, "syslog", lambda priority, line: seen.append(("log", priority, line)))
    monkeypatch.setattr(syslog, "closelog", lambda: seen.append(("close",)))
    _window.audit("close_failed", "debug-access", error="x")
    assert seen == [("open", "debugready-window", syslog.LOG_AUTHPRIV),
                    ("log", syslog.LOG_ERR, "event=close_failed name=debug-access error=x"), ("close",)]


def test_units_close_at_the_end_and_at_the_next_boot():
    files = _window.units("debug-access", NOW, "/usr/bin/python3")
    timer = files["debugready-window-debug-access.timer"]
    service = files["debugready-window-debug-access.service"]
    assert "OnCalendar=2026-12-05 16:00:00 UTC\n" in timer and "Persistent=true\n" in timer
    assert "WantedBy=timers.target" in timer
    assert ("ExecStart=/usr/bin/python3 -m ansible_collections.debugready.ptrace.plugins.module_utils._window_cli "
            "close debug-access\n") in service
    assert "Environment=PYTHONPATH=/usr/local/lib/debugready " in service


def _imports(name):
    with open(os.path.join(MODULE_UTILS, name + ".py"), "r") as handle:
        tree = ast.parse(handle.read())
    return set(alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
               and node.module == _window.PACKAGE for alias in node.names)


def test_the_closer_ships_exactly_what_it_imports():
    """The list installed on the host is what _window_cli imports, directly or not: the closer cannot fail on a
    missing file, and debug_window (which imports _window_cli) has each of them in its AnsiballZ zip."""
    needed, todo = set(), ["_window_cli"]
    while todo:
        name = todo.pop()
        if name not in needed:
            needed.add(name)
            todo.extend(_imports(name))
    assert set(_window.CLOSER_MODULE_UTILS) == needed


def read_source(name):
    with open(os.path.join(MODULE_UTILS, name), "rb") as handle:
        return handle.read()


@pytest.mark.skipif(os.geteuid() != 0, reason="the files are written root:root")
def test_desired_files_are_written_once(tmp_path):
    record = _window.new_record("debug-access", NOW + datetime.timedelta(hours=1), NOW, {}, "sudo", UNDO)
    files = _window.desired_files(record, "/usr/bin/python3", _window.closer_sources(read_source), str(tmp_path))
    pending = _window.differing(files)
    assert len(pending) == len(_window.CLOSER_MODULE_UTILS) + 3
    _window.write_files(files, pending)
    assert _window.differing(files) == []
    path = _window.record_path("debug-access", str(tmp_path))
    assert (os.stat(path).st_mode & 0o777, os.stat(os.path.dirname(path)).st_mode & 0o777) == (0o600, 0o700)
    assert json.loads(open(path).read()) == record
    assert _window.read_record("debug-access", str(tmp_path)) == record
    listed = _window.list_records(str(tmp_path), NOW)
    assert [(w["name"], w["expired"]) for w in listed] == [("debug-access", False)]
    assert _window.list_records(str(tmp_path), NOW + datetime.timedelta(hours=2))[0]["expired"] is True
    # no systemd: the record only
    assert len(_window.desired_files(record, None, _window.closer_sources(read_source), str(tmp_path))) == 1
    # the last record gone, the code goes too
    _window.remove_record("debug-access", str(tmp_path))
    assert not os.path.exists(os.path.join(str(tmp_path), "usr/local/lib/debugready"))


def test_an_unusable_record_is_listed_with_its_problem(tree):
    tree.write("/var/lib/debugready/windows/debug-access.json", "{not json")
    tree.write("/var/lib/debugready/windows/other.json", json.dumps({"version": 1, "name": "other", "undo": [
        {"action": "remove_file", "path": "etc/shadow"}], "ends_at": "2026-12-05T18:00:00Z"}))
    listed = _window.list_records(str(tree), NOW)
    assert [w["name"] for w in listed] == ["debug-access", "other"]
    assert "not a window record" in listed[0]["problem"] and "absolute path" in listed[1]["problem"]


class FakeRun(object):
    def __init__(self, answers=None):
        self.calls = []
        self.answers = answers or {}

    def __call__(self, argv):
        self.calls.append(list(argv))
        return self.answers.get(argv[0], (0, "", ""))


def test_close_takes_members_out_and_removes_the_copy(tree):
    tree.write("/etc/group", "root:x:0:\ndebug:x:1001:alice,bob\n")
    tree.write("/usr/local/bin/strace-debug", "copy")
    run = FakeRun()
    record = {"undo": [UNDO[1], {"action": "group_remove_members", "group": "debug", "members": ["alice", "carol"],
                                 "tool": GPASSWD}]}
    results = _window.close(record, run, str(tree), NOW)
    assert [(r["action"], r["changed"], r["error"]) for r in results] == [
        ("remove_file", True, None), ("group_remove_members", True, None)]
    assert not os.path.exists(str(tree) + "/usr/local/bin/strace-debug")
    assert run.calls == [["/usr/bin/gpasswd", "-d", "alice", "debug"]]  # carol was never in it
    # closing again changes nothing (gpasswd, faked here, took alice out)
    tree.write("/etc/group", "root:x:0:\ndebug:x:1001:bob\n")
    assert [r["changed"] for r in _window.close(record, FakeRun(), str(tree), NOW)] == [False, False]


def test_a_failed_action_does_not_stop_the_others(tree):
    tree.write("/etc/group", "debug:x:1001:alice\n")
    tree.write("/usr/local/bin/strace-debug", "copy")
    run = FakeRun({"/usr/bin/gpasswd": (3, "", "gpasswd: cannot lock /etc/group\n")})
    record = {"undo": [UNDO[3], UNDO[1]]}
    results = _window.close(record, run, str(tree), NOW)
    assert "cannot lock /etc/group" in results[0]["error"] and results[0]["changed"] is False
    assert (results[1]["changed"], results[1]["error"]) == (True, None)


def test_group_absent_only_when_the_group_is_there(tree):
    tree.write("/etc/group", "root:x:0:\n")
    run = FakeRun()
    assert _window.close({"undo": [UNDO[4]]}, run, str(tree), NOW)[0]["changed"] is False
    tree.write("/etc/group", "debug:x:1001:\n")
    assert _window.close({"undo": [UNDO[4]]}, run, str(tree), NOW)[0]["changed"] is True
    assert run.calls == [["/usr/sbin/groupdel", "debug"]]


FULL = "000001ffffffffff"


def yama_host(tree, scope):
    """A Yama host where this (root) process may write the scope (as in test_ptrace_scope)."""
    tree.write("/proc/self/status", "Name:\tpython3\nPid:\t4242\nPPid:\t1\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\n"
               "CapInh:\t0000000000000000\nCapPrm:\t%s\nCapEff:\t%s\nCapBnd:\t%s\nCapAmb:\t0000000000000000\n"
               "NoNewPrivs:\t0\nSeccomp:\t0\n" % (FULL, FULL, FULL))
    tree.write("/proc/self/stat", "4242 (python3) R 1 4242 4242 0 -1 4194560 0 0 0 0\n")
    tree.write("/proc/self/uid_map", "         0          0 4294967295\n")
    tree.write("/proc/sys/kernel/yama/ptrace_scope", "%d\n" % scope)
    tree.write("/usr/lib/sysctl.d/10-default-yama-scope.conf", "kernel.yama.ptrace_scope = 1\n")


@pytest.mark.skipif(os.geteuid() != 0, reason="the writer sets root:root on the files it writes")
def test_close_puts_yama_back_with_ptrace_scopes_writer(tree):
    """The window had set 0 and persisted it; closing removes the collection's file and puts 1 back live."""
    from ansible_collections.debugready.ptrace.plugins.module_utils import _sysctl_write
    yama_host(tree, 0)
    ours = "/etc/sysctl.d/99-debugready-ptrace-scope.conf"
    tree.write(ours, _sysctl_write.render(_sysctl_write.YAMA, 0))
    action = {"action": "sysctl", "key": "kernel.yama.ptrace_scope", "runtime": 1, "file": None, "file_value": None}
    # check: the plan says it would change, nothing is written
    assert _window.close({"undo": [action]}, FakeRun(), str(tree), NOW, check=True)[0]["changed"] is True
    assert open(tree / "/proc/sys/kernel/yama/ptrace_scope").read().strip() == "0" and os.path.exists(tree / ours)
    results = _window.close({"undo": [action]}, FakeRun(), str(tree), NOW)
    assert results == [{"action": "sysctl", "target": "kernel.yama.ptrace_scope", "changed": True, "error": None}]
    assert open(tree / "/proc/sys/kernel/yama/ptrace_scope").read().strip() == "1"
    assert not os.path.exists(tree / ours)
    assert _window.close({"undo": [action]}, FakeRun(), str(tree), NOW)[0]["changed"] is False
    # an earlier run's own file (value 2) is put back, and the runtime with it
    previous = "/etc/sysctl.d/60-debugready.conf"
    put_back = dict(action, runtime=2, file=previous, file_value=2)
    results = _window.close({"undo": [put_back]}, FakeRun(), str(tree), NOW)
    assert (results[0]["changed"], results[0]["error"]) == (True, None), results
    assert "kernel.yama.ptrace_scope = 2" in open(tree / previous).read()
    assert open(tree / "/proc/sys/kernel/yama/ptrace_scope").read().strip() == "2"


def test_an_expired_window_is_a_finding(tree):
    from ansible_collections.debugready.ptrace.plugins.module_utils import _findings
    record = _window.new_record("debug-access", NOW + datetime.timedelta(hours=1), NOW,
                                {"user": "alice", "host": "laptop"}, "sudo", UNDO)
    tree.write(_window.record_path("debug-access"), json.dumps(record))
    tree.write("/var/lib/debugready/windows/broken.json", "[]")
    assert _findings.evaluate({"windows": _window.list_records(str(tree), NOW)})[0]["id"] == "window_record_unusable"
    found = _findings.evaluate({"windows": _window.list_records(str(tree), NOW + datetime.timedelta(hours=2))})
    assert [f["id"] for f in found] == ["window_record_unusable", "window_past_end"]
    assert "opened by alice@laptop" in found[1]["message"] and "no systemd timer" in found[1]["message"]


def test_a_copy_elsewhere_is_removed_only_while_it_holds_file_capabilities(tree):
    tree.write("/usr/bin/strace", "the package's own")
    results = _window.close({"undo": [{"action": "remove_file", "path": "/usr/bin/strace"}]}, FakeRun(), str(tree),
                            NOW)
    assert "not a capability copy, left in place" in results[0]["error"]
    assert os.path.exists(tree / "/usr/bin/strace")


def test_a_config_file_goes_only_when_the_collection_wrote_it_then_apache_restarts(tree):
    path = GRACEFUL["path"]
    tree.write("/proc/812/comm", "apache2\n")
    run = FakeRun()
    # not there: nothing to do, Apache is left alone
    assert _window.close({"undo": [GRACEFUL]}, run, str(tree), NOW)[0]["changed"] is False
    tree.write(path, "# Managed by debugready.ptrace (debug_access role, service profile).\nCoreDumpDirectory /x\n")
    # check mode plans and runs nothing
    assert _window.close({"undo": [GRACEFUL]}, run, str(tree), NOW, check=True)[0]["changed"] is True
    assert os.path.exists(tree / path) and run.calls == []
    result = _window.close({"undo": [GRACEFUL]}, run, str(tree), NOW)[0]
    assert (result["changed"], result["error"]) == (True, None)
    assert not os.path.exists(tree / path)
    assert run.calls == [["/usr/sbin/apache2ctl", "-k", "graceful"]]


def test_a_config_file_someone_else_wrote_is_left_in_place(tree):
    path = GRACEFUL["path"]
    tree.write(path, "CoreDumpDirectory /tmp\n# Managed by debugready.ptrace\n")
    run = FakeRun()
    result = _window.close({"undo": [GRACEFUL]}, run, str(tree), NOW)[0]
    assert "not written by the collection, left in place" in result["error"]
    assert os.path.exists(tree / path) and run.calls == []


def test_a_stopped_apache_is_not_started(tree):
    tree.write(GRACEFUL["path"], "# Managed by debugready.ptrace\n")
    tree.write("/proc/1/comm", "systemd\n")
    run = FakeRun()
    result = _window.close({"undo": [GRACEFUL]}, run, str(tree), NOW)[0]
    assert (result["changed"], result["error"], run.calls) == (True, None, [])
    assert not os.path.exists(tree / GRACEFUL["path"])


def test_a_failed_graceful_restart_is_reported(tree):
    tree.write(GRACEFUL["path"], "# Managed by debugready.ptrace\n")
    tree.write("/proc/812/comm", "apache2\n")
    run = FakeRun({"/usr/sbin/apache2ctl": (1, "", "AH00526: Syntax error\n")})
    result = _window.close({"undo": [GRACEFUL]}, run, str(tree), NOW)[0]
    assert "removed, but /usr/sbin/apache2ctl -k graceful failed (rc 1): AH00526" in result["error"]


def test_only_a_regular_record_that_only_root_can_change_is_read(tree):
    """A record tells the root timer what to undo: a FIFO (it would block the reader, as the fuzz test found), a
    symlink or a record others can write is refused, and listed with its problem."""
    path = str(tree) + _window.WINDOWS_DIR + "/fuzz.json"
    os.makedirs(os.path.dirname(path), exist_ok=True)
    os.mkfifo(path)
    with pytest.raises(_window.WindowError, match="not a regular file"):
        _window.read_record("fuzz", str(tree))
    os.unlink(path)
    os.symlink("/etc/passwd", path)
    with pytest.raises(_window.WindowError, match="symbolic link"):
        _window.read_record("fuzz", str(tree))
    os.unlink(path)
    with open(path, "w") as handle:
        handle.write("{}")
    os.chmod(path, 0o666)
    with pytest.raises(_window.WindowError, match="cannot be trusted.*writable by group and others"):
        _window.read_record("fuzz", str(tree))
    assert "cannot be trusted" in _window.list_records(str(tree), NOW)[0]["problem"]
