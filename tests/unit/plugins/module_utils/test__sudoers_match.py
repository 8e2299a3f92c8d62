# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""sudo's matching rules on fixture trees (tests/real/test_sudoers_differential.py proves them against sudo)."""

from __future__ import annotations

import base64
import datetime
import hashlib
import os
import time

import pytest

from ansible_collections.debugready.ptrace.plugins.module_utils import _sudoers, _sudoers_match

NOW = datetime.datetime(2026, 11, 28, 12, 0, tzinfo=datetime.timezone.utc)
ALICE = {"name": "alice", "uid": 1501, "gid": 1501, "groups": ["alice", "dbg"], "gids": [1501, 1500]}
BOB = {"name": "bob", "uid": 1502, "gid": 1504, "groups": ["ops"], "gids": [1504]}
WWW = {"name": "www-data", "uid": 33, "gid": 33, "groups": ["www-data"], "gids": [33]}
ACCOUNTS = {"alice": ALICE, "bob": BOB, "www-data": WWW}


@pytest.fixture
def host(tree):
    """A fixture root with /usr/bin/strace and gdb, /bin -> usr/bin (merged /usr) and another strace."""
    tree.write("/usr/bin/strace", "strace binary\n", mode=0o755)
    tree.write("/usr/bin/gdb", "gdb binary\n", mode=0o755)
    tree.write("/usr/local/bin/strace", "another strace\n", mode=0o755)
    os.symlink("usr/bin", tree / "/bin")

    def decide(rules, user=None, path="/usr/bin/strace", args=("-p", "1"), runas=None, hostname="web1"):
        user = user or ALICE
        tree.write("/etc/sudoers", rules, mode=0o440)
        policy = _sudoers.load(str(tree), hostname)
        request = _sudoers_match.Request(user, path, list(args), runas=ACCOUNTS.get(runas), hostname=hostname,
                                         now=NOW, root=str(tree), lookup=ACCOUNTS.get)
        decision = policy.decide(request)
        decision.nopasswd = policy.evaluator.nopasswd(decision, request)
        return decision

    tree.decide = decide
    return tree


@pytest.mark.parametrize("rules, allowed", [
    ("alice ALL=(ALL) ALL\nalice ALL=(ALL) !/usr/bin/strace\n", False),
    ("alice ALL=(ALL) !/usr/bin/strace\nalice ALL=(ALL) ALL\n", True),
    ("alice ALL=(ALL) ALL, !/usr/bin/strace\n", False),
    ("alice ALL=(ALL) !/usr/bin/strace, ALL\n", True),
    ("!alice, ALL ALL=(ALL) /usr/bin/strace\n", True),     # the last member that matches decides
    ("ALL, !alice ALL=(ALL) /usr/bin/strace\n", False),
    ("%dbg ALL=(ALL) /usr/bin/strace\n", True),             # a supplementary group
    ("%#1500 ALL=(ALL) /usr/bin/strace\n", True),
    ("#1501 ALL=(ALL) /usr/bin/strace\n", True),
])
def test_last_match_wins_in_lists_and_rules(host, rules, allowed):
    decision = host.decide(rules)
    assert decision.certain and decision.allowed is allowed


@pytest.mark.parametrize("rules, allowed", [
    ("alice ALL=(root) /usr/bin/strace, !/usr/bin/strace -p 1\n", False),
    ("alice ALL=(root) /usr/bin/strace, !/usr/bin/strace -p 2\n", True),
    ("alice ALL=(root) /usr/bin/strace\nalice ALL=(www-data) !/usr/bin/strace\n", True),
    ("alice ALL=(root) /usr/bin/strace, !/usr/local/bin/strace\n", True),   # same base name, other file
    ("alice ALL=(root) /usr/bin/strace, !/bin/strace\n", False),            # the same file on a merged /usr
    ("alice ALL=(root) /usr/bin/strace -p *\n", True),
    ('alice ALL=(root) /usr/bin/strace ""\n', False),
    ("alice ALL=(root) /usr/bin/\n", True),
    ("alice ALL=(root) /usr/bin/s*\n", True),
    ("alice ALL=(root) /opt/strace\n", False),                               # does not exist: matches nothing
])
def test_commands_match_by_inode_and_arguments_by_pattern(host, rules, allowed):
    decision = host.decide(rules)
    assert decision.certain and decision.allowed is allowed


def test_a_rule_out_of_its_window_is_passed_over_not_a_deny(host):
    rules = "alice ALL=(root) NOPASSWD: /usr/bin/strace\nalice ALL=(root) NOTAFTER=20200101000000Z !/usr/bin/strace\n"
    decision = host.decide(rules)
    assert decision.allowed is True and decision.nopasswd is True
    assert host.decide("alice ALL=(root) NOTBEFORE=20991231000000Z /usr/bin/strace\n").allowed is False


def test_options_carry_over_to_the_next_command(host):
    decision = host.decide("alice ALL=(root) NOTAFTER=20200101000000Z /usr/bin/gdb, /usr/bin/strace\n")
    assert decision.certain and decision.allowed is False


@pytest.mark.parametrize("rules, runas, allowed", [
    ("alice ALL=(www-data) /usr/bin/strace\n", None, False),
    ("alice ALL=(www-data) /usr/bin/strace\n", "www-data", True),
    ("alice ALL=(ALL, !www-data) /usr/bin/strace\n", "www-data", False),
    ("alice ALL= /usr/bin/strace\n", None, True),
    ("Defaults runas_default=www-data\nalice ALL= /usr/bin/strace\n", None, True),
    ("Defaults runas_default=www-data\nalice ALL=(root) /usr/bin/strace\n", None, False),
    ("alice ALL=() /usr/bin/strace\n", None, True),
    ("alice ALL=(:dbg) /usr/bin/strace\n", None, False),
])
def test_run_as(host, rules, runas, allowed):
    decision = host.decide(rules, runas=runas)
    assert decision.certain and decision.allowed is allowed


def test_hosts(host):
    assert host.decide("alice web1=(ALL) /usr/bin/strace\n").allowed is True
    assert host.decide("alice ALL, !web1=(ALL) /usr/bin/strace\n").allowed is False
    assert host.decide("alice WEB*=(ALL) /usr/bin/strace\n").allowed is True  # patterns ignore case


@pytest.mark.parametrize("rules, because", [
    ("+admins ALL=(ALL) /usr/bin/strace\n", "netgroup"),
    ("alice 10.0.0.0/8=(ALL) /usr/bin/strace\n", "host 10.0.0.0/8"),
    ("alice ALL=(ALL) ^/usr/bin/s.*$\n", "regular expression"),
])
def test_what_cannot_be_known_here_is_said_not_guessed(host, rules, because):
    decision = host.decide(rules)
    assert decision.certain is False and decision.allowed is None
    assert any(because in reason for reason in decision.because)


def test_a_later_certain_rule_still_decides_after_an_unknown_one(host):
    decision = host.decide("+admins ALL=(ALL) /usr/bin/strace\nalice ALL=(ALL) !/usr/bin/strace\n")
    assert decision.certain and decision.allowed is False
    assert decision.decider[0].line == 2


def test_digests_are_computed(host):
    digest = hashlib.sha256(b"strace binary\n").hexdigest()
    assert host.decide("alice ALL=(ALL) sha256:%s /usr/bin/strace\n" % digest).allowed is True
    assert host.decide("alice ALL=(ALL) sha256:%s /usr/bin/strace\n" % ("0" * 64)).allowed is False


def test_nopasswd_from_the_deciding_rule_and_defaults(host):
    assert host.decide("alice ALL=(ALL) NOPASSWD: /usr/bin/strace\n").nopasswd is True
    assert host.decide("alice ALL=(ALL) /usr/bin/strace\n").nopasswd is False
    assert host.decide("Defaults !authenticate\nalice ALL=(ALL) /usr/bin/strace\n").nopasswd is True
    assert host.decide("Defaults:alice !authenticate\nalice ALL=(ALL) /usr/bin/strace\n").nopasswd is None
    # Measured: sudo asks no password of a user who does not change identity (`()` runs the user as themselves).
    assert host.decide("alice ALL=() /usr/bin/strace\n").nopasswd is True


@pytest.mark.parametrize("pattern, text, expected", [
    ("-p *", "-p 1", True), ("-p *", "-p 1 -o /etc/passwd", True), ("-p *", "-o x -p 1", False),
    ("-p [0-9]", "-p 7", True), ("-p [!0-9]", "-p 7", False), ("trace\\=open", "trace=open", True),
    ("a?c", "abc", True), ("[[:digit:]]", "1", None),
])
def test_fnmatch(pattern, text, expected):
    assert _sudoers_match.fnmatch(pattern, text) is expected


def test_fnmatch_pathname_keeps_slashes():
    assert _sudoers_match.fnmatch("/usr/bin/*", "/usr/bin/strace", pathname=True) is True
    assert _sudoers_match.fnmatch("/usr/*", "/usr/bin/strace", pathname=True) is False


# --- found by mutation testing (scripts/mutation, docs/mutation.md): each pins a decision no test fixed ---

@pytest.mark.parametrize("rules, allowed", [
    # A glob that ends in "/" names directories: the user's command in any of them (measured, sudo 1.9.13p3:
    # "alice ALL=(root) /usr/b*/" lists /usr/bin/strace). It was answered "certainly denied".
    ("alice ALL=(root) /usr/b*/\n", True),
    ("alice ALL=(root) /usr/*/\n", True),
    ("alice ALL=(root) /u*/bin/\n", True),
    ("alice ALL=(root) /b?n/\n", True),              # /bin -> usr/bin: the same file
    ("alice ALL=(root) /usr/l*/\n", False),          # /usr/local holds no strace
    ("alice ALL=(root) /usr/local/*/\n", False),     # /usr/local/bin/strace is another file
    ("alice ALL=(root) /usr/bin/, !/usr/b*/\n", False),
])
def test_a_glob_directory_spec_matches_the_command_in_the_directories(host, rules, allowed):
    decision = host.decide(rules)
    assert decision.certain and decision.allowed is allowed


@pytest.mark.parametrize("rules, runas, allowed", [
    # measured with sudo 1.9.13p3 (sudo -l -U alice [-u R])
    ("alice ALL=() /usr/bin/strace\n", "bob", False),       # an empty run-as list: yourself only
    ("alice ALL=() /usr/bin/strace\n", "www-data", False),
    ('Defaults runas_default="#1502"\nalice ALL= /usr/bin/strace\n', "bob", True),   # a uid compared as equal
    ('Defaults runas_default="#1502"\nalice ALL= /usr/bin/strace\n', "www-data", False),
])
def test_run_as_yourself_and_a_default_given_by_uid(host, rules, runas, allowed):
    decision = host.decide(rules, runas=runas)
    assert decision.certain and decision.allowed is allowed


@pytest.mark.parametrize("rules, args, allowed", [
    ('alice ALL=(root) /usr/bin/strace ""\n', (), True),   # "" allows the command without arguments only
    ('alice ALL=(root) /usr/bin/strace ""\n', ("-p", "1"), False),
    ("alice ALL=(root) /usr/bin/strace -p [0-9]*\n", ("-p", "17"), True),
    ("alice ALL=(root) /usr/bin/strace -p [0-9]*\n", ("-p", "x"), False),
])
def test_argument_patterns(host, rules, args, allowed):
    decision = host.decide(rules, args=args)
    assert decision.certain and decision.allowed is allowed


def test_a_link_with_another_name_is_another_command(host):
    # sudo compares base names before inodes (measured: a rule for /usr/bin/zz -> strace does not allow strace).
    os.symlink("strace", host / "/usr/bin/zz")
    os.symlink("strace", host / "/usr/bin/aa")
    for name in ("zz", "aa"):
        decision = host.decide("alice ALL=(root) /usr/bin/%s\n" % name)
        assert decision.certain and decision.allowed is False


@pytest.mark.parametrize("rules, allowed", [
    # measured with sudo 1.9.13p3: fast_glob matches the pattern against the path as typed (no /bin -> usr/bin),
    # only a global Defaults sets it, and another option's value is not fast_glob's
    ("alice ALL=(root) /b?n/strace\n", True),
    ("Defaults fast_glob\nalice ALL=(root) /b?n/strace\n", False),
    ("Defaults:alice fast_glob\nalice ALL=(root) /b?n/strace\n", True),
    ("Defaults:bob fast_glob\nalice ALL=(root) /b?n/strace\n", True),
    ("Defaults env_reset\nalice ALL=(root) /usr/b*/\n", True),
    ("Defaults fast_glob\nDefaults env_reset\nalice ALL=(root) /b?n/strace\n", False),
])
def test_fast_glob_only_from_a_global_defaults(host, rules, allowed):
    decision = host.decide(rules)
    assert decision.certain and decision.allowed is allowed


def test_a_pattern_fast_glob_cannot_read_is_uncertain_with_its_reason(host):
    # A character class (":" escaped, as sudo wants it; measured: sudo allows /usr/bin/strace here).
    decision = host.decide("Defaults fast_glob\nalice ALL=(root) /usr/bin/[[\\:alpha\\:]]trace\n")
    assert decision.certain is False and decision.allowed is None
    assert decision.because == ["command pattern /usr/bin/[[:alpha:]]trace"]


def test_a_digest_over_something_that_cannot_be_read_matches_nothing(host):
    host.mkdir("/opt/tool")
    digest = hashlib.sha256(b"").hexdigest()
    decision = host.decide("alice ALL=(root) sha256:%s /opt/tool\n" % digest, path="/opt/tool", args=())
    assert decision.certain and decision.allowed is False


@pytest.mark.parametrize("pattern, text, expected", [
    ("[]]", "]", True), ("[]a]", "a", True), ("[!]]x", "ax", True), ("[!]]x", "]x", False),
    ("[a-c]x", "bx", True), ("[a-c]x", "b", False), ("[a-c]xy", "bxy", True), ("[a-c]xy", "by", False),
    ("x" * 300 + "[", "x" * 300 + "[", True),   # an unclosed bracket is a literal, however long the pattern
    ("x" * 300 + "[!", "x" * 300 + "[!", True),
])
def test_fnmatch_brackets(pattern, text, expected):
    assert _sudoers_match.fnmatch(pattern, text) is expected


@pytest.mark.parametrize("text, utc", [
    ("20261128120000-0500", datetime.datetime(2026, 11, 28, 17, 0, tzinfo=datetime.timezone.utc)),
    ("20261128120000+0130", datetime.datetime(2026, 11, 28, 10, 30, tzinfo=datetime.timezone.utc)),
    ("2026112812-05", datetime.datetime(2026, 11, 28, 17, 0, tzinfo=datetime.timezone.utc)),
])
def test_gentime_offsets_east_and_west(text, utc):
    assert _sudoers_match.parse_gentime(text) == utc


@pytest.mark.parametrize("rules, runas, allowed", [
    # measured with sudo 1.9.13p3
    ("alice ALL=(%#33) /usr/bin/strace\n", "www-data", True),    # run-as users by their group id
    ("alice ALL=(%#33) /usr/bin/strace\n", "bob", False),
    ("alice ALL=(#1502) /usr/bin/strace\n", "bob", True),        # by uid
    ("alice ALL=(#1502) /usr/bin/strace\n", "www-data", False),
])
def test_run_as_lists_by_id(host, rules, runas, allowed):
    decision = host.decide(rules, runas=runas)
    assert decision.certain and decision.allowed is allowed


@pytest.mark.parametrize("rules", [
    "adam ALL=(ALL) /usr/bin/strace\n",                     # a user name is compared for equality only
    "#1500 ALL=(ALL) /usr/bin/strace\n",
    "alice ALL=(root) sudoedit /etc/hosts, list\n",          # pseudo-commands run nothing else
])
def test_what_names_someone_or_something_else_allows_nothing(host, rules):
    decision = host.decide(rules)
    assert decision.certain and decision.allowed is False


def test_base64_digests_are_compared_exactly(host):
    digest = base64.b64encode(hashlib.sha256(b"strace binary\n").digest()).decode()
    assert host.decide("alice ALL=(ALL) sha256:%s /usr/bin/strace\n" % digest).allowed is True
    zeros = base64.b64encode(b"\0" * 32).decode()       # sorts before every other digest
    high = base64.b64encode(b"\xff" * 32).decode()       # and after
    for other in (zeros, high):
        decision = host.decide("alice ALL=(ALL) sha256:%s /usr/bin/strace\n" % other)
        assert decision.certain and decision.allowed is False


def test_nopasswd_counts_only_the_authenticate_option(host):
    assert host.decide("Defaults !lecture\nalice ALL=(ALL) /usr/bin/strace\n").nopasswd is False
    assert host.decide("Defaults:bob !lecture\nalice ALL=(ALL) /usr/bin/strace\n").nopasswd is False


def test_an_unreadable_date_makes_the_answer_uncertain_and_says_why(host):
    # sudo 1.9.13p3 rejects NOTAFTER=2026 ("invalid notafter value"); the fallback parser keeps it: not certain.
    decision = host.decide("alice ALL=(root) NOTAFTER=2026 /usr/bin/strace\n")
    assert decision.certain is False and decision.allowed is None
    assert decision.because == ["NOTAFTER=2026 is not a date this model reads"]


def test_a_date_without_a_zone_is_local_time_and_utc_is_no_offset(monkeypatch):
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    try:
        assert _sudoers_match.parse_gentime("20261128120000") == NOW
    finally:
        monkeypatch.undo()
        time.tzset()
