#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, debugready.ptrace contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: debug_window
short_description: Open, renew or close a debug window that closes itself on the host
version_added: 1.2.0
description:
  - A debug window is a record on the host, in C(/var/lib/debugready/windows/NAME.json), of what was opened, by whom
    (the controller's user and host), since when, until when, and the ordered list of actions that put the host back
    (O(undo)). Facts list open windows (M(debugready.ptrace.ptrace_facts), C(windows)).
  - Where systemd runs, the window closes itself with no controller. The module installs the collection's own
    module_utils under C(/usr/local/lib/debugready) (the code that opened the window, not a second implementation)
    and a timer, C(debugready-window-NAME.timer), that runs them at the window's end. The timer is persistent, so a
    host that was down or rebooting at the end closes the window when it boots.
  - Closing carries out O(undo) with the same writers as the modules. M(debugready.ptrace.ptrace_scope) and
    M(debugready.ptrace.kernel_setting) remove their files and put the runtime value back.
    M(debugready.ptrace.sudoers_grant) removes a drop-in, validated against the whole tree. The capability copies
    are removed, and the distribution's group tool takes the members out.
  - Every open, renew, close and failed close writes one syslog record (the journal where systemd runs) with the
    identifier C(debugready-window) and key=value fields, for example
    C(event=open name=debug-access closes_itself=true ends_at=2026-12-05T18:00:00Z opened_by_host=laptop
    opened_by_user=alice profile=sudo undo=8).
    Find them with C(journalctl -t debugready-window).
  - B(Security.) A window is for access that is root-equivalent (sudo strace, a CAP_SYS_PTRACE copy, Yama at 0 or
    1). It is the end of that access, not its justification. Keep windows short and group-scoped, and read the
    audit records.
author:
  - debugready.ptrace maintainers (@debugready)
extends_documentation_fragment:
  - debugready.ptrace.attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
    details: The diff is the window's record.
  platform:
    details: Linux. The timer needs systemd as PID 1 (see O(without_systemd)).
options:
  name:
    description: The window's name (lower-case letters, digits, C(-), C(_)). The debug_access role uses V(debug-access).
    type: str
    required: true
  state:
    description:
      - V(present) opens the window. When one of this O(name) is open already it keeps its end (so a converge run
        again changes nothing), unless O(renew=true), which moves the end. Either way the record takes the undo list
        given now (the role computes it from its snapshot, taken before the first converge).
      - V(absent) closes it now. With O(close_now=true) its undo list is carried out (and the timer removed). With
        O(close_now=false) only the record and the timer go, for a caller that has put the host back itself.
      - With O(state=absent), O(undo) given here is carried out instead of the record's (or without a record). The
        debug_access role's revert is this, so a revert and a window's end put the host back with the same code.
    type: str
    choices: [present, absent]
    default: present
  end:
    description:
      - When the window ends. A duration from now (V(30m), V(2h), V(1d)) or a UTC time (V(2026-12-05T18:00:00Z)). At
        most 7 days away; renew a window to keep it open longer.
      - Required with O(state=present).
    type: str
  renew:
    description: Move the end of an open window to O(end).
    type: bool
    default: false
  undo:
    description:
      - The actions that put the host back, in order. Required to open a window; with O(state=absent), carried out
        when no window is open. Each is a dict with C(action) and its fields.
      - C(sysctl), with C(key) (C(kernel.yama.ptrace_scope) or a setting of M(debugready.ptrace.kernel_setting)),
        C(runtime) (the value to put back, or null) and C(file) and C(file_value) (a file an earlier run of the
        collection had written, put back; both null to remove the collection's files).
      - C(sudoers_absent), with C(name), a drop-in of M(debugready.ptrace.sudoers_grant).
      - C(remove_file), with C(path), a capability copy. A file in C(/usr/local/bin), C(/usr/local/sbin) or C(/opt)
        is removed; elsewhere only one that holds file capabilities (never a plain system file).
      - C(remove_config), with C(path), C(then) and C(if_running), a configuration file the collection wrote (its
        first line says C(Managed by debugready.ptrace); any other file is left in place). When it was there, the
        argv C(then) runs after it is removed (V([]) for none), for example V([/usr/sbin/apache2ctl, -k, graceful]),
        if a process whose name is C(if_running) runs (an empty string for always; a graceful restart would start a stopped
        Apache).
      - C(group_remove_members), with C(group), C(members) and C(tool) (the argv prefix of the distribution's tool,
        user and group follow, for example V([/usr/bin/gpasswd, -d])). C(group_absent), with C(group) and C(tool)
        (for example V([/usr/sbin/groupdel])).
      - C(selinux_boolean), with C(name) and C(value) (a boolean), a SELinux boolean such as C(deny_ptrace) set back in
        the running policy with the writer of M(debugready.ptrace.selinux_boolean). Nothing is done on a host booted
        without SELinux.
    type: list
    elements: dict
  profile:
    description: What the window opened, for the record and the audit (the debug_access role's profile).
    type: str
  opened_by:
    description:
      - Who opened the window, for the record and the audit. The debug_access role passes the controller's user and
        host. A renewal keeps the first opening's.
    type: dict
    suboptions:
      user:
        description: The user on the controller.
        type: str
      host:
        description: The controller's host name.
        type: str
  close_now:
    description: With O(state=absent), carry out the undo list (V(true)) or only remove the record and the timer.
    type: bool
    default: true
  without_systemd:
    description:
      - Where systemd is not PID 1 (a container without it, Alpine with OpenRC), nothing on the host can close the
        window at its end. V(fail) refuses to open it. V(record) opens it without a timer. Facts then show it, and
        the check playbook flags it once it is past its end, until something closes it (O(state=absent)).
    type: str
    choices: [fail, record]
    default: fail
notes:
  - sudo's own C(NOTAFTER) (M(debugready.ptrace.sudoers_grant) O(debugready.ptrace.sudoers_grant#module:not_after))
    still ends a sudo grant without the timer. sudo-rs has no such option, so there the timer is what ends it.
seealso:
  - module: debugready.ptrace.sudoers_grant
  - module: debugready.ptrace.ptrace_scope
  - module: debugready.ptrace.kernel_setting
"""

EXAMPLES = r"""
- name: Open a two-hour window that puts Yama back to 1 and removes the grant
  debugready.ptrace.debug_window:
    name: incident-4711
    end: 2h
    profile: sudo
    opened_by: {user: alice, host: laptop}
    undo:
      - {action: sudoers_absent, name: debugready-incident}
      - {action: sysctl, key: kernel.yama.ptrace_scope, runtime: 1, file: null, file_value: null}

- name: Close it early (puts the host back now and removes the timer)
  debugready.ptrace.debug_window:
    name: incident-4711
    state: absent
"""

RETURN = r"""
record:
  description: The window's record as written (null when closed).
  returned: always
  type: dict
  sample:
    version: 1
    name: incident-4711
    profile: sudo
    opened_at: "2026-12-05T16:00:00Z"
    opened_by: {user: alice, host: laptop}
    ends_at: "2026-12-05T18:00:00Z"
    renewed_at: null
    undo:
      - {action: sudoers_absent, name: debugready-incident}
renewed:
  description: Whether an open window was renewed (its end moved).
  returned: when O(state=present)
  type: bool
closes_itself:
  description: Whether a timer on the host closes the window at its end (false without systemd).
  returned: when O(state=present)
  type: bool
written:
  description: The files written (or, in check mode, that would be).
  returned: when O(state=present)
  type: list
  elements: str
closed:
  description: With O(state=absent) and O(close_now=true), each undo action with C(action), C(target), C(changed)
    and C(error).
  returned: when O(state=absent)
  type: list
  elements: dict
audit:
  description: The audit record written to syslog (null when nothing changed).
  returned: always
  type: str
"""

import datetime
import importlib
import os
import socket
import sys

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.debugready.ptrace.plugins.module_utils import _command, _fileio, _window
# the entry point of the timer's service on the host (imported so that its code is in this module's zip)
from ansible_collections.debugready.ptrace.plugins.module_utils import _window_cli

SYSTEMD_RUNNING = "/run/systemd/system"
ROOT = "/"  # the unit tests point it at a fixture tree


def read_own_module_utils(name):
    """One module_utils file as this module has it (from its AnsiballZ zip on a target, its file in a checkout)."""
    module = importlib.import_module("%s.%s" % (_window.PACKAGE, name[:-3]))
    try:
        return module.__loader__.get_data(module.__file__)
    except (AttributeError, OSError) as exc:
        raise _window.WindowError("the module's own copy of %s cannot be read: %s" % (name, exc))


def open_window(module, now, run):
    params = module.params
    for option in ("end", "undo"):
        if params[option] is None:
            module.fail_json(msg="state=present requires %s" % option)
    name = _window.check_name(params["name"])
    end = _window.parse_end(params["end"], now)
    previous = _window.read_record(name, ROOT)
    _window.check_undo(params["undo"])
    if previous is not None and not params["renew"]:
        # its end stands; the latest undo list replaces the earlier one (the role computes it from the same
        # snapshot, with the members added since); missing or changed files are put back below
        record = dict(previous, undo=params["undo"])
        if _window.parse_time(record["ends_at"]) <= now:
            module.warn("window %s is past its end (%s) and still open: its timer closes it now" % (
                name, record["ends_at"]))
    else:
        opened_by = dict((k, v) for k, v in (params["opened_by"] or {}).items() if v)
        record = _window.new_record(name, end, now, opened_by, params["profile"], params["undo"], previous)
    systemd = os.path.isdir(os.path.join(ROOT, SYSTEMD_RUNNING.lstrip("/")))
    if not systemd and params["without_systemd"] == "fail":
        module.fail_json(msg="systemd is not running on this host (no %s): nothing here can close the window at its "
                             "end. Set without_systemd: record to open it anyway (facts and the check playbook flag "
                             "it once past its end), or close it from the controller (state: absent)."
                             % SYSTEMD_RUNNING)
    files = _window.desired_files(record, sys.executable if systemd else None,
                                  _window.closer_sources(read_own_module_utils), ROOT, _window_cli.__name__)
    written = _window.differing(files)
    renewed = previous is not None and record["ends_at"] != previous["ends_at"]
    result = dict(changed=bool(written), record=record, renewed=renewed,
                  closes_itself=systemd, written=written, audit=None)
    if module._diff:
        path = _window.record_path(name, ROOT)
        before = _fileio.read_bytes(path)
        result["diff"] = dict(before=(before or b"").decode("utf-8", "replace"),
                              after=files[path][0].decode("utf-8"), before_header=path, after_header=path)
    if not written or module.check_mode:
        return result
    _window.write_files(files, written)
    if systemd:
        timer = _window.timer_unit_name(name)
        for argv in (["systemctl", "daemon-reload"], ["systemctl", "enable", timer],
                     ["systemctl", "restart", timer]):
            rc, out, err = run(argv)
            if rc != 0:
                module.fail_json(msg="%s failed: the window's files are written but its timer is not running"
                                     % " ".join(argv), rc=rc, stdout=out, stderr=err, written=written)
    event = "open" if previous is None else "renew" if renewed else "update" if record != previous else "repair"
    result["audit"] = _window.audit(event, name, profile=record["profile"],
                                    opened_by=record["opened_by"], ends_at=record["ends_at"],
                                    closes_itself=systemd, undo=len(record["undo"]))
    return result


def close_window(module, now, run):
    params = module.params
    name = _window.check_name(params["name"])
    record = _window.read_record(name, ROOT)
    # the undo given (the role's revert, computed from its snapshot now), else the record's
    undo = _window.check_undo(params["undo"]) if params["undo"] is not None else (record or {}).get("undo", [])
    result = dict(changed=record is not None, record=None, closed=[], audit=None)
    if params["close_now"]:
        # one pass: in check mode each writer only plans
        result["closed"] = _window.close({"undo": undo}, run, ROOT, now=now, hostname=socket.gethostname(),
                                         check=module.check_mode)
        result["changed"] = result["changed"] or any(r["changed"] for r in result["closed"])
    if module._diff:
        path = _window.record_path(name, ROOT)
        before = _fileio.read_bytes(path) if record is not None else b""
        result["diff"] = dict(before=before.decode("utf-8", "replace") + "".join(
            "%s %s\n" % (r["action"], r["target"]) for r in result["closed"] if r["changed"]), after="",
            before_header=path, after_header=path)
    failed = [r for r in result["closed"] if r["error"]]
    if module.check_mode or not (result["changed"] or failed):
        return result
    if failed:
        line = _window.audit("close_failed", name, by="controller", ends_at=(record or {}).get("ends_at"),
                             failed=["%s %s: %s" % (r["action"], r["target"], r["error"]) for r in failed])
        module.fail_json(msg="closing window %s: %s" % (name, "; ".join(
            "%s %s: %s" % (r["action"], r["target"], r["error"]) for r in failed)), closed=result["closed"],
            audit=line, record=record)
    _window.remove_units(name, run, ROOT)
    _window.remove_record(name, ROOT)
    if record is None:
        return result  # a revert without a window: nothing to audit as a window
    result["audit"] = _window.audit("close", name, by="controller", ends_at=record["ends_at"], early=True,
                                    changed=[r["action"] + ":" + str(r["target"]) for r in result["closed"]
                                             if r["changed"]])
    return result


def main():
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            end=dict(type="str"),
            undo=dict(type="list", elements="dict"),
            profile=dict(type="str"),
            opened_by=dict(type="dict", options=dict(user=dict(type="str"), host=dict(type="str"))),
            renew=dict(type="bool", default=False),
            close_now=dict(type="bool", default=True),
            without_systemd=dict(type="str", choices=["fail", "record"], default="fail"),
        ),
        supports_check_mode=True,
    )
    now = datetime.datetime.now(datetime.timezone.utc)
    run = _command.runner(module.run_command)
    try:
        if module.params["state"] == "present":
            result = open_window(module, now, run)
        else:
            result = close_window(module, now, run)
    except (_window.WindowError, _fileio.FileWriteError) as exc:
        module.fail_json(msg=str(exc))
    except _command.CommandError as exc:
        module.fail_json(msg=str(exc), cmd=exc.argv, rc=exc.errno)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
