# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""sudoers_grant against the real sudo 1.9.13p3 and visudo: what sudo then allows is the verdict.

Each test runs the module in-process as root on the container's /etc (restored afterwards) and asserts
`sudo -n -l -U alice CMD` (exit 0: allowed) and `visudo -c` after each step.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.testing import patch_module_args

from ansible_collections.debugready.ptrace.plugins.module_utils import _sudoers_write
from ansible_collections.debugready.ptrace.plugins.modules import sudoers_grant

PATH = "/etc/sudoers.d/debug-grant"
GRANT = {"name": "debug-grant", "principals": ["alice"], "commands": ["/usr/bin/id"], "nopasswd": True}
WARNED = []


def sh(*argv, **kwargs):
    return subprocess.run(list(argv), capture_output=True, text=True, check=False, **kwargs)


def allowed(command, user="alice"):
    return sh("sudo", "-n", "-l", "-U", user, *command.split()).returncode == 0


def visudo_ok():
    return sh("visudo", "-c").returncode == 0


def run_module(capsys, args):
    WARNED[:] = []
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            sudoers_grant.main()
    result = json.loads(capsys.readouterr().out)
    result["warned"] = list(WARNED)
    return result


@pytest.fixture(autouse=True)
def record_warnings(monkeypatch):
    """Warnings per run: how ansible-core returns them depends on what else the process imported."""
    warn = AnsibleModule.warn

    def record(module, warning, *args, **kwargs):
        WARNED.append(warning)
        return warn(module, warning, *args, **kwargs)
    monkeypatch.setattr(AnsibleModule, "warn", record)


def warnings(result):
    return result["warned"]


def write(path, data, mode=0o440, uid=0, gid=0):
    with open(path, "wb") as handle:
        handle.write(data if isinstance(data, bytes) else data.encode())
    os.chown(path, uid, gid)
    os.chmod(path, mode)


@pytest.fixture(scope="module")
def alice():
    if sh("id", "alice").returncode != 0:
        assert sh("useradd", "-m", "alice").returncode == 0
    return "alice"


@pytest.fixture
def etc(alice, tmp_path):
    """The container's sudoers, restored after the test; starts valid and without our grant."""
    saved = str(tmp_path / "saved")
    shutil.copytree("/etc/sudoers.d", saved + "/sudoers.d", symlinks=True)
    shutil.copy2("/etc/sudoers", saved + "/sudoers")
    created = []
    assert visudo_ok() and not allowed("/usr/bin/id")
    yield created
    for path in created:
        if os.path.lexists(path):
            os.unlink(path)
    shutil.rmtree("/etc/sudoers.d")
    shutil.copytree(saved + "/sudoers.d", "/etc/sudoers.d", symlinks=True)
    os.chmod("/etc/sudoers.d", 0o755)
    os.chown("/etc/sudoers.d", 0, 0)
    shutil.copy2(saved + "/sudoers", "/etc/sudoers")
    assert visudo_ok()


def break_the_tree():
    write("/etc/sudoers.d/broken", "alice ALL=(root) NOPASSWD /usr/bin/whoami\n")  # syntax error
    write("/etc/sudoers.d/latin1", b"# caf\xe9\nalice ALL=(root) NOPASSWD: /usr/bin/true\n", mode=0o640)


def test_removal_with_a_broken_sibling_0640_files_and_bytes_that_are_not_utf8(capsys, etc):
    applied = run_module(capsys, GRANT)
    assert applied["changed"] and allowed("/usr/bin/id") and visudo_ok()
    break_the_tree()
    assert sh("visudo", "-c").returncode == 1 and allowed("/usr/bin/id")  # sudo still applies our grant
    removed = run_module(capsys, {"name": "debug-grant", "state": "absent"})
    assert "failed" not in removed, removed["msg"]
    assert removed["changed"] and not os.path.lexists(PATH) and not allowed("/usr/bin/id")
    assert removed["live_check"]["ok"] is False and "syntax error" in removed["live_check"]["stderr"]
    assert sh("visudo", "-c").returncode == 1  # the siblings' doing, not ours
    os.unlink("/etc/sudoers.d/broken")
    os.unlink("/etc/sudoers.d/latin1")
    assert visudo_ok()


def test_present_on_a_broken_tree_says_where_the_fault_is(capsys, etc):
    break_the_tree()
    refused = run_module(capsys, GRANT)
    assert refused["failed"] and "even without %s" % PATH in refused["msg"] and "syntax error" in refused["stderr"]
    assert not os.path.lexists(PATH) and not allowed("/usr/bin/id")


def test_a_rollback_never_puts_a_grant_back(capsys, etc):
    # A 0640 sibling: sudo accepts it, `visudo -c` fails on it, the mirror (modes normalised) passes.
    assert run_module(capsys, dict(GRANT, not_after="8h"))["changed"] and allowed("/usr/bin/id")
    write("/etc/sudoers.d/zz-local", "alice ALL=(root) NOPASSWD: /usr/bin/true\n", mode=0o640)
    assert not visudo_ok() and allowed("/usr/bin/true")
    # The live tree fails after the removal: the removal stays.
    removed = run_module(capsys, {"name": "debug-grant", "state": "absent"})
    assert "failed" not in removed, removed["msg"]
    assert removed["changed"] and not os.path.lexists(PATH) and not allowed("/usr/bin/id") and not visudo_ok()
    assert removed["live_check"]["ok"] is False and "bad permissions" in removed["live_check"]["stderr"]
    # A shorter window on a tree that already failed: written, not rolled back to the longer one.
    os.unlink("/etc/sudoers.d/zz-local")
    opened = run_module(capsys, dict(GRANT, not_after="8h"))
    write("/etc/sudoers.d/zz-local", "alice ALL=(root) NOPASSWD: /usr/bin/true\n", mode=0o640)
    shrunk = run_module(capsys, dict(GRANT, not_after="1h"))
    assert "failed" not in shrunk, shrunk["msg"]
    assert shrunk["changed"] and shrunk["not_after"] < opened["not_after"] and shrunk["live_check"]["ok"] is False
    listing = sh("sudo", "-l", "-U", "alice").stdout
    assert "NOTAFTER=%s" % shrunk["rule"].split("NOTAFTER=")[1].split()[0] in listing
    assert "NOTAFTER=%s" % opened["rule"].split("NOTAFTER=")[1].split()[0] not in listing


@pytest.mark.parametrize("mode, owner", [(0o777, "root"), (0o1777, "root"), (0o775, "alice-group"),
                                         (0o755, "alice")])
def test_a_dropin_directory_sudo_skips_fails_instead_of_changed(capsys, etc, mode, owner):
    os.chmod("/etc/sudoers.d", mode)
    uid = int(sh("id", "-u", "alice").stdout) if owner == "alice" else 0
    gid = int(sh("id", "-g", "alice").stdout) if owner == "alice-group" else 0
    os.chown("/etc/sudoers.d", uid, gid)
    # visudo -c passes (a warning only) while sudo ignores the whole directory: measured here.
    write("/etc/sudoers.d/probe", "alice ALL=(root) NOPASSWD: /usr/bin/true\n")
    assert visudo_ok() and not allowed("/usr/bin/true")
    result = run_module(capsys, GRANT)
    assert result["failed"] and "sudo skips /etc/sudoers.d as a whole" in result["msg"]
    assert not os.path.lexists(PATH) and not allowed("/usr/bin/id")


def test_a_symlink_to_a_shell_is_refused_because_sudo_runs_the_shell(capsys, etc):
    link = "/usr/local/bin/debug-tool"
    etc.append(link)
    os.symlink("/bin/sh", link)
    args = dict(GRANT, commands=[link])
    refused = run_module(capsys, args)
    assert refused["failed"] and "%s is a symlink to /usr/bin/dash" % link in refused["msg"]
    assert not os.path.lexists(PATH) and not allowed(link) and visudo_ok()
    # What the refusal prevents, measured: the rule names the link, sudo runs the shell as root.
    granted = run_module(capsys, dict(args, allow_unsafe_commands=True))
    assert granted["changed"] and any(w.startswith("allow_unsafe_commands") for w in warnings(granted))
    assert allowed(link) and not allowed("/bin/sh") and visudo_ok()
    shell = sh("su", "alice", "-c", "sudo -n %s -c 'id -u'" % link)
    assert (shell.returncode, shell.stdout) == (0, "0\n")


def test_a_command_a_user_can_replace_is_refused(capsys, etc):
    tool = "/usr/local/bin/debug-tool"
    etc.append(tool)
    shutil.copy2("/usr/bin/id", tool)
    os.chmod(tool, 0o757)
    refused = run_module(capsys, dict(GRANT, commands=[tool]))
    assert refused["failed"] and "%s is world-writable" % tool in refused["msg"]
    assert not os.path.lexists(PATH) and not allowed(tool) and visudo_ok()
    os.chmod(tool, 0o755)
    os.chmod("/usr/local/bin", 0o777)
    try:
        refused = run_module(capsys, dict(GRANT, commands=[tool]))
        assert refused["failed"] and "/usr/local/bin is world-writable" in refused["msg"]
    finally:
        os.chmod("/usr/local/bin", 0o755)
    assert run_module(capsys, dict(GRANT, commands=[tool]))["changed"] and allowed(tool) and visudo_ok()


def test_merged_usr_parent_symlink_is_the_same_program(capsys, etc):
    assert os.path.islink("/bin")  # bookworm: /bin -> usr/bin
    result = run_module(capsys, dict(GRANT, commands=["/bin/id"]))
    assert result["changed"] and allowed("/bin/id") and allowed("/usr/bin/id") and visudo_ok()


def test_a_file_is_ours_only_by_its_exact_first_line(capsys, etc):
    foreign = "alice ALL=(root) NOPASSWD: /usr/bin/id\n" + _sudoers_write.MARKER + "\n"
    write(PATH, foreign)
    for args in (GRANT, {"name": "debug-grant", "state": "absent"}):
        result = run_module(capsys, args)
        assert result["failed"] and "not written by this module" in result["msg"]
    with open(PATH) as handle:
        assert handle.read() == foreign
    assert allowed("/usr/bin/id") and visudo_ok()


def test_owner_and_mode_are_fixed(capsys, etc):
    run_module(capsys, GRANT)
    os.chmod(PATH, 0o644)
    assert not visudo_ok() and allowed("/usr/bin/id")
    fixed = run_module(capsys, GRANT)
    assert fixed["changed"] and fixed["reasons"] == ["mode is 0644, wanted 0440"] and visudo_ok()
    st = os.stat(PATH)
    assert (st.st_mode & 0o7777, st.st_uid, st.st_gid) == (0o440, 0, 0)


@pytest.mark.parametrize("line", [
    "@includedir /etc/sudoers.d", "#includedir /etc/sudoers.d", "@includedir /etc/sudoers.d/",
    '@includedir "/etc/sudoers.d/"', "\t@includedir\t/etc/sudoers.d", "  #includedir /etc/sudoers.d",
    "# includedir /etc/sudoers.d", "@includedir sudoers.d", "@includedir /etc/sudoers.d # comment",
    "@includedir /etc/sudoers.d#x", "@includedir /etc/sudoers\\.d", "@includedir /etc/sudoers.%d",
    "@includedir /etc/sudoers.d/README/..", "@includedir /etc/./sudoers.d", "@include /etc/sudoers.local",
])
def test_has_includedir_agrees_with_sudo(etc, line):
    etc.append("/etc/sudoers.local")
    write("/etc/sudoers.local", "@includedir /etc/sudoers.d\n")
    with open("/etc/sudoers") as handle:
        kept = [text for text in handle.read().splitlines() if "includedir" not in text]
    write("/etc/sudoers", "\n".join(kept + [line]) + "\n")
    write("/etc/sudoers.d/probe", "alice ALL=(root) NOPASSWD: /usr/bin/true\n")
    assert _sudoers_write.has_includedir() is allowed("/usr/bin/true")
