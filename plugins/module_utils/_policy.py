# -*- coding: utf-8 -*-
# Copyright (c) 2026, debugready.ptrace contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Is the host already at a declared policy? The debug_access role's fast path.

`evaluate()` answers per component with the same planning functions the writers use
(_sysctl_write.plan_persist, _sudoers_write.plan, _caps_write.copy_matches), so
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
    _caps_write, _fileio, _lsm, _paths, _sudoers_write, _sysctl_write, _tools,
)


class PolicyInputError(Exception):
    """A policy that cannot describe a host: the module fails without reading further."""


def _result(compliant, detail):
    return {"compliant": bool(compliant), "detail": detail}


def yama(spec, facts, root="/"):
    """Compare Yama (runtime and the boot winner) with spec {state, value, minimum, maximum, confirm_scope_3}."""
    runtime = facts["yama"]
    if spec.get("state", "present") == "absent":
        stale = _sysctl_write.plan_persist(_lsm.YAMA_KEY, None, root=root).pending
        return _result(not stale, "managed files to remove: %s" % ", ".join(sorted(stale)) if stale
                       else "no managed sysctl.d file")
    if facts["container"]["detected"] or not runtime["present"]:
        # ptrace_scope skips here: nothing the converge could change (the role reports what is missing).
        return _result(True, "not settable on this host (%s)" % (
            "container" if facts["container"]["detected"] else "no Yama"))
    target = _sysctl_write.desired_scope(spec.get("value"), spec.get("minimum"), spec.get("maximum"),
                                         runtime["scope"])
    if target == 3 and not spec.get("confirm_scope_3"):
        return _result(False, "scope 3 needs confirm_scope_3")
    try:
        plan = _sysctl_write.plan_persist(_lsm.YAMA_KEY, target, root=root)
    except _fileio.FileWriteError as exc:
        return _result(False, str(exc))
    # The runtime cannot move while locked at 3 or on a read-only /proc/sys: the module only persists then.
    runtime_ok = runtime["scope"] == target or runtime["locked"] or not runtime["writable"]
    problems = []
    if not runtime_ok:
        problems.append("runtime %s, target %d" % (runtime["scope"], target))
    if plan.pending:
        problems.append("persisted value needs %s" % ", ".join(sorted(plan.pending)))
    return _result(not problems, "; ".join(problems) or "runtime and boot at %d" % target)


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
    """The capability copy has the source's content, root:group, the mode and the capabilities."""
    source = _paths.host_path(root, spec["source"])
    path = _paths.host_path(root, spec["path"])
    if not os.path.isfile(source):
        return _result(False, "source %s does not exist" % spec["source"])
    try:
        gid = grp.getgrnam(spec["group"]).gr_gid
    except KeyError:
        return _result(False, "group %s does not exist" % spec["group"])
    try:
        mode = int(spec["mode"], 8)
        state = _caps_write.copy_state(path)
        if not _caps_write.copy_matches(state, _caps_write.sha256(source), mode, 0, gid):
            return _result(False, "%s %s" % (spec["path"], "missing" if state is None
                                             else "differs from %s (content, owner or mode)" % spec["source"]))
        current = _caps_write.read(path)
        wanted = _caps_write.desired(current, spec["capabilities"], spec["flags"], "present")
    except ValueError:
        raise PolicyInputError("filecap mode must be octal, got %r" % spec["mode"])
    except (_caps_write.CapsInputError, _caps_write.CapsWriteError, OSError) as exc:
        return _result(False, str(exc))
    if not _caps_write.same(current, wanted):
        return _result(False, "%s lacks the wanted capabilities" % spec["path"])
    return _result(True, "%s in sync with %s" % (spec["path"], spec["source"]))


def _owned_file(path, mode, kind=stat.S_IFREG):
    try:
        st = os.lstat(path)
    except OSError:
        return False
    return stat.S_IFMT(st.st_mode) == kind and stat.S_IMODE(st.st_mode) == mode and st.st_uid == 0 \
        and st.st_gid == 0


def apache_coredump(spec, root="/"):
    """CoreDumpDirectory conf in every Apache conf directory that exists, and the root-only directory."""
    confs = [c for c in spec["confs"] if os.path.isdir(os.path.dirname(_paths.host_path(root, c)))]
    if not confs:
        return _result(True, "no Apache configuration directory")
    problems = []
    for conf in confs:
        host = _paths.host_path(root, conf)
        try:
            text = _fileio.read_bytes(host)
        except _fileio.FileWriteError as exc:
            problems.append(str(exc))
            continue
        if text is None or text.decode("utf-8", "replace") != spec["content"] or not _owned_file(host, 0o644):
            problems.append("%s differs" % conf)
    if not _owned_file(_paths.host_path(root, spec["directory"]), 0o700, stat.S_IFDIR):
        problems.append("%s is not a root-only directory" % spec["directory"])
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
    for path in [policy.get("snapshot")] + list(policy.get("absent_paths") or []):
        if path is not None and not os.path.isabs(path):
            raise PolicyInputError("policy paths must be absolute, got %r" % path)
    components = {}
    grants = {}
    if policy.get("snapshot"):
        exists = os.path.isfile(_paths.host_path(root, policy["snapshot"]))
        wanted = policy.get("state", "present") == "present"
        components["snapshot"] = _result(exists == wanted, "%s %s" % (policy["snapshot"],
                                                                      "exists" if exists else "absent"))
    if policy.get("yama"):
        components["yama"] = yama(policy["yama"], facts, root)
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
