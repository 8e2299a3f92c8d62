#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, debugready.ptrace contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: sudoers_grant
short_description: Manage one time-boxed, validated sudoers drop-in that grants debugging tools
version_added: 0.1.0
description:
  - Manages one file in C(/etc/sudoers.d), named O(name), that lets O(principals) run O(commands) as O(runas),
    optionally without a password, until O(not_after) (sudo's C(NOTAFTER), written in UTC with a trailing C(Z)),
    and with sudo I/O logging.
  - The candidate is validated against the whole sudoers tree before anything changes (C(visudo -c -f) on a
    mirror of every file sudo reads, with the candidate in place), written atomically as root:root 0440, and
    the live tree is checked again; if that fails the previous file is restored, so sudo keeps working.
  - Names sudo would silently skip (containing C(.) or ending in C(~)) or that would leave C(/etc/sudoers.d) are
    refused, and so are principals, run-as users, commands and arguments carrying sudoers syntax (commas, C(ALL),
    C(!), colons, quotes, backslashes, newlines).
  - The module only ever touches the file it manages (marked by a header); it refuses to overwrite or remove
    another file of the same name.
  - B(Granting strace, gdb or perf as root is root-equivalent.) The module says so in a warning every time it
    writes such a grant.
author:
  - debugready.ptrace maintainers (@debugready)
extends_documentation_fragment:
  - debugready.ptrace.attributes
attributes:
  check_mode:
    support: full
    details: In check mode the candidate is still validated on a mirror of the tree; nothing live changes.
  diff_mode:
    support: full
  platform:
    details: Needs sudo 1.8.20 or newer for O(not_after) (sudo-rs has no date limits).
options:
  name:
    description: File name in C(/etc/sudoers.d); letters, digits, C(_) and C(-) only.
    type: str
    required: true
  state:
    description: V(present) writes the grant; V(absent) removes the file if this module manages it.
    type: str
    choices: [present, absent]
    default: present
  principals:
    description: Users (V(alice)) and groups (V(%debug)) the grant is for. Prefer one group.
    type: list
    elements: str
  commands:
    description:
      - Absolute paths of executables, each optionally followed by fixed arguments
        (V(/usr/bin/strace), V(/usr/bin/strace -p *)). A command without arguments allows any arguments.
      - Argument restrictions are not a security boundary (C(strace -p *) also matches C(-o /etc/file)).
    type: list
    elements: str
  runas:
    description: The user the commands run as.
    type: str
    default: root
  nopasswd:
    description: Let the principals run the commands without their password.
    type: bool
    default: false
  not_after:
    description:
      - When the grant expires, as a duration from now (V(8h), V(30m), V(2d), V(1w)) or a UTC time
        (V(2026-12-01T18:00:00Z)). Written as C(NOTAFTER=YYYYMMDDHHMMSSZ).
      - A duration opens a window once; re-running while the window is open keeps its end (idempotent) unless
        O(renew=true). After it has expired, a run opens a new window.
    type: str
  renew:
    description: With a duration in O(not_after), move the end of an open window to now plus the duration.
    type: bool
    default: false
  log_output:
    description: Log the commands' terminal output with sudo's I/O logging (C(LOG_OUTPUT), replay with sudoreplay).
    type: bool
    default: false
notes:
  - The grant is evaluated by sudo; M(debugready.ptrace.trace_check) with O(debugready.ptrace.trace_check#module:via=sudo)
    shows whether it lets a user trace a given process.
seealso:
  - module: debugready.ptrace.trace_check
  - module: debugready.ptrace.ptrace_facts
"""

EXAMPLES = r"""
- name: Let the debug group strace as root for the next 8 hours, logged
  debugready.ptrace.sudoers_grant:
    name: debug-strace
    principals: ['%debug']
    commands: [/usr/bin/strace]
    nopasswd: true
    not_after: 8h
    log_output: true
  become: true

- name: Least privilege - trace Apache's workers as www-data only
  debugready.ptrace.sudoers_grant:
    name: debug-www-data
    principals: ['%debug']
    commands: [/usr/bin/strace, /usr/bin/gdb]
    runas: www-data
    nopasswd: true
  become: true

- name: Close the window
  debugready.ptrace.sudoers_grant:
    name: debug-strace
    state: absent
  become: true
"""

RETURN = r"""
path:
  description: The managed file.
  returned: always
  type: str
  sample: /etc/sudoers.d/debug-strace
rule:
  description: The rule line as written (null with O(state=absent)).
  returned: always
  type: str
  sample: "%debug ALL=(root) NOTAFTER=20261128223000Z NOPASSWD: LOG_OUTPUT: /usr/bin/strace"
content:
  description: The whole file as written (null with O(state=absent)).
  returned: always
  type: str
  sample: "# Managed by debugready.ptrace.sudoers_grant\n..."
not_after:
  description: The expiry written, in UTC (null without O(not_after)).
  returned: always
  type: str
  sample: "2026-11-28T22:30:00Z"
diff:
  description: Before and after content of the file, in diff mode.
  returned: when diff mode is on
  type: dict
  sample: {before: "", after: "# Managed by debugready.ptrace.sudoers_grant\n...", before_header: /etc/sudoers.d/x,
           after_header: /etc/sudoers.d/x}
"""

import datetime
import os
import pwd
import socket

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.debugready.ptrace.plugins.module_utils import _fileio, _sudoers, _sudoers_write, _tools

COMMAND_ENV = {"LC_ALL": "C", "LANG": "C"}


def main():
    module = AnsibleModule(
        argument_spec=dict(_sudoers_write.GRANT_OPTIONS, renew=dict(type="bool", default=False)),
        required_if=[("state", "present", ("principals", "commands"))],
        supports_check_mode=True,
    )
    params = module.params
    now = datetime.datetime.now(datetime.timezone.utc)

    def run(argv):
        return module.run_command(argv, environ_update=COMMAND_ENV)

    try:
        path = _sudoers_write.check_name(params["name"])
        visudo = _tools.find_tool("visudo")
        if visudo is None:
            module.fail_json(msg="sudo is not installed on this host (no visudo found)")
        tree = _sudoers.load_tree(hostname=socket.gethostname())
        if not _sudoers_write.has_includedir():
            module.fail_json(msg="/etc/sudoers has no '@includedir /etc/sudoers.d' (or #includedir): a drop-in "
                                 "there would be ignored. Add the directive first.")
        previous = _fileio.read_bytes(path)
        previous_text = previous.decode("utf-8", "replace") if previous is not None else None
        if previous_text is not None and _sudoers_write.MARKER not in previous_text:
            module.fail_json(msg="%s exists and was not written by this module; refusing to overwrite or remove it"
                             % path)
        rule = not_after = None
        if params["state"] == "present":
            _sudoers_write.check_runas(params["runas"])
            try:
                pwd.getpwnam(params["runas"])
            except KeyError:
                module.fail_json(msg="runas user %r does not exist on this host" % params["runas"])
            content, rule, not_after = _sudoers_write.desired_content(params, previous_text, now, module.check_mode)
            missing = [c.split()[0] for c in params["commands"] if not os.path.isfile(c.split()[0])]
            if missing:
                module.warn("not installed yet: %s; applying the grant will fail until they are" % ", ".join(missing))
        else:
            content = None
        changed = content != previous_text
        if changed:
            # Validated in check mode too: the mirror changes nothing live.
            _sudoers_write.validate_candidate(run, visudo, tree, path, content)
            if not module.check_mode:
                _sudoers_write.install(run, visudo, path, content, previous)
    except _sudoers_write.SudoersValidationError as exc:
        module.fail_json(msg=str(exc), rc=exc.rc, stdout=exc.stdout, stderr=exc.stderr)
    except (_sudoers_write.SudoersInputError, _fileio.FileWriteError) as exc:
        module.fail_json(msg=str(exc))

    if content is not None:
        module.warn(_sudoers_write.ROOT_EQUIVALENT_WARNING if params["runas"] == "root"
                    else _sudoers_write.RUNAS_WARNING % (params["runas"], params["runas"]))
    result = dict(changed=changed, path=path, rule=rule, content=content,
                  not_after=not_after.strftime("%Y-%m-%dT%H:%M:%SZ") if not_after else None)
    if module._diff:
        result["diff"] = dict(before=previous_text or "", after=content or "", before_header=path, after_header=path)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
