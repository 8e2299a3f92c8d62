# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""The capability writer: capability arithmetic in any notation, and its one decision, plan()."""

from __future__ import annotations

import pytest

from ansible_collections.debugready.ptrace.plugins.module_utils import _acl, _caps, _caps_write
from ansible_collections.debugready.ptrace.plugins.module_utils._caps_write import FileState

PTRACE = 1 << 19
EP = _caps.FileCaps(PTRACE, 0, True, 2)
SHA = "ab" * 32


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


@pytest.mark.parametrize("value, mode", [
    ("0750", 0o750), ("750", 0o750), ("0o750", 0o750), ("2750", 0o2750), (488, 0o750), (0, 0), (0o7777, 0o7777),
])
def test_parse_mode_as_ansible_builtin_file(value, mode):
    assert _caps_write.parse_mode(value) == mode


@pytest.mark.parametrize("value, message", [
    ("u=rwx,g=rx", "must be octal"), ("0758", "must be octal"), (True, "must be octal"), ("", "must be octal"),
    (0o10000, "out of range"), (-1, "out of range"), ("077777", "out of range"),
    # a templating slip, not a mode: refused as the report writer refuses it (one parser, _fileio.parse_mode)
    (" 2750 ", "must be octal"), ("6_44", "must be octal"), ("\u0663", "must be octal"), (7.5, "must be octal"),
    (None, "must be octal"),
])
def test_parse_mode_refuses(value, message):
    with pytest.raises(_caps_write.CapsInputError, match=message):
        _caps_write.parse_mode(value)


# ---------------------------------------------------------------- plan() on host readings, no filesystem

def host(file=None, source_sha=SHA, gid=100, options=(), bounding=(1 << 41) - 1, real="/usr/local/bin/strace-debug"):
    return {"file": file, "path_real": real, "source": {"sha256": source_sha, "real": "/usr/bin/strace"},
            "gid": gid, "mount_options": set(options), "bounding": bounding}


def copy(mode=0o750, uid=0, gid=100, caps=EP, acl=None, sha=SHA):
    return FileState("file", mode, uid, gid, 1, 2, caps=caps, caps_present=caps is not None, acl=acl, sha256=sha)


COPY = {"path": "/usr/local/bin/strace-debug", "source": "/usr/bin/strace", "group": "debug", "mode": "0750",
        "capabilities": ["cap_sys_ptrace"], "flags": "ep"}


def test_a_copy_in_place_needs_nothing_in_any_notation():
    for params in (COPY, dict(COPY, mode=488, capabilities=["SYS_PTRACE"], flags="+ep"), dict(COPY, flags="=pe")):
        decided = _caps_write.plan(params, host(copy()))
        assert (decided.changed, decided.reasons, decided.actions, decided.blockers) == (False, [], [], [])
    assert "root-equivalent" in " ".join(_caps_write.plan(COPY, host(copy())).warnings)


@pytest.mark.parametrize("state, reason, action", [
    (None, "missing", "copy"),
    (copy(sha="cd" * 32), "differs from /usr/bin/strace (content)", "copy"),
    (copy(mode=0o755), "mode 0755 differs from 0750", "copy"),
    (copy(gid=0), "owner 0:0 differs from 0:100", "copy"),
    (copy(uid=1000), "owner 1000:100 differs", "copy"),
    (copy(acl=[_acl.Entry(_acl.USER_OBJ, 7), _acl.Entry(_acl.USER, 5, 1001), _acl.Entry(_acl.GROUP_OBJ, 5),
               _acl.Entry(_acl.MASK, 5), _acl.Entry(_acl.OTHER, 0)]),
     "access ACL (user::rwx,user:1001:r-x,group::r-x,mask::r-x,other::---)", "copy"),
    (FileState("symlink", 0o777, 0, 0), "is a symlink, not a regular file", "copy"),
    (copy(caps=None), "capabilities none, wanted cap_sys_ptrace=ep", "set_caps"),
    (copy(caps=_caps.FileCaps(PTRACE, 0, False, 2)), "capabilities cap_sys_ptrace=p, wanted", "set_caps"),
    # The kernel ignores a revision 3 of another namespace: not in place, rewritten as revision 2.
    (copy(caps=_caps.FileCaps(PTRACE, 0, True, 3, 1000)), "carry root id 1000: the kernel ignores them", "set_caps"),
])
def test_drift_of_the_copy(state, reason, action):
    decided = _caps_write.plan(COPY, host(state))
    assert decided.changed
    assert any(reason in r for r in decided.reasons), decided.reasons
    assert decided.actions == [action]
    if action == "copy":
        assert decided.after == {"exists": True, "mode": "0750", "uid": 0, "gid": 100, "caps": "cap_sys_ptrace=ep",
                                 "acl": "", "sha256": SHA}


def test_undecodable_xattr_is_rewritten():
    state = copy(caps=None)
    state.caps_present, state.caps_error = True, "too short"
    decided = _caps_write.plan(COPY, host(state))
    assert decided.actions == ["set_caps"] and "cannot be decoded (too short)" in decided.reasons[0]


def test_missing_group_or_source_blocks_but_still_plans():
    decided = _caps_write.plan(COPY, host(None, gid=None))
    assert decided.changed and decided.blockers == ["group 'debug' does not exist"]
    missing = host(None)
    missing["source"] = {"error": "source /usr/bin/strace does not exist or is not a regular file"}
    assert _caps_write.plan(COPY, missing).blockers == [missing["source"]["error"]]


@pytest.mark.parametrize("params, message", [
    (dict(COPY, mode="4750"), "would be setuid or setgid"),
    (dict(COPY, mode="2750"), "would be setuid or setgid"),
    (dict(COPY, mode="0770"), "writable by group"),
    (dict(COPY, mode="0752"), "writable by others"),
    (dict(COPY, mode="0751"), "executable by every user"),
    (dict(COPY, mode="0755", capabilities=["cap_sys_admin"]), "would hold cap_sys_admin and be executable by every user"),
    (dict(COPY, mode="0755", capabilities=["cap_dac_read_search"]), "root-equivalent"),
    (dict(COPY, mode="0775", capabilities=["cap_net_raw"]), "writable by group"),
    (dict(COPY, path="strace-debug"), "must be absolute"),
])
def test_unsafe_requests_are_refused(params, message):
    with pytest.raises(_caps_write.CapsInputError, match=message):
        _caps_write.plan(params, host(None))


def test_world_executable_is_allowed_when_asked_or_not_root_equivalent():
    assert _caps_write.plan(dict(COPY, mode="0755", allow_world_executable=True), host(None)).changed
    assert _caps_write.plan(dict(COPY, mode="0755", capabilities=["cap_net_bind_service"]), host(None)).changed


def test_source_and_path_the_same_file():
    with pytest.raises(_caps_write.CapsInputError, match="same file"):
        _caps_write.plan(COPY, host(copy(), real="/usr/bin/strace"))


@pytest.mark.parametrize("options, bounding, condition, warning", [
    (["nosuid"], None, "nosuid", "nosuid mount: the kernel ignores file capabilities"),
    (["noexec"], None, "noexec", "noexec mount: nobody can execute it"),
    ([], 0xa80425fb, "outside_bounding_set", "cap_sys_ptrace is not in this host's bounding set: executing"),
])
def test_warnings(options, bounding, condition, warning):
    decided = _caps_write.plan(COPY, host(copy(), options=options, bounding=bounding))
    assert any(warning in w for w in decided.warnings), decided.warnings
    assert decided.conditions == [condition]
    assert _caps_write.plan(COPY, host(copy())).conditions == []


# ---------------------------------------------------------------- without a source: the xattr of a file

FILE = {"path": "/usr/bin/ping", "capabilities": ["cap_net_raw"], "flags": "ep"}


def test_existing_file_caps_only():
    decided = _caps_write.plan(FILE, host(copy(mode=0o755, caps=None)))
    assert decided.actions == ["set_caps"] and decided.after["caps"] == "cap_net_raw=ep"
    assert decided.after["mode"] == decided.before["mode"] == "0755"
    both = _caps.FileCaps(PTRACE | 1 << 13, 0, True)
    removed = _caps_write.plan(dict(FILE, path="/x", capabilities=[], state="absent"), host(copy(caps=both)))
    assert removed.actions == ["remove_caps"] and removed.after["caps"] == ""
    assert not _caps_write.plan(dict(FILE, capabilities=[], state="absent"), host(copy(caps=None))).changed


@pytest.mark.parametrize("state, params, message", [
    (None, FILE, "does not exist or is not a regular file"),
    (FileState("symlink", 0o777, 0, 0), FILE, "is a symlink; give the file it points to"),
    (copy(mode=0o4755, caps=None), FILE, "setuid or setgid"),
    (copy(mode=0o775, caps=None), FILE, "writable by group"),
    (copy(mode=0o750, caps=None, acl=[_acl.Entry(_acl.USER_OBJ, 7), _acl.Entry(_acl.USER, 7, 1001),
                                      _acl.Entry(_acl.GROUP_OBJ, 5), _acl.Entry(_acl.MASK, 7),
                                      _acl.Entry(_acl.OTHER, 0)]), FILE, "writable by user:1001"),
    # A named ACL entry that may run a root-equivalent file counts like the other execute bit.
    (copy(mode=0o750, caps=None, acl=[_acl.Entry(_acl.USER_OBJ, 7), _acl.Entry(_acl.USER, 5, 1001),
                                      _acl.Entry(_acl.GROUP_OBJ, 5), _acl.Entry(_acl.MASK, 5),
                                      _acl.Entry(_acl.OTHER, 0)]),
     dict(FILE, capabilities=["cap_sys_ptrace"]), "executable by user:1001"),
])
def test_existing_file_refusals(state, params, message):
    with pytest.raises(_caps_write.CapsInputError, match=message):
        _caps_write.plan(params, host(state))


def test_a_group_name_with_a_nul_is_a_group_that_does_not_exist(tree):
    # Found by tests/real/test_fuzz_modules.py: grp.getgrnam raised ValueError (a traceback).
    tree.write("/usr/bin/strace", "#!/bin/sh\n", mode=0o755)
    tree.mkdir("/usr/local/bin")
    params = dict(COPY, group="de\x00bug", capabilities=["cap_sys_ptrace"], flags="ep", state="present")
    readings = _caps_write.read_host(params, str(tree))
    assert readings["gid"] is None
    assert "group 'de\\x00bug' does not exist" in _caps_write.plan(params, readings).blockers
