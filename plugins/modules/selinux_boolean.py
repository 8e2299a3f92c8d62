#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, debugready.ptrace contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: selinux_boolean
short_description: Set a SELinux boolean such as deny_ptrace in the running policy only, for a debug window
version_added: 1.2.0
description:
  - Sets one SELinux boolean in the running policy through selinuxfs (C(/sys/fs/selinux/booleans), then
    C(commit_pending_bools)), as C(setsebool) without C(-P) does, with no tool and no policy rebuild.
  - Nothing is persisted. The policy store keeps its value, so a reboot or a policy reload puts it back. That is
    the point for a debug window. Open the window with M(debugready.ptrace.debug_window) and an undo action
    C(selinux_boolean) holding the value before, and the host's timer sets it back at the end. RV(before) has that
    value.
  - Lowering C(deny_ptrace) gives ptrace back to every domain whose policy has a rule for it, root's included.
    Tracing another user's process is root-equivalent, so keep it to the window.
  - Refuses, and changes nothing, when SELinux is off, when the loaded policy has no such boolean (Debian's reference
    policy has no C(deny_ptrace); Fedora's and RHEL's have), or when other booleans have uncommitted pending values,
    which a commit would make live too.
author:
  - debugready.ptrace maintainers (@debugready)
extends_documentation_fragment:
  - debugready.ptrace.attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
    details: The boolean's runtime value before and after, as C(NAME=0) or C(NAME=1).
  platform:
    details: Linux with SELinux enabled (enforcing or permissive).
options:
  name:
    description: The boolean, for example C(deny_ptrace). Letters, digits and C(_) only.
    type: str
    required: true
  value:
    description: The value the running policy should have.
    type: bool
    required: true
notes:
  - To change the persisted value, which wins at boot, use C(setsebool -P) or C(semanage boolean). Both rebuild the
    policy. This module never does, so a debug window cannot outlive a reboot through it.
seealso:
  - module: debugready.ptrace.debug_window
  - module: debugready.ptrace.trace_check
    description: Says C(selinux_deny_ptrace) when this boolean is what refuses the attach.
"""

EXAMPLES = r"""
- name: Turn deny_ptrace off for the debug window
  debugready.ptrace.selinux_boolean:
    name: deny_ptrace
    value: false
  register: deny_ptrace
  become: true

- name: Have the host put it back at the window's end
  debugready.ptrace.debug_window:
    name: incident-4711
    state: open
    duration: 2h
    undo:
      - action: selinux_boolean
        name: deny_ptrace
        value: "{{ deny_ptrace.before.current }}"
  become: true
"""

RETURN = r"""
name:
  description: The boolean.
  returned: always
  type: str
  sample: deny_ptrace
before:
  description: Its state before the run. C(current) is the running policy's value, C(pending) is the value waiting
    for a commit, and C(persisted) is the policy store's override (null when the store holds none, so the policy's
    default wins at boot).
  returned: always
  type: dict
  sample: {current: true, pending: true, persisted: null}
after:
  description: Its state after the run (predicted in check mode).
  returned: always
  type: dict
  sample: {current: false, pending: false, persisted: null}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.debugready.ptrace.plugins.module_utils import _selinux_write

ROOT = "/"  # the host; unit tests point it at a fixture tree


def main():
    module = AnsibleModule(
        argument_spec=dict(name=dict(type="str", required=True), value=dict(type="bool", required=True)),
        supports_check_mode=True,
    )
    name = module.params["name"]
    try:
        plan = _selinux_write.plan(name, module.params["value"], ROOT)
        if not module.check_mode:
            _selinux_write.apply(plan, ROOT)
    except _selinux_write.SelinuxBooleanError as exc:
        module.fail_json(msg="selinux_boolean %s: %s" % (name, exc), name=name)
    result = {"changed": plan["changed"], "name": name, "before": plan["before"], "after": plan["after"]}
    if module._diff:
        result["diff"] = {"before": "%s=%d\n" % (name, plan["before"]["current"]),
                          "after": "%s=%d\n" % (name, plan["after"]["current"])}
    module.exit_json(**result)


if __name__ == "__main__":
    main()
