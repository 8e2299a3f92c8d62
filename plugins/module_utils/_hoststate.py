# -*- coding: utf-8 -*-
# Copyright (c) 2026, debugready.ptrace contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""One snapshot of everything on a host that decides whether ptrace attaches.

`gather()` calls the readers once and returns plain dicts: the public
`ansible_facts.ptrace` contract, also the input of the findings and the verdict engine.
"""

from __future__ import annotations

import datetime
import os

from ansible_collections.debugready.ptrace.plugins.module_utils import (
    _caps, _command, _container, _fileio, _findings, _lsm, _perf, _procs, _sudoers, _sudoers_write, _sysctl,
    _sysctl_write, _tools, _window,
)

SECTIONS = ("yama", "kernel", "lsm", "container", "tools", "capabilities", "sudoers", "perf", "windows")


def _read_int(path):
    try:
        with open(path, "r") as handle:
            return int(handle.read().strip())
    except (OSError, ValueError):
        return None


def _boot_source_is_ours(source, root, setting=_sysctl_write.YAMA):
    """Whether the winning persisted file is one our writer wrote for `setting` (ptrace_scope's for Yama,
    kernel_setting's for the others); None: it could not be read to tell."""
    if source is None or os.path.dirname(source) != _sysctl_write.ETC_DIR:
        return False
    try:
        return _sysctl_write.inspect(source, root, setting).ours
    except _fileio.FileWriteError:
        return None


def yama_facts(root, lsm_list, self_proc, initial_userns, sysctl_cache=None):
    cap_eff = self_proc["capabilities"]["effective"] or 0
    facts = _lsm.yama_runtime(root, lsm_list, bool(cap_eff >> _caps.CAP_SYS_PTRACE & 1), initial_userns)
    boot = _sysctl.boot_facts(_lsm.YAMA_KEY, root, sysctl_cache if sysctl_cache is not None else {})
    for applier in _sysctl.APPLIERS:
        boot[applier]["scope"] = _lsm.parse_scope(boot[applier]["value"])
    boot["scope"] = boot[boot["applier"]]["scope"]
    boot["managed"] = _boot_source_is_ours(boot["source"], root)
    facts["boot"] = boot
    facts["drift"] = (facts["scope"] is not None and boot["scope"] is not None
                      and facts["scope"] != boot["scope"])
    return facts


def perf_facts(root, sysctl_cache=None, self_proc=None, container=None):
    """The perf and eBPF section: each setting at runtime and at boot, lockdown, tracefs/debugfs, bpftrace, BCC, and
    whether a container's seccomp profile refuses perf_event_open (`self_proc`: this process, whose filter every
    process in the container shares; `container`: the container section, read here when not gathered)."""
    cache = sysctl_cache if sysctl_cache is not None else {}
    runtime = _perf.runtime_settings(root)
    settings = {}
    for key in _perf.SETTINGS:
        boot = _sysctl.boot_facts(key, root, cache)
        at_boot = _perf.parse_int(boot["value"])
        settings[key] = {
            "runtime": runtime[key],
            "boot": {"value": at_boot, "source": boot["source"], "applier": boot["applier"],
                     "appliers_agree": boot["appliers_agree"],
                     "managed": _boot_source_is_ours(boot["source"], root, _sysctl_write.SETTINGS[key])},
            # the next boot changes it (a persisted value that differs from the live one)
            "drift": runtime[key] is not None and at_boot is not None and runtime[key] != at_boot,
        }
    facts = {"settings": settings, "lockdown": _perf.lockdown(root), "bcc_tools": _perf.bcc_tools(root),
             "bcc_version": _perf.bcc_version(root), "bcc_kernel_headers": _perf.bcc_kernel_headers(root),
             "bpftrace": _tools.tool_facts("bpftrace", root),
             "paranoid_3_denies_all": _perf.paranoid_3_denies_all(root)}
    self_proc = self_proc or _procs.describe("self", root)
    facts["seccomp_blocks_perf"] = _perf.seccomp_blocks_perf(
        container or _container.detect(root), self_proc["seccomp_mode"], self_proc["capabilities"]["bounding"] or 0)
    facts.update(_perf.tracing_mounts(root))
    return facts


def kernel_facts(root):
    proc_sys = os.path.join(root, "proc/sys") if root not in ("", "/") else "/proc/sys"
    release = None
    try:
        with open(os.path.join(proc_sys, "kernel/osrelease"), "r") as handle:
            release = handle.read().strip()
    except OSError:
        pass
    return {"suid_dumpable": _read_int(os.path.join(proc_sys, "fs/suid_dumpable")), "release": release}


def container_facts(root, self_proc, initial_userns):
    facts = _container.detect(root)
    caps = self_proc["capabilities"]
    bounding = caps["bounding"]
    facts.update({
        "sys_ptrace_in_bounding_set": None if bounding is None else bool(bounding >> _caps.CAP_SYS_PTRACE & 1),
        "capabilities": dict((name, _caps.mask_to_names(mask) if mask is not None else None)
                             for name, mask in sorted(caps.items())),
        "no_new_privs": self_proc["no_new_privs"],
        "seccomp": self_proc["seccomp"],
        "seccomp_mode": self_proc["seccomp_mode"],
        "initial_user_namespace": initial_userns,
    })
    return facts


def sudoers_facts(root, run, version_run, validate, tool_paths, hostname, now, start=None):
    """(facts, Policy): the tree as sudo reads it, parsed by sudo's own parser when the host has it.

    `start(argv)`, when given, begins `visudo -c` before the tree is parsed so the two overlap.
    """
    visudo = _tools.find_tool("visudo", root)
    sudo = _tools.find_tool("sudo", root)
    cvtsudoers = _tools.find_tool("cvtsudoers", root)
    facts = {"installed": sudo is not None, "version": None, "valid": None, "validation": None}
    # Which sudo decides (sudo or sudo-rs): the files are read the way that program reads them.
    which = _sudoers.implementation(sudo, root, version_run)
    facts["implementation"] = which
    tree = _sudoers.read_tree(root, hostname=hostname, implementation=which["name"])
    check = None
    if run is not None and validate and visudo is not None:
        blocked = _sudoers_write.live_check_blocked(tree, root)
        if os.geteuid() != 0:
            facts["validation"] = {"skipped": "visudo -c needs root"}
        elif blocked:
            facts["validation"] = {"skipped": blocked}
        else:
            check = [visudo, "-c"]
            if start is not None:
                start(check)
    policy = _sudoers.load(root, hostname, run, cvtsudoers, implementation=which["name"], tree=tree)
    facts.update(policy.as_dict())
    grants, overridden = _sudoers.compute_grants(policy, tool_paths, hostname, now, root=root)
    facts["grants"] = grants
    facts["overridden_grants"] = overridden
    if check is not None:
        rc, out, err = run(check)
        facts["valid"] = rc == 0
        facts["validation"] = {"rc": rc, "stdout": out, "stderr": err}
    facts["version"] = which["version"]
    return facts, policy


def gather(root="/", sections=SECTIONS, tools=_tools.DEFAULT_TOOLS, scan_dirs=_tools.DEFAULT_SCAN_DIRS,
           run=None, validate_sudoers=True, tool_versions=True, hostname=None, now=None, models=None):
    """The `ansible_facts.ptrace` dict. `run(argv) -> (rc, out, err)` runs the few commands needed.

    `models`, a dict, receives what the facts were computed from and later steps reuse (the
    sudoers Policy as "sudoers"), so nothing is read twice.
    """
    if run is None:
        return _gather(root, sections, tools, scan_dirs, None, validate_sudoers, tool_versions, hostname, now,
                       models)
    with _command.Overlapped(run) as commands:
        return _gather(root, sections, tools, scan_dirs, commands, validate_sudoers, tool_versions, hostname, now,
                       models)


def _gather(root, sections, tools, scan_dirs, commands, validate_sudoers, tool_versions, hostname, now, models):
    run = commands.run if commands is not None else None
    version_run = run if tool_versions else None
    if version_run is not None:
        # Version commands wait on other programs (gdb --version ~100 ms): begin them all now.
        if "tools" in sections:
            for name in tools:
                argv = _tools.version_command(name, _tools.find_tool(name, root))
                if argv:
                    commands.start(argv)
        if "perf" in sections:
            argv = _tools.version_command("bpftrace", _tools.find_tool("bpftrace", root))
            if argv:
                commands.start(argv)
        sudo = _tools.find_tool("sudo", root) if "sudoers" in sections else None
        if sudo is not None:
            commands.start(_sudoers.version_command(sudo))
    now = now or datetime.datetime.now(datetime.timezone.utc)
    self_proc = _procs.describe("self", root)
    initial_userns = _procs.in_initial_user_namespace(root)
    lsm_list = _lsm.active_lsms(root)
    facts = {"gathered": list(s for s in SECTIONS if s in sections)}
    sysctl_cache = {}  # the sysctl.d files, read once for every key resolved
    if "yama" in sections:
        facts["yama"] = yama_facts(root, lsm_list, self_proc, initial_userns, sysctl_cache)
    if "kernel" in sections:
        facts["kernel"] = kernel_facts(root)
    if "lsm" in sections:
        facts["lsm"] = {"list": lsm_list, "selinux": _lsm.selinux(root), "apparmor": _lsm.apparmor(root),
                        "yama": bool(lsm_list and "yama" in lsm_list) or os.path.exists(
                            _sysctl.runtime_path(_lsm.YAMA_KEY, root))}
    if "container" in sections:
        facts["container"] = container_facts(root, self_proc, initial_userns)
    tool_paths = None  # without tool facts, sudoers grants match every known tool by name
    if "tools" in sections:
        # Versions are filled in last: their commands, started above, run meanwhile.
        facts["tools"] = dict((name, _tools.tool_facts(name, root)) for name in tools)
        tool_paths = dict((n, [t["path"]] if t["path"] else []) for n, t in facts["tools"].items())
    if "capabilities" in sections:
        found, problems = _tools.scan_ptrace_files(scan_dirs, root)
        facts["capabilities"] = {"ptrace_files": found, "scanned": list(scan_dirs), "problems": problems}
    if "sudoers" in sections:
        facts["sudoers"], policy = sudoers_facts(
            root, run, version_run, validate_sudoers, tool_paths, hostname, now,
            start=commands.start if commands is not None else None)
        if models is not None:
            models["sudoers"] = policy
    if "perf" in sections:
        facts["perf"] = perf_facts(root, sysctl_cache, self_proc, facts.get("container"))
    if "windows" in sections:
        facts["windows"] = _window.list_records(root, now)
    if "tools" in sections and version_run is not None:
        for name, info in facts["tools"].items():
            if info["installed"]:
                info["version"] = _tools.read_version(name, info["path"], version_run)
    if "perf" in sections and version_run is not None and facts["perf"]["bpftrace"]["installed"]:
        facts["perf"]["bpftrace"]["version"] = _tools.read_version(
            "bpftrace", facts["perf"]["bpftrace"]["path"], version_run)
    facts["findings"] = _findings.evaluate(facts)
    return facts
