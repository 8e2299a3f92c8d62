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
    the live tree is checked again. If the live tree passed before and fails with the new file, the file is
    removed and the task fails; a failed write never puts a previous grant back.
  - O(state=absent) removes the file whenever this module wrote it, whatever the rest of the tree looks like
    (syntax errors or wrong modes in other files, bytes that are not UTF-8); the live tree is checked afterwards
    and reported in RV(live_check), but a removal is never undone. Grant options given with it are still
    checked; a principal, command, run-as user or O(not_after) that could never be written is an error.
  - The file belongs to this module only when its first line is exactly the header
    C(# Managed by debugready.ptrace.sudoers_grant) and it is a regular file; the module refuses to overwrite or
    remove any other file of that name.
  - Owner and mode are part of the state; a managed file that is not root:root 0440 is rewritten.
  - The task fails, and changes nothing, when sudo would ignore the drop-in (no file sudo reads has an
    C(@includedir)/C(#includedir) for C(/etc/sudoers.d), or sudo skips that directory because a non-root user
    can write it), and when a command could make the grant wider than it reads (see O(allow_unsafe_commands)).
  - Names sudo would silently skip (containing C(.) or ending in C(~)) or that would leave C(/etc/sudoers.d) are
    refused, and so are principals, run-as users, commands and arguments carrying sudoers syntax (commas, C(ALL),
    C(!), colons, quotes, backslashes, newlines).
  - B(Granting strace, gdb or perf as root is root-equivalent.) The module says so in a warning every time it
    manages such a grant.
  - Where C(sudo) is sudo-rs (Ubuntu 25.10 and later; Debian 13's C(sudo-rs)), told by C(sudo -V), O(not_after)
    and O(log_output) are refused with a message naming sudo-rs and the option, and nothing is written; sudo-rs
    0.2.5 rejects a rule with C(NOTAFTER) (the grant would not work at all) and accepts C(LOG_OUTPUT) but logs
    nothing. A grant without them is written, validated with sudo-rs's own C(visudo -c -f) the same way, and
    comes with a warning that it must be removed (O(state=absent)) when the debugging is done.
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
    details: Needs sudo 1.8.20 or newer for O(not_after) and O(log_output); with sudo-rs both are refused.
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
      - A path that ends in a symlink, or that a non-root user could change (the file or any directory on the way
        to it, including a symlink's target), is refused unless O(allow_unsafe_commands=true).
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
        (V(2026-12-01T18:00:00Z)). Written as C(NOTAFTER=YYYYMMDDHHMMSSZ). Omit it for a grant without an end;
        an empty string is an error. Refused where sudo is sudo-rs, which rejects C(NOTAFTER).
      - A duration opens a window; while it is open, a run writes the earlier of its end and now plus the
        duration. So re-running keeps the end (idempotent), a shorter duration shortens the window, and an end
        edited on the host to lie further away is put back. O(renew=true) moves the end to now plus the
        duration. After the window has expired, a run opens a new one.
    type: str
  renew:
    description: With a duration in O(not_after), move the end of an open window to now plus the duration.
    type: bool
    default: false
  log_output:
    description:
      - Log the commands' terminal output with sudo's I/O logging (C(LOG_OUTPUT), replay with sudoreplay).
      - Refused where sudo is sudo-rs, which ignores C(LOG_OUTPUT).
    type: bool
    default: false
  allow_unsafe_commands:
    description:
      - Grant commands that would otherwise be refused, with a warning.
      - A command path that is a symlink lets the principals run whatever the link points to (measured with
        sudo 1.9.13p3, a link to C(/bin/sh) gives a root shell), now and after the link is changed. A command a
        non-root user can replace (the file or a directory on the way to it is not owned by root, is
        world-writable, or is group-writable by a group other than root) lets that user run anything as O(runas).
    type: bool
    default: false
notes:
  - The grant is evaluated by sudo; M(debugready.ptrace.trace_check) with O(debugready.ptrace.trace_check#module:via=sudo)
    shows whether it lets a user trace a given process.
  - M(debugready.ptrace.ptrace_facts) (its C(policy.sudoers) option) compares the host with the same planning
    function, so it reports a grant as compliant exactly when this module would report no change.
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
  description: The expiry written, in UTC (null without O(not_after) and with O(state=absent)).
  returned: always
  type: str
  sample: "2026-11-28T22:30:00Z"
reasons:
  description: Why the file changed (or would change in check mode); empty when nothing changed.
  returned: always
  type: list
  elements: str
  sample: ["the window ends 2026-11-29T06:00:00Z on the host, wanted 2026-11-28T14:00:00Z", "mode is 0644, wanted 0440"]
live_check:
  description:
    - The C(visudo -c) run on the live tree after the change, with C(ok), C(rc), C(stdout) and C(stderr).
    - Null when nothing changed, in check mode, and after a removal on a host without sudo.
    - C(ok=false) after a removal, or after a write on a tree that already failed before it, means the
      failure is elsewhere in the tree; the change stays and a warning says so.
  returned: always
  type: dict
  sample: {ok: true, rc: 0, stdout: "/etc/sudoers: parsed OK\n/etc/sudoers.d/debug-strace: parsed OK\n", stderr: ""}
diff:
  description: Before and after content of the file, in diff mode.
  returned: when diff mode is on
  type: dict
  sample: {before: "", after: "# Managed by debugready.ptrace.sudoers_grant\n...", before_header: /etc/sudoers.d/x,
           after_header: /etc/sudoers.d/x}
"""

import datetime
import socket

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.debugready.ptrace.plugins.module_utils import _command, _fileio, _sudoers_write


def main():
    module = AnsibleModule(
        argument_spec=dict(_sudoers_write.GRANT_OPTIONS),
        required_if=[("state", "present", ("principals", "commands"))],
        supports_check_mode=True,
    )
    params = module.params
    now = datetime.datetime.now(datetime.timezone.utc)

    run = _command.runner(module.run_command)

    live = None
    try:
        host = _sudoers_write.read_host(params, hostname=socket.gethostname(), run=run)
        plan = _sudoers_write.plan(params, host, now)
        for warning in plan.warnings:
            module.warn(warning)
        if plan.changed and plan.content is not None:
            if plan.missing_commands and not module.check_mode:
                module.fail_json(msg="command %s is not an executable file on this host" % plan.missing_commands[0],
                                 reasons=plan.reasons)
            # Validated in check mode too: the mirror changes nothing live.
            _sudoers_write.validate_candidate(run, host.visudo, host.tree, plan.path, plan.content)
            if not module.check_mode:
                live = _sudoers_write.install(run, host.visudo, plan.path, plan.content)
        elif plan.changed and not module.check_mode:
            live = _sudoers_write.remove(run, host.visudo, plan.path)
    except _sudoers_write.SudoersValidationError as exc:
        module.fail_json(msg=str(exc), rc=exc.rc, stdout=exc.stdout, stderr=exc.stderr)
    except (_sudoers_write.SudoersInputError, _sudoers_write.SudoersHostError, _fileio.FileWriteError) as exc:
        module.fail_json(msg=str(exc))
    except _command.CommandError as exc:
        module.fail_json(msg=str(exc), cmd=exc.argv, rc=exc.errno)

    if live is not None and not live.ok:
        module.warn("visudo -c fails on the live sudoers tree (see live_check); %s stays %s: the failure is "
                    "elsewhere in the tree" % (plan.path, "removed" if plan.content is None else "as written"))
    result = dict(changed=plan.changed, path=plan.path, rule=plan.rule, content=plan.content,
                  not_after=plan.not_after.strftime("%Y-%m-%dT%H:%M:%SZ") if plan.not_after else None,
                  reasons=plan.reasons, live_check=live._asdict() if live is not None else None)
    if module._diff:
        before = plan.before.decode("utf-8", "replace") if plan.before is not None else ""
        result["diff"] = dict(before=before, after=plan.content or "", before_header=plan.path,
                              after_header=plan.path)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
