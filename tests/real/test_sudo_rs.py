# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""The collection against the real sudo-rs (the image where `sudo` is sudo-rs, e.g. Debian 13's sudo-rs 0.2.5
as Ubuntu 25.10 installs it):

    DEBUGREADY_REAL_IMAGE=localhost/debugready-apache:trixie-sudo-rs tests/real/run -q

- what sudo-rs accepts and enforces (docs/verified-semantics.md, "sudo-rs"): each row is checked against the
  real visudo and `sudo -n -l -U`, and against the model read as sudo-rs reads it;
- the sudoers model (implementation sudo-rs) against the real `sudo -n -l -U U [-u R] CMD` on the hand-written
  trees of test_sudoers_differential and sudo-rs's own cases: agree, or say uncertain;
- detection, sudoers_grant's refusals, trace_check via sudo with real attaches.

Skipped where `sudo -V` does not say sudo-rs.
"""

from __future__ import annotations

import collections
import datetime
import json
import os
import re
import shutil
import socket
import subprocess
import time

import pytest

from ansible.module_utils.testing import patch_module_args

from ansible_collections.debugready.ptrace.plugins.module_utils import (
    _accounts, _hoststate, _sudoers, _sudoers_match, _sudoers_write, _tracecheck,
)
from ansible_collections.debugready.ptrace.plugins.modules import sudoers_grant

import test_sudoers_differential as differential

HOST = socket.gethostname()


def run(argv):
    done = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True,
                          env=dict(os.environ, LC_ALL="C"), check=False)
    return done.returncode, done.stdout, done.stderr


def _version():
    try:
        _rc, out, err = run(["sudo", "-V"])
    except OSError:
        return ""
    return ((out.strip() or err.strip()).splitlines() or [""])[0]  # sudo-rs prints it on stderr


VERSION = _version()
pytestmark = pytest.mark.skipif(not VERSION.startswith("sudo-rs "),
                                reason="the sudo here is not sudo-rs (sudo -V: %r)" % VERSION)


class Tally(object):
    def __init__(self):
        self.trees = 0
        self.allowed = 0
        self.queries = [0, 0, 0]   # agree, uncertain, wrong
        self.nopasswd = [0, 0, 0]
        self.reasons = collections.Counter()


TALLY = Tally()


@pytest.fixture(scope="module", autouse=True)
def accounts(figures):
    with differential.accounts_and_sudoers_kept("/tmp/debugready-saved-sudoers-rs"):
        yield
    agree, uncertain, wrong = TALLY.queries
    figures.add("sudoers model (sudo-rs) vs %s sudo -n -l -U" % VERSION,
                "%d trees, %d queries (sudo-rs allowed %d): %d agree, %d uncertain (said so), %d wrong; agreement on "
                "certain answers %.1f%%" % (TALLY.trees, agree + uncertain + wrong, TALLY.allowed, agree, uncertain,
                                            wrong, 100.0 * agree / max(1, agree + wrong)))
    figures.add("sudoers model (sudo-rs) NOPASSWD vs a real sudo-rs -n run",
                "%d agree, %d uncertain, %d wrong" % tuple(TALLY.nopasswd))
    figures.add("sudoers model (sudo-rs): why uncertain",
                "; ".join("%s (%d)" % item for item in TALLY.reasons.most_common(6)) or "never")


def policy():
    return _sudoers.load("/", HOST, run, shutil.which("cvtsudoers"), implementation=_sudoers.SUDO_RS)


def compare_installed():
    """Every user x run-as x query of the differential suite: the model (as sudo-rs) against sudo-rs."""
    model = policy()
    assert model.parser == "python" and model.implementation == "sudo-rs"
    TALLY.trees += 1
    wrong = []
    for user in differential.USERS:
        account = _accounts.resolve(user)
        for runas in differential.RUNAS:
            target = _accounts.resolve(runas) if runas else None
            for path, args in differential.QUERIES:
                real = differential.real_answer(user, runas, path, args)
                TALLY.allowed += real
                decision = model.decide(_sudoers_match.Request(account, path, args, runas=target, hostname=HOST,
                                                               lookup=_accounts.lookup))
                if not decision.certain:
                    TALLY.queries[1] += 1
                    TALLY.reasons.update(re.sub(r"[0-9]+", "N", r) for r in decision.because)
                elif decision.allowed == real:
                    TALLY.queries[0] += 1
                else:
                    TALLY.queries[2] += 1
                    wrong.append((user, runas, path, args, real, decision.as_dict()))
        wrong.extend(compare_nopasswd(model, account))
    return wrong


def compare_nopasswd(model, account):
    path, args = "/usr/bin/strace", ["-V"]
    if not differential.real_answer(account["name"], None, path, args):
        return []
    rc, _out, err = run(["runuser", "-u", account["name"], "--", "sudo", "-n", path] + args)
    if rc != 0 and "interactive authentication is required" not in err:
        raise AssertionError("sudo -n %s %s as %s failed otherwise: %s" % (path, " ".join(args), account["name"], err))
    request = _sudoers_match.Request(account, path, args, hostname=HOST, lookup=_accounts.lookup)
    predicted = model.evaluator.nopasswd(model.decide(request), request)
    if predicted is None:
        TALLY.nopasswd[1] += 1
    elif predicted == (rc == 0):
        TALLY.nopasswd[0] += 1
    else:
        TALLY.nopasswd[2] += 1
        return [("nopasswd", account["name"], rc == 0, predicted)]
    return []


# Where sudo-rs differs from sudo: each a tree of its own, compared like the others.
SUDO_RS_CASES = {
    "NOTAFTER drops the rule": {"/etc/sudoers.d/t": "alice ALL=(root) NOPASSWD: /usr/bin/gdb\n"
                                                    "alice ALL=(root) NOTAFTER=20991231235959Z /usr/bin/strace\n"},
    "NOTAFTER drops the whole line": {"/etc/sudoers.d/t": "alice ALL=(root) /usr/bin/gdb, "
                                                          "NOTAFTER=20991231235959Z /usr/bin/strace\n"},
    "expired NOTAFTER deny is dropped too": {"/etc/sudoers.d/t": "alice ALL=(root) /usr/bin/strace\nalice ALL=(root) "
                                                                 "NOTAFTER=20991231235959Z !/usr/bin/strace\n"},
    "NOEXEC drops the rule": {"/etc/sudoers.d/t": "alice ALL=(root) NOEXEC: /usr/bin/strace\n"},
    "LOG_OUTPUT is ignored": {"/etc/sudoers.d/t": "alice ALL=(root) NOPASSWD: LOG_OUTPUT: /usr/bin/strace\n"},
    "Defaults log_output is rejected": {"/etc/sudoers.d/t": "Defaults log_output\nalice ALL=(root) /usr/bin/strace\n"},
    "Defaults !authenticate is rejected": {"/etc/sudoers.d/t": "Defaults:alice !authenticate\n"
                                                               "alice ALL=(root) /usr/bin/strace\n"},
    "runas_default is rejected": {"/etc/sudoers.d/t": "Defaults runas_default=www-data\nalice ALL= /usr/bin/strace\n"},
    "%h is not expanded": {"/etc/sudoers.d/t": "@include /etc/sudoers.%h\n",
                           "/etc/sudoers." + HOST.split(".")[0]: "alice ALL=(root) /usr/bin/strace\n"},
    "a digest drops the rule": {"/etc/sudoers.d/t": "alice ALL=(root) sha256:" + "0" * 64 + " /usr/bin/strace\n"
                                                    "bob ALL=(root) /usr/bin/strace\n"},
    "%:group makes every call fail": {"/etc/sudoers.d/t": "alice ALL=(root) NOPASSWD: /usr/bin/strace\n"
                                                          "%:nonunix ALL=(root) /usr/bin/gdb\n"},
}


@pytest.mark.parametrize("name", sorted(differential.CASES) + ["rs: " + n for n in sorted(SUDO_RS_CASES)])
def test_model_against_sudo_rs(name):
    files = SUDO_RS_CASES[name[4:]] if name.startswith("rs: ") else differential.CASES[name]
    plain, meta = differential._apply_meta(files)
    differential.install(plain)
    try:
        for key, value in meta.items():
            if key.startswith("__mode__"):
                os.chmod(key[len("__mode__"):], int(value, 8))
            elif key.startswith("__owner__"):
                os.chown(key[len("__owner__"):], int(value), -1)
        wrong = compare_installed()
    finally:
        os.chmod("/etc/sudoers.d", 0o755)
        os.chown("/etc/sudoers.d", 0, 0)
        for path in plain:
            if path.startswith("/etc/sudoers.") and not path.startswith("/etc/sudoers.d/") and os.path.lexists(path):
                os.unlink(path)
    assert not wrong, differential.show(plain, wrong)


# --- what sudo-rs accepts: the table of docs/verified-semantics.md ("sudo-rs") --------------------------------

# (statement, visudo -c passes, the rule on that line grants /usr/bin/strace, what sudo-rs says)
ACCEPTS = [
    ("alice ALL=(root) NOPASSWD: /usr/bin/strace", True, True, None),
    ("alice ALL=(root) NOTAFTER=20991231235959Z NOPASSWD: /usr/bin/strace", False, False,
     "NOTAFTER is not supported by sudo-rs"),
    ("alice ALL=(root) NOTBEFORE=20200101000000Z NOPASSWD: /usr/bin/strace", False, False,
     "NOTBEFORE is not supported by sudo-rs"),
    ("alice ALL=(root) NOPASSWD: LOG_OUTPUT: /usr/bin/strace", True, True, "LOG_OUTPUT tags are ignored by sudo-rs"),
    ("alice ALL=(root) NOPASSWD: LOG_INPUT: /usr/bin/strace", True, True, "LOG_INPUT tags are ignored by sudo-rs"),
    ("alice ALL=(root) NOPASSWD: NOEXEC: /usr/bin/strace", False, False,
     "NOEXEC and INTERCEPT are not supported by sudo-rs"),
    ("alice ALL=(root) NOPASSWD: INTERCEPT: /usr/bin/strace", False, False,
     "NOEXEC and INTERCEPT are not supported by sudo-rs"),
    ("alice ALL=(root) NOPASSWD: SETENV: /usr/bin/strace", True, True, None),
    ("alice ALL=(root) NOPASSWD: MAIL: /usr/bin/strace", True, True, "MAIL tags are ignored by sudo-rs"),
    ("alice ALL=(root) CWD=/tmp NOPASSWD: /usr/bin/strace", True, True, None),
    ("alice ALL=(root) CHROOT=/ NOPASSWD: /usr/bin/strace", False, False, "CHROOT is not supported by sudo-rs"),
    ("alice ALL=(root) TIMEOUT=10 NOPASSWD: /usr/bin/strace", False, False, "TIMEOUT is not supported by sudo-rs"),
    ("alice ALL=(root) NOPASSWD: sudoedit /etc/motd, /usr/bin/strace", False, False,
     "sudoedit is not yet supported"),
    ("Defaults log_output", False, None, "unknown setting: 'log_output'"),
    ("Defaults iolog_dir=/var/log/sudo-io", False, None, "unknown setting: 'iolog_dir'"),
    ("Defaults:alice !authenticate", False, None, "'authenticate' cannot be used in a boolean context"),
    ("Defaults secure_path=\"/usr/bin:/bin\"", True, None, None),
    ("Defaults use_pty", True, None, None),
]


@pytest.mark.parametrize("statement, visudo_passes, grants, says", ACCEPTS)
def test_what_sudo_rs_accepts(statement, visudo_passes, grants, says):
    """A statement between two good rules: visudo's verdict, whether it grants, and that only it is dropped."""
    differential.install({"/etc/sudoers.d/t": "alice ALL=(root) NOPASSWD: /usr/bin/id\n%s\n"
                                              "alice ALL=(root) NOPASSWD: /usr/bin/true\n" % statement,
                          "/etc/sudoers.d/u": "alice ALL=(root) NOPASSWD: /usr/bin/false\n"})
    rc, out, err = run(["visudo", "-c"])
    assert (rc == 0) == visudo_passes, (rc, out, err)
    if says:
        assert says in out + err
    # sudo-rs drops the one statement, never the file: the rules around it and in the next file stay.
    for command in ("/usr/bin/id", "/usr/bin/true", "/usr/bin/false"):
        assert run(["sudo", "-n", "-l", "-U", "alice", command])[0] == 0, command
    model = policy()
    alice = _accounts.resolve("alice")
    if grants is not None:
        assert (run(["sudo", "-n", "-l", "-U", "alice", "/usr/bin/strace"])[0] == 0) is grants
        decision = model.decide(_sudoers_match.Request(alice, "/usr/bin/strace", [], hostname=HOST,
                                                       lookup=_accounts.lookup))
        assert decision.certain and decision.allowed is grants
    # The model reports the statements sudo-rs drops, on their line, as errors.
    dropped = [e for e in model.errors if e["path"] == "/etc/sudoers.d/t" and e["line"] == 2]
    assert bool(dropped) == (not visudo_passes), model.errors


def test_one_unsafe_file_is_skipped_and_the_rest_read():
    differential.install({"/etc/sudoers.d/a": "alice ALL=(root) NOPASSWD: /usr/bin/id\n",
                          "/etc/sudoers.d/b.c": "alice ALL=(root) NOPASSWD: /usr/bin/strace\n",
                          "/etc/sudoers.d/w": ("alice ALL=(root) NOPASSWD: /usr/bin/gdb\n", 0o666, 0, 0),
                          "/etc/sudoers.d/g": ("alice ALL=(root) NOPASSWD: /usr/bin/true\n", 0o664, 0, 0)})
    rc, out, err = run(["visudo", "-c"])
    assert rc != 0 and "/etc/sudoers.d/w cannot be world-writable" in out + err
    answers = dict((c, run(["sudo", "-n", "-l", "-U", "alice", c])[0] == 0)
                   for c in ("/usr/bin/id", "/usr/bin/strace", "/usr/bin/gdb", "/usr/bin/true"))
    assert answers == {"/usr/bin/id": True, "/usr/bin/strace": False, "/usr/bin/gdb": False, "/usr/bin/true": True}
    skipped = dict((s["path"], s["reason"]) for s in policy().skipped)
    assert skipped["/etc/sudoers.d/b.c"] == "name_contains_dot"
    assert skipped["/etc/sudoers.d/w"] == "world_writable"


def test_listing_and_exit_codes():
    differential.install({"/etc/sudoers.d/t": "alice ALL=(root) NOPASSWD: /usr/bin/strace\n"})
    rc, out, _err = run(["sudo", "-l", "-U", "alice"])
    assert rc == 0 and "    (root) NOPASSWD: /usr/bin/strace" in out.splitlines()
    assert run(["sudo", "-n", "-l", "-U", "alice", "/usr/bin/strace", "-p", "1"]) == (0, "/usr/bin/strace -p 1\n", "")
    assert run(["sudo", "-n", "-l", "-U", "alice", "/usr/bin/gdb"])[0] == 1
    # A user without any rule: sudo-rs refuses the listing itself (sudo 1.9 lists "not allowed").
    rc, out, err = run(["sudo", "-l", "-U", "carol"])
    assert rc == 1 and "Sorry, user root is not allowed to execute 'list' as carol" in err


# --- detection, sudoers_grant, trace_check ------------------------------------------------------------------

def test_facts_detect_sudo_rs():
    differential.install({})
    facts = _hoststate.gather(sections=("sudoers",), run=run, hostname=HOST)["sudoers"]
    assert facts["implementation"] == {"name": "sudo-rs", "version": VERSION.split()[1], "source": "sudo -V"}
    assert facts["version"] == VERSION.split()[1]
    assert facts["parser"] == "python" and facts["valid"] is True
    # Without commands (tool_versions: false) the binary's path tells.
    quiet = _hoststate.gather(sections=("sudoers",), run=run, tool_versions=False, hostname=HOST)["sudoers"]
    assert quiet["implementation"] == {"name": "sudo-rs", "version": None, "source": "path"}


GRANT = {"name": "debug-grant", "principals": ["alice"], "commands": ["/usr/bin/strace"], "nopasswd": True}


def run_module(capsys, args):
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            sudoers_grant.main()
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("extra, keyword", [({"not_after": "8h"}, "NOTAFTER"), ({"log_output": True}, "LOG_OUTPUT")])
def test_sudoers_grant_refuses_what_sudo_rs_cannot_enforce(capsys, extra, keyword):
    differential.install({})
    result = run_module(capsys, dict(GRANT, **extra))
    assert result.get("failed") and "sudo-rs %s" % VERSION.split()[1] in result["msg"] and keyword in result["msg"]
    assert not os.path.exists("/etc/sudoers.d/debug-grant")
    assert run(["sudo", "-n", "-l", "-U", "alice", "/usr/bin/strace"])[0] == 1


def test_why_the_refusals_are_needed():
    """Validation alone would not do: NOTAFTER fails visudo (the grant would be dead), LOG_OUTPUT passes it."""
    differential.install({})
    host = _sudoers_write.read_host(dict(GRANT), run=run)
    assert host.implementation["name"] == "sudo-rs"
    end = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=8)
    timed = _sudoers_write.render(["alice"], [("/usr/bin/strace", [])], nopasswd=True, not_after=end)
    with pytest.raises(_sudoers_write.SudoersValidationError) as failure:
        _sudoers_write.validate_candidate(run, host.visudo, host.tree, "/etc/sudoers.d/debug-grant", timed)
    assert "NOTAFTER is not supported by sudo-rs" in failure.value.stdout + failure.value.stderr
    logged = _sudoers_write.render(["alice"], [("/usr/bin/strace", [])], nopasswd=True, log_output=True)
    _sudoers_write.validate_candidate(run, host.visudo, host.tree, "/etc/sudoers.d/debug-grant", logged)


def test_sudoers_grant_writes_a_grant_sudo_rs_enforces(capsys):
    differential.install({})
    result = run_module(capsys, dict(GRANT))
    try:
        assert result["changed"] and not result.get("failed"), result
        assert result["live_check"]["ok"] is True
        planned = _sudoers_write.plan(dict(GRANT), _sudoers_write.read_host(dict(GRANT), run=run),
                                      datetime.datetime.now(datetime.timezone.utc))
        assert _sudoers_write.SUDO_RS_WARNING in planned.warnings
        assert run(["sudo", "-n", "-l", "-U", "alice", "/usr/bin/strace"])[0] == 0
        again = run_module(capsys, dict(GRANT))
        assert again["changed"] is False
    finally:
        run_module(capsys, {"name": "debug-grant", "state": "absent"})
    assert run(["sudo", "-n", "-l", "-U", "alice", "/usr/bin/strace"])[0] == 1


@pytest.fixture
def target():
    """A process of www-data (uid 33) for alice to trace through sudo."""
    proc = subprocess.Popen(["setpriv", "--reuid=33", "--regid=33", "--clear-groups", "--", "sleep", "120"])
    time.sleep(0.2)
    yield proc.pid
    proc.kill()
    proc.wait()


def trace(pid):
    params = dict((k, v.get("default")) for k, v in _tracecheck.REQUEST_OPTIONS.items())
    # /usr/bin/strace by path: the fixture put another strace first on the search path.
    params.update({"user": "alice", "pid": [pid], "via": "sudo", "probe": True, "tool": "/usr/bin/strace"})
    return _tracecheck.check(params, run, hostname=HOST)


@pytest.mark.parametrize("tags, allowed, reason", [("NOPASSWD: ", True, "allowed"),
                                                   ("", False, "sudo_password_required")])
def test_trace_check_via_sudo_rs_attaches(target, tags, allowed, reason):
    differential.install({"/etc/sudoers.d/t": "alice ALL=(root) %s/usr/bin/strace\n" % tags})
    result = trace(target)
    entry = result["targets"][0]
    assert entry["reason"] == reason and entry["allowed"] is allowed, json.dumps(entry, indent=1)
    assert entry["sudo"]["permitted"] is True and entry["sudo"]["model_agrees"] is True
    assert entry["sudo"]["model"]["parser"] == "python"
    probe = entry["probe"]
    assert probe["attached"] is allowed and probe["matches"] is True, probe
    if not allowed:
        assert probe["errno"] == "sudo_password_required", probe


def test_trace_check_via_sudo_rs_refused(target):
    differential.install({"/etc/sudoers.d/t": "alice ALL=(root) NOTAFTER=20991231235959Z NOPASSWD: /usr/bin/strace\n"})
    entry = trace(target)["targets"][0]
    assert entry["reason"] == "sudo_not_permitted" and entry["sudo"]["permitted"] is False
    assert entry["sudo"]["model_agrees"] is True
    assert entry["probe"]["attached"] is False and entry["probe"]["matches"] is True
