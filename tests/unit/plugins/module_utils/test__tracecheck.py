# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""trace_check's orchestration (_tracecheck.check) on this host's /proc, with sudo's answers faked."""

from __future__ import annotations

import os
import threading

from ansible_collections.debugready.ptrace.plugins.module_utils import _tracecheck

SNAPSHOT = {
    "yama": {"scope": 1, "present": True},
    "lsm": {"selinux": {"enabled": False}, "apparmor": {"enabled": False}},
    "sudoers": {"grants": [], "skipped": []},
}


def test_sudo_questions_are_asked_at_once_and_answered_per_process(monkeypatch):
    # One `sudo -l` per process, each parsing the whole sudoers tree (~20 ms at 200 files): all are started
    # before the first answer is read. The listing is only answered once every per-process question has
    # started, which fails (times out) if they were asked one after the other.
    monkeypatch.setattr(_tracecheck._tools, "find_tool", lambda name, root="/": "/usr/bin/" + name)
    pids = [1, os.getpid()]
    questions = [["/usr/bin/sudo", "-n", "-l", "-U", "root", "/bin/sh", "-f", "-p", str(pid)] for pid in pids]
    started = []
    lock = threading.Lock()
    all_asked = threading.Event()

    def run(argv):
        with lock:
            started.append(argv)
            if all(q in started for q in questions):
                all_asked.set()
        if argv == ["/usr/bin/sudo", "-l", "-U", "root"]:
            assert all_asked.wait(5), "the per-process questions were not started before the listing was read"
            return 0, "User root may run the following commands on web1:\n    (ALL) NOPASSWD: /bin/sh\n", ""
        # sudo says yes for PID 1 only: each answer goes to its own process.
        return (0, "/bin/sh\n", "") if argv[-1] == "1" else (1, "", "")

    monkeypatch.setattr(_tracecheck._attach, "strace_args", lambda pid: ["-f", "-p", str(pid)])
    result = _tracecheck.check({"user": "root", "pid": pids, "via": "sudo", "tool": "/bin/sh", "runas": "root"},
                               run, snapshot=SNAPSHOT, hostname="web1")
    assert sorted(started) == sorted(questions + [["/usr/bin/sudo", "-l", "-U", "root"]])
    answers = dict((t["pid"], (t["sudo"]["permitted"], t["reason"])) for t in result["targets"])
    assert answers[1][0] is True and answers[os.getpid()] == (False, "sudo_not_permitted")
