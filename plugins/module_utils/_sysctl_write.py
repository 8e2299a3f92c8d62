# -*- coding: utf-8 -*-
# Copyright (c) 2026, debugready.ptrace contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""A kernel setting converged live and persisted so that it wins at boot: what would change (`plan`), and doing
it (`apply`). The settings are declared in SETTINGS: Yama's ptrace_scope (the ptrace_scope module) and perf's and
eBPF's (the kernel_setting module), each with the range a policy may ask for and the value that cannot be undone
until reboot.

`plan()` is the one decision: the modules act on it (check mode only skips
`apply()`), and _policy asks it whether the module would change anything, so the two cannot
disagree. The file name is chosen to sort after every other file that sets the key, so the
value wins for systemd-sysctl and `sysctl --system` alike (except /etc/sysctl.conf, which
`sysctl --system` applies last whatever its name: that is reported, not edited). Which file
wins before and after is computed by the one resolver in _sysctl.

A file in /etc/sysctl.d is ours only when its first line is exactly the setting's marker and it is a
regular file (never a symlink: nothing is read through one). Any other file is never
overwritten or removed, and one of ours that gained other settings by hand is neither
rewritten nor removed (that would drop them): the plan refuses with the reason.
"""

from __future__ import annotations

import errno
import os
import re
import stat

from ansible_collections.debugready.ptrace.plugins.module_utils import _fileio, _lsm, _paths, _perf, _sysctl

ETC_DIR = "/etc/sysctl.d"
MODE = 0o644
_FILE_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.+-]*\.conf\Z")
_NAME_MAX = 255  # bytes in a file name on Linux filesystems; the name is ASCII here
_INTEGER = re.compile(r"^\s*-?[0-9]{1,3}\s*\Z")


class Setting(object):
    """A kernel setting this collection converges.

    `low`..`high`: the values a policy may ask for. `irreversible`: the value the kernel keeps until reboot once
    written (None: none), which is written only with the `confirm` option set; `why_irreversible` says so.
    `stem` names its files: 99-debugready-STEM.conf, else zz-debugready-STEM.conf, else <last setter>_debugready-
    STEM.conf ('_' sorts after '.', so NAME_... sorts after NAME.conf). `marker` is the first line of its files.
    """

    def __init__(self, key, low, high, stem, marker, title, irreversible=None, confirm=None, why_irreversible=None,
                 label=None, subject=None):
        self.key = key
        self.label = label or key  # "... still ends at LABEL 0"
        self.subject = subject or key  # "SUBJECT is locked at 3 until reboot"
        self.low = low
        self.high = high
        self.default_name = "99-debugready-%s.conf" % stem
        self.late_name = "zz-debugready-%s.conf" % stem
        self.suffix = "_debugready-%s.conf" % stem
        self.marker = marker
        self.title = title
        self.irreversible = irreversible
        self.confirm = confirm
        self.why_irreversible = why_irreversible

    def values(self):
        return ", ".join(str(v) for v in range(self.low, self.high + 1))


YAMA = Setting(_lsm.YAMA_KEY, 0, 3, "ptrace-scope", "# Managed by debugready.ptrace.ptrace_scope",
               "Yama ptrace scope; see debugready.ptrace.ptrace_scope", irreversible=3, confirm="confirm_scope_3",
               why_irreversible="scope 3 locks ptrace for everyone, root included, until the next reboot",
               label="ptrace_scope", subject="Yama")
KERNEL_SETTING_MARKER = "# Managed by debugready.ptrace.kernel_setting: %s"
# perf_event_paranoid: -1..2 in mainline, 3 on Debian's and Ubuntu's kernels (mainline stores 3 and acts as at 2).
PERF_EVENT_PARANOID = Setting(
    "kernel.perf_event_paranoid", -1, 3, "perf-event-paranoid", KERNEL_SETTING_MARKER % "kernel.perf_event_paranoid",
    "who may use perf_event_open; see debugready.ptrace.kernel_setting")
KPTR_RESTRICT = Setting(
    "kernel.kptr_restrict", 0, 2, "kptr-restrict", KERNEL_SETTING_MARKER % "kernel.kptr_restrict",
    "kernel addresses in /proc/kallsyms and perf; see debugready.ptrace.kernel_setting")
UNPRIVILEGED_BPF_DISABLED = Setting(
    "kernel.unprivileged_bpf_disabled", 0, 2, "unprivileged-bpf-disabled",
    KERNEL_SETTING_MARKER % "kernel.unprivileged_bpf_disabled",
    "unprivileged bpf(); see debugready.ptrace.kernel_setting", irreversible=1, confirm="confirm_irreversible",
    why_irreversible="1 forbids unprivileged bpf() until the next reboot: the kernel then refuses 0 and 2")
SETTINGS = dict((s.key, s) for s in (YAMA, PERF_EVENT_PARANOID, KPTR_RESTRICT, UNPRIVILEGED_BPF_DISABLED))

# Yama's, by their historical names (ptrace_scope's tests and the role use them).
KEY = YAMA.key
DEFAULT_NAME = YAMA.default_name
LATE_NAME = YAMA.late_name
SUFFIX = YAMA.suffix
MARKER = YAMA.marker

# The options that say which scope is wanted: ptrace_scope's, also a policy's `yama` entry.
# The scopes are `raw` because Ansible's int type turns `true` into 1; check_value() refuses booleans.
SCOPE_OPTIONS = dict(
    state=dict(type="str", choices=["present", "absent"], default="present"),
    value=dict(type="raw"),
    minimum=dict(type="raw"),
    maximum=dict(type="raw"),
    confirm_scope_3=dict(type="bool", default=False),
)
# kernel_setting's: the same for one of the other SETTINGS.
SETTING_OPTIONS = dict(
    key=dict(type="str", required=True, choices=sorted(k for k in SETTINGS if k != YAMA.key)),
    state=dict(type="str", choices=["present", "absent"], default="present"),
    value=dict(type="raw"),
    minimum=dict(type="raw"),
    maximum=dict(type="raw"),
    confirm_irreversible=dict(type="bool", default=False),
)
# How they are applied.
APPLY_OPTIONS = dict(
    apply=dict(type="str", choices=["both", "runtime", "persistent"], default="both"),
    file=dict(type="path"),
    strict_runtime=dict(type="bool", default=False),
    on_unsupported=dict(type="str", choices=["skip", "fail"], default="skip"),
)
_DEFAULTS = dict((name, spec.get("default")) for options in (SETTING_OPTIONS, SCOPE_OPTIONS, APPLY_OPTIONS)
                 for name, spec in options.items() if name != "key")


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


def check_value(name, value, setting=YAMA):
    """A value option as an int in the setting's range (None when not given). Booleans are refused, not read as 0
    or 1."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise SysctlInputError("value of %s must be one of: %s, got: %s (a boolean, not a %s: write the number)" % (
            name, setting.values(), value, "scope" if setting is YAMA else "value"))
    if isinstance(value, int) and setting.low <= value <= setting.high:
        return value
    if isinstance(value, str) and _INTEGER.match(value) and setting.low <= int(value) <= setting.high:
        return int(value)
    raise SysctlInputError("value of %s must be one of: %s, got: %s" % (name, setting.values(), _shown(value)))


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

    __slots__ = ("path", "kind", "data", "setting")

    def __init__(self, path, kind=None, data=None, setting=YAMA):
        self.path = path
        self.kind = kind
        self.data = data
        self.setting = setting

    @property
    def ours(self):
        return self.kind == "file" and self.data.split(b"\n", 1)[0] == self.setting.marker.encode("ascii")

    def other_settings(self):
        """The settings of keys other than the setting's in this file, as 'key (line N)'."""
        key_path = _sysctl.normalize_key(self.setting.key)
        assignments = _sysctl.parse_text(self.data.decode("utf-8", "replace"), self.path)[0]
        return ["%s (line %d)" % (_sysctl.dotted_key(a.key), a.line) for a in assignments if a.key != key_path]

    def describe(self):
        if self.kind == "file":
            return "a file without this module's header on its first line"
        return {"symlink": "a symlink", "directory": "a directory"}.get(self.kind, "not a regular file")


def inspect(path, root="/", setting=YAMA):
    """The Existing at `path` (lstat, then O_NOFOLLOW: a symlink is reported, never followed)."""
    host = _paths.host_path(root, path)
    try:
        st = os.lstat(host)
    except OSError as exc:
        if exc.errno in (errno.ENOENT, errno.ENOTDIR):
            return Existing(path, setting=setting)
        raise _fileio.FileWriteError("cannot read %s: %s" % (path, os.strerror(exc.errno or 0)))
    if stat.S_ISLNK(st.st_mode):
        return Existing(path, "symlink", setting=setting)
    if stat.S_ISDIR(st.st_mode):
        return Existing(path, "directory", setting=setting)
    if not stat.S_ISREG(st.st_mode):
        return Existing(path, "other", setting=setting)
    try:
        fd = os.open(host, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        if exc.errno == errno.ELOOP:  # replaced by a symlink since the lstat
            return Existing(path, "symlink", setting=setting)
        if exc.errno == errno.ENOENT:
            return Existing(path, setting=setting)
        raise _fileio.FileWriteError("cannot read %s: %s" % (path, os.strerror(exc.errno or 0)))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return Existing(path, "other", setting=setting)
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
    return Existing(path, "file", b"".join(chunks), setting)


def managed_files(root="/", setting=YAMA):
    """{path: Existing} of the files in /etc/sysctl.d written for this setting (its marker is their first line)."""
    try:
        names = sorted(os.listdir(_paths.host_path(root, ETC_DIR)))
    except OSError as exc:
        if exc.errno in (errno.ENOENT, errno.ENOTDIR):
            return {}
        raise _fileio.FileWriteError("cannot list %s: %s" % (ETC_DIR, os.strerror(exc.errno or 0)))
    found = {}
    for name in names:
        if name.endswith(".conf"):
            existing = inspect(ETC_DIR + "/" + name, root, setting)
            if existing.ours:
                found[existing.path] = existing
    return found


def _masked_settings(name, root, setting):
    """Settings of other keys that /etc/sysctl.d/NAME would mask: a same-name file in a later directory."""
    for directory in _sysctl.DIRECTORIES[1:]:
        path = directory + "/" + name
        if not os.path.lexists(_paths.host_path(root, path)):
            continue
        conf = _sysctl.ConfFile(path)
        assignments = _sysctl.read_assignments(root, conf)
        if conf.unreadable:
            return ["%s is unreadable (%s)" % (path, conf.unreadable)]
        key_path = _sysctl.normalize_key(setting.key)
        return ["%s (%s line %d)" % (_sysctl.dotted_key(a.key), path, a.line) for a in assignments
                if a.key != key_path]
    return []


def _unavailable(path, managed, root, setting):
    """Why we may not write `path` (None when we may)."""
    if path not in managed:
        existing = inspect(path, root, setting)
        if existing.kind is not None:
            return "%s exists and was not written by this module (%s)" % (path, existing.describe())
        masked = _masked_settings(os.path.basename(path), root, setting)
        if masked:
            return "%s would mask the file of the same name that sets %s" % (path, ", ".join(masked))
    return None


def choose_file(setting, root="/", managed=None, cache=None):
    """(path, [why each skipped name was skipped]): /etc/sysctl.d/NAME sorting after every other file that sets
    the setting's key for both appliers.

    Tries its default name, its late name, then <last setter> + its suffix, skipping a name that is not ours to
    write; raises SysctlInputError when none of them is free.
    """
    managed = managed_files(root, setting) if managed is None else managed
    setters = set()
    for applier in _sysctl.APPLIERS:
        for assignment in _sysctl.resolve(setting.key, root, applier, cache).assignments:
            if assignment.path not in managed and assignment.path != _sysctl.SYSCTL_CONF:
                setters.add(os.path.basename(assignment.path))
    last = max(setters) if setters else ""
    names = [setting.default_name, setting.late_name] + ([last[:-len(".conf")] + setting.suffix] if last else [])
    skipped = []
    for name in names:
        if name <= last:
            continue
        path = ETC_DIR + "/" + name
        why = _unavailable(path, managed, root, setting)
        if why is None:
            return path, skipped
        skipped.append(why)
    raise SysctlInputError("no file name of this module sorts after %s here: %s. Give `file` (a free name sorting "
                           "after it) or move that file." % (last or "the other files", "; ".join(skipped)))


def render(setting, value):
    return "%s\n# %s. Edit through Ansible, not by hand.\n%s = %d\n" % (
        setting.marker, setting.title[0].upper() + setting.title[1:], _sysctl.dotted_key(setting.key), value)


def boot_state(key, root="/", pending=None, cache=None):
    """{"systemd_sysctl": {...}, "sysctl_system": {...}}: value and source per applier."""
    state = {}
    for applier in _sysctl.APPLIERS:
        resolution = _sysctl.resolve(key, root, applier, cache, pending=pending)
        state[applier] = {"value": resolution.value, "source": resolution.source}
    return state


def desired_scope(value, minimum, maximum, current, low=0):
    """The value to converge to: `value` when given, else `current` clamped into minimum..maximum (`low`, the
    setting's lowest, when nothing is known)."""
    if value is not None:
        return value
    scope = current if current is not None else minimum if minimum is not None else low
    if minimum is not None and scope < minimum:
        scope = minimum
    if maximum is not None and scope > maximum:
        scope = maximum
    return scope


def live_state(setting, facts, root="/"):
    """{"present", "value", "locked", "writable", "not_writable_reason"}: the live value and whether it can change.

    Yama's comes from the snapshot's yama section; another setting's is read here, the same way.
    """
    if setting is YAMA:
        yama = facts["yama"]
        return {"present": yama.get("present"), "value": yama.get("scope"), "locked": yama.get("locked"),
                "writable": yama.get("writable"), "not_writable_reason": yama.get("not_writable_reason")}
    try:
        raw = _sysctl.read_runtime(setting.key, root)
    except OSError:
        raw = None
    value = _perf.parse_int(raw) if raw is not None else None
    locked = setting.irreversible is not None and value == setting.irreversible
    reason = None
    if raw is None:
        reason = "not_visible"
    elif locked:
        reason = "locked"
    elif not os.access(_sysctl.runtime_path(setting.key, root), os.W_OK):
        reason = "read_only"
    elif (facts.get("container") or {}).get("initial_user_namespace") is False:
        reason = "not_initial_user_namespace"
    return {"present": raw is not None, "value": value, "locked": locked, "writable": reason is None,
            "not_writable_reason": reason}


def unsupported_reason(facts, setting, live):
    """Why this host cannot take a runtime value (a container, no such setting), or None. `live`: live_state()."""
    container = facts["container"]
    engine = container.get("engine") or "unknown"
    if container.get("detected") and setting is YAMA:
        return ("In a %s container Yama is the host's and /proc/sys is read-only: set kernel.yama.ptrace_scope on the "
                "host (e.g. with this module there), and start the container with --cap-add SYS_PTRACE for tracing "
                "inside it." % engine)
    if container.get("detected"):
        return ("In a %s container %s is the host kernel's and /proc/sys is read-only: set it on the host (e.g. with "
                "this module there); perf and bpftrace inside need --cap-add PERFMON (and BPF) as well." % (
                    engine, setting.key))
    present = live["present"]
    if not present and setting is YAMA:
        return "This kernel has no Yama LSM: kernel.yama.ptrace_scope does not exist, there is nothing to set."
    if not present:
        return "This kernel has no %s (or /proc/sys hides it): there is nothing to set." % setting.key
    return None


class Plan(object):
    """What ptrace_scope does on this host with these options.

    `path` is the persisted file, `content` its text and `previous` its bytes before (None: absent). `pending`
    maps each file to write to its text and each to remove to None (new files first when applied); `saved` holds
    the bytes (None: absent) each of them had, to put back if applying fails.
    """

    def __init__(self, before, setting=YAMA):
        self.setting = setting
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


def plan(params, facts, root="/", setting=YAMA):
    """The Plan for `setting` with `params` (ptrace_scope's or kernel_setting's options; missing ones take their
    defaults) on the host of `facts` (the gathered snapshot with its container section, and yama for Yama).

    Raises SysctlInputError for unusable options and whatever the module must refuse; FileWriteError when a file
    in /etc/sysctl.d cannot be read. Reads files, changes nothing.
    """
    options = dict(_DEFAULTS)
    options.update((name, value) for name, value in params.items() if value is not None)
    value, minimum, maximum = (check_value(name, options[name], setting) for name in ("value", "minimum", "maximum"))
    absent = options["state"] == "absent"
    if not absent and value is None and minimum is None and maximum is None:
        raise SysctlInputError("one of the following is required: value, minimum, maximum")
    low = minimum if minimum is not None else setting.low
    high = maximum if maximum is not None else setting.high
    if low > high:
        raise SysctlInputError("minimum (%d) is above maximum (%d)" % (low, high))
    if value is not None and not low <= value <= high:
        raise SysctlInputError("value %d is outside minimum..maximum (%d..%d)" % (value, low, high))
    chosen = check_file(options["file"]) if options["file"] else None

    live = live_state(setting, facts, root)
    scope = live["value"]
    cache = {}
    result = Plan({"runtime": scope, "boot": boot_state(setting.key, root, cache=cache)}, setting)
    reason = unsupported_reason(facts, setting, live)
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
        target = desired_scope(value, minimum, maximum, scope, setting.low)
        runtime_change = options["apply"] in ("both", "runtime") and scope != target
        persist = options["apply"] in ("both", "persistent")
    result.target = target
    if (setting.irreversible is not None and target == setting.irreversible and not options[setting.confirm]
            and (runtime_change or persist)):
        raise SysctlInputError("%s: set %s: true to write it" % (setting.why_irreversible, setting.confirm))
    if runtime_change and live["locked"]:
        locked = "%s is locked at %d until reboot" % (setting.subject, setting.irreversible)
        if options["strict_runtime"]:
            raise SysctlInputError("%s; the runtime value cannot be changed to %d (strict_runtime is set)" % (
                locked, target))
        result.warnings.append("%s: %s" % (locked, (
            "%d is persisted and takes effect at the next boot." % target if persist
            else "the runtime value cannot be changed to %d now." % target)))
        runtime_change = False
        result.reboot_required = True
    elif runtime_change and not live["writable"]:
        why = "%s cannot be written here (%s)" % (setting.key, live["not_writable_reason"])
        if options["on_unsupported"] == "fail" or not persist:
            raise SysctlInputError(why)
        result.warnings.append(why + "; only the persisted value is changed.")
        runtime_change = False
        result.reboot_required = True
    result.runtime_change = runtime_change

    if persist or absent:
        _plan_files(result, target if persist else None, chosen, root, cache, setting)
    result.after = {"runtime": target if runtime_change else scope,
                    "boot": boot_state(setting.key, root, result.pending, cache)}
    for applier, state in result.after["boot"].items():
        if persist and state["value"] != str(target):
            result.warnings.append("%s still ends at %s %s from %s, not %d: edit or remove that setting." % (
                "systemd-sysctl (boot)" if applier == "systemd_sysctl" else "'sysctl --system'", setting.label,
                state["value"], state["source"], target))
    return result


def _plan_files(result, value, chosen, root, cache, setting):
    """Fill result.path, content, pending and saved for persisting `value` (None: no managed file at all)."""
    managed = managed_files(root, setting)
    keep = None
    if value is not None:
        if chosen:
            why = _unavailable(chosen, managed, root, setting)
            if why:
                raise SysctlInputError("%s; refusing to overwrite it" % why)
            keep = chosen
        else:
            keep, skipped = choose_file(setting, root, managed, cache)
            for why in skipped:
                result.warnings.append("%s: persisting in %s instead." % (why, keep))
        result.path = keep
        result.content = render(setting, value)
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

    Writing the irreversible value (Yama's 3) cannot be undone: the files go first. Otherwise the runtime value is written first (the likelier
    failure) and put back if the files cannot be. Raises SysctlWriteError or FileWriteError.
    """
    key = plan_.setting.key
    if plan_.runtime_change and plan_.target == plan_.setting.irreversible:
        done = _write_files(plan_, root)
        try:
            write_runtime(key, plan_.target, root)
        except SysctlWriteError as exc:
            _undo(plan_, done, root, exc)
            raise
        return
    if plan_.runtime_change:
        write_runtime(key, plan_.target, root)
    try:
        _write_files(plan_, root)
    except _fileio.FileWriteError as exc:
        previous = plan_.before["runtime"]
        if plan_.runtime_change and previous is not None:
            try:
                write_runtime(key, previous, root)
            except SysctlWriteError as again:
                exc.args = ("%s; putting the runtime value %d back also failed: %s" % (exc.args[0], previous, again),)
        raise


def run_module(module, setting, facts, root="/"):
    """The converge flow of ptrace_scope and kernel_setting on an AnsibleModule: plan, warn, apply unless in check
    mode, and exit_json or fail_json (with what apply() put back said in the result)."""
    extra = {} if setting is YAMA else {"key": setting.key}
    try:
        plan_ = plan(module.params, facts, root, setting)
    except (SysctlInputError, _fileio.FileWriteError) as exc:
        module.fail_json(msg=str(exc), **extra)
    for warning in plan_.warnings:
        module.warn(warning)
    result = dict(plan_.result(), **extra)
    if plan_.skip_reason:
        module.exit_json(skipped=True, skip_reason=plan_.skip_reason, **result)
    diff = plan_.diff()
    if module._diff and diff:
        result["diff"] = diff
    if plan_.changed and not module.check_mode:
        try:
            apply(plan_, root)
        except SysctlWriteError as exc:
            result.update(changed=False, errno=exc.errno_name)  # apply() put back what it had done
            module.fail_json(msg=str(exc), **result)
        except _fileio.FileWriteError as exc:
            result.update(changed=False)
            module.fail_json(msg=str(exc), **result)
    module.exit_json(**result)
