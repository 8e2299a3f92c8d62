# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Atomic writes: owner, mode and xattrs on the temp file, nothing left behind."""

from __future__ import annotations

import os
import stat

import pytest

from ansible_collections.debugready.ptrace.plugins.module_utils import _caps_write, _fileio


def test_write_atomic_sets_mode_and_leaves_no_temp(tmp_path):
    path = str(tmp_path / "f")
    _fileio.write_atomic(path, b"x\n", 0o440, os.getuid(), os.getgid())
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o440
    assert sorted(os.listdir(str(tmp_path))) == ["f"]


def test_failed_validation_changes_nothing(tmp_path):
    path = str(tmp_path / "f")
    _fileio.write_atomic(path, b"old\n", 0o644, os.getuid(), os.getgid())

    def refuse(temp):
        assert os.path.basename(temp).startswith(_fileio.TEMP_PREFIX)
        raise ValueError("no")

    with pytest.raises(ValueError):
        _fileio.write_atomic(path, b"new\n", 0o644, os.getuid(), os.getgid(), validate=refuse)
    with open(path, "rb") as handle:
        assert handle.read() == b"old\n"
    assert sorted(os.listdir(str(tmp_path))) == ["f"]


def test_write_into_missing_directory_is_a_clear_error(tmp_path):
    with pytest.raises(_fileio.FileWriteError, match="cannot create a temp file"):
        _fileio.write_atomic(str(tmp_path / "no" / "f"), b"", 0o644)


def test_copy_from_source(tmp_path):
    source = str(tmp_path / "src")
    with open(source, "wb") as handle:
        handle.write(b"binary")
    dest = str(tmp_path / "dst")
    _fileio.write_atomic(dest, None, 0o750, os.getuid(), os.getgid(), source=source)
    assert _caps_write.sha256(dest) == _caps_write.sha256(source)
    assert _caps_write.copy_state(dest)["mode"] == 0o750
