# -*- coding: utf-8 -*-
# Copyright (c) 2026, debugready.ptrace contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Asking sudo, and really attaching: the two places trace_check talks to the live system.

Commands run through a runner `run(argv) -> (rc, out, err)` supplied by the module.
"""

from __future__ import annotations

import re

from ansible_collections.debugready.ptrace.plugins.module_utils import _sudoers_syntax

_LISTING_HEADER = re.compile(r"^User \S+ may run the following commands on .*:$")
_ATTACH_ERROR = re.compile(r"attach: ptrace\((?:PTRACE_SEIZE|PTRACE_ATTACH), \d+\): (.*)$", re.MULTILINE)
_PERF_COUNT = re.compile(r"^[^,\n]*,[^,\n]*,task-clock(?::u)?,", re.MULTILINE)
_ERRNO_TEXT = {"Operation not permitted": "EPERM", "Permission denied": "EACCES", "No such process": "ESRCH"}


def sudo_check_argv(sudo, user, command, runas=None):
    """`sudo -n -l -U user [-u runas] CMD...`: exit 0 when sudoers permits CMD (password or not)."""
    argv = [sudo, "-n", "-l", "-U", user]
    if runas and runas != "root":
        argv += ["-u", runas]
    return argv + list(command)


def listing_entries(text):
    """The command entries of `sudo -l -U user` output, each joined onto one line."""
    entries = []
    in_commands = False
    for line in text.splitlines():
        if _LISTING_HEADER.match(line.strip()):
            in_commands = True
            continue
        if not in_commands or not line.strip():
            continue
        if line.startswith("        ") and entries:
            entries[-1] += " " + line.strip()
        elif line.startswith("    "):
            entries.append(line.strip())
    return entries


def listing_nopasswd(text, tool_path, runas="root"):
    """Whether the last listed entry matching the tool as `runas` is NOPASSWD; None when none matches.

    The fallback when the sudoers model cannot say (sudo's listing is its own, but loses files).
    """
    result = None
    name = tool_path.rsplit("/", 1)[-1]
    for entry in listing_entries(text):
        try:
            specs = _sudoers_syntax.parse_command_specs(entry)
        except _sudoers_syntax.SyntaxProblem:
            continue
        for spec in specs:
            runas_names = [m.text() for m in spec.runas_users or [] if not m.negated] or ["root"]
            if runas not in runas_names and "ALL" not in runas_names:
                continue
            command = spec.command
            if command.negated or command.kind == "alias":
                continue
            if command.kind == "command" and command.value.path not in (tool_path, "") and \
                    command.value.path.rsplit("/", 1)[-1] != name:
                continue
            result = spec.options.get("authenticate") is False
    return result


def as_user_argv(uid, gid, command):
    """Run `command` with the user's real/effective ids and groups; the kernel drops root's caps."""
    if uid == 0:
        return list(command)
    return ["setpriv", "--reuid=%d" % uid, "--regid=%d" % gid, "--init-groups", "--"] + list(command)


def strace_args(pid):
    """Arguments for an attach that records nothing."""
    return ["-p", str(pid), "-e", "trace=none", "-o", "/dev/null"]


def _session_with_deadline(seconds, command):
    """`command` in a session of its own, sent SIGINT after `seconds` and SIGKILL 5 s later (see
    strace_probe_argv for why the session)."""
    return ["timeout", "-s", "INT", "-k", "5", str(seconds), "setsid"] + list(command)


def _asks_for_password(text):
    return "a password is required" in text or "interactive authentication is required" in text  # sudo, sudo-rs


def strace_probe_argv(command, pid, seconds):
    """`command` (the tool, or sudo ... tool) attaching to `pid`, interrupted after `seconds`.

    SIGINT makes strace detach and exit; SIGKILL follows 5 s later if it is stuck. PTRACE_SEIZE
    does not stop the target, and a tracer that exits is detached by the kernel, so the target
    keeps running whatever happens to the probe.
    The command runs in a session of its own (setsid): sudo 1.9.5 (Debian 11) running the command
    in a pty (log_output) ignores a signal sent by a process of its own process group, as timeout
    is, so the SIGINT never reached strace and every probe through sudo ended in SIGKILL. timeout's
    child is never a process group leader (timeout leads its group), so setsid execs, no fork.
    """
    return _session_with_deadline(seconds, list(command) + strace_args(pid))


# perf's probe counts one software event: every kernel has it, a VM without a PMU included.
PERF_EVENT = "task-clock"


def perf_args(pid, seconds):
    """`perf stat` counting PERF_EVENT on `pid` (None: system-wide) for `seconds`, one CSV line per event."""
    return ["stat", "-x", ",", "-e", PERF_EVENT] + (["-a"] if pid is None else ["-p", str(pid)]) + [
        "--", "sleep", "%g" % seconds]


# bpftrace's probe: a uprobe on a libc function in the target (-p resolves "libc" in its maps) or, system-wide, a
# kprobe; an interval probe ends the run. Attaching needs the same privileges whatever the function is.
BPFTRACE_UPROBE = "uprobe:libc:getpid"
BPFTRACE_KPROBE = "kprobe:vfs_read"


def bpftrace_args(pid, seconds):
    """bpftrace attaching a uprobe in `pid` (None: a kprobe) and exiting after `seconds`."""
    program = "%s { } interval:ms:%d { exit(); }" % (BPFTRACE_KPROBE if pid is None else BPFTRACE_UPROBE,
                                                     max(1, int(seconds * 1000)))
    return (["-p", str(pid)] if pid is not None else []) + ["-e", program]


# BCC's probe: funccount counting calls of a libc function in the target (-p PID c:FUNC: a uprobe) or, system-wide,
# of a kernel function (a kprobe), for whole seconds (-d). It exits 0 whatever happened: its text tells.
BCC_UPROBE = "c:getpid"
BCC_KPROBE = "vfs_read"


def bcc_args(pid, seconds):
    """funccount attaching a uprobe in `pid` (None: a kprobe) and exiting after `seconds`, rounded up."""
    duration = str(max(1, int(-(-seconds // 1))))
    return ["-d", duration] + (["-p", str(pid), BCC_UPROBE] if pid is not None else [BCC_KPROBE])


def tool_args(kind, pid, seconds):
    """The arguments of the probe command for a tool of this kind ("perf", "bpftrace", "bcc", or any other: strace's),
    which sudo is asked about too."""
    if kind == "perf":
        return perf_args(pid, seconds)
    if kind == "bpftrace":
        return bpftrace_args(pid, seconds)
    if kind == "bcc":
        return bcc_args(pid, seconds)
    return strace_args(pid)


def probe_argv(kind, command, pid, seconds):
    """The probe for a tool of this kind: strace interrupted after `seconds`; perf, bpftrace and BCC, which stop by
    themselves, with a deadline in case they hang (bpftrace compiles its program first: seconds under TCG)."""
    if kind == "perf":
        return _session_with_deadline(seconds + 10, list(command) + perf_args(pid, seconds))
    if kind == "bpftrace":
        return _session_with_deadline(seconds + 60, list(command) + bpftrace_args(pid, seconds))
    if kind == "bcc":
        # clang compiles BCC's program first: several seconds, more under TCG
        return _session_with_deadline(seconds + 90, list(command) + bcc_args(pid, seconds))
    return strace_probe_argv(command, pid, seconds)


def interpret(kind, rc, out, err, pid):
    if kind == "perf":
        return interpret_perf(rc, out, err)
    if kind == "bpftrace":
        return interpret_bpftrace(rc, out, err)
    if kind == "bcc":
        return interpret_bcc(rc, out, err)
    return interpret_strace(rc, out, err, pid)


# BCC's messages and the errno each stands for, first match wins (measured with BCC 0.26 on Debian's 6.1).
_BCC_ERRORS = (
    ("Unable to find kernel headers", None),  # its own refusal: nothing to compile against
    # the library opened through /proc/PID/root: ptrace's read check refused it, and BCC names no errno
    ("could not determine address of symbol", "EACCES"),
    ("Invalid argument", "EINVAL"),  # a tracefs probe event whose name is too long
    ("Operation not permitted", "EPERM"),
    ("Permission denied", "EACCES"),
    ("No such file or directory", "ENOENT"),
    ("No such process", "ESRCH"),
)


def interpret_bcc(rc, out, err):
    """{"attached", "errno", "stderr"} from a BCC funccount probe: attached when it said it was tracing and then
    detached (it exits 0 after a refusal too). An error at exit under lockdown (removing a tracefs event it never
    added) comes after the attach: still attached."""
    text = (err or "") + (out or "")
    attached = "Tracing " in text and "Detaching..." in text
    errno_name = None
    if not attached:
        if _asks_for_password(text):
            errno_name = "sudo_password_required"
        else:
            errno_name = next((name for marker, name in _BCC_ERRORS if marker in text), None)
    return {"attached": attached, "errno": errno_name, "stderr": text.strip()}


def interpret_bpftrace(rc, out, err):
    """{"attached", "errno", "stderr"} from a bpftrace probe: attached when it attached its probes and exited by
    itself. Its "couldn't set RLIMIT_MEMLOCK" ERROR line is a warning (kernels since 5.11 account BPF memory to the
    cgroup): it goes on. The root check is the tool's own: no errno."""
    text = (err or "") + (out or "")
    attached = rc == 0 and "Attaching " in text
    errno_name = None
    if not attached:
        if _asks_for_password(text):
            errno_name = "sudo_password_required"
        elif "Operation not permitted" in text:
            errno_name = "EPERM"
        elif "Permission denied" in text:
            errno_name = "EACCES"
        elif "No such process" in text or "failed to get pid" in text.lower():
            errno_name = "ESRCH"
        elif "_events): No such file or directory" in text:
            errno_name = "ENOENT"  # no tracefs to fall back to (the probe PMU refused it first)
    return {"attached": attached, "errno": errno_name, "stderr": text.strip()}


def interpret_perf(rc, out, err):
    """{"attached", "errno", "stderr"} from a perf probe: attached when perf counted (or found nothing to count
    in) the event. perf prints the same paranoid text for every EACCES (the kernel's checks), so the errno is all it
    tells; for EPERM (a seccomp filter, measured in podman) only "No permission to enable EVENT event"."""
    text = (err or "") + (out or "")
    attached = rc == 0 and _PERF_COUNT.search(text) is not None
    errno_name = None
    if not attached:
        if _asks_for_password(text):
            errno_name = "sudo_password_required"
        elif "Access to performance monitoring" in text or "Permission denied" in text:
            errno_name = "EACCES"
        elif "No permission to enable" in text:
            errno_name = "EPERM"
        elif "No such process" in text or "Problems finding threads of monitor" in text:
            errno_name = "ESRCH"
        elif "Operation not permitted" in text:
            errno_name = "EPERM"
    return {"attached": attached, "errno": errno_name, "stderr": text.strip()}


def interpret_strace(rc, out, err, pid):
    """{"attached", "errno", "stderr"} from a probe run."""
    text = (err or "") + (out or "")
    attached = "Process %d attached" % pid in text
    match = _ATTACH_ERROR.search(text)
    errno_name = None
    if match:
        errno_name = _ERRNO_TEXT.get(match.group(1).strip(), match.group(1).strip())
        attached = False
    elif _asks_for_password(text):
        errno_name = "sudo_password_required"
    elif "Operation not permitted" in text and not attached:
        errno_name = "EPERM"  # e.g. exec refused: file caps outside the bounding set
    return {"attached": attached, "errno": errno_name, "stderr": text.strip()}
