# -*- coding: utf-8 -*-
# Copyright (c) 2026, debugready.ptrace contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Managed sudoers drop-ins: input checks, host readings, ONE planning function, validation, install.

`read_host()` reads what the decision needs (the drop-in with its owner and mode, whether sudo
reads /etc/sudoers.d at all, the commands on disk); `plan()` is pure and decides what the
file must become and why. The sudoers_grant module (check mode and apply) and the
debug_access role's policy comparison (_policy.sudoers_grant) both act on `plan()`, so they
cannot disagree.

A candidate is validated by `visudo -c -f` on a mirror of the live tree (every file sudo
reads, with include paths pointed into the mirror) holding the candidate in place, so alias
conflicts and errors elsewhere are caught before anything changes. It is then installed
atomically as root:root 0440 and the live tree is checked again; if that fails where it
passed before, the file is removed: a failed write never puts a previous grant back.
A removal is never blocked by the rest of the tree and never undone.
"""

from __future__ import annotations

import collections
import datetime
import errno
import os
import pwd
import re
import shutil
import socket
import stat
import tempfile

from ansible_collections.debugready.ptrace.plugins.module_utils import _command, _fileio, _paths, _sudoers, _tools

DROPIN_DIR = "/etc/sudoers.d"
MODE = 0o440
MARKER = "# Managed by debugready.ptrace.sudoers_grant"
_MARKER_LINE = MARKER.encode("ascii")
_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}\Z")
_ACCOUNT = re.compile(r"^[a-z_][a-z0-9_-]{0,31}\$?\Z")
_ARG = re.compile(r"^[A-Za-z0-9_./@%+=*?-]+\Z")
_DURATION = re.compile(r"^([0-9]+)([smhdw])\Z")  # not \d: int() would also read '٣' as 3
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_NOTAFTER = re.compile(r"\bNOTAFTER=(\S+)")
ROOT_EQUIVALENT_WARNING = ("This grant lets its principals run debugging tools as root: strace, gdb or perf as root "
                           "can read and change every process on the host, so the grant is root-equivalent. Keep it "
                           "group-scoped, time-boxed (not_after) and logged (log_output).")
SUDO_RS_WARNING = ("The sudo on this host is sudo-rs, which can neither time-box (NOTAFTER) nor log (LOG_OUTPUT) a "
                   "grant: remove it when the debugging is done (state: absent).")
RUNAS_WARNING = ("This grant lets its principals run debugging tools as %s: they can read and change every process "
                 "of %s (its secrets and sessions included). Keep it group-scoped, time-boxed and logged.")


class SudoersInputError(Exception):
    """Input that would be unsafe or ambiguous in sudoers; nothing was written."""


class SudoersHostError(Exception):
    """The host is in a state where the grant would not work or not be safe; nothing was written."""


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
    renew=dict(type="bool", default=False),
    log_output=dict(type="bool", default=False),
    allow_unsafe_commands=dict(type="bool", default=False),
)


# --- input checks (pure) ------------------------------------------------------------

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


def check_command(command):
    """(path, [args]) of a command: a normalized absolute path and plain arguments (syntax only)."""
    if not isinstance(command, str) or "\n" in command or "\\" in command:
        raise SudoersInputError("command %r is not allowed: newlines and backslashes are refused" % (command,))
    words = command.split()
    if not words:
        raise SudoersInputError("an empty command is not allowed")
    path, args = words[0], words[1:]
    if not path.startswith("/") or os.path.normpath(path) != path or not _ARG.match(path):
        raise SudoersInputError("command %r must start with a normalized absolute path" % (command,))
    for arg in args:
        if not _ARG.match(arg) or arg.upper() == "ALL":
            raise SudoersInputError(
                "argument %r of %s is not allowed: only letters, digits and _./@%%+=*?- are accepted (no commas, "
                "colons, quotes, '!' or backslashes)" % (arg, path))
    return path, args


def parse_not_after(value, now):
    """An aware UTC datetime from a duration ('8h', '30m', '2d', '1w') or an absolute UTC time."""
    text = str(value).strip()
    if not text:
        raise SudoersInputError("not_after is empty: omit it for a grant without an end, or give a duration (8h) "
                                "or a UTC time")
    match = _DURATION.match(text)
    if match:
        try:
            amount = int(match.group(1))
            moment = now + datetime.timedelta(**{_UNITS[match.group(2)]: amount})
        except (OverflowError, ValueError):
            raise SudoersInputError("not_after %r is too far away: the end must be before the year 10000" % (value,))
        if amount <= 0:
            raise SudoersInputError("not_after duration must be positive, got %r" % (value,))
        return moment
    # Only ASCII: strptime, like int(), also reads other scripts' digits.
    for fmt in ("%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%MZ", "%Y%m%d%H%M%SZ") if text.isascii() else ():
        try:
            return datetime.datetime.strptime(text, fmt).replace(tzinfo=datetime.timezone.utc)
        except ValueError:
            continue
    raise SudoersInputError("not_after %r is neither a duration (8h, 30m, 2d, 1w) nor a UTC time such as "
                            "2026-12-01T18:00:00Z" % (value,))


def is_duration(value):
    return _DURATION.match(str(value).strip()) is not None


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


def is_managed(content):
    """True when `content` (bytes) starts with exactly the managed header line."""
    return content is not None and content.split(b"\n", 1)[0] == _MARKER_LINE


def existing_not_after(content):
    """The first NOTAFTER of a rule line in `content` (str or bytes) as an aware datetime, or None."""
    if isinstance(content, bytes):
        content = content.decode("utf-8", "replace")
    for line in (content or "").splitlines():
        if line.lstrip().startswith("#"):
            continue
        match = _NOTAFTER.search(line)
        if match:
            try:
                return _sudoers.parse_gentime(match.group(1))[0]
            except _sudoers.SudoersSyntaxError:
                return None
    return None


# --- host readings -----------------------------------------------------------------

FileState = collections.namedtuple("FileState", "content uid gid mode kind")
CommandState = collections.namedtuple("CommandState", "path exists executable problems")


class Host(object):
    """What `plan()` needs to know about the host (read by `read_host()`)."""

    def __init__(self, path, file=None, visudo=None, dropin_problem=None, included=True, runas_exists=True,
                 commands=None, tree=None, implementation=None):
        self.path = path                      # the managed drop-in (host-absolute)
        self.file = file                      # FileState of what is there now, or None
        self.visudo = visudo                  # path of visudo, None when sudo is not installed
        self.dropin_problem = dropin_problem  # why sudo would skip /etc/sudoers.d as a whole, or None
        self.included = included              # a file sudo reads has an includedir for /etc/sudoers.d
        self.runas_exists = runas_exists
        self.commands = commands or {}        # command path -> CommandState
        self.tree = tree                      # the _sudoers tree (for mirror validation)
        # _sudoers.implementation() of the installed sudo: {"name": "sudo" or "sudo-rs", "version", "source"}
        self.implementation = implementation or {"name": _sudoers.SUDO, "version": None, "source": None}


def read_file_state(path):
    """FileState of `path` without following a symlink there, or None when nothing is there."""
    try:
        st = os.lstat(path)
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            return None
        raise _fileio.FileWriteError("cannot read %s: %s" % (path, os.strerror(exc.errno or 0)))
    if stat.S_ISREG(st.st_mode):
        kind, content = "file", _fileio.read_bytes(path)
    else:
        kind = "symlink" if stat.S_ISLNK(st.st_mode) else "directory" if stat.S_ISDIR(st.st_mode) else "other"
        content = None
    return FileState(content, st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode), kind)


_UNSAFE_TEXT = {"unsafe_owner": "owned by uid %(uid)d", "world_writable": "world-writable",
                "group_writable": "writable by group gid %(gid)d"}


def _unsafe_owner_or_mode(st):
    """Why a non-root user could change this file or directory (sudo's own rule for its files), or None."""
    reason = _sudoers.unsafe_owner_or_mode(st)
    return _UNSAFE_TEXT[reason] % {"uid": st.st_uid, "gid": st.st_gid} if reason else None


def _directory_skip_reason(path):
    """Why sudo skips the whole includedir `path` (measured, sudo 1.9.13p3: it stats through symlinks)."""
    try:
        st = os.stat(path)
    except OSError as exc:
        return "not there or not readable (%s)" % os.strerror(exc.errno or 0)
    if not stat.S_ISDIR(st.st_mode):
        return "not a directory"
    return _unsafe_owner_or_mode(st)


def has_includedir(root="/", hostname=None, tree=None):
    """Does a file sudo reads hold an includedir that names /etc/sudoers.d (however spelled)?"""
    tree = tree if tree is not None else _sudoers.load_tree(root, hostname=hostname)
    wanted = _paths.host_path(root, DROPIN_DIR)
    for include in tree.includes:
        if include["kind"] != "includedir":
            continue
        try:
            if os.path.samefile(_paths.host_path(root, include["path"]), wanted):
                return True
        except OSError:
            continue
    return False


def _prefixes(path):
    parts = path.strip("/").split("/")
    return ["/" + "/".join(parts[:index]) for index in range(len(parts) + 1)]


def inspect_command(path, root="/"):
    """CommandState of an absolute command path: exists, executable, and why it would be unsafe to grant.

    Unsafe: the path ends in a symlink (measured: a rule naming a link lets the user run whatever the link
    points to, as root, and follows when the link is changed), or a non-root user can change the file or a
    directory on the way to it (they could replace the program). Every lexical prefix is checked where it
    really is, so a symlinked parent directory is checked on both sides.
    """
    host = _paths.host_path(root, path)
    top = os.path.realpath(_paths.host_path(root, "/"))
    problems = []
    parent = os.path.realpath(os.path.dirname(host))
    final = os.path.join(parent, os.path.basename(host))
    if os.path.islink(final):
        problems.append("%s is a symlink to %s: the grant would run whatever the link points to"
                        % (path, _paths.logical_path(root, os.path.realpath(final))))
    checked = []
    for prefix in _prefixes(path)[:-1]:
        real = os.path.realpath(_paths.host_path(root, prefix))
        while True:
            checked.append(real)
            if real == top or not real.startswith(top) or os.path.dirname(real) == real:
                break
            real = os.path.dirname(real)
    checked.append(os.path.realpath(final))
    for candidate in dict.fromkeys(checked):
        if not (candidate == top or candidate.startswith(top.rstrip("/") + "/")):
            continue
        try:
            st = os.lstat(candidate)
        except OSError:
            continue  # not there (yet): nothing to change
        reason = _unsafe_owner_or_mode(st)
        if reason:
            problems.append("%s is %s" % (_paths.logical_path(root, candidate), reason))
    executable = os.path.isfile(host) and os.access(host, os.X_OK)
    return CommandState(path, os.path.exists(host), executable, problems)


def read_host(params, root="/", hostname=None, cache=None, run=None):
    """The readings `plan()` needs for one grant. `cache` (a dict) shares the tree-wide ones between grants.

    `run(argv)`, when given, lets `sudo -V` say which sudo is installed; else its path does.
    """
    path = check_name(params["name"])
    hostname = hostname if hostname is not None else socket.gethostname()  # for %h in include paths
    host = Host(path, file=read_file_state(_paths.host_path(root, path)))
    host.visudo = _tools.find_tool("visudo", root)
    if params.get("state", "present") == "absent":
        return host
    cache = cache if cache is not None else {}
    if "implementation" not in cache:
        cache["implementation"] = _sudoers.implementation(_tools.find_tool("sudo", root), root, run)
    host.implementation = cache["implementation"]
    if "tree" not in cache:
        cache["tree"] = _sudoers.load_tree(root, hostname=hostname, implementation=host.implementation["name"])
        cache["included"] = has_includedir(root, hostname, cache["tree"])
        cache["dropin_problem"] = _directory_skip_reason(_paths.host_path(root, DROPIN_DIR))
    host.tree, host.included, host.dropin_problem = cache["tree"], cache["included"], cache["dropin_problem"]
    runas = params.get("runas") or "root"
    if _ACCOUNT.match(runas):  # plan() refuses any other name (getpwnam would raise on a NUL)
        try:
            pwd.getpwnam(runas)
        except KeyError:
            host.runas_exists = False
    for command in params.get("commands") or []:
        try:
            command_path = check_command(command)[0]
        except SudoersInputError:
            continue  # plan() reports it
        host.commands[command_path] = inspect_command(command_path, root)
    return host


# --- the decision (pure) -----------------------------------------------------------

class Plan(object):
    """What sudoers_grant would do with one drop-in, and why."""

    def __init__(self, path, state, reasons, content=None, rule=None, not_after=None, warnings=None,
                 missing_commands=None, before=None):
        self.path = path
        self.state = state
        self.reasons = reasons                    # why the file must change; empty: nothing to do
        self.changed = bool(reasons)
        self.content = content                    # the wanted text (None: the file must not exist)
        self.rule = rule
        self.not_after = not_after                # the end written, aware UTC, whole seconds
        self.warnings = warnings or []
        self.missing_commands = missing_commands or []
        self.before = before                      # bytes on the host now, or None


def _window(params, previous, now):
    """The NOTAFTER to write: a duration opens a window, keeps an open one, and never lengthens it."""
    value = params.get("not_after")
    if value is None:
        return None
    wanted = parse_not_after(value, now).replace(microsecond=0)
    if is_duration(value) and not params.get("renew"):
        current = existing_not_after(previous)
        if current is not None and current > now:
            # min(): a shorter duration shrinks the window; an end edited further away is put back.
            wanted = min(current, wanted)
    if wanted <= now:
        raise SudoersInputError("not_after %s is in the past" % value)
    return wanted


def _format_moment(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment is not None else "never"


def _differences(path, current, content, not_after):
    if current is None:
        return ["%s does not exist" % path]
    reasons = []
    if current.content != content.encode("utf-8"):
        had = existing_not_after(current.content)
        if had != not_after:
            reasons.append("the window ends %s on the host, wanted %s" % (_format_moment(had),
                                                                          _format_moment(not_after)))
        if _NOTAFTER.sub("", current.content.decode("utf-8", "replace")) != _NOTAFTER.sub("", content):
            reasons.append("the content differs from the wanted grant")
    if (current.uid, current.gid) != (0, 0):
        reasons.append("owner is %d:%d, wanted 0:0" % (current.uid, current.gid))
    if current.mode != MODE:
        reasons.append("mode is %04o, wanted %04o" % (current.mode, MODE))
    return reasons


def plan(params, host, now):
    """The one decision of sudoers_grant: Plan(changed, content, reasons, ...) from the options and `host`.

    Raises SudoersInputError for options that can never work and SudoersHostError when this host
    must be fixed first (a file of that name this module did not write, sudo would ignore the
    drop-in, an unsafe command). A removal only needs the file to be this module's.
    """
    path = check_name(params["name"])
    state = params.get("state") or "present"
    current = host.file
    before = current.content if current is not None else None
    # Checked for state=absent too, where they are unused: bad input is an error whatever the state.
    principals = [check_principal(p) for p in params.get("principals") or []]
    commands = [check_command(c) for c in params.get("commands") or []]
    if state == "present" and (not principals or not commands):
        raise SudoersInputError("state=present needs at least one principal and one command")
    runas = check_runas(params.get("runas") or "root")
    if state == "present":
        not_after = _window(params, before if is_managed(before) else None, now)
    elif params.get("not_after") is not None:
        parse_not_after(params["not_after"], now)
    if current is not None and (current.kind != "file" or not is_managed(current.content)):
        raise SudoersHostError(
            "%s exists and was not written by this module (%s); refusing to overwrite or remove it"
            % (path, "its first line is not %r" % MARKER if current.kind == "file" else "it is a %s" % current.kind))
    if state == "absent":
        return Plan(path, state, ["%s is managed by this module and state is absent" % path] if current else [],
                    before=before)
    if host.visudo is None:
        raise SudoersHostError("sudo is not installed on this host (no visudo found)")
    if host.dropin_problem:
        raise SudoersHostError("sudo skips %s as a whole: it is %s, so a drop-in there would be ignored. Make it a "
                               "root:root directory no other user can write (0755) first"
                               % (DROPIN_DIR, host.dropin_problem))
    if not host.included:
        raise SudoersHostError("no file sudo reads (/etc/sudoers and its includes) has '@includedir %s' (or "
                               "#includedir): a drop-in there would be ignored. Add the directive first" % DROPIN_DIR)
    if not host.runas_exists:
        raise SudoersHostError("runas user %r does not exist on this host" % runas)
    sudo_rs = host.implementation["name"] == _sudoers.SUDO_RS
    if sudo_rs:
        _refuse_what_sudo_rs_cannot_enforce(params, not_after, host.implementation)
    missing, unsafe = [], []
    for command_path, _args in commands:
        found = host.commands.get(command_path) or CommandState(command_path, False, False, [])
        if not found.exists:
            missing.append(command_path)
        elif not found.executable:
            raise SudoersHostError("command %s is not an executable file on this host" % command_path)
        unsafe.extend(found.problems)
    unsafe = list(dict.fromkeys(unsafe))
    warnings = []
    if unsafe and not params.get("allow_unsafe_commands"):
        raise SudoersHostError("refusing to grant these commands: %s. Name the real program in a directory only "
                               "root can write, or set allow_unsafe_commands=true to grant them anyway"
                               % "; ".join(unsafe))
    if unsafe:
        warnings.append("allow_unsafe_commands: granted although %s" % "; ".join(unsafe))
    if missing:
        warnings.append("not installed yet: %s; applying the grant will fail until they are" % ", ".join(missing))
    warnings.append(ROOT_EQUIVALENT_WARNING if runas == "root" else RUNAS_WARNING % (runas, runas))
    if sudo_rs:
        warnings.append(SUDO_RS_WARNING)
    content = render(principals, commands, runas, params.get("nopasswd"), not_after, params.get("log_output"))
    return Plan(path, state, _differences(path, current, content, not_after), content, content.splitlines()[-1],
                not_after, warnings, missing, before)


def _refuse_what_sudo_rs_cannot_enforce(params, not_after, which):
    """sudo-rs (measured, 0.2.5) rejects a rule with NOTAFTER and ignores LOG_OUTPUT: refuse rather than write either."""
    name = "sudo-rs %s" % which["version"] if which.get("version") else "sudo-rs"
    if not_after is not None:
        raise SudoersHostError(
            "not_after cannot be enforced here: the sudo on this host is %s, which does not support NOTAFTER (it "
            "drops the whole rule with 'NOTAFTER is not supported by sudo-rs', so the grant would not work at all). "
            "Omit not_after and close the window yourself (state: absent), or install sudo (sudo.ws)" % name)
    if params.get("log_output"):
        raise SudoersHostError(
            "log_output cannot be enforced here: the sudo on this host is %s, which accepts LOG_OUTPUT but ignores "
            "it ('LOG_OUTPUT tags are ignored by sudo-rs'), so nothing would be logged. Set log_output: false to "
            "grant without I/O logging, or install sudo (sudo.ws)" % name)


# --- acting --------------------------------------------------------------------------

LiveCheck = collections.namedtuple("LiveCheck", "ok rc stdout stderr")


def _mirror_dirs(mirror, directory):
    # Explicit 0755: under umask 0 a world-writable mirror directory would be skipped by visudo with only a
    # warning, and the candidate in it would pass unchecked.
    path = mirror
    for part in directory.strip("/").split("/"):
        if not part:
            continue
        path = os.path.join(path, part)
        if not os.path.isdir(path):
            os.mkdir(path)
        os.chmod(path, 0o755)


def mirror_tree(tree, mirror, candidate_path, candidate_content, root="/"):
    """Copy every file of the tree (as bytes) under `mirror`, include paths pointed into it; put the candidate in place.

    Returns the mirror's main file. Relative includes keep working because the layout is mirrored.
    """
    files = [p for p in dict.fromkeys(tree.files) if p != candidate_path]
    prefix = mirror.encode("utf-8") + b"/"
    for path in files + ([candidate_path] if candidate_content is not None else []):
        _mirror_dirs(mirror, os.path.dirname(path))
        if path == candidate_path:
            data = candidate_content.encode("utf-8")
        else:
            data = _fileio.read_bytes(_paths.host_path(root, path)) or b""
        data = re.sub(br"^(\s*[#@]include(?:dir)?\s+)(\"?)/", lambda m: m.group(1) + m.group(2) + prefix, data,
                      flags=re.MULTILINE)
        target = mirror + path
        with open(target, "wb") as handle:
            handle.write(data)
        os.chmod(target, MODE)
    for directory in set(os.path.dirname(p) for p in files + [candidate_path]):
        _mirror_dirs(mirror, directory)
    return mirror + (files[0] if files else _sudoers.MAIN_FILE)  # the main file is read first


def _check_mirror(run, visudo, tree, candidate_path, candidate_content, root):
    mirror = tempfile.mkdtemp(prefix="debugready-sudoers-")
    try:
        main = mirror_tree(tree, mirror, candidate_path, candidate_content, root)
        rc, out, err = run([visudo, "-c", "-f", main])
    finally:
        shutil.rmtree(mirror, ignore_errors=True)
    return rc, _strip_mirror(out, mirror), _strip_mirror(err, mirror)


def validate_candidate(run, visudo, tree, candidate_path, candidate_content, root="/"):
    """`visudo -c -f` on a mirror of the whole tree with the candidate in place; raises SudoersValidationError."""
    rc, out, err = _check_mirror(run, visudo, tree, candidate_path, candidate_content, root)
    if rc == 0:
        return
    if _check_mirror(run, visudo, tree, candidate_path, None, root)[0] != 0:
        raise SudoersValidationError("visudo rejects the sudoers tree even without %s: fix the errors it reports "
                                     "first; nothing was changed" % candidate_path, rc, out, err)
    raise SudoersValidationError("visudo rejects the sudoers tree with the new %s in place; nothing was changed"
                                 % candidate_path, rc, out, err)


def _strip_mirror(text, mirror):
    return (text or "").replace(mirror, "")


def live_check_blocked(tree, root="/"):
    """Why `visudo -c` must not be run on this tree, or None.

    Measured (sudo 1.9.13p3): visudo opens the main file and each @include target without O_NONBLOCK, so a FIFO
    there (also through a symlink) makes it wait forever; sudo itself skips it as not a regular file.
    """
    fifos = []
    for path in [_sudoers.MAIN_FILE] + [i["path"] for i in tree.includes if i["kind"] == "include"]:
        try:
            if stat.S_ISFIFO(os.stat(_paths.host_path(root, path)).st_mode):
                fifos.append(path)
        except OSError:
            continue
    if not fifos:
        return None
    return ("visudo -c was not run: it would wait forever opening %s, a FIFO the sudoers tree includes (sudo itself "
            "skips it as not a regular file); remove it or the directive naming it" % ", ".join(dict.fromkeys(fifos)))


def check_live(run, visudo, root="/"):
    blocked = live_check_blocked(_sudoers.read_tree(root), root)
    if blocked:
        return LiveCheck(False, None, "", blocked)
    rc, out, err = run([visudo, "-c"])
    return LiveCheck(rc == 0, rc, out, err)


def install(run, visudo, path, content, root="/"):
    """Write `content` live as root:root 0440 and check the live tree; returns that LiveCheck.

    If the live tree passed before and fails now, the file is removed and SudoersValidationError is
    raised: a failed write never puts a previous grant back (that could re-open a window just closed).
    A tree that already failed before is not this file's doing: the write stays and the check says so.
    """
    before = check_live(run, visudo, root)
    _fileio.write_atomic(_paths.host_path(root, path), content.encode("utf-8"), MODE, 0, 0)
    try:
        after = check_live(run, visudo, root)
    except _command.CommandError:
        # visudo could not be started at all: an unchecked grant must not stay live.
        _fileio.remove(_paths.host_path(root, path))
        raise
    if not after.ok and before.ok:
        _fileio.remove(_paths.host_path(root, path))
        raise SudoersValidationError("visudo -c fails on the live sudoers tree with the new %s in place (it passed "
                                     "before): the file was removed, no grant is left there" % path,
                                     after.rc, after.stdout, after.stderr)
    return after


def remove(run, visudo, path, root="/"):
    """Remove the drop-in, then check the live tree (None without sudo). A removal is never undone."""
    _fileio.remove(_paths.host_path(root, path))
    return check_live(run, visudo, root) if visudo is not None else None
