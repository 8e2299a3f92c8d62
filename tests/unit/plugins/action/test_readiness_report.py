# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""The report writer: checked input, atomic writes, unchanged files left alone, check mode writes nothing."""

from __future__ import annotations

import os
import stat

import pytest

from ansible_collections.debugready.ptrace.plugins.action import readiness_report


def test_writes_only_what_changed(tmp_path):
    dest = str(tmp_path / "report")
    files = {"report.md": "# r\n", "report.json": "{}\n"}
    assert readiness_report.write_files(dest, files, "0640") == [dest + "/report.json", dest + "/report.md"]
    assert stat.S_IMODE(os.stat(dest + "/report.md").st_mode) == 0o640
    before = os.stat(dest + "/report.md").st_ino
    assert readiness_report.write_files(dest, dict(files, **{"report.json": "[]\n"}), "0640") == [
        dest + "/report.json"]
    assert os.stat(dest + "/report.md").st_ino == before  # untouched
    with open(dest + "/report.json") as handle:
        assert handle.read() == "[]\n"
    assert [n for n in os.listdir(dest) if n.startswith(".report-")] == []  # no temp file left


def test_check_mode_writes_nothing(tmp_path):
    dest = str(tmp_path / "report")
    assert readiness_report.write_files(dest, {"a.md": "x"}, "0644", check_mode=True) == [dest + "/a.md"]
    assert not os.path.exists(dest)


@pytest.mark.parametrize("dest, files, mode, message", [
    ("relative/dir", {"a.md": "x"}, "0644", "absolute"),
    ("/tmp/x", {"../a.md": "x"}, "0644", "plain names"),
    ("/tmp/x", {"sub/a.md": "x"}, "0644", "plain names"),
    ("/tmp/x", {"..": "x"}, "0644", "plain names"),
    ("/tmp/x", {".hidden": "x"}, "0644", "plain names"),
    ("/tmp/x", {"a.json": {"k": 1}}, "0644", "must be text"),
    ("/tmp/x", {"a.md": "x"}, "rw-r--r--", "octal"),
    ("/tmp/x", {"a.md": "x"}, "4755", "out of range"),
])
def test_bad_input_writes_nothing(tmp_path, dest, files, mode, message):
    if dest.startswith("/tmp/x"):
        dest = str(tmp_path / "x")
    with pytest.raises(readiness_report.ReportInputError, match=message):
        readiness_report.write_files(dest, files, mode)
    assert not os.path.exists(str(tmp_path / "x"))
