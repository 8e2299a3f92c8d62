# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""sudo-rs: which sudo the host runs, the tree read as sudo-rs 0.2.5 reads it (measured differences,
docs/verified-semantics.md "sudo-rs"), and sudoers_grant's refusals of what sudo-rs cannot enforce.

A cross-module dialect suite, the one exception to one test file per module_utils file: it follows the sudo-rs
dialect through _hoststate, _sudoers, _sudoers_match, _sudoers_write, _verdict and _attach on the same fixtures,
so that every measured sudo-rs difference is pinned in one place next to its neighbours."""

from __future__ import annotations

import datetime

import pytest

from ansible_collections.debugready.ptrace.plugins.module_utils import (
    _attach, _hoststate, _sudoers, _sudoers_match, _sudoers_write, _verdict,
)

NOW = datetime.datetime(2026, 11, 28, 12, 0, tzinfo=datetime.timezone.utc)
MAIN = "Defaults\tenv_reset\nroot\tALL=(ALL:ALL) ALL\n@includedir /etc/sudoers.d\n"
ALICE = {"name": "alice", "uid": 1501, "gid": 1501, "groups": ["alice", "dbg"], "gids": [1501, 1500]}
ROOT = {"name": "root", "uid": 0, "gid": 0, "groups": ["root"], "gids": [0]}
LOOKUP = {"alice": ALICE, "root": ROOT}.get


def answers(*outputs):
    """A runner that answers `sudo -V` with (rc, stdout, stderr)."""
    calls = []

    def run(argv):
        calls.append(argv)
        return outputs[0]
    run.calls = calls
    return run


# --- detection -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("output, expected", [
    # sudo-rs 0.2.5 prints its version on stderr, sudo on stdout.
    ((0, "", "sudo-rs 0.2.5\n"), {"name": "sudo-rs", "version": "0.2.5", "source": "sudo -V"}),
    ((0, "Sudo version 1.9.13p3\nSudoers policy plugin version 1.9.13p3\n", ""),
     {"name": "sudo", "version": "1.9.13p3", "source": "sudo -V"}),
    ((0, "Sudo version 1.9.16p2\n", ""), {"name": "sudo", "version": "1.9.16p2", "source": "sudo -V"}),
])
def test_implementation_from_sudo_v(tree, output, expected):
    tree.write("/usr/bin/sudo", "", mode=0o755)
    run = answers(output)
    assert _sudoers.implementation("/usr/bin/sudo", str(tree), run) == expected
    assert run.calls == [["/usr/bin/sudo", "-V"]]


@pytest.mark.parametrize("layout, name", [
    # Debian 13's sudo-rs package, and Ubuntu 25.10's alternatives pointing /usr/bin/sudo into it.
    ({"/usr/lib/cargo/bin/sudo": None, "/usr/bin/sudo": "/usr/lib/cargo/bin/sudo"}, "sudo-rs"),
    ({"/usr/lib/cargo/bin/sudo": None, "/etc/alternatives/sudo": "/usr/lib/cargo/bin/sudo",
      "/usr/bin/sudo": "/etc/alternatives/sudo"}, "sudo-rs"),
    ({"/usr/bin/sudo-rs": None, "/usr/bin/sudo": "sudo-rs"}, "sudo-rs"),
    ({"/usr/bin/sudo": None}, "sudo"),
])
def test_implementation_from_the_path_without_commands(tree, layout, name):
    for path, link in layout.items():
        if link is None:
            tree.write(path, "", mode=0o4755)
    for path, link in layout.items():
        if link is not None:
            target = str(tree) + link if link.startswith("/") else link
            tree.write(path, link=target)
    assert _sudoers.implementation("/usr/bin/sudo", str(tree)) == {"name": name, "version": None, "source": "path"}
    # A runner that does not recognise the answer falls back on the path too.
    assert _sudoers.implementation("/usr/bin/sudo", str(tree), answers((1, "", "")))["name"] == name


def test_no_sudo():
    assert _sudoers.implementation(None) == {"name": None, "version": None, "source": None}


def test_facts_say_sudo_rs_and_read_the_tree_as_sudo_rs(tree):
    tree.write("/etc/sudoers", MAIN, mode=0o440)
    tree.write("/etc/sudoers.d/t", "alice ALL=(root) NOTAFTER=20991231235959Z NOPASSWD: /usr/bin/strace\n", mode=0o440)
    tree.write("/usr/lib/cargo/bin/sudo", "", mode=0o4755)
    tree.write("/usr/bin/sudo", link=str(tree) + "/usr/lib/cargo/bin/sudo")
    tree.write("/usr/bin/cvtsudoers", "", mode=0o755)  # sudo's parser, present on a host with both sudos
    run = answers((0, "", "sudo-rs 0.2.5\n"))
    facts = _hoststate.sudoers_facts(str(tree), run, run, False, None, "web1", NOW)[0]
    assert facts["implementation"] == {"name": "sudo-rs", "version": "0.2.5", "source": "sudo -V"}
    assert facts["version"] == "0.2.5"
    assert run.calls == [["/usr/bin/sudo", "-V"]]  # cvtsudoers is not asked: it answers for sudo
    assert facts["parser"] == "python" and "sudo-rs" in facts["parser_problem"]
    # sudo-rs drops the NOTAFTER rule: no grant, an error on its line.
    assert [g["principal"] for g in facts["grants"]] == ["root"]
    assert facts["errors"] == [{"path": "/etc/sudoers.d/t", "line": 1,
                                "message": "NOTAFTER is not supported by sudo-rs"}]


# --- the tree as sudo-rs reads it --------------------------------------------------------------------------

def load(tree, files, implementation="sudo-rs", main=MAIN):
    for tool in ("strace", "gdb", "ltrace", "perf", "id"):
        tree.write("/usr/bin/" + tool, "", mode=0o755)
    tree.write("/etc/sudoers", main, mode=0o440)
    for path, text in files.items():
        if isinstance(text, bytes):
            full = tree.write(path, "", mode=0o440)
            with open(full, "wb") as handle:
                handle.write(text)
        else:
            tree.write(path, text, mode=0o440)
    policy = _sudoers.load(str(tree), "web1", implementation=implementation)
    policy.root = str(tree)
    return policy


def decide(policy, path="/usr/bin/strace", args=(), runas=None, account=None):
    account = account or ALICE
    return policy.decide(_sudoers_match.Request(account, path, list(args), runas=runas, hostname="web1", now=NOW,
                                                lookup=LOOKUP, root=policy.root))


@pytest.mark.parametrize("line, error", [
    ("alice ALL=(root) NOTAFTER=20991231235959Z NOPASSWD: /usr/bin/strace", "NOTAFTER is not supported by sudo-rs"),
    ("alice ALL=(root) NOTBEFORE=20200101000000Z /usr/bin/strace", "NOTBEFORE is not supported by sudo-rs"),
    ("alice ALL=(root) NOPASSWD: NOEXEC: /usr/bin/strace", "NOEXEC is not supported by sudo-rs"),
    ("alice ALL=(root) NOPASSWD: INTERCEPT: /usr/bin/strace", "INTERCEPT is not supported by sudo-rs"),
    ("alice ALL=(root) CHROOT=/ /usr/bin/strace", "CHROOT is not supported by sudo-rs"),
    ("alice ALL=(root) TIMEOUT=10 /usr/bin/strace", "TIMEOUT is not supported by sudo-rs"),
    ("alice ALL=(root) sha256:%s /usr/bin/strace" % ("0" * 64), "digest specifications are not supported by sudo-rs"),
    ("alice ALL=(root) /usr/bin/id, NOTAFTER=20991231235959Z /usr/bin/strace", "NOTAFTER is not supported by sudo-rs"),
    ("alice web*=(root) /usr/bin/strace", "sudo-rs accepts no wildcards in host names (\"expecting '='\")"),
    ("alice ALL=(root) /usr/bin/strace, \\\n  NOPASSWD", "NOPASSWD without its ':' (\"expecting ':'\")"),
])
def test_statements_sudo_rs_rejects_are_dropped_whole(tree, line, error):
    text = "alice ALL=(root) /usr/bin/gdb\n%s\nalice ALL=(root) /usr/bin/ltrace\n" % line
    rs = load(tree, {"/etc/sudoers.d/t": text})
    assert rs.errors == [{"path": "/etc/sudoers.d/t", "line": 2, "message": error}]
    assert decide(rs).allowed is False and decide(rs).certain
    # Only that statement: the rules around it stay.
    assert decide(rs, "/usr/bin/gdb").allowed is True and decide(rs, "/usr/bin/ltrace").allowed is True
    if "web*" not in line and "\\\n" not in line and "sha256" not in line:
        # sudo reads the same statement and grants strace (in force, or the options carry it).
        assert decide(load(tree, {"/etc/sudoers.d/t": text}, implementation=None)).allowed is not False


@pytest.mark.parametrize("tag", ["LOG_OUTPUT", "LOG_INPUT", "MAIL", "SETENV", "EXEC", "NOINTERCEPT"])
def test_tags_sudo_rs_accepts_keep_the_rule(tree, tag):
    rs = load(tree, {"/etc/sudoers.d/t": "alice ALL=(root) NOPASSWD: %s: /usr/bin/strace\n" % tag})
    assert rs.errors == [] and decide(rs).allowed is True


def test_a_grant_with_log_output_is_not_logged_under_sudo_rs(tree):
    files = {"/etc/sudoers.d/t": "alice ALL=(root) NOPASSWD: LOG_OUTPUT: /usr/bin/strace\n"}
    tools = {"strace": ["/usr/bin/strace"]}
    rs = _sudoers.compute_grants(load(tree, files), tools, "web1", NOW, root=str(tree))[0]
    sudo = _sudoers.compute_grants(load(tree, files, implementation=None), tools, "web1", NOW, root=str(tree))[0]
    assert [(g["principal"], g["log_output"]) for g in rs] == [("root", None), ("alice", False)]
    assert [(g["principal"], g["log_output"]) for g in sudo] == [("root", None), ("alice", True)]


@pytest.mark.parametrize("defaults, kept", [
    ("Defaults log_output", False), ("Defaults:alice !authenticate", False), ("Defaults runas_default=www-data", False),
    ("Defaults env_reset, log_output", False), ("Defaults use_pty", True), ("Defaults secure_path=\"/usr/bin\"", True),
])
def test_defaults_sudo_rs_rejects_are_dropped(tree, defaults, kept):
    rs = load(tree, {"/etc/sudoers.d/t": "%s\nalice ALL=(root) /usr/bin/strace\n" % defaults})
    assert bool(rs.errors) is not kept
    request = _sudoers_match.Request(ALICE, "/usr/bin/strace", [], hostname="web1", now=NOW, lookup=LOOKUP,
                                     root=rs.root)
    # `Defaults:alice !authenticate` would make the grant NOPASSWD under sudo; sudo-rs rejects it.
    assert rs.evaluator.nopasswd(rs.decide(request), request) is False


def test_a_nonunix_group_makes_every_answer_no(tree):
    rs = load(tree, {"/etc/sudoers.d/t": "alice ALL=(root) NOPASSWD: /usr/bin/strace\n%:ad ALL=(root) /usr/bin/gdb\n"})
    decision = decide(rs)
    assert decision.certain and decision.allowed is False
    assert "panics" in decision.as_dict()["sudo_fails"] and rs.as_dict()["sudo_fails"] == rs.fails
    assert decide(load(tree, {"/etc/sudoers.d/t": "alice ALL=(root) /usr/bin/strace\n"})).allowed is True


def test_include_forms(tree):
    tree.write("/etc/inc-web1", "alice ALL=(root) /usr/bin/strace\n", mode=0o440)
    tree.write("/etc/inc-%h", "alice ALL=(root) /usr/bin/gdb\n", mode=0o440)
    rs = load(tree, {}, main="root ALL=(ALL:ALL) ALL\n@include /etc/inc-%h\n")
    # sudo-rs does not expand %h: it reads a file named /etc/inc-%h.
    assert rs.files == ["/etc/sudoers", "/etc/inc-%h"]
    assert decide(rs).allowed is False and decide(rs, "/usr/bin/gdb").allowed is True
    assert load(tree, {}, implementation=None, main="root ALL=(ALL:ALL) ALL\n@include /etc/inc-%h\n").files == [
        "/etc/sudoers", "/etc/inc-web1"]


def test_an_include_with_a_trailing_comment_is_dropped(tree):
    files = {"/etc/sudoers.d/t": "alice ALL=(root) /usr/bin/strace\n"}
    rs = load(tree, files, main="root ALL=(ALL:ALL) ALL\n@includedir /etc/sudoers.d # drop-ins\n")
    assert "/etc/sudoers.d/t" not in rs.files and decide(rs).allowed is False
    assert {"path": "/etc/sudoers.d", "reason": "include_rejected_by_sudo_rs", "included_from": "/etc/sudoers",
            "line": 2} in rs.skipped
    # sudoers_grant would write a drop-in sudo-rs never reads: the directive does not count.
    assert not _sudoers_write.has_includedir(str(tree), "web1", rs.tree)
    quoted = load(tree, files, main="root ALL=(ALL:ALL) ALL\n@includedir \"/etc/sudoers.d\"\n")
    assert decide(quoted).allowed is True
    # sudo reads it.
    assert decide(load(tree, files, implementation=None,
                       main="root ALL=(ALL:ALL) ALL\n@includedir /etc/sudoers.d # drop-ins\n")).allowed is True


def test_a_file_that_is_not_utf8_is_skipped_whole(tree):
    rs = load(tree, {"/etc/sudoers.d/t": b"# caf\xe9\nalice ALL=(root) /usr/bin/strace\n"})
    assert {"path": "/etc/sudoers.d/t", "reason": "not_utf8", "included_from": "/etc/sudoers", "line": 3} in rs.skipped
    assert decide(rs).allowed is False


def test_matching_differences(tree):
    rs = load(tree, {"/etc/sudoers.d/t": "alice ALL=(root) /usr/bin/strace -p *\n"
                                         "alice ALL=(root) /usr/bin/gdb\\ -p 1\n"
                                         "alice WEB1=(root) /usr/bin/ltrace\n"
                                         "alice ALL=() /usr/bin/perf\n"})
    # No globbing of arguments.
    assert decide(rs, args=["-p", "1"]).allowed is False
    assert decide(rs, args=["-p", "*"]).certain is False
    # An escaped space ends the path: the rest are arguments.
    assert decide(rs, "/usr/bin/gdb", ["-p", "1"]).allowed is True
    # Host names match case-sensitively.
    assert decide(rs, "/usr/bin/ltrace").allowed is False
    # `()` without -u: the target is root, and () does not name it.
    assert decide(rs, "/usr/bin/perf").allowed is False
    assert decide(rs, "/usr/bin/perf", runas=ALICE).allowed is True
    sudo = load(tree, {}, implementation=None)
    assert decide(sudo, args=["-p", "1"]).allowed is True
    assert decide(sudo, "/usr/bin/gdb", ["-p", "1"]).allowed is False
    assert decide(sudo, "/usr/bin/ltrace").allowed is True
    assert decide(sudo, "/usr/bin/perf").allowed is True


def test_an_equals_sign_in_arguments_is_uncertain(tree):
    rs = load(tree, {"/etc/sudoers.d/t": "alice ALL=(root) /usr/bin/strace -e trace\\=open\n"})
    assert decide(rs, args=["-e", "trace=open"]).certain is False


# --- sudoers_grant ----------------------------------------------------------------------------------------

def grant(**over):
    params = dict((key, spec.get("default")) for key, spec in _sudoers_write.GRANT_OPTIONS.items())
    params.update(name="debug-strace", principals=["%debug"], commands=["/usr/bin/strace"], nopasswd=True)
    params.update(over)
    return params


def host(name="sudo-rs", version="0.2.5"):
    return _sudoers_write.Host("/etc/sudoers.d/debug-strace", visudo="/usr/sbin/visudo", commands={
        "/usr/bin/strace": _sudoers_write.CommandState("/usr/bin/strace", True, True, [])},
        implementation={"name": name, "version": version, "source": "sudo -V"})


@pytest.mark.parametrize("over, keyword", [
    ({"not_after": "8h"}, "does not support NOTAFTER"),
    ({"not_after": "2026-12-01T18:00:00Z"}, "does not support NOTAFTER"),
    ({"log_output": True}, "ignores it ('LOG_OUTPUT tags are ignored by sudo-rs')"),
    ({"log_output": True, "not_after": "8h"}, "NOTAFTER"),
])
def test_sudoers_grant_refuses_what_sudo_rs_cannot_enforce(over, keyword):
    with pytest.raises(_sudoers_write.SudoersHostError) as refused:
        _sudoers_write.plan(grant(**over), host(), NOW)
    assert "sudo-rs 0.2.5" in str(refused.value) and keyword in str(refused.value)
    # The same grant is written for sudo.
    assert _sudoers_write.plan(grant(**over), host("sudo", "1.9.13p3"), NOW).changed


def test_sudoers_grant_on_sudo_rs_without_time_box_or_log_warns():
    planned = _sudoers_write.plan(grant(), host(), NOW)
    assert planned.rule == "%debug ALL=(root) NOPASSWD: /usr/bin/strace"
    assert _sudoers_write.SUDO_RS_WARNING in planned.warnings
    assert _sudoers_write.SUDO_RS_WARNING not in _sudoers_write.plan(grant(), host("sudo"), NOW).warnings
    # A removal needs nothing of sudo-rs.
    assert not _sudoers_write.plan(grant(state="absent"), host(), NOW).changed


def test_read_host_asks_sudo_once_per_cache(tree):
    tree.write("/etc/sudoers", MAIN, mode=0o440)
    tree.mkdir("/etc/sudoers.d")
    tree.write("/usr/bin/sudo", "", mode=0o4755)
    tree.write("/usr/sbin/visudo", "", mode=0o755)
    run = answers((0, "", "sudo-rs 0.2.5\n"))
    cache = {}
    first = _sudoers_write.read_host(grant(), str(tree), "web1", cache, run)
    second = _sudoers_write.read_host(grant(name="other"), str(tree), "web1", cache, run)
    expected = {"name": "sudo-rs", "version": "0.2.5", "source": "sudo -V"}
    assert first.implementation == second.implementation == expected
    assert run.calls == [["/usr/bin/sudo", "-V"]]


# --- trace_check ------------------------------------------------------------------------------------------

def test_a_probe_refused_for_a_password_by_sudo_rs():
    found = _attach.interpret_strace(1, "", "sudo-rs: interactive authentication is required\n", 42)
    assert found["attached"] is False and found["errno"] == "sudo_password_required"


def test_a_refusal_explains_that_sudo_rs_fails_on_the_tree():
    model = {"allowed": False, "certain": True, "rule": None,
             "sudo_fails": "/etc/sudoers.d/t line 2 names a %:group: sudo-rs 0.2.5 panics on it"}
    text = _verdict.explain_sudo_refusal(ALICE, "root", "/usr/bin/strace", [], [], model)
    assert text.startswith("sudo says no: /etc/sudoers.d/t line 2 names a %:group: sudo-rs 0.2.5 panics")
