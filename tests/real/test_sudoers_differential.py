# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""The sudoers model against the real sudo: for hand-written and generated trees, "may U run TOOL ARGS
as R" from the collection (with sudo's own parser, and with the fallback parser) must equal the exit
status of `sudo -n -l -U U [-u R] TOOL ARGS`, or the collection must say it is not certain.

Runs in the container of tests/real/run (it rewrites /etc/sudoers and creates users).
"""

from __future__ import annotations

import collections
import contextlib
import os
import re
import shutil
import socket
import subprocess

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.debugready.ptrace.plugins.module_utils import _accounts, _sudoers, _sudoers_match

HOST = socket.gethostname()
PAST = "20200101000000Z"
FUTURE = "20991231235959Z"
MAIN = "Defaults\tenv_reset\nroot\tALL=(ALL:ALL) ALL\n@includedir /etc/sudoers.d\n"
USERS = ("alice", "bob", "carol")
RUNAS = (None, "www-data")
QUERIES = (
    ("/usr/bin/strace", ["-p", "1"]),
    ("/usr/bin/strace", []),
    ("/usr/bin/strace", ["-e", "trace=open"]),
    ("/bin/strace", ["-p", "1"]),          # the same file on a merged /usr
    ("/usr/bin/gdb", ["-p", "1"]),
    ("/usr/local/bin/strace", ["-p", "1"]),  # another file with the same base name
)
TOOL_PATHS = {"strace": ["/usr/bin/strace"], "gdb": ["/usr/bin/gdb"], "ltrace": ["/usr/bin/ltrace"]}
EXAMPLES = int(os.environ.get("DEBUGREADY_EXAMPLES") or 200)


class Tally(object):
    def __init__(self):
        self.trees = 0
        self.allowed = 0  # real answers that were "allowed": the suite exercises both outcomes
        self.queries = {"cvtsudoers": [0, 0, 0], "python": [0, 0, 0]}  # agree, uncertain, wrong
        self.hidden = {"cvtsudoers": 0, "python": 0}  # live grants missing from sudoers.grants
        self.reasons = {"cvtsudoers": collections.Counter(), "python": collections.Counter()}
        self.nopasswd = {"cvtsudoers": [0, 0, 0], "python": [0, 0, 0]}  # agree, uncertain, wrong

    def text(self, parser):
        agree, uncertain, wrong = self.queries[parser]
        total = agree + uncertain + wrong
        return ("%d trees, %d queries (sudo allowed %d): %d agree with sudo, %d uncertain (said so), %d wrong; "
                "agreement on certain answers %.1f%%; live grants missing from sudoers.grants: %d"
                % (self.trees, total, self.allowed, agree, uncertain, wrong, 100.0 * agree / max(1, agree + wrong),
                   self.hidden[parser]))


TALLY = Tally()


def run(argv):
    done = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True,
                          env=dict(os.environ, LC_ALL="C"), check=False)
    return done.returncode, done.stdout, done.stderr


@contextlib.contextmanager
def accounts_and_sudoers_kept(saved):
    """The users and groups the trees name, and /etc/sudoers* put back as they were for the tests after these
    (`saved`: a scratch directory of the caller's own)."""
    for argv in (["groupadd", "-g", "1500", "dbg"], ["groupadd", "-g", "1504", "ops"],
                 ["useradd", "-u", "1501", "-G", "dbg", "alice"], ["useradd", "-u", "1502", "-g", "ops", "bob"],
                 ["useradd", "-u", "1503", "carol"]):
        run(argv)
    # A second strace with the same base name but another inode.
    os.makedirs("/usr/local/bin", exist_ok=True)
    shutil.copy2("/usr/bin/strace", "/usr/local/bin/strace")
    shutil.rmtree(saved, ignore_errors=True)
    os.makedirs(saved)
    shutil.copy2("/etc/sudoers", saved + "/sudoers")
    shutil.copytree("/etc/sudoers.d", saved + "/sudoers.d", symlinks=True)
    yield
    install({})
    shutil.copy2(saved + "/sudoers", "/etc/sudoers")
    shutil.rmtree("/etc/sudoers.d")
    shutil.copytree(saved + "/sudoers.d", "/etc/sudoers.d", symlinks=True)
    for extra in ("/etc/sudoers.extra", "/etc/sudoers.local"):
        if os.path.lexists(extra):
            os.unlink(extra)


@pytest.fixture(scope="module", autouse=True)
def accounts(figures):
    with accounts_and_sudoers_kept("/tmp/debugready-saved-sudoers"):
        yield
    for parser in ("cvtsudoers", "python"):
        figures.add("sudoers model (%s) vs sudo -l" % parser, TALLY.text(parser))
        figures.add("sudoers model (%s) NOPASSWD vs a real sudo -n run" % parser,
                    "%d agree, %d uncertain, %d wrong" % tuple(TALLY.nopasswd[parser]))
        figures.add("sudoers model (%s): why uncertain" % parser,
                    "; ".join("%s (%d)" % item for item in TALLY.reasons[parser].most_common(6)) or "never")


def install(files):
    """Replace /etc/sudoers and /etc/sudoers.d with `files`: {path: text or (text, mode, uid, gid)}."""
    shutil.rmtree("/etc/sudoers.d", ignore_errors=True)
    os.makedirs("/etc/sudoers.d", mode=0o755)
    for extra in ("/etc/sudoers.extra", "/etc/sudoers.local"):
        if os.path.lexists(extra):
            os.unlink(extra)
    files = dict(files)
    files.setdefault("/etc/sudoers", MAIN)
    for path, spec in files.items():
        text, mode, uid, gid = (spec, 0o440, 0, 0) if isinstance(spec, str) else spec
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as handle:
            handle.write(text.encode("utf-8", "surrogateescape"))
        os.chown(path, uid, gid)
        os.chmod(path, mode)


def _covered(grants, account, tool):
    names = set(_accounts.principals(account))
    return any(tool in g["tools"] and g["principal"] in names and account["name"] not in g["excluded"]
               for g in grants)


def real_answer(user, runas, path, args):
    argv = ["sudo", "-n", "-l", "-U", user] + (["-u", runas] if runas else []) + [path] + args
    return run(argv)[0] == 0


def compare(files):
    """Install the tree, then compare_installed()."""
    install(files)
    return compare_installed()


def compare_installed():
    """compare() without reinstalling (for trees whose metadata the test changed itself)."""
    policies = {
        "cvtsudoers": _sudoers.load("/", HOST, run, shutil.which("cvtsudoers")),
        "python": _sudoers.load("/", HOST),
    }
    assert policies["cvtsudoers"].parser == "cvtsudoers", policies["cvtsudoers"].parser_problem
    TALLY.trees += 1
    wrong = []
    grants = dict((parser, _sudoers.compute_grants(policy, TOOL_PATHS, HOST)[0]) for parser, policy in policies.items())
    for user in USERS:
        account = _accounts.resolve(user)
        for runas in RUNAS:
            target = _accounts.resolve(runas) if runas else None
            for path, args in QUERIES:
                real = real_answer(user, runas, path, args)
                TALLY.allowed += real
                tool = os.path.basename(path)
                if real and tool in TOOL_PATHS and path in TOOL_PATHS[tool]:
                    # A live grant must be in the facts, whichever parser read the tree.
                    for parser, found in grants.items():
                        if not _covered(found, account, tool):
                            TALLY.hidden[parser] += 1
                            wrong.append((parser, "grant hidden", user, runas, path, args))
                for parser, policy in policies.items():
                    decision = policy.decide(_sudoers_match.Request(account, path, args, runas=target, hostname=HOST,
                                                                    lookup=_accounts.lookup))
                    counts = TALLY.queries[parser]
                    if not decision.certain:
                        counts[1] += 1
                        TALLY.reasons[parser].update(re.sub(r"[0-9]+", "N", r) for r in decision.because)
                    elif decision.allowed == real:
                        counts[0] += 1
                    else:
                        counts[2] += 1
                        wrong.append((parser, user, runas, path, args, real, decision.as_dict()))
        wrong.extend(compare_nopasswd(policies, account))
    return wrong


def compare_nopasswd(policies, account):
    """NOPASSWD against sudo itself: the user really runs `sudo -n strace -V` (harmless) when sudoers permits it."""
    path, args = "/usr/bin/strace", ["-V"]
    if not real_answer(account["name"], None, path, args):
        return []
    rc, _out, err = run(["runuser", "-u", account["name"], "--", "sudo", "-n", path] + args)
    if rc != 0 and "a password is required" not in err:
        raise AssertionError("sudo -n %s %s as %s failed otherwise: %s" % (path, " ".join(args), account["name"], err))
    real = rc == 0
    wrong = []
    for parser, policy in policies.items():
        request = _sudoers_match.Request(account, path, args, hostname=HOST, lookup=_accounts.lookup)
        decision = policy.decide(request)
        predicted = policy.evaluator.nopasswd(decision, request)
        counts = TALLY.nopasswd[parser]
        if predicted is None:
            counts[1] += 1
        elif predicted == real:
            counts[0] += 1
        else:
            counts[2] += 1
            wrong.append((parser, "nopasswd", account["name"], real, predicted, decision.as_dict()))
    return wrong


def show(files, wrong):
    text = "\n".join("== %s\n%s" % (p, s if isinstance(s, str) else s[0]) for p, s in sorted(files.items()))
    return text + "\n" + "\n".join(repr(w) for w in wrong)


# --- hand-written trees: each a semantics the model once got wrong, or an edge sudo is known for ----------

CASES = {
    "comment ending in a backslash": {"/etc/sudoers.d/t": "# note \\\nalice ALL=(root) NOPASSWD: /usr/bin/strace\n"},
    "includedir with a comment": {
        "/etc/sudoers": "root ALL=(ALL:ALL) ALL\n@includedir /etc/sudoers.d # drop-ins\n",
        "/etc/sudoers.d/t": "alice ALL=(root) /usr/bin/strace\n"},
    "hash after a command path": {"/etc/sudoers.d/t": "alice ALL=(root) /usr/bin/strace# why\n"},
    "equals in arguments": {"/etc/sudoers.d/t": "alice ALL=(root) /usr/bin/strace -e trace=open\n"},
    "escaped equals and comma": {"/etc/sudoers.d/t": "alice ALL=(root) /usr/bin/strace -e trace\\=open\\,close\n"},
    "deny with arguments": {"/etc/sudoers.d/t": "alice ALL=(root) /usr/bin/strace, !/usr/bin/strace -p 1\n"},
    "deny for another run-as": {"/etc/sudoers.d/t": "alice ALL=(root) /usr/bin/strace\nalice ALL=(www-data) "
                                                    "!/usr/bin/strace\n"},
    "deny of another path with the same base name": {
        "/etc/sudoers.d/t": "alice ALL=(root) /usr/bin/strace, !/usr/local/bin/strace\n"},
    "deny through the merged-usr path": {"/etc/sudoers.d/t": "alice ALL=(root) /usr/bin/strace, !/bin/strace\n"},
    "skipped world-writable sudoers.d": {"/etc/sudoers.d/t": "alice ALL=(root) /usr/bin/strace\n",
                                         "__mode__/etc/sudoers.d": "0777"},
    "skipped sudoers.d owned by another user": {"/etc/sudoers.d/t": "alice ALL=(root) /usr/bin/strace\n",
                                                "__owner__/etc/sudoers.d": "1502"},
    "indented #includedir is a comment": {
        "/etc/sudoers": "root ALL=(ALL:ALL) ALL\n  #includedir /etc/sudoers.d\n"},
    "indented @includedir is an include": {
        "/etc/sudoers": "root ALL=(ALL:ALL) ALL\n  @includedir /etc/sudoers.d\n",
        "/etc/sudoers.d/t": "alice ALL=(root) /usr/bin/strace\n"},
    "last match in a user list": {"/etc/sudoers.d/t": "!alice, ALL ALL=(root) /usr/bin/strace\n"
                                                      "ALL, !bob ALL=(root) /usr/bin/gdb\n"},
    "user alias with negation": {"/etc/sudoers.d/t": "User_Alias T = %dbg, !alice, bob\nT ALL=(root) /usr/bin/strace\n"},
    "primary group by gid": {"/etc/sudoers.d/t": "%#1504 ALL=(root) /usr/bin/strace\n%ops ALL=(root) /usr/bin/gdb\n"},
    "uid": {"/etc/sudoers.d/t": "#1503 ALL=(root) /usr/bin/strace\n"},
    "expired allow passed over": {"/etc/sudoers.d/t": "alice ALL=(root) /usr/bin/strace\n"
                                                      "alice ALL=(root) NOTAFTER=%s !/usr/bin/strace\n" % PAST},
    "expired grant": {"/etc/sudoers.d/t": "alice ALL=(root) NOTAFTER=%s NOPASSWD: /usr/bin/strace\n" % PAST},
    "not yet": {"/etc/sudoers.d/t": "alice ALL=(root) NOTBEFORE=%s /usr/bin/strace\n" % FUTURE},
    "options carry over": {"/etc/sudoers.d/t": "alice ALL=(root) NOTAFTER=%s /usr/bin/gdb, /usr/bin/strace\n" % PAST},
    "no args allowed": {"/etc/sudoers.d/t": "alice ALL=(root) /usr/bin/strace \"\"\n"},
    "argument wildcard": {"/etc/sudoers.d/t": "alice ALL=(root) /usr/bin/strace -p *\n"},
    "directory spec": {"/etc/sudoers.d/t": "alice ALL=(root) /usr/bin/\n"},
    "path glob": {"/etc/sudoers.d/t": "alice ALL=(root) /usr/bin/s*\nbob ALL=(root) /usr/*/strace\n"},
    "run-as lists": {"/etc/sudoers.d/t": "alice ALL=(www-data) /usr/bin/strace\nbob ALL=(ALL, !www-data) "
                                         "/usr/bin/strace\ncarol ALL=() /usr/bin/strace\n"},
    "run-as group only": {"/etc/sudoers.d/t": "alice ALL=(:dbg) /usr/bin/strace\nbob ALL=(root:ops) /usr/bin/strace\n"},
    "runas_default": {"/etc/sudoers.d/t": "Defaults runas_default=www-data\nalice ALL= /usr/bin/strace\n"
                                          "bob ALL=(root) /usr/bin/strace\n"},
    "host lists": {"/etc/sudoers.d/t": "alice %s=(root) /usr/bin/strace\nbob ALL,!%s=(root) /usr/bin/strace\n"
                                       "carol otherhost=(root) /usr/bin/strace\n" % (HOST, HOST)},
    "host patterns ignore case": {"/etc/sudoers.d/t": "alice %s*=(root) /usr/bin/strace\nbob %s=(root) /usr/bin/strace\n"
                                                      % (HOST.upper()[:3], HOST.upper())},
    "command alias double negation": {"/etc/sudoers.d/t": "Cmnd_Alias NT = ALL, !/usr/bin/strace\n"
                                                          "alice ALL=(root) NT\nbob ALL=(root) !NT\n"},
    "syntax error drops one entry": {"/etc/sudoers.d/t": "alice ALL=(root) NOPASSWD /usr/bin/id\n"
                                                         "alice ALL=(root) /usr/bin/strace\n"},
    "syntax error in a continued statement": {"/etc/sudoers.d/t": "bob ALL=(root) /usr/bin/gdb, \\\n  NOPASSWD\n"
                                                                  "alice ALL=(root) /usr/bin/strace\n"},
    "file skipped for its name": {"/etc/sudoers.d/t.conf": "alice ALL=(root) /usr/bin/strace\n",
                                  "/etc/sudoers.d/u~": "bob ALL=(root) /usr/bin/strace\n"},
    "unsafe files": {"/etc/sudoers.d/w": ("alice ALL=(root) /usr/bin/strace\n", 0o666, 0, 0),
                     "/etc/sudoers.d/o": ("bob ALL=(root) /usr/bin/strace\n", 0o440, 1502, 0),
                     "/etc/sudoers.d/m": ("carol ALL=(root) /usr/bin/strace\n", 0o644, 0, 0)},
    "relative include": {"/etc/sudoers.d/t": "@include ../sudoers.local\n",
                         "/etc/sudoers.local": "alice ALL=(root) /usr/bin/strace\n"},
    "include twice": {"/etc/sudoers": MAIN + "#includedir /etc/sudoers.d\n",
                      "/etc/sudoers.d/t": "alice ALL=(root) /usr/bin/strace\nalice ALL=(root) !/usr/bin/gdb\n"},
    "continuation inside a rule": {"/etc/sudoers.d/t": "alice ALL=(root) \\\n  /usr/bin/strace, \\\n  /usr/bin/gdb\n"},
    "all then deny in one line": {"/etc/sudoers.d/t": "alice ALL=(ALL) ALL, !/usr/bin/strace\n"},
    "deny then all in one line": {"/etc/sudoers.d/t": "alice ALL=(ALL) !/usr/bin/strace, ALL\n"},
    "later file wins": {"/etc/sudoers.d/10": "alice ALL=(ALL) ALL\n", "/etc/sudoers.d/20": "alice ALL=(ALL) !/usr/bin/gdb\n"},
    "escaped space in a path": {"/etc/sudoers.d/t": "alice ALL=(root) /usr/bin/strace\\ -p 1\n"},
    "non-UTF-8 bytes": {"/etc/sudoers.d/t": "# caf\udce9\nalice ALL=(root) /usr/bin/strace\n"},
    "sha224 digest": {"/etc/sudoers.d/t": "alice ALL=(root) sha224:0GomF8mNN3wlDt1HD9XldjJ3SNgpFdbjO1+NsQ== "
                                          "/usr/bin/strace\n"},
}


def _apply_meta(files):
    """Keys like '__mode__/etc/sudoers.d' change a path after the tree is installed."""
    meta = dict((k, v) for k, v in files.items() if k.startswith("__"))
    plain = dict((k, v) for k, v in files.items() if not k.startswith("__"))
    return plain, meta


@pytest.mark.parametrize("name", sorted(CASES))
def test_hand_written_tree(name):
    plain, meta = _apply_meta(CASES[name])
    install(plain)
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
    assert not wrong, show(plain, wrong)


# --- generated trees ----------------------------------------------------------------------------------

def negate(member):
    return st.tuples(st.sampled_from(["", "", "", "!"]), member).map("".join)


USER_MEMBER = st.sampled_from(["alice", "bob", "carol", "ALL", "%dbg", "%ops", "%#1500", "%#1504", "#1501", "UA"])
HOST_MEMBER = st.sampled_from(["ALL"] * 4 + [HOST, "otherhost", "HA", "*"])
RUNAS_SPEC = st.sampled_from(["", "(root)", "(ALL)", "(www-data)", "(root, www-data)", "(ALL, !www-data)", "(#0)",
                              "(RA)", "()", "(root:dbg)", "(:ops)", "(ALL:ALL)", "(%www-data)", "(!root, ALL)"])
OPTIONS = st.sampled_from(["", "", "NOTAFTER=%s " % PAST, "NOTAFTER=%s " % FUTURE, "NOTBEFORE=%s " % FUTURE])
TAGS = st.sampled_from(["", "", "NOPASSWD: ", "PASSWD: ", "LOG_OUTPUT: ", "NOPASSWD: NOEXEC: "])
COMMAND = st.sampled_from([
    "ALL", "/usr/bin/strace", "/usr/bin/strace -p *", "/usr/bin/strace -p 1", '/usr/bin/strace ""',
    "/usr/bin/strace -e trace\\=open", "/usr/bin/strace -e trace=open", "/usr/bin/gdb", "/usr/bin/", "/usr/bin/s*",
    "/usr/local/bin/strace", "/bin/strace", "/usr/bin/ltrace", "CA", "/usr/bin/id",
])


@st.composite
def cmnd_spec(draw):
    parts = []
    for index in range(draw(st.integers(1, 3))):
        runas = draw(RUNAS_SPEC) if index == 0 or draw(st.booleans()) else ""
        parts.append("%s %s%s%s" % (runas, draw(OPTIONS), draw(TAGS), draw(negate(COMMAND))))
    return ", ".join(p.strip() for p in parts)


@st.composite
def statement(draw):
    kind = draw(st.sampled_from(["rule"] * 6 + ["alias", "defaults", "comment"]))
    if kind == "rule":
        users = ", ".join(draw(st.lists(negate(USER_MEMBER), min_size=1, max_size=3)))
        hosts = ", ".join(draw(st.lists(negate(HOST_MEMBER), min_size=1, max_size=2)))
        line = "%s %s = %s" % (users, hosts, draw(cmnd_spec()))
        if draw(st.integers(0, 5)) == 0 and ", " in line:
            line = line.replace(", ", ", \\\n    ", 1)  # a continuation line
        return line
    if kind == "alias":
        which = draw(st.sampled_from(["User_Alias UA", "Cmnd_Alias CA", "Runas_Alias RA", "Host_Alias HA"]))
        member = {"User_Alias UA": negate(st.sampled_from(["alice", "bob", "%dbg", "ALL", "#1503"])),
                  "Cmnd_Alias CA": negate(COMMAND.filter(lambda c: c != "CA")),
                  "Runas_Alias RA": negate(st.sampled_from(["root", "www-data", "ALL", "#33"])),
                  "Host_Alias HA": negate(st.sampled_from([HOST, "otherhost", "ALL"]))}[which]
        return "%s = %s" % (which, ", ".join(draw(st.lists(member, min_size=1, max_size=3))))
    if kind == "defaults":
        return draw(st.sampled_from(["Defaults runas_default=www-data", "Defaults:alice !authenticate",
                                     "Defaults log_output", "Defaults env_reset"]))
    return draw(st.sampled_from(["# a comment", "# a comment ending in a backslash \\", "", "#"]))


@st.composite
def tree(draw):
    files = {}
    aliases_defined = set()
    for index in range(draw(st.integers(1, 3))):
        name = draw(st.sampled_from(["%02d" % (index * 10)] * 3 + ["%02d-grant" % (index * 10)] * 3
                                    + ["x.conf", "old~"]))
        statements = draw(st.lists(statement(), min_size=1, max_size=5))
        for stmt in statements:
            if "_Alias " in stmt:
                aliases_defined.add(stmt.split()[1])
        mode, uid = draw(st.sampled_from([(0o440, 0)] * 6 + [(0o644, 0), (0o666, 0), (0o440, 1502)]))
        files["/etc/sudoers.d/" + name] = ("\n".join(statements) + "\n", mode, uid, 0)
    # Sometimes an include: a drop-in pulls in a file outside sudoers.d, at its start or its end.
    if draw(st.integers(0, 3)) == 0:
        extra = draw(st.lists(statement(), min_size=1, max_size=3))
        files["/etc/sudoers.extra"] = ("\n".join(extra) + "\n", 0o440, 0, 0)
        name = sorted(files)[0]
        text, mode, uid, gid = files[name]
        directive = draw(st.sampled_from(["@include /etc/sudoers.extra", "#include /etc/sudoers.extra",
                                          "@include ../sudoers.extra", "  @include \"/etc/sudoers.extra\" # why"]))
        text = directive + "\n" + text if draw(st.booleans()) else text + directive + "\n"
        files[name] = (text, mode, uid, gid)
    # Aliases used but never defined make sudo fail to parse the whole file: define each once.
    aliases_defined.update(re.findall(r"_Alias ([A-Z]+) =", "".join(f[0] for f in files.values())))
    used = set(a for a in ("UA", "CA", "RA", "HA") if any(a in f[0] for f in files.values()))
    missing = used - aliases_defined
    if missing:
        definitions = {"UA": "User_Alias UA = bob", "CA": "Cmnd_Alias CA = /usr/bin/strace",
                       "RA": "Runas_Alias RA = www-data", "HA": "Host_Alias HA = %s" % HOST}
        files["/etc/sudoers.d/00-aliases"] = ("\n".join(definitions[a] for a in sorted(missing)) + "\n", 0o440, 0, 0)
    return files


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(tree())
def test_generated_trees(files):
    wrong = compare(files)
    assert not wrong, show(files, wrong)


def test_enough_trees_were_compared():
    """The suite's promise: at least 200 trees, hand-written and generated."""
    if os.environ.get("DEBUGREADY_EXAMPLES"):
        pytest.skip("DEBUGREADY_EXAMPLES scales the run down")
    assert TALLY.trees >= 200, TALLY.trees
