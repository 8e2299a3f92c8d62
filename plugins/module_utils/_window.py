# -*- coding: utf-8 -*-
# Copyright (c) 2026, debugready.ptrace contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Debug windows: what a window opened, until when, and how it closes on the host itself.

A window is a record in WINDOWS_DIR/NAME.json: who opened it (the controller's user and host), when, when it ends,
and `undo`, the ordered list of actions that put back what it changed. debug_window writes the record, installs this
collection's module_utils under CODE_DIR and a systemd timer that runs `_window_cli close NAME` at the end (and at
the next boot if the host was down then). Closing runs the same writers as the modules: ptrace_scope's and
kernel_setting's sysctl writer, sudoers_grant's validated removal, the distribution's group tool. Every open, renew,
close and failed close writes one syslog line, identifier SYSLOG_IDENT, key=value fields.
"""

from __future__ import annotations

import datetime
import errno
import json
import os
import re
import shutil
import stat

from ansible_collections.debugready.ptrace.plugins.module_utils import (
    _fileio, _lsm, _procs, _selinux_write, _sudoers_write, _sysctl_write,
)

WINDOWS_DIR = "/var/lib/debugready/windows"
CODE_DIR = "/usr/local/lib/debugready"
UNIT_DIR = "/etc/systemd/system"
UNIT_PREFIX = "debugready-window-"
SYSLOG_IDENT = "debugready-window"
RECORD_VERSION = 1
NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
# A longer window is a standing grant: say so by not opening it.
LONGEST = datetime.timedelta(days=7)
TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
# The module_utils the closer imports, which debug_window installs under CODE_DIR.
CLOSER_MODULE_UTILS = (
    "_caps", "_command", "_container", "_fileio", "_findings", "_hoststate", "_lsm", "_paths", "_perf", "_procs",
    "_selinux_write", "_sudoers", "_sudoers_match", "_sudoers_syntax", "_sudoers_write", "_sysctl", "_sysctl_write",
    "_tools", "_window", "_window_cli",
)
PACKAGE = "ansible_collections.debugready.ptrace.plugins.module_utils"

# The actions a window can undo, with their fields and types; anything else in a record is refused.
ACTIONS = {
    # a sysctl back to `runtime` (None: left alone); `file`/`file_value`: the persisted file an earlier run of the
    # collection had written, put back; without them the collection's own files are removed
    "sysctl": {"key": str, "runtime": (int, type(None)), "file": (str, type(None)), "file_value": (int, type(None))},
    "sudoers_absent": {"name": str},  # a sudoers_grant drop-in, removed with sudoers_grant's validation
    "remove_file": {"path": str},  # a capability copy
    # a configuration file the collection wrote (its first line says so), then `then` (an argv, may be empty) when
    # it was there and a process named `if_running` runs ("": always): Apache's CoreDumpDirectory drop-in, then
    # Apache's graceful restart if Apache runs (a graceful restart starts a stopped Apache)
    "remove_config": {"path": str, "then": list, "if_running": str},
    "group_remove_members": {"group": str, "members": list, "tool": list},  # tool: argv prefix, user and group follow
    "group_absent": {"group": str, "tool": list},  # tool: argv prefix, the group follows
    # a SELinux boolean (deny_ptrace) back to `value` in the running policy (selinux_boolean's writer; nothing was
    # persisted, so a reboot has already put it back)
    "selinux_boolean": {"name": str, "value": bool},
}
# remove_file removes a file in these directories (where the role's copies live by default), or elsewhere a file
# that holds file capabilities (a copy made at another path): never a plain system file.
REMOVABLE_DIRS = ("/usr/local/bin/", "/usr/local/sbin/", "/opt/")
CAPS_XATTR = "security.capability"
# remove_config's proof that the collection wrote the file (the first line of every file it writes outside sudoers.d
# and sysctl.d)
MANAGED_MARKER = "Managed by debugready.ptrace"


class WindowError(Exception):
    """Bad input or an unusable record: nothing is changed."""


def check_name(name):
    if not isinstance(name, str) or not NAME.match(name):
        raise WindowError("name %r: lower-case letters, digits, '-' and '_', starting with a letter or digit, at "
                          "most 63 characters" % (name,))
    return name


def parse_end(value, now):
    """The window's end, an aware UTC datetime, from a duration ('2h', '90m', '1d') or a UTC time; in the future
    and at most LONGEST away."""
    try:
        end = _sudoers_write.parse_not_after(value, now)
    except _sudoers_write.SudoersInputError as exc:
        raise WindowError(str(exc).replace("not_after", "end"))
    if end <= now:
        raise WindowError("end %s is not in the future (now %s)" % (format_time(end), format_time(now)))
    if end - now > LONGEST:
        raise WindowError("end %s is more than %d days away: a window that long is a standing grant; open a shorter "
                          "one and renew it" % (format_time(end), LONGEST.days))
    return end


def format_time(moment):
    return moment.astimezone(datetime.timezone.utc).strftime(TIME_FORMAT)


def parse_time(text):
    return datetime.datetime.strptime(text, TIME_FORMAT).replace(tzinfo=datetime.timezone.utc)


def check_undo(undo):
    """The undo list, each action checked against ACTIONS; raises WindowError."""
    if not isinstance(undo, list):
        raise WindowError("undo must be a list of actions")
    for index, action in enumerate(undo):
        kind = action.get("action") if isinstance(action, dict) else None
        fields = ACTIONS.get(kind)
        if fields is None:
            raise WindowError("undo[%d]: unknown action %r (known: %s)" % (index, kind, ", ".join(sorted(ACTIONS))))
        extra = set(action) - set(fields) - {"action"}
        if extra:
            raise WindowError("undo[%d] (%s): unknown fields %s" % (index, kind, ", ".join(sorted(extra))))
        for field, types in fields.items():
            value = action.get(field)
            if not isinstance(value, types) or (isinstance(value, bool) and types is not bool):
                raise WindowError("undo[%d] (%s): %s must be %s" % (index, kind, field, _type_names(types)))
        if kind == "sysctl" and action["key"] not in _sysctl_write.SETTINGS:
            raise WindowError("undo[%d]: sysctl %s is not one the collection manages" % (index, action["key"]))
        if kind == "sysctl" and (action["file"] is None) != (action["file_value"] is None):
            raise WindowError("undo[%d]: file and file_value go together" % index)
        if kind == "sudoers_absent":
            try:
                _sudoers_write.check_name(action["name"])
            except _sudoers_write.SudoersInputError as exc:
                raise WindowError("undo[%d]: %s" % (index, exc))
        if kind == "selinux_boolean" and not re.match(_lsm.SELINUX_NAME, action["name"]):
            raise WindowError("undo[%d]: %r is not a SELinux boolean's name" % (index, action["name"]))
        if kind in ("remove_file", "remove_config"):
            path = action["path"]
            if not path.startswith("/") or os.path.normpath(path) != path or path == "/":
                raise WindowError("undo[%d]: %s %r must be a normalised absolute path" % (index, kind, path))
        for field in ("tool", "then"):
            argv = action.get(field)
            if argv is None or (field == "then" and argv == []):
                continue
            if not argv or not all(isinstance(a, str) and a for a in argv) or not argv[0].startswith("/"):
                raise WindowError("undo[%d]: %s must be an argv starting with an absolute path" % (index, field))
        if kind.startswith("group_"):
            for name in [action["group"]] + list(action.get("members", [])):
                if not isinstance(name, str) or not re.match(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*\$?$", name):
                    raise WindowError("undo[%d]: %r is not a user or group name" % (index, name))
    return undo


def _type_names(types):
    types = types if isinstance(types, tuple) else (types,)
    return " or ".join({str: "a string", int: "an integer", bool: "a boolean", list: "a list", type(None): "null"}[t] for t in types)


def new_record(name, end, now, opened_by, profile, undo, previous=None):
    """The record of a window opened (or renewed, when `previous` is the record on the host) now."""
    check_undo(undo)
    record = {
        "version": RECORD_VERSION,
        "name": check_name(name),
        "profile": profile,
        "opened_at": previous["opened_at"] if previous else format_time(now),
        "opened_by": previous["opened_by"] if previous else dict(opened_by),
        "ends_at": format_time(end),
        "renewed_at": format_time(now) if previous else None,
        "undo": undo,
    }
    return record


def record_path(name, root="/"):
    return os.path.join(root, WINDOWS_DIR.lstrip("/"), check_name(name) + ".json")


def read_record(name, root="/"):
    """The record of window `name`, or None when there is none; WindowError when it cannot be used."""
    path = record_path(name, root)
    # a record tells the timer, as root, what to undo: only a regular file that only root can change is read (a
    # FIFO would block the reader, a symlink could point anywhere)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            return None
        raise WindowError("cannot read %s: %s" % (path, "it is a symbolic link" if exc.errno == errno.ELOOP
                                                  else os.strerror(exc.errno or 0)))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise WindowError("%s is not a regular file" % path)
        reason = _fileio.untrusted_reason(info, path)
        if reason:
            raise WindowError("%s cannot be trusted: %s" % (path, reason))
        with os.fdopen(os.dup(fd), "rb") as handle:
            data = handle.read()
    except OSError as exc:
        raise WindowError("cannot read %s: %s" % (path, os.strerror(exc.errno or 0)))
    finally:
        os.close(fd)
    try:
        record = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise WindowError("%s is not a window record: %s" % (path, exc))
    if not isinstance(record, dict) or record.get("version") != RECORD_VERSION or record.get("name") != name:
        raise WindowError("%s is not a version %d record of window %s" % (path, RECORD_VERSION, name))
    check_undo(record.get("undo"))
    parse_time(record["ends_at"])
    return record


def remove_record(name, root="/"):
    """Remove the window's record and, once no window is left, the closer's code (CODE_DIR)."""
    removed = _fileio.remove(record_path(name, root))
    if not list_records(root):
        shutil.rmtree(os.path.join(root, CODE_DIR.lstrip("/")), ignore_errors=True)
    return removed


def list_records(root="/", now=None):
    """[{name, profile, opened_at, opened_by, ends_at, expired, problem}] of every record on the host, sorted by
    name; a record that cannot be read is listed with its `problem`."""
    directory = os.path.join(root, WINDOWS_DIR.lstrip("/"))
    try:
        names = sorted(n[:-5] for n in os.listdir(directory) if n.endswith(".json") and NAME.match(n[:-5]))
    except OSError:
        return []
    now = now or datetime.datetime.now(datetime.timezone.utc)
    found = []
    for name in names:
        entry = {"name": name, "profile": None, "opened_at": None, "opened_by": None, "ends_at": None,
                 "expired": None, "problem": None,
                 # its timer is installed, and systemd runs to fire it
                 "closes_itself": os.path.exists(os.path.join(root, UNIT_DIR.lstrip("/"), timer_unit_name(name)))
                 and os.path.isdir(os.path.join(root, "run/systemd/system"))}
        try:
            record = read_record(name, root)
        except WindowError as exc:
            entry["problem"] = str(exc)
        else:
            if record is None:
                continue
            entry.update((key, record[key]) for key in ("profile", "opened_at", "opened_by", "ends_at"))
            entry["expired"] = parse_time(record["ends_at"]) <= now
        found.append(entry)
    return found


def audit_line(event, name, **fields):
    """One audit record: `event=open name=NAME key=value ...`, in key order. A dict becomes one key per entry
    (opened_by_user=alice), a list a comma-separated value, a bool true/false; a value is quoted when it holds
    spaces, quotes or '='."""
    flat = {}
    for key, value in fields.items():
        if isinstance(value, dict):
            flat.update(("%s_%s" % (key, sub), item) for sub, item in value.items())
        else:
            flat[key] = value
    parts = ["event=%s" % event, "name=%s" % name]
    for key in sorted(flat):
        value = flat[key]
        if value is None:
            continue
        if isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, (list, tuple)):
            text = ",".join(str(item) for item in value)
        else:
            text = str(value)
        if not text or re.search(r'[\s"=\\]', text):
            text = '"%s"' % text.replace("\\", "\\\\").replace('"', '\\"')
        parts.append("%s=%s" % (key, text))
    return " ".join(parts)


def units(name, end, python, code_dir=CODE_DIR, entry=PACKAGE + "._window_cli"):
    """{file name: text} of the timer and the service that close window `name` at `end` (UTC). Persistent: a host
    that was down at the end closes the window at its next boot."""
    unit = _unit(name)
    service = (
        "# Managed by debugready.ptrace (debug_window): closes the debug window %(name)s.\n"
        "[Unit]\n"
        "Description=Close the debug window %(name)s\n"
        "\n"
        "[Service]\n"
        "Type=oneshot\n"
        "Environment=PYTHONPATH=%(code)s PYTHONDONTWRITEBYTECODE=1\n"
        "ExecStart=%(python)s -m %(entry)s close %(name)s\n"
    ) % {"name": name, "code": code_dir, "python": python, "entry": entry}
    timer = (
        "# Managed by debugready.ptrace (debug_window): the end of the debug window %(name)s.\n"
        "[Unit]\n"
        "Description=End of the debug window %(name)s\n"
        "\n"
        "[Timer]\n"
        "OnCalendar=%(when)s UTC\n"
        "Persistent=true\n"
        "AccuracySec=1s\n"
        "\n"
        "[Install]\n"
        "WantedBy=timers.target\n"
    ) % {"name": name, "when": end.astimezone(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S")}
    return {unit + ".service": service, unit + ".timer": timer}


def closer_sources(read):
    """{file name: bytes} of the module_utils the closer imports; `read(name)` returns one file's bytes (the module
    reads its own bundled copies, so the host runs exactly the code that opened the window)."""
    return dict((name + ".py", read(name + ".py")) for name in CLOSER_MODULE_UTILS)


def desired_files(record, python, sources, root="/", entry=PACKAGE + "._window_cli"):
    """{path: (bytes, mode)} of everything an open window keeps on the host: its record and, when `python` is set
    (systemd runs here), the closer's code, its timer and its service."""
    files = {record_path(record["name"], root): (
        (json.dumps(record, indent=2, sort_keys=True) + "\n").encode("utf-8"), 0o600)}
    if python:
        code = os.path.join(root, CODE_DIR.lstrip("/"), *PACKAGE.split("."))
        for name, data in sources.items():
            files[os.path.join(code, name)] = (data, 0o644)
        end = parse_time(record["ends_at"])
        for name, text in units(record["name"], end, python, entry=entry).items():
            files[os.path.join(root, UNIT_DIR.lstrip("/"), name)] = (text.encode("utf-8"), 0o644)
    return files


def differing(files):
    """The paths of `files` whose content or mode differ on the host (missing ones included)."""
    found = []
    for path, (data, mode) in sorted(files.items()):
        try:
            st = os.lstat(path)
            same = (st.st_mode & 0o7777) == mode and _fileio.read_bytes(path) == data
        except OSError:
            same = False
        if not same:
            found.append(path)
    return found


def write_files(files, paths):
    """Write each of `paths` from `files` atomically, root-owned; the directories are created as needed (0755, the
    windows directory 0700)."""
    for path in paths:
        data, mode = files[path]
        _make_dirs(os.path.dirname(path), 0o700 if path.endswith(".json") else 0o755)
        _fileio.write_atomic(path, data, mode)


def _make_dirs(directory, mode):
    missing = []
    while directory and not os.path.isdir(directory):
        missing.append(directory)
        directory = os.path.dirname(directory)
    for path in reversed(missing):
        try:
            os.mkdir(path, mode)
        except FileExistsError:
            continue
        except OSError as exc:
            raise WindowError("cannot create %s: %s" % (path, os.strerror(exc.errno or 0)))
        os.chmod(path, mode)  # not the umask's


def audit(event, name, **fields):
    """Write one audit record to syslog (the journal where systemd runs): identifier SYSLOG_IDENT, facility
    authpriv. Find them with `journalctl -t debugready-window`. Returns the line."""
    import syslog  # here, not at the top: the module_utils stay importable where syslog is not (unit tests mock it)
    line = audit_line(event, name, **fields)
    syslog.openlog(SYSLOG_IDENT, 0, syslog.LOG_AUTHPRIV)
    syslog.syslog(syslog.LOG_NOTICE if event != "close_failed" else syslog.LOG_ERR, line)
    syslog.closelog()
    return line


def _unit(name):
    """The window's unit name without its suffix (.timer, .service)."""
    return UNIT_PREFIX + check_name(name)


def timer_unit_name(name):
    return _unit(name) + ".timer"


def remove_units(name, run, root="/"):
    """Stop and remove the window's timer and service; True when something was there. Raises WindowError when
    systemctl fails."""
    files = [os.path.join(root, UNIT_DIR.lstrip("/"), _unit(name) + suffix) for suffix in (".service", ".timer")]
    if not any(os.path.lexists(path) for path in files):
        return False
    rc, out, err = run(["systemctl", "disable", "--now", timer_unit_name(name)])
    if rc != 0 and os.path.exists(os.path.join(root, "run/systemd/system")):
        raise WindowError("systemctl disable --now %s failed (rc %s): %s" % (
            timer_unit_name(name), rc, (err or out).strip()))
    for path in files:
        _fileio.remove(path)
    run(["systemctl", "daemon-reload"])
    return True


# --- closing: the same writers as the modules -----------------------------------------------------

def close(record, run, root="/", now=None, hostname=None, check=False):
    """Carry out the record's undo list, in order, each action on its own: a failure does not stop the others
    (closing as much as can be closed beats stopping). Returns [{action, target, changed, error}]. `check`: only
    say what would change (each writer plans, nothing is written or run)."""
    now = now or datetime.datetime.now(datetime.timezone.utc)
    results = []
    facts = None
    for action in record["undo"]:
        kind = action["action"]
        try:
            if kind == "sysctl":
                if facts is None:
                    # here: _hoststate lists the windows with this file
                    from ansible_collections.debugready.ptrace.plugins.module_utils import _hoststate
                    facts = _hoststate.gather(root=root, sections=("yama", "container"), run=run)
                changed = _close_sysctl(action, facts, root, check)
            elif kind == "sudoers_absent":
                changed = _close_sudoers(action, run, root, now, hostname, check)
            elif kind == "remove_file":
                changed = _close_copy(action["path"], root, check)
            elif kind == "remove_config":
                changed = _close_config(action, run, root, check)
            elif kind == "selinux_boolean":
                changed = _close_selinux_boolean(action, root, check)
            else:
                changed = _close_group(action, run, root, check)
            results.append({"action": kind, "target": _target(action), "changed": bool(changed), "error": None})
        except (_sysctl_write.SysctlInputError, _sysctl_write.SysctlWriteError, _fileio.FileWriteError,
                _sudoers_write.SudoersInputError, _sudoers_write.SudoersHostError,
                _sudoers_write.SudoersValidationError, _selinux_write.SelinuxBooleanError, WindowError,
                OSError) as exc:
            results.append({"action": kind, "target": _target(action), "changed": False, "error": str(exc)})
    return results


def _target(action):
    return action.get("key") or action.get("name") or action.get("path") or action.get("group")


def _close_sysctl(action, facts, root, check=False):
    setting = _sysctl_write.SETTINGS[action["key"]]
    steps = []
    if action["file"] is None:
        # the collection's files removed, the runtime value put back in the same plan
        steps.append({"state": "absent", "value": action["runtime"], "confirm_scope_3": True,
                      "confirm_irreversible": True})
    else:
        steps.append({"value": action["file_value"], "file": action["file"], "apply": "persistent",
                      "confirm_scope_3": True, "confirm_irreversible": True})
        if action["runtime"] is not None:
            steps.append({"value": action["runtime"], "apply": "runtime", "confirm_scope_3": True,
                          "confirm_irreversible": True})
    changed = False
    for params in steps:
        plan = _sysctl_write.plan(params, facts, root, setting)
        if plan.skip_reason:
            continue  # not this host's to set (a container, no such key), as ptrace_scope and kernel_setting skip
        if plan.changed:
            if not check:
                _sysctl_write.apply(plan, root)
            changed = True
    return changed


def _close_selinux_boolean(action, root, check=False):
    try:
        plan = _selinux_write.plan(action["name"], action["value"], root)
    except _selinux_write.SelinuxNotEnabled:
        return False  # booted without SELinux: no running policy holds the window's value
    if plan["changed"] and not check:
        _selinux_write.apply(plan, root)
    return plan["changed"]


def _close_copy(path, root, check=False):
    full = os.path.join(root, path.lstrip("/"))
    if not os.path.lexists(full):
        return False
    if not path.startswith(REMOVABLE_DIRS):
        try:
            os.getxattr(full, CAPS_XATTR, follow_symlinks=False)
        except OSError:
            raise WindowError("%s holds no file capabilities and is outside %s: not a capability copy, left in "
                              "place" % (path, ", ".join(REMOVABLE_DIRS)))
    return True if check else _fileio.remove(full)


def _close_config(action, run, root, check=False):
    full = os.path.join(root, action["path"].lstrip("/"))
    if not os.path.lexists(full):
        return False
    if os.path.islink(full) or not os.path.isfile(full):
        raise WindowError("%s is not a regular file: not the collection's, left in place" % action["path"])
    with open(full, "r", errors="replace") as handle:
        first = handle.readline()
    if MANAGED_MARKER not in first:
        raise WindowError("%s does not start with %r: not written by the collection, left in place"
                          % (action["path"], MANAGED_MARKER))
    if check:
        return True
    _fileio.remove(full)
    if action["then"] and (not action["if_running"] or _procs.find_by_names([action["if_running"]], root)):
        rc, out, err = run(list(action["then"]))
        if rc != 0:
            raise WindowError("%s removed, but %s failed (rc %s): %s"
                              % (action["path"], " ".join(action["then"]), rc, (err or out).strip()))
    return True


def _close_sudoers(action, run, root, now, hostname, check=False):
    params = dict((name, spec.get("default")) for name, spec in _sudoers_write.GRANT_OPTIONS.items())
    params.update(name=action["name"], state="absent")
    host = _sudoers_write.read_host(params, root=root, hostname=hostname, run=run)
    plan = _sudoers_write.plan(params, host, now)
    if plan.changed and not check:
        _sudoers_write.remove(run, host.visudo, plan.path, root)
    return plan.changed


def _close_group(action, run, root, check=False):
    members = _group_members(action["group"], root)
    if members is None:
        return False  # the group is gone already
    if action["action"] == "group_absent":
        argvs = [list(action["tool"]) + [action["group"]]]
    else:
        argvs = [list(action["tool"]) + [user, action["group"]] for user in action["members"] if user in members]
    for argv in argvs if not check else ():
        rc, out, err = run(argv)
        if rc != 0:
            raise WindowError("%s failed (rc %s): %s" % (" ".join(argv), rc, (err or out).strip()))
    return bool(argvs)


def _group_members(group, root="/"):
    """The members listed in /etc/group for `group`, or None when there is no such group."""
    try:
        with open(os.path.join(root, "etc/group"), "r") as handle:
            for line in handle:
                fields = line.rstrip("\n").split(":")
                if len(fields) >= 4 and fields[0] == group:
                    return [m for m in fields[3].split(",") if m]
    except OSError:
        return None
    return None
