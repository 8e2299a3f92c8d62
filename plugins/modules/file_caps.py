#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, debugready.ptrace contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: file_caps
short_description: Set file capabilities natively, and keep a group-restricted capability copy of a tool in sync
version_added: 0.1.0
description:
  - Sets, adds or removes file capabilities through the C(security.capability) extended attribute directly (no
    setcap or getcap). Idempotent whatever the notation (V(cap_sys_ptrace), V(SYS_PTRACE), flags V(ep), V(+ep)).
    A revision-3 attribute whose root id is not 0 is not in place (the kernel ignores it in this user namespace)
    and is replaced.
  - With O(source), keeps O(path) an exact copy of the source (for example the packaged strace), owned
    root and group O(group) with O(mode), carrying the capabilities. The copy is re-made when the source changes (a package
    upgrade), detected by content hash, when owner, group or mode differ, or when an access ACL grants more than the mode
    shows. Owner, mode and capabilities are set through the temp file's descriptor before it is renamed into place, so
    the destination never exists half-configured and no path can be swapped under the module. The directory of O(path) must
    be owned by root and not writable by group or others; the source is resolved once and must be owned by root and not
    writable by group or others either.
  - Refuses capabilities on a file that would be setuid, setgid, or writable by its group, by others or through an ACL
    entry (they could rewrite it through a shared mapping and keep the capabilities).
  - Refuses a file holding a root-equivalent capability (C(chown), C(dac_override), C(dac_read_search), C(fowner),
    C(setuid), C(setgid), C(setfcap), C(sys_admin), C(sys_module), C(sys_rawio), C(sys_boot), C(bpf), C(perfmon),
    C(sys_ptrace), C(mknod)) that users outside its group could run (other execute bit, or a named ACL entry), unless
    O(allow_world_executable=true).
  - B(A tool holding CAP_SYS_PTRACE is root-equivalent for whoever can run it.)
author:
  - debugready.ptrace maintainers (@debugready)
extends_documentation_fragment:
  - debugready.ptrace.attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
  platform:
    details: Linux, on a filesystem with security extended attributes.
options:
  path:
    description:
      - The file whose capabilities are managed (the copy, with O(source)). Without O(source) it must be an existing
        regular file, not a symlink.
    type: path
    required: true
  capabilities:
    description: Capability names, with or without the C(cap_) prefix, any case.
    type: list
    elements: str
    default: []
  flags:
    description: Which sets the capabilities go in, a combination of V(e), V(p), V(i). Ignored with O(state=absent).
    type: str
    default: ep
  state:
    description:
      - V(present) adds the capabilities with the flags, V(absent) removes them (all capabilities when none are
        given), V(exact) makes the file carry exactly these.
    type: str
    choices: [present, absent, exact]
    default: present
  source:
    description:
      - Keep O(path) an exact copy of this file (which must exist). It must be a regular file whose size is what
        reading it gives, so a FIFO or a file of C(/proc) or C(/sys) is refused.
    type: path
  group:
    description: With O(source), the group owning the copy (owner is root).
    type: str
    default: root
  mode:
    description:
      - With O(source), the mode of the copy. As in M(ansible.builtin.file), a string is octal (V("0750")) and an
        integer is the numeric mode itself (an unquoted YAML V(0750) arrives as 488, which is 0750). Symbolic modes are
        not accepted.
    type: raw
    default: "0750"
  allow_world_executable:
    description:
      - Allow a file holding a root-equivalent capability to be executable by users outside its group (other execute
        bit, or an ACL entry).
    type: bool
    default: false
notes:
  - File capabilities are ignored on a C(nosuid) mount and under C(no_new_privs); a C(noexec) mount refuses to execute
    the file at all; in a container without C(SYS_PTRACE) in its bounding set a C(+ep) file fails to execute. The
    module warns about each of these that it can see (mount options, its own bounding set).
  - Writing a file or changing its owner clears its capabilities; a package upgrade that replaces the binary loses
    them. Use O(source) to keep a separate copy that is re-made when the package changes.
  - For gdb prefer sudo; with capabilities alone gdb attaches but cannot open C(/proc/PID/mem).
seealso:
  - module: debugready.ptrace.ptrace_facts
  - module: debugready.ptrace.trace_check
"""

EXAMPLES = r"""
- name: A strace copy only the debug group may run, able to attach to any process
  debugready.ptrace.file_caps:
    source: /usr/bin/strace
    path: /usr/local/bin/strace-debug
    group: debug
    mode: "0750"
    capabilities: [cap_sys_ptrace]
    flags: ep
  become: true

- name: Remove every capability from a file
  debugready.ptrace.file_caps:
    path: /usr/local/bin/strace-debug
    state: absent
  become: true
"""

RETURN = r"""
path:
  description: The managed file (O(path)); the managed file is RV(path) in every converge module of the collection.
  returned: always
  type: str
  sample: /usr/local/bin/strace-debug
before:
  description: Capabilities before, getcap-style (empty when none; null when the file did not exist).
  returned: always
  type: str
  sample: ""
after:
  description: Capabilities after (predicted in check mode), getcap-style.
  returned: always
  type: str
  sample: cap_sys_ptrace=ep
copied:
  description: With O(source), whether the copy was (or would be) re-made.
  returned: always
  type: bool
  sample: true
reasons:
  description: Why something changed (or would change); empty when nothing does.
  returned: always
  type: list
  elements: str
  sample: ["/usr/local/bin/strace-debug mode 0755 differs from 0750"]
sha256:
  description: With O(source), the content hash of the source.
  returned: when O(source) is given
  type: str
  sample: 0f4c...
diff:
  description: Before and after capabilities, mode, owner, access ACL and (with O(source)) content hash, in diff mode.
  returned: when diff mode is on
  type: dict
  sample: {before: {exists: true, caps: "", mode: "0755", uid: 0, gid: 0, acl: ""},
           after: {exists: true, caps: "cap_sys_ptrace=ep", mode: "0750", uid: 0, gid: 1001, acl: ""}}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.debugready.ptrace.plugins.module_utils import _caps_write


def main():
    module = AnsibleModule(argument_spec=dict(_caps_write.OPTIONS), supports_check_mode=True)
    params = module.params
    path = params["path"]
    try:
        host = _caps_write.read_host(params)
        decided = _caps_write.plan(params, host)
    except (_caps_write.CapsInputError, _caps_write.CapsWriteError) as exc:
        module.fail_json(msg=str(exc))
    for warning in decided.warnings:
        module.warn(warning)
    before, after = decided.before, decided.after
    result = dict(changed=decided.changed, path=path, before=before["caps"] if before["exists"] else None,
                  after=after["caps"], copied="copy" in decided.actions, reasons=decided.reasons)
    if params["source"] is not None:
        result["sha256"] = after["sha256"]
    if module._diff:
        result["diff"] = dict(before=before, after=after, before_header=path, after_header=path)
    if decided.blockers:
        if not module.check_mode:
            module.fail_json(msg="; ".join(decided.blockers), **result)
        # Check mode: a play may install the source or create the group first.
        for blocker in decided.blockers:
            module.warn("%s; applying will fail until it does" % blocker)
    if module.check_mode or not decided.changed:
        module.exit_json(**result)
    try:
        _caps_write.converge(params, host, decided)
        # Read back through the same decision: nothing may be left to change.
        again = _caps_write.plan(params, _caps_write.read_host(params))
    except (_caps_write.CapsInputError, _caps_write.CapsWriteError) as exc:
        module.fail_json(msg=str(exc), **result)
    if again.changed:
        module.fail_json(msg="after writing, %s still differs: %s" % (path, "; ".join(again.reasons)), **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
