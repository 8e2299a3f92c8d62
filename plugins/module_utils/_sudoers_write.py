# -*- coding: utf-8 -*-
# Copyright (c) 2026, debugready.ptrace contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Managed sudoers drop-ins: input checks, rule rendering, whole-tree validation, install with rollback.

A candidate is validated by `visudo -c -f` on a mirror of the live tree (every file sudo
reads, with include paths pointed into the mirror) holding the candidate in place, so
alias conflicts and errors elsewhere are caught before anything changes. It is then
installed atomically as root:root 0440 and the live tree is checked again; if that
fails, the previous file is put back.
"""

from __future__ import annotations

import datetime
import os
import re
import shutil
import tempfile

from ansible_collections.debugready.ptrace.plugins.module_utils import _fileio, _sudoers

DROPIN_DIR = "/etc/sudoers.d"
MODE = 0o440
MARKER = "# Managed by debugready.ptrace.sudoers_grant"
_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}\Z")
_ACCOUNT = re.compile(r"^[a-z_][a-z0-9_-]{0,31}\$?\Z")
_ARG = re.compile(r"^[A-Za-z0-9_./@%+=*?-]+\Z")
_DURATION = re.compile(r"^(\d+)([smhdw])\Z")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
ROOT_EQUIVALENT_WARNING = ("This grant lets its principals run debugging tools as root: strace, gdb or perf as root "
                           "can read and change every process on the host, so the grant is root-equivalent. Keep it "
                           "group-scoped, time-boxed (not_after) and logged (log_output).")
RUNAS_WARNING = ("This grant lets its principals run debugging tools as %s: they can read and change every process "
                 "of %s (its secrets and sessions included). Keep it group-scoped, time-boxed and logged.")


class SudoersInputError(Exception):
    """Input that would be unsafe or ambiguous in sudoers; nothing was written."""


class SudoersValidationError(Exception):
    """visudo rejected the candidate or the live tree; carries the command output."""

    def __init__(self, message, rc=None, stdout="", stderr=""):
        super(SudoersValidationError, self).__init__(message)
        self.rc = rc
        self.stdout = stdout
        self.stderr = stderr


# The options of one drop-in, as sudoers_grant takes them and ptrace_facts' `policy.sudoers` entries do.
GRANT_OPTIONS = dict(
    name=dict(type="str", required=True),
    state=dict(type="str", choices=["present", "absent"], default="present"),
    principals=dict(type="list", elements="str"),
    commands=dict(type="list", elements="str"),
    runas=dict(type="str", default="root"),
    nopasswd=dict(type="bool", default=False),
    not_after=dict(type="str"),
    log_output=dict(type="bool", default=False),
)


def check_name(name):
    if not _NAME.match(name or ""):
        raise SudoersInputError(
            "name %r is not allowed: use 1-64 letters, digits, '_' or '-'. sudo silently skips drop-ins whose "
            "name contains '.' or ends in '~', and a name must not leave %s" % (name, DROPIN_DIR))
    return os.path.join(DROPIN_DIR, name)


def check_principal(principal):
    text = principal if isinstance(principal, str) else ""
    account = text[1:] if text.startswith("%") else text
    if not _ACCOUNT.match(account) or account.upper() == "ALL":
        raise SudoersInputError(
            "principal %r is not allowed: give a user name or %%group (lower-case letters, digits, '_', '-'); "
            "ALL, aliases, commas, spaces, '!' and other sudoers syntax are refused" % (principal,))
    return text


def check_runas(runas):
    if not _ACCOUNT.match(runas or "") or runas.upper() == "ALL":
        raise SudoersInputError("runas %r is not allowed: give one user name (not ALL)" % (runas,))
    return runas


def check_command(command, must_exist=True):
    """(path, [args]) of a command: an absolute path to an executable file and plain arguments.

    `must_exist=False` (check mode) accepts a path that is not installed yet.
    """
    if not isinstance(command, str) or "\n" in command or "\\" in command:
        raise SudoersInputError("command %r is not allowed: newlines and backslashes are refused" % (command,))
    words = command.split()
    if not words:
        raise SudoersInputError("an empty command is not allowed")
    path, args = words[0], words[1:]
    if not path.startswith("/") or os.path.normpath(path) != path or not _ARG.match(path):
        raise SudoersInputError("command %r must start with a normalized absolute path" % (command,))
    if must_exist and (not os.path.isfile(path) or not os.access(path, os.X_OK)):
        raise SudoersInputError("command %s is not an executable file on this host" % path)
    for arg in args:
        if not _ARG.match(arg) or arg.upper() == "ALL":
            raise SudoersInputError(
                "argument %r of %s is not allowed: only letters, digits and _./@%%+=*?- are accepted (no commas, "
                "colons, quotes, '!' or backslashes)" % (arg, path))
    return path, args


def parse_not_after(value, now):
    """An aware UTC datetime from a duration ('8h', '30m', '2d', '1w') or an absolute UTC time."""
    text = str(value).strip()
    match = _DURATION.match(text)
    if match:
        amount = int(match.group(1))
        if amount <= 0:
            raise SudoersInputError("not_after duration must be positive, got %r" % value)
        return now + datetime.timedelta(**{_UNITS[match.group(2)]: amount})
    for fmt in ("%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%MZ", "%Y%m%d%H%M%SZ"):
        try:
            moment = datetime.datetime.strptime(text, fmt).replace(tzinfo=datetime.timezone.utc)
        except ValueError:
            continue
        return moment
    raise SudoersInputError("not_after %r is neither a duration (8h, 30m, 2d, 1w) nor a UTC time such as "
                            "2026-12-01T18:00:00Z" % (value,))


def render(principals, commands, runas="root", nopasswd=False, not_after=None, log_output=False):
    """The drop-in text. Option specs come before tags (sudo rejects the other order)."""
    spec = "(%s)" % runas
    if not_after is not None:
        spec += " NOTAFTER=%s" % _sudoers.format_gentime(not_after)
    if nopasswd:
        spec += " NOPASSWD:"
    if log_output:
        spec += " LOG_OUTPUT:"
    command_text = ", ".join(" ".join([path] + args) for path, args in commands)
    lines = [
        MARKER,
        "# ROOT-EQUIVALENT: running a debugger as another user lets you read and change its processes.",
    ]
    if log_output:
        lines.append("# The input and output of these commands is logged by sudo (LOG_OUTPUT, see sudoreplay).")
    lines.append("%s ALL=%s %s" % (", ".join(principals), spec, command_text))
    return "\n".join(lines) + "\n"


def existing_not_after(content):
    """The NOTAFTER of a drop-in this module wrote, as an aware datetime, or None."""
    match = re.search(r"NOTAFTER=(\S+)", content or "")
    if not match:
        return None
    try:
        return _sudoers.parse_gentime(match.group(1))[0]
    except _sudoers.SudoersSyntaxError:
        return None


def is_duration(value):
    return _DURATION.match(str(value).strip()) is not None


def desired_content(params, previous_text, now, allow_missing_commands=False):
    """(content, rule, not_after) of a state=present grant; raises SudoersInputError.

    `params` holds principals, commands, runas, nopasswd, not_after, renew and log_output as the
    sudoers_grant module takes them. A duration keeps the window already open in `previous_text`.
    """
    principals = [check_principal(p) for p in params["principals"] or []]
    # In check mode (and when judging compliance) a command may not be installed yet: a play installs it first.
    commands = [check_command(c, must_exist=not allow_missing_commands) for c in params["commands"] or []]
    if not principals or not commands:
        raise SudoersInputError("state=present needs at least one principal and one command")
    runas = check_runas(params["runas"])
    not_after = None
    if params["not_after"]:
        not_after = parse_not_after(params["not_after"], now)
        current = existing_not_after(previous_text)
        if is_duration(params["not_after"]) and current is not None and current > now \
                and not params.get("renew"):
            not_after = current  # keep the open window
        if not_after <= now:
            raise SudoersInputError("not_after %s is in the past" % params["not_after"])
    content = render(principals, commands, runas, params["nopasswd"], not_after, params["log_output"])
    return content, content.splitlines()[-1], not_after


def has_includedir(root="/"):
    main = os.path.join(root, "etc/sudoers") if root not in ("", "/") else "/etc/sudoers"
    try:
        with open(main, "r") as handle:
            text = handle.read()
    except OSError:
        return False
    return re.search(r"^\s*[#@]includedir\s+\"?/etc/sudoers\.d/?\"?\s*$", text, re.MULTILINE) is not None


def mirror_tree(tree, mirror, candidate_path, candidate_content):
    """Copy every file of the tree under `mirror`, include paths pointed into it; put the candidate in place.

    Returns the mirror's main file. Relative includes keep working because the layout is mirrored.
    """
    files = [p for p in dict.fromkeys(tree.files) if p != candidate_path]
    for path in files + ([candidate_path] if candidate_content is not None else []):
        target = mirror + path
        os.makedirs(os.path.dirname(target), exist_ok=True)
        if path == candidate_path:
            text = candidate_content
        else:
            with open(path, "r") as handle:
                text = handle.read()
        text = re.sub(r"^(\s*[#@]include(?:dir)?\s+)(\"?)(/)", lambda m: m.group(1) + m.group(2) + mirror + "/",
                      text, flags=re.MULTILINE)
        with open(target, "w") as handle:
            handle.write(text)
        os.chmod(target, MODE)
    for directory in set(os.path.dirname(p) for p in files + [candidate_path]):
        os.makedirs(mirror + directory, exist_ok=True)
    return mirror + (files[0] if files else _sudoers.MAIN_FILE)  # the main file is read first


def validate_candidate(run, visudo, tree, candidate_path, candidate_content):
    """`visudo -c -f` on a mirror of the whole tree with the candidate in place."""
    mirror = tempfile.mkdtemp(prefix="debugready-sudoers-")
    try:
        main = mirror_tree(tree, mirror, candidate_path, candidate_content)
        rc, out, err = run([visudo, "-c", "-f", main])
    finally:
        shutil.rmtree(mirror, ignore_errors=True)
    if rc != 0:
        raise SudoersValidationError("visudo rejects the sudoers tree with the new %s in place; nothing was changed"
                                     % candidate_path, rc, _strip_mirror(out, mirror), _strip_mirror(err, mirror))


def _strip_mirror(text, mirror):
    return (text or "").replace(mirror, "")


def validate_live(run, visudo):
    rc, out, err = run([visudo, "-c"])
    if rc != 0:
        raise SudoersValidationError("visudo -c fails on the live sudoers tree", rc, out, err)


def install(run, visudo, path, content, previous):
    """Write `content` (None: remove) live, check the live tree, and restore `previous` if that fails."""
    if content is None:
        _fileio.remove(path)
    else:
        _fileio.write_atomic(path, content.encode("utf-8"), MODE, 0, 0)
    try:
        validate_live(run, visudo)
    except SudoersValidationError:
        if previous is None:
            _fileio.remove(path)
        else:
            _fileio.write_atomic(path, previous, MODE, 0, 0)
        raise
