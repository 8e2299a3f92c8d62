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
  - With O(source), keeps O(path) an exact copy of the source (for example the packaged strace), owned
    root and group O(group) with O(mode), carrying the capabilities. The copy is re-made when the source changes (a package
    upgrade), detected by content hash. Owner, mode and capabilities are set on a temp file before it is renamed
    into place, so the destination never exists half-configured.
  - Refuses a world-executable mode for a file holding C(CAP_SYS_PTRACE) unless O(allow_world_executable=true),
    anyone could then trace any process.
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
    description: The file whose capabilities are managed (the copy, with O(source)).
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
    description: Keep O(path) an exact copy of this file (which must exist).
    type: path
  group:
    description: With O(source), the group owning the copy (owner is root).
    type: str
    default: root
  mode:
    description: With O(source), the mode of the copy, in octal.
    type: str
    default: "0750"
  allow_world_executable:
    description: Allow a mode that lets every user run a file holding C(CAP_SYS_PTRACE).
    type: bool
    default: false
notes:
  - File capabilities are ignored on a C(nosuid) mount and under C(no_new_privs); in a container without
    C(SYS_PTRACE) in its bounding set a C(+ep) file fails to execute. The module warns about a nosuid mount.
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
sha256:
  description: With O(source), the content hash of the source.
  returned: when O(source) is given
  type: str
  sample: 0f4c...
diff:
  description: Before and after capabilities, mode, owner and content hash, in diff mode.
  returned: when diff mode is on
  type: dict
  sample: {before: {caps: "", mode: "0755"}, after: {caps: "cap_sys_ptrace=ep", mode: "0750"}}
"""

import grp
import os
import stat

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.debugready.ptrace.plugins.module_utils import _caps, _caps_write, _procs


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", required=True),
            capabilities=dict(type="list", elements="str", default=[]),
            flags=dict(type="str", default="ep"),
            state=dict(type="str", choices=list(_caps_write.STATES), default="present"),
            source=dict(type="path"),
            group=dict(type="str", default="root"),
            mode=dict(type="str", default="0750"),
            allow_world_executable=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    params = module.params
    path = params["path"]
    source = params["source"]
    if not os.path.isabs(path) or (source and not os.path.isabs(source)):
        module.fail_json(msg="path and source must be absolute paths")
    try:
        if source is None:
            if not os.path.isfile(path):
                module.fail_json(msg="%s does not exist or is not a regular file" % path)
            current = _caps_write.read(path)
            wanted = _caps_write.desired(current, params["capabilities"], params["flags"], params["state"])
            mode = stat.S_IMODE(os.stat(path).st_mode)
            copy_needed = False
            gid = uid = None
        else:
            if not os.path.isfile(source):
                module.fail_json(msg="source %s does not exist or is not a regular file" % source)
            if os.path.realpath(source) == os.path.realpath(path):
                module.fail_json(msg="source and path are the same file")
            try:
                mode = int(params["mode"], 8)
            except ValueError:
                module.fail_json(msg="mode must be octal, e.g. '0750', got %r" % params["mode"])
            if not 0 <= mode <= 0o7777:
                module.fail_json(msg="mode %s is out of range" % params["mode"])
            try:
                gid = grp.getgrnam(params["group"]).gr_gid
            except KeyError:
                if not module.check_mode:
                    module.fail_json(msg="group %r does not exist" % params["group"])
                # Check mode: a play may create the group first; report the copy as needed.
                module.warn("group %r does not exist yet; applying will fail until it does" % params["group"])
                gid = None
            uid = 0
            state = _caps_write.copy_state(path)
            current = _caps_write.read(path) if state else None
            wanted = _caps_write.desired(current if params["state"] != "exact" else None, params["capabilities"],
                                         params["flags"], params["state"])
            source_hash = _caps_write.sha256(source)
            copy_needed = not _caps_write.copy_matches(state, source_hash, mode, uid, gid)
        if wanted is not None and wanted.has(_caps.CAP_SYS_PTRACE) and mode & 0o001 \
                and not params["allow_world_executable"]:
            module.fail_json(msg="refusing: %s would hold CAP_SYS_PTRACE with mode %04o, executable by every user, "
                                 "who could then trace any process (root-equivalent). Use a group and mode 0750, or "
                                 "set allow_world_executable: true." % (path, mode))
    except _caps_write.CapsInputError as exc:
        module.fail_json(msg=str(exc))
    except _caps_write.CapsWriteError as exc:
        module.fail_json(msg=str(exc))

    caps_change = not _caps_write.same(current, wanted)
    changed = caps_change or copy_needed
    before_text = _caps.to_text(current) if current else ("" if source is None or os.path.exists(path) else None)
    result = dict(changed=changed, before=before_text, after=_caps.to_text(wanted) if wanted else "",
                  copied=copy_needed)
    if source is not None:
        result["sha256"] = source_hash
    if module._diff:
        result["diff"] = dict(before={"caps": before_text}, after={"caps": result["after"]},
                              before_header=path, after_header=path)
        if source is not None:
            result["diff"]["before"].update(_describe_copy(state))
            result["diff"]["after"].update({"sha256": source_hash, "mode": "%04o" % mode, "uid": uid, "gid": gid})
    options = _procs.mount_options(os.path.dirname(path)) or set()
    if "nosuid" in options and wanted is not None:
        module.warn("%s is on a nosuid mount: the kernel ignores file capabilities there." % path)
    if wanted is not None and wanted.has(_caps.CAP_SYS_PTRACE):
        module.warn("A file holding CAP_SYS_PTRACE lets whoever can run it trace any process: root-equivalent for "
                    "them. Keep it group-restricted.")
    if module.check_mode or not changed:
        module.exit_json(**result)
    try:
        if copy_needed:
            _caps_write.write_copy(source, path, mode, uid, gid, wanted)
        else:
            _caps_write.apply(path, wanted)
    except _caps_write.CapsWriteError as exc:
        module.fail_json(msg=str(exc), **result)
    after = _caps_write.read(path)
    if not _caps_write.same(after, wanted):
        module.fail_json(msg="the capabilities read back from %s (%s) differ from those written (%s)" % (
            path, _caps.to_text(after) if after else "none", result["after"]), **result)
    module.exit_json(**result)


def _describe_copy(state):
    if state is None:
        return {"sha256": None, "mode": None, "uid": None, "gid": None}
    return {"sha256": state["sha256"], "mode": "%04o" % state["mode"], "uid": state["uid"], "gid": state["gid"]}


if __name__ == "__main__":
    main()
