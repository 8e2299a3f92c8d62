# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""POSIX access ACLs: the xattr codec and the kernel's permission algorithm."""

from __future__ import annotations

import errno
import os
import struct

import pytest
from hypothesis import given, strategies as st

from ansible_collections.debugready.ptrace.plugins.module_utils import _acl
from ansible_collections.debugready.ptrace.plugins.module_utils._acl import (
    EXECUTE, GROUP, GROUP_OBJ, MASK, OTHER, USER, USER_OBJ, WRITE, Entry,
)

# root:debug(100) 0750 plus user 1001 r-x and group 200 rwx, mask r-x: what `setfacl -m u:1001:rx,g:200:rwx`
# and `chmod 0750` leave.
BLOB = struct.pack("<I", 2) + b"".join(struct.pack("<HHI", *e) for e in [
    (USER_OBJ, 7, 0xFFFFFFFF), (USER, 5, 1001), (GROUP_OBJ, 5, 0xFFFFFFFF), (GROUP, 7, 200), (MASK, 5, 0xFFFFFFFF),
    (OTHER, 0, 0xFFFFFFFF)])
ENTRIES = _acl.decode(BLOB)


def test_decode_and_text():
    assert _acl.to_text(ENTRIES) == "user::rwx,user:1001:r-x,group::r-x,group:200:rwx,mask::r-x,other::---"
    assert _acl.encode(ENTRIES) == BLOB
    assert _acl.is_extended(ENTRIES)
    assert not _acl.is_extended([Entry(USER_OBJ, 7), Entry(GROUP_OBJ, 5), Entry(OTHER, 0)])
    assert not _acl.is_extended(None)


@pytest.mark.parametrize("blob, message", [
    (b"", "4 bytes plus 8 per entry"),
    (struct.pack("<I", 2) + b"\x01\x00", "4 bytes plus 8 per entry"),
    (struct.pack("<IHHI", 1, USER_OBJ, 7, 0), "unknown POSIX ACL xattr version 1"),
    (struct.pack("<IHHI", 2, 0x40, 7, 0), "tag 0x40"),
    (struct.pack("<IHHI", 2, USER_OBJ, 8, 0), "permissions 0x8"),
])
def test_decode_rejects(blob, message):
    with pytest.raises(_acl.AclFormatError, match=message):
        _acl.decode(blob)


@given(st.lists(st.tuples(st.sampled_from([USER, GROUP]), st.integers(0, 7), st.integers(0, 2 ** 32 - 2)),
                max_size=6))
def test_round_trip(named):
    entries = [Entry(USER_OBJ, 7)] + [Entry(t, p, i) for t, p, i in named] + [Entry(MASK, 5), Entry(OTHER, 1)]
    assert _acl.decode(_acl.encode(entries)) == entries


@pytest.mark.parametrize("uid, gids, want, allowed", [
    (0, [0], EXECUTE, True),          # the owner entry, no mask
    (1001, [1001], EXECUTE, True),    # named user r-x through mask r-x
    (1001, [1001], WRITE, False),
    (1002, [100], EXECUTE, True),     # owning group
    (1003, [200], WRITE, False),      # named group rwx, but the mask has no w
    (1003, [200], EXECUTE, True),
    (1004, [300], EXECUTE, False),    # other ---
    (1005, [100, 200], WRITE, False),  # a matching group without the bit, then one masked: refused
])
def test_allows_follows_the_kernel(uid, gids, want, allowed):
    assert _acl.allows(0o750, 0, 100, ENTRIES, uid, gids, want) is allowed


@pytest.mark.parametrize("mode, uid, gids, allowed", [
    (0o750, 1000, [100], True), (0o750, 1000, [5], False), (0o751, 1000, [5], True), (0o705, 1000, [100], False),
])
def test_allows_without_acl_uses_the_mode_class(mode, uid, gids, allowed):
    # In the owning group, the group class decides even when "other" would allow (0o705).
    assert _acl.allows(mode, 0, 100, None, uid, gids, EXECUTE) is allowed


def test_others_with():
    assert _acl.others_with(0o750, None, EXECUTE) == ["group"]
    assert _acl.others_with(0o751, None, EXECUTE) == ["group", "others"]
    assert _acl.others_with(0o770, None, WRITE) == ["group"]
    assert _acl.others_with(0o750, ENTRIES, EXECUTE) == ["user:1001", "group", "group:200"]
    assert _acl.others_with(0o750, ENTRIES, WRITE) == []  # the mask takes w from group:200


def test_read_access_of_a_file_without_acl(tmp_path):
    path = tmp_path / "f"
    path.write_bytes(b"")
    assert _acl.read_access(str(path)) is None


def test_read_access_round_trips_through_the_kernel(tmp_path):
    path = str(tmp_path / "f")
    with open(path, "w"):
        pass
    os.chmod(path, 0o750)
    try:
        os.setxattr(path, _acl.XATTR_ACCESS, BLOB)
    except OSError as exc:
        if exc.errno in (errno.ENOTSUP, errno.EOPNOTSUPP):
            pytest.skip("no POSIX ACLs on this filesystem")
        raise
    assert _acl.read_access(path) == ENTRIES
    assert oct(os.stat(path).st_mode & 0o777) == oct(0o750)  # the group class shows the mask
