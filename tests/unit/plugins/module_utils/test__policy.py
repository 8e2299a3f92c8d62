# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Policy compliance on fixture hosts: "compliant" must mean "the converge modules would change nothing"."""

from __future__ import annotations

import datetime
import errno
import grp
import os

import pytest

from ansible_collections.debugready.ptrace.plugins.module_utils import (
    _caps, _policy, _sudoers_write, _sysctl_write,
)

NOW = datetime.datetime(2026, 11, 28, 12, 0, tzinfo=datetime.timezone.utc)
KEY = "kernel/yama/ptrace_scope"
SCOPE_FILE = "/etc/sysctl.d/99-debugready-ptrace-scope.conf"
AS_ROOT = pytest.mark.skipif(os.geteuid() != 0, reason="needs root (ownership and capability xattrs)")


def facts(scope=1, present=True, locked=False, writable=True, container=False):
    return {"yama": {"present": present, "scope": scope, "locked": locked, "writable": writable},
            "container": {"detected": container}}


def grant(**over):
    spec = {"name": "debugready-sudo", "state": "present", "principals": ["%debug"],
            "commands": ["/usr/bin/strace", "/usr/bin/gdb"], "runas": "root", "nopasswd": True,
            "not_after": None, "log_output": True}
    spec.update(over)
    return spec


def set_file_caps(path, caps):
    """Fixture state: the capability xattr, written directly. Skips only where the filesystem cannot hold it."""
    try:
        os.setxattr(path, _caps.XATTR_NAME, _caps.encode(caps))
    except OSError as exc:
        if exc.errno in (errno.ENOTSUP, errno.EOPNOTSUPP):
            pytest.skip("the filesystem of %s does not support security xattrs" % path)
        raise


def sudo_host(tree, includedir=True):
    tree.write("/etc/sudoers", "root ALL=(ALL:ALL) ALL\n%s\n" % ("@includedir /etc/sudoers.d" if includedir else ""))
    tree.mkdir("/etc/sudoers.d")
    tree.write("/usr/sbin/visudo", "#!/bin/sh\n", mode=0o755)


def rendered(spec, previous=None):
    return _sudoers_write.desired_content(spec, previous, NOW, allow_missing_commands=True)[0]


# --- Yama ------------------------------------------------------------------------------------

def test_yama_needs_the_persisted_file_too(tree):
    result = _policy.yama({"value": 1}, facts(scope=1), str(tree))
    assert not result["compliant"] and SCOPE_FILE in result["detail"]
    tree.write(SCOPE_FILE, _sysctl_write.render(KEY, 1))
    assert _policy.yama({"value": 1}, facts(scope=1), str(tree))["compliant"]


def test_yama_runtime_drift_is_not_compliant(tree):
    tree.write(SCOPE_FILE, _sysctl_write.render(KEY, 1))
    result = _policy.yama({"value": 1}, facts(scope=0), str(tree))
    assert not result["compliant"] and "runtime 0, target 1" in result["detail"]


def test_yama_a_later_vendor_file_makes_the_managed_name_move(tree):
    tree.write(SCOPE_FILE, _sysctl_write.render(KEY, 1))
    tree.write("/etc/sysctl.d/zz-vendor.conf", "kernel.yama.ptrace_scope = 0\n")
    assert not _policy.yama({"value": 1}, facts(scope=1), str(tree))["compliant"]


def test_yama_locked_at_3_only_the_file_counts(tree):
    tree.write(SCOPE_FILE, _sysctl_write.render(KEY, 1))
    assert _policy.yama({"value": 1}, facts(scope=3, locked=True), str(tree))["compliant"]


@pytest.mark.parametrize("host", [facts(container=True), facts(present=False, scope=None)])
def test_yama_unsettable_hosts_have_nothing_to_change(tree, host):
    assert _policy.yama({"value": 1}, host, str(tree))["compliant"]


def test_yama_hardened_minimum_keeps_3_only_when_confirmed(tree):
    tree.write(SCOPE_FILE, _sysctl_write.render(KEY, 3))
    assert not _policy.yama({"minimum": 2}, facts(scope=3, locked=True), str(tree))["compliant"]
    assert _policy.yama({"minimum": 2, "confirm_scope_3": True}, facts(scope=3, locked=True), str(tree))["compliant"]
    assert not _policy.yama({"minimum": 2}, facts(scope=1), str(tree))["compliant"]


def test_yama_absent_means_no_managed_file(tree):
    tree.write(SCOPE_FILE, _sysctl_write.render(KEY, 1))
    assert not _policy.yama({"state": "absent"}, facts(), str(tree))["compliant"]
    os.remove(tree / SCOPE_FILE)
    tree.write("/etc/sysctl.d/10-admin.conf", "kernel.yama.ptrace_scope = 2\n")  # not ours: left alone
    assert _policy.yama({"state": "absent"}, facts(), str(tree))["compliant"]


# --- sudoers ---------------------------------------------------------------------------------

def test_grant_compliant_only_with_the_exact_rendered_content(tree):
    sudo_host(tree)
    spec = grant()
    assert not _policy.sudoers_grant(spec, NOW, str(tree))["compliant"]
    tree.write("/etc/sudoers.d/debugready-sudo", rendered(spec), mode=0o440)
    assert _policy.sudoers_grant(spec, NOW, str(tree))["compliant"]
    assert not _policy.sudoers_grant(grant(log_output=False), NOW, str(tree))["compliant"]
    assert not _policy.sudoers_grant(grant(principals=["%ops"]), NOW, str(tree))["compliant"]


def test_open_window_is_kept_and_an_expired_one_is_renewed(tree):
    sudo_host(tree)
    opened = rendered(grant(not_after="8h"))  # opened at NOW, closes NOW + 8h
    tree.write("/etc/sudoers.d/debugready-sudo", opened, mode=0o440)
    later = NOW + datetime.timedelta(hours=3)
    assert _policy.sudoers_grant(grant(not_after="8h"), later, str(tree))["compliant"]
    expired = NOW + datetime.timedelta(hours=9)
    assert not _policy.sudoers_grant(grant(not_after="8h"), expired, str(tree))["compliant"]


def test_foreign_file_of_the_same_name_is_not_compliant(tree):
    sudo_host(tree)
    tree.write("/etc/sudoers.d/debugready-sudo", "%debug ALL=(root) /usr/bin/strace\n", mode=0o440)
    for spec in (grant(), grant(state="absent")):
        result = _policy.sudoers_grant(spec, NOW, str(tree))
        assert not result["compliant"] and "not written by this collection" in result["detail"]


def test_absent_grant(tree):
    sudo_host(tree)
    assert _policy.sudoers_grant(grant(state="absent"), NOW, str(tree))["compliant"]
    tree.write("/etc/sudoers.d/debugready-sudo", rendered(grant()), mode=0o440)
    assert not _policy.sudoers_grant(grant(state="absent"), NOW, str(tree))["compliant"]


def test_runas_user_that_does_not_exist(tree):
    sudo_host(tree)
    spec = grant(runas="no-such-user-here")
    tree.write("/etc/sudoers.d/debugready-sudo", rendered(spec), mode=0o440)
    assert "does not exist" in _policy.sudoers_grant(spec, NOW, str(tree))["detail"]


@pytest.mark.parametrize("spec, message", [
    (grant(name="../passwd"), "name"),
    (grant(principals=["ALL"]), "principal"),
    (grant(commands=["/usr/bin/strace -p 1,ALL"]), "argument"),
    (grant(not_after="yesterday"), "neither a duration"),
])
def test_bad_grants_are_input_errors(tree, spec, message):
    sudo_host(tree)
    with pytest.raises(_policy.PolicyInputError, match=message):
        _policy.sudoers_grant(spec, NOW, str(tree))


def test_sudoers_without_includedir_or_visudo(tree):
    sudo_host(tree, includedir=False)
    tree.write("/etc/sudoers.d/debugready-sudo", rendered(grant()), mode=0o440)
    overall, per_grant = _policy.sudoers([grant()], NOW, str(tree))
    assert per_grant["debugready-sudo"]["compliant"] and not overall["compliant"]
    assert "includedir" in overall["detail"]
    os.remove(tree / "/usr/sbin/visudo")
    assert "not installed" in _policy.sudoers([grant()], NOW, str(tree))[0]["detail"]
    # Only removals wanted: sudo need not even be there.
    assert _policy.sudoers([grant(name="debugready-gdb", state="absent")], NOW, str(tree))[0]["compliant"]


# --- group, packages, files ----------------------------------------------------------------------

def test_group_and_members():
    root_group = grp.getgrgid(0).gr_name
    assert _policy.group(root_group, ["root"])["compliant"]  # primary group counts
    assert not _policy.group("no-such-group-here", [])["compliant"]
    result = _policy.group(root_group, ["no-such-user-here"])
    assert not result["compliant"] and "no-such-user-here" in result["detail"]


def test_packages(tree):
    tree.write("/usr/bin/strace", "#!/bin/sh\n", mode=0o755)
    tree.write("/usr/bin/gdb", "not executable\n", mode=0o644)
    result = _policy.packages(["strace", "gdb"], str(tree))
    assert not result["compliant"] and result["detail"] == "not installed: gdb"
    assert _policy.packages(["strace"], str(tree))["compliant"]


@AS_ROOT
def test_filecap_copy(tree):
    source = tree.write("/usr/bin/strace", "strace binary\n", mode=0o755)
    group_name = grp.getgrgid(0).gr_name
    spec = {"source": "/usr/bin/strace", "path": "/usr/local/bin/strace-debug", "group": group_name,
            "mode": "0750", "capabilities": ["cap_sys_ptrace"], "flags": "ep"}
    assert "missing" in _policy.filecap(spec, str(tree))["detail"]
    copy = tree.write(spec["path"], "strace binary\n", mode=0o750, uid=0, gid=0)
    set_file_caps(copy, _caps.FileCaps(1 << _caps.CAP_SYS_PTRACE, 0, True, 2))
    assert _policy.filecap(spec, str(tree))["compliant"]
    os.chmod(copy, 0o755)
    assert not _policy.filecap(spec, str(tree))["compliant"]
    os.chmod(copy, 0o750)
    with open(source, "a") as handle:
        handle.write("upgraded\n")  # the packaged strace changed: the copy must follow
    assert "differs" in _policy.filecap(spec, str(tree))["detail"]
    assert "does not exist" in _policy.filecap(dict(spec, group="no-such-group-here"), str(tree))["detail"]


@AS_ROOT
def test_apache_coredump(tree):
    spec = {"confs": ["/etc/apache2/conf-enabled/debugready-coredump.conf",
                      "/etc/httpd/conf.d/debugready-coredump.conf"],
            "content": "CoreDumpDirectory /var/lib/debugready/cores\n", "directory": "/var/lib/debugready/cores"}
    assert _policy.apache_coredump(spec, str(tree))["compliant"]  # no Apache here
    tree.mkdir("/etc/apache2/conf-enabled")
    assert not _policy.apache_coredump(spec, str(tree))["compliant"]
    tree.write(spec["confs"][0], spec["content"], mode=0o644, uid=0, gid=0)
    os.chmod(tree.mkdir(spec["directory"]), 0o700)
    assert _policy.apache_coredump(spec, str(tree))["compliant"]
    tree.write(spec["confs"][0], "CoreDumpDirectory /tmp\n", mode=0o644)
    assert not _policy.apache_coredump(spec, str(tree))["compliant"]


def test_evaluate_combines_and_reports_each_component(tree):
    sudo_host(tree)
    tree.write(SCOPE_FILE, _sysctl_write.render(KEY, 1))
    tree.write("/var/lib/debugready/snapshot.json", "{}\n")
    policy = {"state": "present", "snapshot": "/var/lib/debugready/snapshot.json", "yama": {"value": 1},
              "sudoers": [grant(), grant(name="debugready-gdb", state="absent")],
              "absent_paths": ["/usr/local/bin/strace-debug"]}
    result = _policy.evaluate(policy, facts(scope=1), str(tree), NOW)
    assert not result["compliant"]
    assert [name for name, c in result["components"].items() if not c["compliant"]] == ["sudoers"]
    assert result["sudoers_grants"]["debugready-gdb"]["compliant"]
    tree.write("/etc/sudoers.d/debugready-sudo", rendered(grant()), mode=0o440)
    assert _policy.evaluate(policy, facts(scope=1), str(tree), NOW)["compliant"]
    tree.write("/usr/local/bin/strace-debug", "left over\n")
    assert not _policy.evaluate(policy, facts(scope=1), str(tree), NOW)["compliant"]


def test_evaluate_absent_state_wants_no_snapshot(tree):
    tree.write("/var/lib/debugready/snapshot.json", "{}\n")
    policy = {"state": "absent", "snapshot": "/var/lib/debugready/snapshot.json", "yama": {"state": "absent"}}
    assert not _policy.evaluate(policy, facts(), str(tree), NOW)["compliant"]
    os.remove(tree / "/var/lib/debugready/snapshot.json")
    assert _policy.evaluate(policy, facts(), str(tree), NOW)["compliant"]


def test_evaluate_rejects_relative_paths(tree):
    with pytest.raises(_policy.PolicyInputError, match="absolute"):
        _policy.evaluate({"absent_paths": ["etc/x"]}, facts(), str(tree), NOW)
