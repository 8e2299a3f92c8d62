# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""The sysctl writer on fixture trees: input checks, whose file is whose, the winning name, the plan, apply."""

from __future__ import annotations

import os
import threading

import pytest

from ansible_collections.debugready.ptrace.plugins.module_utils import _fileio, _policy, _sysctl, _sysctl_write

KEY = "kernel.yama.ptrace_scope"
DEFAULT = "/etc/sysctl.d/99-debugready-ptrace-scope.conf"
LATE = "/etc/sysctl.d/zz-debugready-ptrace-scope.conf"
RUNTIME = "/proc/sys/kernel/yama/ptrace_scope"
AS_ROOT = pytest.mark.skipif(os.geteuid() != 0, reason="the writer sets root:root on the files it writes")


def facts(scope=0, present=True, locked=False, writable=True, container=False):
    return {"yama": {"present": present, "scope": scope, "locked": locked, "writable": writable,
                     "not_writable_reason": None if writable else ("locked" if locked else "read_only")},
            "container": {"detected": container, "engine": "podman" if container else None}}


def plan(tree, params, host=None):
    return _sysctl_write.plan(params, host or facts(), str(tree))


def read(tree, path):
    with open(tree / path, "rb") as handle:
        return handle.read()


# --- input -----------------------------------------------------------------------------------

@pytest.mark.parametrize("given, normal", [
    ("/etc/sysctl.d/x.conf", "/etc/sysctl.d/x.conf"),
    ("/etc/sysctl.d//x.conf", "/etc/sysctl.d/x.conf"),
    ("//etc//sysctl.d/./x.conf", "/etc/sysctl.d/x.conf"),
])
def test_file_is_normalised(given, normal):
    assert _sysctl_write.check_file(given) == normal


@pytest.mark.parametrize("path", ["/tmp/x.conf", "/etc/sysctl.d/x", "/etc/sysctl.d/sub/x.conf", "etc/sysctl.d/x.conf",
                                  "/etc/sysctl.d/.x.conf", "/etc/sysctl.d/x y.conf", "/etc/sysctl.d/../sysctl.d/x.conf",
                                  "/etc/sysctl.d/x\x00.conf", "/etc/sysctl.d/x\n.conf", "/etc/sysctl.d/",
                                  "/etc/sysctl.d/%s.conf" % ("a" * 251), None, 5])
def test_bad_files(path):
    with pytest.raises(_sysctl_write.SysctlInputError, match="directly in /etc/sysctl.d"):
        _sysctl_write.check_file(path)


@pytest.mark.parametrize("given, scope", [(None, None), (0, 0), (3, 3), ("2", 2), (" 1\n", 1)])
def test_scopes(given, scope):
    assert _sysctl_write.check_value("value", given) == scope


@pytest.mark.parametrize("given", [True, False, 4, -1, 10 ** 30, "1" * 5000, "2.0", 1.0, "", "one", [1], {"v": 1}])
def test_bad_scopes(given):
    with pytest.raises(_sysctl_write.SysctlInputError, match="value of minimum must be one of: 0, 1, 2, 3"):
        _sysctl_write.check_value("minimum", given)


def test_boolean_scope_is_refused_by_the_plan_and_by_the_policy(tree):
    for name in ("value", "minimum", "maximum"):
        with pytest.raises(_sysctl_write.SysctlInputError, match="a boolean"):
            plan(tree, {name: True})
        # In a policy, as in the module's own arguments, bad input is an error, not "not compliant".
        with pytest.raises(_policy.PolicyInputError, match="a boolean"):
            _policy.yama({name: True}, facts(), str(tree))


# --- whose file is whose ---------------------------------------------------------------------

def test_only_regular_files_with_the_exact_first_line_are_ours(tree):
    tree.write(DEFAULT, _sysctl_write.render(_sysctl_write.YAMA, 1))
    tree.write("/etc/sysctl.d/10-notes.conf", "# notes\n%s\nkernel.yama.ptrace_scope = 2\n" % _sysctl_write.MARKER)
    tree.write("/etc/sysctl.d/20-copy.conf", "%s (copy)\nkernel.yama.ptrace_scope = 2\n" % _sysctl_write.MARKER)
    tree.write("/etc/sysctl.d/30-link.conf", link=str(tree / DEFAULT))
    tree.mkdir("/etc/sysctl.d/40-dir.conf")
    with open(tree / "/etc/sysctl.d/50-latin1.conf", "wb") as handle:
        handle.write(_sysctl_write.MARKER.encode() + b"\n# caf\xe9\nkernel.yama.ptrace_scope = 1\n")
    assert list(_sysctl_write.managed_files(str(tree))) == ["/etc/sysctl.d/50-latin1.conf", DEFAULT]


def test_inspect_never_follows_a_symlink(tree):
    secret = tree.write("/root/secret", _sysctl_write.MARKER + "\nsecret\n")
    tree.write(DEFAULT, link=secret)
    existing = _sysctl_write.inspect(DEFAULT, str(tree))
    assert existing.kind == "symlink" and existing.data is None and not existing.ours


def test_other_settings_name_the_keys_added_by_hand(tree):
    tree.write(DEFAULT, _sysctl_write.render(_sysctl_write.YAMA, 1) + "; comment\nvm.swappiness = 10\nkernel.yama.* = 0\nnot a line\n")
    existing = _sysctl_write.managed_files(str(tree))[DEFAULT]
    assert existing.other_settings() == ["vm.swappiness (line 5)", "kernel.yama.* (line 6)"]


# --- the name that wins ----------------------------------------------------------------------

def test_choose_file_sorts_after_every_setter(tree):
    root = str(tree)
    assert _sysctl_write.choose_file(_sysctl_write.YAMA, root) == (DEFAULT, [])
    tree.write("/usr/lib/sysctl.d/99-zz-vendor.conf", "kernel.yama.ptrace_scope = 0\n")
    assert _sysctl_write.choose_file(_sysctl_write.YAMA, root) == (LATE, [])
    tree.write("/etc/sysctl.d/zzz-late.conf", "kernel.yama.ptrace_scope = 0\n")
    chosen = _sysctl_write.choose_file(_sysctl_write.YAMA, root)[0]
    assert chosen == "/etc/sysctl.d/zzz-late_debugready-ptrace-scope.conf"
    pending = {chosen: _sysctl_write.render(_sysctl_write.YAMA, 2)}
    for applier in _sysctl.APPLIERS:
        assert _sysctl_write.boot_state(KEY, root, pending)[applier] == {"value": "2", "source": chosen}
    # Files not setting the key do not matter; /etc/sysctl.conf is reported, not outsorted.
    tree.write("/etc/sysctl.d/zzzz-other.conf", "vm.swappiness = 1\n")
    tree.write("/etc/sysctl.conf", "kernel.yama.ptrace_scope = 0\n")
    assert _sysctl_write.choose_file(_sysctl_write.YAMA, root)[0] == chosen
    state = _sysctl_write.boot_state(KEY, root, pending)
    assert state["sysctl_system"] == {"value": "0", "source": "/etc/sysctl.conf"}


def test_our_own_file_does_not_push_the_name_further(tree):
    tree.write(DEFAULT, _sysctl_write.render(_sysctl_write.YAMA, 1))
    tree.write("/etc/sysctl.d/10-other.conf", "# Managed by someone else\nkernel.yama.ptrace_scope = 2\n")
    assert _sysctl_write.choose_file(_sysctl_write.YAMA, str(tree)) == (DEFAULT, [])
    assert _sysctl_write.boot_state(KEY, str(tree), {DEFAULT: None})["systemd_sysctl"]["source"] == \
        "/etc/sysctl.d/10-other.conf"


@pytest.mark.parametrize("taken", ["file", "symlink", "dangling symlink", "directory"])
def test_a_taken_default_name_is_skipped_with_a_warning(tree, taken):
    if taken == "file":
        tree.write(DEFAULT, "vm.swappiness = 10\n")
    elif taken == "directory":
        tree.mkdir(DEFAULT)
    else:
        tree.write(DEFAULT, link=str(tree / "/etc/hosts") if taken == "symlink" else "/nowhere")
        tree.write("/etc/hosts", "127.0.0.1 localhost\n")
    result = plan(tree, {"value": 1})
    assert result.path == LATE and list(result.pending) == [LATE]
    assert "%s exists and was not written by this module" % DEFAULT in result.warnings[0]


def test_a_name_that_would_mask_a_vendor_file_with_other_keys_is_skipped(tree):
    tree.write("/usr/lib/sysctl.d/99-debugready-ptrace-scope.conf", "vm.swappiness = 10\n")
    result = plan(tree, {"value": 1})
    assert result.path == LATE and "would mask" in result.warnings[0] and "vm.swappiness" in result.warnings[0]
    with pytest.raises(_sysctl_write.SysctlInputError, match="would mask"):
        plan(tree, {"value": 1, "file": DEFAULT})
    # Masking a file that only sets this key is what masking is for.
    tree.write("/usr/lib/sysctl.d/10-default-yama-scope.conf", "kernel.yama.ptrace_scope = 0\n")
    assert plan(tree, {"value": 1, "file": "/etc/sysctl.d/10-default-yama-scope.conf"}).pending


def test_no_free_name_is_a_clear_error(tree):
    tree.write(DEFAULT, "vm.swappiness = 10\n")
    tree.write(LATE, "vm.overcommit_memory = 1\n")
    with pytest.raises(_sysctl_write.SysctlInputError, match="no file name of this module sorts after the other files"):
        plan(tree, {"value": 1})


# --- the plan --------------------------------------------------------------------------------

def test_plan_is_stable_for_a_double_slash_file(tree):
    path = "/etc/sysctl.d/50-mine.conf"
    tree.write(path, _sysctl_write.render(_sysctl_write.YAMA, 1))
    result = plan(tree, {"value": 1, "file": "/etc/sysctl.d//50-mine.conf"}, facts(scope=1))
    assert result.path == path and not result.changed and result.pending == {}


def test_plan_refuses_to_drop_keys_added_by_hand(tree):
    tree.write(DEFAULT, _sysctl_write.render(_sysctl_write.YAMA, 1) + "vm.swappiness = 10\n")
    for params in ({"value": 2}, {"state": "absent"}):
        with pytest.raises(_sysctl_write.SysctlInputError, match="also sets vm.swappiness"):
            plan(tree, params)
    # Leaving the file exactly as it is keeps them: nothing to refuse.
    tree.write(DEFAULT, _sysctl_write.render(_sysctl_write.YAMA, 1))
    tree.write(LATE, _sysctl_write.render(_sysctl_write.YAMA, 1) + "vm.swappiness = 10\n")
    with pytest.raises(_sysctl_write.SysctlInputError, match="removing it would drop it"):
        plan(tree, {"value": 1}, facts(scope=1))


def test_plan_diff_and_summary(tree):
    tree.write("/etc/sysctl.d/50-old.conf", _sysctl_write.render(_sysctl_write.YAMA, 2))
    result = plan(tree, {"value": 1})
    assert result.changed and result.runtime_change and result.target == 1
    assert result.pending == {DEFAULT: _sysctl_write.render(_sysctl_write.YAMA, 1), "/etc/sysctl.d/50-old.conf": None}
    assert result.diff() == {"before": "", "after": _sysctl_write.render(_sysctl_write.YAMA, 1), "before_header": DEFAULT,
                             "after_header": DEFAULT}
    assert result.summary() == ("runtime 0, target 1; persisted value needs %s; managed files to remove: "
                                "/etc/sysctl.d/50-old.conf" % DEFAULT)
    assert result.before["boot"]["systemd_sysctl"] == {"value": "2", "source": "/etc/sysctl.d/50-old.conf"}
    assert result.after == {"runtime": 1, "boot": dict((a, {"value": "1", "source": DEFAULT})
                                                       for a in _sysctl.APPLIERS)}
    removal = plan(tree, {"state": "absent"})
    assert removal.diff()["before"] == _sysctl_write.render(_sysctl_write.YAMA, 2) and removal.path is None


def test_a_fifo_in_sysctl_d_does_not_hang_the_plan(tree):
    tree.mkdir("/etc/sysctl.d")
    os.mkfifo(tree / "/etc/sysctl.d/50-fifo.conf")
    os.mkfifo(tree / "/etc/sysctl.conf")
    done = []
    worker = threading.Thread(target=lambda: done.append(plan(tree, {"value": 1})), daemon=True)
    worker.start()
    worker.join(10)
    assert done and done[0].path == DEFAULT


# --- apply: all or nothing -------------------------------------------------------------------

@AS_ROOT
def test_apply_writes_then_removes(tree):
    tree.write(RUNTIME, "0\n")
    tree.write("/etc/sysctl.d/50-old.conf", _sysctl_write.render(_sysctl_write.YAMA, 2))
    result = plan(tree, {"value": 1})
    _sysctl_write.apply(result, str(tree))
    assert read(tree, RUNTIME) == b"1\n" and read(tree, DEFAULT) == _sysctl_write.render(_sysctl_write.YAMA, 1).encode()
    assert oct(os.stat(tree / DEFAULT).st_mode & 0o777) == "0o644"
    assert not os.path.lexists(tree / "/etc/sysctl.d/50-old.conf")
    assert not plan(tree, {"value": 1}, facts(scope=1)).changed


@AS_ROOT
def test_a_file_that_cannot_be_written_puts_the_runtime_value_back(tree):
    tree.write(RUNTIME, "0\n")
    result = plan(tree, {"value": 1})
    tree.write(DEFAULT + "/blocker", "")  # a directory appeared where the file goes: the rename fails
    with pytest.raises(_fileio.FileWriteError):
        _sysctl_write.apply(result, str(tree))
    assert read(tree, RUNTIME) == b"0\n" and read(tree, DEFAULT + "/blocker") == b""


@AS_ROOT
def test_a_failed_removal_puts_the_new_file_back_and_the_runtime_value(tree):
    tree.write(RUNTIME, "0\n")
    old = "/etc/sysctl.d/50-old.conf"
    tree.write(old, _sysctl_write.render(_sysctl_write.YAMA, 2))
    tree.write(DEFAULT, _sysctl_write.render(_sysctl_write.YAMA, 2))
    result = plan(tree, {"value": 1})
    assert sorted(result.pending) == [old, DEFAULT]
    os.remove(tree / old)
    tree.write(old + "/blocker", "")  # unlink() of a directory fails
    with pytest.raises(_fileio.FileWriteError, match="cannot remove"):
        _sysctl_write.apply(result, str(tree))
    assert read(tree, RUNTIME) == b"0\n" and read(tree, DEFAULT) == _sysctl_write.render(_sysctl_write.YAMA, 2).encode()


@AS_ROOT
def test_writing_3_persists_first_and_undoes_the_files_when_the_kernel_refuses(tree):
    tree.write(RUNTIME, "1\n")
    old = "/etc/sysctl.d/50-old.conf"
    tree.write(old, _sysctl_write.render(_sysctl_write.YAMA, 1))
    result = plan(tree, {"value": 3, "confirm_scope_3": True}, facts(scope=1))
    os.remove(tree / RUNTIME)
    tree.write(RUNTIME, link="/nonexistent-dir/ptrace_scope")  # the write fails with ENOENT
    with pytest.raises(_sysctl_write.SysctlWriteError) as failure:
        _sysctl_write.apply(result, str(tree))
    assert failure.value.errno_name == "ENOENT"
    assert read(tree, old) == _sysctl_write.render(_sysctl_write.YAMA, 1).encode() and not os.path.lexists(tree / DEFAULT)


def test_render_is_parsed_back():
    assignments = _sysctl.parse_text(_sysctl_write.render(_sysctl_write.YAMA, 1))[0]
    assert [(a.key, a.value) for a in assignments] == [("kernel/yama/ptrace_scope", "1")]
