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
    details: The diff is the persisted file.
  platform:
    details: Linux with the Yama LSM.
options:
  state:
    description:
      - V(present) converges the scope. V(absent) removes every file this module persisted (found by its header)
        and, when O(value) is given, sets the runtime value to it (used to revert to a snapshot).
    type: str
    choices: [present, absent]
    default: present
  value:
    description: The scope to set (0 classic, 1 restricted to descendants, 2 admin only, 3 no attach).
    type: int
    choices: [0, 1, 2, 3]
  minimum:
    description: Accept any scope at or above this; a lower scope is raised to it (or to O(value)).
    type: int
    choices: [0, 1, 2, 3]
  maximum:
    description: Accept any scope at or below this; a higher scope is lowered to it (or to O(value)).
    type: int
    choices: [0, 1, 2, 3]
  apply:
    description: Change the V(runtime) value, the V(persistent) file, or V(both).
    type: str
    choices: [both, runtime, persistent]
    default: both
  file:
    description:
      - The file to persist in, directly in C(/etc/sysctl.d). By default a name is chosen that sorts after every
        other file setting the key. A given file that does not win is written, with a warning naming the winner.
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
file:
  description: The persisted file (null when O(apply=runtime) or skipped).
  returned: always
  type: str
  sample: /etc/sysctl.d/99-debugready-ptrace-scope.conf
reboot_required:
  description: The persisted value differs from what the runtime could be set to (Yama locked at 3).
  returned: always
  type: bool
  sample: false
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

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.debugready.ptrace.plugins.module_utils import _fileio, _hoststate, _lsm, _sysctl, _sysctl_write

KEY = _lsm.YAMA_KEY


def unsupported_reason(facts):
    container = facts["container"]
    yama = facts["yama"]
    if container["detected"]:
        return ("In a %s container Yama is the host's and /proc/sys is read-only: set kernel.yama.ptrace_scope on the "
                "host (e.g. with this module there), and start the container with --cap-add SYS_PTRACE for tracing "
                "inside it." % (container["engine"] or "unknown"))
    if not yama["present"]:
        return "This kernel has no Yama LSM: kernel.yama.ptrace_scope does not exist, there is nothing to set."
    return None


def main():
    module = AnsibleModule(
        argument_spec=dict(
            state=dict(type="str", choices=["present", "absent"], default="present"),
            value=dict(type="int", choices=[0, 1, 2, 3]),
            minimum=dict(type="int", choices=[0, 1, 2, 3]),
            maximum=dict(type="int", choices=[0, 1, 2, 3]),
            apply=dict(type="str", choices=["both", "runtime", "persistent"], default="both"),
            file=dict(type="path"),
            confirm_scope_3=dict(type="bool", default=False),
            strict_runtime=dict(type="bool", default=False),
            on_unsupported=dict(type="str", choices=["skip", "fail"], default="skip"),
        ),
        supports_check_mode=True,
    )
    params = module.params
    if params["state"] == "present" and all(params[k] is None for k in ("value", "minimum", "maximum")):
        module.fail_json(msg="one of the following is required: value, minimum, maximum")
    low = params["minimum"] if params["minimum"] is not None else 0
    high = params["maximum"] if params["maximum"] is not None else 3
    if low > high:
        module.fail_json(msg="minimum (%d) is above maximum (%d)" % (low, high))
    if params["value"] is not None and not low <= params["value"] <= high:
        module.fail_json(msg="value %d is outside minimum..maximum (%d..%d)" % (params["value"], low, high))
    try:
        chosen_file = _sysctl_write.check_file(params["file"]) if params["file"] else None
    except _sysctl_write.SysctlInputError as exc:
        module.fail_json(msg=str(exc))

    facts = _hoststate.gather(sections=("yama", "container"))
    yama = facts["yama"]
    # gather() already resolved both appliers: reuse it rather than reading the files again.
    before = {"runtime": yama["scope"],
              "boot": dict((applier, {"value": yama["boot"][applier]["value"], "source": yama["boot"][applier]["source"]})
                           for applier in _sysctl.APPLIERS)}
    result = dict(changed=False, before=before, after=before, target=None, file=None, reboot_required=False)
    reason = unsupported_reason(facts)
    files_only = params["apply"] == "persistent" or (params["state"] == "absent" and params["value"] is None)
    if reason and not files_only:
        if params["on_unsupported"] == "fail":
            module.fail_json(msg=reason, **result)
        module.warn(reason)
        module.exit_json(skipped=True, skip_reason=reason, **result)
    if reason:
        # Only files are asked for (building an image, or removing them): the live kernel is not involved.
        module.warn(reason + " Only the persisted file is managed.")

    if params["state"] == "absent":
        target = params["value"] if params["value"] is not None else yama["scope"]
        runtime_change = yama["scope"] != target
        persist = False
    else:
        target = _sysctl_write.desired_scope(params["value"], params["minimum"], params["maximum"], yama["scope"])
        runtime_change = params["apply"] in ("both", "runtime") and yama["scope"] != target
        persist = params["apply"] in ("both", "persistent")
    result["target"] = target
    if target == 3 and not params["confirm_scope_3"] and (runtime_change or persist):
        module.fail_json(msg="scope 3 locks ptrace for everyone, root included, until the next reboot: set "
                             "confirm_scope_3: true to write it", **result)
    reboot_required = False
    if runtime_change and yama["locked"]:
        if params["strict_runtime"]:
            module.fail_json(msg="Yama is locked at 3 until reboot; the runtime value cannot be lowered to %d "
                                 "(strict_runtime is set)" % target, **result)
        module.warn("Yama is locked at 3 until reboot: %d is persisted and takes effect at the next boot." % target)
        runtime_change = False
        reboot_required = True
    elif runtime_change and not yama["writable"]:
        why = "kernel.yama.ptrace_scope cannot be written here (%s)" % yama["not_writable_reason"]
        if params["on_unsupported"] == "fail" or not persist:
            module.fail_json(msg=why, **result)
        module.warn(why + "; only the persisted value is changed.")
        runtime_change = False
        reboot_required = True

    path = previous = content = None
    pending = {}
    if persist or params["state"] == "absent":
        try:
            plan = _sysctl_write.plan_persist(KEY, target if persist else None, chosen_file)
        except _sysctl_write.SysctlInputError as exc:
            module.fail_json(msg=str(exc), **result)
        path, content, previous, pending = plan.path, plan.content, plan.previous, plan.pending
        result["file"] = path
    after_boot = _sysctl_write.boot_state(KEY, pending=pending)
    for applier, state in after_boot.items():
        if persist and state["value"] != str(target):
            module.warn("%s still ends at ptrace_scope %s from %s, not %d: edit or remove that setting." % (
                "systemd-sysctl (boot)" if applier == "systemd_sysctl" else "'sysctl --system'",
                state["value"], state["source"], target))
    changed = runtime_change or bool(pending)
    result.update(changed=changed, reboot_required=reboot_required,
                  after={"runtime": target if runtime_change else yama["scope"], "boot": after_boot})
    if module._diff and persist:
        result["diff"] = dict(before=(previous or b"").decode("utf-8", "replace"), after=content,
                              before_header=path, after_header=path)
    if module.check_mode or not changed:
        module.exit_json(**result)

    # Writing 3 is irreversible: persist first. Otherwise change the runtime first (the likelier
    # failure) and put it back if persisting fails, so nothing is left half-changed.
    saved = dict((p, _fileio.read_bytes(p)) for p in pending)
    try:
        if runtime_change and target == 3:
            try:
                _write_files(pending)
                _sysctl_write.write_runtime(KEY, target)
            except _sysctl_write.SysctlWriteError:
                _write_files(saved)
                raise
        else:
            if runtime_change:
                _sysctl_write.write_runtime(KEY, target)
            try:
                _write_files(pending)
            except _fileio.FileWriteError:
                _write_files(saved)
                if runtime_change and yama["scope"] is not None:
                    _sysctl_write.write_runtime(KEY, yama["scope"])
                raise
    except _sysctl_write.SysctlWriteError as exc:
        module.fail_json(msg=str(exc), errno=exc.errno_name, **result)
    except _fileio.FileWriteError as exc:
        module.fail_json(msg=str(exc), **result)
    module.exit_json(**result)


def _write_files(contents):
    """Write each {path: text or bytes} and remove each {path: None}, new files before removals."""
    for path, data in sorted(contents.items(), key=lambda item: item[1] is None):
        if data is None:
            _fileio.remove(path)
        else:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            data = data.encode("utf-8") if not isinstance(data, bytes) else data
            _fileio.write_atomic(path, data, 0o644, 0, 0)


if __name__ == "__main__":
    main()
