# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Atomic writes: owner, mode and xattrs on the temp file's descriptor, a trusted directory, nothing left behind."""

from __future__ import annotations

import errno
import hashlib
import os
import stat

import pytest

from ansible_collections.debugready.ptrace.plugins.module_utils import _acl, _fileio

AS_ROOT = pytest.mark.skipif(os.geteuid() != 0, reason="chown to another uid needs root")


def digest(path):
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def listing(path):
    return sorted(os.listdir(str(path)))


def test_write_atomic_sets_mode_and_leaves_no_temp(tmp_path):
    path = str(tmp_path / "f")
    _fileio.write_atomic(path, b"x\n", 0o440, os.getuid(), os.getgid())
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o440
    assert listing(tmp_path) == ["f"]


def test_failed_validation_changes_nothing(tmp_path):
    path = str(tmp_path / "f")
    _fileio.write_atomic(path, b"old\n", 0o644, os.getuid(), os.getgid())

    def refuse(temp):
        assert os.path.basename(temp).startswith(_fileio.TEMP_PREFIX)
        assert stat.S_IMODE(os.stat(temp).st_mode) == 0o644  # validated as it will go live
        raise ValueError("no")

    with pytest.raises(ValueError):
        _fileio.write_atomic(path, b"new\n", 0o644, os.getuid(), os.getgid(), validate=refuse)
    with open(path, "rb") as handle:
        assert handle.read() == b"old\n"
    assert listing(tmp_path) == ["f"]


def test_write_into_missing_directory_is_a_clear_error(tmp_path):
    with pytest.raises(_fileio.FileWriteError, match="cannot create a temp file"):
        _fileio.write_atomic(str(tmp_path / "no" / "f"), b"", 0o644)


def test_copy_from_source_follows_a_symlinked_source_once(tmp_path):
    real = tmp_path / "real-tool"
    real.write_bytes(b"binary" * 100000)
    link = tmp_path / "tool"
    os.symlink("real-tool", str(link))  # e.g. /usr/bin/x managed by alternatives
    dest = str(tmp_path / "dst")
    _fileio.write_atomic(dest, None, 0o750, os.getuid(), os.getgid(), source=str(link))
    assert digest(dest) == digest(str(real))
    st = os.lstat(dest)
    assert stat.S_ISREG(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o750


@pytest.mark.parametrize("mode, message", [
    (0o775, "writable by its group"), (0o757, "writable by others"), (0o1777, "writable by group and others"),
])
def test_refuses_a_directory_others_can_write(tmp_path, mode, message):
    directory = tmp_path / "d"
    directory.mkdir()
    os.chmod(str(directory), mode)
    with pytest.raises(_fileio.UntrustedPathError, match=message):
        _fileio.write_atomic(str(directory / "f"), b"x", 0o644, os.getuid(), os.getgid())
    assert listing(directory) == []


@AS_ROOT
def test_refuses_a_directory_owned_by_another_user(tmp_path):
    directory = tmp_path / "d"
    directory.mkdir()
    os.chown(str(directory), 4242, 4242)
    with pytest.raises(_fileio.UntrustedPathError, match="owned by uid 4242, not root"):
        _fileio.write_atomic(str(directory / "f"), b"x", 0o644)
    assert listing(directory) == []


def test_refuses_a_source_others_can_write(tmp_path):
    source = tmp_path / "tool"
    source.write_bytes(b"binary")
    os.chmod(str(source), 0o777)
    with pytest.raises(_fileio.UntrustedPathError, match="refusing to copy .* writable by group and others"):
        _fileio.write_atomic(str(tmp_path / "dst"), None, 0o750, os.getuid(), os.getgid(), source=str(source))
    assert listing(tmp_path) == ["tool"]


def test_attributes_never_reach_a_swapped_in_symlink(tmp_path, monkeypatch):
    """An attacker replaces the temp file by a symlink to their own file right after it is written.

    Owner, mode and xattrs go to the descriptor, so their file keeps its mode; the swap is noticed
    before the rename and nothing goes live.
    """
    victim = tmp_path / "attackers-file"
    victim.write_bytes(b"mine")
    os.chmod(str(victim), 0o600)
    real_fsync = os.fsync
    swapped = []

    def fsync_then_swap(fd):
        real_fsync(fd)
        for name in os.listdir(str(tmp_path)):
            if name.startswith(_fileio.TEMP_PREFIX) and not swapped:
                os.unlink(str(tmp_path / name))
                os.symlink(str(victim), str(tmp_path / name))
                swapped.append(name)

    monkeypatch.setattr(os, "fsync", fsync_then_swap)
    with pytest.raises(_fileio.FileWriteError, match="was replaced while it was written"):
        _fileio.write_atomic(str(tmp_path / "dst"), b"x", 0o4755, os.getuid(), os.getgid(),
                             xattrs={"user.debugready": b"1"})
    monkeypatch.setattr(os, "fsync", real_fsync)
    assert swapped
    st = os.stat(str(victim))
    assert stat.S_IMODE(st.st_mode) == 0o600
    with pytest.raises(OSError) as info:
        os.getxattr(str(victim), "user.debugready")
    assert info.value.errno in (errno.ENODATA, errno.ENOTSUP)
    assert not os.path.lexists(str(tmp_path / "dst"))


def test_an_inherited_default_acl_does_not_widen_the_mode(tmp_path):
    directory = tmp_path / "d"
    directory.mkdir()
    named = [_acl.Entry(_acl.USER_OBJ, 7), _acl.Entry(_acl.USER, 5, 4242), _acl.Entry(_acl.GROUP_OBJ, 5),
             _acl.Entry(_acl.MASK, 5), _acl.Entry(_acl.OTHER, 0)]
    try:
        os.setxattr(str(directory), "system.posix_acl_default", _acl.encode(named))
    except OSError as exc:
        if exc.errno in (errno.ENOTSUP, errno.EOPNOTSUPP):
            pytest.skip("no POSIX ACLs on this filesystem")
        raise
    plain = str(directory / "plain")
    with open(plain, "w"):
        pass
    assert _acl.read_access(plain) is not None  # the directory does hand its ACL down
    path = str(directory / "f")
    _fileio.write_atomic(path, b"x", 0o750, os.getuid(), os.getgid())
    assert _acl.read_access(path) is None
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o750


def test_xattrs_are_on_the_file_when_it_appears(tmp_path):
    path = str(tmp_path / "f")
    try:
        _fileio.write_atomic(path, b"x", 0o640, os.getuid(), os.getgid(), xattrs={"user.debugready": b"v"})
    except _fileio.FileWriteError as exc:
        if os.strerror(errno.ENOTSUP) in str(exc) or os.strerror(errno.EOPNOTSUPP) in str(exc):
            pytest.skip("no user xattrs on this filesystem")
        raise
    assert os.getxattr(path, "user.debugready") == b"v"


def test_remove(tmp_path):
    path = tmp_path / "f"
    path.write_bytes(b"")
    assert _fileio.remove(str(path)) is True
    assert _fileio.remove(str(path)) is False
