"""hardened profile: the role's own grants and copies are gone; a foreign grant stays (reported).

On the platform of group `hardened` (molecule.yml).
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "_shared"))
from tracing import assert_refused, served, trace_request  # noqa: E402
from platforms import hosts  # noqa: E402

testinfra_hosts = hosts("hardened")


def test_managed_grants_and_copies_removed(host):
    managed = ["/etc/sudoers.d/debugready-" + name for name in ("sudo", "gdb", "service")]
    for path in managed + ["/usr/local/bin/strace-debug"]:
        assert not host.file(path).exists, path
    assert host.run("visudo -c").rc == 0


def test_member_no_longer_traces(host):
    assert_refused(host, "alice", "sudo -n /usr/bin/strace", "a password is required")


def test_foreign_grants_are_left_in_place(host):
    assert host.file("/etc/sudoers.d/legacy").exists
    assert host.file("/etc/sudoers.d/debugready-evil").exists
    rc, stderr, recorded, ok = trace_request(host, "dave", "sudo -n /usr/bin/strace")
    assert rc == 124 and "GET / HTTP/1.1" in recorded
    assert served(host)
