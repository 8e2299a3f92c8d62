"""sudo profile: alice (debug group) traces every Apache worker through sudo and sees a real request."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "_shared"))
from tracing import assert_refused, assert_traces_a_request, served  # noqa: E402


def test_member_traces_a_real_request_through_sudo(host):
    assert_traces_a_request(host, "alice", "sudo -n /usr/bin/strace")


def test_non_member_is_refused(host):
    assert_refused(host, "dave", "sudo -n /usr/bin/strace", "password is required")


def test_apache_keeps_serving(host):
    assert served(host)


def test_grant_file_mode_and_tree(host):
    grant = host.file("/etc/sudoers.d/debugready-sudo")
    assert (grant.user, grant.group, grant.mode) == ("root", "root", 0o440)
    assert "NOTAFTER=" in grant.content_string and "LOG_OUTPUT:" in grant.content_string
    assert "%debug ALL=(root)" in grant.content_string
    assert host.run("visudo -c").rc == 0
    assert not host.file("/etc/sudoers.d/debugready-service").exists
    assert "debug" in host.user("alice").groups


def test_snapshot_recorded(host):
    snapshot = host.file("/var/lib/debugready/snapshot.json")
    assert snapshot.exists and snapshot.mode == 0o600
    assert '"group_existed": false' in snapshot.content_string
