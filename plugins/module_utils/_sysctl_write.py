# -*- coding: utf-8 -*-
# Copyright (c) 2026, debugready.ptrace contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Persisting a sysctl so that it really wins at boot, and setting it at runtime.

The file name is chosen to sort after every other file that sets the key, so the value wins
for systemd-sysctl and `sysctl --system` alike (except /etc/sysctl.conf, which `sysctl --system`
applies last whatever its name: that is reported, not edited). Which file wins before and
after is computed by the one resolver in _sysctl.
"""

from __future__ import annotations

import errno
import os
import re

from ansible_collections.debugready.ptrace.plugins.module_utils import _fileio, _paths, _sysctl

ETC_DIR = "/etc/sysctl.d"
DEFAULT_NAME = "99-debugready-ptrace-scope.conf"
LATE_NAME = "zz-debugready-ptrace-scope.conf"
MARKER = "# Managed by debugready.ptrace.ptrace_scope"
_FILE_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.+-]*\.conf\Z")


class SysctlWriteError(Exception):
    """A value could not be written; `errno_name` says why (EINVAL when Yama is locked, EROFS, EACCES)."""

    def __init__(self, message, errno_name=None):
        super(SysctlWriteError, self).__init__(message)
        self.errno_name = errno_name


class SysctlInputError(Exception):
    """An unusable file option."""


def check_file(path):
    if not path.startswith("/") or os.path.dirname(path) != ETC_DIR or not _FILE_NAME.match(os.path.basename(path)):
        raise SysctlInputError("file must be a *.conf file directly in %s (name of letters, digits, '_', '.', '+', "
                               "'-'), got %r" % (ETC_DIR, path))
    return path


def managed_files(root="/"):
    """Files in /etc/sysctl.d that this module wrote (first line is the marker)."""
    directory = _paths.host_path(root, ETC_DIR)
    found = []
    try:
        names = sorted(os.listdir(directory))
    except OSError:
        return found
    for name in names:
        if not name.endswith(".conf"):
            continue
        try:
            with open(os.path.join(directory, name), "r") as handle:
                first = handle.readline().rstrip("\n")
        except (OSError, UnicodeDecodeError):
            continue
        if first == MARKER:
            found.append(ETC_DIR + "/" + name)
    return found


def choose_file(key, root="/", ignore=()):
    """/etc/sysctl.d/NAME sorting after every other file (both appliers) that sets `key`."""
    setters = set()
    for applier in _sysctl.APPLIERS:
        for assignment in _sysctl.resolve(key, root, applier).assignments:
            if assignment.path not in ignore and assignment.path != _sysctl.SYSCTL_CONF:
                setters.add(os.path.basename(assignment.path))
    last = max(setters) if setters else ""
    for name in (DEFAULT_NAME, LATE_NAME):
        if name > last:
            return ETC_DIR + "/" + name
    # '_' sorts after '.', so STEM_... sorts after STEM.conf
    return ETC_DIR + "/" + last[:-len(".conf")] + "_debugready-ptrace-scope.conf"


def render(key, value):
    return "%s\n# Yama ptrace scope; see debugready.ptrace.ptrace_scope. Edit through Ansible, not by hand.\n%s = %d\n" % (
        MARKER, _sysctl.dotted_key(key), value)


def boot_state(key, root="/", pending=None):
    """{"systemd_sysctl": {...}, "sysctl_system": {...}}: value and source per applier."""
    state = {}
    for applier in _sysctl.APPLIERS:
        resolution = _sysctl.resolve(key, root, applier, pending=pending)
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


class PersistPlan(object):
    """What persisting `key` needs: `pending` maps each file to write to its text, each to remove to None."""

    def __init__(self, path, content, previous, pending):
        self.path = path
        self.content = content
        self.previous = previous
        self.pending = pending


def plan_persist(key, value, chosen_file=None, root="/"):
    """The files to change so that `value` (None: no managed setting at all) wins at boot.

    Raises SysctlInputError when `chosen_file` exists and is not ours.
    """
    managed = managed_files(root)
    if value is None:
        return PersistPlan(None, None, None, dict((stale, None) for stale in managed))
    path = chosen_file or choose_file(key, root, ignore=managed)
    content = render(key, value)
    previous = _fileio.read_bytes(_paths.host_path(root, path))
    if previous is not None and chosen_file and MARKER not in previous.decode("utf-8", "replace"):
        raise SysctlInputError("%s exists and was not written by this module; refusing to overwrite it" % path)
    pending = {}
    if previous is None or previous.decode("utf-8", "replace") != content:
        pending[path] = content
    for stale in managed:
        if stale != path:
            pending[stale] = None  # an older choice of name that no longer sorts last
    return PersistPlan(path, content, previous, pending)


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
