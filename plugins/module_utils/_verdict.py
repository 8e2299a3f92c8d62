# -*- coding: utf-8 -*-
# Copyright (c) 2026, debugready.ptrace contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The decision engine: can this tracer attach to this target, and if not, which kernel check says no.

A pure function of plain data (no host access), in the kernel's order
(kernel/ptrace.c ptrace_attach -> __ptrace_may_access -> LSM hooks), with the reason
codes of the decision table. Every row is a unit test.
"""

from __future__ import annotations

import collections
import os

from ansible_collections.debugready.ptrace.plugins.module_utils import _accounts, _caps

PTRACE_BIT = 1 << _caps.CAP_SYS_PTRACE
SYS_ADMIN_BIT = 1 << _caps.CAP_NUMBERS["cap_sys_admin"]
# perfmon_capable(): CAP_PERFMON, or CAP_SYS_ADMIN for kernels and programs older than it.
PERFMON_BITS = (1 << _caps.CAP_NUMBERS["cap_perfmon"]) | SYS_ADMIN_BIT
# bpf_capable(): CAP_BPF, or CAP_SYS_ADMIN.
BPF_BITS = (1 << _caps.CAP_NUMBERS["cap_bpf"]) | SYS_ADMIN_BIT
SYSLOG_BIT = 1 << _caps.CAP_NUMBERS["cap_syslog"]
# reading a root-only file without being its owner
DAC_READ_BITS = (1 << _caps.CAP_NUMBERS["cap_dac_override"]) | (1 << _caps.CAP_NUMBERS["cap_dac_read_search"])

REASONS = (
    "target_not_found", "kernel_thread", "self", "seccomp_blocks_ptrace", "filecap_exec_fails_bounding_set",
    "filecap_not_applied_nosuid", "filecap_not_applied_nnp", "filecap_not_applied_missing", "uid_gid_mismatch",
    "target_not_dumpable", "target_has_more_capabilities", "yama_scope3_no_attach",
    "yama_scope2_requires_cap_sys_ptrace", "yama_scope1_not_descendant", "selinux_deny_ptrace", "selinux_denied", "apparmor_denied",
    "already_traced", "sudo_not_permitted", "sudo_password_required", "allowed",
    # perf_event_open (decide_perf)
    "perf_events_unavailable", "perf_blocked_by_seccomp", "perf_paranoid_3_no_unprivileged", "perf_paranoid_cpu_wide",
    # bpftrace (decide_bpftrace)
    "bpftrace_requires_root", "lockdown_confidentiality", "bpf_blocked_by_seccomp", "bpf_needs_capabilities",
    "kprobes_unavailable", "probe_events_need_tracefs",
    # BCC (decide_bcc)
    "bcc_kprobe_list_unreadable", "bcc_kernel_headers_missing", "bcc_uprobe_through_tracefs",
)
ERRNO = {
    "target_not_found": "ESRCH", "selinux_deny_ptrace": "EACCES", "selinux_denied": "EACCES", "apparmor_denied": "EACCES", "allowed": None,
    "sudo_not_permitted": None, "sudo_password_required": None, "perf_events_unavailable": None,
    "perf_paranoid_3_no_unprivileged": "EACCES", "perf_paranoid_cpu_wide": "EACCES",
    "perf_blocked_by_seccomp": "EPERM", "bpftrace_requires_root": None,
    # no kprobe PMU: bpftrace falls back to tracefs, which has no kprobe_events either (measured)
    "kprobes_unavailable": "ENOENT",
    "lockdown_confidentiality": None,
    "probe_events_need_tracefs": "ENOENT",
    "bcc_kernel_headers_missing": None,  # BCC's own refusal: it cannot compile its program
    "bcc_uprobe_through_tracefs": "EINVAL",  # when it fails: the event name is too long (measured)
}
PERFMON_COST = ("CAP_PERFMON (a tool copy holding it, or sudo perf) lets its users watch every process and the "
                "kernel: keep it group-scoped, logged and time-boxed. The debugready.ptrace.debug_access role's perf "
                "profile sets up both (level 2 and a group's cap_perfmon=ep copy) and reverts them.")
# the smallest fix for selinux_deny_ptrace, certain or not
DENY_PTRACE_OFF = ("For the debug window only, turn deny_ptrace off at runtime (debugready.ptrace.selinux_boolean, or "
                   "setsebool deny_ptrace off without -P) and on again after")
ROOT_EQUIVALENT = ("Any grant of ptrace to another user's processes (sudo strace/gdb, or a tool holding "
                   "CAP_SYS_PTRACE) is root-equivalent: keep it group-scoped, logged and time-boxed.")


class Tracer(object):
    """The process that would call ptrace, as the kernel sees it after exec.

    `caps_effective`/`caps_permitted` are masks; `label` is its LSM label or None.
    `filecap_problem` is set when a file-capability tool's caps do not apply.
    """

    __slots__ = ("user", "uid", "gid", "caps_effective", "caps_permitted", "seccomp_mode", "via", "runas",
                 "tool", "filecap_problem", "exec_fails", "pid")

    def __init__(self, user, uid, gid, caps_effective=0, caps_permitted=None, seccomp_mode=0, via="direct",
                 runas=None, tool="strace", filecap_problem=None, exec_fails=False, pid=None):
        self.user = user
        self.uid = uid
        self.gid = gid
        self.caps_effective = caps_effective
        self.caps_permitted = caps_effective if caps_permitted is None else caps_permitted
        self.seccomp_mode = seccomp_mode
        self.via = via
        self.runas = runas
        self.tool = tool
        self.filecap_problem = filecap_problem
        self.exec_fails = exec_fails
        self.pid = pid

    @property
    def has_cap_sys_ptrace(self):
        return bool(self.caps_effective & PTRACE_BIT)


def tracer_caps_for(via, is_root, session_effective, bounding, filecaps=None, nosuid=False, no_new_privs=False,
                    prior_permitted=0):
    """(effective, permitted, exec_fails, filecap_problem) of the tracer process.

    direct: the session's CapEff (a non-root login has none); sudo as root: the bounding set;
    sudo as another user: none; filecap: fE ? (fP & bset [& prior CapPrm under NNP]) : 0.
    """
    if via == "sudo":
        return (bounding, bounding, False, None) if is_root else (0, 0, False, None)
    if via != "filecap":
        return (session_effective, session_effective, False, None)
    base = session_effective if is_root else 0
    if filecaps is None or not filecaps.applies:  # a revision 3 of another user namespace is ignored at exec
        return (base, base, False, "filecap_not_applied_missing")
    if nosuid:
        return (base, base, False, "filecap_not_applied_nosuid")
    if filecaps.effective and filecaps.permitted & ~bounding:
        # The kernel refuses the exec itself (EPERM) rather than run with fewer caps than promised.
        return (0, 0, True, "filecap_exec_fails_bounding_set")
    permitted = filecaps.permitted & bounding
    if no_new_privs:
        permitted &= prior_permitted
        if permitted != filecaps.permitted & bounding:
            return (base | permitted if filecaps.effective else base, base | permitted, False,
                    "filecap_not_applied_nnp")
    return (base | permitted if filecaps.effective else base, base | permitted, False, None)


def _ids_match(tracer, target):
    uids = target.get("uids") or []
    gids = target.get("gids") or []
    return all(u == tracer.uid for u in uids[:3]) and all(g == tracer.gid for g in gids[:3])


def _result(reason, explanation, remediation, allowed=False, certain=True, errno=None, **extra):
    result = {
        "allowed": allowed,
        "reason": reason,
        "errno": errno or ERRNO.get(reason, "EPERM"),
        "explanation": explanation,
        "remediation": remediation,
        "certain": certain,
    }
    result.update(extra)
    return result


def decide(tracer, target, host):
    """The verdict for one target.

    target: a _procs.describe() dict, or None when the PID does not exist.
    host: {"yama_scope": int or None, "selinux": {...}, "apparmor": {...}, "coredump_directory": bool or None}
    """
    who = "%s (uid %s)" % (tracer.user, tracer.uid)
    if target is None:
        return _result("target_not_found", "No such process is visible from here.",
                       "Check the PID; a process in another PID namespace is invisible.")
    pid = target["pid"]
    name = "%s[%s]" % (target.get("comm"), pid)
    if target.get("kernel_thread"):
        return _result("kernel_thread", "%s is a kernel thread; kernel threads cannot be traced." % name,
                       "Trace a user-space process instead.")
    if tracer.pid is not None and tracer.pid == pid:
        return _result("self", "A process cannot attach to its own thread group.", "Trace it from another process.")
    if tracer.seccomp_mode == 1:
        return _result("seccomp_blocks_ptrace", "The tracer runs under strict seccomp, which forbids ptrace.",
                       "Run the tool outside that sandbox.")
    if tracer.exec_fails:
        return _result(
            "filecap_exec_fails_bounding_set",
            "The kernel refuses to execute %s: its file capabilities include CAP_SYS_PTRACE with the effective "
            "flag, and CAP_SYS_PTRACE is not in the bounding set." % tracer.tool,
            "Start the container with --cap-add SYS_PTRACE, or use sudo where the bounding set allows it.")
    cap = tracer.has_cap_sys_ptrace
    selinux = host.get("selinux") or {}
    selinux_cap = ""
    if cap and _selinux_enforced(selinux) and selinux.get("cap_sys_ptrace") is False:
        # capable() asks SELinux too: a domain without 'capability sys_ptrace' holds the bit in vain
        cap = False
        selinux_cap = (" %s holds CAP_SYS_PTRACE, but its SELinux domain %s is not given 'capability sys_ptrace' "
                       "by the policy, so every capability check fails (EPERM)." % (tracer.tool, selinux["tracer"]))
    verdict = _credential_check(tracer, target, host, cap)
    if verdict is not None:
        return _with_filecap_note(_with_explanation(verdict, selinux_cap), tracer)
    scope = host.get("yama_scope")
    if scope == 3:
        return _result("yama_scope3_no_attach",
                       "kernel.yama.ptrace_scope is 3: no process may attach, root included, until reboot.",
                       "Persist a lower value (debugready.ptrace.ptrace_scope) and reboot; it cannot be lowered "
                       "at runtime.")
    if scope == 2 and not cap:
        return _with_explanation(_with_filecap_note(_result(
            "yama_scope2_requires_cap_sys_ptrace",
            "kernel.yama.ptrace_scope is 2: only a tracer holding CAP_SYS_PTRACE may attach; %s has none." % who,
            "Trace through sudo as root or a group-restricted cap_sys_ptrace=ep tool. " + ROOT_EQUIVALENT),
            tracer), selinux_cap)
    if scope == 1 and not cap:
        return _with_explanation(_with_filecap_note(_result(
            "yama_scope1_not_descendant",
            "kernel.yama.ptrace_scope is 1: %s may attach only to its own descendants (or a process that "
            "registered it with PR_SET_PTRACER, which cannot be seen from outside); %s was not started by "
            "the tracer." % (who, name),
            "Start the program under the tracer (strace CMD), or trace with CAP_SYS_PTRACE (sudo). "
            + ROOT_EQUIVALENT), tracer), selinux_cap)
    verdict, selinux_note = _selinux_check(tracer, target, selinux, cap)
    if verdict is not None:
        return verdict
    if target.get("tracer_pid"):
        return _result("already_traced", "%s is already traced by PID %s; a process has one tracer at a time." % (
            name, target["tracer_pid"]), "Detach the other tracer first.")
    verdict, note = _apparmor_check(tracer, target, host, cap)
    if verdict is not None:
        return verdict
    note = selinux_note + note
    return _result("allowed", "%s may attach to %s%s.%s" % (
        who, name, " with CAP_SYS_PTRACE" if cap else " (same ids, dumpable)", note), None, allowed=True,
        certain=not note)


def _with_explanation(verdict, text):
    if text:
        verdict = dict(verdict, explanation=verdict["explanation"] + text)
    return verdict


def _selinux_enforced(selinux):
    """SELinux refuses, rather than only logs: enforcing, and the tracer's domain is not a permissive one."""
    return bool(selinux.get("enabled") and selinux.get("enforcing") and not selinux.get("permissive"))


def _selinux_check(tracer, target, selinux, cap):
    """SELinux's ptrace hook (process:ptrace from the tracer's domain to the target's), after Yama in the kernel's LSM
    order, measured in the VM (docs/verified-semantics.md section 21): (a refusal or None, a note that makes an
    allowed verdict uncertain or "").

    selinux: _tracecheck.selinux_host(); target["selinux"]: {"context", "ptrace" (the policy's answer for this
    tracer, True/False/None)}. The policy's answer already includes every boolean's current value.
    """
    if not _selinux_enforced(selinux):
        return None, ""
    domain = selinux.get("tracer")
    boolean = selinux.get("deny_ptrace_boolean") or {}
    peer = target.get("selinux") or {}
    if boolean.get("current") and not (domain and peer.get("ptrace") is not None):
        # the policy could not be asked; on the policies that have it, deny_ptrace takes ptrace from every domain
        return _result(
            "selinux_deny_ptrace",
            "SELinux is enforcing with deny_ptrace on, which takes ptrace from every domain on the policies that "
            "have it; whether this one still gives %s's domain a rule could not be asked." % tracer.tool,
            DENY_PTRACE_OFF + ". " + ROOT_EQUIVALENT, certain=False), ""
    if not domain:
        return None, (" SELinux is enforcing and the domain %s runs in could not be learnt; its policy could refuse "
                      "(EACCES)." % tracer.tool)
    context = peer.get("context") or "(unknown)"
    name = "%s[%s]" % (target.get("comm"), target["pid"])
    login = (" The prediction is for %s started from this session's domain; %s logs in as another SELinux user, "
             "whose domain may differ." % (tracer.tool, tracer.user)) if selinux.get("login_differs") else ""
    if peer.get("ptrace") is False and boolean.get("current"):
        return _result(
            "selinux_deny_ptrace",
            "SELinux is enforcing, deny_ptrace is on, and the policy gives %s's domain %s no ptrace of %s (%s); the "
            "kernel refuses with EACCES after Yama.%s" % (tracer.tool, domain, name, context, login),
            DENY_PTRACE_OFF + "; a debug_window puts it back. If it still refuses, the domain has no ptrace rule for "
            "the target (selinux_denied). " + ROOT_EQUIVALENT), ""
    if peer.get("ptrace") is False:
        return _result(
            "selinux_denied",
            "SELinux is enforcing and its policy gives %s's domain %s no ptrace of %s's domain (%s): a type "
            "enforcement denial, EACCES after Yama.%s" % (tracer.tool, domain, name, context, login),
            "Trace from a domain the policy lets ptrace it (an unconfined or sysadm_r login, or sudo with ROLE= and "
            "TYPE=), or add an allow rule for process ptrace in a local module (audit2allow shows the AVC). "
            + ROOT_EQUIVALENT), ""
    if peer.get("ptrace") is None:
        return None, (" SELinux is enforcing and its policy could not be asked whether %s may ptrace %s; it could "
                      "refuse (EACCES)." % (domain, context))
    if cap and selinux.get("cap_sys_ptrace") is None:
        return None, (" SELinux is enforcing and whether domain %s may use CAP_SYS_PTRACE could not be asked."
                      % domain)
    return None, login


def _apparmor_check(tracer, target, host, cap):
    """AppArmor's ptrace hook, after Yama in the kernel's order (docs/verified-semantics.md section 20): (a refusal
    or None, a note that makes an allowed verdict uncertain or "").

    host["apparmor"]: {"enabled", "in_play" (profiles are loaded), "tracer" (apparmor_label() of the tool as
    executed, None when unknown)}; target["apparmor"]: {"label" (apparmor_label()), "trace" (the tracer's profile
    allows trace to the target's label, per the kernel's .access), "tracedby" (the target's profile allows being
    traced by the tracer's)}; True, False or None (unknown).
    """
    apparmor = host.get("apparmor") or {}
    if not (apparmor.get("enabled") and apparmor.get("in_play")):
        return None, ""
    tracer_label = apparmor.get("tracer")
    if tracer_label is None:
        return None, (" AppArmor has profiles loaded and the label %s runs under could not be learnt; a profile "
                      "of it could refuse (EACCES)." % tracer.tool)
    if not tracer_label["confined"]:
        return None, ""  # AppArmor never refuses an unconfined tracer (measured: not even a target's deny rule)
    profile = tracer_label["label"]
    if tracer_label["mode"] == "complain":
        return None, ""  # allowed, and AppArmor logs it
    peer = target.get("apparmor") or {}
    target_label = (peer.get("label") or {}).get("label") or "unconfined"
    name = "%s[%s]" % (target.get("comm"), target["pid"])
    if peer.get("trace") is False:
        return _result(
            "apparmor_denied",
            "%s runs under the AppArmor profile %s (enforce), which does not allow ptrace (trace) of %s's label %s; "
            "the kernel refuses with EACCES after Yama." % (tracer.tool, profile, name, target_label),
            "Add 'ptrace (trace) peer=%s,' to profile %s and reload it (apparmor_parser -r), or run the tool "
            "unconfined. %s" % (target_label, profile, ROOT_EQUIVALENT)), ""
    if peer.get("tracedby") is False:
        return _result(
            "apparmor_denied",
            "%s's AppArmor profile %s denies being traced by %s (ptrace (tracedby)); the kernel refuses with EACCES."
            % (name, target_label, profile),
            "Remove the 'deny ptrace (tracedby)' rule from profile %s (or run the tool unconfined, which that rule "
            "does not stop); reload it with apparmor_parser -r. Lowering a service's confinement is a change to "
            "review." % target_label), ""
    if peer.get("trace") is None or peer.get("tracedby") is None:
        return None, (" %s runs under the AppArmor profile %s, whose ptrace rules could not be asked; it could "
                      "refuse (EACCES)." % (tracer.tool, profile))
    if cap and not (_ids_match(tracer, target) and target.get("dumpable") is True
                    and host.get("yama_scope") in (0, None)):
        return None, (" The attach needs CAP_SYS_PTRACE and %s runs under the AppArmor profile %s: it must also "
                      "grant 'capability sys_ptrace,' (EPERM otherwise), which the kernel does not show."
                      % (tracer.tool, profile))
    return None, ""


def _credential_check(tracer, target, host, cap):
    """__ptrace_may_access's credential checks (ids, dumpable, capabilities), or None when they pass.

    They are the same for ptrace's ATTACH mode and perf's READ mode; `cap`: the tracer holds CAP_SYS_PTRACE.
    """
    if cap:
        return None
    who = "%s (uid %s)" % (tracer.user, tracer.uid)
    name = "%s[%s]" % (target.get("comm"), target["pid"])
    uids = target.get("uids") or []
    if not _ids_match(tracer, target):
        return _result(
            "uid_gid_mismatch",
            "%s runs as uids %s gids %s; %s has real gid %s and no CAP_SYS_PTRACE%s, so the kernel requires "
            "every one of the target's ids to match." % (
                name, "/".join(map(str, uids[:3])), "/".join(map(str, (target.get("gids") or [])[:3])), who,
                tracer.gid, " (it is not in the bounding set)" if tracer.uid == 0 else ""),
            _remedy_other_user(tracer, target))
    if target.get("dumpable") is not True:
        if target.get("dumpable") is None:
            return _result(
                "target_not_dumpable",
                "%s runs as root; whether it is dumpable cannot be told from outside, and %s has no "
                "CAP_SYS_PTRACE." % (name, who),
                "Trace it with CAP_SYS_PTRACE (sudo strace as root). " + ROOT_EQUIVALENT, allowed=None,
                certain=False)
        return _result(
            "target_not_dumpable",
            "%s is not dumpable (it changed credentials, e.g. Apache dropping root for %s), so even its own "
            "user cannot trace it without CAP_SYS_PTRACE." % (name, target.get("user") or "its user"),
            _remedy_not_dumpable(target, host))
    if ((target.get("capabilities") or {}).get("permitted") or 0) & ~tracer.caps_permitted:
        extra = _caps.mask_to_names(target["capabilities"]["permitted"] & ~tracer.caps_permitted)
        return _result(
            "target_has_more_capabilities",
            "%s holds capabilities the tracer lacks (%s); without CAP_SYS_PTRACE the kernel refuses." % (
                name, ", ".join(extra)),
            "Trace it as root through sudo. " + ROOT_EQUIVALENT)
    return None


def decide_perf(tracer, target, host, system_wide=False):
    """perf_event_open's verdict for `perf stat/record -p PID` (target) or `-a` (system_wide), in the kernel's
    order (kernel/events/core.c), as measured on mainline 6.18 and Debian's 6.1 (docs/verified-semantics.md).

    host: {"perf_event_paranoid": int or None, "paranoid_3_denies_all": bool or None,
    "seccomp_blocks_perf": bool or None (a container's seccomp profile refuses the syscall; None: may)}.
    The kernel's refusals are EACCES, seccomp's EPERM. Yama never restricts perf: the per-process check is ptrace's
    READ mode.
    """
    paranoid = host.get("perf_event_paranoid")
    perfmon = bool(tracer.caps_effective & PERFMON_BITS)
    who = "%s (uid %s)" % (tracer.user, tracer.uid)
    if paranoid is None:
        return _result("perf_events_unavailable",
                       "kernel.perf_event_paranoid cannot be read: this kernel has no perf events, or /proc/sys "
                       "is hidden here.", "Check the kernel's CONFIG_PERF_EVENTS and /proc/sys.", allowed=None,
                       certain=False)
    verdict = _not_found_or_not_executable(
        tracer, target, system_wide, "Start the container with --cap-add PERFMON, or drop the capabilities it cannot "
        "have.")
    if verdict is not None:
        return verdict
    seccomp = host.get("seccomp_blocks_perf", False)
    if seccomp:
        # the filter answers at syscall entry, before any of the kernel's checks
        return _result(
            "perf_blocked_by_seccomp",
            "This container's seccomp profile refuses perf_event_open (EPERM) to every process in it: podman's "
            "default profile allows it only to a container holding CAP_SYS_ADMIN.",
            "Start the container with --security-opt seccomp=unconfined (or a profile that allows perf_event_open) "
            "and --cap-add PERFMON, or run perf on the host. --cap-add SYS_ADMIN also lets it through, but is close "
            "to root on the host's kernel. " + PERFMON_COST)
    uncertain = seccomp is None
    if paranoid >= 3 and not tracer.caps_effective & SYS_ADMIN_BIT:
        # Debian's level 3 yields to CAP_SYS_ADMIN only, not CAP_PERFMON (measured on 6.1.0-57-cloud-amd64)
        if host.get("paranoid_3_denies_all"):
            return _with_filecap_note(_result(
                "perf_paranoid_3_no_unprivileged",
                "kernel.perf_event_paranoid is %s and this kernel carries Debian's (and Ubuntu's) level 3: no "
                "perf_event_open at all without CAP_SYS_ADMIN (CAP_PERFMON is not enough), even on one's own "
                "processes; %s has none." % (paranoid, who),
                "Lower kernel.perf_event_paranoid to 2 for the debugging window (debugready.ptrace.kernel_setting; "
                "own processes, user space only; "
                "a group-restricted cap_perfmon=ep copy of perf then reaches every process), or run perf as root "
                "through sudo. " + PERFMON_COST), tracer)
        # mainline treats 3 as 2; a kernel whose config cannot be read may be either
        uncertain_3 = host.get("paranoid_3_denies_all") is None
    else:
        uncertain_3 = False
    if system_wide:
        if paranoid > 0 and not perfmon:
            return _with_filecap_note(_result(
                "perf_paranoid_cpu_wide",
                "kernel.perf_event_paranoid is %s: system-wide (CPU) events need 0 or less, or CAP_PERFMON; %s "
                "has none." % (paranoid, who),
                "Measure the processes (perf -p PID) instead; or set kernel.perf_event_paranoid to 0 for the "
                "debugging window (debugready.ptrace.kernel_setting; every user then sees CPU-wide events), or use "
                "a group-restricted "
                "cap_perfmon=ep copy of perf. " + PERFMON_COST), tracer)
        verdict = _result("allowed", "%s may open system-wide events%s." % (
            who, " with CAP_PERFMON" if perfmon else ""), None, allowed=True, kernel_samples=perfmon or paranoid <= 1)
    else:
        if not perfmon:
            # perf_check_permission: CAP_PERFMON, else ptrace_may_access(PTRACE_MODE_READ_REALCREDS)
            verdict = _credential_check(tracer, target, host, tracer.has_cap_sys_ptrace)
            if verdict is not None:
                verdict = dict(verdict, errno="EACCES", explanation=verdict["explanation"] + (
                    " perf's own message blames kernel.perf_event_paranoid; the refusal is ptrace's read check, "
                    "which CAP_PERFMON also passes."))
                return _with_filecap_note(verdict, tracer)
        verdict = _result("allowed", "%s may open events on %s[%s]%s." % (
            who, target.get("comm"), target["pid"], " with CAP_PERFMON" if perfmon else (
                " with CAP_SYS_PTRACE" if tracer.has_cap_sys_ptrace else " (same ids, dumpable)")), None,
            allowed=True, kernel_samples=perfmon or paranoid <= 1)
    if not verdict["kernel_samples"]:
        verdict["explanation"] += (" kernel.perf_event_paranoid is %s, so user space only: perf falls back to "
                                   "the :u events by itself." % paranoid)
    if uncertain_3:
        verdict.update(allowed=None, certain=False, explanation=verdict["explanation"] + (
            " Unless this kernel carries Debian's level 3, which refuses it: its config cannot be read."))
    if uncertain:
        verdict.update(allowed=None, certain=False, explanation=verdict["explanation"] + (
            " Unless this container's seccomp profile refuses perf_event_open (EPERM), as podman's default does "
            "without CAP_SYS_ADMIN: this engine's default was not measured."))
    return verdict


def _not_found_or_not_executable(tracer, target, system_wide, exec_fix):
    """perf's and bpftrace's first two refusals: no such process, or a capability copy the kernel will not execute
    (`exec_fix`: the remedy for the tool at hand); None when neither applies."""
    if not system_wide and target is None:
        return _result("target_not_found", "No such process is visible from here.",
                       "Check the PID; a process in another PID namespace is invisible.")
    if tracer.exec_fails:
        return _result("filecap_exec_fails_bounding_set",
                       "The kernel refuses to execute %s: its file capabilities have the effective flag and "
                       "include a capability outside the bounding set." % tracer.tool, exec_fix, errno="EPERM")
    return None


def _bpf_blocked_by_seccomp(tool, cost, **extra):
    """bpftrace's and BCC's refusal by podman's default seccomp profile (measured with a direct BPF_MAP_CREATE)."""
    return _result("bpf_blocked_by_seccomp",
                   "This container's seccomp profile refuses bpf() and perf_event_open (EPERM) to every process in it, "
                   "root included: podman's default profile allows them only to a container holding CAP_SYS_ADMIN "
                   "(CAP_BPF is not enough).",
                   "Start the container with --security-opt seccomp=unconfined (or a profile that allows bpf and "
                   "perf_event_open) and --cap-add BPF --cap-add PERFMON, or run %s on the host. %s" % (tool, cost),
                   **extra)


BPFTRACE_COST = ("bpftrace runs as root only (sudo bpftrace): whoever may run it may read and change what every "
                 "process and the kernel hold. Keep such a grant group-scoped, logged and time-boxed.")


def decide_bpftrace(tracer, target, host, system_wide=False):
    """bpftrace's verdict for a uprobe on `target` (`bpftrace -p PID`) or, `system_wide`, a kprobe, in the order
    bpftrace 0.17 and the kernel check, as measured on mainline 6.18, Debian's 6.1 and in podman
    (docs/verified-semantics.md section 17):

    1. bpftrace refuses any uid but 0, whatever the capabilities, and any program under lockdown's confidentiality
       mode (its own checks, before the kernel);
    2. with -p it opens /proc/PID/ns/mnt: ptrace's read check (EACCES);
    3. a container's seccomp profile (podman's default refuses bpf() without CAP_SYS_ADMIN: EPERM);
    4. its maps need CAP_BPF (EPERM);
    5. its output buffer is a CPU-wide perf event: perf_event_paranoid's rules (decide_perf), Debian's level 3
       wanting CAP_SYS_ADMIN (EACCES);
    6. the probe: a kprobe needs a kernel with kprobes; the probe PMUs take CAP_SYS_ADMIN only, without it bpftrace
       adds the probe through tracefs, which must be mounted read-write (ENOENT).

    host: {"seccomp_blocks_bpf", "lockdown", "tracefs_writable", "kprobes" (system_wide), "perf_event_paranoid",
    "paranoid_3_denies_all"}; None where unknown.
    """
    verdict = _not_found_or_not_executable(
        tracer, target, system_wide, "Drop the capabilities it cannot have, or run it through sudo.")
    if verdict is not None:
        return verdict
    if tracer.uid != 0:
        return _result("bpftrace_requires_root",
                       "bpftrace refuses to run for %s (uid %s): it checks for uid 0 itself before asking the kernel "
                       "anything, so a copy with CAP_BPF and CAP_PERFMON is refused too." % (tracer.user, tracer.uid),
                       "Run it as root through sudo (the debug_access role's sudo profile with bpftrace in "
                       "debug_access_tools). " + BPFTRACE_COST)
    if host.get("lockdown") == "confidentiality":
        return _result("lockdown_confidentiality",
                       "Kernel lockdown is in confidentiality mode, which refuses BPF's reads of kernel memory; "
                       "bpftrace then refuses to run any program at all, root's included.",
                       "None at runtime: lockdown can only be raised until the next boot. Boot without "
                       "lockdown=confidentiality (or with Secure Boot's lockdown at integrity, where bpftrace runs).")
    if not system_wide:
        verdict = _credential_check(tracer, target, host, tracer.has_cap_sys_ptrace)
        if verdict is not None:
            return dict(verdict, errno="EACCES", explanation=verdict["explanation"] + (
                " bpftrace -p opens /proc/%s/ns/mnt before anything else, and the kernel checks ptrace's read access "
                "for that." % target["pid"]))
    seccomp = host.get("seccomp_blocks_bpf", False)
    if seccomp:
        return _bpf_blocked_by_seccomp("bpftrace", BPFTRACE_COST)
    if not tracer.caps_effective & BPF_BITS:
        return _result("bpf_needs_capabilities",
                       "root here lacks CAP_BPF (and CAP_SYS_ADMIN): the kernel refuses bpftrace's maps (EPERM).",
                       "Give the container (or the session) CAP_BPF and CAP_PERFMON: --cap-add BPF --cap-add PERFMON. "
                       + BPFTRACE_COST)
    buffer = decide_perf(tracer, None, host, system_wide=True)
    if buffer["allowed"] is False:
        return dict(buffer, explanation=buffer["explanation"] + (
            " bpftrace reads its output through a perf event on every CPU, so it needs what perf -a needs."),
            remediation=(
                "Lower kernel.perf_event_paranoid to 2 for the debugging window (debugready.ptrace.kernel_setting), "
                "where CAP_PERFMON suffices, or run bpftrace with CAP_SYS_ADMIN. " if buffer["reason"] ==
                "perf_paranoid_3_no_unprivileged" else
                "Give root CAP_PERFMON (a container: --cap-add PERFMON). ") + BPFTRACE_COST)
    certain = seccomp is not None and buffer["certain"]
    caveats = [] if seccomp is not None else [
        "Unless this container's seccomp profile refuses bpf() (EPERM), as podman's default does without "
        "CAP_SYS_ADMIN: this engine's default was not measured."]
    if not buffer["certain"]:
        caveats.append("Unless its output buffer, a perf event on every CPU, is refused: %s" % buffer["explanation"])
    if system_wide:
        kprobes = host.get("kprobes")
        if kprobes is False:
            return _result("kprobes_unavailable", "This kernel has no kprobes (CONFIG_KPROBES is not set).",
                           "Use tracepoints (tracepoint:...) or uprobes, which need no kprobes.",
                           allowed=False if certain else None, certain=certain)
        if kprobes is None:
            certain = False
            caveats.append("Unless this kernel has no kprobes: its config cannot be read.")
    what = "kprobe" if system_wide else "uprobe"
    if not tracer.caps_effective & SYS_ADMIN_BIT:
        tracefs = host.get("tracefs_writable")
        if tracefs is False:
            # measured for uprobes on 6.18 and in podman, and for kprobes in podman
            return _result("probe_events_need_tracefs",
                           "Without CAP_SYS_ADMIN the kernel refuses bpftrace the %s perf event (EACCES), and its "
                           "fallback, tracefs's %s_events, is not mounted read-write here." % (what, what),
                           "Run bpftrace with CAP_SYS_ADMIN (root on the host; a container needs --cap-add SYS_ADMIN, "
                           "close to root on the host), or mount tracefs read-write at /sys/kernel/tracing. "
                           + BPFTRACE_COST, allowed=False if certain else None, certain=certain)
        if tracefs is None:
            certain = False
            caveats.append("Unless tracefs cannot take the probe event: without CAP_SYS_ADMIN bpftrace needs it, and "
                           "where it is mounted is not known.")
    if system_wide:
        explanation = "root may attach kprobes with bpftrace here."
    else:
        explanation = "root may attach uprobes to %s[%s] with bpftrace%s." % (
            target.get("comm"), target["pid"],
            " (with CAP_SYS_PTRACE)" if tracer.has_cap_sys_ptrace else " (same ids, dumpable)")
    return _result("allowed", " ".join([explanation] + caveats), None, allowed=True if certain else None,
                   certain=certain)


BCC_COST = ("BCC's tools need root (sudo funccount-bpfcc): CAP_BPF, CAP_PERFMON and, for uprobes, CAP_SYS_ADMIN. "
            "Whoever may run them may read what every process and the kernel hold: keep such a grant group-scoped, "
            "logged and time-boxed.")


def decide_bcc(tracer, target, host, system_wide=False):
    """BCC's verdict for a uprobe in `target` (funccount -p PID LIB:FUNC) or, `system_wide`, a kprobe pattern
    (funccount FUNC). Every BCC tool compiles its program, creates its maps, loads the program and attaches it
    through libbcc, in this order, as measured with BCC 0.26 on Debian's 6.1 and in podman
    (docs/verified-semantics.md section 18):

    1. a kprobe pattern: BCC lists the kernel's functions and reads debugfs's kprobes/blacklist first (ENOENT where
       debugfs is not mounted, EACCES for a user who cannot read a root-only file);
    2. the running kernel's headers, which it compiles against (its own refusal, no errno);
    3. a container's seccomp filter (bpf(): EPERM, as for bpftrace);
    4. its maps need CAP_BPF (EPERM);
    5. with -p it opens the library through /proc/PID/root: ptrace's read check (EACCES, which BCC reports as
       "could not determine address of symbol");
    6. its program (a kprobe-type program) needs CAP_PERFMON (EPERM);
    7. the attach: a kprobe is refused under lockdown confidentiality (EPERM), needs kprobes, and without
       CAP_SYS_ADMIN goes through tracefs, then a CPU-wide perf event (decide_perf's rules: Debian's level 3 wants
       CAP_SYS_ADMIN); a uprobe takes the uprobe PMU with CAP_SYS_ADMIN, else tracefs, where BCC's event name
       (/proc/PID/root and the library's path, the offset, both pids) may pass the kernel's 64 characters (EINVAL).

    host: {"debugfs_mounted", "kernel_headers" (bcc_kernel_headers()), "seccomp_blocks_bpf", "lockdown",
    "tracefs_writable", "kprobes" (system_wide), "perf_event_paranoid", "paranoid_3_denies_all"}; None where unknown.
    """
    verdict = _not_found_or_not_executable(
        tracer, target, system_wide, "Drop the capabilities it cannot have, or run it through sudo.")
    if verdict is not None:
        return verdict
    who = "%s (uid %s)" % (tracer.user, tracer.uid)
    certain = True
    caveats = []
    if system_wide:
        debugfs = host.get("debugfs_mounted")
        if debugfs is False:
            return _result("bcc_kprobe_list_unreadable",
                           "BCC lists the kernel's functions for a kprobe pattern and first reads "
                           "/sys/kernel/debug/kprobes/blacklist; debugfs is not mounted here (ENOENT).",
                           "Mount debugfs at /sys/kernel/debug (a container cannot), or use a tool that attaches a "
                           "named kprobe without a pattern. " + BCC_COST, errno="ENOENT")
        if debugfs and tracer.uid != 0 and not tracer.caps_effective & DAC_READ_BITS:
            return _result("bcc_kprobe_list_unreadable",
                           "BCC lists the kernel's functions for a kprobe pattern and first reads "
                           "/sys/kernel/debug/kprobes/blacklist, which only root may read; %s may not "
                           "(EACCES)." % who,
                           "Run it as root through sudo (the debug_access role's sudo profile with the tool in "
                           "debug_access_tools). " + BCC_COST, errno="EACCES")
        if debugfs is None:
            certain = False
            caveats.append("Unless debugfs is not mounted (BCC reads its kprobes/blacklist first): the mount table "
                           "cannot be read.")
    headers = host.get("kernel_headers") or {}
    if headers.get("found") is False:
        return _result("bcc_kernel_headers_missing",
                       "BCC compiles its program against the running kernel's headers, and finds none: no "
                       "include/linux/kconfig.h under /lib/modules/RELEASE/build (or source), and no "
                       "/sys/kernel/kheaders.tar.xz (CONFIG_IKHEADERS).",
                       "Install the headers of the running kernel (Debian and Ubuntu: linux-headers-$(uname -r); the "
                       "Red Hat family: kernel-devel-$(uname -r)); a container needs the host's headers mounted at "
                       "/lib/modules/$(uname -r). They grant nothing by themselves.", allowed=False if certain else None,
                       certain=certain)
    if headers.get("found") is None:
        certain = False
        caveats.append("Unless BCC finds no kernel headers: %s." % (
            "only the kheaders module holds them here, which root must load" if headers.get("via") ==
            "kheaders_module" else "the kernel's release cannot be read"))
    seccomp = host.get("seccomp_blocks_bpf", False)
    if seccomp:
        return _bpf_blocked_by_seccomp("the tool", BCC_COST, allowed=False if certain else None, certain=certain)
    if seccomp is None:
        certain = False
        caveats.append("Unless this container's seccomp profile refuses bpf() (EPERM), as podman's default does "
                       "without CAP_SYS_ADMIN: this engine's default was not measured.")
    refused = dict(allowed=False if certain else None, certain=certain)
    if not tracer.caps_effective & BPF_BITS:
        return _result("bpf_needs_capabilities",
                       "%s lacks CAP_BPF (and CAP_SYS_ADMIN): the kernel refuses BCC's maps (EPERM)." % who,
                       ("Run it as root through sudo. " if tracer.uid != 0 else
                        "Give the container (or the session) CAP_BPF and CAP_PERFMON. ") + BCC_COST, **refused)
    if not system_wide:
        verdict = _credential_check(tracer, target, host, tracer.has_cap_sys_ptrace)
        if verdict is not None:
            return dict(verdict, errno="EACCES", explanation=verdict["explanation"] + (
                " BCC opens the library through /proc/%s/root, and the kernel checks ptrace's read access for that "
                "(BCC says it could not determine the symbol's address)." % target["pid"]), **refused)
    if not tracer.caps_effective & PERFMON_BITS:
        return _result("bpf_needs_capabilities",
                       "%s lacks CAP_PERFMON (and CAP_SYS_ADMIN): the kernel refuses BCC's kprobe-type program "
                       "(EPERM)." % who, "Give it CAP_PERFMON as well as CAP_BPF. " + BCC_COST, **refused)
    admin = bool(tracer.caps_effective & SYS_ADMIN_BIT)
    confidentiality = host.get("lockdown") == "confidentiality"
    tracefs = host.get("tracefs_writable")
    if system_wide:
        if confidentiality:
            return _result("lockdown_confidentiality",
                           "Kernel lockdown is in confidentiality mode, which refuses kprobes, through the kprobe "
                           "PMU and through tracefs alike (EPERM), root's included.",
                           "None at runtime: lockdown can only be raised until the next boot. Use uprobes, or boot "
                           "without lockdown=confidentiality.", errno="EPERM", **refused)
        kprobes = host.get("kprobes")
        if kprobes is False:
            # bpftrace attaches through the same libbcc function, measured: no kprobe PMU, no kprobe_events
            return _result("kprobes_unavailable", "This kernel has no kprobes (CONFIG_KPROBES is not set).",
                           "Use tracepoints or uprobes, which need no kprobes.", **refused)
        if kprobes is None:
            certain = False
            caveats.append("Unless this kernel has no kprobes: its config cannot be read.")
        if not admin:
            if tracefs is False:
                return _result("probe_events_need_tracefs",
                               "Without CAP_SYS_ADMIN the kernel refuses BCC the kprobe perf event, and its "
                               "fallback, tracefs's kprobe_events, is not mounted read-write here.",
                               "Mount tracefs read-write at /sys/kernel/tracing, or run the tool with "
                               "CAP_SYS_ADMIN. " + BCC_COST, **refused)
            if tracefs is None:
                certain = False
                caveats.append("Unless tracefs cannot take the kprobe event: without CAP_SYS_ADMIN BCC needs it, "
                               "and where it is mounted is not known.")
            # the tracefs event is then opened as a CPU-wide perf event
            event = decide_perf(tracer, None, host, system_wide=True)
            if event["allowed"] is False:
                return dict(event, explanation=event["explanation"] + (
                    " Without CAP_SYS_ADMIN BCC adds its kprobe through tracefs and opens it as a perf event on a "
                    "CPU, which needs what perf -a needs."), remediation=(
                    "Lower kernel.perf_event_paranoid to 2 for the debugging window "
                    "(debugready.ptrace.kernel_setting), or run the tool with CAP_SYS_ADMIN (root on the host). "
                    + BCC_COST))
            if not event["certain"]:
                certain = False
                caveats.append("Unless its perf event is refused: %s" % event["explanation"])
        explanation = "%s may attach kprobes with BCC here." % who
    else:
        if not admin:
            if confidentiality or tracefs is False:
                return _result(
                    "lockdown_confidentiality" if confidentiality else "probe_events_need_tracefs",
                    "Without CAP_SYS_ADMIN the kernel refuses BCC the uprobe perf event (EACCES), and its fallback, "
                    "tracefs's uprobe_events, is %s." % (
                        "closed by lockdown's confidentiality mode (EPERM)" if confidentiality else
                        "not mounted read-write here (ENOENT)"),
                    "Run the tool with CAP_SYS_ADMIN (root on the host; a container needs --cap-add SYS_ADMIN, "
                    "close to root on the host). " + BCC_COST, errno="EPERM" if confidentiality else "ENOENT",
                    **refused)
            return _result(
                "bcc_uprobe_through_tracefs",
                "Without CAP_SYS_ADMIN the kernel refuses BCC the uprobe perf event, and BCC adds the uprobe through "
                "tracefs under an event name made of /proc/%s/root, the library's path, the function's offset and "
                "both pids: the kernel refuses names over 64 characters (EINVAL; libc's on Debian is over it). "
                "Whether this one passes cannot be told beforehand." % target["pid"],
                "Run the tool with CAP_SYS_ADMIN (root on the host), which takes the uprobe PMU. " + BCC_COST,
                allowed=None, certain=False)
        explanation = "%s may attach uprobes to %s[%s] with BCC%s." % (
            who, target.get("comm"), target["pid"],
            " (with CAP_SYS_PTRACE)" if tracer.has_cap_sys_ptrace else " (same ids, dumpable)")
        if confidentiality:
            explanation += (" Under lockdown's confidentiality mode BCC reports an error at exit: it tries to "
                            "remove a tracefs event it never added.")
    return _result("allowed", " ".join([explanation] + caveats), None, allowed=True if certain else None,
                   certain=certain)


def note_kernel_symbols(verdict, visible, kptr_restrict):
    """An allowed (or uncertain) perf, bpftrace or BCC verdict, with a note when the tracer will see kernel
    addresses as zeros (`visible`: _perf.kernel_symbols_visible()): not a refusal, but kernel functions in its
    samples and stacks stay unnamed. User-space-only perf is not concerned."""
    if verdict["allowed"] is False or visible is not False or verdict.get("kernel_samples") is False:
        return verdict
    return dict(verdict, explanation=verdict["explanation"] + (
        " kernel.kptr_restrict is %s: /proc/kallsyms shows this tracer zero addresses, so kernel functions in its "
        "samples and stacks stay unnamed (perf warns that kernel address maps are restricted). For names: %s"
        % (kptr_restrict, "lower it to 1 (debugready.ptrace.kernel_setting) and run the tool with CAP_SYSLOG "
                          "(root); 0 shows kernel addresses to every user once perf_event_paranoid is 1 or less, "
                          "which defeats KASLR." if kptr_restrict >= 2 else
                          "run the tool with CAP_SYSLOG (root, or a copy holding it); lowering it to 0 shows kernel "
                          "addresses to every user once perf_event_paranoid is 1 or less, which defeats KASLR.")))


def note_lsm_not_modelled(verdict, selinux):
    """perf, bpftrace and BCC on a host where SELinux enforces: its perf_event and bpf classes (and the capability
    checks it mediates) can refuse what the kernel's own checks allow, and they are not modelled, so an allowed
    verdict is not certain there."""
    if verdict["allowed"] is not True or not (selinux or {}).get("enforcing"):
        return verdict
    return dict(verdict, certain=False, explanation=verdict["explanation"] + (
        " SELinux is enforcing: its perf_event and bpf permissions (and the capabilities it mediates) could still "
        "refuse (EACCES or EPERM), and they are not modelled here."))


def _with_filecap_note(verdict, tracer):
    """A file-capability tool whose caps did not apply: report that as the cause."""
    if tracer.via != "filecap" or tracer.filecap_problem is None:
        return verdict
    why = {
        "filecap_not_applied_missing": "%s carries no file capabilities" % tracer.tool,
        "filecap_not_applied_nosuid": "%s is on a nosuid mount, where file capabilities are ignored" % tracer.tool,
        "filecap_not_applied_nnp": "the caller runs with no_new_privs, which limits %s's capabilities to "
                                   "those the caller already held" % tracer.tool,
    }[tracer.filecap_problem]
    fix = {
        "filecap_not_applied_missing": "Set them again (debugready.ptrace.file_caps); a package upgrade or a "
                                       "chown drops them.",
        "filecap_not_applied_nosuid": "Keep the tool on a filesystem mounted without nosuid (e.g. /usr/local/bin).",
        "filecap_not_applied_nnp": "Run it from a session without no_new_privs, or use sudo.",
    }[tracer.filecap_problem]
    return dict(verdict, reason=tracer.filecap_problem,
                explanation="%s, so: %s" % (why[0].upper() + why[1:], verdict["explanation"]), remediation=fix)


def _remedy_other_user(tracer, target):
    if tracer.uid == 0:
        return ("Give the container CAP_SYS_PTRACE (--cap-add SYS_PTRACE; securityContext.capabilities.add on "
                "Kubernetes): without it nobody inside, root included, can trace another user's process.")
    owner = target.get("user") or "its user"
    text = "Trace it as root through sudo (a group-scoped, time-boxed grant of the tool)"
    if target.get("dumpable") is False:
        return text + ". " + ROOT_EQUIVALENT
    return text + ", or run the tool as %s (sudo -u %s) where Yama allows it. %s" % (owner, owner, ROOT_EQUIVALENT)


def _remedy_not_dumpable(target, host):
    if target.get("apache"):
        configured = host.get("coredump_directory")
        text = ("Apache workers become dumpable only when CoreDumpDirectory is configured (then restart Apache)"
                + (" - it is configured, so Apache has not been restarted since" if configured else "")
                + "; or trace them as root through sudo.")
        return text + " " + ROOT_EQUIVALENT
    return ("Make it dumpable (prctl(PR_SET_DUMPABLE, 1) in the program, or fs.suid_dumpable=1 before it starts), "
            "or trace it as root through sudo. " + ROOT_EQUIVALENT)


# --- sudo: the step before the kernel's checks when the tool runs through sudo ----------------------

# What sudo answered for one probe command: `rc`, `stdout`, `stderr` of `sudo -n -l -U user CMD` (None when
# sudo was not asked: under no_new_privs it refuses to run at all), `nopasswd` from the model or the listing.
SudoAnswer = collections.namedtuple("SudoAnswer", (
    "account", "runas", "tool_path", "no_new_privs", "rc", "stdout", "stderr", "nopasswd", "interactive"))


def decide_sudo(answer, grants, skipped, model=None):
    """The sudo_* refusal for this answer, or None when sudo runs the command (the kernel decides next)."""
    if answer.no_new_privs:
        return _result("sudo_not_permitted", "sudo refuses to run under no_new_privs, which this session has.",
                       "Trace from a session without no_new_privs (e.g. a normal login), or use a "
                       "file-capability tool.")
    if answer.rc != 0:
        if answer.runas == "root":
            remedy = ("Grant it to a group the user is in, time-boxed: debugready.ptrace.sudoers_grant "
                      "(principals: ['%%debug'], commands: [%s], not_after: 8h). %s" % (
                          answer.tool_path, ROOT_EQUIVALENT))
        else:
            remedy = ("Grant it as %s (runas) to a group the user is in, with debugready.ptrace.sudoers_grant."
                      % answer.runas)
        return _result("sudo_not_permitted",
                       explain_sudo_refusal(answer.account, answer.runas, answer.tool_path, grants, skipped, model),
                       remedy, sudo_check={"rc": answer.rc, "stdout": answer.stdout, "stderr": answer.stderr})
    if answer.nopasswd is False and not answer.interactive:
        return _result("sudo_password_required",
                       "sudoers lets %s run %s as %s, but only with a password, and non-interactive use was "
                       "asked for." % (answer.account["name"], answer.tool_path, answer.runas),
                       "Add NOPASSWD to the grant, or run it interactively (sudo_interactive: true).")
    return None


def explain_sudo_refusal(account, runas, tool_path, grants, skipped, model=None):
    """Why sudo said no: the rule that took it back when the model knows it, else what the grants show."""
    mine = _accounts.principals(account)
    tool = os.path.basename(tool_path)
    reasons = []
    if (model or {}).get("sudo_fails"):
        reasons.append(model["sudo_fails"])
    rule = (model or {}).get("rule")
    if model and model.get("certain") and model.get("allowed") is False and rule and rule.get("negated"):
        where = "%s line %s" % (rule["source"], rule["line"]) if rule.get("line") else rule["source"]
        reasons.append("the rule in %s takes it back (%s)" % (where, rule["command"]))
    relevant = [g for g in grants if g["principal"] in mine and tool in g["tools"]
                and account["name"] not in g.get("excluded", [])]
    for grant in relevant if not reasons else []:
        where = "%s:%s" % (grant["source"], grant["line"]) if grant.get("line") else grant["source"]
        if grant.get("expired"):
            reasons.append("the grant to %s at %s expired at %s" % (grant["principal"], where, grant["not_after_utc"]))
        elif runas not in grant["runas"] and "ALL" not in grant["runas"]:
            reasons.append("the grant to %s at %s allows running it as %s only" % (
                grant["principal"], where, ",".join(grant["runas"])))
        elif grant.get("commands") and all(" " in c for c in grant["commands"]):
            reasons.append("the grant to %s at %s restricts the arguments (%s)" % (
                grant["principal"], where, "; ".join(grant["commands"])))
    if not reasons:
        reasons.append("no sudoers rule lets %s (or a group it is in: %s) run %s as %s" % (
            account["name"], ", ".join(account["groups"]) or "none", tool_path, runas))
    text = "sudo says no: " + "; ".join(reasons) + "."
    ignored = [s["path"] for s in skipped if s["reason"] not in ("not_regular_file",)]
    if ignored:
        text += " sudo ignores %s." % ", ".join(ignored)
    return text
