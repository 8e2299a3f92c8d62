"""Every platform but the sudo-rs one (test_sudo_rs.py): the container is the Debian release it claims, and
ptrace_facts (side_effect saved them on the converged host) agree with that release's real state: sudo, Yama,
tools, capabilities, grants.

Expectations are read from the system itself (/proc, getcap, sudo -V, visudo, sudo -l); the release's
known versions (Debian's packages) pin that each image really is that release.
"""

import json
import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "_shared"))
from tracing import sudo_permits  # noqa: E402
from platforms import groups_of, hosts  # noqa: E402

testinfra_hosts = hosts(exclude="sudo_rs")

CAP_SYS_PTRACE = 19
# Debian's packages of each release: (Python, sudo) version prefixes.
RELEASES = {
    "bullseye": ("11", "3.9.", "1.9.5"),
    "bookworm": ("12", "3.11.", "1.9.13"),
    "trixie": ("13", "3.13.", "1.9.16"),
}


@pytest.fixture
def facts(host):
    return json.loads(host.file("/root/ptrace_facts.json").content_string)


@pytest.fixture
def release(host):
    os_release = dict(line.split("=", 1) for line in host.file("/etc/os-release").content_string.splitlines() if "=" in line)
    codename = os_release["VERSION_CODENAME"]
    # the platform's group names its release (molecule.yml)
    assert codename in groups_of(host)
    assert os_release["VERSION_ID"].strip('"') == RELEASES[codename][0]
    return codename


def profile(host):
    return "filecap" if "filecap" in groups_of(host) else "sudo"


def proc_status_field(host, pid, field):
    for line in host.file("/proc/%s/status" % pid).content_string.splitlines():
        key, sep, value = line.partition(":")
        if sep and key == field:
            return value.strip()
    raise AssertionError("no %s in /proc/%s/status" % (field, pid))


def getcap(host, path):
    out = host.check_output("getcap %s", path)
    return out.split(None, 1)[1].strip() if out.strip() else ""


def test_release_python_and_sudo(host, release, facts):
    dummy, python, sudo = RELEASES[release]
    assert host.check_output("python3 -c 'import sys; print(sys.version.split()[0])'").startswith(python)
    first = host.check_output("sudo -V | head -n 1")
    assert first.startswith("Sudo version " + sudo), first
    assert facts["sudoers"]["installed"] is True
    assert facts["sudoers"]["version"] in first and facts["sudoers"]["version"].startswith(sudo)


def test_container_bounding_set(host, facts):
    container = facts["container"]
    assert container["detected"] is True and container["engine"] == "podman"
    real_bounding = int(proc_status_field(host, 1, "CapBnd"), 16)
    assert container["sys_ptrace_in_bounding_set"] is bool(real_bounding >> CAP_SYS_PTRACE & 1) is True
    assert len(container["capabilities"]["bounding"]) == bin(real_bounding).count("1")
    assert container["no_new_privs"] is (proc_status_field(host, 1, "NoNewPrivs") == "1")
    assert facts["kernel"]["suid_dumpable"] == int(host.file("/proc/sys/fs/suid_dumpable").content_string)


def test_yama_matches_proc(host, facts):
    yama = facts["yama"]
    scope_file = host.file("/proc/sys/kernel/yama/ptrace_scope")
    assert yama["present"] is scope_file.exists
    if scope_file.exists:
        assert yama["scope"] == int(scope_file.content_string)
        assert yama["not_writable_reason"] == "read_only"  # /proc/sys is read-only in a container
    else:
        assert yama["scope"] is None and yama["not_writable_reason"] == "no_yama"
    assert yama["writable"] is False
    binaries = ("/usr/lib/systemd/systemd-sysctl", "/lib/systemd/systemd-sysctl")
    applier = "systemd_sysctl" if any(host.file(p).exists for p in binaries) else "sysctl_system"
    assert facts["yama"]["boot"]["applier"] == applier


def test_tools_match_the_filesystem(host, facts):
    for name in ("strace", "gdb", "ltrace"):
        tool = facts["tools"][name]
        path = host.check_output("command -v %s", name)
        assert tool["installed"] is True and tool["path"] == path
        assert tool["mode"] == "%04o" % host.file(path).mode
        assert (tool["owner"], tool["group"]) == (host.file(path).user, host.file(path).group)
        assert tool["caps"] == getcap(host, path) == ""
    assert facts["tools"]["strace"]["version"] in host.run("strace -V").stdout.splitlines()[0]
    assert facts["tools"]["gdb"]["version"] in host.run("gdb --version").stdout.splitlines()[0]


def test_ptrace_files_equal_getcap(host, facts):
    reported = dict((f["path"], f["caps"]) for f in facts["capabilities"]["ptrace_files"])
    real = {}
    for line in host.check_output("getcap -r /usr/local /usr/bin /usr/sbin /usr/libexec 2>/dev/null || true").splitlines():
        path, text = line.split(None, 1)
        if "cap_sys_ptrace" in text:
            real[path] = text.strip()
    assert reported == real
    expected = {"/usr/local/bin/strace-debug": "cap_sys_ptrace=ep"} if profile(host) == "filecap" else {}
    assert real == expected


def test_sudoers_tree_and_grant_agree_with_sudo(host, facts):
    sudoers = facts["sudoers"]
    assert sudoers["valid"] is (host.run("visudo -c").rc == 0) is True
    filecap = profile(host) == "filecap"
    managed = "/etc/sudoers.d/debugready-" + ("gdb" if filecap else "sudo")
    real_files = ["/etc/sudoers"] + sorted(host.check_output("ls -d /etc/sudoers.d/*").split())
    assert sudoers["files"] == real_files and managed in real_files
    # one record per command of the managed rule (gdb only with filecap; strace and gdb, time-boxed, with sudo)
    records = dict((g["commands"][0], g) for g in sudoers["grants"] if g["principal"] == "%debug")
    assert sorted(records) == (["/usr/bin/gdb"] if filecap else ["/usr/bin/gdb", "/usr/bin/strace"])
    for command, grant in records.items():
        assert (grant["source"], grant["runas"], grant["nopasswd"], grant["log_output"]) == (managed, ["root"], True, True)
        assert grant["tools"] == [command.rsplit("/", 1)[1]]
        if filecap:
            assert (grant["not_after_utc"], grant["expired"]) == (None, None)
        else:
            assert grant["not_after_utc"] and grant["expired"] is False
    # sudo itself agrees, tool by tool: what the facts say alice may run, and nothing for dave
    for tool in ("strace", "gdb", "ltrace"):
        path = "/usr/bin/" + tool
        assert sudo_permits(host, "alice", path + " -p 1") is (path in records), tool
        assert sudo_permits(host, "dave", path + " -p 1") is False
