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
    assert sorted(os.listdir(dest)) == ["report.json", "report.md"]  # no temp file left
    st = os.stat(dest + "/report.json")
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (os.geteuid(), os.getegid(), 0o640)


def test_a_directory_others_can_change_is_refused_and_nothing_is_written(tmp_path):
    # Whoever can write the directory could swap the report after it is written: the one atomic writer of the
    # collection (_fileio) refuses it, for the controller's report as for the host's files.
    dest = tmp_path / "shared"
    dest.mkdir()
    os.chmod(dest, 0o777)
    with pytest.raises(readiness_report._fileio.UntrustedPathError, match="writable by group and others"):
        readiness_report.write_files(str(dest), {"report.md": "# r\n"}, "0644")
    assert os.listdir(dest) == []


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


# Found by tests/real/test_fuzz_modules.py: a file name that is not a string was a traceback, a NUL in dest one
# too, and int(mode, 8) took '٣' (mode 0003), ' 644' and '6_44'.
@pytest.mark.parametrize("dest, files, mode, message", [
    ("/tmp/x", {1: "x"}, "0644", "plain names"),
    ("/tmp/x", {"a.md": "x", 0: "y"}, "0644", "plain names"),
    ("/tmp/x\x00y", {"a.md": "x"}, "0644", "without NUL bytes"),
    ("/tmp/x", {"a.md": "x"}, "\u0663", "octal"),
    ("/tmp/x", {"a.md": "x"}, "0\u0666\u0664\u0664", "octal"),
    ("/tmp/x", {"a.md": "x"}, " 644", "octal"),
    ("/tmp/x", {"a.md": "x"}, "6_44", "octal"),
])
def test_hostile_input_writes_nothing(tmp_path, dest, files, mode, message):
    dest = dest.replace("/tmp/x", str(tmp_path / "x"))
    with pytest.raises(readiness_report.ReportInputError, match=message):
        readiness_report.write_files(dest, files, mode)
    assert not os.path.exists(str(tmp_path / "x"))


def test_a_directory_where_a_report_goes_is_refused_before_anything_is_written(tmp_path):
    dest = str(tmp_path / "report")
    os.makedirs(dest + "/sub.md")
    with pytest.raises(readiness_report.ReportInputError, match="over a directory: %s/sub.md" % dest):
        readiness_report.write_files(dest, {"a.md": "x", "sub.md": "y"}, "0644")
    assert os.listdir(dest) == ["sub.md"]  # a.md was not written either


def test_a_fifo_where_a_report_goes_is_replaced_without_blocking(tmp_path, deadline):
    dest = str(tmp_path / "report")
    os.makedirs(dest)
    os.mkfifo(dest + "/report.md")
    with deadline(10):
        assert readiness_report.write_files(dest, {"report.md": "# r\n"}, "0644") == [dest + "/report.md"]
    assert stat.S_ISREG(os.lstat(dest + "/report.md").st_mode)
    with open(dest + "/report.md") as handle:
        assert handle.read() == "# r\n"
