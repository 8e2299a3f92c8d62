# -*- coding: utf-8 -*-
# Copyright (c) 2026, debugready.ptrace contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Is the host already at a declared policy? The debug_access role's fast path.

`evaluate()` answers per component with the same planning functions the writers use
(_sysctl_write.plan, _sudoers_write.plan, _caps_write.plan), so
"compliant" means exactly "the converge modules would change nothing". When in doubt
(unreadable, a module would fail) a component is not compliant: the role then runs its
tasks, which change or explain.
"""

from __future__ import annotations

import datetime
import grp
import os
import pwd
import stat

from ansible_collections.debugready.ptrace.plugins.module_utils import (
    _caps_write, _fileio, _paths, _sudoers_write, _sysctl_write, _tools,
)


class PolicyInputError(Exception):
    """A policy that cannot describe a host: the module fails without reading further."""


def _result(compliant, detail):
    return {"compliant": bool(compliant), "detail": detail}


def yama(spec, facts, root="/"):
    """Would ptrace_scope with spec {state, value, minimum, maximum, confirm_scope_3} change anything?

    The module's own plan answers (a container or a kernel without Yama: it would skip, nothing to change); a spec
    the module would refuse is not compliant, so the role runs the module, which says why.
    """
    return _sysctl_setting(spec, facts, root, _sysctl_write.YAMA, "yama")


def kernel_setting(spec, facts, root="/"):
    """Would kernel_setting with spec {key, state, value, minimum, maximum, confirm_irreversible} change anything?
    The same answer as yama(), from the same writer."""
    setting = _sysctl_write.SETTINGS.get(spec.get("key"))
    if setting is None or setting is _sysctl_write.YAMA:
        raise PolicyInputError("kernel_settings: key must be one of %s, got %r" % (
            ", ".join(sorted(k for k in _sysctl_write.SETTINGS if k != _sysctl_write.YAMA.key)), spec.get("key")))
    return _sysctl_setting(spec, facts, root, setting, "kernel_settings %s" % setting.key)


def kernel_settings(specs, facts, root="/"):
    """All of them: one component, its detail naming each key."""
    results = [(spec["key"], kernel_setting(spec, facts, root)) for spec in specs]
    return _result(all(result["compliant"] for key, result in results),
                   "; ".join("%s: %s" % (key, result["detail"]) for key, result in results))


def _sysctl_setting(spec, facts, root, setting, place):
    params = dict((k, v) for k, v in spec.items() if k != "key")
    try:
        for name in ("value", "minimum", "maximum"):
            _sysctl_write.check_value(name, params.get(name), setting)
    except _sysctl_write.SysctlInputError as exc:
        raise PolicyInputError("%s: %s" % (place, exc))  # bad input is an error, as for the module itself
    try:
        plan = _sysctl_write.plan(params, facts, root, setting)
    except (_sysctl_write.SysctlInputError, _fileio.FileWriteError) as exc:
        return _result(False, str(exc))
    return _result(not plan.changed, plan.summary())


def group(name, members):
    """The group exists and lists every member (a member that does not exist yet is not compliant)."""
    try:
        entry = grp.getgrnam(name)
    except KeyError:
        return _result(False, "group %s does not exist" % name)
    missing = []
    for member in members:
        try:
            account = pwd.getpwnam(member)
        except KeyError:
            missing.append(member)
            continue
        if member not in entry.gr_mem and account.pw_gid != entry.gr_gid:
            missing.append(member)
    return _result(not missing, "not in %s: %s" % (name, ", ".join(missing)) if missing
                   else "group %s with %d member(s)" % (name, len(members)))


def packages(names, root="/"):
    missing = [name for name in names if _tools.find_tool(name, root) is None]
    return _result(not missing, "not installed: %s" % ", ".join(missing) if missing else "installed")


def sudoers_grant(spec, now, root="/", cache=None):
    """Would sudoers_grant change the drop-in `spec["name"]`? Its own plan decides (`cache`: see read_host)."""
    try:
        host = _sudoers_write.read_host(spec, root, cache=cache)
        planned = _sudoers_write.plan(spec, host, now)
    except _sudoers_write.SudoersInputError as exc:
        raise PolicyInputError("sudoers grant %s: %s" % (spec["name"], exc))
    except (_sudoers_write.SudoersHostError, _fileio.FileWriteError) as exc:
        # The module would fail here: not compliant, so the role runs it and it says why.
        return _result(False, str(exc))
    if planned.changed:
        return _result(False, "; ".join(planned.reasons))
    return _result(True, "%s %s" % (planned.path, "as wanted" if planned.content is not None else "absent"))


def sudoers(specs, now, root="/"):
    cache = {}
    results = dict((spec["name"], sudoers_grant(spec, now, root, cache)) for spec in specs)
    drift = sorted(name for name, result in results.items() if not result["compliant"])
    return _result(not drift, "drifted: %s" % ", ".join(drift) if drift else "%d grant(s) as wanted" % len(specs)), \
        results


def filecap(spec, root="/"):
    """The capability copy is what file_caps would leave: the same plan, so "compliant" means "no change"."""
    params = dict(spec, state="present", allow_world_executable=False)
    try:
        _caps_write.parse_mode(params["mode"])
    except _caps_write.CapsInputError as exc:
        raise PolicyInputError("filecap %s" % exc)
    try:
        decided = _caps_write.plan(params, _caps_write.read_host(params, root))
    except (_caps_write.CapsInputError, _caps_write.CapsWriteError) as exc:
        return _result(False, str(exc))
    if decided.blockers:
        return _result(False, "; ".join(decided.blockers))
    if decided.changed:
        return _result(False, "; ".join(decided.reasons))
    return _result(True, "%s in sync with %s" % (spec["path"], spec["source"]))


def _owned_file(path, mode, kind=stat.S_IFREG):
    try:
        st = os.lstat(path)
    except OSError:
        return False
    return stat.S_IFMT(st.st_mode) == kind and stat.S_IMODE(st.st_mode) == mode and st.st_uid == 0 \
        and st.st_gid == 0


def apache_coredump(spec, root="/"):
    """CoreDumpDirectory conf in every Apache conf directory that exists, and the directory: root's, with the
    spec's modes (`mode`, `directory_mode`)."""
    try:
        mode, directory_mode = (_fileio.parse_mode(spec.get(key, default)) for key, default in (
            ("mode", "0644"), ("directory_mode", "0700")))
    except _fileio.ModeError as exc:
        raise PolicyInputError("apache_coredump %s" % exc)
    confs = [c for c in spec["confs"] if os.path.isdir(os.path.dirname(_paths.host_path(root, c)))]
    if not confs:
        return _result(True, "no Apache configuration directory")
    problems = []
    for conf in confs:
        host = _paths.host_path(root, conf)
        if not _owned_file(host, mode):  # checked first: a FIFO or a device in its place is never read
            problems.append("%s differs" % conf)
            continue
        try:
            text = _fileio.read_bytes(host)
        except _fileio.FileWriteError as exc:
            problems.append(str(exc))
            continue
        if text is None or text.decode("utf-8", "replace") != spec["content"]:
            problems.append("%s differs" % conf)
    if not _owned_file(_paths.host_path(root, spec["directory"]), directory_mode, stat.S_IFDIR):
        problems.append("%s is not root's directory with mode %04o" % (spec["directory"], directory_mode))
    return _result(not problems, "; ".join(problems) or "configured in %s" % ", ".join(confs))


def absent_paths(paths, root="/"):
    present = [p for p in paths if os.path.lexists(_paths.host_path(root, p))]
    return _result(not present, "to remove: %s" % ", ".join(present) if present else "none left")


def evaluate(policy, facts, root="/", now=None):
    """{"compliant": bool, "components": {name: {"compliant", "detail"}}, "sudoers_grants": {...}}.

    `facts` is the gathered snapshot (yama and container sections); `policy` is the module's
    normalised `policy` option. Raises PolicyInputError for a policy that makes no sense.
    """
    now = now or datetime.datetime.now(datetime.timezone.utc)
    coredump = policy.get("apache_coredump") or {}
    for path in [policy.get("snapshot"), coredump.get("directory")] + list(policy.get("absent_paths") or []) \
            + list(coredump.get("confs") or []):
        if path is not None and (not os.path.isabs(path) or "\x00" in path):
            raise PolicyInputError("policy paths must be absolute (without NUL bytes), got %r" % path)
    components = {}
    grants = {}
    if policy.get("snapshot"):
        exists = os.path.isfile(_paths.host_path(root, policy["snapshot"]))
        wanted = policy.get("state", "present") == "present"
        components["snapshot"] = _result(exists == wanted, "%s %s" % (policy["snapshot"],
                                                                      "exists" if exists else "absent"))
    if policy.get("yama"):
        components["yama"] = yama(policy["yama"], facts, root)
    if policy.get("kernel_settings"):
        components["kernel_settings"] = kernel_settings(policy["kernel_settings"], facts, root)
    if policy.get("group"):
        components["group"] = group(policy["group"], policy.get("members") or [])
    if policy.get("packages"):
        components["packages"] = packages(policy["packages"], root)
    if policy.get("sudoers"):
        components["sudoers"], grants = sudoers(policy["sudoers"], now, root)
    if policy.get("filecap"):
        components["filecap"] = filecap(policy["filecap"], root)
    if policy.get("apache_coredump"):
        components["apache_coredump"] = apache_coredump(policy["apache_coredump"], root)
    if policy.get("absent_paths"):
        components["absent_paths"] = absent_paths(policy["absent_paths"], root)
    return {
        "compliant": all(c["compliant"] for c in components.values()),
        "components": components,
        "sudoers_grants": grants,
    }
