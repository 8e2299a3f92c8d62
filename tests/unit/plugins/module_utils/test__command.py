# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""The command runner: the environment every command gets, start failures, commands started early."""

from __future__ import annotations

import errno
import threading

import pytest

from ansible_collections.debugready.ptrace.plugins.module_utils import _command


def test_runner_passes_the_c_locale_and_root_dir_and_keeps_exceptions_out_of_run_command():
    seen = []

    def run_command(args, **kwargs):
        seen.append((args, kwargs))
        return 0, "out", "err"

    assert _command.runner(run_command)(("/usr/bin/sudo", "-V")) == (0, "out", "err")
    options = {"environ_update": {"LC_ALL": "C", "LANG": "C"}, "handle_exceptions": False, "cwd": "/"}
    assert seen == [(["/usr/bin/sudo", "-V"], options)]


def test_runner_turns_a_start_failure_into_command_error():
    def run_command(args, **kwargs):
        raise OSError(errno.ENOEXEC, "Exec format error")

    with pytest.raises(_command.CommandError, match="cannot run /usr/bin/gdb: .*Exec format error") as info:
        _command.runner(run_command)(["/usr/bin/gdb", "--version"])
    assert info.value.argv == ["/usr/bin/gdb", "--version"] and info.value.errno == errno.ENOEXEC


def test_a_started_command_runs_once_and_its_result_goes_to_the_reader():
    calls = []
    release = threading.Event()

    def run(argv):
        calls.append(argv)
        if argv[0] == "slow":
            release.wait(5)
        return 0, " ".join(argv), ""

    with _command.Overlapped(run) as commands:
        commands.start(["slow", "1"])
        commands.start(["slow", "1"])  # started once
        # A command not started runs at once, while the slow one still waits.
        assert commands.run(["quick"]) == (0, "quick", "")
        release.set()
        assert commands.run(["slow", "1"]) == (0, "slow 1", "")
        # Asked again, it runs again: a result is handed out once, never served stale.
        assert commands.run(["slow", "1"]) == (0, "slow 1", "")
    assert sorted(calls) == [["quick"], ["slow", "1"], ["slow", "1"]]


def test_a_started_command_s_error_reaches_the_reader_unchanged():
    def run(argv):
        raise _command.CommandError(argv, OSError(errno.EACCES, "Permission denied"))

    with _command.Overlapped(run) as commands:
        commands.start(["/usr/bin/gdb", "--version"])
        with pytest.raises(_command.CommandError, match="Permission denied"):
            commands.run(["/usr/bin/gdb", "--version"])


def test_close_waits_for_commands_nobody_asked_for():
    finished = []

    def run(argv):
        threading.Event().wait(0.05)
        finished.append(argv)
        return 0, "", ""

    commands = _command.Overlapped(run)
    commands.start(["never", "asked"])
    commands.close()
    assert finished == [["never", "asked"]]
