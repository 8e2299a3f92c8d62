# -*- coding: utf-8 -*-
# Copyright (c) 2026, debugready.ptrace contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Linux security modules that can refuse ptrace: Yama, SELinux, AppArmor."""

from __future__ import annotations

import os

from ansible_collections.debugready.ptrace.plugins.module_utils import _paths, _sysctl

YAMA_KEY = "kernel.yama.ptrace_scope"
YAMA_LOCKED = 3


def _read(root, path):
    try:
        with open(_paths.host_path(root, path), "r") as handle:
            return handle.read().strip()
    except (OSError, UnicodeDecodeError):
        return None


def active_lsms(root="/"):
    """The LSM list from securityfs, or None when securityfs is not readable (e.g. in a container)."""
    text = _read(root, "/sys/kernel/security/lsm")
    return [name for name in text.split(",") if name] if text else None


def parse_scope(text):
    """A ptrace_scope value as an int 0-3, or None when it is not one."""
    try:
        value = int(str(text).strip())
    except (TypeError, ValueError):
        return None
    return value if 0 <= value <= 3 else None


def yama_runtime(root="/", lsm_list=None, has_cap_sys_ptrace=True, initial_userns=True):
    """Yama's live state and whether this process could change it now, and why not."""
    raw = _sysctl.read_runtime(YAMA_KEY, root)
    present = raw is not None or bool(lsm_list and "yama" in lsm_list)
    scope = parse_scope(raw)
    locked = scope == YAMA_LOCKED
    reason = None
    if not present:
        reason = "no_yama"
    elif raw is None:
        reason = "not_visible"
    elif locked:
        reason = "locked"
    elif not os.access(_sysctl.runtime_path(YAMA_KEY, root), os.W_OK):
        reason = "read_only"
    elif not has_cap_sys_ptrace:
        reason = "missing_cap_sys_ptrace"
    elif initial_userns is False:
        reason = "not_initial_user_namespace"
    return {
        "present": present,
        "scope": scope,
        "raw": raw,
        "locked": locked,
        "writable": present and reason is None,
        "not_writable_reason": reason,
    }


def selinux(root="/"):
    enforce = _read(root, "/sys/fs/selinux/enforce")
    deny = _read(root, "/sys/fs/selinux/booleans/deny_ptrace")
    return {
        "enabled": enforce is not None,
        "enforcing": enforce == "1" if enforce is not None else False,
        # The boolean file holds "current pending".
        "deny_ptrace": deny.split()[0] == "1" if deny else False,
    }


APPARMOR_FS = "/sys/kernel/security/apparmor"
# .access answers "what may PROFILE do to PEER" for a policy class; ptrace is class 9 (AA_CLASS_PTRACE)
APPARMOR_CLASS_PTRACE = 9
# the permission bits of a ptrace answer (the kernel's AA_PTRACE_* and AA_MAY_BE_*)
APPARMOR_TRACE, APPARMOR_READ, APPARMOR_TRACEDBY, APPARMOR_READBY = 0x2, 0x4, 0x8, 0x10
# Run by tool_label(): the tool is executed stopped at its first instruction (PTRACE_TRACEME), so the kernel has made
# its exec transition; its label is read and it is killed before it runs any of its own code.
LABEL_PROBE = (
    "import ctypes, os, signal, sys\n"
    "libc = ctypes.CDLL(None, use_errno=True)\n"
    "pid = os.fork()\n"
    "if pid == 0:\n"
    "    if libc.ptrace(0, 0, None, None) != 0:\n"
    "        os._exit(126)\n"
    "    os.execv(sys.argv[1], [sys.argv[1]])\n"
    "    os._exit(127)\n"
    "status = os.waitpid(pid, 0)[1]\n"
    "if not os.WIFSTOPPED(status):\n"
    "    sys.exit('not stopped at exec: status %d' % status)\n"
    "try:\n"
    "    with open('/proc/%d/attr/current' % pid) as handle:\n"
    "        print(handle.read().strip('\\x00\\n'))\n"
    "finally:\n"
    "    os.kill(pid, signal.SIGKILL)\n"
    "    os.waitpid(pid, 0)\n"
)


def apparmor(root="/"):
    """AppArmor's state: enabled, and the loaded profiles with their modes (None where securityfs is not readable,
    e.g. in a container)."""
    enabled = _read(root, "/sys/module/apparmor/parameters/enabled") == "Y"
    profiles = None
    directory = _paths.host_path(root, APPARMOR_FS + "/policy/profiles")
    try:
        entries = sorted(os.listdir(directory))
    except OSError:
        entries = None
    if entries is not None:
        profiles = []
        for entry in entries:
            name = _read(root, "%s/policy/profiles/%s/name" % (APPARMOR_FS, entry))
            mode = _read(root, "%s/policy/profiles/%s/mode" % (APPARMOR_FS, entry))
            if name:
                profiles.append({"name": name, "mode": mode})
    return {"enabled": enabled, "profiles": profiles,
            "enforcing": None if profiles is None else sum(p["mode"] == "enforce" for p in profiles)}


def apparmor_label(text):
    """{label, mode, confined} of an AppArmor label as /proc/PID/attr/current shows it: 'unconfined', or
    'NAME (enforce)' / 'NAME (complain)'; a stack ('a//&b (mode)') keeps its text. None for no label."""
    if not text:
        return None
    text = text.strip()
    mode = None
    if text.endswith(")") and " (" in text:
        text, mode = text[:-1].rsplit(" (", 1)
    return {"label": text, "mode": mode, "confined": text != "unconfined" and mode not in (None, "unconfined")}


def apparmor_ptrace_perms(profile, peer, root="/"):
    """The kernel's own answer to "may PROFILE trace PEER / be traced by it": {allow, deny} bit masks (the
    APPARMOR_* bits), from APPARMOR_FS/.access; None when it cannot be asked (no AppArmor, not root, a fixture)."""
    if root != "/" or not profile or not peer or "\x00" in profile + peer:
        return None
    query = b"label\x00" + profile.encode() + b"\x00" + bytes([APPARMOR_CLASS_PTRACE]) + peer.encode()
    try:
        fd = os.open(APPARMOR_FS + "/.access", os.O_RDWR | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        os.write(fd, query)
        answer = os.read(fd, 4096).decode("ascii", "replace")
    except OSError:
        return None
    finally:
        os.close(fd)
    fields = dict(line.split(" ", 1) for line in answer.splitlines() if " " in line)
    try:
        return {"allow": int(fields["allow"], 16), "deny": int(fields["deny"], 16)}
    except (KeyError, ValueError):
        return None


def tool_label(tool_path, run, python):
    """The AppArmor label the kernel gives `tool_path` when an unconfined process executes it (a profile attached to
    its path, else unconfined), or None when it cannot be learnt (LABEL_PROBE: the tool stopped at exec)."""
    rc, out, dummy = run([python, "-c", LABEL_PROBE, tool_path])
    label = out.strip() if rc == 0 else ""
    return label or None


def process_label(pid, root="/"):
    """The LSM label of a process (/proc/PID/attr/current) or None."""
    base = "/proc/%s/attr/current" % pid
    text = _read(root, base)
    return text.rstrip("\x00") if text else None
