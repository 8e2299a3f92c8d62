#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, debugready.ptrace contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: kernel_setting
short_description: Set perf's and eBPF's kernel settings at runtime and persist them so that they really win at boot
version_added: 1.1.0
description:
  - Sets one of C(kernel.perf_event_paranoid), C(kernel.kptr_restrict) or C(kernel.unprivileged_bpf_disabled)
    live, and persists it in a file under C(/etc/sysctl.d) whose name sorts after every other file setting the key,
    so it wins at boot for C(systemd-sysctl) and C(sysctl --system) alike. It reports which file wins before and
    after, and warns about any file that would still override it.
  - The same writer as M(debugready.ptrace.ptrace_scope), which keeps Yama's setting, with the same file rules, check
    mode, diff, policy range (O(minimum), O(maximum)) and revert (O(state=absent)).
  - C(kernel.unprivileged_bpf_disabled=1) cannot be undone until reboot (the kernel then refuses 0 and 2). Writing
    it needs O(confirm_irreversible=true). Once it is 1, another value is persisted and RV(reboot_required) is
    returned, without failing unless O(strict_runtime=true).
  - In a container (the settings are the host kernel's and C(/proc/sys) is read-only there), or on a kernel without
    the setting, nothing is written and the result says why and what to do instead (O(on_unsupported)).
author:
  - debugready.ptrace maintainers (@debugready)
extends_documentation_fragment:
  - debugready.ptrace.attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
    details: The diff is the persisted file, or with O(state=absent) the files removed. Nothing is read through a
      symlink.
  platform:
    details: Linux.
options:
  key:
    description:
      - The setting. C(kernel.perf_event_paranoid) decides who may use C(perf_event_open) (perf, and the perf
        events that bpftrace and BCC attach to); C(kernel.kptr_restrict) whether kernel addresses are shown (perf's
        kernel symbols, C(/proc/kallsyms)); C(kernel.unprivileged_bpf_disabled) whether users without CAP_BPF may
        call C(bpf()).
      - For C(kernel.yama.ptrace_scope) use M(debugready.ptrace.ptrace_scope).
    type: str
    required: true
    choices: [kernel.kptr_restrict, kernel.perf_event_paranoid, kernel.unprivileged_bpf_disabled]
  state:
    description:
      - V(present) converges the setting. V(absent) removes every file this module persisted for O(key) (found by
        its header) and, when O(value) is given, sets the runtime value to it (used to revert to a snapshot).
      - A file of this module that also sets other keys (added by hand) is neither rewritten nor removed, as that
        would drop them; the task fails and names them.
    type: str
    choices: [present, absent]
    default: present
  value:
    description:
      - The value to set. C(kernel.perf_event_paranoid) V(-1) to V(3) (3 exists on Debian's and Ubuntu's kernels,
        where it refuses every use without CAP_SYS_ADMIN; mainline stores it and acts as at 2);
        C(kernel.kptr_restrict) V(0) to V(2); C(kernel.unprivileged_bpf_disabled) V(0) to V(2).
      - An integer, or a string holding one. A boolean is refused (Ansible would otherwise read V(true) as 1).
    type: raw
  minimum:
    description:
      - Accept any value at or above this (stricter); a lower value is raised to it (or to O(value)). Given as for
        O(value).
    type: raw
  maximum:
    description:
      - Accept any value at or below this; a higher value is lowered to it (or to O(value)). Given as for O(value).
    type: raw
  confirm_irreversible:
    description: Confirm writing C(kernel.unprivileged_bpf_disabled=1), which cannot be undone without a reboot.
    type: bool
    default: false
  apply:
    description: Change the V(runtime) value, the V(persistent) file, or V(both).
    type: str
    choices: [both, runtime, persistent]
    default: both
  file:
    description:
      - The file to persist in, an absolute path directly in C(/etc/sysctl.d), as for
        M(debugready.ptrace.ptrace_scope). By default C(99-debugready-STEM.conf), where STEM is the key's last part
        with C(-) for C(_) (C(99-debugready-perf-event-paranoid.conf)), or a later name as that module chooses it.
    type: path
  strict_runtime:
    description: Fail when the runtime value cannot be changed (C(kernel.unprivileged_bpf_disabled) locked at 1)
      instead of persisting and returning RV(reboot_required).
    type: bool
    default: false
  on_unsupported:
    description:
      - What to do in a container, without the setting, or when C(/proc/sys) is read-only. V(skip) warns and
        changes nothing; V(fail) fails.
    type: str
    choices: [skip, fail]
    default: skip
notes:
  - Lowering C(kernel.perf_event_paranoid) lets every user observe more of the system (to 0, every CPU; to -1,
    kernel tracepoints too), and C(kernel.kptr_restrict=0) shows kernel addresses to every user, which defeats
    KASLR. Keep such a change to a debugging window and revert it (O(state=absent) with the snapshot's value).
seealso:
  - module: debugready.ptrace.ptrace_scope
  - module: debugready.ptrace.trace_check
    description: What C(kernel.perf_event_paranoid) lets a user do with perf (O(debugready.ptrace.trace_check#module:tool=perf)).
"""

EXAMPLES = r"""
- name: Let developers profile their own processes with perf (Debian boots at 3, which refuses everything)
  debugready.ptrace.kernel_setting:
    key: kernel.perf_event_paranoid
    value: 2
  become: true

- name: Compliance check that accepts 2 or stricter (run with --check for a report)
  debugready.ptrace.kernel_setting:
    key: kernel.perf_event_paranoid
    minimum: 2
  become: true

- name: Back to the snapshot after the window, and no file of ours left
  debugready.ptrace.kernel_setting:
    key: kernel.perf_event_paranoid
    state: absent
    value: 3
  become: true
"""

RETURN = r"""
key:
  description: The setting (O(key)).
  returned: always
  type: str
  sample: kernel.perf_event_paranoid
before:
  description: The runtime value and, per applier, the persisted value that wins at boot with its file, before the run.
  returned: always
  type: dict
  sample: {runtime: 3, boot: {systemd_sysctl: {value: null, source: null}, sysctl_system: {value: null, source: null}}}
after:
  description: The same after the run (predicted in check mode).
  returned: always
  type: dict
  sample: {runtime: 2, boot: {systemd_sysctl: {value: "2", source: /etc/sysctl.d/99-debugready-perf-event-paranoid.conf},
           sysctl_system: {value: "2", source: /etc/sysctl.d/99-debugready-perf-event-paranoid.conf}}}
target:
  description: The value the run converged to (null when skipped).
  returned: always
  type: int
  sample: 2
path:
  description:
    - The persisted file (null when O(apply=runtime) or skipped). The managed file is RV(path) in every converge
      module of the collection.
  returned: always
  type: str
  sample: /etc/sysctl.d/99-debugready-perf-event-paranoid.conf
reasons:
  description: What changed (or would change in check mode), one entry per change; empty when nothing does.
  returned: always
  type: list
  elements: str
  sample: ["runtime 3, target 2", "persisted value needs /etc/sysctl.d/99-debugready-perf-event-paranoid.conf"]
reboot_required:
  description: The persisted value differs from what the runtime could be set to (a setting locked until reboot).
  returned: always
  type: bool
  sample: false
diff:
  description:
    - With C(--diff), the persisted file before and after (when a file is persisted), or the removed files'
      content (O(state=absent) with a managed file).
  returned: when diff mode is on and a file is persisted or removed
  type: dict
  contains:
    before:
      description: The file's text before the run (empty when it did not exist).
      type: str
    after:
      description: The file's text after the run (empty when removed).
      type: str
    before_header:
      description: The file (files, comma-separated, when several are removed).
      type: str
    after_header:
      description: The same file.
      type: str
skipped:
  description: True when nothing was done because the host cannot take the setting (container, no such setting).
  returned: when skipped
  type: bool
  sample: false
skip_reason:
  description: Why, and what to do instead.
  returned: when skipped
  type: str
  sample: In a podman container kernel.perf_event_paranoid is the host kernel's and /proc/sys is read-only ...
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.debugready.ptrace.plugins.module_utils import _hoststate, _sysctl_write

ROOT = "/"  # the host; unit tests point it at a fixture tree


def main():
    module = AnsibleModule(
        argument_spec=dict(_sysctl_write.SETTING_OPTIONS, **_sysctl_write.APPLY_OPTIONS),
        supports_check_mode=True,
    )
    facts = _hoststate.gather(root=ROOT, sections=("container",))
    _sysctl_write.run_module(module, _sysctl_write.SETTINGS[module.params["key"]], facts, ROOT)


if __name__ == "__main__":
    main()
