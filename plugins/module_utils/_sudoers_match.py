# -*- coding: utf-8 -*-
# Copyright (c) 2026, debugready.ptrace contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""May user U run COMMAND ARGS as R? sudo's own matching rules, applied to parsed statements.

What sudo does (plugins/sudoers/match.c and lookup, read from source and measured against
sudo 1.9.13p3 by tests/real): every list is read from its end and its last matching member
decides (`!bob, ALL` includes bob); rules are read from the end too and the last command spec
whose user, host, run-as and command all match decides, allow or deny; a spec outside its
NOTBEFORE/NOTAFTER window is passed over, it denies nothing; a command matches by base name
and inode (so `/bin/strace` and `/usr/bin/strace` are one command on a merged /usr, and a path
that does not exist matches nothing); arguments match as an fnmatch(3) pattern over the
space-joined arguments, none given allows any, `""` allows none.

Anything this model cannot decide here (netgroups, network addresses, group plugins, regular
expressions, a statement the fallback parser was unsure of) makes a member "maybe": the
answer then carries every outcome still possible, and it is certain only when they agree.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import os
import re

from ansible_collections.debugready.ptrace.plugins.module_utils import _paths

ALLOW, DENY, UNSPEC = "allow", "deny", "unspec"
_META = re.compile(r"[\\?*\[\]]")
_GENTIME = re.compile(r"^([0-9]{4})([0-9]{2})([0-9]{2})([0-9]{2})([0-9]{2})?([0-9]{2})?(?:[.,][0-9]+)?(Z|[+-][0-9]{2}(?:[0-9]{2})?)?\Z")


class Request(object):
    """The question: `account` and `runas` are {"name", "uid", "gid", "groups", "gids"} (runas None:
    the default target, as when sudo is run without -u); `lookup(name)` finds other accounts."""

    def __init__(self, account, path, args, runas=None, hostname=None, now=None, local_offset=None,
                 root="/", lookup=None):
        self.account = account
        self.path = path
        self.args = list(args or [])
        self.runas = runas
        self.hostname = hostname or ""
        self.now = now or datetime.datetime.now(datetime.timezone.utc)
        self.local_offset = local_offset
        self.root = root
        self.lookup = lookup or (lambda name: None)


class Decision(object):
    """`allowed` True/False, or None when the outcomes still possible disagree (`because` says why)."""

    def __init__(self, outcomes, because, fails=None):
        self.fails = fails  # why sudo fails on every call (then the answer is a certain no)
        values = set(outcome == ALLOW for outcome, _spec in outcomes)
        self.allowed = values.pop() if len(values) == 1 else None
        self.certain = self.allowed is not None
        deciders = set(spec for outcome, spec in outcomes)
        self.decider = deciders.pop() if len(deciders) == 1 else None  # (rule, cmnd spec) or None
        self.because = sorted(because)

    def as_dict(self):
        rule_spec = self.decider
        answer = {
            "allowed": self.allowed,
            "certain": self.certain,
            "uncertain_because": self.because if not self.certain else [],
            "rule": _describe(rule_spec) if rule_spec else None,
        }
        if self.fails:
            answer["sudo_fails"] = self.fails
        return answer


def _describe(rule_spec):
    rule, spec = rule_spec
    return {"source": rule.source, "line": rule.line, "command": spec.command.text(),
            "negated": spec.command.negated}


# --- small matchers -------------------------------------------------------------------------

def _fnmatch_regex(pattern, pathname=False, casefold=False):
    """fnmatch(3) as a Python regex: * ? [...] (with ! or ^) and backslash escapes."""
    out = []
    index = 0
    any_char = "[^/]" if pathname else "."
    while index < len(pattern):
        char = pattern[index]
        if char == "\\" and index + 1 < len(pattern):
            out.append(re.escape(pattern[index + 1]))
            index += 2
            continue
        if char == "*":
            out.append(any_char + "*")
        elif char == "?":
            out.append(any_char)
        elif char == "[":
            end = index + 1
            if end < len(pattern) and pattern[end] in "!^":
                end += 1
            if end < len(pattern) and pattern[end] == "]":
                end += 1
            end = pattern.find("]", end)
            if end < 0:
                out.append(re.escape(char))
            else:
                body = pattern[index + 1:end]
                if body[:1] in "!^":
                    body = "^" + body[1:]
                if "[:" in body:
                    raise ValueError("character class")
                out.append("[" + body.replace("\\", "\\\\") + "]")
                index = end + 1
                continue
        else:
            out.append(re.escape(char))
        index += 1
    return re.compile("".join(out) + r"\Z", re.DOTALL | (re.IGNORECASE if casefold else 0))


def fnmatch(pattern, text, pathname=False, casefold=False):
    """True/False, or None for a pattern this model does not read (a [:class:])."""
    try:
        return _fnmatch_regex(pattern, pathname, casefold).match(text) is not None
    except (ValueError, re.error):
        return None


def parse_gentime(text, local_offset=None):
    """A NOTBEFORE/NOTAFTER value as an aware UTC datetime, or None when it is not one."""
    match = _GENTIME.match(str(text).strip())
    if not match:
        return None
    year, month, day, hour = (int(match.group(i)) for i in range(1, 5))
    minute = int(match.group(5) or 0)
    second = int(match.group(6) or 0)
    zone = match.group(7)
    try:
        naive = datetime.datetime(year, month, day) + datetime.timedelta(hours=hour, minutes=minute, seconds=second)
    except (ValueError, OverflowError):
        return None
    if zone == "Z":
        offset = datetime.timedelta(0)
    elif zone:
        sign = 1 if zone[0] == "+" else -1
        offset = sign * datetime.timedelta(hours=int(zone[1:3]), minutes=int(zone[3:5] or 0))
    elif local_offset is not None:
        offset = local_offset
    else:
        offset = datetime.datetime.now().astimezone().utcoffset() or datetime.timedelta(0)
    return (naive - offset).replace(tzinfo=datetime.timezone.utc)


# --- the evaluator -----------------------------------------------------------------------

class Evaluator(object):
    """Answers Requests on one set of parsed statements (rules, aliases, defaults)."""

    def __init__(self, statements, uncertain=(), fails=None, sudo_rs=False):
        self.statements = statements
        # sudo-rs's matching where it differs from sudo's (measured, sudo-rs 0.2.5): host names match
        # case-sensitively, argument patterns are not globbed, `()` is not the target without -u.
        self.sudo_rs = sudo_rs
        self.uncertain = list(uncertain)  # reasons that touch every answer (e.g. an include loop)
        self.fails = fails  # why sudo fails on every call with these statements (sudo-rs), or None

    # lists: the last member that matches decides -----------------------------------------

    def _list(self, members, match, because, seen=frozenset()):
        """Set of outcomes (ALLOW/DENY/UNSPEC) of a member list; `match(member)` -> True/False/None."""
        current = {UNSPEC}
        for member in members:
            if member.kind == "alias":
                found = self._alias(member, because, seen, match)
                if found is None:
                    hit = match(member)  # sudo falls back to comparing the name as a word
                    result = self._member_outcomes(hit, member.negated)
                else:
                    flip = {ALLOW: DENY, DENY: ALLOW, UNSPEC: UNSPEC} if member.negated else {}
                    result = set(flip.get(outcome, outcome) for outcome in found)
            else:
                result = self._member_outcomes(match(member), member.negated)
            definite = result - {UNSPEC}
            current = definite | (current if UNSPEC in result else set())
        return current

    @staticmethod
    def _member_outcomes(hit, negated):
        value = DENY if negated else ALLOW
        if hit is True:
            return {value}
        if hit is False:
            return {UNSPEC}
        return {value, UNSPEC}

    def _alias(self, member, because, seen, match):
        kind = getattr(match, "alias_kind", None)
        members = self.statements.aliases.get(kind, {}).get(member.value)
        if members is None:
            return None
        if member.value in seen:
            because.add("alias loop at %s" % member.value)
            return {ALLOW, DENY, UNSPEC}
        return self._list(members, match, because, seen | {member.value})

    # users ------------------------------------------------------------------------------------

    def _user_matcher(self, account, because):
        def match(member):
            kind = member.kind
            if kind == "all":
                return True
            if kind in ("user", "alias"):
                return member.value == account["name"]
            if kind == "uid":
                return _int(member.value) == account["uid"]
            if kind == "group":
                return member.value in account["groups"]
            if kind == "gid":
                return _int(member.value) in account["gids"]
            if kind in ("nonunix_group", "nonunix_gid"):
                if self._default("group_plugin"):
                    because.add("non-Unix group %s (group plugin)" % member.text())
                    return None
                return False
            if kind == "netgroup":
                because.add("netgroup %s" % member.text())
                return None
            if kind == "myself":
                return None
            because.add("unexpected %s in a user list" % kind)
            return None
        match.alias_kind = "user"
        return match

    # hosts ------------------------------------------------------------------------------------

    def _host_matcher(self, hostname, because):
        long_name = hostname
        short_name = hostname.split(".")[0]

        def match(member):
            kind = member.kind
            if kind == "all":
                return True
            if kind in ("host", "alias"):
                pattern = member.value
                if self._default("fqdn") and "." in pattern:
                    because.add("host %s with Defaults fqdn" % pattern)
                    return None
                subject = long_name if "." in pattern else short_name
                if self.sudo_rs:
                    return pattern == subject
                if _META.search(pattern):
                    return fnmatch(pattern, subject, casefold=True)
                return pattern.lower() == subject.lower()
            if kind in ("address", "netgroup"):
                because.add("host %s" % member.text())
                return None
            because.add("unexpected %s in a host list" % kind)
            return None
        match.alias_kind = "host"
        return match

    # run-as -------------------------------------------------------------------------------------

    def _runas(self, spec, request, because):
        target = request.runas or self._default_target(request, because)
        if target is None:
            because.add("the default run-as user does not exist here")
            return {ALLOW, DENY}
        if spec.runas_users is None and spec.runas_groups is None:
            default = self._runas_default_name(because)
            return {ALLOW} if _name_or_uid_matches(default, target) else {DENY}
        if spec.runas_users is None:
            return {UNSPEC}  # only a group list, and no group asked for
        return self._list(spec.runas_users, self._runas_matcher(request, target, because), because)

    def _runas_matcher(self, request, target, because):
        def match(member):
            kind = member.kind
            if kind == "all":
                return True
            if kind in ("user", "alias"):
                return member.value == target["name"]
            if kind == "uid":
                return _int(member.value) == target["uid"]
            if kind == "group":
                return member.value in target["groups"]
            if kind == "gid":
                return _int(member.value) in target["gids"]
            if kind == "myself":
                if self.sudo_rs:  # without -u the target is root, and `()` does not name it
                    return request.runas is not None and target["name"] == request.account["name"]
                return request.runas is None or target["name"] == request.account["name"]
            if kind == "netgroup" or kind.startswith("nonunix"):
                because.add("run-as %s" % member.text())
                return None
            because.add("unexpected %s in a run-as list" % kind)
            return None
        match.alias_kind = "runas"
        return match

    def _runs_as_oneself(self, spec, request):
        """Without -u, the member that matches last sets the target: `()` (myself) runs the user as themselves.

        None when that cannot be told (an alias or a member this model cannot match decides).
        """
        if request.runas is not None or not spec.runas_users or self.sudo_rs:
            return False
        target = self._default_target(request, set())
        if target is None:
            return None
        match = self._runas_matcher(request, target, set())
        last = None
        for member in spec.runas_users:
            hit = match(member) if member.kind != "alias" else None
            if hit is None:
                return None
            if hit:
                last = member
        return last is not None and last.kind == "myself" and not last.negated

    def _runas_default_name(self, because):
        value = "root"
        for entry in self.statements.defaults:
            for name, setting in entry.options:
                if name == "runas_default":
                    if entry.binding_kind is None:
                        value = setting
                    else:
                        because.add("runas_default set for some users, hosts or commands only")
        return value

    def _default_target(self, request, because):
        name = self._runas_default_name(because)
        if name == "root" or name == "#0":
            return {"name": "root", "uid": 0, "gid": 0, "groups": ["root"], "gids": [0]}
        return request.lookup(name)

    def _default(self, name):
        """The last global (unbound) Defaults value of `name`, None when not set."""
        value = None
        for entry in self.statements.defaults:
            if entry.binding_kind is None:
                for option, setting in entry.options:
                    if option == name:
                        value = setting
        return value

    # commands -----------------------------------------------------------------------------------

    def _cmnd_matcher(self, request, because):
        root = request.root
        try:
            user_stat = os.stat(_paths.host_path(root, request.path))
        except OSError:
            user_stat = None
        user_base = os.path.basename(request.path)
        user_args = " ".join(request.args)

        def same_file(path):
            if os.path.basename(path) != user_base or user_stat is None:
                return False
            try:
                found = os.stat(_paths.host_path(root, path))
            except OSError:
                return False
            return (found.st_dev, found.st_ino) == (user_stat.st_dev, user_stat.st_ino)

        def args_match(pattern):
            if pattern is None:
                return True
            if pattern == '""':
                return not request.args
            if pattern.startswith("^") and pattern.endswith("$"):
                because.add("argument regular expression %s" % pattern)
                return None
            if self.sudo_rs and _META.search(pattern):
                # sudo-rs 0.2.5 does not glob arguments (`-p *` does not match `-p 1`); a literal match is unmeasured.
                if pattern == user_args:
                    because.add("argument pattern %s under sudo-rs" % pattern)
                    return None
                return False
            found = fnmatch(pattern, user_args)
            if found is None:
                because.add("argument pattern %s" % pattern)
            return found

        def path_match(path):
            if not path.startswith("/"):
                if path.startswith("^"):
                    because.add("command regular expression %s" % path)
                    return None
                return False  # sudoedit, list: pseudo-commands
            if _META.search(path):
                if self._default("fast_glob"):
                    found = fnmatch(path, request.path, pathname=True)
                    if found is None:
                        because.add("command pattern %s" % path)
                    return found
                return self._glob_match(path, root, same_file, because, user_base)
            if path.endswith("/"):
                return same_file(path + user_base)
            return same_file(path)

        def match(member):
            kind = member.kind
            if kind == "all":
                return True
            if kind == "alias":
                return False  # an undefined command alias matches nothing
            if kind != "command":
                because.add("%s could not be read with certainty" % member.value)
                return None
            command = member.value
            found = path_match(command.path)
            if found is not False:
                args_found = args_match(command.args)
                found = None if found is None or args_found is None else (found and args_found)
            if found and command.digest:
                found = _digest_matches(command.digest, request.path, root)
            return found
        match.alias_kind = "cmnd"
        return match

    def _glob_match(self, pattern, root, same_file, because, user_base):
        if "{" in pattern or "~" in pattern or "\\" in pattern:
            because.add("command glob %s" % pattern)
            return None
        directories = ["/"]
        parts = [p for p in pattern.split("/") if p]
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            following = []
            for directory in directories:
                if not _META.search(part):
                    following.append(directory.rstrip("/") + "/" + part)
                    continue
                try:
                    names = os.listdir(_paths.host_path(root, directory))
                except OSError:
                    continue
                for name in names:
                    if name.startswith(".") and not part.startswith("."):
                        continue
                    hit = fnmatch(part, name)
                    if hit is None:
                        because.add("command glob %s" % pattern)
                        return None
                    if hit:
                        following.append(directory.rstrip("/") + "/" + name)
            directories = following if not last else following
        if pattern.endswith("/"):
            return any(same_file(path + "/" + user_base) for path in directories)  # a directory spec
        return any(same_file(path) for path in directories)

    # the decision -----------------------------------------------------------------------------

    @staticmethod
    def _in_window(spec, request, because):
        """Whether the spec is in force now: sudo passes over one before NOTBEFORE or after NOTAFTER.

        None when a date cannot be read (the spec may or may not count; `because` says which).
        """
        for name in ("notbefore", "notafter"):
            if name not in spec.options:
                continue
            moment = parse_gentime(spec.options[name], request.local_offset)
            if moment is None:
                because.add("%s=%s is not a date this model reads" % (name.upper(), spec.options[name]))
                return None
            if (name == "notbefore" and request.now < moment) or (name == "notafter" and request.now > moment):
                return False
        return True

    def decide(self, request):
        """The Decision for one Request."""
        if self.fails:
            return Decision({(DENY, None)}, [], self.fails)
        because = set(self.uncertain)
        users = self._user_matcher(request.account, because)
        hosts = self._host_matcher(request.hostname, because)
        commands = self._cmnd_matcher(request, because)
        current = {(UNSPEC, None)}
        for rule in self.statements.rules:
            if rule.hazards:
                because.add("%s line %s could not be read with certainty (%s)" % (
                    rule.source, rule.line, ", ".join(sorted(set(rule.hazards)))))
                current |= set((outcome, (rule, spec)) for spec in rule.cmnds for outcome in (ALLOW, DENY))
                continue
            user_result = self._list(rule.users, users, because)
            if ALLOW not in user_result:
                continue
            host_result = self._list(rule.hosts, hosts, because)
            if ALLOW not in host_result:
                continue
            rule_may_not_apply = bool((user_result | host_result) - {ALLOW})
            for spec in rule.cmnds:
                in_window = self._in_window(spec, request, because)
                if in_window is False:
                    continue
                runas_result = self._runas(spec, request, because)
                if ALLOW not in runas_result:
                    continue
                command_result = self._list([spec.command], commands, because)
                may_skip = rule_may_not_apply or in_window is None or bool(runas_result - {ALLOW}) \
                    or UNSPEC in command_result
                decided = set((outcome, (rule, spec)) for outcome in command_result - {UNSPEC})
                current = decided | (current if may_skip else set())
        return Decision(current, because)

    def nopasswd(self, decision, request):
        """Whether the deciding rule lets the user go without a password: True/False, None if unknown."""
        if not decision.certain or not decision.allowed or decision.decider is None:
            return None
        if request.account["uid"] == 0:
            return True
        _rule, spec = decision.decider
        # sudo asks no password of a user who does not change identity (measured: `()` runs as oneself).
        if request.runas is not None and request.runas["uid"] == request.account["uid"]:
            return True
        oneself = self._runs_as_oneself(spec, request)
        if oneself is None:
            return None
        if oneself:
            return True
        if "authenticate" in spec.options:
            return not spec.options["authenticate"]
        value = True
        for entry in self.statements.defaults:
            for name, setting in entry.options:
                if name == "authenticate":
                    if entry.binding_kind is None:
                        value = setting
                    else:
                        return None
        return not value


def _int(text):
    try:
        return int(text)
    except (TypeError, ValueError):
        return None


def _name_or_uid_matches(name, account):
    if name.startswith("#"):
        return _int(name[1:]) == account["uid"]
    return name == account["name"]


def _digest_matches(digest, path, root):
    algorithm, expected = digest
    try:
        with open(_paths.host_path(root, path), "rb") as handle:
            actual = hashlib.new(algorithm, handle.read())
    except (OSError, ValueError):
        return False
    if re.match(r"^[0-9A-Fa-f]+$", expected):
        return actual.hexdigest() == expected.lower()
    try:
        return actual.digest() == base64.b64decode(expected)
    except (ValueError, TypeError):
        return False
