# -*- coding: utf-8 -*-
# Copyright (c) 2026, debugready.ptrace contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What a reviewer would flag on a host, as a pure function of the gathered facts."""

from __future__ import annotations

from ansible_collections.debugready.ptrace.plugins.module_utils import _sudoers

SEVERITIES = ("high", "medium", "low", "info")


def _at(path, line):
    """'FILE line N', or 'FILE' when the line is not known: never a 'None'."""
    return "%s line %s" % (path, line) if line else "%s" % path


def _grant_location(grant):
    return "%s:%s" % (grant["source"], grant["line"]) if grant.get("line") else "%s" % grant["source"]


def finding(fid, severity, message, remediation, **extra):
    item = {"id": fid, "severity": severity, "message": message, "remediation": remediation}
    item.update(extra)
    return item


def evaluate(facts):
    """A list of {id, severity, message, remediation, ...}, most severe first."""
    found = []
    found.extend(_yama(facts.get("yama"), facts.get("container")))
    found.extend(_container(facts.get("container")))
    found.extend(_lsm(facts.get("lsm")))
    found.extend(_capabilities(facts.get("capabilities")))
    found.extend(_sudoers_findings(facts.get("sudoers")))
    found.extend(_windows(facts.get("windows")))
    return sorted(found, key=lambda f: SEVERITIES.index(f["severity"]))


def _yama(yama, container):
    if not yama:
        return []
    out = []
    in_container = bool(container and container.get("detected"))
    boot = yama.get("boot") or {}
    if not yama["present"]:
        out.append(finding(
            "yama_absent", "info",
            "The kernel has no Yama LSM: only uid, dumpability and capabilities limit ptrace.",
            "Nothing to do for debugging; hosts that must meet CIS/STIG need a kernel with Yama."))
    elif yama["scope"] == 0:
        out.append(finding(
            "yama_scope_0", "medium",
            "kernel.yama.ptrace_scope is 0: any process may trace every other process of the same user.",
            "Set it to 1 (CIS/STIG) with debugready.ptrace.ptrace_scope unless this is a development machine."
            + (" It is host-global: change it on the container host." if in_container else "")))
    elif yama["locked"]:
        out.append(finding(
            "yama_locked", "low",
            "kernel.yama.ptrace_scope is 3: nobody, root included, can attach a debugger until the next reboot.",
            "To allow debugging, persist a lower value with debugready.ptrace.ptrace_scope and reboot."))
    if yama.get("drift"):
        out.append(finding(
            "yama_drift", "medium",
            "kernel.yama.ptrace_scope is %s now but %s will win at the next boot (from %s)." % (
                yama["scope"], boot.get("scope"), boot.get("source")),
            "Persist the intended value so runtime and boot agree (debugready.ptrace.ptrace_scope does both)."))
    if boot.get("value") is not None and boot.get("scope") is None:
        out.append(finding(
            "yama_boot_invalid", "medium",
            "%s sets kernel.yama.ptrace_scope to %r, which is not 0-3: the write fails at boot." % (
                boot.get("source"), boot.get("value")),
            "Fix or remove that line."))
    if boot and not boot.get("appliers_agree", True):
        sd, ss = boot["systemd_sysctl"], boot["sysctl_system"]
        out.append(finding(
            "yama_appliers_disagree", "low",
            "systemd-sysctl sets ptrace_scope %s (from %s) but 'sysctl --system' sets %s (from %s)." % (
                sd["value"], sd["source"], ss["value"], ss["source"]),
            "Keep the key in one file under /etc/sysctl.d that sorts last, and out of /etc/sysctl.conf."))
    return out


def _container(container):
    if not container or not container.get("detected"):
        return []
    out = []
    if container.get("sys_ptrace_in_bounding_set") is False:
        out.append(finding(
            "container_no_sys_ptrace", "medium",
            "CAP_SYS_PTRACE is not in this %s container's bounding set: nobody in it, root and sudo included, "
            "can trace processes they do not own, and a cap_sys_ptrace=ep tool fails at exec." % (
                container.get("engine") or "unknown"),
            "Start the container with --cap-add SYS_PTRACE (securityContext.capabilities.add: [SYS_PTRACE] "
            "on Kubernetes)."))
    return out


def _windows(windows):
    out = []
    for window in windows or []:
        if window["problem"]:
            out.append(finding(
                "window_record_unusable", "high",
                "The record of debug window %s cannot be used, so nothing can close it: %s" % (
                    window["name"], window["problem"]),
                "Put the host back with the revert playbook, then remove the record and its timer "
                "(debugready.ptrace.debug_window name=%s state=absent close_now=false)." % window["name"],
                window=window["name"]))
        elif window["expired"]:
            out.append(finding(
                "window_past_end", "high",
                "Debug window %s (%s, opened by %s) ended at %s and is still open: %s." % (
                    window["name"], window["profile"], _who(window["opened_by"]), window["ends_at"],
                    "its timer has not closed it (see journalctl -t debugready-window)" if window["closes_itself"]
                    else "nothing on this host closes it (no systemd timer)"),
                "Close it: debugready.ptrace.debug_window name=%s state=absent (or the revert playbook)."
                % window["name"], window=window["name"]))
    return out


def _who(opened_by):
    opened_by = opened_by or {}
    return "@".join(part for part in (opened_by.get("user"), opened_by.get("host")) if part) or "an unknown user"


def _lsm(lsm):
    if not lsm:
        return []
    selinux = lsm.get("selinux") or {}
    if selinux.get("enforcing") and selinux.get("deny_ptrace"):
        return [finding(
            "selinux_deny_ptrace", "medium",
            "SELinux is enforcing with deny_ptrace on: on Fedora's and RHEL's policies it refuses ptrace (EACCES) to "
            "every domain, root's unconfined one included.",
            "For a debug window only, turn it off in the running policy (debugready.ptrace.selinux_boolean, or "
            "'setsebool deny_ptrace off' without -P) and have the window put it back (undo action selinux_boolean).")]
    return []


def _capabilities(capabilities):
    out = []
    for entry in (capabilities or {}).get("ptrace_files", []):
        if entry.get("world_executable"):
            out.append(finding(
                "filecap_world_executable", "high",
                "%s holds %s and every user may execute it: anyone can trace any process (root-equivalent)." % (
                    entry["path"], entry["caps"]),
                "Restrict it to a debug group: chgrp the group and chmod 0750, or remove the capability "
                "(debugready.ptrace.file_caps).", path=entry["path"]))
    return out


def _sudoers_findings(sudoers):
    if not sudoers:
        return []
    out = []
    if not sudoers.get("installed"):
        # Without sudo, a missing /etc/sudoers is how it should be; files left behind grant nothing.
        return out
    if sudoers.get("valid") is False:
        out.append(finding(
            "sudoers_invalid", "high",
            "'visudo -c' fails on the sudoers tree: sudo skips broken entries with a warning on every run, and "
            "validated edits of the tree are blocked until it is fixed.",
            "Run 'visudo -c' as root and fix the reported file before changing anything else."))
    for error in sudoers.get("errors", []):
        out.append(finding(
            "sudoers_parse_error", "medium",
            "%s could not be parsed (%s): sudo drops that entry, with an error on every run." % (
                _at(error["path"], error["line"]), error["message"]),
            "Check the line with 'visudo -c'.", path=error["path"]))
    for skipped in sudoers.get("skipped", []):
        reason = skipped["reason"]
        text = _sudoers.SKIP_REASONS.get(reason, reason)
        if reason == "missing" and skipped.get("included_from") is None:
            out.append(finding(
                "sudoers_file_unsafe", "high",
                "sudo is installed but %s does not exist: sudo refuses to run at all." % skipped["path"],
                "Reinstall sudo's configuration (e.g. apt-get install --reinstall sudo) or restore the file.",
                path=skipped["path"]))
        elif reason in _sudoers.UNSAFE_REASONS and skipped["path"] == "/etc/sudoers":
            out.append(finding(
                "sudoers_file_unsafe", "high",
                "sudo refuses to run at all because /etc/sudoers %s." % text[3:],
                "As root (pkexec or a root shell): chown root:root /etc/sudoers && chmod 0440 /etc/sudoers.",
                path=skipped["path"]))
        elif reason in _sudoers.UNSAFE_REASONS:
            out.append(finding(
                "sudoers_file_unsafe", "high",
                "sudo ignores %s, with a warning on every run, because %s: its rules are not in force, and "
                "whoever can write it could add rules if its mode were fixed." % (skipped["path"], text),
                "Check its content, then chown root:root and chmod 0440 %s." % skipped["path"],
                path=skipped["path"]))
        elif reason in ("name_contains_dot", "name_ends_with_tilde"):
            out.append(finding(
                "sudoers_file_skipped", "medium",
                "sudo silently ignores %s because %s: none of its rules are in force." % (skipped["path"], text),
                "Rename it to a name without '.' or a trailing '~', or delete it if it is a leftover.",
                path=skipped["path"]))
        elif reason in _sudoers.UNSAFE_DIR_REASONS:
            out.append(finding(
                "sudoers_file_unsafe", "high",
                "sudo ignores every file in %s, with a warning on every run, because %s: none of their rules "
                "are in force, and whoever can write the directory could add rules if its mode were fixed." % (
                    skipped["path"], text),
                "Check its files, then chown root:root and chmod 0755 %s." % skipped["path"],
                path=skipped["path"]))
        elif reason == "not_regular_file":
            continue
        else:
            out.append(finding(
                "sudoers_include_problem", "medium",
                "The include of %s (from %s) is not read because %s." % (
                    skipped["path"], _at(skipped.get("included_from"), skipped.get("line")), text),
                "Fix or remove that include directive.", path=skipped["path"]))
    for problem in sudoers.get("visudo_mode_problems", []):
        out.append(finding(
            "sudoers_file_mode", "low",
            "%s has mode %s (gid %s): sudo reads it, but 'visudo -c' fails on it, which blocks validated edits." % (
                problem["path"], problem["mode"], problem["gid"]),
            "chown root:root and chmod 0440 %s." % problem["path"], path=problem["path"]))
    for double in sudoers.get("double_includes", []):
        out.append(finding(
            "sudoers_double_include", "low",
            "%s is read twice (again from %s): its rules and aliases apply twice." % (
                double["path"], _at(double.get("included_from"), double.get("line"))),
            "Keep one include directive (#includedir and @includedir are the same).", path=double["path"]))
    for grant in sudoers.get("grants", []):
        where = _grant_location(grant)
        tools = ", ".join(grant.get("tools") or [])
        if grant.get("expired"):
            out.append(finding(
                "sudoers_grant_expired", "low",
                "The grant to %s (%s) expired at %s but is still on disk." % (
                    grant["principal"], where, grant.get("not_after_utc")),
                "Remove it (debugready.ptrace.sudoers_grant state=absent, or delete the rule).", source=where))
        if grant.get("via") == "all" and grant["principal"] not in ("root", "#0"):
            out.append(finding(
                "sudoers_grant_via_all", "low",
                "%s may run ALL commands as %s, so also %s (%s): a blanket grant, root-equivalent." % (
                    grant["principal"], ",".join(grant["runas"]) or "root", tools, where),
                "Expected for administrators; for debugging give a group-scoped, time-boxed grant of the tools "
                "instead.", source=where))
        if grant.get("not_after") and grant.get("not_after_has_zone") is False:
            out.append(finding(
                "sudoers_notafter_local_time", "medium",
                "The grant at %s has NOTAFTER=%s without 'Z': sudo reads it in the caller's time zone, "
                "which the caller controls." % (where, grant["not_after"]),
                "Write the time in UTC with a trailing Z.", source=where))
    return out
