# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""The capability writer: capability arithmetic in any notation."""

from __future__ import annotations

import pytest

from ansible_collections.debugready.ptrace.plugins.module_utils import _caps, _caps_write

PTRACE = 1 << 19


EP = _caps.FileCaps(PTRACE, 0, True, 2)


@pytest.mark.parametrize("names, flags", [
    (["cap_sys_ptrace"], "ep"), (["SYS_PTRACE"], "+ep"), (["Cap_Sys_Ptrace"], "=pe"), (["sys_ptrace"], "PE"),
])
def test_notations_are_idempotent(names, flags):
    assert _caps_write.same(_caps_write.desired(EP, names, flags, "present"), EP)
    assert _caps_write.same(_caps_write.desired(None, names, flags, "exact"), EP)
    # A v3 xattr with rootid 0 carries the same capabilities.
    assert _caps_write.same(_caps_write.desired(_caps.FileCaps(PTRACE, 0, True, 3, 0), names, flags, "present"), EP)


def test_present_adds_absent_removes_exact_replaces():
    raw = 1 << 13
    both = _caps_write.desired(EP, ["cap_net_raw"], "p", "present")
    assert (both.permitted, both.effective) == (PTRACE | raw, True)
    assert _caps_write.same(_caps_write.desired(both, ["cap_net_raw"], "ep", "absent"), EP)
    assert _caps_write.desired(EP, ["cap_sys_ptrace"], "ep", "absent") is None
    assert _caps_write.desired(both, [], "ep", "absent") is None
    exact = _caps_write.desired(both, ["cap_net_raw"], "i", "exact")
    assert (exact.permitted, exact.inheritable, exact.effective) == (0, raw, False)


@pytest.mark.parametrize("names, flags, state, message", [
    (["cap_sys_trace"], "ep", "present", "unknown capability"),
    (["cap_sys_ptrace"], "x", "present", "combination of e, i and p"),
    (["cap_sys_ptrace"], "", "present", "combination of e, i and p"),
    (["cap_sys_ptrace"], "e", "exact", "flag e alone"),
    ([], "ep", "present", "needs at least one capability"),
])
def test_bad_caps_input(names, flags, state, message):
    with pytest.raises(_caps_write.CapsInputError, match=message):
        _caps_write.desired(None, names, flags, state)
