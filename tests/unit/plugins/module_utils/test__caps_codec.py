# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Edges of the capability codec that mutation testing found unpinned (scripts/mutation, docs/mutation.md)."""

from __future__ import annotations

import struct

import pytest

from ansible_collections.debugready.ptrace.plugins.module_utils import _caps
from ansible_collections.debugready.ptrace.plugins.module_utils._caps import FileCaps

PTRACE = 1 << 19
NET_RAW = 1 << 13


def test_default_filecaps_hold_nothing():
    caps = FileCaps()
    assert (caps.permitted, caps.inheritable, caps.effective, caps.revision, caps.rootid) == (0, 0, False, 2, None)
    assert _caps.to_text(caps) == ""
    assert _caps.encode(caps) == struct.pack("<5I", 0x02000000, 0, 0, 0, 0)


def test_same_capabilities_is_equality_of_the_applied_sets():
    base = FileCaps(PTRACE, 0, True, 2)
    assert base.same_capabilities(FileCaps(PTRACE, 0, True, 3, 0))
    assert not FileCaps(PTRACE | NET_RAW, 0, True, 2).same_capabilities(base)   # a superset is not the same
    assert not base.same_capabilities(FileCaps(PTRACE | NET_RAW, 0, True, 2))
    assert not base.same_capabilities(FileCaps(PTRACE, 0, False, 2))


@pytest.mark.parametrize("permitted, number, held", [
    (PTRACE, 19, True), (PTRACE, 18, False), (PTRACE, 20, False), (PTRACE, 0, False),
    (1 << 18 | 1 << 20, 19, False), (1 | PTRACE, 0, True), (1 << 40, 40, True), (0, 19, False),
])
def test_has_tests_exactly_one_capability(permitted, number, held):
    assert FileCaps(permitted, 0, True, 2).has(number) is held


@pytest.mark.parametrize("blob, message", [
    (struct.pack("<I", 0x02000001), "capability xattr revision 2 must be 20 bytes, got 4"),
    (struct.pack("<I", 0x01000000), "capability xattr revision 1 must be 12 bytes, got 4"),
    (b"\x00\x00\x02", "capability xattr is 3 bytes long, too short for a header"),
    (struct.pack("<5I", 0x04000000, 0, 0, 0, 0), "unknown capability xattr revision 0x04000000"),
    (struct.pack("<5I", 0xFF000001, 0, 0, 0, 0), "unknown capability xattr revision 0xff000000"),
])
def test_decode_says_what_is_wrong(blob, message):
    with pytest.raises(_caps.CapsFormatError) as info:
        _caps.decode(blob)
    assert str(info.value) == message


def test_capabilities_newer_than_the_name_table_get_a_number():
    newest = len(_caps.CAP_NAMES)
    assert _caps.cap_name(newest - 1) == "cap_checkpoint_restore"
    assert _caps.cap_name(newest) == "cap_%d" % newest
    assert _caps.mask_to_names(PTRACE | 1 << newest) == ["cap_sys_ptrace", "cap_%d" % newest]


def test_rootid_is_shown_for_revision_3_only():
    assert _caps.to_text(FileCaps(PTRACE, 0, True, 3, 1000)) == "cap_sys_ptrace=ep [rootid=1000]"
    assert _caps.to_text(FileCaps(PTRACE, 0, True, 2, 1000)) == "cap_sys_ptrace=ep"
    assert _caps.to_text(FileCaps(PTRACE, 0, True, 3, 0)) == "cap_sys_ptrace=ep"


def test_equality_is_exact_in_both_directions():
    small, large = FileCaps(PTRACE, 0, True, 2), FileCaps(PTRACE | NET_RAW, 0, True, 2)
    assert small != large and large != small
    assert (small == large) is False and (large == small) is False  # __eq__ itself, not only __ne__
    assert small == FileCaps(PTRACE, 0, True, 2)


@pytest.mark.parametrize("revision, permitted", [(1, 1 << 32), (2, 1 << 64), (3, 1 << 64)])
def test_encode_refuses_the_first_bit_past_the_revision(revision, permitted):
    for caps in (FileCaps(permitted, 0, False, revision), FileCaps(0, permitted, False, revision)):
        with pytest.raises(_caps.CapsFormatError, match="capability masks do not fit revision %d" % revision):
            _caps.encode(caps)
    # The bit below it still fits.
    assert _caps.decode(_caps.encode(FileCaps(permitted >> 1, 0, False, revision))).permitted == permitted >> 1
