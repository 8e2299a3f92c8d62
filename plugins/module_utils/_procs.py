# -*- coding: utf-8 -*-
# Copyright (c) 2026, debugready.ptrace contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Processes as the kernel's ptrace checks see them, read from /proc only."""

from __future__ import annotations

import errno
import os

from ansible_collections.debugready.ptrace.plugins.module_utils import _caps

PF_KTHREAD = 0x00200000
SECCOMP_MODES = {0: "disabled", 1: "strict", 2: "filter"}


class ProcessGone(Exception):
    """The process does not exist (or is not visible from here)."""


def proc_path(root, *parts):
    base = os.path.join(root, "proc") if root not in ("", "/") else "/proc"
    return os.path.join(base, *[str(p) for p in parts])


def parse_status(text):
    """/proc/PID/status as {field: raw value}."""
    fields = {}
    for line in text.splitlines():
        name, sep, value = line.partition(":")
        if sep:
            fields[name.strip()] = value.strip()
    return fields


def _read(root, *parts):
    try:
        with open(proc_path(root, *parts), "rb") as handle:
            return handle.read().decode("utf-8", "replace")
    except OSError as exc:
        if exc.errno in (errno.ENOENT, errno.ESRCH):
            raise ProcessGone(str(parts[0]))
        raise


def read_status(pid="self", root="/"):
    return parse_status(_read(root, pid, "status"))


def _ints(value):
    return [int(v) for v in value.split()] if value else []


def stat_flags(stat_text):
    """The `flags` field of /proc/PID/stat (the comm field may contain spaces and parens)."""
    after_comm = stat_text[stat_text.rindex(")") + 2:].split()
    return int(after_comm[6])


def dumpable_from_owner(owner_uid, euid):
    """task_dump_owner(): /proc/PID files of a non-dumpable task are owned by root.

    True/False when it can be told from outside, None for a root target.
    """
    if euid == 0:
        return None
    return owner_uid != 0


def describe(pid, root="/"):
    """What the ptrace checks need to know about one process."""
    status = read_status(pid, root)
    caps = _caps.read_status_caps(status)
    uids = _ints(status.get("Uid"))
    gids = _ints(status.get("Gid"))
    try:
        flags = stat_flags(_read(root, pid, "stat"))
    except (ValueError, IndexError):
        flags = 0
    try:
        owner = os.stat(proc_path(root, pid, "environ")).st_uid
    except OSError:
        owner = None
    euid = uids[1] if len(uids) > 1 else None
    seccomp = int(status.get("Seccomp", "0") or 0)
    return {
        "pid": int(status.get("Pid", pid if str(pid).isdigit() else 0) or 0),
        "ppid": int(status.get("PPid", "0") or 0),
        "comm": status.get("Name"),
        "uids": uids,
        "gids": gids,
        "kernel_thread": bool(flags & PF_KTHREAD),
        "dumpable": dumpable_from_owner(owner, euid) if owner is not None and euid is not None else None,
        "capabilities": caps,
        "no_new_privs": status.get("NoNewPrivs") == "1",
        "seccomp_mode": seccomp,
        "seccomp": SECCOMP_MODES.get(seccomp, str(seccomp)),
        "tracer_pid": int(status.get("TracerPid", "0") or 0),
    }


def in_initial_user_namespace(root="/"):
    """True when uid_map is the identity map of the initial user namespace."""
    try:
        text = _read(root, "self", "uid_map")
    except (OSError, ProcessGone):
        return None
    return text.split() == ["0", "0", "4294967295"]


def list_pids(root="/"):
    """Every numeric entry of /proc, in ascending order."""
    try:
        names = os.listdir(proc_path(root))
    except OSError:
        return []
    return sorted(int(n) for n in names if n.isdigit())


def find_by_name(name, root="/", euid=None, comms=None):
    """PIDs whose comm (the name ps shows, 15 characters at most) equals `name`, optionally of one effective uid."""
    found = []
    for pid in find_by_names([name], root, comms):
        if euid is not None:
            try:
                if _ints(parse_status(_read(root, pid, "status")).get("Uid"))[1:2] != [euid]:
                    continue
            except (OSError, ProcessGone):
                continue
        found.append(pid)
    return found


def comm_table(root="/"):
    """{pid: comm} of every process, from one pass over /proc (to share between several lookups)."""
    table = {}
    for pid in list_pids(root):
        try:
            table[pid] = _read(root, pid, "comm").strip()
        except (OSError, ProcessGone):
            continue
    return table


def find_by_names(names, root="/", comms=None):
    """PIDs whose comm is one of `names` (from `comms`, a comm_table(), when given)."""
    wanted = set(name[:15] for name in names)
    table = comm_table(root) if comms is None else comms
    return sorted(pid for pid, comm in table.items() if comm in wanted)


def mount_options(path, root="/"):
    """Options of the mount holding `path` (per-mount and superblock), from /proc/self/mountinfo."""
    try:
        text = _read(root, "self", "mountinfo")
    except (OSError, ProcessGone):
        return None
    target = os.path.realpath(path)
    best, options = "", None
    for line in text.splitlines():
        fields = line.split()
        if len(fields) < 10 or "-" not in fields:
            continue
        mount_point = fields[4].replace("\\040", " ")
        inside = target == mount_point or target.startswith(mount_point.rstrip("/") + "/")
        if inside and len(mount_point) >= len(best):
            separator = fields.index("-")
            best = mount_point
            options = set(fields[5].split(",")) | set(fields[separator + 3].split(","))
    return options
