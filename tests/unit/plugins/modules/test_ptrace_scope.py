# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""ptrace_scope run in-process on a fixture host: its ROOT points at the tree, everything else is real.

Each test gives arguments to main() and looks at the result and at the files and the runtime value left in the
tree. Writing sets root:root on the files, hence root only.
"""

from __future__ import annotations

import json
import os

import pytest

from compat import as_target, patch_module_args

from ansible_collections.debugready.ptrace.plugins.module_utils import _hoststate, _policy, _sysctl_write
from ansible_collections.debugready.ptrace.plugins.modules import ptrace_scope

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the writer sets root:root on the files it writes")

KEY = "kernel.yama.ptrace_scope"
DEFAULT = "/etc/sysctl.d/99-debugready-ptrace-scope.conf"
LATE = "/etc/sysctl.d/zz-debugready-ptrace-scope.conf"
RUNTIME = "/proc/sys/kernel/yama/ptrace_scope"
FULL = "000001ffffffffff"
SECRET = "TOP-SECRET-CONTENT"


def make_host(tree, scope=0):
    """A Yama host where this (root) process may write the scope."""
    tree.write("/proc/self/status", "Name:\tpython3\nPid:\t4242\nPPid:\t1\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\n"
               "CapInh:\t0000000000000000\nCapPrm:\t%s\nCapEff:\t%s\nCapBnd:\t%s\nCapAmb:\t0000000000000000\n"
               "NoNewPrivs:\t0\nSeccomp:\t0\n" % (FULL, FULL, FULL))
    tree.write("/proc/self/stat", "4242 (python3) R 1 4242 4242 0 -1 4194560 0 0 0 0\n")
    tree.write("/proc/self/uid_map", "         0          0 4294967295\n")
    tree.write(RUNTIME, "%d\n" % scope)
    tree.write("/usr/lib/sysctl.d/10-default-yama-scope.conf", "kernel.yama.ptrace_scope = 0\n")
    tree.mkdir("/etc/sysctl.d")


@pytest.fixture
def host(tree, monkeypatch):
    make_host(tree)
    monkeypatch.setattr(ptrace_scope, "ROOT", str(tree))
    return tree


def run(capsys, args, check=False, diff=False):
    args = dict(args, _ansible_check_mode=check, _ansible_diff=diff)
    # As on a target: warnings go into the result (other tests may have imported controller code, which sends
    # them to the display), and each run starts without the earlier runs' ones (they are kept per process).
    with patch_module_args(args), as_target():
        with pytest.raises(SystemExit):
            ptrace_scope.main()
    out = capsys.readouterr().out
    result = json.loads(out)
    result["raw_output"] = out
    return result


def warnings(result):
    """The warning texts (ansible-core 2.19 returns them as structured summaries)."""
    return [w["event"]["msg"] if isinstance(w, dict) else w for w in result.get("warnings", [])]


def snapshot(tree):
    """Every path under the tree with its type and content (symlinks by their target)."""
    state = {}
    for base, dirs, files in os.walk(str(tree)):
        for name in dirs + files:
            full = os.path.join(base, name)
            if os.path.islink(full):
                state[full] = ("link", os.readlink(full))
            elif os.path.isdir(full):
                state[full] = ("dir",)
            elif not os.path.isfile(full):
                state[full] = ("special",)  # never opened: a FIFO would block
            else:
                with open(full, "rb") as handle:
                    state[full] = ("file", handle.read())
    return state


def read(tree, path):
    with open(tree / path, "rb") as handle:
        return handle.read()


def runtime(tree):
    return read(tree, RUNTIME).decode().strip()


def test_check_apply_again(host, capsys):
    before = snapshot(host)
    check = run(capsys, {"value": 1}, check=True, diff=True)
    assert check["changed"] is True and check["after"]["runtime"] == 1 and check["path"] == DEFAULT
    assert check["diff"]["before"] == "" and "kernel.yama.ptrace_scope = 1" in check["diff"]["after"]
    assert snapshot(host) == before
    applied = run(capsys, {"value": 1})
    assert applied["changed"] is True and runtime(host) == "1"
    assert read(host, DEFAULT) == _sysctl_write.render(_sysctl_write.YAMA, 1).encode()
    assert applied["after"]["boot"]["systemd_sysctl"] == {"value": "1", "source": DEFAULT}
    again = run(capsys, {"value": 1})
    assert again["changed"] is False and again["reasons"] == []
    # `path` is the managed file in every converge module; `file`, its old name, stays for one release.
    assert check["path"] == DEFAULT and "file" not in check
    assert check["reasons"] == ["runtime %s, target 1" % check["before"]["runtime"],
                                "persisted value needs %s" % DEFAULT]


def test_file_with_double_slash_is_the_same_file_on_every_run(host, capsys):
    path = "/etc/sysctl.d/50-mine.conf"
    results = [run(capsys, {"value": 1, "file": "/etc/sysctl.d//50-mine.conf"}) for dummy in range(3)]
    assert [r["changed"] for r in results] == [True, False, False]
    assert all(r["path"] == path for r in results)
    assert read(host, path) == _sysctl_write.render(_sysctl_write.YAMA, 1).encode()


def test_default_name_held_by_another_file_is_skipped(host, capsys):
    host.write(DEFAULT, "vm.swappiness = 10\n")
    result = run(capsys, {"value": 2})
    assert result["changed"] is True and result["path"] == LATE
    assert read(host, DEFAULT) == b"vm.swappiness = 10\n"
    assert any("%s exists and was not written by this module" % DEFAULT in w for w in warnings(result))
    assert result["after"]["boot"]["systemd_sysctl"] == {"value": "2", "source": LATE}
    assert run(capsys, {"value": 2})["changed"] is False


def test_no_free_name_fails_and_changes_nothing(host, capsys):
    host.write(DEFAULT, "vm.swappiness = 10\n")
    host.mkdir(LATE)
    derived = "/etc/sysctl.d/10-default-yama-scope_debugready-ptrace-scope.conf"  # after the vendor file
    assert run(capsys, {"value": 2}, check=True)["path"] == derived
    os.symlink(str(host / "/nowhere"), host / derived)
    before = snapshot(host)
    result = run(capsys, {"value": 2})
    assert result["failed"] is True and "Give `file`" in result["msg"]
    assert all(path in result["msg"] for path in (DEFAULT, LATE, derived))
    assert snapshot(host) == before


@pytest.mark.parametrize("first_lines", [
    "# admin notes\n" + _sysctl_write.MARKER + "\n",      # the header, but not on the first line
    _sysctl_write.MARKER + " (copied by hand)\n",          # not exactly the header
])
def test_a_file_is_ours_only_by_the_exact_first_line(host, capsys, first_lines):
    path = "/etc/sysctl.d/50-admin.conf"
    host.write(path, first_lines + "kernel.yama.ptrace_scope = 0\n")
    before = snapshot(host)
    result = run(capsys, {"value": 1, "file": path})
    assert result["failed"] is True and "%s exists and was not written by this module" % path in result["msg"]
    assert snapshot(host) == before
    assert run(capsys, {"state": "absent"})["changed"] is False
    assert snapshot(host) == before


@pytest.mark.parametrize("args", [{"value": 2}, {"state": "absent"}, {"value": 2, "file": LATE}])
def test_our_file_with_keys_added_by_hand_is_neither_rewritten_nor_removed(host, capsys, args):
    host.write(DEFAULT, _sysctl_write.render(_sysctl_write.YAMA, 1) + "vm.swappiness = 10\n")
    before = snapshot(host)
    result = run(capsys, args)
    assert result["failed"] is True
    assert "also sets vm.swappiness (line 4)" in result["msg"] and DEFAULT in result["msg"]
    assert snapshot(host) == before


def test_a_symlink_at_our_name_is_not_ours_and_never_read(host, capsys):
    secret = host.write("/root/secret.conf", _sysctl_write.MARKER + "\n" + SECRET + "\n")
    os.symlink(secret, host / DEFAULT)
    before = snapshot(host)
    check = run(capsys, {"value": 1, "apply": "persistent"}, check=True, diff=True)
    assert SECRET not in check["raw_output"]
    assert check["path"] == LATE and check["diff"]["before"] == ""
    assert snapshot(host) == before
    refused = run(capsys, {"value": 1, "file": DEFAULT}, check=True, diff=True)
    assert refused["failed"] is True and "(a symlink)" in refused["msg"] and SECRET not in refused["raw_output"]
    assert run(capsys, {"state": "absent"}, diff=True)["changed"] is False
    assert snapshot(host) == before


@pytest.mark.parametrize("kind", ["dangling symlink", "directory", "fifo"])
def test_a_given_file_that_is_not_a_regular_file_fails_cleanly(host, capsys, kind):
    path = "/etc/sysctl.d/50-x.conf"
    if kind == "dangling symlink":
        os.symlink(str(host / "/nowhere/x.conf"), host / path)
    elif kind == "directory":
        host.mkdir(path)
        host.write(path + "/inside", "keep\n")
    else:
        os.mkfifo(host / path)
    before = snapshot(host)
    result = run(capsys, {"value": 1, "file": path}, diff=True)
    assert result["failed"] is True and "%s exists and was not written by this module" % path in result["msg"]
    assert "exception" not in result
    assert snapshot(host) == before and runtime(host) == "0"


@pytest.mark.parametrize("args, message", [
    ({"value": True}, "value of value must be one of: 0, 1, 2, 3, got: True (a boolean"),
    ({"value": False}, "value of value must be one of: 0, 1, 2, 3, got: False (a boolean"),
    ({"minimum": True}, "value of minimum must be one of: 0, 1, 2, 3, got: True (a boolean"),
    ({"maximum": False, "value": 0}, "value of maximum must be one of: 0, 1, 2, 3, got: False (a boolean"),
    ({"value": 7}, "value of value must be one of: 0, 1, 2, 3, got: 7"),
    ({"value": 10 ** 40}, "got: 10000000000000000000000000000000000000000"),
    ({"value": "1" * 5000}, "(5002 characters)"),
    ({"maximum": -1}, "value of maximum must be one of: 0, 1, 2, 3, got: -1"),
    ({"value": "2.0"}, "got: '2.0'"),
    ({"value": 1.0}, "got: 1.0"),
    ({"value": [1]}, "got: [1]"),
    ({"value": ""}, "got: ''"),
    ({"value": "1\n2"}, "got: '1\\n2'"),
    ({"minimum": 2, "maximum": 1}, "minimum (2) is above maximum (1)"),
    ({"value": 0, "minimum": 1}, "value 0 is outside minimum..maximum (1..3)"),
    ({"apply": "persistent"}, "one of the following is required: value, minimum, maximum"),
    ({"value": 3}, "confirm_scope_3"),
    ({"value": 1, "file": "/etc/sysctl.d/../x.conf"}, "directly in /etc/sysctl.d"),
    ({"value": 1, "file": "/etc/sysctl.d/../sysctl.d/x.conf"}, "no '..'"),
    ({"value": 1, "file": "/etc/sysctl.d/x\x00.conf"}, "got '/etc/sysctl.d/x\\x00.conf'"),
    ({"value": 1, "file": "/etc/sysctl.d/x.conf\nkernel.yama.ptrace_scope = 0"}, "directly in /etc/sysctl.d"),
    ({"value": 1, "file": "/etc/sysctl.d\n/x.conf"}, "directly in /etc/sysctl.d"),
    ({"value": 1, "file": "etc/sysctl.d/x.conf"}, "an absolute path"),
    ({"value": 1, "file": "x.conf"}, "an absolute path"),
    ({"value": 1, "file": "/etc/sysctl.d/" + "a" * 10000 + ".conf"}, "characters)"),
    ({"value": 1, "file": "/etc/sysctl.d/x.txt"}, "*.conf file"),
    ({"value": 1, "file": "/etc/sysctl.d"}, "*.conf file"),
    ({"value": 1, "file": "/etc/sysctl.d/"}, "*.conf file"),
])
def test_hostile_input_fails_clearly_and_changes_nothing(host, capsys, args, message):
    before = snapshot(host)
    result = run(capsys, args)
    assert result["failed"] is True and message in result["msg"], result["msg"]
    assert "exception" not in result
    assert len(result["msg"]) < 600
    assert snapshot(host) == before


def test_scopes_given_as_digit_strings_are_taken(host, capsys):
    result = run(capsys, {"value": " 2 ", "minimum": "1", "maximum": 3})
    assert result["changed"] is True and result["target"] == 2 and runtime(host) == "2"


def test_non_utf8_files_are_read_without_a_traceback(host, capsys):
    with open(host / "/etc/sysctl.d/50-latin1.conf", "wb") as handle:
        handle.write(b"# caf\xe9\nkernel.yama.ptrace_scope = 0\n")
    with open(host / DEFAULT, "wb") as handle:
        handle.write(_sysctl_write.MARKER.encode() + b"\n# \xff\xfe edited\nkernel.yama.ptrace_scope = 1\n")
    result = run(capsys, {"value": 2}, diff=True)
    assert result["changed"] is True and result["path"] == DEFAULT
    assert "\ufffd" in result["diff"]["before"]
    assert read(host, DEFAULT) == _sysctl_write.render(_sysctl_write.YAMA, 2).encode()
    with open(host / "/etc/sysctl.d/60-foreign.conf", "wb") as handle:
        handle.write(b"\xff\xfe\nkernel.yama.ptrace_scope = 0\n")
    refused = run(capsys, {"value": 2, "file": "/etc/sysctl.d/60-foreign.conf"})
    assert refused["failed"] is True and "was not written by this module" in refused["msg"]


def test_a_moved_setting_removes_only_our_older_file(host, capsys):
    assert run(capsys, {"value": 1})["path"] == DEFAULT
    host.write("/etc/sysctl.d/zzz-late.conf", "kernel.yama.ptrace_scope = 0\n")
    moved = run(capsys, {"value": 1}, diff=True)
    assert moved["changed"] is True and moved["path"] == "/etc/sysctl.d/zzz-late_debugready-ptrace-scope.conf"
    assert not os.path.lexists(host / DEFAULT)
    assert read(host, "/etc/sysctl.d/zzz-late.conf") == b"kernel.yama.ptrace_scope = 0\n"
    removed = run(capsys, {"state": "absent", "value": 0}, diff=True)
    assert removed["changed"] is True and runtime(host) == "0"
    assert removed["diff"]["before_header"] == moved["path"] and removed["diff"]["after"] == ""
    assert os.listdir(host / "/etc/sysctl.d") == ["zzz-late.conf"]


def test_locked_at_3_persists_and_asks_for_a_reboot(host, capsys):
    host.write(RUNTIME, "3\n")
    lower = run(capsys, {"value": 1})
    assert lower["changed"] is True and lower["reboot_required"] is True and runtime(host) == "3"
    assert lower["after"]["boot"]["systemd_sysctl"] == {"value": "1", "source": DEFAULT}
    again = run(capsys, {"value": 1})
    assert again["changed"] is False and again["reboot_required"] is True
    strict = run(capsys, {"value": 0, "strict_runtime": True})
    assert strict["failed"] is True and "strict_runtime" in strict["msg"]
    only_runtime = run(capsys, {"value": 0, "apply": "runtime"})
    assert only_runtime["changed"] is False and "cannot be changed to 0 now" in " ".join(warnings(only_runtime))


def test_container_skips_or_fails(host, capsys):
    host.write("/run/.containerenv", "engine=\"podman-4.3.1\"\n")
    before = snapshot(host)
    skipped = run(capsys, {"value": 1})
    assert skipped["skipped"] is True and "--cap-add SYS_PTRACE" in skipped["skip_reason"]
    failed = run(capsys, {"value": 1, "on_unsupported": "fail"})
    assert failed["failed"] is True and "podman container" in failed["msg"]
    assert snapshot(host) == before
    persisted = run(capsys, {"value": 1, "apply": "persistent"})
    assert persisted["changed"] is True and runtime(host) == "0" and os.path.isfile(host / DEFAULT)


@pytest.mark.parametrize("setup", ["nothing", "ours", "ours at 2", "foreign default", "late vendor", "locked",
                                   "hand keys", "symlink", "container"])
@pytest.mark.parametrize("spec", [{"value": 1}, {"minimum": 2}, {"value": 3, "confirm_scope_3": True},
                                  {"state": "absent"}])
def test_check_mode_and_the_policy_agree(host, capsys, setup, spec):
    """The role's fast path (_policy.yama) says compliant exactly when the module's check mode would not change."""
    if setup.startswith("ours"):
        host.write(DEFAULT, _sysctl_write.render(_sysctl_write.YAMA, 2 if setup == "ours at 2" else 1))
        host.write(RUNTIME, "2\n" if setup == "ours at 2" else "1\n")
    elif setup == "foreign default":
        host.write(DEFAULT, "vm.swappiness = 10\n")
    elif setup == "late vendor":
        host.write("/usr/lib/sysctl.d/zz-vendor.conf", "kernel.yama.ptrace_scope = 2\n")
    elif setup == "locked":
        host.write(RUNTIME, "3\n")
        host.write(DEFAULT, _sysctl_write.render(_sysctl_write.YAMA, 1))
    elif setup == "hand keys":
        host.write(DEFAULT, _sysctl_write.render(_sysctl_write.YAMA, 1) + "vm.swappiness = 10\n")
    elif setup == "symlink":
        os.symlink(str(host / "/nowhere"), host / DEFAULT)
    elif setup == "container":
        host.write("/run/.containerenv", "engine=\"podman-4.3.1\"\n")
    facts = _hoststate.gather(root=str(host), sections=("yama", "container"))
    policy = _policy.yama(spec, facts, str(host))
    check = run(capsys, spec, check=True)
    would_change = check.get("failed", False) or check["changed"]
    assert policy["compliant"] is not would_change, (policy, check)
