#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, debugready.ptrace contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: ptrace_facts
short_description: Gather everything that decides whether a debugger can attach to a process
version_added: 0.1.0
description:
  - Reads Yama's C(kernel.yama.ptrace_scope) at runtime and resolves which persisted value wins at the next
    boot, following sysctl.d(5) precedence for both C(systemd-sysctl) and C(sysctl --system).
  - Reports C(fs.suid_dumpable), the active Linux security modules (SELinux with C(deny_ptrace), AppArmor),
    container limits (engine, capability sets, NoNewPrivs, seccomp), debugging tools with their file
    capabilities, every file holding C(CAP_SYS_PTRACE), and the sudoers tree with every rule that lets a
    principal run a ptrace-capable tool.
  - For perf and eBPF (section C(perf)), C(kernel.perf_event_paranoid), C(kernel.kptr_restrict) and
    C(kernel.unprivileged_bpf_disabled) at runtime and the value each will have after the next boot (the same
    sysctl.d resolver as Yama's), kernel lockdown, where tracefs and debugfs are mounted, bpftrace and the BCC
    tools.
  - Adds C(findings), the problems a reviewer would flag, each with the change that fixes it.
  - Reads C(/proc), C(/sys) and files directly; file capabilities are decoded natively from the
    C(security.capability) extended attribute (no libcap tools needed). The only commands run are
    C(cvtsudoers) (sudo's own parser, on a private copy of the tree), C(visudo -c), C(sudo -V), the tools'
    version options and, for O(trace), C(sudo -l) and the probe. Independent commands run at the same time
    (in worker threads), so the slowest one (often C(gdb --version)) overlaps the rest.
  - Returns only RV(ansible_facts.ptrace) and never changes the host.
author:
  - debugready.ptrace maintainers (@debugready)
extends_documentation_fragment:
  - debugready.ptrace.attributes
attributes:
  check_mode:
    support: full
    details: The module only reads the host.
  diff_mode:
    support: none
  facts:
    description: Action returns an C(ansible_facts) dictionary that will update existing host facts.
    support: full
  platform:
    details: Linux only.
options:
  gather_subset:
    description:
      - Which sections to gather. V(all) gathers every section.
      - C(findings) are always computed from the sections that were gathered.
    type: list
    elements: str
    choices: [all, yama, kernel, lsm, container, tools, capabilities, sudoers, perf, windows]
    default: [all]
  tools:
    description:
      - Names of the debugging tools to look for in the standard C(bin) and C(sbin) directories.
    type: list
    elements: str
    default: [strace, gdb, ltrace, perf]
  tool_versions:
    description:
      - Run each installed tool's version option to report its version, and C(sudo -V) to tell sudo from sudo-rs.
      - Turn off for the quickest check (sudo-rs is then told by the path of the C(sudo) binary).
    type: bool
    default: true
  capability_scan_dirs:
    description:
      - Absolute directories scanned (recursively, without following symlinks) for files holding
        C(CAP_SYS_PTRACE).
      - A directory that does not exist is reported under C(capabilities.problems).
    type: list
    elements: path
    default: [/usr/local/sbin, /usr/local/bin, /usr/sbin, /usr/bin, /sbin, /bin, /usr/libexec, /usr/local/libexec]
  validate_sudoers:
    description:
      - Run C(visudo -c) to validate the whole sudoers tree (needs root).
    type: bool
    default: true
  trace:
    description:
      - Answer "can this user trace these processes?" in the same call, as M(debugready.ptrace.trace_check)
        would, for each entry. The verdicts are returned in RV(ansible_facts.ptrace.trace).
      - A host where an entry cannot be answered (no such user or process here) gets an C(error) in that
        entry, so one fleet run reports every host.
      - Adds the C(yama), C(lsm) and C(sudoers) sections to O(gather_subset).
    type: list
    elements: dict
    suboptions:
      user:
        description: The user who would trace (name or uid).
        type: str
        required: true
      pid:
        description: Target process IDs. Exactly one of O(trace[].pid) and O(trace[].process) is required.
        type: list
        elements: int
      process:
        description: Every process with this name (C(/proc/PID/comm)).
        type: str
      process_user:
        description: Only the processes of O(trace[].process) running as this user.
        type: str
      via:
        description: How the user runs the tool, as in M(debugready.ptrace.trace_check).
        type: str
        choices: [direct, sudo, filecap]
        default: direct
      runas:
        description: The C(sudo -u) user with O(trace[].via=sudo).
        type: str
        default: root
      filecap_path:
        description: The capability-carrying tool with O(trace[].via=filecap).
        type: path
      tool:
        description:
          - The tool (name or absolute path). V(perf) (or a copy named C(perf-*)) is answered by perf_event_open's
            checks, every other tool by ptrace's, as in M(debugready.ptrace.trace_check).
        type: str
        default: strace
      system_wide:
        description: With O(trace[].tool=perf), the question is system-wide events (C(perf -a)) instead of processes.
        type: bool
        default: false
      probe:
        description:
          - Also run the tool for real as the user (strace attached, or perf counting, for
            O(trace[].probe_timeout) seconds per process) and compare with the prediction. Takes time; off by
            default.
        type: bool
        default: false
      probe_timeout:
        description: Seconds each probe stays attached.
        type: float
        default: 2
      sudo_interactive:
        description: Accept a sudo rule that asks for a password.
        type: bool
        default: false
  policy:
    description:
      - A declared state to compare the host with, without changing it. The result, in
        RV(ansible_facts.ptrace.policy), says per component whether the converge modules would change
        anything (the same planning code decides), so a caller can skip every task of a compliant host.
      - This is what the P(debugready.ptrace.debug_access#role) role passes; most users do not need it.
      - Adds the C(yama) and C(container) sections to O(gather_subset).
    type: dict
    suboptions:
      state:
        description: V(present) compares with the declared state, V(absent) with its removal.
        type: str
        choices: [present, absent]
        default: present
      snapshot:
        description: A file that must exist (V(present)) or not (V(absent)).
        type: path
      yama:
        description:
          - Yama's scope as M(debugready.ptrace.ptrace_scope) would set it, given as that module's options
            O(debugready.ptrace.ptrace_scope#module:state), O(debugready.ptrace.ptrace_scope#module:value),
            O(debugready.ptrace.ptrace_scope#module:minimum), O(debugready.ptrace.ptrace_scope#module:maximum) and
            O(debugready.ptrace.ptrace_scope#module:confirm_scope_3), with their types and defaults (checked
            against that module's own argument specification; C(state=absent) means no managed C(sysctl.d) file
            is left).
        type: dict
      kernel_settings:
        description:
          - Kernel settings as M(debugready.ptrace.kernel_setting) would set them. Each entry takes that module's
            options O(debugready.ptrace.kernel_setting#module:key), O(debugready.ptrace.kernel_setting#module:state),
            O(debugready.ptrace.kernel_setting#module:value), O(debugready.ptrace.kernel_setting#module:minimum),
            O(debugready.ptrace.kernel_setting#module:maximum) and
            O(debugready.ptrace.kernel_setting#module:confirm_irreversible), with their types and defaults, checked
            against that module's own argument specification.
        type: list
        elements: dict
        default: []
        version_added: 1.1.0
      group:
        description: A group that must exist.
        type: str
      members:
        description: Users that must be in O(policy.group).
        type: list
        elements: str
        default: []
      packages:
        description: Tools that must be installed (looked up by name in the standard directories).
        type: list
        elements: str
        default: []
      sudoers:
        description:
          - Drop-ins as M(debugready.ptrace.sudoers_grant) would leave them. Each entry takes that module's
            options (O(debugready.ptrace.sudoers_grant#module:name), O(debugready.ptrace.sudoers_grant#module:state),
            O(debugready.ptrace.sudoers_grant#module:principals), O(debugready.ptrace.sudoers_grant#module:commands),
            O(debugready.ptrace.sudoers_grant#module:runas), O(debugready.ptrace.sudoers_grant#module:nopasswd),
            O(debugready.ptrace.sudoers_grant#module:not_after), O(debugready.ptrace.sudoers_grant#module:renew),
            O(debugready.ptrace.sudoers_grant#module:log_output),
            O(debugready.ptrace.sudoers_grant#module:allow_unsafe_commands)), with their types and defaults,
            checked against that module's own argument specification. An open window of a duration is kept.
        type: list
        elements: dict
        default: []
      filecap:
        description:
          - A capability copy as M(debugready.ptrace.file_caps) makes it with
            O(debugready.ptrace.file_caps#module:source). Takes that module's options
            O(debugready.ptrace.file_caps#module:source) (required here), O(debugready.ptrace.file_caps#module:path),
            O(debugready.ptrace.file_caps#module:group), O(debugready.ptrace.file_caps#module:mode),
            O(debugready.ptrace.file_caps#module:capabilities) (default V([cap_sys_ptrace]) here) and
            O(debugready.ptrace.file_caps#module:flags), checked against that module's own argument specification.
        type: dict
      apache_coredump:
        description:
          - Apache's C(CoreDumpDirectory) setting, in each of O(policy.apache_coredump.confs) whose directory
            exists, with exactly O(policy.apache_coredump.content) (owned by root, O(policy.apache_coredump.mode)),
            and the directory O(policy.apache_coredump.directory) (owned by root,
            O(policy.apache_coredump.directory_mode)).
        type: dict
        suboptions:
          confs:
            description: Candidate configuration files.
            type: list
            elements: path
            required: true
          content:
            description: Their content.
            type: str
            required: true
          mode:
            description: The mode of each configuration file (octal text, or a number as file modes are in YAML).
            type: raw
            default: "0644"
          directory:
            description: The core dump directory.
            type: path
            required: true
          directory_mode:
            description: The mode of the core dump directory (octal text, or a number).
            type: raw
            default: "0700"
      absent_paths:
        description: Files or directories that must not exist.
        type: list
        elements: path
        default: []
notes:
  - Run it with O(ignore:become=true) for the full picture; as an unprivileged user, root-only files
    (most of the sudoers tree) are reported as unreadable.
  - The sudoers model is used for explanation; C(sudo -l) stays the authority on what a user may run
    (the M(debugready.ptrace.trace_check) module asks it).
seealso:
  - name: Linux ptrace semantics modelled by this collection
    description: The kernel, sudo and sysctl rules behind every fact and finding.
    link: https://github.com/debugready/ptrace/blob/main/docs/ptrace_facts.md
"""

EXAMPLES = r"""
- name: Gather ptrace facts
  debugready.ptrace.ptrace_facts:
  become: true

- name: Show the Yama value that wins at next boot and where it comes from
  ansible.builtin.debug:
    msg: "{{ ansible_facts.ptrace.yama.boot.scope }} from {{ ansible_facts.ptrace.yama.boot.source }}"

- name: Quick check of Yama and container limits only
  debugready.ptrace.ptrace_facts:
    gather_subset:
      - yama
      - container
    tool_versions: false

- name: Facts plus the verdict for the debug group's member on Apache's workers, in one call
  debugready.ptrace.ptrace_facts:
    tool_versions: false
    trace:
      - user: alice
        process: apache2
        process_user: www-data
        via: sudo
  become: true

- name: Say who cannot trace
  ansible.builtin.debug:
    msg: "{{ ansible_facts.ptrace.trace | rejectattr('allowed') | map(attribute='summary') | list }}"

- name: Fail on high-severity findings
  ansible.builtin.assert:
    that:
      - ansible_facts.ptrace.findings | selectattr('severity', 'equalto', 'high') | list | length == 0
    fail_msg: "{{ ansible_facts.ptrace.findings | selectattr('severity', 'equalto', 'high') | map(attribute='message') }}"
"""

RETURN = r"""
ansible_facts:
  description: Facts to add to ansible_facts.
  returned: always
  type: complex
  contains:
    ptrace:
      description: Everything that decides whether a debugger can attach. Sections not gathered are absent.
      returned: always
      type: complex
      contains:
        gathered:
          description: The sections gathered.
          returned: always
          type: list
          elements: str
          sample: [yama, kernel, lsm, container, tools, capabilities, sudoers, perf]
        yama:
          description: Yama's runtime state and the persisted value that wins at boot.
          returned: when gathered
          type: complex
          contains:
            present:
              description: Whether the running kernel has Yama.
              type: bool
              returned: always
              sample: true
            scope:
              description: The live C(kernel.yama.ptrace_scope), or null without Yama.
              type: int
              returned: always
              sample: 1
            locked:
              description: Scope 3 cannot be lowered until reboot.
              type: bool
              returned: always
              sample: false
            writable:
              description:
                - Whether this process could change the live value now. False in a container, on a read-only
                  C(/proc/sys), without C(CAP_SYS_PTRACE), outside the initial user namespace, or when locked.
              type: bool
              returned: always
              sample: true
            not_writable_reason:
              description: Why RV(ansible_facts.ptrace.yama.writable) is false.
              type: str
              returned: always
              sample: read_only
              choices: [no_yama, not_visible, locked, read_only, missing_cap_sys_ptrace, not_initial_user_namespace]
            boot:
              description:
                - The persisted value that wins at the next boot (C(scope), C(value), C(source)) for the applier
                  that runs at boot (C(applier)), and the full resolution for each applier under
                  C(systemd_sysctl) and C(sysctl_system) (C(scope), C(value), C(source), C(line),
                  C(assignments) in the order applied, C(masked) files, C(unreadable) files).
                - Resolved from the files even when the running kernel has no Yama. C(scope) is null when no
                  file sets the key (the kernel default applies).
                - C(managed) is true when the winning file is one M(debugready.ptrace.ptrace_scope) wrote (its
                  header is the first line), false when it is another file or none, null when it could not be
                  read to tell.
              type: dict
              returned: always
              sample:
                applier: systemd_sysctl
                scope: 1
                value: "1"
                source: /etc/sysctl.d/10-ptrace.conf
                appliers_agree: true
                managed: false
                systemd_sysctl: {scope: 1, value: "1", source: /etc/sysctl.d/10-ptrace.conf, line: 3}
                sysctl_system: {scope: 1, value: "1", source: /etc/sysctl.d/10-ptrace.conf, line: 3}
            drift:
              description: The runtime and boot values differ.
              type: bool
              returned: always
              sample: false
        kernel:
          description: Kernel settings that matter for tracing.
          returned: when gathered
          type: dict
          sample: {suid_dumpable: 0, release: 6.1.0-28-cloud-amd64}
        lsm:
          description:
            - C(list) (from securityfs, null when not readable), C(yama), C(selinux) with C(enabled),
              C(enforcing), C(mode) (V(enforcing), V(permissive) or V(disabled), now), C(config_mode) and C(policy)
              (C(/etc/selinux/config), what the next boot takes), C(deny_ptrace) (on now) and
              C(deny_ptrace_boolean) (C(current), C(pending) and C(persisted), the policy store's override or null
              for the policy's default; null when the loaded policy has no such boolean, as Debian's has not),
              C(apparmor) with C(enabled), C(profiles) (each loaded profile's
              C(name) and C(mode), from securityfs; null where it is not readable, as in a container) and
              C(enforcing) (how many of them are in enforce mode).
          returned: when gathered
          type: dict
          sample:
            list: [capability, yama, apparmor]
            yama: true
            selinux: {enabled: false, enforcing: false, mode: disabled, config_mode: null, policy: null,
                      deny_ptrace: false, deny_ptrace_boolean: null}
            apparmor: {enabled: true, profiles: [{name: lsb_release, mode: enforce}], enforcing: 1}
        container:
          description:
            - C(detected), C(engine) (podman, docker, lxc, kubernetes, ... or null), C(evidence), and the
              capability sets of the module's own process decoded by name, with C(sys_ptrace_in_bounding_set),
              C(no_new_privs), C(seccomp) (disabled, strict or filter) and C(initial_user_namespace).
          returned: when gathered
          type: dict
          sample:
            detected: true
            engine: podman
            evidence: /run/.containerenv
            sys_ptrace_in_bounding_set: false
            no_new_privs: false
            seccomp: filter
            seccomp_mode: 2
            initial_user_namespace: true
            capabilities: {bounding: [cap_chown, cap_kill], effective: [cap_chown, cap_kill]}
        tools:
          description:
            - One entry per tool in O(tools) with C(installed), C(path), C(version), C(mode), C(owner), C(group),
              C(caps) (getcap-style text, empty when none) and C(world_executable).
          returned: when gathered
          type: dict
          sample:
            strace: {installed: true, path: /usr/bin/strace, version: "6.1", mode: "0755", owner: root,
                     group: root, caps: ""}
        capabilities:
          description: C(ptrace_files), every file holding C(CAP_SYS_PTRACE) under C(scanned), and C(problems).
          returned: when gathered
          type: dict
          sample:
            ptrace_files:
              - {path: /usr/local/bin/strace-debug, caps: cap_sys_ptrace=ep, mode: "0750", owner: root,
                 group: debug, world_executable: false}
            scanned: [/usr/bin]
            problems: []
        sudoers:
          description:
            - C(installed), C(version), C(implementation) (which sudo decides, with C(name) sudo or sudo-rs,
              C(version), and C(source), C(sudo -V) or path; the files are read as that program reads them),
              C(files) in the order sudo reads them, C(skipped) (with C(reason) among
              name_contains_dot, name_ends_with_tilde, not_regular_file, unsafe_owner, world_writable,
              group_writable, include_loop, include_too_deep, missing, unreadable, and with sudo-rs not_utf8 and
              include_rejected_by_sudo_rs), C(double_includes),
              C(errors) (statements sudo, or sudo-rs, drops), C(sudo_fails) (why every sudo call fails on this
              tree, sudo-rs only; else null), C(valid) (from C(visudo -c), null when not run)
              with C(validation) (rc, stdout, stderr).
            - C(grants), every rule letting a principal run a ptrace-capable tool, each with C(principal),
              C(excluded), C(runas), C(runas_groups), C(as_root), C(commands), C(tools), C(via) (path, alias
              or all), C(alias), C(nopasswd), C(log_output), C(not_after) as written, C(not_after_utc),
              C(expired), C(host_matches), C(source) and C(line).
            - C(overridden_grants), grants cancelled by a later negated rule (last match wins), with
              C(overridden_by).
          returned: when gathered
          type: dict
          sample:
            installed: true
            valid: true
            files: [/etc/sudoers, /etc/sudoers.d/debug]
            skipped: [{path: /etc/sudoers.d/README, reason: name_contains_dot}]
            grants:
              - principal: "%debug"
                runas: [root]
                as_root: true
                commands: [/usr/bin/strace]
                tools: [strace]
                via: path
                nopasswd: true
                not_after: 20261201000000Z
                not_after_utc: "2026-12-01T00:00:00Z"
                expired: false
                source: /etc/sudoers.d/debug
                line: 1
        perf:
          description:
            - What decides whether perf, bpftrace and BCC may run, besides ptrace's own checks.
            - C(settings), for C(kernel.perf_event_paranoid), C(kernel.kptr_restrict) and
              C(kernel.unprivileged_bpf_disabled), C(runtime) (an int, null when the kernel has no such setting),
              C(boot) (the C(value) that wins at the next boot as an int, null when nothing persists it, its
              C(source) file, the C(applier), whether the two C(appliers_agree), as for Yama, and C(managed), true
              when that file is one M(debugready.ptrace.kernel_setting) wrote) and C(drift) (the next boot changes
              the live value).
            - C(lockdown), the C(mode) (none, integrity or confidentiality) and the modes C(available), both null
              when securityfs does not show lockdown (in most containers).
            - C(tracefs) and C(debugfs), whether each is C(mounted) (null when the mount table cannot be read), its
              C(path), C(mode) and whether it is C(read_only).
            - C(bpftrace), as a tool of RV(ansible_facts.ptrace.tools); C(bcc_tools), the BCC programs installed
              (Debian's C(*-bpfcc) in C(/usr/sbin), or C(/usr/share/bcc/tools)); C(bcc_version), from its Python
              package (null when BCC is not installed); C(bcc_kernel_headers), where BCC
              finds the running kernel's headers, which it compiles every program against (C(found), C(path), and C(via),
              which is V(source) or V(build) under C(/lib/modules/RELEASE), V(kheaders) for
              C(/sys/kernel/kheaders.tar.xz), or V(kheaders_module) for a module only root can load, when C(found) is
              null).
            - C(paranoid_3_denies_all), true when C(kernel.perf_event_paranoid=3) refuses every unprivileged
              perf_event_open (a kernel with Debian's and Ubuntu's patch, whose config names
              C(CONFIG_SECURITY_PERF_EVENTS_RESTRICT)), false on a mainline kernel (3 acts as 2), null when the
              kernel's config cannot be read (C(/boot/config-RELEASE), C(/proc/config.gz)).
            - C(seccomp_blocks_perf), true in a podman container whose seccomp filter refuses C(perf_event_open)
              (podman's default profile, without CAP_SYS_ADMIN in the bounding set), false outside a container or
              without a filter, null under another engine's filter (not measured).
          returned: when gathered
          type: dict
          sample:
            settings:
              kernel.perf_event_paranoid:
                runtime: 3
                boot: {value: null, source: null, applier: systemd_sysctl, appliers_agree: true, managed: false}
                drift: false
              kernel.kptr_restrict:
                runtime: 0
                boot: {value: null, source: null, applier: systemd_sysctl, appliers_agree: true, managed: false}
                drift: false
              kernel.unprivileged_bpf_disabled:
                runtime: 2
                boot: {value: null, source: null, applier: systemd_sysctl, appliers_agree: true, managed: false}
                drift: false
            lockdown: {mode: none, available: [none, integrity, confidentiality]}
            tracefs: {mounted: true, path: /sys/kernel/tracing, mode: "0700", read_only: false}
            debugfs: {mounted: true, path: /sys/kernel/debug, mode: "0700", read_only: false}
            bpftrace: {installed: false, path: null, version: null, mode: null, owner: null, group: null, caps: null}
            bcc_tools: []
            bcc_version: null
            bcc_kernel_headers: {found: false, path: null, via: null}
            paranoid_3_denies_all: true
            seccomp_blocks_perf: false
        windows:
          description:
            - The debug windows recorded on the host (M(debugready.ptrace.debug_window)), sorted by name. Each has
              C(name), C(profile), C(opened_at), C(opened_by) (the controller's C(user) and C(host)), C(ends_at),
              C(expired) (past its end and still open), C(closes_itself) (its systemd timer is installed and systemd
              runs) and C(problem) (why the record cannot be used, else null).
            - An expired window, or one whose record cannot be used, is also a finding (C(window_past_end),
              C(window_record_unusable)).
          returned: when gathered
          type: list
          elements: dict
          sample:
            - name: debug-access
              profile: sudo
              opened_at: "2026-12-05T16:00:00Z"
              opened_by: {user: alice, host: laptop}
              ends_at: "2026-12-05T18:00:00Z"
              expired: false
              closes_itself: true
              problem: null
        trace:
          description:
            - One entry per O(trace) request, in order, with C(request) (the request as given), C(summary) (one
              line), and either C(error) (and C(no_targets) when no process matched) or the result
              M(debugready.ptrace.trace_check) returns (C(allowed), C(targets), C(tracer), C(host), C(apache),
              C(mismatches)).
          returned: when O(trace) is given
          type: list
          elements: dict
          sample:
            - request: {user: alice, process: apache2, via: sudo}
              allowed: true
              summary: "alice may trace 2 apache2 process(es) via sudo"
              targets: [{pid: 812, allowed: true, reason: allowed}]
        policy:
          description:
            - C(compliant), true when the converge modules would change nothing for O(policy); C(components),
              per component C(compliant) and a C(detail) saying what differs; C(sudoers_grants) per drop-in.
          returned: when O(policy) is given
          type: dict
          sample:
            compliant: false
            components:
              yama: {compliant: true, detail: runtime and boot at 1}
              sudoers: {compliant: false, detail: "drifted: debugready-sudo"}
        findings:
          description: What a reviewer would flag, most severe first.
          returned: always
          type: list
          elements: dict
          sample:
            - id: container_no_sys_ptrace
              severity: medium
              message: CAP_SYS_PTRACE is not in this podman container's bounding set ...
              remediation: Start the container with --cap-add SYS_PTRACE ...
"""

import os
import socket

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.errors import UnsupportedError

from ansible_collections.debugready.ptrace.plugins.module_utils import (
    _caps_write, _command, _hoststate, _policy, _sudoers_write, _sysctl_write, _tools, _tracecheck,
)

POLICY_OPTIONS = dict(
    state=dict(type="str", choices=["present", "absent"], default="present"),
    snapshot=dict(type="path"),
    yama=dict(type="dict"),
    kernel_settings=dict(type="list", elements="dict", default=[]),
    group=dict(type="str"),
    members=dict(type="list", elements="str", default=[]),
    packages=dict(type="list", elements="str", default=[]),
    sudoers=dict(type="list", elements="dict", default=[]),
    filecap=dict(type="dict"),
    apache_coredump=dict(type="dict", options=dict(
        confs=dict(type="list", elements="path", required=True),
        content=dict(type="str", required=True),
        mode=dict(type="raw", default="0644"),  # raw, as file's: a YAML 0644 is the int 420, not the text "420"
        directory=dict(type="path", required=True),
        directory_mode=dict(type="raw", default="0700"),
    )),
    absent_paths=dict(type="list", elements="path", default=[]),
)

# The parts of a policy that say what a converge module would be called with: checked against that module's own
# argument spec (so the two cannot differ, and the documentation points to the module instead of restating it).
WRITER_OPTIONS = dict(
    yama=dict(_sysctl_write.SCOPE_OPTIONS),
    kernel_settings=dict(_sysctl_write.SETTING_OPTIONS),
    sudoers=dict(_sudoers_write.GRANT_OPTIONS),
    filecap=_caps_write.copy_policy_options(),
)


def check_writer_options(policy):
    """Validate (and fill in the defaults of) policy.yama, each policy.kernel_settings and policy.sudoers entry and
    policy.filecap in place.

    Returns the error messages, each naming its place in the policy; an empty list when all are valid.
    """
    errors = []
    for key, spec in WRITER_OPTIONS.items():
        value = policy.get(key)
        if value is None:
            continue
        listed = POLICY_OPTIONS[key]["type"] == "list"
        entries = value if listed else [value]
        validated = []
        for index, entry in enumerate(entries):
            result = ArgumentSpecValidator(spec).validate(entry)
            place = "policy.%s[%d]" % (key, index) if listed else "policy.%s" % key
            errors.extend("%s: %s%s" % (place, "unsupported parameters: " if isinstance(error, UnsupportedError) else "",
                                        error.msg) for error in result.errors)
            validated.append(result.validated_parameters)
        policy[key] = validated if listed else validated[0]
    return errors


def main():
    module = AnsibleModule(
        argument_spec=dict(
            gather_subset=dict(type="list", elements="str", default=["all"],
                               choices=["all"] + list(_hoststate.SECTIONS)),
            tools=dict(type="list", elements="str", default=list(_tools.DEFAULT_TOOLS)),
            tool_versions=dict(type="bool", default=True),
            capability_scan_dirs=dict(type="list", elements="path", default=list(_tools.DEFAULT_SCAN_DIRS)),
            validate_sudoers=dict(type="bool", default=True),
            trace=dict(type="list", elements="dict", options=dict(_tracecheck.REQUEST_OPTIONS)),
            policy=dict(type="dict", options=POLICY_OPTIONS),
        ),
        supports_check_mode=True,
    )
    params = module.params
    bad_tools = [t for t in params["tools"] if not _tools.TOOL_NAME.match(t)]
    if bad_tools:
        module.fail_json(msg="tools must be plain program names (letters, digits, '.', '_', '+', '-'): %s"
                         % ", ".join(repr(t) for t in bad_tools))
    relative = [d for d in params["capability_scan_dirs"] if not os.path.isabs(d) or "\x00" in d]
    if relative:
        module.fail_json(msg="capability_scan_dirs must be absolute paths, without NUL bytes: %s"
                         % ", ".join(repr(d) for d in relative))
    if params["policy"]:
        errors = check_writer_options(params["policy"])
        if errors:
            module.fail_json(msg="; ".join(errors))
    for request in params["trace"] or []:
        try:
            _tracecheck.validate(request)
        except _tracecheck.TraceCheckError as exc:
            module.fail_json(msg="trace entry for user %s: %s" % (request["user"], exc))
    sections = params["gather_subset"]
    if "all" in sections:
        sections = _hoststate.SECTIONS
    needed = set(sections)
    if params["trace"]:
        needed.update(_tracecheck.NEEDED_SECTIONS)
    if params["policy"]:
        needed.update(("yama", "container"))
    sections = [s for s in _hoststate.SECTIONS if s in needed]

    run = _command.runner(module.run_command)
    models = {}
    hostname = socket.gethostname()
    try:
        facts = _hoststate.gather(
            sections=sections,
            tools=params["tools"],
            scan_dirs=[os.path.normpath(d) for d in params["capability_scan_dirs"]],
            run=run,
            validate_sudoers=params["validate_sudoers"],
            tool_versions=params["tool_versions"],
            hostname=hostname,
            models=models,
        )
        if params["trace"]:
            facts["trace"] = _tracecheck.verdicts(params["trace"], facts, run, module.check_mode,
                                                  sudoers=models.get("sudoers"), hostname=hostname)
    except _command.CommandError as exc:
        module.fail_json(msg=str(exc), cmd=exc.argv, rc=exc.errno)
    if params["policy"]:
        try:
            facts["policy"] = _policy.evaluate(params["policy"], facts)
        except _policy.PolicyInputError as exc:
            module.fail_json(msg="policy: %s" % exc)
    module.exit_json(changed=False, ansible_facts={"ptrace": facts})


if __name__ == "__main__":
    main()
