# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""kernel_setting run in-process on a fixture host (its ROOT points at the tree), as test_ptrace_scope does for Yama:
the writer is the same, so these tests cover what differs per setting (range, negative values, names, markers, the
irreversible value of unprivileged_bpf_disabled) and that the settings never touch each other's files."""

from __future__ import annotations

import json
import os

import pytest

from compat import as_target, patch_module_args
from snapshot_fixtures import make_host

from ansible_collections.debugready.ptrace.plugins.module_utils import _sysctl_write
from ansible_collections.debugready.ptrace.plugins.modules import kernel_setting

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the writer sets root:root on the files it writes")

PARANOID = "kernel.perf_event_paranoid"
BPF = "kernel.unprivileged_bpf_disabled"
PARANOID_FILE = "/etc/sysctl.d/99-debugready-perf-event-paranoid.conf"
YAMA_FILE = "/etc/sysctl.d/99-debugready-ptrace-scope.conf"


@pytest.fixture
def host(tree, monkeypatch):
    make_host(tree)
    tree.write("/proc/sys/kernel/perf_event_paranoid", "3\n")
    tree.write("/proc/sys/kernel/kptr_restrict", "0\n")
    tree.write("/proc/sys/kernel/unprivileged_bpf_disabled", "2\n")
    tree.write("/usr/lib/sysctl.d/50-bpf.conf", "kernel.unprivileged_bpf_disabled = 2\n")
    tree.mkdir("/etc/sysctl.d")
    monkeypatch.setattr(kernel_setting, "ROOT", str(tree))
    return tree


def run(capsys, args, check=False, diff=False):
    args = dict(args, _ansible_check_mode=check, _ansible_diff=diff)
    with patch_module_args(args), as_target():
        with pytest.raises(SystemExit):
            kernel_setting.main()
    return json.loads(capsys.readouterr().out)


def read(tree, path):
    with open(tree / path.lstrip("/"), "rb") as handle:
        return handle.read().decode()


def test_paranoid_check_apply_again(host, capsys):
    check = run(capsys, {"key": PARANOID, "value": 2}, check=True, diff=True)
    assert check["changed"] is True and check["key"] == PARANOID and check["path"] == PARANOID_FILE
    assert check["before"]["runtime"] == 3 and check["after"]["runtime"] == 2
    assert read(host, "/proc/sys/kernel/perf_event_paranoid") == "3\n"
    assert not os.path.exists(str(host / PARANOID_FILE.lstrip("/")))
    assert "kernel.perf_event_paranoid = 2" in check["diff"]["after"]
    applied = run(capsys, {"key": PARANOID, "value": 2})
    assert applied["changed"] is True and read(host, "/proc/sys/kernel/perf_event_paranoid").strip() == "2"
    text = read(host, PARANOID_FILE)
    assert text.splitlines()[0] == _sysctl_write.KERNEL_SETTING_MARKER % PARANOID
    assert applied["after"]["boot"]["systemd_sysctl"] == {"value": "2", "source": PARANOID_FILE}
    assert run(capsys, {"key": PARANOID, "value": 2})["changed"] is False


@pytest.mark.parametrize("value", [-1, "-1", " -1 "])
def test_negative_values(host, capsys, value):
    result = run(capsys, {"key": PARANOID, "value": value})
    assert result["target"] == -1 and read(host, "/proc/sys/kernel/perf_event_paranoid").strip() == "-1"
    assert "kernel.perf_event_paranoid = -1" in read(host, PARANOID_FILE)


@pytest.mark.parametrize("key, value", [(PARANOID, 4), (PARANOID, -2), (PARANOID, True), (PARANOID, "2; id"),
                                        ("kernel.kptr_restrict", 3), (BPF, -1), (PARANOID, "1e1")])
def test_out_of_range_changes_nothing(host, capsys, key, value):
    result = run(capsys, {"key": key, "value": value})
    assert result["failed"] is True and "must be one of" in result["msg"]
    assert os.listdir(str(host / "etc/sysctl.d")) == []


def test_yama_is_not_a_key_here(host, capsys):
    result = run(capsys, {"key": "kernel.yama.ptrace_scope", "value": 1})
    assert result["failed"] is True and "value of key must be one of" in result["msg"]


def test_policy_range_clamps(host, capsys):
    result = run(capsys, {"key": PARANOID, "maximum": 2})  # 3 is stricter than allowed: lowered to 2
    assert result["target"] == 2
    assert run(capsys, {"key": PARANOID, "minimum": 1}, check=True)["changed"] is False  # 2 is within
    raised = run(capsys, {"key": PARANOID, "minimum": 3}, check=True)
    assert raised["changed"] is True and raised["target"] == 3


def test_bpf_1_needs_confirmation_and_then_locks(host, capsys):
    refused = run(capsys, {"key": BPF, "value": 1})
    assert refused["failed"] is True and "confirm_irreversible" in refused["msg"]
    assert read(host, "/proc/sys/kernel/unprivileged_bpf_disabled") == "2\n"
    assert run(capsys, {"key": BPF, "value": 1, "confirm_irreversible": True})["changed"] is True
    later = run(capsys, {"key": BPF, "value": 2})
    assert later["changed"] is True and later["reboot_required"] is True
    assert read(host, "/proc/sys/kernel/unprivileged_bpf_disabled").strip() == "1"
    assert any("locked at 1 until reboot" in str(w) for w in later.get("warnings", []))
    strict = run(capsys, {"key": BPF, "value": 0, "strict_runtime": True})
    assert strict["failed"] is True and "strict_runtime" in strict["msg"]


def test_settings_keep_to_their_own_files(host, capsys):
    host.write(YAMA_FILE, _sysctl_write.render(_sysctl_write.YAMA, 1))
    run(capsys, {"key": PARANOID, "value": 2})
    run(capsys, {"key": "kernel.kptr_restrict", "value": 1})
    files = sorted(os.listdir(str(host / "etc/sysctl.d")))
    assert files == ["99-debugready-kptr-restrict.conf", "99-debugready-perf-event-paranoid.conf",
                     "99-debugready-ptrace-scope.conf"]
    removed = run(capsys, {"key": PARANOID, "state": "absent", "value": 3})
    assert removed["changed"] is True and read(host, "/proc/sys/kernel/perf_event_paranoid").strip() == "3"
    assert sorted(os.listdir(str(host / "etc/sysctl.d"))) == ["99-debugready-kptr-restrict.conf",
                                                              "99-debugready-ptrace-scope.conf"]


def test_missing_setting_is_skipped(host, capsys):
    os.remove(str(host / "proc/sys/kernel/kptr_restrict"))
    result = run(capsys, {"key": "kernel.kptr_restrict", "value": 1})
    assert result["skipped"] is True and "no kernel.kptr_restrict" in result["skip_reason"]
    failed = run(capsys, {"key": "kernel.kptr_restrict", "value": 1, "on_unsupported": "fail"})
    assert failed["failed"] is True


def test_later_vendor_file_is_beaten(host, capsys):
    host.write("/etc/sysctl.d/99-zz-perf.conf", "kernel.perf_event_paranoid = 1\n")
    result = run(capsys, {"key": PARANOID, "value": 2})
    assert result["path"] == "/etc/sysctl.d/zz-debugready-perf-event-paranoid.conf"
    assert result["after"]["boot"]["sysctl_system"]["value"] == "2"
