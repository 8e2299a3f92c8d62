# -*- coding: utf-8 -*-
# Copyright (c) 2026, debugready.ptrace contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The sudoers model: which files sudo reads, what they say, and the ptrace grants in them.

Reading is split the way the truth is split:
- which files sudo reads or skips, and why, is decided here, from sudo's own rules (names
  with '.' or ending in '~', owner and mode of each file and of each included directory,
  include depth), because sudo's parser does not tell;
- what the files say comes from sudo's own parser where the host has it: `cvtsudoers -f
  sudoers`, run once on the files sudo reads joined in sudo's order, with a marker rule at
  each file boundary so every rule keeps its file. Its canonical output (no comments, one
  statement per line, escapes normalised) is read with the grammar of _sudoers_syntax,
  which also reads the files themselves where cvtsudoers is missing; `Policy.parser` says
  which one answered. (Not `-f json`: measured with sudo 1.9.13p3, it merges consecutive
  commands with the same run-as list and keeps only the first one's NOTBEFORE/NOTAFTER,
  prints CWD and CHROOT as invalid JSON, and loses the difference between `Defaults:` and
  `Defaults>` and between an escaped space in a path and an argument.)
- whether a request is allowed is decided by _sudoers_match (sudo's matching rules).

sudo-rs (Ubuntu 25.10 and later install it as `sudo`; Debian 13 has it as `sudo-rs`) reads
the same files with its own subset of the grammar: `implementation()` tells which sudo the
host runs, and `load(..., implementation="sudo-rs")` reads the files as sudo-rs does (measured
with sudo-rs 0.2.5, docs/verified-semantics.md "sudo-rs"): cvtsudoers, sudo's parser, is not
asked; a statement sudo-rs rejects (NOTBEFORE/NOTAFTER, NOEXEC, digests, ...) is dropped with
an error, as sudo-rs drops it; `%h` in an include path is not expanded.
"""

from __future__ import annotations

import datetime
import os
import re
import stat
import tempfile

from ansible_collections.debugready.ptrace.plugins.module_utils import _paths, _sudoers_match, _sudoers_syntax

MAIN_FILE = "/etc/sudoers"
PTRACE_TOOLS = ("strace", "ltrace", "gdb", "gdbserver", "perf")
MAX_INCLUDE_DEPTH = 128
VISUDO_MODE = 0o440  # `visudo -c` wants root:root 0440; sudo itself accepts any safe mode
MAX_RECOVERIES = 32  # syntax errors cvtsudoers may report before we give up on it
_MARKER_USER = "debugready_file_"
_ERROR_LINE = re.compile(r"^(?P<path>.+?):(?P<line>[0-9]+):(?:[0-9]+:)? (?P<message>.*)$", re.MULTILINE)

SyntaxProblem = _sudoers_syntax.SyntaxProblem

# --- which sudo: sudo (sudo.ws) or sudo-rs ----------------------------------------------------
SUDO = "sudo"
SUDO_RS = "sudo-rs"
# Measured with sudo-rs 0.2.5 (docs/verified-semantics.md, "sudo-rs"). Each of these makes sudo-rs
# reject the whole statement ("syntax error: NOTAFTER is not supported by sudo-rs"): the rule is dropped,
# the rest of the file is kept, and `visudo -c` fails.
SUDO_RS_REJECTED_OPTIONS = {"notbefore": "NOTBEFORE", "notafter": "NOTAFTER", "command_timeout": "TIMEOUT",
                            "runchroot": "CHROOT", "role": "ROLE", "type": "TYPE",
                            "apparmor_profile": "APPARMOR_PROFILE", "privs": "PRIVS", "limitprivs": "LIMITPRIVS"}
SUDO_RS_REJECTED_TAGS = {"noexec": "NOEXEC", "intercept": "INTERCEPT"}  # only when set (EXEC, NOINTERCEPT pass)
# Accepted with a warning ("LOG_OUTPUT tags are ignored by sudo-rs") and without any effect.
SUDO_RS_IGNORED_TAGS = {"log_input": "LOG_INPUT", "log_output": "LOG_OUTPUT", "send_mail": "MAIL"}
# Defaults sudo-rs rejects ("unknown setting", or "cannot be used in a boolean context"): the whole
# Defaults line is dropped. Only measured names are listed; the model reads runas_default and authenticate.
SUDO_RS_REJECTED_DEFAULTS = ("authenticate", "runas_default", "log_output", "log_input", "iolog_dir",
                             "iolog_file", "requiretty", "noexec", "syslog", "logfile", "insults", "listpw",
                             "noninteractive_auth", "passwd_timeout", "umask", "editor")
_SUDO_RS_VERSION = re.compile(r"^sudo-rs\s+(\S+)")
_SUDO_VERSION = re.compile(r"^Sudo version\s+(\S+)")


def version_command(sudo_path):
    return [sudo_path, "-V"]


def implementation(sudo_path, root="/", run=None):
    """Which sudo `sudo_path` is: {"name": "sudo" | "sudo-rs" | None, "version", "source"}.

    `run` asks the program itself (`sudo -V`: "sudo-rs 0.2.5" on stderr, or "Sudo version 1.9.13p3"). Without
    it, or when the answer is neither, the file tells: sudo-rs installs its binaries in
    /usr/lib/cargo/bin (Debian 13; Ubuntu points /usr/bin/sudo there through alternatives), or
    under the name sudo-rs.
    """
    if sudo_path is None:
        return {"name": None, "version": None, "source": None}
    if run is not None:
        rc, out, err = run(version_command(sudo_path))
        # sudo prints its version on stdout, sudo-rs 0.2.5 on stderr.
        text = ((out or "").strip() or (err or "").strip()) if rc == 0 else ""
        first = text.splitlines()[0] if text else ""
        for name, pattern in ((SUDO_RS, _SUDO_RS_VERSION), (SUDO, _SUDO_VERSION)):
            match = pattern.match(first)
            if match:
                return {"name": name, "version": match.group(1), "source": "sudo -V"}
    real = os.path.realpath(_paths.host_path(root, sudo_path))
    is_rs = os.path.basename(real) == "sudo-rs" or "/cargo/bin/" in real
    return {"name": SUDO_RS if is_rs else SUDO, "version": None, "source": "path"}


class SudoersError(Exception):
    """Base class of this module's errors."""


class SudoersSyntaxError(SudoersError):
    """A value this model cannot read."""


# Why the reader skips a file or directory sudo would skip (the code in `skipped[].reason`), and the words
# findings use for it ("... because <text>").
SKIP_REASONS = {
    "name_contains_dot": "its name contains '.'",
    "name_ends_with_tilde": "its name ends in '~'",
    "not_regular_file": "it is not a regular file",
    "unsafe_owner": "it is not owned by root",
    "world_writable": "it is world-writable",
    "group_writable": "it is writable by a group other than root",
    "include_loop": "it includes itself (include loop)",
    "include_too_deep": "includes nest too deeply",
    "missing": "it does not exist",
    "unreadable": "it cannot be read",
    "not_utf8": "it is not valid UTF-8",
    "include_rejected_by_sudo_rs": "sudo-rs rejects this include",
    "directory_unsafe_owner": "the directory is not owned by root",
    "directory_world_writable": "the directory is world-writable",
    "directory_group_writable": "the directory is writable by a group other than root",
    "not_a_directory": "it is not a directory",
}
UNSAFE_REASONS = ("unsafe_owner", "world_writable", "group_writable")
UNSAFE_DIR_REASONS = tuple("directory_" + r for r in UNSAFE_REASONS)


# --- files -----------------------------------------------------------------------------

def skip_reason_for_name(name):
    """Why sudo's includedir silently skips a file name, or None."""
    if "." in name:
        return "name_contains_dot"
    if name.endswith("~"):
        return "name_ends_with_tilde"
    return None


def unsafe_reason(st):
    """Why sudo refuses a file with this stat result, or None (sudo_secure_file)."""
    if not stat.S_ISREG(st.st_mode):
        return "not_regular_file"
    return unsafe_owner_or_mode(st)


def unsafe_dir_reason(st):
    """Why sudo skips a whole included directory, or None (measured: it warns and reads none of it)."""
    if not stat.S_ISDIR(st.st_mode):
        return "not_a_directory"
    reason = unsafe_owner_or_mode(st)
    return "directory_" + reason if reason else None


def unsafe_owner_or_mode(st):
    """Why a non-root user could change this file or directory (sudo_secure_file's rule), or None."""
    if st.st_uid != 0:
        return "unsafe_owner"
    if st.st_mode & stat.S_IWOTH:
        return "world_writable"
    if st.st_mode & stat.S_IWGRP and st.st_gid != 0:
        return "group_writable"
    return None


def expand_include_path(path, including_file, hostname, implementation=None):
    """sudo's include path rules: %h is the short host name, a relative path is relative to the including file.

    sudo-rs 0.2.5 does not expand %h (measured: "cannot open sudoers file '/etc/inc-%h'").
    """
    if implementation != SUDO_RS:
        short = (hostname or "").split(".")[0]
        path = re.sub(r"%([h%])", lambda m: short if m.group(1) == "h" else "%", path)
    if not path.startswith("/"):
        path = os.path.normpath(os.path.join(os.path.dirname(including_file), path))
    return path


class Tree(object):
    """The files sudo reads, in order, cut into segments at each include."""

    def __init__(self):
        self.files = []          # paths in the order sudo reads them
        self.segments = []       # (path, first line number, text) in sudo's reading order
        self.skipped = []        # {"path", "reason", "included_from", "line"}
        self.double_includes = []
        self.visudo_mode_problems = []
        self.includes = []       # {"kind", "path", "included_from", "line"}: every directive in a file read
        self.uncertain = []      # reasons that touch every answer (an include loop)
        self.main_usable = False
        self.implementation = None  # SUDO_RS when read as sudo-rs reads it

    def as_dict(self):
        return {"files": list(self.files), "skipped": list(self.skipped),
                "double_includes": list(self.double_includes),
                "visudo_mode_problems": list(self.visudo_mode_problems)}


def read_tree(root="/", main=MAIN_FILE, hostname=None, implementation=None):
    """The files sudo reads under `root`, as sudo reads them. Never raises for host state."""
    tree = Tree()
    tree.implementation = implementation
    if not os.path.lexists(_paths.host_path(root, main)):
        tree.skipped.append({"path": main, "reason": "missing", "included_from": None, "line": None})
        return tree
    _read_file(tree, root, main, [], None, None, set(), hostname)
    tree.main_usable = bool(tree.files) and tree.files[0] == main
    return tree


def _skip(tree, path, reason, included_from, line):
    tree.skipped.append({"path": path, "reason": reason, "included_from": included_from, "line": line})


def _read_file(tree, root, path, stack, included_from, include_line, seen, hostname):
    if path in stack:
        tree.uncertain.append("%s includes itself (sudo reads it again until its include depth limit)" % path)
        return _skip(tree, path, "include_loop", included_from, include_line)
    if len(stack) >= MAX_INCLUDE_DEPTH:
        return _skip(tree, path, "include_too_deep", included_from, include_line)
    host = _paths.host_path(root, path)
    try:
        st = os.stat(host)
    except OSError:
        return _skip(tree, path, "missing", included_from, include_line)
    reason = unsafe_reason(st)
    if reason:
        return _skip(tree, path, reason, included_from, include_line)
    try:
        with open(host, "rb") as handle:
            data = handle.read()
    except OSError:
        return _skip(tree, path, "unreadable", included_from, include_line)
    if tree.implementation == SUDO_RS:
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            # sudo-rs: "stream did not contain valid UTF-8", and none of the file is read.
            return _skip(tree, path, "not_utf8", included_from, include_line)
    if stat.S_IMODE(st.st_mode) != VISUDO_MODE or st.st_gid != 0:
        tree.visudo_mode_problems.append({"path": path, "mode": "%04o" % stat.S_IMODE(st.st_mode),
                                          "uid": st.st_uid, "gid": st.st_gid})
    if path in seen:
        tree.double_includes.append({"path": path, "included_from": included_from, "line": include_line})
    seen.add(path)
    tree.files.append(path)
    text = data.decode("utf-8", "surrogateescape")
    stack = stack + [path]
    lines = text.split("\n")
    segment_start = 0
    index = 0
    while index < len(lines):
        # A directive is a logical line: it may be continued onto the next physical lines.
        end = index
        while end < len(lines) - 1 and _sudoers_syntax.continues(lines[end]):
            end += 1
        # continues() holds only for lines without a comment, so their last character is the backslash.
        logical = " ".join([line[:-1] for line in lines[index:end]] + [lines[end]])
        directive = _sudoers_syntax.include_directive(logical) if "include" in logical else None
        if directive is not None:
            tree.segments.append((path, segment_start + 1, "\n".join(lines[segment_start:index])))
            segment_start = end + 1
            kind, raw_target = directive
            target = expand_include_path(raw_target, path, hostname, tree.implementation)
            if tree.implementation == SUDO_RS and _sudo_rs_rejects_include(logical):
                # "use quotes around filenames or escape whitespace": the directive is dropped.
                _skip(tree, target, "include_rejected_by_sudo_rs", path, index + 1)
                index = end + 1
                continue
            tree.includes.append({"kind": kind, "path": target, "included_from": path, "line": index + 1})
            if kind == "include":
                _read_file(tree, root, target, stack, path, index + 1, seen, hostname)
            else:
                _read_dir(tree, root, target, stack, path, index + 1, seen, hostname)
        index = end + 1
    tree.segments.append((path, segment_start + 1, "\n".join(lines[segment_start:])))
    return None


def _sudo_rs_rejects_include(logical):
    """sudo-rs 0.2.5 rejects an include directive with anything after an unquoted path (a comment too)."""
    words = logical.strip().split(None, 1)
    rest = words[1].strip() if len(words) > 1 else ""
    if rest.startswith('"'):
        return False
    return len(re.split(r"(?<!\\)\s+", rest)) > 1


def _read_dir(tree, root, directory, stack, included_from, include_line, seen, hostname):
    host = _paths.host_path(root, directory)
    try:
        st = os.stat(host)
    except OSError:
        return _skip(tree, directory, "missing", included_from, include_line)
    reason = unsafe_dir_reason(st)
    if reason:
        return _skip(tree, directory, reason, included_from, include_line)
    try:
        names = sorted(os.listdir(host))
    except OSError:
        return _skip(tree, directory, "unreadable", included_from, include_line)
    for name in names:
        path = directory.rstrip("/") + "/" + name
        reason = skip_reason_for_name(name)
        if reason is None:
            # Measured: sudo silently passes over directories and dangling symlinks here.
            try:
                if not stat.S_ISREG(os.stat(_paths.host_path(root, path)).st_mode):
                    reason = "not_regular_file"
            except OSError:
                reason = "not_regular_file"
        if reason:
            _skip(tree, path, reason, included_from, include_line)
            continue
        _read_file(tree, root, path, stack, included_from, include_line, seen, hostname)
    return None


# --- parsing -------------------------------------------------------------------------------

class Policy(object):
    """The tree, the statements sudo takes from it, and which parser read them."""

    def __init__(self, tree, statements, parser, parser_problem=None, fails=None):
        self.tree = tree
        self.statements = statements
        self.parser = parser  # "cvtsudoers" or "python"
        self.parser_problem = parser_problem  # why cvtsudoers did not answer, when it did not
        self.implementation = tree.implementation or SUDO
        self.fails = fails  # why every sudo call fails on this tree (sudo-rs panics), or None
        self.evaluator = _sudoers_match.Evaluator(statements, tree.uncertain, fails, self.implementation == SUDO_RS)

    @property
    def rules(self):
        return self.statements.rules

    @property
    def defaults(self):
        return self.statements.defaults

    @property
    def skipped(self):
        return self.tree.skipped

    @property
    def double_includes(self):
        return self.tree.double_includes

    @property
    def visudo_mode_problems(self):
        return self.tree.visudo_mode_problems

    @property
    def includes(self):
        return self.tree.includes

    @property
    def files(self):
        return self.tree.files

    @files.setter
    def files(self, value):
        self.tree.files = value

    @property
    def errors(self):
        return self.statements.errors

    def decide(self, request):
        return self.evaluator.decide(request)

    def as_dict(self):
        facts = self.tree.as_dict()
        facts.update({"errors": list(self.statements.errors), "parser": self.parser,
                      "parser_problem": self.parser_problem, "sudo_fails": self.fails})
        return facts


def load(root="/", hostname=None, run=None, cvtsudoers=None, main=MAIN_FILE, implementation=None, tree=None):
    """The Policy under `root`. `run(argv)` and the path of cvtsudoers make sudo's parser answer;
    without them (or when it fails) the fallback parser does.

    `implementation="sudo-rs"`: the files as sudo-rs reads them (the fallback parser, then sudo-rs's
    rejections); cvtsudoers, sudo's own parser, would answer for another program.
    `tree`: the files, when the caller has already read them with read_tree() (same arguments).
    """
    if tree is None:
        tree = read_tree(root, main, hostname, implementation)
    if implementation == SUDO_RS:
        statements = parse_with_python(tree)
        fails = sudo_rs_dialect(statements, tree)
        problem = "the host's sudo is sudo-rs: cvtsudoers (sudo's parser) does not read as sudo-rs does" \
            if cvtsudoers is not None else None
        return Policy(tree, statements, "python", problem, fails)
    problem = None
    if run is not None and cvtsudoers is not None and tree.segments:
        try:
            return Policy(tree, parse_with_cvtsudoers(tree, run, cvtsudoers), "cvtsudoers")
        except SyntaxProblem as exc:
            problem = str(exc)
    return Policy(tree, parse_with_python(tree), "python", problem)


def load_tree(root="/", main=MAIN_FILE, hostname=None, implementation=None):
    """load() with the fallback parser only (no commands run): for callers that need the files."""
    return load(root, hostname, main=main, implementation=implementation)


def parse_with_python(tree):
    statements = _sudoers_syntax.Statements()
    for path, first_line, text in tree.segments:
        before = len(statements.errors)
        _sudoers_syntax.parse_text(text, path, first_line, statements)
        for error in statements.errors[before:]:
            # A statement the fallback cannot read may be one sudo reads: it could decide anything.
            statements.rules.append(_sudoers_syntax.Rule([], [], [], error["path"], error["line"], ["unreadable"]))
    return statements


def _sudo_rs_rejects(rule):
    """Why sudo-rs 0.2.5 rejects the statement of this rule (measured), or None."""
    for member in rule.hosts:
        if member.kind in ("host", "alias") and re.search(r"[\\?*\[\]]", member.value):
            return "sudo-rs accepts no wildcards in host names (\"expecting '='\")"
    for spec in rule.cmnds:
        for option, keyword in sorted(SUDO_RS_REJECTED_OPTIONS.items()):
            if option in spec.options:
                return "%s is not supported by sudo-rs" % keyword
        for tag, keyword in sorted(SUDO_RS_REJECTED_TAGS.items()):
            if spec.options.get(tag) is True:
                return "%s is not supported by sudo-rs" % keyword
        command = spec.command
        if command.kind == "alias" and command.value in _sudoers_syntax.TAGS:
            return "%s without its ':' (\"expecting ':'\")" % command.value
        if command.kind == "command":
            if command.value.digest:
                return "digest specifications are not supported by sudo-rs"
            if command.value.path == "sudoedit":
                return "sudoedit is not supported by sudo-rs"
            if command.value.path.startswith("^"):
                return "sudo-rs expects the path of a program (no regular expressions)"
    if any(member.kind == "netgroup" for member in rule.users):
        return "netgroups are not supported by sudo-rs"
    return None


def sudo_rs_dialect(statements, tree):
    """Drop, in place, what sudo-rs 0.2.5 rejects, each with an error (as sudo-rs drops the statement),
    and read the rest as sudo-rs does (an escaped space ends a command path).

    Returns why sudo-rs fails on every call with this tree, or None: a `%:group` in a user list passes
    `visudo -c` and then makes every sudo run panic (exit 101, "not yet implemented").
    """
    fails = None
    for path, first_line, text in tree.segments:
        for number, statement in _sudoers_syntax.logical_lines(text, first_line):
            users = statement.split("=", 1)[0]
            if _sudoers_syntax.statement_kind(statement) == "rule" and re.search(r"(^|[\s,!])%:", users):
                fails = fails or ("%s line %s names a %%:group: sudo-rs 0.2.5 panics on it (exit 101, 'not yet "
                                  "implemented'), so every sudo call fails" % (path, number))
    rejected = {}
    for rule in statements.rules:
        for spec in rule.cmnds:
            command = spec.command
            if command.kind == "command" and " " in command.value.path:
                head, tail = command.value.path.split(" ", 1)
                args = " ".join(part for part in (tail, command.value.args) if part)
                split = _sudoers_syntax.Command(head, args, command.value.digest)
                spec.command = _sudoers_syntax.Member("command", split, command.negated)
            elif command.kind == "command" and "=" in (command.value.args or ""):
                # sudo-rs rejects an unescaped '=' in arguments; the parsed text no longer says which it was.
                rule.hazards.append("'=' in arguments (sudo-rs rejects it unless escaped)")
    for rule in statements.rules:
        reason = _sudo_rs_rejects(rule)
        if reason:
            rejected.setdefault((rule.source, rule.line), reason)
    statements.rules = [r for r in statements.rules if (r.source, r.line) not in rejected]
    kept = []
    for entry in statements.defaults:
        names = [name for name, _value in entry.options if name in SUDO_RS_REJECTED_DEFAULTS]
        if names:
            rejected.setdefault((entry.source, entry.line), "sudo-rs rejects the setting %s" % names[0])
        else:
            kept.append(entry)
    statements.defaults = kept
    for (path, line), message in sorted(rejected.items(), key=lambda item: (str(item[0][0]), item[0][1] or 0)):
        statements.errors.append({"path": path, "line": line, "message": message})
    return fails


def _flatten(tree, dropped):
    """One text with every segment in order, each after a marker rule; and line -> (segment, line) maps."""
    lines = []
    origin = []  # per flattened line: (segment index, source line) or None
    for index, (path, first_line, text) in enumerate(tree.segments):
        lines.append("%s%d ALL = /nonexistent/debugready-marker" % (_MARKER_USER, index))
        origin.append(None)
        for offset, line in enumerate(text.split("\n")):
            number = first_line + offset
            lines.append("" if (path, number) in dropped else line)
            origin.append((index, number))
        lines.extend(["", ""])  # a trailing backslash in one file must not join the next
        origin.extend([None, None])
    return "\n".join(lines) + "\n", origin


def parse_with_cvtsudoers(tree, run, cvtsudoers):
    """Statements from sudo's parser, each rule with its file (and line when it can be matched)."""
    dropped = {}  # (path, line) -> message: statements sudo drops for a syntax error
    for _attempt in range(MAX_RECOVERIES):
        text, origin = _flatten(tree, dropped)
        handle, temp = tempfile.mkstemp(prefix="debugready-sudoers-")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(text.encode("utf-8", "surrogateescape"))
            rc, stdout, stderr = run([cvtsudoers, "-f", "sudoers", temp])
        finally:
            os.unlink(temp)
        if rc == 0:
            statements = _sudoers_syntax.parse_text(stdout or "", canonical=True)
            if statements.errors:
                raise SyntaxProblem("cannot read cvtsudoers output: line %(line)s: %(message)s" % statements.errors[0])
            statements.errors = [{"path": p, "line": n, "message": m} for (p, n), m in sorted(dropped.items())]
            _attribute(statements, tree)
            return statements
        error = _first_error(stderr, temp, origin)
        if error is None:
            raise SyntaxProblem("cvtsudoers failed (rc %s): %s" % (rc, (stderr or stdout or "").strip()[:300]))
        segment, line, message = error
        for number in _statement_lines(tree.segments[segment], line):
            dropped[(tree.segments[segment][0], number)] = message
    raise SyntaxProblem("cvtsudoers reported more than %d syntax errors" % MAX_RECOVERIES)


def _first_error(stderr, temp, origin):
    for match in _ERROR_LINE.finditer(stderr or ""):
        if match.group("path") != temp:
            continue
        number = int(match.group("line"))
        if 1 <= number <= len(origin) and origin[number - 1] is not None:
            segment, line = origin[number - 1]
            return segment, line, match.group("message").strip()
    return None


def _statement_lines(segment, line):
    """The physical lines of the statement holding `line` (continuation lines included)."""
    _path, first_line, text = segment
    raw = text.split("\n")
    start = line
    while start > first_line and _sudoers_syntax.continues(raw[start - 1 - first_line]):
        start -= 1
    end = line
    while end - first_line < len(raw) and _sudoers_syntax.continues(raw[end - first_line]):
        end += 1
    return range(start, end + 1)


def _attribute(statements, tree):
    """Give each rule its file (from the markers) and, when the statements line up, its line."""
    rules = []
    segment = None
    per_segment = {}  # segment -> [[rules of one canonical statement], ...]
    for rule in statements.rules:
        marker = _marker_index(rule)
        if marker is not None:
            segment = marker
            continue
        canonical_line = rule.line
        rule.source = tree.segments[segment][0] if segment is not None else None
        rule.line = None
        groups = per_segment.setdefault(segment, [])
        if groups and groups[-1][0] == canonical_line:
            groups[-1][1].append(rule)
        else:
            groups.append((canonical_line, [rule]))
        rules.append(rule)
    statements.rules = rules
    for index, groups in per_segment.items():
        if index is None:
            continue
        path, first_line, segment_text = tree.segments[index]
        lines = [number for number, statement in _sudoers_syntax.logical_lines(segment_text, first_line)
                 if _sudoers_syntax.statement_kind(statement) == "rule"
                 and _sudoers_syntax.include_directive(statement) is None]
        if len(lines) == len(groups):
            for (_canonical, group), number in zip(groups, lines):
                for rule in group:
                    rule.line = number


def _marker_index(rule):
    if len(rule.users) == 1 and rule.users[0].kind == "user" and rule.users[0].value.startswith(_MARKER_USER):
        try:
            return int(rule.users[0].value[len(_MARKER_USER):])
        except ValueError:
            return None
    return None


# --- time limits -----------------------------------------------------------------------------

def parse_gentime(text, local_offset=None):
    """A NOTBEFORE/NOTAFTER value as (aware UTC datetime, had an explicit zone); SudoersSyntaxError if invalid."""
    moment = _sudoers_match.parse_gentime(text, local_offset)
    if moment is None:
        raise SudoersSyntaxError("invalid date %r (want YYYYMMDDHHMMSSZ)" % (text,))
    return moment, bool(re.search(r"(Z|[+-][0-9]{2}([0-9]{2})?)$", str(text).strip()))


def format_gentime(moment):
    """An aware datetime as sudo's UTC generalized time, e.g. '20261128153000Z'."""
    return moment.astimezone(datetime.timezone.utc).strftime("%Y%m%d%H%M%SZ")


# --- grants ------------------------------------------------------------------------------------

def _expand(members, aliases, seen=frozenset()):
    """Members with aliases of one kind expanded; negation composes. Undefined aliases stay."""
    out = []
    for member in members:
        if member.kind == "alias" and member.value in aliases and member.value not in seen:
            for inner in _expand(aliases[member.value], aliases, seen | {member.value}):
                out.append(_sudoers_syntax.Member(inner.kind, inner.value, inner.negated != member.negated))
        else:
            out.append(member)
    return out


def _tools_of(member, tool_paths, installed_only, root, ids):
    """The ptrace tools one command member covers (with any arguments or only some).

    A path counts when sudo would run a tool through it: its base name is the tool's and it
    exists (or, without tool facts, by name alone), it is the same file as an installed tool
    (a link with another name), or a directory or glob that holds one.
    """
    if member.kind == "all":
        return [t for t in sorted(tool_paths) if tool_paths[t] or not installed_only]
    if member.kind != "command":
        return []
    found = []
    path = member.value.path
    if path.startswith("/"):
        for tool in sorted(tool_paths):
            paths = tool_paths[tool]
            if tool in found:
                continue
            if path.endswith("/"):
                hit = _exists(path + tool, root, ids) or any(os.path.dirname(p) + "/" == path for p in paths) \
                    or not installed_only
            elif re.search(r"[\\?*\[\]]", path):
                hit = any(_sudoers_match.fnmatch(path, p, pathname=True) is not False for p in paths) or (
                    not paths and _sudoers_match.fnmatch(os.path.basename(path), tool) is not False)
            else:
                hit = path in paths or (os.path.basename(path) == tool and (_exists(path, root, ids) or not installed_only)) \
                    or any(_same_file(path, p, root, ids) for p in paths)
            if hit:
                found.append(tool)
    return found


def _file_id(path, root, ids):
    """(device, inode, is a regular file) of a host path, or None; `ids` caches the answers of one
    compute_grants() call (a tree of 200 files names the same few commands thousands of times)."""
    if path not in ids:
        try:
            st = os.stat(_paths.host_path(root, path))
        except (OSError, ValueError):
            ids[path] = None
        else:
            ids[path] = (st.st_dev, st.st_ino, stat.S_ISREG(st.st_mode))
    return ids[path]


def _exists(path, root, ids):
    found = _file_id(path, root, ids)
    return found is not None and found[2]


def _same_file(a, b, root, ids):
    ida, idb = _file_id(a, root, ids), _file_id(b, root, ids)
    return ida is not None and idb is not None and ida[:2] == idb[:2]


def _covers_all_after(members, wanted):
    """A list certainly includes `wanted` (a Member or 'ALL'): a positive ALL or an equal member,
    with no negated member after it that could take something out again."""
    position = None
    for index, member in enumerate(members):
        if not member.negated and (member.kind == "all" or (wanted != "ALL" and member.text() == wanted.text())):
            position = index
    return position is not None and not any(m.negated for m in members[position + 1:])


def compute_grants(policy, tool_paths=None, hostname=None, now=None, local_offset=None, root="/"):
    """(grants, overridden) for every principal a rule lets run a ptrace-capable tool.

    A grant is reported as overridden only when a later rule certainly takes it back for every
    user it names (same principal or ALL, every run-as user, any arguments, in force now):
    a compliance check must never hide a live grant. `tool_paths`: {tool: [paths]} of installed
    tools; without it every known tool matches by name.
    """
    installed_only = tool_paths is not None
    if tool_paths is None:
        tool_paths = dict((tool, []) for tool in PTRACE_TOOLS)
    now = now or datetime.datetime.now(datetime.timezone.utc)
    statements = policy.statements
    aliases = statements.aliases
    hosts = policy.evaluator._host_matcher(hostname or "", set())
    request = _sudoers_match.Request({"name": "", "uid": -1, "gid": -1, "groups": [], "gids": []}, "/", [],
                                     now=now, local_offset=local_offset, root=root)
    entries = []  # (order, rule, spec, member, tools, host result), in sudo's order
    order = 0
    ids = {}
    for rule in statements.rules:
        host_result = policy.evaluator._list(rule.hosts, hosts, set())
        for spec in rule.cmnds:
            for member in _expand([spec.command], aliases["cmnd"]):
                tools = _tools_of(member, tool_paths, installed_only, root, ids)
                if tools:
                    entries.append((order, rule, spec, member, tools, host_result))
                    order += 1
    grants, overridden = [], []
    by_spec = []  # [(rule, spec, host result, [(order, member, tools)])]: one record per command of a rule
    for order, rule, spec, member, tools, host_result in entries:
        if member.negated or _sudoers_match.ALLOW not in host_result:
            continue
        if by_spec and by_spec[-1][1] is spec:
            by_spec[-1][3].append((order, member, tools))
        else:
            by_spec.append((rule, spec, host_result, [(order, member, tools)]))
    for rule, spec, host_result, members in by_spec:
        users = _expand(rule.users, aliases["user"])
        for position, principal in enumerate(users):
            if principal.negated:
                continue
            excluded = [u.text()[1:] for u in users[position + 1:] if u.negated]
            record = _grant_record(rule, spec, [m for _o, m, _t in members], principal, excluded, now, local_offset,
                                   host_result, aliases)
            if policy.implementation == SUDO_RS and record["log_output"]:
                record["log_output"] = False  # sudo-rs accepts LOG_OUTPUT and logs nothing
            kept, lost, by = [], [], None
            for order, _member, tools in members:
                for tool in tools:
                    if tool in kept or tool in lost:
                        continue
                    deny = _certain_override(entries, order, principal, spec, tool, request, policy, aliases,
                                             tool_paths, root, ids)
                    if deny is None:
                        kept.append(tool)
                    else:
                        lost.append(tool)
                        by = deny
            if kept and dict(record, tools=sorted(kept)) not in grants:
                grants.append(dict(record, tools=sorted(kept)))
            if lost:
                entry = dict(record, tools=sorted(lost), overridden_by=by)
                if entry not in overridden:
                    overridden.append(entry)
    return grants, overridden


def _names_the_tool(member, tool, tool_paths, root, ids):
    """A deny member certainly names the installed tool: ALL, or a path (or directory) of the same file."""
    if member.kind == "all":
        return True
    command = member.value
    if member.kind != "command" or command.args is not None or command.digest or re.search(r"[\\?*\[\]]", command.path):
        return False
    path = command.path + tool if command.path.endswith("/") else command.path
    paths = tool_paths.get(tool) or []
    return path in paths or any(_same_file(path, p, root, ids) for p in paths)


def _certain_override(entries, order, principal, allow_spec, tool, request, policy, aliases, tool_paths, root, ids):
    """'source:line' of a later deny that certainly cancels this grant of `tool`, or None."""
    for later, rule, spec, member, tools, host_result in entries:
        if later <= order or not member.negated or tool not in tools or host_result != {_sudoers_match.ALLOW}:
            continue
        if rule.hazards or not _names_the_tool(member, tool, tool_paths, root, ids):
            continue
        if not _covers_all_after(_expand(rule.users, aliases["user"]), principal):
            continue
        if policy.evaluator._in_window(spec, request, set()) is not True:
            continue
        deny_runas = spec.runas_users
        allow_runas = allow_spec.runas_users
        same_runas = [m.text() for m in deny_runas or []] == [m.text() for m in allow_runas or []] and \
            spec.runas_groups is None and (deny_runas is None) == (allow_runas is None)
        if not (same_runas or (deny_runas and _covers_all_after(_expand(deny_runas, aliases["runas"]), "ALL"))):
            continue
        return "%s:%s" % (rule.source, rule.line) if rule.line else rule.source
    return None


def _grant_record(rule, spec, members, principal, excluded, now, local_offset, host_result, aliases):
    options = spec.options
    not_after = options.get("notafter")
    not_after_utc = expired = zone_given = None
    if not_after:
        moment = _sudoers_match.parse_gentime(not_after, local_offset)
        if moment is not None:
            not_after_utc = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
            expired = moment < now
            zone_given = bool(re.search(r"(Z|[+-][0-9]{2}([0-9]{2})?)$", str(not_after).strip()))
    runas_members = _expand(spec.runas_users, aliases["runas"]) if spec.runas_users is not None else None
    runas = [m.text() for m in runas_members] if runas_members is not None else ["root"]
    via = "alias" if spec.command.kind == "alias" else ("all" if members[0].kind == "all" else "path")
    return {
        "principal": principal.text(),
        "excluded": excluded,
        "runas": runas,
        "runas_groups": [m.text() for m in spec.runas_groups or []],
        "as_root": any(r in ("root", "ALL", "#0") for r in runas),
        "commands": [m.text() for m in members],
        "via": via,
        "alias": spec.command.value if via == "alias" else None,
        "nopasswd": options.get("authenticate") is False,
        "log_output": options.get("log_output"),
        "not_after": not_after,
        "not_after_utc": not_after_utc,
        "not_after_has_zone": zone_given,
        "expired": expired,
        "host_matches": True if host_result == {_sudoers_match.ALLOW} else None,
        "source": rule.source,
        "line": rule.line,
    }
