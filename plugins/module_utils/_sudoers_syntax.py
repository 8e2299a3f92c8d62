# -*- coding: utf-8 -*-
# Copyright (c) 2026, debugready.ptrace contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""sudoers text -> statements: the model's types and the grammar that reads them.

`parse_text()` reads two kinds of text: the canonical sudoers that sudo's own parser prints
(`cvtsudoers -f sudoers`: comments gone, one statement per line, escapes normalised; see
_sudoers), and, on hosts without cvtsudoers (sudo-rs, old or minimal installs), the files
themselves. It marks what it is unsure of (`hazards`: quotes, unusual escapes), and a
decision that depends on such a statement is reported as uncertain instead of guessed.

Measured with sudo 1.9.13p3 (docs/verified-semantics.md): a `#` starts a comment anywhere
unless a digit (or `-` and a digit) follows; a comment ends at the newline even when it ends
in a backslash; `@include` may be indented, `#include` may not; `=` and `,` in command
arguments must be escaped and are unescaped by sudo, as are escaped spaces in a path.
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple, Optional, Tuple

ALIAS_KINDS = {"User_Alias": "user", "Runas_Alias": "runas", "Host_Alias": "host", "Cmnd_Alias": "cmnd",
               "Cmd_Alias": "cmnd"}
TAGS = {"NOPASSWD": ("authenticate", False), "PASSWD": ("authenticate", True),
        "NOEXEC": ("noexec", True), "EXEC": ("noexec", False),
        "SETENV": ("setenv", True), "NOSETENV": ("setenv", False),
        "LOG_INPUT": ("log_input", True), "NOLOG_INPUT": ("log_input", False),
        "LOG_OUTPUT": ("log_output", True), "NOLOG_OUTPUT": ("log_output", False),
        "MAIL": ("send_mail", True), "NOMAIL": ("send_mail", False),
        "FOLLOW": ("sudoedit_follow", True), "NOFOLLOW": ("sudoedit_follow", False),
        "INTERCEPT": ("intercept", True), "NOINTERCEPT": ("intercept", False)}
OPTIONS = {"NOTBEFORE": "notbefore", "NOTAFTER": "notafter", "TIMEOUT": "command_timeout", "CWD": "runcwd",
           "CHROOT": "runchroot", "ROLE": "role", "TYPE": "type", "APPARMOR_PROFILE": "apparmor_profile",
           "PRIVS": "privs", "LIMITPRIVS": "limitprivs"}
DIGESTS = ("sha224", "sha256", "sha384", "sha512")
_SPECIAL = ",:= \t#"  # characters sudo unescapes in a command path or its arguments
_INCLUDE = re.compile(r"^(?:[ \t]*@|#)(include|includedir)[ \t]+(.*?)[ \t]*$")
_ALIAS_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")
_COMMENT = re.compile(r"#(?!-?[0-9])")
_SPACE = re.compile(r"[ \t]*")
_OPTION_OR_TAG = re.compile(r"([A-Z_]+)(=|:)")
_PLAIN_RUN = {}  # stops -> regex of a run of characters that are neither stops nor backslashes


class SyntaxProblem(Exception):
    """A statement this parser cannot read (sudo drops such an entry with an error)."""


# --- the statement types ----------------------------------------------------------------

class Member(NamedTuple):
    """One list entry: `kind` is all, user, uid, group, gid, nonunix_group, nonunix_gid, netgroup,
    alias, myself, host, address or command; `value` a string (a Command for commands)."""

    kind: str
    value: Any
    negated: bool = False

    def text(self):
        if self.kind == "command":
            body = self.value.text()
        else:
            body = {"all": "ALL", "uid": "#%s", "group": "%%%s", "gid": "%%#%s", "nonunix_group": "%%:%s",
                    "nonunix_gid": "%%:#%s", "netgroup": "+%s", "myself": ""}.get(self.kind, "%s")
            body = body % self.value if "%s" in body else body
        return ("!" if self.negated else "") + body

    def __repr__(self):
        return self.text()


class Command(NamedTuple):
    """A command as sudo stores it: `path` unescaped, `args` None (any) or the argument pattern, `digest`
    (algorithm, hex or base64) or None."""

    path: str
    args: Optional[str] = None
    digest: Optional[Tuple[str, str]] = None

    def text(self):
        return self.path if self.args is None else "%s %s" % (self.path, self.args)


class CmndSpec(object):
    """One command of a rule with the run-as lists, options and tags in force for it."""

    __slots__ = ("runas_users", "runas_groups", "options", "command")

    def __init__(self, runas_users, runas_groups, options, command):
        self.runas_users = runas_users  # list of Member, or None when the rule has no run-as spec
        self.runas_groups = runas_groups
        self.options = options  # cvtsudoers names: authenticate, notafter, log_output, ...
        self.command = command  # Member: all, alias or command


class Rule(object):
    """One privilege of a user specification (`users hosts = cmnds`), where it was read, and
    what the parser was unsure of."""

    __slots__ = ("users", "hosts", "cmnds", "source", "line", "hazards")

    def __init__(self, users, hosts, cmnds, source=None, line=None, hazards=()):
        self.users = users
        self.hosts = hosts
        self.cmnds = cmnds
        self.source = source
        self.line = line
        self.hazards = list(hazards)


class DefaultsEntry(object):
    """`Defaults[:@>!]binding options`: `binding_kind` is None (global), user, host, runas, cmnd,
    or "unknown" when cvtsudoers' JSON did not say which."""

    __slots__ = ("binding_kind", "binding", "options", "source", "line")

    def __init__(self, binding_kind, binding, options, source=None, line=None):
        self.binding_kind = binding_kind
        self.binding = binding
        self.options = options  # [(name, value)] in order; value True/False/str/list
        self.source = source
        self.line = line


class Statements(object):
    """What one parse produced."""

    def __init__(self):
        self.rules = []
        self.aliases = {"user": {}, "runas": {}, "host": {}, "cmnd": {}}
        self.defaults = []
        self.errors = []  # {"path", "line", "message"}


# --- lines -------------------------------------------------------------------------------

def strip_comment(line):
    """The line without its comment. A '#' followed by a digit is a uid or gid, not a comment."""
    if "#" not in line:
        return line
    if "\\" not in line:
        match = _COMMENT.search(line)
        return line[:match.start()] if match else line
    escaped = False
    for index, char in enumerate(line):
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "#" and _COMMENT.match(line, index):
            return line[:index]
    return line


def include_directive(line):
    """(kind, path) when a logical line is an include directive, else None.

    Measured (sudo 1.9.13p3): `#include` only at the start of a line (indented, it is a comment),
    `@include` also indented; the path may be quoted, backslashes escape the next character,
    and a `# comment` may follow. A directive with anything else after its path is not read.
    """
    match = _INCLUDE.match(line)
    if not match:
        return None
    rest = match.group(2)
    index, path = 0, ""
    quoted = rest.startswith('"')
    if quoted:
        index = 1
    while index < len(rest) and (rest[index] != '"' if quoted else rest[index] not in " \t"):
        if rest[index] == "\\" and index + 1 < len(rest):
            index += 1
        path += rest[index]
        index += 1
    if quoted:
        if index >= len(rest):
            return None  # unterminated: visudo rejects it
        index += 1
    tail = rest[index:].strip()
    if not path or (tail and not tail.startswith("#")):
        return None
    return match.group(1), path


def continues(raw):
    """Whether a physical line continues on the next: an odd number of backslashes ends its code."""
    if not raw.endswith("\\"):
        return False
    code = strip_comment(raw)
    return code == raw and (len(code) - len(code.rstrip("\\"))) % 2 == 1


def logical_lines(text, first_line=1):
    """(line number, statement) with comments removed and continuation lines joined.

    A backslash continues a line only outside a comment, as sudo's lexer does.
    """
    pending = []
    start = None
    for number, raw in enumerate(text.split("\n"), first_line):
        code = strip_comment(raw)
        if start is None:
            start = number
        if continues(raw):
            pending.append(code[:-1])
            continue
        pending.append(code)
        statement = " ".join(pending).strip()
        if statement:
            yield start, statement
        pending = []
        start = None
    if pending and " ".join(pending).strip():
        yield start, " ".join(pending).strip()


def statement_kind(statement):
    """defaults, alias or rule, from the first word."""
    first = statement.split(None, 1)[0]
    if first.startswith("Defaults") and (len(first) == 8 or first[8] in ":@>!"):
        return "defaults"
    if first in ALIAS_KINDS:
        return "alias"
    return "rule"


# --- the fallback parser --------------------------------------------------------------------

class _Lexer(object):
    """Words and punctuation of one statement. Between tokens `pos` always rests on a non-blank
    character (or the end), so looking ahead costs nothing."""

    def __init__(self, text, canonical=False):
        self.text = text
        self.end = len(text)
        self.pos = _SPACE.match(text, 0).end()
        self.hazards = []
        self.canonical = canonical

    def jump(self, pos):
        self.pos = _SPACE.match(self.text, pos).end()

    def advance(self):
        self.jump(self.pos + 1)

    def at_end(self):
        return self.pos >= self.end

    def peek(self):
        return self.text[self.pos] if self.pos < self.end else ""

    def expect(self, char):
        if self.peek() != char:
            raise SyntaxProblem("expected %r at column %d" % (char, self.pos + 1))
        self.advance()

    def word(self, stops=",=:() \t", unescape=True):
        out = []
        plain = _PLAIN_RUN.get(stops)
        if plain is None:
            plain = _PLAIN_RUN[stops] = re.compile("[^\\\\%s]+" % re.escape(stops))
        run = plain.match(self.text, self.pos)
        if run and (run.end() >= self.end or self.text[run.end()] != "\\"):
            # The common case: a word without escapes, taken at once.
            word = run.group()
            if '"' in word and word != '""':
                self.hazards.append("quote")
            self.jump(run.end())
            return word
        while self.pos < len(self.text):
            run = plain.match(self.text, self.pos)
            if run:
                out.append(run.group())
                self.pos = run.end()
                continue
            char = self.text[self.pos]
            if char == "\\" and self.pos + 1 < len(self.text):
                following = self.text[self.pos + 1]
                if unescape and following in _SPECIAL:
                    out.append(following)
                else:
                    out.append(char + following)
                    self.hazards.append("escape")
                self.pos += 2
                continue
            if char in stops:
                break
            out.append(char)
            self.pos += 1
        if not out:
            raise SyntaxProblem("expected a word at column %d" % (self.pos + 1))
        word = "".join(out)
        if '"' in word and word != '""':  # `""` is "no arguments"; other quoting is not modelled
            self.hazards.append("quote")
        self.jump(self.pos)
        return word


def _member(word, negated, context, canonical=False):
    """A member from its sudoers spelling in a user, runas, host or alias list."""
    if canonical and (word.startswith("%!") or word.startswith("%:!")):
        # cvtsudoers 1.9.13 prints a negated group `!%dbg` as `%!dbg` (and `!%:x` as `%:!x`).
        word = word.replace("!", "", 1)
        negated = not negated
    if word == "ALL":
        return Member("all", "ALL", negated)
    if context == "host":
        if word.startswith("+"):
            return Member("netgroup", word[1:], negated)
        if re.match(r"^[0-9.]+(/[0-9.]+)?$|^[0-9A-Fa-f:]*:[0-9A-Fa-f:.]*(/[0-9]+)?$", word):
            return Member("address", word, negated)
        if _ALIAS_NAME.match(word):
            return Member("alias", word, negated)
        return Member("host", word, negated)
    if word.startswith("%:#"):
        return Member("nonunix_gid", word[3:], negated)
    if word.startswith("%:"):
        return Member("nonunix_group", word[2:], negated)
    if word.startswith("%#"):
        return Member("gid", word[2:], negated)
    if word.startswith("%"):
        return Member("group", word[1:], negated)
    if word.startswith("+"):
        return Member("netgroup", word[1:], negated)
    if word.startswith("#") and word[1:].lstrip("-").isdigit():
        return Member("uid", word[1:], negated)
    if _ALIAS_NAME.match(word):
        return Member("alias", word, negated)
    return Member("user", word, negated)


def _negations(lex):
    negated = False
    while lex.peek() == "!":
        lex.advance()
        negated = not negated
    return negated


def _list(lex, context):
    members = []
    while True:
        negated = _negations(lex)
        members.append(_member(lex.word(), negated, context, lex.canonical))
        if lex.peek() != ",":
            return members
        lex.advance()


def _command(lex):
    """One Cmnd: ALL, an alias, or a path with optional arguments up to an unescaped ',' or ':'."""
    negated = _negations(lex)
    start = lex.pos
    digest = None
    for algo in DIGESTS:
        if lex.text.startswith(algo + ":", lex.pos):
            lex.jump(lex.pos + len(algo) + 1)
            digest = (algo, lex.word(stops=", \t"))
            break
    path = lex.word(stops=", \t:")
    if path == "ALL" and digest is None:
        return Member("all", "ALL", negated)
    if _ALIAS_NAME.match(path) and digest is None:
        return Member("alias", path, negated)
    if not (path.startswith("/") or path in ("sudoedit", "list") or path.startswith("^")):
        raise SyntaxProblem("expected a command at column %d" % (start + 1))
    args = []
    while not lex.at_end() and lex.peek() not in ",:":
        args.append(lex.word(stops=", \t:"))
    return Member("command", Command(path, " ".join(args) if args else None, digest), negated)


def _cmnd_specs(lex):
    cmnds = []
    runas_users = runas_groups = None
    options = {}
    while True:
        if lex.peek() == "(":
            lex.advance()
            runas_users, runas_groups = [], None
            if lex.peek() == ")":
                runas_users = [Member("myself", "")]
            elif lex.peek() != ":":
                runas_users = _list(lex, "runas")
            else:
                runas_users = None
            if lex.peek() == ":":
                lex.advance()
                runas_groups = _list(lex, "runas") if lex.peek() != ")" else None
            lex.expect(")")
        options = dict(options)
        while True:
            match = _OPTION_OR_TAG.match(lex.text, lex.pos)
            if match and match.group(2) == "=" and match.group(1) in OPTIONS:
                lex.jump(match.end())
                options[OPTIONS[match.group(1)]] = lex.word(stops=", \t:")
            elif match and match.group(2) == ":" and match.group(1) in TAGS:
                lex.jump(match.end())
                key, value = TAGS[match.group(1)]
                options[key] = value
            else:
                break
        cmnds.append(CmndSpec(runas_users, runas_groups, options, _command(lex)))
        if lex.peek() != ",":
            return cmnds
        lex.advance()


def parse_command_specs(text):
    """The Cmnd_Spec_List of a rule or of a `sudo -l` entry, e.g. '(root) NOPASSWD: /usr/bin/strace, /bin/id'."""
    return _cmnd_specs(_Lexer(text))


def parse_rule(statement, source=None, line=None, canonical=False):
    """The Rules (one per `:`-separated host part) of a user specification."""
    lex = _Lexer(statement, canonical)
    users = _list(lex, "user")
    rules = []
    while True:
        hosts = _list(lex, "host")
        lex.expect("=")
        cmnds = _cmnd_specs(lex)
        rules.append(Rule(users, hosts, cmnds, source, line, lex.hazards))
        if lex.at_end():
            return rules
        lex.expect(":")


def parse_alias(statement, canonical=False):
    """(kind, {name: [Member]}, hazards)."""
    keyword, rest = (statement.split(None, 1) + [""])[:2]
    kind = ALIAS_KINDS[keyword]
    lex = _Lexer(rest, canonical)
    found = {}
    while True:
        name = lex.word()
        if not _ALIAS_NAME.match(name):
            raise SyntaxProblem("invalid alias name %r" % name)
        lex.expect("=")
        members = []
        while True:
            if kind == "cmnd":
                members.append(_command(lex))
            else:
                negated = _negations(lex)
                members.append(_member(lex.word(), negated, kind, lex.canonical))
            if lex.peek() != ",":
                break
            lex.advance()
        found[name] = members
        if lex.at_end():
            return kind, found, lex.hazards
        lex.expect(":")


def parse_defaults(statement, source=None, line=None, canonical=False):
    """A DefaultsEntry. Values keep their text; '!name' is False, a bare name True."""
    kinds = {":": "user", "@": "host", ">": "runas", "!": "cmnd"}
    first = statement.split(None, 1)[0]
    rest = statement[len(first):].strip()
    binding = []
    kind = None
    if len(first) > 8:
        kind = kinds[first[8]]
        text = first[9:]
        if not text:  # 'Defaults: alice x' puts the binding after a space
            text, rest = (rest.split(None, 1) + [""])[:2]
        lex = _Lexer(text, canonical)
        if kind == "cmnd":
            binding = [_command(lex)]
        else:
            binding = _list(lex, "host" if kind == "host" else "user")
    options = []
    for raw in re.split(r"(?<!\\),", rest):
        raw = raw.strip()
        if not raw:
            continue
        if raw.startswith("!"):
            options.append((raw[1:].strip(), False))
            continue
        name, sep, value = raw.partition("=")
        name = name.rstrip("+-").strip()
        options.append((name, value.strip().strip('"') if sep else True))
    return DefaultsEntry(kind, binding, options, source, line)


def parse_text(text, source=None, first_line=1, out=None, canonical=False):
    """Statements of one file's text (includes are the caller's business). Errors drop one statement.

    `canonical`: the text is cvtsudoers' output, with its known misprints.
    """
    out = out or Statements()
    for number, statement in logical_lines(text, first_line):
        if include_directive(statement) is not None:
            continue
        try:
            kind = statement_kind(statement)
            if kind == "defaults":
                out.defaults.append(parse_defaults(statement, source, number, canonical))
            elif kind == "alias":
                alias_kind, found, hazards = parse_alias(statement, canonical)
                if hazards:
                    # A definition not read with certainty: whatever uses it is uncertain.
                    found = dict((name, [Member("unknown", "%s at %s line %s" % (name, source, number))])
                                 for name in found)
                out.aliases[alias_kind].update(found)
            else:
                out.rules.extend(parse_rule(statement, source, number, canonical))
        except SyntaxProblem as exc:
            out.errors.append({"path": source, "line": number, "message": str(exc)})
    return out
