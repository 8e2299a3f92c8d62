# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""The sudoers writer: input checks, host readings, the plan, whole-tree validation, install and removal."""

from __future__ import annotations

import datetime
import os
import re
import stat

import pytest

from ansible_collections.debugready.ptrace.plugins.module_utils import _command, _fileio, _paths, _sudoers, _sudoers_write

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


# --- not_after ---------------------------------------------------------------------------------

@pytest.mark.parametrize("value, message", [
    ("", "not_after is empty"),
    ("   ", "not_after is empty"),
    ("99999999999w", "too far away"),   # more days than timedelta holds
    ("500000w", "too far away"),        # past the year 9999
    ("9" * 5000 + "s", "too far away"),  # more digits than int() converts
])
def test_empty_and_absurd_not_after_are_input_errors(value, message):
    with pytest.raises(_sudoers_write.SudoersInputError, match=message):
        _sudoers_write.parse_not_after(value, NOW)


# Found by tests/real/test_fuzz_modules.py: int() and strptime() also read the digits of other scripts.
@pytest.mark.parametrize("value", ["\u0663h", "8\u0660m", "\u0662\u0660\u0669\u0669-01-01T00:00:00Z", "\uff18h"])
def test_not_after_takes_ascii_digits_only(value):
    with pytest.raises(_sudoers_write.SudoersInputError, match="neither a duration"):
        _sudoers_write.parse_not_after(value, NOW)
    assert not _sudoers_write.is_duration(value)


# --- the plan (pure): one Host reading, one decision ---------------------------------------------

def grant(**over):
    params = dict((key, spec.get("default")) for key, spec in _sudoers_write.GRANT_OPTIONS.items())
    params.update(name="debug-strace", principals=["%debug"], commands=["/usr/bin/strace"], nopasswd=True)
    params.update(over)
    return params


def owned(content, mode=0o440, uid=0, gid=0, kind="file"):
    data = content.encode("utf-8") if isinstance(content, str) else content
    return _sudoers_write.FileState(data, uid, gid, mode, kind)


def host(file=None, **over):
    readings = dict(file=file, visudo="/usr/sbin/visudo", commands={
        "/usr/bin/strace": _sudoers_write.CommandState("/usr/bin/strace", True, True, [])})
    readings.update(over)
    return _sudoers_write.Host("/etc/sudoers.d/debug-strace", **readings)


def written(params, opened=NOW):
    """The file the plan writes for `params` at `opened`, as found on the host afterwards."""
    return owned(_sudoers_write.plan(params, host(), opened).content)


def test_a_new_grant_is_planned_with_its_reason_and_warning():
    planned = _sudoers_write.plan(grant(not_after="8h"), host(), NOW)
    assert planned.changed and planned.reasons == ["/etc/sudoers.d/debug-strace does not exist"]
    assert planned.rule == "%debug ALL=(root) NOTAFTER=20261128200000Z NOPASSWD: /usr/bin/strace"
    assert planned.not_after == datetime.datetime(2026, 11, 28, 20, tzinfo=datetime.timezone.utc)
    assert _sudoers_write.ROOT_EQUIVALENT_WARNING in planned.warnings
    assert not _sudoers_write.plan(grant(not_after="8h"), host(written(grant(not_after="8h"))), NOW).changed


@pytest.mark.parametrize("on_disk, wanted, hours_later, renew, end, reasons", [
    # an open window is kept (idempotent)
    ("8h", "8h", 3, False, 8, []),
    # a shorter duration shrinks it: min(current end, now + duration)
    ("8h", "1h", 1, False, 2, ["the window ends 2026-11-28T20:00:00Z on the host, wanted 2026-11-28T14:00:00Z"]),
    # an end edited further away than now + duration is drift: put back
    ("1w", "8h", 1, False, 9, ["the window ends 2026-12-05T12:00:00Z on the host, wanted 2026-11-28T21:00:00Z"]),
    # renew moves the end to now + duration
    ("8h", "8h", 3, True, 11, ["the window ends 2026-11-28T20:00:00Z on the host, wanted 2026-11-28T23:00:00Z"]),
    # an expired window opens a new one
    ("8h", "8h", 9, False, 17, ["the window ends 2026-11-28T20:00:00Z on the host, wanted 2026-11-29T05:00:00Z"]),
])
def test_a_duration_never_lengthens_an_open_window(on_disk, wanted, hours_later, renew, end, reasons):
    later = NOW + datetime.timedelta(hours=hours_later)
    planned = _sudoers_write.plan(grant(not_after=wanted, renew=renew), host(written(grant(not_after=on_disk))),
                                  later)
    assert planned.reasons == reasons
    assert planned.not_after == NOW + datetime.timedelta(hours=end)


def test_an_absolute_end_is_written_as_given():
    planned = _sudoers_write.plan(grant(not_after="2026-12-01T18:00:00Z"), host(written(grant(not_after="1w"))), NOW)
    assert planned.not_after == datetime.datetime(2026, 12, 1, 18, tzinfo=datetime.timezone.utc)
    with pytest.raises(_sudoers_write.SudoersInputError, match="in the past"):
        _sudoers_write.plan(grant(not_after="2026-11-28T11:00:00Z"), host(), NOW)


@pytest.mark.parametrize("mode, uid, gid, reasons", [
    (0o644, 0, 0, ["mode is 0644, wanted 0440"]),
    (0o640, 0, 0, ["mode is 0640, wanted 0440"]),
    (0o440, 1000, 0, ["owner is 1000:0, wanted 0:0"]),
    (0o666, 0, 1000, ["owner is 0:1000, wanted 0:0", "mode is 0666, wanted 0440"]),
])
def test_owner_and_mode_are_part_of_the_state(mode, uid, gid, reasons):
    content = written(grant()).content
    planned = _sudoers_write.plan(grant(), host(owned(content, mode, uid, gid)), NOW)
    assert planned.reasons == reasons and planned.content.encode() == content


@pytest.mark.parametrize("file", [
    owned("%debug ALL=(ALL) NOPASSWD: ALL\n"),
    owned("%debug ALL=(ALL) NOPASSWD: ALL\n" + _sudoers_write.MARKER + "\n"),
    owned(_sudoers_write.MARKER + "x\n"),
    owned("\n" + _sudoers_write.MARKER + "\n"),
    owned(None, kind="symlink"),
    owned(None, kind="directory"),
])
@pytest.mark.parametrize("state", ["present", "absent"])
def test_only_a_regular_file_with_the_exact_header_is_ours(file, state):
    with pytest.raises(_sudoers_write.SudoersHostError, match="not written by this module"):
        _sudoers_write.plan(grant(state=state), host(file), NOW)


def test_is_managed_wants_the_exact_first_line():
    marker = _sudoers_write.MARKER.encode()
    assert _sudoers_write.is_managed(marker + b"\n\xff\xfe rest")
    assert _sudoers_write.is_managed(marker)
    assert not _sudoers_write.is_managed(marker + b"\r\n")
    assert not _sudoers_write.is_managed(b"# x\n" + marker + b"\n")
    assert not _sudoers_write.is_managed(None)


def test_absent_removes_our_file_whatever_the_host_looks_like():
    # Not UTF-8, 0640, sudo not installed, no includedir, an unsafe drop-in directory: none of it matters.
    ours = owned(_sudoers_write.MARKER.encode() + b"\n\xff\xfe%debug ALL=(root) /usr/bin/strace\n", mode=0o640)
    planned = _sudoers_write.plan(grant(state="absent", principals=None, commands=None),
                                  host(ours, visudo=None, included=False, dropin_problem="world-writable",
                                       commands={}), NOW)
    assert planned.changed and planned.content is None
    assert planned.reasons == ["/etc/sudoers.d/debug-strace is managed by this module and state is absent"]
    assert not _sudoers_write.plan(grant(state="absent"), host(None, visudo=None), NOW).changed


@pytest.mark.parametrize("over, message", [
    (dict(visudo=None), "sudo is not installed"),
    (dict(dropin_problem="world-writable"), "sudo skips /etc/sudoers.d as a whole: it is world-writable"),
    (dict(included=False), "has '@includedir /etc/sudoers.d'"),
    (dict(runas_exists=False), "runas user 'root' does not exist"),
    (dict(commands={"/usr/bin/strace": _sudoers_write.CommandState("/usr/bin/strace", True, False, [])}),
     "not an executable file"),
    (dict(commands={"/usr/bin/strace": _sudoers_write.CommandState(
        "/usr/bin/strace", True, True, ["/usr/bin/strace is a symlink to /bin/sh"])}),
     "refusing to grant these commands: /usr/bin/strace is a symlink to /bin/sh"),
])
def test_a_host_where_the_grant_would_not_work_fails_instead_of_changed(over, message):
    # Even when the file is already in place: sudo would ignore it, or it grants more than it reads.
    for file in (None, written(grant())):
        with pytest.raises(_sudoers_write.SudoersHostError, match=re.escape(message)):
            _sudoers_write.plan(grant(), host(file, **over), NOW)


def test_allow_unsafe_commands_grants_with_a_warning():
    problems = ["/usr/bin is writable by group gid 50"]
    unsafe = {"/usr/bin/strace": _sudoers_write.CommandState("/usr/bin/strace", True, True, problems)}
    planned = _sudoers_write.plan(grant(allow_unsafe_commands=True), host(commands=unsafe), NOW)
    assert planned.changed
    assert "allow_unsafe_commands: granted although /usr/bin is writable by group gid 50" in planned.warnings


def test_a_missing_command_is_a_warning_of_the_plan():
    missing = {"/usr/bin/strace": _sudoers_write.CommandState("/usr/bin/strace", False, False, [])}
    planned = _sudoers_write.plan(grant(), host(commands=missing), NOW)
    assert planned.missing_commands == ["/usr/bin/strace"]
    assert any(w.startswith("not installed yet: /usr/bin/strace") for w in planned.warnings)


# --- host readings ---------------------------------------------------------------------------------

AS_ROOT = pytest.mark.skipif(os.geteuid() != 0, reason="needs root (file ownership)")


def program(tree, path, mode=0o755, uid=0, gid=0):
    return tree.write(path, "#!/bin/sh\n", mode=mode, uid=uid, gid=gid)


@AS_ROOT
def test_inspect_command_accepts_a_root_owned_program_and_a_symlinked_parent(tree):
    program(tree, "/usr/bin/strace")
    tree.write("/bin", link="usr/bin")  # merged /usr: the program itself is no symlink
    for path in ("/usr/bin/strace", "/bin/strace"):
        assert _sudoers_write.inspect_command(path, str(tree)) == _sudoers_write.CommandState(path, True, True, [])
    assert _sudoers_write.inspect_command("/usr/bin/gdb", str(tree)) == \
        _sudoers_write.CommandState("/usr/bin/gdb", False, False, [])


@AS_ROOT
@pytest.mark.parametrize("setup, problem", [
    (lambda t: (program(t, "/bin/sh"), t.write("/usr/local/bin/tool", link="../../../bin/sh")),
     "/usr/local/bin/tool is a symlink to /bin/sh"),
    (lambda t: program(t, "/usr/local/bin/tool", mode=0o757), "/usr/local/bin/tool is world-writable"),
    (lambda t: program(t, "/usr/local/bin/tool", mode=0o775, gid=65534),
     "/usr/local/bin/tool is writable by group gid 65534"),
    (lambda t: program(t, "/usr/local/bin/tool", uid=65534), "/usr/local/bin/tool is owned by uid 65534"),
    (lambda t: (program(t, "/usr/local/bin/tool"), os.chmod(t / "/usr/local", 0o777)), "/usr/local is world-writable"),
    (lambda t: (program(t, "/usr/local/bin/tool"), os.chmod(t / "/usr/local/bin", 0o1777)),
     "/usr/local/bin is world-writable"),
    # a symlinked directory: the link's own directory and the target's are both checked
    (lambda t: (program(t, "/home/bob/bin/tool"), os.chown(t / "/home/bob", 65534, 0),
                t.write("/usr/local/bin", link="../../home/bob/bin")), "/home/bob is owned by uid 65534"),
    (lambda t: (program(t, "/opt/real/tool"), os.chmod(t.mkdir("/usr/local"), 0o777),
                t.write("/usr/local/bin", link="../../opt/real")), "/usr/local is world-writable"),
    # not there yet, in a directory anyone can fill
    (lambda t: os.chmod(t.mkdir("/usr/local/bin"), 0o777), "/usr/local/bin is world-writable"),
])
def test_inspect_command_finds_what_a_non_root_user_could_change(tree, setup, problem):
    setup(tree)
    problems = _sudoers_write.inspect_command("/usr/local/bin/tool", str(tree)).problems
    assert any(p.startswith(problem) for p in problems), problems


@AS_ROOT
def test_group_root_may_write(tree):
    program(tree, "/usr/local/bin/tool", mode=0o775, gid=0)
    assert _sudoers_write.inspect_command("/usr/local/bin/tool", str(tree)).problems == []


@pytest.mark.parametrize("line, included", [
    # measured with sudo 1.9.13p3 (tests/real/test_sudoers_grant_real.py checks the same table on it)
    ("@includedir /etc/sudoers.d", True),
    ("#includedir /etc/sudoers.d", True),
    ("@includedir /etc/sudoers.d/", True),
    ('@includedir "/etc/sudoers.d"', True),
    ('@includedir "/etc/sudoers.d/"', True),
    ("  @includedir /etc/sudoers.d", True),
    ("\t@includedir\t/etc/sudoers.d", True),
    ("#includedir    /etc/sudoers.d   ", True),
    ("@includedir sudoers.d", True),
    ("@includedir /etc//sudoers.d", True),
    ("@includedir /etc/sudoers.d/.", True),
    ("@includedir /etc/./sudoers.d", True),
    ("@includedir /etc/sudoers.d # comment", True),
    ('@includedir "/etc/sudoers.d" # comment', True),
    ("@includedir /etc/sudoers\\.d", True),
    ("@includedir \\\n/etc/sudoers.d", True),
    ("  #includedir /etc/sudoers.d", False),
    ("\t#includedir /etc/sudoers.d", False),
    ("# includedir /etc/sudoers.d", False),
    ("#include_dir /etc/sudoers.d", False),
    ("@includedir /etc/sudoers.d#x", False),
    ("@includedir /etc/sudoers.%d", False),
    ("@includedir /etc/sudoers.d/README/..", False),
    ('@includedir "/etc/sudoers.d', False),
    ("@include /etc/sudoers.d", False),
])
def test_has_includedir_follows_sudo(tree, line, included):
    tree.write("/etc/sudoers", "root ALL=(ALL:ALL) ALL\n%s\n" % line, mode=0o440)
    tree.write("/etc/sudoers.d/README", "# readme\n", mode=0o440)
    assert _sudoers_write.has_includedir(str(tree)) is included


def test_has_includedir_in_an_included_file_only_when_sudo_reads_it(tree):
    tree.write("/etc/sudoers", "root ALL=(ALL:ALL) ALL\n@include sudoers.local\n", mode=0o440)
    tree.mkdir("/etc/sudoers.d")
    tree.write("/etc/sudoers.local", "#includedir /etc/sudoers.d\n", mode=0o440)
    assert _sudoers_write.has_includedir(str(tree))
    tree.write("/etc/sudoers", "root ALL=(ALL:ALL) ALL\n# @include sudoers.local\n", mode=0o440)
    assert not _sudoers_write.has_includedir(str(tree))


def test_has_includedir_through_a_symlink_to_the_directory(tree):
    tree.mkdir("/etc/sudoers.d")
    tree.write("/etc/sd", link="sudoers.d")
    tree.write("/etc/sudoers", "@includedir /etc/sd\n", mode=0o440)
    assert _sudoers_write.has_includedir(str(tree))


@AS_ROOT
@pytest.mark.parametrize("mode, uid, gid, problem", [
    (0o755, 0, 0, None), (0o775, 0, 0, None), (0o750, 0, 65534, None),
    (0o777, 0, 0, "world-writable"), (0o1777, 0, 0, "world-writable"), (0o757, 0, 0, "world-writable"),
    (0o775, 0, 65534, "writable by group gid 65534"), (0o755, 65534, 0, "owned by uid 65534"),
])
def test_read_host_finds_a_dropin_directory_sudo_skips(tree, mode, uid, gid, problem):
    tree.write("/etc/sudoers", "@includedir /etc/sudoers.d\n", mode=0o440)
    directory = tree.mkdir("/etc/sudoers.d")
    os.chmod(directory, mode)
    os.chown(directory, uid, gid)
    assert _sudoers_write.read_host(grant(), str(tree)).dropin_problem == problem


def test_read_host_sees_a_symlink_not_its_target(tree):
    tree.write("/etc/sudoers.d/elsewhere", _sudoers_write.MARKER + "\n", mode=0o440)
    tree.write("/etc/sudoers.d/debug-strace", link="elsewhere")
    file = _sudoers_write.read_host(grant(state="absent"), str(tree)).file
    assert file.kind == "symlink" and file.content is None


# --- acting: mirror, validation, install, removal ---------------------------------------------------

@AS_ROOT
def test_mirror_rewrites_includes_copies_bytes_and_places_the_candidate(tree, tmp_path):
    tree.write("/etc/sudoers", "root ALL=(ALL) ALL\n@includedir /etc/sudoers.d\n#include sudoers.local\n", mode=0o440)
    tree.write("/etc/sudoers.local", "# local\n", mode=0o440)
    raw = b"# caf\xe9 in latin-1\nalice ALL=(root) /usr/bin/id\n"
    with open(tree.write("/etc/sudoers.d/old", "", mode=0o440), "wb") as handle:
        handle.write(raw)
    loaded = _sudoers.load_tree(str(tree))
    mirror = str(tmp_path / "mirror")
    os.mkdir(mirror)
    old_umask = os.umask(0)
    try:
        main = _sudoers_write.mirror_tree(loaded, mirror, "/etc/sudoers.d/new", "bob ALL=(root) /bin/sh\n", str(tree))
    finally:
        os.umask(old_umask)
    assert main == mirror + "/etc/sudoers"
    with open(main) as handle:
        text = handle.read()
    assert "@includedir %s/etc/sudoers.d\n" % mirror in text
    assert "#include sudoers.local\n" in text  # relative: resolved inside the mirror by sudo
    with open(mirror + "/etc/sudoers.d/old", "rb") as handle:
        assert handle.read() == raw
    assert stat.S_IMODE(os.stat(mirror + "/etc/sudoers.d/new").st_mode) == 0o440
    # Under umask 0 too: visudo skips a world-writable directory with only a warning.
    assert stat.S_IMODE(os.stat(mirror + "/etc/sudoers.d").st_mode) == 0o755


def test_validate_candidate_reports_visudo_output_without_mirror_paths(tree):
    tree.write("/etc/sudoers", "root ALL=(ALL) ALL\n", mode=0o440)
    loaded = _sudoers.load_tree(str(tree))
    calls = []

    def run(argv):
        calls.append(argv)
        mirror = os.path.dirname(os.path.dirname(argv[-1]))
        if len(calls) == 1:
            return 1, "", "%s/etc/sudoers.d/new:1:5: syntax error\n" % mirror
        return 0, "", ""  # the tree without the candidate passes

    with pytest.raises(_sudoers_write.SudoersValidationError, match="with the new /etc/sudoers.d/new in place") as info:
        _sudoers_write.validate_candidate(run, "/usr/sbin/visudo", loaded, "/etc/sudoers.d/new", "x\n", str(tree))
    assert calls[0][:3] == ["/usr/sbin/visudo", "-c", "-f"]
    assert info.value.rc == 1 and info.value.stderr == "/etc/sudoers.d/new:1:5: syntax error\n"
    assert not os.path.exists(os.path.dirname(os.path.dirname(calls[0][-1])))  # the mirror is gone


def test_validate_candidate_says_when_the_tree_fails_without_it(tree):
    tree.write("/etc/sudoers", "root ALL=(ALL) ALL\n", mode=0o440)
    loaded = _sudoers.load_tree(str(tree))
    with pytest.raises(_sudoers_write.SudoersValidationError, match="even without /etc/sudoers.d/new"):
        _sudoers_write.validate_candidate(lambda argv: (1, "", "elsewhere"), "visudo", loaded, "/etc/sudoers.d/new",
                                          "x\n", str(tree))


def visudo_results(*rcs):
    """A runner whose successive `visudo -c` calls exit with `rcs`."""
    calls = []

    def run(argv):
        assert argv == ["visudo", "-c"]
        calls.append(argv)
        rc = rcs[len(calls) - 1]
        return rc, "", "" if rc == 0 else "/etc/sudoers.d/other: bad permissions, should be mode 0440\n"
    run.calls = calls
    return run


def read(tree, path):
    with open(tree / path, "rb") as handle:
        return handle.read()


@AS_ROOT
def test_install_checks_the_live_tree(tree):
    tree.mkdir("/etc/sudoers.d")
    live = _sudoers_write.install(visudo_results(0, 0), "visudo", "/etc/sudoers.d/g", "new\n", str(tree))
    assert live == _sudoers_write.LiveCheck(True, 0, "", "")
    st = os.stat(tree / "/etc/sudoers.d/g")
    assert (stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid) == (0o440, 0, 0) and read(tree, "/etc/sudoers.d/g") == b"new\n"


@AS_ROOT
def test_a_failed_install_never_puts_a_grant_back(tree):
    tree.write("/etc/sudoers.d/g", _sudoers_write.MARKER + "\n%debug ALL=(root) NOTAFTER=20991231000000Z /usr/bin/strace\n",
               mode=0o440)
    with pytest.raises(_sudoers_write.SudoersValidationError, match="the file was removed") as info:
        _sudoers_write.install(visudo_results(0, 1), "visudo", "/etc/sudoers.d/g", "shorter\n", str(tree))
    assert info.value.rc == 1 and "bad permissions" in info.value.stderr
    assert not os.path.lexists(tree / "/etc/sudoers.d/g")


@AS_ROOT
def test_an_install_whose_check_cannot_start_leaves_no_grant(tree):
    # visudo ran before the write and cannot be started after it (replaced, ENOEXEC): an unchecked grant
    # must not stay live.
    tree.mkdir("/etc/sudoers.d")
    calls = []

    def run(argv):
        calls.append(argv)
        if len(calls) > 1:
            raise _command.CommandError(argv, OSError(8, "Exec format error"))
        return 0, "", ""

    with pytest.raises(_command.CommandError, match="Exec format error"):
        _sudoers_write.install(run, "visudo", "/etc/sudoers.d/g", "new\n", str(tree))
    assert len(calls) == 2 and not os.path.lexists(tree / "/etc/sudoers.d/g")


@AS_ROOT
def test_install_on_a_tree_that_failed_before_keeps_the_write(tree):
    tree.mkdir("/etc/sudoers.d")
    live = _sudoers_write.install(visudo_results(1, 1), "visudo", "/etc/sudoers.d/g", "new\n", str(tree))
    assert not live.ok and live.rc == 1 and read(tree, "/etc/sudoers.d/g") == b"new\n"


def test_a_removal_stays_when_the_live_tree_fails(tree):
    tree.write("/etc/sudoers.d/g", _sudoers_write.MARKER + "\n", mode=0o440)
    run = visudo_results(1)
    live = _sudoers_write.remove(run, "visudo", "/etc/sudoers.d/g", str(tree))
    assert not live.ok and live.rc == 1 and len(run.calls) == 1
    assert not os.path.lexists(tree / "/etc/sudoers.d/g")
    tree.write("/etc/sudoers.d/g", _sudoers_write.MARKER + "\n", mode=0o440)
    assert _sudoers_write.remove(None, None, "/etc/sudoers.d/g", str(tree)) is None  # no sudo: nothing to check
    assert not os.path.lexists(tree / "/etc/sudoers.d/g")


def test_read_host_reports_a_missing_dropin_directory(tree):
    tree.write("/etc/sudoers", "@includedir /etc/sudoers.d\n", mode=0o440)
    tree.write("/usr/sbin/visudo", "#!/bin/sh\n", mode=0o755)
    readings = _sudoers_write.read_host(grant(), str(tree))
    assert readings.dropin_problem == "not there or not readable (No such file or directory)"
    with pytest.raises(_sudoers_write.SudoersHostError, match="sudo skips /etc/sudoers.d as a whole: it is not there"):
        _sudoers_write.plan(grant(), readings, NOW)


# --- found by mutation testing (scripts/mutation, docs/mutation.md): each pins a decision no test fixed ---

@pytest.mark.parametrize("command, expected", [
    ("/usr/bin/strace -e trace=open", ("/usr/bin/strace", ["-e", "trace=open"])),
    ("/usr/bin/gdb --batch -p *", ("/usr/bin/gdb", ["--batch", "-p", "*"])),
    ("/usr/bin/perf record", ("/usr/bin/perf", ["record"])),
])
def test_arguments_made_of_letters_are_accepted(command, expected):
    # Only the word ALL is refused, not every argument that sorts after it.
    assert _sudoers_write.check_command(command) == expected


@pytest.mark.parametrize("runas", ["www\x00data", "caf\u00e9", "\udcff"])
def test_a_runas_name_getpwnam_cannot_take_is_an_input_error_not_a_traceback(tree, runas):
    # pwd.getpwnam raises ValueError on a NUL: read_host asks it only about a name check_runas accepts.
    tree.write("/etc/sudoers", "@includedir /etc/sudoers.d\n", mode=0o440)
    readings = _sudoers_write.read_host(grant(runas=runas), str(tree))
    with pytest.raises(_sudoers_write.SudoersInputError, match="runas .* is not allowed"):
        _sudoers_write.plan(grant(runas=runas), readings, NOW)


def test_read_host_for_a_removal_reads_only_the_file(tree):
    # A removal must not depend on the rest of the tree, the run-as account or the commands.
    tree.write("/etc/sudoers", "@includedir /etc/sudoers.d\n", mode=0o440)
    tree.write("/etc/sudoers.d/debug-strace", _sudoers_write.MARKER + "\n", mode=0o440)
    for absent in ("absent", "".join(["ab", "sent"])):  # a literal, and an equal string as decoded JSON gives
        readings = _sudoers_write.read_host(grant(state=absent, runas="www\x00data"), str(tree))
        assert readings.file.content == (_sudoers_write.MARKER + "\n").encode()
        assert (readings.tree, readings.commands) == (None, {})
    assert _sudoers_write.plan(grant(state="absent"), readings, NOW).changed


@pytest.mark.parametrize("rc", [1, -11, 127])
def test_a_visudo_killed_by_a_signal_does_not_validate(tree, rc):
    # module.run_command gives a negative rc when the child dies of a signal: only 0 means "parsed OK".
    tree.write("/etc/sudoers", "root ALL=(ALL) ALL\n", mode=0o440)
    loaded = _sudoers.load_tree(str(tree))
    calls = []

    def run(argv):
        calls.append(argv)
        return (rc if len(calls) == 1 else 0), "", ""  # with the candidate, then without it

    with pytest.raises(_sudoers_write.SudoersValidationError, match="with the new /etc/sudoers.d/new in place") as info:
        _sudoers_write.validate_candidate(run, "visudo", loaded, "/etc/sudoers.d/new", "x\n", str(tree))
    assert info.value.rc == rc and len(calls) == 2


def test_render_writes_exactly_the_documented_lines():
    plain = _sudoers_write.render(["%debug"], [("/usr/bin/strace", [])])
    assert plain == (_sudoers_write.MARKER + "\n"
                     "# ROOT-EQUIVALENT: running a debugger as another user lets you read and change its processes.\n"
                     "%debug ALL=(root) /usr/bin/strace\n")
    logged = _sudoers_write.render(["%debug"], [("/usr/bin/strace", [])], "www-data", log_output=True)
    assert logged.splitlines()[2:] == [
        "# The input and output of these commands is logged by sudo (LOG_OUTPUT, see sudoreplay).",
        "%debug ALL=(www-data) LOG_OUTPUT: /usr/bin/strace"]


@pytest.mark.parametrize("edit", [
    lambda text: text.replace("%debug ALL", "%debug, mallory ALL"),   # sorts after the wanted text
    lambda text: text.replace("%debug ALL", "%adm ALL"),              # sorts before it
    lambda text: text.replace("/usr/bin/strace", "/usr/bin/strace, /bin/sh"),
])
def test_an_edited_rule_with_the_same_window_is_drift_of_the_content_only(edit):
    wanted = _sudoers_write.plan(grant(not_after="8h"), host(), NOW).content
    on_disk = owned(edit(wanted))
    planned = _sudoers_write.plan(grant(not_after="8h"), host(on_disk), NOW + datetime.timedelta(hours=1))
    # The window on the host is kept (and equal, but not the same object): only the content is named.
    assert planned.reasons == ["the content differs from the wanted grant"]
    assert planned.content == wanted


@AS_ROOT
def test_inspect_command_looks_past_a_directory_that_is_not_there(tree):
    # /usr/local/bin is a dangling link into /opt, which anyone can write: they can create the program there.
    os.chmod(tree.mkdir("/opt"), 0o777)
    tree.mkdir("/usr/local")
    tree.write("/usr/local/bin", link="../../opt/missing/bin")
    problems = _sudoers_write.inspect_command("/usr/local/bin/tool", str(tree)).problems
    assert problems == ["/opt is world-writable"]


@pytest.mark.parametrize("file, why", [
    (owned("%debug ALL=(ALL) NOPASSWD: ALL\n"), "its first line is not '%s'" % _sudoers_write.MARKER),
    (owned(None, kind="directory"), "it is a directory"),
    (owned(None, kind="symlink"), "it is a symlink"),
])
def test_a_file_that_is_not_ours_is_refused_with_what_it_is(file, why):
    with pytest.raises(_sudoers_write.SudoersHostError) as info:
        _sudoers_write.plan(grant(), host(file), NOW)
    assert str(info.value) == ("/etc/sudoers.d/debug-strace exists and was not written by this module (%s); refusing "
                               "to overwrite or remove it" % why)


@pytest.mark.parametrize("runas", ["adm", "alice", "backup", "postgres", "www-data"])
def test_good_runas(runas):
    # Only ALL is refused, not every name that sorts before or after it.
    assert _sudoers_write.check_runas(runas) == runas


@pytest.mark.parametrize("principal", ["all", "%all", "All"])
def test_all_in_any_case_is_refused_as_a_principal(principal):
    with pytest.raises(_sudoers_write.SudoersInputError, match="ALL, aliases"):
        _sudoers_write.check_principal(principal)
    with pytest.raises(_sudoers_write.SudoersInputError, match="not ALL"):
        _sudoers_write.check_runas(principal.lstrip("%"))


@pytest.mark.parametrize("runas", ["postgres", "alice", "www-data"])
def test_a_runas_user_gets_the_warning_that_names_it(runas):
    planned = _sudoers_write.plan(grant(runas=runas), host(), NOW)
    assert planned.warnings == [_sudoers_write.RUNAS_WARNING % (runas, runas)]
    assert _sudoers_write.plan(grant(), host(), NOW).warnings == [_sudoers_write.ROOT_EQUIVALENT_WARNING]


@pytest.mark.parametrize("over", [dict(commands=[]), dict(principals=[]), dict(commands=None)])
def test_present_needs_a_principal_and_a_command_each(over):
    with pytest.raises(_sudoers_write.SudoersInputError, match="at least one principal and one command"):
        _sudoers_write.plan(grant(**over), host(), NOW)


def test_read_file_state_reports_a_stat_failure_other_than_enoent(tree, monkeypatch):
    # Only "no such file" means the drop-in is absent; any other failure (EPERM from a FUSE mount) is an error.
    real_lstat = os.lstat

    def lstat(path, *args, **kwargs):
        if str(path).endswith("debug-strace"):
            raise OSError(1, os.strerror(1))
        return real_lstat(path, *args, **kwargs)

    monkeypatch.setattr(_sudoers_write.os, "lstat", lstat)
    with pytest.raises(_sudoers_write._fileio.FileWriteError, match="Operation not permitted"):
        _sudoers_write.read_file_state(str(tree / "/etc/sudoers.d/debug-strace"))


def test_has_includedir_looks_past_an_includedir_that_is_not_there(tree):
    tree.mkdir("/etc/sudoers.d")
    tree.write("/etc/sudoers", "@includedir /etc/missing.d\n@includedir /etc/sudoers.d\n", mode=0o440)
    assert _sudoers_write.has_includedir(str(tree))


@pytest.mark.parametrize("date", ["20261399000000Z", "2026"])
def test_an_unreadable_window_on_the_host_is_drift_not_a_traceback(date):
    wanted = _sudoers_write.plan(grant(not_after="8h"), host(), NOW).content
    broken = wanted.replace("NOTAFTER=20261128200000Z", "NOTAFTER=%s" % date)
    assert _sudoers_write.existing_not_after(broken) is None
    planned = _sudoers_write.plan(grant(not_after="8h"), host(owned(broken)), NOW)
    assert planned.reasons == ["the window ends never on the host, wanted 2026-11-28T20:00:00Z"]


@AS_ROOT
def test_inspect_command_checks_every_directory_of_a_short_path(tree):
    # Three components (/opt/bin/tool): the parent directory is checked as for longer paths.
    program(tree, "/opt/bin/tool")
    os.chmod(tree / "/opt/bin", 0o777)
    assert _sudoers_write.inspect_command("/opt/bin/tool", str(tree)).problems == ["/opt/bin is world-writable"]


@AS_ROOT
def test_inspect_command_checks_the_root_directory(tree):
    program(tree, "/usr/bin/strace")
    os.chmod(str(tree), 0o777)
    # The root spelled as _paths spells it for a fixture root ("/" on a host).
    root = _paths.logical_path(str(tree), str(tree))
    assert _sudoers_write.inspect_command("/usr/bin/strace", str(tree)).problems == ["%s is world-writable" % root]


@AS_ROOT
def test_mirror_rewrites_each_include_form_exactly(tree, tmp_path):
    tree.write("/etc/sudoers", 'root ALL=(ALL) ALL\n@includedir "/etc/sudoers.d"\n  #include /etc/sudoers.local\n',
               mode=0o440)
    tree.write("/etc/sudoers.local", "# local\n", mode=0o440)
    tree.write("/etc/sudoers.d/debug-strace", "old grant\n", mode=0o440)
    loaded = _sudoers.load_tree(str(tree))
    mirror = str(tmp_path / "mirror")
    os.mkdir(mirror)
    main = _sudoers_write.mirror_tree(loaded, mirror, "/etc/sudoers.d/debug-strace", "new grant\n", str(tree))
    with open(main) as handle:
        assert handle.read().splitlines() == ["root ALL=(ALL) ALL", '@includedir "%s/etc/sudoers.d"' % mirror,
                                              "  #include %s/etc/sudoers.local" % mirror]


def test_validation_without_the_candidate_leaves_out_the_old_version_too(tree):
    # Updating a drop-in: the first check holds the candidate in its place, the second holds neither version.
    tree.write("/etc/sudoers", "@includedir /etc/sudoers.d\n", mode=0o440)
    tree.write("/etc/sudoers.d/debug-strace", "old grant\n", mode=0o440)
    loaded = _sudoers.load_tree(str(tree))
    seen = []

    def run(argv):
        dropin = os.path.join(os.path.dirname(argv[-1]), "sudoers.d", "debug-strace")
        if os.path.exists(dropin):
            with open(dropin) as handle:
                seen.append(handle.read())
        else:
            seen.append(None)
        return (1 if len(seen) == 1 else 0), "", ""

    with pytest.raises(_sudoers_write.SudoersValidationError, match="with the new /etc/sudoers.d/debug-strace"):
        _sudoers_write.validate_candidate(run, "visudo", loaded, "/etc/sudoers.d/debug-strace", "new grant\n",
                                          str(tree))
    assert seen == ["new grant\n", None]


def test_options_are_compared_by_value_not_identity():
    # Module arguments are decoded JSON: equal strings, but not the interned literals of the code.
    present, root = "".join(["pre", "sent"]), "".join(["ro", "ot"])
    planned = _sudoers_write.plan(grant(state=present, runas=root), host(), NOW)
    assert planned.content is not None and planned.rule == "%debug ALL=(root) NOPASSWD: /usr/bin/strace"
    assert planned.warnings == [_sudoers_write.ROOT_EQUIVALENT_WARNING]


def test_a_visudo_killed_by_a_signal_fails_the_live_check():
    assert _sudoers_write.check_live(lambda argv: (-11, "", ""), "visudo") == _sudoers_write.LiveCheck(False, -11, "", "")
    assert _sudoers_write.check_live(lambda argv: (0, "ok", ""), "visudo").ok


def test_a_tree_that_visudo_dies_on_without_the_candidate_is_not_blamed_on_it(tree):
    tree.write("/etc/sudoers", "root ALL=(ALL) ALL\n", mode=0o440)
    loaded = _sudoers.load_tree(str(tree))
    rcs = [1, -11]  # with the candidate: rejected; without it: visudo killed by a signal
    with pytest.raises(_sudoers_write.SudoersValidationError, match="even without /etc/sudoers.d/new") as info:
        _sudoers_write.validate_candidate(lambda argv: (rcs.pop(0), "", ""), "visudo", loaded, "/etc/sudoers.d/new",
                                          "x\n", str(tree))
    assert info.value.rc == 1 and rcs == []


def test_a_window_that_ends_exactly_now_is_closed_and_a_new_one_opens():
    ended = NOW + datetime.timedelta(hours=8)
    planned = _sudoers_write.plan(grant(not_after="1h"), host(written(grant(not_after="8h"))), ended)
    assert planned.not_after == ended + datetime.timedelta(hours=1)
    assert planned.reasons == ["the window ends 2026-11-28T20:00:00Z on the host, wanted 2026-11-28T21:00:00Z"]


def test_read_host_expands_percent_h_with_the_hostname_given(tree):
    tree.mkdir("/etc/sudoers.d")
    tree.write("/etc/sudoers", "@include /etc/sudoers.%h\n", mode=0o440)
    tree.write("/etc/sudoers.web1", "@includedir /etc/sudoers.d\n", mode=0o440)
    assert _sudoers_write.read_host(grant(), str(tree), hostname="web1.example.org").included
    assert not _sudoers_write.read_host(grant(), str(tree), hostname="db1").included


def test_mirror_of_a_tree_without_files_names_the_main_file(tree, tmp_path):
    loaded = _sudoers.load_tree(str(tree))  # no /etc/sudoers at all
    assert loaded.files == []
    mirror = str(tmp_path / "mirror")
    os.mkdir(mirror)
    assert _sudoers_write.mirror_tree(loaded, mirror, "/etc/sudoers.d/new", None, str(tree)) == mirror + "/etc/sudoers"


@AS_ROOT
def test_mirror_keeps_every_directory_of_an_include_spelled_with_double_slashes(tree, tmp_path):
    tree.write("/etc/sudoers", "@include /etc//local.d/extra\n", mode=0o440)
    tree.write("/etc/local.d/extra", "# extra\n", mode=0o440)
    loaded = _sudoers.load_tree(str(tree))
    assert loaded.files == ["/etc/sudoers", "/etc//local.d/extra"]
    mirror = str(tmp_path / "mirror")
    os.mkdir(mirror)
    _sudoers_write.mirror_tree(loaded, mirror, "/etc/sudoers.d/new", "new\n", str(tree))
    with open(mirror + "/etc/local.d/extra") as handle:
        assert handle.read() == "# extra\n"


@AS_ROOT
@pytest.mark.parametrize("make", [
    lambda t: program(t, "/usr/bin/strace", mode=0o644),     # a regular file nobody may execute
    lambda t: os.chmod(t.mkdir("/usr/bin/strace"), 0o755),  # a directory (searchable, not executable)
])
def test_inspect_command_wants_an_executable_regular_file(tree, make):
    make(tree)
    assert _sudoers_write.inspect_command("/usr/bin/strace", str(tree)) == \
        _sudoers_write.CommandState("/usr/bin/strace", True, False, [])


def test_an_end_of_exactly_now_is_in_the_past():
    with pytest.raises(_sudoers_write.SudoersInputError, match="in the past"):
        _sudoers_write.plan(grant(not_after="2026-11-28T12:00:00Z"), host(), NOW)
    later = _sudoers_write.plan(grant(not_after="2026-11-28T12:00:01Z"), host(), NOW)
    assert later.not_after == NOW + datetime.timedelta(seconds=1)


def test_read_file_state_names_what_is_there(tree):
    directory = tree.mkdir("/etc/sudoers.d/debug-strace")
    fifo = str(tree / "/etc/sudoers.d/pipe")
    os.mkfifo(fifo)
    assert _sudoers_write.read_file_state(directory).kind == "directory"
    assert _sudoers_write.read_file_state(fifo).kind == "other"
    assert _sudoers_write.read_file_state(str(tree / "/etc/sudoers.d/none")) is None


def test_mirror_without_the_candidate_keeps_its_empty_directory(tree, tmp_path):
    # The re-check without the candidate: the includedir must still name a directory in the mirror, 0755 under umask 0.
    tree.write("/etc/sudoers", "@includedir /etc/sudoers.d\n", mode=0o440)
    tree.mkdir("/etc/sudoers.d")
    loaded = _sudoers.load_tree(str(tree))
    mirror = str(tmp_path / "mirror")
    os.mkdir(mirror)
    old_umask = os.umask(0)
    try:
        _sudoers_write.mirror_tree(loaded, mirror, "/etc/sudoers.d/debug-strace", None, str(tree))
    finally:
        os.umask(old_umask)
    assert os.listdir(mirror + "/etc/sudoers.d") == []
    assert stat.S_IMODE(os.stat(mirror + "/etc/sudoers.d").st_mode) == 0o755


def test_a_directory_is_not_a_command():
    # "/usr/bin/" in a sudoers rule allows every program in /usr/bin.
    for command in ("/usr/bin/", "/usr/bin/strace/"):
        with pytest.raises(_sudoers_write.SudoersInputError, match="normalized absolute path"):
            _sudoers_write.check_command(command)


def test_a_path_that_cannot_be_looked_up_is_an_error_not_an_absent_file(tree):
    tree.write("/etc/sudoers.d/plain", "x\n")
    with pytest.raises(_fileio.FileWriteError, match="cannot read .*: Not a directory"):
        _sudoers_write.read_file_state(str(tree / "/etc/sudoers.d/plain/debug-strace"))


@pytest.mark.parametrize("includes", [
    "@include /etc/sudoers.pipe\n",
    "@include /etc/sudoers.missing\n@include /etc/sudoers.pipe\n",   # a missing include does not end the look
])
def test_visudo_is_not_run_on_a_tree_that_includes_a_fifo(tree, includes):
    tree.write("/etc/sudoers", "root ALL=(ALL:ALL) ALL\n" + includes, mode=0o440)
    os.mkfifo(str(tree / "/etc/sudoers.pipe"))
    blocked = _sudoers_write.live_check_blocked(_sudoers.read_tree(str(tree)), str(tree))
    assert blocked is not None and "/etc/sudoers.pipe" in blocked


@pytest.mark.parametrize("over, message", [
    ({"not_after": "\u0662\u0660\u0669\u0669-01-01T00:00:00Z"}, "neither a duration"),   # found by the fuzz
    ({"commands": ["/usr/bin/str\x00ace"]}, "normalized absolute path"),
    ({"principals": ["%bad group"]}, "principal"),
    ({"runas": "ro ot"}, "runas"),
])
def test_absent_still_refuses_bad_input(over, message):
    with pytest.raises(_sudoers_write.SudoersInputError, match=message):
        _sudoers_write.plan(grant(state="absent", **over), host(owned(_sudoers_write.MARKER + "\n")), NOW)
