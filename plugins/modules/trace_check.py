#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, debugready.ptrace contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: trace_check
short_description: Can user U trace process P, and if not, which kernel check says no
version_added: 0.1.0
description:
  - Answers, the way the kernel decides it, whether a user can attach a debugger to one or more processes,
    directly, through sudo (as root or as another user), or through a tool holding file capabilities.
  - Each refusal names the check that refuses it (reason codes such as C(uid_gid_mismatch),
    C(target_not_dumpable), C(yama_scope1_not_descendant), C(sudo_not_permitted)), explains it with the values
    that decided it, and gives the smallest change that would allow it with its security cost.
  - With O(probe=true) it really attaches with C(strace) as that user (PTRACE_SEIZE, recording nothing, detached
    after O(probe_timeout) seconds; the target is never stopped or killed) and reports whether the prediction
    matched. A mismatch means the model is wrong on this host and is reported as a warning.
  - For O(tool=perf) it answers for C(perf stat), C(perf record) and C(perf trace) on processes, or system-wide
    (O(system_wide=true)), with the checks of perf_event_open, in this order. C(kernel.perf_event_paranoid), whose
    level 3 on Debian's and Ubuntu's kernels refuses every use without CAP_SYS_ADMIN. CAP_PERFMON. The read-mode
    ptrace check on the target, which Yama does not restrict. In a container, before all of them, its seccomp
    profile. Reason codes C(perf_blocked_by_seccomp), C(perf_paranoid_3_no_unprivileged),
    C(perf_paranoid_cpu_wide), and the credential codes above. Its probe runs C(perf stat) on a software event
    for O(probe_timeout) seconds.
  - For O(tool=bpftrace) it answers for a uprobe in each process (C(bpftrace -p PID)), or a kprobe
    (O(system_wide=true)), in the order measured. bpftrace itself runs for uid 0 only (a capability copy is
    refused too) and not at all under lockdown's confidentiality mode. C(-p) opens the process's mount namespace,
    which needs ptrace's read access. In a container, its seccomp profile. CAP_BPF for its maps. Its output buffer,
    a perf event on every CPU, under C(kernel.perf_event_paranoid)'s rules (Debian's level 3 wants CAP_SYS_ADMIN).
    A kernel with kprobes for a kprobe. Without CAP_SYS_ADMIN the kernel refuses the probe event and bpftrace falls
    back to tracefs, which must be mounted read-write. Reason codes C(bpftrace_requires_root),
    C(lockdown_confidentiality), C(bpf_blocked_by_seccomp), C(bpf_needs_capabilities), C(kprobes_unavailable),
    C(probe_events_need_tracefs), and the credential and perf codes above. Its probe attaches
    C(uprobe:libc:getpid) in the process (or C(kprobe:vfs_read)) for O(probe_timeout) seconds.
  - For BCC's tools (O(tool=funccount-bpfcc) or any C(*-bpfcc), or a tool in C(/usr/share/bcc/tools)) it answers
    for a uprobe in each process (C(funccount -p PID c:getpid)) or a kprobe pattern (O(system_wide=true)), in the
    order measured with BCC 0.26. A kprobe pattern reads debugfs's C(kprobes/blacklist) first (root only). BCC
    compiles against the running kernel's headers and refuses without them. In a container, its seccomp profile.
    CAP_BPF for its maps. C(-p) opens the library through C(/proc/PID/root), which needs ptrace's read access.
    CAP_PERFMON for its program. A kprobe is refused under lockdown's confidentiality mode, needs kprobes, and without
    CAP_SYS_ADMIN goes through tracefs and a perf event on a CPU (Debian's level 3 wants CAP_SYS_ADMIN). A uprobe
    without CAP_SYS_ADMIN goes through tracefs under a long event name the kernel may refuse, which cannot be told
    beforehand (C(certain=false)). Reason codes C(bcc_kprobe_list_unreadable), C(bcc_kernel_headers_missing),
    C(bcc_uprobe_through_tracefs), and the bpftrace, credential and perf codes above. Its probe runs C(funccount)
    for O(probe_timeout) seconds rounded up to whole seconds; another BCC tool is probed with funccount.
  - C(gdb) and C(ltrace) attach with ptrace as strace does, so their verdict is strace's (probe with strace).
  - It knows Apache httpd, whose master and workers are reported separately, with the workers' user, their dumpable state
    and whether C(CoreDumpDirectory) is configured.
  - Never changes the host.
author:
  - debugready.ptrace maintainers (@debugready)
extends_documentation_fragment:
  - debugready.ptrace.attributes
attributes:
  check_mode:
    support: full
    details: The module changes nothing; a probe is an observation and runs in check mode unless O(probe_in_check_mode=false).
  diff_mode:
    support: none
  platform:
    details: Linux only. The probe needs C(timeout) (coreutils) and C(setpriv) (util-linux).
options:
  user:
    description: The tracing user, by name or uid.
    type: str
    required: true
  pid:
    description: The target process IDs.
    type: list
    elements: int
  process:
    description: A process name (as in C(/proc/PID/comm), e.g. V(apache2) or V(httpd)); every matching process is a target.
    type: str
  process_user:
    description: With O(process), only the processes running as this user (effective uid), e.g. Apache's workers.
    type: str
  via:
    description:
      - How the user runs the tool. V(direct) runs it as the user; V(sudo) runs it through sudo as O(runas);
        V(filecap) runs the file-capability tool at O(filecap_path) as the user.
    type: str
    choices: [direct, sudo, filecap]
    default: direct
  runas:
    description: With O(via=sudo), the user sudo runs the tool as.
    type: str
    default: root
  filecap_path:
    description: With O(via=filecap), the absolute path of the tool holding file capabilities.
    type: path
  tool:
    description:
      - The debugging tool, by name (looked up in the standard bin and sbin directories) or absolute path.
      - V(perf), or a name starting with C(perf-) or C(perf_), is answered with perf_event_open's checks;
        V(bpftrace) (or C(bpftrace-...), C(bpftrace_...)) with bpftrace's and bpf()'s; BCC's tools (a name ending in
        C(-bpfcc), or a path in C(/usr/share/bcc/tools)) with BCC's; every other tool (V(strace), V(gdb), V(ltrace))
        with ptrace's.
      - With O(via=filecap), the tool the copy at O(filecap_path) is (V(strace), V(perf) or V(bpftrace)).
    type: str
    default: strace
  system_wide:
    description:
      - With O(tool=perf), answer for system-wide events (C(perf stat -a), C(perf record -a)) instead of processes;
        with O(tool=bpftrace) or a BCC tool, for a kprobe. O(pid) and O(process) are then not taken.
    type: bool
    default: false
  probe:
    description:
      - Really run the tool as the user to confirm the prediction. C(strace) attaches (recording nothing); C(perf)
        counts the C(task-clock) software event with C(perf stat) on the target (or system-wide); C(bpftrace)
        attaches an empty uprobe in the target (or kprobe) and exits; BCC's C(funccount) counts calls of
        C(getpid) in the target (or of C(vfs_read)) for whole seconds.
    type: bool
    default: false
  probe_timeout:
    description: Seconds a probe stays attached before it detaches.
    type: float
    default: 2
  probe_in_check_mode:
    description: Run the probe in check mode too (it only observes).
    type: bool
    default: true
  sudo_interactive:
    description:
      - With O(via=sudo), accept a rule that needs the user's password. When false (non-interactive use, the
        default), such a rule gives the reason C(sudo_password_required).
    type: bool
    default: false
notes:
  - Needs root (O(ignore:become=true)) to answer for a user other than the one it runs as.
  - Dumpability is read from outside (C(/proc/PID) ownership); it cannot be known for a root-owned target, and
    the verdict then says so (C(allowed) null, C(certain) false).
  - C(sudo -n -l -U USER CMD) is the authority on what sudo permits; the parsed sudoers tree only explains it.
  - Where C(sudo) is sudo-rs (told by the path of the binary here), the same commands are asked, and the tree is
    read as sudo-rs 0.2.5 reads it (no C(NOTAFTER), no C(NOEXEC), no globbing of arguments, ...), so C(model_agrees)
    compares like with like; a probe refused for a password is recognised from sudo-rs's own message.
  - Granting ptrace (sudo strace or gdb, or C(CAP_SYS_PTRACE)) is root-equivalent; every remediation that
    grants it says so.
seealso:
  - module: debugready.ptrace.ptrace_facts
  - name: Why can't I strace this process?
    description: Real outputs of this module for the common cases.
    link: https://github.com/debugready/ptrace/blob/main/docs/why-cant-i-strace.md
"""

EXAMPLES = r"""
- name: Can www-data strace its own Apache workers?
  debugready.ptrace.trace_check:
    user: www-data
    process: apache2
  become: true
  register: verdict

- name: Can alice strace the workers through sudo? Prove it.
  debugready.ptrace.trace_check:
    user: alice
    process: apache2
    via: sudo
    probe: true
  become: true

- name: Does the group-restricted strace copy work for alice on PID 812?
  debugready.ptrace.trace_check:
    user: alice
    pid: [812]
    via: filecap
    filecap_path: /usr/local/bin/strace-debug
  become: true

- name: Can alice profile her own service with perf, and system-wide? Prove it.
  debugready.ptrace.trace_check:
    user: alice
    process: myservice
    tool: perf
    probe: true
  become: true

- name: And system-wide (perf record -a)?
  debugready.ptrace.trace_check:
    user: alice
    tool: perf
    system_wide: true
  become: true

- name: Fail the play when the promise does not hold
  ansible.builtin.assert:
    that: verdict.allowed
    fail_msg: "{{ verdict.targets | rejectattr('allowed') | map(attribute='explanation') | list }}"
"""

RETURN = r"""
allowed:
  description: Whether every target can be traced (a null verdict counts as not allowed).
  returned: always
  type: bool
  sample: false
targets:
  description: One verdict per target.
  returned: always
  type: list
  elements: dict
  contains:
    pid:
      description: The target PID, null for a system-wide request.
      type: int
      returned: always
      sample: 812
    system_wide:
      description: True for the entry of a system-wide perf request.
      type: bool
      returned: always
      sample: false
    comm:
      description: The process name, null when the process does not exist.
      type: str
      returned: always
      sample: apache2
    user:
      description: The target's effective user.
      type: str
      returned: always
      sample: www-data
    uids:
      description: Real, effective, saved and filesystem uid of the target.
      type: list
      elements: int
      returned: always
      sample: [33, 33, 33, 33]
    dumpable:
      description: Whether the target is dumpable, null when it cannot be told (root-owned target).
      type: bool
      returned: always
      sample: false
    role:
      description: V(master) or V(worker) for Apache processes, else null.
      type: str
      returned: always
      sample: worker
    apparmor:
      description:
        - For the ptrace tools, the target's AppArmor label (C(label) with C(label), C(mode), C(confined)) and the
          kernel's answers for this tracer, C(trace) (the tool's profile may trace the target's label) and
          C(tracedby) (the target's profile may be traced by the tool's); each true, false or null (unknown).
      type: dict
      returned: when the target exists and the tool is a ptrace tool (not perf, bpftrace or BCC)
      sample: {label: {label: unconfined, mode: null, confined: false}, trace: true, tracedby: true}
    selinux:
      description:
        - For the ptrace tools, the target's SELinux context (C(context), null without SELinux) and the policy's
          answer (C(ptrace)), whether the tool's domain (C(selinux.tracer) in RV(host)) may ptrace it (true, false, or
          null when unknown).
      type: dict
      returned: when the target exists and the tool is a ptrace tool (not perf, bpftrace or BCC)
      sample: {context: "system_u:system_r:httpd_t:s0", ptrace: false}
    allowed:
      description: The verdict; null when it cannot be known from outside.
      type: bool
      returned: always
      sample: false
    reason:
      description: The reason code of the check that decided.
      type: str
      returned: always
      sample: target_not_dumpable
      choices: [target_not_found, kernel_thread, self, seccomp_blocks_ptrace, filecap_exec_fails_bounding_set,
                filecap_not_applied_nosuid, filecap_not_applied_nnp, filecap_not_applied_missing, uid_gid_mismatch,
                target_not_dumpable, target_has_more_capabilities, yama_scope3_no_attach,
                yama_scope2_requires_cap_sys_ptrace, yama_scope1_not_descendant, selinux_deny_ptrace,
                selinux_denied, apparmor_denied, already_traced, sudo_not_permitted, sudo_password_required, perf_events_unavailable,
                perf_blocked_by_seccomp, perf_paranoid_3_no_unprivileged, perf_paranoid_cpu_wide,
                bpftrace_requires_root, lockdown_confidentiality, bpf_blocked_by_seccomp, bpf_needs_capabilities,
                kprobes_unavailable, probe_events_need_tracefs, bcc_kprobe_list_unreadable,
                bcc_kernel_headers_missing, bcc_uprobe_through_tracefs, allowed]
    errno:
      description: The error the attach fails with (EPERM, EACCES, ESRCH, ENOENT, EINVAL), null when allowed, refused by
        sudo, or refused by the tool itself.
      type: str
      returned: always
      sample: EPERM
    explanation:
      description: One or two sentences naming the values that decided.
      type: str
      returned: always
      sample: apache2[812] is not dumpable (it changed credentials, e.g. Apache dropping root for www-data) ...
    remediation:
      description: The smallest change that would allow it, and its security cost. Null when allowed.
      type: str
      returned: always
      sample: Apache workers become dumpable only when CoreDumpDirectory is configured (then restart Apache) ...
    certain:
      description:
        - False when the verdict depends on what cannot be seen from outside (a root target's dumpable flag, an
          AppArmor profile's capability rules, a tool's AppArmor label or SELinux domain that could not be learnt,
          a SELinux policy that could not be asked, a user who logs in as another SELinux user, an allowed perf,
          bpftrace or BCC verdict where SELinux enforces, whose perf_event and bpf rules are not modelled).
      type: bool
      returned: always
      sample: true
    kernel_samples:
      description:
        - For perf, whether kernel code is counted too (C(kernel.perf_event_paranoid) 1 or less, or CAP_PERFMON);
          when false, perf falls back to user-space events (C(:u)) by itself.
      type: bool
      returned: when allowed with O(tool=perf)
      sample: false
    probe:
      description:
        - With O(probe=true), what really happened (C(attached), C(errno), C(stderr), C(rc), C(command)), and
          C(matches), whether the prediction equals reality (null when the prediction was unknown).
      type: dict
      returned: when probed
      sample: {attached: false, errno: EPERM, matches: true, rc: 1,
               stderr: "strace: attach: ptrace(PTRACE_SEIZE, 812): Operation not permitted"}
    sudo:
      description:
        - With O(via=sudo), what sudo itself answered (C(rc) and C(permitted), from C(sudo -n -l -U)) and
          C(nopasswd), and C(model), the sudoers model's answer for the same command (C(allowed), C(certain),
          C(uncertain_because), the C(rule) that decided with its C(source), C(line), C(command) and whether it
          is a deny, and the C(parser) that read the tree), with C(model_agrees) (null when the model was not
          certain). sudo decides; the model names the rule.
      type: dict
      returned: with O(via=sudo)
      sample: {rc: 1, permitted: false, model_agrees: true,
               model: {allowed: false, certain: true, parser: cvtsudoers, uncertain_because: [],
                       rule: {source: /etc/sudoers.d/ops, line: 4, command: /usr/bin/strace, negated: true}}}
tracer:
  description:
    - The tracer as modelled (user, uid, groups, via, runas, the uid the tool runs as, the tool path, whether it
      holds CAP_SYS_PTRACE, its file capabilities and why they do not apply).
    - For perf, bpftrace and BCC, C(kernel_symbols), whether C(/proc/kallsyms) shows the tracer real addresses
      (C(kernel.kptr_restrict) 0 with C(kernel.perf_event_paranoid) 1 or less, or CAP_SYSLOG at 0 and 1, never at
      2; null when a setting cannot be read). Without them kernel functions in samples and stacks stay unnamed, and
      an allowed verdict says so in its C(explanation).
  returned: always
  type: dict
  sample: {user: alice, uid: 1000, groups: [alice, debug], via: sudo, runas: root, runs_as_uid: 0,
           tool: /usr/bin/strace, cap_sys_ptrace: true, filecaps: null, filecap_problem: null}
kind:
  description: Which checks answer for the tool, V(ptrace), V(perf) (perf_event_open), V(bpftrace) or V(bcc).
  returned: always
  type: str
  sample: ptrace
host:
  description:
    - The host state that took part in the decision. C(perf_event_paranoid) and C(paranoid_3_denies_all) (see
      M(debugready.ptrace.ptrace_facts)) are set for O(tool=perf), null otherwise, and C(seccomp_blocks_perf),
      whether this container's seccomp profile refuses perf_event_open (podman's default does without
      CAP_SYS_ADMIN; null for another engine's filter, which was not measured).
    - For O(tool=bpftrace), C(perf_event_paranoid) and C(paranoid_3_denies_all) too (its output buffer),
      C(seccomp_blocks_bpf), the same as C(seccomp_blocks_perf) for bpf(), C(lockdown), the lockdown mode (null when
      securityfs does not show it), and with O(system_wide=true) C(kprobes), whether the kernel has kprobes (null
      when its config cannot be read). Null otherwise.
    - For perf, bpftrace and BCC, C(kptr_restrict) (see C(tracer.kernel_symbols)).
    - C(apparmor), the facts of M(debugready.ptrace.ptrace_facts) and, for the ptrace tools, C(in_play) (profiles
      are loaded, or this process is confined) and C(tracer), the AppArmor label the tool runs under (C(label),
      C(mode), C(confined)). To learn it the module executes the tool stopped at its first instruction
      (PTRACE_TRACEME), reads its label and kills it; only where AppArmor has profiles loaded. Null when unknown.
    - C(selinux), the facts of M(debugready.ptrace.ptrace_facts) and, for the ptrace tools, C(tracer) (the SELinux
      context the tool runs in when executed from this module's domain, learnt the same way, wherever SELinux is
      enabled), C(cap_sys_ptrace) (the policy gives that domain C(capability sys_ptrace)), C(permissive) (the domain
      is permissive) and C(login_differs) (the user logs in as another SELinux user than the module runs as, so a
      login of theirs may run in another domain, so an allowed verdict is then not certain). The policy's answers come
      from the kernel (C(/sys/fs/selinux/access)), with every boolean's current value.
    - For BCC's tools, the same as for bpftrace, and C(kernel_headers) (C(found), C(path) and C(via), where BCC finds
      the running kernel's headers) and C(debugfs_mounted) (at C(/sys/kernel/debug), where a kprobe pattern's list
      starts).
  returned: always
  type: dict
  sample: {yama_present: true, yama_scope: 1, sys_ptrace_in_bounding_set: true, perf_event_paranoid: null,
           paranoid_3_denies_all: null,
           selinux: {enabled: false, enforcing: false, mode: disabled, config_mode: null, policy: null,
                     deny_ptrace: false, deny_ptrace_boolean: null, tracer: null, cap_sys_ptrace: null,
                     permissive: null, login_differs: false},
           apparmor: {enabled: true, profiles: [], enforcing: 0, in_play: false, tracer: null}}
apache:
  description:
    - With Apache targets, its master and worker PIDs, the workers' users, whether they are dumpable, and the
      CoreDumpDirectory setting with the file it comes from.
  returned: when a target is an Apache process
  type: dict
  sample: {master_pids: [1], worker_pids: [812, 813], worker_users: [www-data], workers_dumpable: false,
           coredump_directory: null, coredump_directory_source: null}
mismatches:
  description: PIDs whose probe outcome differed from the prediction (V(system) for a system-wide request).
  returned: always
  type: list
  elements: raw
  sample: []
"""

import socket

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.debugready.ptrace.plugins.module_utils import _command, _tracecheck


def main():
    module = AnsibleModule(
        argument_spec=dict(_tracecheck.REQUEST_OPTIONS, probe_in_check_mode=dict(type="bool", default=True)),
        # one of pid, process or system_wide: validate() says which, system_wide being a bool with a default
        mutually_exclusive=[("pid", "process")],
        required_if=[("via", "filecap", ("filecap_path",))],
        required_by={"process_user": "process"},
        supports_check_mode=True,
    )
    params = module.params
    try:
        _tracecheck.validate(params)
    except _tracecheck.TraceCheckError as exc:
        module.fail_json(msg=str(exc))

    run = _command.runner(module.run_command)

    try:
        result = _tracecheck.check(params, run, in_check_mode=module.check_mode, hostname=socket.gethostname())
    except _tracecheck.TraceCheckError as exc:
        module.fail_json(msg=str(exc))
    except _command.CommandError as exc:
        module.fail_json(msg=str(exc), cmd=exc.argv, rc=exc.errno)
    for pid in result["mismatches"]:
        target = [t for t in result["targets"] if (t["pid"] if t["pid"] is not None else "system") == pid][0]
        module.warn("MODEL MISMATCH on PID %s: predicted %s (%s) but the probe %s. Please report it with this "
                    "output." % (pid, "allowed" if target["allowed"] else "refused", target["reason"],
                                 "attached" if target["probe"]["attached"] else "was refused: "
                                 + target["probe"]["stderr"]))
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
