# -*- coding: utf-8 -*-
# Copyright (c) 2026, debugready.ptrace contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The sudoers model: the include tree as sudo reads it, the rules, and ptrace grants.

Reading follows sudo: files are read depth-first at the point of each include,
`@includedir`/`#includedir` read a directory in lexical order and silently skip names
containing '.' or ending in '~' and anything that is not a regular file; files that
sudo refuses for their owner or mode are reported. Rules keep their source file and
line. Grants apply "last match wins" between an allow and a later negation.
This file never runs sudo: validation (`visudo -c`) goes through a runner the caller
supplies.
"""

from __future__ import annotations

import datetime
import fnmatch
import os
import re
import stat

from ansible_collections.debugready.ptrace.plugins.module_utils import _paths

MAIN_FILE = "/etc/sudoers"
PTRACE_TOOLS = ("strace", "ltrace", "gdb", "gdbserver", "perf")
ALIAS_TYPES = {"User_Alias": "user", "Runas_Alias": "runas", "Host_Alias": "host",
               "Cmnd_Alias": "cmnd", "Cmd_Alias": "cmnd"}
TAGS = frozenset((
    "NOPASSWD", "PASSWD", "NOEXEC", "EXEC", "SETENV", "NOSETENV", "LOG_INPUT", "NOLOG_INPUT",
    "LOG_OUTPUT", "NOLOG_OUTPUT", "MAIL", "NOMAIL", "FOLLOW", "NOFOLLOW", "INTERCEPT", "NOINTERCEPT",
))
OPTIONS = frozenset(("NOTBEFORE", "NOTAFTER", "TIMEOUT", "CWD", "CHROOT", "ROLE", "TYPE",
                     "APPARMOR_PROFILE", "PRIVS", "LIMITPRIVS"))
DIGESTS = frozenset(("sha224", "sha256", "sha384", "sha512"))
MAX_INCLUDE_DEPTH = 128
VISUDO_MODE = 0o440  # `visudo -c` wants root:root 0440; sudo itself accepts any safe mode
_ADDRESS = re.compile(r"^([0-9.]+|[0-9A-Fa-f:]*:[0-9A-Fa-f:.]*)(/[0-9.]+)?$")
_ALIAS_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")
_INCLUDE = re.compile(r"^[#@](include|includedir)\s+(.+?)\s*$")
_GENTIME = re.compile(r"^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})?(\d{2})?(?:[.,]\d+)?(Z|[+-]\d{2}(?:\d{2})?)?$")


class SudoersError(Exception):
    """Base class of this module's errors."""


class SudoersSyntaxError(SudoersError):
    """A line this model cannot parse (sudo would most likely reject it too)."""


# --- files -----------------------------------------------------------------------

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
    if st.st_uid != 0:
        return "unsafe_owner"
    if st.st_mode & stat.S_IWOTH:
        return "world_writable"
    if st.st_mode & stat.S_IWGRP and st.st_gid != 0:
        return "group_writable"
    return None


def expand_include_path(path, including_file, hostname):
    """Apply sudo's include path rules: quotes, %h, and paths relative to the including file."""
    path = path.strip()
    if len(path) >= 2 and path[0] == path[-1] == '"':
        path = path[1:-1]
    short = (hostname or "").split(".")[0]
    path = re.sub(r"%(.)", lambda m: short if m.group(1) == "h" else m.group(1), path)
    if not path.startswith("/"):
        path = os.path.normpath(os.path.join(os.path.dirname(including_file), path))
    return path


# --- lexer -----------------------------------------------------------------------

class Token(object):
    __slots__ = ("kind", "text", "space_before")

    def __init__(self, kind, text, space_before):
        self.kind = kind  # "word" or one of , = : ( ) !
        self.text = text
        self.space_before = space_before

    def __repr__(self):
        return "%s:%r" % (self.kind, self.text)


def strip_comment(line):
    """Remove a trailing comment; '#' followed by a digit is a uid, not a comment."""
    escaped = quoted = False
    for index, char in enumerate(line):
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == "#" and not quoted:
            after = line[index + 1:index + 2]
            at_word_start = index == 0 or line[index - 1] in " \t,=:(!"
            if at_word_start and not after.isdigit():
                return line[:index]
    return line


def tokenize(text):
    tokens = []
    word = None
    space = True
    index = 0
    while index < len(text):
        char = text[index]
        if char == "\\" and index + 1 < len(text):
            word = (word or "") + text[index + 1]
            index += 2
            continue
        if char == '"':
            end = text.find('"', index + 1)
            if end < 0:
                raise SudoersSyntaxError("unterminated quote")
            word = (word or "") + text[index + 1:end]
            index = end + 1
            continue
        if char in " \t":
            if word is not None:
                tokens.append(Token("word", word, space))
                word = None
            space = True
        elif char in ",=:()" or (char == "!" and word is None):
            if word is not None:
                tokens.append(Token("word", word, space))
                word = None
                space = False
            tokens.append(Token(char, char, space))
            space = False
        else:
            if word is None:
                word = ""
            word += char
        index += 1
    if word is not None:
        tokens.append(Token("word", word, space))
    return tokens


class _Cursor(object):
    def __init__(self, tokens):
        self.tokens = tokens
        self.pos = 0

    def peek(self, offset=0):
        index = self.pos + offset
        return self.tokens[index] if index < len(self.tokens) else None

    def kind(self, offset=0):
        token = self.peek(offset)
        return token.kind if token else None

    def take(self, kind=None):
        token = self.peek()
        if token is None or (kind and token.kind != kind):
            raise SudoersSyntaxError("expected %s, found %s" % (kind or "a token", token.text if token else "end of line"))
        self.pos += 1
        return token


# --- statements ------------------------------------------------------------------

class Item(object):
    """A list member with its negation, e.g. '!alice' or 'STRACE'."""

    __slots__ = ("name", "negated")

    def __init__(self, name, negated=False):
        self.name = name
        self.negated = negated

    def __repr__(self):
        return ("!" if self.negated else "") + self.name


class CmndSpec(object):
    """One command of a rule with the runas, options and tags in force for it."""

    __slots__ = ("runas_users", "runas_groups", "options", "tags", "command", "negated")

    def __init__(self, runas_users, runas_groups, options, tags, command, negated):
        self.runas_users = runas_users
        self.runas_groups = runas_groups
        self.options = options
        self.tags = tags
        self.command = command
        self.negated = negated


class Rule(object):
    """A user specification for one host list (a `:`-joined line gives several)."""

    __slots__ = ("users", "hosts", "cmnds", "source", "line")

    def __init__(self, users, hosts, cmnds, source, line):
        self.users = users
        self.hosts = hosts
        self.cmnds = cmnds
        self.source = source
        self.line = line


def _parse_items(cur, stop_kinds):
    """A comma-separated list of possibly negated words, ending at whitespace between words or a stop token."""
    items = []
    while True:
        negated = False
        while cur.kind() == "!":
            cur.take()
            negated = not negated
        items.append(Item(cur.take("word").text, negated))
        if cur.kind() == ",":
            cur.take()
            continue
        if cur.kind() is None or cur.kind() in stop_kinds or cur.kind() == "word":
            return items
        raise SudoersSyntaxError("unexpected %r in a list" % cur.peek().text)


def _parse_runas(cur):
    cur.take("(")
    users, groups = [], []
    target = users
    while cur.kind() != ")":
        kind = cur.kind()
        if kind is None:
            raise SudoersSyntaxError("unterminated runas list")
        if kind == ":":
            cur.take()
            target = groups
            continue
        if kind == ",":
            cur.take()
            continue
        negated = False
        while cur.kind() == "!":
            cur.take()
            negated = not negated
        target.append(Item(cur.take("word").text, negated))
    cur.take(")")
    return users, groups


def _parse_cmnd_list(cur):
    cmnds = []
    runas_users = [Item("root")]  # runas_default when no Runas_Spec is given
    runas_groups = []
    options = {}
    tags = {}
    while True:
        if cur.kind() == "(":
            runas_users, runas_groups = _parse_runas(cur)
        options = dict(options)
        tags = dict(tags)
        while True:
            token = cur.peek()
            if token and token.kind == "word" and token.text in OPTIONS and cur.kind(1) == "=":
                cur.take()
                cur.take("=")
                options[token.text] = cur.take("word").text
            elif token and token.kind == "word" and token.text in TAGS and cur.kind(1) == ":":
                cur.take()
                cur.take(":")
                tags.update([_tag_setting(token.text)])
            elif token and token.kind == "word" and token.text in DIGESTS and cur.kind(1) == ":":
                cur.take()
                cur.take(":")
                cur.take("word")
                while cur.kind() == "=" and not cur.peek().space_before:  # base64 padding
                    cur.take()
            else:
                break
        negated = False
        while cur.kind() == "!":
            cur.take()
            negated = not negated
        words = [cur.take("word").text]
        while cur.kind() == "word":
            words.append(cur.take().text)
        cmnds.append(CmndSpec(runas_users, runas_groups, options, tags, words, negated))
        if cur.kind() == ",":
            cur.take()
            continue
        return cmnds


def _tag_setting(tag):
    """('PASSWD', False) for NOPASSWD, ('LOG_OUTPUT', True) for LOG_OUTPUT, and so on."""
    if tag.startswith("NO") and tag[2:] in TAGS:
        return tag[2:], False
    return tag, True


def parse_command_specs(text):
    """The Cmnd_Spec_List of a rule or of a `sudo -l` entry, e.g. '(root) NOPASSWD: /usr/bin/strace, /bin/id'."""
    return _parse_cmnd_list(_Cursor(tokenize(text)))


def parse_user_spec(text, source="<string>", line=0):
    cur = _Cursor(tokenize(text))
    users = _parse_items(cur, ("=",))
    rules = []
    while True:
        hosts = _parse_items(cur, ("=",))
        cur.take("=")
        cmnds = _parse_cmnd_list(cur)
        rules.append(Rule(users, hosts, cmnds, source, line))
        if cur.kind() is None:
            return rules
        cur.take(":")


def parse_alias_line(text):
    """(type, {name: [Item]}) for an alias definition line."""
    keyword, rest = (text.strip().split(None, 1) + [""])[:2]
    alias_type = ALIAS_TYPES[keyword]
    cur = _Cursor(tokenize(rest))
    result = {}
    while True:
        name = cur.take("word").text
        if not _ALIAS_NAME.match(name):
            raise SudoersSyntaxError("invalid alias name %r" % name)
        cur.take("=")
        members = []
        while True:
            negated = False
            while cur.kind() == "!":
                cur.take()
                negated = not negated
            words = [cur.take("word").text]
            while alias_type == "cmnd" and cur.kind() == "word":
                words.append(cur.take().text)
            members.append((Item(" ".join(words), negated), words))
            if cur.kind() == ",":
                cur.take()
                continue
            break
        result[name] = members
        if cur.kind() is None:
            return alias_type, result
        cur.take(":")


def parse_defaults(text):
    """(binding, {param: value}) of a Defaults line; value is True/False or a string."""
    head, rest = (text.strip().split(None, 1) + [""])[:2]
    binding = head[len("Defaults"):] or None
    params = {}
    for raw in re.split(r"(?<!\\),", rest):
        raw = raw.strip()
        if not raw:
            continue
        if raw.startswith("!"):
            params[raw[1:].strip()] = False
            continue
        name, sep, value = raw.partition("=")
        name = name.rstrip("+-").strip()
        params[name] = value.strip().strip('"') if sep else True
    return binding, params


def logical_lines(text):
    """(first line number, joined text) with backslash continuation lines joined."""
    pending = []
    start = None
    for number, raw in enumerate(text.splitlines(), 1):
        if start is None:
            start = number
        if raw.endswith("\\") and not raw.endswith("\\\\"):
            pending.append(raw[:-1])
            continue
        pending.append(raw)
        yield start, " ".join(pending)
        pending = []
        start = None
    if pending:
        yield start, " ".join(pending)


# --- the tree --------------------------------------------------------------------

class Tree(object):
    """Everything read from /etc/sudoers and its includes."""

    def __init__(self):
        self.files = []          # paths in the order sudo reads them
        self.skipped = []        # {"path", "reason", "included_from", "line"}
        self.double_includes = []  # {"path", "included_from", "line"}
        self.errors = []         # {"path", "line", "message"}
        self.rules = []
        self.aliases = {"user": {}, "runas": {}, "host": {}, "cmnd": {}}
        self.defaults = []       # (binding, params, path, line)
        self.visudo_mode_problems = []  # {"path", "mode", "owner", "group"}: sudo reads them, visudo -c fails

    def as_dict(self):
        return {"files": list(self.files), "skipped": list(self.skipped),
                "double_includes": list(self.double_includes), "errors": list(self.errors),
                "visudo_mode_problems": list(self.visudo_mode_problems)}


def load_tree(root="/", main=MAIN_FILE, hostname=None):
    """Read the sudoers tree under `root` as sudo would. Never raises for host state."""
    tree = Tree()
    seen = set()
    if not os.path.lexists(_paths.host_path(root, main)):
        tree.skipped.append({"path": main, "reason": "missing", "included_from": None, "line": None})
        return tree
    _read_file(tree, root, main, [], None, None, seen, hostname)
    return tree


def _read_file(tree, root, path, stack, included_from, include_line, seen, hostname):
    def skip(reason):
        tree.skipped.append({"path": path, "reason": reason, "included_from": included_from, "line": include_line})

    if path in stack:
        return skip("include_loop")
    if len(stack) >= MAX_INCLUDE_DEPTH:
        return skip("include_too_deep")
    host = _paths.host_path(root, path)
    try:
        st = os.stat(host)
    except OSError:
        return skip("missing")
    reason = unsafe_reason(st)
    if reason:
        return skip(reason)
    if stat.S_IMODE(st.st_mode) != VISUDO_MODE or st.st_gid != 0:
        tree.visudo_mode_problems.append({"path": path, "mode": "%04o" % stat.S_IMODE(st.st_mode),
                                          "uid": st.st_uid, "gid": st.st_gid})
    try:
        with open(host, "rb") as handle:
            text = handle.read().decode("utf-8", "replace")
    except OSError:
        return skip("unreadable")
    if path in seen:
        tree.double_includes.append({"path": path, "included_from": included_from, "line": include_line})
    seen.add(path)
    tree.files.append(path)
    stack = stack + [path]
    for number, logical in logical_lines(text):
        stripped = logical.strip()
        include = _INCLUDE.match(stripped)
        if include:
            target = expand_include_path(include.group(2), path, hostname)
            if include.group(1) == "include":
                _read_file(tree, root, target, stack, path, number, seen, hostname)
            else:
                _read_dir(tree, root, target, stack, path, number, seen, hostname)
            continue
        statement = strip_comment(logical).strip()
        if not statement:
            continue
        try:
            _parse_statement(tree, statement, path, number)
        except SudoersSyntaxError as exc:
            tree.errors.append({"path": path, "line": number, "message": str(exc)})
    return None


def _read_dir(tree, root, directory, stack, included_from, include_line, seen, hostname):
    try:
        names = sorted(os.listdir(_paths.host_path(root, directory)))
    except OSError:
        tree.skipped.append({"path": directory, "reason": "missing", "included_from": included_from,
                             "line": include_line})
        return
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
            tree.skipped.append({"path": path, "reason": reason, "included_from": included_from,
                                 "line": include_line})
            continue
        _read_file(tree, root, path, stack, included_from, include_line, seen, hostname)


def _parse_statement(tree, statement, path, number):
    first = statement.split(None, 1)[0]
    if first.startswith("Defaults") and (len(first) == 8 or first[8] in ":@>!"):
        binding, params = parse_defaults(statement)
        tree.defaults.append((binding, params, path, number))
    elif first in ALIAS_TYPES:
        alias_type, aliases = parse_alias_line(statement)
        tree.aliases[alias_type].update(aliases)
    else:
        tree.rules.extend(parse_user_spec(statement, path, number))


# --- time limits -----------------------------------------------------------------

def parse_gentime(text, local_offset=None):
    """A sudoers NOTBEFORE/NOTAFTER value as an aware UTC datetime.

    Without 'Z' or an offset, sudo uses the caller's local time; `local_offset`
    (a timedelta) stands for it, default the host's current offset.
    Returns (datetime, had_explicit_zone).
    """
    match = _GENTIME.match(text.strip())
    if not match:
        raise SudoersSyntaxError("invalid date %r (want YYYYMMDDHHMMSSZ)" % text)
    year, month, day, hour = (int(match.group(i)) for i in range(1, 5))
    minute = int(match.group(5) or 0)
    second = int(match.group(6) or 0)
    zone = match.group(7)
    try:
        # sudo rolls hour 24 (and minute/second 60) over into the next unit, as mktime does.
        naive = datetime.datetime(year, month, day) + datetime.timedelta(hours=hour, minutes=minute, seconds=second)
    except (ValueError, OverflowError) as exc:
        raise SudoersSyntaxError("invalid date %r: %s" % (text, exc))
    if zone == "Z":
        offset = datetime.timedelta(0)
    elif zone:
        sign = 1 if zone[0] == "+" else -1
        offset = sign * datetime.timedelta(hours=int(zone[1:3]), minutes=int(zone[3:5] or 0))
    elif local_offset is not None:
        offset = local_offset
    else:
        offset = datetime.datetime.now().astimezone().utcoffset() or datetime.timedelta(0)
    return (naive - offset).replace(tzinfo=datetime.timezone.utc), bool(zone)


def format_gentime(moment):
    """An aware datetime as sudo's UTC generalized time, e.g. '20261128153000Z'."""
    return moment.astimezone(datetime.timezone.utc).strftime("%Y%m%d%H%M%SZ")


# --- grants ----------------------------------------------------------------------

def _expand(items, aliases, seen=None):
    """Items with aliases of one type expanded recursively; negation composes."""
    seen = seen or frozenset()
    out = []
    for item in items:
        if item.name in aliases and item.name not in seen:
            members = [entry[0] for entry in aliases[item.name]]
            for inner in _expand(members, aliases, seen | {item.name}):
                out.append(Item(inner.name, inner.negated != item.negated))
        else:
            out.append(item)
    return out


def host_matches(hosts, aliases, hostname):
    """True/False for the host list, None when it depends on what this model cannot resolve."""
    names = set()
    if hostname:
        names.add(hostname.lower())
        names.add(hostname.split(".")[0].lower())
    result = False
    for item in _expand(hosts, aliases):
        if item.name == "ALL":
            hit = True
        elif item.name.lower() in names:
            hit = True
        elif item.name.startswith("+") or _ADDRESS.match(item.name):
            hit = None  # netgroup or network address: not resolved here
        elif any(c in item.name for c in "*?["):
            hit = any(fnmatch.fnmatch(n, item.name.lower()) for n in names)
        else:
            hit = False
        if hit:
            result = None if item.negated and hit is None else (not item.negated)
        elif hit is None and result is False:
            result = None
    return result


def command_matches_tool(command_words, tool_name, tool_paths, installed_only=False):
    """Does one Cmnd (path + args, or ALL) cover running this tool?

    With `installed_only`, ALL covers only tools that have a path on this host.
    """
    path = command_words[0]
    if path == "ALL":
        return bool(tool_paths) or not installed_only
    if not path.startswith("/"):
        return False
    if path.endswith("/"):
        return any(os.path.dirname(p) + "/" == path for p in tool_paths) or False
    if any(c in path for c in "*?["):
        return any(fnmatch.fnmatchcase(p, path) for p in tool_paths) or fnmatch.fnmatchcase(
            "/" + tool_name, "/" + os.path.basename(path))
    return path in tool_paths or os.path.basename(path) == tool_name


def _runas_as_list(items):
    return [("!" if i.negated else "") + i.name for i in items]


def compute_grants(tree, tool_paths=None, hostname=None, now=None, local_offset=None):
    """(grants, overridden) for every principal that may run a ptrace-capable tool.

    `tool_paths`: {tool name: [absolute paths]} of installed tools; tools not
    installed still match by basename. Last match wins: an allow followed by a
    negation for the same principal (or ALL) and tool is reported as overridden.
    """
    installed_only = tool_paths is not None
    if tool_paths is None:
        tool_paths = dict((tool, []) for tool in PTRACE_TOOLS)
    now = now or datetime.datetime.now(datetime.timezone.utc)
    allows = []  # (principal, {tool: sequence of the command allowing it}, record)
    denies = []  # (sequence, principal, tool, "source:line")
    sequence = 0
    for rule in tree.rules:
        host_ok = host_matches(rule.hosts, tree.aliases["host"], hostname)
        if host_ok is False:
            continue
        users = _expand(rule.users, tree.aliases["user"])
        for spec in rule.cmnds:
            if spec.command[0] in tree.aliases["cmnd"]:
                via = "alias"
                commands = [(c.negated, c.name.split(" "))
                            for c in _expand([Item(spec.command[0], spec.negated)], tree.aliases["cmnd"])]
            else:
                via = "all" if spec.command[0] == "ALL" else "path"
                commands = [(spec.negated, spec.command)]
            matched = []  # (sequence, negated, words, tools), in the order sudo reads them
            for negated, words in commands:
                tools = [t for t in sorted(tool_paths) if command_matches_tool(words, t, tool_paths[t], installed_only)]
                if tools:
                    matched.append((sequence, negated, words, tools))
                    sequence += 1
            allowed = [m for m in matched if not m[1]]
            for position, principal in enumerate(users):
                if principal.negated:
                    continue
                for seq, negated, words, tools in matched:
                    if negated:
                        denies.extend((seq, principal.name, tool, "%s:%s" % (rule.source, rule.line)) for tool in tools)
                if not allowed:
                    continue
                # Last match wins in a user list too: '!bob, ALL' includes bob, 'ALL, !bob' does not.
                # A negated user only takes that user out of this rule; it denies nothing.
                excluded = [u.name for u in users[position + 1:] if u.negated]
                record = _grant_record(rule, spec, principal.name, excluded, [m[2] for m in allowed], via, now,
                                       local_offset, host_ok, tree.aliases["runas"])
                allows.append((principal.name, dict((tool, m[0]) for m in allowed for tool in m[3]), record))
    grants, overridden = [], []
    for principal, tool_sequences, record in allows:
        kept, lost, by = [], [], None
        for tool in sorted(tool_sequences):
            deny = next((where for seq, who, denied, where in denies
                         if seq > tool_sequences[tool] and denied == tool and who in (principal, "ALL")), None)
            if deny:
                lost.append(tool)
                by = deny
            else:
                kept.append(tool)
        if kept and dict(record, tools=kept) not in grants:
            grants.append(dict(record, tools=kept))
        if lost:
            entry = dict(record, tools=lost, overridden_by=by)
            if entry not in overridden:
                overridden.append(entry)
    return grants, overridden


def _grant_record(rule, spec, principal, excluded, commands, via, now, local_offset, host_ok, runas_aliases):
    not_after = spec.options.get("NOTAFTER")
    not_after_utc = expired = None
    zone_given = None
    if not_after:
        try:
            moment, zone_given = parse_gentime(not_after, local_offset)
            not_after_utc = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
            expired = moment <= now
        except SudoersSyntaxError:
            expired = None
    runas = _runas_as_list(_expand(spec.runas_users, runas_aliases))
    return {
        "principal": principal,
        "excluded": list(excluded),
        "runas": runas,
        "runas_groups": _runas_as_list(_expand(spec.runas_groups, runas_aliases)),
        "as_root": any(r in ("root", "ALL", "#0") for r in runas),
        "commands": [" ".join(words) for words in commands],
        "via": via,
        "alias": spec.command[0] if via == "alias" else None,
        "nopasswd": spec.tags.get("PASSWD") is False,
        "log_output": spec.tags.get("LOG_OUTPUT"),
        "not_after": not_after,
        "not_after_utc": not_after_utc,
        "not_after_has_zone": zone_given,
        "expired": expired,
        "host_matches": host_ok,
        "source": rule.source,
        "line": rule.line,
    }
