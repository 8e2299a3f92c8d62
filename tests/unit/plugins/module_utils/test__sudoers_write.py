# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""The sudoers writer: input checks, rendering, whole-tree validation, install with rollback."""

from __future__ import annotations

import datetime
import os
import stat

import pytest

from ansible_collections.debugready.ptrace.plugins.module_utils import _sudoers, _sudoers_write

NOW = datetime.datetime(2026, 11, 28, 12, 0, tzinfo=datetime.timezone.utc)


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
