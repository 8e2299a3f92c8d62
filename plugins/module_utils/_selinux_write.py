# -*- coding: utf-8 -*-
# Copyright (c) 2026, debugready.ptrace contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The runtime writer of SELinux booleans: selinuxfs, as setsebool without -P does it, and nothing persisted.

A boolean is set in two steps the kernel defines: its file in /sys/fs/selinux/booleans takes the pending value,
and writing 1 to commit_pending_bools makes every pending value current at once. So a commit would also make live
any change someone else left pending: such a host is refused, not committed. The persisted value (the policy
store's booleans.local, rebuilt into the policy by semodule) is never touched: a reboot or a policy reload puts it
back, which is what a debug window wants.
"""

from __future__ import annotations

import os
import re

from ansible_collections.debugready.ptrace.plugins.module_utils import _lsm, _paths


class SelinuxBooleanError(Exception):
    """The boolean cannot be set here; nothing was changed."""


class SelinuxNotEnabled(SelinuxBooleanError):
    """No running policy: SELinux is off on this host (a window's close has then nothing to put back)."""


def _path(root, *parts):
    return _paths.host_path(root, "/".join((_lsm.SELINUX_FS,) + parts))


def pending_elsewhere(name, root="/"):
    """The booleans other than `name` whose pending value differs from the current one (a commit would apply them)."""
    try:
        names = sorted(os.listdir(_path(root, "booleans")))
    except OSError:
        return []
    found = []
    for other in names:
        state = _lsm.selinux_boolean(other, root) if other != name else None
        if state is not None and state["current"] != state["pending"]:
            found.append(other)
    return found


def plan(name, value, root="/"):
    """{name, before, after, changed} for setting boolean `name` to `value` at runtime; SelinuxBooleanError when it
    cannot be done (no SELinux, no such boolean, another change pending)."""
    if not isinstance(name, str) or not re.match(_lsm.SELINUX_NAME, name):
        raise SelinuxBooleanError("name %r is not a SELinux boolean's name (letters, digits and _)" % (name,))
    state = _lsm.selinux(root)
    if not state["enabled"]:
        raise SelinuxNotEnabled("SELinux is not enabled on this host (no %s/enforce): there is no boolean to set"
                                % _lsm.SELINUX_FS)
    before = _lsm.selinux_boolean(name, root, state["policy"])
    if before is None:
        policy = state["policy"] or "unknown"
        raise SelinuxBooleanError("the loaded SELinux policy (%s) has no boolean %s" % (policy, name))
    changed = before["current"] != value or before["pending"] != value
    if changed:
        others = pending_elsewhere(name, root)
        if others:
            raise SelinuxBooleanError(
                "booleans %s have uncommitted pending values; committing %s would make them live too. Commit or "
                "reset them first (setsebool)" % (", ".join(others), name))
    after = dict(before, current=value, pending=value)
    return {"name": name, "before": before, "after": after, "changed": changed}


def commit(root="/"):
    """Make every pending boolean current (the kernel's commit_pending_bools)."""
    _write(root, "commit_pending_bools", "1")


def _write(root, name, text):
    path = _path(root, *name.split("/"))
    try:
        fd = os.open(path, os.O_WRONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError as exc:
        raise SelinuxBooleanError("cannot open %s: %s" % (path, exc.strerror))
    try:
        os.write(fd, text.encode())
    except OSError as exc:
        raise SelinuxBooleanError("cannot write %s: %s" % (path, exc.strerror))
    finally:
        os.close(fd)


def apply(plan_, root="/"):
    """Carry out a plan(); checks the kernel's value afterwards."""
    if not plan_["changed"]:
        return
    name, value = plan_["name"], plan_["after"]["current"]
    _write(root, "booleans/" + name, "1" if value else "0")
    try:
        commit(root)
    except SelinuxBooleanError:
        # nothing half-changed: the boolean's pending value back as it was
        _write(root, "booleans/" + name, "1" if plan_["before"]["pending"] else "0")
        raise
    now = _lsm.selinux_boolean(name, root)
    if now is None or now["current"] != value:
        raise SelinuxBooleanError("boolean %s is %s after the commit, not %s" % (
            name, None if now is None else int(now["current"]), int(value)))
