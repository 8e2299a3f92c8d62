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
    os.chmod(tree.mkdir("/etc/sudoers.d"), 0o755)
    tree.write("/usr/sbin/visudo", "#!/bin/sh\n", mode=0o755)


def rendered(spec, opened=NOW):
    """The file sudoers_grant writes for `spec` when run at `opened`."""
    not_after = _sudoers_write.parse_not_after(spec["not_after"], opened) if spec["not_after"] else None
    return _sudoers_write.render(spec["principals"], [(c.split()[0], c.split()[1:]) for c in spec["commands"]],
                                 spec["runas"], spec["nopasswd"], not_after, spec["log_output"])


def install_grant(tree, spec, opened=NOW, mode=0o440):
    return tree.write("/etc/sudoers.d/" + spec["name"], rendered(spec, opened), mode=mode, uid=0, gid=0)


# --- Yama ------------------------------------------------------------------------------------

def test_yama_needs_the_persisted_file_too(tree):
    result = _policy.yama({"value": 1}, facts(scope=1), str(tree))
    assert not result["compliant"] and SCOPE_FILE in result["detail"]
    tree.write(SCOPE_FILE, _sysctl_write.render(_sysctl_write.YAMA, 1))
    assert _policy.yama({"value": 1}, facts(scope=1), str(tree))["compliant"]


def test_yama_runtime_drift_is_not_compliant(tree):
    tree.write(SCOPE_FILE, _sysctl_write.render(_sysctl_write.YAMA, 1))
    result = _policy.yama({"value": 1}, facts(scope=0), str(tree))
    assert not result["compliant"] and "runtime 0, target 1" in result["detail"]


def test_yama_a_later_vendor_file_makes_the_managed_name_move(tree):
    tree.write(SCOPE_FILE, _sysctl_write.render(_sysctl_write.YAMA, 1))
    tree.write("/etc/sysctl.d/zz-vendor.conf", "kernel.yama.ptrace_scope = 0\n")
    assert not _policy.yama({"value": 1}, facts(scope=1), str(tree))["compliant"]


def test_yama_locked_at_3_only_the_file_counts(tree):
    tree.write(SCOPE_FILE, _sysctl_write.render(_sysctl_write.YAMA, 1))
    assert _policy.yama({"value": 1}, facts(scope=3, locked=True), str(tree))["compliant"]


@pytest.mark.parametrize("host", [facts(container=True), facts(present=False, scope=None)])
def test_yama_unsettable_hosts_have_nothing_to_change(tree, host):
    assert _policy.yama({"value": 1}, host, str(tree))["compliant"]


def test_yama_hardened_minimum_keeps_3_only_when_confirmed(tree):
    tree.write(SCOPE_FILE, _sysctl_write.render(_sysctl_write.YAMA, 3))
    assert not _policy.yama({"minimum": 2}, facts(scope=3, locked=True), str(tree))["compliant"]
    assert _policy.yama({"minimum": 2, "confirm_scope_3": True}, facts(scope=3, locked=True), str(tree))["compliant"]
    assert not _policy.yama({"minimum": 2}, facts(scope=1), str(tree))["compliant"]


def test_yama_absent_means_no_managed_file(tree):
    tree.write(SCOPE_FILE, _sysctl_write.render(_sysctl_write.YAMA, 1))
    assert not _policy.yama({"state": "absent"}, facts(), str(tree))["compliant"]
    os.remove(tree / SCOPE_FILE)
    tree.write("/etc/sysctl.d/10-admin.conf", "kernel.yama.ptrace_scope = 2\n")  # not ours: left alone
    assert _policy.yama({"state": "absent"}, facts(), str(tree))["compliant"]


# --- kernel_settings (the perf profile): the same writer's plan decides ---------------------------
PARANOID_FILE = "/etc/sysctl.d/99-debugready-perf-event-paranoid.conf"
PARANOID_SPEC = {"key": "kernel.perf_event_paranoid", "maximum": 2}


def paranoid_host(tree, runtime):
    tree.write("/proc/sys/kernel/perf_event_paranoid", "%d\n" % runtime)
    tree.mkdir("/etc/sysctl.d")


def test_kernel_setting_needs_runtime_and_file(tree):
    paranoid_host(tree, 3)
    result = _policy.kernel_settings([PARANOID_SPEC], facts(), str(tree))
    assert not result["compliant"]
    assert "kernel.perf_event_paranoid: runtime 3, target 2" in result["detail"]
    assert PARANOID_FILE in result["detail"]
    tree.write("/proc/sys/kernel/perf_event_paranoid", "2\n")
    assert not _policy.kernel_settings([PARANOID_SPEC], facts(), str(tree))["compliant"]  # nothing persisted yet
    tree.write(PARANOID_FILE, _sysctl_write.render(_sysctl_write.PERF_EVENT_PARANOID, 2))
    result = _policy.kernel_settings([PARANOID_SPEC], facts(), str(tree))
    assert result["compliant"], result
    assert result["detail"] == "kernel.perf_event_paranoid: runtime and boot at 2"


def test_kernel_setting_maximum_keeps_a_lower_value(tree):
    paranoid_host(tree, -1)
    tree.write(PARANOID_FILE, _sysctl_write.render(_sysctl_write.PERF_EVENT_PARANOID, -1))
    assert _policy.kernel_settings([PARANOID_SPEC], facts(), str(tree))["compliant"]


def test_kernel_setting_in_a_container_has_nothing_to_change(tree):
    paranoid_host(tree, 3)
    result = _policy.kernel_settings([PARANOID_SPEC], facts(container=True), str(tree))
    assert result["compliant"] and "nothing to set on this host" in result["detail"]


def test_kernel_setting_bad_input_is_an_error(tree):
    paranoid_host(tree, 3)
    with pytest.raises(_policy.PolicyInputError, match="perf_event_paranoid.*maximum"):
        _policy.kernel_settings([{"key": "kernel.perf_event_paranoid", "maximum": 7}], facts(), str(tree))
    with pytest.raises(_policy.PolicyInputError, match="key must be one of"):
        _policy.kernel_settings([{"key": "kernel.yama.ptrace_scope", "value": 1}], facts(), str(tree))


def test_evaluate_names_the_kernel_settings_component(tree):
    paranoid_host(tree, 3)
    result = _policy.evaluate({"kernel_settings": [PARANOID_SPEC]}, facts(), str(tree))
    assert list(result["components"]) == ["kernel_settings"] and not result["compliant"]


# --- sudoers ---------------------------------------------------------------------------------
# The drop-in directory and the file must be root's (sudo skips them otherwise): these tests need root.

@AS_ROOT
def test_grant_compliant_only_with_the_exact_rendered_content(tree):
    sudo_host(tree)
    spec = grant()
    assert not _policy.sudoers_grant(spec, NOW, str(tree))["compliant"]
    install_grant(tree, spec)
    assert _policy.sudoers_grant(spec, NOW, str(tree))["compliant"]
    assert not _policy.sudoers_grant(grant(log_output=False), NOW, str(tree))["compliant"]
    assert not _policy.sudoers_grant(grant(principals=["%ops"]), NOW, str(tree))["compliant"]


@AS_ROOT
def test_open_window_is_kept_and_an_expired_one_is_renewed(tree):
    sudo_host(tree)
    install_grant(tree, grant(not_after="8h"))  # opened at NOW, closes NOW + 8h
    later = NOW + datetime.timedelta(hours=3)
    assert _policy.sudoers_grant(grant(not_after="8h"), later, str(tree))["compliant"]
    expired = NOW + datetime.timedelta(hours=9)
    assert not _policy.sudoers_grant(grant(not_after="8h"), expired, str(tree))["compliant"]


@AS_ROOT
def test_a_shorter_duration_shrinks_an_open_window(tree):
    sudo_host(tree)
    install_grant(tree, grant(not_after="8h"))
    later = NOW + datetime.timedelta(hours=1)
    result = _policy.sudoers_grant(grant(not_after="1h"), later, str(tree))
    assert not result["compliant"]
    assert "ends 2026-11-28T20:00:00Z on the host, wanted 2026-11-28T14:00:00Z" in result["detail"]


@AS_ROOT
def test_an_end_edited_further_away_is_drift(tree):
    sudo_host(tree)
    install_grant(tree, grant(not_after="1w"))  # what an edit to NOTAFTER=NOW+1w leaves on disk
    result = _policy.sudoers_grant(grant(not_after="8h"), NOW + datetime.timedelta(hours=1), str(tree))
    assert not result["compliant"] and "wanted 2026-11-28T21:00:00Z" in result["detail"]


@AS_ROOT
@pytest.mark.parametrize("mode, owner, reason", [
    (0o644, (0, 0), "mode is 0644, wanted 0440"),
    (0o400, (0, 0), "mode is 0400, wanted 0440"),
    (0o440, (0, 65534), "owner is 0:65534, wanted 0:0"),
    (0o440, (65534, 0), "owner is 65534:0, wanted 0:0"),
])
def test_owner_and_mode_are_part_of_compliance(tree, mode, owner, reason):
    sudo_host(tree)
    os.chown(install_grant(tree, grant(), mode=mode), *owner)
    result = _policy.sudoers_grant(grant(), NOW, str(tree))
    assert not result["compliant"] and result["detail"] == reason


@AS_ROOT
def test_foreign_file_of_the_same_name_is_not_compliant(tree):
    sudo_host(tree)
    tree.write("/etc/sudoers.d/debugready-sudo", "%debug ALL=(root) /usr/bin/strace\n", mode=0o440)
    for spec in (grant(), grant(state="absent")):
        result = _policy.sudoers_grant(spec, NOW, str(tree))
        assert not result["compliant"] and "not written by this module" in result["detail"]


@AS_ROOT
@pytest.mark.parametrize("content", [
    "%debug ALL=(ALL) NOPASSWD: ALL\n" + _sudoers_write.MARKER + "\n",   # the marker further down
    " " + _sudoers_write.MARKER + "\n%debug ALL=(ALL) NOPASSWD: ALL\n",   # not exactly the first line
    _sudoers_write.MARKER + " (copied)\n%debug ALL=(ALL) NOPASSWD: ALL\n",
])
def test_a_file_is_ours_only_by_the_exact_first_line(tree, content):
    sudo_host(tree)
    tree.write("/etc/sudoers.d/debugready-sudo", content, mode=0o440)
    for spec in (grant(), grant(state="absent")):
        result = _policy.sudoers_grant(spec, NOW, str(tree))
        assert not result["compliant"] and "not written by this module" in result["detail"]


@AS_ROOT
def test_absent_grant(tree):
    sudo_host(tree)
    assert _policy.sudoers_grant(grant(state="absent"), NOW, str(tree))["compliant"]
    install_grant(tree, grant())
    assert not _policy.sudoers_grant(grant(state="absent"), NOW, str(tree))["compliant"]


@AS_ROOT
def test_runas_user_that_does_not_exist(tree):
    sudo_host(tree)
    spec = grant(runas="no-such-user-here")
    install_grant(tree, spec)
    assert "does not exist" in _policy.sudoers_grant(spec, NOW, str(tree))["detail"]


@pytest.mark.parametrize("spec, message", [
    (grant(name="../passwd"), "name"),
    (grant(principals=["ALL"]), "principal"),
    (grant(commands=["/usr/bin/strace -p 1,ALL"]), "argument"),
    (grant(not_after="yesterday"), "neither a duration"),
    (grant(not_after=""), "not_after is empty"),
    (grant(not_after="  "), "not_after is empty"),
    (grant(not_after="99999999999w"), "too far away"),
    (grant(not_after="500000w"), "too far away"),
])
def test_bad_grants_are_input_errors(tree, spec, message):
    sudo_host(tree)
    with pytest.raises(_policy.PolicyInputError, match=message):
        _policy.sudoers_grant(spec, NOW, str(tree))


@AS_ROOT
def test_sudoers_without_includedir_or_visudo(tree):
    sudo_host(tree, includedir=False)
    install_grant(tree, grant())
    overall, per_grant = _policy.sudoers([grant()], NOW, str(tree))
    assert not per_grant["debugready-sudo"]["compliant"] and not overall["compliant"]
    assert "includedir" in per_grant["debugready-sudo"]["detail"]
    os.remove(tree / "/usr/sbin/visudo")
    assert "not installed" in _policy.sudoers([grant()], NOW, str(tree))[1]["debugready-sudo"]["detail"]
    # Only removals wanted: sudo need not even be there.
    assert _policy.sudoers([grant(name="debugready-gdb", state="absent")], NOW, str(tree))[0]["compliant"]


@AS_ROOT
@pytest.mark.parametrize("sudoers, included", [
    ("@includedir /etc/sudoers.d/\n", True),
    ('#includedir "/etc/sudoers.d"\n', True),
    ("@includedir sudoers.d # relative to /etc\n", True),
    ("@include /etc/sudoers.local\n", True),   # the directive is in an included file
    ("  #includedir /etc/sudoers.d\n", False),  # measured: an indented '#includedir' is a comment
    ("@includedir /etc/sudoers.dd\n", False),
])
def test_the_includedir_is_found_however_it_is_spelled(tree, sudoers, included):
    sudo_host(tree)
    tree.write("/etc/sudoers", "root ALL=(ALL:ALL) ALL\n" + sudoers)
    tree.write("/etc/sudoers.local", "@includedir /etc/sudoers.d\n", mode=0o440)
    install_grant(tree, grant())
    overall, per_grant = _policy.sudoers([grant()], NOW, str(tree))
    assert overall["compliant"] is included, per_grant


@AS_ROOT
@pytest.mark.parametrize("mode, gid, compliant", [(0o755, 0, True), (0o775, 0, True), (0o777, 0, False),
                                                  (0o1777, 0, False), (0o775, 65534, False)])
def test_a_dropin_directory_sudo_skips_is_not_compliant(tree, mode, gid, compliant):
    sudo_host(tree)
    install_grant(tree, grant())
    directory = tree / "/etc/sudoers.d"
    os.chmod(directory, mode)
    os.chown(directory, 0, gid)
    result = _policy.sudoers_grant(grant(), NOW, str(tree))
    assert result["compliant"] is compliant
    if not compliant:
        assert "sudo skips /etc/sudoers.d" in result["detail"]


@AS_ROOT
def test_a_symlinked_or_writable_command_is_not_compliant(tree):
    sudo_host(tree)
    tree.write("/bin/sh", "#!/bin/sh\n", mode=0o755)
    tree.write("/usr/local/bin/strace", link="../../../bin/sh")
    spec = grant(commands=["/usr/local/bin/strace"])
    install_grant(tree, spec)
    result = _policy.sudoers_grant(spec, NOW, str(tree))
    assert not result["compliant"] and "/usr/local/bin/strace is a symlink to /bin/sh" in result["detail"]
    assert _policy.sudoers_grant(dict(spec, allow_unsafe_commands=True), NOW, str(tree))["compliant"]
    os.unlink(tree / "/usr/local/bin/strace")
    os.chmod(tree.write("/usr/local/bin/strace", "#!/bin/sh\n", mode=0o755, uid=0, gid=0), 0o757)
    result = _policy.sudoers_grant(spec, NOW, str(tree))
    assert not result["compliant"] and "/usr/local/bin/strace is world-writable" in result["detail"]


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


@AS_ROOT
def test_apache_coredump_modes_are_the_specs(tree):
    spec = {"confs": ["/etc/apache2/conf-enabled/debugready-coredump.conf"], "content": "CoreDumpDirectory /c\n",
            "directory": "/c"}
    tree.write(spec["confs"][0], spec["content"], mode=0o644, uid=0, gid=0)
    os.chmod(tree.mkdir("/c"), 0o700)
    assert _policy.apache_coredump(spec, str(tree))["compliant"]  # defaults: 0644 and 0700
    assert _policy.apache_coredump(dict(spec, mode=0o644, directory_mode="0o700"), str(tree))["compliant"]
    result = _policy.apache_coredump(dict(spec, mode="0640"), str(tree))
    assert not result["compliant"] and result["detail"] == spec["confs"][0] + " differs"
    result = _policy.apache_coredump(dict(spec, directory_mode="0750"), str(tree))
    assert (result["compliant"], result["detail"]) == (False, "/c is not root's directory with mode 0750")


@pytest.mark.parametrize("key, value", [("mode", "u=rw"), ("mode", True), ("directory_mode", "0o10000"),
                                        ("directory_mode", " 700")])
def test_apache_coredump_bad_mode_is_an_input_error(tree, key, value):
    spec = {"confs": ["/etc/x.conf"], "content": "", "directory": "/c", key: value}
    with pytest.raises(_policy.PolicyInputError, match="apache_coredump mode"):
        _policy.apache_coredump(spec, str(tree))


def test_apache_coredump_never_reads_a_fifo_or_a_device(tree, deadline):
    # Found by tests/real/test_fuzz_modules.py: ptrace_facts' policy hung on a FIFO (and read /dev/zero until
    # memory ran out) before it looked at what the path was.
    tree.mkdir("/etc/apache2/conf-enabled")
    os.mkfifo(tree / "/etc/apache2/conf-enabled/coredump.conf")
    spec = {"confs": ["/etc/apache2/conf-enabled/coredump.conf", "/dev/zero"], "content": "x\n",
            "directory": "/var/lib/debugready/cores"}
    with deadline(10):
        result = _policy.apache_coredump(spec, str(tree))
    assert not result["compliant"] and "/etc/apache2/conf-enabled/coredump.conf differs" in result["detail"]


@pytest.mark.parametrize("policy", [
    {"absent_paths": ["/tmp/x\x00y"]},
    {"snapshot": "relative"},
    {"apache_coredump": {"confs": ["/etc/x.conf"], "content": "", "directory": "/var/c\x00res"}},
    {"apache_coredump": {"confs": ["x.conf"], "content": "", "directory": "/var/cores"}},
])
def test_policy_paths_are_absolute_without_nul(tree, policy):
    with pytest.raises(_policy.PolicyInputError, match="policy paths must be absolute"):
        _policy.evaluate(policy, {}, str(tree))


@AS_ROOT
def test_evaluate_combines_and_reports_each_component(tree):
    sudo_host(tree)
    tree.write(SCOPE_FILE, _sysctl_write.render(_sysctl_write.YAMA, 1))
    tree.write("/var/lib/debugready/snapshot.json", "{}\n")
    policy = {"state": "present", "snapshot": "/var/lib/debugready/snapshot.json", "yama": {"value": 1},
              "sudoers": [grant(), grant(name="debugready-gdb", state="absent")],
              "absent_paths": ["/usr/local/bin/strace-debug"]}
    result = _policy.evaluate(policy, facts(scope=1), str(tree), NOW)
    assert not result["compliant"]
    assert [name for name, c in result["components"].items() if not c["compliant"]] == ["sudoers"]
    assert result["sudoers_grants"]["debugready-gdb"]["compliant"]
    install_grant(tree, grant())
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
