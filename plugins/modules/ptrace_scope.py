#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, debugready.ptrace contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: ptrace_scope
short_description: Set Yama's kernel.yama.ptrace_scope at runtime and persist it so that it really wins at boot
version_added: 0.1.0
description:
  - Sets C(kernel.yama.ptrace_scope) live and persists it in a file under C(/etc/sysctl.d) whose name sorts after
    every other file setting the key, so it wins at boot for C(systemd-sysctl) and C(sysctl --system) alike.
    Reports which file wins before and after, and warns about any file that would still override it (for example
    C(/etc/sysctl.conf), which C(sysctl --system) applies last).
  - Accepts a policy range (O(minimum), O(maximum)) for compliance checks that accept stricter values.
  - Scope 3 locks Yama until reboot. Lowering it cannot happen at runtime; the new value is persisted and
    RV(reboot_required) is returned, without failing unless O(strict_runtime=true). Writing 3 needs
    O(confirm_scope_3=true).
  - In a container (Yama is host-global and C(/proc/sys) is read-only there), or on a kernel without Yama, nothing
    is written and the result says why and what to do instead (O(on_unsupported)).
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
    details: Linux with the Yama LSM.
options:
  state:
    description:
      - V(present) converges the scope. V(absent) removes every file this module persisted (found by its header)
        and, when O(value) is given, sets the runtime value to it (used to revert to a snapshot).
      - A file of this module that also sets other keys (added by hand) is neither rewritten nor removed, as that
        would drop them; the task fails and names them.
    type: str
    choices: [present, absent]
    default: present
  value:
    description:
      - The scope to set, one of V(0) (classic), V(1) (restricted to descendants), V(2) (admin only), V(3) (no
        attach).
      - An integer, or a string holding one of these digits. A boolean is refused (Ansible would otherwise read
        V(true) as 1).
    type: raw
  minimum:
    description:
      - Accept any scope at or above this; a lower scope is raised to it (or to O(value)).
      - One of V(0), V(1), V(2), V(3), given as for O(value).
    type: raw
  maximum:
    description:
      - Accept any scope at or below this; a higher scope is lowered to it (or to O(value)).
      - One of V(0), V(1), V(2), V(3), given as for O(value).
    type: raw
  apply:
    description: Change the V(runtime) value, the V(persistent) file, or V(both).
    type: str
    choices: [both, runtime, persistent]
    default: both
  file:
    description:
      - The file to persist in, an absolute path directly in C(/etc/sysctl.d) (it is normalised, so
        C(/etc/sysctl.d//x.conf) is C(/etc/sysctl.d/x.conf); C(..) is refused). A given file that does not win is
        written, with a warning naming the winner.
      - By default C(99-debugready-ptrace-scope.conf) is used, or, when another file setting the key sorts after
        it, the first of C(zz-debugready-ptrace-scope.conf) and C(<last setter>_debugready-ptrace-scope.conf) that
        sorts after every such file.
      - The module only overwrites or removes a regular file whose first line is its own header. A name that is
        taken by anything else (a file of someone else, a symlink, a directory), or whose file would mask a file of
        the same name in a later sysctl.d directory that sets other keys, is skipped for the next default name
        with a warning; a given O(file) that is taken fails the task. When no default name is free the task fails
        and asks for O(file).
    type: path
  confirm_scope_3:
    description: Confirm writing 3, which cannot be undone without a reboot.
    type: bool
    default: false
  strict_runtime:
    description: Fail when the runtime value cannot be changed (Yama locked at 3) instead of persisting and
      returning RV(reboot_required).
    type: bool
    default: false
  on_unsupported:
    description:
      - What to do in a container, without Yama, or when C(/proc/sys) is read-only. V(skip) warns and changes
        nothing; V(fail) fails.
    type: str
    choices: [skip, fail]
    default: skip
notes:
  - Lowering the scope widens who can read other processes' memory; 0 is for development machines only.
seealso:
  - module: debugready.ptrace.ptrace_facts
"""

EXAMPLES = r"""
- name: CIS - ptrace restricted to descendants, now and at every boot
  debugready.ptrace.ptrace_scope:
    value: 1
  become: true

- name: Compliance check that accepts 1, 2 or 3 (run with --check for a report)
  debugready.ptrace.ptrace_scope:
    minimum: 1
  become: true

- name: Lock ptrace down until reboot
  debugready.ptrace.ptrace_scope:
    value: 3
    confirm_scope_3: true
  become: true
"""

RETURN = r"""
before:
  description: The runtime value and, per applier, the persisted value that wins at boot with its file, before the run.
  returned: always
  type: dict
  sample: {runtime: 0, boot: {systemd_sysctl: {value: "0", source: /usr/lib/sysctl.d/10-default-yama-scope.conf},
           sysctl_system: {value: "0", source: /usr/lib/sysctl.d/10-default-yama-scope.conf}}}
after:
  description: The same after the run (predicted in check mode).
  returned: always
  type: dict
  sample: {runtime: 1, boot: {systemd_sysctl: {value: "1", source: /etc/sysctl.d/99-debugready-ptrace-scope.conf},
           sysctl_system: {value: "1", source: /etc/sysctl.d/99-debugready-ptrace-scope.conf}}}
target:
  description: The scope the run converged to (null when skipped).
  returned: always
  type: int
  sample: 1
path:
  description:
    - The persisted file (null when O(apply=runtime) or skipped). The managed file is RV(path) in every converge
      module of the collection.
  returned: always
  type: str
  sample: /etc/sysctl.d/99-debugready-ptrace-scope.conf
reasons:
  description: What changed (or would change in check mode), one entry per change; empty when nothing does.
  returned: always
  type: list
  elements: str
  sample: ["runtime 0, target 1", "persisted value needs /etc/sysctl.d/99-debugready-ptrace-scope.conf"]
reboot_required:
  description: The persisted value differs from what the runtime could be set to (Yama locked at 3).
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
  sample: {before: "", after: "# Managed by debugready.ptrace.ptrace_scope\n...", before_header: /etc/sysctl.d/99-debugready-ptrace-scope.conf,
           after_header: /etc/sysctl.d/99-debugready-ptrace-scope.conf}
skipped:
  description:
    - True when nothing was done because the host cannot take the setting (container, no Yama); Ansible then shows
      the task as skipped.
  returned: when skipped
  type: bool
  sample: false
skip_reason:
  description: Why, and what to do instead.
  returned: when skipped
  type: str
  sample: In a podman container Yama is the host's; set it on the host, and start the container with --cap-add SYS_PTRACE.
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.debugready.ptrace.plugins.module_utils import _hoststate, _sysctl_write

ROOT = "/"  # the host; unit tests point it at a fixture tree


def main():
    module = AnsibleModule(
        argument_spec=dict(_sysctl_write.SCOPE_OPTIONS, **_sysctl_write.APPLY_OPTIONS),
        supports_check_mode=True,
    )
    facts = _hoststate.gather(root=ROOT, sections=("yama", "container"))
    _sysctl_write.run_module(module, _sysctl_write.YAMA, facts, ROOT)


if __name__ == "__main__":
    main()
