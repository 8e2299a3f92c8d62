# -*- coding: utf-8 -*-
# Copyright (c) 2026, debugready.ptrace contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""trace_check's work: build the tracer and targets from the host, ask sudo, decide, and probe.

The kernel's answer comes from _verdict.decide(); this file only gathers its inputs and
adds what sudo says. Commands run through `run(argv) -> (rc, out, err)`.
"""

from __future__ import annotations

import os
import re
import stat
import sys

from ansible_collections.debugready.ptrace.plugins.module_utils import (
    _accounts, _apache, _attach, _caps, _command, _container, _hoststate, _lsm, _perf, _procs, _sudoers_match, _tools,
    _verdict,
)

VIAS = ("direct", "sudo", "filecap")
NEEDED_SECTIONS = ("yama", "lsm", "sudoers")

# The options of one request, as trace_check takes them and ptrace_facts' `trace` entries do.
REQUEST_OPTIONS = dict(
    user=dict(type="str", required=True),
    pid=dict(type="list", elements="int"),
    process=dict(type="str"),
    process_user=dict(type="str"),
    via=dict(type="str", choices=list(VIAS), default="direct"),
    runas=dict(type="str", default="root"),
    filecap_path=dict(type="path"),
    tool=dict(type="str", default="strace"),
    system_wide=dict(type="bool", default=False),
    probe=dict(type="bool", default=False),
    probe_timeout=dict(type="float", default=2),
    sudo_interactive=dict(type="bool", default=False),
)


class TraceCheckError(Exception):
    """Bad input: the module turns it into fail_json without touching anything."""


class NoTargets(TraceCheckError):
    """No process matched: a fact about the host rather than a mistake in the request."""


# perf (and a versioned or renamed copy: perf_6.1, perf-debug) asks perf_event_open; bpftrace asks bpf() and
# perf_event_open as root; BCC's tools (Debian's execsnoop-bpfcc, or upstream's /usr/share/bcc/tools/execsnoop)
# compile against the kernel's headers, then ask bpf() and perf_event_open; every other tool (strace, gdb, ltrace)
# asks ptrace.
PERF_NAME = re.compile(r"^perf(?:[-_.].*)?$")
BPFTRACE_NAME = re.compile(r"^bpftrace(?:[-_.].*)?$")
BCC_TOOLS_DIR = "/usr/share/bcc/tools/"
PROBED_KINDS = ("perf", "bpftrace", "bcc")
# BCC's probe is funccount: its tools share libbcc's steps, and funccount takes a PID, a uprobe or kprobe pattern
# and a duration.
BCC_PROBE_TOOL = "funccount"


def tool_kind(tool):
    """"perf", "bpftrace", "bcc" or "ptrace": which checks decide for this tool (by its name, or an absolute
    path's)."""
    tool = tool or "strace"
    name = os.path.basename(tool)
    if PERF_NAME.match(name):
        return "perf"
    if BPFTRACE_NAME.match(name):
        return "bpftrace"
    if name.endswith(_perf.BCC_SUFFIX) and len(name) > len(_perf.BCC_SUFFIX) or tool.startswith(BCC_TOOLS_DIR):
        return "bcc"
    return "ptrace"


def is_bcc_probe_tool(tool):
    """Whether `tool` is BCC's funccount (funccount-bpfcc, or upstream's tools dir), the one BCC tool probed."""
    name = os.path.basename(tool or "")
    return name == BCC_PROBE_TOOL + _perf.BCC_SUFFIX or tool == BCC_TOOLS_DIR + BCC_PROBE_TOOL


def validate(params):
    """Checks of a request that need no host; raises TraceCheckError."""
    if params.get("system_wide"):
        if tool_kind(params.get("tool")) not in PROBED_KINDS:
            raise TraceCheckError("system_wide applies only to perf (every CPU), bpftrace and BCC (a kprobe)")
        if params.get("pid") is not None or params.get("process") is not None:
            raise TraceCheckError("system_wide takes no pid or process: it watches the whole system")
    elif params.get("pid") is not None and params.get("process") is not None:
        raise TraceCheckError("pid and process are mutually exclusive")
    elif params.get("pid") is None and params.get("process") is None:
        raise TraceCheckError("one of pid or process is required (or system_wide with tool: perf)")
    if params.get("pid") is not None and (not params["pid"] or any(p <= 0 for p in params["pid"])):
        raise TraceCheckError("pid must be a non-empty list of positive process IDs")
    timeout = params.get("probe_timeout", 2)
    if not 0.5 <= timeout <= 30:
        raise TraceCheckError("probe_timeout must be between 0.5 and 30 seconds, got %s" % timeout)
    via = params.get("via", "direct")
    if via not in VIAS:
        raise TraceCheckError("via must be one of %s, got %r" % (", ".join(VIAS), via))
    if via == "filecap" and not params.get("filecap_path"):
        raise TraceCheckError("via is filecap but filecap_path is missing")
    filecap_path = params.get("filecap_path")
    if filecap_path is not None and (not filecap_path.startswith("/") or "\x00" in filecap_path):
        raise TraceCheckError("filecap_path must be an absolute path (without NUL bytes), got %r" % filecap_path)
    if via != "sudo" and (params.get("runas") or "root") != "root":
        raise TraceCheckError("runas applies only with via: sudo")
    if params.get("process_user") and params.get("process") is None:
        raise TraceCheckError("process_user needs process")


def _describe_target(pid, root="/"):
    try:
        target = _procs.describe(pid, root)
    except _procs.ProcessGone:
        return None
    uids = target["uids"]
    target["user"] = _accounts.name_of_uid(uids[1]) if len(uids) > 1 else None
    target["label"] = _lsm.process_label(pid, root)
    target["apache"] = target["comm"] in _apache.APACHE_NAMES
    return target


def resolve_targets(pids=None, process=None, root="/", process_user=None, comms=None):
    """[(pid, target dict or None)] for the PIDs given, or every process named `process` (of `process_user`)."""
    if process is not None:
        euid = _accounts.resolve(process_user)["uid"] if process_user else None
        pids = _procs.find_by_name(process, root, euid, comms)
        if not pids:
            raise NoTargets("no process named %r%s is running (names are matched against /proc/PID/comm)"
                            % (process, " of user %s" % process_user if process_user else ""))
    return [(pid, _describe_target(pid, root)) for pid in pids]


def resolve_tool(tool, via, filecap_path, root="/"):
    if via == "filecap":
        try:
            st = os.stat(filecap_path)
        except OSError as exc:
            raise TraceCheckError("filecap_path %s: %s" % (filecap_path, os.strerror(exc.errno or 0)))
        if not stat.S_ISREG(st.st_mode):
            raise TraceCheckError("filecap_path %s is not a regular file" % filecap_path)
        return filecap_path
    if tool.startswith("/"):
        if not os.path.isfile(tool):
            raise TraceCheckError("tool %s does not exist" % tool)
        return tool
    if not _tools.TOOL_NAME.match(tool):
        raise TraceCheckError("tool must be a program name or an absolute path, not %r" % tool)
    path = _tools.find_tool(tool, root)
    if path is None:
        raise TraceCheckError("tool %s is not installed (looked in %s)" % (tool, ", ".join(_tools.SEARCH_DIRS)))
    return path


def build_tracer(account, via, runas_account, tool_path, self_proc, root="/"):
    """The _verdict.Tracer for this user and path, plus a dict describing it for the result."""
    bounding = self_proc["capabilities"]["bounding"] or 0
    nnp = self_proc["no_new_privs"]
    filecaps = nosuid = None
    if via == "sudo":
        runner = runas_account
        is_root = runas_account["uid"] == 0
    else:
        runner = account
        is_root = account["uid"] == 0
    if via == "filecap":
        try:
            filecaps = _caps.read_file_caps(tool_path)
        except (OSError, _caps.CapsFormatError):
            filecaps = None
        options = _procs.mount_options(tool_path, root) or set()
        nosuid = "nosuid" in options
    effective, permitted, exec_fails, problem = _verdict.tracer_caps_for(
        via, is_root, bounding if is_root else 0, bounding, filecaps, bool(nosuid), nnp, 0)
    tracer = _verdict.Tracer(
        account["name"], runner["uid"], runner["gid"], effective, permitted,
        seccomp_mode=self_proc["seccomp_mode"], via=via, runas=runas_account["name"] if via == "sudo" else None,
        tool=os.path.basename(tool_path), filecap_problem=problem, exec_fails=exec_fails)
    info = {
        "user": account["name"], "uid": account["uid"], "groups": account["groups"], "via": via,
        "runas": tracer.runas, "runs_as_uid": runner["uid"], "tool": tool_path,
        "cap_sys_ptrace": tracer.has_cap_sys_ptrace,
        "filecaps": _caps.to_text(filecaps) if filecaps else (None if via != "filecap" else ""),
        "filecap_problem": problem, "nosuid_mount": nosuid, "no_new_privs": nnp,
    }
    return tracer, info


def probe_command(via, tool_path, pid, account, runas, seconds, sudo_path=None, kind="ptrace"):
    """The probe as the tracing user would run it: the tool itself, or through sudo."""
    command = [tool_path]
    if via == "sudo":
        command = [sudo_path, "-n"] + (["-u", runas] if runas != "root" else []) + command
    return _attach.as_user_argv(account["uid"], account["gid"], _attach.probe_argv(kind, command, pid, seconds))


def sudo_model(policy, account, runas_account, tool_path, args, hostname):
    """What the sudoers model says of `sudo -u runas tool args` for this user, and its NOPASSWD."""
    if policy is None:
        return None, None
    request = _sudoers_match.Request(account, tool_path, args, runas=runas_account, hostname=hostname,
                                     lookup=_accounts.lookup)
    decision = policy.decide(request)
    model = decision.as_dict()
    model["parser"] = policy.parser
    return model, policy.evaluator.nopasswd(decision, request)


def sudo_check_argv(sudo_path, account, runas_account, tool_path, args):
    """The `sudo -n -l -U` question whose answer decides whether the probe command (tool args) would run."""
    return _attach.sudo_check_argv(sudo_path, account["name"], [tool_path] + list(args), runas_account["name"])


def sudo_verdict(run, sudo_path, account, runas_account, tool_path, args, listing, interactive, policy, grants,
                 skipped, nnp, hostname=None):
    """(a sudo_* refusal or None when sudo lets the user run the probe command, what sudo and the model said).

    sudo itself decides (`sudo -n -l -U`); the model explains which rule did it, and is checked
    against sudo on every call (`model_agrees`).
    """
    runas = runas_account["name"]
    command = [tool_path] + list(args)
    # sudo is asked without -u for root, so the model asks for the default target the same way.
    model, nopasswd = sudo_model(policy, account, None if runas == "root" else runas_account, tool_path,
                                 command[1:], hostname)
    info = {"model": model}
    rc = out = err = None
    if not nnp:  # sudo refuses to run at all under no_new_privs: nothing to ask
        rc, out, err = run(sudo_check_argv(sudo_path, account, runas_account, tool_path, args))
        info.update({"rc": rc, "permitted": rc == 0})
        if model is not None:
            info["model_agrees"] = None if not model["certain"] else model["allowed"] == (rc == 0)
        if rc == 0:
            if nopasswd is None:
                nopasswd = _attach.listing_nopasswd(listing or "", tool_path, runas)
            info["nopasswd"] = nopasswd
    answer = _verdict.SudoAnswer(account=account, runas=runas, tool_path=tool_path, no_new_privs=bool(nnp), rc=rc,
                                 stdout=out, stderr=err, nopasswd=nopasswd, interactive=bool(interactive))
    return _verdict.decide_sudo(answer, grants, skipped, model), info


def apache_summary(targets, root="/", comms=None):
    apache = [t for t in targets if t and t.get("apache")]
    if not apache:
        return None
    # Only Apache's processes are described: reading every /proc/PID/status costs ~0.1 ms each.
    pids = _procs.find_by_names(_apache.APACHE_NAMES, root, comms)
    all_apache = [t for t in (_describe_target(pid, root) for pid in pids) if t and t["apache"]]
    roles = _apache.roles(all_apache)
    for target in apache:
        target["role"] = roles.get(target["pid"])
    directory, source = _apache.coredump_directory(root)
    workers = [t for t in all_apache if roles.get(t["pid"]) == "worker"]
    return {
        "master_pids": [t["pid"] for t in all_apache if roles.get(t["pid"]) == "master"],
        "worker_pids": [t["pid"] for t in workers],
        "worker_users": sorted(set(t["user"] for t in workers)),
        "workers_dumpable": sorted(set(str(t["dumpable"]) for t in workers)) == ["True"] if workers else None,
        "coredump_directory": directory,
        "coredump_directory_source": source,
    }


def check(params, run, in_check_mode=False, root="/", snapshot=None, sudoers=None, hostname=None):
    """The trace_check result, or TraceCheckError for bad input.

    `snapshot` is a gather() result with yama, lsm and sudoers when the caller has one already,
    and `sudoers` the Policy it was computed from.
    """
    via = params.get("via", "direct")
    try:
        account = _accounts.resolve(params["user"])
        runas_account = _accounts.resolve(params.get("runas") or "root")
    except _accounts.AccountError as exc:
        raise TraceCheckError(str(exc))
    if os.geteuid() != 0 and account["uid"] != os.geteuid():
        raise TraceCheckError("only root can answer for another user (%s): use become: true" % account["name"])
    kind = tool_kind(params.get("tool"))
    system_wide = bool(params.get("system_wide"))
    if params.get("probe") and kind == "ptrace" and os.path.basename(params.get("tool") or "strace") != "strace":
        raise TraceCheckError("probe: true runs strace, perf, bpftrace or BCC's funccount; %s asks the kernel the "
                              "same ptrace question as strace, so probe with tool: strace" % params["tool"])
    if params.get("probe") and kind == "bcc" and not is_bcc_probe_tool(params["tool"]):
        raise TraceCheckError("probe: true runs BCC's funccount; %s takes the same steps through libbcc (headers, "
                              "maps, program, attach), so probe with tool: funccount-bpfcc (or %s%s)" % (
                                  params["tool"], BCC_TOOLS_DIR, BCC_PROBE_TOOL))
    tool_path = resolve_tool(params.get("tool") or "strace", via, params.get("filecap_path"), root)
    sudo_path = None
    if via == "sudo":
        sudo_path = _tools.find_tool("sudo", root)
        if sudo_path is None:
            raise TraceCheckError("via: sudo, but sudo is not installed")
    try:
        # One pass over /proc/PID/comm serves both the lookup by name and the Apache summary.
        comms = _procs.comm_table(root) if params.get("process") else None
        pairs = [(None, None)] if system_wide else resolve_targets(
            params.get("pid"), params.get("process"), root, params.get("process_user"), comms)
    except _accounts.AccountError as exc:
        raise TraceCheckError("process_user: %s" % exc)
    if snapshot is None:
        models = {}
        snapshot = _hoststate.gather(root=root, sections=NEEDED_SECTIONS, run=run, validate_sudoers=False,
                                     tool_versions=False, hostname=hostname, models=models)
        sudoers = models.get("sudoers")
    self_proc = _procs.describe("self", root)
    tracer, tracer_info = build_tracer(account, via, runas_account, tool_path, self_proc, root)
    targets = [pair[1] for pair in pairs]
    apache = apache_summary(targets, root, comms)
    host = {
        "yama_scope": snapshot["yama"]["scope"],
        "selinux": selinux_host(snapshot["lsm"]["selinux"], tool_path, account, run, root)
        if kind == "ptrace" else snapshot["lsm"]["selinux"],
        "apparmor": apparmor_host(snapshot["lsm"]["apparmor"], tool_path, run, root)
        if kind == "ptrace" else snapshot["lsm"]["apparmor"],
        "coredump_directory": bool(apache and apache["coredump_directory"]),
    }
    if kind == "ptrace":
        for dummy, target in pairs:
            if target is not None:
                target["apparmor"] = apparmor_target(host["apparmor"], target, root)
                target["selinux"] = selinux_target(host["selinux"], target, root)
    if kind == "perf":
        host.update(perf_host(snapshot, self_proc, root))
    elif kind == "bpftrace":
        host.update(bpf_host(snapshot, self_proc, root, system_wide))
    elif kind == "bcc":
        host.update(bcc_host(snapshot, self_proc, root, system_wide))
    if kind in PROBED_KINDS:
        tracer_info["kernel_symbols"] = _perf.kernel_symbols_visible(
            host["kptr_restrict"], host["perf_event_paranoid"], tracer.caps_effective & _verdict.SYSLOG_BIT)
    seconds = params.get("probe_timeout", 2)
    # the probe command's arguments per target, which sudo is asked about too
    tool_args = dict((pid, _attach.tool_args(kind, pid, seconds)) for pid, dummy in pairs)
    # sudo's answers (the listing, one `sudo -l` per process, each parsing the whole tree) are all started
    # at once; probes run one after the other.
    with _command.Overlapped(run) as commands:
        run = commands.run
        listing = None
        if via == "sudo":
            argv = [sudo_path, "-l", "-U", account["name"]]
            commands.start(argv)
            if not self_proc["no_new_privs"]:
                for pid, target in pairs:
                    if target is not None or system_wide:
                        commands.start(sudo_check_argv(sudo_path, account, runas_account, tool_path,
                                                       tool_args[pid]))
            listing = run(argv)[1]
        do_probe = bool(params.get("probe")) and (not in_check_mode or params.get("probe_in_check_mode", True))
        results = []
        for pid, target in pairs:
            verdict = sudo_info = None
            if via == "sudo" and (target is not None or system_wide):
                verdict, sudo_info = sudo_verdict(run, sudo_path, account, runas_account, tool_path,
                                                  tool_args[pid], listing,
                                                  params.get("sudo_interactive", False), sudoers,
                                                  snapshot["sudoers"]["grants"], snapshot["sudoers"]["skipped"],
                                                  self_proc["no_new_privs"], hostname)
            if verdict is None and kind == "perf":
                verdict = _verdict.decide_perf(tracer, target, host, system_wide)
            elif verdict is None and kind == "bpftrace":
                verdict = _verdict.decide_bpftrace(tracer, target, host, system_wide)
            elif verdict is None and kind == "bcc":
                verdict = _verdict.decide_bcc(tracer, target, host, system_wide)
            elif verdict is None:
                verdict = _verdict.decide(tracer, target, host)
            if kind in PROBED_KINDS:
                verdict = _verdict.note_kernel_symbols(verdict, tracer_info["kernel_symbols"], host["kptr_restrict"])
                verdict = _verdict.note_lsm_not_modelled(verdict, host["selinux"])
            entry = {"pid": pid, "system_wide": system_wide, "comm": target["comm"] if target else None,
                     "user": target["user"] if target else None,
                     "uids": target["uids"] if target else None,
                     "dumpable": target["dumpable"] if target else None,
                     "role": target.get("role") if target else None}
            if target is not None and kind == "ptrace":
                entry["apparmor"] = target.get("apparmor")
                entry["selinux"] = target.get("selinux")
            entry.update(verdict)
            if sudo_info is not None:
                entry["sudo"] = sudo_info
            if do_probe and (target is not None or system_wide):
                entry["probe"] = run_probe(run, via, tool_path, pid, account, runas_account["name"], seconds,
                                           sudo_path, verdict, kind)
            results.append(entry)

    return {
        "allowed": all(r["allowed"] is True for r in results),
        "targets": results,
        "tracer": tracer_info,
        "host": {"yama_scope": host["yama_scope"], "yama_present": snapshot["yama"]["present"],
                 "perf_event_paranoid": host.get("perf_event_paranoid"), "kptr_restrict": host.get("kptr_restrict"),
                 "paranoid_3_denies_all": host.get("paranoid_3_denies_all"),
                 "seccomp_blocks_perf": host.get("seccomp_blocks_perf"),
                 "seccomp_blocks_bpf": host.get("seccomp_blocks_bpf"),
                 "kprobes": host.get("kprobes"), "lockdown": host.get("lockdown"),
                 "kernel_headers": host.get("kernel_headers"), "debugfs_mounted": host.get("debugfs_mounted"),
                 "selinux": host["selinux"], "apparmor": host["apparmor"],
                 "sys_ptrace_in_bounding_set": bool((self_proc["capabilities"]["bounding"] or 0)
                                                    >> _caps.CAP_SYS_PTRACE & 1)},
        "apache": apache,
        "kind": kind,
        "mismatches": [r["pid"] if r["pid"] is not None else "system" for r in results
                       if r.get("probe") and r["probe"]["matches"] is False],
    }


def apparmor_host(facts, tool_path, run, root="/"):
    """AppArmor's part in a ptrace verdict: the facts, whether profiles are loaded (`in_play`) and the label the tool
    runs under (`tracer`, apparmor_label(); None when unknown). Where no profile is loaded every process is
    unconfined and the tool is not executed."""
    result = dict(facts, in_play=False, tracer=None)
    if not facts.get("enabled"):
        return result
    own = _lsm.apparmor_label(_lsm.process_label("self", root))
    # no profiles readable (a container) but this process confined: the host's profile is in play
    result["in_play"] = bool(facts.get("profiles")) or bool(own and own["confined"])
    if not result["in_play"]:
        return result
    if own is not None and not own["confined"]:
        # the tool executed from an unconfined process: the exec transition a user's shell or sudo makes too
        result["tracer"] = _lsm.apparmor_label(_lsm.tool_label(tool_path, run, sys.executable))
    return result


def selinux_host(facts, tool_path, account, run, root="/"):
    """SELinux's part in a ptrace verdict: the facts, the context the tool runs in (`tracer`: executed from this
    process, which is what sudo and a shell of the same domain do; None when unknown), whether that domain may use
    CAP_SYS_PTRACE (`cap_sys_ptrace`) and is permissive, and `login_differs`: the tracer's user logs in as another
    SELinux user than this process runs as, so a login of theirs may run in another domain."""
    result = dict(facts, tracer=None, cap_sys_ptrace=None, permissive=None, login_differs=False)
    if not facts.get("enabled"):
        return result
    own = _lsm.process_label("self", root)
    tracer = _lsm.tool_label(tool_path, run, sys.executable)
    result["tracer"] = tracer
    if tracer:
        answer = _lsm.selinux_access(tracer, tracer, "capability", "sys_ptrace", root)
        if answer is not None:
            result["cap_sys_ptrace"] = answer["allowed"]
            result["permissive"] = answer["permissive"]
    seuser = _lsm.selinux_seuser(account["name"], root, facts.get("policy"))
    result["login_differs"] = bool(own and seuser and own.split(":")[0] != seuser)
    return result


def selinux_target(selinux, target, root="/"):
    """The target's SELinux context and the policy's answer: may the tracer's domain ptrace it (see
    _verdict._selinux_check)."""
    context = target.get("label") if selinux.get("enabled") else None
    result = {"context": context, "ptrace": None}
    if context and selinux.get("tracer"):
        answer = _lsm.selinux_access(selinux["tracer"], context, "process", "ptrace", root)
        result["ptrace"] = None if answer is None else answer["allowed"]
    return result


def apparmor_target(apparmor, target, root="/"):
    """The target's AppArmor label and the kernel's answers for this tracer (see _verdict._apparmor_check)."""
    label = _lsm.apparmor_label(target.get("label"))
    tracer = apparmor.get("tracer")
    result = {"label": label, "trace": None, "tracedby": None}
    if tracer is None or label is None:
        return result
    if tracer["confined"]:
        perms = _lsm.apparmor_ptrace_perms(tracer["label"], label["label"], root)
        result["trace"] = None if perms is None else bool(perms["allow"] & _lsm.APPARMOR_TRACE)
    else:
        result["trace"] = True
    if label["confined"] and tracer["confined"]:
        perms = _lsm.apparmor_ptrace_perms(label["label"], tracer["label"], root)
        result["tracedby"] = None if perms is None else bool(perms["allow"] & _lsm.APPARMOR_TRACEDBY)
    else:
        result["tracedby"] = True  # only a confined tracer meets the target's rules (measured)
    return result


def perf_host(snapshot, self_proc, root="/", config=None):
    """perf_event_paranoid, whether its level 3 refuses everything, and whether a container's seccomp profile
    refuses perf_event_open: from the snapshot's sections when it has them, else read now (trace_check alone
    does not gather them). `config`: the kernel's config text when the caller has read it already."""
    perf = snapshot.get("perf")
    if perf:
        return {"perf_event_paranoid": perf["settings"]["kernel.perf_event_paranoid"]["runtime"],
                "kptr_restrict": perf["settings"]["kernel.kptr_restrict"]["runtime"],
                "paranoid_3_denies_all": perf["paranoid_3_denies_all"],
                "seccomp_blocks_perf": perf["seccomp_blocks_perf"]}
    container = snapshot.get("container") or _container.detect(root)
    return {"perf_event_paranoid": _perf.runtime_value("kernel.perf_event_paranoid", root),
            "kptr_restrict": _perf.runtime_value("kernel.kptr_restrict", root),
            "paranoid_3_denies_all": _perf.paranoid_3_denies_all(root, config=config),
            "seccomp_blocks_perf": _perf.seccomp_blocks_perf(
                container, self_proc["seccomp_mode"], self_proc["capabilities"]["bounding"] or 0)}


def bpf_host(snapshot, self_proc, root="/", system_wide=False, mounts=None):
    """What decides for bpftrace besides the tracer: lockdown, a container's seccomp filter, perf_event_paranoid
    (its output buffer), whether tracefs can take probe events, and for a kprobe the kernel's kprobes. `mounts`:
    tracing_mounts() when the caller has read them."""
    perf = snapshot.get("perf") or {}
    tracefs = perf.get("tracefs") or (mounts or _perf.tracing_mounts(root))["tracefs"]
    # a kprobe needs the kernel's config (about 260 KB): read once for kprobes and, without the perf section, level 3
    config = _perf.read_kernel_config(root) if system_wide else None
    found = perf_host(snapshot, self_proc, root, config)  # its output buffer is a CPU-wide perf event
    found.update({"seccomp_blocks_bpf": found.pop("seccomp_blocks_perf"),  # the same filter rule, measured
                  "tracefs_writable": _perf.probe_events_writable(tracefs),
                  "lockdown": (perf.get("lockdown") or _perf.lockdown(root))["mode"]})
    if system_wide:
        found["kprobes"] = _perf.kprobes_available(root, config=config)
    return found


def bcc_host(snapshot, self_proc, root="/", system_wide=False):
    """What decides for BCC besides the tracer: bpf_host()'s answers, whether debugfs is mounted (a kprobe
    pattern's list starts there) and whether BCC finds the kernel's headers."""
    perf = snapshot.get("perf") or {}
    mounts = None if perf else _perf.tracing_mounts(root)
    found = bpf_host(snapshot, self_proc, root, system_wide, mounts)
    debugfs = perf.get("debugfs") or mounts["debugfs"]
    # BCC reads /sys/kernel/debug/kprobes/blacklist: debugfs mounted anywhere else does not count
    found["debugfs_mounted"] = None if debugfs["mounted"] is None else (
        debugfs["mounted"] and debugfs["path"] == _perf.DEBUGFS_PATH)
    found["kernel_headers"] = perf.get("bcc_kernel_headers") or _perf.bcc_kernel_headers(root)
    return found


def run_probe(run, via, tool_path, pid, account, runas, seconds, sudo_path, verdict, kind="ptrace"):
    argv = probe_command(via, tool_path, pid, account, runas, seconds, sudo_path, kind)
    rc, out, err = run(argv)
    observed = _attach.interpret(kind, rc, out, err, pid)
    predicted = verdict["allowed"]
    observed.update({
        "rc": rc,
        "command": argv,
        "matches": None if predicted is None else predicted == observed["attached"],
    })
    return observed


def summarise(request, result):
    """One line per trace request, for reports."""
    if "error" in result:
        return "%s: %s" % (request["user"], result["error"])
    if request.get("system_wide"):
        what = "all CPUs (system-wide)"
    elif request.get("process"):
        what = "%d %s process(es)" % (len(result["targets"]), request["process"])
    else:
        what = "PID %s" % ",".join(str(t["pid"]) for t in result["targets"])
    via = request.get("via") or "direct"
    if result["allowed"]:
        return "%s may trace %s via %s" % (request["user"], what, via)
    reasons = sorted(set(t["reason"] for t in result["targets"] if not t["allowed"]))
    return "%s may not trace %s via %s: %s" % (request["user"], what, via, ", ".join(reasons))


def verdicts(requests, facts, run, in_check_mode=False, root="/", sudoers=None, hostname=None):
    """check() for each request on a snapshot already gathered (ptrace_facts' `trace`).

    A request this host cannot answer (no such user or process) becomes an entry with `error`.
    """
    answers = []
    for request in requests:
        try:
            result = check(request, run, in_check_mode=in_check_mode, root=root, snapshot=facts, sudoers=sudoers,
                           hostname=hostname)
        except NoTargets as exc:
            result = {"allowed": False, "error": str(exc), "no_targets": True}
        except TraceCheckError as exc:
            result = {"allowed": False, "error": str(exc)}
        result["request"] = dict((k, v) for k, v in request.items() if v is not None)
        result["summary"] = summarise(request, result)
        answers.append(result)
    return answers
