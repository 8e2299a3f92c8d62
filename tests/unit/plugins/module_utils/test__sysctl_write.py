# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""The sysctl writer: the winning file name, rendering, managed files."""

from __future__ import annotations

import pytest

from ansible_collections.debugready.ptrace.plugins.module_utils import _sysctl, _sysctl_write


KEY = "kernel.yama.ptrace_scope"


def test_choose_file_sorts_after_every_setter(tree):
    root = str(tree)
    assert _sysctl_write.choose_file(KEY, root) == "/etc/sysctl.d/99-debugready-ptrace-scope.conf"
    tree.write("/usr/lib/sysctl.d/99-zz-vendor.conf", "kernel.yama.ptrace_scope = 0\n")
    assert _sysctl_write.choose_file(KEY, root) == "/etc/sysctl.d/zz-debugready-ptrace-scope.conf"
    tree.write("/etc/sysctl.d/zzz-late.conf", "kernel.yama.ptrace_scope = 0\n")
    chosen = _sysctl_write.choose_file(KEY, root)
    assert chosen == "/etc/sysctl.d/zzz-late_debugready-ptrace-scope.conf"
    pending = {chosen: _sysctl_write.render(KEY, 2)}
    for applier in _sysctl.APPLIERS:
        assert _sysctl_write.boot_state(KEY, root, pending)[applier] == {"value": "2", "source": chosen}
    # Files not setting the key do not matter; /etc/sysctl.conf is reported, not outsorted.
    tree.write("/etc/sysctl.d/zzzz-other.conf", "vm.swappiness = 1\n")
    tree.write("/etc/sysctl.conf", "kernel.yama.ptrace_scope = 0\n")
    assert _sysctl_write.choose_file(KEY, root) == chosen
    state = _sysctl_write.boot_state(KEY, root, pending)
    assert state["sysctl_system"] == {"value": "0", "source": "/etc/sysctl.conf"}


def test_pending_removal_and_managed_files(tree):
    root = str(tree)
    old = "/etc/sysctl.d/99-debugready-ptrace-scope.conf"
    tree.write(old, _sysctl_write.render(KEY, 1))
    tree.write("/etc/sysctl.d/10-other.conf", "# Managed by someone else\nkernel.yama.ptrace_scope = 2\n")
    assert _sysctl_write.managed_files(root) == [old]
    assert _sysctl_write.choose_file(KEY, root, ignore=[old]) == old
    assert _sysctl_write.boot_state(KEY, root, {old: None})["systemd_sysctl"]["source"] == "/etc/sysctl.d/10-other.conf"


@pytest.mark.parametrize("path", ["/tmp/x.conf", "/etc/sysctl.d/x", "/etc/sysctl.d/sub/x.conf", "etc/sysctl.d/x.conf",
                                  "/etc/sysctl.d/.x.conf", "/etc/sysctl.d/x y.conf"])
def test_bad_files(path):
    with pytest.raises(_sysctl_write.SysctlInputError):
        _sysctl_write.check_file(path)


def test_render_is_parsed_back():
    assignments = _sysctl.parse_text(_sysctl_write.render(KEY, 1))[0]
    assert [(a.key, a.value) for a in assignments] == [("kernel/yama/ptrace_scope", "1")]
