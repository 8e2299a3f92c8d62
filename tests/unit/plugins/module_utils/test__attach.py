# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""sudo listings, the strace probe and its interpretation (outputs as measured on Debian 12)."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from ansible_collections.debugready.ptrace.plugins.module_utils import _attach

LISTING = """\
Matching Defaults entries for alice on web1:
    env_reset, mail_badpass, secure_path=/usr/local/sbin\\:/usr/local/bin\\:/usr/sbin\\:/usr/bin\\:/sbin\\:/bin,
    use_pty

User alice may run the following commands on web1:
    (root) NOTAFTER=20991231000000Z NOPASSWD: /usr/bin/id,
        /usr/bin/strace
    (www-data) /usr/bin/strace
    (root) PASSWD: /usr/bin/gdb
"""


@pytest.mark.parametrize("tool, runas, expected", [
    ("/usr/bin/strace", "root", True),
    ("/usr/bin/strace", "www-data", False),
    ("/usr/bin/gdb", "root", False),
    ("/usr/bin/ltrace", "root", None),
])
def test_listing_nopasswd(tool, runas, expected):
    assert _attach.listing_nopasswd(LISTING, tool, runas) is expected


def test_listing_entries_join_continuations():
    assert _attach.listing_entries(LISTING) == [
        "(root) NOTAFTER=20991231000000Z NOPASSWD: /usr/bin/id, /usr/bin/strace",
        "(www-data) /usr/bin/strace", "(root) PASSWD: /usr/bin/gdb"]
    assert _attach.listing_entries("User bob is not allowed to run sudo on web1.\n") == []


def test_listing_last_match_wins_and_all():
    text = ("User a may run the following commands on h:\n    (ALL : ALL) ALL\n"
            "    (root) NOPASSWD: /usr/bin/strace\n")
    assert _attach.listing_nopasswd(text, "/usr/bin/strace", "root") is True
    text = "User a may run the following commands on h:\n    (root) NOPASSWD: /usr/bin/strace\n    (ALL) ALL\n"
    assert _attach.listing_nopasswd(text, "/usr/bin/strace", "root") is False


def test_sudo_check_argv():
    assert _attach.sudo_check_argv("/usr/bin/sudo", "alice", ["/usr/bin/strace", "-p", "1"]) == [
        "/usr/bin/sudo", "-n", "-l", "-U", "alice", "/usr/bin/strace", "-p", "1"]
    assert _attach.sudo_check_argv("/usr/bin/sudo", "alice", ["/usr/bin/strace"], "www-data")[5:7] == [
        "-u", "www-data"]


@pytest.mark.skipif(not all(shutil.which(t) for t in ("timeout", "setsid")), reason="needs coreutils timeout and setsid")
def test_probe_tool_leads_its_own_session_and_gets_the_sigint():
    """The probed command (sudo on a real host) is a session and process group leader, apart from timeout's
    group, so sudo 1.9.5 relays timeout's SIGINT; it is the process timeout started (no fork), so the
    SIGINT reaches it and its exit status is the probe's."""
    script = ("import os, signal, sys, time\n"
              "print(os.getsid(0) == os.getpid() == os.getpgid(0), os.getpgid(0) != os.getpgid(os.getppid()))\n"
              "sys.stdout.flush()\n"
              "signal.signal(signal.SIGINT, lambda *a: sys.exit(7))\n"
              "time.sleep(30)\n")
    argv = _attach.strace_probe_argv([sys.executable, "-c", script], 812, 1)
    done = subprocess.run(argv, capture_output=True, text=True, timeout=20, check=False)
    assert done.stdout.split() == ["True", "True"], done.stderr
    assert done.returncode == 124  # stopped by the SIGINT, not by the SIGKILL 5 s later (137 or -9)


@pytest.mark.parametrize("rc, err, attached, errno", [
    (124, "strace: Process 812 attached\nstrace: Process 812 detached\n", True, None),
    (1, "strace: attach: ptrace(PTRACE_SEIZE, 812): Operation not permitted\n", False, "EPERM"),
    (1, "strace: attach: ptrace(PTRACE_SEIZE, 812): No such process\n", False, "ESRCH"),
    (1, "sudo: a password is required\n", False, "sudo_password_required"),
    (126, "timeout: failed to run command '/usr/local/bin/strace-debug': Operation not permitted\n", False, "EPERM"),
])
def test_interpret_strace(rc, err, attached, errno):
    result = _attach.interpret_strace(rc, "", err, 812)
    assert (result["attached"], result["errno"]) == (attached, errno)


# perf's own outputs (perf 6.1), as the probe reads them
PERF_DENIED = """Error:
Access to performance monitoring and observability operations is limited.
Consider adjusting /proc/sys/kernel/perf_event_paranoid setting to open
access to performance monitoring and observability operations for processes
without CAP_PERFMON, CAP_SYS_PTRACE or CAP_SYS_ADMIN Linux capability.
"""


@pytest.mark.parametrize("rc, err, attached, errno_name", [
    (0, "<not counted>,msec,task-clock:u,0,100.00,,\n", True, None),  # counted nothing: the target slept
    (0, "403.34,msec,task-clock,403339550,100.00,2.000,CPUs utilized\n", True, None),
    (255, PERF_DENIED, False, "EACCES"),
    # podman's default seccomp profile (EPERM): perf 6.1 prints this line alone (measured)
    (255, "Error:\nNo permission to enable task-clock event.\n\n\n", False, "EPERM"),
    (255, "Problems finding threads of monitor\n", False, "ESRCH"),
    (1, "sudo: a password is required\n", False, "sudo_password_required"),
    (0, "some other output\n", False, None),  # rc 0 without a count line is not an attach
    (1, "400,msec,task-clock,1,100.00,,\n", False, None),  # a count but a failed run
])
def test_interpret_perf(rc, err, attached, errno_name):
    observed = _attach.interpret_perf(rc, "", err)
    assert (observed["attached"], observed["errno"]) == (attached, errno_name)


def test_perf_probe_argv_counts_a_software_event_for_the_probe_time():
    argv = _attach.probe_argv("perf", ["/usr/bin/perf"], 812, 0.5)
    assert argv == ["timeout", "-s", "INT", "-k", "5", "10.5", "setsid", "/usr/bin/perf", "stat", "-x", ",", "-e",
                    "task-clock", "-p", "812", "--", "sleep", "0.5"]
    assert _attach.tool_args("perf", None, 2)[-5:] == ["task-clock", "-a", "--", "sleep", "2"]
    assert _attach.tool_args("ptrace", 812, 2) == _attach.strace_args(812)


MEMLOCK = ('ERROR: Unknown error -1: couldn\'t set RLIMIT_MEMLOCK for bpftrace. If your program is not loading, you '
           'can try "ulimit -l 8192" to fix the problem\n')


@pytest.mark.parametrize("rc, err, attached, errno_name", [
    # bpftrace 0.17's output, measured (the RLIMIT_MEMLOCK "ERROR" is a warning: it goes on)
    (0, MEMLOCK + "Attaching 2 probes...\n", True, None),
    (1, "ERROR: bpftrace currently only supports running as the root user.\n", False, None),
    (1, MEMLOCK + "Attaching 2 probes...\nERROR: failed to create  map: Operation not permitted\n", False, "EPERM"),
    (255, MEMLOCK + "Attaching 2 probes...\nperf_event_open: Permission denied\nERROR: Failed to open perf buffer\n",
     False, "EACCES"),
    (1, MEMLOCK + "stdin:1:1-16: WARNING: vfs_read is not traceable\nERROR: Could not resolve symbol\n", False, None),
    (1, "sudo: a password is required\n", False, "sudo_password_required"),
    # no CAP_SYS_ADMIN for the uprobe PMU, and no tracefs to fall back to (podman, measured)
    (255, MEMLOCK + "Attaching 2 probes...\ncreate_probe_event: open(/sys/kernel/tracing/uprobe_events): No such "
     "file or directory\nERROR: Error attaching probe: uprobe:/usr/lib/x86_64-linux-gnu/libc.so.6:getpid\n", False,
     "ENOENT"),
    # the host without tracefs: attached through the PMU; only the detach complains, after the run
    (0, "Attaching 2 probes...\n\n\nERROR: failed to detach probe: uprobe:/usr/lib/libc.so.6:getpid\n", True, None),
])
def test_interpret_bpftrace(rc, err, attached, errno_name):
    observed = _attach.interpret_bpftrace(rc, "", err)
    assert (observed["attached"], observed["errno"]) == (attached, errno_name)


def test_bpftrace_probe_argv_a_uprobe_in_the_process_or_a_kprobe():
    assert _attach.probe_argv("bpftrace", ["/usr/bin/bpftrace"], 812, 0.5) == [
        "timeout", "-s", "INT", "-k", "5", "60.5", "setsid", "/usr/bin/bpftrace", "-p", "812", "-e",
        "uprobe:libc:getpid { } interval:ms:500 { exit(); }"]
    assert _attach.tool_args("bpftrace", None, 1)[-1] == "kprobe:vfs_read { } interval:ms:1000 { exit(); }"


@pytest.mark.parametrize("err, attached, errno_name", [
    # BCC 0.26's funccount, measured; it exits 0 in every case
    ('Tracing 1 functions for "b\'c:getpid\'"... Hit Ctrl-C to end.\n\nFUNC    COUNT\nDetaching...\n', True, None),
    ("Unable to find kernel headers. Try rebuilding kernel with CONFIG_IKHEADERS=m (module) or installing the kernel "
     "development package for your running kernel version.\nchdir(/lib/modules/6.18.44/build): No such file or "
     "directory\nFailed to compile BPF module <text>\n", False, None),
    ("could not open bpf map: counts, error: Operation not permitted\nFailed to compile BPF module <text>\n", False,
     "EPERM"),
    ("bpf: Failed to load program: Operation not permitted\n\nNeed super-user privileges to run\n", False, "EPERM"),
    ("[Errno 13] Permission denied: '/sys/kernel/debug/kprobes/blacklist'\n", False, "EACCES"),
    ("could not determine address of symbol getpid in /lib/x86_64-linux-gnu/libc.so.6\n", False, "EACCES"),
    ("cannot attach uprobe, Invalid argument\nFailed to attach BPF to uprobe\n", False, "EINVAL"),
    ("perf_event_open(/sys/kernel/debug/tracing/events/kprobes/p_vfs_read_bcc_460/id): Permission denied\nFailed to "
     "attach BPF program b'trace_count_0' to kprobe b'vfs_read'\n", False, "EACCES"),
    ("create_probe_event: open(/sys/kernel/debug/tracing/kprobe_events): Operation not permitted\n", False, "EPERM"),
    # lockdown confidentiality: attached through the uprobe PMU; at exit BCC fails to remove a tracefs event
    ('Tracing 1 functions for "b\'c:getpid\'"... Hit Ctrl-C to end.\n\nFUNC    COUNT\nDetaching...\n'
     "open(/sys/kernel/debug/tracing/uprobe_events): Operation not permitted\nException: Failed to detach BPF from "
     "uprobe\n", True, None),
    ("sudo: a password is required\n", False, "sudo_password_required"),
])
def test_interpret_bcc(err, attached, errno_name):
    observed = _attach.interpret_bcc(0, "", err)
    assert (observed["attached"], observed["errno"]) == (attached, errno_name)


def test_bcc_probe_argv_funccount_for_whole_seconds():
    assert _attach.probe_argv("bcc", ["/usr/sbin/funccount-bpfcc"], 812, 0.5) == [
        "timeout", "-s", "INT", "-k", "5", "90.5", "setsid", "/usr/sbin/funccount-bpfcc", "-d", "1", "-p", "812",
        "c:getpid"]
    assert _attach.tool_args("bcc", None, 2.5) == ["-d", "3", "vfs_read"]
