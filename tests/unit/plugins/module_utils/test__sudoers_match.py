# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""sudo's matching rules on fixture trees (tests/real/test_sudoers_differential.py proves them against sudo)."""

from __future__ import annotations

import datetime
import hashlib
import os

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

    def decide(rules, user=ALICE, path="/usr/bin/strace", args=("-p", "1"), runas=None, hostname="web1"):
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
