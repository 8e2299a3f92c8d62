# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import os

import pytest

from ansible_collections.debugready.ptrace.plugins.module_utils import _sysctl

KEY = "kernel.yama.ptrace_scope"


@pytest.fixture
def root(tree):
    return tree


def winner(root, applier="systemd_sysctl"):
    res = _sysctl.resolve(KEY, str(root), applier)
    return res.value, res.source


def test_no_file_sets_the_key(root):
    root.write("/etc/sysctl.d/10-other.conf", "vm.swappiness = 10\n")
    assert winner(root) == (None, None)
    assert winner(root, "sysctl_system") == (None, None)


def test_lexical_order_across_directories(root):
    # RHEL's vendor file and Ubuntu's admin file: 10-ptrace sorts after 10-default-yama-scope.
    root.write("/usr/lib/sysctl.d/10-default-yama-scope.conf", "kernel.yama.ptrace_scope = 0\n")
    root.write("/etc/sysctl.d/10-ptrace.conf", "kernel.yama.ptrace_scope = 1\n")
    assert winner(root) == ("1", "/etc/sysctl.d/10-ptrace.conf")
    # A later vendor file wins over an earlier admin file: order is by basename, not directory.
    root.write("/usr/lib/sysctl.d/50-yama.conf", "kernel.yama.ptrace_scope = 2\n")
    assert winner(root) == ("2", "/usr/lib/sysctl.d/50-yama.conf")


def test_same_basename_in_etc_masks_vendor_file(root):
    root.write("/usr/lib/sysctl.d/50-yama.conf", "kernel.yama.ptrace_scope = 0\n")
    root.write("/etc/sysctl.d/50-yama.conf", "kernel.yama.ptrace_scope = 2\n")
    root.write("/run/sysctl.d/50-yama.conf", "kernel.yama.ptrace_scope = 3\n")
    res = _sysctl.resolve(KEY, str(root))
    assert (res.value, res.source) == ("2", "/etc/sysctl.d/50-yama.conf")
    masked = dict((m.path, m.masked_by) for m in res.masked)
    assert masked == {"/run/sysctl.d/50-yama.conf": "/etc/sysctl.d/50-yama.conf",
                      "/usr/lib/sysctl.d/50-yama.conf": "/etc/sysctl.d/50-yama.conf"}
    # /run beats /usr/lib when /etc has no such file.
    os.unlink(root / "etc/sysctl.d/50-yama.conf")
    assert winner(root) == ("3", "/run/sysctl.d/50-yama.conf")


def test_dev_null_symlink_masks_vendor_file(root):
    root.write("/usr/lib/sysctl.d/10-default-yama-scope.conf", "kernel.yama.ptrace_scope = 0\n")
    root.write("/etc/sysctl.d/10-default-yama-scope.conf", link="/dev/null")
    res = _sysctl.resolve(KEY, str(root))
    assert res.value is None
    assert {m.path for m in res.masked} == {
        "/usr/lib/sysctl.d/10-default-yama-scope.conf", "/etc/sysctl.d/10-default-yama-scope.conf"}
    assert winner(root, "sysctl_system") == (None, None)


def test_sysctl_conf_read_through_symlink_at_boot_but_last_by_sysctl_system(root):
    root.write("/etc/sysctl.conf", "kernel.yama.ptrace_scope=1\n")
    root.write("/etc/sysctl.d/99-sysctl.conf", link="../sysctl.conf")
    root.write("/etc/sysctl.d/99-zz-debug.conf", "kernel.yama.ptrace_scope=0\n")
    # systemd-sysctl: 99-sysctl.conf < 99-zz-debug.conf, the later file wins.
    assert winner(root) == ("0", "/etc/sysctl.d/99-zz-debug.conf")
    # sysctl --system: /etc/sysctl.conf is applied again, last.
    assert winner(root, "sysctl_system") == ("1", "/etc/sysctl.conf")


def test_sysctl_conf_without_symlink_is_ignored_by_systemd(root):
    root.write("/etc/sysctl.conf", "kernel.yama.ptrace_scope=2\n")
    assert winner(root) == (None, None)
    assert winner(root, "sysctl_system") == ("2", "/etc/sysctl.conf")


def test_absolute_symlink_resolved_inside_root(root):
    root.write("/opt/yama.conf", "kernel.yama.ptrace_scope = 2\n")
    root.write("/etc/sysctl.d/60-yama.conf", link="/opt/yama.conf")
    assert winner(root) == ("2", "/etc/sysctl.d/60-yama.conf")


def test_only_conf_files_and_not_directories(root):
    root.write("/etc/sysctl.d/70-yama.conf.dpkg-old", "kernel.yama.ptrace_scope = 3\n")
    root.write("/etc/sysctl.d/README", "kernel.yama.ptrace_scope = 3\n")
    root.mkdir("/etc/sysctl.d/80-dir.conf")
    root.write("/etc/sysctl.d/60-yama.conf", "kernel.yama.ptrace_scope = 1\n")
    assert winner(root) == ("1", "/etc/sysctl.d/60-yama.conf")


def test_last_assignment_in_one_file_wins_and_line_is_reported(root):
    root.write("/etc/sysctl.d/60-yama.conf", "kernel.yama.ptrace_scope = 1\n# comment\nkernel.yama.ptrace_scope=2\n")
    res = _sysctl.resolve(KEY, str(root))
    assert (res.value, res.winner.line) == ("2", 3)
    assert [a.value for a in res.assignments] == ["1", "2"]


@pytest.mark.parametrize("line, value", [
    ("kernel.yama.ptrace_scope = 2", "2"),
    ("  kernel.yama.ptrace_scope=2  ", "2"),
    ("kernel/yama/ptrace_scope = 2", "2"),
    ("-kernel.yama.ptrace_scope = 2", "2"),
    ("- kernel.yama.ptrace_scope = 2", "2"),
    ("kernel.yama.* = 2", "2"),
    ("kernel.yama.ptrace_scope =", ""),
])
def test_line_syntax(root, line, value):
    root.write("/etc/sysctl.d/60-yama.conf", line + "\n")
    assert winner(root)[0] == value


@pytest.mark.parametrize("line", ["# kernel.yama.ptrace_scope = 2", "; kernel.yama.ptrace_scope = 2",
                                  "kernel.yama.ptrace_scope", "kernel.yama.ptrace_scopes = 2",
                                  "kernel.yama.ptrace = 2"])
def test_lines_that_do_not_set_the_key(root, line):
    root.write("/etc/sysctl.d/60-yama.conf", line + "\n")
    assert winner(root) == (None, None)


def test_ignore_failure_flag_and_malformed_lines():
    assignments, malformed = _sysctl.parse_text("-kernel.yama.ptrace_scope = 1\nnonsense\n = 3\n")
    assert [(a.key, a.ignore_failure) for a in assignments] == [("kernel/yama/ptrace_scope", True)]
    assert malformed == [2, 3]


@pytest.mark.parametrize("key, path", [
    ("kernel.yama.ptrace_scope", "kernel/yama/ptrace_scope"),
    ("kernel/yama/ptrace_scope", "kernel/yama/ptrace_scope"),
    ("net.ipv4.conf.eth0/1.rp_filter", "net/ipv4/conf/eth0.1/rp_filter"),
    ("net/ipv4/conf/eth0.1/rp_filter", "net/ipv4/conf/eth0.1/rp_filter"),
])
def test_normalize_key(key, path):
    assert _sysctl.normalize_key(key) == path


def test_merged_usr_directory_is_read_once(root):
    root.write("/usr/lib/sysctl.d/50-yama.conf", "kernel.yama.ptrace_scope = 1\n")
    os.symlink("usr/lib", root / "lib")
    res = _sysctl.resolve(KEY, str(root))
    assert res.source == "/usr/lib/sysctl.d/50-yama.conf"
    assert res.masked == []


def test_cache_is_shared_between_appliers(root):
    root.write("/etc/sysctl.d/60-yama.conf", "kernel.yama.ptrace_scope = 1\n")
    cache = {}
    _sysctl.resolve(KEY, str(root), "systemd_sysctl", cache)
    assert set(cache) == {"/etc/sysctl.d/60-yama.conf", ("files", "systemd_sysctl")}
    cache["/etc/sysctl.d/60-yama.conf"] = []
    assert _sysctl.resolve(KEY, str(root), "sysctl_system", cache).value is None


def test_cache_walks_the_directories_once_for_every_key(root):
    root.write("/etc/sysctl.d/60-yama.conf", "kernel.yama.ptrace_scope = 1\n")
    cache = {}
    _sysctl.resolve(KEY, str(root), "systemd_sysctl", cache)
    # a file that appears later is not seen through the same cache (one snapshot) ...
    root.write("/etc/sysctl.d/70-perf.conf", "kernel.perf_event_paranoid = 1\n")
    assert _sysctl.resolve("kernel.perf_event_paranoid", str(root), "systemd_sysctl", cache).value is None
    # ... but a fresh resolution, and one with pending files, walk the directories again
    assert _sysctl.resolve("kernel.perf_event_paranoid", str(root)).value == "1"
    pending = {"/etc/sysctl.d/80-x.conf": "kernel.perf_event_paranoid = 2\n"}
    assert _sysctl.resolve("kernel.perf_event_paranoid", str(root), "systemd_sysctl", cache, pending).value == "2"


def test_runtime_and_boot_applier(root):
    assert _sysctl.read_runtime(KEY, str(root)) is None
    root.write("/proc/sys/kernel/yama/ptrace_scope", "1\n")
    assert _sysctl.read_runtime(KEY, str(root)) == "1"
    assert _sysctl.boot_applier(str(root)) == "sysctl_system"
    root.write("/usr/lib/systemd/systemd-sysctl", "")
    assert _sysctl.boot_applier(str(root)) == "systemd_sysctl"


def test_unknown_applier():
    with pytest.raises(_sysctl.SysctlError):
        _sysctl.list_files("/", "sysvinit")


# --- found by mutation testing (scripts/mutation, docs/mutation.md): each pins a decision no test fixed ---

@pytest.mark.parametrize("key, path", [
    ("my-key/a.b", "my-key/a.b"),        # '-' (and ' ', '+') sort before '.' but are no separator
    ("my-key.a/b", "my-key/a.b"),
    (" kernel.yama.ptrace_scope ", "kernel/yama/ptrace_scope"),
])
def test_normalize_key_only_dot_or_slash_is_the_first_separator(key, path):
    assert _sysctl.normalize_key(key) == path


def test_comment_lines_are_neither_assignments_nor_malformed():
    assignments, malformed = _sysctl.parse_text("# a comment\n; another = 3\n\n  # indented\nkernel.x = 1\n")
    assert [(a.key, a.value, a.line) for a in assignments] == [("kernel/x", "1", 5)]
    assert malformed == []


def test_names_that_sort_first_do_not_stop_the_directory_walk(root):
    # Each skipped entry sorts before the file that sets the key: skipping must not end the listing.
    root.write("/etc/sysctl.d/00-notes.txt", "kernel.yama.ptrace_scope = 3\n")
    root.mkdir("/etc/sysctl.d/10-dir.conf")
    root.write("/usr/lib/sysctl.d/20-vendor.conf", "kernel.yama.ptrace_scope = 0\n")
    root.write("/etc/sysctl.d/20-vendor.conf", "vm.swappiness = 1\n")  # masks the vendor file
    root.write("/usr/lib/sysctl.d/30-yama.conf", "kernel.yama.ptrace_scope = 2\n")
    assert winner(root) == ("2", "/usr/lib/sysctl.d/30-yama.conf")
    files, masked = _sysctl.list_files(str(root))
    assert [f.path for f in files] == ["/etc/sysctl.d/20-vendor.conf", "/usr/lib/sysctl.d/30-yama.conf"]
    assert [(m.path, m.masked_by) for m in masked] == [
        ("/usr/lib/sysctl.d/20-vendor.conf", "/etc/sysctl.d/20-vendor.conf")]


def test_a_directory_read_twice_does_not_stop_the_walk(root):
    # /run/sysctl.d is /etc/sysctl.d (a symlink): read once, and the directories after it still count.
    root.write("/etc/sysctl.d/10-a.conf", "kernel.yama.ptrace_scope = 1\n")
    root.mkdir("/run")
    os.symlink("../etc/sysctl.d", root / "run/sysctl.d")
    root.write("/usr/lib/sysctl.d/50-yama.conf", "kernel.yama.ptrace_scope = 2\n")
    assert winner(root) == ("2", "/usr/lib/sysctl.d/50-yama.conf")
    assert _sysctl.list_files(str(root))[1] == []


@pytest.mark.parametrize("target", ["/boot/yama.conf", "/dev/nul", "../../srv/yama.conf"])
def test_symlinks_are_followed_whatever_their_target_sorts_as(root, target):
    # Absolute targets sorting before /dev/null, and relative ones (resolved from the link's directory).
    real = os.path.normpath(os.path.join("/etc/sysctl.d", target))
    root.write(real, "kernel.yama.ptrace_scope = 2\n")
    root.write("/etc/sysctl.d/60-yama.conf", link=target)
    assert winner(root) == ("2", "/etc/sysctl.d/60-yama.conf")
    assert _sysctl.list_files(str(root))[1] == []


def test_symlink_loop_is_unreadable_not_a_dev_null_mask(root):
    root.write("/etc/sysctl.d/60-a.conf", link="/etc/sysctl.d/61-b.conf")
    root.write("/etc/sysctl.d/61-b.conf", link="/etc/sysctl.d/60-a.conf")
    files, masked = _sysctl.list_files(str(root))
    assert [f.path for f in files] == ["/etc/sysctl.d/60-a.conf", "/etc/sysctl.d/61-b.conf"]
    assert masked == []
    assert winner(root) == (None, None)


def test_sysctl_system_reads_sysctl_conf_only_when_it_exists(root):
    root.write("/etc/sysctl.d/60-yama.conf", "kernel.yama.ptrace_scope = 1\n")
    assert [f.path for f in _sysctl.list_files(str(root), "sysctl_system")[0]] == ["/etc/sysctl.d/60-yama.conf"]
    # The applier's name may come from anywhere (module arguments): compared by value.
    applier = "".join(("sysctl", "_system"))
    root.write("/etc/sysctl.conf", "kernel.yama.ptrace_scope = 2\n")
    assert [f.path for f in _sysctl.list_files(str(root), applier)[0]] == [
        "/etc/sysctl.d/60-yama.conf", "/etc/sysctl.conf"]


def test_pending_files_change_only_their_own_directory(root):
    # The planning view of a writer: a file about to be written in /etc/sysctl.d, one about to be removed.
    root.write("/etc/sysctl.d/10-old.conf", "kernel.yama.ptrace_scope = 0\n")
    root.write("/usr/lib/sysctl.d/10-old.conf", "kernel.yama.ptrace_scope = 3\n")
    root.write("/run/sysctl.d/05-run.conf", "vm.swappiness = 1\n")
    pending = {"/etc/sysctl.d/10-old.conf": None, "/etc/sysctl.d/99-new.conf": "kernel.yama.ptrace_scope = 1\n"}
    files, masked = _sysctl.list_files(str(root), pending=pending)
    assert [f.path for f in files] == ["/run/sysctl.d/05-run.conf", "/usr/lib/sysctl.d/10-old.conf",
                                       "/etc/sysctl.d/99-new.conf"]
    assert masked == []
    res = _sysctl.resolve(KEY, str(root), pending=pending)
    assert [(a.path, a.value) for a in res.assignments] == [("/usr/lib/sysctl.d/10-old.conf", "3"),
                                                            ("/etc/sysctl.d/99-new.conf", "1")]
    # Pending files in a directory that sorts after /etc/sysctl.d change that directory only.
    files, masked = _sysctl.list_files(str(root), pending={"/run/sysctl.d/50-run.conf": "vm.swappiness = 2\n",
                                                           "/run/sysctl.d/05-run.conf": None,
                                                           "/run/sysctl.d/10-old.conf": None})
    assert [f.path for f in files] == ["/etc/sysctl.d/10-old.conf", "/run/sysctl.d/50-run.conf"]
    assert [(m.path, m.masked_by) for m in masked] == [("/usr/lib/sysctl.d/10-old.conf", "/etc/sysctl.d/10-old.conf")]


def test_unreadable_file_is_reported_with_the_reason(root, monkeypatch):
    root.write("/etc/sysctl.d/60-yama.conf", "kernel.yama.ptrace_scope = 1\n")

    real_open = os.open

    def refuse(path, flags, *args):
        if str(path).endswith("60-yama.conf"):
            raise PermissionError(13, "Permission denied", path)
        return real_open(path, flags, *args)

    # Running as root, a file mode cannot refuse the read: refuse it at the open the resolver makes.
    monkeypatch.setattr(_sysctl.os, "open", refuse)
    res = _sysctl.resolve(KEY, str(root))
    assert res.value is None
    assert res.as_dict()["unreadable"] == [{"path": "/etc/sysctl.d/60-yama.conf", "masked_by": None,
                                            "dev_null": False, "unreadable": "Permission denied"}]
