# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""sudoers_grant run in-process on a fixture host root.

The writer's functions get the fixture root (modules never expose `root`) and visudo is a
scripted runner; tests/real/test_sudoers_grant_real.py runs the same module with the real
sudo and visudo.
"""

from __future__ import annotations

import datetime
import functools
import json
import os
import re
import stat

import pytest

from ansible.module_utils.basic import AnsibleModule
from compat import patch_module_args

from ansible_collections.debugready.ptrace.plugins.module_utils import _policy, _sudoers_write
from ansible_collections.debugready.ptrace.plugins.modules import sudoers_grant

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="writes root:root 0440 files")
PATH = "/etc/sudoers.d/debug-strace"
READ_HOST = _sudoers_write.read_host  # the policy reads the fixture root itself
WARNED = []


class Visudo(object):
    """Scripted visudo: `mirror` is the rc of `visudo -c -f`, `live` the rcs of successive `visudo -c`."""

    def __init__(self, mirror=0, live=(0,)):
        self.mirror = mirror
        self.live = list(live)
        self.calls = []

    def __call__(self, module, argv):
        self.calls.append(argv)
        if argv[1:3] == ["-c", "-f"]:
            return self.mirror, "", "" if self.mirror == 0 else "/etc/sudoers.d/broken:1:5: syntax error\n"
        assert argv[1:] == ["-c"], argv
        rc = self.live.pop(0) if len(self.live) > 1 else self.live[0]
        return rc, "", "" if rc == 0 else "/etc/sudoers.d/broken:1:5: syntax error\n"


@pytest.fixture
def host(tree, monkeypatch):
    tree.write("/etc/sudoers", "root ALL=(ALL:ALL) ALL\n@includedir /etc/sudoers.d\n", mode=0o440)
    os.chmod(tree.mkdir("/etc/sudoers.d"), 0o755)
    tree.write("/usr/sbin/visudo", "#!/bin/sh\n", mode=0o755)
    tree.write("/usr/bin/strace", "#!/bin/sh\n", mode=0o755)
    for name in ("read_host", "validate_candidate", "install", "remove"):
        monkeypatch.setattr(_sudoers_write, name, functools.partial(getattr(_sudoers_write, name), root=str(tree)))
    tree.visudo = Visudo()
    monkeypatch.setattr(AnsibleModule, "run_command", lambda module, argv, **kw: tree.visudo(module, argv))
    # Warnings are recorded per run: how ansible-core returns them depends on what else the process imported.
    warn = AnsibleModule.warn
    WARNED[:] = []

    def record(module, warning, *args, **kwargs):
        WARNED.append(warning)
        return warn(module, warning, *args, **kwargs)
    monkeypatch.setattr(AnsibleModule, "warn", record)
    return tree


def run_module(capsys, args):
    WARNED[:] = []
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            sudoers_grant.main()
    result = json.loads(capsys.readouterr().out)
    result["warned"] = list(WARNED)
    return result


def warnings(result):
    return result["warned"]


def grant(**over):
    args = {"name": "debug-strace", "principals": ["%debug"], "commands": ["/usr/bin/strace"], "nopasswd": True}
    args.update(over)
    return args


def on_disk(tree, path=PATH):
    st = os.lstat(tree / path)
    with open(tree / path, "rb") as handle:
        return handle.read(), stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid


def _without_end(content):
    return re.sub(r"NOTAFTER=[0-9]{14}Z", "NOTAFTER=...", content)


def _end(content):
    moment = re.search(r"NOTAFTER=([0-9]{14})Z", content).group(1)
    return datetime.datetime.strptime(moment, "%Y%m%d%H%M%S")


def test_check_mode_then_apply_then_idempotent(capsys, host):
    checked = run_module(capsys, dict(grant(not_after="8h"), _ansible_check_mode=True, _ansible_diff=True))
    assert checked["changed"] and checked["reasons"] == [PATH + " does not exist"]
    assert not os.path.lexists(host / PATH) and checked["live_check"] is None
    assert checked["diff"]["before"] == "" and checked["diff"]["after"] == checked["content"]
    assert _sudoers_write.ROOT_EQUIVALENT_WARNING in warnings(checked)
    assert host.visudo.calls[0][1:3] == ["-c", "-f"]  # validated on the mirror in check mode too
    applied = run_module(capsys, grant(not_after="8h"))
    # Check mode predicts the file apply writes; the 8h window starts at each run's own "now" (a second apart at most).
    assert applied["changed"] and _without_end(applied["content"]) == _without_end(checked["content"])
    assert abs(_end(applied["content"]) - _end(checked["content"])) <= datetime.timedelta(seconds=2)
    assert applied["live_check"] == {"ok": True, "rc": 0, "stdout": "", "stderr": ""}
    assert on_disk(host) == (applied["content"].encode(), 0o440, 0, 0)
    again = run_module(capsys, grant(not_after="8h"))
    assert not again["changed"] and again["reasons"] == [] and again["not_after"] == applied["not_after"]


def test_absent_removes_despite_a_broken_tree_and_never_puts_it_back(capsys, host):
    # The rest of the tree fails visudo everywhere, the file is 0640 and not UTF-8, the includedir is gone.
    host.write(PATH, "", mode=0o640)
    with open(host / PATH, "wb") as handle:
        handle.write(_sudoers_write.MARKER.encode() + b"\n# \xff\xfe\n%debug ALL=(root) NOPASSWD: /usr/bin/strace\n")
    host.write("/etc/sudoers.d/broken", "alice ALL=(root) NOPASSWD /usr/bin/id\n", mode=0o440)
    host.write("/etc/sudoers", "root ALL=(ALL:ALL) ALL\n", mode=0o440)
    host.visudo = Visudo(mirror=1, live=(1,))
    result = run_module(capsys, {"name": "debug-strace", "state": "absent"})
    assert "failed" not in result and result["changed"]
    assert result["live_check"]["ok"] is False and result["live_check"]["rc"] == 1
    assert any("stays removed" in w for w in warnings(result))
    assert not os.path.lexists(host / PATH)
    assert [argv[1:] for argv in host.visudo.calls] == [["-c"]]  # nothing validated before the removal
    assert not run_module(capsys, {"name": "debug-strace", "state": "absent"})["changed"]


def test_a_fifo_the_tree_includes_is_never_handed_to_visudo(capsys, host, deadline):
    # Measured with sudo 1.9.13p3: `visudo -c` opens an @include target that is a FIFO and waits forever (sudo itself
    # skips it). Found by tests/real/test_fuzz_modules.py, where ptrace_facts and a removal hung on it.
    host.write(PATH, _sudoers_write.MARKER + "\n%debug ALL=(root) NOPASSWD: /usr/bin/strace\n", mode=0o440)
    host.write("/etc/sudoers", "root ALL=(ALL:ALL) ALL\n@include /etc/sudoers.fifo\n@includedir /etc/sudoers.d\n",
               mode=0o440)
    os.mkfifo(host / "/etc/sudoers.fifo")
    with deadline(10):
        result = run_module(capsys, {"name": "debug-strace", "state": "absent"})
    assert result["changed"] and not os.path.lexists(host / PATH)
    assert result["live_check"]["ok"] is False and result["live_check"]["rc"] is None
    assert "visudo -c was not run: it would wait forever opening /etc/sudoers.fifo" in result["live_check"]["stderr"]
    assert host.visudo.calls == []


def test_absent_without_sudo(capsys, host):
    host.write(PATH, _sudoers_write.MARKER + "\n", mode=0o440)
    os.remove(host / "/usr/sbin/visudo")
    result = run_module(capsys, {"name": "debug-strace", "state": "absent"})
    assert result["changed"] and result["live_check"] is None and not os.path.lexists(host / PATH)


def test_a_failed_update_removes_the_file_instead_of_restoring_the_old_grant(capsys, host):
    first = run_module(capsys, grant(not_after="8h"))
    assert first["changed"]
    host.visudo = Visudo(live=(0, 1))  # passes before the write, fails after it
    result = run_module(capsys, grant(not_after="1h"))
    assert result["failed"] and "the file was removed" in result["msg"]
    assert result["rc"] == 1 and "syntax error" in result["stderr"]
    assert not os.path.lexists(host / PATH)


def test_a_shorter_duration_shrinks_the_window(capsys, host):
    opened = run_module(capsys, grant(not_after="8h"))
    shrunk = run_module(capsys, grant(not_after="1h"))
    assert shrunk["changed"] and shrunk["not_after"] < opened["not_after"]
    assert shrunk["reasons"][0].startswith("the window ends %s on the host" % opened["not_after"])
    end = datetime.datetime.strptime(shrunk["not_after"], "%Y-%m-%dT%H:%M:%SZ")
    assert abs(end + datetime.timedelta(hours=-1) - datetime.datetime.utcnow()) < datetime.timedelta(minutes=1)


def test_an_extended_end_is_put_back(capsys, host):
    opened = run_module(capsys, grant(not_after="8h"))
    content, _mode, _uid, _gid = on_disk(host)
    os.chmod(host / PATH, 0o640)
    with open(host / PATH, "wb") as handle:  # an edit pushing NOTAFTER far away
        handle.write(content.replace(opened["rule"].split("NOTAFTER=")[1][:15].encode(), b"20991231000000Z"))
    result = run_module(capsys, grant(not_after="8h"))
    assert result["changed"] and result["not_after"] <= opened["not_after"].replace(":00Z", ":59Z")
    assert "mode is 0640, wanted 0440" in result["reasons"]
    assert on_disk(host)[1:] == (0o440, 0, 0)


def test_wrong_owner_and_mode_are_fixed(capsys, host):
    run_module(capsys, grant())
    os.chmod(host / PATH, 0o644)
    os.chown(host / PATH, 65534, 65534)
    result = run_module(capsys, grant())
    assert result["changed"] and result["reasons"] == ["owner is 65534:65534, wanted 0:0", "mode is 0644, wanted 0440"]
    assert on_disk(host)[1:] == (0o440, 0, 0)


@pytest.mark.parametrize("args, message", [
    (grant(not_after=""), "not_after is empty"),
    (grant(not_after="99999999999w"), "too far away"),
    (grant(not_after="yesterday"), "neither a duration"),
    (grant(commands=["/usr/bin/gdb"]), "command /usr/bin/gdb is not an executable file"),
    (grant(runas="no-such-user-xyz"), "runas user 'no-such-user-xyz' does not exist"),
    (grant(name="debug.conf"), "silently skips"),
    # Found by tests/real/test_fuzz_modules.py: getpwnam() raised on the NUL, a traceback.
    (grant(runas="ro\x00ot"), "runas 'ro\\x00ot' is not allowed"),
])
def test_bad_input_fails_and_writes_nothing(capsys, host, args, message):
    result = run_module(capsys, args)
    assert result["failed"] and message in result["msg"], result["msg"]
    assert os.listdir(host / "/etc/sudoers.d") == []


def test_a_dropin_directory_sudo_skips_fails_clearly(capsys, host):
    os.chmod(host / "/etc/sudoers.d", 0o777)
    result = run_module(capsys, grant())
    assert result["failed"] and "sudo skips /etc/sudoers.d as a whole: it is world-writable" in result["msg"]
    assert os.listdir(host / "/etc/sudoers.d") == []


def test_no_includedir_fails_clearly(capsys, host):
    host.write("/etc/sudoers", "root ALL=(ALL:ALL) ALL\n  #includedir /etc/sudoers.d\n", mode=0o440)
    result = run_module(capsys, grant())
    assert result["failed"] and "a drop-in there would be ignored" in result["msg"]


def test_a_symlinked_command_needs_allow_unsafe_commands(capsys, host):
    host.write("/bin/sh", "#!/bin/sh\n", mode=0o755)
    host.write("/usr/local/bin/strace", link="../../../bin/sh")
    args = grant(commands=["/usr/local/bin/strace"])
    refused = run_module(capsys, args)
    assert refused["failed"] and "/usr/local/bin/strace is a symlink to /bin/sh" in refused["msg"]
    assert "allow_unsafe_commands" in refused["msg"] and os.listdir(host / "/etc/sudoers.d") == []
    allowed = run_module(capsys, dict(args, allow_unsafe_commands=True))
    assert allowed["changed"] and any(w.startswith("allow_unsafe_commands: granted although") for w in warnings(allowed))


def test_a_foreign_file_is_left_alone(capsys, host):
    foreign = "%debug ALL=(ALL) NOPASSWD: ALL\n" + _sudoers_write.MARKER + "\n"
    host.write(PATH, foreign, mode=0o440)
    for args in (grant(), {"name": "debug-strace", "state": "absent"}):
        result = run_module(capsys, args)
        assert result["failed"] and "not written by this module" in result["msg"]
    assert on_disk(host)[0] == foreign.encode()


def test_missing_command_is_a_warning_in_check_mode(capsys, host):
    result = run_module(capsys, dict(grant(commands=["/usr/bin/gdb"]), _ansible_check_mode=True))
    assert result["changed"] and any(w.startswith("not installed yet: /usr/bin/gdb") for w in warnings(result))


@pytest.mark.parametrize("prepare", [
    lambda t: None,
    lambda t: run_module_quiet(grant(not_after="8h")),
    lambda t: (run_module_quiet(grant(not_after="8h")), os.chmod(t / PATH, 0o644)),
    lambda t: run_module_quiet(grant(not_after="8h", log_output=True)),
    lambda t: run_module_quiet(grant(not_after="1w")),
])
@pytest.mark.parametrize("args", [grant(not_after="8h"), grant(not_after="2h"), {"name": "debug-strace", "state": "absent"}])
def test_the_policy_and_check_mode_agree(capsys, host, monkeypatch, prepare, args):
    prepare(host)
    capsys.readouterr()
    predicted = run_module(capsys, dict(args, _ansible_check_mode=True))
    spec = dict((key, option.get("default")) for key, option in _sudoers_write.GRANT_OPTIONS.items())
    spec.update(args)
    now = datetime.datetime.now(datetime.timezone.utc)
    monkeypatch.setattr(_sudoers_write, "read_host", READ_HOST)
    assert _policy.sudoers_grant(spec, now, str(host))["compliant"] is (not predicted["changed"])


def run_module_quiet(args):
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            sudoers_grant.main()


# --- found by mutation testing (scripts/mutation _sudoers_write, docs/mutation.md) ---

def test_a_grant_asks_for_a_password_unless_told_otherwise(capsys, host):
    args = grant()
    del args["nopasswd"]
    assert run_module(capsys, args)["changed"] is True
    content = on_disk(host)[0]
    assert b"NOPASSWD" not in content and b"/usr/bin/strace" in content


def test_the_name_is_required(capsys, host):
    args = grant()
    del args["name"]
    result = run_module(capsys, args)
    assert result["failed"] is True and "missing required arguments: name" in result["msg"]
    assert os.listdir(str(host / "/etc/sudoers.d")) == []
