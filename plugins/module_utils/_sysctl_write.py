# -*- coding: utf-8 -*-
# Copyright (c) 2026, debugready.ptrace contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Yama's ptrace_scope: what ptrace_scope would change (`plan`), and doing it (`apply`).

`plan()` is the one decision: the ptrace_scope module acts on it (check mode only skips
`apply()`), and _policy asks it whether the module would change anything, so the two cannot
disagree. The file name is chosen to sort after every other file that sets the key, so the
value wins for systemd-sysctl and `sysctl --system` alike (except /etc/sysctl.conf, which
`sysctl --system` applies last whatever its name: that is reported, not edited). Which file
wins before and after is computed by the one resolver in _sysctl.

A file in /etc/sysctl.d is ours only when its first line is exactly MARKER and it is a
regular file (never a symlink: nothing is read through one). Any other file is never
overwritten or removed, and one of ours that gained other settings by hand is neither
rewritten nor removed (that would drop them): the plan refuses with the reason.
"""

from __future__ import annotations

import errno
import os
import re
import stat

from ansible_collections.debugready.ptrace.plugins.module_utils import _fileio, _lsm, _paths, _sysctl

KEY = _lsm.YAMA_KEY
SCOPES = (0, 1, 2, 3)
ETC_DIR = "/etc/sysctl.d"
DEFAULT_NAME = "99-debugready-ptrace-scope.conf"
LATE_NAME = "zz-debugready-ptrace-scope.conf"
SUFFIX = "_debugready-ptrace-scope.conf"  # '_' sorts after '.', so STEM_... sorts after STEM.conf
MARKER = "# Managed by debugready.ptrace.ptrace_scope"
MODE = 0o644
_FILE_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.+-]*\.conf\Z")
_NAME_MAX = 255  # bytes in a file name on Linux filesystems; the name is ASCII here
_DIGIT = re.compile(r"^\s*[0-3]\s*\Z")

# The options that say which scope is wanted: ptrace_scope's, also a policy's `yama` entry.
# The scopes are `raw` because Ansible's int type turns `true` into 1; check_scope() refuses booleans.
SCOPE_OPTIONS = dict(
    state=dict(type="str", choices=["present", "absent"], default="present"),
    value=dict(type="raw"),
    minimum=dict(type="raw"),
    maximum=dict(type="raw"),
    confirm_scope_3=dict(type="bool", default=False),
)
# How ptrace_scope applies it.
APPLY_OPTIONS = dict(
    apply=dict(type="str", choices=["both", "runtime", "persistent"], default="both"),
    file=dict(type="path"),
    strict_runtime=dict(type="bool", default=False),
    on_unsupported=dict(type="str", choices=["skip", "fail"], default="skip"),
)
_DEFAULTS = dict((name, spec.get("default"))
                 for name, spec in list(SCOPE_OPTIONS.items()) + list(APPLY_OPTIONS.items()))


class SysctlWriteError(Exception):
    """A value could not be written; `errno_name` says why (EINVAL when Yama is locked, EROFS, EACCES)."""

    def __init__(self, message, errno_name=None):
        super(SysctlWriteError, self).__init__(message)
        self.errno_name = errno_name


class SysctlInputError(Exception):
    """Unusable options, or a host state the module refuses to change; nothing was changed."""


def _shown(value, limit=60):
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "... (%d characters)" % len(text)


def check_scope(name, value):
    """A scope option as an int 0-3 (None when not given). Booleans are refused, not read as 0 or 1."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise SysctlInputError("value of %s must be one of: 0, 1, 2, 3, got: %s (a boolean, not a scope: write the "
                               "number)" % (name, value))
    if isinstance(value, int) and value in SCOPES:
        return value
    if isinstance(value, str) and _DIGIT.match(value):
        return int(value)
    raise SysctlInputError("value of %s must be one of: 0, 1, 2, 3, got: %s" % (name, _shown(value)))


def check_file(path):
    """The normalised path of a `file` option ('/etc/sysctl.d//x.conf' is '/etc/sysctl.d/x.conf')."""
    text = path if isinstance(path, str) else ""
    parts = text.split("/")
    normal = "/" + "/".join(p for p in parts if p not in ("", "."))
    name = os.path.basename(normal)
    if not text.startswith("/") or ".." in parts or os.path.dirname(normal) != ETC_DIR \
            or not _FILE_NAME.match(name) or len(name) > _NAME_MAX:
        raise SysctlInputError("file must be an absolute path to a *.conf file directly in %s (a name of at most %d "
                               "letters, digits, '_', '.', '+', '-'; no '..'), got %s" % (
                                   ETC_DIR, _NAME_MAX, _shown(path, 200)))
    return normal


class Existing(object):
    """What is at a path of /etc/sysctl.d, read without following a symlink.

    `kind` is None (nothing there), "file", "symlink", "directory" or "other"; `data` the bytes of a file.
    """

    __slots__ = ("path", "kind", "data")

    def __init__(self, path, kind=None, data=None):
        self.path = path
        self.kind = kind
        self.data = data

    @property
    def ours(self):
        return self.kind == "file" and self.data.split(b"\n", 1)[0] == MARKER.encode("ascii")

    def other_settings(self):
        """The settings of keys other than KEY in this file, as 'key (line N)'."""
        key_path = _sysctl.normalize_key(KEY)
        assignments = _sysctl.parse_text(self.data.decode("utf-8", "replace"), self.path)[0]
        return ["%s (line %d)" % (_sysctl.dotted_key(a.key), a.line) for a in assignments if a.key != key_path]

    def describe(self):
        if self.kind == "file":
            return "a file without this module's header on its first line"
        return {"symlink": "a symlink", "directory": "a directory"}.get(self.kind, "not a regular file")


def inspect(path, root="/"):
    """The Existing at `path` (lstat, then O_NOFOLLOW: a symlink is reported, never followed)."""
    host = _paths.host_path(root, path)
    try:
        st = os.lstat(host)
    except OSError as exc:
        if exc.errno in (errno.ENOENT, errno.ENOTDIR):
            return Existing(path)
        raise _fileio.FileWriteError("cannot read %s: %s" % (path, os.strerror(exc.errno or 0)))
    if stat.S_ISLNK(st.st_mode):
        return Existing(path, "symlink")
    if stat.S_ISDIR(st.st_mode):
        return Existing(path, "directory")
    if not stat.S_ISREG(st.st_mode):
        return Existing(path, "other")
    try:
        fd = os.open(host, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        if exc.errno == errno.ELOOP:  # replaced by a symlink since the lstat
            return Existing(path, "symlink")
        if exc.errno == errno.ENOENT:
            return Existing(path)
        raise _fileio.FileWriteError("cannot read %s: %s" % (path, os.strerror(exc.errno or 0)))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return Existing(path, "other")
        chunks = []
        while True:
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                break
            chunks.append(chunk)
    except OSError as exc:
        raise _fileio.FileWriteError("cannot read %s: %s" % (path, os.strerror(exc.errno or 0)))
    finally:
        os.close(fd)
    return Existing(path, "file", b"".join(chunks))


def managed_files(root="/"):
    """{path: Existing} of the files in /etc/sysctl.d this module wrote (MARKER is their first line)."""
    try:
        names = sorted(os.listdir(_paths.host_path(root, ETC_DIR)))
    except OSError as exc:
        if exc.errno in (errno.ENOENT, errno.ENOTDIR):
            return {}
        raise _fileio.FileWriteError("cannot list %s: %s" % (ETC_DIR, os.strerror(exc.errno or 0)))
    found = {}
    for name in names:
        if name.endswith(".conf"):
            existing = inspect(ETC_DIR + "/" + name, root)
            if existing.ours:
                found[existing.path] = existing
    return found


def _masked_settings(name, root):
    """Settings of other keys that /etc/sysctl.d/NAME would mask: a same-name file in a later directory."""
    for directory in _sysctl.DIRECTORIES[1:]:
        path = directory + "/" + name
        if not os.path.lexists(_paths.host_path(root, path)):
            continue
        conf = _sysctl.ConfFile(path)
        assignments = _sysctl.read_assignments(root, conf)
        if conf.unreadable:
            return ["%s is unreadable (%s)" % (path, conf.unreadable)]
        key_path = _sysctl.normalize_key(KEY)
        return ["%s (%s line %d)" % (_sysctl.dotted_key(a.key), path, a.line) for a in assignments
                if a.key != key_path]
    return []


def _unavailable(path, managed, root):
    """Why we may not write `path` (None when we may)."""
    if path not in managed:
        existing = inspect(path, root)
        if existing.kind is not None:
            return "%s exists and was not written by this module (%s)" % (path, existing.describe())
        masked = _masked_settings(os.path.basename(path), root)
        if masked:
            return "%s would mask the file of the same name that sets %s" % (path, ", ".join(masked))
    return None


def choose_file(key, root="/", managed=None, cache=None):
    """(path, [why each skipped name was skipped]): /etc/sysctl.d/NAME sorting after every other file that sets
    `key` for both appliers.

    Tries DEFAULT_NAME, LATE_NAME, then <last setter>SUFFIX, skipping a name that is not ours to write;
    raises SysctlInputError when none of them is free.
    """
    managed = managed_files(root) if managed is None else managed
    setters = set()
    for applier in _sysctl.APPLIERS:
        for assignment in _sysctl.resolve(key, root, applier, cache).assignments:
            if assignment.path not in managed and assignment.path != _sysctl.SYSCTL_CONF:
                setters.add(os.path.basename(assignment.path))
    last = max(setters) if setters else ""
    names = [DEFAULT_NAME, LATE_NAME] + ([last[:-len(".conf")] + SUFFIX] if last else [])
    skipped = []
    for name in names:
        if name <= last:
            continue
        path = ETC_DIR + "/" + name
        why = _unavailable(path, managed, root)
        if why is None:
            return path, skipped
        skipped.append(why)
    raise SysctlInputError("no file name of this module sorts after %s here: %s. Give `file` (a free name sorting "
                           "after it) or move that file." % (last or "the other files", "; ".join(skipped)))


def render(key, value):
    return "%s\n# Yama ptrace scope; see debugready.ptrace.ptrace_scope. Edit through Ansible, not by hand.\n%s = %d\n" % (
        MARKER, _sysctl.dotted_key(key), value)


def boot_state(key, root="/", pending=None, cache=None):
    """{"systemd_sysctl": {...}, "sysctl_system": {...}}: value and source per applier."""
    state = {}
    for applier in _sysctl.APPLIERS:
        resolution = _sysctl.resolve(key, root, applier, cache, pending=pending)
        state[applier] = {"value": resolution.value, "source": resolution.source}
    return state


def desired_scope(value, minimum, maximum, current):
    """The scope to converge to: `value` when given, else `current` clamped into minimum..maximum."""
    if value is not None:
        return value
    scope = current if current is not None else minimum if minimum is not None else 0
    if minimum is not None and scope < minimum:
        scope = minimum
    if maximum is not None and scope > maximum:
        scope = maximum
    return scope


def unsupported_reason(facts):
    """Why this host cannot take a runtime value (a container, no Yama), or None."""
    container = facts["container"]
    if container.get("detected"):
        return ("In a %s container Yama is the host's and /proc/sys is read-only: set kernel.yama.ptrace_scope on the "
                "host (e.g. with this module there), and start the container with --cap-add SYS_PTRACE for tracing "
                "inside it." % (container.get("engine") or "unknown"))
    if not facts["yama"].get("present"):
        return "This kernel has no Yama LSM: kernel.yama.ptrace_scope does not exist, there is nothing to set."
    return None


class Plan(object):
    """What ptrace_scope does on this host with these options.

    `path` is the persisted file, `content` its text and `previous` its bytes before (None: absent). `pending`
    maps each file to write to its text and each to remove to None (new files first when applied); `saved` holds
    the bytes (None: absent) each of them had, to put back if applying fails.
    """

    def __init__(self, before):
        self.before = before
        self.after = before
        self.target = None
        self.runtime_change = False
        self.reboot_required = False
        self.path = None
        self.content = None
        self.previous = None
        self.pending = {}
        self.saved = {}
        self.warnings = []
        self.skip_reason = None

    @property
    def changed(self):
        return self.runtime_change or bool(self.pending)

    def result(self):
        return dict(changed=self.changed, before=self.before, after=self.after, target=self.target, path=self.path,
                    reasons=self.reasons(), reboot_required=self.reboot_required)

    def reasons(self):
        """What would change and why, one entry per change; empty when nothing does."""
        if self.skip_reason:
            return []
        found = []
        if self.runtime_change:
            found.append("runtime %s, target %d" % (self.before["runtime"], self.target))
        writes = sorted(p for p, text in self.pending.items() if text is not None)
        removals = sorted(p for p, text in self.pending.items() if text is None)
        if writes:
            found.append("persisted value needs %s" % ", ".join(writes))
        if removals:
            found.append("managed files to remove: %s" % ", ".join(removals))
        return found

    def diff(self):
        """{before, after, before_header, after_header} of the persisted file, or of the files removed; or None."""
        if self.path is not None:
            return dict(before=(self.previous or b"").decode("utf-8", "replace"), after=self.content,
                        before_header=self.path, after_header=self.path)
        removed = sorted(p for p, text in self.pending.items() if text is None)
        if not removed:
            return None
        return dict(before="".join(self.saved[p].decode("utf-8", "replace") for p in removed), after="",
                    before_header=", ".join(removed), after_header=", ".join(removed))

    def summary(self):
        """One line saying what would change, for the policy comparison."""
        if self.skip_reason:
            return "nothing to set on this host: %s" % self.skip_reason
        problems = self.reasons()
        if problems:
            return "; ".join(problems)
        if self.target is None:
            return "no managed sysctl.d file"
        if self.reboot_required:
            return "%d persisted, the runtime takes it at the next boot" % self.target
        return "runtime and boot at %d" % self.target


def plan(params, facts, root="/"):
    """The Plan of ptrace_scope with `params` (its options; missing ones take their defaults) on the host of `facts`
    (the gathered snapshot with its yama and container sections).

    Raises SysctlInputError for unusable options and whatever the module must refuse; FileWriteError when a file
    in /etc/sysctl.d cannot be read. Reads files, changes nothing.
    """
    options = dict(_DEFAULTS)
    options.update((name, value) for name, value in params.items() if value is not None)
    value, minimum, maximum = (check_scope(name, options[name]) for name in ("value", "minimum", "maximum"))
    absent = options["state"] == "absent"
    if not absent and value is None and minimum is None and maximum is None:
        raise SysctlInputError("one of the following is required: value, minimum, maximum")
    low = minimum if minimum is not None else 0
    high = maximum if maximum is not None else 3
    if low > high:
        raise SysctlInputError("minimum (%d) is above maximum (%d)" % (low, high))
    if value is not None and not low <= value <= high:
        raise SysctlInputError("value %d is outside minimum..maximum (%d..%d)" % (value, low, high))
    chosen = check_file(options["file"]) if options["file"] else None

    yama = facts["yama"]
    scope = yama.get("scope")
    cache = {}
    result = Plan({"runtime": scope, "boot": boot_state(KEY, root, cache=cache)})
    reason = unsupported_reason(facts)
    files_only = options["apply"] == "persistent" or (absent and value is None)
    if reason and not files_only:
        if options["on_unsupported"] == "fail":
            raise SysctlInputError(reason)
        result.warnings.append(reason)
        result.skip_reason = reason
        return result
    if reason:
        # Only files are asked for (building an image, or removing them): the live kernel is not involved.
        result.warnings.append(reason + " Only the persisted file is managed.")

    if absent:
        target = value if value is not None else scope
        runtime_change = value is not None and scope != target
        persist = False
    else:
        target = desired_scope(value, minimum, maximum, scope)
        runtime_change = options["apply"] in ("both", "runtime") and scope != target
        persist = options["apply"] in ("both", "persistent")
    result.target = target
    if target == 3 and not options["confirm_scope_3"] and (runtime_change or persist):
        raise SysctlInputError("scope 3 locks ptrace for everyone, root included, until the next reboot: set "
                               "confirm_scope_3: true to write it")
    if runtime_change and yama.get("locked"):
        if options["strict_runtime"]:
            raise SysctlInputError("Yama is locked at 3 until reboot; the runtime value cannot be changed to %d "
                                   "(strict_runtime is set)" % target)
        result.warnings.append("Yama is locked at 3 until reboot: %s" % (
            "%d is persisted and takes effect at the next boot." % target if persist
            else "the runtime value cannot be changed to %d now." % target))
        runtime_change = False
        result.reboot_required = True
    elif runtime_change and not yama.get("writable"):
        why = "kernel.yama.ptrace_scope cannot be written here (%s)" % yama.get("not_writable_reason")
        if options["on_unsupported"] == "fail" or not persist:
            raise SysctlInputError(why)
        result.warnings.append(why + "; only the persisted value is changed.")
        runtime_change = False
        result.reboot_required = True
    result.runtime_change = runtime_change

    if persist or absent:
        _plan_files(result, target if persist else None, chosen, root, cache)
    result.after = {"runtime": target if runtime_change else scope,
                    "boot": boot_state(KEY, root, result.pending, cache)}
    for applier, state in result.after["boot"].items():
        if persist and state["value"] != str(target):
            result.warnings.append("%s still ends at ptrace_scope %s from %s, not %d: edit or remove that setting." % (
                "systemd-sysctl (boot)" if applier == "systemd_sysctl" else "'sysctl --system'",
                state["value"], state["source"], target))
    return result


def _plan_files(result, value, chosen, root, cache):
    """Fill result.path, content, pending and saved for persisting `value` (None: no managed file at all)."""
    managed = managed_files(root)
    keep = None
    if value is not None:
        if chosen:
            why = _unavailable(chosen, managed, root)
            if why:
                raise SysctlInputError("%s; refusing to overwrite it" % why)
            keep = chosen
        else:
            keep, skipped = choose_file(KEY, root, managed, cache)
            for why in skipped:
                result.warnings.append("%s: persisting in %s instead." % (why, keep))
        result.path = keep
        result.content = render(KEY, value)
        result.previous = managed[keep].data if keep in managed else None
        if result.previous != result.content.encode("utf-8"):
            result.pending[keep] = result.content
            result.saved[keep] = result.previous
    for path, existing in managed.items():
        if path != keep:
            result.pending[path] = None  # an older choice of name that no longer sorts last, or state=absent
            result.saved[path] = existing.data
    for path in result.pending:
        others = managed[path].other_settings() if path in managed else []
        if others:
            raise SysctlInputError(
                "%s carries this module's header but also sets %s, added by hand: %s it would drop %s. Move "
                "those settings to a file of their own, then run again." % (
                    path, ", ".join(others), "removing" if result.pending[path] is None else "rewriting",
                    "them" if len(others) > 1 else "it"))


def write_runtime(key, value, root="/"):
    """Write the live value; SysctlWriteError with the errno name when the kernel refuses."""
    path = _sysctl.runtime_path(key, root)
    try:
        with open(path, "w") as handle:
            handle.write("%d\n" % value)
    except OSError as exc:
        name = errno.errorcode.get(exc.errno, str(exc.errno))
        raise SysctlWriteError("writing %s=%d failed: %s" % (_sysctl.dotted_key(key), value,
                                                             os.strerror(exc.errno or 0)), name)


def _put(path, data, root):
    """Write `data` (text or bytes) at `path`, or remove it when None."""
    host = _paths.host_path(root, path)
    if data is None:
        _fileio.remove(host)
        return
    try:
        os.makedirs(os.path.dirname(host), mode=0o755, exist_ok=True)
    except OSError as exc:
        raise _fileio.FileWriteError("cannot create %s: %s" % (os.path.dirname(path), os.strerror(exc.errno or 0)))
    _fileio.write_atomic(host, data.encode("utf-8") if isinstance(data, str) else data, MODE, 0, 0)


def _write_files(plan_, root):
    """Apply plan_.pending, new files before removals; on a failure undo the steps done, then raise."""
    done = []
    try:
        for path, data in sorted(plan_.pending.items(), key=lambda item: (item[1] is None, item[0])):
            _put(path, data, root)
            done.append(path)
    except _fileio.FileWriteError as exc:
        _undo(plan_, done, root, exc)
        raise
    return done


def _undo(plan_, done, root, cause):
    """Put back what the files in `done` held; a failure to do so is added to `cause`'s message."""
    for path in reversed(done):
        try:
            _put(path, plan_.saved.get(path), root)
        except _fileio.FileWriteError as exc:
            cause.args = ("%s; putting %s back also failed: %s" % (cause.args[0], path, exc),)


def apply(plan_, root="/"):
    """Carry out a plan: the runtime value and the files change together or not at all.

    Writing 3 is irreversible: the files go first. Otherwise the runtime value is written first (the likelier
    failure) and put back if the files cannot be. Raises SysctlWriteError or FileWriteError.
    """
    if plan_.runtime_change and plan_.target == 3:
        done = _write_files(plan_, root)
        try:
            write_runtime(KEY, 3, root)
        except SysctlWriteError as exc:
            _undo(plan_, done, root, exc)
            raise
        return
    if plan_.runtime_change:
        write_runtime(KEY, plan_.target, root)
    try:
        _write_files(plan_, root)
    except _fileio.FileWriteError as exc:
        previous = plan_.before["runtime"]
        if plan_.runtime_change and previous is not None:
            try:
                write_runtime(KEY, previous, root)
            except SysctlWriteError as again:
                exc.args = ("%s; putting the runtime value %d back also failed: %s" % (exc.args[0], previous, again),)
        raise
