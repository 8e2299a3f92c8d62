# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""file_caps end to end on a temp directory: refusals, check mode, apply, idempotence, drift, and the
role's fast path (_policy.filecap) agreeing with the module's check mode on every state."""

from __future__ import annotations

import grp
import json
import os
import stat
import struct

import pytest

from compat import patch_module_args

from ansible_collections.debugready.ptrace.plugins.module_utils import _acl, _caps, _policy
from ansible_collections.debugready.ptrace.plugins.modules import file_caps

# Writing root-owned copies and security.capability needs root (CAP_CHOWN, CAP_SETFCAP).
AS_ROOT = pytest.mark.skipif(os.geteuid() != 0, reason="needs root (ownership and capability xattrs)")
PTRACE_EP_V2 = struct.pack("<5I", 0x02000001, 1 << 19, 0, 0, 0)
GROUP = grp.getgrgid(os.getgid()).gr_name


def run_module(capsys, args, check=False, diff=False):
    args = dict(args, _ansible_check_mode=check, _ansible_diff=diff)
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            file_caps.main()
    return json.loads(capsys.readouterr().out)


@pytest.fixture
def layout(tmp_path):
    """A trusted source and destination directory; the source is a small 'tool'."""
    for name in ("usr-bin", "bin"):
        (tmp_path / name).mkdir()
        os.chmod(str(tmp_path / name), 0o755)
    source = tmp_path / "usr-bin" / "tool"
    source.write_bytes(b"\x7fELF pretend tool\n" * 1000)
    os.chmod(str(source), 0o755)
    return {"source": str(source), "path": str(tmp_path / "bin" / "tool-debug"), "group": GROUP, "mode": "0750",
            "capabilities": ["cap_sys_ptrace"], "flags": "ep", "dir": str(tmp_path / "bin")}


def args_of(layout, **overrides):
    args = dict((k, v) for k, v in layout.items() if k != "dir")
    args.update(overrides)
    return args


@pytest.mark.parametrize("overrides, message", [
    ({"capabilities": ["cap_sys_trace"]}, "unknown capability 'cap_sys_trace'"),
    ({"flags": "x"}, "flags must be a combination of e, i and p"),
    ({"flags": "e"}, "flag e alone sets nothing"),
    ({"mode": "rwx"}, "mode must be octal"),
    ({"mode": "4750"}, "would be setuid or setgid"),
    ({"mode": "0770"}, "writable by group"),
    ({"mode": "0755"}, "executable by every user"),
    ({"mode": "0755", "capabilities": ["cap_setuid"]}, "would hold cap_setuid and be executable by every user"),
    ({"path": "bin/tool-debug"}, "must be absolute paths"),
    ({"source": "/nonexistent/tool"}, "source /nonexistent/tool does not exist"),
    ({"group": "no-such-group-xyz"}, "group 'no-such-group-xyz' does not exist"),
])
def test_refusals_change_nothing(capsys, layout, overrides, message):
    result = run_module(capsys, args_of(layout, **overrides))
    assert result["failed"] is True
    assert message in result["msg"], result["msg"]
    assert os.listdir(layout["dir"]) == []


# Found by tests/real/test_fuzz_modules.py: a NUL in a path was a traceback, a FIFO as the source hung the module,
# and a /proc file as the source was copied with its capabilities before the read-back failed.
@pytest.mark.parametrize("overrides, message", [
    ({"path": "/usr/local/bin/to\x00ol"}, "path and source must be absolute paths (without NUL bytes)"),
    ({"source": "/usr/bin/str\x00ace"}, "path and source must be absolute paths (without NUL bytes)"),
    ({"source": "/proc/self/status"}, "source /proc/self/status is not a plain file: it says it holds 0 bytes"),
    ({"source": "FIFO"}, "does not exist or is not a regular file"),
])
def test_hostile_paths_fail_cleanly_and_change_nothing(capsys, layout, deadline, overrides, message):
    if overrides.get("source") == "FIFO":
        overrides = {"source": os.path.join(os.path.dirname(layout["source"]), "fifo")}
        os.mkfifo(overrides["source"])
    with deadline(10):
        result = run_module(capsys, args_of(layout, **overrides))
    assert result["failed"] is True
    assert message in result["msg"], result["msg"]
    assert os.listdir(layout["dir"]) == []


def test_missing_file_without_source(capsys, tmp_path):
    result = run_module(capsys, {"path": str(tmp_path / "nope"), "capabilities": ["cap_net_raw"]})
    assert result["failed"] and "does not exist or is not a regular file" in result["msg"]


def test_check_mode_with_a_missing_group_warns_and_predicts(capsys, layout):
    result = run_module(capsys, args_of(layout, group="no-such-group-xyz"), check=True)
    assert result["changed"] is True and result["copied"] is True
    assert result["path"] == args_of(layout)["path"]  # the managed file, as in every converge module
    # (The warning itself goes to the controller's display once a controller module was imported in this
    # process, so its text is tested on the plan in test__caps_write.)
    assert os.listdir(layout["dir"]) == []


def test_untrusted_destination_directory_is_refused(capsys, layout):
    os.chmod(layout["dir"], 0o777)
    result = run_module(capsys, args_of(layout))
    assert result["failed"] and "refusing to write in" in result["msg"] and "writable by group and others" in \
        result["msg"], result["msg"]
    assert os.listdir(layout["dir"]) == []


def raw_caps(path):
    return os.getxattr(path, _caps.XATTR_NAME)


def policy_compliant(layout):
    spec = dict((k, layout[k]) for k in ("source", "path", "group", "mode", "capabilities", "flags"))
    return _policy.filecap(spec)["compliant"]


def agree(capsys, layout):
    """The module's check mode and the role's fast path give the same answer; returns the module result."""
    result = run_module(capsys, args_of(layout), check=True)
    assert "failed" not in result, result
    assert policy_compliant(layout) is (not result["changed"]), result["reasons"]
    return result


@AS_ROOT
def test_copy_lifecycle(capsys, layout):
    path = layout["path"]
    result = agree(capsys, layout)
    assert result["changed"] and result["copied"] and result["before"] is None
    assert not os.path.exists(path)

    result = run_module(capsys, args_of(layout), diff=True)
    assert result["changed"] and result["after"] == "cap_sys_ptrace=ep"
    assert result["diff"]["before"] == {"exists": False}
    assert result["diff"]["after"]["mode"] == "0750" and result["diff"]["after"]["caps"] == "cap_sys_ptrace=ep"
    st = os.lstat(path)
    assert (stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid) == (0o750, 0, os.getgid())
    assert raw_caps(path) == PTRACE_EP_V2
    assert os.listdir(layout["dir"]) == ["tool-debug"]
    assert agree(capsys, layout)["changed"] is False


@AS_ROOT
@pytest.mark.parametrize("overrides", [
    {}, {"mode": 0o750}, {"mode": "750"}, {"capabilities": ["SYS_PTRACE"], "flags": "+ep"},
    {"capabilities": ["sys_ptrace"], "flags": "=pe"},
], ids=["same", "yaml-int-mode", "octal-without-0", "upper-plus", "lower-equals"])
def test_idempotent_in_every_notation(capsys, layout, overrides):
    """An int mode is the numeric mode, as in ansible.builtin.file (YAML's unquoted 0750 arrives as 488)."""
    assert run_module(capsys, args_of(layout))["changed"] is True
    result = run_module(capsys, args_of(layout, **overrides))
    assert result.get("failed") is None and result["changed"] is False, result


def set_named_acl(path, uid, perm=5):
    entries = [_acl.Entry(_acl.USER_OBJ, 7), _acl.Entry(_acl.USER, perm, uid), _acl.Entry(_acl.GROUP_OBJ, 5),
               _acl.Entry(_acl.MASK, 5), _acl.Entry(_acl.OTHER, 0)]
    os.setxattr(path, _acl.XATTR_ACCESS, _acl.encode(entries))


def append(path):
    with open(path, "ab") as handle:
        handle.write(b"upgraded\n")


DRIFTS = {
    "mode": (lambda layout: os.chmod(layout["path"], 0o755), "mode 0755 differs from 0750"),
    "owner": (lambda layout: os.chown(layout["path"], 4242, -1), "owner 4242"),
    "content": (lambda layout: append(layout["source"]), "differs from"),
    "acl": (lambda layout: set_named_acl(layout["path"], 4242), "access ACL (user::rwx,user:4242:r-x"),
    "caps_removed": (lambda layout: os.removexattr(layout["path"], _caps.XATTR_NAME), "capabilities none"),
    "caps_rootid": (lambda layout: os.setxattr(layout["path"], _caps.XATTR_NAME,
                                               struct.pack("<6I", 0x03000001, 1 << 19, 0, 0, 0, 1000)),
                    "carry root id 1000"),
}


@AS_ROOT
@pytest.mark.parametrize("drift", sorted(DRIFTS))
def test_drift_is_seen_by_both_and_repaired(capsys, layout, drift):
    change, reason = DRIFTS[drift]
    assert run_module(capsys, args_of(layout))["changed"] is True
    change(layout)
    result = agree(capsys, layout)
    assert result["changed"] is True
    assert any(reason in r for r in result["reasons"]), result["reasons"]
    repaired = run_module(capsys, args_of(layout))
    assert repaired["changed"] is True and "failed" not in repaired, repaired
    assert agree(capsys, layout)["changed"] is False
    assert raw_caps(layout["path"]) == PTRACE_EP_V2
    assert _acl.read_access(layout["path"]) is None


@AS_ROOT
def test_caps_of_an_existing_file(capsys, tmp_path):
    path = tmp_path / "ping"
    path.write_bytes(b"pretend ping\n")
    os.chmod(str(path), 0o755)
    args = {"path": str(path), "capabilities": ["cap_net_raw"], "flags": "ep"}
    assert run_module(capsys, args, check=True)["changed"] is True
    assert _caps.read_file_caps(str(path)) is None
    result = run_module(capsys, args)
    assert result["changed"] is True and result["before"] == "" and result["after"] == "cap_net_raw=ep"
    assert run_module(capsys, args)["changed"] is False
    # v3 with root id 0 reads back as v2: in place.
    os.setxattr(str(path), _caps.XATTR_NAME, struct.pack("<6I", 0x03000001, 1 << 13, 0, 0, 0, 0))
    assert run_module(capsys, args)["changed"] is False
    # Root-equivalent on a world-executable file: refused, and nothing written.
    refused = run_module(capsys, dict(args, capabilities=["cap_sys_ptrace"]))
    assert refused["failed"] and "executable by every user" in refused["msg"]
    assert _caps.read_file_caps(str(path)).permitted == 1 << 13
    removed = run_module(capsys, {"path": str(path), "state": "absent"})
    assert removed["changed"] is True and _caps.read_file_caps(str(path)) is None
    link = tmp_path / "ping-link"
    os.symlink(str(path), str(link))
    result = run_module(capsys, dict(args, path=str(link)))
    assert result["failed"] and "is a symlink; give the file it points to" in result["msg"]
