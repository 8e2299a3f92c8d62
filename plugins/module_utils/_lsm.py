# -*- coding: utf-8 -*-
# Copyright (c) 2026, debugready.ptrace contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Linux security modules that can refuse ptrace: Yama, SELinux, AppArmor."""

from __future__ import annotations

import os
import re

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


SELINUX_FS = "/sys/fs/selinux"
SELINUX_CONFIG = "/etc/selinux/config"
# the store semanage and setsebool -P write; booleans.local holds the persisted overrides of the policy's defaults
SELINUX_STORE = "/var/lib/selinux"
# struct av_decision's flags: the subject's domain is permissive (allowed, only logged)
SELINUX_AVD_FLAGS_PERMISSIVE = 0x1
SELINUX_NAME = r"^[A-Za-z0-9_]{1,128}$"


def selinux_config(root="/"):
    """{mode, policy} of /etc/selinux/config (what wins at boot), each None when not set or no file."""
    values = {}
    text = _read(root, SELINUX_CONFIG) or ""
    for line in text.splitlines():
        key, sep, value = line.strip().partition("=")
        if sep and not key.startswith("#"):
            values[key.strip()] = value.strip().strip("\"'")
    mode = values.get("SELINUX", "").lower() or None
    return {"mode": mode, "policy": values.get("SELINUXTYPE") or None}


def selinux_boolean(name, root="/", policy=None):
    """{current, pending, persisted} of SELinux boolean `name`, or None when the loaded policy has no such boolean.
    persisted: the value booleans.local of the policy store gives it at the next policy build and boot, None when
    the store holds no override (the policy's own default, which only the compiled policy knows)."""
    if not re.match(SELINUX_NAME, name or ""):
        return None
    text = _read(root, "%s/booleans/%s" % (SELINUX_FS, name))  # "current pending", e.g. "1 1"
    fields = (text or "").split()
    if len(fields) != 2 or not set(fields) <= {"0", "1"}:
        return None
    persisted = None
    if policy and re.match(SELINUX_NAME, policy):
        for line in (_read(root, "%s/%s/active/booleans.local" % (SELINUX_STORE, policy)) or "").splitlines():
            key, sep, value = line.partition("=")
            if sep and key.strip() == name and value.strip() in ("0", "1", "true", "false"):
                persisted = value.strip() in ("1", "true")
    return {"current": fields[0] == "1", "pending": fields[1] == "1", "persisted": persisted}


def selinux(root="/"):
    """SELinux's state: enabled, the mode now and at boot, the policy, and deny_ptrace (the boolean Fedora's and
    RHEL's policies have; Debian's reference policy has none, and then deny_ptrace_boolean is None)."""
    enforce = _read(root, SELINUX_FS + "/enforce")
    config = selinux_config(root)
    enabled = enforce in ("0", "1")
    boolean = selinux_boolean("deny_ptrace", root, config["policy"]) if enabled else None
    return {
        "enabled": enabled,
        "enforcing": enforce == "1",
        "mode": {"1": "enforcing", "0": "permissive"}.get(enforce, "disabled"),
        "config_mode": config["mode"],
        "policy": config["policy"],
        "deny_ptrace": bool(boolean and boolean["current"]),
        "deny_ptrace_boolean": boolean,
    }


def selinux_access(source, target, tclass, permission, root="/"):
    """The loaded policy's own answer to "may context SOURCE have PERMISSION on TARGET of class TCLASS": {allowed,
    permissive (SOURCE's domain is permissive)}, from SELINUX_FS/access (the kernel's security_compute_av, which
    includes every boolean's current value); None when it cannot be asked (no SELinux, no right to ask, a fixture,
    an unknown class or permission)."""
    if root != "/" or not source or not target or any(c in source + target for c in " \x00\n"):
        return None
    for part in (tclass, permission):
        if not re.match(SELINUX_NAME, part):
            return None
    index = _read(root, "%s/class/%s/index" % (SELINUX_FS, tclass))
    bit = _read(root, "%s/class/%s/perms/%s" % (SELINUX_FS, tclass, permission))
    try:
        index, bit = int(index), int(bit)
    except (TypeError, ValueError):
        return None
    try:
        fd = os.open(SELINUX_FS + "/access", os.O_RDWR | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        os.write(fd, ("%s %s %d" % (source, target, index)).encode())
        answer = os.read(fd, 4096).decode("ascii", "replace").split()
    except OSError:
        return None
    finally:
        os.close(fd)
    try:  # allowed decided auditallow auditdeny seqno flags, in hex
        allowed, flags = int(answer[0], 16), int(answer[5], 16)
    except (IndexError, ValueError):
        return None
    return {"allowed": bool(allowed >> (bit - 1) & 1), "permissive": bool(flags & SELINUX_AVD_FLAGS_PERMISSIVE)}


def selinux_seuser(user, root="/", policy=None):
    """The SELinux user `user` logs in as, from the policy's seusers (its own line, else __default__); None when it
    cannot be read. Group lines (%group) are not resolved: None then, rather than a guess."""
    if not policy or not re.match(SELINUX_NAME, policy):
        return None
    default = None
    for line in (_read(root, "/etc/selinux/%s/seusers" % policy) or "").splitlines():
        fields = line.strip().split(":")
        if len(fields) < 2 or line.startswith("#"):
            continue
        if fields[0].startswith("%"):
            return None
        if fields[0] == user:
            return fields[1]
        if fields[0] == "__default__":
            default = fields[1]
    return default


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
    """The LSM label the kernel gives `tool_path` when this process executes it (AppArmor: a profile attached to its
    path, else unconfined; SELinux: the domain a type transition on its file type gives, else ours), or None when
    it cannot be learnt (LABEL_PROBE: the tool stopped at exec)."""
    rc, out, dummy = run([python, "-c", LABEL_PROBE, tool_path])
    label = out.strip() if rc == 0 else ""
    return label or None


def process_label(pid, root="/"):
    """The LSM label of a process (/proc/PID/attr/current) or None."""
    base = "/proc/%s/attr/current" % pid
    text = _read(root, base)
    return text.rstrip("\x00") if text else None
