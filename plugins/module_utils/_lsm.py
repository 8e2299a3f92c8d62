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


def apparmor(root="/"):
    enabled = _read(root, "/sys/module/apparmor/parameters/enabled")
    return {"enabled": enabled == "Y"}


def process_label(pid, root="/"):
    """The LSM label of a process (/proc/PID/attr/current) or None."""
    base = "/proc/%s/attr/current" % pid
    text = _read(root, base)
    return text.rstrip("\x00") if text else None
