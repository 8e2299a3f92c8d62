# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""The writers' pure parts: input checks, rendering, file choice, capability arithmetic, atomic writes."""

from __future__ import annotations

import datetime
import os
import stat

import pytest

from ansible_collections.debugready.ptrace.plugins.module_utils import (
    _caps, _caps_write, _fileio, _sudoers, _sudoers_write, _sysctl, _sysctl_write,
)

NOW = datetime.datetime(2026, 11, 28, 12, 0, tzinfo=datetime.timezone.utc)
PTRACE = 1 << 19


# --- sudoers ---------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["debug.conf", "debug~", "../etc/passwd", "a/b", "", "x" * 65, "deb ug", ".hidden"])
def test_bad_names(name):
    with pytest.raises(_sudoers_write.SudoersInputError):
        _sudoers_write.check_name(name)


def test_good_name():
    assert _sudoers_write.check_name("debug-strace_1") == "/etc/sudoers.d/debug-strace_1"


@pytest.mark.parametrize("principal", ["ALL", "%ALL", "alice,bob", "alice bob", "!alice", "%debug\n", "ALICE_ALIAS",
                                       "%", "alice:x", "#0", "+netgroup", "al\\ice", None])
def test_bad_principals(principal):
    with pytest.raises(_sudoers_write.SudoersInputError):
        _sudoers_write.check_principal(principal)


@pytest.mark.parametrize("principal", ["alice", "%debug", "svc-web_1", "machine$"])
def test_good_principals(principal):
    assert _sudoers_write.check_principal(principal) == principal


@pytest.mark.parametrize("command, message", [
    ("strace", "normalized absolute path"),
    ("/usr/bin/../bin/strace", "normalized absolute path"),
    ("/usr/bin/strace -p 1,ALL", "argument '1,ALL'"),
    ("/usr/bin/strace ALL", "argument 'ALL'"),
    ("/usr/bin/strace -o /tmp/x:y", "argument '/tmp/x:y'"),
    ("/usr/bin/strace !x", "argument '!x'"),
    ("/usr/bin/strace \"x\"", "argument"),
    ("/usr/bin/strace\n%evil ALL=(ALL) ALL", "newlines"),
    ("/usr/bin/strace \\,", "backslashes"),
    ("", "empty command"),
    ("/nonexistent/tool", "not an executable file"),
])
def test_bad_commands(command, message):
    with pytest.raises(_sudoers_write.SudoersInputError, match=message):
        _sudoers_write.check_command(command)


def test_good_command_with_arguments():
    assert _sudoers_write.check_command("/bin/sh -p *") == ("/bin/sh", ["-p", "*"])


@pytest.mark.parametrize("runas", ["ALL", "root,alice", "#0", "", "(root)"])
def test_bad_runas(runas):
    with pytest.raises(_sudoers_write.SudoersInputError):
        _sudoers_write.check_runas(runas)


@pytest.mark.parametrize("value, expected", [
    ("8h", NOW + datetime.timedelta(hours=8)),
    ("30m", NOW + datetime.timedelta(minutes=30)),
    ("2d", NOW + datetime.timedelta(days=2)),
    ("1w", NOW + datetime.timedelta(weeks=1)),
    ("2026-12-01T18:00:00Z", datetime.datetime(2026, 12, 1, 18, tzinfo=datetime.timezone.utc)),
    ("20261201180000Z", datetime.datetime(2026, 12, 1, 18, tzinfo=datetime.timezone.utc)),
])
def test_not_after(value, expected):
    assert _sudoers_write.parse_not_after(value, NOW) == expected


@pytest.mark.parametrize("value", ["0h", "8 hours", "tomorrow", "2026-12-01 18:00", "-1h", "20261201180000"])
def test_bad_not_after(value):
    with pytest.raises(_sudoers_write.SudoersInputError):
        _sudoers_write.parse_not_after(value, NOW)


def test_rendered_rule_parses_back_to_the_intended_grant(tree):
    content = _sudoers_write.render(["%debug", "alice"], [("/usr/bin/strace", []), ("/usr/bin/gdb", ["-p", "*"])],
                                    "root", True, NOW + datetime.timedelta(hours=8), True)
    assert content.splitlines()[0] == _sudoers_write.MARKER
    assert content.splitlines()[-1] == ("%debug, alice ALL=(root) NOTAFTER=20261128200000Z NOPASSWD: LOG_OUTPUT: "
                                        "/usr/bin/strace, /usr/bin/gdb -p *")
    tree.write("/etc/sudoers", content, mode=0o440)
    loaded = _sudoers.load_tree(str(tree))
    assert loaded.errors == []
    grants, _overridden = _sudoers.compute_grants(loaded, {"strace": ["/usr/bin/strace"], "gdb": ["/usr/bin/gdb"]},
                                                  "h", NOW)
    # One record per command of the list and principal, tags and NOTAFTER carried over to the second command.
    assert [(g["principal"], g["tools"], g["nopasswd"], g["log_output"], g["expired"]) for g in grants] == [
        ("%debug", ["strace"], True, True, False), ("alice", ["strace"], True, True, False),
        ("%debug", ["gdb"], True, True, False), ("alice", ["gdb"], True, True, False)]
    assert _sudoers_write.existing_not_after(content) == NOW + datetime.timedelta(hours=8)


def test_mirror_rewrites_includes_and_places_the_candidate(tree, tmp_path):
    tree.write("/etc/sudoers", "root ALL=(ALL) ALL\n@includedir /etc/sudoers.d\n#include sudoers.local\n", mode=0o440)
    tree.write("/etc/sudoers.local", "# local\n", mode=0o440)
    tree.write("/etc/sudoers.d/old", "alice ALL=(root) /usr/bin/id\n", mode=0o440)
    loaded = _sudoers.load_tree(str(tree))
    # The loader reports logical paths; mirror them from the fixture tree.
    loaded.files = [str(tree) + p for p in loaded.files]
    mirror = str(tmp_path / "mirror")
    main = _sudoers_write.mirror_tree(loaded, mirror, str(tree) + "/etc/sudoers.d/new", "bob ALL=(root) /bin/sh\n")
    assert main == mirror + str(tree) + "/etc/sudoers"
    with open(main) as handle:
        text = handle.read()
    assert "@includedir %s/etc/sudoers.d\n" % mirror in text
    assert "#include sudoers.local\n" in text  # relative: resolved inside the mirror by sudo
    assert os.path.exists(mirror + str(tree) + "/etc/sudoers.d/new")
    assert stat.S_IMODE(os.stat(mirror + str(tree) + "/etc/sudoers.d/new").st_mode) == 0o440


def test_validate_candidate_reports_visudo_output_without_mirror_paths(tree):
    tree.write("/etc/sudoers", "root ALL=(ALL) ALL\n", mode=0o440)
    loaded = _sudoers.load_tree(str(tree))
    loaded.files = [str(tree) + p for p in loaded.files]
    seen = {}

    def run(argv):
        seen["argv"] = argv
        return 1, "", "%s/etc/sudoers.d/new:1:5: syntax error\n" % os.path.dirname(os.path.dirname(argv[-1]))

    with pytest.raises(_sudoers_write.SudoersValidationError) as info:
        _sudoers_write.validate_candidate(run, "/usr/sbin/visudo", loaded, "/etc/sudoers.d/new", "x\n")
    assert seen["argv"][:3] == ["/usr/sbin/visudo", "-c", "-f"]
    assert info.value.rc == 1 and "syntax error" in info.value.stderr
    assert not os.path.exists(os.path.dirname(os.path.dirname(seen["argv"][-1])))  # the mirror is gone


def test_install_rolls_back_when_the_live_tree_fails(tmp_path):
    path = str(tmp_path / "grant")
    with open(path, "wb") as handle:
        handle.write(b"old\n")
    os.chmod(path, 0o440)
    with pytest.raises(_sudoers_write.SudoersValidationError):
        _sudoers_write.install(lambda argv: (1, "", "broken"), "visudo", path, "new\n", b"old\n")
    with open(path, "rb") as handle:
        assert handle.read() == b"old\n"
    new = str(tmp_path / "fresh")
    with pytest.raises(_sudoers_write.SudoersValidationError):
        _sudoers_write.install(lambda argv: (1, "", "broken"), "visudo", new, "new\n", None)
    assert not os.path.exists(new)


# --- sysctl ----------------------------------------------------------------------------

KEY = "kernel.yama.ptrace_scope"


def test_choose_file_sorts_after_every_setter(tree):
    root = str(tree)
    assert _sysctl_write.choose_file(KEY, root) == "/etc/sysctl.d/99-debugready-ptrace-scope.conf"
    tree.write("/usr/lib/sysctl.d/99-zz-vendor.conf", "kernel.yama.ptrace_scope = 0\n")
    assert _sysctl_write.choose_file(KEY, root) == "/etc/sysctl.d/zz-debugready-ptrace-scope.conf"
    tree.write("/etc/sysctl.d/zzz-late.conf", "kernel.yama.ptrace_scope = 0\n")
    chosen = _sysctl_write.choose_file(KEY, root)
    assert chosen == "/etc/sysctl.d/zzz-late_debugready-ptrace-scope.conf"
    pending = {chosen: _sysctl_write.render(KEY, 2)}
    for applier in _sysctl.APPLIERS:
        assert _sysctl_write.boot_state(KEY, root, pending)[applier] == {"value": "2", "source": chosen}
    # Files not setting the key do not matter; /etc/sysctl.conf is reported, not outsorted.
    tree.write("/etc/sysctl.d/zzzz-other.conf", "vm.swappiness = 1\n")
    tree.write("/etc/sysctl.conf", "kernel.yama.ptrace_scope = 0\n")
    assert _sysctl_write.choose_file(KEY, root) == chosen
    state = _sysctl_write.boot_state(KEY, root, pending)
    assert state["sysctl_system"] == {"value": "0", "source": "/etc/sysctl.conf"}


def test_pending_removal_and_managed_files(tree):
    root = str(tree)
    old = "/etc/sysctl.d/99-debugready-ptrace-scope.conf"
    tree.write(old, _sysctl_write.render(KEY, 1))
    tree.write("/etc/sysctl.d/10-other.conf", "# Managed by someone else\nkernel.yama.ptrace_scope = 2\n")
    assert _sysctl_write.managed_files(root) == [old]
    assert _sysctl_write.choose_file(KEY, root, ignore=[old]) == old
    assert _sysctl_write.boot_state(KEY, root, {old: None})["systemd_sysctl"]["source"] == "/etc/sysctl.d/10-other.conf"


@pytest.mark.parametrize("path", ["/tmp/x.conf", "/etc/sysctl.d/x", "/etc/sysctl.d/sub/x.conf", "etc/sysctl.d/x.conf",
                                  "/etc/sysctl.d/.x.conf", "/etc/sysctl.d/x y.conf"])
def test_bad_files(path):
    with pytest.raises(_sysctl_write.SysctlInputError):
        _sysctl_write.check_file(path)


def test_render_is_parsed_back():
    assignments = _sysctl.parse_text(_sysctl_write.render(KEY, 1))[0]
    assert [(a.key, a.value) for a in assignments] == [("kernel/yama/ptrace_scope", "1")]


# --- capabilities ----------------------------------------------------------------------

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


# --- atomic writes ---------------------------------------------------------------------

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
