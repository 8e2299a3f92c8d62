"""filecap profile: alice runs the group-restricted cap_sys_ptrace=ep strace copy; gdb goes through sudo.

On the platforms of group `filecap` (molecule.yml): one per Debian release.
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "_shared"))
from tracing import assert_refused, assert_traces_a_request, served, sudo_permits  # noqa: E402
from platforms import hosts  # noqa: E402

testinfra_hosts = hosts("filecap")

COPY = "/usr/local/bin/strace-debug"


def test_member_traces_a_real_request_with_the_copy(host):
    assert_traces_a_request(host, "alice", COPY)


def test_non_member_cannot_run_the_copy(host):
    assert_refused(host, "dave", COPY, "Permission denied", rc=126)


def test_copy_state(host):
    copy = host.file(COPY)
    assert (copy.user, copy.group, copy.mode) == ("root", "debug", 0o750)
    assert host.check_output("getcap %s", COPY) == COPY + " cap_sys_ptrace=ep"
    assert host.run("cmp /usr/bin/strace %s", COPY).rc == 0


def test_gdb_through_sudo_and_no_root_strace_grant(host):
    grant = host.file("/etc/sudoers.d/debugready-gdb")
    assert grant.mode == 0o440 and "/usr/bin/gdb" in grant.content_string
    assert "/usr/bin/strace" not in grant.content_string
    assert not host.file("/etc/sudoers.d/debugready-sudo").exists
    assert sudo_permits(host, "alice", "/usr/bin/gdb") is True
    assert sudo_permits(host, "alice", "/usr/bin/strace") is False
    assert host.run("visudo -c").rc == 0
    assert served(host)
