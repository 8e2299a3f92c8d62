# -*- coding: utf-8 -*-
# Copyright (c) 2026, debugready.ptrace contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Debugging tools on disk: where they are, who may run them, which file capabilities they hold."""

from __future__ import annotations

import grp
import os
import pwd
import re
import stat

from ansible_collections.debugready.ptrace.plugins.module_utils import _caps, _paths

SEARCH_DIRS = ("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin")
DEFAULT_TOOLS = ("strace", "gdb", "ltrace", "perf")
DEFAULT_SCAN_DIRS = ("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin",
                     "/usr/libexec", "/usr/local/libexec")
VERSION_ARGS = {"strace": ["-V"], "ltrace": ["-V"], "gdb": ["--version"], "perf": ["--version"], "bpftrace": ["--version"]}
TOOL_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]*\Z")
_VERSION = re.compile(r"(\d+(?:\.\d+)+(?:p\d+)?(?:[-~+][0-9A-Za-z.]+)?)")


def _name(lookup, number):
    try:
        return lookup(number)[0]
    except (KeyError, OverflowError):
        return str(number)


def file_info(path, root="/"):
    """Mode, owner and capabilities of one file, in the shape the facts report."""
    st = os.stat(_paths.host_path(root, path))
    info = {
        "path": path,
        "mode": "%04o" % stat.S_IMODE(st.st_mode),
        "owner": _name(pwd.getpwuid, st.st_uid),
        "group": _name(grp.getgrgid, st.st_gid),
        "uid": st.st_uid,
        "gid": st.st_gid,
        "world_executable": bool(st.st_mode & stat.S_IXOTH),
        "setuid": bool(st.st_mode & stat.S_ISUID),
        "caps": "",
        "caps_error": None,
    }
    try:
        caps = _caps.read_file_caps(_paths.host_path(root, path))
    except _caps.CapsFormatError as exc:
        info["caps_error"] = str(exc)
        return info
    except OSError as exc:
        info["caps_error"] = os.strerror(exc.errno) if exc.errno else str(exc)
        return info
    if caps is not None:
        info["caps"] = _caps.to_text(caps)
        info["cap_sys_ptrace"] = caps.has(_caps.CAP_SYS_PTRACE)
        info["cap_effective"] = caps.effective
    return info


def find_tool(name, root="/"):
    """The first executable regular file called `name` in the standard directories."""
    seen = set()
    for directory in SEARCH_DIRS:
        candidate = _paths.host_path(root, directory + "/" + name)
        try:
            real = os.path.realpath(candidate)
            st = os.stat(candidate)
        except OSError:
            continue
        if real in seen or not stat.S_ISREG(st.st_mode) or not st.st_mode & 0o111:
            seen.add(real)
            continue
        return directory + "/" + name
    return None


def parse_version(text):
    """The last version-looking word of a line ('GNU gdb (Debian 13.1-3) 13.1' -> '13.1')."""
    matches = _VERSION.findall(text or "")
    return matches[-1] if matches else None


def version_command(name, path):
    """The argv that prints the version of tool `name` installed at `path` (None: no such tool or option)."""
    if path is None or name not in VERSION_ARGS:
        return None
    return [path] + VERSION_ARGS[name]


def read_version(name, path, run):
    """The version tool `name` at `path` reports, or None (no version option, or it failed)."""
    argv = version_command(name, path)
    if not argv:
        return None
    rc, out, err = run(argv)
    if rc != 0:
        return None
    return parse_version((out or "").splitlines()[0] if out else err)


def tool_facts(name, root="/", run=None):
    """Facts of one tool; `run(argv) -> (rc, out, err)` gives its version when supplied."""
    path = find_tool(name, root)
    if path is None:
        return {"installed": False, "path": None, "version": None, "mode": None, "owner": None,
                "group": None, "caps": None}
    info = file_info(path, root)
    info.update({"installed": True, "version": read_version(name, path, run) if run is not None else None})
    return info


def scan_ptrace_files(directories, root="/", max_files=200000):
    """(files holding CAP_SYS_PTRACE, problems) under the directories; symlinks are not followed."""
    found, problems = [], []
    seen_dirs = set()
    count = 0
    for directory in directories:
        top = _paths.host_path(root, directory)
        real = os.path.realpath(top)
        if real in seen_dirs:
            continue
        seen_dirs.add(real)
        if not os.path.isdir(top):
            problems.append({"path": directory, "problem": "not a directory or missing"})
            continue
        for dirpath, dirnames, filenames in os.walk(top, followlinks=False):
            dirnames.sort()
            for filename in sorted(filenames):
                count += 1
                if count > max_files:
                    problems.append({"path": directory, "problem": "stopped after %d files" % max_files})
                    return found, problems
                full = os.path.join(dirpath, filename)
                try:
                    if os.path.islink(full):
                        continue
                    caps = _caps.read_file_caps(full)
                except _caps.CapsFormatError as exc:
                    problems.append({"path": _paths.logical_path(root, full), "problem": str(exc)})
                    continue
                except OSError as exc:
                    problems.append({"path": _paths.logical_path(root, full), "problem": os.strerror(exc.errno or 0)})
                    continue
                if caps is None or not caps.has(_caps.CAP_SYS_PTRACE):
                    continue
                info = file_info(_paths.logical_path(root, full), root)
                found.append(dict((k, info[k]) for k in ("path", "caps", "mode", "owner", "group",
                                                         "world_executable")))
    return found, problems
