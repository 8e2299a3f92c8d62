"""no_sys_ptrace: the grant exists, yet nobody can trace: the role was right to say unreachable.

On the platform of group `no_sys_ptrace` (molecule.yml).
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "_shared"))
from tracing import assert_refused, sudo_permits  # noqa: E402
from platforms import hosts  # noqa: E402

testinfra_hosts = hosts("no_sys_ptrace")


def test_container_lacks_sys_ptrace(host):
    for line in host.file("/proc/1/status").content_string.splitlines():
        if line.startswith("CapBnd:"):
            assert not int(line.split()[1], 16) >> 19 & 1


def test_even_the_granted_member_is_refused(host):
    assert sudo_permits(host, "alice", "/usr/bin/strace") is True
    assert_refused(host, "alice", "sudo -n /usr/bin/strace", "Operation not permitted")
