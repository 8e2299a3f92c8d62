# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""The perf and eBPF readers, and the `perf` section of the snapshot, on fixture hosts."""

from __future__ import annotations

import gzip
import os
import subprocess

import pytest

from ansible_collections.debugready.ptrace.plugins.module_utils import _perf, _sysctl_write

from snapshot_fixtures import gather, make_host, status

# Two lines of a real /proc/self/mountinfo (Debian 12), a tracefs mounted twice, and a mount point with a space.
MOUNTINFO = """\
22 27 0:20 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw
35 22 0:12 / /sys/kernel/tracing rw,nosuid,nodev,noexec,relatime shared:14 - tracefs tracefs rw
36 22 0:7 / /sys/kernel/debug rw,nosuid,nodev,noexec,relatime shared:15 - debugfs debugfs rw
91 36 0:12 / /sys/kernel/debug/tracing rw,nosuid,nodev,noexec,relatime shared:14 - tracefs tracefs rw
92 27 0:50 / /mnt/my\\040traces ro,relatime shared:60 - tracefs tracefs ro
"""


@pytest.mark.parametrize("text, expected", [
    ("[none] integrity confidentiality", ("none", ["none", "integrity", "confidentiality"])),
    ("none [integrity] confidentiality", ("integrity", ["none", "integrity", "confidentiality"])),
    ("none integrity [confidentiality]", ("confidentiality", ["none", "integrity", "confidentiality"])),
    ("none integrity confidentiality", (None, ["none", "integrity", "confidentiality"])),  # no choice marked
    (None, (None, None)),
])
def test_lockdown_mode_is_the_bracketed_word(text, expected):
    assert _perf.parse_lockdown(text) == expected


def test_lockdown_is_unknown_without_securityfs(tree):
    assert _perf.lockdown(str(tree)) == {"mode": None, "available": None}
    tree.write(_perf.LOCKDOWN_FILE, "none [integrity] confidentiality\n")
    assert _perf.lockdown(str(tree)) == {"mode": "integrity", "available": ["none", "integrity", "confidentiality"]}


def test_mountinfo_gives_each_mount_point_its_type_and_options():
    mounts = _perf.parse_mountinfo(MOUNTINFO + "garbage line\n\n")
    assert ("/sys/kernel/tracing", "tracefs", "rw,nosuid,nodev,noexec,relatime") in mounts
    assert ("/mnt/my traces", "tracefs", "ro,relatime") in mounts  # \040 is a space
    assert len(mounts) == 5


def test_tracing_mounts_report_the_first_mount_and_its_mode(tree):
    tree.write("/proc/self/mountinfo", MOUNTINFO)
    os.chmod(tree.mkdir("/sys/kernel/tracing"), 0o700)
    os.chmod(tree.mkdir("/sys/kernel/debug"), 0o755)
    facts = _perf.tracing_mounts(str(tree))
    assert facts["tracefs"] == {"mounted": True, "path": "/sys/kernel/tracing", "mode": "0700", "read_only": False}
    assert facts["debugfs"] == {"mounted": True, "path": "/sys/kernel/debug", "mode": "0755", "read_only": False}


def test_tracing_mounts_absent_and_unknown(tree):
    # a container's mount table without either: not mounted
    tree.write("/proc/self/mountinfo", MOUNTINFO.splitlines()[0] + "\n")
    assert _perf.tracing_mounts(str(tree))["tracefs"]["mounted"] is False
    # no mount table at all: unknown, not "not mounted"
    os.unlink(os.path.join(str(tree), "proc/self/mountinfo"))
    assert _perf.tracing_mounts(str(tree))["debugfs"] == {"mounted": None, "path": None, "mode": None,
                                                          "read_only": None}


def test_a_read_only_tracefs_is_reported(tree):
    tree.write("/proc/self/mountinfo", MOUNTINFO.splitlines()[4] + "\n")
    assert _perf.tracing_mounts(str(tree))["tracefs"]["read_only"] is True


def test_bcc_tools_from_debian_and_upstream_directories(tree):
    tree.write("/usr/sbin/execsnoop-bpfcc", "", mode=0o755)
    tree.write("/usr/sbin/opensnoop-bpfcc", "", mode=0o755)
    tree.write("/usr/sbin/visudo", "", mode=0o755)
    tree.write("/usr/share/bcc/tools/trace", "", mode=0o755)
    assert _perf.bcc_tools(str(tree)) == ["execsnoop-bpfcc", "opensnoop-bpfcc", "trace"]


def test_the_perf_section_reads_runtime_and_boot_with_the_sysctl_resolver(tree):
    make_host(tree, yama=1)
    tree.write("/usr/lib/systemd/systemd-sysctl", "")
    tree.write("/proc/sys/kernel/perf_event_paranoid", "3\n")
    tree.write("/proc/sys/kernel/kptr_restrict", "0\n")
    # Debian's vendor file; an admin file that lowers perf_event_paranoid for the next boot; /etc/sysctl.conf,
    # which only `sysctl --system` reads last
    tree.write("/usr/lib/sysctl.d/50-default.conf", "kernel.kptr_restrict = 1\n")
    tree.write("/etc/sysctl.d/60-perf.conf", "kernel.perf_event_paranoid = 1\n")
    tree.write("/etc/sysctl.conf", "kernel.perf_event_paranoid = 2\n")
    facts = gather(tree, sections=("yama", "perf"))
    settings = facts["perf"]["settings"]
    paranoid = settings["kernel.perf_event_paranoid"]
    assert paranoid["runtime"] == 3
    assert paranoid["boot"] == {"value": 1, "source": "/etc/sysctl.d/60-perf.conf", "applier": "systemd_sysctl",
                                "appliers_agree": False, "managed": False}
    assert paranoid["drift"] is True
    assert settings["kernel.kptr_restrict"]["boot"]["value"] == 1 and settings["kernel.kptr_restrict"]["drift"]
    # a kernel without the setting (no CONFIG_BPF_SYSCALL) and nothing persisted: unknown, no drift
    assert settings["kernel.unprivileged_bpf_disabled"] == {
        "runtime": None, "drift": False,
        "boot": {"value": None, "source": None, "applier": "systemd_sysctl", "appliers_agree": True, "managed": False}}
    assert facts["perf"]["bpftrace"]["installed"] is False and facts["perf"]["bcc_tools"] == []
    assert facts["gathered"] == ["yama", "perf"]
    # the Yama section is unchanged by the shared resolution
    assert facts["yama"]["boot"]["scope"] is None and facts["yama"]["boot"]["applier"] == "systemd_sysctl"


def test_boot_managed_only_for_kernel_settings_own_file_of_that_key(tree):
    """The role's revert puts back a file kernel_setting wrote before its snapshot: only that file counts, not an
    admin's file, nor ptrace_scope's header on another key's file."""
    make_host(tree)
    tree.write("/proc/sys/kernel/perf_event_paranoid", "3\n")
    tree.write("/etc/sysctl.d/99-debugready-perf-event-paranoid.conf",
               _sysctl_write.render(_sysctl_write.PERF_EVENT_PARANOID, 1))
    paranoid = gather(tree, sections=("perf",))["perf"]["settings"]["kernel.perf_event_paranoid"]
    assert paranoid["boot"]["managed"] is True and paranoid["boot"]["value"] == 1
    tree.write("/etc/sysctl.d/99-debugready-perf-event-paranoid.conf",
               _sysctl_write.render(_sysctl_write.YAMA, 1).replace("kernel.yama.ptrace_scope", "kernel.perf_event_paranoid"))
    paranoid = gather(tree, sections=("perf",))["perf"]["settings"]["kernel.perf_event_paranoid"]
    assert paranoid["boot"]["managed"] is False and paranoid["boot"]["value"] == 1
    os.remove(str(tree / "etc/sysctl.d/99-debugready-perf-event-paranoid.conf"))
    tree.write("/etc/sysctl.d/99-zz-admin.conf", "kernel.perf_event_paranoid = 1\n")
    paranoid = gather(tree, sections=("perf",))["perf"]["settings"]["kernel.perf_event_paranoid"]
    assert paranoid["boot"]["managed"] is False


def test_a_value_the_kernel_would_not_take_is_reported_as_written_not_guessed(tree):
    make_host(tree)
    tree.write("/proc/sys/kernel/perf_event_paranoid", "2\n")
    tree.write("/etc/sysctl.d/60-perf.conf", "kernel.perf_event_paranoid = lots\n")
    paranoid = gather(tree, sections=("perf",))["perf"]["settings"]["kernel.perf_event_paranoid"]
    assert paranoid["boot"]["value"] is None and paranoid["boot"]["source"] == "/etc/sysctl.d/60-perf.conf"
    assert paranoid["drift"] is False


def test_bpftrace_version_is_read_through_the_runner(tree):
    make_host(tree)
    tree.write("/usr/bin/bpftrace", "", mode=0o755)
    seen = []

    def run(argv):
        seen.append(argv)
        return (0, "bpftrace v0.17.0\n", "") if argv[0].endswith("bpftrace") else (1, "", "")

    bpftrace = gather(tree, sections=("perf",), run=run, validate_sudoers=False)["perf"]["bpftrace"]
    assert (bpftrace["installed"], bpftrace["path"], bpftrace["version"]) == (True, "/usr/bin/bpftrace", "0.17.0")
    assert [os.path.basename(a[0]) for a in seen] == ["bpftrace"]


@pytest.mark.parametrize("line, expected", [
    ("CONFIG_SECURITY_PERF_EVENTS_RESTRICT=y", True),  # Debian's and Ubuntu's kernels
    ("# CONFIG_SECURITY_PERF_EVENTS_RESTRICT is not set", True),  # patched, default 2: 3 still denies all
    ("CONFIG_SECURITY_PERF_EVENTS=y", False),  # a longer name's prefix is not the option
    ("# CONFIG_SECURITY_PERF_EVENTS_RESTRICTED is not set", False),
])
def test_kernel_config_names_the_level_3_option(line, expected):
    text = "CONFIG_PERF_EVENTS=y\n%s\nCONFIG_BPF_SYSCALL=y\n" % line
    assert _perf.kernel_config_names(text, _perf.PARANOID_3_OPTION) is expected


def test_paranoid_3_from_boot_config(tree):
    assert _perf.paranoid_3_denies_all(str(tree), "6.1.0-57-cloud-amd64") is None
    tree.write("/boot/config-6.1.0-57-cloud-amd64", "CONFIG_PERF_EVENTS=y\n")
    assert _perf.paranoid_3_denies_all(str(tree), "6.1.0-57-cloud-amd64") is False
    tree.write("/boot/config-6.1.0-57-cloud-amd64", "CONFIG_SECURITY_PERF_EVENTS_RESTRICT=y\n")
    assert _perf.paranoid_3_denies_all(str(tree), "6.1.0-57-cloud-amd64") is True
    # another kernel's config says nothing about this one
    assert _perf.paranoid_3_denies_all(str(tree), "6.12.0-1-amd64") is None


def test_paranoid_3_from_proc_config_gz(tree):
    path = os.path.join(str(tree), "proc", "config.gz")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with gzip.open(path, "wt") as handle:
        handle.write("CONFIG_SECURITY_PERF_EVENTS_RESTRICT=y\n")
    assert _perf.paranoid_3_denies_all(str(tree)) is True
    with open(path, "wb") as handle:
        handle.write(b"not gzip")
    assert _perf.paranoid_3_denies_all(str(tree)) is None


def test_release_with_a_slash_is_not_a_path(tree):
    tree.write("/etc/config", "CONFIG_SECURITY_PERF_EVENTS_RESTRICT=y\n")
    assert _perf.paranoid_3_denies_all(str(tree), "../etc/config") is None


@pytest.mark.parametrize("container, seccomp, bounding, blocks", [
    (None, 2, "000001ffffffffff", False),             # not a container: the host's own processes
    ("podman", 0, "00000000a80425fb", False),         # no filter (seccomp=unconfined)
    ("podman", 2, "00000000a80425fb", True),          # podman's default profile and set: perf refused
    ("podman", 2, "000001ffffffffff", False),         # podman's default with CAP_SYS_ADMIN: let through
])
def test_the_perf_section_says_whether_the_containers_seccomp_refuses_perf(tree, container, seccomp, bounding, blocks):
    make_host(tree, container=container)
    tree.write("/proc/self/status", status(bounding, bounding, seccomp=seccomp))
    for sections in (("perf",), ("container", "perf")):  # read here, or from the gathered container section
        assert gather(tree, sections=sections)["perf"]["seccomp_blocks_perf"] is blocks


@pytest.mark.parametrize("kptr, paranoid, syslog, visible", [
    (0, 1, False, True), (0, -1, False, True), (0, 2, False, False), (0, 3, False, False), (0, 2, True, True),
    (1, -1, False, False), (1, 2, True, True), (2, -1, True, False), (2, 2, False, False),
    (None, 2, True, None), (0, None, False, None), (0, None, True, True), (1, None, False, False),
])
def test_kernel_symbols_visible(kptr, paranoid, syslog, visible):
    assert _perf.kernel_symbols_visible(kptr, paranoid, syslog) is visible


def kallsyms_shows_addresses(prefix):
    """Whether /proc/kallsyms, opened by `prefix` + awk, shows the first code symbol's address (x86's per-CPU
    symbols at the top are 0 for everyone)."""
    done = subprocess.run(prefix + ["awk", "$2 ~ /^[Tt]$/ { print $1; exit }", "/proc/kallsyms"],
                          capture_output=True, text=True, timeout=20, check=True, cwd="/")
    return int(done.stdout.split()[0], 16) != 0


@pytest.mark.skipif(os.geteuid() != 0 or not os.path.exists("/proc/kallsyms"), reason="needs root and kallsyms")
@pytest.mark.parametrize("prefix, syslog", [
    ([], True),
    (["setpriv", "--bounding-set=-syslog", "--"], False),
    (["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"], False),
])
def test_kernel_symbols_visible_agrees_with_the_real_kallsyms(prefix, syslog):
    """The model against the kernel: /proc/kallsyms read by root, root without CAP_SYSLOG, and nobody, at this
    host's kptr_restrict and perf_event_paranoid (yama_vm's bcc_step runs the other values)."""
    model = _perf.kernel_symbols_visible(_perf.runtime_value("kernel.kptr_restrict"),
                                         _perf.runtime_value("kernel.perf_event_paranoid"), syslog)
    assert model is kallsyms_shows_addresses(prefix)


def test_bcc_version_from_its_python_package(tmp_path):
    assert _perf.bcc_version(str(tmp_path)) is None
    package = tmp_path / "usr/lib64/python3.9/site-packages/bcc"
    package.mkdir(parents=True)
    (package / "version.py").write_text("__version__ = '0.28.0'\n")
    assert _perf.bcc_version(str(tmp_path)) == "0.28.0"
    debian = tmp_path / "usr/lib/python3/dist-packages/bcc"
    debian.mkdir(parents=True)
    (debian / "version.py").write_text('__version__ = "0.26.0"\n')
    assert _perf.bcc_version(str(tmp_path)) == "0.26.0"


@pytest.mark.parametrize("layout, found, via", [
    ({"build/include/linux/kconfig.h": "f"}, True, "build"),
    # Debian: build and source both directories (symlinks to /usr/src): source is searched
    ({"build/Makefile": "f", "source/include/linux/kconfig.h": "f"}, True, "source"),
    ({"build/Makefile": "f", "source/Makefile": "f"}, False, None),  # a leftover build dir without headers
    ({"build/include/linux/kconfig.h": "d"}, False, None),  # kconfig.h must be a regular file
    ({"kernel/kernel/kheaders.ko.xz": "f"}, None, "kheaders_module"),  # root loads it on demand
    ({}, False, None),
])
def test_bcc_kernel_headers_follow_bccs_search(tmp_path, layout, found, via):
    (tmp_path / "proc/sys/kernel").mkdir(parents=True)
    (tmp_path / "proc/sys/kernel/osrelease").write_text("6.1.0-57-cloud-amd64\n")
    kdir = tmp_path / "lib/modules/6.1.0-57-cloud-amd64"
    for name, kind in layout.items():
        (kdir / name).parent.mkdir(parents=True, exist_ok=True)
        if kind == "d":
            (kdir / name).mkdir()
        else:
            (kdir / name).write_text("")
    headers = _perf.bcc_kernel_headers(str(tmp_path))
    assert (headers["found"], headers["via"]) == (found, via), headers
    (tmp_path / "sys/kernel").mkdir(parents=True)
    (tmp_path / "sys/kernel/kheaders.tar.xz").write_text("")
    if found is not True:
        assert _perf.bcc_kernel_headers(str(tmp_path))["via"] == "kheaders"
    assert _perf.bcc_kernel_headers(str(tmp_path), release="../x") == {"found": None, "path": None, "via": None}
