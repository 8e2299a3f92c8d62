# -*- coding: utf-8 -*-
# Copyright (c) 2026, debugready.ptrace contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The host's side of a debug window, with no Ansible on the host: the service that debug_window installs runs
`python3 -m ansible_collections.debugready.ptrace.plugins.module_utils._window_cli close NAME` at the window's end,
with PYTHONPATH at the copy of these module_utils that debug_window installed. `list` prints the open windows.

Exit status of close: 0 when the window is closed (or was already), 1 when an action failed (the record and the
timer stay, and the failure is in the journal), 2 for a usage error.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

from ansible_collections.debugready.ptrace.plugins.module_utils import _window


def run(argv):
    """(rc, stdout, stderr) of a command: no shell, C locale, from /; a command that cannot start is rc 127."""
    try:
        done = subprocess.run(list(argv), capture_output=True, text=True, cwd="/", check=False,
                              env=dict(os.environ, LC_ALL="C", LANG="C"))
    except OSError as exc:
        return 127, "", "cannot run %s: %s" % (argv[0], exc)
    return done.returncode, done.stdout, done.stderr


def say(text, stream=None):
    (stream or sys.stdout).write(text + "\n")


def close_window(name, root="/"):
    try:
        record = _window.read_record(name, root)
    except _window.WindowError as exc:
        _window.audit("close_failed", name, error=str(exc))
        say(str(exc), sys.stderr)
        return 1
    if record is None:
        say("no open window %s" % name)
        return 0
    results = _window.close(record, run, root, hostname=socket.gethostname())
    failed = [r for r in results if r["error"]]
    if failed:
        _window.audit("close_failed", name, by="timer", ends_at=record["ends_at"],
                      failed=["%s %s: %s" % (r["action"], r["target"], r["error"]) for r in failed])
        for result in failed:
            say("%s %s: %s" % (result["action"], result["target"], result["error"]), sys.stderr)
        return 1
    try:
        _window.remove_units(name, run, root)
    except _window.WindowError as exc:
        say(str(exc), sys.stderr)  # the host is closed; a timer left behind finds no record next time
    _window.remove_record(name, root)
    _window.audit("close", name, by="timer", ends_at=record["ends_at"],
                  changed=[r["action"] + ":" + str(r["target"]) for r in results if r["changed"]])
    return 0


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) == 2 and argv[0] == "close":
        try:
            _window.check_name(argv[1])
        except _window.WindowError as exc:
            say(str(exc), sys.stderr)
            return 2
        return close_window(argv[1])
    if argv == ["list"]:
        say(json.dumps(_window.list_records(), indent=2, sort_keys=True))
        return 0
    say("usage: python3 -m %s._window_cli close NAME | list" % _window.PACKAGE, sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
