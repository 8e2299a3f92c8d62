# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""trace_check's shell: bad input gives a clear failure; a real check of this test process."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from compat import patch_module_args

from ansible_collections.debugready.ptrace.plugins.module_utils import _verdict
from ansible_collections.debugready.ptrace.plugins.modules import trace_check


def run_module(capsys, args):
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            trace_check.main()
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("args, message", [
    ({"user": "no-such-user-xyz", "pid": [1]}, "user 'no-such-user-xyz' does not exist"),
    ({"user": "root"}, "one of pid or process is required"),
    ({"user": "root", "pid": [1], "process": "init"}, "mutually exclusive"),
    ({"user": "root", "pid": [0]}, "pid must be a non-empty list of positive process IDs"),
    ({"user": "root", "process": "no-such-process-xyz"}, "no process named 'no-such-process-xyz' is running"),
    ({"user": "root", "pid": [1], "via": "filecap"}, "via is filecap but all of the following are missing"),
    ({"user": "root", "pid": [1], "via": "filecap", "filecap_path": "/etc"}, "/etc is not a regular file"),
    ({"user": "root", "pid": [1], "via": "filecap", "filecap_path": "/nope/strace"}, "No such file or directory"),
    ({"user": "root", "pid": [1], "tool": "no-such-tool-xyz"}, "tool no-such-tool-xyz is not installed"),
    ({"user": "root", "pid": [1], "tool": "strace;id"}, "tool must be a program name or an absolute path"),
    ({"user": "root", "pid": [1], "tool": "gdb", "probe": True}, "gdb asks the kernel the same ptrace question"),
    ({"user": "root", "pid": [1], "system_wide": True, "tool": "perf"}, "system_wide takes no pid or process"),
    ({"user": "root", "system_wide": True}, "system_wide applies only to perf (every CPU), bpftrace and BCC"),
    ({"user": "root", "process": "x", "system_wide": True, "tool": "/usr/bin/strace"},
     "system_wide applies only to perf"),
    ({"user": "root", "pid": [1], "system_wide": True, "tool": "bpftrace"}, "system_wide takes no pid or process"),
    ({"user": "root", "pid": [1], "probe_timeout": 100}, "probe_timeout must be between 0.5 and 30"),
    ({"user": "root", "pid": [1], "runas": "nobody"}, "runas applies only with via: sudo"),
    ({"user": "root", "pid": [1], "process_user": "root"}, "missing parameter(s) required by 'process_user': process"),
    ({"user": "root", "process": "init-xyz", "process_user": "no-such-user-xyz"}, "process_user: user 'no-such-user-xyz'"),
    # Found by tests/real/test_fuzz_modules.py: digits of other scripts made a uid ('٠' was root), a NUL a traceback.
    ({"user": "\u0660", "pid": [1]}, "user '\u0660' does not exist"),
    ({"user": "\u0663", "pid": [1]}, "user '\u0663' does not exist"),
    ({"user": "root", "pid": [1], "via": "filecap", "filecap_path": "/usr/bin/str\x00ace"},
     "filecap_path must be an absolute path (without NUL bytes)"),
])
def test_bad_input(capsys, args, message):
    result = run_module(capsys, args)
    assert result["failed"] is True
    assert message in result["msg"], result["msg"]


def may_attach_as_root():
    """What the kernel will say to root attaching to this test process: CAP_SYS_PTRACE held and Yama below 3."""
    with open("/proc/self/status") as handle:
        effective = [line.split()[1] for line in handle if line.startswith("CapEff:")][0]
    try:
        with open("/proc/sys/kernel/yama/ptrace_scope") as handle:
            scope = int(handle.read())
    except FileNotFoundError:
        scope = None
    return bool(int(effective, 16) >> 19 & 1) and scope != 3


@pytest.mark.skipif(os.geteuid() != 0 or not os.path.exists("/usr/bin/strace"), reason="needs root and strace")
def test_missing_pid_and_self_check(capsys):
    # A real strace attach to this test process (PTRACE_SEIZE: it keeps running), then the verdict against it.
    result = run_module(capsys, {"user": "root", "pid": [os.getpid(), 4194304 - 1], "probe": True,
                                 "probe_timeout": 1})
    assert result["changed"] is False
    mine, missing = result["targets"]
    assert missing["reason"] == "target_not_found" and missing["errno"] == "ESRCH" and "probe" not in missing
    assert mine["pid"] == os.getpid() and mine["user"] == "root"
    if may_attach_as_root():
        assert (mine["allowed"], mine["reason"], mine["certain"]) == (True, "allowed", True)
        assert mine["explanation"] == "root (uid 0) may attach to %s[%d] with CAP_SYS_PTRACE." % (
            mine["comm"], os.getpid())
        assert mine["probe"]["attached"] is True and mine["probe"]["matches"] is True, mine["probe"]
    else:
        assert mine["allowed"] is not True and mine["reason"] in _verdict.REASONS
        assert mine["probe"]["attached"] is False and mine["probe"]["matches"] is not False, mine["probe"]
    assert result["mismatches"] == []
    assert result["allowed"] is False  # one target does not exist


PERF = "/usr/bin/perf"


@pytest.mark.skipif(os.geteuid() != 0 or not os.path.exists(PERF), reason="needs root and perf")
def test_perf_real_probe_as_root_and_as_nobody(capsys):
    # perf stat on this process and system-wide, as root and as nobody: the kernel's answers against the verdicts
    # (nobody on root's process: ptrace's read check refuses, whatever perf_event_paranoid says).
    as_root = run_module(capsys, {"user": "root", "pid": [os.getpid()], "tool": "perf", "probe": True,
                                  "probe_timeout": 0.5})
    target = as_root["targets"][0]
    assert as_root["kind"] == "perf" and as_root["host"]["perf_event_paranoid"] is not None
    assert target["probe"]["matches"] is not False, target
    as_nobody = run_module(capsys, {"user": "nobody", "pid": [os.getpid()], "tool": "perf", "probe": True,
                                    "probe_timeout": 0.5})
    refused = as_nobody["targets"][0]
    assert (refused["allowed"], refused["reason"], refused["errno"]) == (False, "uid_gid_mismatch", "EACCES")
    assert refused["probe"]["attached"] is False and refused["probe"]["matches"] is True, refused["probe"]
    assert refused["probe"]["errno"] == "EACCES"
    system = run_module(capsys, {"user": "nobody", "system_wide": True, "tool": "perf", "probe": True,
                                 "probe_timeout": 0.5})
    entry = system["targets"][0]
    assert entry["pid"] is None and entry["system_wide"] is True
    assert entry["allowed"] is (system["host"]["perf_event_paranoid"] <= 0)
    assert entry["probe"]["matches"] is True, entry["probe"]
    assert system["mismatches"] == []


BPFTRACE = "/usr/bin/bpftrace"


@pytest.mark.skipif(os.geteuid() != 0 or not os.path.exists(BPFTRACE), reason="needs root and bpftrace")
def test_bpftrace_real_probe_as_root_and_as_nobody(capsys):
    """A real bpftrace uprobe in this process as root (allowed, unless the session lacks CAP_BPF or CAP_PERFMON) and
    as nobody (bpftrace's own uid check refuses): the tool's and the kernel's answers against the verdicts."""
    as_root = run_module(capsys, {"user": "root", "pid": [os.getpid()], "tool": "bpftrace", "probe": True,
                                  "probe_timeout": 0.5})
    target = as_root["targets"][0]
    assert as_root["kind"] == "bpftrace" and target["reason"] in ("allowed", "bpf_needs_capabilities"), target
    assert target["probe"]["matches"] is True, target
    as_nobody = run_module(capsys, {"user": "nobody", "pid": [os.getpid()], "tool": "bpftrace", "probe": True,
                                    "probe_timeout": 0.5})
    refused = as_nobody["targets"][0]
    assert (refused["allowed"], refused["reason"], refused["errno"]) == (False, "bpftrace_requires_root", None)
    assert refused["probe"]["attached"] is False and refused["probe"]["matches"] is True, refused["probe"]
    assert "only supports running as the root user" in refused["probe"]["stderr"]
    # a kprobe: refused by the kernel without kprobes (this machine's), allowed with them
    system = run_module(capsys, {"user": "root", "system_wide": True, "tool": "bpftrace", "probe": True,
                                 "probe_timeout": 0.5})
    entry = system["targets"][0]
    assert entry["reason"] == ("allowed" if system["host"]["kprobes"] else "kprobes_unavailable"), entry
    assert entry["probe"]["matches"] is True, entry["probe"]


FUNCCOUNT = "/usr/sbin/funccount-bpfcc"


@pytest.mark.skipif(os.geteuid() != 0 or not os.path.exists(FUNCCOUNT), reason="needs root and BCC")
def test_bcc_real_probe_as_root_and_as_nobody(capsys):
    """A real BCC funccount uprobe in this process as root and as nobody, and a kprobe pattern as root: each verdict
    against what funccount really did. Where the kernel's headers are missing (this machine) BCC refuses both
    before any bpf(); with them, nobody's first map is refused."""
    results = [run_module(capsys, dict(request, tool="funccount-bpfcc", probe=True, probe_timeout=0.5)) for request in (
        {"user": "root", "pid": [os.getpid()]}, {"user": "nobody", "pid": [os.getpid()]},
        {"user": "root", "system_wide": True})]
    for result in results:
        entry = result["targets"][0]
        assert result["kind"] == "bcc", result
        assert entry["certain"] is True and entry["probe"]["matches"] is True, entry
        assert entry["probe"]["errno"] == entry["errno"], entry
    headers = results[0]["host"]["kernel_headers"]
    as_root, as_nobody, system = [r["targets"][0] for r in results]
    if headers["found"] is False:
        assert as_root["reason"] == as_nobody["reason"] == "bcc_kernel_headers_missing"
        assert "Unable to find kernel headers" in as_nobody["probe"]["stderr"]
    else:
        assert as_root["allowed"] is True and as_nobody["reason"] == "bpf_needs_capabilities"
    assert system["reason"] in ("allowed", "kprobes_unavailable", "bcc_kernel_headers_missing",
                                "bcc_kprobe_list_unreadable"), system


def test_another_bcc_tool_is_probed_with_funccount(capsys):
    result = run_module(capsys, {"user": "root", "pid": [os.getpid()], "tool": "/usr/share/bcc/tools/execsnoop",
                                 "probe": True})
    assert result["failed"] is True and "probe with tool: funccount-bpfcc" in result["msg"], result


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root")
@pytest.mark.parametrize("user", ["root", "nobody"])
def test_kernel_symbols_is_what_kallsyms_shows_the_user(capsys, user):
    result = run_module(capsys, {"user": user, "system_wide": True, "tool": "perf"})
    prefix = [] if user == "root" else ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"]
    done = subprocess.run(prefix + ["awk", "$2 ~ /^[Tt]$/ { print $1; exit }", "/proc/kallsyms"],
                          capture_output=True, text=True, timeout=20, check=True, cwd="/")
    # the first code symbol: x86's per-CPU symbols at the top are 0 for everyone
    assert result["tracer"]["kernel_symbols"] is (int(done.stdout.split()[0], 16) != 0), result["tracer"]
