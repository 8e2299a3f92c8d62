# -*- coding: utf-8 -*-
# Copyright (c) 2026, debugready.ptrace contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""sysctl.d resolver: which persisted value of a key wins at boot, and the runtime value.

Models sysctl.d(5) for two appliers that can disagree:
- systemd-sysctl (boot on systemd hosts): directories in priority order, a basename in
  an earlier directory masks the same basename later, a /dev/null symlink masks,
  remaining files applied in basename order; /etc/sysctl.conf only through the
  /etc/sysctl.d/99-sysctl.conf symlink.
- `sysctl --system` (procps): the same directory walk, then /etc/sysctl.conf last.
For the same key the last assignment applied wins, except that a glob never overrides an explicit setting. Every reader takes `root` so unit
tests run on fixture trees.
"""

from __future__ import annotations

import errno
import fnmatch
import os

from ansible_collections.debugready.ptrace.plugins.module_utils import _paths

DIRECTORIES = ("/etc/sysctl.d", "/run/sysctl.d", "/usr/local/lib/sysctl.d", "/usr/lib/sysctl.d", "/lib/sysctl.d")
SYSCTL_CONF = "/etc/sysctl.conf"
SYSTEMD_SYSCTL_BINARIES = ("/usr/lib/systemd/systemd-sysctl", "/lib/systemd/systemd-sysctl")
APPLIERS = ("systemd_sysctl", "sysctl_system")
_MAX_LINKS = 40


class SysctlError(Exception):
    """Base class of this module's errors."""


def normalize_key(key):
    """A key in /proc/sys path form ('kernel/yama/ptrace_scope').

    sysctl.d(5): if the first separator is a dot, dots and slashes are swapped;
    if it is a slash, the key is already a path.
    """
    key = key.strip().strip("/")
    for char in key:
        if char == "/":
            return key
        if char == ".":
            return key.translate(str.maketrans("./", "/."))
    return key


def dotted_key(key):
    """The usual display form ('kernel.yama.ptrace_scope') of a key in any form."""
    return normalize_key(key).translate(str.maketrans("./", "/."))


class Assignment(object):
    """One `key = value` line of a sysctl file."""

    __slots__ = ("key", "value", "path", "line", "ignore_failure")

    def __init__(self, key, value, path, line, ignore_failure=False):
        self.key = key
        self.value = value
        self.path = path
        self.line = line
        self.ignore_failure = ignore_failure

    @property
    def is_glob(self):
        return any(c in self.key for c in "*?[")

    def matches(self, key_path):
        if self.is_glob:
            return fnmatch.fnmatchcase(key_path, self.key)
        return self.key == key_path

    def as_dict(self):
        return {"path": self.path, "line": self.line, "value": self.value, "ignore_failure": self.ignore_failure}


def parse_text(text, path="<string>"):
    """Assignments and malformed line numbers of a sysctl.conf-format text.

    Comments start with '#' or ';' at the start of a line; a leading '-' on the key
    means a failed write is ignored; spaces around '=' and the value are trimmed.
    """
    assignments = []
    malformed = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        ignore_failure = line.startswith("-")
        if ignore_failure:
            line = line[1:].lstrip()
        key, sep, value = line.partition("=")
        key = key.strip()
        if not sep or not key:
            malformed.append(number)
            continue
        assignments.append(Assignment(normalize_key(key), value.strip(), path, number, ignore_failure))
    return assignments, malformed


def _resolve(root, path):
    """Follow symlinks of `path` inside `root`. Returns (host path or None, points_to_dev_null)."""
    current = path
    for dummy in range(_MAX_LINKS):
        host = _paths.host_path(root, current)
        if not os.path.islink(host):
            return (host if os.path.exists(host) else None), False
        target = os.readlink(host)
        if not target.startswith("/"):
            target = os.path.normpath(os.path.join(os.path.dirname(current), target))
        if target == "/dev/null":
            return None, True
        current = target
    return None, False


class ConfFile(object):
    """A file an applier reads, or one it skips because a same-name file masks it."""

    __slots__ = ("path", "masked_by", "dev_null", "unreadable")

    def __init__(self, path, masked_by=None, dev_null=False, unreadable=None):
        self.path = path
        self.masked_by = masked_by
        self.dev_null = dev_null
        self.unreadable = unreadable

    def as_dict(self):
        return {"path": self.path, "masked_by": self.masked_by, "dev_null": self.dev_null,
                "unreadable": self.unreadable}


def list_files(root="/", applier="systemd_sysctl", pending=None):
    """(files applied in order, files masked) for one applier.

    `pending` ({path: text or None}) stands for files about to be written (or removed).
    """
    pending = pending or {}
    if applier not in APPLIERS:
        raise SysctlError("unknown sysctl applier %r" % (applier,))
    winners = {}
    masked = []
    seen_dirs = set()
    for directory in DIRECTORIES:
        host_dir = _paths.host_path(root, directory)
        # With merged /usr, /lib/sysctl.d is /usr/lib/sysctl.d: read each directory once.
        real = os.path.realpath(host_dir)
        if real in seen_dirs:
            continue
        seen_dirs.add(real)
        try:
            names = set(os.listdir(host_dir))
        except OSError:
            names = set()
        names.update(os.path.basename(p) for p, text in pending.items() if os.path.dirname(p) == directory and text is not None)
        names.difference_update(os.path.basename(p) for p, text in pending.items() if os.path.dirname(p) == directory and text is None)
        for name in sorted(names):
            if not name.endswith(".conf"):
                continue
            path = directory + "/" + name
            if name in winners:
                masked.append(ConfFile(path, masked_by=winners[name].path))
                continue
            host, dev_null = (None, False) if path in pending else _resolve(root, path)
            if host is not None and not os.path.isfile(host):
                continue  # a directory, FIFO or device is not a config file (and a FIFO would block a read)
            winners[name] = ConfFile(path, dev_null=dev_null)
    ordered = [winners[name] for name in sorted(winners)]
    if applier == "sysctl_system" and _resolve(root, SYSCTL_CONF)[0] is not None:
        ordered.append(ConfFile(SYSCTL_CONF))
    masked.extend(f for f in ordered if f.dev_null)
    return [f for f in ordered if not f.dev_null], masked


def read_assignments(root, conf_file):
    """Assignments in one ConfFile; sets conf_file.unreadable on an I/O error."""
    host = _resolve(root, conf_file.path)[0]
    if host is None:
        return []
    try:
        # O_NONBLOCK: a FIFO put in place of a file must not hang the read.
        with os.fdopen(os.open(host, os.O_RDONLY | os.O_NONBLOCK), "rb") as handle:
            text = handle.read().decode("utf-8", "replace")
    except OSError as exc:
        conf_file.unreadable = os.strerror(exc.errno) if exc.errno else str(exc)
        return []
    return parse_text(text, conf_file.path)[0]


class BootResolution(object):
    """What one applier leaves a key at: the last assignment wins."""

    __slots__ = ("key", "applier", "assignments", "files", "masked")

    def __init__(self, key, applier, assignments, files, masked):
        self.key = key
        self.applier = applier
        self.assignments = assignments
        self.files = files
        self.masked = masked

    @property
    def winner(self):
        return self.assignments[-1] if self.assignments else None

    @property
    def value(self):
        return self.winner.value if self.winner else None

    @property
    def source(self):
        return self.winner.path if self.winner else None

    def as_dict(self):
        return {
            "value": self.value,
            "source": self.source,
            "line": self.winner.line if self.winner else None,
            "assignments": [a.as_dict() for a in self.assignments],
            "masked": [f.as_dict() for f in self.masked],
            "unreadable": [f.as_dict() for f in self.files if f.unreadable],
        }


def resolve(key, root="/", applier="systemd_sysctl", cache=None, pending=None):
    """BootResolution of `key` for `applier`. `cache` (a dict) shares file reads between calls;
    `pending` ({path: text or None}) resolves as if those files were already written or removed."""
    key_path = normalize_key(key)
    pending = pending or {}
    if cache is not None and not pending:
        # the directory walk too is the same for every key
        if ("files", applier) not in cache:
            cache[("files", applier)] = list_files(root, applier)
        files, masked = cache[("files", applier)]
    else:
        files, masked = list_files(root, applier, pending)
    assignments = []
    for conf_file in files:
        if conf_file.path in pending:
            parsed = parse_text(pending[conf_file.path], conf_file.path)[0]
        elif cache is not None and conf_file.path in cache:
            parsed = cache[conf_file.path]
        else:
            parsed = read_assignments(root, conf_file)
            if cache is not None:
                cache[conf_file.path] = parsed
        assignments.extend(a for a in parsed if a.matches(key_path))
    # Both appliers let an explicit setting of the key win over every glob, whatever their order (measured:
    # systemd 252 "Not setting KEY (explicit setting exists)", procps 4.0.2 the same); a glob counts only for a
    # key that nothing sets explicitly.
    explicit = [a for a in assignments if not a.is_glob]
    if explicit:
        assignments = explicit
    return BootResolution(key_path, applier, assignments, files, masked)


def boot_facts(key, root="/", cache=None):
    """What wins at boot for `key`: the boot applier's value and file, each applier's resolution (as_dict) under
    its name, and whether the two appliers leave the same value."""
    per_applier = dict((applier, resolve(key, root, applier, cache).as_dict()) for applier in APPLIERS)
    applier = boot_applier(root)
    facts = {
        "applier": applier,
        "value": per_applier[applier]["value"],
        "source": per_applier[applier]["source"],
        "appliers_agree": per_applier["systemd_sysctl"]["value"] == per_applier["sysctl_system"]["value"],
    }
    facts.update(per_applier)
    return facts


def boot_applier(root="/"):
    """The applier that sets values at boot: systemd-sysctl where it is installed."""
    for binary in SYSTEMD_SYSCTL_BINARIES:
        if os.path.exists(_paths.host_path(root, binary)):
            return "systemd_sysctl"
    return "sysctl_system"


def runtime_path(key, root="/"):
    return _paths.host_path(root, "/proc/sys/" + normalize_key(key))


def read_runtime(key, root="/"):
    """The live value of a key as text, or None when the kernel has no such key."""
    try:
        with open(runtime_path(key, root), "r") as handle:
            return handle.read().strip()
    except OSError as exc:
        if exc.errno in (errno.ENOENT, errno.ENOTDIR):
            return None
        raise
