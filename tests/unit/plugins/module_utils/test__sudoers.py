# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""The sudoers tree as sudo reads it, the fallback parser, and the grants in it (tests/real checks it
against the real sudo; these pin the rules on fixture trees)."""

from __future__ import annotations

import datetime
import os

import pytest

from ansible_collections.debugready.ptrace.plugins.module_utils import _sudoers

NOW = datetime.datetime(2026, 11, 28, 12, 0, 0, tzinfo=datetime.timezone.utc)
TOOLS = {"strace": ["/usr/bin/strace"], "gdb": ["/usr/bin/gdb"]}
DEBIAN_MAIN = """\
Defaults\tenv_reset
Defaults\tsecure_path="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin"
root\tALL=(ALL:ALL) ALL
%sudo\tALL=(ALL:ALL) ALL
@includedir /etc/sudoers.d
"""


@pytest.fixture
def sudoers(tree):
    def write(path, text, mode=0o440, **kwargs):
        return tree.write(path, text, mode=mode, **kwargs)

    tree.sudo = write
    return tree


def grants_of(tree, hostname="web1", tools=None):
    loaded = _sudoers.load_tree(str(tree), hostname=hostname)
    grants, overridden = _sudoers.compute_grants(loaded, tools or TOOLS, hostname, NOW)
    return loaded, grants, overridden


def by_principal(grants):
    return dict((g["principal"], g) for g in grants)


def test_debian_default_tree_and_a_drop_in(sudoers):
    sudoers.sudo("/etc/sudoers", DEBIAN_MAIN)
    sudoers.sudo("/etc/sudoers.d/README", "# docs\n")
    sudoers.sudo("/etc/sudoers.d/debug", "%debug ALL=(root) NOTAFTER=20261201000000Z NOPASSWD: /usr/bin/strace\n")
    loaded, grants = grants_of(sudoers)[:2]
    assert loaded.files == ["/etc/sudoers", "/etc/sudoers.d/README", "/etc/sudoers.d/debug"]
    found = by_principal(grants)
    assert set(found) == {"root", "%sudo", "%debug"}
    assert found["%sudo"]["via"] == "all" and found["%sudo"]["tools"] == ["gdb", "strace"]
    assert found["%sudo"]["runas"] == ["ALL"] and found["%sudo"]["runas_groups"] == ["ALL"]
    debug = found["%debug"]
    assert debug["tools"] == ["strace"] and debug["via"] == "path"
    assert debug["nopasswd"] is True and debug["as_root"] is True
    assert debug["not_after"] == "20261201000000Z" and debug["not_after_utc"] == "2026-12-01T00:00:00Z"
    assert debug["expired"] is False
    assert (debug["source"], debug["line"]) == ("/etc/sudoers.d/debug", 1)


@pytest.mark.parametrize("name, reason", [
    ("debug.conf", "name_contains_dot"),
    (".hidden", "name_contains_dot"),
    ("debug~", "name_ends_with_tilde"),
])
def test_includedir_skips_names_silently(sudoers, name, reason):
    sudoers.sudo("/etc/sudoers", DEBIAN_MAIN)
    sudoers.sudo("/etc/sudoers.d/" + name, "%debug ALL=(root) NOPASSWD: /usr/bin/strace\n")
    loaded, grants = grants_of(sudoers)[:2]
    assert loaded.skipped == [{"path": "/etc/sudoers.d/" + name, "reason": reason,
                               "included_from": "/etc/sudoers", "line": 5}]
    assert "%debug" not in by_principal(grants)


def test_includedir_skips_directories_and_dangling_links_follows_good_links(sudoers):
    sudoers.sudo("/etc/sudoers", DEBIAN_MAIN)
    sudoers.mkdir("/etc/sudoers.d/subdir")
    sudoers.write("/etc/sudoers.d/dangling", link="/nowhere")
    sudoers.sudo("/etc/debug-rules", "%debug ALL=(root) /usr/bin/gdb\n")
    sudoers.write("/etc/sudoers.d/linked", link="../debug-rules")
    loaded, grants = grants_of(sudoers)[:2]
    assert {s["path"]: s["reason"] for s in loaded.skipped} == {
        "/etc/sudoers.d/dangling": "not_regular_file", "/etc/sudoers.d/subdir": "not_regular_file"}
    assert by_principal(grants)["%debug"]["tools"] == ["gdb"]
    assert by_principal(grants)["%debug"]["nopasswd"] is False


@pytest.mark.parametrize("mode, uid, gid, reason", [
    (0o440, 65534, 0, "unsafe_owner"),
    (0o666, 0, 0, "world_writable"),
    (0o460, 0, 65534, "group_writable"),
])
def test_files_sudo_refuses_for_owner_or_mode(sudoers, mode, uid, gid, reason):
    sudoers.sudo("/etc/sudoers", DEBIAN_MAIN)
    sudoers.sudo("/etc/sudoers.d/debug", "%debug ALL=(root) /usr/bin/strace\n", mode=mode, uid=uid, gid=gid)
    loaded, grants = grants_of(sudoers)[:2]
    assert [s["reason"] for s in loaded.skipped] == [reason]
    assert "%debug" not in by_principal(grants)


def test_modes_sudo_reads_but_visudo_rejects(sudoers):
    sudoers.sudo("/etc/sudoers", DEBIAN_MAIN)
    sudoers.sudo("/etc/sudoers.d/debug", "%debug ALL=(root) /usr/bin/strace\n", mode=0o644)
    sudoers.sudo("/etc/sudoers.d/gwrite", "%debug ALL=(root) /usr/bin/gdb\n", mode=0o460)
    loaded, grants = grants_of(sudoers)[:2]
    assert loaded.skipped == []
    assert [(p["path"], p["mode"]) for p in loaded.visudo_mode_problems] == [
        ("/etc/sudoers.d/debug", "0644"), ("/etc/sudoers.d/gwrite", "0460")]
    assert by_principal(grants)["%debug"]


def test_include_forms_relative_hostname_loop_and_double(sudoers):
    sudoers.sudo("/etc/sudoers", "#include sudoers.local\n@include \"/etc/sudo-%h\"\n"
                                 "#includedir /etc/sudoers.d\n@includedir /etc/sudoers.d\n#include /etc/missing\n")
    sudoers.sudo("/etc/sudoers.local", "alice ALL=(root) /usr/bin/strace\n#include /etc/sudoers.local\n")
    sudoers.sudo("/etc/sudo-web1", "bob ALL=(root) /usr/bin/gdb\n")
    sudoers.sudo("/etc/sudoers.d/debug", "carol ALL=(root) /usr/bin/strace\n")
    loaded, grants = grants_of(sudoers, hostname="web1.example.org")[:2]
    assert loaded.files == ["/etc/sudoers", "/etc/sudoers.local", "/etc/sudo-web1",
                            "/etc/sudoers.d/debug", "/etc/sudoers.d/debug"]
    reasons = dict((s["path"], s["reason"]) for s in loaded.skipped)
    assert reasons == {"/etc/sudoers.local": "include_loop", "/etc/missing": "missing"}
    assert loaded.double_includes == [{"path": "/etc/sudoers.d/debug", "included_from": "/etc/sudoers", "line": 4}]
    assert set(by_principal(grants)) == {"alice", "bob", "carol"}
    assert len([g for g in grants if g["principal"] == "carol"]) == 1


def test_missing_main_file(tree):
    loaded = _sudoers.load_tree(str(tree))
    assert loaded.skipped == [{"path": "/etc/sudoers", "reason": "missing", "included_from": None, "line": None}]


def test_aliases_negation_and_last_match(sudoers):
    sudoers.sudo("/etc/sudoers", """\
User_Alias DEBUGGERS = alice, %debug
Cmnd_Alias TRACERS = /usr/bin/strace, /usr/bin/gdb : SHELLS = /bin/sh
Cmnd_Alias NOTRACE = ALL, !TRACERS
Runas_Alias WEB = www-data
DEBUGGERS ALL=(WEB) NOPASSWD: TRACERS
dave ALL=(ALL) NOPASSWD: ALL
dave ALL=(ALL) !/usr/bin/strace
erin ALL=(ALL) !/usr/bin/strace
erin ALL=(ALL) /usr/bin/strace
frank ALL=(ALL) NOTRACE
ALL, !gina ALL=(root) /usr/bin/gdb
""")
    grants, overridden = grants_of(sudoers)[1:]
    by = dict(((g["principal"], g["line"]), g) for g in grants)
    assert by[("alice", 5)]["via"] == "alias" and by[("alice", 5)]["alias"] == "TRACERS"
    assert by[("%debug", 5)]["runas"] == ["www-data"] and by[("%debug", 5)]["as_root"] is False
    # One record per rule and principal: the alias's commands together.
    assert [(g["tools"], g["commands"]) for g in grants if g["principal"] == "alice"] == [
        (["gdb", "strace"], ["/usr/bin/strace", "/usr/bin/gdb"])]
    # dave: ALL then !strace: last match wins, only gdb is left.
    assert by[("dave", 6)]["tools"] == ["gdb"]
    assert [(o["principal"], o["tools"], o["overridden_by"]) for o in overridden] == [
        ("dave", ["strace"], "/etc/sudoers:7"), ("frank", ["gdb", "strace"], "/etc/sudoers:10")]
    # erin: a deny followed by an allow leaves the allow in force.
    assert by[("erin", 9)]["tools"] == ["strace"]
    # frank: ALL minus the tracers through a negated alias inside an alias.
    assert ("frank", 10) not in by
    assert by[("ALL", 11)]["excluded"] == ["gina"]


def test_user_list_last_match_inclusion_order(sudoers):
    sudoers.sudo("/etc/sudoers", "!bob, ALL ALL=(root) /usr/bin/strace\n")
    grants = grants_of(sudoers)[1]
    assert [(g["principal"], g["excluded"]) for g in grants] == [("ALL", [])]


def test_tags_runas_and_options_carry_over_in_a_list(sudoers):
    sudoers.sudo("/etc/sudoers", "%dbg ALL=(root) NOTAFTER=20000101000000Z NOPASSWD: /usr/bin/id, \\\n"
                                 "    (www-data) /usr/bin/strace, PASSWD: /usr/bin/gdb\n")
    grants = grants_of(sudoers)[1]
    strace = [g for g in grants if g["tools"] == ["strace"]][0]
    gdb = [g for g in grants if g["tools"] == ["gdb"]][0]
    assert strace["runas"] == ["www-data"] and strace["nopasswd"] is True
    assert strace["expired"] is True and strace["line"] == 1
    assert gdb["runas"] == ["www-data"] and gdb["nopasswd"] is False and gdb["expired"] is True


@pytest.mark.parametrize("value, utc, zone", [
    ("20261201000000Z", "2026-12-01T00:00:00Z", True),
    ("2026120100Z", "2026-12-01T00:00:00Z", True),
    ("202612010130+0100", "2026-12-01T00:30:00Z", True),
    ("20261201000000", "2026-11-30T22:00:00Z", False),
    ("20261201000000+01", "2026-11-30T23:00:00Z", True),
    ("2099123124Z", "2100-01-01T00:00:00Z", True),
])
def test_gentime_forms(value, utc, zone):
    moment, had_zone = _sudoers.parse_gentime(value, local_offset=datetime.timedelta(hours=2))
    assert moment.strftime("%Y-%m-%dT%H:%M:%SZ") == utc
    assert had_zone is zone


@pytest.mark.parametrize("value", ["2026", "20261301000000Z", "tomorrow", "20261201000000Q", "20991231Z",
                                   "20991231000000z", "2099-12-31T00:00:00Z", "\u0662\u0660\u0669\u0669123100Z"])
def test_gentime_rejects(value):
    with pytest.raises(_sudoers.SudoersSyntaxError):
        _sudoers.parse_gentime(value)


def test_format_gentime_round_trip():
    moment = datetime.datetime(2026, 12, 1, 8, 30, tzinfo=datetime.timezone.utc)
    assert _sudoers.format_gentime(moment) == "20261201083000Z"
    assert _sudoers.parse_gentime("20261201083000Z")[0] == moment


def test_expired_and_local_time_grants(sudoers):
    sudoers.sudo("/etc/sudoers", "alice ALL=(root) NOTAFTER=20261101000000Z /usr/bin/strace\n"
                                 "bob ALL=(root) NOTAFTER=20271101000000 /usr/bin/strace\n"
                                 "carol ALL=(root) NOTAFTER=bogus /usr/bin/strace\n")
    grants = grants_of(sudoers)[1]
    found = by_principal(grants)
    assert found["alice"]["expired"] is True
    assert found["bob"]["expired"] is False and found["bob"]["not_after_has_zone"] is False
    assert found["carol"]["expired"] is None


def test_hosts(sudoers):
    sudoers.sudo("/etc/sudoers", "Host_Alias WEB = web1, web2\n"
                                 "alice WEB=(root) /usr/bin/strace\n"
                                 "bob db1=(root) /usr/bin/strace\n"
                                 "carol 10.0.0.0/8=(root) /usr/bin/strace\n"
                                 "dave ALL, !web1=(root) /usr/bin/strace\n")
    grants = grants_of(sudoers, hostname="web1.example.org")[1]
    found = by_principal(grants)
    assert found["alice"]["host_matches"] is True
    assert "bob" not in found and "dave" not in found
    assert found["carol"]["host_matches"] is None


def test_commands_matching_tools(sudoers):
    sudoers.write("/usr/bin/strace", "")
    sudoers.write("/usr/bin/gdb", "")
    sudoers.sudo("/etc/sudoers", """\
a ALL=(root) /usr/bin/strace -p *
b ALL=(root) /usr/bin/
c ALL=(root) /usr/bin/s*
d ALL=(root) /usr/local/bin/strace
e ALL=(root) /usr/bin/vim
f ALL=(root) sha224:0GomF8mNN3wlDt1HD9XldjJ3SNgpFdbjO1+NsQ== /usr/bin/gdb
g ALL=(root) /usr/bin/strace ""
# h ALL=(root) /usr/bin/strace
#1000 ALL=(root) /usr/bin/gdb  # uid 1000, and a trailing comment
""")
    grants = grants_of(sudoers)[1]
    found = by_principal(grants)
    assert found["a"]["commands"] == ["/usr/bin/strace -p *"]
    assert found["b"]["tools"] == ["gdb", "strace"]
    assert found["c"]["tools"] == ["strace"]
    # A path that does not exist runs nothing: sudo matches commands by inode.
    assert "d" not in found
    assert "e" not in found and "h" not in found
    assert found["f"]["tools"] == ["gdb"]
    assert found["g"]["commands"] == ['/usr/bin/strace ""']
    assert found["#1000"]["tools"] == ["gdb"]


def test_escapes_multiple_host_specs_and_defaults(sudoers):
    sudoers.sudo("/etc/sudoers", "Defaults:%debug log_output, !requiretty, iolog_dir=/var/log/sudo-io\n"
                                 "alice web1 = (root) /usr/bin/strace : db1 = (root) /usr/bin/gdb\n"
                                 "bob ALL=(root) /usr/bin/strace -e trace\\=open\n")
    loaded, grants = grants_of(sudoers)[:2]
    entry = loaded.defaults[0]
    assert (entry.binding_kind, [m.text() for m in entry.binding]) == ("user", ["%debug"])
    assert entry.options == [("log_output", True), ("requiretty", False), ("iolog_dir", "/var/log/sudo-io")]
    assert [g["tools"] for g in grants if g["principal"] == "alice"] == [["strace"]]
    assert by_principal(grants)["bob"]["commands"] == ["/usr/bin/strace -e trace=open"]


@pytest.mark.parametrize("line", [
    "alice ALL=(root /usr/bin/strace",
    "alice ALL=(root) NOPASSWD:",
    "alice ALL (root) /usr/bin/strace",
    "User_Alias lower = alice",
    'alice ALL=(root) "/usr/bin/strace',
])
def test_parse_errors_are_collected_not_raised(sudoers, line):
    sudoers.sudo("/etc/sudoers", line + "\nbob ALL=(root) /usr/bin/strace\n")
    loaded, grants = grants_of(sudoers)[:2]
    assert [e["line"] for e in loaded.errors] == [1]
    assert by_principal(grants)["bob"]


def test_log_output_tag(sudoers):
    sudoers.sudo("/etc/sudoers", "%debug ALL=(root) LOG_OUTPUT: NOPASSWD: /usr/bin/strace\n")
    grants = grants_of(sudoers)[1]
    assert grants[0]["log_output"] is True and grants[0]["nopasswd"] is True


@pytest.mark.parametrize("name, reason", [("debug", None), ("debug.conf", "name_contains_dot"),
                                          ("x~", "name_ends_with_tilde"), (".x", "name_contains_dot")])
def test_skip_reason_for_name(name, reason):
    assert _sudoers.skip_reason_for_name(name) == reason


# --- semantics measured against the real sudo 1.9.13p3 (tests/real/test_sudoers_differential.py) ---

def test_a_comment_ends_at_the_newline_even_after_a_backslash(sudoers):
    sudoers.sudo("/etc/sudoers", "# a comment ending in a backslash \\\nalice ALL=(root) NOPASSWD: /usr/bin/strace\n")
    assert [g["principal"] for g in grants_of(sudoers)[1]] == ["alice"]


def test_includedir_with_a_trailing_comment_and_indented_forms(sudoers):
    sudoers.sudo("/etc/sudoers", "@includedir /etc/sudoers.d # the drop-ins\n"
                                 "  #includedir /etc/commented\n"
                                 "  @include /etc/indented\n")
    sudoers.sudo("/etc/sudoers.d/a", "alice ALL=(root) /usr/bin/strace\n")
    sudoers.sudo("/etc/commented/b", "bob ALL=(root) /usr/bin/strace\n")
    sudoers.sudo("/etc/indented", "carol ALL=(root) /usr/bin/strace\n")
    loaded, grants = grants_of(sudoers)[:2]
    assert loaded.files == ["/etc/sudoers", "/etc/sudoers.d/a", "/etc/indented"]
    assert sorted(g["principal"] for g in grants) == ["alice", "carol"]


def test_a_hash_right_after_a_command_path_starts_a_comment(sudoers):
    sudoers.sudo("/etc/sudoers", "alice ALL=(root) NOPASSWD: /usr/bin/strace# why\n"
                                 "#1000 ALL=(root) /usr/bin/gdb\n")
    grants = by_principal(grants_of(sudoers)[1])
    assert grants["alice"]["commands"] == ["/usr/bin/strace"]
    assert grants["#1000"]["tools"] == ["gdb"]


def test_equals_and_escaped_commas_inside_command_arguments(sudoers):
    sudoers.sudo("/etc/sudoers", "alice ALL=(root) /usr/bin/strace -e trace=open\n"
                                 "bob ALL=(root) /usr/bin/strace -e trace\\=open\\,close, /usr/bin/gdb\n")
    loaded, grants = grants_of(sudoers)[:2]
    assert loaded.errors == []
    commands = [(g["principal"], g["commands"]) for g in grants]
    assert commands == [("alice", ["/usr/bin/strace -e trace=open"]),
                        ("bob", ["/usr/bin/strace -e trace=open,close"]), ("bob", ["/usr/bin/gdb"])]


@pytest.mark.parametrize("deny", [
    "alice ALL=(root) !/usr/bin/strace -p 1",        # only some arguments
    "alice ALL=(www-data) !/usr/bin/strace",         # another run-as user
    "alice ALL=(root) !/usr/local/bin/strace",       # another path with the same base name
    "bob ALL=(root) !/usr/bin/strace",               # another user
    "alice otherhost=(root) !/usr/bin/strace",       # another host
    "alice ALL=(root) NOTAFTER=20200101000000Z !/usr/bin/strace",  # a deny out of force
])
def test_a_deny_that_does_not_cover_the_grant_leaves_it_live(sudoers, deny):
    sudoers.sudo("/etc/sudoers", "alice ALL=(root) NOPASSWD: /usr/bin/strace\n%s\n" % deny)
    grants, overridden = grants_of(sudoers)[1:]
    assert [(g["principal"], g["tools"]) for g in grants if g["principal"] == "alice"] == [("alice", ["strace"])]
    assert overridden == []


@pytest.mark.parametrize("deny", [
    "alice ALL=(root) !/usr/bin/strace",
    "ALL ALL=(ALL) !/usr/bin/strace",
    "alice ALL=(root) !ALL",
])
def test_a_deny_that_covers_the_grant_overrides_it(sudoers, deny):
    sudoers.sudo("/etc/sudoers", "alice ALL=(root) NOPASSWD: /usr/bin/strace\n%s\n" % deny)
    grants, overridden = grants_of(sudoers)[1:]
    assert [g for g in grants if g["principal"] == "alice" and "strace" in g["tools"]] == []
    assert [(o["principal"], o["tools"], o["overridden_by"]) for o in overridden] == [
        ("alice", ["strace"], "/etc/sudoers:2")]


@pytest.mark.parametrize("mode, uid, gid, reason", [
    (0o777, 0, 0, "directory_world_writable"),
    (0o755, 65534, 0, "directory_unsafe_owner"),
    (0o775, 0, 65534, "directory_group_writable"),
])
def test_an_included_directory_sudo_skips_is_not_read(sudoers, mode, uid, gid, reason):
    sudoers.sudo("/etc/sudoers", DEBIAN_MAIN)
    sudoers.sudo("/etc/sudoers.d/debug", "%debug ALL=(root) NOPASSWD: /usr/bin/strace\n")
    directory = sudoers / "/etc/sudoers.d"
    os.chmod(directory, mode)
    os.chown(directory, uid, gid)
    loaded, grants = grants_of(sudoers)[:2]
    assert loaded.skipped == [{"path": "/etc/sudoers.d", "reason": reason, "included_from": "/etc/sudoers",
                               "line": 5}]
    assert "%debug" not in by_principal(grants)


def test_a_trailing_backslash_on_the_last_line_does_not_join_the_next_file(sudoers):
    sudoers.sudo("/etc/sudoers", "@includedir /etc/sudoers.d\n")
    sudoers.sudo("/etc/sudoers.d/a", "alice ALL=(root) /usr/bin/strace \\")
    sudoers.sudo("/etc/sudoers.d/b", "bob ALL=(root) /usr/bin/gdb\n")
    grants = by_principal(grants_of(sudoers)[1])
    assert grants["bob"]["source"] == "/etc/sudoers.d/b"


def test_non_utf8_bytes_are_read_not_fatal(sudoers):
    sudoers.sudo("/etc/sudoers", "# caf\xe9\n")
    with open(sudoers / "/etc/sudoers", "ab") as handle:
        handle.write(b"# \xff\xfe\nalice ALL=(root) /usr/bin/strace\n")
    loaded, grants = grants_of(sudoers)[:2]
    assert loaded.errors == [] and by_principal(grants)["alice"]


def test_hostile_tree_shapes_do_not_raise(sudoers):
    sudoers.sudo("/etc/sudoers", "@include /etc/sudoers\n@includedir /proc/self/fd\n@include /dev/null\n"
                                 "@includedir /etc/sudoers\n@include /etc/dir-not-file\n")
    sudoers.mkdir("/etc/dir-not-file")
    loaded = grants_of(sudoers)[0]
    reasons = [(s["path"], s["reason"]) for s in loaded.skipped]
    assert ("/etc/sudoers", "include_loop") in reasons
    assert ("/etc/sudoers", "not_a_directory") in reasons
    assert ("/etc/dir-not-file", "not_regular_file") in reasons
    assert loaded.tree.uncertain  # sudo re-reads a looping file until its depth limit: answers are unsure


def test_statement_lines_follow_continuations():
    segment = ("/etc/x", 10, "a \\\nb \\\nc\nd")
    assert list(_sudoers._statement_lines(segment, 11)) == [10, 11, 12]
    assert list(_sudoers._statement_lines(segment, 13)) == [13]
