# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""The capability codec (xattr blobs, names, masks) and what a set of capabilities applies."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given, strategies as st

from ansible_collections.debugready.ptrace.plugins.module_utils import _caps
from ansible_collections.debugready.ptrace.plugins.module_utils._caps import FileCaps

PTRACE = 1 << 19
NET_RAW = 1 << 13


@pytest.mark.parametrize("blob, expected, text", [
    (struct.pack("<5I", 0x02000001, PTRACE, 0, 0, 0), FileCaps(PTRACE, 0, True, 2), "cap_sys_ptrace=ep"),
    (struct.pack("<5I", 0x02000000, PTRACE, 0, 0, 0), FileCaps(PTRACE, 0, False, 2), "cap_sys_ptrace=p"),
    (struct.pack("<3I", 0x01000001, PTRACE | 1 << 13, 0), FileCaps(PTRACE | 1 << 13, 0, True, 1),
     "cap_net_raw,cap_sys_ptrace=ep"),
    (struct.pack("<6I", 0x03000001, PTRACE, 0, 0, 0, 1000), FileCaps(PTRACE, 0, True, 3, 1000),
     "cap_sys_ptrace=ep [rootid=1000]"),
    (struct.pack("<6I", 0x03000000, PTRACE, PTRACE, 0, 0, 0), FileCaps(PTRACE, PTRACE, False, 3, 0),
     "cap_sys_ptrace=ip"),
    # High word: cap_bpf is 39, cap_perfmon 38.
    (struct.pack("<5I", 0x02000001, 0, 0, 1 << (39 - 32), 0), FileCaps(1 << 39, 0, True, 2), "cap_bpf=ep"),
    (struct.pack("<5I", 0x02000000, PTRACE, 1 << 13, 0, 0), FileCaps(PTRACE, 1 << 13, False, 2),
     "cap_net_raw=i cap_sys_ptrace=p"),
])
def test_decode_known_blobs(blob, expected, text):
    caps = _caps.decode(blob)
    assert caps == expected
    assert _caps.to_text(caps) == text
    assert _caps.encode(caps) == blob


def test_v3_with_rootid_zero_equals_v2_as_applied():
    v3 = _caps.decode(struct.pack("<6I", 0x03000001, PTRACE, 0, 0, 0, 0))
    v2 = _caps.decode(struct.pack("<5I", 0x02000001, PTRACE, 0, 0, 0))
    assert v3 != v2
    assert v3.same_capabilities(v2)
    assert _caps.to_text(v3) == _caps.to_text(v2) == "cap_sys_ptrace=ep"


@pytest.mark.parametrize("blob, message", [
    (b"", "too short"),
    (b"\x00\x00", "too short"),
    (struct.pack("<5I", 0x04000001, PTRACE, 0, 0, 0), "unknown capability xattr revision"),
    (struct.pack("<5I", 0x01000001, PTRACE, 0, 0, 0), "must be 12 bytes, got 20"),
    (struct.pack("<4I", 0x02000001, PTRACE, 0, 0), "must be 20 bytes, got 16"),
    (struct.pack("<6I", 0x02000001, PTRACE, 0, 0, 0, 0), "must be 20 bytes, got 24"),
    (struct.pack("<5I", 0x02000003, PTRACE, 0, 0, 0), "unknown flag bits"),
])
def test_decode_rejects_broken_blobs(blob, message):
    with pytest.raises(_caps.CapsFormatError, match=message):
        _caps.decode(blob)


def test_encode_rejects_masks_too_wide_for_revision_1():
    with pytest.raises(_caps.CapsFormatError):
        _caps.encode(FileCaps(1 << 39, 0, True, 1))


@given(permitted=st.integers(0, 2 ** 64 - 1), inheritable=st.integers(0, 2 ** 64 - 1),
       effective=st.booleans(), revision=st.sampled_from([2, 3]), rootid=st.integers(0, 2 ** 32 - 1))
def test_round_trip_v2_v3(permitted, inheritable, effective, revision, rootid):
    caps = FileCaps(permitted, inheritable, effective, revision, rootid if revision == 3 else None)
    blob = _caps.encode(caps)
    assert len(blob) == {2: 20, 3: 24}[revision]
    assert _caps.decode(blob) == caps


@given(permitted=st.integers(0, 2 ** 32 - 1), inheritable=st.integers(0, 2 ** 32 - 1), effective=st.booleans())
def test_round_trip_v1(permitted, inheritable, effective):
    caps = FileCaps(permitted, inheritable, effective, 1)
    assert _caps.decode(_caps.encode(caps)) == caps


# Arbitrary bytes, and valid headers (revisions 1-3, with and without the effective flag) with arbitrary bodies of
# every length, so the decoding branch is really exercised and not only the refusals.
_HEADERS = st.sampled_from([0x01000000, 0x01000001, 0x02000000, 0x02000001, 0x03000000, 0x03000001, 0x04000000])
_BLOBS = st.binary(max_size=32) | st.builds(lambda magic, body: struct.pack("<I", magic) + body,
                                            _HEADERS, st.binary(max_size=24))


@given(blob=_BLOBS)
def test_decode_never_raises_anything_but_format_error(blob):
    try:
        caps = _caps.decode(blob)
    except _caps.CapsFormatError:
        return
    assert _caps.encode(caps) == blob


def test_decode_accepts_every_valid_size():
    for magic, size in ((0x01000001, 12), (0x02000001, 20), (0x03000001, 24)):
        blob = struct.pack("<I", magic) + bytes(size - 4)
        assert _caps.decode(blob).revision == magic >> 24


@pytest.mark.parametrize("names", [["cap_sys_ptrace"], ["sys_ptrace"], ["CAP_SYS_PTRACE"], ["Sys_Ptrace"],
                                   [" cap_sys_ptrace "]])
def test_names_in_any_notation(names):
    assert _caps.names_to_mask(names) == PTRACE


def test_unknown_name():
    with pytest.raises(_caps.UnknownCapabilityError, match="cap_sys_trace"):
        _caps.names_to_mask(["cap_sys_trace"])


def test_mask_names_and_proc_masks():
    assert _caps.parse_proc_mask("00000000a80425fb") == 0xa80425fb
    names = _caps.mask_to_names(_caps.parse_proc_mask("00000000a80425fb"))
    assert "cap_sys_ptrace" not in names and "cap_chown" in names
    assert _caps.mask_to_names(1 << 45) == ["cap_45"]
    assert _caps.names_to_mask(_caps.mask_to_names(0x1fffeffffff)) == 0x1fffeffffff


def test_read_file_caps_on_file_without_caps(tmp_path):
    target = tmp_path / "plain"
    target.write_bytes(b"")
    assert _caps.read_file_caps(str(target)) is None


def test_read_status_caps():
    caps = _caps.read_status_caps({"CapPrm": "0000000000080000", "CapBnd": "000001ffffffffff", "CapEff": ""})
    assert caps["permitted"] == PTRACE
    assert caps["effective"] is None
    assert caps["bounding"] == 0x1ffffffffff


@pytest.mark.parametrize("caps, applies", [
    (FileCaps(PTRACE, 0, True, 2), True),
    (FileCaps(PTRACE, 0, True, 1), True),
    (FileCaps(PTRACE, 0, True, 3, 0), True),
    # getxattr hands back a revision 3 only when its root id is not this namespace's root: exec ignores it.
    (FileCaps(PTRACE, 0, True, 3, 1000), False),
])
def test_applies(caps, applies):
    assert caps.applies is applies


def test_root_equivalent_covers_more_than_sys_ptrace():
    names = ["cap_" + n for n in ("chown", "dac_override", "dac_read_search", "fowner", "setgid", "setuid", "setfcap",
                                  "sys_admin", "sys_module", "sys_rawio", "sys_boot", "bpf", "perfmon", "sys_ptrace",
                                  "mknod")]
    assert sorted(_caps.mask_to_names(_caps.ROOT_EQUIVALENT_MASK)) == sorted(names)
    assert FileCaps(_caps.names_to_mask(["cap_net_raw", "cap_net_bind_service", "cap_kill"]), 0, True).root_equivalent() \
        == []
    assert FileCaps(1 << 13, 1 << 21, False).root_equivalent() == ["cap_sys_admin"]  # inheritable counts too


# --- edges of the codec that mutation testing found unpinned (scripts/mutation, docs/mutation.md) ---

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
